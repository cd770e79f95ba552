/*
 * An HTTP pod's request, as podctl, podvisord and the pod runtime all
 * check it (so that a bad one is a usage error before anything is
 * created), and the redaction of its secrets wherever it is shown.
 *
 * The checks are syntactic and deliberately narrow: an http or https URL
 * with a host, a method that is an RFC 9110 token, headers "Name: value"
 * without line breaks.  The runtime's libcurl parses the URL again and
 * has the last word; only the runtime links libcurl.
 *
 * Redaction: a header is a credential when its name is one of the
 * well-known ones (Authorization, Proxy-Authorization, Cookie,
 * Set-Cookie) or contains "auth", "token", "secret", "password",
 * "passwd", "session", "cookie", "api-key", "api_key" or "apikey" (any
 * case): X-Api-Key, api-key, X-Goog-Api-Key, X-Auth-Token...  Its value
 * is shown as HTTPREQ_REDACTED.  In a URL, the password of the userinfo and
 * the value of every query parameter with such a name (or named "key")
 * are redacted the same way.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire.h"

/* At most max bytes of a client's s, fit for a one-line cause: anything
 * not printable shown as '?'. */
static const char *
http_shown(const char *s, size_t max, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i < max && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return (buf);
}

/* Is c an RFC 9110 tchar (what a method or a header name is made of)? */
static bool
http_tchar(unsigned char c)
{
	return (isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c)
	    != NULL));
}

/* Is s a non-empty token of at most max characters? */
static bool
http_token(const char *s, size_t len, size_t max)
{
	size_t	 i;

	if (len == 0 || len > max)
		return (false);
	for (i = 0; i < len; i++) {
		if (!http_tchar((unsigned char)s[i]))
			return (false);
	}
	return (true);
}

/* The length of the scheme's "http://" or "https://" prefix, or 0. */
static size_t
http_scheme_len(const char *url)
{
	if (strncasecmp(url, "http://", 7) == 0)
		return (7);
	if (strncasecmp(url, "https://", 8) == 0)
		return (8);
	return (0);
}

/* Check the host[:port] part of an authority (userinfo removed). */
static int
http_check_hostport(const char *h, size_t len, char *cause, size_t clen)
{
	const char	*colon = NULL, *end = h + len, *p;
	unsigned long	 port = 0;

	if (len > 0 && h[0] == '[') {
		if ((p = memchr(h, ']', len)) == NULL || p == h + 1)
			return (snprintf(cause, clen, "bad IPv6 address in the "
			    "URL"), -1);
		if (p + 1 < end && p[1] != ':')
			return (snprintf(cause, clen, "bad host in the URL"),
			    -1);
		colon = p + 1 < end ? p + 1 : NULL;
	} else {
		for (p = h; p < end && *p != ':'; p++) {
			if (!isalnum((unsigned char)*p) &&
			    strchr("-._~%!$&'()*+,;=", *p) == NULL)
				return (snprintf(cause, clen, "bad character "
				    "'%c' in the URL's host", *p > 0x20 &&
				    *p < 0x7f ? *p : '?'), -1);
		}
		if (p == h)
			return (snprintf(cause, clen, "the URL has no host"),
			    -1);
		colon = p < end ? p : NULL;
	}
	if (colon == NULL)
		return (0);
	for (p = colon + 1; p < end; p++) {
		if (!isdigit((unsigned char)*p) || port > 65535)
			return (snprintf(cause, clen, "bad port in the URL"),
			    -1);
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (p == colon + 1 || port == 0 || port > 65535)
		return (snprintf(cause, clen, "bad port in the URL"), -1);
	return (0);
}

/* An http or https URL with a host, without blanks or control bytes;
 * 0, or -1 with a reason. */
int
http_check_url(const char *url, char *cause, size_t clen)
{
	const char	*auth, *end, *at;
	char		 buf[65];
	size_t		 i, n;

	if (strlen(url) > WIRE_STR_MAX)
		return (snprintf(cause, clen, "the URL is longer than %d bytes",
		    WIRE_STR_MAX), -1);
	for (i = 0; url[i] != '\0'; i++) {
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return (snprintf(cause, clen, "the URL has a blank or "
			    "a control character: encode it (%%20)"), -1);
	}
	if ((n = http_scheme_len(url)) == 0)
		return (snprintf(cause, clen, "only http:// and https:// URLs "
		    "are accepted: %s", http_shown(url, 64, buf, sizeof buf)),
		    -1);
	auth = url + n;
	end = auth + strcspn(auth, "/?#");
	/* The last '@' ends the userinfo. */
	for (at = NULL, i = 0; auth + i < end; i++) {
		if (auth[i] == '@')
			at = auth + i;
	}
	if (at != NULL)
		auth = at + 1;
	return (http_check_hostport(auth, (size_t)(end - auth), cause, clen));
}

/* A method: a token of at most HTTPREQ_METHOD_MAX characters, not CONNECT
 * (a tunnel is no request); 0, or -1 with a reason. */
int
http_check_method(const char *m, char *cause, size_t clen)
{
	char	 buf[41];

	if (!http_token(m, strlen(m), HTTPREQ_METHOD_MAX))
		return (snprintf(cause, clen, "bad method '%s': use a word "
		    "such as GET or POST", http_shown(m, 40, buf, sizeof buf)),
		    -1);
	if (strcasecmp(m, "CONNECT") == 0)
		return (snprintf(cause, clen, "the method CONNECT is not "
		    "accepted"), -1);
	return (0);
}

/* A header "Name: value": a token, a colon, a value without line
 * breaks or control bytes (tabs allowed); not one libcurl computes
 * itself.  0, or -1 with a reason. */
int
http_check_header(const char *h, char *cause, size_t clen)
{
	const char	*colon = strchr(h, ':');
	char		 buf[41];
	size_t		 n, i;

	if (colon == NULL || !http_token(h, (size_t)(colon - h), 256))
		return (snprintf(cause, clen, "bad header '%s': use "
		    "'Name: value'", http_shown(h, 40, buf, sizeof buf)), -1);
	n = (size_t)(colon - h);
	if ((n == 14 && strncasecmp(h, "Content-Length", n) == 0) ||
	    (n == 17 && strncasecmp(h, "Transfer-Encoding", n) == 0))
		return (snprintf(cause, clen, "the header %.*s is set by "
		    "podvisor itself", (int)n, h), -1);
	for (i = n + 1; h[i] != '\0'; i++) {
		if (((unsigned char)h[i] < 0x20 && h[i] != '\t') ||
		    h[i] == 0x7f)
			return (snprintf(cause, clen, "the header %.*s has a "
			    "line break or a control character", (int)n, h),
			    -1);
	}
	return (0);
}

/* --on-cancel: finish or abort; 0, or -1 with a reason. */
int
http_check_on_cancel(const char *s, char *cause, size_t clen)
{
	char	 buf[41];

	if (strcmp(s, "finish") == 0 || strcmp(s, "abort") == 0)
		return (0);
	return (snprintf(cause, clen, "on-cancel must be finish or abort, "
	    "not '%s'", http_shown(s, 40, buf, sizeof buf)), -1);
}

/* The whole request; 0, or -1 with a reason. */
int
http_check_request(const struct wire_http *r, char *cause, size_t clen)
{
	size_t	 i;

	if (r->url == NULL)
		return (snprintf(cause, clen, "an HTTP pod needs a URL"), -1);
	if (http_check_url(r->url, cause, clen) == -1)
		return (-1);
	if (r->method != NULL && http_check_method(r->method, cause,
	    clen) == -1)
		return (-1);
	for (i = 0; r->headers != NULL && r->headers[i] != NULL; i++) {
		if (http_check_header(r->headers[i], cause, clen) == -1)
			return (-1);
	}
	if (r->body.len > HTTPREQ_BODY_MAX)
		return (snprintf(cause, clen, "the request body is over %d "
		    "bytes", HTTPREQ_BODY_MAX), -1);
	if (r->on_cancel != NULL && http_check_on_cancel(r->on_cancel, cause,
	    clen) == -1)
		return (-1);
	return (0);
}

/* The method a request is made with: as given, else POST with a body. */
const char *
http_method_of(const struct wire_http *r)
{
	if (r->method != NULL)
		return (r->method);
	return (r->body.len > 0 ? "POST" : "GET");
}

/* Does a name (a header's, a query parameter's) hold credentials? */
bool
http_secret_name(const char *name, size_t len)
{
	static const char *const exact[] = { "authorization",
	    "proxy-authorization", "cookie", "set-cookie", "key", NULL };
	static const char *const part[] = { "auth", "token", "secret",
	    "password", "passwd", "session", "cookie", "api-key", "api_key",
	    "apikey", NULL };
	char	 low[257];
	size_t	 i;

	if (len == 0 || len >= sizeof low)
		return (len > 0);
	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[len] = '\0';
	for (i = 0; exact[i] != NULL; i++) {
		if (strcmp(low, exact[i]) == 0)
			return (true);
	}
	for (i = 0; part[i] != NULL; i++) {
		if (strstr(low, part[i]) != NULL)
			return (true);
	}
	return (false);
}

/* A header line as it may be shown: "Name: " HTTPREQ_REDACTED when it is a
 * credential, else as it is (caller frees). */
char *
http_redact_header(const char *h, size_t len)
{
	const char	*colon = memchr(h, ':', len);
	char		*out;
	size_t		 n;

	if (colon == NULL || !http_secret_name(h, (size_t)(colon - h))) {
		out = xmalloc(len + 1);
		memcpy(out, h, len);
		out[len] = '\0';
		return (out);
	}
	n = (size_t)(colon - h);
	xasprintf(&out, "%.*s: %s", (int)n, h, HTTPREQ_REDACTED);
	return (out);
}

/* Append the query string q (without '?', up to its '#') with secret
 * values redacted. */
static void
http_redact_query(char *out, size_t *o, const char *q, size_t len)
{
	const char	*p = q, *end = q + len, *amp, *eq;
	size_t		 n;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && http_secret_name(p, (size_t)(eq - p)))
			n = (size_t)(eq - p) + 1;
		else
			n = (size_t)(amp - p);
		memcpy(out + *o, p, n);
		*o += n;
		if (n != (size_t)(amp - p)) {
			memcpy(out + *o, HTTPREQ_REDACTED, strlen(HTTPREQ_REDACTED));
			*o += strlen(HTTPREQ_REDACTED);
		}
		if (amp < end)
			out[(*o)++] = '&';
		p = amp + 1;
	}
}

/* A URL as it may be shown: the userinfo's password and secret query
 * values redacted (caller frees).  The URL is one http_check_url took. */
char *
http_redact_url(const char *url)
{
	const char	*auth, *end, *at = NULL, *colon, *q, *frag;
	size_t		 len = strlen(url), o, i, n;
	char		*out;

	/* Each redaction replaces at least one byte... or none: room for
	 * one per byte is plenty. */
	out = xmalloc(len * (strlen(HTTPREQ_REDACTED) + 1) + 1);
	n = http_scheme_len(url);
	auth = url + n;
	end = auth + strcspn(auth, "/?#");
	for (i = 0; auth + i < end; i++) {
		if (auth[i] == '@')
			at = auth + i;
	}
	memcpy(out, url, n);
	o = n;
	if (at != NULL && (colon = memchr(auth, ':', (size_t)(at - auth)))
	    != NULL) {
		memcpy(out + o, auth, (size_t)(colon - auth) + 1);
		o += (size_t)(colon - auth) + 1;
		memcpy(out + o, HTTPREQ_REDACTED, strlen(HTTPREQ_REDACTED));
		o += strlen(HTTPREQ_REDACTED);
		auth = at;
	}
	if ((q = strchr(auth, '?')) == NULL || ((frag = strchr(auth, '#'))
	    != NULL && frag < q)) {
		memcpy(out + o, auth, strlen(auth) + 1);
		return (out);
	}
	memcpy(out + o, auth, (size_t)(q - auth) + 1);
	o += (size_t)(q - auth) + 1;
	frag = strchr(q, '#');
	n = frag != NULL ? (size_t)(frag - q - 1) : strlen(q + 1);
	http_redact_query(out, &o, q + 1, n);
	if (frag != NULL) {
		memcpy(out + o, frag, strlen(frag));
		o += strlen(frag);
	}
	out[o] = '\0';
	return (out);
}
