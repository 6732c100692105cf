/* pushcount.c - a subscriber that counts the pushes it is sent: it
 * subscribes, prints "ready" once subscribed, and after SECS seconds prints
 * how many pushes it read.  For tests that bound how often the server
 * wakes a dashboard.
 *
 *   pushcount HOME SECS      exit 0, or 1 naming what failed */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "store.h"

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: pushcount HOME SECS\n");
		return 2;
	}
	store *st;
	store_err err;
	int fd;
	if (store_open(argv[1], STORE_OPEN_READ_ONLY, &st, &err) || store_watch(st, &fd, &err)) {
		fprintf(stderr, "pushcount: %s\n", err.msg);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	double end = mono() + atof(argv[2]);
	long pushes = 0;
	for (double now = mono(); now < end; now = mono()) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, (int)((end - now) * 1000) + 1) <= 0)
			continue;
		store_push push;
		if (store_watch_read(st, &push, &err)) {
			fprintf(stderr, "pushcount: %s\n", err.msg);
			return 1;
		}
		pushes += push.pushed;
	}
	printf("%ld\n", pushes);
	store_close(st);
	return 0;
}
