/*
 * The pod API channel: opening it, and one dispatch of every frame the
 * runtime sends into the pod's state and queues, so that whichever call
 * happens to read sees a cancel, a message, a child event or a reply
 * alike.  Nothing is reported from under the program: a cancel is only
 * seen (and acknowledged) when the program asks.
 *
 *   hello --runtime's hello--> welcome --welcome--> open
 *
 * Bad input from the runtime (a frame over the limit, bad msgpack, an
 * unexpected type, an ill-typed field) is answered with an error of code
 * protocol and the channel is closed: every later call fails with the
 * same text (pvl_pod_fail), none waits and none crashes.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvl.h"

#define ENV_FD		"PODVISOR_API_FD"
#define HANDLES_ALL	(PODVISOR_HANDLE_CANCEL | PODVISOR_HANDLE_NOTIFY | \
			    PODVISOR_HANDLE_PAUSE)

/* Set the error text and errno; -1. */
int
pvl_pod_err(struct podvisor_pod *pod, int errnum, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(pod->err, sizeof pod->err, fmt, ap);
	va_end(ap);
	errno = errnum;
	return (-1);
}

/* The channel is unusable: close it, fail what awaits an answer, and make
 * every later call fail with this text.  -1. */
int
pvl_pod_fail(struct podvisor_pod *pod, int errnum, const char *fmt, ...)
{
	va_list	 ap;

	if (!pod->broken) {
		va_start(ap, fmt);
		vsnprintf(pod->broken_text, sizeof pod->broken_text, fmt, ap);
		va_end(ap);
		pod->broken = true;
		pod->broken_errno = errnum;
		pod->npending = 0;
		pvl_chan_close(&pod->ch);
	}
	return (pvl_pod_broken(pod));
}

/* -1 with the channel's failure if it has failed, else 0. */
int
pvl_pod_broken(struct podvisor_pod *pod)
{
	if (!pod->broken)
		return (0);
	memcpy(pod->err, pod->broken_text, sizeof pod->err);
	errno = pod->broken_errno;
	return (-1);
}

/* Bad input: tell the runtime (if it still listens), then fail. */
static int
reject(struct podvisor_pod *pod, const char *why)
{
	struct pvl_out	 o;
	char		 ignored[PVL_ERR_MAX];

	pvl_out_begin(&o, "error");
	pvl_out_str(&o, "code", "protocol");
	pvl_out_str(&o, "message", why);
	if (pvl_out_end(&o, ignored, sizeof ignored) == 0)
		(void)pvl_chan_send(&pod->ch, o.buf.data, o.buf.size, 0);
	pvl_out_free(&o);
	return (pvl_pod_fail(pod, EPROTO, "bad message from the pod runtime: "
	    "%s", why));
}

/* reject() of a field getter's complaint. */
static int
reject_frame(struct podvisor_pod *pod, const struct pvl_frame *f)
{
	return (reject(pod, f->why));
}

/* The runtime closed the channel, or reading it failed. */
static int
lost(struct podvisor_pod *pod, int rc)
{
	const char	*when = pod->phase != PVL_PHASE_OPEN ?
	    " before its welcome" : "";

	if (rc == PVL_IO_EOF)
		return (pvl_pod_fail(pod, ECONNRESET, "the pod runtime closed "
		    "the API channel%s", when));
	return (pvl_pod_fail(pod, errno, "the pod runtime closed the API "
	    "channel%s: %s", when, strerror(errno)));
}

/* Finish a frame and send it, failing the channel if it cannot be. */
int
pvl_pod_send(struct podvisor_pod *pod, struct pvl_out *o)
{
	char	 why[PVL_ERR_MAX];
	int	 rc = -1;

	if (pvl_pod_broken(pod) == -1)
		;
	else if (pvl_out_end(o, why, sizeof why) == -1)
		(void)pvl_pod_err(pod, errno, "%s", why);
	else if (pvl_chan_send(&pod->ch, o->buf.data, o->buf.size,
	    PVL_SEND_MS) == 0)
		rc = 0;
	else if (errno == ETIMEDOUT)
		(void)pvl_pod_fail(pod, ETIMEDOUT, "the pod runtime is not "
		    "reading the API channel");
	else
		(void)lost(pod, PVL_IO_ERR);
	pvl_out_free(o);
	return (rc);
}

/* Send a message that has no fields. */
int
pvl_pod_send_type(struct podvisor_pod *pod, const char *type)
{
	struct pvl_out	 o;

	pvl_out_begin(&o, type);
	return (pvl_pod_send(pod, &o));
}

/* The first message: the runtime's hello, of our version. */
static int
on_hello(struct podvisor_pod *pod, struct pvl_frame *f)
{
	struct pvl_bytes	 text;
	uint64_t		 version;
	char			 why[PVL_ERR_MAX];

	if (pvl_is(f, "error")) {
		if (pvl_get_str(f, "message", false, &text) == -1 ||
		    text.ptr == NULL) {
			text.ptr = "?";
			text.len = 1;
		}
		return (pvl_pod_fail(pod, ECONNREFUSED, "the pod runtime "
		    "refused the connection: %.*s", (int)text.len, text.ptr));
	}
	if (!pvl_is(f, "hello")) {
		snprintf(why, sizeof why, "expected hello from the pod "
		    "runtime, got '%.*s'", (int)(f->typelen > 64 ? 64 :
		    f->typelen), f->type);
		return (reject(pod, why));
	}
	if (pvl_get_uint(f, "version", true, &version) == -1)
		return (reject_frame(pod, f));
	if (version != PODVISOR_PROTOCOL_VERSION) {
		snprintf(why, sizeof why, "protocol version mismatch: the pod "
		    "runtime speaks %llu, this side speaks %d",
		    (unsigned long long)version, PODVISOR_PROTOCOL_VERSION);
		return (reject(pod, why));
	}
	pod->phase = PVL_PHASE_WELCOME;
	return (0);
}

/* welcome: who this pod is. */
static int
on_welcome(struct podvisor_pod *pod, struct pvl_frame *f)
{
	struct pvl_bytes	 name;
	int64_t			 parent, deadline;

	if (pvl_get_uint(f, "id", true, &pod->id) == -1 ||
	    pvl_get_str(f, "name", false, &name) == -1 ||
	    pvl_get_int(f, "parent", false, &parent) == -1 ||
	    pvl_get_int(f, "deadline", false, &deadline) == -1)
		return (reject_frame(pod, f));
	if (parent < PVL_NONE || parent == 0)
		return (reject(pod, "'welcome' message: field 'parent' must "
		    "be a pod id"));
	if (name.ptr != NULL && (pod->name = pvl_strndup(&name)) == NULL)
		return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
	pod->parent = parent == PVL_NONE ? 0 : (uint64_t)parent;
	pod->deadline = deadline < 0 ? PVL_NONE : deadline;
	pod->phase = PVL_PHASE_OPEN;
	return (0);
}

/* cancel: kept once, the first one; level-triggered from here on. */
static int
on_cancel(struct podvisor_pod *pod, struct pvl_frame *f)
{
	struct pvl_bytes	 reason, by;
	int64_t			 deadline;

	if (pvl_get_str(f, "reason", true, &reason) == -1 ||
	    pvl_get_str(f, "requested_by", false, &by) == -1 ||
	    pvl_get_int(f, "deadline", false, &deadline) == -1)
		return (reject_frame(pod, f));
	if (pod->cancelled)
		return (0);
	if (by.ptr == NULL) {
		by.ptr = "";
		by.len = 0;
	}
	if ((pod->cancel_reason = pvl_strndup(&reason)) == NULL ||
	    (pod->cancel_by = pvl_strndup(&by)) == NULL)
		return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
	pod->cancel.reason = pod->cancel_reason;
	pod->cancel.requested_by = pod->cancel_by;
	pvl_ns_to_ts(deadline, &pod->cancel.deadline);
	if (deadline >= 0)
		pod->deadline = deadline;
	pod->cancelled = true;
	return (0);
}

/* Complete the oldest request, which must be of this kind. */
static int
answer(struct podvisor_pod *pod, enum pvl_req kind, const char *got,
    int rc)
{
	static const char *const names[] = { "extend", "result" };
	char			 why[PVL_ERR_MAX];

	if (pod->npending == 0) {
		snprintf(why, sizeof why, "'%s' answers no pending request",
		    got);
		return (reject(pod, why));
	}
	if (pod->pending[pod->pend_head] != kind) {
		snprintf(why, sizeof why, "'%s' does not answer the pending "
		    "%s request", got, names[pod->pending[pod->pend_head]]);
		return (reject(pod, why));
	}
	pod->pend_head = (pod->pend_head + 1) % PVL_PENDING_MAX;
	pod->npending--;
	pod->nanswered++;
	pod->reply_rc = rc;
	return (0);
}

/* extended: an extend was granted; the deadline moves. */
static int
on_extended(struct podvisor_pod *pod, struct pvl_frame *f)
{
	int64_t	 deadline;

	if (pvl_get_int(f, "deadline", true, &deadline) == -1)
		return (reject_frame(pod, f));
	if (deadline < 0)
		return (reject(pod, "'extended' message: field 'deadline' is "
		    "none"));
	if (answer(pod, PVL_REQ_EXTEND, "extended", PODVISOR_OK) == -1)
		return (-1);
	pod->reply_deadline = pod->deadline = deadline;
	if (pod->cancelled)
		pvl_ns_to_ts(deadline, &pod->cancel.deadline);
	return (0);
}

/* ok: a result was kept. */
static int
on_ok(struct podvisor_pod *pod, struct pvl_frame *f)
{
	return (answer(pod, PVL_REQ_RESULT, "ok", PODVISOR_OK));
}

/* error: the answer to the oldest request, or the runtime giving up. */
static int
on_error(struct podvisor_pod *pod, struct pvl_frame *f)
{
	struct pvl_bytes	 code, text;
	bool			 protocol;

	if (pvl_get_str(f, "code", true, &code) == -1 ||
	    pvl_get_str(f, "message", true, &text) == -1)
		return (reject_frame(pod, f));
	protocol = code.len == 8 && memcmp(code.ptr, "protocol", 8) == 0;
	if (protocol || pod->phase != PVL_PHASE_OPEN)
		return (pvl_pod_fail(pod, protocol ? EPROTO : ECONNREFUSED,
		    "the pod runtime closed the API channel: %.*s",
		    (int)text.len, text.ptr));
	if (pod->npending == 0)
		return (pvl_pod_fail(pod, EPROTO, "unexpected error from the "
		    "pod runtime: %.*s: %.*s", (int)code.len, code.ptr,
		    (int)text.len, text.ptr));
	snprintf(pod->reply_text, sizeof pod->reply_text, "%.*s",
	    (int)text.len, text.ptr);
	pod->pend_head = (pod->pend_head + 1) % PVL_PENDING_MAX;
	pod->npending--;
	pod->nanswered++;
	pod->reply_rc = PODVISOR_REFUSED;
	return (0);
}

/* Copy a field's bytes to *at, NUL-terminated; the copy, or NULL. */
static const char *
put(char **at, const struct pvl_bytes *b)
{
	char	*s = *at;

	if (b->ptr == NULL)
		return (NULL);
	memcpy(s, b->ptr, b->len);
	s[b->len] = '\0';
	*at += b->len + 1;
	return (s);
}

/* message: a notify message, queued for podvisor_next_message(). */
static int
on_message(struct podvisor_pod *pod, struct pvl_frame *f)
{
	const msgpack_object_array	*pre;
	struct pvl_bytes		 prio, key, data;
	struct pvl_msg			*n;
	uint64_t			 seq, *ids;
	size_t				 size, npre, i;
	char				*at;

	if (pvl_get_uint(f, "seq", true, &seq) == -1 ||
	    pvl_get_str(f, "priority", false, &prio) == -1 ||
	    pvl_get_str(f, "key", false, &key) == -1 ||
	    pvl_get_bin(f, "data", false, &data) == -1 ||
	    pvl_get_uintv(f, "preempted", &pre) == -1)
		return (reject_frame(pod, f));
	if (prio.ptr == NULL) {
		prio.ptr = "normal";
		prio.len = 6;
	}
	if (data.ptr == NULL) {
		data.ptr = "";
		data.len = 0;
	}
	npre = pre != NULL ? pre->size : 0;
	size = sizeof *n + npre * sizeof *ids + prio.len + 1 +
	    (key.ptr != NULL ? key.len + 1 : 0) + data.len + 1;
	if ((n = calloc(1, size)) == NULL)
		return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
	ids = (uint64_t *)(n + 1);
	for (i = 0; i < npre; i++)
		ids[i] = pre->ptr[i].via.u64;
	at = (char *)(ids + npre);
	n->m.seq = seq;
	n->m.priority = put(&at, &prio);
	n->m.key = put(&at, &key);
	n->m.len = data.len;
	n->m.data = (const unsigned char *)put(&at, &data);
	n->m.preempted = ids;
	n->m.npreempted = npre;
	*pod->msgs_tail = n;
	pod->msgs_tail = &n->next;
	pod->recv_outstanding = false;
	return (0);
}

/* The fields of a child event; -1 with the frame's reason. */
static int
child_fields(struct pvl_frame *f, struct pvl_kid *k, struct pvl_bytes *b)
{
	int64_t	 sig;

	/* b: name, event, state, reason, result */
	if (pvl_get_uint(f, "id", true, &k->e.id) == -1 ||
	    pvl_get_str(f, "name", false, &b[0]) == -1 ||
	    pvl_get_str(f, "event", true, &b[1]) == -1 ||
	    pvl_get_str(f, "state", true, &b[2]) == -1 ||
	    pvl_get_int(f, "exit_code", false, &k->e.exit_code) == -1 ||
	    pvl_get_int(f, "signal", false, &sig) == -1 ||
	    pvl_get_str(f, "reason", false, &b[3]) == -1 ||
	    pvl_get_bin(f, "result", false, &b[4]) == -1)
		return (-1);
	if (sig < PVL_NONE || sig > 64 || sig == 0) {
		snprintf(f->why, sizeof f->why, "'child' message: field "
		    "'signal' is not a signal number");
		return (-1);
	}
	if (b[4].ptr != NULL && !pvl_json_valid(b[4].ptr, b[4].len, false)) {
		snprintf(f->why, sizeof f->why, "'child' message: field "
		    "'result' is not JSON text");
		return (-1);
	}
	k->e.signal = sig == PVL_NONE ? 0 : (int)sig;
	return (0);
}

/* child: a child pod was spawned or ended, queued for
 * podvisor_next_child_event(). */
static int
on_child(struct podvisor_pod *pod, struct pvl_frame *f)
{
	struct pvl_kid		 tmp, *k;
	struct pvl_bytes	 b[5];
	size_t			 size = sizeof *k, i;
	char			*at;

	memset(&tmp, 0, sizeof tmp);
	if (child_fields(f, &tmp, b) == -1)
		return (reject_frame(pod, f));
	for (i = 0; i < 5; i++)
		size += b[i].ptr != NULL ? b[i].len + 1 : 0;
	if ((k = calloc(1, size)) == NULL)
		return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
	*k = tmp;
	at = (char *)(k + 1);
	k->e.name = put(&at, &b[0]);
	k->e.event = put(&at, &b[1]);
	k->e.state = put(&at, &b[2]);
	k->e.reason = put(&at, &b[3]);
	k->e.result_len = b[4].len;
	k->e.result = put(&at, &b[4]);
	*pod->kids_tail = k;
	pod->kids_tail = &k->next;
	return (0);
}

/* pause: asked to pause at the next boundary, if we handle it. */
static int
on_pause(struct podvisor_pod *pod, struct pvl_frame *f)
{
	if (pod->handles & PODVISOR_HANDLE_PAUSE)
		pod->pause_requested = true;
	return (0);
}

/* resume: go on. */
static int
on_resume(struct podvisor_pod *pod, struct pvl_frame *f)
{
	pod->pause_requested = pod->paused_sent = false;
	return (0);
}

static const struct {
	const char	*type;
	int		(*fn)(struct podvisor_pod *, struct pvl_frame *);
} handlers[] = {
	{ "cancel", on_cancel },
	{ "extended", on_extended },
	{ "ok", on_ok },
	{ "message", on_message },
	{ "child", on_child },
	{ "pause", on_pause },
	{ "resume", on_resume },
};

/* One frame from the runtime. */
static int
dispatch(struct podvisor_pod *pod, struct pvl_frame *f)
{
	char	 why[PVL_ERR_MAX];
	size_t	 i;

	if (pod->phase == PVL_PHASE_HELLO)
		return (on_hello(pod, f));
	if (pvl_is(f, "hello"))
		return (0);		/* a later hello is ignored */
	if (pvl_is(f, "error"))
		return (on_error(pod, f));
	if (pod->phase == PVL_PHASE_WELCOME) {
		if (pvl_is(f, "welcome"))
			return (on_welcome(pod, f));
		snprintf(why, sizeof why, "expected welcome, got '%.*s'",
		    (int)(f->typelen > 64 ? 64 : f->typelen), f->type);
		return (reject(pod, why));
	}
	for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (pvl_is(f, handlers[i].type))
			return (handlers[i].fn(pod, f));
	snprintf(why, sizeof why, "unexpected message '%.*s'",
	    (int)(f->typelen > 64 ? 64 : f->typelen), f->type);
	return (reject(pod, why));
}

/* Dispatch every whole frame held. */
static int
frames(struct podvisor_pod *pod)
{
	struct pvl_frame	 f;
	const uint8_t		*p;
	size_t			 n;
	char			 why[PVL_ERR_MAX];
	int			 rc;

	while (!pod->broken) {
		if ((rc = pvl_chan_frame(&pod->ch, &p, &n, why, sizeof why))
		    == 0)
			return (0);
		if (rc == -1)
			return (reject(pod, why));
		if (pvl_decode(p, n, &f) == -1)
			return (reject_frame(pod, &f));
		rc = dispatch(pod, &f);
		pvl_frame_free(&f);
		pvl_chan_take(&pod->ch, n);
		if (rc == -1)
			return (-1);
	}
	return (pvl_pod_broken(pod));
}

/* Read and dispatch whatever the runtime has sent, without blocking:
 * 0, or -1 once the channel has failed. */
int
pvl_pod_read(struct podvisor_pod *pod)
{
	int	 i, rc;

	for (i = 0; i < PVL_READS_MAX && !pod->broken; i++) {
		if ((rc = pvl_chan_read(&pod->ch)) == PVL_IO_NONE)
			break;
		if (rc == PVL_IO_ERR && errno == ENOMEM)
			return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
		if (rc != PVL_IO_MORE)
			return (lost(pod, rc));
		if (frames(pod) == -1)
			break;
	}
	return (pvl_pod_broken(pod));
}

/* Read until ready(pod, arg) or timeout_ms (-1: forever): 1 ready, 0
 * timed out, -1 if the channel fails first. */
int
pvl_pod_wait(struct podvisor_pod *pod,
    bool (*ready)(const struct podvisor_pod *, uint64_t), uint64_t arg,
    int timeout_ms)
{
	int64_t	 deadline = pvl_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int	 left;

	(void)pvl_pod_read(pod);
	while (!ready(pod, arg)) {
		if (pvl_pod_broken(pod) == -1)
			return (-1);
		left = timeout_ms < 0 ? -1 : pvl_left_ms(deadline);
		if (left == 0)
			return (0);
		if (pvl_chan_poll(&pod->ch, POLLIN, left) == -1)
			return (pvl_pod_fail(pod, errno, "waiting for the pod "
			    "runtime: %s", strerror(errno)));
		(void)pvl_pod_read(pod);
	}
	return (1);
}

/* Take the descriptor PODVISOR_API_FD names, out of the environment:
 * the descriptor, or -1 (ENOENT: not in a pod) with a reason. */
static int
take_fd(char *err, size_t errlen)
{
	const char	*env = getenv(ENV_FD);
	char		 text[32];
	char		*end;
	long		 fd;
	struct stat	 st;
	int		 type;
	socklen_t	 len = sizeof type;

	if (env == NULL) {
		snprintf(err, errlen, "not in a pod: %s is not set (run this "
		    "program with podctl spawn)", ENV_FD);
		errno = ENOENT;
		return (-1);
	}
	snprintf(text, sizeof text, "%s", env);
	(void)unsetenv(ENV_FD);
	errno = 0;
	fd = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
	    fd > INT_MAX) {
		snprintf(err, errlen, "not in a pod: %s is not a descriptor "
		    "number: '%s'", ENV_FD, text);
		errno = ENOENT;
		return (-1);
	}
	if (fstat((int)fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM) {
		snprintf(err, errlen, "not in a pod: %s names descriptor %ld, "
		    "which is not the pod API socket", ENV_FD, fd);
		errno = ENOENT;
		return (-1);
	}
	return ((int)fd);
}

/* Our hello: the version, what we handle, who we are. */
static int
send_hello(struct podvisor_pod *pod)
{
	const char	*names[4];
	struct pvl_out	 o;
	size_t		 n = 0;

	if (pod->handles & PODVISOR_HANDLE_CANCEL)
		names[n++] = "cancel";
	if (pod->handles & PODVISOR_HANDLE_NOTIFY)
		names[n++] = "notify";
	if (pod->handles & PODVISOR_HANDLE_PAUSE)
		names[n++] = "pause";
	if (pod->handles & PODVISOR_HANDLE_INTERRUPT)
		names[n++] = "interrupt";
	pvl_out_begin(&o, "hello");
	pvl_out_uint(&o, "version", PODVISOR_PROTOCOL_VERSION);
	pvl_out_strv(&o, "handles", names, n);
	pvl_out_uint(&o, "pid", (uint64_t)getpid());
	return (pvl_pod_send(pod, &o));
}

/* Is the hello exchange done? */
static bool
is_open(const struct podvisor_pod *pod, uint64_t arg)
{
	return (pod->phase == PVL_PHASE_OPEN);
}

/* A new pod on the API descriptor: close-on-exec, hello sent, welcome
 * received.  -1 with pod->err. */
static int
open_api(struct podvisor_pod *pod, int fd)
{
	int	 flags;

	pvl_chan_init(&pod->ch, fd);
	pod->msgs_tail = &pod->msgs;
	pod->kids_tail = &pod->kids;
	pod->deadline = PVL_NONE;
	snprintf(pod->err, sizeof pod->err, "no error");
	if ((flags = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
		return (pvl_pod_err(pod, errno, "cannot make the pod API "
		    "descriptor close-on-exec: %s", strerror(errno)));
	if (send_hello(pod) == -1)
		return (-1);
	switch (pvl_pod_wait(pod, is_open, 0, PVL_HELLO_MS)) {
	case 1:
		return (0);
	case 0:
		return (pvl_pod_err(pod, ETIMEDOUT, "no welcome from the pod "
		    "runtime within %ds", PVL_HELLO_MS / 1000));
	default:
		return (-1);
	}
}

/* Open this process's pod API. */
struct podvisor_pod *
podvisor_attach(unsigned handles, char *err, size_t errlen)
{
	struct podvisor_pod	*pod;
	char			 ignored[1];
	int			 fd, saved = errno;

	if (err == NULL || errlen == 0) {
		err = ignored;
		errlen = sizeof ignored;
	}
	if (handles == 0)
		handles = HANDLES_ALL;
	if ((handles & ~(HANDLES_ALL | PODVISOR_HANDLE_INTERRUPT |
	    PODVISOR_HANDLE_NONE)) != 0 ||
	    ((handles & PODVISOR_HANDLE_NONE) && handles !=
	    PODVISOR_HANDLE_NONE)) {
		snprintf(err, errlen, "handles are PODVISOR_HANDLE_CANCEL, "
		    "_NOTIFY, _PAUSE and _INTERRUPT, or PODVISOR_HANDLE_NONE "
		    "alone");
		errno = EINVAL;
		return (NULL);
	}
	if ((fd = take_fd(err, errlen)) == -1)
		return (NULL);
	if ((pod = calloc(1, sizeof *pod)) == NULL) {
		snprintf(err, errlen, "out of memory");
		(void)close(fd);
		errno = ENOMEM;
		return (NULL);
	}
	pod->handles = handles & (HANDLES_ALL | PODVISOR_HANDLE_INTERRUPT);
	if (open_api(pod, fd) == -1) {
		snprintf(err, errlen, "%s", pod->err);
		saved = errno;
		podvisor_close(pod);
		errno = saved;
		return (NULL);
	}
	errno = saved;
	return (pod);
}

/* Close the channel and free everything. */
void
podvisor_close(struct podvisor_pod *pod)
{
	struct pvl_msg	*m;
	struct pvl_kid	*k;
	int		 saved = errno;

	if (pod == NULL)
		return;
	while ((m = pod->msgs) != NULL) {
		pod->msgs = m->next;
		free(m);
	}
	while ((k = pod->kids) != NULL) {
		pod->kids = k->next;
		free(k);
	}
	podvisor_client_close(pod->client);
	pvl_chan_free(&pod->ch);
	free(pod->name);
	free(pod->cancel_reason);
	free(pod->cancel_by);
	free(pod);
	errno = saved;
}

/* The last failure's text. */
const char *
podvisor_error(const struct podvisor_pod *pod)
{
	return (pod->err);
}

/* This pod's id. */
uint64_t
podvisor_id(const struct podvisor_pod *pod)
{
	return (pod->id);
}

/* This pod's name, or NULL. */
const char *
podvisor_name(const struct podvisor_pod *pod)
{
	return (pod->name);
}

/* The parent's id, or 0. */
uint64_t
podvisor_parent(const struct podvisor_pod *pod)
{
	return (pod->parent);
}

/* The current deadline, after reading what has arrived. */
int
podvisor_deadline(struct podvisor_pod *pod, struct timespec *ts)
{
	int	 saved = errno;

	(void)pvl_pod_read(pod);
	errno = saved;
	pvl_ns_to_ts(pod->deadline, ts);
	return (pod->deadline >= 0);
}

/* The descriptor to poll, or -1. */
int
podvisor_fd(const struct podvisor_pod *pod)
{
	return (pod->ch.fd);
}

/* Take in what has arrived. */
int
podvisor_process(struct podvisor_pod *pod)
{
	int	 saved = errno;

	if (pvl_pod_read(pod) == -1)
		return (-1);
	errno = saved;
	return (0);
}
