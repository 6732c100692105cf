/* forge.c - writes deliberately old or corrupt homes for the tests. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forge.h"
#include "dbs_int.h"
#include "record_int.h"
#include "server.h"

#include <pthread.h>
#include <sys/file.h>
#include <time.h>

#include "dbs_rec.h"
#include "dbs_txn.h"
#include "keys.h"

/* Present in the pre-pause layout (format 1), with its index of start times. */
#define DBI_LEGACY_MASK ((1u << DBI_META) | (1u << DBI_EXECS) | (1u << DBI_TASKS))
#define LEGACY_BY_START_FILE "by_start.db"

/* The key of the start-time index of formats 1 and 2: inverted time, id. */
static size_t key_by_start(unsigned char *out, size_t cap, const record_exec *e)
{
	size_t n = strlen(e->id);
	if (8 + n > cap)
		return 0;
	key_u64(out, UINT64_MAX - key_start_order(e));
	memcpy(out + 8, e->id, n);
	return 8 + n;
}

/* The home of a client's store, opened the way its server opens it: the
 * server is stopped first and its lock held meanwhile, so none starts. */
typedef struct forged {
	dbs *db;
	int lock;
} forged;

static store_code forge_begin(store *client, forged *f, store_err *err)
{
	const char *home = store_home(client);
	f->db = NULL;
	store_code c = store_server_stop(home, NULL, err);
	if (c)
		return c;
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", home, SERVER_LOCK);
	f->lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->lock < 0 || flock(f->lock, LOCK_EX) != 0)
		return err_set(err, STORE_STORAGE, "forge: cannot lock %s", path);
	c = dbs_open(home, 0, &f->db, err);
	if (c) {
		close(f->lock);
		return c;
	}
	return STORE_OK;
}

static void forge_end(forged *f)
{
	dbs_close(f->db);
	close(f->lock);
}


static store_code put(DB *db, const void *k, size_t kn, const void *v, size_t vn, store_err *err)
{
	DBT key = dbs_dbt(k, kn), val = dbs_dbt(v, vn);
	int ret = db->put(db, NULL, &key, &val, 0);
	return ret ? err_db(NULL, err, ret, "forging a record") : STORE_OK;
}

static store_code write_legacy(DB *db[DBI_COUNT], DB *by_start, const store_item *items, size_t n, store_err *err)
{
	store_code c = STORE_OK;
	unsigned char k[300];
	record_buf b = { 0 };
	for (size_t i = 0; i < n && !c; i++) {
		const record_exec *e = &items[i].exec;
		if (rec_encode_exec_layout(e, &b, 1) < 0)
			return err_set(err, STORE_STORAGE, "out of memory");
		c = put(db[DBI_EXECS], e->id, strlen(e->id), b.data, b.len, err);
		size_t kn = key_by_start(k, sizeof k, e);
		if (!c)
			c = put(by_start, k, kn, "", 0, err);
		for (size_t j = 0; j < items[i].n_tasks && !c; j++) {
			const record_task *t = &items[i].tasks[j];
			if (record_encode_task(t, &b) < 0)
				c = err_set(err, STORE_STORAGE, "out of memory");
			kn = key_task(k, sizeof k, t->execution_id, t->task_id);
			if (!c)
				c = put(db[DBI_TASKS], k, kn, b.data, b.len, err);
		}
	}
	if (!c) {
		unsigned char v[8];
		key_u64(v, 1);
		c = put(db[DBI_META], "format", 6, v, 8, err);
	}
	record_buf_free(&b);
	return c;
}

static void remove_env_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];
	if (!d)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "__db.", 5) == 0 || strncmp(de->d_name, "log.", 4) == 0) {
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
}

store_code forge_legacy_home(const char *dir, const store_item *items, size_t n, store_err *err)
{
	DB_ENV *env;
	DB *db[DBI_COUNT] = { 0 }, *by_start = NULL;
	store_code c = STORE_OK;
	memset(err, 0, sizeof *err);
	mkdir(dir, 0700);
	int ret = db_env_create(&env, 0);
	if (ret)
		return err_db(NULL, err, ret, "creating an environment");
	ret = env->open(env, dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0600);
	for (int i = 0; !ret && i < DBI_COUNT; i++) {
		if (!(DBI_LEGACY_MASK & (1u << i)))
			continue;
		if ((ret = db_create(&db[i], env, 0)) == 0)
			ret = db[i]->open(db[i], NULL, dbi_file[i], NULL, DB_BTREE, DB_CREATE, 0600);
	}
	if (!ret && (ret = db_create(&by_start, env, 0)) == 0)
		ret = by_start->open(by_start, NULL, LEGACY_BY_START_FILE, NULL, DB_BTREE, DB_CREATE, 0600);
	if (ret)
		c = err_db(NULL, err, ret, "creating the legacy home '%s'", dir);
	else
		c = write_legacy(db, by_start, items, n, err);
	for (int i = 0; i < DBI_COUNT; i++)
		if (db[i])
			db[i]->close(db[i], 0);
	if (by_start)
		by_start->close(by_start, 0);
	/* detach the files from this environment so they open in any other */
	for (int i = 0; !c && i < DBI_COUNT; i++) {
		if (!(DBI_LEGACY_MASK & (1u << i)))
			continue;
		if ((ret = env->lsn_reset(env, dbi_file[i], 0)) != 0 ||
		    (ret = env->fileid_reset(env, dbi_file[i], 0)) != 0)
			c = err_db(NULL, err, ret, "resetting %s", dbi_file[i]);
	}
	if (!c && ((ret = env->lsn_reset(env, LEGACY_BY_START_FILE, 0)) != 0 ||
		   (ret = env->fileid_reset(env, LEGACY_BY_START_FILE, 0)) != 0))
		c = err_db(NULL, err, ret, "resetting %s", LEGACY_BY_START_FILE);
	env->close(env, 0);
	remove_env_files(dir);
	return c;
}

static int file_dbi(const char *file)
{
	for (int i = 0; i < DBI_COUNT; i++)
		if (strcmp(dbi_file[i], file) == 0)
			return i;
	return -1;
}

typedef struct raw_arg {
	int which;
	const void *k, *v;
	size_t kn, vn;
} raw_arg;

static store_code raw_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	raw_arg *a = arg;
	DBT key = dbs_dbt(a->k, a->kn), val = dbs_dbt(a->v, a->vn);
	DB *db = st->db[a->which];
	int ret = a->v ? db->put(db, txn, &key, &val, 0) : db->del(db, txn, &key, 0);
	return ret ? err_db(st, err, ret, "forging %s", dbi_file[a->which]) : STORE_OK;
}

store_code forge_raw(store *client, const char *file, const void *key, size_t klen, const void *val, size_t vlen,
		     store_err *err)
{
	raw_arg a = { file_dbi(file), key, val, klen, vlen };
	if (a.which < 0)
		return err_set(err, STORE_INVALID_INPUT, "no database file '%s'", file);
	forged f;
	store_code c = forge_begin(client, &f, err);
	if (c)
		return c;
	c = txn_write(f.db, raw_txn, &a, err);
	forge_end(&f);
	return c;
}

typedef struct count_arg {
	exec_status status;
	uint64_t value;
} count_arg;

static store_code count_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	count_arg *a = arg;
	meta_state *ms;
	store_code c = txn_state(st, txn, &ms, err);
	if (!c)
		ms->counts[a->status] = a->value;
	return c;
}

store_code forge_count(store *client, exec_status status, uint64_t value, store_err *err)
{
	count_arg a = { status, value };
	forged f;
	store_code c = forge_begin(client, &f, err);
	if (c)
		return c;
	c = txn_write(f.db, count_txn, &a, err);
	forge_end(&f);
	return c;
}

store_code forge_format(store *st, uint64_t format, store_err *err)
{
	unsigned char v[8];
	key_u64(v, format);
	return forge_raw(st, "meta.db", "format", 6, v, 8, err);
}

static store_code commit_probe(dbs *st, bool *found, bool *last, store_err *err)
{
	DB_TXN *txn;
	DB_TXN_TOKEN token;
	DB_LSN lsn;
	*found = *last = false;
	int ret = st->env->txn_begin(st->env, NULL, &txn, 0);
	if (ret)
		return err_db(st, err, ret, "beginning a transaction");
	txn_detail_may_outlive(txn);
	unsigned char v[8] = { 0 };
	DBT k = dbs_dbt("forge.probe", 11), d = dbs_dbt(v, 8);
	if ((ret = st->db[DBI_META]->put(st->db[DBI_META], txn, &k, &d, 0)) != 0 ||
	    (ret = txn->set_commit_token(txn, &token)) != 0) {
		txn->abort(txn);
		return err_db(st, err, ret, "writing the probe");
	}
	if ((ret = txn->commit(txn, 0)) != 0)
		return err_db(st, err, ret, "committing the probe");
	if (!commit_lsn(&token, &lsn))
		return err_set(err, STORE_FORMAT, "the commit token has a layout this code does not know");
	DB_LOGC *lc;
	if ((ret = st->env->log_cursor(st->env, &lc, 0)) != 0)
		return err_db(st, err, ret, "opening a log cursor");
	DBT rec;
	memset(&rec, 0, sizeof rec);
	DB_LSN at = lsn;
	*found = lc->get(lc, &at, &rec, DB_SET) == 0 && at.file == lsn.file && at.offset == lsn.offset;
	*last = *found && lc->get(lc, &at, &rec, DB_NEXT) == DB_NOTFOUND;
	lc->close(lc, 0);
	return STORE_OK;
}

store_code forge_commit_probe(store *client, bool *found, bool *last, store_err *err)
{
	forged f;
	store_code c = forge_begin(client, &f, err);
	if (c)
		return c;
	c = commit_probe(f.db, found, last, err);
	forge_end(&f);
	return c;
}

/* ---- a verify that meets a writer's lock ---- */

typedef struct held_lock {
	dbs *db;
	unsigned ms;
	volatile int holding;
} held_lock;

/* Holds a write lock on a page of deadlines.db for h->ms (an uncommitted put). */
static void *hold_deadlines(void *arg)
{
	held_lock *h = arg;
	DB_TXN *t;
	if (h->db->env->txn_begin(h->db->env, NULL, &t, 0) != 0)
		return NULL;
	txn_detail_may_outlive(t); /* as every write's (multiversion copies) */
	DBT k, d;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)"zzzz";
	k.size = 4;
	d.data = (void *)"x";
	d.size = 1;
	h->db->db[DBI_DEADLINES]->put(h->db->db[DBI_DEADLINES], t, &k, &d, 0);
	h->holding = 1;
	struct timespec ts = { h->ms / 1000, (long)(h->ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	t->abort(t);
	return NULL;
}

typedef struct kept_problems {
	size_t n;     /* the problems a reply would hold now */
	size_t calls; /* every problem handed over, resends included */
} kept_problems;

/* As the server's verify answer keeps them: NULL starts it over. */
static void keep_problem(void *ctx, const char *what)
{
	kept_problems *k = ctx;
	if (!what) {
		k->n = 0;
		return;
	}
	k->n++;
	k->calls++;
}

static store_code drop_index_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	record_exec e;
	store_code c = rec_get_exec(st, txn, arg, &e, 0, err);
	if (c)
		return c;
	unsigned char k[KEY_BY_STATUS_MAX];
	size_t kn = key_by_status(k, sizeof k, &e);
	c = rec_del_raw(st, txn, DBI_STATUS(e.status), k, kn, err);
	record_exec_free(&e);
	return c;
}

store_code forge_verify_contended(store *client, const char *exec_id, unsigned hold_ms, size_t *kept,
				  size_t *handed, size_t *n_problems, store_err *err)
{
	forged f;
	store_code c = forge_begin(client, &f, err);
	if (c)
		return c;
	c = txn_write(f.db, drop_index_txn, (void *)exec_id, err);
	kept_problems k = { 0, 0 };
	if (!c) {
		held_lock h = { f.db, hold_ms, 0 };
		pthread_t th;
		if (pthread_create(&th, NULL, hold_deadlines, &h) != 0) {
			forge_end(&f);
			return err_set(err, STORE_STORAGE, "forge: cannot start a thread");
		}
		while (!h.holding) {
			struct timespec ts = { 0, 1000000L };
			nanosleep(&ts, NULL);
		}
		c = dbs_verify(f.db, keep_problem, &k, n_problems, err);
		pthread_join(th, NULL);
	}
	*kept = k.n;
	*handed = k.calls;
	forge_end(&f);
	return c;
}

store_code forge_hook_add_twice(store *client, const char *on, const char *const *argv, size_t argc, uint64_t *first,
				uint64_t *again, store_err *err)
{
	forged f;
	store_code c = forge_begin(client, &f, err);
	if (c)
		return c;
	unsigned char id[24] = "forge-hook-add-request";
	dbs_ctx cx = { .user = "forge", .owner = true, .actor = "forge", .req = id, .req_len = sizeof id };
	*first = *again = 0;
	c = dbs_hook_add(f.db, &cx, on, argv, argc, first, err);
	if (!c) {
		dbs_ctx cx2 = cx; /* the same request id: a resend whose answer was lost */
		cx2.req_found = false;
		c = dbs_hook_add(f.db, &cx2, on, argv, argc, again, err);
	}
	forge_end(&f);
	return c;
}
