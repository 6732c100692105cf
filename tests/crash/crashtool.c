/* crashtool.c - the workloads of the crash and concurrency tests.
 *
 *   crashtool setup HOME N            N executions, half of them running
 *   crashtool write HOME ACK SEED     random operations until killed; after
 *                                     each commit returns, "N\n" is appended
 *                                     to ACK and fsynced (the operation's
 *                                     audit event carries actor "op-N")
 *   crashtool check HOME ACK          verify passes and every acknowledged
 *                                     operation is in the audit trail
 *   crashtool bigimport HOME N        one transaction of N executions
 *   crashtool count HOME PREFIX       how many execution ids start with PREFIX
 *   crashtool churn HOME SECS SEED W  writer W: random operations for SECS,
 *                                     prints "ok N refused M" (refusals are
 *                                     the ones the rules explain)
 *   crashtool events HOME PREFIX      how many events have an actor starting with PREFIX
 *   crashtool legacy HOME N           a pre-pause home of N executions
 *   crashtool open HOME               open (upgrading if need be), verify, close
 *   crashtool exactly HOME ACK PREFIX SECS W NW N
 *                                     writer W of NW pauses and resumes its own
 *                                     tasks; any refusal is a lost or doubled change
 *   crashtool once HOME ACK PREFIX    every acknowledged change is in the audit
 *                                     trail exactly once, and verify passes
 *   crashtool log HOME EXEC TASK LINE an engine's one log line (sent again under
 *                                     the same request id while a replica asks
 *                                     it to); prints "count N", the task's lines */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forge.h"
#include "store.h"

static store *open_or_die(const char *home)
{
	store *st;
	store_err err;
	if (store_open(home, STORE_OPEN_CREATE, &st, &err)) {
		fprintf(stderr, "crashtool: %s\n", err.msg);
		exit(3);
	}
	return st;
}

static void make_item(store_item *it, const char *id, int64_t when, int ntasks, bool waiting)
{
	char ts[40];
	time_t t = (time_t)when;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	memset(it, 0, sizeof *it);
	it->exec.id = record_strdup(id);
	record_text_set(&it->exec.workflow_name, "Crash Workflow", 14);
	it->exec.start_timestamp = record_strdup(ts);
	it->exec.status = waiting ? EXEC_WAITING : EXEC_RUNNING;
	it->exec.task_ids = calloc((size_t)ntasks, sizeof *it->exec.task_ids);
	it->tasks = calloc((size_t)ntasks, sizeof *it->tasks);
	for (int i = 0; i < ntasks; i++) {
		char tid[16];
		snprintf(tid, sizeof tid, "t%d", i);
		it->exec.task_ids[i] = record_strdup(tid);
		record_task *k = &it->tasks[i];
		k->execution_id = record_strdup(id);
		k->task_id = record_strdup(tid);
		record_text_set(&k->task_name, "step", 4);
		k->status = waiting && i == 0 ? TASK_WAITING : TASK_IN_PROGRESS;
		k->start_timestamp = record_strdup(ts);
		k->end_timestamp = record_strdup("");
		record_text_set(&k->input_prompt, "", 0);
		k->logs = calloc(1, sizeof *k->logs);
		record_text_set(&k->logs[0], "a log line of a crash test task", 31);
		k->n_logs = 1;
	}
	it->exec.n_task_ids = it->n_tasks = (size_t)ntasks;
	if (waiting) {
		it->exec.is_paused = true;
		it->exec.paused_task_id = record_strdup("t0");
	}
}

typedef struct gen_source {
	int n, at;
	const char *prefix;
} gen_source;

static int gen_next(void *ctx, store_item *it, char *why, size_t whylen)
{
	gen_source *g = ctx;
	(void)why;
	(void)whylen;
	if (g->at >= g->n)
		return 0;
	char id[64];
	snprintf(id, sizeof id, "%s%06d", g->prefix, g->at);
	make_item(it, id, 1700000000 + g->at * 60, 4, g->at % 2 == 1);
	g->at++;
	return 1;
}

static int gen_rewind(void *ctx, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	((gen_source *)ctx)->at = 0;
	return 0;
}

static int import_n(const char *home, const char *prefix, int n)
{
	store *st = open_or_die(home);
	gen_source g = { n, 0, prefix };
	store_source src = { gen_next, gen_rewind, &g };
	store_err err;
	store_set_actor(st, "setup");
	store_code c = store_import(st, &src, false, "import", NULL, &err);
	store_close(st);
	if (c) {
		fprintf(stderr, "crashtool: import: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/* One random operation on execution `id`; returns the store's code. */
static store_code random_op(store *st, unsigned *seed, int n, store_err *err)
{
	char id[64];
	snprintf(id, sizeof id, "e%06d", rand_r(seed) % n);
	store_item it;
	store_code c = store_get_item(st, id, &it, err);
	if (c)
		return c;
	int pick = rand_r(seed) % (int)it.n_tasks;
	char task[32];
	snprintf(task, sizeof task, "%s", it.tasks[pick].task_id);
	exec_status s = it.exec.status;
	task_status ts = it.tasks[pick].status;
	char first_waiting[32] = "";
	for (size_t i = 0; i < it.n_tasks && !first_waiting[0]; i++)
		if (it.tasks[i].status == TASK_WAITING)
			snprintf(first_waiting, sizeof first_waiting, "%s", it.tasks[i].task_id);
	store_item_free(&it);
	if (s == EXEC_WAITING && first_waiting[0] && rand_r(seed) % 3 == 0)
		return store_resume_workflow(st, id, err);
	if (s == EXEC_WAITING && first_waiting[0] && rand_r(seed) % 2 == 0)
		return store_resume_task(st, id, first_waiting, "42", 2, err);
	if (ts == TASK_WAITING)
		return store_resume_task(st, id, task, NULL, 0, err);
	return store_pause_task(st, id, task, err);
}

static int count_execs(const char *home, const char *prefix)
{
	store *st = open_or_die(home);
	store_cursor cur = { .len = 0 };
	int count = 0;
	while (!cur.done) {
		record_exec *v;
		size_t n;
		store_err err;
		if (store_list(st, -1, &cur, 512, &v, &n, &err)) {
			fprintf(stderr, "crashtool: %s\n", err.msg);
			exit(3);
		}
		for (size_t i = 0; i < n; i++)
			count += strncmp(v[i].id, prefix, strlen(prefix)) == 0;
		record_exec_array_free(v, n);
		if (!n)
			break;
	}
	store_close(st);
	return count;
}

/* Every event's actor, for looking up acknowledged operations. */
static char **all_actors(store *st, size_t *n_out)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	uint64_t before = 0;
	for (;;) {
		record_event *ev;
		size_t got;
		store_err err;
		if (store_events(st, NULL, before, 4096, &ev, &got, &err)) {
			fprintf(stderr, "crashtool: %s\n", err.msg);
			exit(3);
		}
		for (size_t i = 0; i < got; i++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				v = realloc(v, cap * sizeof *v);
			}
			v[n++] = record_strdup(ev[i].actor ? ev[i].actor : "");
			before = ev[i].seq;
		}
		record_event_array_free(ev, got);
		if (got < 4096)
			break;
	}
	*n_out = n;
	return v;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void problem(void *ctx, const char *what)
{
	(void)ctx;
	fprintf(stderr, "verify: %s\n", what);
}

/* Runs verify; the number of problems, or -1 when verify itself failed. */
static long verify_count(store *st)
{
	store_err err;
	size_t problems;
	if (store_verify(st, problem, NULL, &problems, &err)) {
		fprintf(stderr, "crashtool: verify: %s\n", err.msg);
		return -1;
	}
	return (long)problems;
}

/* How many of the actors named in ACKFILE (PREFIX before each line) are not
 * among `actors` (sorted); *acked is how many it names. */
static long acks_missing(const char *ackfile, const char *prefix, char **actors, size_t n, long *acked)
{
	FILE *f = fopen(ackfile, "r");
	long missing = 0;
	char line[128];
	*acked = 0;
	while (f && fgets(line, sizeof line, f)) {
		char key[160], *k = key;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		snprintf(key, sizeof key, "%s%s", prefix, line);
		(*acked)++;
		if (!bsearch(&k, actors, n, sizeof *actors, cmp_str)) {
			fprintf(stderr, "crashtool: acknowledged change %s is not in the audit trail\n", key);
			missing++;
		}
	}
	if (f)
		fclose(f);
	return missing;
}

static int check(const char *home, const char *ackfile)
{
	store *st = open_or_die(home);
	long problems = verify_count(st);
	if (problems < 0) {
		store_close(st);
		return 3;
	}
	size_t n;
	char **actors = all_actors(st, &n);
	qsort(actors, n, sizeof *actors, cmp_str);
	long acked, missing = acks_missing(ackfile, "op-", actors, n, &acked);
	for (size_t i = 0; i < n; i++)
		free(actors[i]);
	free(actors);
	store_close(st);
	printf("acknowledged %ld found %ld problems %ld\n", acked, acked - missing, problems);
	return problems || missing ? 1 : 0;
}

static int write_loop(const char *home, const char *ackfile, unsigned seed)
{
	store *st = open_or_die(home);
	int fd = open(ackfile, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd < 0) {
		perror(ackfile);
		return 3;
	}
	/* continue numbering after what earlier (killed) writers acknowledged */
	long next = 0;
	FILE *f = fopen(ackfile, "r");
	char line[64];
	while (f && fgets(line, sizeof line, f))
		next = atol(line) > next ? atol(line) : next;
	if (f)
		fclose(f);
	for (long op = next + 1;; op++) {
		char actor[64];
		snprintf(actor, sizeof actor, "op-%ld", op);
		store_set_actor(st, actor);
		store_err err;
		store_code c;
		if (rand_r(&seed) % 50 == 0) {
			char id[64];
			snprintf(id, sizeof id, "new-%ld", op);
			store_item it;
			make_item(&it, id, 1750000000 + op, 10, rand_r(&seed) % 2);
			c = store_save(st, &it, false, &err);
			store_item_free(&it);
		} else {
			c = random_op(st, &seed, 2000, &err);
		}
		if (c == STORE_OK) {
			char buf[32];
			int len = snprintf(buf, sizeof buf, "%ld\n", op);
			if (write(fd, buf, (size_t)len) != len || fsync(fd) != 0) {
				perror("ack");
				return 3;
			}
		} else if (c == STORE_STORAGE || c == STORE_FORMAT) {
			fprintf(stderr, "crashtool: %s\n", err.msg);
			return 3;
		}
	}
}

static int churn(const char *home, int secs, unsigned seed, const char *who)
{
	store *st = open_or_die(home);
	char actor[64];
	snprintf(actor, sizeof actor, "w%s", who);
	store_set_actor(st, actor);
	long ok = 0, refused = 0;
	time_t end = time(NULL) + secs;
	int n = 200;
	while (time(NULL) < end) {
		store_err err;
		store_code c = random_op(st, &seed, n, &err);
		if (c == STORE_OK)
			ok++;
		else if (c == STORE_INVALID_STATE || c == STORE_INVALID_INPUT)
			refused++; /* someone else acted first */
		else {
			fprintf(stderr, "crashtool churn %s: %s\n", who, err.msg);
			return 3;
		}
	}
	store_close(st);
	printf("ok %ld refused %ld\n", ok, refused);
	return 0;
}

static int count_events(const char *home, const char *prefix)
{
	store *st = open_or_die(home);
	size_t n, count = 0;
	char **actors = all_actors(st, &n);
	for (size_t i = 0; i < n; i++) {
		count += strncmp(actors[i], prefix, strlen(prefix)) == 0;
		free(actors[i]);
	}
	free(actors);
	store_close(st);
	printf("%zu\n", count);
	return 0;
}

static int legacy(const char *home, int n)
{
	store_item *items = calloc((size_t)n, sizeof *items);
	for (int i = 0; i < n; i++) {
		char id[64];
		snprintf(id, sizeof id, "old%06d", i);
		make_item(&items[i], id, 1600000000 + i * 60, 3, false);
	}
	store_err err;
	store_code c = forge_legacy_home(home, items, (size_t)n, &err);
	for (int i = 0; i < n; i++)
		store_item_free(&items[i]);
	free(items);
	if (c)
		fprintf(stderr, "crashtool: %s\n", err.msg);
	return c ? 3 : 0;
}

static int open_verify(const char *home)
{
	store *st = open_or_die(home);
	long problems = verify_count(st);
	store_close(st);
	if (problems < 0)
		return 3;
	return problems ? 1 : 0;
}

/* Writer W of NW: pauses and resumes task t1 of its own executions (every
 * NW-th of the N that setup made) for SECS seconds, each change with actor
 * PREFIX-K, appended to ACK once acknowledged.  Nobody else touches those
 * tasks, so any refusal means a change was lost or made twice: a retried
 * request that the server did not recognise. */
static int exactly(const char *home, const char *ackfile, const char *prefix, int secs, int w, int nw, int n)
{
	store *st = open_or_die(home);
	FILE *ack = fopen(ackfile, "a");
	if (!ack) {
		perror(ackfile);
		return 3;
	}
	int mine = (n - w + nw - 1) / nw;
	bool *waiting = calloc((size_t)mine, sizeof *waiting);
	for (int k = 0; k < mine; k++) {
		char id[32];
		snprintf(id, sizeof id, "e%06d", w + k * nw);
		store_item it;
		store_err err;
		if (store_get_item(st, id, &it, &err)) {
			fprintf(stderr, "crashtool: %s\n", err.msg);
			fclose(ack);
			free(waiting);
			store_close(st);
			return 3;
		}
		waiting[k] = it.n_tasks > 1 && it.tasks[1].status == TASK_WAITING;
		store_item_free(&it);
	}
	time_t end = time(NULL) + secs;
	long op = 0;
	for (int k = 0; time(NULL) < end; k = (k + 1) % mine) {
		char id[32], actor[64];
		snprintf(id, sizeof id, "e%06d", w + k * nw);
		snprintf(actor, sizeof actor, "%s-%ld", prefix, ++op);
		store_set_actor(st, actor);
		store_err err;
		store_code c = waiting[k] ? store_resume_task(st, id, "t1", NULL, 0, &err)
					  : store_pause_task(st, id, "t1", &err);
		if (c) {
			fprintf(stderr, "crashtool: %s %s: %s\n", actor, waiting[k] ? "resume" : "pause", err.msg);
			fclose(ack);
			free(waiting);
			store_close(st);
			return 3;
		}
		waiting[k] = !waiting[k];
		fprintf(ack, "%s\n", actor);
		fflush(ack);
	}
	fclose(ack);
	free(waiting);
	store_close(st);
	printf("%ld\n", op);
	return 0;
}

/* Every actor named in ACK has exactly one event, and no actor starting
 * with PREFIX has more than one. */
static int once(const char *home, const char *ackfile, const char *prefix)
{
	store *st = open_or_die(home);
	long problems = verify_count(st);
	size_t n;
	char **actors = all_actors(st, &n);
	qsort(actors, n, sizeof *actors, cmp_str);
	long twice = 0, missing = 0, acked = 0;
	size_t plen = strlen(prefix);
	for (size_t i = 0; i + 1 < n; i++)
		if (strncmp(actors[i], prefix, plen) == 0 && strcmp(actors[i], actors[i + 1]) == 0) {
			fprintf(stderr, "crashtool: %s is in the audit trail twice\n", actors[i]);
			twice++;
		}
	missing = acks_missing(ackfile, "", actors, n, &acked);
	for (size_t i = 0; i < n; i++)
		free(actors[i]);
	free(actors);
	store_close(st);
	printf("acknowledged %ld missing %ld twice %ld problems %ld\n", acked, missing, twice, problems);
	return problems || missing || twice ? 1 : 0;
}

static int log_line(const char *home, const char *exec_id, const char *task_id, const char *line)
{
	store *st;
	store_err err;
	if (store_open(home, 0, &st, &err)) {
		fprintf(stderr, "crashtool: %s\n", err.msg);
		return 1;
	}
	record_text one = { (char *)line, strlen(line) };
	uint64_t count = 0;
	store_code c = store_task_log(st, exec_id, task_id, &one, 1, &count, &err);
	if (c)
		fprintf(stderr, "crashtool: %s\n", err.msg);
	else
		printf("count %llu\n", (unsigned long long)count);
	store_close(st);
	return c ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "setup") == 0)
		return import_n(argv[2], "e", atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "write") == 0)
		return write_loop(argv[2], argv[3], (unsigned)atoi(argv[4]));
	if (argc >= 4 && strcmp(argv[1], "check") == 0)
		return check(argv[2], argv[3]);
	if (argc >= 4 && strcmp(argv[1], "bigimport") == 0)
		return import_n(argv[2], "big", atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "count") == 0) {
		printf("%d\n", count_execs(argv[2], argv[3]));
		return 0;
	}
	if (argc >= 6 && strcmp(argv[1], "churn") == 0)
		return churn(argv[2], atoi(argv[3]), (unsigned)atoi(argv[4]), argv[5]);
	if (argc >= 4 && strcmp(argv[1], "events") == 0)
		return count_events(argv[2], argv[3]);
	if (argc >= 4 && strcmp(argv[1], "legacy") == 0)
		return legacy(argv[2], atoi(argv[3]));
	if (argc >= 9 && strcmp(argv[1], "exactly") == 0)
		return exactly(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]), atoi(argv[7]), atoi(argv[8]));
	if (argc >= 5 && strcmp(argv[1], "once") == 0)
		return once(argv[2], argv[3], argv[4]);
	if (argc >= 3 && strcmp(argv[1], "open") == 0)
		return open_verify(argv[2]);
	if (argc >= 6 && strcmp(argv[1], "log") == 0)
		return log_line(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: see the comment at the top of crashtool.c\n");
	return 2;
}
