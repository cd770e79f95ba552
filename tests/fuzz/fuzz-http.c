/*
 * fuzz-http: what the HTTP API parses itself (src/supervisor/http_parse.c)
 * before anything reaches the control channel.  The first byte picks the
 * parser ('q' query string, 'p' path, 'e' Last-Event-ID, 's' spawn body,
 * 't' stop body, 'k' kill body, 'm' message body, 'n' a body with no
 * fields; any other byte picks one by its value), the rest is its input.
 * A refusal must be one printable line; what is accepted must meet the
 * parser's contract, and a body's message must be one the wire sends and
 * reads back unchanged.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http_parse.h"

/* parse.c's limit, documented in podvisord(8): 30 days. */
#define DURATION_MAX_MS	(30LL * 24 * 3600 * 1000)

/* The typed getters on one parameter of a parsed query. */
static void
check_param(const struct hquery *q, const char *key, const char *value)
{
	char		 cause[256] = "";
	uint64_t	 u;
	int64_t		 ms;
	bool		 b;

	FUZZ_CHECK(hq_get(q, key) == value);
	if (hq_flag(q, key, &b, cause, sizeof cause) == 0)
		FUZZ_CHECK(strcmp(value, b ? "1" : "0") == 0 ||
		    strcmp(value, b ? "true" : "false") == 0 ||
		    strcmp(value, b ? "yes" : "no") == 0);
	else
		FUZZ_CHECK(fuzz_cause_ok(cause));
	if (hq_u64(q, key, &u, cause, sizeof cause) == 0)
		FUZZ_CHECK(strspn(value, "0123456789") == strlen(value) &&
		    *value != '\0' && u == strtoull(value, NULL, 10));
	else
		FUZZ_CHECK(fuzz_cause_ok(cause));
	if (hq_duration(q, key, &ms, cause, sizeof cause) == 0)
		FUZZ_CHECK(ms >= 0 && ms <= DURATION_MAX_MS);
	else
		FUZZ_CHECK(fuzz_cause_ok(cause) && ms == WIRE_NONE);
}

/* A query string: at most HQ_MAX distinct, non-empty keys. */
static void
check_query(const char *s)
{
	static const char *const allowed[] = { "all", "wait", "from", NULL };
	struct hquery	 q;
	const char	*keys[HQ_MAX + 1];
	char		 cause[256] = "";
	size_t		 i, j;

	if (hq_parse(s, &q, cause, sizeof cause) == -1) {
		FUZZ_CHECK(fuzz_cause_ok(cause));
		hq_free(&q);
		return;
	}
	FUZZ_CHECK(q.n <= HQ_MAX && (q.n > 0) == (*s != '\0'));
	for (i = 0; i < q.n; i++) {
		FUZZ_CHECK(q.key[i][0] != '\0');
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(q.key[i], q.key[j]) != 0);
		check_param(&q, q.key[i], q.value[i]);
	}
	if (hq_only(&q, allowed, cause, sizeof cause) == -1)
		FUZZ_CHECK(fuzz_cause_ok(cause));
	for (i = 0; i < q.n; i++)
		keys[i] = q.key[i];
	keys[q.n] = NULL;
	FUZZ_CHECK(hq_only(&q, keys, cause, sizeof cause) == 0);
	hq_free(&q);
}

/* A path: decoding never grows it; a {pod} and an action hold no '/'. */
static void
check_path(const char *s)
{
	enum hp_path	 kind;
	const char	*action;
	char		*decoded, *ref, cause[256] = "";

	if (hp_path_decode(s, &decoded, cause, sizeof cause) == -1) {
		FUZZ_CHECK(fuzz_cause_ok(cause));
		return;
	}
	FUZZ_CHECK(strlen(decoded) <= strlen(s));
	kind = hp_path_split(decoded, &ref, &action);
	FUZZ_CHECK((ref != NULL) == (kind == HP_POD ||
	    kind == HP_POD_ACTION || (kind == HP_EXACT && action != NULL)));
	if (kind == HP_POD || kind == HP_POD_ACTION)
		FUZZ_CHECK(strchr(ref, '/') == NULL);
	if (kind == HP_POD_ACTION)
		FUZZ_CHECK(strchr(action, '/') == NULL);
	free(ref);
	free(decoded);
}

/* Last-Event-ID: decimal, and never the largest id (its next wraps). */
static void
check_event_id(const char *s)
{
	uint64_t	 id;
	char		 cause[256] = "";

	if (hp_event_id(s, &id, cause, sizeof cause) == -1) {
		FUZZ_CHECK(fuzz_cause_ok(cause) && id == 0);
		return;
	}
	FUZZ_CHECK(id < UINT64_MAX);
	FUZZ_CHECK(*s == '\0' ? id == 0 : id == strtoull(s, NULL, 10));
}

/* What an accepted spawn must be. */
static void
check_spawn(const struct msg_spawn *s)
{
	char	 cause[256];
	size_t	 i;

	FUZZ_CHECK(s->cwd != NULL);
	/* A command or an HTTP request podctl would take, never both. */
	if (s->http.url != NULL) {
		FUZZ_CHECK(s->argv == NULL);
		FUZZ_CHECK(http_check_request(&s->http, cause,
		    sizeof cause) == 0);
		for (i = 0; s->http.headers != NULL &&
		    s->http.headers[i] != NULL; i++)
			FUZZ_CHECK(strchr(s->http.headers[i], ':') != NULL);
	} else
		FUZZ_CHECK(s->argv != NULL && s->argv[0] != NULL &&
		    s->http.method == NULL && s->http.headers == NULL &&
		    s->http.body.len == 0 && s->http.on_cancel == NULL);
	for (i = 0; s->env != NULL && s->env[i] != NULL; i++)
		FUZZ_CHECK(strchr(s->env[i], '=') > s->env[i]);
	FUZZ_CHECK(s->spec.stop_signal == WIRE_NONE ||
	    (s->spec.stop_signal >= 1 && s->spec.stop_signal <= 64));
}

/* A body for parser `which`; an accepted one round-trips on the wire. */
static void
check_body(int which, const uint8_t *data, size_t size)
{
	struct hbody	 b;
	struct msg	 m;
	char		*pods[2] = { "web", NULL }, cause[256] = "";
	int		 rc;

	switch (which) {
	case 's':
		rc = hb_spawn(data, size, &m, &b, cause, sizeof cause);
		break;
	case 't':
		rc = hb_stop(data, size, &m, &b, cause, sizeof cause);
		m.u.stop.pods = pods;
		break;
	case 'k':
		rc = hb_kill(data, size, &m, &b, cause, sizeof cause);
		m.u.kill.pod = pods[0];
		FUZZ_CHECK(rc == -1 || (m.u.kill.signal >= 1 &&
		    m.u.kill.signal <= 64));
		break;
	case 'm':
		rc = hb_message(data, size, &m, &b, cause, sizeof cause);
		m.u.send.pod = pods[0];
		break;
	default:
		rc = hb_none(data, size, &b, cause, sizeof cause);
		FUZZ_CHECK(rc == -1 || json_object_size(b.doc) == 0);
		hbody_free(&b);
		FUZZ_CHECK(rc == 0 || fuzz_cause_ok(cause));
		return;
	}
	if (rc == 0) {
		if (which == 's')
			check_spawn(&m.u.spawn);
		fuzz_roundtrip(&m);
	} else
		FUZZ_CHECK(fuzz_cause_ok(cause));
	hbody_free(&b);
}

/* Pick the parser, give it the rest. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 which[] = "qpestkmn";
	char			*s;
	int			 w;

	if (size == 0)
		return (0);
	w = strchr(which, data[0]) != NULL && data[0] != '\0' ? data[0] :
	    which[data[0] % (sizeof which - 1)];
	data++;
	size--;
	if (w == 's' || w == 't' || w == 'k' || w == 'm' || w == 'n') {
		check_body(w, data, size);
		return (0);
	}
	s = malloc(size + 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	if (w == 'q')
		check_query(s);
	else if (w == 'p')
		check_path(s);
	else
		check_event_id(s);
	free(s);
	return (0);
}
