/* exits.h - the exit statuses of seectl, seetop and seerun, and the one
 * map from a store error to its status, so that the same error exits the
 * same way in every program. */
#ifndef SEETOP_EXITS_H
#define SEETOP_EXITS_H

#include "store.h"

enum {
	EXIT_DONE = 0,    /* done (seerun: the execution completed) */
	EXIT_REFUSED = 1, /* not found, wrong state, bad value, read-only, exists (seerun: failed) */
	EXIT_USAGE = 2,   /* usage, config, data-file or workflow-file error */
	EXIT_STORAGE = 3, /* the store or the system failed, or a home this version cannot use */
};

int exit_for_store(store_code c);

#endif
