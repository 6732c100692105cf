/* test_rules.c - the status rules of each operation (model/rules.c), with no
 * store and no server: which statuses each operation accepts, what it moves
 * them to, and the one line a refusal prints. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "rules.h"
#include "store.h"

static record_exec exec_in(exec_status s)
{
	record_exec e;
	memset(&e, 0, sizeof e);
	e.id = (char *)"e1";
	e.status = s;
	return e;
}

static record_task task_in(task_status s)
{
	record_task t;
	memset(&t, 0, sizeof t);
	t.execution_id = (char *)"e1";
	t.task_id = (char *)"t1";
	t.status = s;
	return t;
}

/* The engine's moves: begin from pending, complete and fail from in
 * progress, request-input once; an ended execution refuses them all. */
static void engine_moves_start_from_the_status_the_table_names(void **state)
{
	(void)state;
	store_err err;
	task_status to;
	record_exec e = exec_in(EXEC_RUNNING);
	record_task t = task_in(TASK_PENDING);
	assert_int_equal(rules_engine_move("begin", &e, &t, &to, &err), STORE_OK);
	assert_int_equal(to, TASK_IN_PROGRESS);
	assert_int_equal(rules_engine_move("complete", &e, &t, &to, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "task 't1' of execution 'e1' is pending, not in-progress: it was changed first");
	t.status = TASK_WAITING; /* an operator paused it meanwhile */
	assert_int_equal(rules_engine_move("fail", &e, &t, &to, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "task 't1' of execution 'e1' is waiting-for-input, not in-progress: it was changed "
				     "first (paused, or waiting for input)");
	t.status = TASK_IN_PROGRESS;
	assert_int_equal(rules_engine_move("complete", &e, &t, &to, &err), STORE_OK);
	assert_int_equal(to, TASK_COMPLETE);
	assert_int_equal(rules_engine_move("fail", &e, &t, &to, &err), STORE_OK);
	assert_int_equal(to, TASK_FAILED);
	assert_int_equal(rules_engine_move("request-input", &e, &t, &to, &err), STORE_OK);
	assert_int_equal(to, TASK_WAITING);
	t.input_asked = true; /* asked, then resumed with its default */
	assert_int_equal(rules_engine_move("request-input", &e, &t, &to, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "input for task 't1' of execution 'e1' was already asked for and given (the "
				     "default): use the answer");
	t.has_input_value = true;
	assert_int_equal(rules_engine_move("request-input", &e, &t, &to, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "input for task 't1' of execution 'e1' was already asked for and given: use the answer");
	for (int s = EXEC_COMPLETE; s <= EXEC_FAILED; s++) {
		e.status = (exec_status)s;
		assert_int_equal(rules_engine_move("complete", &e, &t, &to, &err), STORE_INVALID_STATE);
		assert_string_equal(err.msg, s == EXEC_COMPLETE ? "execution 'e1' is complete: it has ended"
								: "execution 'e1' is failed: it has ended");
	}
}

static void finishing_completes_from_running_and_fails_what_has_not_ended(void **state)
{
	(void)state;
	store_err err;
	bool fails;
	assert_int_equal(rules_finish_to(EXEC_COMPLETE, &err), STORE_OK);
	assert_int_equal(rules_finish_to(EXEC_FAILED, &err), STORE_OK);
	assert_int_equal(rules_finish_to(EXEC_WAITING, &err), STORE_INVALID_INPUT);
	assert_string_equal(err.msg, "an execution finishes complete or failed, not waiting-for-input");
	record_exec e = exec_in(EXEC_WAITING);
	assert_int_equal(rules_exec_finish(&e, EXEC_COMPLETE, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "execution 'e1' is waiting-for-input, not running: it cannot complete");
	assert_int_equal(rules_exec_finish(&e, EXEC_FAILED, &err), STORE_OK);
	e.status = EXEC_FAILED;
	assert_int_equal(rules_exec_finish(&e, EXEC_FAILED, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "execution 'e1' is failed: it has ended");
	e.status = EXEC_RUNNING;
	/* which tasks a failure fails, and which refuse a completion */
	static const bool open_task[TASK_STATUS_COUNT] = { [TASK_IN_PROGRESS] = true, [TASK_WAITING] = true };
	for (int s = 0; s < TASK_STATUS_COUNT; s++) {
		record_task t = task_in((task_status)s);
		assert_int_equal(rules_finish_task(&e, EXEC_FAILED, &t, &fails, &err), STORE_OK);
		assert_int_equal(fails, open_task[s]);
		assert_int_equal(rules_finish_task(&e, EXEC_COMPLETE, &t, &fails, &err),
				 open_task[s] ? STORE_INVALID_STATE : STORE_OK);
		assert_false(fails);
	}
	record_task t = task_in(TASK_WAITING);
	rules_finish_task(&e, EXEC_COMPLETE, &t, &fails, &err);
	assert_string_equal(err.msg, "execution 'e1' cannot complete: task 't1' is waiting-for-input");
}

static void pausing_takes_a_pending_or_running_task_of_a_live_execution(void **state)
{
	(void)state;
	store_err err;
	task_status to;
	static const bool pausable[TASK_STATUS_COUNT] = { [TASK_PENDING] = true, [TASK_IN_PROGRESS] = true };
	record_exec e = exec_in(EXEC_RUNNING);
	for (int s = 0; s < TASK_STATUS_COUNT; s++) {
		record_task t = task_in((task_status)s);
		assert_int_equal(rules_pause(&e, &t, &to, &err), pausable[s] ? STORE_OK : STORE_INVALID_STATE);
		if (pausable[s])
			assert_int_equal(to, TASK_WAITING);
	}
	record_task t = task_in(TASK_COMPLETE);
	rules_pause(&e, &t, &to, &err);
	assert_string_equal(err.msg, "task 't1' cannot be paused (status: complete)");
	e.status = EXEC_COMPLETE;
	t.status = TASK_PENDING;
	assert_int_equal(rules_pause(&e, &t, &to, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "execution 'e1' cannot be paused (status: complete)");
}

static void a_task_resumes_only_while_it_waits(void **state)
{
	(void)state;
	store_err err;
	task_status to;
	for (int s = 0; s < TASK_STATUS_COUNT; s++) {
		record_task t = task_in((task_status)s);
		assert_int_equal(rules_resume_task(&t, &to, &err), s == TASK_WAITING ? STORE_OK : STORE_INVALID_STATE);
		if (s == TASK_WAITING)
			assert_int_equal(to, TASK_IN_PROGRESS);
	}
	record_task t = task_in(TASK_PENDING);
	rules_resume_task(&t, &to, &err);
	assert_string_equal(err.msg, "task 't1' is not waiting for input (status: pending)");
	t.status = TASK_IN_PROGRESS;
	rules_resume_task(&t, &to, &err);
	assert_string_equal(err.msg, "task 't1' is not waiting for input (status: in-progress): someone acted first");
	t.status = TASK_FAILED;
	t.input_deadline = (char *)"2026-01-01T00:00:00Z";
	rules_resume_task(&t, &to, &err);
	assert_string_equal(err.msg, "task 't1' is not waiting for input (status: failed): someone, or its deadline's "
				     "timer, acted first");
}

static void a_workflow_resumes_when_every_waiting_task_has_an_answer(void **state)
{
	(void)state;
	store_err err;
	record_exec e = exec_in(EXEC_RUNNING);
	assert_int_equal(rules_resume_workflow(&e, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "execution 'e1' is not waiting for input (status: running)");
	e.status = EXEC_WAITING;
	assert_int_equal(rules_resume_workflow(&e, &err), STORE_OK);
	rules_tally tl = { 0 };
	assert_int_equal(rules_resume_workflow_tasks(&e, &tl, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "no tasks waiting for input in execution 'e1'");
	record_task a = task_in(TASK_WAITING), b = task_in(TASK_WAITING), done = task_in(TASK_COMPLETE);
	a.task_id = (char *)"ask";
	a.has_input = a.input_required = true;
	rules_tally_add(&tl, &done);
	rules_tally_add(&tl, &b); /* waits with nothing to answer */
	assert_int_equal(rules_resume_workflow_tasks(&e, &tl, &err), STORE_OK);
	rules_tally_add(&tl, &a);
	assert_int_equal(tl.waiting, 2);
	assert_int_equal(rules_resume_workflow_tasks(&e, &tl, &err), STORE_INVALID_INPUT);
	assert_string_equal(err.msg, "execution 'e1': task 'ask' requires an answer and has no default: resume it with "
				     "a value");
	b.task_id = (char *)"other";
	b.has_input = b.input_required = true;
	rules_tally_add(&tl, &b);
	rules_resume_workflow_tasks(&e, &tl, &err);
	assert_string_equal(err.msg, "execution 'e1': tasks 'ask', 'other' require an answer and have no default: "
				     "resume each with a value");
}

static void reject_and_cancel_take_what_the_table_says(void **state)
{
	(void)state;
	store_err err;
	record_exec e = exec_in(EXEC_WAITING);
	for (int s = 0; s < TASK_STATUS_COUNT; s++) {
		record_task t = task_in((task_status)s);
		assert_int_equal(rules_reject_task(&t, &err), s == TASK_WAITING ? STORE_OK : STORE_INVALID_STATE);
		bool fails, answers;
		rules_cancel_task(&t, &fails, &answers);
		assert_int_equal(fails, s != TASK_COMPLETE && s != TASK_FAILED); /* what has not ended */
		assert_int_equal(answers, s == TASK_WAITING);                   /* only one who may answer it */
	}
	record_task t = task_in(TASK_IN_PROGRESS);
	rules_reject_task(&t, &err);
	assert_string_equal(err.msg, "task 't1' is not waiting for input (status: in-progress): only a waiting task can "
				     "be rejected");
	rules_tally tl = { 0 };
	e.status = EXEC_RUNNING;
	assert_int_equal(rules_reject_all(&e, &tl, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "execution 'e1' is not waiting for input (status: running): nothing to reject");
	t.status = TASK_WAITING;
	rules_tally_add(&tl, &t);
	assert_int_equal(rules_reject_all(&e, &tl, &err), STORE_OK);
	assert_int_equal(rules_cancel(&e, &err), STORE_OK);
	e.status = EXEC_COMPLETE;
	assert_int_equal(rules_cancel(&e, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "execution 'e1' is complete: it has ended");
}

static void respondents_change_until_the_task_ends(void **state)
{
	(void)state;
	store_err err;
	record_exec e = exec_in(EXEC_RUNNING);
	for (int s = 0; s < TASK_STATUS_COUNT; s++) {
		record_task t = task_in((task_status)s);
		assert_int_equal(rules_respondents(&e, &t, &err),
				 s == TASK_COMPLETE || s == TASK_FAILED ? STORE_INVALID_STATE : STORE_OK);
	}
	record_task t = task_in(TASK_FAILED);
	rules_respondents(&e, &t, &err);
	assert_string_equal(err.msg, "task 't1' of execution 'e1' has ended (status: failed): who may answer it no longer "
				     "matters");
}

static void deadlines_and_their_policies(void **state)
{
	(void)state;
	store_err err;
	record_exec e = exec_in(EXEC_WAITING);
	record_task t = task_in(TASK_IN_PROGRESS);
	assert_int_equal(rules_deadline_set(&e, &t, &err), STORE_INVALID_STATE);
	assert_string_equal(err.msg, "task 't1' of execution 'e1' is not waiting for input (status: in-progress): only a "
				     "waiting task can have a deadline");
	t.status = TASK_WAITING;
	assert_int_equal(rules_deadline_set(&e, &t, &err), STORE_OK);
	/* default needs a default; skip needs an answer that is not required */
	t.has_input = t.input_required = true;
	assert_int_equal(rules_deadline_policy(&t, TIMEOUT_FAIL, &err), STORE_OK);
	assert_int_equal(rules_deadline_policy(&t, TIMEOUT_DEFAULT, &err), STORE_INVALID_INPUT);
	assert_string_equal(err.msg, "task 't1' has no default: on-timeout 'default' needs one (use fail or skip)");
	assert_int_equal(rules_deadline_policy(&t, TIMEOUT_SKIP, &err), STORE_INVALID_INPUT);
	assert_string_equal(err.msg, "task 't1' requires an answer: on-timeout 'skip' would go on without one (use fail, "
				     "or default with a default)");
	t.has_input_default = true;
	assert_int_equal(rules_deadline_policy(&t, TIMEOUT_DEFAULT, &err), STORE_OK);
	assert_int_equal(rules_deadline_policy(&t, (record_on_timeout)7, &err), STORE_INVALID_INPUT);
	assert_string_equal(err.msg, "unknown on-timeout policy 7 (fail, default or skip)");
	/* what the timer does when the deadline passes */
	int64_t us;
	t.input_deadline = (char *)"2026-01-01T00:00:00Z";
	assert_true(record_timestamp_parse(t.input_deadline, &us));
	t.on_timeout = TIMEOUT_DEFAULT;
	assert_int_equal(rules_timeout_action(&t, us), RULES_TIMEOUT_DEFAULT);
	assert_int_equal(rules_timeout_action(&t, us + 1), RULES_TIMEOUT_STALE); /* the deadline moved */
	t.on_timeout = TIMEOUT_SKIP;
	assert_int_equal(rules_timeout_action(&t, us), RULES_TIMEOUT_FAIL); /* required: never skipped */
	t.input_required = false;
	assert_int_equal(rules_timeout_action(&t, us), RULES_TIMEOUT_SKIP);
	t.on_timeout = TIMEOUT_FAIL;
	assert_int_equal(rules_timeout_action(&t, us), RULES_TIMEOUT_FAIL);
	t.status = TASK_IN_PROGRESS; /* answered first */
	assert_int_equal(rules_timeout_action(&t, us), RULES_TIMEOUT_STALE);
}

static void an_execution_waits_on_the_task_it_is_settled_on(void **state)
{
	(void)state;
	record_exec e = exec_in(EXEC_RUNNING);
	assert_int_equal(rules_exec_settle(&e, "t2"), 0);
	assert_int_equal(e.status, EXEC_WAITING);
	assert_true(e.is_paused);
	assert_string_equal(e.paused_task_id, "t2");
	char why[200];
	assert_int_equal(store_exec_waiting_check(&e, 1, true, why, sizeof why), 0);
	assert_int_equal(rules_exec_settle(&e, NULL), 0);
	assert_int_equal(e.status, EXEC_RUNNING);
	assert_false(e.is_paused);
	assert_null(e.paused_task_id);
	assert_int_equal(store_exec_waiting_check(&e, 0, false, why, sizeof why), 0);
	assert_true(rules_exec_live(&e));
	e.status = EXEC_COMPLETE;
	assert_false(rules_exec_live(&e));
}

/* Which events notify hooks, and as what: a pause asks nothing of anyone,
 * so it is "paused", not "waiting"; an answer or a start notifies nobody. */
static void events_notify_as_the_table_says(void **state)
{
	(void)state;
	assert_string_equal(rules_event_notice("request-input"), "waiting");
	assert_string_equal(rules_event_notice("pause"), "paused");
	assert_string_equal(rules_event_notice("timeout"), "timeout");
	assert_string_equal(rules_event_notice("reject"), "rejected");
	assert_string_equal(rules_event_notice("cancel"), "cancelled");
	assert_null(rules_event_notice("resume-task"));
	assert_null(rules_event_notice("start"));
	assert_null(rules_event_notice(NULL));
	/* every notification an event gives is one a hook may name */
	size_t n = 0;
	for (; rules_notices[n]; n++) {
		static const char *const actions[] = { "request-input", "pause", "timeout", "reject", "cancel" };
		bool given = false;
		for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
			given |= strcmp(rules_event_notice(actions[i]), rules_notices[n]) == 0;
		assert_true(given);
	}
	assert_int_equal(n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engine_moves_start_from_the_status_the_table_names),
		cmocka_unit_test(finishing_completes_from_running_and_fails_what_has_not_ended),
		cmocka_unit_test(pausing_takes_a_pending_or_running_task_of_a_live_execution),
		cmocka_unit_test(a_task_resumes_only_while_it_waits),
		cmocka_unit_test(a_workflow_resumes_when_every_waiting_task_has_an_answer),
		cmocka_unit_test(reject_and_cancel_take_what_the_table_says),
		cmocka_unit_test(respondents_change_until_the_task_ends),
		cmocka_unit_test(deadlines_and_their_policies),
		cmocka_unit_test(an_execution_waits_on_the_task_it_is_settled_on),
		cmocka_unit_test(events_notify_as_the_table_says),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
