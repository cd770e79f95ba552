/*
 * The pod API calls, on top of pod.c's dispatch: the boundary check and
 * the cancel, the requests that get an answer (extend, result, matched
 * to their replies in order), what the workload tells podvisor (log,
 * status, heartbeat), the queues of messages and child events, and
 * spawning a child pod.  Arguments are checked before anything is sent.
 * The semantics are those of the Python package's Pod (python/podvisor/
 * _pod.py): a cancel is acknowledged once, when the program first
 * observes it, and reported again by every later check.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvl.h"

/* errno as the call found it, unless the call failed. */
static int
keep_errno(int rc, int saved)
{
	if (rc >= 0)
		errno = saved;
	return (rc);
}

/* The program looked at the cancel: acknowledge it the first time. */
static void
observe(struct podvisor_pod *pod)
{
	if (pod->cancelled && !pod->acked) {
		pod->acked = true;
		if (!pod->broken)
			(void)pvl_pod_send_type(pod, MSG_ACK);
	}
}

/* Does this message interrupt: a --preempt one, or a critical one when
 * the pod asked for interrupts? */
static bool
interrupting(const struct podvisor_pod *pod, const struct pvl_msg *m)
{
	return (m->m.npreempted > 0 ||
	    ((pod->handles & PODVISOR_HANDLE_INTERRUPT) &&
	    strcmp(m->m.priority, "critical") == 0));
}

/* The first interrupting message check() has not told of yet. */
static struct pvl_msg **
preempting(struct podvisor_pod *pod)
{
	struct pvl_msg	**pp;

	for (pp = &pod->msgs; *pp != NULL; pp = &(*pp)->next)
		if (interrupting(pod, *pp) && !(*pp)->reported)
			return (pp);
	return (NULL);
}

/* Tell of a --preempt message once, and move it to the head of the queue
 * so that podvisor_next_message() hands it out first. */
static bool
interrupt(struct podvisor_pod *pod)
{
	struct pvl_msg	**pp, *m;

	if ((pp = preempting(pod)) == NULL)
		return (false);
	m = *pp;
	m->reported = true;
	if (pp != &pod->msgs) {
		*pp = m->next;
		if (pod->msgs_tail == &m->next)
			pod->msgs_tail = pp;
		m->next = pod->msgs;
		pod->msgs = m;
	}
	return (true);
}

/* While paused: has anything come that ends the wait? */
static bool
pause_over(const struct podvisor_pod *pod, uint64_t arg)
{
	return (!pod->pause_requested || pod->cancelled ||
	    preempting((struct podvisor_pod *)pod) != NULL);
}

/* A step boundary. */
int
podvisor_check(struct podvisor_pod *pod)
{
	int	 saved = errno, rc;

	(void)pvl_pod_glance(pod);
	for (;;) {
		if (pod->cancelled) {
			observe(pod);
			rc = PODVISOR_STOPPED;
			break;
		}
		if (interrupt(pod)) {
			rc = PODVISOR_INTERRUPTED;
			break;
		}
		if ((rc = pvl_pod_broken(pod)) == -1 || !pod->pause_requested)
			break;
		if (!pod->paused_sent) {
			pod->paused_sent = true;
			if (pvl_pod_send_type(pod, MSG_PAUSED) == -1)
				continue;
		}
		(void)pvl_pod_wait(pod, pause_over, 0, -1);
	}
	return (keep_errno(rc, saved));
}

/* Is the pod cancelled? */
static bool
is_cancelled(const struct podvisor_pod *pod, uint64_t arg)
{
	return (pod->cancelled);
}

/* True once cancelled (and that is an observation). */
bool
podvisor_cancelled(struct podvisor_pod *pod)
{
	return (podvisor_cancel_info(pod) != NULL);
}

/* The cancel, or NULL. */
const struct podvisor_cancel *
podvisor_cancel_info(struct podvisor_pod *pod)
{
	int	 saved = errno;

	(void)pvl_pod_glance(pod);
	observe(pod);
	errno = saved;
	return (pod->cancelled ? &pod->cancel : NULL);
}

/* Wait for the cancel. */
int
podvisor_wait_cancel(struct podvisor_pod *pod, int timeout_ms)
{
	int	 saved = errno, rc;

	if ((rc = pvl_pod_wait(pod, is_cancelled, 0, timeout_ms)) == 1) {
		observe(pod);
		rc = PODVISOR_STOPPED;
	} else if (rc == 0)
		rc = PODVISOR_TIMEOUT;
	return (keep_errno(rc, saved));
}

/* Has request n been answered? */
static bool
answered(const struct podvisor_pod *pod, uint64_t n)
{
	return (pod->nanswered > n);
}

/* Send a request and wait for its answer: 0, PODVISOR_REFUSED (the
 * answer's text in pod->err), or -1.  A request that times out stays
 * pending, so that its late answer is matched to it and not to the next. */
static int
request(struct podvisor_pod *pod, enum pvl_req kind, const struct msg *m,
    const char *name)
{
	uint64_t	 n;

	if (pod->npending == PVL_PENDING_MAX)
		return (pvl_pod_err(pod, EBUSY, "%d requests are still "
		    "waiting for their answer", PVL_PENDING_MAX));
	if (pvl_pod_send(pod, m) == -1)
		return (-1);
	pod->pending[(pod->pend_head + pod->npending) % PVL_PENDING_MAX] =
	    kind;
	pod->npending++;
	n = pod->nsent++;
	switch (pvl_pod_wait(pod, answered, n, PVL_REPLY_MS)) {
	case 0:
		return (pvl_pod_err(pod, ETIMEDOUT, "no answer to %s from "
		    "the pod runtime within %ds", name, PVL_REPLY_MS / 1000));
	case -1:
		return (-1);
	}
	if (pod->reply_rc == PODVISOR_REFUSED)
		memcpy(pod->err, pod->reply_text, sizeof pod->err);
	return (pod->reply_rc);
}

/* Ask for more time before SIGTERM. */
int
podvisor_extend(struct podvisor_pod *pod, double seconds, const char *why,
    struct timespec *new_deadline)
{
	struct msg	 m;
	uint64_t	 ms;
	int		 saved = errno, rc;

	if (!(seconds > 0 && seconds <= INT32_MAX / 1000.0))
		return (pvl_pod_err(pod, EINVAL, "podvisor_extend() takes a "
		    "positive number of seconds, at most %d",
		    INT32_MAX / 1000));
	if (why != NULL && strlen(why) > PODVISOR_TEXT_MAX)
		return (pvl_pod_err(pod, EMSGSIZE, "the reason given to "
		    "podvisor_extend() is over %d bytes", PODVISOR_TEXT_MAX));
	ms = (uint64_t)(seconds * 1000 + 0.5);
	msg_init(&m, MSG_EXTEND);
	m.u.extend.ms = ms > 0 ? ms : 1;
	if (why != NULL && *why != '\0')
		m.u.extend.why = (char *)why;
	if ((rc = request(pod, PVL_REQ_EXTEND, &m, "extend")) == PODVISOR_OK &&
	    new_deadline != NULL)
		pvl_ns_to_ts(pod->reply_deadline, new_deadline);
	return (keep_errno(rc, saved));
}

/* A log entry with optional fields. */
int
podvisor_log_fields(struct podvisor_pod *pod, enum podvisor_level level,
    const char *message, const char *fields)
{
	static const char *const levels[] = { "debug", "info", "warning",
	    "error" };
	struct msg	 m;
	size_t		 n, nf = 0;
	int		 saved = errno;

	if ((unsigned)level >= sizeof levels / sizeof levels[0] ||
	    message == NULL)
		return (pvl_pod_err(pod, EINVAL, "podvisor_log(): a level "
		    "PODVISOR_LOG_DEBUG to _ERROR and a message are needed"));
	if ((n = strlen(message)) > PODVISOR_PAYLOAD_MAX ||
	    (fields != NULL && (nf = strlen(fields)) > PODVISOR_PAYLOAD_MAX))
		return (pvl_pod_err(pod, EMSGSIZE, "a log message and its "
		    "fields are at most %d bytes each", PODVISOR_PAYLOAD_MAX));
	if (fields != NULL && !pvl_json_valid(fields, nf, true))
		return (pvl_pod_err(pod, EINVAL, "log fields must be a JSON "
		    "object"));
	msg_init(&m, MSG_LOG);
	m.u.log.level = (char *)levels[level];
	m.u.log.message.ptr = (const uint8_t *)message;
	m.u.log.message.len = n;
	if (fields != NULL) {
		m.u.log.fields.ptr = (const uint8_t *)fields;
		m.u.log.fields.len = nf;
	}
	return (keep_errno(pvl_pod_send(pod, &m), saved));
}

/* A log entry from a format and a va_list. */
int
podvisor_logv(struct podvisor_pod *pod, enum podvisor_level level,
    const char *fmt, va_list ap)
{
	va_list	 copy;
	char	*text;
	int	 n, rc;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return (pvl_pod_err(pod, errno, "podvisor_log(): bad format: "
		    "%s", strerror(errno)));
	if (n > PODVISOR_PAYLOAD_MAX)
		return (pvl_pod_err(pod, EMSGSIZE, "a log message is at most "
		    "%d bytes", PODVISOR_PAYLOAD_MAX));
	if ((text = malloc((size_t)n + 1)) == NULL)
		return (pvl_pod_err(pod, ENOMEM, "out of memory"));
	(void)vsnprintf(text, (size_t)n + 1, fmt, ap);
	rc = podvisor_log_fields(pod, level, text, NULL);
	free(text);
	return (rc);
}

/* A log entry from a format. */
int
podvisor_log(struct podvisor_pod *pod, enum podvisor_level level,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = podvisor_logv(pod, level, fmt, ap);
	va_end(ap);
	return (rc);
}

/* The workload's status: a text and a progress, or none (negative). */
int
podvisor_set_status(struct podvisor_pod *pod, const char *text,
    double progress)
{
	struct msg	 m;
	int		 saved = errno;

	if (text == NULL)
		text = "";
	if (strlen(text) > PODVISOR_TEXT_MAX)
		return (pvl_pod_err(pod, EMSGSIZE, "a status text is at most "
		    "%d bytes", PODVISOR_TEXT_MAX));
	if (!(progress < 0) && !(progress <= 1))
		return (pvl_pod_err(pod, EINVAL, "progress must be from 0 to "
		    "1, or negative for none"));
	msg_init(&m, MSG_REPORT);
	m.u.report.text = (char *)text;
	if (progress >= 0)
		m.u.report.progress = progress;	/* else WIRE_NAN: none */
	return (keep_errno(pvl_pod_send(pod, &m), saved));
}

/* The workload is alive. */
int
podvisor_heartbeat(struct podvisor_pod *pod)
{
	int	 saved = errno;

	return (keep_errno(pvl_pod_send_type(pod, MSG_HEARTBEAT), saved));
}

/* The pod's result. */
int
podvisor_set_result(struct podvisor_pod *pod, const char *json)
{
	struct msg	 m;
	size_t		 n;
	int		 saved = errno;

	if (json == NULL)
		return (pvl_pod_err(pod, EINVAL, "podvisor_set_result() needs "
		    "a JSON text"));
	if ((n = strlen(json)) > PODVISOR_PAYLOAD_MAX)
		return (pvl_pod_err(pod, EMSGSIZE, "the result is %zu bytes of "
		    "JSON; at most %d are kept", n, PODVISOR_PAYLOAD_MAX));
	if (!pvl_json_valid(json, n, false))
		return (pvl_pod_err(pod, EINVAL, "the result is not one JSON "
		    "value"));
	msg_init(&m, MSG_RESULT);
	m.u.result.data.ptr = (const uint8_t *)json;
	m.u.result.data.len = n;
	return (keep_errno(request(pod, PVL_REQ_RESULT, &m, "result"),
	    saved));
}

/* next_message()'s condition: a message, or a reason to go to check(). */
static bool
message_wait_over(const struct podvisor_pod *pod, uint64_t arg)
{
	return (pod->msgs != NULL || pod->cancelled || pod->pause_requested);
}

/* Take the first queued message. */
static struct podvisor_message *
pop_message(struct podvisor_pod *pod)
{
	struct pvl_msg	*m = pod->msgs;

	if ((pod->msgs = m->next) == NULL)
		pod->msgs_tail = &pod->msgs;
	m->next = NULL;
	return (&m->m);
}

/* The next notify message; asks the runtime for one (once) if none is
 * here, and waits. */
int
podvisor_next_message(struct podvisor_pod *pod, int timeout_ms,
    struct podvisor_message **out)
{
	int	 saved = errno;

	*out = NULL;
	if (!(pod->handles & PODVISOR_HANDLE_NOTIFY))
		return (pvl_pod_err(pod, EINVAL, "this pod was attached "
		    "without PODVISOR_HANDLE_NOTIFY, so it gets no messages"));
	(void)pvl_pod_read(pod);
	if (!message_wait_over(pod, 0)) {
		if (pvl_pod_broken(pod) == -1)
			return (-1);
		if (!pod->recv_outstanding) {
			pod->recv_outstanding = true;
			if (pvl_pod_send_type(pod, MSG_RECV) == -1)
				return (-1);
		}
		if (pvl_pod_wait(pod, message_wait_over, 0, timeout_ms) == -1)
			return (-1);
	}
	errno = saved;
	if (pod->msgs != NULL) {
		*out = pop_message(pod);
		return (PODVISOR_OK);
	}
	return (pod->cancelled || pod->pause_requested ? PODVISOR_CHECK :
	    PODVISOR_TIMEOUT);
}

/* Free a message (one allocation). */
void
podvisor_message_free(struct podvisor_message *m)
{
	free(m);
}

/* next_child_event()'s condition: an event, or a pause to confirm. */
static bool
child_wait_over(const struct podvisor_pod *pod, uint64_t arg)
{
	return (pod->kids != NULL || pod->pause_requested);
}

/* The next child event.  A cancel does not end this wait, so that a
 * cancelled parent can still collect its children's ends. */
int
podvisor_next_child_event(struct podvisor_pod *pod, int timeout_ms,
    struct podvisor_child_event **out)
{
	struct pvl_kid	*k;
	int		 saved = errno;

	*out = NULL;
	if (pvl_pod_wait(pod, child_wait_over, 0, timeout_ms) == -1)
		return (-1);
	errno = saved;
	if ((k = pod->kids) == NULL)
		return (pod->pause_requested ? PODVISOR_CHECK :
		    PODVISOR_TIMEOUT);
	if ((pod->kids = k->next) == NULL)
		pod->kids_tail = &pod->kids;
	k->next = NULL;
	*out = &k->e;
	return (PODVISOR_OK);
}

/* Free a child event (one allocation). */
void
podvisor_child_event_free(struct podvisor_child_event *e)
{
	free(e);
}

/* Spawn a child pod of this pod, through a control connection the pod
 * keeps for the next spawn. */
int
podvisor_spawn(struct podvisor_pod *pod, const char *const argv[],
    const struct podvisor_spawn_opts *opts, uint64_t *id)
{
	struct podvisor_spawn_opts	 o;
	char				 parent[24];
	int				 saved = errno;

	if (opts != NULL)
		o = *opts;
	else
		podvisor_spawn_opts_init(&o);
	if (o.parent == NULL) {
		snprintf(parent, sizeof parent, "%llu",
		    (unsigned long long)pod->id);
		o.parent = parent;
	}
	if (pod->client == NULL && (pod->client = podvisor_client_open(NULL,
	    pod->err, sizeof pod->err)) == NULL)
		return (-1);
	if (podvisor_client_spawn(pod->client, argv, &o, id) == -1) {
		saved = errno;
		snprintf(pod->err, sizeof pod->err, "%s",
		    podvisor_client_error(pod->client));
		errno = saved;
		return (-1);
	}
	errno = saved;
	return (0);
}
