/* wire.c - frames and messages of the server protocol (see wire.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tag.h"
#include "wire.h"

enum {
	T_OP = 1,
	T_CODE = 2,
	T_FLAGS = 3,
	T_REQ = 4,
	T_FRAME = 5,
	T_U = 8,  /* 8..15: u0..u7 */
	T_S = 16, /* 16..19 */
	T_BLOB = 24,
	T_U_HIGH = 32, /* 32..39: u8..u15 */
	T_FWD = 40,    /* a forwarded change's envelope */
};

#define HDR 4

int wire_begin(record_buf *b, unsigned op)
{
	b->len = 0;
	static const unsigned char head[HDR + 3] = { 0, 0, 0, 0, 'S', 'W', WIRE_VERSION };
	if (tag_put_raw(b, head, sizeof head) < 0)
		return -1;
	return tag_put_varint(b, T_OP, op);
}

int wire_u(record_buf *b, int i, uint64_t v)
{
	return tag_put_varint(b, i < 8 ? T_U + (unsigned)i : T_U_HIGH + (unsigned)(i - 8), v);
}

int wire_s(record_buf *b, int i, const void *p, size_t n)
{
	return tag_put_bytes(b, T_S + (unsigned)i, p, n);
}

int wire_str(record_buf *b, int i, const char *s)
{
	return s ? wire_s(b, i, s, strlen(s)) : 0;
}

int wire_flags(record_buf *b, unsigned flags)
{
	return tag_put_varint(b, T_FLAGS, flags);
}

int wire_code(record_buf *b, unsigned code)
{
	return tag_put_varint(b, T_CODE, code);
}

int wire_req(record_buf *b, const void *id, size_t n)
{
	return tag_put_bytes(b, T_REQ, id, n);
}

int wire_frame_no(record_buf *b, uint64_t n)
{
	return tag_put_varint(b, T_FRAME, n);
}

int wire_fwd(record_buf *b, const void *p, size_t n)
{
	return tag_put_bytes(b, T_FWD, p, n);
}

int wire_blob_add(record_buf *b, const void *p, size_t n)
{
	return tag_put_bytes(b, T_BLOB, p, n);
}

/* A blob whose length is written once known: 5 bytes of varint, padded with
 * continuation bits (the reader accepts any length of varint up to 64 bits). */
size_t wire_blob_start(record_buf *b)
{
	if (tag_put_uvarint(b, (uint64_t)T_BLOB << 1 | TAG_BYTES) < 0 || tag_reserve(b, 5) < 0)
		return 0;
	size_t at = b->len;
	memset(b->data + at, 0x80, 4);
	b->data[at + 4] = 0;
	b->len += 5;
	return at;
}

int wire_blob_end(record_buf *b, size_t start)
{
	if (start == 0)
		return -1;
	size_t n = b->len - start - 5;
	if (n >= (size_t)1 << 35)
		return -1;
	for (int i = 0; i < 5; i++)
		b->data[start + (size_t)i] = (unsigned char)((n >> (7 * i)) & 0x7f) | (i < 4 ? 0x80 : 0);
	return 0;
}

int wire_finish(record_buf *b)
{
	if (b->len < HDR || b->len - HDR > WIRE_FRAME_MAX)
		return -1;
	size_t n = b->len - HDR;
	b->data[0] = (unsigned char)(n >> 24);
	b->data[1] = (unsigned char)(n >> 16);
	b->data[2] = (unsigned char)(n >> 8);
	b->data[3] = (unsigned char)n;
	return 0;
}

bool wire_frame_len(const unsigned char hdr[4], size_t *len)
{
	*len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	return *len >= 3 && *len <= WIRE_FRAME_MAX;
}

static int add_blob(wire_msg *m, const unsigned char *p, size_t n)
{
	if (m->n_blobs == m->cap_blobs) {
		size_t cap = m->cap_blobs ? m->cap_blobs * 2 : 64; /* a list's page in one */
		wire_blob *v = realloc(m->blobs, cap * sizeof *v);
		if (!v)
			return -1;
		m->blobs = v;
		m->cap_blobs = cap;
	}
	m->blobs[m->n_blobs].p = p;
	m->blobs[m->n_blobs].len = n;
	m->n_blobs++;
	return 0;
}

int wire_decode(const void *payload, size_t len, wire_msg *m, char *why, size_t whylen)
{
	memset(m, 0, sizeof *m);
	tag_reader r = { payload, (const unsigned char *)payload + len };
	if (len < 3 || r.p[0] != 'S' || r.p[1] != 'W') {
		snprintf(why, whylen, "not a seestore protocol frame");
		return -1;
	}
	if (r.p[2] != WIRE_VERSION) {
		snprintf(why, whylen, "protocol version %u, this side speaks %u", r.p[2], WIRE_VERSION);
		return -1;
	}
	r.p += 3;
	while (r.p < r.end) {
		uint64_t key, v = 0, n = 0;
		if (tag_read_varint(&r, &key) < 0)
			goto truncated;
		unsigned tag = key >> 1 > 0xffff ? 0 : (unsigned)(key >> 1);
		if ((key & 1) == TAG_VARINT) {
			if (tag_read_varint(&r, &v) < 0)
				goto truncated;
			if (tag == T_OP)
				m->op = v < OP_COUNT_ ? (unsigned)v : 0;
			else if (tag == T_CODE)
				m->code = v <= STORE_STORAGE ? (unsigned)v : STORE_STORAGE;
			else if (tag == T_FLAGS)
				m->flags = (unsigned)v;
			else if (tag == T_FRAME) {
				m->frame = v;
				m->has_frame = true;
			}
			else if (tag >= T_U && tag < T_U + 8)
				m->u[tag - T_U] = v;
			else if (tag >= T_U_HIGH && tag < T_U_HIGH + WIRE_U - 8)
				m->u[8 + tag - T_U_HIGH] = v;
			continue;
		}
		if (tag_read_varint(&r, &n) < 0 || n > (uint64_t)(r.end - r.p))
			goto truncated;
		const unsigned char *p = r.p;
		r.p += n;
		if (tag == T_REQ) {
			m->req.p = p;
			m->req.len = (size_t)n;
		} else if (tag == T_FWD) {
			m->fwd.p = p;
			m->fwd.len = (size_t)n;
		} else if (tag >= T_S && tag < T_S + WIRE_S) {
			m->s[tag - T_S].p = p;
			m->s[tag - T_S].len = (size_t)n;
			m->has_s[tag - T_S] = true;
		} else if (tag == T_BLOB && add_blob(m, p, (size_t)n) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	if (m->op == 0) {
		snprintf(why, whylen, "a frame without a known operation");
		return -1;
	}
	return 0;
truncated:
	snprintf(why, whylen, "a truncated frame");
	return -1;
}

void wire_msg_free(wire_msg *m)
{
	free(m->blobs);
	m->blobs = NULL;
	m->n_blobs = m->cap_blobs = 0;
}

/* An item: the execution record, then each task record, each as a varint
 * length and its bytes; then, when it carries events, a zero length (no
 * record is empty) and each event record the same way. */
int wire_item_body(record_buf *b, const store_item *it)
{
	record_buf rec = { 0 };
	int rc = record_encode_exec(&it->exec, &rec);
	if (!rc)
		rc = tag_put_uvarint(b, rec.len) < 0 || tag_put_raw(b, rec.data, rec.len) < 0 ? -1 : 0;
	for (size_t i = 0; i < it->n_tasks && !rc; i++) {
		rc = record_encode_task(&it->tasks[i], &rec);
		if (!rc)
			rc = tag_put_uvarint(b, rec.len) < 0 || tag_put_raw(b, rec.data, rec.len) < 0 ? -1 : 0;
	}
	if (it->n_events && !rc)
		rc = tag_put_uvarint(b, 0) < 0 ? -1 : 0;
	for (size_t i = 0; i < it->n_events && !rc; i++) {
		rc = record_encode_event(&it->events[i], &rec);
		if (!rc)
			rc = tag_put_uvarint(b, rec.len) < 0 || tag_put_raw(b, rec.data, rec.len) < 0 ? -1 : 0;
	}
	record_buf_free(&rec);
	return rc ? -1 : 0;
}

int wire_item_encode(record_buf *b, const store_item *it)
{
	size_t at = wire_blob_start(b);
	if (!at || wire_item_body(b, it) < 0)
		return -1;
	return wire_blob_end(b, at);
}

/* Room for one more of n elements (doubling *cap), at most max of them; 0 or -1. */
static int grow(void **arr, size_t n, size_t *cap, size_t size, size_t max)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	if (n >= max)
		return -1;
	void *v = realloc(*arr, nc * size);
	if (!v)
		return -1;
	*arr = v;
	*cap = nc;
	return 0;
}

int wire_item_decode(const void *p, size_t n, store_item *it, char *why, size_t whylen)
{
	memset(it, 0, sizeof *it);
	tag_reader r = { p, (const unsigned char *)p + n };
	uint64_t len;
	if (tag_read_varint(&r, &len) < 0 || len > (uint64_t)(r.end - r.p)) {
		snprintf(why, whylen, "a truncated item");
		return -1;
	}
	if (record_decode_exec(r.p, (size_t)len, &it->exec, why, whylen) < 0)
		return -1;
	r.p += len;
	size_t cap = 0;
	bool events = false;
	while (r.p < r.end) {
		if (tag_read_varint(&r, &len) < 0 || len > (uint64_t)(r.end - r.p)) {
			snprintf(why, whylen, "a truncated item");
			goto fail;
		}
		if (len == 0 && !events) {
			events = true; /* the tasks end, the events begin */
			cap = 0;
			continue;
		}
		int rc = events ? grow((void **)&it->events, it->n_events, &cap, sizeof *it->events, STORE_EVENTS_MAX)
				: grow((void **)&it->tasks, it->n_tasks, &cap, sizeof *it->tasks, STORE_TASKS_MAX);
		if (rc < 0) {
			snprintf(why, whylen, "too many %s, or out of memory", events ? "events" : "tasks");
			goto fail;
		}
		if (events ? record_decode_event(r.p, (size_t)len, &it->events[it->n_events], why, whylen) < 0
			   : record_decode_task(r.p, (size_t)len, &it->tasks[it->n_tasks], why, whylen) < 0)
			goto fail;
		if (events)
			it->n_events++;
		else
			it->n_tasks++;
		r.p += len;
	}
	return 0;
fail:
	store_item_free(it);
	return -1;
}

uint64_t wire_revision(void)
{
	const char *v = getenv("SEESTORE_PROTOCOL_REVISION");
	char *end;
	unsigned long long r = v && *v ? strtoull(v, &end, 10) : 0;
	return r > 0 && !*end ? (uint64_t)r : WIRE_REVISION;
}

int wire_more_encode(record_buf *b, const char *exec_id, const char *task_id, const record_text *lines, size_t n)
{
	size_t at = wire_blob_start(b);
	int rc = at ? 0 : -1;
	rc = rc || tag_put_uvarint(b, 0) < 0 || tag_put_uvarint(b, strlen(exec_id)) < 0 ||
	     tag_put_raw(b, exec_id, strlen(exec_id)) < 0 || tag_put_uvarint(b, strlen(task_id)) < 0 ||
	     tag_put_raw(b, task_id, strlen(task_id)) < 0 || tag_put_uvarint(b, n) < 0 ? -1 : 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = tag_put_uvarint(b, lines[i].len) < 0 || tag_put_raw(b, lines[i].s, lines[i].len) < 0 ? -1 : 0;
	return rc ? -1 : wire_blob_end(b, at);
}

bool wire_is_more(const wire_blob *b)
{
	return b->len > 0 && b->p[0] == 0;
}

/* A length-prefixed string of the blob, in place. */
static int more_str(tag_reader *r, const unsigned char **s, size_t *len)
{
	uint64_t n;
	if (tag_read_varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
		return -1;
	*s = r->p;
	*len = (size_t)n;
	r->p += n;
	return 0;
}

int wire_more_apply(const void *p, size_t n, store_item *it, char *why, size_t whylen)
{
	tag_reader r = { p, (const unsigned char *)p + n };
	uint64_t zero, count;
	const unsigned char *id, *tid;
	size_t idlen, tidlen;
	if (tag_read_varint(&r, &zero) < 0 || zero != 0 || more_str(&r, &id, &idlen) < 0 ||
	    more_str(&r, &tid, &tidlen) < 0 || tag_read_varint(&r, &count) < 0 || count > (uint64_t)(r.end - r.p)) {
		snprintf(why, whylen, "a truncated continuation of a log");
		return -1;
	}
	if (!it->exec.id || strlen(it->exec.id) != idlen || memcmp(it->exec.id, id, idlen) != 0) {
		snprintf(why, whylen, "a continuation of a log follows another execution than its own");
		return -1;
	}
	record_task *t = NULL;
	for (size_t i = 0; i < it->n_tasks && !t; i++)
		if (strlen(it->tasks[i].task_id) == tidlen && memcmp(it->tasks[i].task_id, tid, tidlen) == 0)
			t = &it->tasks[i];
	if (!t) {
		snprintf(why, whylen, "a continuation of a log names a task its execution lacks");
		return -1;
	}
	record_text *v = realloc(t->logs, (t->n_logs + (size_t)count + 1) * sizeof *v);
	if (!v) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	t->logs = v;
	for (uint64_t k = 0; k < count; k++) {
		const unsigned char *s;
		size_t len;
		if (more_str(&r, &s, &len) < 0) {
			snprintf(why, whylen, "a truncated continuation of a log");
			return -1;
		}
		memset(&t->logs[t->n_logs], 0, sizeof t->logs[0]);
		if (record_text_set(&t->logs[t->n_logs], (const char *)s, len) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		t->n_logs++;
	}
	return 0;
}

enum { SITE_ADDR = 1, SITE_CONNECTED = 2, SITE_MASTER = 3 };

int wire_site_encode(record_buf *b, const char *addr, bool connected, bool master)
{
	record_buf f = { 0 };
	int rc = tag_put_bytes(&f, SITE_ADDR, addr, strlen(addr)) | tag_put_varint(&f, SITE_CONNECTED, connected) |
		 tag_put_varint(&f, SITE_MASTER, master);
	if (rc == 0)
		rc = wire_blob_add(b, f.data, f.len);
	record_buf_free(&f);
	return rc ? -1 : 0;
}

int wire_site_decode(const void *p, size_t n, store_repl_site *s)
{
	memset(s, 0, sizeof *s);
	tag_reader r = { p, (const unsigned char *)p + n };
	bool has_addr = false;
	while (r.p < r.end) {
		uint64_t key, v;
		if (tag_read_varint(&r, &key) < 0 || tag_read_varint(&r, &v) < 0)
			return -1;
		if ((key & 1) == TAG_VARINT) {
			if (key >> 1 == SITE_CONNECTED)
				s->connected = v != 0;
			else if (key >> 1 == SITE_MASTER)
				s->master = v != 0;
			continue;
		}
		if (v > (uint64_t)(r.end - r.p))
			return -1;
		if (key >> 1 == SITE_ADDR) {
			if (v >= sizeof s->addr || memchr(r.p, '\0', (size_t)v))
				return -1;
			memcpy(s->addr, r.p, (size_t)v);
			s->addr[v] = '\0';
			has_addr = true;
		}
		r.p += v;
	}
	return has_addr ? 0 : -1;
}
