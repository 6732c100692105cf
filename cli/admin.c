/* admin.c - the seectl commands that look after a home: server, notify
 * and backup. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cmd_int.h"
#include "text.h"

/* ---- server ---- */

typedef struct server_cli_opts {
	bool json;
	bool system; /* enable/disable: the system unit, not the user's */
} server_cli_opts;

static int server_opt(int o, const char *arg, void *ctx)
{
	(void)arg;
	server_cli_opts *so = ctx;
	if (o == 'j')
		so->json = true;
	else if (o == 's')
		so->system = true;
	else
		return -1;
	return 0;
}

/* A path as systemd escapes it for an instance name (systemd-escape --path):
 * no leading or trailing '/', each '/' a '-', and every byte but letters,
 * digits, ':', '_' and a '.' that does not lead as \xNN. */
static int systemd_escape_path(const char *path, char *out, size_t cap)
{
	size_t n = 0;
	while (*path == '/')
		path++;
	if (!*path)
		return snprintf(out, cap, "-") < (int)cap ? 0 : -1;
	for (const char *p = path; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		char buf[8];
		if (ch == '/') {
			while (p[1] == '/')
				p++;
			if (!p[1])
				break; /* a trailing '/' */
			snprintf(buf, sizeof buf, "-");
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == ':' ||
			   ch == '_' || (ch == '.' && p != path)) {
			snprintf(buf, sizeof buf, "%c", ch);
		} else {
			snprintf(buf, sizeof buf, "\\x%02x", ch);
		}
		size_t len = strlen(buf);
		if (n + len + 1 > cap)
			return -1;
		memcpy(out + n, buf, len + 1);
		n += len;
	}
	return 0;
}

/* seectl server enable|disable: the systemd commands that run this home's
 * server from boot (the template units seestore-server@.service are
 * installed with the programs), or stop doing so. */
static int server_unit(cli *c, bool enable, bool system)
{
	char abs[PATH_MAX], inst[3 * PATH_MAX + 8];
	if (!realpath(c->home, abs))
		return cmd_fail(EXIT_REFUSED, "server %s: no home '%s': %s", enable ? "enable" : "disable", c->home,
				strerror(errno));
	if (systemd_escape_path(abs, inst, sizeof inst) < 0)
		return cmd_fail(EXIT_REFUSED, "server %s: the home's path is too long for a unit name", enable ? "enable" : "disable");
	const char *ctl = system ? "systemctl" : "systemctl --user";
	if (!enable) {
		printf("to stop running the server of '%s' from boot, run:\n  %s disable --now seestore-server@%s.service\n",
		       abs, ctl, inst);
		return EXIT_DONE;
	}
	printf("to run the server of '%s' from boot (its deadlines and hooks with nobody logged in), run:\n"
	       "  %s daemon-reload\n  %s enable --now seestore-server@%s.service\n", abs, ctl, ctl, inst);
	if (!system) {
		struct passwd *pw = getpwuid(geteuid());
		printf("  loginctl enable-linger %s\n", pw ? pw->pw_name : "$USER");
	}
	return EXIT_DONE;
}

int admin_server(cli *c, int argc, char **argv)
{
	server_cli_opts so = { false, false };
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { "system", no_argument, NULL, 's' },
					      { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	if (cmd_parse_opts(cmd_find("server"), argc, argv, opts, server_opt, &so) < 0)
		return EXIT_USAGE;
	bool json = so.json;
	const char *what = optind < argc ? argv[optind] : NULL;
	if (!what || optind + 1 < argc)
		return cmd_fail(EXIT_USAGE, "server: say status, start, stop, enable or disable (see seectl help server)");
	store_err err;
	if (strcmp(what, "enable") == 0 || strcmp(what, "disable") == 0)
		return server_unit(c, what[0] == 'e', so.system);
	if (strcmp(what, "proxy") == 0) {
		/* the far end of an ssh:// home: standard input and output joined
		 * to the home's socket, as this user */
		if (store_proxy(c->home, 0, 1, &err))
			return cmd_store_fail(&err);
		return EXIT_DONE;
	}
	bool remote = strncmp(c->home, "ssh://", 6) == 0;
	if (strcmp(what, "stop") == 0 && remote)
		return cmd_fail(EXIT_REFUSED, "server stop: '%s' is on another host: stop it there (ssh HOST seectl --home PATH "
					      "server stop)", c->home);
	if (strcmp(what, "stop") == 0) {
		bool was;
		if (store_server_stop(c->home, &was, &err))
			return cmd_store_fail(&err);
		printf(was ? "server of '%s' stopped\n" : "no server runs for '%s'\n", c->home);
		return EXIT_DONE;
	}
	if (strcmp(what, "status") != 0 && strcmp(what, "start") != 0)
		return cmd_fail(EXIT_USAGE, "server: unknown action '%s': status, start, stop, enable, disable or proxy", what);
	/* a status starts nothing: it says what is (as systemctl status does) */
	/* (on another host the proxy starts one, as any remote command does) */
	if (strcmp(what, "status") == 0 && !c->st && !remote && !store_server_running(c->home)) {
		if (json)
			printf("{\"running\": false}\n");
		else
			printf("server of '%s' not running\n", c->home);
		return EXIT_STORAGE;
	}
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_server_info info;
	uint64_t requests, requests_ro;
	if (store_server_status(c->st, &info, &err) || store_server_requests(c->st, &requests, &requests_ro, &err))
		return cmd_store_fail(&err);
	/* which host answered: this one, or the one ssh reached */
	char host[256] = "";
	if (remote) {
		const char *h = c->home + 6, *slash = strchr(h, '/'), *at = memchr(h, '@', (size_t)(slash - h));
		if (at)
			h = at + 1;
		const char *end = slash;
		if (*h == '[' && memchr(h, ']', (size_t)(slash - h)))
			end = (const char *)memchr(h, ']', (size_t)(slash - h)) + 1;
		else if (memchr(h, ':', (size_t)(slash - h)))
			end = memchr(h, ':', (size_t)(slash - h)); /* the port */
		snprintf(host, sizeof host, "%.*s", (int)(end - h), h);
	} else if (gethostname(host, sizeof host - 1) != 0) {
		snprintf(host, sizeof host, "localhost");
	}
	if (json) {
		fputs("{\"host\": ", stdout);
		text_json_fputs(stdout, host, strlen(host));
		fputs(", ", stdout);
	} else {
		printf("host       %s%s\n", host, remote ? " (over ssh)" : "");
	}
	if (json)
		printf("\"running\": true, \"pid\": %ld, \"uptime_s\": %llu, \"clients\": %llu, \"requests\": %llu, "
		       "\"requests_read_only\": %llu, \"generation\": %llu, "
		       "\"cache_bytes\": %llu, \"cache_used_bytes\": %llu, \"log_file\": %u, \"log_offset\": %u, "
		       "\"hooks_run\": %llu, \"hooks_failed\": %llu, \"hooks_pending\": %llu, \"replication\": ",
		       info.pid, (unsigned long long)info.uptime_s, (unsigned long long)info.clients,
		       (unsigned long long)requests, (unsigned long long)requests_ro, (unsigned long long)info.generation, (unsigned long long)info.cache_bytes,
		       (unsigned long long)info.cache_used_bytes, info.log_file, info.log_offset,
		       (unsigned long long)info.hooks_run, (unsigned long long)info.hooks_failed,
		       (unsigned long long)info.hooks_pending);
	else
		printf("server     pid %ld, up %llu s\nclients    %llu (this one included)\n"
		       "requests   %llu served since it started, %llu of them read-only\ngeneration %llu\n"
		       "cache      %.1f MB used of %.1f MB\nlog        file %u, offset %u\n"
		       "hooks      %llu run, %llu failed (see server.log), %llu pending\n",
		       info.pid, (unsigned long long)info.uptime_s, (unsigned long long)info.clients,
		       (unsigned long long)requests, (unsigned long long)requests_ro, (unsigned long long)info.generation, (double)info.cache_used_bytes / 1048576.0,
		       (double)info.cache_bytes / 1048576.0, info.log_file, info.log_offset,
		       (unsigned long long)info.hooks_run, (unsigned long long)info.hooks_failed,
		       (unsigned long long)info.hooks_pending);
	repl_print_state(c->st, json);
	if (json)
		fputs("}\n", stdout);
	return EXIT_DONE;
}

/* ---- notify ---- */

/* The absolute path of a hook's command, as the caller's shell would find
 * it now (a name without '/' through PATH, else from the current
 * directory); 0, or a one-line error and its exit code. */
static int notify_resolve(const char *name, char *out, size_t cap)
{
	char cand[PATH_MAX] = "";
	struct stat sb;
	if (!strchr(name, '/')) {
		const char *path = getenv("PATH");
		for (const char *p = path ? path : ""; path;) {
			const char *e = strchr(p, ':');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			int n = snprintf(cand, sizeof cand, "%.*s/%s", (int)len, len ? p : ".", name);
			if (n > 0 && (size_t)n < sizeof cand && stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    access(cand, X_OK) == 0)
				break;
			cand[0] = '\0';
			if (!e)
				break;
			p = e + 1;
		}
		if (!cand[0])
			return cmd_fail(EXIT_REFUSED, "notify add: '%s' is not a command found in PATH: give its path", name);
	} else if (snprintf(cand, sizeof cand, "%s", name) >= (int)sizeof cand) {
		return cmd_fail(EXIT_REFUSED, "notify add: the command's path is too long");
	}
	if (stat(cand, &sb) != 0)
		return cmd_fail(EXIT_REFUSED, "notify add: no command '%s': %s", name, strerror(errno));
	if (!S_ISREG(sb.st_mode) || access(cand, X_OK) != 0)
		return cmd_fail(EXIT_REFUSED, "notify add: '%s' is not an executable file (chmod +x it?)", name);
	/* a relative path's directory made absolute, the name kept */
	char *slash = strrchr(cand, '/'), dir[PATH_MAX];
	*slash = '\0';
	if (cand[0] == '/' || slash == cand)
		snprintf(dir, sizeof dir, "%s", cand);
	else if (!realpath(cand, dir))
		return cmd_fail(EXIT_REFUSED, "notify add: no command '%s': %s", name, strerror(errno));
	if (snprintf(out, cap, "%s/%s", dir, slash + 1) >= (int)cap)
		return cmd_fail(EXIT_REFUSED, "notify add: the command's path is too long");
	return 0;
}

typedef struct notify_opts {
	const char *on;
	bool json;
} notify_opts;

static int notify_opt(int o, const char *arg, void *ctx)
{
	notify_opts *n = ctx;
	if (o == 'o') {
		n->on = arg;
		return 0;
	}
	if (o == 'j') {
		n->json = true;
		return 0;
	}
	return -1;
}

int admin_notify(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "on", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	notify_opts no = { NULL, false };
	/* what follows "--" is the command, options included: getopt stops there */
	int end = argc;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			end = i;
			break;
		}
	if (cmd_parse_opts(cmd_find("notify"), end, argv, opts, notify_opt, &no) < 0)
		return EXIT_USAGE;
	const char *what = optind < end ? argv[optind] : NULL;
	if (!what)
		return cmd_fail(EXIT_USAGE, "notify: say add, list or remove (see seectl help notify)");
	store_err err;
	if (strcmp(what, "add") == 0) {
		if (!no.on)
			return cmd_fail(EXIT_USAGE, "notify add: --on EVENTS is required (waiting, paused, timeout, "
						    "rejected, cancelled, comma-separated)");
		if (optind + 1 != end || end + 1 >= argc)
			return cmd_fail(EXIT_USAGE, "notify add: the command goes after --: seectl notify add --on waiting "
						    "-- CMD [ARGS...]");
		int rc = cmd_open_store(c);
		if (rc)
			return rc;
		char cmd0[PATH_MAX];
		if ((rc = notify_resolve(argv[end + 1], cmd0, sizeof cmd0)))
			return rc;
		char *given = argv[end + 1];
		argv[end + 1] = cmd0;
		uint64_t id;
		rc = store_notify_add(c->st, no.on, (const char *const *)argv + end + 1, (size_t)(argc - end - 1), &id, &err);
		argv[end + 1] = given;
		if (rc)
			return cmd_store_fail(&err);
		printf("hook %llu runs on %s\n", (unsigned long long)id, no.on);
		return EXIT_DONE;
	}
	if (end != argc)
		return cmd_fail(EXIT_USAGE, "notify %s: unexpected '--'", what);
	if (strcmp(what, "list") == 0) {
		if (optind + 1 != argc)
			return cmd_fail(EXIT_USAGE, "notify list: unexpected argument '%s'", argv[optind + 1]);
		int rc = cmd_open_store(c);
		if (rc)
			return rc;
		store_hook *v;
		size_t n;
		if (store_notify_list(c->st, &v, &n, &err))
			return cmd_store_fail(&err);
		for (size_t i = 0; i < n; i++) {
			if (no.json) {
				printf("{\"id\":%llu,\"on\":", (unsigned long long)v[i].id);
				text_json_fputs(stdout, v[i].on, strlen(v[i].on));
				fputs(",\"command\":[", stdout);
				for (size_t k = 0; k < v[i].argc; k++) {
					fputs(k ? "," : "", stdout);
					text_json_fputs(stdout, v[i].argv[k], strlen(v[i].argv[k]));
				}
				fputs("]}\n", stdout);
				continue;
			}
			printf("%-4llu on %-30s ", (unsigned long long)v[i].id, v[i].on);
			for (size_t k = 0; k < v[i].argc; k++) {
				fputs(k ? " " : "", stdout);
				cmd_put_escs(v[i].argv[k]);
			}
			fputc('\n', stdout);
		}
		store_hook_array_free(v, n);
		return EXIT_DONE;
	}
	if (strcmp(what, "remove") == 0) {
		size_t id;
		if (optind + 2 != argc || cmd_parse_count(argv[optind + 1], &id) < 0 || id == 0)
			return cmd_fail(EXIT_USAGE, "notify remove: name one hook by its number (seectl notify list)");
		int rc = cmd_open_store(c);
		if (rc)
			return rc;
		if (store_notify_remove(c->st, id, &err))
			return cmd_store_fail(&err);
		printf("hook %zu removed\n", id);
		return EXIT_DONE;
	}
	return cmd_fail(EXIT_USAGE, "notify: unknown action '%s': add, list or remove", what);
}

int admin_backup(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	if (cmd_parse_opts(cmd_find("backup"), argc, argv, opts, cmd_no_opts, NULL) < 0)
		return EXIT_USAGE;
	if (optind + 1 != argc)
		return cmd_fail(EXIT_USAGE, "backup: name one directory (new or empty)");
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	if (store_backup(c->st, argv[optind], &err))
		return cmd_store_fail(&err);
	printf("backup of '%s' written to '%s'\n", c->home, argv[optind]);
	return EXIT_DONE;
}

int admin_restore(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	if (cmd_parse_opts(cmd_find("restore"), argc, argv, opts, cmd_no_opts, NULL) < 0)
		return EXIT_USAGE;
	if (optind + 2 != argc)
		return cmd_fail(EXIT_USAGE, "restore: name the backup and the home to make: seectl restore BACKUP HOME");
	store_err err;
	if (store_restore(argv[optind], argv[optind + 1], &err))
		return cmd_store_fail(&err);
	/* its server starts now: the deadlines that passed while the backup lay
	 * there are applied, and their notifications run, once */
	store *st;
	if (store_open(argv[optind + 1], 0, &st, &err))
		return cmd_store_fail(&err);
	store_close(st);
	printf("'%s' restored into '%s', a live home\n", argv[optind], argv[optind + 1]);
	return EXIT_DONE;
}
