/* server.c - the store server of one home.
 *
 * One process per home (a kernel lock on server.lock) opens the environment;
 * every program is a client on the socket server.sock.  The server reads
 * requests without ever waiting on a client: each socket is non-blocking,
 * a request runs as one transaction once its whole frame is in, and a
 * client that stops reading or writing holds nothing but its own buffers.
 *
 * Group commit: every request that is complete when poll wakes runs, each
 * commit written without a flush; then one flush of the log makes them all
 * durable, and only then are their answers sent.
 *
 * Access comes from the socket: the owner of the home (the server's user)
 * reads and writes; anyone else the kernel let connect (members of the
 * home's group, when the owner opened the directory and so the socket to
 * them) only reads, while the group database has them in the home's group
 * (read again every minute).  The owner is never held to the limits put on
 * the others: connections per user, and every connection's buffers
 * together. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "server_int.h"
#include "server_readers.h"
#include "server_repl.h"

static volatile sig_atomic_t got_term;
static bool log_to_stderr; /* --foreground: the journal reads stderr */
static bool stays;         /* --foreground: no idle exit (systemd keeps it from boot) */
/* The home's directory: every file the server makes or changes there is
 * reached through it, never by a path that a link could redirect. */
static int home_fd = -1;
static bool home_private; /* nobody but its owner can write in it */
/* The home is a backup (it holds STORE_BACKUP_MARK): it is opened read-only,
 * starts no timer and runs no hook, and its server leaves when idle whatever
 * deadlines it holds; seectl restore makes a live home of it. */
static bool backup_copy;

/* Opens one of the server's own files in the home without following a
 * link.  In a private home a link there was put by its owner (or by someone
 * in the days the home was shared): it is replaced by a new file, and the
 * file it points to is left alone. */
static int open_own(const char *name, int flags)
{
	int fd = openat(home_fd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ELOOP && home_private && unlinkat(home_fd, name, 0) == 0)
		fd = openat(home_fd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd;
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

int64_t srv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the log ---- */

static void log_open(server *s)
{
	struct stat sb;
	if (fstatat(home_fd, SERVER_LOG, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) && sb.st_size > LOG_MAX)
		renameat(home_fd, SERVER_LOG, home_fd, SERVER_LOG ".1");
	s->logfd = open_own(SERVER_LOG, O_WRONLY | O_APPEND | O_CREAT);
}

void srv_mark_stopped(server *s)
{
	/* open dashboards then wait for a key or another program before they
	 * start a server again */
	char said[48];
	int n = snprintf(said, sizeof said, "%ld\nstopped\n", (long)getpid());
	if (ftruncate(s->lock, 0) == 0)
		(void)!pwrite(s->lock, said, (size_t)n, 0);
}

void srv_log(server *s, const char *fmt, ...)
{
	if (s->logfd < 0)
		return;
	char line[1400];
	char ts[40];
	record_timestamp_now(ts, sizeof ts);
	int n = snprintf(line, sizeof line, "%s [%ld] ", ts, (long)getpid());
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (log_to_stderr)
		(void)!write(2, line, (size_t)n);
	/* a full disk loses log lines, never a request */
	if (write(s->logfd, line, (size_t)n) < 0)
		return;
	struct stat sb;
	if (fstat(s->logfd, &sb) == 0 && sb.st_size > LOG_MAX) {
		close(s->logfd);
		log_open(s);
	}
}

/* ---- the socket ---- */

/* The socket path, short enough for sun_path even under a long home: bound
 * through /proc/self/fd when need be. */
static int socket_path(const char *home, int dirfd, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", home, SERVER_SOCKET);
	if (n > 0 && (size_t)n < cap)
		return 0;
	n = snprintf(out, cap, "/proc/self/fd/%d/%s", dirfd, SERVER_SOCKET);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}


static int listen_on(server *s)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (socket_path(s->home, home_fd, sa.sun_path, sizeof sa.sun_path) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlinkat(home_fd, SERVER_SOCKET, 0);
	/* made 0660 as it is bound: no chmod by name afterwards */
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || listen(fd, 128) != 0) {
		close(fd);
		return -1;
	}
	/* the home's group may connect (read-only) when the owner opened the
	 * directory to it; the socket follows the directory's group */
	struct stat sb;
	if (fstat(home_fd, &sb) == 0)
		(void)!fchownat(home_fd, SERVER_SOCKET, (uid_t)-1, sb.st_gid, AT_SYMLINK_NOFOLLOW);
	return fd;
}

/* A home removed (or replaced) under a running server: its lock file is no
 * longer the one it holds.  Then the server leaves at once and touches
 * nothing by name: the files there now belong to another store. */
static bool home_is_ours(server *s)
{
	struct stat sb, dir, named;
	return fstatat(home_fd, SERVER_LOCK, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sb.st_ino == s->lock_st.st_ino &&
	       sb.st_dev == s->lock_st.st_dev && fstat(home_fd, &dir) == 0 && stat(s->home, &named) == 0 &&
	       named.st_ino == dir.st_ino && named.st_dev == dir.st_dev;
}

/* The socket's group is the home's: an owner who gives the directory to a
 * group (chgrp) gives that group read-only access, without a restart. */
static void socket_follow_home(server *s)
{
	struct stat dir, sock;
	if (fstat(home_fd, &dir) != 0)
		return;
	s->home_gid = dir.st_gid; /* whose members may read (conn_check_groups) */
	if (fstatat(home_fd, SERVER_SOCKET, &sock, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISSOCK(sock.st_mode) ||
	    sock.st_ino != s->sock_st.st_ino)
		return;
	if (sock.st_gid != dir.st_gid)
		(void)!fchownat(home_fd, SERVER_SOCKET, (uid_t)-1, dir.st_gid, AT_SYMLINK_NOFOLLOW);
	if ((sock.st_mode & 0777) != 0660)
		fchmodat(home_fd, SERVER_SOCKET, 0660, AT_SYMLINK_NOFOLLOW);
}

/* A home that someone other than its owner can write is refused, as sshd's
 * StrictModes refuses such a home: whoever can write there can replace the
 * store's files.  The error is the line that says how to fix it. */
static store_code home_check(const char *home, store_err *err)
{
	struct stat sb;
	if (fstat(home_fd, &sb) != 0)
		return err_set(err, STORE_STORAGE, "cannot use home '%s': %s", home, strerror(errno));
	if (sb.st_uid != geteuid())
		return err_set(err, STORE_STORAGE, "home '%s' belongs to uid %ld, not to the server's user (uid %ld): only "
			       "its owner may run its server", home, (long)sb.st_uid, (long)geteuid());
	if (sb.st_mode & 022)
		return err_set(err, STORE_STORAGE, "home '%s' can be written by %s (mode %04o): make it the owner's "
			       "alone with chmod go-w '%s' (its group may keep read access: chmod 750)", home,
			       sb.st_mode & 002 ? "anyone" : "its group", (unsigned)(sb.st_mode & 07777), home);
	return STORE_OK;
}

/* Opens the home's environment, or keeps why it cannot (s->open_err, which
 * every request is then answered with). */
static void open_home(server *s)
{
	if (!home_private) {
		srv_log(s, "refusing the home: %s", s->open_err.msg);
		return;
	}
	backup_copy = faccessat(home_fd, STORE_BACKUP_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (dbs_open(s->home, backup_copy ? STORE_OPEN_READ_ONLY : 0, &s->db, &s->open_err) != STORE_OK) {
		s->db = NULL;
		srv_log(s, "cannot open the home: %s", s->open_err.msg);
		return;
	}
	dbs_defer_flush(s->db, true);
	store_err e;
	dbs_generation(s->db, &s->gen, &e);
	if (backup_copy)
		srv_log(s, "this home is a backup (it holds %s): no timer, no hooks, changes refused; seectl restore makes a "
			"live home of it", STORE_BACKUP_MARK);
}

/* A server that could not open its home tries again when a client comes:
 * the cause (a permission, a full disk) may be gone, and that client should
 * not hear of it. */
static void open_home_again(server *s)
{
	if (s->db)
		return;
	memset(&s->open_err, 0, sizeof s->open_err);
	home_private = home_check(s->home, &s->open_err) == STORE_OK;
	open_home(s);
	if (s->db) {
		srv_log(s, "the home opens now (generation %llu)", (unsigned long long)s->gen);
		s->outbox_check = !backup_copy;
	}
}

/* ---- the main loop ---- */

/* Whether an answer to the owner waits for the batch's flush. */
static bool owner_answers(const server *s)
{
	for (size_t i = 0; i < s->n_conns; i++)
		if (s->conns[i]->owner && s->conns[i]->held.len)
			return true;
	return false;
}

static void serve(server *s)
{
	s->idle_since = srv_now_ms();
	while (!s->stop && !got_term) {
		size_t n = s->n_conns;
		if (!conn_poll_room(s, n + 2))
			break;
		struct pollfd *p = s->pfd;
		p[0].fd = s->lfd;
		p[0].events = POLLIN;
		int timeout = 1000;
		/* at a replica the master runs the timer and the notifications */
		if (repl_tick(s, &timeout) && !backup_copy) {
			jobs_timer_run(s, &timeout);
			jobs_hooks_pump(s, &timeout);
		}
		/* changes merged while the push interval ran go out when it ends */
		conn_push_tick(s, &timeout);
		int64_t now = srv_now_ms();
		s->buf_bytes = 0;
		for (size_t i = 0; i < n; i++) {
			conn *c = s->conns[i];
			s->buf_bytes += conn_buffers(c);
			p[i + 1].fd = c->fd;
			/* one whose answers wait unread is not read either, nor one
			 * whose request is on a reader thread, or waits for one:
			 * their hangup still wakes poll */
			bool busy = conn_behind(c) || c->in_reader || c->reader_wait;
			p[i + 1].events = (busy ? 0 : POLLIN) | (c->out_off < c->out.len ? POLLOUT : 0);
			/* a request already read waits for its turn: no sleep */
			if (conn_has_request(c))
				timeout = 0;
			if (c->waiting) {
				int64_t left = c->wait_deadline - now;
				if (left < timeout)
					timeout = left < 0 ? 0 : (int)left;
			}
		}
		/* and the reader threads' answers */
		p[n + 1].fd = readers_fd(s);
		p[n + 1].events = POLLIN;
		p[n + 1].revents = 0;
		int r = poll(p, n + 2, timeout);
		if (r < 0 && errno != EINTR)
			break;
		s->round_start = srv_now_ms();
		if (r > 0) {
			/* the owner's connections first, then the others', from
			 * another one each time: the time given to users other
			 * than the owner goes round them all */
			s->turn = n ? (s->turn + 1) % n : 0;
			for (size_t k = 0; k < 2 * n; k++) {
				/* the owner's answers go out before the others'
				 * requests run */
				if (k == n && owner_answers(s))
					conn_finish_batch(s);
				size_t i = (k + s->turn) % n;
				conn *c = s->conns[i];
				if (c->owner != (k < n))
					continue;
				/* gone while its request was on a reader: the read stops */
				if ((c->in_reader || c->reader_wait) && (p[i + 1].revents & (POLLHUP | POLLERR)))
					c->dead = true;
				/* one not read (its answers wait) learns of a hangup here */
				if (p[i + 1].revents & (POLLOUT | POLLHUP | POLLERR))
					conn_write(s, c);
				if (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
					conn_read(s, c);
			}
			if (p[0].revents & POLLIN) {
				open_home_again(s);
				conn_accept_all(s);
			}
			if (p[n + 1].revents & POLLIN)
				readers_collect(s);
		}
		/* while commits wait for their flush, requests that arrive now
		 * can share it: a few more looks, without waiting */
		for (int round = 0; round < GATHER_ROUNDS && s->db && dbs_flush_pending(s->db); round++)
			if (conn_gather(s) == 0)
				break;
		conn_finish_batch(s);
		/* frames that arrived behind an answered one */
		for (size_t i = 0; i < s->n_conns; i++)
			if (!s->conns[i]->dead && s->conns[i]->in.len >= 4 && !s->conns[i]->waiting)
				conn_read(s, s->conns[i]);
		conn_finish_batch(s);
		if (conn_reap(s))
			conn_finish_batch(s); /* the dashboards hear of it */
		readers_expire(s);
		if (s->db) {
			int64_t ms;
			store_err e;
			int renewed = dbs_versions_renew(s->db, &ms, &e);
			if (renewed > 0)
				srv_log(s, "the cache was renewed in %lld ms: a long read had left copies of pages in it "
					"that slowed every write", (long long)ms);
			else if (renewed < 0)
				srv_log(s, "renewing the cache failed: %s (the next change, or this again in 5 s, opens the home)",
					e.msg);
		}
		now = srv_now_ms();
		if (now - s->checked_home >= 1000) {
			s->checked_home = now;
			if (!home_is_ours(s)) {
				s->gone = true;
				break;
			}
			socket_follow_home(s);
		}
		if (now - s->groups_checked >= (int64_t)s->group_check_s * 1000) {
			s->groups_checked = now;
			conn_check_groups(s);
		}
		/* a deadline or a notification keeps it; a server that could not
		 * open the home has neither, whatever its outbox held */
		bool jobs = s->db && !backup_copy && (s->next_any || s->n_hooks || s->outbox_check);
		if (s->n_conns || jobs || (stays && s->db))
			s->idle_since = now;
		else if (now - s->idle_since >= (int64_t)(s->db ? s->idle_s : 1) * 1000)
			break;
	}
}

int server_run(const char *home, const server_opts *o)
{
	server s;
	memset(&s, 0, sizeof s);
	s.home = home;
	log_to_stderr = o->foreground;
	stays = o->foreground;
	s.logfd = -1;
	s.started = time(NULL);
	umask(077);
	home_fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (home_fd < 0)
		return 1;
	home_private = home_check(home, &s.open_err) == STORE_OK;
	struct stat hsb;
	if (fstat(home_fd, &hsb) == 0)
		s.home_gid = hsb.st_gid;
	int lock = open_own(SERVER_LOCK, O_RDWR | O_CREAT);
	struct stat lsb;
	if (lock >= 0 && (fstat(lock, &lsb) != 0 || !S_ISREG(lsb.st_mode))) {
		close(lock);
		lock = -1;
	}
	if (lock < 0)
		return 1;
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		close(lock);
		return 0; /* another server has the home */
	}
	s.lock = lock;
	if (fstat(lock, &s.lock_st) != 0 || !home_is_ours(&s)) {
		close(lock);
		return 0; /* the lock file was replaced as we took it */
	}
	/* the lock file names its holder, for people and scripts */
	char pid[32];
	int pn = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(lock, 0) == 0)
		(void)!pwrite(lock, pid, (size_t)pn, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	const char *v = getenv("SEESTORE_SERVER_IDLE_S");
	s.idle_s = v ? atoi(v) : IDLE_S_DEFAULT;
	if (s.idle_s < 1 || s.idle_s > 86400)
		s.idle_s = IDLE_S_DEFAULT;
	v = getenv("SEESTORE_HOOK_TIMEOUT_MS");
	s.hook_time_ms = v ? atoi(v) : HOOK_TIME_MS;
	if (s.hook_time_ms < 100 || s.hook_time_ms > 3600000)
		s.hook_time_ms = HOOK_TIME_MS;
	v = getenv("SEESTORE_MAX_CLIENTS");
	s.max_clients = v ? atoi(v) : MAX_CLIENTS_DEFAULT;
	if (s.max_clients < 1 || s.max_clients > 65536)
		s.max_clients = MAX_CLIENTS_DEFAULT;
	v = getenv("SEESTORE_MAX_CLIENTS_PER_USER");
	s.max_per_user = v ? atoi(v) : MAX_PER_USER_DEFAULT;
	if (s.max_per_user < 1 || s.max_per_user > 65536)
		s.max_per_user = MAX_PER_USER_DEFAULT;
	v = getenv("SEESTORE_BUFFER_MB");
	long mb = v ? atol(v) : BUFFER_MB_DEFAULT;
	if (mb < 1 || mb > 1048576)
		mb = BUFFER_MB_DEFAULT;
	s.buf_max = (size_t)mb << 20;
	v = getenv("SEESTORE_GROUP_CHECK_S");
	s.group_check_s = v ? atoi(v) : GROUP_CHECK_S_DEFAULT;
	if (s.group_check_s < 1 || s.group_check_s > GROUP_CHECK_S_DEFAULT)
		s.group_check_s = GROUP_CHECK_S_DEFAULT;
	v = getenv("SEESTORE_TEST_DIE_AFTER_COMMIT");
	s.die_after = v && *v ? v : NULL;
	log_open(&s);
	srv_log(&s, "server starting for %s", home);
	if (o->note)
		srv_log(&s, "%s", o->note);
	open_home(&s);
	s.lfd = listen_on(&s);
	if (s.lfd < 0) {
		srv_log(&s, "cannot listen on %s/%s: %s", home, SERVER_SOCKET, strerror(errno));
		dbs_close(s.db);
		return 1;
	}
	fstatat(home_fd, SERVER_SOCKET, &s.sock_st, AT_SYMLINK_NOFOLLOW);
	srv_log(&s, "listening (generation %llu)", (unsigned long long)s.gen);
	s.outbox_check = true; /* notifications a previous server did not run */
	serve(&s);
	if (s.gone)
		_exit(0); /* nothing here is ours any more: write nothing */
	readers_stop(&s); /* before the environment closes */
	/* answers of the last batch are flushed; then a checkpoint, so that the
	 * next start's recovery has little to replay */
	if (s.db) {
		store_err e;
		dbs_checkpoint(s.db, &e);
	}
	for (size_t i = 0; i < s.n_conns; i++)
		conn_write(&s, s.conns[i]);
	/* a server that never opened its home failed (systemd restarts it) */
	int status = s.db ? 0 : 1;
	dbs_close(s.db);
	/* the socket goes before the lock: a client that finds no socket starts
	 * a server, which waits for the lock */
	struct stat now_st;
	if (fstatat(home_fd, SERVER_SOCKET, &now_st, AT_SYMLINK_NOFOLLOW) == 0 && now_st.st_ino == s.sock_st.st_ino &&
	    now_st.st_dev == s.sock_st.st_dev)
		unlinkat(home_fd, SERVER_SOCKET, 0);
	srv_log(&s, "server exits (%s)", s.stop ? "stopped" : got_term ? "terminated" : "idle");

	for (size_t i = 0; i < s.n_conns; i++)
		conn_free(s.conns[i]);
	for (size_t i = 0; i < s.n_push_ids; i++)
		free(s.push_ids[i]);
	free(s.conns);
	free(s.pfd);
	free(s.pconn);
	if (s.logfd >= 0)
		close(s.logfd);
	close(lock);
	return status;
}
