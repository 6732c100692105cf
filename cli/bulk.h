/* bulk.h - seectl's bulk actions: resume, reject or cancel every execution
 * that selectors choose, each in its own transaction, with a pre-flight
 * count and a result per execution. */
#ifndef SEETOP_BULK_H
#define SEETOP_BULK_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

typedef enum bulk_action { BULK_RESUME, BULK_REJECT, BULK_CANCEL } bulk_action;

typedef struct bulk_opts {
	const char *workflow;  /* only workflows whose name holds this, in any case (NULL: any) */
	uint64_t older_than_s; /* only those started at least this long ago (0: any) */
	bool dry_run;          /* say what would be done; change nothing */
	bool json;             /* each result as a JSON line */
	const char *reason;    /* reject and cancel: why (required) */
} bulk_opts;

/* Resume and reject act on executions waiting for input, cancel on those
 * running or waiting.  The pre-flight count goes to stderr, each result to
 * stdout.  Returns the exit code: 0 when every execution was done (or, in a
 * dry run, would be), 1 when any was refused or skipped, 3 when the store
 * failed.  A run that is stopped leaves each execution done or not done: a
 * second run does the rest. */
int bulk_run(store *st, bulk_action act, const bulk_opts *o);

#endif
