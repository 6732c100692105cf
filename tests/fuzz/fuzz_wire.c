/* fuzz_wire.c - the server's frame decoder on arbitrary bytes, as a hostile
 * client would send them: a frame header, then a payload.  It must refuse or
 * decode, never crash; each blob must lie inside the frame, an item blob
 * must decode or be refused, and so must a continuation of a log applied to
 * the item before it; the operations' table checks every decoded request
 * (its bounds), and a refusal always says why; what the table decodes for a
 * handler is each text whole and NUL-terminated, and no text holds a NUL
 * byte where its row wants a text. */
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
		ops_args a;
		why[0] = '\0';
		int d = ops_decode(&m, &a, why, sizeof why);
		if (d == -1 && !why[0])
			abort();
		const ops_def *row = ops_find(m.op);
		for (size_t i = 0; d == 0 && i < OPS_ARGS && row->args[i].kind != OPS_NONE; i++) {
			const ops_val *v = &a.v[i];
			ops_kind k = row->args[i].kind;
			if ((k == OPS_S || k == OPS_B) && (v->s[v->len] != '\0' || (k == OPS_S && strlen(v->s) != v->len)))
				abort();
			for (size_t j = 0; (k == OPS_STRS || k == OPS_VALS) && j < v->n; j++)
				if (v->strs[j][v->blobs[j].len] != '\0' ||
				    memcmp(v->strs[j], v->blobs[j].p, v->blobs[j].len) != 0)
					abort();
		}
		ops_args_free(&a);
	}
	wire_msg_free(&m);
	return 0;
}
