/* launch.c - reaching a home's store server: its socket, starting it when
 * none runs, creating a home, and stopping its server. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
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
#include "homecopy.h"
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
	/* never blocks: a server that is there but does not accept (stopped
	 * with Ctrl-Z) has a queue of connections that fills, and a blocking
	 * connect would then wait for as long as it stays stopped; a full
	 * queue is EAGAIN, which callers take for "does not answer" */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int saved = errno;
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		saved = errno;
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	if (dirfd >= 0)
		close(dirfd);
	errno = saved;
	return fd;
}

/* The settings of the server that a caller may give it (documented in
 * seestore-server(7)), and where it finds the config that names the hooks'
 * PATH: passed on when set, and nothing else of the caller's environment. */
static const char *const server_settings[] = {
	"SEESTORE_CACHE_MB", "SEESTORE_SERVER_IDLE_S", "SEESTORE_HOOK_TIMEOUT_MS", "SEESTORE_MAX_CLIENTS",
	"SEESTORE_MAX_CLIENTS_PER_USER", "SEESTORE_BUFFER_MB", "SEESTORE_GROUP_CHECK_S",
	"SEESTORE_PROTOCOL_REVISION", "SEESTORE_TEST_DIE_AFTER_COMMIT", "SEETOP_CONFIG", "XDG_CONFIG_HOME", NULL,
};

/* A program we may run as ourselves: a regular file owned by us or root
 * that nobody else can replace. */
static bool trusted_program(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0111) &&
	       (sb.st_uid == geteuid() || sb.st_uid == 0) && !(sb.st_mode & 022);
}

const char *client_server_program(void)
{
	const char *env = secure_getenv("SEESTORE_SERVER"); /* never in a set-id program */
	if (env && *env)
		return env;
	/* a build that is not installed (the README's quick start) runs the
	 * server it built */
	if (access(SEESTORE_SERVER_PATH, F_OK) != 0 && trusted_program(SEESTORE_SERVER_BUILT))
		return SEESTORE_SERVER_BUILT;
	return SEESTORE_SERVER_PATH;
}

/* A line in the home's server.log from a client that could not start the
 * server: the error a client reports names that file. */
static void note_in_log(const char *home, const char *msg)
{
	int dirfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	int fd = openat(dirfd, SERVER_LOG, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dirfd);
	if (fd < 0)
		return;
	char ts[40], line[PATH_MAX * 2 + 200];
	record_timestamp_now(ts, sizeof ts);
	int n = snprintf(line, sizeof line, "%s [%ld] ", ts, (long)getpid());
	n += snprintf(line + n, sizeof line - (size_t)n - 1, "%s", msg);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	(void)!write(fd, line, (size_t)n);
	close(fd);
}

/* Starts the server of `home`: the program seestore-server, spawned (never
 * a fork of the caller, which may run threads) with an explicit
 * environment; it detaches by itself, and the process spawned here exits
 * at once, so it is reaped here.  The server takes the home's lock, so two
 * clients starting one at once leave one server. */
void client_spawn_server(const char *home)
{
	const char *prog = client_server_program();
	char *envp[sizeof server_settings / sizeof *server_settings];
	size_t n = 0;
	for (size_t i = 0; server_settings[i]; i++) {
		const char *v = getenv(server_settings[i]);
		if (!v)
			continue;
		size_t len = strlen(server_settings[i]) + strlen(v) + 2;
		if (!(envp[n] = malloc(len)))
			break;
		snprintf(envp[n++], len, "%s=%s", server_settings[i], v);
	}
	envp[n] = NULL;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_init(&fa);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_RDWR, 0);
	char *const argv[] = { (char *)"seestore-server", (char *)home, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, prog, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (size_t i = 0; i < n; i++)
		free(envp[i]);
	if (rc != 0) {
		char msg[PATH_MAX + 100];
		snprintf(msg, sizeof msg, "cannot start the store server %s: %s", prog, strerror(rc));
		note_in_log(home, msg);
		return;
	}
	/* it forks the server and exits at once: reap it, without blocking
	 * (ECHILD when the caller's SIGCHLD handler did, or ignores SIGCHLD,
	 * when a blocking wait would wait for every child of the caller) */
	for (int i = 0; i < 2000; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		client_nap_ms(1);
	}
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

/* The pid in the home's server.lock while a server holds that lock: 0 when
 * none does, -1 when one does but the file names no pid yet. */
static long lock_holder(const char *home)
{
	int dirfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 0;
	int fd = openat(dirfd, SERVER_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dirfd);
	if (fd < 0)
		return 0;
	long pid = 0;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		char buf[32];
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, NULL, 10);
		if (pid <= 0)
			pid = -1;
	}
	close(fd);
	return pid;
}

/* The process runs (a zombie whose parent has yet to reap it does not). */
static bool process_runs(long pid)
{
	char spath[64], stat[256];
	snprintf(spath, sizeof spath, "/proc/%ld/stat", pid);
	FILE *f = fopen(spath, "re");
	if (!f)
		return false;
	size_t n = fread(stat, 1, sizeof stat - 1, f);
	fclose(f);
	stat[n] = '\0';
	const char *paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* Waits until the home's lock is free and the process `pid` (when known)
 * is gone; false when the deadline came first. */
/* Waits for the server asked to stop (pid, when known) to be gone: its
 * process ended and the home's lock no longer its.  Another program may
 * start a new server meanwhile (its socket is gone before the old process
 * has ended, which a sanitizer's leak check at exit makes long): that one
 * holds the lock and is not waited for. */
static bool wait_gone(const char *home, long pid, int64_t deadline)
{
	for (;;) {
		long holder = lock_holder(home);
		bool runs = pid > 0 && process_runs(pid);
		if (!runs && (pid > 0 ? holder != pid : holder == 0))
			return true;
		if (client_now_ms() >= deadline)
			return false;
		client_nap_ms(5);
	}
}

store_code store_server_stop(const char *home, bool *was_running, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (was_running)
		*was_running = false;
	char abs[PATH_MAX];
	if (!realpath(home, abs))
		return err_set(err, STORE_NOT_FOUND, "no store in '%s': %s", home, strerror(errno));
	struct stat sb;
	bool owner = stat(abs, &sb) == 0 && sb.st_uid == geteuid();
	int64_t deadline = client_now_ms() + CLIENT_TIMEOUT_MS_DEFAULT;
	long holder = lock_holder(abs);
	int fd = client_connect(abs);
	store tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.home = abs;
	tmp.fd = -1;
	tmp.watch_fd = -1;
	tmp.timeout_ms = CLIENT_TIMEOUT_MS_DEFAULT;
	store_code c = STORE_OK;
	bool answered = false, again = false, asked = false;
	if (fd >= 0) {
		c = client_hello(&tmp, fd, &answered, &again, err);
		if (again)
			c = STORE_OK; /* it is leaving already: wait for it */
		if (c == STORE_OK && !again) {
			record_buf b = { 0 };
			if (client_begin_change(&tmp, &b, OP_STOP) || wire_finish(&b) < 0)
				c = client_oom(err);
			else if (tmp.read_only)
				c = err_set(err, STORE_READ_ONLY, "only the owner of '%s' may stop its server", abs);
			else if (client_send_all(fd, b.data, b.len, deadline) != STORE_OK ||
				 client_recv_frame(fd, &tmp.in, deadline) != 0)
				c = err_set(err, STORE_STORAGE, "the store server of '%s' did not answer", abs);
			record_buf_free(&b);
			/* the server closes every connection as it exits */
			while (c == STORE_OK && client_recv_frame(fd, &tmp.in, deadline) == 0)
				;
			asked = c == STORE_OK;
		}
	}
	long pid = tmp.server_pid > 0 ? tmp.server_pid : holder;
	if (!asked && c == STORE_OK && !again && holder == 0) {
		/* none runs */
	} else if (!asked && (answered || holder != 0) && !again) {
		/* a server that answers nothing but why it cannot open the home
		 * (or holds the lock without a socket): its owner ends it */
		if (!owner) {
			if (c == STORE_OK)
				c = err_set(err, STORE_READ_ONLY, "only the owner of '%s' may stop its server", abs);
		} else if (pid > 0 && kill((pid_t)pid, SIGTERM) == 0) {
			memset(err, 0, sizeof *err);
			c = STORE_OK;
			asked = true;
		}
	}
	if (c == STORE_OK && (asked || again)) {
		if (!wait_gone(abs, pid, deadline))
			c = err_set(err, STORE_STORAGE, "the store server of '%s' (pid %ld) was asked to stop and still runs "
				    "after %d s: see %s/%s", abs, pid, CLIENT_TIMEOUT_MS_DEFAULT / 1000, abs, SERVER_LOG);
		else if (was_running)
			*was_running = true;
	}
	record_buf_free(&tmp.in);
	if (fd >= 0)
		close(fd);
	return c;
}

bool store_server_stopped(const char *home)
{
	char abs[PATH_MAX];
	if (client_home_is_remote(home) || !realpath(home, abs))
		return false;
	/* said from the moment the stop is taken, while the server still
	 * finishes (its socket may still take a connection then); the next
	 * server writes its own pid over it */
	int dirfd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return false;
	int fd = openat(dirfd, SERVER_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dirfd);
	if (fd < 0)
		return false;
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	const char *nl = strchr(buf, '\n');
	return nl && strncmp(nl + 1, "stopped\n", 8) == 0;
}

bool store_server_running(const char *home)
{
	char abs[PATH_MAX];
	if (!realpath(home, abs))
		return false;
	int fd = client_connect(abs);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	return lock_holder(abs) != 0;
}

/* Copies the files of a store (data and log) from one directory to
 * another, each new and flushed. */
static store_code copy_store_files(int from, int to, const char *src, store_err *err)
{
	int scan = dup(from);
	DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
	if (!d) {
		if (scan >= 0)
			close(scan);
		return err_set(err, STORE_STORAGE, "restore: cannot read '%s': %s", src, strerror(errno));
	}
	store_code c = STORE_OK;
	struct dirent *de;
	while (!c && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if ((n > 3 && strcmp(de->d_name + n - 3, ".db") == 0) || strncmp(de->d_name, "log.", 4) == 0)
			c = homecopy_file(from, to, de->d_name, "restore", err);
	}
	closedir(d);
	return c;
}

store_code store_restore(const char *backup, const char *home, store_err *err)
{
	memset(err, 0, sizeof *err);
	char src[PATH_MAX];
	if (!realpath(backup, src))
		return err_set(err, STORE_NOT_FOUND, "restore: no backup in '%s': %s", backup, strerror(errno));
	int from = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0)
		return err_set(err, STORE_NOT_FOUND, "restore: no backup in '%s': %s", src, strerror(errno));
	if (faccessat(from, STORE_BACKUP_MARK, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
		close(from);
		return err_set(err, STORE_INVALID_INPUT, "restore: '%s' is not a backup (it holds no %s): seectl backup "
			       "makes one", src, STORE_BACKUP_MARK);
	}
	/* the target: a new directory, or an empty one of the user's own */
	char dst[PATH_MAX], parent[PATH_MAX], tmpl[PATH_MAX + 64];
	snprintf(dst, sizeof dst, "%s", home);
	size_t len = strlen(dst);
	while (len > 1 && dst[len - 1] == '/')
		dst[--len] = '\0';
	char *slash = strrchr(dst, '/');
	const char *name = slash ? slash + 1 : dst;
	if (slash == dst)
		snprintf(parent, sizeof parent, "/");
	else if (slash)
		snprintf(parent, sizeof parent, "%.*s", (int)(slash - dst), dst);
	else
		snprintf(parent, sizeof parent, ".");
	store_code c = STORE_OK;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		c = err_set(err, STORE_INVALID_INPUT, "restore: '%s' names no directory to make", home);
	int parentfd = c ? -1 : open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!c && parentfd < 0)
		c = err_set(err, STORE_STORAGE, "restore: cannot use '%s': %s", parent, strerror(errno));
	struct stat sb;
	if (!c && fstatat(parentfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		int dfd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		bool empty = d != NULL;
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = false;
		if (d)
			closedir(d);
		else if (dfd >= 0)
			close(dfd);
		if (!empty || sb.st_uid != geteuid())
			c = err_set(err, STORE_EXISTS, "restore: '%s' exists and is not an empty directory of yours: give a "
				    "new one", home);
	}
	/* a server that runs on the backup (verify opened it) has it open */
	bool was;
	if (!c && store_server_running(src))
		c = store_server_stop(src, &was, err);
	if (!c) {
		snprintf(tmpl, sizeof tmpl, "/proc/self/fd/%d/.%s.partial-XXXXXX", parentfd, name);
		if (!mkdtemp(tmpl))
			c = err_set(err, STORE_STORAGE, "restore: cannot create a directory in '%s': %s", parent,
				    strerror(errno));
	}
	if (!c) {
		const char *tmpname = strrchr(tmpl, '/') + 1;
		int to = openat(parentfd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (to < 0)
			c = err_set(err, STORE_STORAGE, "restore: cannot open '%s': %s", tmpl, strerror(errno));
		else
			c = copy_store_files(from, to, src, err);
		if (!c && fsync(to) != 0)
			c = err_set(err, STORE_STORAGE, "restore: flushing '%s': %s", home, strerror(errno));
		if (to >= 0)
			close(to);
		if (!c && renameat(parentfd, tmpname, parentfd, name) != 0)
			c = err_set(err, STORE_STORAGE, "restore: cannot make '%s': %s", home, strerror(errno));
		if (c)
			homecopy_remove(parentfd, tmpname);
		else
			fsync(parentfd);
	}
	if (parentfd >= 0)
		close(parentfd);
	close(from);
	return c;
}
