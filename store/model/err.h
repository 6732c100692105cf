/* err.h - filling a store_err; private to libseestore. */
#ifndef SEESTORE_ERR_H
#define SEESTORE_ERR_H

#include "store.h"

/* Fills err (code, message; db_ret 0) and returns the code. */
store_code err_set(store_err *err, store_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* err_set(err, STORE_STORAGE, "out of memory"). */
store_code err_oom(store_err *err);

#endif
