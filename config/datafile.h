/* datafile.h - YAML data files of executions and tasks: import and export,
 * and the JSON form of records for scripts. */
#ifndef SEETOP_DATAFILE_H
#define SEETOP_DATAFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "store.h"

typedef struct datafile datafile;

/* Bounds, each refused with FILE:LINE:COL: a name, prompt, default, value
 * or reason of 64 KiB, a log line of 1 MiB, 10,000 tasks per execution, and
 * a file whose aliases expand it past 10 times its size or 64 MB (whichever
 * is larger): an alias is counted each time it is used. */

/* Opens the files to import ("-" is standard input, spooled so that a retried
 * transaction can read it again).  0, or -1 with a message in err. */
int datafile_open(datafile **out, const char *const *paths, size_t n, char *err, size_t errlen);
/* The items of every file in turn, for store_import. */
store_source datafile_source(datafile *d);
/* After a failed import: the "FILE:LINE:COL: reason" of the data-file error,
 * or NULL when the data files were fine (the store refused). */
const char *datafile_error(const datafile *d);
void datafile_close(datafile *d);

/* Writes the whole store as a YAML data file, in id order; with `events`,
 * each execution's audit trail too (oldest first: importing it into a
 * store that does not hold the execution restores its history). */
store_code datafile_export_yaml(store *st, bool events, FILE *out, store_err *err);
/* Writes one JSON object per execution (with its tasks, and with `events`
 * its audit trail) per line. */
store_code datafile_export_json(store *st, bool events, FILE *out, store_err *err);

/* JSON objects with the data model's field names; null for absent values. */
void datafile_json_exec(FILE *f, const record_exec *e);
void datafile_json_task(FILE *f, const record_task *t);
void datafile_json_event(FILE *f, const record_event *ev);
/* A waiting execution for seectl paused: its fields (with its earliest
 * "deadline") and its waiting tasks ("waiting"). */
void datafile_json_paused(FILE *f, const store_item *it);

#endif
