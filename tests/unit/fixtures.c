/* fixtures.c - building blocks shared by the unit tests. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"

char *fx_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(4096);
	snprintf(p, 4096, "%s/seetop-test-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(p));
	return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fx_rmtree(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void fx_copydir(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *de;
	assert_non_null(d);
	mkdir(to, 0700);
	while ((de = readdir(d)) != NULL) {
		char a[4200], b[4200], buf[65536];
		if (de->d_name[0] == '.')
			continue;
		snprintf(a, sizeof a, "%s/%s", from, de->d_name);
		snprintf(b, sizeof b, "%s/%s", to, de->d_name);
		FILE *in = fopen(a, "rb"), *out = fopen(b, "wb");
		assert_non_null(in);
		assert_non_null(out);
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, in)) > 0)
			assert_int_equal(fwrite(buf, 1, n, out), n);
		fclose(in);
		assert_int_equal(fclose(out), 0);
	}
	closedir(d);
}

void fx_item(store_item *it, const char *id, const char *start, size_t n, const task_status *ts)
{
	memset(it, 0, sizeof *it);
	record_exec *e = &it->exec;
	e->id = record_strdup(id);
	record_text_set(&e->workflow_name, "Test Workflow", 13);
	e->start_timestamp = record_strdup(start);
	e->status = EXEC_RUNNING;
	e->task_ids = calloc(n + 1, sizeof *e->task_ids);
	it->tasks = calloc(n + 1, sizeof *it->tasks);
	bool any_failed = false, all_done = n > 0;
	for (size_t i = 0; i < n; i++) {
		char tid[32];
		snprintf(tid, sizeof tid, "task%zu", i + 1);
		e->task_ids[i] = record_strdup(tid);
		record_task *t = &it->tasks[i];
		t->execution_id = record_strdup(id);
		t->task_id = record_strdup(tid);
		record_text_set(&t->task_name, "Test Task", 9);
		t->status = ts[i];
		t->start_timestamp = record_strdup(ts[i] == TASK_PENDING ? "" : start);
		t->end_timestamp = record_strdup(ts[i] == TASK_COMPLETE || ts[i] == TASK_FAILED ? start : "");
		record_text_set(&t->input_prompt, "", 0);
		if (ts[i] == TASK_WAITING && !e->paused_task_id) {
			e->status = EXEC_WAITING;
			e->is_paused = true;
			e->paused_task_id = record_strdup(tid);
		}
		any_failed |= ts[i] == TASK_FAILED;
		all_done &= ts[i] == TASK_COMPLETE;
	}
	if (!e->is_paused && any_failed)
		e->status = EXEC_FAILED;
	else if (!e->is_paused && all_done)
		e->status = EXEC_COMPLETE;
	e->n_task_ids = it->n_tasks = n;
}

store *fx_open(const char *home, unsigned flags)
{
	store *st;
	store_err err;
	if (!(flags & STORE_OPEN_READ_ONLY))
		flags |= STORE_OPEN_CREATE; /* the tests make their homes */
	store_code c = store_open(home, flags, &st, &err);
	if (c)
		fail_msg("store_open(%s): %s", home, err.msg);
	store_set_actor(st, "tester");
	return st;
}

void fx_save(store *st, const char *id, const char *start, size_t n, const task_status *ts)
{
	store_item it;
	store_err err;
	fx_item(&it, id, start, n, ts);
	store_code c = store_save(st, &it, false, &err);
	store_item_free(&it);
	if (c)
		fail_msg("store_save(%s): %s", id, err.msg);
}

void fx_task(store *st, const char *exec, const char *task, record_task *out)
{
	store_item it;
	store_err err;
	if (store_get_item(st, exec, &it, &err))
		fail_msg("store_get_item(%s): %s", exec, err.msg);
	for (size_t i = 0; i < it.n_tasks; i++)
		if (strcmp(it.tasks[i].task_id, task) == 0) {
			record_task_copy(out, &it.tasks[i]);
			store_item_free(&it);
			return;
		}
	store_item_free(&it);
	fail_msg("task %s not in %s", task, exec);
}

static void print_problem(void *ctx, const char *what)
{
	(void)ctx;
	fprintf(stderr, "verify: %s\n", what);
}

void fx_verified(store *st)
{
	size_t n = 0;
	store_err err;
	if (store_verify(st, print_problem, NULL, &n, &err))
		fail_msg("store_verify: %s", err.msg);
	if (n)
		fail_msg("store_verify found %zu problems", n);
}
