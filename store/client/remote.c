/* remote.c - homes on another host, addressed as ssh://[USER@]HOST[:PORT]/PATH.
 *
 * A connection to such a home is a socketpair whose other end is the
 * standard input and output of the user's own ssh, which runs
 * `seectl --home PATH server proxy` on the host: the proxy joins its
 * standard input and output to the home's socket there, as the remote user,
 * so the server's rules about who may do what apply unchanged.  The frames
 * are the same as over the local socket.  ssh's connection sharing
 * (ControlMaster, a socket per program in a private directory) makes a
 * program's connections (its requests and its push subscription) share one
 * ssh session, which authenticates once.  What ssh or the remote seectl says on failure is
 * kept in a private file and handed back as the reason. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "client_int.h"

extern char **environ;

#define REMOTE_CONNS 16         /* ssh processes a program keeps at once */
#define CONNECT_TIMEOUT_S 10    /* ssh's ConnectTimeout unless SEETOP_SSH_TIMEOUT says */
#define WHY_MAX 400

typedef struct remote_conn {
	bool used;   /* fd is ours and open */
	int fd;      /* our end of the socketpair */
	pid_t pid;   /* the ssh process */
	int err_fd;  /* what ssh and the remote side printed on stderr */
	uint32_t addr; /* a hash of [USER@]HOST[:PORT]: connections sharing one ssh session */
} remote_conn;

static remote_conn conns[REMOTE_CONNS];

bool client_home_is_remote(const char *home)
{
	return home && strncmp(home, "ssh://", 6) == 0;
}

store_code client_remote_parse(const char *home, client_remote *r, store_err *err)
{
	memset(r, 0, sizeof *r);
	const char *p = home + 6;
	const char *slash = strchr(p, '/');
	if (!slash || slash == p || slash[1] == '\0')
		return err_set(err, STORE_INVALID_INPUT,
			    "home '%s': say ssh://[USER@]HOST[:PORT]/ABSOLUTE/PATH", home);
	const char *at = memchr(p, '@', (size_t)(slash - p));
	if (at) {
		size_t n = (size_t)(at - p);
		if (n == 0 || n >= sizeof r->user)
			return err_set(err, STORE_INVALID_INPUT, "home '%s': the user name is empty or over %zu bytes",
				    home, sizeof r->user - 1);
		memcpy(r->user, p, n);
		p = at + 1;
	}
	const char *host_end = slash;
	const char *colon = NULL;
	if (*p == '[') { /* [::1]:22 */
		const char *close = memchr(p, ']', (size_t)(slash - p));
		if (!close)
			return err_set(err, STORE_INVALID_INPUT, "home '%s': an unclosed '[' in the host", home);
		p++;
		host_end = close;
		if (close[1] == ':')
			colon = close + 1;
		else if (close + 1 != slash)
			return err_set(err, STORE_INVALID_INPUT, "home '%s': say [ADDRESS]:PORT", home);
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		if (colon)
			host_end = colon;
	}
	size_t hn = (size_t)(host_end - p);
	if (hn == 0 || hn >= sizeof r->host)
		return err_set(err, STORE_INVALID_INPUT, "home '%s': the host is empty or over %zu bytes", home,
			    sizeof r->host - 1);
	memcpy(r->host, p, hn);
	if (r->host[0] == '-' || strpbrk(r->host, " \t'\"\\;|&$`<>()") || (r->user[0] && (r->user[0] == '-' ||
	    strpbrk(r->user, " \t'\"\\;|&$`<>()"))))
		return err_set(err, STORE_INVALID_INPUT, "home '%s': the host or user holds a character ssh cannot take",
			    home);
	if (colon) {
		char *end;
		errno = 0;
		unsigned long port = strtoul(colon + 1, &end, 10);
		if (end != slash || colon + 1 == slash || errno || port < 1 || port > 65535)
			return err_set(err, STORE_INVALID_INPUT, "home '%s': the port must be 1 to 65535", home);
		r->port = (int)port;
	}
	size_t pn = strlen(slash);
	if (pn >= sizeof r->path)
		return err_set(err, STORE_INVALID_INPUT, "home '%s': the path is over %zu bytes", home,
			    sizeof r->path - 1);
	memcpy(r->path, slash, pn + 1);
	return STORE_OK;
}

/* The directory of ssh's shared connections: private to this user. */
static int control_dir(char *out, size_t cap)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char base[PATH_MAX];
	if (rt && *rt && rt[0] == '/' && strlen(rt) < 200)
		snprintf(base, sizeof base, "%s", rt);
	else
		snprintf(base, sizeof base, "/tmp");
	int n = snprintf(out, cap, "%s/seetop-ssh-%ld", base, (long)geteuid());
	if (n < 0 || (size_t)n >= cap)
		return -1;
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return -1;
	struct stat sb;
	if (lstat(out, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 077))
		return -1; /* someone else's, or open to others: go without sharing */
	return 0;
}

/* A shell word for the remote command line: 'it''s' style quoting. */
static int shell_quote(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	if (o + 1 >= cap)
		return -1;
	out[o++] = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			if (o + 4 >= cap)
				return -1;
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *s;
		}
	}
	if (o + 2 > cap)
		return -1;
	out[o++] = '\'';
	out[o] = '\0';
	return 0;
}

/* FNV-1a of the address part of a home: the name of its shared session. */
static uint32_t addr_hash(const client_remote *r)
{
	char key[400];
	snprintf(key, sizeof key, "%s@%s:%d", r->user, r->host, r->port);
	uint32_t h = 2166136261u;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static void reap(void)
{
	for (int i = 0; i < REMOTE_CONNS; i++)
		if (!conns[i].used && conns[i].pid > 0 && waitpid(conns[i].pid, NULL, WNOHANG) != 0)
			conns[i].pid = 0;
}

int client_remote_connect(const char *home, store_err *err)
{
	client_remote r;
	if (client_remote_parse(home, &r, err))
		return -1;
	reap();
	int slot = -1;
	for (int i = 0; i < REMOTE_CONNS && slot < 0; i++)
		if (!conns[i].used && conns[i].pid == 0)
			slot = i;
	if (slot < 0) {
		err_set(err, STORE_STORAGE, "too many connections to '%s' at once", home);
		return -1;
	}
	const char *ssh = getenv("SEETOP_SSH");
	if (!ssh || !*ssh)
		ssh = "ssh";
	const char *seectl = getenv("SEETOP_REMOTE_SEECTL");
	if (!seectl || !*seectl)
		seectl = "seectl";
	const char *t = getenv("SEETOP_SSH_TIMEOUT");
	int timeout_s = t && atoi(t) > 0 && atoi(t) <= 3600 ? atoi(t) : CONNECT_TIMEOUT_S;

	char qpath[2 * PATH_MAX], remote_cmd[3 * PATH_MAX], opt_timeout[64], opt_cpath[PATH_MAX + 32], port[16];
	char cdir[PATH_MAX];
	if (shell_quote(qpath, sizeof qpath, r.path) < 0 ||
	    snprintf(remote_cmd, sizeof remote_cmd, "%s --home %s server proxy", seectl, qpath) >= (int)sizeof remote_cmd) {
		err_set(err, STORE_INVALID_INPUT, "home '%s': the path is too long for a remote command", home);
		return -1;
	}
	snprintf(opt_timeout, sizeof opt_timeout, "ConnectTimeout=%d", timeout_s);
	const char *argv[32];
	int a = 0;
	argv[a++] = ssh;
	argv[a++] = "-T";
	argv[a++] = "-o";
	argv[a++] = "BatchMode=yes";
	argv[a++] = "-o";
	argv[a++] = opt_timeout;
	if (control_dir(cdir, sizeof cdir) == 0) {
		/* this program's own: another program's stopped ssh must not
		 * stall it; the first session is the master and leaves with
		 * the last one */
		uint32_t h = addr_hash(&r);
		char sock[PATH_MAX + 32];
		snprintf(sock, sizeof sock, "%s/%ld-%08x", cdir, (long)getpid(), (unsigned)h);
		snprintf(opt_cpath, sizeof opt_cpath, "ControlPath=%s", sock);
		/* a second connection while the first is still being made would
		 * authenticate on its own: wait for the first's shared session */
		bool sharing = false;
		for (int i = 0; i < REMOTE_CONNS; i++)
			sharing |= conns[i].used && conns[i].addr == h;
		struct stat sb;
		for (int waited = 0; sharing && waited < 3000 && !(stat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode)); waited += 10)
			client_nap_ms(10);
		conns[slot].addr = h;
		argv[a++] = "-o";
		argv[a++] = "ControlMaster=auto";
		argv[a++] = "-o";
		argv[a++] = opt_cpath;
		argv[a++] = "-o";
		argv[a++] = "ControlPersist=no";
	}
	if (r.port) {
		snprintf(port, sizeof port, "%d", r.port);
		argv[a++] = "-p";
		argv[a++] = port;
	}
	if (r.user[0]) {
		argv[a++] = "-l";
		argv[a++] = r.user;
	}
	argv[a++] = "--";
	argv[a++] = r.host;
	argv[a++] = remote_cmd;
	argv[a] = NULL;

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		err_set(err, STORE_STORAGE, "cannot make a socket pair for ssh: %s", strerror(errno));
		return -1;
	}
	char tmpl[] = "/tmp/seetop-ssh-err-XXXXXX";
	int efd = mkostemp(tmpl, O_CLOEXEC);
	if (efd < 0) {
		close(sv[0]);
		close(sv[1]);
		err_set(err, STORE_STORAGE, "cannot make a file for ssh's messages: %s", strerror(errno));
		return -1;
	}
	unlink(tmpl);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	posix_spawnattr_init(&attr);
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	/* its own process group: a Ctrl-C at the terminal is the program's to
	 * handle, not a cut in the middle of a frame */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	pid_t pid;
	int rc = posix_spawnp(&pid, ssh, &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		close(efd);
		err_set(err, STORE_STORAGE, "cannot run %s to reach '%s': %s (install openssh-client, or name it "
				     "in SEETOP_SSH)", ssh, home, strerror(rc));
		err->db_ret = rc;
		return -1;
	}
	conns[slot].used = true;
	conns[slot].fd = sv[0];
	conns[slot].pid = pid;
	conns[slot].err_fd = efd;
	return sv[0];
}

static remote_conn *find(int fd)
{
	for (int i = 0; i < REMOTE_CONNS; i++)
		if (conns[i].used && conns[i].fd == fd)
			return &conns[i];
	return NULL;
}

bool client_remote_why(int fd, char *out, size_t cap, int *exit_status)
{
	remote_conn *c = find(fd);
	*exit_status = -1;
	if (!c || cap == 0)
		return false;
	/* ssh has exited or is about to: give it a moment to say why */
	int status;
	for (int i = 0; i < 200; i++) {
		pid_t w = waitpid(c->pid, &status, WNOHANG);
		if (w == c->pid) {
			c->pid = 0;
			*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		if (w < 0)
			break;
		client_nap_ms(5);
	}
	char buf[8192];
	ssize_t n = pread(c->err_fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* the last line that says something: ssh's or the remote seectl's */
	char *last = NULL;
	for (char *line = strtok(buf, "\r\n"); line; line = strtok(NULL, "\r\n")) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line && strncmp(line, "Warning: Permanently added", 26) != 0)
			last = line;
	}
	if (!last)
		return false;
	snprintf(out, cap, "%.*s", WHY_MAX, last);
	return true;
}

void client_remote_close(int fd)
{
	remote_conn *c = find(fd);
	if (!c)
		return;
	close(c->err_fd);
	c->used = false;
	/* ssh leaves when its standard input closes (the caller closes fd) */
	reap();
}

store_code client_remote_open(store *st, int *out, store_err *err)
{
	*out = -1;
	int fd = client_remote_connect(st->home, err);
	if (fd < 0)
		return err->code;
	bool answered, again;
	store_code c = client_hello(st, fd, &answered, &again, err);
	if (c == STORE_OK) {
		*out = fd;
		return STORE_OK;
	}
	if (again) {
		/* the host's server is older than this program: locally the next
		 * client starts this build's, but on the host the proxy starts
		 * the host's own build again */
		client_remote r;
		client_remote_parse(st->home, &r, err);
		c = err_set(err, STORE_STORAGE,
			    "the store server on %s is older than this program (protocol revision %llu here): upgrade "
			    "seetop on %s", r.host, (unsigned long long)wire_revision(), r.host);
	} else if (!answered) {
		/* ssh, or the seectl it ran, gave up before the server spoke */
		client_remote r;
		client_remote_parse(st->home, &r, err);
		char why[WHY_MAX + 1];
		int status;
		bool said = client_remote_why(fd, why, sizeof why, &status);
		if (!said)
			snprintf(why, sizeof why, "the connection closed%s", status < 0 ? " (ssh still runs)" : "");
		if (status == 255 || status < 0)
			c = err_set(err, STORE_STORAGE, "cannot reach %s over ssh: %s", r.host, why);
		else if (status == 127 || status == 126)
			c = err_set(err, STORE_STORAGE, "cannot run seectl on %s: %s (install seetop there, or name its "
					     "seectl with remote_seectl or SEETOP_REMOTE_SEECTL)", r.host, why);
		else if (status == 2)
			c = err_set(err, STORE_STORAGE, "the seectl on %s cannot serve remote homes (too old?): %s",
				    r.host, why);
		else if (status == 1)
			c = err_set(err, STORE_NOT_FOUND, "on %s: %s", r.host, why);
		else
			c = err_set(err, STORE_STORAGE, "on %s: %s", r.host, why);
	}
	client_close_fd(fd);
	return c;
}

void client_close_fd(int fd)
{
	if (fd < 0)
		return;
	client_remote_close(fd);
	close(fd);
}

/* ---- the proxy: the remote end ---- */

/* Moves what one side has to the other; 1 at the end of input, -1 on error. */
static int pump(int from, int to, bool from_sock, bool to_sock)
{
	char buf[65536];
	ssize_t n = from_sock ? recv(from, buf, sizeof buf, MSG_DONTWAIT) : read(from, buf, sizeof buf);
	if (n == 0)
		return 1;
	if (n < 0)
		return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	size_t off = 0;
	while (off < (size_t)n) {
		ssize_t w = to_sock ? send(to, buf + off, (size_t)n - off, MSG_NOSIGNAL) : write(to, buf + off, (size_t)n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf = { to, POLLOUT, 0 };
			poll(&pf, 1, 1000);
			continue;
		}
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static bool is_socket(int fd)
{
	struct stat sb;
	return fstat(fd, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

store_code store_proxy(const char *home, int in_fd, int out_fd, store_err *err)
{
	memset(err, 0, sizeof *err);
	store *st;
	/* store_open finds the home, starts its server when need be (by the
	 * usual rules: only its owner starts one) and says what is wrong */
	store_code c = store_open(home, 0, &st, err);
	if (c)
		return c;
	char abs[PATH_MAX];
	snprintf(abs, sizeof abs, "%s", store_home(st));
	store_close(st);
	int fd = -1;
	for (int i = 0; i < 100 && fd < 0; i++) {
		fd = client_connect(abs);
		if (fd < 0)
			client_nap_ms(20); /* it went idle and away in between: it is started again below */
		if (fd < 0 && i == 50 && store_open(home, 0, &st, err) == STORE_OK)
			store_close(st);
	}
	if (fd < 0)
		return err_set(err, STORE_STORAGE, "cannot connect to the store server of '%s': %s", abs, strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	bool in_sock = is_socket(in_fd), out_sock = is_socket(out_fd);
	for (;;) {
		struct pollfd pf[2] = { { in_fd, POLLIN, 0 }, { fd, POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = pump(in_fd, fd, in_sock, true);
			if (r != 0)
				break; /* the client went: so does its connection */
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = pump(fd, out_fd, true, out_sock);
			if (r != 0)
				break; /* the server went (a restart): the client connects again */
		}
	}
	close(fd);
	return STORE_OK;
}
