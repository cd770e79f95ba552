/*
 * Unit tests of libpodvisor.  Each test plays the pod runtime itself: it
 * makes a socketpair, names the workload's end in PODVISOR_API_FD and
 * speaks the wire on the other end with its own msgpack code (not the
 * library's).  A frame the runtime must answer later is either written
 * before the call (the library reads replies in order) or written by a
 * forked helper once it has read the library's request.  Each test runs
 * in a child process of its own, under an alarm(2) watchdog, so that a
 * hang or a crash is one failed test, not a stuck suite.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "podvisor.h"

#define WATCHDOG	30		/* seconds any one test may take */
#define WAIT_MS		5000		/* for a frame that must come */

static int	 failed;
static struct podvisor_pod *attached;	/* the test's pod, for helpers */

#define CHECK(c) check((c), #c, __FILE__, __LINE__)

/* Count a failed check. */
static void
check(int ok, const char *what, const char *file, int line)
{
	if (!ok) {
		fprintf(stderr, "  %s:%d: check failed: %s\n", file, line,
		    what);
		failed++;
	}
}

/* Does haystack hold needle? */
static int
has(const char *haystack, const char *needle)
{
	return (haystack != NULL && strstr(haystack, needle) != NULL);
}

/* Wall-clock nanoseconds, seconds from now. */
static int64_t
ns_from_now(double seconds)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
	    (int64_t)(seconds * 1e9));
}

/* A timespec as nanoseconds. */
static int64_t
ts_ns(const struct timespec *ts)
{
	return ((int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec);
}

/* --- frames the fake runtime writes ----------------------------------- */

struct fb {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
};

/* Start a frame: a map of n fields besides "type". */
static void
fb_begin(struct fb *b, const char *type, int n)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
	msgpack_pack_map(&b->pk, n + 1);
	msgpack_pack_str(&b->pk, 4);
	msgpack_pack_str_body(&b->pk, "type", 4);
	msgpack_pack_str(&b->pk, strlen(type));
	msgpack_pack_str_body(&b->pk, type, strlen(type));
}

/* A key. */
static void
fb_key(struct fb *b, const char *k)
{
	msgpack_pack_str(&b->pk, strlen(k));
	msgpack_pack_str_body(&b->pk, k, strlen(k));
}

/* A str field. */
static void
fb_str(struct fb *b, const char *k, const char *v)
{
	fb_key(b, k);
	msgpack_pack_str(&b->pk, strlen(v));
	msgpack_pack_str_body(&b->pk, v, strlen(v));
}

/* A bin field. */
static void
fb_bin(struct fb *b, const char *k, const void *v, size_t n)
{
	fb_key(b, k);
	msgpack_pack_bin(&b->pk, n);
	msgpack_pack_bin_body(&b->pk, v, n);
}

/* An integer field. */
static void
fb_int(struct fb *b, const char *k, int64_t v)
{
	fb_key(b, k);
	msgpack_pack_int64(&b->pk, v);
}

/* A nil field. */
static void
fb_nil(struct fb *b, const char *k)
{
	fb_key(b, k);
	msgpack_pack_nil(&b->pk);
}

/* A uint[] field. */
static void
fb_uintv(struct fb *b, const char *k, const uint64_t *v, size_t n)
{
	size_t	 i;

	fb_key(b, k);
	msgpack_pack_array(&b->pk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_uint64(&b->pk, v[i]);
}

/* Write all of p. */
static void
write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			perror("write");
			exit(2);
		}
		c += w;
		n -= (size_t)w;
	}
}

/* Write a raw payload as one frame. */
static void
send_payload(int fd, const void *p, size_t n)
{
	uint8_t	 h[4] = { n >> 24, n >> 16, n >> 8, n };

	write_all(fd, h, 4);
	write_all(fd, p, n);
}

/* Send a built frame and free it. */
static void
fb_send(struct fb *b, int fd)
{
	send_payload(fd, b->sb.data, b->sb.size);
	msgpack_sbuffer_destroy(&b->sb);
}

/* Send a frame with no fields. */
static void
send_type(int fd, const char *type)
{
	struct fb	 b;

	fb_begin(&b, type, 0);
	fb_send(&b, fd);
}

/* The runtime's hello and a welcome. */
static void
send_handshake(int fd, uint64_t id, const char *name, int64_t parent,
    int64_t deadline)
{
	struct fb	 b;

	fb_begin(&b, "hello", 1);
	fb_int(&b, "version", PODVISOR_PROTOCOL_VERSION);
	fb_send(&b, fd);
	fb_begin(&b, "welcome", 4);
	fb_int(&b, "id", (int64_t)id);
	if (name != NULL)
		fb_str(&b, "name", name);
	else
		fb_nil(&b, "name");
	fb_int(&b, "parent", parent);
	fb_int(&b, "deadline", deadline);
	fb_send(&b, fd);
}

/* A cancel. */
static void
send_cancel(int fd, const char *reason, const char *by, int64_t deadline)
{
	struct fb	 b;

	fb_begin(&b, "cancel", 3);
	fb_str(&b, "reason", reason);
	fb_str(&b, "requested_by", by);
	fb_int(&b, "deadline", deadline);
	fb_send(&b, fd);
}

/* An error. */
static void
send_error(int fd, const char *code, const char *message)
{
	struct fb	 b;

	fb_begin(&b, "error", 2);
	fb_str(&b, "code", code);
	fb_str(&b, "message", message);
	fb_send(&b, fd);
}

/* --- frames the library writes ----------------------------------------- */

struct got {
	msgpack_unpacked	 up;
	char			*raw;
	char			 type[64];
};

/* Read exactly n bytes within the deadline: 1, 0 at end of file (or a
 * timeout, which fails the test). */
static int
read_exact(int fd, void *p, size_t n, int64_t deadline_ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	struct timespec	 ts;
	char		*c = p;
	ssize_t		 r;
	int64_t		 now;

	while (n > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= deadline_ms ||
		    poll(&pfd, 1, (int)(deadline_ms - now)) == 0) {
			fprintf(stderr, "  no frame from the library in time\n");
			failed++;
			return (0);
		}
		if ((r = read(fd, c, n)) <= 0)
			return (0);
		c += r;
		n -= (size_t)r;
	}
	return (1);
}

/* The next frame the library sent: 1, or 0 at end of file. */
static int
recv_frame(int fd, struct got *g)
{
	struct timespec	 ts;
	uint8_t		 h[4];
	size_t		 n, off = 0;
	int64_t		 deadline;
	const msgpack_object *t = NULL;
	uint32_t	 i;

	memset(g, 0, sizeof *g);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + WAIT_MS;
	if (!read_exact(fd, h, 4, deadline))
		return (0);
	n = (size_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
	g->raw = malloc(n + 1);
	if (!read_exact(fd, g->raw, n, deadline)) {
		free(g->raw);
		return (0);
	}
	msgpack_unpacked_init(&g->up);
	if (msgpack_unpack_next(&g->up, g->raw, n, &off) !=
	    MSGPACK_UNPACK_SUCCESS || off != n ||
	    g->up.data.type != MSGPACK_OBJECT_MAP) {
		fprintf(stderr, "  the library sent a bad frame\n");
		failed++;
		return (0);
	}
	for (i = 0; i < g->up.data.via.map.size; i++)
		if (g->up.data.via.map.ptr[i].key.via.str.size == 4 &&
		    memcmp(g->up.data.via.map.ptr[i].key.via.str.ptr, "type",
		    4) == 0)
			t = &g->up.data.via.map.ptr[i].val;
	if (t != NULL && t->type == MSGPACK_OBJECT_STR)
		snprintf(g->type, sizeof g->type, "%.*s", (int)t->via.str.size,
		    t->via.str.ptr);
	return (1);
}

/* Free a received frame. */
static void
got_free(struct got *g)
{
	msgpack_unpacked_destroy(&g->up);
	free(g->raw);
}

/* A field of a received frame, or NULL. */
static const msgpack_object *
got_field(const struct got *g, const char *key)
{
	const msgpack_object_map *m = &g->up.data.via.map;
	uint32_t	 i;

	for (i = 0; i < m->size; i++)
		if (m->ptr[i].key.via.str.size == strlen(key) &&
		    memcmp(m->ptr[i].key.via.str.ptr, key, strlen(key)) == 0)
			return (&m->ptr[i].val);
	return (NULL);
}

/* Is a field absent, or nil (which the protocol reads as absent)? */
static int
got_absent(const struct got *g, const char *key)
{
	const msgpack_object	*v = got_field(g, key);

	return (v == NULL || v->type == MSGPACK_OBJECT_NIL);
}

/* The fields of a received frame that are not nil, "type" included. */
static uint32_t
got_count(const struct got *g)
{
	const msgpack_object_map *m = &g->up.data.via.map;
	uint32_t	 i, n = 0;

	for (i = 0; i < m->size; i++)
		n += m->ptr[i].val.type != MSGPACK_OBJECT_NIL;
	return (n);
}

/* Is a str or bin field equal to s? */
static int
got_text(const struct got *g, const char *key, const char *s)
{
	const msgpack_object	*v = got_field(g, key);

	if (v == NULL)
		return (0);
	if (v->type == MSGPACK_OBJECT_STR)
		return (v->via.str.size == strlen(s) &&
		    memcmp(v->via.str.ptr, s, strlen(s)) == 0);
	if (v->type == MSGPACK_OBJECT_BIN)
		return (v->via.bin.size == strlen(s) &&
		    memcmp(v->via.bin.ptr, s, strlen(s)) == 0);
	return (0);
}

/* Is an integer field equal to n? */
static int
got_uint(const struct got *g, const char *key, uint64_t n)
{
	const msgpack_object	*v = got_field(g, key);

	return (v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    v->via.u64 == n);
}

/* Append s to out, with a comma between. */
static void
append(char *out, size_t len, const char *s)
{
	size_t	 n = strlen(out);

	snprintf(out + n, len - n, "%s%s", n > 0 ? "," : "", s);
}

/* The types of the frames up to and including one of type last, joined
 * by commas ("" at end of file). */
static void
types_until(int fd, const char *last, char *out, size_t len)
{
	struct got	 g;
	int		 done = 0;

	out[0] = '\0';
	while (!done && recv_frame(fd, &g)) {
		append(out, len, g.type);
		done = strcmp(g.type, last) == 0;
		got_free(&g);
	}
}

/* Has the library closed its end? */
static int
at_eof(int fd)
{
	struct got	 g;

	if (recv_frame(fd, &g)) {
		fprintf(stderr, "  unexpected '%s' frame\n", g.type);
		got_free(&g);
		return (0);
	}
	return (1);
}

/* --- the fake runtime --------------------------------------------------- */

struct rt {
	int	 fd;		/* the runtime's end */
	int	 podfd;		/* the workload's end */
};

/* A socketpair, the workload's end in PODVISOR_API_FD. */
static void
rt_open(struct rt *rt)
{
	int	 sv[2];
	char	 text[16];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
	rt->fd = sv[0];
	rt->podfd = sv[1];
	snprintf(text, sizeof text, "%d", rt->podfd);
	setenv("PODVISOR_API_FD", text, 1);
}

/* Attach with a handshake already written; the library's hello read. */
static struct podvisor_pod *
rt_attach(struct rt *rt, unsigned handles)
{
	struct podvisor_pod	*pod;
	struct got		 g;
	char			 err[256];

	rt_open(rt);
	send_handshake(rt->fd, 7, "agent", 3, -1);
	if ((pod = podvisor_attach(handles, err, sizeof err)) == NULL) {
		fprintf(stderr, "  attach: %s\n", err);
		exit(1);
	}
	attached = pod;
	if (recv_frame(rt->fd, &g)) {
		CHECK(strcmp(g.type, "hello") == 0);
		got_free(&g);
	}
	return (pod);
}

/* Fork a helper that plays part of the runtime; it exits with 0 if all
 * it checked held.  It frees its copy of the test's pod first (which
 * sends nothing and leaves the parent's descriptor open), so that a leak
 * checker sees only what the library itself loses. */
static pid_t
helper(void (*fn)(struct rt *), struct rt *rt)
{
	pid_t	 pid;

	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		podvisor_close(attached);
		fn(rt);
		_exit(failed ? 1 : 0);
	}
	return (pid);
}

/* Did the helper succeed? */
static int
helper_ok(pid_t pid)
{
	int	 status;

	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* podvisor_check() once it has read what the runtime wrote.  check()
 * looks at the descriptor at most every 200 microseconds, so a check
 * right after another may not have read yet: call it until nothing is
 * left to read (at most WAIT_MS), as a program that keeps checking does. */
static int
check_read(struct podvisor_pod *pod)
{
	struct pollfd	 pfd = { podvisor_fd(pod), POLLIN, 0 };
	struct timespec	 ts;
	int64_t		 end;
	int		 rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + WAIT_MS;
	(void)poll(&pfd, 1, WAIT_MS);		/* what was written is there */
	for (;;) {
		rc = podvisor_check(pod);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((pfd.fd = podvisor_fd(pod)) == -1 || poll(&pfd, 1, 0) == 0 ||
		    (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >= end)
			return (rc);
	}
}

/* Sleep a little, to let the library block in a wait first (the test
 * holds whether or not it has). */
static void
pause_ms(int ms)
{
	struct timespec	 ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* --- attach ------------------------------------------------------------- */

/* Outside a pod, or with a bad PODVISOR_API_FD: ENOENT, variable gone. */
static void
test_not_in_pod(void)
{
	const char	*bad[] = { "", "abc", "-1", "3x", NULL, NULL, NULL };
	char		 err[256], closed[16], piped[16];
	int		 p[2], fd, i;

	unsetenv("PODVISOR_API_FD");
	errno = 0;
	CHECK(podvisor_attach(0, err, sizeof err) == NULL);
	CHECK(errno == ENOENT);
	CHECK(has(err, "not in a pod"));
	if (pipe(p) == -1)
		exit(2);
	fd = dup(p[0]);
	close(fd);
	snprintf(closed, sizeof closed, "%d", fd);
	snprintf(piped, sizeof piped, "%d", p[0]);
	bad[4] = closed;
	bad[5] = piped;
	for (i = 0; bad[i] != NULL; i++) {
		setenv("PODVISOR_API_FD", bad[i], 1);
		errno = 0;
		CHECK(podvisor_attach(0, err, sizeof err) == NULL);
		CHECK(errno == ENOENT);
		CHECK(getenv("PODVISOR_API_FD") == NULL);
	}
	CHECK(fcntl(p[0], F_GETFD) != -1);	/* not ours to close */
}

/* The hello's contents, the welcome's, the variable gone, close-on-exec. */
static void
test_hello_welcome_env_cloexec(void)
{
	struct podvisor_pod	*pod;
	const msgpack_object	*h;
	struct timespec		 ts;
	struct rt		 rt;
	struct got		 g;
	int64_t			 deadline = ns_from_now(100);
	char			 err[256];

	rt_open(&rt);
	CHECK(fcntl(rt.podfd, F_SETFD, 0) == 0);
	send_handshake(rt.fd, 12, "agent", 3, deadline);
	pod = podvisor_attach(0, err, sizeof err);
	CHECK(pod != NULL);
	if (pod == NULL)
		return;
	CHECK(recv_frame(rt.fd, &g));
	CHECK(strcmp(g.type, "hello") == 0);
	CHECK(got_uint(&g, "version", PODVISOR_PROTOCOL_VERSION));
	CHECK(got_uint(&g, "pid", (uint64_t)getpid()));
	h = got_field(&g, "handles");
	CHECK(h != NULL && h->type == MSGPACK_OBJECT_ARRAY &&
	    h->via.array.size == 3 &&
	    memcmp(h->via.array.ptr[0].via.str.ptr, "cancel", 6) == 0 &&
	    memcmp(h->via.array.ptr[1].via.str.ptr, "notify", 6) == 0 &&
	    memcmp(h->via.array.ptr[2].via.str.ptr, "pause", 5) == 0);
	CHECK(g.up.data.via.map.size == 4);
	got_free(&g);
	CHECK(podvisor_id(pod) == 12);
	CHECK(podvisor_name(pod) != NULL &&
	    strcmp(podvisor_name(pod), "agent") == 0);
	CHECK(podvisor_parent(pod) == 3);
	CHECK(podvisor_deadline(pod, &ts) == 1 && ts_ns(&ts) == deadline);
	CHECK(getenv("PODVISOR_API_FD") == NULL);
	CHECK(fcntl(rt.podfd, F_GETFD) & FD_CLOEXEC);
	CHECK(podvisor_fd(pod) == rt.podfd);
	CHECK(strcmp(podvisor_error(pod), "no error") == 0);
	podvisor_close(pod);
	CHECK(fcntl(rt.podfd, F_GETFD) == -1);
	CHECK(at_eof(rt.fd));
}

/* Some handles, none, and a welcome with nil fields. */
static void
test_handles_and_nil_welcome(void)
{
	struct podvisor_pod	*pod;
	struct podvisor_message	*m;
	const msgpack_object	*h;
	struct timespec		 ts;
	struct rt		 rt;
	struct got		 g;
	char			 err[256];
	int			 i;

	for (i = 0; i < 2; i++) {
		rt_open(&rt);
		send_handshake(rt.fd, 5, NULL, -1, -1);
		pod = podvisor_attach(i == 0 ? PODVISOR_HANDLE_CANCEL :
		    PODVISOR_HANDLE_NONE, err, sizeof err);
		CHECK(pod != NULL);
		if (pod == NULL)
			return;
		CHECK(recv_frame(rt.fd, &g));
		h = got_field(&g, "handles");
		CHECK(h != NULL && h->type == MSGPACK_OBJECT_ARRAY &&
		    h->via.array.size == (i == 0 ? 1 : 0));
		got_free(&g);
		CHECK(podvisor_name(pod) == NULL);
		CHECK(podvisor_parent(pod) == 0);
		CHECK(podvisor_deadline(pod, &ts) == 0 && ts.tv_sec == 0);
		CHECK(podvisor_next_message(pod, 0, &m) == -1 &&
		    errno == EINVAL && m == NULL);
		CHECK(has(podvisor_error(pod), "PODVISOR_HANDLE_NOTIFY"));
		CHECK(podvisor_check(pod) == 0);	/* not broken by it */
		podvisor_close(pod);
		close(rt.fd);
	}
}

/* Unknown handles are refused before anything, the variable kept. */
static void
test_bad_handles(void)
{
	char	 err[256];

	setenv("PODVISOR_API_FD", "99", 1);
	CHECK(podvisor_attach(0x40, err, sizeof err) == NULL &&
	    errno == EINVAL);
	CHECK(podvisor_attach(PODVISOR_HANDLE_NONE | PODVISOR_HANDLE_CANCEL,
	    err, sizeof err) == NULL && errno == EINVAL);
	CHECK(getenv("PODVISOR_API_FD") != NULL);
}

/* No welcome: attach gives up after its deadline (5 s). */
static void
test_no_welcome_times_out(void)
{
	struct timespec	 a, b;
	struct rt	 rt;
	struct fb	 f;
	char		 err[256];

	rt_open(&rt);
	fb_begin(&f, "hello", 1);
	fb_int(&f, "version", PODVISOR_PROTOCOL_VERSION);
	fb_send(&f, rt.fd);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(podvisor_attach(0, err, sizeof err) == NULL);
	CHECK(errno == ETIMEDOUT);
	CHECK(has(err, "welcome"));
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(b.tv_sec - a.tv_sec >= 4 && b.tv_sec - a.tv_sec <= 8);
}

/* Another protocol version: refused, the runtime told, the channel closed. */
static void
test_version_mismatch(void)
{
	struct rt	 rt;
	struct got	 g;
	struct fb	 f;
	char		 err[256];

	rt_open(&rt);
	fb_begin(&f, "hello", 1);
	fb_int(&f, "version", 3);
	fb_send(&f, rt.fd);
	CHECK(podvisor_attach(0, err, sizeof err) == NULL);
	CHECK(errno == EPROTO);
	CHECK(has(err, "speaks 3") && has(err, "speaks 5"));
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "hello") == 0);
	got_free(&g);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "error") == 0 &&
	    got_text(&g, "code", "protocol"));
	got_free(&g);
	CHECK(at_eof(rt.fd));
}

/* A first message that is not a hello; a runtime that refuses; one that
 * closes before its welcome. */
static void
test_handshake_failures(void)
{
	struct rt	 rt;
	struct fb	 f;
	char		 err[256];

	rt_open(&rt);
	fb_begin(&f, "welcome", 1);
	fb_int(&f, "id", 1);
	fb_send(&f, rt.fd);
	CHECK(podvisor_attach(0, err, sizeof err) == NULL && errno == EPROTO);
	CHECK(has(err, "expected hello"));
	close(rt.fd);

	rt_open(&rt);
	fb_begin(&f, "hello", 1);
	fb_int(&f, "version", PODVISOR_PROTOCOL_VERSION);
	fb_send(&f, rt.fd);
	send_error(rt.fd, "failed", "the API is open");
	CHECK(podvisor_attach(0, err, sizeof err) == NULL);
	CHECK(has(err, "the API is open"));
	close(rt.fd);

	rt_open(&rt);
	fb_begin(&f, "hello", 1);
	fb_int(&f, "version", PODVISOR_PROTOCOL_VERSION);
	fb_send(&f, rt.fd);
	shutdown(rt.fd, SHUT_WR);
	CHECK(podvisor_attach(0, err, sizeof err) == NULL);
	CHECK(errno == ECONNRESET && has(err, "closed"));
	close(rt.fd);
}

/* --- the cancel --------------------------------------------------------- */

/* Level-triggered, acknowledged exactly once, when first observed. */
static void
test_cancel_level_triggered_one_ack(void)
{
	const struct podvisor_cancel	*c;
	struct podvisor_child_event	*ev;
	struct podvisor_pod		*pod;
	struct timespec			 ts;
	struct rt			 rt;
	int64_t				 when = ns_from_now(10);
	char				 types[256];
	int				 i;

	pod = rt_attach(&rt, 0);
	CHECK(!podvisor_cancelled(pod));
	CHECK(podvisor_check(pod) == PODVISOR_OK);
	send_cancel(rt.fd, "user", "user alice", when);
	/* Reading the frame is not observing it: no ack yet. */
	CHECK(podvisor_next_child_event(pod, 0, &ev) == PODVISOR_TIMEOUT);
	CHECK(podvisor_deadline(pod, &ts) == 1 && ts_ns(&ts) == when);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "heartbeat") == 0);
	/* The first observation acknowledges it, once. */
	CHECK(podvisor_cancelled(pod));
	for (i = 0; i < 3; i++)
		CHECK(podvisor_check(pod) == PODVISOR_STOPPED);
	c = podvisor_cancel_info(pod);
	CHECK(c != NULL && strcmp(c->reason, "user") == 0 &&
	    strcmp(c->requested_by, "user alice") == 0 &&
	    ts_ns(&c->deadline) == when);
	CHECK(podvisor_wait_cancel(pod, 0) == PODVISOR_STOPPED);
	CHECK(podvisor_wait_cancel(pod, -1) == PODVISOR_STOPPED);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "ack,heartbeat") == 0);
	CHECK(podvisor_check(pod) == PODVISOR_STOPPED);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "heartbeat") == 0);
	podvisor_close(pod);
}

/* check() is an observation too. */
static void
test_check_observes_first(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct got		 g;

	pod = rt_attach(&rt, 0);
	send_cancel(rt.fd, "timeout", "timeout", ns_from_now(5));
	CHECK(check_read(pod) == PODVISOR_STOPPED);
	CHECK(has(podvisor_cancel_info(pod)->reason, "timeout"));
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "ack") == 0);
	got_free(&g);
	podvisor_close(pod);
}

/* check() reads the descriptor on its own: a cancel written after a check
 * is seen by later checks, with no other call in between. */
static void
test_check_reads_on_its_own(void)
{
	struct podvisor_pod	*pod;
	struct timespec		 ts;
	struct rt		 rt;
	int64_t			 end;
	int			 rc;

	pod = rt_attach(&rt, 0);
	CHECK(podvisor_check(pod) == PODVISOR_OK);
	send_cancel(rt.fd, "user", "user alice", ns_from_now(5));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + WAIT_MS / 1000;
	do {
		rc = podvisor_check(pod);
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while (rc == PODVISOR_OK && ts.tv_sec <= end);
	CHECK(rc == PODVISOR_STOPPED);
	podvisor_close(pod);
}

/* After podvisor_process() (the program polled the descriptor itself),
 * the very next check() sees what came. */
static void
test_process_then_check(void)
{
	struct podvisor_pod	*pod;
	struct pollfd		 pfd;
	struct rt		 rt;

	pod = rt_attach(&rt, 0);
	CHECK(podvisor_check(pod) == PODVISOR_OK);
	send_cancel(rt.fd, "user", "user alice", ns_from_now(5));
	pfd.fd = podvisor_fd(pod);
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, WAIT_MS) == 1);
	CHECK(podvisor_process(pod) == 0);
	CHECK(podvisor_check(pod) == PODVISOR_STOPPED);
	podvisor_close(pod);
}

/* The helper: cancel once the library has said it waits (heartbeat). */
static void
cancel_after_heartbeat(struct rt *rt)
{
	char	 types[256];

	types_until(rt->fd, "heartbeat", types, sizeof types);
	pause_ms(50);
	send_cancel(rt->fd, "parent-stopped", "parent 3", ns_from_now(5));
}

/* wait_cancel() times out, then wakes up for a cancel that comes. */
static void
test_wait_cancel(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct got		 g;
	pid_t			 pid;

	pod = rt_attach(&rt, 0);
	CHECK(podvisor_wait_cancel(pod, 50) == PODVISOR_TIMEOUT);
	pid = helper(cancel_after_heartbeat, &rt);
	CHECK(podvisor_heartbeat(pod) == 0);
	CHECK(podvisor_wait_cancel(pod, WAIT_MS) == PODVISOR_STOPPED);
	CHECK(helper_ok(pid));
	CHECK(strcmp(podvisor_cancel_info(pod)->requested_by, "parent 3") ==
	    0);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "ack") == 0);
	got_free(&g);
	podvisor_close(pod);
}

/* A cancel outlives the channel that brought it. */
static void
test_cancel_survives_a_closed_channel(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;

	pod = rt_attach(&rt, 0);
	send_cancel(rt.fd, "user", "user bob", ns_from_now(0));
	close(rt.fd);
	CHECK(check_read(pod) == PODVISOR_STOPPED);
	CHECK(podvisor_check(pod) == PODVISOR_STOPPED);
	CHECK(podvisor_process(pod) == -1 && errno == ECONNRESET);
	CHECK(podvisor_heartbeat(pod) == -1);
	CHECK(podvisor_wait_cancel(pod, -1) == PODVISOR_STOPPED);
	CHECK(podvisor_fd(pod) == -1);
	podvisor_close(pod);
}

/* A cancel right behind the welcome is there once attach returns. */
static void
test_cancel_right_after_welcome(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;
	char			 types[256], err[256];

	rt_open(&rt);
	send_handshake(rt.fd, 7, "agent", -1, -1);
	send_cancel(rt.fd, "user", "user bob", ns_from_now(3));
	pod = podvisor_attach(0, err, sizeof err);
	CHECK(pod != NULL);
	if (pod == NULL)
		return;
	CHECK(podvisor_cancelled(pod));
	types_until(rt.fd, "ack", types, sizeof types);
	CHECK(strcmp(types, "hello,ack") == 0);
	podvisor_close(pod);
}

/* --- requests ------------------------------------------------------------ */

/* extend granted, with unsolicited frames before the answer. */
static void
test_extend_granted(void)
{
	const struct podvisor_cancel	*c;
	struct podvisor_child_event	*ev;
	struct podvisor_pod		*pod;
	struct timespec			 nd, ts;
	struct rt			 rt;
	struct got			 g;
	struct fb			 f;
	int64_t				 when = ns_from_now(40);

	pod = rt_attach(&rt, 0);
	send_cancel(rt.fd, "user", "user alice", 1000);
	fb_begin(&f, "child", 3);
	fb_int(&f, "id", 9);
	fb_str(&f, "event", "spawned");
	fb_str(&f, "state", "running");
	fb_send(&f, rt.fd);
	fb_begin(&f, "extended", 1);
	fb_int(&f, "deadline", when);
	fb_send(&f, rt.fd);
	CHECK(podvisor_extend(pod, 2.5, "checkpoint", &nd) == PODVISOR_OK);
	CHECK(ts_ns(&nd) == when);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "extend") == 0 &&
	    got_uint(&g, "ms", 2500) && got_text(&g, "why", "checkpoint"));
	got_free(&g);
	c = podvisor_cancel_info(pod);
	CHECK(c != NULL && ts_ns(&c->deadline) == when);
	CHECK(podvisor_deadline(pod, &ts) == 1 && ts_ns(&ts) == when);
	CHECK(podvisor_next_child_event(pod, 0, &ev) == PODVISOR_OK &&
	    ev->id == 9);
	podvisor_child_event_free(ev);
	podvisor_close(pod);
}

/* extend refused: PODVISOR_REFUSED with the reason; bad durations are
 * refused before anything is sent. */
static void
test_extend_refused(void)
{
	struct podvisor_pod	*pod;
	struct timespec		 nd;
	struct rt		 rt;
	struct got		 g;
	char			 types[256];

	pod = rt_attach(&rt, 0);
	send_error(rt.fd, "refused", "beyond --max-extend (10s in all)");
	errno = EDOM;
	CHECK(podvisor_extend(pod, 60, NULL, &nd) == PODVISOR_REFUSED);
	CHECK(errno == EDOM);
	CHECK(has(podvisor_error(pod), "max-extend"));
	CHECK(recv_frame(rt.fd, &g) && got_uint(&g, "ms", 60000) &&
	    got_field(&g, "why") == NULL);
	got_free(&g);
	CHECK(podvisor_extend(pod, 0, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(podvisor_extend(pod, -1, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(podvisor_extend(pod, NAN, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(podvisor_extend(pod, 1e12, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "heartbeat") == 0);
	podvisor_close(pod);
}

/* An answer of the wrong kind is bad input. */
static void
test_replies_matched_in_order(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct got		 g;

	pod = rt_attach(&rt, 0);
	send_type(rt.fd, "ok");
	CHECK(podvisor_extend(pod, 1, NULL, NULL) == -1 && errno == EPROTO);
	CHECK(has(podvisor_error(pod), "'ok' does not answer the pending "
	    "extend"));
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "extend") == 0);
	got_free(&g);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "error") == 0 &&
	    got_text(&g, "code", "protocol"));
	got_free(&g);
	CHECK(at_eof(rt.fd));
	podvisor_close(pod);
}

/* A result, kept (ok) and refused (error). */
static void
test_result(void)
{
	struct podvisor_pod	*pod;
	const msgpack_object	*d;
	struct rt		 rt;
	struct got		 g;
	const char		*json = "{\"answer\": [1, 2], \"text\": "
				    "\"\xc3\xa9t\xc3\xa9\"}";

	pod = rt_attach(&rt, 0);
	send_type(rt.fd, "ok");
	CHECK(podvisor_set_result(pod, json) == PODVISOR_OK);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "result") == 0);
	d = got_field(&g, "data");
	CHECK(d != NULL && d->type == MSGPACK_OBJECT_BIN &&
	    d->via.bin.size == strlen(json) &&
	    memcmp(d->via.bin.ptr, json, strlen(json)) == 0);
	got_free(&g);
	send_error(rt.fd, "usage", "the result is not JSON: bad UTF-8");
	CHECK(podvisor_set_result(pod, "1") == PODVISOR_REFUSED);
	CHECK(has(podvisor_error(pod), "bad UTF-8"));
	podvisor_close(pod);
}

/* A result over 64 KiB, or not JSON, is refused before sending. */
static void
test_result_too_large_or_not_json(void)
{
	const char		*bad[] = { "", "nan", "{", "[1,]", "01", "1 2",
				    "{\"a\"}", "tru", "\"\\x\"", "\"a\nb\"",
				    "{\"a\":1,}", "-", "1.", "1e", NULL };
	struct podvisor_pod	*pod;
	struct rt		 rt;
	char			*big, types[256];
	size_t			 n = 70000, i;

	pod = rt_attach(&rt, 0);
	big = malloc(n + 1);
	memset(big, 'x', n);
	big[0] = big[n - 1] = '"';
	big[n] = '\0';
	CHECK(podvisor_set_result(pod, big) == -1 && errno == EMSGSIZE);
	CHECK(has(podvisor_error(pod), "65536"));
	for (i = 0; bad[i] != NULL; i++) {
		errno = 0;
		CHECK(podvisor_set_result(pod, bad[i]) == -1 &&
		    errno == EINVAL);
	}
	memset(big, '[', 3000);		/* deeper than JSON_DEPTH_MAX */
	memset(big + 3000, ']', 3000);
	big[6000] = '\0';
	CHECK(podvisor_set_result(pod, big) == -1 && errno == EINVAL);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "heartbeat") == 0);
	free(big);
	podvisor_close(pod);
}

/* Valid JSON of every kind is accepted. */
static void
test_result_valid_json(void)
{
	const char		*good[] = { "0", "-0", " true ", "null",
				    "\"x\"", "[]", "{}", "-12.5e+3",
				    "[1,2.5E-3,\"a\\u00e9\\n\",{\"k\":null}]",
				    "{\"a\":{\"b\":[[], {}]}, \"c\" : false}",
				    NULL };
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct got		 g;
	size_t			 i;

	pod = rt_attach(&rt, 0);
	for (i = 0; good[i] != NULL; i++) {
		send_type(rt.fd, "ok");
		CHECK(podvisor_set_result(pod, good[i]) == PODVISOR_OK);
		CHECK(recv_frame(rt.fd, &g) && got_text(&g, "data", good[i]));
		got_free(&g);
	}
	podvisor_close(pod);
}

/* log, status, heartbeat: their frames, and what is refused. */
static void
test_log_status_heartbeat(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct got		 g;

	pod = rt_attach(&rt, 0);
	CHECK(podvisor_log_fields(pod, PODVISOR_LOG_WARNING, "fetched",
	    "{\"url\": \"http://x\"}") == 0);
	CHECK(podvisor_log(pod, PODVISOR_LOG_INFO, "step %d of %s", 3,
	    "ten") == 0);
	CHECK(podvisor_set_status(pod, "step 3", 0.25) == 0);
	CHECK(podvisor_set_status(pod, NULL, -1) == 0);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "log") == 0 &&
	    got_text(&g, "level", "warning") &&
	    got_field(&g, "message")->type == MSGPACK_OBJECT_BIN &&
	    got_text(&g, "message", "fetched") &&
	    got_text(&g, "fields", "{\"url\": \"http://x\"}"));
	got_free(&g);
	CHECK(recv_frame(rt.fd, &g) && got_text(&g, "level", "info") &&
	    got_text(&g, "message", "step 3 of ten") &&
	    got_field(&g, "fields") == NULL);
	got_free(&g);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "report") == 0 &&
	    got_text(&g, "text", "step 3") &&
	    got_field(&g, "progress")->type == MSGPACK_OBJECT_FLOAT64 &&
	    got_field(&g, "progress")->via.f64 == 0.25);
	got_free(&g);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "report") == 0 &&
	    got_text(&g, "text", "") && got_absent(&g, "progress") &&
	    got_count(&g) == 2);
	got_free(&g);
	errno = EDOM;
	CHECK(podvisor_heartbeat(pod) == 0 && errno == EDOM);
	CHECK(recv_frame(rt.fd, &g) && strcmp(g.type, "heartbeat") == 0 &&
	    g.up.data.via.map.size == 1);
	got_free(&g);
	podvisor_close(pod);
}

/* Bad levels, sizes, fields and progress are refused before sending. */
static void
test_log_status_refused(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;
	char			*big, types[256];

	pod = rt_attach(&rt, 0);
	big = malloc(70001);
	memset(big, 'x', 70000);
	big[70000] = '\0';
	CHECK(podvisor_log_fields(pod, 7, "x", NULL) == -1 && errno == EINVAL);
	CHECK(podvisor_log_fields(pod, PODVISOR_LOG_INFO, big, NULL) == -1 &&
	    errno == EMSGSIZE);
	CHECK(podvisor_log(pod, PODVISOR_LOG_INFO, "%s", big) == -1 &&
	    errno == EMSGSIZE);
	CHECK(podvisor_log_fields(pod, PODVISOR_LOG_INFO, "x", "[1]") == -1 &&
	    errno == EINVAL);
	CHECK(podvisor_set_status(pod, "x", 1.5) == -1 && errno == EINVAL);
	CHECK(podvisor_set_status(pod, "x", NAN) == -1 && errno == EINVAL);
	big[5000] = '\0';
	CHECK(podvisor_set_status(pod, big, 0.5) == -1 && errno == EMSGSIZE);
	free(big);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "heartbeat") == 0);
	podvisor_close(pod);
}

/* --- messages and child events ------------------------------------------ */

/* recv is sent once while one is outstanding; messages as sent. */
static void
test_messages(void)
{
	struct podvisor_message	*m;
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct fb		 f;
	char			 types[256];

	pod = rt_attach(&rt, 0);
	CHECK(podvisor_next_message(pod, 0, &m) == PODVISOR_TIMEOUT &&
	    m == NULL);
	CHECK(podvisor_next_message(pod, 10, &m) == PODVISOR_TIMEOUT);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "recv,heartbeat") == 0);
	fb_begin(&f, "message", 5);
	fb_int(&f, "seq", 14);
	fb_str(&f, "priority", "high");
	fb_str(&f, "key", "plan");
	fb_bin(&f, "data", "caf\xc3\xa9", 5);
	fb_uintv(&f, "preempted", NULL, 0);
	fb_send(&f, rt.fd);
	CHECK(podvisor_next_message(pod, WAIT_MS, &m) == PODVISOR_OK);
	CHECK(m != NULL && m->seq == 14 && strcmp(m->priority, "high") == 0 &&
	    strcmp(m->key, "plan") == 0 && m->len == 5 &&
	    memcmp(m->data, "caf\xc3\xa9", 6) == 0 && m->npreempted == 0);
	podvisor_message_free(m);
	fb_begin(&f, "message", 3);
	fb_int(&f, "seq", 15);
	fb_str(&f, "priority", "low");
	fb_bin(&f, "data", "\xff\x00", 2);
	fb_send(&f, rt.fd);
	CHECK(podvisor_next_message(pod, WAIT_MS, &m) == PODVISOR_OK &&
	    m->key == NULL && m->len == 2 && m->data[0] == 0xff &&
	    m->data[1] == 0 && m->data[2] == 0);
	podvisor_message_free(m);
	fb_begin(&f, "message", 2);
	fb_int(&f, "seq", 16);
	fb_str(&f, "priority", "normal");
	fb_send(&f, rt.fd);
	CHECK(podvisor_next_message(pod, WAIT_MS, &m) == PODVISOR_OK &&
	    m->len == 0 && m->data != NULL && m->data[0] == 0 &&
	    strcmp(m->priority, "normal") == 0);
	podvisor_message_free(m);
	podvisor_close(pod);
}

/* The helper: cancel once the library asked for a message. */
static void
cancel_after_recv(struct rt *rt)
{
	char	 types[256];

	types_until(rt->fd, "recv", types, sizeof types);
	CHECK(strcmp(types, "recv") == 0);
	pause_ms(50);
	send_cancel(rt->fd, "user", "user alice", ns_from_now(5));
}

/* A cancel ends a wait for a message, without a message. */
static void
test_cancel_ends_message_wait(void)
{
	struct podvisor_message	*m;
	struct podvisor_pod	*pod;
	struct rt		 rt;
	pid_t			 pid;

	pod = rt_attach(&rt, 0);
	pid = helper(cancel_after_recv, &rt);
	CHECK(podvisor_next_message(pod, -1, &m) == PODVISOR_CHECK &&
	    m == NULL);
	CHECK(helper_ok(pid));
	CHECK(podvisor_check(pod) == PODVISOR_STOPPED);
	podvisor_close(pod);
}

/* A --preempt message interrupts check() once, and comes out first. */
static void
test_preempt_interrupts_check(void)
{
	struct podvisor_message	*m;
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct fb		 f;
	uint64_t		 ids[] = { 8, 9 };

	pod = rt_attach(&rt, 0);
	fb_begin(&f, "message", 3);
	fb_int(&f, "seq", 20);
	fb_str(&f, "priority", "normal");
	fb_bin(&f, "data", "a", 1);
	fb_send(&f, rt.fd);
	fb_begin(&f, "message", 4);
	fb_int(&f, "seq", 21);
	fb_str(&f, "priority", "high");
	fb_bin(&f, "data", "stop and listen", 15);
	fb_uintv(&f, "preempted", ids, 2);
	fb_send(&f, rt.fd);
	CHECK(check_read(pod) == PODVISOR_INTERRUPTED);
	CHECK(podvisor_check(pod) == PODVISOR_OK);
	CHECK(podvisor_next_message(pod, 0, &m) == PODVISOR_OK &&
	    m->seq == 21 && m->npreempted == 2 && m->preempted[0] == 8 &&
	    m->preempted[1] == 9);
	podvisor_message_free(m);
	CHECK(podvisor_next_message(pod, 0, &m) == PODVISOR_OK &&
	    m->seq == 20);
	podvisor_message_free(m);
	podvisor_close(pod);
}

/* With PODVISOR_HANDLE_INTERRUPT a critical message interrupts check()
 * once; without it, it does not. */
static void
test_critical_interrupts(void)
{
	struct podvisor_message	*m;
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct fb		 f;
	unsigned		 h;
	int			 rc;

	for (h = 0; h < 2; h++) {
		pod = rt_attach(&rt, h == 0 ? 0 : PODVISOR_HANDLE_CANCEL |
		    PODVISOR_HANDLE_NOTIFY | PODVISOR_HANDLE_INTERRUPT);
		fb_begin(&f, "message", 3);
		fb_int(&f, "seq", 30);
		fb_str(&f, "priority", "critical");
		fb_bin(&f, "data", "now", 3);
		fb_send(&f, rt.fd);
		rc = check_read(pod);
		CHECK(rc == (h == 0 ? PODVISOR_OK :
		    PODVISOR_INTERRUPTED));
		CHECK(podvisor_check(pod) == PODVISOR_OK);
		CHECK(podvisor_next_message(pod, 0, &m) == PODVISOR_OK &&
		    m->seq == 30 && strcmp(m->priority, "critical") == 0);
		podvisor_message_free(m);
		podvisor_close(pod);
	}
}

/* Child events, in order, with their fields; a cancel does not end the
 * wait for one. */
static void
test_child_events(void)
{
	struct podvisor_child_event	*ev;
	struct podvisor_pod		*pod;
	struct timespec			 a, b;
	struct rt			 rt;
	struct fb			 f;

	pod = rt_attach(&rt, 0);
	fb_begin(&f, "child", 4);
	fb_int(&f, "id", 9);
	fb_str(&f, "name", "kid");
	fb_str(&f, "event", "spawned");
	fb_str(&f, "state", "running");
	fb_send(&f, rt.fd);
	fb_begin(&f, "child", 7);
	fb_int(&f, "id", 9);
	fb_str(&f, "event", "ended");
	fb_str(&f, "state", "stopped");
	fb_nil(&f, "exit_code");
	fb_int(&f, "signal", 2);
	fb_str(&f, "reason", "preempted");
	fb_bin(&f, "result", "{\"ok\": true}", 12);
	fb_send(&f, rt.fd);
	CHECK(podvisor_next_child_event(pod, WAIT_MS, &ev) == PODVISOR_OK);
	CHECK(ev->id == 9 && strcmp(ev->name, "kid") == 0 &&
	    strcmp(ev->event, "spawned") == 0 &&
	    strcmp(ev->state, "running") == 0 && ev->result == NULL &&
	    ev->exit_code == -1 && ev->signal == 0 && ev->reason == NULL);
	podvisor_child_event_free(ev);
	CHECK(podvisor_next_child_event(pod, WAIT_MS, &ev) == PODVISOR_OK);
	CHECK(ev->name == NULL && strcmp(ev->event, "ended") == 0 &&
	    strcmp(ev->state, "stopped") == 0 && ev->exit_code == -1 &&
	    ev->signal == 2 && strcmp(ev->reason, "preempted") == 0 &&
	    ev->result_len == 12 && strcmp(ev->result, "{\"ok\": true}") == 0);
	podvisor_child_event_free(ev);
	send_cancel(rt.fd, "user", "user alice", ns_from_now(5));
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(podvisor_next_child_event(pod, 50, &ev) == PODVISOR_TIMEOUT &&
	    ev == NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) /
	    1000000 >= 45);		/* the whole wait, not cut short */
	podvisor_close(pod);
}

/* --- pausing -------------------------------------------------------------- */

/* The helper: resume once the library confirmed the pause. */
static void
resume_after_paused(struct rt *rt)
{
	char	 types[256];

	types_until(rt->fd, "paused", types, sizeof types);
	CHECK(strcmp(types, "paused") == 0);
	pause_ms(50);
	send_type(rt->fd, "resume");
}

/* check() confirms a pause and blocks until the resume. */
static void
test_check_pauses_until_resume(void)
{
	struct podvisor_message	*m;
	struct podvisor_pod	*pod;
	struct timespec		 a, b;
	struct rt		 rt;
	char			 types[256];
	pid_t			 pid;

	pod = rt_attach(&rt, 0);
	send_type(rt.fd, "pause");
	pid = helper(resume_after_paused, &rt);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(check_read(pod) == PODVISOR_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* It returned because of the resume: no pause is pending any more,
	 * and the helper sent the resume 50ms after the paused. */
	CHECK(podvisor_next_message(pod, 0, &m) == PODVISOR_TIMEOUT);
	CHECK((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) /
	    1000000 >= 40);
	CHECK(helper_ok(pid));
	CHECK(podvisor_check(pod) == PODVISOR_OK);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "recv,heartbeat") == 0);
	podvisor_close(pod);
}

/* A pause ends the waits; a cancel ends the pause. */
static void
test_pause_ends_waits_cancel_ends_pause(void)
{
	struct podvisor_child_event	*ev;
	struct podvisor_message		*m;
	struct podvisor_pod		*pod;
	struct rt			 rt;

	pod = rt_attach(&rt, 0);
	send_type(rt.fd, "pause");
	CHECK(podvisor_next_message(pod, -1, &m) == PODVISOR_CHECK);
	CHECK(podvisor_next_child_event(pod, -1, &ev) == PODVISOR_CHECK);
	send_cancel(rt.fd, "user", "user alice", ns_from_now(1));
	CHECK(check_read(pod) == PODVISOR_STOPPED);
	podvisor_close(pod);
}

/* Without PODVISOR_HANDLE_PAUSE, a pause is nothing to the library. */
static void
test_pause_ignored_when_not_handled(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;
	char			 types[256];

	pod = rt_attach(&rt, PODVISOR_HANDLE_CANCEL);
	send_type(rt.fd, "pause");
	CHECK(check_read(pod) == PODVISOR_OK);
	CHECK(podvisor_heartbeat(pod) == 0);
	types_until(rt.fd, "heartbeat", types, sizeof types);
	CHECK(strcmp(types, "heartbeat") == 0);
	podvisor_close(pod);
}

/* --- bad input ------------------------------------------------------------ */

/* After bad input: the runtime told (protocol), the channel closed, and
 * every later call fails the same way at once. */
static void
expect_rejected(struct podvisor_pod *pod, struct rt *rt, const char *what)
{
	struct podvisor_child_event *ev;
	struct podvisor_message	*m;
	struct got		 g;
	char			 first[512];

	CHECK(check_read(pod) == -1 && errno == EPROTO);
	snprintf(first, sizeof first, "%s", podvisor_error(pod));
	if (!has(first, what)) {
		fprintf(stderr, "  error '%s' lacks '%s'\n", first, what);
		failed++;
	}
	CHECK(recv_frame(rt->fd, &g) && strcmp(g.type, "error") == 0 &&
	    got_text(&g, "code", "protocol"));
	got_free(&g);
	CHECK(at_eof(rt->fd));
	CHECK(podvisor_check(pod) == -1 && errno == EPROTO);
	CHECK(podvisor_next_message(pod, -1, &m) == -1);
	CHECK(podvisor_next_child_event(pod, -1, &ev) == -1 && ev == NULL);
	CHECK(podvisor_wait_cancel(pod, -1) == -1);
	CHECK(podvisor_heartbeat(pod) == -1);
	CHECK(podvisor_extend(pod, 1, NULL, NULL) == -1);
	CHECK(podvisor_process(pod) == -1);
	CHECK(podvisor_fd(pod) == -1);
	CHECK(strcmp(podvisor_error(pod), first) == 0);
}

/* One kind of bad input, as a raw payload (or raw bytes if frame). */
static void
bad_payload(const void *p, size_t n, int frame, const char *what)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;

	pod = rt_attach(&rt, 0);
	if (frame)
		send_payload(rt.fd, p, n);
	else
		write_all(rt.fd, p, n);
	expect_rejected(pod, &rt, what);
	podvisor_close(pod);
	close(rt.fd);
}

/* Frames that are not one good map. */
static void
test_bad_frames(void)
{
	static const uint8_t	 huge[] = { 0x00, 0x20, 0x00, 0x00 };
	static const uint8_t	 trailing[] = { 0x81, 0xa4, 't', 'y', 'p',
				    'e', 0xa6, 'r', 'e', 's', 'u', 'm', 'e',
				    0x00 };
	static const uint8_t	 twice[] = { 0x82, 0xa4, 't', 'y', 'p', 'e',
				    0xa6, 'r', 'e', 's', 'u', 'm', 'e', 0xa4,
				    't', 'y', 'p', 'e', 0xa5, 'p', 'a', 'u',
				    's', 'e' };
	/* {"type": "resume", "x": array32 of 2^32 - 1 entries}, truncated */
	static const uint8_t	 hostile[] = { 0x82, 0xa4, 't', 'y', 'p',
				    'e', 0xa6, 'r', 'e', 's', 'u', 'm', 'e',
				    0xa1, 'x', 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t	 intkey[] = { 0x82, 0xa4, 't', 'y', 'p',
				    'e', 0xa6, 'r', 'e', 's', 'u', 'm', 'e',
				    0x01, 0x02 };
	static const uint8_t	 notype[] = { 0x81, 0xa1, 'x', 0x01 };
	static const uint8_t	 inttype[] = { 0x81, 0xa4, 't', 'y', 'p',
				    'e', 0x05 };

	bad_payload(huge, sizeof huge, 0, "over the 1048576-byte limit");
	bad_payload("\xc1\xc1\xc1", 3, 1, "malformed");
	bad_payload("", 0, 1, "truncated");
	bad_payload("\x93\x01\x02\x03", 4, 1, "not a map");
	bad_payload(trailing, sizeof trailing, 1, "trailing");
	bad_payload(twice, sizeof twice, 1, "duplicate field 'type'");
	bad_payload(hostile, sizeof hostile, 1, "truncated");
	bad_payload(intkey, sizeof intkey, 1, "key");
	bad_payload(notype, sizeof notype, 1, "no 'type'");
	bad_payload(inttype, sizeof inttype, 1, "'type' must be a string");
}

/* Well-formed maps that are not right on this channel. */
static void
test_bad_messages(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;
	struct fb		 f;
	int			 i;

	for (i = 0; i < 10; i++) {
		pod = rt_attach(&rt, 0);
		switch (i) {
		case 0:
			send_type(rt.fd, "teleport");
			break;
		case 1:
			fb_begin(&f, "cancel", 1);
			fb_int(&f, "reason", 5);
			fb_send(&f, rt.fd);
			break;
		case 2:
			fb_begin(&f, "message", 1);
			fb_bin(&f, "data", "no seq", 6);
			fb_send(&f, rt.fd);
			break;
		case 3:
			fb_begin(&f, "child", 4);
			fb_int(&f, "id", 9);
			fb_str(&f, "event", "ended");
			fb_str(&f, "state", "failed");
			fb_bin(&f, "result", "{not json", 9);
			fb_send(&f, rt.fd);
			break;
		case 4:
			fb_begin(&f, "welcome", 1);
			fb_int(&f, "id", 8);
			fb_send(&f, rt.fd);
			break;
		case 5:
			fb_begin(&f, "message", 2);
			fb_int(&f, "seq", -4);
			fb_bin(&f, "key", "k\0", 2);
			fb_send(&f, rt.fd);
			break;
		case 6:
			fb_begin(&f, "extended", 1);
			fb_int(&f, "deadline", 5);
			fb_send(&f, rt.fd);
			break;
		case 7:			/* the runtime always sends one */
			fb_begin(&f, "message", 1);
			fb_int(&f, "seq", 4);
			fb_send(&f, rt.fd);
			break;
		case 8:
			fb_begin(&f, "child", 4);
			fb_int(&f, "id", 9);
			fb_str(&f, "event", "ended");
			fb_str(&f, "state", "killed");
			fb_int(&f, "signal", 99);
			fb_send(&f, rt.fd);
			break;
		case 9:			/* a type of another channel */
			fb_begin(&f, "kill", 2);
			fb_str(&f, "pod", "1");
			fb_int(&f, "signal", 9);
			fb_send(&f, rt.fd);
			break;
		}
		expect_rejected(pod, &rt, (const char *[]){ "'teleport'",
		    "'reason'", "missing required field 'seq'", "not JSON",
		    "unexpected message 'welcome'", "'seq'",
		    "answers no pending request",
		    "missing required field 'priority'",
		    "not a signal number", "unexpected message 'kill'" }[i]);
		podvisor_close(pod);
		close(rt.fd);
	}
}

/* The runtime closes the channel: every call fails, none waits. */
static void
test_closed_channel(void)
{
	struct podvisor_message	*m;
	struct podvisor_pod	*pod;
	struct rt		 rt;

	pod = rt_attach(&rt, 0);
	close(rt.fd);
	CHECK(check_read(pod) == -1 && errno == ECONNRESET);
	CHECK(has(podvisor_error(pod), "closed"));
	CHECK(podvisor_next_message(pod, -1, &m) == -1);
	CHECK(podvisor_wait_cancel(pod, -1) == -1);
	CHECK(podvisor_log(pod, PODVISOR_LOG_INFO, "x") == -1);
	CHECK(podvisor_set_result(pod, "1") == -1);
	podvisor_close(pod);
}

/* A runtime gone without reading: no SIGPIPE (the default disposition
 * would kill this process), just a failed call. */
static void
test_no_sigpipe(void)
{
	struct podvisor_pod	*pod;
	struct rt		 rt;

	signal(SIGPIPE, SIG_DFL);
	pod = rt_attach(&rt, 0);
	close(rt.fd);
	CHECK(podvisor_heartbeat(pod) == -1);
	CHECK(podvisor_heartbeat(pod) == -1);
	CHECK(has(podvisor_error(pod), "closed"));
	podvisor_close(pod);
}

/* The program's own poll loop: the descriptor, then podvisor_process(). */
static void
test_poll_loop(void)
{
	struct podvisor_message	*m;
	struct podvisor_pod	*pod;
	struct pollfd		 pfd;
	struct rt		 rt;
	struct fb		 f;

	pod = rt_attach(&rt, 0);
	pfd.fd = podvisor_fd(pod);
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 0) == 0);
	CHECK(podvisor_process(pod) == 0);
	fb_begin(&f, "message", 3);
	fb_int(&f, "seq", 3);
	fb_str(&f, "priority", "low");
	fb_bin(&f, "data", "hi", 2);
	fb_send(&f, rt.fd);
	CHECK(poll(&pfd, 1, WAIT_MS) == 1 && (pfd.revents & POLLIN));
	CHECK(podvisor_process(pod) == 0);
	CHECK(poll(&pfd, 1, 0) == 0);		/* all taken in */
	CHECK(podvisor_next_message(pod, 0, &m) == PODVISOR_OK &&
	    m->seq == 3);
	podvisor_message_free(m);
	podvisor_close(pod);
}

/* --- the control socket ---------------------------------------------------- */

static char	 sockpath[108];
static int	 listener = -1;

/* A listening socket in a fresh directory, named in PODVISOR_SOCKET. */
static void
fake_daemon_listen(void)
{
	struct sockaddr_un	 sun;
	char			 dir[] = "/tmp/pvl-test.XXXXXX";

	if (mkdtemp(dir) == NULL)
		exit(2);
	snprintf(sockpath, sizeof sockpath, "%s/ctl.sock", dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sockpath);
	if ((listener = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(listener, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(listener, 4) == -1) {
		perror("fake daemon");
		exit(2);
	}
	setenv("PODVISOR_SOCKET", sockpath, 1);
}

/* Remove the socket and its directory. */
static void
fake_daemon_clean(void)
{
	char	*slash;

	close(listener);
	unlink(sockpath);
	if ((slash = strrchr(sockpath, '/')) != NULL) {
		*slash = '\0';
		rmdir(sockpath);
	}
}

/* The helper daemon for spawn: hello and ok{id 42} at once, then check
 * the client's hello and spawn request. */
static void
daemon_spawn(struct rt *rt)
{
	const msgpack_object	*v;
	struct got		 g;
	struct fb		 f;
	char			 cwd[4096];
	int			 fd;

	if ((fd = accept(listener, NULL, NULL)) == -1)
		_exit(2);
	fb_begin(&f, "hello", 1);
	fb_int(&f, "version", PODVISOR_PROTOCOL_VERSION);
	fb_send(&f, fd);
	fb_begin(&f, "ok", 1);
	fb_int(&f, "id", 42);
	fb_send(&f, fd);
	CHECK(recv_frame(fd, &g) && strcmp(g.type, "hello") == 0 &&
	    got_uint(&g, "version", PODVISOR_PROTOCOL_VERSION) &&
	    got_absent(&g, "handles"));
	got_free(&g);
	CHECK(recv_frame(fd, &g) && strcmp(g.type, "spawn") == 0);
	CHECK(got_text(&g, "parent", "7"));
	CHECK(got_text(&g, "name", "kid"));
	CHECK(got_field(&g, "timeout_ms") != NULL &&
	    got_field(&g, "timeout_ms")->via.u64 == 2500);
	CHECK(got_absent(&g, "cancel_grace_ms"));
	CHECK(getcwd(cwd, sizeof cwd) != NULL && got_text(&g, "cwd", cwd));
	v = got_field(&g, "argv");
	CHECK(v != NULL && v->via.array.size == 2 &&
	    memcmp(v->via.array.ptr[1].via.str.ptr, "1", 1) == 0);
	v = got_field(&g, "env");
	CHECK(v != NULL && v->via.array.size == 1 &&
	    v->via.array.ptr[0].via.str.size == 3);
	got_free(&g);
	close(fd);
}

/* podvisor_spawn(): a child pod of this pod through the control socket. */
static void
test_spawn(void)
{
	const char *const		 argv[] = { "sleep", "1", NULL };
	const char *const		 env[] = { "A=1", NULL };
	const char *const		 badenv[] = { "NOEQUALS", NULL };
	struct podvisor_spawn_opts	 o;
	struct podvisor_pod		*pod;
	struct rt			 rt;
	uint64_t			 id = 0;
	pid_t				 pid;

	pod = rt_attach(&rt, 0);
	fake_daemon_listen();
	pid = helper(daemon_spawn, &rt);
	podvisor_spawn_opts_init(&o);
	o.name = "kid";
	o.env = env;
	o.timeout_ms = 2500;
	CHECK(podvisor_spawn(pod, argv, &o, &id) == 0);
	CHECK(id == 42);
	CHECK(helper_ok(pid));
	o.env = badenv;
	CHECK(podvisor_spawn(pod, argv, &o, &id) == -1 && errno == EINVAL);
	CHECK(has(podvisor_error(pod), "K=V"));
	fake_daemon_clean();
	podvisor_close(pod);
}

/* The helper daemon for stop and wait: every reply written at once. */
static void
daemon_stop_wait(struct rt *rt)
{
	struct fb	 f;
	char		 buf[4096];
	int		 fd;

	if ((fd = accept(listener, NULL, NULL)) == -1)
		_exit(2);
	fb_begin(&f, "hello", 1);
	fb_int(&f, "version", PODVISOR_PROTOCOL_VERSION);
	fb_send(&f, fd);
	fb_begin(&f, "end", 1);			/* stop 99 */
	fb_key(&f, "missing");
	msgpack_pack_array(&f.pk, 1);
	msgpack_pack_str(&f.pk, 2);
	msgpack_pack_str_body(&f.pk, "99", 2);
	fb_send(&f, fd);
	send_type(fd, "end");			/* stop 5 */
	fb_begin(&f, "pod", 6);			/* wait 5 */
	fb_int(&f, "id", 5);
	fb_str(&f, "name", "web");
	fb_str(&f, "state", "stopped");
	fb_nil(&f, "exit_code");
	fb_int(&f, "signal", 2);
	fb_str(&f, "reason", "user");
	fb_send(&f, fd);
	fb_begin(&f, "pod", 2);
	fb_int(&f, "id", 6);
	fb_str(&f, "state", "stopped");
	fb_send(&f, fd);
	send_type(fd, "end");
	send_error(fd, "denied", "pod 1 belongs to another user");
	while (read(fd, buf, sizeof buf) > 0)	/* until the client closes */
		;
	close(fd);
}

/* podvisor_client_stop() and _wait(), and their errors. */
static void
test_client_stop_wait(void)
{
	struct podvisor_outcome	*out;
	struct podvisor_client	*c;
	char			 err[256];
	pid_t			 pid;

	CHECK(podvisor_client_open("/nonexistent/podvisor.sock", err,
	    sizeof err) == NULL && errno == ENOENT);
	CHECK(has(err, "cannot reach podvisord"));
	fake_daemon_listen();
	pid = helper(daemon_stop_wait, NULL);
	c = podvisor_client_open(NULL, err, sizeof err);
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(podvisor_client_stop(c, "99", NULL) == -1 && errno == ESRCH);
	CHECK(has(podvisor_client_error(c), "no such pod: 99"));
	CHECK(strcmp(podvisor_client_error_code(c), "not-found") == 0);
	CHECK(podvisor_client_stop(c, "5", "deploy") == 0);
	CHECK(podvisor_client_wait(c, "5", WAIT_MS, &out) == 0);
	CHECK(out != NULL && out->id == 5 && strcmp(out->name, "web") == 0 &&
	    strcmp(out->state, "stopped") == 0 && out->exit_code == -1 &&
	    out->signal == 2 && strcmp(out->reason, "user") == 0);
	podvisor_outcome_free(out);
	CHECK(podvisor_client_wait(c, "1", WAIT_MS, &out) == -1 &&
	    errno == EACCES && out == NULL);
	CHECK(strcmp(podvisor_client_error_code(c), "denied") == 0);
	podvisor_client_close(c);
	CHECK(helper_ok(pid));
	fake_daemon_clean();
}

/* --- the runner ------------------------------------------------------------ */

static const struct {
	const char	*name;
	void		(*fn)(void);
} tests[] = {
	{ "not in a pod", test_not_in_pod },
	{ "hello, welcome, env and cloexec", test_hello_welcome_env_cloexec },
	{ "handles and nil welcome fields", test_handles_and_nil_welcome },
	{ "bad handles", test_bad_handles },
	{ "no welcome times out", test_no_welcome_times_out },
	{ "version mismatch", test_version_mismatch },
	{ "handshake failures", test_handshake_failures },
	{ "cancel: level-triggered, one ack", test_cancel_level_triggered_one_ack },
	{ "check observes first", test_check_observes_first },
	{ "check reads on its own", test_check_reads_on_its_own },
	{ "process, then check", test_process_then_check },
	{ "wait_cancel", test_wait_cancel },
	{ "cancel survives a closed channel",
	    test_cancel_survives_a_closed_channel },
	{ "cancel right after welcome", test_cancel_right_after_welcome },
	{ "extend granted", test_extend_granted },
	{ "extend refused", test_extend_refused },
	{ "replies matched in order", test_replies_matched_in_order },
	{ "result", test_result },
	{ "result too large or not JSON", test_result_too_large_or_not_json },
	{ "result: valid JSON", test_result_valid_json },
	{ "log, status, heartbeat", test_log_status_heartbeat },
	{ "log and status refused", test_log_status_refused },
	{ "messages", test_messages },
	{ "cancel ends a message wait", test_cancel_ends_message_wait },
	{ "preempt interrupts check", test_preempt_interrupts_check },
	{ "critical interrupts with HANDLE_INTERRUPT", test_critical_interrupts },
	{ "child events", test_child_events },
	{ "check pauses until resume", test_check_pauses_until_resume },
	{ "pause ends waits, cancel ends pause",
	    test_pause_ends_waits_cancel_ends_pause },
	{ "pause ignored when not handled",
	    test_pause_ignored_when_not_handled },
	{ "bad frames", test_bad_frames },
	{ "bad messages", test_bad_messages },
	{ "closed channel", test_closed_channel },
	{ "no SIGPIPE", test_no_sigpipe },
	{ "the program's poll loop", test_poll_loop },
	{ "spawn through the control socket", test_spawn },
	{ "client stop and wait", test_client_stop_wait },
};

/* Run one test in a child of its own, under a watchdog. */
static int
run(size_t i)
{
	pid_t	 pid;
	int	 status;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		alarm(WATCHDOG);
		tests[i].fn();
		_exit(failed ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %zu - %s\n", i + 1, tests[i].name);
		return (0);
	}
	if (WIFSIGNALED(status))
		printf("not ok %zu - %s (killed by signal %d%s)\n", i + 1,
		    tests[i].name, WTERMSIG(status), WTERMSIG(status) ==
		    SIGALRM ? ": it hung" : "");
	else
		printf("not ok %zu - %s\n", i + 1, tests[i].name);
	return (1);
}

/* Run every test, or those whose name holds argv[1]; TAP output. */
int
main(int argc, char **argv)
{
	size_t	 i, n = sizeof tests / sizeof tests[0];
	int	 bad = 0;

	printf("1..%zu\n", n);
	for (i = 0; i < n; i++)
		if (argc < 2 || strstr(tests[i].name, argv[1]) != NULL)
			bad += run(i);
	return (bad > 0);
}
