/* forge.h - test-only helpers that write what a correct library never would:
 * a home in the pre-pause layout, and raw (corrupt) entries.  Built into a
 * convenience library for the tests; not part of libseestore. */
#ifndef SEESTORE_FORGE_H
#define SEESTORE_FORGE_H

#include "store.h"

/* Writes a home as format 1 wrote it: execution records without is_paused or
 * paused_task_id, no status index, no counters, no events.  The databases are
 * detached from their logs (lsn_reset), so the folder holds only *.db files
 * and can be copied anywhere. */
store_code forge_legacy_home(const char *dir, const store_item *items, size_t n, store_err *err);

/* The calls that take a store stop its server, change the home's files
 * directly, and leave the next call of the store to start a new server. */

/* Puts (or with val NULL deletes) a raw key in one of the home's database files. */
store_code forge_raw(store *st, const char *file, const void *key, size_t klen, const void *val, size_t vlen,
		     store_err *err);

/* Sets the count of one status recorded in the home's state. */
store_code forge_count(store *st, exec_status status, uint64_t value, store_err *err);

/* Sets the format version recorded in the home. */
store_code forge_format(store *st, uint64_t format, store_err *err);

/* Commits a small write transaction and reads its commit record's position
 * from its commit token the way every commit does; says whether the log has a
 * record that starts exactly there, and whether it is the log's last. */
store_code forge_commit_probe(store *st, bool *found, bool *last, store_err *err);

/* Removes exec_id's entry from its status index, then verifies the home
 * while another thread holds a write lock on deadlines.db for hold_ms (its
 * lookups there wait, time out and the walk is tried again): *kept is how
 * many problems an answer keeping them as the server does would hold,
 * *handed how many were handed over in all attempts. */
store_code forge_verify_contended(store *st, const char *exec_id, unsigned hold_ms, size_t *kept, size_t *handed,
				  size_t *n_problems, store_err *err);

/* Adds a hook through the store's own call twice under one request id, as
 * a client's resend after a lost answer: *first and *again are the ids the
 * two calls answered. */
store_code forge_hook_add_twice(store *st, const char *on, const char *const *argv, size_t argc, uint64_t *first,
				uint64_t *again, store_err *err);

#endif
