/* fuzz_datafile.c - the YAML data file loader on arbitrary text: every item
 * it yields passes the store's rules, and a refusal names FILE:LINE:COLUMN. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datafile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/fuzz-datafile-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	const char *paths[] = { path };
	datafile *d;
	char why[1100];
	if (datafile_open(&d, paths, 1, why, sizeof why) == 0) {
		store_source src = datafile_source(d);
		for (int i = 0; i < 100000; i++) {
			store_item it;
			memset(&it, 0, sizeof it);
			int rc = src.next(src.ctx, &it, why, sizeof why);
			if (rc == 1 && store_item_check(&it, why, sizeof why) != 0)
				abort(); /* the loader let through what the store refuses */
			store_item_free(&it);
			if (rc < 0 && strncmp(why, path, strlen(path)) != 0)
				abort(); /* every refusal names the file */
			if (rc <= 0)
				break;
		}
		datafile_close(d);
	}
	unlink(path);
	return 0;
}
