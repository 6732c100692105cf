/* server_repl.h - the store server as a site of a replication group
 * (server_repl.c); each call does nothing for a home that is not one. */
#ifndef SEESTORE_SERVER_REPL_H
#define SEESTORE_SERVER_REPL_H

#include <stdbool.h>

#include "server_int.h"

/* Before a request's dispatch: at a replica, a change goes to the master
 * for its client (or is refused: no master), and its answer to c->held;
 * an import's frames before its last are staged here, then go together.
 * true when it answered; false: the server runs it here. */
bool repl_intercept(server *s, conn *c, const wire_msg *m, const record_buf *frame);
/* At a replica: c, with an engine's lease, closed (before it is freed):
 * the master hears that the lease ended. */
void repl_conn_closed(server *s, conn *c);
/* Every turn of the main loop: follows the site's role (logged), pushes to
 * the dashboards what the master's log brought, keeps the server from its
 * idle exit, shortens *timeout.  true when this server runs the timer and
 * the notification commands (the master, or a home not replicated). */
bool repl_tick(server *s, int *timeout);
/* Whether the server may keep the newest page of a list until its next
 * commit: not replicated, or the master (repl_tick's last look). */
bool repl_keeps_pages(const server *s);
/* The answer of OP_REPL_STATUS into b, the other sites as typed blobs
 * (wire_site_encode) when the client asked for them, else as text lines
 * (revision 7); 0, -1 out of memory, 1 with err. */
int repl_status_reply(server *s, bool typed, record_buf *b, store_err *err);
/* OP_REPL_LEAVE: takes this site out of its group, then the server stops;
 * 0, or 1 with err. */
int repl_leave(server *s, store_err *err);

#endif
