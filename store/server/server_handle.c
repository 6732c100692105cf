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
#include "record_int.h"
#include "server_int.h"
#include "server_leases.h"
#include "server_readers.h"
#include "server_remote.h"
#include "server_repl.h"
#include "tag.h"

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
	/* an engine of a replica, at the master (a reader thread has them in
	 * its copy of the attached ids above) */
	return s->on_reader ? NULL : remote_leased(id, len);
}

/* Whether the execution's engine is attached: here, or, at a replica,
 * elsewhere in its group (the master's set: server_leases.c; a reader
 * thread has those ids in its copy, and whether the set was too large). */
static bool is_attached(server *s, const char *id, size_t len)
{
	if (attached_by(s, id, len))
		return true;
	return s->on_reader ? s->att_unknown : leases_elsewhere(id, len);
}

bool handle_attached(server *s, const char *id)
{
	return is_attached(s, id, strlen(id));
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

void handle_lease_add(conn *c, const char *id, uint64_t pid, const char *host)
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
	e->engine_attached = is_attached(s, e->id, strlen(e->id));
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
	record_buf *ids; /* every record's id, as tagged bytes (a page to keep), or NULL */
	bool images;     /* the records go as images (record_image_exec), not as stored */
	record_buf img;
} blob_out;

static void blob_out_free(blob_out *o)
{
	for (size_t i = 0; i < o->n_att; i++)
		free(o->att[i]);
	free(o->att);
	o->att = NULL;
	o->n_att = 0;
	record_buf_free(&o->img);
}

static int blob_emit(void *ctx, const void *rec, size_t len)
{
	blob_out *o = ctx;
	if (!rec) {
		o->b->len = o->mark;
		o->rc = 0;
		blob_out_free(o);
		if (o->ids)
			o->ids->len = 0;
		return 0;
	}
	if (o->images) {
		record_exec e;
		char why[128];
		/* one that does not decode goes as stored: the client says why */
		bool fine = record_decode_exec_packed(rec, len, &e, why, sizeof why) == 0;
		if (fine && record_image_exec(&e, &o->img) < 0)
			o->rc = -1;
		o->rc |= fine ? wire_blob_add(o->b, o->img.data, o->img.len) : wire_blob_add(o->b, rec, len);
		if (fine)
			record_exec_free(&e);
	} else {
		o->rc |= wire_blob_add(o->b, rec, len);
	}
	const char *id = NULL;
	size_t idlen = 0;
	bool has_id = raw_exec_id(rec, len, &id, &idlen);
	if (o->ids)
		o->rc |= tag_put_bytes(o->ids, 1, has_id ? id : "", has_id ? idlen : 0);
	if (o->s && has_id && is_attached(o->s, id, idlen)) {
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
	size_t start; /* the answer's length before the first problem */
	size_t n;
} verify_out;

static void verify_one(void *ctx, const char *what)
{
	verify_out *o = ctx;
	if (!what) { /* the walk starts over: what it found so far goes */
		o->b->len = o->start;
		o->n = 0;
		return;
	}
	if (o->n++ < VERIFY_MAX)
		wire_blob_add(o->b, what, strlen(what));
}

/* ---- one handler per operation ---- */

/* A request being handled: what a handler reads, and what it answers.  A
 * handler returns how its work went; on a success that left the answer
 * empty, the answer is "ok", and a change that names an execution notes it
 * changed (handle_request). */
typedef struct req {
	server *s;
	conn *c;
	conn *who;            /* whom it is made for: c, or the client of a replica that forwarded it */
	const wire_msg *m;
	const record_buf *frame;
	record_buf *b;        /* the answer (c->held) */
	dbs_ctx *cx;          /* who the request acts for */
	ops_args a;           /* its arguments, decoded by its row */
	store_err err;        /* why it failed; on a success, a note for the client */
	int rc;               /* -1: the answer could not be built */
	bool answered;        /* the answer is complete as it stands (or comes later): no common tail */
} req;

/* An argument of the request, by its id in its row: ARG(REJECT, reason)->s. */
#define ARG(code, id) (&q->a.v[ARG_##code##_##id])

/* A text the request may leave out: NULL then. */
static const char *opt(const ops_val *v)
{
	return v->has ? v->s : NULL;
}

/* The answer of a success, begun: what follows adds to it. */
static record_buf *ok(req *q)
{
	q->rc |= conn_reply_ok(q->b);
	return q->b;
}

/* The answer is complete as it stands (rc: whether it was built). */
static store_code answered(req *q, int rc)
{
	q->answered = true;
	q->rc = rc;
	return STORE_OK;
}

static store_code op_generation(req *q)
{
	uint64_t g = 0;
	store_code code = dbs_generation(q->s->db, &g, &q->err);
	if (code == STORE_OK)
		q->rc |= wire_u(ok(q), 0, g);
	return code;
}

static store_code op_counts(req *q)
{
	uint64_t counts[EXEC_STATUS_COUNT], g = 0;
	store_code code = dbs_counts(q->s->db, counts, &g, &q->err);
	if (code != STORE_OK)
		return code;
	record_buf *b = ok(q);
	for (int i = 0; i < EXEC_STATUS_COUNT && i < WIRE_COUNTS_GEN; i++)
		q->rc |= wire_u(b, i, counts[i]);
	q->rc |= wire_u(b, WIRE_COUNTS_GEN, g);
	return code;
}

static store_code op_import(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	const wire_msg *m = q->m;
	const record_buf *frame = q->frame;
	bool more = ARG(IMPORT, more)->u != 0;
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
		store_code code;
		conn_stage_drop(c);
		/* its last frame, made before and its answer lost: the same answer */
		if (!more && (code = dbs_request_done(s->db, m->req.p, m->req.len, &done, &kept, &q->err)) != STORE_OK)
			return code;
		c->held_sync = false;
		if (done) {
			q->rc |= wire_u(ok(q), 0, kept);
			return STORE_OK;
		}
		err_set(&q->err, STORE_STORAGE, "the frames of this import before frame %llu were lost with the server "
			"that held them: send it again from its first frame", (unsigned long long)m->frame);
		return answered(q, conn_reply_err(q->b, &q->err) | wire_flags(q->b, WIRE_RESEND));
	}
	if (c->stage_bytes + frame->len > STAGE_MAX) {
		conn_stage_drop(c);
		return err_set(&q->err, STORE_INVALID_INPUT, "import larger than %zu MB: split it", STAGE_MAX >> 20);
	}
	record_buf *v = realloc(c->stage, (c->n_stage + 1) * sizeof *v);
	if (!v)
		return err_set(&q->err, STORE_STORAGE, "out of memory");
	c->stage = v;
	memset(&c->stage[c->n_stage], 0, sizeof *v);
	if (tag_put_raw(&c->stage[c->n_stage], frame->data, frame->len) < 0)
		return err_set(&q->err, STORE_STORAGE, "out of memory");
	c->n_stage++;
	c->stage_bytes += frame->len;
	if (more) {
		c->held_sync = false;
		return answered(q, conn_reply_ok(q->b));
	}
	size_t count = 0;
	q->cx->req_result = stage_count(c);
	stage_src ss = { .c = c, .s = s };
	store_source src = { stage_next, stage_rewind, &ss };
	store_code code = dbs_import(s->db, q->cx, &src, ARG(IMPORT, replace)->u != 0, opt(ARG(IMPORT, action)), &count,
				     &q->err);
	if (ss.have)
		wire_msg_free(&ss.m);
	conn_stage_drop(c);
	if (code == STORE_OK)
		q->rc |= wire_u(ok(q), 0, count);
	return code;
}

static store_code op_get(req *q)
{
	record_exec e;
	store_code code = dbs_get(q->s->db, ARG(GET, exec)->s, &e, &q->err);
	if (code != STORE_OK)
		return code;
	record_buf r = { 0 };
	q->rc |= encode_exec_out(q->s, &e, &r);
	q->rc |= wire_blob_add(ok(q), r.data, r.len);
	record_buf_free(&r);
	record_exec_free(&e);
	return code;
}

static store_code op_get_item(req *q)
{
	store_item it;
	store_code code = dbs_get_item(q->s->db, ARG(GET_ITEM, exec)->s, &it, &q->err);
	if (code != STORE_OK)
		return code;
	it.exec.engine_attached = is_attached(q->s, it.exec.id, strlen(it.exec.id));
	q->rc |= wire_item_encode(ok(q), &it);
	store_item_free(&it);
	return code;
}

static store_code op_delete(req *q)
{
	return dbs_delete(q->s->db, q->cx, ARG(DELETE, exec)->s, &q->err);
}

/* ---- the newest page of a list, answered from memory ----
 *
 * Every dashboard asks for the newest page of its list, with the counts, as
 * it opens and on every change it hears of.  That answer is kept, encoded,
 * per status, limit and shape, and sent again as it is until the store's
 * next change: dbs_last_generation moves with every commit that changes an
 * execution (the server's own commits are the only ones: a site of a
 * replication group keeps pages only while it is the master, and forgets
 * them when its role changes, since the master's log changes a replica and
 * a rollback may give a generation again to other data), and a page read at
 * another generation is never sent.  Which of its executions have their
 * engine attached is not kept: a connection's end changes it without a
 * commit, so it is looked up at each answer.  A client of revision 6 on
 * asks for its records as images (record_image_exec), laid out once here so
 * that the client takes each with a malloc and two copies. */

#define PAGES_KEPT 8

typedef struct list_page {
	bool used;
	uint64_t gen;      /* dbs_last_generation it was read at */
	int status;
	size_t limit;
	bool counts;       /* with the counts and the generation */
	int form;          /* the layout a client of its revision reads (page_form) */
	uint64_t last;     /* when it was last sent (pages_clock): the oldest goes first */
	record_buf fields; /* the answer's fields after its code, but the attached ids */
	record_buf ids;    /* its records' ids, as tagged bytes */
} list_page;

/* One server per process: its pages are its own. */
static list_page pages[PAGES_KEPT];
static uint64_t pages_clock;

void handle_pages_forget(void)
{
	for (size_t i = 0; i < PAGES_KEPT; i++)
		pages[i].used = false;
}

/* The counts after u0 for a client of revision 3 or older (0), the records
 * as stored (1), their images, which a client of revision 6 on asks for (2). */
static int page_form(uint64_t revision, bool images)
{
	return revision < 4 ? 0 : images ? 2 : 1;
}

static list_page *page_find(int status, size_t limit, bool counts, int form)
{
	for (size_t i = 0; i < PAGES_KEPT; i++) {
		list_page *p = &pages[i];
		if (p->used && p->status == status && p->limit == limit && p->counts == counts && p->form == form)
			return p;
	}
	return NULL;
}

/* Where a page read now is kept: its own slot, a free one, or the one
 * sent longest ago. */
static list_page *page_slot(int status, size_t limit, bool counts, int form)
{
	list_page *p = page_find(status, limit, counts, form);
	for (size_t i = 0; !p && i < PAGES_KEPT; i++)
		if (!pages[i].used)
			p = &pages[i];
	if (p)
		return p;
	p = &pages[0];
	for (size_t i = 1; i < PAGES_KEPT; i++)
		if (pages[i].last < p->last)
			p = &pages[i];
	return p;
}

static bool any_attached(const server *s)
{
	for (size_t i = 0; i < s->n_conns; i++)
		if (!s->conns[i]->dead && s->conns[i]->n_att)
			return true;
	return remote_any_leased() || (s->on_reader ? s->att_unknown : leases_any_elsewhere());
}

/* Appends the ids among `ids` (tagged bytes) whose engine is attached now. */
static int add_attached(server *s, record_buf *b, const record_buf *ids)
{
	if (!any_attached(s))
		return 0;
	tag_reader r = { ids->data, ids->data + ids->len };
	int rc = 0;
	uint64_t key, n;
	while (r.p < r.end && !rc) {
		if (tag_read_varint(&r, &key) < 0 || tag_read_varint(&r, &n) < 0 || n > (uint64_t)(r.end - r.p))
			return -1;
		const char *id = (const char *)r.p;
		r.p += n;
		if (n && is_attached(s, id, (size_t)n))
			rc = wire_blob_add(b, id, (size_t)n);
	}
	return rc;
}

static store_code op_list(req *q)
{
	server *s = q->s;
	const ops_val *cursor = ARG(LIST, cursor);
	store_cursor cur;
	memset(&cur, 0, sizeof cur);
	memcpy(cur.key, cursor->s, cursor->len); /* within its bound: ops_check */
	cur.len = cursor->len;
	int status = (int)ARG(LIST, status)->u - 1;
	bool newer = ARG(LIST, newer)->u != 0;
	bool want_counts = ARG(LIST, counts)->u != 0;
	int form = page_form(q->c->revision, ARG(LIST, images)->u != 0);
	bool legacy = form == 0;
	size_t limit = ARG(LIST, limit)->u > 100000 ? 100000 : (size_t)ARG(LIST, limit)->u;
	/* the newest page of a status (or of all): kept until the next change */
	bool newest = cur.len == 0 && !newer && status < EXEC_STATUS_COUNT && repl_keeps_pages(s);
	uint64_t gen = dbs_last_generation(s->db);
	list_page *kept = newest ? page_find(status, limit, want_counts, form) : NULL;
	record_buf *b = ok(q);
	if (kept && kept->gen == gen) {
		kept->last = ++pages_clock;
		q->rc |= tag_put_raw(b, kept->fields.data, kept->fields.len) | add_attached(s, b, &kept->ids);
		return STORE_OK;
	}
	/* the records go out as the index holds them: the client decodes */
	size_t mark = b->len;
	record_buf ids = { 0 };
	blob_out o = { b, b->len, 0, s, NULL, 0, newest ? &ids : NULL, newest && form == 2, { 0 } };
	size_t n = 0;
	store_code code = dbs_list_raw(s->db, status, &cur, newer, limit, blob_emit, &o, &n, &q->err);
	if (code == STORE_OK)
		q->rc |= o.rc | wire_s(b, 0, cur.key, cur.len) | wire_u(b, 0, cur.done) | wire_u(b, 6, n);
	uint64_t counts[EXEC_STATUS_COUNT], g = 0;
	if (code == STORE_OK && want_counts) /* and the counts: one round trip */
		code = dbs_counts(s->db, counts, &g, &q->err);
	if (code == STORE_OK && want_counts) {
		for (int i = 0; i < EXEC_STATUS_COUNT; i++)
			q->rc |= wire_u(b, WIRE_LIST_COUNTS + i, counts[i]);
		q->rc |= wire_u(b, WIRE_LIST_GEN, g);
		/* a client of revision 3 or older reads them after u0, then the
		 * generation (the layout a fifth status would break) */
		for (int i = 0; legacy && i < EXEC_STATUS_COUNT && 1 + i < 6; i++)
			q->rc |= wire_u(b, 1 + i, counts[i]);
		if (legacy && 1 + EXEC_STATUS_COUNT < 6)
			q->rc |= wire_u(b, 1 + EXEC_STATUS_COUNT, g);
	}
	/* kept when nothing changed while it was read and nothing was skipped */
	if (code == STORE_OK && newest && !q->rc && !q->err.msg[0] && dbs_last_generation(s->db) == gen) {
		list_page *p = page_slot(status, limit, want_counts, form);
		p->used = false;
		p->fields.len = 0;
		if (tag_put_raw(&p->fields, b->data + mark, b->len - mark) == 0) {
			record_buf_free(&p->ids);
			p->ids = ids;
			ids = (record_buf){ 0 };
			*p = (list_page){ true, gen, status, limit, want_counts, form, ++pages_clock, p->fields, p->ids };
		}
	}
	record_buf_free(&ids);
	/* then the ids of the page whose engine is attached */
	for (size_t i = 0; code == STORE_OK && i < o.n_att && !q->rc; i++)
		q->rc |= wire_blob_add(b, o.att[i], strlen(o.att[i]));
	blob_out_free(&o);
	return code;
}

/* Execution records as blobs, each saying whether its engine is attached. */
static void reply_execs(req *q, record_exec *v, size_t n)
{
	record_buf *b = ok(q), r = { 0 };
	for (size_t i = 0; i < n && !q->rc; i++) {
		q->rc |= encode_exec_out(q->s, &v[i], &r);
		q->rc |= wire_blob_add(b, r.data, r.len);
	}
	record_buf_free(&r);
	record_exec_array_free(v, n);
}

static store_code op_paused(req *q)
{
	record_exec *v = NULL;
	size_t n = 0;
	store_code code = dbs_paused(q->s->db, &v, &n, &q->err);
	if (code == STORE_OK)
		reply_execs(q, v, n);
	return code;
}

static store_code op_each(req *q)
{
	size_t limit = ARG(EACH, limit)->u == 0 || ARG(EACH, limit)->u > 4096 ? 4096 : (size_t)ARG(EACH, limit)->u;
	each_out o = { ok(q), 0, 0, false };
	store_code code = dbs_each(q->s->db, opt(ARG(EACH, after)), limit, each_one, &o, &q->err);
	q->c->each_done = code != STORE_OK || (o.n < limit && !o.full); /* its snapshot may go */
	if (code == STORE_OK)
		q->rc |= o.rc | wire_u(q->b, 0, o.n < limit && !o.full);
	return code;
}

static store_code op_pause(req *q)
{
	return dbs_pause_task(q->s->db, q->cx, ARG(PAUSE, exec)->s, ARG(PAUSE, task)->s, &q->err);
}

static store_code op_resume_wf(req *q)
{
	return dbs_resume_workflow(q->s->db, q->cx, ARG(RESUME_WF, exec)->s, &q->err);
}

static store_code op_resume_task(req *q)
{
	const ops_val *value = ARG(RESUME_TASK, value);
	return dbs_resume_task(q->s->db, q->cx, ARG(RESUME_TASK, exec)->s, ARG(RESUME_TASK, task)->s, opt(value),
			       value->len, &q->err);
}

/* A page of events as blobs, or why it could not be read. */
static store_code reply_events(req *q, store_code code, record_event *v, size_t n)
{
	if (code != STORE_OK)
		return code;
	record_buf *b = ok(q), r = { 0 };
	for (size_t i = 0; i < n && !q->rc; i++) {
		q->rc |= record_encode_event(&v[i], &r);
		q->rc |= wire_blob_add(b, r.data, r.len);
	}
	record_buf_free(&r);
	record_event_array_free(v, n);
	return code;
}

/* A page's length: 0 or past the most, the most. */
static size_t page_limit(uint64_t asked)
{
	return asked == 0 || asked > 100000 ? 100000 : (size_t)asked;
}

static store_code op_events(req *q)
{
	record_event *v = NULL;
	size_t n = 0;
	store_code code = dbs_events(q->s->db, opt(ARG(EVENTS, exec)), ARG(EVENTS, before)->u,
				     page_limit(ARG(EVENTS, limit)->u), &v, &n, &q->err);
	return reply_events(q, code, v, n);
}

static store_code op_events_after(req *q)
{
	record_event *v = NULL;
	size_t n = 0;
	store_code code = dbs_events_after(q->s->db, opt(ARG(EVENTS_AFTER, exec)), ARG(EVENTS_AFTER, after)->u,
					   page_limit(ARG(EVENTS_AFTER, limit)->u), &v, &n, &q->err);
	return reply_events(q, code, v, n);
}

static store_code op_verify(req *q)
{
	verify_out o = { ok(q), 0, 0 };
	o.start = o.b->len;
	size_t problems = 0;
	store_code code = dbs_verify(q->s->db, verify_one, &o, &problems, &q->err);
	if (code == STORE_OK)
		q->rc |= wire_u(q->b, 0, problems);
	return code;
}

static store_code op_checkpoint(req *q)
{
	return dbs_checkpoint(q->s->db, &q->err);
}

static store_code op_wait(req *q)
{
	conn *c = q->c;
	uint64_t timeout = ARG(WAIT, timeout)->u;
	c->waiting = true;
	c->wait_gen = ARG(WAIT, generation)->u;
	c->wait_deadline = srv_now_ms() + (int64_t)(timeout > 3600000 ? 3600000 : timeout);
	q->b->len = 0;
	return answered(q, 0);
}

static store_code op_subscribe(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	c->subscribed = true;
	c->push_rows = ARG(SUBSCRIBE, rows)->u != 0;
	/* it joins the pushes to every subscriber: the next one follows the
	 * last one sent (its rows may hold changes it reads now anyway) */
	if (!s->push_any)
		s->push_from = s->gen;
	c->push_from = s->push_from;
	q->rc |= wire_u(ok(q), 0, s->gen);
	return STORE_OK;
}

static store_code op_status(req *q)
{
	server *s = q->s;
	dbs_stats st;
	store_code code = dbs_stats_read(s->db, &st, &q->err);
	if (code != STORE_OK)
		return code;
	record_buf *b = ok(q);
	q->rc |= wire_u(b, 0, (uint64_t)getpid()) | wire_u(b, 1, (uint64_t)(time(NULL) - s->started)) |
		 wire_u(b, 2, conn_count(s)) | wire_u(b, 3, s->gen) | wire_u(b, 4, st.cache_bytes) |
		 wire_u(b, 5, st.cache_used_bytes) | wire_u(b, 6, st.log_file) | wire_u(b, 7, st.log_offset) |
		 wire_u(b, WIRE_STATUS_REQUESTS, s->requests) | wire_u(b, WIRE_STATUS_REQUESTS + 1, s->requests_ro);
	uint64_t queued = 0, ran = 0, failed = 0;
	store_err qe;
	dbs_outbox_count(s->db, &queued, &qe);
	dbs_hook_counts(s->db, &ran, &failed, &qe);
	q->rc |= wire_u(b, WIRE_STATUS_HOOKS, ran) | wire_u(b, WIRE_STATUS_HOOKS + 1, failed) |
		 wire_u(b, WIRE_STATUS_HOOKS + 2, queued);
	if (q->c->revision < 4) { /* a client of revision 3 or older reads them as text */
		char h[128];
		snprintf(h, sizeof h, "run %llu failed %llu pending %llu", (unsigned long long)ran,
			 (unsigned long long)failed, (unsigned long long)queued);
		q->rc |= wire_blob_add(b, h, strlen(h));
	}
	return code;
}

static store_code op_stop(req *q)
{
	srv_log(q->s, "stop asked by pid %ld", (long)q->c->pid);
	q->s->stop = true;
	srv_mark_stopped(q->s);
	return STORE_OK;
}

static store_code op_backup(req *q)
{
	const char *dir = ARG(BACKUP, dir)->s;
	store_code code = dbs_backup(q->s->db, dir, &q->err);
	if (code == STORE_OK)
		srv_log(q->s, "backup written to %s", dir);
	return code;
}

static store_code op_exec_start(req *q)
{
	server *s = q->s;
	const ops_val *def = ARG(EXEC_START, definition);
	uint64_t pid = ARG(EXEC_START, pid)->u;
	const char *host = ARG(EXEC_START, host)->s;
	store_item it;
	char why[256];
	if (def->n != 1 || wire_item_decode(def->blobs[0].p, def->blobs[0].len, &it, why, sizeof why) < 0)
		return err_set(&q->err, STORE_INVALID_INPUT, "a malformed definition: %s", def->n != 1 ? "no item" : why);
	store_code code = attach_check(s, q->who, it.exec.id, pid, host, &q->err);
	if (code == STORE_OK)
		code = dbs_exec_start(s->db, q->cx, &it, pid, host, &q->err);
	if (code == STORE_OK) {
		handle_lease_add(q->who, it.exec.id, pid, host);
		conn_note_changed(s, it.exec.id);
	}
	store_item_free(&it);
	return code;
}

static store_code op_attach(req *q)
{
	const char *exec = ARG(ATTACH, exec)->s, *host = ARG(ATTACH, host)->s;
	uint64_t pid = ARG(ATTACH, pid)->u;
	store_code code = attach_check(q->s, q->who, exec, pid, host, &q->err);
	if (code == STORE_OK)
		code = dbs_attach(q->s->db, q->cx, exec, pid, host, &q->err);
	if (code == STORE_OK)
		handle_lease_add(q->who, exec, pid, host);
	return code;
}

static store_code op_task_begin(req *q)
{
	return dbs_task_begin(q->s->db, q->cx, ARG(TASK_BEGIN, exec)->s, ARG(TASK_BEGIN, task)->s, &q->err);
}

static store_code op_task_complete(req *q)
{
	return dbs_task_complete(q->s->db, q->cx, ARG(TASK_COMPLETE, exec)->s, ARG(TASK_COMPLETE, task)->s, &q->err);
}

static store_code op_task_fail(req *q)
{
	return dbs_task_fail(q->s->db, q->cx, ARG(TASK_FAIL, exec)->s, ARG(TASK_FAIL, task)->s,
			     ARG(TASK_FAIL, reason)->s, &q->err);
}

static store_code op_task_log(req *q)
{
	const ops_val *lines = ARG(TASK_LOG, lines);
	record_text *v = calloc(lines->n ? lines->n : 1, sizeof *v);
	if (!v)
		return err_set(&q->err, STORE_STORAGE, "out of memory");
	for (size_t i = 0; i < lines->n; i++) {
		v[i].s = (char *)lines->blobs[i].p; /* not NUL-terminated: the store copies by length */
		v[i].len = lines->blobs[i].len;
	}
	uint64_t count = 0;
	store_code code = dbs_task_log(q->s->db, q->cx, ARG(TASK_LOG, exec)->s, ARG(TASK_LOG, task)->s, v, lines->n,
				       &count, &q->err);
	free(v);
	if (code == STORE_OK)
		q->rc |= wire_u(ok(q), 0, count);
	return code;
}

static store_code op_task_request(req *q)
{
	const ops_val *def = ARG(TASK_REQUEST, def);
	bool has_def = ARG(TASK_REQUEST, has_default)->u && def->n;
	uint64_t type = ARG(TASK_REQUEST, type)->u, on_timeout = ARG(TASK_REQUEST, on_timeout)->u;
	store_input_request rq = { ARG(TASK_REQUEST, prompt)->s,
				   (record_input_type)(type > INPUT_BOOLEAN ? 99 : type),
				   has_def ? def->strs[0] : NULL,
				   has_def ? def->blobs[0].len : 0,
				   ARG(TASK_REQUEST, required)->u != 0,
				   ARG(TASK_REQUEST, timeout)->u,
				   (record_on_timeout)(on_timeout > TIMEOUT_SKIP ? 99 : on_timeout) };
	return dbs_task_request_input(q->s->db, q->cx, ARG(TASK_REQUEST, exec)->s, ARG(TASK_REQUEST, task)->s, &rq,
				      &q->err);
}

static store_code op_reject(req *q)
{
	return dbs_task_reject(q->s->db, q->cx, ARG(REJECT, exec)->s, opt(ARG(REJECT, task)), ARG(REJECT, reason)->s,
			       &q->err);
}

static store_code op_cancel(req *q)
{
	return dbs_exec_cancel(q->s->db, q->cx, ARG(CANCEL, exec)->s, ARG(CANCEL, reason)->s, &q->err);
}

static store_code op_notify_add(req *q)
{
	const ops_val *argv = ARG(NOTIFY_ADD, argv);
	uint64_t id = 0;
	store_code code = dbs_hook_add(q->s->db, q->cx, ARG(NOTIFY_ADD, on)->s, argv->strs, argv->n, &id, &q->err);
	if (code != STORE_OK)
		return code;
	srv_log(q->s, "hook %llu added by %s", (unsigned long long)id, q->who->user);
	conn_note_changed(q->s, NULL);
	q->rc |= wire_u(ok(q), 0, id);
	return code;
}

/* A hook as a blob: its id, its events, then its command and arguments
 * (shown to the home's owner only: they may hold a token), each
 * NUL-terminated. */
static int hook_blob(record_buf *b, const store_hook *h, bool with_command)
{
	char id[32];
	snprintf(id, sizeof id, "%llu", (unsigned long long)h->id);
	record_buf out = { 0 };
	int rc = tag_put_raw(&out, id, strlen(id) + 1) | tag_put_raw(&out, h->on, strlen(h->on) + 1);
	for (size_t k = 0; with_command && k < h->argc && !rc; k++)
		rc = tag_put_raw(&out, h->argv[k], strlen(h->argv[k]) + 1);
	rc = rc ? -1 : wire_blob_add(b, out.data, out.len);
	record_buf_free(&out);
	return rc;
}

static store_code op_notify_list(req *q)
{
	store_hook *v;
	size_t n;
	store_code code = dbs_hook_list(q->s->db, &v, &n, &q->err);
	if (code != STORE_OK)
		return code;
	record_buf *b = ok(q);
	for (size_t i = 0; i < n && !q->rc; i++)
		q->rc |= hook_blob(b, &v[i], q->cx->owner);
	store_hook_array_free(v, n);
	return code;
}

static store_code op_notify_remove(req *q)
{
	uint64_t id = ARG(NOTIFY_REMOVE, id)->u;
	store_code code = dbs_hook_remove(q->s->db, q->cx, id, &q->err);
	if (code == STORE_OK) {
		srv_log(q->s, "hook %llu removed by %s", (unsigned long long)id, q->who->user);
		conn_note_changed(q->s, NULL);
	}
	return code;
}

static store_code op_respondents(req *q)
{
	const ops_val *names = ARG(RESPONDENTS, names);
	return dbs_task_respondents(q->s->db, q->cx, ARG(RESPONDENTS, exec)->s, ARG(RESPONDENTS, task)->s, names->strs,
				    names->n, ARG(RESPONDENTS, no_self)->u != 0, &q->err);
}

static store_code op_deadline(req *q)
{
	uint64_t on_timeout = ARG(DEADLINE, on_timeout)->u;
	return dbs_task_deadline(q->s->db, q->cx, ARG(DEADLINE, exec)->s, ARG(DEADLINE, task)->s,
				 ARG(DEADLINE, seconds)->u, (record_on_timeout)(on_timeout > TIMEOUT_SKIP ? 99 : on_timeout),
				 &q->err);
}

static store_code op_exec_finish(req *q)
{
	uint64_t status = ARG(EXEC_FINISH, status)->u;
	return dbs_exec_finish(q->s->db, q->cx, ARG(EXEC_FINISH, exec)->s,
			       (exec_status)(status > EXEC_FAILED ? 99 : status), &q->err);
}

static store_code op_task_logs(req *q)
{
	record_text *v = NULL;
	size_t n = 0;
	uint64_t total = 0;
	store_code code = dbs_task_logs(q->s->db, ARG(TASK_LOGS, exec)->s, ARG(TASK_LOGS, task)->s,
					ARG(TASK_LOGS, from)->u, page_limit(ARG(TASK_LOGS, limit)->u), &v, &n, &total,
					&q->err);
	if (code == STORE_OK) {
		record_buf *b = ok(q);
		q->rc |= wire_u(b, 0, total);
		for (size_t i = 0; i < n && !q->rc; i++)
			q->rc |= wire_blob_add(b, v[i].s, v[i].len);
	}
	for (size_t i = 0; i < n; i++)
		record_text_free(&v[i]);
	free(v);
	return code;
}

static store_code op_repl_status(req *q)
{
	int r = repl_status_reply(q->s, ARG(REPL_STATUS, typed)->u != 0, q->b, &q->err);
	if (r > 0)
		return q->err.code;
	q->rc |= r;
	return STORE_OK;
}

static store_code op_repl_leave(req *q)
{
	return repl_leave(q->s, &q->err) ? q->err.code : STORE_OK;
}

/* The handler of each operation the server runs: the last column of its
 * row in ops.h (HELLO is the connection's own; replies and pushes are
 * never requests). */
#define HANDLER_(code, name, flags, args, reply, action, handler) [OP_##code] = handler,
static store_code (*const handlers[OP_COUNT_])(req *q) = { OPS(HANDLER_) };

/* The connection's first frame: its flags and revision; an older server
 * makes way for the owner's newer client. */
static bool handle_hello(req *q)
{
	server *s = q->s;
	conn *c = q->c;
	record_buf *b = q->b;
	uint64_t revision = ARG(HELLO, revision)->u;
	c->ro_asked = (ARG(HELLO, flags)->u & WIRE_READ_ONLY) != 0;
	c->revision = revision;
	c->read_only = c->read_only || c->ro_asked;
	/* a newer client: this server is the old one of an upgrade; the
	 * owner's client has it make way, anyone else hears why */
	bool newer = revision > wire_revision();
	if (newer && c->uid == geteuid() && !s->stop) {
		srv_log(s, "client pid %ld speaks revision %llu, this server %llu: making way for a newer server",
			(long)c->pid, (unsigned long long)revision, (unsigned long long)wire_revision());
		s->stop = true;
	}
	int rc = wire_begin(b, OP_REPLY) | wire_code(b, STORE_OK) | wire_u(b, 0, c->read_only ? WIRE_READ_ONLY : 0) |
		 wire_u(b, 1, (uint64_t)getpid()) | wire_u(b, 2, s->stop);
	if (newer && !s->stop) {
		store_err e;
		err_set(&e, STORE_STORAGE, "the store server of '%s' is older than this program (protocol revision %llu, "
			"not %llu): its owner's next command restarts it", s->home, (unsigned long long)wire_revision(),
			(unsigned long long)revision);
		rc = conn_reply_err(b, &e);
	} else if (!s->db) {
		rc = conn_reply_err(b, &s->open_err);
	}
	return rc == 0;
}

/* Refuses a change to one who may only read; true when refused.  One who
 * may only read may still answer or reject a task that names them: the
 * store checks the respondents. */
static bool refuse_read_only(server *s, conn *c, const conn *who, const wire_msg *m)
{
	bool answer = ops_is_answer(m->op, m->has_s[1]);
	if (!ops_is_change(m->op) || !who->read_only || (answer && !who->ro_asked))
		return false;
	store_err err;
	if (!who->owner)
		err_set(&err, STORE_READ_ONLY, "store is read-only for user %ld: only the owner of '%s' may change it",
			(long)who->uid, s->home);
	else
		err_set(&err, STORE_READ_ONLY, "store is open read-only");
	conn_reply_err(&c->held, &err);
	return true;
}

/* Runs the request's handler, then the tail every handler shares. */
static bool run(req *q, const ops_def *row)
{
	server *s = q->s;
	conn *c = q->c;
	record_buf *b = q->b;
	store_code code = handlers[q->m->op](q);
	if (q->answered)
		return q->rc == 0;
	int rc = q->rc;
	if (code != STORE_OK) {
		c->held_sync = false;
		if (code == STORE_STORAGE)
			srv_log(s, "%s", q->err.msg);
		return conn_reply_err(b, &q->err) == 0;
	}
	if (b->len == 0)
		rc |= conn_reply_ok(b);
	if ((row->flags & OPS_CHANGE) && q->cx->req_found) /* made before, its answer lost: the same answer again */
		rc = conn_reply_ok(b) | wire_u(b, 0, q->cx->req_kept);
	if ((row->flags & OPS_CHANGE) && row->args[0].id && strcmp(row->args[0].id, "exec") == 0) {
		conn_note_changed(s, q->a.v[0].s);
		if (s->die_after && !q->cx->req_found && strcmp(s->die_after, q->a.v[0].s) == 0)
			s->die_now = true;
	}
	if (q->err.msg[0]) /* a note on a success: what a list skipped */
		rc |= wire_str(b, 3, q->err.msg);
	return rc == 0;
}

/* Runs one request; the answer goes to c->held (sent after the batch's
 * flush).  Returns false when the frame breaks the protocol. */
bool handle_request(server *s, conn *c, const wire_msg *m, const record_buf *frame)
{
	const ops_def *row = ops_find(m->op);
	req q = { .s = s, .c = c, .m = m, .frame = frame, .b = &c->held };
	char why[200];
	if (m->op == OP_HELLO) {
		bool fine = ops_decode(m, &q.a, why, sizeof why) == 0 && handle_hello(&q);
		ops_args_free(&q.a);
		return fine;
	}
	s->requests++;
	if (c->read_only)
		s->requests_ro++;
	if (!s->db) {
		conn_reply_err(&c->held, &s->open_err);
		return true;
	}
	/* a long read goes to a reader thread, which runs it through here */
	if (row && (row->flags & OPS_HEAVY) && readers_take(s, c, m, frame))
		return true;
	/* whom it is made for: its client, or the one a replica forwarded it for */
	conn *who = s->on_reader ? NULL : remote_for(s, c, m);
	q.who = who ? who : c;
	if (refuse_read_only(s, c, q.who, m)) {
		remote_done(who);
		return true;
	}
	/* who this request acts for, passed to the change it makes */
	char actor[OPS_ACTOR_MAX + 1] = "";
	const char *groups[32];
	for (size_t i = 0; i < q.who->n_groups; i++)
		groups[i] = q.who->groups[i];
	if (m->has_s[OPS_ACTOR_SLOT] && m->s[OPS_ACTOR_SLOT].len < sizeof actor)
		memcpy(actor, m->s[OPS_ACTOR_SLOT].p, m->s[OPS_ACTOR_SLOT].len);
	dbs_ctx cx = {
		.user = q.who->user,
		.groups = groups,
		.n_groups = q.who->n_groups,
		.owner = q.who->owner,
		.actor = m->has_s[OPS_ACTOR_SLOT] ? actor : NULL,
		.req = m->req.len && m->req.len <= sizeof c->stage_req ? m->req.p : NULL,
		.req_len = m->req.len <= sizeof c->stage_req ? m->req.len : 0,
		.no_sync = (m->flags & WIRE_NO_SYNC) != 0,
	};
	q.cx = &cx;
	c->held_sync = row && (row->flags & OPS_SYNC) && !(m->flags & WIRE_NO_SYNC);
	/* an argument over its bound, or a NUL byte in a text, is refused by
	 * name, never cut */
	int d = ops_decode(m, &q.a, why, sizeof why);
	if (d < 0) {
		store_err err;
		err_set(&err, d == -2 ? STORE_STORAGE : STORE_INVALID_INPUT, "%s", d == -2 ? "out of memory" : why);
		c->held_sync = false;
		ops_args_free(&q.a);
		remote_done(who);
		return conn_reply_err(&c->held, &err) == 0;
	}
	if (handlers[m->op] && repl_intercept(s, c, m, frame)) { /* a replica's change: the master makes it */
		ops_args_free(&q.a);
		remote_done(who);
		return true;
	}
	bool fine = handlers[m->op] ? run(&q, row) : false;
	ops_args_free(&q.a);
	remote_done(who);
	return fine;
}
