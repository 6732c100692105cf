/* client.c - the public store API: each call is a request to the home's
 * store server, which the first client starts (see server.c).
 *
 * A change carries a request id chosen here.  When the connection drops
 * before the answer (the server was killed, say), the client reconnects,
 * starting a server if need be, and sends the same request again: the server
 * recognises an id it already committed and answers as it did the first
 * time.  So a change is made exactly once, and acknowledged only once it is
 * on disk. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"
#include "ops.h"
#include "record_int.h"
#include "server.h"
#include "tag.h"
#include "err.h"
#include "wire.h"
#include "client_int.h"

#define CONNECT_MS 30000         /* to reach (or start) a server */
#define IMPORT_FRAME (16u << 20) /* items per import frame, in bytes */
#define MAX_RESENDS 50
#define MAX_RESTARTS 5           /* of a request of several frames, from its first */

int64_t client_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void client_nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- reaching the server ---- */

static void disconnect(store *st)
{
	client_close_fd(st->fd);
	st->fd = -1;
}

store_code client_send_all(int fd, const void *p, size_t n, int64_t deadline)
{
	const unsigned char *b = p;
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int64_t left = deadline - client_now_ms();
			if (left <= 0)
				return STORE_STORAGE;
			struct pollfd pf = { fd, POLLOUT, 0 };
			poll(&pf, 1, left > 1000 ? 1000 : (int)left);
			continue;
		}
		return STORE_STORAGE;
	}
	return STORE_OK;
}

/* Reads one frame's payload into buf; 0, -1 when the connection broke, -2
 * when the deadline passed, -3 when the frame is malformed. */
int client_recv_frame(int fd, record_buf *buf, int64_t deadline)
{
	unsigned char hdr[4];
	size_t got = 0, need = 4;
	unsigned char *dst = hdr;
	bool in_body = false;
	for (;;) {
		while (got < need) {
			int64_t left = deadline - client_now_ms();
			if (left <= 0)
				return -2;
			struct pollfd pf = { fd, POLLIN, 0 };
			int r = poll(&pf, 1, left > 1000 ? 1000 : (int)left);
			if (r < 0 && errno != EINTR)
				return -1;
			if (r <= 0)
				continue;
			ssize_t n = recv(fd, dst + got, need - got, MSG_DONTWAIT);
			if (n > 0)
				got += (size_t)n;
			else if (n == 0 || (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK))
				return -1;
		}
		if (in_body)
			return 0;
		size_t len;
		if (!wire_frame_len(hdr, &len))
			return -3;
		buf->len = 0;
		if (tag_reserve(buf, len) < 0)
			return -3;
		buf->len = len;
		dst = buf->data;
		got = 0;
		need = len;
		in_body = true;
	}
}

/* *answered: the server answered (an error it gives is final); else the
 * connection broke before its answer, or the server is making way for a
 * newer one (*again: connect again). */
store_code client_hello(store *st, int fd, bool *answered, bool *again, store_err *err)
{
	*answered = *again = false;
	record_buf b = { 0 };
	st->revision = wire_revision();
	const ops_val in[] = { NUM(st->flags & STORE_OPEN_READ_ONLY ? WIRE_READ_ONLY : 0), NUM(st->revision) };
	int rc = wire_begin(&b, OP_HELLO) | ops_encode(&b, OP_HELLO, in, 2) | wire_finish(&b);
	int64_t deadline = client_now_ms() + st->timeout_ms;
	if (rc) {
		record_buf_free(&b);
		return err_set(err, STORE_STORAGE, "out of memory");
	}
	/* a server that refuses the connection (too many clients) has sent
	 * why and closed: the send may fail, the answer is still there */
	(void)client_send_all(fd, b.data, b.len, deadline);
	record_buf_free(&b);
	int r = client_recv_frame(fd, &st->in, deadline);
	if (r == -2) {
		err_set(err, STORE_STORAGE, "the store server of '%s' does not answer (is it stopped?)", st->home);
		err->db_ret = ETIMEDOUT;
		return STORE_STORAGE;
	}
	if (r < 0)
		return err_set(err, STORE_STORAGE, "the store server of '%s' closed the connection", st->home);
	wire_msg m;
	char why[128];
	if (wire_decode(st->in.data, st->in.len, &m, why, sizeof why) < 0)
		return err_set(err, STORE_STORAGE, "the store server of '%s' answered garbage: %s", st->home, why);
	store_code c = (store_code)m.code;
	*answered = true;
	if (c == STORE_OK && m.u[2]) {
		*answered = false; /* it exits: the next connection starts this build's server */
		*again = true;
		c = err_set(err, STORE_STORAGE, "the store server of '%s' is making way for a newer one", st->home);
	} else if (c != STORE_OK) {
		err_set(err, c, "%.*s", (int)(m.s[0].len > 1000 ? 1000 : m.s[0].len), (const char *)m.s[0].p);
		err->db_ret = (int)m.u[0];
	} else {
		st->read_only = (m.u[0] & WIRE_READ_ONLY) != 0;
		st->server_pid = (long)m.u[1];
	}
	wire_msg_free(&m);
	return c;
}

/* A new connection takes up the leases of the old one: the executions this
 * engine attached to.  0, or -1 when the connection broke. */
static int reattach(store *st, int fd)
{
	for (size_t i = 0; i < st->n_att; i++) {
		record_buf b = { 0 };
		int64_t deadline = client_now_ms() + st->timeout_ms;
		store_err err;
		const ops_val in[] = { TEXT(st->att[i]), NUM(getpid()), TEXT(client_host()) };
		int rc = client_build(st, &b, OP_ATTACH, in, 3, &err) ? -1 : 0;
		if (rc == 0 && client_send_all(fd, b.data, b.len, deadline) != STORE_OK)
			rc = -1;
		record_buf_free(&b);
		if (rc == 0 && client_recv_frame(fd, &st->in, deadline) != 0)
			rc = -1;
		if (rc)
			return -1;
		/* a refusal (the execution ended meanwhile) ends that lease */
	}
	return 0;
}

/* A connection to the server of the home, started if need be. */
static store_code open_conn(store *st, int *out, store_err *err)
{
	int budget = st->timeout_ms < CONNECT_MS ? st->timeout_ms : CONNECT_MS;
	int64_t deadline = client_now_ms() + budget;
	int64_t last_spawn = 0;
	if (client_home_is_remote(st->home)) {
		int fd;
		store_code c = client_remote_open(st, &fd, err);
		if (c == STORE_OK && out == &st->fd && reattach(st, fd) != 0) {
			client_close_fd(fd);
			return err_set(err, STORE_STORAGE, "lost the connection to '%s' as it was made", st->home);
		}
		if (c == STORE_OK)
			*out = fd;
		return c;
	}
	struct stat sb;
	if (stat(st->home, &sb) != 0)
		return err_set(err, STORE_NOT_FOUND, "no store in '%s': %s", st->home, strerror(errno));
	bool may_start = sb.st_uid == geteuid();
	int last_errno = 0;
	for (int attempt = 0;; attempt++) {
		int fd = client_connect(st->home);
		if (fd < 0)
			last_errno = errno;
		if (fd >= 0) {
			bool answered, again;
			store_code c = client_hello(st, fd, &answered, &again, err);
			if (c == STORE_OK && (out != &st->fd || reattach(st, fd) == 0)) {
				*out = fd;
				return STORE_OK;
			}
			close(fd);
			if (answered || client_now_ms() > deadline)
				return c;
			/* a server that went away as we connected: start again */
		} else if (errno == EACCES || errno == EPERM) {
			return err_set(err, STORE_STORAGE,
				    "cannot connect to the store server of '%s': %s (only its owner and members of "
				    "its group may)", st->home, strerror(errno));
		} else if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN) {
			return err_set(err, STORE_STORAGE, "cannot connect to the store server of '%s': %s", st->home,
				    strerror(errno));
		}
		if (client_now_ms() > deadline && last_errno == EAGAIN) {
			/* its queue of connections is full: it is there, and does not accept */
			err_set(err, STORE_STORAGE, "the store server of '%s' does not answer (is it stopped?)", st->home);
			err->db_ret = ETIMEDOUT;
			return STORE_STORAGE;
		}
		if (client_now_ms() > deadline)
			return err_set(err, STORE_STORAGE, "the store server of '%s' did not start within %.1f s (%s): see %s/%s",
				    st->home, budget / 1000.0, last_errno ? strerror(last_errno) : "no answer", st->home,
				    SERVER_LOG);
		bool queue_full = fd < 0 && last_errno == EAGAIN; /* it runs: wait for it, start none */
		if (fd < 0 && !queue_full &&
		    (st->start == STORE_START_NEVER ||
		     (st->start == STORE_START_UNLESS_STOPPED && store_server_stopped(st->home))))
			return err_set(err, STORE_STORAGE, "the store server of '%s' is stopped", st->home);
		if (fd < 0 && !queue_full && !may_start)
			return err_set(err, STORE_STORAGE,
				    "the store server of '%s' is not running, and only the owner of the home (uid %ld) "
				    "may start it", st->home, (long)sb.st_uid);
		if (fd < 0 && !queue_full && client_now_ms() - last_spawn > 500) {
			client_spawn_server(st->home);
			last_spawn = client_now_ms();
		}
		client_nap_ms(attempt < 10 ? 2 + attempt * 2 : 25);
	}
}

static store_code ensure_conn(store *st, store_err *err)
{
	if (st->fd >= 0)
		return STORE_OK;
	return open_conn(st, &st->fd, err);
}

/* Sends one request frame and reads its answer into st->reply; resends the
 * same frame on a new connection when the old one broke. */
static store_code call(store *st, const record_buf *req, int timeout_ms, store_err *err)
{
	memset(err, 0, sizeof *err);
	wire_msg_free(&st->reply);
	memset(&st->reply, 0, sizeof st->reply);
	int64_t deadline = client_now_ms() + timeout_ms;
	for (int attempt = 0;; attempt++) {
		store_code c = ensure_conn(st, err);
		if (c)
			return c;
		if (client_send_all(st->fd, req->data, req->len, deadline) == STORE_OK) {
			int r = client_recv_frame(st->fd, &st->in, deadline);
			if (r == 0)
				break;
			if (r == -2) {
				disconnect(st);
				err_set(err, STORE_STORAGE,
					"the store server of '%s' (pid %ld) did not answer within %.1f s: is it stopped?",
					st->home, st->server_pid, timeout_ms / 1000.0);
				err->db_ret = ETIMEDOUT; /* a caller may wait before it asks again */
				return STORE_STORAGE;
			}
			if (r == -3) {
				disconnect(st);
				return err_set(err, STORE_STORAGE, "the store server of '%s' sent a malformed answer",
					    st->home);
			}
		}
		disconnect(st);
		if (attempt >= MAX_RESENDS || client_now_ms() > deadline)
			return err_set(err, STORE_STORAGE, "lost the connection to the store server of '%s' %d times",
				    st->home, attempt + 1);
	}
	char why[128];
	if (wire_decode(st->in.data, st->in.len, &st->reply, why, sizeof why) < 0 || st->reply.op != OP_REPLY) {
		disconnect(st);
		return err_set(err, STORE_STORAGE, "the store server of '%s' sent a malformed answer", st->home);
	}
	store_code c = (store_code)st->reply.code;
	if (c != STORE_OK) {
		err_set(err, c, "%.*s", (int)(st->reply.s[0].len > 1000 ? 1000 : st->reply.s[0].len),
		     (const char *)st->reply.s[0].p);
		err->db_ret = (int)st->reply.u[0];
	} else if (st->reply.has_s[3]) {
		snprintf(err->msg, sizeof err->msg, "%.*s", (int)(st->reply.s[3].len > 1000 ? 1000 : st->reply.s[3].len),
			 (const char *)st->reply.s[3].p);
	}
	return c;
}

/* ---- building requests ---- */

#define REQ_ID_LEN 24

/* A new request id: the time (so the server can forget old ids), then 16
 * random bytes. */
static void request_id_new(unsigned char id[REQ_ID_LEN])
{
	key_u64(id, (uint64_t)time(NULL));
	if (getrandom(id + 8, REQ_ID_LEN - 8, 0) != REQ_ID_LEN - 8)
		for (int i = 8; i < REQ_ID_LEN; i++)
			id[i] = (unsigned char)rand();
}

/* The head of a change's frame: its operation, id, flags and actor. */
static int begin_change_id(store *st, record_buf *b, unsigned op, const unsigned char id[REQ_ID_LEN])
{
	return wire_begin(b, op) | wire_req(b, id, REQ_ID_LEN) |
	       wire_flags(b, st->flags & STORE_OPEN_NO_SYNC ? WIRE_NO_SYNC : 0) | wire_str(b, 3, st->actor);
}

int client_begin_change(store *st, record_buf *b, unsigned op)
{
	unsigned char id[REQ_ID_LEN];
	request_id_new(id);
	return begin_change_id(st, b, op, id);
}

store_code client_oom(store_err *err)
{
	return err_set(err, STORE_STORAGE, "out of memory");
}

store_code client_build(store *st, record_buf *b, unsigned op, const ops_val *in, size_t n, store_err *err)
{
	memset(err, 0, sizeof *err);
	int rc = (ops_is_change(op) ? client_begin_change(st, b, op) : wire_begin(b, op)) | ops_encode(b, op, in, n);
	if (rc || wire_finish(b) < 0) {
		record_buf_free(b);
		return rc ? client_oom(err) : err_set(err, STORE_INVALID_INPUT, "request larger than %u MB", WIRE_FRAME_MAX >> 20);
	}
	/* the checks of the server's side, on the frame as it will travel */
	wire_msg m;
	char why[200] = "";
	store_code c = STORE_OK;
	if (wire_decode(b->data + 4, b->len - 4, &m, why, sizeof why) < 0)
		c = err_set(err, STORE_STORAGE, "a request that does not decode: %s", why);
	else if (client_refuse_op(st, op, m.has_s[1], err))
		c = err->code;
	else if (ops_check(&m, why, sizeof why) < 0)
		c = err_set(err, STORE_INVALID_INPUT, "%s", why);
	wire_msg_free(&m);
	if (c)
		record_buf_free(b);
	return c;
}

store_code client_call(store *st, unsigned op, const ops_val *in, size_t n, store_err *err)
{
	record_buf b = { 0 };
	store_code c = client_build(st, &b, op, in, n, err);
	return c ? c : client_request(st, &b, 0, err);
}

/* Sends the request built in b (rc: how building it went), and frees it. */
store_code client_request(store *st, record_buf *b, int rc, store_err *err)
{
	if (rc || wire_finish(b) < 0) {
		record_buf_free(b);
		return rc ? client_oom(err) : err_set(err, STORE_INVALID_INPUT, "request larger than %u MB", WIRE_FRAME_MAX >> 20);
	}
	store_code c = call(st, b, st->timeout_ms, err);
	record_buf_free(b);
	return c;
}

store_code client_refuse_ro(store *st, store_err *err)
{
	if (!st->read_only)
		return STORE_OK;
	if (st->flags & STORE_OPEN_READ_ONLY)
		return err_set(err, STORE_READ_ONLY, "store is open read-only");
	return err_set(err, STORE_READ_ONLY, "store is read-only for this user: only the owner of '%s' may change it",
		    st->home);
}

store_code client_refuse_op(store *st, unsigned op, bool names_task, store_err *err)
{
	/* an answer from one who may only read goes to the server, which
	 * checks whether the task names them */
	if (ops_is_answer(op, names_task))
		return client_refuse_ro_asked(st, err);
	return ops_is_change(op) ? client_refuse_ro(st, err) : STORE_OK;
}

store_code client_refuse_ro_asked(store *st, store_err *err)
{
	if (st->read_only && (st->flags & STORE_OPEN_READ_ONLY))
		return err_set(err, STORE_READ_ONLY, "store is open read-only");
	return STORE_OK;
}

/* ---- opening ---- */

store_code store_open(const char *home, unsigned flags, store **out, store_err *err)
{
	*out = NULL;
	memset(err, 0, sizeof *err);
	if (!home || !*home)
		return err_set(err, STORE_INVALID_INPUT, "no home directory given");
	if (strlen(home) >= PATH_MAX - 64)
		return err_set(err, STORE_INVALID_INPUT, "home path too long");
	char abs[PATH_MAX];
	if (client_home_is_remote(home)) {
		client_remote r;
		store_code c = client_remote_parse(home, &r, err);
		if (c)
			return c;
		snprintf(abs, sizeof abs, "%s", home); /* the host's proxy finds the home there */
	} else if ((flags & STORE_OPEN_READ_ONLY) || !(flags & STORE_OPEN_CREATE)) {
		struct stat sb;
		char meta[PATH_MAX + 32];
		if (stat(home, &sb) != 0)
			return err_set(err, STORE_NOT_FOUND, "no store in '%s' (%s)", home, strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			return err_set(err, STORE_STORAGE, "home '%s' is not a directory", home);
		snprintf(meta, sizeof meta, "%s/meta.db", home);
		if (access(meta, F_OK) != 0 && errno != ENOENT)
			return err_set(err, STORE_STORAGE, "cannot use home '%s': %s", home, strerror(errno));
		if (!client_has_store(home))
			return err_set(err, STORE_NOT_FOUND, "no store in '%s' (the directory holds none)", home);
	} else {
		store_code c = client_make_home(home, err);
		if (c)
			return c;
	}
	if (!client_home_is_remote(home) && !realpath(home, abs))
		return err_set(err, STORE_STORAGE, "cannot use home '%s': %s", home, strerror(errno));
	store *st = calloc(1, sizeof *st);
	if (!st || !(st->home = record_strdup(abs))) {
		free(st);
		return client_oom(err);
	}
	st->flags = flags;
	st->fd = st->watch_fd = -1;
	st->read_only = (flags & STORE_OPEN_READ_ONLY) != 0;
	snprintf(st->actor, sizeof st->actor, "unknown");
	const char *t = getenv("SEESTORE_TIMEOUT_MS");
	st->timeout_ms = t ? atoi(t) : CLIENT_TIMEOUT_MS_DEFAULT;
	if (st->timeout_ms < 100 || st->timeout_ms > 3600000)
		st->timeout_ms = CLIENT_TIMEOUT_MS_DEFAULT;
	store_code c = ensure_conn(st, err);
	if (c) {
		store_close(st);
		return c;
	}
	*out = st;
	return STORE_OK;
}

static void push_rows_free(store *st);

void store_close(store *st)
{
	if (!st)
		return;
	disconnect(st);
	if (st->watch_fd >= 0)
		client_close_fd(st->watch_fd);
	wire_msg_free(&st->reply);
	record_buf_free(&st->in);
	record_buf_free(&st->watch_in);
	push_rows_free(st);
	for (size_t i = 0; i < st->n_att; i++)
		free(st->att[i]);
	free(st->att);
	free(st->home);
	free(st);
}

bool store_is_read_only(const store *st)
{
	return st->read_only;
}

const char *store_home(const store *st)
{
	return st->home;
}

void store_set_actor(store *st, const char *actor)
{
	snprintf(st->actor, sizeof st->actor, "%s", actor && *actor ? actor : "unknown");
}

void store_set_autostart(store *st, store_autostart how)
{
	st->start = how;
}

void store_set_timeout(store *st, int ms)
{
	st->timeout_ms = ms < 100 ? 100 : ms;
}

/* ---- reads ---- */

store_code store_generation(store *st, uint64_t *gen, store_err *err)
{
	store_code c = CALL(st, OP_GENERATION, err, NOTHING);
	*gen = c ? 0 : st->reply.u[0];
	return c;
}

store_code store_counts(store *st, uint64_t counts[EXEC_STATUS_COUNT], uint64_t *gen, store_err *err)
{
	store_code c = CALL(st, OP_COUNTS, err, NOTHING);
	for (int i = 0; i < EXEC_STATUS_COUNT; i++)
		counts[i] = c ? 0 : st->reply.u[i];
	if (gen)
		*gen = c ? 0 : st->reply.u[WIRE_COUNTS_GEN];
	return c;
}

/* A list's records, each in one allocation: taken from its image (the
 * newest page, from a server of revision 6 on) or decoded packed
 * (record_decode_exec_packed).  A dashboard's first screen holds fifty. */
static store_code decode_execs(store *st, record_exec **out, size_t *n, store_err *err)
{
	*out = NULL;
	*n = 0;
	if (st->reply.n_blobs == 0)
		return STORE_OK;
	record_exec *v = malloc(st->reply.n_blobs * sizeof *v); /* each decode sets its record whole */
	if (!v)
		return client_oom(err);
	/* images come only to a client that named their revision: one acting
	 * as an older build reads what an older build reads */
	bool images = st->revision >= WIRE_REV_IMAGES;
	for (size_t i = 0; i < st->reply.n_blobs; i++) {
		char why[256];
		const wire_blob *b = &st->reply.blobs[i];
		if ((images && record_is_image(b->p, b->len) ? record_from_image_exec(b->p, b->len, &v[i], why, sizeof why)
						   : record_decode_exec_packed(b->p, b->len, &v[i], why, sizeof why)) < 0) {
			record_exec_array_free(v, i);
			return err_set(err, STORE_FORMAT, "an execution the server sent cannot be decoded: %s", why);
		}
	}
	*out = v;
	*n = st->reply.n_blobs;
	return STORE_OK;
}

store_code store_get(store *st, const char *id, record_exec *e, store_err *err)
{
	memset(e, 0, sizeof *e);
	store_code c = CALL(st, OP_GET, err, TEXT(id));
	if (c)
		return c;
	char why[256];
	if (st->reply.n_blobs != 1 ||
	    record_decode_exec(st->reply.blobs[0].p, st->reply.blobs[0].len, e, why, sizeof why) < 0)
		return err_set(err, STORE_FORMAT, "execution '%s' sent by the server cannot be decoded", id);
	return STORE_OK;
}

store_code store_get_item(store *st, const char *id, store_item *it, store_err *err)
{
	memset(it, 0, sizeof *it);
	store_code c = CALL(st, OP_GET_ITEM, err, TEXT(id));
	if (c)
		return c;
	char why[256];
	if (st->reply.n_blobs != 1 || wire_item_decode(st->reply.blobs[0].p, st->reply.blobs[0].len, it, why, sizeof why) < 0)
		return err_set(err, STORE_FORMAT, "execution '%s' sent by the server cannot be decoded", id);
	return STORE_OK;
}

static store_code list_call(store *st, int status, store_cursor *cur, bool newer, size_t limit, record_exec **out,
			    size_t *n, uint64_t *counts, uint64_t *gen, store_err *err)
{
	*out = NULL;
	*n = 0;
	store_code c = CALL(st, OP_LIST, err, NUM(status < 0 ? 0 : status + 1), NUM(limit), NUM(newer), NUM(counts != NULL),
			    BYTES((const char *)cur->key, cur->len), NUM(st->revision >= WIRE_REV_IMAGES));
	if (c)
		return c;
	for (int i = 0; counts && i < EXEC_STATUS_COUNT; i++)
		counts[i] = st->reply.u[WIRE_LIST_COUNTS + i];
	if (gen)
		*gen = st->reply.u[WIRE_LIST_GEN];
	if (!newer) {
		size_t len = st->reply.s[0].len;
		if (len > sizeof cur->key)
			return err_set(err, STORE_STORAGE, "the server sent a cursor too long");
		memcpy(cur->key, st->reply.s[0].p, len);
		cur->len = len;
		cur->done = st->reply.u[0] != 0;
	}
	/* the records, then the ids among them whose engine is attached */
	size_t records = (size_t)st->reply.u[6] < st->reply.n_blobs ? (size_t)st->reply.u[6] : st->reply.n_blobs;
	size_t all = st->reply.n_blobs;
	st->reply.n_blobs = records;
	c = decode_execs(st, out, n, err);
	st->reply.n_blobs = all;
	for (size_t i = records; !c && i < all; i++)
		for (size_t k = 0; k < *n; k++)
			if (strlen((*out)[k].id) == st->reply.blobs[i].len &&
			    memcmp((*out)[k].id, st->reply.blobs[i].p, st->reply.blobs[i].len) == 0)
				(*out)[k].engine_attached = true;
	return c;
}

store_code store_list(store *st, int status, store_cursor *cur, size_t limit, record_exec **out, size_t *n,
		      store_err *err)
{
	if (cur->done) {
		*out = NULL;
		*n = 0;
		return STORE_OK;
	}
	return list_call(st, status, cur, false, limit, out, n, NULL, NULL, err);
}

store_code store_list_counts(store *st, int status, store_cursor *cur, size_t limit, record_exec **out, size_t *n,
			     uint64_t counts[EXEC_STATUS_COUNT], uint64_t *gen, store_err *err)
{
	if (cur->done) {
		/* nothing more to list, but the counts are asked for */
		*out = NULL;
		*n = 0;
		return store_counts(st, counts, gen, err);
	}
	return list_call(st, status, cur, false, limit, out, n, counts, gen, err);
}

store_code store_list_newer(store *st, int status, const store_cursor *from, size_t limit, record_exec **out,
			    size_t *n, store_err *err)
{
	store_cursor c = *from;
	store_code rc = list_call(st, status, &c, true, limit, out, n, NULL, NULL, err);
	/* the server reads them oldest first; handed back newest first */
	for (size_t i = 0; !rc && i < *n / 2; i++) {
		record_exec t = (*out)[i];
		(*out)[i] = (*out)[*n - 1 - i];
		(*out)[*n - 1 - i] = t;
	}
	return rc;
}

#define PAUSED_PAGE 512 /* waiting executions per reply of store_paused */

/* Page by page, as the server's own OP_PAUSED read them: no reply holds
 * more than a page, however many executions wait. */
store_code store_paused(store *st, record_exec **out, size_t *n, store_err *err)
{
	*out = NULL;
	*n = 0;
	store_cursor cur = { .len = 0 };
	while (!cur.done) {
		record_exec *page;
		size_t got;
		store_code c = list_call(st, EXEC_WAITING, &cur, false, PAUSED_PAGE, &page, &got, NULL, NULL, err);
		if (c) {
			record_exec_array_free(*out, *n);
			*out = NULL;
			*n = 0;
			return c;
		}
		record_exec *all = got ? realloc(*out, (*n + got) * sizeof *all) : *out;
		if (got && !all) {
			record_exec_array_free(page, got);
			record_exec_array_free(*out, *n);
			*out = NULL;
			*n = 0;
			return client_oom(err);
		}
		if (got)
			memcpy(all + *n, page, got * sizeof *page);
		free(page);
		*out = all;
		*n += got;
		if (!got && !cur.done)
			break;
	}
	return STORE_OK;
}

store_code store_each(store *st, int (*fn)(void *ctx, const store_item *it), void *ctx, store_err *err)
{
	char *after = NULL;
	store_code c = STORE_OK;
	for (;;) {
		c = CALL(st, OP_EACH, err, TEXT(after), NUM(256));
		if (c)
			break;
		size_t nb = st->reply.n_blobs;
		bool done = st->reply.u[0] != 0;
		/* the answer is overwritten by the next call: decode it all first */
		store_item *items = nb ? calloc(nb, sizeof *items) : NULL;
		if (nb && !items) {
			c = client_oom(err);
			break;
		}
		size_t got = 0;
		for (; got < nb; got++) {
			char why[256];
			if (wire_item_decode(st->reply.blobs[got].p, st->reply.blobs[got].len, &items[got], why, sizeof why) < 0) {
				c = err_set(err, STORE_FORMAT, "an execution the server sent cannot be decoded: %s", why);
				break;
			}
		}
		for (size_t i = 0; i < got && !c; i++) {
			memset(err, 0, sizeof *err);
			if (fn(ctx, &items[i]) != 0) /* a call of ours that failed in fn keeps its error */
				c = err->code ? err->code : err_set(err, STORE_STORAGE, "writing the output failed");
		}
		if (!c && got) {
			free(after);
			after = record_strdup(items[got - 1].exec.id);
		}
		for (size_t i = 0; i < got; i++)
			store_item_free(&items[i]);
		free(items);
		if (c || done || nb == 0)
			break;
		if (!after) {
			c = client_oom(err);
			break;
		}
	}
	free(after);
	return c;
}

store_code store_events(store *st, const char *exec_id, uint64_t before, size_t limit, record_event **out, size_t *n,
			store_err *err)
{
	*out = NULL;
	*n = 0;
	store_code c = CALL(st, OP_EVENTS, err, TEXT(exec_id), NUM(before), NUM(limit));
	return c ? c : client_decode_events(st, out, n, err);
}

store_code client_decode_events(store *st, record_event **out, size_t *n, store_err *err)
{
	*out = NULL;
	*n = 0;
	if (st->reply.n_blobs == 0)
		return STORE_OK;
	record_event *v = calloc(st->reply.n_blobs, sizeof *v);
	if (!v)
		return client_oom(err);
	for (size_t i = 0; i < st->reply.n_blobs; i++) {
		char why[256];
		if (record_decode_event(st->reply.blobs[i].p, st->reply.blobs[i].len, &v[i], why, sizeof why) < 0) {
			record_event_array_free(v, i);
			return err_set(err, STORE_FORMAT, "an event the server sent cannot be decoded: %s", why);
		}
	}
	*out = v;
	*n = st->reply.n_blobs;
	return STORE_OK;
}

store_code store_verify(store *st, void (*problem)(void *ctx, const char *what), void *ctx, size_t *n_problems,
			store_err *err)
{
	/* verify reads the whole home: give it time */
	int saved = st->timeout_ms;
	st->timeout_ms = saved < 3600000 / 4 ? saved * 4 : saved;
	store_code c = CALL(st, OP_VERIFY, err, NOTHING);
	st->timeout_ms = saved;
	if (c)
		return c;
	char what[1100];
	for (size_t i = 0; i < st->reply.n_blobs; i++) {
		size_t len = st->reply.blobs[i].len < sizeof what - 1 ? st->reply.blobs[i].len : sizeof what - 1;
		memcpy(what, st->reply.blobs[i].p, len);
		what[len] = '\0';
		problem(ctx, what);
	}
	if (n_problems)
		*n_problems = (size_t)st->reply.u[0];
	return STORE_OK;
}

/* ---- changes ---- */

/* An execution whose lines pass this goes as its item with the first of
 * them, then the rest in blobs of their own (wire_more_encode), each at
 * most this large: an import carries executions of any size. */
#define SPLIT_BYTES (32u << 20)

static size_t log_bytes(const record_task *t, size_t from, size_t n)
{
	size_t sum = 0;
	for (size_t i = from; i < n; i++)
		sum += t->logs[i].len;
	return sum;
}

/* The lines of `t` from `from` that fit in SPLIT_BYTES (one at least). */
static size_t split_count(const record_task *t, size_t from)
{
	size_t n = 0, bytes = 0;
	while (from + n < t->n_logs && (n == 0 || bytes + t->logs[from + n].len <= SPLIT_BYTES))
		bytes += t->logs[from + n++].len;
	return n;
}

/* An execution being sent in pieces: its item went, with sent[i] lines of
 * task i; the rest follows. */
typedef struct split_state {
	bool active;
	store_item it;
	size_t *sent;
} split_state;

static void split_end(split_state *sp)
{
	if (sp->active)
		store_item_free(&sp->it);
	free(sp->sent);
	memset(sp, 0, sizeof *sp);
}

/* Encodes the item of a large execution with its first lines (up to
 * SPLIT_BYTES in all); -1 when out of memory. */
static int split_head(record_buf *b, const store_item *it, size_t *sent)
{
	store_item head = *it; /* shallow: the same tasks, fewer lines */
	head.tasks = malloc((it->n_tasks ? it->n_tasks : 1) * sizeof *head.tasks);
	if (!head.tasks)
		return -1;
	size_t budget = SPLIT_BYTES;
	for (size_t i = 0; i < it->n_tasks; i++) {
		head.tasks[i] = it->tasks[i];
		size_t n = 0;
		while (n < it->tasks[i].n_logs && it->tasks[i].logs[n].len <= budget)
			budget -= it->tasks[i].logs[n++].len;
		if (n < it->tasks[i].n_logs)
			budget = 0; /* lines stay in order: the rest of every task follows */
		head.tasks[i].n_logs = n;
		sent[i] = n;
	}
	int rc = wire_item_encode(b, &head);
	free(head.tasks);
	return rc;
}

/* Sends the import's frames, numbered from 0.  *again: the server held
 * none of the frames before the one it refused (it restarted between them):
 * the whole request is to be sent again. */
static store_code import_once(store *st, const store_source *src, const unsigned char id[REQ_ID_LEN], bool replace,
			      const char *action, size_t *count, bool *again, store_err *err)
{
	*again = false;
	record_buf b = { 0 };
	store_code c = STORE_OK;
	bool end = false;
	int frames_sent = 0;
	char last[RECORD_ID_MAX + 1] = "";
	/* an item that did not fit behind the others goes first in the next frame */
	store_item carry;
	bool carried = false;
	split_state sp;
	memset(&sp, 0, sizeof sp);
	while (!c && !end) {
		/* "more frames" is known once the frame is full: it is added last */
		const ops_val in[] = { NUM(replace), NOTHING, TEXT(action) };
		int rc = begin_change_id(st, &b, OP_IMPORT, id) | wire_frame_no(&b, (uint64_t)frames_sent) |
			 ops_encode(&b, OP_IMPORT, in, 3);
		if (rc) {
			c = client_oom(err);
			break;
		}
		size_t empty = b.len;
		while (b.len < IMPORT_FRAME) {
			if (sp.active) { /* the next piece of a large execution's lines */
				size_t ti = 0;
				while (ti < sp.it.n_tasks && sp.sent[ti] >= sp.it.tasks[ti].n_logs)
					ti++;
				if (ti == sp.it.n_tasks) {
					split_end(&sp);
					continue;
				}
				const record_task *t = &sp.it.tasks[ti];
				size_t n = split_count(t, sp.sent[ti]), mark = b.len;
				if (wire_more_encode(&b, sp.it.exec.id, t->task_id, &t->logs[sp.sent[ti]], n) < 0) {
					c = client_oom(err);
					break;
				}
				if (mark > empty && b.len > WIRE_FRAME_MAX - 64) {
					b.len = mark; /* in the next frame */
					break;
				}
				sp.sent[ti] += n;
				continue;
			}
			store_item it;
			char why[512] = "";
			memset(&it, 0, sizeof it);
			if (carried) {
				it = carry;
				carried = false;
			} else {
				int r = src->next(src->ctx, &it, why, sizeof why);
				if (r == 0) {
					end = true;
					break;
				}
				if (r < 0) {
					store_item_free(&it);
					c = err_set(err, STORE_INVALID_INPUT, "%s", why);
					break;
				}
				if (store_item_check(&it, why, sizeof why) < 0) {
					c = err_set(err, STORE_INVALID_INPUT, "%s", why);
					store_item_free(&it);
					break;
				}
			}
			size_t mark = b.len, lines = 0;
			for (size_t i = 0; i < it.n_tasks; i++)
				lines += log_bytes(&it.tasks[i], 0, it.tasks[i].n_logs);
			bool large = lines > SPLIT_BYTES;
			size_t *sent = large ? calloc(it.n_tasks ? it.n_tasks : 1, sizeof *sent) : NULL;
			if (large && !sent)
				rc = -1;
			else
				rc = large ? split_head(&b, &it, sent) : wire_item_encode(&b, &it);
			snprintf(last, sizeof last, "%s", it.exec.id ? it.exec.id : "");
			if (!rc && mark > empty && b.len > WIRE_FRAME_MAX - 64) {
				b.len = mark; /* alone in the next frame it may fit */
				free(sent);
				carry = it;
				carried = true;
				break;
			}
			if (!rc && large) {
				sp.active = true;
				sp.it = it;
				sp.sent = sent;
				continue;
			}
			free(sent);
			store_item_free(&it);
			if (rc) {
				c = client_oom(err);
				break;
			}
		}
		if (c)
			break;
		if (wire_u(&b, (int)ops_find(OP_IMPORT)->args[ARG_IMPORT_more].slot, !end) || wire_finish(&b) < 0) {
			c = err_set(err, STORE_INVALID_INPUT,
				    "execution '%s' is larger than %u MB without its log lines: an import carries at most that "
				    "(a backup of the home copies any size)", last, WIRE_FRAME_MAX >> 20);
			break;
		}
		c = call(st, &b, st->timeout_ms, err);
		*again = c != STORE_OK && (st->reply.flags & WIRE_RESEND);
		frames_sent++;
	}
	if (carried)
		store_item_free(&carry);
	split_end(&sp);
	if (!c && count)
		*count = (size_t)st->reply.u[0];
	if (c && frames_sent)
		disconnect(st); /* the server drops the frames it held with the connection */
	record_buf_free(&b);
	return c;
}

store_code store_import(store *st, const store_source *src, bool replace, const char *action, size_t *count,
			store_err *err)
{
	memset(err, 0, sizeof *err);
	if (count)
		*count = 0;
	if (client_refuse_ro(st, err))
		return err->code;
	unsigned char id[REQ_ID_LEN];
	request_id_new(id);
	/* a server that restarted between the frames of one import lost the
	 * frames it held, and refuses the next: send them all again, from the
	 * first, under the same request id (its last frame is made once) */
	for (int attempt = 0;; attempt++) {
		char why[256] = "";
		if (attempt > 0 && !src->rewind)
			return err_set(err, STORE_STORAGE, "the store server of '%s' restarted during the import, and its "
				    "source cannot be read again: nothing was imported", st->home);
		if (src->rewind && src->rewind(src->ctx, why, sizeof why) < 0)
			return err_set(err, STORE_INVALID_INPUT, "the import cannot start again: %s", why);
		bool again;
		store_code c = import_once(st, src, id, replace, action, count, &again, err);
		if (c == STORE_OK || !again)
			return c;
		if (attempt >= MAX_RESTARTS)
			return err_set(err, STORE_STORAGE, "the store server of '%s' restarted during the import %d times: "
				    "nothing was imported", st->home, attempt + 1);
	}
}

static int one_next(void *ctx, store_item *it, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	const store_item **p = ctx;
	if (!p[0])
		return 0;
	memset(it, 0, sizeof *it);
	if (record_exec_copy(&it->exec, &p[0]->exec) < 0)
		return -1;
	if (p[0]->n_tasks) {
		it->tasks = calloc(p[0]->n_tasks, sizeof *it->tasks);
		if (!it->tasks)
			return -1;
		for (size_t i = 0; i < p[0]->n_tasks; i++, it->n_tasks++)
			if (record_task_copy(&it->tasks[i], &p[0]->tasks[i]) < 0)
				return -1;
	}
	p[1] = p[0];
	p[0] = NULL;
	return 1;
}

static int one_rewind(void *ctx, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	const store_item **p = ctx;
	p[0] = p[1];
	return 0;
}

store_code store_save(store *st, const store_item *it, bool replace, store_err *err)
{
	const store_item *p[2] = { it, it };
	store_source src = { one_next, one_rewind, p };
	return store_import(st, &src, replace, "save", NULL, err);
}

store_code store_delete(store *st, const char *id, store_err *err)
{
	return CALL(st, OP_DELETE, err, TEXT(id));
}

store_code store_pause_task(store *st, const char *exec_id, const char *task_id, store_err *err)
{
	return CALL(st, OP_PAUSE, err, TEXT(exec_id), TEXT(task_id));
}

store_code store_resume_workflow(store *st, const char *exec_id, store_err *err)
{
	return CALL(st, OP_RESUME_WF, err, TEXT(exec_id));
}

store_code store_resume_task(store *st, const char *exec_id, const char *task_id, const char *value, size_t value_len,
			     store_err *err)
{
	/* refused here too: an answer over the bound never crosses the wire */
	if (value && value_len > STORE_TEXT_MAX) {
		memset(err, 0, sizeof *err);
		return err_set(err, STORE_INVALID_INPUT, "the input value for task '%s' is %zu bytes: at most %u (64 KiB)",
			       task_id ? task_id : "", value_len, STORE_TEXT_MAX);
	}
	return CALL(st, OP_RESUME_TASK, err, TEXT(exec_id), TEXT(task_id), BYTES(value, value_len));
}

store_code store_checkpoint(store *st, store_err *err)
{
	return CALL(st, OP_CHECKPOINT, err, NOTHING);
}

store_code store_backup(store *st, const char *dir, store_err *err)
{
	memset(err, 0, sizeof *err);
	char abs[PATH_MAX];
	if (dir[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd) || snprintf(abs, sizeof abs, "%s/%s", cwd, dir) >= (int)sizeof abs)
			return err_set(err, STORE_INVALID_INPUT, "backup directory '%s': path too long", dir);
		dir = abs;
	}
	int saved = st->timeout_ms;
	st->timeout_ms = saved < 3600000 / 10 ? saved * 10 : saved;
	store_code c = CALL(st, OP_BACKUP, err, TEXT(dir));
	st->timeout_ms = saved;
	return c;
}

/* ---- waiting and pushes ---- */

store_code store_wait(store *st, uint64_t after, int timeout_ms, uint64_t *gen, store_err *err)
{
	if (timeout_ms < 0)
		timeout_ms = 0;
	record_buf b = { 0 };
	const ops_val in[] = { NUM(after), NUM(timeout_ms) };
	store_code c = client_build(st, &b, OP_WAIT, in, 2, err);
	if (c == STORE_OK) /* the server answers within timeout_ms */
		c = call(st, &b, timeout_ms + st->timeout_ms, err);
	record_buf_free(&b);
	if (gen)
		*gen = c ? 0 : st->reply.u[0];
	return c;
}

/* The rows of the last push read go with the next read. */
static void push_rows_free(store *st)
{
	record_exec_array_free(st->push.rows, st->push.n_rows);
	for (size_t i = 0; st->push.details && i < st->push.n_rows; i++)
		store_item_free(&st->push.details[i]);
	free(st->push.details);
	free(st->push.marks);
	st->push.rows = NULL;
	st->push.marks = NULL;
	st->push.details = NULL;
	st->push.n_rows = 0;
}

void store_watch_rows(store *st, store_push_rows *out)
{
	*out = st->push;
}

store_code store_watch(store *st, int *fd, store_err *err)
{
	memset(err, 0, sizeof *err);
	if (st->watch_fd >= 0) {
		*fd = st->watch_fd;
		return STORE_OK;
	}
	*fd = -1;
	int wfd;
	store_code c = open_conn(st, &wfd, err);
	if (c)
		return c;
	record_buf b = { 0 };
	/* with rows, unless it acts as a build older than them */
	int rc = wire_begin(&b, OP_SUBSCRIBE) | wire_u(&b, 0, wire_revision() >= WIRE_REV_PUSH_ROWS) | wire_finish(&b);
	int64_t deadline = client_now_ms() + st->timeout_ms;
	if (rc || client_send_all(wfd, b.data, b.len, deadline) != STORE_OK || client_recv_frame(wfd, &st->watch_in, deadline) != 0) {
		record_buf_free(&b);
		client_close_fd(wfd);
		return err_set(err, STORE_STORAGE, "cannot subscribe to the store server of '%s'", st->home);
	}
	record_buf_free(&b);
	int fl = fcntl(wfd, F_GETFL);
	fcntl(wfd, F_SETFL, fl | O_NONBLOCK);
	st->watch_in.len = 0;
	st->watch_fd = *fd = wfd;
	return STORE_OK;
}

/* Adds an id to the push's (past STORE_PUSH_IDS: all). */
static void push_id(store_push *push, const void *id, size_t n)
{
	if (push->all)
		return;
	size_t l = n < sizeof push->ids[0] - 1 ? n : sizeof push->ids[0] - 1;
	for (size_t i = 0; i < push->n_ids; i++)
		if (strlen(push->ids[i]) == l && memcmp(push->ids[i], id, l) == 0)
			return;
	if (push->n_ids == STORE_PUSH_IDS) {
		push->all = true;
		return;
	}
	memcpy(push->ids[push->n_ids], id, l);
	push->ids[push->n_ids][l] = '\0';
	push->n_ids++;
}

int store_push_detail_join(store_item *into, store_item *later)
{
	if (!into->exec.id || !later->exec.id) {
		store_item_free(into);
		store_item_free(later);
		return 0;
	}
	record_event *v = realloc(into->events, (into->n_events + later->n_events + 1) * sizeof *v);
	if (!v) {
		store_item_free(into);
		store_item_free(later);
		return -1;
	}
	if (later->n_events) /* (no events: later->events may be NULL) */
		memcpy(v + into->n_events, later->events, later->n_events * sizeof *v);
	size_t n = into->n_events + later->n_events;
	free(later->events);
	later->events = NULL;
	later->n_events = 0;
	into->events = NULL;
	into->n_events = 0;
	store_item_free(into);
	*into = *later;
	into->events = v;
	into->n_events = n;
	memset(later, 0, sizeof *later);
	return 0;
}

/* Merges one push frame into push, and its rows into st->push (the newest
 * state of each execution kept); -1 when out of memory. */
static int push_take(store *st, store_push *push, const wire_msg *m, bool first)
{
	store_push_rows *pr = &st->push;
	bool rows = (m->u[WIRE_PUSH_FLAGS] & WIRE_PUSH_WITH_ROWS) != 0;
	push->pushed = true;
	push->generation = m->u[0];
	if (first) {
		pr->has_rows = rows;
		pr->from_generation = rows ? m->u[WIRE_PUSH_FROM] : 0;
	}
	if (!rows) { /* a server of an older revision: ids alone */
		pr->has_rows = false;
		push->all = push->all || m->u[1] != 0 || m->n_blobs == 0;
		for (size_t i = 0; i < m->n_blobs && !push->all; i++)
			push_id(push, m->blobs[i].p, m->blobs[i].len);
		return 0;
	}
	for (int i = 0; i < EXEC_STATUS_COUNT; i++)
		pr->counts[i] = m->u[WIRE_LIST_COUNTS + i];
	pr->reload = pr->reload || (m->u[WIRE_PUSH_FLAGS] & WIRE_PUSH_RELOAD);
	push->all = push->all || pr->reload || m->u[1] != 0;
	size_t n_rows = m->u[WIRE_PUSH_ROWS] < m->n_blobs ? (size_t)m->u[WIRE_PUSH_ROWS] : m->n_blobs;
	size_t details = m->u[WIRE_PUSH_DETAILS] == n_rows && n_rows * 2 <= m->n_blobs ? n_rows : 0;
	if (push->all) {
		pr->has_rows = false;
		return 0;
	}
	for (size_t i = 0; i < m->n_blobs - details; i++) {
		const wire_blob *b = &m->blobs[i];
		record_exec e;
		char why[128];
		bool row = i < n_rows;
		if (row && record_from_image_exec(b->p, b->len, &e, why, sizeof why) < 0) {
			pr->has_rows = false; /* one that does not decode: read the list */
			continue;
		}
		/* the row held of the same execution is older: it goes */
		const char *id = row ? e.id : (const char *)b->p;
		size_t idlen = row ? strlen(e.id) : b->len;
		push_id(push, id, idlen);
		bool held = false;
		store_item before; /* its detail from an earlier frame, joined to this one's */
		memset(&before, 0, sizeof before);
		for (size_t k = 0; k < pr->n_rows; k++)
			if (strlen(pr->rows[k].id) == idlen && memcmp(pr->rows[k].id, id, idlen) == 0) {
				held = true;
				record_exec_free(&pr->rows[k]);
				before = pr->details[k];
				pr->rows[k] = pr->rows[--pr->n_rows];
				pr->marks[k] = pr->marks[pr->n_rows];
				pr->details[k] = pr->details[pr->n_rows];
				break;
			}
		if (!row) {
			store_item_free(&before);
			continue;
		}
		record_exec *v = realloc(pr->rows, (pr->n_rows + 1) * sizeof *v);
		unsigned char *mk = v ? realloc(pr->marks, pr->n_rows + 1) : NULL;
		store_item *dt = mk ? realloc(pr->details, (pr->n_rows + 1) * sizeof *dt) : NULL;
		if (v)
			pr->rows = v;
		if (mk)
			pr->marks = mk;
		if (dt)
			pr->details = dt;
		if (!v || !mk || !dt) {
			record_exec_free(&e);
			return -1;
		}
		memset(&pr->details[pr->n_rows], 0, sizeof *dt);
		if (details) { /* one that does not decode is read by the dashboard, as without it */
			const wire_blob *d = &m->blobs[m->n_blobs - details + i];
			store_item it;
			if (wire_item_decode(d->p, d->len, &it, why, sizeof why) == 0) {
				if (it.exec.id && strcmp(it.exec.id, e.id) == 0)
					pr->details[pr->n_rows] = it;
				else
					store_item_free(&it);
			}
		}
		if (held && store_push_detail_join(&before, &pr->details[pr->n_rows]) == 0)
			pr->details[pr->n_rows] = before;
		else
			store_item_free(&before);
		pr->rows[pr->n_rows] = e;
		pr->marks[pr->n_rows++] = m->has_s[0] && i < m->s[0].len ? m->s[0].p[i] : 0;
	}
	if (push->all)
		pr->has_rows = false;
	return 0;
}

store_code store_watch_read(store *st, store_push *push, store_err *err)
{
	memset(err, 0, sizeof *err);
	memset(push, 0, sizeof *push);
	push_rows_free(st);
	memset(&st->push, 0, sizeof st->push);
	size_t frames = 0;
	if (st->watch_fd < 0)
		return err_set(err, STORE_STORAGE, "not subscribed to the store server of '%s'", st->home);
	bool closed = false;
	for (;;) {
		if (tag_reserve(&st->watch_in, 65536) < 0)
			return client_oom(err);
		ssize_t n = recv(st->watch_fd, st->watch_in.data + st->watch_in.len, 65536, MSG_DONTWAIT);
		if (n > 0) {
			st->watch_in.len += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			closed = true;
		break;
	}
	size_t off = 0;
	while (st->watch_in.len - off >= 4) {
		size_t len;
		if (!wire_frame_len(st->watch_in.data + off, &len)) {
			closed = true;
			break;
		}
		if (st->watch_in.len - off - 4 < len)
			break;
		wire_msg m;
		char why[128];
		if (wire_decode(st->watch_in.data + off + 4, len, &m, why, sizeof why) == 0 && m.op == OP_PUSH &&
		    push_take(st, push, &m, frames++ == 0) < 0) {
			wire_msg_free(&m);
			return client_oom(err);
		}
		wire_msg_free(&m);
		off += 4 + len;
	}
	if (!st->push.has_rows)
		push_rows_free(st);
	memmove(st->watch_in.data, st->watch_in.data + off, st->watch_in.len - off);
	st->watch_in.len -= off;
	if (closed) {
		client_close_fd(st->watch_fd);
		st->watch_fd = -1;
		st->watch_in.len = 0;
		return err_set(err, STORE_STORAGE, "the store server of '%s' went away", st->home);
	}
	return STORE_OK;
}

/* ---- the server itself ---- */

store_code store_server_status(store *st, store_server_info *out, store_err *err)
{
	memset(out, 0, sizeof *out);
	store_code c = CALL(st, OP_STATUS, err, NOTHING);
	if (c)
		return c;
	out->pid = (long)st->reply.u[0];
	out->uptime_s = st->reply.u[1];
	out->clients = st->reply.u[2];
	out->generation = st->reply.u[3];
	out->cache_bytes = st->reply.u[4];
	out->cache_used_bytes = st->reply.u[5];
	out->log_file = (uint32_t)st->reply.u[6];
	out->log_offset = (uint32_t)st->reply.u[7];
	out->hooks_run = st->reply.u[WIRE_STATUS_HOOKS];
	out->hooks_failed = st->reply.u[WIRE_STATUS_HOOKS + 1];
	out->hooks_pending = st->reply.u[WIRE_STATUS_HOOKS + 2];
	return STORE_OK;
}

store_code store_server_requests(store *st, uint64_t *total, uint64_t *read_only, store_err *err)
{
	store_code c = CALL(st, OP_STATUS, err, NOTHING);
	*total = c ? 0 : st->reply.u[WIRE_STATUS_REQUESTS];
	*read_only = c ? 0 : st->reply.u[WIRE_STATUS_REQUESTS + 1];
	return c;
}

store_code store_notify_add(store *st, const char *on, const char *const *argv, size_t argc, uint64_t *id,
			    store_err *err)
{
	if (id)
		*id = 0;
	store_code c = CALL(st, OP_NOTIFY_ADD, err, TEXT(on ? on : ""), STRINGS(argv, argc));
	if (!c && id)
		*id = st->reply.u[0];
	return c;
}

store_code store_notify_list(store *st, store_hook **out, size_t *n, store_err *err)
{
	*out = NULL;
	*n = 0;
	store_code c = CALL(st, OP_NOTIFY_LIST, err, NOTHING);
	if (c)
		return c;
	store_hook *v = st->reply.n_blobs ? calloc(st->reply.n_blobs, sizeof *v) : NULL;
	if (st->reply.n_blobs && !v)
		return client_oom(err);
	for (size_t i = 0; i < st->reply.n_blobs; i++) {
		const char *p = (const char *)st->reply.blobs[i].p, *end = p + st->reply.blobs[i].len;
		store_hook *h = &v[i];
		h->argv = calloc(STORE_HOOK_ARGS_MAX, sizeof *h->argv);
		for (int f = 0; h->argv && p < end; f++) {
			const char *z = memchr(p, '\0', (size_t)(end - p));
			size_t len = z ? (size_t)(z - p) : (size_t)(end - p);
			char *s = malloc(len + 1);
			if (!s)
				break;
			memcpy(s, p, len);
			s[len] = '\0';
			if (f == 0) {
				h->id = strtoull(s, NULL, 10);
				free(s);
			} else if (f == 1) {
				h->on = s;
			} else if (h->argc < STORE_HOOK_ARGS_MAX) {
				h->argv[h->argc++] = s;
			} else {
				free(s);
			}
			p += len + 1;
		}
	}
	*out = v;
	*n = st->reply.n_blobs;
	return STORE_OK;
}

store_code store_notify_remove(store *st, uint64_t id, store_err *err)
{
	return CALL(st, OP_NOTIFY_REMOVE, err, NUM(id));
}
