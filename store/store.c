/* store.c - the Berkeley DB environment: open, upgrade, transactions, meta.
 *
 * How several processes share one home without hanging on each other:
 * - DB_REGISTER|DB_RECOVER: the first opener after a crash runs recovery only
 *   when a registered process died; DB_FAILCHK (with set_thread_count and an
 *   is-alive callback) makes it release a dead process's locks and abort its
 *   transactions instead of panicking every live process.
 * - Every handle is opened DB_MULTIVERSION and every read runs in a
 *   DB_TXN_SNAPSHOT transaction, so readers never wait on a writer's locks,
 *   not even on those of a writer that was killed mid-transaction.
 * - Writers use a lock timeout, and each process runs a watchdog thread that
 *   calls failchk (which aborts a dead process's transaction and frees its
 *   locks) when the registry names a newly dead process, and expires
 *   timed-out lock requests twice a second: Berkeley DB
 *   checks timeouts only when its detector runs, so a writer blocked on a dead
 *   process's lock would otherwise wait forever.  A timed-out writer retries.
 * - A DB_EVENT_PANIC (or DB_RUNRECOVERY) closes every handle and reopens the
 *   environment, which runs recovery; a long-lived dashboard survives that.
 * - A checkpoint whenever a log file's worth (4 MB) of log has been written
 *   since the last, with DB_LOG_AUTO_REMOVE, bounds the log that a recovery
 *   replays and that the home keeps (two files at most, usually one). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store_int.h"

const char *const dbi_file[DBI_COUNT] = {
	[DBI_META] = "meta.db",
	[DBI_EXECS] = "executions.db",
	[DBI_TASKS] = "tasks.db",
	[DBI_STATUS(EXEC_RUNNING)] = "status-running.db",
	[DBI_STATUS(EXEC_WAITING)] = "status-waiting-for-input.db",
	[DBI_STATUS(EXEC_COMPLETE)] = "status-complete.db",
	[DBI_STATUS(EXEC_FAILED)] = "status-failed.db",
	[DBI_EVENTS] = "events.db",
	[DBI_EV_BY_EXEC] = "events_by_exec.db",
};

#define LOCK_TIMEOUT_US (2 * 1000 * 1000)
#define MAX_ATTEMPTS 200
#define CHECKPOINT_EVERY 256 /* commits between checkpoint checks */
#define CHECKPOINT_KB 4096   /* log written since the last checkpoint (a log file) */
#define DEFAULT_CACHE_MB 256

/* ---- errors ---- */

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

store_code err_set(store_err *err, store_code code, const char *fmt, ...)
{
	va_list ap;
	err->code = code;
	err->db_ret = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

store_code err_db(store *st, store_err *err, int ret, const char *fmt, ...)
{
	va_list ap;
	char what[512];
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	err->code = STORE_STORAGE;
	err->db_ret = ret;
	if (st && st->dbmsg[0] && ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED)
		snprintf(err->msg, sizeof err->msg, "%s: %s (%s)", what, db_strerror(ret), st->dbmsg);
	else
		snprintf(err->msg, sizeof err->msg, "%s: %s", what, db_strerror(ret));
	return STORE_STORAGE;
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
static uint64_t start_order(const record_exec *e)
{
	int64_t us = 0;
	record_timestamp_parse(e->start_timestamp, &us);
	return (uint64_t)us ^ (UINT64_C(1) << 63);
}

size_t key_by_start(unsigned char *out, size_t cap, const record_exec *e)
{
	size_t n = strlen(e->id);
	if (8 + n > cap)
		return 0;
	key_u64(out, UINT64_MAX - start_order(e));
	memcpy(out + 8, e->id, n);
	return 8 + n;
}

size_t key_by_status(unsigned char *out, size_t cap, const record_exec *e)
{
	size_t n = strlen(e->id);
	if (8 + n > cap)
		return 0;
	key_u64(out, start_order(e));
	memcpy(out + 8, e->id, n);
	return 8 + n;
}

void store_cursor_at(store_cursor *cur, const record_exec *e, bool inclusive)
{
	memset(cur, 0, sizeof *cur);
	size_t n = strlen(e->id);
	if (9 + n > sizeof cur->key)
		n = sizeof cur->key - 9;
	key_u64(cur->key, start_order(e));
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

static DBT dbt(const void *p, size_t n)
{
	DBT d;
	memset(&d, 0, sizeof d);
	d.data = (void *)p;
	d.size = (u_int32_t)n;
	return d;
}

/* ---- meta ---- */

store_code meta_get_u64(store *st, DB_TXN *txn, const char *name, uint64_t *v, u_int32_t flags, store_err *err)
{
	unsigned char b[8];
	DBT k = dbt(name, strlen(name)), d = dbt(NULL, 0);
	d.data = b;
	d.ulen = sizeof b;
	d.flags = DB_DBT_USERMEM;
	int ret = st->db[DBI_META]->get(st->db[DBI_META], txn, &k, &d, flags);
	if (ret == DB_NOTFOUND) {
		*v = 0;
		return STORE_OK;
	}
	if (ret)
		return err_db(st, err, ret, "reading '%s' from %s", name, dbi_file[DBI_META]);
	if (d.size != 8)
		return err_set(err, STORE_FORMAT, "%s: '%s' has %u bytes, expected 8", dbi_file[DBI_META], name,
			       d.size);
	*v = key_get_u64(b);
	return STORE_OK;
}

store_code meta_put_u64(store *st, DB_TXN *txn, const char *name, uint64_t v, store_err *err)
{
	unsigned char b[8];
	key_u64(b, v);
	DBT k = dbt(name, strlen(name)), d = dbt(b, 8);
	int ret = st->db[DBI_META]->put(st->db[DBI_META], txn, &k, &d, 0);
	return ret ? err_db(st, err, ret, "writing '%s' to %s", name, dbi_file[DBI_META]) : STORE_OK;
}

/* The state record is big-endian 64-bit words: generation, event sequence,
 * then one count per status in status order.  A shorter record (written
 * before a status existed) reads that count as zero; a longer one keeps its
 * extra words unread. */
#define STATE_WORDS (2 + EXEC_STATUS_COUNT)

store_code state_read(store *st, DB_TXN *txn, meta_state *s, u_int32_t flags, store_err *err)
{
	unsigned char b[8 * 64];
	DBT k = dbt("state", 5), d = dbt(NULL, 0);
	d.data = b;
	d.ulen = sizeof b;
	d.flags = DB_DBT_USERMEM;
	memset(s, 0, sizeof *s);
	int ret = st->db[DBI_META]->get(st->db[DBI_META], txn, &k, &d, flags);
	if (ret == DB_NOTFOUND)
		return STORE_OK;
	if (ret)
		return err_db(st, err, ret, "reading the state from %s", dbi_file[DBI_META]);
	if (d.size % 8 || d.size < 16)
		return err_set(err, STORE_FORMAT, "%s: the state record has %u bytes; the file is damaged",
			       dbi_file[DBI_META], d.size);
	size_t words = d.size / 8;
	s->generation = key_get_u64(b);
	s->event_seq = key_get_u64(b + 8);
	for (size_t i = 2; i < words && i < STATE_WORDS; i++)
		s->counts[i - 2] = key_get_u64(b + 8 * i);
	return STORE_OK;
}

store_code state_write(store *st, DB_TXN *txn, const meta_state *s, store_err *err)
{
	unsigned char b[8 * STATE_WORDS];
	key_u64(b, s->generation);
	key_u64(b + 8, s->event_seq);
	for (size_t i = 0; i < EXEC_STATUS_COUNT; i++)
		key_u64(b + 16 + 8 * i, s->counts[i]);
	DBT k = dbt("state", 5), d = dbt(b, sizeof b);
	int ret = st->db[DBI_META]->put(st->db[DBI_META], txn, &k, &d, 0);
	return ret ? err_db(st, err, ret, "writing the state to %s", dbi_file[DBI_META]) : STORE_OK;
}

store_code txn_state(store *st, DB_TXN *txn, meta_state **s, store_err *err)
{
	if (!st->ts_loaded) {
		store_code c = state_read(st, txn, &st->ts, DB_RMW, err);
		if (c)
			return c;
		st->ts_loaded = true;
	}
	*s = &st->ts;
	return STORE_OK;
}

/* Counts change in memory and reach the state record when the transaction
 * ends, so the state (which every writer changes) stays locked only for the
 * last steps of a transaction. */
static void count_add(store *st, exec_status s, int delta)
{
	if ((unsigned)s < EXEC_STATUS_COUNT)
		st->count_delta[s] += delta;
}

/* Ends a write transaction's use of the state: counts, generation, one put. */
static store_code state_finish(store *st, DB_TXN *txn, store_err *err)
{
	meta_state *ms;
	store_code c = txn_state(st, txn, &ms, err);
	if (c)
		return c;
	for (int s = 0; s < EXEC_STATUS_COUNT; s++) {
		int64_t d = st->count_delta[s];
		ms->counts[s] = d < 0 && (uint64_t)-d > ms->counts[s] ? 0 : ms->counts[s] + (uint64_t)d;
	}
	ms->generation++;
	return state_write(st, txn, ms, err);
}

/* ---- records ---- */

store_code rec_get_exec(store *st, DB_TXN *txn, const char *id, record_exec *e, u_int32_t flags, store_err *err)
{
	DBT k = dbt(id, strlen(id)), d = dbt(NULL, 0);
	d.flags = DB_DBT_MALLOC;
	int ret = st->db[DBI_EXECS]->get(st->db[DBI_EXECS], txn, &k, &d, flags);
	if (ret == DB_NOTFOUND)
		return err_set(err, STORE_NOT_FOUND, "execution '%s' not found", id);
	if (ret)
		return err_db(st, err, ret, "reading execution '%s'", id);
	char why[256];
	int rc = record_decode_exec(d.data, d.size, e, why, sizeof why);
	free(d.data);
	if (rc < 0)
		return err_set(err, STORE_FORMAT, "execution '%s' cannot be decoded: %s", id, why);
	return STORE_OK;
}

store_code rec_get_task(store *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_task *t,
			u_int32_t flags, store_err *err)
{
	unsigned char key[300];
	size_t kn = key_task(key, sizeof key, exec_id, task_id);
	if (!kn)
		return err_set(err, STORE_NOT_FOUND, "task '%s' not found in execution '%s'", task_id, exec_id);
	DBT k = dbt(key, kn), d = dbt(NULL, 0);
	d.flags = DB_DBT_MALLOC;
	int ret = st->db[DBI_TASKS]->get(st->db[DBI_TASKS], txn, &k, &d, flags);
	if (ret == DB_NOTFOUND)
		return err_set(err, STORE_NOT_FOUND, "task '%s' not found in execution '%s'", task_id, exec_id);
	if (ret)
		return err_db(st, err, ret, "reading task '%s' of execution '%s'", task_id, exec_id);
	char why[256];
	int rc = record_decode_task(d.data, d.size, t, why, sizeof why);
	free(d.data);
	if (rc < 0)
		return err_set(err, STORE_FORMAT, "task '%s' of execution '%s' cannot be decoded: %s", task_id,
			       exec_id, why);
	return STORE_OK;
}

static store_code put_raw(store *st, DB_TXN *txn, dbi which, const void *k, size_t kn, const void *v, size_t vn,
			  store_err *err)
{
	DBT key = dbt(k, kn), val = dbt(v, vn);
	int ret = st->db[which]->put(st->db[which], txn, &key, &val, 0);
	return ret ? err_db(st, err, ret, "writing to %s", dbi_file[which]) : STORE_OK;
}

static store_code del_raw(store *st, DB_TXN *txn, dbi which, const void *k, size_t kn, store_err *err)
{
	DBT key = dbt(k, kn);
	int ret = st->db[which]->del(st->db[which], txn, &key, 0);
	if (ret == DB_NOTFOUND)
		return STORE_OK;
	return ret ? err_db(st, err, ret, "deleting from %s", dbi_file[which]) : STORE_OK;
}

/* The status index entry and the counts follow the record: the entry of
 * `old` goes, `e`'s is written (with `rec`, its encoded record, as value). */
static store_code index_update(store *st, DB_TXN *txn, const record_exec *e, const record_buf *rec,
			       const record_exec *old, store_err *err)
{
	unsigned char k[200];
	size_t kn;
	store_code c;
	bool same_key = old && e && old->status == e->status && strcmp(old->start_timestamp, e->start_timestamp) == 0;
	if (old && !same_key) {
		if ((kn = key_by_status(k, sizeof k, old)) && (unsigned)old->status < EXEC_STATUS_COUNT &&
		    (c = del_raw(st, txn, DBI_STATUS(old->status), k, kn, err)))
			return c;
		count_add(st, old->status, -1);
	}
	if (e) {
		/* the value changes with the record even when the key stays */
		if ((kn = key_by_status(k, sizeof k, e)) && (unsigned)e->status < EXEC_STATUS_COUNT &&
		    (c = put_raw(st, txn, DBI_STATUS(e->status), k, kn, rec->data, rec->len, err)))
			return c;
		if (!same_key)
			count_add(st, e->status, +1);
	}
	return STORE_OK;
}

store_code rec_put_exec(store *st, DB_TXN *txn, const record_exec *e, const record_exec *old, store_err *err)
{
	record_buf b = { 0 };
	if (record_encode_exec(e, &b) < 0)
		return err_set(err, STORE_STORAGE, "out of memory encoding execution '%s'", e->id);
	store_code c = put_raw(st, txn, DBI_EXECS, e->id, strlen(e->id), b.data, b.len, err);
	if (!c)
		c = index_update(st, txn, e, &b, old, err);
	record_buf_free(&b);
	return c;
}

/* Removes an execution record with its index entry and count. */
store_code rec_del_exec(store *st, DB_TXN *txn, const record_exec *old, store_err *err);
store_code rec_del_exec(store *st, DB_TXN *txn, const record_exec *old, store_err *err)
{
	store_code c = del_raw(st, txn, DBI_EXECS, old->id, strlen(old->id), err);
	return c ? c : index_update(st, txn, NULL, NULL, old, err);
}

store_code rec_put_task(store *st, DB_TXN *txn, const record_task *t, store_err *err)
{
	unsigned char key[300];
	record_buf b = { 0 };
	size_t kn = key_task(key, sizeof key, t->execution_id, t->task_id);
	if (!kn)
		return err_set(err, STORE_INVALID_INPUT, "task id '%s' is too long", t->task_id);
	if (record_encode_task(t, &b) < 0)
		return err_set(err, STORE_STORAGE, "out of memory encoding task '%s'", t->task_id);
	store_code c = put_raw(st, txn, DBI_TASKS, key, kn, b.data, b.len, err);
	record_buf_free(&b);
	return c;
}

store_code rec_add_event(store *st, DB_TXN *txn, record_event *ev, store_err *err)
{
	meta_state *ms;
	char now[40];
	store_code c = txn_state(st, txn, &ms, err);
	if (c)
		return c;
	uint64_t seq = ++ms->event_seq;
	ev->seq = seq;
	record_timestamp_now(now, sizeof now);
	ev->time = now;
	ev->actor = st->actor;
	record_buf b = { 0 };
	int rc = record_encode_event(ev, &b);
	ev->time = ev->actor = NULL;
	if (rc < 0)
		return err_set(err, STORE_STORAGE, "out of memory encoding an event");
	unsigned char k[8];
	key_u64(k, seq);
	c = put_raw(st, txn, DBI_EVENTS, k, 8, b.data, b.len, err);
	record_buf_free(&b);
	if (c || !ev->execution_id)
		return c;
	unsigned char ik[200];
	size_t n = strlen(ev->execution_id);
	if (n + 9 > sizeof ik)
		return STORE_OK;
	memcpy(ik, ev->execution_id, n);
	ik[n] = '\0';
	key_u64(ik + n + 1, seq);
	return put_raw(st, txn, DBI_EV_BY_EXEC, ik, n + 9, "", 0, err);
}

/* ---- environment ---- */

/* A process counts as alive unless it is gone or a zombie: kill(pid, 0)
 * succeeds on an unreaped process, whose locks would then never be freed. */
static int is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
{
	(void)env;
	(void)tid;
	(void)flags;
	if (pid == getpid())
		return 1;
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the state follows the last ')' (the command name may hold parentheses) */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 1;
	return !(p[2] == 'Z' || p[2] == 'X' || p[2] == 'x');
}

static void on_event(DB_ENV *env, u_int32_t event, void *info)
{
	(void)info;
	store *st = env->app_private;
	if (st && (event == DB_EVENT_PANIC || event == DB_EVENT_REG_PANIC))
		st->panicked = 1;
}

/* Informational messages (failchk's "Freeing read locks ...") are not errors. */
static void on_info(const DB_ENV *env, const char *msg)
{
	(void)env;
	(void)msg;
}

static void on_message(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)pfx;
	store *st = env->app_private;
	/* the first message since the operation began names the cause (a full
	 * disk, say); later ones name its consequences (a cache that cannot
	 * evict pages it cannot write) */
	if (st && !st->dbmsg[0])
		snprintf(st->dbmsg, sizeof st->dbmsg, "%s", msg);
}

#define WATCHDOG_MS 500

static void registry_scan(const char *home, int *alive, int *dead, long *a_live_pid, unsigned long *dead_sig);
static void registry_scan_fd(int fd, int *alive, int *dead, long *a_live_pid, unsigned long *dead_sig);

/* failchk walks every buffer header of the cache (and so maps in a page of
 * shared memory per cached page): it runs only when the registry names a
 * process that died since the last run, not on every tick. */
static void *watchdog_main(void *arg)
{
	store *st = arg;
	unsigned long cleaned = 0; /* the dead processes failchk has dealt with */
	pthread_mutex_lock(&st->watchdog_mu);
	while (!st->watchdog_stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WATCHDOG_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&st->watchdog_cv, &st->watchdog_mu, &ts);
		if (st->watchdog_stop)
			break;
		int alive, dead;
		long live_pid;
		unsigned long sig;
		registry_scan_fd(st->regfd, &alive, &dead, &live_pid, &sig);
		if (dead && sig != cleaned) {
			int ret = st->env->failchk(st->env, 0);
			if (ret == DB_RUNRECOVERY) {
				st->panicked = 1;
				continue;
			}
			if (ret == 0)
				cleaned = sig;
		}
		st->env->lock_detect(st->env, 0, DB_LOCK_EXPIRE, NULL);
	}
	pthread_mutex_unlock(&st->watchdog_mu);
	return NULL;
}

static void watchdog_start(store *st)
{
	st->watchdog_stop = false;
	st->watchdog_running = pthread_create(&st->watchdog, NULL, watchdog_main, st) == 0;
}

static void watchdog_join(store *st)
{
	if (!st->watchdog_running)
		return;
	pthread_mutex_lock(&st->watchdog_mu);
	st->watchdog_stop = true;
	pthread_cond_signal(&st->watchdog_cv);
	pthread_mutex_unlock(&st->watchdog_mu);
	pthread_join(st->watchdog, NULL);
	st->watchdog_running = false;
}

static void close_handles(store *st)
{
	watchdog_join(st);
	/* a panicked environment refuses to close its handles (and leaks them)
	 * unless told to ignore the panic for the close */
	if (st->env && st->panicked)
		st->env->set_flags(st->env, DB_NOPANIC, 1);
	for (int i = 0; i < DBI_COUNT; i++)
		if (st->db[i]) {
			st->db[i]->close(st->db[i], 0);
			st->db[i] = NULL;
		}
	if (st->env) {
		st->env->close(st->env, 0);
		st->env = NULL;
	}
	if (st->regfd >= 0) {
		close(st->regfd); /* only now: see registry_scan_fd */
		st->regfd = -1;
	}
}

/* The sizes and log settings of an environment: the same whoever creates
 * the regions (an open, or a recovery after a process died inside them). */
static void env_tune(DB_ENV *env)
{
	/* The cache is sized when a home's regions are created: 256 MB, which is
	 * where the memory a region takes grows to as it is used.  At 100,000
	 * executions (a 120 MB home) no-sync transitions ran at 15,000/s with it
	 * and 9,600/s with 64 MB, whose every miss evicted a page.  SEESTORE_CACHE_MB
	 * (16-16384) lets a bulk load such as seectl gen ask for more */
	const char *cache_env = getenv("SEESTORE_CACHE_MB");
	long cache_mb = cache_env ? strtol(cache_env, NULL, 10) : DEFAULT_CACHE_MB;
	if (cache_mb < 16 || cache_mb > 16384)
		cache_mb = DEFAULT_CACHE_MB;
	env->set_cachesize(env, (u_int32_t)(cache_mb / 1024), (u_int32_t)(cache_mb % 1024) * 1024 * 1024, 1);
	/* one hash bucket per page the cache holds (the default is about one
	 * per ten): each buffer header a lookup or an eviction touches is a page
	 * of shared memory mapped into the process.  Reading a first screen on a
	 * full cache (100,000 executions) touched 25 MB with this, 29 MB with
	 * the default and 86 MB with 200 buckets. */
	env->set_mp_tablesize(env, (u_int32_t)(cache_mb * 1024 / 4));
	/* the buckets share mutexes, one per 16: a mutex per bucket would take
	 * the room of the mutexes each cached buffer (and each of its MVCC
	 * versions) needs, and a full cache then ran out of them ("unable to
	 * allocate memory for mutex") at a million executions; and some room
	 * beyond Berkeley DB's own estimate */
	env->set_mp_mtxcount(env, (u_int32_t)(cache_mb * 1024 / 4 / 16));
	env->mutex_set_increment(env, 20000);
	env->set_lg_bsize(env, 1024 * 1024);
	/* 4 MB log files (the default is 10 MB): after a checkpoint one file
	 * remains, and it is zero-filled to its full size (DB_LOG_ZERO) */
	env->set_lg_max(env, 4 * 1024 * 1024);
	env->set_lk_max_locks(env, 200000);
	env->set_lk_max_objects(env, 200000);
	env->set_lk_max_lockers(env, 20000);
	env->set_lk_detect(env, DB_LOCK_DEFAULT);
	env->set_timeout(env, LOCK_TIMEOUT_US, DB_SET_LOCK_TIMEOUT);
	env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	/* new log files are zero-filled when created, so a commit's fdatasync
	 * writes data only, not the file's growing size */
	env->log_set_config(env, DB_LOG_ZERO, 1);
}

static store_code env_open(store *st, store_err *err)
{
	DB_ENV *env;
	int ret = db_env_create(&env, 0);
	if (ret)
		return err_db(st, err, ret, "creating the environment handle");
	st->env = env;
	env->app_private = st;
	env->set_errcall(env, on_message);
	env->set_msgcall(env, on_info);
	env->set_event_notify(env, on_event);
	env->set_isalive(env, is_alive);
	env->set_thread_count(env, 256);
	env_tune(env);
	if (st->flags & STORE_OPEN_NO_SYNC)
		env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1);
	u_int32_t oflags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_REGISTER |
			   DB_RECOVER | DB_THREAD;
	/* When the registry names a dead process, DB_FAILCHK has the open clean
	 * up after it (releasing its locks, aborting its transactions) instead
	 * of running recovery under the feet of the live ones.  Otherwise it is
	 * left out: it walks the whole cache, which costs a new dashboard time
	 * and memory in proportion to the cache, not to what it reads. */
	int alive, dead;
	long live_pid;
	registry_scan(st->home, &alive, &dead, &live_pid, NULL);
	if (dead)
		oflags |= DB_FAILCHK;
	st->dbmsg[0] = '\0';
	ret = env->open(env, st->home, oflags, 0600);
	if (ret) {
		if (ret == EACCES || ret == EROFS)
			err_set(err, STORE_STORAGE,
				"cannot open home '%s': %s (every user of a home, read-only ones too, needs write "
				"access to its __db.* region files)",
				st->home, strerror(ret));
		else
			err_db(st, err, ret, "cannot open home '%s'", st->home);
		close_handles(st);
		return STORE_STORAGE;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/__db.register", st->home);
	st->regfd = open(path, O_RDONLY | O_CLOEXEC);
	watchdog_start(st);
	return STORE_OK;
}

static store_code db_open_one(store *st, DB_TXN *txn, dbi i, u_int32_t extra, store_err *err)
{
	DB *db;
	int ret = db_create(&db, st->env, 0);
	if (ret)
		return err_db(st, err, ret, "creating a handle for %s", dbi_file[i]);
	u_int32_t flags = DB_MULTIVERSION | extra;
	if (st->flags & STORE_OPEN_READ_ONLY)
		flags = DB_RDONLY | (extra & ~DB_CREATE);
	if (!txn)
		flags |= DB_AUTO_COMMIT; /* makes the handle transactional */
	st->dbmsg[0] = '\0';
	ret = db->open(db, txn, dbi_file[i], NULL, DB_BTREE, flags, 0600);
	if (ret) {
		db->close(db, 0);
		if (ret == ENOENT)
			return err_set(err, STORE_FORMAT, "%s/%s is missing: the home is damaged (restore it, or "
				       "export what remains with seectl export)", st->home, dbi_file[i]);
		if (ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED)
			return err_db(st, err, ret, "opening %s", dbi_file[i]);
		store_code c = err_db(st, err, ret, "cannot open %s/%s", st->home, dbi_file[i]);
		err->code = STORE_FORMAT;
		snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
			 "; the file is damaged: restore it from a backup or run db_recover -c -h '%s'", st->home);
		(void)c;
		return STORE_FORMAT;
	}
	st->db[i] = db;
	return STORE_OK;
}

/* Reads the format of an existing home without changing anything: 0 when the
 * home holds no store yet. */
static store_code probe_format(store *st, uint64_t *format, store_err *err)
{
	DB *db;
	*format = 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", st->home, dbi_file[DBI_META]);
	if (access(path, F_OK) != 0)
		return STORE_OK;
	int ret = db_create(&db, st->env, 0);
	if (ret)
		return err_db(st, err, ret, "creating a handle for %s", dbi_file[DBI_META]);
	ret = db->open(db, NULL, dbi_file[DBI_META], NULL, DB_BTREE, DB_RDONLY | DB_AUTO_COMMIT, 0600);
	if (ret) {
		db->close(db, 0);
		err_db(st, err, ret, "cannot open %s", path);
		err->code = STORE_FORMAT;
		snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
			 "; the file is damaged: restore it from a backup or run db_recover -c -h '%s'", st->home);
		return STORE_FORMAT;
	}
	/* a snapshot read: a writer mid-transaction (or killed in one) holds
	 * locks on this page, and a snapshot never waits on them */
	DB_TXN *txn;
	store_code c;
	st->db[DBI_META] = db;
	if ((ret = st->env->txn_begin(st->env, NULL, &txn, DB_TXN_SNAPSHOT)) != 0) {
		c = err_db(st, err, ret, "beginning a transaction");
	} else {
		c = meta_get_u64(st, txn, "format", format, 0, err);
		txn->commit(txn, 0);
	}
	st->db[DBI_META] = NULL;
	db->close(db, 0);
	return c;
}

/* What the store derives from an execution's tasks: how many are complete
 * and, for a waiting execution of the pre-pause layout (which carries no
 * pause fields), the first task that waits.  The caller writes the record. */
static store_code derive_from_tasks(store *st, DB_TXN *txn, record_exec *e, store_err *err)
{
	bool want_pause = e->status == EXEC_WAITING && !e->is_paused;
	e->tasks_complete = 0;
	for (size_t i = 0; i < e->n_task_ids; i++) {
		record_task t;
		store_err one;
		if (rec_get_task(st, txn, e->id, e->task_ids[i], &t, 0, &one) != STORE_OK)
			continue; /* verify reports it */
		task_status ts = t.status;
		record_task_free(&t);
		e->tasks_complete += ts == TASK_COMPLETE;
		if (want_pause && ts == TASK_WAITING) {
			want_pause = false;
			e->is_paused = true;
			e->paused_task_id = record_strdup(e->task_ids[i]);
			if (!e->paused_task_id)
				return err_set(err, STORE_STORAGE, "out of memory");
		}
	}
	return STORE_OK;
}

/* Rebuilds what format 3 derives from the records: the covering status
 * index, the per-status counts and each execution's count of complete tasks;
 * a pre-pause (format 1) waiting execution gets its pause fields from its
 * first waiting task. */
static store_code rebuild_derived(store *st, DB_TXN *txn, uint64_t format, meta_state *ms, store_err *err)
{
	u_int32_t dropped;
	int ret = 0;
	for (int s = 0; s < EXEC_STATUS_COUNT && !ret; s++)
		if ((ret = st->db[DBI_STATUS(s)]->truncate(st->db[DBI_STATUS(s)], txn, &dropped, 0)) != 0)
			return err_db(st, err, ret, "upgrading: emptying %s", dbi_file[DBI_STATUS(s)]);
	DBC *cur;
	DBT k = dbt(NULL, 0), d = dbt(NULL, 0);
	k.flags = d.flags = DB_DBT_REALLOC; /* the environment is free-threaded */
	ret = st->db[DBI_EXECS]->cursor(st->db[DBI_EXECS], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "upgrading: reading %s", dbi_file[DBI_EXECS]);
	store_code c = STORE_OK;
	while (!c && (ret = cur->get(cur, &k, &d, DB_NEXT)) == 0) {
		record_exec e;
		char why[256];
		if (record_decode_exec(d.data, d.size, &e, why, sizeof why) < 0)
			continue; /* verify reports it; the rest stays readable */
		c = derive_from_tasks(st, txn, &e, err);
		record_buf b = { 0 };
		unsigned char key[200];
		size_t kn = key_by_status(key, sizeof key, &e);
		if (!c && record_encode_exec(&e, &b) < 0)
			c = err_set(err, STORE_STORAGE, "out of memory");
		if (!c && kn && (unsigned)e.status < EXEC_STATUS_COUNT)
			c = put_raw(st, txn, DBI_STATUS(e.status), key, kn, b.data, b.len, err);
		/* the record itself is rewritten in the current layout, so that it
		 * and its copy in the index are the same bytes */
		if (!c && (b.len != d.size || memcmp(b.data, d.data, b.len) != 0))
			c = put_raw(st, txn, DBI_EXECS, e.id, strlen(e.id), b.data, b.len, err);
		if (!c && (unsigned)e.status < EXEC_STATUS_COUNT)
			ms->counts[e.status]++;
		record_buf_free(&b);
		record_exec_free(&e);
	}
	cur->close(cur);
	free(k.data);
	free(d.data);
	if (!c && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "upgrading: reading %s", dbi_file[DBI_EXECS]);
	return c;
}

/* Creates a new home, or upgrades an older one, in one transaction. */
static store_code create_or_upgrade(store *st, DB_TXN *txn, void *arg, store_err *err)
{
	(void)arg;
	store_code c;
	for (int i = 0; i < DBI_COUNT; i++)
		if ((c = db_open_one(st, txn, (dbi)i, DB_CREATE, err)))
			return c;
	uint64_t format;
	if ((c = meta_get_u64(st, txn, "format", &format, DB_RMW, err)))
		return c;
	if (format == STORE_FORMAT_VERSION)
		return STORE_OK; /* another process created it first */
	if (format > STORE_FORMAT_VERSION)
		return err_set(err, STORE_FORMAT, "store format %llu in '%s' is newer than this version supports (%d): "
			       "use a newer seetop", (unsigned long long)format, st->home, STORE_FORMAT_VERSION);
	meta_state ms;
	memset(&ms, 0, sizeof ms);
	if (format == 2) {
		/* format 2 kept the generation, the event sequence and each count
		 * under a key of its own (format 3 had the state record, and one
		 * status index file for every status) */
		if ((c = meta_get_u64(st, txn, "generation", &ms.generation, 0, err)) ||
		    (c = meta_get_u64(st, txn, "event_seq", &ms.event_seq, 0, err)))
			return c;
		static const char *const old_keys[] = { "generation", "event_seq", "count.running", "count.waiting-for-input",
							"count.complete", "count.failed" };
		for (size_t i = 0; i < sizeof old_keys / sizeof *old_keys; i++)
			if ((c = del_raw(st, txn, DBI_META, old_keys[i], strlen(old_keys[i]), err)))
				return c;
	}
	if (format == 3) {
		/* format 3 had the state record, and one index file for every status */
		if ((c = state_read(st, txn, &ms, 0, err)))
			return c;
		memset(ms.counts, 0, sizeof ms.counts);
	}
	if (format != 0 && (c = rebuild_derived(st, txn, format, &ms, err)))
		return c;
	if ((c = state_write(st, txn, &ms, err)))
		return c;
	return meta_put_u64(st, txn, "format", STORE_FORMAT_VERSION, err);
}

static const char *const legacy_files[] = { LEGACY_BY_START_FILE, "by_status.db", NULL };

/* The index files of older formats are unused by this one: they go once the
 * upgrade has committed (or at a later open, if the process died in
 * between). */
static void drop_legacy_files(store *st)
{
	if (st->flags & STORE_OPEN_READ_ONLY)
		return;
	for (int i = 0; legacy_files[i]; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", st->home, legacy_files[i]);
		unlink(path);
	}
}

static void drop_db_handles(store *st)
{
	for (int i = 0; i < DBI_COUNT; i++)
		if (st->db[i]) {
			st->db[i]->close(st->db[i], 0);
			st->db[i] = NULL;
		}
}

static store_code run_create(store *st, store_err *err);

/* ---- processes that died inside Berkeley DB ----
 *
 * Berkeley DB's region mutexes are plain pthread mutexes: a process killed
 * while it holds one (for instance while it allocates a transaction's mutex)
 * leaves it locked for ever, and the next opener blocks in env->open before
 * failchk can run.  So when the registry names a process that is gone, the
 * environment is first opened by a child process: if that child does not come
 * back in time and no registered process is alive any more, the regions are
 * removed and recovery rebuilds them from the log.  Nothing committed is lost:
 * the regions are caches and lock tables; the data lives in the log and the
 * database files. */

#define PROBE_SECONDS 10

/* Registered processes other than this one: how many are alive, how many dead. */
/* The registry holds one 25-byte slot per process; a process holds an fcntl
 * lock on the first byte of its slot while it lives, and that is how
 * Berkeley DB tells the living from the dead.  This scan asks the same
 * question (F_GETLK, which takes no lock), so the two always agree.  It must
 * never close a descriptor of the registry while this process has the
 * environment open: closing any descriptor of a file drops every fcntl lock
 * the process holds on it, and the others would take this process for dead. */
static void registry_scan_fd(int fd, int *alive, int *dead, long *a_live_pid, unsigned long *dead_sig)
{
	char slot[26];
	*alive = *dead = 0;
	*a_live_pid = 0;
	if (dead_sig)
		*dead_sig = 0;
	for (off_t off = 0; fd >= 0 && pread(fd, slot, 25, off) == 25; off += 25) {
		slot[25] = '\0';
		long pid = strtol(slot, NULL, 10);
		if (slot[0] == 'X' || pid <= 0 || pid == (long)getpid())
			continue;
		struct flock fl;
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = off;
		fl.l_len = 1;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK) {
			(*dead)++;
			if (dead_sig)
				*dead_sig = *dead_sig * 31 + (unsigned long)pid;
		} else {
			(*alive)++;
			*a_live_pid = pid;
		}
	}
}

static void registry_scan(const char *home, int *alive, int *dead, long *a_live_pid, unsigned long *dead_sig)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/__db.register", home);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	registry_scan_fd(fd, alive, dead, a_live_pid, dead_sig);
	if (fd >= 0)
		close(fd);
}

/* Runs fn in a child process; true when it exits 0 within `secs`. */
static bool in_child(store *st, int (*fn)(store *st), int secs, bool *timed_out)
{
	*timed_out = false;
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(fn(st));
	for (int waited = 0; waited < secs * 100; waited++) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	*timed_out = true;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return false;
}

static int child_open_close(store *st)
{
	store_err err;
	if (env_open(st, &err) != STORE_OK)
		return 1;
	close_handles(st);
	return 0;
}

static int child_recover(store *st)
{
	DB_ENV *env;
	if (db_env_create(&env, 0))
		return 1;
	env_tune(env);
	int ret = env->open(env, st->home,
			    DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_RECOVER, 0600);
	env->close(env, 0);
	return ret != 0;
}

static void remove_regions(const char *home)
{
	DIR *d = opendir(home);
	struct dirent *de;
	char path[4200];
	while (d && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "__db.0", 6) == 0) {
			snprintf(path, sizeof path, "%s/%s", home, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
}

static store_code unwedge(store *st, store_err *err)
{
	int alive, dead;
	long live_pid;
	registry_scan(st->home, &alive, &dead, &live_pid, NULL);
	if (dead == 0)
		return STORE_OK;
	bool timed_out;
	if (in_child(st, child_open_close, PROBE_SECONDS, &timed_out) || !timed_out)
		return STORE_OK; /* the normal open copes (or reports its own error) */
	registry_scan(st->home, &alive, &dead, &live_pid, NULL);
	if (alive)
		return err_set(err, STORE_STORAGE,
			       "home '%s' does not respond: a process died inside Berkeley DB and process %ld still "
			       "uses the home; stop every program using it, then open it again",
			       st->home, live_pid);
	remove_regions(st->home);
	if (!in_child(st, child_recover, 600, &timed_out))
		return err_set(err, STORE_STORAGE, "recovering home '%s' failed: run db_recover -h '%s'", st->home,
			       st->home);
	return STORE_OK;
}

static store_code open_all(store *st, store_err *err)
{
	store_code c = unwedge(st, err);
	if (c)
		return c;
	/* When a home has no region files yet (a new home, or one restored from
	 * a backup of its data and logs) and several processes open it at once,
	 * one creates the regions while another may map a file still being
	 * sized (mmap: EINVAL) or not yet there: a moment later it opens. */
	for (int attempt = 0;; attempt++) {
		c = env_open(st, err);
		if (c == STORE_OK)
			break;
		bool racing = err->db_ret == EINVAL || err->db_ret == EAGAIN || err->db_ret == ENOENT;
		if (!racing || attempt >= 20)
			return c;
		struct timespec ts = { 0, (long)(rand() % 20 + 5) * 1000000L };
		nanosleep(&ts, NULL);
	}
	uint64_t format;
	if ((c = probe_format(st, &format, err)))
		goto fail;
	if (format > STORE_FORMAT_VERSION) {
		c = err_set(err, STORE_FORMAT, "store format %llu in '%s' is newer than this version supports (%d): "
			    "use a newer seetop", (unsigned long long)format, st->home, STORE_FORMAT_VERSION);
		goto fail;
	}
	if (format != STORE_FORMAT_VERSION) {
		if (st->flags & STORE_OPEN_READ_ONLY) {
			c = format == 0 ? err_set(err, STORE_NOT_FOUND, "no store in '%s': create one with seectl "
						  "import, or open it once without --read-only", st->home)
					: err_set(err, STORE_FORMAT, "store in '%s' has format %llu and needs an upgrade: "
						  "open it once without --read-only", st->home,
						  (unsigned long long)format);
			goto fail;
		}
		if ((c = run_create(st, err)))
			goto fail;
		/* after a checkpoint, recovery never reads the log that names the
		 * files the upgrade left behind */
		st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
		drop_legacy_files(st);
		return STORE_OK;
	}
	for (int i = 0; i < DBI_COUNT; i++)
		if ((c = db_open_one(st, NULL, (dbi)i, 0, err)))
			goto fail;
	drop_legacy_files(st);
	return STORE_OK;
fail:
	close_handles(st);
	return c;
}

/* Creation runs as a write transaction but must not bump a generation in a
 * meta database that may not exist yet, so it has its own small retry loop. */
static store_code run_create(store *st, store_err *err)
{
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		DB_TXN *txn;
		int ret = st->env->txn_begin(st->env, NULL, &txn, 0);
		if (ret)
			return err_db(st, err, ret, "beginning a transaction");
		store_code c = create_or_upgrade(st, txn, NULL, err);
		if (c == STORE_OK) {
			ret = txn->commit(txn, 0);
			if (ret == 0)
				return STORE_OK;
			drop_db_handles(st);
			return err_db(st, err, ret, "creating the store in '%s'", st->home);
		}
		txn->abort(txn);
		drop_db_handles(st);
		if (err->db_ret != DB_LOCK_DEADLOCK && err->db_ret != DB_LOCK_NOTGRANTED)
			return c;
		st->env->failchk(st->env, 0);
	}
	return err_set(err, STORE_STORAGE, "creating the store in '%s': gave up after repeated lock conflicts",
		       st->home);
}

static store_code make_home(const char *home, store_err *err)
{
	struct stat sb;
	if (stat(home, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return err_set(err, STORE_STORAGE, "home '%s' is not a directory", home);
		return STORE_OK;
	}
	if (errno != ENOENT)
		return err_set(err, STORE_STORAGE, "cannot use home '%s': %s", home, strerror(errno));
	/* create missing parents too, like mkdir -p; the home itself is private */
	char path[4096];
	snprintf(path, sizeof path, "%s", home);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return err_set(err, STORE_STORAGE, "cannot create '%s': %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return err_set(err, STORE_STORAGE, "cannot create home '%s': %s", home, strerror(errno));
	return STORE_OK;
}

store_code store_open(const char *home, unsigned flags, store **out, store_err *err)
{
	*out = NULL;
	memset(err, 0, sizeof *err);
	if (!home || !*home)
		return err_set(err, STORE_INVALID_INPUT, "no home directory given");
	if (flags & STORE_OPEN_READ_ONLY) {
		struct stat sb;
		if (stat(home, &sb) != 0)
			return err_set(err, STORE_NOT_FOUND, "no store in '%s': %s", home, strerror(errno));
	} else {
		store_code c = make_home(home, err);
		if (c)
			return c;
	}
	store *st = calloc(1, sizeof *st);
	if (!st || !(st->home = record_strdup(home))) {
		free(st);
		return err_set(err, STORE_STORAGE, "out of memory");
	}
	st->regfd = -1;
	pthread_mutex_init(&st->watchdog_mu, NULL);
	pthread_cond_init(&st->watchdog_cv, NULL);
	st->flags = flags;
	snprintf(st->actor, sizeof st->actor, "unknown");
	store_code c = open_all(st, err);
	if (c) {
		pthread_mutex_destroy(&st->watchdog_mu);
		pthread_cond_destroy(&st->watchdog_cv);
		free(st->home);
		free(st);
		return c;
	}
	*out = st;
	return STORE_OK;
}

void store_close(store *st)
{
	if (!st)
		return;
	if (st->env && !(st->flags & STORE_OPEN_READ_ONLY) && !st->panicked)
		st->env->txn_checkpoint(st->env, 0, 0, 0);
	close_handles(st);
	pthread_mutex_destroy(&st->watchdog_mu);
	pthread_cond_destroy(&st->watchdog_cv);
	free(st->home);
	free(st);
}

bool store_is_read_only(const store *st)
{
	return (st->flags & STORE_OPEN_READ_ONLY) != 0;
}

const char *store_home(const store *st)
{
	return st->home;
}

void store_set_actor(store *st, const char *actor)
{
	snprintf(st->actor, sizeof st->actor, "%s", actor && *actor ? actor : "unknown");
}

/* After a panic every handle is unusable: close them all and reopen, which
 * runs recovery through DB_REGISTER when needed. */
static store_code reopen(store *st, store_err *err)
{
	close_handles(st);
	st->panicked = 0;
	store_code c = open_all(st, err);
	if (c)
		snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg), " (after a recovery)");
	return c;
}

static bool is_retryable(int ret)
{
	return ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED;
}

static bool is_panic(store *st, int ret)
{
	return st->panicked || ret == DB_RUNRECOVERY;
}

static void backoff(int attempt)
{
	struct timespec ts = { 0, (long)((rand() % 1000 + 1) * (attempt < 10 ? attempt + 1 : 10)) * 1000L };
	nanosleep(&ts, NULL);
}

/* The log position of a transaction's commit record, from its commit token.
 * Flushing the log up to there (not to its end) is what makes group commit
 * work: a process that waited while another flushed finds its own commit
 * already on disk and returns without an fsync of its own.  The token is
 * version 1 of Berkeley DB 5.3's layout (version, generation, environment
 * id, then the LSN's file and offset, each 32 bits in network order); any
 * other version makes the caller flush the whole log instead. */
bool commit_lsn(const DB_TXN_TOKEN *t, DB_LSN *lsn)
{
	const unsigned char *b = t->buf;
	uint32_t w[5];
	for (int i = 0; i < 5; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	if (w[0] != 1 || w[3] == 0)
		return false;
	lsn->file = w[3];
	lsn->offset = w[4];
	return true;
}

static store_code run_txn(store *st, txn_fn fn, void *arg, bool write, store_err *err)
{
	int reopens = 0;
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		if (!st->env || st->panicked) {
			if (reopens++ > 3)
				break;
			store_code c = reopen(st, err);
			if (c)
				return c;
		}
		DB_TXN *txn;
		memset(err, 0, sizeof *err);
		st->dbmsg[0] = '\0';
		int ret = st->env->txn_begin(st->env, NULL, &txn, write ? 0 : DB_TXN_SNAPSHOT);
		if (ret) {
			err_db(st, err, ret, "beginning a transaction");
			if (is_panic(st, ret)) {
				st->panicked = 1;
				continue;
			}
			return STORE_STORAGE;
		}
		st->ts_loaded = false;
		memset(st->count_delta, 0, sizeof st->count_delta);
		store_code c = fn(st, txn, arg, err);
		if (c == STORE_OK && write)
			c = state_finish(st, txn, err);
		if (c == STORE_OK) {
			/* Early lock release: the commit record goes to the log buffer
			 * and the locks are freed at once; the log is then flushed
			 * before the caller hears of success.  The guarantee is the
			 * same (nothing is acknowledged before it is on disk), but
			 * other writers no longer wait through our fsync, and one
			 * flush carries every commit that arrived meanwhile (group
			 * commit).  A later transaction's commit record follows ours
			 * in the log, so it can never be durable without ours. */
			DB_TXN_TOKEN token;
			bool have_token = write && txn->set_commit_token(txn, &token) == 0;
			ret = txn->commit(txn, write ? DB_TXN_NOSYNC : 0);
			if (ret == 0 && write && !(st->flags & STORE_OPEN_NO_SYNC)) {
				DB_LSN lsn;
				ret = st->env->log_flush(st->env, have_token && commit_lsn(&token, &lsn) ? &lsn : NULL);
				if (ret) {
					/* committed but maybe not durable: say so, do not retry */
					err_db(st, err, ret, "flushing the log after a commit");
					snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
						 "; the change may not survive a machine crash");
					return STORE_STORAGE;
				}
			}
			if (ret == 0) {
				if (write && ++st->commits >= CHECKPOINT_EVERY) {
					st->commits = 0;
					st->env->txn_checkpoint(st->env, CHECKPOINT_KB, 0, 0);
				}
				return STORE_OK;
			}
			c = err_db(st, err, ret, "committing");
		} else {
			txn->abort(txn);
		}
		if (is_retryable(err->db_ret)) {
			st->env->failchk(st->env, 0);
			backoff(attempt);
			continue;
		}
		if (is_panic(st, err->db_ret)) {
			st->panicked = 1;
			continue;
		}
		return c;
	}
	if (!err->msg[0] || is_retryable(err->db_ret))
		err_set(err, STORE_STORAGE, "gave up after repeated lock conflicts in '%s'", st->home);
	return err->code ? err->code : STORE_STORAGE;
}

store_code txn_write(store *st, txn_fn fn, void *arg, store_err *err)
{
	if (st->flags & STORE_OPEN_READ_ONLY)
		return err_set(err, STORE_READ_ONLY, "store is open read-only");
	return run_txn(st, fn, arg, true, err);
}

store_code txn_read(store *st, txn_fn fn, void *arg, store_err *err)
{
	return run_txn(st, fn, arg, false, err);
}

static store_code read_generation(store *st, DB_TXN *txn, void *arg, store_err *err)
{
	meta_state ms;
	store_code c = state_read(st, txn, &ms, 0, err);
	*(uint64_t *)arg = ms.generation;
	return c;
}

store_code store_generation(store *st, uint64_t *gen, store_err *err)
{
	return txn_read(st, read_generation, gen, err);
}

typedef struct counts_arg {
	uint64_t *counts;
	uint64_t *gen;
} counts_arg;

static store_code read_counts(store *st, DB_TXN *txn, void *arg, store_err *err)
{
	counts_arg *a = arg;
	meta_state ms;
	store_code c = state_read(st, txn, &ms, 0, err);
	memcpy(a->counts, ms.counts, sizeof ms.counts);
	if (a->gen)
		*a->gen = ms.generation;
	return c;
}

store_code store_counts(store *st, uint64_t counts[EXEC_STATUS_COUNT], uint64_t *gen, store_err *err)
{
	counts_arg a = { counts, gen };
	return txn_read(st, read_counts, &a, err);
}

store_code store_checkpoint(store *st, store_err *err)
{
	if (st->flags & STORE_OPEN_READ_ONLY)
		return err_set(err, STORE_READ_ONLY, "store is open read-only");
	int ret = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
	return ret ? err_db(st, err, ret, "checkpoint") : STORE_OK;
}
