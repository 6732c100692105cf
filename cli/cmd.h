/* cmd.h - the commands of seectl: one table drives dispatch and help. */
#ifndef SEETOP_CMD_H
#define SEETOP_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"
#include "exits.h"
#include "store.h"

typedef struct cli {
	char *home;
	unsigned open_flags;
	char *actor;
	seetop_conf conf;
	store *st;         /* opened on first use */
} cli;

typedef struct cmd {
	const char *name;
	const char *args;
	const char *summary; /* NULL: hidden from the usage and from completion */
	const char *help;  /* the options and details shown by `seectl help NAME` */
	int (*run)(cli *c, int argc, char **argv);
} cmd;

extern const cmd cmd_table[];
const cmd *cmd_find(const char *name);
/* `seectl help NAME`: the usage, one line per alternative of its args,
 * the summary and the help, within HELP_WIDTH columns. */
void cmd_print_help(const cmd *c);
/* Help is laid out for a terminal of 80 columns (as man pages are). */
#define HELP_WIDTH 80
/* One line of help to f, broken at spaces to fit HELP_WIDTH, each further
 * line indented by `indent` columns. */
void cmd_put_wrapped(FILE *f, const char *line, int indent);
/* Prints "seectl: what" to stderr and returns the exit code. */
int cmd_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cmd_exit_code(store_code c);
/* Whether text output keeps every column whole (true when stdout is not a
 * terminal, or with --wide) or cuts it to its width with an ellipsis. */
void cmd_set_wide(bool wide);

#endif
