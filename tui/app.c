/* app.c - the dashboard's state: reading the store into it, and the rules
 * said before a prompt.  The actions that change it are in actions.c, the
 * list window in list.c, the bulk runner in bulk.c, the line editor in
 * prompt.c. */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "bulk.h"
#include "list.h"

void app_set_msg(app *a, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	a->msg_error = error;
}

static void free_item(app *a)
{
	if (a->have_item)
		store_item_free(&a->item);
	a->have_item = false;
	record_event_array_free(a->events, a->n_events);
	a->events = NULL;
	a->n_events = 0;
}

void app_free(app *a)
{
	bulk_job_free(a);
	bulk_free_results(a);
	free(a->marks);
	a->marks = NULL;
	a->n_marks = 0;
	list_free(a);
	free_item(a);
	app_ask_clear(a);
}

void app_load_item(app *a)
{
	/* the selected task stays when the same execution is read again; but
	 * while the operator is in the executions pane, a task that starts to
	 * wait (an engine moved on) takes the selection */
	char keep[160] = "";
	if (a->have_item && a->task_sel < a->item.n_tasks && a->sel < a->n_rows &&
	    strcmp(a->item.exec.id, a->rows[a->sel].exec.id) == 0)
		snprintf(keep, sizeof keep, "%s", a->item.tasks[a->task_sel].task_id);
	free_item(a);
	if (a->sel >= a->n_rows)
		return;
	store_err err;
	if (store_get_item(a->st, a->rows[a->sel].exec.id, &a->item, &err)) {
		app_set_msg(a, true, "%s", err.msg);
		return;
	}
	a->have_item = true;
	store_events(a->st, a->item.exec.id, 0, 200, &a->events, &a->n_events, &err);
	a->task_sel = 0;
	bool found = false;
	for (size_t i = 0; keep[0] && i < a->item.n_tasks && !found; i++)
		if (strcmp(a->item.tasks[i].task_id, keep) == 0) {
			a->task_sel = i;
			found = a->focus != PANE_EXECS || a->item.tasks[i].status == TASK_WAITING;
		}
	/* otherwise the first task that waits for input */
	for (size_t i = 0; !found && i < a->item.n_tasks; i++)
		if (a->item.tasks[i].status == TASK_WAITING) {
			a->task_sel = i;
			found = true;
		}
}

int app_reload(app *a)
{
	store_err err;
	char keep[160] = "";
	if (a->sel < a->n_rows)
		snprintf(keep, sizeof keep, "%s", a->rows[a->sel].exec.id);
	size_t want = a->n_rows > (size_t)LIST_PAGE ? a->n_rows : LIST_PAGE;
	/* the window is read again from its first row (from the newest when it
	 * shows the newest), so a change elsewhere costs one window, not the
	 * rows above it; its first page comes with the counts, in one request,
	 * and until it has come the rows on screen stay */
	store_cursor from;
	memset(&from, 0, sizeof from);
	bool deep = a->deep && a->n_rows > 0;
	if (deep)
		store_cursor_at(&from, &a->rows[0].exec, true);
	store_cursor next = from;
	record_exec *v;
	size_t n;
	uint64_t counts[EXEC_STATUS_COUNT], gen;
	if (store_list_counts(a->st, list_status(a), &next, LIST_PAGE, &v, &n, counts, &gen, &err)) {
		app_set_msg(a, true, "%s", err.msg);
		return DO_DRAW;
	}
	memcpy(a->counts, counts, sizeof counts);
	a->gen = gen;
	size_t sel_was = a->sel, top_was = a->top;
	list_restart(a, deep ? &from : NULL);
	a->cur = next;
	list_insert(a, 0, v, n);
	a->sel = sel_was;
	a->top = top_was;
	while (a->n_rows < want && list_load_page(a) > 0)
		;
	/* the selection stays on the same execution when it is still listed */
	size_t sel = a->sel < a->n_rows ? a->sel : (a->n_rows ? a->n_rows - 1 : 0);
	for (size_t i = 0; keep[0] && i < a->n_rows; i++)
		if (strcmp(a->rows[i].exec.id, keep) == 0)
			sel = i;
	a->sel = sel;
	/* and stays on screen when rows arrived above it */
	size_t h = (size_t)a->list_h;
	if (a->top > a->sel)
		a->top = a->sel;
	if (h && a->sel >= a->top + h)
		a->top = a->sel - h + 1;
	app_load_item(a);
	return DO_DRAW | app_ask_check(a);
}

/* The user seetop runs as, and their groups. */
static void who_am_i(app *a)
{
	if (a->who_known)
		return;
	a->who_known = true;
	struct passwd *pw = getpwuid(geteuid());
	if (!pw) {
		snprintf(a->me, sizeof a->me, "%lu", (unsigned long)geteuid());
		return;
	}
	snprintf(a->me, sizeof a->me, "%s", pw->pw_name);
	gid_t gids[32];
	int ng = 32;
	if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &ng) < 0)
		ng = 32;
	for (int i = 0; i < ng && a->n_groups < 32; i++) {
		struct group *gr = getgrgid(gids[i]);
		if (gr)
			snprintf(a->groups[a->n_groups++], sizeof a->groups[0], "%s", gr->gr_name);
	}
}

/* The store's rule, said before a prompt: false (with the message set)
 * when this user may not answer task t. */
bool app_may_answer(app *a, const record_exec *e, const record_task *t, char *why, size_t cap)
{
	who_am_i(a);
	const char *groups[32];
	for (size_t i = 0; i < a->n_groups; i++)
		groups[i] = a->groups[i];
	return store_may_answer(e, t, a->me, groups, a->n_groups, !store_is_read_only(a->st), why, cap) == 0;
}
