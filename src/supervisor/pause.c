/*
 * Pausing and resuming pods, a subtree at a time.
 *
 *   running --pause--> (pause_wanted) --runtime: paused--> paused
 *   paused or pausing --resume, or a stop--> running
 *
 * The runtime carries the pause out: through the pod API when the
 * workload handles pause (it confirms at its next boundary), else, or
 * when no confirmation comes within the cancel grace, by SIGSTOP.  While
 * a pod is paused its --timeout clock is held and its --heartbeat clock
 * stopped; resuming starts them again from where they were (the
 * heartbeat from a full period).
 */
#include <inttypes.h>

#include <event2/event.h>

#include "supervisor.h"

/* Send the runtime a message without fields. */
static void
pause_send(struct pod *pod, enum msg_type type)
{
	struct msg	 msg;

	msg_init(&msg, type);
	if (pod->peer != NULL)
		peer_send(pod->peer, &msg);
}

/* May this pod be paused now (starting or running, not ending, not
 * already)?  A starting one is paused once its workload runs: the
 * runtime reads the pause after the start. */
static bool
pause_possible(struct pod *pod)
{
	return ((pod->state == POD_RUNNING || pod->state == POD_STARTING) &&
	    pod->phase == PHASE_LIVE && !pod->stop_wanted &&
	    !pod->pause_wanted && pod->peer != NULL);
}

/* Ask one pod's runtime to pause it. */
static void
pod_pause(struct pod *pod)
{
	if (!pause_possible(pod))
		return;
	log_debug("pod %" PRIu64 ": pausing", pod->id);
	pod->pause_wanted = true;
	pause_send(pod, MSG_PAUSE);
}

/* Pause a pod and every pod below it. */
void
pod_pause_tree(struct pod *pod)
{
	struct pod	*child;

	pod_pause(pod);
	TAILQ_FOREACH(child, &pod->children, sibling)
		pod_pause_tree(child);
}

/* The runtime reports the pod paused: hold its clocks. */
void
pod_paused(struct pod *pod, bool frozen)
{
	int64_t	 now = mono_ms();

	pod_set_state(pod, POD_PAUSED);
	pod->paused_at = now_ns();
	pod->paused_frozen = frozen;
	if (pod->timeout_timer != NULL &&
	    evtimer_pending(pod->timeout_timer, NULL)) {
		evtimer_del(pod->timeout_timer);
		pod->timeout_left = pod->timeout_at - now;
	}
	if (pod->heartbeat_timer != NULL)
		evtimer_del(pod->heartbeat_timer);
	log_info("pod %" PRIu64 ": paused%s", pod->id, frozen ?
	    " (SIGSTOP)" : "");
	registry_touch(pod);
}

/* Resume one pod, paused or being paused; its clocks go on. */
void
pod_resume(struct pod *pod)
{
	if (!pod->pause_wanted)
		return;
	pod->pause_wanted = false;
	pause_send(pod, MSG_RESUME);
	if (pod->state != POD_PAUSED)
		return;		/* the pause had not taken yet */
	pod_set_state(pod, POD_RUNNING);
	pod->paused_at = WIRE_NONE;
	if (pod->timeout_left > 0) {
		pod->timeout_at = mono_ms() + pod->timeout_left;
		timer_arm(pod->timeout_timer, pod->timeout_left);
		pod->timeout_left = 0;
	}
	api_arm_heartbeat(pod);
	log_info("pod %" PRIu64 ": resumed", pod->id);
	registry_touch(pod);
}

/* Resume a pod and every pod below it. */
void
pod_resume_tree(struct pod *pod)
{
	struct pod	*child;

	pod_resume(pod);
	TAILQ_FOREACH(child, &pod->children, sibling)
		pod_resume_tree(child);
}

/* Is every pod of the subtree paused, or terminal, or never to be paused
 * (ending)?  What pause --wait waits for. */
bool
pod_subtree_paused(struct pod *pod)
{
	struct pod	*child;

	if (!POD_TERMINAL(pod) && pod->pause_wanted &&
	    pod->state != POD_PAUSED && pod->phase == PHASE_LIVE)
		return (false);
	TAILQ_FOREACH(child, &pod->children, sibling) {
		if (!pod_subtree_paused(child))
			return (false);
	}
	return (true);
}
