/* gen.h - synthetic executions for demos and benchmarks. */
#ifndef SEETOP_GEN_H
#define SEETOP_GEN_H

#include "store.h"

typedef struct gen_params {
	size_t tasks_per;       /* tasks per execution */
	double waiting_ratio;   /* fraction waiting for input */
	unsigned seed;
	size_t executions;      /* how many in all: start times then follow the ids
				 * (0: random over the whole span) */
} gen_params;

/* The cache, in MB, for a home that will hold `n` such executions: about
 * 320 bytes per execution and 190 per task, and a quarter more, from 256 MB
 * to 4 GB (the value for SEESTORE_CACHE_MB). */
int gen_cache_mb(const gen_params *p, size_t n);

/* Execution number i (id gen-%08zu): a pure function of (params, i). */
void gen_item(const gen_params *p, size_t i, store_item *it);

#endif
