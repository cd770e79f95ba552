/*
 * The HTTP API (libevent's evhttp), a thin adapter over the control
 * socket: each request is parsed and authorised here, turned into the
 * control message podctl would send, and handed to the control socket's
 * own dispatch as an in-process client with the HTTP caller's identity
 * (control_open), so spawn, stop, permissions and every other rule have
 * one implementation; a log stream alone goes over an internal
 * socketpair (control_attach), whose queue paces a slow reader.  The
 * replies are rendered with libwirejson, the same objects podctl --json
 * prints.
 *
 * On a Unix socket the caller is known from its peer credentials; on TCP
 * a request needs the daemon's token and acts with the daemon owner's
 * rights.  Streams (logs, events) are server-sent events: http_sse.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "supervisor.h"
#include "json.h"
#include "http.h"
#include "http_parse.h"

#define HTTP_BODY_MAX		(1024 * 1024)
#define HTTP_HEADERS_MAX	(16 * 1024)
#define HTTP_CONNS_MAX		512
#define HTTP_TOKEN_BYTES	32

/* One --http listener. */
struct http_server {
	struct evhttp		*http;
	bool			 unix_socket;	/* else TCP: token needed */
	char			 path[PATH_MAX];
	int			 fd;		/* the listener, for a re-exec */
	TAILQ_ENTRY(http_server) entry;
};
static TAILQ_HEAD(, http_server) servers = TAILQ_HEAD_INITIALIZER(servers);

static char	 http_token[2 * HTTP_TOKEN_BYTES + 1];
static unsigned	 http_conns;

static void	http_request_cb(struct evhttp_request *, void *);
static void	hreq_peer_cb(struct peer *, struct msg *, void *);

/*
 * Replies.
 */

/* The HTTP status for a control error code. */
static int
http_status_for(const char *code)
{
	if (strcmp(code, ERR_NOTFOUND) == 0)
		return (404);
	if (strcmp(code, ERR_DENIED) == 0)
		return (403);
	if (strcmp(code, ERR_USAGE) == 0)
		return (400);
	if (strcmp(code, ERR_LIMIT) == 0)
		return (429);
	if (strcmp(code, ERR_PROTOCOL) == 0)
		return (500);
	return (409);
}

/* The reason phrase of a status. */
static const char *
http_phrase(int status)
{
	switch (status) {
	case 200: return ("OK");
	case 201: return ("Created");
	case 202: return ("Accepted");
	case 204: return ("No Content");
	case 400: return ("Bad Request");
	case 401: return ("Unauthorized");
	case 403: return ("Forbidden");
	case 404: return ("Not Found");
	case 405: return ("Method Not Allowed");
	case 409: return ("Conflict");
	case 413: return ("Payload Too Large");
	case 429: return ("Too Many Requests");
	case 503: return ("Service Unavailable");
	default: return ("Error");
	}
}

/* A JSON writer's sink: append to an evbuffer. */
int
http_evbuffer_sink(void *arg, const void *p, size_t len)
{
	return (evbuffer_add(arg, p, len));
}

/* Send a JSON document (taken over) with a status. */
void
http_send_json(struct evhttp_request *req, int status, json_t *doc)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*text;

	text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY) :
	    NULL;
	json_decref(doc);
	if (text != NULL) {
		evbuffer_add(buf, text, strlen(text));
		evbuffer_add(buf, "\n", 1);
		free(text);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	metrics_http(status);
	evhttp_send_reply(req, status, http_phrase(status),
	    status == 204 ? NULL : buf);
	evbuffer_free(buf);
}

/* Send {"error": {"code": ..., "message": ...}}. */
void
http_send_error(struct evhttp_request *req, int status, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 text[1024];

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	http_send_json(req, status, json_pack("{s{ss,ss}}", "error", "code",
	    code, "message", text));
}

/*
 * Requests to the control channel.
 */

/* Open the internal control connection of a log stream, as its caller. */
static int
hreq_connect(struct hreq *h)
{
	int	 sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sp) == -1) {
		http_send_error(h->req, 503, ERR_FAILED, "cannot relay the "
		    "request: %s", strerror(errno));
		return (-1);
	}
	control_attach(sp[0], h->uid, h->gid, h->pid);
	h->peer = peer_new(sv.base, sp[1], hreq_peer_cb, h, "http relay");
	return (0);
}

/* A reply to the request's in-process client, as it is built.  The
 * request may end inside on_msg (or start its next control request from
 * there): it is freed only once out of every on_msg call. */
static void
hreq_sink(void *arg, struct msg *m)
{
	struct hreq	*h = arg;

	if (h->on_msg == NULL || h->done)
		return;
	h->in_reply++;
	h->on_msg(h, m);
	if (--h->in_reply == 0 && h->done)
		hreq_free(h);
}

/* Send one control request; its replies go to on_msg.  Requests go
 * straight to the control dispatch as the caller; a log stream goes over
 * an internal socket, whose output queue paces the reader. */
int
hreq_send(struct hreq *h, const struct msg *m, hreq_cb on_msg)
{
	if (m->type == MSG_LOGS) {
		if (h->peer == NULL && hreq_connect(h) == -1)
			return (-1);
		h->on_msg = on_msg;
		if (peer_send(h->peer, m) == -1) {
			http_send_error(h->req, 503, ERR_FAILED, "cannot relay "
			    "the request");
			return (-1);
		}
		return (0);
	}
	if (h->client == NULL)
		h->client = control_open(h->uid, h->gid, h->pid, hreq_sink, h);
	h->on_msg = on_msg;
	control_request(h->client, (struct msg *)m);
	return (0);
}

/* Drop the control connection (a waiting request goes with it). */
void
hreq_disconnect(struct hreq *h)
{
	if (h->client != NULL)
		control_release(h->client);
	h->client = NULL;
	if (h->peer != NULL)
		peer_free(h->peer);
	h->peer = NULL;
}

/* Free a request's state: it has been answered, or its client left.
 * Inside a reply's on_msg it is only marked, and freed on the way out. */
void
hreq_free(struct hreq *h)
{
	if (h->in_reply > 0) {
		h->done = true;
		hreq_disconnect(h);
		return;
	}
	hreq_disconnect(h);
	if (h->timer != NULL)
		event_free(h->timer);
	http_conn_detach(h);
	json_decref(h->acc);
	if (h->list != NULL) {
		podstream_end(&h->list->stream);
		evbuffer_free(h->list->buf);
		free(h->list);
	}
	free(h->ref);
	free(h->stop_reason);
	free(h);
	http_conns--;
}

/* Answer a control error reply; the request is over. */
void
hreq_fail(struct hreq *h, const struct msg_error *e)
{
	http_send_error(h->req, http_status_for(e->code), e->code, "%s",
	    e->message);
	hreq_free(h);
}

/* A reply on the internal connection; NULL when it is gone. */
static void
hreq_peer_cb(struct peer *peer, struct msg *m, void *arg)
{
	struct hreq	*h = arg;

	if (m == NULL) {
		h->peer = NULL;
		if (h->on_msg != NULL) {
			http_send_error(h->req, 500, ERR_FAILED, "the request "
			    "was cut off");
			hreq_free(h);
		}
		return;
	}
	if (h->on_msg == NULL)
		return;
	h->on_msg(h, m);
}

/* The HTTP client went away: drop what its request holds.  libevent
 * detaches a request still being answered from a connection that fails,
 * and leaves it to us to free; one still attached goes with the
 * connection. */
void
hreq_closed(struct hreq *h)
{
	h->conn = NULL;
	if (evhttp_request_get_connection(h->req) == NULL)
		evhttp_request_free(h->req);
	if (h->sse)
		sse_closed(h);
	else
		hreq_free(h);
}

/* A fresh request state, freed when the request is answered or its
 * connection closes. */
static struct hreq *
hreq_new(struct evhttp_request *req, uid_t uid, gid_t gid, pid_t pid)
{
	struct hreq	*h = xcalloc(1, sizeof *h);

	h->req = req;
	h->uid = uid;
	h->gid = gid;
	h->pid = pid;
	h->conn = evhttp_request_get_connection(req);
	http_conn_attach(h);
	http_conns++;
	return (h);
}

/*
 * Who is asking.
 */

/* Does the request carry the token (header, or ?token= for browsers)? */
static bool
http_token_ok(struct evhttp_request *req, struct hquery *query)
{
	const char	*auth, *given = NULL;
	size_t		 i, n = strlen(http_token);
	unsigned	 diff = 0;

	auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0)
		given = auth + 7;
	else
		given = hq_get(query, "token");
	if (given == NULL || strlen(given) != n)
		return (false);
	for (i = 0; i < n; i++)		/* in constant time */
		diff |= (unsigned char)given[i] ^ (unsigned char)http_token[i];
	return (diff == 0);
}

/* The caller's identity: peer credentials on a Unix socket, the daemon
 * owner's with the token on TCP.  -1 after a 401. */
static int
http_identify(struct http_server *srv, struct evhttp_request *req,
    struct hquery *query, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct ucred		 uc;
	socklen_t		 len = sizeof uc;
	int			 fd;

	*uid = sv.uid;
	*gid = getegid();
	*pid = -1;
	if (!srv->unix_socket) {
		if (http_token_ok(req, query))
			return (0);
		http_send_error(req, 401, "unauthorized", "this request needs "
		    "the daemon's token (Authorization: Bearer TOKEN, or "
		    "?token=TOKEN)");
		return (-1);
	}
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(conn));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		http_send_error(req, 401, "unauthorized", "cannot tell who is "
		    "asking");
		return (-1);
	}
	*uid = uc.uid;
	*gid = uc.gid;
	*pid = uc.pid;
	return (0);
}

/*
 * The request callback: limits, identity, routing.
 */

/* Refuse more than HTTP_CONNS_MAX requests in flight (streams count)
 * with a log line, at most once a minute.  False after a 503. */
static bool
http_admit(struct evhttp_request *req)
{
	static int64_t	 logged;

	if (http_conns < HTTP_CONNS_MAX)
		return (true);
	if (mono_ms() - logged > 60000) {
		log_warnx("http: %u requests in flight, the most allowed: "
		    "refusing more", http_conns);
		logged = mono_ms();
	}
	http_send_error(req, 503, ERR_LIMIT, "too many connections");
	return (false);
}

/* Every request: decode the URI, identify the caller, route. */
static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http_server	*srv = arg;
	struct hquery		 query = { 0 };
	const struct evhttp_uri	*uri;
	const char		*path;
	char			*decoded = NULL, cause[256];
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;

	http_conn_request(req);
	if (!http_admit(req))
		return;
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL)
		snprintf(cause, sizeof cause, "a malformed URI");
	if (path == NULL || hq_parse(evhttp_uri_get_query(uri), &query, cause,
	    sizeof cause) == -1 || hp_path_decode(path, &decoded, cause,
	    sizeof cause) == -1)
		http_send_error(req, 400, ERR_USAGE, "%s", cause);
	else if (http_identify(srv, req, &query, &uid, &gid, &pid) == 0)
		http_route(req, decoded, &query, hreq_new, uid, gid, pid);
	free(decoded);
	hq_free(&query);
}

/*
 * Listening.
 */

/* The token: --http-token-file, else the state directory's http.token
 * (kept across restarts; made 0600 when missing). */
static int
http_load_token(char *cause, size_t len)
{
	char	 path[PATH_MAX], buf[256];
	uint8_t	 raw[HTTP_TOKEN_BYTES];
	ssize_t	 n;
	size_t	 i;
	int	 fd;

	if (sv.http_token_file != NULL)
		snprintf(path, sizeof path, "%s", sv.http_token_file);
	else
		snprintf(path, sizeof path, "%s/http.token", sv.state_dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, " \t\r\n")] = '\0';
		if (strlen(buf) >= 16 && strlen(buf) < sizeof http_token) {
			snprintf(http_token, sizeof http_token, "%s", buf);
			return (0);
		}
		if (sv.http_token_file != NULL)
			return (snprintf(cause, len, "--http-token-file %s: "
			    "a token is 16 to 64 characters", path), -1);
	} else if (sv.http_token_file != NULL)
		return (snprintf(cause, len, "--http-token-file: cannot read "
		    "%s: %s", path, strerror(errno)), -1);
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1 ||
	    read(fd, raw, sizeof raw) != (ssize_t)sizeof raw)
		return (snprintf(cause, len, "cannot make a token: %s",
		    strerror(errno)), -1);
	close(fd);
	for (i = 0; i < sizeof raw; i++)
		snprintf(http_token + 2 * i, 3, "%02x", raw[i]);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write(fd, http_token, strlen(http_token)) == -1) {
		if (fd != -1)
			close(fd);
		return (snprintf(cause, len, "cannot write %s: %s", path,
		    strerror(errno)), -1);
	}
	close(fd);
	return (0);
}

/* A new evhttp with the limits every server gets. */
static struct evhttp *
http_new_evhttp(struct http_server *srv)
{
	struct evhttp	*http;

	if ((http = evhttp_new(sv.base)) == NULL)
		fatalx("cannot make an HTTP server");
	evhttp_set_max_body_size(http, HTTP_BODY_MAX);
	evhttp_set_max_headers_size(http, HTTP_HEADERS_MAX);
	evhttp_set_timeout(http, HTTP_TIMEOUT_SECS);
	/* Every method reaches the router, which answers 405 with a JSON
	 * body and Allow (evhttp's own refusal is a 501 page). */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_bevcb(http, http_conn_bev, srv);
	evhttp_set_gencb(http, http_request_cb, srv);
	return (http);
}

/* Listen on unix:PATH: 0600 for a user's daemon, 0660 with the socket
 * group for root's, like the control socket. */
static int
http_listen_unix(struct http_server *srv, const char *path, char *cause,
    size_t len)
{
	struct sockaddr_un	 sun;
	struct evconnlistener	*l;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return (snprintf(cause, len, "--http unix:%s: the path is too "
		    "long", path), -1);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	snprintf(srv->path, sizeof srv->path, "%s", path);
	(void)unlink(path);
	l = evconnlistener_new_bind(sv.base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, 128, (struct sockaddr *)&sun, sizeof sun);
	if (l == NULL)
		return (snprintf(cause, len, "--http unix:%s: cannot listen: "
		    "%s", path, strerror(errno)), -1);
	if ((sv.socket_group_set && (chown(path, (uid_t)-1, sv.socket_gid) ==
	    -1 || chmod(path, 0660) == -1)) ||
	    (!sv.socket_group_set && chmod(path, 0600) == -1)) {
		evconnlistener_free(l);
		return (snprintf(cause, len, "--http unix:%s: %s", path,
		    strerror(errno)), -1);
	}
	srv->unix_socket = true;
	srv->fd = evconnlistener_get_fd(l);
	evhttp_bind_listener(srv->http, l);
	log_info("http: serving on unix:%s", path);
	return (0);
}

/* Is the address a loopback one? */
static bool
http_loopback(const char *host)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (strcmp(host, "localhost") == 0)
		return (true);
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ((ntohl(a4.s_addr) >> 24) == 127);
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return (IN6_IS_ADDR_LOOPBACK(&a6));
	return (false);
}

/* Listen on HOST:PORT (loopback unless --http-allow-remote). */
static int
http_listen_tcp(struct http_server *srv, const char *addr, char *cause,
    size_t len)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	char			 host[256], where[300], *colon;
	const char		*h;
	long			 port;
	char			*end;

	snprintf(host, sizeof host, "%s", addr);
	if ((colon = strrchr(host, ':')) == NULL)
		return (snprintf(cause, len, "--http %s: use unix:PATH or "
		    "HOST:PORT", addr), -1);
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535 || colon[1] == '\0')
		return (snprintf(cause, len, "--http %s: a bad port", addr),
		    -1);
	h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		h = host + 1;
	}
	if (!http_loopback(h) && !sv.http_allow_remote)
		return (snprintf(cause, len, "--http %s: not a loopback "
		    "address; pass --http-allow-remote to serve others", addr),
		    -1);
	if ((bs = evhttp_bind_socket_with_handle(srv->http, h,
	    (uint16_t)port)) == NULL)
		return (snprintf(cause, len, "--http %s: cannot listen: %s",
		    addr, strerror(errno)), -1);
	srv->fd = evhttp_bound_socket_get_fd(bs);
	/* The port bound (port 0 asks for any). */
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &sslen) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	/* The address as a URL writes it: an IPv6 one in brackets. */
	snprintf(where, sizeof where, "%s%s%s:%ld", strchr(h, ':') ? "[" : "",
	    h, strchr(h, ':') ? "]" : "", port);
	log_info("http: serving on %s; the console is http://%s/?token=%s",
	    where, where, http_token);
	return (0);
}

/* Serve on the listener the previous program handed over for the i-th
 * --http (reexec.c). */
static int
http_adopt(struct http_server *srv, size_t i, char *cause, size_t len)
{
	srv->fd = reexec_http_fd(i);
	if (strncmp(sv.http[i], "unix:", 5) == 0) {
		srv->unix_socket = true;
		snprintf(srv->path, sizeof srv->path, "%s", sv.http[i] + 5);
	}
	if (evhttp_accept_socket_with_handle(srv->http, srv->fd) == NULL)
		return (snprintf(cause, len, "--http %s: cannot serve on the "
		    "listener handed over: %s", sv.http[i], strerror(errno)),
		    -1);
	return (0);
}

/* The i-th --http listener's descriptor, or -1. */
int
http_listener_fd(size_t i)
{
	struct http_server	*srv;

	TAILQ_FOREACH(srv, &servers, entry) {
		if (i-- == 0)
			return (srv->fd);
	}
	return (-1);
}

/* Start every --http server; -1 with a reason. */
int
http_start(char *cause, size_t len)
{
	struct http_server	*srv;
	size_t			 i;
	int			 rc;

	if (sv.nhttp == 0)
		return (0);
	if (http_load_token(cause, len) == -1)
		return (-1);
	for (i = 0; i < sv.nhttp; i++) {
		srv = xcalloc(1, sizeof *srv);
		srv->http = http_new_evhttp(srv);
		TAILQ_INSERT_TAIL(&servers, srv, entry);
		if (reexec_http_fd(i) != -1)
			rc = http_adopt(srv, i, cause, len);
		else if (strncmp(sv.http[i], "unix:", 5) == 0)
			rc = http_listen_unix(srv, sv.http[i] + 5, cause, len);
		else
			rc = http_listen_tcp(srv, sv.http[i], cause, len);
		if (rc == -1)
			return (-1);
	}
	sse_start();
	return (0);
}

/* At exit: close every server and what it holds. */
void
http_stop(void)
{
	struct http_server	*srv;

	sse_stop();
	while ((srv = TAILQ_FIRST(&servers)) != NULL) {
		TAILQ_REMOVE(&servers, srv, entry);
		evhttp_free(srv->http);
		if (srv->unix_socket)
			(void)unlink(srv->path);
		free(srv);
	}
}
