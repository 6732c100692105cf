/* idset.h - a set of ids (strings), to find a duplicate among many in
 * constant time: a data file's execution ids, an execution's task ids. */
#ifndef SEETOP_IDSET_H
#define SEETOP_IDSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct idset {
	char **slot;            /* open addressing; NULL is empty */
	size_t cap;             /* a power of two, or 0 */
	size_t n;
} idset;

/* Adds a copy of id.  Returns 1 if it was added, 0 if the set held it
 * already, -1 when out of memory. */
int idset_add(idset *s, const char *id);

/* Empties the set (it may be used again) and frees what it held. */
void idset_clear(idset *s);

#endif
