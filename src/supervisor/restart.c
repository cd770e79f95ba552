/*
 * Restart policies: a pod whose run ended on its own may run again.
 *
 *   <run ends> --policy says so--> restarting --restart_at--> starting
 *
 * Between runs the pod is `restarting`, with no runtime: the wait is an
 * evtimer, and its absolute time (restart_at, wall-clock ns) is in the
 * registry record with the policy, the count and the last wait, so that
 * a podvisord that starts again (after a crash) resumes the wait.  The
 * wait doubles after each run shorter than RESTART_SHORT_RUN, up to
 * RESTART_DELAY_CAP, and starts over after a longer one.
 *
 * A stop always wins: pod_stop() of a restarting pod ends it at once
 * (restart_cancel), and a pod that was asked to stop, whose parent ended,
 * or that ends during the daemon's shutdown is never restarted.  Each new
 * run's `restart` entry is written by podvisord itself (no runtime runs
 * then) before the new runtime opens the log; both wait, past restart_at
 * if need be, until the last run's runtime is gone: it may still be
 * closing (reap.c), or, after a crash, finishing a lost run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "supervisor.h"

static const char *const policy_names[] = {
	[RESTART_NO] = "no",
	[RESTART_ON_FAILURE] = "on-failure",
	[RESTART_ALWAYS] = "always",
};

static uint64_t	restarts_total;	/* runs started again since start-up */

static void	restart_cb(int, short, void *);

/* The name of a policy, as podctl and the wire spell it. */
const char *
restart_policy_name(enum restart_policy p)
{
	return (policy_names[p]);
}

/* The policy named s (NULL: no), or -1. */
int
restart_policy_from_name(const char *s)
{
	size_t	i;

	if (s == NULL)
		return (RESTART_NO);
	for (i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++) {
		if (strcmp(policy_names[i], s) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Has the pod's parent ended, or is it ending or between runs? */
static bool
restart_parent_gone(struct pod *pod)
{
	struct pod	*p = pod->parent;

	return (p != NULL && (POD_TERMINAL(p) || p->stop_wanted ||
	    p->state == POD_RESTARTING));
}

/* Does --timeout's deadline (wall ns; it spans all runs) fall by now? */
static bool
restart_timed_out(struct pod *pod, int64_t at)
{
	return (pod->spec.timeout_ms > 0 &&
	    at >= pod->created_at + pod->spec.timeout_ms * 1000000);
}

/* A run just ended with the terminal outcome in pod->state: is another
 * one due?  Never after a stop, during shutdown, past max-restarts, once
 * the parent ended, or once --timeout is spent.  A lost run counts as a
 * failure: its workload was stopped by its runtime, not by its own end. */
bool
restart_wanted(struct pod *pod)
{
	if (pod->restart == RESTART_NO || pod->stop_wanted ||
	    sv.shutting_down || pod->env == NULL ||
	    pod->restarts >= (uint64_t)pod->spec.max_restarts ||
	    restart_parent_gone(pod) || restart_timed_out(pod, now_ns()))
		return (false);
	switch (pod->state) {
	case POD_SUCCEEDED:
		return (pod->restart == RESTART_ALWAYS);
	case POD_FAILED:
	case POD_LOST:
		return (true);
	default:
		return (false);
	}
}

/* The wait before the next run: the first delay after a long run (or
 * none before), else twice the last wait, within the cap. */
static int64_t
restart_next_wait(struct pod *pod)
{
	int64_t	 first = pod->spec.restart_delay_ms, cap, ran = 0;

	if (pod->started_at != WIRE_NONE && pod->ended_at > pod->started_at)
		ran = (pod->ended_at - pod->started_at) / 1000000;
	if (pod->restart_wait_ms <= 0 || ran >= RESTART_SHORT_RUN)
		return (first);
	cap = first > RESTART_DELAY_CAP ? first : RESTART_DELAY_CAP;
	return (pod->restart_wait_ms > cap / 2 ? cap :
	    pod->restart_wait_ms * 2);
}

/* Arm the timer for restart_at, or for --timeout's deadline if that
 * comes first (restart_cb then ends the pod). */
static void
restart_arm(struct pod *pod)
{
	int64_t	 at = pod->restart_at, now = now_ns();

	if (pod->spec.timeout_ms > 0 &&
	    pod->created_at + pod->spec.timeout_ms * 1000000 < at)
		at = pod->created_at + pod->spec.timeout_ms * 1000000;
	if (pod->restart_timer == NULL)
		pod->restart_timer = evtimer_new(sv.base, restart_cb, pod);
	timer_arm(pod->restart_timer, at > now ? (at - now) / 1000000 : 0);
}

/* The run ended and restart_wanted() said so: wait for the next. */
void
restart_schedule(struct pod *pod)
{
	pod->restart_wait_ms = restart_next_wait(pod);
	pod->restart_at = now_ns() + pod->restart_wait_ms * 1000000;
	pod_set_state(pod, POD_RESTARTING);
	/* The run's processes are gone (reaped, or not ours after a crash)
	 * or its runtime is closing (restart_cb waits for it): their pids
	 * may be reused by anyone meanwhile. */
	pod->pid = 0;
	pod_set_runtime_pid(pod, 0);
	log_info("pod %" PRIu64 ": restarting in %" PRId64 " ms (run %"
	    PRIu64 " of %" PRId64 ")", pod->id, pod->restart_wait_ms,
	    pod->restarts + 2, pod->spec.max_restarts + 1);
	restart_arm(pod);
	registry_touch(pod);
}

/* A restarting pod loaded from the registry: its wait goes on (a run
 * already overdue starts at once). */
void
restart_resume(struct pod *pod)
{
	if (pod->restart_at == WIRE_NONE)
		pod->restart_at = now_ns();
	log_info("pod %" PRIu64 ": was restarting; the next run is due in %"
	    PRId64 " ms", pod->id, pod->restart_at > now_ns() ?
	    (pod->restart_at - now_ns()) / 1000000 : 0);
	restart_arm(pod);
}

/* The run before, as the restart entry names it: kept fields are the
 * last run's, so this holds after a podvisord restart too. */
static void
restart_prev_outcome(struct pod *pod, char *buf, size_t len)
{
	if (pod->reason != NULL && strcmp(pod->reason, "supervisor-lost") == 0)
		snprintf(buf, len, "lost");
	else if (pod->signal > 0 && signal_name(pod->signal) != NULL)
		snprintf(buf, len, "failed (%s)", signal_name(pod->signal));
	else if (pod->exit_code > 0)
		snprintf(buf, len, "failed (exit %d)", pod->exit_code);
	else if (pod->exit_code == 0)
		snprintf(buf, len, "succeeded");
	else
		snprintf(buf, len, "failed");
}

/* Forget the last run's own values; the pod's identity, policy, log and
 * result stay. */
static void
restart_reset_run(struct pod *pod)
{
	pod->phase = PHASE_LIVE;
	pod_set_state(pod, POD_STARTING);
	pod->outcome = POD_STARTING;
	pod->pid = 0;
	pod_set_runtime_pid(pod, 0);
	pod->runtime_reaped = false;
	pod->runtime_status = 0;
	pod->exit_code = pod->signal = -1;
	free(pod->error);
	pod->error = NULL;
	free(pod->reason);
	pod->reason = NULL;
	pod->leftovers = 0;
	pod->started_at = pod->ended_at = WIRE_NONE;
	pod->restart_at = WIRE_NONE;
	pod->api = pod->api_cancel = false;
	pod->pause_wanted = pod->paused_frozen = false;
	pod->paused_at = pod->cancel_acked_at = pod->heartbeat_at = WIRE_NONE;
	pod->queued = 0;
	pod->extended_ms = 0;
	free(pod->status_text);
	pod->status_text = NULL;
	pod->progress = WIRE_NAN;
}

/* The wait is over: log the restart entry, then start a new runtime.  A
 * runtime that cannot start makes a failed run, which the policy may
 * follow with another after a longer wait, within max-restarts. */
static void
restart_run(struct pod *pod)
{
	char	prev[64], cause[512];

	restart_prev_outcome(pod, prev, sizeof prev);
	pod->restarts++;
	restarts_total++;
	journal(pod, LOG_RESTART, "run %" PRIu64 " of %" PRId64 " after %s, "
	    "waited %" PRId64 " ms", pod->restarts + 1,
	    pod->spec.max_restarts + 1, prev, pod->restart_wait_ms);
	journal_write_now(pod);
	restart_reset_run(pod);
	if (spawn_relaunch(pod, cause, sizeof cause) == -1) {
		log_warnx("pod %" PRIu64 ": %s", pod->id, cause);
		pod->error = xstrdup(cause);
		pod->exit_code = 127;
		pod->phase = PHASE_EXITED;
		pod_set_state(pod, POD_FAILED);
		pod_finish(pod);
		return;
	}
	pod_arm_timeout(pod);
	log_info("pod %" PRIu64 ": run %" PRIu64 " started (runtime %d)",
	    pod->id, pod->restarts + 1, (int)pod->runtime_pid);
	registry_touch(pod);
}

/* A restarting pod's end without another run, its state set. */
static void
restart_end(struct pod *pod, const char *why)
{
	if (pod->restart_timer != NULL)
		evtimer_del(pod->restart_timer);
	pod->restart_at = WIRE_NONE;
	journal(pod, LOG_RESTART, "no next run: %s", why);
	pod_finish(pod);
}

/* Is the last run's runtime still there?  Ours is until it is reaped
 * (reap.c's closing runtimes).  A lost run's (not our child: it was a
 * crashed podvisord's) is checked by its name, since its pid may be
 * reused; after lost_until we stop waiting for it. */
static bool
restart_runtime_alive(struct pod *pod)
{
	char	 path[64], comm[32];
	FILE	*f;
	bool	 alive = false;

	if (closing_pod(pod->id))
		return (true);
	if (pod->lost_runtime <= 0 || now_ns() >= pod->lost_until)
		return (false);
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pod->lost_runtime);
	if ((f = fopen(path, "re")) != NULL) {
		alive = fgets(comm, sizeof comm, f) != NULL &&
		    strncmp(comm, "podvisor-pod", 12) == 0;
		fclose(f);
	}
	if (!alive)
		pod->lost_runtime = 0;
	return (alive);
}

/* The restart timer: the next run is due, or --timeout came first, or
 * the parent ended meanwhile. */
static void
restart_cb(int fd, short events, void *arg)
{
	struct pod	*pod = arg;

	if (pod->state != POD_RESTARTING)
		return;
	if (restart_runtime_alive(pod)) {
		/* Two writers of one log would lose entries: wait a little
		 * (ours, until restart_runtime_reaped). */
		timer_arm(pod->restart_timer, 100);
		return;
	}
	if (restart_timed_out(pod, now_ns() + 1000000)) {
		log_info("pod %" PRIu64 ": timed out", pod->id);
		pod_stop(pod, "timeout", "timeout", NULL, WIRE_NONE, WIRE_NONE);
	} else if (restart_parent_gone(pod))
		pod_stop(pod, "parent-exited", "parent", NULL, WIRE_NONE,
		    WIRE_NONE);
	else
		restart_run(pod);
}

/* The closing runtime of pod id was reaped (or given up): if the pod is
 * restarting, a next run that waited for it need wait no more. */
void
restart_runtime_reaped(uint64_t id)
{
	struct pod	*pod;

	if ((pod = podtab_find(id)) != NULL && pod->state == POD_RESTARTING &&
	    pod->restart_timer != NULL && !closing_pod(id))
		restart_arm(pod);
}

/* pod_stop() of a restarting pod (its reason and cause set): the pending
 * run is cancelled and the pod ends stopped, at once. */
void
restart_cancel(struct pod *pod)
{
	char	why[256];

	pod_set_state(pod, POD_STOPPED);
	snprintf(why, sizeof why, "stopped (%s)", pod->reason);
	restart_end(pod, why);
}

/* The restart counter, for /metrics. */
void
restart_metrics(struct evbuffer *b)
{
	evbuffer_add_printf(b, "# HELP podvisor_pod_restarts_total Runs "
	    "started again by a restart policy since start.\n# TYPE "
	    "podvisor_pod_restarts_total counter\npodvisor_pod_restarts_total %"
	    PRIu64 "\n", restarts_total);
}
