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
#include "server_repl.h"
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
	if (c->out.cap > CONN_KEEP)
		record_buf_free(&c->out); /* a long answer's room goes back once it is sent */
	if (c->push_pending && c->subscribed && srv_now_ms() >= c->push_next_ms) {
		c->push_next_ms = srv_now_ms() + PUSH_INTERVAL_MS;
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

size_t conn_buffers(const conn *c)
{
	return c->in.cap + c->out.cap + c->held.cap + c->stage_bytes;
}

bool conn_behind(const conn *c)
{
	return c->out.len - c->out_off > CONN_OUT_MAX;
}

bool conn_has_request(const conn *c)
{
	size_t len;
	return !c->dead && !c->held.len && !c->waiting && !conn_behind(c) && c->in.len >= 4 &&
	       wire_frame_len(c->in.data, &len) && c->in.len - 4 >= len;
}

/* Closes a connection after one line that says why (sent if the socket
 * takes it now), and logs it. */
static void conn_close_saying(server *s, conn *c, const store_err *e)
{
	srv_log(s, "client pid %ld (user %s): %s: closed", (long)c->pid, c->user, e->msg);
	record_buf b = { 0 };
	if (conn_reply_err(&b, e) == 0 && wire_finish(&b) == 0 && conn_out_append(c, &b) == 0)
		conn_write(s, c);
	record_buf_free(&b);
	c->dead = true;
}

/* How many bytes to read now: one chunk per wake-up, so that every client
 * gets its turn, and no more room than the frame begun still needs. */
static size_t read_want(const conn *c)
{
	size_t len;
	if (c->in.len < 4 || !wire_frame_len(c->in.data, &len) || c->in.len >= 4 + len)
		return 4096;
	size_t need = 4 + len - c->in.len;
	return need < 4096 ? 4096 : need > READ_CHUNK ? READ_CHUNK : need;
}

/* Reads what the socket has and runs every whole frame in it.  A
 * connection whose answers are not being read (CONN_OUT_MAX unsent) is not
 * read either until they drain: a client that sends requests without
 * reading the answers holds one answer's worth of the server's memory. */
void conn_read(server *s, conn *c)
{
	if (c->dead || c->held.len || c->waiting || conn_behind(c))
		return;
	/* users other than the owner have their turn each wake-up, for so
	 * long: the rest waits for the next one, after the owner's requests */
	if (!c->owner && srv_now_ms() - s->round_start > OTHERS_ROUND_MS)
		return;
	size_t before = conn_buffers(c);
	size_t len;
	bool refuse_now = !c->owner && c->in.len >= 4 && wire_frame_len(c->in.data, &len) && len > READER_FRAME_MAX;
	if (!refuse_now) {
		size_t want = read_want(c);
		if (tag_reserve(&c->in, want) < 0) {
			c->dead = true;
			return;
		}
		ssize_t n = recv(c->fd, c->in.data + c->in.len, want, MSG_DONTWAIT);
		if (n > 0)
			c->in.len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			c->dead = true; /* closed, or reset */
	}
	size_t off = 0;
	while (!c->dead && c->held.len == 0 && !c->waiting && !conn_behind(c) && c->in.len - off >= 4) {
		if (!wire_frame_len(c->in.data + off, &len)) {
			srv_log(s, "client pid %ld sent a frame of a bad length: closed", (long)c->pid);
			c->dead = true;
			break;
		}
		/* a user who may only read sends small requests: a long frame
		 * from one is refused from its first bytes, never held */
		if (!c->owner && len > READER_FRAME_MAX) {
			store_err e;
			err_set(&e, STORE_INVALID_INPUT, "a request of %zu bytes from user %s, who may only read '%s': "
				"such a user sends at most %u KiB (an answer of 64 KiB and its ids)", len, c->user,
				s->home, READER_FRAME_MAX / 1024);
			conn_close_saying(s, c, &e);
			break;
		}
		if (c->in.len - off - 4 < len)
			break;
		/* past the limit of every buffer together, the owner is still
		 * served; anyone else is told so, in a line, rather than grow
		 * the server */
		if (!c->owner && s->buf_bytes >= s->buf_max) {
			store_err e;
			err_set(&e, STORE_STORAGE, "the store server of '%s' holds %zu MB of answers not yet read and "
				"requests not yet whole, its limit (SEESTORE_BUFFER_MB=%zu): retry once its clients "
				"read their answers", s->home, s->buf_bytes >> 20, s->buf_max >> 20);
			if (conn_reply_err(&c->held, &e) != 0)
				c->dead = true;
			off += 4 + len;
			break;
		}
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
	if (c->in.len == 0 && c->in.cap > CONN_KEEP)
		record_buf_free(&c->in);
	size_t after = conn_buffers(c);
	if (after >= before)
		s->buf_bytes += after - before;
	else
		s->buf_bytes -= before - after < s->buf_bytes ? before - after : s->buf_bytes;
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

/* Whether the group database (/etc/group, NSS) makes uid a member of gid:
 * the kernel let its process connect with the groups it had at login, and
 * a user removed from the home's group since keeps them until it logs out. */
static bool user_in_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || !res || !res->pw_name)
		return true; /* no account to read: the kernel's word stands */
	if (res->pw_gid == gid)
		return true;
	int ng = 64;
	gid_t *gids = NULL;
	for (int tries = 0; tries < 4; tries++) {
		gid_t *v = realloc(gids, (size_t)ng * sizeof *v);
		if (!v)
			break;
		gids = v;
		int want = ng;
		if (getgrouplist(res->pw_name, res->pw_gid, gids, &want) >= 0) {
			bool in = false;
			for (int i = 0; i < want && !in; i++)
				in = gids[i] == gid;
			free(gids);
			return in;
		}
		ng = want > ng ? want : ng * 2;
	}
	free(gids);
	return true; /* cannot tell: the kernel's word stands */
}

/* The home's owner and root read (and the owner writes); anyone else while
 * the group database has them in the home's group. */
static bool user_may_read(server *s, uid_t uid)
{
	return uid == geteuid() || uid == 0 || user_in_group(uid, s->home_gid);
}

static const char *group_name(gid_t gid, char *buf, size_t cap)
{
	struct group gr, *res = NULL;
	char gbuf[4096];
	if (getgrgid_r(gid, &gr, gbuf, sizeof gbuf, &res) == 0 && res && res->gr_name)
		snprintf(buf, cap, "%s", res->gr_name);
	else
		snprintf(buf, cap, "%lu", (unsigned long)gid);
	return buf;
}

/* Refuses a connection before its first request: one line, and closed. */
static void refuse_fd(server *s, int fd, pid_t pid, const store_err *e)
{
	record_buf b = { 0 };
	if (conn_reply_err(&b, e) == 0 && wire_finish(&b) == 0)
		(void)!send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	record_buf_free(&b);
	srv_log(s, "refused pid %ld: %s", (long)pid, e->msg);
	close(fd);
}

/* Why a new connection of uid may not be taken (e filled), or false.  The
 * owner is held only to max_clients, and an eighth of them is kept for it:
 * no other user can fill the server. */
static bool accept_refused(server *s, uid_t uid, store_err *e)
{
	size_t total = 0, others = 0, mine = 0, subscribed = 0;
	s->buf_bytes = 0;
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead)
			continue;
		s->buf_bytes += conn_buffers(c);
		total++;
		others += !c->owner;
		if (c->uid == uid) {
			mine++;
			subscribed += c->subscribed;
		}
	}
	if ((int)total >= s->max_clients) {
		err_set(e, STORE_STORAGE, "the store server of '%s' has %d clients, its limit: close some and retry", s->home,
			s->max_clients);
		return true;
	}
	if (uid == geteuid())
		return false;
	struct passwd pw, *res = NULL;
	char buf[4096], user[64];
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res && res->pw_name)
		snprintf(user, sizeof user, "%s", res->pw_name);
	else
		snprintf(user, sizeof user, "%lu", (unsigned long)uid);
	int kept = s->max_clients > 1 ? (s->max_clients / OWNER_SLOTS_DIV > 0 ? s->max_clients / OWNER_SLOTS_DIV : 1) : 0;
	if ((int)mine >= s->max_per_user) {
		err_set(e, STORE_STORAGE, "user %s has %zu connections to the store server of '%s' (%zu of them watching), "
			"the per-user limit (SEESTORE_MAX_CLIENTS_PER_USER=%d): close some (seetop, seectl logs -f) and retry",
			user, mine, s->home, subscribed, s->max_per_user);
		return true;
	}
	if ((int)others >= s->max_clients - kept) {
		err_set(e, STORE_STORAGE, "the store server of '%s' has %zu clients of users other than its owner, their limit "
			"(%d of its %d are kept for the owner): close some and retry", s->home, others, kept, s->max_clients);
		return true;
	}
	if (!user_may_read(s, uid)) {
		char g[64];
		err_set(e, STORE_READ_ONLY, "user %s is not in group %s, which may read '%s': ask its owner to add you "
			"(a change of groups counts from your next login)", user, group_name(s->home_gid, g, sizeof g),
			s->home);
		return true;
	}
	if (s->buf_bytes >= s->buf_max) {
		err_set(e, STORE_STORAGE, "the store server of '%s' holds %zu MB of answers not yet read and requests not "
			"yet whole, its limit (SEESTORE_BUFFER_MB=%zu): retry once its clients read their answers", s->home,
			s->buf_bytes >> 20, s->buf_max >> 20);
		return true;
	}
	return false;
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
		store_err e;
		if (accept_refused(s, cred.uid, &e)) {
			refuse_fd(s, fd, cred.pid, &e);
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
		c->gid = cred.gid;
		c->pid = cred.pid;
		c->owner = cred.uid == geteuid();
		conn_who(c, cred.uid, cred.gid);
		c->read_only = !c->owner;
		s->conns[s->n_conns++] = c;
	}
}

/* Reads the group database again for every connection: the names of its
 * user's groups (a task's @group respondents), and whether it may still
 * read the home.  One who may not is closed, and told why when it comes
 * back.  Each user is looked up once a round. */
void conn_check_groups(server *s)
{
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (c->dead)
			continue;
		conn *same = NULL;
		for (size_t k = 0; k < i && !same; k++)
			if (s->conns[k]->uid == c->uid && s->conns[k]->gid == c->gid && !s->conns[k]->dead)
				same = s->conns[k];
		if (same) {
			memcpy(c->user, same->user, sizeof c->user);
			memcpy(c->groups, same->groups, sizeof c->groups);
			c->n_groups = same->n_groups;
			continue;
		}
		if (!c->owner && !user_may_read(s, c->uid)) {
			char g[64];
			size_t n = 0;
			for (size_t k = i; k < s->n_conns; k++)
				if (s->conns[k]->uid == c->uid && !s->conns[k]->dead) {
					s->conns[k]->dead = true;
					n++;
				}
			srv_log(s, "user %s is no longer in group %s, which may read the home: %zu connection%s closed", c->user,
				group_name(s->home_gid, g, sizeof g), n, n == 1 ? "" : "s");
			continue;
		}
		conn_who(c, c->uid, c->gid);
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
			repl_conn_closed(s, c); /* a replica's engine: the master hears of it */
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
		if (wire_finish(&c->held) != 0) {
			c->dead = true;
		} else if (c->out_off == c->out.len) {
			/* nothing unsent: the answer becomes the output as it is,
			 * never copied (an export's page is 16 MB) */
			record_buf sent = c->out;
			c->out = c->held;
			c->out_off = 0;
			c->held = sent;
		} else if (conn_out_append(c, &c->held) != 0) {
			c->dead = true;
		}
		c->held.len = 0;
		if (c->held.cap > CONN_KEEP)
			record_buf_free(&c->held);
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
		if (c->dead || c->held.len || c->waiting || conn_behind(c))
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
