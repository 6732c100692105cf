/* status.h - execution and task status names: the one table of their spellings. */
#ifndef SEESTORE_STATUS_H
#define SEESTORE_STATUS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum exec_status {
	EXEC_RUNNING = 0,
	EXEC_WAITING,
	EXEC_COMPLETE,
	EXEC_FAILED,
	EXEC_STATUS_COUNT
} exec_status;

typedef enum task_status {
	TASK_PENDING = 0,
	TASK_IN_PROGRESS,
	TASK_WAITING,
	TASK_COMPLETE,
	TASK_FAILED,
	TASK_STATUS_COUNT
} task_status;

/* The data model's spellings: "running", "waiting-for-input", ... */
const char *status_exec_name(exec_status s);
const char *status_task_name(task_status s);
/* Return 0 and set *out when `name` is a known spelling, else -1. */
int status_exec_parse(const char *name, exec_status *out);
int status_task_parse(const char *name, task_status *out);

#ifdef __cplusplus
}
#endif

#endif
