/* server_conn.c - the server's connections: frames in without waiting,
 * answers held until their batch's flush, pushes to subscribers. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_int.h"
#include "tag.h"

/* ---- connections ---- */

void conn_free(conn *c)
{
	close(c->fd);
	record_buf_free(&c->in);
	record_buf_free(&c->out);
	record_buf_free(&c->held);
	for (size_t i = 0; i < c->n_push_ids; i++)
		free(c->push_ids[i]);
	for (size_t i = 0; i < c->n_stage; i++)
		record_buf_free(&c->stage[i]);
	free(c->stage);
	for (size_t i = 0; i < c->n_att; i++)
		free(c->att[i]);
	free(c->att);
	free(c);
}

void conn_stage_drop(conn *c)
{
	for (size_t i = 0; i < c->n_stage; i++)
		record_buf_free(&c->stage[i]);
	free(c->stage);
	c->stage = NULL;
	c->n_stage = c->stage_bytes = c->stage_req_len = 0;
}

int conn_out_append(conn *c, const record_buf *frame)
{
	if (c->out_off && c->out_off == c->out.len)
		c->out.len = c->out_off = 0;
	return tag_put_raw(&c->out, frame->data, frame->len);
}

/* Sends what the socket takes now; never blocks. */
void conn_write(server *s, conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		c->dead = true;
		return;
	}
	c->out.len = c->out_off = 0;
	if (c->push_pending && c->subscribed) {
		record_buf b = { 0 };
		int rc = wire_begin(&b, OP_PUSH);
		rc |= wire_u(&b, 0, c->push_gen);
		rc |= wire_u(&b, 1, c->push_all);
		for (size_t i = 0; i < c->n_push_ids && !c->push_all; i++)
			rc |= wire_blob_add(&b, c->push_ids[i], strlen(c->push_ids[i]));
		rc |= wire_finish(&b);
		for (size_t i = 0; i < c->n_push_ids; i++)
			free(c->push_ids[i]);
		c->n_push_ids = 0;
		c->push_pending = c->push_all = false;
		if (rc == 0 && conn_out_append(c, &b) == 0)
			conn_write(s, c);
		record_buf_free(&b);
	}
	(void)s;
}

/* ---- replies ---- */

int conn_reply_err(record_buf *b, const store_err *e)
{
	return wire_begin(b, OP_REPLY) | wire_code(b, e->code) | wire_str(b, 0, e->msg) | wire_u(b, 0, (uint64_t)e->db_ret);
}

int conn_reply_ok(record_buf *b)
{
	return wire_begin(b, OP_REPLY) | wire_code(b, STORE_OK);
}

void conn_note_changed(server *s, const char *id)
{
	s->changed = true;
	if (!id || s->changed_all)
		return;
	for (size_t i = 0; i < s->n_changed; i++)
		if (strcmp(s->changed_ids[i], id) == 0)
			return;
	if (s->n_changed == PUSH_IDS) {
		s->changed_all = true;
		return;
	}
	s->changed_ids[s->n_changed] = record_strdup(id);
	if (s->changed_ids[s->n_changed])
		s->n_changed++;
	else
		s->changed_all = true;
}

size_t conn_count(server *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_conns; i++)
		n += !s->conns[i]->dead;
	return n;
}

/* Reads what the socket has and runs every whole frame in it. */
void conn_read(server *s, conn *c)
{
	/* one chunk per wake-up: every client gets its turn */
	if (!c->dead && c->held.len == 0 && !c->waiting) {
		if (tag_reserve(&c->in, READ_CHUNK) < 0) {
			c->dead = true;
			return;
		}
		ssize_t n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, MSG_DONTWAIT);
		if (n > 0)
			c->in.len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			c->dead = true; /* closed, or reset */
	}
	size_t off = 0;
	while (!c->dead && c->held.len == 0 && !c->waiting && c->in.len - off >= 4) {
		size_t len;
		if (!wire_frame_len(c->in.data + off, &len)) {
			srv_log(s, "client pid %ld sent a frame of a bad length: closed", (long)c->pid);
			c->dead = true;
			break;
		}
		if (c->in.len - off - 4 < len)
			break;
		wire_msg m;
		char why[128];
		record_buf frame = { c->in.data + off + 4, len, len };
		if (wire_decode(frame.data, len, &m, why, sizeof why) < 0 || m.op == OP_REPLY || m.op == OP_PUSH ||
		    !handle_request(s, c, &m, &frame)) {
			srv_log(s, "client pid %ld sent a malformed frame (%s): closed", (long)c->pid,
			     why[0] ? why : "unexpected operation");
			c->dead = true;
			wire_msg_free(&m);
			break;
		}
		wire_msg_free(&m);
		off += 4 + len;
	}
	if (off) {
		memmove(c->in.data, c->in.data + off, c->in.len - off);
		c->in.len -= off;
	}
}

/* The Unix user name of a connection's uid (or its number when it has
 * none), and the names of its groups. */
static void conn_who(conn *c, uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	c->n_groups = 0;
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || !res || !res->pw_name) {
		snprintf(c->user, sizeof c->user, "%lu", (unsigned long)uid);
		return;
	}
	snprintf(c->user, sizeof c->user, "%s", res->pw_name);
	gid_t gids[32];
	int ng = 32;
	if (getgrouplist(res->pw_name, gid, gids, &ng) < 0)
		ng = 32; /* more than 32: the first 32 */
	for (int i = 0; i < ng && c->n_groups < 32; i++) {
		struct group gr, *gres = NULL;
		char gbuf[4096];
		if (getgrgid_r(gids[i], &gr, gbuf, sizeof gbuf, &gres) == 0 && gres && gres->gr_name)
			snprintf(c->groups[c->n_groups++], sizeof c->groups[0], "%s", gres->gr_name);
	}
}

void conn_accept_all(server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cred;
		socklen_t cl = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0) {
			close(fd);
			continue;
		}
		if ((int)conn_count(s) >= s->max_clients) {
			store_err e;
			err_set(&e, STORE_STORAGE, "the store server of '%s' has %d clients, its limit: close some and retry",
			     s->home, s->max_clients);
			record_buf b = { 0 };
			if (conn_reply_err(&b, &e) == 0 && wire_finish(&b) == 0)
				(void)!send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
			record_buf_free(&b);
			srv_log(s, "refused pid %ld: %d clients", (long)cred.pid, s->max_clients);
			close(fd);
			continue;
		}
		conn *c = calloc(1, sizeof *c);
		conn **v = c ? realloc(s->conns, (s->n_conns + 1) * sizeof *v) : NULL;
		if (!v) {
			free(c);
			close(fd);
			continue;
		}
		s->conns = v;
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		conn_who(c, cred.uid, cred.gid);
		c->read_only = cred.uid != geteuid();
		s->conns[s->n_conns++] = c;
	}
}

/* Frees the closed connections; true when an engine's lease ended with one. */
bool conn_reap(server *s)
{
	size_t j = 0;
	bool detached = false;
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead && c->n_att) {
			srv_log(s, "engine pid %llu on %s detached from %zu execution%s", (unsigned long long)c->engine_pid,
			     c->engine_host, c->n_att, c->n_att == 1 ? "" : "s");
			for (size_t k = 0; k < c->n_att; k++)
				conn_note_changed(s, c->att[k]);
			detached = true;
		}
	}
	for (size_t i = 0; i < s->n_conns; i++) {
		if (s->conns[i]->dead)
			conn_free(s->conns[i]);
		else
			s->conns[j++] = s->conns[i];
	}
	s->n_conns = j;
	return detached;
}

/* After a batch: one flush, then the answers, then the pushes. */
void conn_finish_batch(server *s)
{
	store_err err;
	memset(&err, 0, sizeof err);
	store_code fc = s->db ? dbs_flush(s->db, &err) : STORE_OK;
	if (fc)
		srv_log(s, "%s", err.msg);
	uint64_t g = s->db && s->changed ? dbs_last_generation(s->db) : s->gen;
	if (g < s->gen)
		g = s->gen;
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->held.len == 0)
			continue;
		if (fc && c->held_sync) {
			c->held.len = 0;
			conn_reply_err(&c->held, &err);
		}
		if (wire_finish(&c->held) == 0)
			conn_out_append(c, &c->held);
		else
			c->dead = true;
		c->held.len = 0;
		c->held_sync = false;
	}
	if (g != s->gen || s->changed) {
		s->gen = g;
		for (size_t i = 0; i < s->n_conns; i++) {
			conn *c = s->conns[i];
			if (!c->subscribed)
				continue;
			c->push_pending = true;
			c->push_gen = g;
			c->push_all = c->push_all || s->changed_all;
			for (size_t k = 0; k < s->n_changed && !c->push_all; k++) {
				bool dup = false;
				for (size_t j = 0; j < c->n_push_ids && !dup; j++)
					dup = strcmp(c->push_ids[j], s->changed_ids[k]) == 0;
				if (dup)
					continue;
				if (c->n_push_ids == PUSH_IDS || !(c->push_ids[c->n_push_ids] = record_strdup(s->changed_ids[k])))
					c->push_all = true;
				else
					c->n_push_ids++;
			}
		}
	}
	for (size_t k = 0; k < s->n_changed; k++)
		free(s->changed_ids[k]);
	s->n_changed = 0;
	s->changed = s->changed_all = false;
	/* waiters whose generation passed, or whose time ran out */
	int64_t now = srv_now_ms();
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (!c->waiting || (s->gen <= c->wait_gen && now < c->wait_deadline))
			continue;
		record_buf b = { 0 };
		if (conn_reply_ok(&b) == 0 && wire_u(&b, 0, s->gen) == 0 && wire_finish(&b) == 0)
			conn_out_append(c, &b);
		record_buf_free(&b);
		c->waiting = false;
	}
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead)
			continue;
		conn_write(s, c);
		if (c->subscribed && c->out.len - c->out_off > SUBSCRIBER_OUT_MAX) {
			srv_log(s, "subscriber pid %ld stopped reading: dropped", (long)c->pid);
			c->dead = true;
		}
	}
}

/* Room in the poll array for n entries; false when out of memory. */
bool conn_poll_room(server *s, size_t n)
{
	if (n <= s->pcap)
		return true;
	size_t cap = s->pcap ? s->pcap : 16;
	while (cap < n)
		cap *= 2;
	struct pollfd *p = realloc(s->pfd, cap * sizeof *p);
	if (p)
		s->pfd = p;
	conn **w = p ? realloc(s->pconn, cap * sizeof *w) : NULL;
	if (w)
		s->pconn = w;
	if (!p || !w)
		return false;
	s->pcap = cap;
	return true;
}

/* Reads, without waiting, the requests that arrived on connections free to
 * take one; returns how many connections had input. */
int conn_gather(server *s)
{
	size_t k = 0;
	int got = 0;
	if (!conn_poll_room(s, s->n_conns + 1))
		return 0;
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead || c->held.len || c->waiting)
			continue;
		s->pfd[k].fd = c->fd;
		s->pfd[k].events = POLLIN;
		s->pfd[k].revents = 0;
		s->pconn[k++] = c;
	}
	if (k && poll(s->pfd, k, 0) > 0)
		for (size_t i = 0; i < k; i++)
			if (s->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				conn_read(s, s->pconn[i]);
				got++;
			}
	return got;
}
