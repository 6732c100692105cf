/* follow.c - seectl logs (a task's log, and following it) and history
 * --follow (the audit trail as it grows): what journalctl -f and kubectl
 * logs -f do, on the store's pushes.  One poll waits on the push
 * connection; each push that names the execution (or all of them) reads
 * what is new since the last line or event printed, so a reader that falls
 * behind loses nothing. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_int.h"
#include "datafile.h"
#include "text.h"

/* A page of log lines or events: what one request reads. */
#define FOLLOW_PAGE 1000
/* How long a follower waits for a push before it looks by itself (a push
 * lost with a server that went away is caught up on reconnecting too). */
#define FOLLOW_IDLE_MS 30000

/* Subscribes (again, after the server went away); -1 after saying why. */
static int watch(store *st, int *fd)
{
	store_err err;
	if (store_watch(st, fd, &err)) {
		*fd = -1;
		cmd_store_fail(&err);
		return -1;
	}
	return 0;
}

/* Waits for a push that names `exec` (any execution when NULL), or for
 * FOLLOW_IDLE_MS.  0 when it is time to read, or the exit code. */
static int wait_push(store *st, int *fd, const char *exec)
{
	for (;;) {
		if (*fd < 0 && watch(st, fd) < 0)
			return EXIT_STORAGE;
		struct pollfd p = { .fd = *fd, .events = POLLIN };
		int n = poll(&p, 1, FOLLOW_IDLE_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cmd_fail(EXIT_STORAGE, "waiting for the store's pushes: %s", strerror(errno));
		if (n == 0)
			return 0;
		store_push push;
		store_err err;
		if (store_watch_read(st, &push, &err)) {
			*fd = -1; /* the server went away: subscribe again, then read what changed meanwhile */
			if (watch(st, fd) < 0)
				return EXIT_STORAGE;
			return 0;
		}
		if (!push.pushed)
			continue;
		bool ours = push.all || !exec;
		for (size_t i = 0; i < push.n_ids && !ours; i++)
			ours = strcmp(push.ids[i], exec) == 0;
		if (ours)
			return 0;
	}
}

/* ---- logs ---- */

typedef struct logs_opts {
	size_t tail;
	bool has_tail, follow;
} logs_opts;

static int logs_opt(int o, const char *arg, void *ctx)
{
	logs_opts *lo = ctx;
	if (o == 'n') {
		lo->has_tail = true;
		return cmd_parse_count(arg, &lo->tail);
	}
	if (o == 'f') {
		lo->follow = true;
		return 0;
	}
	return -1;
}

/* Prints lines from..total-1 of a task's log; *from ends past the last
 * printed.  0, or the exit code. */
static int print_lines(store *st, const char *exec, const char *task, uint64_t *from, uint64_t *total)
{
	for (;;) {
		record_text *v;
		size_t n;
		store_err err;
		if (store_task_logs(st, exec, task, *from, FOLLOW_PAGE, &v, &n, total, &err))
			return cmd_store_fail(&err);
		for (size_t i = 0; i < n; i++) {
			text_escape_fputs(stdout, v[i].s, v[i].len);
			fputc('\n', stdout);
			free(v[i].s);
		}
		free(v);
		*from += n;
		if (fflush(stdout) != 0)
			return cmd_fail(EXIT_STORAGE, "writing the log failed: %s", strerror(errno));
		if (n == 0 || *from >= *total)
			return 0;
	}
}

/* Whether the task has ended (or its execution has, or it is gone): no
 * more lines will come.  -1 when the store failed (after saying why). */
static int task_ended(store *st, const char *exec, const char *task)
{
	store_item it;
	store_err err;
	store_code c = store_get_item(st, exec, &it, &err);
	if (c == STORE_NOT_FOUND)
		return 1;
	if (c) {
		cmd_store_fail(&err);
		return -1;
	}
	int ended = it.exec.status == EXEC_COMPLETE || it.exec.status == EXEC_FAILED;
	for (size_t i = 0; i < it.n_tasks; i++)
		if (strcmp(it.tasks[i].task_id, task) == 0)
			ended |= it.tasks[i].status == TASK_COMPLETE || it.tasks[i].status == TASK_FAILED;
	store_item_free(&it);
	return ended;
}

int follow_logs(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "tail", required_argument, NULL, 'n' },
					      { "follow", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	logs_opts lo = { 0, false, false };
	if (cmd_parse_opts_short(cmd_find("logs"), argc, argv, "fn:", opts, logs_opt, &lo) < 0)
		return EXIT_USAGE;
	if (argc - optind != 2)
		return cmd_fail(EXIT_USAGE, "logs: name an execution and a task (seectl logs EXEC TASK)");
	const char *exec = argv[optind], *task = argv[optind + 1];
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	record_exec e;
	store_err err;
	if (store_get(c->st, exec, &e, &err))
		return cmd_store_fail(&err);
	record_exec_free(&e);
	int fd = -1;
	/* subscribe before the first read, so that no line falls between them */
	if (lo.follow && watch(c->st, &fd) < 0)
		return EXIT_STORAGE;
	uint64_t from = 0, total = 0;
	record_text *first;
	size_t n;
	if (store_task_logs(c->st, exec, task, 0, 1, &first, &n, &total, &err))
		return cmd_store_fail(&err);
	for (size_t i = 0; i < n; i++)
		free(first[i].s);
	free(first);
	if (lo.has_tail && lo.tail < total)
		from = total - lo.tail;
	if ((rc = print_lines(c->st, exec, task, &from, &total)))
		return rc;
	while (lo.follow) {
		int ended = task_ended(c->st, exec, task);
		if (ended < 0)
			return EXIT_STORAGE;
		/* the lines written before it ended, then stop */
		if ((rc = print_lines(c->st, exec, task, &from, &total)))
			return rc;
		if (ended)
			break;
		if ((rc = wait_push(c->st, &fd, exec)))
			return rc;
	}
	return EXIT_DONE;
}

/* ---- history --follow ---- */

int follow_history(cli *c, const char *exec, size_t last, bool json, void (*print)(const record_event *))
{
	int fd = -1;
	if (watch(c->st, &fd) < 0)
		return EXIT_STORAGE;
	/* the newest `last` events, printed oldest first, then each new one */
	record_event *ev;
	size_t n;
	store_err err;
	if (store_events(c->st, exec, 0, last ? last : 1, &ev, &n, &err))
		return cmd_store_fail(&err);
	uint64_t seen = n ? ev[0].seq : 0;
	if (!last) {
		record_event_array_free(ev, n);
		n = 0;
		ev = NULL;
	}
	for (size_t i = n; i-- > 0;) {
		if (json) {
			datafile_json_event(stdout, &ev[i]);
			fputc('\n', stdout);
		} else {
			print(&ev[i]);
		}
	}
	record_event_array_free(ev, n);
	for (;;) {
		if (fflush(stdout) != 0)
			return cmd_fail(EXIT_STORAGE, "writing the history failed: %s", strerror(errno));
		int rc = wait_push(c->st, &fd, exec);
		if (rc)
			return rc;
		do {
			if (store_events_after(c->st, exec, seen, FOLLOW_PAGE, &ev, &n, &err))
				return cmd_store_fail(&err);
			for (size_t i = 0; i < n; i++) {
				if (json) {
					datafile_json_event(stdout, &ev[i]);
					fputc('\n', stdout);
				} else {
					print(&ev[i]);
				}
				seen = ev[i].seq;
			}
			record_event_array_free(ev, n);
		} while (n == FOLLOW_PAGE);
	}
}
