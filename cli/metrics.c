/* metrics.c - seectl metrics: the home's state in the Prometheus text
 * format (version 0.0.4), for node_exporter's textfile collector or any
 * scraper that runs a command.  The whole text is built first and written
 * at once, so a failing store prints nothing but one line on stderr. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_int.h"
#include "text.h"

typedef struct tally {
	uint64_t counts[EXEC_STATUS_COUNT], generation;
	uint64_t tasks_answer, tasks_paused; /* waiting tasks: for an answer, or paused by an operator */
	uint64_t overdue;                    /* waiting tasks whose deadline has passed */
	long long oldest_s;                  /* the longest a waiting task has waited (-1: none waits) */
	store_server_info server;
} tally;

/* Walks every waiting execution's tasks: how many wait, why, the oldest,
 * and the deadlines that passed unanswered (the server's timer is behind). */
static store_code tally_waiting(store *st, tally *t, store_err *err)
{
	record_exec *v;
	size_t n;
	store_code c = store_paused(st, &v, &n, err);
	if (c)
		return c;
	for (size_t i = 0; i < n; i++) {
		store_item it;
		if (store_get_item(st, v[i].id, &it, err))
			continue; /* resumed or gone meanwhile */
		for (size_t k = 0; k < it.n_tasks; k++) {
			const record_task *tk = &it.tasks[k];
			if (tk->status != TASK_WAITING)
				continue;
			if (tk->has_input)
				t->tasks_answer++;
			else
				t->tasks_paused++;
			long long since = text_until(tk->start_timestamp[0] ? tk->start_timestamp : it.exec.start_timestamp);
			if (since != LLONG_MIN && -since > t->oldest_s)
				t->oldest_s = -since;
			if (tk->input_deadline) {
				long long left = text_until(tk->input_deadline);
				t->overdue += left != LLONG_MIN && left < 0;
			}
		}
		store_item_free(&it);
	}
	record_exec_array_free(v, n);
	return STORE_OK;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_metrics(FILE *f, const tally *t)
{
	family(f, "seetop_executions", "gauge", "Executions in the home, by status.");
	for (int s = 0; s < EXEC_STATUS_COUNT; s++)
		fprintf(f, "seetop_executions{status=\"%s\"} %llu\n", status_exec_name((exec_status)s),
			(unsigned long long)t->counts[s]);
	family(f, "seetop_waiting_tasks", "gauge",
	       "Tasks that wait: for an answer (reason=\"answer\") or paused by an operator (reason=\"paused\").");
	fprintf(f, "seetop_waiting_tasks{reason=\"answer\"} %llu\n", (unsigned long long)t->tasks_answer);
	fprintf(f, "seetop_waiting_tasks{reason=\"paused\"} %llu\n", (unsigned long long)t->tasks_paused);
	family(f, "seetop_oldest_waiting_seconds", "gauge",
	       "Seconds since the longest-waiting task started (0 when none waits).");
	fprintf(f, "seetop_oldest_waiting_seconds %lld\n", t->oldest_s < 0 ? 0 : t->oldest_s);
	family(f, "seetop_overdue_deadlines", "gauge",
	       "Waiting tasks whose deadline has passed and that the store server has not resolved yet.");
	fprintf(f, "seetop_overdue_deadlines %llu\n", (unsigned long long)t->overdue);
	family(f, "seetop_hooks_run_total", "counter", "Notification commands run in this home.");
	fprintf(f, "seetop_hooks_run_total %llu\n", (unsigned long long)t->server.hooks_run);
	family(f, "seetop_hooks_failed_total", "counter", "Notification commands that failed (exit status, signal, time limit).");
	fprintf(f, "seetop_hooks_failed_total %llu\n", (unsigned long long)t->server.hooks_failed);
	family(f, "seetop_hooks_pending", "gauge", "Notifications waiting to run or running.");
	fprintf(f, "seetop_hooks_pending %llu\n", (unsigned long long)t->server.hooks_pending);
	family(f, "seetop_server_uptime_seconds", "gauge", "Seconds since the home's store server started.");
	fprintf(f, "seetop_server_uptime_seconds %llu\n", (unsigned long long)t->server.uptime_s);
	family(f, "seetop_store_generation", "gauge", "The store's generation: it grows by one with each committed change.");
	fprintf(f, "seetop_store_generation %llu\n", (unsigned long long)t->generation);
}

int metrics_run(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	if (cmd_parse_opts(cmd_find("metrics"), argc, argv, opts, cmd_no_opts, NULL) < 0)
		return EXIT_USAGE;
	if (optind < argc)
		return cmd_fail(EXIT_USAGE, "metrics: unexpected argument '%s'", argv[optind]);
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	tally t;
	memset(&t, 0, sizeof t);
	t.oldest_s = -1;
	store_err err;
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	if (store_list_counts(c->st, -1, &cur, 1, &v, &n, t.counts, &t.generation, &err))
		return cmd_store_fail(&err);
	record_exec_array_free(v, n);
	if (tally_waiting(c->st, &t, &err) || store_server_status(c->st, &t.server, &err))
		return cmd_store_fail(&err);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return cmd_fail(EXIT_STORAGE, "metrics: %s", strerror(errno));
	write_metrics(f, &t);
	if (fclose(f) != 0) {
		free(text);
		return cmd_fail(EXIT_STORAGE, "metrics: %s", strerror(errno));
	}
	fwrite(text, 1, len, stdout);
	free(text);
	return EXIT_DONE;
}
