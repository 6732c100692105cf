/* app.c - the dashboard's state: reading the store into it, and the rules
 * said before a prompt.  The actions that change it are in actions.c, the
 * list window in list.c, the bulk runner in bulk.c, the line editor in
 * prompt.c. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static void push_forget(app *a);

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
	push_forget(a);
	free(a->paused_ids);
	a->paused_ids = NULL;
}

static void learn_failed(app *a, const store_item *it);
static void select_task(app *a, const char *keep);

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether reads wait: one timed out a moment ago (the server is stopped,
 * or its host is cut off); the status line says so. */
bool app_reads_wait(const app *a)
{
	return a->silent_until != 0; /* until a probe finds the server answering */
}

int app_reads_heard(app *a)
{
	if (!a->silent_until)
		return DO_NOTHING;
	a->silent_until = 0;
	a->silent_ms = 0;
	return DO_RELOAD;
}

/* A read failed: one that timed out holds the reads a while, longer each
 * time the server still does not answer. */
static void read_failed(app *a, const store_err *err)
{
	if (err->db_ret != ETIMEDOUT || a->batch) {
		app_set_msg(a, true, "%s", err->msg);
		return;
	}
	a->silent_ms = a->silent_ms ? a->silent_ms * 2 : APP_SILENT_MS;
	if (a->silent_ms > APP_SILENT_MAX_MS)
		a->silent_ms = APP_SILENT_MAX_MS;
	a->silent_until = mono_ms() + a->silent_ms;
	app_set_msg(a, true, "reads wait %d s: %s", a->silent_ms / 1000, err->msg);
}

int app_reads_resume(app *a)
{
	if (!a->silent_until || mono_ms() < a->silent_until)
		return DO_NOTHING;
	/* whether it answers now, asked with a short wait (the keys wait as
	 * long): the reads held are made only when it does */
	uint64_t gen;
	store_err err;
	store_set_timeout(a->st, APP_PROBE_MS);
	store_code c = store_generation(a->st, &gen, &err);
	store_set_timeout(a->st, APP_CALL_TIMEOUT_MS);
	if (c && err.db_ret == ETIMEDOUT) {
		read_failed(a, &err);
		return DO_DRAW;
	}
	a->silent_until = 0;
	a->silent_ms = 0;
	/* what was not read meanwhile (the list, the selected execution, the
	 * rows' looks) is read again: one reload */
	return DO_RELOAD;
}

void app_load_item(app *a)
{
	/* the selected task stays when the same execution is read again; but
	 * while the operator is in the executions pane, a task that starts to
	 * wait (an engine moved on) takes the selection */
	char keep[RECORD_ID_BUF] = "";
	if (a->have_item && a->task_sel < a->item.n_tasks && a->sel < a->n_rows &&
	    strcmp(a->item.exec.id, a->rows[a->sel].exec.id) == 0)
		snprintf(keep, sizeof keep, "%s", a->item.tasks[a->task_sel].task_id);
	free_item(a);
	if (a->sel >= a->n_rows || app_reads_wait(a))
		return;
	store_err err;
	if (store_get_item(a->st, a->rows[a->sel].exec.id, &a->item, &err)) {
		read_failed(a, &err);
		return;
	}
	a->have_item = true;
	learn_failed(a, &a->item);
	store_events(a->st, a->item.exec.id, 0, APP_EVENTS, &a->events, &a->n_events, &err);
	select_task(a, keep);
}

/* The task selected in the execution just read: the one selected before
 * (keep), or the first that waits for input. */
static void select_task(app *a, const char *keep)
{
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

const char *app_failed_task(const app *a, const char *exec_id)
{
	size_t n = a->n_failed < 64 ? a->n_failed : 64;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a->failed[i].exec, exec_id) == 0)
			return a->failed[i].task;
	return "";
}

/* The task that failed it: the first failed task whose reason is its own,
 * not the execution's failure passed on to the tasks left. */
static void learn_failed(app *a, const store_item *it)
{
	if (it->exec.status != EXEC_FAILED || app_failed_task(a, it->exec.id)[0])
		return;
	const char *task = NULL;
	for (size_t i = 0; i < it->n_tasks && !task; i++) {
		const record_task *t = &it->tasks[i];
		if (t->status == TASK_FAILED &&
		    !(t->has_reason && t->reason.len == 20 && memcmp(t->reason.s, "the execution failed", 20) == 0))
			task = t->task_id;
	}
	if (!task)
		return;
	size_t k = a->n_failed++ % 64;
	snprintf(a->failed[k].exec, sizeof a->failed[k].exec, "%s", it->exec.id);
	snprintf(a->failed[k].task, sizeof a->failed[k].task, "%s", task);
}

size_t app_detail_prefix(const app *a, const record_task *t)
{
	bool why = t && t->status == TASK_FAILED && t->has_reason;
	return why + a->have_item + (t && t->has_input) + (t && t->has_input_value) + (t && t->log_count > t->n_logs);
}

const char *app_filter_name(view_filter f)
{
	static const char *const names[FILTER_COUNT] = { "all", "waiting", "paused", "running", "failed", "complete" };
	return f < FILTER_COUNT ? names[f] : "all";
}

const char *app_sort_name(view_sort s)
{
	static const char *const names[SORT_COUNT] = { "started", "age", "deadline", "status", "workflow" };
	return s < SORT_COUNT ? names[s] : "started";
}

int app_filter_parse(const char *name)
{
	for (int f = 0; f < FILTER_COUNT; f++)
		if (name && strcmp(name, app_filter_name((view_filter)f)) == 0)
			return f;
	return -1;
}

int app_sort_parse(const char *name)
{
	for (int s = 0; s < SORT_COUNT; s++)
		if (name && strcmp(name, app_sort_name((view_sort)s)) == 0)
			return s;
	return -1;
}

/* Reads its tasks once per version of the execution: an answer, a pause
 * or an engine's step all make a new version. */
bool app_exec_paused(app *a, const record_exec *e)
{
	if (e->status != EXEC_WAITING)
		return false;
	const size_t cap = sizeof a->paused_seen / sizeof a->paused_seen[0];
	for (size_t i = 0; i < a->n_paused_seen; i++)
		if (a->paused_seen[i].version == e->version && e->version && strcmp(a->paused_seen[i].id, e->id) == 0)
			return a->paused_seen[i].paused;
	store_item it;
	store_err err;
	if (app_reads_wait(a) || store_get_item(a->st, e->id, &it, &err) != STORE_OK)
		return false;
	bool p = store_item_paused(&it);
	store_item_free(&it);
	size_t at = a->n_paused_seen < cap ? a->n_paused_seen++ : a->paused_seen_next++ % cap;
	snprintf(a->paused_seen[at].id, sizeof a->paused_seen[at].id, "%s", e->id);
	a->paused_seen[at].version = e->version;
	a->paused_seen[at].paused = p;
	return p;
}

bool app_task_paused(const record_task *t)
{
	return t->status == TASK_WAITING && !t->has_input;
}

/* Whether nothing will move an execution: left running after a decision
 * (its newest event) with no engine attached. */
static bool stranded(app *a, const record_exec *e)
{
	record_event *ev;
	size_t n;
	store_err err;
	if (store_events(a->st, e->id, 0, 1, &ev, &n, &err) != STORE_OK)
		return false;
	bool s = n && store_exec_stranded(e, ev[0].action);
	record_event_array_free(ev, n);
	return s;
}

void app_look_rows(app *a)
{
	if (app_reads_wait(a))
		return; /* looked at once reads go on (a reload) */
	size_t h = a->list_h > 0 ? (size_t)a->list_h : 0;
	for (size_t i = a->top; i < a->n_rows && i < a->top + h; i++) {
		row *r = &a->rows[i];
		const record_exec *e = &r->exec;
		bool orphan = e->status == EXEC_RUNNING && !e->engine_attached;
		if (r->looked ||
		    (e->status != EXEC_WAITING && !orphan && (e->status != EXEC_FAILED || app_failed_task(a, e->id)[0])))
			continue;
		r->looked = true;
		if (orphan) {
			r->no_engine = stranded(a, e);
			continue;
		}
		store_item it;
		store_err err;
		if (store_get_item(a->st, e->id, &it, &err) != STORE_OK)
			continue;
		learn_failed(a, &it);
		r->paused = store_item_paused(&it);
		store_item_free(&it);
	}
}

/* Counts the paused executions among those that wait (when few wait),
 * once per generation. */
static void count_paused(app *a, uint64_t gen)
{
	if (a->counts[EXEC_WAITING] > APP_PAUSED_COUNT_MAX) {
		a->n_paused = -1;
		return;
	}
	if ((a->paused_gen == gen && a->n_paused >= 0 && gen) || app_reads_wait(a))
		return;
	store_cursor cur;
	memset(&cur, 0, sizeof cur);
	record_exec *v;
	size_t n;
	store_err err;
	if (store_list(a->st, EXEC_WAITING, &cur, APP_PAUSED_COUNT_MAX, &v, &n, &err) != STORE_OK) {
		a->n_paused = -1;
		return;
	}
	if (!a->paused_ids && !(a->paused_ids = malloc(APP_PAUSED_COUNT_MAX * sizeof *a->paused_ids))) {
		record_exec_array_free(v, n);
		a->n_paused = -1;
		return;
	}
	a->n_paused_ids = 0;
	for (size_t i = 0; i < n; i++)
		if (app_exec_paused(a, &v[i]) && a->n_paused_ids < APP_PAUSED_COUNT_MAX)
			snprintf(a->paused_ids[a->n_paused_ids++], sizeof a->paused_ids[0], "%s", v[i].id);
	record_exec_array_free(v, n);
	a->n_paused = (long long)a->n_paused_ids;
	a->paused_gen = gen;
}

const char *app_remote_host(const char *home, char *out, size_t cap)
{
	out[0] = '\0';
	if (strncmp(home, "ssh://", 6) != 0)
		return home;
	const char *p = home + 6, *slash = strchr(p, '/');
	if (!slash)
		return home;
	const char *at = memchr(p, '@', (size_t)(slash - p));
	if (at)
		p = at + 1;
	const char *end = slash;
	if (*p == '[') { /* [::1]:22 */
		const char *close = memchr(p, ']', (size_t)(slash - p));
		if (close) {
			p++;
			end = close;
		}
	} else {
		const char *colon = memchr(p, ':', (size_t)(slash - p));
		if (colon)
			end = colon;
	}
	snprintf(out, cap, "%.*s", (int)(end - p), p);
	return slash;
}

int app_repl_refresh(app *a)
{
	int64_t now = mono_ms();
	if (now < a->repl_ask_after)
		return DO_NOTHING; /* the last ask failed: the role shown stays a while */
	struct app_repl was = a->repl;
	memset(&a->repl, 0, sizeof a->repl);
	/* whether the home is a site: a local one's settings file says so; an
	 * ssh:// home's server is asked, and once it says no it is not asked
	 * again on that connection (a home becomes a site only with its
	 * server stopped).  A dashboard on a home of its own asks nothing
	 * more each second. */
	bool site = a->remote_host[0] ? !a->remote_not_site : store_repl_configured(a->home);
	store_repl_info *in = a->watch_fd >= 0 && site ? malloc(sizeof *in) : NULL;
	store_err err;
	store_code c = STORE_OK;
	if (in) {
		store_set_timeout(a->st, APP_REPL_ASK_MS);
		c = store_repl_status(a->st, in, &err);
		store_set_timeout(a->st, APP_CALL_TIMEOUT_MS);
	}
	if (in && c != STORE_OK && c != STORE_INVALID_STATE) {
		a->repl = was; /* not known now: what was known stays shown */
		a->repl_backoff_ms = a->repl_backoff_ms ? a->repl_backoff_ms * 2 : APP_REPL_BACKOFF_MS;
		if (a->repl_backoff_ms > APP_SILENT_MAX_MS)
			a->repl_backoff_ms = APP_SILENT_MAX_MS;
		a->repl_ask_after = now + a->repl_backoff_ms;
		free(in);
		return DO_NOTHING;
	}
	a->repl_backoff_ms = 0;
	if (in && a->remote_host[0] && (c == STORE_INVALID_STATE || (c == STORE_OK && in->role == STORE_REPL_OFF)))
		a->remote_not_site = true; /* "not a site of a replication group" */
	if (in && c == STORE_OK) {
		a->repl.role = in->role;
		snprintf(a->repl.master, sizeof a->repl.master, "%s", in->master);
		a->repl.lag_known = in->lag_known;
		/* shown to a tenth of a second: a change below that redraws nothing */
		a->repl.lag_ms = in->lag_known ? in->lag_ms / 100 * 100 : 0;
	}
	free(in);
	bool same = was.role == a->repl.role && strcmp(was.master, a->repl.master) == 0 &&
		    was.lag_known == a->repl.lag_known && was.lag_ms == a->repl.lag_ms;
	return same ? DO_NOTHING : DO_TICK;
}

static void push_forget(app *a)
{
	record_exec_array_free(a->push_rows, a->n_push_rows);
	for (size_t i = 0; a->push_items && i < a->n_push_rows; i++)
		store_item_free(&a->push_items[i]);
	free(a->push_items);
	free(a->push_marks);
	a->push_rows = NULL;
	a->push_marks = NULL;
	a->push_items = NULL;
	a->n_push_rows = 0;
	a->push_known = a->push_all = a->push_no_rows = false;
	a->n_push_ids = 0;
	a->push_upto = a->gen;
}

void app_note_push(app *a, const store_push *p, store_push_rows *pr)
{
	for (size_t i = 0; i < p->n_ids && !a->push_all; i++) {
		bool have = false;
		for (size_t j = 0; j < a->n_push_ids && !have; j++)
			have = strcmp(a->push_ids[j], p->ids[i]) == 0;
		if (have)
			continue;
		if (a->n_push_ids == STORE_PUSH_IDS)
			a->push_all = true;
		else
			snprintf(a->push_ids[a->n_push_ids++], sizeof a->push_ids[0], "%s", p->ids[i]);
	}
	/* what they do not say whole (too many, a reload, a push missed in
	 * between, an older generation: the store was rolled back) is read */
	if (p->all || pr->reload ||
	    (pr->has_rows && (pr->from_generation > a->push_upto || p->generation < a->push_upto)))
		a->push_all = true;
	if (!pr->has_rows)
		a->push_no_rows = true;
	a->push_upto = p->generation;
	if (a->push_all || a->push_no_rows)
		return;
	memcpy(a->push_counts, pr->counts, sizeof a->push_counts);
	/* the rows, taken over: the newest state of each execution stays */
	for (size_t i = 0; i < pr->n_rows; i++) {
		size_t k = 0;
		while (k < a->n_push_rows && strcmp(a->push_rows[k].id, pr->rows[i].id) != 0)
			k++;
		if (k == a->n_push_rows) {
			record_exec *v = realloc(a->push_rows, (k + 1) * sizeof *v);
			unsigned char *m = v ? realloc(a->push_marks, k + 1) : NULL;
			store_item *d = m ? realloc(a->push_items, (k + 1) * sizeof *d) : NULL;
			if (v)
				a->push_rows = v;
			if (m)
				a->push_marks = m;
			if (d)
				a->push_items = d;
			if (!v || !m || !d) {
				a->push_all = true;
				return;
			}
			a->n_push_rows++;
			memset(&a->push_items[k], 0, sizeof a->push_items[k]);
			if (pr->details) {
				a->push_items[k] = pr->details[i];
				memset(&pr->details[i], 0, sizeof pr->details[i]);
			}
		} else {
			/* the same execution again: its detail says what both say */
			record_exec_free(&a->push_rows[k]);
			store_item none;
			memset(&none, 0, sizeof none);
			store_push_detail_join(&a->push_items[k], pr->details ? &pr->details[i] : &none);
		}
		a->push_rows[k] = pr->rows[i];
		a->push_marks[k] = pr->marks[i];
		memset(&pr->rows[i], 0, sizeof pr->rows[i]);
	}
}

static size_t row_index(const app *a, const char *id)
{
	for (size_t i = 0; i < a->n_rows; i++)
		if (strcmp(a->rows[i].exec.id, id) == 0)
			return i;
	return a->n_rows;
}

/* Whether an execution not in the window would be in it: the window reaches
 * the newest (or the oldest) row, or the execution started between its
 * first and last rows. */
static bool within_window(const app *a, const record_exec *e)
{
	if (a->n_rows == 0 || !e->start_timestamp)
		return true;
	const char *first = a->rows[0].exec.start_timestamp, *last = a->rows[a->n_rows - 1].exec.start_timestamp;
	bool below_top = !a->deep || (first && strcmp(e->start_timestamp, first) <= 0);
	bool above_end = a->cur.done || (last && strcmp(e->start_timestamp, last) >= 0);
	return below_top && above_end;
}

/* Whether the pushed rows may be merged into the window as it is: each
 * stays where it was, and none enters or leaves it. */
static bool push_fits(const app *a)
{
	if (a->push_all || a->push_no_rows || a->n_push_ids == 0 || !list_windowed(a))
		return false;
	int status = list_status(a);
	for (size_t i = 0; i < a->n_push_ids; i++) {
		const record_exec *e = NULL;
		for (size_t k = 0; k < a->n_push_rows && !e; k++)
			if (strcmp(a->push_rows[k].id, a->push_ids[i]) == 0)
				e = &a->push_rows[k];
		size_t at = row_index(a, a->push_ids[i]);
		if (!e) { /* gone: it leaves the window, if it was there */
			if (at < a->n_rows)
				return false;
			continue;
		}
		bool listed = status < 0 || (int)e->status == status;
		if (at < a->n_rows) {
			const char *was = a->rows[at].exec.start_timestamp;
			if (!listed || !was || !e->start_timestamp || strcmp(was, e->start_timestamp) != 0)
				return false;
		} else if (listed && within_window(a, e)) {
			return false;
		}
	}
	return true;
}

/* The paused count kept by the pushed rows: exact while it was counted at
 * the generation the pushes follow; false when it must be counted again. */
static bool paused_follow(app *a, uint64_t gen)
{
	if (a->n_paused < 0 || a->paused_gen != a->gen || !a->paused_ids)
		return false;
	for (size_t k = 0; k < a->n_push_ids; k++) {
		const char *id = a->push_ids[k];
		bool paused = false;
		for (size_t i = 0; i < a->n_push_rows; i++)
			if (strcmp(a->push_rows[i].id, id) == 0)
				paused = a->push_rows[i].status == EXEC_WAITING && (a->push_marks[i] & STORE_PUSH_PAUSED);
		size_t at = 0;
		while (at < a->n_paused_ids && strcmp(a->paused_ids[at], id) != 0)
			at++;
		if (at < a->n_paused_ids && !paused)
			memmove(a->paused_ids[at], a->paused_ids[at + 1], (--a->n_paused_ids - at) * sizeof a->paused_ids[0]);
		else if (at == a->n_paused_ids && paused) {
			if (a->n_paused_ids == APP_PAUSED_COUNT_MAX)
				return false;
			snprintf(a->paused_ids[a->n_paused_ids++], sizeof a->paused_ids[0], "%s", id);
		}
	}
	a->n_paused = (long long)a->n_paused_ids;
	a->paused_gen = gen;
	return true;
}

/* Takes the pushed state of the selected execution (its tasks without
 * their lines, its events since the pushes began) into what is shown of
 * it, keeping the lines held; false when it does not say enough (lines
 * came, a task was added, no detail came), and the execution is read. */
static bool item_merge(app *a, store_item *d)
{
	if (!a->have_item || !d->exec.id || strcmp(a->item.exec.id, d->exec.id) != 0 ||
	    a->item.n_tasks != d->n_tasks)
		return false;
	for (size_t i = 0; i < d->n_tasks; i++)
		if (strcmp(a->item.tasks[i].task_id, d->tasks[i].task_id) != 0 ||
		    a->item.tasks[i].log_count != d->tasks[i].log_count)
			return false;
	/* the events newer than the newest held: those that came are every
	 * one since the pushes began, oldest first (the held, newest first) */
	size_t old = 0;
	while (old < d->n_events && a->n_events && d->events[old].seq <= a->events[0].seq)
		old++;
	size_t fresh = d->n_events - old;
	/* more than are held: the newest of them are the newest of all, what
	 * a reload would read (a fast engine's frame brings hundreds) */
	size_t skip = fresh > APP_EVENTS ? fresh - APP_EVENTS : 0;
	fresh -= skip;
	size_t keep = a->n_events;
	if (keep + fresh > APP_EVENTS)
		keep = fresh >= APP_EVENTS ? 0 : APP_EVENTS - fresh;
	record_event *ev = malloc((keep + fresh ? keep + fresh : 1) * sizeof *ev);
	if (!ev)
		return false;
	for (size_t i = 0; i < fresh; i++)
		ev[i] = d->events[d->n_events - 1 - i];
	memcpy(ev + fresh, a->events, keep * sizeof *ev);
	for (size_t i = 0; i < old + skip; i++)
		record_event_free(&d->events[i]);
	for (size_t i = keep; i < a->n_events; i++)
		record_event_free(&a->events[i]);
	free(d->events);
	free(a->events);
	d->events = NULL;
	d->n_events = 0;
	a->events = ev;
	a->n_events = keep + fresh;
	/* the lines held go with the tasks that came */
	for (size_t i = 0; i < d->n_tasks; i++) {
		record_task *t = &d->tasks[i], *held = &a->item.tasks[i];
		record_text *logs = t->logs;
		size_t n = t->n_logs;
		t->logs = held->logs;
		t->n_logs = held->n_logs;
		held->logs = logs;
		held->n_logs = n;
	}
	char keep_task[RECORD_ID_BUF] = "";
	if (a->task_sel < a->item.n_tasks)
		snprintf(keep_task, sizeof keep_task, "%s", a->item.tasks[a->task_sel].task_id);
	store_item_free(&a->item);
	a->item = *d;
	memset(d, 0, sizeof *d);
	learn_failed(a, &a->item);
	select_task(a, keep_task);
	return true;
}

int app_push_apply(app *a)
{
	if (!push_fits(a)) {
		a->push_known = !a->push_all;
		return DO_RELOAD;
	}
	uint64_t gen = a->push_upto;
	memcpy(a->counts, a->push_counts, sizeof a->counts);
	if (a->counts[EXEC_WAITING] > APP_PAUSED_COUNT_MAX)
		a->n_paused = -1;
	else if (!paused_follow(a, gen))
		count_paused(a, gen);
	a->gen = gen;
	const size_t cap = sizeof a->paused_seen / sizeof a->paused_seen[0];
	bool item_named = false;
	for (size_t k = 0; k < a->n_push_rows; k++) {
		record_exec *e = &a->push_rows[k];
		unsigned char mark = a->push_marks[k];
		if (e->status == EXEC_WAITING) { /* what app_exec_paused would read */
			size_t at = a->n_paused_seen < cap ? a->n_paused_seen++ : a->paused_seen_next++ % cap;
			snprintf(a->paused_seen[at].id, sizeof a->paused_seen[at].id, "%s", e->id);
			a->paused_seen[at].version = e->version;
			a->paused_seen[at].paused = (mark & STORE_PUSH_PAUSED) != 0;
		}
		size_t at = row_index(a, e->id);
		if (at == a->n_rows)
			continue;
		if (at == a->sel)
			item_named |= !item_merge(a, &a->push_items[k]);
		row *r = &a->rows[at];
		record_exec_free(&r->exec);
		r->exec = *e;
		memset(e, 0, sizeof *e);
		/* what the marks say of it is what a look at its tasks would */
		bool orphan = r->exec.status == EXEC_RUNNING && !r->exec.engine_attached;
		r->looked = r->exec.status == EXEC_WAITING || orphan;
		r->paused = r->exec.status == EXEC_WAITING && (mark & STORE_PUSH_PAUSED);
		r->no_engine = orphan && (mark & STORE_PUSH_STRANDED);
	}
	if (item_named || (a->sel < a->n_rows && !a->have_item))
		app_load_item(a);
	push_forget(a);
	app_look_rows(a);
	return DO_DRAW | app_ask_check(a);
}

/* Whether the pushes that caused this reload named the execution. */
static bool push_named(const app *a, const char *id)
{
	if (!a->push_known)
		return true;
	for (size_t i = 0; i < a->n_push_ids; i++)
		if (strcmp(a->push_ids[i], id) == 0)
			return true;
	return false;
}

/* What was learned of a row on screen by reading its tasks, kept across a
 * reload for the rows that come back unchanged (same version, same engine). */
typedef struct row_seen {
	char id[RECORD_ID_BUF];
	uint64_t version;
	bool attached, paused, no_engine;
} row_seen;

static size_t rows_seen(const app *a, row_seen *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_rows && n < cap; i++) {
		const row *r = &a->rows[i];
		if (!r->looked)
			continue;
		snprintf(out[n].id, sizeof out[n].id, "%s", r->exec.id);
		out[n].version = r->exec.version;
		out[n].attached = r->exec.engine_attached;
		out[n].paused = r->paused;
		out[n].no_engine = r->no_engine;
		n++;
	}
	return n;
}

static void rows_seen_again(app *a, const row_seen *seen, size_t n)
{
	for (size_t i = 0; i < a->n_rows; i++) {
		row *r = &a->rows[i];
		for (size_t k = 0; k < n; k++)
			if (seen[k].version == r->exec.version && seen[k].attached == r->exec.engine_attached &&
			    strcmp(seen[k].id, r->exec.id) == 0 && !push_named(a, r->exec.id)) {
				r->looked = true;
				r->paused = seen[k].paused;
				r->no_engine = seen[k].no_engine;
				break;
			}
	}
}

int app_reload(app *a)
{
	store_err err;
	char keep[RECORD_ID_BUF] = "";
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
	if (app_reads_wait(a)) {
		a->reload_held = true;
		return DO_DRAW;
	}
	a->reload_held = false;
	if (store_list_counts(a->st, list_status(a), &next, LIST_PAGE, &v, &n, counts, &gen, &err)) {
		read_failed(a, &err);
		return DO_DRAW;
	}
	memcpy(a->counts, counts, sizeof counts);
	count_paused(a, gen);
	enum { SEEN_MAX = 256 };
	row_seen *seen = malloc(SEEN_MAX * sizeof *seen);
	size_t n_seen = seen ? rows_seen(a, seen, SEEN_MAX) : 0;
	char item_id[RECORD_ID_BUF] = "";
	uint64_t item_version = 0;
	if (a->have_item) {
		snprintf(item_id, sizeof item_id, "%s", a->item.exec.id);
		item_version = a->item.exec.version;
	}
	a->gen = gen;
	size_t sel_was = a->sel, top_was = a->top;
	list_restart(a, deep ? &from : NULL);
	a->cur = next;
	list_insert(a, 0, v, n);
	a->sel = sel_was;
	a->top = top_was;
	while (a->n_rows < want && list_load_page(a) > 0)
		;
	list_sort(a);
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
	/* the selected execution is read again when it changed, or may have */
	if (!(a->sel < a->n_rows && item_id[0] && strcmp(a->rows[a->sel].exec.id, item_id) == 0 &&
	      a->rows[a->sel].exec.version == item_version && !push_named(a, item_id)))
		app_load_item(a);
	rows_seen_again(a, seen, n_seen);
	free(seen);
	push_forget(a);
	app_look_rows(a);
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
