/*
 * fuzz-msg: the message decoder on a raw frame payload, the bytes every
 * peer controls once a frame's length has been accepted.  The type is a
 * field of the map, so this reaches every message type's decoder; what it
 * accepts must survive a round trip through the encoder.
 */

#include "fuzz.h"

/* Decode one payload; a rejection must come with a printable cause. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg	msg;
	char		cause[256];

	cause[0] = '\0';
	if (msg_decode(data, size, &msg, cause, sizeof cause) == -1) {
		FUZZ_CHECK(fuzz_cause_ok(cause));
		FUZZ_CHECK(msg.owner == NULL);
		return (0);
	}
	FUZZ_CHECK((unsigned)msg.type < MSG__COUNT);
	fuzz_roundtrip(&msg);
	msg_free(&msg);
	return (0);
}
