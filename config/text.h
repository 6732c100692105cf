/* text.h - showing stored bytes safely: escaped for a terminal, or as JSON. */
#ifndef SEETOP_TEXT_H
#define SEETOP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Appends `s` escaped for a terminal: printable UTF-8 stays, ESC becomes \e,
 * other control characters \xNN (\n and \t as \n and \t), invalid UTF-8
 * bytes \xNN and the backslash \\.  The result is always NUL-terminated and
 * cut at `cap` bytes without splitting a character.  Returns the length. */
size_t text_escape(char *out, size_t cap, const char *s, size_t len);
/* The same, written to a stream. */
void text_escape_fputs(FILE *f, const char *s, size_t len);
/* Writes a JSON string literal, with controls, C1 controls and the BiDi
 * and line-separator characters as \uNNNN.  Bytes that are not UTF-8 are
 * written as {"base64": "..."} instead: valid JSON that jq and Python read
 * without loss (a lone surrogate such as \udcff is not valid JSON text). */
void text_json_fputs(FILE *f, const char *s, size_t len);
/* Whether the bytes are valid UTF-8 (and hold no NUL). */
bool text_utf8_valid(const char *s, size_t len);
/* Length of the valid UTF-8 sequence starting at s (1-4), or 0 when invalid. */
size_t text_utf8_seq(const unsigned char *s, size_t len, unsigned *cp);

/* Display width: the columns a terminal gives a character (0 for combining
 * marks and zero-width characters, 2 for East Asian wide ones and emoji),
 * or of a string of printable UTF-8 (as text_escape makes it). */
int text_cp_width(unsigned cp);
int text_width(const char *s, size_t len);
/* Writes into out (NUL-terminated, at most cap bytes) the escaped form of s
 * cut to `cols` display columns: a cut ends in the ellipsis (or '~' when
 * `ascii`, for a locale that is not UTF-8), never inside a character, and
 * the rest is padded with spaces when `pad`.  Returns the bytes written;
 * *used (may be NULL) gets the columns used. */
/* Whether the program's locale (as setlocale set it) is UTF-8: else cuts end in '~'. */
bool text_locale_utf8(void);
size_t text_fit(char *out, size_t cap, const char *s, size_t len, int cols, bool pad, bool ascii, int *used);

/* Now, or the fixed time $SEETOP_CLOCK (RFC 3339) gives, for tests that
 * compare whole screens. */
time_t text_now(void);
/* How long ago an RFC 3339 time was, as htop and k9s say it: "42s",
 * "5m12s", "17m", "5h", "3d" ("-" if unparsable or NULL). */
void text_age(char *buf, size_t len, const char *start);
/* A span of seconds the same way: "42s", "17m", "5h", "3d". */
void text_span(char *buf, size_t len, long long secs);
/* Durations: one or more NUMBER UNIT (s, m, h, d), such as 90s, 15m, 2h,
 * 7d or 1h30m; at most ten years.  0, or -1 when it is not one. */
#define TEXT_DURATION_MAX (3650ull * 86400)
int text_duration_parse(const char *s, uint64_t *secs);
/* Seconds from now (text_now) until an RFC 3339 time; negative once past;
 * LLONG_MIN when it is not a time. */
long long text_until(const char *when);

#endif
