/*
 * libcurl's multi interface driven by podvisord's libevent loop: curl
 * tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it (CURLMOPT_TIMERFUNCTION); libevent tells curl what happened
 * (curl_multi_socket_action).  No transfer ever blocks the loop.
 *
 * Neither callback of curl's calls back into curl: the timer callback
 * only arms a libevent timer, and finished transfers are handed to their
 * owners after curl_multi_socket_action has returned, so an owner may add
 * or remove transfers from its done callback.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "supervisor.h"
#include "webhook.h"

/* A socket curl asked us to watch. */
struct curlsock {
	curl_socket_t		 fd;
	struct event		*ev;
	TAILQ_ENTRY(curlsock)	 entry;
};

/* What to call when a transfer ends. */
struct curlxfer {
	curlev_done_fn	 done;
	void		*arg;
};

static CURLM		*multi;
static struct event	*timer_ev;
static TAILQ_HEAD(, curlsock) socks = TAILQ_HEAD_INITIALIZER(socks);

static void	curlev_drain(void);

/* Hand every finished transfer to its owner. */
static void
curlev_drain(void)
{
	struct curlxfer	*x, copy;
	CURLMsg		*m;
	CURL		*easy;
	CURLcode	 result;
	char		*priv;
	int		 left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		easy = m->easy_handle;
		result = m->data.result;	/* m is gone after the remove */
		priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		x = (struct curlxfer *)priv;
		curl_multi_remove_handle(multi, easy);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		if (x == NULL)
			continue;
		copy = *x;
		free(x);
		copy.done(easy, result, copy.arg);
	}
}

/* Tell curl about activity on a socket (or its timeout), then collect.
 * (curl disarms its own timer when nothing is left: a done callback may
 * have started a new transfer by now.) */
static void
curlev_act(curl_socket_t fd, int flags)
{
	int	running;

	curl_multi_socket_action(multi, fd, flags, &running);
	curlev_drain();
}

/* libevent: a watched socket is ready. */
static void
curlev_sock_cb(int fd, short what, void *arg)
{
	int	flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curlev_act(fd, flags);
}

/* libevent: curl's timeout is up. */
static void
curlev_timer_cb(int fd, short what, void *arg)
{
	curlev_act(CURL_SOCKET_TIMEOUT, 0);
}

/* Forget a watched socket. */
static void
curlsock_free(struct curlsock *cs)
{
	TAILQ_REMOVE(&socks, cs, entry);
	event_free(cs->ev);
	free(cs);
}

/* curl: watch this socket for these events (or no longer). */
static int
curlev_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *sockp)
{
	struct curlsock	*cs = sockp;
	short		 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (cs != NULL)
			curlsock_free(cs);
		curl_multi_assign(multi, fd, NULL);
		return (0);
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (cs == NULL) {
		cs = xcalloc(1, sizeof *cs);
		cs->fd = fd;
		cs->ev = event_new(sv.base, fd, kind, curlev_sock_cb, NULL);
		TAILQ_INSERT_TAIL(&socks, cs, entry);
		curl_multi_assign(multi, fd, cs);
	} else {
		event_del(cs->ev);
		event_assign(cs->ev, sv.base, fd, kind, curlev_sock_cb, NULL);
	}
	event_add(cs->ev, NULL);
	return (0);
}

/* curl: wake me in timeout_ms (-1: never).  Only arms the timer: curl
 * must not be called from here. */
static int
curlev_timer_fn(CURLM *m, long timeout_ms, void *userp)
{
	if (timeout_ms < 0)
		evtimer_del(timer_ev);
	else
		timer_arm(timer_ev, timeout_ms);
	return (0);
}

/* Set up libcurl and its multi handle on the loop; -1 with a cause. */
int
curlev_start(char *cause, size_t len)
{
	CURLcode	rc;

	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(cause, len, "cannot start libcurl: %s",
		    curl_easy_strerror(rc));
		return (-1);
	}
	if ((multi = curl_multi_init()) == NULL) {
		curl_global_cleanup();
		snprintf(cause, len, "cannot start libcurl: no multi handle");
		return (-1);
	}
	timer_ev = evtimer_new(sv.base, curlev_timer_cb, NULL);
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, curlev_socket_fn);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, curlev_timer_fn);
	return (0);
}

/* Close every connection and free libcurl (transfers removed first). */
void
curlev_stop(void)
{
	if (multi == NULL)
		return;
	curl_multi_cleanup(multi);
	multi = NULL;
	/* Sockets curl closed without telling us. */
	while (!TAILQ_EMPTY(&socks))
		curlsock_free(TAILQ_FIRST(&socks));
	event_free(timer_ev);
	timer_ev = NULL;
	curl_global_cleanup();
}

/* Start a transfer; done is called once it ends, unless it is removed
 * first.  -1 if curl refuses it (nothing is called then). */
int
curlev_add(CURL *easy, curlev_done_fn done, void *arg)
{
	struct curlxfer	*x;

	x = xmalloc(sizeof *x);
	x->done = done;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return (-1);
	}
	return (0);
}

/* Abort a transfer in flight; its done callback is never called.  Not
 * from inside a curl callback. */
void
curlev_remove(CURL *easy)
{
	char	*priv = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	curl_multi_remove_handle(multi, easy);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	free(priv);
}
