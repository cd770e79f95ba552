/*
 * Reaping.  podvisord is a subreaper: its children are the pod runtimes,
 * and whatever a dead runtime left behind is reparented to it.  Such
 * strays are killed, all of them in one /proc scan at the end of the
 * loop pass, however many were reaped in it.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "supervisor.h"
#include "proctree.h"

static bool	strays_pending;

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
 * the re-exec's check (reexec.c)? */
static bool
under_live_runtime(pid_t pid)
{
	pid_t	self = getpid();

	while (pid > 1 && pid != self) {
		if (podtab_find_runtime(pid) != NULL || reexec_is_check(pid))
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
