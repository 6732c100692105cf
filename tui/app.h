/* app.h - the dashboard's state, its action table and its drawing. */
#ifndef SEETOP_APP_H
#define SEETOP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "prompt.h"
#include "store.h"

/* What a handler asks the main loop to do next. */
enum {
	DO_NOTHING = 0,
	DO_DRAW = 1 << 0,    /* draw the screen again */
	DO_RELOAD = 1 << 1,  /* read the store again, then draw */
	DO_QUIT = 1 << 2,
	DO_CLEAR = 1 << 3,   /* repaint every cell (Ctrl-L, resize) */
	DO_TICK = 1 << 4,    /* a second passed: the header and the ages */
	DO_PROMPT = 1 << 5,  /* the prompt's line changed */
};

typedef enum pane { PANE_EXECS, PANE_TASKS, PANE_DETAIL } pane;

/* The status filter f cycles through (w toggles the waiting one). */
typedef enum view_filter {
	FILTER_ALL,
	FILTER_WAITING,  /* waiting for input or paused, soonest deadline first */
	FILTER_PAUSED,   /* paused by an operator, no input asked */
	FILTER_RUNNING,
	FILTER_FAILED,
	FILTER_COMPLETE,
	FILTER_COUNT,
} view_filter;

/* Its name, as the header shows it. */
const char *app_filter_name(view_filter f);

/* The order s cycles through (S reverses it). */
typedef enum view_sort {
	SORT_STARTED,   /* newest first: the store's own order */
	SORT_AGE,       /* oldest first */
	SORT_DEADLINE,  /* soonest deadline first, those without one last */
	SORT_STATUS,    /* waiting, running, failed, complete */
	SORT_WORKFLOW,  /* by workflow name */
	SORT_COUNT,
} view_sort;

const char *app_sort_name(view_sort s);
/* The names back to a filter or a sort (remember_view); -1 when unknown. */
int app_filter_parse(const char *name);
int app_sort_parse(const char *name);

/* One loaded execution row (its record counts its complete tasks). */
typedef struct row {
	record_exec exec;
	bool looked;   /* its tasks were read for the marks below (rows on screen are) */
	bool paused;   /* waiting only because an operator paused it: no task asks for input */
	bool no_engine; /* running after a decision with no engine attached: nothing will move it */
} row;

/* What an action does to each marked execution (R, x, X with marks): its
 * operation, applied per execution; the action's row holds it. */
typedef struct bulk_op {
	const char *ask;       /* the confirmation's verb: "Reject the waiting tasks of" */
	const char *doing;     /* "rejecting", while it runs */
	const char *done;      /* "rejected": each execution done, and the summary */
	const char *reason;    /* what the reason's prompt says ("reject them"); NULL: none asked */
	bool running_too;      /* acts on running executions too (else only waiting ones) */
	bool answers;          /* skips an execution whose task needs an answer (store_task_needs_answer) */
	store_code (*apply)(store *st, const char *exec_id, const char *reason, store_err *err);
} bulk_op;

/* A bulk action after its confirmation: run a slice at a time between
 * keys, so that the screen stays live. */
typedef struct bulk_job {
	const bulk_op *op;
	char *reason;
	char (*ids)[RECORD_ID_BUF];      /* the marked executions, in marking order */
	char (*why)[700];      /* why each is skipped ("" when it is not) */
	size_t n, next;
	size_t done, skipped, refused;
} bulk_job;

/* An action that asks before it acts (a value, a reason, y/N): what it acts
 * on and the answers so far, while the prompt takes the keys.  Each answer
 * moves it to its next question; the last one sends it. */
typedef enum ask_op {
	ASK_NONE,
	ASK_SEARCH,
	ASK_LOG_SEARCH,
	ASK_ACTION,  /* an operation on the selected execution: its ask_def says how */
	ASK_BULK,
} ask_op;

typedef enum ask_step { STEP_VALUE, STEP_REASON, STEP_CONFIRM } ask_step;

struct ask;

/* What an operation that asks does once its questions are answered, beside
 * its handler in actions.c: pause, resume (a task, or all), reject, cancel. */
typedef struct ask_def {
	const char *reason;  /* what the reason's prompt says ("reject it"); NULL: none asked */
	bool echo_value;     /* the confirmation repeats the value given */
	/* Why the store would refuse it now, by the model's rules (into why,
	 * and the task that says so into *task); false when it would not.
	 * The handler asks it before the prompt opens, and the main loop after
	 * each reload while it is open. */
	bool (*refused)(const struct ask *k, const store_item *it, char *why, size_t cap, const char **task);
	/* Sends it; what to say when done into done. */
	store_code (*send)(store *st, const struct ask *k, char *done, size_t cap, store_err *err);
} ask_def;

typedef struct ask {
	ask_op op;
	const ask_def *def;  /* ASK_ACTION */
	ask_step step;
	char exec[RECORD_ID_BUF], task[RECORD_ID_BUF];
	/* the tasks asked for a value, in order, and the values given (a
	 * resume of one task asks one, of all as many as need one) */
	char (*tasks)[RECORD_ID_BUF];
	char **values;
	size_t n_tasks, asked;
	bool others;         /* a resume of all: waiting tasks that need no answer */
	char *reason;
	const bulk_op *bulk; /* ASK_BULK: the operation */
	char (*why)[700];    /* ASK_BULK: why each mark is skipped */
	char question[400];  /* the confirmation */
} ask;

typedef struct app {
	store *st;
	seetop_conf conf;
	bool read_only;
	bool color;
	char *home;
	/* the executions list: a window read page by page from the indexes */
	row *rows;
	size_t n_rows;
	store_cursor cur;      /* where the next page starts */
	bool deep;             /* rows[0] is not the newest: newer rows exist above the window */
	size_t sel, top;
	int list_h;            /* the rows of the executions pane (the layout sets it) */
	view_filter filter;
	view_sort sort;
	bool sort_reverse;
	char search[128];
	/* the selected execution in full */
	store_item item;
	bool have_item;
	record_event *events;
	size_t n_events;
	size_t task_sel, log_top;
	bool log_follow;       /* G in the detail: it stays on the last line as lines arrive */
	char log_search[128];  /* / in the detail: what n and N look for in the log */
	pane focus;
	bool help;
	size_t help_top;       /* the help's first line shown (it scrolls) */
	uint64_t gen;
	uint64_t counts[EXEC_STATUS_COUNT];
	/* of the waiting executions, how many an operator paused (no task asks
	 * for input); -1 when not counted (more than APP_PAUSED_COUNT_MAX wait) */
	long long n_paused;
	uint64_t paused_gen;   /* the generation n_paused was counted at */
	char msg[512];
	bool msg_error;
	int watch_fd;          /* the server's pushes; -1 while reconnecting */
	bool reconnecting;
	bool server_stopped;   /* its owner stopped the server: wait for a key before starting one */
	char remote_host[256]; /* the host of an ssh:// home; "" for a local one */
	bool remote_not_site;  /* its server said it is no site of a group (asked again after a reconnect) */
	int64_t repl_ask_after; /* monotonic ms before which the role is not asked (one failed) */
	int64_t silent_until;   /* monotonic ms: a read timed out (the server stopped?), none is made before */
	int silent_ms;          /* the hold now (0: none); it doubles while the server does not answer */
	int repl_backoff_ms;    /* the role's backoff now (0: none); it doubles likewise */
	bool batch;             /* a batch frame (seetop -b): nothing is held, an error ends it */
	bool reload_held;       /* a reload was not made meanwhile: made once reads go on */
	/* the site's place in its replication group, for the header: read
	 * each second while the home is a site (app_repl_refresh) */
	struct app_repl {
		store_repl_role role;  /* STORE_REPL_OFF: not a site, or not known */
		char master[300];      /* "" when none is known */
		bool lag_known;
		uint64_t lag_ms;
	} repl;
	bool pushed;
	bool push_pending;     /* a push waits for the next frame (max_fps) */
	double push_drawn_ms;  /* monotonic ms of the last redraw a push caused */
	/* what the pushes since the last reload named: a reload they alone
	 * caused reads the selected execution again only when it is named */
	/* whether a waiting execution is paused, as last read (by version) */
	struct paused_seen {
		char id[RECORD_ID_BUF];
		uint64_t version;
		bool paused;
	} paused_seen[64];
	size_t n_paused_seen, paused_seen_next;
	bool push_known;       /* the next reload is a push's, and its ids are below */
	bool push_all;         /* a push named too many to keep, or one was missed: read everything */
	size_t n_push_ids;
	char push_ids[STORE_PUSH_IDS][RECORD_ID_BUF];           /* the next draw shows a change the server pushed */
	/* the rows the pushes brought since the last read (the newest state of
	 * each), merged into the window at the next frame without asking */
	record_exec *push_rows;
	unsigned char *push_marks;  /* STORE_PUSH_PAUSED, STORE_PUSH_STRANDED per row */
	store_item *push_items;     /* per row: its tasks without lines, its newest events (exec.id NULL: none) */
	size_t n_push_rows;
	bool push_no_rows;     /* a push came without rows (an older server): read the list */
	uint64_t push_upto;    /* the generation the pushes merged reach (a->gen when none) */
	uint64_t push_counts[EXEC_STATUS_COUNT];
	/* the paused executions counted at paused_gen (n_paused of them), kept
	 * up to date by the pushed rows */
	char (*paused_ids)[RECORD_ID_BUF];
	size_t n_paused_ids;
	long long reconnect_at; /* the second of the last attempt */
	time_t clock_sec;      /* the second the header's clock shows */
	/* rows marked with Space, by id: R, x and X act on all of them */
	char (*marks)[RECORD_ID_BUF];
	size_t n_marks;
	/* the last bulk action's result per execution, shown with v */
	char **results;
	size_t n_results, results_top;
	bool show_results;
	bulk_job *job;         /* running, or NULL */
	prompt prompt;         /* the bottom line, when it asks */
	ask ask;               /* what the prompt asks for */
	/* which task failed each failed execution seen (an ended execution
	 * does not change), for its row: a ring of the last ones */
	struct {
		char exec[RECORD_ID_BUF], task[RECORD_ID_BUF];
	} failed[64];
	size_t n_failed;
	char clipboard[200];   /* an id for the terminal's clipboard (OSC 52), written after the next draw */
	/* who runs seetop, for "you may not answer this" (read on first use) */
	bool who_known;
	char me[64];
	char groups[32][65];
	size_t n_groups;
} app;

typedef int (*action_fn)(app *a);

/* The one table of actions: keys, help, footer and read-only mode come from it. */
typedef struct action {
	int key;
	int key2;            /* another key for the same action, or 0 */
	const char *keyname;
	const char *name;    /* short, for the footer */
	const char *help;
	bool mutates;        /* changes data: unbound in read-only mode */
	bool footer;         /* shown in the footer */
	action_fn run;
	const bulk_op *bulk; /* with marks, the key does this to each marked execution (NULL: marks do not count) */
} action;

extern const action app_actions[];

#define APP_MARKS_MAX 1000
/* How long a dashboard's call waits for its answer: a server that went
 * away must not freeze the screen (the loop reconnects). */
#define APP_CALL_TIMEOUT_MS 2000
/* The role's ask, once a second at a site: it waits at most this long (a
 * replica's server waits up to 500 ms for a master that hangs), and after
 * one that failed (a server stopped with Ctrl-Z) none is made for
 * APP_REPL_BACKOFF_MS, doubling while they fail (up to
 * APP_SILENT_MAX_MS): keys are answered meanwhile. */
#define APP_REPL_ASK_MS 800
#define APP_REPL_BACKOFF_MS 3000
/* After a read that timed out, the selected execution's details and the
 * list are not read for this long: moving answers at once, on what the
 * screen last showed (a change asked by a key is still sent).  Then the
 * server is asked whether it answers, waiting at most APP_PROBE_MS; while
 * it does not, the hold doubles, up to APP_SILENT_MAX_MS. */
#define APP_SILENT_MS 3000
#define APP_SILENT_MAX_MS 15000
#define APP_PROBE_MS 300
/* The events of the selected execution read (the newest). */
#define APP_EVENTS 200
/* The header counts the paused executions when at most this many wait:
 * paused is not a status of its own, so each one's tasks are read. */
#define APP_PAUSED_COUNT_MAX 64
/* Whether the execution is marked (Space). */
bool app_marked(const app *a, const char *id);

/* Whether a bulk action runs: the main loop then calls app_work between
 * keys, without waiting for one. */
bool app_busy(const app *a);
/* Runs about 20 ms of the running bulk action; returns DO_* flags.  Esc
 * stops it (what was done stays done, the rest stays marked); keys that
 * change data wait for it. */
int app_work(app *a);

/* Reads the store: counts, the list window, the selected execution. */
int app_reload(app *a);
/* Keeps what a push named and the rows it brought (taken over from p),
 * for the next frame. */
void app_note_push(app *a, const store_push *p, store_push_rows *pr);
/* At the frame after pushes: merges the rows they brought into the window,
 * the counts and the selected execution, asking the store only for what
 * they do not say; returns DO_* flags (DO_RELOAD when a row entered or
 * left the window, the filter or sort needs the index, or a push was
 * missed). */
int app_push_apply(app *a);
/* Reads the site's role, its master and its lag when the home is a site
 * of a replication group (a home that is not makes no request); DO_TICK
 * (the header) when what the header says of it changed, else DO_NOTHING. */
int app_repl_refresh(app *a);
/* Whether reads wait (one timed out a moment ago): what would read is left
 * for the reload made once the server answers again. */
bool app_reads_wait(const app *a);
/* Each second, once the hold ends: whether the server answers now (asked
 * with a short wait); when it does, the reload of what was left. */
int app_reads_resume(app *a);
/* The server pushed a change: it answers again, and the reads held are made. */
int app_reads_heard(app *a);
/* The host of an ssh://[USER@]HOST[:PORT]/PATH home into out ("" for a
 * local home), and where its path starts (the home itself when local). */
const char *app_remote_host(const char *home, char *out, size_t cap);
/* Reads what a row alone does not say (paused or waiting for input, which
 * task failed it) for the rows on screen. */
void app_look_rows(app *a);
/* Whether execution e waits only because an operator paused it (reads its tasks). */
bool app_exec_paused(app *a, const record_exec *e);
/* Whether a waiting task waits only because it was paused (no input asked). */
bool app_task_paused(const record_task *t);
/* The detail pane's lines of task t before its first log line (why it
 * failed, the execution, its input request and value, "earlier lines"). */
size_t app_detail_prefix(const app *a, const record_task *t);
/* The task that failed a failed execution, when known ("" otherwise). */
const char *app_failed_task(const app *a, const char *exec_id);
/* Reads the selected execution in full. */
void app_load_item(app *a);
/* The store's rule, said before a prompt: whether this user may answer
 * task t of e (why says why not). */
bool app_may_answer(app *a, const record_exec *e, const record_task *t, char *why, size_t cap);
/* Runs the action bound to `key`, or gives the key to the open prompt;
 * returns DO_* flags. */
int app_key(app *a, int key);
/* After the store was read again: an open prompt whose task or execution
 * changed meanwhile says so, and will send nothing. */
int app_ask_check(app *a);
/* Ends what was being asked, sending nothing. */
void app_ask_clear(app *a);
/* A mouse click at screen row y. */
int app_click(app *a, int y, int x);
void app_free(app *a);
void app_set_msg(app *a, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Drawing (draw.c). */
void draw_screen(app *a);
/* The clock's redraw: of the header and the executions' rows, what changed
 * with the second (the clock, an age, a deadline's time left). */
void draw_tick(app *a);
void draw_init_colors(app *a);
/* The rows of the executions pane that fit on the screen. */
int draw_list_height(void);
/* The prompt's line, when one is open (DO_PROMPT). */
void draw_prompt_line(app *a);
/* Writes one plain-text frame (batch mode). */
void draw_batch_frame(app *a, int width, int height);

#endif
