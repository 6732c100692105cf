/* act.c - the seectl commands that act on executions: pause, resume,
 * reject, cancel, deadline, respondents and delete. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "cmd_int.h"
#include "text.h"

int act_pause(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	if (cmd_parse_opts(cmd_find("pause"), argc, argv, opts, cmd_no_opts, NULL) < 0)
		return EXIT_USAGE;
	if (argc - optind != 2)
		return cmd_fail(EXIT_USAGE, "pause: name an execution and a task (seectl pause EXEC TASK)");
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	if (store_pause_task(c->st, argv[optind], argv[optind + 1], &err))
		return cmd_store_fail(&err);
	printf("paused task %s of %s: it asks nothing and waits until resumed\n", argv[optind + 1], argv[optind]);
	return EXIT_DONE;
}

/* ---- reject / cancel ---- */

/* The options of resume, reject and cancel: one execution, or --all of
 * those the selectors choose. */
typedef struct act_opts {
	bool all;
	bulk_opts bulk;
	const char *input;
} act_opts;

static int act_opt(int o, const char *arg, void *ctx)
{
	act_opts *a = ctx;
	switch (o) {
	case 'R':
		a->bulk.reason = arg;
		return 0;
	case 'i':
		a->input = arg;
		return 0;
	case 'a':
		a->all = true;
		return 0;
	case 'W':
		a->bulk.workflow = arg;
		return 0;
	case 'O':
		cmd_hint("a duration such as 90s, 15m, 2h, 7d or 1h30m");
		return text_duration_parse(arg, &a->bulk.older_than_s);
	case 'n':
		a->bulk.dry_run = true;
		return 0;
	case 'j':
		a->bulk.json = true;
		return 0;
	}
	return -1;
}

#define BULK_OPTIONS                                                                                              \
	{ "all", no_argument, NULL, 'a' }, { "workflow", required_argument, NULL, 'W' },                         \
		{ "older-than", required_argument, NULL, 'O' }, { "dry-run", no_argument, NULL, 'n' },           \
		{ "json", no_argument, NULL, 'j' }

/* --all and its selectors: checked, then run.  *handled is false when --all
 * was not given (the selectors alone are a usage error). */
static int maybe_bulk(cli *c, const cmd *self, const bulk_op *op, act_opts *ao, int nargs, bool *handled)
{
	*handled = true;
	bool selectors = ao->bulk.workflow || ao->bulk.older_than_s || ao->bulk.dry_run || ao->bulk.json;
	if (!ao->all) {
		*handled = false;
		return selectors ? cmd_fail(EXIT_USAGE, "%s: --workflow, --older-than, --dry-run and --json go with --all",
					    self->name)
				 : EXIT_DONE;
	}
	if (nargs)
		return cmd_fail(EXIT_USAGE, "%s: --all names no execution (select with --workflow and --older-than)",
				self->name);
	if (ao->input)
		return cmd_fail(EXIT_USAGE, "%s: --input goes with one task, not --all", self->name);
	int rc = cmd_open_store(c);
	return rc ? rc : bulk_run(c->st, op, &ao->bulk);
}

/* What reject and cancel do to each execution --all selects. */
static store_code reject_one(store *st, const char *exec_id, const char *reason, store_err *err)
{
	return store_task_reject(st, exec_id, NULL, reason, err); /* every waiting task */
}

static store_code cancel_one(store *st, const char *exec_id, const char *reason, store_err *err)
{
	return store_exec_cancel(st, exec_id, reason, err);
}

static const bulk_op reject_op = { "reject", "rejected", false, false, reject_one };
static const bulk_op cancel_op = { "cancel", "cancelled", true, false, cancel_one };

static int run_decision(cli *c, int argc, char **argv, bool reject)
{
	static const struct option opts[] = { { "reason", required_argument, NULL, 'R' }, BULK_OPTIONS,
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	act_opts ao;
	memset(&ao, 0, sizeof ao);
	const cmd *self = cmd_find(reject ? "reject" : "cancel");
	if (cmd_parse_opts(self, argc, argv, opts, act_opt, &ao) < 0)
		return EXIT_USAGE;
	const char *reason = ao.bulk.reason;
	if (ao.all && (!reason || !*reason))
		return cmd_fail(EXIT_USAGE, "%s: --reason TEXT is required: say why, for the audit trail", self->name);
	bool handled;
	int brc = maybe_bulk(c, self, reject ? &reject_op : &cancel_op, &ao, argc - optind, &handled);
	if (handled || brc)
		return brc;
	if (argc - optind != (reject ? 2 : 1))
		return cmd_fail(EXIT_USAGE, reject ? "reject: name an execution and a task (seectl reject EXEC TASK --reason TEXT)"
						   : "cancel: name one execution (seectl cancel EXEC --reason TEXT)");
	if (!reason || !*reason)
		return cmd_fail(EXIT_USAGE, "%s: --reason TEXT is required: say why, for the audit trail", self->name);
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	store_code sc = reject ? store_task_reject(c->st, argv[optind], argv[optind + 1], reason, &err)
			       : cancel_one(c->st, argv[optind], reason, &err);
	if (sc)
		return cmd_store_fail(&err);
	if (reject)
		printf("rejected task %s of %s: it failed\n", argv[optind + 1], argv[optind]);
	else
		printf("cancelled %s: it failed, with every task that had not ended\n", argv[optind]);
	return EXIT_DONE;
}

int act_reject(cli *c, int argc, char **argv)
{
	return run_decision(c, argc, argv, true);
}

int act_cancel(cli *c, int argc, char **argv)
{
	return run_decision(c, argc, argv, false);
}

/* ---- respondents ---- */

static int respondents_opt(int o, const char *arg, void *ctx)
{
	(void)arg;
	if (o != 's')
		return -1;
	*(bool *)ctx = true;
	return 0;
}

int act_respondents(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "no-self-approval", no_argument, NULL, 's' },
					      { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	bool no_self = false;
	if (cmd_parse_opts(cmd_find("respondents"), argc, argv, opts, respondents_opt, &no_self) < 0)
		return EXIT_USAGE;
	int n = argc - optind - 2;
	if (n < 1)
		return cmd_fail(EXIT_USAGE, "respondents: name an execution, a task and who may answer it (seectl "
					    "respondents EXEC TASK USER|@GROUP... [--no-self-approval], or anyone)");
	const char *const *names = (const char *const *)argv + optind + 2;
	bool anyone = n == 1 && strcmp(names[0], "anyone") == 0;
	for (int i = 0; i < n && !anyone; i++)
		if (store_respondent_check(names[i]) < 0)
			return cmd_fail(EXIT_USAGE, "respondents: '%s' is not a user or @group name (1-64 letters, digits, "
						    "'.', '_', '-')", names[i]);
	if (n > STORE_RESPONDENTS_MAX)
		return cmd_fail(EXIT_USAGE, "respondents: at most %d names", STORE_RESPONDENTS_MAX);
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	if (store_task_respondents(c->st, argv[optind], argv[optind + 1], names, anyone ? 0 : (size_t)n, no_self, &err))
		return cmd_store_fail(&err);
	printf("task %s of %s may be answered by ", argv[optind + 1], argv[optind]);
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", anyone ? "anyone who may write" : names[i]);
	puts(no_self ? " (not the user who started it)" : "");
	return EXIT_DONE;
}

/* ---- deadline ---- */

static int on_timeout_opt(int o, const char *arg, void *ctx)
{
	if (o != 'o')
		return -1;
	if (record_on_timeout_parse(arg, (record_on_timeout *)ctx) < 0) {
		cmd_hint("fail, default or skip");
		return -1;
	}
	return 0;
}

int act_deadline(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "on-timeout", required_argument, NULL, 'o' },
					      { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	record_on_timeout policy = TIMEOUT_FAIL;
	if (cmd_parse_opts(cmd_find("deadline"), argc, argv, opts, on_timeout_opt, &policy) < 0)
		return EXIT_USAGE;
	if (argc - optind != 3)
		return cmd_fail(EXIT_USAGE, "deadline: name an execution, a task and a duration (seectl deadline EXEC TASK "
					    "15m [--on-timeout fail|default|skip], or none)");
	const char *dur = argv[optind + 2];
	uint64_t secs = 0;
	if (strcmp(dur, "none") != 0 && (text_duration_parse(dur, &secs) < 0 || secs == 0))
		return cmd_fail(EXIT_USAGE, "deadline: bad duration '%s': such as 90s, 15m, 2h, 7d or 1h30m (at most "
					    "3650d), or none", dur);
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	if (store_task_deadline(c->st, argv[optind], argv[optind + 1], secs, policy, &err))
		return cmd_store_fail(&err);
	if (!secs) {
		printf("task %s of %s has no deadline\n", argv[optind + 1], argv[optind]);
		return EXIT_DONE;
	}
	store_item it;
	if (store_get_item(c->st, argv[optind], &it, &err) == STORE_OK) {
		for (size_t i = 0; i < it.n_tasks; i++)
			if (strcmp(it.tasks[i].task_id, argv[optind + 1]) == 0 && it.tasks[i].input_deadline)
				printf("task %s of %s: deadline %s, then %s\n", argv[optind + 1], argv[optind],
				       it.tasks[i].input_deadline, record_on_timeout_name(it.tasks[i].on_timeout));
		store_item_free(&it);
	}
	return EXIT_DONE;
}

/* What resume --all does to each execution: resumes the whole of it (a
 * task that needs an answer is skipped before: op.answers). */
static store_code resume_one(store *st, const char *exec_id, const char *reason, store_err *err)
{
	(void)reason;
	return store_resume_workflow(st, exec_id, err);
}

static const bulk_op resume_op = { "resume", "resumed", false, true, resume_one };

int act_resume(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "input", required_argument, NULL, 'i' }, BULK_OPTIONS,
					      { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	act_opts ro;
	memset(&ro, 0, sizeof ro);
	if (cmd_parse_opts(cmd_find("resume"), argc, argv, opts, act_opt, &ro) < 0)
		return EXIT_USAGE;
	int nargs = argc - optind;
	bool handled;
	int brc = maybe_bulk(c, cmd_find("resume"), &resume_op, &ro, nargs, &handled);
	if (handled || brc)
		return brc;
	if (nargs < 1 || nargs > 2)
		return cmd_fail(EXIT_USAGE, "resume: name an execution, and optionally a task (seectl resume EXEC [TASK])");
	if (nargs == 1 && ro.input)
		return cmd_fail(EXIT_USAGE, "resume: --input goes with a task (seectl resume EXEC TASK --input VALUE)");
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	const char *exec = argv[optind];
	if (nargs == 1) {
		if (resume_one(c->st, exec, NULL, &err))
			return cmd_store_fail(&err);
		printf("resumed %s: running\n", exec);
		return EXIT_DONE;
	}
	const char *task = argv[optind + 1];
	if (store_resume_task(c->st, exec, task, ro.input, ro.input ? strlen(ro.input) : 0, &err))
		return cmd_store_fail(&err);
	record_exec e;
	if (store_get(c->st, exec, &e, &err) == STORE_OK) {
		printf("resumed task %s of %s; execution is %s", task, exec, status_exec_name(e.status));
		if (e.is_paused) {
			fputs(" (still waiting on ", stdout);
			cmd_put_escs(e.paused_task_id);
			fputc(')', stdout);
		}
		fputc('\n', stdout);
		record_exec_free(&e);
	}
	return EXIT_DONE;
}

int act_delete(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	if (cmd_parse_opts(cmd_find("delete"), argc, argv, opts, cmd_no_opts, NULL) < 0)
		return EXIT_USAGE;
	if (argc - optind != 1)
		return cmd_fail(EXIT_USAGE, "delete: name one execution (seectl delete EXEC)");
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	if (store_delete(c->st, argv[optind], &err))
		return cmd_store_fail(&err);
	printf("deleted %s\n", argv[optind]);
	return EXIT_DONE;
}
