/* gen.c - synthetic executions for demos and benchmarks: realistic names,
 * start times spread over 180 days, logs, a fraction waiting for input. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"

static const char *const gen_workflows[] = { "Deploy api", "Nightly ETL", "Database backup", "Scale web tier",
					     "Orders migration", "Release train", "Certificate renewal", "Invoice run",
					     "Index rebuild", "Onboard employee" };
static const char *const gen_steps[] = { "Build", "Test", "Approve", "Roll out", "Verify", "Notify", "Extract",
					 "Transform", "Load", "Clean up" };

static void set_text(record_text *t, const char *s)
{
	record_text_set(t, s, strlen(s));
}

void gen_item(const gen_params *g, size_t i, store_item *it)
{
	unsigned r = g->seed * 2654435761u ^ (unsigned)i * 40503u;
	char id[64], ts[40], buf[160];
	memset(it, 0, sizeof *it);
	snprintf(id, sizeof id, "gen-%08zu", i);
	/* 180 days from 2025-06-01; like a real engine's ids, later ids start
	 * later, so a bulk load appends to every index instead of scattering */
	const long span = 180L * 86400;
	long off = rand_r(&r) % span;
	if (g->executions) {
		long step = span / (long)g->executions;
		off = (long)((double)i / (double)g->executions * (double)span) + (step > 1 ? off % step : 0);
	}
	time_t when = 1748736000 + (time_t)off;
	struct tm tm;
	gmtime_r(&when, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	bool waiting = (double)(rand_r(&r) % 1000000) / 1e6 < g->waiting_ratio;
	int fate = rand_r(&r) % 10; /* 0-5 complete, 6-8 running, 9 failed */
	record_exec *e = &it->exec;
	e->id = record_strdup(id);
	snprintf(buf, sizeof buf, "%s #%u", gen_workflows[rand_r(&r) % 10], rand_r(&r) % 10000);
	set_text(&e->workflow_name, buf);
	e->start_timestamp = record_strdup(ts);
	e->status = waiting ? EXEC_WAITING : fate <= 5 ? EXEC_COMPLETE : fate <= 8 ? EXEC_RUNNING : EXEC_FAILED;
	if (e->status == EXEC_COMPLETE || e->status == EXEC_FAILED)
		e->end_timestamp = record_strdup(ts);
	size_t k = g->tasks_per, wait_at = waiting ? (size_t)rand_r(&r) % k : k;
	e->task_ids = calloc(k, sizeof *e->task_ids);
	it->tasks = calloc(k, sizeof *it->tasks);
	for (size_t j = 0; j < k; j++) {
		char tid[16];
		snprintf(tid, sizeof tid, "task%zu", j + 1);
		e->task_ids[j] = record_strdup(tid);
		record_task *t = &it->tasks[j];
		t->execution_id = record_strdup(id);
		t->task_id = record_strdup(tid);
		set_text(&t->task_name, gen_steps[(j + i) % 10]);
		if (e->status == EXEC_COMPLETE)
			t->status = TASK_COMPLETE;
		else if (e->status == EXEC_FAILED)
			t->status = j + 1 < k ? TASK_COMPLETE : TASK_FAILED;
		else if (e->status == EXEC_WAITING)
			t->status = j < wait_at ? TASK_COMPLETE : j == wait_at ? TASK_WAITING : TASK_PENDING;
		else
			t->status = j == 0 ? TASK_IN_PROGRESS : TASK_PENDING;
		bool started = t->status != TASK_PENDING;
		t->start_timestamp = record_strdup(started ? ts : "");
		t->end_timestamp = record_strdup(t->status == TASK_COMPLETE || t->status == TASK_FAILED ? ts : "");
		t->logs = calloc(2, sizeof *t->logs);
		snprintf(buf, sizeof buf, "%s started on worker-%u", gen_steps[(j + i) % 10], rand_r(&r) % 64);
		set_text(&t->logs[0], buf);
		snprintf(buf, sizeof buf, "processed %u items in %u ms", rand_r(&r) % 100000, rand_r(&r) % 60000);
		set_text(&t->logs[1], buf);
		t->n_logs = 2;
		set_text(&t->input_prompt, "");
		if (t->status == TASK_WAITING) {
			static const char *const prompts[] = { "Approve the deployment?", "How many replicas?",
							      "Type the table name to confirm" };
			int kind = rand_r(&r) % 3;
			t->has_input = true;
			t->input_type = kind == 0 ? INPUT_BOOLEAN : kind == 1 ? INPUT_NUMBER : INPUT_STRING;
			t->input_required = true;
			set_text(&t->input_prompt, prompts[kind]);
			e->is_paused = true;
			e->paused_task_id = record_strdup(tid);
		}
	}
	e->n_task_ids = it->n_tasks = k;
}


int gen_cache_mb(const gen_params *p, size_t n)
{
	double mb = (double)n * (320.0 + 190.0 * (double)p->tasks_per) * 1.25 / (1024.0 * 1024.0);
	return mb < 256 ? 256 : mb > 4096 ? 4096 : (int)mb;
}
