/* status.c - execution and task status names. */
#include "config.h"

#include <string.h>

#include "status.h"

static const char *const exec_names[EXEC_STATUS_COUNT] = {
	[EXEC_RUNNING] = "running",
	[EXEC_WAITING] = "waiting-for-input",
	[EXEC_COMPLETE] = "complete",
	[EXEC_FAILED] = "failed",
};

static const char *const task_names[TASK_STATUS_COUNT] = {
	[TASK_PENDING] = "pending",
	[TASK_IN_PROGRESS] = "in-progress",
	[TASK_WAITING] = "waiting-for-input",
	[TASK_COMPLETE] = "complete",
	[TASK_FAILED] = "failed",
};

const char *status_exec_name(exec_status s)
{
	return (unsigned)s < EXEC_STATUS_COUNT ? exec_names[s] : "unknown";
}

const char *status_task_name(task_status s)
{
	return (unsigned)s < TASK_STATUS_COUNT ? task_names[s] : "unknown";
}

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int status_exec_parse(const char *name, exec_status *out)
{
	int i = lookup(exec_names, EXEC_STATUS_COUNT, name);
	if (i < 0)
		return -1;
	*out = (exec_status)i;
	return 0;
}

int status_task_parse(const char *name, task_status *out)
{
	int i = lookup(task_names, TASK_STATUS_COUNT, name);
	if (i < 0)
		return -1;
	*out = (task_status)i;
	return 0;
}
