/* dbs_upgrade.c - the formats of older homes: what each changed, and the
 * one transaction that brings a home of format 1 to 5 to this one
 * (STORE_FORMAT_VERSION), or creates a new one; and the files older
 * versions left that this one no longer uses. */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_upgrade.h"
#include "rules.h"

store_code upgrade_too_new(dbs *st, uint64_t format, store_err *err)
{
	return err_set(err, STORE_FORMAT, "store format %llu in '%s' is newer than this version supports (%d): "
		       "use a newer seetop", (unsigned long long)format, st->home, STORE_FORMAT_VERSION);
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
			if (rules_exec_settle(e, e->task_ids[i]) < 0)
				return err_oom(err);
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
	DBT k = dbs_dbt(NULL, 0), d = dbs_dbt(NULL, 0);
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
		unsigned char key[KEY_BY_STATUS_MAX];
		size_t kn = key_by_status(key, sizeof key, &e);
		if (!c && record_encode_exec(&e, &b) < 0)
			c = err_oom(err);
		if (!c && kn && (unsigned)e.status < EXEC_STATUS_COUNT)
			c = rec_put_raw(st, txn, DBI_STATUS(e.status), key, kn, b.data, b.len, err);
		/* the record itself is rewritten in the current layout, so that it
		 * and its copy in the index are the same bytes */
		if (!c && (b.len != d.size || memcmp(b.data, d.data, b.len) != 0))
			c = rec_put_raw(st, txn, DBI_EXECS, e.id, strlen(e.id), b.data, b.len, err);
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

/* Format 5 keeps each log line in a record of its own (logs.db): the lines
 * of every older task record move there, and the record keeps their count. */
static store_code move_logs(dbs *st, DB_TXN *txn, store_err *err)
{
	DBC *cur;
	DBT k = dbs_dbt(NULL, 0), d = dbs_dbt(NULL, 0);
	k.flags = d.flags = DB_DBT_REALLOC;
	int ret = st->db[DBI_TASKS]->cursor(st->db[DBI_TASKS], txn, &cur, 0);
	if (ret)
		return err_db(st, err, ret, "upgrading: reading %s", dbi_file[DBI_TASKS]);
	store_code c = STORE_OK;
	while (!c && (ret = cur->get(cur, &k, &d, DB_NEXT | DB_RMW)) == 0) {
		record_task t;
		char why[256];
		if (record_decode_task(d.data, d.size, &t, why, sizeof why) < 0)
			continue; /* verify reports it */
		if (t.n_logs || t.log_count) {
			c = rec_put_logs(st, txn, t.execution_id, t.task_id, 0, t.logs, t.n_logs, err);
			t.log_count = t.n_logs;
			record_buf b = { 0 };
			record_task bare = t;
			bare.logs = NULL;
			bare.n_logs = 0;
			if (!c && record_encode_task(&bare, &b) < 0)
				c = err_oom(err);
			DBT nd = dbs_dbt(b.data, b.len);
			if (!c && (ret = cur->put(cur, &k, &nd, DB_CURRENT)) != 0)
				c = err_db(st, err, ret, "upgrading: rewriting task '%s'", t.task_id);
			record_buf_free(&b);
		}
		record_task_free(&t);
	}
	cur->close(cur);
	free(k.data);
	free(d.data);
	if (!c && ret != DB_NOTFOUND)
		c = err_db(st, err, ret, "upgrading: reading %s", dbi_file[DBI_TASKS]);
	return c;
}

store_code upgrade_home(dbs *st, DB_TXN *txn, store_err *err)
{
	store_code c;
	uint64_t format;
	if ((c = meta_get_u64(st, txn, "format", &format, DB_RMW, err)))
		return c;
	if (format == STORE_FORMAT_VERSION)
		return STORE_OK; /* another process created it first */
	if (format > STORE_FORMAT_VERSION)
		return upgrade_too_new(st, format, err);
	if (format == 5) /* format 6 added the deadline index; no task had a deadline */
		return meta_put_u64(st, txn, "format", STORE_FORMAT_VERSION, err);
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
			if ((c = rec_del_raw(st, txn, DBI_META, old_keys[i], strlen(old_keys[i]), err)))
				return c;
	}
	if (format == 3 || format == 4) {
		/* format 3 had the state record, and one index file for every
		 * status; format 4 kept log lines inside their task's record */
		if ((c = state_read(st, txn, &ms, 0, err)))
			return c;
		memset(ms.counts, 0, sizeof ms.counts);
	}
	if (format != 0 && (c = move_logs(st, txn, err)))
		return c;
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
void upgrade_drop_legacy(dbs *st)
{
	if (st->flags & STORE_OPEN_READ_ONLY)
		return;
	for (int i = 0; legacy_files[i]; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", st->home, legacy_files[i]);
		unlink(path);
	}
}

/* Region files of the shared environments earlier versions used: this one
 * keeps its regions in memory, and the server alone opens the home. */
void upgrade_drop_regions(const char *home)
{
	DIR *d = opendir(home);
	struct dirent *de;
	char path[PATH_MAX + NAME_MAX + 2];
	while (d && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "__db.", 5) == 0 && strncmp(de->d_name, "__db.rep", 8) != 0) {
			/* __db.rep* hold a replication group's state */
			snprintf(path, sizeof path, "%s/%s", home, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
}
