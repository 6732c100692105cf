/* cmd.c - the commands of seectl. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bulk.h"
#include "cmd_int.h"
#include "datafile.h"
#include "gen.h"
#include "text.h"

int cmd_fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("seectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cmd_exit_code(store_code c)
{
	return exit_for_store(c);
}

int cmd_store_fail(const store_err *err)
{
	return cmd_fail(cmd_exit_code(err->code), "%s", err->msg);
}

int cmd_open_store(cli *c)
{
	if (c->st)
		return 0;
	store_err err;
	store_code rc = store_open(c->home, c->open_flags, &c->st, &err);
	if (rc == STORE_NOT_FOUND && !(c->open_flags & STORE_OPEN_CREATE))
		return cmd_fail(cmd_exit_code(rc), "%s: create one with seectl import FILE, seectl gen --executions N, or "
						    "seectl --create COMMAND", err.msg);
	if (rc)
		return cmd_store_fail(&err);
	store_set_actor(c->st, c->actor);
	return 0;
}

/* What a refused option value should have been, set by the handler that refused it. */
static const char *value_hint;

void cmd_hint(const char *what)
{
	value_hint = what;
}

/* The long name of an option, from its value. */
static const char *opt_name(const struct option *opts, int val)
{
	for (size_t i = 0; opts[i].name; i++)
		if (opts[i].val == val)
			return opts[i].name;
	return "?";
}

/* Parses a command's own options; returns -1 after printing a usage error. */
int cmd_parse_opts(const cmd *self, int argc, char **argv, const struct option *opts, int (*on)(int, const char *, void *),
		      void *ctx)
{
	return cmd_parse_opts_short(self, argc, argv, "", opts, on, ctx);
}

/* What hides the dash of a negative value from getopt (a byte no option starts with). */
#define NEGATIVE_MARK '\x01'

int cmd_parse_opts_short(const cmd *self, int argc, char **argv, const char *shorts_extra, const struct option *opts,
			 int (*on)(int, const char *, void *), void *ctx)
{
	optind = 0; /* glibc: 0 re-initialises getopt, so options may follow arguments */
	opterr = 0;
	int o, rc = 0;
	char shorts[32];
	snprintf(shorts, sizeof shorts, ":h%s", shorts_extra);
	/* A word such as -5m or -1 is a value (a negative duration or count),
	 * which its command refuses by name: getopt would take it for options,
	 * so its dash is hidden from getopt, and given back when getopt hands
	 * it over as an option's value, or at the end.  "--" still ends the
	 * options as usual. */
	char *negative[16];
	size_t n_negative = 0;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0 && n_negative < 16; i++)
		if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9') {
			argv[i][0] = NEGATIVE_MARK;
			negative[n_negative++] = argv[i];
		}
	while ((o = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		if (optarg && optarg[0] == NEGATIVE_MARK)
			optarg[0] = '-';
		if (o == 'h') {
			cmd_print_help(self);
			exit(EXIT_DONE);
		}
		if (o == ':') {
			cmd_fail(EXIT_USAGE, "%s: option --%s needs a value (see seectl help %s)", self->name,
				 opt_name(opts, optopt), self->name);
			rc = -1;
			break;
		}
		if (o == '?') {
			/* within a word of short options, optind has not moved past it */
			const char *word = argv[optind - 1] ? argv[optind - 1] : "";
			char letter[3] = { '-', (char)optopt, '\0' };
			cmd_fail(EXIT_USAGE, "%s: unknown option '%s' (see seectl help %s)", self->name,
				 word[0] != '-' && optopt > ' ' && optopt < 127 ? letter : word, self->name);
			rc = -1;
			break;
		}
		value_hint = NULL;
		if (on(o, optarg, ctx) < 0) {
			cmd_fail(EXIT_USAGE, "%s: bad value '%s' for --%s: %s", self->name, optarg ? optarg : "",
				 opt_name(opts, o), value_hint ? value_hint : "see seectl help");
			rc = -1;
			break;
		}
	}
	for (size_t i = 0; i < n_negative; i++)
		negative[i][0] = '-';
	return rc;
}

int cmd_parse_count(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	cmd_hint("a positive integer (0: no limit)");
	if (errno || *end || end == s || v < 0 || s[0] == '+' || s[0] == ' ')
		return -1;
	*out = (size_t)v;
	return 0;
}

int cmd_no_opts(int o, const char *arg, void *ctx)
{
	(void)o;
	(void)arg;
	(void)ctx;
	return -1;
}

/* ---- text output ---- */

static void put_esc(const char *s, size_t len)
{
	text_escape_fputs(stdout, s, len);
}

void cmd_put_escs(const char *s)
{
	if (s)
		put_esc(s, strlen(s));
	else
		fputs("-", stdout);
}

/* Whether columns are cut to their width: only on a terminal, and not with
 * --wide, so that a pipe or a file always gets whole ids (ps -w). */
static bool cut_cols = true;

void cmd_set_wide(bool wide)
{
	cut_cols = !wide;
}

/* An escaped string in a column of `width` display columns, padded when
 * shorter, then two spaces; cut with an ellipsis when longer, unless cutting
 * is off: then the whole string pushes the rest of the row right. */
static void put_col(const char *s, size_t len, int width)
{
	if (cut_cols) {
		char buf[1024];
		text_fit(buf, sizeof buf, s, len, width, true, !text_locale_utf8(), NULL);
		fputs(buf, stdout);
	} else {
		size_t cap = len * 4 + 1; /* \xNN is the longest escape of a byte */
		char *buf = malloc(cap);
		if (!buf) {
			put_esc(s, len);
			fputs("  ", stdout);
			return;
		}
		size_t n = text_escape(buf, cap, s, len);
		fputs(buf, stdout);
		for (int w = text_width(buf, n); w < width; w++)
			fputc(' ', stdout);
		free(buf);
	}
	fputs("  ", stdout);
}

/* A time to the second ("2026-11-27T07:32:35Z"), into buf; "-" for none. */
static const char *time_to_second(const char *ts, char *buf, size_t cap)
{
	const char *dot = ts ? strchr(ts, '.') : NULL;
	if (ts && dot && dot - ts < 30 && ts[strlen(ts) - 1] == 'Z') {
		snprintf(buf, cap, "%.*sZ", (int)(dot - ts), ts);
		return buf;
	}
	return ts && *ts ? ts : "-";
}

/* A time as a column shows it: to the second. */
static void put_time_col(const char *ts, int width)
{
	char buf[40];
	ts = time_to_second(ts, buf, sizeof buf);
	put_col(ts, strlen(ts), width);
}

static void put_time(const char *ts)
{
	char buf[40];
	cmd_put_escs(time_to_second(ts, buf, sizeof buf));
}


/* ---- fitting a terminal ---- */

/* The width of the terminal that cut columns fit (0 when they are not cut:
 * into a pipe, or with -w). */
static int term_width(void)
{
	if (!cut_cols)
		return 0;
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *env = getenv("COLUMNS");
	int cols = env ? atoi(env) : 0;
	return cols > 0 ? cols : 80;
}

/* Ids are cut on a terminal at these widths, and never narrower (-w keeps
 * them whole). */
#define ID_COL 24
#define TASK_ID_COL 16
/* A free-text column (a workflow's or a task's name) cut to fit the
 * terminal keeps at least this much. */
#define FREE_TEXT_MIN 4

/* The width of a free-text column on a terminal of `cols` (0: not cut):
 * what the other columns (`fixed`, with their gaps) leave, up to `want`
 * (its widest value) and at least FREE_TEXT_MIN, as htop cuts its Command
 * column and not the PID; `dflt` into a pipe or with -w. */
static int free_col(int cols, int fixed, int want, int dflt)
{
	if (!cols)
		return dflt;
	int w = cols - fixed - 2;
	if (w > want)
		w = want;
	return w < FREE_TEXT_MIN ? FREE_TEXT_MIN : w;
}

/* An id in a column of `width`: on a terminal, one wider than the column
 * but within ID_COL is printed whole and pushes the row right. */
static void put_id_col(const char *id, int width, int cut_at)
{
	int w = text_width(id, strlen(id));
	int use = w > width ? (w < cut_at ? w : cut_at) : width;
	put_col(id, strlen(id), use < width ? width : use);
}

/* The columns of list and paused.  Into a pipe or with -w: fixed widths,
 * and a longer value pushes its row right.  On a terminal: the status
 * column as wide as the longest status, the id column as the first page
 * needs (up to ID_COL; a longer id later pushes its row), and the
 * workflow name, the free text, gets what is left of the terminal's width,
 * so that a row holds on one line. */
static struct {
	int status, id, workflow;
} lcols = { 18, ID_COL, 28 };

static void list_layout(const record_exec *v, size_t n)
{
	int cols = term_width();
	if (!cols)
		return;
	int st = (int)strlen("STATUS"), id = (int)strlen("ID"), wf = (int)strlen("WORKFLOW");
	for (int s = 0; s < EXEC_STATUS_COUNT; s++) /* a later page may hold any status */
		if ((int)strlen(status_exec_name((exec_status)s)) > st)
			st = (int)strlen(status_exec_name((exec_status)s));
	for (size_t i = 0; i < n; i++) {
		int w = text_width(v[i].id, strlen(v[i].id)), f = text_width(v[i].workflow_name.s, v[i].workflow_name.len);
		id = w > id ? w : id;
		wf = f > wf ? f : wf;
	}
	lcols.status = st;
	lcols.id = id > ID_COL ? ID_COL : id;
	lcols.workflow = free_col(cols, lcols.status + 2 + lcols.id + 2 + 20 + 2 + 5, wf, 28);
}

static void list_header(void)
{
	put_col("STATUS", 6, lcols.status);
	put_col("ID", 2, lcols.id);
	put_col("WORKFLOW", 8, lcols.workflow);
	printf("%-20s  %5s\n", "STARTED", "AGE");
}

static void list_row(const record_exec *e)
{
	char a[16];
	text_age(a, sizeof a, e->start_timestamp);
	put_col(status_exec_name(e->status), strlen(status_exec_name(e->status)), lcols.status);
	put_id_col(e->id, lcols.id, ID_COL);
	put_col(e->workflow_name.s, e->workflow_name.len, lcols.workflow);
	put_time_col(e->start_timestamp, 20);
	printf("%5s\n", a);
}

/* ---- import / export ---- */

typedef struct import_opts {
	bool replace;
} import_opts;

static int import_opt(int o, const char *arg, void *ctx)
{
	(void)arg;
	if (o != 'r')
		return -1;
	((import_opts *)ctx)->replace = true;
	return 0;
}

int run_import(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "replace", no_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	import_opts io = { false };
	if (cmd_parse_opts(cmd_find("import"), argc, argv, opts, import_opt, &io) < 0)
		return EXIT_USAGE;
	if (optind >= argc)
		return cmd_fail(EXIT_USAGE, "import: name at least one data file (- for standard input)");
	datafile *d;
	char why[1024];
	if (datafile_open(&d, (const char *const *)argv + optind, (size_t)(argc - optind), why, sizeof why) < 0)
		return cmd_fail(EXIT_USAGE, "%s", why);
	/* A first pass checks every file before the store is touched, so a
	 * malformed file leaves every file of the home as it was. */
	store_source src = datafile_source(d);
	for (;;) {
		store_item it;
		memset(&it, 0, sizeof it);
		int got = src.next(src.ctx, &it, why, sizeof why);
		store_item_free(&it);
		if (got < 0) {
			datafile_close(d);
			return cmd_fail(EXIT_USAGE, "%s (nothing was imported)", why);
		}
		if (got == 0)
			break;
	}
	if (!(c->open_flags & STORE_OPEN_READ_ONLY))
		c->open_flags |= STORE_OPEN_CREATE; /* importing makes the home */
	int rc = cmd_open_store(c);
	if (rc) {
		datafile_close(d);
		return rc;
	}
	store_err err;
	size_t count = 0;
	store_code sc = store_import(c->st, &src, io.replace, "import", &count, &err);
	if (sc) {
		const char *derr = datafile_error(d);
		rc = derr ? cmd_fail(EXIT_USAGE, "%s (nothing was imported)", derr)
			  : cmd_fail(cmd_exit_code(sc), "%s%s (nothing was imported)", err.msg,
				     sc == STORE_EXISTS ? " (use --replace to overwrite it)" : "");
	} else {
		printf("imported %zu execution%s\n", count, count == 1 ? "" : "s");
	}
	datafile_close(d);
	return rc;
}

typedef struct export_opts {
	bool json, events;
} export_opts;

static int export_opt(int o, const char *arg, void *ctx)
{
	if (o == 'e') {
		((export_opts *)ctx)->events = true;
		return 0;
	}
	if (o != 'f')
		return -1;
	if (strcmp(arg, "json") == 0)
		((export_opts *)ctx)->json = true;
	else if (strcmp(arg, "yaml") != 0)
		return -1;
	return 0;
}

int run_export(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "events", no_argument, NULL, 'e' },
					      { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	export_opts eo = { false, false };
	if (cmd_parse_opts(cmd_find("export"), argc, argv, opts, export_opt, &eo) < 0)
		return EXIT_USAGE;
	if (optind < argc)
		return cmd_fail(EXIT_USAGE, "export: unexpected argument '%s'", argv[optind]);
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	store_code sc = eo.json ? datafile_export_json(c->st, eo.events, stdout, &err)
				: datafile_export_yaml(c->st, eo.events, stdout, &err);
	if (sc)
		return cmd_store_fail(&err);
	if (fflush(stdout) != 0)
		return cmd_fail(EXIT_STORAGE, "writing the export failed: %s", strerror(errno));
	return EXIT_DONE;
}

/* ---- list / paused ---- */

typedef struct list_opts {
	int status;
	size_t limit;
	bool json;
} list_opts;

static int list_opt(int o, const char *arg, void *ctx)
{
	list_opts *lo = ctx;
	exec_status s;
	switch (o) {
	case 's':
		/* "waiting", as the dashboard's header says it, is accepted too */
		if (strcmp(arg, "waiting") == 0)
			s = EXEC_WAITING;
		else if (status_exec_parse(arg, &s) < 0) {
			cmd_hint("running, waiting (or waiting-for-input), complete or failed");
			return -1;
		}
		lo->status = (int)s;
		return 0;
	case 'l':
		return cmd_parse_count(arg, &lo->limit);
	case 'j':
		lo->json = true;
		return 0;
	}
	return -1;
}

static int print_execs(const record_exec *v, size_t n, bool json)
{
	for (size_t i = 0; i < n; i++) {
		if (json) {
			datafile_json_exec(stdout, &v[i]);
			fputc('\n', stdout);
		} else {
			list_row(&v[i]);
		}
	}
	return 0;
}

/* A task's deadline: when, how long is left, and what happens then. */
static void print_deadline(const record_task *t, const char *indent)
{
	if (!t->input_deadline)
		return;
	long long left = text_until(t->input_deadline);
	char span[32];
	text_span(span, sizeof span, left < 0 ? -left : left);
	char sec[40];
	/* on a terminal, to the second: the line fits 80 columns */
	const char *when = cut_cols ? time_to_second(t->input_deadline, sec, sizeof sec) : t->input_deadline;
	printf("%sdeadline %s (%s%s%s), then %s\n", indent, when, left < 0 ? "overdue by " : "", span,
	       left < 0 ? "" : " left", record_on_timeout_name(t->on_timeout));
}

/* Who may answer a task, when it says. */
static void print_respondents(const record_task *t, const char *indent)
{
	if (!t->n_respondents && !t->no_self_approval)
		return;
	printf("%sanswered by ", indent);
	for (size_t i = 0; i < t->n_respondents; i++) {
		fputs(i ? ", " : "", stdout);
		cmd_put_escs(t->respondents[i]);
	}
	if (!t->n_respondents)
		fputs("anyone who may write", stdout);
	puts(t->no_self_approval ? " (not the user who started it)" : "");
}

/* The newest "pause" event of a task among an execution's newest events;
 * NULL when there is none (an imported task that waits without a prompt). */
static const record_event *pause_event(const record_event *ev, size_t nev, const char *task_id)
{
	for (size_t i = 0; i < nev; i++)
		if (strcmp(ev[i].action, "pause") == 0 && ev[i].task_id && strcmp(ev[i].task_id, task_id) == 0)
			return &ev[i];
	return NULL;
}

/* A task's prompt and what it asks: "Deploy? (boolean, required, default no)". */
static void put_prompt(const record_task *t)
{
	put_esc(t->input_prompt.s, t->input_prompt.len);
	printf(" (%s%s", record_input_type_name(t->input_type), t->input_required ? ", required" : "");
	if (t->has_input_default) {
		fputs(", default ", stdout);
		put_esc(t->input_default.s, t->input_default.len);
	}
	fputc(')', stdout);
}

/* The same within `room` columns of a terminal: the prompt, the free text,
 * is cut to what the rest leaves (FREE_TEXT_MIN at least), then the rest
 * is cut if it must. */
static void put_prompt_fit(const record_task *t, int room)
{
	/* what it asks, unescaped (text_fit escapes): a default longer than
	 * any terminal is wide is cut before it is shown */
	char what[4096], cut[4096];
	int n = snprintf(what, sizeof what, " (%s%s%s", record_input_type_name(t->input_type),
			 t->input_required ? ", required" : "", t->has_input_default ? ", default " : "");
	size_t dl = t->has_input_default ? t->input_default.len : 0;
	if (dl > sizeof what - (size_t)n - 2)
		dl = sizeof what - (size_t)n - 2;
	memcpy(what + n, t->has_input_default ? t->input_default.s : "", dl);
	memcpy(what + n + dl, ")", 2);
	size_t wl = (size_t)n + dl + 1;
	int asked;
	text_fit(cut, sizeof cut, what, wl, 1 << 20, false, true, &asked);
	int left = room - asked, used;
	text_fit(cut, sizeof cut, t->input_prompt.s, t->input_prompt.len, left < FREE_TEXT_MIN ? FREE_TEXT_MIN : left,
		 false, !text_locale_utf8(), &used);
	fputs(cut, stdout);
	text_fit(cut, sizeof cut, what, wl, room - used < 1 ? 1 : room - used, false, !text_locale_utf8(), NULL);
	fputs(cut, stdout);
}

/* Under a waiting execution: each task that waits, and why.  An operator's
 * pause asks nothing ("paused by USER at TIME", from the audit trail); a
 * task with an input request waits for its answer. */
static void print_waiting_tasks(cli *c, const store_item *it)
{
	record_event *ev = NULL;
	size_t nev = 0;
	bool have_events = false;
	for (size_t k = 0; k < it->n_tasks; k++) {
		const record_task *t = &it->tasks[k];
		if (t->status != TASK_WAITING)
			continue;
		if (t->has_input) {
			fputs("    waits for an answer: ", stdout);
			put_col(t->task_id, strlen(t->task_id), TASK_ID_COL);
			int cols = term_width();
			if (cols)
				put_prompt_fit(t, cols - 25 - TASK_ID_COL - 2);
			else
				put_prompt(t);
		} else {
			store_err err;
			if (!have_events && store_events(c->st, it->exec.id, 0, 1000, &ev, &nev, &err) != STORE_OK)
				ev = NULL, nev = 0;
			have_events = true;
			const record_event *p = pause_event(ev, nev, t->task_id);
			fputs("    paused:              ", stdout);
			put_col(t->task_id, strlen(t->task_id), TASK_ID_COL);
			if (p) {
				fputs("by ", stdout);
				cmd_put_escs(p->actor);
				if (p->user && p->actor && strcmp(p->user, p->actor) != 0) {
					fputs(" (user ", stdout);
					cmd_put_escs(p->user);
					fputc(')', stdout);
				}
				fputs(" at ", stdout);
				put_time(p->time);
				fputs(", no input asked", stdout);
			} else {
				fputs("no input asked", stdout);
			}
		}
		fputc('\n', stdout);
		print_deadline(t, "                         ");
		print_respondents(t, "                         ");
	}
	record_event_array_free(ev, nev);
}

/* The earliest deadline of an execution's waiting tasks, or NULL. */
#define PAUSED_PAGE 256

/* seectl paused: what waits, soonest deadline first, then newest first: the
 * store's order (STORE_LIST_DUE), a page at a time, so that --limit N reads
 * N executions and a long list streams in bounded memory. */
int run_paused(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "limit", required_argument, NULL, 'l' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	list_opts lo = { EXEC_WAITING, 0, false };
	if (cmd_parse_opts(cmd_find("paused"), argc, argv, opts, list_opt, &lo) < 0)
		return EXIT_USAGE;
	if (optind < argc)
		return cmd_fail(EXIT_USAGE, "paused: unexpected argument '%s'", argv[optind]);
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_cursor cur = { .len = 0 };
	store_err err;
	size_t shown = 0;
	bool headed = lo.json;
	while (!cur.done && (!lo.limit || shown < lo.limit)) {
		record_exec *v;
		size_t n;
		size_t want = lo.limit && lo.limit - shown < PAUSED_PAGE ? lo.limit - shown : PAUSED_PAGE;
		store_code sc = store_list(c->st, STORE_LIST_DUE, &cur, want, &v, &n, &err);
		if (!headed) { /* the first page sets the columns' widths on a terminal */
			list_layout(v, sc ? 0 : n);
			list_header();
			headed = true;
		}
		if (sc)
			return cmd_store_fail(&err);
		for (size_t i = 0; i < n && (!lo.limit || shown < lo.limit); i++) {
			store_item it;
			if (store_get_item(c->st, v[i].id, &it, &err))
				continue; /* resumed or gone meanwhile */
			if (it.exec.status == EXEC_WAITING) {
				if (lo.json) {
					datafile_json_paused(stdout, &it);
					fputc('\n', stdout);
				} else {
					list_row(&it.exec);
					print_waiting_tasks(c, &it);
				}
				shown++;
			}
			store_item_free(&it);
		}
		record_exec_array_free(v, n);
		if (n == 0)
			break;
	}
	return EXIT_DONE;
}

int run_list(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "status", required_argument, NULL, 's' },
					      { "limit", required_argument, NULL, 'l' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	list_opts lo = { -1, 0, false };
	const cmd *self = cmd_find(argv[0]);
	if (cmd_parse_opts(self, argc, argv, opts, list_opt, &lo) < 0)
		return EXIT_USAGE;
	if (optind < argc)
		return cmd_fail(EXIT_USAGE, "%s: unexpected argument '%s'", self->name, argv[optind]);
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_cursor cur = { .len = 0 };
	size_t shown = 0;
	bool headed = lo.json;
	while (!cur.done && (lo.limit == 0 || shown < lo.limit)) {
		record_exec *v;
		size_t n, want = 256;
		if (lo.limit && lo.limit - shown < want)
			want = lo.limit - shown;
		store_err err;
		store_code sc = store_list(c->st, lo.status, &cur, want, &v, &n, &err);
		if (!headed) { /* the first page sets the columns' widths on a terminal */
			list_layout(v, sc ? 0 : n);
			list_header();
			headed = true;
		}
		if (sc)
			return cmd_store_fail(&err);
		if (err.msg[0])
			cmd_fail(EXIT_DONE, "warning: %s", err.msg);
		print_execs(v, n, lo.json);
		record_exec_array_free(v, n);
		shown += n;
		if (n == 0)
			break;
	}
	return EXIT_DONE;
}

/* ---- show ---- */

int cmd_json_only(int o, const char *arg, void *ctx)
{
	(void)arg;
	if (o != 'j')
		return -1;
	((json_opt *)ctx)->json = true;
	return 0;
}

/* The columns of history and show's events.  Into a pipe or with -w:
 * fixed widths, times to the microsecond, every column, and a longer value
 * pushes its row right (scripts rely on it).  On a terminal, as journalctl
 * shows a day: times as "12-07 08:30:05" (UTC, to the second, no year),
 * each column as wide as the first page needs (ids up to their caps), no
 * EXECUTION column when every event is of one execution (show, history
 * EXEC), no USER column when each event's user is its actor, and the
 * change, the free text, cut to what is left, so that an event holds on
 * one line of the terminal. */
static struct {
	int seq, time, actor, user, action, exec, task, change;
} ecols = { 6, 27, 10, 10, 15, 16, 10, 0 };

/* "2026-12-07T08:30:05.123456Z" as "12-07 08:30:05", into buf */
static const char *time_short(const char *ts, char *buf, size_t cap)
{
	if (ts && strlen(ts) >= 19 && ts[4] == '-' && ts[10] == 'T') {
		snprintf(buf, cap, "%.5s %.8s", ts + 5, ts + 11);
		return buf;
	}
	return ts && *ts ? ts : "-";
}

#define ACTOR_COL 10
/* the change keeps at least this much on a terminal, taken from the
 * execution's id column first */
#define CHANGE_MIN 16

static int widest(int w, const char *s)
{
	int n = s ? text_width(s, strlen(s)) : 1;
	return n > w ? n : w;
}

/* `one_exec`: the events are all of one execution */
static void event_layout(const record_event *ev, size_t n, bool one_exec)
{
	int cols = term_width();
	if (!cols)
		return;
	int seq = 3, actor = 5, user = 4, action = 6, exec = 9, task = 4;
	bool user_is_actor = n > 0;
	char num[24];
	for (size_t i = 0; i < n; i++) {
		if (!ev[i].user || !ev[i].actor || strcmp(ev[i].user, ev[i].actor) != 0)
			user_is_actor = false;
		snprintf(num, sizeof num, "%llu", (unsigned long long)ev[i].seq);
		seq = widest(seq, num);
		actor = widest(actor, ev[i].actor);
		user = widest(user, ev[i].user);
		action = widest(action, ev[i].action);
		exec = widest(exec, ev[i].execution_id);
		task = widest(task, ev[i].task_id);
	}
	if (n == 0) /* --follow of a quiet history: room for what comes */
		seq = 6, actor = user = ACTOR_COL, action = 15, exec = 16, task = 10;
	ecols.seq = seq;
	ecols.time = 14;
	ecols.actor = actor > ACTOR_COL ? ACTOR_COL : actor;
	ecols.user = user_is_actor ? 0 : user > ACTOR_COL ? ACTOR_COL : user;
	ecols.action = action;
	ecols.exec = one_exec ? 0 : exec > ID_COL ? ID_COL : exec;
	ecols.task = task > TASK_ID_COL ? TASK_ID_COL : task;
	int fixed = 2 + ecols.seq + 1 + ecols.time + 1 + ecols.actor + 2 + (ecols.user ? ecols.user + 2 : 0) +
		    ecols.action + 2 + (ecols.exec ? ecols.exec + 2 : 0) + ecols.task + 2;
	ecols.change = cols - fixed - 1;
	if (ecols.change < CHANGE_MIN && ecols.exec > CHANGE_MIN) { /* the execution's id gives room */
		int give = CHANGE_MIN - ecols.change;
		if (give > ecols.exec - CHANGE_MIN)
			give = ecols.exec - CHANGE_MIN;
		ecols.exec -= give;
		ecols.change += give;
	}
	if (ecols.change < CHANGE_MIN)
		ecols.change = CHANGE_MIN;
}

static void event_header(void)
{
	printf("  %-*s %-*s ", ecols.seq, "SEQ", ecols.time, "TIME");
	put_col("ACTOR", 5, ecols.actor);
	if (ecols.user || !cut_cols)
		put_col("USER", 4, ecols.user);
	put_col("ACTION", 6, ecols.action);
	if (ecols.exec)
		put_col("EXECUTION", 9, ecols.exec);
	put_col("TASK", 4, ecols.task);
	fputs("CHANGE\n", stdout);
}

static void put_text(const char *s, size_t len, bool cut)
{
	if (cut)
		fwrite(s, 1, len, stdout);
	else
		put_esc(s, len);
}

static void print_event(const record_event *ev)
{
	char tbuf[40];
	const char *t = ecols.change ? time_short(ev->time, tbuf, sizeof tbuf) : ev->time ? ev->time : "-";
	printf("  %-*llu %-*s ", ecols.seq, (unsigned long long)ev->seq, ecols.time, t);
	put_col(ev->actor ? ev->actor : "-", ev->actor ? strlen(ev->actor) : 1, ecols.actor);
	if (ecols.user || !cut_cols)
		put_col(ev->user ? ev->user : "-", ev->user ? strlen(ev->user) : 1, ecols.user);
	put_col(ev->action, strlen(ev->action), ecols.action);
	if (ecols.exec || !cut_cols)
		put_id_col(ev->execution_id ? ev->execution_id : "-", ecols.exec,
			   ecols.exec && ecols.exec < ID_COL ? ecols.exec : ID_COL);
	put_id_col(ev->task_id ? ev->task_id : "-", ecols.task, TASK_ID_COL);
	if (!ecols.change) { /* whole, escaped */
		printf("%s -> %s", ev->status_before ? ev->status_before : "-",
		       ev->status_after ? ev->status_after : "-");
		if (ev->has_input_value) {
			fputs("  input=", stdout);
			put_text(ev->input_value.s, ev->input_value.len, false);
		}
		if (ev->has_reason) {
			fputs("  reason: ", stdout);
			put_text(ev->reason.s, ev->reason.len, false);
		}
		fputc('\n', stdout);
		return;
	}
	/* on a terminal: the change as one text cut to its column */
	char *chg = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&chg, &len);
	if (m) {
		fprintf(m, "%s -> %s", ev->status_before ? ev->status_before : "-",
			ev->status_after ? ev->status_after : "-");
		if (ev->has_input_value) {
			fputs("  input=", m);
			fwrite(ev->input_value.s, 1, ev->input_value.len, m);
		}
		if (ev->has_reason) {
			fputs("  reason: ", m);
			fwrite(ev->reason.s, 1, ev->reason.len, m);
		}
	}
	if (!m || fclose(m) != 0 || !chg) {
		free(chg);
		fputs("?\n", stdout);
		return;
	}
	char buf[1024];
	text_fit(buf, sizeof buf, chg, len, ecols.change, false, !text_locale_utf8(), NULL);
	free(chg);
	fputs(buf, stdout);
	fputc('\n', stdout);
}

typedef struct show_opts {
	bool json, all;
	size_t tail; /* the newest lines shown per task */
} show_opts;

static int show_opt(int o, const char *arg, void *ctx)
{
	show_opts *so = ctx;
	switch (o) {
	case 'j':
		so->json = true;
		return 0;
	case 'a':
		so->all = true;
		return 0;
	case 'n':
		return cmd_parse_count(arg, &so->tail);
	}
	return -1;
}

static void put_log_line(const record_text *l)
{
	fputs("      | ", stdout);
	put_esc(l->s, l->len);
	fputc('\n', stdout);
}

/* A task's newest lines (--tail N, 20 by default; --all: every one), after
 * how many earlier lines there are and the command that prints them.  The
 * item holds the newest lines; older ones are read a page at a time. */
static void show_log(cli *c, const char *exec, const record_task *t, const show_opts *so)
{
	uint64_t from = so->all || so->tail >= t->log_count ? 0 : t->log_count - so->tail;
	uint64_t held = t->log_count - t->n_logs; /* the first line the item holds */
	if (from > 0) {
		printf("      %llu earlier line%s: seectl logs ", (unsigned long long)from, from == 1 ? "" : "s");
		cmd_put_escs(exec);
		fputc(' ', stdout);
		cmd_put_escs(t->task_id);
		fputc('\n', stdout);
	}
	while (from < held) {
		record_text *v;
		size_t n;
		uint64_t total;
		store_err err;
		size_t want = held - from < 1000 ? (size_t)(held - from) : 1000;
		if (store_task_logs(c->st, exec, t->task_id, from, want, &v, &n, &total, &err)) {
			printf("      (the older lines could not be read: ");
			cmd_put_escs(err.msg);
			puts(")");
			from = held;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			put_log_line(&v[i]);
			free(v[i].s);
		}
		free(v);
		from += n;
		if (n == 0)
			break;
	}
	for (size_t l = from > held ? (size_t)(from - held) : 0; l < t->n_logs; l++)
		put_log_line(&t->logs[l]);
}

static void show_text(cli *c, const store_item *it, const record_event *ev, size_t nev, const show_opts *so)
{
	const record_exec *e = &it->exec;
	fputs("execution  ", stdout);
	cmd_put_escs(e->id);
	fputs("\nworkflow   ", stdout);
	put_esc(e->workflow_name.s, e->workflow_name.len);
	printf("\nstatus     %s", status_exec_name(e->status));
	if (e->is_paused) {
		fputs(" (paused on ", stdout);
		cmd_put_escs(e->paused_task_id);
		fputc(')', stdout);
	}
	fputs("\nstarted    ", stdout);
	cmd_put_escs(e->start_timestamp);
	fputs("\nended      ", stdout);
	cmd_put_escs(e->end_timestamp);
	if (e->started_by) {
		fputs("\nstarted by ", stdout);
		cmd_put_escs(e->started_by);
	}
	if (e->engine_pid) {
		printf("\nengine     pid %llu on ", (unsigned long long)e->engine_pid);
		cmd_put_escs(e->engine_host ? e->engine_host : "?");
		fputs(e->engine_attached ? " (attached)"
			: e->status == EXEC_RUNNING || e->status == EXEC_WAITING ? " (detached: the engine is gone)" : "",
		      stdout);
	}
	record_event *last;
	size_t nlast;
	store_err lerr;
	if (e->status == EXEC_RUNNING && !e->engine_attached &&
	    store_events(c->st, e->id, 0, 1, &last, &nlast, &lerr) == STORE_OK) {
		if (nlast && store_exec_stranded(e, last[0].action))
			fputs("\n?          no engine: nothing will move it after the last decision (seerun --continue, or seectl cancel)",
			      stdout);
		record_event_array_free(last, nlast);
	}
	printf("\ntasks      %zu\n", it->n_tasks);
	/* the task rows: on a terminal, the status and id columns as wide as
	 * these tasks need (an id up to its cut, 12) and the name, the free
	 * text, what is left of the terminal's width */
	int w_status = 18, w_id = 12, w_name = 24, cols = term_width();
	if (cols) {
		int end = 1, name = 4;
		w_status = w_id = 2;
		for (size_t i = 0; i < it->n_tasks; i++) {
			const record_task *t = &it->tasks[i];
			int s = (int)strlen(status_task_name(t->status)), d = text_width(t->task_id, strlen(t->task_id)),
			    n = text_width(t->task_name.s, t->task_name.len), en = (int)strlen(t->end_timestamp);
			w_status = s > w_status ? s : w_status;
			w_id = d > w_id ? d : w_id;
			name = n > name ? n : name;
			end = en > end ? en : end;
		}
		w_id = w_id > 12 ? 12 : w_id;
		w_name = free_col(cols, 2 + w_status + 2 + w_id + 2 + 20 + 2 + end, name, 24);
	}
	for (size_t i = 0; i < it->n_tasks; i++) {
		const record_task *t = &it->tasks[i];
		fputs("  ", stdout);
		put_col(status_task_name(t->status), strlen(status_task_name(t->status)), w_status);
		put_col(t->task_id, strlen(t->task_id), w_id);
		put_col(t->task_name.s, t->task_name.len, w_name);
		put_time_col(t->start_timestamp, 20);
		put_esc(t->end_timestamp[0] ? t->end_timestamp : "-", t->end_timestamp[0] ? strlen(t->end_timestamp) : 1);
		fputc('\n', stdout);
		if (t->has_input) {
			fputs("      input: ", stdout);
			put_esc(t->input_prompt.s, t->input_prompt.len);
			printf(" (%s%s", record_input_type_name(t->input_type), t->input_required ? ", required" : "");
			if (t->has_input_default) {
				fputs(", default ", stdout);
				put_esc(t->input_default.s, t->input_default.len);
			}
			fputs(")\n", stdout);
			print_respondents(t, "      ");
			if (t->status == TASK_WAITING)
				print_deadline(t, "      ");
			else if (t->input_deadline)
				printf("      deadline %s, then %s\n", t->input_deadline, record_on_timeout_name(t->on_timeout));
		}
		if (t->has_input_value) {
			fputs("      value: ", stdout);
			put_esc(t->input_value.s, t->input_value.len);
			fputc('\n', stdout);
		}
		if (t->has_reason) {
			fputs("      reason: ", stdout);
			put_esc(t->reason.s, t->reason.len);
			fputc('\n', stdout);
		}
		show_log(c, e->id, t, so);
	}
	printf("events     %zu\n", nev);
	event_layout(ev, nev, true);
	for (size_t i = 0; i < nev; i++)
		print_event(&ev[i]);
}

int run_show(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "tail", required_argument, NULL, 'n' },
					      { "all", no_argument, NULL, 'a' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	show_opts so = { false, false, 20 };
	if (cmd_parse_opts(cmd_find("show"), argc, argv, opts, show_opt, &so) < 0)
		return EXIT_USAGE;
	if (argc - optind != 1)
		return cmd_fail(EXIT_USAGE, "show: name one execution (seectl show EXEC)");
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_item it;
	store_err err;
	store_code sc = store_get_item(c->st, argv[optind], &it, &err);
	if (sc)
		return cmd_store_fail(&err);
	record_event *ev;
	size_t nev;
	sc = store_events(c->st, argv[optind], 0, 1000, &ev, &nev, &err);
	if (sc) {
		store_item_free(&it);
		return cmd_store_fail(&err);
	}
	if (so.json) {
		fputs("{\"execution\":", stdout);
		datafile_json_exec(stdout, &it.exec);
		fputs(",\"tasks\":[", stdout);
		for (size_t i = 0; i < it.n_tasks; i++) {
			if (i)
				fputc(',', stdout);
			datafile_json_task(stdout, &it.tasks[i]);
		}
		fputs("],\"events\":[", stdout);
		for (size_t i = 0; i < nev; i++) {
			if (i)
				fputc(',', stdout);
			datafile_json_event(stdout, &ev[i]);
		}
		fputs("]}\n", stdout);
	} else {
		show_text(c, &it, ev, nev, &so);
	}
	record_event_array_free(ev, nev);
	store_item_free(&it);
	return EXIT_DONE;
}

/* ---- history / verify ---- */

typedef struct history_opts {
	size_t limit;
	bool has_limit, json, follow;
} history_opts;

static int history_opt(int o, const char *arg, void *ctx)
{
	history_opts *h = ctx;
	if (o == 'l') {
		h->has_limit = true;
		return cmd_parse_count(arg, &h->limit);
	}
	if (o == 'f') {
		h->follow = true;
		return 0;
	}
	if (o == 'j') {
		h->json = true;
		return 0;
	}
	return -1;
}

int run_history(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "limit", required_argument, NULL, 'l' },
					      { "json", no_argument, NULL, 'j' },
					      { "follow", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	history_opts ho = { 50, false, false, false };
	if (cmd_parse_opts(cmd_find("history"), argc, argv, opts, history_opt, &ho) < 0)
		return EXIT_USAGE;
	if (argc - optind > 1)
		return cmd_fail(EXIT_USAGE, "history: name at most one execution");
	const char *exec = optind < argc ? argv[optind] : NULL;
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	if (exec) {
		record_exec e;
		if (store_get(c->st, exec, &e, &err) == STORE_NOT_FOUND) {
			/* a deleted execution still has its history */
			record_event *probe;
			size_t np;
			if (store_events(c->st, exec, 0, 1, &probe, &np, &err) == STORE_OK && np == 0)
				return cmd_fail(EXIT_REFUSED, "execution '%s' not found", exec);
			record_event_array_free(probe, np);
		} else {
			record_exec_free(&e);
		}
	}
	uint64_t before = 0;
	size_t shown = 0;
	if (ho.follow) {
		if (!ho.json) {
			event_layout(NULL, 0, exec != NULL);
			event_header();
		}
		return follow_history(c, exec, ho.has_limit ? ho.limit : 10, ho.json, print_event);
	}
	for (bool first = true;; first = false) {
		record_event *ev;
		size_t n, want = 256;
		if (ho.limit && ho.limit - shown < want)
			want = ho.limit - shown;
		if (want == 0)
			break;
		if (store_events(c->st, exec, before, want, &ev, &n, &err))
			return cmd_store_fail(&err);
		if (first && !ho.json) {
			event_layout(ev, n, exec != NULL);
			event_header();
		}
		for (size_t i = 0; i < n; i++) {
			if (ho.json) {
				datafile_json_event(stdout, &ev[i]);
				fputc('\n', stdout);
			} else {
				print_event(&ev[i]);
			}
			before = ev[i].seq;
		}
		record_event_array_free(ev, n);
		shown += n;
		if (n < want)
			break;
	}
	return EXIT_DONE;
}

static void print_problem(void *ctx, const char *what)
{
	(void)ctx;
	fputs("problem: ", stdout);
	cmd_put_escs(what);
	fputc('\n', stdout);
}

int run_verify(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	if (cmd_parse_opts(cmd_find("verify"), argc, argv, opts, cmd_no_opts, NULL) < 0)
		return EXIT_USAGE;
	if (optind < argc)
		return cmd_fail(EXIT_USAGE, "verify: unexpected argument '%s'", argv[optind]);
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	size_t n;
	if (store_verify(c->st, print_problem, NULL, &n, &err))
		return cmd_store_fail(&err);
	if (n)
		return cmd_fail(EXIT_REFUSED, "verify found %zu problem%s in '%s'", n, n == 1 ? "" : "s", c->home);
	printf("verify: no problems in '%s'\n", c->home);
	return EXIT_DONE;
}

/* ---- gen: synthetic data ---- */

typedef struct gen_opts {
	size_t executions, done, batch_end, state;
	gen_params p;
} gen_opts;

static int gen_opt(int o, const char *arg, void *ctx)
{
	gen_opts *g = ctx;
	char *end;
	switch (o) {
	case 'e':
		return cmd_parse_count(arg, &g->executions);
	case 't': {
		int rc = cmd_parse_count(arg, &g->p.tasks_per) < 0 || g->p.tasks_per < 1 || g->p.tasks_per > 1000 ? -1 : 0;
		cmd_hint("a whole number from 1 to 1000");
		return rc;
	}
	case 'w':
		cmd_hint("a fraction from 0 to 1");
		g->p.waiting_ratio = strtod(arg, &end);
		return *end || end == arg || g->p.waiting_ratio < 0 || g->p.waiting_ratio > 1 ? -1 : 0;
	case 's':
		cmd_hint("a whole number");
		g->p.seed = (unsigned)strtoul(arg, &end, 10);
		return *end || end == arg ? -1 : 0;
	}
	return -1;
}

static int gen_next(void *ctx, store_item *it, char *why, size_t whylen)
{
	gen_opts *g = ctx;
	(void)why;
	(void)whylen;
	if (g->done >= g->batch_end)
		return 0;
	gen_item(&g->p, g->done++, it);
	return 1;
}

static int gen_rewind(void *ctx, char *why, size_t whylen)
{
	gen_opts *g = ctx;
	(void)why;
	(void)whylen;
	g->done = g->state;
	return 0;
}

int run_gen(cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "executions", required_argument, NULL, 'e' },
					      { "tasks-per", required_argument, NULL, 't' },
					      { "waiting-ratio", required_argument, NULL, 'w' },
					      { "seed", required_argument, NULL, 's' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	gen_opts g = { 0, 0, 0, 0, { 4, 0.01, 1, 0 } };
	if (cmd_parse_opts(cmd_find("gen"), argc, argv, opts, gen_opt, &g) < 0)
		return EXIT_USAGE;
	if (optind < argc || g.executions == 0)
		return cmd_fail(EXIT_USAGE, "gen: say how many with --executions N");
	g.p.executions = g.executions;
	/* A home that gen creates gets a cache that holds what it generates,
	 * unless SEESTORE_CACHE_MB says otherwise.  The cache is fixed when the
	 * home's regions are created, so this changes nothing for a home in use. */
	char cache[32];
	snprintf(cache, sizeof cache, "%d", gen_cache_mb(&g.p, g.executions));
	setenv("SEESTORE_CACHE_MB", cache, 0);
	/* batches of unsynced transactions, then one checkpoint makes them durable */
	c->open_flags |= STORE_OPEN_NO_SYNC | STORE_OPEN_CREATE;
	int rc = cmd_open_store(c);
	if (rc)
		return rc;
	store_err err;
	const size_t batch = 1000; /* small transactions: MVCC keeps a copy of each page a transaction changes */
	for (g.state = 0; g.state < g.executions; g.state = g.batch_end) {
		g.batch_end = g.state + batch < g.executions ? g.state + batch : g.executions;
		g.done = g.state;
		store_source src = { gen_next, gen_rewind, &g };
		if (store_import(c->st, &src, false, NULL, NULL, &err))
			return cmd_store_fail(&err);
	}
	if (store_checkpoint(c->st, &err))
		return cmd_store_fail(&err);
	printf("generated %zu executions of %zu tasks\n", g.executions, g.p.tasks_per);
	return EXIT_DONE;
}

/* The table: one row of cmd_table.h per command. */
#define CMD_ROW(name, args, summary, help, fn) { name, args, summary, help, fn },
const cmd cmd_table[] = { SEECTL_COMMANDS(CMD_ROW) { NULL, NULL, NULL, NULL, NULL } };
#undef CMD_ROW

const cmd *cmd_find(const char *name)
{
	for (const cmd *c = cmd_table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cmd_put_wrapped(FILE *f, const char *line, int indent)
{
	int at = 0; /* the column the next word starts at */
	const char *p = line;
	while (*p) {
		/* the spaces before a word, then the word */
		const char *w = p;
		while (*w == ' ')
			w++;
		const char *e = w;
		while (*e && *e != ' ')
			e++;
		int spaces = (int)(w - p), len = text_width(w, (size_t)(e - w));
		if (at > indent && w > line && at + spaces + len > HELP_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			at = indent;
			spaces = 0;
		}
		fprintf(f, "%.*s%.*s", spaces, p, (int)(e - w), w);
		at += spaces + len;
		p = e;
	}
	fputc('\n', f);
}

void cmd_print_help(const cmd *c)
{
	/* each alternative of the args on its line, as git's usage does */
	const char *alt = c->args;
	for (bool first = true;; first = false) {
		const char *bar = strstr(alt, " | ");
		int len = bar ? (int)(bar - alt) : (int)strlen(alt);
		char line[512];
		int head = snprintf(line, sizeof line, "%s seectl [global options] %s ", first ? "usage:" : "      ", c->name);
		snprintf(line + head, sizeof line - (size_t)head, "%.*s", len, alt);
		cmd_put_wrapped(stdout, line, head);
		if (!bar)
			break;
		alt = bar + 3;
	}
	if (c->summary)
		printf("\n%s.\n", c->summary);
	if (c->help[0])
		printf("\n%s", c->help);
}

void seectl_usage(FILE *f);

int run_help(cli *c, int argc, char **argv)
{
	(void)c;
	if (argc < 2) {
		seectl_usage(stdout);
		return EXIT_DONE;
	}
	const cmd *k = cmd_find(argv[1]);
	if (!k)
		return cmd_fail(EXIT_USAGE, "help: no command '%s' (seectl help lists them)", argv[1]);
	cmd_print_help(k);
	return EXIT_DONE;
}
