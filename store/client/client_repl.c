/* client_repl.c - a home's replication settings, and its server's
 * replication state (store.h, seestore-repl(7)). */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_int.h"
#include "err.h"
#include "repl_conf.h"

#define HELPER_WAIT_MS 3000

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static store_code resolve(const repl_addr *a, const char *what, struct addrinfo **out, store_err *err)
{
	struct addrinfo hints;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	char port[8];
	snprintf(port, sizeof port, "%u", a->port);
	int r = getaddrinfo(a->host, port, &hints, out);
	if (r)
		return err_set(err, STORE_INVALID_INPUT, "%s: cannot resolve '%s': %s", what, a->host, gai_strerror(r));
	return STORE_OK;
}

/* The listen address: loopback unless asked otherwise, and free. */
static store_code check_listen(const repl_addr *a, bool any, store_err *err)
{
	struct addrinfo *ai;
	store_code c = resolve(a, "the listen address", &ai, err);
	if (c)
		return c;
	for (struct addrinfo *p = ai; p && !c; p = p->ai_next) {
		if (!any && !is_loopback(p->ai_addr))
			c = err_set(err, STORE_INVALID_INPUT, "the listen address %s:%u is not a loopback address: replication "
				    "traffic has no authentication, so give --any-address to listen there on purpose (on a "
				    "private network, or behind a tunnel)", a->host, a->port);
		int fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (!c && bind(fd, p->ai_addr, p->ai_addrlen) != 0 && errno == EADDRINUSE)
			c = err_set(err, STORE_EXISTS, "the port of %s:%u is in use: choose another with --listen HOST:PORT",
				    a->host, a->port);
		close(fd);
	}
	freeaddrinfo(ai);
	return c;
}

/* The helper answers: a TCP connection is made within a few seconds. */
static store_code check_helper(const repl_addr *a, store_err *err)
{
	struct addrinfo *ai;
	store_code c = resolve(a, "the helper", &ai, err);
	if (c)
		return c;
	int why = ECONNREFUSED;
	bool ok = false;
	for (struct addrinfo *p = ai; p && !ok; p = p->ai_next) {
		int fd = socket(p->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0) {
			ok = true;
		} else if (errno == EINPROGRESS) {
			struct pollfd pf = { fd, POLLOUT, 0 };
			int e = 0;
			socklen_t el = sizeof e;
			if (poll(&pf, 1, HELPER_WAIT_MS) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
				ok = true;
			else
				why = e ? e : ETIMEDOUT;
		} else {
			why = errno;
		}
		close(fd);
	}
	freeaddrinfo(ai);
	if (!ok)
		return err_set(err, STORE_STORAGE, "the helper %s:%u does not answer (%s): start its site first, or name "
			       "another site of the group with --helper", a->host, a->port, strerror(why));
	return STORE_OK;
}

static bool home_has(const char *home, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", home, name);
	return access(path, F_OK) == 0;
}

bool store_repl_configured(const char *home)
{
	/* a symbolic link counts: the server refuses it, and says so */
	char path[PATH_MAX];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", home, REPL_CONF_FILE);
	return lstat(path, &sb) == 0;
}

store_code store_repl_setup(const char *home, const store_repl_settings *s, store_err *err)
{
	memset(err, 0, sizeof *err);
	repl_conf conf;
	repl_conf_defaults(&conf);
	char why[400];
	if (!s->listen)
		return err_set(err, STORE_INVALID_INPUT, "no listen address: give --listen HOST:PORT");
	if (repl_addr_parse(s->listen, &conf.listen, why, sizeof why) < 0)
		return err_set(err, STORE_INVALID_INPUT, "the listen address %s", why);
	if (s->helper && repl_addr_parse(s->helper, &conf.helper, why, sizeof why) < 0)
		return err_set(err, STORE_INVALID_INPUT, "the helper %s", why);
	if (s->priority > REPL_PRIORITY_MAX || s->ack_timeout_ms > REPL_TIMEOUT_MS_MAX ||
	    s->heartbeat_ms > REPL_TIMEOUT_MS_MAX || (s->ack_timeout_ms && s->ack_timeout_ms < 10) ||
	    (s->heartbeat_ms && s->heartbeat_ms < 10))
		return err_set(err, STORE_INVALID_INPUT, "priority is 0 to %d, the ack timeout and heartbeat 10 to %d ms",
			       REPL_PRIORITY_MAX, REPL_TIMEOUT_MS_MAX);
	conf.has_helper = s->helper != NULL;
	conf.create = !s->helper;
	conf.any_address = s->any_address;
	if (s->priority >= 0)
		conf.priority = (unsigned)s->priority;
	if (s->ack_timeout_ms)
		conf.ack_timeout_ms = s->ack_timeout_ms;
	if (s->heartbeat_ms)
		conf.heartbeat_ms = s->heartbeat_ms;
	if (client_home_is_remote(home))
		return err_set(err, STORE_INVALID_INPUT, "'%s' is on another host: run seectl repl there", home);
	store_code c = client_make_home(home, err);
	if (c)
		return c;
	char why2[700];
	int fd = repl_conf_open(home, false, why2, sizeof why2);
	if (fd < 0 && errno != ENOENT)
		return err_set(err, errno == ELOOP || errno == EINVAL ? STORE_EXISTS : STORE_STORAGE, "%s", why2);
	if (fd >= 0) {
		close(fd);
		return err_set(err, STORE_EXISTS, "'%s' is a site of a replication group already (its %s): seectl repl "
			       "status shows it; seectl repl leave takes it out", home, REPL_CONF_FILE);
	}
	if (s->helper && home_has(home, "meta.db"))
		return err_set(err, STORE_EXISTS, "'%s' holds a store already: a joining site gets its copy from the "
			       "group, so join with a new or empty home", home);
	if ((c = check_listen(&conf.listen, s->any_address, err)))
		return c;
	if (s->helper && (c = check_helper(&conf.helper, err)))
		return c;
	char text[2048];
	int n = repl_conf_format(&conf, text, sizeof text);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", home, REPL_CONF_FILE);
	if (n < 0)
		return err_set(err, STORE_STORAGE, "cannot write %s: the settings are too long", path);
	fd = repl_conf_open(home, true, why2, sizeof why2);
	if (fd < 0)
		return err_set(err, errno == EEXIST ? STORE_EXISTS : STORE_STORAGE, "%s", why2);
	bool ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
	close(fd);
	if (!ok) {
		unlink(path);
		return err_set(err, STORE_STORAGE, "cannot write %s: %s", path, strerror(errno));
	}
	return STORE_OK;
}

/* A directory of files (no deeper), and then itself. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];
	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

store_code store_repl_forget(const char *home, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (store_server_running(home))
		return err_set(err, STORE_INVALID_STATE, "the server of '%s' runs: stop it first", home);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", home, REPL_CONF_FILE);
	if (unlink(path) != 0 && errno != ENOENT)
		return err_set(err, STORE_STORAGE, "cannot remove %s: %s", path, strerror(errno));
	/* the group's membership and election state, which a later init or
	 * join must not find */
	DIR *d = opendir(home);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "__db.rep", 8) == 0) {
			snprintf(path, sizeof path, "%s/%s", home, de->d_name);
			if (unlink(path) != 0 && (errno == EISDIR || errno == EPERM))
				remove_dir(path); /* __db.rep.system: the membership */
		}
	if (d)
		closedir(d);
	return STORE_OK;
}

store_code store_repl_status(store *st, store_repl_info *out, store_err *err)
{
	memset(out, 0, sizeof *out);
	store_code c = CALL(st, OP_REPL_STATUS, err, NUM(1)); /* the sites typed */
	if (c)
		return c;
	const wire_msg *m = &st->reply;
	out->role = m->u[0] <= STORE_REPL_NO_MASTER ? (store_repl_role)m->u[0] : STORE_REPL_NO_MASTER;
	out->lsn_file = (uint32_t)m->u[1];
	out->lsn_offset = (uint32_t)m->u[2];
	out->master_lsn_known = m->u[3] != 0;
	out->master_lsn_file = (uint32_t)m->u[4];
	out->master_lsn_offset = (uint32_t)m->u[5];
	out->priority = (unsigned)m->u[6];
	out->ack_timeout_ms = (unsigned)m->u[7];
	out->heartbeat_ms = (unsigned)m->u[8];
	out->nsites = (unsigned)m->u[9];
	out->two_site_strict = m->u[10] != 0;
	out->unacked = m->u[11];
	out->rep_generation = m->u[12];
	out->lag_known = m->u[13] != 0;
	out->lag_ms = m->u[14];
	snprintf(out->self, sizeof out->self, "%.*s", (int)m->s[0].len, (const char *)m->s[0].p);
	snprintf(out->master, sizeof out->master, "%.*s", (int)m->s[1].len, (const char *)m->s[1].p);
	for (size_t i = 0; i < m->n_blobs && out->n_sites < STORE_REPL_SITES_MAX; i++)
		if (wire_site_decode(m->blobs[i].p, m->blobs[i].len, &out->sites[out->n_sites]) == 0)
			out->n_sites++;
	return STORE_OK;
}

store_code store_repl_leave(store *st, store_err *err)
{
	return CALL(st, OP_REPL_LEAVE, err, NOTHING);
}
