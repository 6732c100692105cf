/* ytree.c - YAML read into small trees of nodes. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ytree.h"

#define MAX_DEPTH 64

int yreader_open(yreader *r, FILE *f, const char *file)
{
	memset(r, 0, sizeof *r);
	r->f = f;
	r->file = file;
	if (!yaml_parser_initialize(&r->parser)) {
		snprintf(r->err, sizeof r->err, "%s: out of memory", file);
		return -1;
	}
	yaml_parser_set_input_file(&r->parser, f);
	r->parser_ready = true;
	return 0;
}

void yreader_close(yreader *r)
{
	for (size_t i = 0; i < r->n_anchors; i++) {
		free(r->anchors[i].name);
		ynode_unref(r->anchors[i].node);
	}
	free(r->anchors);
	r->anchors = NULL;
	r->n_anchors = 0;
	if (r->parser_ready)
		yaml_parser_delete(&r->parser);
	r->parser_ready = false;
}

int yreader_fail(yreader *r, const ynode *at, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (at)
		snprintf(r->err, sizeof r->err, "%s:%lu:%lu: %s", r->file, at->line, at->col, msg);
	else
		snprintf(r->err, sizeof r->err, "%s: %s", r->file, msg);
	return -1;
}

/* The line and column (in characters) of a byte offset of the file: the
 * reader's errors (a NUL, bytes that are not UTF-8) name an offset only. */
static void offset_position(FILE *f, size_t offset, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	long saved = ftell(f);
	if (saved < 0 || fseek(f, 0, SEEK_SET) != 0)
		return;
	for (size_t i = 0; i < offset; i++) {
		int c = getc(f);
		if (c == EOF)
			break;
		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
	fseek(f, saved, SEEK_SET);
}

int yreader_event(yreader *r, yaml_event_t *ev)
{
	if (yaml_parser_parse(&r->parser, ev))
		return 0;
	yaml_mark_t m = r->parser.problem_mark;
	if (r->parser.error == YAML_READER_ERROR) {
		size_t line, col;
		offset_position(r->f, r->parser.problem_offset, &line, &col);
		snprintf(r->err, sizeof r->err, "%s:%zu:%zu: %s (byte %zu of the file)", r->file, line, col,
			 r->parser.problem_value == 0 && strstr(r->parser.problem, "control") ? "a NUL byte" : r->parser.problem,
			 r->parser.problem_offset);
	} else
		snprintf(r->err, sizeof r->err, "%s:%zu:%zu: %s%s%s", r->file, m.line + 1, m.column + 1,
			 r->parser.problem ? r->parser.problem : "malformed YAML",
			 r->parser.context ? " " : "", r->parser.context ? r->parser.context : "");
	return -1;
}

static ynode *node_new(ynode_kind k, const yaml_event_t *ev)
{
	ynode *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->kind = k;
	n->refs = 1;
	n->line = ev->start_mark.line + 1;
	n->col = ev->start_mark.column + 1;
	return n;
}

void ynode_unref(ynode *n)
{
	if (!n || --n->refs > 0)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_unref(n->items[i]);
	free(n->items);
	free(n->val);
	free(n->tag);
	free(n);
}

static int add_child(ynode *p, ynode *c)
{
	if ((p->n & (p->n - 1)) == 0) {
		ynode **v = realloc(p->items, (p->n ? p->n * 2 : 4) * sizeof *v);
		if (!v)
			return -1;
		p->items = v;
	}
	p->items[p->n++] = c;
	return 0;
}

static int remember_anchor(yreader *r, const yaml_char_t *anchor, ynode *n)
{
	if (!anchor)
		return 0;
	for (size_t i = 0; i < r->n_anchors; i++)
		if (strcmp(r->anchors[i].name, (const char *)anchor) == 0) {
			/* a redefined anchor replaces the old one from here on */
			ynode_unref(r->anchors[i].node);
			r->anchors[i].node = n;
			n->refs++;
			return 0;
		}
	void *v = realloc(r->anchors, (r->n_anchors + 1) * sizeof *r->anchors);
	if (!v)
		return -1;
	r->anchors = v;
	r->anchors[r->n_anchors].name = strdup((const char *)anchor);
	r->anchors[r->n_anchors].node = n;
	n->refs++;
	r->n_anchors++;
	return 0;
}

static ynode *build(yreader *r, yaml_event_t *ev, int depth)
{
	ynode *n = NULL;
	ynode at = { .line = ev->start_mark.line + 1, .col = ev->start_mark.column + 1 };
	int max = r->max_depth > 0 ? r->max_depth : MAX_DEPTH;
	if (depth > max) {
		yreader_fail(r, &at, "nested more than %d levels deep", max);
		yaml_event_delete(ev);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		for (size_t i = 0; i < r->n_anchors; i++)
			if (strcmp(r->anchors[i].name, (const char *)ev->data.alias.anchor) == 0) {
				n = r->anchors[i].node;
				break;
			}
		if (!n)
			yreader_fail(r, &at, "unknown anchor '%s'", (const char *)ev->data.alias.anchor);
		else if (n->building) {
			yreader_fail(r, &at, "alias '*%s' refers to the node that contains it",
				     (const char *)ev->data.alias.anchor);
			n = NULL;
		} else
			n->refs++;
		yaml_event_delete(ev);
		return n;
	case YAML_SCALAR_EVENT:
		n = node_new(YN_SCALAR, ev);
		if (!n || !(n->val = malloc(ev->data.scalar.length + 1)))
			goto oom;
		memcpy(n->val, ev->data.scalar.value, ev->data.scalar.length);
		n->val[ev->data.scalar.length] = '\0';
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
		if (ev->data.scalar.tag)
			n->tag = strdup((const char *)ev->data.scalar.tag);
		if (remember_anchor(r, ev->data.scalar.anchor, n) < 0)
			goto oom;
		yaml_event_delete(ev);
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		n = node_new(seq ? YN_SEQ : YN_MAP, ev);
		if (!n)
			goto oom;
		const yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
		if (remember_anchor(r, anchor, n) < 0)
			goto oom;
		yaml_event_delete(ev);
		n->building = true;
		for (;;) {
			yaml_event_t child;
			if (yreader_event(r, &child) < 0) {
				ynode_unref(n);
				return NULL;
			}
			if (child.type == YAML_SEQUENCE_END_EVENT || child.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&child);
				n->building = false;
				return n;
			}
			ynode *c = build(r, &child, depth + 1);
			if (!c || add_child(n, c) < 0) {
				ynode_unref(c);
				n->building = false;
				ynode_unref(n);
				return NULL;
			}
		}
	}
	default:
		yreader_fail(r, &at, "unexpected YAML event");
		yaml_event_delete(ev);
		return NULL;
	}
oom:
	yaml_event_delete(ev);
	ynode_unref(n);
	yreader_fail(r, &at, "out of memory");
	return NULL;
}

ynode *yreader_node(yreader *r, yaml_event_t *first)
{
	return build(r, first, 0);
}

int yreader_document(yreader *r, ynode **out)
{
	yaml_event_t ev;
	*out = NULL;
	for (;;) {
		if (yreader_event(r, &ev) < 0)
			return -1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			yaml_event_delete(&ev);
			continue;
		default:
			if (*out) {
				ynode at = { .line = ev.start_mark.line + 1, .col = ev.start_mark.column + 1 };
				yaml_event_delete(&ev);
				return yreader_fail(r, &at, "only one YAML document is allowed");
			}
			if (!(*out = yreader_node(r, &ev)))
				return -1;
		}
	}
}

bool ynode_is_null(const ynode *n)
{
	if (!n)
		return true;
	if (n->kind != YN_SCALAR)
		return false;
	if (n->tag && strcmp(n->tag, YAML_NULL_TAG) == 0)
		return true;
	return n->plain && (n->len == 0 || strcmp(n->val, "null") == 0 || strcmp(n->val, "Null") == 0 ||
			    strcmp(n->val, "NULL") == 0 || strcmp(n->val, "~") == 0);
}

int ynode_bool(const ynode *n, bool *v)
{
	static const char *const t[] = { "true", "True", "TRUE" }, *const f[] = { "false", "False", "FALSE" };
	if (!n || n->kind != YN_SCALAR || !(n->plain || (n->tag && strcmp(n->tag, YAML_BOOL_TAG) == 0)))
		return 0;
	for (int i = 0; i < 3; i++) {
		if (strcmp(n->val, t[i]) == 0) {
			*v = true;
			return 1;
		}
		if (strcmp(n->val, f[i]) == 0) {
			*v = false;
			return 1;
		}
	}
	return 0;
}

bool ynode_is_binary(const ynode *n)
{
	return n && n->kind == YN_SCALAR && n->tag &&
	       (strcmp(n->tag, YAML_BINARY_TAG) == 0 || strcmp(n->tag, "!binary") == 0);
}

static int b64(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int ynode_decode_binary(ynode *n)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n->len; i++) {
		int c = (unsigned char)n->val[i];
		if (c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		int v = b64(c);
		if (v < 0)
			return -1;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			n->val[o++] = (char)(acc >> bits & 0xff);
		}
	}
	n->val[o] = '\0';
	n->len = o;
	return 0;
}
