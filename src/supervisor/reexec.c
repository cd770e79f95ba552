/*
 * Re-executing podvisord in place (SIGUSR2, podctl reexec, systemctl
 * reload): the installed program is first run as `podvisord --check ...`,
 * a child bounded by a deadline; if it exits 0, this process execs it
 * with the same argv, keeping open what the new program takes over: the
 * two locks, the control socket, every --http listener and one channel
 * per live pod.  A handover record, a memfd named by PODVISORD_HANDOVER,
 * says which descriptor is what, and carries what the registry does not
 * keep: each pod's phase, timers (as CLOCK_MONOTONIC deadlines, which an
 * exec does not move), lifecycle entries in flight, pending notifies and
 * the bytes of a partial frame, and the closing runtimes (reap.c), which
 * stay our children across the exec and are reaped, killed and waited
 * for by the new program as by the old.  Everything else is reread from
 * the registry.  If anything fails, the old program logs why and serves
 * on.
 *
 * The record is lines of space-separated fields:
 *
 *   podvisord-handover 2
 *   locks FD FD
 *   control FD
 *   http FD                    (one per --http, in order)
 *   pod ID FD HELLO PHASE STOP PAUSE FROZEN STAGE OWN RTIMER TIMEOUT
 *       TLEFT HEARTBEAT APICANCEL EXTENDED REAPED RSTATUS OUTCOME INPUT
 *   journal ID SENT KIND HEX
 *   sends ID N
 *   closing PID ID DEADLINE KILLED
 *   end
 *
 * Times are mono ms (0: none), INPUT and HEX are hex ("-": empty).
 * Version 1, of the programs before closing runtimes, is read too: it
 * has no closing lines, and hands over a pod that said `exited` with
 * its channel, which concludes as it did then, at reaping.
 */
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "supervisor.h"

#define REEXEC_ENV		"PODVISORD_HANDOVER"
#define REEXEC_VERSION		"2"	/* of the record below */
#define REEXEC_VERSION_OLD	"1"	/* read too */
#define REEXEC_CHECK_MS		10000	/* the new program's check */
#define REEXEC_FLUSH_MS		2000	/* runtimes read what we queued */
#define REEXEC_SETTLE_TRIES	50	/* passes of 20 ms for peers to settle */

/* A lifecycle entry handed over: sent to the runtime (to be
 * acknowledged) or still queued. */
struct hjournal {
	bool		 sent;
	int		 kind;
	char		*text;
};

/* What the old program handed over about one pod. */
struct hpod {
	uint64_t	 id;
	int		 fd;
	bool		 hello;
	int		 phase;
	bool		 stop_wanted;
	bool		 pause_wanted;
	bool		 frozen;
	int64_t		 stage, own, rtimer, timeout, tleft, heartbeat;
	bool		 api_cancel;
	int64_t		 extended;
	bool		 reaped;
	int		 rstatus;
	int		 outcome;
	uint8_t		*in;
	size_t		 inlen;
	uint64_t	 sends;
	struct hjournal	*journal;
	size_t		 njournal;
	bool		 used;
};

/* A closing runtime handed over (reap.c). */
struct hclosing {
	pid_t		 pid;
	uint64_t	 id;
	int64_t		 deadline;
	bool		 killed;
};

static char		  program[PATH_MAX];	/* as installed, absolute */
static char		**saved_argv;
static int		  saved_argc;

static pid_t		  check_pid = -1;
static bool		  check_timed_out;
static struct event	 *check_ev;	/* the check's deadline */
static struct event	 *exec_ev;	/* the exec, from the loop */
static int		  settle_tries;
static struct client	**waiting;	/* podctl reexec clients */
static size_t		  nwaiting;

static int		  lock_fds[2] = { -1, -1 };
static int		  control_fd = -1;
static int		 *http_fds;
static size_t		  nhttp_fds;
static struct hpod	 *hpods;
static size_t		  nhpods;
static struct hclosing	 *hclosings;	/* closing runtimes handed over */
static size_t		  nhclosings;
static bool		  handed_over;
static bool		 *inherited;	/* by descriptor: we were started
					   with it */
static int		  ninherited;

static void	note_inherited(void);
static void	forget_inherited(int);

static void	reexec_check_cb(int, short, void *);
static void	reexec_exec_cb(int, short, void *);

/* Find a program name the way execvp would, into buf; false if not. */
static bool
search_path(const char *name, char *buf, size_t len)
{
	const char	*path = getenv("PATH"), *p, *colon;

	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = colon) {
		if ((colon = strchr(p, ':')) == NULL)
			colon = p + strlen(p);
		snprintf(buf, len, "%.*s/%s", (int)(colon - p), p, name);
		if (*colon == ':')
			colon++;
		if (buf[0] == '/' && access(buf, X_OK) == 0)
			return (true);
	}
	return (false);
}

/* At start-up: note argv and the program's path as installed (argv[0]
 * made absolute, never /proc/self/exe, which an upgrade leaves pointing
 * at the deleted file). */
void
reexec_init(int argc, char **argv)
{
	char	cwd[PATH_MAX];

	saved_argc = argc;
	saved_argv = argv;
	note_inherited();
	if (strchr(argv[0], '/') == NULL) {
		if (!search_path(argv[0], program, sizeof program))
			program[0] = '\0';
	} else if (argv[0][0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		snprintf(program, sizeof program, "%s", argv[0]);
	else
		snprintf(program, sizeof program, "%s/%s", cwd, argv[0]);
}

/* Tell the podctl reexec clients waiting that it failed, and why. */
static void
reexec_failed(const char *fmt, ...)
{
	char	why[512];
	va_list	ap;
	size_t	i;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	log_warnx("re-exec: %s; serving on", why);
	for (i = 0; i < nwaiting; i++)
		client_reply_error(waiting[i], ERR_FAILED, "%s; podvisord "
		    "serves on unchanged", why);
	free(waiting);
	waiting = NULL;
	nwaiting = 0;
	sv_notify_systemd("READY=1");
}

/* A podctl reexec client left: forget it. */
void
reexec_forget_client(struct client *c)
{
	size_t	i;

	for (i = 0; i < nwaiting; i++) {
		if (waiting[i] == c) {
			waiting[i] = waiting[--nwaiting];
			return;
		}
	}
}

/* Is pid the check child (which the reaper and the stray sweep must
 * leave to us)? */
bool
reexec_is_check(pid_t pid)
{
	return (check_pid != -1 && pid == check_pid);
}

/* The check child: `program --check ARGS...` with the loop's signal
 * dispositions undone. */
static void __attribute__((noreturn))
reexec_check_child(void)
{
	char		**av, num[16];
	sigset_t	  none;
	int		  i, fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
	}
	/* What the new program must understand to take over. */
	setenv("PODVISORD_HANDOVER_VERSION", REEXEC_VERSION, 1);
	snprintf(num, sizeof num, "%d", PROTOCOL_VERSION);
	setenv("PODVISORD_PROTOCOL_VERSION", num, 1);
	av = xcalloc(saved_argc + 2, sizeof *av);
	av[0] = saved_argv[0];
	av[1] = "--check";
	for (i = 1; i < saved_argc; i++)
		av[i + 1] = saved_argv[i];
	execv(program, av);
	fprintf(stderr, "podvisord: cannot run %s: %s\n", program,
	    strerror(errno));
	_exit(127);
}

/* SIGUSR2 or podctl reexec (c, or NULL): check the installed program;
 * the exec follows from the loop once the check has passed. */
void
reexec_request(struct client *c)
{
	struct timeval	tv = { REEXEC_CHECK_MS / 1000, 0 };
	char		note[64];

	if (sv.shutting_down) {
		if (c != NULL)
			client_reply_error(c, ERR_FAILED, "podvisord is "
			    "shutting down");
		log_warnx("re-exec: shutting down; not re-executing");
		return;
	}
	if (c != NULL) {
		waiting = xreallocarray(waiting, nwaiting + 1,
		    sizeof *waiting);
		waiting[nwaiting++] = c;
	}
	if (check_pid != -1 || (exec_ev != NULL &&
	    evtimer_pending(exec_ev, NULL)))
		return;		/* one is on its way: it answers c too */
	if (program[0] == '\0') {
		reexec_failed("cannot tell where the program %s is installed",
		    saved_argv[0]);
		return;
	}
	log_info("re-exec: checking %s", program);
	snprintf(note, sizeof note, "RELOADING=1\nMONOTONIC_USEC=%" PRId64,
	    mono_ms() * 1000);
	sv_notify_systemd(note);
	if (check_ev == NULL)
		check_ev = evtimer_new(sv.base, reexec_check_cb, NULL);
	check_timed_out = false;
	switch (check_pid = fork()) {
	case -1:
		check_pid = -1;
		reexec_failed("cannot fork the check: %s", strerror(errno));
		return;
	case 0:
		reexec_check_child();
	}
	evtimer_add(check_ev, &tv);
}

/* The check ran past its deadline: kill it (its reaping fails the
 * re-exec). */
static void
reexec_check_cb(int fd, short events, void *arg)
{
	if (check_pid == -1)
		return;
	check_timed_out = true;
	kill(check_pid, SIGKILL);
}

/* The reaper found the check child's end: exec if it passed. */
void
reexec_check_reaped(int status)
{
	check_pid = -1;
	evtimer_del(check_ev);
	if (check_timed_out)
		reexec_failed("%s --check did not finish in %d seconds",
		    program, REEXEC_CHECK_MS / 1000);
	else if (WIFSIGNALED(status))
		reexec_failed("%s --check died of %s", program,
		    signal_name(WTERMSIG(status)) ?
		    signal_name(WTERMSIG(status)) : "a signal");
	else if (WEXITSTATUS(status) != 0)
		reexec_failed("%s --check exited with status %d", program,
		    WEXITSTATUS(status));
	else {
		settle_tries = 0;
		if (exec_ev == NULL)
			exec_ev = evtimer_new(sv.base, reexec_exec_cb, NULL);
		event_active(exec_ev, EV_TIMEOUT, 0);
	}
}

/* Hex for the record; "-" for nothing. */
static void
put_hex(FILE *f, const void *p, size_t len)
{
	const uint8_t	*b = p;
	size_t		 i;

	if (len == 0)
		fputc('-', f);
	for (i = 0; i < len; i++)
		fprintf(f, "%02x", b[i]);
}

/* The mono ms deadline a pending timer fires at, 0 if it is not pending. */
static int64_t
timer_deadline(struct event *ev)
{
	struct timeval	tv, now;
	int64_t		ms;

	if (ev == NULL || !evtimer_pending(ev, &tv))
		return (0);
	/* libevent reports it on the wall clock. */
	gettimeofday(&now, NULL);
	ms = ((int64_t)tv.tv_sec - now.tv_sec) * 1000 +
	    ((int64_t)tv.tv_usec - now.tv_usec) / 1000;
	return (mono_ms() + (ms > 0 ? ms : 0));
}

/* One live pod's line, its journal and its pending sends; its channel
 * descriptor in *fdp (-1: none). */
static void
write_pod(FILE *f, struct pod *pod, int *fdp)
{
	void	*in = NULL;
	size_t	 inlen = 0, n = 0;
	int	 fd = -1;

	if (pod->peer != NULL)
		fd = peer_handover(pod->peer, &in, &inlen);
	*fdp = fd;
	fprintf(f, "pod %" PRIu64 " %d %d %d %d %d %d %" PRId64 " %" PRId64
	    " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %d %" PRId64
	    " %d %d %d ", pod->id, fd, pod->peer != NULL &&
	    peer_hello_seen(pod->peer), (int)pod->phase, pod->stop_wanted,
	    pod->pause_wanted, pod->paused_frozen, pod->stage_deadline,
	    pod->stage_own, timer_deadline(pod->runtime_timer),
	    timer_deadline(pod->timeout_timer), pod->timeout_left,
	    timer_deadline(pod->heartbeat_timer), pod->api_cancel,
	    pod->extended_ms, pod->runtime_reaped, pod->runtime_status,
	    (int)pod->outcome);
	put_hex(f, in, inlen);
	fputc('\n', f);
	free(in);
	journal_handover(pod, f);
	n = sends_count(pod);
	if (n > 0)
		fprintf(f, "sends %" PRIu64 " %zu\n", pod->id, n);
}

/* Everything the new program takes over, into a memfd; -1 on failure.
 * fds gets every descriptor to keep across the exec. */
static int
write_handover(int **fds, size_t *nfds)
{
	struct pod	*pod;
	FILE		*f;
	size_t		 i, n = 0;
	int		 mfd, fd;

	if ((mfd = memfd_create("podvisord-handover", 0)) == -1)
		return (-1);
	if ((f = fdopen(dup(mfd), "w")) == NULL) {
		close(mfd);
		return (-1);
	}
	*fds = xreallocarray(NULL, podtab_count() + sv.nhttp + 4,
	    sizeof **fds);
	(*fds)[n++] = mfd;
	fprintf(f, "podvisord-handover %s\nlocks %d %d\ncontrol %d\n",
	    REEXEC_VERSION, lock_fds[0], lock_fds[1], control_fd_get());
	(*fds)[n++] = lock_fds[0];
	(*fds)[n++] = lock_fds[1];
	(*fds)[n++] = control_fd_get();
	for (i = 0; i < sv.nhttp; i++) {
		fprintf(f, "http %d\n", (fd = http_listener_fd(i)));
		(*fds)[n++] = fd;
	}
	for (i = 0; (pod = podtab_at(i)) != NULL; i++) {
		if (POD_TERMINAL(pod))
			continue;
		write_pod(f, pod, &fd);
		if (fd != -1)
			(*fds)[n++] = fd;
	}
	closing_handover(f);
	fprintf(f, "end\n");
	if (fclose(f) != 0) {
		close(mfd);
		free(*fds);
		return (-1);
	}
	*nfds = n;
	return (mfd);
}

/* Set or clear FD_CLOEXEC on every descriptor given. */
static void
set_cloexec(int *fds, size_t n, bool on)
{
	size_t	i;
	int	fl;

	for (i = 0; i < n; i++) {
		if (fds[i] < 0 || (fl = fcntl(fds[i], F_GETFD)) == -1)
			continue;
		fcntl(fds[i], F_SETFD, on ? (fl | FD_CLOEXEC) :
		    (fl & ~FD_CLOEXEC));
	}
}

/* Every descriptor open now above stderr, by number: a map of *n. */
static bool *
open_fds(int *n)
{
	DIR		*d;
	struct dirent	*de;
	bool		*map = NULL;
	int		 fd;

	*n = 0;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return (NULL);
	while ((de = readdir(d)) != NULL) {
		if ((fd = atoi(de->d_name)) <= 2 || fd == dirfd(d))
			continue;
		if (fd >= *n) {
			map = xreallocarray(map, fd + 64, sizeof *map);
			memset(map + *n, 0, fd + 64 - *n);
			*n = fd + 64;
		}
		map[fd] = true;
	}
	closedir(d);
	return (map);
}

/* The descriptors we were started with (a service manager's, a make
 * jobserver's): never ours to close. */
static void
note_inherited(void)
{
	inherited = open_fds(&ninherited);
}

/* What was handed over is ours, not inherited. */
static void
forget_inherited(int fd)
{
	if (fd >= 0 && fd < ninherited)
		inherited[fd] = false;
}

/* Nothing but what is handed over (and what we inherited) may cross the
 * exec: some libraries (LMDB's O_DSYNC descriptor) open files without
 * FD_CLOEXEC.  Set it on every other descriptor above stderr, for good. */
static void
cloexec_others(const int *keep, size_t n)
{
	bool	*open, *kept;
	size_t	 i;
	int	 nopen, fd, fl;

	if ((open = open_fds(&nopen)) == NULL)
		return;
	kept = xcalloc(nopen > 0 ? nopen : 1, sizeof *kept);
	for (i = 0; i < n; i++) {
		if (keep[i] >= 0 && keep[i] < nopen)
			kept[keep[i]] = true;
	}
	for (fd = 3; fd < nopen; fd++) {
		if (!open[fd] || kept[fd] ||
		    (fd < ninherited && inherited[fd]))
			continue;
		if ((fl = fcntl(fd, F_GETFD)) != -1 && !(fl & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	free(kept);
	free(open);
}

/* Are the channels settled: every pod's peer live (or gone), every
 * whole frame dispatched, every change written? */
static bool
reexec_settled(char *why, size_t len)
{
	struct pod	*pod;
	size_t		 i;

	logsync_drain();	/* no pod half concluded across the exec */
	for (i = 0; (pod = podtab_at(i)) != NULL; i++) {
		if (pod->peer == NULL || POD_TERMINAL(pod))
			continue;
		if (peer_dead(pod->peer)) {
			snprintf(why, len, "pod %" PRIu64 "'s channel is "
			    "closing", pod->id);
			return (false);
		}
		if (peer_take_buffered(pod->peer) == -1 || pod->peer == NULL ||
		    peer_dead(pod->peer)) {
			snprintf(why, len, "pod %" PRIu64 "'s channel is "
			    "closing", pod->id);
			return (false);
		}
	}
	journal_write_pending();
	registry_flush();
	if (!registry_clean()) {
		snprintf(why, len, "the registry cannot be written");
		return (false);
	}
	return (true);
}

/* Flush what every runtime is owed; false with why if one does not read. */
static bool
reexec_flush(char *why, size_t len)
{
	struct pod	*pod;
	int64_t		 deadline = mono_ms() + REEXEC_FLUSH_MS;
	size_t		 i;

	for (i = 0; (pod = podtab_at(i)) != NULL; i++) {
		if (pod->log_reader != NULL) {
			seglog_close(pod->log_reader);	/* reopened on use */
			pod->log_reader = NULL;
		}
		if (pod->peer == NULL || POD_TERMINAL(pod))
			continue;
		if (peer_flush_until(pod->peer, deadline) == -1) {
			snprintf(why, len, "pod %" PRIu64 "'s runtime does not "
			    "read its channel", pod->id);
			return (false);
		}
	}
	return (true);
}

/* The exec itself, once the check passed (from the loop, so that peers
 * whose loss is due are settled first). */
static void
reexec_exec_cb(int unused, short events, void *arg)
{
	struct timeval	 tv = { 0, 20000 };
	sigset_t	 block, old;
	char		 why[256], num[16];
	int		*fds, mfd;
	size_t		 nfds;

	if (sv.shutting_down) {
		reexec_failed("shutting down");
		return;
	}
	if (!reexec_settled(why, sizeof why)) {
		if (++settle_tries < REEXEC_SETTLE_TRIES) {
			evtimer_add(exec_ev, &tv);
			return;
		}
		reexec_failed("%s", why);
		return;
	}
	if (!reexec_flush(why, sizeof why)) {
		reexec_failed("%s", why);
		return;
	}
	if ((mfd = write_handover(&fds, &nfds)) == -1) {
		reexec_failed("cannot write the handover record: %s",
		    strerror(errno));
		return;
	}
	log_info("re-exec: executing %s with %zu live pods", program,
	    podtab_live_count());
	snprintf(num, sizeof num, "%d", mfd);
	setenv(REEXEC_ENV, num, 1);
	/* Signals that come meanwhile wait for the new program's loop. */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old);
	cloexec_others(fds, nfds);
	set_cloexec(fds, nfds, false);
	execv(program, saved_argv);
	snprintf(why, sizeof why, "cannot execute %s: %s", program,
	    strerror(errno));
	set_cloexec(fds, nfds, true);
	sigprocmask(SIG_SETMASK, &old, NULL);
	unsetenv(REEXEC_ENV);
	close(mfd);
	free(fds);
	reexec_failed("%s", why);
}

/* Decode hex into a new buffer; false if it is not hex. */
static bool
get_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t	n = strlen(s), i;
	unsigned int	b;

	*out = NULL;
	*len = 0;
	if (strcmp(s, "-") == 0)
		return (true);
	if (n % 2 != 0)
		return (false);
	*out = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1) {
			free(*out);
			*out = NULL;
			return (false);
		}
		(*out)[i] = (uint8_t)b;
	}
	(*out)[n / 2] = '\0';
	*len = n / 2;
	return (true);
}

/* A pod line of the record. */
static bool
parse_pod(const char *line)
{
	struct hpod	 h;
	int		 hello, stop, pause, frozen, apic, reaped, n;
	char		*in;

	memset(&h, 0, sizeof h);
	in = xmalloc(strlen(line) + 1);
	n = sscanf(line, "pod %" SCNu64 " %d %d %d %d %d %d %" SCNd64 " %"
	    SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %d %"
	    SCNd64 " %d %d %d %s", &h.id, &h.fd, &hello, &h.phase, &stop,
	    &pause, &frozen, &h.stage, &h.own, &h.rtimer, &h.timeout, &h.tleft,
	    &h.heartbeat, &apic, &h.extended, &reaped, &h.rstatus, &h.outcome,
	    in);
	if (n != 19 || !get_hex(in, &h.in, &h.inlen)) {
		free(in);
		return (false);
	}
	free(in);
	h.hello = hello;
	h.stop_wanted = stop;
	h.pause_wanted = pause;
	h.frozen = frozen;
	h.api_cancel = apic;
	h.reaped = reaped;
	hpods = xreallocarray(hpods, nhpods + 1, sizeof *hpods);
	hpods[nhpods++] = h;
	return (true);
}

/* Order handed-over pods by id. */
static int
hpod_cmp(const void *a, const void *b)
{
	const struct hpod	*x = a, *y = b;

	return (x->id < y->id ? -1 : x->id > y->id);
}

/* The handed-over pod with this id, or NULL: while reading, the last one
 * (a journal line's pod comes right before it), then by bisection. */
static struct hpod *
hpod_find(uint64_t id)
{
	struct hpod	key;

	if (!handed_over)
		return (nhpods > 0 && hpods[nhpods - 1].id == id ?
		    &hpods[nhpods - 1] : NULL);
	key.id = id;
	return (nhpods == 0 ? NULL : bsearch(&key, hpods, nhpods,
	    sizeof *hpods, hpod_cmp));
}

/* A journal or sends line: kept with the pod, whose record comes first. */
static bool
parse_extra(char *line)
{
	struct hpod	*h;
	struct hjournal	*j;
	uint64_t	 id, n;
	uint8_t		*text;
	size_t		 len;
	char		*hex;
	int		 sent, kind;

	if (sscanf(line, "sends %" SCNu64 " %" SCNu64, &id, &n) == 2) {
		if ((h = hpod_find(id)) == NULL)
			return (false);
		h->sends = n;
		return (true);
	}
	if (sscanf(line, "journal %" SCNu64 " %d %d", &id, &sent,
	    &kind) != 3 || (hex = strrchr(line, ' ')) == NULL ||
	    (h = hpod_find(id)) == NULL || !get_hex(hex + 1, &text, &len))
		return (false);
	h->journal = xreallocarray(h->journal, h->njournal + 1,
	    sizeof *h->journal);
	j = &h->journal[h->njournal++];
	j->sent = sent;
	j->kind = kind;
	j->text = text != NULL ? (char *)text : xstrdup("");
	return (true);
}

/* A closing line of the record. */
static bool
parse_closing(const char *line)
{
	struct hclosing	 h;
	int		 pid, killed;

	if (sscanf(line, "closing %d %" SCNu64 " %" SCNd64 " %d", &pid, &h.id,
	    &h.deadline, &killed) != 4 || pid <= 1)
		return (false);
	h.pid = pid;
	h.killed = killed;
	hclosings = xreallocarray(hclosings, nhclosings + 1,
	    sizeof *hclosings);
	hclosings[nhclosings++] = h;
	return (true);
}

/* One line of the record; false if it makes no sense. */
static bool
parse_line(char *line)
{
	int	a, b;

	if (sscanf(line, "locks %d %d", &a, &b) == 2) {
		lock_fds[0] = a;
		lock_fds[1] = b;
		return (true);
	}
	if (sscanf(line, "control %d", &a) == 1) {
		control_fd = a;
		return (true);
	}
	if (sscanf(line, "http %d", &a) == 1) {
		http_fds = xreallocarray(http_fds, nhttp_fds + 1,
		    sizeof *http_fds);
		http_fds[nhttp_fds++] = a;
		return (true);
	}
	if (strncmp(line, "pod ", 4) == 0)
		return (parse_pod(line));
	if (strncmp(line, "closing ", 8) == 0)
		return (parse_closing(line));
	return (parse_extra(line));
}

/* The handed-over descriptors (and the record's, fd) are not inherited. */
static void
forget_handed(int fd)
{
	size_t	i;

	forget_inherited(fd);
	forget_inherited(lock_fds[0]);
	forget_inherited(lock_fds[1]);
	forget_inherited(control_fd);
	for (i = 0; i < nhttp_fds; i++)
		forget_inherited(http_fds[i]);
	for (i = 0; i < nhpods; i++)
		forget_inherited(hpods[i].fd);
}

/* At start-up: was this process handed over by its previous program?
 * Read the record; exits on a broken one, which only the old program
 * could have written. */
void
reexec_load(void)
{
	const char	*env = getenv(REEXEC_ENV);
	char		*line, *record = NULL, *save;
	FILE		*f;
	size_t		 len = 0;
	int		 fd;

	if (env == NULL)
		return;
	fd = atoi(env);
	unsetenv(REEXEC_ENV);
	if (fd < 3 || (f = fdopen(fd, "r")) == NULL)
		fatalx("re-exec: no handover record on fd %s", env);
	rewind(f);
	if (getdelim(&record, &len, '\0', f) == -1)
		fatalx("re-exec: cannot read the handover record");
	fclose(f);
	line = strtok_r(record, "\n", &save);
	if (line == NULL || (strcmp(line, "podvisord-handover "
	    REEXEC_VERSION) != 0 && strcmp(line, "podvisord-handover "
	    REEXEC_VERSION_OLD) != 0))
		fatalx("re-exec: not a handover record I understand");
	while ((line = strtok_r(NULL, "\n", &save)) != NULL &&
	    strcmp(line, "end") != 0) {
		if (!parse_line(line))
			fatalx("re-exec: a bad handover line: %.60s", line);
	}
	if (line == NULL)
		fatalx("re-exec: the handover record is cut short");
	free(record);
	if (nhpods > 0)
		qsort(hpods, nhpods, sizeof *hpods, hpod_cmp);
	forget_handed(fd);
	set_cloexec(lock_fds, 2, true);
	set_cloexec(&control_fd, 1, true);
	set_cloexec(http_fds, nhttp_fds, true);
	handed_over = true;
}

/* podvisord --check, run by a re-executing daemon: could this program
 * take over what it hands over?  NULL if so, else why not. */
const char *
reexec_check_compatible(void)
{
	const char	*v = getenv("PODVISORD_HANDOVER_VERSION");
	const char	*p = getenv("PODVISORD_PROTOCOL_VERSION");
	static char	 why[128];

	if (v != NULL && strcmp(v, REEXEC_VERSION) != 0 &&
	    strcmp(v, REEXEC_VERSION_OLD) != 0) {
		snprintf(why, sizeof why, "cannot read a handover record of "
		    "version %s (this program reads %s and %s)", v,
		    REEXEC_VERSION, REEXEC_VERSION_OLD);
		return (why);
	}
	if (p != NULL && atoi(p) != PROTOCOL_VERSION) {
		snprintf(why, sizeof why, "the running pod runtimes speak "
		    "protocol %s, this program %d", p, PROTOCOL_VERSION);
		return (why);
	}
	return (NULL);
}

/* Was this process handed over (then the locks and listeners are)? */
bool
reexec_handed_over(void)
{
	return (handed_over);
}

/* The lock descriptors: the ones handed over, or note the ones taken. */
int
reexec_lock_fd(int which)
{
	return (lock_fds[which]);
}

void
reexec_note_lock(int which, int fd)
{
	lock_fds[which] = fd;
}

/* The control socket handed over, or -1. */
int
reexec_control_fd(void)
{
	return (control_fd);
}

/* The i-th --http listener handed over, or -1. */
int
reexec_http_fd(size_t i)
{
	return (i < nhttp_fds ? http_fds[i] : -1);
}

/* Re-add the journal entries handed over for pod; they are its now. */
static void
adopt_journal(struct pod *pod, struct hpod *h)
{
	size_t	i;

	for (i = 0; i < h->njournal; i++) {
		journal_adopt(pod, h->journal[i].sent, h->journal[i].kind,
		    h->journal[i].text);
		h->journal[i].text = NULL;
	}
}

/* Rebuild the timers from their deadlines. */
static void
adopt_timers(struct pod *pod, struct hpod *h)
{
	int64_t	now = mono_ms();

	pod->stage_own = h->own;
	if (h->stage != 0)
		pod_rearm_stage(pod, h->stage);
	if (h->rtimer != 0)
		pod_arm_runtime_deadline(pod, h->rtimer - now);
	if (h->timeout != 0 || h->tleft != 0) {
		pod_arm_timeout(pod);
		if (pod->timeout_timer != NULL)
			evtimer_del(pod->timeout_timer);
		pod->timeout_left = h->tleft;
		if (h->timeout != 0 && pod->timeout_timer != NULL) {
			pod->timeout_at = h->timeout;
			timer_arm(pod->timeout_timer, h->timeout - now);
		}
	}
	if (h->heartbeat != 0) {
		api_arm_heartbeat(pod);
		if (pod->heartbeat_timer != NULL)
			timer_arm(pod->heartbeat_timer, h->heartbeat - now);
	}
}

/* A live pod read from the registry: take it over if the old program
 * handed it over (true), keeping its state, pids, channel and timers. */
bool
reexec_adopt(struct pod *pod)
{
	struct hpod	*h;
	char		 label[48];
	uint64_t	 i;

	if (!handed_over || (h = hpod_find(pod->id)) == NULL || h->used)
		return (false);
	h->used = true;
	pod->phase = h->phase;
	pod->stop_wanted = h->stop_wanted;
	pod->pause_wanted = h->pause_wanted;
	pod->paused_frozen = h->frozen;
	pod->api_cancel = h->api_cancel;
	pod->extended_ms = h->extended;
	pod->runtime_reaped = h->reaped;
	pod->runtime_status = h->rstatus;
	pod->outcome = h->outcome;
	if (h->fd != -1) {
		snprintf(label, sizeof label, "pod %" PRIu64, pod->id);
		pod->peer = peer_adopt(sv.base, h->fd, sv_dispatch_pod, pod,
		    label, h->hello, h->in, h->inlen);
		h->fd = -1;
	}
	adopt_timers(pod, h);
	adopt_journal(pod, h);
	for (i = 0; i < h->sends; i++)
		sends_adopt(pod);
	return (true);
}

/* After the registry is loaded: close what was handed over for pods it
 * did not have, and free the record. */
void
reexec_adopted(void)
{
	size_t	i, j;

	for (i = 0; i < nhpods; i++) {
		if (!hpods[i].used && hpods[i].fd != -1) {
			log_warnx("re-exec: pod %" PRIu64 " is not in the "
			    "registry; closing its channel", hpods[i].id);
			close(hpods[i].fd);
		}
		free(hpods[i].in);
		for (j = 0; j < hpods[i].njournal; j++)
			free(hpods[i].journal[j].text);
		free(hpods[i].journal);
	}
	free(hpods);
	hpods = NULL;
	nhpods = 0;
	/* Still our children: reaped, and killed at their deadlines, here. */
	for (i = 0; i < nhclosings; i++)
		closing_add(hclosings[i].pid, hclosings[i].id,
		    hclosings[i].deadline, hclosings[i].killed);
	free(hclosings);
	hclosings = NULL;
	nhclosings = 0;
	free(http_fds);
	http_fds = NULL;
	nhttp_fds = 0;
	if (handed_over)
		log_info("re-exec: took over from the previous program");
}

/* At exit. */
void
reexec_free(void)
{
	if (check_ev != NULL)
		event_free(check_ev);
	if (exec_ev != NULL)
		event_free(exec_ev);
	check_ev = exec_ev = NULL;
	free(waiting);
	waiting = NULL;
	nwaiting = 0;
	free(inherited);
	inherited = NULL;
	ninherited = 0;
}
