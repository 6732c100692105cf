/* dbs_env.c - the Berkeley DB environment of a home, as the store server
 * alone opens it: open, upgrade, transactions, the state record.
 *
 * - One process (the server) uses the environment, so its regions live in
 *   that process's memory (DB_PRIVATE): no region file is mapped from the
 *   home, no other process can hold one of its mutexes, and a full disk
 *   cannot turn into SIGBUS.  Every open runs normal recovery (DB_RECOVER),
 *   which is what the only user of an environment is allowed to do.
 * - The server runs one transaction at a time, so a read never meets a
 *   writer's locks: no multiversion copies are kept (MVCC is what let the
 *   readers of a shared environment pass its writers).
 * - A DB_EVENT_PANIC (or DB_RUNRECOVERY) closes every handle and reopens the
 *   environment, which runs recovery; the server survives that.
 * - Commits are written without a flush; the server flushes the log once for
 *   every commit of a batch of requests (group commit) before it answers.
 * - A checkpoint whenever a log file's worth (4 MB) of log has been written
 *   since the last, with DB_LOG_AUTO_REMOVE, bounds the log that a recovery
 *   replays and that the home keeps. */
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

#include "dbs_int.h"

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
	[DBI_REQUESTS] = "requests.db",
};

#define LOCK_TIMEOUT_US (2 * 1000 * 1000)
#define MAX_ATTEMPTS 200
#define CHECKPOINT_EVERY 256 /* commits between checkpoint checks */
#define CHECKPOINT_KB 4096   /* log written since the last checkpoint (a log file) */
#define DEFAULT_CACHE_MB 256

/* ---- errors ---- */

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

store_code err_db(dbs *st, store_err *err, int ret, const char *fmt, ...)
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

store_code txn_write(dbs *st, txn_fn fn, void *arg, store_err *err);
static store_code request_record(dbs *st, DB_TXN *txn, store_err *err);

static DBT dbt(const void *p, size_t n)
{
	DBT d;
	memset(&d, 0, sizeof d);
	d.data = (void *)p;
	d.size = (u_int32_t)n;
	return d;
}

/* ---- meta ---- */

store_code meta_get_u64(dbs *st, DB_TXN *txn, const char *name, uint64_t *v, u_int32_t flags, store_err *err)
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

store_code meta_put_u64(dbs *st, DB_TXN *txn, const char *name, uint64_t v, store_err *err)
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

store_code state_read(dbs *st, DB_TXN *txn, meta_state *s, u_int32_t flags, store_err *err)
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

store_code state_write(dbs *st, DB_TXN *txn, const meta_state *s, store_err *err)
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

store_code txn_state(dbs *st, DB_TXN *txn, meta_state **s, store_err *err)
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
static void count_add(dbs *st, exec_status s, int delta)
{
	if ((unsigned)s < EXEC_STATUS_COUNT)
		st->count_delta[s] += delta;
}

/* Ends a write transaction's use of the state: counts, generation, one put. */
static store_code state_finish(dbs *st, DB_TXN *txn, store_err *err)
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

store_code rec_get_exec(dbs *st, DB_TXN *txn, const char *id, record_exec *e, u_int32_t flags, store_err *err)
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

store_code rec_get_task(dbs *st, DB_TXN *txn, const char *exec_id, const char *task_id, record_task *t,
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

static store_code put_raw(dbs *st, DB_TXN *txn, dbi which, const void *k, size_t kn, const void *v, size_t vn,
			  store_err *err)
{
	DBT key = dbt(k, kn), val = dbt(v, vn);
	int ret = st->db[which]->put(st->db[which], txn, &key, &val, 0);
	return ret ? err_db(st, err, ret, "writing to %s", dbi_file[which]) : STORE_OK;
}

static store_code del_raw(dbs *st, DB_TXN *txn, dbi which, const void *k, size_t kn, store_err *err)
{
	DBT key = dbt(k, kn);
	int ret = st->db[which]->del(st->db[which], txn, &key, 0);
	if (ret == DB_NOTFOUND)
		return STORE_OK;
	return ret ? err_db(st, err, ret, "deleting from %s", dbi_file[which]) : STORE_OK;
}

/* The status index entry and the counts follow the record: the entry of
 * `old` goes, `e`'s is written (with `rec`, its encoded record, as value). */
static store_code index_update(dbs *st, DB_TXN *txn, const record_exec *e, const record_buf *rec,
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

store_code rec_put_exec(dbs *st, DB_TXN *txn, const record_exec *e, const record_exec *old, store_err *err)
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
store_code rec_del_exec(dbs *st, DB_TXN *txn, const record_exec *old, store_err *err);
store_code rec_del_exec(dbs *st, DB_TXN *txn, const record_exec *old, store_err *err)
{
	store_code c = del_raw(st, txn, DBI_EXECS, old->id, strlen(old->id), err);
	return c ? c : index_update(st, txn, NULL, NULL, old, err);
}

store_code rec_put_task(dbs *st, DB_TXN *txn, const record_task *t, store_err *err)
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

store_code rec_add_event(dbs *st, DB_TXN *txn, record_event *ev, store_err *err)
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

static void on_event(DB_ENV *env, u_int32_t event, void *info)
{
	(void)info;
	dbs *st = env->app_private;
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
	dbs *st = env->app_private;
	/* the first message since the operation began names the cause (a full
	 * disk, say); later ones name its consequences (a cache that cannot
	 * evict pages it cannot write) */
	if (st && !st->dbmsg[0])
		snprintf(st->dbmsg, sizeof st->dbmsg, "%s", msg);
}

static void close_handles(dbs *st)
{
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
}

/* The sizes and log settings of an environment: the same whoever creates
 * the regions (an open, or a recovery after a process died inside them). */
/* The cache size of a home: SEESTORE_CACHE_MB when the server that opens
 * it was started with one (and then kept in the home's file "cache_mb", so
 * that later servers use it too), else what that file says, else 256 MB. */
static long cache_size_mb(const char *home)
{
	char path[4200], buf[32];
	snprintf(path, sizeof path, "%s/cache_mb", home);
	const char *cache_env = getenv("SEESTORE_CACHE_MB");
	long mb = cache_env ? strtol(cache_env, NULL, 10) : 0;
	if (mb >= 16 && mb <= 16384) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			int n = snprintf(buf, sizeof buf, "%ld\n", mb);
			(void)!write(fd, buf, (size_t)n);
			close(fd);
		}
		return mb;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		mb = strtol(buf, NULL, 10);
		if (mb >= 16 && mb <= 16384)
			return mb;
	}
	return DEFAULT_CACHE_MB;
}

static void env_tune(DB_ENV *env, const char *home)
{
	/* The cache is sized when a home's regions are created: 256 MB, which is
	 * where the memory a region takes grows to as it is used.  At 100,000
	 * executions (a 120 MB home) no-sync transitions ran at 15,000/s with it
	 * and 9,600/s with 64 MB, whose every miss evicted a page.  SEESTORE_CACHE_MB
	 * (16-16384) lets a bulk load such as seectl gen ask for more */
	long cache_mb = cache_size_mb(home);
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

static store_code env_open(dbs *st, store_err *err)
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
	env_tune(env, st->home);
	u_int32_t oflags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_PRIVATE |
			   DB_RECOVER;
	st->dbmsg[0] = '\0';
	ret = env->open(env, st->home, oflags, 0600);
	if (ret) {
		err_db(st, err, ret, "cannot open home '%s'", st->home);
		if (ret == DB_RUNRECOVERY || ret == EINVAL)
			snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
				 "; recovery failed, the home is damaged: restore it from a backup or run db_recover "
				 "-c -h '%s'", st->home);
		close_handles(st);
		return STORE_STORAGE;
	}
	return STORE_OK;
}

static store_code db_open_one(dbs *st, DB_TXN *txn, dbi i, u_int32_t extra, store_err *err)
{
	DB *db;
	int ret = db_create(&db, st->env, 0);
	if (ret)
		return err_db(st, err, ret, "creating a handle for %s", dbi_file[i]);
	u_int32_t flags = extra;
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
static store_code probe_format(dbs *st, uint64_t *format, store_err *err)
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
	if ((ret = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0) {
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
static store_code derive_from_tasks(dbs *st, DB_TXN *txn, record_exec *e, store_err *err)
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
static store_code rebuild_derived(dbs *st, DB_TXN *txn, uint64_t format, meta_state *ms, store_err *err)
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
static store_code create_or_upgrade(dbs *st, DB_TXN *txn, void *arg, store_err *err)
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

static const char *const legacy_files[] = { "by_start.db", "by_status.db", NULL };

/* The index files of older formats are unused by this one: they go once the
 * upgrade has committed (or at a later open, if the process died in
 * between). */
static void drop_legacy_files(dbs *st)
{
	if (st->flags & STORE_OPEN_READ_ONLY)
		return;
	for (int i = 0; legacy_files[i]; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", st->home, legacy_files[i]);
		unlink(path);
	}
}

static void drop_db_handles(dbs *st)
{
	for (int i = 0; i < DBI_COUNT; i++)
		if (st->db[i]) {
			st->db[i]->close(st->db[i], 0);
			st->db[i] = NULL;
		}
}

static store_code run_create(dbs *st, store_err *err);

/* Region files of the shared environments earlier versions used: this one
 * keeps its regions in memory, and the server alone opens the home. */
static void remove_region_files(const char *home)
{
	DIR *d = opendir(home);
	struct dirent *de;
	char path[4200];
	while (d && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "__db.", 5) == 0) {
			snprintf(path, sizeof path, "%s/%s", home, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
}

static store_code open_all(dbs *st, store_err *err)
{
	store_code c = env_open(st, err);
	if (c)
		return c;
	remove_region_files(st->home);
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
		if ((c = db_open_one(st, NULL, (dbi)i, i == DBI_REQUESTS ? DB_CREATE : 0, err)))
			goto fail;
	drop_legacy_files(st);
	return STORE_OK;
fail:
	close_handles(st);
	return c;
}

/* Creation runs as a write transaction but must not bump a generation in a
 * meta database that may not exist yet, so it has its own small retry loop. */
static store_code run_create(dbs *st, store_err *err)
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

store_code dbs_open(const char *home, unsigned flags, dbs **out, store_err *err)
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
	dbs *st = calloc(1, sizeof *st);
	if (!st || !(st->home = record_strdup(home))) {
		free(st);
		return err_set(err, STORE_STORAGE, "out of memory");
	}
	st->flags = flags;
	snprintf(st->actor, sizeof st->actor, "unknown");
	store_code c = open_all(st, err);
	if (c) {
		free(st->home);
		free(st);
		return c;
	}
	*out = st;
	return STORE_OK;
}

void dbs_close(dbs *st)
{
	if (!st)
		return;
	if (st->env && !(st->flags & STORE_OPEN_READ_ONLY) && !st->panicked)
		st->env->txn_checkpoint(st->env, 0, 0, 0);
	close_handles(st);
	free(st->home);
	free(st);
}

bool dbs_is_read_only(const dbs *st)
{
	return (st->flags & STORE_OPEN_READ_ONLY) != 0;
}

const char *dbs_home(const dbs *st)
{
	return st->home;
}

void dbs_set_actor(dbs *st, const char *actor)
{
	snprintf(st->actor, sizeof st->actor, "%s", actor && *actor ? actor : "unknown");
}

/* After a panic every handle is unusable: close them all and reopen, which
 * runs recovery. */
static store_code reopen(dbs *st, store_err *err)
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

static bool is_panic(dbs *st, int ret)
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

static store_code run_txn(dbs *st, txn_fn fn, void *arg, bool write, store_err *err)
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
		int ret = st->env->txn_begin(st->env, NULL, &txn, 0);
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
		/* a change the server already made under this request id (its
		 * answer was lost): found in the same transaction, made again never */
		if (write && st->req_key_len) {
			DBT k = dbt(st->req_key, st->req_key_len), d = dbt(NULL, 0);
			ret = st->db[DBI_REQUESTS]->get(st->db[DBI_REQUESTS], txn, &k, &d, 0);
			if (ret == 0) {
				st->req_found = true;
				st->req_result = d.size == 8 ? key_get_u64(d.data) : 0;
				txn->abort(txn);
				return STORE_OK;
			}
			if (ret != DB_NOTFOUND) {
				err_db(st, err, ret, "reading %s", dbi_file[DBI_REQUESTS]);
				txn->abort(txn);
				if (is_retryable(ret)) {
					backoff(attempt);
					continue;
				}
				return STORE_STORAGE;
			}
		}
		store_code c = fn(st, txn, arg, err);
		if (c == STORE_OK && write)
			c = state_finish(st, txn, err);
		if (c == STORE_OK && write && st->req_key_len)
			c = request_record(st, txn, err);
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
			bool sync = write && !(st->flags & STORE_OPEN_NO_SYNC) && !st->req_no_sync;
			if (ret == 0 && sync && st->defer_flush) {
				/* the server flushes once for a whole batch (dbs_flush) */
				DB_LSN lsn;
				if (have_token && commit_lsn(&token, &lsn)) {
					if (!st->need_flush || log_compare(&lsn, &st->flush_lsn) > 0)
						st->flush_lsn = lsn;
									} else {
					st->flush_all = true;
				}
				st->need_flush = true;
			} else if (ret == 0 && sync) {
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
				if (write && st->ts_loaded)
					st->last_generation = st->ts.generation;
				if (write && ++st->commits >= CHECKPOINT_EVERY && !st->defer_flush) {
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

/* ---- request ids ----
 *
 * A client names each change with a request id (the time it made it, then
 * random bytes); the server stores the id in the transaction that makes the
 * change, so a request retried after a lost answer is recognised and not made
 * twice.  Ids older than REQUEST_KEEP_S are dropped at checkpoints. */

#define REQUEST_KEEP_S 900

static store_code request_record(dbs *st, DB_TXN *txn, store_err *err)
{
	unsigned char v[8];
	key_u64(v, st->req_result);
	return put_raw(st, txn, DBI_REQUESTS, st->req_key, st->req_key_len, v, sizeof v, err);
}

bool dbs_request_found(const dbs *st, uint64_t *result)
{
	*result = st->req_result;
	return st->req_found;
}

uint64_t dbs_last_generation(const dbs *st)
{
	return st->last_generation;
}

void dbs_request_set(dbs *st, const void *key, size_t len, uint64_t result)
{
	st->req_found = false;
	st->req_key_len = len > sizeof st->req_key ? 0 : len;
	if (st->req_key_len)
		memcpy(st->req_key, key, st->req_key_len);
	st->req_result = result;
}

static store_code request_prune_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	uint64_t before = *(uint64_t *)arg;
	DBC *cur;
	int ret = st->db[DBI_REQUESTS]->cursor(st->db[DBI_REQUESTS], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_REQUESTS]);
	DBT k = dbt(NULL, 0), d = dbt(NULL, 0);
	for (int n = 0; n < 10000 && (ret = cur->get(cur, &k, &d, DB_NEXT)) == 0; n++) {
		if (k.size < 8 || key_get_u64(k.data) >= before)
			break;
		if ((ret = cur->del(cur, 0)) != 0)
			break;
	}
	cur->close(cur);
	if (ret && ret != DB_NOTFOUND)
		return err_db(st, err, ret, "pruning %s", dbi_file[DBI_REQUESTS]);
	return STORE_OK;
}

static void request_prune(dbs *st)
{
	uint64_t before = (uint64_t)time(NULL) - REQUEST_KEEP_S;
	store_err err;
	size_t saved = st->req_key_len;
	st->req_key_len = 0;
	txn_write(st, request_prune_txn, &before, &err);
	st->req_key_len = saved;
}

store_code dbs_flush(dbs *st, store_err *err)
{
	if (!st->need_flush)
		return STORE_OK;
	st->need_flush = false;
	int ret = st->env->log_flush(st->env, st->flush_all ? NULL : &st->flush_lsn);
	st->flush_all = false;
	if (ret) {
		err_db(st, err, ret, "flushing the log after a commit");
		snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
			 "; the change may not survive a machine crash");
		return STORE_STORAGE;
	}
	if (st->commits >= CHECKPOINT_EVERY) {
		st->commits = 0;
		st->env->txn_checkpoint(st->env, CHECKPOINT_KB, 0, 0);
		request_prune(st);
	}
	return STORE_OK;
}

store_code txn_write(dbs *st, txn_fn fn, void *arg, store_err *err)
{
	if (st->flags & STORE_OPEN_READ_ONLY)
		return err_set(err, STORE_READ_ONLY, "store is open read-only");
	return run_txn(st, fn, arg, true, err);
}

store_code txn_read(dbs *st, txn_fn fn, void *arg, store_err *err)
{
	return run_txn(st, fn, arg, false, err);
}

static store_code read_generation(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	meta_state ms;
	store_code c = state_read(st, txn, &ms, 0, err);
	*(uint64_t *)arg = ms.generation;
	return c;
}

store_code dbs_generation(dbs *st, uint64_t *gen, store_err *err)
{
	return txn_read(st, read_generation, gen, err);
}

typedef struct counts_arg {
	uint64_t *counts;
	uint64_t *gen;
} counts_arg;

static store_code read_counts(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	counts_arg *a = arg;
	meta_state ms;
	store_code c = state_read(st, txn, &ms, 0, err);
	memcpy(a->counts, ms.counts, sizeof ms.counts);
	if (a->gen)
		*a->gen = ms.generation;
	return c;
}

store_code dbs_counts(dbs *st, uint64_t counts[EXEC_STATUS_COUNT], uint64_t *gen, store_err *err)
{
	counts_arg a = { counts, gen };
	return txn_read(st, read_counts, &a, err);
}

store_code dbs_checkpoint(dbs *st, store_err *err)
{
	if (st->flags & STORE_OPEN_READ_ONLY)
		return err_set(err, STORE_READ_ONLY, "store is open read-only");
	int ret = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
	return ret ? err_db(st, err, ret, "checkpoint") : STORE_OK;
}

void dbs_defer_flush(dbs *st, bool defer)
{
	st->defer_flush = defer;
}

void dbs_set_no_sync(dbs *st, bool no_sync)
{
	st->req_no_sync = no_sync;
}

store_code dbs_stats_read(dbs *st, dbs_stats *out, store_err *err)
{
	memset(out, 0, sizeof *out);
	if (!st->env)
		return err_set(err, STORE_STORAGE, "the environment is closed");
	DB_MPOOL_STAT *mp = NULL;
	int ret = st->env->memp_stat(st->env, &mp, NULL, 0);
	if (ret)
		return err_db(st, err, ret, "reading the cache statistics");
	out->cache_bytes = (uint64_t)mp->st_gbytes * 1024 * 1024 * 1024 + mp->st_bytes;
	out->cache_used_bytes = (uint64_t)mp->st_page_clean * mp->st_pagesize + (uint64_t)mp->st_page_dirty * mp->st_pagesize;
	free(mp);
	DB_LOG_STAT *lg = NULL;
	ret = st->env->log_stat(st->env, &lg, 0);
	if (ret)
		return err_db(st, err, ret, "reading the log statistics");
	out->log_file = lg->st_cur_file;
	out->log_offset = lg->st_cur_offset;
	free(lg);
	return STORE_OK;
}

/* Copies one file into dir and flushes it to disk. */
static store_code copy_file(const char *from, const char *dir, const char *name, store_err *err)
{
	char to[4200];
	snprintf(to, sizeof to, "%s/%s", dir, name);
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set(err, STORE_STORAGE, "backup: cannot read %s: %s", from, strerror(errno));
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return err_set(err, STORE_STORAGE, "backup: cannot create %s: %s", to, strerror(errno));
	}
	char buf[65536];
	ssize_t n;
	store_code c = STORE_OK;
	while ((n = read(in, buf, sizeof buf)) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));
			if (w < 0) {
				c = err_set(err, STORE_STORAGE, "backup: writing %s: %s", to, strerror(errno));
				break;
			}
			done += w;
		}
		if (c)
			break;
	}
	if (!c && n < 0)
		c = err_set(err, STORE_STORAGE, "backup: reading %s: %s", from, strerror(errno));
	if (!c && fsync(out) != 0)
		c = err_set(err, STORE_STORAGE, "backup: flushing %s: %s", to, strerror(errno));
	close(in);
	if (close(out) != 0 && !c)
		c = err_set(err, STORE_STORAGE, "backup: writing %s: %s", to, strerror(errno));
	return c;
}

/* The server is the environment's only user and runs one request at a time:
 * between the checkpoint and the last file copied nothing writes, so the
 * copy is the home as of the checkpoint, and the log files that come with it
 * let recovery bring it to a consistent state whatever the page cache held. */
store_code dbs_backup(dbs *st, const char *dir, store_err *err)
{
	if (!st->env)
		return err_set(err, STORE_STORAGE, "the environment is closed");
	if (dir[0] != '/')
		return err_set(err, STORE_INVALID_INPUT, "backup: '%s' is not an absolute path", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return err_set(err, STORE_STORAGE, "backup: cannot create '%s': %s", dir, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		return err_set(err, STORE_STORAGE, "backup: cannot read '%s': %s", dir, strerror(errno));
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty)
		return err_set(err, STORE_EXISTS, "backup: '%s' is not empty: give a new or empty directory", dir);
	int ret = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
	if (ret)
		return err_db(st, err, ret, "backup: checkpoint");
	if ((ret = st->env->memp_sync(st->env, NULL)) != 0)
		return err_db(st, err, ret, "backup: writing the cache");
	d = opendir(st->home);
	if (!d)
		return err_set(err, STORE_STORAGE, "backup: cannot read '%s': %s", st->home, strerror(errno));
	store_code c = STORE_OK;
	size_t copied = 0;
	while (!c && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		bool data = n > 3 && strcmp(de->d_name + n - 3, ".db") == 0;
		bool log = strncmp(de->d_name, "log.", 4) == 0;
		if (!data && !log)
			continue;
		char from[4200];
		snprintf(from, sizeof from, "%s/%s", st->home, de->d_name);
		c = copy_file(from, dir, de->d_name, err);
		copied++;
	}
	closedir(d);
	if (!c) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return c;
}
