/* record.c - tagged, versioned encoding of executions, tasks and events.
 *
 * One table per record kind describes its fields; a single encoder and a
 * single decoder walk those tables, so adding a field is adding a row. */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "ops.h"
#include "record.h"
#include "record_int.h"
#include "tag.h"


#define HEADER_MAGIC 'S'

typedef enum field_kind {
	F_STR,          /* char *, NULL = absent */
	F_STR_EMPTY,    /* char *, absent = "" */
	F_TEXT,         /* record_text, absent = empty */
	F_TEXT_OPT,     /* record_text with a presence flag */
	F_TEXTS,        /* repeated record_text: array + count */
	F_STRS,         /* repeated char *: array + count */
	F_BOOL,
	F_U64,
	F_EXEC_STATUS,  /* stored as its name, so new statuses never renumber */
	F_TASK_STATUS,
	F_INPUT_TYPE,   /* stored as its name, presence flag = has_input */
	F_ON_TIMEOUT,   /* stored as its name; fail (the default) is not written */
} field_kind;

typedef struct field {
	unsigned tag;
	field_kind kind;
	size_t off;      /* the value */
	size_t aux;      /* count (repeated) or presence flag (optional) */
	bool legacy;     /* present in the pre-pause layout */
} field;

#define FIELD(T, K, S, M) { T, K, offsetof(S, M), 0, true }
#define FIELD_AUX(T, K, S, M, A) { T, K, offsetof(S, M), offsetof(S, A), true }

static const field exec_fields[] = {
	FIELD(1, F_STR, record_exec, id),
	FIELD(2, F_TEXT, record_exec, workflow_name),
	FIELD(3, F_STR, record_exec, start_timestamp),
	FIELD(4, F_STR, record_exec, end_timestamp),
	FIELD(5, F_EXEC_STATUS, record_exec, status),
	FIELD_AUX(6, F_STRS, record_exec, task_ids, n_task_ids),
	{ 7, F_BOOL, offsetof(record_exec, is_paused), 0, false },
	{ 8, F_STR, offsetof(record_exec, paused_task_id), 0, false },
	{ 9, F_U64, offsetof(record_exec, tasks_complete), 0, false },
	{ 10, F_U64, offsetof(record_exec, version), 0, false },
	{ 11, F_U64, offsetof(record_exec, engine_pid), 0, false },
	{ 12, F_STR, offsetof(record_exec, engine_host), 0, false },
	{ 13, F_BOOL, offsetof(record_exec, engine_attached), 0, false },
	{ 14, F_STR, offsetof(record_exec, definition), 0, false },
	{ 15, F_U64, offsetof(record_exec, definition_hash), 0, false },
	{ 16, F_STR, offsetof(record_exec, started_by), 0, false },
	{ 17, F_STR, offsetof(record_exec, input_deadline), 0, false },
	{ 18, F_STR, offsetof(record_exec, deadline_from), 0, false },
};

static const field task_fields[] = {
	FIELD(1, F_STR, record_task, execution_id),
	FIELD(2, F_STR, record_task, task_id),
	FIELD(3, F_TEXT, record_task, task_name),
	FIELD(4, F_TASK_STATUS, record_task, status),
	FIELD_AUX(5, F_TEXTS, record_task, logs, n_logs),
	FIELD(6, F_STR_EMPTY, record_task, start_timestamp),
	FIELD(7, F_STR_EMPTY, record_task, end_timestamp),
	FIELD(8, F_TEXT, record_task, input_prompt),
	FIELD_AUX(9, F_INPUT_TYPE, record_task, input_type, has_input),
	FIELD_AUX(10, F_TEXT_OPT, record_task, input_default, has_input_default),
	FIELD(11, F_BOOL, record_task, input_required),
	FIELD_AUX(12, F_TEXT_OPT, record_task, input_value, has_input_value),
	{ 13, F_U64, offsetof(record_task, log_count), 0, false },
	{ 14, F_TEXT_OPT, offsetof(record_task, reason), offsetof(record_task, has_reason), false },
	{ 15, F_BOOL, offsetof(record_task, input_asked), 0, false },
	{ 16, F_STR, offsetof(record_task, input_deadline), 0, false },
	{ 17, F_ON_TIMEOUT, offsetof(record_task, on_timeout), 0, false },
	{ 18, F_STRS, offsetof(record_task, respondents), offsetof(record_task, n_respondents), false },
	{ 19, F_BOOL, offsetof(record_task, no_self_approval), 0, false },
	{ 20, F_STR, offsetof(record_task, deadline_from), 0, false },
};

static const field event_fields[] = {
	FIELD(1, F_U64, record_event, seq),
	FIELD(2, F_STR, record_event, time),
	FIELD(3, F_STR, record_event, actor),
	FIELD(4, F_STR, record_event, action),
	FIELD(5, F_STR, record_event, execution_id),
	FIELD(6, F_STR, record_event, task_id),
	FIELD(7, F_STR, record_event, status_before),
	FIELD(8, F_STR, record_event, status_after),
	FIELD_AUX(9, F_TEXT_OPT, record_event, input_value, has_input_value),
	{ 10, F_TEXT_OPT, offsetof(record_event, reason), offsetof(record_event, has_reason), false },
	{ 11, F_STR, offsetof(record_event, user), 0, false },
};

typedef struct kind_desc {
	char letter;
	const field *fields;
	size_t n;
	size_t unknown_off;
	const char *what;
} kind_desc;

static const kind_desc exec_desc = { 'E', exec_fields, sizeof exec_fields / sizeof *exec_fields,
				     offsetof(record_exec, unknown), "execution" };
static const kind_desc task_desc = { 'T', task_fields, sizeof task_fields / sizeof *task_fields,
				     offsetof(record_task, unknown), "task" };
static const kind_desc event_desc = { 'V', event_fields, sizeof event_fields / sizeof *event_fields,
				      offsetof(record_event, unknown), "event" };

/* The actions an event records: the changes of the protocol's operations
 * (their rows in ops.h name them), a save (an import under its own name)
 * and the timer's timeout. */
/* The actions of the audit trail: each operation's, from its row of the
 * operations table (0 for one that records none), and the two no request
 * names: a replacing import's "save" and the deadline timer's "timeout". */
#define ACTION_(code, name, flags, args, reply, action, handler) action,
static const char *const op_actions[] = { OPS(ACTION_) };
#undef ACTION_
static const char *const other_actions[] = { "save", "timeout" };

bool record_event_action_known(const char *action)
{
	for (size_t i = 0; action && i < sizeof op_actions / sizeof *op_actions; i++)
		if (op_actions[i] && strcmp(op_actions[i], action) == 0)
			return true;
	for (size_t i = 0; action && i < sizeof other_actions / sizeof *other_actions; i++)
		if (strcmp(other_actions[i], action) == 0)
			return true;
	return false;
}

#define AT(base, off, type) ((type *)((char *)(base) + (off)))
#define CAT(base, off, type) ((const type *)((const char *)(base) + (off)))

/* ---- small helpers ---- */

char *record_strdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *p = malloc(n + 1);
	if (p)
		memcpy(p, s, n + 1);
	return p;
}

static char *memdup_z(const void *s, size_t len)
{
	char *p = malloc(len + 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int record_text_set(record_text *t, const char *s, size_t len)
{
	char *p = memdup_z(s ? s : "", s ? len : 0);
	if (!p)
		return -1;
	free(t->s);
	t->s = p;
	t->len = s ? len : 0;
	return 0;
}

void record_text_free(record_text *t)
{
	free(t->s);
	t->s = NULL;
	t->len = 0;
}

static int put_str(record_buf *b, unsigned tag, const char *s)
{
	return tag_put_bytes(b, tag, s, strlen(s));
}

void record_buf_free(record_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---- encoding ---- */

static int encode_field(const field *f, const void *rec, record_buf *b)
{
	switch (f->kind) {
	case F_STR:
	case F_STR_EMPTY: {
		const char *s = *CAT(rec, f->off, char *);
		return s ? put_str(b, f->tag, s) : 0;
	}
	case F_TEXT: {
		const record_text *t = CAT(rec, f->off, record_text);
		return t->s ? tag_put_bytes(b, f->tag, t->s, t->len) : 0;
	}
	case F_TEXT_OPT: {
		const record_text *t = CAT(rec, f->off, record_text);
		if (!*CAT(rec, f->aux, bool))
			return 0;
		return tag_put_bytes(b, f->tag, t->s ? t->s : "", t->s ? t->len : 0);
	}
	case F_TEXTS: {
		const record_text *v = *CAT(rec, f->off, record_text *);
		size_t n = *CAT(rec, f->aux, size_t);
		for (size_t i = 0; i < n; i++)
			if (tag_put_bytes(b, f->tag, v[i].s ? v[i].s : "", v[i].s ? v[i].len : 0) < 0)
				return -1;
		return 0;
	}
	case F_STRS: {
		char *const *v = *(char **const *)((const char *)rec + f->off);
		size_t n = *CAT(rec, f->aux, size_t);
		for (size_t i = 0; i < n; i++)
			if (put_str(b, f->tag, v[i]) < 0)
				return -1;
		return 0;
	}
	case F_BOOL:
		return tag_put_varint(b, f->tag, *CAT(rec, f->off, bool) ? 1 : 0);
	case F_U64:
		return tag_put_varint(b, f->tag, *CAT(rec, f->off, uint64_t));
	case F_EXEC_STATUS:
		return put_str(b, f->tag, status_exec_name(*CAT(rec, f->off, exec_status)));
	case F_TASK_STATUS:
		return put_str(b, f->tag, status_task_name(*CAT(rec, f->off, task_status)));
	case F_INPUT_TYPE:
		if (!*CAT(rec, f->aux, bool))
			return 0;
		return put_str(b, f->tag, record_input_type_name(*CAT(rec, f->off, record_input_type)));
	case F_ON_TIMEOUT:
		if (*CAT(rec, f->off, record_on_timeout) == TIMEOUT_FAIL)
			return 0;
		return put_str(b, f->tag, record_on_timeout_name(*CAT(rec, f->off, record_on_timeout)));
	}
	return -1;
}

static int encode(const kind_desc *d, const void *rec, record_buf *b, unsigned layout)
{
	b->len = 0;
	unsigned char hdr[3] = { HEADER_MAGIC, (unsigned char)d->letter, (unsigned char)layout };
	if (tag_put_raw(b, hdr, sizeof hdr) < 0)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		if (layout < RECORD_LAYOUT && !d->fields[i].legacy)
			continue;
		if (encode_field(&d->fields[i], rec, b) < 0)
			return -1;
	}
	const record_unknown *u = CAT(rec, d->unknown_off, record_unknown);
	return tag_put_raw(b, u->bytes, u->len);
}

int record_encode_exec(const record_exec *e, record_buf *out)
{
	return encode(&exec_desc, e, out, RECORD_LAYOUT);
}

int rec_encode_exec_layout(const record_exec *e, record_buf *out, unsigned layout)
{
	return encode(&exec_desc, e, out, layout);
}

int record_encode_task(const record_task *t, record_buf *out)
{
	return encode(&task_desc, t, out, RECORD_LAYOUT);
}

int record_encode_event(const record_event *ev, record_buf *out)
{
	return encode(&event_desc, ev, out, RECORD_LAYOUT);
}

/* ---- decoding ---- */

static const field *find_field(const kind_desc *d, unsigned tag)
{
	/* the tables number their fields 1, 2, 3 ... in order */
	if (tag >= 1 && tag <= d->n && d->fields[tag - 1].tag == tag)
		return &d->fields[tag - 1];
	for (size_t i = 0; i < d->n; i++)
		if (d->fields[i].tag == tag)
			return &d->fields[i];
	return NULL;
}

static bool no_nul(const unsigned char *p, size_t n)
{
	return memchr(p, '\0', n) == NULL;
}

static int grow_array(void **arr, size_t n, size_t elem)
{
	/* grow in powers of two: n is the count before this append */
	if (n & (n - 1))
		return 0;
	void *p = realloc(*arr, (n ? n * 2 : 1) * elem);
	if (!p)
		return -1;
	*arr = p;
	return 0;
}

/* A record decoded into one block of memory (record_decode_exec_packed):
 * its unknown fields' bytes first (the block is record_unknown.bytes, freed
 * with the record), then its arrays of strings, then its strings.  Freeing
 * skips every pointer into the block (free_fields). */
#define PACK_FIELDS 64 /* fields of a record packed; one with more is decoded as usual */
#define PACK_KIND_FIELDS 24 /* fields of a kind (18 for an execution) */

typedef struct pack {
	const field *fields;        /* the kind's, which n_strs counts by */
	char **ptrs;                /* where the next array of strings goes */
	char *str;                  /* where the next string goes */
	uint16_t n_strs[PACK_KIND_FIELDS]; /* strings per repeated field (by its index) */
} pack;

static char *pack_dup(pack *k, const void *s, size_t len)
{
	char *p = k->str;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	k->str += len + 1;
	return p;
}

static int decode_field(const field *f, void *rec, int wire, uint64_t v, const unsigned char *p, size_t n,
			char *why, size_t whylen, pack *k)
{
	bool want_varint = f->kind == F_BOOL || f->kind == F_U64;
	if ((wire == TAG_VARINT) != want_varint) {
		snprintf(why, whylen, "field %u has the wrong wire type", f->tag);
		return -1;
	}
	switch (f->kind) {
	case F_STR:
	case F_STR_EMPTY: {
		char **s = AT(rec, f->off, char *);
		if (!no_nul(p, n)) {
			snprintf(why, whylen, "field %u holds a NUL byte", f->tag);
			return -1;
		}
		if (k) {
			*s = pack_dup(k, p, n);
			return 0;
		}
		free(*s);
		*s = memdup_z(p, n);
		return *s ? 0 : -1;
	}
	case F_TEXT_OPT:
		*AT(rec, f->aux, bool) = true;
		/* fall through */
	case F_TEXT:
		if (k) {
			AT(rec, f->off, record_text)->s = pack_dup(k, p, n);
			AT(rec, f->off, record_text)->len = n;
			return 0;
		}
		return record_text_set(AT(rec, f->off, record_text), (const char *)p, n);
	case F_TEXTS: {
		record_text **arr = AT(rec, f->off, record_text *);
		size_t *cnt = AT(rec, f->aux, size_t);
		if (grow_array((void **)arr, *cnt, sizeof **arr) < 0)
			return -1;
		record_text *t = &(*arr)[*cnt];
		t->s = k ? pack_dup(k, p, n) : NULL;
		t->len = n;
		if (!k && record_text_set(t, (const char *)p, n) < 0)
			return -1;
		(*cnt)++;
		return 0;
	}
	case F_STRS: {
		char ***arr = AT(rec, f->off, char **);
		size_t *cnt = AT(rec, f->aux, size_t);
		if (!no_nul(p, n)) {
			snprintf(why, whylen, "field %u holds a NUL byte", f->tag);
			return -1;
		}
		if (k) {
			/* its array in the block, as long as the first pass counted */
			if (!*arr) {
				*arr = k->ptrs;
				k->ptrs += k->n_strs[f - k->fields];
			}
			(*arr)[(*cnt)++] = pack_dup(k, p, n);
			return 0;
		}
		if (grow_array((void **)arr, *cnt, sizeof **arr) < 0)
			return -1;
		if (!((*arr)[*cnt] = memdup_z(p, n)))
			return -1;
		(*cnt)++;
		return 0;
	}
	case F_BOOL:
		*AT(rec, f->off, bool) = v != 0;
		return 0;
	case F_U64:
		*AT(rec, f->off, uint64_t) = v;
		return 0;
	case F_EXEC_STATUS:
	case F_TASK_STATUS:
	case F_ON_TIMEOUT:
	case F_INPUT_TYPE: {
		char name[32];
		int rc = -1;
		if (n < sizeof name) {
			memcpy(name, p, n);
			name[n] = '\0';
			if (f->kind == F_EXEC_STATUS)
				rc = status_exec_parse(name, AT(rec, f->off, exec_status));
			else if (f->kind == F_TASK_STATUS)
				rc = status_task_parse(name, AT(rec, f->off, task_status));
			else if (f->kind == F_ON_TIMEOUT)
				rc = record_on_timeout_parse(name, AT(rec, f->off, record_on_timeout));
			else if ((rc = record_input_type_parse(name, AT(rec, f->off, record_input_type))) == 0)
				*AT(rec, f->aux, bool) = true;
		}
		if (rc < 0)
			snprintf(why, whylen, "field %u holds an unknown name '%.*s'", f->tag, (int)(n < 31 ? n : 31),
				 (const char *)p);
		return rc;
	}
	}
	return -1;
}

static void fill_defaults(const kind_desc *d, void *rec, pack *k)
{
	for (size_t i = 0; i < d->n; i++) {
		const field *f = &d->fields[i];
		if (f->kind == F_STR_EMPTY && !*AT(rec, f->off, char *))
			*AT(rec, f->off, char *) = k ? pack_dup(k, "", 0) : record_strdup("");
		if (f->kind == F_TEXT && !AT(rec, f->off, record_text)->s) {
			if (k)
				AT(rec, f->off, record_text)->s = pack_dup(k, "", 0);
			else
				record_text_set(AT(rec, f->off, record_text), "", 0);
		}
	}
}

static int decode(const kind_desc *d, const void *data, size_t len, void *rec, char *why, size_t whylen)
{
	tag_reader r = { data, (const unsigned char *)data + len };
	record_buf unknown = { 0 };
	if (len < 3 || r.p[0] != HEADER_MAGIC || r.p[1] != (unsigned char)d->letter) {
		snprintf(why, whylen, "not an encoded %s record", d->what);
		return -1;
	}
	r.p += 3;
	while (r.p < r.end) {
		const unsigned char *start = r.p;
		uint64_t key, v = 0, n = 0;
		if (tag_read_varint(&r, &key) < 0)
			goto truncated;
		int wire = (int)(key & 1);
		if (wire == TAG_VARINT) {
			if (tag_read_varint(&r, &v) < 0)
				goto truncated;
		} else {
			if (tag_read_varint(&r, &n) < 0 || n > (uint64_t)(r.end - r.p))
				goto truncated;
			r.p += n;
		}
		const field *f = key >> 1 <= 0xffff ? find_field(d, (unsigned)(key >> 1)) : NULL;
		if (!f) {
			if (tag_put_raw(&unknown, start, (size_t)(r.p - start)) < 0)
				goto oom;
			continue;
		}
		if (decode_field(f, rec, wire, v, r.p - n, (size_t)n, why, whylen, NULL) < 0) {
			if (!why[0])
				goto oom;
			goto fail;
		}
	}
	fill_defaults(d, rec, NULL);
	record_unknown *u = AT(rec, d->unknown_off, record_unknown);
	u->bytes = unknown.data;
	u->len = unknown.len;
	return 0;
truncated:
	snprintf(why, whylen, "truncated %s record", d->what);
	goto fail;
oom:
	snprintf(why, whylen, "out of memory");
fail:
	record_buf_free(&unknown);
	return -1;
}

int record_decode_exec(const void *data, size_t len, record_exec *e, char *why, size_t whylen)
{
	memset(e, 0, sizeof *e);
	why[0] = '\0';
	if (decode(&exec_desc, data, len, e, why, whylen) < 0)
		goto fail;
	if (!e->id || !e->start_timestamp) {
		snprintf(why, whylen, "execution record lacks %s", e->id ? "start_timestamp" : "id");
		goto fail;
	}
	return 0;
fail:
	record_exec_free(e);
	return -1;
}

/* A varint, most often one or two bytes. */
static inline int read_varint(tag_reader *r, uint64_t *v)
{
	if (r->p < r->end && *r->p < 0x80) {
		*v = *r->p++;
		return 0;
	}
	if (r->end - r->p >= 2 && r->p[1] < 0x80) {
		*v = (uint64_t)(r->p[0] & 0x7f) | (uint64_t)r->p[1] << 7;
		r->p += 2;
		return 0;
	}
	return tag_read_varint(r, v);
}

/* A field as the first pass of a packed decode read it. */
typedef struct pack_seen {
	const field *f;
	int wire;
	uint64_t v;
	const unsigned char *p;
	size_t n;
} pack_seen;

/* One pass reads the fields and sizes the block; the fields are then set
 * from what it read.  A record that does not parse, or has more fields than
 * PACK_FIELDS, is decoded as usual (which says why it does not parse). */
int record_decode_exec_packed(const void *data, size_t len, record_exec *e, char *why, size_t whylen)
{
	const kind_desc *d = &exec_desc;
	pack_seen seen[PACK_FIELDS];
	size_t n_seen = 0, unknown = 0, ptrs = 0, strs = 0;
	pack k = { .fields = d->fields };
	tag_reader r = { (const unsigned char *)data + 3, (const unsigned char *)data + len };
	if (len < 3 || r.p[-3] != HEADER_MAGIC || r.p[-2] != (unsigned char)d->letter || d->n > PACK_KIND_FIELDS)
		return record_decode_exec(data, len, e, why, whylen);
	for (size_t i = 0; i < d->n; i++) /* the defaults of absent texts */
		strs += d->fields[i].kind == F_STR_EMPTY || d->fields[i].kind == F_TEXT;
	while (r.p < r.end) {
		const unsigned char *start = r.p;
		uint64_t key, v = 0, n = 0;
		if (read_varint(&r, &key) < 0 || read_varint(&r, (key & 1) == TAG_VARINT ? &v : &n) < 0)
			return record_decode_exec(data, len, e, why, whylen);
		if ((key & 1) != TAG_VARINT) {
			if (n > (uint64_t)(r.end - r.p))
				return record_decode_exec(data, len, e, why, whylen);
			r.p += n;
		}
		const field *f = key >> 1 <= 0xffff ? find_field(d, (unsigned)(key >> 1)) : NULL;
		if (!f) {
			unknown += (size_t)(r.p - start);
			continue;
		}
		if (n_seen == PACK_FIELDS)
			return record_decode_exec(data, len, e, why, whylen);
		seen[n_seen++] = (pack_seen){ f, (int)(key & 1), v, r.p - n, (size_t)n };
		if ((key & 1) != TAG_VARINT)
			strs += (size_t)n + 1;
		if (f->kind == F_STRS && (key & 1) != TAG_VARINT) {
			k.n_strs[f - d->fields]++;
			ptrs++;
		}
	}
	memset(e, 0, sizeof *e);
	why[0] = '\0';
	size_t at = (unknown + sizeof(char *) - 1) / sizeof(char *) * sizeof(char *);
	unsigned char *block = malloc(at + ptrs * sizeof(char *) + strs);
	if (!block) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	e->unknown.bytes = block;
	e->unknown.len = unknown;
	k.ptrs = (char **)(void *)(block + at);
	k.str = (char *)(k.ptrs + ptrs);
	/* the unknown fields' bytes, in their order (a second walk: rare) */
	for (r.p = (const unsigned char *)data + 3; unknown && r.p < r.end;) {
		const unsigned char *start = r.p;
		uint64_t key, n = 0;
		read_varint(&r, &key);
		read_varint(&r, &n);
		if ((key & 1) != TAG_VARINT)
			r.p += n;
		if (!(key >> 1 <= 0xffff && find_field(d, (unsigned)(key >> 1)))) {
			memcpy(block, start, (size_t)(r.p - start));
			block += r.p - start;
		}
	}
	for (size_t i = 0; i < n_seen; i++)
		if (decode_field(seen[i].f, e, seen[i].wire, seen[i].v, seen[i].p, seen[i].n, why, whylen, &k) < 0)
			goto fail;
	fill_defaults(d, e, &k);
	if (!e->id || !e->start_timestamp) {
		snprintf(why, whylen, "execution record lacks %s", e->id ? "start_timestamp" : "id");
		goto fail;
	}
	return 0;
fail:
	record_exec_free(e);
	return -1;
}

/* ---- images: a record laid out as a packed decode leaves it ----
 *
 * 'S', 'I', the kind's letter, RECORD_LAYOUT; then varints: how many
 * strings the arrays hold, the unknown fields' length, the length of what
 * follows up to them; then each field of the table in order: a number as it is, a string as 0 (absent) or its
 * length + 1, an array as its count then each string's length + 1; then
 * the unknown fields' bytes, then every string, each with its NUL. */

static int image_str(record_buf *b, record_buf *s, const char *p, size_t len)
{
	if (!p)
		return tag_put_uvarint(b, 0);
	if (tag_put_uvarint(b, (uint64_t)len + 1) < 0 || tag_put_raw(s, p, len) < 0)
		return -1;
	return tag_put_raw(s, "", 1);
}

static int image(const kind_desc *d, const void *rec, record_buf *out)
{
	record_buf s = { 0 }, m = { 0 };
	size_t ptrs = 0;
	const record_unknown *u = CAT(rec, d->unknown_off, record_unknown);
	out->len = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->fields[i].kind == F_STRS)
			ptrs += *CAT(rec, d->fields[i].aux, size_t);
	int rc = 0;
	for (size_t i = 0; i < d->n && !rc; i++) {
		const field *f = &d->fields[i];
		switch (f->kind) {
		case F_STR:
		case F_STR_EMPTY: {
			const char *p = *CAT(rec, f->off, char *);
			rc = image_str(&m, &s, p, p ? strlen(p) : 0);
			break;
		}
		case F_TEXT:
		case F_TEXT_OPT: {
			const record_text *t = CAT(rec, f->off, record_text);
			bool has = f->kind == F_TEXT ? t->s != NULL : *CAT(rec, f->aux, bool);
			rc = image_str(&m, &s, has ? (t->s ? t->s : "") : NULL, has && t->s ? t->len : 0);
			break;
		}
		case F_STRS: {
			char *const *v = *(char **const *)((const char *)rec + f->off);
			size_t n = *CAT(rec, f->aux, size_t);
			rc = tag_put_uvarint(&m, n);
			for (size_t k = 0; k < n && !rc; k++)
				rc = image_str(&m, &s, v[k] ? v[k] : "", v[k] ? strlen(v[k]) : 0);
			break;
		}
		case F_BOOL:
			rc = tag_put_uvarint(&m, *CAT(rec, f->off, bool));
			break;
		case F_U64:
			rc = tag_put_uvarint(&m, *CAT(rec, f->off, uint64_t));
			break;
		case F_EXEC_STATUS:
			rc = tag_put_uvarint(&m, (uint64_t)*CAT(rec, f->off, exec_status));
			break;
		default: /* a kind of field an image does not carry (a task's) */
			rc = -1;
		}
	}
	unsigned char hdr[4] = { HEADER_MAGIC, 'I', (unsigned char)d->letter, RECORD_LAYOUT };
	if (!rc)
		rc = tag_put_raw(out, hdr, sizeof hdr) | tag_put_uvarint(out, ptrs) | tag_put_uvarint(out, u->len) |
		     tag_put_uvarint(out, m.len) | tag_put_raw(out, m.data, m.len) | tag_put_raw(out, u->bytes, u->len) |
		     tag_put_raw(out, s.data, s.len);
	record_buf_free(&s);
	record_buf_free(&m);
	return rc;
}

int record_image_exec(const record_exec *e, record_buf *out)
{
	return image(&exec_desc, e, out);
}

bool record_is_image(const void *data, size_t len)
{
	const unsigned char *p = data;
	return len >= 4 && p[0] == HEADER_MAGIC && p[1] == 'I';
}

/* A string of an image: the next `len` bytes of the run and their NUL. */
static inline int image_take(tag_reader *r, char **str, const char *end, char **out)
{
	uint64_t n;
	if (read_varint(r, &n) < 0)
		return -1;
	if (n == 0) {
		*out = NULL;
		return 0;
	}
	if (n - 1 >= (uint64_t)(end - *str) || (*str)[n - 1] != '\0')
		return -1;
	*out = *str;
	*str += n;
	return 0;
}

int record_from_image_exec(const void *data, size_t len, record_exec *e, char *why, size_t whylen)
{
	const kind_desc *d = &exec_desc;
	const unsigned char *p = data;
	tag_reader r = { p + 4, p + len };
	uint64_t ptrs, unknown, meta;
	memset(e, 0, sizeof *e);
	why[0] = '\0';
	if (len < 4 || p[0] != HEADER_MAGIC || p[1] != 'I' || p[2] != (unsigned char)d->letter ||
	    read_varint(&r, &ptrs) < 0 || read_varint(&r, &unknown) < 0 || read_varint(&r, &meta) < 0 ||
	    ptrs > len || unknown > len || meta > len || meta + unknown > (uint64_t)(r.end - r.p))
		goto bad;
	r.end = r.p + meta;
	const unsigned char *strs = r.end + unknown;
	size_t n_strs = (size_t)((p + len) - strs);
	size_t at = ((size_t)unknown + sizeof(char *) - 1) / sizeof(char *) * sizeof(char *);
	unsigned char *block = malloc(at + (size_t)ptrs * sizeof(char *) + n_strs + 1);
	if (!block) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(block, r.end, (size_t)unknown);
	e->unknown.bytes = block;
	e->unknown.len = (size_t)unknown;
	char **arr = (char **)(void *)(block + at), **arr_end = arr + ptrs;
	char *str = (char *)(arr_end), *end = str + n_strs;
	memcpy(str, strs, n_strs);
	for (size_t i = 0; i < d->n; i++) {
		const field *f = &d->fields[i];
		uint64_t v;
		switch (f->kind) {
		case F_STR:
		case F_STR_EMPTY:
			if (image_take(&r, &str, end, AT(e, f->off, char *)) < 0)
				goto fail;
			break;
		case F_TEXT:
		case F_TEXT_OPT: {
			record_text *t = AT(e, f->off, record_text);
			const char *was = str;
			if (image_take(&r, &str, end, &t->s) < 0)
				goto fail;
			t->len = t->s ? (size_t)(str - was) - 1 : 0;
			if (f->kind == F_TEXT_OPT)
				*AT(e, f->aux, bool) = t->s != NULL;
			break;
		}
		case F_STRS: {
			uint64_t n;
			if (read_varint(&r, &n) < 0 || n > (uint64_t)(arr_end - arr))
				goto fail;
			*AT(e, f->off, char **) = n ? arr : NULL;
			/* counted as taken, so that a failure frees no more */
			for (size_t *cnt = AT(e, f->aux, size_t); *cnt < n; ++*cnt)
				if (image_take(&r, &str, end, arr++) < 0 || !arr[-1])
					goto fail;
			break;
		}
		case F_BOOL:
			if (read_varint(&r, &v) < 0)
				goto fail;
			*AT(e, f->off, bool) = v != 0;
			break;
		case F_U64:
			if (read_varint(&r, AT(e, f->off, uint64_t)) < 0)
				goto fail;
			break;
		case F_EXEC_STATUS:
			if (read_varint(&r, &v) < 0 || v >= EXEC_STATUS_COUNT)
				goto fail;
			*AT(e, f->off, exec_status) = (exec_status)v;
			break;
		default:
			goto fail;
		}
	}
	if (!e->id || !e->start_timestamp || !e->workflow_name.s)
		goto fail;
	return 0;
fail:
	record_exec_free(e);
bad:
	snprintf(why, whylen, "not an image of an execution record");
	return -1;
}

int record_decode_task(const void *data, size_t len, record_task *t, char *why, size_t whylen)
{
	memset(t, 0, sizeof *t);
	why[0] = '\0';
	if (decode(&task_desc, data, len, t, why, whylen) < 0)
		goto fail;
	if (!t->execution_id || !t->task_id) {
		snprintf(why, whylen, "task record lacks %s", t->execution_id ? "task_id" : "execution_id");
		goto fail;
	}
	return 0;
fail:
	record_task_free(t);
	return -1;
}

int record_decode_event(const void *data, size_t len, record_event *ev, char *why, size_t whylen)
{
	memset(ev, 0, sizeof *ev);
	why[0] = '\0';
	if (decode(&event_desc, data, len, ev, why, whylen) < 0 || !ev->action) {
		if (!why[0])
			snprintf(why, whylen, "event record lacks action");
		record_event_free(ev);
		return -1;
	}
	return 0;
}

/* ---- freeing and copying ---- */

/* A packed record's strings lie in the block of its unknown bytes, which
 * goes with it; a field a caller set anew lies outside, and goes alone. */
typedef struct held {
	uintptr_t lo, n;
} held;

static void free_outside(const held *h, void *p)
{
	if ((uintptr_t)p - h->lo >= h->n)
		free(p);
}

static void free_fields(const kind_desc *d, void *rec)
{
	const record_unknown *u = CAT(rec, d->unknown_off, record_unknown);
	held h = { (uintptr_t)u->bytes, u->bytes ? malloc_usable_size(u->bytes) : 0 };
	for (size_t i = 0; i < d->n; i++) {
		const field *f = &d->fields[i];
		switch (f->kind) {
		case F_STR:
		case F_STR_EMPTY:
			free_outside(&h, *AT(rec, f->off, char *));
			break;
		case F_TEXT:
		case F_TEXT_OPT:
			free_outside(&h, AT(rec, f->off, record_text)->s);
			break;
		case F_TEXTS: {
			record_text *v = *AT(rec, f->off, record_text *);
			for (size_t k = 0; k < *AT(rec, f->aux, size_t); k++)
				free_outside(&h, v[k].s);
			free_outside(&h, v);
			break;
		}
		case F_STRS: {
			char **v = *AT(rec, f->off, char **);
			for (size_t k = 0; k < *AT(rec, f->aux, size_t); k++)
				free_outside(&h, v[k]);
			free_outside(&h, v);
			break;
		}
		default:
			break;
		}
	}
	free(AT(rec, d->unknown_off, record_unknown)->bytes);
}

void record_exec_free(record_exec *e)
{
	if (!e)
		return;
	free_fields(&exec_desc, e);
	memset(e, 0, sizeof *e);
}

void record_task_free(record_task *t)
{
	if (!t)
		return;
	free_fields(&task_desc, t);
	memset(t, 0, sizeof *t);
}

void record_event_free(record_event *ev)
{
	if (!ev)
		return;
	free_fields(&event_desc, ev);
	memset(ev, 0, sizeof *ev);
}

void record_exec_array_free(record_exec *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		record_exec_free(&v[i]);
	free(v);
}

void record_task_array_free(record_task *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		record_task_free(&v[i]);
	free(v);
}

void record_event_array_free(record_event *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		record_event_free(&v[i]);
	free(v);
}

/* A copy is an encode and a decode: one code path, no field forgotten. */
static int copy_via(const kind_desc *d, void *dst, const void *src, size_t size)
{
	record_buf b = { 0 };
	char why[128];
	memset(dst, 0, size);
	int rc = encode(d, src, &b, RECORD_LAYOUT);
	if (rc == 0) {
		why[0] = '\0';
		rc = decode(d, b.data, b.len, dst, why, sizeof why);
		if (rc < 0)
			free_fields(d, dst);
	}
	record_buf_free(&b);
	return rc;
}

int record_exec_copy(record_exec *dst, const record_exec *src)
{
	return copy_via(&exec_desc, dst, src, sizeof *dst);
}

int record_task_copy(record_task *dst, const record_task *src)
{
	return copy_via(&task_desc, dst, src, sizeof *dst);
}

/* ---- value helpers ---- */

static const char *const input_type_names[] = { "string", "number", "boolean" };

static const char *const on_timeout_names[] = { "fail", "default", "skip" };

const char *record_on_timeout_name(record_on_timeout p)
{
	return (unsigned)p < 3 ? on_timeout_names[p] : "unknown";
}

int record_on_timeout_parse(const char *s, record_on_timeout *out)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, on_timeout_names[i]) == 0) {
			*out = (record_on_timeout)i;
			return 0;
		}
	return -1;
}

const char *record_input_type_name(record_input_type t)
{
	return (unsigned)t < 3 ? input_type_names[t] : "unknown";
}

int record_input_type_parse(const char *s, record_input_type *out)
{
	for (int i = 0; i < 3; i++)
		if (s && strcmp(s, input_type_names[i]) == 0) {
			*out = (record_input_type)i;
			return 0;
		}
	return -1;
}

bool record_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 1 || n > RECORD_ID_MAX)
		return false;
	const unsigned char *p = (const unsigned char *)id;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		static const uint32_t min_cp[] = { 0, 0x80, 0x800, 0x10000 };
		if (cp < min_cp[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return false;
		i += k + 1;
	}
	return true;
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool record_timestamp_parse(const char *s, int64_t *usec)
{
	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return false;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		return false;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] + (mo == 2 && leap))
		return false;
	const char *p = s + 19;
	int64_t frac = 0;
	if (*p == '.') {
		int nd = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nd < 6) {
				frac = frac * 10 + (*p - '0');
				nd++;
			}
			p++;
		}
		if (nd == 0)
			return false;
		while (nd++ < 6)
			frac *= 10;
	}
	int64_t offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (strlen(p) != 6 || p[3] != ':')
			return false;
		int oh = digits(p + 1, 2), om = digits(p + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return false;
		offset = (*p == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
	*usec = secs * 1000000 + frac;
	return true;
}

void record_timestamp_format(int64_t usec, char *buf, size_t len)
{
	struct tm tm;
	time_t secs = (time_t)(usec / 1000000);
	long frac = (long)(usec % 1000000);
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void record_timestamp_now(char *buf, size_t len)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	record_timestamp_format((int64_t)tv.tv_sec * 1000000 + tv.tv_usec, buf, len);
}
