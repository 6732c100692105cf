/* server_leases.c - the engines attached elsewhere in a replication group.
 *
 * An engine's lease is its connection: to this site's server, or, for an
 * engine attached through a replica, also the master's copy of it
 * (server_remote.c).  So the master knows every attached engine, and a
 * replica only its own: without more, a dashboard at a replica marks an
 * execution "? no engine" while its engine is attached at another site.
 *
 * - The master's main thread publishes its set (sorted ids, at most
 *   LEASES_BYTES_MAX of them, else "too many") to the database layer, every
 *   LEASES_PUBLISH_MS while a replica asked within the last 3 s, never
 *   otherwise (dbs_repl_attached_publish); the message threads answer with
 *   it (MSG_ATTACHED, dbs_repl.c), or "same" when the replica holds that
 *   version.
 * - A replica asks on a thread of its own (the watcher: the master may
 *   hang, and the main loop must not), at most once a LEASES_ASK_MS, only
 *   while it has subscribers or a read needed the set in the last
 *   LEASES_WANT_MS.  An idle group asks nothing.
 * - The replica's view is its own engines and the master's set.  When the
 *   set changes, the executions that came or went are pushed to its
 *   dashboards.  A set the master did not confirm for LEASES_KEEP_MS (it
 *   hangs, or no master is elected) is dropped: then the replica shows its
 *   own engines only, as before it asked.  A set too large to send makes
 *   every execution count as attached (nothing is marked stranded for
 *   want of knowing).
 * - A read whose answer says which engines are attached (list, get, show,
 *   paused) runs at once on the set held, and asks for a fresh one when it
 *   is older than LEASES_FRESH_MS (for the reads that follow); no read
 *   waits for the master, which may hang. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "server_leases.h"
#include "server_remote.h"
#include "tag.h"

#define LEASES_BYTES_MAX (64u * 1024) /* the master's set, encoded: past it, "too many" */
#define LEASES_PUBLISH_MS 200   /* the master's publications while replicas ask */
#define LEASES_ASK_MS 1000      /* a replica asks at most this often */
#define LEASES_WANT_MS 3000     /* it goes on asking this long after a read needed the set */
#define LEASES_FRESH_MS 1500    /* a read waits for a set asked now when the last is older */
#define LEASES_WAIT_MS 300      /* and waits at most this long: a read at a replica whose master hangs is not held up */
#define LEASES_KEEP_MS 10000    /* a set the master did not confirm this long is dropped */
#define LEASES_BACKOFF_MS 10000 /* after a question left unanswered, reads wait for none this long */
#define ENDED_MS 5000           /* a lease that ended here outweighs the master's set this long, at most */
#define ENDED_MAX 4096
#define ID_TAG 1

/* ---- the master: its set, published ---- */

typedef struct id_list {
	const char **v;
	size_t n, cap;
	bool failed;
} id_list;

static void id_push(void *ctx, const char *id)
{
	id_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		const char **v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			l->failed = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void publish(server *s)
{
	id_list l = { 0 };
	for (size_t i = 0; i < s->n_conns; i++)
		for (size_t k = 0; !s->conns[i]->dead && k < s->conns[i]->n_att; k++)
			id_push(&l, s->conns[i]->att[k]);
	remote_leased_each(id_push, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, by_text);
	record_buf b = { 0 };
	bool too_many = l.failed;
	for (size_t i = 0; i < l.n && !too_many; i++) {
		if (i && strcmp(l.v[i], l.v[i - 1]) == 0)
			continue;
		too_many = tag_put_bytes(&b, ID_TAG, l.v[i], strlen(l.v[i])) < 0 || b.len > LEASES_BYTES_MAX;
	}
	dbs_repl_attached_publish(s->db, b.data, b.len, too_many);
	record_buf_free(&b);
	free(l.v);
}

/* ---- a replica: the watcher asks the master ---- */

static struct watcher {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, paused, asking;
	int64_t want_until;   /* ms: it asks while the clock is before this */
	int64_t asked_at;     /* ms: its last question began */
	dbs *db;
	/* its last answer, for the main thread */
	uint64_t results;     /* answers and failures so far */
	dbs_att_answer answer;
	bool fresh_ids;       /* ids holds a version the main thread has not taken */
	dbs_att_answer fresh_kind; /* what brought it: DBS_ATT_NEW or DBS_ATT_TOO_MANY */
	uint64_t version;     /* the version held (0: none) */
	record_buf ids;
} wt = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .answer = DBS_ATT_UNKNOWN,
	  .fresh_kind = DBS_ATT_UNKNOWN };

/* (srv_now_ms's clock: the condition waits on CLOCK_MONOTONIC) */
static void wait_until(int64_t ms)
{
	struct timespec ts;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	pthread_cond_timedwait(&wt.cond, &wt.lock, &ts);
}

static void *watcher_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wt.lock);
	for (;;) {
		int64_t now = srv_now_ms();
		if (wt.paused || now >= wt.want_until) {
			pthread_cond_wait(&wt.cond, &wt.lock);
			continue;
		}
		if (wt.asked_at && now - wt.asked_at < LEASES_ASK_MS) {
			wait_until(wt.asked_at + LEASES_ASK_MS);
			continue;
		}
		wt.asked_at = now;
		wt.asking = true;
		uint64_t version = wt.version;
		pthread_mutex_unlock(&wt.lock);
		record_buf ids = { 0 };
		dbs_att_answer a = dbs_repl_attached_ask(wt.db, &version, &ids);
		pthread_mutex_lock(&wt.lock);
		wt.asking = false;
		wt.answer = a;
		if (a == DBS_ATT_NEW || a == DBS_ATT_TOO_MANY) {
			record_buf_free(&wt.ids);
			wt.ids = ids;
			ids = (record_buf){ 0 };
			wt.version = version;
			wt.fresh_ids = true;
			wt.fresh_kind = a;
		}
		wt.results++;
		record_buf_free(&ids);
		pthread_cond_broadcast(&wt.cond);
	}
	return NULL;
}

void leases_pause(void)
{
	pthread_mutex_lock(&wt.lock);
	wt.paused = true;
	while (wt.asking)
		pthread_cond_wait(&wt.cond, &wt.lock);
	pthread_mutex_unlock(&wt.lock);
}

/* ---- a replica: the master's set, the main thread's ---- */

static struct {
	char **v;             /* sorted */
	size_t n;
	bool too_many;
	bool held;            /* a set is held (v, or too_many) */
	int64_t confirmed;    /* ms: the master last answered */
	uint64_t results;     /* the watcher's results taken */
	int64_t waiting_since; /* ms: a read waits for an answer (0: none) */
	int64_t gave_up;      /* ms: a wait ended without an answer */
	int64_t want_until;   /* ms: a read needed the set */
	int64_t looked;       /* ms: the last look at the subscribers */
	dbs_repl_role role;   /* the site's, at leases_tick's last look */
	/* leases of this replica's engines that ended here: the master's set
	 * names them until it hears of it, and a dashboard here would see the
	 * engine come back for a second; so they are not taken from that set
	 * until a set without them comes, or ENDED_MS passed */
	struct ended {
		char *id;
		int64_t at;
	} ended[ENDED_MAX];
	size_t n_ended;
} el;

static int id_cmp(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : alen < blen ? -1 : alen > blen;
}

static bool ended_here(const char *id, size_t len)
{
	for (size_t i = 0; i < el.n_ended; i++)
		if (id_cmp(id, len, el.ended[i].id) == 0)
			return true;
	return false;
}

bool leases_elsewhere(const char *id, size_t len)
{
	if (el.n_ended && ended_here(id, len))
		return false;
	if (el.too_many)
		return true;
	size_t lo = 0, hi = el.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = id_cmp(id, len, el.v[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

bool leases_any_elsewhere(void)
{
	return el.too_many || el.n;
}

bool leases_unknown(void)
{
	return el.too_many;
}

void leases_elsewhere_each(void (*fn)(void *ctx, const char *id), void *ctx)
{
	for (size_t i = 0; i < el.n; i++)
		if (!el.n_ended || !ended_here(el.v[i], strlen(el.v[i])))
			fn(ctx, el.v[i]);
}

void leases_ended_here(const char *const *ids, size_t n)
{
	if (!el.held)
		return;
	int64_t now = srv_now_ms();
	for (size_t i = 0; i < n; i++) {
		if (el.n_ended == ENDED_MAX) { /* the oldest goes */
			free(el.ended[0].id);
			memmove(el.ended, el.ended + 1, --el.n_ended * sizeof el.ended[0]);
		}
		char *id = strdup(ids[i]);
		if (id)
			el.ended[el.n_ended++] = (struct ended){ id, now };
	}
}

/* The ended leases the master's set no longer names, or that waited long
 * enough, are forgotten. */
static void ended_settle(int64_t now)
{
	size_t j = 0;
	for (size_t i = 0; i < el.n_ended; i++) {
		char *id = el.ended[i].id;
		bool named = false;
		for (size_t k = 0; k < el.n && !named; k++)
			named = strcmp(el.v[k], id) == 0;
		if (named && now - el.ended[i].at < ENDED_MS)
			el.ended[j++] = el.ended[i];
		else
			free(id);
	}
	el.n_ended = j;
}

static void set_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Installs a new set (v sorted, or too_many), and notes for the pushes
 * each execution whose engine came or went. */
static void set_install(server *s, char **v, size_t n, bool too_many)
{
	if (too_many != el.too_many) {
		conn_note_changed(s, NULL);
		s->changed_all = true;
	} else {
		size_t i = 0, k = 0;
		while (i < el.n || k < n) {
			int c = i == el.n ? 1 : k == n ? -1 : strcmp(el.v[i], v[k]);
			if (c < 0)
				conn_note_changed(s, el.v[i++]);
			else if (c > 0)
				conn_note_changed(s, v[k++]);
			else
				i++, k++;
		}
	}
	set_free(el.v, el.n);
	el.v = v;
	el.n = n;
	el.too_many = too_many;
	ended_settle(srv_now_ms());
}

static void set_drop(server *s, const char *why)
{
	if (el.held)
		srv_log(s, "replication: the engines attached at other sites are no longer known (%s): this site "
			"shows its own", why);
	set_install(s, NULL, 0, false);
	el.held = false;
	pthread_mutex_lock(&wt.lock);
	wt.version = 0; /* the next answer is a whole set */
	pthread_mutex_unlock(&wt.lock);
}

static int by_ptr_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of an answer, sorted; false when it is malformed or memory ran out. */
static bool set_decode(const record_buf *b, char ***out, size_t *n_out)
{
	tag_reader r = { b->data, b->data + b->len };
	char **v = NULL;
	size_t n = 0, cap = 0;
	uint64_t key, len;
	while (r.p < r.end) {
		if (tag_read_varint(&r, &key) < 0 || key != ((ID_TAG << 1) | TAG_BYTES) || tag_read_varint(&r, &len) < 0 ||
		    len > (uint64_t)(r.end - r.p))
			goto bad;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nv = realloc(v, cap * sizeof *nv);
			if (!nv)
				goto bad;
			v = nv;
		}
		if (!(v[n] = malloc((size_t)len + 1)))
			goto bad;
		memcpy(v[n], r.p, (size_t)len);
		v[n++][len] = '\0';
		r.p += len;
	}
	if (n)
		qsort(v, n, sizeof *v, by_ptr_text);
	*out = v;
	*n_out = n;
	return true;
bad:
	set_free(v, n);
	return false;
}

static void watcher_start(server *s)
{
	if (wt.started)
		return;
	wt.db = s->db;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&wt.cond);
	pthread_cond_init(&wt.cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_t t;
	int rc = pthread_create(&t, NULL, watcher_main, NULL);
	static bool said; /* tried again at each look: said once */
	wt.started = rc == 0;
	if (wt.started)
		pthread_detach(t);
	else if (!said) {
		said = true;
		srv_log(s, "replication: cannot start the thread that asks the master which engines are attached: %s "
			"(other sites' engines are shown detached here)", strerror(rc));
	}
}

/* The requests that waited for an answer may run now. */
static void release_waiting(server *s)
{
	el.waiting_since = 0;
	for (size_t i = 0; i < s->n_conns; i++)
		s->conns[i]->reader_wait = false;
}

static void replica_tick(server *s, int64_t now)
{
	/* the watcher's answers */
	pthread_mutex_lock(&wt.lock);
	bool took = wt.results != el.results;
	dbs_att_answer a = wt.answer; /* the latest: several may have come since the last look */
	dbs_att_answer kind = wt.fresh_kind;
	record_buf ids = { 0 };
	bool fresh = took && wt.fresh_ids;
	if (fresh) {
		ids = wt.ids;
		wt.ids = (record_buf){ 0 };
		wt.fresh_ids = false;
	}
	el.results = wt.results;
	pthread_mutex_unlock(&wt.lock);
	/* a set that came is installed as what brought it says, whatever
	 * answer followed it ("same" after it confirms it; "unknown" after it
	 * leaves it as the last known); "same" without one confirms the set
	 * held, and after the set was dropped meanwhile nothing (the next
	 * question asks for the whole set) */
	if (fresh) {
		char **v = NULL;
		size_t n = 0;
		el.confirmed = now;
		if (kind == DBS_ATT_TOO_MANY)
			set_install(s, NULL, 0, true);
		else if (set_decode(&ids, &v, &n))
			set_install(s, v, n, false);
		el.held = true;
	} else if (took && a == DBS_ATT_SAME && el.held)
		el.confirmed = now;
	record_buf_free(&ids);
	if (el.n_ended && now - el.ended[0].at >= ENDED_MS)
		ended_settle(now);
	if (el.held && now - el.confirmed > LEASES_KEEP_MS)
		set_drop(s, "the master did not answer for 10 s");
	if (took && a == DBS_ATT_UNKNOWN)
		el.gave_up = now;
	if (el.waiting_since && (took || now - el.waiting_since > LEASES_WAIT_MS)) {
		if (!took)
			el.gave_up = now;
		release_waiting(s);
	}
	/* asked while there are subscribers, or a read needed it */
	if (now - el.looked >= LEASES_PUBLISH_MS || el.want_until > now) {
		el.looked = now;
		bool subscribers = false;
		for (size_t i = 0; i < s->n_conns && !subscribers; i++)
			subscribers = s->conns[i]->subscribed && !s->conns[i]->dead;
		int64_t until = subscribers ? now + LEASES_ASK_MS + LEASES_PUBLISH_MS : el.want_until;
		if (subscribers || el.want_until > now) {
			watcher_start(s);
			pthread_mutex_lock(&wt.lock);
			bool wake = wt.want_until <= now;
			if (until > wt.want_until)
				wt.want_until = until;
			if (wake)
				pthread_cond_broadcast(&wt.cond);
			pthread_mutex_unlock(&wt.lock);
		}
	}
}

void leases_tick(server *s, dbs_repl_role role)
{
	static int64_t published;
	int64_t now = srv_now_ms();
	el.role = role;
	pthread_mutex_lock(&wt.lock);
	if (wt.paused) {
		wt.paused = false;
		pthread_cond_broadcast(&wt.cond);
	}
	pthread_mutex_unlock(&wt.lock);
	if (role == DBS_REPL_MASTER) {
		if (el.held || el.waiting_since) { /* what it knew as a replica is its own now */
			set_drop(s, "this site is the master");
			release_waiting(s);
		}
		if (now - published >= LEASES_PUBLISH_MS && dbs_repl_attached_wanted(s->db)) {
			published = now;
			publish(s);
		}
		return;
	}
	if (role == DBS_REPL_REPLICA || role == DBS_REPL_NO_MASTER)
		replica_tick(s, now);
}

bool leases_must_wait(server *s, unsigned op)
{
	if (el.role != DBS_REPL_REPLICA || s->on_reader)
		return false;
	if (op != OP_LIST && op != OP_GET && op != OP_GET_ITEM && op != OP_PAUSED)
		return false;
	int64_t now = srv_now_ms();
	el.want_until = now + LEASES_WANT_MS;
	/* the read runs now, on the set held: it is asked for (the reads that
	 * follow, and the dashboards, get a fresh one), but no read waits for
	 * it.  Waiting held a read at a replica whose master hangs for over a
	 * second (repl/quorum.sh: 1,183-1,534 ms, 19-52 ms without). */
	if (el.confirmed && now - el.confirmed < LEASES_FRESH_MS)
		return false;
	watcher_start(s);
	pthread_mutex_lock(&wt.lock);
	if (wt.want_until < el.want_until)
		wt.want_until = el.want_until;
	pthread_cond_broadcast(&wt.cond);
	pthread_mutex_unlock(&wt.lock);
	return false;
}
