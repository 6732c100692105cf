/* test_procs.c - libseestore across processes: restarts, read-only openers,
 * concurrent writers, a server killed with SIGKILL, a client stopped.
 *
 * Children never call cmocka: they check by hand and report through their
 * exit status, which the parent asserts. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures.h"
#include "forge.h"
#include "store.h"

static const task_status WAIT1[] = { TASK_WAITING };
static const task_status RUN1[] = { TASK_IN_PROGRESS };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define CHILD_CHECK(cond, code)                                                                 \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "child %d: %s:%d: %s\n", (int)getpid(), __FILE__, __LINE__, #cond); \
			_exit(code);                                                            \
		}                                                                               \
	} while (0)

static int wait_child(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static store *child_open(const char *home, unsigned flags)
{
	store *st;
	store_err err;
	if (store_open(home, flags & STORE_OPEN_READ_ONLY ? flags : flags | STORE_OPEN_CREATE, &st, &err)) {
		fprintf(stderr, "child: %s\n", err.msg);
		_exit(90);
	}
	store_set_actor(st, "child");
	return st;
}

/* ---- the plan's restart test ---- */

static void paused_survives_a_restart_and_resumes_after_it(void **state)
{
	(void)state;
	char *home = fx_tmpdir();
	pid_t pid = fork();
	if (pid == 0) {
		store *st = child_open(home, 0);
		store_item it;
		store_err err;
		fx_item(&it, "test-waiting", "2024-12-19T10:00:00Z", 1, RUN1);
		CHILD_CHECK(store_save(st, &it, false, &err) == STORE_OK, 1);
		if (store_pause_task(st, "test-waiting", "task1", &err)) { fprintf(stderr, "pause: %s\n", err.msg); _exit(2); }
		store_close(st);
		_exit(0);
	}
	assert_int_equal(wait_child(pid), 0);
	pid = fork();
	if (pid == 0) {
		store *st = child_open(home, 0);
		store_err err;
		record_exec e;
		CHILD_CHECK(store_get(st, "test-waiting", &e, &err) == STORE_OK, 1);
		CHILD_CHECK(e.is_paused && e.status == EXEC_WAITING, 2);
		CHILD_CHECK(e.paused_task_id && strcmp(e.paused_task_id, "task1") == 0, 3);
		record_exec_free(&e);
		CHILD_CHECK(store_resume_workflow(st, "test-waiting", &err) == STORE_OK, 4);
		store_close(st);
		_exit(0);
	}
	assert_int_equal(wait_child(pid), 0);
	store *st = fx_open(home, 0);
	record_exec e;
	store_err err;
	assert_int_equal(store_get(st, "test-waiting", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_RUNNING);
	assert_false(e.is_paused);
	assert_null(e.paused_task_id);
	record_exec_free(&e);
	fx_verified(st);
	store_close(st);
	fx_rmtree(home);
	free(home);
}

/* ---- read-only ---- */

static void read_only_refuses_every_change(void **state)
{
	(void)state;
	char *home = fx_tmpdir();
	store *st = fx_open(home, 0);
	store_err err;
	fx_save(st, "wf", "2024-12-19T10:00:00Z", 1, WAIT1);
	pid_t pid = fork();
	if (pid == 0) {
		store *ro = child_open(home, STORE_OPEN_READ_ONLY);
		store_item it;
		fx_item(&it, "new", "2024-12-19T10:00:00Z", 1, RUN1);
		CHILD_CHECK(store_is_read_only(ro), 1);
		CHILD_CHECK(store_save(ro, &it, false, &err) == STORE_READ_ONLY, 2);
		CHILD_CHECK(strcmp(err.msg, "store is open read-only") == 0, 3);
		CHILD_CHECK(store_pause_task(ro, "wf", "task1", &err) == STORE_READ_ONLY, 4);
		CHILD_CHECK(store_resume_task(ro, "wf", "task1", NULL, 0, &err) == STORE_READ_ONLY, 5);
		CHILD_CHECK(store_resume_workflow(ro, "wf", &err) == STORE_READ_ONLY, 6);
		CHILD_CHECK(store_delete(ro, "wf", &err) == STORE_READ_ONLY, 7);
		CHILD_CHECK(store_checkpoint(ro, &err) == STORE_READ_ONLY, 8);
		record_exec e;
		CHILD_CHECK(store_get(ro, "wf", &e, &err) == STORE_OK && e.status == EXEC_WAITING, 9);
		record_exec_free(&e);
		store_item_free(&it);
		store_close(ro);
		_exit(0);
	}
	assert_int_equal(wait_child(pid), 0);
	record_exec e;
	assert_int_equal(store_get(st, "wf", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_WAITING);
	record_exec_free(&e);
	store_close(st);
	/* read-only never creates a home */
	char missing[4200];
	snprintf(missing, sizeof missing, "%s/none", home);
	assert_int_equal(store_open(missing, STORE_OPEN_READ_ONLY, &st, &err), STORE_NOT_FOUND);
	assert_non_null(strstr(err.msg, "no store in"));
	fx_rmtree(home);
	free(home);
}

/* ---- two writers ---- */

#define TASKS_PER_WRITER 8
#define ROUNDS 25

/* Each writer pauses and resumes its own tasks of one shared execution: every
 * operation rewrites the execution record, so a lost update would leave
 * is_paused or paused_task_id disagreeing with the tasks (verify finds it),
 * and the audit trail would not hold every operation. */
static int writer(const char *home, int which)
{
	store *st = child_open(home, 0);
	store_err err;
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < TASKS_PER_WRITER; k++) {
			char tid[32];
			snprintf(tid, sizeof tid, "task%d", which * TASKS_PER_WRITER + k + 1);
			if (store_pause_task(st, "shared", tid, &err)) {
				fprintf(stderr, "writer %d: pause: %s\n", which, err.msg);
				return 1;
			}
			if (store_resume_task(st, "shared", tid, NULL, 0, &err)) {
				fprintf(stderr, "writer %d: resume: %s\n", which, err.msg);
				return 2;
			}
		}
	store_close(st);
	return 0;
}

static void two_writers_lose_no_update(void **state)
{
	(void)state;
	char *home = fx_tmpdir();
	store *st = fx_open(home, 0);
	task_status ts[2 * TASKS_PER_WRITER];
	for (int i = 0; i < 2 * TASKS_PER_WRITER; i++)
		ts[i] = TASK_IN_PROGRESS;
	fx_save(st, "shared", "2024-12-19T10:00:00Z", 2 * TASKS_PER_WRITER, ts);
	store_close(st);
	pid_t a = fork();
	if (a == 0)
		_exit(writer(home, 0));
	pid_t b = fork();
	if (b == 0)
		_exit(writer(home, 1));
	assert_int_equal(wait_child(a), 0);
	assert_int_equal(wait_child(b), 0);
	st = fx_open(home, 0);
	store_err err;
	fx_verified(st);
	record_exec e;
	assert_int_equal(store_get(st, "shared", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_RUNNING);
	record_exec_free(&e);
	record_event *ev;
	size_t n;
	assert_int_equal(store_events(st, "shared", 0, 100000, &ev, &n, &err), STORE_OK);
	assert_int_equal(n, 2 * 2 * TASKS_PER_WRITER * ROUNDS + 1); /* every op, and the save */
	record_event_array_free(ev, n);
	store_close(st);
	fx_rmtree(home);
	free(home);
}

/* ---- the server killed, a client stopped ---- */

static void a_killed_server_is_restarted_and_loses_nothing(void **state)
{
	(void)state;
	char *home = fx_tmpdir();
	store *st = fx_open(home, 0);
	fx_save(st, "wf", "2024-12-19T10:00:00Z", 1, RUN1);
	store_err err;
	store_server_info info;
	assert_int_equal(store_server_status(st, &info, &err), STORE_OK);
	assert_true(info.pid > 0);
	assert_int_equal(kill((pid_t)info.pid, SIGKILL), 0);
	/* the same handle reconnects, starting a new server, which recovers */
	double t0 = now_s();
	assert_int_equal(store_pause_task(st, "wf", "task1", &err), STORE_OK);
	assert_true(now_s() - t0 < 5.0);
	store_server_info again;
	assert_int_equal(store_server_status(st, &again, &err), STORE_OK);
	assert_true(again.pid != info.pid);
	record_exec e;
	assert_int_equal(store_get(st, "wf", &e, &err), STORE_OK);
	assert_int_equal(e.status, EXEC_WAITING);
	record_exec_free(&e);
	record_event *ev;
	size_t n;
	assert_int_equal(store_events(st, "wf", 0, 100, &ev, &n, &err), STORE_OK);
	assert_int_equal(n, 2); /* the save and one pause */
	record_event_array_free(ev, n);
	fx_verified(st);
	store_close(st);
	fx_rmtree(home);
	free(home);
}

static void a_stopped_client_stops_no_one(void **state)
{
	(void)state;
	char *home = fx_tmpdir();
	store *st = fx_open(home, 0);
	fx_save(st, "wf", "2024-12-19T10:00:00Z", 1, RUN1);
	fx_save(st, "other", "2024-12-19T11:00:00Z", 1, RUN1);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t stopped = fork();
	if (stopped == 0) {
		store *w = child_open(home, 0);
		store_err e2;
		CHILD_CHECK(store_pause_task(w, "wf", "task1", &e2) == STORE_OK, 1);
		CHILD_CHECK(write(fds[1], "x", 1) == 1, 2);
		for (;;) /* changes as fast as it can until it is stopped */
			if (store_resume_workflow(w, "wf", &e2) == STORE_OK)
				store_pause_task(w, "wf", "task1", &e2);
	}
	char x;
	assert_int_equal(read(fds[0], &x, 1), 1);
	assert_int_equal(kill(stopped, SIGSTOP), 0);
	double t0 = now_s();
	store_err err;
	assert_int_equal(store_pause_task(st, "other", "task1", &err), STORE_OK);
	store *ro = fx_open(home, STORE_OPEN_READ_ONLY);
	uint64_t counts[EXEC_STATUS_COUNT];
	assert_int_equal(store_counts(ro, counts, NULL, &err), STORE_OK);
	assert_true(now_s() - t0 < 1.0);
	store_close(ro);
	kill(stopped, SIGKILL);
	assert_int_equal(wait_child(stopped), 128 + SIGKILL);
	fx_verified(st);
	store_close(st);
	close(fds[0]);
	close(fds[1]);
	fx_rmtree(home);
	free(home);
}

/* ---- pushes and store_wait ---- */

static void a_watcher_is_pushed_what_changed(void **state)
{
	(void)state;
	char *home = fx_tmpdir();
	store *st = fx_open(home, 0);
	fx_save(st, "wf", "2024-12-19T10:00:00Z", 1, RUN1);
	store *watcher = fx_open(home, STORE_OPEN_READ_ONLY);
	store_err err;
	int fd;
	assert_int_equal(store_watch(watcher, &fd, &err), STORE_OK);
	assert_true(fd >= 0);
	uint64_t gen0;
	assert_int_equal(store_generation(watcher, &gen0, &err), STORE_OK);
	pid_t writer = fork();
	if (writer == 0) {
		store *w = child_open(home, 0);
		store_err e2;
		CHILD_CHECK(store_pause_task(w, "wf", "task1", &e2) == STORE_OK, 1);
		store_close(w);
		_exit(0);
	}
	assert_int_equal(wait_child(writer), 0);
	struct pollfd p = { fd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 2000), 1);
	store_push push;
	assert_int_equal(store_watch_read(watcher, &push, &err), STORE_OK);
	assert_true(push.pushed);
	assert_true(push.generation > gen0);
	assert_false(push.all);
	assert_int_equal(push.n_ids, 1);
	assert_string_equal(push.ids[0], "wf");
	/* nothing more until the next change */
	assert_int_equal(poll(&p, 1, 200), 0);
	store_close(watcher);
	store_close(st);
	fx_rmtree(home);
	free(home);
}

static void store_wait_returns_when_the_generation_passes(void **state)
{
	(void)state;
	char *home = fx_tmpdir();
	store *st = fx_open(home, 0);
	fx_save(st, "wf", "2024-12-19T10:00:00Z", 1, RUN1);
	store_err err;
	uint64_t gen0, gen;
	assert_int_equal(store_generation(st, &gen0, &err), STORE_OK);
	/* nothing changes: the wait ends at its timeout with the same generation */
	double t0 = now_s();
	assert_int_equal(store_wait(st, gen0, 300, &gen, &err), STORE_OK);
	assert_int_equal(gen, gen0);
	assert_true(now_s() - t0 >= 0.25);
	pid_t writer = fork();
	if (writer == 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		store *w = child_open(home, 0);
		store_err e2;
		CHILD_CHECK(store_pause_task(w, "wf", "task1", &e2) == STORE_OK, 1);
		store_close(w);
		_exit(0);
	}
	t0 = now_s();
	assert_int_equal(store_wait(st, gen0, 10000, &gen, &err), STORE_OK);
	assert_true(gen > gen0);
	assert_true(now_s() - t0 < 5.0);
	assert_int_equal(wait_child(writer), 0);
	store_close(st);
	fx_rmtree(home);
	free(home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paused_survives_a_restart_and_resumes_after_it),
		cmocka_unit_test(read_only_refuses_every_change),
		cmocka_unit_test(two_writers_lose_no_update),
		cmocka_unit_test(a_killed_server_is_restarted_and_loses_nothing),
		cmocka_unit_test(a_stopped_client_stops_no_one),
		cmocka_unit_test(a_watcher_is_pushed_what_changed),
		cmocka_unit_test(store_wait_returns_when_the_generation_passes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
