/* main.c - seestore-server, the store server of one home as a program of
 * its own: what a client (launch.c) starts with posix_spawn, or systemd
 * with --foreground.
 *
 * It inherits nothing it was not given: it leaves its caller's session
 * (setsid), closes every descriptor but the three standard ones (bound to
 * /dev/null unless --foreground keeps stderr for the journal), and resets
 * its signal mask and dispositions.  Notification commands run with the
 * PATH of the config's hook_path, never the PATH of whoever started it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "server.h"

static void usage(FILE *to)
{
	fputs("usage: seestore-server [--foreground] HOME\n"
	      "The store server of the home HOME (an absolute path).  Programs start it\n"
	      "when they need it; --foreground keeps it in the foreground until it is\n"
	      "stopped, logging to stderr as well as HOME/server.log (for systemd).\n"
	      "Started as root for a home of another user, it runs as that user.\n"
	      "See seestore-server(7).\n",
	      to);
}

static void reset_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Every descriptor above stderr goes; stdin (and stdout, and stderr unless
 * keep_stderr) read and write /dev/null. */
static void close_inherited(bool keep_stderr)
{
	long maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (int fd = 3; fd < maxfd; fd++)
		close(fd);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return;
	dup2(null, 0);
	dup2(null, 1);
	if (!keep_stderr)
		dup2(null, 2);
	if (null > 2)
		close(null);
}

/* The environment of the server and its notification commands: the
 * config's hook PATH, and the user's own HOME, USER and LOGNAME. */
static void set_environment(char *note, size_t notelen)
{
	seetop_conf conf;
	conf_defaults(&conf);
	char why[512];
	const char *path = CONF_HOOK_PATH_DEFAULT;
	if (conf_load(&conf, NULL, why, sizeof why) != 0)
		snprintf(note, notelen, "the config cannot be read (%s): notification commands use PATH=%s", why,
			 CONF_HOOK_PATH_DEFAULT);
	else if (conf.hook_path)
		path = conf.hook_path;
	setenv("PATH", path, 1);
	struct passwd *pw = getpwuid(geteuid());
	if (pw) {
		setenv("HOME", pw->pw_dir, 1);
		setenv("USER", pw->pw_name, 1);
		setenv("LOGNAME", pw->pw_name, 1);
	}
	conf_free(&conf);
}

/* Started as root (systemd's system unit) for a home of another user: the
 * server runs as the home's owner, the only user that may. */
static int drop_to_owner(const char *home, const struct stat *sb)
{
	if (geteuid() != 0 || sb->st_uid == 0)
		return 0;
	struct passwd *pw = getpwuid(sb->st_uid);
	if (!pw) {
		fprintf(stderr, "seestore-server: the owner of '%s' (uid %ld) has no account\n", home, (long)sb->st_uid);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
	    setuid(0) == 0) {
		fprintf(stderr, "seestore-server: cannot become %s, the owner of '%s': %s\n", pw->pw_name, home,
			strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool foreground = false;
	const char *home = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--foreground") == 0)
			foreground = true;
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || home) {
			usage(stderr);
			return 2;
		} else
			home = argv[i];
	}
	if (!home) {
		usage(stderr);
		return 2;
	}
	if (home[0] != '/') {
		fprintf(stderr, "seestore-server: the home must be an absolute path, not '%s'\n", home);
		return 2;
	}
	struct stat sb;
	if (stat(home, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "seestore-server: no home directory '%s': %s\n", home,
			errno ? strerror(errno) : "not a directory");
		return 1;
	}
	if (drop_to_owner(home, &sb) != 0)
		return 1;
	reset_signals();
	close_inherited(foreground);
	if (!foreground) {
		/* the client waits for this process: the server is its child, so
		 * that nothing of the client's (its session, its zombie list) holds
		 * it */
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0)
			_exit(0);
		setsid();
	}
	if (chdir("/") != 0)
		return 1;
	char note[1024] = "";
	set_environment(note, sizeof note);
	server_opts o = { .foreground = foreground, .note = note[0] ? note : NULL };
	return server_run(home, &o);
}
