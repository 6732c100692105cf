/* test_record.c - the record encoding: round trips, evolution, bad bytes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keys.h"
#include "record.h"
#include "record_int.h"
#include "store.h"

static void make_task(record_task *t)
{
	memset(t, 0, sizeof *t);
	t->execution_id = record_strdup("exec-1");
	t->task_id = record_strdup("task1");
	static const char name[] = "evil\x1b[2J\0name\xff";
	record_text_set(&t->task_name, name, sizeof name - 1);
	t->status = TASK_WAITING;
	t->logs = calloc(2, sizeof *t->logs);
	record_text_set(&t->logs[0], "line one", 8);
	record_text_set(&t->logs[1], "\x07\x1b]0;title\x07", 11);
	t->n_logs = 2;
	t->start_timestamp = record_strdup("2024-12-19T10:00:00Z");
	t->end_timestamp = record_strdup("");
	t->has_input = true;
	record_text_set(&t->input_prompt, "How many replicas?", 18);
	t->input_type = INPUT_NUMBER;
	t->has_input_default = true;
	record_text_set(&t->input_default, "3", 1);
	t->input_required = true;
}

static void task_round_trip_keeps_every_byte(void **state)
{
	(void)state;
	record_task t, u;
	record_buf b = { 0 };
	char why[128];
	make_task(&t);
	assert_int_equal(record_encode_task(&t, &b), 0);
	assert_int_equal(record_decode_task(b.data, b.len, &u, why, sizeof why), 0);
	assert_int_equal(u.task_name.len, t.task_name.len);
	assert_memory_equal(u.task_name.s, t.task_name.s, t.task_name.len);
	assert_int_equal(u.n_logs, 2);
	assert_memory_equal(u.logs[1].s, "\x07\x1b]0;title\x07", 11);
	assert_int_equal(u.status, TASK_WAITING);
	assert_true(u.has_input);
	assert_int_equal(u.input_type, INPUT_NUMBER);
	assert_true(u.has_input_default);
	assert_string_equal(u.input_default.s, "3");
	assert_true(u.input_required);
	assert_false(u.has_input_value);
	assert_string_equal(u.end_timestamp, "");
	record_task_free(&t);
	record_task_free(&u);
	record_buf_free(&b);
}

static void make_exec(record_exec *e)
{
	memset(e, 0, sizeof *e);
	e->id = record_strdup("test-waiting");
	record_text_set(&e->workflow_name, "Test Waiting Workflow", 21);
	e->start_timestamp = record_strdup("2024-12-19T10:00:00Z");
	e->status = EXEC_WAITING;
	e->task_ids = calloc(1, sizeof *e->task_ids);
	e->task_ids[0] = record_strdup("task1");
	e->n_task_ids = 1;
	e->is_paused = true;
	e->paused_task_id = record_strdup("task1");
}

static void legacy_record_loads_with_pause_defaults(void **state)
{
	(void)state;
	record_exec e, u;
	record_buf b = { 0 };
	char why[128];
	make_exec(&e);
	assert_int_equal(rec_encode_exec_layout(&e, &b, 1), 0);
	assert_int_equal(record_decode_exec(b.data, b.len, &u, why, sizeof why), 0);
	assert_string_equal(u.id, "test-waiting");
	assert_false(u.is_paused);
	assert_null(u.paused_task_id);
	assert_null(u.end_timestamp);
	assert_int_equal(u.n_task_ids, 1);
	record_exec_free(&e);
	record_exec_free(&u);
	record_buf_free(&b);
}

static void unknown_fields_survive_a_rewrite(void **state)
{
	(void)state;
	record_exec e, u, w;
	record_buf b = { 0 }, b2 = { 0 };
	char why[128];
	make_exec(&e);
	assert_int_equal(record_encode_exec(&e, &b), 0);
	/* a newer version appends field 40 (bytes "future") and field 41 (varint 7) */
	static const unsigned char extra[] = { 40 << 1 | 1, 6, 'f', 'u', 't', 'u', 'r', 'e', 41 << 1, 7 };
	b.data = realloc(b.data, b.len + sizeof extra);
	memcpy(b.data + b.len, extra, sizeof extra);
	b.len += sizeof extra;
	assert_int_equal(record_decode_exec(b.data, b.len, &u, why, sizeof why), 0);
	assert_int_equal(u.unknown.len, sizeof extra);
	/* this version changes a field it knows and writes the record back */
	u.is_paused = false;
	assert_int_equal(record_encode_exec(&u, &b2), 0);
	assert_non_null(memmem(b2.data, b2.len, extra, sizeof extra));
	assert_int_equal(record_decode_exec(b2.data, b2.len, &w, why, sizeof why), 0);
	assert_false(w.is_paused);
	assert_int_equal(w.unknown.len, sizeof extra);
	record_exec_free(&e);
	record_exec_free(&u);
	record_exec_free(&w);
	record_buf_free(&b);
	record_buf_free(&b2);
}

static void damaged_records_are_refused_not_crashed_on(void **state)
{
	(void)state;
	record_exec e, u;
	record_buf b = { 0 };
	char why[128];
	make_exec(&e);
	assert_int_equal(record_encode_exec(&e, &b), 0);
	/* every truncation is either a valid shorter record or a clean error */
	for (size_t n = 0; n < b.len; n++) {
		if (record_decode_exec(b.data, n, &u, why, sizeof why) == 0)
			record_exec_free(&u);
		else
			assert_true(why[0] != '\0');
	}
	assert_int_equal(record_decode_exec("XYZ", 3, &u, why, sizeof why), -1);
	assert_string_equal(why, "not an encoded execution record");
	/* a task record is not an execution */
	record_task t;
	record_buf tb = { 0 };
	make_task(&t);
	record_encode_task(&t, &tb);
	assert_int_equal(record_decode_exec(tb.data, tb.len, &u, why, sizeof why), -1);
	/* a status name this version does not know */
	unsigned char bad[] = { 'S', 'E', 2, 1 << 1 | 1, 1, 'x', 3 << 1 | 1, 1, '1', 5 << 1 | 1, 3, 'o', 'd', 'd' };
	assert_int_equal(record_decode_exec(bad, sizeof bad, &u, why, sizeof why), -1);
	assert_non_null(strstr(why, "unknown name 'odd'"));
	record_task_free(&t);
	record_buf_free(&tb);
	record_exec_free(&e);
	record_buf_free(&b);
}

static void ids_are_printable_utf8_of_1_to_128_bytes(void **state)
{
	(void)state;
	char long_id[130];
	memset(long_id, 'a', 129);
	long_id[129] = '\0';
	assert_true(record_id_valid("test-waiting"));
	assert_true(record_id_valid("déploiement-é"));
	assert_false(record_id_valid(""));
	assert_false(record_id_valid(long_id));
	long_id[128] = '\0';
	assert_true(record_id_valid(long_id));
	assert_false(record_id_valid("bad\x1bid"));
	assert_false(record_id_valid("tab\tid"));
	assert_false(record_id_valid("bad\xff"));
	assert_false(record_id_valid("\xc3"));       /* truncated sequence */
	assert_false(record_id_valid("\xc0\xaf"));   /* overlong */
	assert_false(record_id_valid("\xc2\x9b"));   /* C1 control CSI */
}

static void timestamps_follow_rfc3339(void **state)
{
	(void)state;
	int64_t a, b;
	assert_true(record_timestamp_parse("2024-12-19T10:00:00Z", &a));
	assert_true(record_timestamp_parse("2024-12-19T11:00:00+01:00", &b));
	assert_true(a == b);
	assert_true(a == INT64_C(1734602400) * 1000000);
	assert_true(record_timestamp_parse("2024-12-19T10:00:00.5Z", &b));
	assert_true(b == a + 500000);
	assert_false(record_timestamp_parse("2024-12-19 10:00:00", &a));
	assert_false(record_timestamp_parse("2024-02-30T10:00:00Z", &a));
	assert_false(record_timestamp_parse("2024-12-19T25:00:00Z", &a));
	assert_false(record_timestamp_parse("", &a));
	assert_false(record_timestamp_parse("yesterday", &a));
	assert_true(record_timestamp_parse("2024-02-29T00:00:00Z", &a));
	assert_false(record_timestamp_parse("2023-02-29T00:00:00Z", &a));
	/* cut-off offsets (found by the fuzzer: read past the end) */
	assert_false(record_timestamp_parse("2024-12-19T10:00:00+0", &a));
	assert_false(record_timestamp_parse("2024-12-19T10:00:00+01", &a));
	assert_false(record_timestamp_parse("2024-12-19T10:00:00+01:0", &a));
	assert_false(record_timestamp_parse("2024-12-19T10:00:00+01:000", &a));
}

/* The deadline index's key, built and read by one pair of functions: ids
 * at their bound fit, the earliest deadline sorts first, and a key that is
 * not one is refused, not misread. */
static void the_deadline_key_round_trips_at_its_bounds(void **state)
{
	(void)state;
	char e[RECORD_ID_MAX + 2], t[RECORD_ID_MAX + 2];
	memset(e, 'e', RECORD_ID_MAX);
	e[RECORD_ID_MAX] = '\0';
	memset(t, 't', RECORD_ID_MAX);
	t[RECORD_ID_MAX] = '\0';
	unsigned char k[KEY_DEADLINE_MAX], k2[KEY_DEADLINE_MAX];
	size_t n = key_deadline(k, sizeof k, 1733500000000000, e, t);
	assert_int_equal(n, KEY_DEADLINE_MAX);
	char ge[RECORD_ID_MAX + 1], gt[RECORD_ID_MAX + 1];
	int64_t us;
	assert_int_equal(key_deadline_parse(k, n, &us, ge, gt), 0);
	assert_true(us == 1733500000000000);
	assert_string_equal(ge, e);
	assert_string_equal(gt, t);
	/* earlier first, byte for byte */
	size_t n2 = key_deadline(k2, sizeof k2, 1733400000000000, "z", "z");
	assert_true(memcmp(k2, k, 8) < 0 && n2 == 8 + 3);
	/* one byte over an id: the key is not built, nor read */
	e[RECORD_ID_MAX] = 'e';
	e[RECORD_ID_MAX + 1] = '\0';
	unsigned char big[KEY_DEADLINE_MAX + 8];
	assert_int_equal(key_deadline(k, sizeof k, 1, e, t), 0);
	size_t nb = key_deadline(big, sizeof big, 1, e, t);
	assert_int_equal(nb, KEY_DEADLINE_MAX + 1);
	assert_int_equal(key_deadline_parse(big, nb, &us, ge, gt), -2);
	/* no NUL between the ids, too short, a time before the epoch */
	memset(big, 'x', 20);
	assert_int_equal(key_deadline_parse(big, 20, &us, ge, gt), -1);
	assert_int_equal(key_deadline_parse(big, 8, &us, ge, gt), -1);
	assert_int_equal(key_deadline(k, sizeof k, -1, "a", "b"), 0);
	/* the task key inside it reads alike */
	assert_int_equal(key_task_parse("a\0b", 3, ge, gt), 0);
	assert_string_equal(ge, "a");
	assert_string_equal(gt, "b");
}

/* The index of events by execution: the id, a NUL, the sequence; an id
 * at RECORD_ID_MAX fits KEY_EXEC_EVENT_MAX, and a key never overflows cap. */
static void the_event_index_key_fits_its_bound(void **state)
{
	(void)state;
	char id[RECORD_ID_MAX + 2];
	memset(id, 'e', RECORD_ID_MAX);
	id[RECORD_ID_MAX] = '\0';
	unsigned char k[KEY_EXEC_EVENT_MAX];
	assert_int_equal(key_exec_event(k, sizeof k, id, 42), KEY_EXEC_EVENT_MAX);
	assert_int_equal(k[RECORD_ID_MAX], '\0');
	assert_int_equal(key_get_u64(k + RECORD_ID_MAX + 1), 42);
	id[RECORD_ID_MAX] = 'e';
	id[RECORD_ID_MAX + 1] = '\0';
	assert_int_equal(key_exec_event(k, sizeof k, id, 42), 0);
	assert_int_equal(key_exec_event(k, sizeof k, "a", 1), 10);
	assert_memory_equal(k, "a\0\0\0\0\0\0\0\0\1", 10);
}

/* The model's rules, with no store: which action moves a task from which
 * status to which, and when a waiting task still needs an answer. */
static void the_rules_say_which_moves_a_task_may_make(void **state)
{
	(void)state;
	task_status to;
	assert_int_equal(store_task_move("begin", TASK_PENDING, &to), 0);
	assert_int_equal(to, TASK_IN_PROGRESS);
	assert_int_equal(store_task_move("begin", TASK_IN_PROGRESS, &to), -1);
	assert_int_equal(store_task_move("request-input", TASK_IN_PROGRESS, &to), 0);
	assert_int_equal(to, TASK_WAITING);
	assert_int_equal(store_task_move("pause", TASK_PENDING, &to), 0);
	assert_int_equal(store_task_move("pause", TASK_WAITING, &to), -1);
	assert_int_equal(store_task_move("reject", TASK_WAITING, &to), 0);
	assert_int_equal(to, TASK_FAILED);
	assert_int_equal(store_task_move("complete", TASK_COMPLETE, &to), -1); /* an ended task moves no more */
	assert_int_equal(store_task_move("cancel", TASK_FAILED, &to), -1);
	assert_int_equal(store_task_move("no-such-action", TASK_PENDING, &to), -1);
	record_task t;
	memset(&t, 0, sizeof t);
	t.status = TASK_WAITING;
	t.has_input = t.input_required = true;
	assert_true(store_task_needs_answer(&t));
	t.has_input_default = true;
	assert_false(store_task_needs_answer(&t)); /* its default answers it */
	t.has_input_default = false;
	t.input_required = false;
	assert_false(store_task_needs_answer(&t));
	t.input_required = true;
	t.status = TASK_IN_PROGRESS;
	assert_false(store_task_needs_answer(&t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_round_trip_keeps_every_byte),
		cmocka_unit_test(legacy_record_loads_with_pause_defaults),
		cmocka_unit_test(unknown_fields_survive_a_rewrite),
		cmocka_unit_test(damaged_records_are_refused_not_crashed_on),
		cmocka_unit_test(ids_are_printable_utf8_of_1_to_128_bytes),
		cmocka_unit_test(timestamps_follow_rfc3339),
		cmocka_unit_test(the_deadline_key_round_trips_at_its_bounds),
		cmocka_unit_test(the_event_index_key_fits_its_bound),
		cmocka_unit_test(the_rules_say_which_moves_a_task_may_make),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
