/* server_repl.c - the store server as a site of a replication group: what
 * it does apart from serving its home (dbs_repl.c holds Berkeley DB's side).
 *
 * - At a replica, a change is forwarded, frame unchanged, to the master;
 *   whatever the operation, in one place (repl_intercept, before dispatch),
 *   by a thread of its own (the forwarder), so that the loop serves reads
 *   meanwhile.  The client is answered with the master's answer once this
 *   site's own copy holds the change (its generation has reached the
 *   master's), so it reads its write wherever it reads next.
 * - At the master, a forwarded change arrives on one of Berkeley DB's
 *   message threads, which hands it to this server through its own socket,
 *   as a client would: it then runs through the same checks, dispatch and
 *   group commit as any request, with the client's request id (requests.db
 *   replicates, so a change sent again after a failover is found).
 * - With each forwarded frame goes an envelope (server_remote.c): whom the
 *   change is for, and the name of the client's connection, under which the
 *   master keeps an engine's lease: the replica tells the master when that
 *   connection closes, and tells a new master its engines' leases after an
 *   election.
 * - An import of several frames is held by the replica until its last, then
 *   forwarded whole, its frames run on one connection at the master.
 * - Only the master runs the deadlines' timer and the notification commands;
 *   a replica pushes to its dashboards what the master's log brought. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client_int.h"
#include "dbs_repl.h"
#include "server_int.h"
#include "server_leases.h"
#include "server_remote.h"
#include "server_repl.h"
#include "tag.h"

#define TICK_MS 200             /* how often the role and the replica's generation are read */
/* how often a replica looks whether its log moved (a read of the log's
 * region, no transaction): its dashboards hear of the master's changes this
 * soon, not a TICK_MS later.  When it moved, the generation is read then
 * and at the looks of the next LOG_LOOKS_AFTER periods, as the log may end
 * before its transaction is applied. */
#define LOG_LOOK_MS 20
#define LOG_LOOKS_AFTER 5
#define OWN_WAIT_MS 60000       /* a forwarded change running at the master */
#define CATCH_UP_EXTRA_MS 5000  /* beyond the ack timeout: a replica's copy receiving a change */
#define FORWARD_WAIT_EXTRA_MS 4000 /* beyond the ack timeout: a forwarded change's answer, at most */
#define PROBE_EVERY_MS 300      /* a replica without a master asks the old one whether it is back */
#define OWN_FDS 16

/* The site's role at repl_tick's last look. */
static dbs_repl_role last = DBS_REPL_OFF;

/* ---- the master: forwarded changes, through the server's own socket ---- */

/* The connections of the message threads to this server, so that a server
 * about to close its environment can end the runs that wait on it. */
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;
static int own_fds[OWN_FDS];
static size_t n_own;
static __thread int own_fd = -1;

static void own_forget(int fd)
{
	pthread_mutex_lock(&own_lock);
	for (size_t i = 0; i < n_own; i++)
		if (own_fds[i] == fd)
			own_fds[i] = own_fds[--n_own];
	pthread_mutex_unlock(&own_lock);
	close(fd);
}

static void forwarder_pause(void);

/* Before the environment closes: the master's runs waiting on this server
 * end, and a replica's forwarder stops sending. */
static void cancel_runs(void *ctx)
{
	(void)ctx;
	forwarder_pause();
	leases_pause();
	pthread_mutex_lock(&own_lock);
	for (size_t i = 0; i < n_own; i++)
		shutdown(own_fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&own_lock);
}

/* One request on the thread's connection: the frame b (finished), the
 * answer's payload into in. */
static int own_ask(const char *home, const void *frame, size_t len, record_buf *in)
{
	int64_t deadline = client_now_ms() + OWN_WAIT_MS;
	if (own_fd < 0) {
		int fd = client_connect(home);
		if (fd < 0)
			return -1;
		record_buf h = { 0 };
		int rc = wire_begin(&h, OP_HELLO) | wire_u(&h, 0, 0) | wire_u(&h, 2, wire_revision()) | wire_finish(&h);
		if (rc || client_send_all(fd, h.data, h.len, deadline) || client_recv_frame(fd, in, deadline)) {
			record_buf_free(&h);
			close(fd);
			return -1;
		}
		record_buf_free(&h);
		pthread_mutex_lock(&own_lock);
		if (n_own < OWN_FDS)
			own_fds[n_own++] = fd;
		pthread_mutex_unlock(&own_lock);
		own_fd = fd;
	}
	if (client_send_all(own_fd, frame, len, deadline) || client_recv_frame(own_fd, in, deadline)) {
		own_forget(own_fd);
		own_fd = -1;
		return -1;
	}
	return 0;
}

/* dbs_repl_run_fn: the change (one or more whole frames: an import of
 * several, each with its length, on this thread's one connection, as its
 * client sent them to the replica), then the generation after it.  The
 * answer is the last frame's, or the first that was not a success. */
static int run_forwarded(void *ctx, const void *payload, size_t len, record_buf *answer, uint64_t *gen)
{
	const char *home = ctx;
	const unsigned char *p = payload, *end = p + len;
	record_buf f = { 0 }, in = { 0 };
	int rc = p < end ? 0 : -1;
	wire_msg m;
	char why[64];
	while (rc == 0 && p < end) {
		size_t n;
		if (end - p < 4 || !wire_frame_len(p, &n) || n > (size_t)(end - p - 4)) {
			rc = -1;
			break;
		}
		rc = own_ask(home, p, 4 + n, &in);
		p += 4 + n;
		if (rc == 0 && p < end && wire_decode(in.data, in.len, &m, why, sizeof why) == 0) {
			bool fine = m.code == STORE_OK;
			wire_msg_free(&m);
			if (!fine)
				break; /* the frames that follow are not sent */
		}
	}
	if (rc == 0) {
		/* the whole reply frame: its length, then the payload */
		unsigned char hdr[4] = { (unsigned char)(in.len >> 24), (unsigned char)(in.len >> 16),
					 (unsigned char)(in.len >> 8), (unsigned char)in.len };
		rc = tag_put_raw(answer, hdr, 4) | tag_put_raw(answer, in.data, in.len);
	}
	if (rc == 0)
		rc = wire_begin(&f, OP_GENERATION) | wire_finish(&f);
	if (rc == 0)
		rc = own_ask(home, f.data, f.len, &in);
	if (rc == 0 && (rc = wire_decode(in.data, in.len, &m, why, sizeof why)) == 0) {
		*gen = m.u[0];
		wire_msg_free(&m);
	}
	record_buf_free(&f);
	record_buf_free(&in);
	return rc ? -1 : 0;
}

/* ---- a replica: changes go to the master ---- */

static bool forwarded_op(unsigned op)
{
	return ops_is_change(op) && !ops_is_local(op);
}

/* The forwarder: a thread of the server's own sends each change to the
 * master and waits for its answer, so that the server's loop goes on serving
 * the replica's other clients (and its reads) meanwhile.  The client's
 * connection waits as an OP_WAIT does (c->waiting, for a generation no store
 * reaches), so that no later frame of it is read before its answer; the loop
 * takes the answer back (repl_tick) once this site's copy holds the change. */
typedef struct fwd_job {
	struct fwd_job *next;
	conn *c;              /* the client, if it is still connected */
	int64_t token;        /* its c->wait_deadline meanwhile: tells it from a new connection at the same address */
	record_buf payload;
	record_buf answer;    /* the master's whole reply frame */
	uint64_t gen;         /* the master's generation after the change */
	store_err err;
	store_code code;
	int64_t until;        /* ms: when the wait for this site's copy gives up */
	int64_t sent_at;      /* ms: when it was handed to the forwarder */
	bool abandoned;       /* its client was answered by the watchdog (main thread only) */
	bool lease_msg;       /* the replica's own message about a lease: no client waits */
	uint64_t announces;   /* announcements of all leases made before it was queued */
	struct fwd_job *next_out; /* the jobs out with the forwarder (main thread only) */
} fwd_job;

static struct forwarder {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started;
	bool paused;          /* the environment closes (or reopens): no send starts */
	bool sending;         /* a send is in progress */
	fwd_job *queue, **queue_end; /* to the thread */
	fwd_job *done;        /* back from it, newest first */
	fwd_job *catching;    /* answered: waiting for this site's copy (main thread only) */
	fwd_job *out;         /* handed to the forwarder, not back yet (main thread only) */
	size_t in_flight;     /* queued, sending or done, not yet taken back */
	int64_t seq;
	dbs *db;
} fw = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false, NULL, NULL, NULL, NULL, NULL, 0,
	 0, NULL };

static void job_free(fwd_job *j)
{
	record_buf_free(&j->payload);
	record_buf_free(&j->answer);
	free(j);
}

static void *forwarder_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&fw.lock);
	for (;;) {
		while (!fw.queue || fw.paused) {
			if (fw.paused || !dbs_repl_master_lost(fw.db)) {
				pthread_cond_wait(&fw.cond, &fw.lock);
				continue;
			}
			/* no master heard of: is the old one back? */
			fw.sending = true;
			pthread_mutex_unlock(&fw.lock);
			dbs_repl_probe_master(fw.db);
			struct timespec nap = { 0, PROBE_EVERY_MS * 1000000L };
			nanosleep(&nap, NULL);
			pthread_mutex_lock(&fw.lock);
			fw.sending = false;
			pthread_cond_broadcast(&fw.cond);
		}
		fwd_job *j = fw.queue;
		fw.queue = j->next;
		if (!fw.queue)
			fw.queue_end = &fw.queue;
		fw.sending = true;
		pthread_mutex_unlock(&fw.lock);
		memset(&j->err, 0, sizeof j->err);
		j->code = dbs_repl_forward(fw.db, j->payload.data, j->payload.len, &j->answer, &j->gen, &j->err);
		pthread_mutex_lock(&fw.lock);
		fw.sending = false;
		j->next = fw.done;
		fw.done = j;
		pthread_cond_broadcast(&fw.cond);
	}
	return NULL;
}

/* Before the environment closes: no send is in progress, and none starts
 * until the loop turns again (repl_tick). */
static void forwarder_pause(void)
{
	pthread_mutex_lock(&fw.lock);
	fw.paused = true;
	while (fw.sending)
		pthread_cond_wait(&fw.cond, &fw.lock);
	pthread_mutex_unlock(&fw.lock);
}

static void forwarder_resume(void)
{
	pthread_mutex_lock(&fw.lock);
	if (fw.paused) {
		fw.paused = false;
		pthread_cond_broadcast(&fw.cond);
	}
	pthread_mutex_unlock(&fw.lock);
}

/* The connection a job answers, if it is still there and still waits for it. */
static conn *job_conn(server *s, const fwd_job *j)
{
	for (size_t i = 0; i < s->n_conns; i++)
		if (s->conns[i] == j->c && j->c->waiting && j->c->wait_deadline == j->token && !j->c->dead)
			return j->c;
	return NULL;
}

static bool announce; /* the leases of this replica's engines are to be told to its master */
static uint64_t announces; /* announcements of them all made so far */

/* A change the master made for an engine of this replica: the engine's
 * connection here holds its lease too (its end is told to the master, and
 * a new master hears of it after a failover). */
static void lease_note(conn *c, const fwd_job *j)
{
	wire_msg a, m;
	char why[64];
	if (j->answer.len < 4 || wire_decode(j->answer.data + 4, j->answer.len - 4, &a, why, sizeof why) < 0)
		return;
	bool fine = a.code == STORE_OK;
	wire_msg_free(&a);
	size_t n;
	if (!fine || j->payload.len < 4 || !wire_frame_len(j->payload.data, &n) || n > j->payload.len - 4 ||
	    wire_decode(j->payload.data + 4, n, &m, why, sizeof why) < 0)
		return;
	char host[256];
	if (m.op == OP_ATTACH && m.has_s[0] && m.s[0].len < 1024) {
		char id[1024];
		remote_text(id, sizeof id, &m.s[0]);
		remote_text(host, sizeof host, &m.s[1]);
		handle_lease_add(c, id, m.u[0], host);
	} else if (m.op == OP_EXEC_START && m.n_blobs == 1) {
		store_item it;
		if (wire_item_decode(m.blobs[0].p, m.blobs[0].len, &it, why, sizeof why) == 0) {
			remote_text(host, sizeof host, &m.s[1]);
			handle_lease_add(c, it.exec.id, m.u[0], host);
			store_item_free(&it);
		}
	}
	/* all the leases were told to the master while this one was on its
	 * way: the master holds it (the change made it), but the list told
	 * lacked it, and the master ended it at that list's end; told again */
	if ((m.op == OP_ATTACH || m.op == OP_EXEC_START) && j->announces != announces)
		announce = true;
	wire_msg_free(&m);
}

/* An error of the group between masters: the client may send the same
 * request again in a moment (WIRE_RETRY). */
static void reply_retry(conn *c, const store_err *e)
{
	if (conn_reply_err(&c->held, e) | wire_flags(&c->held, WIRE_RETRY))
		c->dead = true;
}

static void job_answer(server *s, fwd_job *j, bool with_answer)
{
	conn *c = job_conn(s, j);
	if (j->lease_msg && !with_answer)
		announce = true; /* told again at the next look */
	if (c) {
		c->waiting = false;
		c->held.len = 0;
		c->held_sync = false;
		if (!with_answer)
			reply_retry(c, &j->err);
		else if (tag_put_raw(&c->held, j->answer.data, j->answer.len) < 0)
			c->dead = true;
		else
			lease_note(c, j);
	}
	job_free(j);
	fw.in_flight--;
}

/* Takes back the answers of the forwarder, and gives each to its client once
 * this site's copy holds its change.  The poll that follows waits for
 * nothing when an answer was given (the loop sends it after the poll), and
 * 1 ms while some are still out. */
static void forwards_settle(server *s, int *timeout)
{
	if (!fw.in_flight)
		return;
	size_t before = fw.in_flight;
	pthread_mutex_lock(&fw.lock);
	fwd_job *done = fw.done;
	fw.done = NULL;
	pthread_mutex_unlock(&fw.lock);
	int64_t now = srv_now_ms();
	unsigned ack_ms = dbs_repl_ack_timeout_ms(s->db);
	while (done) {
		fwd_job *j = done;
		done = j->next;
		for (fwd_job **p = &fw.out; *p; p = &(*p)->next_out)
			if (*p == j) {
				*p = j->next_out;
				break;
			}
		if (j->abandoned) { /* its client heard of the timeout already */
			job_free(j);
			fw.in_flight--;
			continue;
		}
		if (j->code != STORE_OK) {
			job_answer(s, j, false);
			continue;
		}
		j->until = now + ack_ms + CATCH_UP_EXTRA_MS;
		j->next = fw.catching;
		fw.catching = j;
	}
	uint64_t local = 0;
	store_err e;
	if (fw.catching && dbs_generation(s->db, &local, &e) == STORE_OK && local != s->gen) {
		s->gen = local;
		conn_note_changed(s, NULL);
		s->changed_all = true;
	}
	for (fwd_job **p = &fw.catching; *p;) {
		fwd_job *j = *p;
		if (local < j->gen && now < j->until) {
			p = &j->next;
			continue;
		}
		*p = j->next;
		if (local < j->gen)
			err_set(&j->err, STORE_STORAGE, "the master made the change (generation %llu), but this replica's copy "
				"did not receive it within %u s: reads here do not show it yet (seectl repl status shows the "
				"lag)", (unsigned long long)j->gen, (ack_ms + CATCH_UP_EXTRA_MS) / 1000);
		job_answer(s, j, local >= j->gen);
	}
	/* the watchdog: Berkeley DB does not bound every wait of a request (a
	 * connection made anew to a master that hangs), so the client hears of
	 * the timeout anyway; the forwarder drops the answer when it comes */
	for (fwd_job *j = fw.out; j; j = j->next_out)
		if (!j->abandoned && now - j->sent_at > (int64_t)ack_ms + FORWARD_WAIT_EXTRA_MS) {
			conn *c = job_conn(s, j);
			j->abandoned = true;
			if (c) {
				err_set(&j->err, STORE_STORAGE, "the master did not answer within %u s: the change may have been "
					"made there; send it again (its request id makes it happen once)",
					(ack_ms + FORWARD_WAIT_EXTRA_MS) / 1000);
				c->waiting = false;
				c->held.len = 0;
				c->held_sync = false;
				reply_retry(c, &j->err);
				*timeout = 0;
			}
		}
	bool awaited = fw.catching != NULL;
	for (fwd_job *j = fw.out; j && !awaited; j = j->next_out)
		awaited = !j->abandoned;
	if (fw.in_flight < before)
		*timeout = 0;
	else if (awaited && *timeout > 1)
		*timeout = 1;
}

/* The forwarder's thread, started with the site's first turn of the loop. */
static void forwarder_start(server *s)
{
	pthread_mutex_lock(&fw.lock);
	if (!fw.started) {
		fw.db = s->db;
		fw.queue_end = &fw.queue;
		pthread_t t;
		fw.started = pthread_create(&t, NULL, forwarder_main, NULL) == 0;
		if (fw.started)
			pthread_detach(t);
		else
			srv_log(s, "replication: cannot start the thread that forwards changes: %s", strerror(errno));
	}
	pthread_mutex_unlock(&fw.lock);
}

/* Hands a job to the forwarder: the frames of payload (whole, each with
 * its envelope), for the client c (NULL: a lease message of the replica's
 * own).  -1 (err) when it cannot. */
static int job_queue(conn *c, record_buf *payload, store_err *err)
{
	fwd_job *j = calloc(1, sizeof *j);
	if (!j) {
		record_buf_free(payload);
		err_set(err, STORE_STORAGE, "out of memory");
		return -1;
	}
	j->payload = *payload;
	memset(payload, 0, sizeof *payload);
	pthread_mutex_lock(&fw.lock);
	if (!fw.started) {
		pthread_mutex_unlock(&fw.lock);
		job_free(j);
		err_set(err, STORE_STORAGE, "cannot start the thread that forwards changes to the master");
		return -1;
	}
	j->c = c;
	j->lease_msg = c == NULL;
	j->announces = announces;
	j->token = INT64_MAX - ++fw.seq;
	j->sent_at = srv_now_ms();
	j->next_out = fw.out;
	fw.out = j;
	*fw.queue_end = j;
	fw.queue_end = &j->next;
	fw.in_flight++;
	pthread_cond_broadcast(&fw.cond);
	pthread_mutex_unlock(&fw.lock);
	if (c) { /* the connection reads nothing more until its answer */
		c->waiting = true;
		c->wait_gen = UINT64_MAX;
		c->wait_deadline = j->token;
	}
	return 0;
}

/* A change of the client c: the frames an import staged here (its frames
 * before the last), then this one, each with c's envelope. */
static int forward(conn *c, const record_buf *frame, bool staged, store_err *err)
{
	record_buf env = { 0 }, payload = { 0 };
	int rc = remote_envelope(&env, c, REMOTE_REQUEST);
	for (size_t i = 0; staged && rc == 0 && i < c->n_stage; i++)
		rc = remote_put_frame(&payload, c->stage[i].data, c->stage[i].len, &env);
	if (rc == 0)
		rc = remote_put_frame(&payload, frame->data, frame->len, &env);
	record_buf_free(&env);
	if (staged)
		conn_stage_drop(c);
	if (rc < 0) {
		record_buf_free(&payload);
		err_set(err, STORE_STORAGE, "out of memory");
		return -1;
	}
	return job_queue(c, &payload, err);
}

/* Appends an OP_GENERATION frame with c's envelope of that kind. */
static int lease_frame(record_buf *payload, conn *c, int kind)
{
	record_buf env = { 0 }, f = { 0 };
	int rc = remote_envelope(&env, c, kind) < 0 || wire_begin(&f, OP_GENERATION) < 0 ||
			 remote_put_frame(payload, f.data + 4, f.len - 4, &env) < 0 ? -1 : 0;
	record_buf_free(&env);
	record_buf_free(&f);
	return rc;
}

/* A message of the replica's own about leases: c's ended (REMOTE_LEASE_END),
 * or, c NULL, all of this replica's (between REMOTE_LEASES_FIRST and _LAST).
 * One that fails has them all told again (announce). */
static void lease_message(server *s, conn *c)
{
	record_buf payload = { 0 };
	store_err err;
	if (!c)
		announces++;
	int rc = lease_frame(&payload, c, c ? REMOTE_LEASE_END : REMOTE_LEASES_FIRST);
	for (size_t i = 0; !c && rc == 0 && i < s->n_conns; i++)
		if (!s->conns[i]->dead && s->conns[i]->n_att && s->conns[i]->serial)
			rc = lease_frame(&payload, s->conns[i], REMOTE_LEASE);
	if (!c && rc == 0)
		rc = lease_frame(&payload, NULL, REMOTE_LEASES_LAST);
	if (rc < 0 || job_queue(NULL, &payload, &err) < 0) {
		srv_log(s, "replication: cannot tell the master of this site's engines: %s", rc < 0 ? "out of memory" : err.msg);
		announce = true;
	}
	record_buf_free(&payload);
}

void repl_conn_closed(server *s, conn *c)
{
	if (s->db && dbs_repl_on(s->db) && last != DBS_REPL_MASTER && c->n_att && c->serial) {
		lease_message(s, c);
		leases_ended_here((const char *const *)c->att, c->n_att);
	}
}

/* An import's frame at a replica: true when the master is to make it now
 * (its last frame, following those staged here, or its only one); false
 * when this server takes it (a frame before the last is staged here as the
 * master would, and a last frame that does not follow them gets the
 * answer a master gives). */
static bool import_now(const conn *c, const wire_msg *m, bool *staged)
{
	*staged = false;
	if (!m->has_frame || (m->frame == 0 && !m->u[1]))
		return true;
	if (m->u[1])
		return false;
	*staged = m->frame == c->n_stage && m->req.len == c->stage_req_len &&
		  memcmp(m->req.p, c->stage_req, m->req.len) == 0;
	return *staged;
}

bool repl_intercept(server *s, conn *c, const wire_msg *m, const record_buf *frame)
{
	if (!s->db || !dbs_repl_on(s->db) || !forwarded_op(m->op))
		return false;
	dbs_repl_role role = dbs_repl_role_now(s->db);
	if (role == DBS_REPL_MASTER)
		return false;
	bool staged = false;
	if (m->op == OP_IMPORT && !import_now(c, m, &staged))
		return false;
	store_err err;
	memset(&err, 0, sizeof err);
	c->held_sync = false;
	if (c->pid == getpid())
		err_set(&err, STORE_STORAGE, "this site is no longer the group's master: send the change again");
	else if (role != DBS_REPL_REPLICA)
		err_set(&err, STORE_STORAGE, "no master (election in progress): changes wait for the group to elect one "
			"(seectl repl status); reads go on");
	if (err.msg[0]) {
		if (staged)
			conn_stage_drop(c);
		reply_retry(c, &err);
	} else if (forward(c, frame, staged, &err) < 0) {
		conn_reply_err(&c->held, &err);
	}
	return true;
}

/* ---- every turn of the loop ---- */

static const char *role_name(dbs_repl_role r)
{
	return r == DBS_REPL_MASTER ? "master" : r == DBS_REPL_REPLICA ? "replica" : r == DBS_REPL_NO_MASTER ? "replica without a master" : "not replicated";
}


bool repl_keeps_pages(const server *s)
{
	return !s->db || !dbs_repl_on(s->db) || last == DBS_REPL_MASTER;
}

/* A replica: what the master's log brought, pushed to its dashboards. */
static void replica_catch_up(server *s)
{
	uint64_t g;
	store_err e;
	if (dbs_generation(s->db, &g, &e) == STORE_OK && g != s->gen) {
		s->gen = g;
		conn_note_changed(s, NULL);
		s->changed_all = true;
	}
}

bool repl_tick(server *s, int *timeout)
{
	static bool runner;
	if (!s->db || !dbs_repl_on(s->db))
		return true;
	if (!runner) {
		dbs_repl_set_runner(s->db, run_forwarded, cancel_runs, (void *)s->home);
		runner = true;
	}
	/* a site of a group stays up: the others count on it */
	s->idle_since = srv_now_ms();
	if (*timeout > TICK_MS)
		*timeout = TICK_MS;
	forwarder_start(s);
	forwarder_resume();
	forwards_settle(s, timeout);
	leases_tick(s, last);
	dbs_repl_note_generation(s->db, last == DBS_REPL_MASTER, s->gen);
	static int64_t next;
	int64_t now = srv_now_ms();
	if (last != DBS_REPL_MASTER && last != DBS_REPL_OFF) {
		if (*timeout > LOG_LOOK_MS)
			*timeout = LOG_LOOK_MS;
		static uint64_t log_seen;
		static int64_t look_until, looked;
		uint64_t end = dbs_repl_log_end(s->db);
		if (end != log_seen) {
			log_seen = end;
			look_until = now + LOG_LOOK_MS * LOG_LOOKS_AFTER;
			looked = 0;
		}
		/* at most once a LOG_LOOK_MS, however often clients turn the loop */
		if (now < look_until && now - looked >= LOG_LOOK_MS && now < next) {
			looked = now;
			replica_catch_up(s);
		}
	}
	if (now < next)
		return last == DBS_REPL_MASTER;
	next = now + TICK_MS;
	dbs_repl_role role = dbs_repl_role_now(s->db);
	if (dbs_repl_master_lost(s->db)) { /* the forwarder probes the old master */
		pthread_mutex_lock(&fw.lock);
		pthread_cond_broadcast(&fw.cond);
		pthread_mutex_unlock(&fw.lock);
	}
	static uint64_t reopens_seen;
	uint64_t reopens = dbs_repl_reopens(s->db);
	if (reopens != reopens_seen)
		srv_log(s, "replication: the databases were opened again: a rollback of changes this site had committed "
			"without a quorum (none reported as done), or a new copy from the master, invalidated their handles");
	reopens_seen = reopens;
	if (role != last) {
		dbs_repl_info info;
		store_err e;
		info.self[0] = '\0';
		if (dbs_repl_status(s->db, &info, &e) == STORE_OK && info.master[0])
			srv_log(s, "replication: this site (%s) is now %s; the master is %s", info.self, role_name(role),
				info.master);
		else
			srv_log(s, "replication: this site is now %s", role_name(role));
		if (info.self[0])
			remote_set_self(info.self);
		handle_pages_forget();
		if (last == DBS_REPL_MASTER)
			remote_end_all(s, "this site is no longer the master");
		if (role == DBS_REPL_MASTER) {
			/* the deadlines and notifications are this site's now */
			s->next_checked = false;
			s->outbox_check = true;
		}
		last = role;
	}
	if (role == DBS_REPL_MASTER)
		remote_check(s);
	/* a master elected since the last look hears of this replica's engines */
	static uint64_t told;
	uint64_t election = role == DBS_REPL_REPLICA ? dbs_repl_election(s->db) : 0;
	if (election && election != told) {
		told = election;
		announce = true;
	}
	if (announce && role == DBS_REPL_REPLICA) {
		announce = false;
		lease_message(s, NULL);
	}
	if (role != DBS_REPL_MASTER)
		replica_catch_up(s);
	return role == DBS_REPL_MASTER;
}

/* ---- status and leave ---- */

int repl_status_reply(server *s, bool typed, record_buf *b, store_err *err)
{
	dbs_repl_info in;
	if (!s->db || !dbs_repl_on(s->db)) {
		err_set(err, STORE_INVALID_STATE, "'%s' is not a site of a replication group: seectl repl init or join "
			"makes it one", s->home);
		return 1;
	}
	if (dbs_repl_status(s->db, &in, err) != STORE_OK)
		return 1;
	int rc = conn_reply_ok(b) | wire_u(b, 0, (uint64_t)in.role) | wire_u(b, 1, in.lsn_file) |
		 wire_u(b, 2, in.lsn_offset) | wire_u(b, 3, in.master_lsn_known) | wire_u(b, 4, in.master_lsn_file) |
		 wire_u(b, 5, in.master_lsn_offset) | wire_u(b, 6, in.priority) | wire_u(b, 7, in.ack_timeout_ms) |
		 wire_u(b, 8, in.heartbeat_ms) | wire_u(b, 9, in.nsites) | wire_u(b, 10, in.two_site_strict) |
		 wire_u(b, 11, in.perm_failed) | wire_u(b, 12, in.gen) | wire_u(b, 13, in.lag_known) |
		 wire_u(b, 14, in.lag_ms) | wire_str(b, 0, in.self) | wire_str(b, 1, in.master);
	for (size_t i = 0; i < in.n_sites; i++) {
		const dbs_repl_site *site = &in.sites[i];
		if (typed) {
			rc |= wire_site_encode(b, site->addr, site->connected, site->master);
			continue;
		}
		/* a client of revision 7 reads them as text */
		char line[DBS_REPL_ADDR_MAX + 40];
		int n = snprintf(line, sizeof line, "%s %s %s", site->addr, site->connected ? "connected" : "disconnected",
				 site->master ? "master" : "-");
		rc |= wire_blob_add(b, line, (size_t)n);
	}
	return rc ? -1 : 0;
}

int repl_leave(server *s, store_err *err)
{
	if (!s->db)
		return 1;
	if (dbs_repl_leave(s->db, err) != STORE_OK)
		return 1;
	srv_log(s, "replication: this site left its group; the server stops");
	s->stop = true; /* the next start reads the settings again */
	return 0;
}
