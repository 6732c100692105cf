/* client_engine.c - the engine's side of the public store API: each call is
 * one request, and each change one compare-and-set transaction in the
 * server (dbs_engine.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_int.h"
#include "err.h"

const char *client_host(void)
{
	static char host[256];
	if (!host[0] && gethostname(host, sizeof host - 1) != 0)
		strcpy(host, "unknown");
	return host;
}

/* The lease is remembered, to be taken up again after a reconnect. */
static void note_attached(store *st, const char *id)
{
	for (size_t i = 0; i < st->n_att; i++)
		if (strcmp(st->att[i], id) == 0)
			return;
	char **v = realloc(st->att, (st->n_att + 1) * sizeof *v);
	if (!v)
		return;
	st->att = v;
	if ((v[st->n_att] = strdup(id)))
		st->n_att++;
}

static store_code task_change(store *st, unsigned op, const char *exec_id, const char *task_id, const char *text,
			      store_err *err)
{
	memset(err, 0, sizeof *err);
	if (client_refuse_op(st, op, task_id != NULL, err))
		return err->code;
	record_buf b = { 0 };
	int rc = client_begin_change(st, &b, op) | wire_str(&b, 0, exec_id) | wire_str(&b, 1, task_id) |
		 wire_str(&b, 2, text);
	return client_request(st, &b, rc, err);
}

store_code store_exec_start(store *st, const store_item *def, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (client_refuse_ro(st, err))
		return err->code;
	if (!def || !def->exec.id)
		return err_set(err, STORE_INVALID_INPUT, "an execution needs an id");
	/* shallow: a record on the wire has a start time; the server sets it anew when empty */
	store_item d = *def;
	if (!d.exec.start_timestamp)
		d.exec.start_timestamp = (char *)"";
	record_buf b = { 0 };
	int rc = client_begin_change(st, &b, OP_EXEC_START) | wire_u(&b, 0, (uint64_t)getpid()) |
		 wire_str(&b, 1, client_host()) | wire_item_encode(&b, &d);
	store_code c = client_request(st, &b, rc, err);
	if (c == STORE_OK)
		note_attached(st, def->exec.id);
	return c;
}

store_code store_task_begin(store *st, const char *exec_id, const char *task_id, store_err *err)
{
	return task_change(st, OP_TASK_BEGIN, exec_id, task_id, NULL, err);
}

store_code store_task_complete(store *st, const char *exec_id, const char *task_id, store_err *err)
{
	return task_change(st, OP_TASK_COMPLETE, exec_id, task_id, NULL, err);
}

store_code store_task_fail(store *st, const char *exec_id, const char *task_id, const char *reason, store_err *err)
{
	return task_change(st, OP_TASK_FAIL, exec_id, task_id, reason ? reason : "", err);
}

store_code store_task_log(store *st, const char *exec_id, const char *task_id, const record_text *lines, size_t n,
			  uint64_t *count, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (count)
		*count = 0;
	if (client_refuse_ro(st, err))
		return err->code;
	if (n > STORE_LOG_BATCH_MAX)
		return err_set(err, STORE_INVALID_INPUT, "%zu log lines in one call: at most %d", n, STORE_LOG_BATCH_MAX);
	record_buf b = { 0 };
	int rc = client_begin_change(st, &b, OP_TASK_LOG) | wire_str(&b, 0, exec_id) | wire_str(&b, 1, task_id);
	for (size_t i = 0; i < n && !rc; i++) {
		if (lines[i].len > STORE_LOG_LINE_MAX) {
			record_buf_free(&b);
			return err_set(err, STORE_INVALID_INPUT, "a log line of task '%s' has %zu bytes: at most %u",
				       task_id, lines[i].len, STORE_LOG_LINE_MAX);
		}
		rc |= wire_blob_add(&b, lines[i].s ? lines[i].s : "", lines[i].s ? lines[i].len : 0);
	}
	store_code c = client_request(st, &b, rc, err);
	if (c == STORE_OK && count)
		*count = st->reply.u[0];
	return c;
}

store_code store_task_request_input(store *st, const char *exec_id, const char *task_id,
				    const store_input_request *rq, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (client_refuse_ro(st, err))
		return err->code;
	record_buf b = { 0 };
	int rc = client_begin_change(st, &b, OP_TASK_REQUEST) | wire_str(&b, 0, exec_id) | wire_str(&b, 1, task_id) |
		 wire_str(&b, 2, rq->prompt ? rq->prompt : "") | wire_u(&b, 0, (uint64_t)rq->type) |
		 wire_u(&b, 1, rq->required) | wire_u(&b, 2, rq->default_value != NULL) | wire_u(&b, 3, rq->timeout_s) |
		 wire_u(&b, 4, (uint64_t)rq->on_timeout);
	if (rq->default_value)
		rc |= wire_blob_add(&b, rq->default_value, rq->default_len);
	return client_request(st, &b, rc, err);
}

store_code store_exec_finish(store *st, const char *exec_id, exec_status status, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (client_refuse_ro(st, err))
		return err->code;
	record_buf b = { 0 };
	int rc = client_begin_change(st, &b, OP_EXEC_FINISH) | wire_str(&b, 0, exec_id) |
		 wire_u(&b, 0, (uint64_t)status);
	store_code c = client_request(st, &b, rc, err);
	if (c == STORE_OK)
		for (size_t i = 0; i < st->n_att; i++)
			if (strcmp(st->att[i], exec_id) == 0) {
				free(st->att[i]);
				st->att[i] = st->att[--st->n_att];
				break;
			}
	return c;
}

store_code store_attach(store *st, const char *exec_id, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (client_refuse_ro(st, err))
		return err->code;
	record_buf b = { 0 };
	int rc = client_begin_change(st, &b, OP_ATTACH) | wire_str(&b, 0, exec_id) | wire_u(&b, 0, (uint64_t)getpid()) |
		 wire_str(&b, 1, client_host());
	store_code c = client_request(st, &b, rc, err);
	if (c == STORE_OK)
		note_attached(st, exec_id);
	return c;
}

store_code store_events_after(store *st, const char *exec_id, uint64_t after, size_t limit, record_event **out,
			      size_t *n, store_err *err)
{
	*out = NULL;
	*n = 0;
	record_buf b = { 0 };
	store_code c = client_request(st, &b,
				      wire_begin(&b, OP_EVENTS_AFTER) | wire_str(&b, 0, exec_id) | wire_u(&b, 0, after) |
					      wire_u(&b, 1, limit),
				      err);
	return c ? c : client_decode_events(st, out, n, err);
}

store_code store_task_logs(store *st, const char *exec_id, const char *task_id, uint64_t from, size_t limit,
			   record_text **out, size_t *n, uint64_t *total, store_err *err)
{
	*out = NULL;
	*n = 0;
	*total = 0;
	record_buf b = { 0 };
	store_code c = client_request(st, &b,
				      wire_begin(&b, OP_TASK_LOGS) | wire_str(&b, 0, exec_id) | wire_str(&b, 1, task_id) |
					      wire_u(&b, 0, from) | wire_u(&b, 1, limit),
				      err);
	if (c)
		return c;
	*total = st->reply.u[0];
	if (st->reply.n_blobs == 0)
		return STORE_OK;
	record_text *v = calloc(st->reply.n_blobs, sizeof *v);
	if (!v)
		return client_oom(err);
	for (size_t i = 0; i < st->reply.n_blobs; i++)
		if (record_text_set(&v[i], (const char *)st->reply.blobs[i].p, st->reply.blobs[i].len) < 0) {
			for (size_t k = 0; k < i; k++)
				record_text_free(&v[k]);
			free(v);
			return client_oom(err);
		}
	*out = v;
	*n = st->reply.n_blobs;
	return STORE_OK;
}

store_code store_task_reject(store *st, const char *exec_id, const char *task_id, const char *reason, store_err *err)
{
	return task_change(st, OP_REJECT, exec_id, task_id, reason ? reason : "", err);
}

store_code store_exec_cancel(store *st, const char *exec_id, const char *reason, store_err *err)
{
	return task_change(st, OP_CANCEL, exec_id, NULL, reason ? reason : "", err);
}

store_code store_task_deadline(store *st, const char *exec_id, const char *task_id, uint64_t seconds,
			       record_on_timeout policy, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (client_refuse_ro(st, err))
		return err->code;
	record_buf b = { 0 };
	int rc = client_begin_change(st, &b, OP_DEADLINE) | wire_str(&b, 0, exec_id) | wire_str(&b, 1, task_id) |
		 wire_u(&b, 0, seconds) | wire_u(&b, 1, (uint64_t)policy);
	return client_request(st, &b, rc, err);
}

store_code store_task_respondents(store *st, const char *exec_id, const char *task_id, const char *const *names,
				  size_t n, bool no_self_approval, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (client_refuse_ro(st, err))
		return err->code;
	if (n > STORE_RESPONDENTS_MAX)
		return err_set(err, STORE_INVALID_INPUT, "at most %d respondents", STORE_RESPONDENTS_MAX);
	record_buf b = { 0 };
	int rc = client_begin_change(st, &b, OP_RESPONDENTS) | wire_str(&b, 0, exec_id) | wire_str(&b, 1, task_id) |
		 wire_u(&b, 0, no_self_approval);
	for (size_t i = 0; i < n && !rc; i++)
		rc = wire_blob_add(&b, names[i], strlen(names[i]));
	return client_request(st, &b, rc, err);
}
