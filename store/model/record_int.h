/* record_int.h - record encodings that only tests and upgrades need. */
#ifndef SEESTORE_RECORD_INT_H
#define SEESTORE_RECORD_INT_H

#include "record.h"

/* An execution record in an older layout (1: the pre-pause layout, without
 * is_paused and paused_task_id). */
int rec_encode_exec_layout(const record_exec *e, record_buf *out, unsigned layout);

#endif
