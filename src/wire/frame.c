/*
 * Framing: a 4-byte big-endian payload length, then the payload (one
 * msgpack map).  The length is checked before any payload is buffered up.
 */

#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "wire.h"

#define FRAME_HEADER	4

/* Take one whole frame's payload out of buf, leaving a partial one. */
int
frame_take(struct evbuffer *buf, size_t max, void **payload, size_t *len,
    char *cause, size_t causelen)
{
	unsigned char	hdr[FRAME_HEADER];
	size_t		n;

	if (evbuffer_copyout(buf, hdr, sizeof hdr) != (ev_ssize_t)sizeof hdr)
		return (0);
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | (size_t)hdr[3];
	if (n > max) {
		snprintf(cause, causelen, "frame of %zu bytes exceeds the "
		    "limit of %zu", n, max);
		return (-1);
	}
	if (evbuffer_get_length(buf) < sizeof hdr + n)
		return (0);
	evbuffer_drain(buf, sizeof hdr);
	*payload = xmalloc(n);
	if (evbuffer_remove(buf, *payload, n) != (int)n) {
		/* Cannot happen: the bytes were counted above. */
		free(*payload);
		*payload = NULL;
		snprintf(cause, causelen, "short read from a frame buffer");
		return (-1);
	}
	*len = n;
	return (1);
}
