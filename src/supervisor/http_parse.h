/*
 * What the HTTP API parses itself, with no evhttp in sight so that it can
 * be fuzzed (tests/fuzz/fuzz-http.c): the path, the query string, the
 * Last-Event-ID header, and the JSON bodies that become control
 * messages.  Every parser returns 0, or -1 with a one-line reason in
 * cause that the caller answers 400 with.
 */
#ifndef PODVISOR_HTTP_PARSE_H
#define PODVISOR_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "wire.h"

#define HQ_MAX		16	/* parameters in one query string */
#define HP_REF_MAX	64	/* a {pod}: an id or a name */
/* The longest message data: what podctl send takes, so that the control
 * frame it travels in stays under the frame limit. */
#define HB_DATA_MAX	(WIRE_FRAME_MAX - 4096)
/* The headers of an HTTP pod's request: podctl's --header limit. */
#define HB_HEADERS_MAX	256

/* The shapes of path the API has. */
enum hp_path {
	HP_PODS,		/* /v1/pods */
	HP_POD,			/* /v1/pods/{pod} */
	HP_POD_ACTION,		/* /v1/pods/{pod}/{action} */
	HP_EXACT		/* anything else: the path itself */
};

/* A query string's parameters, percent-decoded. */
struct hquery {
	size_t	 n;
	char	*key[HQ_MAX];
	char	*value[HQ_MAX];
};

/* What a parsed body's message points into; hbody_free releases it. */
struct hbody {
	json_t	 *doc;
	char	**argv;
	char	**env;
	char	 *parent;
	char	**headers;	/* an HTTP pod's, "Name: value" */
	char	 *data;		/* its body, when given as JSON */
};

/* The path, percent-decoded; NUL bytes and bad escapes are refused. */
int		 hp_path_decode(const char *, char **, char *, size_t);
/* Split a decoded path; *ref (the {pod}, allocated) and *action point
 * into it or are NULL. */
enum hp_path	 hp_path_split(const char *, char **, const char **);

/* Parse a raw query string (NULL: none): every parameter is KEY=VALUE,
 * no key twice.  q is hq_free'd by the caller either way. */
int		 hq_parse(const char *, struct hquery *, char *, size_t);
void		 hq_free(struct hquery *);
const char	*hq_get(const struct hquery *, const char *);
/* Is every key one of allowed (NULL-terminated) or "token"? */
int		 hq_only(const struct hquery *, const char *const *, char *,
		     size_t);
/* ?all=1: 1, true, yes or 0, false, no; false when absent. */
int		 hq_flag(const struct hquery *, const char *, bool *, char *,
		     size_t);
/* ?wait=DUR in ms; WIRE_NONE when absent. */
int		 hq_duration(const struct hquery *, const char *, int64_t *,
		     char *, size_t);
/* ?from=SEQ: a non-negative integer; 0 when absent. */
int		 hq_u64(const struct hquery *, const char *, uint64_t *, char *,
		     size_t);

/* Last-Event-ID (NULL or empty: 0): an event id, below UINT64_MAX so that
 * the next one is representable. */
int		 hp_event_id(const char *, uint64_t *, char *, size_t);

/* Bodies: an empty body is {}; unknown fields are refused.  Each fills a
 * fresh msg of its type; the caller adds the pod ref(s) and sends it,
 * then calls hbody_free, on success or not. */
int		 hb_spawn(const void *, size_t, struct msg *, struct hbody *,
		     char *, size_t);
int		 hb_stop(const void *, size_t, struct msg *, struct hbody *,
		     char *, size_t);
int		 hb_kill(const void *, size_t, struct msg *, struct hbody *,
		     char *, size_t);
int		 hb_message(const void *, size_t, struct msg *, struct hbody *,
		     char *, size_t);
/* A body for an endpoint that takes no fields: empty or {}. */
int		 hb_none(const void *, size_t, struct hbody *, char *, size_t);
void		 hbody_free(struct hbody *);

#endif
