/*
 * The pod API: the channel between the runtime and its workload, on
 * POD_API_FD of the workload's main process (PODVISOR_API_FD).  Same
 * framing, codec and peer layer as every channel.
 *
 *   closed --hello--> open --bad input or EOF--> closed (for good)
 *
 * Through it the workload hears a stop as a cancel message instead of a
 * signal, acknowledges it, asks for more time, writes log entries,
 * reports status, heartbeats and its result, reads the notify messages
 * sent to it and hears of its child pods.  What only podvisord can
 * decide (more time, the result's validity) is passed up the runtime
 * channel and the answers come back in order.
 *
 * The workload is not trusted: every message is checked, and bad input
 * closes the API for good (api_dispatch's bad:), after which the pod is
 * one without API and its cancel is the stop signal.  Nothing it sends
 * can make the runtime block, crash, or write outside this pod's log.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "pod.h"
#include "seglog.h"

static void	api_dispatch(struct peer *, struct msg *, void *);
static void	api_refuse(struct runtime *, const char *, const char *);
static void	api_report_flush(struct runtime *);

static void	api_log_flush(int, short, void *);

/* Send to the workload, if its channel is there. */
static void
api_send(struct runtime *rt, const struct msg *m)
{
	if (rt->api.peer != NULL && rt->api.open)
		(void)peer_send(rt->api.peer, m);
}

/* Watch the runtime's end of the API socketpair; the workload has the
 * other one.  A hello goes out at once; nothing else until it answers. */
void
api_open(struct runtime *rt, int fd)
{
	char	 label[64];

	snprintf(label, sizeof label, "pod %llu API",
	    (unsigned long long)rt->id);
	rt->api.peer = peer_new(rt->base, fd, api_dispatch, rt, label);
	if (rt->api.peer != NULL)
		peer_deliver_hello(rt->api.peer);
}

/* Forget the requests podvisord has not answered yet. */
static void
api_forget_pending(struct runtime *rt)
{
	struct api_request	*r;

	while ((r = TAILQ_FIRST(&rt->api.pending)) != NULL) {
		TAILQ_REMOVE(&rt->api.pending, r, entry);
		free(r->why);
		free(r);
	}
	rt->api.npending = 0;
}

/* The workload is gone but its end of the channel is still open: take
 * what it wrote, then close.  The loss (api_dispatch) follows. */
void
api_drain(struct runtime *rt)
{
	if (rt->api.peer != NULL)
		(void)peer_drain(rt->api.peer);
}

/* Close the channel now (the runtime is exiting). */
void
api_close(struct runtime *rt)
{
	if (rt->api.peer != NULL)
		peer_free(rt->api.peer);
	rt->api.peer = NULL;
	api_forget_pending(rt);
	if (rt->api.report_timer != NULL)
		event_free(rt->api.report_timer);
	rt->api.report_timer = NULL;
	if (rt->api.log_flush != NULL) {
		if (rt->api.log_batch)
			api_log_flush(-1, 0, rt);
		event_free(rt->api.log_flush);
	}
	rt->api.log_flush = NULL;
	free(rt->api.report_text);
	rt->api.report_text = NULL;
}

/* The cancel, as a message: the stop goes through the API when the
 * workload handles it.  False when it does not (send the signal). */
bool
api_cancel(struct runtime *rt)
{
	struct msg	 m;

	if (rt->api.peer == NULL || !rt->api.open || !rt->api.cancel)
		return (false);
	msg_init(&m, MSG_CANCEL);
	m.u.cancel.reason = rt->cancel.reason;
	m.u.cancel.requested_by = rt->cancel.by;
	m.u.cancel.deadline = rt->cancel.deadline;
	api_send(rt, &m);
	return (true);
}

/* May the next queued message go now?  When the workload waits for one
 * (recv), or, for a workload that asked for interrupts, when it is
 * critical or preempting: that one cannot wait for a recv. */
static bool
api_may_deliver(struct runtime *rt, const struct pod_notify *n)
{
	if (rt->api.peer == NULL || !rt->api.open)
		return (false);
	return (rt->api.recv_waiting || (rt->api.interrupt &&
	    (n->prio == POD_PRIO_CRITICAL || n->npreempted > 0)));
}

/* Hand queued messages to the workload, as far as it takes them. */
void
api_deliver(struct runtime *rt)
{
	struct pod_notify	*n;
	struct msg		 m;

	while ((n = queue_next(rt)) != NULL && api_may_deliver(rt, n)) {
		rt->api.recv_waiting = false;
		msg_init(&m, MSG_MESSAGE);
		m.u.message.seq = n->seq;
		m.u.message.priority = (char *)queue_priority_name(n->prio);
		m.u.message.key = n->key;
		m.u.message.data.ptr = n->data;
		m.u.message.data.len = n->len;
		m.u.message.preempted.v = n->preempted;
		m.u.message.preempted.n = n->npreempted;
		api_send(rt, &m);
		queue_delivered(rt, n);
	}
}

/* Ask a workload that handles pause to pause at its next boundary. */
void
api_pause(struct runtime *rt)
{
	struct msg	 m;

	msg_init(&m, MSG_PAUSE);
	api_send(rt, &m);
}

/* Let a paused workload go on. */
void
api_resume(struct runtime *rt)
{
	struct msg	 m;

	msg_init(&m, MSG_RESUME);
	api_send(rt, &m);
}

/* A child pod was spawned or ended: tell a workload that listens. */
void
api_child(struct runtime *rt, const struct msg *m)
{
	api_send(rt, m);
}

/* The log entry for an answer to an extend. */
static void
api_log_extend(struct runtime *rt, const struct api_request *r,
    const struct msg *m)
{
	char	 ts[64];

	if (m->type == MSG_EXTENDED) {
		format_ts(m->u.extended.deadline, ts, sizeof ts);
		pod_log(rt, LOG_EXTEND, "granted %llums (%s): SIGTERM at %s",
		    (unsigned long long)r->ms, r->why ? r->why : "", ts);
	} else
		pod_log(rt, LOG_EXTEND, "refused %llums (%s): %s",
		    (unsigned long long)r->ms, r->why ? r->why : "",
		    m->u.error.message);
}

/* podvisord answered the oldest pending request: pass the answer on.
 * -1 if nothing was pending that such an answer fits. */
int
api_reply(struct runtime *rt, const struct msg *m)
{
	struct api_request	*r;

	if ((r = TAILQ_FIRST(&rt->api.pending)) == NULL)
		return (-1);
	if (r->type == MSG_EXTEND ? m->type == MSG_OK :
	    m->type == MSG_EXTENDED)
		return (-1);
	TAILQ_REMOVE(&rt->api.pending, r, entry);
	rt->api.npending--;
	if (r->type == MSG_EXTEND) {
		api_log_extend(rt, r, m);
		if (m->type == MSG_EXTENDED)
			rt->cancel.deadline = m->u.extended.deadline;
	}
	api_send(rt, m);
	free(r->why);
	free(r);
	return (0);
}

/* podvisord is gone: what it owed is refused, in order. */
void
api_supervisor_lost(struct runtime *rt)
{
	struct api_request	*r;

	while ((r = TAILQ_FIRST(&rt->api.pending)) != NULL) {
		TAILQ_REMOVE(&rt->api.pending, r, entry);
		api_refuse(rt, r->type == MSG_EXTEND ? "refused" : ERR_FAILED,
		    "podvisord is gone");
		free(r->why);
		free(r);
	}
	rt->api.npending = 0;
}

/* Answer a request ourselves with an error, keeping the order. */
static void
api_refuse(struct runtime *rt, const char *code, const char *text)
{
	struct msg	 m;

	msg_init(&m, MSG_ERROR);
	m.u.error.code = (char *)code;
	m.u.error.message = (char *)text;
	api_send(rt, &m);
}

/* Pass a request up to podvisord and remember that it owes an answer.
 * Without podvisord, refuse it at once (only while nothing is pending:
 * answers keep their order). */
static void
api_forward(struct runtime *rt, const struct msg *m)
{
	struct api_request	*r;

	if (rt->peer == NULL) {
		api_refuse(rt, m->type == MSG_EXTEND ? "refused" : ERR_FAILED,
		    "podvisord is gone");
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->type = m->type;
	if (m->type == MSG_EXTEND) {
		r->ms = m->u.extend.ms;
		r->why = m->u.extend.why ? xstrdup(m->u.extend.why) : NULL;
	}
	TAILQ_INSERT_TAIL(&rt->api.pending, r, entry);
	rt->api.npending++;
	pod_send(rt, m);
}

/* hello: the workload opens the API and says what it handles. */
static void
api_hello(struct runtime *rt, const struct msg_hello *h)
{
	struct msg	 m;
	size_t		 i;

	for (i = 0; h->handles != NULL && h->handles[i] != NULL; i++) {
		if (strcmp(h->handles[i], "cancel") == 0)
			rt->api.cancel = true;
		else if (strcmp(h->handles[i], "notify") == 0)
			rt->api.notify = true;
		else if (strcmp(h->handles[i], "pause") == 0)
			rt->api.pause = true;
		else if (strcmp(h->handles[i], "interrupt") == 0)
			rt->api.interrupt = true;
	}
	rt->api.open = true;
	rt->api.pid = (pid_t)h->pid;
	pod_log(rt, LOG_API, "opened by pid %llu, handling%s%s%s%s%s",
	    (unsigned long long)h->pid, rt->api.cancel ? " cancel" : "",
	    rt->api.notify ? " notify" : "", rt->api.pause ? " pause" : "",
	    rt->api.interrupt ? " interrupt" : "",
	    rt->api.cancel || rt->api.notify || rt->api.pause ||
	    rt->api.interrupt ? "" : " nothing");

	msg_init(&m, MSG_WELCOME);
	m.u.welcome.id = rt->id;
	m.u.welcome.name = rt->name;
	m.u.welcome.parent = rt->parent;
	m.u.welcome.deadline = rt->cancel.sent ? rt->cancel.deadline :
	    rt->timeout_at;
	api_send(rt, &m);
	if (rt->cancel.sent)
		(void)api_cancel(rt);
	else if (rt->pause != POD_PAUSE_NONE)
		api_pause(rt);
	api_deliver(rt);

	msg_init(&m, MSG_API);
	m.u.api.handles = h->handles;
	pod_send(rt, &m);
}

/* Pass the latest status up now. */
static void
api_report_flush(struct runtime *rt)
{
	struct msg	 m;

	if (!rt->api.report_pending)
		return;
	rt->api.report_pending = false;
	msg_init(&m, MSG_REPORT);
	m.u.report.text = rt->api.report_text;
	m.u.report.progress = rt->api.report_progress;
	pod_send(rt, &m);
	rt->api.report_sent_at = mono_ms();
}

/* The coalescing timer: the last status of a burst goes up. */
static void
api_report_cb(int fd, short what, void *arg)
{
	api_report_flush(arg);
}

/* report: a status goes up at most every POD_REPORT_MS, the newest of
 * a burst, so that a workload reporting in a tight loop floods nothing. */
static void
api_report(struct runtime *rt, const struct msg_report *r)
{
	int64_t	 since = mono_ms() - rt->api.report_sent_at;

	free(rt->api.report_text);
	rt->api.report_text = r->text != NULL ? xstrdup(r->text) : NULL;
	rt->api.report_progress = r->progress;
	rt->api.report_pending = true;
	if (since >= POD_REPORT_MS) {
		api_report_flush(rt);
		return;
	}
	if (rt->api.report_timer == NULL &&
	    (rt->api.report_timer = evtimer_new(rt->base, api_report_cb,
	    rt)) == NULL)
		fatalx("cannot make a timer");
	if (!evtimer_pending(rt->api.report_timer, NULL))
		timer_arm(rt->api.report_timer, POD_REPORT_MS - since);
}

/* ack: the workload has seen the cancel (the first one counts). */
static void
api_ack(struct runtime *rt)
{
	struct msg	 m;

	if (rt->api.acked)
		return;
	rt->api.acked = true;
	pod_log(rt, LOG_ACK, "the workload acknowledged the cancel");
	msg_init(&m, MSG_ACK);
	pod_send(rt, &m);
}

/* Is a log level one of the four? */
static bool
api_level_valid(const char *level)
{
	return (strcmp(level, "debug") == 0 || strcmp(level, "info") == 0 ||
	    strcmp(level, "warning") == 0 || strcmp(level, "error") == 0);
}

/* The end of a burst of log frames: commit them as one transaction, and
 * tell podvisord the seq once. */
static void
api_log_flush(int fd, short what, void *arg)
{
	struct runtime	*rt = arg;

	rt->api.log_batch = false;
	if (rt->log != NULL) {
		(void)seglog_commit(rt->log);
		pod_committed(rt);
	}
}

/* Open a batch for the log frames of this read, unless one is open (its
 * owner commits it).  The commit runs once the frames already read are
 * dispatched: an event made active now runs after this callback, in
 * the same pass of the loop, before the loop looks for more input. */
static void
api_log_batch(struct runtime *rt)
{
	if (rt->log == NULL || rt->api.log_batch)
		return;
	if (rt->api.log_flush == NULL &&
	    (rt->api.log_flush = event_new(rt->base, -1, 0, api_log_flush,
	    rt)) == NULL)
		return;		/* unbatched: one transaction per entry */
	if (seglog_begin(rt->log) == 0) {
		rt->api.log_batch = true;
		event_active(rt->api.log_flush, EV_TIMEOUT, 1);
	}
}

/* log: an entry "[level] message {fields}" in the pod's log. */
static void
api_log(struct runtime *rt, const struct msg_log *l)
{
	api_log_batch(rt);
	pod_log(rt, LOG_LOG, "[%s] %.*s%s%.*s", l->level,
	    (int)l->message.len, (const char *)l->message.ptr,
	    l->fields.len > 0 ? " " : "", (int)l->fields.len,
	    l->fields.len > 0 ? (const char *)l->fields.ptr : "");
}

/* A message from the workload; NULL when its channel is gone. */
static void
api_dispatch(struct peer *peer, struct msg *m, void *arg)
{
	struct runtime	*rt = arg;
	const char	*why;

	if (m == NULL) {
		if (peer_fault(peer) != NULL && !rt->api.broken) {
			rt->api.broken = true;
			pod_log(rt, LOG_ERROR, "pod API closed: %s; a stop is "
			    "signalled from now on", peer_fault(peer));
		}
		api_report_flush(rt);	/* its last status still counts */
		rt->api.peer = NULL;
		rt->api.open = false;
		api_forget_pending(rt);
		pod_check_done(rt);	/* its last entries are in: the end */
		return;
	}
	why = "a second hello";
	if (m->type != MSG_HELLO && !rt->api.open)
		goto bad;	/* the peer layer lets only hello through */
	switch (m->type) {
	case MSG_HELLO:
		if (rt->api.open)
			goto bad;
		api_hello(rt, &m->u.hello);
		break;
	case MSG_ACK:
		why = "an ack without a cancel";
		if (!rt->cancel.sent)
			goto bad;
		api_ack(rt);
		break;
	case MSG_EXTEND:
		why = "an extend of 0ms, or too many requests at once";
		if (m->u.extend.ms == 0 || m->u.extend.ms > INT32_MAX ||
		    rt->api.npending >= POD_API_PENDING_MAX)
			goto bad;
		api_forward(rt, m);
		break;
	case MSG_LOG:
		why = "a log entry with a bad level, or over 64 KiB";
		if (!api_level_valid(m->u.log.level) ||
		    m->u.log.message.len > POD_API_DATA_MAX ||
		    m->u.log.fields.len > POD_API_DATA_MAX)
			goto bad;
		api_log(rt, &m->u.log);
		break;
	case MSG_REPORT:
		why = "a progress outside 0..1";
		if (!isnan(m->u.report.progress) &&
		    !(m->u.report.progress >= 0 && m->u.report.progress <= 1))
			goto bad;
		api_report(rt, &m->u.report);
		break;
	case MSG_HEARTBEAT:
		pod_send(rt, m);
		break;
	case MSG_RESULT:
		why = "too many requests at once";
		if (rt->api.npending >= POD_API_PENDING_MAX)
			goto bad;
		if (m->u.result.data.len > POD_API_DATA_MAX) {
			api_refuse(rt, ERR_USAGE, "a result is at most 64 KiB");
			break;
		}
		api_forward(rt, m);
		break;
	case MSG_RECV:
		rt->api.recv_waiting = true;
		api_deliver(rt);
		break;
	case MSG_PAUSED:
		pod_paused(rt);
		break;
	default:
		why = "a message of another channel";
		goto bad;
	}
	return;
bad:
	log_warnx("pod %llu: pod API: %s ('%s'): closing it",
	    (unsigned long long)rt->id, why, msg_type_name(m->type));
	rt->api.broken = true;
	pod_log(rt, LOG_ERROR, "pod API closed: %s ('%s'); a stop is "
	    "signalled from now on", why, msg_type_name(m->type));
	peer_error(peer, ERR_PROTOCOL, "%s", why);
}
