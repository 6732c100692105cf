/* engine.c - the engine's side against SQLite doing the same work, in the
 * same run (figures 7-9 of make bench):
 *
 *  7. resume latency: from an operator's resume to seerun beginning the
 *     next task (its "begin" event), median of RUNS; and the CPU a seerun
 *     uses while it waits for input (no polling: target under 0.1%);
 *  8. log appends without fsync into one task, 100,000 lines in batches of
 *     100 (as seerun flushes), lines/s overall and the last 10,000 against
 *     the first (flat); SQLite: an append-only table keyed by (task, line),
 *     WAL, synchronous=OFF, one transaction per batch;
 *  9. task transitions (begin + complete), durable, 8 engine processes;
 *     SQLite: 8 processes, one transaction per transition doing the same
 *     compare-and-set UPDATE and an audit row, WAL, synchronous=FULL. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define RUNS 15
#define LINES 100000
#define BATCH 100
#define PROCS 8
#define TASKS_PER_PROC 150

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench-engine: %s: %s\n", what, msg);
	exit(3);
}

static int rm_one(const char *p, const struct stat *sb, int f, struct FTW *ftw)
{
	(void)sb;
	(void)f;
	(void)ftw;
	return remove(p);
}

static void rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static store *open_home(const char *home, unsigned flags)
{
	store *st;
	store_err err;
	if (store_open(home, flags | STORE_OPEN_CREATE, &st, &err))
		die(home, err.msg);
	store_set_actor(st, "bench");
	return st;
}

static void check(store_code c, const store_err *err, const char *what)
{
	if (c)
		die(what, err->msg);
}

/* An execution of n tasks named t0..tn-1, started through the engine API. */
static void start_exec(store *st, const char *id, size_t n)
{
	store_item it;
	memset(&it, 0, sizeof it);
	it.exec.id = strdup(id);
	record_text_set(&it.exec.workflow_name, "bench", 5);
	it.exec.task_ids = calloc(n, sizeof *it.exec.task_ids);
	it.tasks = calloc(n, sizeof *it.tasks);
	for (size_t i = 0; i < n; i++) {
		char tid[32];
		snprintf(tid, sizeof tid, "t%zu", i);
		it.exec.task_ids[i] = strdup(tid);
		it.tasks[i].execution_id = strdup(id);
		it.tasks[i].task_id = strdup(tid);
		record_text_set(&it.tasks[i].task_name, tid, strlen(tid));
		record_text_set(&it.tasks[i].input_prompt, "", 0);
	}
	it.exec.n_task_ids = it.n_tasks = n;
	store_err err;
	check(store_exec_start(st, &it, &err), &err, "start");
	store_item_free(&it);
}

/* ---- 7. resume latency ---- */

static int64_t parse_us(const char *ts)
{
	int64_t us = 0;
	record_timestamp_parse(ts, &us);
	return us;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, stt = 0;
	if (p)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt);
	return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

static void figure7(const char *seerun, const char *dir)
{
	char home[4200], wf[4200];
	snprintf(home, sizeof home, "%s/latency", dir);
	snprintf(wf, sizeof wf, "%s/ask.json", dir);
	mkdir(home, 0700);
	FILE *f = fopen(wf, "w");
	if (!f)
		die(wf, strerror(errno));
	fputs("{\"id\":\"ask\",\"name\":\"ask then run\",\"tasks\":[{\"id\":\"ask\",\"name\":\"Ask\","
	      "\"function\":{\"name\":\"user_input\",\"input\":{\"prompt\":\"go?\",\"input_type\":\"string\","
	      "\"required\":false}},\"next_tasks\":[{\"id\":\"next\",\"name\":\"Next\",\"function\":{\"name\":"
	      "\"cli_command\",\"input\":{\"command\":\"true\"}}}]}]}\n",
	      f);
	fclose(f);
	store *st = open_home(home, 0);
	double lat[RUNS], cpu_share = -1;
	for (int r = 0; r < RUNS; r++) {
		char id[32];
		snprintf(id, sizeof id, "lat-%d", r);
		pid_t pid = fork();
		if (pid == 0) {
			int devnull = open("/dev/null", O_RDWR);
			dup2(devnull, 1);
			dup2(devnull, 2);
			execl(seerun, "seerun", "--home", home, "--id", id, wf, (char *)NULL);
			_exit(127);
		}
		store_err err;
		record_exec e;
		for (int i = 0;; i++) {
			if (store_get(st, id, &e, &err) == STORE_OK) {
				bool waiting = e.status == EXEC_WAITING;
				record_exec_free(&e);
				if (waiting)
					break;
			}
			if (i > 2000)
				die(id, "seerun never asked for input");
			usleep(5000);
		}
		if (r == 0) {
			/* an engine waiting for input: what it costs */
			double c0 = proc_cpu_s(pid), t0 = now();
			sleep(3);
			cpu_share = (proc_cpu_s(pid) - c0) / (now() - t0);
		}
		record_event *ev;
		size_t n;
		uint64_t seq = 0;
		check(store_events(st, id, 0, 1, &ev, &n, &err), &err, "events");
		seq = n ? ev[0].seq : 0;
		record_event_array_free(ev, n);
		int64_t t0 = wall_us();
		check(store_resume_task(st, id, "ask", "go", 2, &err), &err, "resume");
		int64_t began = 0;
		while (!began) {
			uint64_t gen;
			check(store_events_after(st, id, seq, 100, &ev, &n, &err), &err, "events after");
			for (size_t k = 0; k < n; k++) {
				seq = ev[k].seq;
				if (strcmp(ev[k].action, "begin") == 0 && ev[k].task_id && strcmp(ev[k].task_id, "next") == 0)
					began = parse_us(ev[k].time);
			}
			record_event_array_free(ev, n);
			if (!began)
				store_wait(st, 0, 50, &gen, &err);
		}
		lat[r] = (double)(began - t0) / 1000.0;
		waitpid(pid, NULL, 0);
	}
	store_close(st);
	qsort(lat, RUNS, sizeof *lat, cmp_double);
	printf("%-9s %-44s %11.1fms %14s %8s  %s (min %.1f, max %.1f)\n", "-", "7. resume to the next task beginning (median)",
	       lat[RUNS / 2], "-", "-", "< 50 ms", lat[0], lat[RUNS - 1]);
	printf("%-9s %-44s %11.3f%% %14s %8s  %s\n", "-", "7b. CPU of a seerun waiting for input", cpu_share * 100, "-", "-",
	       "< 0.1 %");
}

static double median3(double a, double b, double c)
{
	return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

/* ---- 8. log appends ---- */

static void lines_batch(record_text *v, char (*buf)[48], size_t first)
{
	for (size_t i = 0; i < BATCH; i++) {
		v[i].len = (size_t)snprintf(buf[i], sizeof buf[i], "2026-11-27T07:00:00Z compile step %zu ok", first + i);
		v[i].s = buf[i];
	}
}

static void figure8(const char *dir)
{
	char home[4200], db[4200];
	snprintf(home, sizeof home, "%s/logs", dir);
	snprintf(db, sizeof db, "%s/logs.sqlite", dir);
	mkdir(home, 0700);
	static char buf[BATCH][48];
	record_text v[BATCH];
	store *st = open_home(home, STORE_OPEN_NO_SYNC);
	start_exec(st, "logs", 1);
	store_err err;
	check(store_task_begin(st, "logs", "t0", &err), &err, "begin");
	double t0 = now(), win[LINES / 10000], mark = t0;
	for (size_t done = 0; done < LINES; done += BATCH) {
		lines_batch(v, buf, done);
		check(store_task_log(st, "logs", "t0", v, BATCH, NULL, &err), &err, "log");
		if ((done + BATCH) % 10000 == 0) {
			win[(done + BATCH) / 10000 - 1] = now() - mark;
			mark = now();
		}
	}
	if (getenv("BENCH_VERBOSE"))
		for (size_t i = 0; i < LINES / 10000; i++)
			fprintf(stderr, "lines %zu-%zu: %.3f s\n", i * 10000, (i + 1) * 10000, win[i]);
	/* the median of three windows at each end: one window is 30 ms, and a
	 * single scheduling hiccup on a small machine would be the whole figure */
	size_t nw = LINES / 10000;
	double first10 = median3(win[0], win[1], win[2]), last10 = median3(win[nw - 3], win[nw - 2], win[nw - 1]);
	double see = (double)LINES / (now() - t0);
	store_close(st);

	sqlite3 *q;
	if (sqlite3_open(db, &q) != SQLITE_OK)
		die(db, sqlite3_errmsg(q));
	sqlite3_exec(q, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	sqlite3_exec(q, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
	sqlite3_exec(q, "CREATE TABLE logs(task TEXT, line INTEGER, text BLOB, PRIMARY KEY(task, line)) WITHOUT ROWID",
		     NULL, NULL, NULL);
	sqlite3_stmt *ins;
	sqlite3_prepare_v2(q, "INSERT INTO logs VALUES('logs/t0', ?, ?)", -1, &ins, NULL);
	t0 = now();
	for (size_t done = 0; done < LINES; done += BATCH) {
		lines_batch(v, buf, done);
		sqlite3_exec(q, "BEGIN", NULL, NULL, NULL);
		for (size_t i = 0; i < BATCH; i++) {
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)(done + i));
			sqlite3_bind_blob(ins, 2, v[i].s, (int)v[i].len, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die("insert", sqlite3_errmsg(q));
			sqlite3_reset(ins);
		}
		sqlite3_exec(q, "COMMIT", NULL, NULL, NULL);
	}
	double sql = (double)LINES / (now() - t0);
	sqlite3_finalize(ins);
	sqlite3_close(q);
	printf("%-9d %-44s %10.0f/s %10.0f/s %8.2f  %s\n", LINES, "8. log lines appended, no fsync (batches of 100)", see, sql,
	       see / sql, ">= 50000/s");
	printf("%-9d %-44s %11.2fx %14s %8s  %s\n", LINES, "8b. last 10k lines vs the first 10k (median of 3)", last10 / first10,
	       "-", "-", "flat (about 1)");
}

/* ---- 9. task transitions, 8 engine processes ---- */

static void see_transitions(const char *home, int w)
{
	store *st = open_home(home, 0);
	char id[32];
	snprintf(id, sizeof id, "tr-%d", w);
	start_exec(st, id, TASKS_PER_PROC);
	store_err err;
	for (int i = 0; i < TASKS_PER_PROC; i++) {
		char tid[32];
		snprintf(tid, sizeof tid, "t%d", i);
		check(store_task_begin(st, id, tid, &err), &err, "begin");
		check(store_task_complete(st, id, tid, &err), &err, "complete");
	}
	store_close(st);
}

static void sql_transitions(const char *path, int w)
{
	sqlite3 *q;
	if (sqlite3_open(path, &q) != SQLITE_OK)
		die(path, sqlite3_errmsg(q));
	sqlite3_busy_timeout(q, 30000);
	sqlite3_exec(q, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
	sqlite3_stmt *up, *ev;
	if (sqlite3_prepare_v2(q, "UPDATE tasks SET status=?, changed=strftime('%Y-%m-%dT%H:%M:%f','now') "
				  "WHERE exec=? AND task=? AND status=?", -1, &up, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q, "INSERT INTO events(exec, task, action, before, after) VALUES(?,?,?,?,?)", -1, &ev,
			       NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(q));
	char id[32];
	snprintf(id, sizeof id, "tr-%d", w);
	static const char *const steps[2][3] = { { "begin", "pending", "in-progress" },
						 { "complete", "in-progress", "complete" } };
	for (int i = 0; i < TASKS_PER_PROC; i++) {
		char tid[32];
		snprintf(tid, sizeof tid, "t%d", i);
		for (int s = 0; s < 2; s++) {
			while (sqlite3_exec(q, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_BUSY)
				;
			sqlite3_bind_text(up, 1, steps[s][2], -1, SQLITE_STATIC);
			sqlite3_bind_text(up, 2, id, -1, SQLITE_STATIC);
			sqlite3_bind_text(up, 3, tid, -1, SQLITE_STATIC);
			sqlite3_bind_text(up, 4, steps[s][1], -1, SQLITE_STATIC);
			if (sqlite3_step(up) != SQLITE_DONE || sqlite3_changes(q) != 1)
				die("update", sqlite3_errmsg(q));
			sqlite3_reset(up);
			for (int k = 0; k < 5; k++)
				sqlite3_bind_text(ev, k + 1, k == 0 ? id : k == 1 ? tid : steps[s][k - 2], -1, SQLITE_STATIC);
			if (sqlite3_step(ev) != SQLITE_DONE)
				die("insert", sqlite3_errmsg(q));
			sqlite3_reset(ev);
			if (sqlite3_exec(q, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
				die("commit", sqlite3_errmsg(q));
		}
	}
	sqlite3_finalize(up);
	sqlite3_finalize(ev);
	sqlite3_close(q);
}

static double run_procs(void (*fn)(const char *, int), const char *path)
{
	double t0 = now();
	pid_t pids[PROCS];
	for (int w = 0; w < PROCS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			fn(path, w);
			_exit(0);
		}
	}
	int bad = 0;
	for (int w = 0; w < PROCS; w++) {
		int ws;
		waitpid(pids[w], &ws, 0);
		bad |= !WIFEXITED(ws) || WEXITSTATUS(ws) != 0;
	}
	if (bad)
		die("transitions", "a worker failed");
	return (double)(PROCS * TASKS_PER_PROC * 2) / (now() - t0);
}

static void figure9(const char *dir)
{
	char home[4200], db[4200];
	snprintf(home, sizeof home, "%s/transitions", dir);
	snprintf(db, sizeof db, "%s/transitions.sqlite", dir);
	mkdir(home, 0700);
	store *st = open_home(home, 0); /* the server, started once */
	sqlite3 *q;
	if (sqlite3_open(db, &q) != SQLITE_OK)
		die(db, sqlite3_errmsg(q));
	sqlite3_exec(q, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	sqlite3_exec(q, "CREATE TABLE tasks(exec TEXT, task TEXT, status TEXT, changed TEXT, PRIMARY KEY(exec, task)) "
			"WITHOUT ROWID; CREATE TABLE events(seq INTEGER PRIMARY KEY, exec TEXT, task TEXT, action TEXT, "
			"before TEXT, after TEXT); CREATE INDEX ev_exec ON events(exec, seq)",
		     NULL, NULL, NULL);
	sqlite3_exec(q, "BEGIN", NULL, NULL, NULL);
	for (int w = 0; w < PROCS; w++)
		for (int i = 0; i < TASKS_PER_PROC; i++) {
			char sql[200];
			snprintf(sql, sizeof sql, "INSERT INTO tasks VALUES('tr-%d','t%d','pending','')", w, i);
			sqlite3_exec(q, sql, NULL, NULL, NULL);
		}
	sqlite3_exec(q, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(q);
	double see = run_procs(see_transitions, home);
	double sql = run_procs(sql_transitions, db);
	store_close(st);
	printf("%-9d %-44s %10.0f/s %10.0f/s %8.2f  %s\n", PROCS * TASKS_PER_PROC * 2,
	       "9. task transitions, durable, 8 engine processes", see, sql, see / sql, "ratio (info)");
}

int main(void)
{
	const char *seerun = getenv("BENCH_SEERUN");
	char dir[] = "/tmp/seetop-bench-engine-XXXXXX";
	const char *base = getenv("BENCH_DIR");
	char dbuf[4200];
	if (base) {
		snprintf(dbuf, sizeof dbuf, "%s/seetop-bench-engine-XXXXXX", base);
		if (!mkdtemp(dbuf))
			die(dbuf, strerror(errno));
	} else if (!mkdtemp(dir)) {
		die(dir, strerror(errno));
	}
	const char *d = base ? dbuf : dir;
	if (seerun)
		figure7(seerun, d);
	else
		printf("7. skipped: set BENCH_SEERUN to the seerun program\n");
	figure8(d);
	figure9(d);
	bool was;
	store_err err;
	char home[4200];
	const char *homes[] = { "latency", "logs", "transitions" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(home, sizeof home, "%s/%s", d, homes[i]);
		store_server_stop(home, &was, &err);
	}
	rmtree(d);
	return 0;
}
