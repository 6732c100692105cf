/* ops.c - the table of the protocol's operations (see ops.h). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "wire.h"

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

#define NOARGS { 0 }
#define UNPAREN_(...) __VA_ARGS__
#define ROW_(code, name, flags, args, reply, action, handler) \
	{ OP_##code, name, flags, { UNPAREN_ args }, reply, action },

static const ops_def table[] = { OPS(ROW_) };

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

bool ops_is_local(unsigned op)
{
	const ops_def *d = ops_find(op);
	return d && (d->flags & OPS_LOCAL);
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

int ops_check(const struct wire_msg *m, char *why, size_t whylen)
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
