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
	uint64_t revision; /* the protocol revision the connection's HELLO named */
	int timeout_ms;
	store_autostart start; /* store_set_autostart: whether a call starts a server */
	int watch_fd;    /* the subscription connection; -1 when none */
	record_buf in;   /* the last answer's payload */
	wire_msg reply;  /* decoded from `in` */
	record_buf watch_in;
	store_push_rows push; /* the rows of what the last store_watch_read read (store_watch_rows) */
	char **att;      /* the executions attached through this handle: taken up again on reconnecting */
	size_t n_att;
};

/* Sends the request built in b (rc: how building it went), frees b, and
 * reads the answer into st->reply. */
store_code client_request(store *st, record_buf *b, int rc, store_err *err);

/* A request of `op` with its arguments in its row's order (ops.h), built in
 * b: a change with a new request id, the store's flags and actor.  What the
 * row refuses never travels: a change on a store this handle may not
 * change (client_refuse_op), an argument over its bound (refused by its
 * name, as the server would).  On failure b is freed. */
store_code client_build(store *st, record_buf *b, unsigned op, const ops_val *in, size_t n, store_err *err);
/* client_build, then the request sent and its answer read into st->reply. */
store_code client_call(store *st, unsigned op, const ops_val *in, size_t n, store_err *err);
/* client_call with the arguments written out: CALL(st, OP_PAUSE, err, TEXT(e), TEXT(t)). */
#define CALL(st, op, err, ...) \
	client_call(st, op, (const ops_val[]){ __VA_ARGS__ }, sizeof((const ops_val[]){ __VA_ARGS__ }) / sizeof(ops_val), \
		    err)
/* The arguments, as a row's kinds take them. */
#define NUM(v) { .u = (uint64_t)(v) }
#define TEXT(p) { .s = (p), .len = (p) ? strlen(p) : 0 } /* NULL: left out */
#define BYTES(p, n) { .s = (p), .len = (n) }
#define STRINGS(v, count) { .strs = (v), .n = (count) }
#define BLOBS_OF(v, count) { .blobs = (v), .n = (count) }
#define NOTHING { .u = 0 }
/* The head of a change's frame: its operation, a new request id, flags, actor. */
int client_begin_change(store *st, record_buf *b, unsigned op);
/* STORE_READ_ONLY with its message when this handle may not change anything. */
store_code client_refuse_ro(store *st, store_err *err);
/* Refuses only when the caller opened the store read-only itself. */
store_code client_refuse_ro_asked(store *st, store_err *err);
/* The read-only rule of an operation (ops.c): a change is refused to a
 * read-only store, but an answer that names a task only when the caller
 * itself asked for read-only (the server checks the respondents). */
store_code client_refuse_op(store *st, unsigned op, bool names_task, store_err *err);
store_code client_oom(store_err *err);
/* The events of the last reply (st->reply), decoded into a new array. */
store_code client_decode_events(store *st, record_event **out, size_t *n, store_err *err);
/* The default time limit of an answer, in ms. */
#define CLIENT_TIMEOUT_MS_DEFAULT 60000

int64_t client_now_ms(void);
void client_nap_ms(int ms);
/* Sends n bytes before the deadline (ms on client_now_ms's clock). */
store_code client_send_all(int fd, const void *p, size_t n, int64_t deadline);
/* Reads one frame's payload into buf; 0, -1 when the connection broke, -2
 * when the deadline passed, -3 when the frame is malformed. */
int client_recv_frame(int fd, record_buf *buf, int64_t deadline);
/* The HELLO exchange on a new connection.  *answered: the server answered
 * (an error it gives is final); else the connection broke before its
 * answer, or the server is making way for a newer one (*again). */
store_code client_hello(store *st, int fd, bool *answered, bool *again, store_err *err);

/* ---- launch.c: reaching the server ---- */
/* A connection to the socket of `home` (absolute), or -1 with errno. */
int client_connect(const char *home);
/* Starts the server of `home` (the program seestore-server, spawned with an
 * explicit environment); it takes the home's lock, so two clients starting
 * one at once leave one server.  A program that cannot be started is noted
 * in the home's server.log. */
void client_spawn_server(const char *home);
/* The server program: $SEESTORE_SERVER, else the installed one, else the
 * one this build made when it is not installed. */
const char *client_server_program(void);
bool client_has_store(const char *home);
/* Creates `home` (and its parents) when missing. */
store_code client_make_home(const char *home, store_err *err);

/* This machine's name, as an attached engine is known by. */
const char *client_host(void);

/* ---- remote.c: homes on another host (ssh://[USER@]HOST[:PORT]/PATH) ---- */
typedef struct client_remote {
	char user[65];
	char host[256];
	int port;             /* 0: ssh's own */
	char path[4096];      /* absolute, on the host */
} client_remote;
bool client_home_is_remote(const char *home);
/* Splits an ssh:// home; STORE_INVALID_INPUT names what is wrong. */
store_code client_remote_parse(const char *home, client_remote *r, store_err *err);
/* A connection to the home's server through ssh and the remote
 * `seectl server proxy`, or -1 with err set.  Close it with
 * client_remote_close, then close(fd). */
int client_remote_connect(const char *home, store_err *err);
/* Why a remote connection broke: the last line ssh or the remote side
 * printed, and ssh's exit status (-1 when it still runs). */
bool client_remote_why(int fd, char *out, size_t cap, int *exit_status);
void client_remote_close(int fd);
/* A connection to a remote home with its HELLO done: the open_conn of an
 * ssh:// home.  The error names ssh's or the remote side's own words. */
store_code client_remote_open(store *st, int *out, store_err *err);
/* Closes a connection, local or remote. */
void client_close_fd(int fd);

#endif
