/* server_remote.h - the clients of a replica as the master knows them
 * (server_remote.c): the envelope a replica adds to a forwarded frame, and
 * at the master the remote clients and their engines' leases. */
#ifndef SEESTORE_SERVER_REMOTE_H
#define SEESTORE_SERVER_REMOTE_H

#include <stdbool.h>

#include "server_int.h"

/* What an envelope is for: a client's request, or a message of the
 * replica's own about leases. */
enum { REMOTE_REQUEST, REMOTE_LEASE_END, REMOTE_LEASE, REMOTE_LEASES_FIRST, REMOTE_LEASES_LAST };

/* ---- at a replica ---- */
/* This site's address, which each envelope names. */
void remote_set_self(const char *addr);
/* c's envelope into e (c NULL: one of the replica's, REMOTE_LEASES_FIRST or
 * _LAST); 0, or -1 out of memory. */
int remote_envelope(record_buf *e, conn *c, int kind);
/* Appends a whole frame to b: its length, the payload p, the envelope; -1
 * out of memory or over WIRE_FRAME_MAX. */
int remote_put_frame(record_buf *b, const void *p, size_t len, const record_buf *env);
/* A blob as a NUL-terminated text, cut to cap. */
void remote_text(char *out, size_t cap, const wire_blob *b);

/* ---- at the master ---- */
/* The client of a replica that a forwarded request (on c, a connection of
 * this very process) is made for: its user, groups and rights, and its
 * engine's lease; NULL when m carries no envelope that may be heeded.
 * Envelopes of the replica's own (a lease's end, the leases told to a new
 * master) act here and give NULL.  remote_done after the request: one
 * without a lease is forgotten. */
conn *remote_for(server *s, conn *c, const wire_msg *m);
void remote_done(conn *who);
/* The client of a replica whose engine drives that execution, or NULL. */
conn *remote_leased(const char *id, size_t len);
/* Calls fn for the execution id of each lease a replica's engine holds at
 * this master (the main thread's: a reader thread gets a copy). */
void remote_leased_each(void (*fn)(void *ctx, const char *id), void *ctx);
bool remote_any_leased(void);
/* Every second at the master: the leases of a site that stays disconnected
 * (three looks in a row) end, as its connections did. */
void remote_check(server *s);
/* This site is no longer the master: every remote client is forgotten, its
 * leases ended (logged with why). */
void remote_end_all(server *s, const char *why);

#endif
