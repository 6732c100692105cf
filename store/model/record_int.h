/* record_int.h - what libseestore's modules share of record.c beyond
 * record.h: the older layouts (tests, upgrades) and the packed decode of a
 * list's records (the client). */
#ifndef SEESTORE_RECORD_INT_H
#define SEESTORE_RECORD_INT_H

#include "record.h"

/* An execution record in an older layout (1: the pre-pause layout, without
 * is_paused and paused_task_id). */
int rec_encode_exec_layout(const record_exec *e, record_buf *out, unsigned layout);

/* record_decode_exec, with every string of the record in one allocation
 * (the block of its unknown bytes): one malloc where a list's record took a
 * dozen.  record_exec_free and record_exec_array_free free it as any other,
 * and a field set anew by its holder is freed alone; a string of the record
 * must not be freed or grown by itself. */
int record_decode_exec_packed(const void *data, size_t len, record_exec *e, char *why, size_t whylen);

/* An execution as a list's reader holds it (packed), laid out to be taken
 * as it is: its strings in one run, in field order, their lengths and its
 * numbers before them.  The server makes it once for a page it keeps;
 * record_from_image_exec then costs a malloc and two copies.  Its first
 * bytes tell it from an encoded record (record_is_image). */
int record_image_exec(const record_exec *e, record_buf *out);
bool record_is_image(const void *data, size_t len);
int record_from_image_exec(const void *data, size_t len, record_exec *e, char *why, size_t whylen);

#endif
