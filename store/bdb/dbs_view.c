/* dbs_view.c - a reader thread's view of the server's environment.
 *
 * The environment is free-threaded (DB_THREAD) and keeps multiversion
 * copies of the pages a write changes (DB_MULTIVERSION).  A view has its
 * own database handles, which only its thread uses, and reads in snapshot
 * transactions (DB_TXN_SNAPSHOT): a read sees the store as one commit left
 * it, takes no read lock, and never waits on the server's writes, nor they
 * on it.  A view only reads (its databases are opened read-only) and never
 * reopens the environment: after a panic its reads fail until the server's
 * handle has reopened it (under env_lock, written), and then it opens its
 * databases again.
 *
 * At a site of a replication group there are no snapshots: Berkeley DB 5.3
 * refuses DB_TXN_SNAPSHOT on a replication client (BDB4572), and the
 * handles its replication opens to apply the master's log are not
 * multiversion, so that a multiversion open of the same file fails
 * (BDB3041).  A site's environment is opened without DB_MULTIVERSION
 * (repl_env_prepare) and its views read in locking transactions, as the
 * main thread does (degree 3: a verify must see one state, which read
 * committed does not give across its walk); a long read there holds up
 * the master's log apply at that site until it ends, as it did on the main
 * thread, but no longer the site's other clients.  An export's pages are
 * each a transaction of their own.  While the
 * master's log is applied, or the whole copy replaced (internal
 * initialisation), a read may be told DB_LOCK_DEADLOCK, DB_REP_LOCKOUT or
 * DB_REP_HANDLE_DEAD (its handles were closed under it): it is tried again
 * on handles opened again, and after MAX_ATTEMPTS it is answered with one
 * line that says to retry. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbs_env.h"
#include "dbs_errmap.h"
#include "dbs_view.h"

/* Whether the view's environment keeps the multiversion copies snapshots
 * read: not at a site of a replication group (see above). */
static bool view_snapshots(const dbs *v)
{
	return v->parent->repl == NULL;
}

/* Forgets the view's databases; closes them while their environment is
 * the one they were opened in (a reopen closed the old one, and them). */
static void view_drop(dbs *v, bool close_them)
{
	for (int i = 0; i < DBI_COUNT; i++) {
		if (v->db[i] && close_them)
			v->db[i]->close(v->db[i], 0);
		v->db[i] = NULL;
	}
}

/* Opens the view's databases in the environment as it is now (env_lock held). */
static store_code view_open_dbs(dbs *v, store_err *err)
{
	v->env = v->parent->env;
	v->view_epoch = atomic_load(&v->parent->env_epoch);
	for (int i = 0; i < DBI_COUNT; i++) {
		DB *db;
		int ret = db_create(&db, v->env, 0);
		if (ret) {
			view_drop(v, true);
			return err_db(v, err, ret, "creating a reader's handle for %s", dbi_file[i]);
		}
		ret = db->open(db, NULL, dbi_file[i], NULL, DB_BTREE, DB_RDONLY | DB_AUTO_COMMIT, 0600);
		if (ret) {
			db->close(db, 0);
			view_drop(v, true);
			return err_db(v, err, ret, "opening %s for a reader", dbi_file[i]);
		}
		v->db[i] = db;
	}
	return STORE_OK;
}

/* Whether the environment is usable, the view's databases open in it
 * (env_lock held). */
static store_code view_ready(dbs *v, store_err *err)
{
	dbs *p = v->parent;
	if (p->panicked || !p->env)
		return err_set(err, STORE_STORAGE, "the environment of '%s' is being recovered: retry", v->home);
	if (v->db[0] && v->view_epoch == atomic_load(&p->env_epoch))
		return STORE_OK;
	view_drop(v, false);
	return view_open_dbs(v, err);
}

store_code dbs_view_open(dbs *st, dbs **out, store_err *err)
{
	*out = NULL;
	memset(err, 0, sizeof *err);
	dbs *v = calloc(1, sizeof *v);
	if (!v || !(v->home = record_strdup(st->home))) {
		free(v);
		return err_oom(err);
	}
	v->parent = st;
	v->flags = st->flags | STORE_OPEN_READ_ONLY;
	snprintf(v->actor, sizeof v->actor, "unknown");
	/* its databases are opened by its first read, which tries again what
	 * a replica's log apply or copy makes fail for a moment (a deadlock
	 * opening meta.db was answered to a client as it was) */
	/* a view is opened and used on its reader thread alone */
	env_messages_to(v->dbmsg);
	*out = v;
	return STORE_OK;
}

void dbs_view_close(dbs *v)
{
	if (!v)
		return;
	env_messages_to(NULL);
	pthread_rwlock_rdlock(&v->parent->env_lock);
	view_drop(v, v->view_epoch == atomic_load(&v->parent->env_epoch) && v->parent->env);
	pthread_rwlock_unlock(&v->parent->env_lock);
	free(v->home);
	free(v);
}

void dbs_view_cancel(dbs *v, const atomic_int *cancel)
{
	v->cancel = cancel;
}

/* ---- a snapshot held across reads ---- */

struct dbs_snap {
	dbs *parent;
	DB_TXN *txn;
	unsigned epoch;      /* of the environment it began in */
	uint64_t written_at; /* the server's commits when it began */
	bool expired;        /* given up (dbs_snap_expire): its transaction ended */
};

/* A snapshot that began when the server had made `at` commits ends: if it
 * outlived VERSIONS_WRITES of them, the copies it made the cache keep are
 * to go (dbs_versions_renew). */
static void snapshot_ended(dbs *parent, uint64_t at)
{
	if (atomic_load_explicit(&parent->written, memory_order_relaxed) - at >= VERSIONS_WRITES)
		atomic_store(&parent->versions_grew, 1);
}

store_code dbs_snap_begin(dbs *v, dbs_snap **out, store_err *err)
{
	*out = NULL;
	memset(err, 0, sizeof *err);
	if (!view_snapshots(v))
		return STORE_OK; /* no snapshot: each read a transaction of its own */
	dbs_snap *sn = calloc(1, sizeof *sn);
	if (!sn)
		return err_oom(err);
	pthread_rwlock_rdlock(&v->parent->env_lock);
	store_code c = view_ready(v, err);
	int ret = c ? 0 : v->env->txn_begin(v->env, NULL, &sn->txn, DB_TXN_SNAPSHOT);
	if (ret)
		c = err_db(v, err, ret, "beginning a snapshot transaction");
	sn->parent = v->parent;
	sn->epoch = v->view_epoch;
	sn->written_at = atomic_load_explicit(&v->parent->written, memory_order_relaxed);
	if (!c) /* counted under the lock, which a renewal takes to write */
		atomic_fetch_add(&v->parent->live_snaps, 1);
	pthread_rwlock_unlock(&v->parent->env_lock);
	if (c) {
		free(sn);
		return c;
	}
	*out = sn;
	return STORE_OK;
}

/* Ends a snapshot's transaction (once: it is then expired). */
static void snap_finish(dbs_snap *sn)
{
	if (sn->expired)
		return;
	pthread_rwlock_rdlock(&sn->parent->env_lock);
	/* a recovery since closed the environment, and it with it */
	if (sn->parent->env && sn->epoch == atomic_load(&sn->parent->env_epoch))
		sn->txn->commit(sn->txn, 0);
	/* before the lock goes: a renewal then sees both at once */
	snapshot_ended(sn->parent, sn->written_at);
	atomic_fetch_sub(&sn->parent->live_snaps, 1);
	pthread_rwlock_unlock(&sn->parent->env_lock);
	sn->txn = NULL;
	sn->expired = true;
}

/* A snapshot given up: the reads it is given then fail, saying so
 * (dbs_snap_end frees it). */
void dbs_snap_expire(dbs_snap *sn)
{
	if (sn)
		snap_finish(sn);
}

void dbs_snap_end(dbs_snap *sn)
{
	if (!sn)
		return;
	snap_finish(sn);
	free(sn);
}

void dbs_view_snap(dbs *v, dbs_snap *sn)
{
	v->snap = sn;
}

/* What a read may be told while it competes with a change, or at a site
 * of a group while the master's log is applied or its copy replaced (a
 * file missing for a moment): tried again. */
static bool is_retryable(const dbs *v, int ret)
{
	if (ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED)
		return true;
	return !view_snapshots(v) && (ret == DB_REP_LOCKOUT || ret == DB_REP_HANDLE_DEAD || ret == ENOENT);
}

static void view_backoff(int attempt)
{
	struct timespec ts = { 0, (long)(attempt < 10 ? attempt + 1 : 10) * 1000000L };
	nanosleep(&ts, NULL);
}

/* One attempt of a read in a transaction of its own (env_lock held). */
static store_code view_attempt(dbs *v, txn_fn fn, void *arg, store_err *err)
{
	store_code c = view_ready(v, err);
	if (c)
		return c;
	DB_TXN *txn;
	v->dbmsg[0] = '\0';
	uint64_t at = atomic_load_explicit(&v->parent->written, memory_order_relaxed);
	int ret = v->env->txn_begin(v->env, NULL, &txn, view_snapshots(v) ? DB_TXN_SNAPSHOT : 0);
	if (ret)
		return err_db(v, err, ret, "beginning a %s transaction", view_snapshots(v) ? "snapshot" : "read");
	c = fn(v, txn, arg, err);
	if (c == STORE_OK && (ret = txn->commit(txn, 0)) != 0)
		c = err_db(v, err, ret, "ending a read transaction");
	else if (c != STORE_OK)
		txn->abort(txn);
	if (view_snapshots(v))
		snapshot_ended(v->parent, at);
	/* a replica's copy replaced under the handles: they are closed (as
	 * Berkeley DB asks) and opened again by the next attempt */
	if (c && err->db_ret == DB_REP_HANDLE_DEAD)
		view_drop(v, true);
	return c;
}

store_code view_read(dbs *v, txn_fn fn, void *arg, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (v->snap && v->snap->expired)
		return err_set(err, STORE_STORAGE, "the snapshot this export read was given up, unused for too long (its "
			       "reader stopped reading): export again, reading its pages as they come");
	if (v->snap) {
		pthread_rwlock_rdlock(&v->parent->env_lock);
		store_code c = view_ready(v, err);
		/* the reads before it saw this snapshot: so does this one, or
		 * none (a retry would see another) */
		if (!c && v->snap->epoch != v->view_epoch)
			c = err_set(err, STORE_STORAGE, "the snapshot of this read was lost with a recovery of '%s': start "
				    "it again", v->home);
		else if (!c)
			c = fn(v, v->snap->txn, arg, err);
		pthread_rwlock_unlock(&v->parent->env_lock);
		return c;
	}
	store_code c = STORE_OK;
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		memset(err, 0, sizeof *err);
		/* released between attempts: a reopen of the environment
		 * (after a panic, or a replica's rollback) is not held up */
		pthread_rwlock_rdlock(&v->parent->env_lock);
		c = view_attempt(v, fn, arg, err);
		pthread_rwlock_unlock(&v->parent->env_lock);
		if (!c || !is_retryable(v, err->db_ret) || view_cancelled(v))
			return c;
		view_backoff(attempt);
	}
	if (!view_snapshots(v))
		return err_set(err, STORE_STORAGE, "this site's copy of '%s' is being updated from the master (%s): "
			       "retry in a few seconds", v->home, db_strerror(err->db_ret));
	return err_set(err, STORE_STORAGE, "gave up after repeated lock conflicts in '%s': retry", v->home);
}
