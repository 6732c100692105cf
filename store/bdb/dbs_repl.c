/* dbs_repl.c - a home as a site of a Berkeley DB Replication Manager group.
 *
 * - The settings come from the home's repl.conf (repl_conf.h), written by
 *   seectl repl init or join; a home without one opens as before.
 * - The environment stays private to the server's process; the Replication
 *   Manager needs it free-threaded (DB_THREAD), since its threads apply the
 *   master's log and run the channel's requests.
 * - Durability is a quorum's: a commit waits up to the ack timeout for
 *   enough sites to hold it (DB_REPMGR_ACKS_QUORUM).  When they do not
 *   answer, Berkeley DB says so with DB_EVENT_REP_PERM_FAILED in the
 *   committing thread, and that commit is answered as an error.
 * - A replica sends each change to the master over a message channel opened
 *   at its start (the first request on a new channel costs a connection); the
 *   master runs it through the server's dispatch (dbs_repl_set_runner). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbs_errmap.h"
#include "dbs_repl.h"
#include "dbs_repl_int.h"
#include "repl_lag.h"
#include "tag.h"

#define REPL_THREADS 4           /* message threads: forwarded requests wait in them */
#define JOIN_WAIT_MS 30000       /* a joining site's first copy */
#define LSN_ASK_US 500000        /* a replica asking where the master's log ends */
/* the status's question to the master is asked on the server's main
 * thread: answers this fresh are shared by the statuses that follow (a
 * dashboard asks each second, and several may), and after a master that
 * did not answer, none is asked for a while (it would hold the loop) */
#define ASK_FRESH_MS 250
#define ASK_BACKOFF_MS 2000
/* beyond the ack timeout, a forwarded change's answer: the server's loop waits
 * for it, so a master that hangs (stopped, cut off) must not hold it long */
#define FORWARD_EXTRA_MS 3000
#define MSG_FORWARD 'F'          /* a change's payload follows */
#define MSG_LSN 'L'              /* where does your log end? (and, with a generation: how long ago you passed it) */
#define MSG_ATTACHED 'A'         /* which executions have their engine attached in the group? (with the version known) */
/* the master's set of attached executions: published by its main thread
 * while replicas ask (dbs_repl_attached_wanted), answered by the message
 * threads.  A master not asked lately has published none: the first
 * question waits this long for the main thread's next look. */
#define ATT_WANTED_MS 3000
#define ATT_STALE_MS 1000        /* a publication older than this is not answered as it is */
#define ATT_PUBLISH_WAIT_MS 600
#define ATT_ASK_US 1500000       /* a replica's wait for the answer (on its own thread) */

struct dbs_repl {
	repl_conf conf;
	/* to whichever site is master: the forwarder's (dbs_repl_forward runs on
	 * a thread of the server's own), and the main thread's questions */
	DB_CHANNEL *chan, *ask;
	atomic_int startup_done;  /* a client caught up with its master */
	atomic_int removed;       /* this site was taken out of the group */
	/* the master went silent (its heartbeats stopped, or its connection
	 * broke) and no new one is known yet: Berkeley DB's own state still
	 * names the old master while the election that follows cannot win.
	 * Cleared by a new master's event, or when the old one answers the
	 * forwarder's probe (a connection made again proves nothing: the
	 * kernel accepts it for a stopped process) */
	atomic_int master_lost;
	atomic_ullong perm_failed;
	/* the databases opened again since their handles were invalidated
	 * (DB_REP_HANDLE_DEAD): by a rollback of what this site committed
	 * without a quorum (a master cut off, back as a replica), or by a new
	 * copy of the store from the master */
	atomic_ullong reopens;
	dbs_repl_run_fn run;
	void (*cancel)(void *ctx);
	void *run_ctx;
	/* at the master: when its generation moved, so that it can tell a
	 * replica how long ago it made the oldest change the replica lacks
	 * (dbs_repl_note_generation; read on the message threads) */
	pthread_mutex_t lag_lock;
	repl_lag lag;
	/* at the master: the executions whose engine is attached in the group,
	 * as its main thread last published them (dbs_repl_attached_publish),
	 * for the message threads that answer MSG_ATTACHED */
	pthread_mutex_t att_lock;
	pthread_cond_t att_cond;
	record_buf att;             /* the ids, encoded by the server: opaque here */
	bool att_too_many;
	uint64_t att_version;       /* moves with each change of att (0: none published) */
	int64_t att_published;      /* ms, monotonic: the last publication */
	atomic_llong att_asked;     /* ms, monotonic: a replica's last question */
	DB_CHANNEL *att_chan;       /* a replica's: the watcher's own channel (dbs_repl_attached_ask) */
	/* a replica: the master's last answer to the status's question (the
	 * main thread's only) */
	struct {
		int64_t at_ms;  /* when it was asked; 0 never */
		bool answered;
		bool lsn_known, lag_known;
		uint32_t lsn_file, lsn_offset;
		uint64_t lag_ms;
	} asked;
};

bool dbs_repl_on(const dbs *st)
{
	return st && st->repl;
}

uint64_t repl_perm_failures(const dbs *st)
{
	return st->repl ? atomic_load(&st->repl->perm_failed) : 0;
}

static void addr_text(const char *host, unsigned port, char *out, size_t cap)
{
	snprintf(out, cap, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

store_code repl_not_durable(dbs *st, store_err *err)
{
	return err_set(err, STORE_STORAGE, "not durable on a quorum: no quorum of the group's sites acknowledged the "
		       "commit within %u ms (the master keeps it, but a new master may not have it): check the other "
		       "sites with seectl repl status, then send it again (its request id makes it happen once)",
		       st->repl->conf.ack_timeout_ms);
}

/* ---- settings ---- */

static store_code read_conf(dbs *st, repl_conf *c, bool *present, store_err *err)
{
	*present = false;
	char path[4200], text[8192], why[700];
	snprintf(path, sizeof path, "%s/%s", st->home, REPL_CONF_FILE);
	int fd = repl_conf_open(st->home, false, why, sizeof why);
	if (fd < 0) {
		if (errno == ENOENT)
			return STORE_OK;
		return err_set(err, STORE_STORAGE, "%s", why);
	}
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0)
		return err_set(err, STORE_STORAGE, "cannot read %s: %s", path, strerror(errno));
	text[n] = '\0';
	if (repl_conf_parse(text, path, c, why, sizeof why) < 0)
		return err_set(err, STORE_FORMAT, "%s: fix the file, or run seectl repl leave to stop replicating", why);
	*present = true;
	return STORE_OK;
}

store_code repl_env_prepare(dbs *st, u_int32_t *oflags, store_err *err)
{
	repl_conf conf;
	bool present;
	store_code c = read_conf(st, &conf, &present, err);
	if (c || !present)
		return c;
	if (!st->repl) {
		if (!(st->repl = calloc(1, sizeof *st->repl)))
			return err_set(err, STORE_STORAGE, "out of memory");
		pthread_mutex_init(&st->repl->lag_lock, NULL);
		pthread_mutex_init(&st->repl->att_lock, NULL);
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&st->repl->att_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	struct dbs_repl *r = st->repl;
	r->conf = conf;
	atomic_store(&r->startup_done, 0);
	atomic_store(&r->master_lost, 0);
	DB_ENV *env = st->env;
	DB_SITE *site;
	int ret;
	char where[DBS_REPL_ADDR_MAX];
	addr_text(conf.listen.host, conf.listen.port, where, sizeof where);
	if ((ret = env->repmgr_site(env, conf.listen.host, conf.listen.port, &site, 0)) != 0)
		return err_db(st, err, ret, "replication: this site's address %s", where);
	site->set_config(site, DB_LOCAL_SITE, 1);
	if (conf.create)
		site->set_config(site, DB_GROUP_CREATOR, 1);
	site->close(site);
	if (conf.has_helper) {
		addr_text(conf.helper.host, conf.helper.port, where, sizeof where);
		if ((ret = env->repmgr_site(env, conf.helper.host, conf.helper.port, &site, 0)) != 0)
			return err_db(st, err, ret, "replication: the helper's address %s", where);
		site->set_config(site, DB_BOOTSTRAP_HELPER, 1);
		site->close(site);
	}
	env->rep_set_priority(env, conf.priority);
	env->repmgr_set_ack_policy(env, DB_REPMGR_ACKS_QUORUM);
	env->rep_set_timeout(env, DB_REP_ACK_TIMEOUT, conf.ack_timeout_ms * 1000u);
	env->rep_set_timeout(env, DB_REP_HEARTBEAT_SEND, conf.heartbeat_ms * 1000u);
	env->rep_set_timeout(env, DB_REP_HEARTBEAT_MONITOR, conf.heartbeat_ms * 3000u);
	/* a site that comes back is found within a second, not the default 30 */
	env->rep_set_timeout(env, DB_REP_CONNECTION_RETRY, 1000000);
	env->rep_set_timeout(env, DB_REP_ELECTION_RETRY, 1000000);
	/* a master sleeps this long before each checkpoint (30 s by default),
	 * so that its clients may catch up: the server's main loop cannot wait */
	env->rep_set_timeout(env, DB_REP_CHECKPOINT_DELAY, 0);
	/* a transaction's log records travel as one message, sent at its
	 * commit: one by one, each small write waited on TCP's delayed
	 * acknowledgement, and a change took 40-50 ms instead of about 1 */
	env->rep_set_config(env, DB_REP_CONF_BULK, 1);
	/* no multiversion copies at a site: the handles replication opens to
	 * apply the master's log are not multiversion, so that a multiversion
	 * open of the same file fails (BDB3041, and the environment panics),
	 * and a replica may not begin a snapshot anyway (BDB4572).  The reader
	 * threads read with locks instead (dbs_view.c). */
	env->set_flags(env, DB_MULTIVERSION, 0);
	*oflags |= DB_INIT_REP | DB_THREAD;
	return STORE_OK;
}

/* ---- the channel's requests, at the master ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dbs_repl_note_generation(dbs *st, bool master, uint64_t gen)
{
	struct dbs_repl *r = st ? st->repl : NULL;
	if (!r)
		return;
	pthread_mutex_lock(&r->lag_lock);
	if (master)
		repl_lag_note(&r->lag, mono_ms(), gen);
	else /* what it saw as master says nothing of the next master */
		repl_lag_reset(&r->lag);
	pthread_mutex_unlock(&r->lag_lock);
}

static void answer_msg(DB_CHANNEL *ch, const void *p, size_t n)
{
	DBT d;
	memset(&d, 0, sizeof d);
	d.data = (void *)p;
	d.size = (u_int32_t)n;
	ch->send_msg(ch, &d, 1, 0);
}

bool dbs_repl_attached_wanted(dbs *st)
{
	struct dbs_repl *r = st ? st->repl : NULL;
	int64_t asked = r ? atomic_load(&r->att_asked) : 0;
	return asked && mono_ms() - asked < ATT_WANTED_MS;
}

void dbs_repl_attached_publish(dbs *st, const void *ids, size_t len, bool too_many)
{
	struct dbs_repl *r = st ? st->repl : NULL;
	if (!r)
		return;
	pthread_mutex_lock(&r->att_lock);
	if (too_many)
		len = 0;
	bool same = r->att_version && too_many == r->att_too_many && len == r->att.len &&
		    (len == 0 || memcmp(r->att.data, ids, len) == 0);
	if (!same) {
		r->att.len = 0;
		if (tag_put_raw(&r->att, ids, len) < 0) { /* out of memory: say too many rather than too few */
			r->att.len = 0;
			too_many = true;
		}
		r->att_too_many = too_many;
		/* a new master's versions are not an old one's: they start from its clock */
		if (!r->att_version) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			r->att_version = (uint64_t)ts.tv_sec << 20 ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 44;
		}
		r->att_version++;
	}
	r->att_published = mono_ms();
	pthread_cond_broadcast(&r->att_cond);
	pthread_mutex_unlock(&r->att_lock);
}

/* MSG_ATTACHED at the master (a message thread): the set its main thread
 * published, unless the replica holds that version already. */
static void attached_answer(dbs *st, DB_CHANNEL *ch, DBT *req, u_int32_t nreq, bool respond)
{
	struct dbs_repl *r = st ? st->repl : NULL;
	if (!r || !respond)
		return;
	uint64_t known = nreq == 2 && req[1].size == 8 ? key_get_u64(req[1].data) : 0;
	int64_t now = mono_ms();
	atomic_store(&r->att_asked, now);
	record_buf out = { 0 };
	unsigned char head[9] = { DBS_ATT_UNKNOWN };
	pthread_mutex_lock(&r->att_lock);
	/* not asked lately, it publishes at its main thread's next look */
	while (now - r->att_published > ATT_STALE_MS && mono_ms() - now < ATT_PUBLISH_WAIT_MS) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 50 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->att_cond, &r->att_lock, &until);
	}
	if (r->att_version && mono_ms() - r->att_published <= ATT_STALE_MS + ATT_PUBLISH_WAIT_MS) {
		head[0] = r->att_version == known ? DBS_ATT_SAME : r->att_too_many ? DBS_ATT_TOO_MANY : DBS_ATT_NEW;
		key_u64(head + 1, r->att_version);
	}
	int rc = tag_put_raw(&out, head, sizeof head);
	if (rc == 0 && head[0] == DBS_ATT_NEW && r->att.len)
		rc = tag_put_raw(&out, r->att.data, r->att.len);
	pthread_mutex_unlock(&r->att_lock);
	if (rc == 0)
		answer_msg(ch, out.data, out.len);
	else
		answer_msg(ch, "", 0);
	record_buf_free(&out);
}

/* Runs on one of the Replication Manager's message threads. */
static void on_channel_msg(DB_ENV *env, DB_CHANNEL *ch, DBT *req, u_int32_t nreq, u_int32_t flags)
{
	dbs *st = env->app_private;
	bool respond = (flags & DB_REPMGR_NEED_RESPONSE) != 0;
	char kind = nreq >= 1 && req[0].size == 1 ? *(char *)req[0].data : 0;
	if (kind == MSG_ATTACHED) {
		attached_answer(st, ch, req, nreq, respond);
		return;
	}
	if (kind == MSG_LSN) {
		DB_REP_STAT *sp;
		unsigned char out[24] = { 0 };
		if (env->rep_stat(env, &sp, 0) == 0) {
			key_u64(out, (uint64_t)sp->st_next_lsn.file << 32 | sp->st_next_lsn.offset);
			free(sp);
		}
		/* with the replica's generation: this site's, and how long ago it
		 * first passed the replica's */
		bool lag = nreq == 2 && req[1].size == 8 && st && st->repl;
		if (lag) {
			uint64_t mine, ms;
			pthread_mutex_lock(&st->repl->lag_lock);
			ms = repl_lag_since(&st->repl->lag, mono_ms(), key_get_u64(req[1].data), &mine);
			pthread_mutex_unlock(&st->repl->lag_lock);
			key_u64(out + 8, mine);
			key_u64(out + 16, ms);
		}
		if (respond)
			answer_msg(ch, out, lag ? 24 : 8);
		return;
	}
	record_buf ans = { 0 };
	uint64_t gen = 0;
	int ok = -1;
	if (kind == MSG_FORWARD && nreq == 2 && st && st->repl && st->repl->run && tag_put_raw(&ans, "\0\0\0\0\0\0\0\0", 8) == 0)
		ok = st->repl->run(st->repl->run_ctx, req[1].data, req[1].size, &ans, &gen);
	if (respond) {
		if (ok == 0) {
			key_u64(ans.data, gen);
			answer_msg(ch, ans.data, ans.len);
		} else {
			answer_msg(ch, "", 0); /* the replica says the master could not run it */
		}
	}
	record_buf_free(&ans);
}

void dbs_repl_set_runner(dbs *st, dbs_repl_run_fn run, void (*cancel)(void *ctx), void *ctx)
{
	if (!st->repl)
		return;
	st->repl->run = run;
	st->repl->cancel = cancel;
	st->repl->run_ctx = ctx;
}

/* ---- start ---- */

/* A channel to whichever site is master: it follows elections.  Berkeley
 * DB opens one only while a master is known. */
static DB_CHANNEL *open_channel(dbs *st, DB_CHANNEL **ch)
{
	if (!*ch && st->env->repmgr_channel(st->env, DB_EID_MASTER, ch, 0) != 0)
		*ch = NULL;
	return *ch;
}

static bool home_has(dbs *st, const char *name)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", st->home, name);
	return access(path, F_OK) == 0;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A channel that found no master may have kept the connection of a master
 * that went away and came back: a new one is opened. */
static DB_CHANNEL *reopen_channel(dbs *st, DB_CHANNEL **ch)
{
	if (*ch)
		(*ch)->close(*ch, 0);
	*ch = NULL;
	return open_channel(st, ch);
}

/* Whether Berkeley DB names a master and holds a working connection to it
 * (made anew when that site's server started again). */
static bool master_connected(dbs *st)
{
	DB_REP_STAT *sp;
	if (st->env->rep_stat(st->env, &sp, 0) != 0)
		return false;
	int eid = (int)sp->st_master;
	free(sp);
	if (eid == DB_EID_INVALID)
		return false;
	DB_REPMGR_SITE *list = NULL;
	u_int count = 0;
	bool connected = false;
	if (st->env->repmgr_site_list(st->env, &count, &list) == 0) {
		for (u_int i = 0; i < count; i++)
			if (list[i].eid == eid)
				connected = list[i].status == DB_REPMGR_CONNECTED;
		free(list);
	}
	return connected;
}

/* A request to the master on a channel of this site's.  A channel keeps
 * the connection it made to the master when it was first used: once that
 * site's server was killed, it answers DB_REP_UNAVAIL at once, and goes on
 * doing so when the same site, started again, is master again.  So when
 * Berkeley DB holds a working connection to the master it names, the
 * channel is opened anew and asked once more.  (Not otherwise: a channel
 * opened anew connects to the master again, and Berkeley DB does not bound
 * that wait for a master that is cut off or hangs.) */
static int ask_master(dbs *st, DB_CHANNEL **ch, DBT *msg, u_int32_t n, DBT *resp, db_timeout_t wait)
{
	if (!open_channel(st, ch))
		return DB_REP_UNAVAIL;
	int ret = (*ch)->send_request(*ch, msg, n, resp, wait, 0);
	if (ret == DB_REP_UNAVAIL && master_connected(st) && reopen_channel(st, ch))
		ret = (*ch)->send_request(*ch, msg, n, resp, wait, 0);
	return ret;
}

store_code repl_env_start(dbs *st, store_err *err)
{
	struct dbs_repl *r = st->repl;
	DB_ENV *env = st->env;
	char where[DBS_REPL_ADDR_MAX];
	addr_text(r->conf.listen.host, r->conf.listen.port, where, sizeof where);
	int ret = env->repmgr_msg_dispatch(env, on_channel_msg, 0);
	if (ret)
		return err_db(st, err, ret, "replication: setting the channel's dispatch");
	/* the group's first site starts as its master; every later start (of
	 * any site) holds an election, which finds the master there is */
	bool member = home_has(st, "__db.rep.system"); /* the group's membership, once it has one */
	int how = r->conf.create && !member ? DB_REP_MASTER : DB_REP_ELECTION;
	st->dbmsg[0] = '\0';
	ret = env->repmgr_start(env, REPL_THREADS, (u_int32_t)how);
	if (ret && ret != DB_REP_IGNORE) {
		if (ret == EADDRINUSE || strstr(st->dbmsg, strerror(EADDRINUSE)))
			return err_set(err, STORE_STORAGE, "replication: cannot listen on %s: the port is in use: choose "
				       "another (seectl repl init or join --listen HOST:PORT)", where);
		return err_db(st, err, ret, "replication: starting the site at %s", where);
	}
	/* opened now when a master is known (else at the first change): its
	 * connection is made before a change waits on it */
	open_channel(st, &r->chan);
	/* a site with no copy yet waits for the whole of one (internal
	 * initialisation) before its databases are opened */
	if (how != DB_REP_MASTER && !home_has(st, "meta.db")) {
		for (int waited = 0; !atomic_load(&r->startup_done) && waited < JOIN_WAIT_MS; waited += 10)
			nap_ms(10);
		if (!atomic_load(&r->startup_done)) {
			char helper[DBS_REPL_ADDR_MAX] = "its helper";
			if (r->conf.has_helper)
				addr_text(r->conf.helper.host, r->conf.helper.port, helper, sizeof helper);
			return err_set(err, STORE_STORAGE, "replication: no copy of the store came from the group through "
				       "%s within %d s: is that site running (seectl repl status there)?", helper,
				       JOIN_WAIT_MS / 1000);
		}
	}
	return STORE_OK;
}

bool repl_is_client(dbs *st)
{
	return st->repl && dbs_repl_role_now(st) != DBS_REPL_MASTER;
}

void repl_event(dbs *st, u_int32_t event, void *info)
{
	(void)info;
	struct dbs_repl *r = st->repl;
	if (!r)
		return;
	switch (event) {
	case DB_EVENT_REP_STARTUPDONE:
		atomic_store(&r->startup_done, 1);
		break;
	case DB_EVENT_REP_PERM_FAILED:
		atomic_fetch_add(&r->perm_failed, 1);
		break;
	case DB_EVENT_REP_LOCAL_SITE_REMOVED:
		atomic_store(&r->removed, 1);
		break;
	case DB_EVENT_REP_MASTER_FAILURE:
		atomic_store(&r->master_lost, 1);
		break;
	case DB_EVENT_REP_NEWMASTER:
	case DB_EVENT_REP_MASTER:
		atomic_store(&r->master_lost, 0);
		break;
	default:
		break;
	}
}

void repl_note_reopen(dbs *st)
{
	if (st->repl)
		atomic_fetch_add(&st->repl->reopens, 1);
}

uint64_t dbs_repl_reopens(const dbs *st)
{
	return st->repl ? atomic_load(&st->repl->reopens) : 0;
}

uint64_t dbs_repl_log_end(dbs *st)
{
	DB_LOG_STAT *sp;
	if (!st->repl || !st->env || st->env->log_stat(st->env, &sp, 0) != 0)
		return 0;
	uint64_t end = (uint64_t)sp->st_cur_file << 32 | sp->st_cur_offset;
	free(sp);
	return end;
}

void repl_env_closing(dbs *st)
{
	struct dbs_repl *r = st->repl;
	if (!r)
		return;
	if (r->cancel)
		r->cancel(r->run_ctx);
	if (r->chan) {
		r->chan->close(r->chan, 0);
		r->chan = NULL;
	}
	if (r->ask) {
		r->ask->close(r->ask, 0);
		r->ask = NULL;
	}
	if (r->att_chan) {
		r->att_chan->close(r->att_chan, 0);
		r->att_chan = NULL;
	}
}

void repl_free(dbs *st)
{
	if (st->repl) {
		pthread_mutex_destroy(&st->repl->lag_lock);
		pthread_mutex_destroy(&st->repl->att_lock);
		pthread_cond_destroy(&st->repl->att_cond);
		record_buf_free(&st->repl->att);
	}
	free(st->repl);
	st->repl = NULL;
}

/* ---- what the server asks ---- */

static dbs_repl_role role_of(dbs *st, const DB_REP_STAT *sp)
{
	if (sp->st_status == DB_REP_MASTER)
		return DBS_REPL_MASTER;
	if (sp->st_master == DB_EID_INVALID || atomic_load(&st->repl->master_lost))
		return DBS_REPL_NO_MASTER;
	return DBS_REPL_REPLICA;
}

dbs_repl_role dbs_repl_role_now(dbs *st)
{
	if (!st->repl || !st->env)
		return DBS_REPL_OFF;
	DB_REP_STAT *sp;
	if (st->env->rep_stat(st->env, &sp, 0) != 0)
		return DBS_REPL_NO_MASTER;
	dbs_repl_role role = role_of(st, sp);
	free(sp);
	return role;
}

uint64_t dbs_repl_election(dbs *st)
{
	DB_REP_STAT *sp;
	if (!st->repl || !st->env || st->env->rep_stat(st->env, &sp, 0) != 0)
		return 0;
	uint64_t g = sp->st_gen;
	free(sp);
	return g;
}

store_code dbs_repl_forward(dbs *st, const void *payload, size_t len, record_buf *answer, uint64_t *gen,
			    store_err *err)
{
	struct dbs_repl *r = st->repl;
	if (!r || !open_channel(st, &r->chan))
		return err_set(err, STORE_STORAGE, "no master (election in progress): try again in a few seconds");
	DBT msg[2], resp;
	memset(msg, 0, sizeof msg);
	memset(&resp, 0, sizeof resp);
	char kind = MSG_FORWARD;
	msg[0].data = &kind;
	msg[0].size = 1;
	msg[1].data = (void *)payload;
	msg[1].size = (u_int32_t)len;
	resp.flags = DB_DBT_MALLOC;
	db_timeout_t wait = (db_timeout_t)(r->conf.ack_timeout_ms + FORWARD_EXTRA_MS) * 1000u;
	int ret = r->chan->send_request(r->chan, msg, 2, &resp, wait, 0);
	if ((ret == DB_REP_UNAVAIL || ret == DB_NOSERVER) && reopen_channel(st, &r->chan))
		ret = r->chan->send_request(r->chan, msg, 2, &resp, wait, 0); /* once more, on a new channel */
	if (ret == DB_REP_UNAVAIL || ret == DB_NOSERVER)
		return err_set(err, STORE_STORAGE, "no master (election in progress): try again in a few seconds");
	if (ret == DB_TIMEOUT)
		return err_set(err, STORE_STORAGE, "the master did not answer within %u s: the change may have been made "
			       "there; send it again (its request id makes it happen once)", wait / 1000000u);
	if (ret) /* (not err_db: the main thread's message buffer is not this thread's) */
		return err_set(err, STORE_STORAGE, "forwarding a change to the master: %s", db_strerror(ret));
	store_code c = STORE_OK;
	if (resp.size < 8 + 4)
		c = err_set(err, STORE_STORAGE, "the master could not run the change (it may no longer be master): send "
			    "it again (its request id makes it happen once)");
	else {
		*gen = key_get_u64(resp.data);
		answer->len = 0;
		if (tag_put_raw(answer, (unsigned char *)resp.data + 8, resp.size - 8) < 0)
			c = err_set(err, STORE_STORAGE, "out of memory");
	}
	free(resp.data);
	return c;
}

/* Where the master's log ends, and how long ago the master made the oldest
 * change this site's copy lacks, asked over the channel (the master
 * measures it on its own clock: no two clocks are compared). */
static void master_lsn(dbs *st, dbs_repl_info *out)
{
	struct dbs_repl *r = st->repl;
	int64_t now = mono_ms();
	int64_t age = now - r->asked.at_ms;
	if (r->asked.at_ms && (r->asked.answered ? age < ASK_FRESH_MS : age < ASK_BACKOFF_MS)) {
		out->master_lsn_known = r->asked.lsn_known;
		out->master_lsn_file = r->asked.lsn_file;
		out->master_lsn_offset = r->asked.lsn_offset;
		out->lag_known = r->asked.lag_known;
		out->lag_ms = r->asked.lag_ms;
		return;
	}
	r->asked.at_ms = now;
	r->asked.answered = r->asked.lsn_known = r->asked.lag_known = false;
	DBT msg[2], resp;
	memset(msg, 0, sizeof msg);
	memset(&resp, 0, sizeof resp);
	char kind = MSG_LSN;
	unsigned char mine[8];
	uint64_t gen = 0;
	store_err e;
	bool with_gen = dbs_generation(st, &gen, &e) == STORE_OK;
	key_u64(mine, gen);
	msg[0].data = &kind;
	msg[0].size = 1;
	msg[1].data = mine;
	msg[1].size = sizeof mine;
	resp.flags = DB_DBT_MALLOC;
	if (!open_channel(st, &r->ask)) {
		r->asked.at_ms = 0; /* no master known: asking again costs nothing */
		return;
	}
	if (ask_master(st, &r->ask, msg, with_gen ? 2 : 1, &resp, LSN_ASK_US) != 0)
		return;
	if (resp.size == 8 || resp.size == 24) {
		uint64_t v = key_get_u64(resp.data);
		out->master_lsn_known = true;
		out->master_lsn_file = (uint32_t)(v >> 32);
		out->master_lsn_offset = (uint32_t)v;
	}
	if (resp.size == 24 && key_get_u64((unsigned char *)resp.data + 16) != REPL_LAG_UNKNOWN) {
		out->lag_known = true;
		out->lag_ms = key_get_u64((unsigned char *)resp.data + 16);
	}
	free(resp.data);
	r->asked.answered = r->asked.lsn_known = out->master_lsn_known;
	r->asked.lsn_file = out->master_lsn_file;
	r->asked.lsn_offset = out->master_lsn_offset;
	r->asked.lag_known = out->lag_known;
	r->asked.lag_ms = out->lag_ms;
}

dbs_att_answer dbs_repl_attached_ask(dbs *st, uint64_t *version, record_buf *ids)
{
	struct dbs_repl *r = st->repl;
	if (!r)
		return DBS_ATT_UNKNOWN;
	DBT msg[2], resp;
	memset(msg, 0, sizeof msg);
	memset(&resp, 0, sizeof resp);
	char kind = MSG_ATTACHED;
	unsigned char mine[8];
	key_u64(mine, *version);
	msg[0].data = &kind;
	msg[0].size = 1;
	msg[1].data = mine;
	msg[1].size = sizeof mine;
	resp.flags = DB_DBT_MALLOC;
	if (ask_master(st, &r->att_chan, msg, 2, &resp, ATT_ASK_US) != 0)
		return DBS_ATT_UNKNOWN;
	dbs_att_answer a = DBS_ATT_UNKNOWN;
	const unsigned char *p = resp.data;
	if (resp.size >= 9 && (p[0] == DBS_ATT_SAME || p[0] == DBS_ATT_NEW || p[0] == DBS_ATT_TOO_MANY)) {
		a = (dbs_att_answer)p[0];
		*version = key_get_u64(p + 1);
		ids->len = 0;
		if (a == DBS_ATT_NEW && tag_put_raw(ids, p + 9, resp.size - 9) < 0)
			a = DBS_ATT_UNKNOWN;
	}
	free(resp.data);
	return a;
}

bool dbs_repl_master_lost(const dbs *st)
{
	return st->repl && atomic_load(&st->repl->master_lost);
}

void dbs_repl_probe_master(dbs *st)
{
	struct dbs_repl *r = st->repl;
	DBT msg, resp;
	memset(&msg, 0, sizeof msg);
	memset(&resp, 0, sizeof resp);
	char kind = MSG_LSN;
	msg.data = &kind;
	msg.size = 1;
	resp.flags = DB_DBT_MALLOC;
	if (r && ask_master(st, &r->chan, &msg, 1, &resp, LSN_ASK_US) == 0 && resp.size == 8)
		atomic_store(&r->master_lost, 0);
	free(resp.data);
}

store_code dbs_repl_status(dbs *st, dbs_repl_info *out, store_err *err)
{
	memset(out, 0, sizeof *out);
	struct dbs_repl *r = st->repl;
	if (!r)
		return STORE_OK;
	DB_ENV *env = st->env;
	out->priority = r->conf.priority;
	out->ack_timeout_ms = r->conf.ack_timeout_ms;
	out->heartbeat_ms = r->conf.heartbeat_ms;
	out->perm_failed = atomic_load(&r->perm_failed);
	addr_text(r->conf.listen.host, r->conf.listen.port, out->self, sizeof out->self);
	DB_REP_STAT *sp;
	int ret = env->rep_stat(env, &sp, 0);
	if (ret)
		return err_db(st, err, ret, "reading the replication state");
	out->role = role_of(st, sp);
	out->lsn_file = sp->st_next_lsn.file;
	out->lsn_offset = sp->st_next_lsn.offset;
	out->gen = sp->st_gen;
	int master_eid = out->role == DBS_REPL_NO_MASTER ? DB_EID_INVALID : (int)sp->st_master;
	free(sp);
	u_int32_t n = 0;
	env->rep_get_nsites(env, &n);
	out->nsites = n;
	int on = 0;
	env->rep_get_config(env, DB_REPMGR_CONF_2SITE_STRICT, &on);
	out->two_site_strict = on != 0;
	if (out->role == DBS_REPL_MASTER)
		snprintf(out->master, sizeof out->master, "%s", out->self);
	DB_REPMGR_SITE *list = NULL;
	u_int count = 0;
	if (env->repmgr_site_list(env, &count, &list) == 0) {
		for (u_int i = 0; i < count && out->n_sites < DBS_REPL_SITES_MAX; i++) {
			dbs_repl_site *s = &out->sites[out->n_sites++];
			addr_text(list[i].host, list[i].port, s->addr, sizeof s->addr);
			s->connected = list[i].status == DB_REPMGR_CONNECTED;
			s->master = list[i].eid == master_eid && out->role != DBS_REPL_MASTER;
			if (s->master)
				snprintf(out->master, sizeof out->master, "%s", s->addr);
		}
		free(list);
	}
	if (out->role == DBS_REPL_MASTER)
		out->lag_known = true; /* lag_ms 0 */
	else if (out->role == DBS_REPL_REPLICA)
		master_lsn(st, out);
	return STORE_OK;
}

unsigned dbs_repl_ack_timeout_ms(const dbs *st)
{
	return st->repl ? st->repl->conf.ack_timeout_ms : 0;
}

store_code dbs_repl_leave(dbs *st, store_err *err)
{
	if (!st->repl)
		return err_set(err, STORE_INVALID_STATE, "'%s' is not a site of a replication group", st->home);
	if (dbs_repl_role_now(st) == DBS_REPL_MASTER)
		return err_set(err, STORE_INVALID_STATE, "this site is the group's master: a master cannot leave; stop "
			       "its server (seectl server stop) so that the others elect another, then leave");
	DB_SITE *site;
	int ret = st->env->repmgr_local_site(st->env, &site);
	if (ret)
		return err_db(st, err, ret, "replication: this site");
	ret = site->remove(site); /* closes the handle */
	if (ret)
		return err_db(st, err, ret, "replication: taking this site out of the group");
	for (int waited = 0; !atomic_load(&st->repl->removed) && waited < 5000; waited += 10)
		nap_ms(10);
	return STORE_OK;
}
