/*
 * Webhook receivers and their deliveries.  Each --webhook URL is a
 * receiver with its own queue in the outbox (outbox.c) and at most one
 * POST in flight, so that it sees its events in order.  A 2xx answer
 * delivers the oldest event; anything else (another status, no answer
 * within the timeouts, a refused connection, a TLS failure, a redirect:
 * they are not followed) is retried after a back-off of 1 s doubling to
 * 5 min, until the event is older than --webhook-max-age, when it is
 * dropped with a log line and counted.
 *
 * A receiver can cost podvisord only one transfer at a time and at most
 * WEBHOOK_ANSWER_MAX bytes of its answer, and never holds up the loop:
 * transfers run on libcurl's multi interface (curlev.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "supervisor.h"
#include "webhook.h"

#define WEBHOOK_CONNECT_MS	5000	/* to connect (and TLS) */
#define WEBHOOK_TOTAL_MS	15000	/* the whole request */
#define WEBHOOK_ANSWER_MAX	(64 * 1024)	/* answer bytes read, then
						   the connection is cut */
#define WEBHOOK_BACKOFF_MS	1000	/* the first retry's wait */
#define WEBHOOK_BACKOFF_MAX_MS	(5 * 60 * 1000)
#define WEBHOOK_DRAIN_MS	2000	/* at shutdown, for what is sending */
#define WEBHOOK_SECRET_MAX	4096

static struct receiver	*receivers;
static size_t		 nreceivers;
static uint8_t		*secret;
static size_t		 secret_len;
static struct event	*drain_ev;	/* the shutdown's drain deadline */
static bool		 drain_over;

static void	receiver_send(struct receiver *);
static void	receiver_retry_cb(int, short, void *);

/*
 * Configuration, before anything starts.
 */

/* A copy of s fit for a Prometheus label value. */
static char *
label_escape(const char *s)
{
	char	*out = xmalloc(2 * strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			*o++ = '\\';
		*o++ = *s == '\n' ? 'n' : *s;
	}
	*o = '\0';
	return (out);
}

/* "scheme://host:port/path" of a URL, for logs and metrics: no userinfo
 * or query, where secrets hide.  NULL with a cause if the URL is not one
 * podvisord will POST to. */
static char *
webhook_label(const char *url, char *cause, size_t len)
{
	CURLU	*u = curl_url();
	char	*scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char	*label = NULL, *escaped = NULL;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0))
		snprintf(cause, len, "--webhook: '%s' is not an http:// or "
		    "https:// URL", url);
	else {
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
		curl_url_get(u, CURLUPART_PATH, &path, 0);
		xasprintf(&label, "%s://%s:%s%s", scheme, host,
		    port ? port : "?", path ? path : "/");
		escaped = label_escape(label);
		free(label);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return (escaped);
}

/* --webhook-secret-file: its contents, without a trailing newline. */
static int
webhook_read_secret(char *cause, size_t len)
{
	uint8_t	 buf[WEBHOOK_SECRET_MAX + 2];
	ssize_t	 n;
	size_t	 got = 0;
	int	 fd;

	if ((fd = open(sv.webhook_secret_file, O_RDONLY | O_CLOEXEC)) == -1)
		return (snprintf(cause, len, "--webhook-secret-file: cannot "
		    "read %s: %s", sv.webhook_secret_file, strerror(errno)),
		    -1);
	while (got < sizeof buf && (n = read(fd, buf + got,
	    sizeof buf - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	if (got == 0 || got > WEBHOOK_SECRET_MAX)
		return (snprintf(cause, len, "--webhook-secret-file %s: a "
		    "secret is 1 to %d bytes", sv.webhook_secret_file,
		    WEBHOOK_SECRET_MAX), -1);
	secret = xmalloc(got);
	memcpy(secret, buf, got);
	secret_len = got;
	explicit_bzero(buf, sizeof buf);
	return (0);
}

/* Check the --webhook options and make the receivers; -1 with a cause
 * (a usage error: nothing has started). */
int
webhook_configure(char *cause, size_t len)
{
	size_t	i, j;

	if (sv.nwebhooks == 0) {
		if (sv.webhook_secret_file == NULL && !sv.webhook_options)
			return (0);
		return (snprintf(cause, len, "the --webhook-* options need "
		    "at least one --webhook URL"), -1);
	}
	receivers = xcalloc(sv.nwebhooks, sizeof *receivers);
	for (i = 0; i < sv.nwebhooks; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(sv.webhooks[i], sv.webhooks[j]) == 0)
				return (snprintf(cause, len, "--webhook %s "
				    "given twice", sv.webhooks[i]), -1);
		}
		if ((receivers[i].label = webhook_label(sv.webhooks[i], cause,
		    len)) == NULL)
			return (-1);
		receivers[i].url = sv.webhooks[i];
		receivers[i].backoff_ms = WEBHOOK_BACKOFF_MS;
		nreceivers++;
	}
	if (sv.webhook_secret_file != NULL)
		return (webhook_read_secret(cause, len));
	return (0);
}

/* Start libcurl on the loop (before the registry loads the outbox). */
int
webhook_start(char *cause, size_t len)
{
	size_t	i;

	if (nreceivers == 0)
		return (0);
	if (curlev_start(cause, len) == -1)
		return (-1);
	for (i = 0; i < nreceivers; i++)
		receivers[i].retry_ev = evtimer_new(sv.base, receiver_retry_cb,
		    &receivers[i]);
	return (0);
}

/* After the registry loaded the outbox: deliver what was left. */
void
webhook_resume(void)
{
	size_t	i;

	for (i = 0; i < nreceivers; i++) {
		if (keyq_len(&receivers[i].queue) > 0)
			log_info("webhook %s: %zu undelivered events from "
			    "before", receivers[i].label,
			    keyq_len(&receivers[i].queue));
		webhook_wake(&receivers[i]);
	}
}

size_t
webhook_count(void)
{
	return (nreceivers);
}

/* The i-th receiver, NULL past the last. */
struct receiver *
webhook_at(size_t i)
{
	return (i < nreceivers ? &receivers[i] : NULL);
}

/* The receiver of this URL, or NULL. */
struct receiver *
webhook_find(const char *url)
{
	size_t	i;

	for (i = 0; i < nreceivers; i++) {
		if (strcmp(receivers[i].url, url) == 0)
			return (&receivers[i]);
	}
	return (NULL);
}

/*
 * Deliveries.
 */

/* "sha256=HEX": the body's HMAC-SHA256 with the secret as key. */
static void
webhook_signature(const struct outbox_rec *r, char *out, size_t len)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;
	size_t		o;

	HMAC(EVP_sha256(), secret, (int)secret_len,
	    (const unsigned char *)r->body, r->body_len, md, &mdlen);
	o = (size_t)snprintf(out, len, "X-Podvisor-Signature: sha256=");
	for (i = 0; i < mdlen && o + 3 <= len; i++, o += 2)
		snprintf(out + o, 3, "%02x", md[i]);
}

/* The request's headers. */
static struct curl_slist *
webhook_headers(const struct outbox_rec *r)
{
	struct curl_slist	*h = NULL;
	char			 line[256];

	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof line, "X-Podvisor-Event: %s", r->type);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Podvisor-Delivery: %s", r->id);
	h = curl_slist_append(h, line);
	if (secret != NULL) {
		webhook_signature(r, line, sizeof line);
		h = curl_slist_append(h, line);
	}
	/* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
	h = curl_slist_append(h, "Expect:");
	return (h);
}

/* curl: answer bytes.  Read (and forget) a small answer, so that the
 * connection can serve the next event; cut a large one short. */
static size_t
webhook_answer(char *data, size_t size, size_t n, void *arg)
{
	struct receiver	*rcv = arg;

	rcv->answered += n;
	return (rcv->answered > WEBHOOK_ANSWER_MAX ? 0 : n);
}

/* Free the transfer's handle and headers. */
static void
receiver_clear(struct receiver *rcv, CURL *easy)
{
	curl_easy_cleanup(easy);
	curl_slist_free_all(rcv->headers);
	rcv->headers = NULL;
	rcv->easy = NULL;
}

/* Has the event outlived --webhook-max-age? */
static bool
event_expired(const struct outbox_rec *r)
{
	return (now_ns() - r->created_ns >= sv.webhook_max_age_ms * 1000000);
}

/* Give up on the oldest event: log, count, delete it. */
static void
receiver_drop(struct receiver *rcv, const char *why)
{
	log_warnx("webhook %s: dropping event %s (%s) after %" PRId64 " s: %s",
	    rcv->label, rcv->cur->id, rcv->cur->type,
	    (now_ns() - rcv->cur->created_ns) / 1000000000, why);
	rcv->dropped_age++;
	outbox_rec_free(rcv->cur);
	rcv->cur = NULL;
	outbox_pop(rcv);
}

/* A delivery failed: try again after the back-off (never beyond the
 * event's max age), or drop the event once it is too old. */
static void
receiver_failed(struct receiver *rcv, const char *why)
{
	int64_t	left;

	rcv->failures++;
	if (!rcv->cur_failed)
		log_warnx("webhook %s: event %s not delivered: %s (retrying)",
		    rcv->label, rcv->cur->id, why);
	else
		log_debug("webhook %s: event %s not delivered: %s",
		    rcv->label, rcv->cur->id, why);
	rcv->cur_failed = true;
	left = (rcv->cur->created_ns + sv.webhook_max_age_ms * 1000000 -
	    now_ns()) / 1000000;
	if (left <= 0) {
		receiver_drop(rcv, "undelivered for --webhook-max-age");
		timer_arm(rcv->retry_ev, 0);	/* on to the next */
		return;
	}
	timer_arm(rcv->retry_ev, rcv->backoff_ms < left ? rcv->backoff_ms :
	    left);
	rcv->backoff_ms *= 2;
	if (rcv->backoff_ms > WEBHOOK_BACKOFF_MAX_MS)
		rcv->backoff_ms = WEBHOOK_BACKOFF_MAX_MS;
}

/* A POST ended. */
static void
receiver_done(CURL *easy, CURLcode result, void *arg)
{
	struct receiver	*rcv = arg;
	long		 code = 0;
	char		 why[CURL_ERROR_SIZE + 32];
	bool		 cut = result == CURLE_WRITE_ERROR &&
			    rcv->answered > WEBHOOK_ANSWER_MAX;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (result != CURLE_OK && !cut)
		snprintf(why, sizeof why, "%s", rcv->errbuf[0] ? rcv->errbuf :
		    curl_easy_strerror(result));
	else
		snprintf(why, sizeof why, "HTTP status %ld", code);
	receiver_clear(rcv, easy);
	if (sv.shutting_down)
		sv_kick();		/* the drain may be over */
	if ((result != CURLE_OK && !cut) || code < 200 || code > 299) {
		receiver_failed(rcv, why);
		return;
	}
	rcv->delivered++;
	if (rcv->cur_failed)
		log_info("webhook %s: event %s delivered", rcv->label,
		    rcv->cur->id);
	rcv->backoff_ms = WEBHOOK_BACKOFF_MS;
	outbox_rec_free(rcv->cur);
	rcv->cur = NULL;
	outbox_pop(rcv);
	receiver_send(rcv);
}

/* POST the oldest event (rcv->cur); -1 if curl would not start it. */
static int
receiver_post(struct receiver *rcv)
{
	CURL	*easy;

	if ((easy = curl_easy_init()) == NULL)
		return (-1);
	rcv->headers = webhook_headers(rcv->cur);
	rcv->answered = 0;
	rcv->errbuf[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, rcv->url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)WEBHOOK_CONNECT_MS);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TOTAL_MS);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "podvisord/"
	    PACKAGE_VERSION_STR);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, rcv->headers);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, rcv->cur->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)rcv->cur->body_len);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, webhook_answer);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, rcv);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, rcv->errbuf);
	rcv->easy = easy;
	if (curlev_add(easy, receiver_done, rcv) == -1) {
		receiver_clear(rcv, easy);
		return (-1);
	}
	return (0);
}

/* Deliver the oldest event, skipping any that is unreadable or too old. */
static void
receiver_send(struct receiver *rcv)
{
	uint64_t	key;

	while (rcv->easy == NULL && keyq_len(&rcv->queue) > 0) {
		key = keyq_at(&rcv->queue, 0);
		if (rcv->cur == NULL) {
			if ((rcv->cur = outbox_read(key)) == NULL) {
				log_warnx("webhook %s: outbox record %" PRIu64
				    " is unreadable: dropped", rcv->label,
				    key - OUTBOX_KEY_BASE);
				outbox_pop(rcv);
				continue;
			}
			rcv->cur_failed = false;
		}
		/* One that failed is tried once more at its max age (see
		 * receiver_failed); one never tried is dropped at once. */
		if (!rcv->cur_failed && event_expired(rcv->cur)) {
			receiver_drop(rcv, "older than --webhook-max-age");
			continue;
		}
		if (receiver_post(rcv) == -1)
			receiver_failed(rcv, "libcurl would not start it");
		return;
	}
}

/* The back-off is over. */
static void
receiver_retry_cb(int fd, short what, void *arg)
{
	receiver_send(arg);
}

/* New events for the receiver: start unless it is busy or backing off
 * (or libcurl is gone: the registry's last write at exit commits events
 * for the next start). */
void
webhook_wake(struct receiver *rcv)
{
	if (rcv->retry_ev != NULL && rcv->easy == NULL &&
	    !evtimer_pending(rcv->retry_ev, NULL))
		receiver_send(rcv);
}

/* The cap dropped the receiver's oldest event: stop delivering it. */
void
webhook_head_dropped(struct receiver *rcv)
{
	if (rcv->cur == NULL || rcv->cur->key != keyq_at(&rcv->queue, 0))
		return;
	if (rcv->easy != NULL) {
		curlev_remove(rcv->easy);
		receiver_clear(rcv, rcv->easy);
	}
	outbox_rec_free(rcv->cur);
	rcv->cur = NULL;
}

/*
 * Shutdown.
 */

static void
drain_over_cb(int fd, short what, void *arg)
{
	drain_over = true;
	sv_kick();
}

/* At shutdown, once every pod is terminal: should the loop go on a
 * little, for the last events being sent?  For WEBHOOK_DRAIN_MS at most;
 * whatever is left is delivered after the next start. */
bool
webhook_draining(void)
{
	size_t	i;

	if (nreceivers == 0 || drain_over)
		return (false);
	for (i = 0; i < nreceivers && receivers[i].easy == NULL; i++)
		;
	if (i == nreceivers)
		return (false);
	if (drain_ev == NULL) {
		drain_ev = evtimer_new(sv.base, drain_over_cb, NULL);
		timer_arm(drain_ev, WEBHOOK_DRAIN_MS);
	}
	return (true);
}

/* Abort what is in flight and close libcurl (the outbox keeps it all). */
void
webhook_stop(void)
{
	struct receiver	*rcv;
	size_t		 i;

	for (i = 0; i < nreceivers; i++) {
		rcv = &receivers[i];
		if (rcv->easy != NULL) {
			curlev_remove(rcv->easy);
			receiver_clear(rcv, rcv->easy);
		}
		outbox_rec_free(rcv->cur);
		rcv->cur = NULL;
		if (rcv->retry_ev != NULL)
			event_free(rcv->retry_ev);
		rcv->retry_ev = NULL;
	}
	if (drain_ev != NULL)
		event_free(drain_ev);
	drain_ev = NULL;
	curlev_stop();
}

/* Free the receivers (after the registry wrote its last deletions). */
void
webhook_free(void)
{
	size_t	i;

	outbox_close();
	for (i = 0; i < nreceivers; i++)
		free(receivers[i].label);
	free(receivers);
	receivers = NULL;
	nreceivers = 0;
	if (secret != NULL)
		explicit_bzero(secret, secret_len);
	free(secret);
	secret = NULL;
}

/*
 * What podctl status and /metrics show.
 */

/* A counter's header. */
static void
series_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* The webhook series of GET /metrics, by receiver (its label). */
void
webhook_metrics(struct evbuffer *b)
{
	struct receiver	*r;
	size_t		 i;

	series_head(b, "podvisor_webhook_pending", "gauge", "Events not yet "
	    "delivered.");
	for (i = 0; (r = webhook_at(i)) != NULL; i++)
		evbuffer_add_printf(b, "podvisor_webhook_pending{receiver="
		    "\"%s\"} %zu\n", r->label, keyq_len(&r->queue));
	series_head(b, "podvisor_webhook_delivered_total", "counter",
	    "Events delivered (answered 2xx).");
	for (i = 0; (r = webhook_at(i)) != NULL; i++)
		evbuffer_add_printf(b, "podvisor_webhook_delivered_total"
		    "{receiver=\"%s\"} %" PRIu64 "\n", r->label, r->delivered);
	series_head(b, "podvisor_webhook_failures_total", "counter",
	    "Delivery attempts that failed (and were retried).");
	for (i = 0; (r = webhook_at(i)) != NULL; i++)
		evbuffer_add_printf(b, "podvisor_webhook_failures_total"
		    "{receiver=\"%s\"} %" PRIu64 "\n", r->label, r->failures);
	series_head(b, "podvisor_webhook_dropped_total", "counter", "Events "
	    "dropped undelivered: older than --webhook-max-age (max-age), or "
	    "over --webhook-max-pending (cap).");
	for (i = 0; (r = webhook_at(i)) != NULL; i++)
		evbuffer_add_printf(b, "podvisor_webhook_dropped_total{receiver="
		    "\"%s\",reason=\"max-age\"} %" PRIu64 "\n"
		    "podvisor_webhook_dropped_total{receiver=\"%s\",reason="
		    "\"cap\"} %" PRIu64 "\n", r->label, r->dropped_age,
		    r->label, r->dropped_cap);
}
