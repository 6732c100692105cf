/* cmd_int.h - what the modules of seectl's commands share; not installed.
 *
 *   cmd_table.h  the commands, one row each (name, usage, help, function)
 *   cmd.c    the table made from those rows, the helpers below, and the commands
 *            that read: import, export, list, paused, show, history,
 *            verify, gen, help
 *   act.c    the commands that act on executions: pause, resume, reject,
 *            cancel, deadline, respondents, delete
 *   admin.c  the commands that look after a home: server, notify, backup
 *   repl.c   repl: a home as a site of a replication group
 *   bulk.c   --all of resume, reject and cancel
 *   follow.c the commands that follow the store's pushes: logs, history --follow
 *   metrics.c metrics: the home's state in the Prometheus text format
 *   completion.c  completion: the bash and zsh scripts, from the table above
 */
#ifndef SEETOP_CMD_INT_H
#define SEETOP_CMD_INT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "cmd.h"
#include "cmd_table.h"

/* Opens c->st on first use (never creates a home unless --create or the
 * command does); 0, or the exit code after printing why. */
int cmd_open_store(cli *c);
/* Prints the store's error and returns its exit code. */
int cmd_store_fail(const store_err *err);

/* Parses a command's own options, which may follow its arguments; calls
 * on(val, optarg, ctx) for each, which returns -1 to refuse the value
 * (after cmd_hint() says what it should be).  -h prints the command's
 * help and exits.  Returns -1 after printing a usage error. */
int cmd_parse_opts(const cmd *self, int argc, char **argv, const struct option *opts,
		   int (*on)(int, const char *, void *), void *ctx);
/* The same, with short options too (getopt's syntax, "fn:"): each one's
 * value is the val of its long option. */
int cmd_parse_opts_short(const cmd *self, int argc, char **argv, const char *shorts, const struct option *opts,
			 int (*on)(int, const char *, void *), void *ctx);
/* What a refused option value should have been (a static string). */
void cmd_hint(const char *what);
/* Option handlers: none accepted; --json only (ctx: a json_opt). */
int cmd_no_opts(int o, const char *arg, void *ctx);
typedef struct json_opt {
	bool json;
} json_opt;
int cmd_json_only(int o, const char *arg, void *ctx);
/* A count: a decimal integer >= 0; -1 (with a hint) when it is not. */
int cmd_parse_count(const char *s, size_t *out);

/* A string to stdout with controls escaped; NULL prints "-". */
void cmd_put_escs(const char *s);

/* history --follow: the newest `last` events of exec (NULL: all), oldest
 * first, then each new one until interrupted; returns an exit code. */
int follow_history(cli *c, const char *exec, size_t last, bool json, void (*print)(const record_event *));
/* repl.c: the replication state of the store's server, for server status
 * (admin.c): as JSON, the value of "replication" (null when the home is not
 * a site of a group); else its lines ("replicated no" for a home of its
 * own). */
void repl_print_state(store *st, bool json);

/* Each command's function, declared from its row in cmd_table.h. */
#define CMD_PROTO(name, args, summary, help, fn) int fn(cli *c, int argc, char **argv);
SEECTL_COMMANDS(CMD_PROTO)
#undef CMD_PROTO

#endif
