/* dbs_view.h - a reader thread's view of the environment (dbs_view.c);
 * private to store/bdb. */
#ifndef SEESTORE_DBS_VIEW_H
#define SEESTORE_DBS_VIEW_H

#include "dbs_txn.h"

/* txn_read on a view: fn in a snapshot transaction, under the server's
 * env_lock (read), never reopening the environment. */
store_code view_read(dbs *v, txn_fn fn, void *arg, store_err *err);

#endif
