/*
 * The wire, as podvisor-protocol(7) has it: a 4-byte big-endian length,
 * then one msgpack map whose "type" is a string.  The messages and their
 * codec are the programs' own (src/wire/msg.h, msg.c), so that the
 * library checks what it sends and what it reads exactly as podvisord and
 * the runtime do; this file only puts a struct msg into a frame's bytes
 * and takes it out of them.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvl.h"

/* What the public header promises is what the codec checks. */
_Static_assert(PODVISOR_PROTOCOL_VERSION == PROTOCOL_VERSION,
    "podvisor.h and msg.h disagree on the protocol version");
_Static_assert(PODVISOR_TEXT_MAX == WIRE_STR_MAX,
    "podvisor.h and msg.h disagree on the longest text");
_Static_assert(PODVISOR_PAYLOAD_MAX < WIRE_FRAME_MAX / 4,
    "a log entry's message and fields must fit in one frame");

#define HEADER	4		/* the frame's length */

/* msg_pack()'s writer: append to the frame, growing it as needed. */
static int
out_write(void *arg, const char *p, size_t n)
{
	struct pvl_out	*o = arg;
	size_t		 cap;
	char		*d;

	if (o->cap - o->len < n) {
		cap = o->cap > 0 ? o->cap : 256;
		while (cap - o->len < n && cap <= SIZE_MAX / 2)
			cap *= 2;
		if (cap - o->len < n || (d = realloc(o->data, cap)) == NULL) {
			o->nomem = true;
			return (-1);
		}
		o->data = d;
		o->cap = cap;
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
	return (0);
}

/* Put a message into o as one whole frame: 0, or -1 with errno (EINVAL:
 * a field the peer would refuse, EMSGSIZE: over the frame limit, ENOMEM)
 * and the reason in why. */
int
pvl_encode(const struct msg *msg, struct pvl_out *o, char *why,
    size_t whylen)
{
	static const char	 zero[HEADER];
	size_t			 n;

	o->len = 0;
	o->nomem = false;
	if (out_write(o, zero, sizeof zero) == -1 ||
	    msg_pack(msg, out_write, o, why, whylen) == -1) {
		if (o->nomem)
			snprintf(why, whylen, "out of memory building a "
			    "message");
		errno = o->nomem ? ENOMEM : EINVAL;
		return (-1);
	}
	if ((n = o->len - HEADER) > PVL_FRAME_MAX) {
		snprintf(why, whylen, "a message of %zu bytes is over the "
		    "%d-byte frame limit", n, PVL_FRAME_MAX);
		errno = EMSGSIZE;
		return (-1);
	}
	o->data[0] = (char)(n >> 24);
	o->data[1] = (char)(n >> 16);
	o->data[2] = (char)(n >> 8);
	o->data[3] = (char)n;
	return (0);
}

/* Release a frame's buffer. */
void
pvl_out_free(struct pvl_out *o)
{
	free(o->data);
	memset(o, 0, sizeof *o);
}

/* Decode one payload into a message (msg_free() it), or -1 with the
 * reason in why and errno ENOMEM or EPROTO (bad input).  The message owns
 * its memory: the payload may go at once. */
int
pvl_decode(const uint8_t *p, size_t len, struct msg *msg, char *why,
    size_t whylen)
{
	if (msg_decode(p, len, msg, why, whylen) == 0)
		return (0);
	if (errno != ENOMEM)
		errno = EPROTO;
	return (-1);
}

/* "unexpected message 'TYPE'" for a message this side does not take. */
const char *
pvl_unexpected(const struct msg *msg, char *buf, size_t len)
{
	snprintf(buf, len, "unexpected message '%s'",
	    msg_type_name(msg->type));
	return (buf);
}

/* Wire nanoseconds as a timespec; none (negative) as {0, 0}. */
void
pvl_ns_to_ts(int64_t ns, struct timespec *ts)
{
	if (ns < 0) {
		ts->tv_sec = 0;
		ts->tv_nsec = 0;
		return;
	}
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}
