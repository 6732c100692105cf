/* ops.c - the table of the protocol's operations (see ops.h). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A row's arguments, as ops_def holds them. */
#define ARG_(x, a) ARG2_(OPS_UNPAREN_ a)
#define ARG2_(...) ARG3_(__VA_ARGS__)
#define ARG3_(kind, slot, id, name, max, count) { kind, slot, name, max, count, #id },
#define ROW_(code, name, flags, args, reply, action, handler) \
	{ OP_##code, name, flags, { OPS_EACH_(ARG_, _, OPS_UNPAREN_ args) }, reply, action },

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
		h = fnv(fnv(h, d->op), d->flags & ~(unsigned)OPS_HEAVY); /* where it runs does not travel */
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
		if ((a->kind == OPS_S || a->kind == OPS_B) && a->max && m->has_s[a->slot] && m->s[a->slot].len > a->max)
			return over(a->name, m->s[a->slot].len, a->max, " bytes", why, whylen);
		if (a->kind != OPS_BLOBS && a->kind != OPS_STRS && a->kind != OPS_VALS)
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

static bool is_blobs(ops_kind k)
{
	return k == OPS_BLOBS || k == OPS_STRS || k == OPS_VALS;
}

int ops_decode(const wire_msg *m, ops_args *a, char *why, size_t whylen)
{
	memset(a, 0, sizeof *a);
	if (ops_check(m, why, whylen) < 0)
		return -1;
	const ops_def *d = ops_find(m->op);
	/* one block holds every copy: the blobs' pointers, then the texts */
	size_t ptrs = 0, bytes = 0;
	for (size_t i = 0; i < OPS_ARGS && d->args[i].kind != OPS_NONE; i++) {
		const ops_arg *r = &d->args[i];
		if (r->kind == OPS_S || r->kind == OPS_B)
			bytes += m->s[r->slot].len + 1;
		else if (r->kind == OPS_STRS || r->kind == OPS_VALS) {
			ptrs += m->n_blobs;
			for (size_t k = 0; k < m->n_blobs; k++)
				bytes += m->blobs[k].len + 1;
		}
	}
	char **strs = NULL;
	char *text = NULL;
	if (ptrs + bytes) {
		if (!(a->mem = malloc(ptrs * sizeof(char *) + bytes)))
			return -2;
		strs = a->mem;
		text = (char *)(strs + ptrs);
	}
	for (size_t i = 0; i < OPS_ARGS && d->args[i].kind != OPS_NONE; i++) {
		const ops_arg *r = &d->args[i];
		ops_val *v = &a->v[i];
		if (r->kind == OPS_U) {
			v->u = m->u[r->slot];
			continue;
		}
		if (is_blobs(r->kind)) {
			v->blobs = m->blobs;
			v->n = m->n_blobs;
		}
		if (r->kind == OPS_BLOBS)
			continue;
		if (r->kind == OPS_STRS || r->kind == OPS_VALS) {
			v->strs = (const char *const *)strs;
			for (size_t k = 0; k < m->n_blobs; k++) {
				const wire_blob *b = &m->blobs[k];
				if (r->kind == OPS_STRS && b->len && memchr(b->p, '\0', b->len)) {
					snprintf(why, whylen, "%s holds a NUL byte", r->name);
					return -1;
				}
				if (b->len)
					memcpy(text, b->p, b->len);
				text[b->len] = '\0';
				*strs++ = text;
				text += b->len + 1;
			}
			continue;
		}
		const wire_blob *b = &m->s[r->slot];
		v->has = m->has_s[r->slot];
		v->len = v->has ? b->len : 0;
		if (r->kind == OPS_S && v->len && memchr(b->p, '\0', v->len)) {
			snprintf(why, whylen, "%s holds a NUL byte", r->name);
			return -1;
		}
		if (v->len)
			memcpy(text, b->p, v->len);
		v->s = v->has ? text : "";
		if (v->has) {
			text[v->len] = '\0';
			text += v->len + 1;
		}
	}
	return 0;
}

void ops_args_free(ops_args *a)
{
	free(a->mem);
	a->mem = NULL;
}

int ops_encode(record_buf *b, unsigned op, const ops_val *in, size_t n)
{
	const ops_def *d = ops_find(op);
	if (!d)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && i < OPS_ARGS && d->args[i].kind != OPS_NONE && !rc; i++) {
		const ops_arg *r = &d->args[i];
		const ops_val *v = &in[i];
		if (r->kind == OPS_U)
			rc = v->u ? wire_u(b, (int)r->slot, v->u) : 0;
		else if (r->kind == OPS_S || r->kind == OPS_B)
			rc = v->s ? wire_s(b, (int)r->slot, v->s, v->len) : 0;
		else
			for (size_t k = 0; k < v->n && !rc; k++)
				rc = v->blobs ? wire_blob_add(b, v->blobs[k].p, v->blobs[k].len)
					      : wire_blob_add(b, v->strs[k], strlen(v->strs[k]));
	}
	return rc;
}
