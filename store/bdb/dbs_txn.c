/* dbs_txn.c - transactions: the one helper that runs every read and write
 * (retrying deadlocks, reopening after a panic), group commit, the request
 * ids that make a retried change happen once, and the reads of the state. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_outbox.h"
#include "dbs_repl_int.h"
#include "dbs_env.h"
#include "dbs_txn.h"
#include "dbs_view.h"

#if defined(__SANITIZE_ADDRESS__)
#define DBS_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DBS_LSAN 1
#endif
#endif
#ifdef DBS_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static store_code request_record(dbs *st, DB_TXN *txn, const dbs_ctx *cx, store_err *err);

void txn_detail_may_outlive(DB_TXN *txn)
{
#ifdef DBS_LSAN
	if (txn && txn->td)
		__lsan_ignore_object(txn->td);
#else
	(void)txn;
#endif
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

static store_code run_txn(dbs *st, dbs_ctx *cx, txn_fn fn, void *arg, bool write, bool quiet, store_err *err)
{
	bool req = write && cx && cx->req && cx->req_len;
	int reopens = 0, handle_reopens = 0;
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		if (!st->env || st->panicked) {
			if (reopens++ > 3)
				break;
			store_code c = env_reopen(st, err);
			if (c)
				return c;
		}
		/* handles that died with a replication rollback (DB_REP_HANDLE_DEAD):
		 * the databases are opened again, the environment stays, and the
		 * request runs again, so that its client notices nothing */
		if (!st->db[DBI_META]) {
			if (handle_reopens++ > 3)
				break;
			store_code c = env_reopen_dbs(st, err);
			if (c)
				return c;
			repl_note_reopen(st);
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
		if (write)
			txn_detail_may_outlive(txn);
		st->ts_loaded = false;
		st->n_notify = 0;
		memset(st->count_delta, 0, sizeof st->count_delta);
		/* a change the server already made under this request id (its
		 * answer was lost): found in the same transaction, made again never */
		if (req) {
			unsigned char kept[8];
			DBT k = dbs_dbt(cx->req, cx->req_len), d = dbs_dbt(kept, 0);
			d.ulen = sizeof kept;
			d.flags = DB_DBT_USERMEM; /* a replicated environment is free-threaded */
			ret = st->db[DBI_REQUESTS]->get(st->db[DBI_REQUESTS], txn, &k, &d, 0);
			if (ret == 0) {
				cx->req_found = true;
				cx->req_kept = d.size == 8 ? key_get_u64(kept) : 0;
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
			c = outbox_write(st, txn, err);
		if (c == STORE_OK && write && !quiet)
			c = state_finish(st, txn, err);
		if (c == STORE_OK && req)
			c = request_record(st, txn, cx, err);
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
			uint64_t unacked = repl_perm_failures(st);
			ret = txn->commit(txn, write ? DB_TXN_NOSYNC : 0);
			bool sync = write && !(st->flags & STORE_OPEN_NO_SYNC) && !(cx && cx->no_sync);
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
				if (write)
					atomic_fetch_add_explicit(&st->written, 1, memory_order_relaxed);
				if (write && ++st->commits >= CHECKPOINT_EVERY && !st->defer_flush) {
					st->commits = 0;
					st->env->txn_checkpoint(st->env, CHECKPOINT_KB, 0, 0);
				}
				/* committed here, but no quorum holds it: never reported as done */
				if (write && repl_perm_failures(st) != unacked)
					return repl_not_durable(st, err);
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
		if (err->db_ret == DB_REP_HANDLE_DEAD) {
			env_drop_dbs(st);
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

static store_code request_record(dbs *st, DB_TXN *txn, const dbs_ctx *cx, store_err *err)
{
	unsigned char v[8];
	key_u64(v, cx->req_result);
	return rec_put_raw(st, txn, DBI_REQUESTS, cx->req, cx->req_len, v, sizeof v, err);
}

uint64_t dbs_last_generation(const dbs *st)
{
	return st->last_generation;
}

typedef struct request_look {
	const void *key;
	size_t len;
	bool *done;
	uint64_t *result;
} request_look;

static store_code request_look_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	request_look *a = arg;
	unsigned char kept[8];
	DBT k = dbs_dbt(a->key, a->len), d = dbs_dbt(kept, 0);
	d.ulen = sizeof kept;
	d.flags = DB_DBT_USERMEM;
	int ret = st->db[DBI_REQUESTS]->get(st->db[DBI_REQUESTS], txn, &k, &d, 0);
	*a->done = ret == 0;
	*a->result = ret == 0 && d.size == 8 ? key_get_u64(kept) : 0;
	if (ret && ret != DB_NOTFOUND)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_REQUESTS]);
	return STORE_OK;
}

store_code dbs_request_done(dbs *st, const void *key, size_t len, bool *done, uint64_t *result, store_err *err)
{
	request_look a = { key, len, done, result };
	*done = false;
	*result = 0;
	return len ? txn_read(st, request_look_txn, &a, err) : STORE_OK;
}

static store_code request_prune_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	uint64_t before = *(uint64_t *)arg;
	DBC *cur;
	int ret = st->db[DBI_REQUESTS]->cursor(st->db[DBI_REQUESTS], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_REQUESTS]);
	DBT k = dbs_dbt(NULL, 0), d = dbs_dbt(NULL, 0);
	k.flags = DB_DBT_REALLOC;
	d.flags = DB_DBT_PARTIAL | DB_DBT_REALLOC; /* the keys alone */
	for (int n = 0; n < 10000 && (ret = cur->get(cur, &k, &d, DB_NEXT)) == 0; n++) {
		if (k.size < 8 || key_get_u64(k.data) >= before)
			break;
		if ((ret = cur->del(cur, 0)) != 0)
			break;
	}
	cur->close(cur);
	free(k.data);
	free(d.data);
	if (ret && ret != DB_NOTFOUND)
		return err_db(st, err, ret, "pruning %s", dbi_file[DBI_REQUESTS]);
	return STORE_OK;
}

static void request_prune(dbs *st)
{
	uint64_t before = (uint64_t)time(NULL) - REQUEST_KEEP_S;
	store_err err;
	txn_write(st, request_prune_txn, &before, &err);
}

bool dbs_flush_pending(const dbs *st)
{
	return st->need_flush;
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

/* A write acting for cx: who acts is readable from st->cx while it runs,
 * and only then. */
/* Why a change is refused in a home opened read-only: a backup says so. */
static store_code refuse_read_only(dbs *st, store_err *err)
{
	char mark[PATH_MAX + sizeof STORE_BACKUP_MARK + 1];
	snprintf(mark, sizeof mark, "%s/%s", st->home, STORE_BACKUP_MARK);
	if (access(mark, F_OK) == 0)
		return err_set(err, STORE_READ_ONLY,
			    "store is read-only: '%s' is a backup (seectl restore %s HOME makes a live home of it)", st->home,
			    st->home);
	return err_set(err, STORE_READ_ONLY, "store is open read-only");
}

static store_code run_write(dbs *st, dbs_ctx *cx, txn_fn fn, void *arg, bool quiet, store_err *err)
{
	if (st->flags & STORE_OPEN_READ_ONLY)
		return refuse_read_only(st, err);
	if (cx) {
		cx->req_found = false;
		cx->req_kept = 0;
	}
	st->cx = cx;
	store_code c = run_txn(st, cx, fn, arg, true, quiet, err);
	st->cx = NULL;
	return c;
}

store_code txn_write_for(dbs *st, dbs_ctx *cx, txn_fn fn, void *arg, store_err *err)
{
	return run_write(st, cx, fn, arg, false, err);
}

store_code txn_write(dbs *st, txn_fn fn, void *arg, store_err *err)
{
	return run_write(st, NULL, fn, arg, false, err);
}

store_code txn_write_quiet(dbs *st, txn_fn fn, void *arg, store_err *err)
{
	return run_write(st, NULL, fn, arg, true, err);
}

store_code txn_read(dbs *st, txn_fn fn, void *arg, store_err *err)
{
	if (st->parent) /* a reader thread's view */
		return view_read(st, fn, arg, err);
	return run_txn(st, NULL, fn, arg, false, false, err);
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
	store_code c = txn_read(st, read_generation, gen, err);
	/* a site of a replication group also changes by what the master's log
	 * brings, which no commit of this handle's counts: what was read here
	 * moves the last generation too, so a list page kept at another one
	 * is read again */
	if (c == STORE_OK && st->repl)
		st->last_generation = *gen;
	return c;
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
	/* closed by a failed reopen (a renewal, a recovery): opened again */
	if ((!st->env || st->panicked) && env_reopen(st, err) != STORE_OK)
		return err->code;
	int ret = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
	return ret ? err_db(st, err, ret, "checkpoint") : STORE_OK;
}

void dbs_defer_flush(dbs *st, bool defer)
{
	st->defer_flush = defer;
}
