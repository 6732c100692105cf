/* idset.c - a set of ids: open addressing with linear probing, kept at most
 * half full, so that adding n ids costs O(n) and not O(n^2) comparisons. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"

static uint64_t hash(const char *p)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	return h;
}

/* the slot of id: where it is, or the empty one where it would go */
static size_t find(const idset *s, const char *id)
{
	size_t i = (size_t)hash(id) & (s->cap - 1);
	while (s->slot[i] && strcmp(s->slot[i], id) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int grow(idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	char **old = s->slot;
	size_t old_cap = s->cap;
	if (cap > SIZE_MAX / sizeof *old)
		return -1;
	s->slot = calloc(cap, sizeof *s->slot);
	if (!s->slot) {
		s->slot = old;
		return -1;
	}
	s->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			s->slot[find(s, old[i])] = old[i];
	free(old);
	return 0;
}

int idset_add(idset *s, const char *id)
{
	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -1;
	size_t i = find(s, id);
	if (s->slot[i])
		return 0;
	if (!(s->slot[i] = strdup(id)))
		return -1;
	s->n++;
	return 1;
}

void idset_clear(idset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}
