/* remote.c - the cost of a home over ssh against the same home over its
 * local socket, in the same run:
 *
 *   remote LOCAL_HOME SSH_HOME EXEC TASK
 *
 * For each address: a bare request (store_generation: one round trip), the
 * dashboard's first screen (store_list_counts: the counts and the newest
 * 50), their medians and the ratio of the two; then the time from a local
 * commit (a pause or resume of EXEC's TASK, which must be running) to its
 * push arriving at a subscriber on each address.  Prints one line a figure. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define ROUNDS 200
#define PUSHES 40

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const store_err *err)
{
	fprintf(stderr, "bench-remote: %s: %s\n", what, err->msg);
	exit(3);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof *v, cmp_d);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

typedef struct figures {
	double bare, screen, push_med, push_p99;
} figures;

static void round_trips(store *st, figures *f)
{
	static double bare[ROUNDS], screen[ROUNDS];
	store_err err;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t gen;
		double t0 = now();
		if (store_generation(st, &gen, &err))
			die("store_generation", &err);
		bare[i] = now() - t0;
		uint64_t counts[EXEC_STATUS_COUNT];
		store_cursor cur = { .len = 0 };
		record_exec *v;
		size_t n;
		t0 = now();
		if (store_list_counts(st, -1, &cur, 50, &v, &n, counts, &gen, &err))
			die("first screen", &err);
		screen[i] = now() - t0;
		record_exec_array_free(v, n);
	}
	f->bare = pct(bare, ROUNDS, 0.5);
	f->screen = pct(screen, ROUNDS, 0.5);
}

/* Commits on `writer`, a push awaited on `watcher`'s subscription. */
static void pushes(store *writer, store *watcher, const char *exec, const char *task, figures *f)
{
	static double lat[PUSHES];
	store_err err;
	int fd;
	if (store_watch(watcher, &fd, &err))
		die("store_watch", &err);
	for (int i = 0; i < PUSHES; i++) {
		store_push p;
		while (store_watch_read(watcher, &p, &err) == STORE_OK && p.pushed)
			; /* drain */
		double t0 = now();
		store_code c = i % 2 ? store_resume_task(writer, exec, task, NULL, 0, &err)
				     : store_pause_task(writer, exec, task, &err);
		if (c)
			die(i % 2 ? "resume" : "pause", &err);
		for (;;) {
			struct pollfd pf = { fd, POLLIN, 0 };
			if (poll(&pf, 1, 5000) <= 0) {
				fprintf(stderr, "bench-remote: no push within 5 s\n");
				exit(3);
			}
			if (store_watch_read(watcher, &p, &err))
				die("store_watch_read", &err);
			if (p.pushed)
				break;
		}
		lat[i] = now() - t0;
	}
	f->push_med = pct(lat, PUSHES, 0.5);
	f->push_p99 = pct(lat, PUSHES, 0.99);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: remote LOCAL_HOME SSH_HOME EXEC TASK\n");
		return 2;
	}
	store_err err;
	store *local, *remote;
	if (store_open(argv[1], 0, &local, &err))
		die(argv[1], &err);
	double t0 = now();
	if (store_open(argv[2], 0, &remote, &err))
		die(argv[2], &err);
	double connect = now() - t0;
	figures fl, fr;
	round_trips(local, &fl);
	round_trips(remote, &fr);
	pushes(local, local, argv[3], argv[4], &fl);
	pushes(local, remote, argv[3], argv[4], &fr);
	printf("%-52s %10s %10s\n", "figure (medians)", "local", "ssh");
	printf("%-52s %10s %8.1fms\n", "opening (ssh: a new session)", "", connect * 1e3);
	printf("%-52s %8.3fms %8.3fms\n", "bare request (store_generation)", fl.bare * 1e3, fr.bare * 1e3);
	printf("%-52s %8.3fms %8.3fms\n", "first screen (counts, newest 50)", fl.screen * 1e3, fr.screen * 1e3);
	printf("%-52s %9.2fx %9.2fx   target <= 1.5x\n", "first screen / bare request", fl.screen / fl.bare,
	       fr.screen / fr.bare);
	printf("%-52s %8.3fms %8.3fms   target < 100 ms\n", "local commit to push (median)", fl.push_med * 1e3,
	       fr.push_med * 1e3);
	printf("%-52s %8.3fms %8.3fms\n", "local commit to push (p99)", fl.push_p99 * 1e3, fr.push_p99 * 1e3);
	store_close(remote);
	store_close(local);
	return 0;
}
