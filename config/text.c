/* text.c - showing stored bytes safely. */
#include "config.h"

#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "record.h"
#include "text.h"

size_t text_utf8_seq(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c = s[0], v;
	size_t n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2;
		v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	static const unsigned min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

bool text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = text_utf8_seq(p + i, len - i, &cp);
		if (n == 0 || cp == 0)
			return false;
		i += n;
	}
	return true;
}

/* The escaped form of one character, or NULL when it prints as itself. */
static const char *escape_of(unsigned cp, char tmp[8])
{
	if (cp == '\\')
		return "\\\\";
	if (cp == 0x1b)
		return "\\e";
	if (cp == '\n')
		return "\\n";
	if (cp == '\t')
		return "\\t";
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
		/* C0 and C1 controls: C1 (e.g. U+009B, CSI) moves terminals too */
		snprintf(tmp, 8, cp < 0x100 ? "\\x%02x" : "\\u%04x", cp);
		return tmp;
	}
	if (cp == 0x2028 || cp == 0x2029 || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069)) {
		/* line separators and bidirectional overrides rearrange what is shown */
		snprintf(tmp, 8, "\\u%04x", cp);
		return tmp;
	}
	return NULL;
}

size_t text_escape(char *out, size_t cap, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		char tmp[8];
		size_t n = text_utf8_seq(p + i, len - i, &cp);
		const char *esc;
		size_t elen;
		if (n == 0) {
			snprintf(tmp, sizeof tmp, "\\x%02x", p[i]);
			esc = tmp;
			n = 1;
		} else {
			esc = escape_of(cp, tmp);
		}
		elen = esc ? strlen(esc) : n;
		if (o + elen >= cap)
			break;
		memcpy(out + o, esc ? esc : (const char *)p + i, elen);
		o += elen;
		i += n;
	}
	out[o] = '\0';
	return o;
}

void text_escape_fputs(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		char tmp[8];
		size_t n = text_utf8_seq(p + i, len - i, &cp);
		if (n == 0) {
			fprintf(f, "\\x%02x", p[i]);
			i++;
			continue;
		}
		const char *esc = escape_of(cp, tmp);
		if (esc)
			fputs(esc, f);
		else
			fwrite(p + i, 1, n, f);
		i += n;
	}
}

static void base64_fputs(FILE *f, const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
		fputc(tab[v >> 18 & 63], f);
		fputc(tab[v >> 12 & 63], f);
		fputc(i + 1 < len ? tab[v >> 6 & 63] : '=', f);
		fputc(i + 2 < len ? tab[v & 63] : '=', f);
	}
}

void text_json_fputs(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	bool valid = true;
	for (size_t i = 0; i < len && valid;) {
		unsigned cp;
		size_t n = text_utf8_seq(p + i, len - i, &cp);
		valid = n != 0;
		i += n;
	}
	if (!valid) {
		/* bytes that are not UTF-8: an object every JSON reader takes
		 * without loss (a lone surrogate is not valid JSON text) */
		fputs("{\"base64\":\"", f);
		base64_fputs(f, p, len);
		fputs("\"}", f);
		return;
	}
	fputc('"', f);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = text_utf8_seq(p + i, len - i, &cp);
		switch (cp) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			/* controls, C1 (U+0080-009F) and the characters that
			 * reorder or break lines escaped, as ESC is */
			if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 || cp == 0x200e ||
			    cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
				fprintf(f, "\\u%04x", cp);
			else
				fwrite(p + i, 1, n, f);
		}
		i += n;
	}
	fputc('"', f);
}

/* Widths come from the C library's UTF-8 tables, whatever the program's own
 * locale: a C.UTF-8 locale made once, used for the call only. */
int text_cp_width(unsigned cp)
{
	static locale_t utf8;
	static bool tried;
	if (cp < 0x7f)
		return cp < 0x20 ? 0 : 1;
	if (!tried) {
		tried = true;
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	int w = -1;
	if (utf8) {
		locale_t old = uselocale(utf8);
		w = wcwidth((wchar_t)cp);
		uselocale(old);
	}
	if (w >= 0)
		return w;
	/* no table: the common wide ranges, else one column */
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
	    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f))
		return 0;
	return 1;
}

int text_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	int w = 0;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = text_utf8_seq(p + i, len - i, &cp);
		if (n == 0) {
			w += 4; /* shown as \xNN */
			i++;
			continue;
		}
		w += text_cp_width(cp);
		i += n;
	}
	return w;
}

bool text_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

size_t text_fit(char *out, size_t cap, const char *s, size_t len, int cols, bool pad, bool ascii, int *used)
{
	char esc[4096];
	size_t elen = text_escape(esc, sizeof esc, s, len);
	const unsigned char *p = (const unsigned char *)esc;
	const char *mark = ascii ? "~" : "\xe2\x80\xa6"; /* … */
	size_t mlen = strlen(mark);
	size_t o = 0;
	int w = 0;
	if (cap == 0)
		return 0;
	if (cols < 0)
		cols = 0;
	bool cut = text_width(esc, elen) > cols;
	int room = cut ? cols - 1 : cols; /* the mark takes one column */
	for (size_t i = 0; i < elen;) {
		unsigned cp;
		size_t n = text_utf8_seq(p + i, elen - i, &cp);
		if (n == 0)
			n = 1, cp = '?';
		int cw = text_cp_width(cp);
		if (w + cw > room || o + n + mlen + 1 > cap)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		w += cw;
		i += n;
	}
	if (cut && cols > 0 && o + mlen < cap) {
		memcpy(out + o, mark, mlen);
		o += mlen;
		w++;
	}
	while (pad && w < cols && o + 1 < cap) {
		out[o++] = ' ';
		w++;
	}
	out[o] = '\0';
	if (used)
		*used = w;
	return o;
}

time_t text_now(void)
{
	const char *fixed = getenv("SEETOP_CLOCK");
	int64_t us;
	if (fixed && *fixed && record_timestamp_parse(fixed, &us))
		return (time_t)(us / 1000000);
	/* not time(): it reads the kernel's coarse clock, which may still say
	 * the last second for a few milliseconds after a new one began, just
	 * when seetop wakes to draw the new one (the clock then stood still
	 * for two seconds) */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

void text_age(char *buf, size_t len, const char *start)
{
	long long left = start ? text_until(start) : LLONG_MIN;
	if (left == LLONG_MIN) {
		snprintf(buf, len, "-");
		return;
	}
	/* as htop and k9s give them: the seconds too under an hour, hours up
	 * to two days (as text_span gives them) */
	long long s = left < 0 ? -left : 0;
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600 && s % 60)
		snprintf(buf, len, "%lldm%llds", s / 60, s % 60);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%lldh", s / 3600);
	else
		snprintf(buf, len, "%lldd", s / 86400);
}

void text_span(char *buf, size_t len, long long s)
{
	if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%lldh", s / 3600);
	else
		snprintf(buf, len, "%lldd", s / 86400);
}

int text_duration_parse(const char *s, uint64_t *secs)
{
	uint64_t total = 0;
	if (!s || !*s)
		return -1;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -1;
		uint64_t n = 0;
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (uint64_t)(*s++ - '0');
			if (n > TEXT_DURATION_MAX)
				return -1;
		}
		uint64_t unit = *s == 's' ? 1 : *s == 'm' ? 60 : *s == 'h' ? 3600 : *s == 'd' ? 86400 : 0;
		if (!unit)
			return -1;
		s++;
		total += n * unit;
		if (total > TEXT_DURATION_MAX)
			return -1;
	}
	*secs = total;
	return 0;
}

long long text_until(const char *when)
{
	int64_t us;
	if (!when || !record_timestamp_parse(when, &us))
		return LLONG_MIN;
	return (long long)(us / 1000000) - (long long)text_now();
}
