/* view.h - the filter and the sort kept in the config file across runs,
 * when it says remember_view: true. */
#ifndef SEETOP_VIEW_H
#define SEETOP_VIEW_H

#include <stddef.h>

#include "app.h"

/* Takes the config's view_filter and view_sort (when remember_view is on).
 * 0, or -1 with "FILE: reason" in err for a value seetop does not know. */
int view_load(app *a, char *err, size_t errlen);
/* Writes the filter and the sort into the config file (when remember_view
 * is on): its view_filter and view_sort lines are replaced, or added at its
 * end; every other line stays as it is.  0, or -1 with why in err. */
int view_save(const app *a, char *err, size_t errlen);

#endif
