/* actions.c - the one table of the dashboard's actions and their handlers.
 * A handler changes state and returns what to do; the main loop reads and
 * draws.  An action that asks (a value, a reason, y/N) opens the prompt and
 * returns: the prompt is a mode of the main loop, and each answer moves the
 * action on (ask_next) until the last one sends it. */
#include "config.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "bulk.h"
#include "list.h"
#include "text.h"

/* ---- moving ---- */

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
		a->log_follow = false;
		return DO_DRAW;
	}
	if (a->focus == PANE_DETAIL) {
		long t = (long)a->log_top + delta;
		a->log_top = t < 0 ? 0 : (size_t)t;
		a->log_follow = false;
		return DO_DRAW;
	}
	long s = (long)a->sel + delta;
	while (s < 0 && a->deep) {
		size_t added = list_load_newer(a);
		if (added == 0)
			break;
		s += (long)added;
	}
	return list_select(a, s < 0 ? 0 : (size_t)s);
}

static int act_up(app *a) { return move_by(a, -1); }
static int act_down(app *a) { return move_by(a, 1); }
static int act_pgup(app *a) { return move_by(a, -(long)(a->list_h > 1 ? a->list_h - 1 : 1)); }
static int act_pgdn(app *a) { return move_by(a, a->list_h > 1 ? a->list_h - 1 : 1); }
static int act_home(app *a)
{
	if (a->help) {
		a->help_top = 0;
		return DO_DRAW;
	}
	if (a->focus == PANE_EXECS)
		return list_first(a);
	return move_by(a, -(long)(a->sel + a->task_sel + a->log_top + 1));
}

static int act_end(app *a)
{
	if (a->help)
		return move_by(a, 1L << 20);
	if (a->focus != PANE_EXECS) {
		int todo = move_by(a, 1L << 30);
		a->log_follow = a->focus == PANE_DETAIL; /* and on, as lines stream in */
		return todo;
	}
	return list_last(a);
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
	if (a->search[0] || a->filter != FILTER_ALL) {
		a->search[0] = '\0';
		a->filter = FILTER_ALL;
		list_restart(a, NULL);
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
	a->filter = a->filter == FILTER_WAITING ? FILTER_ALL : FILTER_WAITING;
	list_restart(a, NULL);
	app_set_msg(a, false, a->filter == FILTER_WAITING ? "showing executions waiting for input or paused (w: all)"
							 : "showing every execution");
	return DO_RELOAD;
}

/* s: the next sort key; S: the other way round. */
static int act_sort(app *a)
{
	a->sort = (view_sort)((a->sort + 1) % SORT_COUNT);
	list_restart(a, NULL);
	app_set_msg(a, false, "sorted by %s%s (s: next, S: reverse)", app_sort_name(a->sort), a->sort_reverse ? ", reversed" : "");
	return DO_RELOAD;
}

static int act_sort_reverse(app *a)
{
	a->sort_reverse = !a->sort_reverse;
	list_restart(a, NULL);
	app_set_msg(a, false, "sorted by %s%s (s: next, S: reverse)", app_sort_name(a->sort), a->sort_reverse ? ", reversed" : "");
	return DO_RELOAD;
}

/* f: the status filter, in turn: all, waiting, paused, running, failed, complete. */
static int act_filter(app *a)
{
	a->filter = (view_filter)((a->filter + 1) % FILTER_COUNT);
	list_restart(a, NULL);
	app_set_msg(a, false, "showing %s executions (f: next filter, Esc: all)", app_filter_name(a->filter));
	return DO_RELOAD;
}

static int log_find(app *a, int dir);

/* N: the previous match of the log search, in the detail pane. */
static int act_prev_match(app *a)
{
	if (a->focus != PANE_DETAIL || !a->log_search[0]) {
		app_set_msg(a, true, "N finds the previous match of a log search: / in the detail pane first");
		return DO_DRAW;
	}
	return log_find(a, -1);
}

static int act_next_waiting(app *a)
{
	if (a->focus == PANE_DETAIL && a->log_search[0])
		return log_find(a, 1); /* n: the next match of the log search */
	if (!list_windowed(a)) {
		/* a filtered list: look through it */
		for (size_t step = 1;; step++) {
			size_t i = a->sel + step;
			list_ensure(a, i);
			if (i >= a->n_rows)
				break;
			if (a->rows[i].exec.status == EXEC_WAITING) {
				a->focus = PANE_EXECS;
				return list_select(a, i);
			}
		}
		for (size_t i = 0; i < a->sel && i < a->n_rows; i++)
			if (a->rows[i].exec.status == EXEC_WAITING)
				return list_select(a, i);
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
	int todo = list_select_exec(a, &v[0]);
	record_exec_array_free(v, n);
	return todo;
}

static int ask_next(app *a);

/* Moves the detail to the next (dir 1) or previous (-1) log line of the
 * selected task that holds the log search, after or before the first line
 * shown; says so when there is none. */
static int log_find(app *a, int dir)
{
	const record_task *t = a->have_item && a->task_sel < a->item.n_tasks ? &a->item.tasks[a->task_sel] : NULL;
	if (!t || !a->log_search[0])
		return DO_DRAW;
	size_t prefix = app_detail_prefix(a, t), n = t->n_logs, len = strlen(a->log_search);
	size_t cur = a->log_top > prefix ? a->log_top - prefix : 0;
	for (size_t k = 1; k <= n; k++) {
		size_t i = dir > 0 ? (cur + k) % n : (cur + n - k % n) % n;
		if (a->log_top < prefix && dir > 0 && k == 1)
			i = 0; /* from above the log, its first line counts */
		if (memmem(t->logs[i].s, t->logs[i].len, a->log_search, len)) {
			a->log_top = prefix + i;
			a->log_follow = false;
			app_set_msg(a, false, "'%s': log line %zu of %zu (n: next, N: previous)", a->log_search, i + 1, n);
			return DO_DRAW;
		}
	}
	app_set_msg(a, true, "'%s' is not in the log of task '%s'", a->log_search, t->task_id);
	return DO_DRAW;
}

static int act_search(app *a)
{
	if (a->focus == PANE_DETAIL) {
		app_ask_clear(a);
		a->ask.op = ASK_LOG_SEARCH;
		if (!prompt_open_line(&a->prompt, "search the log: ", a->log_search, sizeof a->log_search - 1))
			return DO_NOTHING;
		return DO_DRAW;
	}
	app_ask_clear(a);
	a->ask.op = ASK_SEARCH;
	if (!prompt_open_line(&a->prompt, "search id or name: ", a->search, sizeof a->search - 1))
		return DO_NOTHING;
	return DO_DRAW;
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


static bool may_answer(app *a, const record_task *t)
{
	char why[600];
	if (app_may_answer(a, &a->item.exec, t, why, sizeof why))
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

/* ---- asking: the prompt's answers move the action on ---- */

void app_ask_clear(app *a)
{
	ask *k = &a->ask;
	for (size_t i = 0; i < k->n_tasks; i++)
		free(k->values ? k->values[i] : NULL);
	free(k->values);
	free(k->tasks);
	free(k->reason);
	free(k->why);
	memset(k, 0, sizeof *k);
	prompt_close(&a->prompt);
}

/* Starts asking for `op` (ASK_ACTION: def) on the selected execution (and
 * task, or NULL), with room for the values of n_tasks tasks. */
static bool ask_begin(app *a, ask_op op, const ask_def *def, const record_task *t, size_t n_tasks)
{
	app_ask_clear(a);
	ask *k = &a->ask;
	k->op = op;
	k->def = def;
	snprintf(k->exec, sizeof k->exec, "%s", a->have_item ? a->item.exec.id : "");
	snprintf(k->task, sizeof k->task, "%s", t ? t->task_id : "");
	if (n_tasks) {
		k->tasks = calloc(n_tasks, sizeof *k->tasks);
		k->values = calloc(n_tasks, sizeof *k->values);
		if (!k->tasks || !k->values) {
			app_ask_clear(a);
			app_set_msg(a, true, "out of memory: nothing changed");
			return false;
		}
	}
	return true;
}

/* The execution asked about, as the store holds it now: the selected one
 * when it is that, else read (into *tmp, *owned set).  NULL when it is gone. */
static const store_item *ask_item(app *a, store_item *tmp, bool *owned)
{
	*owned = false;
	if (a->have_item && strcmp(a->item.exec.id, a->ask.exec) == 0)
		return &a->item;
	store_err err;
	if (store_get_item(a->st, a->ask.exec, tmp, &err) != STORE_OK)
		return NULL;
	*owned = true;
	return tmp;
}

static const record_task *find_task(const store_item *it, const char *id)
{
	for (size_t i = 0; it && i < it->n_tasks; i++)
		if (strcmp(it->tasks[i].task_id, id) == 0)
			return &it->tasks[i];
	return NULL;
}

/* Whether a boolean answer typed as y or n (or empty for the default) is
 * one; the store takes true, false, yes and no. */
static const char *boolean_value(const record_task *t, const char *typed)
{
	if (!typed[0] && t->has_input_default)
		return t->input_default.s;
	if (strcasecmp(typed, "y") == 0)
		return "yes";
	if (strcasecmp(typed, "n") == 0)
		return "no";
	return typed;
}

static int open_value(app *a)
{
	ask *k = &a->ask;
	store_item tmp;
	bool owned;
	const store_item *it = ask_item(a, &tmp, &owned);
	const record_task *t = find_task(it, k->tasks[k->asked]);
	if (!t) {
		if (owned)
			store_item_free(&tmp);
		app_set_msg(a, true, "task '%s' of %s is gone: nothing changed", k->tasks[k->asked], k->exec);
		app_ask_clear(a);
		return DO_RELOAD;
	}
	/* "Approve the deploy? (y/n) [yes]: " */
	char label[400];
	bool boolean = t->input_type == INPUT_BOOLEAN;
	const char *def = t->has_input_default ? t->input_default.s : "";
	int plen = (int)(t->input_prompt.len > 200 ? 200 : t->input_prompt.len);
	if (boolean)
		snprintf(label, sizeof label, "%.*s (y/n)%s%s%s: ", plen, t->input_prompt.s, def[0] ? " [" : "",
			 def[0] ? (strcasecmp(def, "true") == 0 || strcasecmp(def, "yes") == 0 ? "yes" : "no") : "",
			 def[0] ? "]" : "");
	else
		snprintf(label, sizeof label, "%.*s%s: ", plen, t->input_prompt.s,
			 t->input_type == INPUT_NUMBER ? " (number)" : "");
	bool ok = prompt_open_line(&a->prompt, label, boolean ? "" : def, STORE_TEXT_MAX);
	if (owned)
		store_item_free(&tmp);
	if (!ok) {
		app_set_msg(a, true, "out of memory: nothing changed");
		app_ask_clear(a);
	}
	/* the task asked about is the one shown */
	for (size_t i = 0; a->have_item && i < a->item.n_tasks; i++)
		if (strcmp(a->item.tasks[i].task_id, k->tasks[k->asked]) == 0)
			a->task_sel = i;
	return DO_DRAW;
}

/* The answer to the value asked: checked by the store's rule (a value it
 * refuses asks again, saying why above the line), then kept. */
static int value_given(app *a)
{
	ask *k = &a->ask;
	store_item tmp;
	bool owned;
	const store_item *it = ask_item(a, &tmp, &owned);
	const record_task *t = find_task(it, k->tasks[k->asked]);
	int todo = DO_DRAW;
	if (!t) {
		app_set_msg(a, true, "task '%s' of %s is gone: nothing changed", k->tasks[k->asked], k->exec);
		app_ask_clear(a);
		todo = DO_RELOAD;
		goto out;
	}
	const char *v = t->input_type == INPUT_BOOLEAN ? boolean_value(t, a->prompt.buf) : a->prompt.buf;
	char why[300];
	if (store_input_check(t, v, strlen(v), why, sizeof why) != 0) {
		app_set_msg(a, true, "%s", why);
		a->prompt.state = PROMPT_EDITING;
		goto out;
	}
	/* an empty optional answer sends none (the default applies) */
	bool send = v[0] != '\0' || t->input_required;
	if (send && !(k->values[k->asked] = strdup(v))) {
		app_set_msg(a, true, "out of memory: nothing changed");
		app_ask_clear(a);
		goto out;
	}
	k->asked++;
	a->msg[0] = '\0';
	todo = ask_next(a);
out:
	if (owned)
		store_item_free(&tmp);
	return todo;
}

/* What the reason's prompt says ("reject it"); NULL when none is asked. */
static const char *reason_asked(const ask *k)
{
	return k->op == ASK_ACTION ? k->def->reason : k->op == ASK_BULK ? k->bulk->reason : NULL;
}

static int ask_send(app *a);

/* Opens the next question of the action, or sends it when none is left. */
static int ask_next(app *a)
{
	ask *k = &a->ask;
	if (k->step == STEP_VALUE) {
		if (k->asked < k->n_tasks)
			return open_value(a);
		k->step = STEP_REASON;
	}
	if (k->step == STEP_REASON) {
		if (reason_asked(k) && !k->reason) {
			char label[100];
			snprintf(label, sizeof label, "Reason to %s: ", reason_asked(k));
			if (!prompt_open_line(&a->prompt, label, NULL, STORE_TEXT_MAX)) {
				app_ask_clear(a);
				return DO_DRAW;
			}
			return DO_DRAW;
		}
		k->step = STEP_CONFIRM;
		if (k->op == ASK_ACTION && k->def->echo_value && k->n_tasks && k->values[0]) {
			/* the confirmation repeats the answer (its start, when long) */
			size_t o = strlen(k->question);
			if (o && k->question[o - 1] == '?')
				snprintf(k->question + o - 1, sizeof k->question - o + 1, " with %.200s%s?", k->values[0],
					 strlen(k->values[0]) > 200 ? "..." : "");
		}
		if (a->conf.confirm) {
			char q[sizeof k->question + 8];
			snprintf(q, sizeof q, "%s [y/N] ", k->question);
			prompt_open_question(&a->prompt, q);
			return DO_DRAW;
		}
	}
	return ask_send(a);
}

static int reason_given(app *a)
{
	if (!a->prompt.buf[0]) {
		app_set_msg(a, true, "a reason is required: it goes in the audit trail");
		a->prompt.state = PROMPT_EDITING;
		return DO_DRAW;
	}
	if (!(a->ask.reason = strdup(a->prompt.buf))) {
		app_ask_clear(a);
		return DO_DRAW;
	}
	a->msg[0] = '\0';
	return ask_next(a);
}

static int search_given(app *a)
{
	snprintf(a->search, sizeof a->search, "%s", a->prompt.buf);
	app_ask_clear(a);
	list_restart(a, NULL);
	app_set_msg(a, false, a->search[0] ? "filter: %s (Esc clears)" : "%s", a->search[0] ? a->search : "no filter");
	return DO_RELOAD;
}

/* The last answer given: the action goes to the store. */
static int ask_send(app *a)
{
	ask *k = &a->ask;
	store_err err;
	char done[400];
	int todo = DO_RELOAD;
	switch (k->op) {
	case ASK_ACTION:
		todo = report(a, k->def->send(a->st, k, done, sizeof done, &err), &err, done);
		break;
	case ASK_BULK: {
		char (*why)[700] = k->why;
		k->why = NULL;
		todo = bulk_start(a, k->bulk, k->reason, why);
		break;
	}
	default:
		break;
	}
	app_ask_clear(a);
	return todo;
}

/* The prompt said Enter (or y to the question). */
static int ask_answered(app *a)
{
	if (a->prompt.state == PROMPT_DONE && a->ask.step == STEP_CONFIRM)
		return ask_send(a);
	switch (a->ask.op) {
	case ASK_SEARCH:
		return search_given(a);
	case ASK_LOG_SEARCH:
		snprintf(a->log_search, sizeof a->log_search, "%s", a->prompt.buf);
		app_ask_clear(a);
		return log_find(a, 1);
	default:
		return a->ask.step == STEP_VALUE ? value_given(a) : reason_given(a);
	}
}

/* What last happened to the task (or, with task "", the execution):
 * "resume-task by alice at 2026-...". */
static void last_event(app *a, const char *task, char *buf, size_t cap)
{
	record_event *ev = a->events;
	size_t n = a->n_events;
	bool owned = false;
	buf[0] = '\0';
	if (!(a->have_item && strcmp(a->item.exec.id, a->ask.exec) == 0)) {
		store_err err;
		if (store_events(a->st, a->ask.exec, 0, 50, &ev, &n, &err) != STORE_OK)
			return;
		owned = true;
	}
	const record_event *best = NULL;
	for (size_t i = 0; i < n; i++)
		if ((!task[0] || (ev[i].task_id && strcmp(ev[i].task_id, task) == 0)) && (!best || ev[i].seq > best->seq))
			best = &ev[i];
	if (best)
		snprintf(buf, cap, "%s by %s", best->action, best->actor ? best->actor : "-");
	if (owned)
		record_event_array_free(ev, n);
}

int app_ask_check(app *a)
{
	ask *k = &a->ask;
	if (k->op != ASK_ACTION || a->prompt.state == PROMPT_STALE || !prompt_is_open(&a->prompt))
		return DO_NOTHING;
	store_item tmp;
	bool owned;
	const store_item *it = ask_item(a, &tmp, &owned);
	char why[400] = "";
	const char *task = "";
	if (!it)
		snprintf(why, sizeof why, "execution '%s' is gone", k->exec);
	else
		k->def->refused(k, it, why, sizeof why, &task);
	if (owned)
		store_item_free(&tmp);
	if (!why[0])
		return DO_NOTHING;
	char what[300], msg[sizeof a->prompt.why];
	last_event(a, task, what, sizeof what);
	snprintf(msg, sizeof msg, "%s: %s%smeanwhile", why, what, what[0] ? " " : "changed ");
	prompt_stale(&a->prompt, msg);
	return DO_DRAW;
}

/* ---- changing the store: each operation's handler, its check and its send ---- */

/* Opens the operation `def` on the selected execution (and task t) when
 * its check passes; else says why (then `suffix`) and asks nothing.
 * False when it did not open. */
static bool ask_open(app *a, const ask_def *def, const record_task *t, size_t n_tasks, const char *suffix)
{
	if (!ask_begin(a, ASK_ACTION, def, t, n_tasks))
		return false;
	char why[400];
	const char *task = "";
	if (!def->refused(&a->ask, &a->item, why, sizeof why, &task))
		return true;
	app_ask_clear(a);
	app_set_msg(a, true, "%s%s", why, suffix);
	return false;
}

/* Whether the model's rule for the move (the audit trail's name of the
 * action) refuses the task asked about: true, with why, when it does. */
static bool task_refused(const ask *k, const store_item *it, const char *move, const char *words, char *why,
			 size_t cap, const char **task)
{
	const record_task *t = find_task(it, k->task);
	task_status to;
	if (t && store_task_move(move, t->status, &to) == 0)
		return false;
	snprintf(why, cap, "task '%s' %s (status: %s)", k->task, words, t ? status_task_name(t->status) : "gone");
	*task = k->task;
	return true;
}

static bool pause_refused(const ask *k, const store_item *it, char *why, size_t cap, const char **task)
{
	if (task_refused(k, it, "pause", "cannot be paused", why, cap, task))
		return true;
	if (it->exec.status == EXEC_RUNNING || it->exec.status == EXEC_WAITING)
		return false;
	snprintf(why, cap, "execution '%s' cannot be paused (status: %s)", k->exec, status_exec_name(it->exec.status));
	return true;
}

static store_code pause_send(store *st, const ask *k, char *done, size_t cap, store_err *err)
{
	snprintf(done, cap, "paused task %s of %s", k->task, k->exec);
	return store_pause_task(st, k->exec, k->task, err);
}

static const ask_def pause_ask = { NULL, false, pause_refused, pause_send };

static int act_pause(app *a)
{
	const record_task *t = selected_task(a);
	if (!t) {
		app_set_msg(a, true, "select an execution with tasks first");
		return DO_DRAW;
	}
	if (!ask_open(a, &pause_ask, t, 0, ""))
		return DO_DRAW;
	snprintf(a->ask.question, sizeof a->ask.question, "Pause task %s of %s?", t->task_id, a->item.exec.id);
	return ask_next(a);
}

static bool resume_task_refused(const ask *k, const store_item *it, char *why, size_t cap, const char **task)
{
	return task_refused(k, it, "resume-task", "is not waiting for input", why, cap, task);
}

static store_code resume_task_send(store *st, const ask *k, char *done, size_t cap, store_err *err)
{
	const char *v = k->n_tasks ? k->values[0] : NULL;
	snprintf(done, cap, "resumed task %s of %s", k->task, k->exec);
	return store_resume_task(st, k->exec, k->task, v, v ? strlen(v) : 0, err);
}

static const ask_def resume_task_ask = { NULL, true, resume_task_refused, resume_task_send };

static int act_resume_task(app *a)
{
	const record_task *t = selected_task(a);
	if (!t) {
		app_set_msg(a, true, "select a task first (Tab moves to the tasks)");
		return DO_DRAW;
	}
	store_err err;
	task_status to;
	if (store_task_move("resume-task", t->status, &to) < 0) {
		/* let the store say it, in its own words */
		return report(a, store_resume_task(a->st, a->item.exec.id, t->task_id, NULL, 0, &err), &err, "");
	}
	if (!may_answer(a, t))
		return DO_DRAW;
	if (!ask_open(a, &resume_task_ask, t, t->has_input ? 1 : 0, ""))
		return DO_DRAW;
	if (t->has_input)
		snprintf(a->ask.tasks[a->ask.n_tasks++], sizeof a->ask.tasks[0], "%s", t->task_id);
	snprintf(a->ask.question, sizeof a->ask.question, "Resume task %s of %s?", t->task_id, a->item.exec.id);
	return ask_next(a);
}

static bool resume_all_refused(const ask *k, const store_item *it, char *why, size_t cap, const char **task)
{
	for (size_t i = 0; i < k->n_tasks; i++) {
		const record_task *t = find_task(it, k->tasks[i]);
		task_status to;
		if (!t || store_task_move("resume-task", t->status, &to) < 0) {
			snprintf(why, cap, "task '%s' is not waiting for input (status: %s)", k->tasks[i],
				 t ? status_task_name(t->status) : "gone");
			*task = k->tasks[i];
			return true;
		}
	}
	if (it->exec.status == EXEC_WAITING)
		return false;
	snprintf(why, cap, "execution '%s' is not waiting for input (status: %s)", k->exec,
		 status_exec_name(it->exec.status));
	return true;
}

/* Each answer given, then the rest of the execution (the store's resume of
 * a whole execution refuses while a required answer is missing). */
static store_code resume_all_send(store *st, const ask *k, char *done, size_t cap, store_err *err)
{
	snprintf(done, cap, "resumed %s", k->exec);
	store_code c = STORE_OK;
	for (size_t i = 0; i < k->n_tasks && c == STORE_OK; i++)
		c = store_resume_task(st, k->exec, k->tasks[i], k->values[i], k->values[i] ? strlen(k->values[i]) : 0, err);
	if (c == STORE_OK && k->others)
		c = store_resume_workflow(st, k->exec, err);
	return c;
}

static const ask_def resume_all_ask = { NULL, false, resume_all_refused, resume_all_send };

static int act_resume_workflow(app *a)
{
	if (!a->have_item) {
		app_set_msg(a, true, "select an execution first");
		return DO_DRAW;
	}
	/* what the store would refuse is said at once, without a y/N first */
	if (!ask_open(a, &resume_all_ask, NULL, 0, ""))
		return DO_DRAW;
	if (!may_answer_all(a)) {
		app_ask_clear(a);
		return DO_DRAW;
	}
	/* a required answer is never skipped: ask for each in turn */
	size_t need = 0, others = 0;
	for (size_t i = 0; i < a->item.n_tasks; i++) {
		const record_task *t = &a->item.tasks[i];
		if (t->status != TASK_WAITING)
			continue;
		if (store_task_needs_answer(t))
			need++;
		else
			others++;
	}
	if (!ask_begin(a, ASK_ACTION, &resume_all_ask, NULL, need))
		return DO_DRAW;
	for (size_t i = 0; i < a->item.n_tasks; i++) {
		const record_task *t = &a->item.tasks[i];
		if (store_task_needs_answer(t))
			snprintf(a->ask.tasks[a->ask.n_tasks++], sizeof a->ask.tasks[0], "%s", t->task_id);
	}
	a->ask.others = others > 0;
	snprintf(a->ask.question, sizeof a->ask.question, "Resume every waiting task of %s%s?", a->item.exec.id,
		 need ? " with the answers given" : "");
	return ask_next(a);
}

static bool reject_refused(const ask *k, const store_item *it, char *why, size_t cap, const char **task)
{
	return task_refused(k, it, "reject", "is not waiting for input", why, cap, task);
}

static store_code reject_send(store *st, const ask *k, char *done, size_t cap, store_err *err)
{
	snprintf(done, cap, "rejected task %s of %s", k->task, k->exec);
	return store_task_reject(st, k->exec, k->task, k->reason, err);
}

static const ask_def reject_ask = { "reject it", false, reject_refused, reject_send };

static int act_reject(app *a)
{
	const record_task *t = selected_task(a);
	if (!t) {
		app_set_msg(a, true, "select a task first (Tab moves to the tasks)");
		return DO_DRAW;
	}
	if (!ask_open(a, &reject_ask, t, 0, ": only a waiting task can be rejected"))
		return DO_DRAW;
	if (!may_answer(a, t)) {
		app_ask_clear(a);
		return DO_DRAW;
	}
	snprintf(a->ask.question, sizeof a->ask.question, "Reject task %s of %s (it fails)?", t->task_id,
		 a->item.exec.id);
	return ask_next(a);
}

static bool cancel_refused(const ask *k, const store_item *it, char *why, size_t cap, const char **task)
{
	(void)task;
	if (it->exec.status == EXEC_RUNNING || it->exec.status == EXEC_WAITING)
		return false;
	snprintf(why, cap, "execution '%s' is %s: it has ended", k->exec, status_exec_name(it->exec.status));
	return true;
}

static store_code cancel_send(store *st, const ask *k, char *done, size_t cap, store_err *err)
{
	snprintf(done, cap, "cancelled %s", k->exec);
	return store_exec_cancel(st, k->exec, k->reason, err);
}

static const ask_def cancel_ask = { "cancel it", false, cancel_refused, cancel_send };

static int act_cancel(app *a)
{
	if (!a->have_item) {
		app_set_msg(a, true, "select an execution first");
		return DO_DRAW;
	}
	if (!ask_open(a, &cancel_ask, NULL, 0, ""))
		return DO_DRAW;
	if (!may_answer_all(a)) {
		app_ask_clear(a);
		return DO_DRAW;
	}
	snprintf(a->ask.question, sizeof a->ask.question, "Cancel %s (it and every task not ended fail)?",
		 a->item.exec.id);
	return ask_next(a);
}

/* R, x or X with marks: one confirmation that says the count and what will
 * be skipped. */
static int act_bulk(app *a, const bulk_op *op)
{
	char question[400];
	char (*why)[700];
	size_t todo;
	if (!bulk_prepare(a, op, &why, &todo, question, sizeof question))
		return DO_DRAW;
	if (!ask_begin(a, ASK_BULK, NULL, NULL, 0)) {
		free(why);
		return DO_DRAW;
	}
	a->ask.bulk = op;
	a->ask.why = why;
	snprintf(a->ask.question, sizeof a->ask.question, "%s", question);
	return ask_next(a);
}

static int act_mark(app *a)
{
	if (a->focus != PANE_EXECS || a->sel >= a->n_rows) {
		app_set_msg(a, true, "Space marks executions: in the executions pane");
		return DO_DRAW;
	}
	const char *id = a->rows[a->sel].exec.id;
	if (app_marked(a, id)) {
		bulk_unmark(a, id);
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

/* y: the selected execution's whole id to the terminal's clipboard (OSC 52,
 * as tmux and neovim do); the message holds it too, for a terminal that
 * ignores OSC 52. */
static int act_copy(app *a)
{
	if (a->sel >= a->n_rows) {
		app_set_msg(a, true, "no execution selected: nothing to copy");
		return DO_DRAW;
	}
	const char *id = a->rows[a->sel].exec.id;
	snprintf(a->clipboard, sizeof a->clipboard, "%s", id);
	app_set_msg(a, false, "copied (OSC 52): %s", id);
	return DO_DRAW;
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

/* What R, x and X do to each marked execution (their rows' bulk_op). */
static store_code resume_each(store *st, const char *exec_id, const char *reason, store_err *err)
{
	(void)reason;
	return store_resume_workflow(st, exec_id, err);
}

static store_code reject_each(store *st, const char *exec_id, const char *reason, store_err *err)
{
	return store_task_reject(st, exec_id, NULL, reason, err); /* every waiting task */
}

static store_code cancel_each(store *st, const char *exec_id, const char *reason, store_err *err)
{
	return store_exec_cancel(st, exec_id, reason, err);
}

#define CTRL(c) ((c) & 0x1f)

const action app_actions[] = {
	{ KEY_UP, 'k', "Up/k", "up", "move up", false, false, act_up, NULL },
	{ KEY_DOWN, 'j', "Down/j", "down", "move down", false, false, act_down, NULL },
	{ KEY_PPAGE, 0, "PgUp", "page up", "page up", false, false, act_pgup, NULL },
	{ KEY_NPAGE, 0, "PgDn", "page down", "page down", false, false, act_pgdn, NULL },
	{ 'g', KEY_HOME, "g/Home", "first", "go to the first row", false, false, act_home, NULL },
	{ 'G', KEY_END, "G/End", "last", "go to the last row", false, false, act_end, NULL },
	{ '\t', 0, "Tab", "pane", "switch pane: executions, tasks, detail", false, true, act_tab, NULL },
	{ '\n', KEY_ENTER, "Enter", "open", "open the tasks, then a task's detail", false, true, act_enter, NULL },
	{ 'p', 0, "p", "pause", "pause the selected task", true, true, act_pause, NULL },
	{ 'r', 0, "r", "resume", "resume the selected task (asks for its input)", true, true, act_resume_task, NULL },
	{ 'R', 0, "R", "resume all", "resume the whole workflow (the marked ones, when marked)", true, true,
	  act_resume_workflow, &(const bulk_op){ "Resume", "resuming", "resumed", NULL, false, true, resume_each } },
	{ 'x', 0, "x", "reject", "reject the selected waiting task, with a reason: it fails (marked: all their waiting tasks)",
	  true, false, act_reject,
	  &(const bulk_op){ "Reject the waiting tasks of", "rejecting", "rejected", "reject them", false, false, reject_each } },
	{ 'X', 0, "X", "cancel", "cancel the execution, with a reason: it fails (the marked ones, when marked)", true, false,
	  act_cancel, &(const bulk_op){ "Cancel", "cancelling", "cancelled", "cancel them", true, false, cancel_each } },
	{ ' ', 0, "Space", "mark", "mark or unmark the execution and move down, for R, x and X on all marked", true,
	  false, act_mark, NULL },
	{ 'y', 0, "y", "copy id", "copy the selected execution's whole id to the clipboard (OSC 52; also shown)", false,
	  false, act_copy, NULL },
	{ 'v', 0, "v", "results", "the result of the last bulk action, per execution", false, false, act_results, NULL },
	{ 'w', 0, "w", "waiting", "show only executions waiting for input", false, true, act_waiting, NULL },
	{ 'f', 0, "f", "filter", "filter by status, in turn: all, waiting, paused, running, failed, complete", false,
	  false, act_filter, NULL },
	{ 's', 0, "s", "sort", "sort by, in turn: started, age, deadline, status, workflow", false, false, act_sort, NULL },
	{ 'S', 0, "S", "reverse", "reverse the sort", false, false, act_sort_reverse, NULL },
	{ 'n', 0, "n", "next", "jump to the next execution waiting for input (in the detail pane: the next match of a log search)",
	  false, true, act_next_waiting, NULL },
	{ 'N', 0, "N", "previous match", "in the detail pane: the previous match of a log search", false, false,
	  act_prev_match, NULL },
	{ '/', 0, "/", "search", "search by id or workflow name, any case (in the detail pane: search the log)", false,
	  true, act_search, NULL },
	{ '?', 0, "?", "help", "this help", false, true, act_help, NULL },
	{ CTRL('l'), 0, "Ctrl-L", "redraw", "read the store and redraw", false, false, act_redraw, NULL },
	{ 27, 0, "Esc", "back", "stop a bulk action; clear the marks; back to the previous pane; clear a filter", false, false, act_back, NULL },
	{ 'q', 0, "q", "quit", "quit (or close the help)", false, true, act_quit, NULL },
	{ 0, 0, NULL, NULL, NULL, false, false, NULL, NULL },
};

/* The terminal's editing keys, as the prompt knows them. */
static int prompt_code(int key)
{
	switch (key) {
	case KEY_LEFT: return PROMPT_KEY_LEFT;
	case KEY_RIGHT: return PROMPT_KEY_RIGHT;
	case KEY_HOME: return PROMPT_KEY_HOME;
	case KEY_END: return PROMPT_KEY_END;
	case KEY_DC: return PROMPT_KEY_DELETE;
	case KEY_BACKSPACE: case 8: return PROMPT_KEY_BACKSPACE;
	case KEY_ENTER: case '\r': return PROMPT_KEY_ENTER;
	default: return key;
	}
}

/* A key while the prompt is open: it edits, answers or closes it. */
static int prompt_mode_key(app *a, int key)
{
	bool stale = a->prompt.state == PROMPT_STALE;
	switch (prompt_key(&a->prompt, prompt_code(key))) {
	case PROMPT_CANCELLED:
		if (stale)
			app_set_msg(a, true, "nothing was sent: %s", a->prompt.why);
		else
			app_set_msg(a, false, "cancelled: nothing changed");
		app_ask_clear(a);
		return DO_DRAW;
	case PROMPT_DONE:
		return ask_answered(a);
	default:
		return DO_PROMPT;
	}
}

int app_key(app *a, int key)
{
	if (prompt_is_open(&a->prompt))
		return prompt_mode_key(a, key);
	for (const action *ac = app_actions; ac->run; ac++) {
		if (ac->key != key && (ac->key2 == 0 || ac->key2 != key))
			continue;
		if (a->job && ac->run == act_back)
			return bulk_stop(a, NULL);
		if (a->job && ac->mutates) {
			app_set_msg(a, true, "a bulk action runs: %s waits for it to end (Esc stops it)", ac->name);
			return DO_DRAW;
		}
		if (a->job && ac->run == act_quit)
			bulk_stop(a, NULL); /* what was done stays done */
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
		if (a->n_marks && ac->bulk)
			return act_bulk(a, ac->bulk);
		return ac->run(a);
	}
	return DO_NOTHING;
}

int app_click(app *a, int y, int x)
{
	(void)x;
	int first = 2; /* the header and the column titles */
	int h = a->list_h;
	if (y >= first && y < first + h) {
		a->focus = PANE_EXECS;
		return list_select(a, a->top + (size_t)(y - first));
	}
	return DO_NOTHING;
}
