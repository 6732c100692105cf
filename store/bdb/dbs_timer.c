/* dbs_timer.c - deadlines on input requests: setting one on a waiting task,
 * the next one due, and applying a task's on-timeout policy when it passes.
 *
 * A waiting task with a deadline has an entry in deadlines.db, keyed by the
 * deadline: rec_put_task keeps it in step with the task, so the server reads
 * the first key to know when to wake.  The policy is applied in one
 * transaction per task, as the actor "timer", dated at the deadline (a server
 * that was down then applies it when it starts). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_txn.h"
#include "dbs_moves.h"
#include "keys.h"
#include "rules.h"

/* ---- setting a deadline ---- */

typedef struct deadline_arg {
	const char *exec_id, *task_id;
	uint64_t seconds;
	record_on_timeout policy;
} deadline_arg;

static store_code deadline_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	deadline_arg *a = arg;
	record_exec e, old = { 0 };
	record_task t;
	store_code c = rec_get_exec_task(st, txn, a->exec_id, a->task_id, &e, &t, err);
	if (c)
		return c;
	if ((c = rules_deadline_set(&e, &t, err)))
		goto out;
	if (a->seconds && (c = rules_deadline_policy(&t, a->policy, err)))
		goto out;
	/* the old entry goes; the new one comes with the task's write */
	if ((c = rec_deadline_index(st, txn, &t, false, err)))
		goto out;
	char now[40];
	record_timestamp_now(now, sizeof now);
	if ((c = task_deadline_set(&t, a->seconds, a->policy, now, err)))
		goto out;
	if (record_exec_copy(&old, &e) < 0) {
		c = err_oom(err);
		goto out;
	}
	/* the execution carries its earliest deadline: it is written again */
	if ((c = rec_put_task(st, txn, &t, err)) || (c = rec_put_exec(st, txn, &e, &old, err)))
		goto out;
	char what[120];
	if (a->seconds)
		snprintf(what, sizeof what, "until %s, then %s", t.input_deadline, record_on_timeout_name(a->policy));
	else
		snprintf(what, sizeof what, "no deadline");
	record_text why = { what, strlen(what) };
	c = rec_event(st, txn, "deadline", a->exec_id, a->task_id, NULL, NULL, NULL, &why, err);
out:
	record_exec_free(&old);
	record_exec_free(&e);
	record_task_free(&t);
	return c;
}

store_code dbs_task_deadline(dbs *st, dbs_ctx *cx, const char *exec_id, const char *task_id, uint64_t seconds,
			     record_on_timeout policy, store_err *err)
{
	if (seconds > RULES_DEADLINE_MAX_S)
		return err_set(err, STORE_INVALID_INPUT, "a deadline is at most ten years away (3650d)");
	deadline_arg a = { exec_id, task_id, seconds, policy };
	return txn_write_for(st, cx, deadline_txn, &a, err);
}

/* ---- the next deadline ---- */

typedef struct next_arg {
	bool any;
	int64_t us;
	char exec_id[RECORD_ID_MAX + 1], task_id[RECORD_ID_MAX + 1];
} next_arg;

static store_code next_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	next_arg *a = arg;
	DBC *cur;
	a->any = false;
	int ret = st->db[DBI_DEADLINES]->cursor(st->db[DBI_DEADLINES], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_DEADLINES]);
	DBT k, d;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.flags = DB_DBT_REALLOC;
	d.flags = DB_DBT_PARTIAL | DB_DBT_REALLOC; /* the key alone */
	ret = cur->get(cur, &k, &d, DB_FIRST);
	if (ret == 0)
		a->any = key_deadline_parse(k.data, k.size, &a->us, a->exec_id, a->task_id) == 0;
	cur->close(cur);
	free(k.data);
	free(d.data);
	if (ret && ret != DB_NOTFOUND)
		return err_db(st, err, ret, "reading %s", dbi_file[DBI_DEADLINES]);
	return STORE_OK;
}

store_code dbs_deadline_next(dbs *st, bool *any, int64_t *us, store_err *err)
{
	next_arg a;
	memset(&a, 0, sizeof a);
	store_code c = txn_read(st, next_txn, &a, err);
	*any = c == STORE_OK && a.any;
	*us = a.us;
	return c;
}

/* ---- applying a policy ---- */

typedef struct fire_arg {
	int64_t now_us;
	bool fired;
	char exec_id[RECORD_ID_MAX + 1];
} fire_arg;

static store_code fire_txn(dbs *st, DB_TXN *txn, void *arg, store_err *err)
{
	fire_arg *f = arg;
	next_arg a;
	memset(&a, 0, sizeof a);
	f->fired = false;
	store_code c = next_txn(st, txn, &a, err);
	if (c || !a.any || a.us > f->now_us)
		return c;
	snprintf(f->exec_id, sizeof f->exec_id, "%s", a.exec_id);
	f->fired = true;
	record_exec e, old = { 0 };
	record_task t;
	c = rec_get_exec_task(st, txn, a.exec_id, a.task_id, &e, &t, err);
	if (c == STORE_NOT_FOUND) {
		/* an entry without its task: it goes */
		unsigned char key[KEY_DEADLINE_MAX];
		size_t kn = key_deadline(key, sizeof key, a.us, a.exec_id, a.task_id);
		memset(err, 0, sizeof *err);
		return rec_del_raw(st, txn, DBI_DEADLINES, key, kn, err);
	}
	if (c)
		return c;
	rules_timeout what = rules_timeout_action(&t, a.us);
	if (what == RULES_TIMEOUT_STALE) {
		/* a stale entry: the task moved on */
		record_task stale = t;
		char when[40];
		record_timestamp_format(a.us, when, sizeof when);
		stale.input_deadline = when;
		c = rec_deadline_index(st, txn, &stale, false, err);
		goto out;
	}
	/* the timer's events are dated at the deadline */
	st->cx->event_time = t.input_deadline;
	char reason[200];
	snprintf(reason, sizeof reason, "no answer by the deadline %s (on timeout: %s)", t.input_deadline,
		 record_on_timeout_name(t.on_timeout));
	record_text why = { reason, strlen(reason) };
	if (what == RULES_TIMEOUT_DEFAULT || what == RULES_TIMEOUT_SKIP) {
		resume_how how = { NULL, 0, what != RULES_TIMEOUT_DEFAULT, &why, "timeout" };
		c = task_resume(st, txn, a.exec_id, a.task_id, &how, err);
		goto out;
	}
	if (record_exec_copy(&old, &e) < 0) {
		c = err_oom(err);
		goto out;
	}
	if (!(c = task_fail_now(&t, reason, t.input_deadline, err)) && !(c = exec_settle(st, txn, &e, &t, err)) &&
	    !(c = rec_put_task(st, txn, &t, err)) && !(c = rec_put_exec(st, txn, &e, &old, err)))
		c = rec_event(st, txn, "timeout", e.id, t.task_id, status_task_name(TASK_WAITING),
			      status_task_name(TASK_FAILED), NULL, &why, err);
out:
	st->cx->event_time = NULL;
	record_exec_free(&old);
	record_task_free(&t);
	record_exec_free(&e);
	return c;
}

store_code dbs_deadline_fire(dbs *st, int64_t now_us, bool *fired, char *exec_id, size_t cap, store_err *err)
{
	fire_arg f;
	memset(&f, 0, sizeof f);
	f.now_us = now_us;
	/* the timer acts for no one: no user, no request, not the owner (the
	 * deadline was set by one who may answer) */
	dbs_ctx cx = { .actor = "timer" };
	store_code c = txn_write_for(st, &cx, fire_txn, &f, err);
	*fired = c == STORE_OK && f.fired;
	snprintf(exec_id, cap, "%s", f.exec_id);
	return c;
}

bool dbs_deadlines_changed(dbs *st)
{
	bool v = st->deadlines_changed;
	st->deadlines_changed = false;
	return v;
}
