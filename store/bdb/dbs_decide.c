/* dbs_decide.c - the operator's decisions: pause a task, resume a task or
 * a workflow, reject a task, cancel an execution, say who may answer.
 *
 * Each decision reads and writes the task records, the execution record, its
 * indexes, counters and the audit event in one transaction: all of it is
 * durable or none of it is (the plan saved the task and the workflow in
 * separate writes, and a crash between them left them inconsistent).  The
 * model (rules.h) says which statuses each one may find; the deadline's
 * (dbs_timer.c) and the engine's (dbs_engine.c) calls are apart. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_rec.h"
#include "dbs_txn.h"
#include "dbs_moves.h"
#include "rules.h"

typedef struct op_arg {
	const char *exec_id;
	const char *task_id;
	const char *value;
	size_t value_len;
} op_arg;


static store_code pause_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	op_arg *a = arg;
	record_exec e, old = { 0 };
	record_task t;
	store_code c = rec_get_exec_task(st, txn, a->exec_id, a->task_id, &e, &t, err);
	if (c)
		return c;
	task_status to;
	if ((c = rules_pause(&e, &t, &to, err)))
		goto out;
	if ((c = record_exec_copy(&old, &e) < 0 ? err_oom(err) : STORE_OK))
		goto out;
	const char *before = status_task_name(t.status);
	t.status = to;
	t.end_timestamp[0] = '\0';
	if (rules_exec_settle(&e, a->task_id) < 0)
		c = err_oom(err);
	if (!c)
		c = rec_put_task(st, txn, &t, err);
	if (!c)
		c = rec_put_exec(st, txn, &e, &old, err);
	if (!c)
		c = rec_event(st, txn, "pause", a->exec_id, a->task_id, before, status_task_name(TASK_WAITING), NULL,
			      NULL, err);
	record_exec_free(&old);
out:
	record_task_free(&t);
	record_exec_free(&e);
	return c;
}

store_code dbs_pause_task(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, store_err *err)
{
	op_arg a = { exec_id, task_id, NULL, 0 };
	return txn_write_for(st, cx, pause_txn, &a, err);
}

static store_code resume_workflow_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	op_arg *a = arg;
	record_exec e, old = { 0 };
	store_code c = rec_get_exec(st, txn, a->exec_id, &e, DB_RMW, err);
	if (c)
		return c;
	if ((c = rules_resume_workflow(&e, err))) {
		record_exec_free(&e);
		return c;
	}
	/* a required answer is never skipped: every waiting task that needs
	 * one has it, or a default, before anything changes */
	rules_tally tl = { 0 };
	for (size_t i = 0; i < e.n_task_ids && !c; i++) {
		record_task t;
		if ((c = rec_get_task(st, txn, e.id, e.task_ids[i], &t, 0, err)))
			break;
		if (t.status == TASK_WAITING && (c = rec_may_answer(st, &e, &t, err))) {
			record_task_free(&t);
			break;
		}
		rules_tally_add(&tl, &t);
		record_task_free(&t);
	}
	if (!c && (c = rules_resume_workflow_tasks(&e, &tl, err))) {
		record_exec_free(&e);
		return c;
	}
	for (size_t i = 0; i < e.n_task_ids && !c; i++) {
		record_task t;
		if ((c = rec_get_task(st, txn, e.id, e.task_ids[i], &t, DB_RMW, err)))
			break;
		task_status to;
		if (store_task_move("resume-task", t.status, &to) == 0) {
			t.status = to;
			t.end_timestamp[0] = '\0';
			/* the default is the answer */
			if (t.has_input && !t.has_input_value && t.has_input_default &&
			    rec_task_answer(&t, t.input_default.s, t.input_default.len) < 0)
				c = err_oom(err);
			if (!c)
				c = rec_put_task(st, txn, &t, err);
		}
		record_task_free(&t);
	}
	if (!c && record_exec_copy(&old, &e) < 0)
		c = err_oom(err);
	if (!c) {
		rules_exec_settle(&e, NULL); /* runs again: no allocation, no failure */
		c = rec_put_exec(st, txn, &e, &old, err);
		record_exec_free(&old);
	}
	if (!c)
		c = rec_event(st, txn, "resume-workflow", e.id, NULL, status_exec_name(EXEC_WAITING),
			      status_exec_name(EXEC_RUNNING), NULL, NULL, err);
	record_exec_free(&e);
	return c;
}

store_code dbs_resume_workflow(dbs *st, dbs_ctx *cx, const char *exec_id, store_err *err)
{
	op_arg a = { exec_id, NULL, NULL, 0 };
	return txn_write_for(st, cx, resume_workflow_txn, &a, err);
}

static store_code resume_task_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	const op_arg *a = arg;
	resume_how how = { a->value, a->value_len, false, NULL, NULL };
	return task_resume(st, txn, a->exec_id, a->task_id, &how, err);
}

store_code dbs_resume_task(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, const char *value,
			   size_t value_len, store_err *err)
{
	op_arg a = { exec_id, task_id, value, value_len };
	return txn_write_for(st, cx, resume_task_txn, &a, err);
}

/* ---- who may answer ---- */

typedef struct resp_arg {
	const char *exec_id, *task_id;
	const char *const *names;
	size_t n;
	bool no_self;
} resp_arg;

static store_code respondents_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	resp_arg *a = arg;
	record_exec e, old = { 0 };
	record_task t;
	store_code c = rec_get_exec_task(st, txn, a->exec_id, a->task_id, &e, &t, err);
	if (c)
		return c;
	if ((c = rules_respondents(&e, &t, err)))
		goto out;
	/* the rules of a restricted task are changed only by one it names */
	if (t.n_respondents && (c = rec_may_answer(st, &e, &t, err)))
		goto out;
	char **v = a->n ? calloc(a->n, sizeof *v) : NULL;
	for (size_t i = 0; v && i < a->n; i++)
		if (!(v[i] = record_strdup(a->names[i]))) {
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			v = NULL;
		}
	if (a->n && !v) {
		c = err_oom(err);
		goto out;
	}
	for (size_t i = 0; i < t.n_respondents; i++)
		free(t.respondents[i]);
	free(t.respondents);
	t.respondents = v;
	t.n_respondents = a->n;
	t.no_self_approval = a->no_self;
	if (record_exec_copy(&old, &e) < 0) {
		c = err_oom(err);
		goto out;
	}
	if ((c = rec_put_task(st, txn, &t, err)) || (c = rec_put_exec(st, txn, &e, &old, err)))
		goto out;
	char what[600] = "";
	for (size_t i = 0; i < a->n; i++) {
		size_t o = strlen(what);
		snprintf(what + o, sizeof what - o, "%s%s", i ? ", " : "", a->names[i]);
	}
	if (!a->n)
		snprintf(what, sizeof what, "anyone who may write");
	if (a->no_self) {
		size_t o = strlen(what);
		snprintf(what + o, sizeof what - o, " (not the user who started it)");
	}
	record_text why = { what, strlen(what) };
	c = rec_event(st, txn, "respondents", e.id, t.task_id, NULL, NULL, NULL, &why, err);
out:
	record_exec_free(&old);
	record_task_free(&t);
	record_exec_free(&e);
	return c;
}

store_code dbs_task_respondents(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id,
				const char *const *names, size_t n,
				bool no_self_approval, store_err *err)
{
	if (n > STORE_RESPONDENTS_MAX)
		return err_set(err, STORE_INVALID_INPUT, "at most %d respondents", STORE_RESPONDENTS_MAX);
	for (size_t i = 0; i < n; i++)
		if (store_respondent_check(names[i]) < 0)
			return err_set(err, STORE_INVALID_INPUT,
				       "respondent '%s' is not a user or @group name (1-64 letters, digits, '.', '_', '-')",
				       names[i]);
	resp_arg a = { exec_id, task_id, names, n, no_self_approval };
	return txn_write_for(st, cx, respondents_txn, &a, err);
}

/* ---- reject, cancel ---- */

typedef struct decide_arg {
	const char *exec_id, *task_id, *reason;
} decide_arg;

static store_code reject_one(dbs *st, DB_TXN *txn, const record_exec *e, record_task *t, const char *reason,
			     const char *now, store_err *err)
{
	store_code c = rec_may_answer(st, e, t, err);
	if (!c)
		c = task_fail_now(t, reason, now, err);
	if (!c)
		c = rec_put_task(st, txn, t, err);
	if (!c)
		c = rec_event(st, txn, "reject", t->execution_id, t->task_id, status_task_name(TASK_WAITING),
			      status_task_name(TASK_FAILED), NULL, &t->reason, err);
	return c;
}

/* Rejects one waiting task, or (no task named) every one of the execution. */
static store_code reject_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	decide_arg *a = arg;
	record_exec e, old = { 0 };
	record_task t = { 0 };
	char now[40];
	record_timestamp_now(now, sizeof now);
	store_code c;
	if (a->task_id) {
		if ((c = rec_get_exec_task(st, txn, a->exec_id, a->task_id, &e, &t, err)))
			return c;
		if ((c = rules_reject_task(&t, err)))
			goto out;
		c = reject_one(st, txn, &e, &t, a->reason, now, err);
	} else {
		if ((c = rec_get_exec(st, txn, a->exec_id, &e, DB_RMW, err)))
			return c;
		rules_tally tl = { 0 };
		for (size_t i = 0; i < e.n_task_ids && !c; i++) {
			record_task o;
			if ((c = rec_get_task(st, txn, e.id, e.task_ids[i], &o, DB_RMW, err)))
				break;
			task_status to;
			if (store_task_move("reject", o.status, &to) == 0) {
				rules_tally_add(&tl, &o);
				c = reject_one(st, txn, &e, &o, a->reason, now, err);
				record_task_free(&t);
				t = o; /* the last one settles the execution */
			} else {
				record_task_free(&o);
			}
		}
		if (!c)
			c = rules_reject_all(&e, &tl, err);
	}
	if (!c && record_exec_copy(&old, &e) < 0)
		c = err_oom(err);
	if (!c && !(c = exec_settle(st, txn, &e, &t, err)))
		c = rec_put_exec(st, txn, &e, &old, err);
out:
	record_exec_free(&old);
	record_task_free(&t);
	record_exec_free(&e);
	return c;
}

static store_code reason_ok(const char *reason, const char *what, store_err *err)
{
	if (!reason || !*reason)
		return err_set(err, STORE_INVALID_INPUT, "%s needs a reason", what);
	if (strlen(reason) > STORE_TEXT_MAX)
		return err_set(err, STORE_INVALID_INPUT, "the reason to %s is over 64 KiB", what);
	return STORE_OK;
}

store_code dbs_task_reject(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, const char *reason,
			   store_err *err)
{
	store_code c = reason_ok(reason, "reject a task", err);
	if (c)
		return c;
	decide_arg a = { exec_id, task_id, reason };
	return txn_write_for(st, cx, reject_txn, &a, err);
}

static store_code cancel_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	decide_arg *a = arg;
	record_exec e;
	char now[40];
	record_timestamp_now(now, sizeof now);
	store_code c = rec_get_exec(st, txn, a->exec_id, &e, DB_RMW, err);
	if (c)
		return c;
	exec_status before = e.status;
	if ((c = rules_cancel(&e, err))) {
		record_exec_free(&e);
		return c;
	}
	for (size_t i = 0; i < e.n_task_ids && !c; i++) {
		record_task t;
		bool fails, answers;
		if ((c = rec_get_task(st, txn, e.id, e.task_ids[i], &t, DB_RMW, err)))
			break;
		rules_cancel_task(&t, &fails, &answers);
		if (answers)
			c = rec_may_answer(st, &e, &t, err);
		if (!c && fails && !(c = task_fail_now(&t, a->reason, now, err)))
			c = rec_put_task(st, txn, &t, err);
		record_task_free(&t);
	}
	if (!c)
		c = exec_end(st, txn, &e, EXEC_FAILED, now, err);
	if (!c) {
		record_text why = { (char *)a->reason, strlen(a->reason) };
		c = rec_event(st, txn, "cancel", e.id, NULL, status_exec_name(before), status_exec_name(EXEC_FAILED),
			      NULL, &why, err);
	}
	record_exec_free(&e);
	return c;
}

store_code dbs_exec_cancel(dbs *st, dbs_ctx *cx, const char *exec_id, const char *reason, store_err *err)
{
	store_code c = reason_ok(reason, "cancel an execution", err);
	if (c)
		return c;
	decide_arg a = { exec_id, NULL, reason };
	return txn_write_for(st, cx, cancel_txn, &a, err);
}
