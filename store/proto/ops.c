/* ops.c - the table of the protocol's operations (see ops.h). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

#define ID RECORD_ID_MAX
#define TEXT STORE_TEXT_MAX
#define HOST_MAX 255     /* an engine's host name */
#define ACTION_MAX 64    /* an import's action: import, save */
#define EVENTS_MAX 255   /* a hook's comma list of events */
#define NAME_MAX_ 79     /* a respondent: a user or @group name */
#define CHANGE_SYNC (OPS_CHANGE | OPS_SYNC)

#define U(slot, name, max) { OPS_U, slot, name, max, 0 }
#define S(slot, name, max) { OPS_S, slot, name, max, 0 }
#define BLOBS(name, max, count) { OPS_BLOBS, 0, name, max, count }
#define EXEC S(0, "the execution id", ID)
#define TASK S(1, "the task id", ID)

static const ops_def table[] = {
	{ OP_HELLO, "hello", 0, { U(0, "the flags", 0), U(2, "the revision", 0) },
	  "u0 granted flags, u1 server pid, u2 1: an older server making way" },
	{ OP_GENERATION, "generation", 0, { { 0 } }, "u0 generation" },
	{ OP_COUNTS, "counts", 0, { { 0 } }, "u0.. counts per status, u7 generation" },
	{ OP_IMPORT, "import", CHANGE_SYNC | OPS_FRAMES,
	  { U(0, "replace", 1), U(1, "more frames", 1), S(0, "the action", ACTION_MAX),
	    BLOBS("an item", WIRE_FRAME_MAX, 0) },
	  "u0 count" },
	{ OP_GET, "get", 0, { EXEC }, "blob: the execution" },
	{ OP_GET_ITEM, "get-item", 0, { EXEC }, "blob: the item" },
	{ OP_DELETE, "delete", CHANGE_SYNC, { EXEC }, "" },
	{ OP_LIST, "list", 0,
	  { U(0, "the status", STORE_LIST_DUE + 1), U(1, "the limit", 0), U(2, "newer", 1), U(3, "with counts", 1),
	    S(0, "the cursor", sizeof(((store_cursor *)0)->key)) },
	  "blobs: u6 records, then the ids of those attached; s0 cursor, u0 done; with counts: u8.. counts, u7 generation" },
	{ OP_PAUSED, "paused", 0, { { 0 } }, "blobs: executions" },
	{ OP_EACH, "each", 0, { S(0, "the id to start after", ID), U(0, "the limit", 0) }, "blobs: items, u0 done" },
	{ OP_PAUSE, "pause", CHANGE_SYNC, { EXEC, TASK }, "" },
	{ OP_RESUME_WF, "resume-workflow", CHANGE_SYNC, { EXEC }, "" },
	{ OP_RESUME_TASK, "resume-task", CHANGE_SYNC | OPS_ANSWER, { EXEC, TASK, S(2, "the input value", TEXT) }, "" },
	{ OP_EVENTS, "events", 0, { EXEC, U(0, "before", 0), U(1, "the limit", 0) }, "blobs: events" },
	{ OP_VERIFY, "verify", 0, { { 0 } }, "blobs: problems, u0 count" },
	{ OP_CHECKPOINT, "checkpoint", CHANGE_SYNC, { { 0 } }, "" },
	{ OP_WAIT, "wait", 0, { U(0, "the generation", 0), U(1, "the timeout", 0) }, "u0 generation" },
	{ OP_SUBSCRIBE, "subscribe", 0, { { 0 } }, "u0 generation; then push frames" },
	{ OP_PUSH, "push", 0, { { 0 } }, "u0 generation, u1 all changed, blobs: ids" },
	{ OP_STATUS, "status", 0, { { 0 } },
	  "u0 pid, u1 uptime, u2 clients, u3 generation, u4 cache bytes, u5 cache used, u6 log file, u7 log offset, "
	  "u8 hooks run, u9 failed, u10 pending" },
	{ OP_STOP, "stop", CHANGE_SYNC, { { 0 } }, "" },
	{ OP_BACKUP, "backup", CHANGE_SYNC, { S(0, "the backup directory", PATH_MAX - 1) }, "" },
	{ OP_EXEC_START, "exec-start", CHANGE_SYNC,
	  { U(0, "the engine's pid", 0), S(1, "the engine's host", HOST_MAX), BLOBS("the definition", 0, 1) }, "" },
	{ OP_TASK_BEGIN, "task-begin", CHANGE_SYNC, { EXEC, TASK }, "" },
	{ OP_TASK_LOG, "task-log", CHANGE_SYNC, { EXEC, TASK, BLOBS("a log line", STORE_LOG_LINE_MAX, STORE_LOG_BATCH_MAX) },
	  "u0 the task's line count" },
	{ OP_TASK_COMPLETE, "task-complete", CHANGE_SYNC, { EXEC, TASK }, "" },
	{ OP_TASK_FAIL, "task-fail", CHANGE_SYNC, { EXEC, TASK, S(2, "the reason", TEXT) }, "" },
	{ OP_TASK_REQUEST, "task-request", CHANGE_SYNC,
	  { EXEC, TASK, S(2, "the prompt", TEXT), U(0, "the input type", 0), U(1, "required", 1), U(2, "has a default", 1),
	    BLOBS("the default", TEXT, 1), U(4, "on timeout", 0) },
	  "" },
	{ OP_EXEC_FINISH, "exec-finish", CHANGE_SYNC, { EXEC, U(0, "the status", 0) }, "" },
	{ OP_ATTACH, "attach", CHANGE_SYNC, { EXEC, U(0, "the engine's pid", 0), S(1, "the engine's host", HOST_MAX) }, "" },
	{ OP_EVENTS_AFTER, "events-after", 0, { EXEC, U(0, "after", 0), U(1, "the limit", 0) }, "blobs: events" },
	{ OP_TASK_LOGS, "task-logs", 0, { EXEC, TASK, U(0, "from", 0), U(1, "the limit", 0) },
	  "blobs: lines, u0 the line count" },
	{ OP_REJECT, "reject", CHANGE_SYNC | OPS_ANSWER, { EXEC, TASK, S(2, "the reason", TEXT) }, "" },
	{ OP_CANCEL, "cancel", CHANGE_SYNC, { EXEC, S(2, "the reason", TEXT) }, "" },
	{ OP_DEADLINE, "deadline", CHANGE_SYNC, { EXEC, TASK, U(0, "the seconds", 0), U(1, "on timeout", 0) }, "" },
	{ OP_RESPONDENTS, "respondents", CHANGE_SYNC,
	  { EXEC, TASK, U(0, "no self approval", 1), BLOBS("a respondent", NAME_MAX_, STORE_RESPONDENTS_MAX) }, "" },
	{ OP_NOTIFY_ADD, "notify-add", CHANGE_SYNC,
	  { S(0, "the hook's events", EVENTS_MAX), BLOBS("a hook's argument", STORE_HOOK_ARG_MAX, STORE_HOOK_ARGS_MAX) },
	  "u0 id" },
	{ OP_NOTIFY_LIST, "notify-list", 0, { { 0 } }, "blobs: id NUL on NUL argv..." },
	{ OP_NOTIFY_REMOVE, "notify-remove", CHANGE_SYNC, { U(0, "the hook id", 0) }, "" },
};

/* One row per operation, in code order: the table is the protocol. */
_Static_assert(sizeof table / sizeof table[0] == OP_COUNT_ - OP_HELLO, "a row for every operation");

const ops_def *ops_find(unsigned op)
{
	if (op < OP_HELLO || op >= OP_COUNT_)
		return NULL;
	const ops_def *d = &table[op - OP_HELLO];
	return d->op == op ? d : NULL;
}

const ops_def *ops_table(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}

bool ops_is_change(unsigned op)
{
	const ops_def *d = ops_find(op);
	return d && (d->flags & OPS_CHANGE);
}

bool ops_is_answer(unsigned op, bool names_task)
{
	const ops_def *d = ops_find(op);
	return d && (d->flags & OPS_ANSWER) && names_task;
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t ops_fingerprint(void)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t r = 0; r < sizeof table / sizeof table[0]; r++) {
		const ops_def *d = &table[r];
		h = fnv(fnv(h, d->op), d->flags);
		for (size_t i = 0; i < OPS_ARGS && d->args[i].kind != OPS_NONE; i++)
			h = fnv(fnv(fnv(fnv(h, d->args[i].kind), d->args[i].slot), d->args[i].max), d->args[i].max_count);
	}
	return h;
}

static int over(const char *name, uint64_t len, uint64_t max, const char *unit, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s is %llu%s: at most %llu", name, (unsigned long long)len, unit,
		 (unsigned long long)max);
	return -1;
}

int ops_check(const wire_msg *m, char *why, size_t whylen)
{
	const ops_def *d = ops_find(m->op);
	if (!d) {
		snprintf(why, whylen, "an unknown operation (%u)", m->op);
		return -1;
	}
	if ((d->flags & OPS_CHANGE) && m->has_s[OPS_ACTOR_SLOT] && m->s[OPS_ACTOR_SLOT].len > OPS_ACTOR_MAX)
		return over("the actor", m->s[OPS_ACTOR_SLOT].len, OPS_ACTOR_MAX, " bytes", why, whylen);
	for (size_t i = 0; i < OPS_ARGS && d->args[i].kind != OPS_NONE; i++) {
		const ops_arg *a = &d->args[i];
		if (a->kind == OPS_U && a->max && m->u[a->slot] > a->max)
			return over(a->name, m->u[a->slot], a->max, "", why, whylen);
		if (a->kind == OPS_S && a->max && m->has_s[a->slot] && m->s[a->slot].len > a->max)
			return over(a->name, m->s[a->slot].len, a->max, " bytes", why, whylen);
		if (a->kind != OPS_BLOBS)
			continue;
		if (a->max_count && m->n_blobs > a->max_count) {
			snprintf(why, whylen, "%s: %zu of them, at most %zu", a->name, m->n_blobs, a->max_count);
			return -1;
		}
		for (size_t k = 0; a->max && k < m->n_blobs; k++)
			if (m->blobs[k].len > a->max)
				return over(a->name, m->blobs[k].len, a->max, " bytes", why, whylen);
	}
	return 0;
}
