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
#define KEY_BY_STATUS_MAX (8 + RECORD_ID_MAX)
/* exec id NUL task id */
size_t key_task(unsigned char *out, size_t cap, const char *exec_id, const char *task_id);
#define KEY_TASK_MAX (RECORD_ID_MAX + 1 + RECORD_ID_MAX)
/* The ids of a task key, each into RECORD_ID_MAX + 1 bytes: 0, -1 without
 * the NUL between them, -2 when one is longer than an id may be. */
int key_task_parse(const void *key, size_t n, char exec_id[RECORD_ID_MAX + 1], char task_id[RECORD_ID_MAX + 1]);

/* The deadline index's key: the deadline (µs since the epoch, big-endian:
 * the earliest first), then the task key; 0 when it does not fit in cap
 * (KEY_DEADLINE_MAX always does) or the deadline is before the epoch. */
size_t key_deadline(unsigned char *out, size_t cap, int64_t us, const char *exec_id, const char *task_id);
#define KEY_DEADLINE_MAX (8 + KEY_TASK_MAX)
/* Its parts; 0, or as key_task_parse (-1 also for a key too short). */
int key_deadline_parse(const void *key, size_t n, int64_t *us, char exec_id[RECORD_ID_MAX + 1],
		       char task_id[RECORD_ID_MAX + 1]);

/* The index of events by execution: exec id NUL sequence (big-endian); 0
 * when it does not fit in cap (KEY_EXEC_EVENT_MAX always does). */
size_t key_exec_event(unsigned char *out, size_t cap, const char *exec_id, uint64_t seq);
#define KEY_EXEC_EVENT_MAX (RECORD_ID_MAX + 1 + 8)

/* exec id NUL task id NUL line (big-endian); the first two parts alone
 * (prefix) when line is UINT64_MAX: a key that starts every line of the task. */
size_t key_log(unsigned char *out, size_t cap, const char *exec_id, const char *task_id, uint64_t line);
#define KEY_LOG_MAX (KEY_TASK_MAX + 1 + 8)

#endif
