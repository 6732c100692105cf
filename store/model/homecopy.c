/* homecopy.c - copying a home's files between directories: see homecopy.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "homecopy.h"

store_code homecopy_file(int fromfd, int tofd, const char *name, const char *what, store_err *err)
{
	int in = openat(fromfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return err_set(err, STORE_STORAGE, "%s: cannot read %s: %s", what, name, strerror(errno));
	int out = openat(tofd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return err_set(err, STORE_STORAGE, "%s: cannot create %s: %s", what, name, strerror(errno));
	}
	char buf[65536];
	ssize_t n;
	store_code c = STORE_OK;
	while (!c && (n = read(in, buf, sizeof buf)) > 0)
		for (ssize_t done = 0; !c && done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));
			if (w < 0)
				c = err_set(err, STORE_STORAGE, "%s: writing %s: %s", what, name, strerror(errno));
			else
				done += w;
		}
	if (!c && n < 0)
		c = err_set(err, STORE_STORAGE, "%s: reading %s: %s", what, name, strerror(errno));
	if (!c && fsync(out) != 0)
		c = err_set(err, STORE_STORAGE, "%s: flushing %s: %s", what, name, strerror(errno));
	close(in);
	if (close(out) != 0 && !c)
		c = err_set(err, STORE_STORAGE, "%s: writing %s: %s", what, name, strerror(errno));
	return c;
}

void homecopy_remove(int parentfd, const char *name)
{
	int dfd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dfd, de->d_name, 0);
	if (d)
		closedir(d);
	else if (dfd >= 0)
		close(dfd);
	unlinkat(parentfd, name, AT_REMOVEDIR);
}
