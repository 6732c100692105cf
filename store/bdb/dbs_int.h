/* dbs_int.h - what the modules of the server's database layer share; not installed. */
#ifndef SEESTORE_STORE_INT_H
#define SEESTORE_STORE_INT_H

#include <db.h>
#include <string.h>
#include <signal.h>

#include "dbs.h"
#include "err.h"

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
};

/* The layers of store/bdb, each using only those above it here:
 * errmap, rec, outbox and upgrade, env, txn, moves; then the operations
 * (data, decide, engine, timer, hooks, verify, backup: dbs.h). */

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

/* ---- what an error means (dbs_errmap.c) ---- */

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

/* ---- records inside a transaction (dbs_rec.c) ---- */

#include "keys.h"

/* The file of each database. */
extern const char *const dbi_file[DBI_COUNT];
/* The status index database of a status. */
#define DBI_STATUS(s) ((dbi)(DBI_BY_STATUS + (int)(s)))

store_code meta_get_u64(dbs *st, DB_TXN *txn, const char *name, uint64_t *v, u_int32_t flags, store_err *err);
store_code meta_put_u64(dbs *st, DB_TXN *txn, const char *name, uint64_t v, store_err *err);
/* The state record; a home without one reads as zeros. */
store_code state_read(dbs *st, DB_TXN *txn, meta_state *s, u_int32_t flags, store_err *err);
store_code state_write(dbs *st, DB_TXN *txn, const meta_state *s, store_err *err);
/* The state of the running write transaction: read for update on first use. */
store_code txn_state(dbs *st, DB_TXN *txn, meta_state **s, store_err *err);
/* Writes the state record at the end of a write transaction. */
store_code state_finish(dbs *st, DB_TXN *txn, store_err *err);

store_code rec_get_exec(dbs *st, DB_TXN *txn, const char *id, record_exec *e, u_int32_t flags, store_err *err);
store_code rec_get_task(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_task *t,
			u_int32_t flags, store_err *err);
/* An execution and one of its tasks, both read for update; on failure
 * neither is left to free. */
store_code rec_get_exec_task(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_exec *e,
			     record_task *t, store_err *err);
/* Writes an execution, keeping indexes and counts in step with `old` (NULL = new). */
store_code rec_put_exec(dbs *st, DB_TXN *txn, const record_exec *e, const record_exec *old, store_err *err);
/* Removes an execution record with its index entry and count. */
store_code rec_del_exec(dbs *st, DB_TXN *txn, const record_exec *old, store_err *err);
store_code rec_put_task(dbs *st, DB_TXN *txn, const record_task *t, store_err *err);
/* Keeps the deadline index in step with a task: present while it waits with
 * a deadline (rec_put_task calls it; deleting a task calls it with false). */
store_code rec_deadline_index(dbs *st, DB_TXN *txn, const record_task *t, bool present, store_err *err);
store_code rec_put_raw(dbs *st, DB_TXN *txn, dbi which, const void *k, size_t kn, const void *v, size_t vn,
		       store_err *err);
store_code rec_del_raw(dbs *st, DB_TXN *txn, dbi which, const void *k, size_t kn, store_err *err);
/* Hands every record of a database to fn in key order (keys_only: with an
 * empty value), until fn returns other than STORE_OK (it fills err then). */
store_code rec_each(dbs *st, DB_TXN *txn, dbi which, bool keys_only,
		    store_code (*fn)(void *ctx, const DBT *k, const DBT *d), void *ctx, store_err *err);
/* Appends an audit event of the running transaction, with its time, actor
 * and user from st->cx; an event that notifies hooks is noted in
 * st->notify_seq for outbox_write. */
store_code rec_add_event(dbs *st, DB_TXN *txn, record_event *ev, store_err *err);
/* rec_add_event from its parts (value: the input given, or NULL; reason:
 * why, or NULL). */
store_code rec_event(dbs *st, DB_TXN *txn, const char *action, const char *exec_id, const char *task_id,
		     const char *before, const char *after, const record_text *value, const record_text *reason,
		     store_err *err);
/* An event of an imported trail: a new sequence number, its own time and actor. */
store_code rec_restore_event(dbs *st, DB_TXN *txn, const record_event *ev, const char *exec_id, store_err *err);
/* Refuses (STORE_INVALID_STATE, with why) when the running request's user
 * may not answer task t of e: store_may_answer with the request's user. */
store_code rec_may_answer(dbs *st, const record_exec *e, const record_task *t, store_err *err);
/* Records an answer in a task (booleans in one spelling). 0, or -1 out of memory. */
int rec_task_answer(record_task *t, const char *v, size_t len);
/* Replaces a string field with a copy of s (NULL: none); 0 or -1 out of memory. */
int rec_set_str(char **dst, const char *s);
/* A task's log lines, each a record of logs.db: appended as lines
 * first..first+n-1; removed (all of them); read (lines from..from+limit-1,
 * stopping early past max_bytes) into a new array the caller frees with
 * record_text entries. */
store_code rec_put_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, uint64_t first,
			const record_text *lines, size_t n, store_err *err);
store_code rec_del_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, store_err *err);
store_code rec_read_logs(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, uint64_t from, size_t limit,
			 size_t max_bytes, record_text **out, size_t *n, store_err *err);
/* A task's lines into t->logs (t->log_count says how many it has): with no
 * budget its newest (at most 1,000 and 4 MB); with one, from its first line
 * on, as many as *budget bytes hold (one line more at most), and *budget
 * goes down by what was read. */
store_code rec_load_logs(dbs *st, DB_TXN *txn, record_task *t, size_t *budget, store_err *err);

/* ---- hooks.db and outbox.db (dbs_outbox.c) ---- */

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

/* ---- older formats (dbs_upgrade.c) ---- */

/* Creates the store in a new home, or upgrades an older format, inside the
 * transaction that opened every database. */
store_code upgrade_home(dbs *st, DB_TXN *txn, store_err *err);
/* Refuses a format newer than this version's. */
store_code upgrade_too_new(dbs *st, uint64_t format, store_err *err);
/* The files older versions left that this one never uses: index files of
 * older formats (after the upgrade has committed), region files of the
 * shared environments before the server. */
void upgrade_drop_legacy(dbs *st);
void upgrade_drop_regions(const char *home);

/* ---- the environment (dbs_env.c) ---- */

/* Closes every handle and opens the environment again, with recovery. */
store_code env_reopen(dbs *st, store_err *err);

/* ---- transactions (dbs_txn.c) ---- */

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

/* ---- the moves several operations share (dbs_moves.c) ---- */

/* The execution waits on its first waiting task in task order, or runs when
 * none waits; `t` is a task of the running transaction not yet written. */
store_code exec_settle(dbs *st, DB_TXN *txn, record_exec *e, const record_task *t, store_err *err);
/* The execution ends (complete or failed) at `now`, and is written. */
store_code exec_end(dbs *st, DB_TXN *txn, record_exec *e, exec_status status, const char *now, store_err *err);
/* How a waiting task resumes: with `value` (NULL: its default, unless
 * no_default), its event written as `action` (NULL: resume-task) with
 * `reason` (NULL: none). */
typedef struct resume_how {
	const char *value;
	size_t value_len;
	bool no_default;
	const record_text *reason;
	const char *action;
} resume_how;
/* Resumes a waiting task within the running transaction: the operator's
 * resume, and the timer's default or skip. */
store_code task_resume(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, const resume_how *how,
		       store_err *err);
/* Sets (seconds 0: removes) a task's deadline `seconds` after `now`, with
 * its policy and when it was set. */
store_code task_deadline_set(record_task *t, uint64_t seconds, record_on_timeout policy, const char *now,
			     store_err *err);
/* Fails a task with a reason at `now`. */
store_code task_fail_now(record_task *t, const char *reason, const char *now, store_err *err);

#endif
