/* repl_lag.h - a replica's lag in time, as its master measures it: the
 * master notes when its generation moves, and tells a replica that names
 * its own generation how long ago the master first went past it.  Only
 * the master's clock is read: no two hosts' clocks are compared.  Private
 * to libseestore; no locking (the caller holds its own). */
#ifndef SEESTORE_REPL_LAG_H
#define SEESTORE_REPL_LAG_H

#include <stddef.h>
#include <stdint.h>

#define REPL_LAG_SEEN 512  /* the last moves kept */
#define REPL_LAG_UNKNOWN UINT64_MAX

typedef struct repl_lag {
	struct repl_lag_seen {
		int64_t ms;   /* when it was first seen, monotonic */
		uint64_t gen; /* the generation reached then */
	} seen[REPL_LAG_SEEN]; /* a ring, oldest at first */
	size_t n, first;
} repl_lag;

/* Forgets every move (the site is no longer master). */
void repl_lag_reset(repl_lag *l);
/* The generation at now_ms: kept when it moved since the last note.  A
 * generation lower than the last (a master that rolled back) starts anew. */
void repl_lag_note(repl_lag *l, int64_t now_ms, uint64_t gen);
/* How long before now_ms the generation first went past `theirs`: 0 when
 * it has not (the replica is in step); when that was before the oldest
 * move kept, the age of the oldest (the lag is at least that);
 * REPL_LAG_UNKNOWN when nothing was noted.  *mine: the last generation
 * noted (0 when none). */
uint64_t repl_lag_since(const repl_lag *l, int64_t now_ms, uint64_t theirs, uint64_t *mine);

#endif
