/* client_engine.c - the engine's side of the public store API: each call is
 * one request, and each change one compare-and-set transaction in the
 * server (dbs_engine.c).  An engine attached through a replica of a
 * replication group goes on across a failover: a change the replica could
 * not have a master make (WIRE_RETRY: no master while the group elects one,
 * or the master did not answer) is sent again, the same frame under the
 * same request id, so that it is made once, for up to ENGINE_RETRY_MS. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_int.h"
#include "err.h"
#include "tag.h"

#define ENGINE_RETRY_MS 60000 /* an engine's change waits this long for a group to elect a master */
#define ENGINE_RETRY_NAP_MS 200

/* client_call for an engine's change: sent again while the answer says so
 * (WIRE_RETRY), the same frame each time. */
static store_code engine_call(store *st, unsigned op, const ops_val *in, size_t n, store_err *err)
{
	record_buf b = { 0 };
	store_code c = client_build(st, &b, op, in, n, err);
	int64_t until = client_now_ms() + ENGINE_RETRY_MS;
	while (c == STORE_OK) {
		record_buf one = { 0 };
		if (tag_put_raw(&one, b.data, b.len) < 0) {
			c = client_oom(err);
			break;
		}
		c = client_request(st, &one, 0, err);
		if (c == STORE_OK || !(st->reply.flags & WIRE_RETRY) || client_now_ms() > until)
			break;
		client_nap_ms(ENGINE_RETRY_NAP_MS);
		c = STORE_OK;
	}
	record_buf_free(&b);
	return c;
}

/* CALL for an engine's change. */
#define ECALL(st, op, err, ...) \
	engine_call(st, op, (const ops_val[]){ __VA_ARGS__ }, sizeof((const ops_val[]){ __VA_ARGS__ }) / sizeof(ops_val), \
		    err)

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
	record_buf item = { 0 };
	if (wire_item_body(&item, &d) < 0) {
		record_buf_free(&item);
		return client_oom(err);
	}
	const wire_blob blob = { item.data, item.len };
	store_code c = ECALL(st, OP_EXEC_START, err, NUM(getpid()), TEXT(client_host()), BLOBS_OF(&blob, 1));
	record_buf_free(&item);
	if (c == STORE_OK)
		note_attached(st, def->exec.id);
	return c;
}

store_code store_task_begin(store *st, const char *exec_id, const char *task_id, store_err *err)
{
	return ECALL(st, OP_TASK_BEGIN, err, TEXT(exec_id), TEXT(task_id));
}

store_code store_task_complete(store *st, const char *exec_id, const char *task_id, store_err *err)
{
	return ECALL(st, OP_TASK_COMPLETE, err, TEXT(exec_id), TEXT(task_id));
}

store_code store_task_fail(store *st, const char *exec_id, const char *task_id, const char *reason, store_err *err)
{
	return ECALL(st, OP_TASK_FAIL, err, TEXT(exec_id), TEXT(task_id), TEXT(reason ? reason : ""));
}

store_code store_task_log(store *st, const char *exec_id, const char *task_id, const record_text *lines, size_t n,
			  uint64_t *count, store_err *err)
{
	if (count)
		*count = 0;
	wire_blob *v = malloc((n ? n : 1) * sizeof *v);
	if (!v) {
		memset(err, 0, sizeof *err);
		return client_oom(err);
	}
	for (size_t i = 0; i < n; i++) {
		v[i].p = (const unsigned char *)(lines[i].s ? lines[i].s : "");
		v[i].len = lines[i].s ? lines[i].len : 0;
	}
	store_code c = ECALL(st, OP_TASK_LOG, err, TEXT(exec_id), TEXT(task_id), BLOBS_OF(v, n));
	free(v);
	if (c == STORE_OK && count)
		*count = st->reply.u[0];
	return c;
}

store_code store_task_request_input(store *st, const char *exec_id, const char *task_id,
				    const store_input_request *rq, store_err *err)
{
	const wire_blob def = { (const unsigned char *)rq->default_value, rq->default_len };
	return ECALL(st, OP_TASK_REQUEST, err, TEXT(exec_id), TEXT(task_id), TEXT(rq->prompt ? rq->prompt : ""),
		    NUM(rq->type), NUM(rq->required), NUM(rq->default_value != NULL),
		    BLOBS_OF(&def, rq->default_value != NULL), NUM(rq->timeout_s), NUM(rq->on_timeout));
}

store_code store_exec_finish(store *st, const char *exec_id, exec_status status, store_err *err)
{
	store_code c = ECALL(st, OP_EXEC_FINISH, err, TEXT(exec_id), NUM(status));
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
	store_code c = ECALL(st, OP_ATTACH, err, TEXT(exec_id), NUM(getpid()), TEXT(client_host()));
	if (c == STORE_OK)
		note_attached(st, exec_id);
	return c;
}

store_code store_events_after(store *st, const char *exec_id, uint64_t after, size_t limit, record_event **out,
			      size_t *n, store_err *err)
{
	*out = NULL;
	*n = 0;
	store_code c = CALL(st, OP_EVENTS_AFTER, err, TEXT(exec_id), NUM(after), NUM(limit));
	return c ? c : client_decode_events(st, out, n, err);
}

store_code store_task_logs(store *st, const char *exec_id, const char *task_id, uint64_t from, size_t limit,
			   record_text **out, size_t *n, uint64_t *total, store_err *err)
{
	*out = NULL;
	*n = 0;
	*total = 0;
	store_code c = CALL(st, OP_TASK_LOGS, err, TEXT(exec_id), TEXT(task_id), NUM(from), NUM(limit));
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
	return CALL(st, OP_REJECT, err, TEXT(exec_id), TEXT(task_id), TEXT(reason ? reason : ""));
}

store_code store_exec_cancel(store *st, const char *exec_id, const char *reason, store_err *err)
{
	return CALL(st, OP_CANCEL, err, TEXT(exec_id), TEXT(reason ? reason : ""));
}

store_code store_task_deadline(store *st, const char *exec_id, const char *task_id, uint64_t seconds,
			       record_on_timeout policy, store_err *err)
{
	return CALL(st, OP_DEADLINE, err, TEXT(exec_id), TEXT(task_id), NUM(seconds), NUM(policy));
}

store_code store_task_respondents(store *st, const char *exec_id, const char *task_id, const char *const *names,
				  size_t n, bool no_self_approval, store_err *err)
{
	return CALL(st, OP_RESPONDENTS, err, TEXT(exec_id), TEXT(task_id), NUM(no_self_approval), STRINGS(names, n));
}
