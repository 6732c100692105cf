/* dbs_handle.h - what every module of store/bdb shares: the handle of a
 * home (struct dbs), its databases and their files; private to store/bdb. */
#ifndef SEESTORE_DBS_HANDLE_H
#define SEESTORE_DBS_HANDLE_H

#include <db.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "dbs.h"
#include "err.h"
#include "keys.h"

/* The databases of a home, one file each. */
typedef enum dbi {
	DBI_META,      /* "format"; "state": generation, event sequence, per-status counts */
	DBI_EXECS,     /* id -> execution record */
	DBI_TASKS,     /* exec id NUL task id -> task record */
	DBI_EVENTS,    /* sequence (big-endian) -> event record */
	DBI_EV_BY_EXEC,/* exec id NUL sequence -> "" */
	DBI_REQUESTS,  /* request id (client time, random) -> result: changes already made */
	DBI_LOGS,      /* exec id NUL task id NUL line number (big-endian) -> the line */
	DBI_DEADLINES, /* deadline (µs, big-endian) exec id NUL task id -> "": tasks that wait with a deadline */
	DBI_HOOKS,     /* hook id (big-endian) -> on NUL argv... (dbs_outbox.c) */
	DBI_OUTBOX,    /* sequence (big-endian) -> a notification not yet run (dbs_outbox.c) */
	/* One status index per status, DBI_BY_STATUS + status: start time, id ->
	 * a copy of the execution record (covering: lists read it alone,
	 * backwards: newest first).  A file per status, so that each one only
	 * ever appends and keeps its pages full. */
	DBI_BY_STATUS,
	DBI_COUNT = DBI_BY_STATUS + EXEC_STATUS_COUNT
} dbi;

/* The one record of meta.db that every write transaction changes: read for
 * update once per transaction, written once at its end. */
typedef struct meta_state {
	uint64_t generation;
	uint64_t event_seq;
	uint64_t counts[EXEC_STATUS_COUNT];
} meta_state;

struct dbs {
	DB_ENV *env;
	DB *db[DBI_COUNT];
	char *home;
	unsigned flags;
	char actor[128];                /* the actor of the handle's own writes (no context given) */
	dbs_ctx *cx;                    /* the running write transaction's context; NULL between them */
	bool outbox_added;              /* a notification was written since dbs_outbox_added */
	uint64_t *notify_seq;           /* the running write transaction's events that notify hooks */
	size_t n_notify, cap_notify;
	bool deadlines_changed;         /* the deadline index was written since dbs_deadlines_changed */
	volatile sig_atomic_t panicked; /* set by the DB_EVENT_PANIC callback */
	unsigned commits;               /* since the last checkpoint check */
	meta_state ts;                  /* the state as the running write transaction sees it */
	bool ts_loaded;
	int64_t count_delta[EXEC_STATUS_COUNT]; /* the running transaction's changes to the counts */
	char dbmsg[512];                /* the last message Berkeley DB reported */
	/* the server's group commit: commits are flushed by dbs_flush */
	bool defer_flush;
	bool need_flush, flush_all;
	DB_LSN flush_lsn;
	uint64_t last_generation;       /* after the last write this handle committed */
	/* the reader threads' views of the environment (dbs_view.c) */
	dbs *parent;                    /* a view: the server's handle, whose environment it reads; else NULL */
	pthread_rwlock_t env_lock;      /* the server's handle: a view's transaction holds it to read, a reopen to write */
	atomic_uint env_epoch;          /* the server's handle: bumped by each reopen (a view opens its databases again) */
	unsigned view_epoch;            /* a view: the epoch its databases were opened in */
	const atomic_int *cancel;       /* a view: its request's connection closed, when non-zero: walks stop */
	struct dbs_snap *snap;          /* a view: the snapshot its reads use (dbs_view_snap); NULL: each its own */
	struct dbs_repl *repl;          /* a site of a replication group (dbs_repl.c); NULL: not replicated */
	/* the server's handle: the copies of pages that long snapshots leave in
	 * the cache (dbs_versions_renew) */
	atomic_uint_fast64_t written;   /* write transactions committed */
	atomic_int live_snaps;          /* snapshot transactions begun and not ended (views) */
	atomic_int versions_grew;       /* one outlived VERSIONS_WRITES commits since the cache was renewed */
	int64_t renewed_ms;             /* when the cache was last renewed (monotonic) */
};

/* Berkeley DB keeps, for each page a write changes while a snapshot is
 * open, a copy per commit, in a chain the next write of that page walks to
 * its end; it reuses the oldest copy once no snapshot needs it, and frees
 * copies only when the cache is full.  So the chains a long snapshot grew
 * stay, and every later write of those pages pays for them (a 1 s export
 * under a writer of 3,800 commits/s left it at 1,000/s for good).  A
 * snapshot that outlived this many commits has the server's environment
 * opened again once no snapshot is open (at most every VERSIONS_RENEW_MS),
 * which starts an empty cache. */
#define VERSIONS_WRITES 256
#define VERSIONS_RENEW_MS 5000

#define MAX_ATTEMPTS 200
#define CHECKPOINT_EVERY 256 /* commits between checkpoint checks */
#define CHECKPOINT_KB 4096   /* log written since the last checkpoint (a log file) */

static inline DBT dbs_dbt(const void *p, size_t n)
{
	DBT d;
	memset(&d, 0, sizeof d);
	d.data = (void *)p;
	d.size = (u_int32_t)n;
	return d;
}

/* Whether the request a walk reads for was given up (its connection
 * closed): the walk stops at its next record. */
static inline bool view_cancelled(const dbs *st)
{
	return st->cancel && atomic_load_explicit(st->cancel, memory_order_relaxed) != 0;
}

/* The file of each database (dbs_rec.c). */
extern const char *const dbi_file[DBI_COUNT];
/* The status index database of a status. */
#define DBI_STATUS(s) ((dbi)(DBI_BY_STATUS + (int)(s)))

#endif
