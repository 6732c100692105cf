/* dbs_engine.c - the engine's calls: start an execution, move its tasks,
 * append to their logs, ask for input, finish, attach.
 *
 * Every transition is a compare-and-set on the status read inside the same
 * transaction that writes it: an engine working from an old picture of an
 * execution (an operator paused, resumed or answered since) is refused and
 * changes nothing, so an acknowledged operator action is never undone. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_rec.h"
#include "dbs_txn.h"
#include "dbs_moves.h"
#include "rules.h"

#define set_str rec_set_str

/* ---- starting ---- */

/* Starting or attaching: the engine's pid and host, with the definition
 * (start) or the execution's id (attach). */
typedef struct engine_arg {
	const store_item *def;
	const char *exec_id;
	uint64_t pid;
	const char *host;
} engine_arg;

static store_code start_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	engine_arg *a = arg;
	const store_item *def = a->def;
	record_exec old;
	store_code c = rec_get_exec(st, txn, def->exec.id, &old, DB_RMW, err);
	if (c == STORE_OK) {
		c = err_set(err, STORE_EXISTS, "execution '%s' already exists (status: %s): choose another id",
			    def->exec.id, status_exec_name(old.status));
		record_exec_free(&old);
		return c;
	}
	if (c != STORE_NOT_FOUND)
		return c;
	memset(err, 0, sizeof *err);
	c = STORE_OK;
	char now[40];
	record_timestamp_now(now, sizeof now);
	record_exec e = def->exec; /* shallow: the store's fields set here */
	e.start_timestamp = def->exec.start_timestamp && *def->exec.start_timestamp ? def->exec.start_timestamp : now;
	e.end_timestamp = NULL;
	e.status = EXEC_RUNNING;
	e.is_paused = false;
	e.paused_task_id = NULL;
	e.tasks_complete = 0;
	e.engine_pid = a->pid;
	e.engine_host = (char *)a->host;
	e.started_by = st->cx && st->cx->user && *st->cx->user ? (char *)st->cx->user : NULL;
	for (size_t i = 0; i < def->n_tasks && !c; i++) {
		record_task t = def->tasks[i];
		t.input_deadline = t.deadline_from = NULL;
		for (size_t k = 0; k < t.n_respondents; k++)
			if (store_respondent_check(t.respondents[k]) < 0)
				c = err_set(err, STORE_INVALID_INPUT, "task '%s': respondent '%s' is not a user or @group name",
					    t.task_id, t.respondents[k]);
		if (t.n_respondents > STORE_RESPONDENTS_MAX)
			c = err_set(err, STORE_INVALID_INPUT, "task '%s' names more than %d respondents", t.task_id,
				    STORE_RESPONDENTS_MAX);
		if (c)
			break;
		t.status = TASK_PENDING;
		t.start_timestamp = (char *)"";
		t.end_timestamp = (char *)"";
		t.logs = NULL;
		t.n_logs = 0;
		t.log_count = 0;
		t.has_input_value = false;
		t.has_reason = false;
		t.input_asked = false;
		c = rec_put_task(st, txn, &t, err);
	}
	if (!c)
		c = rec_put_exec(st, txn, &e, NULL, err);
	if (!c)
		c = rec_event(st, txn, "start", e.id, NULL, NULL, status_exec_name(EXEC_RUNNING), NULL, NULL, err);
	return c;
}

store_code dbs_exec_start(dbs *st, dbs_ctx *cx, const store_item *def, uint64_t pid, const char *host, store_err *err)
{
	char why[512];
	memset(err, 0, sizeof *err);
	/* the definition is checked as the execution it becomes */
	store_item probe = *def;
	record_exec pe = def->exec;
	char now[40];
	record_timestamp_now(now, sizeof now);
	if (!pe.start_timestamp || !*pe.start_timestamp)
		pe.start_timestamp = now;
	pe.status = EXEC_RUNNING;
	pe.end_timestamp = NULL;
	pe.is_paused = false;
	pe.paused_task_id = NULL;
	probe.exec = pe;
	record_task *tasks = calloc(def->n_tasks ? def->n_tasks : 1, sizeof *tasks);
	if (!tasks)
		return err_oom(err);
	for (size_t i = 0; i < def->n_tasks; i++) {
		tasks[i] = def->tasks[i];
		tasks[i].status = TASK_PENDING;
		tasks[i].start_timestamp = (char *)"";
		tasks[i].end_timestamp = (char *)"";
		tasks[i].n_logs = 0;
		tasks[i].has_input_value = false;
	}
	probe.tasks = tasks;
	int bad = store_item_check(&probe, why, sizeof why);
	free(tasks);
	if (bad < 0)
		return err_set(err, STORE_INVALID_INPUT, "%s", why);
	engine_arg a = { def, NULL, pid, host };
	return txn_write_for(st, cx, start_txn, &a, err);
}

/* ---- task transitions ---- */

typedef enum tr_kind { TR_BEGIN, TR_COMPLETE, TR_FAIL, TR_REQUEST } tr_kind;

typedef struct tr_arg {
	tr_kind kind;
	const char *exec_id, *task_id;
	const char *reason;
	const store_input_request *rq;
} tr_arg;

/* the audit trail's action of each; the model says which status it moves
 * a task from, and to (rules_engine_move) */
static const struct {
	const char *action;
} tr_rule[] = {
	[TR_BEGIN] = { "begin" },
	[TR_COMPLETE] = { "complete" },
	[TR_FAIL] = { "fail" },
	[TR_REQUEST] = { "request-input" },
};

static store_code tr_apply(record_task *t, const tr_arg *a, const char *now, store_err *err)
{
	switch (a->kind) {
	case TR_BEGIN:
		return set_str(&t->start_timestamp, now) < 0 || set_str(&t->end_timestamp, "") < 0 ? err_oom(err) : STORE_OK;
	case TR_COMPLETE:
		return set_str(&t->end_timestamp, now) < 0 ? err_oom(err) : STORE_OK;
	case TR_FAIL:
		record_text_free(&t->reason);
		t->has_reason = true;
		return set_str(&t->end_timestamp, now) < 0 ||
				       record_text_set(&t->reason, a->reason, strlen(a->reason)) < 0
			       ? err_oom(err)
			       : STORE_OK;
	case TR_REQUEST: {
		const store_input_request *rq = a->rq;
		store_code c;
		t->has_input = true;
		t->input_asked = true;
		t->input_type = rq->type;
		t->input_required = rq->required;
		record_text_free(&t->input_prompt);
		record_text_free(&t->input_default);
		record_text_free(&t->input_value);
		t->has_input_value = false;
		t->has_input_default = rq->default_value != NULL;
		const char *p = rq->prompt ? rq->prompt : "";
		if (record_text_set(&t->input_prompt, p, strlen(p)) < 0 ||
		    (rq->default_value && record_text_set(&t->input_default, rq->default_value, rq->default_len) < 0))
			return err_oom(err);
		if (rq->timeout_s && (c = rules_deadline_policy(t, rq->on_timeout, err)))
			return c;
		return task_deadline_set(t, rq->timeout_s, rq->on_timeout, now, err);
	}
	}
	return STORE_OK;
}

static store_code tr_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	tr_arg *a = arg;
	record_exec e, old = { 0 };
	record_task t;
	store_code c = rec_get_exec_task(st, txn, a->exec_id, a->task_id, &e, &t, err);
	if (c)
		return c;
	task_status from = t.status, to = TASK_STATUS_COUNT;
	char now[40];
	record_timestamp_now(now, sizeof now);
	if ((c = rules_engine_move(tr_rule[a->kind].action, &e, &t, &to, err)))
		goto out;
	if ((c = tr_apply(&t, a, now, err)))
		goto out;
	t.status = to;
	if (record_exec_copy(&old, &e) < 0) {
		c = err_oom(err);
		goto out;
	}
	if (a->kind == TR_COMPLETE)
		e.tasks_complete++;
	if (a->kind == TR_REQUEST)
		c = exec_settle(st, txn, &e, &t, err);
	if (!c)
		c = rec_put_task(st, txn, &t, err);
	if (!c)
		c = rec_put_exec(st, txn, &e, &old, err);
	if (!c)
		c = rec_event(st, txn, tr_rule[a->kind].action, e.id, t.task_id, status_task_name(from),
			      status_task_name(to), NULL, a->kind == TR_FAIL ? &t.reason : NULL, err);
out:
	record_exec_free(&old);
	record_task_free(&t);
	record_exec_free(&e);
	return c;
}

static store_code transition(dbs *st, dbs_ctx *cx, tr_kind kind, const char *exec_id, const char *task_id,
			     const char *reason,
			     const store_input_request *rq, store_err *err)
{
	tr_arg a = { kind, exec_id, task_id, reason, rq };
	return txn_write_for(st, cx, tr_txn, &a, err);
}

store_code dbs_task_begin(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, store_err *err)
{
	return transition(st, cx, TR_BEGIN, exec_id, task_id, NULL, NULL, err);
}

store_code dbs_task_complete(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, store_err *err)
{
	return transition(st, cx, TR_COMPLETE, exec_id, task_id, NULL, NULL, err);
}

store_code dbs_task_fail(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, const char *reason,
			 store_err *err)
{
	if (!reason || !*reason)
		return err_set(err, STORE_INVALID_INPUT, "failing task '%s' needs a reason", task_id);
	if (strlen(reason) > STORE_TEXT_MAX)
		return err_set(err, STORE_INVALID_INPUT, "the reason for failing task '%s' is over 64 KiB", task_id);
	return transition(st, cx, TR_FAIL, exec_id, task_id, reason, NULL, err);
}

store_code dbs_task_request_input(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id,
				  const store_input_request *rq,
				  store_err *err)
{
	char why[512];
	record_task probe = { 0 };
	if ((unsigned)rq->type > INPUT_BOOLEAN)
		return err_set(err, STORE_INVALID_INPUT, "task '%s': unknown input type %d", task_id, (int)rq->type);
	if (rq->prompt && strlen(rq->prompt) > STORE_TEXT_MAX)
		return err_set(err, STORE_INVALID_INPUT, "task '%s': the prompt is over 64 KiB", task_id);
	probe.has_input = true;
	probe.input_type = rq->type;
	probe.input_required = rq->required;
	if (rq->default_value &&
	    store_input_check(&probe, rq->default_value, rq->default_len, why, sizeof why) < 0)
		return err_set(err, STORE_INVALID_INPUT, "task '%s': the default does not fit its type: %s", task_id, why);
	if (rq->timeout_s > RULES_DEADLINE_MAX_S)
		return err_set(err, STORE_INVALID_INPUT, "task '%s': a deadline is at most ten years away (3650d)", task_id);
	return transition(st, cx, TR_REQUEST, exec_id, task_id, NULL, rq, err);
}

/* ---- logs ---- */

typedef struct log_arg {
	const char *exec_id, *task_id;
	const record_text *lines;
	size_t n;
	uint64_t count;
} log_arg;

static store_code log_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	log_arg *a = arg;
	record_task t;
	store_code c = rec_get_task(st, txn, a->exec_id, a->task_id, &t, DB_RMW, err);
	if (c)
		return c;
	c = rec_put_logs(st, txn, a->exec_id, a->task_id, t.log_count, a->lines, a->n, err);
	t.log_count += a->n;
	a->count = t.log_count;
	if (st->cx) /* a resend of this request is answered with the same count */
		st->cx->req_result = a->count;
	if (!c)
		c = rec_put_task(st, txn, &t, err);
	record_task_free(&t);
	return c;
}

store_code dbs_task_log(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, const record_text *lines,
			size_t n,
			uint64_t *count, store_err *err)
{
	if (n > STORE_LOG_BATCH_MAX)
		return err_set(err, STORE_INVALID_INPUT, "%zu log lines in one call: at most %d", n, STORE_LOG_BATCH_MAX);
	for (size_t i = 0; i < n; i++)
		if (lines[i].len > STORE_LOG_LINE_MAX)
			return err_set(err, STORE_INVALID_INPUT, "a log line of task '%s' has %zu bytes: at most %u",
				       task_id, lines[i].len, STORE_LOG_LINE_MAX);
	log_arg a = { exec_id, task_id, lines, n, 0 };
	store_code c = txn_write_for(st, cx, log_txn, &a, err);
	if (count) /* a resend: the count its first sending made */
		*count = c ? 0 : cx && cx->req_found ? cx->req_kept : a.count;
	return c;
}

typedef struct logs_read_arg {
	const char *exec_id, *task_id;
	uint64_t from;
	size_t limit;
	record_text *out;
	size_t n;
	uint64_t total;
} logs_read_arg;

static store_code logs_read_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	logs_read_arg *a = arg;
	record_task t;
	for (size_t i = 0; i < a->n; i++)
		record_text_free(&a->out[i]);
	free(a->out);
	a->out = NULL;
	a->n = 0;
	store_code c = rec_get_task(st, txn, a->exec_id, a->task_id, &t, 0, err);
	if (c)
		return c;
	a->total = t.log_count;
	record_task_free(&t);
	return rec_read_logs(st, txn, a->exec_id, a->task_id, a->from, a->limit, 4u << 20, &a->out, &a->n, err);
}

store_code dbs_task_logs(dbs *st, const char *exec_id, const char *task_id, uint64_t from, size_t limit,
			 record_text **out, size_t *n, uint64_t *total, store_err *err)
{
	logs_read_arg a = { exec_id, task_id, from, limit, NULL, 0, 0 };
	store_code c = txn_read(st, logs_read_txn, &a, err);
	*out = c ? NULL : a.out;
	*n = c ? 0 : a.n;
	*total = c ? 0 : a.total;
	if (c) {
		for (size_t i = 0; i < a.n; i++)
			record_text_free(&a.out[i]);
		free(a.out);
	}
	return c;
}

/* ---- the whole execution ---- */

typedef struct finish_arg {
	const char *exec_id;
	exec_status status;
} finish_arg;

static store_code finish_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	finish_arg *a = arg;
	record_exec e;
	store_code c = rec_get_exec(st, txn, a->exec_id, &e, DB_RMW, err);
	if (c)
		return c;
	char now[40];
	record_timestamp_now(now, sizeof now);
	exec_status before = e.status;
	if ((c = rules_exec_finish(&e, a->status, err)))
		goto out;
	for (size_t i = 0; i < e.n_task_ids && !c; i++) {
		record_task t;
		bool fails;
		if ((c = rec_get_task(st, txn, e.id, e.task_ids[i], &t, DB_RMW, err)))
			break;
		if (!(c = rules_finish_task(&e, a->status, &t, &fails, err)) && fails &&
		    !(c = task_fail_now(&t, "the execution failed", now, err)))
			c = rec_put_task(st, txn, &t, err);
		record_task_free(&t);
	}
	if (c)
		goto out;
	c = exec_end(st, txn, &e, a->status, now, err);
	if (!c)
		c = rec_event(st, txn, "finish", e.id, NULL, status_exec_name(before), status_exec_name(a->status), NULL,
			      NULL, err);
out:
	record_exec_free(&e);
	return c;
}

store_code dbs_exec_finish(dbs *st, dbs_ctx *cx, const char *exec_id, exec_status status, store_err *err)
{
	store_code c = rules_finish_to(status, err);
	if (c)
		return c;
	finish_arg a = { exec_id, status };
	return txn_write_for(st, cx, finish_txn, &a, err);
}

/* ---- attachment ---- */

static store_code attach_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	engine_arg *a = arg;
	record_exec e, old = { 0 };
	store_code c = rec_get_exec(st, txn, a->exec_id, &e, DB_RMW, err);
	if (c)
		return c;
	if (!(c = rules_exec_not_ended(&e, err)) &&
	    (e.engine_pid != a->pid || !e.engine_host || strcmp(e.engine_host, a->host) != 0)) {
		if (record_exec_copy(&old, &e) < 0)
			c = err_oom(err);
		e.engine_pid = a->pid;
		if (!c && set_str(&e.engine_host, a->host) < 0)
			c = err_oom(err);
		if (!c)
			c = rec_put_exec(st, txn, &e, &old, err);
		if (!c)
			c = rec_event(st, txn, "attach", e.id, NULL, NULL, NULL, NULL, NULL, err);
	}
	record_exec_free(&old);
	record_exec_free(&e);
	return c;
}

store_code dbs_attach(dbs *st, dbs_ctx *cx, const char *exec_id, uint64_t pid, const char *host, store_err *err)
{
	engine_arg a = { NULL, exec_id, pid, host ? host : "" };
	return txn_write_for(st, cx, attach_txn, &a, err);
}
