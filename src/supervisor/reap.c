/*
 * Reaping.  podvisord is a subreaper: its children are the pod runtimes,
 * and whatever a dead runtime left behind is reparented to it.  Such
 * strays are killed, all of them in one /proc scan at the end of the
 * loop pass, however many were reaped in it.
 *
 * A runtime that said `exited` has concluded its pod (pod.c) and is left
 * with its teardown: it is a closing runtime, known here by its pid and
 * its pod's id alone, since the pod may be removed before it exits.  It
 * is reaped here, killed if it is not gone RUNTIME_EXIT_DEADLINE_MS after
 * `exited`, and given up RUNTIME_KILL_DEADLINE_MS after that (one stuck
 * in the kernel; reaped as a stray if it ever ends).  A restart waits for
 * its pod's closing runtime (restart.c), a shutdown for all of them, and
 * a re-exec hands them over (reexec.c).
 */
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "supervisor.h"
#include "proctree.h"

struct closing {
	pid_t		 pid;
	uint64_t	 id;		/* its pod's, which may be gone */
	int64_t		 deadline;	/* mono ms of the next step */
	bool		 killed;	/* SIGKILL sent */
	struct event	*timer;
	TAILQ_ENTRY(closing) entry;
};
static TAILQ_HEAD(, closing) closings = TAILQ_HEAD_INITIALIZER(closings);
static size_t	nclosing;
static struct pidmap	closing_pids;	/* the same, by pid */

static bool	strays_pending;

static void	closing_deadline_cb(int, short, void *);

/* Watch a runtime that said `exited` (or one handed over as closing,
 * killed already or not) until it is reaped; deadline is mono ms. */
void
closing_add(pid_t pid, uint64_t id, int64_t deadline, bool killed)
{
	struct closing	*c;

	c = xcalloc(1, sizeof *c);
	c->pid = pid;
	c->id = id;
	c->killed = killed;
	c->deadline = deadline;
	c->timer = evtimer_new(sv.base, closing_deadline_cb, c);
	timer_arm(c->timer, deadline - mono_ms());
	TAILQ_INSERT_TAIL(&closings, c, entry);
	pidmap_put(&closing_pids, pid, c);
	nclosing++;
}

/* Forget a closing runtime: reaped, or given up. */
static void
closing_remove(struct closing *c)
{
	TAILQ_REMOVE(&closings, c, entry);
	pidmap_del(&closing_pids, c->pid, c);
	nclosing--;
	event_free(c->timer);
	free(c);
	sv_kick();	/* a shutdown may be able to end now */
}

/* The closing runtime with this pid, or NULL. */
static struct closing *
closing_find(pid_t pid)
{
	return (pidmap_get(&closing_pids, pid));
}

/* Is a runtime of pod id still closing? (A restart waits for it: two
 * writers of one log would lose entries.) */
bool
closing_pod(uint64_t id)
{
	struct closing	*c;

	TAILQ_FOREACH(c, &closings, entry) {
		if (c->id == id)
			return (true);
	}
	return (false);
}

/* How many runtimes are closing (a shutdown waits for none). */
size_t
closing_count(void)
{
	return (nclosing);
}

/* A closing runtime's deadline: kill it; past the next, stop waiting. */
static void
closing_deadline_cb(int fd, short events, void *arg)
{
	struct closing	*c = arg;
	uint64_t	 id;

	if (!c->killed) {
		log_warnx("pod %" PRIu64 ": runtime %d has not exited %d ms "
		    "after its end; killing it", c->id, (int)c->pid,
		    RUNTIME_EXIT_DEADLINE_MS);
		kill(c->pid, SIGKILL);
		c->killed = true;
		c->deadline = mono_ms() + RUNTIME_KILL_DEADLINE_MS;
		timer_arm(c->timer, RUNTIME_KILL_DEADLINE_MS);
		return;
	}
	log_warnx("pod %" PRIu64 ": runtime %d is not gone %d ms after "
	    "SIGKILL; no longer waiting for it", c->id, (int)c->pid,
	    RUNTIME_KILL_DEADLINE_MS);
	id = c->id;
	closing_remove(c);
	restart_runtime_reaped(id);
}

/* A reaped child that was a closing runtime: done with it.  One that had
 * to be killed, or did not exit 0, may have left processes behind. */
static bool
closing_reaped(pid_t pid, int status)
{
	struct closing	*c;
	uint64_t	 id;

	if ((c = closing_find(pid)) == NULL)
		return (false);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!c->killed)
			log_warnx("pod %" PRIu64 ": runtime %d ended with "
			    "status %#x after its end", c->id, (int)pid,
			    status);
		strays_sweep_soon();
	}
	log_debug("pod %" PRIu64 ": runtime %d reaped after its end", c->id,
	    (int)pid);
	id = c->id;
	closing_remove(c);
	restart_runtime_reaped(id);
	return (true);
}

/* Across a re-exec: one line per closing runtime (reexec.c). */
void
closing_handover(FILE *f)
{
	struct closing	*c;

	TAILQ_FOREACH(c, &closings, entry)
		fprintf(f, "closing %d %" PRIu64 " %" PRId64 " %d\n",
		    (int)c->pid, c->id, c->deadline, c->killed);
}

/* At exit: forget whatever is left (a shutdown waited for them). */
void
closing_free(void)
{
	struct closing	*c;

	while ((c = TAILQ_FIRST(&closings)) != NULL) {
		TAILQ_REMOVE(&closings, c, entry);
		event_free(c->timer);
		free(c);
	}
	pidmap_clear(&closing_pids);
	nclosing = 0;
}

/* SIGCHLD: reap every child that has exited. */
void
sv_reap_children(void)
{
	struct pod	*pod;
	pid_t		 pid;
	int		 status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if (reexec_is_check(pid))
			reexec_check_reaped(status);
		else if (closing_reaped(pid, status))
			continue;
		else if ((pod = podtab_find_runtime(pid)) != NULL)
			pod_runtime_reaped(pod, status);
		else {
			/* Its children are reparented to us now. */
			log_debug("reaped stray process %d", (int)pid);
			strays_sweep_soon();
		}
	}
}

/* Have this pass end with a sweep of strays. */
void
strays_sweep_soon(void)
{
	strays_pending = true;
	sv_kick();
}

/* Is pid inside a live pod, i.e. below (or equal to) a live runtime, or
 * a closing runtime (it is reaped, or killed, above), or the re-exec's
 * check (reexec.c)? */
static bool
under_live_runtime(pid_t pid)
{
	pid_t	self = getpid();

	while (pid > 1 && pid != self) {
		if (podtab_find_runtime(pid) != NULL ||
		    closing_find(pid) != NULL || reexec_is_check(pid))
			return (true);
		pid = proc_parent(pid);
	}
	return (false);
}

/* Processes below us that no live runtime watches are what a dead
 * runtime left. Kill them all, not just our direct children: a
 * grandchild may still be on its way. */
void
strays_sweep(void)
{
	pid_t	*pids;
	size_t	 n, i;

	if (!strays_pending)
		return;
	strays_pending = false;
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
