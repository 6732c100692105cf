/* test_repl_lag.c - a replica's lag in time as its master measures it
 * (store/model/repl_lag.c): the age of the oldest change the replica
 * lacks, by the master's clock alone. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "repl_lag.h"

static void a_master_that_noted_nothing_cannot_say(void **state)
{
	(void)state;
	repl_lag l = { 0 };
	uint64_t mine = 9;
	assert_true(repl_lag_since(&l, 1000, 5, &mine) == REPL_LAG_UNKNOWN);
	assert_int_equal(mine, 0);
}

static void the_lag_is_the_age_of_the_oldest_change_the_replica_lacks(void **state)
{
	(void)state;
	repl_lag l = { 0 };
	uint64_t mine;
	repl_lag_note(&l, 1000, 5); /* the master took over at generation 5 */
	repl_lag_note(&l, 1100, 6);
	repl_lag_note(&l, 1100, 6); /* no move: nothing kept */
	repl_lag_note(&l, 1500, 9);
	assert_int_equal(l.n, 3);
	assert_int_equal(repl_lag_since(&l, 2000, 9, &mine), 0); /* in step */
	assert_int_equal(mine, 9);
	assert_int_equal(repl_lag_since(&l, 2000, 12, &mine), 0); /* ahead of what was noted yet */
	assert_int_equal(repl_lag_since(&l, 2000, 5, &mine), 900); /* lacks 6, made at 1100 */
	assert_int_equal(repl_lag_since(&l, 2000, 6, &mine), 500); /* lacks 7-9, made by 1500 */
	assert_int_equal(repl_lag_since(&l, 2000, 8, &mine), 500);
	/* older than anything noted: at least since the oldest */
	assert_int_equal(repl_lag_since(&l, 2000, 2, &mine), 1000);
}

static void the_ring_keeps_the_newest_moves(void **state)
{
	(void)state;
	repl_lag *l = calloc(1, sizeof *l);
	uint64_t mine;
	for (uint64_t g = 1; g <= REPL_LAG_SEEN + 100; g++)
		repl_lag_note(l, (int64_t)g * 10, g);
	assert_int_equal(l->n, REPL_LAG_SEEN);
	int64_t now = (REPL_LAG_SEEN + 100) * 10 + 5;
	assert_int_equal(repl_lag_since(l, now, REPL_LAG_SEEN + 99, &mine), 5);
	assert_int_equal(mine, REPL_LAG_SEEN + 100);
	/* generation 101 is the oldest kept (at 1010): a replica at 3 lags at least since then */
	assert_int_equal(repl_lag_since(l, now, 3, &mine), (uint64_t)(now - 1010));
	free(l);
}

static void a_generation_going_back_starts_anew(void **state)
{
	(void)state;
	repl_lag l = { 0 };
	uint64_t mine;
	repl_lag_note(&l, 100, 50);
	repl_lag_note(&l, 200, 40); /* a rollback */
	assert_int_equal(l.n, 1);
	assert_int_equal(repl_lag_since(&l, 300, 39, &mine), 100);
	repl_lag_reset(&l);
	assert_true(repl_lag_since(&l, 300, 39, &mine) == REPL_LAG_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_master_that_noted_nothing_cannot_say),
		cmocka_unit_test(the_lag_is_the_age_of_the_oldest_change_the_replica_lacks),
		cmocka_unit_test(the_ring_keeps_the_newest_moves),
		cmocka_unit_test(a_generation_going_back_starts_anew),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
