/* record.h - the data model of seetop and its on-disk encoding.
 *
 * Records are encoded as a 3-byte header ('S', kind, layout version) followed
 * by tagged fields: a varint key (tag << 1 | wire type) and either a varint or
 * a length-prefixed byte string.  A reader skips tags it does not know and keeps
 * their bytes in `unknown`, so a record written by a newer version survives
 * being rewritten by an older one; absent fields take their defaults. */
#ifndef SEESTORE_RECORD_H
#define SEESTORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Arbitrary bytes as a workflow produced them.  `s` is always NUL-terminated
 * for convenience, but may hold NUL bytes before `len`. */
typedef struct record_text {
	char *s;
	size_t len;
} record_text;

/* Encoded fields this version does not know, kept verbatim for rewriting. */
typedef struct record_unknown {
	unsigned char *bytes;
	size_t len;
} record_unknown;

typedef enum record_input_type {
	INPUT_STRING = 0,
	INPUT_NUMBER,
	INPUT_BOOLEAN,
} record_input_type;

/* What the store does when an input request's deadline passes unanswered. */
typedef enum record_on_timeout {
	TIMEOUT_FAIL = 0,  /* the task fails (the default) */
	TIMEOUT_DEFAULT,   /* it is resumed with its default value */
	TIMEOUT_SKIP,      /* it is resumed with no value (an answer that is not required) */
} record_on_timeout;

typedef struct record_exec {
	char *id;
	record_text workflow_name;
	char *start_timestamp;   /* RFC 3339, required */
	char *end_timestamp;     /* NULL = not ended */
	exec_status status;
	char **task_ids;         /* ordered as the workflow runs them */
	size_t n_task_ids;
	bool is_paused;
	char *paused_task_id;    /* NULL = none */
	/* Derived, kept by the store on every save: how many of its tasks are
	 * complete, so that a list shows progress without reading a task.  Not
	 * part of data files. */
	uint64_t tasks_complete;
	/* The store's change number of the record: the generation that last
	 * changed it.  A replacing save of a copy read at an older version is
	 * refused (0: a copy that was not read from the store). */
	uint64_t version;
	/* The engine that drives it, as it attached (pid 0: none ever did), and
	 * whether that engine's connection to the server is alive now (set by
	 * the store when it hands the record out; never stored). */
	uint64_t engine_pid;
	char *engine_host;
	bool engine_attached;
	/* The definition an engine runs it from (a file's absolute path), and a
	 * hash of that file's bytes: a continued run checks it is the same. */
	char *definition;
	uint64_t definition_hash;
	/* The Unix user whose engine started it, as the server saw it (NULL:
	 * not known, such as an imported execution). */
	char *started_by;
	/* Derived, kept by the store while it waits: the earliest deadline of
	 * its waiting tasks (NULL: none), and when that deadline was set, so
	 * that a list can sort by it and say how much of the time is left. */
	char *input_deadline;
	char *deadline_from;
	record_unknown unknown;
} record_exec;

typedef struct record_task {
	char *execution_id;
	char *task_id;
	record_text task_name;
	task_status status;
	/* The newest log lines (all of them in data files and exports); the
	 * store keeps each line in a record of its own, so that appending the
	 * 100,000th line costs what the first did.  log_count is how many the
	 * task has: logs[0] is line log_count - n_logs (store_task_logs pages). */
	record_text *logs;
	size_t n_logs;
	uint64_t log_count;
	char *start_timestamp;   /* "" = not started */
	char *end_timestamp;     /* "" = not ended */
	bool has_input;          /* the task carries an input request */
	record_text input_prompt;
	record_input_type input_type;
	bool has_input_default;
	record_text input_default;
	bool input_required;
	bool has_input_value;    /* an operator supplied a value */
	record_text input_value;
	bool has_reason;         /* why it failed, as its engine or operator said */
	record_text reason;
	bool input_asked;        /* its engine asked for the input (it is answered once it runs again) */
	/* The input request's deadline (RFC 3339, NULL: none) and what happens
	 * when it passes; kept after the task is answered. */
	char *input_deadline;
	record_on_timeout on_timeout;
	char *deadline_from;     /* when the deadline was set */
	/* Who may answer, reject or cancel it: Unix user names, and group
	 * names as "@group" (none: anyone who may write); and whether the user
	 * who started the execution is refused. */
	char **respondents;
	size_t n_respondents;
	bool no_self_approval;
	record_unknown unknown;
} record_task;

typedef struct record_event {
	uint64_t seq;
	char *time;
	char *actor;
	char *action;            /* what happened: one of record_event_action_known's */
	char *execution_id;
	char *task_id;           /* NULL when the event concerns the whole execution */
	char *status_before;     /* NULL when not applicable */
	char *status_after;
	bool has_input_value;
	record_text input_value;
	bool has_reason;         /* a failure's reason */
	record_text reason;
	char *user;              /* the Unix user of the client, as the server saw it (NULL: the server itself) */
	record_unknown unknown;
} record_event;

/* Layout versions: 1 is the pre-pause layout (no is_paused/paused_task_id). */
#define RECORD_LAYOUT 2

typedef struct record_buf {
	unsigned char *data;
	size_t len, cap;
} record_buf;

/* Encoding: the buffer grows as needed; returns 0, or -1 when out of memory. */
int record_encode_exec(const record_exec *e, record_buf *out);
int record_encode_task(const record_task *t, record_buf *out);
int record_encode_event(const record_event *ev, record_buf *out);
void record_buf_free(record_buf *b);

/* Decoding: returns 0, or -1 with a reason in `why` (record left zeroed). */
int record_decode_exec(const void *data, size_t len, record_exec *e, char *why, size_t whylen);
int record_decode_task(const void *data, size_t len, record_task *t, char *why, size_t whylen);
int record_decode_event(const void *data, size_t len, record_event *ev, char *why, size_t whylen);

void record_exec_free(record_exec *e);
void record_task_free(record_task *t);
void record_event_free(record_event *ev);
/* Whether an event's action is one the audit trail records (the list is
 * record.c's: pause, resume-task, import, start, begin, ...).  Every
 * operation of the protocol that records an event names its action in its
 * row (store/proto/ops.h), and tests/unit/test_ops.c checks it is known. */
bool record_event_action_known(const char *action);
void record_exec_array_free(record_exec *v, size_t n);
void record_task_array_free(record_task *v, size_t n);
void record_event_array_free(record_event *v, size_t n);

/* Deep copies; return 0 or -1 when out of memory. */
int record_exec_copy(record_exec *dst, const record_exec *src);
int record_task_copy(record_task *dst, const record_task *src);

/* Helpers for building records. */
int record_text_set(record_text *t, const char *s, size_t len);
void record_text_free(record_text *t);
char *record_strdup(const char *s);

const char *record_input_type_name(record_input_type t);
int record_input_type_parse(const char *s, record_input_type *out);
const char *record_on_timeout_name(record_on_timeout p);
int record_on_timeout_parse(const char *s, record_on_timeout *out);

/* Ids are 1-128 (RECORD_ID_MAX) bytes of printable UTF-8 (no control characters). */
#define RECORD_ID_MAX 128
/* A buffer that holds an id with its NUL (and a byte more, so that a copy
 * of a text too long to be an id is seen to be). */
#define RECORD_ID_BUF (RECORD_ID_MAX + 2)
bool record_id_valid(const char *id);
/* RFC 3339 timestamp; on success stores microseconds since the epoch. */
bool record_timestamp_parse(const char *s, int64_t *usec);
/* The current UTC time as RFC 3339 with microseconds, into buf (>= 32 bytes). */
void record_timestamp_now(char *buf, size_t len);
/* A time (microseconds since the epoch) as RFC 3339 UTC with microseconds. */
void record_timestamp_format(int64_t usec, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
