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

static void hook_setenv(const char *name, const char *v)
{
	if (v && *v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

/* Starts a notification's command: its own process group, no shell, its
 * output in server.log.  Returns the pid, or -1. */
static pid_t hook_spawn(server *s, const dbs_note *n)
{
	if (n->argc == 0)
		return -1;
	pid_t server_pid = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
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
	int out = s->logfd >= 0 ? s->logfd : nul;
	if (nul >= 0)
		dup2(nul, 0);
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
	}
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
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

/* Ends what finished (or ran too long) and starts what waits, up to the
 * bound; *timeout shortens while commands run. */
void jobs_hooks_pump(server *s, int *timeout)
{
	if (!s->db)
		return;
	int64_t now = srv_now_ms();
	bool done_any = false;
	for (size_t i = 0; i < s->n_hooks;) {
		struct hook_job *h = &s->hooks[i];
		int status;
		pid_t r = waitpid(h->pid, &status, WNOHANG);
		if (r == 0) {
			if (!h->termed && now - h->started > s->hook_time_ms) {
				srv_log(s, "notification %llu: pid %ld ran past %d ms: SIGTERM", (unsigned long long)h->seq,
				     (long)h->pid, s->hook_time_ms);
				kill(-h->pid, SIGTERM);
				h->termed = true;
			} else if (h->termed && now - h->started > s->hook_time_ms + HOOK_KILL_MS) {
				kill(-h->pid, SIGKILL);
			}
			i++;
			continue;
		}
		bool ok = r == h->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !h->termed;
		if (!ok) {
			if (r == h->pid && WIFEXITED(status))
				srv_log(s, "notification %llu: the command exited %d%s", (unsigned long long)h->seq,
				     WEXITSTATUS(status), WEXITSTATUS(status) == 127 ? " (not found?)" : "");
			else
				srv_log(s, "notification %llu: the command was killed%s", (unsigned long long)h->seq,
				     h->termed ? " (time limit)" : "");
		}
		store_err err;
		if (dbs_outbox_done(s->db, h->seq, ok, &err))
			srv_log(s, "notification %llu: %s", (unsigned long long)h->seq, err.msg);
		done_any = true;
		s->hooks[i] = s->hooks[--s->n_hooks];
	}
	if (dbs_outbox_added(s->db))
		s->outbox_check = true;
	while (s->outbox_check && s->n_hooks < HOOKS_AT_ONCE) {
		dbs_note n;
		bool any;
		store_err err;
		if (dbs_outbox_next(s->db, s->outbox_after, &n, &any, &err)) {
			srv_log(s, "reading the outbox: %s", err.msg);
			break;
		}
		if (!any) {
			s->outbox_check = false;
			break;
		}
		s->outbox_after = n.seq;
		pid_t pid = hook_spawn(s, &n);
		if (pid < 0) {
			srv_log(s, "notification %llu: cannot start its command", (unsigned long long)n.seq);
			dbs_outbox_done(s->db, n.seq, false, &err);
			done_any = true;
		} else {
			struct hook_job *h = &s->hooks[s->n_hooks++];
			h->pid = pid;
			h->seq = n.seq;
			h->started = now;
			h->termed = false;
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
			char id[130];
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
