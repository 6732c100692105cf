/* fuzz_wire.c - the server's frame decoder on arbitrary bytes, as a hostile
 * client would send them: a frame header, then a payload.  It must refuse or
 * decode, never crash; each blob must lie inside the frame, an item blob
 * must decode or be refused, and so must a continuation of a log applied to
 * the item before it; the operations' table checks every decoded request
 * (its bounds), and a refusal always says why. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	if (size >= 4)
		(void)wire_frame_len(data, &len);
	wire_msg m;
	char why[256];
	if (wire_decode(data, size, &m, why, sizeof why) == 0) {
		store_item last;
		bool have = false;
		for (size_t i = 0; i < m.n_blobs; i++) {
			if (m.blobs[i].p < data || m.blobs[i].p + m.blobs[i].len > data + size)
				abort();
			if (wire_is_more(&m.blobs[i])) {
				if (have)
					(void)wire_more_apply(m.blobs[i].p, m.blobs[i].len, &last, why, sizeof why);
				continue;
			}
			if (have)
				store_item_free(&last);
			have = wire_item_decode(m.blobs[i].p, m.blobs[i].len, &last, why, sizeof why) == 0;
		}
		if (have)
			store_item_free(&last);
		for (int i = 0; i < WIRE_S; i++)
			if (m.has_s[i] && (m.s[i].p < data || m.s[i].p + m.s[i].len > data + size))
				abort();
		why[0] = '\0';
		if (ops_check(&m, why, sizeof why) < 0 && !why[0])
			abort();
	}
	wire_msg_free(&m);
	return 0;
}
