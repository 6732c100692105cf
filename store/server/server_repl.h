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
/* At the master: the client of a replica that a forwarded request (on c, a
 * connection of this very process) is made for: its user, groups and
 * rights, and its engine's lease; NULL when m carries no envelope that may
 * be heeded.  Envelopes of the replica's own (a lease's end, the leases told
 * to a new master) act here and give NULL.  repl_forwarded_done after the
 * request: one without a lease is forgotten. */
conn *repl_forwarded_for(server *s, conn *c, const wire_msg *m);
void repl_forwarded_done(conn *who);
/* The client of a replica whose engine drives that execution, or NULL. */
conn *repl_leased(const char *id, size_t len);
/* Calls fn for the execution id of each lease a replica's engine holds at
 * this master (the main thread's: a reader thread gets a copy). */
void repl_leased_each(void (*fn)(void *ctx, const char *id), void *ctx);
bool repl_any_leased(void);
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
