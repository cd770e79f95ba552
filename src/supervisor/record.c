/*
 * A pod as a wire record (msg_pod): what status, inspect, stop and wait
 * reply with, and what the registry stores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"

/* Milliseconds left before the pod's next stop stage, or WIRE_NONE. */
static int64_t
stage_left_ms(struct pod *pod)
{
	int64_t	left;

	if (pod->stage_deadline == 0 || POD_TERMINAL(pod))
		return (WIRE_NONE);
	left = pod->stage_deadline - mono_ms();
	return (left < 0 ? 0 : left);
}

/* Fill msg with the pod's record; it borrows the pod's strings.  what
 * adds the children's ids (RECORD_CHILDREN) and the result
 * (RECORD_RESULT), which status and wait replies leave out. */
void
pod_to_msg(struct pod *pod, struct msg *msg, int what)
{
	struct msg_pod	*r = &msg->u.pod;
	struct pod	*child;
	size_t		 n = 0;
	bool		 live;

	msg_init(msg, MSG_POD);
	r->id = pod->id;
	r->name = pod->name;
	r->parent = pod->parent ? (int64_t)pod->parent->id : WIRE_NONE;
	r->state = (char *)pod_state_name(pod->state);
	/* Nothing runs between runs, nor after the last. */
	live = !POD_TERMINAL(pod) && pod->state != POD_RESTARTING;
	r->pid = pod->pid > 0 && live ? pod->pid : WIRE_NONE;
	r->runtime_pid = pod->runtime_pid > 0 && live ? pod->runtime_pid :
	    WIRE_NONE;
	r->argv = pod->argv;
	r->cwd = pod->cwd;
	r->exit_code = pod->exit_code;
	r->signal = pod->signal;
	r->reason = pod->reason;
	r->error = pod->error;
	r->owner = pod->owner;
	r->created_at = pod->created_at;
	r->started_at = pod->started_at;
	r->ended_at = pod->ended_at;
	r->stop_requested_at = pod->stop_requested_at;
	r->stage_left_ms = stage_left_ms(pod);
	r->spec = pod->spec;
	r->on_parent_exit = pod->orphan_on_parent_exit ? "orphan" : "stop";
	r->leftovers = pod->leftovers;
	r->log_seq = pod->log_seq;
	r->log_max = pod->log_max;
	r->api = pod->api;
	r->queued = pod->queued;
	r->paused_at = pod->paused_at;
	r->cause = pod->cause;
	if (pod->stage_deadline != 0 && !POD_TERMINAL(pod))
		r->next_stage_at = api_deadline_ns(pod->stage_deadline);
	r->cancel_acked_at = pod->cancel_acked_at;
	r->status_text = pod->status_text;
	r->progress = pod->progress;
	r->heartbeat_at = pod->heartbeat_at;
	r->http_url = pod->http_url;
	r->http_method = pod->http_method;
	r->http_on_cancel = pod->http_on_cancel;
	r->http_status = pod->http_status;
	r->restart = (char *)restart_policy_name(pod->restart);
	r->restarts = pod->restarts;
	r->restart_wait_ms = pod->restart_wait_ms > 0 ? pod->restart_wait_ms :
	    WIRE_NONE;
	r->restart_at = pod->state == POD_RESTARTING ? pod->restart_at :
	    WIRE_NONE;
	if (what & RECORD_PRIVATE) {
		r->env = pod->env;
		r->gid = pod->gid;
	}
	if ((what & RECORD_RESULT) && pod->result != NULL) {
		r->result.ptr = (const uint8_t *)pod->result;
		r->result.len = pod->result_len;
	}
	if (!(what & RECORD_CHILDREN))
		return;
	TAILQ_FOREACH(child, &pod->children, sibling)
		n++;
	if (n == 0)
		return;
	r->children.v = xreallocarray(NULL, n, sizeof *r->children.v);
	n = 0;
	TAILQ_FOREACH(child, &pod->children, sibling)
		r->children.v[n++] = child->id;
	r->children.n = n;
}

/* Free what pod_to_msg allocated (the children array only). */
void
record_msg_release(struct msg *msg)
{
	free(msg->u.pod.children.v);
	msg->u.pod.children.v = NULL;
	msg->u.pod.children.n = 0;
}

/* A pod rebuilt from a stored record, with no parent link yet. */
struct pod *
pod_from_msg(struct msg_pod *r)
{
	struct pod	*pod;
	int		 state, policy;

	if ((state = pod_state_from_name(r->state)) == -1 || r->argv == NULL)
		return (NULL);
	pod = pod_new(r->id);
	pod_set_state(pod, state);
	pod->name = r->name ? xstrdup(r->name) : NULL;
	pod->argv = xstrvdup(r->argv);
	pod->cwd = xstrdup(r->cwd ? r->cwd : "/");
	pod->exit_code = r->exit_code;
	pod->signal = r->signal;
	pod->reason = r->reason ? xstrdup(r->reason) : NULL;
	pod->error = r->error ? xstrdup(r->error) : NULL;
	pod->owner = r->owner;
	pod->created_at = r->created_at;
	pod->started_at = r->started_at;
	pod->ended_at = r->ended_at;
	pod->stop_requested_at = r->stop_requested_at;
	pod->spec = r->spec;
	pod->orphan_on_parent_exit = r->on_parent_exit != NULL &&
	    strcmp(r->on_parent_exit, "orphan") == 0;
	pod->leftovers = r->leftovers;
	pod->log_seq = r->log_seq;
	pod->log_max = r->log_max;
	pod->api = r->api;
	pod->paused_at = r->paused_at;
	pod->cause = r->cause != NULL ? xstrvdup(r->cause) : NULL;
	pod->cancel_acked_at = r->cancel_acked_at;
	pod->status_text = r->status_text ? xstrdup(r->status_text) : NULL;
	pod->progress = r->progress;
	pod->heartbeat_at = r->heartbeat_at;
	pod->http_url = r->http_url ? xstrdup(r->http_url) : NULL;
	pod->http_method = r->http_method ? xstrdup(r->http_method) : NULL;
	pod->http_on_cancel = r->http_on_cancel ?
	    xstrdup(r->http_on_cancel) : NULL;
	pod->http_status = r->http_status;
	if ((policy = restart_policy_from_name(r->restart)) != -1)
		pod->restart = policy;
	pod->restarts = r->restarts;
	pod->restart_wait_ms = r->restart_wait_ms > 0 ? r->restart_wait_ms : 0;
	pod->restart_at = r->restart_at;
	pod->env = r->env != NULL ? xstrvdup(r->env) : NULL;
	pod->gid = r->gid >= 0 ? (gid_t)r->gid : 0;
	/* A record from before restarts: the defaults. */
	if (pod->spec.max_restarts == WIRE_NONE)
		pod->spec.max_restarts = RESTART_MAX_DEFAULT;
	if (pod->spec.restart_delay_ms == WIRE_NONE)
		pod->spec.restart_delay_ms = RESTART_DELAY_DEFAULT;
	if (r->result.len > 0) {
		pod->result = xmalloc(r->result.len + 1);
		memcpy(pod->result, r->result.ptr, r->result.len);
		pod->result[r->result.len] = '\0';
		pod->result_len = r->result.len;
	}
	pod->pid = r->pid > 0 ? r->pid : 0;
	pod->runtime_pid = r->runtime_pid > 0 ? r->runtime_pid : 0;
	return (pod);
}

/* "stopped (SIGINT)", "failed (exit 3)", "succeeded": a terminal outcome. */
void
pod_outcome_text(struct pod *pod, char *buf, size_t len)
{
	const char	*state = pod_state_name(pod->state);

	if (pod->signal > 0 && signal_name(pod->signal) != NULL)
		snprintf(buf, len, "%s (%s)", state, signal_name(pod->signal));
	else if (pod->exit_code > 0)
		snprintf(buf, len, "%s (exit %d)", state, pod->exit_code);
	else
		snprintf(buf, len, "%s", state);
}
