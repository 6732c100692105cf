/* dbs_upgrade.h - older formats of a home (dbs_upgrade.c); private to store/bdb. */
#ifndef SEESTORE_DBS_UPGRADE_H
#define SEESTORE_DBS_UPGRADE_H

#include "dbs_handle.h"

/* Creates the store in a new home, or upgrades an older format, inside the
 * transaction that opened every database. */
store_code upgrade_home(dbs *st, DB_TXN *txn, store_err *err);
/* Refuses a format newer than this version's. */
store_code upgrade_too_new(dbs *st, uint64_t format, store_err *err);
/* The files older versions left that this one never uses: index files of
 * older formats (after the upgrade has committed), region files of the
 * shared environments before the server. */
void upgrade_drop_legacy(dbs *st);
void upgrade_drop_regions(const char *home);

#endif
