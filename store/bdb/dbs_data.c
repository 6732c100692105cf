/* dbs_data.c - saving, reading, paging and deleting executions; audit events. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_txn.h"
#include "keys.h"


static store_code delete_tasks(dbs *st, DB_TXN *txn, const record_exec *old, store_err *err)
{
	unsigned char key[KEY_TASK_MAX];
	for (size_t i = 0; i < old->n_task_ids; i++) {
		record_task t;
		store_code c = rec_get_task(st, txn, old->id, old->task_ids[i], &t, DB_RMW, err);
		if (c == STORE_OK) {
			c = rec_deadline_index(st, txn, &t, false, err);
			record_task_free(&t);
		}
		if (c && c != STORE_NOT_FOUND)
			return c;
		size_t kn = key_task(key, sizeof key, old->id, old->task_ids[i]);
		DBT k = dbs_dbt(key, kn);
		int ret = st->db[DBI_TASKS]->del(st->db[DBI_TASKS], txn, &k, 0);
		if (ret && ret != DB_NOTFOUND)
			return err_db(st, err, ret, "deleting task '%s' of execution '%s'", old->task_ids[i], old->id);
		c = rec_del_logs(st, txn, old->id, old->task_ids[i], err);
		if (c)
			return c;
	}
	return STORE_OK;
}

static store_code save_one(dbs *st, DB_TXN *txn, const store_item *it, bool replace, const char *action,
			   store_err *err)
{
	record_exec old;
	char why[512];
	if (store_item_check(it, why, sizeof why) < 0)
		return err_set(err, STORE_INVALID_INPUT, "%s", why);
	store_code c = rec_get_exec(st, txn, it->exec.id, &old, DB_RMW, err);
	if (c == STORE_OK && !replace) {
		record_exec_free(&old);
		return err_set(err, STORE_EXISTS, "execution '%s' already exists",
			       it->exec.id);
	}
	bool had_old = c == STORE_OK;
	if (c != STORE_OK && c != STORE_NOT_FOUND)
		return c;
	c = STORE_OK;
	memset(err, 0, sizeof *err);
	if (had_old && it->exec.version && it->exec.version != old.version) {
		/* a copy read before someone else's change must not undo it */
		c = err_set(err, STORE_INVALID_STATE,
			    "execution '%s' changed since it was read (version %llu, now %llu): read it again",
			    it->exec.id, (unsigned long long)it->exec.version, (unsigned long long)old.version);
		record_exec_free(&old);
		return c;
	}
	for (size_t i = 0; i < it->n_tasks; i++)
		if (it->tasks[i].log_count > it->tasks[i].n_logs) {
			/* a copy read from the store holds only the newest lines */
			c = err_set(err, STORE_INVALID_INPUT,
				    "task '%s' of execution '%s' carries %zu of its %llu log lines: saving it would lose "
				    "the others",
				    it->tasks[i].task_id, it->exec.id, it->tasks[i].n_logs,
				    (unsigned long long)it->tasks[i].log_count);
			if (had_old)
				record_exec_free(&old);
			return c;
		}
	if (had_old)
		c = delete_tasks(st, txn, &old, err);
	for (size_t i = 0; !c && i < it->n_tasks; i++) {
		record_task t = it->tasks[i]; /* shallow: the count follows the lines */
		t.log_count = t.n_logs;
		c = rec_put_task(st, txn, &t, err);
		if (!c)
			c = rec_put_logs(st, txn, t.execution_id, t.task_id, 0, t.logs, t.n_logs, err);
	}
	if (!c) {
		record_exec e = it->exec; /* shallow: only the derived count differs */
		if (had_old && !e.engine_pid) {
			/* loading data keeps who drives it */
			e.engine_pid = old.engine_pid;
			e.engine_host = old.engine_host;
		}
		e.tasks_complete = 0;
		for (size_t i = 0; i < it->n_tasks; i++)
			e.tasks_complete += it->tasks[i].status == TASK_COMPLETE;
		c = rec_put_exec(st, txn, &e, had_old ? &old : NULL, err);
	}
	if (had_old)
		record_exec_free(&old);
	for (size_t i = 0; !c && !had_old && i < it->n_events; i++)
		c = rec_restore_event(st, txn, &it->events[i], it->exec.id, err);
	if (!c && action) {
		record_event ev = { 0 };
		ev.action = (char *)action;
		ev.execution_id = it->exec.id;
		ev.status_after = (char *)status_exec_name(it->exec.status);
		c = rec_add_event(st, txn, &ev, err);
	}
	return c;
}

typedef struct import_arg {
	const store_source *src;
	bool replace;
	const char *action;
	size_t count;
} import_arg;

static store_code import_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	import_arg *a = arg;
	char why[512] = "";
	a->count = 0;
	if (a->src->rewind && a->src->rewind(a->src->ctx, why, sizeof why) < 0)
		return err_set(err, STORE_INVALID_INPUT, "%s", why);
	for (;;) {
		store_item it;
		memset(&it, 0, sizeof it);
		why[0] = '\0';
		int rc = a->src->next(a->src->ctx, &it, why, sizeof why);
		if (rc < 0) {
			store_item_free(&it);
			return err_set(err, STORE_INVALID_INPUT, "%s", why[0] ? why : "reading the input failed");
		}
		if (rc == 0)
			return STORE_OK;
		store_code c = save_one(st, txn, &it, a->replace, a->action, err);
		store_item_free(&it);
		if (c)
			return c;
		a->count++;
	}
}

store_code dbs_import(dbs *st, dbs_ctx *cx, const store_source *src, bool replace, const char *action, size_t *count,
			store_err *err)
{
	import_arg a = { src, replace, action, 0 };
	store_code c = txn_write_for(st, cx, import_txn, &a, err);
	if (count)
		*count = c ? 0 : a.count;
	return c;
}

typedef struct one_source {
	const store_item *it;
	bool given;
} one_source;

static int one_next(void *ctx, store_item *it, char *why, size_t whylen)
{
	one_source *o = ctx;
	(void)why;
	(void)whylen;
	if (o->given)
		return 0;
	o->given = true;
	memset(it, 0, sizeof *it);
	if (record_exec_copy(&it->exec, &o->it->exec) < 0)
		return -1;
	it->tasks = calloc(o->it->n_tasks ? o->it->n_tasks : 1, sizeof *it->tasks);
	if (!it->tasks)
		return -1;
	for (size_t i = 0; i < o->it->n_tasks; i++, it->n_tasks++)
		if (record_task_copy(&it->tasks[i], &o->it->tasks[i]) < 0)
			return -1;
	return 1;
}

static int one_rewind(void *ctx, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	((one_source *)ctx)->given = false;
	return 0;
}

store_code dbs_save(dbs *st, dbs_ctx *cx, const store_item *it, bool replace, store_err *err)
{
	one_source o = { it, false };
	store_source src = { one_next, one_rewind, &o };
	return dbs_import(st, cx, &src, replace, "save", NULL, err);
}

/* ---- reading ---- */

typedef struct get_arg {
	const char *id;
	record_exec *e;
	store_item *it;
} get_arg;

static store_code load_tasks(dbs *st, DB_TXN *txn, store_item *it, size_t *budget, store_err *err)
{
	it->tasks = calloc(it->exec.n_task_ids ? it->exec.n_task_ids : 1, sizeof *it->tasks);
	if (!it->tasks)
		return err_oom(err);
	for (size_t i = 0; i < it->exec.n_task_ids; i++) {
		store_code c = rec_get_task(st, txn, it->exec.id, it->exec.task_ids[i], &it->tasks[i], 0, err);
		if (c)
			return c;
		it->n_tasks++;
		if ((c = rec_load_logs(st, txn, &it->tasks[i], budget, err)))
			return c;
	}
	return STORE_OK;
}

static store_code get_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	get_arg *a = arg;
	if (a->e)
		return rec_get_exec(st, txn, a->id, a->e, 0, err);
	store_item_free(a->it);
	store_code c = rec_get_exec(st, txn, a->id, &a->it->exec, 0, err);
	return c ? c : load_tasks(st, txn, a->it, NULL, err);
}

store_code dbs_get(dbs *st, const char *id, record_exec *e, store_err *err)
{
	get_arg a = { id, e, NULL };
	memset(e, 0, sizeof *e);
	return txn_read(st, get_txn, &a, err);
}

store_code dbs_get_item(dbs *st, const char *id, store_item *it, store_err *err)
{
	get_arg a = { id, NULL, it };
	memset(it, 0, sizeof *it);
	store_code c = txn_read(st, get_txn, &a, err);
	if (c)
		store_item_free(it);
	return c;
}

static store_code delete_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	const char *id = arg;
	record_exec old;
	store_code c = rec_get_exec(st, txn, id, &old, DB_RMW, err);
	if (c)
		return c;
	c = delete_tasks(st, txn, &old, err);
	if (!c)
		c = rec_del_exec(st, txn, &old, err);
	if (!c) {
		record_event ev = { 0 };
		ev.action = (char *)"delete";
		ev.execution_id = old.id;
		ev.status_before = (char *)status_exec_name(old.status);
		c = rec_add_event(st, txn, &ev, err);
	}
	record_exec_free(&old);
	return c;
}

store_code dbs_delete(dbs *st, dbs_ctx *cx, const char *id, store_err *err)
{
	return txn_write_for(st, cx, delete_txn, (void *)id, err);
}

/* ---- paging ----
 *
 * Each status has an index file holding a copy of each execution record of
 * that status, ordered by start time.  A list of one status reads one of them
 * backwards (newest first); the list of every status merges one run per
 * status.  A page reads only the entries it returns: no point lookups, no
 * scan, whatever the size of the store.  The cursor remembers the key (start
 * time, id) of the last entry returned. */

typedef struct run {
	DBC *c;
	DBT k, d;
	unsigned char kbuf[sizeof ((store_cursor *)0)->key];
	bool live;
	bool newer; /* reading towards newer entries (forwards) */
} run;

static int run_moved(run *r, int ret)
{
	r->live = ret == 0;
	return ret == DB_NOTFOUND ? 0 : ret;
}

static int run_step(run *r)
{
	return run_moved(r, r->c->get(r->c, &r->k, &r->d, r->newer ? DB_NEXT : DB_PREV));
}

/* Positions a run at its newest entry older than `after` (a key), or at its
 * newest entry when `after` is empty; reading newer, at its oldest entry
 * newer than `after`, or at its oldest entry. */
static int run_seek(run *r, const unsigned char *after, size_t after_len)
{
	int ret;
	if (after_len == 0)
		return run_moved(r, r->c->get(r->c, &r->k, &r->d, r->newer ? DB_FIRST : DB_LAST));
	memcpy(r->kbuf, after, after_len);
	r->k.size = (u_int32_t)after_len;
	ret = r->c->get(r->c, &r->k, &r->d, DB_SET_RANGE);
	if (r->newer) {
		ret = run_moved(r, ret);
		if (!ret && r->live && r->k.size == after_len && memcmp(r->kbuf, after, after_len) == 0)
			ret = run_step(r);
		return ret;
	}
	if (ret == DB_NOTFOUND)
		ret = r->c->get(r->c, &r->k, &r->d, DB_LAST);
	else if (ret == 0)
		ret = r->c->get(r->c, &r->k, &r->d, DB_PREV);
	return run_moved(r, ret);
}

static int run_cmp(const run *a, const run *b)
{
	size_t n = a->k.size < b->k.size ? a->k.size : b->k.size;
	int c = memcmp(a->kbuf, b->kbuf, n);
	return c ? c : (a->k.size > b->k.size) - (a->k.size < b->k.size);
}

typedef struct list_arg {
	int status;
	store_cursor start; /* where the page begins, kept for a retried transaction */
	store_cursor *cur;
	size_t limit;
	record_exec *out;
	size_t n;
	bool newer;
	/* the server's way: each entry's encoded record handed on as it is */
	int (*emit)(void *ctx, const void *rec, size_t len);
	void *emit_ctx;
	size_t emitted;
} list_arg;

static store_code due_txn(dbs *st, DB_TXN *txn, list_arg *a, store_err *err);

static store_code list_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	list_arg *a = arg;
	run runs[EXEC_STATUS_COUNT];
	int nruns = 0, ret = 0;
	store_code c = STORE_OK;
	if (a->emit)
		a->emit(a->emit_ctx, NULL, 0); /* start again (a retried transaction) */
	else
		record_exec_array_free(a->out, a->n);
	a->out = NULL;
	a->n = 0;
	*a->cur = a->start;
	if (a->cur->done)
		return STORE_OK;
	if (a->status == STORE_LIST_DUE)
		return due_txn(st, txn, a, err);
	for (int s = 0; s < EXEC_STATUS_COUNT; s++) {
		if (a->status >= 0 && s != a->status)
			continue;
		run *r = &runs[nruns];
		DB *db = st->db[DBI_STATUS(s)];
		memset(r, 0, sizeof *r);
		r->newer = a->newer;
		if ((ret = db->cursor(db, txn, &r->c, 0)) != 0)
			break;
		nruns++;
		r->k.data = r->kbuf;
		r->k.ulen = sizeof r->kbuf;
		r->k.flags = DB_DBT_USERMEM;
		r->d.flags = DB_DBT_REALLOC; /* the environment is free-threaded */
		if ((ret = run_seek(r, a->cur->key, a->cur->len)) != 0)
			break;
	}
	while (!ret && a->n < a->limit) {
		run *best = NULL;
		for (int i = 0; i < nruns; i++)
			if (runs[i].live && (!best || (a->newer ? -1 : 1) * run_cmp(&runs[i], best) > 0))
				best = &runs[i];
		if (!best) {
			a->cur->done = true;
			break;
		}
		record_exec e;
		char why[256] = "the key is too short";
		const unsigned char *raw = best->d.data;
		if (a->emit) {
			/* the record's header is checked here, the record by the client */
			if (best->k.size <= 8 || best->d.size < 3 || raw[0] != 'S' || raw[1] != 'E') {
				snprintf(err->msg, sizeof err->msg, "status index entry '%.*s' cannot be decoded: %s",
					 (int)(best->k.size > 8 ? best->k.size - 8 : 0), (const char *)best->kbuf + 8,
					 best->k.size <= 8 ? why : "not an encoded execution record");
			} else if (a->emit(a->emit_ctx, best->d.data, best->d.size) < 0) {
				c = err_oom(err);
				break;
			} else {
				a->emitted++;
				a->n++;
			}
		} else if (best->k.size <= 8 || record_decode_exec(best->d.data, best->d.size, &e, why, sizeof why) < 0) {
			/* verify reports it; the rest of the page stays readable */
			snprintf(err->msg, sizeof err->msg, "status index entry '%.*s' cannot be decoded: %s",
				 (int)(best->k.size > 8 ? best->k.size - 8 : 0), (const char *)best->kbuf + 8, why);
		} else {
			if (a->n % 16 == 0) {
				record_exec *p = realloc(a->out, (a->n + 16) * sizeof *p);
				if (!p) {
					record_exec_free(&e);
					c = err_oom(err);
					break;
				}
				a->out = p;
			}
			a->out[a->n++] = e;
		}
		a->cur->len = best->k.size;
		memcpy(a->cur->key, best->kbuf, a->cur->len);
		ret = run_step(best);
	}
	for (int i = 0; i < nruns; i++) {
		runs[i].c->close(runs[i].c);
		free(runs[i].d.data);
	}
	if (!c && ret)
		c = err_db(st, err, ret, "reading the status index");
	return c;
}

/* ---- waiting, soonest deadline first (STORE_LIST_DUE) ----
 *
 * The executions that wait with a deadline, in the order of deadlines.db
 * (each at the entry of the earliest deadline of its waiting tasks), then
 * those that wait without one, newest first from the waiting index.  The
 * cursor's first byte says which part it is in: 'D' and the deadlines.db key
 * to start at, or 'N' and a waiting index key (as the other lists').  A page
 * reads what it returns, and the entries of tasks whose execution is listed
 * at an earlier deadline. */

/* Hands one execution to the list: its record as stored (the server's way)
 * or decoded; *e is taken over either way. */
static store_code due_take(list_arg *a, const void *rec, size_t len, record_exec *e, store_err *err)
{
	if (a->emit) {
		record_exec_free(e);
		if (a->emit(a->emit_ctx, rec, len) < 0)
			return err_oom(err);
		a->emitted++;
		a->n++;
		return STORE_OK;
	}
	if (a->n % 16 == 0) {
		record_exec *p = realloc(a->out, (a->n + 16) * sizeof *p);
		if (!p) {
			record_exec_free(e);
			return err_oom(err);
		}
		a->out = p;
	}
	a->out[a->n++] = *e;
	return STORE_OK;
}

static store_code due_with_deadline(dbs *st, DB_TXN *txn, list_arg *a, store_err *err)
{
	DBC *c;
	int ret = st->db[DBI_DEADLINES]->cursor(st->db[DBI_DEADLINES], txn, &c, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_DEADLINES]);
	unsigned char kbuf[KEY_DEADLINE_MAX];
	DBT k = dbs_dbt(NULL, 0), d = dbs_dbt(NULL, 0), ek = dbs_dbt(NULL, 0), ed = dbs_dbt(NULL, 0);
	k.data = kbuf;
	k.ulen = sizeof kbuf;
	k.flags = DB_DBT_USERMEM;
	d.flags = DB_DBT_PARTIAL | DB_DBT_REALLOC; /* the entries are empty: only their keys */
	ed.flags = DB_DBT_REALLOC;
	size_t start = a->cur->len > 1 ? a->cur->len - 1 : 0;
	if (start) {
		memcpy(kbuf, a->cur->key + 1, start);
		k.size = (u_int32_t)start;
	}
	ret = c->get(c, &k, &d, start ? DB_SET_RANGE : DB_FIRST);
	store_code code = STORE_OK;
	while (ret == 0 && a->n < a->limit) {
		char exec_id[RECORD_ID_MAX + 1], task_id[RECORD_ID_MAX + 1];
		int64_t us, eus = 0;
		size_t idlen = key_deadline_parse(kbuf, k.size, &us, exec_id, task_id) == 0 ? strlen(exec_id) : 0;
		if (idlen == 0 || 1 + 8 + idlen + 1 > sizeof a->cur->key) {
			ret = c->get(c, &k, &d, DB_NEXT); /* verify reports a bad key */
			continue;
		}
		/* the cursor goes past every task of this execution at this deadline */
		a->cur->key[0] = 'D';
		memcpy(a->cur->key + 1, kbuf, 8 + idlen);
		a->cur->key[1 + 8 + idlen] = 0x01;
		a->cur->len = 1 + 8 + idlen + 1;
		ek.data = kbuf + 8;
		ek.size = (u_int32_t)idlen;
		ret = st->db[DBI_EXECS]->get(st->db[DBI_EXECS], txn, &ek, &ed, 0);
		record_exec e;
		char why[256];
		if (ret == 0 && record_decode_exec(ed.data, ed.size, &e, why, sizeof why) == 0) {
			/* listed at its earliest deadline only */
			if (e.status == EXEC_WAITING && e.input_deadline && record_timestamp_parse(e.input_deadline, &eus) &&
			    eus == us) {
				if ((code = due_take(a, ed.data, ed.size, &e, err)))
					break;
			} else {
				record_exec_free(&e);
			}
		} else if (ret && ret != DB_NOTFOUND) {
			break;
		}
		memcpy(kbuf, a->cur->key + 1, a->cur->len - 1);
		k.size = (u_int32_t)(a->cur->len - 1);
		ret = c->get(c, &k, &d, DB_SET_RANGE);
	}
	c->close(c);
	free(d.data);
	free(ed.data);
	if (code)
		return code;
	if (ret == DB_NOTFOUND) { /* then those without a deadline */
		a->cur->key[0] = 'N';
		a->cur->len = 1;
		return STORE_OK;
	}
	return ret ? err_db(st, err, ret, "reading %s", dbi_file[DBI_DEADLINES]) : STORE_OK;
}

static store_code due_without_deadline(dbs *st, DB_TXN *txn, list_arg *a, store_err *err)
{
	run r;
	memset(&r, 0, sizeof r);
	DB *db = st->db[DBI_STATUS(EXEC_WAITING)];
	int ret = db->cursor(db, txn, &r.c, 0);
	if (ret)
		return err_db(st, err, ret, "reading the status index");
	r.k.data = r.kbuf;
	r.k.ulen = sizeof r.kbuf;
	r.k.flags = DB_DBT_USERMEM;
	r.d.flags = DB_DBT_REALLOC;
	store_code code = STORE_OK;
	ret = run_seek(&r, a->cur->key + 1, a->cur->len - 1);
	while (!ret && r.live && a->n < a->limit) {
		if (r.k.size + 1 > sizeof a->cur->key)
			break;
		record_exec e;
		char why[256];
		if (record_decode_exec(r.d.data, r.d.size, &e, why, sizeof why) == 0) {
			if (!e.input_deadline) {
				if ((code = due_take(a, r.d.data, r.d.size, &e, err)))
					break;
			} else {
				record_exec_free(&e);
			}
		}
		a->cur->key[0] = 'N';
		memcpy(a->cur->key + 1, r.kbuf, r.k.size);
		a->cur->len = r.k.size + 1;
		ret = run_step(&r);
	}
	if (!ret && !code && !r.live)
		a->cur->done = true;
	r.c->close(r.c);
	free(r.d.data);
	if (code)
		return code;
	return ret ? err_db(st, err, ret, "reading the status index") : STORE_OK;
}

static store_code due_txn(dbs *st, DB_TXN *txn, list_arg *a, store_err *err)
{
	store_code c = STORE_OK;
	if (a->cur->len == 0 || a->cur->key[0] == 'D')
		c = due_with_deadline(st, txn, a, err);
	if (!c && a->n < a->limit && a->cur->len && a->cur->key[0] == 'N')
		c = due_without_deadline(st, txn, a, err);
	return c;
}

/* Runs one page of a list either way; `cur` moves on only when it succeeds. */
static store_code list_run(dbs *st, int status, store_cursor *cur, bool newer, size_t limit, record_exec **out,
			   size_t *n, store_err *err)
{
	list_arg a = { status, *cur, cur, limit, NULL, 0, newer, NULL, NULL, 0 };
	*out = NULL;
	*n = 0;
	if (status > STORE_LIST_DUE || (status == STORE_LIST_DUE && newer))
		return err_set(err, STORE_INVALID_INPUT, "unknown status %d", status);
	store_code c = txn_read(st, list_txn, &a, err);
	if (c) {
		record_exec_array_free(a.out, a.n);
		*cur = a.start;
		return c;
	}
	*out = a.out;
	*n = a.n;
	return STORE_OK;
}

store_code dbs_list_raw(dbs *st, int status, store_cursor *cur, bool newer, size_t limit,
			int (*emit)(void *ctx, const void *rec, size_t len), void *ctx, size_t *n, store_err *err)
{
	list_arg a = { status, *cur, cur, limit, NULL, 0, newer, emit, ctx, 0 };
	*n = 0;
	if (status > STORE_LIST_DUE || (status == STORE_LIST_DUE && newer))
		return err_set(err, STORE_INVALID_INPUT, "unknown status %d", status);
	store_code c = txn_read(st, list_txn, &a, err);
	if (c) {
		*cur = a.start;
		return c;
	}
	*n = a.n;
	return STORE_OK;
}

store_code dbs_list(dbs *st, int status, store_cursor *cur, size_t limit, record_exec **out, size_t *n,
		      store_err *err)
{
	return list_run(st, status, cur, false, limit, out, n, err);
}

store_code dbs_list_newer(dbs *st, int status, const store_cursor *from, size_t limit, record_exec **out,
			    size_t *n, store_err *err)
{
	store_cursor cur = *from;
	cur.done = false;
	store_code c = list_run(st, status, &cur, true, limit, out, n, err);
	/* read oldest first; handed back newest first, like every list */
	for (size_t i = 0; !c && i < *n / 2; i++) {
		record_exec t = (*out)[i];
		(*out)[i] = (*out)[*n - 1 - i];
		(*out)[*n - 1 - i] = t;
	}
	return c;
}

store_code dbs_paused(dbs *st, record_exec **out, size_t *n, store_err *err)
{
	store_cursor cur = { .len = 0 };
	record_exec *all = NULL;
	size_t total = 0;
	*out = NULL;
	*n = 0;
	while (!cur.done) {
		record_exec *page;
		size_t got;
		store_code c = dbs_list(st, EXEC_WAITING, &cur, 512, &page, &got, err);
		if (c) {
			record_exec_array_free(all, total);
			return c;
		}
		if (got) {
			record_exec *p = realloc(all, (total + got) * sizeof *p);
			if (!p) {
				record_exec_array_free(page, got);
				record_exec_array_free(all, total);
				return err_oom(err);
			}
			all = p;
			memcpy(all + total, page, got * sizeof *page);
			total += got;
		}
		free(page);
		if (!got && !cur.done)
			break;
	}
	*out = all;
	*n = total;
	return STORE_OK;
}

#define EACH_ITEM_LOG_BYTES (8u << 20)

typedef struct each_arg {
	int (*fn)(void *ctx, const store_item *it);
	void *ctx;
	const char *after;
	size_t limit;
	bool stopped; /* fn asked to stop after an item */
	/* what fn was given already: a read tried again (a deadlock at a
	 * replica, where reads take page locks) goes on after it, and gives
	 * no item twice */
	char *given;
	size_t n_given;
} each_arg;

static store_code each_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	each_arg *a = arg;
	/* a copy: a->given changes as the walk goes */
	char *after = NULL;
	if ((a->given || a->after) && !(after = record_strdup(a->given ? a->given : a->after)))
		return err_oom(err);
	DBC *cur;
	int ret = st->db[DBI_EXECS]->cursor(st->db[DBI_EXECS], txn, &cur, 0);
	if (ret) {
		free(after);
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_EXECS]);
	}
	DBT k = dbs_dbt(after, after ? strlen(after) : 0), d = dbs_dbt(NULL, 0);
	k.flags = d.flags = DB_DBT_REALLOC;
	if (after) {
		k.data = record_strdup(after);
		if (!k.data) {
			cur->close(cur);
			free(after);
			return err_oom(err);
		}
	}
	store_code c = STORE_OK;
	size_t seen = a->n_given;
	u_int32_t how = after ? DB_SET_RANGE : DB_NEXT;
	a->stopped = false;
	while (!c && !a->stopped && (a->limit == 0 || seen < a->limit) && (ret = cur->get(cur, &k, &d, how)) == 0) {
		how = DB_NEXT;
		if (view_cancelled(st)) {
			c = err_set(err, STORE_STORAGE, "given up: its connection closed");
			break;
		}
		if (after && k.size == strlen(after) && memcmp(k.data, after, k.size) == 0)
			continue;
		store_item it;
		char why[256];
		memset(&it, 0, sizeof it);
		if (record_decode_exec(d.data, d.size, &it.exec, why, sizeof why) < 0) {
			c = err_set(err, STORE_FORMAT, "execution '%.*s' cannot be decoded: %s", (int)(k.size > 128 ? 128 : k.size),
				    (const char *)k.data, why);
			break;
		}
		/* the lines from the first, up to a bound: a task's log may be
		 * far larger than a frame (store_task_logs reads the rest) */
		size_t budget = EACH_ITEM_LOG_BYTES;
		c = load_tasks(st, txn, &it, &budget, err);
		int r = c ? 0 : a->fn(a->ctx, &it);
		if (r < 0)
			c = err_set(err, STORE_STORAGE, "writing the output failed");
		else if (r > 0)
			a->stopped = true;
		store_item_free(&it);
		seen++;
		if (!c) {
			char *given = malloc(k.size + 1);
			if (given) {
				memcpy(given, k.data, k.size);
				given[k.size] = '\0';
			} else {
				c = err_oom(err);
				break;
			}
			free(a->given);
			a->given = given;
			a->n_given = seen;
		}
	}
	cur->close(cur);
	free(k.data);
	free(d.data);
	free(after);
	if (!c && ret != 0 && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "reading %s", dbi_file[DBI_EXECS]);
	return c;
}

store_code dbs_each(dbs *st, const char *after, size_t limit, int (*fn)(void *ctx, const store_item *it), void *ctx,
		    store_err *err)
{
	each_arg a = { fn, ctx, after, limit, false, NULL, 0 };
	store_code c = txn_read(st, each_txn, &a, err);
	free(a.given);
	return c;
}

/* ---- events ---- */

typedef struct events_arg {
	const char *exec_id;
	uint64_t from;  /* newest first: before it (0: the newest); oldest first: after it */
	bool forward;   /* oldest first */
	size_t limit;
	record_event *out;
	size_t n;
} events_arg;

static store_code events_push(events_arg *a, const void *data, size_t len, uint64_t seq, store_err *err)
{
	if (a->n % 32 == 0) {
		record_event *p = realloc(a->out, (a->n + 32) * sizeof *p);
		if (!p)
			return err_oom(err);
		a->out = p;
	}
	char why[256];
	if (record_decode_event(data, len, &a->out[a->n], why, sizeof why) < 0)
		return err_set(err, STORE_FORMAT, "event %llu cannot be decoded: %s", (unsigned long long)seq, why);
	a->n++;
	return STORE_OK;
}

static store_code events_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	events_arg *a = arg;
	record_event_array_free(a->out, a->n);
	a->out = NULL;
	a->n = 0;
	bool by_exec = a->exec_id != NULL;
	dbi which = by_exec ? DBI_EV_BY_EXEC : DBI_EVENTS;
	if (a->forward && a->from == UINT64_MAX)
		return STORE_OK;
	uint64_t first = a->forward ? a->from + 1 : a->from ? a->from : UINT64_MAX;
	unsigned char key[KEY_EXEC_EVENT_MAX];
	size_t kn = 8;
	if (by_exec && !(kn = key_exec_event(key, sizeof key, a->exec_id, first)))
		return STORE_OK;
	if (!by_exec)
		key_u64(key, first);
	size_t plen = kn - 8; /* the execution's part */
	DBC *cur;
	int ret = st->db[which]->cursor(st->db[which], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[which]);
	DBT k = dbs_dbt(key, kn), d = dbs_dbt(NULL, 0);
	k.ulen = sizeof key;
	k.flags = DB_DBT_USERMEM;
	d.flags = DB_DBT_REALLOC;
	u_int32_t step = a->forward ? DB_NEXT : DB_PREV;
	ret = cur->get(cur, &k, &d, DB_SET_RANGE);
	if (!a->forward)
		ret = cur->get(cur, &k, &d, ret == 0 ? DB_PREV : DB_LAST);
	store_code c = STORE_OK;
	for (; ret == 0 && a->n < a->limit && !c; ret = cur->get(cur, &k, &d, step)) {
		if (k.size != plen + 8 || (by_exec && memcmp(k.data, a->exec_id, plen) != 0))
			break;
		uint64_t seq = key_get_u64((const unsigned char *)k.data + plen);
		if (!by_exec) {
			c = events_push(a, d.data, d.size, seq, err);
			continue;
		}
		unsigned char ek[8];
		key_u64(ek, seq);
		DBT k2 = dbs_dbt(ek, 8), d2 = dbs_dbt(NULL, 0);
		d2.flags = DB_DBT_MALLOC;
		int r2 = st->db[DBI_EVENTS]->get(st->db[DBI_EVENTS], txn, &k2, &d2, 0);
		if (r2 == 0)
			c = events_push(a, d2.data, d2.size, seq, err);
		else if (r2 != DB_NOTFOUND)
			c = err_db(st, err, r2, "reading event %llu", (unsigned long long)seq);
		free(d2.data);
	}
	cur->close(cur);
	free(d.data);
	if (!c && ret && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "reading %s", dbi_file[which]);
	return c;
}

static store_code events_read(dbs *st, const char *exec_id, uint64_t from, bool forward, size_t limit,
			      record_event **out, size_t *n, store_err *err)
{
	events_arg a = { exec_id, from, forward, limit, NULL, 0 };
	store_code c = txn_read(st, events_txn, &a, err);
	if (c) {
		record_event_array_free(a.out, a.n);
		*out = NULL;
		*n = 0;
		return c;
	}
	*out = a.out;
	*n = a.n;
	return STORE_OK;
}

store_code dbs_events(dbs *st, const char *exec_id, uint64_t before, size_t limit, record_event **out,
			size_t *n, store_err *err)
{
	return events_read(st, exec_id, before, false, limit, out, n, err);
}

store_code dbs_events_after(dbs *st, const char *exec_id, uint64_t after, size_t limit, record_event **out, size_t *n,
			    store_err *err)
{
	return events_read(st, exec_id, after, true, limit, out, n, err);
}
