/* dbs_hooks.c - notification hooks: the commands a home runs on its events.
 *
 * hooks.db holds the hooks (id -> on NUL argv0 NUL argv1 ...).  When an
 * event a hook listens for is written, a notification goes into outbox.db
 * in the same transaction (event sequence << 6 | hook -> kind:hook id NUL exec NUL task NUL prompt NUL
 * deadline NUL actor NUL user NUL time NUL argv...): it is as durable as the
 * change.  The server runs each notification after the commit and deletes
 * it once its command has ended, so one not yet run when the server died
 * runs when it starts again (at least once). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_int.h"
#include "keys.h"

static const char *const kinds[] = { "waiting", "paused", "timeout", "rejected", "cancelled", NULL };

/* The kind of notification an event is, or NULL: an operator's pause asks
 * nothing, so it is not "waiting". */
static const char *event_kind(const char *action)
{
	if (!strcmp(action, "request-input"))
		return "waiting";
	if (!strcmp(action, "pause"))
		return "paused";
	if (!strcmp(action, "timeout"))
		return "timeout";
	if (!strcmp(action, "reject"))
		return "rejected";
	if (!strcmp(action, "cancel"))
		return "cancelled";
	return NULL;
}

static bool on_has(const char *on, const char *kind)
{
	size_t n = strlen(kind);
	for (const char *p = on; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, kind, n) == 0)
			return true;
		p += len + (e != NULL);
	}
	return false;
}

/* Appends s and a NUL (NUL bytes inside become spaces: they go in the environment). */
static int put_z(record_buf *b, const char *s, size_t len)
{
	unsigned char *d;
	if (b->len + len + 1 > b->cap) {
		size_t cap = (b->len + len + 1) * 2;
		if (!(d = realloc(b->data, cap)))
			return -1;
		b->data = d;
		b->cap = cap;
	}
	for (size_t i = 0; i < len; i++)
		b->data[b->len++] = s[i] ? (unsigned char)s[i] : ' ';
	b->data[b->len++] = '\0';
	return 0;
}

static int put_s(record_buf *b, const char *s)
{
	return put_z(b, s ? s : "", s ? strlen(s) : 0);
}

/* Splits a NUL-separated value into at most cap strings (pointing into it). */
static size_t split_z(const unsigned char *p, size_t len, const char **out, size_t cap)
{
	size_t n = 0, at = 0;
	while (at < len && n < cap) {
		const unsigned char *z = memchr(p + at, '\0', len - at);
		if (!z)
			break;
		out[n++] = (const char *)p + at;
		at = (size_t)(z - p) + 1;
	}
	return n;
}

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
	ret = cur->get(cur, &k, &d, DB_LAST);
	if (ret == 0 && k.size == 8)
		*last = key_get_u64(k.data);
	cur->close(cur);
	return ret && ret != DB_NOTFOUND ? err_db(st, err, ret, "reading %s", dbi_file[which]) : STORE_OK;
}

static store_code hook_add_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	hook_arg *a = arg;
	store_code c = last_key(st, txn, DBI_HOOKS, &a->id, err);
	if (c)
		return c;
	a->id++;
	record_buf b = { 0 };
	int rc = put_s(&b, a->on);
	for (size_t i = 0; i < a->argc && !rc; i++)
		rc = put_s(&b, a->argv[i]);
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
		for (int i = 0; kinds[i] && !known; i++)
			known = strlen(kinds[i]) == len && memcmp(kinds[i], p, len) == 0;
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
	store_hook *have;
	size_t n;
	store_code c = dbs_hook_list(st, &have, &n, err);
	if (c)
		return c;
	store_hook_array_free(have, n);
	if (n >= STORE_HOOKS_MAX)
		return err_set(err, STORE_INVALID_INPUT, "a home has at most %d hooks: remove one first", STORE_HOOKS_MAX);
	hook_arg a = { on, argv, argc, 0, NULL, 0 };
	c = txn_write_for(st, cx, hook_add_txn, &a, err);
	*id = a.id;
	return c;
}

static store_code hook_list_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	hook_arg *a = arg;
	store_hook_array_free(a->out, a->n);
	a->out = NULL;
	a->n = 0;
	DBC *cur;
	int ret = st->db[DBI_HOOKS]->cursor(st->db[DBI_HOOKS], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_HOOKS]);
	DBT k, d;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	store_code c = STORE_OK;
	while ((ret = cur->get(cur, &k, &d, DB_NEXT)) == 0 && a->n < STORE_HOOKS_MAX) {
		const char *f[STORE_HOOK_ARGS_MAX + 1];
		size_t nf = split_z(d.data, d.size, f, STORE_HOOK_ARGS_MAX + 1);
		if (k.size != 8 || nf < 2)
			continue;
		store_hook *v = realloc(a->out, (a->n + 1) * sizeof *v);
		if (!v) {
			c = err_oom(err);
			break;
		}
		a->out = v;
		store_hook *h = &v[a->n++];
		memset(h, 0, sizeof *h);
		h->id = key_get_u64(k.data);
		h->on = record_strdup(f[0]);
		h->argv = calloc(nf - 1, sizeof *h->argv);
		for (size_t i = 1; h->argv && i < nf; i++)
			if ((h->argv[h->argc] = record_strdup(f[i])))
				h->argc++;
	}
	cur->close(cur);
	if (!c && ret && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "reading %s", dbi_file[DBI_HOOKS]);
	return c;
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

store_code rec_notify(dbs *st, DB_TXN *txn, const record_event *ev, store_err *err)
{
	const char *kind = ev->action ? event_kind(ev->action) : NULL;
	if (!kind)
		return STORE_OK;
	hook_arg a = { 0 };
	store_code c = hook_list_txn(st, txn, &a, err);
	record_task t = { 0 };
	bool have_task = false;
	for (size_t i = 0; !c && i < a.n; i++) {
		if (!on_has(a.out[i].on, kind))
			continue;
		if (!have_task && ev->task_id && ev->execution_id) {
			c = rec_get_task(st, txn, ev->execution_id, ev->task_id, &t, 0, err);
			if (c == STORE_NOT_FOUND) {
				c = STORE_OK;
				memset(err, 0, sizeof *err);
			}
			have_task = true;
		}
		if (c)
			break;
		/* ordered as the events, and never used twice: the event's
		 * sequence, then the hook's place (at most 32 hooks) */
		uint64_t seq = ev->seq << 6 | (uint64_t)i;
		record_buf b = { 0 };
		char kind_id[48]; /* "kind:hook id": the server's log names the hook */
		snprintf(kind_id, sizeof kind_id, "%s:%llu", kind, (unsigned long long)a.out[i].id);
		int rc = put_s(&b, kind_id) | put_s(&b, ev->execution_id) | put_s(&b, ev->task_id) |
			 put_z(&b, t.input_prompt.s ? t.input_prompt.s : "", t.input_prompt.len) |
			 put_s(&b, t.input_deadline) | put_s(&b, ev->actor) | put_s(&b, ev->user) | put_s(&b, ev->time) |
			 put_z(&b, ev->reason.s ? ev->reason.s : "", ev->has_reason ? ev->reason.len : 0);
		for (size_t k = 0; k < a.out[i].argc && !rc; k++)
			rc = put_s(&b, a.out[i].argv[k]);
		unsigned char key[8];
		key_u64(key, seq);
		c = rc ? err_oom(err)
		       : rec_put_raw(st, txn, DBI_OUTBOX, key, 8, b.data, b.len, err);
		record_buf_free(&b);
		st->outbox_added = true;
	}
	record_task_free(&t);
	store_hook_array_free(a.out, a.n);
	return c;
}

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
	ret = cur->get(cur, &k, &d, DB_SET_RANGE);
	if (ret == 0 && k.size == 8) {
		dbs_note *n = a->note;
		memset(n, 0, sizeof *n);
		n->seq = key_get_u64(kb);
		n->data = malloc(d.size + 1);
		if (n->data) {
			memcpy(n->data, d.data, d.size);
			n->data[d.size] = '\0';
			const char *f[9 + STORE_HOOK_ARGS_MAX];
			size_t nf = split_z((unsigned char *)n->data, d.size, f, 9 + STORE_HOOK_ARGS_MAX);
			if (nf >= 10) {
				char *colon = strchr(n->data, ':'); /* "kind:hook id" (before: "kind") */
				if (colon) {
					*colon = '\0';
					n->hook_id = strtoull(colon + 1, NULL, 10);
				}
				n->kind = f[0];
				n->exec_id = f[1];
				n->task_id = f[2];
				n->prompt = f[3];
				n->deadline = f[4];
				n->actor = f[5];
				n->user = f[6];
				n->time = f[7];
				n->reason = f[8];
				n->argc = nf - 9;
				for (size_t i = 0; i < n->argc; i++)
					n->argv[i] = f[9 + i];
				a->any = true;
			} else {
				a->any = true; /* a broken entry: handed out with no command, to be deleted */
				n->argc = 0;
			}
		}
	}
	cur->close(cur);
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
	d.flags = DB_DBT_PARTIAL; /* the keys alone */
	while ((ret = cur->get(cur, &k, &d, DB_NEXT)) == 0)
		(*n)++;
	cur->close(cur);
	return ret != DB_NOTFOUND ? err_db(st, err, ret, "reading %s", dbi_file[DBI_OUTBOX]) : STORE_OK;
}

store_code dbs_outbox_count(dbs *st, uint64_t *n, store_err *err)
{
	return txn_read(st, outbox_count_txn, n, err);
}
