/* fixtures.h - building blocks shared by the unit tests. */
#ifndef SEETOP_TEST_FIXTURES_H
#define SEETOP_TEST_FIXTURES_H

#include "store.h"

/* A fresh directory under $TMPDIR (or /tmp); removed by fx_rmtree. */
char *fx_tmpdir(void);
void fx_rmtree(const char *dir);
/* Copies the files of one directory into another (not recursive). */
void fx_copydir(const char *from, const char *to);

/* An execution `id` started at `start` with tasks task1..taskN in the given
 * statuses; status, is_paused and paused_task_id follow the rules. */
void fx_item(store_item *it, const char *id, const char *start, size_t n, const task_status *ts);
/* Opens a home or fails the test. */
store *fx_open(const char *home, unsigned flags);
/* Saves an item or fails the test. */
void fx_save(store *st, const char *id, const char *start, size_t n, const task_status *ts);
/* Reads a task of an execution or fails the test. */
void fx_task(store *st, const char *exec, const char *task, record_task *out);

/* Fails the test, listing each problem, unless verify finds none. */
void fx_verified(store *st);

#endif
