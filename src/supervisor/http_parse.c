/*
 * The HTTP API's own parsing: path, query string, Last-Event-ID and the
 * JSON bodies (jansson) that become control messages.  Pure functions of
 * their input, no evhttp, so that tests/fuzz/fuzz-http.c can drive them;
 * http_api.c and http_sse.c answer 400 with the cause of any refusal.
 *
 * The query string is parsed here rather than by evhttp_parse_query_str,
 * which keeps a key given twice (and answers only the first), and whose
 * refusals cannot say which parameter was wrong.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

#define SHOWN_MAX	32	/* bytes of a client's key quoted in a cause */

/* A client's bytes fit for a one-line cause: printable, at most
 * SHOWN_MAX of them, "..." when cut. */
static const char *
shown(const char *s, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i < SHOWN_MAX && i + 4 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0' && i + 4 <= len)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return (buf);
}

/*
 * The path and the query string.
 */

/* The value of a hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Percent-decode len bytes of s (with '+' as a space in a query);
 * NULL for a bad escape or an encoded NUL. */
static char *
pct_decode(const char *s, size_t len, bool plus)
{
	char	*out = xmalloc(len + 1), *o = out;
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+' && plus)
			*o++ = ' ';
		else if (s[i] != '%')
			*o++ = s[i];
		else if (i + 2 < len && (hi = hexval(s[i + 1])) != -1 &&
		    (lo = hexval(s[i + 2])) != -1 && (hi | lo) != 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			free(out);
			return (NULL);
		}
	}
	*o = '\0';
	return (out);
}

/* The path, percent-decoded. */
int
hp_path_decode(const char *raw, char **out, char *cause, size_t len)
{
	if ((*out = pct_decode(raw, strlen(raw), false)) == NULL)
		return (snprintf(cause, len, "a malformed path: a bad %%-escape "
		    "or %%00"), -1);
	return (0);
}

/* Split /v1/pods/{pod}[/{action}]; the pod is looked up by the control
 * channel, as an id or a name. */
enum hp_path
hp_path_split(const char *path, char **ref, const char **action)
{
	const char	*p, *slash;

	*ref = NULL;
	*action = NULL;
	if (strcmp(path, "/v1/pods") == 0 || strcmp(path, "/v1/pods/") == 0)
		return (HP_PODS);
	if (strncmp(path, "/v1/pods/", 9) != 0)
		return (HP_EXACT);
	p = path + 9;
	if ((slash = strchr(p, '/')) == NULL) {
		*ref = xstrdup(p);
		return (HP_POD);
	}
	*ref = xmalloc((size_t)(slash - p) + 1);
	memcpy(*ref, p, (size_t)(slash - p));
	(*ref)[slash - p] = '\0';
	*action = slash + 1;
	return (strchr(*action, '/') == NULL ? HP_POD_ACTION : HP_EXACT);
}

/* One KEY=VALUE of a query string, added to q. */
static int
hq_add(struct hquery *q, const char *s, size_t n, char *cause, size_t len)
{
	const char	*eq = memchr(s, '=', n);
	char		 buf[SHOWN_MAX + 4], *key, *value;
	size_t		 i;

	if (n == 0)
		return (snprintf(cause, len, "an empty query parameter (two "
		    "'&' in a row, or one at an end)"), -1);
	if (eq == s)
		return (snprintf(cause, len, "a query parameter with no name"),
		    -1);
	if (eq == NULL) {
		/* evhttp would refuse it whole; a client deserves the key. */
		key = pct_decode(s, n, true);
		shown(key != NULL ? key : "?", buf, sizeof buf);
		snprintf(cause, len, "query parameter '%s' has no value: use "
		    "%s=VALUE", buf, buf);
		free(key);
		return (-1);
	}
	if (q->n == HQ_MAX)
		return (snprintf(cause, len, "too many query parameters: at "
		    "most %d", HQ_MAX), -1);
	key = pct_decode(s, (size_t)(eq - s), true);
	value = pct_decode(eq + 1, n - (size_t)(eq - s) - 1, true);
	if (key == NULL || value == NULL) {
		free(key);
		free(value);
		return (snprintf(cause, len, "a malformed query string: a bad "
		    "%%-escape or %%00"), -1);
	}
	for (i = 0; i < q->n; i++) {
		if (strcmp(q->key[i], key) == 0) {
			snprintf(cause, len, "query parameter '%s' is given "
			    "twice", shown(key, buf, sizeof buf));
			free(key);
			free(value);
			return (-1);
		}
	}
	q->key[q->n] = key;
	q->value[q->n++] = value;
	return (0);
}

/* Parse a query string into q (which starts empty). */
int
hq_parse(const char *raw, struct hquery *q, char *cause, size_t len)
{
	const char	*p, *amp;

	memset(q, 0, sizeof *q);
	if (raw == NULL || *raw == '\0')
		return (0);
	for (p = raw;; p = amp + 1) {
		amp = strchr(p, '&');
		if (hq_add(q, p, amp != NULL ? (size_t)(amp - p) : strlen(p),
		    cause, len) == -1)
			return (-1);
		if (amp == NULL)
			return (0);
	}
}

/* Free what hq_parse kept. */
void
hq_free(struct hquery *q)
{
	size_t	 i;

	for (i = 0; i < q->n; i++) {
		free(q->key[i]);
		free(q->value[i]);
	}
	q->n = 0;
}

/* A parameter's value, or NULL. */
const char *
hq_get(const struct hquery *q, const char *key)
{
	size_t	 i;

	for (i = 0; i < q->n; i++) {
		if (strcmp(q->key[i], key) == 0)
			return (q->value[i]);
	}
	return (NULL);
}

/* Refuse a parameter the endpoint does not take (the token goes
 * everywhere: the console adds it to every URL). */
int
hq_only(const struct hquery *q, const char *const *allowed, char *cause,
    size_t len)
{
	char	 buf[SHOWN_MAX + 4];
	size_t	 i, j;

	for (i = 0; i < q->n; i++) {
		if (strcmp(q->key[i], "token") == 0)
			continue;
		for (j = 0; allowed != NULL && allowed[j] != NULL; j++) {
			if (strcmp(q->key[i], allowed[j]) == 0)
				break;
		}
		if (allowed == NULL || allowed[j] == NULL)
			return (snprintf(cause, len, "unknown query parameter "
			    "'%s' for this request", shown(q->key[i], buf,
			    sizeof buf)), -1);
	}
	return (0);
}

/* A boolean parameter. */
int
hq_flag(const struct hquery *q, const char *key, bool *out, char *cause,
    size_t len)
{
	const char	*v = hq_get(q, key);
	char		 buf[SHOWN_MAX + 4];

	*out = false;
	if (v == NULL || strcmp(v, "0") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "no") == 0)
		return (0);
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "yes") == 0) {
		*out = true;
		return (0);
	}
	return (snprintf(cause, len, "?%s must be 1 or 0 (true or false)",
	    shown(key, buf, sizeof buf)), -1);
}

/* A duration parameter, by parse_duration's rules. */
int
hq_duration(const struct hquery *q, const char *key, int64_t *ms,
    char *cause, size_t len)
{
	const char	*v = hq_get(q, key);
	char		 why[256], buf[SHOWN_MAX + 4];

	*ms = WIRE_NONE;
	if (v == NULL)
		return (0);
	if (parse_duration(v, ms, why, sizeof why) == -1) {
		*ms = WIRE_NONE;
		return (snprintf(cause, len, "?%s: %s", shown(key, buf,
		    sizeof buf), why), -1);
	}
	return (0);
}

/* Decimal digits only, as a uint64_t that does not overflow. */
static int
u64_parse(const char *s, uint64_t *out)
{
	uint64_t	 n = 0;
	unsigned	 d;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return (-1);
		n = n * 10 + d;
	}
	*out = n;
	return (0);
}

/* A non-negative integer parameter. */
int
hq_u64(const struct hquery *q, const char *key, uint64_t *out, char *cause,
    size_t len)
{
	const char	*v = hq_get(q, key);
	char		 buf[SHOWN_MAX + 4];

	*out = 0;
	if (v == NULL)
		return (0);
	if (u64_parse(v, out) == -1) {
		*out = 0;
		return (snprintf(cause, len, "?%s must be a non-negative "
		    "integer", shown(key, buf, sizeof buf)), -1);
	}
	return (0);
}

/* The Last-Event-ID header. */
int
hp_event_id(const char *v, uint64_t *out, char *cause, size_t len)
{
	*out = 0;
	if (v == NULL || *v == '\0')
		return (0);
	if (u64_parse(v, out) == -1 || *out == UINT64_MAX) {
		*out = 0;
		return (snprintf(cause, len, "Last-Event-ID must be an event "
		    "id: a non-negative integer"), -1);
	}
	return (0);
}

/*
 * Bodies.
 */

/* Refuse a key of object o that is not one of allowed; prefix names
 * the object in the cause ("" for the body itself). */
static int
hb_fields(json_t *o, const char *prefix, const char *const *allowed,
    char *cause, size_t len)
{
	const char	*k;
	json_t		*v;
	char		 shownbuf[SHOWN_MAX + 4];
	size_t		 i;

	json_object_foreach(o, k, v) {
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(k, allowed[i]) == 0)
				break;
		}
		if (allowed[i] == NULL)
			return (snprintf(cause, len, "unknown field '%s%s'",
			    prefix, shown(k, shownbuf, sizeof shownbuf)), -1);
	}
	return (0);
}

/* Load a body as a JSON object with only the allowed fields. */
static int
hb_load(const void *buf, size_t n, const char *const *allowed,
    struct hbody *b, char *cause, size_t len)
{
	json_error_t	 err;
	size_t		 i;

	memset(b, 0, sizeof *b);
	if (n == 0) {
		b->doc = json_object();
		return (0);
	}
	/* A key given twice would leave which one counts to chance. */
	b->doc = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &err);
	if (b->doc == NULL) {
		/* jansson quotes the input near the error: keep it one
		 * printable line. */
		for (i = 0; err.text[i] != '\0'; i++) {
			if (err.text[i] < 0x20 || err.text[i] > 0x7e)
				err.text[i] = '?';
		}
		return (snprintf(cause, len, "the body is not JSON: %s",
		    err.text), -1);
	}
	if (!json_is_object(b->doc))
		return (snprintf(cause, len, "the body is not a JSON object"),
		    -1);
	return (hb_fields(b->doc, "", allowed, cause, len));
}

/* A field of the wrong type or value. */
static int
hb_bad(const char *name, const char *want, char *cause, size_t len)
{
	snprintf(cause, len, "field '%s' must be %s", name, want);
	return (-1);
}

/* An optional string field (borrowed from the document). */
static int
hb_str(json_t *o, const char *name, char **out, char *cause, size_t len)
{
	json_t	*v = json_object_get(o, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v))
		return (hb_bad(name, "a string", cause, len));
	if (json_string_length(v) > WIRE_STR_MAX)
		return (snprintf(cause, len, "field '%s' is too long: at most "
		    "%d bytes", name, WIRE_STR_MAX), -1);
	*out = (char *)json_string_value(v);
	return (0);
}

/* An optional duration in ms (a non-negative integer). */
static int
hb_ms(json_t *o, const char *name, int64_t *out, char *cause, size_t len)
{
	json_t	*v = json_object_get(o, name);

	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return (hb_bad(name, "a non-negative integer (milliseconds)",
		    cause, len));
	*out = json_integer_value(v);
	return (0);
}

/* An optional signal: a name or a number, by parse_signal's rules. */
static int
hb_signal(json_t *o, const char *name, int *out, char *cause, size_t len)
{
	json_t	*v = json_object_get(o, name);
	char	 num[32], why[256];

	if (v == NULL || json_is_null(v))
		return (0);
	if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		if (parse_signal(num, out, why, sizeof why) == 0)
			return (0);
	} else if (json_is_string(v) && parse_signal(json_string_value(v),
	    out, why, sizeof why) == 0)
		return (0);
	return (hb_bad(name, "a signal name or number", cause, len));
}

/* A string array's entries, copied into a NULL-terminated vector. */
static char **
hb_strv(json_t *a)
{
	char	**v = xcalloc(json_array_size(a) + 1, sizeof *v);
	json_t	 *x;
	size_t	  i;

	json_array_foreach(a, i, x)
		v[i] = xstrdup(json_string_value(x));
	return (v);
}

/* Is every entry a string of at most WIRE_STR_MAX bytes? */
static bool
hb_all_strings(json_t *a)
{
	json_t	*x;
	size_t	 i;

	json_array_foreach(a, i, x) {
		if (!json_is_string(x) || json_string_length(x) > WIRE_STR_MAX)
			return (false);
	}
	return (true);
}

/* argv: a non-empty array of strings. */
static int
hb_argv(json_t *o, struct msg_spawn *s, struct hbody *b, char *cause,
    size_t len)
{
	json_t	*v = json_object_get(o, "argv");

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > WIRE_ARGV_MAX || !hb_all_strings(v))
		return (hb_bad("argv", "a non-empty array of strings", cause,
		    len));
	s->argv = b->argv = hb_strv(v);
	return (0);
}

/* env: {"K": "V"}, or ["K=V"] as the environment is written. */
static int
hb_env(json_t *o, struct msg_spawn *s, struct hbody *b, char *cause,
    size_t len)
{
	json_t		*e = json_object_get(o, "env"), *x;
	const char	*k;
	size_t		 i = 0;

	if (e == NULL || json_is_null(e))
		return (0);
	if (json_is_array(e) && json_array_size(e) <= WIRE_ARGV_MAX &&
	    hb_all_strings(e)) {
		json_array_foreach(e, i, x) {
			k = json_string_value(x);
			if (*k == '=' || strchr(k, '=') == NULL)
				return (hb_bad("env", "an array of \"KEY=VALUE\" "
				    "strings", cause, len));
		}
		s->env = b->env = hb_strv(e);
		return (0);
	}
	if (!json_is_object(e) || json_object_size(e) > WIRE_ARGV_MAX)
		return (hb_bad("env", "an object of strings", cause, len));
	b->env = xcalloc(json_object_size(e) + 1, sizeof *b->env);
	json_object_foreach(e, k, x) {
		if (*k == '\0' || strchr(k, '=') != NULL || !json_is_string(x) ||
		    strlen(k) + json_string_length(x) >= WIRE_STR_MAX)
			return (hb_bad("env", "an object of strings, by names "
			    "without '='", cause, len));
		xasprintf(&b->env[i++], "%s=%s", k, json_string_value(x));
	}
	s->env = b->env;
	return (0);
}

/* parent: a pod id (a number or a string) or a name. */
static int
hb_parent(json_t *o, struct msg_spawn *s, struct hbody *b, char *cause,
    size_t len)
{
	json_t	*par = json_object_get(o, "parent");

	if (par == NULL || json_is_null(par))
		return (0);
	if (json_is_integer(par) && json_integer_value(par) > 0)
		xasprintf(&b->parent, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(par));
	else if (json_is_string(par) && json_string_length(par) > 0 &&
	    json_string_length(par) <= HP_REF_MAX)
		b->parent = xstrdup(json_string_value(par));
	else
		return (hb_bad("parent", "a pod id or name", cause, len));
	s->parent = b->parent;
	return (0);
}

/* restart, max_restarts (a count), restart_delay_ms; podvisord checks
 * the values as for podctl. */
static int
hb_restart(json_t *o, struct msg_spawn *s, char *cause, size_t len)
{
	json_t	*v = json_object_get(o, "max_restarts");

	if (hb_str(o, "restart", &s->restart, cause, len) == -1 ||
	    hb_ms(o, "restart_delay_ms", &s->spec.restart_delay_ms, cause,
	    len) == -1)
		return (-1);
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > INT32_MAX)
		return (hb_bad("max_restarts", "a non-negative integer", cause,
		    len));
	s->spec.max_restarts = json_integer_value(v);
	return (0);
}

/*
 * An HTTP pod's request: "http": {"url", "method", "headers", "data",
 * "on_cancel"}, the pod object's http names where it has them (url,
 * method, on_cancel) and podctl's --header/--data for the rest.
 */

/* http.headers: ["Name: value"] as podctl --header takes them, or
 * {"Name": "value"}; each checked as podctl checks it. */
static int
hb_http_headers(json_t *h, struct hbody *b, char *cause, size_t len)
{
	const char	*k;
	json_t		*x;
	size_t		 i = 0;

	if (h == NULL || json_is_null(h))
		return (0);
	if (json_is_array(h) && json_array_size(h) <= HB_HEADERS_MAX &&
	    hb_all_strings(h))
		b->headers = hb_strv(h);
	else if (json_is_object(h) && json_object_size(h) <= HB_HEADERS_MAX) {
		b->headers = xcalloc(json_object_size(h) + 1,
		    sizeof *b->headers);
		json_object_foreach(h, k, x) {
			if (!json_is_string(x) || strlen(k) +
			    json_string_length(x) >= WIRE_STR_MAX)
				return (hb_bad("headers", "an object of "
				    "strings", cause, len));
			xasprintf(&b->headers[i++], "%s: %s", k,
			    json_string_value(x));
		}
	} else
		return (snprintf(cause, len, "field 'headers' must be "
		    "an array of \"Name: value\" strings or an object of "
		    "strings, at most %d", HB_HEADERS_MAX), -1);
	for (i = 0; b->headers[i] != NULL; i++) {
		if (http_check_header(b->headers[i], cause, len) == -1)
			return (-1);
	}
	if (i == 0) {
		strv_free(b->headers);	/* none, as when absent */
		b->headers = NULL;
	}
	return (0);
}

/* http.data: the request body, a string sent as it is, or any other
 * JSON value sent as its compact JSON text. */
static int
hb_http_data(json_t *d, struct wire_http *r, struct hbody *b, char *cause,
    size_t len)
{
	if (d == NULL || json_is_null(d))
		return (0);
	if (json_is_string(d)) {
		r->body.ptr = (const uint8_t *)json_string_value(d);
		r->body.len = json_string_length(d);
	} else {
		b->data = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
		if (b->data == NULL)
			return (hb_bad("data", "a string or a JSON value",
			    cause, len));
		r->body.ptr = (const uint8_t *)b->data;
		r->body.len = strlen(b->data);
	}
	if (r->body.len > HTTPREQ_BODY_MAX)
		return (snprintf(cause, len, "field 'data' is too long: "
		    "at most %d bytes", HTTPREQ_BODY_MAX), -1);
	return (0);
}

/* http: an object with url (required), method, headers, data and
 * on_cancel, checked whole as podctl spawn --http checks it. */
static int
hb_http(json_t *o, struct msg_spawn *s, struct hbody *b, char *cause,
    size_t len)
{
	static const char *const fields[] = { "url", "method", "headers",
	    "data", "on_cancel", NULL };
	struct wire_http	*r = &s->http;
	json_t			*h = json_object_get(o, "http");
	char			 why[256];

	if (!json_is_object(h))
		return (hb_bad("http", "an object: {\"url\": ...}", cause,
		    len));
	if (hb_fields(h, "", fields, why, sizeof why) == -1 ||
	    hb_str(h, "url", &r->url, why, sizeof why) == -1 ||
	    hb_str(h, "method", &r->method, why, sizeof why) == -1 ||
	    hb_str(h, "on_cancel", &r->on_cancel, why, sizeof why) == -1 ||
	    hb_http_headers(json_object_get(h, "headers"), b, why,
	    sizeof why) == -1 ||
	    hb_http_data(json_object_get(h, "data"), r, b, why,
	    sizeof why) == -1)
		goto bad;
	r->headers = b->headers;
	if (r->url == NULL) {
		snprintf(why, sizeof why, "field 'url' is required: an "
		    "http:// or https:// URL");
		goto bad;
	}
	if (http_check_request(r, why, sizeof why) == 0)
		return (0);
bad:
	return (snprintf(cause, len, "http: %s", why), -1);
}

/* The workload: argv or http, exactly one of them. */
static int
hb_workload(json_t *o, struct msg_spawn *s, struct hbody *b, char *cause,
    size_t len)
{
	bool	 argv = json_object_get(o, "argv") != NULL;
	bool	 http = json_object_get(o, "http") != NULL;

	if (argv && http)
		return (snprintf(cause, len, "give 'argv' (a command) or "
		    "'http' (an HTTP pod), not both"), -1);
	if (http)
		return (hb_http(o, s, b, cause, len));
	if (!argv)
		return (snprintf(cause, len, "the body needs 'argv' (a "
		    "command) or 'http' (an HTTP pod)"), -1);
	return (hb_argv(o, s, b, cause, len));
}

/* POST /v1/pods: argv or http, and the spawn options, by podctl's JSON
 * names. */
int
hb_spawn(const void *buf, size_t n, struct msg *m, struct hbody *b,
    char *cause, size_t len)
{
	static const char *const fields[] = { "argv", "http", "name",
	    "parent", "env", "cwd", "cancel_grace_ms", "term_grace_ms",
	    "timeout_ms", "heartbeat_ms", "max_extend_ms", "stop_signal",
	    "on_parent_exit", "restart", "max_restarts", "restart_delay_ms",
	    NULL };
	struct msg_spawn	*s = &m->u.spawn;
	int			 sig = 0;

	msg_init(m, MSG_SPAWN);
	if (hb_load(buf, n, fields, b, cause, len) == -1 ||
	    hb_workload(b->doc, s, b, cause, len) == -1 ||
	    hb_env(b->doc, s, b, cause, len) == -1 ||
	    hb_parent(b->doc, s, b, cause, len) == -1 ||
	    hb_str(b->doc, "name", &s->name, cause, len) == -1 ||
	    hb_str(b->doc, "cwd", &s->cwd, cause, len) == -1 ||
	    hb_str(b->doc, "on_parent_exit", &s->on_parent_exit, cause,
	    len) == -1 ||
	    hb_ms(b->doc, "cancel_grace_ms", &s->spec.cancel_grace_ms, cause,
	    len) == -1 ||
	    hb_ms(b->doc, "term_grace_ms", &s->spec.term_grace_ms, cause,
	    len) == -1 ||
	    hb_ms(b->doc, "timeout_ms", &s->spec.timeout_ms, cause, len) == -1 ||
	    hb_ms(b->doc, "heartbeat_ms", &s->spec.heartbeat_ms, cause,
	    len) == -1 ||
	    hb_ms(b->doc, "max_extend_ms", &s->spec.max_extend_ms, cause,
	    len) == -1 ||
	    hb_signal(b->doc, "stop_signal", &sig, cause, len) == -1 ||
	    hb_restart(b->doc, s, cause, len) == -1)
		return (-1);
	if (sig != 0)
		s->spec.stop_signal = sig;
	if (s->cwd == NULL)
		s->cwd = "/";
	return (0);
}

/* POST /v1/pods/{pod}/stop: reason and the graces, all optional. */
int
hb_stop(const void *buf, size_t n, struct msg *m, struct hbody *b,
    char *cause, size_t len)
{
	static const char *const fields[] = { "reason", "cancel_grace_ms",
	    "term_grace_ms", NULL };
	struct msg_stop	*s = &m->u.stop;

	msg_init(m, MSG_STOP);
	if (hb_load(buf, n, fields, b, cause, len) == -1 ||
	    hb_str(b->doc, "reason", &s->reason, cause, len) == -1 ||
	    hb_ms(b->doc, "cancel_grace_ms", &s->cancel_grace_ms, cause,
	    len) == -1 ||
	    hb_ms(b->doc, "term_grace_ms", &s->term_grace_ms, cause, len) == -1)
		return (-1);
	return (0);
}

/* POST /v1/pods/{pod}/kill: signal, TERM when absent. */
int
hb_kill(const void *buf, size_t n, struct msg *m, struct hbody *b,
    char *cause, size_t len)
{
	static const char *const fields[] = { "signal", NULL };
	int	 sig = 15;	/* SIGTERM */

	msg_init(m, MSG_KILL);
	if (hb_load(buf, n, fields, b, cause, len) == -1 ||
	    hb_signal(b->doc, "signal", &sig, cause, len) == -1)
		return (-1);
	m->u.kill.signal = (uint64_t)sig;
	return (0);
}

/* POST /v1/pods/{pod}/messages: data (required), priority, key,
 * preempt. */
int
hb_message(const void *buf, size_t n, struct msg *m, struct hbody *b,
    char *cause, size_t len)
{
	static const char *const fields[] = { "data", "priority", "key",
	    "preempt", NULL };
	struct msg_send	*s = &m->u.send;
	json_t		*data, *pre;

	msg_init(m, MSG_SEND);
	if (hb_load(buf, n, fields, b, cause, len) == -1 ||
	    hb_str(b->doc, "priority", &s->priority, cause, len) == -1 ||
	    hb_str(b->doc, "key", &s->key, cause, len) == -1)
		return (-1);
	data = json_object_get(b->doc, "data");
	if (!json_is_string(data))
		return (hb_bad("data", "a string", cause, len));
	if (json_string_length(data) > HB_DATA_MAX)
		return (snprintf(cause, len, "field 'data' is too long: at "
		    "most %d bytes", HB_DATA_MAX), -1);
	pre = json_object_get(b->doc, "preempt");
	if (pre != NULL && !json_is_null(pre) && !json_is_boolean(pre))
		return (hb_bad("preempt", "a boolean", cause, len));
	s->preempt = json_is_true(pre);
	s->data.ptr = (const uint8_t *)json_string_value(data);
	s->data.len = json_string_length(data);
	return (0);
}

/* A body that must hold nothing. */
int
hb_none(const void *buf, size_t n, struct hbody *b, char *cause, size_t len)
{
	static const char *const fields[] = { NULL };

	return (hb_load(buf, n, fields, b, cause, len));
}

/* Release what a parsed body's message points into. */
void
hbody_free(struct hbody *b)
{
	json_decref(b->doc);
	if (b->argv != NULL)
		strv_free(b->argv);
	if (b->env != NULL)
		strv_free(b->env);
	if (b->headers != NULL)
		strv_free(b->headers);
	free(b->data);
	free(b->parent);
	memset(b, 0, sizeof *b);
}
