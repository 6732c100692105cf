/* churn.c - changes one task as fast as a program can: N changes, pausing
 * and resuming EXEC's TASK in turn (commits not flushed), the last a
 * pause when N is odd.  Prints the wall-clock microseconds of the first and
 * the last change, for tests that count what a dashboard drew meanwhile.
 *
 *   churn HOME EXEC TASK N      exit 0, or 1 naming the change that failed */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "store.h"

static long long wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: churn HOME EXEC TASK N\n");
		return 2;
	}
	long n = atol(argv[4]);
	store *st;
	store_err err;
	if (store_open(argv[1], STORE_OPEN_NO_SYNC, &st, &err)) {
		fprintf(stderr, "churn: %s\n", err.msg);
		return 1;
	}
	long long first = wall_us();
	for (long i = 0; i < n; i++) {
		store_code c = i % 2 ? store_resume_task(st, argv[2], argv[3], NULL, 0, &err)
				     : store_pause_task(st, argv[2], argv[3], &err);
		if (c) {
			fprintf(stderr, "churn: change %ld: %s\n", i, err.msg);
			store_close(st);
			return 1;
		}
	}
	printf("%lld %lld\n", first, wall_us());
	store_close(st);
	return 0;
}
