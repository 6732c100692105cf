/* test_conf.c - the config file: lookup order, every key, every error. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "conf.h"
#include "datafile.h"
#include "text.h"
#include "fixtures.h"

static char *dir;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	dir = fx_tmpdir();
	unsetenv("SEETOP_CONFIG");
	unsetenv("SEETOP_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_rmtree(dir);
	free(dir);
	return 0;
}

static void defaults_come_from_one_table(void **state)
{
	(void)state;
	seetop_conf c;
	char err[512];
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, NULL, err, sizeof err), 0);
	/* once installed, the system's config (which says the defaults) is
	 * found last; before, none is */
	char sys[4200];
	snprintf(sys, sizeof sys, "%s/seetop/config.yaml", SYSCONFDIR);
	if (access(sys, F_OK) == 0)
		assert_string_equal(c.path, sys);
	else
		assert_null(c.path);
	assert_int_equal(c.refresh_ms, 1000);
	assert_true(c.confirm);
	assert_false(c.read_only);
	char *home = conf_home(&c, NULL);
	char want[4200];
	snprintf(want, sizeof want, "%s/.local/state/seetop", dir);
	assert_string_equal(home, want);
	free(home);
	conf_free(&c);
}

static void lookup_order_is_flag_env_xdg_home(void **state)
{
	(void)state;
	char p[4200], err[512];
	seetop_conf c;
	snprintf(p, sizeof p, "%s/.config", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/.config/seetop", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/.config/seetop/config.yaml", dir);
	write_file(p, "refresh_ms: 200\n");
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, NULL, err, sizeof err), 0);
	assert_int_equal(c.refresh_ms, 200);
	conf_free(&c);

	snprintf(p, sizeof p, "%s/xdg", dir);
	mkdir(p, 0700);
	setenv("XDG_CONFIG_HOME", p, 1);
	snprintf(p, sizeof p, "%s/xdg/seetop", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/xdg/seetop/config.yaml", dir);
	write_file(p, "refresh_ms: 300\n");
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, NULL, err, sizeof err), 0);
	assert_int_equal(c.refresh_ms, 300);
	conf_free(&c);

	snprintf(p, sizeof p, "%s/env.yaml", dir);
	write_file(p, "refresh_ms: 400\n");
	setenv("SEETOP_CONFIG", p, 1);
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, NULL, err, sizeof err), 0);
	assert_int_equal(c.refresh_ms, 400);
	conf_free(&c);

	snprintf(p, sizeof p, "%s/flag.yaml", dir);
	write_file(p, "refresh_ms: 500\nhome: ~/stores/a\nactor: ops\nread_only: true\n"
		      "colors: {waiting-for-input: bold magenta}\n");
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, p, err, sizeof err), 0);
	assert_int_equal(c.refresh_ms, 500);
	assert_true(c.read_only);
	assert_int_equal(c.color[COLOR_WAITING].fg, 5);
	assert_true(c.color[COLOR_WAITING].bold);
	char *home = conf_home(&c, NULL), want[4200];
	snprintf(want, sizeof want, "%s/stores/a", dir);
	assert_string_equal(home, want);
	free(home);
	home = conf_home(&c, "/elsewhere");
	assert_string_equal(home, "/elsewhere");
	free(home);
	setenv("SEETOP_HOME", "/from-env", 1);
	home = conf_home(&c, NULL);
	assert_string_equal(home, "/from-env");
	free(home);
	char *actor = conf_actor(&c, NULL);
	assert_string_equal(actor, "ops");
	free(actor);
	conf_free(&c);
}

static void check_error(const char *text, const char *want)
{
	char p[4200], err[1100], full[4400];
	seetop_conf c;
	snprintf(p, sizeof p, "%s/bad.yaml", dir);
	write_file(p, text);
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, p, err, sizeof err), -1);
	snprintf(full, sizeof full, "%s:%s", p, want);
	assert_string_equal(err, full);
	conf_free(&c);
}

static void every_error_names_file_line_and_column(void **state)
{
	(void)state;
	check_error("refresh: 10\n", "1:1: unknown key 'refresh'");
	check_error("refresh_ms: 10\n", "1:13: 'refresh_ms' must be a whole number from 50 to 60000");
	check_error("refresh_ms: fast\n", "1:13: 'refresh_ms' must be a whole number from 50 to 60000");
	check_error("confirm: sometimes\n", "1:10: 'confirm' must be true or false");
	check_error("colors:\n  running: pink\n",
		    "2:12: unknown colour 'pink' (black, red, green, yellow, blue, magenta, cyan, white or default, "
		    "optionally after \"bold\")");
	check_error("colors:\n  sleeping: red\n", "2:3: unknown status 'sleeping' in colors");
	check_error("confirm: true\nconfirm: false\n", "2:1: duplicate key 'confirm'");
	check_error("- a\n- b\n", "1:1: the config must be a mapping of keys to values");
	check_error("home: [a]\n", "1:7: 'home' must be a string");
	check_error("a: b: c\n", "1:5: mapping values are not allowed in this context");
	char err[512];
	seetop_conf c;
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, "/nonexistent/seetop.yaml", err, sizeof err), -1);
	assert_string_equal(err, "/nonexistent/seetop.yaml: No such file or directory");
	conf_free(&c);
}

/* fit: what text_fit makes of s in cols columns (padded), and its width */
static void fit_is(const char *s, int cols, bool ascii, const char *want, int want_cols)
{
	char out[256];
	int used;
	text_fit(out, sizeof out, s, strlen(s), cols, true, ascii, &used);
	assert_string_equal(out, want);
	assert_int_equal(used, want_cols);
	assert_int_equal(text_width(out, strlen(out)), want_cols);
}

static void text_is_laid_out_by_display_width(void **state)
{
	(void)state;
	/* East Asian wide: two columns each; a cut never splits one */
	assert_int_equal(text_width("中文", 6), 4);
	fit_is("中文名字", 8, false, "中文名字", 8);
	fit_is("中文名字", 7, false, "中文\xe5\x90\x8d\xe2\x80\xa6", 7);
	fit_is("中文名字", 6, false, "中文\xe2\x80\xa6 ", 6);
	/* emoji are wide too */
	assert_int_equal(text_width("\xf0\x9f\x98\x80", 4), 2);
	fit_is("ok\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 5, false, "ok\xf0\x9f\x98\x80\xe2\x80\xa6", 5);
	/* combining marks and zero-width characters take no column */
	assert_int_equal(text_width("e\xcc\x81", 3), 1);
	assert_int_equal(text_width("a\xe2\x80\x8b" "b", 5), 2);
	fit_is("e\xcc\x81" "e\xcc\x81", 4, false, "e\xcc\x81" "e\xcc\x81  ", 4);
	/* ASCII: padded, or cut with an ellipsis, or '~' outside UTF-8 */
	fit_is("abc", 5, false, "abc  ", 5);
	fit_is("abcdef", 4, false, "abc\xe2\x80\xa6", 4);
	fit_is("abcdef", 4, true, "abc~", 4);
	/* control bytes are escaped before they are measured */
	fit_is("a\x1b[31mb", 20, false, "a\\e[31mb            ", 20);
	fit_is("a\x1b[31mb", 3, false, "a\\\xe2\x80\xa6", 3);
}

static void json_of(const char *s, size_t len, const char *want)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	text_json_fputs(f, s, len);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
}

static void json_strings_follow_one_rule(void **state)
{
	(void)state;
	/* C1 controls and BiDi overrides are escaped, as ESC is */
	json_of("a\x1b" "b", 3, "\"a\\u001bb\"");
	json_of("\xc2\x9b" "2J", 4, "\"\\u009b2J\"");
	json_of("x\xe2\x80\xae" "y", 5, "\"x\\u202ey\"");
	json_of("caf\xc3\xa9 \xe4\xb8\xad", 9, "\"caf\xc3\xa9 \xe4\xb8\xad\"");
	/* bytes that are not UTF-8: base64 in an object, not a lone surrogate */
	json_of("bad \xff", 5, "{\"base64\":\"YmFkIP8=\"}");
}

/* the seconds it takes to read a data file of n executions (one task each)
 * whose ids all differ, as an import reads it: the best of `rounds` */
static double read_seconds(size_t n, int rounds)
{
	char p[4200], err[1100];
	snprintf(p, sizeof p, "%s/many.yaml", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("executions:\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "- {id: e%zu, workflow_name: w, start_timestamp: 2025-06-01T00:00:00Z, status: running, tasks: [{task_id: t, task_name: t, status: pending}]}\n",
			i);
	fclose(f);
	double best = 1e9;
	for (int round = 0; round < rounds; round++) {
		datafile *d = NULL;
		const char *paths[] = { p };
		assert_int_equal(datafile_open(&d, paths, 1, err, sizeof err), 0);
		store_source src = datafile_source(d);
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		size_t got = 0;
		for (;;) {
			store_item it;
			char why[512] = "";
			memset(&it, 0, sizeof it);
			int rc = src.next(src.ctx, &it, why, sizeof why);
			store_item_free(&it);
			assert_int_not_equal(rc, -1);
			if (rc == 0)
				break;
			got++;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		assert_int_equal(got, n);
		datafile_close(d);
		double t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (t < best)
			best = t;
	}
	return best;
}

/* An import of many executions takes time in proportion to their number:
 * the check for a duplicate id used to compare each id with every one
 * before it (a 220 MB export took over 13 minutes to import).  16 times
 * the executions must take well under 16 squared times as long (64: about
 * 12 times in a release build, 25 under AddressSanitizer; 109 before). */
static void reading_many_executions_takes_linear_time(void **state)
{
	(void)state;
	double small = read_seconds(2500, 3), large = read_seconds(40000, 1);
	print_message("read 2,500 executions in %.4f s, 40,000 in %.4f s: %.1f times\n", small, large, large / small);
	assert_true(large / small < 64.0);
}

/* A duplicate id is still refused, with where it is. */
static void a_duplicate_execution_or_task_id_is_refused(void **state)
{
	(void)state;
	char p[4200], err[1100];
	const char *cases[][2] = {
		{ "executions:\n- {id: a, workflow_name: w, start_timestamp: 2025-06-01T00:00:00Z, status: running}\n- {id: b, workflow_name: w, start_timestamp: 2025-06-01T00:00:00Z, status: running}\n"
		  "- {id: a, workflow_name: w, start_timestamp: 2025-06-01T00:00:00Z, status: running}\n", ":4:8: duplicate execution id 'a'" },
		{ "executions:\n- {id: a, workflow_name: w, start_timestamp: 2025-06-01T00:00:00Z, status: running, tasks: [{task_id: t, task_name: t, status: pending},\n"
		  "  {task_id: u, task_name: u, status: pending}, {task_id: t, task_name: t, status: pending}]}\n",
		  ":3:48: duplicate task id 't' in execution 'a'" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		snprintf(p, sizeof p, "%s/dup.yaml", dir);
		write_file(p, cases[k][0]);
		datafile *d = NULL;
		const char *paths[] = { p };
		assert_int_equal(datafile_open(&d, paths, 1, err, sizeof err), 0);
		store_source src = datafile_source(d);
		int rc;
		do {
			store_item it;
			char why[1100] = "";
			memset(&it, 0, sizeof it);
			rc = src.next(src.ctx, &it, why, sizeof why);
			store_item_free(&it);
			if (rc < 0) {
				char want[4400];
				snprintf(want, sizeof want, "%s%s", p, cases[k][1]);
				assert_string_equal(why, want);
			}
		} while (rc == 1);
		assert_int_equal(rc, -1);
		datafile_close(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(defaults_come_from_one_table, setup, teardown),
		cmocka_unit_test_setup_teardown(lookup_order_is_flag_env_xdg_home, setup, teardown),
		cmocka_unit_test_setup_teardown(every_error_names_file_line_and_column, setup, teardown),
		cmocka_unit_test(text_is_laid_out_by_display_width),
		cmocka_unit_test(json_strings_follow_one_rule),
		cmocka_unit_test_setup_teardown(reading_many_executions_takes_linear_time, setup, teardown),
		cmocka_unit_test_setup_teardown(a_duplicate_execution_or_task_id_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
