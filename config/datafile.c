/* datafile.c - YAML data files: strict import, exact export; JSON records. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include "datafile.h"
#include "text.h"
#include "idset.h"
#include "ytree.h"

struct datafile {
	char **paths;
	size_t n_paths;
	FILE *spool;            /* standard input, copied so it can be read again */
	size_t at;              /* the file being read */
	FILE *f;
	yreader r;
	bool reading;           /* r is open on f */
	bool in_executions;     /* inside the executions sequence */
	idset seen;             /* ids met so far, to refuse duplicates */
	char err[1024];
	bool failed;
	uint64_t expanded;      /* bytes of text read from the current file, aliases counted each time */
	uint64_t expand_max;    /* the most the file may expand to */
};

/* Bounds of a data file (datafile.h documents them). */
#define TEXT_MAX (64u << 10)            /* a name, prompt, value or reason */
#define LOG_LINE_MAX (1u << 20)         /* one log line */
#define TASKS_MAX 10000                 /* tasks of one execution */
#define EXPAND_MIN ((uint64_t)64 << 20) /* aliases may expand a file to 10 times its size, or this */

/* ---- opening ---- */

int datafile_open(datafile **out, const char *const *paths, size_t n, char *err, size_t errlen)
{
	datafile *d = calloc(1, sizeof *d);
	*out = NULL;
	if (!d || !(d->paths = calloc(n ? n : 1, sizeof *d->paths))) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		d->paths[i] = strdup(paths[i]);
		d->n_paths++;
		if (strcmp(paths[i], "-") == 0 && !d->spool) {
			d->spool = tmpfile();
			char buf[65536];
			size_t got;
			while (d->spool && (got = fread(buf, 1, sizeof buf, stdin)) > 0)
				if (fwrite(buf, 1, got, d->spool) != got) {
					fclose(d->spool);
					d->spool = NULL;
				}
			if (!d->spool || ferror(stdin)) {
				snprintf(err, errlen, "cannot read standard input: %s", strerror(errno));
				datafile_close(d);
				return -1;
			}
			continue;
		}
		if (strcmp(paths[i], "-") != 0 && access(paths[i], R_OK) != 0) {
			snprintf(err, errlen, "%s: %s", paths[i], strerror(errno));
			datafile_close(d);
			return -1;
		}
	}
	*out = d;
	return 0;
}

static void stop_file(datafile *d)
{
	if (d->reading)
		yreader_close(&d->r);
	d->reading = false;
	if (d->f && d->f != d->spool)
		fclose(d->f);
	d->f = NULL;
	d->in_executions = false;
}

void datafile_close(datafile *d)
{
	if (!d)
		return;
	stop_file(d);
	for (size_t i = 0; i < d->n_paths; i++)
		free(d->paths[i]);
	free(d->paths);
	idset_clear(&d->seen);
	if (d->spool)
		fclose(d->spool);
	free(d);
}

const char *datafile_error(const datafile *d)
{
	return d->failed ? d->err : NULL;
}

static int fail(datafile *d, const ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(datafile *d, const ynode *at, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	yreader_fail(&d->r, at, "%s", msg);
	snprintf(d->err, sizeof d->err, "%s", d->r.err);
	d->failed = true;
	return -1;
}

static int fail_reader(datafile *d)
{
	snprintf(d->err, sizeof d->err, "%s", d->r.err);
	d->failed = true;
	return -1;
}

/* ---- converting nodes to records ---- */

static const char *display_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

static int get_text(datafile *d, ynode *v, const char *key, record_text *out)
{
	if (v->kind != YN_SCALAR || (ynode_is_null(v) && v->len))
		return fail(d, v, "'%s' must be a string", key);
	size_t max = strcmp(key, "logs") == 0 ? LOG_LINE_MAX : TEXT_MAX;
	if (v->len > max)
		return fail(d, v, "'%s' is %zu bytes long: at most %zu %s", key, v->len, max,
			    max == LOG_LINE_MAX ? "(1 MiB) per log line" : "(64 KiB)");
	/* an alias is read again each time it is used: the file is bounded by
	 * what it expands to, not by its size */
	d->expanded += v->len;
	if (d->expanded > d->expand_max)
		return fail(d, v, "the file expands past %llu MB through its aliases: at most 10 times its size or 64 MB",
			    (unsigned long long)(d->expand_max >> 20));
	if (ynode_is_binary(v) && ynode_decode_binary(v) < 0)
		return fail(d, v, "'%s' is not valid base64 for !!binary", key);
	if (v->tag && !ynode_is_binary(v) && strcmp(v->tag, YAML_STR_TAG) != 0)
		return fail(d, v, "'%s' has the tag %s; only !!str and !!binary are allowed", key, v->tag);
	if (record_text_set(out, v->val, v->len) < 0)
		return fail(d, v, "out of memory");
	return 0;
}

static int get_str(datafile *d, ynode *v, const char *key, char **out)
{
	record_text t = { 0 };
	if (get_text(d, v, key, &t) < 0)
		return -1;
	if (strlen(t.s) != t.len) {
		record_text_free(&t);
		return fail(d, v, "'%s' must not hold a NUL byte", key);
	}
	free(*out);
	*out = t.s;
	return 0;
}

static int get_id(datafile *d, ynode *v, const char *key, char **out)
{
	if (get_str(d, v, key, out) < 0)
		return -1;
	if (!record_id_valid(*out))
		return fail(d, v, "'%s' must be 1-128 bytes of printable UTF-8", key);
	return 0;
}

/* A timestamp that may be empty ("" or null) when `empty_ok`. */
static int get_time(datafile *d, ynode *v, const char *key, bool empty_ok, char **out)
{
	int64_t us;
	if (ynode_is_null(v) || (v->kind == YN_SCALAR && v->len == 0)) {
		if (!empty_ok)
			return fail(d, v, "'%s' must be an RFC 3339 time, e.g. 2024-12-19T10:00:00Z", key);
		free(*out);
		*out = strdup("");
		return 0;
	}
	if (get_str(d, v, key, out) < 0)
		return -1;
	if (!record_timestamp_parse(*out, &us))
		return fail(d, v, "'%s' is not an RFC 3339 time: '%s' (e.g. 2024-12-19T10:00:00Z)", key, *out);
	return 0;
}

static int get_bool(datafile *d, ynode *v, const char *key, bool *out)
{
	if (!ynode_bool(v, out))
		return fail(d, v, "'%s' must be true or false", key);
	return 0;
}

static int check_keys(datafile *d, ynode *map, const char *what, const char *const *allowed)
{
	if (map->kind != YN_MAP)
		return fail(d, map, "%s must be a mapping", what);
	for (size_t i = 0; i < map->n; i += 2) {
		ynode *k = map->items[i];
		if (k->kind != YN_SCALAR)
			return fail(d, k, "%s keys must be names", what);
		bool ok = false;
		for (size_t a = 0; allowed[a] && !ok; a++)
			ok = strcmp(allowed[a], k->val) == 0;
		if (!ok)
			return fail(d, k, "unknown key '%s' in %s", k->val, what);
		for (size_t j = 0; j < i; j += 2)
			if (strcmp(map->items[j]->val, k->val) == 0)
				return fail(d, k, "duplicate key '%s' in %s", k->val, what);
	}
	return 0;
}

static ynode *lookup(ynode *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (strcmp(map->items[i]->val, key) == 0)
			return map->items[i + 1];
	return NULL;
}

static const char *const input_keys[] = { "prompt", "type", "default", "required", "deadline", "on_timeout",
					   "respondents", "no_self_approval", NULL };

static int convert_input(datafile *d, ynode *in, record_task *t)
{
	if (ynode_is_null(in))
		return 0;
	if (check_keys(d, in, "an input request", input_keys) < 0)
		return -1;
	ynode *v;
	t->has_input = true;
	t->input_type = INPUT_STRING;
	if ((v = lookup(in, "prompt")) && get_text(d, v, "prompt", &t->input_prompt) < 0)
		return -1;
	if ((v = lookup(in, "type"))) {
		if (v->kind != YN_SCALAR || record_input_type_parse(v->val, &t->input_type) < 0)
			return fail(d, v, "unknown input type '%s' (string, number or boolean)",
				    v->kind == YN_SCALAR ? v->val : "?");
	}
	if ((v = lookup(in, "default")) && !ynode_is_null(v)) {
		if (get_text(d, v, "default", &t->input_default) < 0)
			return -1;
		t->has_input_default = true;
		char why[256];
		record_task probe = *t;
		probe.has_input_default = false;
		if (store_input_check(&probe, t->input_default.s, t->input_default.len, why, sizeof why) < 0)
			return fail(d, v, "the default does not fit the input type %s",
				    record_input_type_name(t->input_type));
	}
	if ((v = lookup(in, "required")) && get_bool(d, v, "required", &t->input_required) < 0)
		return -1;
	if ((v = lookup(in, "deadline")) && !ynode_is_null(v) && get_time(d, v, "deadline", false, &t->input_deadline) < 0)
		return -1;
	if ((v = lookup(in, "on_timeout")) && !ynode_is_null(v)) {
		if (v->kind != YN_SCALAR || record_on_timeout_parse(v->val, &t->on_timeout) < 0)
			return fail(d, v, "on_timeout must be fail, default or skip");
		if (!t->input_deadline)
			return fail(d, v, "on_timeout needs a deadline");
		if (t->on_timeout == TIMEOUT_DEFAULT && !t->has_input_default)
			return fail(d, v, "on_timeout 'default' needs a default");
		if (t->on_timeout == TIMEOUT_SKIP && t->input_required)
			return fail(d, v, "on_timeout 'skip' needs required: false");
	}
	if ((v = lookup(in, "respondents")) && !ynode_is_null(v)) {
		if (v->kind != YN_SEQ || v->n > 64)
			return fail(d, v, "'respondents' must be a list of at most 64 user or @group names");
		t->respondents = calloc(v->n ? v->n : 1, sizeof *t->respondents);
		for (size_t i = 0; i < v->n; i++, t->n_respondents++)
			if (get_str(d, v->items[i], "respondents", &t->respondents[i]) < 0)
				return -1;
	}
	if ((v = lookup(in, "no_self_approval")) && get_bool(d, v, "no_self_approval", &t->no_self_approval) < 0)
		return -1;
	return 0;
}

static const char *const task_keys[] = { "task_id", "task_name", "status", "logs", "start_timestamp", "end_timestamp",
					 "input", "input_value", "execution_id", NULL };

static int convert_task(datafile *d, ynode *n, const char *exec_id, record_task *t)
{
	ynode *v;
	if (check_keys(d, n, "a task", task_keys) < 0)
		return -1;
	if (!(v = lookup(n, "task_id")))
		return fail(d, n, "a task needs a 'task_id'");
	if (get_id(d, v, "task_id", &t->task_id) < 0)
		return -1;
	t->execution_id = strdup(exec_id);
	if ((v = lookup(n, "execution_id"))) {
		char *e = NULL;
		int rc = get_str(d, v, "execution_id", &e);
		if (rc == 0 && strcmp(e, exec_id) != 0)
			rc = fail(d, v, "task '%s' names execution '%s' but is listed under '%s'", t->task_id, e, exec_id);
		free(e);
		if (rc < 0)
			return -1;
	}
	if ((v = lookup(n, "task_name"))) {
		if (get_text(d, v, "task_name", &t->task_name) < 0)
			return -1;
	} else {
		record_text_set(&t->task_name, "", 0);
	}
	if (!(v = lookup(n, "status")))
		return fail(d, n, "task '%s' needs a 'status'", t->task_id);
	if (v->kind != YN_SCALAR || status_task_parse(v->val, &t->status) < 0)
		return fail(d, v, "unknown task status '%s' (pending, in-progress, waiting-for-input, complete or failed)",
			    v->kind == YN_SCALAR ? v->val : "?");
	if ((v = lookup(n, "logs")) && !ynode_is_null(v)) {
		if (v->kind != YN_SEQ)
			return fail(d, v, "'logs' must be a list of strings");
		t->logs = calloc(v->n ? v->n : 1, sizeof *t->logs);
		for (size_t i = 0; i < v->n; i++, t->n_logs++)
			if (get_text(d, v->items[i], "logs", &t->logs[i]) < 0)
				return -1;
	}
	t->start_timestamp = strdup("");
	t->end_timestamp = strdup("");
	if ((v = lookup(n, "start_timestamp")) && get_time(d, v, "start_timestamp", true, &t->start_timestamp) < 0)
		return -1;
	if ((v = lookup(n, "end_timestamp")) && get_time(d, v, "end_timestamp", true, &t->end_timestamp) < 0)
		return -1;
	record_text_set(&t->input_prompt, "", 0);
	if ((v = lookup(n, "input")) && convert_input(d, v, t) < 0)
		return -1;
	if ((v = lookup(n, "input_value")) && !ynode_is_null(v)) {
		if (get_text(d, v, "input_value", &t->input_value) < 0)
			return -1;
		t->has_input_value = true;
	}
	return 0;
}

static const char *const exec_keys[] = { "id", "workflow_name", "start_timestamp", "end_timestamp", "status",
					 "task_ids", "is_paused", "paused_task_id", "tasks", "events", NULL };

static const char *const event_keys[] = { "seq", "time", "actor", "user", "action", "execution_id", "task_id",
					  "status_before", "status_after", "input_value", "reason", NULL };

/* An optional name: absent or null stays NULL. */
static int get_opt_str(datafile *d, ynode *map, const char *key, char **out)
{
	ynode *v = lookup(map, key);
	if (!v || ynode_is_null(v))
		return 0;
	if (get_str(d, v, key, out) < 0)
		return -1;
	if (strlen(*out) > 256)
		return fail(d, v, "'%s' is %zu bytes long: at most 256", key, strlen(*out));
	return 0;
}

/* One event of an execution's audit trail (seq is the exporting store's:
 * informative, a new one is given on import). */
static int convert_event(datafile *d, ynode *n, const char *exec_id, record_event *ev)
{
	ynode *v;
	if (check_keys(d, n, "an event", event_keys) < 0)
		return -1;
	if (!(v = lookup(n, "time")))
		return fail(d, n, "an event needs a 'time'");
	if (get_time(d, v, "time", false, &ev->time) < 0)
		return -1;
	if (!(v = lookup(n, "action")) || ynode_is_null(v))
		return fail(d, n, "an event needs an 'action'");
	if (get_opt_str(d, n, "action", &ev->action) < 0 || get_opt_str(d, n, "actor", &ev->actor) < 0 ||
	    get_opt_str(d, n, "user", &ev->user) < 0 ||
	    get_opt_str(d, n, "status_before", &ev->status_before) < 0 ||
	    get_opt_str(d, n, "status_after", &ev->status_after) < 0)
		return -1;
	if (!ev->actor)
		ev->actor = strdup("unknown");
	if ((v = lookup(n, "task_id")) && !ynode_is_null(v) && get_id(d, v, "task_id", &ev->task_id) < 0)
		return -1;
	if ((v = lookup(n, "execution_id")) && !ynode_is_null(v)) {
		char *e = NULL;
		int rc = get_str(d, v, "execution_id", &e);
		if (rc == 0 && strcmp(e, exec_id) != 0)
			rc = fail(d, v, "an event names execution '%s' but is listed under '%s'", e, exec_id);
		free(e);
		if (rc < 0)
			return -1;
	}
	ev->execution_id = strdup(exec_id);
	if ((v = lookup(n, "input_value")) && !ynode_is_null(v)) {
		if (get_text(d, v, "input_value", &ev->input_value) < 0)
			return -1;
		ev->has_input_value = true;
	}
	if ((v = lookup(n, "reason")) && !ynode_is_null(v)) {
		if (get_text(d, v, "reason", &ev->reason) < 0)
			return -1;
		ev->has_reason = true;
	}
	return 0;
}

static int remember_id(datafile *d, ynode *at, const char *id)
{
	int rc = idset_add(&d->seen, id);
	if (rc == 0)
		return fail(d, at, "duplicate execution id '%s'", id);
	return rc < 0 ? fail(d, at, "out of memory") : 0;
}

static int convert_exec(datafile *d, ynode *n, store_item *it)
{
	record_exec *e = &it->exec;
	ynode *v, *tasks;
	if (check_keys(d, n, "an execution", exec_keys) < 0)
		return -1;
	if (!(v = lookup(n, "id")))
		return fail(d, n, "an execution needs an 'id'");
	if (get_id(d, v, "id", &e->id) < 0 || remember_id(d, v, e->id) < 0)
		return -1;
	if (!(v = lookup(n, "workflow_name")))
		return fail(d, n, "execution '%s' needs a 'workflow_name'", e->id);
	if (get_text(d, v, "workflow_name", &e->workflow_name) < 0)
		return -1;
	if (!(v = lookup(n, "start_timestamp")))
		return fail(d, n, "execution '%s' needs a 'start_timestamp'", e->id);
	if (get_time(d, v, "start_timestamp", false, &e->start_timestamp) < 0)
		return -1;
	if ((v = lookup(n, "end_timestamp"))) {
		if (get_time(d, v, "end_timestamp", true, &e->end_timestamp) < 0)
			return -1;
		if (!e->end_timestamp[0]) {
			free(e->end_timestamp);
			e->end_timestamp = NULL;
		}
	}
	if (!(v = lookup(n, "status")))
		return fail(d, n, "execution '%s' needs a 'status'", e->id);
	if (v->kind != YN_SCALAR || status_exec_parse(v->val, &e->status) < 0)
		return fail(d, v, "unknown execution status '%s' (running, waiting-for-input, complete or failed)",
			    v->kind == YN_SCALAR ? v->val : "?");
	if ((v = lookup(n, "is_paused")) && get_bool(d, v, "is_paused", &e->is_paused) < 0)
		return -1;
	if ((v = lookup(n, "paused_task_id")) && !ynode_is_null(v) && get_id(d, v, "paused_task_id", &e->paused_task_id) < 0)
		return -1;
	tasks = lookup(n, "tasks");
	if (tasks && !ynode_is_null(tasks) && tasks->kind != YN_SEQ)
		return fail(d, tasks, "'tasks' must be a list of tasks");
	size_t nt = tasks && tasks->kind == YN_SEQ ? tasks->n : 0;
	if (nt > TASKS_MAX)
		return fail(d, tasks, "execution '%s' has %zu tasks: at most %d", e->id, nt, TASKS_MAX);
	it->tasks = calloc(nt ? nt : 1, sizeof *it->tasks);
	for (size_t i = 0; i < nt; i++, it->n_tasks++)
		if (convert_task(d, tasks->items[i], e->id, &it->tasks[i]) < 0) {
			it->n_tasks++;
			return -1;
		}
	idset task_ids = { 0 };
	for (size_t i = 0; i < nt; i++) {
		int rc = idset_add(&task_ids, it->tasks[i].task_id);
		if (rc <= 0) {
			idset_clear(&task_ids);
			return rc < 0 ? fail(d, tasks->items[i], "out of memory")
				      : fail(d, tasks->items[i], "duplicate task id '%s' in execution '%s'",
					     it->tasks[i].task_id, e->id);
		}
	}
	idset_clear(&task_ids);
	if ((v = lookup(n, "task_ids")) && !ynode_is_null(v)) {
		if (v->kind != YN_SEQ)
			return fail(d, v, "'task_ids' must be a list of task ids");
		e->task_ids = calloc(v->n ? v->n : 1, sizeof *e->task_ids);
		for (size_t i = 0; i < v->n; i++, e->n_task_ids++)
			if (get_id(d, v->items[i], "task_ids", &e->task_ids[i]) < 0) {
				e->n_task_ids++;
				return -1;
			}
	} else {
		/* task_ids default to the order of tasks */
		e->task_ids = calloc(nt ? nt : 1, sizeof *e->task_ids);
		for (size_t i = 0; i < nt; i++, e->n_task_ids++)
			e->task_ids[i] = strdup(it->tasks[i].task_id);
	}
	ynode *events = lookup(n, "events");
	if (events && !ynode_is_null(events)) {
		if (events->kind != YN_SEQ)
			return fail(d, events, "'events' must be a list of events, oldest first");
		if (events->n > STORE_EVENTS_MAX)
			return fail(d, events, "execution '%s' has %zu events: at most %d", e->id, events->n,
				    STORE_EVENTS_MAX);
		it->events = calloc(events->n ? events->n : 1, sizeof *it->events);
		for (size_t i = 0; i < events->n; i++, it->n_events++)
			if (convert_event(d, events->items[i], e->id, &it->events[i]) < 0) {
				it->n_events++;
				return -1;
			}
	}
	char why[512];
	if (store_item_check(it, why, sizeof why) < 0)
		return fail(d, events && it->n_events && strstr(why, ": event ") ? events : n, "%s", why);
	return 0;
}

/* ---- walking the files ---- */

static int expect(datafile *d, yaml_event_type_t type, const char *what)
{
	yaml_event_t ev;
	if (yreader_event(&d->r, &ev) < 0)
		return fail_reader(d);
	ynode at = { .line = ev.start_mark.line + 1, .col = ev.start_mark.column + 1 };
	bool ok = ev.type == type;
	yaml_event_delete(&ev);
	return ok ? 0 : fail(d, &at, "%s", what);
}

static int start_file(datafile *d)
{
	const char *path = d->paths[d->at];
	if (strcmp(path, "-") == 0) {
		d->f = d->spool;
		rewind(d->f);
	} else if (!(d->f = fopen(path, "rb"))) {
		snprintf(d->err, sizeof d->err, "%s: %s", path, strerror(errno));
		d->failed = true;
		return -1;
	}
	struct stat sb;
	d->expanded = 0;
	d->expand_max = fstat(fileno(d->f), &sb) == 0 && (uint64_t)sb.st_size * 10 > EXPAND_MIN ? (uint64_t)sb.st_size * 10
												 : EXPAND_MIN;
	if (yreader_open(&d->r, d->f, display_name(path)) < 0)
		return fail_reader(d);
	d->reading = true;
	if (expect(d, YAML_STREAM_START_EVENT, "not a YAML stream") < 0)
		return -1;
	yaml_event_t ev;
	if (yreader_event(&d->r, &ev) < 0)
		return fail_reader(d);
	if (ev.type == YAML_STREAM_END_EVENT) { /* an empty file holds nothing */
		yaml_event_delete(&ev);
		stop_file(d);
		d->at++;
		return 0;
	}
	ynode at = { .line = ev.start_mark.line + 1, .col = ev.start_mark.column + 1 };
	bool doc = ev.type == YAML_DOCUMENT_START_EVENT;
	yaml_event_delete(&ev);
	if (!doc)
		return fail(d, &at, "expected a YAML document");
	return expect(d, YAML_MAPPING_START_EVENT, "a data file is a mapping with the key 'executions'");
}

/* Reads keys of the top mapping until the executions sequence starts, or the
 * file ends (then moves to the next file). */
static int find_executions(datafile *d)
{
	for (;;) {
		yaml_event_t ev;
		if (yreader_event(&d->r, &ev) < 0)
			return fail_reader(d);
		ynode at = { .line = ev.start_mark.line + 1, .col = ev.start_mark.column + 1 };
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			if (yreader_event(&d->r, &ev) < 0)
				return fail_reader(d);
			bool end = ev.type == YAML_DOCUMENT_END_EVENT;
			yaml_event_delete(&ev);
			if (!end)
				return fail(d, &at, "only one YAML document is allowed");
			if (yreader_event(&d->r, &ev) < 0)
				return fail_reader(d);
			at.line = ev.start_mark.line + 1;
			at.col = ev.start_mark.column + 1;
			end = ev.type == YAML_STREAM_END_EVENT;
			yaml_event_delete(&ev);
			if (!end)
				return fail(d, &at, "only one YAML document is allowed");
			stop_file(d);
			d->at++;
			return 0;
		}
		bool is_key = ev.type == YAML_SCALAR_EVENT && strcmp((const char *)ev.data.scalar.value, "executions") == 0;
		char key[64];
		snprintf(key, sizeof key, "%s", ev.type == YAML_SCALAR_EVENT ? (const char *)ev.data.scalar.value : "?");
		yaml_event_delete(&ev);
		if (!is_key)
			return fail(d, &at, "unknown key '%s' (a data file has only 'executions')", key);
		if (yreader_event(&d->r, &ev) < 0)
			return fail_reader(d);
		at.line = ev.start_mark.line + 1;
		at.col = ev.start_mark.column + 1;
		if (ev.type == YAML_SEQUENCE_START_EVENT) {
			yaml_event_delete(&ev);
			d->in_executions = true;
			return 1;
		}
		ynode *v = yreader_node(&d->r, &ev);
		bool empty = v && ynode_is_null(v);
		ynode_unref(v);
		if (!empty)
			return fail(d, &at, "'executions' must be a list of executions");
	}
}

static int source_next(void *ctx, store_item *it, char *why, size_t whylen)
{
	datafile *d = ctx;
	for (;;) {
		if (d->failed)
			goto failed;
		if (!d->reading) {
			if (d->at >= d->n_paths)
				return 0;
			if (start_file(d) < 0)
				goto failed;
			continue;
		}
		if (!d->in_executions) {
			int rc = find_executions(d);
			if (rc < 0)
				goto failed;
			continue;
		}
		yaml_event_t ev;
		if (yreader_event(&d->r, &ev) < 0) {
			fail_reader(d);
			goto failed;
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			d->in_executions = false;
			continue;
		}
		ynode *n = yreader_node(&d->r, &ev);
		if (!n) {
			fail_reader(d);
			goto failed;
		}
		int rc = convert_exec(d, n, it);
		ynode_unref(n);
		if (rc < 0)
			goto failed;
		return 1;
	}
failed:
	snprintf(why, whylen, "%s", d->err);
	return -1;
}

static int source_rewind(void *ctx, char *why, size_t whylen)
{
	datafile *d = ctx;
	(void)why;
	(void)whylen;
	stop_file(d);
	d->at = 0;
	d->failed = false;
	idset_clear(&d->seen);
	return 0;
}

store_source datafile_source(datafile *d)
{
	store_source s = { source_next, source_rewind, d };
	return s;
}

/* ---- export: YAML ---- */

typedef struct emit_ctx {
	yaml_emitter_t em;
	bool ok;
	store *st;              /* with the audit trail: the store to read it from */
	store *logs;            /* where the lines an item did not bring are read */
	store_err *err;
} emit_ctx;

static void emit(emit_ctx *c, yaml_event_t *ev)
{
	if (c->ok && !yaml_emitter_emit(&c->em, ev))
		c->ok = false;
}

static void emit_plain(emit_ctx *c, const char *s)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 0, YAML_PLAIN_SCALAR_STYLE);
	emit(c, &ev);
}

static bool looks_special(const char *s, size_t len)
{
	static const char *const words[] = { "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False",
					     "FALSE", NULL };
	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
			return true;
	return false;
}

static void emit_text(emit_ctx *c, const char *s, size_t len)
{
	yaml_event_t ev;
	if (!text_utf8_valid(s, len)) {
		/* bytes YAML cannot hold as text travel as base64 */
		static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		size_t olen = (len + 2) / 3 * 4;
		char *b = malloc(olen + 1);
		size_t o = 0;
		if (!b) {
			c->ok = false;
			return;
		}
		for (size_t i = 0; i < len; i += 3) {
			unsigned v = (unsigned char)s[i] << 16;
			if (i + 1 < len)
				v |= (unsigned char)s[i + 1] << 8;
			if (i + 2 < len)
				v |= (unsigned char)s[i + 2];
			b[o++] = tbl[v >> 18 & 63];
			b[o++] = tbl[v >> 12 & 63];
			b[o++] = i + 1 < len ? tbl[v >> 6 & 63] : '=';
			b[o++] = i + 2 < len ? tbl[v & 63] : '=';
		}
		b[o] = '\0';
		yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)YAML_BINARY_TAG, (yaml_char_t *)b, (int)o, 0, 0,
					     YAML_PLAIN_SCALAR_STYLE);
		emit(c, &ev);
		free(b);
		return;
	}
	yaml_scalar_style_t style = looks_special(s, len) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style);
	emit(c, &ev);
}

static void emit_str(emit_ctx *c, const char *s)
{
	if (s)
		emit_text(c, s, strlen(s));
	else
		emit_plain(c, "null");
}

static void emit_key(emit_ctx *c, const char *k)
{
	emit_plain(c, k);
}

static void emit_map(emit_ctx *c, bool start)
{
	yaml_event_t ev;
	if (start)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_mapping_end_event_initialize(&ev);
	emit(c, &ev);
}

static void emit_seq(emit_ctx *c, bool start, bool flow)
{
	yaml_event_t ev;
	if (start)
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	else
		yaml_sequence_end_event_initialize(&ev);
	emit(c, &ev);
}

/* The lines of a task that its item did not bring (store_each brings a
 * bounded part of each log), a page at a time, to fn; 0, or -1 with *err
 * set. */
#define LOG_PAGE 1000
static int more_lines(store *st, const record_task *t, void (*fn)(void *ctx, const record_text *line), void *ctx,
		      store_err *err)
{
	for (uint64_t from = t->n_logs; st && from < t->log_count;) {
		record_text *v;
		size_t n;
		uint64_t total;
		if (store_task_logs(st, t->execution_id, t->task_id, from, LOG_PAGE, &v, &n, &total, err))
			return -1;
		for (size_t i = 0; i < n; i++) {
			fn(ctx, &v[i]);
			record_text_free(&v[i]);
		}
		free(v);
		if (n == 0)
			break;
		from += n;
	}
	return 0;
}

static void emit_line(void *ctx, const record_text *line)
{
	emit_text(ctx, line->s, line->len);
}

static void emit_task(emit_ctx *c, const record_task *t)
{
	emit_map(c, true);
	emit_key(c, "task_id");
	emit_str(c, t->task_id);
	emit_key(c, "task_name");
	emit_text(c, t->task_name.s, t->task_name.len);
	emit_key(c, "status");
	emit_plain(c, status_task_name(t->status));
	emit_key(c, "logs");
	emit_seq(c, true, t->n_logs == 0);
	for (size_t i = 0; i < t->n_logs; i++)
		emit_text(c, t->logs[i].s, t->logs[i].len);
	if (c->logs && more_lines(c->logs, t, emit_line, c, c->err) < 0)
		c->ok = false;
	emit_seq(c, false, false);
	emit_key(c, "start_timestamp");
	emit_text(c, t->start_timestamp, strlen(t->start_timestamp));
	emit_key(c, "end_timestamp");
	emit_text(c, t->end_timestamp, strlen(t->end_timestamp));
	if (t->has_input) {
		emit_key(c, "input");
		emit_map(c, true);
		emit_key(c, "prompt");
		emit_text(c, t->input_prompt.s, t->input_prompt.len);
		emit_key(c, "type");
		emit_plain(c, record_input_type_name(t->input_type));
		if (t->has_input_default) {
			emit_key(c, "default");
			emit_text(c, t->input_default.s, t->input_default.len);
		}
		emit_key(c, "required");
		emit_plain(c, t->input_required ? "true" : "false");
		if (t->input_deadline) {
			emit_key(c, "deadline");
			emit_str(c, t->input_deadline);
			emit_key(c, "on_timeout");
			emit_plain(c, record_on_timeout_name(t->on_timeout));
		}
		if (t->n_respondents) {
			emit_key(c, "respondents");
			emit_seq(c, true, true);
			for (size_t i = 0; i < t->n_respondents; i++)
				emit_str(c, t->respondents[i]);
			emit_seq(c, false, true);
		}
		if (t->no_self_approval) {
			emit_key(c, "no_self_approval");
			emit_plain(c, "true");
		}
		emit_map(c, false);
	}
	if (t->has_input_value) {
		emit_key(c, "input_value");
		emit_text(c, t->input_value.s, t->input_value.len);
	}
	emit_map(c, false);
}

/* An execution's whole audit trail, oldest first (read newest first, in pages). */
static store_code read_trail(store *st, const char *id, record_event **out, size_t *n, store_err *err)
{
	record_event *all = NULL;
	size_t nall = 0;
	uint64_t before = 0;
	*out = NULL;
	*n = 0;
	for (;;) {
		record_event *page;
		size_t np;
		store_code c = store_events(st, id, before, 1000, &page, &np, err);
		if (c) {
			record_event_array_free(all, nall);
			return c;
		}
		if (np == 0)
			break;
		record_event *v = realloc(all, (nall + np) * sizeof *v);
		if (!v || nall + np > STORE_EVENTS_MAX) {
			free(v ? v : all);
			record_event_array_free(page, np);
			if (v)
				all = NULL;
			snprintf(err->msg, sizeof err->msg, "execution '%s': its audit trail has more than %d events",
				 id, STORE_EVENTS_MAX);
			return err->code = STORE_INVALID_INPUT;
		}
		all = v;
		memcpy(all + nall, page, np * sizeof *page);
		nall += np;
		before = page[np - 1].seq;
		free(page);
		if (np < 1000 || before <= 1)
			break;
	}
	for (size_t i = 0; i < nall / 2; i++) {
		record_event t = all[i];
		all[i] = all[nall - 1 - i];
		all[nall - 1 - i] = t;
	}
	*out = all;
	*n = nall;
	return STORE_OK;
}

static void emit_event(emit_ctx *c, const record_event *ev)
{
	char seq[24];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)ev->seq);
	emit_map(c, true);
	emit_key(c, "seq");
	emit_plain(c, seq);
	emit_key(c, "time");
	emit_str(c, ev->time);
	emit_key(c, "actor");
	emit_str(c, ev->actor);
	if (ev->user) {
		emit_key(c, "user");
		emit_str(c, ev->user);
	}
	emit_key(c, "action");
	emit_str(c, ev->action);
	emit_key(c, "task_id");
	emit_str(c, ev->task_id);
	emit_key(c, "status_before");
	emit_str(c, ev->status_before);
	emit_key(c, "status_after");
	emit_str(c, ev->status_after);
	if (ev->has_input_value) {
		emit_key(c, "input_value");
		emit_text(c, ev->input_value.s, ev->input_value.len);
	}
	if (ev->has_reason) {
		emit_key(c, "reason");
		emit_text(c, ev->reason.s, ev->reason.len);
	}
	emit_map(c, false);
}

static int emit_item(void *ctx, const store_item *it)
{
	emit_ctx *c = ctx;
	const record_exec *e = &it->exec;
	emit_map(c, true);
	emit_key(c, "id");
	emit_str(c, e->id);
	emit_key(c, "workflow_name");
	emit_text(c, e->workflow_name.s, e->workflow_name.len);
	emit_key(c, "start_timestamp");
	emit_str(c, e->start_timestamp);
	emit_key(c, "end_timestamp");
	emit_str(c, e->end_timestamp);
	emit_key(c, "status");
	emit_plain(c, status_exec_name(e->status));
	emit_key(c, "is_paused");
	emit_plain(c, e->is_paused ? "true" : "false");
	emit_key(c, "paused_task_id");
	emit_str(c, e->paused_task_id);
	emit_key(c, "task_ids");
	emit_seq(c, true, true);
	for (size_t i = 0; i < e->n_task_ids; i++)
		emit_str(c, e->task_ids[i]);
	emit_seq(c, false, true);
	emit_key(c, "tasks");
	emit_seq(c, true, it->n_tasks == 0);
	for (size_t i = 0; i < it->n_tasks; i++)
		emit_task(c, &it->tasks[i]);
	emit_seq(c, false, false);
	if (c->st) {
		record_event *ev;
		size_t n;
		if (read_trail(c->st, e->id, &ev, &n, c->err))
			return -1;
		emit_key(c, "events");
		emit_seq(c, true, n == 0);
		for (size_t i = 0; i < n; i++)
			emit_event(c, &ev[i]);
		emit_seq(c, false, false);
		record_event_array_free(ev, n);
	}
	emit_map(c, false);
	return c->ok ? 0 : -1;
}

static int write_handler(void *data, unsigned char *buf, size_t size)
{
	return fwrite(buf, 1, size, data) == size;
}

store_code datafile_export_yaml(store *st, bool events, FILE *out, store_err *err)
{
	emit_ctx c = { .ok = true, .st = events ? st : NULL, .logs = st, .err = err };
	yaml_event_t ev;
	if (!yaml_emitter_initialize(&c.em)) {
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return err->code = STORE_STORAGE;
	}
	yaml_emitter_set_output(&c.em, write_handler, out);
	yaml_emitter_set_unicode(&c.em, 1);
	yaml_emitter_set_width(&c.em, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&c, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(&c, &ev);
	emit_map(&c, true);
	emit_key(&c, "executions");
	emit_seq(&c, true, false);
	store_code rc = store_each(st, emit_item, &c, err);
	emit_seq(&c, false, false);
	emit_map(&c, false);
	yaml_document_end_event_initialize(&ev, 1);
	emit(&c, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(&c, &ev);
	if (rc == STORE_OK && !c.ok) {
		snprintf(err->msg, sizeof err->msg, "writing YAML failed: %s",
			 c.em.problem ? c.em.problem : strerror(errno));
		rc = err->code = STORE_STORAGE;
	}
	yaml_emitter_delete(&c.em);
	return rc;
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	if (s)
		text_json_fputs(f, s, strlen(s));
	else
		fputs("null", f);
}

static void json_text(FILE *f, const record_text *t)
{
	text_json_fputs(f, t->s ? t->s : "", t->s ? t->len : 0);
}

/* An optional text: the value, or null when it is absent. */
static void json_opt_text(FILE *f, bool has, const record_text *t)
{
	if (has)
		json_text(f, t);
	else
		fputs("null", f);
}

/* A time that may be absent ("" in a task record): null then. */
static void json_time(FILE *f, const char *s)
{
	json_str(f, s && *s ? s : NULL);
}

/* An answer or default with its type: a number as a JSON number, a boolean
 * as true or false; a text that does not fit its type stays a string. */
static bool decimal_text(const char *s, size_t len)
{
	size_t i = 0;
	if (i < len && s[i] == '-')
		i++;
	size_t d = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == d)
		return false;
	if (i < len && s[i] == '.') {
		size_t f0 = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f0)
			return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e0 = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e0)
			return false;
	}
	return i == len;
}

static void json_typed(FILE *f, bool has, const record_text *t, const record_task *task)
{
	if (!has) {
		fputs("null", f);
		return;
	}
	if (task->has_input && task->input_type == INPUT_NUMBER && t->s && decimal_text(t->s, t->len)) {
		fwrite(t->s, 1, t->len, f);
		return;
	}
	if (task->has_input && task->input_type == INPUT_BOOLEAN && t->s) {
		if ((t->len == 4 && strncasecmp(t->s, "true", 4) == 0) || (t->len == 3 && strncasecmp(t->s, "yes", 3) == 0)) {
			fputs("true", f);
			return;
		}
		if ((t->len == 5 && strncasecmp(t->s, "false", 5) == 0) || (t->len == 2 && strncasecmp(t->s, "no", 2) == 0)) {
			fputs("false", f);
			return;
		}
	}
	json_text(f, t);
}

/* ,"key":"value" (or null) */
static void json_field(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	json_str(f, s);
}

static void json_exec_fields(FILE *f, const record_exec *e)
{
	fputs("\"id\":", f);
	json_str(f, e->id);
	fputs(",\"workflow_name\":", f);
	json_text(f, &e->workflow_name);
	fputs(",\"start_timestamp\":", f);
	json_str(f, e->start_timestamp);
	fputs(",\"end_timestamp\":", f);
	json_str(f, e->end_timestamp);
	fprintf(f, ",\"status\":\"%s\",\"task_ids\":[", status_exec_name(e->status));
	for (size_t i = 0; i < e->n_task_ids; i++) {
		if (i)
			fputc(',', f);
		json_str(f, e->task_ids[i]);
	}
	fprintf(f, "],\"is_paused\":%s,\"paused_task_id\":", e->is_paused ? "true" : "false");
	json_str(f, e->paused_task_id);
	/* the engine that drives it: null when none ever attached */
	fputs(",\"engine\":", f);
	if (e->engine_pid) {
		fprintf(f, "{\"pid\":%llu,\"host\":", (unsigned long long)e->engine_pid);
		json_str(f, e->engine_host ? e->engine_host : "");
		fprintf(f, ",\"attached\":%s}", e->engine_attached ? "true" : "false");
	} else {
		fputs("null", f);
	}
	fputs(",\"started_by\":", f);
	json_str(f, e->started_by);
	/* while it waits: the earliest deadline of its waiting tasks */
	fputs(",\"deadline\":", f);
	json_str(f, e->input_deadline);
}

void datafile_json_exec(FILE *f, const record_exec *e)
{
	fputc('{', f);
	json_exec_fields(f, e);
	fputc('}', f);
}

void datafile_json_paused(FILE *f, const store_item *it)
{
	fputc('{', f);
	json_exec_fields(f, &it->exec);
	fputs(",\"waiting\":[", f);
	bool first = true;
	for (size_t i = 0; i < it->n_tasks; i++) {
		if (it->tasks[i].status != TASK_WAITING)
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		datafile_json_task(f, &it->tasks[i]);
	}
	/* why each waits: an input request asks for an answer; without one, an
	 * operator paused the task and it waits to be resumed */
	for (int asks = 1; asks >= 0; asks--) {
		fputs(asks ? "],\"waits_for_answer\":[" : "],\"paused_by_operator\":[", f);
		first = true;
		for (size_t i = 0; i < it->n_tasks; i++) {
			if (it->tasks[i].status != TASK_WAITING || it->tasks[i].has_input != (asks == 1))
				continue;
			if (!first)
				fputc(',', f);
			first = false;
			json_str(f, it->tasks[i].task_id);
		}
	}
	fputs("]}", f);
}

typedef struct json_lines {
	FILE *f;
	size_t n; /* lines written: a comma before each but the first */
} json_lines;

static void json_line(void *ctx, const record_text *line)
{
	json_lines *jl = ctx;
	if (jl->n++)
		fputc(',', jl->f);
	json_text(jl->f, line);
}

/* A task as JSON; with `more`, the lines its item did not bring are read
 * from it (export).  0, or -1 with *err set. */
static int json_task(FILE *f, const record_task *t, store *more, store_err *err)
{
	fputs("{\"execution_id\":", f);
	json_str(f, t->execution_id);
	fputs(",\"task_id\":", f);
	json_str(f, t->task_id);
	fputs(",\"task_name\":", f);
	json_text(f, &t->task_name);
	fprintf(f, ",\"status\":\"%s\",\"logs\":[", status_task_name(t->status));
	json_lines jl = { f, 0 };
	for (size_t i = 0; i < t->n_logs; i++)
		json_line(&jl, &t->logs[i]);
	if (more && more_lines(more, t, json_line, &jl, err) < 0)
		return -1;
	fputs("],\"start_timestamp\":", f);
	json_time(f, t->start_timestamp);
	fputs(",\"end_timestamp\":", f);
	json_time(f, t->end_timestamp);
	fputs(",\"input\":", f);
	if (t->has_input) {
		fputs("{\"prompt\":", f);
		json_text(f, &t->input_prompt);
		fprintf(f, ",\"type\":\"%s\",\"default\":", record_input_type_name(t->input_type));
		json_typed(f, t->has_input_default, &t->input_default, t);
		fprintf(f, ",\"required\":%s,\"deadline\":", t->input_required ? "true" : "false");
		json_str(f, t->input_deadline);
		fputs(",\"on_timeout\":", f);
		json_str(f, t->input_deadline ? record_on_timeout_name(t->on_timeout) : NULL);
		fputs(",\"respondents\":[", f);
		for (size_t i = 0; i < t->n_respondents; i++) {
			if (i)
				fputc(',', f);
			json_str(f, t->respondents[i]);
		}
		fprintf(f, "],\"no_self_approval\":%s}", t->no_self_approval ? "true" : "false");
	} else {
		fputs("null", f);
	}
	fputs(",\"input_value\":", f);
	json_typed(f, t->has_input_value, &t->input_value, t);
	fputs(",\"reason\":", f);
	json_opt_text(f, t->has_reason, &t->reason);
	fprintf(f, ",\"log_count\":%llu}", (unsigned long long)(t->log_count > t->n_logs ? t->log_count : t->n_logs));
	return 0;
}

void datafile_json_task(FILE *f, const record_task *t)
{
	json_task(f, t, NULL, NULL);
}

void datafile_json_event(FILE *f, const record_event *ev)
{
	fprintf(f, "{\"seq\":%llu", (unsigned long long)ev->seq);
	json_field(f, "time", ev->time);
	json_field(f, "actor", ev->actor);
	json_field(f, "action", ev->action);
	json_field(f, "execution_id", ev->execution_id);
	json_field(f, "task_id", ev->task_id);
	json_field(f, "status_before", ev->status_before);
	json_field(f, "status_after", ev->status_after);
	fputs(",\"input_value\":", f);
	json_opt_text(f, ev->has_input_value, &ev->input_value);
	fputs(",\"reason\":", f);
	json_opt_text(f, ev->has_reason, &ev->reason);
	json_field(f, "user", ev->user);
	fputc('}', f);
}

typedef struct json_ctx {
	FILE *f;
	store *st;   /* with the audit trail */
	store *logs; /* where the lines an item did not bring are read */
	store_err *err;
} json_ctx;

static int json_item(void *ctx, const store_item *it)
{
	json_ctx *j = ctx;
	FILE *f = j->f;
	fputs("{\"execution\":", f);
	datafile_json_exec(f, &it->exec);
	fputs(",\"tasks\":[", f);
	for (size_t i = 0; i < it->n_tasks; i++) {
		if (i)
			fputc(',', f);
		if (json_task(f, &it->tasks[i], j->logs, j->err) < 0)
			return -1;
	}
	fputc(']', f);
	if (j->st) {
		record_event *ev;
		size_t n;
		if (read_trail(j->st, it->exec.id, &ev, &n, j->err))
			return -1;
		fputs(",\"events\":[", f);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', f);
			datafile_json_event(f, &ev[i]);
		}
		fputc(']', f);
		record_event_array_free(ev, n);
	}
	fputs("}\n", f);
	return ferror(f) ? -1 : 0;
}

store_code datafile_export_json(store *st, bool events, FILE *out, store_err *err)
{
	json_ctx j = { out, events ? st : NULL, st, err };
	return store_each(st, json_item, &j, err);
}
