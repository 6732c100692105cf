/* dbs_env.h - the environment (dbs_env.c); private to store/bdb. */
#ifndef SEESTORE_DBS_ENV_H
#define SEESTORE_DBS_ENV_H

#include "dbs_handle.h"

/* Closes every handle and opens the environment again, with recovery. */
store_code env_reopen(dbs *st, store_err *err);
/* Berkeley DB's messages on this thread go to buf (a reader thread's
 * view's dbmsg), not to the environment's handle, which the main thread
 * uses meanwhile; NULL: to the handle again. */
void env_messages_to(char *buf);
/* Closes the databases' handles and opens them again, in the same
 * environment: after Berkeley DB invalidated them (DB_REP_HANDLE_DEAD). */
store_code env_reopen_dbs(dbs *st, store_err *err);
/* Closes the databases' handles (the environment stays open). */
void env_drop_dbs(dbs *st);

#endif
