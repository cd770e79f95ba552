/*
 * A pod's supervision: its state machine and the dispatch of its
 * runtime's channel.
 *
 *   starting --started--> running --stop--> stopping --cancel grace-->
 *   terminating --term grace--> killing
 *
 * Beside the contract state, `phase` says how far the pod's end has come
 * (live, ending: the main process ended and the outcome is decided,
 * exited: the runtime committed the exit entry, faulty: the runtime broke
 * the protocol).  A pod concludes -- turns terminal -- when its runtime
 * says `exited` (once logsync.c has synced an exit entry the runtime left
 * unsynced): what the runtime does after that, closing and unmapping the
 * log and exiting, is teardown, so its channel is closed then and the
 * runtime joins the closing ones, which reap.c reaps (or kills, past a
 * deadline) while nothing waits for them.  A runtime that ends without
 * `exited` (it crashed, was killed, broke the protocol) concludes its pod
 * once it has been reaped and its channel closed, in either order.
 * `stop_wanted` is what was asked, kept apart from what is.
 *
 * Every runtime message is checked against the pod's state and its own
 * values before anything acts on it; a runtime that breaks the protocol
 * loses its channel (bad:), is killed, and its pod ends lost with the
 * cause.  A pid a runtime reports reaches kill(-pid) only once checked.
 */
#include <sys/wait.h>

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "supervisor.h"
#include "proctree.h"

static void	pod_stage_cb(int, short, void *);
static void	pod_runtime_deadline_cb(int, short, void *);

/*
 * Deadlines in a tree: no pod's rung falls later than its parent's, and
 * a little before it (a tenth of the time left, at most a second), so
 * that sub-agents end or are escalated while their parent can still
 * record their outcomes.  The latest mono ms allowed for pod's next rung,
 * or 0 when its parent has no deadline.
 */
int64_t
pod_deadline_cap(struct pod *pod)
{
	int64_t	 left, margin;

	if (pod->parent == NULL || pod->parent->stage_deadline == 0)
		return (0);
	left = pod->parent->stage_deadline - mono_ms();
	margin = left / 10 < 1000 ? left / 10 : 1000;
	return (pod->parent->stage_deadline - (margin > 0 ? margin : 0));
}

/* Arm the stop ladder's next rung at the mono deadline given. */
void
pod_rearm_stage(struct pod *pod, int64_t deadline)
{
	if (pod->stage_timer == NULL)
		pod->stage_timer = evtimer_new(sv.base, pod_stage_cb, pod);
	timer_arm(pod->stage_timer, deadline - mono_ms());
	pod->stage_deadline = deadline;
}

/*
 * Arm the stop ladder's next rung ms after from (mono ms: when the stop
 * began, or when the rung before it was due), or sooner if the parent's
 * own deadline says so.  A rung run late, by a loop busy with many pods'
 * ends, does not push the next one back: the ladder keeps the schedule
 * its stop began with, so that a tree's stop ends within its graces as
 * the contract says.  A rung never comes sooner than half its grace
 * after the one before was run, though, so that a daemon that could not
 * run for a while (stopped, starved) does not follow a late SIGTERM with
 * SIGKILL at once.
 */
static void
pod_arm_stage(struct pod *pod, int64_t from, int64_t ms)
{
	int64_t	 now = mono_ms(), cap = pod_deadline_cap(pod);
	int64_t	 deadline = from + ms;

	if (deadline < now + ms / 2)
		deadline = now + ms / 2;

	pod->stage_own = deadline;
	if (cap != 0 && deadline > cap)
		deadline = cap;
	pod_rearm_stage(pod, deadline);
}

/* A parent's deadline went away (it ended) or moved later: give each
 * child being stopped back as much of its own grace as the new cap
 * allows, and so on down. */
static void
pod_relax_children(struct pod *pod)
{
	struct pod	*child;
	int64_t		 want, cap;

	TAILQ_FOREACH(child, &pod->children, sibling) {
		if (child->stage_deadline == 0 ||
		    child->stage_own <= child->stage_deadline)
			continue;
		want = child->stage_own;
		if ((cap = pod_deadline_cap(child)) != 0 && want > cap)
			want = cap;
		if (want <= child->stage_deadline)
			continue;
		pod_rearm_stage(child, want);
		registry_touch(child);
		pod_relax_children(child);
	}
}

/* The ladder has no next rung (killing, ended, concluded). */
static void
pod_disarm_stage(struct pod *pod)
{
	if (pod->stage_timer != NULL)
		evtimer_del(pod->stage_timer);
	pod->stage_deadline = 0;
}

/* Give the runtime ms to finish; past that it is killed. */
void
pod_arm_runtime_deadline(struct pod *pod, int64_t ms)
{
	if (pod->runtime_timer == NULL)
		pod->runtime_timer = evtimer_new(sv.base,
		    pod_runtime_deadline_cb, pod);
	timer_arm(pod->runtime_timer, ms);
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

	if (pod->pid > 1)
		kill(-pod->pid, sig);
	msg_init(&msg, MSG_SIGNAL);
	msg.u.signal.signal = sig;
	msg.u.signal.tree = true;
	pod_send(pod, &msg);
}

/*
 * The cause chain: why a pod was stopped, from the pod up to the request
 * that started it, e.g. parent-stopped <- pod 17 "planner" <- user alice:
 * "budget exceeded".  The origin is who asked, with the reason given
 * when it says more than the reason's own name.
 */
static char **
cause_origin(const char *by, const char *reason)
{
	char	**v = xcalloc(2, sizeof *v);

	if (strcmp(by, reason) == 0 || strcmp(reason, "user") == 0)
		v[0] = xstrdup(by);
	else
		xasprintf(&v[0], "%s: \"%s\"", by, reason);
	return (v);
}

/* A child's chain: what happened to it, the pod it came through, and
 * that pod's own chain. */
char **
cause_through(const char *what, struct pod *via)
{
	size_t	 n = via->cause != NULL ? strv_len(via->cause) : 0, i;
	char	**v = xcalloc(n + 3, sizeof *v);

	v[0] = xstrdup(what);
	if (via->name != NULL)
		xasprintf(&v[1], "pod %" PRIu64 " \"%s\"", via->id, via->name);
	else
		xasprintf(&v[1], "pod %" PRIu64, via->id);
	for (i = 0; i < n; i++)
		v[i + 2] = xstrdup(via->cause[i]);
	return (v);
}

/* Ask one pod to stop: the cancel stage. No-op if it is already ending.
 * by says who asked, for the pod API ("user alice", "parent 4"); cause
 * is its chain (NULL: by and reason alone), copied. */
void
pod_stop(struct pod *pod, const char *reason, const char *by, char **cause,
    int64_t cancel_ms, int64_t term_ms)
{
	struct msg	msg;

	if (POD_TERMINAL(pod) || pod->stop_wanted)
		return;
	pod_resume(pod);	/* a paused pod must hear its cancel */
	pod->stop_wanted = true;
	if (pod->cause != NULL)
		strv_free(pod->cause);
	pod->cause = cause != NULL ? xstrvdup(cause) :
	    cause_origin(by, reason);
	free(pod->reason);
	pod->reason = xstrdup(reason);
	pod->stop_requested_at = now_ns();
	if (cancel_ms != WIRE_NONE)
		pod->spec.cancel_grace_ms = cancel_ms;
	if (term_ms != WIRE_NONE)
		pod->spec.term_grace_ms = term_ms;
	if (pod->timeout_timer != NULL)
		evtimer_del(pod->timeout_timer);
	if (pod->heartbeat_timer != NULL)
		evtimer_del(pod->heartbeat_timer);
	registry_touch(pod);
	if (pod->state == POD_RESTARTING) {
		restart_cancel(pod);	/* no run left to stop: ends now */
		return;
	}
	if (pod->phase != PHASE_LIVE)
		return;		/* the outcome is decided; cleanup is running */
	log_debug("pod %" PRIu64 ": stopping (%s, by %s)", pod->id, reason,
	    by);
	pod_set_state(pod, POD_STOPPING);
	pod_arm_stage(pod, mono_ms(), pod->spec.cancel_grace_ms);
	msg_init(&msg, MSG_CANCEL);
	msg.u.cancel.reason = pod->reason;
	msg.u.cancel.requested_by = (char *)by;
	msg.u.cancel.deadline = api_deadline_ns(pod->stage_deadline);
	pod_send(pod, &msg);
}

/* Stop a pod and, at once, every pod below it (parents first, so that
 * each child's deadlines fall within its parent's). */
void
pod_stop_tree(struct pod *pod, const char *reason, const char *by,
    char **cause, int64_t cancel_ms, int64_t term_ms)
{
	struct pod	*child;
	char		 parent[48], **chain;

	pod_stop(pod, reason, by, cause, cancel_ms, term_ms);
	if (TAILQ_EMPTY(&pod->children))
		return;
	snprintf(parent, sizeof parent, "parent %" PRIu64, pod->id);
	chain = cause_through("parent-stopped", pod);
	TAILQ_FOREACH(child, &pod->children, sibling)
		pod_stop_tree(child, "parent-stopped", parent, chain,
		    cancel_ms, term_ms);
	strv_free(chain);
}

/* Shutdown: stop every live pod with the given reason, all at once. */
void
stop_all(const char *reason)
{
	size_t		 i;
	struct pod	*pod;

	for (i = 0; (pod = podtab_at(i)) != NULL; i++)
		pod_stop(pod, reason, reason, NULL, WIRE_NONE, WIRE_NONE);
}

/* The next stop stage, due at the mono ms given: SIGTERM after the
 * cancel grace, SIGKILL after the term grace; after SIGKILL the runtime
 * has a deadline of its own. */
static void
pod_escalate(struct pod *pod, int64_t due)
{
	switch (pod->state) {
	case POD_STOPPING:
		log_debug("pod %" PRIu64 ": SIGTERM", pod->id);
		pod_set_state(pod, POD_TERMINATING);
		pod_signal_group(pod, SIGTERM);
		pod_arm_stage(pod, due, pod->spec.term_grace_ms);
		break;
	case POD_TERMINATING:
		log_debug("pod %" PRIu64 ": SIGKILL", pod->id);
		pod_set_state(pod, POD_KILLING);
		pod->stage_deadline = 0;
		pod_signal_group(pod, SIGKILL);
		pod_arm_runtime_deadline(pod, RUNTIME_KILL_DEADLINE_MS);
		break;
	default:
		break;
	}
	registry_touch(pod);
}

/* The stop ladder's timer fired. */
static void
pod_stage_cb(int fd, short events, void *arg)
{
	struct pod	*pod = arg;
	int64_t		 due = pod->stage_deadline;

	pod->stage_deadline = 0;
	if (pod->phase == PHASE_LIVE)
		pod_escalate(pod, due);
}

/* The runtime did not finish in time: kill it and its workload. */
static void
pod_runtime_deadline_cb(int fd, short events, void *arg)
{
	struct pod	*pod = arg;

	log_warnx("pod %" PRIu64 ": runtime %d does not answer; killing it",
	    pod->id, (int)pod->runtime_pid);
	if (pod->pid > 1)
		kill(-pod->pid, SIGKILL);
	if (pod->runtime_pid > 0 && !pod->runtime_reaped)
		kill(pod->runtime_pid, SIGKILL);
}

/* --timeout expired. */
static void
pod_timeout_cb(int fd, short events, void *arg)
{
	struct pod	*pod = arg;

	log_info("pod %" PRIu64 ": timed out", pod->id);
	pod_stop_tree(pod, "timeout", "timeout", NULL, WIRE_NONE, WIRE_NONE);
}

/* Start the pod's --timeout clock, if it has one: what is left of it
 * since the pod was created (it spans every run of a restarting pod). */
void
pod_arm_timeout(struct pod *pod)
{
	int64_t	 left;

	if (pod->spec.timeout_ms <= 0)
		return;
	if (pod->timeout_timer == NULL)
		pod->timeout_timer = evtimer_new(sv.base, pod_timeout_cb, pod);
	left = (pod->created_at - now_ns()) / 1000000 + pod->spec.timeout_ms;
	if (left < 0)
		left = 0;
	pod->timeout_at = mono_ms() + left;
	pod->timeout_left = 0;
	timer_arm(pod->timeout_timer, left);
}

/*
 * The runtime channel's messages, each checked before it acts.
 */

/* Is pid plausibly the workload this runtime started?  It must be a
 * real process id other than init, podvisord and the runtime itself, and
 * while it lives its parent is the runtime, which forked it.  (One read
 * of /proc: the workload may end at any moment, and a gone one is
 * accepted, since only its runtime could have reaped it.) */
static bool
pod_pid_valid(struct pod *pod, uint64_t pid)
{
	pid_t	parent;

	if (pid <= 1 || pid > INT_MAX || (pid_t)pid == getpid() ||
	    (pid_t)pid == pod->runtime_pid)
		return (false);
	parent = proc_parent((pid_t)pid);
	return (parent == -1 || parent == pod->runtime_pid);
}

/* MSG_STARTED: the workload is running. */
static void
pod_started(struct pod *pod, uint64_t pid)
{
	pod->pid = (pid_t)pid;
	pod->started_at = now_ns();
	if (pod->state == POD_STARTING)
		pod_set_state(pod, POD_RUNNING);
	api_arm_heartbeat(pod);
	registry_touch(pod);
}

/* The main process ended: decide the outcome now, from the stop stage the
 * pod was in; the pod turns terminal once the runtime has cleaned up. */
static void
pod_main_ended(struct pod *pod, struct msg_ended *m)
{
	pod->phase = PHASE_ENDING;
	pod->exit_code = m->exit_code >= 0 ? (int)m->exit_code : -1;
	pod->signal = m->signal > 0 ? (int)m->signal : -1;
	if (m->http_status != WIRE_NONE)
		pod->http_status = m->http_status;
	if (m->error != NULL) {
		free(pod->error);
		pod->error = xstrdup(m->error);
	}
	/* An HTTP pod's transport error ends it as a non-zero exit does. */
	if (m->error != NULL && m->exit_code == 127)
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
	if (pod->heartbeat_timer != NULL)
		evtimer_del(pod->heartbeat_timer);
	pod_disarm_stage(pod);
	pod_arm_runtime_deadline(pod, RUNTIME_EXIT_DEADLINE_MS);
	registry_touch(pod);
}

/*
 * MSG_EXITED: the runtime has committed the exit entry and has nothing
 * more to say.  Closing its log, unmapping it and exiting are teardown,
 * which nothing should wait for: its channel is closed now (it closes its
 * own end anyway), the runtime joins the closing ones, which reap.c reaps
 * by pid alone -- so that a pod removed meanwhile is never touched -- and
 * the pod concludes, at once or after the sync of its exit entry.
 */
static void
pod_runtime_exited(struct pod *pod, const struct msg_exited *m)
{
	pod->leftovers = m->leftovers;
	pod->log_unsynced = m->unsynced;
	pod->phase = PHASE_EXITED;
	sends_fail(pod);
	if (pod->peer != NULL) {
		peer_free(pod->peer);	/* from its callback: freed after it */
		pod->peer = NULL;
	}
	if (pod->runtime_pid > 0)
		closing_add(pod->runtime_pid, pod->id,
		    mono_ms() + RUNTIME_EXIT_DEADLINE_MS, false);
	pod_conclude(pod);
}

/* Does an ended message describe one way of ending? An exit code of
 * 0-255, or a signal, or 127 with the reason it never started; an HTTP
 * pod's, a status and an exit code, or a transport error and one. */
static bool
pod_ended_valid(struct pod *pod, const struct msg_ended *m)
{
	if (m->http_status != WIRE_NONE && (pod->http_url == NULL ||
	    m->http_status < 100 || m->http_status > 999))
		return (false);
	if (m->error != NULL && pod->http_url != NULL)
		return (m->signal == WIRE_NONE && m->exit_code >= 0 &&
		    m->exit_code <= 255);
	if (m->error != NULL)
		return (m->exit_code == 127 && m->signal == WIRE_NONE);
	if (m->signal != WIRE_NONE)
		return (m->exit_code == WIRE_NONE && m->signal >= 1 &&
		    m->signal < NSIG);
	return (m->exit_code >= 0 && m->exit_code <= 255);
}

/* Messages from a pod runtime; NULL when its channel is gone. */
void
sv_dispatch_pod(struct peer *peer, struct msg *msg, void *arg)
{
	struct pod	*pod = arg;
	const char	*why;

	if (msg == NULL) {
		if (peer_fault(peer) != NULL)
			pod_runtime_fault(pod, peer_fault(peer));
		pod->peer = NULL;
		pod_runtime_lost(pod);
		return;
	}
	switch (msg->type) {
	case MSG_STARTED:
		why = "a second 'started'";
		if (pod->pid != 0 || pod->started_at != WIRE_NONE ||
		    pod->phase != PHASE_LIVE)
			goto bad;
		why = "'started' with an impossible pid";
		/* An HTTP pod's transfer runs in the runtime: no pid. */
		if (pod->http_url != NULL ? msg->u.started.pid != 0 :
		    !pod_pid_valid(pod, msg->u.started.pid))
			goto bad;
		pod_started(pod, msg->u.started.pid);
		break;
	case MSG_LOGGED:
		why = "'logged' going backwards, or too many queued";
		if (msg->u.logged.seq < pod->log_seq ||
		    msg->u.logged.queued > WIRE_QUEUE_MAX)
			goto bad;
		pod->log_seq = msg->u.logged.seq;
		if (pod->queued != msg->u.logged.queued) {
			pod->queued = msg->u.logged.queued;
			registry_touch(pod);
		}
		logs_advanced(pod);
		break;
	case MSG_PAUSED:
		/* A pause the runtime reports after a resume is stale. */
		if (pod->pause_wanted && pod->state == POD_RUNNING &&
		    pod->phase == PHASE_LIVE)
			pod_paused(pod, msg->u.paused.frozen);
		break;
	case MSG_NOTIFIED:
		why = "'notified' with no message sent";
		if (TAILQ_EMPTY(&pod->sends))
			goto bad;
		sends_answer(pod, msg->u.notified.seq);
		break;
	case MSG_ENDED:
		why = "a second 'ended'";
		if (pod->phase != PHASE_LIVE)
			goto bad;
		why = "'ended' with neither one exit code nor one signal";
		if (!pod_ended_valid(pod, &msg->u.ended))
			goto bad;
		pod_main_ended(pod, &msg->u.ended);
		break;
	case MSG_EXITED:
		why = "'exited' before 'ended', or twice";
		if (pod->phase != PHASE_ENDING)
			goto bad;
		pod_runtime_exited(pod, &msg->u.exited);
		break;
	case MSG_OK:
		why = "an acknowledgement of nothing";
		if (!journal_acked(pod))
			goto bad;
		break;
	case MSG_API:
		why = "'api' twice, or after the end";
		if (pod->api || pod->phase != PHASE_LIVE)
			goto bad;
		api_opened(pod, msg->u.api.handles);
		break;
	case MSG_ACK:
		api_acked(pod);
		break;
	case MSG_EXTEND:
		api_extend(pod, &msg->u.extend);
		break;
	case MSG_REPORT:
		why = "a progress outside 0..1";
		if (!isnan(msg->u.report.progress) &&
		    !(msg->u.report.progress >= 0 &&
		    msg->u.report.progress <= 1))
			goto bad;
		api_report(pod, &msg->u.report);
		break;
	case MSG_HEARTBEAT:
		api_heartbeat(pod);
		break;
	case MSG_RESULT:
		api_result(pod, &msg->u.result);
		break;
	case MSG_RESPONSE:
		why = "'response' of a command pod, or a bad status";
		if (pod->http_url == NULL || pod->phase != PHASE_LIVE ||
		    msg->u.response.status < 100 ||
		    msg->u.response.status > 999)
			goto bad;
		pod->http_status = (int64_t)msg->u.response.status;
		registry_touch(pod);
		break;
	case MSG_ERROR:
		/* A request we sent failed (a notify it could not log): the
		 * runtime is fine, so the channel stays. */
		log_warnx("pod %" PRIu64 ": runtime: %s", pod->id,
		    msg->u.error.message);
		sends_fail_one(pod, msg->u.error.message);
		break;
	default:
		why = "a message of the wrong channel";
		goto bad;
	}
	return;
bad:
	log_warnx("pod %" PRIu64 ": runtime %d sent %s ('%s'): dropping it",
	    pod->id, (int)pod->runtime_pid, why, msg_type_name(msg->type));
	pod_runtime_fault(pod, why);
	peer_error(peer, ERR_PROTOCOL, "unexpected %s", why);
}

/* The runtime broke the protocol (or its channel carried garbage): it
 * is killed, and the pod ends lost with the cause. */
void
pod_runtime_fault(struct pod *pod, const char *why)
{
	if (pod->phase == PHASE_FAULTY || POD_TERMINAL(pod))
		return;
	pod->phase = PHASE_FAULTY;
	free(pod->error);
	xasprintf(&pod->error, "the pod runtime broke the protocol: %s", why);
	if (pod->runtime_pid > 0 && !pod->runtime_reaped)
		kill(pod->runtime_pid, SIGKILL);
}

/* The channel of a runtime that did not say `exited` is gone (or, from a
 * program before this one, of one that did: see reexec.c). Conclude once
 * the runtime is reaped too (both orders happen); a runtime that closed
 * without reporting its end is killed so that it can be reaped. */
void
pod_runtime_lost(struct pod *pod)
{
	sends_fail(pod);
	if (pod->runtime_reaped) {
		pod_conclude(pod);
		return;
	}
	if (pod->phase != PHASE_EXITED && pod->runtime_pid > 0)
		kill(pod->runtime_pid, SIGKILL);
}

/* SIGCHLD told us the runtime exited before it said `exited` (or the
 * closing ones would have had it, reap.c). */
void
pod_runtime_reaped(struct pod *pod, int status)
{
	pod->runtime_reaped = true;
	pod->runtime_status = status;
	if (pod->peer == NULL)
		pod_conclude(pod);
}

/* Describe how a runtime that never reported its end went, and kill
 * what it left. */
static void
pod_runtime_died(struct pod *pod)
{
	int	st = pod->runtime_status;

	if (pod->phase != PHASE_FAULTY) {
		free(pod->error);
		if (WIFSIGNALED(st))
			xasprintf(&pod->error, "pod runtime died of %s",
			    signal_name(WTERMSIG(st)) ?
			    signal_name(WTERMSIG(st)) : "a signal");
		else
			xasprintf(&pod->error, "pod runtime exited with status "
			    "%d without reporting the workload's end",
			    WEXITSTATUS(st));
	}
	if (pod->pid > 1)
		kill(-pod->pid, SIGKILL);
	strays_sweep_soon();
}

/* The terminal state when the runtime never reported the main exit. */
static enum pod_state
pod_unreported_outcome(struct pod *pod)
{
	if (pod->phase == PHASE_FAULTY) {
		pod_runtime_died(pod);
		return (POD_LOST);
	}
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
	char		 parent[48], **chain;

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
		} else {
			snprintf(parent, sizeof parent, "parent %" PRIu64,
			    pod->id);
			chain = cause_through("parent-exited", pod);
			pod_stop_tree(child, "parent-exited", parent, chain,
			    WIRE_NONE, WIRE_NONE);
			strv_free(chain);
		}
	}
}

/* The runtime said `exited`, or it is gone and reaped: the pod is
 * terminal, once the exit entry the runtime left unsynced is on disk
 * (logsync.c, which calls this again then). */
void
pod_conclude(struct pod *pod)
{
	pod_disarm_stage(pod);
	if (pod->runtime_timer != NULL)
		evtimer_del(pod->runtime_timer);
	if (pod->timeout_timer != NULL)
		evtimer_del(pod->timeout_timer);
	if (pod->heartbeat_timer != NULL)
		evtimer_del(pod->heartbeat_timer);
	if (pod->log_unsynced) {
		pod->log_unsynced = false;
		logsync_add(pod);
		return;
	}
	if (pod->phase == PHASE_ENDING || pod->phase == PHASE_EXITED)
		pod_set_state(pod, pod->outcome);
	else
		pod_set_state(pod, pod_unreported_outcome(pod));
	if (pod->state == POD_LOST && pod->reason == NULL)
		pod->reason = xstrdup("supervisor-lost");
	pod_finish(pod);
}

/* A run ended and pod->state holds its terminal outcome: tell whom it
 * concerns, and release its children; the pod stays so, or, by its
 * restart policy, is restarting. */
void
pod_finish(struct pod *pod)
{
	char	outcome[64];
	bool	again;

	pod->ended_at = now_ns();
	pod_outcome_text(pod, outcome, sizeof outcome);
	log_info("pod %" PRIu64 ": %s", pod->id, outcome);
	if (pod->parent != NULL)
		journal(pod->parent, LOG_CHILD, "pod %" PRIu64 "%s%s ended: %s",
		    pod->id, pod->name ? " " : "", pod->name ? pod->name : "",
		    outcome);
	again = restart_wanted(pod);
	journal_flush(pod);
	if (!again) {
		metrics_ended(pod);
		api_child_event(pod, "ended");
	}
	pod_relax_children(pod);
	pod_release_children(pod);	/* on each end of a run */
	if (again)
		restart_schedule(pod);
	logs_advanced(pod);
	registry_touch(pod);
	if (!again)
		retention_add(pod);
}
