/*
 * The HTTP API's endpoints, one table: each parses its request into the
 * control message podctl would send (http.c hands it to the control
 * dispatch) and renders the replies.  Nothing here decides what may be done or how: that is the
 * control channel's, as for podctl.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "supervisor.h"
#include "json.h"
#include "http.h"
#include "http_parse.h"

struct route {
	enum evhttp_cmd_type	 method;
	enum hp_path		 kind;
	const char		*path;	/* action, or the exact path */
	const char *const	*query;	/* the parameters it takes; NULL: any */
	void			(*handle)(struct hreq *, struct hquery *);
};

static void	ep_list(struct hreq *, struct hquery *);
static void	ep_inspect(struct hreq *, struct hquery *);
static void	ep_spawn(struct hreq *, struct hquery *);
static void	ep_stop(struct hreq *, struct hquery *);
static void	ep_kill(struct hreq *, struct hquery *);
static void	ep_message(struct hreq *, struct hquery *);
static void	ep_pause(struct hreq *, struct hquery *);
static void	ep_resume(struct hreq *, struct hquery *);
static void	ep_result(struct hreq *, struct hquery *);
static void	ep_rm(struct hreq *, struct hquery *);
static void	ep_logs(struct hreq *, struct hquery *);
static void	ep_events(struct hreq *, struct hquery *);
static void	ep_metrics(struct hreq *, struct hquery *);
static void	ep_console(struct hreq *, struct hquery *);

static const char *const q_none[] = { NULL };
static const char *const q_list[] = { "all", NULL };
static const char *const q_stop[] = { "wait", NULL };
static const char *const q_logs[] = { "from", "tail", "follow", NULL };

static const struct route routes[] = {
	{ EVHTTP_REQ_GET, HP_PODS, NULL, q_list, ep_list },
	{ EVHTTP_REQ_POST, HP_PODS, NULL, q_none, ep_spawn },
	{ EVHTTP_REQ_GET, HP_POD, NULL, q_none, ep_inspect },
	{ EVHTTP_REQ_DELETE, HP_POD, NULL, q_none, ep_rm },
	{ EVHTTP_REQ_POST, HP_POD_ACTION, "stop", q_stop, ep_stop },
	{ EVHTTP_REQ_POST, HP_POD_ACTION, "kill", q_none, ep_kill },
	{ EVHTTP_REQ_POST, HP_POD_ACTION, "messages", q_none, ep_message },
	{ EVHTTP_REQ_POST, HP_POD_ACTION, "pause", q_none, ep_pause },
	{ EVHTTP_REQ_POST, HP_POD_ACTION, "resume", q_none, ep_resume },
	{ EVHTTP_REQ_GET, HP_POD_ACTION, "result", q_none, ep_result },
	{ EVHTTP_REQ_GET, HP_POD_ACTION, "logs", q_logs, ep_logs },
	{ EVHTTP_REQ_GET, HP_EXACT, "/v1/events", q_none, ep_events },
	{ EVHTTP_REQ_GET, HP_EXACT, "/metrics", q_none, ep_metrics },
	/* The console's page reads its own parameters (?token, ?view). */
	{ EVHTTP_REQ_GET, HP_EXACT, "/", NULL, ep_console },
};
#define NROUTES	(sizeof routes / sizeof routes[0])

/*
 * Helpers.
 */

/* Send the request's control message, or answer for it. */
static void
ep_relay(struct hreq *h, const struct msg *m, hreq_cb cb)
{
	if (hreq_send(h, m, cb) == -1)
		hreq_free(h);
}

/* A reply the endpoint does not expect: the error it carries, or a 500.
 * Either way the request is answered and done. */
static void
ep_not_expected(struct hreq *h, struct msg *m)
{
	if (m->type == MSG_ERROR) {
		hreq_fail(h, &m->u.error);
		return;
	}
	http_send_error(h->req, 500, ERR_FAILED, "an unexpected reply");
	hreq_free(h);
}

/* A request the HTTP layer's parsers refused: 400 with their reason. */
static void
ep_bad_request(struct hreq *h, const char *cause)
{
	http_send_error(h->req, 400, ERR_USAGE, "%s", cause);
	hreq_free(h);
}

/* The request's body, as bytes (evhttp bounds it to 1 MiB). */
static const void *
ep_body(struct hreq *h, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(h->req);

	*len = evbuffer_get_length(in);
	return (*len == 0 ? "" : (const void *)evbuffer_pullup(in, -1));
}

/* A body parser of http_parse.c's, into a control message. */
typedef int	(*ep_parser)(const void *, size_t, struct msg *, struct hbody *,
		    char *, size_t);

/* Parse the request's body with parse into m (its strings held by b,
 * which the caller frees either way); -1 once answered 400. */
static int
ep_parse(struct hreq *h, ep_parser parse, struct msg *m, struct hbody *b)
{
	const void	*body;
	size_t		 len;
	char		 cause[256];

	body = ep_body(h, &len);
	if (parse(body, len, m, b, cause, sizeof cause) == -1) {
		ep_bad_request(h, cause);
		return (-1);
	}
	return (0);
}

/* Is a pod state name a terminal one? */
static bool
ep_terminal(const char *state)
{
	int	 s = pod_state_from_name(state);

	return (s >= POD_SUCCEEDED);
}

/* Answer with the one pod the request is about, from an inspect. */
static void
ep_answer_pod(struct hreq *h, struct msg *m)
{
	char	 loc[64];

	switch (m->type) {
	case MSG_POD:
		if (h->acc == NULL)
			h->acc = pod_json(&m->u.pod);
		if (h->status == 0)
			h->status = 200;
		snprintf(loc, sizeof loc, "/v1/pods/%" PRIu64, m->u.pod.id);
		evhttp_add_header(evhttp_request_get_output_headers(h->req),
		    "Location", loc);
		return;
	case MSG_END:
		if (h->acc == NULL) {
			http_send_error(h->req, 404, ERR_NOTFOUND, "no such pod: "
			    "%s", h->ref);
			break;
		}
		http_send_json(h->req, h->status, h->acc);
		h->acc = NULL;
		break;
	default:
		ep_not_expected(h, m);
		return;
	}
	hreq_free(h);
}

/* Inspect the request's pod and answer with it (status as set). */
static void
ep_then_inspect(struct hreq *h, const char *ref)
{
	struct msg	 m;

	msg_init(&m, MSG_INSPECT);
	m.u.inspect.pod = (char *)ref;
	ep_relay(h, &m, ep_answer_pod);
}

/* A reply that ends with end (or ok): then answer with the pod. */
static void
ep_done_then_pod(struct hreq *h, struct msg *m)
{
	switch (m->type) {
	case MSG_POD:
		return;			/* records of a wait: the pod follows */
	case MSG_END:
		if (m->u.end.missing != NULL && m->u.end.missing[0] != NULL) {
			http_send_error(h->req, 404, ERR_NOTFOUND, "no such pod: "
			    "%s", h->ref);
			hreq_free(h);
			return;
		}
		/* FALLTHROUGH */
	case MSG_OK:
		ep_then_inspect(h, h->ref);
		return;
	default:
		ep_not_expected(h, m);
	}
}

/*
 * Endpoints.
 */

/* GET /v1/pods[?all=1]: the pod trees, as podctl status --json, each
 * record written into the reply as the control dispatch hands it over
 * (parents first, depth first): no tree of 10,000 pods is built. */
static void
ep_list_reply(struct hreq *h, struct msg *m)
{
	struct hlist	*l = h->list;

	switch (m->type) {
	case MSG_POD:
		podstream_add(&l->stream, &m->u.pod);
		return;
	case MSG_END:
		podstream_end(&l->stream);
		jw_text(&l->w, "\n");
		jw_flush(&l->w);
		evhttp_add_header(evhttp_request_get_output_headers(h->req),
		    "Content-Type", "application/json");
		metrics_http(200);
		evhttp_send_reply(h->req, 200, "OK", l->buf);
		break;
	default:
		ep_not_expected(h, m);
		return;
	}
	hreq_free(h);
}

static void
ep_list(struct hreq *h, struct hquery *q)
{
	struct msg	 m;
	char		 cause[256];

	msg_init(&m, MSG_STATUS);
	if (hq_flag(q, "all", &m.u.status.all, cause, sizeof cause) == -1) {
		ep_bad_request(h, cause);
		return;
	}
	h->list = xcalloc(1, sizeof *h->list);
	h->list->buf = evbuffer_new();
	jw_init(&h->list->w, http_evbuffer_sink, h->list->buf);
	podstream_init(&h->list->stream, &h->list->w, true);
	ep_relay(h, &m, ep_list_reply);
}

/* GET /v1/pods/{pod}: as podctl inspect. */
static void
ep_inspect(struct hreq *h, struct hquery *q)
{
	ep_then_inspect(h, h->ref);
}

/* The spawn's ok: answer 201 with the new pod. */
static void
ep_spawned(struct hreq *h, struct msg *m)
{
	char	 id[32];

	if (m->type != MSG_OK) {
		ep_not_expected(h, m);
		return;
	}
	snprintf(id, sizeof id, "%" PRIu64, m->u.ok.id);
	free(h->ref);
	h->ref = xstrdup(id);
	h->status = 201;
	ep_then_inspect(h, h->ref);
}

/* POST /v1/pods: spawn; 201 with the pod and its Location. */
static void
ep_spawn(struct hreq *h, struct hquery *q)
{
	struct hbody	 b;
	struct msg	 m;

	if (ep_parse(h, hb_spawn, &m, &b) == 0)
		ep_relay(h, &m, ep_spawned);
	hbody_free(&b);
}

/* ?wait=DUR ran out before the subtree ended: answer 202 now. */
static void
ep_stop_waited_cb(int fd, short events, void *arg)
{
	struct hreq	*h = arg;

	hreq_disconnect(h);	/* the waiting stop request goes */
	h->status = 202;
	ep_then_inspect(h, h->ref);
}

/* A waited stop's records: the subtree ended within ?wait. */
static void
ep_stop_waited(struct hreq *h, struct msg *m)
{
	if (m->type == MSG_POD && h->acc == NULL) {
		h->acc = pod_json(&m->u.pod);	/* the named pod comes first */
		return;
	}
	if (m->type == MSG_POD)
		return;
	if (m->type == MSG_END && h->acc != NULL) {
		http_send_json(h->req, 200, h->acc);
		h->acc = NULL;
		hreq_free(h);
		return;
	}
	ep_done_then_pod(h, m);
}

/* Send the stop the request asked for (saved in acc's place). */
static void
ep_stop_send(struct hreq *h)
{
	struct msg	 m;
	char		*pods[2] = { h->ref, NULL };

	msg_init(&m, MSG_STOP);
	m.u.stop.pods = pods;
	m.u.stop.reason = h->stop_reason;
	m.u.stop.cancel_grace_ms = h->stop_cancel_ms;
	m.u.stop.term_grace_ms = h->stop_term_ms;
	h->status = 202;
	if (h->stop_wait == WIRE_NONE) {
		ep_relay(h, &m, ep_done_then_pod);
		return;
	}
	m.u.stop.wait = true;
	h->timer = evtimer_new(sv.base, ep_stop_waited_cb, h);
	timer_arm(h->timer, h->stop_wait);
	ep_relay(h, &m, ep_stop_waited);
}

/* The pod before its stop: a terminal one is answered 200 as it is. */
static void
ep_stop_checked(struct hreq *h, struct msg *m)
{
	switch (m->type) {
	case MSG_POD:
		if (h->acc == NULL && ep_terminal(m->u.pod.state))
			h->acc = pod_json(&m->u.pod);
		h->status = 1;		/* found */
		return;
	case MSG_END:
		if (h->status != 1) {
			http_send_error(h->req, 404, ERR_NOTFOUND, "no such pod: "
			    "%s", h->ref);
			hreq_free(h);
		} else if (h->acc != NULL) {
			http_send_json(h->req, 200, h->acc);
			h->acc = NULL;
			hreq_free(h);
		} else
			ep_stop_send(h);
		return;
	default:
		ep_not_expected(h, m);
	}
}

/* POST /v1/pods/{pod}/stop: 202 at once with the pod stopping (200 if it
 * was terminal already); ?wait=DUR: 200 once the subtree is terminal
 * within DUR, else 202.  Repeated while stopping: another 202. */
static void
ep_stop(struct hreq *h, struct hquery *q)
{
	struct hbody	 b;
	struct msg	 m;
	char		 cause[256];

	if (hq_duration(q, "wait", &h->stop_wait, cause, sizeof cause) == -1) {
		ep_bad_request(h, cause);
		return;
	}
	if (ep_parse(h, hb_stop, &m, &b) == -1) {
		hbody_free(&b);
		return;
	}
	h->stop_cancel_ms = m.u.stop.cancel_grace_ms;
	h->stop_term_ms = m.u.stop.term_grace_ms;
	h->stop_reason = m.u.stop.reason != NULL ? xstrdup(m.u.stop.reason) :
	    NULL;
	hbody_free(&b);
	msg_init(&m, MSG_INSPECT);
	m.u.inspect.pod = h->ref;
	ep_relay(h, &m, ep_stop_checked);
}

/* An ok, answered with 204. */
static void
ep_no_content(struct hreq *h, struct msg *m)
{
	if (m->type == MSG_ERROR) {
		hreq_fail(h, &m->u.error);
		return;
	}
	if (m->type == MSG_POD)
		return;			/* rm lists what it removed */
	http_send_json(h->req, 204, NULL);
	hreq_free(h);
}

/* POST /v1/pods/{pod}/kill {"signal": "TERM"}: 204. */
static void
ep_kill(struct hreq *h, struct hquery *q)
{
	struct hbody	 b;
	struct msg	 m;

	if (ep_parse(h, hb_kill, &m, &b) == 0) {
		m.u.kill.pod = h->ref;
		ep_relay(h, &m, ep_no_content);
	}
	hbody_free(&b);
}

/* The send's ok: 202 {"seq": N}. */
static void
ep_sent(struct hreq *h, struct msg *m)
{
	if (m->type == MSG_ERROR) {
		hreq_fail(h, &m->u.error);
		return;
	}
	http_send_json(h->req, 202, json_pack("{sI}", "seq",
	    (json_int_t)m->u.ok.seq));
	hreq_free(h);
}

/* POST /v1/pods/{pod}/messages {data, priority, key, preempt}. */
static void
ep_message(struct hreq *h, struct hquery *q)
{
	struct hbody	 b;
	struct msg	 m;

	if (ep_parse(h, hb_message, &m, &b) == 0) {
		m.u.send.pod = h->ref;
		ep_relay(h, &m, ep_sent);
	}
	hbody_free(&b);
}

/* A body for an endpoint that takes none: empty or {}; -1 after a 400. */
static int
ep_no_body(struct hreq *h)
{
	struct hbody	 b;
	const void	*body;
	size_t		 len;
	char		 cause[256];
	int		 rc;

	body = ep_body(h, &len);
	if ((rc = hb_none(body, len, &b, cause, sizeof cause)) == -1)
		ep_bad_request(h, cause);
	hbody_free(&b);
	return (rc);
}

/* POST /v1/pods/{pod}/pause: 202 with the pod (the pause under way). */
static void
ep_pause(struct hreq *h, struct hquery *q)
{
	struct msg	 m;
	char		*pods[2] = { h->ref, NULL };

	if (ep_no_body(h) == -1)
		return;
	msg_init(&m, MSG_PAUSE);
	m.u.pause.pods = pods;
	h->status = 202;
	ep_relay(h, &m, ep_done_then_pod);
}

/* POST /v1/pods/{pod}/resume: 202 with the pod. */
static void
ep_resume(struct hreq *h, struct hquery *q)
{
	struct msg	 m;
	char		*pods[2] = { h->ref, NULL };

	if (ep_no_body(h) == -1)
		return;
	msg_init(&m, MSG_RESUME);
	m.u.resume.pods = pods;
	h->status = 202;
	ep_relay(h, &m, ep_done_then_pod);
}

/* The inspect of GET .../result: the result itself, or 404. */
static void
ep_result_reply(struct hreq *h, struct msg *m)
{
	json_error_t	 err;
	json_t		*v;

	switch (m->type) {
	case MSG_POD:
		if (h->acc != NULL || m->u.pod.result.len == 0)
			return;
		h->acc = json_loadb((const char *)m->u.pod.result.ptr,
		    m->u.pod.result.len, JSON_DECODE_ANY, &err);
		if (h->acc == NULL)
			h->acc = json_null();
		h->status = 200;
		return;
	case MSG_END:
		if (m->u.end.missing != NULL && m->u.end.missing[0] != NULL)
			http_send_error(h->req, 404, ERR_NOTFOUND, "no such pod: "
			    "%s", h->ref);
		else if (h->status != 200)
			http_send_error(h->req, 404, "no-result", "pod %s set no "
			    "result", h->ref);
		else {
			v = h->acc;
			h->acc = NULL;
			http_send_json(h->req, 200, v);
		}
		break;
	default:
		ep_not_expected(h, m);
		return;
	}
	hreq_free(h);
}

/* GET /v1/pods/{pod}/result */
static void
ep_result(struct hreq *h, struct hquery *q)
{
	struct msg	 m;

	msg_init(&m, MSG_INSPECT);
	m.u.inspect.pod = h->ref;
	ep_relay(h, &m, ep_result_reply);
}

/* The rm's reply: the pods removed, then the end. */
static void
ep_rm_reply(struct hreq *h, struct msg *m)
{
	switch (m->type) {
	case MSG_POD:
		return;
	case MSG_END:
		if (m->u.end.missing != NULL && m->u.end.missing[0] != NULL)
			http_send_error(h->req, 404, ERR_NOTFOUND, "no such pod: "
			    "%s", h->ref);
		else
			http_send_json(h->req, 204, NULL);
		break;
	default:
		ep_not_expected(h, m);
		return;
	}
	hreq_free(h);
}

/* DELETE /v1/pods/{pod}: 204; 409 while any pod of the subtree lives. */
static void
ep_rm(struct hreq *h, struct hquery *q)
{
	struct msg	 m;
	char		*pods[2] = { h->ref, NULL };

	msg_init(&m, MSG_RM);
	m.u.rm.pods = pods;
	ep_relay(h, &m, ep_rm_reply);
}

/* GET /v1/pods/{pod}/logs: a JSON array, or server-sent events with
 * ?follow=1 or Accept: text/event-stream. */
static void
ep_logs(struct hreq *h, struct hquery *q)
{
	sse_logs(h, q);
}

/* GET /v1/events: every pod change, as server-sent events. */
static void
ep_events(struct hreq *h, struct hquery *q)
{
	sse_events(h);
}

/* GET /metrics: Prometheus text format 0.0.4. */
static void
ep_metrics(struct hreq *h, struct hquery *q)
{
	struct evbuffer	*buf = evbuffer_new();

	metrics_render(buf);
	evhttp_add_header(evhttp_request_get_output_headers(h->req),
	    "Content-Type", "text/plain; version=0.0.4");
	metrics_http(200);
	evhttp_send_reply(h->req, 200, "OK", buf);
	evbuffer_free(buf);
	hreq_free(h);
}

/* GET /: the web console. */
static void
ep_console(struct hreq *h, struct hquery *q)
{
	struct evbuffer	*buf = evbuffer_new();
	struct evkeyvalq *out = evhttp_request_get_output_headers(h->req);

	evbuffer_add_reference(buf, console_html, strlen(console_html), NULL,
	    NULL);
	evhttp_add_header(out, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
	    "connect-src 'self'; img-src data:; base-uri 'none'; "
	    "form-action 'none'");
	metrics_http(200);
	evhttp_send_reply(h->req, 200, "OK", buf);
	evbuffer_free(buf);
	hreq_free(h);
}

/*
 * Routing.
 */

/* Does a route take this path? */
static bool
ep_route_matches(const struct route *r, enum hp_path kind,
    const char *path, const char *action)
{
	if (r->kind != kind)
		return (false);
	if (kind == HP_EXACT)
		return (strcmp(r->path, path) == 0);
	if (kind == HP_POD_ACTION)
		return (strcmp(r->path, action) == 0);
	return (true);
}

/* A method's name, for a 405. */
static const char *
ep_method_name(enum evhttp_cmd_type method)
{
	switch (method) {
	case EVHTTP_REQ_GET: return ("GET");
	case EVHTTP_REQ_POST: return ("POST");
	case EVHTTP_REQ_HEAD: return ("HEAD");
	case EVHTTP_REQ_PUT: return ("PUT");
	case EVHTTP_REQ_DELETE: return ("DELETE");
	case EVHTTP_REQ_OPTIONS: return ("OPTIONS");
	case EVHTTP_REQ_TRACE: return ("TRACE");
	case EVHTTP_REQ_CONNECT: return ("CONNECT");
	case EVHTTP_REQ_PATCH: return ("PATCH");
	default: return ("this method");
	}
}

/* 405, with the methods the path takes in Allow. */
static void
ep_not_allowed(struct evhttp_request *req, enum evhttp_cmd_type method,
    enum hp_path kind, const char *path, const char *action)
{
	char	 allow[64];
	size_t	 i, n = 0;

	allow[0] = '\0';
	for (i = 0; i < NROUTES && n < sizeof allow; i++) {
		if (!ep_route_matches(&routes[i], kind, path, action))
			continue;
		n += (size_t)snprintf(allow + n, sizeof allow - n, "%s%s%s",
		    n > 0 ? ", " : "", ep_method_name(routes[i].method),
		    routes[i].method == EVHTTP_REQ_GET ? ", HEAD" : "");
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	http_send_error(req, 405, "method", "%s is not allowed here",
	    ep_method_name(method));
}

/* Find the route of a request and hand it over; 404, 405, or 400 for a
 * query parameter the route does not take. */
void
http_route(struct evhttp_request *req, const char *path, struct hquery *q,
    hreq_new_fn new_hreq, uid_t uid, gid_t gid, pid_t pid)
{
	enum evhttp_cmd_type	 method = evhttp_request_get_command(req);
	enum hp_path		 kind;
	const char		*action;
	char			*ref, cause[256];
	bool			 path_known = false;
	struct hreq		*h;
	size_t			 i;

	kind = hp_path_split(path, &ref, &action);
	if (ref != NULL && (ref[0] == '\0' || strlen(ref) > HP_REF_MAX)) {
		http_send_error(req, 404, ERR_NOTFOUND, "no such pod");
		free(ref);
		return;
	}
	for (i = 0; i < NROUTES; i++) {
		if (!ep_route_matches(&routes[i], kind, path, action))
			continue;
		path_known = true;
		if (routes[i].method != method && !(method ==
		    EVHTTP_REQ_HEAD && routes[i].method == EVHTTP_REQ_GET))
			continue;
		if (routes[i].query != NULL && hq_only(q, routes[i].query,
		    cause, sizeof cause) == -1) {
			http_send_error(req, 400, ERR_USAGE, "%s", cause);
			break;
		}
		h = new_hreq(req, uid, gid, pid);
		h->ref = ref;
		routes[i].handle(h, q);
		return;
	}
	if (i == NROUTES && path_known)
		ep_not_allowed(req, method, kind, path, action);
	else if (i == NROUTES)
		http_send_error(req, 404, ERR_NOTFOUND, "no such path: %s", path);
	free(ref);
}
