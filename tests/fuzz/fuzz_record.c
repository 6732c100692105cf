/* fuzz_record.c - the record decoder on arbitrary bytes: it must refuse or
 * decode, never crash, and what it decodes must encode and decode again. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	record_exec e;
	record_task t;
	record_event ev;
	record_buf b = { 0 };
	if (record_decode_exec(data, size, &e, why, sizeof why) == 0) {
		record_exec again;
		if (record_encode_exec(&e, &b) != 0 || record_decode_exec(b.data, b.len, &again, why, sizeof why) != 0)
			abort();
		if (strcmp(again.id, e.id) != 0 || again.n_task_ids != e.n_task_ids || again.unknown.len != e.unknown.len)
			abort();
		record_exec_free(&again);
		record_exec_free(&e);
	}
	if (record_decode_task(data, size, &t, why, sizeof why) == 0) {
		record_task again;
		if (record_encode_task(&t, &b) != 0 || record_decode_task(b.data, b.len, &again, why, sizeof why) != 0)
			abort();
		if (again.n_logs != t.n_logs || again.task_name.len != t.task_name.len)
			abort();
		record_task_free(&again);
		record_task_free(&t);
	}
	if (record_decode_event(data, size, &ev, why, sizeof why) == 0)
		record_event_free(&ev);
	record_buf_free(&b);
	return 0;
}
