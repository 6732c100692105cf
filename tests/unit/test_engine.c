/* test_engine.c - the engine's side of libseestore: every transition is a
 * compare-and-set, so that no engine call undoes an operator's action; logs
 * in records of their own; the audit feed; attachment as a lease. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures.h"
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
	store_set_actor(c->st, "engine");
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

/* A definition: tasks "build" and "approve" (which asks for input). */
static void definition(store_item *it, const char *id)
{
	memset(it, 0, sizeof *it);
	it->exec.id = strdup(id);
	record_text_set(&it->exec.workflow_name, "Deploy", 6);
	it->exec.task_ids = calloc(2, sizeof *it->exec.task_ids);
	it->tasks = calloc(2, sizeof *it->tasks);
	const char *ids[] = { "build", "approve" };
	for (size_t i = 0; i < 2; i++) {
		it->exec.task_ids[i] = strdup(ids[i]);
		record_task *t = &it->tasks[i];
		t->execution_id = strdup(id);
		t->task_id = strdup(ids[i]);
		record_text_set(&t->task_name, ids[i], strlen(ids[i]));
		record_text_set(&t->input_prompt, "", 0);
	}
	it->tasks[1].has_input = true;
	it->tasks[1].input_type = INPUT_STRING;
	it->tasks[1].input_required = true;
	record_text_free(&it->tasks[1].input_prompt);
	record_text_set(&it->tasks[1].input_prompt, "Ship it?", 8);
	it->exec.n_task_ids = it->n_tasks = 2;
}

static void start(store *st, const char *id)
{
	store_item def;
	store_err err;
	definition(&def, id);
	store_code c = store_exec_start(st, &def, &err);
	if (c)
		print_error("%s\n", err.msg);
	assert_int_equal(c, STORE_OK);
	store_item_free(&def);
}

static store *operator_handle(const char *home)
{
	store *op = fx_open(home, 0);
	store_set_actor(op, "alice");
	return op;
}

static void an_execution_runs_from_start_to_finish(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "e1");
	record_task t;
	fx_task(c->st, "e1", "build", &t);
	assert_int_equal(t.status, TASK_PENDING);
	record_task_free(&t);
	assert_int_equal(store_task_begin(c->st, "e1", "build", &err), STORE_OK);
	record_text lines[2] = { { (char *)"compiling", 9 }, { (char *)"linked", 6 } };
	uint64_t count;
	assert_int_equal(store_task_log(c->st, "e1", "build", lines, 2, &count, &err), STORE_OK);
	assert_int_equal(count, 2);
	assert_int_equal(store_task_complete(c->st, "e1", "build", &err), STORE_OK);
	assert_int_equal(store_task_begin(c->st, "e1", "approve", &err), STORE_OK);
	store_input_request rq = { .prompt = "Ship it?", .type = INPUT_BOOLEAN, .default_value = "false", .default_len = 5, .required = true };
	assert_int_equal(store_task_request_input(c->st, "e1", "approve", &rq, &err), STORE_OK);
	record_exec e;
	assert_int_equal(store_get(c->st, "e1", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_WAITING);
	assert_string_equal(e.paused_task_id, "approve");
	assert_int_equal(e.tasks_complete, 1);
	assert_true(e.engine_attached);
	assert_int_equal(e.engine_pid, (uint64_t)getpid());
	record_exec_free(&e);
	fx_verified(c->st);

	/* the engine learns of the answer from the feed, not by reading everything */
	record_event *ev;
	size_t n;
	assert_int_equal(store_events_after(c->st, "e1", 0, 100, &ev, &n, &err), STORE_OK);
	uint64_t last = ev[n - 1].seq;
	assert_string_equal(ev[0].action, "start");
	assert_string_equal(ev[n - 1].action, "request-input");
	record_event_array_free(ev, n);
	store *op = operator_handle(c->home);
	assert_int_equal(store_resume_task(op, "e1", "approve", "yes", 3, &err), STORE_OK);
	assert_int_equal(store_events_after(c->st, "e1", last, 100, &ev, &n, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].action, "resume-task");
	assert_string_equal(ev[0].actor, "alice");
	assert_string_equal(ev[0].task_id, "approve");
	assert_string_equal(ev[0].input_value.s, "true");
	record_event_array_free(ev, n);
	store_close(op);

	assert_int_equal(store_task_complete(c->st, "e1", "approve", &err), STORE_OK);
	assert_int_equal(store_exec_finish(c->st, "e1", EXEC_COMPLETE, &err), STORE_OK);
	assert_int_equal(store_get(c->st, "e1", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_COMPLETE);
	assert_non_null(e.end_timestamp);
	assert_int_equal(e.tasks_complete, 2);
	record_exec_free(&e);
	fx_verified(c->st);
}

/* The race of the issue: the engine read its execution, an operator
 * answered, then the engine wrote from its old picture. */
static void an_operator_resume_is_never_undone_by_the_engine(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "eng-1");
	store_task_begin(c->st, "eng-1", "build", &err);
	store_task_complete(c->st, "eng-1", "build", &err);
	store_task_begin(c->st, "eng-1", "approve", &err);
	store_input_request rq = { .prompt = "Ship it?", .type = INPUT_STRING, .required = true };
	assert_int_equal(store_task_request_input(c->st, "eng-1", "approve", &rq, &err), STORE_OK);
	store_item stale;
	assert_int_equal(store_get_item(c->st, "eng-1", &stale, &err), STORE_OK);

	store *op = operator_handle(c->home);
	assert_int_equal(store_resume_task(op, "eng-1", "approve", "yes", 3, &err), STORE_OK);

	/* the old way: save the whole execution with one more log line */
	stale.tasks[1].logs = calloc(1, sizeof *stale.tasks[1].logs);
	record_text_set(&stale.tasks[1].logs[0], "one more line", 13);
	stale.tasks[1].n_logs = 1;
	stale.tasks[1].log_count = 1;
	assert_int_equal(store_save(c->st, &stale, true, &err), STORE_INVALID_STATE);
	assert_non_null(strstr(err.msg, "changed since it was read"));
	/* the engine's calls from its old picture: asking again is refused */
	assert_int_equal(store_task_request_input(c->st, "eng-1", "approve", &rq, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "input for task 'approve' of execution 'eng-1' was already asked for and given: "
				     "use the answer");
	store_item_free(&stale);
	/* a log line is its own record: appending it changes nothing else */
	record_text line = { (char *)"one more line", 13 };
	assert_int_equal(store_task_log(c->st, "eng-1", "approve", &line, 1, NULL, &err), STORE_OK);
	record_task t;
	fx_task(c->st, "eng-1", "approve", &t);
	assert_int_equal(t.status, TASK_IN_PROGRESS);
	assert_true(t.has_input_value);
	assert_string_equal(t.input_value.s, "yes");
	record_task_free(&t);
	record_exec e;
	assert_int_equal(store_get(c->st, "eng-1", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_RUNNING);
	record_exec_free(&e);
	fx_verified(c->st);
	store_close(op);
}

static void an_engine_call_that_conflicts_changes_nothing(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "e2");
	assert_int_equal(store_task_begin(c->st, "e2", "build", &err), STORE_OK);
	store *op = operator_handle(c->home);
	assert_int_equal(store_pause_task(op, "e2", "build", &err), STORE_OK);
	uint64_t g0, g1;
	store_generation(c->st, &g0, &err);
	assert_int_equal(store_task_complete(c->st, "e2", "build", &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "task 'build' of execution 'e2' is waiting-for-input, not in-progress: it was "
				     "changed first (paused, or waiting for input)");
	assert_int_equal(store_task_fail(c->st, "e2", "build", "exit 1", &err), STORE_INVALID_STATE);
	assert_int_equal(store_task_begin(c->st, "e2", "build", &err), STORE_INVALID_STATE);
	assert_int_equal(store_exec_finish(c->st, "e2", EXEC_COMPLETE, &err), STORE_INVALID_STATE);
	store_generation(c->st, &g1, &err);
	assert_int_equal(g0, g1);
	record_task t;
	fx_task(c->st, "e2", "build", &t);
	assert_int_equal(t.status, TASK_WAITING);
	record_task_free(&t);
	/* resumed: the engine's complete now goes through */
	assert_int_equal(store_resume_task(op, "e2", "build", NULL, 0, &err), STORE_OK);
	assert_int_equal(store_task_complete(c->st, "e2", "build", &err), STORE_OK);
	/* a pending task an operator paused is held: it cannot begin */
	assert_int_equal(store_pause_task(op, "e2", "approve", &err), STORE_OK);
	assert_int_equal(store_task_begin(c->st, "e2", "approve", &err), STORE_INVALID_STATE);
	fx_verified(c->st);
	store_close(op);
}

static void failing_needs_a_reason_and_keeps_it(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "e3");
	store_task_begin(c->st, "e3", "build", &err);
	assert_int_equal(store_task_fail(c->st, "e3", "build", "", &err), STORE_INVALID_INPUT);
	assert_int_equal(store_task_fail(c->st, "e3", "build", "exit status 2", &err), STORE_OK);
	record_task t;
	fx_task(c->st, "e3", "build", &t);
	assert_int_equal(t.status, TASK_FAILED);
	assert_true(t.has_reason);
	assert_string_equal(t.reason.s, "exit status 2");
	record_task_free(&t);
	record_event *ev;
	size_t n;
	assert_int_equal(store_events_after(c->st, "e3", 0, 100, &ev, &n, &err), STORE_OK);
	assert_string_equal(ev[n - 1].action, "fail");
	assert_string_equal(ev[n - 1].reason.s, "exit status 2");
	record_event_array_free(ev, n);
	assert_int_equal(store_exec_finish(c->st, "e3", EXEC_FAILED, &err), STORE_OK);
	assert_int_equal(store_task_begin(c->st, "e3", "approve", &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "execution 'e3' is failed: it has ended");
	fx_verified(c->st);
}

/* A reason at the store's bound (64 KiB) arrives whole; one byte over is
 * refused, not cut. */
static void a_reason_of_64_kib_arrives_whole(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "e4");
	store_task_begin(c->st, "e4", "build", &err);
	char *reason = malloc(STORE_TEXT_MAX + 2);
	memset(reason, 'r', STORE_TEXT_MAX + 1);
	reason[STORE_TEXT_MAX + 1] = '\0';
	assert_int_equal(store_task_fail(c->st, "e4", "build", reason, &err), STORE_INVALID_INPUT);
	assert_string_equal(err.msg, "the reason is 65537 bytes: at most 65536");
	reason[STORE_TEXT_MAX] = '\0';
	assert_int_equal(store_task_fail(c->st, "e4", "build", reason, &err), STORE_OK);
	record_task t;
	fx_task(c->st, "e4", "build", &t);
	assert_int_equal(t.reason.len, STORE_TEXT_MAX);
	assert_memory_equal(t.reason.s, reason, STORE_TEXT_MAX);
	record_task_free(&t);
	free(reason);
	fx_verified(c->st);
}

static void a_failed_execution_fails_what_still_waits(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "e4");
	store_task_begin(c->st, "e4", "approve", &err);
	store_input_request rq = { .prompt = "Ship it?", .type = INPUT_STRING, .required = true };
	store_task_request_input(c->st, "e4", "approve", &rq, &err);
	assert_int_equal(store_exec_finish(c->st, "e4", EXEC_FAILED, &err), STORE_OK);
	record_task t;
	fx_task(c->st, "e4", "approve", &t);
	assert_int_equal(t.status, TASK_FAILED);
	record_task_free(&t);
	record_exec e;
	store_get(c->st, "e4", &e, &err);
	assert_int_equal(e.status, EXEC_FAILED);
	assert_false(e.is_paused);
	assert_null(e.paused_task_id);
	record_exec_free(&e);
	fx_verified(c->st);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void a_hundred_thousand_log_lines_read_newest_first(void **state)
{
	ctx *c = *state;
	store_err err;
	store_close(c->st);
	c->st = fx_open(c->home, STORE_OPEN_NO_SYNC);
	start(c->st, "e5");
	store_task_begin(c->st, "e5", "build", &err);
	enum { BATCH = 500, TOTAL = 100000 };
	static char buf[BATCH][32];
	record_text lines[BATCH];
	double first = 0, last = 0;
	for (size_t done = 0; done < TOTAL; done += BATCH) {
		for (size_t i = 0; i < BATCH; i++) {
			lines[i].len = (size_t)snprintf(buf[i], sizeof buf[i], "line %zu", done + i);
			lines[i].s = buf[i];
		}
		uint64_t count;
		double t0 = now_s();
		assert_int_equal(store_task_log(c->st, "e5", "build", lines, BATCH, &count, &err), STORE_OK);
		double dt = now_s() - t0;
		if (done < 10 * BATCH)
			first += dt;
		if (done >= TOTAL - 10 * BATCH)
			last += dt;
		assert_int_equal(count, done + BATCH);
	}
	/* flat: the last batches cost about what the first did (generously:
	 * the machine is noisy; a log inside the task record grows 200 times) */
	assert_true(last < first * 8 + 0.05);
	store_item it;
	assert_int_equal(store_get_item(c->st, "e5", &it, &err), STORE_OK);
	assert_int_equal(it.tasks[0].log_count, TOTAL);
	assert_int_equal(it.tasks[0].n_logs, 1000);
	assert_string_equal(it.tasks[0].logs[0].s, "line 99000");
	assert_string_equal(it.tasks[0].logs[999].s, "line 99999");
	/* such a copy cannot replace the execution: it would lose lines */
	assert_int_equal(store_save(c->st, &it, true, &err), STORE_INVALID_INPUT);
	store_item_free(&it);
	record_text *v;
	size_t n;
	uint64_t total;
	assert_int_equal(store_task_logs(c->st, "e5", "build", 10, 5, &v, &n, &total, &err), STORE_OK);
	assert_int_equal(n, 5);
	assert_int_equal(total, TOTAL);
	assert_string_equal(v[0].s, "line 10");
	for (size_t i = 0; i < n; i++)
		record_text_free(&v[i]);
	free(v);
	assert_int_equal(store_delete(c->st, "e5", &err), STORE_OK);
	assert_int_equal(store_task_logs(c->st, "e5", "build", 0, 5, &v, &n, &total, &err), STORE_NOT_FOUND);
	fx_verified(c->st);
}

/* The engine's connection is its lease: a second engine is refused while
 * the first lives, and the execution shows detached once it is gone. */
static void attachment_is_a_lease(void **state)
{
	ctx *c = *state;
	store_err err;
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
		close(ready[0]);
		store *st = fx_open(c->home, 0);
		store_err e2;
		start(st, "e6");
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		(void)e2;
		_exit(0);
	}
	close(ready[1]);
	char x;
	assert_int_equal(read(ready[0], &x, 1), 1); /* 0: the child failed */
	record_exec e;
	assert_int_equal(store_get(c->st, "e6", &e, &err), STORE_OK);
	assert_true(e.engine_attached);
	assert_int_equal(e.engine_pid, (uint64_t)pid);
	record_exec_free(&e);
	assert_int_equal(store_attach(c->st, "e6", &err), STORE_INVALID_STATE);
	assert_non_null(strstr(err.msg, "driven by another engine"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	bool detached = false;
	for (int i = 0; i < 200 && !detached; i++) {
		assert_int_equal(store_get(c->st, "e6", &e, &err), STORE_OK);
		detached = !e.engine_attached && e.engine_pid == (uint64_t)pid;
		record_exec_free(&e);
		if (!detached)
			usleep(10000);
	}
	assert_true(detached);
	/* the list says so too */
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	assert_int_equal(store_list(c->st, -1, &cur, 10, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_false(v[0].engine_attached);
	record_exec_array_free(v, n);
	/* another engine takes it over */
	assert_int_equal(store_attach(c->st, "e6", &err), STORE_OK);
	cur.len = 0;
	cur.done = false;
	assert_int_equal(store_list(c->st, -1, &cur, 10, &v, &n, &err), STORE_OK);
	assert_true(v[0].engine_attached);
	assert_int_equal(v[0].engine_pid, (uint64_t)getpid());
	record_exec_array_free(v, n);
	close(ready[0]);
}

/* After the server restarts, the library takes up its leases again. */
static void a_lease_survives_a_server_restart(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "e7");
	bool was;
	assert_int_equal(store_server_stop(c->home, &was, &err), STORE_OK);
	assert_true(was);
	/* the next call reconnects (starting a server) and attaches again */
	assert_int_equal(store_task_begin(c->st, "e7", "build", &err), STORE_OK);
	store *other = fx_open(c->home, 0);
	record_exec e;
	assert_int_equal(store_get(other, "e7", &e, &err), STORE_OK);
	assert_true(e.engine_attached);
	record_exec_free(&e);
	store_close(other);
}

static void start_refuses_a_taken_id_and_a_bad_definition(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "e8");
	store_item def;
	definition(&def, "e8");
	assert_int_equal(store_exec_start(c->st, &def, &err), STORE_EXISTS);
	assert_string_equal(err.msg, "execution 'e8' already exists (status: running): choose another id");
	free(def.exec.task_ids[1]);
	def.exec.task_ids[1] = strdup("build");
	free(def.exec.id);
	def.exec.id = strdup("e9");
	assert_int_equal(store_exec_start(c->st, &def, &err), STORE_INVALID_INPUT);
	store_item_free(&def);
	assert_int_equal(store_get(c->st, "e9", &(record_exec){ 0 }, &err), STORE_NOT_FOUND);
}

static void reject_fails_a_waiting_task_and_cancel_fails_the_rest(void **state)
{
	ctx *c = *state;
	store_err err;
	start(c->st, "r1");
	store_task_begin(c->st, "r1", "build", &err);
	store *op = operator_handle(c->home);
	/* only a waiting task can be rejected, and only with a reason */
	assert_int_equal(store_task_reject(op, "r1", "build", "no", &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "task 'build' is not waiting for input (status: in-progress): only a waiting task "
				     "can be rejected");
	assert_int_equal(store_pause_task(op, "r1", "approve", &err), STORE_OK);
	assert_int_equal(store_task_reject(op, "r1", "approve", "", &err), STORE_INVALID_INPUT);
	assert_int_equal(store_task_reject(op, "r1", "approve", "not this week", &err), STORE_OK);
	record_task t;
	fx_task(c->st, "r1", "approve", &t);
	assert_int_equal(t.status, TASK_FAILED);
	assert_string_equal(t.reason.s, "not this week");
	record_task_free(&t);
	record_exec e;
	store_get(c->st, "r1", &e, &err);
	assert_int_equal(e.status, EXEC_RUNNING); /* nothing else waits: its engine fails it */
	record_exec_free(&e);
	record_event *ev;
	size_t n;
	assert_int_equal(store_events(c->st, "r1", 0, 1, &ev, &n, &err), STORE_OK);
	assert_string_equal(ev[0].action, "reject");
	assert_string_equal(ev[0].actor, "alice");
	assert_string_equal(ev[0].reason.s, "not this week");
	record_event_array_free(ev, n);
	fx_verified(c->st);

	/* cancel: every task not ended fails with the execution, at once */
	start(c->st, "c1");
	store_task_begin(c->st, "c1", "build", &err);
	assert_int_equal(store_exec_cancel(op, "c1", "", &err), STORE_INVALID_INPUT);
	assert_int_equal(store_exec_cancel(op, "c1", "wrong branch", &err), STORE_OK);
	store_get(c->st, "c1", &e, &err);
	assert_int_equal(e.status, EXEC_FAILED);
	assert_non_null(e.end_timestamp);
	record_exec_free(&e);
	fx_task(c->st, "c1", "build", &t);
	assert_int_equal(t.status, TASK_FAILED);
	assert_string_equal(t.reason.s, "wrong branch");
	record_task_free(&t);
	fx_task(c->st, "c1", "approve", &t);
	assert_int_equal(t.status, TASK_FAILED);
	record_task_free(&t);
	/* the engine's next call is refused: the execution has ended */
	assert_int_equal(store_task_complete(c->st, "c1", "build", &err), STORE_INVALID_STATE);
	assert_int_equal(store_exec_cancel(op, "c1", "again", &err), STORE_INVALID_STATE);
	fx_verified(c->st);
	store_close(op);
	/* read-only refuses both */
	store *ro = fx_open(c->home, STORE_OPEN_READ_ONLY);
	assert_int_equal(store_exec_cancel(ro, "r1", "x", &err), STORE_READ_ONLY);
	store_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(an_execution_runs_from_start_to_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(an_operator_resume_is_never_undone_by_the_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(an_engine_call_that_conflicts_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(failing_needs_a_reason_and_keeps_it, setup, teardown),
		cmocka_unit_test_setup_teardown(a_reason_of_64_kib_arrives_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_execution_fails_what_still_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(a_hundred_thousand_log_lines_read_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(attachment_is_a_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(a_lease_survives_a_server_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(start_refuses_a_taken_id_and_a_bad_definition, setup, teardown),
		cmocka_unit_test_setup_teardown(reject_fails_a_waiting_task_and_cancel_fails_the_rest, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
