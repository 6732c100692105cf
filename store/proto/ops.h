/* ops.h - every operation of the protocol, defined once: its name and code,
 * its arguments (which field of the frame, what they mean, their bounds),
 * the shape of its reply, and what it may do (change the store, be sent by
 * a read-only user as an answer, need a durable flush before its answer).
 * The read-only and answer rules, the bounds checks and the protocol's
 * revision all come from this table.  Private to libseestore. */
#ifndef SEESTORE_OPS_H
#define SEESTORE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* What an operation may do. */
enum {
	OPS_CHANGE = 1 << 0, /* it changes the store: refused to a read-only connection, carries a request id */
	OPS_ANSWER = 1 << 1, /* naming a task (s1), a user who may only read may send it: the store checks the respondents */
	OPS_SYNC = 1 << 2,   /* its answer waits for the batch's flush (unless the client asked for no sync) */
	OPS_FRAMES = 1 << 3, /* it may take several frames, numbered */
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
} ops_def;

/* The actor a change names (s3), and its bound. */
#define OPS_ACTOR_SLOT 3
#define OPS_ACTOR_MAX 127

/* The row of an operation; NULL for a code no row has. */
const ops_def *ops_find(unsigned op);
/* The rows, in code order: *n of them. */
const ops_def *ops_table(size_t *n);
/* Whether a request of this operation changes the store. */
bool ops_is_change(unsigned op);
/* Whether a user who may only read may send it: an answer that names a task. */
bool ops_is_answer(unsigned op, bool names_task);
/* A fingerprint of what the table says travels (codes, flags, slots,
 * bounds; not the texts): tests/unit/test_ops.c holds it beside
 * WIRE_REVISION, so a table that changes without a new revision fails. */
uint64_t ops_fingerprint(void);
/* Checks a decoded request against its row: every argument within its
 * bound.  0, or -1 with why, which names the argument ("the input value is
 * 65537 bytes: at most 65536"). */
int ops_check(const wire_msg *m, char *why, size_t whylen);

#endif
