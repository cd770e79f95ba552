/*
 * The HTTP API's endpoints, one table: each parses its request into the
 * control message podctl would send (http.c relays it) and renders the
 * replies.  Nothing here decides what may be done or how: that is the
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

/* What a route needs of the path. */
enum route_path {
	PATH_PODS,		/* /v1/pods */
	PATH_POD,		/* /v1/pods/{pod} */
	PATH_POD_ACTION,	/* /v1/pods/{pod}/{action} */
	PATH_EXACT		/* the path itself */
};

struct route {
	enum evhttp_cmd_type	 method;
	enum route_path		 kind;
	const char		*path;	/* action, or the exact path */
	void			(*handle)(struct hreq *, struct evkeyvalq *);
};

static void	ep_list(struct hreq *, struct evkeyvalq *);
static void	ep_inspect(struct hreq *, struct evkeyvalq *);
static void	ep_spawn(struct hreq *, struct evkeyvalq *);
static void	ep_stop(struct hreq *, struct evkeyvalq *);
static void	ep_kill(struct hreq *, struct evkeyvalq *);
static void	ep_message(struct hreq *, struct evkeyvalq *);
static void	ep_pause(struct hreq *, struct evkeyvalq *);
static void	ep_resume(struct hreq *, struct evkeyvalq *);
static void	ep_result(struct hreq *, struct evkeyvalq *);
static void	ep_rm(struct hreq *, struct evkeyvalq *);
static void	ep_logs(struct hreq *, struct evkeyvalq *);
static void	ep_events(struct hreq *, struct evkeyvalq *);
static void	ep_metrics(struct hreq *, struct evkeyvalq *);
static void	ep_console(struct hreq *, struct evkeyvalq *);

static const struct route routes[] = {
	{ EVHTTP_REQ_GET, PATH_PODS, NULL, ep_list },
	{ EVHTTP_REQ_POST, PATH_PODS, NULL, ep_spawn },
	{ EVHTTP_REQ_GET, PATH_POD, NULL, ep_inspect },
	{ EVHTTP_REQ_DELETE, PATH_POD, NULL, ep_rm },
	{ EVHTTP_REQ_POST, PATH_POD_ACTION, "stop", ep_stop },
	{ EVHTTP_REQ_POST, PATH_POD_ACTION, "kill", ep_kill },
	{ EVHTTP_REQ_POST, PATH_POD_ACTION, "messages", ep_message },
	{ EVHTTP_REQ_POST, PATH_POD_ACTION, "pause", ep_pause },
	{ EVHTTP_REQ_POST, PATH_POD_ACTION, "resume", ep_resume },
	{ EVHTTP_REQ_GET, PATH_POD_ACTION, "result", ep_result },
	{ EVHTTP_REQ_GET, PATH_POD_ACTION, "logs", ep_logs },
	{ EVHTTP_REQ_GET, PATH_EXACT, "/v1/events", ep_events },
	{ EVHTTP_REQ_GET, PATH_EXACT, "/metrics", ep_metrics },
	{ EVHTTP_REQ_GET, PATH_EXACT, "/", ep_console },
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

/* The request's body as a JSON object (an empty body is {}); NULL after
 * a 400. */
static json_t *
ep_body(struct hreq *h)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(h->req);
	size_t		 len = evbuffer_get_length(in);
	json_error_t	 err;
	json_t		*o;

	if (len == 0)
		return (json_object());
	o = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &err);
	if (o == NULL || !json_is_object(o)) {
		http_send_error(h->req, 400, ERR_USAGE, "the body is not a JSON "
		    "object%s%s", o == NULL ? ": " : "", o == NULL ? err.text :
		    "");
		json_decref(o);
		hreq_free(h);
		return (NULL);
	}
	return (o);
}

/* A field of the wrong type: 400. */
static void
ep_bad_field(struct hreq *h, const char *name, const char *want)
{
	http_send_error(h->req, 400, ERR_USAGE, "field '%s' must be %s", name,
	    want);
	hreq_free(h);
}

/* An optional string field; -1 after a 400. */
static int
ep_str(struct hreq *h, json_t *o, const char *name, char **out)
{
	json_t	*v = json_object_get(o, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v)) {
		ep_bad_field(h, name, "a string");
		return (-1);
	}
	*out = (char *)json_string_value(v);
	return (0);
}

/* An optional duration in ms (a non-negative integer); -1 after a 400. */
static int
ep_ms(struct hreq *h, json_t *o, const char *name, int64_t *out)
{
	json_t	*v = json_object_get(o, name);

	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		ep_bad_field(h, name, "a non-negative integer (milliseconds)");
		return (-1);
	}
	*out = json_integer_value(v);
	return (0);
}

/* ?wait=DUR and the like: a duration query parameter; -1 after a 400,
 * and *ms stays WIRE_NONE when absent. */
static int
ep_query_duration(struct hreq *h, struct evkeyvalq *q, const char *name,
    int64_t *ms)
{
	const char	*v = evhttp_find_header(q, name);
	char		 cause[256];

	*ms = WIRE_NONE;
	if (v == NULL)
		return (0);
	if (parse_duration(v, ms, cause, sizeof cause) == -1) {
		http_send_error(h->req, 400, ERR_USAGE, "?%s: %s", name, cause);
		hreq_free(h);
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

/* Is a query flag set (?all=1, ?follow=true)? */
static bool
ep_flag(struct evkeyvalq *q, const char *name)
{
	const char	*v = evhttp_find_header(q, name);

	return (v != NULL && (strcmp(v, "1") == 0 ||
	    strcmp(v, "true") == 0 || strcmp(v, "yes") == 0));
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

/* jansson's dump callback: append to an evbuffer. */
static int
ep_dump_to_evbuffer(const char *text, size_t len, void *arg)
{
	return (evbuffer_add(arg, text, len));
}

/*
 * The pod trees as one JSON array (what http_send_json would write for
 * it), built and written one top-level tree at a time: one array of
 * them all cost a third more CPU, in making, copying and freeing at once
 * a document of megabytes (~7 MB for 10,000 pods).
 */
static void
ep_list_send(struct hreq *h)
{
	struct evbuffer	*buf = evbuffer_new();
	json_t		*t;
	size_t		 i;
	bool		 first = true;

	evbuffer_add(buf, "[", 1);
	for (i = 0; i < h->tree.n; i++) {
		if (h->tree.up[i] != POD_NONE)
			continue;
		if (!first)
			evbuffer_add(buf, ",", 1);
		first = false;
		t = podtree_json(&h->tree, i);
		json_dump_callback(t, ep_dump_to_evbuffer, buf, JSON_COMPACT);
		json_decref(t);
	}
	evbuffer_add(buf, "]\n", 2);
	evhttp_add_header(evhttp_request_get_output_headers(h->req),
	    "Content-Type", "application/json");
	metrics_http(200);
	evhttp_send_reply(h->req, 200, "OK", buf);
	evbuffer_free(buf);
}

/* GET /v1/pods[?all=1]: the pod trees, as podctl status --json. */
static void
ep_list_reply(struct hreq *h, struct msg *m)
{
	switch (m->type) {
	case MSG_POD:
		podtree_add(&h->tree, &m->u.pod);
		return;
	case MSG_END:
		podtree_link(&h->tree);
		ep_list_send(h);
		break;
	default:
		ep_not_expected(h, m);
		return;
	}
	hreq_free(h);
}

static void
ep_list(struct hreq *h, struct evkeyvalq *q)
{
	struct msg	 m;

	msg_init(&m, MSG_STATUS);
	m.u.status.all = ep_flag(q, "all");
	ep_relay(h, &m, ep_list_reply);
}

/* GET /v1/pods/{pod}: as podctl inspect. */
static void
ep_inspect(struct hreq *h, struct evkeyvalq *q)
{
	ep_then_inspect(h, h->ref);
}

/* argv: a non-empty array of strings; env: {"K": "V"} or ["K=V"]. */
static int
ep_spawn_argv(struct hreq *h, json_t *o, struct msg_spawn *s, char ***argv,
    char ***env)
{
	json_t		*v = json_object_get(o, "argv"), *e, *x;
	const char	*k;
	size_t		 i;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > WIRE_ARGV_MAX)
		return (ep_bad_field(h, "argv", "a non-empty array of strings"),
		    -1);
	*argv = xcalloc(json_array_size(v) + 1, sizeof **argv);
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return (ep_bad_field(h, "argv", "an array of strings"),
			    -1);
		(*argv)[i] = xstrdup(json_string_value(x));
	}
	s->argv = *argv;
	if ((e = json_object_get(o, "env")) == NULL || json_is_null(e))
		return (0);
	if (!json_is_object(e) || json_object_size(e) > WIRE_ARGV_MAX)
		return (ep_bad_field(h, "env", "an object of strings"), -1);
	*env = xcalloc(json_object_size(e) + 1, sizeof **env);
	i = 0;
	json_object_foreach(e, k, x) {
		if (!json_is_string(x))
			return (ep_bad_field(h, "env", "an object of strings"),
			    -1);
		xasprintf(&(*env)[i++], "%s=%s", k, json_string_value(x));
	}
	s->env = *env;
	return (0);
}

/* The spawn options of a JSON body, by the JSON names of podctl. */
static int
ep_spawn_options(struct hreq *h, json_t *o, struct msg_spawn *s)
{
	json_t		*sig = json_object_get(o, "stop_signal"), *par;
	char		 cause[256], pbuf[32];
	int		 n;

	if (ep_str(h, o, "name", &s->name) == -1 ||
	    ep_str(h, o, "cwd", &s->cwd) == -1 ||
	    ep_str(h, o, "on_parent_exit", &s->on_parent_exit) == -1 ||
	    ep_ms(h, o, "cancel_grace_ms", &s->spec.cancel_grace_ms) == -1 ||
	    ep_ms(h, o, "term_grace_ms", &s->spec.term_grace_ms) == -1 ||
	    ep_ms(h, o, "timeout_ms", &s->spec.timeout_ms) == -1 ||
	    ep_ms(h, o, "heartbeat_ms", &s->spec.heartbeat_ms) == -1 ||
	    ep_ms(h, o, "max_extend_ms", &s->spec.max_extend_ms) == -1)
		return (-1);
	if ((par = json_object_get(o, "parent")) != NULL &&
	    json_is_integer(par)) {
		snprintf(pbuf, sizeof pbuf, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(par));
		s->parent = xstrdup(pbuf);
	} else if (par != NULL && json_is_string(par))
		s->parent = xstrdup(json_string_value(par));
	else if (par != NULL && !json_is_null(par))
		return (ep_bad_field(h, "parent", "a pod id or name"), -1);
	if (sig == NULL || json_is_null(sig))
		return (0);
	if (json_is_integer(sig))
		s->spec.stop_signal = json_integer_value(sig);
	else if (json_is_string(sig) && parse_signal(json_string_value(sig),
	    &n, cause, sizeof cause) == 0)
		s->spec.stop_signal = n;
	else
		return (ep_bad_field(h, "stop_signal", "a signal name or "
		    "number"), -1);
	return (0);
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
ep_spawn(struct hreq *h, struct evkeyvalq *q)
{
	struct msg	 m;
	json_t		*o;
	char		**argv = NULL, **env = NULL, *parent;

	if ((o = ep_body(h)) == NULL)
		return;
	msg_init(&m, MSG_SPAWN);
	if (ep_spawn_argv(h, o, &m.u.spawn, &argv, &env) == 0 &&
	    ep_spawn_options(h, o, &m.u.spawn) == 0) {
		if (m.u.spawn.cwd == NULL)
			m.u.spawn.cwd = "/";
		ep_relay(h, &m, ep_spawned);
	}
	parent = m.u.spawn.parent;
	free(parent);
	if (argv != NULL)
		strv_free(argv);
	if (env != NULL)
		strv_free(env);
	json_decref(o);
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
ep_stop(struct hreq *h, struct evkeyvalq *q)
{
	struct msg	 m;
	json_t		*o;
	char		*reason = NULL;

	if (ep_query_duration(h, q, "wait", &h->stop_wait) == -1 ||
	    (o = ep_body(h)) == NULL)
		return;
	h->stop_cancel_ms = h->stop_term_ms = WIRE_NONE;
	if (ep_str(h, o, "reason", &reason) == -1 ||
	    ep_ms(h, o, "cancel_grace_ms", &h->stop_cancel_ms) == -1 ||
	    ep_ms(h, o, "term_grace_ms", &h->stop_term_ms) == -1) {
		json_decref(o);
		return;
	}
	h->stop_reason = reason != NULL ? xstrdup(reason) : NULL;
	json_decref(o);
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
ep_kill(struct hreq *h, struct evkeyvalq *q)
{
	struct msg	 m;
	json_t		*o, *sig;
	char		 cause[256];
	int		 n = SIGTERM;

	if ((o = ep_body(h)) == NULL)
		return;
	sig = json_object_get(o, "signal");
	if (sig != NULL && json_is_integer(sig))
		n = (int)json_integer_value(sig);
	else if (sig != NULL && (!json_is_string(sig) || parse_signal(
	    json_string_value(sig), &n, cause, sizeof cause) == -1)) {
		json_decref(o);
		ep_bad_field(h, "signal", "a signal name or number");
		return;
	}
	msg_init(&m, MSG_KILL);
	m.u.kill.pod = h->ref;
	m.u.kill.signal = n > 0 ? (uint64_t)n : 0;
	ep_relay(h, &m, ep_no_content);
	json_decref(o);
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
ep_message(struct hreq *h, struct evkeyvalq *q)
{
	struct msg	 m;
	json_t		*o, *pre;
	char		*data;

	if ((o = ep_body(h)) == NULL)
		return;
	msg_init(&m, MSG_SEND);
	m.u.send.pod = h->ref;
	pre = json_object_get(o, "preempt");
	if (ep_str(h, o, "data", &data) == -1 ||
	    ep_str(h, o, "priority", &m.u.send.priority) == -1 ||
	    ep_str(h, o, "key", &m.u.send.key) == -1)
		goto out;
	if (data == NULL) {
		ep_bad_field(h, "data", "a string");
		goto out;
	}
	if (pre != NULL && !json_is_boolean(pre)) {
		ep_bad_field(h, "preempt", "a boolean");
		goto out;
	}
	m.u.send.preempt = pre != NULL && json_is_true(pre);
	m.u.send.data.ptr = (const uint8_t *)data;
	m.u.send.data.len = strlen(data);
	ep_relay(h, &m, ep_sent);
out:
	json_decref(o);
}

/* POST /v1/pods/{pod}/pause: 202 with the pod (the pause under way). */
static void
ep_pause(struct hreq *h, struct evkeyvalq *q)
{
	struct msg	 m;
	char		*pods[2] = { h->ref, NULL };

	msg_init(&m, MSG_PAUSE);
	m.u.pause.pods = pods;
	h->status = 202;
	ep_relay(h, &m, ep_done_then_pod);
}

/* POST /v1/pods/{pod}/resume: 202 with the pod. */
static void
ep_resume(struct hreq *h, struct evkeyvalq *q)
{
	struct msg	 m;
	char		*pods[2] = { h->ref, NULL };

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
ep_result(struct hreq *h, struct evkeyvalq *q)
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
ep_rm(struct hreq *h, struct evkeyvalq *q)
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
ep_logs(struct hreq *h, struct evkeyvalq *q)
{
	sse_logs(h, q);
}

/* GET /v1/events: every pod change, as server-sent events. */
static void
ep_events(struct hreq *h, struct evkeyvalq *q)
{
	sse_events(h);
}

/* GET /metrics: Prometheus text format 0.0.4. */
static void
ep_metrics(struct hreq *h, struct evkeyvalq *q)
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
ep_console(struct hreq *h, struct evkeyvalq *q)
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

/* Split /v1/pods/{pod}[/{action}]; the pod is looked up by the control
 * channel, as an id or a name. */
static enum route_path
ep_split(const char *path, char **ref, const char **action)
{
	const char	*p, *slash;

	*ref = NULL;
	*action = NULL;
	if (strcmp(path, "/v1/pods") == 0 || strcmp(path, "/v1/pods/") == 0)
		return (PATH_PODS);
	if (strncmp(path, "/v1/pods/", 9) != 0)
		return (PATH_EXACT);
	p = path + 9;
	if ((slash = strchr(p, '/')) == NULL) {
		*ref = xstrdup(p);
		return (PATH_POD);
	}
	*ref = xmalloc((size_t)(slash - p) + 1);
	memcpy(*ref, p, (size_t)(slash - p));
	(*ref)[slash - p] = '\0';
	*action = slash + 1;
	return (strchr(*action, '/') == NULL ? PATH_POD_ACTION : PATH_EXACT);
}

/* Does a route take this path? */
static bool
ep_route_matches(const struct route *r, enum route_path kind,
    const char *path, const char *action)
{
	if (r->kind != kind)
		return (false);
	if (kind == PATH_EXACT)
		return (strcmp(r->path, path) == 0);
	if (kind == PATH_POD_ACTION)
		return (strcmp(r->path, action) == 0);
	return (true);
}

/* Find the route of a request and hand it over; 404 or 405 else. */
void
http_route(struct evhttp_request *req, const char *path, struct evkeyvalq *q,
    hreq_new_fn new_hreq, uid_t uid, gid_t gid, pid_t pid)
{
	enum evhttp_cmd_type	 method = evhttp_request_get_command(req);
	enum route_path		 kind;
	const char		*action;
	char			*ref;
	bool			 path_known = false;
	struct hreq		*h;
	size_t			 i;

	if (method == EVHTTP_REQ_HEAD)
		method = EVHTTP_REQ_GET;
	kind = ep_split(path, &ref, &action);
	if (ref != NULL && (ref[0] == '\0' || strlen(ref) > 64)) {
		http_send_error(req, 404, ERR_NOTFOUND, "no such pod");
		free(ref);
		return;
	}
	for (i = 0; i < NROUTES; i++) {
		if (!ep_route_matches(&routes[i], kind, path, action))
			continue;
		path_known = true;
		if (routes[i].method != method)
			continue;
		h = new_hreq(req, uid, gid, pid);
		h->ref = ref;
		routes[i].handle(h, q);
		return;
	}
	free(ref);
	if (path_known)
		http_send_error(req, 405, "method", "%s is not allowed here",
		    method == EVHTTP_REQ_POST ? "POST" : method ==
		    EVHTTP_REQ_DELETE ? "DELETE" : "this method");
	else
		http_send_error(req, 404, ERR_NOTFOUND, "no such path: %s", path);
}
