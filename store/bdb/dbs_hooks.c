/* dbs_hooks.c - notification hooks: the commands a home runs on its events.
 * Adding, listing and removing hooks; the server's reading of the outbox,
 * each a transaction (the records themselves: dbs_outbox.c).  The server
 * runs each notification after the commit that wrote it and deletes it once
 * its command has ended, so one not yet run when the server died runs when
 * it starts again (at least once). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_outbox.h"
#include "dbs_txn.h"
#include "keys.h"
#include "rules.h"

/* ---- hooks ---- */

typedef struct hook_arg {
	const char *on;
	const char *const *argv;
	size_t argc;
	uint64_t id;
	store_hook *out;
	size_t n;
} hook_arg;

static store_code last_key(dbs *st, DB_TXN *txn, dbi which, uint64_t *last, store_err *err)
{
	DBC *cur;
	*last = 0;
	int ret = st->db[which]->cursor(st->db[which], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[which]);
	DBT k, d;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.flags = DB_DBT_REALLOC;
	d.flags = DB_DBT_PARTIAL | DB_DBT_REALLOC; /* the key alone */
	ret = cur->get(cur, &k, &d, DB_LAST);
	if (ret == 0 && k.size == 8)
		*last = key_get_u64(k.data);
	cur->close(cur);
	free(k.data);
	free(d.data);
	return ret && ret != DB_NOTFOUND ? err_db(st, err, ret, "reading %s", dbi_file[which]) : STORE_OK;
}

static store_code count_one(void *ctx, const DBT *k, const DBT *d)
{
	(void)k;
	(void)d;
	++*(size_t *)ctx;
	return STORE_OK;
}

static store_code hook_add_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	hook_arg *a = arg;
	/* counted in the transaction, after the request id was looked up: a
	 * resend of the change that added the last hook allowed is answered
	 * with its id, not refused */
	size_t n = 0;
	store_code c = rec_each(st, txn, DBI_HOOKS, true, count_one, &n, err);
	if (c)
		return c;
	if (n >= STORE_HOOKS_MAX)
		return err_set(err, STORE_INVALID_INPUT, "a home has at most %d hooks: remove one first", STORE_HOOKS_MAX);
	c = last_key(st, txn, DBI_HOOKS, &a->id, err);
	if (c)
		return c;
	a->id++;
	if (st->cx) /* a resend of this request is answered with the same id */
		st->cx->req_result = a->id;
	record_buf b = { 0 };
	int rc = hook_encode(&b, a->on, a->argv, a->argc);
	unsigned char k[8];
	key_u64(k, a->id);
	c = rc ? err_oom(err) : rec_put_raw(st, txn, DBI_HOOKS, k, 8, b.data, b.len, err);
	record_buf_free(&b);
	if (c)
		return c;
	char what[600];
	int o = snprintf(what, sizeof what, "hook %llu on %s:", (unsigned long long)a->id, a->on);
	for (size_t i = 0; i < a->argc && o > 0 && (size_t)o < sizeof what; i++)
		o += snprintf(what + o, sizeof what - (size_t)o, " %s", a->argv[i]);
	record_text why = { what, strlen(what) };
	return rec_event(st, txn, "notify-add", NULL, NULL, NULL, NULL, NULL, &why, err);
}

store_code dbs_hook_add(dbs *st, dbs_ctx *cx, const char *on, const char *const *argv, size_t argc, uint64_t *id,
			store_err *err)
{
	*id = 0;
	if (!on || !*on)
		return err_set(err, STORE_INVALID_INPUT, "a hook needs the events it runs on (waiting, paused, timeout, "
				    "rejected, cancelled)");
	for (const char *p = on; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		bool known = false;
		for (int i = 0; rules_notices[i] && !known; i++)
			known = strlen(rules_notices[i]) == len && memcmp(rules_notices[i], p, len) == 0;
		if (!known)
			return err_set(err, STORE_INVALID_INPUT, "unknown event '%.*s' (waiting, paused, timeout, rejected, cancelled)",
				       (int)(len > 40 ? 40 : len), p);
		p += len + (e != NULL);
	}
	if (argc == 0 || !argv[0][0])
		return err_set(err, STORE_INVALID_INPUT, "a hook needs a command");
	if (argc > STORE_HOOK_ARGS_MAX)
		return err_set(err, STORE_INVALID_INPUT, "a hook's command has at most %d arguments", STORE_HOOK_ARGS_MAX);
	for (size_t i = 0; i < argc; i++)
		if (strlen(argv[i]) > STORE_HOOK_ARG_MAX)
			return err_set(err, STORE_INVALID_INPUT, "a hook's argument is at most %d bytes", STORE_HOOK_ARG_MAX);
	hook_arg a = { on, argv, argc, 0, NULL, 0 };
	store_code c = txn_write_for(st, cx, hook_add_txn, &a, err);
	*id = c ? 0 : cx && cx->req_found ? cx->req_kept : a.id; /* a resend: the id it added */
	return c;
}

static store_code hook_list_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	hook_arg *a = arg;
	store_hook_array_free(a->out, a->n);
	return hooks_read(st, txn, &a->out, &a->n, err);
}

store_code dbs_hook_list(dbs *st, store_hook **out, size_t *n, store_err *err)
{
	hook_arg a = { 0 };
	store_code c = txn_read(st, hook_list_txn, &a, err);
	if (c) {
		store_hook_array_free(a.out, a.n);
		a.out = NULL;
		a.n = 0;
	}
	*out = a.out;
	*n = a.n;
	return c;
}

static store_code hook_remove_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	hook_arg *a = arg;
	unsigned char k[8];
	key_u64(k, a->id);
	DBT key = dbs_dbt(k, 8);
	int ret = st->db[DBI_HOOKS]->del(st->db[DBI_HOOKS], txn, &key, 0);
	if (ret == DB_NOTFOUND)
		return err_set(err, STORE_NOT_FOUND, "no hook %llu (seectl notify list shows them)",
			       (unsigned long long)a->id);
	if (ret)
		return err_db(st, err, ret, "deleting hook %llu", (unsigned long long)a->id);
	char what[64];
	snprintf(what, sizeof what, "hook %llu", (unsigned long long)a->id);
	record_text why = { what, strlen(what) };
	return rec_event(st, txn, "notify-remove", NULL, NULL, NULL, NULL, NULL, &why, err);
}

store_code dbs_hook_remove(dbs *st, dbs_ctx *cx, uint64_t id, store_err *err)
{
	hook_arg a = { 0 };
	a.id = id;
	return txn_write_for(st, cx, hook_remove_txn, &a, err);
}

/* ---- the outbox ---- */

typedef struct outbox_arg {
	uint64_t after;
	bool any;
	dbs_note *note;
} outbox_arg;

static store_code outbox_next_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	outbox_arg *a = arg;
	a->any = false;
	DBC *cur;
	int ret = st->db[DBI_OUTBOX]->cursor(st->db[DBI_OUTBOX], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_OUTBOX]);
	unsigned char kb[8];
	key_u64(kb, a->after + 1);
	DBT k = dbs_dbt(kb, 8), d;
	k.ulen = 8;
	k.flags = DB_DBT_USERMEM;
	memset(&d, 0, sizeof d);
	d.flags = DB_DBT_REALLOC;
	ret = cur->get(cur, &k, &d, DB_SET_RANGE);
	if (ret == 0 && k.size == 8)
		a->any = note_decode(a->note, key_get_u64(kb), d.data, d.size);
	cur->close(cur);
	free(d.data);
	if (ret && ret != DB_NOTFOUND)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_OUTBOX]);
	return STORE_OK;
}

store_code dbs_outbox_next(dbs *st, uint64_t after, dbs_note *note, bool *any, store_err *err)
{
	outbox_arg a = { after, false, note };
	store_code c = txn_read(st, outbox_next_txn, &a, err);
	*any = c == STORE_OK && a.any;
	return c;
}

typedef struct done_arg {
	uint64_t seq;
	bool ok;
} done_arg;

static store_code count_up(dbs *st, DB_TXN *txn, const char *name, store_err *err)
{
	uint64_t v;
	store_code c = meta_get_u64(st, txn, name, &v, DB_RMW, err);
	return c ? c : meta_put_u64(st, txn, name, v + 1, err);
}

static store_code outbox_done_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	done_arg *a = arg;
	unsigned char k[8];
	key_u64(k, a->seq);
	store_code c = rec_del_raw(st, txn, DBI_OUTBOX, k, 8, err);
	if (c == STORE_NOT_FOUND)
		return STORE_OK; /* counted when it was done */
	if (!c)
		c = count_up(st, txn, "hooks_run", err);
	if (!c && !a->ok)
		c = count_up(st, txn, "hooks_failed", err);
	return c;
}

store_code dbs_outbox_done(dbs *st, uint64_t seq, bool ok, store_err *err)
{
	done_arg a = { seq, ok };
	return txn_write_quiet(st, outbox_done_txn, &a, err);
}

static store_code outbox_last_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	return last_key(st, txn, DBI_OUTBOX, arg, err);
}

store_code dbs_outbox_last(dbs *st, uint64_t *seq, store_err *err)
{
	*seq = 0;
	return txn_read(st, outbox_last_txn, seq, err);
}

static store_code hook_counts_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	uint64_t *v = arg;
	store_code c = meta_get_u64(st, txn, "hooks_run", &v[0], 0, err);
	return c ? c : meta_get_u64(st, txn, "hooks_failed", &v[1], 0, err);
}

store_code dbs_hook_counts(dbs *st, uint64_t *run, uint64_t *failed, store_err *err)
{
	uint64_t v[2] = { 0, 0 };
	store_code c = txn_read(st, hook_counts_txn, v, err);
	*run = v[0];
	*failed = v[1];
	return c;
}

void dbs_note_free(dbs_note *n)
{
	free(n->data);
	memset(n, 0, sizeof *n);
}

bool dbs_outbox_added(dbs *st)
{
	bool v = st->outbox_added;
	st->outbox_added = false;
	return v;
}

static store_code outbox_count_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	uint64_t *n = arg;
	*n = 0;
	DBC *cur;
	int ret = st->db[DBI_OUTBOX]->cursor(st->db[DBI_OUTBOX], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_OUTBOX]);
	DBT k, d;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.flags = DB_DBT_REALLOC;
	d.flags = DB_DBT_PARTIAL | DB_DBT_REALLOC; /* the keys alone */
	while ((ret = cur->get(cur, &k, &d, DB_NEXT)) == 0)
		(*n)++;
	cur->close(cur);
	free(k.data);
	free(d.data);
	return ret != DB_NOTFOUND ? err_db(st, err, ret, "reading %s", dbi_file[DBI_OUTBOX]) : STORE_OK;
}

store_code dbs_outbox_count(dbs *st, uint64_t *n, store_err *err)
{
	return txn_read(st, outbox_count_txn, n, err);
}
