/*
 * Starting a pod's runtime: a new process with the control channel on
 * WIRE_POD_FD, /dev/null on stdin, podvisord's stdout and stderr, nothing
 * else inherited, its own session, every signal at its default and none
 * blocked.
 *
 * posix_spawn does all that, but its child gets a copy of podvisord's
 * whole descriptor table, one socket per pod, and closes every one of
 * them before its exec: beside 5,000 pods that was a quarter of
 * podvisord's time (BENCHMARKS.md).  So the child here shares the table
 * (clone with CLONE_VM, CLONE_VFORK and CLONE_FILES) and leaves it with
 * close_range(slot + 1, ~0U, CLOSE_RANGE_UNSHARE), which copies only the
 * descriptors up to `slot` and closes none of the others.  The channel
 * is put on `slot`, a low descriptor reserved for it at startup that
 * otherwise holds /dev/null.  The parent is suspended until the child
 * has exec'd or exited (CLONE_VFORK) and blocks every signal around the
 * clone, so the child, which runs on its own stack in the parent's
 * memory, never runs one of the parent's handlers.
 *
 * valgrind cannot run such a clone (it supports only fork-like and
 * thread-like flags), and a kernel before 5.9 has no close_range: there
 * posix_spawn is used, as before.  A re-executed podvisord reserves its
 * slot above the channels it inherited, so until those close its clones
 * copy them too (and close them in the child): correct, not cheaper.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>

#include <linux/close_range.h>
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND	0
#endif

#include "supervisor.h"

#define LAUNCH_STACK	(128 * 1024)	/* the child's, below its guard */

/* What the child runs, and where it says why it could not. */
struct launch {
	const char	 *path;
	char *const	 *argv;
	char *const	 *envp;
	int		  slot;
	volatile int	  err;		/* errno of the step that failed */
	volatile bool	  unshared;	/* it had left the shared table */
};

static int	 launch_null = -1;	/* /dev/null, to restore the slot */
static int	 launch_slot = -1;	/* the channel's place in the clone */
static char	*launch_stack;		/* top of the child's stack */

/* The runtime's start with posix_spawn: the fallback. */
static int
launch_posix_spawn(pid_t *pid, const char *path, int chan,
    char *const argv[], char *const envp[])
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, all;
	int				 rc;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, chan, WIRE_POD_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, WIRE_POD_FD + 1);
	rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return (rc);
}

/*
 * The clone's child, in the parent's memory and, until close_range, its
 * descriptor table: it must touch nothing of either but its own struct
 * launch.  Not instrumented by ASan: its stack is not one ASan knows.
 */
static int __attribute__((no_sanitize_address))
launch_child(void *arg)
{
	struct launch		*l = arg;
	struct sigaction	 dfl;
	sigset_t		 none;
	int			 fd, sig;

	if (close_range(l->slot + 1, ~0U, CLOSE_RANGE_UNSHARE) == -1)
		goto fail;
	l->unshared = true;
	if (l->slot != WIRE_POD_FD && dup2(l->slot, WIRE_POD_FD) == -1)
		goto fail;
	if (close_range(WIRE_POD_FD + 1, ~0U, 0) == -1)
		goto fail;
	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		goto fail;
	if (fd != 0 && (dup2(fd, 0) == -1 || close(fd) == -1))
		goto fail;
	if (setsid() == -1)
		goto fail;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);	/* KILL, STOP: EINVAL */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(l->path, l->argv, l->envp);
fail:
	l->err = errno;
	_exit(127);
}

/* Reserve the slot and the child's stack; without them (or under
 * valgrind) runtimes start with posix_spawn. */
void
launch_init(void)
{
	char	*map;

	if (RUNNING_ON_VALGRIND)
		return;
	if ((launch_null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    (launch_slot = fcntl(launch_null, F_DUPFD_CLOEXEC,
	    WIRE_POD_FD)) == -1) {
		log_warn("cannot reserve a descriptor for the runtimes' "
		    "channel: %s; starting them with posix_spawn",
		    strerror(errno));
		launch_free();
		return;
	}
	map = mmap(NULL, LAUNCH_STACK + getpagesize(), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (map == MAP_FAILED || mprotect(map, getpagesize(), PROT_NONE) ==
	    -1) {
		log_warn("cannot map a stack to start runtimes on: %s; "
		    "starting them with posix_spawn", strerror(errno));
		if (map != MAP_FAILED)
			munmap(map, LAUNCH_STACK + getpagesize());
		launch_free();
		return;
	}
	launch_stack = map + getpagesize() + LAUNCH_STACK;
}

void
launch_free(void)
{
	if (launch_stack != NULL)
		munmap(launch_stack - LAUNCH_STACK - getpagesize(),
		    LAUNCH_STACK + getpagesize());
	if (launch_slot != -1)
		close(launch_slot);
	if (launch_null != -1)
		close(launch_null);
	launch_stack = NULL;
	launch_slot = launch_null = -1;
}

/* The clone; 0 or the errno of what failed, *fallback if posix_spawn
 * should do it instead. */
static int
launch_clone(pid_t *pid, const char *path, int chan, char *const argv[],
    char *const envp[], bool *fallback)
{
	struct launch	 l = { path, argv, envp, launch_slot, 0, false };
	sigset_t	 all, old;
	int		 err;

	if (dup3(chan, launch_slot, 0) == -1)
		return (errno);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	*pid = clone(launch_child, launch_stack, CLONE_VM | CLONE_VFORK |
	    CLONE_FILES | SIGCHLD, &l);
	err = *pid == -1 ? errno : l.err;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* The slot must not keep the channel open: the pod's end is seen
	 * when its runtime's end of it closes. */
	if (dup3(launch_null, launch_slot, O_CLOEXEC) == -1) {
		log_warn("cannot restore the runtimes' descriptor slot: %s; "
		    "starting them with posix_spawn", strerror(errno));
		launch_free();
	}
	if (*pid != -1 && err != 0)
		while (waitpid(*pid, NULL, 0) == -1 && errno == EINTR)
			continue;
	/* A kernel without this clone or without close_range (before 5.9)
	 * needs posix_spawn. */
	*fallback = (err == EINVAL || err == ENOSYS) && (*pid == -1 ||
	    !l.unshared);
	return (err);
}

/* Start the runtime at path with chan on WIRE_POD_FD: 0 and its pid, or
 * an errno value. */
int
launch_runtime(pid_t *pid, const char *path, int chan, char *const argv[],
    char *const envp[])
{
	bool	fallback = false;
	int	err;

	if (launch_stack == NULL)
		return (launch_posix_spawn(pid, path, chan, argv, envp));
	if ((err = launch_clone(pid, path, chan, argv, envp, &fallback)) ==
	    0 || !fallback)
		return (err);
	log_warn("cannot start runtimes with clone and close_range: %s; "
	    "using posix_spawn", strerror(err));
	launch_free();
	return (launch_posix_spawn(pid, path, chan, argv, envp));
}
