/* keys.c - the byte layout of the store's keys, shared by the server's
 * databases and the client's list cursors; and the names of result codes. */
#include "config.h"

#include <string.h>

#include "keys.h"

static const char *const code_names[] = {
	[STORE_OK] = "ok",
	[STORE_NOT_FOUND] = "not found",
	[STORE_INVALID_STATE] = "invalid state",
	[STORE_INVALID_INPUT] = "invalid input",
	[STORE_READ_ONLY] = "read-only",
	[STORE_EXISTS] = "exists",
	[STORE_FORMAT] = "format",
	[STORE_STORAGE] = "storage",
};

const char *store_code_name(store_code c)
{
	return (unsigned)c <= STORE_STORAGE ? code_names[c] : "unknown";
}

/* ---- keys ---- */

void key_u64(unsigned char out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)v;
}

uint64_t key_get_u64(const unsigned char in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

/* Start times as unsigned keys that sort oldest first. */
uint64_t key_start_order(const record_exec *e)
{
	int64_t us = 0;
	record_timestamp_parse(e->start_timestamp, &us);
	return (uint64_t)us ^ (UINT64_C(1) << 63);
}

size_t key_by_status(unsigned char *out, size_t cap, const record_exec *e)
{
	size_t n = strlen(e->id);
	if (8 + n > cap)
		return 0;
	key_u64(out, key_start_order(e));
	memcpy(out + 8, e->id, n);
	return 8 + n;
}

void store_cursor_at(store_cursor *cur, const record_exec *e, bool inclusive)
{
	memset(cur, 0, sizeof *cur);
	size_t n = strlen(e->id);
	if (9 + n > sizeof cur->key)
		n = sizeof cur->key - 9;
	key_u64(cur->key, key_start_order(e));
	memcpy(cur->key + 8, e->id, n);
	cur->len = 8 + n;
	/* the key just above the execution's own: no id continues with a NUL */
	if (inclusive)
		cur->key[cur->len++] = '\0';
}

size_t key_task(unsigned char *out, size_t cap, const char *exec_id, const char *task_id)
{
	size_t a = strlen(exec_id), b = strlen(task_id);
	if (a + 1 + b > cap)
		return 0;
	memcpy(out, exec_id, a);
	out[a] = '\0';
	memcpy(out + a + 1, task_id, b);
	return a + 1 + b;
}

int key_task_parse(const void *key, size_t n, char exec_id[RECORD_ID_MAX + 1], char task_id[RECORD_ID_MAX + 1])
{
	const char *nul = memchr(key, '\0', n);
	if (!nul)
		return -1;
	size_t en = (size_t)(nul - (const char *)key), tn = n - en - 1;
	if (en > RECORD_ID_MAX || tn > RECORD_ID_MAX)
		return -2;
	memcpy(exec_id, key, en);
	exec_id[en] = '\0';
	memcpy(task_id, nul + 1, tn);
	task_id[tn] = '\0';
	return 0;
}

size_t key_deadline(unsigned char *out, size_t cap, int64_t us, const char *exec_id, const char *task_id)
{
	if (us < 0 || cap < 8)
		return 0;
	size_t n = key_task(out + 8, cap - 8, exec_id, task_id);
	if (!n)
		return 0;
	key_u64(out, (uint64_t)us);
	return 8 + n;
}

int key_deadline_parse(const void *key, size_t n, int64_t *us, char exec_id[RECORD_ID_MAX + 1],
		       char task_id[RECORD_ID_MAX + 1])
{
	if (n < 8 + 1)
		return -1;
	*us = (int64_t)key_get_u64(key);
	return key_task_parse((const unsigned char *)key + 8, n - 8, exec_id, task_id);
}

size_t key_exec_event(unsigned char *out, size_t cap, const char *exec_id, uint64_t seq)
{
	size_t n = strlen(exec_id);
	if (n + 1 + 8 > cap)
		return 0;
	memcpy(out, exec_id, n);
	out[n] = '\0';
	key_u64(out + n + 1, seq);
	return n + 1 + 8;
}

size_t key_log(unsigned char *out, size_t cap, const char *exec_id, const char *task_id, uint64_t line)
{
	size_t n = key_task(out, cap, exec_id, task_id);
	if (!n || n + 1 + (line == UINT64_MAX ? 0 : 8) > cap)
		return 0;
	out[n++] = '\0';
	if (line != UINT64_MAX) {
		key_u64(out + n, line);
		n += 8;
	}
	return n;
}
