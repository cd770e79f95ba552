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
	struct msg	 m;
	char		 ignored[PVL_ERR_MAX];

	msg_init(&m, MSG_ERROR);
	m.u.error.code = ERR_PROTOCOL;
	m.u.error.message = (char *)why;
	if (!pod->broken && pvl_encode(&m, &pod->out, ignored,
	    sizeof ignored) == 0)
		(void)pvl_chan_send(&pod->ch, pod->out.data, pod->out.len, 0);
	return (pvl_pod_fail(pod, EPROTO, "bad message from the pod runtime: "
	    "%s", why));
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

/* Encode a message and send it, failing the channel if it cannot be. */
int
pvl_pod_send(struct podvisor_pod *pod, const struct msg *msg)
{
	char	 why[PVL_ERR_MAX];

	if (pvl_pod_broken(pod) == -1)
		return (-1);
	if (pvl_encode(msg, &pod->out, why, sizeof why) == -1)
		return (pvl_pod_err(pod, errno, "%s", why));
	if (pvl_chan_send(&pod->ch, pod->out.data, pod->out.len,
	    PVL_SEND_MS) == 0)
		return (0);
	if (errno == ETIMEDOUT)
		return (pvl_pod_fail(pod, ETIMEDOUT, "the pod runtime is not "
		    "reading the API channel"));
	return (lost(pod, PVL_IO_ERR));
}

/* Send a message whose fields are all left unset. */
int
pvl_pod_send_type(struct podvisor_pod *pod, enum msg_type type)
{
	struct msg	 m;

	msg_init(&m, type);
	return (pvl_pod_send(pod, &m));
}

/* The first message: the runtime's hello, of our version. */
static int
on_hello(struct podvisor_pod *pod, const struct msg *m)
{
	char	 why[PVL_ERR_MAX];

	if (m->type == MSG_ERROR)
		return (pvl_pod_fail(pod, ECONNREFUSED, "the pod runtime "
		    "refused the connection: %s", m->u.error.message));
	if (m->type != MSG_HELLO) {
		snprintf(why, sizeof why, "expected hello from the pod "
		    "runtime, got '%s'", msg_type_name(m->type));
		return (reject(pod, why));
	}
	if (m->u.hello.version != PROTOCOL_VERSION) {
		snprintf(why, sizeof why, "protocol version mismatch: the pod "
		    "runtime speaks %llu, this side speaks %d",
		    (unsigned long long)m->u.hello.version, PROTOCOL_VERSION);
		return (reject(pod, why));
	}
	pod->phase = PVL_PHASE_WELCOME;
	return (0);
}

/* welcome: who this pod is. */
static int
on_welcome(struct podvisor_pod *pod, const struct msg *m)
{
	const struct msg_welcome	*w = &m->u.welcome;

	if (w->parent < PVL_NONE || w->parent == 0)
		return (reject(pod, "welcome: field 'parent' must be a pod "
		    "id"));
	if (w->name != NULL && (pod->name = strdup(w->name)) == NULL)
		return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
	pod->id = w->id;
	pod->parent = w->parent == PVL_NONE ? 0 : (uint64_t)w->parent;
	pod->deadline = w->deadline < 0 ? PVL_NONE : w->deadline;
	pod->phase = PVL_PHASE_OPEN;
	return (0);
}

/* cancel: kept once, the first one; level-triggered from here on. */
static int
on_cancel(struct podvisor_pod *pod, const struct msg *m)
{
	const struct msg_cancel	*c = &m->u.cancel;

	if (pod->cancelled)
		return (0);
	if ((pod->cancel_reason = strdup(c->reason)) == NULL ||
	    (pod->cancel_by = strdup(c->requested_by != NULL ?
	    c->requested_by : "")) == NULL)
		return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
	pod->cancel.reason = pod->cancel_reason;
	pod->cancel.requested_by = pod->cancel_by;
	pvl_ns_to_ts(c->deadline, &pod->cancel.deadline);
	if (c->deadline >= 0)
		pod->deadline = c->deadline;
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
on_extended(struct podvisor_pod *pod, const struct msg *m)
{
	int64_t	 deadline = m->u.extended.deadline;

	if (deadline < 0)
		return (reject(pod, "extended: field 'deadline' is "
		    "negative"));
	if (answer(pod, PVL_REQ_EXTEND, "extended", PODVISOR_OK) == -1)
		return (-1);
	pod->reply_deadline = pod->deadline = deadline;
	if (pod->cancelled)
		pvl_ns_to_ts(deadline, &pod->cancel.deadline);
	return (0);
}

/* error: the answer to the oldest request, or the runtime giving up. */
static int
on_error(struct podvisor_pod *pod, const struct msg *m)
{
	const struct msg_error	*e = &m->u.error;
	bool			 protocol;

	protocol = strcmp(e->code, ERR_PROTOCOL) == 0;
	if (protocol || pod->phase != PVL_PHASE_OPEN)
		return (pvl_pod_fail(pod, protocol ? EPROTO : ECONNREFUSED,
		    "the pod runtime closed the API channel: %s", e->message));
	if (pod->npending == 0)
		return (pvl_pod_fail(pod, EPROTO, "unexpected error from the "
		    "pod runtime: %s: %s", e->code, e->message));
	snprintf(pod->reply_text, sizeof pod->reply_text, "%s", e->message);
	pod->pend_head = (pod->pend_head + 1) % PVL_PENDING_MAX;
	pod->npending--;
	pod->nanswered++;
	pod->reply_rc = PODVISOR_REFUSED;
	return (0);
}

/* Copy len bytes of s to *at, NUL-terminated; the copy, or NULL. */
static const char *
put(char **at, const void *s, size_t len)
{
	char	*d = *at;

	if (s == NULL)
		return (NULL);
	memcpy(d, s, len);
	d[len] = '\0';
	*at += len + 1;
	return (d);
}

/* put() of a string, or of NULL. */
static const char *
put_str(char **at, const char *s)
{
	return (put(at, s, s != NULL ? strlen(s) : 0));
}

/* The bytes a string takes with its NUL; 0 for NULL. */
static size_t
room(const char *s)
{
	return (s != NULL ? strlen(s) + 1 : 0);
}

/* message: a notify message, queued for podvisor_next_message(). */
static int
on_message(struct podvisor_pod *pod, const struct msg *msg)
{
	const struct msg_message	*mm = &msg->u.message;
	const struct wire_u64v		*pre = &mm->preempted;
	struct pvl_msg			*n;
	uint64_t			*ids;
	size_t				 size;
	char				*at;

	size = sizeof *n + pre->n * sizeof *ids + room(mm->priority) +
	    room(mm->key) + mm->data.len + 1;
	if ((n = calloc(1, size)) == NULL)
		return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
	ids = (uint64_t *)(n + 1);
	if (pre->n > 0)
		memcpy(ids, pre->v, pre->n * sizeof *ids);
	at = (char *)(ids + pre->n);
	n->m.seq = mm->seq;
	n->m.priority = put_str(&at, mm->priority);
	n->m.key = put_str(&at, mm->key);
	n->m.len = mm->data.len;
	n->m.data = (const unsigned char *)put(&at, mm->data.len > 0 ?
	    (const void *)mm->data.ptr : "", mm->data.len);
	n->m.preempted = ids;
	n->m.npreempted = pre->n;
	*pod->msgs_tail = n;
	pod->msgs_tail = &n->next;
	pod->recv_outstanding = false;
	return (0);
}

/* What a child event must be beyond its types: NULL, or why not. */
static const char *
child_invalid(const struct msg_child *c)
{
	if (c->signal < PVL_NONE || c->signal > 64 || c->signal == 0)
		return ("child: field 'signal' is not a signal number");
	if (c->result.len > 0 && !pvl_json_valid((const char *)c->result.ptr,
	    c->result.len, false))
		return ("child: field 'result' is not JSON text");
	return (NULL);
}

/* child: a child pod was spawned or ended, queued for
 * podvisor_next_child_event(). */
static int
on_child(struct podvisor_pod *pod, const struct msg *m)
{
	const struct msg_child	*c = &m->u.child;
	const char		*why;
	struct pvl_kid		*k;
	size_t			 size;
	char			*at;

	if ((why = child_invalid(c)) != NULL)
		return (reject(pod, why));
	size = sizeof *k + room(c->name) + room(c->event) + room(c->state) +
	    room(c->reason) + (c->result.len > 0 ? c->result.len + 1 : 0);
	if ((k = calloc(1, size)) == NULL)
		return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
	at = (char *)(k + 1);
	k->e.id = c->id;
	k->e.name = put_str(&at, c->name);
	k->e.event = put_str(&at, c->event);
	k->e.state = put_str(&at, c->state);
	k->e.exit_code = c->exit_code;
	k->e.signal = c->signal == PVL_NONE ? 0 : (int)c->signal;
	k->e.reason = put_str(&at, c->reason);
	k->e.result_len = c->result.len;
	k->e.result = c->result.len > 0 ? put(&at, c->result.ptr,
	    c->result.len) : NULL;
	*pod->kids_tail = k;
	pod->kids_tail = &k->next;
	return (0);
}

/* One message from the runtime, once the API is open. */
static int
dispatch_open(struct podvisor_pod *pod, const struct msg *m)
{
	char	 why[PVL_ERR_MAX];

	switch (m->type) {
	case MSG_HELLO:
		return (0);		/* a later hello is ignored */
	case MSG_ERROR:
		return (on_error(pod, m));
	case MSG_CANCEL:
		return (on_cancel(pod, m));
	case MSG_EXTENDED:
		return (on_extended(pod, m));
	case MSG_OK:			/* a result was kept */
		return (answer(pod, PVL_REQ_RESULT, "ok", PODVISOR_OK));
	case MSG_MESSAGE:
		return (on_message(pod, m));
	case MSG_CHILD:
		return (on_child(pod, m));
	case MSG_PAUSE:			/* at the next boundary, if handled */
		if (pod->handles & PODVISOR_HANDLE_PAUSE)
			pod->pause_requested = true;
		return (0);
	case MSG_RESUME:
		pod->pause_requested = pod->paused_sent = false;
		return (0);
	default:
		return (reject(pod, pvl_unexpected(m, why, sizeof why)));
	}
}

/* One message from the runtime, in whichever phase. */
static int
dispatch(struct podvisor_pod *pod, const struct msg *m)
{
	char	 why[PVL_ERR_MAX];

	if (pod->phase == PVL_PHASE_HELLO)
		return (on_hello(pod, m));
	if (pod->phase == PVL_PHASE_OPEN)
		return (dispatch_open(pod, m));
	if (m->type == MSG_WELCOME)
		return (on_welcome(pod, m));
	if (m->type == MSG_HELLO)
		return (0);
	if (m->type == MSG_ERROR)
		return (on_error(pod, m));
	snprintf(why, sizeof why, "expected welcome, got '%s'",
	    msg_type_name(m->type));
	return (reject(pod, why));
}

/* Decode and dispatch every whole frame held. */
static int
frames(struct podvisor_pod *pod)
{
	struct msg	 m;
	const uint8_t	*p;
	size_t		 n;
	char		 why[PVL_ERR_MAX];
	int		 rc;

	while (!pod->broken) {
		if ((rc = pvl_chan_frame(&pod->ch, &p, &n, why, sizeof why))
		    == 0)
			return (0);
		if (rc == -1)
			return (reject(pod, why));
		rc = pvl_decode(p, n, &m, why, sizeof why);
		pvl_chan_take(&pod->ch, n);
		if (rc == -1 && errno == ENOMEM)
			return (pvl_pod_fail(pod, ENOMEM, "out of memory"));
		if (rc == -1)
			return (reject(pod, why));
		rc = dispatch(pod, &m);
		msg_free(&m);
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

	pod->looked_ns = pvl_now_ns();
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

/*
 * pvl_pod_read(), unless the descriptor was read less than PVL_LOOK_NS
 * ago: the read of the calls made at every step boundary (check(),
 * cancelled()), so that one costs a clock read and not a system call
 * when nothing is pending.  What arrives is then seen within PVL_LOOK_NS
 * of its arrival by a program that keeps checking, and at once after
 * podvisor_process() or any call that waits.
 */
int
pvl_pod_glance(struct podvisor_pod *pod)
{
	if (pvl_now_ns() - pod->looked_ns < PVL_LOOK_NS)
		return (pvl_pod_broken(pod));
	return (pvl_pod_read(pod));
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
	char		*names[5];
	struct msg	 m;
	size_t		 n = 0;

	if (pod->handles & PODVISOR_HANDLE_CANCEL)
		names[n++] = "cancel";
	if (pod->handles & PODVISOR_HANDLE_NOTIFY)
		names[n++] = "notify";
	if (pod->handles & PODVISOR_HANDLE_PAUSE)
		names[n++] = "pause";
	if (pod->handles & PODVISOR_HANDLE_INTERRUPT)
		names[n++] = "interrupt";
	names[n] = NULL;
	msg_init(&m, MSG_HELLO);
	m.u.hello.version = PROTOCOL_VERSION;
	m.u.hello.handles = names;
	m.u.hello.pid = (uint64_t)getpid();
	return (pvl_pod_send(pod, &m));
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
	pvl_out_free(&pod->out);
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
