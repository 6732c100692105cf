/* dbs_rec.h - records inside a transaction (dbs_rec.c); private to store/bdb. */
#ifndef SEESTORE_DBS_REC_H
#define SEESTORE_DBS_REC_H

#include "dbs_handle.h"

store_code meta_get_u64(dbs *st, DB_TXN *txn, const char *name, uint64_t *v, u_int32_t flags, store_err *err);
store_code meta_put_u64(dbs *st, DB_TXN *txn, const char *name, uint64_t v, store_err *err);
/* The state record; a home without one reads as zeros. */
store_code state_read(dbs *st, DB_TXN *txn, meta_state *s, u_int32_t flags, store_err *err);
store_code state_write(dbs *st, DB_TXN *txn, const meta_state *s, store_err *err);
/* The state of the running write transaction: read for update on first use. */
store_code txn_state(dbs *st, DB_TXN *txn, meta_state **s, store_err *err);
/* Writes the state record at the end of a write transaction. */
store_code state_finish(dbs *st, DB_TXN *txn, store_err *err);

store_code rec_get_exec(dbs *st, DB_TXN *txn, const char *id, record_exec *e, u_int32_t flags, store_err *err);
store_code rec_get_task(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_task *t,
			u_int32_t flags, store_err *err);
/* An execution and one of its tasks, both read for update; on failure
 * neither is left to free. */
store_code rec_get_exec_task(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_exec *e,
			     record_task *t, store_err *err);
/* Writes an execution, keeping indexes and counts in step with `old` (NULL = new). */
store_code rec_put_exec(dbs *st, DB_TXN *txn, const record_exec *e, const record_exec *old, store_err *err);
/* Removes an execution record with its index entry and count. */
store_code rec_del_exec(dbs *st, DB_TXN *txn, const record_exec *old, store_err *err);
store_code rec_put_task(dbs *st, DB_TXN *txn, const record_task *t, store_err *err);
/* Keeps the deadline index in step with a task: present while it waits with
 * a deadline (rec_put_task calls it; deleting a task calls it with false). */
store_code rec_deadline_index(dbs *st, DB_TXN *txn, const record_task *t, bool present, store_err *err);
store_code rec_put_raw(dbs *st, DB_TXN *txn, dbi which, const void *k, size_t kn, const void *v, size_t vn,
		       store_err *err);
store_code rec_del_raw(dbs *st, DB_TXN *txn, dbi which, const void *k, size_t kn, store_err *err);
/* Hands every record of a database to fn in key order (keys_only: with an
 * empty value), until fn returns other than STORE_OK (it fills err then). */
store_code rec_each(dbs *st, DB_TXN *txn, dbi which, bool keys_only,
		    store_code (*fn)(void *ctx, const DBT *k, const DBT *d), void *ctx, store_err *err);
/* Appends an audit event of the running transaction, with its time, actor
 * and user from st->cx; an event that notifies hooks is noted in
 * st->notify_seq for outbox_write. */
store_code rec_add_event(dbs *st, DB_TXN *txn, record_event *ev, store_err *err);
/* rec_add_event from its parts (value: the input given, or NULL; reason:
 * why, or NULL). */
store_code rec_event(dbs *st, DB_TXN *txn, const char *action, const char *exec_id, const char *task_id,
		     const char *before, const char *after, const record_text *value, const record_text *reason,
		     store_err *err);
/* An event of an imported trail: a new sequence number, its own time and actor. */
store_code rec_restore_event(dbs *st, DB_TXN *txn, const record_event *ev, const char *exec_id, store_err *err);
/* Refuses (STORE_INVALID_STATE, with why) when the running request's user
 * may not answer task t of e: store_may_answer with the request's user. */
store_code rec_may_answer(dbs *st, const record_exec *e, const record_task *t, store_err *err);
/* Records an answer in a task (booleans in one spelling). 0, or -1 out of memory. */
int rec_task_answer(record_task *t, const char *v, size_t len);
/* Replaces a string field with a copy of s (NULL: none); 0 or -1 out of memory. */
int rec_set_str(char **dst, const char *s);
/* A task's log lines, each a record of logs.db: appended as lines
 * first..first+n-1; removed (all of them); read (lines from..from+limit-1,
 * stopping early past max_bytes) into a new array the caller frees with
 * record_text entries. */
store_code rec_put_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, uint64_t first,
			const record_text *lines, size_t n, store_err *err);
store_code rec_del_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, store_err *err);
store_code rec_read_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, uint64_t from, size_t limit,
			 size_t max_bytes, record_text **out, size_t *n, store_err *err);
/* A task's lines into t->logs (t->log_count says how many it has): with no
 * budget its newest (at most 1,000 and 4 MB); with one, from its first line
 * on, as many as *budget bytes hold (one line more at most), and *budget
 * goes down by what was read. */
store_code rec_load_logs(dbs *st, DB_TXN *txn, record_task *t, size_t *budget, store_err *err);

#endif
