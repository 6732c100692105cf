/* server_readers.h - the reader threads of the store server: the long
 * reads (the rows of ops.h flagged OPS_HEAVY) run there, each in a
 * snapshot of the store, while the main thread goes on serving changes and
 * pushes.  Every function here is called by the main thread. */
#ifndef SEESTORE_SERVER_READERS_H
#define SEESTORE_SERVER_READERS_H

#include <stdbool.h>

#include "server_int.h"

#define READER_THREADS 4   /* one of them is kept for the owner's reads */
#define READS_PER_USER 2   /* heavy reads at a time of one user who may only read */
#define READER_NICE 10     /* the reader threads' nice value: below the main thread's (0) */
#define SNAP_IDLE_MS 30000 /* an export's snapshot unused this long is given up (its versions kept the while) */

/* Hands c's request (m, decoded from frame) to the reader threads when its
 * row is OPS_HEAVY: a copy of the frame and of who sent it, and the
 * attached engines as they are now.  c takes no other request until the
 * answer is back (readers_collect): its answers stay in request order.
 * False when the request runs here after all (not heavy, or no thread
 * could start). */
bool readers_take(server *s, conn *c, const wire_msg *m, const record_buf *frame);
/* Whether c's next request, of operation op, waits for one of its user's
 * heavy reads to end (READS_PER_USER running); the owner's never waits. */
bool readers_must_wait(server *s, const conn *c, unsigned op);
/* The descriptor poll watches: readable when an answer is ready (-1: no
 * thread runs yet). */
int readers_fd(const server *s);
/* Gives each finished read's answer to its connection (c->held, sent with
 * the batch), if that connection is still open; the connections that
 * waited for a turn may try again. */
void readers_collect(server *s);
/* c closes: its read in progress stops at its next record, its export's
 * snapshot ends. */
void readers_conn_gone(server *s, conn *c);
/* Ends the exports' snapshots unused for SNAP_IDLE_MS. */
void readers_expire(server *s);
/* Stops the threads (their reads cancelled) before the environment closes. */
void readers_stop(server *s);

#endif
