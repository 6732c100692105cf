/* dbs_moves.c - the moves that several operations make inside their own
 * transaction: an execution settles on its first waiting task or ends, a
 * task fails, gets a deadline, or resumes (the operator's resume, and the
 * timer's default or skip).  The model (rules.h) says which moves are
 * allowed; these write them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dbs_rec.h"
#include "dbs_moves.h"
#include "rules.h"

store_code exec_settle(dbs *st, DB_TXN *txn, record_exec *e, const record_task *t, store_err *err)
{
	const char *first = NULL;
	store_code c = STORE_OK;
	for (size_t i = 0; i < e->n_task_ids && !first && !c; i++) {
		if (strcmp(e->task_ids[i], t->task_id) == 0) {
			if (t->status == TASK_WAITING)
				first = e->task_ids[i];
			continue;
		}
		record_task o;
		if ((c = rec_get_task(st, txn, e->id, e->task_ids[i], &o, 0, err)))
			break;
		if (o.status == TASK_WAITING)
			first = e->task_ids[i];
		record_task_free(&o);
	}
	if (c)
		return c;
	return rules_exec_settle(e, first) < 0 ? err_oom(err) : STORE_OK;
}

/* The execution ends (complete or failed) at `now`: the one place that
 * writes an end, clearing the pause. */
store_code exec_end(dbs *st, DB_TXN *txn, record_exec *e, exec_status status, const char *now, store_err *err)
{
	record_exec old = { 0 };
	if (record_exec_copy(&old, e) < 0)
		return err_oom(err);
	e->status = status;
	e->is_paused = false;
	free(e->paused_task_id);
	e->paused_task_id = NULL;
	store_code c = rec_set_str(&e->end_timestamp, now) < 0 ? err_oom(err) : rec_put_exec(st, txn, e, &old, err);
	record_exec_free(&old);
	return c;
}

store_code task_fail_now(record_task *t, const char *reason, const char *now, store_err *err)
{
	t->status = TASK_FAILED;
	t->has_reason = true;
	record_text_free(&t->reason);
	if (record_text_set(&t->reason, reason, strlen(reason)) < 0 || rec_set_str(&t->end_timestamp, now) < 0)
		return err_oom(err);
	return STORE_OK;
}

store_code task_deadline_set(record_task *t, uint64_t seconds, record_on_timeout policy, const char *now,
			     store_err *err)
{
	char when[40];
	int64_t us = 0;
	record_timestamp_parse(now, &us);
	record_timestamp_format(us + (int64_t)seconds * 1000000, when, sizeof when);
	if (rec_set_str(&t->input_deadline, seconds ? when : NULL) < 0 ||
	    rec_set_str(&t->deadline_from, seconds ? now : NULL) < 0)
		return err_oom(err);
	t->on_timeout = seconds ? policy : TIMEOUT_FAIL;
	return STORE_OK;
}

store_code task_resume(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, const resume_how *a,
			store_err *err)
{
	record_exec e, old = { 0 };
	record_task t;
	char why[512];
	store_code c = rec_get_exec_task(st, txn, exec_id, task_id, &e, &t, err);
	if (c)
		return c;
	task_status to;
	if ((c = rules_resume_task(&t, &to, err)))
		goto out;
	if ((c = rec_may_answer(st, &e, &t, err)))
		goto out;
	if (store_input_check(&t, a->value, a->value_len, why, sizeof why) < 0) {
		c = err_set(err, STORE_INVALID_INPUT, "%s", why);
		goto out;
	}
	const char *v = a->value;
	size_t vlen = a->value_len;
	if (!v && t.has_input && t.has_input_default && !a->no_default) {
		v = t.input_default.s;
		vlen = t.input_default.len;
	}
	if (v && rec_task_answer(&t, v, vlen) < 0) {
		c = err_oom(err);
		goto out;
	}
	t.status = to;
	t.end_timestamp[0] = '\0';
	if ((c = rec_put_task(st, txn, &t, err)))
		goto out;
	if (record_exec_copy(&old, &e) < 0) {
		c = err_oom(err);
		goto out;
	}
	/* the execution stays paused on the first task that still waits */
	if (!(c = exec_settle(st, txn, &e, &t, err)))
		c = rec_put_exec(st, txn, &e, &old, err);
	if (!c)
		c = rec_event(st, txn, a->action ? a->action : "resume-task", e.id, t.task_id,
			      status_task_name(TASK_WAITING), status_task_name(to),
			      t.has_input_value && v ? &t.input_value : NULL, a->reason, err);
	record_exec_free(&old);
out:
	record_task_free(&t);
	record_exec_free(&e);
	return c;
}
