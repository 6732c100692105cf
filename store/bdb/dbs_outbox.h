/* dbs_outbox.h - hooks.db and outbox.db records (dbs_outbox.c); private to store/bdb. */
#ifndef SEESTORE_DBS_OUTBOX_H
#define SEESTORE_DBS_OUTBOX_H

#include "dbs_handle.h"

/* A hook's record: on NUL argv0 NUL argv1 ...; 0, or -1 out of memory. */
int hook_encode(record_buf *b, const char *on, const char *const *argv, size_t argc);
/* The hooks of the home, in a new array (store_hook_array_free). */
store_code hooks_read(dbs *st, DB_TXN *txn, store_hook **out, size_t *n, store_err *err);
/* Writes the notifications of the running write transaction's events that
 * notify (st->notify_seq, which rec_add_event fills), one for each hook that
 * listens; the transaction layer calls it before it commits. */
store_code outbox_write(dbs *st, DB_TXN *txn, store_err *err);
/* A notification's record as a note (its fields point into a copy); false
 * out of memory. */
bool note_decode(dbs_note *n, uint64_t seq, const void *data, size_t len);

#endif
