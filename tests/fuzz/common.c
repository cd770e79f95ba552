/*
 * Helpers shared by the fuzz targets.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "fuzz.h"

/*
 * Every field name in msg.h, for fuzz-msg-typed's keys and gen-seeds.
 * A field missing here is still reached, only less often: the typed
 * target also makes keys from raw input bytes.
 */
const char *const fuzz_field_names[] = {
	"type", "version", "code", "message", "id", "seq", "missing",
	"argv", "cwd", "env", "inherit_env", "name", "parent",
	"cancel_grace_ms", "term_grace_ms", "stop_signal", "timeout_ms",
	"on_parent_exit", "limit_nofile", "limit_nproc", "limit_as",
	"limit_cpu", "pods", "reason", "wait", "pod", "signal", "all",
	"from", "tail", "follow", "tree", "data", "state", "pid",
	"runtime_pid", "exit_code", "error", "owner", "created_at",
	"started_at", "ended_at", "stop_requested_at", "stage_left_ms",
	"leftovers", "log_seq", "children", "log_max", "ts", "kind", "dir",
	"uid", "gid", "groups", "nofile_soft", "handles", "requested_by",
	"deadline", "ms", "why", "level", "fields", "text", "progress",
	"priority", "key", "preempted", "event", "result", "api",
	"next_stage_at", "cancel_acked_at", "status_text", "heartbeat_at",
	"heartbeat_ms", "max_extend_ms", "timeout_at", "queued", "paused_at",
	"cause", "frozen", "preempt", "restart", "max_restarts",
	"restart_delay_ms", "restarts", "restart_wait_ms", "restart_at", "env",
	"unsynced", "http_url", "http_method", "http_headers", "http_body",
	"http_on_cancel", "http_status", "status", "webhooks_pending", "json",
};
const size_t fuzz_nfield_names =
    sizeof fuzz_field_names / sizeof fuzz_field_names[0];

/* Abort on a broken property, saying which. */
void
fuzz_check(int ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
	abort();
}

/* Causes reach podctl's stderr and error replies: they must say
 * something, and be one line of printable ASCII. */
int
fuzz_cause_ok(const char *cause)
{
	const char	*p;

	if (*cause == '\0')
		return (0);
	for (p = cause; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return (0);
	}
	return (1);
}

/* Encode a message into a fresh buffer, which must then hold one frame. */
static struct evbuffer *
encode(const struct msg *msg)
{
	struct evbuffer	*buf;

	FUZZ_CHECK((buf = evbuffer_new()) != NULL);
	FUZZ_CHECK(msg_encode(msg, buf) == 0);
	return (buf);
}

/* Take the only frame out of buf and decode it. */
static void
decode(struct evbuffer *buf, struct msg *msg)
{
	void	*payload;
	size_t	 len;
	char	 cause[256];

	cause[0] = '\0';
	FUZZ_CHECK(frame_take(buf, SIZE_MAX, &payload, &len, cause,
	    sizeof cause) == 1);
	FUZZ_CHECK(evbuffer_get_length(buf) == 0);
	if (msg_decode(payload, len, msg, cause, sizeof cause) == -1) {
		fprintf(stderr, "re-encoded message rejected: %s\n", cause);
		FUZZ_CHECK(!"a re-encoded message decodes");
	}
	free(payload);
}

/*
 * Whatever the decoder accepts, the encoder must send, and the peer must
 * read back as the same message: same type, and the same bytes when it is
 * encoded again (the first encoding may differ from the input: unknown
 * keys are dropped, nil and -1 are one value, str becomes bin).
 */
void
fuzz_roundtrip(const struct msg *msg)
{
	struct evbuffer	*one, *two;
	struct msg	 again;
	size_t		 len;

	one = encode(msg);
	len = evbuffer_get_length(one);
	two = evbuffer_new();
	FUZZ_CHECK(two != NULL);
	FUZZ_CHECK(evbuffer_add(two, evbuffer_pullup(one, -1), len) == 0);
	decode(two, &again);
	evbuffer_free(two);
	FUZZ_CHECK(again.type == msg->type);
	two = encode(&again);
	FUZZ_CHECK(evbuffer_get_length(two) == len);
	FUZZ_CHECK(memcmp(evbuffer_pullup(one, -1), evbuffer_pullup(two, -1),
	    len) == 0);
	msg_free(&again);
	evbuffer_free(one);
	evbuffer_free(two);
}
