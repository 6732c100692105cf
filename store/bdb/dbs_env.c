/* dbs_env.c - the Berkeley DB environment of a home, as the store server
 * alone opens it: open (creating or upgrading it: dbs_upgrade.c), reopen
 * after a panic, close; its statistics.
 *
 * - One process (the server) uses the environment, so its regions live in
 *   that process's memory (DB_PRIVATE): no region file is mapped from the
 *   home, no other process can hold one of its mutexes, and a full disk
 *   cannot turn into SIGBUS.  Every open runs normal recovery (DB_RECOVER),
 *   which is what the only user of an environment is allowed to do.
 * - Changes run on the server's main thread, one transaction at a time;
 *   long reads run on its reader threads (dbs_view.c), in snapshot
 *   transactions.  So the environment is free-threaded (DB_THREAD) and
 *   keeps multiversion copies of the pages a write changes
 *   (DB_MULTIVERSION, for every database): a snapshot reads the copies it
 *   needs, takes no lock and holds up no write.  The copies live in the
 *   cache (and in the transaction region until no snapshot needs them).
 *   A site of a replication group keeps none (dbs_repl.c): its readers
 *   read with locks, as the main thread does.
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_repl_int.h"
#include "dbs_upgrade.h"
#include "dbs_env.h"
#include "dbs_txn.h"

#define LOCK_TIMEOUT_US (2 * 1000 * 1000)
#define DEFAULT_CACHE_MB 256

/* ---- environment ---- */

static void on_event(DB_ENV *env, u_int32_t event, void *info)
{
	dbs *st = env->app_private;
	if (st && (event == DB_EVENT_PANIC || event == DB_EVENT_REG_PANIC))
		st->panicked = 1;
	if (st && st->repl)
		repl_event(st, event, info);
}

/* Informational messages (failchk's "Freeing read locks ...") are not errors. */
static void on_info(const DB_ENV *env, const char *msg)
{
	(void)env;
	(void)msg;
}

/* Where this thread's messages go: a reader thread's view's own buffer
 * (env_messages_to), else the environment's handle's. */
static __thread char *thread_dbmsg;
/* whether this thread is the one that opened the environment and uses its
 * handle (the server's main thread): Berkeley DB's own threads (its
 * replication's message and election threads) report nothing into the
 * handle's buffer, which the main thread reads and clears meanwhile */
static __thread bool thread_owns_handle;

void env_messages_to(char *buf)
{
	thread_dbmsg = buf;
}

static void on_message(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)pfx;
	dbs *st = env->app_private;
	char *to = thread_dbmsg ? thread_dbmsg : st && thread_owns_handle ? st->dbmsg : NULL;
	/* the first message since the operation began names the cause (a full
	 * disk, say); later ones name its consequences (a cache that cannot
	 * evict pages it cannot write) */
	if (to && !to[0])
		snprintf(to, sizeof st->dbmsg, "%s", msg);
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
		repl_env_closing(st);
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
	char buf[32];
	/* the file is reached through the home's directory and never through a
	 * link: a link there is replaced, and what it points to left alone */
	int dirfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return DEFAULT_CACHE_MB;
	const char *cache_env = getenv("SEESTORE_CACHE_MB");
	long mb = cache_env ? strtol(cache_env, NULL, 10) : 0;
	if (mb >= 16 && mb <= 16384) {
		int fd = openat(dirfd, "cache_mb", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == ELOOP && unlinkat(dirfd, "cache_mb", 0) == 0)
			fd = openat(dirfd, "cache_mb", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			int n = snprintf(buf, sizeof buf, "%ld\n", mb);
			(void)!write(fd, buf, (size_t)n);
			close(fd);
		}
		close(dirfd);
		return mb;
	}
	int fd = openat(dirfd, "cache_mb", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dirfd);
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
	/* a writer's transaction stays in the region while a copy it made is
	 * in the cache for an older snapshot: thousands while a long export
	 * reads (the default is 100) */
	env->set_tx_max(env, 20000);
	env->set_flags(env, DB_MULTIVERSION, 1);
	env->set_lk_detect(env, DB_LOCK_DEFAULT);
	env->set_timeout(env, LOCK_TIMEOUT_US, DB_SET_LOCK_TIMEOUT);
	env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	/* new log files are zero-filled when created, so a commit's fdatasync
	 * writes data only, not the file's growing size */
	env->log_set_config(env, DB_LOG_ZERO, 1);
}

/* ---- why a home cannot be opened ---- */

/* Every message Berkeley DB gives while the environment opens (its
 * recovery names the real cause early, and its consequences after). */
static char open_msgs[2048];

static void on_open_message(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	size_t n = strlen(open_msgs);
	if (n + 3 < sizeof open_msgs)
		snprintf(open_msgs + n, sizeof open_msgs - n, "%s%s", n ? "; " : "", msg);
}

/* Before recovery reads the home: each of its files that the server cannot
 * read and write is named, so that a permission is never taken for damage. */
static store_code check_files(const char *home, store_err *err)
{
	int dirfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		int e = errno;
		if (!err_system(home, e, NULL, NULL, err))
			err_set(err, STORE_STORAGE, "cannot open home '%s': %s", home, strerror(e));
		return STORE_STORAGE;
	}
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return err_set(err, STORE_STORAGE, "cannot read home '%s': %s", home, strerror(errno));
	}
	store_code c = STORE_OK;
	struct dirent *de;
	while (!c && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (!(n > 3 && strcmp(de->d_name + n - 3, ".db") == 0) && strncmp(de->d_name, "log.", 4) != 0)
			continue;
		int fd = openat(dirfd, de->d_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno == ENOENT)
			continue;
		if (!err_system(home, errno, NULL, de->d_name, err))
			err_set(err, STORE_STORAGE, "cannot open home '%s': %s: %s", home, de->d_name, strerror(errno));
		c = STORE_STORAGE;
	}
	closedir(d);
	return c;
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
			   DB_RECOVER | DB_THREAD;
	store_code c = check_files(st->home, err);
	if (!c)
		c = repl_env_prepare(st, &oflags, err);
	if (c) {
		close_handles(st);
		return c;
	}
	st->dbmsg[0] = '\0';
	thread_owns_handle = true;
	open_msgs[0] = '\0';
	env->set_errcall(env, on_open_message);
	ret = env->open(env, st->home, oflags, 0600);
	env->set_errcall(env, on_message);
	if (ret) {
		if (!err_system(st->home, ret, open_msgs, NULL, err)) {
			err_db(st, err, ret, "cannot open home '%s'", st->home);
			if (open_msgs[0])
				snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg), " (%s)", open_msgs);
			if (ret == DB_RUNRECOVERY || ret == EINVAL)
				snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
					 "; recovery failed, the home is damaged: restore it from a backup or run db_recover "
					 "-c -h '%s'", st->home);
		}
		close_handles(st);
		return STORE_STORAGE;
	}
	if (st->repl && (c = repl_env_start(st, err)) != STORE_OK) {
		close_handles(st);
		return c;
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
		if (err_system(st->home, ret, st->dbmsg, dbi_file[i], err))
			return STORE_STORAGE;
		return err_damaged(st, err, ret, dbi_file[i]);
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
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", st->home, dbi_file[DBI_META]);
	if (access(path, F_OK) != 0)
		return STORE_OK;
	int ret = db_create(&db, st->env, 0);
	if (ret)
		return err_db(st, err, ret, "creating a handle for %s", dbi_file[DBI_META]);
	ret = db->open(db, NULL, dbi_file[DBI_META], NULL, DB_BTREE, DB_RDONLY | DB_AUTO_COMMIT, 0600);
	if (ret) {
		db->close(db, 0);
		if (err_system(st->home, ret, st->dbmsg, dbi_file[DBI_META], err))
			return STORE_STORAGE;
		return err_damaged(st, err, ret, dbi_file[DBI_META]);
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

void env_drop_dbs(dbs *st)
{
	for (int i = 0; i < DBI_COUNT; i++)
		if (st->db[i]) {
			st->db[i]->close(st->db[i], 0);
			st->db[i] = NULL;
		}
}

static store_code run_create(dbs *st, store_err *err);

static store_code open_all(dbs *st, store_err *err)
{
	store_code c = env_open(st, err);
	if (c)
		return c;
	upgrade_drop_regions(st->home);
	uint64_t format;
	if ((c = probe_format(st, &format, err)))
		goto fail;
	if (format > STORE_FORMAT_VERSION) {
		c = upgrade_too_new(st, format, err);
		goto fail;
	}
	if (format != STORE_FORMAT_VERSION) {
		if (repl_is_client(st)) { /* the master creates and upgrades */
			c = err_set(err, STORE_FORMAT, "this replica's copy of the store has format %llu, not %d: upgrade "
				    "the master's seetop first", (unsigned long long)format, STORE_FORMAT_VERSION);
			goto fail;
		}
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
		upgrade_drop_legacy(st);
		return STORE_OK;
	}
	for (int i = 0; i < DBI_COUNT; i++)
		if ((c = db_open_one(st, NULL, (dbi)i, 0, err)))
			goto fail;
	upgrade_drop_legacy(st);
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
		txn_detail_may_outlive(txn);
		store_code c = STORE_OK;
		for (int i = 0; i < DBI_COUNT && !c; i++)
			c = db_open_one(st, txn, (dbi)i, DB_CREATE, err);
		if (!c)
			c = upgrade_home(st, txn, err);
		if (c == STORE_OK) {
			ret = txn->commit(txn, 0);
			if (ret == 0)
				return STORE_OK;
			env_drop_dbs(st);
			return err_db(st, err, ret, "creating the store in '%s'", st->home);
		}
		txn->abort(txn);
		env_drop_dbs(st);
		if (err->db_ret != DB_LOCK_DEADLOCK && err->db_ret != DB_LOCK_NOTGRANTED)
			return c;
	}
	return err_set(err, STORE_STORAGE, "creating the store in '%s': gave up after repeated lock conflicts",
		       st->home);
}

store_code dbs_open(const char *home, unsigned flags, dbs **out, store_err *err)
{
	*out = NULL;
	memset(err, 0, sizeof *err);
	if (!home || !*home)
		return err_set(err, STORE_INVALID_INPUT, "no home directory given");
	/* the client made the directory; the server runs inside it */
	struct stat sb;
	errno = 0;
	if (stat(home, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return err_set(err, STORE_NOT_FOUND, "no store in '%s': %s", home,
			       errno ? strerror(errno) : "not a directory");
	dbs *st = calloc(1, sizeof *st);
	if (!st || !(st->home = record_strdup(home))) {
		free(st);
		return err_oom(err);
	}
	st->flags = flags;
	snprintf(st->actor, sizeof st->actor, "unknown");
	pthread_rwlock_init(&st->env_lock, NULL);
	store_code c = open_all(st, err);
	if (c) {
		pthread_rwlock_destroy(&st->env_lock);
		repl_free(st);
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
	pthread_rwlock_destroy(&st->env_lock);
	free(st->notify_seq);
	repl_free(st);
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

/* What the server reports of its environment (seectl server status). */
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
	/* Berkeley DB makes a cache under 500 MB a quarter larger for its own
	 * bookkeeping (256 MB reads as 320 MB): report the size the home was
	 * given, as the README and cache_mb say it */
	if (out->cache_bytes < (uint64_t)625 << 20)
		out->cache_bytes = (out->cache_bytes / 5 * 4) >> 20 << 20; /* given in whole MB */
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

/* After a rollback at a replica (a master that came back after a partition
 * undoes what it committed alone), Berkeley DB invalidates every database
 * handle opened before it (DB_REP_HANDLE_DEAD): they are closed and opened
 * again; the environment, and the site's place in its group, stay. */
store_code env_reopen_dbs(dbs *st, store_err *err)
{
	env_drop_dbs(st);
	for (int i = 0; i < DBI_COUNT; i++) {
		store_code c = db_open_one(st, NULL, (dbi)i, 0, err);
		if (c) {
			env_drop_dbs(st);
			return c;
		}
	}
	return STORE_OK;
}

int dbs_versions_renew(dbs *st, int64_t *ms, store_err *err)
{
	memset(err, 0, sizeof *err);
	*ms = 0;
	if (st->parent || st->repl || st->cx)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t t0 = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (st->renewed_ms && t0 - st->renewed_ms < VERSIONS_RENEW_MS)
		return 0;
	/* a renewal whose open failed: tried again (the readers wait for it) */
	if (!st->env) {
		st->renewed_ms = t0;
		return env_reopen(st, err) == STORE_OK ? 1 : -1;
	}
	if (st->panicked || st->need_flush || !atomic_load(&st->versions_grew))
		return 0;
	/* no read runs (each holds the lock to read), and no snapshot is held
	 * between the pages of an export (counted under the lock) */
	if (pthread_rwlock_trywrlock(&st->env_lock) != 0)
		return 0;
	if (atomic_load(&st->live_snaps) != 0) {
		pthread_rwlock_unlock(&st->env_lock);
		return 0;
	}
	st->renewed_ms = t0;
	/* a checkpoint first: the recovery of the open then replays little; a
	 * home that cannot take one (a full disk) is left as it is */
	if (st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE) != 0) {
		pthread_rwlock_unlock(&st->env_lock);
		return 0;
	}
	atomic_store(&st->versions_grew, 0);
	close_handles(st);
	store_code c = open_all(st, err);
	atomic_fetch_add(&st->env_epoch, 1);
	pthread_rwlock_unlock(&st->env_lock);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	*ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0;
	return c ? -1 : 1;
}

/* After a panic every handle is unusable: close them all and reopen, which
 * runs recovery.  The server's handle only (a view never reopens). */
store_code env_reopen(dbs *st, store_err *err)
{
	/* the readers' transactions end first (a panic fails them at once);
	 * their views open their databases again in the new environment */
	pthread_rwlock_wrlock(&st->env_lock);
	close_handles(st);
	st->panicked = 0;
	store_code c = open_all(st, err);
	atomic_fetch_add(&st->env_epoch, 1);
	pthread_rwlock_unlock(&st->env_lock);
	if (c)
		snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg), " (after a recovery)");
	return c;
}

