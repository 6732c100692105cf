/* rules.c - the rules of the model that the store, seectl and seetop share,
 * with no I/O: which action may move a task from which status to which, when
 * an execution waits and on which task, and when a waiting task still needs
 * an answer (see store.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

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

bool store_task_needs_answer(const record_task *t)
{
	return t->status == TASK_WAITING && t->has_input && t->input_required && !t->has_input_value &&
	       !t->has_input_default;
}
