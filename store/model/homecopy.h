/* homecopy.h - copying a home's files between directories, as a backup
 * makes one and a restore brings one back: each file new and on disk, and
 * a directory left half-made removed. */
#ifndef SEETOP_HOMECOPY_H
#define SEETOP_HOMECOPY_H

#include "err.h"

/* Copies the file `name` of the directory fromfd into the directory tofd:
 * new there (O_EXCL, mode 0600), no link followed on either side, and
 * flushed to disk.  An error names `what` (the command) and the file. */
store_code homecopy_file(int fromfd, int tofd, const char *name, const char *what, store_err *err);

/* Removes the directory `name` of parentfd and the files in it: a copy
 * that did not finish. */
void homecopy_remove(int parentfd, const char *name);

#endif
