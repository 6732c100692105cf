/* dbs_rec.c - records inside a transaction: the state record (generation,
 * event sequence, counts), executions with their status index entries,
 * tasks, audit events. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_int.h"

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
	unsigned char key[300];
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

/* The status index entry and the counts follow the record: the entry of
 * `old` goes, `e`'s is written (with `rec`, its encoded record, as value). */
static store_code index_update(dbs *st, DB_TXN *txn, const record_exec *e, const record_buf *rec,
			       const record_exec *old, store_err *err)
{
	unsigned char k[200];
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

store_code rec_put_exec(dbs *st, DB_TXN *txn, const record_exec *e, const record_exec *old, store_err *err)
{
	record_buf b = { 0 };
	if (record_encode_exec(e, &b) < 0)
		return err_set(err, STORE_STORAGE, "out of memory encoding execution '%s'", e->id);
	store_code c = rec_put_raw(st, txn, DBI_EXECS, e->id, strlen(e->id), b.data, b.len, err);
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
	unsigned char key[300];
	record_buf b = { 0 };
	size_t kn = key_task(key, sizeof key, t->execution_id, t->task_id);
	if (!kn)
		return err_set(err, STORE_INVALID_INPUT, "task id '%s' is too long", t->task_id);
	if (record_encode_task(t, &b) < 0)
		return err_set(err, STORE_STORAGE, "out of memory encoding task '%s'", t->task_id);
	store_code c = rec_put_raw(st, txn, DBI_TASKS, key, kn, b.data, b.len, err);
	record_buf_free(&b);
	return c;
}

store_code rec_add_event(dbs *st, DB_TXN *txn, record_event *ev, store_err *err)
{
	meta_state *ms;
	char now[40];
	store_code c = txn_state(st, txn, &ms, err);
	if (c)
		return c;
	uint64_t seq = ++ms->event_seq;
	ev->seq = seq;
	record_timestamp_now(now, sizeof now);
	ev->time = now;
	ev->actor = st->actor;
	record_buf b = { 0 };
	int rc = record_encode_event(ev, &b);
	ev->time = ev->actor = NULL;
	if (rc < 0)
		return err_set(err, STORE_STORAGE, "out of memory encoding an event");
	unsigned char k[8];
	key_u64(k, seq);
	c = rec_put_raw(st, txn, DBI_EVENTS, k, 8, b.data, b.len, err);
	record_buf_free(&b);
	if (c || !ev->execution_id)
		return c;
	unsigned char ik[200];
	size_t n = strlen(ev->execution_id);
	if (n + 9 > sizeof ik)
		return STORE_OK;
	memcpy(ik, ev->execution_id, n);
	ik[n] = '\0';
	key_u64(ik + n + 1, seq);
	return rec_put_raw(st, txn, DBI_EV_BY_EXEC, ik, n + 9, "", 0, err);
}

