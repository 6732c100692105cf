/* server_jobs.c - the server's own work, with no client asking: the
 * deadlines' timer and the notification commands of the outbox. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server_int.h"

/* ---- notification hooks ---- */

#define HOOK_OUT_HEAD 4096 /* a command's first output bytes go to server.log as they come */
#define HOOK_OUT_TAIL 4096 /* and its last ones when it ends; what lies between is counted */
#define HOOK_OUT_LINES 32  /* and at most this many lines of each */
#define HOOK_LINE 512      /* a longer line is cut into lines of this size */
#define HOOK_TREE_MAX 256  /* processes of a command's tree looked at */

/* A running command's output (a pipe the server reads, so that it goes
 * through srv_log and its rotation) and what ended. */
struct hook_run {
	uint64_t hook_id;
	char cmd[160];          /* the command, for the log */
	int out;                /* the pipe's read end, or -1 */
	char line[HOOK_LINE];   /* the line being read */
	size_t line_len;
	size_t logged, lines;   /* bytes and lines of the head written to the log */
	char tail[HOOK_OUT_TAIL]; /* a ring of the bytes past the head */
	size_t tail_at, tail_len;
	unsigned long long past; /* bytes past the head */
	bool exited;            /* its first process ended (status) */
	int status;
	bool done;              /* its notification left the outbox */
	bool used;
};

/* Their places: one server per process, and nothing to free when it exits
 * with commands still running. */
static struct hook_run hook_runs[HOOKS_AT_ONCE];

static struct hook_run *hook_run_new(void)
{
	for (size_t i = 0; i < HOOKS_AT_ONCE; i++)
		if (!hook_runs[i].used) {
			memset(&hook_runs[i], 0, sizeof hook_runs[i]);
			hook_runs[i].used = true;
			hook_runs[i].out = -1;
			return &hook_runs[i];
		}
	return NULL;
}

static void hook_setenv(const char *name, const char *v)
{
	if (v && *v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

static void hook_log_line(server *s, struct hook_job *h, const char *p, size_t len)
{
	char clean[HOOK_LINE];
	size_t n = 0;
	for (size_t i = 0; i < len && n < sizeof clean; i++)
		clean[n++] = (unsigned char)p[i] < 0x20 && p[i] != '\t' ? '?' : p[i];
	srv_log(s, "hook %llu output: %.*s", (unsigned long long)h->run->hook_id, (int)n, clean);
}

/* Takes bytes of the command's output: the head line by line into the log,
 * the rest into the tail's ring. */
static void hook_take(server *s, struct hook_job *h, const char *p, size_t len)
{
	struct hook_run *r = h->run;
	for (size_t i = 0; i < len; i++) {
		if (r->logged >= HOOK_OUT_HEAD || r->lines >= HOOK_OUT_LINES) {
			r->tail[(r->tail_at + r->tail_len) % HOOK_OUT_TAIL] = p[i];
			if (r->tail_len < HOOK_OUT_TAIL)
				r->tail_len++;
			else
				r->tail_at = (r->tail_at + 1) % HOOK_OUT_TAIL;
			r->past++;
			continue;
		}
		r->logged++;
		if (p[i] != '\n')
			r->line[r->line_len++] = p[i];
		if (p[i] == '\n' || r->line_len == HOOK_LINE) {
			hook_log_line(s, h, r->line, r->line_len);
			r->line_len = 0;
			r->lines++;
		}
	}
}

/* Reads what the pipe holds now (never waits); at the end, the last line,
 * how much was left out, and the tail. */
static void hook_read(server *s, struct hook_job *h, bool end)
{
	struct hook_run *r = h->run;
	char buf[16384];
	ssize_t n;
	int rounds = 0;
	while (r->out >= 0 && rounds++ < 64 && (n = read(r->out, buf, sizeof buf)) > 0)
		hook_take(s, h, buf, (size_t)n);
	if (!end)
		return;
	if (r->out >= 0)
		close(r->out);
	r->out = -1;
	if (r->line_len)
		hook_log_line(s, h, r->line, r->line_len);
	r->line_len = 0;
	if (!r->past)
		return;
	char flat[HOOK_OUT_TAIL];
	for (size_t i = 0; i < r->tail_len; i++)
		flat[i] = r->tail[(r->tail_at + i) % HOOK_OUT_TAIL];
	size_t from = 0, len = r->tail_len;
	if (r->past > len) /* from the first whole line */
		while (from < len && flat[from++] != '\n')
			;
	/* the last lines */
	size_t nl = 0;
	for (size_t i = len; i > from; i--)
		if (flat[i - 1] == '\n' && i < len && ++nl == HOOK_OUT_LINES) {
			from = i;
			break;
		}
	srv_log(s, "hook %llu output: [%llu bytes left out]", (unsigned long long)r->hook_id,
		(unsigned long long)(r->past - (r->tail_len - from)));
	for (size_t i = from, start = from; i <= r->tail_len; i++)
		if (i == r->tail_len || flat[i] == '\n' || i - start == HOOK_LINE) {
			if (i > start)
				hook_log_line(s, h, flat + start, i - start);
			start = i + (i < r->tail_len && flat[i] == '\n');
		}
}

/* Starts a notification's command: its own process group, no shell, its
 * output in a pipe the server reads.  Returns the pid, or -1. */
static pid_t hook_spawn(server *s, const dbs_note *n, int *out)
{
	*out = -1;
	if (n->argc == 0)
		return -1;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	/* what the command leaves behind comes back to the server when its
	 * parent ends, to be stopped at the time limit and reaped */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t server_pid = getpid();
	pid_t pid = fork();
	if (pid != 0) {
		close(pfd[1]);
		if (pid < 0)
			close(pfd[0]);
		else
			fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		*out = pid < 0 ? -1 : pfd[0];
		return pid;
	}
	/* a command dies with a killed server: the notification stays in the
	 * outbox and runs again when a server starts */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != server_pid)
		_exit(1);
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0)
		dup2(nul, 0);
	dup2(pfd[1], 1);
	dup2(pfd[1], 2);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	char num[24];
	snprintf(num, sizeof num, "%llu", (unsigned long long)n->seq);
	hook_setenv("SEETOP_NOTIFICATION", num);
	hook_setenv("SEETOP_EVENT", n->kind);
	hook_setenv("SEETOP_EXECUTION", n->exec_id);
	hook_setenv("SEETOP_TASK", n->task_id);
	hook_setenv("SEETOP_PROMPT", n->prompt);
	hook_setenv("SEETOP_DEADLINE", n->deadline);
	hook_setenv("SEETOP_ACTOR", n->actor);
	hook_setenv("SEETOP_USER", n->user);
	hook_setenv("SEETOP_TIME", n->time);
	hook_setenv("SEETOP_REASON", n->reason);
	hook_setenv("SEETOP_HOME", s->home);
	execvp(n->argv[0], (char *const *)n->argv);
	_exit(127);
}

/* The pids a process started that still run (its children, from /proc). */
static size_t proc_children(pid_t pid, pid_t *out, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	FILE *f = fopen(path, "re");
	size_t n = 0;
	long v;
	while (f && n < cap && fscanf(f, "%ld", &v) == 1)
		out[n++] = (pid_t)v;
	if (f)
		fclose(f);
	return n;
}

/* The notification a process runs for (SEETOP_NOTIFICATION in the
 * environment it started with), or 0. */
static uint64_t proc_notification(pid_t pid)
{
	char path[64], env[8192];
	snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, env, sizeof env - 1);
	close(fd);
	if (n <= 0)
		return 0;
	env[n] = '\0';
	static const char key[] = "SEETOP_NOTIFICATION=";
	for (char *p = env; p < env + n; p += strlen(p) + 1)
		if (!strncmp(p, key, sizeof key - 1))
			return strtoull(p + sizeof key - 1, NULL, 10);
	return 0;
}

/* Counts, and signals when sig != 0, the processes of each command's tree:
 * those below its first process, and those left to the server (its
 * subreaper) that carry the command's notification.  What the server was
 * left that no command claims is killed. */
static void hook_trees(server *s, size_t *alive, int sig_of[])
{
	pid_t tree[HOOK_TREE_MAX];
	size_t owner[HOOK_TREE_MAX];
	size_t n = 0;
	for (size_t i = 0; i < s->n_hooks; i++)
		alive[i] = 0;
	pid_t top[HOOK_TREE_MAX];
	size_t n_top = proc_children(getpid(), top, HOOK_TREE_MAX);
	for (size_t t = 0; t < n_top && n < HOOK_TREE_MAX; t++) {
		size_t who = s->n_hooks;
		for (size_t i = 0; i < s->n_hooks && who == s->n_hooks; i++)
			if (s->hooks[i].pid == top[t] && !s->hooks[i].run->exited)
				who = i;
		if (who == s->n_hooks) {
			uint64_t seq = proc_notification(top[t]);
			for (size_t i = 0; i < s->n_hooks && who == s->n_hooks; i++)
				if (seq && s->hooks[i].seq == seq)
					who = i;
		}
		if (who == s->n_hooks) {
			kill(top[t], SIGKILL); /* left to the server by no command of now */
			continue;
		}
		size_t from = n;
		tree[n] = top[t];
		owner[n++] = who;
		for (size_t k = from; k < n; k++) /* breadth first, below it */
			for (size_t m = proc_children(tree[k], tree + n, HOOK_TREE_MAX - n); m > 0; m--)
				owner[n++] = who;
	}
	for (size_t k = 0; k < n; k++) {
		alive[owner[k]]++;
		if (sig_of[owner[k]])
			kill(tree[k], sig_of[owner[k]]);
	}
}

/* A command's first process ended (or was stopped): its notification
 * leaves the outbox, counted as failed unless it exited 0 in time. */
static void hook_finish(server *s, struct hook_job *h)
{
	struct hook_run *r = h->run;
	hook_read(s, h, true);
	bool ok = r->exited && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0 && !h->termed;
	if (!ok) {
		if (r->exited && WIFEXITED(r->status))
			srv_log(s, "notification %llu: hook %llu (%s) exited %d%s", (unsigned long long)h->seq,
				(unsigned long long)r->hook_id, r->cmd, WEXITSTATUS(r->status),
				WEXITSTATUS(r->status) == 127 ? " (not found?)" : "");
		else
			srv_log(s, "notification %llu: hook %llu (%s) was killed%s", (unsigned long long)h->seq,
				(unsigned long long)r->hook_id, r->cmd, h->termed ? " (time limit)" : "");
	}
	store_err err;
	if (dbs_outbox_done(s->db, h->seq, ok, &err))
		srv_log(s, "notification %llu: %s", (unsigned long long)h->seq, err.msg);
	r->done = true;
}

/* The next notification to start: those that arrived since the last look
 * first (the newest batch, in order), then the backlog in order, so that a
 * backlog never starves a new event. */
static bool hook_next(server *s, dbs_note *n, store_err *err)
{
	bool any;
	if (s->outbox_fresh < s->outbox_top) {
		if (dbs_outbox_next(s->db, s->outbox_fresh, n, &any, err))
			return false;
		if (any) {
			s->outbox_fresh = n->seq;
			return true;
		}
		s->outbox_fresh = s->outbox_top;
	}
	for (;;) {
		if (dbs_outbox_next(s->db, s->outbox_after, n, &any, err) || !any)
			return false;
		s->outbox_after = n->seq;
		bool running = false;
		for (size_t i = 0; i < s->n_hooks; i++)
			running = running || s->hooks[i].seq == n->seq;
		if (!running)
			return true;
		dbs_note_free(n);
	}
}

/* Ends what finished (or ran too long) and starts what waits, up to the
 * bound; *timeout shortens while commands run. */
void jobs_hooks_pump(server *s, int *timeout)
{
	if (!s->db)
		return;
	int64_t now = srv_now_ms();
	bool done_any = false;
	int status;
	pid_t r;
	/* the commands' first processes, and what their trees left to the server */
	while ((r = waitpid(-1, &status, WNOHANG)) > 0)
		for (size_t i = 0; i < s->n_hooks; i++)
			if (s->hooks[i].pid == r && !s->hooks[i].run->exited) {
				s->hooks[i].run->exited = true;
				s->hooks[i].run->status = status;
			}
	size_t alive[HOOKS_AT_ONCE];
	int sig_of[HOOKS_AT_ONCE];
	bool walk = false;
	for (size_t i = 0; i < s->n_hooks; i++) {
		struct hook_job *h = &s->hooks[i];
		sig_of[i] = 0;
		hook_read(s, h, false);
		if (h->run->exited && !h->run->done) {
			hook_finish(s, h);
			done_any = true;
		}
		if (!h->termed && now - h->started > s->hook_time_ms) {
			srv_log(s, "notification %llu: hook %llu (%s) ran past %d ms: SIGTERM to its processes",
				(unsigned long long)h->seq, (unsigned long long)h->run->hook_id, h->run->cmd,
				s->hook_time_ms);
			kill(-h->pid, SIGTERM);
			h->termed = true;
			sig_of[i] = SIGTERM;
		} else if (h->termed && now - h->started > s->hook_time_ms + HOOK_KILL_MS) {
			kill(-h->pid, SIGKILL);
			sig_of[i] = SIGKILL;
		}
		walk = walk || h->run->exited || sig_of[i];
	}
	if (walk) {
		/* a command holds its place until its whole tree has ended */
		hook_trees(s, alive, sig_of);
		for (size_t i = 0; i < s->n_hooks;) {
			struct hook_job *h = &s->hooks[i];
			if (!h->run->exited || alive[i]) {
				i++;
				continue;
			}
			h->run->used = false;
			s->hooks[i] = s->hooks[--s->n_hooks];
			alive[i] = alive[s->n_hooks];
		}
	}
	if (dbs_outbox_added(s->db) || (s->outbox_check && !s->outbox_top)) {
		store_err err;
		uint64_t top;
		if (dbs_outbox_last(s->db, &top, &err) == STORE_OK && top > s->outbox_top) {
			/* a backlog seen for the first time is run in order; what
			 * arrives behind it, first */
			s->outbox_fresh = s->outbox_top ? s->outbox_top : top;
			s->outbox_top = top;
		}
		s->outbox_check = true;
	}
	while (s->outbox_check && s->n_hooks < HOOKS_AT_ONCE) {
		dbs_note n;
		store_err err;
		memset(&err, 0, sizeof err);
		if (!hook_next(s, &n, &err)) {
			if (err.msg[0])
				srv_log(s, "reading the outbox: %s", err.msg);
			else
				s->outbox_check = false;
			break;
		}
		struct hook_run *run = hook_run_new();
		int out = -1;
		pid_t pid = run ? hook_spawn(s, &n, &out) : -1;
		if (pid < 0) {
			srv_log(s, "notification %llu: hook %llu: cannot start its command", (unsigned long long)n.seq,
				(unsigned long long)n.hook_id);
			dbs_outbox_done(s->db, n.seq, false, &err);
			if (run)
				run->used = false;
			done_any = true;
		} else {
			struct hook_job *h = &s->hooks[s->n_hooks++];
			h->pid = pid;
			h->seq = n.seq;
			h->started = now;
			h->termed = false;
			h->run = run;
			run->hook_id = n.hook_id;
			run->out = out;
			size_t o = 0;
			for (size_t i = 0; i < n.argc && o + 1 < sizeof run->cmd; i++) {
				int w = snprintf(run->cmd + o, sizeof run->cmd - o, "%s%s", i ? " " : "", n.argv[i]);
				o = w < 0 ? sizeof run->cmd : o + (size_t)w;
			}
		}
		dbs_note_free(&n);
	}
	if (done_any)
		conn_finish_batch(s); /* the deletions are flushed */
	if (s->n_hooks && *timeout > 50)
		*timeout = 50; /* to see them end */
}

#define TIMER_BATCH 256 /* deadlines applied before the server looks at its clients again */

/* The deadlines' timer: applies every policy that is due (each its own
 * transaction), and shortens *timeout to the next deadline. */
void jobs_timer_run(server *s, int *timeout)
{
	if (!s->db)
		return;
	for (int round = 0; round < 2; round++) {
		store_err err;
		memset(&err, 0, sizeof err);
		if (dbs_deadlines_changed(s->db))
			s->next_checked = false;
		if (!s->next_checked) {
			if (dbs_deadline_next(s->db, &s->next_any, &s->next_us, &err)) {
				srv_log(s, "reading the deadlines: %s", err.msg);
				s->next_any = false;
				return;
			}
			s->next_checked = true;
		}
		if (!s->next_any)
			return;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		if (s->next_us > now) {
			int64_t ms = (s->next_us - now + 999) / 1000;
			if (ms < *timeout)
				*timeout = (int)ms;
			return;
		}
		size_t fired = 0;
		for (bool more = true; more && fired < TIMER_BATCH;) {
			char id[RECORD_ID_BUF];
			if (dbs_deadline_fire(s->db, now, &more, id, sizeof id, &err)) {
				srv_log(s, "applying a deadline: %s", err.msg);
				break;
			}
			if (more) {
				conn_note_changed(s, id);
				fired++;
			}
		}
		if (fired)
			srv_log(s, "the timer applied %zu deadline%s", fired, fired == 1 ? "" : "s");
		conn_finish_batch(s);
		s->next_checked = false;
		if (fired >= TIMER_BATCH) {
			*timeout = 0;
			return;
		}
	}
}
