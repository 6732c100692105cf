/* server_handle.c - one request of a client: what each operation does, as
 * one transaction, and its answer. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops.h"
#include "server_int.h"
#include "server_repl.h"
#include "tag.h"

/* A blob as a NUL-terminated string, bounded. */
static char *blob_str(const wire_blob *b, char *buf, size_t cap)
{
	size_t n = b->len < cap - 1 ? b->len : cap - 1;
	memcpy(buf, b->p, n);
	buf[n] = '\0';
	return buf;
}

/* ---- an import held across frames ---- */

typedef struct stage_src {
	conn *c;
	size_t frame, blob;
	wire_msg m;
	bool have;
	server *s;
} stage_src;

/* The next blob of the staged frames, not yet taken (ss->blob++ takes it):
 * 1, 0 at the end, -1 (why) when a frame does not decode. */
static int stage_peek(stage_src *ss, wire_blob **b, char *why, size_t whylen)
{
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
			*b = &ss->m.blobs[ss->blob];
			return 1;
		}
		wire_msg_free(&ss->m);
		ss->have = false;
		ss->frame++;
	}
}

static int stage_next(void *ctx, store_item *it, char *why, size_t whylen)
{
	stage_src *ss = ctx;
	wire_blob *b;
	int r = stage_peek(ss, &b, why, whylen);
	if (r <= 0)
		return r;
	ss->blob++;
	if (wire_is_more(b)) {
		snprintf(why, whylen, "a continuation of a log with no execution before it");
		return -1;
	}
	if (wire_item_decode(b->p, b->len, it, why, whylen) < 0)
		return -1;
	conn_note_changed(ss->s, it->exec.id);
	/* the lines of an execution too large for one frame follow its item, in
	 * blobs of their own, perhaps in later frames */
	while ((r = stage_peek(ss, &b, why, whylen)) > 0 && wire_is_more(b)) {
		if (wire_more_apply(b->p, b->len, it, why, whylen) < 0)
			return -1;
		ss->blob++;
	}
	return r < 0 ? -1 : 1;
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
			for (size_t k = 0; k < m.n_blobs; k++)
				n += !wire_is_more(&m.blobs[k]);
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

/* ---- one handler per operation ---- */

/* A request being handled: what a handler reads, and what it answers. */
typedef struct req {
	server *s;
	conn *c;
	const wire_msg *m;
	const record_buf *frame;
	record_buf *b;        /* the answer (c->held) */
	dbs_ctx *cx;          /* who the request acts for */
	store_err err;        /* why it failed */
	int rc;               /* -1: the answer could not be built */
	const char *s0, *s1;  /* its first texts, NUL-terminated */
	bool has_s0, has_s1;
	bool answered;        /* the handler answered in full (or will later): no common tail */
} req;

/* A handler's end: rc says whether its answer was built, code how it went. */
static store_code finish_op(req *q, int rc, store_code code)
{
	q->rc = rc;
	return code;
}

/* A handler's answer is complete as it stands (rc: whether it was built). */
static store_code answered(req *q, int rc)
{
	q->answered = true;
	q->rc = rc;
	return STORE_OK;
}

static store_code op_generation(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	uint64_t g = 0;
	if ((code = dbs_generation(s->db, &g, &q->err)) == STORE_OK)
		rc = conn_reply_ok(b) | wire_u(b, 0, g);
	q->rc = rc;
	return code;
}

static store_code op_counts(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	uint64_t counts[EXEC_STATUS_COUNT], g = 0;
	if ((code = dbs_counts(s->db, counts, &g, &q->err)) == STORE_OK) {
		rc = conn_reply_ok(b);
		for (int i = 0; i < EXEC_STATUS_COUNT && i < WIRE_COUNTS_GEN; i++)
			rc |= wire_u(b, i, counts[i]);
		rc |= wire_u(b, WIRE_COUNTS_GEN, g);
	}
	q->rc = rc;
	return code;
}

static store_code op_import(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	const wire_msg *m = q->m;
	const record_buf *frame = q->frame;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	/* the frames of one import are held until its last, then run as
	 * one transaction: a client that stops halfway holds no lock.  A
	 * first frame starts the stage again; a later one must follow the
	 * frames held for its request, or they were lost (the server
	 * restarted between them): the client sends them all again */
	if (m->has_frame && m->frame == 0) {
		conn_stage_drop(c);
		if (m->req.len <= sizeof c->stage_req) {
			memcpy(c->stage_req, m->req.p, m->req.len);
			c->stage_req_len = m->req.len;
		}
	} else if (m->has_frame && (m->frame != c->n_stage || m->req.len != c->stage_req_len ||
				    memcmp(m->req.p, c->stage_req, m->req.len) != 0)) {
		bool done = false;
		uint64_t kept = 0;
		conn_stage_drop(c);
		/* its last frame, made before and its answer lost: the same answer */
		if (!m->u[1] && (code = dbs_request_done(s->db, m->req.p, m->req.len, &done, &kept, &q->err)) != STORE_OK)
			return finish_op(q, rc, code);
		if (done) {
			c->held_sync = false;
			rc = conn_reply_ok(b) | wire_u(b, 0, kept);
			return finish_op(q, rc, code);
		}
		c->held_sync = false;
		err_set(&q->err, STORE_STORAGE, "the frames of this import before frame %llu were lost with the server "
			"that held them: send it again from its first frame", (unsigned long long)m->frame);
		rc = conn_reply_err(b, &q->err) | wire_flags(b, WIRE_RESEND);
		return answered(q, rc);
	}
	if (c->stage_bytes + frame->len > STAGE_MAX) {
		conn_stage_drop(c);
		err_set(&q->err, STORE_INVALID_INPUT, "import larger than %zu MB: split it", STAGE_MAX >> 20);
		code = q->err.code;
		return finish_op(q, rc, code);
	}
	record_buf *v = realloc(c->stage, (c->n_stage + 1) * sizeof *v);
	if (!v) {
		err_set(&q->err, STORE_STORAGE, "out of memory");
		code = q->err.code;
		return finish_op(q, rc, code);
	}
	c->stage = v;
	memset(&c->stage[c->n_stage], 0, sizeof *v);
	if (tag_put_raw(&c->stage[c->n_stage], frame->data, frame->len) < 0) {
		err_set(&q->err, STORE_STORAGE, "out of memory");
		code = q->err.code;
		return finish_op(q, rc, code);
	}
	c->n_stage++;
	c->stage_bytes += frame->len;
	if (m->u[1]) { /* more frames follow */
		c->held_sync = false;
		rc = conn_reply_ok(b);
		return answered(q, rc);
	}
	size_t count = 0;
	q->cx->req_result = stage_count(c);
	stage_src ss = { .c = c, .s = s };
	store_source src = { stage_next, stage_rewind, &ss };
	code = dbs_import(s->db, q->cx, &src, m->u[0] != 0, has_s0 ? s0 : NULL, &count, &q->err);
	if (ss.have)
		wire_msg_free(&ss.m);
	conn_stage_drop(c);
	if (code == STORE_OK)
		rc = conn_reply_ok(b) | wire_u(b, 0, count);
	return finish_op(q, rc, code);
}

static store_code op_get(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	record_exec e;
	if ((code = dbs_get(s->db, has_s0 ? s0 : "", &e, &q->err)) == STORE_OK) {
		record_buf r = { 0 };
		rc = encode_exec_out(s, &e, &r) | conn_reply_ok(b) | wire_blob_add(b, r.data, r.len);
		record_buf_free(&r);
		record_exec_free(&e);
	}
	q->rc = rc;
	return code;
}

static store_code op_get_item(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	store_item it;
	if ((code = dbs_get_item(s->db, has_s0 ? s0 : "", &it, &q->err)) == STORE_OK) {
		it.exec.engine_attached = attached_by(s, it.exec.id, strlen(it.exec.id)) != NULL;
		rc = conn_reply_ok(b) | wire_item_encode(b, &it);
		store_item_free(&it);
	}
	q->rc = rc;
	return code;
}

static store_code op_delete(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	if ((code = dbs_delete(s->db, q->cx, has_s0 ? s0 : "", &q->err)) == STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	q->rc = rc;
	return code;
}

static store_code op_list(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	store_cursor cur;
	memset(&cur, 0, sizeof cur);
	if (m->has_s[0] && m->s[0].len <= sizeof cur.key) {
		memcpy(cur.key, m->s[0].p, m->s[0].len);
		cur.len = m->s[0].len;
	}
	int status = (int)m->u[0] - 1;
	if (status > STORE_LIST_DUE)
		status = -1;
	size_t limit = m->u[1] > 100000 ? 100000 : (size_t)m->u[1];
	/* the records go out as the index holds them: the client decodes */
	rc = conn_reply_ok(b);
	blob_out o = { b, b->len, 0, s, NULL, 0 };
	size_t n = 0;
	if (m->u[2])
		cur.done = false;
	code = dbs_list_raw(s->db, status, &cur, m->u[2] != 0, limit, blob_emit, &o, &n, &q->err);
	if (code == STORE_OK)
		rc |= o.rc | wire_s(b, 0, cur.key, cur.len) | wire_u(b, 0, cur.done) | wire_u(b, 6, n);
	if (code == STORE_OK) /* then the ids of the page whose engine is attached */
		for (size_t i = 0; i < o.n_att && !rc; i++)
			rc |= wire_blob_add(b, o.att[i], strlen(o.att[i]));
	blob_out_free(&o);
	if (code == STORE_OK && m->u[3]) { /* and the counts: one round trip */
		uint64_t counts[EXEC_STATUS_COUNT], g = 0;
		if ((code = dbs_counts(s->db, counts, &g, &q->err)) == STORE_OK) {
			for (int i = 0; i < EXEC_STATUS_COUNT; i++)
				rc |= wire_u(b, WIRE_LIST_COUNTS + i, counts[i]);
			rc |= wire_u(b, WIRE_LIST_GEN, g);
			/* a client of revision 3 or older reads them after u0, then the
			 * generation (the layout a fifth status would break) */
			for (int i = 0; c->revision < 4 && i < EXEC_STATUS_COUNT && 1 + i < 6; i++)
				rc |= wire_u(b, 1 + i, counts[i]);
			if (c->revision < 4 && 1 + EXEC_STATUS_COUNT < 6)
				rc |= wire_u(b, 1 + EXEC_STATUS_COUNT, g);
		}
	}
	q->rc = rc;
	return code;
}

static store_code op_paused(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	record_exec *v = NULL;
	size_t n = 0;
	if ((code = dbs_paused(s->db, &v, &n, &q->err)) == STORE_OK) {
		rc = conn_reply_ok(b);
		record_buf r = { 0 };
		for (size_t i = 0; i < n && !rc; i++)
			rc = encode_exec_out(s, &v[i], &r) | wire_blob_add(b, r.data, r.len);
		record_buf_free(&r);
		record_exec_array_free(v, n);
	}
	q->rc = rc;
	return code;
}

static store_code op_each(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	size_t limit = m->u[0] == 0 || m->u[0] > 4096 ? 4096 : (size_t)m->u[0];
	rc = conn_reply_ok(b);
	each_out o = { b, 0, 0, false };
	code = dbs_each(s->db, has_s0 ? s0 : NULL, limit, each_one, &o, &q->err);
	if (code == STORE_OK)
		rc |= o.rc | wire_u(b, 0, o.n < limit && !o.full);
	q->rc = rc;
	return code;
}

static store_code op_pause(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	if ((code = dbs_pause_task(s->db, q->cx, has_s0 ? s0 : "", has_s1 ? s1 : "", &q->err)) == STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	q->rc = rc;
	return code;
}

static store_code op_resume_wf(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	if ((code = dbs_resume_workflow(s->db, q->cx, has_s0 ? s0 : "", &q->err)) == STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	q->rc = rc;
	return code;
}

static store_code op_resume_task(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	const char *value = m->has_s[2] ? (const char *)m->s[2].p : NULL;
	/* the value's bytes are copied: the store wants them NUL-terminated */
	char *vcopy = NULL;
	if (value) {
		vcopy = malloc(m->s[2].len + 1);
		if (!vcopy) {
			err_set(&q->err, STORE_STORAGE, "out of memory");
			code = q->err.code;
			return finish_op(q, rc, code);
		}
		memcpy(vcopy, value, m->s[2].len);
		vcopy[m->s[2].len] = '\0';
	}
	code = dbs_resume_task(s->db, q->cx, has_s0 ? s0 : "", has_s1 ? s1 : "", vcopy, value ? m->s[2].len : 0, &q->err);
	free(vcopy);
	if (code == STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	return finish_op(q, rc, code);
}

static store_code op_events(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	record_event *v = NULL;
	size_t n = 0;
	size_t limit = m->u[1] == 0 || m->u[1] > 100000 ? 100000 : (size_t)m->u[1];
	code = m->op == OP_EVENTS ? dbs_events(s->db, has_s0 ? s0 : NULL, m->u[0], limit, &v, &n, &q->err)
				  : dbs_events_after(s->db, has_s0 ? s0 : NULL, m->u[0], limit, &v, &n, &q->err);
	if (code == STORE_OK) {
		rc = conn_reply_ok(b);
		record_buf r = { 0 };
		for (size_t i = 0; i < n && !rc; i++)
			rc = record_encode_event(&v[i], &r) | wire_blob_add(b, r.data, r.len);
		record_buf_free(&r);
		record_event_array_free(v, n);
	}
	q->rc = rc;
	return code;
}

static store_code op_verify(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	rc = conn_reply_ok(b);
	verify_out o = { b, 0 };
	size_t problems = 0;
	if ((code = dbs_verify(s->db, verify_one, &o, &problems, &q->err)) == STORE_OK)
		rc |= wire_u(b, 0, problems);
	q->rc = rc;
	return code;
}

static store_code op_checkpoint(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	if ((code = dbs_checkpoint(s->db, &q->err)) == STORE_OK)
		rc = conn_reply_ok(b);
	q->rc = rc;
	return code;
}

static store_code op_wait(req *q)
{
	conn *c = q->c;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	c->waiting = true;
	c->wait_gen = m->u[0];
	c->wait_deadline = srv_now_ms() + (int64_t)(m->u[1] > 3600000 ? 3600000 : m->u[1]);
	b->len = 0;
	return answered(q, 0);
}

static store_code op_subscribe(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	c->subscribed = true;
	rc = conn_reply_ok(b) | wire_u(b, 0, s->gen);
	q->rc = rc;
	return code;
}

static store_code op_status(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	dbs_stats st;
	if ((code = dbs_stats_read(s->db, &st, &q->err)) == STORE_OK)
		rc = conn_reply_ok(b) | wire_u(b, 0, (uint64_t)getpid()) |
		     wire_u(b, 1, (uint64_t)(time(NULL) - s->started)) | wire_u(b, 2, conn_count(s)) |
		     wire_u(b, 3, s->gen) | wire_u(b, 4, st.cache_bytes) | wire_u(b, 5, st.cache_used_bytes) |
		     wire_u(b, 6, st.log_file) | wire_u(b, 7, st.log_offset);
	if (code == STORE_OK) {
		uint64_t queued = 0, ran = 0, failed = 0;
		store_err qe;
		dbs_outbox_count(s->db, &queued, &qe);
		dbs_hook_counts(s->db, &ran, &failed, &qe);
		rc |= wire_u(b, WIRE_STATUS_HOOKS, ran) | wire_u(b, WIRE_STATUS_HOOKS + 1, failed) |
		      wire_u(b, WIRE_STATUS_HOOKS + 2, queued);
		if (c->revision < 4) { /* a client of revision 3 or older reads them as text */
			char h[128];
			snprintf(h, sizeof h, "run %llu failed %llu pending %llu", (unsigned long long)ran,
				 (unsigned long long)failed, (unsigned long long)queued);
			rc |= wire_blob_add(b, h, strlen(h));
		}
	}
	q->rc = rc;
	return code;
}

static store_code op_stop(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	srv_log(s, "stop asked by pid %ld", (long)c->pid);
	s->stop = true;
	srv_mark_stopped(s);
	rc = conn_reply_ok(b);
	q->rc = rc;
	return code;
}

static store_code op_backup(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	if ((code = dbs_backup(s->db, has_s0 ? s0 : "", &q->err)) == STORE_OK) {
		srv_log(s, "backup written to %s", s0);
		rc = conn_reply_ok(b);
	}
	q->rc = rc;
	return code;
}

static store_code op_exec_start(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	store_item it;
	char why[256], host[256] = "";
	if (m->has_s[1])
		blob_str(&m->s[1], host, sizeof host);
	if (m->n_blobs != 1 || wire_item_decode(m->blobs[0].p, m->blobs[0].len, &it, why, sizeof why) < 0) {
		err_set(&q->err, STORE_INVALID_INPUT, "a malformed definition: %s", m->n_blobs != 1 ? "no item" : why);
		code = q->err.code;
		return finish_op(q, rc, code);
	}
	if ((code = attach_check(s, c, it.exec.id, m->u[0], host, &q->err)) == STORE_OK &&
	    (code = dbs_exec_start(s->db, q->cx, &it, m->u[0], host, &q->err)) == STORE_OK) {
		attach_add(c, it.exec.id, m->u[0], host);
		conn_note_changed(s, it.exec.id);
		rc = conn_reply_ok(b);
	} else if (code == STORE_OK) {
		code = q->err.code;
	}
	store_item_free(&it);
	return finish_op(q, rc, code);
}

static store_code op_attach(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	char host[256] = "";
	if (m->has_s[1])
		blob_str(&m->s[1], host, sizeof host);
	if ((code = attach_check(s, c, has_s0 ? s0 : "", m->u[0], host, &q->err)) == STORE_OK &&
	    (code = dbs_attach(s->db, q->cx, has_s0 ? s0 : "", m->u[0], host, &q->err)) == STORE_OK) {
		attach_add(c, s0, m->u[0], host);
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	q->rc = rc;
	return code;
}

static store_code op_task_transition(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	const char *e = has_s0 ? s0 : "", *t = has_s1 ? s1 : "";
	/* the reason whole (the store takes up to 64 KiB), NUL-terminated */
	size_t rl = m->op == OP_TASK_FAIL && m->has_s[2] ? m->s[2].len : 0;
	char *reason = malloc(rl + 1);
	if (!reason) {
		code = err_set(&q->err, STORE_STORAGE, "out of memory");
		return finish_op(q, rc, code);
	}
	if (rl)
		memcpy(reason, m->s[2].p, rl);
	reason[rl] = '\0';
	if (m->op == OP_TASK_BEGIN)
		code = dbs_task_begin(s->db, q->cx, e, t, &q->err);
	else if (m->op == OP_TASK_COMPLETE)
		code = dbs_task_complete(s->db, q->cx, e, t, &q->err);
	else if (memchr(reason, '\0', rl))
		code = err_set(&q->err, STORE_INVALID_INPUT, "the reason for failing task '%s' holds a NUL byte", t);
	else
		code = dbs_task_fail(s->db, q->cx, e, t, reason, &q->err);
	free(reason);
	if (code == STORE_OK) {
		conn_note_changed(s, e);
		rc = conn_reply_ok(b);
	}
	return finish_op(q, rc, code);
}

static store_code op_task_log(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	record_text *lines = calloc(m->n_blobs ? m->n_blobs : 1, sizeof *lines);
	uint64_t count = 0;
	if (!lines) {
		code = err_set(&q->err, STORE_STORAGE, "out of memory");
		return finish_op(q, rc, code);
	}
	for (size_t i = 0; i < m->n_blobs; i++) {
		lines[i].s = (char *)m->blobs[i].p; /* not NUL-terminated: the store copies by length */
		lines[i].len = m->blobs[i].len;
	}
	code = dbs_task_log(s->db, q->cx, has_s0 ? s0 : "", has_s1 ? s1 : "", lines, m->n_blobs, &count, &q->err);
	free(lines);
	if (code == STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b) | wire_u(b, 0, count);
	}
	return finish_op(q, rc, code);
}

static store_code op_task_request(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	/* the prompt and the default may be longer than the small buffers */
	char *prompt = malloc(m->has_s[2] ? m->s[2].len + 1 : 1);
	char *def = m->u[2] && m->n_blobs ? malloc(m->blobs[0].len + 1) : NULL;
	if (!prompt || (m->u[2] && m->n_blobs && !def)) {
		free(prompt);
		free(def);
		code = err_set(&q->err, STORE_STORAGE, "out of memory");
		return finish_op(q, rc, code);
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
		code = err_set(&q->err, STORE_INVALID_INPUT, "the prompt of task '%s' holds a NUL byte", s1);
	else
		code = dbs_task_request_input(s->db, q->cx, has_s0 ? s0 : "", has_s1 ? s1 : "", &rq, &q->err);
	free(prompt);
	free(def);
	if (code == STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	return finish_op(q, rc, code);
}

static store_code op_reject_cancel(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	char *reason = malloc(m->has_s[2] ? m->s[2].len + 1 : 1);
	if (!reason) {
		code = err_set(&q->err, STORE_STORAGE, "out of memory");
		return finish_op(q, rc, code);
	}
	size_t rl = m->has_s[2] ? m->s[2].len : 0;
	memcpy(reason, m->has_s[2] ? (const char *)m->s[2].p : "", rl);
	reason[rl] = '\0';
	if (memchr(reason, '\0', rl))
		code = err_set(&q->err, STORE_INVALID_INPUT, "the reason holds a NUL byte");
	else if (m->op == OP_REJECT)
		code = dbs_task_reject(s->db, q->cx, has_s0 ? s0 : "", has_s1 ? s1 : NULL, reason, &q->err);
	else
		code = dbs_exec_cancel(s->db, q->cx, has_s0 ? s0 : "", reason, &q->err);
	free(reason);
	if (code == STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	return finish_op(q, rc, code);
}

static store_code op_notify_add(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	const char *argv[STORE_HOOK_ARGS_MAX];
	char *bufs[STORE_HOOK_ARGS_MAX];
	size_t n = m->n_blobs > STORE_HOOK_ARGS_MAX ? STORE_HOOK_ARGS_MAX + 1 : m->n_blobs;
	if (n > STORE_HOOK_ARGS_MAX) {
		code = err_set(&q->err, STORE_INVALID_INPUT, "a hook's command has at most %d arguments",
			       STORE_HOOK_ARGS_MAX);
		return finish_op(q, rc, code);
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
		code = err_set(&q->err, STORE_INVALID_INPUT, "a hook's argument is over %d bytes or holds a NUL byte",
			       STORE_HOOK_ARG_MAX);
	else if ((code = dbs_hook_add(s->db, q->cx, has_s0 ? s0 : "", argv, n, &id, &q->err)) == STORE_OK) {
		srv_log(s, "hook %llu added by %s", (unsigned long long)id, c->user);
		conn_note_changed(s, NULL);
		rc = conn_reply_ok(b) | wire_u(b, 0, id);
	}
	for (size_t i = 0; i < got; i++)
		free(bufs[i]);
	return finish_op(q, rc, code);
}

static store_code op_notify_list(req *q)
{
	server *s = q->s;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	store_hook *v;
	size_t n;
	if ((code = dbs_hook_list(s->db, &v, &n, &q->err)) == STORE_OK) {
		rc = conn_reply_ok(b);
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
	return finish_op(q, rc, code);
}

static store_code op_notify_remove(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	int rc = 0;
	store_code code = STORE_OK;
	if ((code = dbs_hook_remove(s->db, q->cx, m->u[0], &q->err)) == STORE_OK) {
		srv_log(s, "hook %llu removed by %s", (unsigned long long)m->u[0], c->user);
		conn_note_changed(s, NULL);
		rc = conn_reply_ok(b);
	}
	q->rc = rc;
	return code;
}

static store_code op_respondents(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	char names[STORE_RESPONDENTS_MAX][80];
	const char *v[STORE_RESPONDENTS_MAX];
	size_t n = m->n_blobs;
	if (n > STORE_RESPONDENTS_MAX) {
		code = err_set(&q->err, STORE_INVALID_INPUT, "at most %d respondents", STORE_RESPONDENTS_MAX);
		return finish_op(q, rc, code);
	}
	for (size_t i = 0; i < n; i++)
		v[i] = blob_str(&m->blobs[i], names[i], sizeof names[i]);
	if ((code = dbs_task_respondents(s->db, q->cx, has_s0 ? s0 : "", has_s1 ? s1 : "", v, n, m->u[0] != 0, &q->err)) ==
	    STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	return finish_op(q, rc, code);
}

static store_code op_deadline(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	if ((code = dbs_task_deadline(s->db, q->cx, has_s0 ? s0 : "", has_s1 ? s1 : "", m->u[0],
				      (record_on_timeout)(m->u[1] > TIMEOUT_SKIP ? 99 : m->u[1]), &q->err)) ==
	    STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	q->rc = rc;
	return code;
}

static store_code op_exec_finish(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	bool has_s0 = q->has_s0;
	int rc = 0;
	store_code code = STORE_OK;
	if ((code = dbs_exec_finish(s->db, q->cx, has_s0 ? s0 : "", (exec_status)(m->u[0] > EXEC_FAILED ? 99 : m->u[0]),
				    &q->err)) == STORE_OK) {
		conn_note_changed(s, s0);
		rc = conn_reply_ok(b);
	}
	q->rc = rc;
	return code;
}

static store_code op_task_logs(req *q)
{
	server *s = q->s;
	const wire_msg *m = q->m;
	record_buf *b = q->b;
	const char *s0 = q->s0;
	const char *s1 = q->s1;
	bool has_s0 = q->has_s0;
	bool has_s1 = q->has_s1;
	int rc = 0;
	store_code code = STORE_OK;
	record_text *v = NULL;
	size_t n = 0;
	uint64_t total = 0;
	size_t limit = m->u[1] == 0 || m->u[1] > 100000 ? 100000 : (size_t)m->u[1];
	if ((code = dbs_task_logs(s->db, has_s0 ? s0 : "", has_s1 ? s1 : "", m->u[0], limit, &v, &n, &total,
				  &q->err)) == STORE_OK) {
		rc = conn_reply_ok(b) | wire_u(b, 0, total);
		for (size_t i = 0; i < n && !rc; i++)
			rc = wire_blob_add(b, v[i].s, v[i].len);
	}
	for (size_t i = 0; i < n; i++)
		record_text_free(&v[i]);
	free(v);
	q->rc = rc;
	return code;
}

static store_code op_repl_status(req *q)
{
	int r = repl_status_reply(q->s, q->b, &q->err);
	return finish_op(q, r < 0 ? -1 : 0, r > 0 ? q->err.code : STORE_OK);
}

static store_code op_repl_leave(req *q)
{
	int r = repl_leave(q->s, &q->err);
	return finish_op(q, r == 0 ? conn_reply_ok(q->b) : 0, r ? q->err.code : STORE_OK);
}

/* The handler of each operation the server runs: the last column of its
 * row in ops.h (HELLO is the connection's own; replies and pushes are
 * never requests). */
#define HANDLER_(code, name, flags, args, reply, action, handler) [OP_##code] = handler,
static store_code (*const handlers[OP_COUNT_])(req *q) = { OPS(HANDLER_) };

/* The connection's first frame: its flags and revision; an older server
 * makes way for the owner's newer client. */
static bool handle_hello(server *s, conn *c, const wire_msg *m)
{
	record_buf *b = &c->held;
	int rc;
	c->ro_asked = (m->u[0] & WIRE_READ_ONLY) != 0;
	c->revision = m->u[2];
	c->read_only = c->read_only || c->ro_asked;
	/* a newer client: this server is the old one of an upgrade; the
	 * owner's client has it make way, anyone else hears why */
	bool newer = m->u[2] > wire_revision();
	if (newer && c->uid == geteuid() && !s->stop) {
		srv_log(s, "client pid %ld speaks revision %llu, this server %llu: making way for a newer server",
			(long)c->pid, (unsigned long long)m->u[2], (unsigned long long)wire_revision());
		s->stop = true;
	}
	rc = wire_begin(b, OP_REPLY) | wire_code(b, STORE_OK) | wire_u(b, 0, c->read_only ? WIRE_READ_ONLY : 0) |
	     wire_u(b, 1, (uint64_t)getpid()) | wire_u(b, 2, s->stop);
	if (newer && !s->stop) {
		store_err e;
		err_set(&e, STORE_STORAGE, "the store server of '%s' is older than this program (protocol revision %llu, "
			"not %llu): its owner's next command restarts it", s->home, (unsigned long long)wire_revision(),
			(unsigned long long)m->u[2]);
		rc = conn_reply_err(b, &e);
	} else if (!s->db) {
		rc = conn_reply_err(b, &s->open_err);
	}
	return rc == 0;
}

/* Runs one request; the answer goes to c->held (sent after the batch's
 * flush).  Returns false when the frame breaks the protocol. */
bool handle_request(server *s, conn *c, const wire_msg *m, const record_buf *frame)
{
	record_buf *b = &c->held;
	store_err err;
	memset(&err, 0, sizeof err);
	char s0[PATH_MAX], s1[PATH_MAX];
	int rc = 0;
	if (m->op == OP_HELLO)
		return handle_hello(s, c, m);
	if (!s->db) {
		conn_reply_err(b, &s->open_err);
		return true;
	}
	/* one who may only read may still answer or reject a task that names
	 * them: the store checks the respondents */
	bool answer = ops_is_answer(m->op, m->has_s[1]);
	if (ops_is_change(m->op) && c->read_only && !(answer && !c->ro_asked)) {
		if (c->uid != geteuid())
			err_set(&err, STORE_READ_ONLY, "store is read-only for user %ld: only the owner of '%s' may change it",
			     (long)c->uid, s->home);
		else
			err_set(&err, STORE_READ_ONLY, "store is open read-only");
		conn_reply_err(b, &err);
		return true;
	}
	/* who this request acts for, passed to the change it makes */
	char actor[128];
	const char *groups[32];
	for (size_t i = 0; i < c->n_groups; i++)
		groups[i] = c->groups[i];
	dbs_ctx cx = {
		.user = c->user,
		.groups = groups,
		.n_groups = c->n_groups,
		.owner = c->uid == geteuid(),
		.actor = m->has_s[3] ? blob_str(&m->s[3], actor, sizeof actor) : NULL,
		.req = m->req.len && m->req.len <= sizeof c->stage_req ? m->req.p : NULL,
		.req_len = m->req.len <= sizeof c->stage_req ? m->req.len : 0,
		.no_sync = (m->flags & WIRE_NO_SYNC) != 0,
	};
	const ops_def *row = ops_find(m->op);
	c->held_sync = row && (row->flags & OPS_SYNC) && !(m->flags & WIRE_NO_SYNC);
	store_code code = STORE_OK;
	bool has_s0 = m->has_s[0] && m->op != OP_LIST, has_s1 = m->has_s[1];
	/* an argument over its bound is refused by name, never cut */
	char bound[200];
	if (ops_check(m, bound, sizeof bound) < 0 || (has_s0 && m->s[0].len >= sizeof s0) ||
	    (has_s1 && m->s[1].len >= sizeof s1)) {
		if (ops_check(m, bound, sizeof bound) == 0)
			snprintf(bound, sizeof bound, "a text argument is over %zu bytes", sizeof s0 - 1);
		err_set(&err, STORE_INVALID_INPUT, "%s", bound);
		c->held_sync = false;
		return conn_reply_err(b, &err) == 0;
	}
	if (has_s0)
		blob_str(&m->s[0], s0, sizeof s0);
	if (has_s1)
		blob_str(&m->s[1], s1, sizeof s1);
	req q = { .s = s, .c = c, .m = m, .frame = frame, .b = b, .cx = &cx, .s0 = s0, .s1 = s1,
		  .has_s0 = has_s0, .has_s1 = has_s1 };
	if (m->op >= OP_COUNT_ || !handlers[m->op])
		return false;
	if (repl_intercept(s, c, m, frame)) /* a replica's change: the master makes it */
		return true;
	code = handlers[m->op](&q);
	if (q.answered)
		return q.rc == 0;
	rc = q.rc;
	err = q.err;
	if (code == STORE_OK && ops_is_change(m->op) && cx.req_found) {
		/* made before, its answer lost: the same answer again */
		rc = conn_reply_ok(b) | wire_u(b, 0, cx.req_kept);
	}
	if (code == STORE_OK && err.msg[0]) /* a note on a success: what a list skipped */
		rc |= wire_str(b, 3, err.msg);
	if (code != STORE_OK) {
		c->held_sync = false;
		rc = conn_reply_err(b, &err);
		if (code == STORE_STORAGE)
			srv_log(s, "%s", err.msg);
	}
	return rc == 0;
}
