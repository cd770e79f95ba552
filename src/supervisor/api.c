/*
 * The supervisor's half of the pod API: what a workload asks through its
 * runtime that only podvisord can decide or keep (an acknowledged cancel,
 * more time, its status, heartbeats, its result), and the events it hears
 * of its child pods.  The runtime has checked the message's shape; what
 * is checked here is whether it may be granted.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "supervisor.h"

/* MSG_API: the workload opened the pod API. */
void
api_opened(struct pod *pod, char **handles)
{
	size_t	 i;

	pod->api = true;
	for (i = 0; handles != NULL && handles[i] != NULL; i++) {
		if (strcmp(handles[i], "cancel") == 0)
			pod->api_cancel = true;
	}
	registry_touch(pod);
}

/* MSG_ACK: the workload saw the cancel. */
void
api_acked(struct pod *pod)
{
	if (pod->cancel_acked_at != WIRE_NONE || !pod->stop_wanted)
		return;
	pod->cancel_acked_at = now_ns();
	registry_touch(pod);
}

/* Reply to the runtime with an error of the given code. */
static void
api_refuse(struct pod *pod, const char *code, const char *fmt, ...)
{
	struct msg	 msg;
	va_list		 ap;
	char		 text[512];

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	msg_init(&msg, MSG_ERROR);
	msg.u.error.code = (char *)code;
	msg.u.error.message = text;
	if (pod->peer != NULL)
		peer_send(pod->peer, &msg);
}

/* A monotonic deadline as wall-clock ns. */
int64_t
api_deadline_ns(int64_t mono)
{
	return (now_ns() + (mono - mono_ms()) * 1000000);
}

/* MSG_EXTEND: more time before SIGTERM, within --max-extend in all and
 * never past the parent's own deadline; refused whole otherwise. */
void
api_extend(struct pod *pod, const struct msg_extend *m)
{
	struct msg	 msg;
	int64_t		 max, cap, want;

	if (pod->state != POD_STOPPING || pod->phase != PHASE_LIVE ||
	    pod->stage_deadline == 0) {
		api_refuse(pod, "refused", "the pod is not in its cancel "
		    "stage: there is nothing to extend");
		return;
	}
	max = pod->spec.max_extend_ms != WIRE_NONE ?
	    pod->spec.max_extend_ms : pod->spec.cancel_grace_ms;
	if (pod->extended_ms + (int64_t)m->ms > max) {
		api_refuse(pod, "refused", "%" PRIu64 "ms more would go "
		    "beyond --max-extend %" PRId64 "ms (%" PRId64 "ms granted "
		    "already)", m->ms, max, pod->extended_ms);
		return;
	}
	want = pod->stage_deadline + (int64_t)m->ms;
	if ((cap = pod_deadline_cap(pod)) != 0 && want > cap) {
		api_refuse(pod, "refused", "%" PRIu64 "ms more would go "
		    "beyond the deadline of parent pod %" PRIu64, m->ms,
		    pod->parent->id);
		return;
	}
	pod->extended_ms += (int64_t)m->ms;
	pod->stage_own += (int64_t)m->ms;
	pod_rearm_stage(pod, want);
	log_debug("pod %" PRIu64 ": granted %" PRIu64 "ms more (%s)",
	    pod->id, m->ms, m->why ? m->why : "");
	msg_init(&msg, MSG_EXTENDED);
	msg.u.extended.deadline = api_deadline_ns(want);
	if (pod->peer != NULL)
		peer_send(pod->peer, &msg);
	registry_touch(pod);
}

/* MSG_REPORT: the workload's status text and progress. */
void
api_report(struct pod *pod, const struct msg_report *m)
{
	free(pod->status_text);
	pod->status_text = m->text != NULL ? xstrdup(m->text) : NULL;
	pod->progress = m->progress;
	registry_touch(pod);
}

/* The heartbeat deadline passed: the workload is presumed stuck. */
static void
api_heartbeat_cb(int fd, short events, void *arg)
{
	struct pod	*pod = arg;

	log_info("pod %" PRIu64 ": no heartbeat for %" PRId64 "ms", pod->id,
	    pod->spec.heartbeat_ms);
	pod_stop_tree(pod, "heartbeat-timeout", "heartbeat-timeout", NULL,
	    WIRE_NONE, WIRE_NONE);
}

/* Start (or restart) the --heartbeat clock. */
void
api_arm_heartbeat(struct pod *pod)
{
	if (pod->spec.heartbeat_ms <= 0 || pod->stop_wanted ||
	    pod->phase != PHASE_LIVE)
		return;
	if (pod->heartbeat_timer == NULL)
		pod->heartbeat_timer = evtimer_new(sv.base, api_heartbeat_cb,
		    pod);
	timer_arm(pod->heartbeat_timer, pod->spec.heartbeat_ms);
}

/* MSG_HEARTBEAT: the workload is alive. */
void
api_heartbeat(struct pod *pod)
{
	pod->heartbeat_at = now_ns();
	api_arm_heartbeat(pod);
	registry_touch(pod);
}

/* MSG_RESULT: keep the workload's result, if it is one JSON value. */
void
api_result(struct pod *pod, const struct msg_result *m)
{
	struct msg	 msg;
	json_error_t	 err;
	json_t		*v;

	if (m->data.len > API_RESULT_MAX) {
		api_refuse(pod, ERR_USAGE, "a result is at most 64 KiB");
		return;
	}
	if ((v = json_loadb((const char *)m->data.ptr, m->data.len,
	    JSON_DECODE_ANY, &err)) == NULL) {
		api_refuse(pod, ERR_USAGE, "the result is not JSON: %s",
		    err.text);
		return;
	}
	json_decref(v);
	free(pod->result);
	pod->result = xmalloc(m->data.len + 1);
	memcpy(pod->result, m->data.ptr, m->data.len);
	pod->result[m->data.len] = '\0';
	pod->result_len = m->data.len;
	registry_touch(pod);
	msg_init(&msg, MSG_OK);
	if (pod->peer != NULL)
		peer_send(pod->peer, &msg);
}

/* Tell the parent's workload that a child pod was spawned or ended, if
 * it listens.  Whether it opened the API is the parent's runtime's to
 * judge (it passes the event on only then): podvisord learns of the
 * opening on the runtime's channel, and a workload that spawns a child
 * right after opening the API may have its spawn, on the control socket,
 * read first. */
void
api_child_event(struct pod *child, const char *event)
{
	struct pod	*parent = child->parent;
	struct msg	 msg;

	if (parent == NULL || parent->peer == NULL ||
	    parent->phase != PHASE_LIVE)
		return;
	msg_init(&msg, MSG_CHILD);
	msg.u.child.id = child->id;
	msg.u.child.name = child->name;
	msg.u.child.event = (char *)event;
	msg.u.child.state = (char *)pod_state_name(child->state);
	if (POD_TERMINAL(child)) {
		msg.u.child.exit_code = child->exit_code;
		msg.u.child.signal = child->signal;
		msg.u.child.reason = child->reason;
		msg.u.child.result.ptr = (const uint8_t *)child->result;
		msg.u.child.result.len = child->result_len;
	}
	peer_send(parent->peer, &msg);
}
