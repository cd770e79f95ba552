/*
 * The wire layer shared by every podvisor program: framing, the message
 * codec (msg.h) and the peer (one connection, one struct).
 */
#ifndef PODVISOR_WIRE_H
#define PODVISOR_WIRE_H

#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "msg.h"

struct event_base;
struct evbuffer;
struct peer;

/*
 * Called for every message after the hello exchange, which the peer layer
 * does itself.  msg is NULL when the peer is lost (EOF, error, bad input):
 * the callback must then drop its references; the peer is freed after the
 * callback returns.  The message is freed after the callback returns, so
 * anything kept must be copied.
 */
typedef void	(*peer_cb)(struct peer *, struct msg *, void *);
/* Called when queued output has drained below the low-water mark. */
typedef void	(*peer_drain_cb)(struct peer *, void *);

/* The pod runtime finds its control channel to podvisord on this fd. */
#define WIRE_POD_FD	3

#define PEER_OUT_LOW	(256 * 1024)	/* drain callback below this */
#define PEER_OUT_MAX	(64 * 1024 * 1024) /* a peer this far behind is dropped */

/* How a --limit value is written. */
enum limit_unit {
	LIMIT_COUNT,		/* a non-negative integer */
	LIMIT_SIZE,		/* bytes, as parse_size reads them */
	LIMIT_SECONDS		/* a duration, rounded up to seconds */
};

struct limit_def {
	const char	*name;		/* --limit NAME=, JSON key */
	int		 resource;	/* RLIMIT_* */
	enum limit_unit	 unit;
};

/* limits.c */
extern const struct limit_def limit_defs[WIRE_NLIMITS];
int		 limit_find(const char *, size_t);
int		 limit_parse_value(int, const char *, int64_t *, char *,
		     size_t);

/* httpreq.c: an HTTP pod's request, checked and redacted. */
#define HTTPREQ_METHOD_MAX	32
#define HTTPREQ_BODY_MAX	(768 * 1024)	/* --data: a frame holds it */
#define HTTPREQ_REDACTED	"[redacted]"
int		 http_check_url(const char *, char *, size_t);
int		 http_check_method(const char *, char *, size_t);
int		 http_check_header(const char *, char *, size_t);
int		 http_check_on_cancel(const char *, char *, size_t);
int		 http_check_request(const struct wire_http *, char *, size_t);
const char	*http_method_of(const struct wire_http *);
bool		 http_secret_name(const char *, size_t);
char		*http_redact_header(const char *, size_t);
char		*http_redact_url(const char *);

/* frame.c */
/* Append one whole frame (length prefix and map) to the buffer; a message
 * the peer would reject is logged and refused (-1, nothing appended). */
int		 msg_encode(const struct msg *, struct evbuffer *);
/* Take one frame's payload out of buf. Returns 1 with *payload malloc'd
 * (caller frees) and *len set, 0 when more bytes are needed, -1 when the
 * announced length exceeds max (cause set). */
int		 frame_take(struct evbuffer *, size_t, void **, size_t *,
		     char *, size_t);

/* peer.c */
/* Wrap a connected, non-blocking socket; sends hello at once. The fd is
 * owned by the peer from then on. label names it in log lines. */
struct peer	*peer_new(struct event_base *, int, peer_cb, void *,
		     const char *);
void		 peer_set_frame_max(struct peer *, size_t);
/* Handing a connection over across an exec (podvisord's re-exec). */
bool		 peer_hello_seen(struct peer *);
int		 peer_take_buffered(struct peer *);
int		 peer_flush_until(struct peer *, int64_t);
int		 peer_handover(struct peer *, void **, size_t *);
struct peer	*peer_adopt(struct event_base *, int, peer_cb, void *,
		     const char *, bool, const void *, size_t);
void		 peer_set_drain_cb(struct peer *, peer_drain_cb);
void		 peer_deliver_hello(struct peer *);
void		 peer_read_pause(struct peer *);
void		 peer_read_resume(struct peer *);
/* Deliver every whole frame already sent, then close (the loss follows
 * from the loop); -1 if the callback freed the peer meanwhile. */
int		 peer_drain(struct peer *);
/* Queue a message. Returns -1 if the peer is already dead. */
int		 peer_send(struct peer *, const struct msg *);
/* Send an error reply, flush it, then close: the callback gets NULL. */
void		 peer_error(struct peer *, const char *, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
/* Send an error reply and keep the connection (a failed request). */
void		 peer_reply_error(struct peer *, const char *, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
/* Close once the queued output is flushed; the callback gets NULL. */
void		 peer_close(struct peer *);
/* Close now, discarding queued output; the callback is not called. */
void		 peer_free(struct peer *);
size_t		 peer_outq(struct peer *);
/* The bad input that dropped the peer, or NULL (valid until it is freed,
 * so in the loss callback too). */
const char	*peer_fault(struct peer *);
/* The version the peer's hello gave, matching or not; 0 before it came
 * (so the loss callback can tell a version mismatch). */
uint64_t	 peer_version(struct peer *);
bool		 peer_dead(struct peer *);
/* SO_PEERCRED of a unix socket peer: -1 when unknown. */
pid_t		 peer_pid(struct peer *);
uid_t		 peer_uid(struct peer *);
gid_t		 peer_gid(struct peer *);
const char	*peer_label(struct peer *);

#endif
