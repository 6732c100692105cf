/* demo.h - seetop --demo: a scratch home with the demo data, and seerun
 * driving a few workflows in it, all of it removed when the demo ends. */
#ifndef SEETOP_DEMO_H
#define SEETOP_DEMO_H

#include <stddef.h>

typedef struct demo demo;

/* Makes the scratch home, loads the demo data, starts the engines.
 * 0 with *out (home in demo_home), or an exit code (2 bad data file, 3
 * storage) with a message in why. */
int demo_start(demo **out, char *why, size_t whylen);
const char *demo_home(const demo *d);
/* Reaps the engines whose workflows ended, so that none is left a zombie
 * while the dashboard runs (NULL: nothing to do). */
void demo_reap(demo *d);
/* Stops the engines and the home's server, removes the home, frees d
 * (NULL: nothing to do). */
void demo_stop(demo *d);

#endif
