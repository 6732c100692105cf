/* dbs_admin.c - what the server reports about its environment, and the
 * online backup of a home. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbs_int.h"

store_code dbs_stats_read(dbs *st, dbs_stats *out, store_err *err)
{
	memset(out, 0, sizeof *out);
	if (!st->env)
		return err_set(err, STORE_STORAGE, "the environment is closed");
	DB_MPOOL_STAT *mp = NULL;
	int ret = st->env->memp_stat(st->env, &mp, NULL, 0);
	if (ret)
		return err_db(st, err, ret, "reading the cache statistics");
	out->cache_bytes = (uint64_t)mp->st_gbytes * 1024 * 1024 * 1024 + mp->st_bytes;
	out->cache_used_bytes = (uint64_t)mp->st_page_clean * mp->st_pagesize + (uint64_t)mp->st_page_dirty * mp->st_pagesize;
	free(mp);
	DB_LOG_STAT *lg = NULL;
	ret = st->env->log_stat(st->env, &lg, 0);
	if (ret)
		return err_db(st, err, ret, "reading the log statistics");
	out->log_file = lg->st_cur_file;
	out->log_offset = lg->st_cur_offset;
	free(lg);
	return STORE_OK;
}

/* Copies one file into dir and flushes it to disk. */
static store_code copy_file(const char *from, const char *dir, const char *name, store_err *err)
{
	char to[4200];
	snprintf(to, sizeof to, "%s/%s", dir, name);
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set(err, STORE_STORAGE, "backup: cannot read %s: %s", from, strerror(errno));
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return err_set(err, STORE_STORAGE, "backup: cannot create %s: %s", to, strerror(errno));
	}
	char buf[65536];
	ssize_t n;
	store_code c = STORE_OK;
	while ((n = read(in, buf, sizeof buf)) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));
			if (w < 0) {
				c = err_set(err, STORE_STORAGE, "backup: writing %s: %s", to, strerror(errno));
				break;
			}
			done += w;
		}
		if (c)
			break;
	}
	if (!c && n < 0)
		c = err_set(err, STORE_STORAGE, "backup: reading %s: %s", from, strerror(errno));
	if (!c && fsync(out) != 0)
		c = err_set(err, STORE_STORAGE, "backup: flushing %s: %s", to, strerror(errno));
	close(in);
	if (close(out) != 0 && !c)
		c = err_set(err, STORE_STORAGE, "backup: writing %s: %s", to, strerror(errno));
	return c;
}

/* The server is the environment's only user and runs one request at a time:
 * between the checkpoint and the last file copied nothing writes, so the
 * copy is the home as of the checkpoint, and the log files that come with it
 * let recovery bring it to a consistent state whatever the page cache held. */
store_code dbs_backup(dbs *st, const char *dir, store_err *err)
{
	if (!st->env)
		return err_set(err, STORE_STORAGE, "the environment is closed");
	if (dir[0] != '/')
		return err_set(err, STORE_INVALID_INPUT, "backup: '%s' is not an absolute path", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return err_set(err, STORE_STORAGE, "backup: cannot create '%s': %s", dir, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		return err_set(err, STORE_STORAGE, "backup: cannot read '%s': %s", dir, strerror(errno));
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty)
		return err_set(err, STORE_EXISTS, "backup: '%s' is not empty: give a new or empty directory", dir);
	int ret = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
	if (ret)
		return err_db(st, err, ret, "backup: checkpoint");
	if ((ret = st->env->memp_sync(st->env, NULL)) != 0)
		return err_db(st, err, ret, "backup: writing the cache");
	d = opendir(st->home);
	if (!d)
		return err_set(err, STORE_STORAGE, "backup: cannot read '%s': %s", st->home, strerror(errno));
	store_code c = STORE_OK;
	size_t copied = 0;
	while (!c && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		bool data = n > 3 && strcmp(de->d_name + n - 3, ".db") == 0;
		bool log = strncmp(de->d_name, "log.", 4) == 0;
		if (!data && !log)
			continue;
		char from[4200];
		snprintf(from, sizeof from, "%s/%s", st->home, de->d_name);
		c = copy_file(from, dir, de->d_name, err);
		copied++;
	}
	closedir(d);
	if (!c) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return c;
}
