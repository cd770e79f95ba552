/*
 * podctl spawn --http: the options of an HTTP pod's request, read and
 * checked here (httpreq.c's checks, which podvisord repeats) so that a
 * bad request is a usage error before anything is sent.  --header @FILE
 * and --data @FILE read a file, so that secrets stay out of ps output.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define HTTP_HEADERS_MAX	256	/* headers of one request */

/* Read a whole file of at most max bytes; NULL with a reason. */
static uint8_t *
http_read_file(const char *path, size_t max, size_t *len, char *cause,
    size_t clen)
{
	uint8_t	*buf;
	size_t	 got = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(cause, clen, "cannot open %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	buf = xmalloc(max + 2);
	while ((n = read(fd, buf + got, max + 1 - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(cause, clen, "cannot read %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if ((got += (size_t)n) > max) {
			snprintf(cause, clen, "%s is over %zu bytes", path, max);
			goto fail;
		}
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return (buf);
fail:
	close(fd);
	free(buf);
	return (NULL);
}

/* Add one header after checking it; -1 after a usage error. */
static int
http_add_header(struct ctl *ctl, struct spawn_http *h, const char *line,
    size_t len)
{
	char	*copy, cause[256];

	if (h->nheaders == HTTP_HEADERS_MAX)
		return (ctl_usage_error(ctl, "--header: more than %d headers",
		    HTTP_HEADERS_MAX), -1);
	copy = xmalloc(len + 1);
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (http_check_header(copy, cause, sizeof cause) == -1) {
		free(copy);
		return (ctl_bad_value(ctl, "--header", cause), -1);
	}
	h->headers = xreallocarray(h->headers, h->nheaders + 2,
	    sizeof *h->headers);
	h->headers[h->nheaders++] = copy;
	h->headers[h->nheaders] = NULL;
	return (0);
}

/* --header @FILE: one header a line; blank lines and lines starting
 * with '#' are skipped.  -1 after a usage error. */
static int
http_header_file(struct ctl *ctl, struct spawn_http *h, const char *path)
{
	char	*text, *line, *end, cause[512];
	size_t	 len, n;
	int	 rc = 0;

	if ((text = (char *)http_read_file(path, 256 * 1024, &len, cause,
	    sizeof cause)) == NULL)
		return (ctl_bad_value(ctl, "--header", cause), -1);
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		return (ctl_usage_error(ctl, "--header: %s holds a NUL byte",
		    path), -1);
	}
	for (line = text; rc == 0 && line < text + len; line = end + 1) {
		if ((end = strchr(line, '\n')) == NULL)
			end = text + len;
		n = (size_t)(end - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		rc = http_add_header(ctl, h, line, n);
	}
	free(text);
	return (rc);
}

/* --data TEXT or --data @FILE; -1 after a usage error. */
static int
http_data(struct ctl *ctl, struct spawn_http *h, const char *arg)
{
	char	 cause[512];

	if (h->body != NULL)
		return (ctl_usage_error(ctl, "--data given twice"), -1);
	if (arg[0] != '@') {
		h->body_len = strlen(arg);
		if (h->body_len > HTTPREQ_BODY_MAX)
			return (ctl_usage_error(ctl, "--data: over %d bytes "
			    "(use --data @FILE? it has the same limit)",
			    HTTPREQ_BODY_MAX), -1);
		h->body = (uint8_t *)xstrdup(arg);
		return (0);
	}
	if ((h->body = http_read_file(arg + 1, HTTPREQ_BODY_MAX, &h->body_len,
	    cause, sizeof cause)) == NULL)
		return (ctl_bad_value(ctl, "--data", cause), -1);
	return (0);
}

/* One of the HTTP options; -1 after a usage error. */
int
spawn_http_option(struct ctl *ctl, struct spawn_http *h, int ch,
    const char *arg)
{
	char	 cause[256];

	h->any = true;
	switch (ch) {
	case OPT_HTTP:
		if (http_check_url(arg, cause, sizeof cause) == -1)
			return (ctl_bad_value(ctl, "--http", cause), -1);
		h->url = arg;
		return (0);
	case OPT_METHOD:
		if (http_check_method(arg, cause, sizeof cause) == -1)
			return (ctl_bad_value(ctl, "--method", cause), -1);
		h->method = arg;
		return (0);
	case OPT_HEADER:
		if (arg[0] == '@')
			return (http_header_file(ctl, h, arg + 1));
		return (http_add_header(ctl, h, arg, strlen(arg)));
	case OPT_DATA:
		return (http_data(ctl, h, arg));
	case OPT_ON_CANCEL:
		if (http_check_on_cancel(arg, cause, sizeof cause) == -1)
			return (ctl_bad_value(ctl, "--on-cancel", cause), -1);
		h->on_cancel = arg;
		return (0);
	}
	fatalx("spawn_http_option: unexpected option %d", ch);
}

/* After the options: fill the request, or say why it cannot be; -1
 * after a usage error.  ncmd is the number of command words given. */
int
spawn_http_finish(struct ctl *ctl, struct spawn_http *h, int ncmd,
    struct wire_http *out)
{
	if (!h->any)
		return (0);
	if (h->url == NULL)
		return (ctl_usage_error(ctl, "--method, --header, --data and "
		    "--on-cancel need --http URL"), -1);
	if (ncmd > 0)
		return (ctl_usage_error(ctl, "--http makes an HTTP pod: give "
		    "no command too"), -1);
	out->url = (char *)h->url;
	out->method = (char *)h->method;
	out->headers = h->headers;
	out->body.ptr = h->body;
	out->body.len = h->body_len;
	out->on_cancel = (char *)h->on_cancel;
	return (0);
}

/* Free what the options read. */
void
spawn_http_free(struct spawn_http *h)
{
	if (h->headers != NULL)
		strv_free(h->headers);
	free(h->body);
	memset(h, 0, sizeof *h);
}
