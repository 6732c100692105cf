/* rules.c - the rules of the model that the store, seectl and seetop share,
 * with no I/O: which action may move a task from which status to which, and
 * when a waiting task still needs an answer (see store.h). */
#include "config.h"

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

bool store_task_needs_answer(const record_task *t)
{
	return t->status == TASK_WAITING && t->has_input && t->input_required && !t->has_input_value &&
	       !t->has_input_default;
}
