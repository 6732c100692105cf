/* fanout_writer.c - the engine of make bench-fanout, bench-readers and
 * bench-repl: durable changes through libseestore to one task of a home
 * (which may be a site of a replication group: at a replica each change is
 * forwarded to the master and returns once a quorum holds it and the
 * replica's own copy does), pausing and resuming EXEC's TASK in turn.
 *
 *   fanout_writer HOME EXEC TASK rate SECS
 *       changes as fast as it can for SECS seconds; prints "ops N secs S"
 *   fanout_writer HOME EXEC TASK count N
 *       N changes (N even); prints "ops N secs S"
 *   fanout_writer HOME EXEC TASK spaced N MS
 *       N changes MS milliseconds apart; prints the wall-clock microseconds
 *       at which each change was asked for, one a line, to compare with a
 *       dashboard's SEETOP_TRACE_PUSH file
 *
 * Exits 0, 1 naming the change that failed, or 2 on a usage error. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int change(store *st, const char *exec, const char *task, long i)
{
	store_err err;
	store_code c = i % 2 ? store_resume_task(st, exec, task, NULL, 0, &err) : store_pause_task(st, exec, task, &err);
	if (c)
		fprintf(stderr, "fanout_writer: change %ld to %s %s: %s\n", i, exec, task, err.msg);
	return c ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 6 + !strcmp(argc > 4 ? argv[4] : "", "spaced") ||
	    (strcmp(argv[4], "rate") && strcmp(argv[4], "count") && strcmp(argv[4], "spaced"))) {
		fprintf(stderr, "usage: fanout_writer HOME EXEC TASK rate SECS | count N | spaced N MS\n");
		return 2;
	}
	store *st;
	store_err err;
	if (store_open(argv[1], 0, &st, &err)) {
		fprintf(stderr, "fanout_writer: %s\n", err.msg);
		return 1;
	}
	store_set_actor(st, "bench-writer");
	int rc = 0;
	if (!strcmp(argv[4], "spaced")) {
		long n = atol(argv[5]), ms = atol(argv[6]);
		for (long i = 0; i < n && !rc; i++) {
			printf("%lld\n", wall_us());
			fflush(stdout);
			rc = change(st, argv[2], argv[3], i);
			struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
			nanosleep(&d, NULL);
		}
	} else {
		bool timed = !strcmp(argv[4], "rate");
		double secs = timed ? atof(argv[5]) : 0, t0 = mono();
		long n = timed ? 0 : atol(argv[5]), i = 0;
		while (!rc && (timed ? mono() - t0 < secs : i < n))
			rc = change(st, argv[2], argv[3], i++);
		/* end paused or not as it began: an even number of changes */
		if (!rc && i % 2)
			rc = change(st, argv[2], argv[3], i++);
		printf("ops %ld secs %.3f\n", i, mono() - t0);
	}
	store_close(st);
	return rc;
}
