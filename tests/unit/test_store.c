/* test_store.c - libseestore in one process: every rule of pause and resume,
 * every error message, indexes, paging, upgrade, read-only and verify. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <cmocka.h>

#include "fixtures.h"
#include "forge.h"
#include "store.h"

typedef struct ctx {
	char *home;
	store *st;
} ctx;

static int setup(void **state)
{
	ctx *c = calloc(1, sizeof *c);
	c->home = fx_tmpdir();
	c->st = fx_open(c->home, 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	ctx *c = *state;
	store_close(c->st);
	fx_rmtree(c->home);
	free(c->home);
	free(c);
	return 0;
}

static const task_status RUN1[] = { TASK_IN_PROGRESS };
static const task_status WAIT1[] = { TASK_WAITING };
static const task_status MIX[] = { TASK_COMPLETE, TASK_IN_PROGRESS, TASK_PENDING };
static const task_status WAIT3[] = { TASK_WAITING, TASK_WAITING, TASK_WAITING };
static const task_status DONE2[] = { TASK_COMPLETE, TASK_COMPLETE };

/* An open dashboard's reads never undo its owner's stop: with
 * STORE_START_UNLESS_STOPPED a call that finds the server gone after
 * seectl server stop fails, and starts none (the stop would otherwise wait
 * for a server that a read started again); told to start one, it does. */
static void a_read_does_not_undo_a_stop_unless_told(void **state)
{
	ctx *c = *state;
	uint64_t counts[EXEC_STATUS_COUNT], gen;
	store_err err;
	store_set_autostart(c->st, STORE_START_UNLESS_STOPPED);
	assert_int_equal(store_counts(c->st, counts, &gen, &err), STORE_OK);
	bool was = false;
	assert_int_equal(store_server_stop(c->home, &was, &err), STORE_OK);
	assert_true(was);
	assert_true(store_server_stopped(c->home));
	assert_int_equal(store_counts(c->st, counts, &gen, &err), STORE_STORAGE);
	assert_non_null(strstr(err.msg, "is stopped"));
	assert_false(store_server_running(c->home));
	store_set_autostart(c->st, STORE_START_NEVER);
	assert_int_equal(store_counts(c->st, counts, &gen, &err), STORE_STORAGE);
	assert_false(store_server_running(c->home));
	/* the operator is back */
	store_set_autostart(c->st, STORE_START_ALWAYS);
	assert_int_equal(store_counts(c->st, counts, &gen, &err), STORE_OK);
	assert_true(store_server_running(c->home));
	assert_false(store_server_stopped(c->home));
	/* a server started since, by anyone: the handle uses it */
	store_set_autostart(c->st, STORE_START_UNLESS_STOPPED);
	assert_int_equal(store_counts(c->st, counts, &gen, &err), STORE_OK);
}

static void assert_verify_clean(store *st)
{
	fx_verified(st);
}

static void expect_error(store_code got, store_code want, const store_err *err, const char *msg)
{
	assert_int_equal(got, want);
	assert_string_equal(err->msg, msg);
}

/* ---- pause ---- */

static void pause_marks_task_and_execution_waiting(void **state)
{
	ctx *c = *state;
	store_err err;
	record_exec e;
	record_task t;
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 3, MIX);
	assert_int_equal(store_pause_task(c->st, "wf", "task2", &err), STORE_OK);
	assert_int_equal(store_get(c->st, "wf", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_WAITING);
	assert_true(e.is_paused);
	assert_string_equal(e.paused_task_id, "task2");
	record_exec_free(&e);
	fx_task(c->st, "wf", "task2", &t);
	assert_int_equal(t.status, TASK_WAITING);
	assert_string_equal(t.end_timestamp, "");
	record_task_free(&t);
	/* a pending task of a waiting execution can be paused too */
	assert_int_equal(store_pause_task(c->st, "wf", "task3", &err), STORE_OK);
	record_event *ev;
	size_t n;
	assert_int_equal(store_events(c->st, "wf", 0, 10, &ev, &n, &err), STORE_OK);
	assert_int_equal(n, 3); /* two pauses and the save */
	assert_string_equal(ev[0].action, "pause");
	assert_string_equal(ev[0].task_id, "task3");
	assert_string_equal(ev[0].status_before, "pending");
	assert_string_equal(ev[0].status_after, "waiting-for-input");
	assert_string_equal(ev[0].actor, "tester");
	record_event_array_free(ev, n);
	assert_verify_clean(c->st);
}

static void pause_errors_name_what_is_wrong(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 3, MIX);
	fx_save(c->st, "done", "2024-12-19T10:00:00Z", 2, DONE2);
	expect_error(store_pause_task(c->st, "nope", "task1", &err), STORE_NOT_FOUND, &err,
		     "execution 'nope' not found");
	expect_error(store_pause_task(c->st, "wf", "zz", &err), STORE_NOT_FOUND, &err,
		     "task 'zz' not found in execution 'wf'");
	expect_error(store_pause_task(c->st, "wf", "task1", &err), STORE_INVALID_STATE, &err,
		     "task 'task1' cannot be paused (status: complete)");
	expect_error(store_pause_task(c->st, "done", "task1", &err), STORE_INVALID_STATE, &err,
		     "execution 'done' cannot be paused (status: complete)");
	assert_int_equal(store_pause_task(c->st, "wf", "task2", &err), STORE_OK);
	expect_error(store_pause_task(c->st, "wf", "task2", &err), STORE_INVALID_STATE, &err,
		     "task 'task2' cannot be paused (status: waiting-for-input)");
	assert_verify_clean(c->st);
}

/* ---- resume workflow ---- */

static void resume_workflow_resumes_every_waiting_task(void **state)
{
	ctx *c = *state;
	store_err err;
	record_exec e;
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 3, WAIT3);
	assert_int_equal(store_resume_workflow(c->st, "wf", &err), STORE_OK);
	assert_int_equal(store_get(c->st, "wf", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_RUNNING);
	assert_false(e.is_paused);
	assert_null(e.paused_task_id);
	record_exec_free(&e);
	for (int i = 1; i <= 3; i++) {
		record_task t;
		char id[16];
		snprintf(id, sizeof id, "task%d", i);
		fx_task(c->st, "wf", id, &t);
		assert_int_equal(t.status, TASK_IN_PROGRESS);
		assert_string_equal(t.end_timestamp, "");
		record_task_free(&t);
	}
	assert_verify_clean(c->st);
}

static void resume_workflow_errors(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "run", "2024-12-19T10:00:00Z", 1, RUN1);
	expect_error(store_resume_workflow(c->st, "nope", &err), STORE_NOT_FOUND, &err, "execution 'nope' not found");
	expect_error(store_resume_workflow(c->st, "run", &err), STORE_INVALID_STATE, &err,
		     "execution 'run' is not waiting for input (status: running)");
	/* a record that claims to wait while no task does (only a broken writer makes one) */
	store_item it;
	record_buf b = { 0 };
	fx_item(&it, "odd", "2024-12-19T10:00:00Z", 1, RUN1);
	it.exec.status = EXEC_WAITING;
	it.exec.is_paused = true;
	record_encode_exec(&it.exec, &b);
	it.exec.status = EXEC_RUNNING;
	it.exec.is_paused = false;
	assert_int_equal(store_save(c->st, &it, false, &err), STORE_OK);
	assert_int_equal(forge_raw(c->st, "executions.db", "odd", 3, b.data, b.len, &err), STORE_OK);
	expect_error(store_resume_workflow(c->st, "odd", &err), STORE_INVALID_STATE, &err,
		     "no tasks waiting for input in execution 'odd'");
	record_buf_free(&b);
	store_item_free(&it);
}

/* ---- resume task ---- */

static void resume_last_waiting_task_resumes_the_execution(void **state)
{
	ctx *c = *state;
	store_err err;
	record_exec e;
	record_task t;
	fx_save(c->st, "test-waiting", "2024-12-19T10:00:00Z", 1, WAIT1);
	assert_int_equal(store_resume_task(c->st, "test-waiting", "task1", NULL, 0, &err), STORE_OK);
	assert_int_equal(store_get(c->st, "test-waiting", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_RUNNING);
	assert_false(e.is_paused);
	assert_null(e.paused_task_id);
	record_exec_free(&e);
	fx_task(c->st, "test-waiting", "task1", &t);
	assert_int_equal(t.status, TASK_IN_PROGRESS);
	assert_false(t.has_input_value);
	record_task_free(&t);
	expect_error(store_resume_task(c->st, "test-waiting", "task1", NULL, 0, &err), STORE_INVALID_STATE, &err,
		     "task 'task1' is not waiting for input (status: in-progress): someone acted first");
	assert_verify_clean(c->st);
}

static void paused_task_id_moves_to_the_first_task_still_waiting(void **state)
{
	ctx *c = *state;
	store_err err;
	record_exec e;
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 3, WAIT3);
	assert_int_equal(store_resume_task(c->st, "wf", "task1", NULL, 0, &err), STORE_OK);
	assert_int_equal(store_get(c->st, "wf", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_WAITING);
	assert_string_equal(e.paused_task_id, "task2");
	record_exec_free(&e);
	assert_int_equal(store_resume_task(c->st, "wf", "task3", NULL, 0, &err), STORE_OK);
	assert_int_equal(store_get(c->st, "wf", &e, &err), STORE_OK);
	assert_string_equal(e.paused_task_id, "task2");
	assert_true(e.is_paused);
	record_exec_free(&e);
	assert_verify_clean(c->st);
	assert_int_equal(store_resume_task(c->st, "wf", "task2", NULL, 0, &err), STORE_OK);
	assert_int_equal(store_get(c->st, "wf", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_RUNNING);
	assert_null(e.paused_task_id);
	record_exec_free(&e);
	assert_verify_clean(c->st);
}

static void save_with_input(store *st, const char *id, record_input_type type, bool required, const char *def)
{
	store_item it;
	store_err err;
	fx_item(&it, id, "2024-12-19T10:00:00Z", 1, WAIT1);
	record_task *t = &it.tasks[0];
	t->has_input = true;
	t->input_type = type;
	t->input_required = required;
	record_text_set(&t->input_prompt, "Approve?", 8);
	if (def) {
		t->has_input_default = true;
		record_text_set(&t->input_default, def, strlen(def));
	}
	assert_int_equal(store_save(st, &it, false, &err), STORE_OK);
	store_item_free(&it);
}

static void resume_task_checks_the_input_value(void **state)
{
	ctx *c = *state;
	store_err err;
	record_task t;
	save_with_input(c->st, "num", INPUT_NUMBER, true, NULL);
	save_with_input(c->st, "bool", INPUT_BOOLEAN, true, NULL);
	save_with_input(c->st, "def", INPUT_NUMBER, true, "3");
	save_with_input(c->st, "opt", INPUT_STRING, false, NULL);

	expect_error(store_resume_task(c->st, "num", "task1", NULL, 0, &err), STORE_INVALID_INPUT, &err,
		     "task 'task1' requires an input value: Approve?");
	expect_error(store_resume_task(c->st, "num", "task1", "", 0, &err), STORE_INVALID_INPUT, &err,
		     "task 'task1' requires an input value and it cannot be empty");
	expect_error(store_resume_task(c->st, "num", "task1", "many", 4, &err), STORE_INVALID_INPUT, &err,
		     "input value 'many' of task 'task1' is not a decimal number (such as 42, -1.5 or 2e3)");
	/* strict: a finite decimal, nothing around it */
	expect_error(store_resume_task(c->st, "num", "task1", " 8", 2, &err), STORE_INVALID_INPUT, &err,
		     "input value ' 8' of task 'task1' has spaces around it");
	expect_error(store_resume_task(c->st, "num", "task1", "0x10", 4, &err), STORE_INVALID_INPUT, &err,
		     "input value '0x10' of task 'task1' is not a decimal number (such as 42, -1.5 or 2e3)");
	expect_error(store_resume_task(c->st, "num", "task1", "1e999", 5, &err), STORE_INVALID_INPUT, &err,
		     "input value '1e999' of task 'task1' is out of range (a double)");
	expect_error(store_resume_task(c->st, "num", "task1", "inf", 3, &err), STORE_INVALID_INPUT, &err,
		     "input value 'inf' of task 'task1' is not a decimal number (such as 42, -1.5 or 2e3)");
	expect_error(store_resume_task(c->st, "opt", "task1", "ok\xff", 3, &err), STORE_INVALID_INPUT, &err,
		     "input value of task 'task1' is not valid UTF-8 text (byte 3 of 3 is 0xff)");
	fx_task(c->st, "num", "task1", &t);
	assert_int_equal(t.status, TASK_WAITING); /* refused: it stays waiting */
	record_task_free(&t);
	assert_int_equal(store_resume_task(c->st, "num", "task1", "2.5", 3, &err), STORE_OK);
	fx_task(c->st, "num", "task1", &t);
	assert_true(t.has_input_value);
	assert_string_equal(t.input_value.s, "2.5");
	record_task_free(&t);

	expect_error(store_resume_task(c->st, "bool", "task1", "maybe", 5, &err), STORE_INVALID_INPUT, &err,
		     "input value 'maybe' of task 'task1' is not a boolean (true, false, yes or no)");
	assert_int_equal(store_resume_task(c->st, "bool", "task1", "Yes", 3, &err), STORE_OK);
	fx_task(c->st, "bool", "task1", &t);
	assert_string_equal(t.input_value.s, "true");
	record_task_free(&t);

	assert_int_equal(store_resume_task(c->st, "def", "task1", NULL, 0, &err), STORE_OK);
	fx_task(c->st, "def", "task1", &t);
	assert_string_equal(t.input_value.s, "3");
	record_task_free(&t);

	assert_int_equal(store_resume_task(c->st, "opt", "task1", NULL, 0, &err), STORE_OK);
	fx_task(c->st, "opt", "task1", &t);
	assert_false(t.has_input_value);
	record_task_free(&t);

	record_event *ev;
	size_t n;
	assert_int_equal(store_events(c->st, "def", 0, 1, &ev, &n, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].action, "resume-task");
	assert_true(ev[0].has_input_value);
	assert_string_equal(ev[0].input_value.s, "3");
	record_event_array_free(ev, n);
	assert_verify_clean(c->st);
}

static void resume_task_errors(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "done", "2024-12-19T10:00:00Z", 2, DONE2);
	expect_error(store_resume_task(c->st, "nope", "task1", NULL, 0, &err), STORE_NOT_FOUND, &err,
		     "execution 'nope' not found");
	expect_error(store_resume_task(c->st, "done", "zz", NULL, 0, &err), STORE_NOT_FOUND, &err,
		     "task 'zz' not found in execution 'done'");
	expect_error(store_resume_task(c->st, "done", "task1", NULL, 0, &err), STORE_INVALID_STATE, &err,
		     "task 'task1' is not waiting for input (status: complete): someone acted first");
}

/* ---- lists, counts, generation ---- */

static void stamp(char *buf, size_t len, int i)
{
	snprintf(buf, len, "2024-%02d-%02dT%02d:%02d:00Z", 1 + i / 600 % 12, 1 + i / 24 % 25, i % 24, i % 60);
}

static void paused_list_is_newest_first_and_has_no_cap(void **state)
{
	ctx *c = *state;
	store_err err;
	/* 1500 waiting and 300 running, saved in one transaction each batch */
	for (int i = 0; i < 1800; i++) {
		char id[32], ts[32];
		snprintf(id, sizeof id, "e%04d", i);
		stamp(ts, sizeof ts, i);
		fx_save(c->st, id, ts, 1, i % 6 == 5 ? RUN1 : WAIT1);
	}
	record_exec *v;
	size_t n;
	assert_int_equal(store_paused(c->st, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 1500);
	for (size_t i = 0; i < n; i++) {
		int64_t a, b;
		assert_int_equal(v[i].status, EXEC_WAITING);
		if (i) {
			record_timestamp_parse(v[i - 1].start_timestamp, &a);
			record_timestamp_parse(v[i].start_timestamp, &b);
			assert_true(a >= b);
		}
	}
	record_exec_array_free(v, n);
	uint64_t counts[EXEC_STATUS_COUNT];
	assert_int_equal(store_counts(c->st, counts, NULL, &err), STORE_OK);
	assert_int_equal(counts[EXEC_WAITING], 1500);
	assert_int_equal(counts[EXEC_RUNNING], 300);
}

static void paging_visits_each_execution_once_newest_first(void **state)
{
	ctx *c = *state;
	store_err err;
	for (int i = 0; i < 30; i++) {
		char id[32], ts[32];
		snprintf(id, sizeof id, "p%02d", i);
		snprintf(ts, sizeof ts, "2024-01-01T00:00:%02dZ", i);
		fx_save(c->st, id, ts, 1, RUN1);
	}
	store_cursor cur = { .len = 0 };
	int expect = 29, pages = 0;
	while (!cur.done) {
		record_exec *v;
		size_t n;
		assert_int_equal(store_list(c->st, -1, &cur, 7, &v, &n, &err), STORE_OK);
		for (size_t i = 0; i < n; i++) {
			char id[32];
			snprintf(id, sizeof id, "p%02d", expect--);
			assert_string_equal(v[i].id, id);
		}
		record_exec_array_free(v, n);
		pages++;
	}
	assert_int_equal(expect, -1);
	assert_int_equal(pages, 5);
}

static void expect_ids(record_exec *v, size_t n, const int *want, size_t n_want)
{
	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "m%02d", want[i]);
		assert_string_equal(v[i].id, id);
	}
	record_exec_array_free(v, n);
}

/* Paging up from a row, the last page, and a page that starts at a row: what
 * the dashboard needs to show a window of a large list. */
static void paging_up_and_from_a_row_across_statuses(void **state)
{
	ctx *c = *state;
	store_err err;
	for (int i = 0; i < 20; i++) {
		char id[32], ts[32];
		snprintf(id, sizeof id, "m%02d", i);
		snprintf(ts, sizeof ts, "2024-01-01T00:00:%02dZ", i);
		fx_save(c->st, id, ts, 1, i % 3 ? RUN1 : WAIT1);
	}
	record_exec *v, e;
	size_t n;
	store_cursor cur = { .len = 0 };
	/* the last page: the oldest, newest first */
	assert_int_equal(store_list_newer(c->st, -1, &cur, 4, &v, &n, &err), STORE_OK);
	expect_ids(v, n, (const int[]){ 3, 2, 1, 0 }, 4);
	/* up from m10: the nearest newer ones */
	assert_int_equal(store_get(c->st, "m10", &e, &err), STORE_OK);
	store_cursor_at(&cur, &e, false);
	assert_int_equal(store_list_newer(c->st, -1, &cur, 3, &v, &n, &err), STORE_OK);
	expect_ids(v, n, (const int[]){ 13, 12, 11 }, 3);
	/* down from m10, with it and without it */
	assert_int_equal(store_list(c->st, -1, &cur, 2, &v, &n, &err), STORE_OK);
	expect_ids(v, n, (const int[]){ 9, 8 }, 2);
	store_cursor_at(&cur, &e, true);
	assert_int_equal(store_list(c->st, -1, &cur, 2, &v, &n, &err), STORE_OK);
	expect_ids(v, n, (const int[]){ 10, 9 }, 2);
	/* one status: the waiting ones are m00, m03, ... m18 */
	store_cursor_at(&cur, &e, true);
	assert_int_equal(store_list_newer(c->st, EXEC_WAITING, &cur, 10, &v, &n, &err), STORE_OK);
	expect_ids(v, n, (const int[]){ 18, 15, 12 }, 3);
	assert_int_equal(store_list(c->st, EXEC_WAITING, &cur, 10, &v, &n, &err), STORE_OK);
	expect_ids(v, n, (const int[]){ 9, 6, 3, 0 }, 4);
	assert_true(cur.done);
	/* nothing newer than the newest */
	record_exec_free(&e);
	assert_int_equal(store_get(c->st, "m19", &e, &err), STORE_OK);
	store_cursor_at(&cur, &e, false);
	record_exec_free(&e);
	assert_int_equal(store_list_newer(c->st, -1, &cur, 5, &v, &n, &err), STORE_OK);
	expect_ids(v, n, NULL, 0);
}

/* Durability rests on flushing the log up to a transaction's commit record,
 * whose position comes from its commit token: the position read must be
 * where the log really has a record, and the last one just after a commit. */
static void the_commit_token_names_the_commit_record(void **state)
{
	ctx *c = *state;
	store_err err;
	bool found, last;
	for (int i = 0; i < 3; i++) {
		fx_save(c->st, i == 0 ? "a" : i == 1 ? "b" : "c", "2024-12-19T10:00:00Z", 1, RUN1);
		assert_int_equal(forge_commit_probe(c->st, &found, &last, &err), STORE_OK);
		assert_true(found);
		assert_true(last);
	}
}

static void generation_moves_with_every_write_and_only_then(void **state)
{
	ctx *c = *state;
	store_err err;
	uint64_t g0, g1, g2;
	assert_int_equal(store_generation(c->st, &g0, &err), STORE_OK);
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 1, RUN1);
	assert_int_equal(store_generation(c->st, &g1, &err), STORE_OK);
	assert_true(g1 == g0 + 1);
	record_exec e;
	store_get(c->st, "wf", &e, &err);
	record_exec_free(&e);
	assert_int_equal(store_pause_task(c->st, "wf", "nope", &err), STORE_NOT_FOUND);
	assert_int_equal(store_generation(c->st, &g2, &err), STORE_OK);
	assert_true(g2 == g1); /* a read and a refused write change nothing */
	assert_int_equal(store_pause_task(c->st, "wf", "task1", &err), STORE_OK);
	assert_int_equal(store_generation(c->st, &g2, &err), STORE_OK);
	assert_true(g2 == g1 + 1);
}

/* ---- saving, import, delete ---- */

typedef struct vec_source {
	store_item *items;
	size_t n, at;
} vec_source;

static int vec_next(void *ctx_, store_item *it, char *why, size_t whylen)
{
	vec_source *v = ctx_;
	if (v->at == v->n)
		return 0;
	*it = v->items[v->at];
	memset(&v->items[v->at++], 0, sizeof *it);
	return 1;
}

static void import_is_all_or_nothing(void **state)
{
	ctx *c = *state;
	store_err err;
	store_item items[3];
	fx_item(&items[0], "a", "2024-12-19T10:00:00Z", 1, RUN1);
	fx_item(&items[1], "b", "2024-12-19T10:00:00Z", 1, WAIT1);
	fx_item(&items[2], "c", "2024-12-19T10:00:00Z", 1, WAIT1);
	items[2].exec.is_paused = false; /* contradicts its status */
	vec_source v = { items, 3, 0 };
	store_source src = { vec_next, NULL, &v };
	size_t count = 9;
	expect_error(store_import(c->st, &src, false, "import", &count, &err), STORE_INVALID_INPUT, &err,
		     "execution 'c': status is waiting-for-input but is_paused is false");
	assert_int_equal(count, 0);
	record_exec e;
	assert_int_equal(store_get(c->st, "a", &e, &err), STORE_NOT_FOUND);
	uint64_t counts[EXEC_STATUS_COUNT];
	store_counts(c->st, counts, NULL, &err);
	assert_int_equal(counts[EXEC_RUNNING] + counts[EXEC_WAITING], 0);
	for (int i = 0; i < 3; i++)
		store_item_free(&items[i]);
	assert_verify_clean(c->st);
}

/* Items large enough that an import takes several frames of the protocol
 * (16 MB each): id big-NNN, one task with a 60 KB log line. */
typedef struct big_source {
	int n, at, bad_at; /* bad_at: this one breaks the rules (-1: none) */
} big_source;

static int big_next(void *src, store_item *it, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	big_source *b = src;
	if (b->at >= b->n)
		return 0;
	char id[32];
	snprintf(id, sizeof id, "big-%03d", b->at);
	fx_item(it, id, "2024-12-19T10:00:00Z", 1, RUN1);
	static char line[60000];
	memset(line, 'z', sizeof line);
	record_text *logs = calloc(1, sizeof *logs);
	record_text_set(&logs[0], line, sizeof line);
	for (size_t i = 0; i < it->tasks[0].n_logs; i++)
		record_text_free(&it->tasks[0].logs[i]);
	free(it->tasks[0].logs);
	it->tasks[0].logs = logs;
	it->tasks[0].n_logs = 1;
	if (b->at == b->bad_at)
		it->exec.is_paused = true; /* a running execution cannot be paused */
	b->at++;
	return 1;
}

static int big_rewind(void *src, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	((big_source *)src)->at = 0;
	return 0;
}

static void an_import_of_several_frames_is_one_transaction(void **state)
{
	ctx *c = *state;
	store_err err;
	/* the bad item is in the last frame: the frames before it were held by
	 * the server, and go with the connection */
	big_source b = { 320, 0, 310 };
	store_source src = { big_next, big_rewind, &b };
	size_t count = 9;
	assert_int_equal(store_import(c->st, &src, false, "import", &count, &err), STORE_INVALID_INPUT);
	record_exec e;
	assert_int_equal(store_get(c->st, "big-000", &e, &err), STORE_NOT_FOUND);
	/* a small import next on the same handle is only itself */
	fx_save(c->st, "small", "2024-12-19T10:00:00Z", 1, RUN1);
	uint64_t counts[EXEC_STATUS_COUNT];
	assert_int_equal(store_counts(c->st, counts, NULL, &err), STORE_OK);
	assert_int_equal(counts[EXEC_RUNNING], 1);
	/* the whole of it, in several frames */
	b.bad_at = -1;
	assert_int_equal(store_import(c->st, &src, false, "import", &count, &err), STORE_OK);
	assert_int_equal(count, 320);
	assert_int_equal(store_get(c->st, "big-319", &e, &err), STORE_OK);
	record_exec_free(&e);
	assert_int_equal(store_counts(c->st, counts, NULL, &err), STORE_OK);
	assert_int_equal(counts[EXEC_RUNNING], 321);
	assert_verify_clean(c->st);
}

/* A source that pauses once, after the import's first frame went (an item
 * is 60 KB, a frame 16 MB): the server's own work runs meanwhile. */
typedef struct slow_source {
	big_source b;
	int pause_at, pause_ms;
} slow_source;

static int slow_next(void *src, store_item *it, char *why, size_t whylen)
{
	slow_source *s = src;
	if (s->b.at == s->pause_at) {
		struct timespec ts = { s->pause_ms / 1000, (long)(s->pause_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return big_next(&s->b, it, why, whylen);
}

static int slow_rewind(void *src, char *why, size_t whylen)
{
	return big_rewind(&((slow_source *)src)->b, why, whylen);
}

/* A deadline fires, and a notification's command ends, between the frames
 * of an import: the server's own transactions act for no request, so the
 * import's last frame still imports every execution. */
static void a_deadline_and_a_hook_between_frames_leave_the_import_whole(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "due", "2024-12-19T09:00:00Z", 1, WAIT1);
	const char *argv[] = { "true" };
	uint64_t hid;
	assert_int_equal(store_notify_add(c->st, "timeout", argv, 1, &hid, &err), STORE_OK);
	assert_int_equal(store_task_deadline(c->st, "due", "task1", 1, TIMEOUT_FAIL, &err), STORE_OK);
	slow_source s = { { 600, 0, -1 }, 300, 2500 };
	store_source src = { slow_next, slow_rewind, &s };
	size_t count = 0;
	assert_int_equal(store_import(c->st, &src, false, "import", &count, &err), STORE_OK);
	assert_int_equal(count, 600);
	uint64_t counts[EXEC_STATUS_COUNT];
	assert_int_equal(store_counts(c->st, counts, NULL, &err), STORE_OK);
	assert_int_equal(counts[EXEC_RUNNING], 601);
	/* the deadline did fire (its task failed; its execution runs on), and
	 * its command did run, meanwhile */
	store_item it;
	assert_int_equal(store_get_item(c->st, "due", &it, &err), STORE_OK);
	assert_int_equal(it.tasks[0].status, TASK_FAILED);
	store_item_free(&it);
	store_server_info info;
	assert_int_equal(store_server_status(c->st, &info, &err), STORE_OK);
	assert_true(info.hooks_run >= 1);
	assert_verify_clean(c->st);
}

/* The timer acts for no one: its events carry the actor "timer", no user,
 * and the deadline's time, whatever request came just before it (one with
 * an actor and a user, and an answer that only the owner may give). */
static void the_timer_acts_for_no_request(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "due", "2024-12-19T09:00:00Z", 2, WAIT3);
	store_set_actor(c->st, "alice");
	assert_int_equal(store_task_deadline(c->st, "due", "task2", 1, TIMEOUT_FAIL, &err), STORE_OK);
	struct timespec ts = { 2, 200000000L };
	nanosleep(&ts, NULL);
	record_event *v;
	size_t n;
	assert_int_equal(store_events(c->st, "due", 0, 100, &v, &n, &err), STORE_OK);
	bool seen_timer = false, seen_alice = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].action, "timeout") == 0) {
			seen_timer = true;
			assert_string_equal(v[i].actor, "timer");
			assert_null(v[i].user);
			store_item it;
			assert_int_equal(store_get_item(c->st, "due", &it, &err), STORE_OK);
			assert_string_equal(v[i].time, it.tasks[1].input_deadline);
			store_item_free(&it);
		} else if (strcmp(v[i].actor, "alice") == 0) {
			seen_alice = true;
			assert_non_null(v[i].user);
		}
	}
	record_event_array_free(v, n);
	assert_true(seen_timer);
	assert_true(seen_alice);
	/* and the next request is its own again */
	assert_int_equal(store_resume_task(c->st, "due", "task1", NULL, 0, &err), STORE_OK);
	assert_int_equal(store_events(c->st, "due", 0, 1, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].actor, "alice");
	assert_non_null(v[0].user);
	record_event_array_free(v, n);
}

/* An answer is a text like the others: at most 64 KiB, one byte over is
 * refused by name (and a 20 MB one never reaches the store). */
static void an_answer_is_at_most_64_kib(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "ans", "2024-12-19T09:00:00Z", 2, WAIT3);
	size_t big = 20u << 20;
	char *v = malloc(big);
	memset(v, 'a', big);
	assert_int_equal(store_resume_task(c->st, "ans", "task1", v, big, &err), STORE_INVALID_INPUT);
	assert_string_equal(err.msg, "the input value for task 'task1' is 20971520 bytes: at most 65536 (64 KiB)");
	assert_int_equal(store_resume_task(c->st, "ans", "task1", v, STORE_TEXT_MAX + 1, &err), STORE_INVALID_INPUT);
	assert_non_null(strstr(err.msg, "input value"));
	assert_int_equal(store_resume_task(c->st, "ans", "task1", v, STORE_TEXT_MAX, &err), STORE_OK);
	store_item it;
	assert_int_equal(store_get_item(c->st, "ans", &it, &err), STORE_OK);
	assert_int_equal(it.tasks[0].input_value.len, STORE_TEXT_MAX);
	store_item_free(&it);
	/* the rule is the model's: the server refuses what the client let by */
	record_task t;
	memset(&t, 0, sizeof t);
	char tid[] = "task2", why[200];
	t.task_id = tid;
	assert_int_equal(store_input_check(&t, v, STORE_TEXT_MAX + 1, why, sizeof why), -1);
	assert_string_equal(why, "the input value for task 'task2' is 65537 bytes: at most 65536 (64 KiB)");
	free(v);
	assert_verify_clean(c->st);
}

/* A backup directory's path arrives whole, however long (up to PATH_MAX). */
static void a_long_backup_path_arrives_whole(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "b", "2024-12-19T09:00:00Z", 1, RUN1);
	char dir[4096];
	int n = snprintf(dir, sizeof dir, "%s", c->home);
	/* past 1,023 bytes, in directories of 200 */
	while (n < 1500) {
		n += snprintf(dir + n, sizeof dir - (size_t)n, "/%0200d", 0);
		assert_int_equal(mkdir(dir, 0700), 0);
	}
	n += snprintf(dir + n, sizeof dir - (size_t)n, "/backup");
	assert_int_equal(store_backup(c->st, dir, &err), STORE_OK);
	char meta[4200];
	snprintf(meta, sizeof meta, "%s/executions.db", dir);
	struct stat sb;
	assert_int_equal(stat(meta, &sb), 0);
}

static void an_existing_id_is_refused_unless_replaced(void **state)
{
	ctx *c = *state;
	store_err err;
	store_item it;
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 3, MIX);
	fx_item(&it, "wf", "2024-12-20T10:00:00Z", 1, WAIT1);
	expect_error(store_save(c->st, &it, false, &err), STORE_EXISTS, &err,
		     "execution 'wf' already exists");
	assert_int_equal(store_save(c->st, &it, true, &err), STORE_OK);
	store_item_free(&it);
	store_item got;
	assert_int_equal(store_get_item(c->st, "wf", &got, &err), STORE_OK);
	assert_int_equal(got.n_tasks, 1);
	assert_int_equal(got.exec.status, EXEC_WAITING);
	store_item_free(&got);
	uint64_t counts[EXEC_STATUS_COUNT];
	store_counts(c->st, counts, NULL, &err);
	assert_int_equal(counts[EXEC_RUNNING], 0);
	assert_int_equal(counts[EXEC_WAITING], 1);
	assert_verify_clean(c->st);
}

static void delete_removes_tasks_indexes_and_counts(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 3, WAIT3);
	fx_save(c->st, "keep", "2024-12-19T10:00:00Z", 1, RUN1);
	assert_int_equal(store_delete(c->st, "wf", &err), STORE_OK);
	expect_error(store_delete(c->st, "wf", &err), STORE_NOT_FOUND, &err, "execution 'wf' not found");
	record_exec *v;
	size_t n;
	assert_int_equal(store_paused(c->st, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 0);
	free(v);
	record_event *ev;
	assert_int_equal(store_events(c->st, "wf", 0, 10, &ev, &n, &err), STORE_OK);
	assert_string_equal(ev[0].action, "delete");
	record_event_array_free(ev, n);
	assert_verify_clean(c->st);
}

static void item_rules_are_checked_with_clear_reasons(void **state)
{
	ctx *c = *state;
	store_err err;
	store_item it;
	fx_item(&it, "wf", "2024-12-19T10:00:00Z", 3, WAIT3);
	free(it.exec.paused_task_id);
	it.exec.paused_task_id = record_strdup("task9");
	expect_error(store_save(c->st, &it, false, &err), STORE_INVALID_INPUT, &err,
		     "execution 'wf': paused_task_id 'task9' does not name a task waiting for input");
	free(it.exec.start_timestamp);
	it.exec.start_timestamp = record_strdup("yesterday");
	expect_error(store_save(c->st, &it, false, &err), STORE_INVALID_INPUT, &err,
		     "execution 'wf': start_timestamp 'yesterday' is not an RFC 3339 time");
	store_item_free(&it);
	fx_item(&it, "wf", "2024-12-19T10:00:00Z", 1, RUN1);
	it.exec.status = EXEC_COMPLETE;
	it.tasks[0].status = TASK_WAITING;
	expect_error(store_save(c->st, &it, false, &err), STORE_INVALID_INPUT, &err,
		     "execution 'wf' is complete but 1 of its tasks wait for input");
	store_item_free(&it);
	fx_item(&it, "bad\x1bid", "2024-12-19T10:00:00Z", 1, RUN1);
	expect_error(store_save(c->st, &it, false, &err), STORE_INVALID_INPUT, &err,
		     "execution id must be 1-128 bytes of printable UTF-8");
	store_item_free(&it);
}

static void hostile_bytes_are_kept_exactly(void **state)
{
	ctx *c = *state;
	store_err err;
	store_item it, got;
	fx_item(&it, "wf", "2024-12-19T10:00:00Z", 1, WAIT1);
	static const char name[] = "\x1b[2J\x1b]0;pwned\x07\0nul\xff\xfe";
	record_text_set(&it.exec.workflow_name, name, sizeof name - 1);
	size_t big = 1 << 20;
	char *line = malloc(big);
	for (size_t i = 0; i < big; i++)
		line[i] = (char)(i % 251 + 1);
	it.tasks[0].logs = calloc(1, sizeof *it.tasks[0].logs);
	record_text_set(&it.tasks[0].logs[0], line, big);
	it.tasks[0].n_logs = 1;
	assert_int_equal(store_save(c->st, &it, false, &err), STORE_OK);
	assert_int_equal(store_get_item(c->st, "wf", &got, &err), STORE_OK);
	assert_int_equal(got.exec.workflow_name.len, sizeof name - 1);
	assert_memory_equal(got.exec.workflow_name.s, name, sizeof name - 1);
	assert_int_equal(got.tasks[0].logs[0].len, big);
	assert_memory_equal(got.tasks[0].logs[0].s, line, big);
	free(line);
	store_item_free(&it);
	store_item_free(&got);
}

/* ---- homes: permissions, read-only, formats ---- */

static void a_new_home_is_private(void **state)
{
	ctx *c = *state;
	struct stat sb;
	char path[4200];
	assert_int_equal(stat(c->home, &sb), 0);
	/* fx_tmpdir made it 0700; a home store_open creates must be 0700 too */
	char sub[4200];
	snprintf(sub, sizeof sub, "%s/nested/home", c->home);
	store *st = fx_open(sub, 0);
	store_close(st);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700 & ~0);
	snprintf(path, sizeof path, "%s/executions.db", sub);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0077, 0);
}

static void prepause_home_upgrades_on_open(void **state)
{
	ctx *c = *state;
	store_err err;
	char dir[4200], src[4200];
	const char *top = getenv("SEETOP_TOP_SRCDIR");
	snprintf(src, sizeof src, "%s/tests/data/prepause-home", top ? top : ".");
	snprintf(dir, sizeof dir, "%s/old", c->home);
	fx_copydir(src, dir);
	/* the server upgrades the home when it opens it, whoever connects first:
	 * a read-only client sees the upgraded store */
	store *st = fx_open(dir, STORE_OPEN_READ_ONLY);
	assert_true(store_is_read_only(st));
	store_close(st);
	st = fx_open(dir, 0);
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	assert_int_equal(store_list(st, -1, &cur, 100, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_false(v[i].is_paused);
		assert_null(v[i].paused_task_id);
	}
	record_exec_array_free(v, n);
	assert_verify_clean(st);
	uint64_t counts[EXEC_STATUS_COUNT];
	store_counts(st, counts, NULL, &err);
	assert_int_equal(counts[EXEC_RUNNING], 1);
	assert_int_equal(counts[EXEC_COMPLETE], 1);
	assert_int_equal(counts[EXEC_FAILED], 1);
	/* its log lines moved to records of their own (format 5) */
	store_item it;
	assert_int_equal(store_get_item(st, "legacy-running", &it, &err), STORE_OK);
	assert_true(it.n_tasks > 0);
	assert_int_equal(it.tasks[0].log_count, 1);
	assert_int_equal(it.tasks[0].n_logs, 1);
	assert_string_equal(it.tasks[0].logs[0].s, "written before pausing existed");
	store_item_free(&it);
	/* and the upgraded home works: pause a task of the legacy running one */
	assert_int_equal(store_pause_task(st, "legacy-running", "build", &err), STORE_OK);
	assert_verify_clean(st);
	store_close(st);
}

static void legacy_waiting_execution_gets_its_pause_fields(void **state)
{
	ctx *c = *state;
	store_err err;
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/old", c->home);
	static const task_status ts[] = { TASK_COMPLETE, TASK_WAITING };
	store_item it;
	fx_item(&it, "old-wait", "2024-12-19T10:00:00Z", 2, ts);
	assert_int_equal(forge_legacy_home(dir, &it, 1, &err), STORE_OK);
	store_item_free(&it);
	store *st = fx_open(dir, 0);
	record_exec e;
	assert_int_equal(store_get(st, "old-wait", &e, &err), STORE_OK);
	assert_true(e.is_paused);
	assert_string_equal(e.paused_task_id, "task2");
	record_exec_free(&e);
	assert_verify_clean(st);
	assert_int_equal(store_resume_task(st, "old-wait", "task2", NULL, 0, &err), STORE_OK);
	store_close(st);
}

typedef struct problems {
	char text[8][512];
	size_t n;
} problems;

static void collect(void *ctx_, const char *what)
{
	problems *p = ctx_;
	if (p->n < 8)
		snprintf(p->text[p->n++], 512, "%s", what);
}

static bool has_problem(const problems *p, const char *needle)
{
	for (size_t i = 0; i < p->n; i++)
		if (strstr(p->text[i], needle))
			return true;
	return false;
}

/* verify and the item check apply one rule, in the same words: an
 * execution waiting with no task that waits is refused on import and
 * reported by verify alike. */
static void verify_and_the_item_check_say_the_same(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "w", "2024-12-19T10:00:00Z", 1, WAIT1);
	store_item it;
	assert_int_equal(store_get_item(c->st, "w", &it, &err), STORE_OK);
	it.tasks[0].status = TASK_IN_PROGRESS; /* the execution still says it waits */
	record_buf rec = { 0 };
	assert_int_equal(record_encode_task(&it.tasks[0], &rec), 0);
	assert_int_equal(forge_raw(c->st, "tasks.db", "w\0task1", 7, rec.data, rec.len, &err), STORE_OK);
	record_buf_free(&rec);
	const char *rule = "execution 'w' is waiting-for-input but none of its tasks is";
	problems p = { .n = 0 };
	size_t n = 0;
	assert_int_equal(store_verify(c->st, collect, &p, &n, &err), STORE_OK);
	assert_true(has_problem(&p, rule));
	char why[512];
	assert_int_equal(store_item_check(&it, why, sizeof why), -1);
	assert_string_equal(why, rule);
	store_item_free(&it);
}

static void put_u64(store *st, const char *key, uint64_t v)
{
	unsigned char b[8];
	store_err err;
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
	assert_int_equal(forge_raw(st, "meta.db", key, strlen(key), b, 8, &err), STORE_OK);
}

/* Format 2 kept the generation, the event sequence and the counts under keys
 * of their own, and its status index held no copies of the records. */
static void a_format_2_home_upgrades_on_open(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 1, RUN1);
	fx_save(c->st, "wait", "2024-12-18T10:00:00Z", 1, WAIT1);
	assert_int_equal(store_pause_task(c->st, "wf", "task1", &err), STORE_OK);
	record_event *ev;
	size_t n;
	assert_int_equal(store_events(c->st, NULL, 0, 1, &ev, &n, &err), STORE_OK);
	uint64_t last_seq = ev[0].seq;
	record_event_array_free(ev, n);
	/* rewrite the meta and the index as format 2 had them */
	assert_int_equal(forge_raw(c->st, "meta.db", "state", 5, NULL, 0, &err), STORE_OK);
	put_u64(c->st, "generation", 40);
	put_u64(c->st, "event_seq", last_seq);
	put_u64(c->st, "count.waiting-for-input", 2);
	/* and drop an entry of the status index, which the upgrade rebuilds:
	 * the start time as an unsigned key, then the id */
	unsigned char k[64];
	record_exec e;
	assert_int_equal(store_get(c->st, "wait", &e, &err), STORE_OK);
	int64_t us;
	assert_true(record_timestamp_parse(e.start_timestamp, &us));
	uint64_t order = (uint64_t)us ^ (UINT64_C(1) << 63);
	for (int i = 7; i >= 0; i--)
		k[i] = (unsigned char)(order >> (8 * (7 - i)));
	memcpy(k + 8, "wait", 4);
	record_exec_free(&e);
	assert_int_equal(forge_raw(c->st, "status-waiting-for-input.db", k, 12, NULL, 0, &err), STORE_OK);
	problems before = { .n = 0 };
	assert_int_equal(store_verify(c->st, collect, &before, &n, &err), STORE_OK);
	assert_true(has_problem(&before, "execution 'wait': missing from the status index"));
	assert_int_equal(forge_format(c->st, 2, &err), STORE_OK);
	store_close(c->st);
	c->st = fx_open(c->home, 0);
	assert_verify_clean(c->st);
	uint64_t counts[EXEC_STATUS_COUNT], gen;
	assert_int_equal(store_counts(c->st, counts, &gen, &err), STORE_OK);
	assert_int_equal(counts[EXEC_WAITING], 2);
	assert_int_equal(counts[EXEC_RUNNING], 0);
	assert_true(gen >= 40);
	/* the list reads the rebuilt copies; the audit trail continues its numbering */
	store_cursor cur = { .len = 0 };
	record_exec *v;
	assert_int_equal(store_list(c->st, EXEC_WAITING, &cur, 10, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, "wf");
	assert_string_equal(v[1].id, "wait");
	record_exec_array_free(v, n);
	assert_int_equal(store_resume_workflow(c->st, "wf", &err), STORE_OK);
	assert_int_equal(store_events(c->st, NULL, 0, 1, &ev, &n, &err), STORE_OK);
	assert_int_equal(ev[0].seq, last_seq + 1);
	record_event_array_free(ev, n);
	assert_verify_clean(c->st);
}

static void a_newer_format_is_refused_and_left_alone(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "wf", "2024-12-19T10:00:00Z", 1, RUN1);
	assert_int_equal(forge_format(c->st, STORE_FORMAT_VERSION + 1, &err), STORE_OK);
	store_close(c->st);
	c->st = NULL;
	char before[4200], after[4200];
	snprintf(before, sizeof before, "cd '%s' && md5sum *.db > ../sums-%d", c->home, (int)getpid());
	assert_int_equal(system(before), 0);
	store *st;
	assert_int_equal(store_open(c->home, 0, &st, &err), STORE_FORMAT);
	char want[128];
	snprintf(want, sizeof want, "store format %d in", STORE_FORMAT_VERSION + 1);
	assert_non_null(strstr(err.msg, want));
	snprintf(want, sizeof want, "is newer than this version supports (%d): use a newer seetop", STORE_FORMAT_VERSION);
	assert_non_null(strstr(err.msg, want));
	snprintf(after, sizeof after, "cd '%s' && md5sum -c --quiet ../sums-%d && rm ../sums-%d", c->home,
		 (int)getpid(), (int)getpid());
	assert_int_equal(system(after), 0);
	assert_int_equal(store_open(c->home, STORE_OPEN_READ_ONLY, &st, &err), STORE_FORMAT);
}

/* ---- verify ---- */


static void verify_finds_a_corrupt_index_entry_and_an_undecodable_record(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "good", "2024-12-19T10:00:00Z", 1, WAIT1);
	fx_save(c->st, "other", "2024-12-18T10:00:00Z", 1, RUN1);
	/* an index entry naming no execution, and a record of garbage */
	unsigned char k[32] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	memcpy(k + 8, "ghost", 5);
	assert_int_equal(forge_raw(c->st, "status-waiting-for-input.db", k, 13, "junk", 4, &err), STORE_OK);
	assert_int_equal(forge_raw(c->st, "executions.db", "other", 5, "garbage", 7, &err), STORE_OK);
	problems p = { .n = 0 };
	size_t n;
	assert_int_equal(store_verify(c->st, collect, &p, &n, &err), STORE_OK);
	assert_true(n >= 2);
	assert_true(has_problem(&p, "status index: entry for 'ghost' but no such execution"));
	assert_true(has_problem(&p, "execution 'other': record cannot be decoded: not an encoded execution record"));
	/* the rest stays readable */
	record_exec e;
	assert_int_equal(store_get(c->st, "good", &e, &err), STORE_OK);
	record_exec_free(&e);
	expect_error(store_get(c->st, "other", &e, &err), STORE_FORMAT, &err,
		     "execution 'other' cannot be decoded: not an encoded execution record");
	store_cursor cur = { .len = 0 };
	record_exec *v;
	assert_int_equal(store_list(c->st, -1, &cur, 10, &v, &n, &err), STORE_OK);
	/* lists read the index's copies: the damaged entry is skipped and named */
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, "good");
	assert_string_equal(v[1].id, "other");
	assert_non_null(strstr(err.msg, "status index entry 'ghost' cannot be decoded"));
	record_exec_array_free(v, n);
}

/* The list shows progress (complete/total) from the execution record alone:
 * the store keeps the count on every save, operations keep it, verify checks it. */
/* The dashboard's first screen in one request: the page and the counts. */
static void a_page_comes_with_the_counts(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "a", "2024-12-19T10:00:00Z", 1, WAIT1);
	fx_save(c->st, "b", "2024-12-19T11:00:00Z", 1, RUN1);
	fx_save(c->st, "c", "2024-12-19T12:00:00Z", 1, RUN1);
	uint64_t counts[EXEC_STATUS_COUNT], alone[EXEC_STATUS_COUNT], gen, gen2;
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	assert_int_equal(store_list_counts(c->st, -1, &cur, 2, &v, &n, counts, &gen, &err), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, "c");
	record_exec_array_free(v, n);
	assert_int_equal(store_counts(c->st, alone, &gen2, &err), STORE_OK);
	assert_memory_equal(counts, alone, sizeof counts);
	assert_int_equal(counts[EXEC_RUNNING], 2);
	assert_int_equal(counts[EXEC_WAITING], 1);
	assert_int_equal(gen, gen2);
	/* the next page continues where the first ended */
	assert_int_equal(store_list_counts(c->st, -1, &cur, 2, &v, &n, counts, &gen, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "a");
	record_exec_array_free(v, n);
}

static void the_record_counts_its_complete_tasks(void **state)
{
	ctx *c = *state;
	store_err err;
	static const task_status ts[] = { TASK_COMPLETE, TASK_COMPLETE, TASK_IN_PROGRESS, TASK_PENDING };
	fx_save(c->st, "prog", "2024-12-19T10:00:00Z", 4, ts);
	record_exec e;
	assert_int_equal(store_get(c->st, "prog", &e, &err), STORE_OK);
	assert_int_equal(e.tasks_complete, 2);
	record_exec_free(&e);
	assert_int_equal(store_pause_task(c->st, "prog", "task4", &err), STORE_OK);
	assert_int_equal(store_resume_task(c->st, "prog", "task4", NULL, 0, &err), STORE_OK);
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	assert_int_equal(store_list(c->st, -1, &cur, 5, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].tasks_complete, 2);
	assert_int_equal(v[0].n_task_ids, 4);
	/* a record whose count drifted is reported */
	v[0].tasks_complete = 3;
	record_buf b = { 0 };
	assert_int_equal(record_encode_exec(&v[0], &b), 0);
	assert_int_equal(forge_raw(c->st, "executions.db", "prog", 4, b.data, b.len, &err), STORE_OK);
	record_buf_free(&b);
	record_exec_array_free(v, n);
	problems p = { .n = 0 };
	assert_int_equal(store_verify(c->st, collect, &p, &n, &err), STORE_OK);
	assert_true(has_problem(&p, "execution 'prog': its record counts 3 complete tasks but 2 are"));
}

static void verify_finds_a_count_that_drifted(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "good", "2024-12-19T10:00:00Z", 1, WAIT1);
	assert_int_equal(forge_count(c->st, EXEC_RUNNING, 7, &err), STORE_OK);
	problems p = { .n = 0 };
	size_t n;
	assert_int_equal(store_verify(c->st, collect, &p, &n, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_true(has_problem(&p, "count of running executions is 7 but 0 records have that status"));
}

/* A verify whose walk met a writer's lock is tried again from the start:
 * the problems the first attempt found are not answered twice. */
static void verify_tried_again_reports_each_problem_once(void **state)
{
	ctx *c = *state;
	store_err err;
	fx_save(c->st, "a-exec", "2024-12-19T10:00:00Z", 1, WAIT1);
	size_t kept = 0, handed = 0, n = 0;
	/* longer than the lock timeout (2 s): the first walk gives up at deadlines.db */
	assert_int_equal(forge_verify_contended(c->st, "a-exec", 2500, &kept, &handed, &n, &err), STORE_OK);
	assert_true(handed >= 2); /* the walk was tried again (else this test proves nothing) */
	assert_int_equal(n, 1);
	assert_int_equal(kept, 1);
	problems p = { .n = 0 };
	assert_int_equal(store_verify(c->st, collect, &p, &n, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p.n, 1);
	assert_true(has_problem(&p, "execution 'a-exec': missing from the status index"));
}

/* The change that added the last hook allowed, sent again after its answer
 * was lost, is answered with the id it added, not refused as one too many. */
static void a_resent_hook_add_is_answered_with_its_id(void **state)
{
	ctx *c = *state;
	store_err err;
	const char *argv[] = { "/bin/true" };
	uint64_t id = 0;
	for (int i = 0; i < STORE_HOOKS_MAX - 1; i++)
		assert_int_equal(store_notify_add(c->st, "waiting", argv, 1, &id, &err), STORE_OK);
	uint64_t first = 0, again = 0;
	assert_int_equal(forge_hook_add_twice(c->st, "paused", argv, 1, &first, &again, &err), STORE_OK);
	assert_int_equal(first, STORE_HOOKS_MAX);
	assert_int_equal(again, first);
	store_hook *v;
	size_t n;
	assert_int_equal(store_notify_list(c->st, &v, &n, &err), STORE_OK);
	assert_int_equal(n, STORE_HOOKS_MAX); /* added once */
	store_hook_array_free(v, n);
}

static void resume_workflow_never_skips_a_required_answer(void **state)
{
	ctx *c = *state;
	store_err err;
	record_task t;
	save_with_input(c->st, "need", INPUT_STRING, true, NULL);
	uint64_t g0, g1;
	store_generation(c->st, &g0, &err);
	expect_error(store_resume_workflow(c->st, "need", &err), STORE_INVALID_INPUT, &err,
		     "execution 'need': task 'task1' requires an answer and has no default: resume it with a value");
	store_generation(c->st, &g1, &err);
	assert_int_equal(g0, g1); /* nothing changed */
	fx_task(c->st, "need", "task1", &t);
	assert_int_equal(t.status, TASK_WAITING);
	record_task_free(&t);
	/* a default is the answer */
	save_with_input(c->st, "dflt", INPUT_BOOLEAN, true, "yes");
	assert_int_equal(store_resume_workflow(c->st, "dflt", &err), STORE_OK);
	fx_task(c->st, "dflt", "task1", &t);
	assert_int_equal(t.status, TASK_IN_PROGRESS);
	assert_true(t.has_input_value);
	assert_string_equal(t.input_value.s, "true");
	record_task_free(&t);
	/* an optional one without a value goes on without one */
	save_with_input(c->st, "optional", INPUT_STRING, false, NULL);
	assert_int_equal(store_resume_workflow(c->st, "optional", &err), STORE_OK);
	fx_verified(c->st);
}

static void verify_finds_log_lines_that_do_not_add_up(void **state)
{
	ctx *c = *state;
	store_err err;
	store_item it;
	fx_item(&it, "logged", "2024-12-19T10:00:00Z", 1, RUN1);
	it.tasks[0].logs = calloc(2, sizeof *it.tasks[0].logs);
	record_text_set(&it.tasks[0].logs[0], "one", 3);
	record_text_set(&it.tasks[0].logs[1], "two", 3);
	it.tasks[0].n_logs = 2;
	assert_int_equal(store_save(c->st, &it, false, &err), STORE_OK);
	store_item_free(&it);
	assert_verify_clean(c->st);
	/* a line past the end, and a line of a task that does not exist */
	unsigned char k1[] = "logged\0task1\0\0\0\0\0\0\0\0\x05";
	unsigned char k2[] = "logged\0ghost\0\0\0\0\0\0\0\0\x00";
	assert_int_equal(forge_raw(c->st, "logs.db", k1, sizeof k1 - 1, "x", 1, &err), STORE_OK);
	assert_int_equal(forge_raw(c->st, "logs.db", k2, sizeof k2 - 1, "y", 1, &err), STORE_OK);
	problems p = { .n = 0 };
	size_t n;
	assert_int_equal(store_verify(c->st, collect, &p, &n, &err), STORE_OK);
	assert_int_equal(n, 3);
	assert_true(has_problem(&p, "log lines of task 'ghost' of execution 'logged': the task does not exist"));
	assert_true(has_problem(&p, "task 'task1' of execution 'logged': log line 5 where 2 was expected"));
	assert_true(has_problem(&p, "task 'task1' of execution 'logged': counts 2 log lines but has 6"));
}

/* A waiting task's deadline is in the index the server's timer reads;
 * verify finds an entry that is missing and one that names no task. */
static void verify_checks_the_deadline_index(void **state)
{
	ctx *c = *state;
	store_err err;
	store_item it;
	fx_item(&it, "due", "2024-12-19T10:00:00Z", 1, RUN1);
	assert_int_equal(store_save(c->st, &it, false, &err), STORE_OK);
	store_item_free(&it);
	assert_int_equal(store_pause_task(c->st, "due", "task1", &err), STORE_OK);
	assert_int_equal(store_task_deadline(c->st, "due", "task1", 3600, TIMEOUT_FAIL, &err), STORE_OK);
	assert_verify_clean(c->st);
	assert_int_equal(store_get_item(c->st, "due", &it, &err), STORE_OK);
	assert_non_null(it.tasks[0].input_deadline);
	assert_non_null(it.exec.input_deadline); /* the execution carries its earliest deadline */
	assert_string_equal(it.exec.input_deadline, it.tasks[0].input_deadline);
	int64_t us;
	assert_true(record_timestamp_parse(it.tasks[0].input_deadline, &us));
	store_item_free(&it);
	unsigned char k[8 + 10] = { 0 };
	for (int i = 0; i < 8; i++)
		k[i] = (unsigned char)((uint64_t)us >> (56 - 8 * i));
	memcpy(k + 8, "due\0task1", 9);
	assert_int_equal(forge_raw(c->st, "deadlines.db", k, 17, NULL, 0, &err), STORE_OK);
	memcpy(k + 8, "due\0ghost", 9);
	assert_int_equal(forge_raw(c->st, "deadlines.db", k, 17, "", 0, &err), STORE_OK);
	problems p = { .n = 0 };
	size_t n;
	assert_int_equal(store_verify(c->st, collect, &p, &n, &err), STORE_OK);
	assert_int_equal(n, 2);
	assert_true(has_problem(&p, "task 'task1' of execution 'due': its deadline"));
	assert_true(has_problem(&p, "deadline index: an entry for task 'ghost' of execution 'due', which does not exist"));
}

/* STORE_LIST_DUE: every waiting execution once, page after page, soonest
 * deadline first (the earliest of its waiting tasks'), then those without a
 * deadline newest first; nothing else.  More than a dashboard's window
 * (1,024 rows), so that no sort of a first window can pass for it. */
static void the_due_list_orders_every_waiting_execution_by_deadline(void **state)
{
	ctx *c = *state;
	store_err err;
	enum { WITH = 1300, WITHOUT = 40, RUNNING = 20 };
	for (int i = 0; i < WITH + WITHOUT + RUNNING; i++) {
		char id[32], ts[32];
		snprintf(id, sizeof id, "d%04d", i);
		snprintf(ts, sizeof ts, "2024-01-01T%02d:%02d:%02dZ", i / 3600, i / 60 % 60, i % 60);
		fx_save(c->st, id, ts, i < WITH + WITHOUT ? 3 : 1, i < WITH + WITHOUT ? WAIT3 : RUN1);
		if (i >= WITH)
			continue;
		/* a deadline out of start order on task2; a later one on task1;
		 * every fifth also on task3 at the same time as task2's */
		uint64_t mins = 10 + (uint64_t)((i * 7919) % WITH);
		assert_int_equal(store_task_deadline(c->st, id, "task2", mins * 60, TIMEOUT_FAIL, &err), STORE_OK);
		assert_int_equal(store_task_deadline(c->st, id, "task1", mins * 60 + 7200, TIMEOUT_FAIL, &err), STORE_OK);
		if (i % 5 == 0)
			assert_int_equal(store_task_deadline(c->st, id, "task3", mins * 60, TIMEOUT_FAIL, &err), STORE_OK);
	}
	/* ids of 128 bytes, the most: the longest key deadlines.db holds */
	char long_exec[129], long_task[129];
	memset(long_exec, 'e', 128);
	memset(long_task, 't', 128);
	long_exec[128] = long_task[128] = '\0';
	store_item it;
	fx_item(&it, long_exec, "2024-01-01T00:00:00Z", 1, WAIT1);
	free(it.exec.task_ids[0]);
	free(it.exec.paused_task_id);
	free(it.tasks[0].task_id);
	it.exec.task_ids[0] = strdup(long_task);
	it.exec.paused_task_id = strdup(long_task);
	it.tasks[0].task_id = strdup(long_task);
	assert_int_equal(store_save(c->st, &it, false, &err), STORE_OK);
	store_item_free(&it);
	assert_int_equal(store_task_deadline(c->st, long_exec, long_task, 60, TIMEOUT_FAIL, &err), STORE_OK);
	bool long_seen = false;
	static char seen[WITH + WITHOUT + RUNNING];
	memset(seen, 0, sizeof seen);
	store_cursor cur = { .len = 0 };
	size_t total = 0, pages = 0;
	int64_t last_us = 0;
	int last_without = WITH + WITHOUT;
	while (!cur.done) {
		record_exec *v;
		size_t n;
		assert_int_equal(store_list(c->st, STORE_LIST_DUE, &cur, 97, &v, &n, &err), STORE_OK);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(v[i].status, EXEC_WAITING);
			if (strcmp(v[i].id, long_exec) == 0) {
				assert_int_equal(total + i, 0); /* its deadline, 1 minute away, is the soonest */
				long_seen = true;
				last_us = 0;
				continue;
			}
			int k = atoi(v[i].id + 1);
			assert_int_equal(seen[k], 0); /* once */
			seen[k] = 1;
			if (total + i < WITH + 1) {
				int64_t us;
				assert_non_null(v[i].input_deadline);
				assert_true(record_timestamp_parse(v[i].input_deadline, &us));
				assert_true(us >= last_us);
				last_us = us;
			} else {
				assert_null(v[i].input_deadline); /* then those without, newest first */
				assert_true(k < last_without);
				last_without = k;
			}
		}
		total += n;
		record_exec_array_free(v, n);
		assert_true(++pages < 100);
	}
	assert_int_equal(total, WITH + WITHOUT + 1);
	assert_true(long_seen);
	/* a paging call from the wrong end is refused, not misread */
	store_cursor from = { .len = 0 };
	record_exec *v;
	size_t n;
	assert_int_equal(store_list_newer(c->st, STORE_LIST_DUE, &from, 10, &v, &n, &err), STORE_INVALID_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pause_marks_task_and_execution_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(a_read_does_not_undo_a_stop_unless_told, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_tried_again_reports_each_problem_once, setup, teardown),
		cmocka_unit_test_setup_teardown(a_resent_hook_add_is_answered_with_its_id, setup, teardown),
		cmocka_unit_test_setup_teardown(a_page_comes_with_the_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(an_import_of_several_frames_is_one_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(a_deadline_and_a_hook_between_frames_leave_the_import_whole, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_timer_acts_for_no_request, setup, teardown),
		cmocka_unit_test_setup_teardown(an_answer_is_at_most_64_kib, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_and_the_item_check_say_the_same, setup, teardown),
		cmocka_unit_test_setup_teardown(a_long_backup_path_arrives_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(pause_errors_name_what_is_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_workflow_resumes_every_waiting_task, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_workflow_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_last_waiting_task_resumes_the_execution, setup, teardown),
		cmocka_unit_test_setup_teardown(paused_task_id_moves_to_the_first_task_still_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_task_checks_the_input_value, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_task_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(paused_list_is_newest_first_and_has_no_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(paging_visits_each_execution_once_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(paging_up_and_from_a_row_across_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(the_record_counts_its_complete_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(the_commit_token_names_the_commit_record, setup, teardown),
		cmocka_unit_test_setup_teardown(generation_moves_with_every_write_and_only_then, setup, teardown),
		cmocka_unit_test_setup_teardown(import_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(an_existing_id_is_refused_unless_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(delete_removes_tasks_indexes_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(item_rules_are_checked_with_clear_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_bytes_are_kept_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(a_new_home_is_private, setup, teardown),
		cmocka_unit_test_setup_teardown(prepause_home_upgrades_on_open, setup, teardown),
		cmocka_unit_test_setup_teardown(legacy_waiting_execution_gets_its_pause_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(a_format_2_home_upgrades_on_open, setup, teardown),
		cmocka_unit_test_setup_teardown(a_newer_format_is_refused_and_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_finds_a_corrupt_index_entry_and_an_undecodable_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(verify_finds_a_count_that_drifted, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_finds_log_lines_that_do_not_add_up, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_workflow_never_skips_a_required_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_checks_the_deadline_index, setup, teardown),
		cmocka_unit_test_setup_teardown(the_due_list_orders_every_waiting_execution_by_deadline, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
