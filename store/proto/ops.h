/* ops.h - every operation of the protocol, defined once: its name and code,
 * its arguments (which field of the frame, what they mean, their bounds),
 * the shape of its reply, and what it may do (change the store, be sent by
 * a read-only user as an answer, need a durable flush before its answer).
 * The op codes, the read-only and answer rules, the bounds checks, the
 * server's dispatch and the fingerprint recorded with the protocol's
 * revision all come from this table.  Private to libseestore. */
#ifndef SEESTORE_OPS_H
#define SEESTORE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every operation of the protocol, one row each, in code order:
 *   X(CODE, name, flags, (arguments), reply, action, handler)
 * CODE makes OP_CODE, numbered from OP_HELLO = 2 in this order: the codes
 * travel, so a row is only ever added at the end.  The arguments (which
 * u[] or s[] slot, its name in a refusal, its bound) use the helpers and
 * bounds of ops.c: U(slot, name, max), S(slot, name, max),
 * BLOBS(name, max length, max count), EXEC (s0), TASK (s1), NOARGS.  The
 * reply says what it carries.  The action is the one its event records in
 * the audit trail (record_event_action_known; 0: it records none).  The
 * handler is the server's function that runs it (its dispatch table in
 * store/server/server_handle.c is made from this column), 0 for none:
 * HELLO is the connection's own, a push is never a request. */
#define OPS(X) \
	X(HELLO, "hello", 0, (U(0, "the flags", 0), U(2, "the revision", 0)), \
	  "u0 granted flags, u1 server pid, u2 1: an older server making way", 0, 0) \
	X(GENERATION, "generation", 0, (NOARGS), "u0 generation", 0, op_generation) \
	X(COUNTS, "counts", 0, (NOARGS), "u0.. counts per status, u7 generation", 0, op_counts) \
	X(IMPORT, "import", CHANGE_SYNC | OPS_FRAMES, \
	  (U(0, "replace", 1), U(1, "more frames", 1), S(0, "the action", ACTION_MAX), \
	   BLOBS("an item", WIRE_FRAME_MAX, 0)), \
	  "u0 count", "import", op_import) \
	X(GET, "get", 0, (EXEC), "blob: the execution", 0, op_get) \
	X(GET_ITEM, "get-item", 0, (EXEC), "blob: the item", 0, op_get_item) \
	X(DELETE, "delete", CHANGE_SYNC, (EXEC), "", "delete", op_delete) \
	X(LIST, "list", 0, \
	  (U(0, "the status", STORE_LIST_DUE + 1), U(1, "the limit", 0), U(2, "newer", 1), U(3, "with counts", 1), \
	   S(0, "the cursor", sizeof(((store_cursor *)0)->key))), \
	  "blobs: u6 records, then the ids of those attached; s0 cursor, u0 done; " \
	  "with counts: u8.. counts, u7 generation", 0, op_list) \
	X(PAUSED, "paused", 0, (NOARGS), "blobs: executions", 0, op_paused) \
	X(EACH, "each", 0, (S(0, "the id to start after", ID), U(0, "the limit", 0)), "blobs: items, u0 done", 0, \
	  op_each) \
	X(PAUSE, "pause", CHANGE_SYNC, (EXEC, TASK), "", "pause", op_pause) \
	X(RESUME_WF, "resume-workflow", CHANGE_SYNC, (EXEC), "", "resume-workflow", op_resume_wf) \
	X(RESUME_TASK, "resume-task", CHANGE_SYNC | OPS_ANSWER, \
	  (EXEC, TASK, S(2, "the input value", TEXT)), "", "resume-task", op_resume_task) /* s2 absent: the default */ \
	X(EVENTS, "events", 0, (EXEC, U(0, "before", 0), U(1, "the limit", 0)), "blobs: events", 0, op_events) \
	X(VERIFY, "verify", 0, (NOARGS), "blobs: problems, u0 count", 0, op_verify) \
	X(CHECKPOINT, "checkpoint", CHANGE_SYNC | OPS_LOCAL, (NOARGS), "", 0, op_checkpoint) \
	X(WAIT, "wait", 0, (U(0, "the generation", 0), U(1, "the timeout", 0)), "u0 generation", 0, op_wait) \
	X(SUBSCRIBE, "subscribe", 0, (NOARGS), "u0 generation; then push frames", 0, op_subscribe) \
	X(PUSH, "push", 0, (NOARGS), "u0 generation, u1 all changed, blobs: ids", 0, 0) \
	X(STATUS, "status", 0, (NOARGS), \
	  "u0 pid, u1 uptime, u2 clients, u3 generation, u4 cache bytes, u5 cache used, u6 log file, " \
	  "u7 log offset, u8 hooks run, u9 failed, u10 pending", 0, op_status) \
	X(STOP, "stop", CHANGE_SYNC | OPS_LOCAL, (NOARGS), "", 0, op_stop) \
	X(BACKUP, "backup", CHANGE_SYNC | OPS_LOCAL, (S(0, "the backup directory", PATH_MAX - 1)), "", 0, op_backup) \
	X(EXEC_START, "exec-start", CHANGE_SYNC, \
	  (U(0, "the engine's pid", 0), S(1, "the engine's host", HOST_MAX), BLOBS("the definition", 0, 1)), "", \
	  "start", op_exec_start) \
	X(TASK_BEGIN, "task-begin", CHANGE_SYNC, (EXEC, TASK), "", "begin", op_task_transition) \
	X(TASK_LOG, "task-log", CHANGE_SYNC, \
	  (EXEC, TASK, BLOBS("a log line", STORE_LOG_LINE_MAX, STORE_LOG_BATCH_MAX)), "u0 the task's line count", 0, \
	  op_task_log) \
	X(TASK_COMPLETE, "task-complete", CHANGE_SYNC, (EXEC, TASK), "", "complete", op_task_transition) \
	X(TASK_FAIL, "task-fail", CHANGE_SYNC, (EXEC, TASK, S(2, "the reason", TEXT)), "", "fail", \
	  op_task_transition) \
	X(TASK_REQUEST, "task-request", CHANGE_SYNC, /* u3: the timeout in seconds, unbounded */ \
	  (EXEC, TASK, S(2, "the prompt", TEXT), U(0, "the input type", 0), U(1, "required", 1), \
	   U(2, "has a default", 1), BLOBS("the default", TEXT, 1), U(4, "on timeout", 0)), \
	  "", "request-input", op_task_request) \
	X(EXEC_FINISH, "exec-finish", CHANGE_SYNC, (EXEC, U(0, "the status", 0)), "", "finish", op_exec_finish) \
	X(ATTACH, "attach", CHANGE_SYNC, (EXEC, U(0, "the engine's pid", 0), S(1, "the engine's host", HOST_MAX)), \
	  "", "attach", op_attach) \
	X(EVENTS_AFTER, "events-after", 0, (EXEC, U(0, "after", 0), U(1, "the limit", 0)), \
	  "blobs: events, oldest first", 0, op_events) \
	X(TASK_LOGS, "task-logs", 0, (EXEC, TASK, U(0, "from", 0), U(1, "the limit", 0)), \
	  "blobs: lines, u0 the line count", 0, op_task_logs) \
	X(REJECT, "reject", CHANGE_SYNC | OPS_ANSWER, (EXEC, TASK, S(2, "the reason", TEXT)), "", "reject", \
	  op_reject_cancel) \
	X(CANCEL, "cancel", CHANGE_SYNC, (EXEC, S(2, "the reason", TEXT)), "", "cancel", op_reject_cancel) \
	X(DEADLINE, "deadline", CHANGE_SYNC, (EXEC, TASK, U(0, "the seconds", 0), U(1, "on timeout", 0)), "", "deadline", \
	  op_deadline) \
	X(RESPONDENTS, "respondents", CHANGE_SYNC, \
	  (EXEC, TASK, U(0, "no self approval", 1), BLOBS("a respondent", NAME_MAX_, STORE_RESPONDENTS_MAX)), "", \
	  "respondents", op_respondents) \
	X(NOTIFY_ADD, "notify-add", CHANGE_SYNC, \
	  (S(0, "the hook's events", EVENTS_MAX), BLOBS("a hook's argument", STORE_HOOK_ARG_MAX, STORE_HOOK_ARGS_MAX)), \
	  "u0 id", "notify-add", op_notify_add) \
	X(NOTIFY_LIST, "notify-list", 0, (NOARGS), "blobs: id NUL on NUL argv...", 0, op_notify_list) \
	X(NOTIFY_REMOVE, "notify-remove", CHANGE_SYNC, (U(0, "the hook id", 0)), "", "notify-remove", op_notify_remove) \
	X(REPL_STATUS, "repl-status", 0, (NOARGS), \
	  "u0 role, u1-u2 log end, u3 master's known, u4-u5 master's log end, u6 priority, u7 ack timeout ms, " \
	  "u8 heartbeat ms, u9 sites, u10 two-site strict, u11 unacknowledged commits, u12 replication generation; " \
	  "s0 this site, s1 the master; blobs: ADDR connected|disconnected master|-", 0, op_repl_status) \
	X(REPL_LEAVE, "repl-leave", CHANGE_SYNC | OPS_LOCAL, (NOARGS), "", 0, op_repl_leave)

/* The operations' codes: a reply is 1, then the rows above in order. */
#define OPS_ENUM_(code, name, flags, args, reply, action, handler) OP_##code,
typedef enum wire_op {
	OP_REPLY = 1,
	OPS(OPS_ENUM_)
	OP_COUNT_
} wire_op;

/* What an operation may do. */
enum {
	OPS_CHANGE = 1 << 0, /* it changes the store: refused to a read-only connection, carries a request id */
	OPS_ANSWER = 1 << 1, /* naming a task (s1), a user who may only read may send it: the store checks the respondents */
	OPS_SYNC = 1 << 2,   /* its answer waits for the batch's flush (unless the client asked for no sync) */
	OPS_FRAMES = 1 << 3, /* it may take several frames, numbered */
	OPS_LOCAL = 1 << 4,  /* a change of this server's, not of the store's data: a replica never forwards it */
};

typedef enum ops_kind {
	OPS_NONE = 0,
	OPS_U,    /* a number: u[slot] */
	OPS_S,    /* a text: s[slot] */
	OPS_BLOBS /* repeated blobs */
} ops_kind;

typedef struct ops_arg {
	ops_kind kind;
	unsigned slot;     /* u[] or s[] index */
	const char *name;  /* as a refusal names it: "the execution id" */
	uint64_t max;      /* a number's largest value, a text's or a blob's length in bytes (0: any) */
	size_t max_count;  /* blobs: how many at most (0: any) */
} ops_arg;

#define OPS_ARGS 8

typedef struct ops_def {
	wire_op op;
	const char *name;
	unsigned flags;
	ops_arg args[OPS_ARGS]; /* ends at the first OPS_NONE */
	const char *reply;      /* what its reply carries */
	const char *action;     /* the action of the event it records (NULL: none) */
} ops_def;

/* The actor a change names (s3), and its bound. */
#define OPS_ACTOR_SLOT 3
#define OPS_ACTOR_MAX 127

struct wire_msg; /* wire.h */

/* The row of an operation; NULL for a code no row has. */
const ops_def *ops_find(unsigned op);
/* The rows, in code order: *n of them. */
const ops_def *ops_table(size_t *n);
/* Whether a request of this operation changes the store. */
bool ops_is_change(unsigned op);
/* Whether it acts on the server that receives it (OPS_LOCAL). */
bool ops_is_local(unsigned op);
/* Whether a user who may only read may send it: an answer that names a task. */
bool ops_is_answer(unsigned op, bool names_task);
/* A fingerprint of what the table says travels (codes, flags, slots,
 * bounds; not the texts): tests/unit/test_ops.c holds it beside
 * WIRE_REVISION, so a table that changes without a new revision fails. */
uint64_t ops_fingerprint(void);
/* Checks a decoded request against its row: every argument within its
 * bound.  0, or -1 with why, which names the argument ("the input value is
 * 65537 bytes: at most 65536"). */
int ops_check(const struct wire_msg *m, char *why, size_t whylen);

#endif
