/* bulk.h - seectl's bulk actions: one command's operation (resume, reject,
 * cancel) on every execution that selectors choose, each in its own transaction, with a pre-flight
 * count and a result per execution. */
#ifndef SEETOP_BULK_H
#define SEETOP_BULK_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* What --all does to each execution it selects: one command's operation,
 * applied per execution; the command that has --all defines it. */
typedef struct bulk_op {
	const char *verb;   /* "reject": the count line, a dry run, the JSON action */
	const char *done;   /* "rejected": each execution done */
	bool running_too;   /* selects running executions too (else only waiting ones) */
	bool answers;       /* skips an execution whose task needs an answer (store_task_needs_answer) */
	store_code (*apply)(store *st, const char *exec_id, const char *reason, store_err *err);
} bulk_op;

typedef struct bulk_opts {
	const char *workflow;  /* only workflows whose name holds this, in any case (NULL: any) */
	uint64_t older_than_s; /* only those started at least this long ago (0: any) */
	bool dry_run;          /* say what would be done; change nothing */
	bool json;             /* each result as a JSON line */
	const char *reason;    /* reject and cancel: why (required) */
} bulk_opts;

/* Applies op to the executions waiting for input (and running ones, when
 * op says so) that the selectors choose.  The pre-flight count goes to stderr, each result to
 * stdout.  Returns the exit code: 0 when every execution was done (or, in a
 * dry run, would be), 1 when any was refused or skipped, 3 when the store
 * failed.  A run that is stopped leaves each execution done or not done: a
 * second run does the rest. */
int bulk_run(store *st, const bulk_op *op, const bulk_opts *o);

#endif
