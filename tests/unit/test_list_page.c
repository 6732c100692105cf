/* test_list_page.c - the newest page of a list, as the server keeps it
 * between changes and as the client decodes it: never stale after a change
 * (made on this connection or another), never stale about which engines
 * are attached, the same to an older client, and every record it hands out
 * (packed, or taken from an image) freed as any other. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures.h"
#include "record_int.h"
#include "store.h"
#include "tag.h"

typedef struct ctx {
	char *home;
	store *st;
} ctx;

static int setup(void **state)
{
	ctx *c = calloc(1, sizeof *c);
	c->home = fx_tmpdir();
	c->st = fx_open(c->home, 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	ctx *c = *state;
	store_close(c->st);
	fx_rmtree(c->home);
	free(c->home);
	free(c);
	return 0;
}

static const task_status RUN2[] = { TASK_COMPLETE, TASK_IN_PROGRESS };

/* The first screen as seetop reads it: the newest `limit` of a status (-1:
 * all) with the counts; its ids newest first, comma-separated, into `ids`. */
static void first_screen(store *st, int status, size_t limit, char *ids, size_t cap,
			 uint64_t counts[EXEC_STATUS_COUNT], bool *attached)
{
	store_err err;
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	uint64_t gen;
	assert_int_equal(store_list_counts(st, status, &cur, limit, &v, &n, counts, &gen, &err), STORE_OK);
	ids[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t at = strlen(ids);
		snprintf(ids + at, cap - at, "%s%s:%s", i ? "," : "", v[i].id, status_exec_name(v[i].status));
		if (attached && strcmp(v[i].id, "e2") == 0)
			*attached = v[i].engine_attached;
	}
	record_exec_array_free(v, n);
}

static void save(store *st, const char *id, const char *start)
{
	fx_save(st, id, start, 2, RUN2);
}

static void a_change_is_never_answered_from_a_kept_page(void **state)
{
	ctx *c = *state;
	store_err err;
	char ids[512];
	uint64_t counts[EXEC_STATUS_COUNT];
	save(c->st, "e1", "2024-12-19T10:00:00Z");
	save(c->st, "e2", "2024-12-19T10:00:01Z");
	/* read twice: the second answer is the kept page */
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, NULL);
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, "e2:running,e1:running");
	assert_int_equal(counts[EXEC_RUNNING], 2);
	/* a new execution on this connection */
	save(c->st, "e3", "2024-12-19T10:00:02Z");
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, "e3:running,e2:running,e1:running");
	assert_int_equal(counts[EXEC_RUNNING], 3);
	/* a change of status, from another connection */
	store *other = fx_open(c->home, 0);
	assert_int_equal(store_pause_task(other, "e2", "task2", &err), STORE_OK);
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, "e3:running,e2:waiting-for-input,e1:running");
	assert_int_equal(counts[EXEC_RUNNING], 2);
	assert_int_equal(counts[EXEC_WAITING], 1);
	/* a page of one status, and one of another limit, kept beside it */
	first_screen(c->st, EXEC_WAITING, 50, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, "e2:waiting-for-input");
	first_screen(c->st, -1, 2, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, "e3:running,e2:waiting-for-input");
	assert_int_equal(store_resume_task(other, "e2", "task2", NULL, 0, &err), STORE_OK);
	first_screen(c->st, EXEC_WAITING, 50, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, "");
	assert_int_equal(counts[EXEC_WAITING], 0);
	first_screen(c->st, -1, 2, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, "e3:running,e2:running");
	/* a deletion, and the page without the counts (store_list) */
	assert_int_equal(store_delete(other, "e3", &err), STORE_OK);
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	assert_int_equal(store_list(c->st, -1, &cur, 2, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, "e2");
	assert_string_equal(v[1].id, "e1");
	record_exec_array_free(v, n);
	first_screen(c->st, -1, 2, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, "e2:running,e1:running");
	assert_int_equal(counts[EXEC_RUNNING], 2);
	store_close(other);
}

/* Whether an engine drives an execution changes without a commit: the
 * kept page says so as it is now. */
static void a_page_says_which_engines_are_attached_now(void **state)
{
	ctx *c = *state;
	store_err err;
	char ids[512];
	uint64_t counts[EXEC_STATUS_COUNT];
	bool attached = true;
	save(c->st, "e1", "2024-12-19T10:00:00Z");
	save(c->st, "e2", "2024-12-19T10:00:01Z");
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, &attached);
	assert_false(attached);
	store *engine = fx_open(c->home, 0);
	assert_int_equal(store_attach(engine, "e2", &err), STORE_OK);
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, &attached);
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, &attached);
	assert_true(attached);
	store_close(engine);
	/* the server hears of the end of the engine's connection soon after */
	for (int i = 0; i < 200 && attached; i++) {
		first_screen(c->st, -1, 50, ids, sizeof ids, counts, &attached);
		if (attached)
			usleep(10000);
	}
	assert_false(attached);
}

/* A record of a list is one allocation: freed whole, or with a field its
 * holder set anew (which is freed alone); ASan and valgrind see no leak
 * and no bad free. */
static void a_listed_record_is_freed_whole_or_with_a_field_set_anew(void **state)
{
	ctx *c = *state;
	store_err err;
	save(c->st, "e1", "2024-12-19T10:00:00Z");
	store_cursor cur = { .len = 0 };
	record_exec *v;
	size_t n;
	assert_int_equal(store_list(c->st, -1, &cur, 10, &v, &n, &err), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].n_task_ids, 2);
	assert_string_equal(v[0].task_ids[1], "task2");
	record_exec one = v[0];
	free(v);
	one.end_timestamp = strdup("2024-12-19T11:00:00Z");
	char **ids = malloc(sizeof *ids);
	ids[0] = strdup("other");
	one.task_ids = ids;
	one.n_task_ids = 1;
	record_exec_free(&one);
}

/* A field this version does not know survives the packed decode, in its
 * place among the unknown bytes, as it does the plain one. */
static void the_packed_decode_keeps_what_the_plain_one_keeps(void **state)
{
	(void)state;
	record_exec e = { 0 };
	e.id = (char *)"x1";
	e.start_timestamp = (char *)"2024-12-19T10:00:00Z";
	e.workflow_name.s = (char *)"ETL";
	e.workflow_name.len = 3;
	e.status = EXEC_WAITING;
	char *tasks[] = { (char *)"a", (char *)"b", (char *)"c" };
	e.task_ids = tasks;
	e.n_task_ids = 3;
	e.is_paused = true;
	e.paused_task_id = (char *)"b";
	record_buf b = { 0 };
	assert_int_equal(record_encode_exec(&e, &b), 0);
	/* two fields of a newer version: a number and a text */
	assert_int_equal(tag_put_varint(&b, 90, 7), 0);
	assert_int_equal(tag_put_bytes(&b, 91, "later", 5), 0);
	record_exec plain, packed;
	char why[128];
	assert_int_equal(record_decode_exec(b.data, b.len, &plain, why, sizeof why), 0);
	assert_int_equal(record_decode_exec_packed(b.data, b.len, &packed, why, sizeof why), 0);
	record_buf bp = { 0 }, bk = { 0 };
	assert_int_equal(record_encode_exec(&plain, &bp), 0);
	assert_int_equal(record_encode_exec(&packed, &bk), 0);
	assert_int_equal(bp.len, b.len);
	assert_int_equal(bk.len, b.len);
	assert_memory_equal(bk.data, b.data, b.len);
	assert_string_equal(packed.task_ids[2], "c");
	assert_string_equal(packed.workflow_name.s, "ETL");
	assert_null(packed.end_timestamp);
	/* what the plain decode refuses, the packed one refuses too */
	for (size_t cut = 4; cut < b.len; cut += 7) {
		record_exec x;
		int rp = record_decode_exec(b.data, cut, &x, why, sizeof why);
		if (rp == 0)
			record_exec_free(&x);
		int rk = record_decode_exec_packed(b.data, cut, &x, why, sizeof why);
		if (rk == 0)
			record_exec_free(&x);
		assert_int_equal(rp, rk);
	}
	record_exec_free(&plain);
	record_exec_free(&packed);
	record_buf_free(&b);
	record_buf_free(&bp);
	record_buf_free(&bk);
}

/* An image holds what the record holds, the unknown fields included; a
 * damaged one is refused, never read past its end. */
static void an_image_holds_the_record_and_a_damaged_one_is_refused(void **state)
{
	(void)state;
	record_exec e = { 0 };
	e.id = (char *)"x1";
	e.start_timestamp = (char *)"2024-12-19T10:00:00Z";
	e.end_timestamp = (char *)"2024-12-19T11:00:00Z";
	e.workflow_name.s = (char *)"ETL";
	e.workflow_name.len = 3;
	e.status = EXEC_FAILED;
	char *tasks[] = { (char *)"a", (char *)"bb", (char *)"" };
	e.task_ids = tasks;
	e.n_task_ids = 3;
	e.version = 1234567;
	e.engine_pid = 42;
	e.definition_hash = UINT64_MAX;
	record_buf b = { 0 };
	assert_int_equal(record_encode_exec(&e, &b), 0);
	assert_int_equal(tag_put_bytes(&b, 91, "later", 5), 0);
	record_exec plain, back;
	char why[128];
	assert_int_equal(record_decode_exec(b.data, b.len, &plain, why, sizeof why), 0);
	record_buf img = { 0 }, again = { 0 };
	assert_int_equal(record_image_exec(&plain, &img), 0);
	assert_true(record_is_image(img.data, img.len));
	assert_false(record_is_image(b.data, b.len));
	assert_int_equal(record_from_image_exec(img.data, img.len, &back, why, sizeof why), 0);
	assert_int_equal(record_encode_exec(&back, &again), 0);
	assert_int_equal(again.len, b.len);
	assert_memory_equal(again.data, b.data, b.len);
	assert_string_equal(back.task_ids[1], "bb");
	assert_string_equal(back.task_ids[2], "");
	assert_null(back.paused_task_id);
	record_exec_free(&back);
	/* cut anywhere, or with a byte changed anywhere: refused or whole */
	for (size_t cut = 0; cut < img.len; cut++) {
		unsigned char *p = malloc(cut ? cut : 1);
		memcpy(p, img.data, cut);
		assert_int_equal(record_from_image_exec(p, cut, &back, why, sizeof why), -1);
		free(p);
	}
	for (size_t at = 0; at < img.len; at++) {
		unsigned char *p = malloc(img.len);
		memcpy(p, img.data, img.len);
		p[at] ^= 0x41;
		if (record_from_image_exec(p, img.len, &back, why, sizeof why) == 0)
			record_exec_free(&back);
		free(p);
	}
	record_exec_free(&plain);
	record_buf_free(&b);
	record_buf_free(&img);
	record_buf_free(&again);
}

/* A client of an older revision is served the records as stored, and the
 * kept page of one form never goes to a client of the other. */
static void an_older_client_gets_the_same_page_as_stored(void **state)
{
	ctx *c = *state;
	char ids[512], older[512];
	uint64_t counts[EXEC_STATUS_COUNT], counts_older[EXEC_STATUS_COUNT];
	save(c->st, "e1", "2024-12-19T10:00:00Z");
	save(c->st, "e2", "2024-12-19T10:00:01Z");
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, NULL);
	setenv("SEESTORE_PROTOCOL_REVISION", "5", 1);
	store *old = fx_open(c->home, 0);
	unsetenv("SEESTORE_PROTOCOL_REVISION");
	first_screen(old, -1, 50, older, sizeof older, counts_older, NULL);
	first_screen(old, -1, 50, older, sizeof older, counts_older, NULL);
	assert_string_equal(older, ids);
	assert_memory_equal(counts_older, counts, sizeof counts);
	save(c->st, "e3", "2024-12-19T10:00:02Z");
	first_screen(old, -1, 50, older, sizeof older, counts_older, NULL);
	assert_string_equal(older, "e3:running,e2:running,e1:running");
	first_screen(c->st, -1, 50, ids, sizeof ids, counts, NULL);
	assert_string_equal(ids, older);
	store_close(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_change_is_never_answered_from_a_kept_page, setup, teardown),
		cmocka_unit_test_setup_teardown(a_page_says_which_engines_are_attached_now, setup, teardown),
		cmocka_unit_test_setup_teardown(a_listed_record_is_freed_whole_or_with_a_field_set_anew, setup,
						teardown),
		cmocka_unit_test(the_packed_decode_keeps_what_the_plain_one_keeps),
		cmocka_unit_test(an_image_holds_the_record_and_a_damaged_one_is_refused),
		cmocka_unit_test_setup_teardown(an_older_client_gets_the_same_page_as_stored, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
