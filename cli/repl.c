/* repl.c - seectl repl: a home as a site of a replication group
 * (seestore-repl(7)): init, join, status, leave. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_int.h"
#include "text.h"

#define SETTLE_MS 30000 /* a new site finding its role */

typedef struct repl_opts {
	store_repl_settings s;
	bool json;
} repl_opts;

static int number(const char *arg, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int repl_opt(int o, const char *arg, void *ctx)
{
	repl_opts *r = ctx;
	long v;
	switch (o) {
	case 'l':
		r->s.listen = arg;
		return 0;
	case 'H':
		r->s.helper = arg;
		return 0;
	case 'a':
		r->s.any_address = true;
		return 0;
	case 'j':
		r->json = true;
		return 0;
	case 'p':
		if (number(arg, 1000000, &v) < 0) {
			cmd_hint("a number from 0 (never master) to 1000000");
			return -1;
		}
		r->s.priority = (int)v;
		return 0;
	case 't':
	case 'b':
		if (number(arg, 600000, &v) < 0 || v < 10) {
			cmd_hint("a number of milliseconds from 10 to 600000");
			return -1;
		}
		*(o == 't' ? &r->s.ack_timeout_ms : &r->s.heartbeat_ms) = (unsigned)v;
		return 0;
	}
	return -1;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The server reads the new settings: it is started again, and its site
 * waited for until it holds the role it should. */
static int start_site(cli *c, store_repl_role want, const char *verb)
{
	store_err err;
	bool was;
	if (store_server_stop(c->home, &was, &err) != STORE_OK)
		return cmd_store_fail(&err);
	c->open_flags |= STORE_OPEN_CREATE;
	store_code rc = store_open(c->home, c->open_flags, &c->st, &err);
	store_repl_info info;
	memset(&info, 0, sizeof info);
	for (int waited = 0; rc == STORE_OK; waited += 50) {
		if ((rc = store_repl_status(c->st, &info, &err)) != STORE_OK || info.role == want)
			break;
		if (waited >= SETTLE_MS) {
			rc = err.code = STORE_STORAGE;
			snprintf(err.msg, sizeof err.msg, "the site at %s did not become %s within %d s (seectl repl status "
				 "says what it is)", info.self, want == STORE_REPL_MASTER ? "master" : "a replica",
				 SETTLE_MS / 1000);
			break;
		}
		nap_ms(50);
	}
	if (rc != STORE_OK) {
		/* the home goes back to what it was */
		store_err e2;
		if (c->st) {
			store_close(c->st);
			c->st = NULL;
		}
		store_server_stop(c->home, &was, &e2);
		store_repl_forget(c->home, &e2);
		return cmd_fail(cmd_exit_code(err.code), "repl %s: %s", verb, err.msg);
	}
	if (want == STORE_REPL_MASTER)
		printf("%s: the master of a new replication group, listening on %s\n", c->home, info.self);
	else
		printf("%s: a replica of %s, listening on %s\n", c->home, info.master, info.self);
	return EXIT_DONE;
}

static const char *role_word(store_repl_role r)
{
	return r == STORE_REPL_MASTER ? "master" : r == STORE_REPL_REPLICA ? "replica" : r == STORE_REPL_NO_MASTER ? "replica" : "none";
}

/* Bytes of log between two positions, or -1 across log files. */
static long long lag_bytes(const store_repl_info *in)
{
	if (!in->master_lsn_known || in->master_lsn_file != in->lsn_file)
		return -1;
	return in->master_lsn_offset >= in->lsn_offset ? (long long)(in->master_lsn_offset - in->lsn_offset) : 0;
}

static void put_json_str(const char *key, const char *v, bool comma)
{
	printf("\"%s\": ", key);
	if (v && *v)
		text_json_fputs(stdout, v, strlen(v));
	else
		fputs("null", stdout);
	if (comma)
		fputs(", ", stdout);
}

static void put_json_sites(const store_repl_info *in)
{
	fputs("\"sites\": [", stdout);
	for (size_t i = 0; i < in->n_sites; i++) {
		fputs(i ? ", {" : "{", stdout);
		put_json_str("address", in->sites[i].addr, true);
		printf("\"role\": \"%s\", \"connected\": %s}", in->sites[i].master ? "master" : "replica",
		       in->sites[i].connected ? "true" : "false");
	}
	fputs("]", stdout);
}

static void put_sites(const store_repl_info *in)
{
	for (size_t i = 0; i < in->n_sites; i++)
		printf("site       %s %s, %s\n", in->sites[i].addr, in->sites[i].master ? "master" : "replica",
		       in->sites[i].connected ? "connected" : "not connected");
}

void repl_print_state(store *st, bool json)
{
	store_repl_info in;
	store_err err;
	if (store_repl_status(st, &in, &err) != STORE_OK) {
		/* a home of its own (STORE_INVALID_STATE), or a server that
		 * cannot say: server status reports the rest all the same */
		bool own = err.code == STORE_INVALID_STATE;
		if (json)
			fputs("null", stdout);
		else
			printf("replicated %s\n", own ? "no (a home of its own)" : err.msg);
		return;
	}
	if (json) {
		fputs("{", stdout);
		put_json_str("address", in.self, true);
		put_json_str("role", role_word(in.role), true);
		put_json_str("master", in.master, true);
		if (in.lag_known)
			printf("\"lag_ms\": %llu, ", (unsigned long long)in.lag_ms);
		else
			fputs("\"lag_ms\": null, ", stdout);
		printf("\"group_sites\": %u, ", in.nsites);
		put_json_sites(&in);
		fputs("}", stdout);
		return;
	}
	if (in.role == STORE_REPL_MASTER)
		printf("replicated the master, at %s, of a group of %u sites\n", in.self, in.nsites);
	else if (in.role == STORE_REPL_NO_MASTER)
		printf("replicated a replica, at %s, with no master (election in progress) in a group of %u sites\n",
		       in.self, in.nsites);
	else if (in.lag_known)
		printf("replicated a replica, at %s, of %s, %.1f s behind, in a group of %u sites\n", in.self, in.master,
		       (double)in.lag_ms / 1000, in.nsites);
	else
		printf("replicated a replica, at %s, of %s (its lag unknown: the master does not answer), in a group of "
		       "%u sites\n", in.self, in.master, in.nsites);
	put_sites(&in);
}

static int status(cli *c, bool json)
{
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_repl_info in;
	store_err err;
	if (store_repl_status(c->st, &in, &err))
		return cmd_store_fail(&err);
	long long lag = lag_bytes(&in);
	const char *strict = in.nsites == 2 ? (in.two_site_strict ? "strict" : "not strict") : NULL;
	if (json) {
		fputs("{", stdout);
		put_json_str("address", in.self, true);
		put_json_str("role", role_word(in.role), true);
		put_json_str("master", in.master, true);
		printf("\"electable\": %s, \"priority\": %u, \"lsn\": \"%u/%u\", ", in.priority ? "true" : "false",
		       in.priority, in.lsn_file, in.lsn_offset);
		if (in.master_lsn_known)
			printf("\"master_lsn\": \"%u/%u\", ", in.master_lsn_file, in.master_lsn_offset);
		if (lag >= 0)
			printf("\"lag_bytes\": %lld, ", lag);
		if (in.lag_known)
			printf("\"lag_ms\": %llu, ", (unsigned long long)in.lag_ms);
		else
			fputs("\"lag_ms\": null, ", stdout);
		printf("\"group_sites\": %u, \"ack_policy\": \"quorum\", \"ack_timeout_ms\": %u, \"heartbeat_ms\": %u, "
		       "\"unacknowledged_commits\": %llu, \"replication_generation\": %llu, ",
		       in.nsites, in.ack_timeout_ms, in.heartbeat_ms, (unsigned long long)in.unacked,
		       (unsigned long long)in.rep_generation);
		if (strict)
			printf("\"two_site\": \"%s\", ", strict);
		put_json_sites(&in);
		fputs("}\n", stdout);
		return EXIT_DONE;
	}
	printf("site       %s (this one)\nrole       %s%s\nmaster     %s\n", in.self, role_word(in.role),
	       in.role == STORE_REPL_NO_MASTER ? " (no master: election in progress, changes refused)" : "",
	       in.master[0] ? in.master : "none known");
	printf("electable  %s (priority %u)\nlog        %u/%u", in.priority ? "yes" : "no", in.priority, in.lsn_file,
	       in.lsn_offset);
	if (in.master_lsn_known)
		printf(", the master's %u/%u%s", in.master_lsn_file, in.master_lsn_offset, lag == 0 ? " (in step)" : "");
	if (lag > 0)
		printf(" (%lld bytes behind)", lag);
	if (in.role == STORE_REPL_REPLICA && in.lag_known && in.lag_ms == 0)
		printf("\nlag        0 s (in step: this site holds every change the master made)");
	else if (in.role == STORE_REPL_REPLICA && in.lag_known)
		printf("\nlag        %.1f s (the master made the oldest change this site lacks that long ago)",
		       (double)in.lag_ms / 1000);
	else if (in.role != STORE_REPL_MASTER)
		printf("\nlag        unknown (no master answers)");
	printf("\ndurable    on a quorum of the group's %u sites, acks awaited %u ms%s; %llu commit%s unacknowledged\n",
	       in.nsites, in.ack_timeout_ms,
	       strict ? (in.two_site_strict ? " (two sites, strict: the master waits for the other)"
					    : " (two sites, not strict: the master alone makes a change durable)")
		      : "",
	       (unsigned long long)in.unacked, in.unacked == 1 ? "" : "s");
	printf("heartbeat  %u ms\n", in.heartbeat_ms);
	put_sites(&in);
	return EXIT_DONE;
}

int repl_run(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },	 { "helper", required_argument, NULL, 'H' },
		{ "any-address", no_argument, NULL, 'a' },	 { "priority", required_argument, NULL, 'p' },
		{ "ack-timeout", required_argument, NULL, 't' }, { "heartbeat", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },		 { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	repl_opts r = { { NULL, NULL, false, -1, 0, 0 }, false };
	if (cmd_parse_opts(cmd_find("repl"), argc, argv, opts, repl_opt, &r) < 0)
		return EXIT_USAGE;
	const char *what = optind < argc ? argv[optind] : NULL;
	if (!what || optind + 1 < argc)
		return cmd_fail(EXIT_USAGE, "repl: say init, join, status or leave (see seectl help repl)");
	bool init = strcmp(what, "init") == 0, join = strcmp(what, "join") == 0;
	if ((init || join) && !r.s.listen)
		return cmd_fail(EXIT_USAGE, "repl %s: give the address this site listens on: --listen HOST:PORT", what);
	if (join && !r.s.helper)
		return cmd_fail(EXIT_USAGE, "repl join: give a site of the group to join through: --helper HOST:PORT");
	if (init && r.s.helper)
		return cmd_fail(EXIT_USAGE, "repl init: --helper goes with join (init makes a new group)");
	if (!init && !join && (r.s.listen || r.s.helper || r.s.any_address || r.s.priority >= 0 || r.s.ack_timeout_ms ||
			       r.s.heartbeat_ms))
		return cmd_fail(EXIT_USAGE, "repl %s: the site's settings go with init or join", what);
	if (r.json && strcmp(what, "status") != 0)
		return cmd_fail(EXIT_USAGE, "repl %s: --json goes with status", what);
	store_err err;
	if (init || join) {
		if (store_repl_setup(c->home, &r.s, &err))
			return cmd_fail(cmd_exit_code(err.code), "repl %s: %s", what, err.msg);
		int rc = start_site(c, init ? STORE_REPL_MASTER : STORE_REPL_REPLICA, what);
		if (rc == EXIT_DONE && r.s.priority == 0)
			fprintf(stderr, "seectl: note: a site of priority 0 never becomes master, and its acknowledgements do "
				"not count towards a quorum: a master whose other sites all have priority 0 makes changes "
				"durable alone (seestore-repl(7))\n");
		return rc;
	}
	if (strcmp(what, "status") == 0)
		return status(c, r.json);
	if (strcmp(what, "leave") == 0) {
		if (!store_repl_configured(c->home))
			return cmd_fail(EXIT_REFUSED, "repl leave: '%s' is not a site of a replication group", c->home);
		int rc = cmd_open_store(c);
		if (rc)
			return rc;
		if (store_repl_leave(c->st, &err))
			return cmd_fail(cmd_exit_code(err.code), "repl leave: %s", err.msg);
		store_close(c->st);
		c->st = NULL;
		bool was;
		if (store_server_stop(c->home, &was, &err) || store_repl_forget(c->home, &err))
			return cmd_fail(cmd_exit_code(err.code), "repl leave: %s", err.msg);
		printf("%s: left its replication group; it is a home of its own now\n", c->home);
		return EXIT_DONE;
	}
	return cmd_fail(EXIT_USAGE, "repl: unknown action '%s': init, join, status or leave", what);
}
