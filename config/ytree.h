/* ytree.h - YAML read into small trees of nodes, each with its file:line:col.
 * A data file is read one execution at a time, so memory follows the size of
 * one execution, not of the file.  Anchors and aliases work across the file. */
#ifndef SEETOP_YTREE_H
#define SEETOP_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <yaml.h>

#ifndef YAML_BINARY_TAG
#define YAML_BINARY_TAG "tag:yaml.org,2002:binary"
#endif

typedef enum ynode_kind { YN_SCALAR, YN_SEQ, YN_MAP } ynode_kind;

typedef struct ynode {
	ynode_kind kind;
	int refs;               /* aliases share nodes */
	char *val;              /* scalar bytes (NUL-terminated, may hold NULs) */
	size_t len;
	bool plain;             /* an unquoted scalar: may be null or a boolean */
	char *tag;              /* explicit tag, e.g. tag:yaml.org,2002:binary */
	struct ynode **items;   /* seq: items; map: key, value, key, value ... */
	size_t n;
	unsigned long line, col;
	bool building;          /* still being read: an alias to it would make a cycle */
} ynode;

typedef struct yreader {
	yaml_parser_t parser;
	FILE *f;
	const char *file;
	bool parser_ready;
	struct { char *name; ynode *node; } *anchors;
	size_t n_anchors;
	char err[1024];
	int max_depth;          /* nesting allowed (0: 64); set after yreader_open */
} yreader;

/* Starts reading `f`, named `file` in messages.  0 or -1 with r->err. */
int yreader_open(yreader *r, FILE *f, const char *file);
void yreader_close(yreader *r);
/* The next parser event; 0 or -1 with r->err ("FILE:LINE:COL: reason"). */
int yreader_event(yreader *r, yaml_event_t *ev);
/* Builds the node that begins with `first` (which it consumes). NULL on error. */
ynode *yreader_node(yreader *r, yaml_event_t *first);
/* Reads a whole single-document file into one node (NULL for an empty file). */
int yreader_document(yreader *r, ynode **out);

void ynode_unref(ynode *n);
bool ynode_is_null(const ynode *n);
/* 1 and *v for true/false, 0 when the scalar is not a boolean. */
int ynode_bool(const ynode *n, bool *v);
/* Formats "FILE:LINE:COL: message" into r->err and returns -1. */
int yreader_fail(yreader *r, const ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Decodes a !!binary scalar (base64) in place; 0 or -1. */
int ynode_decode_binary(ynode *n);
bool ynode_is_binary(const ynode *n);

#endif
