/*
 * The webhooks' own header: libcurl's multi interface on podvisord's
 * libevent loop (curlev.c), the receivers and their deliveries
 * (webhook.c), what an event says (webhook_event.c), and the durable
 * outbox in the registry's LMDB (outbox.c).
 */
#ifndef PODVISOR_WEBHOOK_H
#define PODVISOR_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct event;

#define WEBHOOK_ID_LEN		36	/* a UUID's text */
#define WEBHOOK_TYPE_MAX	16	/* "pod.ended", "pod.state" */

/* A transfer that ended; the easy handle is out of the multi handle and
 * belongs to the callback again. */
typedef void	(*curlev_done_fn)(CURL *, CURLcode, void *);

/* The undelivered events of one receiver, oldest first: outbox keys. */
struct keyq {
	uint64_t	*v;
	size_t		 first;
	size_t		 n;		/* from first */
	size_t		 size;
};

/* One event as the outbox stores it. */
struct outbox_rec {
	uint64_t	 key;
	int64_t		 created_ns;	/* wall clock: max-age outlives us */
	char		 id[WEBHOOK_ID_LEN + 1];
	char		 type[WEBHOOK_TYPE_MAX];
	char		*url;
	char		*body;
	size_t		 body_len;
};

/* A --webhook URL and the state of its deliveries. */
struct receiver {
	char		*url;		/* as given */
	char		*label;		/* without userinfo or query: for
					   logs and /metrics */
	/* outbox.c */
	struct keyq	 queue;		/* committed, undelivered */
	struct keyq	 staging;	/* added by the open transaction */
	size_t		 trimmed;	/* dropped by it, oldest first */
	/* webhook.c */
	CURL		*easy;		/* the delivery in flight, or NULL */
	struct curl_slist *headers;
	struct outbox_rec *cur;		/* the oldest event, being delivered */
	bool		 cur_failed;	/* it failed at least once */
	struct event	*retry_ev;
	int64_t		 backoff_ms;	/* the wait after the next failure */
	size_t		 answered;	/* bytes of answer body seen */
	char		 errbuf[CURL_ERROR_SIZE];
	uint64_t	 delivered;
	uint64_t	 failures;
	uint64_t	 dropped_age;
	uint64_t	 dropped_cap;
};

/* curlev.c */
int		 curlev_start(char *, size_t);
void		 curlev_stop(void);
int		 curlev_add(CURL *, curlev_done_fn, void *);
void		 curlev_remove(CURL *);

/* webhook.c */
struct receiver	*webhook_at(size_t);
struct receiver	*webhook_find(const char *);
void		 webhook_wake(struct receiver *);
void		 webhook_head_dropped(struct receiver *);

/* webhook_event.c */
const char	*webhook_event_type(struct pod *);
char		*webhook_event_body(struct pod *, const char *, const char *,
		     int64_t, size_t *);
void		 webhook_event_id(char *);

/* outbox.c */
size_t		 keyq_len(const struct keyq *);
uint64_t	 keyq_at(const struct keyq *, size_t);
struct outbox_rec *outbox_read(uint64_t);
void		 outbox_rec_free(struct outbox_rec *);
void		 outbox_pop(struct receiver *);

#endif
