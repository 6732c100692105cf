/* seectl.c - the scriptable command line of seetop. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

void seectl_usage(FILE *f);
void seectl_usage(FILE *f)
{
	fputs("usage: seectl [global options] COMMAND [ARGS]\n\n"
	      "The command line of seetop: the executions and tasks of workflows that wait\n"
	      "for a human.\n\n"
	      "Global options:\n"
	      "  --home DIR      the store (else $SEETOP_HOME, the config's home,\n"
	      "                  $XDG_STATE_HOME/seetop, ~/.local/state/seetop); on another\n"
	      "                  host: ssh://[USER@]HOST[:PORT]/PATH\n"
	      "  --config FILE   the config file (else $SEETOP_CONFIG,\n"
	      "                  $XDG_CONFIG_HOME/seetop/config.yaml,\n"
	      "                  ~/.config/seetop/config.yaml,\n"
	      "                  " SYSCONFDIR "/seetop/config.yaml)\n"
	      "  --read-only     refuse every change (also read_only: true in the config)\n"
	      "  --write         allow changes even when the config says read_only\n"
	      "  --create        make the store when the home has none (import and gen always\n"
	      "                  do)\n"
	      "  --actor NAME    the name recorded in the audit trail (default: the login name)\n"
	      "  -w, --wide      on a terminal too, cut no column (output that is not a\n"
	      "                  terminal is never cut: seectl paused | grep ID finds the\n"
	      "                  whole id)\n"
	      "  -h, --help      this help;  seectl help COMMAND  describes one command\n"
	      "  -V, --version   the version\n"
	      "Global options may also follow the command.\n\n"
	      "Commands:\n",
	      f);
	for (const cmd *c = cmd_table; c->name; c++) {
		if (!c->summary)
			continue; /* hidden */
		char head[256], line[512];
		snprintf(head, sizeof head, "%s %s", c->name, c->args);
		if (strlen(head) > 38) { /* a long synopsis gets a line of its own */
			snprintf(line, sizeof line, "  %s", head);
			cmd_put_wrapped(f, line, 4);
			snprintf(line, sizeof line, "  %-38s %s", "", c->summary);
		} else {
			snprintf(line, sizeof line, "  %-38s %s", head, c->summary);
		}
		cmd_put_wrapped(f, line, 41);
	}
	fputs("\nExit codes:\n"
	      "  0  done\n"
	      "  1  refused: not found, not in a state that allows it, invalid input value,\n"
	      "     read-only, or verify found problems\n"
	      "  2  usage, config or data-file error\n"
	      "  3  storage or system error\n",
	      f);
}

/* Moves the global options that follow the command to before it (bounded:
 * argv is only reordered), so that `seectl list --home DIR` works. */
static int hoist_globals(int argc, char **argv)
{
	static const char *const with_value[] = { "--home", "--config", "--actor", NULL };
	static const char *const flags[] = { "--read-only", "--write", "--create", "--wide", "-w", NULL };
	int cmd_at = 1;
	/* the command: the first word that is not a global option or its value */
	while (cmd_at < argc && argv[cmd_at][0] == '-') {
		bool takes = false;
		for (int k = 0; with_value[k]; k++)
			takes |= strcmp(argv[cmd_at], with_value[k]) == 0;
		cmd_at += takes ? 2 : 1;
	}
	if (cmd_at >= argc)
		return argc;
	char *moved[64];
	int n_moved = 0, j = cmd_at + 1;
	char **rest = argv + cmd_at + 1;
	int n_rest = argc - cmd_at - 1, kept = 0;
	for (int i = 0; i < n_rest; i++) {
		const char *a = rest[i];
		if (strcmp(a, "--") == 0) {
			while (i < n_rest)
				rest[kept++] = rest[i++];
			break;
		}
		int take = 0;
		for (int k = 0; with_value[k] && !take; k++) {
			size_t l = strlen(with_value[k]);
			if (strcmp(a, with_value[k]) == 0 && i + 1 < n_rest)
				take = 2;
			else if (strncmp(a, with_value[k], l) == 0 && a[l] == '=')
				take = 1;
		}
		for (int k = 0; flags[k] && !take; k++)
			take = strcmp(a, flags[k]) == 0;
		if (take && n_moved + take <= 64) {
			for (int t = 0; t < take; t++)
				moved[n_moved++] = rest[i + t];
			i += take - 1;
		} else {
			rest[kept++] = rest[i];
		}
	}
	(void)j;
	if (n_moved == 0)
		return argc;
	/* argv: [0], globals before, moved globals, the command, the rest */
	char *command = argv[cmd_at];
	for (int i = kept - 1; i >= 0; i--)
		argv[cmd_at + 1 + n_moved + i] = rest[i];
	argv[cmd_at + n_moved] = command;
	for (int i = 0; i < n_moved; i++)
		argv[cmd_at + i] = moved[i];
	return argc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },   { "config", required_argument, NULL, 'c' },
		{ "read-only", no_argument, NULL, 'r' },    { "write", no_argument, NULL, 'U' },
		{ "actor", required_argument, NULL, 'a' },  { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },      { "create", no_argument, NULL, 'C' },
		{ "wide", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = NULL, *config = NULL, *actor = NULL;
	int read_only = -1, o;
	bool create = false, wide = !isatty(STDOUT_FILENO);
	setlocale(LC_CTYPE, ""); /* display widths, and whether a cut may end in an ellipsis */
	opterr = 0;
	/* global options after the command are taken out before it parses its own */
	argc = hoist_globals(argc, argv);
	while ((o = getopt_long(argc, argv, "+:hVw", opts, NULL)) != -1) {
		switch (o) {
		case 'H': home = optarg; break;
		case 'c': config = optarg; break;
		case 'r': read_only = 1; break;
		case 'U': read_only = 0; break;
		case 'C': create = true; break;
		case 'w': wide = true; break;
		case 'a': actor = optarg; break;
		case 'h': seectl_usage(stdout); return EXIT_DONE;
		case 'V': printf("seectl %s\n", PACKAGE_VERSION); return EXIT_DONE;
		default:
			if (o == ':')
				return cmd_fail(EXIT_USAGE, "option %s needs a value (seectl --help)", argv[optind - 1]);
			return cmd_fail(EXIT_USAGE, "unknown option '%s' (seectl --help lists them)", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		seectl_usage(stderr);
		return EXIT_USAGE;
	}
	cmd_set_wide(wide);
	const cmd *k = cmd_find(argv[optind]);
	if (!k)
		return cmd_fail(EXIT_USAGE, "unknown command '%s' (seectl help lists them)", argv[optind]);
	if (strcmp(k->name, "help") == 0)
		return k->run(NULL, argc - optind, argv + optind);

	cli c;
	memset(&c, 0, sizeof c);
	char err[1100];
	conf_defaults(&c.conf);
	if (conf_load(&c.conf, config, err, sizeof err) < 0) {
		conf_free(&c.conf);
		return cmd_fail(EXIT_USAGE, "%s", err);
	}
	c.home = conf_home(&c.conf, home);
	c.actor = conf_actor(&c.conf, actor);
	if (read_only == 1 || (read_only == -1 && c.conf.read_only))
		c.open_flags |= STORE_OPEN_READ_ONLY;
	else if (create)
		c.open_flags |= STORE_OPEN_CREATE;
	int rc = k->run(&c, argc - optind, argv + optind);
	if (fflush(stdout) != 0 && rc == EXIT_DONE)
		rc = cmd_fail(EXIT_STORAGE, "writing the output failed");
	store_close(c.st);
	free(c.home);
	free(c.actor);
	conf_free(&c.conf);
	return rc;
}
