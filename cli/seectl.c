/* seectl.c - the scriptable command line of seetop. */
#include "config.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

void seectl_usage(FILE *f);
void seectl_usage(FILE *f)
{
	fputs("usage: seectl [global options] COMMAND [ARGS]\n\n"
	      "The command line of seetop: executions and tasks of workflows that wait for a human.\n\n"
	      "Global options:\n"
	      "  --home DIR      the store (else $SEETOP_HOME, the config's home, $XDG_STATE_HOME/seetop,\n"
	      "                  ~/.local/state/seetop)\n"
	      "  --config FILE   the config file (else $SEETOP_CONFIG, $XDG_CONFIG_HOME/seetop/config.yaml,\n"
	      "                  ~/.config/seetop/config.yaml, " SYSCONFDIR "/seetop/config.yaml)\n"
	      "  --read-only     refuse every change (also read_only: true in the config)\n"
	      "  --write         allow changes even when the config says read_only\n"
	      "  --actor NAME    the name recorded in the audit trail (default: the login name)\n"
	      "  -h, --help      this help;  seectl help COMMAND  describes one command\n"
	      "  --version       the version\n\n"
	      "Commands:\n",
	      f);
	for (const cmd *c = cmd_table; c->name; c++) {
		char head[64];
		snprintf(head, sizeof head, "%s %s", c->name, c->args);
		fprintf(f, "  %-38s %s\n", head, c->summary);
	}
	fputs("\nExit codes:\n"
	      "  0  done\n"
	      "  1  refused: not found, not in a state that allows it, invalid input value,\n"
	      "     read-only, or verify found problems\n"
	      "  2  usage, config or data-file error\n"
	      "  3  storage or system error\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },   { "config", required_argument, NULL, 'c' },
		{ "read-only", no_argument, NULL, 'r' },    { "write", no_argument, NULL, 'w' },
		{ "actor", required_argument, NULL, 'a' },  { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },      { NULL, 0, NULL, 0 },
	};
	const char *home = NULL, *config = NULL, *actor = NULL;
	int read_only = -1, o;
	setlocale(LC_CTYPE, ""); /* display widths, and whether a cut may end in an ellipsis */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'H': home = optarg; break;
		case 'c': config = optarg; break;
		case 'r': read_only = 1; break;
		case 'w': read_only = 0; break;
		case 'a': actor = optarg; break;
		case 'h': seectl_usage(stdout); return EXIT_DONE;
		case 'V': printf("seectl %s\n", PACKAGE_VERSION); return EXIT_DONE;
		default:
			return cmd_fail(EXIT_USAGE, "unknown option '%s' (seectl --help lists them)", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		seectl_usage(stderr);
		return EXIT_USAGE;
	}
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
	int rc = k->run(&c, argc - optind, argv + optind);
	if (fflush(stdout) != 0 && rc == EXIT_DONE)
		rc = cmd_fail(EXIT_STORAGE, "writing the output failed");
	store_close(c.st);
	free(c.home);
	free(c.actor);
	conf_free(&c.conf);
	return rc;
}
