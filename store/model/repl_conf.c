/* repl_conf.c - the text of a home's replication settings (repl_conf.h):
 * one "key value" a line, # starts a comment. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repl_conf.h"

void repl_conf_defaults(repl_conf *c)
{
	memset(c, 0, sizeof *c);
	c->priority = REPL_PRIORITY_DEFAULT;
	c->ack_timeout_ms = REPL_ACK_TIMEOUT_MS_DEFAULT;
	c->heartbeat_ms = REPL_HEARTBEAT_MS_DEFAULT;
}

int repl_addr_parse(const char *s, repl_addr *a, char *why, size_t whylen)
{
	const char *colon, *host = s;
	size_t hlen;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':') {
			snprintf(why, whylen, "'%s' is not [ADDRESS]:PORT", s);
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			snprintf(why, whylen, "'%s' is not HOST:PORT (an IPv6 address goes in brackets)", s);
			return -1;
		}
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen > REPL_HOST_MAX) {
		snprintf(why, whylen, "'%s' names no host (or one over %d bytes)", s, REPL_HOST_MAX);
		return -1;
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535) {
		snprintf(why, whylen, "'%s': the port must be a number from 1 to 65535", s);
		return -1;
	}
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	a->port = (unsigned)port;
	return 0;
}

static int number(const char *v, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (!*v || *end || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

int repl_conf_parse(const char *text, const char *file, repl_conf *c, char *why, size_t whylen)
{
	repl_conf_defaults(c);
	bool listen = false;
	unsigned line = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char buf[600], key[64], val[512], more[8];
		line++;
		if (n >= sizeof buf) {
			snprintf(why, whylen, "%s:%u: the line is too long", file, line);
			return -1;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		p += n + (nl != NULL);
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		int k = sscanf(buf, "%63s %511s %7s", key, val, more);
		if (k <= 0)
			continue;
		if (k != 2) {
			snprintf(why, whylen, "%s:%u: expected KEY VALUE", file, line);
			return -1;
		}
		char aw[300];
		int bad = 0;
		if (strcmp(key, "listen") == 0) {
			bad = repl_addr_parse(val, &c->listen, aw, sizeof aw);
			listen = true;
		} else if (strcmp(key, "helper") == 0) {
			bad = repl_addr_parse(val, &c->helper, aw, sizeof aw);
			c->has_helper = true;
		} else if (strcmp(key, "create") == 0 || strcmp(key, "any_address") == 0) {
			bool yes = strcmp(val, "yes") == 0;
			if (!yes && strcmp(val, "no") != 0) {
				snprintf(why, whylen, "%s:%u: %s is yes or no, not '%s'", file, line, key, val);
				return -1;
			}
			*(key[0] == 'c' ? &c->create : &c->any_address) = yes;
		} else if (strcmp(key, "priority") == 0) {
			if (number(val, REPL_PRIORITY_MAX, &c->priority) < 0) {
				snprintf(aw, sizeof aw, "priority is a number from 0 to %d", REPL_PRIORITY_MAX);
				bad = -1;
			}
		} else if (strcmp(key, "ack_timeout_ms") == 0 || strcmp(key, "heartbeat_ms") == 0) {
			unsigned *dst = key[0] == 'a' ? &c->ack_timeout_ms : &c->heartbeat_ms;
			if (number(val, REPL_TIMEOUT_MS_MAX, dst) < 0 || *dst < 10) {
				snprintf(aw, sizeof aw, "%s is a number of ms from 10 to %d", key, REPL_TIMEOUT_MS_MAX);
				bad = -1;
			}
		} else {
			snprintf(why, whylen, "%s:%u: unknown setting '%s'", file, line, key);
			return -1;
		}
		if (bad) {
			snprintf(why, whylen, "%s:%u: %s", file, line, aw);
			return -1;
		}
	}
	if (!listen) {
		snprintf(why, whylen, "%s: no listen address (listen HOST:PORT)", file);
		return -1;
	}
	return 0;
}

static int addr_text(const repl_addr *a, char *buf, size_t cap)
{
	return snprintf(buf, cap, strchr(a->host, ':') ? "[%s]:%u" : "%s:%u", a->host, a->port);
}

int repl_conf_format(const repl_conf *c, char *buf, size_t cap)
{
	char listen[300], helper[300] = "";
	addr_text(&c->listen, listen, sizeof listen);
	if (c->has_helper)
		addr_text(&c->helper, helper, sizeof helper);
	int n = snprintf(buf, cap,
			 "# the replication settings of this home (seectl repl; seestore-repl(7))\n"
			 "listen %s\n%s%s%s"
			 "create %s\nany_address %s\npriority %u\nack_timeout_ms %u\nheartbeat_ms %u\n",
			 listen, c->has_helper ? "helper " : "", helper, c->has_helper ? "\n" : "", c->create ? "yes" : "no",
			 c->any_address ? "yes" : "no", c->priority, c->ack_timeout_ms, c->heartbeat_ms);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int repl_conf_open(const char *home, bool create, char *why, size_t whylen)
{
	int dir = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		int e = errno;
		snprintf(why, whylen, "cannot open the home %s: %s", home, strerror(e));
		errno = e == ENOENT ? ENOTDIR : e; /* no home is not "no settings" */
		return -1;
	}
	int flags = create ? O_WRONLY | O_CREAT | O_EXCL : O_RDONLY;
	int fd = openat(dir, REPL_CONF_FILE, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	int e = errno;
	struct stat sb;
	if (fd < 0 && e == ELOOP)
		snprintf(why, whylen, "%s/%s is a symbolic link: refused (the settings are never read or written "
			 "through one, which another user of the home may have planted); remove it, then run seectl "
			 "repl init or join again", home, REPL_CONF_FILE);
	else if (fd < 0 && e == EEXIST && fstatat(dir, REPL_CONF_FILE, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		 S_ISLNK(sb.st_mode))
		snprintf(why, whylen, "%s/%s is a symbolic link: refused (the settings are never read or written "
			 "through one, which another user of the home may have planted); remove it, then run seectl "
			 "repl init or join again", home, REPL_CONF_FILE);
	else if (fd < 0)
		snprintf(why, whylen, "cannot %s %s/%s: %s", create ? "write" : "read", home, REPL_CONF_FILE, strerror(e));
	else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "%s/%s is not a regular file: refused; remove it, then run seectl repl init or "
			 "join again", home, REPL_CONF_FILE);
		close(fd);
		fd = -1;
		e = EINVAL;
	}
	close(dir);
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	errno = e;
	return fd;
}
