/*
 * The HTTP layer's own header: a request relayed to the control channel
 * (http.c), the endpoints (http_api.c), server-sent event streams
 * (http_sse.c), and the metrics page (metrics.c).
 */
#ifndef PODVISOR_HTTP_H
#define PODVISOR_HTTP_H

#include <sys/queue.h>

#include <jansson.h>

#include "json.h"

/* A connection is closed when it is idle this long, and when a request
 * has not arrived whole this long after the connection's start or the
 * previous answer on it (http_conn.c): a slow-loris client is cut off. */
#define HTTP_TIMEOUT_SECS	30

struct bufferevent;
struct event_base;
struct evhttp_request;
struct evhttp_connection;
struct hquery;
struct hreq;
struct http_conn;

/* A control reply for a request; the handler answers it, or sends the
 * next control request. */
typedef void	(*hreq_cb)(struct hreq *, struct msg *);

/* One HTTP request being answered. */
/* GET /v1/pods: the reply, written as the records come. */
struct hlist {
	struct evbuffer		*buf;
	struct jw		 w;
	struct podstream	 stream;
};

struct hreq {
	struct evhttp_request	*req;
	struct evhttp_connection *conn;	/* NULL once it closed */
	struct http_conn	*hc;	/* the connection's state, or NULL */
	struct client		*client;	/* its control requests */
	struct peer		*peer;	/* a log stream's control connection */
	hreq_cb			 on_msg;
	int			 in_reply;	/* inside on_msg calls */
	bool			 done;	/* freed once out of them */
	uid_t			 uid;	/* the caller */
	gid_t			 gid;
	pid_t			 pid;
	char			*ref;	/* the {pod} of the path */
	int			 status;	/* to answer with */
	json_t			*acc;	/* records gathered */
	struct hlist		*list;	/* GET /v1/pods */
	struct event		*timer;	/* ?wait=DUR */
	int64_t			 stop_wait;	/* the stop asked for */
	int64_t			 stop_cancel_ms;
	int64_t			 stop_term_ms;
	char			*stop_reason;
	bool			 sse;	/* a server-sent event stream */
	bool			 sse_end;	/* logs: the end came */
	uint64_t		 last_id;	/* Last-Event-ID */
	TAILQ_ENTRY(hreq)	 sse_entry;
};

typedef struct hreq	*(*hreq_new_fn)(struct evhttp_request *, uid_t, gid_t,
			    pid_t);

/* http.c */
void		 http_send_json(struct evhttp_request *, int, json_t *);
int		 http_evbuffer_sink(void *, const void *, size_t);
void		 http_send_error(struct evhttp_request *, int, const char *,
		     const char *, ...) __attribute__((format(printf, 4, 5)));
int		 hreq_send(struct hreq *, const struct msg *, hreq_cb);
void		 hreq_disconnect(struct hreq *);
void		 hreq_closed(struct hreq *);
void		 hreq_fail(struct hreq *, const struct msg_error *);
void		 hreq_free(struct hreq *);

/* http_conn.c */
struct bufferevent *http_conn_bev(struct event_base *, void *);
void		 http_conn_request(struct evhttp_request *);
void		 http_conn_attach(struct hreq *);
void		 http_conn_detach(struct hreq *);

/* http_api.c */
void		 http_route(struct evhttp_request *, const char *,
		     struct hquery *, hreq_new_fn, uid_t, gid_t, pid_t);

/* http_sse.c */
void		 sse_start(void);
void		 sse_stop(void);
void		 sse_logs(struct hreq *, struct hquery *);
void		 sse_events(struct hreq *);
void		 sse_closed(struct hreq *);

/* console.c (generated from console/console.html) */
extern const char	 console_html[];

#endif
