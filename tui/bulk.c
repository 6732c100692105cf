/* bulk.c - marks, and the bulk action on every marked execution: checked
 * first (what will be skipped, and why), then run a slice at a time
 * between keys, one transaction per execution, a result for each. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "bulk.h"

void bulk_free_results(app *a)
{
	for (size_t i = 0; i < a->n_results; i++)
		free(a->results[i]);
	free(a->results);
	a->results = NULL;
	a->n_results = a->results_top = 0;
	a->show_results = false;
}

bool app_marked(const app *a, const char *id)
{
	for (size_t i = 0; i < a->n_marks; i++)
		if (strcmp(a->marks[i], id) == 0)
			return true;
	return false;
}

/* Unmarks one execution (Space again, or a bulk action reached it). */
void bulk_unmark(app *a, const char *id)
{
	for (size_t i = 0; i < a->n_marks; i++)
		if (strcmp(a->marks[i], id) == 0) {
			memmove(a->marks + i, a->marks + i + 1, (a->n_marks - i - 1) * sizeof *a->marks);
			a->n_marks--;
			return;
		}
}

void bulk_add_result(app *a, const char *fmt, ...)
{
	char line[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	char **v = realloc(a->results, (a->n_results + 1) * sizeof *v);
	if (!v)
		return;
	a->results = v;
	if ((v[a->n_results] = strdup(line)))
		a->n_results++;
}

enum { SKIP_NONE, SKIP_STATUS, SKIP_NOT_YOURS, SKIP_ANSWER, SKIP_KINDS };

/* Why an execution is skipped by a bulk action (into why, "" when it is
 * not), and which kind of reason it is. */
static int bulk_skip(app *a, const bulk_op *op, const store_item *it, char *why, size_t cap)
{
	const record_exec *e = &it->exec;
	why[0] = '\0';
	if (e->status != EXEC_WAITING && !(op->running_too && e->status == EXEC_RUNNING)) {
		snprintf(why, cap, "it is %s", status_exec_name(e->status));
		return SKIP_STATUS;
	}
	for (size_t i = 0; i < it->n_tasks; i++) {
		const record_task *t = &it->tasks[i];
		if (t->status != TASK_WAITING)
			continue;
		char w[600];
		if (!app_may_answer(a, e, t, w, sizeof w)) {
			snprintf(why, cap, "you may not answer it: %s", w);
			return SKIP_NOT_YOURS;
		}
		if (op->answers && store_task_needs_answer(t)) {
			snprintf(why, cap, "task '%s' waits for a required answer", t->task_id);
			return SKIP_ANSWER;
		}
	}
	return SKIP_NONE;
}

void bulk_job_free(app *a)
{
	if (!a->job)
		return;
	free(a->job->ids);
	free(a->job->reason);
	free(a->job->why);
	free(a->job);
	a->job = NULL;
}

bool app_busy(const app *a)
{
	return a->job != NULL;
}

#define JOB_SLICE_US 20000 /* work between two looks at the keyboard */

int app_work(app *a)
{
	bulk_job *j = a->job;
	if (!j)
		return DO_NOTHING;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (j->next < j->n) {
		size_t i = j->next++;
		const char *id = j->ids[i];
		if (j->why[i][0]) {
			j->skipped++;
			bulk_add_result(a, "skipped %s: %s", id, j->why[i]);
		} else {
			store_err err;
			store_code c = j->op->apply(a->st, id, j->reason, &err);
			if (c == STORE_OK) {
				j->done++;
				bulk_add_result(a, "%s %s", j->op->done, id);
			} else if (c == STORE_STORAGE) {
				/* the server does not answer, or its disk is full: the
				 * rest would fail the same way, each after a wait */
				bulk_add_result(a, "no answer for %s (it may yet be done): %s", id, err.msg);
				j->next = i;
				return bulk_stop(a, err.msg);
			} else {
				j->refused++;
				bulk_add_result(a, "refused %s: %s", id, err.msg);
			}
		}
		bulk_unmark(a, id);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000 >= JOB_SLICE_US)
			break;
	}
	if (j->next < j->n) {
		app_set_msg(a, false, "%s %zu of %zu... (keys work meanwhile; Esc stops)", j->op->doing, j->next, j->n);
		return DO_DRAW;
	}
	a->n_marks = 0;
	app_set_msg(a, j->refused != 0, "%s %zu, skipped %zu, refused %zu (v: the result of each)", j->op->done,
		    j->done, j->skipped, j->refused);
	bulk_job_free(a);
	return DO_RELOAD;
}

/* Esc during a bulk action, or a store that fails (why): what was done
 * stays done; the rest stays marked. */
int bulk_stop(app *a, const char *why)
{
	bulk_job *j = a->job;
	size_t left = 0;
	for (size_t i = j->next; i < j->n; i++) {
		if (j->why[i][0])
			bulk_unmark(a, j->ids[i]);
		else
			left++;
	}
	app_set_msg(a, true, "stopped after %zu of %zu: %s %zu, skipped %zu, refused %zu; %zu not done, still marked%s%s",
		    j->next, j->n, j->op->done, j->done, j->skipped, j->refused, left, why ? ": " : "",
		    why ? why : "");
	bulk_job_free(a);
	return why ? DO_DRAW : DO_RELOAD; /* a store that fails would only fail again */
}

/* Checks every marked execution for the bulk action `op`: *why_out gets
 * why each is skipped ("" when it is not), `question` the confirmation that
 * says the count and what will be skipped.  False when none of them can be
 * done (the message and the results then say why) or out of memory. */
bool bulk_prepare(app *a, const bulk_op *op, char (**why_out)[700], size_t *todo, char *question, size_t cap)
{
	size_t n = a->n_marks, skip = 0, by[SKIP_KINDS] = { 0 };
	char (*why)[700] = calloc(n, sizeof *why);
	if (!why) {
		app_set_msg(a, true, "out of memory: nothing changed");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		store_item it;
		store_err err;
		if (store_get_item(a->st, a->marks[i], &it, &err)) {
			snprintf(why[i], sizeof why[i], "%s", err.msg);
			by[SKIP_STATUS]++;
		} else {
			by[bulk_skip(a, op, &it, why[i], sizeof why[i])]++;
			store_item_free(&it);
		}
		skip += why[i][0] != '\0';
	}
	/* "3 wait for a required answer, 1 is not yours to answer and will be skipped" */
	char skipped[300] = "";
	static const char *const one[SKIP_KINDS] = { "", "does not wait", "is not yours to answer",
						     "waits for a required answer" };
	static const char *const many[SKIP_KINDS] = { "", "do not wait", "are not yours to answer",
						      "wait for a required answer" };
	for (int k = SKIP_ANSWER; k > SKIP_NONE; k--) {
		if (!by[k])
			continue;
		size_t o = strlen(skipped);
		snprintf(skipped + o, sizeof skipped - o, "%s %zu %s", o ? "," : "", by[k],
			 op->running_too && k == SKIP_STATUS ? (by[k] == 1 ? "has ended" : "have ended")
								  : by[k] == 1 ? one[k] : many[k]);
	}
	if (skip) {
		size_t o = strlen(skipped);
		snprintf(skipped + o, sizeof skipped - o, " and will be skipped");
	}
	if (skip == n) {
		app_set_msg(a, true, "none of the %zu marked executions can be %s (v: why)", n, op->done);
		bulk_free_results(a);
		for (size_t i = 0; i < n; i++)
			bulk_add_result(a, "skipped %s: %s", a->marks[i], why[i]);
		free(why);
		return false;
	}
	snprintf(question, cap, "%s %zu execution%s?%s", op->ask, n - skip, n - skip == 1 ? "" : "s", skipped);
	*why_out = why;
	*todo = n - skip;
	return true;
}

int bulk_start(app *a, const bulk_op *op, const char *reason, char (*why)[700])
{
	size_t n = a->n_marks;
	bulk_job *j = calloc(1, sizeof *j);
	char (*ids)[RECORD_ID_BUF] = j ? calloc(n ? n : 1, sizeof *ids) : NULL;
	char *r = ids ? strdup(reason ? reason : "") : NULL;
	if (!r) {
		free(ids);
		free(j);
		free(why);
		app_set_msg(a, true, "out of memory: nothing changed");
		return DO_DRAW;
	}
	memcpy(ids, a->marks, n * sizeof *ids);
	j->op = op;
	j->reason = r;
	j->ids = ids;
	j->why = why;
	j->n = n;
	a->job = j;
	bulk_free_results(a);
	return app_work(a);
}
