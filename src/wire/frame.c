/*
 * Framing: a 4-byte big-endian payload length, then the payload (one
 * msgpack map).  The length is checked before any payload is buffered up.
 * The programs' frames go through evbuffers, and a message that cannot be
 * encoded is logged here (msg.c only says why).
 */

#include <stdint.h>
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

/* msg_pack()'s writer: append to an evbuffer. */
static int
pack_write(void *data, const char *buf, size_t len)
{
	return (evbuffer_add(data, buf, len));
}

/* Prefix a payload with its length and move it to out. */
static int
frame_wrap(struct evbuffer *payload, struct evbuffer *out)
{
	size_t		len = evbuffer_get_length(payload);
	unsigned char	hdr[FRAME_HEADER];

	if (len > UINT32_MAX)
		return (-1);
	hdr[0] = len >> 24;
	hdr[1] = len >> 16;
	hdr[2] = len >> 8;
	hdr[3] = len;
	if (evbuffer_prepend(payload, hdr, sizeof hdr) == -1)
		return (-1);
	return (evbuffer_add_buffer(out, payload));
}

/* Append one whole frame; a message the peer would reject is logged and
 * refused (returns -1), and nothing is appended then. */
int
msg_encode(const struct msg *msg, struct evbuffer *out)
{
	struct evbuffer	*tmp;
	char		 cause[256];
	int		 rc;

	if ((tmp = evbuffer_new()) == NULL)
		fatalx("out of memory encoding a message");
	rc = msg_pack(msg, pack_write, tmp, cause, sizeof cause);
	if (rc == 0 && (rc = frame_wrap(tmp, out)) != 0)
		snprintf(cause, sizeof cause, "cannot encode %s: out of buffer "
		    "space", msg_type_name(msg->type));
	evbuffer_free(tmp);
	if (rc != 0) {
		log_warnx("%s", cause);
		return (-1);
	}
	return (0);
}
