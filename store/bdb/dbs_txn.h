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
/* The log position of a committed transaction's commit record, from the
 * commit token it was given; false for a token layout this code does not know. */
bool commit_lsn(const DB_TXN_TOKEN *t, DB_LSN *lsn);

#endif
