/* dbs_outbox.c - the records of hooks.db and outbox.db inside a
 * transaction: a hook's record, and the notification a transaction's
 * events write for each hook that listens for them.
 *
 * hooks.db holds the hooks (id -> on NUL argv0 NUL argv1 ...).  When an
 * event a hook listens for is written, a notification goes into outbox.db
 * in the same transaction (event sequence << 6 | hook -> kind:hook id NUL
 * exec NUL task NUL prompt NUL deadline NUL actor NUL user NUL time NUL
 * reason NUL argv...): it is as durable as the change.  The records layer
 * only notes which of its events notify (rec_add_event); the transaction
 * layer calls outbox_write before it commits, so nothing calls up. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_outbox.h"
#include "keys.h"
#include "rules.h"

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

/* ---- hooks.db ---- */

int hook_encode(record_buf *b, const char *on, const char *const *argv, size_t argc)
{
	int rc = put_s(b, on);
	for (size_t i = 0; i < argc && !rc; i++)
		rc = put_s(b, argv[i]);
	return rc;
}

store_code hooks_read(dbs *st, DB_TXN *txn, store_hook **out, size_t *n, store_err *err)
{
	*out = NULL;
	*n = 0;
	DBC *cur;
	int ret = st->db[DBI_HOOKS]->cursor(st->db[DBI_HOOKS], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_HOOKS]);
	DBT k, d;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.flags = d.flags = DB_DBT_REALLOC; /* a replicated environment is free-threaded */
	store_code c = STORE_OK;
	while ((ret = cur->get(cur, &k, &d, DB_NEXT)) == 0 && *n < STORE_HOOKS_MAX) {
		const char *f[STORE_HOOK_ARGS_MAX + 1];
		size_t nf = split_z(d.data, d.size, f, STORE_HOOK_ARGS_MAX + 1);
		if (k.size != 8 || nf < 2)
			continue;
		store_hook *v = realloc(*out, (*n + 1) * sizeof *v);
		if (!v) {
			c = err_oom(err);
			break;
		}
		*out = v;
		store_hook *h = &v[(*n)++];
		memset(h, 0, sizeof *h);
		h->id = key_get_u64(k.data);
		h->on = record_strdup(f[0]);
		h->argv = calloc(nf - 1, sizeof *h->argv);
		for (size_t i = 1; h->argv && i < nf; i++)
			if ((h->argv[h->argc] = record_strdup(f[i])))
				h->argc++;
	}
	cur->close(cur);
	free(k.data);
	free(d.data);
	if (!c && ret && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "reading %s", dbi_file[DBI_HOOKS]);
	if (c) {
		store_hook_array_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return c;
}

/* ---- outbox.db ---- */

/* The notifications of one event, for every hook that listens for it. */
static store_code notify_event(dbs *st, DB_TXN *txn, const record_event *ev, const store_hook *hooks, size_t n_hooks,
			       store_err *err)
{
	const char *kind = rules_event_notice(ev->action);
	if (!kind)
		return STORE_OK;
	store_code c = STORE_OK;
	record_task t = { 0 };
	bool have_task = false;
	for (size_t i = 0; !c && i < n_hooks; i++) {
		if (!on_has(hooks[i].on, kind))
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
		snprintf(kind_id, sizeof kind_id, "%s:%llu", kind, (unsigned long long)hooks[i].id);
		int rc = put_s(&b, kind_id) | put_s(&b, ev->execution_id) | put_s(&b, ev->task_id) |
			 put_z(&b, t.input_prompt.s ? t.input_prompt.s : "", t.input_prompt.len) |
			 put_s(&b, t.input_deadline) | put_s(&b, ev->actor) | put_s(&b, ev->user) | put_s(&b, ev->time) |
			 put_z(&b, ev->reason.s ? ev->reason.s : "", ev->has_reason ? ev->reason.len : 0);
		for (size_t k = 0; k < hooks[i].argc && !rc; k++)
			rc = put_s(&b, hooks[i].argv[k]);
		unsigned char key[8];
		key_u64(key, seq);
		c = rc ? err_oom(err) : rec_put_raw(st, txn, DBI_OUTBOX, key, 8, b.data, b.len, err);
		record_buf_free(&b);
		st->outbox_added = true;
	}
	record_task_free(&t);
	return c;
}

store_code outbox_write(dbs *st, DB_TXN *txn, store_err *err)
{
	if (!st->n_notify)
		return STORE_OK;
	store_hook *hooks;
	size_t n_hooks;
	store_code c = hooks_read(st, txn, &hooks, &n_hooks, err);
	for (size_t i = 0; !c && n_hooks && i < st->n_notify; i++) {
		/* the event as this transaction wrote it */
		unsigned char k[8];
		key_u64(k, st->notify_seq[i]);
		DBT key = dbs_dbt(k, 8), d = dbs_dbt(NULL, 0);
		d.flags = DB_DBT_MALLOC;
		int ret = st->db[DBI_EVENTS]->get(st->db[DBI_EVENTS], txn, &key, &d, 0);
		if (ret) {
			c = err_db(st, err, ret, "reading event %llu", (unsigned long long)st->notify_seq[i]);
			break;
		}
		record_event ev;
		char why[256];
		int rc = record_decode_event(d.data, d.size, &ev, why, sizeof why);
		free(d.data);
		if (rc < 0) {
			c = err_set(err, STORE_FORMAT, "event %llu cannot be decoded: %s",
				    (unsigned long long)st->notify_seq[i], why);
			break;
		}
		c = notify_event(st, txn, &ev, hooks, n_hooks, err);
		record_event_free(&ev);
	}
	store_hook_array_free(hooks, n_hooks);
	st->n_notify = 0;
	return c;
}

bool note_decode(dbs_note *n, uint64_t seq, const void *data, size_t len)
{
	memset(n, 0, sizeof *n);
	n->seq = seq;
	n->data = malloc(len + 1);
	if (!n->data)
		return false;
	memcpy(n->data, data, len);
	n->data[len] = '\0';
	const char *f[9 + STORE_HOOK_ARGS_MAX];
	size_t nf = split_z((unsigned char *)n->data, len, f, 9 + STORE_HOOK_ARGS_MAX);
	if (nf < 10)
		return true; /* a broken entry: handed out with no command, to be deleted */
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
	return true;
}
