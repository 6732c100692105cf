/* dbs_moves.h - the moves several operations share (dbs_moves.c); private to store/bdb. */
#ifndef SEESTORE_DBS_MOVES_H
#define SEESTORE_DBS_MOVES_H

#include "dbs_handle.h"

/* The execution waits on its first waiting task in task order, or runs when
 * none waits; `t` is a task of the running transaction not yet written. */
store_code exec_settle(dbs *st, DB_TXN *txn, record_exec *e, const record_task *t, store_err *err);
/* The execution ends (complete or failed) at `now`, and is written. */
store_code exec_end(dbs *st, DB_TXN *txn, record_exec *e, exec_status status, const char *now, store_err *err);
/* How a waiting task resumes: with `value` (NULL: its default, unless
 * no_default), its event written as `action` (NULL: resume-task) with
 * `reason` (NULL: none). */
typedef struct resume_how {
	const char *value;
	size_t value_len;
	bool no_default;
	const record_text *reason;
	const char *action;
} resume_how;
/* Resumes a waiting task within the running transaction: the operator's
 * resume, and the timer's default or skip. */
store_code task_resume(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, const resume_how *how,
		       store_err *err);
/* Sets (seconds 0: removes) a task's deadline `seconds` after `now`, with
 * its policy and when it was set. */
store_code task_deadline_set(record_task *t, uint64_t seconds, record_on_timeout policy, const char *now,
			     store_err *err);
/* Fails a task with a reason at `now`. */
store_code task_fail_now(record_task *t, const char *reason, const char *now, store_err *err);

#endif
