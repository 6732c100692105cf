/* ops.h - every operation of the protocol, defined once: its name and code,
 * its arguments (which field of the frame, what they mean, their bounds),
 * the shape of its reply, and what it may do (change the store, be sent by
 * a read-only user as an answer, need a durable flush before its answer,
 * run on a reader thread).
 * The op codes, the read-only and answer rules, the bounds checks, the
 * encoder of the library's calls (ops_encode), the decoder that hands a
 * handler its arguments by name (ops_decode, ARG_<CODE>_<id>), the server's
 * dispatch and the fingerprint recorded with the protocol's revision all
 * come from this table.  Private to libseestore. */
#ifndef SEESTORE_OPS_H
#define SEESTORE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every operation of the protocol, one row each, in code order:
 *   X(CODE, name, flags, (arguments), reply, action, handler)
 * CODE makes OP_CODE, numbered from OP_HELLO = 2 in this order: the codes
 * travel, so a row is only ever added at the end.  Each argument names its
 * field of the frame, the name a handler reads it by, the name a refusal
 * gives it and its bound (0: any):
 *   U(slot, id, name, max)          a number, u[slot]
 *   S(slot, id, name, max)          a text, s[slot]: no NUL byte in it
 *   B(slot, id, name, max)          bytes, s[slot]: any byte
 *   BLOBS(id, name, max, count)     the blobs, read where they lie (items, log lines)
 *   STRS(id, name, max, count)      the blobs, each a text: no NUL byte in it
 *   VALS(id, name, max, count)      the blobs, each bytes, NUL-terminated
 *   EXEC, TASK                      the execution id (s0), the task id (s1)
 *   NOARGS
 * The bounds are ops.c's.  The reply says what it carries.  The action is
 * the one its event records in the audit trail (record_event_action_known;
 * 0: it records none).  The handler is the server's function that runs it
 * (its dispatch table in store/server/server_handle.c is made from this
 * column), 0 for none: HELLO is the connection's own, a push is never a
 * request. */
#define OPS(X) \
	X(HELLO, "hello", 0, (U(0, flags, "the flags", 0), U(2, revision, "the revision", 0)), \
	  "u0 granted flags, u1 server pid, u2 1: an older server making way", 0, 0) \
	X(GENERATION, "generation", 0, (NOARGS), "u0 generation", 0, op_generation) \
	X(COUNTS, "counts", 0, (NOARGS), "u0.. counts per status, u7 generation", 0, op_counts) \
	X(IMPORT, "import", CHANGE_SYNC | OPS_FRAMES, \
	  (U(0, replace, "replace", 1), U(1, more, "more frames", 1), S(0, action, "the action", ACTION_MAX), \
	   BLOBS(items, "an item", WIRE_FRAME_MAX, 0)), \
	  "u0 count", "import", op_import) \
	X(GET, "get", 0, (EXEC), "blob: the execution", 0, op_get) \
	X(GET_ITEM, "get-item", OPS_HEAVY, (EXEC), "blob: the item", 0, op_get_item) \
	X(DELETE, "delete", CHANGE_SYNC, (EXEC), "", "delete", op_delete) \
	X(LIST, "list", 0, \
	  (U(0, status, "the status", STORE_LIST_DUE + 1), U(1, limit, "the limit", 0), U(2, newer, "newer", 1), \
	   U(3, counts, "with counts", 1), B(0, cursor, "the cursor", sizeof(((store_cursor *)0)->key)), \
	   U(4, images, "as images", 1)), \
	  "blobs: u6 records (the newest page, asked as images: record_image_exec), then the ids of those " \
	  "attached; s0 cursor, u0 done; with counts: u8.. counts, u7 generation", 0, op_list) \
	X(PAUSED, "paused", OPS_HEAVY, (NOARGS), "blobs: executions", 0, op_paused) \
	X(EACH, "each", OPS_HEAVY, (S(0, after, "the id to start after", ID), U(0, limit, "the limit", 0)), \
	  "blobs: items, u0 done", 0, op_each) \
	X(PAUSE, "pause", CHANGE_SYNC, (EXEC, TASK), "", "pause", op_pause) \
	X(RESUME_WF, "resume-workflow", CHANGE_SYNC, (EXEC), "", "resume-workflow", op_resume_wf) \
	X(RESUME_TASK, "resume-task", CHANGE_SYNC | OPS_ANSWER, \
	  (EXEC, TASK, B(2, value, "the input value", TEXT)), "", "resume-task", op_resume_task) /* no value: the default */ \
	X(EVENTS, "events", OPS_HEAVY, (EXEC, U(0, before, "before", 0), U(1, limit, "the limit", 0)), "blobs: events", 0, \
	  op_events) \
	X(VERIFY, "verify", OPS_HEAVY, (NOARGS), "blobs: problems, u0 count", 0, op_verify) \
	X(CHECKPOINT, "checkpoint", CHANGE_SYNC | OPS_LOCAL, (NOARGS), "", 0, op_checkpoint) \
	X(WAIT, "wait", 0, (U(0, generation, "the generation", 0), U(1, timeout, "the timeout", 0)), "u0 generation", 0, \
	  op_wait) \
	X(SUBSCRIBE, "subscribe", 0, (U(0, rows, "with rows", 1)), "u0 generation; then push frames", 0, op_subscribe) \
	X(PUSH, "push", 0, (NOARGS), \
	  "u0 generation, u1 all changed, blobs: ids; asked with rows: u2 the generation it follows, u3 flags " \
	  "(WIRE_PUSH_RELOAD), u4 rows, u8.. counts, s0 a mark per row, blobs: u4 row images, then the ids gone", 0, 0) \
	X(STATUS, "status", 0, (NOARGS), \
	  "u0 pid, u1 uptime, u2 clients, u3 generation, u4 cache bytes, u5 cache used, u6 log file, " \
	  "u7 log offset, u8 hooks run, u9 failed, u10 pending, u11 requests served, u12 of them read-only", 0, \
	  op_status) \
	X(STOP, "stop", CHANGE_SYNC | OPS_LOCAL, (NOARGS), "", 0, op_stop) \
	X(BACKUP, "backup", CHANGE_SYNC | OPS_LOCAL, (S(0, dir, "the backup directory", PATH_MAX - 1)), "", 0, op_backup) \
	X(EXEC_START, "exec-start", CHANGE_SYNC, \
	  (U(0, pid, "the engine's pid", 0), S(1, host, "the engine's host", HOST_MAX), \
	   BLOBS(definition, "the definition", 0, 1)), \
	  "", "start", op_exec_start) \
	X(TASK_BEGIN, "task-begin", CHANGE_SYNC, (EXEC, TASK), "", "begin", op_task_begin) \
	X(TASK_LOG, "task-log", CHANGE_SYNC, \
	  (EXEC, TASK, BLOBS(lines, "a log line", STORE_LOG_LINE_MAX, STORE_LOG_BATCH_MAX)), "u0 the task's line count", \
	  0, op_task_log) \
	X(TASK_COMPLETE, "task-complete", CHANGE_SYNC, (EXEC, TASK), "", "complete", op_task_complete) \
	X(TASK_FAIL, "task-fail", CHANGE_SYNC, (EXEC, TASK, S(2, reason, "the reason", TEXT)), "", "fail", \
	  op_task_fail) \
	X(TASK_REQUEST, "task-request", CHANGE_SYNC, \
	  (EXEC, TASK, S(2, prompt, "the prompt", TEXT), U(0, type, "the input type", 0), \
	   U(1, required, "required", 1), U(2, has_default, "has a default", 1), \
	   VALS(def, "the default", TEXT, 1), U(3, timeout, "the timeout", 0), \
	   U(4, on_timeout, "on timeout", 0)), \
	  "", "request-input", op_task_request) \
	X(EXEC_FINISH, "exec-finish", CHANGE_SYNC, (EXEC, U(0, status, "the status", 0)), "", "finish", \
	  op_exec_finish) \
	X(ATTACH, "attach", CHANGE_SYNC, \
	  (EXEC, U(0, pid, "the engine's pid", 0), S(1, host, "the engine's host", HOST_MAX)), "", "attach", op_attach) \
	X(EVENTS_AFTER, "events-after", OPS_HEAVY, (EXEC, U(0, after, "after", 0), U(1, limit, "the limit", 0)), \
	  "blobs: events, oldest first", 0, op_events_after) \
	X(TASK_LOGS, "task-logs", OPS_HEAVY, (EXEC, TASK, U(0, from, "from", 0), U(1, limit, "the limit", 0)), \
	  "blobs: lines, u0 the line count", 0, op_task_logs) \
	X(REJECT, "reject", CHANGE_SYNC | OPS_ANSWER, (EXEC, TASK, S(2, reason, "the reason", TEXT)), "", "reject", \
	  op_reject) \
	X(CANCEL, "cancel", CHANGE_SYNC, (EXEC, S(2, reason, "the reason", TEXT)), "", "cancel", op_cancel) \
	X(DEADLINE, "deadline", CHANGE_SYNC, \
	  (EXEC, TASK, U(0, seconds, "the seconds", 0), U(1, on_timeout, "on timeout", 0)), "", "deadline", \
	  op_deadline) \
	X(RESPONDENTS, "respondents", CHANGE_SYNC, \
	  (EXEC, TASK, U(0, no_self, "no self approval", 1), \
	   STRS(names, "a respondent", NAME_MAX_, STORE_RESPONDENTS_MAX)), \
	  "", "respondents", op_respondents) \
	X(NOTIFY_ADD, "notify-add", CHANGE_SYNC, \
	  (S(0, on, "the hook's events", EVENTS_MAX), \
	   STRS(argv, "a hook's argument", STORE_HOOK_ARG_MAX, STORE_HOOK_ARGS_MAX)), \
	  "u0 id", "notify-add", op_notify_add) \
	X(NOTIFY_LIST, "notify-list", 0, (NOARGS), \
	  "blobs: id NUL on NUL argv... (argv to the home's owner only)", 0, op_notify_list) \
	X(NOTIFY_REMOVE, "notify-remove", CHANGE_SYNC, (U(0, id, "the hook id", 0)), "", "notify-remove", \
	  op_notify_remove) \
	X(REPL_STATUS, "repl-status", 0, (U(0, typed, "typed sites", 1)), \
	  "u0 role, u1-u2 log end, u3 master's known, u4-u5 master's log end, u6 priority, u7 ack timeout ms, " \
	  "u8 heartbeat ms, u9 sites, u10 two-site strict, u11 unacknowledged commits, u12 replication generation, " \
	  "u13 lag known, u14 lag ms; s0 this site, s1 the master; blobs: the other sites, typed (wire_site_encode), " \
	  "or without u0 as text: ADDR connected|disconnected master|-", 0, op_repl_status) \
	X(REPL_LEAVE, "repl-leave", CHANGE_SYNC | OPS_LOCAL, (NOARGS), "", 0, op_repl_leave)

/* What the protocol holds, bumped whenever an operation, a field or a
 * value is added.  A client newer than the running server (an upgrade
 * while dashboards keep the old server alive) asks it to make way: it
 * finishes what it has, exits, and the client starts the new one.  Clients
 * older than the server are served as they are.
 *
 * The revisions, oldest first, each with the fingerprint of the table above
 * it travels with (ops_fingerprint; kept from revision 4 on).  The last
 * line is this build's WIRE_REVISION.  A change to what travels adds a line,
 * never edits one: tests/unit/test_ops.c fails while the table's fingerprint
 * is not the last line's, and prints the line to add.
 *   5: kinds of arguments (texts, bytes, texts in blobs), the timeout of
 *      task-request in the table; status counts the requests served
 *   6: list asks for the newest page as record images (WIRE_REV_IMAGES)
 *   7: replication: repl-status and repl-leave; checkpoint, stop and backup
 *      act on the server asked (OPS_LOCAL), never forwarded by a replica
 *   8: subscribe asks for rows: a push carries the changed executions as
 *      list rows (images), the counts, and the generation it follows
 *   9: repl-status asked with u0 gives the other sites as typed blobs, and
 *      the lag in ms (u13, u14) */
#define WIRE_REVISIONS(X) \
	X(4, 0x706be208c9f259aeull) \
	X(5, 0x15961d0c695020d9ull) \
	X(6, 0xb0c5be37c87723a5ull) \
	X(7, 0x75c97b023708e563ull) \
	X(8, 0x9f05e2e595918923ull) \
	X(9, 0x29090993be0b5f63ull)
/* The last line's revision: 0 * 0 + (4) * 0 + (5) ... is the last one. */
#define WIRE_REVISION_LAST_(rev, fingerprint) * 0 + (rev)
enum { WIRE_REVISION = 0 WIRE_REVISIONS(WIRE_REVISION_LAST_) };

/* The operations' codes: a reply is 1, then the rows above in order. */
#define OPS_ENUM_(code, name, flags, args, reply, action, handler) OP_##code,
typedef enum wire_op {
	OP_REPLY = 1,
	OPS(OPS_ENUM_)
	OP_COUNT_
} wire_op;

/* An argument as its row writes it, a list: (kind, slot, id, name, bound, count). */
#define U(slot, id, name, max) (OPS_U, slot, id, name, max, 0)
#define S(slot, id, name, max) (OPS_S, slot, id, name, max, 0)
#define B(slot, id, name, max) (OPS_B, slot, id, name, max, 0)
#define BLOBS(id, name, max, count) (OPS_BLOBS, 0, id, name, max, count)
#define STRS(id, name, max, count) (OPS_STRS, 0, id, name, max, count)
#define VALS(id, name, max, count) (OPS_VALS, 0, id, name, max, count)
#define EXEC S(0, exec, "the execution id", ID)
#define TASK S(1, task, "the task id", ID)
#define NOARGS (OPS_NONE, 0, , 0, 0, 0)

/* OPS_EACH_(m, x, a1, a2, ...): m(x, a1) m(x, a2) ..., for up to OPS_ARGS arguments. */
#define OPS_CAT_(a, b) OPS_CAT2_(a, b)
#define OPS_CAT2_(a, b) a##b
#define OPS_UNPAREN_(...) __VA_ARGS__
#define OPS_COUNT_ARGS_(...) OPS_COUNT_ARGS2_(__VA_ARGS__, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define OPS_COUNT_ARGS2_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, n, ...) n
#define OPS_EACH_(m, x, ...) OPS_CAT_(OPS_EACH_, OPS_COUNT_ARGS_(__VA_ARGS__))(m, x, __VA_ARGS__)
#define OPS_EACH_1(m, x, a) m(x, a)
#define OPS_EACH_2(m, x, a, ...) m(x, a) OPS_EACH_1(m, x, __VA_ARGS__)
#define OPS_EACH_3(m, x, a, ...) m(x, a) OPS_EACH_2(m, x, __VA_ARGS__)
#define OPS_EACH_4(m, x, a, ...) m(x, a) OPS_EACH_3(m, x, __VA_ARGS__)
#define OPS_EACH_5(m, x, a, ...) m(x, a) OPS_EACH_4(m, x, __VA_ARGS__)
#define OPS_EACH_6(m, x, a, ...) m(x, a) OPS_EACH_5(m, x, __VA_ARGS__)
#define OPS_EACH_7(m, x, a, ...) m(x, a) OPS_EACH_6(m, x, __VA_ARGS__)
#define OPS_EACH_8(m, x, a, ...) m(x, a) OPS_EACH_7(m, x, __VA_ARGS__)
#define OPS_EACH_9(m, x, a, ...) m(x, a) OPS_EACH_8(m, x, __VA_ARGS__)
#define OPS_EACH_10(m, x, a, ...) m(x, a) OPS_EACH_9(m, x, __VA_ARGS__)

/* Each argument's place in its row, by its id: ARG_REJECT_reason is 2.  A
 * handler reads it there in the decoded arguments (ops_decode). */
#define OPS_ARG_ID_(code, a) OPS_ARG_ID2_(code, OPS_UNPAREN_ a)
#define OPS_ARG_ID2_(code, ...) OPS_ARG_ID3_(code, __VA_ARGS__)
#define OPS_ARG_ID3_(code, kind, slot, id, name, max, count) ARG_##code##_##id,
#define OPS_ARG_ENUM_(code, name, flags, args, reply, action, handler) \
	enum { OPS_EACH_(OPS_ARG_ID_, code, OPS_UNPAREN_ args) };
OPS(OPS_ARG_ENUM_)

/* What an operation may do. */
enum {
	OPS_CHANGE = 1 << 0, /* it changes the store: refused to a read-only connection, carries a request id */
	OPS_ANSWER = 1 << 1, /* naming a task (s1), a user who may only read may send it: the store checks the respondents */
	OPS_SYNC = 1 << 2,   /* its answer waits for the batch's flush (unless the client asked for no sync) */
	OPS_FRAMES = 1 << 3, /* it may take several frames, numbered */
	OPS_LOCAL = 1 << 4,  /* a change of this server's, not of the store's data: a replica never forwards it */
	/* a read that may be long (an export's page, verify, a page of up to
	 * 100,000 events or log lines): the server runs it on a reader
	 * thread, in a snapshot, at most 2 at a time for a user who may only
	 * read (store/server/server_readers.c).  A read of one record (get,
	 * counts, generation, status, notify-list) stays on the main thread:
	 * handing it over costs more than it takes; so does list, whose
	 * newest pages the main thread keeps between changes (op_list).
	 * Where the server runs an operation does not travel: not in the
	 * fingerprint. */
	OPS_HEAVY = 1 << 5,
};

/* How an argument travels and is read; the values are in the fingerprint:
 * a new kind goes last. */
typedef enum ops_kind {
	OPS_NONE = 0,
	OPS_U,     /* a number: u[slot] */
	OPS_S,     /* a text: s[slot], without NUL bytes */
	OPS_BLOBS, /* the blobs, as they lie in the frame */
	OPS_B,     /* bytes: s[slot], any byte */
	OPS_STRS,  /* the blobs, each a text without NUL bytes */
	OPS_VALS,  /* the blobs, each bytes */
} ops_kind;

typedef struct ops_arg {
	ops_kind kind;
	unsigned slot;     /* u[] or s[] index */
	const char *name;  /* as a refusal names it: "the execution id" */
	uint64_t max;      /* a number's largest value, a text's or a blob's length in bytes (0: any) */
	size_t max_count;  /* blobs: how many at most (0: any) */
	const char *id;    /* as a handler names it: "exec" (ARG_REJECT_exec) */
} ops_arg;

#define OPS_ARGS 10

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
struct record_buf;

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
/* A fingerprint of what the table says travels (codes, flags, kinds, slots,
 * bounds; not the texts): tests/unit/test_ops.c holds it beside
 * WIRE_REVISION, so a table that changes without a new revision fails. */
uint64_t ops_fingerprint(void);
/* Checks a decoded request against its row: every argument within its
 * bound.  0, or -1 with why, which names the argument ("the input value is
 * 65537 bytes: at most 65536"). */
int ops_check(const struct wire_msg *m, char *why, size_t whylen);

/* One argument of a request, in its row's order: what a caller gives
 * ops_encode, and what ops_decode gives a handler. */
typedef struct ops_val {
	uint64_t u;               /* OPS_U (0 when absent) */
	const char *s;            /* OPS_S, OPS_B: NUL-terminated; "" when absent (NULL when not given to ops_encode) */
	size_t len;               /* its length in bytes */
	bool has;                 /* OPS_S, OPS_B: the request carries it */
	const struct wire_blob *blobs; /* OPS_BLOBS, OPS_STRS, OPS_VALS: as they lie in the frame */
	const char *const *strs;  /* OPS_STRS, OPS_VALS: each NUL-terminated (its length: blobs[i].len) */
	size_t n;                 /* how many blobs */
} ops_val;

/* A request's arguments, decoded. */
typedef struct ops_args {
	ops_val v[OPS_ARGS];
	void *mem;                /* the texts' copies */
} ops_args;

/* Decodes a request's arguments by its row, after ops_check: each text
 * NUL-terminated, a NUL byte where its row wants a text refused naming it
 * ("the reason holds a NUL byte").  0; -1 with why (a refusal); -2 when out
 * of memory.  `a` is always safe to ops_args_free. */
int ops_decode(const struct wire_msg *m, ops_args *a, char *why, size_t whylen);
void ops_args_free(ops_args *a);

/* Adds a request's arguments, given in its row's order, to a frame begun
 * with wire_begin: a number of 0 and a text not given are left out (they
 * read as absent), blobs are added from strs (OPS_STRS: C strings; OPS_VALS
 * and OPS_BLOBS: with blobs[i].len) or blobs.  0 or -1 (out of memory). */
int ops_encode(struct record_buf *b, unsigned op, const ops_val *in, size_t n);

#endif
