/* store_int.h - what the modules of libseestore share; not installed. */
#ifndef SEESTORE_STORE_INT_H
#define SEESTORE_STORE_INT_H

#include <db.h>
#include <pthread.h>
#include <signal.h>

#include "store.h"

/* The databases of a home, one file each. */
typedef enum dbi {
	DBI_META,      /* format, generation, per-status counts, event sequence */
	DBI_EXECS,     /* id -> execution record */
	DBI_TASKS,     /* exec id NUL task id -> task record */
	DBI_BY_START,  /* inverted start time, id -> "" (newest first) */
	DBI_BY_STATUS, /* status byte, inverted start time, id -> "" */
	DBI_EVENTS,    /* sequence (big-endian) -> event record */
	DBI_EV_BY_EXEC,/* exec id NUL sequence -> "" */
	DBI_COUNT
} dbi;

/* Present in the pre-pause layout (format 1). */
#define DBI_LEGACY_MASK ((1u << DBI_META) | (1u << DBI_EXECS) | (1u << DBI_TASKS) | (1u << DBI_BY_START))

struct store {
	DB_ENV *env;
	DB *db[DBI_COUNT];
	char *home;
	unsigned flags;
	char actor[128];
	volatile sig_atomic_t panicked; /* set by the DB_EVENT_PANIC callback */
	unsigned commits;               /* since the last checkpoint check */
	char dbmsg[512];                /* the last message Berkeley DB reported */
	/* The watchdog: a thread that runs failchk and expires timed-out lock
	 * requests twice a second.  Berkeley DB only checks lock timeouts when
	 * its deadlock detector runs, so without it a process blocked on a lock
	 * of a process that died would wait forever. */
	pthread_t watchdog;
	bool watchdog_running;
	pthread_mutex_t watchdog_mu;
	pthread_cond_t watchdog_cv;
	bool watchdog_stop;
};

extern const char *const dbi_file[DBI_COUNT];

typedef store_code (*txn_fn)(store *st, DB_TXN *txn, void *arg, store_err *err);
/* Runs fn in a write transaction, bumping the generation; retries deadlocks
 * and lock timeouts, reopens the environment after a panic. */
store_code txn_write(store *st, txn_fn fn, void *arg, store_err *err);
/* Runs fn in a snapshot transaction: never waits on writers. */
store_code txn_read(store *st, txn_fn fn, void *arg, store_err *err);

/* Error helpers: fill err and return its code. */
store_code err_set(store_err *err, store_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
store_code err_db(store *st, store_err *err, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Keys. */
void key_u64(unsigned char out[8], uint64_t v);
uint64_t key_get_u64(const unsigned char in[8]);
/* Start-time index key: inverted time (newest sorts first), then id. */
size_t key_by_start(unsigned char *out, size_t cap, const record_exec *e);
size_t key_by_status(unsigned char *out, size_t cap, const record_exec *e);
size_t key_task(unsigned char *out, size_t cap, const char *exec_id, const char *task_id);

/* Record access inside a transaction. */
store_code rec_get_exec(store *st, DB_TXN *txn, const char *id, record_exec *e, u_int32_t flags, store_err *err);
store_code rec_get_task(store *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_task *t,
			u_int32_t flags, store_err *err);
/* Writes an execution, keeping indexes and counts in step with `old` (NULL = new). */
store_code rec_put_exec(store *st, DB_TXN *txn, const record_exec *e, const record_exec *old, store_err *err);
store_code rec_put_task(store *st, DB_TXN *txn, const record_task *t, store_err *err);
store_code rec_add_event(store *st, DB_TXN *txn, record_event *ev, store_err *err);

store_code meta_get_u64(store *st, DB_TXN *txn, const char *name, uint64_t *v, u_int32_t flags, store_err *err);
store_code meta_put_u64(store *st, DB_TXN *txn, const char *name, uint64_t v, store_err *err);
/* The name of a per-status counter in the meta database. */
void meta_count_name(char *buf, size_t len, exec_status s);

#endif
