/*
 * pvbench: podvisor's own figures, measured through its wire protocol the
 * way podctl speaks it: the peer layer on libevent, hello first, then one
 * request at a time on one connection.  Each scenario prints one line per
 * measured figure and run on stdout,
 *
 *	RESULT <key> <value> <unit>
 *
 * for bench/run.sh to gather, and progress on stderr.  bench/floor.c
 * measures what the same operations cost the machine without podvisor.
 * Any failure (an error reply, a lost connection, a pod that ends when it
 * should not) is one line on stderr and exit 1.
 *
 *	pvbench -S SOCKET [-r RUNS] [--keep] SCENARIO [ARGS]
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "wire.h"

#define SPAWNWAIT_OPS	50		/* per run, the median reported */
#define STOPONE_OPS	50
#define STATUS_OPS	20
#define LATENCY_MAX	10000		/* pods of one latency run */
#define TREE_MAX	100000		/* pods in one tree */
#define POLL_MIN_MS	2		/* between two status polls */
#define RUNNING_MAX_MS	600000		/* pods must all run by then */
#define LINE_LEN	"100"		/* capture lines: bytes per write */
#define BLOCK_LEN	"65536"		/* capture blocks: bytes per write */

/* The workloads: absolute paths, so no PATH search is timed. */
static char	*sleep_argv[] = { "/bin/sleep", "100000", NULL };
static char	*true_argv[] = { "/bin/true", NULL };
/* Ignored signals survive exec, so no shell stays behind. */
static char	*stubborn_argv[] = { "/bin/sh", "-c",
		    "trap \"\" INT TERM; exec /bin/sleep 100000", NULL };

/* Handles one reply message; true while more of the reply is due. */
typedef bool	(*reply_fn)(struct msg *, void *);

/* The one connection to podvisord, and the request in flight. */
struct conn {
	const char		*path;
	struct event_base	*base;
	struct peer		*peer;
	const char		*what;		/* the request, for errors */
	reply_fn		 cb;
	void			*arg;
	bool			 busy;
};

/* Pod ids, in the order they were spawned (which is ascending). */
struct ids {
	uint64_t	*v;
	size_t		 n;
	size_t		 size;
};

/* The pod states, terminal ones last (as the contract lists them). */
static const char *states[] = {
	"starting", "running", "stopping", "terminating", "killing",
	"succeeded", "failed", "stopped", "terminated", "killed", "lost"
};
#define NSTATES		(sizeof states / sizeof states[0])
#define FIRST_TERMINAL	5
#define ST_RUNNING	1
#define ST_SUCCEEDED	5
#define ST_STOPPED	7

/* What a reply of pod records said about the pods in only (all: NULL). */
struct tally {
	const struct ids *only;
	size_t		 pods;
	size_t		 state[NSTATES];
	size_t		 terminal;
	size_t		 api;		/* pods whose workload opened it */
	struct msg_pod	 last;		/* times and outcome of the last */
	char		 why[256];	/* the last terminal pod's error */
	int64_t		 req_min;	/* spread of stop_requested_at */
	int64_t		 req_max;
	int64_t		 end_max;	/* the last ended_at */
};

/* What a logs reply held. */
struct logcount {
	uint64_t	 entries;
	uint64_t	 bytes;		/* stdout and stderr data */
	uint64_t	 stdout_bytes;
	double		 seen;		/* s, from a "SEEN s" line; 0: none */
};

struct bench {
	struct conn	 conn;
	char		**args;		/* the scenario's arguments */
	const char	*name;
	bool		 keep;		/* spawn: leave the pods running */
	uint64_t	 kept;
};

struct scenario {
	const char	*name;
	const char	*usage;		/* its arguments */
	int		 nargs;
	void		 (*run)(struct bench *);
};

/* Monotonic nanoseconds: every interval is measured with this. */
static int64_t
mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* Milliseconds since t0. */
static double
ms_since(int64_t t0)
{
	return ((mono_ns() - t0) / 1e6);
}

/* Wait a little between two polls, without busying the daemon. */
static void
pause_ms(double ms)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - ts.tv_sec * 1000.0) * 1e6);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* One figure, for the driver. */
static void
result(const char *key, double value, const char *unit)
{
	printf("RESULT %s %.3f %s\n", key, value, unit);
	fflush(stdout);
}

/* qsort order for doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/* The median of n values (reorders them). */
static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

/* The p-th percentile of n values, nearest rank (reorders them). */
static double
percentile(double *v, size_t n, double p)
{
	size_t	rank = (size_t)(p / 100 * n + 0.999999);

	qsort(v, n, sizeof *v, cmp_double);
	return (v[rank > 0 ? rank - 1 : 0]);
}

/* Append an id; ids must keep ascending for ids_has. */
static void
ids_add(struct ids *ids, uint64_t id)
{
	if (ids->n == ids->size) {
		ids->size = ids->size ? ids->size * 2 : 64;
		ids->v = xreallocarray(ids->v, ids->size, sizeof *ids->v);
	}
	if (ids->n > 0 && id <= ids->v[ids->n - 1])
		fatalx("pod ids out of order (%llu after %llu)",
		    (unsigned long long)id,
		    (unsigned long long)ids->v[ids->n - 1]);
	ids->v[ids->n++] = id;
}

/* Is id in the list?  Ids are ascending, so a binary search. */
static bool
ids_has(const struct ids *ids, uint64_t id)
{
	size_t	lo = 0, hi = ids->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ids->v[mid] == id)
			return (true);
		if (ids->v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (false);
}

/* Release the list. */
static void
ids_free(struct ids *ids)
{
	free(ids->v);
	memset(ids, 0, sizeof *ids);
}

/* n pod refs from ids[off], as a request's string array. */
static char **
ids_refs(const struct ids *ids, size_t off, size_t n)
{
	char	**refs;
	size_t	  i;

	refs = xcalloc(n + 1, sizeof *refs);
	for (i = 0; i < n; i++)
		xasprintf(&refs[i], "%llu",
		    (unsigned long long)ids->v[off + i]);
	return (refs);
}

/* The peer's callback: hand a reply to the request's handler; anything
 * else that goes wrong ends the program. */
static void
conn_dispatch(struct peer *peer, struct msg *m, void *arg)
{
	struct conn	*c = arg;

	if (m == NULL) {
		c->peer = NULL;
		fatalx("lost the connection to podvisord at %s%s%s", c->path,
		    c->busy ? " during a " : "", c->busy ? c->what : "");
	}
	if (!c->busy)
		fatalx("unrequested %s message from podvisord",
		    msg_type_name(m->type));
	if (m->type == MSG_ERROR)
		fatalx("%s request failed: %s (%s)", c->what,
		    m->u.error.message, m->u.error.code);
	if (c->cb(m, c->arg))
		return;
	c->busy = false;
	event_base_loopbreak(c->base);
}

/* Connect to podvisord; the peer layer says hello. */
static void
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(c, 0, sizeof *c);
	c->path = path;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		fatalx("socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		fatal("cannot reach podvisord at %s", path);
	if ((c->base = event_base_new()) == NULL)
		fatalx("cannot create an event loop");
	c->peer = peer_new(c->base, fd, conn_dispatch, c, "podvisord");
}

/* Hang up. */
static void
conn_close(struct conn *c)
{
	if (c->peer != NULL)
		peer_free(c->peer);
	c->peer = NULL;
	event_base_free(c->base);
	c->base = NULL;
}

/* Send a request and run the loop until its reply has ended. */
static void
request(struct conn *c, const struct msg *m, reply_fn cb, void *arg)
{
	c->what = msg_type_name(m->type);
	if (c->peer == NULL || peer_send(c->peer, m) == -1)
		fatalx("lost the connection to podvisord at %s", c->path);
	c->cb = cb;
	c->arg = arg;
	c->busy = true;
	while (c->busy) {
		if (event_base_dispatch(c->base) != 0 && c->busy)
			fatalx("the event loop ended during a %s request",
			    c->what);
	}
}

/* The spawn reply: ok with the new pod's id. */
static bool
spawn_reply(struct msg *m, void *arg)
{
	uint64_t	*id = arg;

	if (m->type != MSG_OK || m->u.ok.id == 0)
		fatalx("unexpected %s reply to spawn", msg_type_name(m->type));
	*id = m->u.ok.id;
	return (false);
}

/* Spawn one pod (parent 0: top level); its id. */
static uint64_t
spawn_one(struct conn *c, char **argv, uint64_t parent)
{
	struct msg	 m;
	char		 ref[32];
	uint64_t	 id = 0;

	msg_init(&m, MSG_SPAWN);
	m.u.spawn.argv = argv;
	m.u.spawn.cwd = "/";
	if (parent != 0) {
		snprintf(ref, sizeof ref, "%llu", (unsigned long long)parent);
		m.u.spawn.parent = ref;
	}
	request(c, &m, spawn_reply, &id);
	return (id);
}

/* Count one pod record by state. */
static void
tally_pod(struct tally *t, const struct msg_pod *p)
{
	size_t	i;

	if (t->only != NULL && !ids_has(t->only, p->id))
		return;
	for (i = 0; i < NSTATES; i++) {
		if (strcmp(p->state, states[i]) == 0)
			break;
	}
	if (i == NSTATES)
		fatalx("pod %llu is in an unknown state: %s",
		    (unsigned long long)p->id, p->state);
	t->pods++;
	t->state[i]++;
	if (p->api)
		t->api++;
	t->last.id = p->id;
	t->last.started_at = p->started_at;
	t->last.ended_at = p->ended_at;
	t->last.exit_code = p->exit_code;
	if (p->stop_requested_at > 0) {
		if (t->req_min == 0 || p->stop_requested_at < t->req_min)
			t->req_min = p->stop_requested_at;
		if (p->stop_requested_at > t->req_max)
			t->req_max = p->stop_requested_at;
	}
	if (p->ended_at > t->end_max)
		t->end_max = p->ended_at;
	if (i >= FIRST_TERMINAL) {
		t->terminal++;
		snprintf(t->why, sizeof t->why, "pod %llu is %s%s%s",
		    (unsigned long long)p->id, p->state,
		    p->error ? ": " : "", p->error ? p->error : "");
	}
}

/* Replies of pod records and an end: status, stop, wait, rm. */
static bool
tally_reply(struct msg *m, void *arg)
{
	struct tally	*t = arg;

	switch (m->type) {
	case MSG_POD:
		tally_pod(t, &m->u.pod);
		return (true);
	case MSG_END:
		if (m->u.end.missing != NULL && m->u.end.missing[0] != NULL)
			fatalx("no such pod: %s", m->u.end.missing[0]);
		return (false);
	default:
		fatalx("unexpected %s message in a pod list",
		    msg_type_name(m->type));
	}
}

/* "1111 pods: 1000 stopped, 111 killed" on stderr, and how the stop
 * spread: when the daemon marked the first and last pod, and when the
 * last one ended (where a slow stop spends its time). */
static void
tally_print(const char *what, const struct tally *t)
{
	size_t	i;
	char	sep = ':';

	fprintf(stderr, "pvbench: %s: %zu pods", what, t->pods);
	for (i = 0; i < NSTATES; i++) {
		if (t->state[i] == 0)
			continue;
		fprintf(stderr, "%c %zu %s", sep, t->state[i], states[i]);
		sep = ',';
	}
	if (t->req_min > 0 && t->end_max >= t->req_min)
		fprintf(stderr, "; stop requests over %.1f ms, last end %.1f "
		    "ms after the first", (t->req_max - t->req_min) / 1e6,
		    (t->end_max - t->req_min) / 1e6);
	fprintf(stderr, "\n");
}

/* status: root's subtree, or (root 0) every pod, terminal ones too. */
static void
status_tally(struct conn *c, uint64_t root, struct tally *t)
{
	struct msg	 m;
	char		 ref[32];

	msg_init(&m, MSG_STATUS);
	m.u.status.all = true;
	if (root != 0) {
		snprintf(ref, sizeof ref, "%llu", (unsigned long long)root);
		m.u.status.pod = ref;
	}
	request(c, &m, tally_reply, t);
}

/* Send one request naming n pods from ids[off]: stop (with wait), wait
 * or rm, whose replies are all pod records and an end. */
static void
ids_request(struct conn *c, enum msg_type type, const struct ids *ids,
    size_t off, size_t n, struct tally *t)
{
	struct msg	  m;
	char		**refs = ids_refs(ids, off, n);

	msg_init(&m, type);
	switch (type) {
	case MSG_STOP:
		m.u.stop.pods = refs;
		m.u.stop.wait = true;
		break;
	case MSG_WAIT:
		m.u.wait.pods = refs;
		break;
	case MSG_RM:
		m.u.rm.pods = refs;
		break;
	default:
		fatalx("ids_request: %s", msg_type_name(type));
	}
	request(c, &m, tally_reply, t);
	strv_free(refs);
}

/* The same request for every pod in ids, as few times as the wire's
 * array limit allows. */
static void
ids_request_all(struct conn *c, enum msg_type type, const struct ids *ids,
    struct tally *t)
{
	size_t	off, n;

	for (off = 0; off < ids->n; off += n) {
		n = ids->n - off;
		if (n > WIRE_ARGV_MAX)
			n = WIRE_ARGV_MAX;
		ids_request(c, type, ids, off, n, t);
	}
}

/* Stop (waiting) and forget every pod in ids: cleanup, not timed. */
static void
stop_rm(struct conn *c, const struct ids *ids)
{
	struct tally	 t;

	memset(&t, 0, sizeof t);
	ids_request_all(c, MSG_STOP, ids, &t);
	memset(&t, 0, sizeof t);
	ids_request_all(c, MSG_RM, ids, &t);
}

/* Poll status until every pod in ids runs (root: poll only its
 * subtree).  Polls are spaced by at least their own duration, so the
 * daemon spends at most half its time answering them. */
static void
wait_pods(struct conn *c, const struct ids *ids, uint64_t root, bool api)
{
	struct tally	 t;
	int64_t		 start = mono_ns(), t0;
	double		 took;

	for (;;) {
		memset(&t, 0, sizeof t);
		t.only = ids;
		t0 = mono_ns();
		status_tally(c, root, &t);
		if (t.terminal > 0)
			fatalx("%s before it ran", t.why);
		if (t.state[ST_RUNNING] == ids->n && (!api || t.api == ids->n))
			return;
		if (t.pods < ids->n)
			fatalx("%zu of %zu pods are missing from status",
			    ids->n - t.pods, ids->n);
		if (ms_since(start) > RUNNING_MAX_MS)
			fatalx("only %zu of %zu pods run after %d s",
			    t.state[ST_RUNNING], ids->n, RUNNING_MAX_MS / 1000);
		took = ms_since(t0);
		pause_ms(took > POLL_MIN_MS ? took : POLL_MIN_MS);
	}
}

/* Poll until every pod in ids runs. */
static void
wait_running(struct conn *c, const struct ids *ids, uint64_t root)
{
	wait_pods(c, ids, root, false);
}

/* Stop the pods in ids with one request and wait: ms until the reply. */
static double
stop_timed(struct conn *c, const struct ids *ids, struct tally *t)
{
	int64_t	 t0;
	double	 ms;

	if (ids->n > WIRE_ARGV_MAX)
		fatalx("one stop request names at most %d pods",
		    WIRE_ARGV_MAX);
	memset(t, 0, sizeof *t);
	t0 = mono_ns();
	ids_request(c, MSG_STOP, ids, 0, ids->n, t);
	ms = ms_since(t0);
	if (t->terminal != t->pods)
		fatalx("the stop replied with %zu of %zu pods terminal",
		    t->terminal, t->pods);
	return (ms);
}

/* A "SEEN s" line in stdout: when the workload saw its cancel (the
 * runtime may have read it with the lines before it, in one entry). */
static void
logs_seen(struct logcount *lc, const struct wire_bin *data)
{
	const char	*p;
	char		 stamp[32];
	size_t		 n;

	p = memmem(data->ptr, data->len, "SEEN ", 5);
	if (p == NULL)
		return;
	p += 5;
	n = data->len - (size_t)(p - (const char *)data->ptr);
	if (n > sizeof stamp - 1)
		n = sizeof stamp - 1;
	memcpy(stamp, p, n);
	stamp[n] = '\0';
	lc->seen = strtod(stamp, NULL);
}

/* The logs reply: entries, then an end. */
static bool
logs_reply(struct msg *m, void *arg)
{
	struct logcount	*lc = arg;
	const char	*kind;

	switch (m->type) {
	case MSG_ENTRY:
		kind = m->u.entry.kind;
		lc->entries++;
		if (strcmp(kind, "stdout") == 0) {
			lc->stdout_bytes += m->u.entry.data.len;
			logs_seen(lc, &m->u.entry.data);
		}
		if (strcmp(kind, "stdout") == 0 || strcmp(kind, "stderr") == 0)
			lc->bytes += m->u.entry.data.len;
		return (true);
	case MSG_END:
		return (false);
	default:
		fatalx("unexpected %s message in a log",
		    msg_type_name(m->type));
	}
}

/* Read a pod's whole log; ms taken. */
static double
logs_read(struct conn *c, const char *pod, struct logcount *lc)
{
	struct msg	 m;
	int64_t		 t0;

	memset(lc, 0, sizeof *lc);
	msg_init(&m, MSG_LOGS);
	m.u.logs.pod = (char *)pod;
	t0 = mono_ns();
	request(c, &m, logs_reply, lc);
	return (ms_since(t0));
}

/* The scenario's argument i as a count from 1 to max. */
static uint64_t
arg_count(struct bench *b, int i, uint64_t max)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(b->args[i], &end, 10);
	if (errno != 0 || end == b->args[i] || *end != '\0' ||
	    b->args[i][0] == '-' || v < 1 || v > max) {
		fprintf(stderr, "pvbench: %s: '%s' is not a count from 1 to "
		    "%llu\n", b->name, b->args[i], (unsigned long long)max);
		exit(2);
	}
	return (v);
}

/* The scenario's argument i, which must be one of two words; true for
 * the first. */
static bool
arg_choice(struct bench *b, int i, const char *yes, const char *no)
{
	if (strcmp(b->args[i], yes) == 0)
		return (true);
	if (strcmp(b->args[i], no) == 0)
		return (false);
	fprintf(stderr, "pvbench: %s: '%s' is neither %s nor %s\n", b->name,
	    b->args[i], yes, no);
	exit(2);
}

/* spawn N: N sleep pods, one request after another; pods/s until the
 * last ok, and until all run. */
static void
sc_spawn(struct bench *b)
{
	struct conn	*c = &b->conn;
	struct ids	 ids = { NULL, 0, 0 };
	size_t		 n = arg_count(b, 0, 1000000), i;
	int64_t		 t0;
	double		 ok_ms, run_ms;

	t0 = mono_ns();
	for (i = 0; i < n; i++)
		ids_add(&ids, spawn_one(c, sleep_argv, 0));
	ok_ms = ms_since(t0);
	wait_running(c, &ids, 0);
	run_ms = ms_since(t0);
	result("pv.spawn_rate", n / (ok_ms / 1e3), "pods/s");
	result("pv.spawn_running_rate", n / (run_ms / 1e3), "pods/s");
	if (b->keep)
		b->kept += n;
	else
		stop_rm(c, &ids);
	ids_free(&ids);
}

/* spawnwait: spawn true and wait until it is terminal, one at a time. */
static void
sc_spawnwait(struct bench *b)
{
	struct conn	*c = &b->conn;
	struct ids	 all = { NULL, 0, 0 }, one = { NULL, 0, 0 };
	struct tally	 t;
	double		 ms[SPAWNWAIT_OPS];
	int64_t		 t0;
	size_t		 i;

	for (i = 0; i < SPAWNWAIT_OPS; i++) {
		t0 = mono_ns();
		one.n = 0;
		ids_add(&one, spawn_one(c, true_argv, 0));
		memset(&t, 0, sizeof t);
		ids_request(c, MSG_WAIT, &one, 0, 1, &t);
		ms[i] = ms_since(t0);
		if (t.state[ST_SUCCEEDED] != 1)
			fatalx("%s", t.why[0] ? t.why : "wait: no record");
		ids_add(&all, one.v[0]);
	}
	memset(&t, 0, sizeof t);
	ids_request_all(c, MSG_RM, &all, &t);
	result("pv.spawn_wait", median(ms, SPAWNWAIT_OPS), "ms");
	ids_free(&one);
	ids_free(&all);
}

/* stopone: a running sleep pod; the stop request until its reply. */
static void
sc_stopone(struct bench *b)
{
	struct conn	*c = &b->conn;
	struct ids	 all = { NULL, 0, 0 }, one = { NULL, 0, 0 };
	struct tally	 t;
	double		 ms[STOPONE_OPS];
	size_t		 i;

	for (i = 0; i < STOPONE_OPS; i++) {
		one.n = 0;
		ids_add(&one, spawn_one(c, sleep_argv, 0));
		ids_add(&all, one.v[0]);
		wait_running(c, &one, one.v[0]);
		ms[i] = stop_timed(c, &one, &t);
	}
	memset(&t, 0, sizeof t);
	ids_request_all(c, MSG_RM, &all, &t);
	result("pv.stop_one", median(ms, STOPONE_OPS), "ms");
	ids_free(&one);
	ids_free(&all);
}

/* Wall-clock seconds, to compare with a workload's own stamp. */
static double
wall_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* apistop APIBENCH: bench/apibench's cancel mode, a pod API workload
 * spinning on check() that prints when it saw its cancel and exits.
 * The stop request until the workload saw it, and until the stop's reply
 * (the pod terminal): the cooperative stop, to compare with stopone. */
static void
sc_apistop(struct bench *b)
{
	struct conn	*c = &b->conn;
	struct ids	 all = { NULL, 0, 0 }, one = { NULL, 0, 0 };
	struct tally	 t;
	struct logcount	 lc;
	char		*argv[] = { b->args[0], "cancel", NULL }, ref[32];
	double		 ms[STOPONE_OPS], seen[STOPONE_OPS], t0;
	size_t		 i;

	for (i = 0; i < STOPONE_OPS; i++) {
		one.n = 0;
		ids_add(&one, spawn_one(c, argv, 0));
		ids_add(&all, one.v[0]);
		wait_pods(c, &one, one.v[0], true);
		t0 = wall_s();
		ms[i] = stop_timed(c, &one, &t);
		if (t.state[ST_STOPPED] != 1)
			fatalx("%s, not stopped", t.why);
		snprintf(ref, sizeof ref, "%llu", (unsigned long long)one.v[0]);
		(void)logs_read(c, ref, &lc);
		if (lc.seen == 0)
			fatalx("pod %s did not say when it saw the cancel", ref);
		seen[i] = (lc.seen - t0) * 1e3;
	}
	memset(&t, 0, sizeof t);
	ids_request_all(c, MSG_RM, &all, &t);
	result("pv.api_cancel_seen", median(seen, STOPONE_OPS), "ms");
	result("pv.api_stop_one", median(ms, STOPONE_OPS), "ms");
	ids_free(&one);
	ids_free(&all);
}

/* A root and depth levels of fanout children each, level by level. */
static void
tree_build(struct conn *c, char **argv, uint64_t fanout, uint64_t depth,
    struct ids *ids)
{
	size_t		 lo, hi, p;
	uint64_t	 d, f;

	ids_add(ids, spawn_one(c, argv, 0));
	lo = 0;
	for (d = 0; d < depth; d++) {
		hi = ids->n;
		for (p = lo; p < hi; p++) {
			for (f = 0; f < fanout; f++)
				ids_add(ids, spawn_one(c, argv, ids->v[p]));
		}
		lo = hi;
	}
}

/* tree FANOUT DEPTH coop|uncoop: stop a running tree by its root. */
static void
sc_tree(struct bench *b)
{
	struct conn	*c = &b->conn;
	struct ids	 ids = { NULL, 0, 0 }, root = { NULL, 0, 0 };
	struct tally	 t;
	uint64_t	 fanout, depth, total = 1, level = 1, d;
	int64_t		 t0;
	double		 ms;
	bool		 coop;

	fanout = arg_count(b, 0, TREE_MAX);
	depth = arg_count(b, 1, TREE_MAX);
	coop = arg_choice(b, 2, "coop", "uncoop");
	for (d = 0; d < depth && total <= TREE_MAX; d++)
		total += (level *= fanout);
	if (total > TREE_MAX)
		fatalx("tree: more than %d pods", TREE_MAX);

	t0 = mono_ns();
	tree_build(c, coop ? sleep_argv : stubborn_argv, fanout, depth, &ids);
	wait_running(c, &ids, ids.v[0]);
	fprintf(stderr, "pvbench: tree: %zu pods running after %.0f ms\n",
	    ids.n, ms_since(t0));
	ids_add(&root, ids.v[0]);
	ms = stop_timed(c, &root, &t);
	if (t.pods != ids.n)
		fatalx("tree: the stop replied with %zu of %zu pods", t.pods,
		    ids.n);
	tally_print("tree stop", &t);
	result(coop ? "pv.tree_stop_coop" : "pv.tree_stop_uncoop", ms, "ms");
	memset(&t, 0, sizeof t);
	ids_request(c, MSG_RM, &root, 0, 1, &t);
	ids_free(&root);
	ids_free(&ids);
}

/* flat N: N running top-level pods, stopped with one request. */
static void
sc_flat(struct bench *b)
{
	struct conn	*c = &b->conn;
	struct ids	 ids = { NULL, 0, 0 };
	struct tally	 t;
	size_t		 n = arg_count(b, 0, WIRE_ARGV_MAX), i;
	double		 ms;

	for (i = 0; i < n; i++)
		ids_add(&ids, spawn_one(c, sleep_argv, 0));
	wait_running(c, &ids, 0);
	ms = stop_timed(c, &ids, &t);
	tally_print("flat stop", &t);
	result("pv.stop_flat", ms, "ms");
	memset(&t, 0, sizeof t);
	ids_request_all(c, MSG_RM, &ids, &t);
	ids_free(&ids);
}

/* Stop one pod without waiting: ms until the reply (which is at once,
 * the stop under way), as the HTTP API's 202. */
static double
stop_nowait_timed(struct conn *c, const struct ids *one)
{
	struct msg	  m;
	struct tally	  t;
	char		**refs = ids_refs(one, 0, 1);
	int64_t		  t0;

	msg_init(&m, MSG_STOP);
	m.u.stop.pods = refs;
	memset(&t, 0, sizeof t);
	t0 = mono_ns();
	request(c, &m, tally_reply, &t);
	strv_free(refs);
	return (ms_since(t0));
}

/* The median and p99 of one request's latencies, for the driver. */
static void
latency_results(const char *key, double *ms, size_t n)
{
	char	 k[64];

	snprintf(k, sizeof k, "%s_p99", key);
	result(k, percentile(ms, n, 99), "ms");
	result(key, median(ms, n), "ms");
}

/* latency N GAP_MS: N sleep pods spawned one request at a time, then
 * stopped one at a time without waiting; each request's time until its
 * reply (the control channel's side of bench/http.sh's 201 and 202).
 * GAP_MS between requests lets each pod's start or end settle, as
 * curl --rate does for the HTTP side. */
static void
sc_latency(struct bench *b)
{
	struct conn	*c = &b->conn;
	struct ids	 ids = { NULL, 0, 0 }, one = { NULL, 0, 0 };
	struct tally	 t;
	size_t		 n = arg_count(b, 0, LATENCY_MAX), i;
	double		 gap = (double)arg_count(b, 1, 10000), *ms;
	int64_t		 t0;

	ms = xcalloc(n, sizeof *ms);
	for (i = 0; i < n; i++) {
		t0 = mono_ns();
		ids_add(&ids, spawn_one(c, sleep_argv, 0));
		ms[i] = ms_since(t0);
		pause_ms(gap);
	}
	latency_results("pv.spawn_req", ms, n);
	wait_running(c, &ids, 0);
	for (i = 0; i < n; i++) {
		one.n = 0;
		ids_add(&one, ids.v[i]);
		ms[i] = stop_nowait_timed(c, &one);
		pause_ms(gap);
	}
	latency_results("pv.stop_req", ms, n);
	memset(&t, 0, sizeof t);
	ids_request_all(c, MSG_WAIT, &ids, &t);
	memset(&t, 0, sizeof t);
	ids_request_all(c, MSG_RM, &ids, &t);
	free(ms);
	ids_free(&one);
	ids_free(&ids);
}

/* status: one whole status --all reply, on whatever population runs. */
static void
sc_status(struct bench *b)
{
	struct tally	 t;
	double		 ms[STATUS_OPS];
	int64_t		 t0;
	size_t		 i;

	for (i = 0; i < STATUS_OPS; i++) {
		memset(&t, 0, sizeof t);
		t0 = mono_ns();
		status_tally(&b->conn, 0, &t);
		ms[i] = ms_since(t0);
	}
	fprintf(stderr, "pvbench: status: %zu pods\n", t.pods);
	result("pv.status", median(ms, STATUS_OPS), "ms");
}

/* logs POD: read a pod's whole log. */
static void
sc_logs(struct bench *b)
{
	struct logcount	 lc;
	double		 ms;

	ms = logs_read(&b->conn, b->args[0], &lc);
	fprintf(stderr, "pvbench: logs: %llu entries, %llu bytes of output "
	    "in %.0f ms\n", (unsigned long long)lc.entries,
	    (unsigned long long)lc.bytes, ms);
	result("pv.logs", lc.bytes / 1e6 / (ms / 1e3), "MB/s");
	result("pv.logs_entries", (double)lc.entries, "entries");
}

/* capture SIZE_MB lines|blocks SPEW: spew's output into the segment log,
 * MB/s over the pod's own run (started_at to ended_at).  Both use spew's
 * text mode (a prepared line per write(), 100 bytes or 64 KiB) so that,
 * as in floor's pipe scenario, making the bytes costs nothing. */
static void
sc_capture(struct bench *b)
{
	struct conn	*c = &b->conn;
	struct ids	 one = { NULL, 0, 0 };
	struct tally	 t;
	struct logcount	 lc;
	char		 spew[PATH_MAX], size[32], ref[32];
	char		*argv[] = { spew, "text", size, NULL, NULL };
	uint64_t	 bytes;
	double		 run_s, read_ms;
	bool		 lines;

	bytes = arg_count(b, 0, 1000000) * 1000000;
	lines = arg_choice(b, 1, "lines", "blocks");
	if (realpath(b->args[2], spew) == NULL)
		fatal("%s", b->args[2]);
	snprintf(size, sizeof size, "%llu", (unsigned long long)bytes);
	argv[3] = lines ? LINE_LEN : BLOCK_LEN;

	/* As floor's pipe scenario: nothing left to write back. */
	sync();
	ids_add(&one, spawn_one(c, argv, 0));
	memset(&t, 0, sizeof t);
	ids_request(c, MSG_WAIT, &one, 0, 1, &t);
	if (t.state[ST_SUCCEEDED] != 1)
		fatalx("capture: %s", t.why[0] ? t.why : "no record");
	run_s = (t.last.ended_at - t.last.started_at) / 1e9;
	snprintf(ref, sizeof ref, "%llu", (unsigned long long)one.v[0]);
	read_ms = logs_read(c, ref, &lc);
	fprintf(stderr, "pvbench: capture: %llu bytes in %llu entries, "
	    "run %.0f ms; logs read at %.0f MB/s\n",
	    (unsigned long long)lc.stdout_bytes,
	    (unsigned long long)lc.entries, run_s * 1e3,
	    lc.stdout_bytes / 1e6 / (read_ms / 1e3));
	result(lines ? "pv.capture_lines" : "pv.capture_blocks",
	    lc.stdout_bytes / 1e6 / run_s, "MB/s");
	result("pv.capture_lost", (double)bytes - (double)lc.stdout_bytes,
	    "bytes");
	ids_request(c, MSG_RM, &one, 0, 1, &t);
	ids_free(&one);
}

static const struct scenario scenarios[] = {
	{ "spawn", "N", 1, sc_spawn },
	{ "spawnwait", "", 0, sc_spawnwait },
	{ "stopone", "", 0, sc_stopone },
	{ "apistop", "APIBENCH", 1, sc_apistop },
	{ "latency", "N GAP_MS", 2, sc_latency },
	{ "tree", "FANOUT DEPTH coop|uncoop", 3, sc_tree },
	{ "flat", "N", 1, sc_flat },
	{ "status", "", 0, sc_status },
	{ "logs", "POD", 1, sc_logs },
	{ "capture", "SIZE_MB lines|blocks SPEW", 3, sc_capture },
};
#define NSCENARIOS	(sizeof scenarios / sizeof scenarios[0])

/* Print usage and the scenarios; exit 2. */
static void __attribute__((noreturn))
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: pvbench -S SOCKET [-r RUNS] [--keep] "
	    "SCENARIO [ARGS]\nscenarios:\n");
	for (i = 0; i < NSCENARIOS; i++)
		fprintf(stderr, "  %s%s%s\n", scenarios[i].name,
		    *scenarios[i].usage != '\0' ? " " : "",
		    scenarios[i].usage);
	exit(2);
}

/* The scenario named by argv[0], with exactly its arguments. */
static const struct scenario *
scenario_find(int argc, char **argv)
{
	size_t	i;

	if (argc < 1)
		usage();
	for (i = 0; i < NSCENARIOS; i++) {
		if (strcmp(scenarios[i].name, argv[0]) == 0)
			break;
	}
	if (i == NSCENARIOS) {
		fprintf(stderr, "pvbench: unknown scenario: %s\n", argv[0]);
		usage();
	}
	if (argc - 1 != scenarios[i].nargs) {
		fprintf(stderr, "pvbench: usage: %s%s%s\n", scenarios[i].name,
		    *scenarios[i].usage != '\0' ? " " : "",
		    scenarios[i].usage);
		exit(2);
	}
	return (&scenarios[i]);
}

static const struct option options[] = {
	{ "keep", no_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* pvbench -S SOCKET [-r RUNS] [--keep] SCENARIO [ARGS] */
int
main(int argc, char **argv)
{
	struct bench		 b;
	const struct scenario	*sc;
	const char		*path = NULL;
	char			*end;
	long			 runs = 5, i;
	int			 ch;

	memset(&b, 0, sizeof b);
	log_init("pvbench", LOG_LEVEL_WARN);
	while ((ch = getopt_long(argc, argv, "S:r:h", options, NULL)) != -1) {
		switch (ch) {
		case 'S':
			path = optarg;
			break;
		case 'r':
			runs = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || runs < 1 ||
			    runs > 10000)
				usage();
			break;
		case 'k':
			b.keep = true;
			break;
		default:
			usage();
		}
	}
	if (path == NULL)
		usage();
	sc = scenario_find(argc - optind, argv + optind);
	if (b.keep && sc->run != sc_spawn) {
		fprintf(stderr, "pvbench: --keep is for spawn only\n");
		exit(2);
	}
	b.name = sc->name;
	b.args = argv + optind + 1;
	conn_open(&b.conn, path);
	for (i = 0; i < runs; i++) {
		fprintf(stderr, "pvbench: %s, run %ld of %ld\n", sc->name,
		    i + 1, runs);
		sc->run(&b);
	}
	if (b.keep)
		result("pv.spawn_kept", (double)b.kept, "pods");
	conn_close(&b.conn);
	return (0);
}
