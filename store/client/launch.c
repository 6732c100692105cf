/* launch.c - reaching a home's store server: its socket, starting it when
 * none runs, creating a home, and stopping its server. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "server.h"
#include "wire.h"
#include "client_int.h"

int client_connect(const char *home)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	int dirfd = -1;
	int n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", home, SERVER_SOCKET);
	if (n < 0 || (size_t)n >= sizeof sa.sun_path) {
		/* a long home: reach the socket through the directory's descriptor */
		dirfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return -1;
		snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, SERVER_SOCKET);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int saved = errno;
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		saved = errno;
		close(fd);
		fd = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	errno = saved;
	return fd;
}

/* Starts the server of `home` the way tmux starts its own: fork, and the
 * child (detached from the session, its descriptors closed) runs it.  The
 * server takes the home's lock, so two clients starting one at once leave
 * one server. */
void client_spawn_server(const char *home)
{
	pid_t pid = fork();
	if (pid < 0)
		return;
	if (pid > 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	long maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (int fd = 0; fd < maxfd; fd++)
		close(fd);
	int null = open("/dev/null", O_RDWR);
	if (null == 0) {
		(void)!dup(0);
		(void)!dup(0);
	}
	(void)!chdir("/");
	_exit(server_run(home));
}

bool client_has_store(const char *home)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/meta.db", home);
	return access(path, F_OK) == 0;
}

store_code client_make_home(const char *home, store_err *err)
{
	struct stat sb;
	if (stat(home, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return err_set(err, STORE_STORAGE, "home '%s' is not a directory", home);
		return STORE_OK;
	}
	if (errno != ENOENT)
		return err_set(err, STORE_STORAGE, "cannot use home '%s': %s", home, strerror(errno));
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", home);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return err_set(err, STORE_STORAGE, "cannot create '%s': %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return err_set(err, STORE_STORAGE, "cannot create home '%s': %s", home, strerror(errno));
	return STORE_OK;
}

store_code store_server_stop(const char *home, bool *was_running, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (was_running)
		*was_running = false;
	char abs[PATH_MAX];
	if (!realpath(home, abs))
		return err_set(err, STORE_NOT_FOUND, "no store in '%s': %s", home, strerror(errno));
	int fd = client_connect(abs);
	if (fd < 0)
		return STORE_OK; /* none runs */
	store tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.home = abs;
	tmp.fd = -1;
	tmp.watch_fd = -1;
	tmp.timeout_ms = CLIENT_TIMEOUT_MS_DEFAULT;
	bool answered, again;
	store_code c = client_hello(&tmp, fd, &answered, &again, err);
	if (again)
		c = STORE_OK; /* it is leaving already: wait for it */
	if (c == STORE_OK) {
		record_buf b = { 0 };
		int64_t deadline = client_now_ms() + tmp.timeout_ms;
		if (again)
			;
		else if (client_begin_change(&tmp, &b, OP_STOP) || wire_finish(&b) < 0)
			c = client_oom(err);
		else if (tmp.read_only)
			c = err_set(err, STORE_READ_ONLY, "only the owner of '%s' may stop its server", abs);
		else if (client_send_all(fd, b.data, b.len, deadline) != STORE_OK || client_recv_frame(fd, &tmp.in, deadline) != 0)
			c = err_set(err, STORE_STORAGE, "the store server of '%s' did not answer", abs);
		record_buf_free(&b);
		/* the server closes every connection as it exits, and its lock goes
		 * with the process: wait for both */
		while (c == STORE_OK && client_recv_frame(fd, &tmp.in, deadline) == 0)
			;
		char lpath[PATH_MAX + 32];
		snprintf(lpath, sizeof lpath, "%s/%s", abs, SERVER_LOCK);
		int lfd = open(lpath, O_RDONLY | O_CLOEXEC);
		while (c == STORE_OK && lfd >= 0 && flock(lfd, LOCK_SH | LOCK_NB) != 0 && client_now_ms() < deadline)
			client_nap_ms(5);
		if (lfd >= 0)
			close(lfd);
		/* and the process itself is gone (or a zombie its parent reaps) */
		char spath[64], stat[256];
		snprintf(spath, sizeof spath, "/proc/%ld/stat", tmp.server_pid);
		while (c == STORE_OK && tmp.server_pid > 0 && client_now_ms() < deadline) {
			FILE *f = fopen(spath, "re");
			if (!f)
				break;
			size_t n = fread(stat, 1, sizeof stat - 1, f);
			fclose(f);
			stat[n] = '\0';
			const char *paren = strrchr(stat, ')');
			if (!paren || paren[1] != ' ' || paren[2] == 'Z' || paren[2] == 'X')
				break;
			client_nap_ms(5);
		}
		if (c == STORE_OK && was_running)
			*was_running = true;
	} else if (answered) {
		c = STORE_OK; /* a server that cannot open the home: it leaves by itself */
		if (was_running)
			*was_running = true;
	}
	record_buf_free(&tmp.in);
	close(fd);
	return c;
}
