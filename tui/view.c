/* view.c - the filter and the sort kept in the config file. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "view.h"

int view_load(app *a, char *err, size_t errlen)
{
	if (!a->conf.remember_view)
		return 0;
	const char *file = a->conf.path ? a->conf.path : "the config";
	if (a->conf.view_filter) {
		int f = app_filter_parse(a->conf.view_filter);
		if (f < 0) {
			snprintf(err, errlen, "%s: view_filter '%s' is not one of all, waiting, paused, running, failed, complete",
				 file, a->conf.view_filter);
			return -1;
		}
		a->filter = (view_filter)f;
	}
	if (a->conf.view_sort) {
		const char *name = a->conf.view_sort;
		bool rev = name[0] == '-';
		int s = app_sort_parse(name + rev);
		if (s < 0) {
			snprintf(err, errlen, "%s: view_sort '%s' is not one of started, age, deadline, status, workflow "
					      "(a leading - reverses it)", file, name);
			return -1;
		}
		a->sort = (view_sort)s;
		a->sort_reverse = rev;
	}
	return 0;
}

/* Whether a line sets the top-level key (at its first column). */
static bool sets(const char *line, const char *key)
{
	size_t n = strlen(key);
	return strncmp(line, key, n) == 0 && line[n] == ':';
}

int view_save(const app *a, char *err, size_t errlen)
{
	if (!a->conf.remember_view || !a->conf.path)
		return 0;
	const char *path = a->conf.path;
	FILE *in = fopen(path, "r");
	if (!in) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	if (fstat(fileno(in), &sb) < 0)
		sb.st_mode = 0644;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.seetop-XXXXXX", path);
	int fd = mkstemp(tmp);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		snprintf(err, errlen, "cannot write beside %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fclose(in);
		return -1;
	}
	char filter[64], sort[64];
	snprintf(filter, sizeof filter, "view_filter: %s\n", app_filter_name(a->filter));
	/* "-x" is quoted: YAML reads "- x" as a list, and a quoted word is safe */
	snprintf(sort, sizeof sort, "view_sort: \"%s%s\"\n", a->sort_reverse ? "-" : "", app_sort_name(a->sort));
	bool put_filter = false, put_sort = false, ended_nl = true;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) > 0) {
		ended_nl = line[n - 1] == '\n';
		if (sets(line, "view_filter")) {
			if (!put_filter)
				fputs(filter, out);
			put_filter = true;
		} else if (sets(line, "view_sort")) {
			if (!put_sort)
				fputs(sort, out);
			put_sort = true;
		} else {
			fputs(line, out);
		}
	}
	free(line);
	fclose(in);
	if (!ended_nl)
		fputc('\n', out);
	if (!put_filter)
		fputs(filter, out);
	if (!put_sort)
		fputs(sort, out);
	fchmod(fileno(out), sb.st_mode & 07777);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
