/* server.h - the store server: the one process per home that opens its
 * Berkeley DB environment.  Its program is seestore-server (main.c), which a
 * client starts with posix_spawn (launch.c); only it links Berkeley DB. */
#ifndef SEESTORE_SERVER_H
#define SEESTORE_SERVER_H

/* The files of the server in a home. */
#define SERVER_SOCKET "server.sock"
#define SERVER_LOCK "server.lock"
#define SERVER_LOG "server.log"

#include <stdbool.h>

typedef struct server_opts {
	bool foreground;  /* log lines go to stderr too (systemd's journal), and no idle exit:
			   * it runs until stopped */
	const char *note; /* a line for the log once it is open (a config that could not be read), or NULL */
} server_opts;

/* Runs the server of `home` until it is stopped or has been idle for a
 * while; returns the process's exit status (0 also when another server holds
 * the home's lock).  The caller has detached from its terminal and closed
 * its descriptors. */
int server_run(const char *home, const server_opts *o);

#endif
