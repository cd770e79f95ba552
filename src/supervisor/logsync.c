/*
 * Group commit of the pods' exit entries.  A runtime with podvisord to
 * report to commits its pod's last entries without syncing them and says
 * so in `exited`; the pod concludes -- turns terminal, is told to
 * waiters, the registry and webhooks -- only once they are on disk.  One
 * syncfs(2) of the state directory's filesystem makes every pod that
 * ended before it started durable; pods that end while it runs wait for
 * the next.  So a stop of 1,111 pods costs a handful of syncs, not 1,111
 * fdatasyncs, and the contract's "the final exit entry is on disk before
 * the pod is reported terminal" holds at any crash: of a runtime (its
 * committed pages are the kernel's), of podvisord (the pod was never
 * reported), of the OS (nothing reported was unsynced).
 *
 * The sync runs on a thread of its own, which does nothing else, so that
 * the loop never waits on the disk; an eventfd says it is done.
 */
#include <sys/eventfd.h>

#include <poll.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "supervisor.h"

static TAILQ_HEAD(, pod) waiting = TAILQ_HEAD_INITIALIZER(waiting);
static TAILQ_HEAD(, pod) syncing = TAILQ_HEAD_INITIALIZER(syncing);

static int		 dir_fd = -1;	/* the state directory */
static int		 done_fd = -1;	/* eventfd: a sync is over */
static struct event	*done_ev;
static bool		 running;	/* a sync is under way */
static bool		 fault_before_sync;

static pthread_t	 thread;
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 wake = PTHREAD_COND_INITIALIZER;
static bool		 requested;	/* under lock */
static uint64_t		 only_pod;	/* under lock: a batch of one */
static bool		 quit;		/* under lock */
static int		 sync_errno;	/* under lock: the last sync's */

static uint64_t		 nsyncs;	/* for /metrics */
static uint64_t		 nsynced;

static void	logsync_start(void);

/* Make a batch durable: one pod's log by fdatasync, which writes back
 * that file alone (syncfs writes back every dirty page of the file
 * system: 0.7 ms more for one pod's stop here), several by syncfs. */
static int
logsync_write_back(uint64_t id)
{
	char	path[64];
	int	fd, err;

	if (id != 0) {
		snprintf(path, sizeof path, "pods/%" PRIu64 "/data.mdb", id);
		if ((fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC)) != -1) {
			err = fdatasync(fd) == -1 ? errno : 0;
			close(fd);
			return (err);
		}
	}
	return (syncfs(dir_fd) == -1 ? errno : 0);
}

/* The thread: one write-back per request, then the eventfd. */
static void *
logsync_main(void *arg)
{
	uint64_t	one = 1, id;
	int		err;

	for (;;) {
		pthread_mutex_lock(&lock);
		while (!requested && !quit)
			pthread_cond_wait(&wake, &lock);
		if (quit) {
			pthread_mutex_unlock(&lock);
			return (NULL);
		}
		requested = false;
		id = only_pod;
		pthread_mutex_unlock(&lock);
		err = logsync_write_back(id);
		pthread_mutex_lock(&lock);
		sync_errno = err;
		pthread_mutex_unlock(&lock);
		while (write(done_fd, &one, sizeof one) == -1 && errno == EINTR)
			;
	}
}

/* A sync covering the syncing pods is over (err: its errno, or 0):
 * conclude them. */
static void
logsync_conclude(int err)
{
	struct pod	*pod;

	if (err != 0)
		log_warnx("syncfs %s: %s (the pods ending now are reported "
		    "all the same)", sv.state_dir, strerror(err));
	running = false;
	nsyncs++;
	while ((pod = TAILQ_FIRST(&syncing)) != NULL) {
		TAILQ_REMOVE(&syncing, pod, sync_entry);
		nsynced++;
		pod->log_sync = LOGSYNC_NONE;
		pod_conclude(pod);
	}
	sv_kick();
}

/* The thread's sync is over: conclude every pod it covered, then start
 * the next for those that ended meanwhile. */
static void
logsync_done_cb(evutil_socket_t fd, short events, void *arg)
{
	uint64_t	 n;
	int		 err;

	if (read(done_fd, &n, sizeof n) == -1)
		return;
	pthread_mutex_lock(&lock);
	err = sync_errno;
	pthread_mutex_unlock(&lock);
	logsync_conclude(err);
	logsync_start();
}

/* Before a re-exec: wait for the sync under way, then make every other
 * pending exit entry durable now, and conclude all their pods, so that
 * none is handed over half concluded (its runtime reaped, its end not
 * yet told). */
void
logsync_drain(void)
{
	struct pollfd	 pfd = { .events = POLLIN };
	uint64_t	 n;

	if (done_ev == NULL)
		return;
	if (running) {
		pfd.fd = done_fd;
		while (poll(&pfd, 1, -1) == -1 && errno == EINTR)
			;
		logsync_done_cb(done_fd, EV_READ, NULL);
	}
	if (running) {			/* the next batch, just started */
		while (poll(&pfd, 1, -1) == -1 && errno == EINTR)
			;
		if (read(done_fd, &n, sizeof n) == -1)
			log_warn("the sync thread's eventfd");
		pthread_mutex_lock(&lock);
		n = (uint64_t)sync_errno;
		pthread_mutex_unlock(&lock);
		logsync_conclude((int)n);
	}
}

/* Start a sync for the waiting pods, unless one is under way. */
static void
logsync_start(void)
{
	struct pod	*pod;
	uint64_t	 id;

	if (running || TAILQ_EMPTY(&waiting))
		return;
	id = TAILQ_NEXT(TAILQ_FIRST(&waiting), sync_entry) == NULL ?
	    TAILQ_FIRST(&waiting)->id : 0;
	if (fault_before_sync) {
		/* Test hook: die as a crash would, the runtimes' commits
		 * made and not yet synced or reported. */
		log_warnx("fault injection: killed before syncing %s",
		    sv.state_dir);
		raise(SIGKILL);
	}
	while ((pod = TAILQ_FIRST(&waiting)) != NULL) {
		TAILQ_REMOVE(&waiting, pod, sync_entry);
		TAILQ_INSERT_TAIL(&syncing, pod, sync_entry);
		pod->log_sync = LOGSYNC_SYNCING;
	}
	running = true;
	pthread_mutex_lock(&lock);
	requested = true;
	only_pod = id;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
}

/* The pod's runtime is gone, its last entries committed and not synced:
 * it concludes after the next sync. */
void
logsync_add(struct pod *pod)
{
	TAILQ_INSERT_TAIL(&waiting, pod, sync_entry);
	pod->log_sync = LOGSYNC_WAITING;
	logsync_start();
}

/* A pod being freed (at exit) leaves the queues. */
void
logsync_forget(struct pod *pod)
{
	if (pod->log_sync == LOGSYNC_WAITING)
		TAILQ_REMOVE(&waiting, pod, sync_entry);
	else if (pod->log_sync == LOGSYNC_SYNCING)
		TAILQ_REMOVE(&syncing, pod, sync_entry);
	pod->log_sync = LOGSYNC_NONE;
}

/* The group commit's counters, for /metrics. */
void
logsync_metrics(struct evbuffer *b)
{
	evbuffer_add_printf(b, "# HELP podvisor_exit_syncs_total Syncs of "
	    "the state directory that made pods' exit entries durable.\n"
	    "# TYPE podvisor_exit_syncs_total counter\n"
	    "podvisor_exit_syncs_total %" PRIu64 "\n"
	    "# HELP podvisor_exit_synced_pods_total Pods whose exit entry "
	    "those syncs made durable.\n"
	    "# TYPE podvisor_exit_synced_pods_total counter\n"
	    "podvisor_exit_synced_pods_total %" PRIu64 "\n", nsyncs, nsynced);
}

/* Open the state directory and start the thread, with every signal
 * blocked in it: they are the loop's. */
int
logsync_init(char *cause, size_t len)
{
	sigset_t	 all, old;
	const char	*fault = getenv("PODVISOR_FAULT");
	int		 rc;

	fault_before_sync = fault != NULL && strcmp(fault, "before-sync") == 0;
	if ((dir_fd = open(sv.state_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return (snprintf(cause, len, "cannot open %s: %s",
		    sv.state_dir, strerror(errno)), -1);
	if ((done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return (snprintf(cause, len, "eventfd: %s", strerror(errno)),
		    -1);
	done_ev = event_new(sv.base, done_fd, EV_READ | EV_PERSIST,
	    logsync_done_cb, NULL);
	if (done_ev == NULL || event_add(done_ev, NULL) == -1)
		return (snprintf(cause, len, "cannot watch the sync's "
		    "eventfd"), -1);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&thread, NULL, logsync_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return (snprintf(cause, len, "cannot start the sync thread: "
		    "%s", strerror(rc)), -1);
	return (0);
}

/* At exit: stop the thread (after the sync it may be running). */
void
logsync_free(void)
{
	if (done_ev == NULL)
		return;
	pthread_mutex_lock(&lock);
	quit = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	event_free(done_ev);
	done_ev = NULL;
	close(done_fd);
	close(dir_fd);
}
