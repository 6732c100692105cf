/* rules.c - the rules of the model that the store, seectl and seetop share,
 * with no I/O: which action may move a task from which status to which, when
 * an execution waits and on which task, when a waiting task still needs an
 * answer (see store.h), and each operation's checks of the statuses it finds,
 * with the words of its refusal (rules.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rules.h"
#include "store.h"

/* A task's moves: the action (as the audit trail names it), the statuses
 * it moves a task from, and the one it moves it to. */
static const struct {
	const char *action;
	unsigned from;   /* a set: 1 << task_status */
	task_status to;
} moves[] = {
	{ "begin", 1u << TASK_PENDING, TASK_IN_PROGRESS },
	{ "complete", 1u << TASK_IN_PROGRESS, TASK_COMPLETE },
	{ "fail", 1u << TASK_IN_PROGRESS, TASK_FAILED },
	{ "request-input", 1u << TASK_IN_PROGRESS, TASK_WAITING },
	{ "pause", 1u << TASK_PENDING | 1u << TASK_IN_PROGRESS, TASK_WAITING },
	{ "resume-task", 1u << TASK_WAITING, TASK_IN_PROGRESS },
	{ "reject", 1u << TASK_WAITING, TASK_FAILED },
	{ "cancel", 1u << TASK_PENDING | 1u << TASK_IN_PROGRESS | 1u << TASK_WAITING, TASK_FAILED },
};

int store_task_move(const char *action, task_status from, task_status *to)
{
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
		if (strcmp(moves[i].action, action) != 0)
			continue;
		if (!(moves[i].from & (1u << from)))
			return -1;
		*to = moves[i].to;
		return 0;
	}
	return -1;
}

int store_exec_waiting_check(const record_exec *e, size_t waiting, bool paused_waits, char *why, size_t whylen)
{
	bool is_waiting = e->status == EXEC_WAITING;
	if (is_waiting != e->is_paused)
		snprintf(why, whylen, "execution '%s': status is %s but is_paused is %s", e->id,
			 status_exec_name(e->status), e->is_paused ? "true" : "false");
	else if (is_waiting && waiting == 0)
		snprintf(why, whylen, "execution '%s' is waiting-for-input but none of its tasks is", e->id);
	else if (!is_waiting && waiting > 0)
		snprintf(why, whylen, "execution '%s' is %s but %zu of its tasks wait for input", e->id,
			 status_exec_name(e->status), waiting);
	else if (is_waiting && !e->paused_task_id)
		snprintf(why, whylen, "execution '%s' is paused but paused_task_id is not set", e->id);
	else if (e->paused_task_id && !paused_waits)
		snprintf(why, whylen, "execution '%s': paused_task_id '%s' does not name a task waiting for input",
			 e->id, e->paused_task_id);
	else
		return 0;
	return -1;
}

bool store_exec_stranded(const record_exec *e, const char *last_action)
{
	/* the decisions that hand an execution back to its engine */
	static const char *const decisions[] = { "resume-task", "resume-workflow", "reject", "timeout" };
	if (e->status != EXEC_RUNNING || e->engine_attached || !last_action)
		return false;
	for (size_t i = 0; i < sizeof decisions / sizeof decisions[0]; i++)
		if (strcmp(last_action, decisions[i]) == 0)
			return true;
	return false;
}

bool store_item_paused(const store_item *it)
{
	bool asks = false, paused = false;
	for (size_t k = 0; k < it->n_tasks; k++) {
		asks |= it->tasks[k].status == TASK_WAITING && it->tasks[k].has_input;
		paused |= it->tasks[k].status == TASK_WAITING && !it->tasks[k].has_input;
	}
	return it->exec.status == EXEC_WAITING && paused && !asks;
}

bool store_task_needs_answer(const record_task *t)
{
	return t->status == TASK_WAITING && t->has_input && t->input_required && !t->has_input_value &&
	       !t->has_input_default;
}

/* ---- an execution ---- */

bool rules_exec_live(const record_exec *e)
{
	return e->status == EXEC_RUNNING || e->status == EXEC_WAITING;
}

store_code rules_exec_not_ended(const record_exec *e, store_err *err)
{
	if (rules_exec_live(e))
		return STORE_OK;
	return err_set(err, STORE_INVALID_STATE, "execution '%s' is %s: it has ended", e->id,
		       status_exec_name(e->status));
}

int rules_exec_settle(record_exec *e, const char *first_waiting)
{
	char *p = first_waiting ? record_strdup(first_waiting) : NULL;
	if (first_waiting && !p)
		return -1;
	free(e->paused_task_id);
	e->paused_task_id = p;
	e->status = p ? EXEC_WAITING : EXEC_RUNNING;
	e->is_paused = p != NULL;
	return 0;
}

/* ---- the engine's calls ---- */

/* The status a move starts from (the first the table allows). */
static task_status move_from(const char *action)
{
	task_status to;
	for (int s = 0; s < TASK_STATUS_COUNT; s++)
		if (store_task_move(action, (task_status)s, &to) == 0)
			return (task_status)s;
	return TASK_STATUS_COUNT;
}

store_code rules_engine_move(const char *action, const record_exec *e, const record_task *t, task_status *to,
			     store_err *err)
{
	store_code c = rules_exec_not_ended(e, err);
	if (c)
		return c;
	if (store_task_move(action, t->status, to) < 0)
		return err_set(err, STORE_INVALID_STATE, "task '%s' of execution '%s' is %s, not %s: it was changed first%s",
			       t->task_id, e->id, status_task_name(t->status), status_task_name(move_from(action)),
			       t->status == TASK_WAITING ? " (paused, or waiting for input)" : "");
	if (strcmp(action, "request-input") == 0 && t->input_asked)
		/* asked once and resumed since: asking again would undo the answer */
		return err_set(err, STORE_INVALID_STATE,
			       "input for task '%s' of execution '%s' was already asked for and given%s: use the answer",
			       t->task_id, e->id, t->has_input_value ? "" : " (the default)");
	return STORE_OK;
}

store_code rules_finish_to(exec_status to, store_err *err)
{
	if (to == EXEC_COMPLETE || to == EXEC_FAILED)
		return STORE_OK;
	return err_set(err, STORE_INVALID_INPUT, "an execution finishes complete or failed, not %s", status_exec_name(to));
}

store_code rules_exec_finish(const record_exec *e, exec_status to, store_err *err)
{
	store_code c = rules_exec_not_ended(e, err);
	if (c)
		return c;
	if (to == EXEC_COMPLETE && e->status != EXEC_RUNNING)
		return err_set(err, STORE_INVALID_STATE, "execution '%s' is %s, not running: it cannot complete", e->id,
			       status_exec_name(e->status));
	return STORE_OK;
}

store_code rules_finish_task(const record_exec *e, exec_status to, const record_task *t, bool *fails,
			     store_err *err)
{
	*fails = false;
	if (t->status != TASK_IN_PROGRESS && t->status != TASK_WAITING)
		return STORE_OK;
	if (to == EXEC_COMPLETE)
		return err_set(err, STORE_INVALID_STATE, "execution '%s' cannot complete: task '%s' is %s", e->id,
			       t->task_id, status_task_name(t->status));
	*fails = true;
	return STORE_OK;
}

/* ---- the operator's decisions ---- */

store_code rules_pause(const record_exec *e, const record_task *t, task_status *to, store_err *err)
{
	if (!rules_exec_live(e))
		return err_set(err, STORE_INVALID_STATE, "execution '%s' cannot be paused (status: %s)", e->id,
			       status_exec_name(e->status));
	if (store_task_move("pause", t->status, to) < 0)
		return err_set(err, STORE_INVALID_STATE, "task '%s' cannot be paused (status: %s)", t->task_id,
			       status_task_name(t->status));
	return STORE_OK;
}

store_code rules_resume_task(const record_task *t, task_status *to, store_err *err)
{
	if (store_task_move("resume-task", t->status, to) == 0)
		return STORE_OK;
	return err_set(err, STORE_INVALID_STATE, "task '%s' is not waiting for input (status: %s)%s", t->task_id,
		       status_task_name(t->status),
		       t->status == TASK_PENDING ? ""
		       : t->input_deadline ? ": someone, or its deadline's timer, acted first"
					   : ": someone acted first");
}

void rules_tally_add(rules_tally *tl, const record_task *t)
{
	tl->waiting += t->status == TASK_WAITING;
	if (!store_task_needs_answer(t))
		return;
	size_t o = strlen(tl->missing_ids);
	if (o + strlen(t->task_id) + 8 < sizeof tl->missing_ids)
		snprintf(tl->missing_ids + o, sizeof tl->missing_ids - o, "%s'%s'", tl->missing ? ", " : "", t->task_id);
	tl->missing++;
}

static store_code not_waiting(const record_exec *e, const char *why, store_err *err)
{
	return err_set(err, STORE_INVALID_STATE, "execution '%s' is not waiting for input (status: %s)%s", e->id,
		       status_exec_name(e->status), why);
}

store_code rules_resume_workflow(const record_exec *e, store_err *err)
{
	return e->status == EXEC_WAITING ? STORE_OK : not_waiting(e, "", err);
}

store_code rules_resume_workflow_tasks(const record_exec *e, const rules_tally *tl, store_err *err)
{
	/* a required answer is never skipped */
	size_t n = tl->missing;
	if (n)
		return err_set(err, STORE_INVALID_INPUT,
			       "execution '%s': task%s %s require%s an answer and ha%s no default: resume %s with a value",
			       e->id, n == 1 ? "" : "s", tl->missing_ids, n == 1 ? "s" : "", n == 1 ? "s" : "ve",
			       n == 1 ? "it" : "each");
	if (tl->waiting == 0)
		return err_set(err, STORE_INVALID_STATE, "no tasks waiting for input in execution '%s'", e->id);
	return STORE_OK;
}

store_code rules_reject_task(const record_task *t, store_err *err)
{
	task_status to;
	if (store_task_move("reject", t->status, &to) == 0)
		return STORE_OK;
	return err_set(err, STORE_INVALID_STATE, "task '%s' is not waiting for input (status: %s): only a "
		       "waiting task can be rejected", t->task_id, status_task_name(t->status));
}

store_code rules_reject_all(const record_exec *e, const rules_tally *tl, store_err *err)
{
	return tl->waiting ? STORE_OK : not_waiting(e, ": nothing to reject", err);
}

store_code rules_cancel(const record_exec *e, store_err *err)
{
	return rules_exec_not_ended(e, err);
}

void rules_cancel_task(const record_task *t, bool *fails, bool *answers)
{
	task_status to;
	*fails = store_task_move("cancel", t->status, &to) == 0;
	*answers = t->status == TASK_WAITING;
}

store_code rules_respondents(const record_exec *e, const record_task *t, store_err *err)
{
	if (t->status != TASK_COMPLETE && t->status != TASK_FAILED)
		return STORE_OK;
	return err_set(err, STORE_INVALID_STATE, "task '%s' of execution '%s' has ended (status: %s): who may answer "
		       "it no longer matters", t->task_id, e->id, status_task_name(t->status));
}

/* ---- deadlines ---- */

store_code rules_deadline_set(const record_exec *e, const record_task *t, store_err *err)
{
	if (t->status == TASK_WAITING)
		return STORE_OK;
	return err_set(err, STORE_INVALID_STATE, "task '%s' of execution '%s' is not waiting for input (status: %s): "
		       "only a waiting task can have a deadline", t->task_id, e->id, status_task_name(t->status));
}

store_code rules_deadline_policy(const record_task *t, record_on_timeout policy, store_err *err)
{
	if (policy == TIMEOUT_DEFAULT && !(t->has_input && t->has_input_default))
		return err_set(err, STORE_INVALID_INPUT,
			       "task '%s' has no default: on-timeout 'default' needs one (use fail or skip)", t->task_id);
	if (policy == TIMEOUT_SKIP && t->has_input && t->input_required)
		return err_set(err, STORE_INVALID_INPUT,
			       "task '%s' requires an answer: on-timeout 'skip' would go on without one (use fail, or "
			       "default with a default)",
			       t->task_id);
	if ((unsigned)policy > TIMEOUT_SKIP)
		return err_set(err, STORE_INVALID_INPUT, "unknown on-timeout policy %d (fail, default or skip)",
			       (int)policy);
	return STORE_OK;
}

rules_timeout rules_timeout_action(const record_task *t, int64_t us)
{
	int64_t tus;
	if (t->status != TASK_WAITING || !t->input_deadline || !record_timestamp_parse(t->input_deadline, &tus) ||
	    tus != us)
		return RULES_TIMEOUT_STALE;
	if (t->on_timeout == TIMEOUT_DEFAULT && t->has_input_default)
		return RULES_TIMEOUT_DEFAULT;
	if (t->on_timeout == TIMEOUT_SKIP && !(t->has_input && t->input_required))
		return RULES_TIMEOUT_SKIP;
	return RULES_TIMEOUT_FAIL;
}

/* ---- notifications ---- */

/* the events that notify, and the notification each gives */
static const struct {
	const char *action, *notice;
} notices[] = {
	{ "request-input", "waiting" },
	{ "pause", "paused" },
	{ "timeout", "timeout" },
	{ "reject", "rejected" },
	{ "cancel", "cancelled" },
};

const char *const rules_notices[] = { "waiting", "paused", "timeout", "rejected", "cancelled", NULL };

const char *rules_event_notice(const char *action)
{
	for (size_t i = 0; action && i < sizeof notices / sizeof notices[0]; i++)
		if (strcmp(action, notices[i].action) == 0)
			return notices[i].notice;
	return NULL;
}
