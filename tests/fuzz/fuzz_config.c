/* fuzz_config.c - the config loader on arbitrary text: it refuses with
 * FILE:LINE:COLUMN or loads values inside their documented ranges. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1100];
	snprintf(path, sizeof path, "/tmp/fuzz-config-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	seetop_conf c;
	conf_defaults(&c);
	if (conf_load_file(&c, path, err, sizeof err) == 0) {
		if (c.refresh_ms < 50 || c.refresh_ms > 60000)
			abort();
		for (int k = 0; k < COLOR_KEY_COUNT; k++)
			if (c.color[k].fg < -1 || c.color[k].fg > 7)
				abort();
	} else if (strncmp(err, path, strlen(path)) != 0) {
		abort();
	}
	conf_free(&c);
	unlink(path);
	return 0;
}
