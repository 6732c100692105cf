/* server_int.h - what the modules of the store server share; not installed.
 *
 *   server.c         the process: its lock, socket, log, main loop and exit
 *   server_conn.c    connections: reading frames, answers after the batch's
 *                    flush, pushes to subscribers
 *   server_handle.c  one request: its checks from the operations' table
 *                    (ops.c), then one small handler per operation
 *   server_jobs.c    the server's own work: the deadlines' timer and the
 *                    notification commands
 *   server_readers.c the reader threads, where long reads run in snapshots
 *   server_leases.c  the engines attached elsewhere in a replication group
 */
#ifndef SEESTORE_SERVER_INT_H
#define SEESTORE_SERVER_INT_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "dbs.h"
#include "err.h"
#include "server.h"
#include "wire.h"

#define MAX_CLIENTS_DEFAULT 256
#define MAX_PER_USER_DEFAULT 32      /* connections of one user other than the owner; SEESTORE_MAX_CLIENTS_PER_USER */
#define OWNER_SLOTS_DIV 8            /* an eighth of max_clients is kept for the owner's connections */
#define BUFFER_MB_DEFAULT 256        /* every connection's buffers together; SEESTORE_BUFFER_MB */
#define GROUP_CHECK_S_DEFAULT 60     /* the group database read again this often; SEESTORE_GROUP_CHECK_S */
#define CONN_OUT_MAX (1 << 20)       /* unsent past this: the connection's requests wait until it drains */
#define READER_FRAME_MAX (128u * 1024) /* a frame of a user who may only read: an answer (64 KiB) and its ids */
#define CONN_KEEP (64 * 1024)        /* an emptied buffer larger than this is freed */
#define OTHERS_ROUND_MS 50           /* requests of users other than the owner run this long per wake-up, then wait */
#define IDLE_S_DEFAULT 30
#define LOG_MAX (1024 * 1024)        /* server.log is rotated past this */
#define PUSH_INTERVAL_MS 10         /* a subscriber hears of changes at most this often: merged in between */
#define PUSH_IDS 64                  /* more changed executions in one push: "all changed" */
#define PUSH_ROWS_BYTES_MAX (256 * 1024) /* rows of one push past this: "all changed" instead */
#define PUSH_DETAILS_MAX 4           /* a push of at most this many rows brings their tasks and new events */
#define PUSH_BEHIND_MAX (1 << 20)    /* a subscriber that missed this many bytes of pushes is told to reload */
#define SUBSCRIBER_OUT_MAX (1 << 20) /* a subscriber this far behind is dropped */
#define STAGE_MAX ((size_t)1 << 30)  /* an import's frames held until its last */
#define VERIFY_MAX 10000             /* problems sent back by verify */
#define READ_CHUNK (256 * 1024)
#define GATHER_ROUNDS 4          /* looks for more requests before a flush */
#define HOOKS_AT_ONCE 4          /* notification commands running at once */
#define HOOK_TIME_MS 30000       /* a notification command's time limit (then SIGTERM); SEESTORE_HOOK_TIMEOUT_MS */
#define HOOK_KILL_MS 5000        /* after SIGTERM, SIGKILL */

typedef struct conn {
	uint64_t id;            /* never reused: a reader's answer finds its connection by it */
	int fd;
	uid_t uid;
	gid_t gid;              /* its process's group (SO_PEERCRED) */
	pid_t pid;
	bool owner;             /* the home's owner: never held to the limits of other users */
	char user[64];          /* the name of uid (or the number), for the audit trail */
	char groups[32][65];    /* its groups' names: respondents may be "@group" */
	size_t n_groups;
	bool ro_asked;          /* the client itself asked for read-only */
	uint64_t revision;      /* the protocol revision its HELLO named */
	bool read_only;
	bool dead;
	record_buf in;          /* bytes read, not yet a whole frame */
	record_buf out;         /* bytes to send */
	size_t out_off;
	record_buf held;        /* an answer waiting for the batch's flush */
	bool held_sync;         /* it answers a change that needs the flush */
	bool subscribed;
	bool push_rows;          /* it asked for rows (revision 8 on) */
	uint64_t push_from;      /* the generation of the last push it was sent (or subscribed at) */
	/* it missed a push (its output was full): what it missed, merged, goes
	 * out once it drains; past PUSH_BEHIND_MAX missed, a reload instead */
	bool push_pending, push_all, push_reload;
	size_t push_behind;      /* bytes of the pushes it missed */
	char *push_ids[PUSH_IDS];
	size_t n_push_ids;
	bool in_reader;         /* a request of its runs on a reader thread: the next ones wait */
	bool reader_wait;       /* its next request waits for a turn on the reader threads */
	dbs_snap *snap;         /* the snapshot its export's pages read (server_readers.c) */
	int64_t snap_used;      /* ms, monotonic: when a page last read it */
	bool each_done;         /* a reader's: the page of an export it answered was the last */
	bool waiting;           /* OP_WAIT */
	uint64_t wait_gen;
	int64_t wait_deadline;  /* ms, monotonic */
	record_buf *stage;      /* an import's frames so far */
	size_t n_stage, stage_bytes;
	unsigned char stage_req[64]; /* the request id they carry */
	size_t stage_req_len;
	char **att;             /* the executions this engine drives: its lease */
	size_t n_att;
	uint64_t engine_pid;
	char engine_host[256];
	uint64_t serial;        /* a replica's name for it at the master (server_repl.c): 0 until one of its changes is forwarded */
} conn;

typedef struct server {
	const char *home;
	dbs *db;
	store_err open_err;     /* why the home could not be opened (db NULL) */
	int lfd;
	conn **conns;
	size_t n_conns;
	int max_clients;
	int max_per_user;       /* connections of one user other than the owner */
	size_t buf_max;         /* bytes of every connection's buffers together */
	size_t buf_bytes;       /* what they hold now (counted at each wake-up, and as requests run) */
	int group_check_s;
	/* a test's fault: the execution whose next change makes the server
	 * exit once it is committed and flushed, before it is answered
	 * (SEESTORE_TEST_DIE_AFTER_COMMIT), and whether this batch made one */
	const char *die_after;
	bool die_now;
	int64_t groups_checked; /* ms, monotonic */
	int64_t round_start;    /* ms, monotonic: when poll last woke */
	size_t turn;            /* the connection read first at this wake-up */
	gid_t home_gid;         /* the home directory's group: its members may read */
	int idle_s;
	int64_t idle_since;
	time_t started;
	int logfd;
	uint64_t gen;
	/* what the running batch changed */
	bool changed, changed_all;
	char *changed_ids[PUSH_IDS];
	size_t n_changed;
	/* what the batches changed since the last push (push_from), pushed to
	 * every subscriber at once, encoded once, at most every PUSH_INTERVAL_MS */
	bool push_any, push_all;
	char *push_ids[PUSH_IDS];
	size_t n_push_ids;
	uint64_t push_from;
	uint64_t push_event_seq;  /* the newest event at the last push: the details' events follow it */
	int64_t push_next_ms;
	uint64_t pushes_sent;   /* push frames sent, and of them encoded for one subscriber alone */
	uint64_t pushes_own;
	bool stop;
	struct pollfd *pfd;     /* poll's array, kept from one wake-up to the next */
	conn **pconn;           /* the connection of each entry (gather) */
	size_t pcap;
	int lock;               /* server.lock, flocked */
	int64_t checked_home;
	bool gone;              /* the home was removed under the server */
	uint64_t requests, requests_ro; /* requests served since it started, and of them from read-only connections */
	uint64_t conn_ids;      /* the last connection's id */
	struct readers *readers; /* the reader threads (server_readers.c), once started */
	bool on_reader;         /* this is a reader thread's own, for one request: no other thread to hand it to */
	bool att_unknown;       /* a reader's: the master's set of attached engines was too large to know (every one counts as attached) */
	/* notification hooks: the commands running, and where the outbox is read */
	struct hook_job {
		pid_t pid;
		uint64_t seq;
		int64_t started;   /* ms, monotonic */
		bool termed;
		struct hook_run *run; /* its output and process tree (server_jobs.c) */
	} hooks[HOOKS_AT_ONCE];
	size_t n_hooks;
	bool outbox_check;      /* the outbox may hold notifications not started */
	uint64_t outbox_after;  /* the last one started from the backlog */
	uint64_t outbox_top;    /* the newest notification seen: newer ones run first */
	uint64_t outbox_fresh;  /* the last one started of those newer ones */
	int hook_time_ms;
	/* the earliest deadline of a waiting task (its timer) */
	bool next_checked;      /* next_any/next_us are up to date */
	bool next_any;
	int64_t next_us;        /* wall clock, µs */
	struct stat lock_st, sock_st;
} server;

/* server.c */
int64_t srv_now_ms(void); /* monotonic */
/* A line in server.log; a full disk loses it, never a request. */
void srv_log(server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Its owner stopped it: server.lock says "stopped" under the pid from now
 * on, before any connection closes (store_server_stopped reads it). */
void srv_mark_stopped(server *s);

/* server_conn.c */
void conn_free(conn *c);
void conn_stage_drop(conn *c);                        /* an import's frames */
int conn_out_append(conn *c, const record_buf *frame); /* -1: out of memory */
void conn_write(server *s, conn *c);                  /* what the socket takes now, then a push */
void conn_read(server *s, conn *c);                   /* and runs every whole frame */
void conn_accept_all(server *s);
bool conn_reap(server *s);              /* frees the closed; true when an engine's lease ended */
void conn_finish_batch(server *s);      /* one flush, then the answers, then the pushes */
/* Sends the changes merged since the last push, once PUSH_INTERVAL_MS has
 * passed since it; shortens *timeout (ms) to when the next one is due. */
void conn_push_tick(server *s, int *timeout);
bool conn_poll_room(server *s, size_t n);
int conn_gather(server *s);
size_t conn_count(server *s);           /* the live ones */
size_t conn_buffers(const conn *c);     /* the bytes its buffers hold */
bool conn_behind(const conn *c);        /* so much unsent that its requests wait */
bool conn_has_request(const conn *c);   /* a whole frame read, that it may run now */
void conn_check_groups(server *s);      /* reads the group database again; closes who may no longer read */
void conn_note_changed(server *s, const char *id); /* NULL: something, no execution */
int conn_reply_err(record_buf *b, const store_err *e);
int conn_reply_ok(record_buf *b);

/* server_handle.c: runs one request; the answer goes to c->held (sent after
 * the batch's flush).  Returns false when the frame breaks the protocol. */
bool handle_request(server *s, conn *c, const wire_msg *m, const record_buf *frame);
/* Whether a live connection drives the execution (its engine is attached). */
bool handle_attached(server *s, const char *id);
/* Forgets the list pages kept (a replication site whose role changed). */
void handle_pages_forget(void);
/* c (an engine's connection, or a replica's client at the master) drives
 * the execution id: its lease. */
void handle_lease_add(conn *c, const char *id, uint64_t pid, const char *host);

/* server_jobs.c: each shortens *timeout (ms) to when it must run again. */
void jobs_timer_run(server *s, int *timeout);  /* applies the deadlines that are due */
void jobs_hooks_pump(server *s, int *timeout); /* ends and starts notification commands */

#endif
