/* server_remote.c - the clients of a replica as the master knows them:
 * the envelope a replica adds to each frame it forwards, and at the master
 * the remote clients it names, with their engines' leases.
 *
 * A replica adds to each frame it forwards (wire_fwd) who sent it there:
 * the user SO_PEERCRED named, its groups, whether it is the replica home's
 * owner and whether it may only read, and the connection's name (this
 * site's address, this server's pid, a number: its lease's key).  The
 * master heeds it only on a connection of its own process, which only its
 * message threads make (server_repl.c's run_forwarded): there the request is made for that
 * user, with the rights rules of any request (read-only users,
 * respondents), and an engine's lease is kept under that name, not on the
 * message thread's connection.  Messages of the replica's own carry an
 * envelope on an OP_GENERATION: the lease of a connection that closed has
 * ended; and the leases of all its engines, told to a new master after an
 * election (or again, when a message about a lease was lost), between a
 * first and a last message, so that a lease the master holds and the
 * replica no longer does ends. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbs_repl.h"
#include "server_remote.h"
#include "tag.h"

enum { E_KIND = 1, E_SITE, E_PID, E_SERIAL, E_UID, E_GID, E_USER, E_GROUP, E_FLAGS, E_ENGINE_PID, E_ENGINE_HOST, E_ATT };
enum { ENV_OWNER = 1, ENV_READ_ONLY = 2, ENV_RO_ASKED = 4 };

static char self_addr[DBS_REPL_ADDR_MAX]; /* this site's address (remote_set_self) */
static uint64_t serials;

void remote_set_self(const char *addr)
{
	snprintf(self_addr, sizeof self_addr, "%s", addr);
}

int remote_envelope(record_buf *e, conn *c, int kind)
{
	if (c && !c->serial)
		c->serial = ++serials;
	e->len = 0;
	int rc = tag_put_varint(e, E_KIND, (uint64_t)kind) | tag_put_bytes(e, E_SITE, self_addr, strlen(self_addr)) |
		 tag_put_varint(e, E_PID, (uint64_t)getpid());
	if (!c)
		return rc ? -1 : 0;
	rc |= tag_put_varint(e, E_SERIAL, c->serial);
	if (kind == REMOTE_LEASE_END)
		return rc ? -1 : 0;
	rc |= tag_put_varint(e, E_UID, c->uid) | tag_put_varint(e, E_GID, c->gid) |
	      tag_put_bytes(e, E_USER, c->user, strlen(c->user)) |
	      tag_put_varint(e, E_FLAGS, (c->owner ? ENV_OWNER : 0) | (c->read_only ? ENV_READ_ONLY : 0) |
						 (c->ro_asked ? ENV_RO_ASKED : 0));
	for (size_t i = 0; i < c->n_groups; i++)
		rc |= tag_put_bytes(e, E_GROUP, c->groups[i], strlen(c->groups[i]));
	if (kind == REMOTE_LEASE) {
		rc |= tag_put_varint(e, E_ENGINE_PID, c->engine_pid) |
		      tag_put_bytes(e, E_ENGINE_HOST, c->engine_host, strlen(c->engine_host));
		for (size_t i = 0; i < c->n_att; i++)
			rc |= tag_put_bytes(e, E_ATT, c->att[i], strlen(c->att[i]));
	}
	return rc ? -1 : 0;
}

int remote_put_frame(record_buf *b, const void *p, size_t len, const record_buf *env)
{
	size_t at = b->len;
	if (tag_put_raw(b, "\0\0\0\0", 4) < 0 || tag_put_raw(b, p, len) < 0 || wire_fwd(b, env->data, env->len) < 0)
		return -1;
	size_t n = b->len - at - 4;
	if (n > WIRE_FRAME_MAX)
		return -1;
	b->data[at] = (unsigned char)(n >> 24);
	b->data[at + 1] = (unsigned char)(n >> 16);
	b->data[at + 2] = (unsigned char)(n >> 8);
	b->data[at + 3] = (unsigned char)n;
	return 0;
}

/* The next field of an envelope: 1 (a number in *v, or bytes in *b), 0 at
 * its end, -1 when it is malformed. */
static int env_next(tag_reader *r, unsigned *tag, uint64_t *v, wire_blob *b)
{
	uint64_t key, n;
	if (r->p >= r->end)
		return 0;
	if (tag_read_varint(r, &key) < 0)
		return -1;
	*tag = key >> 1 > 64 ? 0 : (unsigned)(key >> 1);
	if ((key & 1) == TAG_VARINT)
		return tag_read_varint(r, v) < 0 ? -1 : 1;
	if (tag_read_varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
		return -1;
	b->p = r->p;
	b->len = (size_t)n;
	r->p += n;
	return 1;
}

void remote_text(char *out, size_t cap, const wire_blob *b)
{
	size_t n = b->len < cap ? b->len : cap - 1;
	memcpy(out, b->p, n);
	out[n] = '\0';
}

/* ---- the master: the clients of replicas, and their engines' leases ---- */

typedef struct remote {
	conn c;         /* first: who it is, and its lease (c.att), as the replica's connection holds them */
	char site[DBS_REPL_ADDR_MAX];
	uint64_t pid, serial;
	int gone_looks; /* looks at the group that found its site disconnected, in a row */
	bool unsure;    /* its replica is telling all its leases, and has not named this one yet */
} remote;

static remote **remotes;
static size_t n_remotes;

static void remote_end(server *s, size_t i, const char *why)
{
	remote *r = remotes[i];
	if (r->c.n_att) {
		srv_log(s, "engine pid %llu on %s (through site %s) detached from %zu execution%s: %s",
			(unsigned long long)r->c.engine_pid, r->c.engine_host, r->site, r->c.n_att,
			r->c.n_att == 1 ? "" : "s", why);
		for (size_t k = 0; k < r->c.n_att; k++)
			conn_note_changed(s, r->c.att[k]);
	}
	conn_free(&r->c);
	remotes[i] = remotes[--n_remotes];
}

void remote_end_all(server *s, const char *why)
{
	while (n_remotes)
		remote_end(s, n_remotes - 1, why);
}

conn *remote_for(server *s, conn *c, const wire_msg *m)
{
	if (!m->fwd.len || c->pid != getpid() || !c->owner)
		return NULL; /* from the server's own message threads only */
	tag_reader r = { m->fwd.p, m->fwd.p + m->fwd.len };
	unsigned tag;
	uint64_t v = 0, kind = REMOTE_REQUEST, pid = 0, serial = 0;
	wire_blob b = { 0 }, site = { 0 };
	int k;
	while ((k = env_next(&r, &tag, &v, &b)) > 0)
		if (tag == E_KIND)
			kind = v;
		else if (tag == E_SITE)
			site = b;
		else if (tag == E_PID)
			pid = v;
		else if (tag == E_SERIAL)
			serial = v;
	if (k < 0 || site.len >= DBS_REPL_ADDR_MAX)
		return NULL;
	if (kind == REMOTE_LEASES_FIRST || kind == REMOTE_LEASES_LAST) {
		for (size_t j = n_remotes; j-- > 0;)
			if (remotes[j]->pid == pid && strlen(remotes[j]->site) == site.len &&
			    memcmp(remotes[j]->site, site.p, site.len) == 0) {
				if (kind == REMOTE_LEASES_FIRST)
					remotes[j]->unsure = true;
				else if (remotes[j]->unsure)
					remote_end(s, j, "that site no longer holds it");
			}
		return NULL;
	}
	if (!serial)
		return NULL;
	size_t i = 0;
	while (i < n_remotes && !(remotes[i]->pid == pid && remotes[i]->serial == serial &&
				  strlen(remotes[i]->site) == site.len && memcmp(remotes[i]->site, site.p, site.len) == 0))
		i++;
	if (kind == REMOTE_LEASE_END) {
		if (i < n_remotes)
			remote_end(s, i, "its connection to that site closed");
		return NULL;
	}
	if (i == n_remotes) {
		remote **nv = realloc(remotes, (n_remotes + 1) * sizeof *nv);
		remote *nr = calloc(1, sizeof *nr);
		if (!nv || !nr) {
			free(nr);
			if (nv)
				remotes = nv;
			return NULL;
		}
		remotes = nv;
		nr->c.fd = -1;
		nr->pid = pid;
		nr->serial = serial;
		remote_text(nr->site, sizeof nr->site, &site);
		remotes[n_remotes++] = nr;
	}
	remote *re = remotes[i];
	conn *w = &re->c;
	bool known = re->unsure || w->n_att; /* a lease the master held already */
	re->unsure = false;
	w->n_groups = 0;
	w->revision = c->revision;
	bool lease = kind == REMOTE_LEASE;
	char host[sizeof w->engine_host] = "";
	if (lease) {
		for (size_t a = 0; a < w->n_att; a++)
			free(w->att[a]);
		w->n_att = 0;
	}
	r.p = m->fwd.p;
	while (env_next(&r, &tag, &v, &b) > 0) {
		if (tag == E_UID)
			w->uid = (uid_t)v;
		else if (tag == E_GID)
			w->gid = (gid_t)v;
		else if (tag == E_USER)
			remote_text(w->user, sizeof w->user, &b);
		else if (tag == E_GROUP && w->n_groups < sizeof w->groups / sizeof w->groups[0])
			remote_text(w->groups[w->n_groups++], sizeof w->groups[0], &b);
		else if (tag == E_FLAGS) {
			w->owner = (v & ENV_OWNER) != 0;
			w->read_only = (v & ENV_READ_ONLY) != 0;
			w->ro_asked = (v & ENV_RO_ASKED) != 0;
		} else if (lease && tag == E_ENGINE_PID)
			w->engine_pid = v;
		else if (lease && tag == E_ENGINE_HOST)
			remote_text(host, sizeof host, &b);
		else if (lease && tag == E_ATT && b.len < 1024) {
			char id[1024];
			remote_text(id, sizeof id, &b);
			handle_lease_add(w, id, w->engine_pid, host);
			conn_note_changed(s, id);
		}
	}
	if (lease) {
		if (!known)
			srv_log(s, "engine pid %llu on %s drives %zu execution%s through site %s",
				(unsigned long long)w->engine_pid, w->engine_host, w->n_att, w->n_att == 1 ? "" : "s",
				re->site);
		remote_done(w);
		return NULL;
	}
	return w;
}

void remote_done(conn *w)
{
	if (!w || w->n_att)
		return; /* a lease: kept until the replica says it ended */
	for (size_t i = 0; i < n_remotes; i++)
		if (&remotes[i]->c == w) {
			conn_free(w);
			remotes[i] = remotes[--n_remotes];
			return;
		}
}

conn *remote_leased(const char *id, size_t len)
{
	for (size_t i = 0; i < n_remotes; i++)
		for (size_t k = 0; k < remotes[i]->c.n_att; k++)
			if (strlen(remotes[i]->c.att[k]) == len && memcmp(remotes[i]->c.att[k], id, len) == 0)
				return &remotes[i]->c;
	return NULL;
}

void remote_leased_each(void (*fn)(void *ctx, const char *id), void *ctx)
{
	for (size_t i = 0; i < n_remotes; i++)
		for (size_t k = 0; k < remotes[i]->c.n_att; k++)
			fn(ctx, remotes[i]->c.att[k]);
}

bool remote_any_leased(void)
{
	for (size_t i = 0; i < n_remotes; i++)
		if (remotes[i]->c.n_att)
			return true;
	return false;
}

void remote_check(server *s)
{
	static int64_t next;
	int64_t now = srv_now_ms();
	if (!n_remotes || now < next)
		return;
	next = now + 1000;
	dbs_repl_info in;
	store_err e;
	if (dbs_repl_status(s->db, &in, &e) != STORE_OK)
		return;
	for (size_t i = n_remotes; i-- > 0;) {
		remote *r = remotes[i];
		bool down = false;
		for (size_t k = 0; k < in.n_sites; k++)
			if (strcmp(in.sites[k].addr, r->site) == 0)
				down = !in.sites[k].connected;
		r->gone_looks = down ? r->gone_looks + 1 : 0;
		if (r->gone_looks >= 3)
			remote_end(s, i, "that site is disconnected");
	}
}
