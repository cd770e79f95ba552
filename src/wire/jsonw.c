/*
 * A streaming JSON writer: values go into a fixed buffer that is handed
 * to a sink whenever it fills, so a document of any size costs one
 * buffer, never a tree.  jansson has no streaming encoder, and building
 * then dumping a jansson tree of 10,000 pods cost 30 µs a pod; this
 * writes what jansson's JSON_COMPACT would write (the same escapes, the
 * same number formats), which the unit tests check by parsing the output
 * back with jansson.
 *
 * Commas are the writer's: a key or a value that follows another at the
 * same level gets one.  The caller only pairs begin and end.
 */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "json.h"

static void	jw_put(struct jw *, const void *, size_t);
static void	jw_sep(struct jw *);
static void	jw_escaped(struct jw *, const uint8_t *, size_t);

/* Start a writer that hands its output to sink(arg, bytes, len). */
void
jw_init(struct jw *w, jw_sink sink, void *arg)
{
	w->len = 0;
	w->sink = sink;
	w->arg = arg;
	w->comma = false;
	w->failed = false;
}

/* Hand what is buffered to the sink; 0, or -1 if any write failed. */
int
jw_flush(struct jw *w)
{
	if (w->len > 0 && !w->failed && w->sink(w->arg, w->buf, w->len) == -1)
		w->failed = true;
	w->len = 0;
	return (w->failed ? -1 : 0);
}

/* Append bytes, flushing as the buffer fills; big runs go straight on. */
static void
jw_put(struct jw *w, const void *p, size_t len)
{
	if (w->len + len > sizeof w->buf) {
		jw_flush(w);
		if (len > sizeof w->buf) {
			if (!w->failed && w->sink(w->arg, p, len) == -1)
				w->failed = true;
			return;
		}
	}
	memcpy(w->buf + w->len, p, len);
	w->len += len;
}

/* The comma before a key or value that follows another. */
static void
jw_sep(struct jw *w)
{
	if (w->comma)
		jw_put(w, ",", 1);
	w->comma = true;
}

/* Raw text, as it is: a newline between documents, say. */
void
jw_text(struct jw *w, const char *s)
{
	jw_put(w, s, strlen(s));
}

/* Open an object or an array: its first member needs no comma. */
static void
jw_open(struct jw *w, const char *bracket)
{
	jw_sep(w);
	jw_put(w, bracket, 1);
	w->comma = false;
}

/* Close it: what follows it needs a comma. */
static void
jw_close(struct jw *w, const char *bracket)
{
	jw_put(w, bracket, 1);
	w->comma = true;
}

void
jw_object(struct jw *w)
{
	jw_open(w, "{");
}

void
jw_object_end(struct jw *w)
{
	jw_close(w, "}");
}

void
jw_array(struct jw *w)
{
	jw_open(w, "[");
}

void
jw_array_end(struct jw *w)
{
	jw_close(w, "]");
}

/* An object's key of len bytes: a name of the contract's (plain ASCII,
 * no escape needed); its value follows with no comma. */
void
jw_key_len(struct jw *w, const char *key, size_t len)
{
	char	*p;

	jw_sep(w);
	if (w->len + len + 3 > sizeof w->buf)
		jw_flush(w);
	p = w->buf + w->len;
	*p++ = '"';
	memcpy(p, key, len);
	p += len;
	*p++ = '"';
	*p++ = ':';
	w->len += len + 3;
	w->comma = false;
}

void
jw_key(struct jw *w, const char *key)
{
	jw_key_len(w, key, strlen(key));
}

void
jw_null(struct jw *w)
{
	jw_sep(w);
	jw_put(w, "null", 4);
}

void
jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	if (v)
		jw_put(w, "true", 4);
	else
		jw_put(w, "false", 5);
}

/* An integer in decimal, written by hand: snprintf was a tenth of the
 * time of writing a pod. */
void
jw_int(struct jw *w, int64_t v)
{
	char		 buf[24], *p = buf + sizeof buf;
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	jw_sep(w);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	jw_put(w, p, (size_t)(buf + sizeof buf - p));
}

/* A real as jansson writes it: %.17g, with ".0" when it reads as an
 * integer; NaN and infinities (no JSON for them) as null. */
void
jw_real(struct jw *w, double v)
{
	char	buf[40];
	int	n;

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	n = snprintf(buf, sizeof buf, "%.17g", v);
	if (strpbrk(buf, ".eE") == NULL)
		n = snprintf(buf, sizeof buf, "%.17g.0", v);
	jw_put(w, buf, (size_t)n);
}

/* A JSON value's text, written as it is (already valid JSON). */
void
jw_raw(struct jw *w, const char *json, size_t len)
{
	jw_sep(w);
	jw_put(w, json, len);
}

/* A string from text; null for NULL; bytes that are not UTF-8 are
 * replaced (U+FFFD), as json_text did. */
void
jw_string(struct jw *w, const char *s)
{
	char	*fixed;

	if (s == NULL) {
		jw_null(w);
		return;
	}
	if (utf8_valid(s, strlen(s))) {
		jw_utf8(w, s, strlen(s));
		return;
	}
	fixed = utf8_lossy(s, strlen(s));
	jw_utf8(w, fixed, strlen(fixed));
	free(fixed);
}

/* A string of len bytes the caller knows to be UTF-8 (NULs included). */
void
jw_utf8(struct jw *w, const void *p, size_t len)
{
	jw_sep(w);
	jw_put(w, "\"", 1);
	jw_escaped(w, p, len);
	jw_put(w, "\"", 1);
}

/*
 * Escaping, which is most of the cost of a log's data: output is nearly
 * all plain characters, so bytes are scanned eight at a time and copied
 * in runs.
 */
#define BYTES_1		0x0101010101010101ULL	/* 0x01 in every byte */
#define BYTES_80	0x8080808080808080ULL	/* the high bits */

/* Eight bytes from p, at any alignment. */
static uint64_t
jw_word(const uint8_t *p)
{
	uint64_t	 v;

	memcpy(&v, p, sizeof v);
	return (v);
}

/* Is the data valid UTF-8?  Output is mostly ASCII, which needs no
 * more than an OR of its words. */
bool
utf8_valid_fast(const void *data, size_t len)
{
	const uint8_t	*p = data;
	uint64_t	 high = 0;
	size_t		 i;

	for (i = 0; i + 8 <= len; i += 8)
		high |= jw_word(p + i);
	for (; i < len; i++)
		high |= p[i];
	return ((high & BYTES_80) == 0 || utf8_valid(p, len));
}

/* Must a JSON string escape this byte? */
static bool
jw_special(uint8_t c)
{
	return (c < 0x20 || c == '"' || c == '\\');
}

/* Does any of eight bytes need escaping?  A byte below 0x20 borrows in
 * v - 0x20..., a '"' or '\\' becomes zero when XORed with it and borrows
 * in the next subtraction; bytes with the high bit set never count.
 * (The classic "has a byte less than n" test, exact for n <= 128.) */
static bool
jw_word_special(uint64_t v)
{
	uint64_t	 q = v ^ (BYTES_1 * '"'), b = v ^ (BYTES_1 * '\\');

	return ((((v - BYTES_1 * 0x20) | (q - BYTES_1) | (b - BYTES_1)) &
	    ~v & BYTES_80) != 0);
}

/* How a JSON string writes a character it must escape (buf: room for
 * \uXXXX), as jansson writes it. */
static const char *
jw_escape(uint8_t c, char *buf, size_t len)
{
	switch (c) {
	case '"':
		return ("\\\"");
	case '\\':
		return ("\\\\");
	case '\b':
		return ("\\b");
	case '\f':
		return ("\\f");
	case '\n':
		return ("\\n");
	case '\r':
		return ("\\r");
	case '\t':
		return ("\\t");
	default:
		snprintf(buf, len, "\\u%04X", c);
		return (buf);
	}
}

/* The characters of a string, escaped; UTF-8 as it is. */
static void
jw_escaped(struct jw *w, const uint8_t *p, size_t len)
{
	const char	*e;
	char		 u[8];
	size_t		 i = 0, run = 0;

	while (i < len) {
		if (len - i >= 8 && !jw_word_special(jw_word(p + i))) {
			i += 8;
			continue;
		}
		if (jw_special(p[i])) {
			jw_put(w, p + run, i - run);
			e = jw_escape(p[i], u, sizeof u);
			jw_put(w, e, strlen(e));
			run = i + 1;
		}
		i++;
	}
	if (len > run)
		jw_put(w, p + run, len - run);
}

/*
 * A writer into memory, for one small document.
 */

/* The sink of jw_memory: append to a growing string. */
static int
jw_memory_sink(void *arg, const void *p, size_t len)
{
	struct jw_memory	*m = arg;

	if (m->len + len + 1 > m->size) {
		while (m->len + len + 1 > m->size)
			m->size = m->size == 0 ? 1024 : m->size * 2;
		m->text = xrealloc(m->text, m->size);
	}
	memcpy(m->text + m->len, p, len);
	m->len += len;
	m->text[m->len] = '\0';
	return (0);
}

/* Start a writer whose output collects in m (m->text, caller frees). */
void
jw_memory(struct jw *w, struct jw_memory *m)
{
	memset(m, 0, sizeof *m);
	jw_init(w, jw_memory_sink, m);
}

/* Parse what a jw_memory writer collected (NULL when out of memory);
 * the text is freed. */
json_t *
jw_memory_json(struct jw *w, struct jw_memory *m)
{
	json_error_t	 err;
	json_t		*v = NULL;

	if (jw_flush(w) == 0 && m->text != NULL)
		v = json_loadb(m->text, m->len, JSON_DECODE_ANY |
		    JSON_ALLOW_NUL, &err);
	free(m->text);
	memset(m, 0, sizeof *m);
	return (v);
}
