/* rules.h - the status rules of each operation, with no I/O: which
 * statuses an operation may find and move to which, and when it may not,
 * why, in the words the user reads.  The Berkeley DB layer reads the
 * records inside its transaction and asks here before it changes anything.
 *
 * A check returns STORE_OK to allow, or fills err and returns its code
 * (STORE_INVALID_STATE unless said otherwise).  The public rules
 * (store_task_move, store_task_needs_answer, ...) are in store.h; these
 * are private to libseestore. */
#ifndef SEESTORE_RULES_H
#define SEESTORE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A deadline is at most ten years away (3650 days, as store.h says). */
#define RULES_DEADLINE_MAX_S (3650ull * 86400)

/* ---- an execution ---- */

/* Not ended: running, or waiting for input. */
bool rules_exec_live(const record_exec *e);
/* Refuses an execution that has ended (an engine's call, an attach, a cancel). */
store_code rules_exec_not_ended(const record_exec *e, store_err *err);
/* The execution waits on `first_waiting` (its first waiting task in task
 * order, or the task a pause names), or runs again when that is NULL: the
 * one place its status, is_paused and paused_task_id are set together.
 * 0, or -1 out of memory (e unchanged). */
int rules_exec_settle(record_exec *e, const char *first_waiting);

/* ---- the engine's calls ---- */

/* An engine moves task t of e (`action`: begin, complete, fail,
 * request-input): e has not ended, the move starts from t's status (else
 * the operator changed it first), and an input is asked for once.  *to is
 * the status the task moves to. */
store_code rules_engine_move(const char *action, const record_exec *e, const record_task *t, task_status *to,
			     store_err *err);
/* An execution finishes complete or failed (STORE_INVALID_INPUT otherwise). */
store_code rules_finish_to(exec_status to, store_err *err);
/* Finishing e: it has not ended, and completes only from running. */
store_code rules_exec_finish(const record_exec *e, exec_status to, store_err *err);
/* A task that finishing e as `to` meets: a task in progress or waiting
 * refuses a completion, and fails with a failure (*fails). */
store_code rules_finish_task(const record_exec *e, exec_status to, const record_task *t, bool *fails,
			     store_err *err);

/* ---- the operator's decisions ---- */

/* Pausing task t of e: e runs or waits, and t may move to *to. */
store_code rules_pause(const record_exec *e, const record_task *t, task_status *to, store_err *err);
/* Resuming one task: it waits for input (else someone, or its deadline's
 * timer, acted first), and moves to *to. */
store_code rules_resume_task(const record_task *t, task_status *to, store_err *err);

/* What resuming or rejecting a whole execution finds among its tasks:
 * how many wait, and which of them still need an answer (their ids, as
 * many as the message holds). */
typedef struct rules_tally {
	size_t waiting;
	size_t missing;
	char missing_ids[600];
} rules_tally;
void rules_tally_add(rules_tally *tl, const record_task *t);
/* Resuming a whole execution, before its tasks are read: it waits for input. */
store_code rules_resume_workflow(const record_exec *e, store_err *err);
/* ... and after: no waiting task lacks a required answer
 * (STORE_INVALID_INPUT, naming them), and one task at least waits. */
store_code rules_resume_workflow_tasks(const record_exec *e, const rules_tally *tl, store_err *err);
/* Rejecting the task t named: it waits for input. */
store_code rules_reject_task(const record_task *t, store_err *err);
/* Rejecting every waiting task of e: one at least waits. */
store_code rules_reject_all(const record_exec *e, const rules_tally *tl, store_err *err);
/* Cancelling e: it has not ended; *fails says whether task t fails with
 * it (a task that has not ended), *answers whether the canceller must be
 * one who may answer t (a waiting task). */
store_code rules_cancel(const record_exec *e, store_err *err);
void rules_cancel_task(const record_task *t, bool *fails, bool *answers);
/* Changing who may answer task t of e: t has not ended. */
store_code rules_respondents(const record_exec *e, const record_task *t, store_err *err);

/* ---- deadlines ---- */

/* Setting a deadline on task t of e: t waits for input. */
store_code rules_deadline_set(const record_exec *e, const record_task *t, store_err *err);
/* Whether t's input request allows the on-timeout policy
 * (STORE_INVALID_INPUT otherwise). */
store_code rules_deadline_policy(const record_task *t, record_on_timeout policy, store_err *err);
/* What the timer does to a task whose deadline has passed. */
typedef enum rules_timeout {
	RULES_TIMEOUT_STALE,   /* nothing: it no longer waits with that deadline (us) */
	RULES_TIMEOUT_DEFAULT, /* resume it with its default */
	RULES_TIMEOUT_SKIP,    /* resume it with no answer */
	RULES_TIMEOUT_FAIL,    /* fail it */
} rules_timeout;
rules_timeout rules_timeout_action(const record_task *t, int64_t us);

/* ---- notifications ---- */

/* The notifications a hook may run on, NULL-ended: waiting, paused,
 * timeout, rejected, cancelled. */
extern const char *const rules_notices[];
/* The notification an event of `action` gives (an operator's pause asks
 * nothing, so it is "paused", not "waiting"), or NULL: none. */
const char *rules_event_notice(const char *action);

#endif
