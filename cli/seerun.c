/* seerun - the reference engine: runs a workflow file of the see engine
 * against a seetop store, and goes on when an operator answers.
 *
 * One process drives one execution.  A single poll waits on the commands'
 * output, on the store's push and on signals (a self-pipe); an engine
 * waiting for input sleeps in poll and uses no CPU.  Every change is an
 * engine call of libseestore: a compare-and-set that an operator's pause,
 * resume or answer wins, so the engine re-reads the task when refused.  A
 * pause of a running command stops its process group (SIGSTOP) and a
 * resume continues it (SIGCONT). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "exits.h"
#include "store.h"
#include "text.h"
#include "workflow.h"

enum { EXIT_COMPLETE = EXIT_DONE, EXIT_FAILED = EXIT_REFUSED }; /* exits.h */

#define LOG_FLUSH_MS 50            /* output reaches the store at least this often */
#define LOG_FLUSH_LINES 1024
#define LOG_FLUSH_BYTES (256u << 10)
#define KILL_GRACE_MS 5000         /* SIGTERM, then SIGKILL */
#define OUTPUT_GRACE_MS 2000       /* output read after a command exits, while a process it started holds it */
#define LOG_CAP_DEFAULT (64ull << 20) /* bytes of a task's log, per run of its command */
#define LOG_CAP_MIN (64ull << 10)
#define LOG_CAP_MAX (1ull << 40)

typedef enum lstate {
	L_BLOCKED,       /* its parent has not completed */
	L_READY,         /* may start */
	L_HELD,          /* an operator paused it before it ran: waits for a resume */
	L_RUNNING,       /* a command runs */
	L_STOPPED,       /* a command an operator paused (SIGSTOP) */
	L_EXITED_PAUSED, /* the command ended while paused: reported once resumed */
	L_ASKED,         /* waits for an answer */
	L_DONE,
	L_FAILED,
} lstate;

typedef struct job {
	lstate st;
	bool begun;          /* in progress in the store (resumed while blocked, or continued) */
	pid_t pid;
	int out;             /* the command's stdout and stderr; -1 once at its end */
	bool exited;
	int64_t exited_at;   /* ms, monotonic */
	int wstatus;
	char *part;          /* a line not yet ended */
	size_t part_len, part_cap;
	record_text *pend;   /* whole lines not yet in the store */
	size_t n_pend, pend_bytes;
	/* The log's cap: the store only appends, so the first half of the cap
	 * is stored as it comes; past it the newest lines wait in a ring of the
	 * other half, stored when the command ends after a line that says how
	 * many were dropped in between.  Sizes are line_cost()s. */
	uint64_t cap;        /* the run's log_cap */
	uint64_t head_cost;  /* stored (or pending) in this run of the command */
	bool capped;         /* past the first half: lines go to the ring */
	char *ring;          /* the newest lines, each ended by '\n', wrapping around */
	size_t ring_size, ring_start, ring_used;
	uint64_t ring_cost;
	uint64_t dropped;    /* lines that left the ring */
	char *answer;        /* an input task's answer, once used */
	bool fail_told;      /* its failure was told (once, whoever saw it first) */
	int64_t since;       /* ms (monotonic) it began running or asking; 0: not seen */
} job;

typedef struct run {
	store *st;
	workflow wf;
	char exec_id[RECORD_ID_BUF];
	job *jobs;
	long max_jobs;
	long running;
	bool failing;        /* a task failed: nothing new starts */
	int stopping;        /* the signal that asked us to stop */
	int64_t stop_at;     /* ms: when SIGKILL follows SIGTERM */
	int watch_fd;
	uint64_t seq;        /* the last audit event seen */
	bool ended;          /* someone else ended the execution */
	pid_t engine_pid;
	uint64_t log_cap;    /* bytes of a task's log (its lines and their newlines) */
	bool progress;       /* a line per task transition on stderr: a terminal, not --quiet */
	bool ascii;          /* the locale is not UTF-8: ASCII glyphs */
	int64_t t0;          /* ms (monotonic) the run began */
	size_t failed;       /* the first task that failed (SIZE_MAX: none), and why */
	char *failed_why;
} run;

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (write(sig_pipe[1], &b, 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("seerun: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int store_failed(const store_err *err)
{
	say("%s", err->msg);
	return exit_for_store(err->code);
}

/* ---- telling what happens ---- */

enum glyph { G_RUN, G_DONE, G_FAIL, G_ASK, G_PAUSE };
static const char *const glyphs[][2] = {
	[G_RUN] = { "\u25b6", ">" }, [G_DONE] = { "\u2713", "+" }, [G_FAIL] = { "\u2717", "x" },
	[G_ASK] = { "?", "?" },       [G_PAUSE] = { "\u2016", "=" },
};

/* A span of milliseconds: 3.2s, 5m12s, 3h04m. */
static void span(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	int64_t s = ms / 1000;
	if (s < 60)
		snprintf(buf, len, "%lld.%llds", (long long)s, (long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
}

/* One line on stderr for a task's transition, when r->progress:
 * "GLYPH TASK-ID TEXT". */
static void tell(const run *r, size_t i, enum glyph g, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void tell(const run *r, size_t i, enum glyph g, const char *fmt, ...)
{
	if (!r->progress)
		return;
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s%s\n", glyphs[g][r->ascii], r->wf.tasks[i].id, text);
}

/* How long a task has run or waited, as " 3.2s" (empty when not known). */
static void took(const run *r, size_t i, char *buf, size_t len)
{
	*buf = '\0';
	if (r->jobs[i].since) {
		buf[0] = ' ';
		span(buf + 1, len - 1, now_ms() - r->jobs[i].since);
	}
}

/* "? approve waits: PROMPT (2h, then fail)", the prompt's first line cut
 * to the terminal, and its deadline if it has one. */
static void tell_asks(const run *r, size_t i)
{
	if (!r->progress)
		return;
	const wf_task *t = &r->wf.tasks[i];
	const char *prompt = t->prompt ? t->prompt : "";
	size_t len = strcspn(prompt, "\n");
	char deadline[64] = "";
	if (t->timeout_s) {
		char d[32];
		text_span(d, sizeof d, (long long)t->timeout_s);
		snprintf(deadline, sizeof deadline, " (%s, then %s)", d, record_on_timeout_name(t->on_timeout));
	}
	struct winsize ws;
	int cols = ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
	int room = cols - text_width(t->id, strlen(t->id)) - 10 - (int)strlen(deadline);
	char cut[1024];
	text_fit(cut, sizeof cut, prompt, len, room < 10 ? 10 : room, false, r->ascii, NULL);
	tell(r, i, G_ASK, " waits: %s%s", cut, deadline);
}

static void usage(FILE *f)
{
	fputs("usage: seerun [--home DIR] [--config FILE] [--id ID] [--jobs N] [--log-cap SIZE] [-q] FILE\n"
	      "       seerun [--home DIR] --continue ID [FILE]\n"
	      "       seerun --check FILE\n"
	      "Runs a workflow file of the see engine (JSON: cli_command and user_input tasks\n"
	      "in a next_tasks tree) in a seetop store, and waits for operators' answers.\n"
	      "Prints the execution id as its first line, then runs to the end; on a terminal it tells\n"
	      "each task's transitions on stderr, and a summary at the end.  FILE - reads the\n"
	      "workflow from standard input.\n"
	      "  --home DIR      the store (else $SEETOP_HOME, the config's home, $XDG_STATE_HOME/seetop,\n"
	      "                  ~/.local/state/seetop); on another host: ssh://[USER@]HOST[:PORT]/PATH\n"
	      "  --config FILE   the config file (else $SEETOP_CONFIG, ~/.config/seetop/config.yaml)\n"
	      "  --id ID         the execution's id (else WORKFLOW-ID-TIME-RANDOM)\n"
	      "  --jobs N        commands run at once (default: the number of cores)\n"
	      "  --continue ID   drive an execution whose engine died: complete tasks stay complete,\n"
	      "                  waiting ones wait, in-progress commands run again; FILE defaults to\n"
	      "                  the file it was started from, which must be unchanged\n"
	      "  --check FILE    check the file without running it (no store): each problem as\n"
	      "                  FILE:LINE:COL, or the task tree; exit 0 valid, 2 problems\n"
	      "  --log-cap SIZE  bytes of a task's log, such as 512K, 64M (default 64M, or\n"
	      "                  $SEERUN_LOG_CAP): past it the newest lines are kept\n"
	      "  -q, --quiet     print only the execution id (and why, when it fails)\n"
	      "  -h, --help      this help;  -V, --version  the version\n"
	      "Answers reach later commands as SEETOP_INPUT_<TASK ID>.\n"
	      "Exit status: 0 complete, 1 failed (why on stderr), 2 bad file or usage, 3 storage error,\n"
	      "130/143 stopped by SIGINT/SIGTERM (continue it with --continue).\n",
	      f);
}

/* ---- the store's side of a task ---- */

static size_t task_index(const run *r, const char *id)
{
	for (size_t i = 0; i < r->wf.n; i++)
		if (strcmp(r->wf.tasks[i].id, id) == 0)
			return i;
	return SIZE_MAX;
}

static bool parent_done(const run *r, size_t i)
{
	size_t p = r->wf.tasks[i].parent;
	return p == SIZE_MAX || r->jobs[p].st == L_DONE;
}

/* Reads one task's record; STORE_OK or what the store said (reported). */
static store_code read_task(run *r, size_t i, record_task *t, int *exit_code)
{
	store_item it;
	store_err err;
	memset(t, 0, sizeof *t);
	store_code c = store_get_item(r->st, r->exec_id, &it, &err);
	if (c) {
		*exit_code = store_failed(&err);
		return c;
	}
	for (size_t k = 0; k < it.n_tasks; k++)
		if (strcmp(it.tasks[k].task_id, r->wf.tasks[i].id) == 0) {
			*t = it.tasks[k];
			memset(&it.tasks[k], 0, sizeof it.tasks[k]);
			break;
		}
	if (it.exec.status == EXEC_COMPLETE || it.exec.status == EXEC_FAILED)
		r->ended = true;
	store_item_free(&it);
	return STORE_OK;
}

static void ready_children(run *r, size_t i)
{
	const wf_task *t = &r->wf.tasks[i];
	for (size_t k = 0; k < t->n_next; k++)
		if (r->jobs[t->next[k]].st == L_BLOCKED)
			r->jobs[t->next[k]].st = L_READY;
}

static void mark_done(run *r, size_t i)
{
	char t[32];
	took(r, i, t, sizeof t);
	tell(r, i, G_DONE, "%s", t);
	r->jobs[i].st = L_DONE;
	ready_children(r, i);
}

/* A task failed (by its command, or by an operator): nothing new starts,
 * and the first failure's reason is told at the end. */
static void note_failure(run *r, size_t i, const char *why)
{
	job *j = &r->jobs[i];
	r->failing = true;
	if (j->fail_told)
		return;
	j->fail_told = true;
	char safe[400];
	text_escape(safe, sizeof safe, why, strlen(why));
	tell(r, i, G_FAIL, ": %s", safe);
	if (r->failed == SIZE_MAX) {
		r->failed = i;
		r->failed_why = strdup(safe);
	}
}

static void mark_failed(run *r, size_t i, const char *why)
{
	r->jobs[i].st = L_FAILED;
	note_failure(r, i, why);
}

/* A failed task's reason as the store keeps it. */
static const char *reason_of(const record_task *t)
{
	return t->has_reason && t->reason.s ? t->reason.s : "failed";
}

/* The answer of an input task the store resumed: its value, else its default. */
static char *answer_of(const record_task *t)
{
	if (t->has_input_value)
		return strdup(t->input_value.s);
	if (t->has_input_default)
		return strdup(t->input_default.s);
	return strdup("");
}

/* ---- logs ---- */

static int flush_logs(run *r, size_t i, int *exit_code)
{
	job *j = &r->jobs[i];
	while (j->n_pend) {
		size_t n = j->n_pend > STORE_LOG_BATCH_MAX ? STORE_LOG_BATCH_MAX : j->n_pend;
		store_err err;
		if (store_task_log(r->st, r->exec_id, r->wf.tasks[i].id, j->pend, n, NULL, &err)) {
			*exit_code = store_failed(&err);
			return -1;
		}
		for (size_t k = 0; k < n; k++)
			free(j->pend[k].s);
		memmove(j->pend, j->pend + n, (j->n_pend - n) * sizeof *j->pend);
		j->n_pend -= n;
	}
	j->pend_bytes = 0;
	return 0;
}

/* A size in bytes as the cap is given: 64 MiB, 512 KiB, 1000 bytes. */
static void size_text(char *buf, size_t len, uint64_t n)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(n >> 20));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, len, "%llu KiB", (unsigned long long)(n >> 10));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
}

/* A size as --log-cap and $SEERUN_LOG_CAP give it: bytes, or with K, M or G
 * (powers of 1024).  0 or -1. */
static int size_parse(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!(*s >= '0' && *s <= '9'))
		return -1;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	int shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (shift && (*end == 'i' || *end == 'I') && (end[1] == 'B' || end[1] == 'b'))
		end += 2;
	else if (shift && (*end == 'B' || *end == 'b'))
		end++;
	if (*end || n > (LOG_CAP_MAX >> shift))
		return -1;
	*out = (uint64_t)n << shift;
	return 0;
}

/* Takes `s` (malloc'd, n bytes) as the next line for the store. */
static int queue_line(job *j, char *s, size_t n)
{
	if (j->n_pend % 256 == 0) {
		record_text *v = realloc(j->pend, (j->n_pend + 256) * sizeof *v);
		if (!v) {
			free(s);
			return -1;
		}
		j->pend = v;
	}
	j->pend[j->n_pend].s = s;
	j->pend[j->n_pend].len = n;
	j->n_pend++;
	j->pend_bytes += n;
	return 0;
}

static int queue_note(job *j, const char *note)
{
	char *s = strdup(note);
	return s ? queue_line(j, s, strlen(s)) : -1;
}

/* What a line of n bytes costs against the cap: its bytes, its newline, and
 * about what the store spends on its record (a key of its own), so that a
 * command printing "y" lines is held to the same disk space as any other. */
#define LOG_LINE_OVERHEAD 32
static uint64_t line_cost(size_t n)
{
	return (uint64_t)n + 1 + LOG_LINE_OVERHEAD;
}

/* The bytes of the ring's oldest line (without its '\n'). */
static size_t ring_oldest(const job *j)
{
	size_t seg = j->ring_size - j->ring_start;
	if (seg > j->ring_used)
		seg = j->ring_used;
	const char *nl = memchr(j->ring + j->ring_start, '\n', seg);
	if (nl)
		return (size_t)(nl - (j->ring + j->ring_start));
	nl = memchr(j->ring, '\n', j->ring_used - seg);
	return seg + (size_t)(nl - j->ring);
}

/* Keeps a line among the newest of a log past the first half of its cap,
 * dropping the oldest past the other half.  A line longer than the ring is
 * cut to its size. */
static int ring_push(job *j, const char *p, size_t n)
{
	if (!j->ring) {
		j->ring_size = (size_t)(j->cap / 2);
		if (!(j->ring = malloc(j->ring_size))) {
			j->dropped++;
			return -1;
		}
		j->ring_start = j->ring_used = 0;
		j->ring_cost = 0;
	}
	if (n + 1 > j->ring_size)
		n = j->ring_size - 1;
	while (j->ring_used && (j->ring_used + n + 1 > j->ring_size || j->ring_cost + line_cost(n) > j->cap / 2)) {
		size_t old = ring_oldest(j);
		j->ring_start = (j->ring_start + old + 1) % j->ring_size;
		j->ring_used -= old + 1;
		j->ring_cost -= line_cost(old);
		j->dropped++;
	}
	size_t at = (j->ring_start + j->ring_used) % j->ring_size;
	size_t first = j->ring_size - at < n ? j->ring_size - at : n;
	memcpy(j->ring + at, p, first);
	memcpy(j->ring, p + first, n - first);
	j->ring[(at + n) % j->ring_size] = '\n';
	j->ring_used += n + 1;
	j->ring_cost += line_cost(n);
	return 0;
}

/* One line of a command's output: to the store while the log is within the
 * first half of its cap, else to the ring. */
static int add_line(job *j, const char *p, size_t n)
{
	if (!j->capped && j->head_cost + line_cost(n) <= j->cap / 2) {
		char *s = malloc(n + 1);
		if (!s)
			return -1;
		memcpy(s, p, n);
		s[n] = '\0';
		j->head_cost += line_cost(n);
		return queue_line(j, s, n);
	}
	if (!j->capped) {
		char cap[32], note[200];
		size_text(cap, sizeof cap, j->cap);
		snprintf(note, sizeof note,
			 "seerun: this log reached half its cap of %s: the newest lines are kept, and stored when the "
			 "command ends", cap);
		j->capped = true;
		queue_note(j, note);
	}
	return ring_push(j, p, n);
}

static void ring_free(job *j)
{
	free(j->ring);
	j->ring = NULL;
	j->ring_used = 0;
}

/* A command ended: the newest lines of a capped log go to the store, after
 * a line that says how many were dropped before them.  0, or -1 with
 * *exit_code (reported). */
static int end_log(run *r, size_t i, int *exit_code)
{
	job *j = &r->jobs[i];
	if (j->dropped) {
		char cap[32], note[200];
		size_text(cap, sizeof cap, j->cap);
		snprintf(note, sizeof note, "seerun: %llu lines dropped here (the log's cap is %s: the newest are kept)",
			 (unsigned long long)j->dropped, cap);
		queue_note(j, note);
		j->dropped = 0;
	}
	if (flush_logs(r, i, exit_code) < 0 || !j->ring_used) {
		bool failed = j->n_pend > 0; /* flush_logs leaves what it could not store */
		ring_free(j);
		return failed ? -1 : 0;
	}
	/* in batches pointing into the ring; the one line that wraps around is copied */
	record_text *batch = malloc(STORE_LOG_BATCH_MAX * sizeof *batch);
	char *wrapped = NULL;
	int rc = 0;
	bool oom = !batch;
	size_t n = 0, bytes = 0;
	while (!oom && rc == 0 && j->ring_used) {
		size_t len = ring_oldest(j);
		char *s = j->ring + j->ring_start;
		if (j->ring_start + len > j->ring_size) {
			size_t first = j->ring_size - j->ring_start;
			if (!(wrapped = malloc(len))) {
				oom = true;
				break;
			}
			memcpy(wrapped, s, first);
			memcpy(wrapped + first, j->ring, len - first);
			s = wrapped;
		}
		batch[n++] = (record_text){ .s = s, .len = len };
		bytes += len;
		j->ring_start = (j->ring_start + len + 1) % j->ring_size;
		j->ring_used -= len + 1;
		if (n == STORE_LOG_BATCH_MAX || bytes >= 4 * LOG_FLUSH_BYTES || !j->ring_used || s == wrapped) {
			store_err err;
			if (store_task_log(r->st, r->exec_id, r->wf.tasks[i].id, batch, n, NULL, &err)) {
				*exit_code = store_failed(&err);
				rc = -1;
			}
			n = bytes = 0;
			free(wrapped);
			wrapped = NULL;
		}
	}
	if (oom) {
		say("out of memory");
		*exit_code = EXIT_STORAGE;
		rc = -1;
	}
	free(batch);
	ring_free(j);
	return rc;
}

/* Splits what the command wrote into lines; a line longer than the store's
 * bound is cut into several. */
static int take_output(job *j, const char *p, size_t n, bool at_end)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' || j->part_len == STORE_LOG_LINE_MAX) {
			size_t len = j->part_len;
			if (len && j->part[len - 1] == '\r')
				len--;
			if (add_line(j, j->part ? j->part : "", len) < 0)
				return -1;
			j->part_len = 0;
			if (p[i] == '\n')
				continue;
		}
		if (j->part_len == j->part_cap) {
			size_t cap = j->part_cap ? j->part_cap * 2 : 256;
			char *v = realloc(j->part, cap);
			if (!v)
				return -1;
			j->part = v;
			j->part_cap = cap;
		}
		j->part[j->part_len++] = p[i];
	}
	if (at_end && j->part_len) {
		if (add_line(j, j->part, j->part_len) < 0)
			return -1;
		j->part_len = 0;
	}
	return 0;
}

static void read_output(job *j)
{
	char buf[65536];
	for (int rounds = 0; rounds < 16 && j->out >= 0; rounds++) {
		ssize_t n = read(j->out, buf, sizeof buf);
		if (n > 0) {
			take_output(j, buf, (size_t)n, false);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		take_output(j, NULL, 0, true);
		close(j->out);
		j->out = -1;
	}
}

/* A command exited, but a process it started (a daemon, something in the
 * background) still holds its output: the task ends with the command, and a
 * last line says what was not read. */
static void let_output_go(job *j)
{
	read_output(j);
	if (j->out < 0)
		return;
	take_output(j, NULL, 0, true);
	static const char note[] = "seerun: the command exited; a process it started still holds its output, which is "
				   "not read after 2 s";
	add_line(j, note, sizeof note - 1);
	close(j->out);
	j->out = -1;
}

/* ---- commands ---- */

static int spawn(run *r, size_t i)
{
	const wf_task *t = &r->wf.tasks[i];
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		say("cannot run task '%s': %s", t->id, strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		say("cannot run task '%s': %s", t->id, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* a command does not outlive a killed engine: it runs again when
		 * the execution is continued */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != r->engine_pid)
			_exit(128 + SIGTERM);
		setpgid(0, 0);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		for (size_t k = 0; k < r->wf.n; k++)
			if (r->jobs[k].answer) {
				char name[300];
				workflow_env_name(r->wf.tasks[k].id, name, sizeof name);
				setenv(name, r->jobs[k].answer, 1);
			}
		setenv("SEETOP_EXECUTION_ID", r->exec_id, 1);
		setenv("SEETOP_TASK_ID", t->id, 1);
		char **argv = calloc(t->n_args + 2, sizeof *argv);
		if (argv) {
			argv[0] = t->command;
			for (size_t k = 0; k < t->n_args; k++)
				argv[k + 1] = t->args[k];
			execvp(t->command, argv);
		}
		dprintf(2, "seerun: cannot run '%s': %s\n", t->command, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* as the child does: whichever runs first */
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	job *j = &r->jobs[i];
	j->pid = pid;
	j->out = p[0];
	j->exited = false;
	j->st = L_RUNNING;
	j->since = now_ms();
	j->head_cost = 0;
	j->capped = false;
	j->cap = r->log_cap;
	r->running++;
	tell(r, i, G_RUN, " started");
	return 0;
}

static void signal_job(job *j, int sig)
{
	if (j->pid > 0 && !j->exited)
		kill(-j->pid, sig);
}

/* What a command's end says, as a reason for failing its task. */
static void exit_reason(int ws, char *buf, size_t len)
{
	if (WIFSIGNALED(ws))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(ws));
}

/* Reports a command's end: complete, or failed with why.  When an operator
 * paused the task in between, it is reported once resumed. */
static int report_exit(run *r, size_t i, int *exit_code)
{
	job *j = &r->jobs[i];
	const char *id = r->wf.tasks[i].id;
	store_err err;
	char reason[200];
	if (end_log(r, i, exit_code) < 0 || flush_logs(r, i, exit_code) < 0)
		return -1;
	bool ok = WIFEXITED(j->wstatus) && WEXITSTATUS(j->wstatus) == 0;
	exit_reason(j->wstatus, reason, sizeof reason);
	store_code c = ok ? store_task_complete(r->st, r->exec_id, id, &err)
			  : store_task_fail(r->st, r->exec_id, id, reason, &err);
	if (c == STORE_OK) {
		if (ok)
			mark_done(r, i);
		else
			mark_failed(r, i, reason);
		return 0;
	}
	if (c != STORE_INVALID_STATE) {
		*exit_code = store_failed(&err);
		return -1;
	}
	record_task t;
	if (read_task(r, i, &t, exit_code))
		return -1;
	if (t.status == TASK_WAITING)
		j->st = L_EXITED_PAUSED;
	else if (t.status == TASK_COMPLETE)
		mark_done(r, i);
	else
		mark_failed(r, i, reason_of(&t));
	record_task_free(&t);
	return 0;
}

/* ---- starting a task ---- */

static int ask_or_answer(run *r, size_t i, const record_task *t, int *exit_code);

/* A task whose parent completed: in progress in the store, then run. */
static int start_task(run *r, size_t i, int *exit_code)
{
	job *j = &r->jobs[i];
	const wf_task *w = &r->wf.tasks[i];
	store_err err;
	record_task t;
	if (!j->begun) {
		store_code c = store_task_begin(r->st, r->exec_id, w->id, &err);
		if (c && c != STORE_INVALID_STATE) {
			*exit_code = store_failed(&err);
			return -1;
		}
		if (c == STORE_INVALID_STATE) {
			if (read_task(r, i, &t, exit_code))
				return -1;
			task_status s = t.status;
			if (r->ended) {
				record_task_free(&t);
				return 0;
			}
			if (s == TASK_WAITING && !(w->kind == WF_INPUT && t.input_asked)) {
				j->st = L_HELD; /* paused before it ran */
				tell(r, i, G_PAUSE, " held: paused before it ran");
				record_task_free(&t);
				return 0;
			}
			if (s == TASK_COMPLETE) {
				if (w->kind == WF_INPUT)
					j->answer = answer_of(&t);
				mark_done(r, i);
				record_task_free(&t);
				return 0;
			}
			if (s == TASK_FAILED) {
				mark_failed(r, i, reason_of(&t));
				record_task_free(&t);
				return 0;
			}
			record_task_free(&t);
			if (s == TASK_WAITING) {
				j->st = L_ASKED;
				tell_asks(r, i);
				return 0;
			}
		}
		j->begun = true;
	}
	if (w->kind == WF_COMMAND)
		return spawn(r, i) < 0 ? (mark_failed(r, i, "the command could not start"), 0) : 0;
	if (read_task(r, i, &t, exit_code))
		return -1;
	int rc = ask_or_answer(r, i, &t, exit_code);
	record_task_free(&t);
	return rc;
}

/* An input task in progress: answered when it carries a value or was asked
 * before (resumed since); else asked now. */
static int ask_or_answer(run *r, size_t i, const record_task *t, int *exit_code)
{
	job *j = &r->jobs[i];
	const wf_task *w = &r->wf.tasks[i];
	store_err err;
	if (t->status == TASK_WAITING) {
		j->st = t->input_asked ? L_ASKED : L_HELD;
		if (j->st == L_ASKED)
			tell_asks(r, i);
		else
			tell(r, i, G_PAUSE, " held: paused before it ran");
		return 0;
	}
	if (t->status != TASK_IN_PROGRESS) {
		if (t->status == TASK_COMPLETE)
			mark_done(r, i);
		else if (t->status == TASK_FAILED)
			mark_failed(r, i, reason_of(t));
		return 0;
	}
	if (t->input_asked || t->has_input_value) {
		char *answer = answer_of(t);
		store_code c = store_task_complete(r->st, r->exec_id, w->id, &err);
		if (c == STORE_OK) {
			free(j->answer);
			j->answer = answer;
			mark_done(r, i);
			return 0;
		}
		free(answer);
		if (c != STORE_INVALID_STATE) {
			*exit_code = store_failed(&err);
			return -1;
		}
		return 0; /* changed meanwhile: the next push says how */
	}
	store_input_request rq = { w->prompt, w->type, w->default_text, w->default_text ? strlen(w->default_text) : 0,
				   w->required, w->timeout_s, w->on_timeout };
	store_code c = store_task_request_input(r->st, r->exec_id, w->id, &rq, &err);
	if (c == STORE_OK) {
		j->st = L_ASKED;
		j->since = now_ms();
		tell_asks(r, i);
		return 0;
	}
	if (c != STORE_INVALID_STATE) {
		*exit_code = store_failed(&err);
		return -1;
	}
	return 0;
}

static int schedule(run *r, int *exit_code)
{
	if (r->failing || r->stopping || r->ended)
		return 0;
	for (size_t i = 0; i < r->wf.n && !r->failing && !r->ended; i++) {
		job *j = &r->jobs[i];
		if (j->st != L_READY)
			continue;
		if (r->wf.tasks[i].kind == WF_COMMAND && r->running >= r->max_jobs)
			continue;
		if (start_task(r, i, exit_code) < 0)
			return -1;
	}
	return 0;
}

/* ---- what an operator did ---- */

/* Brings every task in step with the store after an operator's action. */
static int reconcile(run *r, int *exit_code)
{
	store_item it;
	store_err err;
	if (store_get_item(r->st, r->exec_id, &it, &err)) {
		*exit_code = store_failed(&err);
		return -1;
	}
	if ((it.exec.status == EXEC_COMPLETE || it.exec.status == EXEC_FAILED) && !r->ended) {
		/* cancelled (or ended by someone else): the running commands
		 * stop, SIGTERM then SIGKILL after the grace period */
		r->ended = true;
		r->stop_at = now_ms() + KILL_GRACE_MS;
		for (size_t i = 0; i < r->wf.n; i++) {
			signal_job(&r->jobs[i], SIGCONT);
			signal_job(&r->jobs[i], SIGTERM);
		}
	}
	int rc = 0;
	for (size_t k = 0; k < it.n_tasks && rc == 0; k++) {
		size_t i = task_index(r, it.tasks[k].task_id);
		if (i == SIZE_MAX)
			continue;
		job *j = &r->jobs[i];
		task_status s = it.tasks[k].status;
		if (s == TASK_FAILED && j->st != L_FAILED && j->st != L_DONE) {
			/* failed by someone else: its command stops */
			signal_job(j, SIGCONT);
			signal_job(j, SIGTERM);
			note_failure(r, i, reason_of(&it.tasks[k]));
			if (j->st != L_RUNNING && j->st != L_STOPPED)
				j->st = L_FAILED;
			continue;
		}
		switch (j->st) {
		case L_RUNNING:
			if (s == TASK_WAITING) {
				signal_job(j, SIGSTOP);
				j->st = L_STOPPED;
				tell(r, i, G_PAUSE, " paused");
			}
			break;
		case L_STOPPED:
			if (s == TASK_IN_PROGRESS) {
				signal_job(j, SIGCONT);
				j->st = L_RUNNING;
				tell(r, i, G_RUN, " resumed");
			}
			break;
		case L_EXITED_PAUSED:
			if (s == TASK_IN_PROGRESS)
				rc = report_exit(r, i, exit_code);
			break;
		case L_HELD:
			if (s == TASK_IN_PROGRESS) {
				j->begun = true;
				j->st = parent_done(r, i) ? L_READY : L_BLOCKED;
				tell(r, i, G_RUN, " resumed");
			}
			break;
		case L_BLOCKED:
			if (s == TASK_IN_PROGRESS)
				j->begun = true; /* resumed before it could run: runs when ready */
			break;
		case L_ASKED:
			if (s == TASK_IN_PROGRESS)
				rc = ask_or_answer(r, i, &it.tasks[k], exit_code);
			break;
		default:
			break;
		}
	}
	store_item_free(&it);
	return rc;
}

/* A push: read what happened to this execution since the last event seen. */
static int on_push(run *r, int *exit_code)
{
	bool act = false;
	for (;;) {
		record_event *ev;
		size_t n;
		store_err err;
		if (store_events_after(r->st, r->exec_id, r->seq, 1000, &ev, &n, &err)) {
			*exit_code = store_failed(&err);
			return -1;
		}
		for (size_t k = 0; k < n; k++) {
			r->seq = ev[k].seq;
			const char *a = ev[k].action;
			/* the engine's own transitions need nothing; an operator's do */
			if (strcmp(a, "begin") && strcmp(a, "complete") && strcmp(a, "fail") && strcmp(a, "request-input") &&
			    strcmp(a, "start") && strcmp(a, "attach"))
				act = true;
		}
		record_event_array_free(ev, n);
		if (n < 1000)
			break;
	}
	return act ? reconcile(r, exit_code) : 0;
}

/* ---- the loop ---- */

static void reap_children(run *r)
{
	int ws;
	pid_t pid;
	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
		for (size_t i = 0; i < r->wf.n; i++)
			if (r->jobs[i].pid == pid && !r->jobs[i].exited) {
				r->jobs[i].exited = true;
				r->jobs[i].exited_at = now_ms();
				r->jobs[i].wstatus = ws;
			}
}

/* "N of M tasks complete, 3.2s" */
static void tally(const run *r, char *buf, size_t len)
{
	size_t done = 0;
	for (size_t i = 0; i < r->wf.n; i++)
		done += r->jobs[i].st == L_DONE;
	char t[32];
	span(t, sizeof t, now_ms() - r->t0);
	snprintf(buf, len, "%zu of %zu tasks complete, %s", done, r->wf.n, t);
}

/* "task 'bad': exit status 3", the first failure seen. */
static void failure(const run *r, char *buf, size_t len)
{
	if (r->failed == SIZE_MAX)
		snprintf(buf, len, "a task failed");
	else
		snprintf(buf, len, "task '%s': %s", r->wf.tasks[r->failed].id, r->failed_why ? r->failed_why : "failed");
}

static bool all_done(const run *r)
{
	for (size_t i = 0; i < r->wf.n; i++)
		if (r->jobs[i].st != L_DONE)
			return false;
	return true;
}

static int watch_connect(run *r)
{
	store_err err;
	if (store_watch(r->st, &r->watch_fd, &err)) {
		r->watch_fd = -1;
		return -1;
	}
	return 0;
}

static int loop(run *r)
{
	int exit_code = EXIT_FAILED;
	struct pollfd *pfd = calloc(r->wf.n + 2, sizeof *pfd);
	size_t *who = calloc(r->wf.n + 2, sizeof *who);
	if (!pfd || !who) {
		say("out of memory");
		free(pfd);
		free(who);
		return EXIT_STORAGE;
	}
	int64_t last_flush = now_ms();
	/* subscribe before the first look: an answer that comes between the
	 * look and the subscription would never be pushed */
	watch_connect(r);
	if (reconcile(r, &exit_code) < 0)
		goto out;
	for (;;) {
		if (schedule(r, &exit_code) < 0)
			goto out;
		/* commands that ended, with all their output read */
		for (size_t i = 0; i < r->wf.n; i++) {
			job *j = &r->jobs[i];
			if ((j->st == L_RUNNING || j->st == L_STOPPED) && j->exited && j->out < 0) {
				r->running--;
				j->pid = 0;
				if (r->stopping || r->ended) {
					if (end_log(r, i, &exit_code) == 0)
						flush_logs(r, i, &exit_code);
					j->st = L_BLOCKED; /* in progress in the store: runs again on --continue */
					continue;
				}
				if (report_exit(r, i, &exit_code) < 0)
					goto out;
			}
		}
		if (r->running == 0) {
			store_err err;
			if (r->stopping) {
				exit_code = 128 + r->stopping;
				say("stopped by %s: continue with seerun --continue %s", strsignal(r->stopping), r->exec_id);
				goto out;
			}
			char why[600], n[100];
			tally(r, n, sizeof n);
			failure(r, why, sizeof why);
			if (r->ended) {
				say("execution '%s' was ended by someone else (cancelled?): %s (%s); see seectl history %s",
				    r->exec_id, why, n, r->exec_id);
				exit_code = EXIT_FAILED;
				goto out;
			}
			if (r->failing) {
				if (store_exec_finish(r->st, r->exec_id, EXEC_FAILED, &err) &&
				    err.code != STORE_INVALID_STATE) {
					exit_code = store_failed(&err);
					goto out;
				}
				say("execution '%s' failed: %s (%s)", r->exec_id, why, n);
				exit_code = EXIT_FAILED;
				goto out;
			}
			if (all_done(r)) {
				if (store_exec_finish(r->st, r->exec_id, EXEC_COMPLETE, &err)) {
					exit_code = store_failed(&err);
					goto out;
				}
				char t[32];
				span(t, sizeof t, now_ms() - r->t0);
				if (r->progress)
					say("execution '%s' complete: %zu tasks in %s", r->exec_id, r->wf.n, t);
				exit_code = EXIT_COMPLETE;
				goto out;
			}
		}
		size_t n = 0;
		pfd[n].fd = sig_pipe[0];
		pfd[n].events = POLLIN;
		who[n++] = SIZE_MAX;
		/* a (re)connected subscription first catches up on what it missed */
		if (r->watch_fd < 0 && watch_connect(r) == 0 && on_push(r, &exit_code) < 0)
			goto out;
		if (r->watch_fd >= 0) {
			pfd[n].fd = r->watch_fd;
			pfd[n].events = POLLIN;
			who[n++] = SIZE_MAX - 1;
		}
		bool pending = false;
		for (size_t i = 0; i < r->wf.n; i++) {
			job *j = &r->jobs[i];
			pending |= j->n_pend > 0;
			if (j->out >= 0 && j->st == L_RUNNING) {
				pfd[n].fd = j->out;
				pfd[n].events = POLLIN;
				who[n++] = i;
			}
		}
		int timeout = -1;
		if (pending)
			timeout = LOG_FLUSH_MS;
		for (size_t i = 0; i < r->wf.n; i++) {
			job *j = &r->jobs[i];
			if (j->exited && j->out >= 0) {
				int64_t left = j->exited_at + OUTPUT_GRACE_MS - now_ms();
				int ms = left < 0 ? 0 : (int)left + 1;
				if (timeout < 0 || ms < timeout)
					timeout = ms;
			}
		}
		if (r->watch_fd < 0)
			timeout = 1000;
		if (r->stop_at)
			timeout = 100;
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			exit_code = EXIT_STORAGE;
			goto out;
		}
		for (size_t k = 0; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (who[k] == SIZE_MAX) {
				unsigned char sigs[64];
				ssize_t got = read(sig_pipe[0], sigs, sizeof sigs);
				for (ssize_t s = 0; s < got; s++) {
					if (sigs[s] == SIGCHLD)
						continue;
					if (!r->stopping) {
						r->stopping = sigs[s];
						r->stop_at = now_ms() + KILL_GRACE_MS;
						for (size_t i = 0; i < r->wf.n; i++) {
							signal_job(&r->jobs[i], SIGTERM);
							signal_job(&r->jobs[i], SIGCONT);
						}
					}
				}
				reap_children(r);
			} else if (who[k] == SIZE_MAX - 1) {
				store_push push;
				store_err err;
				if (store_watch_read(r->st, &push, &err)) {
					r->watch_fd = -1; /* reconnects on the next turn, then catches up */
					if (reconcile(r, &exit_code) < 0 && exit_code == EXIT_STORAGE)
						goto out;
					continue;
				}
				bool ours = push.all;
				for (size_t i = 0; i < push.n_ids && !ours; i++)
					ours = strcmp(push.ids[i], r->exec_id) == 0;
				if (push.pushed && ours && on_push(r, &exit_code) < 0)
					goto out;
			} else {
				read_output(&r->jobs[who[k]]);
			}
		}
		/* a stopped command's output is read once it goes on; an exited
		 * command's, for a grace period */
		for (size_t i = 0; i < r->wf.n; i++)
			if (r->jobs[i].exited && r->jobs[i].out >= 0) {
				read_output(&r->jobs[i]);
				if (r->jobs[i].out >= 0 && now_ms() - r->jobs[i].exited_at >= OUTPUT_GRACE_MS)
					let_output_go(&r->jobs[i]);
			}
		if (r->stop_at && now_ms() >= r->stop_at) {
			for (size_t i = 0; i < r->wf.n; i++)
				signal_job(&r->jobs[i], SIGKILL);
			r->stop_at = 0;
		}
		int64_t now = now_ms();
		for (size_t i = 0; i < r->wf.n; i++) {
			job *j = &r->jobs[i];
			if (j->n_pend && (now - last_flush >= LOG_FLUSH_MS || j->n_pend >= LOG_FLUSH_LINES ||
					  j->pend_bytes >= LOG_FLUSH_BYTES))
				if (flush_logs(r, i, &exit_code) < 0)
					goto out;
		}
		if (now - last_flush >= LOG_FLUSH_MS)
			last_flush = now;
	}
out:
	/* nothing may outlive the engine: its commands stop with it */
	for (size_t i = 0; i < r->wf.n; i++)
		if (r->jobs[i].pid > 0 && !r->jobs[i].exited) {
			signal_job(&r->jobs[i], SIGTERM);
			signal_job(&r->jobs[i], SIGCONT);
		}
	free(pfd);
	free(who);
	return exit_code;
}

/* ---- starting and continuing ---- */

static int make_definition(run *r, const char *path, store_item *it)
{
	const workflow *w = &r->wf;
	memset(it, 0, sizeof *it);
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		snprintf(abs, sizeof abs, "%s", path);
	it->exec.id = strdup(r->exec_id);
	record_text_set(&it->exec.workflow_name, w->name, strlen(w->name));
	it->exec.definition = strdup(abs);
	it->exec.definition_hash = w->hash;
	it->exec.task_ids = calloc(w->n, sizeof *it->exec.task_ids);
	it->tasks = calloc(w->n, sizeof *it->tasks);
	if (!it->exec.id || !it->exec.task_ids || !it->tasks)
		return -1;
	for (size_t i = 0; i < w->n; i++) {
		const wf_task *t = &w->tasks[i];
		record_task *k = &it->tasks[i];
		it->exec.task_ids[i] = strdup(t->id);
		k->execution_id = strdup(r->exec_id);
		k->task_id = strdup(t->id);
		record_text_set(&k->task_name, t->name, strlen(t->name));
		const char *prompt = t->kind == WF_INPUT ? t->prompt : "";
		record_text_set(&k->input_prompt, prompt, strlen(prompt));
		if (t->kind == WF_INPUT) {
			k->has_input = true;
			k->input_type = t->type;
			k->input_required = t->required;
			if (t->has_default) {
				k->has_input_default = true;
				record_text_set(&k->input_default, t->default_text, strlen(t->default_text));
			}
			/* who may answer: the record keeps its own copies */
			k->no_self_approval = t->no_self_approval;
			k->respondents = t->n_respondents ? calloc(t->n_respondents, sizeof *k->respondents) : NULL;
			for (size_t n = 0; k->respondents && n < t->n_respondents; n++)
				if ((k->respondents[n] = strdup(t->respondents[n])))
					k->n_respondents++;
		}
		it->exec.n_task_ids = it->n_tasks = i + 1;
	}
	return 0;
}

static void new_id(run *r)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	unsigned char rnd[3] = { 0 };
	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
		rnd[0] = (unsigned char)getpid();
	snprintf(r->exec_id, sizeof r->exec_id, "%.100s-%s-%02x%02x%02x", r->wf.id, stamp, rnd[0], rnd[1], rnd[2]);
}

/* The local state of every task from the store's, for --continue. */
static int take_up(run *r, const store_item *it)
{
	for (size_t i = 0; i < r->wf.n; i++)
		r->jobs[i].st = L_BLOCKED;
	for (size_t k = 0; k < it->n_tasks; k++) {
		size_t i = task_index(r, it->tasks[k].task_id);
		const record_task *t = &it->tasks[k];
		job *j = &r->jobs[i];
		switch (t->status) {
		case TASK_COMPLETE:
			j->st = L_DONE;
			if (r->wf.tasks[i].kind == WF_INPUT)
				j->answer = answer_of(t);
			break;
		case TASK_FAILED:
			j->st = L_FAILED;
			note_failure(r, i, reason_of(t));
			break;
		case TASK_IN_PROGRESS:
			j->begun = true; /* a command runs again from the start */
			break;
		case TASK_WAITING:
			j->st = r->wf.tasks[i].kind == WF_INPUT && t->input_asked ? L_ASKED : L_HELD;
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < r->wf.n; i++)
		if (r->jobs[i].st == L_BLOCKED && parent_done(r, i))
			r->jobs[i].st = L_READY;
	return 0;
}

/* ---- a workflow read from standard input (FILE -) ---- */

/* The loader reads a file twice (its hash, then its text), so standard
 * input is first copied into an unnamed temporary file, which it reads
 * through /proc/self/fd; its messages name that file "-". */
static char stdin_copy[64];

/* The path the loader reads for FILE: itself, or for "-" the copy of
 * standard input (made once).  NULL, with why, when it cannot be made. */
static const char *load_path(const char *file, char *why, size_t cap)
{
	if (strcmp(file, "-") != 0 || stdin_copy[0])
		return strcmp(file, "-") == 0 ? stdin_copy : file;
	FILE *tmp = tmpfile();
	if (!tmp) {
		snprintf(why, cap, "-: a copy of standard input: %s", strerror(errno));
		return NULL;
	}
	fcntl(fileno(tmp), F_SETFD, FD_CLOEXEC); /* not for the task commands */
	char buf[65536];
	size_t n, total = 0;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0 && total <= WORKFLOW_FILE_MAX) {
		total += n;
		if (fwrite(buf, 1, n, tmp) != n)
			break;
	}
	if (ferror(stdin) || ferror(tmp) || fflush(tmp) != 0) {
		snprintf(why, cap, "-: reading standard input: %s", strerror(errno));
		fclose(tmp);
		return NULL;
	}
	if (total > WORKFLOW_FILE_MAX) {
		snprintf(why, cap, "-: larger than %u MB", WORKFLOW_FILE_MAX >> 20);
		fclose(tmp);
		return NULL;
	}
	snprintf(stdin_copy, sizeof stdin_copy, "/proc/self/fd/%d", fileno(tmp)); /* open until exit */
	return stdin_copy;
}

/* A loader's message, naming the copy of standard input "-". */
static const char *named(const char *msg, char *buf, size_t cap)
{
	size_t n = strlen(stdin_copy);
	if (!n || strncmp(msg, stdin_copy, n) != 0)
		return msg;
	snprintf(buf, cap, "-%s", msg + n);
	return buf;
}

/* workflow_load of FILE ("-": standard input); -1 with why. */
static int load_workflow(const char *file, workflow *w, char *why, size_t cap)
{
	const char *path = load_path(file, why, cap);
	if (!path)
		return -1;
	if (workflow_load(path, w, why, cap) == 0)
		return 0;
	char msg[1300];
	const char *m = named(why, msg, sizeof msg);
	if (m != why)
		snprintf(why, cap, "%s", m);
	return -1;
}

static int continue_run(run *r, const char *id, const char *file)
{
	store_item it;
	store_err err;
	char why[1200];
	if (store_get_item(r->st, id, &it, &err))
		return store_failed(&err) == EXIT_STORAGE ? EXIT_STORAGE : EXIT_USAGE;
	if (it.exec.status == EXEC_COMPLETE || it.exec.status == EXEC_FAILED) {
		say("execution '%s' is %s: there is nothing to continue", id, status_exec_name(it.exec.status));
		store_item_free(&it);
		return EXIT_USAGE;
	}
	const char *path = file ? file : it.exec.definition;
	if (!path) {
		say("execution '%s' was not started by seerun: name its workflow file", id);
		store_item_free(&it);
		return EXIT_USAGE;
	}
	if (!file && strcmp(path, "-") == 0) {
		say("execution '%s' was started from standard input: name its workflow file (- reads standard input)", id);
		store_item_free(&it);
		return EXIT_USAGE;
	}
	if (load_workflow(path, &r->wf, why, sizeof why) < 0) {
		say("%s", why);
		store_item_free(&it);
		return EXIT_USAGE;
	}
	if (it.exec.definition_hash && r->wf.hash != it.exec.definition_hash) {
		say("%s changed since execution '%s' started from it: restore it, or start a new execution", path, id);
		store_item_free(&it);
		return EXIT_USAGE;
	}
	bool same = it.n_tasks == r->wf.n;
	for (size_t k = 0; same && k < it.n_tasks; k++)
		same = task_index(r, it.tasks[k].task_id) != SIZE_MAX;
	if (!same) {
		say("%s does not have the tasks of execution '%s'", path, id);
		store_item_free(&it);
		return EXIT_USAGE;
	}
	snprintf(r->exec_id, sizeof r->exec_id, "%s", id);
	r->jobs = calloc(r->wf.n, sizeof *r->jobs);
	for (size_t i = 0; r->jobs && i < r->wf.n; i++)
		r->jobs[i].out = -1;
	if (!r->jobs) {
		store_item_free(&it);
		say("out of memory");
		return EXIT_STORAGE;
	}
	/* the newest event first, then the picture: nothing falls in between */
	record_event *ev;
	size_t n;
	if (store_events(r->st, id, 0, 1, &ev, &n, &err) == STORE_OK) {
		r->seq = n ? ev[0].seq : 0;
		record_event_array_free(ev, n);
	}
	store_item_free(&it);
	if (store_attach(r->st, id, &err)) {
		int rc = store_failed(&err);
		return rc == EXIT_STORAGE ? rc : EXIT_USAGE;
	}
	if (store_get_item(r->st, id, &it, &err))
		return store_failed(&err);
	take_up(r, &it);
	store_item_free(&it);
	return -1; /* go on */
}

/* ---- --check ---- */

static void print_problem(void *ctx, const char *msg)
{
	(void)ctx;
	char buf[1300];
	fprintf(stderr, "%s\n", named(msg, buf, sizeof buf));
}

/* A text of the file on one line, escaped for the terminal. */
static void put_text(const char *s)
{
	text_escape_fputs(stdout, s, strlen(s));
}

/* An argument as a shell would need it written. */
static void put_arg(const char *a)
{
	if (*a && !a[strcspn(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!")]) {
		put_text(a);
		return;
	}
	putchar('\'');
	for (const char *p = a; *p; p++) {
		size_t n = strcspn(p, "'");
		char *part = strndup(p, n);
		if (part)
			put_text(part);
		free(part);
		p += n;
		if (!*p)
			break;
		fputs("'\\''", stdout);
	}
	putchar('\'');
}

/* A task and its next_tasks, indented by depth. */
static void print_task(const workflow *w, size_t i, int depth)
{
	const wf_task *t = &w->tasks[i];
	printf("%*s- %s: ", depth * 2, "", t->id);
	if (t->kind == WF_COMMAND) {
		fputs("command: ", stdout);
		put_arg(t->command);
		for (size_t k = 0; k < t->n_args; k++) {
			putchar(' ');
			put_arg(t->args[k]);
		}
	} else {
		printf("input (%s%s", record_input_type_name(t->type), t->required ? ", required" : "");
		if (t->has_default) {
			const char *q = t->type == INPUT_STRING ? "\"" : "";
			printf(", default %s", q);
			put_text(t->default_text);
			fputs(q, stdout);
		}
		fputs("): \"", stdout);
		put_text(t->prompt);
		putchar('"');
		if (t->timeout_s) {
			char d[32];
			text_span(d, sizeof d, (long long)t->timeout_s);
			printf("; deadline %s, then %s", d, record_on_timeout_name(t->on_timeout));
		}
		if (t->n_respondents) {
			fputs("; answered by ", stdout);
			for (size_t k = 0; k < t->n_respondents; k++)
				printf("%s%s", k ? ", " : "", t->respondents[k]);
		}
		if (t->no_self_approval)
			fputs("; not by who started it", stdout);
	}
	putchar('\n');
	for (size_t k = 0; k < t->n_next; k++)
		print_task(w, t->next[k], depth + 1);
}

/* seerun --check FILE: the problems on stderr (exit 2), or the tree on stdout (exit 0). */
static int check(const char *file)
{
	workflow w;
	char why[1200];
	const char *path = load_path(file, why, sizeof why);
	if (!path) {
		say("%s", why);
		return EXIT_USAGE;
	}
	size_t n = workflow_check(path, &w, print_problem, NULL);
	if (n) {
		fprintf(stderr, "seerun: %s: %zu problem%s\n", file, n, n == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	printf("%s: valid: workflow '", file);
	put_text(w.id);
	fputs("' (", stdout);
	put_text(w.name);
	printf("), %zu task%s\n", w.n, w.n == 1 ? "" : "s");
	for (size_t i = 0; i < w.n; i++)
		if (w.tasks[i].parent == SIZE_MAX)
			print_task(&w, i, 0);
	workflow_free(&w);
	return fflush(stdout) == 0 ? 0 : EXIT_STORAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' }, { "config", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' },   { "jobs", required_argument, NULL, 'j' },
		{ "continue", required_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },    { "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, 'k' },      { "log-cap", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = NULL, *config = NULL, *id = NULL, *cont = NULL;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	bool quiet = false, checking = false;
	uint64_t log_cap = LOG_CAP_DEFAULT;
	const char *cap_env = getenv("SEERUN_LOG_CAP");
	if (cap_env && *cap_env && (size_parse(cap_env, &log_cap) < 0 || log_cap < LOG_CAP_MIN)) {
		say("bad value '%s' in $SEERUN_LOG_CAP: a size from 64K to 1024G, such as 512K or 64M", cap_env);
		return EXIT_USAGE;
	}
	int o;
	opterr = 0;
	setlocale(LC_CTYPE, "");
	while ((o = getopt_long(argc, argv, "+:hVq", opts, NULL)) != -1) {
		switch (o) {
		case 'H': home = optarg; break;
		case 'c': config = optarg; break;
		case 'i': id = optarg; break;
		case 'C': cont = optarg; break;
		case 'q': quiet = true; break;
		case 'k': checking = true; break;
		case 'L':
			if (size_parse(optarg, &log_cap) < 0 || log_cap < LOG_CAP_MIN) {
				say("bad value '%s' for --log-cap: a size from 64K to 1024G, such as 512K or 64M", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': {
			char *end;
			errno = 0;
			jobs = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || jobs < 1 || jobs > 1024) {
				say("bad value '%s' for --jobs: a whole number from 1 to 1024", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("seerun %s\n", PACKAGE_VERSION); return 0;
		case ':':
			say("option %s needs a value (see seerun --help)", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			say("unknown option '%s' (see seerun --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (jobs < 1)
		jobs = 1;
	const char *file = optind < argc ? argv[optind] : NULL;
	if (checking && !cont && optind == argc - 1)
		return check(file);
	if (!cont && !checking && optind < argc - 1) {
		/* options go before FILE: say which word was not taken */
		say("unexpected '%s' after the workflow file '%s' (options go before it; see seerun --help)", argv[optind + 1],
		    argv[optind]);
		return EXIT_USAGE;
	}
	if ((!cont && optind != argc - 1) || (cont && argc - optind > 1) || checking) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (id && strlen(id) > 128) {
		say("bad value for --id: %zu bytes, at most 128", strlen(id));
		return EXIT_USAGE;
	}
	if (id && !record_id_valid(id)) {
		say("bad value '%s' for --id: 1-128 printable bytes", id);
		return EXIT_USAGE;
	}
	run r;
	memset(&r, 0, sizeof r);
	r.max_jobs = jobs;
	r.watch_fd = -1;
	r.engine_pid = getpid();
	r.log_cap = log_cap;
	r.progress = !quiet && isatty(2);
	r.ascii = !text_locale_utf8();
	r.t0 = now_ms();
	r.failed = SIZE_MAX;
	char why[1200];
	if (!cont && load_workflow(file, &r.wf, why, sizeof why) < 0) {
		say("%s", why);
		return EXIT_USAGE;
	}
	seetop_conf conf;
	conf_defaults(&conf);
	if (conf_load(&conf, config, why, sizeof why) < 0) {
		say("%s", why);
		conf_free(&conf);
		workflow_free(&r.wf);
		return EXIT_USAGE;
	}
	char *home_dir = conf_home(&conf, home);
	conf_free(&conf);
	if (!home_dir) {
		say("no store directory: give --home DIR or set SEETOP_HOME");
		workflow_free(&r.wf);
		return EXIT_USAGE;
	}
	/* signals arrive through a pipe, so one poll sees them (before the
	 * store forks its server: that child must not inherit handlers) */
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		say("pipe: %s", strerror(errno));
		return EXIT_STORAGE;
	}
	store_err err;
	if (store_open(home_dir, STORE_OPEN_CREATE, &r.st, &err)) { /* an engine makes the home it runs in */
		say("%s", err.msg);
		free(home_dir);
		workflow_free(&r.wf);
		return err.code == STORE_STORAGE || err.code == STORE_FORMAT ? EXIT_STORAGE : EXIT_USAGE;
	}
	free(home_dir);
	store_set_actor(r.st, "seerun");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int rc;
	if (cont) {
		rc = continue_run(&r, cont, file);
	} else {
		if (id)
			snprintf(r.exec_id, sizeof r.exec_id, "%s", id);
		else
			new_id(&r);
		store_item def;
		memset(&def, 0, sizeof def);
		r.jobs = calloc(r.wf.n, sizeof *r.jobs);
		rc = -1;
		if (!r.jobs || make_definition(&r, file, &def) < 0) {
			say("out of memory");
			rc = EXIT_STORAGE;
		} else if (store_exec_start(r.st, &def, &err)) {
			rc = store_failed(&err);
			if (err.code == STORE_EXISTS || err.code == STORE_INVALID_INPUT)
				rc = EXIT_USAGE;
		}
		store_item_free(&def);
		for (size_t i = 0; r.jobs && i < r.wf.n; i++) {
			r.jobs[i].out = -1;
			r.jobs[i].st = r.wf.tasks[i].parent == SIZE_MAX ? L_READY : L_BLOCKED;
		}
		record_event *ev;
		size_t n;
		if (rc == -1 && store_events(r.st, r.exec_id, 0, 1, &ev, &n, &err) == STORE_OK) {
			r.seq = n ? ev[0].seq : 0;
			record_event_array_free(ev, n);
		}
	}
	if (rc == -1) {
		printf("%s\n", r.exec_id);
		fflush(stdout);
		rc = loop(&r);
	}
	for (size_t i = 0; r.jobs && i < r.wf.n; i++) {
		job *j = &r.jobs[i];
		for (size_t k = 0; k < j->n_pend; k++)
			free(j->pend[k].s);
		free(j->pend);
		free(j->ring);
		free(j->part);
		free(j->answer);
		if (j->out >= 0)
			close(j->out);
	}
	free(r.jobs);
	free(r.failed_why);
	workflow_free(&r.wf);
	store_close(r.st);
	return rc;
}
