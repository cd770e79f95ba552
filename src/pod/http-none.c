/*
 * The HTTP transfer, left out: podvisor-pod runs command pods only, so
 * that libcurl (and the dozens of libraries it loads) costs nothing at
 * every command pod's start.  podvisord runs HTTP pods with
 * podvisor-pod-http, the same runtime built with http.c.
 */

#include <stdio.h>

#include "wire.h"
#include "pod.h"

/* No transfer here: the pod fails to start, saying why. */
int
http_start(struct runtime *rt, char *cause, size_t len)
{
	snprintf(cause, len, "this pod runtime makes no HTTP requests "
	    "(podvisor-pod-http does)");
	return (-1);
}

bool
http_live(struct runtime *rt)
{
	return (false);
}

void
http_abort(struct runtime *rt, int sig)
{
}

void
http_signal(struct runtime *rt, int sig)
{
}

void
http_pause(struct runtime *rt, bool pause)
{
}

void
http_fill_ended(struct runtime *rt, struct msg *m)
{
	m->u.ended.exit_code = 127;
}

void
http_exit_text(struct runtime *rt, char *buf, size_t len)
{
	snprintf(buf, len, "no HTTP transfer");
}

void
http_log_request(struct runtime *rt)
{
}

void
http_free(struct runtime *rt)
{
}
