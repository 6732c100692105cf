/* test_ops.c - the protocol's table of operations: for every row, a request
 * with each argument at its bound goes through a frame whole and passes the
 * checks, and one byte (or one unit, or one blob) over is refused naming the
 * argument.  No server: the frames are built and decoded here. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ops.h"
#include "wire.h"

/* A request of the row with every argument at its bound, but for argument
 * `over` (-1: none), one past it; encoded, finished and decoded into m. */
static void build(const ops_def *d, int over, record_buf *b, unsigned char *text, wire_msg *m)
{
	assert_int_equal(wire_begin(b, d->op), 0);
	for (int i = 0; i < OPS_ARGS && d->args[i].kind != OPS_NONE; i++) {
		const ops_arg *a = &d->args[i];
		uint64_t extra = i == over ? 1 : 0;
		switch (a->kind) {
		case OPS_U:
			assert_int_equal(wire_u(b, (int)a->slot, (a->max ? a->max : UINT64_MAX - 1) + extra), 0);
			break;
		case OPS_S:
		case OPS_B:
			assert_int_equal(wire_s(b, (int)a->slot, text, (size_t)((a->max ? a->max : 1000) + extra)), 0);
			break;
		case OPS_BLOBS:
		case OPS_STRS:
		case OPS_VALS: {
			/* as many as allowed (a few when any number is), each as long as allowed
			 * (a small one when the bound is the frame's) */
			size_t count = a->max_count ? a->max_count : 3, len = a->max && a->max < (1u << 20) ? a->max : 100;
			if (i == over && a->max_count && a->max && a->max < (1u << 20))
				len++; /* one blob a byte over... */
			for (size_t k = 0; k < count; k++)
				assert_int_equal(wire_blob_add(b, text, len), 0);
			if (i == over && a->max_count)
				assert_int_equal(wire_blob_add(b, text, 1), 0); /* ...and one blob too many */
			break;
		}
		default:
			break;
		}
	}
	assert_int_equal(wire_finish(b), 0);
	char why[200] = "";
	assert_int_equal(wire_decode(b->data + 4, b->len - 4, m, why, sizeof why), 0);
}

static void every_operation_round_trips_at_its_bounds_and_refuses_past_them(void **state)
{
	(void)state;
	size_t n;
	const ops_def *t = ops_table(&n);
	unsigned char *text = malloc(STORE_LOG_LINE_MAX + 2);
	memset(text, 'x', STORE_LOG_LINE_MAX + 2);
	size_t bounded = 0;
	for (size_t r = 0; r < n; r++) {
		const ops_def *d = &t[r];
		assert_ptr_equal(ops_find(d->op), d);
		assert_non_null(d->name);
		record_buf b = { 0 };
		wire_msg m;
		char why[200] = "";
		/* at the bound: whole, and accepted */
		build(d, -1, &b, text, &m);
		assert_int_equal(m.op, d->op);
		if (ops_check(&m, why, sizeof why) != 0)
			fail_msg("%s at its bounds: %s", d->name, why);
		for (int i = 0; i < OPS_ARGS && d->args[i].kind != OPS_NONE; i++) {
			const ops_arg *a = &d->args[i];
			if (a->kind == OPS_S || a->kind == OPS_B) {
				assert_true(m.has_s[a->slot]);
				assert_int_equal(m.s[a->slot].len, a->max ? a->max : 1000);
			} else if (a->kind == OPS_U && a->max) {
				assert_int_equal(m.u[a->slot], a->max);
			}
		}
		wire_msg_free(&m);
		/* one over: refused, naming the argument */
		for (int i = 0; i < OPS_ARGS && d->args[i].kind != OPS_NONE; i++) {
			const ops_arg *a = &d->args[i];
			if (!a->max && !a->max_count)
				continue;
			if (a->kind != OPS_U && a->kind != OPS_S && a->kind != OPS_B && !a->max_count && a->max >= (1u << 20))
				continue; /* only the frame bounds them */
			build(d, i, &b, text, &m);
			why[0] = '\0';
			if (ops_check(&m, why, sizeof why) != -1)
				fail_msg("%s: %s one past its bound was accepted", d->name, a->name);
			if (!strstr(why, a->name))
				fail_msg("%s: the refusal '%s' does not name %s", d->name, why, a->name);
			wire_msg_free(&m);
			bounded++;
		}
		record_buf_free(&b);
	}
	free(text);
	assert_true(bounded > 40);
}

/* The rules that were exceptions in the client and the server: what
 * changes the store, and what one who may only read may still send. */
static void the_read_only_and_answer_rules_come_from_the_table(void **state)
{
	(void)state;
	assert_true(ops_is_change(OP_IMPORT));
	assert_true(ops_is_change(OP_REJECT));
	assert_true(ops_is_change(OP_NOTIFY_REMOVE));
	assert_false(ops_is_change(OP_LIST));
	assert_false(ops_is_change(OP_STATUS));
	assert_true(ops_is_answer(OP_RESUME_TASK, true));
	assert_true(ops_is_answer(OP_REJECT, true));
	assert_false(ops_is_answer(OP_REJECT, false)); /* a whole execution: not an answer */
	assert_false(ops_is_answer(OP_CANCEL, true));
	assert_false(ops_is_answer(OP_PAUSE, true));
	assert_null(ops_find(0));
	assert_null(ops_find(OP_COUNT_));
	assert_null(ops_find(OP_REPLY));
}

/* The audit trail's actions: every operation that records an event names
 * an action record.c knows (so record.h's list cannot go stale), and only
 * a change records one. */
static void every_recorded_action_is_known_to_the_records(void **state)
{
	(void)state;
	size_t n, named = 0;
	const ops_def *t = ops_table(&n);
	for (size_t r = 0; r < n; r++) {
		if (!t[r].action)
			continue;
		if (!(t[r].flags & OPS_CHANGE))
			fail_msg("%s records the action '%s' but does not change the store", t[r].name, t[r].action);
		if (!record_event_action_known(t[r].action))
			fail_msg("%s records the action '%s', which record.c's event_actions lacks", t[r].name,
				 t[r].action);
		named++;
	}
	assert_true(named >= 18);
	assert_false(record_event_action_known("resume"));
	assert_false(record_event_action_known(NULL));
	assert_true(record_event_action_known("timeout")); /* the timer's, no operation's */
}

/* Encodes a request of the row from its arguments in row order, and decodes
 * what a handler would read. */
static void encode_decode(const ops_def *d, const ops_val *in, size_t n, record_buf *b, wire_msg *m, ops_args *a)
{
	char why[200] = "";
	assert_int_equal(wire_begin(b, d->op), 0);
	assert_int_equal(ops_encode(b, d->op, in, n), 0);
	assert_int_equal(wire_finish(b), 0);
	assert_int_equal(wire_decode(b->data + 4, b->len - 4, m, why, sizeof why), 0);
	if (ops_decode(m, a, why, sizeof why) != 0)
		fail_msg("%s: %s", d->name, why);
}

/* What a library call encodes from its arguments in its row's order
 * (ops_encode), a handler reads back by the same row (ops_decode), for
 * every operation: numbers, texts NUL-terminated with their length or
 * absent, and blobs. */
static void every_operation_decodes_what_its_encoder_wrote(void **state)
{
	(void)state;
	size_t rows;
	const ops_def *t = ops_table(&rows);
	static const char *const strs[] = { "a", "bb", "ccc" };
	for (size_t r = 0; r < rows; r++) {
		const ops_def *d = &t[r];
		for (int absent = 0; absent < 2; absent++) {
			ops_val in[OPS_ARGS];
			char texts[OPS_ARGS][16];
			size_t n = 0;
			memset(in, 0, sizeof in);
			for (; n < OPS_ARGS && d->args[n].kind != OPS_NONE; n++) {
				const ops_arg *a = &d->args[n];
				snprintf(texts[n], sizeof texts[n], "text %zu", n);
				if (a->kind == OPS_U)
					in[n].u = a->max ? a->max : 1000 + n;
				else if ((a->kind == OPS_S || a->kind == OPS_B) && !absent) {
					in[n].s = texts[n];
					in[n].len = strlen(texts[n]);
				} else if (a->kind != OPS_S && a->kind != OPS_B) {
					in[n].strs = strs;
					in[n].n = absent ? 0 : a->max_count && a->max_count < 3 ? a->max_count : 3;
				}
			}
			record_buf b = { 0 };
			wire_msg m;
			ops_args args;
			encode_decode(d, in, n, &b, &m, &args);
			for (size_t i = 0; i < n; i++) {
				const ops_arg *a = &d->args[i];
				const ops_val *v = &args.v[i];
				if (a->kind == OPS_U) {
					assert_int_equal(v->u, in[i].u);
				} else if (a->kind == OPS_S || a->kind == OPS_B) {
					assert_int_equal(v->has, !absent);
					assert_string_equal(v->s, absent ? "" : texts[i]);
					assert_int_equal(v->len, strlen(v->s));
				} else {
					assert_int_equal(v->n, in[i].n);
					for (size_t k = 0; k < v->n; k++) {
						assert_int_equal(v->blobs[k].len, strlen(strs[k]));
						if (a->kind != OPS_BLOBS)
							assert_string_equal(v->strs[k], strs[k]);
					}
				}
			}
			ops_args_free(&args);
			wire_msg_free(&m);
			record_buf_free(&b);
		}
	}
}

/* A NUL byte inside a text is refused naming the argument (the store
 * would see a shorter text than was sent); bytes keep every byte. */
static void a_nul_byte_is_refused_in_a_text_by_its_name_and_kept_in_bytes(void **state)
{
	(void)state;
	static const char nul[] = "a\0b";
	ops_val in[OPS_ARGS];
	record_buf b = { 0 };
	wire_msg m;
	ops_args args;
	char why[200] = "";

	memset(in, 0, sizeof in);
	in[ARG_RESUME_TASK_exec].s = "e1";
	in[ARG_RESUME_TASK_exec].len = 2;
	in[ARG_RESUME_TASK_value].s = nul;
	in[ARG_RESUME_TASK_value].len = 3;
	encode_decode(ops_find(OP_RESUME_TASK), in, OPS_ARGS, &b, &m, &args);
	assert_int_equal(args.v[ARG_RESUME_TASK_value].len, 3);
	assert_memory_equal(args.v[ARG_RESUME_TASK_value].s, nul, 4);
	assert_string_equal(args.v[ARG_RESUME_TASK_exec].s, "e1");
	assert_false(args.v[ARG_RESUME_TASK_task].has);
	ops_args_free(&args);
	wire_msg_free(&m);

	memset(in, 0, sizeof in);
	in[ARG_TASK_FAIL_reason].s = nul;
	in[ARG_TASK_FAIL_reason].len = 3;
	assert_int_equal(wire_begin(&b, OP_TASK_FAIL), 0);
	assert_int_equal(ops_encode(&b, OP_TASK_FAIL, in, OPS_ARGS), 0);
	assert_int_equal(wire_finish(&b), 0);
	assert_int_equal(wire_decode(b.data + 4, b.len - 4, &m, why, sizeof why), 0);
	assert_int_equal(ops_decode(&m, &args, why, sizeof why), -1);
	assert_string_equal(why, "the reason holds a NUL byte");
	ops_args_free(&args);
	wire_msg_free(&m);

	assert_int_equal(wire_begin(&b, OP_NOTIFY_ADD), 0);
	assert_int_equal(wire_blob_add(&b, "true", 4), 0);
	assert_int_equal(wire_blob_add(&b, nul, 3), 0);
	assert_int_equal(wire_finish(&b), 0);
	assert_int_equal(wire_decode(b.data + 4, b.len - 4, &m, why, sizeof why), 0);
	assert_int_equal(ops_decode(&m, &args, why, sizeof why), -1);
	assert_string_equal(why, "a hook's argument holds a NUL byte");
	ops_args_free(&args);
	wire_msg_free(&m);
	record_buf_free(&b);
}

/* The numbers past u7 travel too: a reply's counts never share a slot. */
static void numbers_past_the_eighth_slot_travel(void **state)
{
	(void)state;
	record_buf b = { 0 };
	assert_int_equal(wire_begin(&b, OP_REPLY), 0);
	for (int i = 0; i < WIRE_U; i++)
		assert_int_equal(wire_u(&b, i, 1000 + (uint64_t)i), 0);
	assert_int_equal(wire_finish(&b), 0);
	wire_msg m;
	char why[100];
	assert_int_equal(wire_decode(b.data + 4, b.len - 4, &m, why, sizeof why), 0);
	for (int i = 0; i < WIRE_U; i++)
		assert_int_equal(m.u[i], 1000 + (uint64_t)i);
	wire_msg_free(&m);
	record_buf_free(&b);
	assert_true(WIRE_LIST_COUNTS + EXEC_STATUS_COUNT <= WIRE_U);
	assert_true(WIRE_LIST_GEN < WIRE_LIST_COUNTS);
}

/* What the table says travels is recorded with each protocol revision
 * (WIRE_REVISIONS in ops.h): a row added or changed fails here, with the
 * line to add, until the revision moves (so an older server makes way for
 * the new build).  The record only grows: revisions ascend, and no two
 * lines share a fingerprint (a bump that records the old table again). */
typedef struct known_rev {
	int rev;
	uint64_t fingerprint;
} known_rev;

#define KNOWN_(rev, fingerprint) { rev, fingerprint },
static const known_rev known[] = { WIRE_REVISIONS(KNOWN_) };

static void the_table_changes_only_with_the_protocol_revision(void **state)
{
	(void)state;
	size_t n = sizeof known / sizeof known[0];
	for (size_t i = 1; i < n; i++) {
		if (known[i].rev != known[i - 1].rev + 1)
			fail_msg("WIRE_REVISIONS in ops.h: revision %d follows %d: each line's revision is the one "
				 "before it plus one", known[i].rev, known[i - 1].rev);
		for (size_t k = 0; k < i; k++)
			if (known[k].fingerprint == known[i].fingerprint)
				fail_msg("WIRE_REVISIONS in ops.h: revisions %d and %d record the same table 0x%016llx",
					 known[k].rev, known[i].rev, (unsigned long long)known[i].fingerprint);
	}
	assert_int_equal(WIRE_REVISION, known[n - 1].rev);
	uint64_t now = ops_fingerprint();
	if (now != known[n - 1].fingerprint)
		fail_msg("the operations' table (fingerprint 0x%016llx) is not the one of protocol revision %d "
			 "(0x%016llx): what travels changed, so add the line X(%d, 0x%016llxull) to WIRE_REVISIONS in "
			 "store/proto/ops.h",
			 (unsigned long long)now, WIRE_REVISION, (unsigned long long)known[n - 1].fingerprint,
			 WIRE_REVISION + 1, (unsigned long long)now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_operation_round_trips_at_its_bounds_and_refuses_past_them),
		cmocka_unit_test(the_read_only_and_answer_rules_come_from_the_table),
		cmocka_unit_test(every_recorded_action_is_known_to_the_records),
		cmocka_unit_test(every_operation_decodes_what_its_encoder_wrote),
		cmocka_unit_test(a_nul_byte_is_refused_in_a_text_by_its_name_and_kept_in_bytes),
		cmocka_unit_test(numbers_past_the_eighth_slot_travel),
		cmocka_unit_test(the_table_changes_only_with_the_protocol_revision),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
