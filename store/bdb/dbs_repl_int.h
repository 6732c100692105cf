/* dbs_repl_int.h - the replication hooks of the database layer
 * (dbs_repl.c), called where the environment opens, closes, commits and
 * hears Berkeley DB's events (dbs_env.c, dbs_txn.c); not installed. */
#ifndef SEESTORE_DBS_REPL_INT_H
#define SEESTORE_DBS_REPL_INT_H

#include "dbs_handle.h"

/* Before the environment opens: reads the home's repl.conf and, when there
 * is one, configures this site (its address, the helper, priority, quorum
 * acks and their timeout, heartbeats) and adds DB_INIT_REP and DB_THREAD to
 * *oflags.  A bad file is refused with its line. */
store_code repl_env_prepare(dbs *st, u_int32_t *oflags, store_err *err);
/* Once it is open: starts the Replication Manager (master for a group's
 * first site, else an election that finds the master), waits for a joining
 * site's first copy, and opens the channel to the master. */
store_code repl_env_start(dbs *st, store_err *err);
/* A replicated home whose site is not master: it creates nothing. */
bool repl_is_client(dbs *st);
/* Berkeley DB's replication events (on its threads). */
void repl_event(dbs *st, u_int32_t event, void *info);
/* Before the environment closes: the channel, and forwarded runs. */
void repl_env_closing(dbs *st);
void repl_free(dbs *st);
/* How many commits no quorum acknowledged (DB_EVENT_REP_PERM_FAILED),
 * counted as the committing thread hears of it. */
uint64_t repl_perm_failures(const dbs *st);
/* The databases were opened again after their handles were invalidated:
 * counted for dbs_repl_reopens. */
void repl_note_reopen(dbs *st);
/* The error of a commit that no quorum acknowledged. */
store_code repl_not_durable(dbs *st, store_err *err);

#endif
