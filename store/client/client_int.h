/* client_int.h - what the client modules of libseestore share; not installed. */
#ifndef SEESTORE_CLIENT_INT_H
#define SEESTORE_CLIENT_INT_H

#include "store.h"
#include "wire.h"

struct store {
	char *home;      /* absolute */
	unsigned flags;
	bool read_only;  /* asked for, or all the server grants */
	char actor[128];
	int fd;          /* the request connection; -1 when not connected */
	long server_pid;
	int timeout_ms;
	int watch_fd;    /* the subscription connection; -1 when none */
	record_buf in;   /* the last answer's payload */
	wire_msg reply;  /* decoded from `in` */
	record_buf watch_in;
	char **att;      /* the executions attached through this handle: taken up again on reconnecting */
	size_t n_att;
};

/* Sends the request built in b (rc: how building it went), frees b, and
 * reads the answer into st->reply. */
store_code client_request(store *st, record_buf *b, int rc, store_err *err);
/* The head of a change's frame: its operation, a new request id, flags, actor. */
int client_begin_change(store *st, record_buf *b, unsigned op);
/* STORE_READ_ONLY with its message when this handle may not change anything. */
store_code client_refuse_ro(store *st, store_err *err);
/* Refuses only when the caller opened the store read-only itself. */
store_code client_refuse_ro_asked(store *st, store_err *err);
store_code client_oom(store_err *err);
/* The events of the last reply (st->reply), decoded into a new array. */
store_code client_decode_events(store *st, record_event **out, size_t *n, store_err *err);
/* This machine's name, as an attached engine is known by. */
const char *client_host(void);

#endif
