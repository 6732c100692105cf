/* make_prepause_home.c - writes tests/data/prepause-home: a home as format 1
 * (before pausing existed) wrote it.  Run once; its output is committed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forge.h"

static void task(record_task *t, const char *exec, const char *id, const char *name, task_status s,
		 const char *start, const char *end)
{
	memset(t, 0, sizeof *t);
	t->execution_id = record_strdup(exec);
	t->task_id = record_strdup(id);
	record_text_set(&t->task_name, name, strlen(name));
	t->status = s;
	t->logs = calloc(1, sizeof *t->logs);
	record_text_set(&t->logs[0], "written before pausing existed", 30);
	t->n_logs = 1;
	t->start_timestamp = record_strdup(start);
	t->end_timestamp = record_strdup(end);
	record_text_set(&t->input_prompt, "", 0);
}

static void exec(store_item *it, const char *id, const char *name, exec_status s, const char *start,
		 const char *end, size_t n)
{
	memset(it, 0, sizeof *it);
	it->exec.id = record_strdup(id);
	record_text_set(&it->exec.workflow_name, name, strlen(name));
	it->exec.status = s;
	it->exec.start_timestamp = record_strdup(start);
	it->exec.end_timestamp = end ? record_strdup(end) : NULL;
	it->exec.task_ids = calloc(n, sizeof *it->exec.task_ids);
	it->exec.n_task_ids = n;
	it->tasks = calloc(n, sizeof *it->tasks);
	it->n_tasks = n;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_prepause_home DIR\n");
		return 2;
	}
	store_item items[3];
	exec(&items[0], "legacy-running", "Nightly Build", EXEC_RUNNING, "2024-11-01T08:00:00Z", NULL, 2);
	task(&items[0].tasks[0], "legacy-running", "build", "Compile", TASK_IN_PROGRESS, "2024-11-01T08:00:00Z", "");
	task(&items[0].tasks[1], "legacy-running", "publish", "Publish", TASK_PENDING, "", "");
	exec(&items[1], "legacy-complete", "Backup", EXEC_COMPLETE, "2024-10-30T01:00:00Z", "2024-10-30T01:20:00Z", 1);
	task(&items[1].tasks[0], "legacy-complete", "dump", "Dump database", TASK_COMPLETE, "2024-10-30T01:00:00Z",
	     "2024-10-30T01:20:00Z");
	exec(&items[2], "legacy-failed", "Deploy", EXEC_FAILED, "2024-10-31T12:00:00Z", "2024-10-31T12:05:00Z", 1);
	task(&items[2].tasks[0], "legacy-failed", "rollout", "Roll out", TASK_FAILED, "2024-10-31T12:00:00Z",
	     "2024-10-31T12:05:00Z");
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < items[i].n_tasks; j++)
			items[i].exec.task_ids[j] = record_strdup(items[i].tasks[j].task_id);
	store_err err;
	if (forge_legacy_home(argv[1], items, 3, &err)) {
		fprintf(stderr, "make_prepause_home: %s\n", err.msg);
		return 3;
	}
	for (int i = 0; i < 3; i++)
		store_item_free(&items[i]);
	return 0;
}
