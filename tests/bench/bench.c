/* bench.c - libseestore against a SQLite baseline doing the same work, in
 * the same run, alternately, several rounds; prints medians and ratios.
 *
 *   bench [SIZE...]      default sizes: $BENCH_SIZES, else 10000 100000
 *
 * The SQLite side is what a competent user would write: WAL, prepared
 * statements, one transaction per operation, indexes on (status, start) and
 * start, a table of per-status counts kept in the same transaction as each
 * change, synchronous=FULL for durable figures and OFF for the no-sync one.
 * SQLite runs in the benchmark's processes; libseestore is a client of its
 * store server, over the socket. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "store.h"

#define ROUNDS 3
#define OP_SECONDS 1.5
#define PROCS 8

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench: %s: %s\n", what, msg);
	exit(3);
}

static int rm_one(const char *p, const struct stat *sb, int f, struct FTW *ftw)
{
	(void)sb;
	(void)f;
	(void)ftw;
	return remove(p);
}

static long long dir_bytes(const char *dir, const char *skip_prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long long total = 0;
	char p[4200];
	while (d && (de = readdir(d))) {
		struct stat sb;
		if (de->d_name[0] == '.' || (skip_prefix && strncmp(de->d_name, skip_prefix, strlen(skip_prefix)) == 0))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
			total += (long long)sb.st_blocks * 512;
	}
	if (d)
		closedir(d);
	return total;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* ---- seetop side ---- */

typedef struct gen_src {
	gen_params p;
	size_t at, end, start;
} gen_src;

static int src_next(void *ctx, store_item *it, char *why, size_t whylen)
{
	gen_src *g = ctx;
	(void)why;
	(void)whylen;
	if (g->at >= g->end)
		return 0;
	gen_item(&g->p, g->at++, it);
	return 1;
}

static int src_rewind(void *ctx, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	((gen_src *)ctx)->at = ((gen_src *)ctx)->start;
	return 0;
}

static store *see_open(const char *home, unsigned flags)
{
	store *st;
	store_err err;
	if (store_open(home, flags & STORE_OPEN_READ_ONLY ? flags : flags | STORE_OPEN_CREATE, &st, &err))
		die(home, err.msg);
	store_set_actor(st, "bench");
	return st;
}

static void see_fill(const char *home, size_t n, const gen_params *p)
{
	store *st = see_open(home, STORE_OPEN_NO_SYNC);
	store_err err;
	for (size_t at = 0; at < n; at += 1000) {
		gen_src g = { *p, at, at + 1000 < n ? at + 1000 : n, at };
		store_source src = { src_next, src_rewind, &g };
		if (store_import(st, &src, false, NULL, NULL, &err))
			die("fill", err.msg);
	}
	store_checkpoint(st, &err);
	store_close(st);
}

/* The running executions the workers pause and resume: worker w of n takes
 * the w-th slice of them, as engines each drive their own executions. */
static size_t *running_ids(size_t n, const gen_params *p, size_t *count)
{
	size_t *v = malloc(n * sizeof *v), c = 0;
	for (size_t i = 0; i < n; i++) {
		store_item it;
		gen_item(p, i, &it);
		if (it.exec.status == EXEC_RUNNING)
			v[c++] = i;
		store_item_free(&it);
	}
	*count = c;
	return v;
}

/* The k-th id that worker `worker` of `workers` pauses and resumes. */
static void slice_id(char id[32], const size_t *ids, size_t nids, int worker, int workers, size_t k)
{
	size_t slice = nids / (size_t)workers;
	snprintf(id, 32, "gen-%08zu", ids[(size_t)worker * slice + k % slice]);
}

/* pause task1 then resume it: two transactions, one operation pair. */
static long see_ops(const char *home, unsigned flags, const size_t *ids, size_t nids, int worker, int workers,
		    double seconds)
{
	store *st = see_open(home, flags);
	store_err err;
	long ops = 0;
	double end = now() + seconds;
	for (size_t k = 0; now() < end; k++) {
		char id[32];
		slice_id(id, ids, nids, worker, workers, k);
		if (store_pause_task(st, id, "task1", &err) || store_resume_task(st, id, "task1", NULL, 0, &err))
			die("pause/resume", err.msg);
		ops += 2;
	}
	store_close(st);
	return ops;
}

/* The paused list: the first call after opening, and the median of 20 more. */
static double see_paused(const char *home, size_t *found, double *first)
{
	store *st = see_open(home, STORE_OPEN_READ_ONLY);
	double t[21];
	for (int i = 0; i < 21; i++) {
		double t0 = now();
		record_exec *v;
		store_err err;
		if (store_paused(st, &v, found, &err))
			die("paused", err.msg);
		t[i] = now() - t0;
		record_exec_array_free(v, *found);
	}
	store_close(st);
	*first = t[0];
	return median(t + 1, 20);
}

/* A bare request: one round trip to the server (the first screen's floor). */
static double see_bare_request(store *st)
{
	double t0 = now();
	uint64_t gen;
	store_err err;
	if (store_generation(st, &gen, &err))
		die("generation", err.msg);
	return now() - t0;
}

static double see_first_screen(store *st)
{
	double t0 = now();
	uint64_t counts[EXEC_STATUS_COUNT], gen;
	store_err err;
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	if (store_list_counts(st, -1, &cur, 50, &v, &n, counts, &gen, &err))
		die("first screen", err.msg);
	double t = now() - t0;
	record_exec_array_free(v, n);
	return t;
}

/* ---- SQLite side ---- */

static sqlite3 *sql_open(const char *path, bool durable)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	sqlite3_exec(db, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF", NULL, NULL, NULL);
	return db;
}

static void sql_exec(sqlite3 *db, const char *q)
{
	char *msg = NULL;
	if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
		die(q, msg ? msg : "?");
}

static sqlite3_stmt *prep(sqlite3 *db, const char *q)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		die(q, sqlite3_errmsg(db));
	return s;
}

static void step_done(sqlite3 *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		die("step", sqlite3_errmsg(db));
	sqlite3_reset(s);
}

static void sql_fill(const char *path, size_t n, const gen_params *p)
{
	sqlite3 *db = sql_open(path, false);
	sql_exec(db, "CREATE TABLE executions (id TEXT PRIMARY KEY, workflow_name BLOB, start_timestamp TEXT NOT NULL, "
		     "start_us INTEGER NOT NULL, end_timestamp TEXT, status TEXT NOT NULL, task_ids TEXT NOT NULL, "
		     "is_paused INTEGER NOT NULL DEFAULT 0, paused_task_id TEXT) WITHOUT ROWID;"
		     "CREATE INDEX by_start ON executions(start_us DESC);"
		     "CREATE INDEX by_status ON executions(status, start_us DESC);"
		     "CREATE TABLE tasks (execution_id TEXT NOT NULL, task_id TEXT NOT NULL, task_name BLOB, "
		     "status TEXT NOT NULL, logs BLOB, start_timestamp TEXT, end_timestamp TEXT, input_prompt BLOB, "
		     "input_type TEXT, input_default BLOB, input_required INTEGER, input_value BLOB, "
		     "PRIMARY KEY (execution_id, task_id)) WITHOUT ROWID;"
		     "CREATE TABLE events (seq INTEGER PRIMARY KEY, time TEXT, actor TEXT, action TEXT, execution_id TEXT, "
		     "task_id TEXT, status_before TEXT, status_after TEXT, input_value BLOB);"
		     "CREATE INDEX events_by_exec ON events(execution_id, seq);"
		     /* the per-status counts a dashboard shows, kept in the same
		      * transaction as each change (as the store keeps its own) */
		     "CREATE TABLE counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;");
	sqlite3_stmt *ie = prep(db, "INSERT INTO executions VALUES (?,?,?,?,?,?,?,?,?)");
	sqlite3_stmt *it = prep(db, "INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	sql_exec(db, "BEGIN");
	for (size_t i = 0; i < n; i++) {
		store_item x;
		gen_item(p, i, &x);
		const record_exec *e = &x.exec;
		int64_t us = 0;
		record_timestamp_parse(e->start_timestamp, &us);
		char ids[2048] = "";
		for (size_t k = 0; k < e->n_task_ids; k++)
			snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", k ? "," : "", e->task_ids[k]);
		sqlite3_bind_text(ie, 1, e->id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(ie, 2, e->workflow_name.s, (int)e->workflow_name.len, SQLITE_TRANSIENT);
		sqlite3_bind_text(ie, 3, e->start_timestamp, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ie, 4, us);
		if (e->end_timestamp)
			sqlite3_bind_text(ie, 5, e->end_timestamp, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(ie, 5);
		sqlite3_bind_text(ie, 6, status_exec_name(e->status), -1, SQLITE_STATIC);
		sqlite3_bind_text(ie, 7, ids, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ie, 8, e->is_paused);
		if (e->paused_task_id)
			sqlite3_bind_text(ie, 9, e->paused_task_id, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(ie, 9);
		step_done(db, ie);
		for (size_t k = 0; k < x.n_tasks; k++) {
			const record_task *t = &x.tasks[k];
			char logs[4096] = "";
			for (size_t l = 0; l < t->n_logs; l++)
				snprintf(logs + strlen(logs), sizeof logs - strlen(logs), "%s\n", t->logs[l].s);
			sqlite3_bind_text(it, 1, t->execution_id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(it, 2, t->task_id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_blob(it, 3, t->task_name.s, (int)t->task_name.len, SQLITE_TRANSIENT);
			sqlite3_bind_text(it, 4, status_task_name(t->status), -1, SQLITE_STATIC);
			sqlite3_bind_blob(it, 5, logs, (int)strlen(logs), SQLITE_TRANSIENT);
			sqlite3_bind_text(it, 6, t->start_timestamp, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(it, 7, t->end_timestamp, -1, SQLITE_TRANSIENT);
			sqlite3_bind_blob(it, 8, t->input_prompt.s, (int)t->input_prompt.len, SQLITE_TRANSIENT);
			if (t->has_input)
				sqlite3_bind_text(it, 9, record_input_type_name(t->input_type), -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(it, 9);
			sqlite3_bind_null(it, 10);
			sqlite3_bind_int(it, 11, t->input_required);
			sqlite3_bind_null(it, 12);
			step_done(db, it);
		}
		store_item_free(&x);
		if (i % 5000 == 4999) {
			sql_exec(db, "COMMIT");
			sql_exec(db, "BEGIN");
		}
	}
	sql_exec(db, "INSERT INTO counts SELECT status, COUNT(*) FROM executions GROUP BY status");
	sql_exec(db, "COMMIT");
	sqlite3_finalize(ie);
	sqlite3_finalize(it);
	sql_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
}

typedef struct sql_ops {
	sqlite3 *db;
	sqlite3_stmt *get_exec, *get_task, *set_task, *set_exec, *add_event, *any_waiting, *count;
} sql_ops;

static void sql_ops_open(sql_ops *o, const char *path, bool durable)
{
	o->db = sql_open(path, durable);
	o->get_exec = prep(o->db, "SELECT status, task_ids FROM executions WHERE id = ?");
	o->get_task = prep(o->db, "SELECT status FROM tasks WHERE execution_id = ? AND task_id = ?");
	o->set_task = prep(o->db, "UPDATE tasks SET status = ?, end_timestamp = '' WHERE execution_id = ? AND task_id = ?");
	o->set_exec = prep(o->db, "UPDATE executions SET status = ?, is_paused = ?, paused_task_id = ? WHERE id = ?");
	o->add_event = prep(o->db, "INSERT INTO events (time, actor, action, execution_id, task_id, status_before, "
				   "status_after) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ','now'), 'bench', ?, ?, ?, ?, ?)");
	o->any_waiting = prep(o->db, "SELECT task_id FROM tasks WHERE execution_id = ? AND status = "
				     "'waiting-for-input' LIMIT 1");
	o->count = prep(o->db, "INSERT INTO counts VALUES (?, ?) ON CONFLICT(status) DO UPDATE SET n = n + excluded.n");
}

static void sql_ops_close(sql_ops *o)
{
	sqlite3_finalize(o->get_exec);
	sqlite3_finalize(o->get_task);
	sqlite3_finalize(o->set_task);
	sqlite3_finalize(o->set_exec);
	sqlite3_finalize(o->add_event);
	sqlite3_finalize(o->any_waiting);
	sqlite3_finalize(o->count);
	sqlite3_close(o->db);
}

/* The same transaction as store_pause_task / store_resume_task: read the
 * execution and the task, check, update both, append an event. */
static void sql_transition(sql_ops *o, const char *id, bool pause)
{
	sql_exec(o->db, "BEGIN IMMEDIATE");
	sqlite3_bind_text(o->get_exec, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(o->get_exec) != SQLITE_ROW)
		die("sqlite", "execution not found");
	sqlite3_reset(o->get_exec);
	sqlite3_bind_text(o->get_task, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(o->get_task, 2, "task1", -1, SQLITE_STATIC);
	if (sqlite3_step(o->get_task) != SQLITE_ROW)
		die("sqlite", "task not found");
	sqlite3_reset(o->get_task);
	sqlite3_bind_text(o->set_task, 1, pause ? "waiting-for-input" : "in-progress", -1, SQLITE_STATIC);
	sqlite3_bind_text(o->set_task, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(o->set_task, 3, "task1", -1, SQLITE_STATIC);
	step_done(o->db, o->set_task);
	if (!pause) {
		sqlite3_bind_text(o->any_waiting, 1, id, -1, SQLITE_STATIC);
		sqlite3_step(o->any_waiting);
		sqlite3_reset(o->any_waiting);
	}
	sqlite3_bind_text(o->set_exec, 1, pause ? "waiting-for-input" : "running", -1, SQLITE_STATIC);
	sqlite3_bind_int(o->set_exec, 2, pause);
	if (pause)
		sqlite3_bind_text(o->set_exec, 3, "task1", -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(o->set_exec, 3);
	sqlite3_bind_text(o->set_exec, 4, id, -1, SQLITE_STATIC);
	step_done(o->db, o->set_exec);
	sqlite3_bind_text(o->count, 1, pause ? "running" : "waiting-for-input", -1, SQLITE_STATIC);
	sqlite3_bind_int(o->count, 2, -1);
	step_done(o->db, o->count);
	sqlite3_bind_text(o->count, 1, pause ? "waiting-for-input" : "running", -1, SQLITE_STATIC);
	sqlite3_bind_int(o->count, 2, 1);
	step_done(o->db, o->count);
	sqlite3_bind_text(o->add_event, 1, pause ? "pause" : "resume-task", -1, SQLITE_STATIC);
	sqlite3_bind_text(o->add_event, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(o->add_event, 3, "task1", -1, SQLITE_STATIC);
	sqlite3_bind_text(o->add_event, 4, pause ? "in-progress" : "waiting-for-input", -1, SQLITE_STATIC);
	sqlite3_bind_text(o->add_event, 5, pause ? "waiting-for-input" : "in-progress", -1, SQLITE_STATIC);
	step_done(o->db, o->add_event);
	sql_exec(o->db, "COMMIT");
}

static long sql_ops_run(const char *path, bool durable, const size_t *ids, size_t nids, int worker, int workers,
			double seconds)
{
	sql_ops o;
	sql_ops_open(&o, path, durable);
	long ops = 0;
	double end = now() + seconds;
	for (size_t k = 0; now() < end; k++) {
		char id[32];
		slice_id(id, ids, nids, worker, workers, k);
		sql_transition(&o, id, true);
		sql_transition(&o, id, false);
		ops += 2;
	}
	sql_ops_close(&o);
	return ops;
}

static double sql_paused(const char *path, size_t *found, double *first)
{
	sqlite3 *db = sql_open(path, true);
	sqlite3_stmt *s = prep(db, "SELECT id, workflow_name, start_timestamp, end_timestamp, status, task_ids, is_paused, "
				   "paused_task_id FROM executions WHERE status = 'waiting-for-input' ORDER BY start_us DESC");
	double t[21];
	for (int i = 0; i < 21; i++) {
		double t0 = now();
		size_t n = 0;
		while (sqlite3_step(s) == SQLITE_ROW) {
			/* copy every column out, as the store hands back whole records */
			for (int col = 0; col < 8; col++) {
				int len = sqlite3_column_bytes(s, col);
				const void *p = sqlite3_column_blob(s, col);
				char *copy = malloc((size_t)len + 1);
				if (p)
					memcpy(copy, p, (size_t)len);
				free(copy);
			}
			n++;
		}
		sqlite3_reset(s);
		t[i] = now() - t0;
		*found = n;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	*first = t[0];
	return median(t + 1, 20);
}

/* The dashboard's first screen: the counts, the newest 50, what waits.
 * `group_by` counts with GROUP BY over the whole table (the old baseline);
 * otherwise the counts table answers. */
static double sql_first_screen(sqlite3 *db, bool group_by)
{
	sqlite3_stmt *c = prep(db, group_by ? "SELECT status, COUNT(*) FROM executions GROUP BY status"
					    : "SELECT status, n FROM counts");
	sqlite3_stmt *l = prep(db, "SELECT id, workflow_name, start_timestamp, end_timestamp, status, task_ids, is_paused, "
				   "paused_task_id FROM executions ORDER BY start_us DESC LIMIT 50");
	double t0 = now();
	while (sqlite3_step(c) == SQLITE_ROW)
		;
	while (sqlite3_step(l) == SQLITE_ROW)
		free(strdup((const char *)sqlite3_column_text(l, 0)));
	double t = now() - t0;
	sqlite3_finalize(c);
	sqlite3_finalize(l);
	return t;
}

/* ---- running workers in processes ---- */

typedef long (*worker_fn)(const char *path, int flags_or_durable, const size_t *ids, size_t n, int w, int workers);

static long see_worker(const char *path, int flags, const size_t *ids, size_t n, int w, int workers)
{
	return see_ops(path, (unsigned)flags, ids, n, w, workers, OP_SECONDS);
}

static long sql_worker(const char *path, int durable, const size_t *ids, size_t n, int w, int workers)
{
	return sql_ops_run(path, durable != 0, ids, n, w, workers, OP_SECONDS);
}

/* Operations per second with `workers` processes. */
static double ops_per_sec(worker_fn fn, const char *path, int arg, const size_t *ids, size_t n, int workers)
{
	int fds[PROCS][2];
	pid_t pids[PROCS];
	double t0 = now();
	for (int w = 0; w < workers; w++) {
		if (pipe(fds[w]) != 0)
			die("pipe", strerror(errno));
		if ((pids[w] = fork()) == 0) {
			long ops = fn(path, arg, ids, n, w, workers);
			if (write(fds[w][1], &ops, sizeof ops) != sizeof ops)
				_exit(1);
			_exit(0);
		}
		close(fds[w][1]); /* a worker that dies closes the pipe: read() sees it */
	}
	long total = 0;
	for (int w = 0; w < workers; w++) {
		long ops = 0;
		if (read(fds[w][0], &ops, sizeof ops) != sizeof ops)
			die("worker", "died");
		total += ops;
		waitpid(pids[w], NULL, 0);
		close(fds[w][0]);
	}
	return (double)total / (now() - t0);
}

/* BENCH_ONLY="3 4" runs only those figures (for profiling one of them). */
static bool want(int figure)
{
	const char *only = getenv("BENCH_ONLY");
	if (!only || !*only)
		return true;
	for (const char *p = only; *p; p++)
		if (*p - '0' == figure && (p == only || p[-1] == ' ' || p[-1] == ',') && (p[1] == '\0' || p[1] == ' ' || p[1] == ','))
			return true;
	return false;
}

static void print_size(const char *line)
{
	if (want(7))
		fputs(line, stdout);
}

/* Wall time and peak RSS of seetop -b -n 1 on a home, in a new process. */
static void cold_batch(const char *seetop, const char *home, double *secs, long *rss_kb)
{
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		execl(seetop, seetop, "--home", home, "-b", "-n", "1", (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	wait4(pid, &status, 0, &ru);
	*secs = now() - t0;
	*rss_kb = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("seetop -b -n 1", "failed");
}

int main(int argc, char **argv)
{
	size_t sizes[8];
	int nsizes = 0;
	const char *env = getenv("BENCH_SIZES");
	char envbuf[256];
	snprintf(envbuf, sizeof envbuf, "%s", env && *env ? env : "10000 100000");
	if (argc > 1)
		for (int i = 1; i < argc && nsizes < 8; i++)
			sizes[nsizes++] = (size_t)strtoull(argv[i], NULL, 10);
	else
		for (char *tok = strtok(envbuf, " "); tok && nsizes < 8; tok = strtok(NULL, " "))
			sizes[nsizes++] = (size_t)strtoull(tok, NULL, 10);
	const char *seetop = getenv("BENCH_SEETOP");
	const char *base = getenv("TMPDIR");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/seetop-bench-XXXXXX", base && *base ? base : "/var/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	gen_params p = { 4, 0.01, 7, 0 };
	printf("seetop bench: %d rounds, medians; ops are pause+resume-task transactions on task1 of running executions\n",
	       ROUNDS);
	printf("%-9s %-44s %14s %14s %8s  %s\n", "size", "figure", "seetop", "sqlite", "ratio", "target");
	double cold_secs[8] = { 0 };
	long cold_rss[8] = { 0 };
	for (int si = 0; si < nsizes; si++) {
		size_t n = sizes[si];
		p.executions = n;
		/* each home is created with a cache that holds it, as seectl gen
		 * does: Berkeley DB's cache is its own, where SQLite reads through
		 * the system's page cache */
		char cache[32];
		snprintf(cache, sizeof cache, "%d", gen_cache_mb(&p, n));
		setenv("SEESTORE_CACHE_MB", cache, 1);
		printf("%-9zu cache %s MB\n", n, cache);
		char home[4200], db[4200];
		snprintf(home, sizeof home, "%s/home-%zu", dir, n);
		snprintf(db, sizeof db, "%s/sqlite-%zu.db", dir, n);
		double t0 = now();
		see_fill(home, n, &p);
		double fill_see = now() - t0;
		t0 = now();
		sql_fill(db, n, &p);
		double fill_sql = now() - t0;
		/* the size of the same records on both sides, before the figures
		 * below add events (each side adds as many as it has time for) */
		char size_line[512];
		long long bs = dir_bytes(home, "__db."), bq = dir_bytes(dir, NULL);
		(void)bq;
		char wal[4300];
		struct stat sb;
		long long q_bytes = stat(db, &sb) == 0 ? (long long)sb.st_blocks * 512 : 0;
		snprintf(wal, sizeof wal, "%s-wal", db);
		if (stat(wal, &sb) == 0)
			q_bytes += (long long)sb.st_blocks * 512;
		long long logs = 0;
		{
			DIR *d = opendir(home);
			struct dirent *de;
			while (d && (de = readdir(d)))
				if (strncmp(de->d_name, "log.", 4) == 0) {
					char pth[4400];
					snprintf(pth, sizeof pth, "%s/%s", home, de->d_name);
					if (stat(pth, &sb) == 0)
						logs += (long long)sb.st_blocks * 512;
				}
			if (d)
				closedir(d);
		}
		snprintf(size_line, sizeof size_line,
			 "%-9zu %-44s %11.1fMB %11.1fMB %8.2f  %s (data files only: %.1f MB, %.2f x)\n", n,
			 "7. size on disk after generating (data + log / db + wal)", bs / 1e6, q_bytes / 1e6,
			 (double)bs / (double)q_bytes, "<= 1.00 x sqlite", (bs - logs) / 1e6,
			 (double)(bs - logs) / (double)q_bytes);
		size_t nids;
		size_t *ids = running_ids(n, &p, &nids);
		double r1s[ROUNDS], r1q[ROUNDS], r2s[ROUNDS], r2q[ROUNDS], r3s[ROUNDS], r3q[ROUNDS];
		double r4s[ROUNDS], r4q[ROUNDS], r5s[ROUNDS], r5q[ROUNDS], r5o[ROUNDS], r5b[ROUNDS], f4s[ROUNDS], f4q[ROUNDS];
		double r5c[ROUNDS];
		size_t found_s = 0, found_q = 0;
		for (int r = 0; r < ROUNDS; r++) {
			r1s[r] = r1q[r] = r2s[r] = r2q[r] = r3s[r] = r3q[r] = r4s[r] = r4q[r] = r5s[r] = r5q[r] = r5o[r] = r5b[r] = 1;
			r5c[r] = 1;
			f4s[r] = f4q[r] = 1;
			if (want(1)) {
				r1s[r] = ops_per_sec(see_worker, home, 0, ids, nids, 1);
				r1q[r] = ops_per_sec(sql_worker, db, 1, ids, nids, 1);
			}
			if (want(2)) {
				r2s[r] = ops_per_sec(see_worker, home, 0, ids, nids, PROCS);
				r2q[r] = ops_per_sec(sql_worker, db, 1, ids, nids, PROCS);
			}
			if (want(3)) {
				r3s[r] = ops_per_sec(see_worker, home, STORE_OPEN_NO_SYNC, ids, nids, 1);
				r3q[r] = ops_per_sec(sql_worker, db, 0, ids, nids, 1);
			}
			if (want(4)) {
				r4s[r] = see_paused(home, &found_s, &f4s[r]);
				r4q[r] = sql_paused(db, &found_q, &f4q[r]);
			}
			if (!want(5))
				continue;
			store *st = see_open(home, STORE_OPEN_READ_ONLY);
			sqlite3 *q = sql_open(db, true);
			/* the first screen and the bare request side by side, each
			 * first in turn (whichever follows a pause, such as a long
			 * query of the other side, pays for the server's waking) */
			enum { SAMPLES = 100 };
			double a[SAMPLES], b[20], o[20], bare[SAMPLES], after[20];
			for (int k = 0; k < SAMPLES; k++) {
				if (k % 2)
					a[k] = see_first_screen(st);
				bare[k] = see_bare_request(st);
				if (!(k % 2))
					a[k] = see_first_screen(st);
			}
			for (int k = 0; k < 20; k++) {
				b[k] = sql_first_screen(q, false);
				o[k] = sql_first_screen(q, true);
			}
			/* and just after a change: the server reads the page again */
			store *w = see_open(home, STORE_OPEN_NO_SYNC);
			for (int k = 0; k < 20; k++) {
				char id[32];
				store_err err;
				slice_id(id, ids, nids, 0, 1, (size_t)k);
				if (store_pause_task(w, id, "task1", &err) || store_resume_task(w, id, "task1", NULL, 0, &err))
					die("pause/resume", err.msg);
				after[k] = see_first_screen(st);
			}
			store_close(w);
			r5s[r] = median(a, SAMPLES);
			r5q[r] = median(b, 20);
			r5o[r] = median(o, 20);
			r5b[r] = median(bare, SAMPLES);
			r5c[r] = median(after, 20);
			sqlite3_close(q);
			store_close(st);
		}
		double m1s = median(r1s, ROUNDS), m1q = median(r1q, ROUNDS), m2s = median(r2s, ROUNDS),
		       m2q = median(r2q, ROUNDS), m3s = median(r3s, ROUNDS), m3q = median(r3q, ROUNDS),
		       m4s = median(r4s, ROUNDS), m4q = median(r4q, ROUNDS), m5s = median(r5s, ROUNDS),
		       m5q = median(r5q, ROUNDS), m5o = median(r5o, ROUNDS), m5b = median(r5b, ROUNDS);
		printf("%-9zu %-44s %12.1fs %12.1fs %8.2f  %s\n", n, "0. generate (no sync, then checkpoint)", fill_see,
		       fill_sql, fill_see / fill_sql, "(info)");
		if (want(1))
			printf("%-9zu %-44s %10.0f/s %10.0f/s %8.2f  %s\n", n, "1. durable ops, 1 client process", m1s, m1q,
			       m1s / m1q, ">= 1.00 x sqlite");
		if (want(2) && want(1))
			printf("%-9zu %-44s %10.0f/s %10.0f/s %8.2f  %s (%.2f x our 1)\n", n, "2. durable ops, 8 client processes", m2s,
			       m2q, m2s / m2q, ">= 3.00 x sqlite, >= 4.00 x our (1)", m2s / m1s);
		else if (want(2))
			printf("%-9zu %-44s %10.0f/s %10.0f/s %8.2f  %s (run figure 1 too)\n", n,
			       "2. durable ops, 8 client processes", m2s, m2q, m2s / m2q, ">= 3.00 x sqlite, >= 4.00 x our (1)");
		if (want(3))
			printf("%-9zu %-44s %10.0f/s %10.0f/s %8.2f  %s\n", n, "3. ops without fsync, 1 process", m3s, m3q,
		       m3s / m3q, ">= 2.00 x sqlite");
		if (want(4))
		{
			double a4 = median(f4s, ROUNDS), b4 = median(f4q, ROUNDS);
			printf("%-9zu %-44s %11.3fms %11.3fms %8.2f  %s (%zu/%zu found)\n", n, "4. list every paused execution",
			       m4s * 1e3, m4q * 1e3, m4s / m4q, "<= 0.50 x sqlite", found_s, found_q);
			printf("%-9zu %-44s %11.3fms %11.3fms %8.2f  %s\n", n, "4b. the same, first call after opening", a4 * 1e3,
			       b4 * 1e3, a4 / b4, "(info)");
		}
		if (want(5)) {
			printf("%-9zu %-44s %11.3fms %11.3fms %8.3f  %s\n", n, "5. first screen over the socket (counts, newest 50)",
			       m5s * 1e3, m5q * 1e3, m5s / m5q, "<= 1.00 x sqlite with a counts table");
			printf("%-9zu %-44s %11.3fms %11.3fms %8.3f  %s\n", n, "5o. the same against the old baseline (GROUP BY)",
			       m5s * 1e3, m5o * 1e3, m5s / m5o, "(info: once, beside the new)");
			printf("%-9zu %-44s %11.3fms %11.3fms %8.3f  %s\n", n, "5b. first screen against a bare request",
			       m5s * 1e3, m5b * 1e3, m5s / m5b, "<= 1.50 x one round trip (store_generation), flat with size");
			double m5c = median(r5c, ROUNDS);
			printf("%-9zu %-44s %11.3fms %11.3fms %8.3f  %s\n", n, "5c. first screen just after a change",
			       m5c * 1e3, m5b * 1e3, m5c / m5b, "(info: the page read again, against a bare request)");
		}
		print_size(size_line);
		if (seetop && want(6)) {
			double c[ROUNDS];
			long rss[ROUNDS];
			for (int r = 0; r < ROUNDS; r++)
				cold_batch(seetop, home, &c[r], &rss[r]);
			cold_secs[si] = median(c, ROUNDS);
			long best = rss[0];
			for (int r = 1; r < ROUNDS; r++)
				best = rss[r] > best ? rss[r] : best;
			cold_rss[si] = best;
			printf("%-9zu %-44s %11.1fms %11ldKB\n", n, "6. seetop -b -n 1, new process (wall, peak RSS)",
			       cold_secs[si] * 1e3, cold_rss[si]);
		}
		free(ids);
		fflush(stdout);
	}
	if (seetop && nsizes > 1)
		printf("%-9s %-44s %11.2fx %11.2fx           %s\n", "largest", "6. vs the smallest size (wall, RSS)",
		       cold_secs[nsizes - 1] / cold_secs[0], (double)cold_rss[nsizes - 1] / (double)cold_rss[0],
		       "<= 1.5 x wall, <= 1.1 x RSS");
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
