/* app.c - the dashboard's state and the actions that change it.  Handlers
 * change state and return what to do; the main loop reads and draws. */
#include "config.h"

#include <curses.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "text.h"

#define PAGE 64
/* Rows kept in memory around the selection: however large the store, the
 * list holds at most this many records and never reads the whole store to
 * move, page or jump to either end.  (With a search filter, which matches on
 * the client, the list grows from the newest as before.) */
#define WINDOW_MAX (PAGE * 16)

void app_set_msg(app *a, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	a->msg_error = error;
}

static void free_rows(app *a)
{
	for (size_t i = 0; i < a->n_rows; i++)
		record_exec_free(&a->rows[i].exec);
	free(a->rows);
	a->rows = NULL;
	a->n_rows = 0;
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

static void free_results(app *a)
{
	for (size_t i = 0; i < a->n_results; i++)
		free(a->results[i]);
	free(a->results);
	a->results = NULL;
	a->n_results = a->results_top = 0;
	a->show_results = false;
}

static void job_free(app *a);

void app_free(app *a)
{
	job_free(a);
	free_results(a);
	free(a->marks);
	a->marks = NULL;
	a->n_marks = 0;
	free_rows(a);
	free_item(a);
}

static bool matches(const app *a, const record_exec *e)
{
	if (!a->search[0])
		return true;
	return strstr(e->id, a->search) || (e->workflow_name.s && strstr(e->workflow_name.s, a->search));
}

/* The waiting filter lists what waits soonest deadline first (the store
 * orders it, however many wait), then the rest newest first. */
static int list_status(const app *a)
{
	return a->only_waiting ? STORE_LIST_DUE : -1;
}

static bool windowed(const app *a)
{
	return !a->search[0] && !a->only_waiting;
}

/* Puts the records of `v` that pass the search into the list at row `at`
 * (0: above the first, n_rows: below the last), taking them over; returns
 * how many rows it added.  The selection stays on its row. */
static size_t insert_rows(app *a, size_t at, record_exec *v, size_t n)
{
	row *p = realloc(a->rows, (a->n_rows + n + 1) * sizeof *p);
	if (!p) {
		record_exec_array_free(v, n);
		return 0;
	}
	a->rows = p;
	size_t added = 0;
	for (size_t i = 0; i < n; i++) {
		if (matches(a, &v[i]))
			v[added++] = v[i];
		else
			record_exec_free(&v[i]);
	}
	memmove(a->rows + at + added, a->rows + at, (a->n_rows - at) * sizeof *a->rows);
	for (size_t i = 0; i < added; i++)
		a->rows[at + i].exec = v[i];
	free(v);
	a->n_rows += added;
	if (at == 0 && a->n_rows > added) {
		a->sel += added;
		a->top += added;
	}
	return added;
}

/* Loads the next page of the list; returns how many rows it added. */
static size_t load_page(app *a)
{
	size_t added = 0;
	while (!a->cur.done && added == 0) {
		record_exec *v;
		size_t n;
		store_err err;
		if (store_list(a->st, list_status(a), &a->cur, PAGE, &v, &n, &err)) {
			app_set_msg(a, true, "%s", err.msg);
			return added;
		}
		added = insert_rows(a, a->n_rows, v, n);
		if (n == 0)
			break;
	}
	return added;
}

/* Loads the page of rows just newer than the first; returns how many. */
static size_t load_newer(app *a)
{
	if (!a->deep || a->n_rows == 0)
		return 0;
	store_cursor from;
	store_cursor_at(&from, &a->rows[0].exec, false);
	record_exec *v;
	size_t n;
	store_err err;
	if (store_list_newer(a->st, list_status(a), &from, PAGE, &v, &n, &err)) {
		app_set_msg(a, true, "%s", err.msg);
		return 0;
	}
	if (n < PAGE)
		a->deep = false;
	return insert_rows(a, 0, v, n);
}

/* Keeps the window at WINDOW_MAX rows, dropping those farthest from the
 * selection; what is dropped is read again if the selection goes back. */
static void trim_window(app *a)
{
	if (!windowed(a) || a->n_rows <= WINDOW_MAX)
		return;
	size_t extra = a->n_rows - WINDOW_MAX;
	if (a->top >= extra) {
		/* the selection is in the lower part: drop from the top */
		for (size_t i = 0; i < extra; i++)
			record_exec_free(&a->rows[i].exec);
		memmove(a->rows, a->rows + extra, (a->n_rows - extra) * sizeof *a->rows);
		a->n_rows -= extra;
		a->sel -= extra;
		a->top -= extra;
		a->deep = true;
	} else {
		for (size_t i = a->n_rows - extra; i < a->n_rows; i++)
			record_exec_free(&a->rows[i].exec);
		a->n_rows -= extra;
		store_cursor_at(&a->cur, &a->rows[a->n_rows - 1].exec, false);
	}
}

/* Empties the list; the next page read starts at `from` (NULL: the newest). */
static void restart_rows(app *a, const store_cursor *from)
{
	free_rows(a);
	memset(&a->cur, 0, sizeof a->cur);
	if (from)
		a->cur = *from;
	a->deep = from != NULL;
	a->sel = a->top = 0;
}

static void load_item(app *a)
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
	size_t want = a->n_rows > (size_t)PAGE ? a->n_rows : PAGE;
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
	if (store_list_counts(a->st, list_status(a), &next, PAGE, &v, &n, counts, &gen, &err)) {
		app_set_msg(a, true, "%s", err.msg);
		return DO_DRAW;
	}
	memcpy(a->counts, counts, sizeof counts);
	a->gen = gen;
	size_t sel_was = a->sel, top_was = a->top;
	restart_rows(a, deep ? &from : NULL);
	a->cur = next;
	insert_rows(a, 0, v, n);
	a->sel = sel_was;
	a->top = top_was;
	while (a->n_rows < want && load_page(a) > 0)
		;
	/* the selection stays on the same execution when it is still listed */
	size_t sel = a->sel < a->n_rows ? a->sel : (a->n_rows ? a->n_rows - 1 : 0);
	for (size_t i = 0; keep[0] && i < a->n_rows; i++)
		if (strcmp(a->rows[i].exec.id, keep) == 0)
			sel = i;
	a->sel = sel;
	/* and stays on screen when rows arrived above it */
	size_t h = (size_t)draw_list_height();
	if (a->top > a->sel)
		a->top = a->sel;
	if (h && a->sel >= a->top + h)
		a->top = a->sel - h + 1;
	load_item(a);
	return DO_DRAW;
}

/* ---- moving ---- */

static void ensure_loaded(app *a, size_t idx)
{
	while (idx >= a->n_rows && load_page(a) > 0)
		;
}

static int select_row(app *a, size_t idx)
{
	ensure_loaded(a, idx);
	if (a->n_rows == 0)
		return DO_DRAW;
	if (idx >= a->n_rows)
		idx = a->n_rows - 1;
	a->sel = idx;
	size_t h = (size_t)draw_list_height();
	if (a->sel < a->top)
		a->top = a->sel;
	if (h && a->sel >= a->top + h)
		a->top = a->sel - h + 1;
	trim_window(a);
	load_item(a);
	a->log_top = 0;
	return DO_DRAW;
}

static int move_by(app *a, long delta)
{
	if (a->help) { /* draw_help keeps it within the lines */
		long t = (long)a->help_top + delta;
		a->help_top = t < 0 ? 0 : t > (1L << 20) ? (size_t)1 << 20 : (size_t)t;
		return DO_DRAW;
	}
	if (a->show_results) {
		long t = (long)a->results_top + delta;
		long max = (long)a->n_results - 1;
		a->results_top = t < 0 ? 0 : t > max ? (size_t)(max < 0 ? 0 : max) : (size_t)t;
		return DO_DRAW;
	}
	if (a->focus == PANE_TASKS && a->have_item) {
		long t = (long)a->task_sel + delta;
		if (t < 0)
			t = 0;
		if (a->item.n_tasks && t >= (long)a->item.n_tasks)
			t = (long)a->item.n_tasks - 1;
		a->task_sel = (size_t)t;
		a->log_top = 0;
		return DO_DRAW;
	}
	if (a->focus == PANE_DETAIL) {
		long t = (long)a->log_top + delta;
		a->log_top = t < 0 ? 0 : (size_t)t;
		return DO_DRAW;
	}
	long s = (long)a->sel + delta;
	while (s < 0 && a->deep) {
		size_t added = load_newer(a);
		if (added == 0)
			break;
		s += (long)added;
	}
	return select_row(a, s < 0 ? 0 : (size_t)s);
}

static int act_up(app *a) { return move_by(a, -1); }
static int act_down(app *a) { return move_by(a, 1); }
static int act_pgup(app *a) { return move_by(a, -(long)(draw_list_height() > 1 ? draw_list_height() - 1 : 1)); }
static int act_pgdn(app *a) { return move_by(a, draw_list_height() > 1 ? draw_list_height() - 1 : 1); }
static int act_home(app *a)
{
	if (a->help) {
		a->help_top = 0;
		return DO_DRAW;
	}
	if (a->focus == PANE_EXECS && a->deep) {
		restart_rows(a, NULL);
		load_page(a);
		return select_row(a, 0);
	}
	return move_by(a, -(long)(a->sel + a->task_sel + a->log_top + 1));
}

static int act_end(app *a)
{
	if (a->help)
		return move_by(a, 1L << 20);
	if (a->focus != PANE_EXECS)
		return move_by(a, 1L << 30);
	if (!windowed(a)) {
		while (load_page(a) > 0)
			;
		return select_row(a, a->n_rows ? a->n_rows - 1 : 0);
	}
	if (!a->cur.done) {
		/* the last page straight from the index: the oldest rows */
		store_cursor oldest = { .len = 0 };
		record_exec *v;
		size_t n;
		store_err err;
		if (store_list_newer(a->st, list_status(a), &oldest, PAGE, &v, &n, &err)) {
			app_set_msg(a, true, "%s", err.msg);
			return DO_DRAW;
		}
		restart_rows(a, NULL);
		insert_rows(a, 0, v, n);
		a->cur.done = true;
		a->deep = n == PAGE; /* a shorter page is the whole list */
	}
	return select_row(a, a->n_rows ? a->n_rows - 1 : 0);
}

static int act_tab(app *a)
{
	a->focus = a->focus == PANE_EXECS ? PANE_TASKS : a->focus == PANE_TASKS ? PANE_DETAIL : PANE_EXECS;
	return DO_DRAW;
}

static int act_enter(app *a)
{
	a->focus = a->focus == PANE_EXECS ? PANE_TASKS : PANE_DETAIL;
	a->log_top = 0;
	return DO_DRAW;
}

static int act_back(app *a)
{
	if (a->help) {
		a->help = false;
		return DO_DRAW;
	}
	if (a->show_results) {
		a->show_results = false;
		return DO_DRAW;
	}
	if (a->n_marks) {
		a->n_marks = 0;
		app_set_msg(a, false, "marks cleared");
		return DO_DRAW;
	}
	if (a->focus != PANE_EXECS) {
		a->focus = a->focus == PANE_DETAIL ? PANE_TASKS : PANE_EXECS;
		return DO_DRAW;
	}
	if (a->search[0] || a->only_waiting) {
		a->search[0] = '\0';
		a->only_waiting = false;
		restart_rows(a, NULL);
		app_set_msg(a, false, "showing every execution");
		return DO_RELOAD;
	}
	return DO_NOTHING;
}

static int act_quit(app *a)
{
	if (a->help) {
		a->help = false;
		return DO_DRAW;
	}
	return DO_QUIT;
}

static int act_waiting(app *a)
{
	a->only_waiting = !a->only_waiting;
	restart_rows(a, NULL);
	app_set_msg(a, false, a->only_waiting ? "showing executions waiting for input (w: all)" : "showing every execution");
	return DO_RELOAD;
}

/* Selects the execution at `e`: in the window if it is there, otherwise
 * in a window read from it. */
static int select_exec(app *a, const record_exec *e)
{
	for (size_t i = 0; i < a->n_rows; i++)
		if (strcmp(a->rows[i].exec.id, e->id) == 0)
			return select_row(a, i);
	store_cursor from;
	store_cursor_at(&from, e, true);
	restart_rows(a, &from);
	load_page(a);
	return select_row(a, 0);
}

static int act_next_waiting(app *a)
{
	if (!windowed(a)) {
		/* a filtered list: look through it */
		for (size_t step = 1;; step++) {
			size_t i = a->sel + step;
			ensure_loaded(a, i);
			if (i >= a->n_rows)
				break;
			if (a->rows[i].exec.status == EXEC_WAITING) {
				a->focus = PANE_EXECS;
				return select_row(a, i);
			}
		}
		for (size_t i = 0; i < a->sel && i < a->n_rows; i++)
			if (a->rows[i].exec.status == EXEC_WAITING)
				return select_row(a, i);
		app_set_msg(a, false, "nothing else waits for input");
		return DO_DRAW;
	}
	/* the next older one that waits, from the status index; after the
	 * oldest, the newest again */
	store_cursor from = { .len = 0 };
	if (a->sel < a->n_rows)
		store_cursor_at(&from, &a->rows[a->sel].exec, false);
	record_exec *v = NULL;
	size_t n = 0;
	store_err err;
	for (int pass = 0; pass < 2 && n == 0; pass++) {
		if (pass == 1)
			memset(&from, 0, sizeof from);
		if (store_list(a->st, EXEC_WAITING, &from, 1, &v, &n, &err)) {
			app_set_msg(a, true, "%s", err.msg);
			return DO_DRAW;
		}
	}
	if (n == 0 || (a->sel < a->n_rows && strcmp(v[0].id, a->rows[a->sel].exec.id) == 0)) {
		record_exec_array_free(v, n);
		app_set_msg(a, false, "nothing else waits for input");
		return DO_DRAW;
	}
	a->focus = PANE_EXECS;
	int todo = select_exec(a, &v[0]);
	record_exec_array_free(v, n);
	return todo;
}

static int act_search(app *a)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", a->search);
	if (!draw_prompt(a, "search id or name: ", buf, sizeof buf))
		return DO_DRAW;
	snprintf(a->search, sizeof a->search, "%s", buf);
	restart_rows(a, NULL);
	app_set_msg(a, false, a->search[0] ? "filter: %s (Esc clears)" : "%s", a->search[0] ? a->search : "no filter");
	return DO_RELOAD;
}

static int act_help(app *a)
{
	a->help = !a->help;
	a->help_top = 0;
	return DO_DRAW;
}

static int act_redraw(app *a)
{
	(void)a;
	return DO_CLEAR | DO_RELOAD;
}

/* ---- changing the store ---- */

static const record_task *selected_task(app *a)
{
	if (!a->have_item || a->task_sel >= a->item.n_tasks)
		return NULL;
	return &a->item.tasks[a->task_sel];
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
static bool may_answer_in(app *a, const record_exec *e, const record_task *t, char *why, size_t cap)
{
	who_am_i(a);
	const char *groups[32];
	for (size_t i = 0; i < a->n_groups; i++)
		groups[i] = a->groups[i];
	return store_may_answer(e, t, a->me, groups, a->n_groups, !store_is_read_only(a->st), why, cap) == 0;
}

static bool may_answer(app *a, const record_task *t)
{
	char why[600];
	if (may_answer_in(a, &a->item.exec, t, why, sizeof why))
		return true;
	app_set_msg(a, true, "you may not answer this: %s", why);
	return false;
}

/* may_answer for every waiting task of the selected execution. */
static bool may_answer_all(app *a)
{
	for (size_t i = 0; i < a->item.n_tasks; i++)
		if (a->item.tasks[i].status == TASK_WAITING && !may_answer(a, &a->item.tasks[i]))
			return false;
	return true;
}

static int report(app *a, store_code c, const store_err *err, const char *done)
{
	if (c) {
		app_set_msg(a, true, "%s", err->msg);
		return DO_RELOAD;
	}
	app_set_msg(a, false, "%s", done);
	return DO_RELOAD;
}

static bool confirmed(app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool confirmed(app *a, const char *fmt, ...)
{
	char q[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q, sizeof q, fmt, ap);
	va_end(ap);
	if (!a->conf.confirm)
		return true;
	if (draw_confirm(a, q))
		return true;
	app_set_msg(a, false, "cancelled: nothing changed");
	return false;
}

static int act_pause(app *a)
{
	const record_task *t = selected_task(a);
	if (!t) {
		app_set_msg(a, true, "select an execution with tasks first");
		return DO_DRAW;
	}
	char exec[160], task[160];
	snprintf(exec, sizeof exec, "%s", a->item.exec.id);
	snprintf(task, sizeof task, "%s", t->task_id);
	if (t->status != TASK_PENDING && t->status != TASK_IN_PROGRESS) {
		app_set_msg(a, true, "task '%s' cannot be paused (status: %s)", task, status_task_name(t->status));
		return DO_DRAW;
	}
	if (a->item.exec.status != EXEC_RUNNING && a->item.exec.status != EXEC_WAITING) {
		app_set_msg(a, true, "execution '%s' cannot be paused (status: %s)", exec,
			    status_exec_name(a->item.exec.status));
		return DO_DRAW;
	}
	if (!confirmed(a, "Pause task %s of %s?", task, exec))
		return DO_DRAW;
	store_err err;
	char done[400];
	snprintf(done, sizeof done, "paused task %s of %s", task, exec);
	return report(a, store_pause_task(a->st, exec, task, &err), &err, done);
}

/* Asks for a task's input in the prompt line, its default pre-filled, until
 * the store's rules accept it; false when the operator cancels. */
static bool ask_value(app *a, const record_task *t, char *value, size_t cap)
{
	char label[300];
	const char *kind = t->input_type == INPUT_BOOLEAN ? " (yes/no)" : t->input_type == INPUT_NUMBER ? " (number)" : "";
	snprintf(label, sizeof label, "%.*s%s: ", (int)(t->input_prompt.len > 120 ? 120 : t->input_prompt.len),
		 t->input_prompt.s, kind);
	value[0] = '\0';
	if (t->has_input_default)
		snprintf(value, cap, "%s", t->input_default.s);
	for (;;) {
		if (!draw_prompt(a, label, value, cap)) {
			app_set_msg(a, false, "cancelled: nothing changed");
			return false;
		}
		char why[300];
		if (store_input_check(t, value, strlen(value), why, sizeof why) == 0)
			break;
		/* a rejected value asks again, saying why above the prompt */
		app_set_msg(a, true, "%s", why);
	}
	a->msg[0] = '\0';
	return true;
}

/* ---- marks and bulk actions ---- */

static bool ask_reason(app *a, const char *what, char *reason, size_t cap);

bool app_marked(const app *a, const char *id)
{
	for (size_t i = 0; i < a->n_marks; i++)
		if (strcmp(a->marks[i], id) == 0)
			return true;
	return false;
}

/* Unmarks one execution (Space again, or a bulk action reached it). */
static void unmark(app *a, const char *id)
{
	for (size_t i = 0; i < a->n_marks; i++)
		if (strcmp(a->marks[i], id) == 0) {
			memmove(a->marks + i, a->marks + i + 1, (a->n_marks - i - 1) * sizeof *a->marks);
			a->n_marks--;
			return;
		}
}

static int act_mark(app *a)
{
	if (a->focus != PANE_EXECS || a->sel >= a->n_rows) {
		app_set_msg(a, true, "Space marks executions: in the executions pane");
		return DO_DRAW;
	}
	const char *id = a->rows[a->sel].exec.id;
	if (app_marked(a, id)) {
		unmark(a, id);
	} else if (a->n_marks >= APP_MARKS_MAX) {
		app_set_msg(a, true, "at most %d marks: act on these first (R, x, X), or Esc to clear them", APP_MARKS_MAX);
		return DO_DRAW;
	} else {
		if (!a->marks && !(a->marks = calloc(APP_MARKS_MAX, sizeof *a->marks)))
			return DO_NOTHING;
		snprintf(a->marks[a->n_marks++], sizeof a->marks[0], "%s", id);
	}
	app_set_msg(a, false, "%zu marked: R, x and X act on every marked execution (Esc clears)", a->n_marks);
	return move_by(a, 1) | DO_DRAW;
}

static void add_result(app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_result(app *a, const char *fmt, ...)
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

enum { BULK_RESUME, BULK_REJECT, BULK_CANCEL };

enum { SKIP_NONE, SKIP_STATUS, SKIP_NOT_YOURS, SKIP_ANSWER, SKIP_KINDS };

/* Why an execution is skipped by a bulk action (into why, "" when it is
 * not), and which kind of reason it is. */
static int bulk_skip(app *a, int kind, const store_item *it, char *why, size_t cap)
{
	const record_exec *e = &it->exec;
	why[0] = '\0';
	if (kind == BULK_CANCEL ? e->status != EXEC_RUNNING && e->status != EXEC_WAITING : e->status != EXEC_WAITING) {
		snprintf(why, cap, "it is %s", status_exec_name(e->status));
		return SKIP_STATUS;
	}
	for (size_t i = 0; i < it->n_tasks; i++) {
		const record_task *t = &it->tasks[i];
		if (t->status != TASK_WAITING)
			continue;
		char w[600];
		if (!may_answer_in(a, e, t, w, sizeof w)) {
			snprintf(why, cap, "you may not answer it: %s", w);
			return SKIP_NOT_YOURS;
		}
		if (kind == BULK_RESUME && t->has_input && t->input_required && !t->has_input_value &&
		    !t->has_input_default) {
			snprintf(why, cap, "task '%s' waits for a required answer", t->task_id);
			return SKIP_ANSWER;
		}
	}
	return SKIP_NONE;
}

/* R, x or X with marks: one confirmation that says the count and what will
 * be skipped, each execution its own transaction, a result for each. */
static int bulk(app *a, int kind)
{
	static const char *const verb[] = { "Resume", "Reject the waiting tasks of", "Cancel" };
	static const char *const done_word[] = { "resumed", "rejected", "cancelled" };
	size_t n = a->n_marks, skip = 0, by[SKIP_KINDS] = { 0 };
	char (*why)[700] = calloc(n, sizeof *why);
	if (!why)
		return DO_NOTHING;
	for (size_t i = 0; i < n; i++) {
		store_item it;
		store_err err;
		if (store_get_item(a->st, a->marks[i], &it, &err)) {
			snprintf(why[i], sizeof why[i], "%s", err.msg);
			by[SKIP_STATUS]++;
		} else {
			by[bulk_skip(a, kind, &it, why[i], sizeof why[i])]++;
			store_item_free(&it);
		}
		skip += why[i][0] != '\0';
	}
	char reason[256] = "";
	if (kind != BULK_RESUME && skip < n &&
	    !ask_reason(a, kind == BULK_REJECT ? "reject them" : "cancel them", reason, sizeof reason)) {
		free(why);
		return DO_DRAW;
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
			 kind == BULK_CANCEL && k == SKIP_STATUS ? (by[k] == 1 ? "has ended" : "have ended")
								  : by[k] == 1 ? one[k] : many[k]);
	}
	if (skip) {
		size_t o = strlen(skipped);
		snprintf(skipped + o, sizeof skipped - o, " and will be skipped");
	}
	if (skip == n) {
		app_set_msg(a, true, "none of the %zu marked executions can be %s (v: why)", n, done_word[kind]);
		free_results(a);
		for (size_t i = 0; i < n; i++)
			add_result(a, "skipped %s: %s", a->marks[i], why[i]);
		free(why);
		return DO_DRAW;
	}
	if (!confirmed(a, "%s %zu execution%s?%s", verb[kind], n - skip, n - skip == 1 ? "" : "s", skipped)) {
		free(why);
		return DO_DRAW;
	}
	bulk_job *j = calloc(1, sizeof *j);
	char (*ids)[130] = j ? calloc(n, sizeof *ids) : NULL;
	if (!ids) {
		free(j);
		free(why);
		app_set_msg(a, true, "out of memory: nothing changed");
		return DO_DRAW;
	}
	memcpy(ids, a->marks, n * sizeof *ids);
	j->kind = kind;
	snprintf(j->reason, sizeof j->reason, "%s", reason);
	j->ids = ids;
	j->why = why;
	j->n = n;
	a->job = j;
	free_results(a);
	return app_work(a);
}

static void job_free(app *a)
{
	if (!a->job)
		return;
	free(a->job->ids);
	free(a->job->why);
	free(a->job);
	a->job = NULL;
}

static const char *const job_verb[] = { "resumed", "rejected", "cancelled" };

bool app_busy(const app *a)
{
	return a->job != NULL;
}

static int job_stop(app *a, const char *why);

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
			add_result(a, "skipped %s: %s", id, j->why[i]);
		} else {
			store_err err;
			store_code c = j->kind == BULK_RESUME ? store_resume_workflow(a->st, id, &err)
				     : j->kind == BULK_REJECT ? store_task_reject(a->st, id, NULL, j->reason, &err)
							      : store_exec_cancel(a->st, id, j->reason, &err);
			if (c == STORE_OK) {
				j->done++;
				add_result(a, "%s %s", job_verb[j->kind], id);
			} else if (c == STORE_STORAGE) {
				/* the server does not answer, or its disk is full: the
				 * rest would fail the same way, each after a wait */
				add_result(a, "no answer for %s (it may yet be done): %s", id, err.msg);
				j->next = i;
				return job_stop(a, err.msg);
			} else {
				j->refused++;
				add_result(a, "refused %s: %s", id, err.msg);
			}
		}
		unmark(a, id);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000 >= JOB_SLICE_US)
			break;
	}
	if (j->next < j->n) {
		static const char *const ing[] = { "resuming", "rejecting", "cancelling" };
		app_set_msg(a, false, "%s %zu of %zu... (keys work meanwhile; Esc stops)", ing[j->kind], j->next, j->n);
		return DO_DRAW;
	}
	a->n_marks = 0;
	app_set_msg(a, j->refused != 0, "%s %zu, skipped %zu, refused %zu (v: the result of each)", job_verb[j->kind],
		    j->done, j->skipped, j->refused);
	job_free(a);
	return DO_RELOAD;
}

/* Esc during a bulk action, or a store that fails (why): what was done
 * stays done; the rest stays marked. */
static int job_stop(app *a, const char *why)
{
	bulk_job *j = a->job;
	size_t left = 0;
	for (size_t i = j->next; i < j->n; i++) {
		if (j->why[i][0])
			unmark(a, j->ids[i]);
		else
			left++;
	}
	app_set_msg(a, true, "stopped after %zu of %zu: %s %zu, skipped %zu, refused %zu; %zu not done, still marked%s%s",
		    j->next, j->n, job_verb[j->kind], j->done, j->skipped, j->refused, left, why ? ": " : "",
		    why ? why : "");
	job_free(a);
	return why ? DO_DRAW : DO_RELOAD; /* a store that fails would only fail again */
}

static int act_results(app *a)
{
	if (!a->n_results) {
		app_set_msg(a, false, "no bulk action yet: mark executions with Space, then R, x or X");
		return DO_DRAW;
	}
	a->show_results = !a->show_results;
	a->results_top = 0;
	return DO_DRAW;
}

static int act_resume_task(app *a)
{
	const record_task *t = selected_task(a);
	if (!t) {
		app_set_msg(a, true, "select a task first (Tab moves to the tasks)");
		return DO_DRAW;
	}
	char exec[160], task[160];
	snprintf(exec, sizeof exec, "%s", a->item.exec.id);
	snprintf(task, sizeof task, "%s", t->task_id);
	store_err err;
	if (t->status != TASK_WAITING) {
		/* let the store say it, in its own words */
		return report(a, store_resume_task(a->st, exec, task, NULL, 0, &err), &err, "");
	}
	if (!may_answer(a, t))
		return DO_DRAW;
	char value[256] = "";
	bool have_value = false;
	if (t->has_input) {
		if (!ask_value(a, t, value, sizeof value))
			return DO_DRAW;
		have_value = value[0] != '\0' || t->input_required;
	}
	if (!confirmed(a, "Resume task %s of %s%s%s?", task, exec, have_value ? " with " : "", have_value ? value : ""))
		return DO_DRAW;
	char done[400];
	snprintf(done, sizeof done, "resumed task %s of %s", task, exec);
	return report(a, store_resume_task(a->st, exec, task, have_value ? value : NULL, strlen(value), &err), &err, done);
}

static int act_resume_workflow(app *a)
{
	if (a->n_marks)
		return bulk(a, BULK_RESUME);
	if (!a->have_item) {
		app_set_msg(a, true, "select an execution first");
		return DO_DRAW;
	}
	char exec[160];
	snprintf(exec, sizeof exec, "%s", a->item.exec.id);
	/* what the store would refuse is said at once, without a y/N first */
	if (a->item.exec.status != EXEC_WAITING) {
		app_set_msg(a, true, "execution '%s' is not waiting for input (status: %s)", exec,
			    status_exec_name(a->item.exec.status));
		return DO_DRAW;
	}
	if (!may_answer_all(a))
		return DO_DRAW;
	/* a required answer is never skipped: ask for each in turn */
	enum { MAX_ASKED = 16 };
	size_t asked[MAX_ASKED], n_asked = 0, others = 0;
	static char values[MAX_ASKED][256];
	for (size_t i = 0; i < a->item.n_tasks; i++) {
		const record_task *t = &a->item.tasks[i];
		if (t->status != TASK_WAITING)
			continue;
		if (!(t->has_input && t->input_required && !t->has_input_value && !t->has_input_default)) {
			others++;
			continue;
		}
		if (n_asked == MAX_ASKED) {
			app_set_msg(a, true, "more than %d tasks need an answer: resume them one by one with r", MAX_ASKED);
			return DO_DRAW;
		}
		a->task_sel = i;
		draw_screen(a);
		if (!ask_value(a, t, values[n_asked], sizeof values[n_asked]))
			return DO_DRAW;
		asked[n_asked++] = i;
	}
	if (!confirmed(a, "Resume every waiting task of %s%s?", exec, n_asked ? " with the answers given" : ""))
		return DO_DRAW;
	store_err err;
	char done[300];
	snprintf(done, sizeof done, "resumed %s", exec);
	for (size_t k = 0; k < n_asked; k++) {
		const record_task *t = &a->item.tasks[asked[k]];
		store_code c = store_resume_task(a->st, exec, t->task_id, values[k], strlen(values[k]), &err);
		if (c)
			return report(a, c, &err, "");
	}
	if (others == 0)
		return report(a, STORE_OK, &err, done);
	return report(a, store_resume_workflow(a->st, exec, &err), &err, done);
}

/* Asks for a reason (required); false when the operator cancels. */
static bool ask_reason(app *a, const char *what, char *reason, size_t cap)
{
	char label[200];
	snprintf(label, sizeof label, "Reason to %s: ", what);
	reason[0] = '\0';
	for (;;) {
		if (!draw_prompt(a, label, reason, cap)) {
			app_set_msg(a, false, "cancelled: nothing changed");
			return false;
		}
		if (reason[0])
			break;
		app_set_msg(a, true, "a reason is required: it goes in the audit trail");
	}
	a->msg[0] = '\0';
	return true;
}

static int act_reject(app *a)
{
	if (a->n_marks)
		return bulk(a, BULK_REJECT);
	const record_task *t = selected_task(a);
	if (!t) {
		app_set_msg(a, true, "select a task first (Tab moves to the tasks)");
		return DO_DRAW;
	}
	char exec[160], task[160], reason[256];
	snprintf(exec, sizeof exec, "%s", a->item.exec.id);
	snprintf(task, sizeof task, "%s", t->task_id);
	if (t->status != TASK_WAITING) {
		app_set_msg(a, true, "task '%s' is not waiting for input (status: %s): only a waiting task can be rejected",
			    task, status_task_name(t->status));
		return DO_DRAW;
	}
	if (!may_answer(a, t))
		return DO_DRAW;
	if (!ask_reason(a, "reject it", reason, sizeof reason))
		return DO_DRAW;
	if (!confirmed(a, "Reject task %s of %s (it fails)?", task, exec))
		return DO_DRAW;
	store_err err;
	char done[400];
	snprintf(done, sizeof done, "rejected task %s of %s", task, exec);
	return report(a, store_task_reject(a->st, exec, task, reason, &err), &err, done);
}

static int act_cancel(app *a)
{
	if (a->n_marks)
		return bulk(a, BULK_CANCEL);
	if (!a->have_item) {
		app_set_msg(a, true, "select an execution first");
		return DO_DRAW;
	}
	char exec[160], reason[256];
	snprintf(exec, sizeof exec, "%s", a->item.exec.id);
	if (a->item.exec.status != EXEC_RUNNING && a->item.exec.status != EXEC_WAITING) {
		app_set_msg(a, true, "execution '%s' is %s: it has ended", exec, status_exec_name(a->item.exec.status));
		return DO_DRAW;
	}
	if (!may_answer_all(a))
		return DO_DRAW;
	if (!ask_reason(a, "cancel it", reason, sizeof reason))
		return DO_DRAW;
	if (!confirmed(a, "Cancel %s (it and every task not ended fail)?", exec))
		return DO_DRAW;
	store_err err;
	char done[300];
	snprintf(done, sizeof done, "cancelled %s", exec);
	return report(a, store_exec_cancel(a->st, exec, reason, &err), &err, done);
}

#define CTRL(c) ((c) & 0x1f)

const action app_actions[] = {
	{ KEY_UP, 'k', "Up/k", "up", "move up", false, false, act_up },
	{ KEY_DOWN, 'j', "Down/j", "down", "move down", false, false, act_down },
	{ KEY_PPAGE, 0, "PgUp", "page up", "page up", false, false, act_pgup },
	{ KEY_NPAGE, 0, "PgDn", "page down", "page down", false, false, act_pgdn },
	{ 'g', KEY_HOME, "g/Home", "first", "go to the first row", false, false, act_home },
	{ 'G', KEY_END, "G/End", "last", "go to the last row", false, false, act_end },
	{ '\t', 0, "Tab", "pane", "switch pane: executions, tasks, detail", false, true, act_tab },
	{ '\n', KEY_ENTER, "Enter", "open", "open the tasks, then a task's detail", false, true, act_enter },
	{ 'p', 0, "p", "pause", "pause the selected task", true, true, act_pause },
	{ 'r', 0, "r", "resume", "resume the selected task (asks for its input)", true, true, act_resume_task },
	{ 'R', 0, "R", "resume all", "resume the whole workflow (the marked ones, when marked)", true, true,
	  act_resume_workflow },
	{ 'x', 0, "x", "reject", "reject the selected waiting task, with a reason: it fails (marked: all their waiting tasks)",
	  true, false, act_reject },
	{ 'X', 0, "X", "cancel", "cancel the execution, with a reason: it fails (the marked ones, when marked)", true, false,
	  act_cancel },
	{ ' ', 0, "Space", "mark", "mark or unmark the execution, for R, x and X on all marked", true, false, act_mark },
	{ 'v', 0, "v", "results", "the result of the last bulk action, per execution", false, false, act_results },
	{ 'w', 0, "w", "waiting", "show only executions waiting for input", false, true, act_waiting },
	{ 'n', 0, "n", "next", "jump to the next execution waiting for input", false, true, act_next_waiting },
	{ '/', 0, "/", "search", "search by id or workflow name", false, true, act_search },
	{ '?', 0, "?", "help", "this help", false, true, act_help },
	{ CTRL('l'), 0, "Ctrl-L", "redraw", "read the store and redraw", false, false, act_redraw },
	{ 27, 0, "Esc", "back", "stop a bulk action; clear the marks; back to the previous pane; clear a filter", false, false, act_back },
	{ 'q', 0, "q", "quit", "quit (or close the help)", false, true, act_quit },
	{ 0, 0, NULL, NULL, NULL, false, false, NULL },
};

int app_key(app *a, int key)
{
	for (const action *ac = app_actions; ac->run; ac++) {
		if (ac->key != key && (ac->key2 == 0 || ac->key2 != key))
			continue;
		if (a->job && ac->run == act_back)
			return job_stop(a, NULL);
		if (a->job && ac->mutates) {
			app_set_msg(a, true, "a bulk action runs: %s waits for it to end (Esc stops it)", ac->name);
			return DO_DRAW;
		}
		if (a->job && ac->run == act_quit)
			job_stop(a, NULL); /* what was done stays done */
		a->msg[0] = '\0'; /* a bound key replaces the last message; others leave it */
		if (ac->mutates && a->read_only) {
			app_set_msg(a, true, "read-only mode: %s is not available", ac->name);
			return DO_DRAW;
		}
		bool scrolls = ac->run == act_up || ac->run == act_down || ac->run == act_pgup || ac->run == act_pgdn ||
			       ac->run == act_home || ac->run == act_end;
		if (a->help && ac->run != act_quit && ac->run != act_back && ac->run != act_help && !scrolls)
			a->help = false;
		if (a->show_results && ac->run != act_up && ac->run != act_down && ac->run != act_pgup &&
		    ac->run != act_pgdn && ac->run != act_back && ac->run != act_results)
			a->show_results = false;
		return ac->run(a);
	}
	return DO_NOTHING;
}

int app_click(app *a, int y, int x)
{
	(void)x;
	int first = 2; /* the header and the column titles */
	int h = draw_list_height();
	if (y >= first && y < first + h) {
		a->focus = PANE_EXECS;
		return select_row(a, a->top + (size_t)(y - first));
	}
	return DO_NOTHING;
}
