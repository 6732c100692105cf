/* server_repl.c - the store server as a site of a replication group: what
 * it does apart from serving its home (dbs_repl.c holds Berkeley DB's side).
 *
 * - At a replica, a change is forwarded, frame unchanged, to the master;
 *   whatever the operation, in one place (repl_intercept, before dispatch).
 *   The client is answered with the master's answer once this site's own
 *   copy holds the change (its generation has reached the master's), so it
 *   reads its write wherever it reads next.  Reads stay local.
 * - At the master, a forwarded change arrives on one of Berkeley DB's
 *   message threads, which hands it to this server through its own socket,
 *   as a client would: it then runs through the same checks, dispatch and
 *   group commit as any request, with the client's request id (requests.db
 *   replicates, so a change sent again after a failover is found).
 * - Only the master runs the deadlines' timer and the notification commands;
 *   a replica pushes to its dashboards what the master's log brought. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client_int.h"
#include "dbs_repl.h"
#include "server_int.h"
#include "server_repl.h"
#include "tag.h"

#define TICK_MS 200             /* how often the role and the replica's generation are read */
#define OWN_WAIT_MS 60000       /* a forwarded change running at the master */
#define CATCH_UP_EXTRA_MS 5000  /* beyond the ack timeout: a replica's copy receiving a change */
#define OWN_FDS 16

/* ---- the master: forwarded changes, through the server's own socket ---- */

/* The connections of the message threads to this server, so that a server
 * about to close its environment can end the runs that wait on it. */
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;
static int own_fds[OWN_FDS];
static size_t n_own;
static __thread int own_fd = -1;

static void own_forget(int fd)
{
	pthread_mutex_lock(&own_lock);
	for (size_t i = 0; i < n_own; i++)
		if (own_fds[i] == fd)
			own_fds[i] = own_fds[--n_own];
	pthread_mutex_unlock(&own_lock);
	close(fd);
}

static void cancel_runs(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&own_lock);
	for (size_t i = 0; i < n_own; i++)
		shutdown(own_fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&own_lock);
}

/* One request on the thread's connection: the frame b (finished), the
 * answer's payload into in. */
static int own_ask(const char *home, const void *frame, size_t len, record_buf *in)
{
	int64_t deadline = client_now_ms() + OWN_WAIT_MS;
	if (own_fd < 0) {
		int fd = client_connect(home);
		if (fd < 0)
			return -1;
		record_buf h = { 0 };
		int rc = wire_begin(&h, OP_HELLO) | wire_u(&h, 0, 0) | wire_u(&h, 2, wire_revision()) | wire_finish(&h);
		if (rc || client_send_all(fd, h.data, h.len, deadline) || client_recv_frame(fd, in, deadline)) {
			record_buf_free(&h);
			close(fd);
			return -1;
		}
		record_buf_free(&h);
		pthread_mutex_lock(&own_lock);
		if (n_own < OWN_FDS)
			own_fds[n_own++] = fd;
		pthread_mutex_unlock(&own_lock);
		own_fd = fd;
	}
	if (client_send_all(own_fd, frame, len, deadline) || client_recv_frame(own_fd, in, deadline)) {
		own_forget(own_fd);
		own_fd = -1;
		return -1;
	}
	return 0;
}

/* dbs_repl_run_fn: the change, then the generation after it. */
static int run_forwarded(void *ctx, const void *payload, size_t len, record_buf *answer, uint64_t *gen)
{
	const char *home = ctx;
	record_buf f = { 0 }, in = { 0 };
	int rc = tag_put_raw(&f, "\0\0\0\0", 4) | tag_put_raw(&f, payload, len) | wire_finish(&f);
	if (rc == 0)
		rc = own_ask(home, f.data, f.len, &in);
	if (rc == 0) {
		/* the whole reply frame: its length, then the payload */
		unsigned char hdr[4] = { (unsigned char)(in.len >> 24), (unsigned char)(in.len >> 16),
					 (unsigned char)(in.len >> 8), (unsigned char)in.len };
		rc = tag_put_raw(answer, hdr, 4) | tag_put_raw(answer, in.data, in.len);
	}
	wire_msg m;
	char why[64];
	if (rc == 0)
		rc = wire_begin(&f, OP_GENERATION) | wire_finish(&f);
	if (rc == 0)
		rc = own_ask(home, f.data, f.len, &in);
	if (rc == 0 && (rc = wire_decode(in.data, in.len, &m, why, sizeof why)) == 0) {
		*gen = m.u[0];
		wire_msg_free(&m);
	}
	record_buf_free(&f);
	record_buf_free(&in);
	return rc ? -1 : 0;
}

/* ---- a replica: changes go to the master ---- */

static bool forwarded_op(unsigned op)
{
	return ops_is_change(op) && !ops_is_local(op);
}

/* The replica's copy holds what the master had at generation g: waits
 * (a while) for it; false when it did not arrive. */
static bool catch_up(server *s, uint64_t g, int wait_ms)
{
	int64_t until = srv_now_ms() + wait_ms;
	uint64_t now = 0;
	store_err e;
	for (;;) {
		if (dbs_generation(s->db, &now, &e) == STORE_OK && now >= g)
			break;
		if (srv_now_ms() >= until)
			return false;
		struct timespec ts = { 0, 500000 };
		nanosleep(&ts, NULL);
	}
	if (now != s->gen) {
		s->gen = now;
		conn_note_changed(s, NULL);
		s->changed_all = true;
	}
	return true;
}

bool repl_intercept(server *s, conn *c, const wire_msg *m, const record_buf *frame)
{
	if (!s->db || !dbs_repl_on(s->db) || !forwarded_op(m->op))
		return false;
	dbs_repl_role role = dbs_repl_role_now(s->db);
	if (role == DBS_REPL_MASTER)
		return false;
	store_err err;
	memset(&err, 0, sizeof err);
	record_buf *b = &c->held;
	c->held_sync = false;
	if (c->pid == getpid())
		err_set(&err, STORE_STORAGE, "this site is no longer the group's master: send the change again");
	else if (role != DBS_REPL_REPLICA)
		err_set(&err, STORE_STORAGE, "no master (election in progress): changes wait for the group to elect one "
			"(seectl repl status); reads go on");
	else if (c->uid != geteuid())
		err_set(&err, STORE_READ_ONLY, "a replica forwards the changes of its home's owner only: make this one at "
			"the master (seectl repl status names it)");
	else if (m->op == OP_IMPORT && m->has_frame && (m->frame || m->u[1]))
		err_set(&err, STORE_INVALID_INPUT, "an import of several frames is made at the master (seectl repl status "
			"names it), not through a replica");
	if (err.msg[0]) {
		conn_reply_err(b, &err);
		return true;
	}
	record_buf ans = { 0 };
	uint64_t g = 0;
	if (dbs_repl_forward(s->db, frame->data, frame->len, &ans, &g, &err) != STORE_OK) {
		record_buf_free(&ans);
		conn_reply_err(b, &err);
		return true;
	}
	unsigned ack_ms = dbs_repl_ack_timeout_ms(s->db);
	if (!catch_up(s, g, (int)ack_ms + CATCH_UP_EXTRA_MS)) {
		err_set(&err, STORE_STORAGE, "the master made the change (generation %llu), but this replica's copy did not "
			"receive it within %u s: reads here do not show it yet (seectl repl status shows the lag)",
			(unsigned long long)g, (ack_ms + CATCH_UP_EXTRA_MS) / 1000);
		conn_reply_err(b, &err);
	} else {
		b->len = 0;
		if (tag_put_raw(b, ans.data, ans.len) < 0)
			c->dead = true;
	}
	record_buf_free(&ans);
	return true;
}

/* ---- every turn of the loop ---- */

static const char *role_name(dbs_repl_role r)
{
	return r == DBS_REPL_MASTER ? "master" : r == DBS_REPL_REPLICA ? "replica" : r == DBS_REPL_NO_MASTER ? "replica without a master" : "not replicated";
}

bool repl_tick(server *s, int *timeout)
{
	static bool runner;
	static dbs_repl_role last = DBS_REPL_OFF;
	if (!s->db || !dbs_repl_on(s->db))
		return true;
	if (!runner) {
		dbs_repl_set_runner(s->db, run_forwarded, cancel_runs, (void *)s->home);
		runner = true;
	}
	/* a site of a group stays up: the others count on it */
	s->idle_since = srv_now_ms();
	if (*timeout > TICK_MS)
		*timeout = TICK_MS;
	static int64_t next;
	int64_t now = srv_now_ms();
	if (now < next)
		return last == DBS_REPL_MASTER;
	next = now + TICK_MS;
	dbs_repl_role role = dbs_repl_role_now(s->db);
	if (role != last) {
		dbs_repl_info info;
		store_err e;
		if (dbs_repl_status(s->db, &info, &e) == STORE_OK && info.master[0])
			srv_log(s, "replication: this site (%s) is now %s; the master is %s", info.self, role_name(role),
				info.master);
		else
			srv_log(s, "replication: this site is now %s", role_name(role));
		if (role == DBS_REPL_MASTER) {
			/* the deadlines and notifications are this site's now */
			s->next_checked = false;
			s->outbox_check = true;
		}
		last = role;
	}
	if (role != DBS_REPL_MASTER)
		catch_up(s, 0, 0);
	return role == DBS_REPL_MASTER;
}

/* ---- status and leave ---- */

int repl_status_reply(server *s, record_buf *b, store_err *err)
{
	dbs_repl_info in;
	if (!s->db || !dbs_repl_on(s->db)) {
		err_set(err, STORE_INVALID_STATE, "'%s' is not a site of a replication group: seectl repl init or join "
			"makes it one", s->home);
		return 1;
	}
	if (dbs_repl_status(s->db, &in, err) != STORE_OK)
		return 1;
	int rc = conn_reply_ok(b) | wire_u(b, 0, (uint64_t)in.role) | wire_u(b, 1, in.lsn_file) |
		 wire_u(b, 2, in.lsn_offset) | wire_u(b, 3, in.master_lsn_known) | wire_u(b, 4, in.master_lsn_file) |
		 wire_u(b, 5, in.master_lsn_offset) | wire_u(b, 6, in.priority) | wire_u(b, 7, in.ack_timeout_ms) |
		 wire_u(b, 8, in.heartbeat_ms) | wire_u(b, 9, in.nsites) | wire_u(b, 10, in.two_site_strict) |
		 wire_u(b, 11, in.perm_failed) | wire_u(b, 12, in.gen) | wire_str(b, 0, in.self) | wire_str(b, 1, in.master);
	for (size_t i = 0; i < in.n_sites; i++) {
		char line[DBS_REPL_ADDR_MAX + 40];
		int n = snprintf(line, sizeof line, "%s %s %s", in.sites[i].addr,
				 in.sites[i].connected ? "connected" : "disconnected", in.sites[i].master ? "master" : "-");
		rc |= wire_blob_add(b, line, (size_t)n);
	}
	return rc ? -1 : 0;
}

int repl_leave(server *s, store_err *err)
{
	if (!s->db)
		return 1;
	if (dbs_repl_leave(s->db, err) != STORE_OK)
		return 1;
	srv_log(s, "replication: this site left its group; the server stops");
	s->stop = true; /* the next start reads the settings again */
	return 0;
}
