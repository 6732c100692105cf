/* dbs_txn.h - transactions (dbs_txn.c); private to store/bdb. */
#ifndef SEESTORE_DBS_TXN_H
#define SEESTORE_DBS_TXN_H

#include "dbs_handle.h"

typedef store_code (*txn_fn)(dbs *st, DB_TXN *txn, void *arg, store_err *err);
/* Runs fn in a write transaction acting for cx (NULL: the handle's own
 * work), bumping the generation; retries deadlocks and lock timeouts,
 * reopens the environment after a panic.  While fn runs, st->cx is cx: the
 * records' helpers read who acts there (rec_add_event, rec_may_answer).
 * The notifications of its events are written before it commits. */
store_code txn_write_for(dbs *st, dbs_ctx *cx, txn_fn fn, void *arg, store_err *err);
/* txn_write_for with no context. */
store_code txn_write(dbs *st, txn_fn fn, void *arg, store_err *err);
/* txn_write for the server's bookkeeping, which no reader lists (the outbox
 * and its counters): the generation stays, so no dashboard reads again. */
store_code txn_write_quiet(dbs *st, txn_fn fn, void *arg, store_err *err);
/* Runs fn in a snapshot transaction: never waits on writers. */
store_code txn_read(dbs *st, txn_fn fn, void *arg, store_err *err);
/* After a write transaction began: its detail record (in the transaction
 * region) may outlive the environment's close, and is then no leak of
 * ours.  With DB_MULTIVERSION, a committed writer's detail stays in the
 * region while a page it wrote is in the cache; a page freed as the
 * environment closes no longer finds the region (mp_bh.c skips
 * __txn_remove_buffer under BH_FREE_UNLOCKED), and a private environment
 * frees only the region's own block, not the details still listed
 * (__txn_env_refresh).  So the last writers' details (344 bytes each) stay
 * allocated at exit, inside Berkeley DB 5.3, whatever the application
 * does.  In a sanitizer build the detail is marked for LeakSanitizer
 * (__lsan_ignore_object), that object alone: a suppression by stack
 * cannot work, since libdb has no frame pointers and LeakSanitizer's fast
 * unwinder stops at __os_malloc.  valgrind.supp's
 * bdb-private-regions-at-exit covers it under valgrind.  Elsewhere: nothing. */
void txn_detail_may_outlive(DB_TXN *txn);
/* The log position of a committed transaction's commit record, from the
 * commit token it was given; false for a token layout this code does not know. */
bool commit_lsn(const DB_TXN_TOKEN *t, DB_LSN *lsn);

#endif
