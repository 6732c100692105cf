/* list.h - the executions list: a window of rows around the selection,
 * read page by page from the store; curses-free, the pane's height is
 * a->list_h. */
#ifndef SEETOP_LIST_H
#define SEETOP_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

#define LIST_PAGE 64
/* A sorted list holds at most this many rows (the newest). */
#define LIST_SORT_MAX 10000

void list_free(app *a);
/* The store's list that the filter reads (a status, STORE_LIST_DUE, or -1). */
int list_status(const app *a);
/* Whether the list is a window of the whole index (no client-side filter). */
bool list_windowed(const app *a);
/* Puts the records of v that pass the filter at row `at`, taking them
 * over; returns how many rows it added.  The selection stays on its row. */
size_t list_insert(app *a, size_t at, record_exec *v, size_t n);
/* Reads the next page below the last row; returns how many rows it added. */
size_t list_load_page(app *a);
/* Reads the page just newer than the first row; returns how many. */
size_t list_load_newer(app *a);
/* Empties the list; the next page starts at `from` (NULL: the newest). */
void list_restart(app *a, const store_cursor *from);
/* Reads pages until row idx is loaded or the list ends. */
void list_ensure(app *a, size_t idx);
/* Selects row idx (the last one when past the end) and keeps it on screen. */
int list_select(app *a, size_t idx);
/* Selects the execution e, reading a window from it when it is not loaded. */
int list_select_exec(app *a, const record_exec *e);
/* Whether the list is in an order of its own (s, S), not the store's. */
bool list_sorted(const app *a);
/* Puts the rows in the order s and S chose, reading them all first (up to
 * LIST_SORT_MAX). */
void list_sort(app *a);
/* The first (newest) and the last (oldest) row. */
int list_first(app *a);
int list_last(app *a);

#endif
