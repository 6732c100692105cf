/* prompt.h - the line at the bottom where the operator types an answer, a
 * reason or a search, or answers y/N: an editing state machine that knows
 * nothing of the terminal.  The main loop feeds it keys between pushes and
 * clock ticks; it never waits for one. */
#ifndef SEETOP_PROMPT_H
#define SEETOP_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

/* The editing keys, as the caller maps them from the terminal's codes;
 * every other key is a byte (a UTF-8 sequence arrives one byte a key). */
enum {
	PROMPT_KEY_ENTER = '\n',
	PROMPT_KEY_ESC = 27,
	PROMPT_KEY_BACKSPACE = 0x7f,
	PROMPT_KEY_LEFT = 0x1000,
	PROMPT_KEY_RIGHT,
	PROMPT_KEY_HOME,
	PROMPT_KEY_END,
	PROMPT_KEY_DELETE,
};

typedef enum prompt_state {
	PROMPT_CLOSED,
	PROMPT_EDITING,   /* a line is being typed */
	PROMPT_ASKING,    /* a y/N question waits for its key */
	PROMPT_STALE,     /* what it asked about changed meanwhile: it says so, and sends nothing */
	PROMPT_DONE,      /* Enter on the line, or y to the question */
	PROMPT_CANCELLED, /* Esc, or anything but y to the question */
} prompt_state;

typedef struct prompt {
	prompt_state state;
	char label[700];  /* what is asked, before the line */
	char *buf;        /* the line, NUL-terminated (NULL until opened) */
	size_t len, pos;  /* its length and the cursor, in bytes */
	size_t max;       /* the most bytes the line may hold */
	size_t cap;       /* bytes allocated */
	bool selected;    /* a pre-filled default, replaced whole by the first key */
	char why[700];    /* PROMPT_STALE: what changed */
} prompt;

/* Opens a line to edit, pre-filled with `initial` (may be NULL), which is
 * selected so that typing replaces it; at most `max` bytes.  False when out
 * of memory. */
bool prompt_open_line(prompt *p, const char *label, const char *initial, size_t max);
/* Opens a y/N question. */
void prompt_open_question(prompt *p, const char *question);
/* Feeds one key; returns the new state.  In PROMPT_STALE only Enter or Esc
 * (any key for a question) closes it, as PROMPT_CANCELLED, so that the rest
 * of what was being typed does not fall into the dashboard as commands. */
prompt_state prompt_key(prompt *p, int key);
/* Marks an open prompt stale: what it asked about changed; why says what. */
void prompt_stale(prompt *p, const char *why);
/* Whether the prompt takes the keys (editing, asking or stale). */
bool prompt_is_open(const prompt *p);
/* Closes it and frees the line. */
void prompt_close(prompt *p);

#endif
