/* bulk.h - marks, and the bulk action (R, x, X) on every marked execution. */
#ifndef SEETOP_BULK_H
#define SEETOP_BULK_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

void bulk_free_results(app *a);
/* Unmarks one execution (Space again, or a bulk action reached it). */
void bulk_unmark(app *a, const char *id);
void bulk_add_result(app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Checks the marked executions before the bulk action `op`: *why gets
 * one skip reason per mark ("" when it is done), *todo how many will be
 * done, `question` the confirmation.  False when none can be done (the
 * message says so) or out of memory. */
bool bulk_prepare(app *a, const bulk_op *op, char (**why)[700], size_t *todo, char *question, size_t cap);
/* Starts the confirmed action (taking `why` over); app_work runs it. */
int bulk_start(app *a, const bulk_op *op, const char *reason, char (*why)[700]);
/* Esc during a bulk action, or a store that fails (why, else NULL): what
 * was done stays done; the rest stays marked. */
int bulk_stop(app *a, const char *why);
void bulk_job_free(app *a);

#endif
