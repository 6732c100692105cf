/* demo.c - the demo comes alive: workflows run in a scratch home while the
 * newcomer watches, one of them waits for an approval, and answering it
 * with r lets it finish.  The home, its server and the engines go when the
 * demo ends; an engine whose dashboard is killed gets SIGTERM from the
 * kernel (PR_SET_PDEATHSIG) and stops its commands. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "datafile.h"
#include "demo.h"
#include "store.h"

#define DEMO_ENGINES 8

struct demo {
	char home[4096];
	pid_t engines[DEMO_ENGINES];
	int n_engines;
};

/* Run from the build tree (libtool keeps the real program in .libs), the
 * demo comes from the source tree, named by the build's Makefile: no
 * build-tree path is compiled into the program. */
static bool build_tree(char *builddir, size_t blen, char *srcdir, size_t slen)
{
	char self[4096], up[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	size_t dl = strlen(self);
	if (dl < 6 || strcmp(self + dl - 6, "/.libs") != 0)
		return false;
	snprintf(up, sizeof up, "%s/../..", self);
	if (!realpath(up, self))
		return false;
	snprintf(builddir, blen, "%s", self);
	snprintf(up, sizeof up, "%s/Makefile", builddir);
	FILE *f = fopen(up, "r");
	char line[4200];
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f))
		if (strncmp(line, "abs_top_srcdir = ", 17) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(srcdir, slen, "%s", line + 17);
			found = true;
		}
	if (f)
		fclose(f);
	return found;
}

/* An installed path, else the same file in the source tree. */
static const char *asset(const char *env_name, const char *installed, const char *in_src, char *buf, size_t len)
{
	const char *env = getenv(env_name);
	char b[4200], s[4200];
	if (env && *env)
		return env;
	if (access(installed, R_OK) == 0)
		return installed;
	if (build_tree(b, sizeof b, s, sizeof s)) {
		snprintf(buf, len, "%s/%s", s, in_src);
		return buf;
	}
	return installed;
}

static const char *data_file(char *buf, size_t len)
{
	return asset("SEETOP_DEMO_FILE", DEMO_FILE, "assets/demo.yaml", buf, len);
}

static const char *workflow_dir(char *buf, size_t len)
{
	return asset("SEETOP_DEMO_WORKFLOWS", DEMO_WORKFLOWS, "assets/workflows", buf, len);
}

/* seerun: $SEETOP_SEERUN, else beside seetop (installed), else the build
 * tree's (found at run time), else on PATH. */
static void seerun_path(char *buf, size_t len)
{
	const char *env = getenv("SEETOP_SEERUN");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/seerun", self);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	char b[4200], s[4200];
	if (build_tree(b, sizeof b, s, sizeof s)) {
		snprintf(buf, len, "%s/cli/seerun", b);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, len, "seerun");
}

static pid_t start_engine(demo *d, const char *seerun, const char *file)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	execlp(seerun, "seerun", "--home", d->home, "--jobs", "2", file, (char *)NULL);
	_exit(127);
}

static int load_data(demo *d, char *why, size_t whylen)
{
	char fbuf[4300];
	const char *file = data_file(fbuf, sizeof fbuf);
	datafile *df;
	if (datafile_open(&df, &file, 1, why, whylen) < 0)
		return 2;
	store *st;
	store_err err;
	if (store_open(d->home, STORE_OPEN_CREATE, &st, &err)) {
		datafile_close(df);
		snprintf(why, whylen, "%s", err.msg);
		return 3;
	}
	store_set_actor(st, "demo");
	store_source src = datafile_source(df);
	store_code c = store_import(st, &src, false, "import", NULL, &err);
	const char *derr = datafile_error(df);
	if (c)
		snprintf(why, whylen, "%s", derr ? derr : err.msg);
	store_close(st);
	datafile_close(df);
	return c ? (derr ? 2 : 3) : 0;
}

int demo_start(demo **out, char *why, size_t whylen)
{
	*out = NULL;
	demo *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(why, whylen, "out of memory");
		return 3;
	}
	const char *base = getenv("TMPDIR");
	snprintf(d->home, sizeof d->home, "%s/seetop-demo-XXXXXX", base && *base && base[0] == '/' ? base : "/tmp");
	if (!mkdtemp(d->home)) {
		snprintf(why, whylen, "cannot make a scratch home: %s", strerror(errno));
		free(d);
		return 3;
	}
	int rc = load_data(d, why, whylen);
	if (rc) {
		demo_stop(d);
		return rc;
	}
	char seerun[4200];
	seerun_path(seerun, sizeof seerun);
	char dbuf[4300];
	const char *dir = workflow_dir(dbuf, sizeof dbuf);
	DIR *dh = opendir(dir);
	struct dirent *de;
	char *names[DEMO_ENGINES];
	int n = 0;
	while (dh && (de = readdir(dh)) != NULL && n < DEMO_ENGINES) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
			names[n++] = strdup(de->d_name);
	}
	if (dh)
		closedir(dh);
	for (int i = 0; i < n; i++) {
		char file[8400];
		snprintf(file, sizeof file, "%s/%s", dir, names[i]);
		pid_t pid = names[i] ? start_engine(d, seerun, file) : -1;
		if (pid > 0)
			d->engines[d->n_engines++] = pid;
		free(names[i]);
	}
	*out = d;
	return 0;
}

const char *demo_home(const demo *d)
{
	return d->home;
}

static void remove_tree(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	char path[8400];
	while (dh && (de = readdir(dh)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat sb;
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	if (dh)
		closedir(dh);
	rmdir(dir);
}

void demo_reap(demo *d)
{
	for (int i = 0; d && i < d->n_engines; i++)
		if (d->engines[i] > 0 && waitpid(d->engines[i], NULL, WNOHANG) == d->engines[i])
			d->engines[i] = 0; /* its workflow ended, and so did it */
}

void demo_stop(demo *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n_engines; i++)
		if (d->engines[i] > 0)
			kill(d->engines[i], SIGTERM);
	/* the engines stop their commands, then exit: a few seconds at most */
	for (int i = 0; i < d->n_engines; i++) {
		for (int t = 0; t < 600 && d->engines[i] > 0 && waitpid(d->engines[i], NULL, WNOHANG) == 0; t++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			if (t == 500)
				kill(d->engines[i], SIGKILL);
		}
	}
	d->n_engines = 0;
	bool was;
	store_err err;
	store_server_stop(d->home, &was, &err);
	remove_tree(d->home);
	free(d);
}
