/*
 * HTTP connections: the deadline a request must meet, and who hears that
 * a connection closed.
 *
 * evhttp's own timeout (evhttp_set_timeout) is one of inactivity: a
 * slow-loris client that sends a header byte every few seconds renews it
 * for ever.  So every connection also gets a deadline: a request must
 * arrive whole (headers and body) within HTTP_TIMEOUT_SECS of the
 * connection's start, or of the answer to the previous request on it;
 * past that the connection is closed.  While a request is being answered
 * (a stream, a stop ?wait) there is no deadline.
 *
 * evhttp 2.1 has no hook for a new connection but the bufferevent it asks
 * for (evhttp_set_bevcb), and has one close callback per connection: this
 * file owns it, and passes the close on to the request being answered.
 */
#include <stdlib.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "supervisor.h"
#include "http.h"

/* One connection. */
struct http_conn {
	struct evhttp_connection *evcon;	/* NULL until bound */
	struct bufferevent	*bev;		/* until bound: ours, held */
	struct event		*deadline;
	struct hreq		*h;		/* the request being answered */
	TAILQ_ENTRY(http_conn)	 entry;
};
static TAILQ_HEAD(, http_conn) conns = TAILQ_HEAD_INITIALIZER(conns);

static void	http_conn_deadline_cb(int, short, void *);
static void	http_conn_closed_cb(struct evhttp_connection *, void *);

/* Forget a connection's state (not the connection). */
static void
http_conn_free(struct http_conn *c)
{
	if (c->evcon != NULL) {
		TAILQ_REMOVE(&conns, c, entry);
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
	}
	event_free(c->deadline);
	free(c);
}

/* Take over a connection's close callback; the deadline is left to the
 * caller to arm. */
static struct http_conn *
http_conn_new(struct evhttp_connection *evcon)
{
	struct http_conn	*c = xcalloc(1, sizeof *c);

	c->deadline = evtimer_new(sv.base, http_conn_deadline_cb, c);
	c->evcon = evcon;
	evhttp_connection_set_closecb(evcon, http_conn_closed_cb, c);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	return (c);
}

/* The state of a connection, made if it has none. */
static struct http_conn *
http_conn_find(struct evhttp_connection *evcon)
{
	struct http_conn	*c;

	TAILQ_FOREACH(c, &conns, entry) {
		if (c->evcon == evcon)
			return (c);
	}
	return (http_conn_new(evcon));
}

/* Just after accept: learn the connection that evhttp built around our
 * bufferevent.  Its callback argument is the evhttp_connection (evhttp
 * 2.1 gives no other way to it); callbacks already cleared mean evhttp
 * has let it go. */
static void
http_conn_bind(struct http_conn *c)
{
	bufferevent_data_cb	 readcb;
	struct bufferevent	*bev = c->bev;
	void			*evcon;

	bufferevent_getcb(bev, &readcb, NULL, NULL, &evcon);
	if (readcb == NULL || evcon == NULL) {
		event_free(c->deadline);
		free(c);
	} else {
		c->bev = NULL;
		c->evcon = evcon;
		evhttp_connection_set_closecb(c->evcon, http_conn_closed_cb, c);
		TAILQ_INSERT_TAIL(&conns, c, entry);
		timer_arm(c->deadline, HTTP_TIMEOUT_SECS * 1000);
	}
	bufferevent_decref(bev);
}

/* The deadline passed with no whole request: close the connection. */
static void
http_conn_deadline_cb(int fd, short events, void *arg)
{
	struct http_conn		*c = arg;
	struct evhttp_connection	*evcon = c->evcon;

	if (evcon == NULL) {
		http_conn_bind(c);	/* the first run, at once */
		return;
	}
	if (c->h != NULL)
		return;
	log_debug("http: no whole request within %d s: closing the "
	    "connection", HTTP_TIMEOUT_SECS);
	http_conn_free(c);
	evhttp_connection_free(evcon);
}

/* evhttp_set_bevcb: every accepted connection's bufferevent, ours so
 * that the deadline starts now.  We hold a reference until bound. */
struct bufferevent *
http_conn_bev(struct event_base *base, void *arg)
{
	struct http_conn	*c;
	struct bufferevent	*bev;

	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return (NULL);	/* evhttp makes its own, with no deadline */
	c = xcalloc(1, sizeof *c);
	c->bev = bev;
	bufferevent_incref(bev);
	c->deadline = evtimer_new(base, http_conn_deadline_cb, c);
	/* Run before any read on the new socket can be. */
	event_active(c->deadline, EV_TIMEOUT, 1);
	return (bev);
}

/* The connection closed: tell the request being answered, if any. */
static void
http_conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn	*c = arg;
	struct hreq		*h = c->h;

	http_conn_free(c);
	if (h != NULL) {
		h->hc = NULL;
		hreq_closed(h);
	}
}

/* The request has been answered: the next one has a deadline again. */
static void
http_conn_answered_cb(struct evhttp_request *req, void *arg)
{
	struct http_conn	*c = arg;

	timer_arm(c->deadline, HTTP_TIMEOUT_SECS * 1000);
}

/* A whole request arrived: no deadline until it is answered. */
void
http_conn_request(struct evhttp_request *req)
{
	struct http_conn	*c;

	c = http_conn_find(evhttp_request_get_connection(req));
	evtimer_del(c->deadline);
	evhttp_request_set_on_complete_cb(req, http_conn_answered_cb, c);
}

/* The request state that hears of the connection's close. */
void
http_conn_attach(struct hreq *h)
{
	h->hc = http_conn_find(h->conn);
	h->hc->h = h;
}

/* ... and no longer. */
void
http_conn_detach(struct hreq *h)
{
	if (h->hc != NULL)
		h->hc->h = NULL;
	h->hc = NULL;
}
