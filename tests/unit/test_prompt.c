/* test_prompt.c - the prompt's line editor and question, without a terminal. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prompt.h"

static void type(prompt *p, const char *s)
{
	for (; *s; s++)
		prompt_key(p, (unsigned char)*s);
}

static void a_default_is_replaced_by_the_first_key(void **state)
{
	(void)state;
	prompt p = { 0 };
	assert_true(prompt_open_line(&p, "How many? ", "8", 100));
	assert_true(p.selected);
	type(&p, "12");
	assert_string_equal(p.buf, "12");
	assert_int_equal(prompt_key(&p, PROMPT_KEY_ENTER), PROMPT_DONE);
	prompt_close(&p);
}

static void a_default_is_kept_by_enter_and_edited_after_a_move(void **state)
{
	(void)state;
	prompt p = { 0 };
	assert_true(prompt_open_line(&p, "", "release-team", 100));
	prompt_key(&p, PROMPT_KEY_END);
	type(&p, "-2");
	assert_string_equal(p.buf, "release-team-2");
	assert_int_equal(prompt_key(&p, '\r'), PROMPT_DONE);
	prompt_close(&p);
}

static void editing_keys_work_on_whole_characters(void **state)
{
	(void)state;
	prompt p = { 0 };
	assert_true(prompt_open_line(&p, "", NULL, 100));
	type(&p, "ab\xc3\xa9"); /* abé */
	prompt_key(&p, PROMPT_KEY_BACKSPACE);
	assert_string_equal(p.buf, "ab");
	type(&p, " cd ef");
	prompt_key(&p, 23); /* Ctrl-W: the word before */
	assert_string_equal(p.buf, "ab cd ");
	prompt_key(&p, PROMPT_KEY_HOME);
	prompt_key(&p, PROMPT_KEY_DELETE);
	assert_string_equal(p.buf, "b cd ");
	prompt_key(&p, PROMPT_KEY_RIGHT);
	prompt_key(&p, 21); /* Ctrl-U: to the start */
	assert_string_equal(p.buf, " cd ");
	assert_int_equal(p.pos, 0);
	prompt_close(&p);
}

static void a_line_holds_64_kib_and_not_a_byte_more(void **state)
{
	(void)state;
	prompt p = { 0 };
	size_t max = 64u << 10;
	assert_true(prompt_open_line(&p, "", NULL, max));
	for (size_t i = 0; i < max + 10; i++)
		prompt_key(&p, 'a' + (int)(i % 26));
	assert_int_equal(p.len, max);
	assert_int_equal(strlen(p.buf), max);
	assert_int_equal(p.buf[max - 1], 'a' + (int)((max - 1) % 26));
	prompt_close(&p);
}

static void esc_cancels_and_a_question_takes_only_y(void **state)
{
	(void)state;
	prompt p = { 0 };
	assert_true(prompt_open_line(&p, "", "x", 10));
	assert_int_equal(prompt_key(&p, PROMPT_KEY_ESC), PROMPT_CANCELLED);
	prompt_open_question(&p, "Resume? [y/N] ");
	assert_int_equal(prompt_key(&p, PROMPT_KEY_ENTER), PROMPT_CANCELLED);
	prompt_open_question(&p, "Resume? [y/N] ");
	assert_int_equal(prompt_key(&p, 'y'), PROMPT_DONE);
	prompt_close(&p);
	assert_false(prompt_is_open(&p));
}

static void a_stale_line_swallows_typing_until_enter_or_esc(void **state)
{
	(void)state;
	prompt p = { 0 };
	assert_true(prompt_open_line(&p, "", NULL, 100));
	type(&p, "app");
	prompt_stale(&p, "task 'approve' is not waiting for input");
	/* the rest of a word being typed is not taken as commands */
	assert_int_equal(prompt_key(&p, 'x'), PROMPT_STALE);
	assert_int_equal(prompt_key(&p, 'q'), PROMPT_STALE);
	assert_string_equal(p.buf, "app");
	assert_int_equal(prompt_key(&p, PROMPT_KEY_ENTER), PROMPT_CANCELLED);
	/* a stale question closes with any key */
	prompt_open_question(&p, "Resume? [y/N] ");
	prompt_stale(&p, "gone");
	assert_int_equal(prompt_key(&p, 'y'), PROMPT_CANCELLED);
	prompt_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_default_is_replaced_by_the_first_key),
		cmocka_unit_test(a_default_is_kept_by_enter_and_edited_after_a_move),
		cmocka_unit_test(editing_keys_work_on_whole_characters),
		cmocka_unit_test(a_line_holds_64_kib_and_not_a_byte_more),
		cmocka_unit_test(esc_cancels_and_a_question_takes_only_y),
		cmocka_unit_test(a_stale_line_swallows_typing_until_enter_or_esc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
