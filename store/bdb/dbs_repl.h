/* dbs_repl.h - a home as a site of a Berkeley DB Replication Manager group
 * (dbs_repl.c): what the store server asks of it.  A home with a repl.conf
 * (repl_conf.h) opens replicated: the master takes changes, a replica
 * serves reads from its copy and forwards changes to the master over a
 * message channel.  Without that file nothing here runs.  Private to the
 * server; no db.h here. */
#ifndef SEESTORE_DBS_REPL_H
#define SEESTORE_DBS_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "dbs.h"
#include "repl_conf.h"

typedef enum dbs_repl_role {
	DBS_REPL_OFF,       /* the home is not replicated */
	DBS_REPL_MASTER,
	DBS_REPL_REPLICA,   /* a client that knows its master */
	DBS_REPL_NO_MASTER, /* a client while no master is known: an election runs */
} dbs_repl_role;

/* Whether the home opened as a site of a group. */
bool dbs_repl_on(const dbs *st);
dbs_repl_role dbs_repl_role_now(dbs *st);
/* The replication generation: it moves with each election (0: unknown). */
uint64_t dbs_repl_election(dbs *st);

/* The master's side of a forwarded change, run on one of Berkeley DB's
 * message threads (never the server's): runs the request (a frame's
 * payload, without its length) as the server runs a client's, and fills
 * `answer` with the whole reply frame and *gen with the store's generation
 * after it.  0, or -1 when the request could not be run (then the replica
 * hears so).  `cancel` makes runs in progress give up: called before the
 * environment closes. */
typedef int (*dbs_repl_run_fn)(void *ctx, const void *payload, size_t len, record_buf *answer, uint64_t *gen);
void dbs_repl_set_runner(dbs *st, dbs_repl_run_fn run, void (*cancel)(void *ctx), void *ctx);

/* Whether this replica's master went silent and no master was heard of
 * since (Berkeley DB's own state keeps naming it). */
bool dbs_repl_master_lost(const dbs *st);
/* How many times since the server started the databases were opened again
 * because Berkeley DB invalidated their handles (DB_REP_HANDLE_DEAD): after
 * a rollback of what this site had committed without a quorum (a master cut
 * off that came back as a replica), or a new copy from the master. */
uint64_t dbs_repl_reopens(const dbs *st);
/* Where this site's log ends (file << 32 | offset; 0 unknown): it moves as
 * the master's log arrives, and costs no transaction to read, so a replica
 * may look at it often and read its generation only when it moved. */
uint64_t dbs_repl_log_end(dbs *st);
/* Asks the master named in Berkeley DB's state whether it is there: when it
 * answers, it is the master again.  On the forwarder's thread (it may wait
 * long on a master that hangs: its connection is made anew, and Berkeley DB
 * does not bound that wait). */
void dbs_repl_probe_master(dbs *st);

/* A replica's side, run on a thread of the server's own (the forwarder),
 * never at the same time as the environment closes (the runner's cancel is
 * called first, and must wait for it): sends a change's payload to the
 * master and waits (at
 * most the ack timeout and 3 s) for the master's whole reply frame, which
 * goes to `answer`, and the generation after it.  STORE_STORAGE with
 * "no master (election in progress)" when none is known, or when the master
 * does not answer. */
store_code dbs_repl_forward(dbs *st, const void *payload, size_t len, record_buf *answer, uint64_t *gen,
			    store_err *err);

/* ---- the engines attached in the group ----
 * A replica knows only the engines attached to itself; the master knows its
 * own and, through the envelopes, those of every replica.  So the master's
 * main thread publishes that set (the ids, encoded by the server: opaque
 * here) while replicas ask for it, and a replica asks over the channel, on
 * a thread of the server's own. */
/* At the master: whether a replica asked within the last 3 s. */
bool dbs_repl_attached_wanted(dbs *st);
/* At the master, its main thread: the set now (ids, len), or too_many
 * (more than the server sends).  Answers are at most a second old: called
 * every look while wanted. */
void dbs_repl_attached_publish(dbs *st, const void *ids, size_t len, bool too_many);
typedef enum dbs_att_answer {
	DBS_ATT_UNKNOWN = 'U',  /* no answer: no master, it did not answer in time, or it has no set yet */
	DBS_ATT_SAME = 'S',     /* the master's set is the version the replica holds */
	DBS_ATT_NEW = 'N',      /* a new version: its ids in `ids` */
	DBS_ATT_TOO_MANY = 'T', /* more than the master sends: every engine may be attached */
} dbs_att_answer;
/* At a replica, on a thread of the server's own (the master may hang: the
 * wait is at most 1.5 s, but a connection made anew is not bounded, as in
 * dbs_repl_probe_master), never while the environment closes: asks the
 * master for its set, saying the *version held (0: none); a new version
 * goes to *version (and its ids to `ids`). */
dbs_att_answer dbs_repl_attached_ask(dbs *st, uint64_t *version, record_buf *ids);

#define DBS_REPL_SITES_MAX 32
#define DBS_REPL_ADDR_MAX 300

typedef struct dbs_repl_site {
	char addr[DBS_REPL_ADDR_MAX];
	bool connected; /* a connection with this site is up now */
	bool master;
} dbs_repl_site;

typedef struct dbs_repl_info {
	dbs_repl_role role;
	char self[DBS_REPL_ADDR_MAX];
	char master[DBS_REPL_ADDR_MAX]; /* "" when none is known */
	uint32_t lsn_file, lsn_offset;  /* where this site's log ends */
	bool master_lsn_known;          /* a replica asked the master where its log ends */
	uint32_t master_lsn_file, master_lsn_offset;
	/* how long ago the master made the oldest change this site lacks
	 * (0: none; at the master always 0), as the master's own clock
	 * measures it from the moments it noted (dbs_repl_note_generation);
	 * not known without a master that answered */
	bool lag_known;
	uint64_t lag_ms;
	unsigned priority, ack_timeout_ms, heartbeat_ms;
	unsigned nsites;                /* the group's size as this site knows it */
	bool two_site_strict;           /* a group of two: the master waits for the other site */
	uint64_t perm_failed;           /* commits no quorum acknowledged, since this server started */
	uint64_t gen;                   /* the replication generation (elections won) */
	size_t n_sites;                 /* the other sites */
	dbs_repl_site sites[DBS_REPL_SITES_MAX];
} dbs_repl_info;

store_code dbs_repl_status(dbs *st, dbs_repl_info *out, store_err *err);
/* The server's loop, each turn: at the master, the store's generation now
 * (when it moved, the master notes the moment, for the lag a replica asks
 * about); anywhere else, that this site is not master (it forgets them). */
void dbs_repl_note_generation(dbs *st, bool master, uint64_t gen);
/* How long a commit waits for a quorum's acks (0: not replicated). */
unsigned dbs_repl_ack_timeout_ms(const dbs *st);

/* Takes this site out of its group (the master removes it from the
 * membership); refused at the master. */
store_code dbs_repl_leave(dbs *st, store_err *err);

#endif
