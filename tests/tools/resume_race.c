/* resume_race.c - answers a seerun as fast as a program can: RUNS times it
 * starts seerun on a workflow whose first task asks for input, resumes that
 * task the moment the store says it waits, and requires the execution to
 * go on within 10 seconds.  A seerun that subscribes to the store's pushes
 * after it asks would never hear of such an answer.
 *
 *   resume_race SEERUN HOME WORKFLOW RUNS     exit 0, or 1 naming the run */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static long long ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: resume_race SEERUN HOME WORKFLOW RUNS\n");
		return 2;
	}
	int runs = atoi(argv[4]);
	store *st;
	store_err err;
	if (store_open(argv[2], STORE_OPEN_CREATE | STORE_OPEN_NO_SYNC, &st, &err)) {
		fprintf(stderr, "resume_race: %s\n", err.msg);
		return 2;
	}
	for (int r = 0; r < runs; r++) {
		char id[32];
		snprintf(id, sizeof id, "race-%d", r);
		pid_t pid = fork();
		if (pid == 0) {
			if (!freopen("/dev/null", "w", stdout))
				_exit(127);
			execl(argv[1], "seerun", "--home", argv[2], "--id", id, argv[3], (char *)NULL);
			_exit(127);
		}
		long long t0 = ms();
		record_exec e;
		for (;;) {
			if (store_get(st, id, &e, &err) == STORE_OK) {
				bool waiting = e.status == EXEC_WAITING;
				record_exec_free(&e);
				if (waiting)
					break;
			}
			if (ms() - t0 > 10000) {
				fprintf(stderr, "resume_race: run %d: seerun never asked\n", r);
				kill(pid, SIGKILL);
				store_close(st);
				return 1;
			}
			usleep(100);
		}
		if (store_resume_task(st, id, "ask", "go", 2, &err)) {
			fprintf(stderr, "resume_race: run %d: %s\n", r, err.msg);
			kill(pid, SIGKILL);
			store_close(st);
			return 1;
		}
		int status;
		t0 = ms();
		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (ms() - t0 > 10000) {
				fprintf(stderr, "resume_race: run %d: seerun missed the answer given 0.1 ms after it asked "
						"(still waiting 10 s later)\n", r);
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				store_close(st);
				return 1;
			}
			usleep(1000);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "resume_race: run %d: seerun exited %d\n", r, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			store_close(st);
			return 1;
		}
	}
	store_close(st);
	return 0;
}
