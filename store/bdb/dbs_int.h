/* dbs_int.h - every private header of store/bdb at once, for the tests'
 * harness that forges homes (tests/tools/forge.c); the modules of store/bdb
 * include only the headers of the layers they use. */
#ifndef SEESTORE_STORE_INT_H
#define SEESTORE_STORE_INT_H

/* The layers of store/bdb, each using only those above it here:
 * errmap, rec, outbox and upgrade, repl, env, txn, moves; then the operations
 * (data, decide, engine, timer, hooks, verify, backup: dbs.h). */

#include "dbs_handle.h"
#include "dbs_errmap.h"
#include "dbs_rec.h"
#include "dbs_outbox.h"
#include "dbs_upgrade.h"
#include "dbs_repl_int.h"
#include "dbs_env.h"
#include "dbs_txn.h"
#include "dbs_moves.h"

#endif
