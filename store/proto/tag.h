/* tag.h - the tagged encoding that records and the server's protocol share:
 * a field is a varint key (tag << 1 | type) and either a varint or a
 * length-prefixed byte string.  Private to libseestore. */
#ifndef SEESTORE_TAG_H
#define SEESTORE_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

enum { TAG_VARINT = 0, TAG_BYTES = 1 };

/* Appending: 0, or -1 when out of memory. */
int tag_reserve(record_buf *b, size_t more);
int tag_put_raw(record_buf *b, const void *p, size_t n);
int tag_put_uvarint(record_buf *b, uint64_t v);
int tag_put_bytes(record_buf *b, unsigned tag, const void *p, size_t n);
int tag_put_varint(record_buf *b, unsigned tag, uint64_t v);

typedef struct tag_reader {
	const unsigned char *p, *end;
} tag_reader;
/* 0, or -1 when the input ends inside the varint or it is longer than 64 bits. */
int tag_read_varint(tag_reader *r, uint64_t *v);

#endif
