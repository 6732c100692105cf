/* server_readers.c - the reader threads: long reads off the main thread.
 *
 * The main thread hands a heavy request over as a job: a copy of its frame,
 * a copy of who sent it (a connection of its own, which the handler may
 * read and write), and the ids of the executions whose engine is attached
 * now (what a record handed out says of its engine).  A reader runs the
 * request's handler (handle_request) against a server of its own, whose
 * store is the thread's view of the environment (dbs_view_open: snapshot
 * transactions), and builds the whole answer in the job.  Nothing of the
 * main thread's state is touched there: the connections, the generation,
 * the counters are the main thread's alone.
 *
 * The main thread learns of finished jobs through an eventfd in its poll
 * set and gives each answer to its connection, found by its id (a pointer
 * may have been freed and reused by then).  A connection has at most one
 * request in a reader: its later requests wait in its input, so its
 * answers keep their order.  A connection that closes cancels its job: the
 * reader's walk stops at its next record.
 *
 * An export's pages, each a request, read one snapshot, held by its
 * connection between them (snap_choose), until its last page, its
 * connection closes, or it lies unused for SNAP_IDLE_MS.
 *
 * A user who may only read has at most READS_PER_USER jobs at a time (its
 * other heavy requests wait their turn in their connections' input, never
 * refused), and the users who may only read together use at most all
 * threads but one: the owner's reads always find a thread.  The threads
 * run at a lower priority (READER_NICE) than the main thread. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ops.h"
#include "server_leases.h"
#include "server_readers.h"
#include "server_remote.h"
#include "tag.h"

typedef struct job {
	struct job *next;       /* in the queue, then in the finished list */
	struct job *inflight;   /* every job not yet collected (the main thread's list) */
	uint64_t conn_id;
	unsigned op;
	int64_t taken;          /* ms, monotonic: when it was handed over */
	uid_t uid;
	bool owner;
	record_buf frame;       /* the request, copied */
	conn who;               /* a copy of the connection's identity; its held is the answer */
	char **att;             /* the executions whose engine was attached when it was handed over */
	size_t n_att;
	bool att_unknown;       /* and at a replica, the master's set was too large to know */
	atomic_int cancel;      /* its connection closed */
	dbs_snap *snap;         /* its connection's export's snapshot, there and back */
	bool fine;              /* the frame kept to the protocol (handle_request) */
} job;

typedef struct readers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job *queue, *queue_tail; /* waiting for a thread: the owner's first */
	job *done;               /* finished, for the main thread */
	size_t others_running;   /* jobs of users other than the owner on a thread */
	bool stop;
	int efd;
	pthread_t threads[READER_THREADS];
	size_t n_threads;
	dbs *db;
	const char *home;
	/* the main thread's alone */
	job *inflight;
} readers;

static void job_free(job *j)
{
	dbs_snap_end(j->snap);
	record_buf_free(&j->frame);
	record_buf_free(&j->who.held);
	for (size_t i = 0; i < j->n_att; i++)
		free(j->att[i]);
	free(j->att);
	free(j);
}

/* The next job this thread may run (the lock held), or NULL. */
static job *job_next(readers *r)
{
	job **pp = &r->queue, *prev = NULL;
	for (job *j = r->queue; j; prev = j, pp = &j->next, j = j->next) {
		if (!j->owner && r->others_running >= READER_THREADS - 1)
			continue;
		*pp = j->next;
		if (r->queue_tail == j)
			r->queue_tail = prev;
		j->next = NULL;
		r->others_running += !j->owner;
		return j;
	}
	return NULL;
}

/* An export reads page after page (each), and the lines of a long log
 * between them (task-logs): all in the snapshot its first page began, so
 * that it is one state of the store.  Its first page (no id to start
 * after) begins a new one; a page that finds none (a connection of its own)
 * begins one too; one whose snapshot was given up (idle) is refused. */
static void snap_choose(dbs *view, job *j, const wire_msg *m)
{
	if (m->op == OP_EACH && (!m->has_s[0] || !j->snap)) {
		store_err err;
		dbs_snap_end(j->snap);
		j->snap = NULL;
		if (dbs_snap_begin(view, &j->snap, &err) != STORE_OK)
			j->snap = NULL; /* then the page is a snapshot of its own */
	}
	if (m->op == OP_EACH || m->op == OP_TASK_LOGS)
		dbs_view_snap(view, j->snap);
}

/* Runs one job on this thread's view: the handler builds the answer in
 * j->who.held, against a server of the thread's own. */
static void job_run(readers *r, dbs *view, job *j)
{
	if (atomic_load(&j->cancel))
		return;
	server ss;
	memset(&ss, 0, sizeof ss);
	ss.home = r->home;
	ss.db = view;
	ss.logfd = -1;
	ss.on_reader = true;
	ss.att_unknown = j->att_unknown;
	/* what attached_by reads: one connection holding every attached id */
	conn att;
	memset(&att, 0, sizeof att);
	att.fd = -1;
	att.att = j->att;
	att.n_att = j->n_att;
	conn *one[1] = { &att };
	ss.conns = one;
	ss.n_conns = 1;
	dbs_view_cancel(view, &j->cancel);
	wire_msg m;
	char why[128];
	if (wire_decode(j->frame.data, j->frame.len, &m, why, sizeof why) == 0) {
		snap_choose(view, j, &m);
		j->fine = handle_request(&ss, &j->who, &m, &j->frame);
		dbs_view_snap(view, NULL);
		if (m.op == OP_EACH && j->who.each_done) {
			dbs_snap_end(j->snap);
			j->snap = NULL;
		}
	}
	wire_msg_free(&m);
	dbs_view_cancel(view, NULL);
}

static void *reader_main(void *arg)
{
	readers *r = arg;
	dbs *view = NULL;
	store_err err;
	/* the main thread's changes and pushes come first when the cores are
	 * busy: a long read takes what they leave */
	(void)!setpriority(PRIO_PROCESS, (id_t)gettid(), READER_NICE);
	pthread_mutex_lock(&r->mu);
	for (;;) {
		job *j = NULL;
		while (!r->stop && !(j = job_next(r)))
			pthread_cond_wait(&r->cv, &r->mu);
		if (!j)
			break;
		pthread_mutex_unlock(&r->mu);
		if (!view && dbs_view_open(r->db, &view, &err) != STORE_OK)
			view = NULL;
		if (view)
			job_run(r, view, j);
		else if (conn_reply_err(&j->who.held, &err) == 0) /* no view: why, as the answer */
			j->fine = true;
		pthread_mutex_lock(&r->mu);
		r->others_running -= !j->owner;
		j->next = r->done;
		r->done = j;
		/* a thread kept for the owner may now take another's job */
		pthread_cond_broadcast(&r->cv);
		uint64_t one = 1;
		(void)!write(r->efd, &one, sizeof one);
	}
	pthread_mutex_unlock(&r->mu);
	dbs_view_close(view);
	return NULL;
}

/* The threads, started with the first heavy request; NULL when none can run. */
static readers *readers_get(server *s)
{
	if (s->readers)
		return s->readers;
	readers *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->db = s->db;
	r->home = s->home;
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	for (size_t i = 0; i < READER_THREADS; i++)
		if (pthread_create(&r->threads[r->n_threads], NULL, reader_main, r) == 0)
			r->n_threads++;
	if (r->n_threads < 2) { /* one kept for the owner, one for the others */
		s->readers = r;
		readers_stop(s);
		srv_log(s, "cannot start the reader threads: long reads run on the main thread");
		return NULL;
	}
	s->readers = r;
	return r;
}

static bool is_heavy(unsigned op)
{
	const ops_def *row = ops_find(op);
	return row && (row->flags & OPS_HEAVY);
}

bool readers_must_wait(server *s, const conn *c, unsigned op)
{
	if (c->owner || !s->readers || !is_heavy(op))
		return false;
	size_t mine = 0;
	for (job *j = s->readers->inflight; j; j = j->inflight)
		mine += j->uid == c->uid && !j->owner;
	return mine >= READS_PER_USER;
}

typedef struct att_fill {
	job *j;
	size_t n;               /* counted, before j->att is made */
	bool failed;
} att_fill;

static void att_count(void *ctx, const char *id)
{
	(void)id;
	((att_fill *)ctx)->n++;
}

static void att_add(void *ctx, const char *id)
{
	att_fill *f = ctx;
	if (!f->failed && !(f->j->att[f->j->n_att++] = record_strdup(id)))
		f->failed = true;
}

/* The ids of the executions whose engine is attached now: here, or at a
 * replica (a lease it holds at this master), or, at a replica, at another
 * site (the master's set). */
static int attached_copy(server *s, job *j)
{
	att_fill f = { j, 0, false };
	j->att_unknown = leases_unknown();
	for (size_t i = 0; i < s->n_conns; i++)
		f.n += s->conns[i]->dead ? 0 : s->conns[i]->n_att;
	remote_leased_each(att_count, &f);
	leases_elsewhere_each(att_count, &f);
	if (!f.n)
		return 0;
	if (!(j->att = calloc(f.n, sizeof *j->att)))
		return -1;
	for (size_t i = 0; i < s->n_conns; i++)
		for (size_t k = 0; !s->conns[i]->dead && k < s->conns[i]->n_att; k++)
			att_add(&f, s->conns[i]->att[k]);
	remote_leased_each(att_add, &f);
	leases_elsewhere_each(att_add, &f);
	return f.failed ? -1 : 0;
}

bool readers_take(server *s, conn *c, const wire_msg *m, const record_buf *frame)
{
	if (s->on_reader || !s->db || !is_heavy(m->op))
		return false;
	readers *r = readers_get(s);
	job *j = r ? calloc(1, sizeof *j) : NULL;
	if (!j)
		return false;
	j->conn_id = c->id;
	j->op = m->op;
	j->taken = srv_now_ms();
	j->uid = c->uid;
	j->owner = c->owner;
	j->who.fd = -1;
	j->who.uid = c->uid;
	j->who.gid = c->gid;
	j->who.pid = c->pid;
	j->who.owner = c->owner;
	memcpy(j->who.user, c->user, sizeof j->who.user);
	memcpy(j->who.groups, c->groups, sizeof j->who.groups);
	j->who.n_groups = c->n_groups;
	j->who.ro_asked = c->ro_asked;
	j->who.revision = c->revision;
	j->who.read_only = c->read_only;
	j->who.id = c->id;
	atomic_init(&j->cancel, 0);
	j->snap = c->snap;
	c->snap = NULL;
	if (tag_put_raw(&j->frame, frame->data, frame->len) < 0 || attached_copy(s, j) < 0) {
		job_free(j);
		return false;
	}
	c->in_reader = true;
	j->inflight = r->inflight;
	r->inflight = j;
	pthread_mutex_lock(&r->mu);
	if (j->owner) { /* before the others' */
		j->next = r->queue;
		r->queue = j;
		if (!r->queue_tail)
			r->queue_tail = j;
	} else {
		if (r->queue_tail)
			r->queue_tail->next = j;
		else
			r->queue = j;
		r->queue_tail = j;
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return true;
}

int readers_fd(const server *s)
{
	return s->readers ? s->readers->efd : -1;
}

static conn *conn_by_id(server *s, uint64_t id)
{
	for (size_t i = 0; i < s->n_conns; i++)
		if (s->conns[i]->id == id)
			return s->conns[i];
	return NULL;
}

static void inflight_drop(readers *r, job *j)
{
	for (job **pp = &r->inflight; *pp; pp = &(*pp)->inflight)
		if (*pp == j) {
			*pp = j->inflight;
			return;
		}
}

void readers_collect(server *s)
{
	readers *r = s->readers;
	if (!r)
		return;
	uint64_t n;
	(void)!read(r->efd, &n, sizeof n);
	pthread_mutex_lock(&r->mu);
	job *done = r->done;
	r->done = NULL;
	pthread_mutex_unlock(&r->mu);
	while (done) {
		job *j = done;
		done = j->next;
		inflight_drop(r, j);
		conn *c = conn_by_id(s, j->conn_id);
		if (atomic_load(&j->cancel)) {
			const ops_def *row = ops_find(j->op);
			srv_log(s, "client pid %ld (user %s) closed during its %s: its read stopped %lld ms after it began",
				(long)j->who.pid, j->who.user, row ? row->name : "read", (long long)(srv_now_ms() - j->taken));
		}
		if (c && !c->dead) {
			c->in_reader = false;
			if (!j->fine || !j->who.held.len) {
				srv_log(s, "client pid %ld sent a malformed frame: closed", (long)c->pid);
				c->dead = true;
			} else {
				/* the answer as the reader built it: c->held is empty
				 * while its request is away */
				record_buf empty = c->held;
				c->held = j->who.held;
				j->who.held = empty;
				c->held_sync = false;
				c->snap = j->snap;
				c->snap_used = srv_now_ms();
				j->snap = NULL;
			}
		}
		job_free(j);
	}
	/* a turn may have come for those that waited */
	for (size_t i = 0; i < s->n_conns; i++)
		s->conns[i]->reader_wait = false;
}

void readers_conn_gone(server *s, conn *c)
{
	dbs_snap_end(c->snap);
	c->snap = NULL;
	if (!s->readers)
		return;
	for (job *j = s->readers->inflight; j; j = j->inflight)
		if (j->conn_id == c->id)
			atomic_store(&j->cancel, 1);
}

void readers_expire(server *s)
{
	int64_t now = srv_now_ms();
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		/* the export's next page is refused, not read in a snapshot of
		 * its own: it would no longer be one state of the store */
		if (c->snap && now - c->snap_used > SNAP_IDLE_MS)
			dbs_snap_expire(c->snap);
	}
}

void readers_stop(server *s)
{
	readers *r = s->readers;
	if (!r)
		return;
	for (job *j = r->inflight; j; j = j->inflight)
		atomic_store(&j->cancel, 1);
	for (size_t i = 0; i < s->n_conns; i++) {
		dbs_snap_end(s->conns[i]->snap);
		s->conns[i]->snap = NULL;
	}
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < r->n_threads; i++)
		pthread_join(r->threads[i], NULL);
	while (r->inflight) {
		job *j = r->inflight;
		r->inflight = j->inflight;
		job_free(j);
	}
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	close(r->efd);
	free(r);
	s->readers = NULL;
}
