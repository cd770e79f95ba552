/*
 * An HTTP pod's workload: one transfer made by the runtime itself with
 * libcurl's multi interface on the runtime's own libevent loop (curl
 * tells which sockets to watch and when to wake it: CURLMOPT_SOCKETFUNCTION
 * and CURLMOPT_TIMERFUNCTION), never a blocking perform.
 *
 *   live --done, error, stall, abort--> ended (handles freed)
 *
 * The response's status line and headers become one `http` entry (with
 * credentials redacted) as soon as they are complete; the body becomes
 * `stdout` entries as it arrives.  Every write callback of one pass of
 * curl lands in one log transaction, and small pieces share an entry, so
 * a response of many small chunks costs neither a transaction nor an
 * entry per chunk.
 *
 * Memory is bounded by pacing, whatever the server sends: the body goes
 * to the log as curl reads it, and curl reads the socket only when the
 * loop gets back to it, so nothing accumulates here but one entry's
 * worth (POD_READ_CHUNK) and the open transaction (burst_max).  The
 * response headers are kept up to HTTP_HEAD_KEEP; past HTTP_HEAD_MAX
 * the transfer fails.  The log's own cap bounds the disk.
 *
 * Every byte that comes is a heartbeat (spawn --heartbeat DUR stops a
 * transfer that gets no byte for DUR); no byte for the term grace is
 * noted in the log as a stall, without ending anything.
 *
 * Nothing is done to curl from inside its callbacks: an abort is
 * deferred to an event of its own (http_later).
 */

#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "wire.h"
#include "seglog.h"
#include "pod.h"

#define HTTP_HEAD_KEEP		(64 * 1024)	/* header bytes logged */
#define HTTP_HEAD_MAX		(256 * 1024)	/* header bytes accepted */
#define HTTP_STALL_MIN_MS	1000		/* the shortest stall noticed */
#define HTTP_ALIVE_MS		250		/* heartbeats up, at most */
#define HTTP_TIMEOUT_SLACK_MS	1000		/* podvisord's timeout first */

/* How the transfer ended. */
enum http_end {
	HTTP_LIVE,
	HTTP_COMPLETED,		/* a response, whatever its status */
	HTTP_FAILED,		/* a transport error, error set */
	HTTP_ABORTED		/* by the cancel or a signal */
};

/* One socket curl asked us to watch. */
struct http_sock {
	struct pod_http	*h;
	curl_socket_t	 fd;
	struct event	*ev;
};

struct pod_http {
	struct runtime	*rt;
	CURLM		*multi;
	CURL		*easy;
	struct curl_slist *slist;
	struct event	*timer;		/* curl's own timeout */
	struct event	*stall;		/* no byte for the stall time */
	struct event	*later;		/* work deferred out of callbacks */
	char		 errbuf[CURL_ERROR_SIZE];
	int64_t		 stall_ms;
	bool		 stalled;	/* noted; cleared by the next byte */
	int64_t		 alive_sent_at;	/* mono ms of the last heartbeat */
	bool		 paused;
	bool		 global;	/* curl_global_init done */

	/* The response. */
	long		 status;	/* 0 until the headers came */
	bool		 head_done;	/* the final response's headers */
	struct evbuffer	*head;		/* its status line and headers */
	size_t		 head_bytes;	/* all header bytes received */
	uint8_t		*chunk;		/* body not yet appended: malloc'd
					   on the first byte, and so only
					   touched as far as the body goes */
	size_t		 chunk_len;
	bool		 batch;		/* a log transaction is open */
	size_t		 batch_bytes;
	uint64_t	 body_bytes;

	/* The end. */
	enum http_end	 end;
	int		 abort_signal;	/* 0: by the cancel */
	bool		 abort_asked;
	char		*error;		/* a transport error, ours or curl's */
};

static void	http_finish(struct pod_http *, enum http_end);

/* Tell podvisord (and the log) what was committed. */
static void
http_commit(struct pod_http *h)
{
	if (!h->batch)
		return;
	h->batch = false;
	(void)seglog_commit(h->rt->log);
	if (h->batch_bytes > 0)
		pod_committed(h->rt);
	h->batch_bytes = 0;
}

/* Append what the chunk holds, in the open transaction. */
static void
http_flush_chunk(struct pod_http *h)
{
	struct runtime	*rt = h->rt;

	if (h->chunk_len == 0)
		return;
	if (!h->batch)
		h->batch = seglog_begin(rt->log) == 0;
	(void)seglog_append(rt->log, LOG_STDOUT, h->chunk, h->chunk_len);
	h->batch_bytes += h->chunk_len;
	h->chunk_len = 0;
	if (h->batch_bytes >= rt->burst_max)
		http_commit(h);
}

/* A byte came: the transfer is alive.  Each counts as a heartbeat
 * (spawn --heartbeat is an HTTP pod's stall limit), sent up at most
 * every HTTP_ALIVE_MS, and restarts the stall clock. */
static void
http_alive(struct pod_http *h)
{
	struct msg	 m;
	int64_t		 now = mono_ms();

	if (h->stalled) {
		h->stalled = false;
		pod_log(h->rt, LOG_HTTP, "data again after a stall");
	}
	if (!h->paused)
		(void)timer_arm(h->stall, h->stall_ms);
	if (now - h->alive_sent_at < HTTP_ALIVE_MS)
		return;
	h->alive_sent_at = now;
	msg_init(&m, MSG_HEARTBEAT);
	pod_send(h->rt, &m);
}

/* Body bytes: into the chunk, an entry each time it fills. */
static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pod_http	*h = arg;
	size_t		 len = size * nmemb, n, done = 0;

	http_alive(h);
	if (h->chunk == NULL && len > 0)
		h->chunk = xmalloc(POD_READ_CHUNK);
	while (done < len) {
		n = POD_READ_CHUNK - h->chunk_len;
		if (n > len - done)
			n = len - done;
		memcpy(h->chunk + h->chunk_len, data + done, n);
		h->chunk_len += n;
		done += n;
		if (h->chunk_len == POD_READ_CHUNK)
			http_flush_chunk(h);
	}
	h->body_bytes += len;
	return (len);
}

/* The final response's headers are complete: log them, tell podvisord
 * the status, and start watching for a stall. */
static void
http_head_complete(struct pod_http *h)
{
	struct runtime	*rt = h->rt;
	struct msg	 m;
	size_t		 len = evbuffer_get_length(h->head);

	h->head_done = true;
	http_commit(h);
	(void)seglog_append(rt->log, LOG_HTTP, evbuffer_pullup(h->head, -1),
	    len);
	pod_committed(rt);
	evbuffer_drain(h->head, len);
	msg_init(&m, MSG_RESPONSE);
	m.u.response.status = (uint64_t)h->status;
	pod_send(rt, &m);
}

/* One header line (a status line starts each response; an empty line
 * ends its headers).  Credentials are redacted before they are kept. */
static size_t
http_header_cb(char *line, size_t size, size_t nitems, void *arg)
{
	struct pod_http	*h = arg;
	size_t		 len = size * nitems, n = len;
	char		*shown;

	http_alive(h);
	if (h->head_done)
		return (len);		/* trailers: not kept */
	if ((h->head_bytes += len) > HTTP_HEAD_MAX) {
		free(h->error);
		xasprintf(&h->error, "the response headers are over %d bytes",
		    HTTP_HEAD_MAX);
		return (0);		/* curl fails the transfer */
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0)	/* a new response */
		evbuffer_drain(h->head, evbuffer_get_length(h->head));
	if (n == 0) {
		(void)curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE,
		    &h->status);
		if (h->status >= 200)
			http_head_complete(h);
		return (len);
	}
	if (evbuffer_get_length(h->head) + n < HTTP_HEAD_KEEP) {
		shown = http_redact_header(line, n);
		evbuffer_add_printf(h->head, "%s\n", shown);
		free(shown);
	}
	return (len);
}

/* Read what curl says has ended: at most our one transfer. */
static void
http_check_done(struct pod_http *h)
{
	CURLMsg	*msg;
	int	 left;

	while (h->end == HTTP_LIVE &&
	    (msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		if (msg->data.result == CURLE_OK) {
			(void)curl_easy_getinfo(h->easy,
			    CURLINFO_RESPONSE_CODE, &h->status);
			http_finish(h, HTTP_COMPLETED);
			return;
		}
		if (h->error == NULL)
			h->error = xstrdup(h->errbuf[0] != '\0' ? h->errbuf :
			    curl_easy_strerror(msg->data.result));
		http_finish(h, HTTP_FAILED);
	}
}

/* After every pass of curl: commit what it wrote, see if it is done. */
static void
http_after(struct pod_http *h)
{
	http_flush_chunk(h);
	http_commit(h);
	http_check_done(h);
}

/* A socket curl watches is ready. */
static void
http_sock_event(int fd, short what, void *arg)
{
	struct http_sock	*s = arg;
	struct pod_http		*h = s->h;
	int			 running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	(void)curl_multi_socket_action(h->multi, fd, action, &running);
	http_after(h);
}

/* curl's timeout came. */
static void
http_timer_event(int fd, short what, void *arg)
{
	struct pod_http	*h = arg;
	int		 running;

	(void)curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	http_after(h);
}

/* CURLMOPT_SOCKETFUNCTION: watch a socket for what curl wants of it. */
static int
http_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct pod_http		*h = arg;
	struct http_sock	*s = sockp;
	short			 ev = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
		}
		return (0);
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->h = h;
		s->fd = fd;
		(void)curl_multi_assign(h->multi, fd, s);
	} else
		event_free(s->ev);
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= EV_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= EV_WRITE;
	if ((s->ev = event_new(h->rt->base, fd, ev, http_sock_event, s)) ==
	    NULL || event_add(s->ev, NULL) == -1)
		fatalx("cannot watch the HTTP transfer's socket");
	return (0);
}

/* CURLMOPT_TIMERFUNCTION: wake curl in ms (-1: never). */
static int
http_timer_cb(CURLM *multi, long ms, void *arg)
{
	struct pod_http	*h = arg;

	if (ms < 0)
		evtimer_del(h->timer);
	else
		(void)timer_arm(h->timer, ms);
	return (0);
}

/* No byte for the stall time (the term grace): noted in the log, once a
 * stall.  It does not end the transfer (an LLM may think for minutes
 * before its first token); --heartbeat DUR does. */
static void
http_stall_event(int fd, short what, void *arg)
{
	struct pod_http	*h = arg;

	if (h->end != HTTP_LIVE || h->paused || h->stalled)
		return;
	h->stalled = true;
	pod_log(h->rt, LOG_HTTP, "stalled: no data for %lld ms",
	    (long long)h->stall_ms);
}

/* An abort asked from wherever: done here, outside any curl callback. */
static void
http_later_event(int fd, short what, void *arg)
{
	struct pod_http	*h = arg;

	if (h->end == HTTP_LIVE && h->abort_asked)
		http_finish(h, HTTP_ABORTED);
}

/* Release curl's handles (the transfer is over, or the runtime exits). */
static void
http_release(struct pod_http *h)
{
	if (h->multi != NULL && h->easy != NULL)
		(void)curl_multi_remove_handle(h->multi, h->easy);
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->slist);
	h->easy = NULL;
	h->multi = NULL;
	h->slist = NULL;
	evtimer_del(h->timer);
	evtimer_del(h->stall);
}

/* The transfer is over: keep what it wrote, free curl, and let the
 * runtime end as it does when a workload's main process is reaped. */
static void
http_finish(struct pod_http *h, enum http_end end)
{
	struct runtime	*rt = h->rt;

	h->end = end;
	http_flush_chunk(h);
	http_commit(h);
	if (!h->head_done && evbuffer_get_length(h->head) > 0) {
		(void)seglog_append(rt->log, LOG_HTTP,
		    evbuffer_pullup(h->head, -1), evbuffer_get_length(h->head));
		pod_committed(rt);
	}
	if (end == HTTP_FAILED)
		pod_log(rt, LOG_ERROR, "%s", h->error);
	http_release(h);
	log_debug("pod %llu: HTTP transfer ended (%ld, %llu body bytes)",
	    (unsigned long long)rt->id, h->status,
	    (unsigned long long)h->body_bytes);
	rt->reaped = true;
	rt->nochild = true;
	rt->state = RT_CLEANUP;
	rt->pause = POD_PAUSE_NONE;
	evtimer_del(rt->pause_timer);
	evtimer_del(rt->stop_timer);
	pod_send_ended(rt);
	pod_check_done(rt);
}

/* Who the transfer runs as: the pod's owner, as a workload would. */
static int
http_drop_identity(struct runtime *rt, char *cause, size_t len)
{
	uid_t	 uid = (uid_t)rt->uid;
	gid_t	 gid = (gid_t)rt->gid;

	if (rt->uid == WIRE_NONE || (getuid() == uid && getgid() == gid))
		return (0);
	if (setgroups(rt->ngroups, rt->groups) == -1 ||
	    setresgid(gid, gid, gid) == -1 || setresuid(uid, uid, uid) == -1 ||
	    (uid != 0 && setuid(0) != -1)) {
		snprintf(cause, len, "cannot switch to uid %lld: %s",
		    (long long)rt->uid, strerror(errno));
		return (-1);
	}
	return (0);
}

/* The request's headers for curl; -1 with a reason. */
static int
http_headers(struct pod_http *h, struct runtime *rt, char *cause,
    size_t len)
{
	struct curl_slist	*l;
	size_t			 i;

	/* No "Expect: 100-continue" wait before a body. */
	if ((h->slist = curl_slist_append(NULL, "Expect:")) == NULL)
		goto fail;
	for (i = 0; rt->http_req.headers != NULL &&
	    rt->http_req.headers[i] != NULL; i++) {
		if ((l = curl_slist_append(h->slist,
		    rt->http_req.headers[i])) == NULL)
			goto fail;
		h->slist = l;
	}
	return (0);
fail:
	snprintf(cause, len, "out of memory for the request's headers");
	return (-1);
}

/* How long the transfer may take: podvisord stops the pod at its
 * --timeout (reason timeout); curl's own limit, a little later, holds
 * should podvisord not (CURLOPT_TIMEOUT_MS). 0: none. */
static long
http_timeout_ms(struct runtime *rt)
{
	int64_t	 left;

	if (rt->timeout_at == WIRE_NONE)
		return (0);
	left = (rt->timeout_at - now_ns()) / 1000000 + HTTP_TIMEOUT_SLACK_MS;
	return (left < 1 ? 1 : (long)left);
}

/* Does dir hold OpenSSL's hash links ("5ad8a5d6.0"), as c_rehash and
 * update-ca-certificates make them?  A directory without would trust
 * nothing. */
static bool
http_ca_hashed(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	bool		 found = false;
	size_t		 i;

	if ((d = opendir(dir)) == NULL)
		return (false);
	while (!found && (de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 10 || strcmp(de->d_name + 8, ".0") != 0)
			continue;
		for (i = 0; i < 8 && isxdigit((unsigned char)de->d_name[i]); i++)
			;
		found = i == 8;
	}
	closedir(d);
	return (found);
}

/*
 * The CA certificates: where libcurl has both a bundle and a hashed
 * directory by default (Debian's: ca-certificates.crt and /etc/ssl/certs),
 * use the directory alone.  OpenSSL reads a bundle whole into every
 * handshake's store, about 880 KiB of heap for Debian's 144 certificates,
 * in each pod; from the directory it reads only the issuers it looks up.
 * The certificates trusted are the same ones.  Without a directory of
 * hash links the bundle stays.
 */
static CURLcode
http_ca(CURL *e)
{
	char	*capath = NULL;

	if (curl_easy_getinfo(e, CURLINFO_CAPATH, &capath) != CURLE_OK ||
	    capath == NULL || !http_ca_hashed(capath))
		return (CURLE_OK);
	return (curl_easy_setopt(e, CURLOPT_CAINFO, NULL));
}

/* Every option of the easy handle; -1 with a reason. */
static int
http_options(struct pod_http *h, struct runtime *rt, char *cause, size_t len)
{
	const struct wire_http	*r = &rt->http_req;
	const char		*method = http_method_of(r);
	CURL			*e = h->easy;
	CURLcode		 rc = CURLE_OK;

	rc |= curl_easy_setopt(e, CURLOPT_URL, r->url);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)POD_READ_CHUNK);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT,
	    "podvisor/" PACKAGE_VERSION_STR);
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->slist);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, http_timeout_ms(rt));
	if (strncasecmp(r->url, "https://", 8) == 0)
		rc |= http_ca(e);	/* its readdir costs 12 KiB of heap */
	if (r->body.len > 0) {
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->body.len);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.ptr);
	}
	if (strcmp(method, "HEAD") == 0)
		rc |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0 || r->body.len > 0)
		rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (rc != CURLE_OK) {
		snprintf(cause, len, "cannot set up the request: %s",
		    curl_easy_strerror(rc));
		return (-1);
	}
	return (0);
}

/* Make a timer or die trying (start-up only). */
static struct event *
http_event(struct pod_http *h, event_callback_fn cb)
{
	struct event	*ev;

	if ((ev = evtimer_new(h->rt->base, cb, h)) == NULL)
		fatalx("cannot make a timer");
	return (ev);
}

/* Start the transfer; -1 with a reason (it did not start). */
int
http_start(struct runtime *rt, char *cause, size_t len)
{
	struct pod_http	*h;

	h = rt->http = xcalloc(1, sizeof *h);
	h->rt = rt;
	h->end = HTTP_LIVE;
	h->timer = http_event(h, http_timer_event);
	h->stall = http_event(h, http_stall_event);
	h->later = http_event(h, http_later_event);
	if ((h->head = evbuffer_new()) == NULL)
		fatalx("out of memory");
	h->stall_ms = (int64_t)rt->term_grace_ms < HTTP_STALL_MIN_MS ?
	    HTTP_STALL_MIN_MS : (int64_t)rt->term_grace_ms;
	if (http_drop_identity(rt, cause, len) == -1)
		return (-1);
	/* libcurl's resolver thread (a host name, not an IP literal)
	 * would get a malloc arena of its own, 132 KiB mapped and 16 KiB
	 * touched: the one arena serves this runtime's few mallocs. */
	(void)mallopt(M_ARENA_MAX, 1);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(cause, len, "cannot initialise libcurl");
		return (-1);
	}
	h->global = true;
	if ((h->multi = curl_multi_init()) == NULL ||
	    (h->easy = curl_easy_init()) == NULL) {
		snprintf(cause, len, "cannot set up libcurl");
		return (-1);
	}
	if (http_headers(h, rt, cause, len) == -1 ||
	    http_options(h, rt, cause, len) == -1)
		return (-1);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK) {
		snprintf(cause, len, "cannot start the transfer");
		return (-1);
	}
	(void)timer_arm(h->stall, h->stall_ms);
	return (0);
}

/* Is the transfer still going? */
bool
http_live(struct runtime *rt)
{
	return (rt->http != NULL && rt->http->end == HTTP_LIVE);
}

/* Abort the transfer (sig: the signal that asked, 0: the cancel); the
 * work is deferred, so this is safe from anywhere. */
void
http_abort(struct runtime *rt, int sig)
{
	struct pod_http	*h = rt->http;

	if (!http_live(rt) || h->abort_asked)
		return;
	h->abort_asked = true;
	h->abort_signal = sig;
	event_active(h->later, EV_TIMEOUT, 0);
}

/* A signal for the workload: those that end a process abort the
 * transfer; those that stop, continue or are ignored by default do
 * nothing (pausing is pod_freeze's). */
void
http_signal(struct runtime *rt, int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return;
	default:
		http_abort(rt, sig);
	}
}

/* Pause or resume the transfer (podctl pause: nothing is read or sent
 * meanwhile, and no stall is counted). */
void
http_pause(struct runtime *rt, bool pause)
{
	struct pod_http	*h = rt->http;

	if (!http_live(rt) || h->paused == pause)
		return;
	h->paused = pause;
	(void)curl_easy_pause(h->easy, pause ? CURLPAUSE_ALL : CURLPAUSE_CONT);
	if (pause)
		evtimer_del(h->stall);
	else {
		(void)timer_arm(h->stall, h->stall_ms);
		http_after(h);	/* unpausing may have delivered data */
	}
}

/* MSG_ENDED for the transfer: exit code 0 for a 2xx status, else 1
 * with the status or the transport error; an abort by a signal is the
 * signal's, by the cancel exit code 1. */
void
http_fill_ended(struct runtime *rt, struct msg *m)
{
	struct pod_http	*h = rt->http;

	if (h->status >= 100 && h->status <= 999)
		m->u.ended.http_status = h->status;
	if (h->end == HTTP_ABORTED && h->abort_signal > 0) {
		m->u.ended.signal = h->abort_signal;
		return;
	}
	m->u.ended.exit_code = h->end == HTTP_COMPLETED && h->status >= 200 &&
	    h->status <= 299 ? 0 : 1;
	if (h->end == HTTP_FAILED)
		m->u.ended.error = h->error;
}

/* The exit entry's text. */
void
http_exit_text(struct runtime *rt, char *buf, size_t len)
{
	struct pod_http	*h = rt->http;

	switch (h->end) {
	case HTTP_COMPLETED:
		snprintf(buf, len, "HTTP status %ld: exit code %d", h->status,
		    h->status >= 200 && h->status <= 299 ? 0 : 1);
		break;
	case HTTP_FAILED:
		snprintf(buf, len, "transfer failed: exit code 1");
		break;
	case HTTP_ABORTED:
		if (h->abort_signal > 0)
			snprintf(buf, len, "transfer aborted by %s",
			    signal_name(h->abort_signal) != NULL ?
			    signal_name(h->abort_signal) : "a signal");
		else
			snprintf(buf, len, "transfer aborted by the cancel: "
			    "exit code 1");
		break;
	case HTTP_LIVE:
		snprintf(buf, len, "transfer still running");
		break;
	}
}

/* The spawn entry: the request line and its headers, redacted. */
void
http_log_request(struct runtime *rt)
{
	const struct wire_http	*r = &rt->http_req;
	struct evbuffer		*b;
	char			*s;
	size_t			 i;

	if ((b = evbuffer_new()) == NULL)
		return;
	s = http_redact_url(r->url);
	evbuffer_add_printf(b, "%s %s", http_method_of(r), s);
	free(s);
	for (i = 0; r->headers != NULL && r->headers[i] != NULL; i++) {
		s = http_redact_header(r->headers[i], strlen(r->headers[i]));
		evbuffer_add_printf(b, "\n%s", s);
		free(s);
	}
	if (r->body.len > 0)
		evbuffer_add_printf(b, "\n(%zu bytes of data)", r->body.len);
	if (seglog_append(rt->log, LOG_SPAWN, evbuffer_pullup(b, -1),
	    evbuffer_get_length(b)) == 0)
		pod_committed(rt);
	evbuffer_free(b);
}

/* Free everything (the runtime exits). */
void
http_free(struct runtime *rt)
{
	struct pod_http	*h = rt->http;

	if (h == NULL)
		return;
	http_release(h);
	if (h->global)
		curl_global_cleanup();
	event_free(h->timer);
	event_free(h->stall);
	event_free(h->later);
	evbuffer_free(h->head);
	free(h->error);
	free(h->chunk);
	free(h);
	rt->http = NULL;
}
