/*
 * What a webhook event says: whether a pod's change is one (by
 * --webhook-events), its delivery id, and its JSON body
 *   {"id": ID, "type": "pod.ended" | "pod.state", "ts": ..., "pod": {...}}
 * with the pod object of `podctl --json inspect`.  The body is made once,
 * when the change is committed, and stored: every retry sends the same
 * bytes under the same id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "supervisor.h"
#include "json.h"
#include "webhook.h"

/* The event a pod's recorded change makes, or NULL for none: the pod
 * became terminal ("pod.ended"), or, with --webhook-events all, its state
 * changed in any other way ("pod.state").  reported_state is what the
 * last committed change showed (-1: none yet). */
const char *
webhook_event_type(struct pod *pod)
{
	bool	was_terminal;

	if ((int)pod->state == pod->reported_state)
		return (NULL);
	was_terminal = pod->reported_state >= POD_SUCCEEDED;
	if (POD_TERMINAL(pod) && !was_terminal)
		return ("pod.ended");
	return (sv.webhook_all ? "pod.state" : NULL);
}

/* A fresh delivery id: a random (version 4) UUID, from OpenSSL's
 * generator; id has room for WEBHOOK_ID_LEN + 1. */
void
webhook_event_id(char *id)
{
	uint8_t	b[16];
	size_t	i, o = 0;

	if (RAND_bytes(b, sizeof b) != 1)
		fatalx("webhook: OpenSSL has no random bytes");
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < sizeof b; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			id[o++] = '-';
		snprintf(id + o, 3, "%02x", b[i]);
		o += 2;
	}
	id[o] = '\0';
}

/* The event's body, NUL-terminated, its length in *len. */
char *
webhook_event_body(struct pod *pod, const char *id, const char *type,
    int64_t ts, size_t *len)
{
	struct msg		 msg;
	struct jw		 w;
	struct jw_memory	 m;

	pod_to_msg(pod, &msg, RECORD_CHILDREN | RECORD_RESULT);
	jw_memory(&w, &m);
	jw_object(&w);
	jw_key(&w, "id");
	jw_string(&w, id);
	jw_key(&w, "type");
	jw_string(&w, type);
	jw_key(&w, "ts");
	jw_time(&w, ts);
	jw_key(&w, "pod");
	pod_write(&w, &msg.u.pod);
	jw_object_end(&w);
	jw_flush(&w);
	record_msg_release(&msg);
	*len = m.len;
	return (m.text);
}
