/* repl_conf.h - the replication settings of a home (its file repl.conf):
 * what seectl repl init and join write and the store server reads at its
 * start.  A home without the file is not replicated.  Private to
 * libseestore. */
#ifndef SEESTORE_REPL_CONF_H
#define SEESTORE_REPL_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define REPL_CONF_FILE "repl.conf"
#define REPL_HOST_MAX 255

/* The defaults, documented in seestore-repl(7) and seectl help repl. */
#define REPL_PRIORITY_DEFAULT 100       /* 0: this site never becomes master */
#define REPL_ACK_TIMEOUT_MS_DEFAULT 1000 /* a commit waits this long for a quorum's acks */
#define REPL_HEARTBEAT_MS_DEFAULT 1000  /* the master's heartbeat; a replica calls an
					 * election after three missed ones */
#define REPL_PRIORITY_MAX 1000000
#define REPL_TIMEOUT_MS_MAX 600000

typedef struct repl_addr {
	char host[REPL_HOST_MAX + 1];
	unsigned port; /* 1-65535 */
} repl_addr;

typedef struct repl_conf {
	repl_addr listen;   /* where this site takes the group's connections */
	repl_addr helper;   /* a site of the group to join through (join) */
	bool has_helper;
	bool create;        /* the group's first site (init): master when no group exists yet */
	bool any_address;   /* listen is not a loopback address, and was given so on purpose */
	unsigned priority;
	unsigned ack_timeout_ms;
	unsigned heartbeat_ms;
} repl_conf;

void repl_conf_defaults(repl_conf *c);
/* "HOST:PORT" ("[V6]:PORT" for an IPv6 address) into a; 0, or -1 with why. */
int repl_addr_parse(const char *s, repl_addr *a, char *why, size_t whylen);
/* Parses the text of a repl.conf (file names it in errors); 0, or -1 with
 * why as "FILE:LINE: what, what to do". */
int repl_conf_parse(const char *text, const char *file, repl_conf *c, char *why, size_t whylen);
/* The text of a repl.conf; the length written, or -1 when cap is too small. */
int repl_conf_format(const repl_conf *c, char *buf, size_t cap);
/* Opens HOME/repl.conf as the home's other files are opened: through the
 * home's directory descriptor, never through a symbolic link, and only a
 * regular file (another user who may write to the home cannot make the
 * server read, or seectl write, a file elsewhere).  create: a new file,
 * for writing, which must not exist.  The descriptor, or -1 with errno
 * set (ENOENT: there is none) and, but for ENOENT, why as one line naming
 * the file and what to do. */
int repl_conf_open(const char *home, bool create, char *why, size_t whylen);

#endif
