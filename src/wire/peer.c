/*
 * The peer: one connection, one struct, on a bufferevent.  It does the
 * hello exchange itself, turns frames into messages for its callback, and
 * reports the loss of the connection exactly once, always from the event
 * loop, so that a callback may close, free or reply to any peer (its own
 * included) without the ground moving under it.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "wire.h"

#define PEER_FLUSH_SECS	5	/* a closing peer's output gets this long */

enum peer_state {
	PEER_LIVE,		/* reading and writing */
	PEER_CLOSING,		/* flushing its output, then lost */
	PEER_DEAD		/* the loss is due from the loop */
};

struct peer {
	struct bufferevent	*bev;
	struct event		*lost;		/* delivers the loss */
	peer_cb			 cb;
	peer_drain_cb		 drain_cb;
	void			*arg;
	char			*label;
	char			*fault;		/* its bad input, if any */
	size_t			 frame_max;
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 gid;
	enum peer_state		 state;
	bool			 hello;		/* its hello has arrived */
	bool			 deliver_hello;	/* the callback gets it too */
	bool			 unwritable;	/* a write failed: read what is left */
	uint64_t		 version;	/* that hello's, 0 before */
	bool			 dispatching;	/* inside one of its callbacks */
	bool			 freed;		/* peer_free()d meanwhile */
};

static void	peer_send_error(struct peer *, const char *, const char *,
		    va_list) __attribute__((format(printf, 3, 0)));
static void	peer_protocol_error(struct peer *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Release everything now; no callback. */
static void
peer_destroy(struct peer *peer)
{
	event_free(peer->lost);
	bufferevent_free(peer->bev);
	free(peer->label);
	free(peer->fault);
	free(peer);
}

/* Stop all I/O and have the loop deliver the loss. */
static void
peer_lose(struct peer *peer)
{
	if (peer->state == PEER_DEAD)
		return;
	peer->state = PEER_DEAD;
	bufferevent_disable(peer->bev, EV_READ | EV_WRITE);
	event_active(peer->lost, EV_TIMEOUT, 0);
}

/* The loss, from the loop: tell the callback once, then free. */
static void
peer_lost_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer	*peer = arg;

	peer->dispatching = true;
	if (peer->cb != NULL)
		peer->cb(peer, NULL, peer->arg);
	peer_destroy(peer);
}

/* Stop reading and flush what is queued; the loss follows. */
static void
peer_begin_close(struct peer *peer)
{
	struct timeval	tv = { PEER_FLUSH_SECS, 0 };

	if (peer->state != PEER_LIVE)
		return;
	peer->state = PEER_CLOSING;
	bufferevent_disable(peer->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(peer->bev)) == 0) {
		peer_lose(peer);
		return;
	}
	/* The write callback now fires only once the output is empty. */
	bufferevent_setwatermark(peer->bev, EV_WRITE, 0, 0);
	bufferevent_set_timeouts(peer->bev, NULL, &tv);
}

/* Send an error message built from a format. */
static void
peer_send_error(struct peer *peer, const char *code, const char *fmt,
    va_list ap)
{
	struct msg	msg;
	char		text[WIRE_STR_MAX + 1];

	vsnprintf(text, sizeof text, fmt, ap);
	msg_init(&msg, MSG_ERROR);
	msg.u.error.code = (char *)code;
	msg.u.error.message = text;
	peer_send(peer, &msg);
}

/* Bad input from the peer: log it, tell the peer, close. */
static void
peer_protocol_error(struct peer *peer, const char *fmt, ...)
{
	va_list	ap;
	char	text[WIRE_STR_MAX + 1];

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", peer->label, text);
	if (peer->fault == NULL)
		peer->fault = xstrdup(text);
	peer_error(peer, ERR_PROTOCOL, "%s", text);
}

/* Check the peer's first message, which must be a matching hello: 1 when
 * it is, 0 when the peer is being closed for it, -1 when the callback
 * (given the hello, with peer_deliver_hello) freed the peer. */
static int
peer_check_hello(struct peer *peer, struct msg *msg)
{
	if (msg->type == MSG_ERROR) {
		log_warnx("%s: refused: %s: %s", peer->label,
		    msg->u.error.code, msg->u.error.message);
		if (peer->fault == NULL)
			xasprintf(&peer->fault, "it refused the connection: %s",
			    msg->u.error.message);
		peer_close(peer);
		return (0);
	}
	if (msg->type != MSG_HELLO) {
		peer_protocol_error(peer, "expected hello, got '%s'",
		    msg_type_name(msg->type));
		return (0);
	}
	peer->version = msg->u.hello.version;
	if (msg->u.hello.version != PROTOCOL_VERSION) {
		peer_protocol_error(peer, "protocol version mismatch: peer "
		    "speaks %ju, this side speaks %d",
		    (uintmax_t)msg->u.hello.version, PROTOCOL_VERSION);
		return (0);
	}
	peer->hello = true;
	if (!peer->deliver_hello)
		return (1);
	peer->dispatching = true;
	if (peer->cb != NULL)
		peer->cb(peer, msg, peer->arg);
	peer->dispatching = false;
	if (peer->freed) {
		peer_destroy(peer);
		return (-1);
	}
	return (1);
}

/* Hand one message to the callback; false if the peer was freed. */
static bool
peer_dispatch(struct peer *peer, struct msg *msg)
{
	if (msg->type == MSG_HELLO) {
		log_debug("%s: ignoring a second hello", peer->label);
		return (true);
	}
	peer->dispatching = true;
	if (peer->cb != NULL)
		peer->cb(peer, msg, peer->arg);
	peer->dispatching = false;
	if (peer->freed) {
		peer_destroy(peer);
		return (false);
	}
	return (true);
}

/* Take and handle one frame: 1 when there may be more, 0 when there is
 * no more to do now, -1 when the callback freed the peer (do not touch
 * it then). */
static int
peer_take(struct peer *peer)
{
	struct evbuffer	*in = bufferevent_get_input(peer->bev);
	struct msg	 msg;
	void		*payload;
	size_t		 len;
	char		 cause[256];
	int		 rc;

	rc = frame_take(in, peer->frame_max, &payload, &len, cause,
	    sizeof cause);
	if (rc == 0)
		return (0);
	if (rc == -1) {
		peer_protocol_error(peer, "%s", cause);
		return (0);
	}
	rc = msg_decode(payload, len, &msg, cause, sizeof cause);
	free(payload);
	if (rc == -1) {
		peer_protocol_error(peer, "%s", cause);
		return (0);
	}
	if (!peer->hello)
		rc = peer_check_hello(peer, &msg);
	else
		rc = peer_dispatch(peer, &msg) ? 1 : -1;
	msg_free(&msg);
	return (rc);
}

/* Input arrived: deliver whole frames until none is left or the peer
 * stops being live. */
static void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct peer	*peer = arg;

	while (peer->state == PEER_LIVE && peer_take(peer) == 1)
		;
}

/* Output fell to the low-water mark: finish a close, or tell the
 * callback that more may be queued. */
static void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	struct peer	*peer = arg;

	if (peer->state == PEER_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			peer_lose(peer);
		return;
	}
	if (peer->state != PEER_LIVE || peer->drain_cb == NULL)
		return;
	peer->dispatching = true;
	peer->drain_cb(peer, peer->arg);
	peer->dispatching = false;
	if (peer->freed)
		peer_destroy(peer);
}

/* A write failed because the other side is gone: drop what we would
 * send, and deliver every whole frame it sent before it went.  -1 if
 * the callback freed the peer meanwhile. */
static int
peer_read_rest(struct peer *peer)
{
	struct evbuffer	*in = bufferevent_get_input(peer->bev);
	struct evbuffer	*out = bufferevent_get_output(peer->bev);
	int		 fd = bufferevent_getfd(peer->bev), rc = 0;

	peer->unwritable = true;
	bufferevent_disable(peer->bev, EV_READ | EV_WRITE);
	evbuffer_drain(out, evbuffer_get_length(out));
	/* The bufferevent keeps its input's end frozen but while it reads
	 * itself. */
	evbuffer_unfreeze(in, 0);
	while (evbuffer_read(in, fd, 65536) > 0)
		;
	evbuffer_freeze(in, 0);
	while (peer->state == PEER_LIVE && (rc = peer_take(peer)) == 1)
		;
	return (rc == -1 ? -1 : 0);
}

/* For a peer whose other end will not close (a stranger holds it): take
 * what it sent so far, then let it go. */
int
peer_drain(struct peer *peer)
{
	if (peer->state != PEER_LIVE)
		return (0);
	if (peer_read_rest(peer) == -1)
		return (-1);
	peer_lose(peer);
	return (0);
}

/* EOF, an error or a flush timeout. A peer that only half-closed still
 * gets the replies already queued for it. */
static void
peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct peer	*peer = arg;

	if ((what & BEV_EVENT_EOF) && peer->state == PEER_LIVE &&
	    evbuffer_get_length(bufferevent_get_output(bev)) != 0) {
		peer_begin_close(peer);
		return;
	}
	/* The other side closed while we wrote (EPIPE): what it sent before
	 * closing, such as a runtime's last reports, is still to be read.
	 * Keep reading until its EOF; drop what we would send. */
	if ((what & BEV_EVENT_ERROR) && (what & BEV_EVENT_WRITING) &&
	    !(what & BEV_EVENT_READING) && peer->state == PEER_LIVE &&
	    !peer->unwritable) {
		log_debug("%s: %s; reading what is left", peer->label,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		if (peer_read_rest(peer) == -1)
			return;		/* freed by its callback */
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_warnx("%s: output not read in %d seconds", peer->label,
		    PEER_FLUSH_SECS);
	else if (what & BEV_EVENT_ERROR)
		log_debug("%s: %s", peer->label,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	peer_lose(peer);
}

/* Read the credentials of a unix socket's peer; -1 where unknown. */
static void
peer_creds(struct peer *peer, int fd)
{
	struct ucred	uc;
	socklen_t	len = sizeof uc;

	peer->pid = -1;
	peer->uid = (uid_t)-1;
	peer->gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	    len == sizeof uc) {
		peer->pid = uc.pid;
		peer->uid = uc.uid;
		peer->gid = uc.gid;
	}
}

/* A peer for a connected socket, which it owns from now on; not yet
 * reading or writing. */
static struct peer *
peer_wrap(struct event_base *base, int fd, peer_cb cb, void *arg,
    const char *label)
{
	struct peer	*peer;

	peer = xcalloc(1, sizeof *peer);
	peer->cb = cb;
	peer->arg = arg;
	peer->label = xstrdup(label != NULL ? label : "peer");
	peer->frame_max = WIRE_FRAME_MAX;
	peer_creds(peer, fd);
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	peer->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	peer->lost = event_new(base, -1, 0, peer_lost_cb, peer);
	if (peer->bev == NULL || peer->lost == NULL)
		fatalx("out of memory for peer %s", peer->label);
	return (peer);
}

/* Start reading and writing. */
static void
peer_start(struct peer *peer)
{
	bufferevent_setcb(peer->bev, peer_read_cb, peer_write_cb,
	    peer_event_cb, peer);
	bufferevent_setwatermark(peer->bev, EV_WRITE, PEER_OUT_LOW, 0);
	bufferevent_enable(peer->bev, EV_READ | EV_WRITE);
}

/* Wrap a connected socket, which the peer owns from now on, and send
 * our hello. */
struct peer *
peer_new(struct event_base *base, int fd, peer_cb cb, void *arg,
    const char *label)
{
	struct peer	*peer;
	struct msg	 hello;

	peer = peer_wrap(base, fd, cb, arg, label);
	peer_start(peer);
	msg_init(&hello, MSG_HELLO);
	hello.u.hello.version = PROTOCOL_VERSION;
	peer_send(peer, &hello);
	return (peer);
}

/* Change the largest frame accepted from this peer. */
void
peer_set_frame_max(struct peer *peer, size_t max)
{
	peer->frame_max = max;
}

/* Set (or clear, with NULL) the drain callback. */
void
peer_set_drain_cb(struct peer *peer, peer_drain_cb cb)
{
	peer->drain_cb = cb;
}

/* Stop reading from the peer (pacing); its messages wait in the
 * socket, and the sender's own output queue fills. */
void
peer_read_pause(struct peer *peer)
{
	if (peer->state == PEER_LIVE)
		bufferevent_disable(peer->bev, EV_READ);
}

/* Read from the peer again. */
void
peer_read_resume(struct peer *peer)
{
	if (peer->state == PEER_LIVE)
		bufferevent_enable(peer->bev, EV_READ);
}

/* Have the callback get the peer's hello too, once its version is
 * checked (the pod API's hello carries what the workload handles). */
void
peer_deliver_hello(struct peer *peer)
{
	peer->deliver_hello = true;
}

/* Why the peer was dropped for bad input (for the loss callback), or
 * NULL when it was not. */
const char *
peer_fault(struct peer *peer)
{
	return (peer->fault);
}

/* Queue a message; a peer too far behind is dropped. -1 if the peer is
 * dead or closing, or the message could not be encoded (logged). */
int
peer_send(struct peer *peer, const struct msg *msg)
{
	struct evbuffer	*out;
	size_t		 n;

	if (peer->state != PEER_LIVE || peer->unwritable)
		return (-1);
	out = bufferevent_get_output(peer->bev);
	if (msg_encode(msg, out) == -1)
		return (-1);
	if ((n = evbuffer_get_length(out)) > PEER_OUT_MAX) {
		log_warnx("dropping %s: %zu bytes unread", peer->label, n);
		peer_lose(peer);
		return (-1);
	}
	return (0);
}

/* Send an error reply, flush it, then close. */
void
peer_error(struct peer *peer, const char *code, const char *fmt, ...)
{
	va_list	ap;

	if (peer->state != PEER_LIVE)
		return;
	va_start(ap, fmt);
	peer_send_error(peer, code, fmt, ap);
	va_end(ap);
	peer_begin_close(peer);
}

/* Send an error reply and keep the connection. */
void
peer_reply_error(struct peer *peer, const char *code, const char *fmt, ...)
{
	va_list	ap;

	if (peer->state != PEER_LIVE)
		return;
	va_start(ap, fmt);
	peer_send_error(peer, code, fmt, ap);
	va_end(ap);
}

/* Close once the queued output is flushed. */
void
peer_close(struct peer *peer)
{
	peer_begin_close(peer);
}

/* Close now, discarding queued output, without calling back. Inside one
 * of the peer's own callbacks the memory is released after it returns. */
void
peer_free(struct peer *peer)
{
	if (peer->dispatching) {
		peer->freed = true;
		peer->state = PEER_DEAD;
		bufferevent_disable(peer->bev, EV_READ | EV_WRITE);
		event_del(peer->lost);
		return;
	}
	peer_destroy(peer);
}

/* Bytes queued for the peer and not yet written. */
size_t
peer_outq(struct peer *peer)
{
	return (evbuffer_get_length(bufferevent_get_output(peer->bev)));
}

/* The version in the peer's hello, also one that did not match; 0 until
 * a hello arrived. */
uint64_t
peer_version(struct peer *peer)
{
	return (peer->version);
}

/* Is the peer closing or lost, so that sending is pointless? */
bool
peer_dead(struct peer *peer)
{
	return (peer->state != PEER_LIVE);
}

/* The peer's pid from SO_PEERCRED, -1 if unknown. */
pid_t
peer_pid(struct peer *peer)
{
	return (peer->pid);
}

/* The peer's uid from SO_PEERCRED, (uid_t)-1 if unknown. */
uid_t
peer_uid(struct peer *peer)
{
	return (peer->uid);
}

/* The peer's gid from SO_PEERCRED, (gid_t)-1 if unknown. */
gid_t
peer_gid(struct peer *peer)
{
	return (peer->gid);
}

/* The label given to peer_new, for log lines. */
const char *
peer_label(struct peer *peer)
{
	return (peer->label);
}

/* Has the peer's hello arrived? */
bool
peer_hello_seen(struct peer *peer)
{
	return (peer->hello);
}

/* Deliver every whole frame already read, as the loop would; -1 if the
 * callback freed the peer meanwhile. */
int
peer_take_buffered(struct peer *peer)
{
	int	rc = 0;

	while (peer->state == PEER_LIVE && (rc = peer_take(peer)) == 1)
		;
	return (rc == -1 ? -1 : 0);
}

/* Write the queued output out now, waiting at most until the CLOCK_MONOTONIC
 * ms deadline: 0 once it is all written, -1 if it cannot be. */
int
peer_flush_until(struct peer *peer, int64_t deadline)
{
	struct evbuffer	*out = bufferevent_get_output(peer->bev);
	struct pollfd	 pfd;
	int		 fd = bufferevent_getfd(peer->bev);
	int64_t		 left;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (evbuffer_get_length(out) > 0) {
		if (evbuffer_write(out, fd) == -1 && errno != EAGAIN &&
		    errno != EINTR)
			return (-1);
		if (evbuffer_get_length(out) == 0)
			break;
		if ((left = deadline - mono_ms()) <= 0)
			return (-1);
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			return (-1);
	}
	return (0);
}

/* The peer's descriptor and a copy of the input read but not taken (a
 * partial frame), for a process that takes the connection over. */
int
peer_handover(struct peer *peer, void **in, size_t *inlen)
{
	struct evbuffer	*ib = bufferevent_get_input(peer->bev);

	*inlen = evbuffer_get_length(ib);
	*in = xmalloc(*inlen > 0 ? *inlen : 1);
	evbuffer_copyout(ib, *in, *inlen);
	return (bufferevent_getfd(peer->bev));
}

/* Wrap a connection another process (this one before an exec) had: no
 * hello is sent, the other side's counts as arrived if hello says so, and
 * in holds the bytes already read from it. */
struct peer *
peer_adopt(struct event_base *base, int fd, peer_cb cb, void *arg,
    const char *label, bool hello, const void *in, size_t inlen)
{
	struct peer	*peer;

	peer = peer_wrap(base, fd, cb, arg, label);
	peer->hello = hello;
	peer->version = hello ? PROTOCOL_VERSION : 0;
	if (inlen > 0)
		evbuffer_add(bufferevent_get_input(peer->bev), in, inlen);
	peer_start(peer);
	return (peer);
}
