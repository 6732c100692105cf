/* text.h - showing stored bytes safely: escaped for a terminal, or as JSON. */
#ifndef SEETOP_TEXT_H
#define SEETOP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Appends `s` escaped for a terminal: printable UTF-8 stays, ESC becomes \e,
 * other control characters \xNN (\n and \t as \n and \t), invalid UTF-8
 * bytes \xNN and the backslash \\.  The result is always NUL-terminated and
 * cut at `cap` bytes without splitting a character.  Returns the length. */
size_t text_escape(char *out, size_t cap, const char *s, size_t len);
/* The same, written to a stream. */
void text_escape_fputs(FILE *f, const char *s, size_t len);
/* Writes a JSON string literal: invalid UTF-8 bytes become \udcNN (the
 * surrogate escape), so every byte is kept and the output is valid JSON. */
void text_json_fputs(FILE *f, const char *s, size_t len);
/* Whether the bytes are valid UTF-8 (and hold no NUL). */
bool text_utf8_valid(const char *s, size_t len);
/* Length of the valid UTF-8 sequence starting at s (1-4), or 0 when invalid. */
size_t text_utf8_seq(const unsigned char *s, size_t len, unsigned *cp);

/* How long ago an RFC 3339 time was: "42s", "17m", "5h", "3d" ("-" if unparsable). */
void text_age(char *buf, size_t len, const char *start);

#endif
