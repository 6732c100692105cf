/* attach_many.c - an engine that drives many executions at once: it starts
 * N executions (ids PREFIX-0000001 padded to 120 bytes, one task each) on
 * one connection, so each is attached to it, prints "ready", then holds
 * them until it is killed.  For tests of an attached set larger than a
 * master sends its replicas (server_leases.c).
 *
 *   attach_many HOME PREFIX N      exit 1 naming what failed */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

#define ID_LEN 120

int main(int argc, char **argv)
{
	if (argc != 4 || atoi(argv[3]) <= 0) {
		fprintf(stderr, "usage: attach_many HOME PREFIX N\n");
		return 2;
	}
	store *st;
	store_err err;
	if (store_open(argv[1], 0, &st, &err)) {
		fprintf(stderr, "attach_many: %s\n", err.msg);
		return 1;
	}
	int n = atoi(argv[3]);
	for (int i = 1; i <= n; i++) {
		char id[ID_LEN + 1];
		int len = snprintf(id, sizeof id, "%s-%07d-", argv[2], i);
		if (len < 0 || len >= ID_LEN) {
			fprintf(stderr, "attach_many: the prefix '%s' is too long\n", argv[2]);
			return 1;
		}
		memset(id + len, 'x', ID_LEN - (size_t)len);
		id[ID_LEN] = '\0';
		store_item def;
		memset(&def, 0, sizeof def);
		def.exec.id = strdup(id);
		record_text_set(&def.exec.workflow_name, "Many", 4);
		def.exec.task_ids = calloc(1, sizeof *def.exec.task_ids);
		def.tasks = calloc(1, sizeof *def.tasks);
		if (!def.exec.id || !def.exec.task_ids || !def.tasks) {
			fprintf(stderr, "attach_many: out of memory\n");
			return 1;
		}
		def.exec.task_ids[0] = strdup("work");
		def.tasks[0].execution_id = strdup(id);
		def.tasks[0].task_id = strdup("work");
		record_text_set(&def.tasks[0].task_name, "Work", 4);
		record_text_set(&def.tasks[0].input_prompt, "", 0);
		def.exec.n_task_ids = def.n_tasks = 1;
		store_code c = store_exec_start(st, &def, &err);
		store_item_free(&def);
		if (c) {
			fprintf(stderr, "attach_many: starting %s: %s\n", id, err.msg);
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
