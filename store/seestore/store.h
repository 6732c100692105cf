/* store.h - libseestore: executions and tasks in a Berkeley DB store.
 *
 * One server process per home opens its Berkeley DB environment; every
 * program that calls this API is its client, over a Unix socket in the home
 * (server.sock).  store_open starts the server when none runs (it forks, as
 * tmux does: open a store before starting threads), and the server exits a
 * while after its last client leaves.  Each call is one request, and each
 * change one transaction: a change is acknowledged (STORE_OK) only once it is
 * on disk, and a change whose answer was lost (the server was killed) is sent
 * again and made exactly once.
 *
 * Every call returns a store_code and, on failure, fills a store_err with one
 * line of context (which id, which file, the Berkeley DB text); out-parameters
 * are zeroed (NULL, 0) on failure.  STORE_STORAGE also covers a server that
 * cannot be reached or does not answer in time (SEESTORE_TIMEOUT_MS, 60 s).
 * The library never prints, exits or aborts.  Memory handed out (records,
 * arrays) belongs to the caller and is freed with the record_*_free calls. */
#ifndef SEESTORE_STORE_H
#define SEESTORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct store store;

typedef enum store_code {
	STORE_OK = 0,
	STORE_NOT_FOUND,      /* no such execution or task */
	STORE_INVALID_STATE,  /* the record is not in a state that allows it */
	STORE_INVALID_INPUT,  /* a value or record that breaks the rules */
	STORE_READ_ONLY,      /* "store is open read-only" */
	STORE_EXISTS,         /* the id is taken */
	STORE_FORMAT,         /* a home this version cannot use: newer format, damaged */
	STORE_STORAGE,        /* Berkeley DB or the system failed */
} store_code;

typedef struct store_err {
	store_code code;
	int db_ret;           /* the Berkeley DB or errno value behind STORE_STORAGE */
	char msg[1024];
} store_err;

/* The format of a home this version writes; older ones are upgraded on open. */
#define STORE_FORMAT_VERSION 6

enum {
	STORE_OPEN_READ_ONLY = 1 << 0, /* refuse every change; databases opened read-only */
	STORE_OPEN_NO_SYNC = 1 << 1,   /* commits are not flushed (tests, benchmarks, gen) */
	STORE_OPEN_CREATE = 1 << 2,    /* make the home (and its directory) when there is no store */
};

/* Connects to the home's server (starting one).  A directory without a
 * store is STORE_NOT_FOUND and nothing is created, unless
 * STORE_OPEN_CREATE (not with read-only) makes it, parent directories
 * included: a mistyped home is an error, not a new store.  A user other than the home's owner (a member of its
 * group) is given read-only access, and cannot start a server.  The caller
 * frees *out with store_close. */
store_code store_open(const char *home, unsigned flags, store **out, store_err *err);
void store_close(store *st);
bool store_is_read_only(const store *st);
const char *store_home(const store *st);
/* The name recorded as the actor of audit events (default "unknown"). */
void store_set_actor(store *st, const char *actor);

/* The change generation: bumped by every write transaction. */
store_code store_generation(store *st, uint64_t *gen, store_err *err);
/* Executions per status, maintained on write; and the generation they belong to. */
store_code store_counts(store *st, uint64_t counts[EXEC_STATUS_COUNT], uint64_t *gen, store_err *err);

/* An execution with its tasks, as imported or saved; `events` (oldest
 * first) is its audit trail when an import restores one: the events of an
 * execution new to the store are written with new sequence numbers after
 * the store's own, keeping their times and actors.  The trail of an
 * execution that exists is never rewritten: a replacing import keeps it and
 * ignores the events given. */
typedef struct store_item {
	record_exec exec;
	record_task *tasks;
	size_t n_tasks;
	record_event *events;
	size_t n_events;
} store_item;
void store_item_free(store_item *it);

/* Bounds of the data model: texts (names, prompts, defaults, values,
 * reasons), tasks per execution (log lines: STORE_LOG_LINE_MAX). */
#define STORE_TEXT_MAX (64u << 10)
#define STORE_TASKS_MAX 10000
#define STORE_EVENTS_MAX 100000 /* restored events per execution */
/* Checks one item against the rules of the data model; 0 or -1 with why. */
int store_item_check(const store_item *it, char *why, size_t whylen);

/* Saves executions in one transaction.  `next` yields the items one at a time
 * (1 = an item, 0 = the end, -1 = failed, with why); `rewind` starts it again
 * when the transaction has to be retried.  An id that exists is STORE_EXISTS
 * unless `replace`.  `action` names the audit event written per execution. */
typedef struct store_source {
	int (*next)(void *ctx, store_item *it, char *why, size_t whylen);
	int (*rewind)(void *ctx, char *why, size_t whylen);
	void *ctx;
} store_source;
store_code store_import(store *st, const store_source *src, bool replace, const char *action,
			size_t *count, store_err *err);
/* One execution with its tasks (the common case of store_import). */
store_code store_save(store *st, const store_item *it, bool replace, store_err *err);

store_code store_get(store *st, const char *id, record_exec *e, store_err *err);
/* The execution and its tasks, in task_ids order; each task with its newest
 * log lines (at most 1,000 and 4 MB: store_task_logs reads the rest).  A
 * replacing store_save of it is refused once the execution has changed since
 * (its version), or when it lacks some of a task's lines. */
store_code store_get_item(store *st, const char *id, store_item *it, store_err *err);
store_code store_delete(store *st, const char *id, store_err *err);

/* Paging newest first: a cursor of zero length starts at the newest; after a
 * call it continues where the page ended.  `status` < 0 lists every status.
 * The records that store_list, store_list_counts, store_list_newer and
 * store_paused hand out are freed whole, with record_exec_free or
 * record_exec_array_free (a record's strings may share one allocation): a
 * caller may replace a field with a string of its own, but never frees,
 * grows or keeps one of the record's strings alone. */
typedef struct store_cursor {
	unsigned char key[RECORD_ID_MAX + 32]; /* an index key: a start time and an id */
	size_t len;
	bool done;
} store_cursor;
store_code store_list(store *st, int status, store_cursor *cur, size_t limit, record_exec **out, size_t *n,
		      store_err *err);
/* store_list's `status` for the executions waiting for input, soonest
 * deadline first: those with a deadline by the earliest of their waiting
 * tasks' (seectl deadline, a workflow's timeout), then those without, newest
 * first.  Pages as the others do; not for store_list_newer. */
#define STORE_LIST_DUE EXEC_STATUS_COUNT
/* store_list, and the per-status counts with their generation, in one
 * request: a dashboard's first screen. */
store_code store_list_counts(store *st, int status, store_cursor *cur, size_t limit, record_exec **out, size_t *n,
			     uint64_t counts[EXEC_STATUS_COUNT], uint64_t *gen, store_err *err);
/* Up to `limit` executions newer than `from` (all of them when it is empty:
 * then the oldest `limit`), the ones nearest to it, handed back newest first:
 * paging up from a row, or the last page of the list. */
store_code store_list_newer(store *st, int status, const store_cursor *from, size_t limit, record_exec **out,
			    size_t *n, store_err *err);
/* A cursor positioned at an execution: the next store_list starts with it
 * (`inclusive`) or just after it; store_list_newer starts just before it. */
void store_cursor_at(store_cursor *cur, const record_exec *e, bool inclusive);
/* Every execution waiting for input, newest first, from the status index. */
store_code store_paused(store *st, record_exec **out, size_t *n, store_err *err);
/* Visits every execution with its tasks in id order (export). Stops when fn
 * returns non-zero.  Each task brings its lines from the first, up to 8 MB
 * for the whole execution: when a task's n_logs is below its log_count,
 * store_task_logs reads the rest (fn may call it). */
store_code store_each(store *st, int (*fn)(void *ctx, const store_item *it), void *ctx, store_err *err);

/* The model's rules, shared by the store, seectl's pre-flight and seetop's
 * pre-checks (no I/O).  store_task_move: the status `action` (begin,
 * complete, fail, request-input, pause, resume-task, reject, cancel) moves a
 * task in status `from` to (*to); -1 when it may not, or for an unknown
 * action.  store_task_needs_answer: a waiting task that asks a required
 * input and has neither a value nor a default: resuming its whole
 * execution is refused until it is answered. */
int store_task_move(const char *action, task_status from, task_status *to);
/* The waiting invariants of an execution, as the item check and verify
 * apply them: its status and is_paused agree, it waits when (and only when)
 * one of its tasks waits (`waiting` of them do), and paused_task_id names a
 * waiting task (paused_waits).  0, or -1 with the first problem in why. */
int store_exec_waiting_check(const record_exec *e, size_t waiting, bool paused_waits, char *why, size_t whylen);
bool store_task_needs_answer(const record_task *t);
/* An execution left running after a decision (an answer, a resume, a
 * reject, a deadline: `last_action`, its newest event's) with no engine
 * attached: nothing will move it ("? no engine"). */
bool store_exec_stranded(const record_exec *e, const char *last_action);
/* An execution that waits only because an operator paused it: a task
 * waits with no input asked, and none asks for input. */
bool store_item_paused(const store_item *it);

/* The operations of pausing for user input. */
store_code store_pause_task(store *st, const char *exec_id, const char *task_id, store_err *err);
store_code store_resume_workflow(store *st, const char *exec_id, store_err *err);
/* `value` may be NULL: then the default, if any, is used.  A value is at
 * most STORE_TEXT_MAX bytes (64 KiB): a longer one is STORE_INVALID_INPUT. */
store_code store_resume_task(store *st, const char *exec_id, const char *task_id, const char *value,
			     size_t value_len, store_err *err);
/* An operator's decisions beyond resume.  Rejecting a waiting task fails
 * it with the reason (required, at most 64 KiB): the execution stays
 * waiting on its next waiting task, or runs again (its engine then fails
 * it); task_id NULL rejects every waiting task of the execution in one
 * transaction.  Cancelling a running or waiting execution fails every task that has
 * not ended, and the execution, with the reason, in one transaction. */
store_code store_task_reject(store *st, const char *exec_id, const char *task_id, const char *reason, store_err *err);
store_code store_exec_cancel(store *st, const char *exec_id, const char *reason, store_err *err);
/* Sets a deadline on a waiting task: `seconds` from now (at most 3650
 * days; 0 removes it), with the policy the server applies when it passes
 * unanswered (store_input_request says which).  The server applies it even
 * with no engine attached, in one transaction, as the actor "timer" (not
 * a person), dated at the deadline; a server that was not running then
 * applies it when it starts.  An answer that comes later is refused
 * (STORE_INVALID_STATE). */
store_code store_task_deadline(store *st, const char *exec_id, const char *task_id, uint64_t seconds,
			       record_on_timeout policy, store_err *err);
/* Who may answer a task, reject it or cancel its execution: Unix user
 * names, and groups as "@group" (at most 64 names of 1-64 letters, digits,
 * '.', '_' or '-'); none lifts the restriction.  The server knows each
 * client's Unix user from its socket and refuses anyone else, whatever
 * --actor says; a user who may only read the home (not its owner) may
 * answer or reject a task that names them.  Allowed while the task has not
 * ended; when it already names respondents, only one of them may change
 * them.  no_self_approval refuses the user who started the execution. */
store_code store_task_respondents(store *st, const char *exec_id, const char *task_id, const char *const *names,
				  size_t n, bool no_self_approval, store_err *err);
/* The rule the server applies, for a client that wants to say so before it
 * asks: may `user` (in `groups`; `owner`: the home's owner) answer task t of
 * e?  0, or -1 with why. */
int store_may_answer(const record_exec *e, const record_task *t, const char *user, const char *const *groups,
		     size_t n_groups, bool owner, char *why, size_t whylen);
#define STORE_RESPONDENTS_MAX 64
/* Checks a respondent name ("user" or "@group"); 0 or -1. */
int store_respondent_check(const char *name);
/* Checks an input value against a task's input request; 0 or -1 with why. */
int store_input_check(const record_task *t, const char *value, size_t len, char *why, size_t whylen);

/* Audit events newest first; exec_id NULL for all.  `before` 0 starts at the newest. */
store_code store_events(store *st, const char *exec_id, uint64_t before, size_t limit, record_event **out,
			size_t *n, store_err *err);

/* Checks every invariant; calls `problem` once per violation. */
store_code store_verify(store *st, void (*problem)(void *ctx, const char *what), void *ctx, size_t *n_problems,
			store_err *err);

/* Writes a checkpoint and removes log files no longer needed. */
store_code store_checkpoint(store *st, store_err *err);

const char *store_code_name(store_code c);

/* How long a call waits for its answer (the default is 60 s, or
 * SEESTORE_TIMEOUT_MS); a dashboard sets it short. */
void store_set_timeout(store *st, int ms);
/* Whether a call that finds no server starts one.  A call that cannot
 * start one fails with STORE_STORAGE ("... is stopped"). */
typedef enum {
	STORE_START_ALWAYS,         /* the default: start one */
	STORE_START_UNLESS_STOPPED, /* not while the home says its owner stopped
	                             * it (seectl server stop): what an open
	                             * dashboard does, so that no read of its
	                             * undoes the stop */
	STORE_START_NEVER           /* find one or fail: a dashboard whose server
	                             * was stopped, until the operator acts */
} store_autostart;
void store_set_autostart(store *st, store_autostart how);

/* Blocks until the generation is past `after` or timeout_ms passed; *gen is
 * the generation then. */
store_code store_wait(store *st, uint64_t after, int timeout_ms, uint64_t *gen, store_err *err);

/* Pushes: store_watch opens (once) a second connection on which the server
 * sends, after each commit, the new generation and the ids of the executions
 * that changed; poll *fd for input, then store_watch_read.  A reader that
 * falls behind gets its pushes merged into one.  When the server goes away
 * store_watch_read fails (STORE_STORAGE): call store_watch again to
 * reconnect, which starts a server if need be.  A change committed before
 * the subscription is not pushed: subscribe first, then read what you wait
 * on, and read again after every reconnection.
 *
 * A push also carries the changed executions as a list shows them, with
 * the counts per status: store_watch_rows hands them out after each
 * store_watch_read, and a dashboard merges them into what it shows without
 * asking.  It must read again (a list with its counts) when `has_rows` is
 * false (`all`, or a server of an older revision), when `reload` says it
 * fell too far behind, or when `from_generation` is above the generation
 * it read last (it missed a change). */
#define STORE_PUSH_IDS 64
typedef struct store_push {
	bool pushed;          /* something changed since the last read */
	uint64_t generation;  /* the newest generation pushed */
	bool all;             /* too many changed to name: treat every one as changed */
	size_t n_ids;
	char ids[STORE_PUSH_IDS][RECORD_ID_BUF];
} store_push;
store_code store_watch(store *st, int *fd, store_err *err);
store_code store_watch_read(store *st, store_push *push, store_err *err);
/* The rows of what the last store_watch_read read.  The rows and their
 * marks belong to the store handle: they stay valid until the next
 * store_watch_read or store_close.  A caller may take a row (or a detail)
 * over by copying it out and zeroing its slot (then it frees it, as it
 * frees a listed one).  The ids of every changed execution are in store_push.ids:
 * an id there with no row is an execution that is gone. */
enum {
	STORE_PUSH_PAUSED = 1 << 0,   /* a row waiting only because an operator paused it */
	STORE_PUSH_STRANDED = 1 << 1, /* a row running after a decision with no engine attached (store_exec_stranded) */
};
typedef struct store_push_rows {
	bool has_rows;            /* the rows and counts below say every change since from_generation */
	bool reload;              /* the server says: this reader fell behind, read everything again */
	uint64_t from_generation; /* the generation the first push read follows */
	uint64_t counts[EXEC_STATUS_COUNT]; /* per status, at the push's generation */
	record_exec *rows;        /* the changed executions, the newest state of each */
	unsigned char *marks;     /* per row: STORE_PUSH_PAUSED, STORE_PUSH_STRANDED */
	/* per row, when the pushes changed few executions: the execution
	 * with its tasks, without their lines (a task's log_count says
	 * whether lines came), and every event it had since from_generation,
	 * oldest first; exec.id NULL when they did not bring it whole */
	store_item *details;
	size_t n_rows;
} store_push_rows;
void store_watch_rows(store *st, store_push_rows *out);
/* Joins the detail of an execution a later read brought into the one of
 * an earlier read (`into`, which becomes the later state, with the events
 * of both); an empty detail on either side empties `into` (the pushes
 * between did not bring it).  -1 when out of memory (then emptied too). */
int store_push_detail_join(store_item *into, store_item *later);

/* ---- the engine's side ----
 *
 * What an engine that runs workflows calls.  Each call is one transaction
 * with an audit event (this store's actor, the status before and after), and
 * a compare-and-set on the status it expects: when an operator changed the
 * task or the execution first (a pause, a resume, an answer), the call fails
 * with STORE_INVALID_STATE, names what it found, and changes nothing.  No
 * engine call can undo an operator's action. */

/* Starts an execution from its definition: def->exec.id, workflow_name and
 * task_ids (the order), and per task its name and input request (has_input
 * and the input_* fields, respondents and no_self_approval).  The store sets
 * the rest: running, started now (unless start_timestamp is set) by the
 * connection's Unix user (started_by), every task pending.  The execution is
 * attached to this connection (see store_attach).  STORE_EXISTS when the id
 * is taken. */
store_code store_exec_start(store *st, const store_item *def, store_err *err);
/* pending -> in-progress, with its start time. */
store_code store_task_begin(store *st, const char *exec_id, const char *task_id, store_err *err);
/* Appends lines to a task's log (any status; lines are bytes, NULs allowed).
 * A line is at most STORE_LOG_LINE_MAX bytes, a call at most STORE_LOG_BATCH_MAX
 * lines.  No audit event: the log is its own ordered record.  *count (may be
 * NULL) is the task's number of lines after the append. */
#define STORE_LOG_LINE_MAX (1u << 20)
#define STORE_LOG_BATCH_MAX 4096
store_code store_task_log(store *st, const char *exec_id, const char *task_id, const record_text *lines, size_t n,
			  uint64_t *count, store_err *err);
/* in-progress -> complete, with its end time. */
store_code store_task_complete(store *st, const char *exec_id, const char *task_id, store_err *err);
/* in-progress -> failed, with its end time and a reason (kept in the task and its event). */
store_code store_task_fail(store *st, const char *exec_id, const char *task_id, const char *reason, store_err *err);
/* in-progress -> waiting-for-input with the request; the execution becomes
 * waiting-for-input, paused on its first waiting task. */
typedef struct store_input_request {
	const char *prompt;
	record_input_type type;
	const char *default_value; /* NULL: no default */
	size_t default_len;
	bool required;
	/* A deadline this long after the request (0: none), and what the
	 * server does when it passes unanswered: fail the task, resume it with
	 * its default (needs one), or resume it with no value (not required). */
	uint64_t timeout_s;
	record_on_timeout on_timeout;
} store_input_request;
store_code store_task_request_input(store *st, const char *exec_id, const char *task_id,
				    const store_input_request *rq, store_err *err);
/* running -> complete (no task in progress or waiting), or running or
 * waiting-for-input -> failed (tasks still in progress or waiting fail with
 * it); with the end time. */
store_code store_exec_finish(store *st, const char *exec_id, exec_status status, store_err *err);
/* Audit events with a sequence above `after`, oldest first (exec_id NULL:
 * every execution's): what an operator did, in order.  With store_wait (or
 * store_watch), an engine learns of an answer without polling. */
store_code store_events_after(store *st, const char *exec_id, uint64_t after, size_t limit, record_event **out,
			      size_t *n, store_err *err);
/* Attaches the execution to this connection: the engine named by its pid
 * and host drives it.  The connection is the lease: when it closes (the
 * engine exited or was killed), the execution shows as detached
 * (record_exec.engine_attached false, engine_pid kept).  The library attaches
 * again by itself after it reconnects.  STORE_INVALID_STATE for an execution
 * that has ended. */
store_code store_attach(store *st, const char *exec_id, store_err *err);
/* Lines from..from+limit-1 of a task's log (at most 4 MB of them), and how
 * many it has; the caller frees each line and the array. */
store_code store_task_logs(store *st, const char *exec_id, const char *task_id, uint64_t from, size_t limit,
			   record_text **out, size_t *n, uint64_t *total, store_err *err);

/* Notification hooks: commands the home's server runs on its events.
 * `on` is a comma list of waiting (a task waits for input), timeout (the
 * timer resolved a deadline), rejected, cancelled.  The server runs each
 * command without a shell after the change commits, with SEETOP_EVENT,
 * SEETOP_EXECUTION, SEETOP_TASK, SEETOP_PROMPT, SEETOP_DEADLINE,
 * SEETOP_ACTOR, SEETOP_USER, SEETOP_TIME, SEETOP_REASON and SEETOP_HOME in
 * its environment, its output in server.log; at most 4 at once, each for at
 * most 30 s (SIGTERM, then SIGKILL).  A notification is written with the
 * change, so one not yet run when the server died runs when it starts
 * again: at least once.  Adding and removing are audit events. */
#define STORE_HOOKS_MAX 32
#define STORE_HOOK_ARGS_MAX 64
#define STORE_HOOK_ARG_MAX 4096
typedef struct store_hook {
	uint64_t id;
	char *on;
	char **argv;
	size_t argc;
} store_hook;
store_code store_notify_add(store *st, const char *on, const char *const *argv, size_t argc, uint64_t *id,
			    store_err *err);
/* The hooks, in id order.  A hook's command and arguments may hold a
 * secret (a token): only the home's owner is sent them; to anyone else a
 * hook has its id and events, and argc 0. */
store_code store_notify_list(store *st, store_hook **out, size_t *n, store_err *err);
store_code store_notify_remove(store *st, uint64_t id, store_err *err);
void store_hook_array_free(store_hook *v, size_t n);

/* The server of the home this store is connected to. */
typedef struct store_server_info {
	long pid;
	uint64_t uptime_s, clients, generation;
	uint64_t cache_bytes, cache_used_bytes;
	uint32_t log_file, log_offset;
	uint64_t hooks_run, hooks_failed; /* notification commands run in this home (kept across servers), and how many failed */
	uint64_t hooks_pending;           /* notifications waiting or running */
} store_server_info;
store_code store_server_status(store *st, store_server_info *out, store_err *err);
/* The requests the server has served since it started (a connection's
 * greeting not counted), and how many of them came from read-only
 * connections (dashboards opened read-only, users who may only read): what
 * watching costs the server.  This call is one of them.  A server older
 * than this library reports 0 for both.  On failure both are 0. */
store_code store_server_requests(store *st, uint64_t *total, uint64_t *read_only, store_err *err);
/* Stops the server of `home`, if one runs (*was_running says), after a
 * checkpoint; returns once it has exited.  Starts none.  STORE_READ_ONLY for
 * a user who is not the owner. */
store_code store_server_stop(const char *home, bool *was_running, store_err *err);
/* Writes a consistent copy of the whole home (data, log, audit trail) into
 * `dir`, new or empty, while other clients keep writing.  STORE_EXISTS when
 * dir is not empty. */
store_code store_backup(store *st, const char *dir, store_err *err);
/* The file that marks a directory as a backup (written by store_backup):
 * its server starts no timer, runs no hook and refuses changes. */
#define STORE_BACKUP_MARK "BACKUP"
/* Makes a live home of a backup: copies its data and log files into `home`
 * (new, or an empty directory of the caller's) through a private directory
 * beside it that is renamed into place when complete, without the mark.  A
 * server that runs on the backup is stopped first.  The home's first server
 * applies the deadlines that passed meanwhile, as after any restart.
 * STORE_INVALID_INPUT when `backup` holds no mark, STORE_EXISTS when `home`
 * is taken. */
store_code store_restore(const char *backup, const char *home, store_err *err);
/* Whether a server runs for `home`, without starting one (a status that
 * must not start what it reports on). */
bool store_server_running(const char *home);
/* The server of `home` was stopped by its owner (seectl server stop) and
 * none serves since (true from the moment the stop is taken, while the
 * server finishes), rather than crashed or gone idle: a dashboard then
 * waits for a key or another program before starting one again.  false for
 * an ssh:// home. */
bool store_server_stopped(const char *home);

/* The remote end of a home addressed as ssh://HOST/PATH (seectl server
 * proxy): joins in_fd and out_fd to the socket of the home's server, started
 * if need be by the usual rules, until either side closes.  STORE_OK at the
 * end; the errors of store_open when the home cannot be reached. */
store_code store_proxy(const char *home, int in_fd, int out_fd, store_err *err);

/* ---- replication: a home as a site of a group (seestore-repl(7)) ---- */

/* The settings a site keeps in its home (HOME/repl.conf) and its server
 * reads when it starts. */
typedef struct store_repl_settings {
	const char *listen;      /* HOST:PORT this site takes the group's connections on */
	const char *helper;      /* HOST:PORT of a site of the group to join through; NULL: the group's first site */
	bool any_address;        /* listen may name an address other than loopback (the traffic has no authentication) */
	int priority;            /* -1: the default (100); 0: never master */
	unsigned ack_timeout_ms; /* 0: the default (1000) */
	unsigned heartbeat_ms;   /* 0: the default (1000) */
} store_repl_settings;
/* Writes the settings into `home` (created if missing) for its server's
 * next start; stops nothing and starts nothing.  STORE_INVALID_INPUT for a
 * bad address or a listen address that is not loopback without
 * any_address; STORE_EXISTS when the home is a site already, when a joining
 * home already holds a store, or when the listen port is taken;
 * STORE_STORAGE when the helper does not answer. */
store_code store_repl_setup(const char *home, const store_repl_settings *s, store_err *err);
/* Removes the settings (and the group's state kept with them) from `home`,
 * whose server must not run: it then opens as a home of its own. */
store_code store_repl_forget(const char *home, store_err *err);
/* Whether `home` holds replication settings. */
bool store_repl_configured(const char *home);

typedef enum store_repl_role {
	STORE_REPL_OFF,       /* not a site of a group */
	STORE_REPL_MASTER,
	STORE_REPL_REPLICA,
	STORE_REPL_NO_MASTER, /* a replica while the group elects a master */
} store_repl_role;
#define STORE_REPL_SITES_MAX 32
typedef struct store_repl_site {
	char addr[300];
	bool connected;          /* this site has a connection with it now */
	bool master;
} store_repl_site;
typedef struct store_repl_info {
	store_repl_role role;
	char self[300], master[300];     /* master: "" when none is known */
	uint32_t lsn_file, lsn_offset;   /* where this site's log ends */
	bool master_lsn_known;           /* a replica: where the master's does */
	uint32_t master_lsn_file, master_lsn_offset;
	unsigned priority, ack_timeout_ms, heartbeat_ms, nsites;
	bool two_site_strict;            /* a group of two waits for both sites */
	uint64_t unacked;                /* commits no quorum acknowledged since the server started */
	uint64_t rep_generation;         /* elections won in the group's life */
	/* how long ago the master made the oldest change this site's copy
	 * lacks, by the master's own clock (0: in step; the master: 0); not
	 * known while no master answers.  The master notes when its
	 * generation moves, once per turn of its loop (the moments of its
	 * last 512 moves: older than that, the lag is at least the age of the
	 * oldest it kept) */
	bool lag_known;
	uint64_t lag_ms;
	size_t n_sites;                  /* the other sites */
	store_repl_site sites[STORE_REPL_SITES_MAX];
} store_repl_info;
/* The replication state of the server's site; STORE_INVALID_STATE when the
 * home is not a site. */
store_code store_repl_status(store *st, store_repl_info *out, store_err *err);
/* Takes the server's site out of its group (refused at the master, with
 * STORE_INVALID_STATE); the server then stops. */
store_code store_repl_leave(store *st, store_err *err);

#ifdef __cplusplus
}
#endif

#endif
