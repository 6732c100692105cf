/* workflow.h - workflow definition files in the format of the see engine:
 * JSON (read as YAML flow syntax, with libyaml), a tree of tasks.
 *
 *   {"id": "...", "name": "...", "tasks": [TASK, ...]}
 *   TASK = {"id", "name", "function": {"name": "cli_command",
 *            "input": {"command": "...", "args": [...]}}
 *          | {"name": "user_input", "input": {"prompt", "input_type",
 *            "required", "default", "timeout", "on_timeout", "respondents",
 *            "no_self_approval"}},
 *          "next_tasks": [TASK, ...]}
 *
 * seetop adds to see's format: "timeout" (a duration: 90s, 15m, 2h, 7d) and
 * "on_timeout" (fail, the default; default, which needs a default; skip,
 * which needs required false); "respondents" (a list of Unix user names and
 * "@group"s who may answer) and "no_self_approval" (true: not the user who
 * started the execution).
 *
 * A top level {"content": {...}, "description", "version"} (see's saved
 * form) is read the same way.  Unknown keys, duplicate task ids and the
 * functions seerun cannot run (cursor_agent, custom) are refused with
 * FILE:LINE:COL. */
#ifndef SEETOP_WORKFLOW_H
#define SEETOP_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define WORKFLOW_FILE_MAX (16u << 20) /* bytes */
#define WORKFLOW_TASKS_MAX 10000
#define WORKFLOW_DEPTH_MAX 200        /* tasks nested in next_tasks */
#define WORKFLOW_ARGS_MAX 4096
#define WORKFLOW_TEXT_MAX 65536       /* a name, prompt, command or argument */
#define WORKFLOW_PROBLEMS_MAX 100     /* workflow_check stops after this many */

typedef enum wf_kind { WF_COMMAND, WF_INPUT } wf_kind;

typedef struct wf_task {
	char *id;
	char *name;
	wf_kind kind;
	char *command;           /* WF_COMMAND */
	char **args;
	size_t n_args;
	char *prompt;            /* WF_INPUT */
	record_input_type type;
	bool required;
	bool has_default;
	char *default_text;      /* the default as text: 42, true, "yes" */
	uint64_t timeout_s;      /* 0: none */
	record_on_timeout on_timeout;
	char **respondents;      /* who may answer: users, "@group"s */
	size_t n_respondents;
	bool no_self_approval;
	size_t parent;           /* index of the task whose next_tasks hold it; SIZE_MAX for a root */
	size_t *next;            /* indexes of its next_tasks */
	size_t n_next;
} wf_task;

typedef struct workflow {
	char *id;
	char *name;
	wf_task *tasks;          /* depth first: a task before its next_tasks */
	size_t n;
	uint64_t hash;           /* of the file's bytes: a continued run checks it is the same file */
} workflow;

/* Reads a workflow file.  0, or -1 with "FILE:LINE:COL: reason" in err. */
int workflow_load(const char *path, workflow *out, char *err, size_t errlen);
/* Reads it as workflow_load does, but goes on past a bad task (or a bad field
 * of the workflow) to find every problem it can, as `argo lint` does: each
 * is handed to `problem` as "FILE:LINE:COL: reason", in file order, at most
 * one per task.  A file that is not JSON stops at its first syntax error.
 * Returns how many (0: *out holds the workflow, for workflow_free; else it
 * is empty).  A valid file that libyaml reads but that is not strict JSON
 * (a key without quotes, single quotes, a comment: see's engine refuses it)
 * gets one "FILE:LINE:COL: warning: ..." too, not counted. */
size_t workflow_check(const char *path, workflow *out, void (*problem)(void *ctx, const char *msg), void *ctx);
void workflow_free(workflow *w);
/* The environment variable an answer reaches later commands by:
 * SEETOP_INPUT_ + the id upper-cased, every other byte '_'.  Into buf. */
void workflow_env_name(const char *task_id, char *buf, size_t len);

#endif
