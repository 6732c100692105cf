/* server.h - the store server: the one process per home that opens its
 * Berkeley DB environment.  Private to libseestore: a client starts it
 * (client.c) by forking, as tmux starts its server. */
#ifndef SEESTORE_SERVER_H
#define SEESTORE_SERVER_H

/* The files of the server in a home. */
#define SERVER_SOCKET "server.sock"
#define SERVER_LOCK "server.lock"
#define SERVER_LOG "server.log"

/* Runs the server of `home` until it is stopped or has been idle for a
 * while; returns the process's exit status (0 also when another server holds
 * the home's lock).  The caller has detached from its terminal and closed
 * its descriptors. */
int server_run(const char *home);

#endif
