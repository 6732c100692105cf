/* tag.c - the tagged encoding shared by records and the protocol. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tag.h"

int tag_reserve(record_buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	if (more > SIZE_MAX / 4 - b->len)
		return -1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	unsigned char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int tag_put_raw(record_buf *b, const void *p, size_t n)
{
	if (tag_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int tag_put_uvarint(record_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		tmp[n++] = c | (v ? 0x80 : 0);
	} while (v);
	return tag_put_raw(b, tmp, n);
}

int tag_put_bytes(record_buf *b, unsigned tag, const void *p, size_t n)
{
	if (tag_put_uvarint(b, (uint64_t)tag << 1 | TAG_BYTES) < 0 || tag_put_uvarint(b, n) < 0)
		return -1;
	return tag_put_raw(b, p, n);
}

int tag_put_varint(record_buf *b, unsigned tag, uint64_t v)
{
	if (tag_put_uvarint(b, (uint64_t)tag << 1 | TAG_VARINT) < 0)
		return -1;
	return tag_put_uvarint(b, v);
}

int tag_read_varint(tag_reader *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return -1;
		unsigned char c = *r->p++;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}
