/* keys.h - the byte layout of the store's keys; private to libseestore. */
#ifndef SEESTORE_KEYS_H
#define SEESTORE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

void key_u64(unsigned char out[8], uint64_t v);
uint64_t key_get_u64(const unsigned char in[8]);
/* Start times as unsigned numbers that sort oldest first. */
uint64_t key_start_order(const record_exec *e);
/* Status index key (in the file of the execution's status): the start time
 * (oldest first: new executions append), then the id.  Lists read it
 * backwards, newest first. */
size_t key_by_status(unsigned char *out, size_t cap, const record_exec *e);
/* exec id NUL task id */
size_t key_task(unsigned char *out, size_t cap, const char *exec_id, const char *task_id);

/* exec id NUL task id NUL line (big-endian); the first two parts alone
 * (prefix) when line is UINT64_MAX: a key that starts every line of the task. */
size_t key_log(unsigned char *out, size_t cap, const char *exec_id, const char *task_id, uint64_t line);
#define KEY_LOG_MAX (128 + 1 + 128 + 1 + 8)

#endif
