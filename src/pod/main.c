/*
 * podvisor-pod: the pod runtime.  podvisord starts one per pod, in a new
 * session, with the control channel on WIRE_POD_FD; it is not meant to be
 * run by hand.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <time.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"
#include "seglog.h"
#include "pod.h"

/* Is the channel fd a socket? Anything else means we were run by hand. */
static int
check_channel(void)
{
	struct stat	 sb;

	if (fstat(WIRE_POD_FD, &sb) == -1 || !S_ISSOCK(sb.st_mode))
		return (-1);
	return (0);
}

/* Keep 0, 1 and 2 open so that no file of ours ever lands on them. */
static void
fill_stdio(void)
{
	int	 fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		if (open("/dev/null", O_RDWR) == -1)
			_exit(1);
	}
}

uint64_t	 pod_map_size = SEGLOG_MAP_SIZE;

/* --map-size BYTES, passed on from podvisord --log-map-size. */
static void
pick_map_size(int argc, char **argv)
{
	char	cause[128];
	int	i;

	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--map-size") == 0 &&
		    parse_size(argv[i + 1], &pod_map_size, cause,
		    sizeof cause) == -1)
			fatalx("--map-size: %s", cause);
	}
}

/* --linger MS, a test hook (podvisord's PODVISOR_FAULT=linger:MS): how
 * long a finished runtime waits, its log still open, before it tears
 * down, as a slow teardown would; 0: none. */
static long
pick_linger(int argc, char **argv)
{
	int	i;

	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--linger") == 0)
			return (strtol(argv[i + 1], NULL, 10));
	}
	return (0);
}

/* The log level: --log-level LEVEL, else $PODVISOR_LOG_LEVEL, else info. */
static int
pick_log_level(int argc, char **argv)
{
	const char	*s = getenv("PODVISOR_LOG_LEVEL");
	int		 i, level;

	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--log-level") == 0)
			s = argv[i + 1];
	}
	if (s == NULL || (level = log_level_parse(s)) == -1)
		return (LOG_LEVEL_INFO);
	return (level);
}

/* Become a session leader, an orphan reaper and a quiet SIGPIPE target. */
static void
setup_process(void)
{
	int	 flags;

	if (getsid(0) != getpid() && setsid() == -1)
		log_warn("setsid");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal SIGPIPE");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		log_warn("prctl PR_SET_CHILD_SUBREAPER");
	if ((flags = fcntl(WIRE_POD_FD, F_GETFL)) == -1 ||
	    fcntl(WIRE_POD_FD, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(WIRE_POD_FD, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl channel");
}

/* Check how we were started, set up, then serve the channel until done. */
int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct runtime		 rt;
	struct timespec		 ts;
	long			 linger;
	int			 i;

	if (check_channel() == -1) {
		fprintf(stderr,
		    "podvisor-pod is started by podvisord, not by hand\n");
		return (2);
	}
	fill_stdio();
	log_init("podvisor-pod", pick_log_level(argc, argv));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--syslog") == 0)
			log_to_syslog();	/* podvisord has no stderr */
	}
	pick_map_size(argc, argv);
	linger = pick_linger(argc, argv);
	setup_process();

	if ((base = event_base_new()) == NULL)
		fatalx("cannot make an event base");
	runtime_init(&rt, base);
	rt.peer = peer_new(base, WIRE_POD_FD, pod_dispatch, &rt,
	    "podvisord");
	if (rt.peer == NULL)
		fatalx("cannot use the control channel");

	if (event_base_dispatch(base) == -1)
		fatalx("event loop failed");

	if (linger > 0 && rt.state == RT_DONE) {
		ts.tv_sec = linger / 1000;
		ts.tv_nsec = (linger % 1000) * 1000000;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	runtime_free(&rt);
	event_base_free(base);
	return (rt.exit_status);
}
