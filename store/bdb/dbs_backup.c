/* dbs_backup.c - the online backup of a home: a consistent copy, written
 * privately and renamed into place once complete. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbs_errmap.h"
#include "homecopy.h"

/* A target the backup may take: none yet, or an empty directory of this
 * user's that nobody else can write (another's could be changed under the
 * finished backup). */
static store_code check_target(int parentfd, const char *name, const char *dir, store_err *err)
{
	struct stat sb;
	if (fstatat(parentfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? STORE_OK
				       : err_set(err, STORE_STORAGE, "backup: cannot use '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return err_set(err, STORE_EXISTS, "backup: '%s' exists and is not a directory: give a new directory", dir);
	if (sb.st_uid != geteuid())
		return err_set(err, STORE_INVALID_INPUT, "backup: '%s' belongs to uid %ld, not to you: give a new directory "
			       "(the backup makes it)", dir, (long)sb.st_uid);
	if (sb.st_mode & 022)
		return err_set(err, STORE_INVALID_INPUT, "backup: '%s' can be written by others (mode %04o): give a new "
			       "directory (the backup makes it)", dir, (unsigned)(sb.st_mode & 07777));
	int dfd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return err_set(err, STORE_STORAGE, "backup: cannot read '%s': %s", dir, strerror(errno));
	}
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty)
		return err_set(err, STORE_EXISTS, "backup: '%s' is not empty: give a new or empty directory", dir);
	return STORE_OK;
}

/* The server is the environment's only user and runs one request at a time:
 * between the checkpoint and the last file copied nothing writes, so the
 * copy is the home as of the checkpoint, and the log files that come with it
 * let recovery bring it to a consistent state whatever the page cache held.
 *
 * The copy is written into a new private directory beside the target
 * (.NAME.partial-XXXXXX, mode 0700) and renamed to the target once complete
 * and on disk: a backup that is killed leaves nothing by the target's name,
 * and nobody else can change a file of it meanwhile.  It holds the mark
 * STORE_BACKUP_MARK: opening it starts no timer and runs no hook. */
store_code dbs_backup(dbs *st, const char *dir, store_err *err)
{
	if (!st->env)
		return err_set(err, STORE_STORAGE, "the environment is closed");
	if (dir[0] != '/')
		return err_set(err, STORE_INVALID_INPUT, "backup: '%s' is not an absolute path", dir);
	char parent[PATH_MAX], name[NAME_MAX + 1], tmpl[64 + NAME_MAX];
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	const char *slash = dir + len;
	while (slash > dir && slash[-1] != '/')
		slash--;
	size_t nlen = (size_t)(dir + len - slash);
	if (nlen == 0 || nlen >= sizeof name || (size_t)(slash - dir) >= sizeof parent)
		return err_set(err, STORE_INVALID_INPUT, "backup: '%s' names no directory to make", dir);
	memcpy(name, slash, nlen);
	name[nlen] = '\0';
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return err_set(err, STORE_INVALID_INPUT, "backup: '%s' names no directory to make", dir);
	snprintf(parent, sizeof parent, "%.*s", (int)(slash - dir), dir);
	int parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parentfd < 0)
		return err_set(err, STORE_STORAGE, "backup: cannot use '%s': %s", parent, strerror(errno));
	store_code c = check_target(parentfd, name, dir, err);
	if (c) {
		close(parentfd);
		return c;
	}
	/* mkdtemp needs a path: the parent's through this process's descriptor */
	snprintf(tmpl, sizeof tmpl, "/proc/self/fd/%d/.%s.partial-XXXXXX", parentfd, name);
	if (!mkdtemp(tmpl)) {
		c = err_set(err, STORE_STORAGE, "backup: cannot create a directory in '%s': %s", parent, strerror(errno));
		close(parentfd);
		return c;
	}
	const char *tmpname = strrchr(tmpl, '/') + 1;
	int dfd = openat(parentfd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int homefd = open(st->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret;
	if (dfd < 0 || homefd < 0)
		c = err_set(err, STORE_STORAGE, "backup: cannot open '%s': %s", dfd < 0 ? dir : st->home, strerror(errno));
	else if ((ret = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE)) != 0)
		c = err_db(st, err, ret, "backup: checkpoint");
	else if ((ret = st->env->memp_sync(st->env, NULL)) != 0)
		c = err_db(st, err, ret, "backup: writing the cache");
	DIR *d = NULL;
	if (!c) {
		int scan = dup(homefd);
		if (scan < 0 || !(d = fdopendir(scan))) {
			if (scan >= 0)
				close(scan);
			c = err_set(err, STORE_STORAGE, "backup: cannot read '%s': %s", st->home, strerror(errno));
		}
	}
	struct dirent *de;
	while (!c && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		bool data = n > 3 && strcmp(de->d_name + n - 3, ".db") == 0;
		bool log = strncmp(de->d_name, "log.", 4) == 0;
		if (data || log)
			c = homecopy_file(homefd, dfd, de->d_name, "backup", err);
	}
	if (d)
		closedir(d);
	if (!c) {
		char ts[40], line[2 * PATH_MAX + 200]; /* the home's path and the backup's */
		record_timestamp_now(ts, sizeof ts);
		int n = snprintf(line, sizeof line, "a backup of %s taken at %s: it starts no timer and runs no hook; "
				 "seectl restore %s HOME makes a live home of it\n", st->home, ts, dir);
		if (n >= (int)sizeof line)
			n = (int)sizeof line - 1;
		int fd = openat(dfd, STORE_BACKUP_MARK, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd) != 0)
			c = err_set(err, STORE_STORAGE, "backup: writing its mark %s: %s", STORE_BACKUP_MARK, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (!c && fsync(dfd) != 0)
		c = err_set(err, STORE_STORAGE, "backup: flushing '%s': %s", dir, strerror(errno));
	/* complete and on disk: now it takes the target's name (an empty
	 * directory there is replaced) */
	if (!c && renameat(parentfd, tmpname, parentfd, name) != 0)
		c = err_set(err, errno == ENOTEMPTY || errno == EEXIST ? STORE_EXISTS : STORE_STORAGE,
			    "backup: cannot make '%s': %s", dir, strerror(errno));
	if (c)
		homecopy_remove(parentfd, tmpname);
	else
		fsync(parentfd);
	if (dfd >= 0)
		close(dfd);
	if (homefd >= 0)
		close(homefd);
	close(parentfd);
	return c;
}
