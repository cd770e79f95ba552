/*
 * Supervision as named transitions.  A stop is: pod_stop() sends the
 * cancel and arms the cancel grace; pod_escalate() moves stopping ->
 * terminating (SIGTERM to the workload's process group) -> killing
 * (SIGKILL); the runtime's reports move the pod to its terminal state in
 * pod_conclude().  Every wait is an evtimer on the pod.
 */
#include <sys/wait.h>

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "supervisor.h"
#include "proctree.h"

/* After SIGKILL, or after the main process ended, how long the runtime
 * gets to report and exit before it is killed itself. */
#define RUNTIME_KILL_DEADLINE_MS	2000
#define RUNTIME_EXIT_DEADLINE_MS	5000

static TAILQ_HEAD(, waiter) waiters = TAILQ_HEAD_INITIALIZER(waiters);

static void	pod_stage_cb(int, short, void *);
static void	pod_conclude(struct pod *);

/* Arm the pod's single stage timer for ms from now. */
static void
pod_arm_stage(struct pod *pod, int64_t ms)
{
	if (pod->stage_timer == NULL)
		pod->stage_timer = evtimer_new(sv.base, pod_stage_cb, pod);
	timer_arm(pod->stage_timer, ms);
	pod->stage_deadline = mono_ms() + ms;
}

/* Cancel the stage timer. */
static void
pod_disarm_stage(struct pod *pod)
{
	if (pod->stage_timer != NULL)
		evtimer_del(pod->stage_timer);
	pod->stage_deadline = 0;
}

/* Send a message to the pod's runtime, if the channel is still there. */
static void
pod_send(struct pod *pod, struct msg *msg)
{
	if (pod->peer != NULL)
		peer_send(pod->peer, msg);
}

/* Signal the workload's process group ourselves (it works even when the
 * runtime is stuck), and ask the runtime to signal escaped descendants. */
static void
pod_signal_group(struct pod *pod, int sig)
{
	struct msg	msg;

	if (pod->pid > 0)
		kill(-pod->pid, sig);
	msg_init(&msg, MSG_SIGNAL);
	msg.u.signal.signal = sig;
	msg.u.signal.tree = true;
	pod_send(pod, &msg);
}

/* Ask one pod to stop: the cancel stage. No-op if it is already ending. */
void
pod_stop(struct pod *pod, const char *reason, int64_t cancel_ms,
    int64_t term_ms)
{
	struct msg	msg;

	if (POD_TERMINAL(pod) || pod->stop_wanted)
		return;
	pod->stop_wanted = true;
	free(pod->reason);
	pod->reason = xstrdup(reason);
	pod->stop_requested_at = now_ns();
	if (cancel_ms != WIRE_NONE)
		pod->spec.cancel_grace_ms = cancel_ms;
	if (term_ms != WIRE_NONE)
		pod->spec.term_grace_ms = term_ms;
	if (pod->timeout_timer != NULL)
		evtimer_del(pod->timeout_timer);
	registry_touch(pod);
	if (pod->main_ended)
		return;		/* the outcome is decided; cleanup is running */
	log_debug("pod %" PRIu64 ": stopping (%s)", pod->id, reason);
	pod->state = POD_STOPPING;
	msg_init(&msg, MSG_CANCEL);
	msg.u.cancel.reason = pod->reason;
	pod_send(pod, &msg);
	pod_arm_stage(pod, pod->spec.cancel_grace_ms);
}

/* Stop a pod and, at once, every pod below it. */
void
pod_stop_tree(struct pod *pod, const char *reason, int64_t cancel_ms,
    int64_t term_ms)
{
	struct pod	*child;

	pod_stop(pod, reason, cancel_ms, term_ms);
	TAILQ_FOREACH(child, &pod->children, sibling)
		pod_stop_tree(child, "parent-stopped", cancel_ms, term_ms);
}

/* The next stop stage: SIGTERM after the cancel grace, SIGKILL after the
 * term grace. */
static void
pod_escalate(struct pod *pod)
{
	switch (pod->state) {
	case POD_STOPPING:
		log_debug("pod %" PRIu64 ": SIGTERM", pod->id);
		pod->state = POD_TERMINATING;
		pod_signal_group(pod, SIGTERM);
		pod_arm_stage(pod, pod->spec.term_grace_ms);
		break;
	case POD_TERMINATING:
		log_debug("pod %" PRIu64 ": SIGKILL", pod->id);
		pod->state = POD_KILLING;
		pod_signal_group(pod, SIGKILL);
		pod_arm_stage(pod, RUNTIME_KILL_DEADLINE_MS);
		break;
	default:
		break;
	}
	registry_touch(pod);
}

/* The runtime did not finish in time: kill it and its workload. */
static void
pod_runtime_unresponsive(struct pod *pod)
{
	log_warnx("pod %" PRIu64 ": runtime %d does not answer; killing it",
	    pod->id, (int)pod->runtime_pid);
	if (pod->pid > 0)
		kill(-pod->pid, SIGKILL);
	if (pod->runtime_pid > 0 && !pod->runtime_reaped)
		kill(pod->runtime_pid, SIGKILL);
	pod->stage_deadline = 0;
}

/* The stage timer fired. */
static void
pod_stage_cb(int fd, short events, void *arg)
{
	struct pod	*pod = arg;

	pod->stage_deadline = 0;
	if (pod->main_ended || pod->state == POD_KILLING)
		pod_runtime_unresponsive(pod);
	else
		pod_escalate(pod);
}

/* --timeout expired. */
static void
pod_timeout_cb(int fd, short events, void *arg)
{
	struct pod	*pod = arg;

	log_info("pod %" PRIu64 ": timed out", pod->id);
	pod_stop_tree(pod, "timeout", WIRE_NONE, WIRE_NONE);
}

/* Start the pod's --timeout clock, if it has one. */
void
pod_arm_timeout(struct pod *pod)
{
	if (pod->spec.timeout_ms <= 0)
		return;
	pod->timeout_timer = evtimer_new(sv.base, pod_timeout_cb, pod);
	timer_arm(pod->timeout_timer, pod->spec.timeout_ms);
}

/* The main process ended: decide the outcome now, from the stop stage the
 * pod was in; the pod turns terminal once the runtime has cleaned up. */
static void
pod_main_ended(struct pod *pod, struct msg_ended *m)
{
	pod->main_ended = true;
	pod->exit_code = m->exit_code >= 0 ? (int)m->exit_code : -1;
	pod->signal = m->signal > 0 ? (int)m->signal : -1;
	if (m->error != NULL) {
		free(pod->error);
		pod->error = xstrdup(m->error);
	}
	if (m->error != NULL)
		pod->outcome = POD_FAILED;
	else if (pod->state == POD_STOPPING)
		pod->outcome = POD_STOPPED;
	else if (pod->state == POD_TERMINATING)
		pod->outcome = POD_TERMINATED;
	else if (pod->state == POD_KILLING)
		pod->outcome = POD_KILLED;
	else if (pod->exit_code == 0)
		pod->outcome = POD_SUCCEEDED;
	else
		pod->outcome = POD_FAILED;
	if (pod->timeout_timer != NULL)
		evtimer_del(pod->timeout_timer);
	pod_arm_stage(pod, RUNTIME_EXIT_DEADLINE_MS);
	pod->stage_deadline = 0;
	registry_touch(pod);
}

/* A message from the pod's runtime. */
void
pod_runtime_msg(struct pod *pod, struct msg *msg)
{
	switch (msg->type) {
	case MSG_STARTED:
		pod->pid = msg->u.started.pid;
		pod->started_at = now_ns();
		if (pod->state == POD_STARTING)
			pod->state = POD_RUNNING;
		registry_touch(pod);
		break;
	case MSG_LOGGED:
		pod->log_seq = msg->u.logged.seq;
		logs_advanced(pod);
		break;
	case MSG_NOTIFIED:
		sends_answer(pod, msg->u.notified.seq);
		break;
	case MSG_ENDED:
		if (!pod->main_ended)
			pod_main_ended(pod, &msg->u.ended);
		break;
	case MSG_EXITED:
		pod->leftovers = msg->u.exited.leftovers;
		pod->exited = true;
		break;
	case MSG_OK:
		journal_acked(pod);
		break;
	case MSG_ERROR:
		/* A request we sent failed (a notify it could not log): the
		 * runtime is fine, so the channel stays. */
		log_warnx("pod %" PRIu64 ": runtime: %s", pod->id,
		    msg->u.error.message);
		sends_fail_one(pod, msg->u.error.message);
		break;
	default:
		peer_error(pod->peer, ERR_PROTOCOL, "unexpected message '%s' "
		    "from a pod runtime", msg_type_name(msg->type));
		break;
	}
}

/* The runtime's channel is gone. Conclude once the runtime is reaped too
 * (both orders happen); a runtime that closed without reporting its end
 * is killed so that it can be reaped. */
void
pod_runtime_lost(struct pod *pod)
{
	sends_fail(pod);
	if (pod->runtime_reaped) {
		pod_conclude(pod);
		return;
	}
	if (!pod->exited && pod->runtime_pid > 0)
		kill(pod->runtime_pid, SIGKILL);
}

/* SIGCHLD told us the runtime exited. */
void
pod_runtime_reaped(struct pod *pod, int status)
{
	pod->runtime_reaped = true;
	pod->runtime_status = status;
	if (pod->peer == NULL)
		pod_conclude(pod);
}

/* Is pid inside a live pod, i.e. below (or equal to) a live runtime? */
static bool
under_live_runtime(pid_t pid)
{
	pid_t	self = getpid();

	while (pid > 1 && pid != self) {
		if (podtab_find_runtime(pid) != NULL)
			return (true);
		pid = proc_parent(pid);
	}
	return (false);
}

/* Processes below us that no live runtime watches are what a dead
 * runtime left (they reparent to us: we are a subreaper). Kill them all,
 * not just our direct children: a grandchild may still be on its way. */
void
sweep_strays(void)
{
	pid_t	*pids;
	size_t	 n, i;

	if (proc_descendants(getpid(), &pids, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (!under_live_runtime(pids[i])) {
			log_info("killing stray process %d", (int)pids[i]);
			kill(pids[i], SIGKILL);
		}
	}
	free(pids);
}

/* Describe how a runtime that never reported its end went. */
static void
pod_runtime_died(struct pod *pod)
{
	int	st = pod->runtime_status;

	free(pod->error);
	if (WIFSIGNALED(st))
		xasprintf(&pod->error, "pod runtime died of %s",
		    signal_name(WTERMSIG(st)) ? signal_name(WTERMSIG(st)) :
		    "a signal");
	else
		xasprintf(&pod->error, "pod runtime exited with status %d "
		    "without reporting the workload's end", WEXITSTATUS(st));
	if (pod->pid > 0)
		kill(-pod->pid, SIGKILL);
	sweep_strays();
}

/* The terminal state when the runtime never reported the main exit. */
static enum pod_state
pod_unreported_outcome(struct pod *pod)
{
	if (pod->state == POD_KILLING)
		return (POD_KILLED);
	pod_runtime_died(pod);
	if (pod->state == POD_TERMINATING)
		return (POD_TERMINATED);
	if (pod->state == POD_STOPPING)
		return (POD_STOPPED);
	return (POD_LOST);
}

/* What happens to live children when their parent ends on its own. */
static void
pod_release_children(struct pod *pod)
{
	struct pod	*child, *next;

	TAILQ_FOREACH_SAFE(child, &pod->children, sibling, next) {
		if (POD_TERMINAL(child) && pod_subtree_terminal(child))
			continue;
		if (child->orphan_on_parent_exit && !child->stop_wanted) {
			log_info("pod %" PRIu64 ": orphaned, now top level",
			    child->id);
			journal(pod, LOG_CHILD, "pod %" PRIu64 " orphaned: now "
			    "top level", child->id);
			journal(child, LOG_PARENT, "parent pod %" PRIu64 " ended "
			    "(%s): orphaned, now top level", pod->id,
			    pod_state_name(pod->state));
			pod_set_parent(child, NULL);
			registry_touch(child);
		} else
			pod_stop_tree(child, "parent-exited", WIRE_NONE,
			    WIRE_NONE);
	}
}

/* The runtime is gone and reaped: the pod is terminal. */
static void
pod_conclude(struct pod *pod)
{
	char	outcome[64];

	pod_disarm_stage(pod);
	if (pod->timeout_timer != NULL)
		evtimer_del(pod->timeout_timer);
	if (pod->main_ended)
		pod->state = pod->outcome;
	else
		pod->state = pod_unreported_outcome(pod);
	if (pod->state == POD_LOST && pod->reason == NULL)
		pod->reason = xstrdup("supervisor-lost");
	pod->ended_at = now_ns();
	pod_outcome_text(pod, outcome, sizeof outcome);
	log_info("pod %" PRIu64 ": %s", pod->id, outcome);
	if (pod->parent != NULL)
		journal(pod->parent, LOG_CHILD, "pod %" PRIu64 "%s%s ended: %s",
		    pod->id, pod->name ? " " : "", pod->name ? pod->name : "",
		    outcome);
	journal_flush(pod);
	pod_release_children(pod);
	logs_advanced(pod);
	registry_touch(pod);
	retention_add(pod);
}

/* Shutdown: stop every live pod with the given reason, all at once. */
void
stop_all(const char *reason)
{
	size_t		 i;
	struct pod	*pod;

	for (i = 0; (pod = podtab_at(i)) != NULL; i++)
		pod_stop(pod, reason, WIRE_NONE, WIRE_NONE);
}

/* Send the records of a pod and, with tree, its subtree (pre-order). */
static void
waiter_emit(struct client *c, struct pod *pod, bool tree)
{
	struct msg	 msg;
	struct pod	*child;

	pod_to_msg(pod, &msg, false);
	peer_send(c->peer, &msg);
	if (!tree)
		return;
	TAILQ_FOREACH(child, &pod->children, sibling)
		waiter_emit(c, child, tree);
}

/* Is everything this waiter waits for terminal? */
static bool
waiter_ready(struct waiter *w)
{
	struct pod	*pod;
	size_t		 i;

	for (i = 0; i < w->nids; i++) {
		if ((pod = podtab_find(w->ids[i])) == NULL)
			continue;
		if (w->tree ? !pod_subtree_terminal(pod) : !POD_TERMINAL(pod))
			return (false);
	}
	return (true);
}

/* Reply to the waiter's client and free it. */
static void
waiter_complete(struct waiter *w)
{
	struct client	*c = w->client;
	struct pod	*pod;
	struct msg	 msg;
	size_t		 i;

	for (i = 0; i < w->nids; i++) {
		if ((pod = podtab_find(w->ids[i])) != NULL)
			waiter_emit(c, pod, w->tree);
	}
	msg_init(&msg, MSG_END);
	msg.u.end.missing = w->missing;
	peer_send(c->peer, &msg);
	waiter_cancel(w);
}

/* Make a client wait until the pods (with tree, their subtrees) are
 * terminal; it then gets their records and an end with missing. */
void
waiter_add(struct client *c, uint64_t *ids, size_t nids, char **missing,
    bool tree)
{
	struct waiter	*w;

	w = xcalloc(1, sizeof *w);
	w->client = c;
	w->ids = ids;
	w->nids = nids;
	w->missing = missing;
	w->tree = tree;
	c->waiter = w;
	c->busy = true;
	TAILQ_INSERT_TAIL(&waiters, w, entry);
	registry_flush_now();
	if (waiter_ready(w))
		waiter_complete(w);
}

/* After each registry flush: answer every waiter whose pods are done. */
void
waiters_check(void)
{
	struct waiter	*w, *next;

	TAILQ_FOREACH_SAFE(w, &waiters, entry, next) {
		if (waiter_ready(w))
			waiter_complete(w);
	}
}

/* Must the pod stay for a pending waiter, which names it or (with tree)
 * a pod above it? Retention asks, only of the pods it would remove. */
bool
waiters_hold(struct pod *pod)
{
	struct waiter	*w;
	struct pod	*root;
	size_t		 i;

	TAILQ_FOREACH(w, &waiters, entry) {
		for (i = 0; i < w->nids; i++) {
			if (w->ids[i] == pod->id)
				return (true);
			if (w->tree && (root = podtab_find(w->ids[i])) != NULL &&
			    pod_in_subtree(pod, root))
				return (true);
		}
	}
	return (false);
}

/* Forget a waiter (answered, or its client left). The pods it held may
 * now be due for retention: the next flush checks. */
void
waiter_cancel(struct waiter *w)
{
	registry_kick();
	TAILQ_REMOVE(&waiters, w, entry);
	w->client->waiter = NULL;
	w->client->busy = false;
	free(w->ids);
	strv_free(w->missing);
	free(w);
}
