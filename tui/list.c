/* list.c - the executions list: a window of rows read page by page from
 * the store's indexes around the selection.  It draws nothing; the height
 * of the pane is a->list_h, which the layout sets. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "list.h"

/* Rows kept in memory around the selection: however large the store, the
 * list holds at most this many records and never reads the whole store to
 * move, page or jump to either end.  (With a search filter, which matches on
 * the client, the list grows from the newest as before.) */
#define WINDOW_MAX (LIST_PAGE * 16)

void list_free(app *a)
{
	for (size_t i = 0; i < a->n_rows; i++)
		record_exec_free(&a->rows[i].exec);
	free(a->rows);
	a->rows = NULL;
	a->n_rows = 0;
}

/* Whether s holds what, in any case (ASCII letters). */
static bool contains(const char *s, const char *what)
{
	size_t n = strlen(what);
	for (; *s; s++)
		if (strncasecmp(s, what, n) == 0)
			return true;
	return !*what;
}

static bool matches(app *a, const record_exec *e)
{
	/* paused is not a status of its own: its tasks say it */
	if (a->filter == FILTER_PAUSED && !app_exec_paused(a, e))
		return false;
	if (!a->search[0])
		return true;
	return contains(e->id, a->search) || (e->workflow_name.s && contains(e->workflow_name.s, a->search));
}

/* The waiting filter lists what waits soonest deadline first (the store
 * orders it, however many wait), then the rest newest first. */
int list_status(const app *a)
{
	switch (a->filter) {
	case FILTER_WAITING: return STORE_LIST_DUE;
	case FILTER_PAUSED: return EXEC_WAITING;
	case FILTER_RUNNING: return EXEC_RUNNING;
	case FILTER_FAILED: return EXEC_FAILED;
	case FILTER_COMPLETE: return EXEC_COMPLETE;
	default: return -1;
	}
}

bool list_windowed(const app *a)
{
	return !a->search[0] && a->filter != FILTER_WAITING && a->filter != FILTER_PAUSED && !list_sorted(a);
}

/* Puts the records of `v` that pass the search into the list at row `at`
 * (0: above the first, n_rows: below the last), taking them over; returns
 * how many rows it added.  The selection stays on its row. */
size_t list_insert(app *a, size_t at, record_exec *v, size_t n)
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
		a->rows[at + i] = (row){ .exec = v[i] };
	free(v);
	a->n_rows += added;
	if (at == 0 && a->n_rows > added) {
		a->sel += added;
		a->top += added;
	}
	return added;
}

/* Loads the next page of the list; returns how many rows it added. */
size_t list_load_page(app *a)
{
	size_t added = 0;
	while (!a->cur.done && added == 0 && !app_reads_wait(a)) {
		record_exec *v;
		size_t n;
		store_err err;
		if (store_list(a->st, list_status(a), &a->cur, LIST_PAGE, &v, &n, &err)) {
			app_set_msg(a, true, "%s", err.msg);
			return added;
		}
		added = list_insert(a, a->n_rows, v, n);
		if (n == 0)
			break;
	}
	return added;
}

/* Loads the page of rows just newer than the first; returns how many. */
size_t list_load_newer(app *a)
{
	if (!a->deep || a->n_rows == 0 || app_reads_wait(a))
		return 0;
	store_cursor from;
	store_cursor_at(&from, &a->rows[0].exec, false);
	record_exec *v;
	size_t n;
	store_err err;
	if (store_list_newer(a->st, list_status(a), &from, LIST_PAGE, &v, &n, &err)) {
		app_set_msg(a, true, "%s", err.msg);
		return 0;
	}
	if (n < LIST_PAGE)
		a->deep = false;
	return list_insert(a, 0, v, n);
}

/* Keeps the window at WINDOW_MAX rows, dropping those farthest from the
 * selection; what is dropped is read again if the selection goes back. */
static void trim_window(app *a)
{
	if (!list_windowed(a) || a->n_rows <= WINDOW_MAX)
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
void list_restart(app *a, const store_cursor *from)
{
	list_free(a);
	memset(&a->cur, 0, sizeof a->cur);
	if (from)
		a->cur = *from;
	a->deep = from != NULL;
	a->sel = a->top = 0;
}

void list_ensure(app *a, size_t idx)
{
	while (idx >= a->n_rows && list_load_page(a) > 0)
		;
}

int list_select(app *a, size_t idx)
{
	list_ensure(a, idx);
	if (a->n_rows == 0)
		return DO_DRAW;
	if (idx >= a->n_rows)
		idx = a->n_rows - 1;
	a->sel = idx;
	size_t h = (size_t)a->list_h;
	if (a->sel < a->top)
		a->top = a->sel;
	if (h && a->sel >= a->top + h)
		a->top = a->sel - h + 1;
	trim_window(a);
	app_load_item(a);
	app_look_rows(a);
	a->log_top = 0;
	a->log_follow = false;
	return DO_DRAW;
}


/* Selects the execution at `e`: in the window if it is there, otherwise
 * in a window read from it. */
int list_select_exec(app *a, const record_exec *e)
{
	for (size_t i = 0; i < a->n_rows; i++)
		if (strcmp(a->rows[i].exec.id, e->id) == 0)
			return list_select(a, i);
	store_cursor from;
	store_cursor_at(&from, e, true);
	list_restart(a, &from);
	list_load_page(a);
	return list_select(a, 0);
}

int list_first(app *a)
{
	if (a->deep) {
		list_restart(a, NULL);
		list_load_page(a);
	}
	return list_select(a, 0);
}

int list_last(app *a)
{
	if (!list_windowed(a)) {
		while (list_load_page(a) > 0)
			;
		return list_select(a, a->n_rows ? a->n_rows - 1 : 0);
	}
	if (!a->cur.done) {
		/* the last page straight from the index: the oldest rows */
		store_cursor oldest = { .len = 0 };
		record_exec *v;
		size_t n;
		store_err err;
		if (store_list_newer(a->st, list_status(a), &oldest, LIST_PAGE, &v, &n, &err)) {
			app_set_msg(a, true, "%s", err.msg);
			return DO_DRAW;
		}
		list_restart(a, NULL);
		list_insert(a, 0, v, n);
		a->cur.done = true;
		a->deep = n == LIST_PAGE; /* a shorter page is the whole list */
	}
	return list_select(a, a->n_rows ? a->n_rows - 1 : 0);
}

bool list_sorted(const app *a)
{
	return a->sort != SORT_STARTED || a->sort_reverse;
}

static view_sort sort_key; /* for qsort's comparison */

static int newest_first(const record_exec *x, const record_exec *y)
{
	int c = strcmp(y->start_timestamp ? y->start_timestamp : "", x->start_timestamp ? x->start_timestamp : "");
	return c ? c : strcmp(x->id, y->id);
}

static int compare_rows(const void *p, const void *q)
{
	const record_exec *x = &((const row *)p)->exec, *y = &((const row *)q)->exec;
	static const int rank[EXEC_STATUS_COUNT] = { [EXEC_WAITING] = 0, [EXEC_RUNNING] = 1, [EXEC_FAILED] = 2,
						     [EXEC_COMPLETE] = 3 };
	int c = 0;
	switch (sort_key) {
	case SORT_AGE:
		c = -newest_first(x, y);
		break;
	case SORT_DEADLINE: {
		const char *dx = x->status == EXEC_WAITING ? x->input_deadline : NULL;
		const char *dy = y->status == EXEC_WAITING ? y->input_deadline : NULL;
		c = dx && dy ? strcmp(dx, dy) : dx ? -1 : dy ? 1 : 0;
		break;
	}
	case SORT_STATUS:
		c = rank[x->status] - rank[y->status];
		break;
	case SORT_WORKFLOW:
		c = strcasecmp(x->workflow_name.s ? x->workflow_name.s : "", y->workflow_name.s ? y->workflow_name.s : "");
		break;
	default:
		break;
	}
	return c ? c : newest_first(x, y);
}

void list_sort(app *a)
{
	if (!list_sorted(a))
		return;
	/* a sort needs the rows it orders: read them all, up to a bound */
	while (a->n_rows < LIST_SORT_MAX && list_load_page(a) > 0)
		;
	sort_key = a->sort;
	qsort(a->rows, a->n_rows, sizeof *a->rows, compare_rows);
	if (a->sort_reverse)
		for (size_t i = 0, j = a->n_rows ? a->n_rows - 1 : 0; i < j; i++, j--) {
			row t = a->rows[i];
			a->rows[i] = a->rows[j];
			a->rows[j] = t;
		}
	a->cur.done = true; /* what was read is the list */
}
