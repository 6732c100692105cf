/* repl_lag.c - when a master's generation moved, and how far behind that
 * puts a replica (repl_lag.h). */
#include "config.h"

#include "repl_lag.h"

void repl_lag_reset(repl_lag *l)
{
	l->n = l->first = 0;
}

static const struct repl_lag_seen *at(const repl_lag *l, size_t i)
{
	return &l->seen[(l->first + i) % REPL_LAG_SEEN];
}

void repl_lag_note(repl_lag *l, int64_t now_ms, uint64_t gen)
{
	if (l->n && at(l, l->n - 1)->gen == gen)
		return;
	if (l->n && at(l, l->n - 1)->gen > gen)
		repl_lag_reset(l);
	size_t i = (l->first + l->n) % REPL_LAG_SEEN;
	if (l->n == REPL_LAG_SEEN)
		l->first = (l->first + 1) % REPL_LAG_SEEN;
	else
		l->n++;
	l->seen[i].ms = now_ms;
	l->seen[i].gen = gen;
}

uint64_t repl_lag_since(const repl_lag *l, int64_t now_ms, uint64_t theirs, uint64_t *mine)
{
	*mine = l->n ? at(l, l->n - 1)->gen : 0;
	if (!l->n)
		return REPL_LAG_UNKNOWN;
	for (size_t i = 0; i < l->n; i++)
		if (at(l, i)->gen > theirs) {
			int64_t d = now_ms - at(l, i)->ms;
			return d > 0 ? (uint64_t)d : 0;
		}
	return 0;
}
