/* bulk.c - seectl's bulk actions (bulk.h). */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "cmd.h"
#include "datafile.h"
#include "text.h"

typedef struct pick {
	record_exec *v;
	size_t n, cap;
} pick;

/* Whether `needle` occurs in the name, ASCII letters in either case (as
 * less -i and k9s's filter match): "release train" finds "Weekly release
 * train". */
static bool name_matches(const record_text *name, const char *needle)
{
	size_t n = strlen(needle);
	if (n > name->len)
		return false;
	for (size_t i = 0; i + n <= name->len; i++) {
		size_t k = 0;
		while (k < n && tolower((unsigned char)name->s[i + k]) == tolower((unsigned char)needle[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

static bool selected(const record_exec *e, const bulk_opts *o)
{
	if (o->workflow && !name_matches(&e->workflow_name, o->workflow))
		return false;
	if (o->older_than_s) {
		long long until = text_until(e->start_timestamp);
		if (until == LLONG_MIN || -until < (long long)o->older_than_s)
			return false;
	}
	return true;
}

/* Takes over the records of v that the selectors keep. */
static int pick_add(pick *p, record_exec *v, size_t n, const bulk_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		if (!selected(&v[i], o)) {
			record_exec_free(&v[i]);
			continue;
		}
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 256;
			record_exec *nv = realloc(p->v, cap * sizeof *nv);
			if (!nv) {
				for (; i < n; i++)
					record_exec_free(&v[i]);
				free(v);
				return -1;
			}
			p->v = nv;
			p->cap = cap;
		}
		p->v[p->n++] = v[i];
	}
	free(v);
	return 0;
}

static store_code select_execs(store *st, const bulk_op *op, const bulk_opts *o, pick *p, store_err *err)
{
	record_exec *v;
	size_t n;
	store_code c = store_paused(st, &v, &n, err);
	if (c)
		return c;
	if (pick_add(p, v, n, o) < 0)
		return err->code = STORE_STORAGE;
	if (!op->running_too)
		return STORE_OK;
	store_cursor cur = { .len = 0 };
	while (!cur.done) {
		if ((c = store_list(st, EXEC_RUNNING, &cur, 1000, &v, &n, err)))
			return c;
		if (pick_add(p, v, n, o) < 0)
			return err->code = STORE_STORAGE;
		if (n == 0)
			break;
	}
	return STORE_OK;
}

/* Why a resume of the whole execution would be refused: its waiting tasks
 * that need an answer and have none (into why; false when there are none). */
static bool needs_answer(store *st, const char *id, char *why, size_t cap)
{
	store_item it;
	store_err err;
	why[0] = '\0';
	if (store_get_item(st, id, &it, &err))
		return false; /* the resume itself says what is wrong */
	size_t n = 0;
	for (size_t i = 0; i < it.n_tasks; i++) {
		const record_task *t = &it.tasks[i];
		if (store_task_needs_answer(t)) {
			size_t o = strlen(why);
			snprintf(why + o, cap - o, "%s'%s'", n++ ? ", " : "task ", t->task_id);
		}
	}
	store_item_free(&it);
	if (n) {
		size_t o = strlen(why);
		snprintf(why + o, cap - o, " require%s an answer: resume %s with a value", n == 1 ? "s" : "",
			 n == 1 ? "it" : "each");
	}
	return n > 0;
}

/* After the count: which workflow names --workflow matched, and how many
 * executions of each (the first few), so a loose match shows what it took. */
static void print_matches(const pick *p, const char *needle)
{
	enum { SHOWN = 5 };
	fputs(" (--workflow '", stderr);
	text_escape_fputs(stderr, needle, strlen(needle));
	fputs("' matches ", stderr);
	if (p->n == 0) {
		fputs("no workflow)", stderr);
		return;
	}
	size_t names = 0;
	for (size_t i = 0; i < p->n; i++) {
		const record_text *w = &p->v[i].workflow_name;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = p->v[j].workflow_name.len == w->len && memcmp(p->v[j].workflow_name.s, w->s, w->len) == 0;
		if (seen)
			continue;
		if (names++ >= SHOWN)
			continue;
		size_t count = 0;
		for (size_t j = i; j < p->n; j++)
			count += p->v[j].workflow_name.len == w->len && memcmp(p->v[j].workflow_name.s, w->s, w->len) == 0;
		fputs(names > 1 ? ", '" : "'", stderr);
		text_escape_fputs(stderr, w->s, w->len);
		fprintf(stderr, "' %zu", count);
	}
	if (names > SHOWN)
		fprintf(stderr, " and %zu more name%s", names - SHOWN, names - SHOWN == 1 ? "" : "s");
	fputc(')', stderr);
}

static void report(const bulk_opts *o, const bulk_op *op, const char *id, const char *result, const char *msg)
{
	if (o->json) {
		fputs("{\"execution\":", stdout);
		text_json_fputs(stdout, id, strlen(id));
		printf(",\"action\":\"%s\",\"result\":\"%s\",\"message\":", op->verb, result);
		if (msg)
			text_json_fputs(stdout, msg, strlen(msg));
		else
			fputs("null", stdout);
		fputs("}\n", stdout);
		return;
	}
	char esc[600];
	text_escape(esc, sizeof esc, id, strlen(id));
	if (strcmp(result, "done") == 0)
		printf("%s %s\n", op->done, esc);
	else if (strcmp(result, "would") == 0)
		printf("would %s %s\n", op->verb, esc);
	else
		printf("%s %s: %s\n", result, esc, msg ? msg : "");
}

int bulk_run(store *st, const bulk_op *op, const bulk_opts *o)
{
	pick p = { 0 };
	store_err err;
	memset(&err, 0, sizeof err);
	if (select_execs(st, op, o, &p, &err)) {
		record_exec_array_free(p.v, p.n);
		return cmd_fail(cmd_exit_code(err.code ? err.code : STORE_STORAGE), "%s",
				err.msg[0] ? err.msg : "out of memory");
	}
	/* the pre-flight: how many, and which will be skipped */
	char (*why)[400] = p.n ? calloc(p.n, sizeof *why) : NULL;
	size_t skip = 0;
	if (p.n && !why) {
		record_exec_array_free(p.v, p.n);
		return cmd_fail(EXIT_STORAGE, "out of memory");
	}
	for (size_t i = 0; op->answers && i < p.n; i++)
		skip += needs_answer(st, p.v[i].id, why[i], sizeof why[i]);
	fprintf(stderr, "seectl: %s %zu execution%s", op->verb, p.n, p.n == 1 ? "" : "s");
	if (o->workflow)
		print_matches(&p, o->workflow);
	if (skip)
		fprintf(stderr, "; %zu wait%s for a required answer and will be skipped", skip, skip == 1 ? "s" : "");
	fprintf(stderr, "%s\n", o->dry_run ? " (dry run: nothing changes)" : "");
	size_t done = 0, refused = 0;
	int rc = EXIT_DONE;
	for (size_t i = 0; i < p.n; i++) {
		const char *id = p.v[i].id;
		if (why[i][0]) {
			report(o, op, id, "skipped", why[i]);
			continue;
		}
		if (o->dry_run) {
			report(o, op, id, "would", NULL);
			continue;
		}
		store_code c = op->apply(st, id, o->reason, &err);
		if (c == STORE_OK) {
			done++;
			report(o, op, id, "done", NULL);
		} else {
			refused++;
			report(o, op, id, "refused", err.msg);
			if (c == STORE_STORAGE || c == STORE_READ_ONLY) {
				rc = cmd_exit_code(c); /* the store cannot go on: stop here */
				break;
			}
		}
		fflush(stdout);
	}
	if (!o->dry_run)
		fprintf(stderr, "seectl: %s: %zu done, %zu skipped, %zu refused\n", op->verb, done, skip, refused);
	free(why);
	record_exec_array_free(p.v, p.n);
	if (rc == EXIT_DONE && (refused || skip))
		rc = EXIT_REFUSED;
	return rc;
}
