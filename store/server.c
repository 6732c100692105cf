/* server.c - the store server of one home.
 *
 * One process per home (a kernel lock on server.lock) opens the environment;
 * every program is a client on the socket server.sock.  The server reads
 * requests without ever waiting on a client: each socket is non-blocking,
 * a request runs as one transaction once its whole frame is in, and a
 * client that stops reading or writing holds nothing but its own buffers.
 *
 * Group commit: every request that is complete when poll wakes runs, each
 * commit written without a flush; then one flush of the log makes them all
 * durable, and only then are their answers sent.
 *
 * Access comes from the socket: the owner of the home (the server's user)
 * reads and writes; anyone else the kernel let connect (members of the
 * home's group, when the owner opened the directory and so the socket to
 * them) only reads. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dbs.h"
#include "server.h"
#include "tag.h"
#include "err.h"
#include "wire.h"

#define MAX_CLIENTS_DEFAULT 256
#define IDLE_S_DEFAULT 30
#define LOG_MAX (1024 * 1024)        /* server.log is rotated past this */
#define PUSH_IDS 64                  /* more changed executions in one push: "all changed" */
#define SUBSCRIBER_OUT_MAX (1 << 20) /* a subscriber this far behind is dropped */
#define STAGE_MAX ((size_t)1 << 30)  /* an import's frames held until its last */
#define VERIFY_MAX 10000             /* problems sent back by verify */
#define READ_CHUNK (256 * 1024)
#define GATHER_ROUNDS 4          /* looks for more requests before a flush */
#define HOOKS_AT_ONCE 4          /* notification commands running at once */
#define HOOK_TIME_MS 30000       /* a notification command's time limit (then SIGTERM); SEESTORE_HOOK_TIMEOUT_MS */
#define HOOK_KILL_MS 5000        /* after SIGTERM, SIGKILL */

typedef struct conn {
	int fd;
	uid_t uid;
	pid_t pid;
	char user[64];          /* the name of uid (or the number), for the audit trail */
	char groups[32][65];    /* its groups' names: respondents may be "@group" */
	size_t n_groups;
	bool ro_asked;          /* the client itself asked for read-only */
	bool read_only;
	bool dead;
	record_buf in;          /* bytes read, not yet a whole frame */
	record_buf out;         /* bytes to send */
	size_t out_off;
	record_buf held;        /* an answer waiting for the batch's flush */
	bool held_sync;         /* it answers a change that needs the flush */
	bool subscribed;
	bool push_pending, push_all;
	uint64_t push_gen;
	char *push_ids[PUSH_IDS];
	size_t n_push_ids;
	bool waiting;           /* OP_WAIT */
	uint64_t wait_gen;
	int64_t wait_deadline;  /* ms, monotonic */
	record_buf *stage;      /* an import's frames so far */
	size_t n_stage, stage_bytes;
	char **att;             /* the executions this engine drives: its lease */
	size_t n_att;
	uint64_t engine_pid;
	char engine_host[256];
} conn;

typedef struct server {
	const char *home;
	dbs *db;
	store_err open_err;     /* why the home could not be opened (db NULL) */
	int lfd;
	conn **conns;
	size_t n_conns;
	int max_clients;
	int idle_s;
	int64_t idle_since;
	time_t started;
	int logfd;
	uint64_t gen;
	/* what the running batch changed */
	bool changed, changed_all;
	char *changed_ids[PUSH_IDS];
	size_t n_changed;
	bool stop;
	struct pollfd *pfd;     /* poll's array, kept from one wake-up to the next */
	conn **pconn;           /* the connection of each entry (gather) */
	size_t pcap;
	int lock;               /* server.lock, flocked */
	int64_t checked_home;
	bool gone;              /* the home was removed under the server */
	/* notification hooks: the commands running, and where the outbox is read */
	struct hook_job {
		pid_t pid;
		uint64_t seq;
		int64_t started;   /* ms, monotonic */
		bool termed;
	} hooks[HOOKS_AT_ONCE];
	size_t n_hooks;
	bool outbox_check;      /* the outbox may hold notifications not started */
	uint64_t outbox_after;  /* the last one started */
	uint64_t hooks_run, hooks_failed;
	int hook_time_ms;
	/* the earliest deadline of a waiting task (its timer) */
	bool next_checked;      /* next_any/next_us are up to date */
	bool next_any;
	int64_t next_us;        /* wall clock, µs */
	struct stat lock_st, sock_st;
} server;

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the log ---- */

static void log_open(server *s)
{
	char path[4200], old[4300];
	snprintf(path, sizeof path, "%s/%s", s->home, SERVER_LOG);
	struct stat sb;
	if (stat(path, &sb) == 0 && sb.st_size > LOG_MAX) {
		snprintf(old, sizeof old, "%s.1", path);
		rename(path, old);
	}
	s->logfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

static void slog(server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void slog(server *s, const char *fmt, ...)
{
	if (s->logfd < 0)
		return;
	char line[1400];
	char ts[40];
	record_timestamp_now(ts, sizeof ts);
	int n = snprintf(line, sizeof line, "%s [%ld] ", ts, (long)getpid());
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	/* a full disk loses log lines, never a request */
	if (write(s->logfd, line, (size_t)n) < 0)
		return;
	struct stat sb;
	if (fstat(s->logfd, &sb) == 0 && sb.st_size > LOG_MAX) {
		close(s->logfd);
		log_open(s);
	}
}

/* ---- connections ---- */

static void conn_free(conn *c)
{
	close(c->fd);
	record_buf_free(&c->in);
	record_buf_free(&c->out);
	record_buf_free(&c->held);
	for (size_t i = 0; i < c->n_push_ids; i++)
		free(c->push_ids[i]);
	for (size_t i = 0; i < c->n_stage; i++)
		record_buf_free(&c->stage[i]);
	free(c->stage);
	for (size_t i = 0; i < c->n_att; i++)
		free(c->att[i]);
	free(c->att);
	free(c);
}

static void stage_drop(conn *c)
{
	for (size_t i = 0; i < c->n_stage; i++)
		record_buf_free(&c->stage[i]);
	free(c->stage);
	c->stage = NULL;
	c->n_stage = c->stage_bytes = 0;
}

static int out_append(conn *c, const record_buf *frame)
{
	if (c->out_off && c->out_off == c->out.len)
		c->out.len = c->out_off = 0;
	record_buf *o = &c->out;
	if (o->len + frame->len > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + frame->len)
			cap *= 2;
		unsigned char *p = realloc(o->data, cap);
		if (!p)
			return -1;
		o->data = p;
		o->cap = cap;
	}
	memcpy(o->data + o->len, frame->data, frame->len);
	o->len += frame->len;
	return 0;
}

/* Sends what the socket takes now; never blocks. */
static void conn_write(server *s, conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		c->dead = true;
		return;
	}
	c->out.len = c->out_off = 0;
	if (c->push_pending && c->subscribed) {
		record_buf b = { 0 };
		int rc = wire_begin(&b, OP_PUSH);
		rc |= wire_u(&b, 0, c->push_gen);
		rc |= wire_u(&b, 1, c->push_all);
		for (size_t i = 0; i < c->n_push_ids && !c->push_all; i++)
			rc |= wire_blob_add(&b, c->push_ids[i], strlen(c->push_ids[i]));
		rc |= wire_finish(&b);
		for (size_t i = 0; i < c->n_push_ids; i++)
			free(c->push_ids[i]);
		c->n_push_ids = 0;
		c->push_pending = c->push_all = false;
		if (rc == 0 && out_append(c, &b) == 0)
			conn_write(s, c);
		record_buf_free(&b);
	}
	(void)s;
}

/* ---- replies ---- */

static int reply_err(record_buf *b, const store_err *e)
{
	return wire_begin(b, OP_REPLY) | wire_code(b, e->code) | wire_str(b, 0, e->msg) | wire_u(b, 0, (uint64_t)e->db_ret);
}

static int reply_ok(record_buf *b)
{
	return wire_begin(b, OP_REPLY) | wire_code(b, STORE_OK);
}

/* A blob as a NUL-terminated string, bounded. */
static char *blob_str(const wire_blob *b, char *buf, size_t cap)
{
	size_t n = b->len < cap - 1 ? b->len : cap - 1;
	memcpy(buf, b->p, n);
	buf[n] = '\0';
	return buf;
}

static void note_changed(server *s, const char *id)
{
	s->changed = true;
	if (!id || s->changed_all)
		return;
	for (size_t i = 0; i < s->n_changed; i++)
		if (strcmp(s->changed_ids[i], id) == 0)
			return;
	if (s->n_changed == PUSH_IDS) {
		s->changed_all = true;
		return;
	}
	s->changed_ids[s->n_changed] = record_strdup(id);
	if (s->changed_ids[s->n_changed])
		s->n_changed++;
	else
		s->changed_all = true;
}

/* ---- an import held across frames ---- */

typedef struct stage_src {
	conn *c;
	size_t frame, blob;
	wire_msg m;
	bool have;
	server *s;
} stage_src;

static int stage_next(void *ctx, store_item *it, char *why, size_t whylen)
{
	stage_src *ss = ctx;
	for (;;) {
		if (!ss->have) {
			if (ss->frame >= ss->c->n_stage)
				return 0;
			record_buf *f = &ss->c->stage[ss->frame];
			if (wire_decode(f->data, f->len, &ss->m, why, whylen) < 0)
				return -1;
			ss->have = true;
			ss->blob = 0;
		}
		if (ss->blob < ss->m.n_blobs) {
			wire_blob *b = &ss->m.blobs[ss->blob++];
			if (wire_item_decode(b->p, b->len, it, why, whylen) < 0)
				return -1;
			note_changed(ss->s, it->exec.id);
			return 1;
		}
		wire_msg_free(&ss->m);
		ss->have = false;
		ss->frame++;
	}
}

static int stage_rewind(void *ctx, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	stage_src *ss = ctx;
	if (ss->have)
		wire_msg_free(&ss->m);
	ss->have = false;
	ss->frame = ss->blob = 0;
	return 0;
}

static size_t stage_count(conn *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_stage; i++) {
		wire_msg m;
		char why[64];
		if (wire_decode(c->stage[i].data, c->stage[i].len, &m, why, sizeof why) == 0)
			n += m.n_blobs;
		wire_msg_free(&m);
	}
	return n;
}

/* ---- attachment: an engine's connection is its lease ---- */

#define ATTACH_MAX 4096 /* executions one connection may drive */

/* The live connection that drives an execution, or NULL. */
static conn *attached_by(server *s, const char *id, size_t len)
{
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead)
			continue;
		for (size_t k = 0; k < c->n_att; k++)
			if (strlen(c->att[k]) == len && memcmp(c->att[k], id, len) == 0)
				return c;
	}
	return NULL;
}

/* Another engine, alive, drives it: refused (the same engine, reconnected, is not another). */
static store_code attach_check(server *s, conn *c, const char *id, uint64_t pid, const char *host, store_err *err)
{
	conn *o = attached_by(s, id, strlen(id));
	if (o && o != c) {
		/* an engine killed a moment ago: its end may not have been read yet */
		struct pollfd p = { o->fd, POLLRDHUP, 0 };
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			o->dead = true;
			o = attached_by(s, id, strlen(id));
		}
	}
	if (o && o != c && !(o->engine_pid == pid && strcmp(o->engine_host, host) == 0))
		return err_set(err, STORE_INVALID_STATE, "execution '%s' is driven by another engine (pid %llu on %s)",
			       id, (unsigned long long)o->engine_pid, o->engine_host);
	if (!o && c->n_att >= ATTACH_MAX)
		return err_set(err, STORE_INVALID_INPUT, "one connection drives at most %d executions", ATTACH_MAX);
	return STORE_OK;
}

static void attach_add(conn *c, const char *id, uint64_t pid, const char *host)
{
	c->engine_pid = pid;
	snprintf(c->engine_host, sizeof c->engine_host, "%s", host);
	for (size_t k = 0; k < c->n_att; k++)
		if (strcmp(c->att[k], id) == 0)
			return;
	char **v = realloc(c->att, (c->n_att + 1) * sizeof *v);
	if (!v)
		return;
	c->att = v;
	if ((v[c->n_att] = record_strdup(id)))
		c->n_att++;
}

/* The id of an encoded execution record, read in place: its first field. */
static bool raw_exec_id(const void *rec, size_t len, const char **id, size_t *idlen)
{
	tag_reader r = { (const unsigned char *)rec + 3, (const unsigned char *)rec + len };
	uint64_t key, n;
	if (len < 3 || tag_read_varint(&r, &key) < 0 || key != ((1u << 1) | TAG_BYTES) || tag_read_varint(&r, &n) < 0 ||
	    n > (uint64_t)(r.end - r.p))
		return false;
	*id = (const char *)r.p;
	*idlen = (size_t)n;
	return true;
}

/* A record handed out says whether its engine is attached now. */
static int encode_exec_out(server *s, record_exec *e, record_buf *r)
{
	e->engine_attached = attached_by(s, e->id, strlen(e->id)) != NULL;
	return record_encode_exec(e, r);
}

/* ---- requests ---- */

typedef struct each_out {
	record_buf *b;
	size_t n;
	int rc;
	bool full; /* the page ended early: more follow */
} each_out;

#define EACH_PAGE_BYTES (16u << 20) /* a page of an export ends past this */

static int each_one(void *ctx, const store_item *it)
{
	each_out *o = ctx;
	o->rc |= wire_item_encode(o->b, it);
	o->n++;
	if (o->rc)
		return -1;
	if (o->b->len > EACH_PAGE_BYTES) {
		o->full = true;
		return 1;
	}
	return 0;
}

typedef struct blob_out {
	record_buf *b;
	size_t mark; /* where the blobs begin */
	int rc;
	server *s;
	char **att;  /* ids of the records whose engine is attached */
	size_t n_att;
} blob_out;

static void blob_out_free(blob_out *o)
{
	for (size_t i = 0; i < o->n_att; i++)
		free(o->att[i]);
	free(o->att);
	o->att = NULL;
	o->n_att = 0;
}

static int blob_emit(void *ctx, const void *rec, size_t len)
{
	blob_out *o = ctx;
	if (!rec) {
		o->b->len = o->mark;
		o->rc = 0;
		blob_out_free(o);
		return 0;
	}
	o->rc |= wire_blob_add(o->b, rec, len);
	const char *id;
	size_t idlen;
	if (o->s && raw_exec_id(rec, len, &id, &idlen) && attached_by(o->s, id, idlen)) {
		char **v = realloc(o->att, (o->n_att + 1) * sizeof *v);
		if (!v)
			return o->rc = -1;
		o->att = v;
		if (!(v[o->n_att] = malloc(idlen + 1)))
			return o->rc = -1;
		memcpy(v[o->n_att], id, idlen);
		v[o->n_att][idlen] = '\0';
		o->n_att++;
	}
	return o->rc;
}

typedef struct verify_out {
	record_buf *b;
	size_t n;
} verify_out;

static void verify_one(void *ctx, const char *what)
{
	verify_out *o = ctx;
	if (o->n++ < VERIFY_MAX)
		wire_blob_add(o->b, what, strlen(what));
}

static bool is_change(unsigned op)
{
	switch (op) {
	case OP_IMPORT: case OP_DELETE: case OP_PAUSE: case OP_RESUME_WF: case OP_RESUME_TASK: case OP_CHECKPOINT:
	case OP_STOP: case OP_BACKUP: case OP_EXEC_START: case OP_REJECT: case OP_CANCEL: case OP_TASK_BEGIN: case OP_TASK_LOG: case OP_TASK_COMPLETE:
	case OP_TASK_FAIL: case OP_TASK_REQUEST: case OP_EXEC_FINISH: case OP_ATTACH: case OP_DEADLINE: case OP_RESPONDENTS:
	case OP_NOTIFY_ADD: case OP_NOTIFY_REMOVE:
		return true;
	default:
		return false;
	}
}

static size_t conn_count(server *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_conns; i++)
		n += !s->conns[i]->dead;
	return n;
}

/* Runs one request; the answer goes to c->held (sent after the batch's
 * flush).  Returns false when the frame breaks the protocol. */
static bool handle(server *s, conn *c, const wire_msg *m, const record_buf *frame)
{
	record_buf *b = &c->held;
	store_err err;
	memset(&err, 0, sizeof err);
	char s0[1024], s1[1024];
	int rc = 0;
	if (m->op == OP_HELLO) {
		c->ro_asked = (m->u[0] & WIRE_READ_ONLY) != 0;
		c->read_only = c->read_only || c->ro_asked;
		rc = wire_begin(b, OP_REPLY) | wire_code(b, STORE_OK) | wire_u(b, 0, c->read_only ? WIRE_READ_ONLY : 0) |
		     wire_u(b, 1, (uint64_t)getpid());
		if (!s->db)
			rc = reply_err(b, &s->open_err);
		return rc == 0;
	}
	if (!s->db) {
		reply_err(b, &s->open_err);
		return true;
	}
	/* one who may only read may still answer or reject a task that names
	 * them: the store checks the respondents */
	bool answer = m->op == OP_RESUME_TASK || (m->op == OP_REJECT && m->has_s[1]);
	if (is_change(m->op) && c->read_only && !(answer && !c->ro_asked)) {
		if (c->uid != geteuid())
			err_set(&err, STORE_READ_ONLY, "store is read-only for user %ld: only the owner of '%s' may change it",
			     (long)c->uid, s->home);
		else
			err_set(&err, STORE_READ_ONLY, "store is open read-only");
		reply_err(b, &err);
		return true;
	}
	dbs_set_no_sync(s->db, (m->flags & WIRE_NO_SYNC) != 0);
	char actor[128];
	dbs_set_actor(s->db, m->has_s[3] ? blob_str(&m->s[3], actor, sizeof actor) : NULL);
	const char *groups[32];
	for (size_t i = 0; i < c->n_groups; i++)
		groups[i] = c->groups[i];
	dbs_set_who(s->db, c->user, groups, c->n_groups, c->uid == geteuid());
	dbs_request_set(s->db, m->req.p, m->req.len, 0);
	c->held_sync = is_change(m->op) && !(m->flags & WIRE_NO_SYNC);
	store_code code = STORE_OK;
	bool has_s0 = m->has_s[0], has_s1 = m->has_s[1];
	if (has_s0)
		blob_str(&m->s[0], s0, sizeof s0);
	if (has_s1)
		blob_str(&m->s[1], s1, sizeof s1);
	switch ((wire_op)m->op) {
	case OP_GENERATION: {
		uint64_t g = 0;
		if ((code = dbs_generation(s->db, &g, &err)) == STORE_OK)
			rc = reply_ok(b) | wire_u(b, 0, g);
		break;
	}
	case OP_COUNTS: {
		uint64_t counts[EXEC_STATUS_COUNT], g = 0;
		if ((code = dbs_counts(s->db, counts, &g, &err)) == STORE_OK) {
			rc = reply_ok(b);
			for (int i = 0; i < EXEC_STATUS_COUNT && i < WIRE_U - 1; i++)
				rc |= wire_u(b, i, counts[i]);
			rc |= wire_u(b, WIRE_U - 1, g);
		}
		break;
	}
	case OP_IMPORT: {
		/* the frames of one import are held until its last, then run as
		 * one transaction: a client that stops halfway holds no lock */
		if (c->stage_bytes + frame->len > STAGE_MAX) {
			stage_drop(c);
			err_set(&err, STORE_INVALID_INPUT, "import larger than %zu MB: split it", STAGE_MAX >> 20);
			code = err.code;
			break;
		}
		record_buf *v = realloc(c->stage, (c->n_stage + 1) * sizeof *v);
		if (!v) {
			err_set(&err, STORE_STORAGE, "out of memory");
			code = err.code;
			break;
		}
		c->stage = v;
		memset(&c->stage[c->n_stage], 0, sizeof *v);
		if (tag_put_raw(&c->stage[c->n_stage], frame->data, frame->len) < 0) {
			err_set(&err, STORE_STORAGE, "out of memory");
			code = err.code;
			break;
		}
		c->n_stage++;
		c->stage_bytes += frame->len;
		if (m->u[1]) { /* more frames follow */
			c->held_sync = false;
			rc = reply_ok(b);
			return rc == 0;
		}
		size_t count = 0;
		dbs_request_set(s->db, m->req.p, m->req.len, stage_count(c));
		stage_src ss = { .c = c, .s = s };
		store_source src = { stage_next, stage_rewind, &ss };
		code = dbs_import(s->db, &src, m->u[0] != 0, has_s0 ? s0 : NULL, &count, &err);
		if (ss.have)
			wire_msg_free(&ss.m);
		stage_drop(c);
		if (code == STORE_OK)
			rc = reply_ok(b) | wire_u(b, 0, count);
		break;
	}
	case OP_GET: {
		record_exec e;
		if ((code = dbs_get(s->db, has_s0 ? s0 : "", &e, &err)) == STORE_OK) {
			record_buf r = { 0 };
			rc = encode_exec_out(s, &e, &r) | reply_ok(b) | wire_blob_add(b, r.data, r.len);
			record_buf_free(&r);
			record_exec_free(&e);
		}
		break;
	}
	case OP_GET_ITEM: {
		store_item it;
		if ((code = dbs_get_item(s->db, has_s0 ? s0 : "", &it, &err)) == STORE_OK) {
			it.exec.engine_attached = attached_by(s, it.exec.id, strlen(it.exec.id)) != NULL;
			rc = reply_ok(b) | wire_item_encode(b, &it);
			store_item_free(&it);
		}
		break;
	}
	case OP_DELETE:
		if ((code = dbs_delete(s->db, has_s0 ? s0 : "", &err)) == STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	case OP_LIST: {
		store_cursor cur;
		memset(&cur, 0, sizeof cur);
		if (m->has_s[0] && m->s[0].len <= sizeof cur.key) {
			memcpy(cur.key, m->s[0].p, m->s[0].len);
			cur.len = m->s[0].len;
		}
		int status = (int)m->u[0] - 1;
		if (status >= EXEC_STATUS_COUNT)
			status = -1;
		size_t limit = m->u[1] > 100000 ? 100000 : (size_t)m->u[1];
		/* the records go out as the index holds them: the client decodes */
		rc = reply_ok(b);
		blob_out o = { b, b->len, 0, s, NULL, 0 };
		size_t n = 0;
		if (m->u[2])
			cur.done = false;
		code = dbs_list_raw(s->db, status, &cur, m->u[2] != 0, limit, blob_emit, &o, &n, &err);
		if (code == STORE_OK)
			rc |= o.rc | wire_s(b, 0, cur.key, cur.len) | wire_u(b, 0, cur.done) | wire_u(b, 6, n);
		if (code == STORE_OK) /* then the ids of the page whose engine is attached */
			for (size_t i = 0; i < o.n_att && !rc; i++)
				rc |= wire_blob_add(b, o.att[i], strlen(o.att[i]));
		blob_out_free(&o);
		if (code == STORE_OK && m->u[3]) { /* and the counts: one round trip */
			uint64_t counts[EXEC_STATUS_COUNT], g = 0;
			if ((code = dbs_counts(s->db, counts, &g, &err)) == STORE_OK) {
				for (int i = 0; i < EXEC_STATUS_COUNT; i++)
					rc |= wire_u(b, 1 + i, counts[i]);
				rc |= wire_u(b, 1 + EXEC_STATUS_COUNT, g);
			}
		}
		break;
	}
	case OP_PAUSED: {
		record_exec *v = NULL;
		size_t n = 0;
		if ((code = dbs_paused(s->db, &v, &n, &err)) == STORE_OK) {
			rc = reply_ok(b);
			record_buf r = { 0 };
			for (size_t i = 0; i < n && !rc; i++)
				rc = encode_exec_out(s, &v[i], &r) | wire_blob_add(b, r.data, r.len);
			record_buf_free(&r);
			record_exec_array_free(v, n);
		}
		break;
	}
	case OP_EACH: {
		size_t limit = m->u[0] == 0 || m->u[0] > 4096 ? 4096 : (size_t)m->u[0];
		rc = reply_ok(b);
		each_out o = { b, 0, 0, false };
		code = dbs_each(s->db, has_s0 ? s0 : NULL, limit, each_one, &o, &err);
		if (code == STORE_OK)
			rc |= o.rc | wire_u(b, 0, o.n < limit && !o.full);
		break;
	}
	case OP_PAUSE:
		if ((code = dbs_pause_task(s->db, has_s0 ? s0 : "", has_s1 ? s1 : "", &err)) == STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	case OP_RESUME_WF:
		if ((code = dbs_resume_workflow(s->db, has_s0 ? s0 : "", &err)) == STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	case OP_RESUME_TASK: {
		const char *value = m->has_s[2] ? (const char *)m->s[2].p : NULL;
		/* the value's bytes are copied: the store wants them NUL-terminated */
		char *vcopy = NULL;
		if (value) {
			vcopy = malloc(m->s[2].len + 1);
			if (!vcopy) {
				err_set(&err, STORE_STORAGE, "out of memory");
				code = err.code;
				break;
			}
			memcpy(vcopy, value, m->s[2].len);
			vcopy[m->s[2].len] = '\0';
		}
		code = dbs_resume_task(s->db, has_s0 ? s0 : "", has_s1 ? s1 : "", vcopy, value ? m->s[2].len : 0, &err);
		free(vcopy);
		if (code == STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	}
	case OP_EVENTS:
	case OP_EVENTS_AFTER: {
		record_event *v = NULL;
		size_t n = 0;
		size_t limit = m->u[1] == 0 || m->u[1] > 100000 ? 100000 : (size_t)m->u[1];
		code = m->op == OP_EVENTS ? dbs_events(s->db, has_s0 ? s0 : NULL, m->u[0], limit, &v, &n, &err)
					  : dbs_events_after(s->db, has_s0 ? s0 : NULL, m->u[0], limit, &v, &n, &err);
		if (code == STORE_OK) {
			rc = reply_ok(b);
			record_buf r = { 0 };
			for (size_t i = 0; i < n && !rc; i++)
				rc = record_encode_event(&v[i], &r) | wire_blob_add(b, r.data, r.len);
			record_buf_free(&r);
			record_event_array_free(v, n);
		}
		break;
	}
	case OP_VERIFY: {
		rc = reply_ok(b);
		verify_out o = { b, 0 };
		size_t problems = 0;
		if ((code = dbs_verify(s->db, verify_one, &o, &problems, &err)) == STORE_OK)
			rc |= wire_u(b, 0, problems);
		break;
	}
	case OP_CHECKPOINT:
		if ((code = dbs_checkpoint(s->db, &err)) == STORE_OK)
			rc = reply_ok(b);
		break;
	case OP_WAIT: {
		c->waiting = true;
		c->wait_gen = m->u[0];
		c->wait_deadline = now_ms() + (int64_t)(m->u[1] > 3600000 ? 3600000 : m->u[1]);
		b->len = 0;
		return true;
	}
	case OP_SUBSCRIBE:
		c->subscribed = true;
		rc = reply_ok(b) | wire_u(b, 0, s->gen);
		break;
	case OP_STATUS: {
		dbs_stats st;
		if ((code = dbs_stats_read(s->db, &st, &err)) == STORE_OK)
			rc = reply_ok(b) | wire_u(b, 0, (uint64_t)getpid()) |
			     wire_u(b, 1, (uint64_t)(time(NULL) - s->started)) | wire_u(b, 2, conn_count(s)) |
			     wire_u(b, 3, s->gen) | wire_u(b, 4, st.cache_bytes) | wire_u(b, 5, st.cache_used_bytes) |
			     wire_u(b, 6, st.log_file) | wire_u(b, 7, st.log_offset);
		if (code == STORE_OK) {
			uint64_t queued = 0;
			store_err qe;
			dbs_outbox_count(s->db, &queued, &qe);
			char h[128];
			snprintf(h, sizeof h, "run %llu failed %llu pending %llu", (unsigned long long)s->hooks_run,
				 (unsigned long long)s->hooks_failed, (unsigned long long)queued);
			rc |= wire_blob_add(b, h, strlen(h));
		}
		break;
	}
	case OP_STOP:
		slog(s, "stop asked by pid %ld", (long)c->pid);
		s->stop = true;
		rc = reply_ok(b);
		break;
	case OP_BACKUP:
		if ((code = dbs_backup(s->db, has_s0 ? s0 : "", &err)) == STORE_OK) {
			slog(s, "backup written to %s", s0);
			rc = reply_ok(b);
		}
		break;
	case OP_EXEC_START: {
		store_item it;
		char why[256], host[256] = "";
		if (m->has_s[1])
			blob_str(&m->s[1], host, sizeof host);
		if (m->n_blobs != 1 || wire_item_decode(m->blobs[0].p, m->blobs[0].len, &it, why, sizeof why) < 0) {
			err_set(&err, STORE_INVALID_INPUT, "a malformed definition: %s", m->n_blobs != 1 ? "no item" : why);
			code = err.code;
			break;
		}
		if ((code = attach_check(s, c, it.exec.id, m->u[0], host, &err)) == STORE_OK &&
		    (code = dbs_exec_start(s->db, &it, m->u[0], host, &err)) == STORE_OK) {
			attach_add(c, it.exec.id, m->u[0], host);
			note_changed(s, it.exec.id);
			rc = reply_ok(b);
		} else if (code == STORE_OK) {
			code = err.code;
		}
		store_item_free(&it);
		break;
	}
	case OP_ATTACH: {
		char host[256] = "";
		if (m->has_s[1])
			blob_str(&m->s[1], host, sizeof host);
		if ((code = attach_check(s, c, has_s0 ? s0 : "", m->u[0], host, &err)) == STORE_OK &&
		    (code = dbs_attach(s->db, has_s0 ? s0 : "", m->u[0], host, &err)) == STORE_OK) {
			attach_add(c, s0, m->u[0], host);
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	}
	case OP_TASK_BEGIN:
	case OP_TASK_COMPLETE:
	case OP_TASK_FAIL: {
		const char *e = has_s0 ? s0 : "", *t = has_s1 ? s1 : "";
		char reason[1024];
		if (m->op == OP_TASK_BEGIN)
			code = dbs_task_begin(s->db, e, t, &err);
		else if (m->op == OP_TASK_COMPLETE)
			code = dbs_task_complete(s->db, e, t, &err);
		else
			code = dbs_task_fail(s->db, e, t, m->has_s[2] ? blob_str(&m->s[2], reason, sizeof reason) : "", &err);
		if (code == STORE_OK) {
			note_changed(s, e);
			rc = reply_ok(b);
		}
		break;
	}
	case OP_TASK_LOG: {
		record_text *lines = calloc(m->n_blobs ? m->n_blobs : 1, sizeof *lines);
		uint64_t count = 0;
		if (!lines) {
			code = err_set(&err, STORE_STORAGE, "out of memory");
			break;
		}
		for (size_t i = 0; i < m->n_blobs; i++) {
			lines[i].s = (char *)m->blobs[i].p; /* not NUL-terminated: the store copies by length */
			lines[i].len = m->blobs[i].len;
		}
		code = dbs_task_log(s->db, has_s0 ? s0 : "", has_s1 ? s1 : "", lines, m->n_blobs, &count, &err);
		free(lines);
		if (code == STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b) | wire_u(b, 0, count);
		}
		break;
	}
	case OP_TASK_REQUEST: {
		/* the prompt and the default may be longer than the small buffers */
		char *prompt = malloc(m->has_s[2] ? m->s[2].len + 1 : 1);
		char *def = m->u[2] && m->n_blobs ? malloc(m->blobs[0].len + 1) : NULL;
		if (!prompt || (m->u[2] && m->n_blobs && !def)) {
			free(prompt);
			free(def);
			code = err_set(&err, STORE_STORAGE, "out of memory");
			break;
		}
		size_t plen = m->has_s[2] ? m->s[2].len : 0;
		if (plen)
			memcpy(prompt, m->s[2].p, plen);
		prompt[plen] = '\0';
		if (def) {
			memcpy(def, m->blobs[0].p, m->blobs[0].len);
			def[m->blobs[0].len] = '\0';
		}
		store_input_request rq = { prompt, (record_input_type)(m->u[0] > INPUT_BOOLEAN ? 99 : m->u[0]), def,
					   def ? m->blobs[0].len : 0, m->u[1] != 0, m->u[3],
					   (record_on_timeout)(m->u[4] > TIMEOUT_SKIP ? 99 : m->u[4]) };
		if (memchr(prompt, '\0', plen))
			code = err_set(&err, STORE_INVALID_INPUT, "the prompt of task '%s' holds a NUL byte", s1);
		else
			code = dbs_task_request_input(s->db, has_s0 ? s0 : "", has_s1 ? s1 : "", &rq, &err);
		free(prompt);
		free(def);
		if (code == STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	}
	case OP_REJECT:
	case OP_CANCEL: {
		char *reason = malloc(m->has_s[2] ? m->s[2].len + 1 : 1);
		if (!reason) {
			code = err_set(&err, STORE_STORAGE, "out of memory");
			break;
		}
		size_t rl = m->has_s[2] ? m->s[2].len : 0;
		memcpy(reason, m->has_s[2] ? (const char *)m->s[2].p : "", rl);
		reason[rl] = '\0';
		if (memchr(reason, '\0', rl))
			code = err_set(&err, STORE_INVALID_INPUT, "the reason holds a NUL byte");
		else if (m->op == OP_REJECT)
			code = dbs_task_reject(s->db, has_s0 ? s0 : "", has_s1 ? s1 : NULL, reason, &err);
		else
			code = dbs_exec_cancel(s->db, has_s0 ? s0 : "", reason, &err);
		free(reason);
		if (code == STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	}
	case OP_NOTIFY_ADD: {
		const char *argv[STORE_HOOK_ARGS_MAX];
		char *bufs[STORE_HOOK_ARGS_MAX];
		size_t n = m->n_blobs > STORE_HOOK_ARGS_MAX ? STORE_HOOK_ARGS_MAX + 1 : m->n_blobs;
		if (n > STORE_HOOK_ARGS_MAX) {
			code = err_set(&err, STORE_INVALID_INPUT, "a hook's command has at most %d arguments",
				       STORE_HOOK_ARGS_MAX);
			break;
		}
		size_t got = 0;
		for (; got < n; got++) {
			size_t len = m->blobs[got].len;
			if (len > STORE_HOOK_ARG_MAX || memchr(m->blobs[got].p, '\0', len) || !(bufs[got] = malloc(len + 1)))
				break;
			memcpy(bufs[got], m->blobs[got].p, len);
			bufs[got][len] = '\0';
			argv[got] = bufs[got];
		}
		uint64_t id = 0;
		if (got < n)
			code = err_set(&err, STORE_INVALID_INPUT, "a hook's argument is over %d bytes or holds a NUL byte",
				       STORE_HOOK_ARG_MAX);
		else if ((code = dbs_hook_add(s->db, has_s0 ? s0 : "", argv, n, &id, &err)) == STORE_OK) {
			slog(s, "hook %llu added by %s", (unsigned long long)id, c->user);
			note_changed(s, NULL);
			rc = reply_ok(b) | wire_u(b, 0, id);
		}
		for (size_t i = 0; i < got; i++)
			free(bufs[i]);
		break;
	}
	case OP_NOTIFY_LIST: {
		store_hook *v;
		size_t n;
		if ((code = dbs_hook_list(s->db, &v, &n, &err)) == STORE_OK) {
			rc = reply_ok(b);
			for (size_t i = 0; i < n && !rc; i++) {
				record_buf h = { 0 };
				char id[32];
				int hr = snprintf(id, sizeof id, "%llu", (unsigned long long)v[i].id) < 0;
				const char *parts[2 + STORE_HOOK_ARGS_MAX];
				size_t np = 0;
				parts[np++] = id;
				parts[np++] = v[i].on;
				for (size_t k = 0; k < v[i].argc; k++)
					parts[np++] = v[i].argv[k];
				for (size_t k = 0; k < np && !hr; k++) {
					size_t len = strlen(parts[k]) + 1;
					unsigned char *d = realloc(h.data, h.len + len);
					if (!d) {
						hr = 1;
						break;
					}
					h.data = d;
					memcpy(h.data + h.len, parts[k], len);
					h.len += len;
				}
				rc = hr ? -1 : wire_blob_add(b, h.data, h.len);
				record_buf_free(&h);
			}
			store_hook_array_free(v, n);
		}
		break;
	}
	case OP_NOTIFY_REMOVE:
		if ((code = dbs_hook_remove(s->db, m->u[0], &err)) == STORE_OK) {
			slog(s, "hook %llu removed by %s", (unsigned long long)m->u[0], c->user);
			note_changed(s, NULL);
			rc = reply_ok(b);
		}
		break;
	case OP_RESPONDENTS: {
		char names[STORE_RESPONDENTS_MAX][80];
		const char *v[STORE_RESPONDENTS_MAX];
		size_t n = m->n_blobs;
		if (n > STORE_RESPONDENTS_MAX) {
			code = err_set(&err, STORE_INVALID_INPUT, "at most %d respondents", STORE_RESPONDENTS_MAX);
			break;
		}
		for (size_t i = 0; i < n; i++)
			v[i] = blob_str(&m->blobs[i], names[i], sizeof names[i]);
		if ((code = dbs_task_respondents(s->db, has_s0 ? s0 : "", has_s1 ? s1 : "", v, n, m->u[0] != 0, &err)) ==
		    STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	}
	case OP_DEADLINE:
		if ((code = dbs_task_deadline(s->db, has_s0 ? s0 : "", has_s1 ? s1 : "", m->u[0],
					      (record_on_timeout)(m->u[1] > TIMEOUT_SKIP ? 99 : m->u[1]), &err)) ==
		    STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	case OP_EXEC_FINISH:
		if ((code = dbs_exec_finish(s->db, has_s0 ? s0 : "", (exec_status)(m->u[0] > EXEC_FAILED ? 99 : m->u[0]),
					    &err)) == STORE_OK) {
			note_changed(s, s0);
			rc = reply_ok(b);
		}
		break;
	case OP_TASK_LOGS: {
		record_text *v = NULL;
		size_t n = 0;
		uint64_t total = 0;
		size_t limit = m->u[1] == 0 || m->u[1] > 100000 ? 100000 : (size_t)m->u[1];
		if ((code = dbs_task_logs(s->db, has_s0 ? s0 : "", has_s1 ? s1 : "", m->u[0], limit, &v, &n, &total,
					  &err)) == STORE_OK) {
			rc = reply_ok(b) | wire_u(b, 0, total);
			for (size_t i = 0; i < n && !rc; i++)
				rc = wire_blob_add(b, v[i].s, v[i].len);
		}
		for (size_t i = 0; i < n; i++)
			record_text_free(&v[i]);
		free(v);
		break;
	}
	default:
		return false;
	}
	uint64_t kept;
	if (code == STORE_OK && is_change(m->op) && m->req.len && dbs_request_found(s->db, &kept)) {
		/* made before, its answer lost: the same answer again */
		rc = reply_ok(b) | wire_u(b, 0, kept);
	}
	dbs_request_set(s->db, NULL, 0, 0);
	if (code == STORE_OK && err.msg[0]) /* a note on a success: what a list skipped */
		rc |= wire_str(b, 3, err.msg);
	if (code != STORE_OK) {
		c->held_sync = false;
		rc = reply_err(b, &err);
		if (code == STORE_STORAGE)
			slog(s, "%s", err.msg);
	}
	return rc == 0;
}

/* Reads what the socket has and runs every whole frame in it. */
static void conn_read(server *s, conn *c)
{
	/* one chunk per wake-up: every client gets its turn */
	if (!c->dead && c->held.len == 0 && !c->waiting) {
		if (tag_reserve(&c->in, READ_CHUNK) < 0) {
			c->dead = true;
			return;
		}
		ssize_t n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, MSG_DONTWAIT);
		if (n > 0)
			c->in.len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			c->dead = true; /* closed, or reset */
	}
	size_t off = 0;
	while (!c->dead && c->held.len == 0 && !c->waiting && c->in.len - off >= 4) {
		size_t len;
		if (!wire_frame_len(c->in.data + off, &len)) {
			slog(s, "client pid %ld sent a frame of a bad length: closed", (long)c->pid);
			c->dead = true;
			break;
		}
		if (c->in.len - off - 4 < len)
			break;
		wire_msg m;
		char why[128];
		record_buf frame = { c->in.data + off + 4, len, len };
		if (wire_decode(frame.data, len, &m, why, sizeof why) < 0 || m.op == OP_REPLY || m.op == OP_PUSH ||
		    !handle(s, c, &m, &frame)) {
			slog(s, "client pid %ld sent a malformed frame (%s): closed", (long)c->pid,
			     why[0] ? why : "unexpected operation");
			c->dead = true;
			wire_msg_free(&m);
			break;
		}
		wire_msg_free(&m);
		off += 4 + len;
	}
	if (off) {
		memmove(c->in.data, c->in.data + off, c->in.len - off);
		c->in.len -= off;
	}
}

/* The Unix user name of a connection's uid (or its number when it has
 * none), and the names of its groups. */
static void conn_who(conn *c, uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	c->n_groups = 0;
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || !res || !res->pw_name) {
		snprintf(c->user, sizeof c->user, "%lu", (unsigned long)uid);
		return;
	}
	snprintf(c->user, sizeof c->user, "%s", res->pw_name);
	gid_t gids[32];
	int ng = 32;
	if (getgrouplist(res->pw_name, gid, gids, &ng) < 0)
		ng = 32; /* more than 32: the first 32 */
	for (int i = 0; i < ng && c->n_groups < 32; i++) {
		struct group gr, *gres = NULL;
		char gbuf[4096];
		if (getgrgid_r(gids[i], &gr, gbuf, sizeof gbuf, &gres) == 0 && gres && gres->gr_name)
			snprintf(c->groups[c->n_groups++], sizeof c->groups[0], "%s", gres->gr_name);
	}
}

static void accept_all(server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cred;
		socklen_t cl = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0) {
			close(fd);
			continue;
		}
		if ((int)conn_count(s) >= s->max_clients) {
			store_err e;
			err_set(&e, STORE_STORAGE, "the store server of '%s' has %d clients, its limit: close some and retry",
			     s->home, s->max_clients);
			record_buf b = { 0 };
			if (reply_err(&b, &e) == 0 && wire_finish(&b) == 0)
				(void)!send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
			record_buf_free(&b);
			slog(s, "refused pid %ld: %d clients", (long)cred.pid, s->max_clients);
			close(fd);
			continue;
		}
		conn *c = calloc(1, sizeof *c);
		conn **v = c ? realloc(s->conns, (s->n_conns + 1) * sizeof *v) : NULL;
		if (!v) {
			free(c);
			close(fd);
			continue;
		}
		s->conns = v;
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		conn_who(c, cred.uid, cred.gid);
		c->read_only = cred.uid != geteuid();
		s->conns[s->n_conns++] = c;
	}
}

/* Frees the closed connections; true when an engine's lease ended with one. */
static bool reap(server *s)
{
	size_t j = 0;
	bool detached = false;
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead && c->n_att) {
			slog(s, "engine pid %llu on %s detached from %zu execution%s", (unsigned long long)c->engine_pid,
			     c->engine_host, c->n_att, c->n_att == 1 ? "" : "s");
			for (size_t k = 0; k < c->n_att; k++)
				note_changed(s, c->att[k]);
			detached = true;
		}
	}
	for (size_t i = 0; i < s->n_conns; i++) {
		if (s->conns[i]->dead)
			conn_free(s->conns[i]);
		else
			s->conns[j++] = s->conns[i];
	}
	s->n_conns = j;
	return detached;
}

/* After a batch: one flush, then the answers, then the pushes. */
static void finish_batch(server *s)
{
	store_err err;
	memset(&err, 0, sizeof err);
	store_code fc = s->db ? dbs_flush(s->db, &err) : STORE_OK;
	if (fc)
		slog(s, "%s", err.msg);
	uint64_t g = s->db && s->changed ? dbs_last_generation(s->db) : s->gen;
	if (g < s->gen)
		g = s->gen;
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->held.len == 0)
			continue;
		if (fc && c->held_sync) {
			c->held.len = 0;
			reply_err(&c->held, &err);
		}
		if (wire_finish(&c->held) == 0)
			out_append(c, &c->held);
		else
			c->dead = true;
		c->held.len = 0;
		c->held_sync = false;
	}
	if (g != s->gen || s->changed) {
		s->gen = g;
		for (size_t i = 0; i < s->n_conns; i++) {
			conn *c = s->conns[i];
			if (!c->subscribed)
				continue;
			c->push_pending = true;
			c->push_gen = g;
			c->push_all = c->push_all || s->changed_all;
			for (size_t k = 0; k < s->n_changed && !c->push_all; k++) {
				bool dup = false;
				for (size_t j = 0; j < c->n_push_ids && !dup; j++)
					dup = strcmp(c->push_ids[j], s->changed_ids[k]) == 0;
				if (dup)
					continue;
				if (c->n_push_ids == PUSH_IDS || !(c->push_ids[c->n_push_ids] = record_strdup(s->changed_ids[k])))
					c->push_all = true;
				else
					c->n_push_ids++;
			}
		}
	}
	for (size_t k = 0; k < s->n_changed; k++)
		free(s->changed_ids[k]);
	s->n_changed = 0;
	s->changed = s->changed_all = false;
	/* waiters whose generation passed, or whose time ran out */
	int64_t now = now_ms();
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (!c->waiting || (s->gen <= c->wait_gen && now < c->wait_deadline))
			continue;
		record_buf b = { 0 };
		if (reply_ok(&b) == 0 && wire_u(&b, 0, s->gen) == 0 && wire_finish(&b) == 0)
			out_append(c, &b);
		record_buf_free(&b);
		c->waiting = false;
	}
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead)
			continue;
		conn_write(s, c);
		if (c->subscribed && c->out.len - c->out_off > SUBSCRIBER_OUT_MAX) {
			slog(s, "subscriber pid %ld stopped reading: dropped", (long)c->pid);
			c->dead = true;
		}
	}
}

/* The socket path, short enough for sun_path even under a long home: bound
 * through /proc/self/fd when need be. */
static int socket_path(const char *home, int dirfd, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", home, SERVER_SOCKET);
	if (n > 0 && (size_t)n < cap)
		return 0;
	n = snprintf(out, cap, "/proc/self/fd/%d/%s", dirfd, SERVER_SOCKET);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int listen_on(server *s)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	int dirfd = open(s->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || socket_path(s->home, dirfd, sa.sun_path, sizeof sa.sun_path) < 0) {
		if (dirfd >= 0)
			close(dirfd);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		close(dirfd);
		return -1;
	}
	unlinkat(dirfd, SERVER_SOCKET, 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0) {
		close(fd);
		close(dirfd);
		return -1;
	}
	/* the home's group may connect (read-only) when the owner opened the
	 * directory to it; the socket follows the directory's group */
	struct stat sb;
	if (fstat(dirfd, &sb) == 0) {
		(void)!fchownat(dirfd, SERVER_SOCKET, (uid_t)-1, sb.st_gid, 0);
		fchmodat(dirfd, SERVER_SOCKET, 0660, 0);
	}
	close(dirfd);
	return fd;
}

/* A home removed (or replaced) under a running server: its lock file is no
 * longer the one it holds.  Then the server leaves at once and touches
 * nothing by name: the files there now belong to another store. */
static bool home_is_ours(server *s)
{
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", s->home, SERVER_LOCK);
	return stat(path, &sb) == 0 && sb.st_ino == s->lock_st.st_ino && sb.st_dev == s->lock_st.st_dev;
}

/* The socket's group is the home's: an owner who gives the directory to a
 * group (chgrp) gives that group read-only access, without a restart. */
static void socket_follow_home(server *s)
{
	struct stat dir, sock;
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", s->home, SERVER_SOCKET);
	if (stat(s->home, &dir) != 0 || lstat(path, &sock) != 0 || sock.st_ino != s->sock_st.st_ino)
		return;
	if (sock.st_gid != dir.st_gid)
		(void)!chown(path, (uid_t)-1, dir.st_gid);
	if ((sock.st_mode & 0777) != 0660)
		chmod(path, 0660);
}

/* Reads, without waiting, the requests that arrived on connections free to
 * take one; returns how many connections had input. */
/* Room in the poll array for n entries; false when out of memory. */
static bool poll_room(server *s, size_t n)
{
	if (n <= s->pcap)
		return true;
	size_t cap = s->pcap ? s->pcap : 16;
	while (cap < n)
		cap *= 2;
	struct pollfd *p = realloc(s->pfd, cap * sizeof *p);
	if (p)
		s->pfd = p;
	conn **w = p ? realloc(s->pconn, cap * sizeof *w) : NULL;
	if (w)
		s->pconn = w;
	if (!p || !w)
		return false;
	s->pcap = cap;
	return true;
}

static int gather(server *s)
{
	size_t k = 0;
	int got = 0;
	if (!poll_room(s, s->n_conns + 1))
		return 0;
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead || c->held.len || c->waiting)
			continue;
		s->pfd[k].fd = c->fd;
		s->pfd[k].events = POLLIN;
		s->pfd[k].revents = 0;
		s->pconn[k++] = c;
	}
	if (k && poll(s->pfd, k, 0) > 0)
		for (size_t i = 0; i < k; i++)
			if (s->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				conn_read(s, s->pconn[i]);
				got++;
			}
	return got;
}

/* ---- notification hooks ---- */

static void hook_setenv(const char *name, const char *v)
{
	if (v && *v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

/* Starts a notification's command: its own process group, no shell, its
 * output in server.log.  Returns the pid, or -1. */
static pid_t hook_spawn(server *s, const dbs_note *n)
{
	if (n->argc == 0)
		return -1;
	pid_t server_pid = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* a command dies with a killed server: the notification stays in the
	 * outbox and runs again when a server starts */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != server_pid)
		_exit(1);
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	int nul = open("/dev/null", O_RDWR);
	int out = s->logfd >= 0 ? s->logfd : nul;
	if (nul >= 0)
		dup2(nul, 0);
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
	}
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	hook_setenv("SEETOP_EVENT", n->kind);
	hook_setenv("SEETOP_EXECUTION", n->exec_id);
	hook_setenv("SEETOP_TASK", n->task_id);
	hook_setenv("SEETOP_PROMPT", n->prompt);
	hook_setenv("SEETOP_DEADLINE", n->deadline);
	hook_setenv("SEETOP_ACTOR", n->actor);
	hook_setenv("SEETOP_USER", n->user);
	hook_setenv("SEETOP_TIME", n->time);
	hook_setenv("SEETOP_REASON", n->reason);
	hook_setenv("SEETOP_HOME", s->home);
	execvp(n->argv[0], (char *const *)n->argv);
	_exit(127);
}

/* Ends what finished (or ran too long) and starts what waits, up to the
 * bound; *timeout shortens while commands run. */
static void hooks_pump(server *s, int *timeout)
{
	if (!s->db)
		return;
	int64_t now = now_ms();
	bool done_any = false;
	for (size_t i = 0; i < s->n_hooks;) {
		struct hook_job *h = &s->hooks[i];
		int status;
		pid_t r = waitpid(h->pid, &status, WNOHANG);
		if (r == 0) {
			if (!h->termed && now - h->started > s->hook_time_ms) {
				slog(s, "notification %llu: pid %ld ran past %d ms: SIGTERM", (unsigned long long)h->seq,
				     (long)h->pid, s->hook_time_ms);
				kill(-h->pid, SIGTERM);
				h->termed = true;
			} else if (h->termed && now - h->started > s->hook_time_ms + HOOK_KILL_MS) {
				kill(-h->pid, SIGKILL);
			}
			i++;
			continue;
		}
		bool ok = r == h->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !h->termed;
		s->hooks_run++;
		if (!ok) {
			s->hooks_failed++;
			if (r == h->pid && WIFEXITED(status))
				slog(s, "notification %llu: the command exited %d%s", (unsigned long long)h->seq,
				     WEXITSTATUS(status), WEXITSTATUS(status) == 127 ? " (not found?)" : "");
			else
				slog(s, "notification %llu: the command was killed%s", (unsigned long long)h->seq,
				     h->termed ? " (time limit)" : "");
		}
		store_err err;
		if (dbs_outbox_done(s->db, h->seq, &err))
			slog(s, "notification %llu: %s", (unsigned long long)h->seq, err.msg);
		done_any = true;
		s->hooks[i] = s->hooks[--s->n_hooks];
	}
	if (dbs_outbox_added(s->db))
		s->outbox_check = true;
	while (s->outbox_check && s->n_hooks < HOOKS_AT_ONCE) {
		dbs_note n;
		bool any;
		store_err err;
		if (dbs_outbox_next(s->db, s->outbox_after, &n, &any, &err)) {
			slog(s, "reading the outbox: %s", err.msg);
			break;
		}
		if (!any) {
			s->outbox_check = false;
			break;
		}
		s->outbox_after = n.seq;
		pid_t pid = hook_spawn(s, &n);
		if (pid < 0) {
			slog(s, "notification %llu: cannot start its command", (unsigned long long)n.seq);
			s->hooks_run++;
			s->hooks_failed++;
			dbs_outbox_done(s->db, n.seq, &err);
			done_any = true;
		} else {
			struct hook_job *h = &s->hooks[s->n_hooks++];
			h->pid = pid;
			h->seq = n.seq;
			h->started = now;
			h->termed = false;
		}
		dbs_note_free(&n);
	}
	if (done_any)
		finish_batch(s); /* the deletions are flushed */
	if (s->n_hooks && *timeout > 50)
		*timeout = 50; /* to see them end */
}

#define TIMER_BATCH 256 /* deadlines applied before the server looks at its clients again */

/* The deadlines' timer: applies every policy that is due (each its own
 * transaction), and shortens *timeout to the next deadline. */
static void timer_run(server *s, int *timeout)
{
	if (!s->db)
		return;
	for (int round = 0; round < 2; round++) {
		store_err err;
		memset(&err, 0, sizeof err);
		if (dbs_deadlines_changed(s->db))
			s->next_checked = false;
		if (!s->next_checked) {
			if (dbs_deadline_next(s->db, &s->next_any, &s->next_us, &err)) {
				slog(s, "reading the deadlines: %s", err.msg);
				s->next_any = false;
				return;
			}
			s->next_checked = true;
		}
		if (!s->next_any)
			return;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		if (s->next_us > now) {
			int64_t ms = (s->next_us - now + 999) / 1000;
			if (ms < *timeout)
				*timeout = (int)ms;
			return;
		}
		size_t fired = 0;
		for (bool more = true; more && fired < TIMER_BATCH;) {
			char id[130];
			if (dbs_deadline_fire(s->db, now, &more, id, sizeof id, &err)) {
				slog(s, "applying a deadline: %s", err.msg);
				break;
			}
			if (more) {
				note_changed(s, id);
				fired++;
			}
		}
		if (fired)
			slog(s, "the timer applied %zu deadline%s", fired, fired == 1 ? "" : "s");
		finish_batch(s);
		s->next_checked = false;
		if (fired >= TIMER_BATCH) {
			*timeout = 0;
			return;
		}
	}
}

static void serve(server *s)
{
	s->idle_since = now_ms();
	while (!s->stop && !got_term) {
		size_t n = s->n_conns;
		if (!poll_room(s, n + 1))
			break;
		struct pollfd *p = s->pfd;
		p[0].fd = s->lfd;
		p[0].events = POLLIN;
		int timeout = 1000;
		timer_run(s, &timeout);
		hooks_pump(s, &timeout);
		int64_t now = now_ms();
		for (size_t i = 0; i < n; i++) {
			conn *c = s->conns[i];
			p[i + 1].fd = c->fd;
			p[i + 1].events = POLLIN | (c->out_off < c->out.len ? POLLOUT : 0);
			if (c->waiting) {
				int64_t left = c->wait_deadline - now;
				if (left < timeout)
					timeout = left < 0 ? 0 : (int)left;
			}
		}
		int r = poll(p, n + 1, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			for (size_t i = 0; i < n; i++) {
				conn *c = s->conns[i];
				if (p[i + 1].revents & POLLOUT)
					conn_write(s, c);
				if (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
					conn_read(s, c);
			}
			if (p[0].revents & POLLIN)
				accept_all(s);
		}
		/* while commits wait for their flush, requests that arrive now
		 * can share it: a few more looks, without waiting */
		for (int round = 0; round < GATHER_ROUNDS && s->db && dbs_flush_pending(s->db); round++)
			if (gather(s) == 0)
				break;
		finish_batch(s);
		/* frames that arrived behind an answered one */
		for (size_t i = 0; i < s->n_conns; i++)
			if (!s->conns[i]->dead && s->conns[i]->in.len >= 4 && !s->conns[i]->waiting)
				conn_read(s, s->conns[i]);
		finish_batch(s);
		if (reap(s))
			finish_batch(s); /* the dashboards hear of it */
		now = now_ms();
		if (now - s->checked_home >= 1000) {
			s->checked_home = now;
			if (!home_is_ours(s)) {
				s->gone = true;
				break;
			}
			socket_follow_home(s);
		}
		if (s->n_conns || s->next_any || s->n_hooks || s->outbox_check) /* a deadline or a notification keeps it */
			s->idle_since = now;
		else if (now - s->idle_since >= (int64_t)(s->db ? s->idle_s : 1) * 1000)
			break;
	}
}

int server_run(const char *home)
{
	server s;
	memset(&s, 0, sizeof s);
	s.home = home;
	s.logfd = -1;
	s.started = time(NULL);
	umask(077);
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", home, SERVER_LOCK);
	int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return 1;
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		close(lock);
		return 0; /* another server has the home */
	}
	s.lock = lock;
	if (fstat(lock, &s.lock_st) != 0 || !home_is_ours(&s)) {
		close(lock);
		return 0; /* the lock file was replaced as we took it */
	}
	/* the lock file names its holder, for people and scripts */
	char pid[32];
	int pn = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(lock, 0) == 0)
		(void)!pwrite(lock, pid, (size_t)pn, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	const char *v = getenv("SEESTORE_SERVER_IDLE_S");
	s.idle_s = v ? atoi(v) : IDLE_S_DEFAULT;
	if (s.idle_s < 1 || s.idle_s > 86400)
		s.idle_s = IDLE_S_DEFAULT;
	v = getenv("SEESTORE_HOOK_TIMEOUT_MS");
	s.hook_time_ms = v ? atoi(v) : HOOK_TIME_MS;
	if (s.hook_time_ms < 100 || s.hook_time_ms > 3600000)
		s.hook_time_ms = HOOK_TIME_MS;
	v = getenv("SEESTORE_MAX_CLIENTS");
	s.max_clients = v ? atoi(v) : MAX_CLIENTS_DEFAULT;
	if (s.max_clients < 1 || s.max_clients > 65536)
		s.max_clients = MAX_CLIENTS_DEFAULT;
	log_open(&s);
	slog(&s, "server starting for %s", home);
	if (dbs_open(home, 0, &s.db, &s.open_err) != STORE_OK) {
		s.db = NULL;
		slog(&s, "cannot open the home: %s", s.open_err.msg);
	} else {
		dbs_defer_flush(s.db, true);
		store_err e;
		dbs_generation(s.db, &s.gen, &e);
	}
	s.lfd = listen_on(&s);
	if (s.lfd < 0) {
		slog(&s, "cannot listen on %s/%s: %s", home, SERVER_SOCKET, strerror(errno));
		dbs_close(s.db);
		return 1;
	}
	char sock[4200];
	snprintf(sock, sizeof sock, "%s/%s", home, SERVER_SOCKET);
	stat(sock, &s.sock_st);
	slog(&s, "listening (generation %llu)", (unsigned long long)s.gen);
	s.outbox_check = true; /* notifications a previous server did not run */
	serve(&s);
	if (s.gone)
		_exit(0); /* nothing here is ours any more: write nothing */
	/* answers of the last batch are flushed; then a checkpoint, so that the
	 * next start's recovery has little to replay */
	if (s.db) {
		store_err e;
		dbs_checkpoint(s.db, &e);
	}
	for (size_t i = 0; i < s.n_conns; i++)
		conn_write(&s, s.conns[i]);
	dbs_close(s.db);
	/* the socket goes before the lock: a client that finds no socket starts
	 * a server, which waits for the lock */
	struct stat now_st;
	if (stat(sock, &now_st) == 0 && now_st.st_ino == s.sock_st.st_ino && now_st.st_dev == s.sock_st.st_dev)
		unlink(sock);
	slog(&s, "server exits (%s)", s.stop ? "stopped" : got_term ? "terminated" : "idle");
	for (size_t i = 0; i < s.n_conns; i++)
		conn_free(s.conns[i]);
	free(s.conns);
	free(s.pfd);
	free(s.pconn);
	if (s.logfd >= 0)
		close(s.logfd);
	close(lock);
	return 0;
}
