/* dbs_rec.c - records inside a transaction: the state record (generation,
 * event sequence, counts), executions with their status index entries,
 * tasks, audit events. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "rules.h"

const char *const dbi_file[DBI_COUNT] = {
	[DBI_META] = "meta.db",
	[DBI_EXECS] = "executions.db",
	[DBI_TASKS] = "tasks.db",
	[DBI_STATUS(EXEC_RUNNING)] = "status-running.db",
	[DBI_STATUS(EXEC_WAITING)] = "status-waiting-for-input.db",
	[DBI_STATUS(EXEC_COMPLETE)] = "status-complete.db",
	[DBI_STATUS(EXEC_FAILED)] = "status-failed.db",
	[DBI_EVENTS] = "events.db",
	[DBI_EV_BY_EXEC] = "events_by_exec.db",
	[DBI_REQUESTS] = "requests.db",
	[DBI_LOGS] = "logs.db",
	[DBI_DEADLINES] = "deadlines.db",
	[DBI_HOOKS] = "hooks.db",
	[DBI_OUTBOX] = "outbox.db",
};

store_code meta_get_u64(dbs *st, DB_TXN *txn, const char *name, uint64_t *v, u_int32_t flags, store_err *err)
{
	unsigned char b[8];
	DBT k = dbs_dbt(name, strlen(name)), d = dbs_dbt(NULL, 0);
	d.data = b;
	d.ulen = sizeof b;
	d.flags = DB_DBT_USERMEM;
	int ret = st->db[DBI_META]->get(st->db[DBI_META], txn, &k, &d, flags);
	if (ret == DB_NOTFOUND) {
		*v = 0;
		return STORE_OK;
	}
	if (ret)
		return err_db(st, err, ret, "reading '%s' from %s", name, dbi_file[DBI_META]);
	if (d.size != 8)
		return err_set(err, STORE_FORMAT, "%s: '%s' has %u bytes, expected 8", dbi_file[DBI_META], name,
			       d.size);
	*v = key_get_u64(b);
	return STORE_OK;
}

store_code meta_put_u64(dbs *st, DB_TXN *txn, const char *name, uint64_t v, store_err *err)
{
	unsigned char b[8];
	key_u64(b, v);
	DBT k = dbs_dbt(name, strlen(name)), d = dbs_dbt(b, 8);
	int ret = st->db[DBI_META]->put(st->db[DBI_META], txn, &k, &d, 0);
	return ret ? err_db(st, err, ret, "writing '%s' to %s", name, dbi_file[DBI_META]) : STORE_OK;
}

/* The state record is big-endian 64-bit words: generation, event sequence,
 * then one count per status in status order.  A shorter record (written
 * before a status existed) reads that count as zero; a longer one keeps its
 * extra words unread. */
#define STATE_WORDS (2 + EXEC_STATUS_COUNT)

store_code state_read(dbs *st, DB_TXN *txn, meta_state *s, u_int32_t flags, store_err *err)
{
	unsigned char b[8 * 64];
	DBT k = dbs_dbt("state", 5), d = dbs_dbt(NULL, 0);
	d.data = b;
	d.ulen = sizeof b;
	d.flags = DB_DBT_USERMEM;
	memset(s, 0, sizeof *s);
	int ret = st->db[DBI_META]->get(st->db[DBI_META], txn, &k, &d, flags);
	if (ret == DB_NOTFOUND)
		return STORE_OK;
	if (ret)
		return err_db(st, err, ret, "reading the state from %s", dbi_file[DBI_META]);
	if (d.size % 8 || d.size < 16)
		return err_set(err, STORE_FORMAT, "%s: the state record has %u bytes; the file is damaged",
			       dbi_file[DBI_META], d.size);
	size_t words = d.size / 8;
	s->generation = key_get_u64(b);
	s->event_seq = key_get_u64(b + 8);
	for (size_t i = 2; i < words && i < STATE_WORDS; i++)
		s->counts[i - 2] = key_get_u64(b + 8 * i);
	return STORE_OK;
}

store_code state_write(dbs *st, DB_TXN *txn, const meta_state *s, store_err *err)
{
	unsigned char b[8 * STATE_WORDS];
	key_u64(b, s->generation);
	key_u64(b + 8, s->event_seq);
	for (size_t i = 0; i < EXEC_STATUS_COUNT; i++)
		key_u64(b + 16 + 8 * i, s->counts[i]);
	DBT k = dbs_dbt("state", 5), d = dbs_dbt(b, sizeof b);
	int ret = st->db[DBI_META]->put(st->db[DBI_META], txn, &k, &d, 0);
	return ret ? err_db(st, err, ret, "writing the state to %s", dbi_file[DBI_META]) : STORE_OK;
}

store_code txn_state(dbs *st, DB_TXN *txn, meta_state **s, store_err *err)
{
	if (!st->ts_loaded) {
		store_code c = state_read(st, txn, &st->ts, DB_RMW, err);
		if (c)
			return c;
		st->ts_loaded = true;
	}
	*s = &st->ts;
	return STORE_OK;
}

/* Counts change in memory and reach the state record when the transaction
 * ends, so the state (which every writer changes) stays locked only for the
 * last steps of a transaction. */
static void count_add(dbs *st, exec_status s, int delta)
{
	if ((unsigned)s < EXEC_STATUS_COUNT)
		st->count_delta[s] += delta;
}

/* Ends a write transaction's use of the state: counts, generation, one put. */
store_code state_finish(dbs *st, DB_TXN *txn, store_err *err)
{
	meta_state *ms;
	store_code c = txn_state(st, txn, &ms, err);
	if (c)
		return c;
	for (int s = 0; s < EXEC_STATUS_COUNT; s++) {
		int64_t d = st->count_delta[s];
		ms->counts[s] = d < 0 && (uint64_t)-d > ms->counts[s] ? 0 : ms->counts[s] + (uint64_t)d;
	}
	ms->generation++;
	return state_write(st, txn, ms, err);
}

/* ---- records ---- */

store_code rec_get_exec(dbs *st, DB_TXN *txn, const char *id, record_exec *e, u_int32_t flags, store_err *err)
{
	DBT k = dbs_dbt(id, strlen(id)), d = dbs_dbt(NULL, 0);
	d.flags = DB_DBT_MALLOC;
	int ret = st->db[DBI_EXECS]->get(st->db[DBI_EXECS], txn, &k, &d, flags);
	if (ret == DB_NOTFOUND)
		return err_set(err, STORE_NOT_FOUND, "execution '%s' not found", id);
	if (ret)
		return err_db(st, err, ret, "reading execution '%s'", id);
	char why[256];
	int rc = record_decode_exec(d.data, d.size, e, why, sizeof why);
	free(d.data);
	if (rc < 0)
		return err_set(err, STORE_FORMAT, "execution '%s' cannot be decoded: %s", id, why);
	return STORE_OK;
}

store_code rec_get_task(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_task *t,
			u_int32_t flags, store_err *err)
{
	unsigned char key[KEY_TASK_MAX];
	size_t kn = key_task(key, sizeof key, exec_id, task_id);
	if (!kn)
		return err_set(err, STORE_NOT_FOUND, "task '%s' not found in execution '%s'", task_id, exec_id);
	DBT k = dbs_dbt(key, kn), d = dbs_dbt(NULL, 0);
	d.flags = DB_DBT_MALLOC;
	int ret = st->db[DBI_TASKS]->get(st->db[DBI_TASKS], txn, &k, &d, flags);
	if (ret == DB_NOTFOUND)
		return err_set(err, STORE_NOT_FOUND, "task '%s' not found in execution '%s'", task_id, exec_id);
	if (ret)
		return err_db(st, err, ret, "reading task '%s' of execution '%s'", task_id, exec_id);
	char why[256];
	int rc = record_decode_task(d.data, d.size, t, why, sizeof why);
	free(d.data);
	if (rc < 0)
		return err_set(err, STORE_FORMAT, "task '%s' of execution '%s' cannot be decoded: %s", task_id,
			       exec_id, why);
	return STORE_OK;
}

store_code rec_get_exec_task(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_exec *e,
			     record_task *t, store_err *err)
{
	store_code c = rec_get_exec(st, txn, exec_id, e, DB_RMW, err);
	if (c)
		return c;
	if ((c = rec_get_task(st, txn, exec_id, task_id, t, DB_RMW, err)))
		record_exec_free(e);
	return c;
}

store_code rec_put_raw(dbs *st, DB_TXN *txn, dbi which, const void *k, size_t kn, const void *v, size_t vn,
			  store_err *err)
{
	DBT key = dbs_dbt(k, kn), val = dbs_dbt(v, vn);
	int ret = st->db[which]->put(st->db[which], txn, &key, &val, 0);
	return ret ? err_db(st, err, ret, "writing to %s", dbi_file[which]) : STORE_OK;
}

store_code rec_del_raw(dbs *st, DB_TXN *txn, dbi which, const void *k, size_t kn, store_err *err)
{
	DBT key = dbs_dbt(k, kn);
	int ret = st->db[which]->del(st->db[which], txn, &key, 0);
	if (ret == DB_NOTFOUND)
		return STORE_OK;
	return ret ? err_db(st, err, ret, "deleting from %s", dbi_file[which]) : STORE_OK;
}

store_code rec_each(dbs *st, DB_TXN *txn, dbi which, bool keys_only,
		    store_code (*fn)(void *ctx, const DBT *k, const DBT *d), void *ctx, store_err *err)
{
	DBC *cur;
	int ret = st->db[which]->cursor(st->db[which], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[which]);
	DBT k = dbs_dbt(NULL, 0), d = dbs_dbt(NULL, 0);
	k.flags = DB_DBT_REALLOC; /* the environment is free-threaded */
	d.flags = keys_only ? DB_DBT_PARTIAL | DB_DBT_USERMEM : DB_DBT_REALLOC; /* partial: no byte of it */
	store_code c = STORE_OK;
	while (!c && (ret = cur->get(cur, &k, &d, DB_NEXT)) == 0)
		c = view_cancelled(st) ? err_set(err, STORE_STORAGE, "given up: its connection closed") : fn(ctx, &k, &d);
	cur->close(cur);
	free(k.data);
	if (!keys_only)
		free(d.data);
	if (!c && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "reading %s", dbi_file[which]);
	return c;
}

/* The status index entry and the counts follow the record: the entry of
 * `old` goes, `e`'s is written (with `rec`, its encoded record, as value). */
static store_code index_update(dbs *st, DB_TXN *txn, const record_exec *e, const record_buf *rec,
			       const record_exec *old, store_err *err)
{
	unsigned char k[KEY_BY_STATUS_MAX];
	size_t kn;
	store_code c;
	bool same_key = old && e && old->status == e->status && strcmp(old->start_timestamp, e->start_timestamp) == 0;
	if (old && !same_key) {
		if ((kn = key_by_status(k, sizeof k, old)) && (unsigned)old->status < EXEC_STATUS_COUNT &&
		    (c = rec_del_raw(st, txn, DBI_STATUS(old->status), k, kn, err)))
			return c;
		count_add(st, old->status, -1);
	}
	if (e) {
		/* the value changes with the record even when the key stays */
		if ((kn = key_by_status(k, sizeof k, e)) && (unsigned)e->status < EXEC_STATUS_COUNT &&
		    (c = rec_put_raw(st, txn, DBI_STATUS(e->status), k, kn, rec->data, rec->len, err)))
			return c;
		if (!same_key)
			count_add(st, e->status, +1);
	}
	return STORE_OK;
}

store_code rec_put_exec(dbs *st, DB_TXN *txn, const record_exec *e_in, const record_exec *old, store_err *err)
{
	record_buf b = { 0 };
	meta_state *ms;
	store_code c = txn_state(st, txn, &ms, err);
	if (c)
		return c;
	/* shallow: the version is the generation this transaction commits, and
	 * whether an engine is attached is the server's to say, never stored */
	record_exec e1 = *e_in, *e = &e1;
	e1.version = ms->generation + 1;
	e1.engine_attached = false;
	/* a waiting execution carries its earliest deadline (its tasks are
	 * written before it in every transaction) */
	record_task best = { 0 };
	int64_t best_us = 0;
	e1.input_deadline = e1.deadline_from = NULL;
	for (size_t i = 0; e->status == EXEC_WAITING && i < e->n_task_ids && !c; i++) {
		record_task t;
		int64_t us;
		if ((c = rec_get_task(st, txn, e->id, e->task_ids[i], &t, 0, err)) == STORE_NOT_FOUND) {
			c = STORE_OK; /* a save writes the execution's tasks first; a missing one waits for nothing */
			memset(err, 0, sizeof *err);
			continue;
		}
		if (c)
			break;
		if (t.status == TASK_WAITING && t.input_deadline && record_timestamp_parse(t.input_deadline, &us) &&
		    (!best.input_deadline || us < best_us)) {
			record_task_free(&best);
			best = t;
			best_us = us;
		} else {
			record_task_free(&t);
		}
	}
	e1.input_deadline = best.input_deadline;
	e1.deadline_from = best.deadline_from;
	if (!c && record_encode_exec(e, &b) < 0)
		c = err_set(err, STORE_STORAGE, "out of memory encoding execution '%s'", e->id);
	record_task_free(&best);
	if (!c)
		c = rec_put_raw(st, txn, DBI_EXECS, e->id, strlen(e->id), b.data, b.len, err);
	if (!c)
		c = index_update(st, txn, e, &b, old, err);
	record_buf_free(&b);
	return c;
}

/* Removes an execution record with its index entry and count. */
store_code rec_del_exec(dbs *st, DB_TXN *txn, const record_exec *old, store_err *err)
{
	store_code c = rec_del_raw(st, txn, DBI_EXECS, old->id, strlen(old->id), err);
	return c ? c : index_update(st, txn, NULL, NULL, old, err);
}

store_code rec_put_task(dbs *st, DB_TXN *txn, const record_task *t, store_err *err)
{
	unsigned char key[KEY_TASK_MAX];
	record_buf b = { 0 };
	size_t kn = key_task(key, sizeof key, t->execution_id, t->task_id);
	if (!kn)
		return err_set(err, STORE_INVALID_INPUT, "task id '%s' is too long", t->task_id);
	/* the lines live in logs.db: the task record keeps their count */
	record_task bare = *t;
	bare.logs = NULL;
	bare.n_logs = 0;
	if (record_encode_task(&bare, &b) < 0)
		return err_set(err, STORE_STORAGE, "out of memory encoding task '%s'", t->task_id);
	store_code c = rec_put_raw(st, txn, DBI_TASKS, key, kn, b.data, b.len, err);
	record_buf_free(&b);
	return c ? c : rec_deadline_index(st, txn, t, t->status == TASK_WAITING, err);
}

store_code rec_deadline_index(dbs *st, DB_TXN *txn, const record_task *t, bool present, store_err *err)
{
	int64_t us;
	if (!t->input_deadline || !record_timestamp_parse(t->input_deadline, &us) || us < 0)
		return STORE_OK;
	unsigned char key[KEY_DEADLINE_MAX];
	size_t kn = key_deadline(key, sizeof key, us, t->execution_id, t->task_id);
	if (!kn)
		return STORE_OK;
	st->deadlines_changed = true;
	if (present)
		return rec_put_raw(st, txn, DBI_DEADLINES, key, kn, "", 0, err);
	store_code c = rec_del_raw(st, txn, DBI_DEADLINES, key, kn, err);
	return c == STORE_NOT_FOUND ? STORE_OK : c;
}

store_code rec_may_answer(dbs *st, const record_exec *e, const record_task *t, store_err *err)
{
	const dbs_ctx *cx = st->cx;
	const char *user = cx && cx->user ? cx->user : "";
	bool owner = cx && cx->owner;
	char why[600];
	if (store_may_answer(e, t, user, cx ? cx->groups : NULL, cx ? cx->n_groups : 0, owner, why, sizeof why) == 0)
		return STORE_OK;
	return err_set(err, t->n_respondents || owner ? STORE_INVALID_STATE : STORE_READ_ONLY, "%s", why);
}

int rec_task_answer(record_task *t, const char *v, size_t len)
{
	if (t->has_input && t->input_type == INPUT_BOOLEAN && len) {
		bool yes = (len == 4 && strncasecmp(v, "true", 4) == 0) || (len == 3 && strncasecmp(v, "yes", 3) == 0);
		v = yes ? "true" : "false";
		len = strlen(v);
	}
	record_text val = { 0 };
	if (record_text_set(&val, v, len) < 0)
		return -1;
	record_text_free(&t->input_value);
	t->input_value = val;
	t->has_input_value = true;
	return 0;
}

int rec_set_str(char **dst, const char *s)
{
	char *p = s ? record_strdup(s) : NULL;
	if (s && !p)
		return -1;
	free(*dst);
	*dst = p;
	return 0;
}

store_code rec_event(dbs *st, DB_TXN *txn, const char *action, const char *exec_id, const char *task_id,
		     const char *before, const char *after, const record_text *value, const record_text *reason,
		     store_err *err)
{
	record_event ev = { 0 };
	ev.action = (char *)action;
	ev.execution_id = (char *)exec_id;
	ev.task_id = (char *)task_id;
	ev.status_before = (char *)before;
	ev.status_after = (char *)after;
	if (value) {
		ev.has_input_value = true;
		ev.input_value = *value;
	}
	if (reason) {
		ev.has_reason = true;
		ev.reason = *reason;
	}
	return rec_add_event(st, txn, &ev, err);
}

store_code rec_put_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, uint64_t first,
			const record_text *lines, size_t n, store_err *err)
{
	unsigned char key[KEY_LOG_MAX + 8];
	for (size_t i = 0; i < n; i++) {
		size_t kn = key_log(key, sizeof key, exec_id, task_id, first + i);
		if (!kn)
			return err_set(err, STORE_INVALID_INPUT, "task id '%s' is too long", task_id);
		DBT k = dbs_dbt(key, kn), d = dbs_dbt(lines[i].s ? lines[i].s : "", lines[i].s ? lines[i].len : 0);
		int ret = st->db[DBI_LOGS]->put(st->db[DBI_LOGS], txn, &k, &d, 0);
		if (ret)
			return err_db(st, err, ret, "writing a log line of task '%s' of execution '%s'", task_id, exec_id);
	}
	return STORE_OK;
}

/* Walks the lines of a task from line `from`: fn gets each one; stops when it returns non-zero. */
static store_code logs_walk(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, uint64_t from,
			    u_int32_t rmw, int (*fn)(void *ctx, DBC *cur, const DBT *d), void *ctx, store_err *err)
{
	unsigned char prefix[KEY_LOG_MAX + 8], kb[KEY_LOG_MAX + 8];
	size_t pn = key_log(prefix, sizeof prefix, exec_id, task_id, UINT64_MAX);
	size_t kn = key_log(kb, sizeof kb, exec_id, task_id, from);
	if (!pn || !kn)
		return STORE_OK; /* ids too long to have lines */
	DBC *cur;
	int ret = st->db[DBI_LOGS]->cursor(st->db[DBI_LOGS], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_LOGS]);
	DBT k = dbs_dbt(kb, kn), d = dbs_dbt(NULL, 0);
	k.ulen = sizeof kb;
	k.flags = DB_DBT_USERMEM;
	d.flags = DB_DBT_REALLOC;
	u_int32_t how = DB_SET_RANGE;
	store_code c = STORE_OK;
	while ((ret = cur->get(cur, &k, &d, how | rmw)) == 0) {
		how = DB_NEXT;
		if (k.size != pn + 8 || memcmp(kb, prefix, pn) != 0)
			break;
		int r = fn(ctx, cur, &d);
		if (r < 0) {
			c = err_set(err, STORE_STORAGE, "out of memory reading the log of task '%s'", task_id);
			break;
		}
		if (r > 0)
			break;
	}
	if (!c && ret && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "reading the log of task '%s' of execution '%s'", task_id, exec_id);
	cur->close(cur);
	free(d.data);
	return c;
}

static int log_del_one(void *ctx, DBC *cur, const DBT *d)
{
	(void)d;
	int *ret = ctx;
	*ret = cur->del(cur, 0);
	return *ret ? 1 : 0;
}

store_code rec_del_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, store_err *err)
{
	int ret = 0;
	store_code c = logs_walk(st, txn, exec_id, task_id, 0, DB_RMW, log_del_one, &ret, err);
	if (!c && ret)
		c = err_db(st, err, ret, "removing the log of task '%s' of execution '%s'", task_id, exec_id);
	return c;
}

typedef struct log_read {
	record_text *v;
	size_t n, limit, bytes, max_bytes;
} log_read;

static int log_read_one(void *ctx, DBC *cur, const DBT *d)
{
	(void)cur;
	log_read *r = ctx;
	if (r->n >= r->limit || (r->n > 0 && r->bytes + d->size > r->max_bytes))
		return 1;
	if (r->n % 64 == 0) {
		record_text *p = realloc(r->v, (r->n + 64) * sizeof *p);
		if (!p)
			return -1;
		r->v = p;
	}
	r->v[r->n].s = NULL;
	if (record_text_set(&r->v[r->n], d->data, d->size) < 0)
		return -1;
	r->n++;
	r->bytes += d->size;
	return 0;
}

store_code rec_read_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, uint64_t from, size_t limit,
			 size_t max_bytes, record_text **out, size_t *n, store_err *err)
{
	log_read r = { NULL, 0, limit, 0, max_bytes };
	store_code c = limit ? logs_walk(st, txn, exec_id, task_id, from, 0, log_read_one, &r, err) : STORE_OK;
	if (c) {
		for (size_t i = 0; i < r.n; i++)
			record_text_free(&r.v[i]);
		free(r.v);
		r.v = NULL;
		r.n = 0;
	}
	*out = r.v;
	*n = r.n;
	return c;
}

/* What a task hands out with its execution: its newest lines, up to a
 * bound, so that a task of a million lines still reads at once. */
#define ITEM_LOG_LINES 1000
#define ITEM_LOG_BYTES (4u << 20)

/* The newest lines, read backwards from the last one. */
static store_code load_newest(dbs *st, DB_TXN *txn, record_task *t, store_err *err)
{
	unsigned char prefix[KEY_LOG_MAX + 8], kb[KEY_LOG_MAX + 8];
	size_t pn = key_log(prefix, sizeof prefix, t->execution_id, t->task_id, UINT64_MAX);
	size_t kn = key_log(kb, sizeof kb, t->execution_id, t->task_id, UINT64_MAX - 1);
	if (!pn || !kn)
		return STORE_OK;
	DBC *cur;
	int ret = st->db[DBI_LOGS]->cursor(st->db[DBI_LOGS], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_LOGS]);
	DBT k = dbs_dbt(kb, kn), d = dbs_dbt(NULL, 0);
	k.ulen = sizeof kb;
	k.flags = DB_DBT_USERMEM;
	d.flags = DB_DBT_REALLOC;
	log_read r = { NULL, 0, ITEM_LOG_LINES, 0, ITEM_LOG_BYTES };
	ret = cur->get(cur, &k, &d, DB_SET_RANGE);
	ret = cur->get(cur, &k, &d, ret == 0 ? DB_PREV : DB_LAST);
	store_code c = STORE_OK;
	for (; ret == 0; ret = cur->get(cur, &k, &d, DB_PREV)) {
		if (k.size != pn + 8 || memcmp(kb, prefix, pn) != 0)
			break;
		int rc = log_read_one(&r, cur, &d);
		if (rc < 0)
			c = err_set(err, STORE_STORAGE, "out of memory reading the log of task '%s'", t->task_id);
		if (rc)
			break;
	}
	if (!c && ret && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "reading the log of task '%s' of execution '%s'", t->task_id, t->execution_id);
	cur->close(cur);
	free(d.data);
	for (size_t i = 0; i < r.n / 2; i++) {
		record_text x = r.v[i];
		r.v[i] = r.v[r.n - 1 - i];
		r.v[r.n - 1 - i] = x;
	}
	t->logs = r.v;
	t->n_logs = r.n;
	return c;
}

store_code rec_load_logs(dbs *st, DB_TXN *txn, record_task *t, size_t *budget, store_err *err)
{
	for (size_t i = 0; i < t->n_logs; i++)
		record_text_free(&t->logs[i]);
	free(t->logs);
	t->logs = NULL;
	t->n_logs = 0;
	if (t->log_count == 0)
		return STORE_OK;
	if (!budget)
		return load_newest(st, txn, t, err);
	store_code c = rec_read_logs(st, txn, t->execution_id, t->task_id, 0, *budget ? SIZE_MAX : 0, *budget,
				     &t->logs, &t->n_logs, err);
	for (size_t i = 0; !c && i < t->n_logs; i++)
		*budget = t->logs[i].len < *budget ? *budget - t->logs[i].len : 0;
	return c;
}
/* Appends an event with the next sequence number, and indexes it by execution. */
static store_code put_event(dbs *st, DB_TXN *txn, record_event *ev, store_err *err)
{
	meta_state *ms;
	store_code c = txn_state(st, txn, &ms, err);
	if (c)
		return c;
	uint64_t seq = ++ms->event_seq;
	ev->seq = seq;
	record_buf b = { 0 };
	if (record_encode_event(ev, &b) < 0)
		return err_set(err, STORE_STORAGE, "out of memory encoding an event");
	unsigned char k[8];
	key_u64(k, seq);
	c = rec_put_raw(st, txn, DBI_EVENTS, k, 8, b.data, b.len, err);
	record_buf_free(&b);
	if (c || !ev->execution_id)
		return c;
	unsigned char ik[KEY_EXEC_EVENT_MAX];
	size_t n = key_exec_event(ik, sizeof ik, ev->execution_id, seq);
	return n ? rec_put_raw(st, txn, DBI_EV_BY_EXEC, ik, n, "", 0, err) : STORE_OK;
}

/* An event whose notifications the transaction layer writes before the
 * commit (outbox_write): the records call nothing above them. */
static store_code notify_later(dbs *st, uint64_t seq, store_err *err)
{
	if (st->n_notify == st->cap_notify) {
		size_t cap = st->cap_notify ? st->cap_notify * 2 : 16;
		uint64_t *v = realloc(st->notify_seq, cap * sizeof *v);
		if (!v)
			return err_oom(err);
		st->notify_seq = v;
		st->cap_notify = cap;
	}
	st->notify_seq[st->n_notify++] = seq;
	return STORE_OK;
}

store_code rec_add_event(dbs *st, DB_TXN *txn, record_event *ev, store_err *err)
{
	char now[40];
	record_timestamp_now(now, sizeof now);
	const dbs_ctx *cx = st->cx;
	ev->time = cx && cx->event_time ? (char *)cx->event_time : now;
	ev->actor = cx ? (char *)(cx->actor && *cx->actor ? cx->actor : "unknown") : st->actor;
	ev->user = cx && cx->user && *cx->user ? (char *)cx->user : NULL;
	store_code c = put_event(st, txn, ev, err);
	if (!c && rules_event_notice(ev->action))
		c = notify_later(st, ev->seq, err);
	ev->time = ev->actor = ev->user = NULL;
	return c;
}

store_code rec_restore_event(dbs *st, DB_TXN *txn, const record_event *ev, const char *exec_id, store_err *err)
{
	record_event e = *ev; /* shallow: a new sequence, the rest as it was */
	e.execution_id = (char *)exec_id;
	return put_event(st, txn, &e, err);
}
