/*
 * podctl's side of the control socket: connect, send one request at a time
 * and feed the reply's messages to the command's handler until it says the
 * reply is complete.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl.h"

struct client {
	struct ctl		*ctl;
	struct event_base	*base;
	struct peer		*peer;
	reply_cb		 cb;		/* the request's handler */
	void			*arg;
	bool			 busy;		/* a reply is awaited */
	bool			 resumable;	/* a plain loss is no error */
	bool			 lost;		/* and it happened */
	int			 status;	/* exit status once it ended */
};

/* How long a resumable request tries to reconnect (a re-exec takes a
 * moment; the socket stays, so its connect succeeds at once). */
#define RECONNECT_MS	5000
#define RECONNECT_STEP_MS	50

static void	client_dispatch(struct peer *, struct msg *, void *);
static int	client_error(const struct msg_error *);
static int	client_lost(struct client *, struct peer *);
static int	client_connect(struct ctl *, int *);
static int	connect_error(struct ctl *, int);

/* The exit status for a MSG_ERROR code, after printing its message. */
static int
client_error(const struct msg_error *e)
{
	char	*text;

	text = text_escape(e->message, strlen(e->message));
	fprintf(stderr, "podctl: %s\n", text);
	free(text);
	if (strcmp(e->code, ERR_USAGE) == 0)
		return (EXIT_USAGE);
	if (strcmp(e->code, ERR_NOTFOUND) == 0)
		return (EXIT_NOTFOUND);
	if (strcmp(e->code, ERR_DENIED) == 0)
		return (EXIT_DENIED);
	return (EXIT_FAILED);
}

/* Print why a reply was not what the command expected; EXIT_FAILED. */
int
reply_unexpected(const struct msg *m)
{
	fprintf(stderr, "podctl: unexpected %s message from podvisord"
	    " (is it the same version as podctl?)\n", msg_type_name(m->type));
	return (EXIT_FAILED);
}

/* Report each pod ref the daemon did not find; EXIT_NOTFOUND if any. */
int
reply_missing(char **missing)
{
	char	*text;
	size_t	 i;

	if (missing == NULL || missing[0] == NULL)
		return (0);
	for (i = 0; missing[i] != NULL; i++) {
		text = text_escape(missing[i], strlen(missing[i]));
		fprintf(stderr, "podctl: no such pod: %s\n", text);
		free(text);
	}
	return (EXIT_NOTFOUND);
}

/* The connection ended before the reply did: say why, and what to do
 * about a version mismatch; EXIT_UNREACHABLE. */
static int
client_lost(struct client *c, struct peer *peer)
{
	uint64_t	v = peer_version(peer);

	if (c->resumable && peer_fault(peer) == NULL &&
	    (v == 0 || v == PROTOCOL_VERSION)) {
		c->lost = true;		/* podvisord re-executed, maybe */
		return (EXIT_UNREACHABLE);
	}
	if (v != 0 && v != PROTOCOL_VERSION) {
		fprintf(stderr, "podctl: podvisord at %s speaks protocol %ju,"
		    " this podctl speaks %d: use the podctl installed with the"
		    " running podvisord, or restart podvisord after an"
		    " upgrade\n", c->ctl->socket, (uintmax_t)v,
		    PROTOCOL_VERSION);
		return (EXIT_UNREACHABLE);
	}
	if (peer_fault(peer) != NULL) {
		fprintf(stderr, "podctl: cannot talk to podvisord at %s: %s "
		    "(are podctl and podvisord the same version?)\n",
		    c->ctl->socket, peer_fault(peer));
		return (EXIT_UNREACHABLE);
	}
	fprintf(stderr, "podctl: lost the connection to podvisord at %s"
	    " before its reply ended (did it exit? check its log)\n",
	    c->ctl->socket);
	return (EXIT_UNREACHABLE);
}

/* The peer's callback: route a reply message, or note the lost peer. */
static void
client_dispatch(struct peer *peer, struct msg *m, void *arg)
{
	struct client	*c = arg;
	int		 r;

	if (m == NULL) {
		c->peer = NULL;
		if (c->busy) {
			c->status = client_lost(c, peer);
			c->busy = false;
		}
		event_base_loopbreak(c->base);
		return;
	}
	if (!c->busy)
		return;		/* nothing asked: ignore */
	if (m->type == MSG_ERROR)
		r = client_error(&m->u.error);
	else
		r = c->cb(m, c->arg);
	if (r == REPLY_MORE)
		return;
	c->status = r;
	c->busy = false;
	event_base_loopbreak(c->base);
}

/* Explain a failed connect; the exit status. */
static int
connect_error(struct ctl *ctl, int error)
{
	if (error == EACCES || error == EPERM) {
		fprintf(stderr, "podctl: permission denied on %s: %s (use"
		    " your own podvisord, or join the socket's group, e.g."
		    " podvisor)\n", ctl->socket, strerror(error));
		return (EXIT_DENIED);
	}
	fprintf(stderr, "podctl: cannot reach podvisord at %s: %s (is it"
	    " running? start it with podvisord, or pass -S PATH)\n",
	    ctl->socket, strerror(error));
	return (EXIT_UNREACHABLE);
}

/* Connect to the control socket; 0 with *fd, else the exit status. */
static int
client_connect(struct ctl *ctl, int *fd)
{
	struct sockaddr_un	 sun;
	int			 s, error;

	if (ctl->socket == NULL) {
		fprintf(stderr, "podctl: cannot work out the default socket"
		    " path; pass -S PATH\n");
		return (EXIT_UNREACHABLE);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(ctl->socket) >= sizeof sun.sun_path) {
		fprintf(stderr, "podctl: socket path too long: %s (use a"
		    " shorter -S PATH)\n", ctl->socket);
		return (EXIT_UNREACHABLE);
	}
	memcpy(sun.sun_path, ctl->socket, strlen(ctl->socket));
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "podctl: socket: %s\n", strerror(errno));
		return (EXIT_FAILED);
	}
	if (connect(s, (struct sockaddr *)&sun, sizeof sun) == -1) {
		error = errno;
		close(s);
		return (connect_error(ctl, error));
	}
	if (fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK) == -1) {
		fprintf(stderr, "podctl: fcntl: %s\n", strerror(errno));
		close(s);
		return (EXIT_FAILED);
	}
	*fd = s;
	return (0);
}

/* Open a connection to podvisord; 0 with *cp set, else the exit status. */
int
client_open(struct ctl *ctl, struct client **cp)
{
	struct client	*c;
	int		 fd, status;

	if ((status = client_connect(ctl, &fd)) != 0)
		return (status);
	c = xcalloc(1, sizeof *c);
	c->ctl = ctl;
	if ((c->base = event_base_new()) == NULL) {
		fprintf(stderr, "podctl: cannot create an event loop\n");
		close(fd);
		free(c);
		return (EXIT_FAILED);
	}
	c->peer = peer_new(c->base, fd, client_dispatch, c, "podvisord");
	if (c->peer == NULL) {
		fprintf(stderr, "podctl: cannot set up the connection to %s\n",
		    ctl->socket);
		client_close(c);
		return (EXIT_FAILED);
	}
	*cp = c;
	return (0);
}

/* Send a request and run the loop until its reply ends; the exit status. */
int
client_request(struct client *c, const struct msg *req, reply_cb cb,
    void *arg)
{
	if (c->peer == NULL || peer_send(c->peer, req) == -1) {
		fprintf(stderr, "podctl: lost the connection to podvisord at"
		    " %s (did it exit? check its log)\n", c->ctl->socket);
		return (EXIT_UNREACHABLE);
	}
	c->cb = cb;
	c->arg = arg;
	c->busy = true;
	c->status = EXIT_FAILED;
	while (c->busy && c->peer != NULL) {
		if (event_base_dispatch(c->base) != 0)
			break;
	}
	if (c->busy) {
		/* The loop ran dry or failed without a callback. */
		fprintf(stderr, "podctl: lost the connection to podvisord at"
		    " %s before its reply ended\n", c->ctl->socket);
		c->busy = false;
		return (EXIT_UNREACHABLE);
	}
	return (c->status);
}

/* Close the connection and free the client. */
void
client_close(struct client *c)
{
	if (c == NULL)
		return;
	if (c->peer != NULL)
		peer_free(c->peer);
	if (c->base != NULL)
		event_base_free(c->base);
	free(c);
}

/* Open, send one request, wait for its reply, close: the exit status. */
int
client_run(struct ctl *ctl, const struct msg *req, reply_cb cb, void *arg)
{
	struct client	*c;
	int		 status;

	if ((status = client_open(ctl, &c)) != 0)
		return (status);
	status = client_request(c, req, cb, arg);
	client_close(c);
	return (status);
}

/* Connect again within RECONNECT_MS; 0 with *cp, else the exit status
 * (the reason printed). */
static int
client_reopen(struct ctl *ctl, struct client **cp)
{
	struct timespec	 step = { 0, RECONNECT_STEP_MS * 1000000L };
	int64_t		 deadline = mono_ms() + RECONNECT_MS;
	int		 fd, saved, devnull, status;

	for (;;) {
		/* Quietly until the deadline: connect_error prints. */
		fflush(stderr);
		saved = dup(2);
		if ((devnull = open("/dev/null", O_WRONLY)) != -1) {
			dup2(devnull, 2);
			close(devnull);
		}
		status = client_connect(ctl, &fd);
		if (saved != -1) {
			dup2(saved, 2);
			close(saved);
		}
		if (status == 0) {
			close(fd);
			return (client_open(ctl, cp));
		}
		if (mono_ms() >= deadline)
			break;
		nanosleep(&step, NULL);
	}
	fprintf(stderr, "podctl: lost the connection to podvisord at %s"
	    " before its reply ended, and it does not answer again\n",
	    ctl->socket);
	return (EXIT_UNREACHABLE);
}

/*
 * As client_run, for a request that may be asked again when the
 * connection drops (podvisord re-executing itself, podctl reexec): then
 * podctl reconnects for a few seconds, again() adjusts the request to go
 * on where the reply was (NULL: as it was), and it is sent anew.
 */
int
client_run_resume(struct ctl *ctl, struct msg *req, reply_cb cb, void *arg,
    void (*again)(struct msg *, void *))
{
	struct client	*c;
	bool		 lost;
	int		 status;

	if ((status = client_open(ctl, &c)) != 0)
		return (status);
	for (;;) {
		c->resumable = true;
		status = client_request(c, req, cb, arg);
		lost = c->lost;
		client_close(c);
		if (!lost)
			return (status);
		if (again != NULL)
			again(req, arg);
		if ((status = client_reopen(ctl, &c)) != 0)
			return (status);
	}
}
