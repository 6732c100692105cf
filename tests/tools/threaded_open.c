/* threaded_open.c - an engine that starts its threads first and opens the
 * store after: 4 threads run (busy in malloc) while the main thread opens
 * the store, which starts its server; then each thread opens a handle of
 * its own and asks for the generation; then the server is stopped and a
 * call on an open handle starts a new one.  The library must never fork
 * the caller for any of it (a pthread_atfork handler counts forks).
 *
 *   threaded_open HOME     exit 0, or 1 with what went wrong */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define THREADS 4
#define CALLS 50

static atomic_int forks;
static atomic_int go;
static atomic_int failed;
static const char *home;

static void count_fork(void)
{
	atomic_fetch_add(&forks, 1);
}

static void *worker(void *arg)
{
	(void)arg;
	/* busy in the allocator until the main thread has opened the store */
	while (!atomic_load(&go)) {
		void *p = malloc(4096);
		memset(p, 1, 4096);
		free(p);
	}
	store *st;
	store_err err;
	if (store_open(home, 0, &st, &err)) {
		fprintf(stderr, "threaded_open: a thread's store_open: %s\n", err.msg);
		atomic_fetch_add(&failed, 1);
		return NULL;
	}
	for (int i = 0; i < CALLS; i++) {
		uint64_t gen;
		if (store_generation(st, &gen, &err)) {
			fprintf(stderr, "threaded_open: a thread's store_generation: %s\n", err.msg);
			atomic_fetch_add(&failed, 1);
			break;
		}
	}
	store_close(st);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: threaded_open HOME\n");
		return 2;
	}
	home = argv[1];
	pthread_atfork(count_fork, NULL, NULL);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "threaded_open: cannot start a thread\n");
			return 1;
		}
	store *st;
	store_err err;
	store_code c = store_open(home, STORE_OPEN_CREATE, &st, &err);
	atomic_store(&go, 1);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	if (c) {
		fprintf(stderr, "threaded_open: store_open with 4 threads running: %s\n", err.msg);
		return 1;
	}
	/* a call after the server went away starts a new one */
	bool was;
	uint64_t gen;
	if (store_server_stop(home, &was, &err) || !was) {
		fprintf(stderr, "threaded_open: stopping the server: %s\n", was ? err.msg : "none ran");
		return 1;
	}
	if (store_generation(st, &gen, &err)) {
		fprintf(stderr, "threaded_open: a call after the server stopped: %s\n", err.msg);
		return 1;
	}
	store_close(st);
	if (atomic_load(&failed))
		return 1;
	if (atomic_load(&forks)) {
		fprintf(stderr, "threaded_open: the library forked this process %d times\n", atomic_load(&forks));
		return 1;
	}
	printf("4 threads, then the store: %d calls, no fork\n", THREADS * CALLS + 1);
	return 0;
}
