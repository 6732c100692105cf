/* wire.h - the protocol between the store server and its clients.
 *
 * A frame is a 4-byte big-endian length, then that many bytes: 'S', 'W', the
 * protocol version, then tagged fields (tag.h).  A request names its
 * operation, a change carries the request id its client chose, a reply carries
 * a store_code and a message; records travel as repeated byte fields in their
 * own encoding (record.h).  A frame longer than WIRE_FRAME_MAX is refused
 * before it is read.  Private to libseestore. */
#ifndef SEESTORE_WIRE_H
#define SEESTORE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops.h"
#include "store.h"

#define WIRE_VERSION 1
/* What this build's protocol holds: WIRE_REVISION, the last line of
 * WIRE_REVISIONS (ops.h, under the operations' table). */
/* This build's revision: WIRE_REVISION, unless SEESTORE_PROTOCOL_REVISION
 * says otherwise (tests start a server that acts as an older build). */
uint64_t wire_revision(void);
#define WIRE_FRAME_MAX (64u * 1024 * 1024)
#define WIRE_U 16 /* numeric arguments a message carries (u8 on: revision 3) */
#define WIRE_S 4 /* text arguments */

/* Where replies put what does not fit a slot of its own. */
#define WIRE_COUNTS_GEN 7      /* OP_COUNTS: the generation (counts from u0) */
#define WIRE_LIST_GEN 7        /* OP_LIST with counts: the generation... */
#define WIRE_LIST_COUNTS 8     /* ...and the counts per status from u8 (room for 8 statuses) */
#define WIRE_STATUS_HOOKS 8    /* OP_STATUS: hooks run, failed, pending in u8, u9, u10 */
#define WIRE_STATUS_REQUESTS 11 /* OP_STATUS: requests served since the server started, and of them from read-only connections, in u11, u12 */

/* From this revision on, a list may ask for the newest page as record
 * images (record_image_exec): what the client holds, laid out by the server
 * once. */
#define WIRE_REV_IMAGES 6

/* From this revision on, a subscriber may ask for rows: each push carries
 * the executions that changed as list rows (record images, encoded once
 * per push for every subscriber), the counts per status, the generation it
 * follows, and a mark per row (WIRE_MARK_*). */
#define WIRE_REV_PUSH_ROWS 8
#define WIRE_PUSH_FROM 2      /* the generation the push follows */
#define WIRE_PUSH_FLAGS 3     /* WIRE_PUSH_RELOAD */
#define WIRE_PUSH_ROWS 4      /* how many of the blobs are rows (the ids gone follow) */
#define WIRE_PUSH_RELOAD 1    /* the subscriber fell too far behind: read everything again */
#define WIRE_PUSH_WITH_ROWS 2 /* the push is of the kind with rows (u4 of them, the counts, u2) */
#define WIRE_PUSH_DETAILS 5   /* with few rows, the last u5 blobs: each row's item, its tasks without
			       * their lines and its events since the last push, oldest first */
#define WIRE_PUSH_EVENTS 64   /* more events since the last push: no details */
enum {
	WIRE_MARK_PAUSED = 1 << 0,   /* waiting only because an operator paused it */
	WIRE_MARK_STRANDED = 1 << 1, /* running after a decision with no engine attached */
};

/* The operations and their codes (wire_op, OP_*): ops.h. */

/* Request flags (HELLO's u0 and every change's flags). */
enum {
	WIRE_READ_ONLY = 1 << 0, /* the connection asks for (or was given) read-only access */
	WIRE_NO_SYNC = 1 << 1,   /* the change need not be flushed before its answer */
	/* a reply's: the server holds none of the frames before this one (it
	 * restarted, or was replaced, meanwhile): send the whole request again,
	 * from its first frame, under the same request id */
	WIRE_RESEND = 1 << 2,
	/* a reply's: a replica could not have the master make the change now
	 * (no master, or it did not answer): the same request, under the same
	 * request id, may be sent again in a moment (an engine does) */
	WIRE_RETRY = 1 << 3,
};

typedef struct wire_blob {
	const unsigned char *p;
	size_t len;
} wire_blob;

typedef struct wire_msg {
	unsigned op;
	unsigned code;     /* a reply's store_code */
	unsigned flags;
	uint64_t u[WIRE_U];
	wire_blob s[WIRE_S];
	bool has_s[WIRE_S];
	wire_blob req;     /* request id of a change */
	uint64_t frame;    /* a request of several frames: this one's number, from 0 */
	bool has_frame;
	/* a change a replica forwarded: for whom (server_repl.c's envelope;
	 * heeded only from the server's own process) */
	wire_blob fwd;
	wire_blob *blobs;  /* decoded: point into the frame; owned array */
	size_t n_blobs, cap_blobs;
} wire_msg;

/* Building a message: start a frame, add fields, finish (fills in the length).
 * Each returns 0 or -1 when out of memory. */
int wire_begin(record_buf *b, unsigned op);
int wire_u(record_buf *b, int i, uint64_t v);
int wire_s(record_buf *b, int i, const void *p, size_t n);
int wire_str(record_buf *b, int i, const char *s); /* NULL adds nothing */
int wire_flags(record_buf *b, unsigned flags);
int wire_code(record_buf *b, unsigned code);
int wire_req(record_buf *b, const void *id, size_t n);
/* The number of this frame in a request of several (0 the first). */
int wire_frame_no(record_buf *b, uint64_t n);
/* A forwarded change's envelope (who it is made for), added by a replica. */
int wire_fwd(record_buf *b, const void *p, size_t n);
int wire_blob_add(record_buf *b, const void *p, size_t n);
/* Reserves a blob field of unknown length: wire_blob_end closes it. */
size_t wire_blob_start(record_buf *b);
int wire_blob_end(record_buf *b, size_t start);
/* Fails when the frame is over WIRE_FRAME_MAX. */
int wire_finish(record_buf *b);

/* The payload length a frame header announces; false when over the limit. */
bool wire_frame_len(const unsigned char hdr[4], size_t *len);
/* Decodes a payload (without its 4-byte header) into m, pointing into it.
 * 0, or -1 with why; m is always safe to wire_msg_free. */
int wire_decode(const void *payload, size_t len, wire_msg *m, char *why, size_t whylen);
void wire_msg_free(wire_msg *m);

/* An execution with its tasks as one blob; decoding fills `it` (caller frees). */
int wire_item_encode(record_buf *b, const store_item *it);
/* The item's bytes alone, as a blob of wire_item_encode holds them. */
int wire_item_body(record_buf *b, const store_item *it);
int wire_item_decode(const void *p, size_t n, store_item *it, char *why, size_t whylen);
/* The lines of a task that did not fit in its execution's item (an import of
 * one larger than a frame): a blob of their own after the item, perhaps in
 * a later frame, which an item never looks like (its first byte is 0). */
int wire_more_encode(record_buf *b, const char *exec_id, const char *task_id, const record_text *lines, size_t n);
bool wire_is_more(const wire_blob *b);
/* Appends the lines of such a blob to the item's task; -1 (why) when it
 * names another execution or a task the item lacks, or is malformed. */
int wire_more_apply(const void *p, size_t n, store_item *it, char *why, size_t whylen);

/* A site of a replication group (OP_REPL_STATUS asked with typed sites):
 * one blob each, of tagged fields as a frame's (its address, whether a
 * connection with it is up, whether it is the master); a reader skips
 * fields it does not know.  The decoder: 0, or -1 for a malformed blob or
 * one without an address. */
int wire_site_encode(record_buf *b, const char *addr, bool connected, bool master);
int wire_site_decode(const void *p, size_t n, store_repl_site *s);

#endif
