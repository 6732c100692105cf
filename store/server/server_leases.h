/* server_leases.h - the engines attached elsewhere in a replication group
 * (server_leases.c): at the master, the set it publishes for its replicas;
 * at a replica, the master's set as last asked, by a thread of its own.
 * Every call but leases_pause is the main thread's. */
#ifndef SEESTORE_SERVER_LEASES_H
#define SEESTORE_SERVER_LEASES_H

#include <stdbool.h>
#include <stddef.h>

#include "dbs_repl.h"
#include "server_int.h"

/* Every turn of the loop (repl_tick), with the site's role.  At the master,
 * while replicas ask: publishes the executions whose engine is attached
 * here or at a replica.  At a replica: takes the watcher's answers (the
 * executions whose engine came or went are pushed to the dashboards), lets
 * the requests that waited for one run, keeps the watcher asking while
 * there are subscribers or a read needed it, drops a set the master did
 * not confirm for LEASES_KEEP_MS. */
void leases_tick(server *s, dbs_repl_role role);
/* At a replica: whether a request of op (a read whose answer says which
 * engines are attached) waits for the master's set, asked now (it is more
 * than a second and a half old); the connection's input keeps it
 * (c->reader_wait) until leases_tick lets it run, at most 1.5 s later. */
bool leases_must_wait(server *s, unsigned op);
/* Whether the master's set names the execution (or is too large to know:
 * every execution counts as attached then). */
bool leases_elsewhere(const char *id, size_t len);
bool leases_any_elsewhere(void);
/* The master's set was too large to send: every engine may be attached. */
bool leases_unknown(void);
/* At a replica: an engine's connection here closed, with its lease of
 * these executions (the master's set names them until it hears of it). */
void leases_ended_here(const char *const *ids, size_t n);
/* Calls fn for each id of the master's set (a reader thread's copy). */
void leases_elsewhere_each(void (*fn)(void *ctx, const char *id), void *ctx);
/* Before the environment closes: no question to the master is in progress,
 * and none starts until the loop turns again (any thread). */
void leases_pause(void);

#endif
