/* prompt.c - the line editor and the y/N question, without a terminal. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prompt.h"

static bool reserve(prompt *p, size_t need)
{
	if (need + 1 <= p->cap)
		return true;
	size_t cap = p->cap ? p->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	char *b = realloc(p->buf, cap);
	if (!b)
		return false;
	p->buf = b;
	p->cap = cap;
	return true;
}

bool prompt_open_line(prompt *p, const char *label, const char *initial, size_t max)
{
	prompt_close(p);
	snprintf(p->label, sizeof p->label, "%s", label);
	size_t n = initial ? strlen(initial) : 0;
	if (n > max)
		n = max;
	if (!reserve(p, n))
		return false;
	memcpy(p->buf, initial ? initial : "", n);
	p->buf[n] = '\0';
	p->len = p->pos = n;
	p->max = max;
	p->selected = n > 0;
	p->state = PROMPT_EDITING;
	return true;
}

void prompt_open_question(prompt *p, const char *question)
{
	prompt_close(p);
	snprintf(p->label, sizeof p->label, "%s", question);
	p->state = PROMPT_ASKING;
}

void prompt_stale(prompt *p, const char *why)
{
	if (!prompt_is_open(p))
		return;
	snprintf(p->why, sizeof p->why, "%s", why);
	p->state = PROMPT_STALE;
}

bool prompt_is_open(const prompt *p)
{
	return p->state == PROMPT_EDITING || p->state == PROMPT_ASKING || p->state == PROMPT_STALE;
}

void prompt_close(prompt *p)
{
	free(p->buf);
	p->buf = NULL;
	p->len = p->pos = p->cap = 0;
	p->selected = false;
	p->why[0] = '\0';
	p->state = PROMPT_CLOSED;
}

/* The byte offset of the character before/after pos. */
static size_t utf8_prev(const char *buf, size_t pos)
{
	while (pos && ((unsigned char)buf[--pos] & 0xc0) == 0x80)
		;
	return pos;
}

static size_t utf8_next(const char *buf, size_t len, size_t pos)
{
	if (pos < len)
		pos++;
	while (pos < len && ((unsigned char)buf[pos] & 0xc0) == 0x80)
		pos++;
	return pos;
}

static void cut(prompt *p, size_t from, size_t to)
{
	memmove(p->buf + from, p->buf + to, p->len - to + 1);
	p->len -= to - from;
	if (p->pos > to)
		p->pos -= to - from;
	else if (p->pos > from)
		p->pos = from;
}

#define CTRL(c) ((c) & 0x1f)

/* Left/Right, Home/End (Ctrl-A/Ctrl-E), Backspace, Delete (Ctrl-D), Ctrl-U
 * (to the start) and Ctrl-W (the word before) edit the line. */
static prompt_state edit(prompt *p, int key)
{
	if (key == PROMPT_KEY_ESC)
		return p->state = PROMPT_CANCELLED;
	if (key == PROMPT_KEY_ENTER || key == '\r')
		return p->state = PROMPT_DONE;
	bool printable = key >= 0x20 && key < 0x100 && key != 0x7f;
	bool erases = key == PROMPT_KEY_BACKSPACE || key == CTRL('h') || key == PROMPT_KEY_DELETE;
	if (p->selected && (printable || erases)) {
		/* the selected default goes as a whole */
		p->len = p->pos = 0;
		p->buf[0] = '\0';
		p->selected = false;
		if (!printable)
			return p->state;
	}
	p->selected = false;
	if (key == PROMPT_KEY_BACKSPACE || key == CTRL('h')) {
		if (p->pos)
			cut(p, utf8_prev(p->buf, p->pos), p->pos);
	} else if (key == PROMPT_KEY_DELETE || key == CTRL('d')) {
		if (p->pos < p->len)
			cut(p, p->pos, utf8_next(p->buf, p->len, p->pos));
	} else if (key == PROMPT_KEY_LEFT || key == CTRL('b')) {
		p->pos = utf8_prev(p->buf, p->pos);
	} else if (key == PROMPT_KEY_RIGHT || key == CTRL('f')) {
		p->pos = utf8_next(p->buf, p->len, p->pos);
	} else if (key == PROMPT_KEY_HOME || key == CTRL('a')) {
		p->pos = 0;
	} else if (key == PROMPT_KEY_END || key == CTRL('e')) {
		p->pos = p->len;
	} else if (key == CTRL('u')) {
		cut(p, 0, p->pos);
	} else if (key == CTRL('w')) {
		size_t from = p->pos;
		while (from && p->buf[from - 1] == ' ')
			from--;
		while (from && p->buf[from - 1] != ' ')
			from--;
		cut(p, from, p->pos);
	} else if (printable && p->len < p->max && reserve(p, p->len + 1)) {
		memmove(p->buf + p->pos + 1, p->buf + p->pos, p->len - p->pos + 1);
		p->buf[p->pos++] = (char)key;
		p->len++;
	}
	return p->state;
}

prompt_state prompt_key(prompt *p, int key)
{
	switch (p->state) {
	case PROMPT_EDITING:
		return edit(p, key);
	case PROMPT_ASKING:
		return p->state = key == 'y' || key == 'Y' ? PROMPT_DONE : PROMPT_CANCELLED;
	case PROMPT_STALE:
		if (p->buf && key != PROMPT_KEY_ENTER && key != '\r' && key != PROMPT_KEY_ESC)
			return p->state;
		return p->state = PROMPT_CANCELLED;
	default:
		return p->state;
	}
}
