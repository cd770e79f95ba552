/*
 * fuzz-frame: a peer's byte stream, read as podvisord's peers read it
 * (peer.c's peer_take): take each complete frame out of an evbuffer with
 * frame_take, within WIRE_FRAME_MAX, and decode its payload.  The bytes
 * arrive in chunks, as reads from a socket do, so that frames split across
 * reads are taken only once complete.
 *
 * Input: the first byte chooses the chunk size (1 to 256 bytes); the rest
 * is the stream.
 */

#include <stdlib.h>

#include <event2/buffer.h>

#include "fuzz.h"

/* Take and decode every complete frame; -1 where a peer would be
 * dropped (an over-long frame or a payload that does not decode). */
static int
take_frames(struct evbuffer *in, size_t *taken)
{
	struct msg	 msg;
	void		*payload;
	size_t		 len, before;
	char		 cause[256];
	int		 rc;

	for (;;) {
		cause[0] = '\0';
		before = evbuffer_get_length(in);
		rc = frame_take(in, WIRE_FRAME_MAX, &payload, &len, cause,
		    sizeof cause);
		if (rc == 0)
			return (0);
		if (rc == -1) {
			FUZZ_CHECK(fuzz_cause_ok(cause));
			return (-1);
		}
		FUZZ_CHECK(len <= WIRE_FRAME_MAX);
		FUZZ_CHECK(evbuffer_get_length(in) == before - 4 - len);
		*taken += 4 + len;
		rc = msg_decode(payload, len, &msg, cause, sizeof cause);
		free(payload);
		if (rc == -1) {
			FUZZ_CHECK(fuzz_cause_ok(cause));
			return (-1);
		}
		msg_free(&msg);
	}
}

/* Feed the stream chunk by chunk, taking frames after each read. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer	*in;
	size_t		 chunk, off, n, taken = 0;

	if (size < 1)
		return (0);
	chunk = (size_t)data[0] + 1;
	FUZZ_CHECK((in = evbuffer_new()) != NULL);
	for (off = 1; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		FUZZ_CHECK(evbuffer_add(in, data + off, n) == 0);
		if (take_frames(in, &taken) == -1)
			break;
		/* Whatever was not taken is one partial frame. */
		FUZZ_CHECK(taken + evbuffer_get_length(in) == off - 1 + n);
	}
	evbuffer_free(in);
	return (0);
}
