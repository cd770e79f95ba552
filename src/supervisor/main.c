/*
 * podvisord: start-up, the single-instance locks, signals, readiness and
 * shutdown.  Everything after start-up happens in one libevent loop.
 */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "supervisor.h"

static struct event	*pass_ev;	/* the end-of-pass work */

static void	sv_maybe_exit(void);
static void	use_log_file(void);

struct supervisor	sv;
static int		ready_fd = -1;	/* --daemonize: tells the parent */
static int		log_fd = -1;	/* --log-file, until it is stderr */
static bool		check_mode;	/* --check */

static const char usage[] =
    "usage: podvisord [--socket PATH] [--state-dir DIR] [--daemonize] "
    "[--max-pods N]\n"
    "                 [--cancel-grace DUR] [--term-grace DUR] "
    "[--socket-group GROUP]\n"
    "                 [--keep-terminal N] [--keep-terminal-for DUR] "
    "[--log-max SIZE]\n"
    "                 [--log-level LEVEL] [--log-file FILE]\n"
    "                 [--http ADDR]... [--http-token-file FILE] "
    "[--http-allow-remote]\n"
    "                 [--webhook URL]... [--webhook-events terminal|all]\n"
    "                 [--webhook-secret-file FILE] [--webhook-max-age DUR]\n"
    "                 [--webhook-max-pending N] [--check] [--version]\n";

/* Start-up failed: say why (to the waiting parent too) and exit 1. */
static void __attribute__((noreturn))
startup_fail(const char *cause)
{
	if (ready_fd != -1)
		dprintf(ready_fd, "%s", cause);
	fprintf(stderr, "podvisord: %s\n", cause);
	exit(1);
}

/* Take an exclusive lock on path, or say who holds it. */
static int
take_lock(const char *path, const char *what, char *cause, size_t len)
{
	char	pid[32] = "";
	int	fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		return (snprintf(cause, len, "cannot open %s: %s", path,
		    strerror(errno)), -1);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (read(fd, pid, sizeof pid - 1) <= 0)
			strcpy(pid, "?");
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		return (snprintf(cause, len, "another podvisord (pid %s) "
		    "already uses %s", pid, what), -1);
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%d\n", (int)getpid());
	return (fd);
}

/* Remove a socket file left by a dead daemon; refuse a live one. */
static int
clear_stale_socket(char *cause, size_t len)
{
	struct sockaddr_un	sun;
	int			fd, rc;

	if (access(sv.socket_path, F_OK) == -1)
		return (0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sv.socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0)
		return (snprintf(cause, len, "another podvisord answers on %s",
		    sv.socket_path), -1);
	unlink(sv.socket_path);
	return (0);
}

/* Find the pod runtime: beside our own binary (a build tree), else in
 * libexec. */
static void
find_runtime(void)
{
	char	self[PATH_MAX];
	ssize_t	n;

	if (sv.runtime_path[0] != '\0')
		return;
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		snprintf(sv.runtime_path, sizeof sv.runtime_path,
		    "%s/podvisor-pod", dirname(self));
		if (access(sv.runtime_path, X_OK) == 0)
			return;
	}
	snprintf(sv.runtime_path, sizeof sv.runtime_path,
	    "%s/podvisor-pod", LIBEXECDIR);
}

/* Make a path absolute against the current directory. */
static void
absolutize(char *path, size_t len)
{
	char	cwd[PATH_MAX], *copy;

	if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return;
	copy = xstrdup(path);
	snprintf(path, len, "%s/%s", cwd, copy);
	free(copy);
}

/* Parse a duration option or exit with usage status. */
static int64_t
duration_arg(const char *opt, const char *s)
{
	char	cause[256];
	int64_t	ms;

	if (parse_duration(s, &ms, cause, sizeof cause) == -1) {
		fprintf(stderr, "podvisord: %s: %s\n", opt, cause);
		exit(2);
	}
	return (ms);
}

/* Parse a count option (1 to max) or exit with usage status. */
static unsigned
count_arg(const char *opt, const char *s, long max)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || end == s || n < 1 || n > max) {
		fprintf(stderr, "podvisord: %s: invalid number '%s' (1 to "
		    "%ld)\n", opt, s, max);
		exit(2);
	}
	return ((unsigned)n);
}

/* --socket-group: a group name or number that must exist. */
static void
socket_group_arg(const char *s)
{
	struct group	*gr;
	char		*end;
	unsigned long	 n;

	if ((gr = getgrnam(s)) != NULL)
		sv.socket_gid = gr->gr_gid;
	else {
		errno = 0;
		n = strtoul(s, &end, 10);
		if (errno || *end || end == s || n >= (gid_t)-1) {
			fprintf(stderr, "podvisord: --socket-group: no such "
			    "group '%s'\n", s);
			exit(2);
		}
		sv.socket_gid = (gid_t)n;
	}
	sv.socket_group_set = true;
}

/* --log-max: a size, 0 for no cap. */
static void
log_max_arg(const char *s)
{
	char	cause[256];

	if (parse_size(s, &sv.log_max, cause, sizeof cause) == -1) {
		fprintf(stderr, "podvisord: --log-max: %s\n", cause);
		exit(2);
	}
	if (sv.log_max != 0 && sv.log_max < LOG_MAX_MIN) {
		fprintf(stderr, "podvisord: --log-max: %s is below the "
		    "minimum of 64K (0 means no cap)\n", s);
		exit(2);
	}
}

/* --log-map-size: for testing a full log; the runtimes get it as is. */
static void
log_map_size_arg(const char *s)
{
	char		cause[256];
	uint64_t	size;

	if (parse_size(s, &size, cause, sizeof cause) == -1) {
		fprintf(stderr, "podvisord: --log-map-size: %s\n", cause);
		exit(2);
	}
	if (size < 65536) {
		fprintf(stderr, "podvisord: --log-map-size: at least 64K\n");
		exit(2);
	}
	sv.log_map_size = s;
}

/* --webhook-events terminal|all */
static void
webhook_events_arg(const char *s)
{
	if (strcmp(s, "all") == 0)
		sv.webhook_all = true;
	else if (strcmp(s, "terminal") == 0)
		sv.webhook_all = false;
	else {
		fprintf(stderr, "podvisord: --webhook-events: use terminal or "
		    "all, not '%s'\n", s);
		exit(2);
	}
	sv.webhook_options = true;
}

/* The --webhook options, but for the URLs; returns whether ch was one. */
static bool
webhook_option(int ch, const char *arg)
{
	switch (ch) {
	case 'W':
		sv.webhooks = xreallocarray(sv.webhooks, sv.nwebhooks + 1,
		    sizeof *sv.webhooks);
		sv.webhooks[sv.nwebhooks++] = (char *)arg;
		return (true);
	case 'E':
		webhook_events_arg(arg);
		return (true);
	case 'X':
		sv.webhook_secret_file = arg;
		return (true);
	case 'A':
		if ((sv.webhook_max_age_ms = duration_arg("--webhook-max-age",
		    arg)) <= 0) {
			fprintf(stderr, "podvisord: --webhook-max-age: must be "
			    "more than 0\n");
			exit(2);
		}
		sv.webhook_options = true;
		return (true);
	case 'P':
		sv.webhook_max_pending = count_arg("--webhook-max-pending", arg,
		    10000000);
		sv.webhook_options = true;
		return (true);
	}
	return (false);
}

/* The --webhook options make sense together: else a usage error. */
static void
check_webhooks(void)
{
	char	cause[1024];

	if (webhook_configure(cause, sizeof cause) == -1) {
		fprintf(stderr, "podvisord: %s\n", cause);
		exit(2);
	}
}

/* Command-line options into sv. */
static void
parse_options(int argc, char **argv, bool *daemonize)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "daemonize", no_argument, NULL, 'D' },
		{ "max-pods", required_argument, NULL, 'm' },
		{ "cancel-grace", required_argument, NULL, 'c' },
		{ "term-grace", required_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "log-map-size", required_argument, NULL, 'M' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "keep-terminal", required_argument, NULL, 'k' },
		{ "keep-terminal-for", required_argument, NULL, 'K' },
		{ "log-max", required_argument, NULL, 'L' },
		{ "log-file", required_argument, NULL, 'F' },
		{ "http", required_argument, NULL, 'H' },
		{ "http-token-file", required_argument, NULL, 'T' },
		{ "http-allow-remote", no_argument, NULL, 'R' },
		{ "webhook", required_argument, NULL, 'W' },
		{ "webhook-events", required_argument, NULL, 'E' },
		{ "webhook-secret-file", required_argument, NULL, 'X' },
		{ "webhook-max-age", required_argument, NULL, 'A' },
		{ "webhook-max-pending", required_argument, NULL, 'P' },
		{ "check", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch, level = LOG_LEVEL_INFO;

	while ((ch = getopt_long(argc, argv, "S:h", longopts, NULL)) != -1) {
		if (webhook_option(ch, optarg))
			continue;
		switch (ch) {
		case 'S':
			snprintf(sv.socket_path, sizeof sv.socket_path, "%s",
			    optarg);
			break;
		case 'd':
			snprintf(sv.state_dir, sizeof sv.state_dir, "%s",
			    optarg);
			break;
		case 'D':
			*daemonize = true;
			break;
		case 'm':
			sv.max_pods = count_arg("--max-pods", optarg, 1000000);
			break;
		case 'g':
			socket_group_arg(optarg);
			break;
		case 'k':
			sv.keep_terminal = count_arg("--keep-terminal", optarg,
			    100000000);
			break;
		case 'K':
			sv.keep_terminal_ms = duration_arg("--keep-terminal-for",
			    optarg);
			break;
		case 'L':
			log_max_arg(optarg);
			break;
		case 'F':
			sv.log_file = optarg;
			break;
		case 'H':
			sv.http = xreallocarray(sv.http, sv.nhttp + 1,
			    sizeof *sv.http);
			sv.http[sv.nhttp++] = optarg;
			break;
		case 'T':
			sv.http_token_file = optarg;
			break;
		case 'R':
			sv.http_allow_remote = true;
			break;
		case 'c':
			sv.cancel_grace_ms = duration_arg("--cancel-grace",
			    optarg);
			break;
		case 't':
			sv.term_grace_ms = duration_arg("--term-grace", optarg);
			break;
		case 'l':
			sv.log_level = optarg;
			if ((level = log_level_parse(optarg)) == -1) {
				fprintf(stderr, "podvisord: --log-level: use "
				    "error, warn, info or debug\n");
				exit(2);
			}
			break;
		case 'M':
			log_map_size_arg(optarg);
			break;
		case 'r':
			snprintf(sv.runtime_path, sizeof sv.runtime_path, "%s",
			    optarg);
			break;
		case 'C':
			check_mode = true;
			break;
		case 'V':
			printf("podvisord %s\n", PACKAGE_VERSION_STR);
			exit(0);
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "podvisord: unexpected argument '%s'\n%s",
		    argv[optind], usage);
		exit(2);
	}
	log_init("podvisord", level);
	check_webhooks();
}

/* Each pod holds one descriptor here: take what the hard limit allows.
 * Workloads get the soft limit we started with back (select() users
 * break above 1024). */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	sv.nofile_soft = WIRE_NONE;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur != RLIM_INFINITY)
		sv.nofile_soft = (int64_t)rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("cannot raise the descriptor limit");
			getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (rl.rlim_cur < sv.max_pods + 64)
		log_warnx("the descriptor limit (%llu) is below --max-pods",
		    (unsigned long long)rl.rlim_cur);
}

/* Fill in the defaults the options left. */
static void
apply_defaults(void)
{
	struct group	*gr;
	char		 cause[256];

	if (sv.socket_path[0] == '\0' &&
	    default_socket_path(sv.socket_path, sizeof sv.socket_path) == -1)
		startup_fail("cannot work out the default socket path");
	if (sv.state_dir[0] == '\0' &&
	    default_state_dir(sv.state_dir, sizeof sv.state_dir) == -1)
		startup_fail("cannot work out the default state directory");
	absolutize(sv.socket_path, sizeof sv.socket_path);
	absolutize(sv.state_dir, sizeof sv.state_dir);
	if (sv.uid == 0 && !sv.socket_group_set &&
	    (gr = getgrnam(SOCKET_GROUP)) != NULL) {
		sv.socket_gid = gr->gr_gid;
		sv.socket_group_set = true;
	}
	find_runtime();
	if (access(sv.runtime_path, X_OK) == -1) {
		snprintf(cause, sizeof cause, "cannot run the pod runtime %s: "
		    "%s", sv.runtime_path, strerror(errno));
		startup_fail(cause);
	}
}

/* Fork; the parent exits once the child says it serves (or why not). */
static void
daemonize(void)
{
	char	buf[512];
	int	p[2];
	ssize_t	n;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		close(p[0]);
		ready_fd = p[1];
		setsid();
		use_log_file();
		return;
	default:
		close(p[1]);
		n = read(p[0], buf, sizeof buf - 1);
		if (n == 2 && memcmp(buf, "ok", 2) == 0)
			exit(0);
		/* The child printed its reason on its stderr, which is ours
		 * unless it is the --log-file. */
		if (sv.log_file != NULL && n > 0)
			fprintf(stderr, "podvisord: %.*s\n", (int)n, buf);
		exit(1);
	}
}

/* A directory we keep our socket or state in must be ours (or root's),
 * and nobody else may replace what is in it. */
static void
check_dir_owner(const char *dir, const char *what)
{
	struct stat	sb;
	char		cause[PATH_MAX + 128];

	if (stat(dir, &sb) == -1) {
		snprintf(cause, sizeof cause, "cannot use %s as the %s: %s",
		    dir, what, strerror(errno));
		startup_fail(cause);
	}
	if (sb.st_uid != sv.uid && sb.st_uid != 0) {
		snprintf(cause, sizeof cause, "the %s %s belongs to uid %u, "
		    "not to us (uid %u)", what, dir, (unsigned)sb.st_uid,
		    (unsigned)sv.uid);
		startup_fail(cause);
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (sb.st_mode & S_ISVTX) == 0) {
		snprintf(cause, sizeof cause, "the %s %s is writable by "
		    "others: chmod go-w it", what, dir);
		startup_fail(cause);
	}
}

/* The state directory's and the socket's locks, and the socket path
 * cleared; a re-executed program has them already (reexec.c). */
static void
take_locks(void)
{
	char	cause[1024], lock[PATH_MAX + 16];
	int	fd;

	if (reexec_handed_over())
		return;
	snprintf(lock, sizeof lock, "%s/podvisord.lock", sv.state_dir);
	if ((fd = take_lock(lock, sv.state_dir, cause, sizeof cause)) == -1)
		startup_fail(cause);
	reexec_note_lock(0, fd);
	snprintf(lock, sizeof lock, "%s.lock", sv.socket_path);
	if ((fd = take_lock(lock, sv.socket_path, cause, sizeof cause)) == -1)
		startup_fail(cause);
	reexec_note_lock(1, fd);
	if (clear_stale_socket(cause, sizeof cause) == -1)
		startup_fail(cause);
}

/* --check: could this program take over the state directory?  Its
 * registry opens read-only and every record decodes; exit 0, else 1 with
 * the reason.  Nothing is locked, bound or changed. */
static void __attribute__((noreturn))
check_only(void)
{
	const char	*why;
	char		 cause[1024];

	if ((why = reexec_check_compatible()) != NULL) {
		fprintf(stderr, "podvisord: check: %s\n", why);
		exit(1);
	}
	if (registry_check(cause, sizeof cause) == -1) {
		fprintf(stderr, "podvisord: check: %s\n", cause);
		exit(1);
	}
	exit(0);
}

/* Directories, locks, registry and socket; fails with a reason. */
static void
startup(void)
{
	char	cause[1024], dir[PATH_MAX];

	if (mkdir_p(sv.state_dir, 0700) == -1) {
		snprintf(cause, sizeof cause, "cannot create the state "
		    "directory %s: %s", sv.state_dir, strerror(errno));
		startup_fail(cause);
	}
	check_dir_owner(sv.state_dir, "state directory");
	/* Others reach a group socket through its directory. */
	snprintf(dir, sizeof dir, "%s", sv.socket_path);
	if (mkdir_p(dirname(dir), sv.uid == 0 || sv.socket_group_set ?
	    0755 : 0700) == -1) {
		snprintf(cause, sizeof cause, "cannot create the socket's "
		    "directory for %s: %s", sv.socket_path, strerror(errno));
		startup_fail(cause);
	}
	check_dir_owner(dir, "socket directory");
	take_locks();
	snprintf(dir, sizeof dir, "%s/pods", sv.state_dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(cause, sizeof cause, "cannot create %s: %s", dir,
		    strerror(errno));
		startup_fail(cause);
	}
	if (webhook_start(cause, sizeof cause) == -1)
		startup_fail(cause);
	if (registry_open(cause, sizeof cause) == -1)
		startup_fail(cause);
	if (logsync_init(cause, sizeof cause) == -1)
		startup_fail(cause);
	webhook_resume();
	if (control_listen(cause, sizeof cause) == -1)
		startup_fail(cause);
	if (http_start(cause, sizeof cause) == -1)
		startup_fail(cause);
	reexec_adopted();
}

/* We serve: tell whoever waits for it. */
static void
announce_ready(void)
{
	int	fd;

	sv_notify_systemd("READY=1");
	log_info("serving on %s (state in %s)", sv.socket_path, sv.state_dir);
	if (ready_fd == -1)
		return;
	write(ready_fd, "ok", 2);
	close(ready_fd);
	ready_fd = -1;
	/* Detach from the terminal; what we say from now on goes to the
	 * --log-file (already our stderr), else to syslog, never nowhere. */
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (sv.log_file == NULL)
			dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (sv.log_file == NULL) {
		sv.log_syslog = true;
		log_to_syslog();
	}
}

/* Re-executed: the same process, detached already if it was, with its
 * stderr the --log-file already; a daemon without one logs to syslog. */
static void
adopt_logging(bool was_daemon)
{
	if (was_daemon && sv.log_file == NULL) {
		sv.log_syslog = true;
		log_to_syslog();
	}
}

/* --log-file: open it now, so that a bad one is a usage error. */
static void
open_log_file(void)
{
	if (sv.log_file == NULL)
		return;
	if ((log_fd = open(sv.log_file, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "podvisord: --log-file: cannot open %s: %s\n",
		    sv.log_file, strerror(errno));
		exit(2);
	}
}

/* Our stderr, and the runtimes' (they inherit it), goes to the end of
 * the --log-file from now on. */
static void
use_log_file(void)
{
	if (log_fd == -1)
		return;
	if (dup2(log_fd, 2) == -1)
		fatal("dup2");
	close(log_fd);
	log_fd = -1;
}

/* SIGTERM, SIGINT: stop every pod (reason shutdown), then exit. */
static void
shutdown_cb(int sig, short events, void *arg)
{
	if (sv.shutting_down) {
		log_info("%s again: still stopping %zu pods; their graces are "
		    "not shortened", signal_name(sig), podtab_live_count());
		return;
	}
	sv.shutting_down = true;
	log_info("%s: stopping %zu pods", signal_name(sig),
	    podtab_live_count());
	sv_notify_systemd("STOPPING=1");
	stop_all("shutdown");
	sv_kick();
}

/* Have the end-of-pass work run once this loop pass is over. */
void
sv_kick(void)
{
	if (pass_ev != NULL)
		event_active(pass_ev, EV_TIMEOUT, 0);
}

/*
 * The end of a loop pass in which something changed (as tmux's
 * proc_loop runs its loop callback): persist every change in one
 * transaction, kill what dead runtimes left, then tell whoever waits, and
 * only then let retention remove the terminal pods they were told about.
 */
static void
sv_pass(int fd, short events, void *arg)
{
	journal_write_pending();
	registry_flush();
	strays_sweep();
	waiters_check();
	retention_check();
	sv_maybe_exit();
}

/* During shutdown, leave the loop once every pod is terminal and every
 * closing runtime reaped (none is left orphaned; reap.c bounds the wait),
 * and the webhook events being sent are through, for a moment at most. */
static void
sv_maybe_exit(void)
{
	if (sv.shutting_down && podtab_live_count() == 0 &&
	    closing_count() == 0 && !webhook_draining())
		event_base_loopexit(sv.base, NULL);
}

/* SIGUSR2: re-execute the installed program in place (reexec.c). */
static void
reexec_cb(int sig, short events, void *arg)
{
	log_info("SIGUSR2: re-executing");
	reexec_request(NULL);
}

/* SIGCHLD. */
static void
sigchld_cb(int sig, short events, void *arg)
{
	sv_reap_children();
}

/* Free every pod (valgrind should see nothing lost). */
static void
free_pods(void)
{
	struct pod	*pod;

	/* Newest first: a child is always newer than its parent. */
	while (podtab_count() > 0) {
		pod = podtab_at(podtab_count() - 1);
		podtab_remove(pod);
		pod_free(pod);
	}
}

/* What the previous program blocked across its exec comes now, to the
 * loop's handlers. */
static void
unblock_signals(void)
{
	sigset_t	set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int
main(int argc, char **argv)
{
	struct event	*ev_term, *ev_int, *ev_chld, *ev_usr2;
	sigset_t	 late;
	bool		 want_daemon = false;

	/* SIGUSR2 would kill us until the loop handles it (unblock_signals). */
	sigemptyset(&late);
	sigaddset(&late, SIGUSR2);
	sigprocmask(SIG_BLOCK, &late, NULL);
	sv.uid = geteuid();
	sv.max_pods = 4096;
	sv.log_level = "info";
	sv.cancel_grace_ms = 10000;
	sv.term_grace_ms = 5000;
	sv.log_max = LOG_MAX_DEFAULT;
	sv.webhook_max_age_ms = 24 * 3600 * 1000;
	sv.webhook_max_pending = 10000;
	log_init("podvisord", LOG_LEVEL_INFO);
	reexec_init(argc, argv);
	parse_options(argc, argv, &want_daemon);
	if (check_mode) {
		apply_defaults();
		check_only();
	}
	reexec_load();
	if (reexec_handed_over())
		adopt_logging(want_daemon);
	else
		open_log_file();
	apply_defaults();
	raise_nofile();
	if (want_daemon && !reexec_handed_over())
		daemonize();
	else
		use_log_file();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("cannot become a subreaper");
	if ((sv.base = event_base_new()) == NULL ||
	    (pass_ev = event_new(sv.base, -1, 0, sv_pass, NULL)) == NULL)
		startup_fail("cannot create the event loop");
	launch_init();
	startup();
	retention_start();
	ev_term = evsignal_new(sv.base, SIGTERM, shutdown_cb, NULL);
	ev_int = evsignal_new(sv.base, SIGINT, shutdown_cb, NULL);
	ev_chld = evsignal_new(sv.base, SIGCHLD, sigchld_cb, NULL);
	ev_usr2 = evsignal_new(sv.base, SIGUSR2, reexec_cb, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_chld, NULL);
	evsignal_add(ev_usr2, NULL);
	unblock_signals();
	announce_ready();
	sv_reap_children();	/* anything that exited before we listened */
	event_base_dispatch(sv.base);

	/* Freeing the signal events below restores the default actions: a
	 * late SIGTERM must not kill us halfway through a clean exit. */
	sigemptyset(&late);
	sigaddset(&late, SIGTERM);
	sigaddset(&late, SIGINT);
	sigprocmask(SIG_BLOCK, &late, NULL);
	log_info("all pods stopped; exiting");
	control_close();
	http_stop();
	webhook_stop();
	registry_close();
	webhook_free();
	retention_close();
	clients_free();
	logsync_free();
	free(sv.http);
	free(sv.webhooks);
	free_pods();
	closing_free();
	launch_free();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_chld);
	event_free(ev_usr2);
	reexec_free();
	event_free(pass_ev);
	event_base_free(sv.base);
	return (0);
}
