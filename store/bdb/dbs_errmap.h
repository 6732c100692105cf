/* dbs_errmap.h - what a Berkeley DB or system error means (dbs_errmap.c); private to store/bdb. */
#ifndef SEESTORE_DBS_ERRMAP_H
#define SEESTORE_DBS_ERRMAP_H

#include "dbs_handle.h"

/* A failed Berkeley DB call: "what: its error (what Berkeley DB said)",
 * STORE_STORAGE, with db_ret kept; returns the code. */
store_code err_db(dbs *st, store_err *err, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A cause of the system's, not damage (a permission, a full disk, a
 * read-only file system, an I/O error) in ret or in Berkeley DB's messages
 * `msgs`: sets the message, naming `file` when one is named, and returns
 * true. */
bool err_system(const char *home, int ret, const char *msgs, const char *file, store_err *err);
/* A data file of the home that cannot be opened: STORE_FORMAT, with how to
 * restore or recover it. */
store_code err_damaged(dbs *st, store_err *err, int ret, const char *file);

#endif
