/* item.c - the rules of the data model, checked by clients before they send
 * and by the server before it writes. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store.h"

void store_item_free(store_item *it)
{
	if (!it)
		return;
	record_exec_free(&it->exec);
	record_task_array_free(it->tasks, it->n_tasks);
	it->tasks = NULL;
	it->n_tasks = 0;
	record_event_array_free(it->events, it->n_events);
	it->events = NULL;
	it->n_events = 0;
}

/* ---- the rules of the data model ---- */

/* A JSON-style decimal: -?digits(.digits)?([eE][+-]?digits)?; NULL, or why not. */
static const char *decimal_problem(const char *v, size_t len)
{
	size_t i = 0;
	if (len && (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\n'))
		return "has spaces around it";
	if (i < len && v[i] == '-')
		i++;
	size_t d0 = i;
	while (i < len && v[i] >= '0' && v[i] <= '9')
		i++;
	if (i == d0)
		return "is not a decimal number (such as 42, -1.5 or 2e3)";
	if (i < len && v[i] == '.') {
		size_t f0 = ++i;
		while (i < len && v[i] >= '0' && v[i] <= '9')
			i++;
		if (i == f0)
			return "is not a decimal number (such as 42, -1.5 or 2e3)";
	}
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		i++;
		if (i < len && (v[i] == '+' || v[i] == '-'))
			i++;
		size_t e0 = i;
		while (i < len && v[i] >= '0' && v[i] <= '9')
			i++;
		if (i == e0)
			return "is not a decimal number (such as 42, -1.5 or 2e3)";
	}
	if (i != len)
		return "is not a decimal number (such as 42, -1.5 or 2e3)";
	char tmp[400];
	if (len >= sizeof tmp)
		return "is too long for a number";
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	errno = 0;
	double d = strtod(tmp, NULL);
	if (errno == ERANGE && (d > 1 || d < -1))
		return "is out of range (a double)";
	return NULL;
}

/* Valid UTF-8 with no NUL: the offset of the first bad byte, or len. */
static size_t utf8_bad_at(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i], n, v;
		if (c == 0)
			return i;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 2, v = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 3, v = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 4, v = c & 0x07;
		else
			return i;
		if (i + n > len)
			return i;
		for (unsigned k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			v = v << 6 | (s[i + k] & 0x3f);
		}
		static const unsigned min[] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return i;
		i += n;
	}
	return len;
}

static int check_input(const record_task *t, const char *v, size_t len, bool for_default, char *why, size_t whylen)
{
	if (!t->has_input)
		return 0;
	const char *what = for_default ? "default" : "input value";
	if (t->input_type == INPUT_NUMBER) {
		const char *problem = len == 0 ? "is not a number" : decimal_problem(v, len);
		if (!problem)
			return 0;
		snprintf(why, whylen, "%s '%.*s' of task '%s' %s", what, (int)(len > 40 ? 40 : len), v, t->task_id,
			 problem);
		return -1;
	}
	if (t->input_type == INPUT_BOOLEAN) {
		static const char *const ok[] = { "true", "false", "yes", "no" };
		for (size_t i = 0; i < 4; i++)
			if (strlen(ok[i]) == len && strncasecmp(ok[i], v, len) == 0)
				return 0;
		snprintf(why, whylen, "%s '%.*s' of task '%s' is not a boolean (true, false, yes or no)", what,
			 (int)(len > 40 ? 40 : len), v, t->task_id);
		return -1;
	}
	size_t bad = utf8_bad_at((const unsigned char *)v, len);
	if (bad < len) {
		snprintf(why, whylen, "%s of task '%s' is not valid UTF-8 text (byte %zu of %zu is 0x%02x)", what,
			 t->task_id, bad + 1, len, (unsigned char)v[bad]);
		return -1;
	}
	return 0;
}

int store_input_check(const record_task *t, const char *value, size_t len, char *why, size_t whylen)
{
	if (!value) {
		if (t->has_input && t->has_input_default)
			return 0;
		if (t->has_input && t->input_required) {
			snprintf(why, whylen, "task '%s' requires an input value: %.*s", t->task_id,
				 (int)(t->input_prompt.len > 200 ? 200 : t->input_prompt.len), t->input_prompt.s);
			return -1;
		}
		return 0;
	}
	if (len > STORE_TEXT_MAX) {
		snprintf(why, whylen, "the input value for task '%s' is %zu bytes: at most %u (64 KiB)", t->task_id, len,
			 STORE_TEXT_MAX);
		return -1;
	}
	if (len == 0 && t->has_input && t->input_required) {
		snprintf(why, whylen, "task '%s' requires an input value and it cannot be empty", t->task_id);
		return -1;
	}
	if (len == 0 && t->has_input && !t->input_required)
		return 0;
	return check_input(t, value, len, false, why, whylen);
}

static bool ts_ok(const char *s, bool empty_ok)
{
	int64_t us;
	if (!s || !*s)
		return empty_ok;
	return record_timestamp_parse(s, &us);
}

/* The audit trail an import restores: its own execution's, in order. */
static int events_check(const store_item *it, char *why, size_t whylen)
{
	const record_exec *e = &it->exec;
	if (it->n_events > STORE_EVENTS_MAX) {
		snprintf(why, whylen, "execution '%s' has %zu events: at most %d", e->id, it->n_events, STORE_EVENTS_MAX);
		return -1;
	}
	int64_t last = INT64_MIN;
	for (size_t i = 0; i < it->n_events; i++) {
		const record_event *ev = &it->events[i];
		int64_t at;
		if (!ev->time || !record_timestamp_parse(ev->time, &at)) {
			snprintf(why, whylen, "execution '%s': event %zu has no RFC 3339 time", e->id, i + 1);
			return -1;
		}
		if (at < last) {
			snprintf(why, whylen, "execution '%s': event %zu is older than the one before it (events go oldest first)",
				 e->id, i + 1);
			return -1;
		}
		last = at;
		if (!ev->action || !*ev->action || strlen(ev->action) > 64 || !ev->actor || strlen(ev->actor) > 256) {
			snprintf(why, whylen, "execution '%s': event %zu needs an action (at most 64 bytes) and an actor "
					      "(at most 256)", e->id, i + 1);
			return -1;
		}
		if (ev->execution_id && strcmp(ev->execution_id, e->id) != 0) {
			snprintf(why, whylen, "execution '%s': event %zu belongs to execution '%s'", e->id, i + 1,
				 ev->execution_id);
			return -1;
		}
		if (ev->task_id && !record_id_valid(ev->task_id)) {
			snprintf(why, whylen, "execution '%s': event %zu: task id must be 1-128 bytes of printable UTF-8",
				 e->id, i + 1);
			return -1;
		}
		if (ev->input_value.len > STORE_TEXT_MAX || ev->reason.len > STORE_TEXT_MAX) {
			snprintf(why, whylen, "execution '%s': event %zu: a text is longer than %u bytes (64 KiB)", e->id,
				 i + 1, STORE_TEXT_MAX);
			return -1;
		}
	}
	return 0;
}

int store_item_check(const store_item *it, char *why, size_t whylen)
{
	const record_exec *e = &it->exec;
	if (!record_id_valid(e->id)) {
		snprintf(why, whylen, "execution id must be 1-128 bytes of printable UTF-8");
		return -1;
	}
	if (!ts_ok(e->start_timestamp, false)) {
		snprintf(why, whylen, "execution '%s': start_timestamp '%s' is not an RFC 3339 time", e->id,
			 e->start_timestamp ? e->start_timestamp : "");
		return -1;
	}
	if (e->end_timestamp && !ts_ok(e->end_timestamp, false)) {
		snprintf(why, whylen, "execution '%s': end_timestamp '%s' is not an RFC 3339 time", e->id,
			 e->end_timestamp);
		return -1;
	}
	if (e->n_task_ids != it->n_tasks) {
		snprintf(why, whylen, "execution '%s': task_ids lists %zu tasks but %zu are given", e->id, e->n_task_ids,
			 it->n_tasks);
		return -1;
	}
	if (it->n_tasks > STORE_TASKS_MAX) {
		snprintf(why, whylen, "execution '%s' has %zu tasks: at most %d", e->id, it->n_tasks, STORE_TASKS_MAX);
		return -1;
	}
	if (e->workflow_name.len > STORE_TEXT_MAX) {
		snprintf(why, whylen, "execution '%s': its workflow name is %zu bytes: at most %u (64 KiB)", e->id,
			 e->workflow_name.len, STORE_TEXT_MAX);
		return -1;
	}
	size_t waiting = 0;
	bool paused_ok = false;
	for (size_t i = 0; i < e->n_task_ids; i++) {
		const char *tid = e->task_ids[i];
		if (!record_id_valid(tid)) {
			snprintf(why, whylen, "execution '%s': task id must be 1-128 bytes of printable UTF-8", e->id);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(e->task_ids[j], tid) == 0) {
				snprintf(why, whylen, "execution '%s': task '%s' is listed twice", e->id, tid);
				return -1;
			}
		const record_task *t = NULL;
		for (size_t j = 0; j < it->n_tasks && !t; j++)
			if (it->tasks[j].task_id && strcmp(it->tasks[j].task_id, tid) == 0)
				t = &it->tasks[j];
		if (!t) {
			snprintf(why, whylen, "execution '%s': task_ids names '%s' but no such task is given", e->id, tid);
			return -1;
		}
		if (!t->execution_id || strcmp(t->execution_id, e->id) != 0) {
			snprintf(why, whylen, "task '%s' belongs to execution '%s', not '%s'", tid,
				 t->execution_id ? t->execution_id : "", e->id);
			return -1;
		}
		const record_text *texts[] = { &t->task_name, &t->input_prompt, &t->input_default, &t->input_value, &t->reason };
		static const char *const names[] = { "name", "prompt", "default", "input value", "reason" };
		for (size_t k = 0; k < 5; k++)
			if (texts[k]->len > STORE_TEXT_MAX) {
				snprintf(why, whylen, "task '%s' of execution '%s': its %s is %zu bytes: at most %u (64 KiB)", tid,
					 e->id, names[k], texts[k]->len, STORE_TEXT_MAX);
				return -1;
			}
		for (size_t k = 0; k < t->n_logs; k++)
			if (t->logs[k].len > STORE_LOG_LINE_MAX) {
				snprintf(why, whylen, "task '%s' of execution '%s': log line %zu is %zu bytes: at most %u (1 MiB)",
					 tid, e->id, k + 1, t->logs[k].len, STORE_LOG_LINE_MAX);
				return -1;
			}
		if (!ts_ok(t->start_timestamp, true) || !ts_ok(t->end_timestamp, true)) {
			snprintf(why, whylen, "task '%s' of execution '%s': a timestamp is not an RFC 3339 time", tid,
				 e->id);
			return -1;
		}
		if (t->has_input && t->has_input_default &&
		    check_input(t, t->input_default.s, t->input_default.len, true, why, whylen) < 0)
			return -1;
		if (t->status == TASK_WAITING) {
			waiting++;
			if (e->paused_task_id && strcmp(e->paused_task_id, tid) == 0)
				paused_ok = true;
		}
	}
	if (store_exec_waiting_check(e, waiting, paused_ok, why, whylen) < 0)
		return -1;
	return events_check(it, why, whylen);
}

/* ---- saving ---- */


/* ---- who may answer ---- */

int store_respondent_check(const char *name)
{
	const char *p = name && name[0] == '@' ? name + 1 : name;
	size_t n = p ? strlen(p) : 0;
	if (n == 0 || n > 64)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		      ch == '_' || ch == '-'))
			return -1;
	}
	return 0;
}

int store_may_answer(const record_exec *e, const record_task *t, const char *user, const char *const *groups,
		     size_t n_groups, bool owner, char *why, size_t whylen)
{
	if (!user || !*user)
		return 0; /* the server itself: its timer */
	if (t->n_respondents) {
		bool named = false;
		for (size_t i = 0; i < t->n_respondents && !named; i++) {
			const char *r = t->respondents[i];
			if (r[0] != '@') {
				named = strcmp(r, user) == 0;
				continue;
			}
			for (size_t g = 0; g < n_groups && !named; g++)
				named = strcmp(r + 1, groups[g]) == 0;
		}
		if (!named) {
			char list[300] = "";
			for (size_t i = 0; i < t->n_respondents; i++) {
				size_t o = strlen(list);
				if (o + strlen(t->respondents[i]) + 6 >= sizeof list) {
					snprintf(list + o, sizeof list - o, ", ...");
					break;
				}
				snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", t->respondents[i]);
			}
			snprintf(why, whylen, "task '%s' of execution '%s' may be answered only by %s: user %s may not",
				 t->task_id, e->id, list, user);
			return -1;
		}
	} else if (!owner) {
		snprintf(why, whylen, "store is read-only for user %s: task '%s' of execution '%s' names no respondents, "
				      "so only the owner of the home may answer it", user, t->task_id, e->id);
		return -1;
	}
	if (t->no_self_approval && e->started_by && strcmp(e->started_by, user) == 0) {
		snprintf(why, whylen, "user %s started execution '%s' and may not answer its own request '%s' "
				      "(no_self_approval)", user, e->id, t->task_id);
		return -1;
	}
	return 0;
}

void store_hook_array_free(store_hook *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].on);
		for (size_t k = 0; k < v[i].argc; k++)
			free(v[i].argv[k]);
		free(v[i].argv);
	}
	free(v);
}
