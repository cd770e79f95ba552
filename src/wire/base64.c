/*
 * Byte helpers for output: standard base64 for log data that is not UTF-8,
 * a strict UTF-8 check, and the conversions used to show untrusted bytes.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "json.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t	utf8_seq(const uint8_t *, size_t);

/* Standard base64 (RFC 4648, with padding), NUL-terminated; caller frees. */
char *
base64_encode(const void *data, size_t len)
{
	const uint8_t	*p = data;
	char		*out, *o;
	uint32_t	 v;
	size_t		 i;

	o = out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (out);
}

/* Length of the well-formed UTF-8 sequence at p (no overlongs, no
 * surrogates, at most U+10FFFF), or 0 if there is none. */
static size_t
utf8_seq(const uint8_t *p, size_t left)
{
	size_t	n, i;
	uint8_t	lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (left < n || p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return (0);
	}
	return (n);
}

/* Are these bytes well-formed UTF-8 (NUL bytes allowed)? */
bool
utf8_valid(const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return (false);
		i += n;
	}
	return (true);
}

/* A UTF-8 copy with each bad byte (and NUL) as U+FFFD; caller frees. */
char *
utf8_lossy(const void *data, size_t len)
{
	const uint8_t	*p = data;
	char		*out, *o;
	size_t		 i = 0, n;

	o = out = xmalloc(len * 3 + 1);
	while (i < len) {
		n = utf8_seq(p + i, len - i);
		if (n == 0 || p[i] == '\0') {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, p + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	return (out);
}

/* A one-line printable copy: control characters and bad bytes become
 * escapes (\n, \t, \xHH); valid UTF-8 is kept. Caller frees. */
char *
text_escape(const void *data, size_t len)
{
	const uint8_t	*p = data;
	char		*out, *o;
	size_t		 i = 0, n;

	o = out = xmalloc(len * 4 + 1);
	while (i < len) {
		n = utf8_seq(p + i, len - i);
		if (n > 1 || (n == 1 && p[i] >= 0x20 && p[i] != 0x7f)) {
			memcpy(o, p + i, n);
			o += n;
			i += n;
			continue;
		}
		if (p[i] == '\n')
			o += sprintf(o, "\\n");
		else if (p[i] == '\t')
			o += sprintf(o, "\\t");
		else if (p[i] == '\r')
			o += sprintf(o, "\\r");
		else
			o += sprintf(o, "\\x%02x", p[i]);
		i++;
	}
	*o = '\0';
	return (out);
}
