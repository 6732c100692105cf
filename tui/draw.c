/* draw.c - everything the dashboard puts on the terminal.  Stored text is
 * escaped (text_escape) before it is drawn, so no byte of a workflow's data
 * can move the cursor or change the terminal. */
#include "config.h"

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "app.h"
#include "text.h"

#define MIN_W 40
#define MIN_H 12

/* The one table of how a status looks: word, glyph (shows without colour),
 * colour from the config. */
typedef struct status_look {
	const char *glyph;
	conf_color_key color;
} status_look;

static const status_look exec_look[EXEC_STATUS_COUNT] = {
	[EXEC_RUNNING] = { ">", COLOR_RUNNING },
	[EXEC_WAITING] = { "!", COLOR_WAITING },
	[EXEC_COMPLETE] = { "+", COLOR_COMPLETE },
	[EXEC_FAILED] = { "x", COLOR_FAILED },
};

static const status_look task_look[TASK_STATUS_COUNT] = {
	[TASK_PENDING] = { ".", COLOR_PENDING },
	[TASK_IN_PROGRESS] = { ">", COLOR_IN_PROGRESS },
	[TASK_WAITING] = { "!", COLOR_WAITING },
	[TASK_COMPLETE] = { "+", COLOR_COMPLETE },
	[TASK_FAILED] = { "x", COLOR_FAILED },
};

/* A task or an execution that waits because an operator paused it (no
 * input is asked): not "!", which says a question waits. */
#define PAUSED_GLYPH "="

static bool use_color;
static bool local_times; /* the config's local_time, set with each header */
static conf_color colors[COLOR_KEY_COUNT];

void draw_init_colors(app *a)
{
	memcpy(colors, a->conf.color, sizeof colors);
	use_color = a->color && has_colors();
	if (!use_color)
		return;
	start_color();
	use_default_colors();
	for (int k = 0; k < COLOR_KEY_COUNT; k++)
		init_pair((short)(k + 1), (short)colors[k].fg, -1);
}

static attr_t look_attr(conf_color_key k)
{
	attr_t at = colors[k].bold ? A_BOLD : A_NORMAL;
	if (use_color)
		at |= COLOR_PAIR(k + 1);
	return at;
}

int draw_list_height(void)
{
	int h = LINES - 4; /* header, titles, status line, footer */
	int list = h * 2 / 5;
	return list < 3 ? 3 : list;
}

/* Draws printable UTF-8 (as text_escape makes it) from (y, x), at most
 * `width` display columns, the same widths the layout counted; pads with
 * spaces to the width.  Returns the columns drawn. */
static int put_clipped(int y, int x, int width, const char *s, attr_t at)
{
	int col = 0;
	size_t len = strlen(s), i = 0;
	/* a cut says so: the last column is an ellipsis ('~' outside UTF-8);
	 * spaces at the end are padding, not text */
	size_t text_len = len;
	while (text_len && s[text_len - 1] == ' ')
		text_len--;
	bool cut = width > 1 && text_width(s, text_len) > width;
	int room = cut ? width - 1 : width;
	attrset(at); /* attrset keeps the colour pair held in `at` */
	move(y, x);
	while (i < len) {
		unsigned cp;
		size_t n = text_utf8_seq((const unsigned char *)s + i, len - i, &cp);
		if (n == 0)
			break;
		int w = text_cp_width(cp);
		if (col + w > room)
			break;
		addnstr(s + i, (int)n);
		col += w;
		i += n;
	}
	if (cut) {
		for (; col < room; col++)
			addch(' ');
		addstr(text_locale_utf8() ? "\u2026" : "~");
		col++;
	}
	for (; col < width; col++)
		addch(' ');
	attrset(A_NORMAL);
	return col;
}

/* Escapes stored bytes, then draws them clipped to the width. */
static void put_text(int y, int x, int width, const char *s, size_t len, attr_t at)
{
	char buf[1024];
	text_escape(buf, sizeof buf, s ? s : "", s ? len : 0);
	put_clipped(y, x, width, buf, at);
}

static void put_str(int y, int x, int width, const char *s, attr_t at)
{
	put_text(y, x, width, s, s ? strlen(s) : 0, at);
}

/* What each line of the screen showed when it was last drawn (its text, or
 * for a line of parts, a key of them, and its look): a draw, a tick's or a
 * pushed change's, redraws only a line whose text or look changed, so that
 * an idle dashboard's second costs the clock's few cells, and a change a
 * few rows and counts, not the whole screen.  Forgotten when the screen is
 * erased (another mode, another size); a line drawn past it (the prompt's)
 * is dropped from it. */
static struct shown_line {
	char *text; /* NULL: not known */
	attr_t at;
	char clock[64]; /* a list row's parts that change with the clock (row_clock) */
} *on_screen;
static int n_on_screen;

/* The list's window when it was last drawn: while it stays, a tick looks
 * at each row's clock parts only, not at its whole text. */
static struct list_shown {
	const row *rows;
	size_t n, top, sel;
	int cols, h, focus;
	bool known;
} list_shown;

static void shown_forget(void)
{
	for (int i = 0; i < n_on_screen; i++) {
		free(on_screen[i].text);
		on_screen[i].text = NULL;
		on_screen[i].clock[0] = '\0';
	}
	list_shown.known = false;
}

/* Line y was drawn past what is kept of it: the next draw draws it. */
static void shown_drop(int y)
{
	if (y >= 0 && y < n_on_screen) {
		free(on_screen[y].text);
		on_screen[y].text = NULL;
		on_screen[y].clock[0] = '\0';
	}
}

/* Whether line y still shows s with the look at; if not, it is noted as
 * what y shows now (the caller draws it). */
static bool shown_same(int y, const char *s, attr_t at)
{
	if (y < 0)
		return false;
	if (y >= n_on_screen) {
		struct shown_line *m = realloc(on_screen, (size_t)(y + 1) * sizeof *m);
		if (!m)
			return false;
		memset(m + n_on_screen, 0, (size_t)(y + 1 - n_on_screen) * sizeof *m);
		on_screen = m;
		n_on_screen = y + 1;
	}
	struct shown_line *l = &on_screen[y];
	if (l->text && l->at == at && strcmp(l->text, s) == 0)
		return true;
	free(l->text);
	l->text = strdup(s);
	l->at = at;
	return false;
}

/* A whole line of printable text (as text_escape makes it), drawn only if
 * it changed, and noted. */
static void put_line(int y, const char *s, attr_t at)
{
	if (!shown_same(y, s, at))
		put_clipped(y, 0, COLS, s, at);
}

/* A whole line of stored bytes: escaped, then as put_line. */
static void put_line_text(int y, const char *s, size_t len, attr_t at)
{
	char buf[1024];
	text_escape(buf, sizeof buf, s ? s : "", s ? len : 0);
	put_line(y, buf, at);
}


/* The clock of the header, in the zone every time on screen is shown in. */
static void clock_text(const app *a, char *buf, size_t len)
{
	time_t now = text_now();
	struct tm tm;
	local_times = a->conf.local_time;
	if (local_times)
		localtime_r(&now, &tm);
	else
		gmtime_r(&now, &tm);
	strftime(buf, len, local_times ? "%H:%M:%S %Z" : "%H:%M:%SZ", &tm);
}

/* The site's place in its replication group, as the header says it; ""
 * for a home that is not a site (its header stays as it was).  Shorter:
 * without the master's address, for a narrow terminal. */
static void role_text(const app *a, bool shorter, char *buf, size_t cap)
{
	char lag[48] = "", master[64];
	buf[0] = '\0';
	switch (a->repl.role) {
	case STORE_REPL_MASTER:
		snprintf(buf, cap, "master");
		break;
	case STORE_REPL_REPLICA:
		if (a->repl.lag_known)
			snprintf(lag, sizeof lag, ", %.1f s behind", (double)a->repl.lag_ms / 1000);
		/* (an address of any length: the header keeps 63 bytes of it) */
		text_escape(master, sizeof master, a->repl.master, strlen(a->repl.master));
		if (shorter || !master[0])
			snprintf(buf, cap, "replica%s", lag);
		else
			snprintf(buf, cap, "replica of %s%s", master, lag);
		break;
	case STORE_REPL_NO_MASTER:
		snprintf(buf, cap, "%s", shorter ? "no master" : "no master (election in progress)");
		break;
	default:
		break;
	}
}

/* Draws `what` again with `at` where it stands in the header line `buf`:
 * at its column, not its byte offset (a name before it may be wide). */
static void header_mark(const char *buf, const char *what, attr_t at)
{
	const char *p = strstr(buf, what);
	if (!p)
		return;
	int col = text_width(buf, (size_t)(p - buf));
	if (col >= COLS)
		return;
	int w = text_width(what, strlen(what));
	put_clipped(0, col, w < COLS - col ? w : COLS - col, what, at);
}

/* The header: nothing to draw when it says what it said, only the clock's
 * cells when only the clock changed; false when the whole line must be
 * drawn (then it is noted as shown). */
static bool header_tick(const char *buf, size_t clock_at, const char *clock)
{
	const char *was = n_on_screen > 0 ? on_screen[0].text : NULL;
	size_t len = strlen(buf), clen = strlen(clock);
	/* the same text before the clock, so the clock is at the same column;
	 * as wide as what it replaces, so what follows it stays in place */
	bool clock_only = was && on_screen[0].at == A_REVERSE && strlen(was) == len && clock_at + clen <= len &&
			  memcmp(was, buf, clock_at) == 0 &&
			  strcmp(was + clock_at + clen, buf + clock_at + clen) == 0 &&
			  text_width(was + clock_at, clen) == text_width(clock, clen);
	if (shown_same(0, buf, A_REVERSE))
		return true;
	int col = text_width(buf, clock_at), w = text_width(clock, clen);
	if (!clock_only || col + w >= COLS)
		return false;
	put_clipped(0, col, w, clock, A_REVERSE);
	return true;
}

static void draw_header(app *a)
{
	char buf[512], filter[200] = "";
	if (a->filter != FILTER_ALL)
		snprintf(filter, sizeof filter, "[%s only]  ", app_filter_name(a->filter));
	if (a->sort != SORT_STARTED || a->sort_reverse)
		snprintf(filter + strlen(filter), sizeof filter - strlen(filter), "[by %s%s]  ", app_sort_name(a->sort),
			 a->sort_reverse ? ", reversed" : "");
	if (a->n_marks)
		snprintf(filter + strlen(filter), sizeof filter - strlen(filter), "[marked %zu]  ", a->n_marks);
	if (a->search[0]) {
		char esc[140];
		text_escape(esc, sizeof esc, a->search, strlen(a->search));
		snprintf(filter + strlen(filter), sizeof filter - strlen(filter), "[/%s]  ", esc);
	}
	/* the clock ticks (UTC, as every time on screen); the home goes last:
	 * on a narrow terminal it is what gets cut */
	char clock[32];
	clock_text(a, clock, sizeof clock);
	char pos[48] = "";
	if (a->n_rows)
		snprintf(pos, sizeof pos, "row %zu/%zu%s  ", a->sel + 1, a->n_rows, a->cur.done ? "" : "+");
	/* the parts in their order, and how soon each gives way on a narrow
	 * terminal (htop drops meters): the counts of ended executions first,
	 * then running; what waits, the clock, the position, the marks and
	 * filters always stay; the home is last and is cut */
	char mode[16], role[128], run[32], wait[64], done[32], bad[32];
	snprintf(mode, sizeof mode, "seetop %s", a->read_only || store_is_read_only(a->st) ? "[RO]" : "[RW]");
	role_text(a, false, role, sizeof role);
	snprintf(run, sizeof run, "running %llu", (unsigned long long)a->counts[EXEC_RUNNING]);
	snprintf(wait, sizeof wait, "waiting %llu", (unsigned long long)a->counts[EXEC_WAITING]);
	if (a->n_paused > 0) /* an operator's pause is counted apart: it asks nothing */
		snprintf(wait + strlen(wait), sizeof wait - strlen(wait), " (%lld paused)", a->n_paused);
	snprintf(done, sizeof done, "complete %llu", (unsigned long long)a->counts[EXEC_COMPLETE]);
	snprintf(bad, sizeof bad, "failed %llu", (unsigned long long)a->counts[EXEC_FAILED]);
	struct {
		const char *text;
		int gives; /* 0: stays; higher gives way sooner */
	} part[] = { { mode, 0 }, { role[0] ? role : NULL, 0 }, { run, 1 }, { wait, 0 }, { done, 3 }, { bad, 2 }, { clock, 0 } };
	enum { P_ROLE = 1, P_RUN, P_WAIT, P_DONE, P_BAD, P_CLOCK };
	/* the count of the status a filter shows is the last count to go */
	if (a->filter == FILTER_COMPLETE) {
		part[P_DONE].gives = 1;
		part[P_RUN].gives = 3;
	} else if (a->filter == FILTER_FAILED) {
		part[P_BAD].gives = 1;
		part[P_RUN].gives = 2;
	}
	size_t np = sizeof part / sizeof part[0];
	int need = text_width(pos, strlen(pos)) + text_width(filter, strlen(filter));
	for (size_t i = 0; i < np; i++)
		if (part[i].text)
			need += text_width(part[i].text, strlen(part[i].text)) + 2;
	/* with a filter on, the home gives way first: the counts say what the
	 * filter hides; without one, the home is cut as the last part */
	/* a home on another host reads HOST:/PATH */
	char home[256], where[4400], host[256];
	const char *path = app_remote_host(a->home, host, sizeof host);
	snprintf(where, sizeof where, "%s%s%s", host, host[0] ? ":" : "", path);
	text_escape(home, sizeof home, where, strlen(where));
	bool filtered = a->filter != FILTER_ALL || a->search[0] || a->sort != SORT_STARTED || a->sort_reverse;
	if (filtered && need + text_width(home, strlen(home)) > COLS)
		home[0] = '\0';
	for (int g = 3; g > 0 && need > COLS; g--)
		for (size_t i = 0; i < np; i++)
			if (part[i].gives == g && part[i].text) {
				need -= text_width(part[i].text, strlen(part[i].text)) + 2;
				part[i].text = NULL;
			}
	/* the role stays, without the master's address if need be */
	if (need > COLS && role[0]) {
		need -= text_width(role, strlen(role));
		role_text(a, true, role, sizeof role);
		need += text_width(role, strlen(role));
	}
	size_t o = 0, clock_at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < np && o < sizeof buf; i++)
		if (part[i].text) {
			if (i == P_CLOCK)
				clock_at = o;
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s  ", part[i].text);
		}
	if (o < sizeof buf)
		snprintf(buf + o, sizeof buf - o, "%s%s%s", pos, filter, home);
	/* (what stands out in it follows from its text) */
	if (header_tick(buf, clock_at, clock))
		return;
	put_clipped(0, 0, COLS, buf, A_REVERSE);
	if (a->counts[EXEC_WAITING]) {
		/* what waits is impossible to miss: its count stands out in the header */
		char w[64];
		snprintf(w, sizeof w, "waiting %llu", (unsigned long long)a->counts[EXEC_WAITING]);
		header_mark(buf, w, A_REVERSE | A_BOLD | look_attr(COLOR_WAITING));
	}
	if (a->repl.role == STORE_REPL_NO_MASTER) /* changes are refused meanwhile: it stands out as what waits does */
		header_mark(buf, role, A_REVERSE | A_BOLD);
}

/* The executions' columns at a width: by display width, and giving way by
 * priority as htop's do: STARTED goes first, then the id narrows, so that
 * at 80 columns a row keeps its status, id, 16 columns of workflow name or
 * more, age and progress. */
typedef struct exec_cols {
	int status, id, name, started, age, tasks;
} exec_cols;

/* The id column's width for the rows on screen: as wide as the longest id
 * needs, from 12 columns up to half the width (set before each draw). */
static int id_cols = 21;

static void measure_ids(const app *a, size_t from, size_t n, int width)
{
	int w = 12;
	for (size_t i = from; i < a->n_rows && i < from + n; i++) {
		char esc[600];
		size_t len = text_escape(esc, sizeof esc, a->rows[i].exec.id, strlen(a->rows[i].exec.id));
		int iw = text_width(esc, len);
		if (iw > w)
			w = iw;
	}
	id_cols = w > width / 2 ? width / 2 : w;
}

static exec_cols exec_layout(int width)
{
	exec_cols c = { 17, id_cols, 0, 20, 6, 5 };
	int fixed = 2 + (c.status + 1) + (c.id + 1) + (c.age + 1) + c.tasks;
	int rest = width - fixed - 1;
	if (rest - (c.started + 1) >= 16) {
		c.name = rest - (c.started + 1);
	} else {
		c.started = 0;
		c.name = rest;
	}
	if (c.name < 16) {
		int give = c.id - 12 < 16 - c.name ? c.id - 12 : 16 - c.name;
		c.id -= give;
		c.name += give;
	}
	if (c.name < 8)
		c.name = 8;
	return c;
}

/* Appends s fitted to cols display columns (escaped, cut with an ellipsis), then a space. */
static void cat_fit(char *buf, size_t cap, size_t *o, const char *s, size_t len, int cols)
{
	if (*o + 1 >= cap)
		return;
	*o += text_fit(buf + *o, cap - *o, s, len, cols, true, !text_locale_utf8(), NULL);
	if (*o + 1 < cap) {
		buf[(*o)++] = ' ';
		buf[*o] = '\0';
	}
}

/* Appends an id fitted to cols display columns, then a space: a cut keeps
 * its end, where the part that tells ids apart is
 * ("…20261207T010153-e20795"). */
static void cat_fit_tail(char *buf, size_t cap, size_t *o, const char *id, int cols)
{
	char esc[600];
	size_t len = text_escape(esc, sizeof esc, id, strlen(id));
	int w = text_width(esc, len);
	if (w <= cols || cols < 2) {
		cat_fit(buf, cap, o, id, strlen(id), cols);
		return;
	}
	size_t start = 0;
	while (start < len && w > cols - 1) {
		unsigned cp;
		size_t n = text_utf8_seq((const unsigned char *)esc + start, len - start, &cp);
		if (n == 0)
			n = 1, cp = '?';
		w -= text_cp_width(cp);
		start += n;
	}
	int pad = cols - 1 - w;
	if (*o < cap)
		*o += (size_t)snprintf(buf + *o, cap - *o, "%s%s%*s ", text_locale_utf8() ? "\u2026" : "~", esc + start,
				       pad > 0 ? pad : 0, "");
	if (*o >= cap)
		*o = cap - 1;
}

/* An age as htop and k9s give it: 42s, 5m12s, 3h, 40h, 12d. */
/* Every time on screen in one zone: UTC (the default, as the store keeps
 * them), or local time with the config's local_time; to the second. */

static const char *short_time(const char *ts, char buf[40])
{
	int64_t us;
	if (!ts || !*ts)
		return "-";
	if (!record_timestamp_parse(ts, &us))
		return ts;
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (local_times) {
		localtime_r(&t, &tm);
		strftime(buf, 40, "%Y-%m-%d %H:%M:%S", &tm); /* the zone is on the clock */
	} else {
		gmtime_r(&t, &tm);
		strftime(buf, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	return buf;
}

static void exec_title(char *buf, size_t cap, int width)
{
	exec_cols c = exec_layout(width);
	size_t o = 0;
	buf[0] = '\0';
	cat_fit(buf, cap, &o, " ", 1, 1);
	cat_fit(buf, cap, &o, "STATUS", 6, c.status);
	cat_fit(buf, cap, &o, "ID", 2, c.id);
	cat_fit(buf, cap, &o, "WORKFLOW", 8, c.name);
	if (c.started)
		cat_fit(buf, cap, &o, "STARTED", 7, c.started);
	snprintf(buf + o, cap - o, "%*s %*s", c.age, "AGE", c.tasks, "TASKS");
}

/* The time left until a deadline: "14m left" or "overdue"; *urgent when
 * under a tenth of the time it was given is left.  False when there is none. */
static bool deadline_text(const char *deadline, const char *from, char *buf, size_t cap, bool *urgent)
{
	long long left = deadline ? text_until(deadline) : LLONG_MIN;
	*urgent = false;
	if (left == LLONG_MIN)
		return false;
	if (left <= 0) {
		snprintf(buf, cap, "overdue");
		*urgent = true;
		return true;
	}
	char span[24];
	text_span(span, sizeof span, left);
	snprintf(buf, cap, "%s left", span);
	long long given = from ? text_until(from) : LLONG_MIN;
	if (given != LLONG_MIN) {
		given = left - given; /* deadline - from */
		*urgent = given > 0 && left * 10 < given;
	}
	return true;
}

static bool exec_urgent(const record_exec *e)
{
	char buf[32];
	bool urgent;
	return e->status == EXEC_WAITING && deadline_text(e->input_deadline, e->deadline_from, buf, sizeof buf, &urgent) &&
	       urgent;
}

static void exec_row_text(const app *ap, char *buf, size_t cap, const row *r, int width, bool marked)
{
	exec_cols c = exec_layout(width);
	char a[16], tasks[32], tb[40];
	text_age(a, sizeof a, r->exec.start_timestamp);
	if (r->exec.n_task_ids)
		snprintf(tasks, sizeof tasks, "%llu/%zu", (unsigned long long)r->exec.tasks_complete, r->exec.n_task_ids);
	else
		snprintf(tasks, sizeof tasks, "%zu", r->exec.n_task_ids);
	const status_look *lk = &exec_look[r->exec.status];
	/* an execution whose engine is gone goes on with nobody: say so */
	bool detached = r->exec.engine_pid && !r->exec.engine_attached &&
			(r->exec.status == EXEC_RUNNING || r->exec.status == EXEC_WAITING);
	const char *word = detached && r->exec.status == EXEC_RUNNING ? "running, detached" : status_exec_name(r->exec.status);
	/* a failed execution says which task failed it */
	char fword[200];
	const char *by = r->exec.status == EXEC_FAILED ? app_failed_task(ap, r->exec.id) : "";
	if (by[0]) {
		snprintf(fword, sizeof fword, "failed: %s", by);
		word = fword;
	}
	/* what waits with a deadline says how long it has left */
	char left[40], wword[48];
	bool urgent;
	if (r->exec.status == EXEC_WAITING &&
	    deadline_text(r->exec.input_deadline, r->exec.deadline_from, left, sizeof left, &urgent)) {
		snprintf(wword, sizeof wword, "waiting, %s", left);
		word = wword;
	}
	const char *glyph = detached ? "?" : lk->glyph;
	/* decided on, running, and no engine to go on: nothing will move it */
	if (r->no_engine) {
		word = "no engine";
		glyph = "?";
	}
	/* an operator's pause is not a question: its own word and glyph */
	if (r->paused) {
		word = "paused";
		glyph = PAUSED_GLYPH;
	}
	size_t o = 0;
	buf[0] = '\0';
	cat_fit(buf, cap, &o, glyph, strlen(glyph), 1);
	if (marked && o > 0)
		buf[o - 1] = '*'; /* marked with Space */
	cat_fit(buf, cap, &o, word, strlen(word), c.status);
	cat_fit_tail(buf, cap, &o, r->exec.id, c.id);
	cat_fit(buf, cap, &o, r->exec.workflow_name.s, r->exec.workflow_name.len, c.name);
	if (c.started) {
		const char *st = short_time(r->exec.start_timestamp, tb);
		cat_fit(buf, cap, &o, st, strlen(st), c.started);
	}
	snprintf(buf + o, cap - o, "%*s %*s", c.age, a, c.tasks, tasks);
}

/* A pane's title: the focused pane's is bold, underlined and marked '>',
 * the others dim; every title ends with the pane's position ("12/14"). */
static void pane_title(int y, const char *text, const char *pos, bool focused)
{
	attr_t at = focused ? A_BOLD | A_UNDERLINE : A_DIM;
	char key[1200];
	snprintf(key, sizeof key, "%s\x1f%s", text, pos);
	if (shown_same(y, key, at))
		return;
	int pw = (int)strlen(pos);
	/* the title gives way to the position, with a space between: the
	 * fields never run together */
	bool room = pw && pw + 4 < COLS;
	put_str(y, 0, room ? COLS - pw - 2 : COLS, text, at);
	if (focused)
		put_clipped(y, 0, 1, ">", at);
	if (room) {
		put_clipped(y, COLS - pw - 2, 1, " ", at);
		put_clipped(y, COLS - pw - 1, pw + 1, pos, at);
	}
}

/* What of a row changes with the clock alone: its age, and the time left
 * to its deadline and whether that is urgent (as exec_row_text and
 * exec_urgent say them). */
static void row_clock(const row *r, char *buf, size_t cap)
{
	char left[40] = "";
	bool urgent = false;
	text_age(buf, cap, r->exec.start_timestamp);
	if (r->exec.status != EXEC_WAITING)
		return;
	/* (joined by hand: a snprintf cost as much as the age itself) */
	deadline_text(r->exec.input_deadline, r->exec.deadline_from, left, sizeof left, &urgent);
	size_t n = strlen(buf), m = strlen(left);
	if (n + m + 3 < cap) {
		buf[n] = ' ';
		memcpy(buf + n + 1, left, m);
		buf[n + 1 + m] = urgent ? '!' : ' ';
		buf[n + 2 + m] = '\0';
	}
}

/* One row of the list, at line y: drawn only if its text or look changed,
 * and its clock parts noted. */
static void exec_row_draw(app *a, int y, size_t idx)
{
	const row *r = &a->rows[idx];
	char line[1200];
	exec_row_text(a, line, sizeof line, r, COLS, app_marked(a, r->exec.id));
	attr_t at = look_attr(r->paused ? COLOR_PENDING : exec_look[r->exec.status].color);
	if (exec_urgent(&r->exec))
		at |= A_BOLD | A_UNDERLINE; /* under a tenth of its time left, or overdue */
	if (app_marked(a, r->exec.id))
		at |= A_BOLD;
	if (idx == a->sel)
		at |= A_REVERSE;
	put_line(y, line, at);
	if (y < n_on_screen)
		row_clock(r, on_screen[y].clock, sizeof on_screen[y].clock);
}

/* A tick on the window drawn last: only the rows whose clock parts changed
 * are drawn again; false when the window is not the one drawn last. */
static bool execs_tick(app *a, int y0, int h)
{
	const struct list_shown *w = &list_shown;
	if (!w->known || w->rows != a->rows || w->n != a->n_rows || w->top != a->top || w->sel != a->sel ||
	    w->cols != COLS || w->h != h || w->focus != (int)a->focus || y0 + h >= n_on_screen)
		return false;
	for (int i = 0; i < h && a->top + (size_t)i < a->n_rows; i++) {
		char clock[sizeof on_screen->clock];
		row_clock(&a->rows[a->top + (size_t)i], clock, sizeof clock);
		if (strcmp(clock, on_screen[y0 + 1 + i].clock) != 0)
			exec_row_draw(a, y0 + 1 + i, a->top + (size_t)i);
	}
	return true;
}

/* The list: its title and rows, each drawn only if its text or look
 * changed.  A tick on the window drawn last builds only the rows whose
 * clock parts changed (an age, a deadline's time left). */
static void draw_execs(app *a, int y0, int h, bool tick)
{
	if (tick && execs_tick(a, y0, h))
		return;
	char title[1024];
	measure_ids(a, a->top, h > 0 ? (size_t)h : 0, COLS);
	exec_title(title, sizeof title, COLS);
	/* its columns fill the width: its position is in the header */
	pane_title(y0, title, "", a->focus == PANE_EXECS);
	for (int i = 0; i < h; i++) {
		size_t idx = a->top + (size_t)i;
		if (idx < a->n_rows)
			exec_row_draw(a, y0 + 1 + i, idx);
		else if (i == 0 && a->n_rows == 0)
			put_line(y0 + 1, a->filter == FILTER_WAITING ? "  nothing waits for input" : "  no executions", A_DIM);
		else
			put_line(y0 + 1 + i, "", A_NORMAL);
	}
	list_shown = (struct list_shown){ a->rows, a->n_rows, a->top, a->sel, COLS, h, (int)a->focus, true };
}

static void draw_tasks(app *a, int y0, int h)
{
	char pos[48] = "";
	if (a->have_item && a->item.n_tasks)
		snprintf(pos, sizeof pos, "%zu/%zu", a->task_sel + 1, a->item.n_tasks);
	pane_title(y0,
		   COLS >= 100 ? "  TASK STATUS       ID               NAME                     STARTED              INPUT"
			       : "  TASK STATUS       ID               NAME                 INPUT",
		   pos, a->focus == PANE_TASKS);
	for (int i = 0; i < h; i++) {
		size_t idx = (size_t)i;
		if (a->have_item && a->task_sel >= (size_t)h)
			idx += a->task_sel - (size_t)h + 1;
		if (!a->have_item || idx >= a->item.n_tasks) {
			put_line(y0 + 1 + i, "", A_NORMAL);
			continue;
		}
		const record_task *t = &a->item.tasks[idx];
		char input[300], line[1200], tb[40];
		input[0] = '\0';
		/* raw bytes (cut whole characters later): cat_fit escapes them */
		char left[40] = "";
		bool urgent = false;
		if (t->status == TASK_WAITING && deadline_text(t->input_deadline, t->deadline_from, left + 1,
							       sizeof left - 3, &urgent)) {
			left[0] = '[';
			strcat(left, "] ");
		}
		if (t->status == TASK_WAITING && t->has_input)
			snprintf(input, sizeof input, "%s%.*s [%s%s]", left,
				 (int)(t->input_prompt.len < 250 ? t->input_prompt.len : 250), t->input_prompt.s,
				 record_input_type_name(t->input_type), t->input_required ? ", required" : "");
		else if (t->status == TASK_FAILED && t->has_reason)
			snprintf(input, sizeof input, "%.*s", (int)(t->reason.len < 250 ? t->reason.len : 250), t->reason.s);
		else if (t->has_input_value)
			snprintf(input, sizeof input, "= %.*s", (int)(t->input_value.len < 250 ? t->input_value.len : 250),
				 t->input_value.s);
		/* by display width; at 80 columns STARTED gives way to the input */
		size_t o = 0;
		line[0] = '\0';
		bool paused = app_task_paused(t);
		const char *glyph = paused ? PAUSED_GLYPH : task_look[t->status].glyph;
		const char *word = paused ? "paused" : status_task_name(t->status);
		cat_fit(line, sizeof line, &o, glyph, 1, 1);
		cat_fit(line, sizeof line, &o, word, strlen(word), 17);
		cat_fit(line, sizeof line, &o, t->task_id, strlen(t->task_id), 16);
		cat_fit(line, sizeof line, &o, t->task_name.s, t->task_name.len, COLS >= 100 ? 24 : 20);
		if (COLS >= 100) {
			const char *st = short_time(t->start_timestamp, tb);
			cat_fit(line, sizeof line, &o, st, strlen(st), 20);
		}
		int room = COLS - (COLS >= 100 ? 2 + 18 + 17 + 25 + 21 : 2 + 18 + 17 + 21);
		cat_fit(line, sizeof line, &o, input, strlen(input), room > 4 ? room : 4);
		attr_t at = look_attr(paused ? COLOR_PENDING : task_look[t->status].color);
		if (urgent)
			at |= A_BOLD | A_UNDERLINE;
		if (idx == a->task_sel && a->focus != PANE_EXECS)
			at |= A_REVERSE;
		put_line(y0 + 1 + i, line, at);
	}
}

static void draw_detail(app *a, int y0, int h)
{
	const record_task *t = a->have_item && a->task_sel < a->item.n_tasks ? &a->item.tasks[a->task_sel] : NULL;
	char head[400];
	if (t) {
		char id[200];
		text_escape(id, sizeof id, t->task_id, strlen(t->task_id));
		char b1[40], b2[40];
		snprintf(head, sizeof head, "  DETAIL %s  started %s  ended %s", id, short_time(t->start_timestamp, b1),
			 short_time(t->end_timestamp, b2));
	} else {
		snprintf(head, sizeof head, "  DETAIL");
	}
	/* the lines of the detail: input request, value, (earlier lines), logs, events */
	bool why = t && t->status == TASK_FAILED && t->has_reason;
	size_t prefix = app_detail_prefix(a, t);
	size_t n_ev = 0;
	for (size_t i = 0; i < a->n_events; i++)
		n_ev += !(t && a->events[i].task_id && strcmp(a->events[i].task_id, t->task_id) != 0);
	size_t logs_end = prefix + (t ? t->n_logs : 0), total = logs_end + n_ev, hh = h > 0 ? (size_t)h : 0;
	/* outside the detail pane it follows the newest log lines, as tail -f
	 * does; inside, the operator scrolls, and G stops at the last line */
	if (a->focus != PANE_DETAIL)
		a->log_top = logs_end > hh ? logs_end - hh : 0;
	else if (a->log_follow || a->log_top + hh > total)
		a->log_top = total > hh ? total - hh : 0;
	char pos[64] = "";
	if (total)
		snprintf(pos, sizeof pos, "%zu-%zu/%zu", a->log_top + 1, a->log_top + hh < total ? a->log_top + hh : total,
			 total);
	pane_title(y0, head, pos, a->focus == PANE_DETAIL);
	int y = y0 + 1, end = y0 + 1 + h;
	size_t line_no = 0;
#define DETAIL_LINE(text, len, at)                                                                  \
	do {                                                                                        \
		if (line_no++ >= a->log_top && y < end)                                             \
			put_line_text(y++, (text), (len), (at));                                    \
	} while (0)
	if (why) { /* why it failed comes first */
		char r[700];
		memcpy(r, "  why: ", 7);
		text_escape(r + 7, sizeof r - 7, t->reason.s, t->reason.len);
		if (line_no++ >= a->log_top && y < end)
			put_line(y++, r, A_BOLD | look_attr(COLOR_FAILED));
	}
	if (a->have_item) { /* the whole id, whatever the list's column cut */
		char id[600], name[300], l[1000];
		text_escape(id, sizeof id, a->item.exec.id, strlen(a->item.exec.id));
		text_escape(name, sizeof name, a->item.exec.workflow_name.s ? a->item.exec.workflow_name.s : "",
			    a->item.exec.workflow_name.len);
		snprintf(l, sizeof l, "  execution %s  %s", id, name);
		if (line_no++ >= a->log_top && y < end)
			put_line(y++, l, A_NORMAL);
	}
	if (t && t->has_input) {
		char req[600], p[400];
		text_escape(p, sizeof p, t->input_prompt.s, t->input_prompt.len);
		snprintf(req, sizeof req, "  input: %s (%s%s%s%s)", p, record_input_type_name(t->input_type),
			 t->input_required ? ", required" : "", t->has_input_default ? ", default " : "",
			 t->has_input_default ? t->input_default.s : "");
		/* when it is due, and who may answer it */
		char left[40] = "", tb[40];
		bool urgent;
		size_t o = strlen(req);
		if (t->status == TASK_WAITING &&
		    deadline_text(t->input_deadline, t->deadline_from, left + 2, sizeof left - 3, &urgent)) {
			memcpy(left, " (", 2);
			strcat(left, ")");
		}
		if (t->input_deadline && o < sizeof req)
			o += (size_t)snprintf(req + o, sizeof req - o, "  due %s%s, then %s",
					      short_time(t->input_deadline, tb), left, record_on_timeout_name(t->on_timeout));
		for (size_t i = 0; i < t->n_respondents && o < sizeof req; i++)
			o += (size_t)snprintf(req + o, sizeof req - o, "%s%s", i ? ", " : "  answered by ", t->respondents[i]);
		if (t->no_self_approval && o < sizeof req)
			snprintf(req + o, sizeof req - o, "%s", "  not by who started it");
		if (line_no++ >= a->log_top && y < end)
			put_line(y++, req, look_attr(COLOR_WAITING));
	}
	if (t && t->has_input_value) {
		char v[400], line[500];
		text_escape(v, sizeof v, t->input_value.s, t->input_value.len);
		snprintf(line, sizeof line, "  value: %s", v);
		if (line_no++ >= a->log_top && y < end)
			put_line(y++, line, A_NORMAL);
	}
	if (t && t->log_count > t->n_logs) {
		char l[120];
		snprintf(l, sizeof l, "  ... %llu earlier log lines",
			 (unsigned long long)(t->log_count - t->n_logs));
		if (line_no++ >= a->log_top && y < end)
			put_line(y++, l, A_DIM);
	}
	/* (a line out of view is counted, not made) */
	for (size_t i = 0; t && i < t->n_logs; i++) {
		if (line_no++ < a->log_top || y >= end)
			continue;
		char l[1024];
		text_escape(l + 4, sizeof l - 4, t->logs[i].s, t->logs[i].len);
		memcpy(l, "  | ", 4);
		bool hit = a->log_search[0] && memmem(t->logs[i].s, t->logs[i].len, a->log_search, strlen(a->log_search));
		put_line(y++, l, hit ? A_REVERSE : A_NORMAL);
	}
	for (size_t i = 0; i < a->n_events; i++) {
		const record_event *ev = &a->events[i];
		if (t && ev->task_id && strcmp(ev->task_id, t->task_id) != 0)
			continue;
		if (line_no < a->log_top || y >= end) {
			line_no++;
			continue;
		}
		char line[600], act[100];
		text_escape(act, sizeof act, ev->actor ? ev->actor : "-", ev->actor ? strlen(ev->actor) : 1);
		char tb[40];
		snprintf(line, sizeof line, "  event %llu %s %s %s %s -> %s", (unsigned long long)ev->seq, short_time(ev->time, tb),
			 act, ev->action, ev->status_before ? ev->status_before : "-", ev->status_after ? ev->status_after : "-");
		DETAIL_LINE(line, strlen(line), A_DIM);
	}
#undef DETAIL_LINE
	while (y < end)
		put_line(y++, "", A_NORMAL);
}

/* The footer: the keys of the table that fit, whole; "? help" and
 * "q quit" always end it, so that the rest can be found. */
static void draw_footer(app *a)
{
	char buf[512] = "", tail[64] = "";
	int used = 0, tail_w = 0;
	for (const action *ac = app_actions; ac->run; ac++)
		if (ac->footer && (ac->key == '?' || ac->key == 'q')) {
			char part[64];
			tail_w += snprintf(part, sizeof part, "%s %s  ", ac->keyname, ac->name);
			strncat(tail, part, sizeof tail - strlen(tail) - 1);
		}
	for (const action *ac = app_actions; ac->run; ac++) {
		if (!ac->footer || (ac->mutates && a->read_only) || ac->key == '?' || ac->key == 'q')
			continue;
		char part[64];
		int w = snprintf(part, sizeof part, "%s %s  ", ac->keyname, ac->name);
		if (used + w + tail_w - 2 > COLS)
			continue; /* a later, shorter one may fit */
		strncat(buf, part, sizeof buf - strlen(buf) - 1);
		used += w;
	}
	strncat(buf, tail, sizeof buf - strlen(buf) - 1);
	put_line_text(LINES - 1, buf, strlen(buf), A_REVERSE);
	put_line_text(LINES - 2, a->msg, strlen(a->msg), a->msg_error ? (A_BOLD | look_attr(COLOR_FAILED)) : A_NORMAL);
}

/* The help, from the table of actions: each text wrapped at the screen's
 * width under its key, and scrolled with the moving keys when it is taller
 * than the screen (80x24 holds 21 of its lines). */
#define HELP_LINES 128
static void draw_help(app *a)
{
	static char lines[HELP_LINES][256];
	static int attr[HELP_LINES];
	size_t n = 0;
	int room = COLS - 13 > 20 ? COLS - 13 : 20; /* "  KEY      " then the text */
	for (const action *ac = app_actions; ac->run && n < HELP_LINES; ac++) {
		bool off = ac->mutates && a->read_only;
		char text[300];
		snprintf(text, sizeof text, "%s%s", ac->help, off ? "  (read-only mode)" : "");
		const char *p = text;
		bool first = true;
		while (*p && n < HELP_LINES) {
			size_t len = strlen(p), cut = len;
			if ((int)len > room) { /* the last space that fits (the texts are ASCII) */
				cut = (size_t)room;
				while (cut > 0 && p[cut] != ' ')
					cut--;
				if (cut == 0)
					cut = (size_t)room;
			}
			snprintf(lines[n], sizeof lines[n], "  %-8s %.*s", first ? ac->keyname : "", (int)cut, p);
			attr[n++] = off ? A_DIM : A_NORMAL;
			p += cut;
			while (*p == ' ')
				p++;
			first = false;
		}
	}
	size_t shown = LINES - 3 > 1 ? (size_t)(LINES - 4) : 1; /* title, message, footer */
	size_t max = n > shown ? n - shown : 0;
	if (a->help_top > max)
		a->help_top = max;
	char title[160];
	if (n > shown)
		snprintf(title, sizeof title, "  seetop keys %zu-%zu/%zu (j/k scroll; q or Esc closes this help)",
			 a->help_top + 1, a->help_top + shown, n);
	else
		snprintf(title, sizeof title, "  seetop keys (q or Esc closes this help)");
	int y = 1;
	put_str(y++, 0, COLS, title, A_BOLD);
	for (size_t i = a->help_top; i < n && y < LINES - 2; i++)
		put_str(y++, 0, COLS, lines[i], attr[i]);
	while (y < LINES - 2)
		put_str(y++, 0, COLS, "", A_NORMAL);
}

static void draw_results(app *a)
{
	int y = 1;
	char title[160];
	snprintf(title, sizeof title, "  the last bulk action, %zu execution%s (j/k scroll, v or Esc closes)", a->n_results,
		 a->n_results == 1 ? "" : "s");
	put_str(y++, 0, COLS, title, A_BOLD);
	for (size_t i = a->results_top; i < a->n_results && y < LINES - 2; i++) {
		char line[800];
		size_t o = 0;
		line[0] = '\0';
		cat_fit(line, sizeof line, &o, "  ", 2, 2);
		cat_fit(line, sizeof line, &o, a->results[i], strlen(a->results[i]), COLS - 4 > 8 ? COLS - 4 : 8);
		bool bad = strncmp(a->results[i], "refused", 7) == 0;
		put_str(y++, 0, COLS, line, bad ? look_attr(COLOR_FAILED) : A_NORMAL);
	}
	while (y < LINES - 2)
		put_str(y++, 0, COLS, "", A_NORMAL);
}

/* What the screen showed when it was last drawn: the main screen, another
 * mode or a terminal too small, and its size.  Only the main screen is
 * kept line by line (draw_help and draw_results draw on an erased one). */
enum { SHOWN_NONE, SHOWN_MAIN, SHOWN_OTHER };
static struct {
	int mode, cols, lines;
} screen_shown;

void draw_screen(app *a)
{
	int mode = COLS < MIN_W || LINES < MIN_H || a->help || a->show_results ? SHOWN_OTHER : SHOWN_MAIN;
	/* the main screen again, as large: each line is drawn only if it
	 * changed, without erasing (which would make every cell new) */
	if (mode != SHOWN_MAIN || screen_shown.mode != SHOWN_MAIN || screen_shown.cols != COLS ||
	    screen_shown.lines != LINES) {
		erase();
		shown_forget();
	}
	screen_shown.mode = mode;
	screen_shown.cols = COLS;
	screen_shown.lines = LINES;
	if (COLS < MIN_W || LINES < MIN_H) {
		char buf[128];
		snprintf(buf, sizeof buf, "terminal too small (%dx%d): seetop needs %dx%d", COLS, LINES, MIN_W, MIN_H);
		mvaddnstr(0, 0, buf, COLS);
		refresh();
		return;
	}
	draw_header(a);
	if (a->help) {
		draw_help(a);
	} else if (a->show_results) {
		draw_results(a);
	} else {
		int lh = draw_list_height();
		a->list_h = lh;
		int rest = LINES - 4 - lh - 2;
		/* the tasks take the rows they need; the detail gives way first,
		 * down to 2 rows */
		int need = a->have_item ? (int)a->item.n_tasks : 0;
		int th = rest / 3 < 2 ? 2 : rest / 3;
		if (need > th)
			th = need < rest - 2 ? need : rest - 2;
		if (th < 2)
			th = 2;
		int dh = rest - th;
		draw_execs(a, 1, lh, false);
		draw_tasks(a, 2 + lh, th);
		draw_detail(a, 3 + lh + th, dh);
	}
	draw_footer(a);
	draw_prompt_line(a);
	refresh();
}

void draw_tick(app *a)
{
	if (COLS < MIN_W || LINES < MIN_H || a->help || a->show_results) {
		draw_screen(a);
		return;
	}
	draw_header(a);
	draw_execs(a, 1, draw_list_height(), true);
	draw_prompt_line(a);
	refresh();
}

/* Draws the prompt: the label, then the value (reversed while the
 * pre-filled default is selected), scrolled by display width so that the
 * cursor stays in view; returns the cursor's column. */
static int prompt_draw(const char *label, const char *buf, size_t pos, bool selected)
{
	int lw = text_width(label, strlen(label)), cw = lw + text_width(buf, pos);
	int skip = cw >= COLS ? cw - COLS + 1 : 0, col = 0, x = 0;
	move(LINES - 2, 0);
	for (int part = 0; part < 2; part++) {
		const char *s = part ? buf : label;
		size_t len = strlen(s);
		attrset(A_BOLD | (part && selected ? A_REVERSE : 0));
		for (size_t i = 0; i < len;) {
			unsigned cp;
			size_t n = text_utf8_seq((const unsigned char *)s + i, len - i, &cp);
			if (n == 0)
				n = 1, cp = '?';
			int w = text_cp_width(cp);
			if (col >= skip && x + w <= COLS) {
				addnstr(s + i, (int)n);
				x += w;
			}
			col += w;
			i += n;
		}
	}
	attrset(A_NORMAL);
	for (; x < COLS; x++)
		addch(' ');
	return cw - skip;
}

/* The cursor shows only in a prompt; hidden, it stays wherever the last
 * change left it (leaveok), so that a tick that changes the clock moves it
 * there only, not back to where it rested. */
static void cursor_show(bool on)
{
	curs_set(on);
	leaveok(stdscr, !on);
}

/* The prompt's line at the bottom, with the cursor in it; an error above
 * it says why a value was refused.  A stale prompt says what changed. */
void draw_prompt_line(app *a)
{
	const prompt *p = &a->prompt;
	if (!prompt_is_open(p) || COLS < MIN_W || LINES < MIN_H) {
		cursor_show(false);
		return;
	}
	/* drawn over what the screen keeps of them */
	shown_drop(LINES - 3);
	shown_drop(LINES - 2);
	if (p->state == PROMPT_STALE) {
		/* what changed above, and that nothing goes */
		put_str(LINES - 3, 0, COLS, p->why, A_BOLD | look_attr(COLOR_FAILED));
		put_str(LINES - 2, 0, COLS,
			p->buf ? "nothing was sent (Enter or Esc closes)" : "nothing was sent (any key closes)",
			A_BOLD | look_attr(COLOR_FAILED));
		cursor_show(false);
		return;
	}
	if (a->msg[0] && a->msg_error)
		put_str(LINES - 3, 0, COLS, a->msg, A_BOLD | look_attr(COLOR_FAILED));
	if (p->state == PROMPT_ASKING) {
		put_str(LINES - 2, 0, COLS, p->label, A_BOLD | look_attr(COLOR_WAITING));
		cursor_show(false);
		return;
	}
	char shown[sizeof p->label * 2];
	text_escape(shown, sizeof shown, p->label, strlen(p->label));
	int x = prompt_draw(shown, p->buf, p->pos, p->selected);
	cursor_show(true);
	move(LINES - 2, x < COLS ? x : COLS - 1);
}


void draw_batch_frame(app *a, int width, int height)
{
	char line[1200], clock[32], role[128];
	clock_text(a, clock, sizeof clock);
	role_text(a, false, role, sizeof role);
	printf("seetop [RO]  %s%srunning %llu  waiting %llu  complete %llu  failed %llu  %s  %s\n",
	       role, role[0] ? "  " : "", (unsigned long long)a->counts[EXEC_RUNNING],
	       (unsigned long long)a->counts[EXEC_WAITING], (unsigned long long)a->counts[EXEC_COMPLETE],
	       (unsigned long long)a->counts[EXEC_FAILED], clock, a->home);
	measure_ids(a, 0, height > 0 ? (size_t)height : a->n_rows, width);
	exec_title(line, sizeof line, width);
	puts(line);
	for (size_t i = 0; i < a->n_rows && (height <= 0 || (int)i < height); i++) {
		exec_row_text(a, line, sizeof line, &a->rows[i], width, false);
		puts(line);
	}
	puts("");
	fflush(stdout);
}
