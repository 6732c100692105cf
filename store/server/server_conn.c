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

#include "record_int.h"
#include "server_int.h"
#include "server_leases.h"
#include "server_readers.h"
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

/* ---- pushes ----
 *
 * The changes of the batches since the last push are merged (their ids, or
 * "all") and pushed at most every PUSH_INTERVAL_MS to every subscriber at
 * once: the frame is encoded once, with the changed executions as list rows
 * (the record images a list sends), the counts and the generation it
 * follows, for those that asked for rows, and once as ids alone for those
 * of an older revision.  A subscriber whose output is still full then
 * misses it: what it missed is merged into its own ids (at most PUSH_IDS,
 * then "all") and sent, encoded for it alone, once it drains; one that
 * missed PUSH_BEHIND_MAX bytes of pushes is told to reload instead.  Either
 * way a subscriber holds at most one push of the server's memory. */

/* Merges ids into a set of at most PUSH_IDS; past it, or out of memory, *all. */
static void ids_merge(char **set, size_t *n, bool *all, const char *const *ids, size_t m)
{
	for (size_t k = 0; k < m && !*all; k++) {
		bool dup = false;
		for (size_t j = 0; j < *n && !dup; j++)
			dup = strcmp(set[j], ids[k]) == 0;
		if (dup)
			continue;
		if (*n == PUSH_IDS || !(set[*n] = record_strdup(ids[k])))
			*all = true;
		else
			(*n)++;
	}
	if (*all) {
		for (size_t j = 0; j < *n; j++)
			free(set[j]);
		*n = 0;
	}
}

static void push_clear(conn *c)
{
	for (size_t i = 0; i < c->n_push_ids; i++)
		free(c->push_ids[i]);
	c->n_push_ids = 0;
	c->push_pending = c->push_all = c->push_reload = false;
	c->push_behind = 0;
}

/* What a row does not say and a dashboard shows beside it (WIRE_MARK_*). */
static unsigned char row_mark(server *s, const record_exec *e)
{
	store_err err;
	if (e->status == EXEC_WAITING) {
		store_item it;
		if (dbs_get_item(s->db, e->id, &it, &err) != STORE_OK)
			return 0;
		bool paused = store_item_paused(&it);
		store_item_free(&it);
		return paused ? WIRE_MARK_PAUSED : 0;
	}
	if (e->status == EXEC_RUNNING && !e->engine_attached) {
		record_event *ev = NULL;
		size_t n = 0;
		if (dbs_events(s->db, e->id, 0, 1, &ev, &n, &err) != STORE_OK)
			return 0;
		bool stranded = n && store_exec_stranded(e, ev[0].action);
		record_event_array_free(ev, n);
		return stranded ? WIRE_MARK_STRANDED : 0;
	}
	return 0;
}

/* The rows of the executions named, as images, then the ids of those gone,
 * into b (a push begun); *n_rows of them, their marks into marks.  -1: out
 * of memory; 1: more than PUSH_ROWS_BYTES_MAX (b is then left as begun). */
static int push_rows(server *s, const char *const *ids, size_t n, record_buf *b, size_t *n_rows,
		     unsigned char *marks)
{
	size_t mark = b->len;
	const char *gone[PUSH_IDS];
	size_t n_gone = 0;
	record_buf img = { 0 };
	int rc = 0;
	*n_rows = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		record_exec e;
		store_err err;
		if (dbs_get(s->db, ids[i], &e, &err) != STORE_OK) {
			if (err.code == STORE_NOT_FOUND)
				gone[n_gone++] = ids[i];
			else
				rc = 1; /* cannot say: the subscribers read it themselves */
			continue;
		}
		e.engine_attached = handle_attached(s, e.id);
		marks[*n_rows] = row_mark(s, &e);
		img.len = 0;
		rc = record_image_exec(&e, &img) < 0 || wire_blob_add(b, img.data, img.len) < 0 ? -1 : 0;
		record_exec_free(&e);
		(*n_rows)++;
		if (!rc && b->len - mark > PUSH_ROWS_BYTES_MAX)
			rc = 1;
	}
	for (size_t i = 0; i < n_gone && !rc; i++)
		rc = wire_blob_add(b, gone[i], strlen(gone[i]));
	record_buf_free(&img);
	if (rc)
		b->len = mark;
	return rc;
}

/* A few rows bring what a dashboard shows of the one it has selected: each
 * row's item, its tasks without their lines (their count says whether
 * lines came), with its events since the last push (after event seq
 * `after`; at most WIRE_PUSH_EVENTS); into b after the rows and the ids
 * gone.  How many were added (all the rows', or none). */
static size_t push_details(server *s, const char *const *ids, size_t n, uint64_t after, record_buf *b)
{
	size_t mark = b->len, added = 0;
	for (size_t i = 0; i < n; i++) {
		store_item it;
		store_err err;
		if (dbs_get_item(s->db, ids[i], &it, &err) != STORE_OK)
			continue; /* gone: no row either */
		it.exec.engine_attached = handle_attached(s, it.exec.id);
		/* its tasks as they are, but for their lines */
		record_task *tasks = it.n_tasks ? malloc(it.n_tasks * sizeof *tasks) : NULL;
		store_item view = { it.exec, tasks, it.n_tasks, NULL, 0 };
		for (size_t k = 0; tasks && k < it.n_tasks; k++) {
			tasks[k] = it.tasks[k];
			tasks[k].logs = NULL;
			tasks[k].n_logs = 0;
		}
		bool fine = (tasks || !it.n_tasks) &&
			    dbs_events_after(s->db, it.exec.id, after, WIRE_PUSH_EVENTS + 1, &view.events, &view.n_events,
					     &err) == STORE_OK &&
			    view.n_events <= WIRE_PUSH_EVENTS && wire_item_encode(b, &view) == 0;
		record_event_array_free(view.events, view.n_events);
		free(tasks);
		store_item_free(&it);
		if (!fine) {
			b->len = mark;
			return 0;
		}
		added++;
	}
	return added;
}

/* One push frame: the changes between generations from and to (ids, or
 * all), with rows or as ids alone; a reload, with rows asked, says so. */
static int push_encode(server *s, const char *const *ids, size_t n, bool all, bool reload, uint64_t from, uint64_t to,
		       bool rows, bool details_ok, record_buf *b)
{
	b->len = 0;
	if (!rows) {
		int rc = wire_begin(b, OP_PUSH) | wire_u(b, 0, to) | wire_u(b, 1, all || reload);
		for (size_t i = 0; i < n && !all && !reload; i++)
			rc |= wire_blob_add(b, ids[i], strlen(ids[i]));
		return rc | wire_finish(b);
	}
	int rc = wire_begin(b, OP_PUSH) | wire_u(b, 0, to) | wire_u(b, WIRE_PUSH_FROM, from);
	uint64_t counts[EXEC_STATUS_COUNT], g = 0;
	store_err err;
	if (!rc && s->db && dbs_counts(s->db, counts, &g, &err) == STORE_OK)
		for (int i = 0; i < EXEC_STATUS_COUNT; i++)
			rc |= wire_u(b, WIRE_LIST_COUNTS + i, counts[i]);
	else
		all = true;
	size_t n_rows = 0;
	unsigned char marks[PUSH_IDS];
	size_t details = 0;
	if (!rc && !all && !reload) {
		int r = push_rows(s, ids, n, b, &n_rows, marks);
		if (r < 0)
			return -1;
		all = r > 0;
		if (!all && details_ok && n_rows && n_rows <= PUSH_DETAILS_MAX)
			details = push_details(s, ids, n, s->push_event_seq, b);
		if (details != n_rows)
			details = 0; /* an execution went meanwhile: its blobs stay unread */
	}
	if (all || reload)
		n_rows = details = 0;
	rc |= wire_u(b, WIRE_PUSH_DETAILS, details) | wire_u(b, 1, all || reload) | wire_u(b, WIRE_PUSH_FLAGS, WIRE_PUSH_WITH_ROWS | (reload ? WIRE_PUSH_RELOAD : 0)) |
	      wire_u(b, WIRE_PUSH_ROWS, n_rows);
	if (n_rows)
		rc |= wire_s(b, 0, marks, n_rows);
	return rc | wire_finish(b);
}

/* The newest event now: the next push's details bring the events after it. */
static void push_event_mark(server *s)
{
	record_event *ev = NULL;
	size_t n = 0;
	store_err err;
	if (s->db && dbs_events(s->db, NULL, 0, 1, &ev, &n, &err) == STORE_OK && n)
		s->push_event_seq = ev[0].seq;
	record_event_array_free(ev, n);
}

void conn_push_tick(server *s, int *timeout)
{
	if (!s->push_any)
		return;
	int64_t now = srv_now_ms();
	if (now < s->push_next_ms) {
		if (timeout && s->push_next_ms - now < *timeout)
			*timeout = (int)(s->push_next_ms - now);
		return;
	}
	const char *const *ids = (const char *const *)s->push_ids;
	record_buf frame[2] = { { 0 }, { 0 } }; /* ids alone, with rows: each encoded once, when first wanted */
	bool built[2] = { false, false }, fine[2] = { false, false };
	uint64_t to = s->gen;
	for (size_t i = 0; i < s->n_conns; i++) {
		conn *c = s->conns[i];
		if (!c->subscribed || c->dead)
			continue;
		int k = c->push_rows;
		if (!built[k]) {
			built[k] = true;
			fine[k] = push_encode(s, ids, s->n_push_ids, s->push_all, false, s->push_from, to, k, true,
					      &frame[k]) == 0;
		}
		if (!c->push_pending && c->push_from == s->push_from && c->out_off == c->out.len && fine[k]) {
			if (conn_out_append(c, &frame[k]) != 0)
				c->dead = true;
			c->push_from = to;
			s->pushes_sent++;
			continue;
		}
		/* its output is full: it hears of this once it drains */
		c->push_pending = true;
		ids_merge(c->push_ids, &c->n_push_ids, &c->push_all, ids, s->n_push_ids);
		c->push_all = c->push_all || s->push_all || !fine[k];
		c->push_behind += frame[k].len;
		if (c->push_behind > PUSH_BEHIND_MAX && !c->push_reload) {
			c->push_reload = c->push_all = true;
			ids_merge(c->push_ids, &c->n_push_ids, &c->push_all, NULL, 0);
			srv_log(s, "subscriber pid %ld missed %zu KB of pushes: told to reload once it reads again",
				(long)c->pid, c->push_behind >> 10);
		}
	}
	record_buf_free(&frame[0]);
	record_buf_free(&frame[1]);
	for (size_t i = 0; i < s->n_push_ids; i++)
		free(s->push_ids[i]);
	s->n_push_ids = 0;
	s->push_any = s->push_all = false;
	s->push_from = to;
	push_event_mark(s);
	s->push_next_ms = now + PUSH_INTERVAL_MS;
	for (size_t i = 0; i < s->n_conns; i++)
		if (s->conns[i]->subscribed && !s->conns[i]->dead)
			conn_write(s, s->conns[i]);
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
	/* one that missed pushes while its output was full hears of them
	 * now, merged into one: encoded for it alone */
	if (c->push_pending && c->subscribed && !c->dead) {
		record_buf b = { 0 };
		/* no details: its events would not follow the last push's */
		int rc = push_encode(s, (const char *const *)c->push_ids, c->n_push_ids, c->push_all, c->push_reload,
				     c->push_from, s->push_from, c->push_rows, false, &b);
		push_clear(c);
		c->push_from = s->push_from;
		s->pushes_sent++;
		s->pushes_own++;
		if (rc == 0 && conn_out_append(c, &b) == 0)
			conn_write(s, c);
		record_buf_free(&b);
	}
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
	return !c->dead && !c->held.len && !c->waiting && !c->in_reader && !c->reader_wait && !conn_behind(c) &&
	       c->in.len >= 4 &&
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
	if (c->dead || c->held.len || c->waiting || c->in_reader || c->reader_wait || conn_behind(c))
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
	while (!c->dead && c->held.len == 0 && !c->waiting && !c->in_reader && !conn_behind(c) && c->in.len - off >= 4) {
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
		int bad = wire_decode(frame.data, len, &m, why, sizeof why) < 0 || m.op == OP_REPLY || m.op == OP_PUSH;
		/* a long read of a user with its share of them running waits
		 * in the input, for one of them to end (readers_collect); at a
		 * replica, a read that says which engines are attached, for the
		 * master's set (leases_tick) */
		if (!bad && (readers_must_wait(s, c, m.op) || leases_must_wait(s, m.op))) {
			c->reader_wait = true;
			wire_msg_free(&m);
			break;
		}
		if (bad || !handle_request(s, c, &m, &frame)) {
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
		c->id = ++s->conn_ids;
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
		if (s->conns[i]->dead && (s->conns[i]->in_reader || s->conns[i]->snap))
			readers_conn_gone(s, s->conns[i]);
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
	if (s->die_now && !fc) {
		/* committed (flushed, unless its client asked for no flush) and
		 * held by a quorum; its answer never sent */
		srv_log(s, "exiting before answering a change to '%s' (SEESTORE_TEST_DIE_AFTER_COMMIT)", s->die_after);
		_exit(137);
	}
	s->die_now = false; /* a flush that failed: its batch is answered with the error */
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
		s->push_any = true;
		s->push_all = s->push_all || s->changed_all || s->n_changed == 0; /* nothing named: all */
		ids_merge(s->push_ids, &s->n_push_ids, &s->push_all, (const char *const *)s->changed_ids, s->n_changed);
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
	conn_push_tick(s, NULL);
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
		if (c->dead || c->held.len || c->waiting || c->in_reader || c->reader_wait || conn_behind(c))
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
