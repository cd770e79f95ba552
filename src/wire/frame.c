/*
 * Framing: a 4-byte big-endian payload length, then the payload (one
 * msgpack map).  The length is checked before any payload is buffered up.
 * The programs' frames go through evbuffers, and a message that cannot be
 * encoded is logged here (msg.c only says why).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Frames are packed into one scratch buffer, its first bytes kept for
 * the length, and appended to the output with one evbuffer_add: packed
 * into an evbuffer token by token, a status of 10,000 pods spent a fifth
 * of its time in evbuffer_add and its callbacks.  The programs that use
 * it are single-threaded.
 */
struct frame_scratch {
	char	*buf;
	size_t	 len;
	size_t	 size;
};

/* msg_pack()'s writer: append to the scratch buffer. */
static int
pack_write(void *data, const char *buf, size_t len)
{
	struct frame_scratch	*f = data;
	size_t			 size;

	if (len == 0)
		return (0);		/* and buf may be NULL */
	if (len > SIZE_MAX / 2 - f->len)
		return (-1);
	if (f->len + len > f->size) {
		for (size = f->size; f->len + len > size; size *= 2)
			;
		f->buf = xrealloc(f->buf, size);
		f->size = size;
	}
	memcpy(f->buf + f->len, buf, len);
	f->len += len;
	return (0);
}

/* Write the payload's length before it. */
static int
frame_header(struct frame_scratch *f)
{
	size_t		len = f->len - FRAME_HEADER;
	unsigned char	*hdr = (unsigned char *)f->buf;

	if (len > UINT32_MAX)
		return (-1);
	hdr[0] = len >> 24;
	hdr[1] = len >> 16;
	hdr[2] = len >> 8;
	hdr[3] = len;
	return (0);
}

/* Append one whole frame; a message the peer would reject is logged and
 * refused (returns -1), and nothing is appended then. */
int
msg_encode(const struct msg *msg, struct evbuffer *out)
{
	static struct frame_scratch	 f;
	char				 cause[256];
	int				 rc;

	if (f.buf == NULL) {
		f.size = 4096;
		f.buf = xmalloc(f.size);
	}
	f.len = FRAME_HEADER;
	rc = msg_pack(msg, pack_write, &f, cause, sizeof cause);
	if (rc == 0 && ((rc = frame_header(&f)) != 0 ||
	    (rc = evbuffer_add(out, f.buf, f.len)) != 0))
		snprintf(cause, sizeof cause, "cannot encode %s: out of buffer "
		    "space", msg_type_name(msg->type));
	if (f.size > 1024 * 1024) {	/* one big frame: give it back */
		free(f.buf);
		f.buf = NULL;
	}
	if (rc != 0) {
		log_warnx("%s", cause);
		return (-1);
	}
	return (0);
}
