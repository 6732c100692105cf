/* dbs_verify.c - checks every invariant of a home, one record at a time, so that
 * memory stays flat however large the store is. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_txn.h"

typedef struct verify_arg {
	void (*problem)(void *ctx, const char *what);
	void *ctx;
	size_t n;
	/* the walk in progress (rec_each hands each record to a check) */
	dbs *st;
	DB_TXN *txn;
	store_err *err;
	uint64_t tally[EXEC_STATUS_COUNT]; /* executions of each status */
	exec_status status;                /* the status index being read */
	unsigned char prefix[KEY_LOG_MAX + 8]; /* the task whose log lines are being read */
	size_t pn;
	uint64_t lines;
	uint64_t last_event;               /* the last event's sequence */
} verify_arg;

static void report(verify_arg *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(verify_arg *a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	a->n++;
	if (a->problem)
		a->problem(a->ctx, buf);
}

/* A printable form of a raw key for messages. */
static void key_text(char *out, size_t cap, const unsigned char *k, size_t n, size_t skip)
{
	size_t o = 0;
	for (size_t i = skip; i < n && o + 5 < cap; i++) {
		unsigned char c = k[i];
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

/* Whether `k` is in `which` (its value not read).  Any other answer than
 * found or not found (a deadlock with a change, at a replica the apply of
 * the master's log) ends the walk with that error: the read is then tried
 * again, from the start, and what the attempt reported is forgotten
 * (verify_txn). */
static store_code has_key(verify_arg *a, dbi which, const void *k, size_t n, bool *found)
{
	DBT key = dbs_dbt(k, n), val = dbs_dbt(NULL, 0);
	val.flags = DB_DBT_PARTIAL | DB_DBT_USERMEM; /* none of the value, into no room */
	int ret = a->st->db[which]->get(a->st->db[which], a->txn, &key, &val, 0);
	*found = ret == 0;
	if (ret == 0 || ret == DB_NOTFOUND)
		return STORE_OK;
	return err_db(a->st, a->err, ret, "reading %s", dbi_file[which]);
}

/* A task read for a check: *found is 1 (in *t), 0 (no such task) or -1
 * (a record that cannot be decoded, which check_exec reports, or
 * check_task's "not listed" when its execution does not name it); any
 * other failure ends the walk. */
static store_code get_task(verify_arg *a, const char *exec_id, const char *task_id, record_task *t, int *found)
{
	store_err one;
	store_code c = rec_get_task(a->st, a->txn, exec_id, task_id, t, 0, &one);
	*found = c == STORE_OK ? 1 : c == STORE_FORMAT ? -1 : 0;
	if (c == STORE_OK || c == STORE_NOT_FOUND || c == STORE_FORMAT)
		return STORE_OK;
	*a->err = one;
	return c;
}

/* A task's entries in other databases: a waiting task's deadline in the
 * deadline index (the server's timer finds it there), and its last log
 * line (check_log counts them all). */
static store_code check_task_entries(verify_arg *a, const char *exec_id, const record_task *t)
{
	bool found = true;
	store_code c;
	int64_t us;
	if (t->status == TASK_WAITING && t->input_deadline && record_timestamp_parse(t->input_deadline, &us) &&
	    us >= 0) {
		unsigned char dk[KEY_DEADLINE_MAX];
		size_t dn = key_deadline(dk, sizeof dk, us, exec_id, t->task_id);
		if (dn && (c = has_key(a, DBI_DEADLINES, dk, dn, &found)) != STORE_OK)
			return c;
		if (!found)
			report(a, "task '%s' of execution '%s': its deadline %s is missing from the deadline index",
			       t->task_id, exec_id, t->input_deadline);
	}
	if (t->log_count) {
		unsigned char lk[KEY_LOG_MAX + 8];
		size_t ln = key_log(lk, sizeof lk, exec_id, t->task_id, t->log_count - 1);
		found = true;
		if (ln && (c = has_key(a, DBI_LOGS, lk, ln, &found)) != STORE_OK)
			return c;
		if (!found)
			report(a, "task '%s' of execution '%s': counts %llu log lines but line %llu is missing", t->task_id,
			       exec_id, (unsigned long long)t->log_count, (unsigned long long)t->log_count - 1);
	}
	return STORE_OK;
}

static store_code check_exec(void *ctx, const DBT *k, const DBT *d)
{
	verify_arg *a = ctx;
	dbs *st = a->st;
	DB_TXN *txn = a->txn;
	char kt[300], why[256];
	record_exec e;
	key_text(kt, sizeof kt, k->data, k->size, 0);
	if (record_decode_exec(d->data, d->size, &e, why, sizeof why) < 0) {
		report(a, "execution '%s': record cannot be decoded: %s", kt, why);
		return STORE_OK;
	}
	if (strlen(e.id) != k->size || memcmp(e.id, k->data, k->size) != 0)
		report(a, "execution '%s': record holds id '%s'", kt, e.id);
	if ((unsigned)e.status < EXEC_STATUS_COUNT)
		a->tally[e.status]++;
	size_t waiting = 0;
	uint64_t complete = 0;
	bool paused_ok = false;
	for (size_t i = 0; i < e.n_task_ids; i++) {
		record_task t;
		store_err one;
		store_code c = rec_get_task(st, txn, e.id, e.task_ids[i], &t, 0, &one);
		if (c == STORE_NOT_FOUND || c == STORE_FORMAT) {
			report(a, "execution '%s': %s", e.id,
			       c == STORE_NOT_FOUND ? "task_ids names a task with no record" : one.msg);
			continue;
		}
		if (c) {
			*a->err = one;
			record_exec_free(&e);
			return c;
		}
		if (strcmp(t.execution_id, e.id) != 0 || strcmp(t.task_id, e.task_ids[i]) != 0)
			report(a, "task '%s' of execution '%s': record holds ids '%s'/'%s'", e.task_ids[i], e.id,
			       t.execution_id, t.task_id);
		if (t.status == TASK_WAITING) {
			waiting++;
			if (e.paused_task_id && strcmp(e.paused_task_id, t.task_id) == 0)
				paused_ok = true;
		}
		complete += t.status == TASK_COMPLETE;
		c = check_task_entries(a, e.id, &t);
		record_task_free(&t);
		if (c) {
			record_exec_free(&e);
			return c;
		}
	}
	if (complete != e.tasks_complete)
		report(a, "execution '%s': its record counts %llu complete tasks but %llu are", e.id,
		       (unsigned long long)e.tasks_complete, (unsigned long long)complete);
	char rule[600];
	if (store_exec_waiting_check(&e, waiting, paused_ok, rule, sizeof rule) < 0)
		report(a, "%s", rule); /* the rule the item check applies, in its words */
	unsigned char ik[KEY_BY_STATUS_MAX];
	size_t kn = key_by_status(ik, sizeof ik, &e);
	DBT key = dbs_dbt(ik, kn), copy = dbs_dbt(NULL, 0);
	copy.flags = DB_DBT_MALLOC;
	DB *sdb = (unsigned)e.status < EXEC_STATUS_COUNT ? st->db[DBI_STATUS(e.status)] : NULL;
	int r2 = kn && sdb ? sdb->get(sdb, txn, &key, &copy, 0) : DB_NOTFOUND;
	store_code c = STORE_OK;
	if (r2 == DB_NOTFOUND)
		report(a, "execution '%s': missing from the status index", e.id);
	else if (r2 == 0 && (copy.size != d->size || memcmp(copy.data, d->data, d->size) != 0))
		report(a, "execution '%s': the status index holds a stale copy of the record", e.id);
	else if (r2)
		c = err_db(st, a->err, r2, "reading %s", dbi_file[DBI_STATUS(e.status)]);
	free(copy.data);
	record_exec_free(&e);
	return c;
}

static store_code check_task(void *ctx, const DBT *k, const DBT *d)
{
	(void)d;
	verify_arg *a = ctx;
	char kt[300], exec_id[RECORD_ID_MAX + 1], task_id[RECORD_ID_MAX + 1];
	key_text(kt, sizeof kt, k->data, k->size, 0);
	int split = key_task_parse(k->data, k->size, exec_id, task_id);
	if (split < 0) {
		report(a, split == -1 ? "task key '%s' has no execution part" : "task key '%s' is too long", kt);
		return STORE_OK;
	}
	record_exec e;
	store_err one;
	store_code c = rec_get_exec(a->st, a->txn, exec_id, &e, 0, &one);
	if (c == STORE_NOT_FOUND) {
		report(a, "task '%s': its execution '%s' does not exist", task_id, exec_id);
		return STORE_OK;
	}
	if (c == STORE_FORMAT)
		return STORE_OK; /* reported with the execution */
	if (c) {
		*a->err = one;
		return c;
	}
	bool listed = false;
	for (size_t i = 0; i < e.n_task_ids && !listed; i++)
		listed = strcmp(e.task_ids[i], task_id) == 0;
	if (!listed)
		report(a, "task '%s': not listed in task_ids of execution '%s'", task_id, exec_id);
	record_exec_free(&e);
	return STORE_OK;
}

/* Every entry of the index of `status` must name a record of that status
 * whose key it matches. */
static store_code check_index(void *ctx, const DBT *k, const DBT *d)
{
	(void)d;
	verify_arg *a = ctx;
	const dbi which = DBI_STATUS(a->status);
	const size_t prefix = 8;
	const char *name = "status";
	char id[RECORD_ID_MAX + 1], kt[400];
	key_text(kt, sizeof kt, k->data, k->size, prefix);
	if (k->size <= prefix || k->size - prefix >= sizeof id) {
		report(a, "%s index: malformed entry '%s'", name, kt);
		return STORE_OK;
	}
	memcpy(id, (char *)k->data + prefix, k->size - prefix);
	id[k->size - prefix] = '\0';
	record_exec e;
	store_err one;
	store_code c = rec_get_exec(a->st, a->txn, id, &e, 0, &one);
	if (c == STORE_NOT_FOUND) {
		report(a, "%s index: entry for '%s' but no such execution", name, kt);
		return STORE_OK;
	}
	if (c == STORE_FORMAT)
		return STORE_OK;
	if (c) {
		*a->err = one;
		return c;
	}
	unsigned char want[KEY_BY_STATUS_MAX];
	size_t wn = key_by_status(want, sizeof want, &e);
	if (e.status != a->status || wn != k->size || memcmp(want, k->data, wn) != 0)
		report(a, "%s index: entry for '%s' in %s does not match its record (status %s, start %s)", name, id,
		       dbi_file[which], status_exec_name(e.status), e.start_timestamp);
	record_exec_free(&e);
	return STORE_OK;
}

static store_code check_event(void *ctx, const DBT *k, const DBT *d)
{
	verify_arg *a = ctx;
	record_event ev;
	char why[256];
	uint64_t seq = k->size == 8 ? key_get_u64(k->data) : 0;
	if (record_decode_event(d->data, d->size, &ev, why, sizeof why) < 0) {
		report(a, "event %llu: record cannot be decoded: %s", (unsigned long long)seq, why);
		return STORE_OK;
	}
	if (ev.seq != seq)
		report(a, "event %llu: record holds sequence %llu", (unsigned long long)seq, (unsigned long long)ev.seq);
	a->last_event = seq;
	record_event_free(&ev);
	return STORE_OK;
}

/* Every task's lines are numbered 0..n-1 with n its log_count, and belong to a task. */
static store_code logs_group_end(verify_arg *a)
{
	const char *exec_id = (const char *)a->prefix;
	const char *task_id = exec_id + strlen(exec_id) + 1;
	if (a->pn < 2 || (size_t)(task_id - exec_id) >= a->pn)
		return STORE_OK;
	record_task t;
	int found;
	store_code c = get_task(a, exec_id, task_id, &t, &found);
	if (c || found != 1) {
		if (!c && !found)
			report(a, "%llu log lines of task '%s' of execution '%s': the task does not exist",
			       (unsigned long long)a->lines, task_id, exec_id);
		return c;
	}
	if (t.log_count != a->lines)
		report(a, "task '%s' of execution '%s': counts %llu log lines but has %llu", task_id, exec_id,
		       (unsigned long long)t.log_count, (unsigned long long)a->lines);
	record_task_free(&t);
	return STORE_OK;
}

static store_code check_log(void *ctx, const DBT *k, const DBT *d)
{
	(void)d;
	verify_arg *a = ctx;
	if (k->size < 10 || k->size - 8 > sizeof a->prefix || ((unsigned char *)k->data)[k->size - 9] != '\0') {
		char kt[300];
		key_text(kt, sizeof kt, k->data, k->size, 0);
		report(a, "log key '%s' is malformed", kt);
		return STORE_OK;
	}
	size_t n = k->size - 8;
	if (n != a->pn || memcmp(a->prefix, k->data, n) != 0) {
		store_code c = a->pn ? logs_group_end(a) : STORE_OK;
		if (c)
			return c;
		memcpy(a->prefix, k->data, n);
		a->pn = n;
		a->lines = 0;
	}
	uint64_t no = key_get_u64((const unsigned char *)k->data + n);
	if (no != a->lines)
		report(a, "task '%s' of execution '%s': log line %llu where %llu was expected",
		       (const char *)a->prefix + strlen((const char *)a->prefix) + 1, (const char *)a->prefix,
		       (unsigned long long)no, (unsigned long long)a->lines);
	a->lines = no + 1;
	return STORE_OK;
}

/* Every entry of the deadline index names a waiting task with that deadline. */
static store_code check_deadline(void *ctx, const DBT *k, const DBT *d)
{
	(void)d;
	verify_arg *a = ctx;
	char exec_id[RECORD_ID_MAX + 1], task_id[RECORD_ID_MAX + 1];
	int64_t us, key_us;
	if (key_deadline_parse(k->data, k->size, &key_us, exec_id, task_id) < 0) {
		report(a, "deadline index: a malformed entry");
		return STORE_OK;
	}
	record_task t;
	int found;
	store_code c = get_task(a, exec_id, task_id, &t, &found);
	if (c || found != 1) {
		if (!c && !found)
			report(a, "deadline index: an entry for task '%s' of execution '%s', which does not exist",
			       task_id, exec_id);
		return c;
	}
	if (t.status != TASK_WAITING || !t.input_deadline || !record_timestamp_parse(t.input_deadline, &us) ||
	    us != key_us)
		report(a, "deadline index: task '%s' of execution '%s' is %s with deadline %s, not as indexed", task_id,
		       exec_id, status_task_name(t.status), t.input_deadline ? t.input_deadline : "none");
	record_task_free(&t);
	return STORE_OK;
}

static store_code verify_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	verify_arg *a = arg;
	if (a->problem) /* an attempt before this one reported what it found so far */
		a->problem(a->ctx, NULL);
	a->n = 0;
	a->st = st;
	a->txn = txn;
	a->err = err;
	memset(a->tally, 0, sizeof a->tally);
	a->pn = 0;
	a->lines = 0;
	a->last_event = 0;
	store_code c = rec_each(st, txn, DBI_EXECS, false, check_exec, a, err);
	if (!c)
		c = rec_each(st, txn, DBI_TASKS, false, check_task, a, err);
	if (!c && !(c = rec_each(st, txn, DBI_LOGS, true, check_log, a, err)) && a->pn)
		c = logs_group_end(a);
	if (!c)
		c = rec_each(st, txn, DBI_DEADLINES, false, check_deadline, a, err);
	for (int s = 0; s < EXEC_STATUS_COUNT && !c; s++) {
		a->status = (exec_status)s;
		c = rec_each(st, txn, DBI_STATUS(s), false, check_index, a, err);
	}
	if (!c)
		c = rec_each(st, txn, DBI_EVENTS, false, check_event, a, err);
	meta_state ms;
	if (!c)
		c = state_read(st, txn, &ms, 0, err);
	if (!c && a->last_event > ms.event_seq)
		report(a, "event sequence is %llu but event %llu exists", (unsigned long long)ms.event_seq,
		       (unsigned long long)a->last_event);
	for (int s = 0; s < EXEC_STATUS_COUNT && !c; s++) {
		uint64_t v = ms.counts[s];
		if (v != a->tally[s])
			report(a, "count of %s executions is %llu but %llu records have that status",
			       status_exec_name((exec_status)s), (unsigned long long)v, (unsigned long long)a->tally[s]);
	}
	return c;
}

store_code dbs_verify(dbs *st, void (*problem)(void *ctx, const char *what), void *ctx, size_t *n_problems,
		      store_err *err)
{
	verify_arg a;
	memset(&a, 0, sizeof a);
	a.problem = problem;
	a.ctx = ctx;
	store_code c = txn_read(st, verify_txn, &a, err);
	if (n_problems)
		*n_problems = a.n;
	return c;
}
