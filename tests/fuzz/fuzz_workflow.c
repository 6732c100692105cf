/* fuzz_workflow.c - the workflow file reader on arbitrary bytes: it refuses
 * with FILE:LINE:COL (or FILE: reason) or reads a workflow whose tree is
 * consistent and inside its documented bounds. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1300];
	snprintf(path, sizeof path, "/tmp/fuzz-workflow-%d.json", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	workflow w;
	if (workflow_load(path, &w, err, sizeof err) == 0) {
		if (w.n == 0 || w.n > WORKFLOW_TASKS_MAX || !w.id || !w.name)
			abort();
		for (size_t i = 0; i < w.n; i++) {
			const wf_task *t = &w.tasks[i];
			if (!t->id || !record_id_valid(t->id) || !t->name)
				abort();
			if (t->parent != SIZE_MAX && t->parent >= i) /* a parent comes first */
				abort();
			if (t->kind == WF_COMMAND && (!t->command || !*t->command))
				abort();
			if (t->kind == WF_INPUT && (!t->prompt || (t->has_default && !t->default_text)))
				abort();
			for (size_t k = 0; k < t->n_next; k++)
				if (t->next[k] <= i || t->next[k] >= w.n || w.tasks[t->next[k]].parent != i)
					abort();
			for (size_t j = 0; j < i; j++)
				if (strcmp(w.tasks[j].id, t->id) == 0)
					abort();
		}
		workflow_free(&w);
	} else if (strncmp(err, path, strlen(path)) != 0) {
		abort();
	}
	unlink(path);
	return 0;
}
