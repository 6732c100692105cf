/* workflow.c - reading see's workflow files (JSON through libyaml). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "text.h"
#include "workflow.h"
#include "ytree.h"

typedef struct reader {
	yreader *y;
	workflow *w;
	size_t cap;
	/* workflow_check: each problem goes here, and reading goes on */
	void (*problem)(void *ctx, const char *msg);
	void *ctx;
	size_t problems;
} reader;

/* A problem in y->err: reported when checking (then reading goes on: 0),
 * else handed up (-1). */
static int go_on(reader *r)
{
	r->problems++;
	if (!r->problem || r->problems > WORKFLOW_PROBLEMS_MAX)
		return -1;
	r->problem(r->ctx, r->y->err);
	return 0;
}

static const ynode *map_get(const ynode *m, const char *key)
{
	for (size_t i = 0; m && m->kind == YN_MAP && i + 1 < m->n; i += 2)
		if (m->items[i]->kind == YN_SCALAR && strcmp(m->items[i]->val, key) == 0)
			return m->items[i + 1];
	return NULL;
}

/* Every key of the map is one of `known` (NULL-terminated). */
static int keys_known(reader *r, const ynode *m, const char *what, const char *const *known)
{
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const ynode *k = m->items[i];
		bool ok = false;
		for (size_t j = 0; known[j] && !ok; j++)
			ok = k->kind == YN_SCALAR && strcmp(k->val, known[j]) == 0;
		if (!ok)
			return yreader_fail(r->y, k, "unknown key '%.64s' in %s", k->kind == YN_SCALAR ? k->val : "?",
					    what);
	}
	return 0;
}

/* A string field: present (unless optional), a scalar, no NUL, bounded. */
static int get_text(reader *r, const ynode *m, const char *key, const char *what, bool optional, char **out)
{
	const ynode *v = map_get(m, key);
	*out = NULL;
	if (!v) {
		if (optional)
			return 0;
		return yreader_fail(r->y, m, "%s has no '%s'", what, key);
	}
	if (v->kind != YN_SCALAR || (v->plain && ynode_is_null(v)))
		return yreader_fail(r->y, v, "'%s' of %s must be a string", key, what);
	if (memchr(v->val, '\0', v->len))
		return yreader_fail(r->y, v, "'%s' of %s holds a NUL byte", key, what);
	if (v->len > WORKFLOW_TEXT_MAX)
		return yreader_fail(r->y, v, "'%s' of %s is longer than %d bytes", key, what, WORKFLOW_TEXT_MAX);
	*out = strdup(v->val);
	return *out ? 0 : yreader_fail(r->y, v, "out of memory");
}

static const char *const task_keys[] = { "id", "name", "function", "next_tasks", NULL };
static const char *const function_keys[] = { "name", "input", NULL };
static const char *const command_keys[] = { "command", "args", NULL };
static const char *const input_keys[] = { "prompt", "input_type", "required", "default", "timeout", "on_timeout",
					   "respondents", "no_self_approval", NULL };

static int read_command(reader *r, wf_task *t, const ynode *in, const char *what)
{
	if (keys_known(r, in, what, command_keys) < 0 || get_text(r, in, "command", what, false, &t->command) < 0)
		return -1;
	if (!*t->command)
		return yreader_fail(r->y, map_get(in, "command"), "the command of task '%s' is empty", t->id);
	const ynode *args = map_get(in, "args");
	if (!args || (args->kind == YN_SCALAR && args->plain && ynode_is_null(args)))
		return 0;
	if (args->kind != YN_SEQ)
		return yreader_fail(r->y, args, "'args' of task '%s' must be a list of strings", t->id);
	if (args->n > WORKFLOW_ARGS_MAX)
		return yreader_fail(r->y, args, "task '%s' has more than %d args", t->id, WORKFLOW_ARGS_MAX);
	t->args = calloc(args->n + 1, sizeof *t->args);
	if (!t->args)
		return yreader_fail(r->y, args, "out of memory");
	for (size_t i = 0; i < args->n; i++, t->n_args++) {
		const ynode *a = args->items[i];
		if (a->kind != YN_SCALAR || (a->plain && ynode_is_null(a)) || memchr(a->val, '\0', a->len))
			return yreader_fail(r->y, a, "an argument of task '%s' must be a string", t->id);
		if (a->len > WORKFLOW_TEXT_MAX)
			return yreader_fail(r->y, a, "an argument of task '%s' is longer than %d bytes", t->id,
					    WORKFLOW_TEXT_MAX);
		if (!(t->args[i] = strdup(a->val)))
			return yreader_fail(r->y, a, "out of memory");
	}
	return 0;
}

/* A JSON number, as written: -?digits(.digits)?([eE][+-]?digits)? */
static bool json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* "timeout" and "on_timeout" of an input request. */
static int read_deadline(reader *r, wf_task *t, const ynode *in)
{
	const ynode *to = map_get(in, "timeout"), *on = map_get(in, "on_timeout");
	t->on_timeout = TIMEOUT_FAIL;
	if (to && (to->kind != YN_SCALAR || text_duration_parse(to->val, &t->timeout_s) < 0 || t->timeout_s == 0))
		return yreader_fail(r->y, to, "the timeout of task '%s' must be a duration such as \"90s\", \"15m\", \"2h\" "
				    "or \"7d\" (at most 3650d)", t->id);
	if (on && (on->kind != YN_SCALAR || record_on_timeout_parse(on->val, &t->on_timeout) < 0))
		return yreader_fail(r->y, on, "on_timeout of task '%s' must be fail, default or skip", t->id);
	if (on && !to)
		return yreader_fail(r->y, on, "task '%s' has on_timeout but no timeout", t->id);
	if (t->on_timeout == TIMEOUT_SKIP && t->required)
		return yreader_fail(r->y, on, "task '%s': on_timeout 'skip' needs \"required\": false (a required answer "
				    "is never skipped)", t->id);
	const ynode *rs = map_get(in, "respondents"), *ns = map_get(in, "no_self_approval");
	if (ns && (ns->kind != YN_SCALAR || !ns->plain || ynode_bool(ns, &t->no_self_approval) != 1))
		return yreader_fail(r->y, ns, "'no_self_approval' of task '%s' must be true or false", t->id);
	if (!rs)
		return 0;
	if (rs->kind != YN_SEQ || rs->n > STORE_RESPONDENTS_MAX)
		return yreader_fail(r->y, rs, "'respondents' of task '%s' must be a list of at most %d user or \"@group\" "
				    "names", t->id, STORE_RESPONDENTS_MAX);
	t->respondents = calloc(rs->n ? rs->n : 1, sizeof *t->respondents);
	if (!t->respondents)
		return yreader_fail(r->y, rs, "out of memory");
	for (size_t i = 0; i < rs->n; i++) {
		const ynode *v = rs->items[i];
		if (v->kind != YN_SCALAR || store_respondent_check(v->val) < 0)
			return yreader_fail(r->y, v, "respondent of task '%s' must be a user or \"@group\" name (1-64 "
				    "letters, digits, '.', '_', '-')", t->id);
		if (!(t->respondents[t->n_respondents] = strdup(v->val)))
			return yreader_fail(r->y, v, "out of memory");
		t->n_respondents++;
	}
	return 0;
}

static int read_input(reader *r, wf_task *t, const ynode *in, const char *what)
{
	if (keys_known(r, in, what, input_keys) < 0 || get_text(r, in, "prompt", what, false, &t->prompt) < 0)
		return -1;
	const ynode *ty = map_get(in, "input_type");
	t->type = INPUT_STRING;
	if (ty && (ty->kind != YN_SCALAR || record_input_type_parse(ty->val, &t->type) < 0))
		return yreader_fail(r->y, ty, "input_type of task '%s' must be string, number or boolean", t->id);
	t->required = true;
	const ynode *rq = map_get(in, "required");
	if (rq && (rq->kind != YN_SCALAR || !rq->plain || ynode_bool(rq, &t->required) != 1))
		return yreader_fail(r->y, rq, "'required' of task '%s' must be true or false", t->id);
	if (read_deadline(r, t, in) < 0)
		return -1;
	const ynode *d = map_get(in, "default");
	if (!d || (d->kind == YN_SCALAR && d->plain && ynode_is_null(d))) {
		if (t->timeout_s && t->on_timeout == TIMEOUT_DEFAULT)
			return yreader_fail(r->y, map_get(in, "on_timeout"),
					    "task '%s': on_timeout 'default' needs a default", t->id);
		return 0;
	}
	if (d->kind != YN_SCALAR || memchr(d->val, '\0', d->len) || d->len > WORKFLOW_TEXT_MAX)
		return yreader_fail(r->y, d, "the default of task '%s' must be a string, a number or a boolean", t->id);
	bool b;
	if (d->plain && ynode_bool(d, &b) == 1) {
		if (t->type != INPUT_BOOLEAN)
			return yreader_fail(r->y, d, "the default of task '%s' is a boolean, but its input_type is %s",
					    t->id, record_input_type_name(t->type));
		t->default_text = strdup(b ? "true" : "false");
	} else if (d->plain && json_number(d->val)) {
		if (t->type == INPUT_BOOLEAN)
			return yreader_fail(r->y, d, "the default of task '%s' is a number, but its input_type is boolean",
					    t->id);
		t->default_text = strdup(d->val);
	} else if (d->plain) {
		return yreader_fail(r->y, d, "the default of task '%s' is not valid JSON: quote a string", t->id);
	} else {
		if (t->type == INPUT_NUMBER && !json_number(d->val))
			return yreader_fail(r->y, d, "the default of task '%s' is not a number", t->id);
		t->default_text = strdup(d->val);
	}
	t->has_default = true;
	return t->default_text ? 0 : yreader_fail(r->y, d, "out of memory");
}

static int read_tasks(reader *r, const ynode *list, size_t parent, int depth);
static int read_task_self(reader *r, const ynode *m, size_t me);

static int read_task(reader *r, const ynode *m, size_t parent, int depth)
{
	if (m->kind != YN_MAP)
		return yreader_fail(r->y, m, "a task must be an object");
	if (r->w->n >= WORKFLOW_TASKS_MAX)
		return yreader_fail(r->y, m, "more than %d tasks", WORKFLOW_TASKS_MAX);
	if (r->w->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		wf_task *v = realloc(r->w->tasks, cap * sizeof *v);
		if (!v)
			return yreader_fail(r->y, m, "out of memory");
		r->w->tasks = v;
		r->cap = cap;
	}
	size_t me = r->w->n++;
	wf_task *t = &r->w->tasks[me];
	memset(t, 0, sizeof *t);
	t->parent = parent;
	/* a bad task's next_tasks are still read when checking: their own
	 * problems are reported too */
	if (read_task_self(r, m, me) < 0 && go_on(r) < 0)
		return -1;
	const ynode *next = map_get(m, "next_tasks");
	if (!next || (next->kind == YN_SCALAR && next->plain && ynode_is_null(next)))
		return 0;
	if (depth >= WORKFLOW_DEPTH_MAX)
		return yreader_fail(r->y, next, "tasks nested more than %d deep", WORKFLOW_DEPTH_MAX);
	return read_tasks(r, next, me, depth + 1);
}

/* A task's own fields: id, name, function. */
static int read_task_self(reader *r, const ynode *m, size_t me)
{
	wf_task *t = &r->w->tasks[me];
	if (keys_known(r, m, "a task", task_keys) < 0 || get_text(r, m, "id", "a task", false, &t->id) < 0)
		return -1;
	if (!record_id_valid(t->id))
		return yreader_fail(r->y, map_get(m, "id"), "task id '%.64s' is not a valid id (1-128 printable bytes)",
				    t->id);
	for (size_t i = 0; i < me; i++)
		if (r->w->tasks[i].id && strcmp(r->w->tasks[i].id, t->id) == 0)
			return yreader_fail(r->y, map_get(m, "id"), "task id '%s' is used twice", t->id);
	char what[200];
	snprintf(what, sizeof what, "task '%s'", t->id);
	if (get_text(r, m, "name", what, false, &t->name) < 0)
		return -1;
	const ynode *f = map_get(m, "function");
	if (!f || f->kind != YN_MAP)
		return yreader_fail(r->y, f ? f : m, "task '%s' needs a 'function' object", t->id);
	char *fname;
	if (keys_known(r, f, "a function", function_keys) < 0 || get_text(r, f, "name", "a function", false, &fname) < 0)
		return -1;
	const ynode *fnode = map_get(f, "name");
	bool command = strcmp(fname, "cli_command") == 0, input = strcmp(fname, "user_input") == 0;
	if (!command && !input) {
		int rc = strcmp(fname, "cursor_agent") == 0 || strcmp(fname, "custom") == 0
				 ? yreader_fail(r->y, fnode, "task '%s': function '%s' cannot run in seerun (it runs "
							     "cli_command and user_input)", t->id, fname)
				 : yreader_fail(r->y, fnode, "task '%s': unknown function '%.64s'", t->id, fname);
		free(fname);
		return rc;
	}
	free(fname);
	const ynode *in = map_get(f, "input");
	if (!in || in->kind != YN_MAP)
		return yreader_fail(r->y, in ? in : f, "the function of task '%s' needs an 'input' object", t->id);
	snprintf(what, sizeof what, "the input of task '%s'", t->id);
	t->kind = command ? WF_COMMAND : WF_INPUT;
	return command ? read_command(r, t, in, what) : read_input(r, t, in, what);
}

static int read_tasks(reader *r, const ynode *list, size_t parent, int depth)
{
	if (list->kind != YN_SEQ)
		return yreader_fail(r->y, list, "'%s' must be a list of tasks", parent == SIZE_MAX ? "tasks" : "next_tasks");
	for (size_t i = 0; i < list->n; i++) {
		size_t me = r->w->n;
		if (read_task(r, list->items[i], parent, depth) < 0 && go_on(r) < 0)
			return -1;
		if (parent != SIZE_MAX && me < r->w->n) {
			wf_task *p = &r->w->tasks[parent];
			size_t *v = realloc(p->next, (p->n_next + 1) * sizeof *v);
			if (!v)
				return yreader_fail(r->y, list, "out of memory");
			p->next = v;
			p->next[p->n_next++] = me;
		}
	}
	return 0;
}

static const char *const top_keys[] = { "id", "name", "tasks", NULL };
static const char *const saved_keys[] = { "content", "description", "version", "id", "name", "created_at",
					  "updated_at", "is_default", "is_edited", NULL };

static uint64_t fnv1a(FILE *f)
{
	uint64_t h = 1469598103934665603ULL;
	int c;
	rewind(f);
	while ((c = getc(f)) != EOF)
		h = (h ^ (unsigned char)c) * 1099511628211ULL;
	rewind(f);
	return h;
}

/* workflow_load, or workflow_check when r->problem is set: the number of
 * problems.  The one that stopped the reading, if any, is left in err (the
 * others went to r->problem). */
static size_t load(const char *path, workflow *out, reader *r, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return 1;
	}
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(f);
		snprintf(err, errlen, "%s: is a directory", path);
		return 1;
	}
	if (sb.st_size > (off_t)WORKFLOW_FILE_MAX) {
		fclose(f);
		snprintf(err, errlen, "%s: larger than %u MB", path, WORKFLOW_FILE_MAX >> 20);
		return 1;
	}
	out->hash = fnv1a(f);
	yreader y;
	ynode *doc = NULL;
	if (yreader_open(&y, f, path) < 0) {
		snprintf(err, errlen, "%s", y.err);
		fclose(f);
		return 1;
	}
	y.max_depth = 4 * WORKFLOW_DEPTH_MAX + 16;
	r->y = &y;
	r->w = out;
	bool unreported = true; /* y.err holds a problem not handed to r->problem */
	if (yreader_document(&y, &doc) < 0)
		goto done;
	if (!doc || doc->kind != YN_MAP) {
		ynode at = { .line = 1, .col = 1 };
		yreader_fail(&y, doc ? doc : &at, "a workflow file holds one object with id, name and tasks");
		goto done;
	}
	const ynode *top = doc;
	const ynode *content = map_get(doc, "content");
	if (content) {
		if (keys_known(r, doc, "a saved workflow", saved_keys) < 0 && go_on(r) < 0)
			goto done;
		if (content->kind != YN_MAP) {
			yreader_fail(&y, content, "'content' must be a workflow object");
			goto done;
		}
		top = content;
	}
	if ((keys_known(r, top, "the workflow", top_keys) < 0 && go_on(r) < 0) ||
	    (get_text(r, top, "id", "the workflow", false, &out->id) < 0 && go_on(r) < 0) ||
	    (get_text(r, top, "name", "the workflow", false, &out->name) < 0 && go_on(r) < 0))
		goto done;
	const ynode *tasks = map_get(top, "tasks");
	if (!tasks) {
		yreader_fail(&y, top, "the workflow has no 'tasks'");
		goto done;
	}
	if (read_tasks(r, tasks, SIZE_MAX, 0) < 0)
		goto done;
	if (out->n == 0 && r->problems == 0) {
		yreader_fail(&y, tasks, "the workflow has no tasks");
		goto done;
	}
	unreported = false;
done:
	if (unreported) {
		if (r->problems > WORKFLOW_PROBLEMS_MAX)
			snprintf(err, errlen, "%s: more than %d problems: the rest is not checked", path,
				 WORKFLOW_PROBLEMS_MAX);
		else
			snprintf(err, errlen, "%s", y.err);
		r->problems++;
	}
	ynode_unref(doc);
	yreader_close(&y);
	fclose(f);
	if (r->problems)
		workflow_free(out);
	return r->problems;
}

int workflow_load(const char *path, workflow *out, char *err, size_t errlen)
{
	reader r = { 0 };
	return load(path, out, &r, err, errlen) ? -1 : 0;
}

/* ---- strict JSON, for workflow_check: libyaml reads more than JSON (keys
 * without quotes, single quotes, comments), which see's engine refuses ---- */

typedef struct jscan {
	const char *p, *end;
	unsigned long line, col; /* of *p, in characters as libyaml counts them */
	int depth;
	const char *why;         /* what is not JSON */
} jscan;

static void j_next(jscan *s)
{
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else if (((unsigned char)*s->p & 0xC0) != 0x80) {
		s->col++;
	}
	s->p++;
}

static void j_space(jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		j_next(s);
}

static int j_fail(jscan *s, const char *why)
{
	s->why = why;
	return -1;
}

static bool j_at(const jscan *s, char c)
{
	return s->p < s->end && *s->p == c;
}

static int j_string(jscan *s)
{
	if (!j_at(s, '"'))
		return j_fail(s, "expected a string in double quotes");
	j_next(s);
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p;
		if (c < 0x20)
			return j_fail(s, "a control character in a string: write it escaped");
		if (c == '\\') {
			j_next(s);
			if (s->p >= s->end || !strchr("\"\\/bfnrtu", *s->p) || !*s->p)
				return j_fail(s, "a bad escape in a string");
			if (*s->p == 'u')
				for (int k = 0; k < 4; k++) {
					j_next(s);
					if (s->p >= s->end || !isxdigit((unsigned char)*s->p))
						return j_fail(s, "\\u needs four hex digits");
				}
		}
		j_next(s);
	}
	if (s->p >= s->end)
		return j_fail(s, "a string is not closed");
	j_next(s);
	return 0;
}

static void j_digits(jscan *s)
{
	while (s->p < s->end && isdigit((unsigned char)*s->p))
		j_next(s);
}

static int j_value(jscan *s)
{
	if (++s->depth > 4 * WORKFLOW_DEPTH_MAX + 16)
		return j_fail(s, "nested too deep");
	j_space(s);
	if (s->p >= s->end)
		return j_fail(s, "expected a value");
	char c = *s->p;
	int rc = 0;
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		j_next(s);
		j_space(s);
		if (j_at(s, close)) {
			j_next(s);
		} else {
			for (;;) {
				if (c == '{') {
					j_space(s);
					if (j_string(s) < 0)
						return -1;
					j_space(s);
					if (!j_at(s, ':'))
						return j_fail(s, "expected ':' after a key");
					j_next(s);
				}
				if (j_value(s) < 0)
					return -1;
				j_space(s);
				if (j_at(s, ',')) {
					j_next(s);
					continue;
				}
				if (j_at(s, close)) {
					j_next(s);
					break;
				}
				return j_fail(s, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
			}
		}
	} else if (c == '"') {
		rc = j_string(s);
	} else if (c == '-' || isdigit((unsigned char)c)) {
		if (c == '-')
			j_next(s);
		if (j_at(s, '0'))
			j_next(s);
		else if (s->p < s->end && isdigit((unsigned char)*s->p))
			j_digits(s);
		else
			return j_fail(s, "a bad number");
		if (j_at(s, '.')) {
			j_next(s);
			if (!(s->p < s->end && isdigit((unsigned char)*s->p)))
				return j_fail(s, "a bad number");
			j_digits(s);
		}
		if (j_at(s, 'e') || j_at(s, 'E')) {
			j_next(s);
			if (j_at(s, '+') || j_at(s, '-'))
				j_next(s);
			if (!(s->p < s->end && isdigit((unsigned char)*s->p)))
				return j_fail(s, "a bad number");
			j_digits(s);
		}
	} else {
		static const char *const words[] = { "true", "false", "null" };
		size_t k = 0;
		while (k < 3 && !((size_t)(s->end - s->p) >= strlen(words[k]) &&
				  memcmp(s->p, words[k], strlen(words[k])) == 0))
			k++;
		if (k == 3)
			return j_fail(s, "expected a value: a string in double quotes, a number, true, false, null, "
					 "an object or a list");
		for (size_t n = strlen(words[k]); n; n--)
			j_next(s);
	}
	s->depth--;
	return rc;
}

/* Whether the file is one JSON value; else, where and why not, in `where`. */
static bool json_strict(const char *path, char *where, size_t len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return true; /* load said why */
	char *buf = malloc(WORKFLOW_FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, WORKFLOW_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > WORKFLOW_FILE_MAX) {
		free(buf);
		return true;
	}
	jscan s = { buf, buf + n, 1, 1, 0, NULL };
	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		s.p += 3;
	if (j_value(&s) == 0) {
		j_space(&s);
		if (s.p < s.end)
			j_fail(&s, "more after the JSON value");
	}
	if (s.why)
		snprintf(where, len, "%s:%lu:%lu: warning: not JSON (seerun reads it as YAML, see's engine refuses it): %s",
			 path, s.line, s.col, s.why);
	free(buf);
	return !s.why;
}

size_t workflow_check(const char *path, workflow *out, void (*problem)(void *ctx, const char *msg), void *ctx)
{
	reader r = { .problem = problem, .ctx = ctx };
	char err[1200] = "";
	size_t n = load(path, out, &r, err, sizeof err);
	if (*err) /* the problem that stopped the reading */
		problem(ctx, err);
	if (n == 0 && !json_strict(path, err, sizeof err))
		problem(ctx, err);
	return n;
}

void workflow_free(workflow *w)
{
	for (size_t i = 0; i < w->n; i++) {
		wf_task *t = &w->tasks[i];
		free(t->id);
		free(t->name);
		free(t->command);
		for (size_t k = 0; k < t->n_args; k++)
			free(t->args[k]);
		free(t->args);
		free(t->prompt);
		free(t->default_text);
		for (size_t k = 0; k < t->n_respondents; k++)
			free(t->respondents[k]);
		free(t->respondents);
		free(t->next);
	}
	free(w->tasks);
	free(w->id);
	free(w->name);
	memset(w, 0, sizeof *w);
}

void workflow_env_name(const char *task_id, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "SEETOP_INPUT_");
	for (const unsigned char *p = (const unsigned char *)task_id; *p && o + 1 < len; p++)
		buf[o++] = isalnum(*p) && *p < 0x80 ? (char)toupper(*p) : '_';
	buf[o < len ? o : len - 1] = '\0';
}
