/*
 * Server-sent event streams of the HTTP API.
 *
 * Logs (GET /v1/pods/{pod}/logs?follow=1): a control logs request with
 * follow, relayed; each entry becomes an event `entry` with id: SEQ, and
 * the end an event `end`.  The stream is paced: while the HTTP client's
 * output holds more than SSE_PACE_BYTES the relay stops reading, so that
 * the control channel's own pacing holds back the log reader.
 *
 * Events (GET /v1/events): an event `pod` with the pod object at every
 * change of a pod the caller may see, numbered daemon-wide; the newest
 * SSE_RING are kept for Last-Event-ID.  A subscriber more than
 * SSE_DROP_BYTES behind is dropped with a log line.
 *
 * Every stream gets a ':' keep-alive comment every 15 seconds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "supervisor.h"
#include "json.h"
#include "http.h"
#include "http_parse.h"

#define SSE_KEEPALIVE_MS	15000
#define SSE_PACE_BYTES		(1024 * 1024)
#define SSE_DROP_BYTES		(8 * 1024 * 1024)
#define SSE_RING		1024

/* One event kept for resumption. */
struct sse_event {
	uint64_t	 id;
	uint64_t	 pod;
	uid_t		 owner;
	char		*text;		/* the pod object, JSON */
};

static TAILQ_HEAD(, hreq) streams = TAILQ_HEAD_INITIALIZER(streams);
static struct sse_event	 ring[SSE_RING];
static uint64_t		 next_id = 1;
static struct event	*keepalive_ev;
static unsigned		 nsubscribers;

static void	sse_logs_drained(struct evhttp_connection *, void *);

/* The bytes queued to a stream's client. */
static size_t
sse_backlog(struct hreq *h)
{
	if (h->conn == NULL)
		return (0);
	return (evbuffer_get_length(bufferevent_get_output(
	    evhttp_connection_get_bufferevent(h->conn))));
}

/* Write one chunk to the stream.  Each chunk replaces the connection's
 * written callback, so a log stream's chunks, keep-alives included,
 * all carry the one that resumes its paused relay: else a keep-alive
 * sent while it is paused leaves the stream stalled for good. */
static void
sse_write(struct hreq *h, const char *fmt, ...)
{
	struct evbuffer	*buf = evbuffer_new();
	va_list		 ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	evhttp_send_reply_chunk_with_cb(h->req, buf, h->on_msg != NULL ?
	    sse_logs_drained : NULL, h);
	evbuffer_free(buf);
}

/* Start a stream's reply. */
static void
sse_begin(struct hreq *h)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(h->req);

	h->sse = true;
	evhttp_add_header(out, "Content-Type", "text/event-stream");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Accel-Buffering", "no");
	metrics_http(200);
	evhttp_send_reply_start(h->req, 200, "OK");
	TAILQ_INSERT_TAIL(&streams, h, sse_entry);
}

/* End a stream and free it. */
static void
sse_finish(struct hreq *h)
{
	struct evhttp_request	*req = h->req;
	bool			 live = h->conn != NULL;

	/* Freed first: ending the reply may close the connection at once,
	 * and its close must not find the request still attached. */
	TAILQ_REMOVE(&streams, h, sse_entry);
	hreq_free(h);
	if (live)
		evhttp_send_reply_end(req);
}

/* The client went away mid-stream: clean up at once. */
void
sse_closed(struct hreq *h)
{
	if (h->on_msg == NULL)
		nsubscribers--;		/* an events subscriber */
	TAILQ_REMOVE(&streams, h, sse_entry);
	hreq_free(h);
}

/* Every 15 s: a comment on every stream, so that proxies and clients
 * know it lives. */
static void
sse_keepalive_cb(int fd, short events, void *arg)
{
	struct hreq	*h;

	TAILQ_FOREACH(h, &streams, sse_entry)
		sse_write(h, ":\n\n");
	timer_arm(keepalive_ev, SSE_KEEPALIVE_MS);
}

/*
 * Logs.
 */

/* The written chunk has left: read on if the client keeps up. */
static void
sse_logs_drained(struct evhttp_connection *conn, void *arg)
{
	struct hreq	*h = arg;

	if (h->peer != NULL && sse_backlog(h) < SSE_PACE_BYTES)
		peer_read_resume(h->peer);
}

/* A log entry as an event: its JSON object as data. */
static void
sse_entry_event(struct evbuffer *buf, const struct msg_entry *e)
{
	struct jw	 w;

	evbuffer_add_printf(buf, "event: entry\nid: %" PRIu64 "\ndata: ",
	    e->seq);
	jw_init(&w, http_evbuffer_sink, buf);
	entry_write(&w, e);
	jw_text(&w, "\n\n");
	jw_flush(&w);
}

/* One entry of a followed log: an event, paced by the client. */
static void
sse_logs_reply(struct hreq *h, struct msg *m)
{
	struct evbuffer	*buf;
	char		*text;

	switch (m->type) {
	case MSG_ENTRY:
		buf = evbuffer_new();
		sse_entry_event(buf, &m->u.entry);
		evhttp_send_reply_chunk_with_cb(h->req, buf, sse_logs_drained,
		    h);
		evbuffer_free(buf);
		if (sse_backlog(h) >= SSE_PACE_BYTES)
			peer_read_pause(h->peer);
		return;
	case MSG_END:
		sse_write(h, "event: end\ndata: {}\n\n");
		break;
	case MSG_ERROR:
		text = json_dumps_free(json_pack("{s{ss,ss}}", "error", "code",
		    m->u.error.code, "message", m->u.error.message));
		sse_write(h, "event: error\ndata: %s\n\n", text);
		free(text);
		break;
	default:
		break;
	}
	sse_finish(h);
}

/* The entries of a log that is not followed: one JSON array. */
static void
sse_logs_array(struct hreq *h, struct msg *m)
{
	switch (m->type) {
	case MSG_ENTRY:
		if (h->acc == NULL)
			h->acc = json_array();
		json_array_append_new(h->acc, entry_json(&m->u.entry));
		return;
	case MSG_END:
		http_send_json(h->req, 200, h->acc != NULL ? h->acc :
		    json_array());
		h->acc = NULL;
		break;
	case MSG_ERROR:
		hreq_fail(h, &m->u.error);
		return;
	default:
		break;
	}
	hreq_free(h);
}

/* A first reply that is an error is answered as one, not a stream. */
static void
sse_logs_first(struct hreq *h, struct msg *m)
{
	if (m->type == MSG_ERROR) {
		hreq_fail(h, &m->u.error);
		return;
	}
	sse_begin(h);
	h->on_msg = sse_logs_reply;
	sse_logs_reply(h, m);
}

/* A request the parsers refused: 400, before any stream starts. */
static void
sse_bad_request(struct hreq *h, const char *cause)
{
	http_send_error(h->req, 400, ERR_USAGE, "%s", cause);
	hreq_free(h);
}

/* Does the request ask for a stream (?follow=1, or Accept)? -1 after a
 * 400. */
static int
sse_wanted(struct hreq *h, struct hquery *q, bool *follow)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(h->req);
	const char	*accept = evhttp_find_header(in, "Accept");
	char		 cause[256];

	if (hq_flag(q, "follow", follow, cause, sizeof cause) == -1) {
		sse_bad_request(h, cause);
		return (-1);
	}
	if (accept != NULL && strstr(accept, "text/event-stream") != NULL)
		*follow = true;
	return (0);
}

/* GET /v1/pods/{pod}/logs[?from=SEQ&tail=N&follow=1]; a followed log
 * resumes after Last-Event-ID. */
void
sse_logs(struct hreq *h, struct hquery *q)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(h->req);
	struct msg	 m;
	uint64_t	 last;
	char		 cause[256];
	bool		 follow;

	msg_init(&m, MSG_LOGS);
	m.u.logs.pod = h->ref;
	if (hq_u64(q, "from", &m.u.logs.from, cause, sizeof cause) == -1 ||
	    hq_u64(q, "tail", &m.u.logs.tail, cause, sizeof cause) == -1 ||
	    hp_event_id(evhttp_find_header(in, "Last-Event-ID"), &last, cause,
	    sizeof cause) == -1) {
		sse_bad_request(h, cause);
		return;
	}
	if (sse_wanted(h, q, &follow) == -1)
		return;
	if (follow && last > 0) {
		m.u.logs.from = last + 1;
		m.u.logs.tail = 0;
	}
	m.u.logs.follow = follow;
	if (hreq_send(h, &m, follow ? sse_logs_first : sse_logs_array) == -1)
		hreq_free(h);
}

/*
 * Events.
 */

/* May the subscriber see this event's pod? */
static bool
sse_visible(struct hreq *h, const struct sse_event *e)
{
	return (h->uid == 0 || h->uid == e->owner);
}

/* Send one event to a subscriber; drop one that is too far behind. */
static void
sse_emit(struct hreq *h, const struct sse_event *e)
{
	if (!sse_visible(h, e))
		return;
	if (sse_backlog(h) > SSE_DROP_BYTES) {
		log_warnx("http: an events subscriber is %zu bytes behind: "
		    "dropping it", sse_backlog(h));
		evhttp_connection_free(h->conn);	/* sse_closed follows */
		return;
	}
	sse_write(h, "event: pod\nid: %" PRIu64 "\ndata: %s\n\n", e->id,
	    e->text);
}

/* A pod changed (the registry wrote it): tell every subscriber. */
void
sse_pod_changed(struct pod *pod)
{
	struct sse_event	*e;
	struct hreq		*h, *next;
	struct msg		 msg;

	if (nsubscribers == 0)
		return;
	e = &ring[next_id % SSE_RING];
	free(e->text);
	pod_to_msg(pod, &msg, RECORD_CHILDREN);
	e->text = json_dumps_free(pod_json(&msg.u.pod));
	record_msg_release(&msg);
	e->id = next_id++;
	e->pod = pod->id;
	e->owner = pod->owner;
	TAILQ_FOREACH_SAFE(h, &streams, sse_entry, next) {
		if (h->on_msg == NULL)
			sse_emit(h, e);
	}
}

/* GET /v1/events: from now on, or after Last-Event-ID from the ring. */
void
sse_events(struct hreq *h)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(h->req);
	uint64_t	 from, id;
	char		 cause[256];

	if (hp_event_id(evhttp_find_header(in, "Last-Event-ID"), &from, cause,
	    sizeof cause) == -1) {
		sse_bad_request(h, cause);
		return;
	}
	sse_begin(h);
	nsubscribers++;
	sse_write(h, "retry: 2000\n\n");
	if (from == 0)
		return;
	if (next_id > SSE_RING && from < next_id - SSE_RING)
		from = next_id - SSE_RING;
	for (id = from + 1; id < next_id; id++)
		sse_emit(h, &ring[id % SSE_RING]);
}

/* Start the keep-alive clock. */
void
sse_start(void)
{
	keepalive_ev = evtimer_new(sv.base, sse_keepalive_cb, NULL);
	timer_arm(keepalive_ev, SSE_KEEPALIVE_MS);
}

/* At exit: end every stream and forget the ring. */
void
sse_stop(void)
{
	struct hreq	*h;
	size_t		 i;

	while ((h = TAILQ_FIRST(&streams)) != NULL)
		sse_finish(h);
	if (keepalive_ev != NULL)
		event_free(keepalive_ev);
	keepalive_ev = NULL;
	for (i = 0; i < SSE_RING; i++) {
		free(ring[i].text);
		ring[i].text = NULL;
	}
}
