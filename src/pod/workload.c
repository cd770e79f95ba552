/*
 * The workload: fork and exec it in its own process group, as the pod's
 * owner and within its limits, capture its output into the segment log,
 * and signal it (and what it leaves behind).
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"
#include "seglog.h"
#include "proctree.h"
#include "pod.h"

extern char	**environ;

/* Which step of the child's set-up failed, sent up the status pipe. */
enum workload_step {
	WORKLOAD_SETUP,
	WORKLOAD_LIMIT,		/* arg: which (enum wire_limit) */
	WORKLOAD_NOFILE,	/* restoring the soft descriptor limit */
	WORKLOAD_GROUPS,
	WORKLOAD_GID,
	WORKLOAD_UID,
	WORKLOAD_UID_KEPT,	/* the switch did not take (err 0) */
	WORKLOAD_CHDIR,
	WORKLOAD_EXEC
};

struct workload_err {
	int	 step;
	int	 arg;
	int	 err;
};

/* One read buffer for every burst: the runtime is single-threaded. */
static uint8_t	 workload_buf[POD_READ_CHUNK];

/* Close every fd above POD_API_FD except keep (which is above it). */
static void
workload_closefrom(int keep)
{
	long	 max, fd;

	if ((keep <= POD_API_FD + 1 ||
	    close_range(POD_API_FD + 1, keep - 1, 0) == 0) &&
	    close_range(keep + 1, ~0U, 0) == 0)
		return;
	if ((max = sysconf(_SC_OPEN_MAX)) <= 0 || max > 65536)
		max = 65536;
	for (fd = POD_API_FD + 1; fd < max; fd++) {
		if (fd != keep)
			(void)close((int)fd);
	}
}

/* In the child: default dispositions, nothing blocked. */
static void
workload_reset_signals(void)
{
	struct sigaction	 sa;
	sigset_t		 set;
	int			 sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
}

/* In the child: each limit asked for (soft and hard); without a
 * descriptor limit, the soft one podvisord started with (it raised its
 * own, and select() users break above 1024). */
static int
workload_set_limits(struct runtime *rt, struct workload_err *we)
{
	struct rlimit	 rl;
	int		 i;

	we->step = WORKLOAD_LIMIT;
	for (i = 0; i < WIRE_NLIMITS; i++) {
		if (rt->limits[i] == WIRE_NONE)
			continue;
		we->arg = i;
		rl.rlim_cur = rl.rlim_max = (rlim_t)rt->limits[i];
		if (setrlimit(limit_defs[i].resource, &rl) == -1)
			return (-1);
	}
	if (rt->limits[LIMIT_NOFILE] != WIRE_NONE ||
	    rt->nofile_soft == WIRE_NONE)
		return (0);
	we->step = WORKLOAD_NOFILE;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (-1);
	if ((rlim_t)rt->nofile_soft < rl.rlim_max)
		rl.rlim_cur = (rlim_t)rt->nofile_soft;
	else
		rl.rlim_cur = rl.rlim_max;
	return (setrlimit(RLIMIT_NOFILE, &rl));
}

/* In the child: become the pod's owner for good (real, effective and
 * saved ids), then make sure there is no way back to root. */
static int
workload_identity(struct runtime *rt, struct workload_err *we)
{
	uid_t	 uid = (uid_t)rt->uid, ruid, euid, suid;
	gid_t	 gid = (gid_t)rt->gid, rgid, egid, sgid;

	if (rt->uid == WIRE_NONE)
		return (0);
	we->step = WORKLOAD_GROUPS;
	if (setgroups(rt->ngroups, rt->groups) == -1)
		return (-1);
	we->step = WORKLOAD_GID;
	if (setresgid(gid, gid, gid) == -1)
		return (-1);
	we->step = WORKLOAD_UID;
	if (setresuid(uid, uid, uid) == -1)
		return (-1);
	we->step = WORKLOAD_UID_KEPT;
	errno = 0;
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		return (-1);
	if (ruid != uid || euid != uid || suid != uid || rgid != gid ||
	    egid != gid || sgid != gid || (uid != 0 && setuid(0) != -1))
		return (-1);
	return (0);
}

/* In the child: own group, signals, stdio, limits, identity, chdir (as
 * the owner, with the owner's permissions), exec. */
static void __attribute__((noreturn))
workload_child(struct runtime *rt, pid_t runtime, int outw, int errw,
    int statusw, int apiw)
{
	static char		*empty[] = { NULL };
	struct workload_err	 we;
	int			 fd;

	memset(&we, 0, sizeof we);
	(void)setpgid(0, 0);
	workload_reset_signals();

	we.step = WORKLOAD_SETUP;
	/* The API's end replaces our copy of the control channel, which
	 * the workload must never hold (dup2 leaves it open across exec). */
	if ((fd = open("/dev/null", O_RDONLY)) == -1 || dup2(fd, 0) == -1 ||
	    dup2(outw, 1) == -1 || dup2(errw, 2) == -1 ||
	    dup2(apiw, POD_API_FD) == -1)
		goto fail;
	workload_closefrom(statusw);
	if (workload_set_limits(rt, &we) == -1 ||
	    workload_identity(rt, &we) == -1)
		goto fail;

	/* Should the runtime die, nobody would watch us.  Only now: a
	 * change of credentials clears the parent-death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 &&
	    getppid() != runtime)
		_exit(127);

	we.step = WORKLOAD_CHDIR;
	if (chdir(rt->cwd) == -1)
		goto fail;

	/* execvp searches the PATH of the environment it is given. */
	we.step = WORKLOAD_EXEC;
	environ = rt->env != NULL ? rt->env : empty;
	execvp(rt->argv[0], rt->argv);
fail:
	we.err = errno;
	(void)write(statusw, &we, sizeof we);
	_exit(127);
}

/* strerror, starting lower case for use inside a sentence. */
static void
workload_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] != '\0' && buf[1] != '\0' && !isupper((unsigned char)buf[1]))
		buf[0] = (char)tolower((unsigned char)buf[0]);
}

/* The reason for a failed exec. */
static void
workload_exec_reason(struct runtime *rt, int errnum, const char *err,
    char *cause, size_t len)
{
	if (errnum == ENOENT)
		snprintf(cause, len, "no such file: %s", rt->argv[0]);
	else if (errnum == EACCES)
		snprintf(cause, len, "permission denied: %s", rt->argv[0]);
	else
		snprintf(cause, len, "cannot execute %s: %s", rt->argv[0],
		    err);
}

/* Turn the child's report into a reason a user can read. */
static void
workload_reason(struct runtime *rt, const struct workload_err *we, char *cause,
    size_t len)
{
	char		 err[128];
	long long	 uid = (long long)rt->uid, gid = (long long)rt->gid;
	int		 i = we->arg;

	workload_strerror(we->err, err, sizeof err);
	switch (we->step) {
	case WORKLOAD_LIMIT:
		if (i < 0 || i >= WIRE_NLIMITS)
			break;
		snprintf(cause, len, "cannot set limit %s=%lld: %s",
		    limit_defs[i].name, (long long)rt->limits[i], err);
		return;
	case WORKLOAD_NOFILE:
		snprintf(cause, len, "cannot restore the descriptor limit to "
		    "%lld: %s", (long long)rt->nofile_soft, err);
		return;
	case WORKLOAD_GROUPS:
		snprintf(cause, len, "cannot set the groups of uid %lld: %s",
		    uid, err);
		return;
	case WORKLOAD_GID:
		snprintf(cause, len, "cannot switch to gid %lld: %s", gid, err);
		return;
	case WORKLOAD_UID:
		snprintf(cause, len, "cannot switch to uid %lld: %s", uid, err);
		return;
	case WORKLOAD_UID_KEPT:
		snprintf(cause, len, "cannot switch to uid %lld: the switch "
		    "did not take, or could be undone", uid);
		return;
	case WORKLOAD_CHDIR:
		snprintf(cause, len, "cannot chdir to %s: %s", rt->cwd, err);
		return;
	case WORKLOAD_EXEC:
		workload_exec_reason(rt, we->err, err, cause, len);
		return;
	}
	snprintf(cause, len, "cannot set up the workload: %s", err);
}

/* Wait for exec (EOF on the status pipe) or the child's failure. */
static int
workload_status(struct runtime *rt, int fd, char *cause, size_t len)
{
	struct workload_err	 we;
	size_t			 got = 0;
	ssize_t			 n;

	while (got < sizeof we) {
		n = read(fd, (char *)&we + got, sizeof we - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == 0)
		return (0);
	if (got < sizeof we) {
		snprintf(cause, len, "the workload failed to start");
		return (-1);
	}
	workload_reason(rt, &we, cause, len);
	return (-1);
}

/* Read what a pipe holds (up to a burst) into one transaction. */
static void
workload_read(int fd, short what, void *arg)
{
	struct pod_stream	*st = arg;
	struct runtime		*rt = st->rt;
	size_t			 total = 0;
	ssize_t			 n;
	int			 batch, eof = 0;

	batch = seglog_begin(rt->log) == 0;
	while (total < rt->burst_max) {
		n = read(fd, workload_buf, sizeof workload_buf);
		if (n > 0) {
			(void)seglog_append(rt->log, st->kind, workload_buf,
			    (size_t)n);
			total += (size_t)n;
			if ((size_t)n < sizeof workload_buf)
				break;
			continue;
		}
		if (n == 0)
			eof = 1;
		else if (errno == EINTR)
			continue;
		else if (errno != EAGAIN) {
			log_warn("read %s", log_kind_name(st->kind));
			eof = 1;
		}
		break;
	}
	if (batch)
		(void)seglog_commit(rt->log);
	if (total > 0)
		pod_committed(rt);
	if (eof) {
		workload_close_stream(st);
		pod_check_done(rt);
	}
}

/* Watch a pipe's read end. */
static void
workload_open_stream(struct runtime *rt, struct pod_stream *st, int fd)
{
	int	 flags;

	st->fd = fd;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		log_warn("fcntl O_NONBLOCK");
	(void)fcntl(fd, F_SETPIPE_SZ, POD_PIPE_SIZE);
	st->ev = event_new(rt->base, fd, EV_READ | EV_PERSIST, workload_read,
	    st);
	if (st->ev == NULL || event_add(st->ev, NULL) == -1)
		fatalx("cannot watch the workload's %s", log_kind_name(st->kind));
}

/* Drain what a pipe still holds, then close it. */
void
workload_drain(struct pod_stream *st)
{
	if (st->fd == -1)
		return;
	workload_read(st->fd, EV_READ, st);
	workload_close_stream(st);
}

/* Stop watching a pipe and close it. */
void
workload_close_stream(struct pod_stream *st)
{
	if (st->fd == -1)
		return;
	if (st->ev != NULL)
		event_free(st->ev);
	st->ev = NULL;
	(void)close(st->fd);
	st->fd = -1;
}

/* The three pipes, stdout, stderr and the child's status, and the pod
 * API's socketpair. */
static int
workload_pipes(int outp[2], int errp[2], int stp[2], int api[2])
{
	if (pipe2(outp, O_CLOEXEC) == -1)
		return (-1);
	if (pipe2(errp, O_CLOEXEC) == -1)
		goto out;
	if (pipe2(stp, O_CLOEXEC) == -1)
		goto err;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, api) == -1)
		goto st;
	return (0);
st:
	close(stp[0]);
	close(stp[1]);
err:
	close(errp[0]);
	close(errp[1]);
out:
	close(outp[0]);
	close(outp[1]);
	return (-1);
}

/* Fork and exec the workload; -1 with a reason if it did not start
 * (pod->pid is then still set if a child exists to be reaped). */
int
workload_start(struct runtime *rt, char *cause, size_t len)
{
	sigset_t	 all, old;
	int		 outp[2], errp[2], stp[2], api[2], rc, saved;
	pid_t		 pid, self = getpid();

	if (workload_pipes(outp, errp, stp, api) == -1) {
		snprintf(cause, len, "cannot make a pipe: %s", strerror(errno));
		return (-1);
	}

	/* No handler of ours may run in the child before it resets them. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0)
		workload_child(rt, self, outp[1], errp[1], stp[1], api[1]);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(outp[1]);
	close(errp[1]);
	close(stp[1]);
	close(api[1]);
	if (pid == -1) {
		close(outp[0]);
		close(errp[0]);
		close(stp[0]);
		close(api[0]);
		snprintf(cause, len, "cannot fork: %s", strerror(saved));
		return (-1);
	}

	/* Both sides set the group, so neither can signal it too early. */
	if (setpgid(pid, pid) == -1 && errno != EACCES && errno != ESRCH)
		log_warn("setpgid %ld", (long)pid);
	rt->pid = pid;
	workload_open_stream(rt, &rt->out[0], outp[0]);
	workload_open_stream(rt, &rt->out[1], errp[0]);
	api_open(rt, api[0]);
	rc = workload_status(rt, stp[0], cause, len);
	close(stp[0]);
	return (rc);
}

/* Signal one process; a process already gone is not an error. */
static void
workload_kill(pid_t pid, int sig)
{
	if (pid > 1 && kill(pid, sig) == -1 && errno != ESRCH)
		log_warn("kill %ld %s", (long)pid, signal_name(sig));
}

/* Signal the workload's group, and with tree every descendant too. Once
 * the main process is reaped its pgid may be reused: the group is then
 * reached through the runtime's descendants only. */
int
workload_signal(struct runtime *rt, int sig, bool tree)
{
	pid_t	*pids;
	size_t	 n, i;

	if (rt->pid > 1 && !rt->reaped &&
	    kill(-rt->pid, sig) == -1 && errno != ESRCH)
		log_warn("kill -%ld %s", (long)rt->pid, signal_name(sig));
	if (!tree && !rt->reaped)
		return (0);
	if (proc_descendants(getpid(), &pids, &n) == -1) {
		log_warn("cannot list the pod's processes");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		workload_kill(pids[i], sig);
		if (sig == SIGTERM)
			workload_kill(pids[i], SIGCONT);
	}
	free(pids);
	return (0);
}

/* Remember a swept pid; leftovers are counted once each. */
static void
workload_note_leftover(struct runtime *rt, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < rt->nleftovers; i++) {
		if (rt->leftovers[i] == pid)
			return;
	}
	rt->leftovers = xreallocarray(rt->leftovers, rt->nleftovers + 1,
	    sizeof *rt->leftovers);
	rt->leftovers[rt->nleftovers++] = pid;
}

/* Signal everything left once the main process is gone; returns how many
 * processes were signalled this time. */
size_t
workload_sweep(struct runtime *rt, int sig)
{
	pid_t	*pids;
	size_t	 n, i;

	if (proc_descendants(getpid(), &pids, &n) == -1) {
		log_warn("cannot list the pod's processes");
		return (0);
	}
	for (i = 0; i < n; i++) {
		workload_kill(pids[i], sig);
		if (sig == SIGTERM)
			workload_kill(pids[i], SIGCONT);
		workload_note_leftover(rt, pids[i]);
	}
	free(pids);
	if (n > 0)
		log_debug("sent %s to %zu leftover processes", signal_name(sig),
		    n);
	return (n);
}
