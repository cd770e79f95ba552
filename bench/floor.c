/*
 * floor: what this machine does without podvisor.  Each scenario times
 * the bare system calls (or LMDB appends) that a podvisor operation is
 * built on, so that podvisor's own figures (bench/pvbench.c) can be set
 * beside them.  One line per measured figure and run on stdout:
 *
 *	RESULT <key> <value> <unit>
 *
 * and progress on stderr.  No podvisor code is used; the lmdb and pipe
 * scenarios copy the segment log's layout (src/pod/seglog.c) and the pod
 * runtime's read loop (workload_read in src/pod/workload.c), constants
 * included, so that the comparison is fair.
 *
 *	floor [-r RUNS] [-s SIZE_MB] [SCENARIO...]	(none: all)
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FORKEXEC_OPS	200
#define KILLREAP_OPS	100
#define PGKILL_KIDS	1000
#define SOCKPAIR_OPS	10000
#define SOCKPAIR_MSG	64
#define LMDB_SYNCED	1000		/* one synced commit each */
#define LMDB_BATCHED	100000
#define LMDB_BATCH	1000		/* appends per commit */
#define LMDB_DATA	100		/* data bytes per append */
#define PODLOG_OPS	100		/* pod logs made, used and closed */
#define PODEND_ONE_OPS	20		/* podend 1: single ends, averaged */
#define LINE_LEN	100		/* pipe: one write() per line */

/* As the pod runtime has them (src/pod/pod.h, src/pod/seglog.h). */
#define SEG_MAP_SIZE	(4ULL << 30)
#define SEG_HDR		9		/* ts (8 bytes LE) + kind (1) */
#define SEG_STDOUT	3		/* LOG_STDOUT */
#define READ_CHUNK	(64 * 1024)	/* one read, one entry */
#define BURST_MAX	(4 * 1024 * 1024) /* one transaction */
#define PIPE_SIZE	(1024 * 1024)
#define SYNC_MS		1000

/* One LMDB environment laid out like a pod's segment log. */
struct seg {
	MDB_env		*env;
	MDB_dbi		 dbi;
	MDB_txn		*txn;
	size_t		 next;		/* seq of the next entry */
};

struct scenario {
	const char	*name;
	const char	*part;		/* of a scenario in parts, or "" */
	void		 (*run)(void);
};

static int	 runs = 5;
static uint64_t	 pipe_mb = 1024;

/* What an early exit must not leave behind (see cleanup). */
static pid_t	 live_pid = -1;		/* one child */
static pid_t	 live_pgid = -1;	/* a process group of children */
static char	 live_dir[PATH_MAX];	/* a temporary LMDB directory */
static char	 podend_dir[PATH_MAX];	/* podend: a directory of them */
static int	 podend_n;		/* how many are made in it */
static pid_t	 main_pid;

/* Monotonic nanoseconds: every interval is measured with this. */
static int64_t
mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* Wall-clock nanoseconds, as stamped on segment log entries. */
static uint64_t
wall_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

/* One figure, for the driver. */
static void
result(const char *key, double value, const char *unit)
{
	printf("RESULT %s %.3f %s\n", key, value, unit);
	fflush(stdout);
}

/* Remove an LMDB directory: its two files, then itself. */
static void
remove_log_dir(const char *dir)
{
	char	path[PATH_MAX + 16];

	snprintf(path, sizeof path, "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/lock.mdb", dir);
	unlink(path);
	if (rmdir(dir) == -1 && errno != ENOENT)
		warn("rmdir %s", dir);
}

/* Remove the temporary LMDB directory, if there is one. */
static void
remove_dir(void)
{
	if (live_dir[0] == '\0')
		return;
	remove_log_dir(live_dir);
	live_dir[0] = '\0';
}

/* The podend scenario's directory: one log directory per pod, 0 to n-1. */
static void
remove_podend_dir(void)
{
	char	path[PATH_MAX + 16];
	int	i;

	if (podend_dir[0] == '\0')
		return;
	for (i = 0; i < podend_n; i++) {
		snprintf(path, sizeof path, "%s/%d", podend_dir, i);
		remove_log_dir(path);
	}
	if (rmdir(podend_dir) == -1)
		warn("rmdir %s", podend_dir);
	podend_dir[0] = '\0';
}

/* At exit, also after err(): kill and reap children, remove temp files,
 * so that a failed scenario leaves nothing running or on disk. */
static void
cleanup(void)
{
	if (getpid() != main_pid)
		return;		/* a child's err(): the parent cleans up */
	if (live_pgid > 0) {
		kill(-live_pgid, SIGKILL);
		while (waitpid(-live_pgid, NULL, 0) > 0)
			;
	}
	if (live_pid > 0) {
		kill(live_pid, SIGKILL);
		waitpid(live_pid, NULL, 0);
	}
	remove_dir();
	remove_podend_dir();
}

/* Fork a helper child that dies with us, whatever kills us. */
static pid_t
fork_helper(void)
{
	pid_t	parent = getpid(), pid;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		signal(SIGTERM, SIG_DFL);
	}
	return (pid);
}

/* In a child: say "ready" on fd, then wait to be killed. */
static void __attribute__((noreturn))
child_pause(int fd)
{
	char	c = 'r';

	if (write(fd, &c, 1) != 1)
		_exit(1);
	close(fd);
	for (;;)
		pause();
}

/* Read exactly len bytes, or fail. */
static void
read_full(int fd, void *buf, size_t len, const char *what)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "%s: read", what);
		if (n == 0)
			errx(1, "%s: unexpected end of file", what);
		p += n;
		len -= (size_t)n;
	}
}

/* Write all of buf; in a child, any failure ends it. */
static int
write_full(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* fork + exec /bin/true + waitpid: the least a pod start can cost. */
static void
sc_forkexec(void)
{
	char	*argv[] = { "true", NULL };
	int64_t	 t0, ns;
	pid_t	 pid;
	int	 i, status;

	t0 = mono_ns();
	for (i = 0; i < FORKEXEC_OPS; i++) {
		if ((pid = fork()) == -1)
			err(1, "forkexec: fork");
		if (pid == 0) {
			execv("/bin/true", argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) == -1)
			err(1, "forkexec: waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			errx(1, "forkexec: /bin/true failed");
	}
	ns = mono_ns() - t0;
	result("floor.forkexec", ns / 1e6 / FORKEXEC_OPS, "ms");
	result("floor.forkexec_rate", FORKEXEC_OPS / (ns / 1e9), "ops/s");
}

/* Start a child blocked in pause() and wait until it is. */
static pid_t
start_paused(void)
{
	int	 p[2];
	char	 c;
	pid_t	 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		err(1, "pipe");
	if ((pid = fork_helper()) == 0) {
		close(p[0]);
		child_pause(p[1]);
	}
	live_pid = pid;
	close(p[1]);
	read_full(p[0], &c, 1, "killreap");
	close(p[0]);
	return (pid);
}

/* kill(SIGTERM) + waitpid of one paused child: the last step of a stop. */
static void
sc_killreap(void)
{
	int64_t	 t0, total = 0;
	pid_t	 pid;
	int	 i, status;

	for (i = 0; i < KILLREAP_OPS; i++) {
		pid = start_paused();
		t0 = mono_ns();
		if (kill(pid, SIGTERM) == -1)
			err(1, "killreap: kill");
		if (waitpid(pid, &status, 0) == -1)
			err(1, "killreap: waitpid");
		total += mono_ns() - t0;
		live_pid = -1;
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
			errx(1, "killreap: the child did not die of SIGTERM");
	}
	result("floor.killreap", total / 1e6 / KILLREAP_OPS, "ms");
}

/* Fork PGKILL_KIDS paused children into one new process group; its id. */
static pid_t
start_group(void)
{
	pid_t	 pgid = 0, pid;
	char	 buf[PGKILL_KIDS];
	int	 p[2], i;

	if (pipe2(p, O_CLOEXEC) == -1)
		err(1, "pipe");
	for (i = 0; i < PGKILL_KIDS; i++) {
		if ((pid = fork_helper()) == 0) {
			close(p[0]);
			setpgid(0, pgid);
			child_pause(p[1]);
		}
		/* Both sides set the group, so neither can race the other. */
		if (setpgid(pid, pgid) == -1 && errno != EACCES)
			err(1, "pgkill: setpgid");
		if (pgid == 0)
			live_pgid = pgid = pid;
	}
	close(p[1]);
	read_full(p[0], buf, sizeof buf, "pgkill");
	close(p[0]);
	return (pgid);
}

/* kill(-pgid, SIGTERM) + reaping every member: a whole-group stop. */
static void
sc_pgkill(void)
{
	int64_t	 t0, ns;
	pid_t	 pgid;
	int	 i, status;

	pgid = start_group();
	t0 = mono_ns();
	if (kill(-pgid, SIGTERM) == -1)
		err(1, "pgkill: kill");
	for (i = 0; i < PGKILL_KIDS; i++) {
		if (waitpid(-pgid, &status, 0) == -1)
			err(1, "pgkill: waitpid");
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
			errx(1, "pgkill: a child did not die of SIGTERM");
	}
	ns = mono_ns() - t0;
	live_pgid = -1;
	result("floor.pgkill1000", ns / 1e6, "ms");
}

/* In a child: echo fixed-size messages until EOF. */
static void __attribute__((noreturn))
echo_child(int fd)
{
	char	 buf[SOCKPAIR_MSG];
	size_t	 got;
	ssize_t	 n;

	for (;;) {
		for (got = 0; got < sizeof buf; got += (size_t)n) {
			n = read(fd, buf + got, sizeof buf - got);
			if (n == 0)
				_exit(0);
			if (n == -1 && errno != EINTR)
				_exit(1);
			if (n == -1)
				n = 0;
		}
		if (write_full(fd, buf, sizeof buf) == -1)
			_exit(1);
	}
}

/* A small message there and back between two processes: what one
 * request costs on the wire before any work is done. */
static void
sc_socketpair(void)
{
	char	 buf[SOCKPAIR_MSG];
	int64_t	 t0, ns;
	pid_t	 pid;
	int	 sv[2], i, status;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	if ((pid = fork_helper()) == 0) {
		close(sv[0]);
		echo_child(sv[1]);
	}
	live_pid = pid;
	close(sv[1]);
	memset(buf, 'm', sizeof buf);
	t0 = mono_ns();
	for (i = 0; i < SOCKPAIR_OPS; i++) {
		if (write_full(sv[0], buf, sizeof buf) == -1)
			err(1, "socketpair: write");
		read_full(sv[0], buf, sizeof buf, "socketpair");
	}
	ns = mono_ns() - t0;
	close(sv[0]);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(1, "socketpair: the echo child failed");
	live_pid = -1;
	result("floor.socketpair_rtt", ns / 1e3 / SOCKPAIR_OPS, "us");
}

/* An LMDB failure ends the program. */
static void
lmdb_check(int rc, const char *what)
{
	if (rc != 0)
		errx(1, "%s: %s", what, mdb_strerror(rc));
}

/* A new temporary directory under $TMPDIR, else /tmp, into buf. */
static void
temp_dir(char *buf, size_t len)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(buf, len, "%s/floor.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(buf) == NULL) {
		buf[0] = '\0';
		err(1, "mkdtemp");
	}
}

/* A fresh log in the existing directory dir, opened as the pod runtime
 * opens its own: MDB_NOSYNC, a 4 GiB map. */
static void
seg_open_in(struct seg *s, const char *dir)
{
	MDB_txn		*txn;

	memset(s, 0, sizeof *s);
	s->next = 1;
	lmdb_check(mdb_env_create(&s->env), "mdb_env_create");
	lmdb_check(mdb_env_set_mapsize(s->env, SEG_MAP_SIZE), "mapsize");
	lmdb_check(mdb_env_open(s->env, dir, MDB_NOSYNC | MDB_NOTLS,
	    0600), "mdb_env_open");
	lmdb_check(mdb_txn_begin(s->env, NULL, 0, &txn), "mdb_txn_begin");
	lmdb_check(mdb_dbi_open(txn, NULL, MDB_INTEGERKEY | MDB_CREATE,
	    &s->dbi), "mdb_dbi_open");
	lmdb_check(mdb_txn_commit(txn), "mdb_txn_commit");
}

/* A fresh log in a new temporary directory (live_dir). */
static void
seg_open(struct seg *s)
{
	temp_dir(live_dir, sizeof live_dir);
	seg_open_in(s, live_dir);
}

/* Close the log and remove its files. */
static void
seg_close(struct seg *s)
{
	mdb_env_close(s->env);
	s->env = NULL;
	remove_dir();
}

/* Open the transaction that the next appends share. */
static void
seg_begin(struct seg *s)
{
	lmdb_check(mdb_txn_begin(s->env, NULL, 0, &s->txn), "mdb_txn_begin");
}

/* One entry: seq key, then ts, kind and data, written in place. */
static void
seg_put(struct seg *s, int kind, const void *data, size_t len)
{
	MDB_val		 k, v;
	uint64_t	 ts = wall_ns();
	uint8_t		*out;
	int		 i;

	k.mv_size = sizeof s->next;
	k.mv_data = &s->next;
	v.mv_size = SEG_HDR + len;
	v.mv_data = NULL;
	lmdb_check(mdb_put(s->txn, s->dbi, &k, &v, MDB_APPEND | MDB_RESERVE),
	    "mdb_put");
	out = v.mv_data;
	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(ts >> (8 * i));
	out[8] = (uint8_t)kind;
	memcpy(out + SEG_HDR, data, len);
	s->next++;
}

/* Commit the open transaction (no sync: MDB_NOSYNC). */
static void
seg_commit(struct seg *s)
{
	lmdb_check(mdb_txn_commit(s->txn), "mdb_txn_commit");
	s->txn = NULL;
}

/* What the runtime's sync timer does: force committed pages to disk. */
static void
seg_sync(struct seg *s)
{
	lmdb_check(mdb_env_sync(s->env, 1), "mdb_env_sync");
}

/* Appends per second, one synced commit each (how an exit entry is
 * made durable: commit, then an explicit sync). */
static double
lmdb_synced(void)
{
	struct seg	 s;
	uint8_t		 data[LMDB_DATA];
	int64_t		 t0, ns;
	int		 i;

	memset(data, 'd', sizeof data);
	seg_open(&s);
	sync();
	t0 = mono_ns();
	for (i = 0; i < LMDB_SYNCED; i++) {
		seg_begin(&s);
		seg_put(&s, SEG_STDOUT, data, sizeof data);
		seg_commit(&s);
		seg_sync(&s);
	}
	ns = mono_ns() - t0;
	seg_close(&s);
	return (LMDB_SYNCED / (ns / 1e9));
}

/* Appends per second, LMDB_BATCH per commit, one sync at the end. */
static double
lmdb_batched(void)
{
	struct seg	 s;
	uint8_t		 data[LMDB_DATA];
	int64_t		 t0, ns;
	int		 i;

	memset(data, 'd', sizeof data);
	seg_open(&s);
	sync();
	t0 = mono_ns();
	for (i = 0; i < LMDB_BATCHED; i++) {
		if (i % LMDB_BATCH == 0)
			seg_begin(&s);
		seg_put(&s, SEG_STDOUT, data, sizeof data);
		if (i % LMDB_BATCH == LMDB_BATCH - 1)
			seg_commit(&s);
	}
	if (s.txn != NULL)
		seg_commit(&s);
	seg_sync(&s);
	ns = mono_ns() - t0;
	seg_close(&s);
	return (LMDB_BATCHED / (ns / 1e9));
}

/* The segment log's append rate, one synced commit each. */
static void
sc_lmdb_synced(void)
{
	result("floor.lmdb_synced", lmdb_synced(), "appends/s");
}

/* What a pod's log costs from birth to its durable end, as the runtime
 * does it: a new directory and environment, a spawn entry, an exit
 * entry synced, the close.  Removing the files is not timed (a pod's
 * directory outlives it). */
static void
sc_podlog(void)
{
	struct seg	 s;
	uint8_t		 data[LMDB_DATA];
	int64_t		 t0, ns = 0;
	int		 i;

	memset(data, 'd', sizeof data);
	sync();
	for (i = 0; i < PODLOG_OPS; i++) {
		t0 = mono_ns();
		seg_open(&s);
		seg_begin(&s);
		seg_put(&s, SEG_STDOUT, data, sizeof data);
		seg_commit(&s);
		seg_begin(&s);
		seg_put(&s, SEG_STDOUT, data, sizeof data);
		seg_commit(&s);
		seg_sync(&s);
		mdb_env_close(s.env);
		s.env = NULL;
		ns += mono_ns() - t0;
		remove_dir();
	}
	result("floor.podlog", ns / 1e6 / PODLOG_OPS, "ms");
}

/* The segment log's append rate in batches. */
static void
sc_lmdb_batched(void)
{
	result("floor.lmdb_batched", lmdb_batched(), "appends/s");
}

/* In a child: write total bytes to fd in write()s of chunk bytes,
 * newline-terminated so that small chunks are lines. */
static void __attribute__((noreturn))
pipe_writer(int fd, uint64_t total, size_t chunk)
{
	static char	 buf[READ_CHUNK];
	size_t		 n;

	memset(buf, 'x', sizeof buf);
	buf[chunk - 1] = '\n';
	while (total > 0) {
		n = total < chunk ? (size_t)total : chunk;
		if (write_full(fd, buf, n) == -1)
			_exit(1);
		total -= n;
	}
	_exit(0);
}

/* One readable event, as workload_read handles it: read 64 KiB at a
 * time, one entry per read, until a short read, EAGAIN or 4 MiB, all in
 * one transaction.  Returns true at end of file. */
static bool
pipe_burst(struct seg *s, int fd, uint64_t *got)
{
	static uint8_t	 buf[READ_CHUNK];
	size_t		 total = 0;
	ssize_t		 n;
	bool		 eof = false;

	seg_begin(s);
	while (total < BURST_MAX) {
		n = read(fd, buf, sizeof buf);
		if (n > 0) {
			seg_put(s, SEG_STDOUT, buf, (size_t)n);
			total += (size_t)n;
			if ((size_t)n < sizeof buf)
				break;
			continue;
		}
		if (n == 0)
			eof = true;
		else if (errno == EINTR)
			continue;
		else if (errno != EAGAIN)
			err(1, "pipe: read");
		break;
	}
	seg_commit(s);
	*got += total;
	return (eof);
}

/* Read the pipe into the log until EOF; like the runtime, sync at most
 * once a second while there is committed data, and once at the end. */
static uint64_t
pipe_capture(struct seg *s, int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	uint64_t	 got = 0, before;
	int64_t		 deadline = 0, now;
	int		 timeout;

	for (;;) {
		timeout = -1;
		if (deadline != 0) {
			now = mono_ns();
			timeout = now >= deadline ? 0 :
			    (int)((deadline - now) / 1000000) + 1;
		}
		if (poll(&pfd, 1, timeout) == -1 && errno != EINTR)
			err(1, "pipe: poll");
		if (pfd.revents != 0) {
			before = got;
			if (pipe_burst(s, fd, &got))
				break;
			if (got > before && deadline == 0)
				deadline = mono_ns() + SYNC_MS * 1000000LL;
		}
		if (deadline != 0 && mono_ns() >= deadline) {
			seg_sync(s);
			deadline = 0;
		}
	}
	seg_sync(s);
	return (got);
}

/* MB/s of a child's output captured into the log, in chunk-byte writes. */
static double
pipe_run(size_t chunk)
{
	struct seg	 s;
	uint64_t	 total = pipe_mb * 1000000, got;
	int64_t		 t0, ns;
	pid_t		 pid;
	int		 p[2], status;

	seg_open(&s);
	if (pipe2(p, O_CLOEXEC) == -1)
		err(1, "pipe");
	(void)fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE);
	if (fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) == -1)
		err(1, "fcntl");
	/* Start with nothing to write back: a previous run's dirty pages
	 * would otherwise be flushed by this run's syncs. */
	sync();
	t0 = mono_ns();
	if ((pid = fork_helper()) == 0) {
		close(p[0]);
		pipe_writer(p[1], total, chunk);
	}
	live_pid = pid;
	close(p[1]);
	got = pipe_capture(&s, p[0]);
	ns = mono_ns() - t0;
	close(p[0]);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(1, "pipe: the writer failed");
	live_pid = -1;
	seg_close(&s);
	if (got != total)
		errx(1, "pipe: read %llu bytes of %llu",
		    (unsigned long long)got, (unsigned long long)total);
	return (total / 1e6 / (ns / 1e9));
}

/*
 * podend N: the end of N pods as this design makes it, with no podvisor
 * code and nothing it could skip.  Each pod is a runtime process (forked,
 * not exec'd: no libraries to unmap) that holds its log open and has a
 * workload child in a process group of its own.  Timed from the first
 * cancel to the last exit entry durable: the supervisor writes every
 * runtime a cancel byte; each runtime kills its workload's group, reaps
 * it, commits its exit entry (unsynced), answers, then closes its log
 * and exits; the supervisor reads every answer, and one syncfs makes all
 * the exit entries durable at once (a group commit).  The runtimes are
 * reaped after the clock stops.  Two processes end per pod, against
 * floor.pgkill1000's one.
 */

/* How the pods of a podend run keep their logs. */
enum podend_log {
	PODEND_GROUP,		/* one syncfs for all, at the end */
	PODEND_OWN,		/* each runtime syncs its own */
	PODEND_NONE,		/* no log: what the logs cost */
};

/* A runtime's whole life: log, workload, the cancel, its end. */
static void __attribute__((noreturn))
podend_runtime(int fd, const char *dir, enum podend_log how)
{
	struct seg	 s;
	uint8_t		 data[LMDB_DATA];
	pid_t		 w;
	char		 c = 'r';
	int		 status;

	/* Only its own socket, as an exec'd runtime has. */
	if (dup2(fd, 3) == -1 || close_range(4, ~0U, 0) == -1)
		_exit(1);
	fd = 3;
	memset(data, 'd', sizeof data);
	if (mkdir(dir, 0700) == -1)
		_exit(1);
	if (how != PODEND_NONE) {
		seg_open_in(&s, dir);
		seg_begin(&s);
		seg_put(&s, SEG_STDOUT, data, sizeof data);
		seg_commit(&s);
	}
	if ((w = fork_helper()) == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(w, w);
	if (write_full(fd, &c, 1) == -1 || read(fd, &c, 1) != 1)
		_exit(1);
	kill(-w, SIGTERM);
	if (waitpid(w, &status, 0) == -1)
		_exit(1);
	if (how != PODEND_NONE) {
		seg_begin(&s);
		seg_put(&s, SEG_STDOUT, data, sizeof data);
		seg_commit(&s);
		if (how == PODEND_OWN)
			seg_sync(&s);
	}
	/* The end is reported before the teardown, as podvisor's runtime
	 * reports `exited`: the close and the exit are off the clock, but
	 * share the CPU with the other pods' ends. */
	c = 'e';
	if (write_full(fd, &c, 1) == -1)
		_exit(1);
	if (how != PODEND_NONE)
		mdb_env_close(s.env);
	_exit(0);
}

/* Enough descriptors for one socket per pod. */
static void
podend_nofile(int n)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	if (rl.rlim_cur >= (rlim_t)n + 64)
		return;
	if (rl.rlim_max < (rlim_t)n + 64)
		errx(1, "podend: %d pods need %d descriptors; the limit is %llu",
		    n, n + 64, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = (rlim_t)n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit");
}

/* Start n pods, end them all; the nanoseconds the ends took. */
static int64_t
podend_run(int n, enum podend_log how)
{
	char	 dir[PATH_MAX + 16], c;
	int	*fds, sv[2], i, dfd, status;
	pid_t	*pids;
	int64_t	 t0, ns;

	podend_nofile(n);
	fds = calloc(n, sizeof *fds);
	pids = calloc(n, sizeof *pids);
	if (fds == NULL || pids == NULL)
		err(1, "podend");
	temp_dir(podend_dir, sizeof podend_dir);
	podend_n = n;
	for (i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
			err(1, "podend: socketpair");
		snprintf(dir, sizeof dir, "%s/%d", podend_dir, i);
		if ((pids[i] = fork_helper()) == 0) {
			close(sv[0]);
			podend_runtime(sv[1], dir, how);
		}
		close(sv[1]);
		fds[i] = sv[0];
	}
	for (i = 0; i < n; i++)
		read_full(fds[i], &c, 1, "podend: ready");
	if ((dfd = open(podend_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "podend: %s", podend_dir);
	t0 = mono_ns();
	for (i = 0; i < n; i++) {
		if (write_full(fds[i], "c", 1) == -1)
			err(1, "podend: cancel");
	}
	for (i = 0; i < n; i++)
		read_full(fds[i], &c, 1, "podend: end");
	if (how == PODEND_GROUP && syncfs(dfd) == -1)
		err(1, "podend: syncfs");
	ns = mono_ns() - t0;
	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &status, 0) == -1)
			err(1, "podend: waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			errx(1, "podend: a runtime failed");
	}
	close(dfd);
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	free(pids);
	remove_podend_dir();
	return (ns);
}

/* One pod's end, the floor of a single cooperative stop: its runtime
 * syncs its own exit entry (an fdatasync of one file costs less than a
 * syncfs). */
static void
sc_podend_one(void)
{
	int64_t	ns = 0;
	int	i;

	sync();
	for (i = 0; i < PODEND_ONE_OPS; i++)
		ns += podend_run(1, PODEND_OWN);
	result("floor.podend1", ns / 1e6 / PODEND_ONE_OPS, "ms");
}

/* 500 pods' ends: stop 500 flat pods. */
static void
sc_podend_flat(void)
{
	sync();
	result("floor.podend500", podend_run(500, PODEND_GROUP) / 1e6,
	    "ms");
}

/* 1,111 pods' ends: a tree of fan-out 10 and depth 3. */
static void
sc_podend_tree(void)
{
	sync();
	result("floor.podend1111", podend_run(1111, PODEND_GROUP) /
	    1e6, "ms");
}

/* The same without the logs: what a log per pod adds to the ends. */
static void
sc_podend_nolog(void)
{
	result("floor.podend1111_nolog", podend_run(1111, PODEND_NONE) / 1e6,
	    "ms");
}

/* Output capture at full speed, in 100-byte lines. */
static void
sc_pipe_lines(void)
{
	result("floor.pipe_lines", pipe_run(LINE_LEN), "MB/s");
}

/* Output capture at full speed, in 64 KiB blocks. */
static void
sc_pipe_blocks(void)
{
	result("floor.pipe_blocks", pipe_run(READ_CHUNK), "MB/s");
}

/*
 * A scenario of several parts has a row per part, under the same name.
 * Each part does all its runs before the next: a run then follows one of
 * its own kind, as in the driver (pvbench capture lines, then blocks).
 * That matters on disk: the first 1 GB run after a run of the other kind
 * was measured at half the speed of the ones after it.
 */
static const struct scenario scenarios[] = {
	{ "forkexec", "", sc_forkexec },
	{ "killreap", "", sc_killreap },
	{ "pgkill", "", sc_pgkill },
	{ "socketpair", "", sc_socketpair },
	{ "lmdb", " synced", sc_lmdb_synced },
	{ "lmdb", " batched", sc_lmdb_batched },
	{ "podlog", "", sc_podlog },
	{ "podend", " 1", sc_podend_one },
	{ "podend", " 500", sc_podend_flat },
	{ "podend", " 1111", sc_podend_tree },
	{ "podend", " 1111 without logs", sc_podend_nolog },
	{ "pipe", " lines", sc_pipe_lines },
	{ "pipe", " blocks", sc_pipe_blocks },
};
#define NSCENARIOS	(sizeof scenarios / sizeof scenarios[0])

/* Print usage and the scenarios; exit 2. */
static void __attribute__((noreturn))
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: floor [-r RUNS] [-s SIZE_MB] [SCENARIO...]\n"
	    "scenarios:");
	for (i = 0; i < NSCENARIOS; i++) {
		if (i == 0 || strcmp(scenarios[i].name,
		    scenarios[i - 1].name) != 0)
			fprintf(stderr, " %s", scenarios[i].name);
	}
	fprintf(stderr, "\n");
	exit(2);
}

/* A positive count option, or a usage error. */
static long long
count_arg(const char *opt, const char *s, long long max)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max) {
		warnx("%s: '%s' is not a count from 1 to %lld", opt, s, max);
		usage();
	}
	return (v);
}

/* Is there a scenario of that name?  Else a usage error. */
static void
scenario_check(const char *name)
{
	size_t	i;

	for (i = 0; i < NSCENARIOS; i++) {
		if (strcmp(scenarios[i].name, name) == 0)
			return;
	}
	warnx("unknown scenario: %s", name);
	usage();
}

/* Run each part of a scenario (all when name is NULL) runs times. */
static void
scenario_run(const char *name)
{
	const struct scenario	*sc;
	size_t			 i;
	int			 r;

	for (i = 0; i < NSCENARIOS; i++) {
		sc = &scenarios[i];
		if (name != NULL && strcmp(sc->name, name) != 0)
			continue;
		for (r = 0; r < runs; r++) {
			fprintf(stderr, "floor: %s%s, run %d of %d\n",
			    sc->name, sc->part, r + 1, runs);
			sc->run();
		}
	}
}

/* floor [-r RUNS] [-s SIZE_MB] [SCENARIO...] */
int
main(int argc, char **argv)
{
	int	i, ch;

	while ((ch = getopt(argc, argv, "r:s:")) != -1) {
		switch (ch) {
		case 'r':
			runs = (int)count_arg("-r", optarg, 1000);
			break;
		case 's':
			pipe_mb = (uint64_t)count_arg("-s", optarg, 1000000);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; i < argc; i++)
		scenario_check(argv[i]);
	main_pid = getpid();
	atexit(cleanup);
	/* A closed reader must show as EPIPE, not kill us mid-cleanup. */
	signal(SIGPIPE, SIG_IGN);
	if (argc == 0)
		scenario_run(NULL);
	for (i = 0; i < argc; i++)
		scenario_run(argv[i]);
	return (0);
}
