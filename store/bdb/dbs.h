/* dbs.h - the server's database layer: the home's Berkeley DB environment
 * and the operations on it, each one transaction.  Only the store server (and
 * the tests' forge, which takes the server's lock first) opens a home this
 * way; every program reaches it through store.h.  Private to libseestore.
 *
 * Calls return a store_code and fill the store_err, as store.h documents
 * for the public call of the same name. */
#ifndef SEESTORE_DBS_H
#define SEESTORE_DBS_H

#include <stdatomic.h>

#include "store.h"

typedef struct dbs dbs;

/* Who a change acts for, and how: built for each request by the server,
 * and by the timer for its own work; passed to the call that makes the
 * change, and nothing of it stays on the handle after that call.  NULL
 * where a call takes one: the server's own bookkeeping (no user, no
 * request id, not the owner). */
typedef struct dbs_ctx {
	const char *user;           /* the client's Unix user; NULL: none (the timer) */
	const char *const *groups;  /* its groups: respondents may be "@group" */
	size_t n_groups;
	bool owner;                 /* it owns the home (else it may answer only what names it) */
	const char *actor;          /* the audit trail's actor; NULL: "unknown" */
	const void *req;            /* the change's request id (NULL: none) */
	size_t req_len;
	uint64_t req_result;        /* kept with the request id: what the change answers (an import's count, a log's line count, a hook's id), answered again to a resend */
	bool no_sync;               /* the client asked for no flush before its answer */
	const char *event_time;     /* the time of the change's events; NULL: now (the timer: the deadline) */
	bool req_found;             /* out: the request id was committed before; nothing was done again */
	uint64_t req_kept;          /* out: what was kept with it */
} dbs_ctx;

/* Opens (creating or upgrading) the home: runs recovery first. */
store_code dbs_open(const char *home, unsigned flags, dbs **out, store_err *err);
void dbs_close(dbs *st);
bool dbs_is_read_only(const dbs *st);
const char *dbs_home(const dbs *st);

store_code dbs_generation(dbs *st, uint64_t *gen, store_err *err);
store_code dbs_counts(dbs *st, uint64_t counts[EXEC_STATUS_COUNT], uint64_t *gen, store_err *err);
store_code dbs_import(dbs *st, dbs_ctx *cx, const store_source *src, bool replace, const char *action, size_t *count,
		      store_err *err);
store_code dbs_save(dbs *st, dbs_ctx *cx, const store_item *it, bool replace, store_err *err);
store_code dbs_get(dbs *st, const char *id, record_exec *e, store_err *err);
store_code dbs_get_item(dbs *st, const char *id, store_item *it, store_err *err);
store_code dbs_delete(dbs *st, dbs_ctx *cx, const char *id, store_err *err);
store_code dbs_list(dbs *st, int status, store_cursor *cur, size_t limit, record_exec **out, size_t *n,
		    store_err *err);
store_code dbs_list_newer(dbs *st, int status, const store_cursor *from, size_t limit, record_exec **out, size_t *n,
			  store_err *err);
/* A page as dbs_list (or dbs_list_newer) reads it, each execution handed to
 * `emit` as its encoded record; a failed emit (-1) is out of memory.  A
 * retried transaction starts again: emit(ctx, NULL, 0) says so, and what was
 * emitted before it is to be dropped. */
store_code dbs_list_raw(dbs *st, int status, store_cursor *cur, bool newer, size_t limit,
			int (*emit)(void *ctx, const void *rec, size_t len), void *ctx, size_t *n, store_err *err);
store_code dbs_paused(dbs *st, record_exec **out, size_t *n, store_err *err);
/* Visits executions with their tasks in id order, starting after `after`
 * (NULL: the first), at most `limit` of them (0: all); *last_id (which the
 * caller frees) is the last one visited, NULL when none was. */
store_code dbs_each(dbs *st, const char *after, size_t limit, int (*fn)(void *ctx, const store_item *it), void *ctx,
		    store_err *err);
store_code dbs_pause_task(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, store_err *err);
store_code dbs_resume_workflow(dbs *st, dbs_ctx *cx, const char *exec_id, store_err *err);
store_code dbs_resume_task(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, const char *value,
			   size_t value_len,
			   store_err *err);
/* The engine's side (store.h); the engine's pid and host come from its connection. */
store_code dbs_exec_start(dbs *st, dbs_ctx *cx, const store_item *def, uint64_t pid, const char *host, store_err *err);
store_code dbs_task_begin(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, store_err *err);
store_code dbs_task_log(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, const record_text *lines,
			size_t n,
			uint64_t *count, store_err *err);
store_code dbs_task_complete(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, store_err *err);
store_code dbs_task_fail(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, const char *reason,
			 store_err *err);
store_code dbs_task_request_input(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id,
				  const store_input_request *rq,
				  store_err *err);
store_code dbs_exec_finish(dbs *st, dbs_ctx *cx, const char *exec_id, exec_status status, store_err *err);
store_code dbs_attach(dbs *st, dbs_ctx *cx, const char *exec_id, uint64_t pid, const char *host, store_err *err);
store_code dbs_events_after(dbs *st, const char *exec_id, uint64_t after, size_t limit, record_event **out, size_t *n,
			    store_err *err);
store_code dbs_task_logs(dbs *st, const char *exec_id, const char *task_id, uint64_t from, size_t limit,
			 record_text **out, size_t *n, uint64_t *total, store_err *err);
store_code dbs_task_reject(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, const char *reason,
			   store_err *err);
store_code dbs_exec_cancel(dbs *st, dbs_ctx *cx, const char *exec_id, const char *reason, store_err *err);
/* Deadlines (dbs_timer.c): set one on a waiting task (seconds 0: none);
 * the earliest pending one; apply the earliest one due by now_us, if any
 * (*fired says; exec_id names its execution). */
store_code dbs_task_deadline(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, uint64_t seconds,
			     record_on_timeout policy, store_err *err);
store_code dbs_deadline_next(dbs *st, bool *any, int64_t *us, store_err *err);
store_code dbs_deadline_fire(dbs *st, int64_t now_us, bool *fired, char *exec_id, size_t cap, store_err *err);
/* Whether the deadline index was written since the last call (then the
 * next deadline is read again). */
bool dbs_deadlines_changed(dbs *st);
/* Notification hooks (dbs_hooks.c). */
store_code dbs_hook_add(dbs *st, dbs_ctx *cx, const char *on, const char *const *argv, size_t argc, uint64_t *id,
			store_err *err);
store_code dbs_hook_list(dbs *st, store_hook **out, size_t *n, store_err *err);
store_code dbs_hook_remove(dbs *st, dbs_ctx *cx, uint64_t id, store_err *err);
/* A notification to run: the fields point into data. */
typedef struct dbs_note {
	uint64_t seq;
	uint64_t hook_id; /* 0: written before notes named their hook */
	char *data;
	const char *kind, *exec_id, *task_id, *prompt, *deadline, *actor, *user, *time, *reason;
	const char *argv[STORE_HOOK_ARGS_MAX + 1];
	size_t argc;
} dbs_note;
/* The first notification after sequence `after` (*any says), and its
 * removal once its command has ended, counted in the home (run, and failed
 * when !ok) in the same transaction; neither changes the generation. */
store_code dbs_outbox_next(dbs *st, uint64_t after, dbs_note *note, bool *any, store_err *err);
store_code dbs_outbox_done(dbs *st, uint64_t seq, bool ok, store_err *err);
store_code dbs_outbox_last(dbs *st, uint64_t *seq, store_err *err); /* 0: none */
/* The notification commands the home's servers ran, and how many failed. */
store_code dbs_hook_counts(dbs *st, uint64_t *run, uint64_t *failed, store_err *err);
void dbs_note_free(dbs_note *n);
store_code dbs_outbox_count(dbs *st, uint64_t *n, store_err *err);
/* Whether a notification was written since the last call. */
bool dbs_outbox_added(dbs *st);
store_code dbs_task_respondents(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id,
				const char *const *names, size_t n,
				bool no_self_approval, store_err *err);
store_code dbs_events(dbs *st, const char *exec_id, uint64_t before, size_t limit, record_event **out, size_t *n,
		      store_err *err);
/* Checks every invariant; problem() gets each problem found, and NULL when
 * the walk starts over (a read that met a deadlock is tried again): the
 * problems it had been given so far are to be forgotten. */
store_code dbs_verify(dbs *st, void (*problem)(void *ctx, const char *what), void *ctx, size_t *n_problems,
		      store_err *err);
store_code dbs_checkpoint(dbs *st, store_err *err);
/* The copies of pages that long snapshots left in the cache slow every
 * later write of those pages (see VERSIONS_WRITES in dbs_handle.h): when a
 * snapshot outlived many commits and none is open now, the environment is
 * opened again (after a checkpoint), which starts an empty cache.
 * 1: renewed, the writes waited *ms; 0: not now; -1 (err): the open failed,
 * and the next write tries again, as after a panic.  The server's main
 * thread, between transactions. */
int dbs_versions_renew(dbs *st, int64_t *ms, store_err *err);

/* Group commit: with `defer` set, a commit is written but not flushed, and
 * dbs_flush flushes the log once for every commit since the last flush. */
void dbs_defer_flush(dbs *st, bool defer);
store_code dbs_flush(dbs *st, store_err *err);
/* Commits wait for dbs_flush. */
bool dbs_flush_pending(const dbs *st);

/* Request ids: a change whose context names a request id already committed
 * does nothing, returns STORE_OK, and sets cx->req_found (and req_kept). */
/* Whether a change under this request id was committed (*done), with the
 * result kept with it. */
store_code dbs_request_done(dbs *st, const void *key, size_t len, bool *done, uint64_t *result, store_err *err);
/* The generation after the last write committed through this handle; at a
 * site of a replication group, whose store the master's log changes too,
 * the one dbs_generation read when that came after. */
uint64_t dbs_last_generation(const dbs *st);

/* What the server reports: cache size and use, the log's end. */
typedef struct dbs_stats {
	uint64_t cache_bytes, cache_used_bytes;
	uint32_t log_file, log_offset;
} dbs_stats;
store_code dbs_stats_read(dbs *st, dbs_stats *out, store_err *err);

/* A reader thread's view of the home opened by st (dbs_view.c): its own
 * database handles, for that thread alone, on st's environment.  Every
 * read call above (dbs_each, dbs_verify, dbs_list_raw...) takes a view as
 * it takes st, and then runs in a snapshot transaction (MVCC): it sees one
 * commit's state, takes no lock and waits on no write.  A change through a
 * view is refused (read-only).  Views are closed before st. */
store_code dbs_view_open(dbs *st, dbs **out, store_err *err);
void dbs_view_close(dbs *view);
/* The walks of the view's reads (each record of dbs_each and dbs_verify)
 * stop, failing, once *cancel is non-zero (NULL: never). */
void dbs_view_cancel(dbs *view, const atomic_int *cancel);
/* A snapshot held across reads (an export's pages): begun on a view, it
 * may be given to any view (dbs_view_snap; NULL: each read in a snapshot
 * of its own), one at a time, and ended by any thread while no read uses
 * it.  While it is held, the environment keeps the versions of the pages
 * it sees: end it soon. */
typedef struct dbs_snap dbs_snap;
store_code dbs_snap_begin(dbs *view, dbs_snap **out, store_err *err);
void dbs_snap_end(dbs_snap *snap);
/* Gives a snapshot up (its versions go): the reads it is given after fail,
 * saying so, until dbs_snap_end. */
void dbs_snap_expire(dbs_snap *snap);
void dbs_view_snap(dbs *view, dbs_snap *snap);

/* A consistent copy of the home in `dir` (created; must be empty): a
 * checkpoint, then the data files and the log. */
store_code dbs_backup(dbs *st, const char *dir, store_err *err);

#endif
