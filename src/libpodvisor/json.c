/*
 * A JSON syntax check (RFC 8259), so that a result or a log entry's
 * fields that cannot be JSON are refused before anything is sent, and a
 * child's result that is not JSON is bad input.  It builds nothing and
 * uses no recursion: the open arrays and objects are a stack of bytes,
 * as deep as jansson (which podvisord parses results with) allows.
 * UTF-8 is not checked here; podvisord refuses a result that is not.
 */

#include <string.h>

#include "pvl.h"

#define JSON_DEPTH_MAX	2048

struct json {
	const char	*p;
	const char	*end;
	char		 open[JSON_DEPTH_MAX];	/* '[' or '{' */
	int		 depth;
};

/* Skip white space. */
static void
json_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Is the next byte c?  Take it if so. */
static bool
json_take(struct json *j, char c)
{
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return (true);
	}
	return (false);
}

/* One or more digits. */
static bool
json_digits(struct json *j)
{
	const char	*start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return (j->p > start);
}

/* A number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool
json_number(struct json *j)
{
	(void)json_take(j, '-');
	if (!json_take(j, '0') && (j->p == j->end || *j->p < '1' ||
	    *j->p > '9' || !json_digits(j)))
		return (false);
	if (json_take(j, '.') && !json_digits(j))
		return (false);
	if (json_take(j, 'e') || json_take(j, 'E')) {
		if (!json_take(j, '+'))
			(void)json_take(j, '-');
		if (!json_digits(j))
			return (false);
	}
	return (true);
}

/* A string, its opening quote next. */
static bool
json_string(struct json *j)
{
	const char	*hex = "0123456789abcdefABCDEF";
	int		 i;

	if (!json_take(j, '"'))
		return (false);
	while (j->p < j->end) {
		unsigned char	 c = (unsigned char)*j->p++;

		if (c == '"')
			return (true);
		if (c < 0x20)
			return (false);
		if (c != '\\')
			continue;
		if (j->p == j->end)
			return (false);
		c = (unsigned char)*j->p++;
		if (c == 'u') {
			for (i = 0; i < 4; i++)
				if (j->p == j->end || *j->p == '\0' ||
				    strchr(hex, *j->p++) == NULL)
					return (false);
		} else if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL)
			return (false);
	}
	return (false);
}

/* A literal word. */
static bool
json_word(struct json *j, const char *w)
{
	size_t	 n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return (false);
	j->p += n;
	return (true);
}

/* A value that opens nothing. */
static bool
json_scalar(struct json *j)
{
	if (j->p == j->end)
		return (false);
	switch (*j->p) {
	case '"':
		return (json_string(j));
	case 't':
		return (json_word(j, "true"));
	case 'f':
		return (json_word(j, "false"));
	case 'n':
		return (json_word(j, "null"));
	default:
		return (json_number(j));
	}
}

/* An object member's key and colon. */
static bool
json_key(struct json *j)
{
	json_ws(j);
	if (!json_string(j))
		return (false);
	json_ws(j);
	return (json_take(j, ':'));
}

/* Open an array or object; false when too deep or a key is bad.  *closed
 * says it was empty and is closed already. */
static bool
json_open(struct json *j, bool *closed)
{
	char	 c = *j->p++;

	if (j->depth == JSON_DEPTH_MAX)
		return (false);
	j->open[j->depth++] = c;
	json_ws(j);
	*closed = json_take(j, c == '[' ? ']' : '}');
	if (*closed) {
		j->depth--;
		return (true);
	}
	return (c == '[' || json_key(j));
}

/* After a value: close what ends there, then a comma (and a key) or the
 * end.  -1 bad, 0 a value comes next, 1 the text is complete. */
static int
json_after(struct json *j)
{
	char	 c;

	for (;;) {
		json_ws(j);
		if (j->depth == 0)
			return (j->p == j->end ? 1 : -1);
		c = j->open[j->depth - 1];
		if (json_take(j, ','))
			return (c == '[' || json_key(j) ? 0 : -1);
		if (!json_take(j, c == '[' ? ']' : '}'))
			return (-1);
		j->depth--;
	}
}

/* Is s[0 .. len) one JSON text (with object, one JSON object)? */
bool
pvl_json_valid(const char *s, size_t len, bool object)
{
	struct json	 j;
	bool		 closed;
	int		 rc;

	j.p = s;
	j.end = s + len;
	j.depth = 0;
	json_ws(&j);
	if (object && (j.p == j.end || *j.p != '{'))
		return (false);
	for (;;) {
		json_ws(&j);
		if (j.p < j.end && (*j.p == '[' || *j.p == '{')) {
			if (!json_open(&j, &closed))
				return (false);
			if (!closed)
				continue;
		} else if (!json_scalar(&j))
			return (false);
		if ((rc = json_after(&j)) != 0)
			return (rc == 1);
	}
}
