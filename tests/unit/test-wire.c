/*
 * Unit tests for the wire layer: the codec (round trips and every way a
 * payload can be malformed), framing, the peer layer over socketpairs,
 * and the parsers.  No framework: each failed check prints a line, and
 * the last line counts them.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <msgpack.h>

#include "wire.h"
#include "seglog.h"

static int	passed, failed;

#define CHECK(c)	check((c), #c, __LINE__)
#define CHECK_STR(a, b)	check_str((a), (b), #a, __LINE__)

/* Count one check; print it if it failed. */
static bool
check(bool ok, const char *what, int line)
{
	if (ok)
		passed++;
	else {
		failed++;
		printf("FAIL line %d: %s\n", line, what);
	}
	return (ok);
}

/* Check that a string is what was expected, showing both if not. */
static bool
check_str(const char *got, const char *want, const char *what, int line)
{
	if (got != NULL && want != NULL && strcmp(got, want) == 0) {
		passed++;
		return (true);
	}
	failed++;
	printf("FAIL line %d: %s is \"%s\", expected \"%s\"\n", line, what,
	    got == NULL ? "(null)" : got, want == NULL ? "(null)" : want);
	return (false);
}

/*
 * The test's own description of every message, written independently of
 * msg.c: wire names must equal the member names listed here.
 */
enum tkind { K_U64, K_I64, K_BOOL, K_STR, K_STRV, K_BIN, K_U64V, K_F64,
	K__COUNT };

#define T_REQ	1
#define T_NE	2

struct tfield {
	const char	*name;
	enum tkind	 kind;
	size_t		 off;
	int		 flags;
};

#define TF(t, m, k, fl)	{ #m, K_##k, offsetof(struct msg_##t, m), fl }
/* Members whose wire key is not their own name: the embedded spec. */
#define TFN(t, m, key, k, fl) { key, K_##k, offsetof(struct msg_##t, m), fl }
#define TSPEC(t) TFN(t, spec.cancel_grace_ms, "cancel_grace_ms", I64, 0),	\
	TFN(t, spec.term_grace_ms, "term_grace_ms", I64, 0),			\
	TFN(t, spec.stop_signal, "stop_signal", I64, 0),			\
	TFN(t, spec.timeout_ms, "timeout_ms", I64, 0),				\
	TFN(t, spec.heartbeat_ms, "heartbeat_ms", I64, 0),			\
	TFN(t, spec.max_extend_ms, "max_extend_ms", I64, 0),			\
	TFN(t, spec.max_restarts, "max_restarts", I64, 0),			\
	TFN(t, spec.restart_delay_ms, "restart_delay_ms", I64, 0),		\
	TLIMITS(t, spec.limits)
#define TLIMITS(t, l) TFN(t, l[0], "limit_nofile", I64, 0),		\
	TFN(t, l[1], "limit_nproc", I64, 0), TFN(t, l[2], "limit_as", I64, 0),	\
	TFN(t, l[3], "limit_cpu", I64, 0)
#define RQ		T_REQ
#define NE		(T_REQ | T_NE)

static const struct tfield t_hello[] = { TF(hello, version, U64, RQ),
	TF(hello, handles, STRV, 0), TF(hello, pid, U64, 0) };
static const struct tfield t_error[] = { TF(error, code, STR, RQ),
	TF(error, message, STR, RQ) };
static const struct tfield t_ok[] = { TF(ok, id, U64, 0), TF(ok, seq, U64, 0) };
static const struct tfield t_end[] = { TF(end, missing, STRV, 0) };
/* An HTTP pod's request, embedded as http. */
#define THTTP(t) TFN(t, http.url, "http_url", STR, 0),				\
	TFN(t, http.method, "http_method", STR, 0),				\
	TFN(t, http.headers, "http_headers", STRV, 0),				\
	TFN(t, http.body, "http_body", BIN, 0),					\
	TFN(t, http.on_cancel, "http_on_cancel", STR, 0)
/* argv is optional on the wire (an HTTP pod has none): spawn.c checks. */
static const struct tfield t_spawn[] = { TF(spawn, argv, STRV, 0),
	TF(spawn, cwd, STR, RQ), TF(spawn, env, STRV, 0),
	TF(spawn, inherit_env, BOOL, 0), TF(spawn, name, STR, 0),
	TF(spawn, parent, STR, 0), TF(spawn, on_parent_exit, STR, 0),
	TF(spawn, restart, STR, 0), TSPEC(spawn), THTTP(spawn) };
static const struct tfield t_stop[] = { TF(stop, pods, STRV, NE),
	TF(stop, reason, STR, 0), TF(stop, cancel_grace_ms, I64, 0),
	TF(stop, term_grace_ms, I64, 0), TF(stop, wait, BOOL, 0) };
static const struct tfield t_kill[] = { TF(kill, pod, STR, RQ),
	TF(kill, signal, U64, RQ) };
static const struct tfield t_status[] = { TF(status, pod, STR, 0),
	TF(status, all, BOOL, 0), TF(status, json, BOOL, 0) };
static const struct tfield t_logs[] = { TF(logs, pod, STR, RQ),
	TF(logs, from, U64, 0), TF(logs, tail, U64, 0),
	TF(logs, follow, BOOL, 0) };
static const struct tfield t_wait[] = { TF(wait, pods, STRV, NE),
	TF(wait, tree, BOOL, 0) };
static const struct tfield t_send[] = { TF(send, pod, STR, RQ),
	TF(send, data, BIN, RQ), TF(send, priority, STR, 0),
	TF(send, key, STR, 0), TF(send, preempt, BOOL, 0) };
static const struct tfield t_inspect[] = { TF(inspect, pod, STR, RQ) };
static const struct tfield t_rm[] = { TF(rm, pods, STRV, NE) };
static const struct tfield t_pause[] = { TF(pause, pods, STRV, 0),
	TF(pause, wait, BOOL, 0) };
static const struct tfield t_resume[] = { TF(resume, pods, STRV, 0) };
static const struct tfield t_paused[] = { TF(paused, frozen, BOOL, 0) };
static const struct tfield t_pod[] = { TF(pod, id, U64, RQ),
	TF(pod, name, STR, 0), TF(pod, parent, I64, 0),
	TF(pod, state, STR, RQ), TF(pod, pid, I64, 0),
	TF(pod, runtime_pid, I64, 0), TF(pod, argv, STRV, 0),
	TF(pod, cwd, STR, 0), TF(pod, exit_code, I64, 0),
	TF(pod, signal, I64, 0), TF(pod, reason, STR, 0),
	TF(pod, error, STR, 0), TF(pod, owner, U64, 0),
	TF(pod, created_at, I64, 0), TF(pod, started_at, I64, 0),
	TF(pod, ended_at, I64, 0), TF(pod, stop_requested_at, I64, 0),
	TF(pod, stage_left_ms, I64, 0), TF(pod, on_parent_exit, STR, 0),
	TF(pod, leftovers, U64, 0), TF(pod, log_seq, U64, 0),
	TF(pod, children, U64V, 0), TF(pod, log_max, U64, 0), TSPEC(pod),
	TF(pod, api, BOOL, 0), TF(pod, queued, U64, 0),
	TF(pod, paused_at, I64, 0), TF(pod, cause, STRV, 0),
	TF(pod, next_stage_at, I64, 0),
	TF(pod, cancel_acked_at, I64, 0), TF(pod, status_text, STR, 0),
	TF(pod, progress, F64, 0), TF(pod, heartbeat_at, I64, 0),
	TF(pod, result, BIN, 0), TF(pod, http_url, STR, 0),
	TF(pod, http_method, STR, 0), TF(pod, http_on_cancel, STR, 0),
	TF(pod, http_status, I64, 0), TF(pod, restart, STR, 0),
	TF(pod, restarts, U64, 0), TF(pod, restart_wait_ms, I64, 0),
	TF(pod, restart_at, I64, 0), TF(pod, env, STRV, 0),
	TF(pod, gid, I64, 0) };
static const struct tfield t_entry[] = { TF(entry, seq, U64, RQ),
	TF(entry, ts, I64, RQ), TF(entry, kind, STR, RQ),
	TF(entry, data, BIN, 0) };
static const struct tfield t_json[] = { TF(json, text, BIN, RQ) };
static const struct tfield t_start[] = { TF(start, id, U64, RQ),
	TF(start, argv, STRV, NE), TF(start, env, STRV, 0),
	TF(start, cwd, STR, RQ), TF(start, dir, STR, RQ),
	TF(start, stop_signal, U64, RQ), TF(start, cancel_grace_ms, U64, 0),
	TF(start, term_grace_ms, U64, 0),
	TF(start, uid, I64, 0),
	TF(start, gid, I64, 0), TF(start, groups, U64V, 0),
	TF(start, nofile_soft, I64, 0), TF(start, log_max, U64, 0),
	TLIMITS(start, limits), TF(start, name, STR, 0),
	TF(start, parent, I64, 0), TF(start, timeout_at, I64, 0),
	THTTP(start) };
static const struct tfield t_cancel[] = { TF(cancel, reason, STR, RQ),
	TF(cancel, requested_by, STR, 0), TF(cancel, deadline, I64, 0) };
static const struct tfield t_signal[] = { TF(signal, signal, U64, RQ),
	TF(signal, tree, BOOL, 0) };
static const struct tfield t_notify[] = { TF(notify, data, BIN, RQ),
	TF(notify, priority, STR, 0), TF(notify, key, STR, 0),
	TF(notify, preempted, U64V, 0) };
static const struct tfield t_record[] = { TF(record, kind, STR, RQ),
	TF(record, data, BIN, 0) };
static const struct tfield t_started[] = { TF(started, pid, U64, RQ) };
static const struct tfield t_logged[] = { TF(logged, seq, U64, RQ),
	TF(logged, queued, U64, 0) };
static const struct tfield t_notified[] = { TF(notified, seq, U64, RQ) };
static const struct tfield t_ended[] = { TF(ended, exit_code, I64, 0),
	TF(ended, signal, I64, 0), TF(ended, error, STR, 0),
	TF(ended, http_status, I64, 0) };
static const struct tfield t_response[] = { TF(response, status, U64, RQ) };
static const struct tfield t_exited[] = { TF(exited, leftovers, U64, 0),
	TF(exited, unsynced, BOOL, 0) };
static const struct tfield t_api[] = { TF(api, handles, STRV, 0) };
static const struct tfield t_welcome[] = { TF(welcome, id, U64, RQ),
	TF(welcome, name, STR, 0), TF(welcome, parent, I64, 0),
	TF(welcome, deadline, I64, 0) };
static const struct tfield t_extend[] = { TF(extend, ms, U64, RQ),
	TF(extend, why, STR, 0) };
static const struct tfield t_extended[] = { TF(extended, deadline, I64, RQ) };
static const struct tfield t_log[] = { TF(log, level, STR, RQ),
	TF(log, message, BIN, RQ), TF(log, fields, BIN, 0) };
static const struct tfield t_report[] = { TF(report, text, STR, 0),
	TF(report, progress, F64, 0) };
static const struct tfield t_result[] = { TF(result, data, BIN, RQ) };
static const struct tfield t_message[] = { TF(message, seq, U64, RQ),
	TF(message, priority, STR, RQ), TF(message, key, STR, 0),
	TF(message, data, BIN, 0), TF(message, preempted, U64V, 0) };
static const struct tfield t_child[] = { TF(child, id, U64, RQ),
	TF(child, name, STR, 0), TF(child, event, STR, RQ),
	TF(child, state, STR, RQ), TF(child, exit_code, I64, 0),
	TF(child, signal, I64, 0), TF(child, reason, STR, 0),
	TF(child, result, BIN, 0) };

struct ttype {
	enum msg_type		 type;
	const char		*name;
	const struct tfield	*f;
	size_t			 n;
};

#define TT(e, t) { e, #t, t_##t, sizeof t_##t / sizeof t_##t[0] }
#define TT0(e, t) { e, #t, NULL, 0 }	/* a type without fields */

static const struct ttype ttypes[] = {
	TT(MSG_HELLO, hello), TT(MSG_ERROR, error), TT(MSG_OK, ok),
	TT(MSG_END, end), TT(MSG_SPAWN, spawn), TT(MSG_STOP, stop),
	TT(MSG_KILL, kill), TT(MSG_STATUS, status), TT(MSG_LOGS, logs),
	TT(MSG_WAIT, wait), TT(MSG_SEND, send), TT(MSG_INSPECT, inspect),
	TT(MSG_RM, rm), TT(MSG_POD, pod), TT(MSG_ENTRY, entry),
	TT(MSG_START, start), TT(MSG_CANCEL, cancel),
	TT(MSG_SIGNAL, signal), TT(MSG_NOTIFY, notify),
	TT(MSG_STARTED, started), TT(MSG_LOGGED, logged),
	TT(MSG_NOTIFIED, notified), TT(MSG_ENDED, ended),
	TT(MSG_EXITED, exited), TT(MSG_RECORD, record), TT(MSG_API, api),
	TT(MSG_WELCOME, welcome), TT0(MSG_ACK, ack),
	TT(MSG_EXTEND, extend), TT(MSG_EXTENDED, extended), TT(MSG_LOG, log),
	TT(MSG_REPORT, report), TT0(MSG_HEARTBEAT, heartbeat),
	TT(MSG_RESULT, result), TT0(MSG_RECV, recv),
	TT(MSG_MESSAGE, message), TT(MSG_CHILD, child),
	TT(MSG_PAUSE, pause), TT(MSG_RESUME, resume), TT(MSG_PAUSED, paused),
	TT(MSG_RESPONSE, response), TT0(MSG_REEXEC, reexec),
	TT(MSG_JSON, json),
};
#define NTTYPES	(sizeof ttypes / sizeof ttypes[0])

/* The member of a field. */
static void *
tptr(struct msg *m, const struct tfield *f)
{
	return ((char *)&m->u + f->off);
}

/*
 * Round trips.
 */

static char	 strbuf[64][WIRE_STR_MAX + 1];
static char	*strv_many[200];
static char	*strv_some[] = { "αβγ ünïcödé", "", "two words", NULL };
static char	*strv_none[] = { NULL };
static char	*strv_one[] = { "only", NULL };
static uint8_t	 bin_nuls[] = { 0, 1, 2, 0, 0xff, 0xfe, 0 };
static uint8_t	 bin_big[100000];
static uint64_t	 u64v_some[] = { 0, 1, UINT64_MAX };
static uint64_t	 u64v_many[1000];

/* Set field i of a message for variant v: 0 sets everything, 1 the
 * smallest values (nil, empty, absent), 2 the largest. */
static void
fill_field(struct msg *m, const struct tfield *f, size_t i, int v)
{
	void			*p = tptr(m, f);
	struct wire_bin		*b = p;
	struct wire_u64v	*u = p;

	switch (f->kind) {
	case K_U64:
		*(uint64_t *)p = v == 0 ? UINT64_MAX - i : v == 1 ? 0 :
		    ((uint64_t)1 << 40) + i;
		break;
	case K_I64:
		*(int64_t *)p = v == 0 ? INT64_MIN + (int64_t)i : v == 2 ?
		    INT64_MAX - (int64_t)i : (f->flags & T_REQ) ? 0 : WIRE_NONE;
		break;
	case K_BOOL:
		*(bool *)p = v != 1;
		break;
	case K_STR:
		if (v == 0)
			snprintf(strbuf[i], sizeof strbuf[i], "%s: héllo ✓ "
			    "wörld \t\"q\"", f->name);
		else if (v == 2) {
			memset(strbuf[i], 'a' + i % 26, WIRE_STR_MAX);
			strbuf[i][WIRE_STR_MAX] = '\0';
		} else
			strbuf[i][0] = '\0';
		*(char **)p = (v == 1 && !(f->flags & T_REQ)) ? NULL :
		    strbuf[i];
		break;
	case K_STRV:
		*(char ***)p = v == 0 ? strv_some : v == 2 ? strv_many :
		    (f->flags & T_NE) ? strv_one : strv_none;
		break;
	case K_BIN:
		b->ptr = v == 0 ? bin_nuls : v == 2 ? bin_big : NULL;
		b->len = v == 0 ? sizeof bin_nuls : v == 2 ? sizeof bin_big : 0;
		break;
	case K_U64V:
		u->v = v == 0 ? u64v_some : v == 2 ? u64v_many : NULL;
		u->n = v == 0 ? 3 : v == 2 ? 1000 : 0;
		break;
	case K_F64:
		*(double *)p = v == 0 ? 0.25 + (double)i : v == 2 ? 1e300 :
		    WIRE_NAN;
		break;
	default:
		break;
	}
}

/* Are two string arrays equal (NULL only equal to NULL)? */
static bool
strv_equal(char **a, char **b)
{
	size_t	i;

	if (a == NULL || b == NULL)
		return (a == b);
	for (i = 0; a[i] != NULL && b[i] != NULL; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return (false);
	}
	return (a[i] == NULL && b[i] == NULL);
}

/* Is one field of the decoded message what was sent? */
static bool
field_equal(struct msg *a, struct msg *b, const struct tfield *f)
{
	void			*p = tptr(a, f), *q = tptr(b, f);
	struct wire_bin		*x = p, *y = q;
	struct wire_u64v	*u = p, *w = q;

	switch (f->kind) {
	case K_U64:
		return (*(uint64_t *)p == *(uint64_t *)q);
	case K_I64:
		return (*(int64_t *)p == *(int64_t *)q);
	case K_BOOL:
		return (*(bool *)p == *(bool *)q);
	case K_STR:
		if (*(char **)p == NULL || *(char **)q == NULL)
			return (*(char **)p == *(char **)q);
		return (strcmp(*(char **)p, *(char **)q) == 0);
	case K_STRV:
		return (strv_equal(*(char ***)p, *(char ***)q));
	case K_BIN:
		return (x->len == y->len && (x->len == 0 ||
		    memcmp(x->ptr, y->ptr, x->len) == 0) &&
		    (y->ptr == NULL || y->ptr[y->len] == '\0'));
	case K_U64V:
		return (u->n == w->n && (u->n == 0 ||
		    memcmp(u->v, w->v, u->n * sizeof *u->v) == 0));
	case K_F64:
		if (isnan(*(double *)p) || isnan(*(double *)q))
			return (isnan(*(double *)p) && isnan(*(double *)q));
		return (*(double *)p == *(double *)q);
	default:
		return (false);
	}
}

/* Does the raw payload hold key name (so wire name == member name)? */
static bool
payload_has_key(const void *data, size_t len, const char *name)
{
	msgpack_unpacked	up;
	size_t			off = 0;
	uint32_t		i;
	bool			found = false;

	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, data, len, &off) ==
	    MSGPACK_UNPACK_SUCCESS && up.data.type == MSGPACK_OBJECT_MAP) {
		for (i = 0; i < up.data.via.map.size; i++) {
			msgpack_object_str *k = &up.data.via.map.ptr[i].key.via.str;
			if (k->size == strlen(name) &&
			    memcmp(k->ptr, name, k->size) == 0)
				found = true;
		}
	}
	msgpack_unpacked_destroy(&up);
	return (found);
}

/* Encode, frame, decode and compare one type in one variant. */
static void
roundtrip(const struct ttype *t, int v)
{
	struct evbuffer	*buf = evbuffer_new();
	struct msg	 m, d;
	void		*payload = NULL;
	size_t		 len = 0, i;
	char		 cause[256] = "";

	msg_init(&m, t->type);
	for (i = 0; i < t->n; i++)
		fill_field(&m, &t->f[i], i, v);
	CHECK(msg_encode(&m, buf) == 0);
	CHECK(frame_take(buf, WIRE_FRAME_MAX, &payload, &len, cause,
	    sizeof cause) == 1);
	CHECK(evbuffer_get_length(buf) == 0);
	if (!CHECK(payload != NULL))
		goto out;
	CHECK(payload_has_key(payload, len, "type"));
	for (i = 0; v == 0 && i < t->n; i++) {
		if (!payload_has_key(payload, len, t->f[i].name))
			printf("FAIL: %s has no wire key '%s'\n", t->name,
			    t->f[i].name);
		CHECK(payload_has_key(payload, len, t->f[i].name));
	}
	if (!CHECK(msg_decode(payload, len, &d, cause, sizeof cause) == 0)) {
		printf("  %s variant %d: %s\n", t->name, v, cause);
		goto out;
	}
	CHECK(d.type == t->type);
	for (i = 0; i < t->n; i++) {
		if (!field_equal(&m, &d, &t->f[i]))
			printf("FAIL: %s variant %d field '%s' differs\n",
			    t->name, v, t->f[i].name);
		CHECK(field_equal(&m, &d, &t->f[i]));
	}
	msg_free(&d);
	CHECK(d.owner == NULL);
out:
	free(payload);
	evbuffer_free(buf);
}

/* Every type in every variant, and the names of the types. */
static void
test_roundtrips(void)
{
	size_t	i;
	int	v;

	for (i = 0; i < sizeof strv_many / sizeof strv_many[0] - 1; i++)
		xasprintf(&strv_many[i], "arg %zu ✓", i);
	for (i = 0; i < sizeof bin_big; i++)
		bin_big[i] = (uint8_t)(i * 7);
	for (i = 0; i < 1000; i++)
		u64v_many[i] = i * 0x0123456789ULL;
	CHECK(NTTYPES == MSG__COUNT);
	for (i = 0; i < NTTYPES; i++) {
		CHECK_STR(msg_type_name(ttypes[i].type), ttypes[i].name);
		for (v = 0; v < 3; v++)
			roundtrip(&ttypes[i], v);
	}
	CHECK_STR(msg_type_name(MSG__COUNT), "unknown");
	for (i = 0; strv_many[i] != NULL; i++)
		free(strv_many[i]);
}

/* msg_init leaves int64 fields nil; the encoder refuses what the peer
 * would reject, appending nothing. */
static void
test_encode_refusals(void)
{
	struct evbuffer	*buf = evbuffer_new();
	struct msg	 m;
	char		*empty[] = { NULL }, *big;

	msg_init(&m, MSG_POD);
	CHECK(m.u.pod.parent == WIRE_NONE && m.u.pod.spec.timeout_ms == WIRE_NONE);
	CHECK(m.u.pod.id == 0 && m.u.pod.name == NULL && m.owner == NULL);
	msg_free(&m);	/* safe on an initialised message */

	msg_init(&m, MSG_ERROR);
	m.u.error.code = "failed";
	CHECK(msg_encode(&m, buf) == -1);		/* message missing */
	msg_init(&m, MSG_STOP);
	m.u.stop.pods = empty;
	CHECK(msg_encode(&m, buf) == -1);		/* empty pods */
	msg_init(&m, MSG_ENTRY);
	m.u.entry.kind = "stdout";
	CHECK(msg_encode(&m, buf) == -1);		/* ts nil */
	big = xmalloc(WIRE_STR_MAX + 2);
	memset(big, 'x', WIRE_STR_MAX + 1);
	big[WIRE_STR_MAX + 1] = '\0';
	msg_init(&m, MSG_CANCEL);
	m.u.cancel.reason = big;
	CHECK(msg_encode(&m, buf) == -1);		/* too long */
	CHECK(evbuffer_get_length(buf) == 0);
	free(big);
	evbuffer_free(buf);
}

/* A msg_pack() writer that keeps what it is given, and fails once it
 * has taken fail_after calls (never, if negative). */
struct sink {
	msgpack_sbuffer	sb;
	int		calls;
	int		fail_after;
};

/* Take one piece of the encoding, or refuse it. */
static int
sink_write(void *arg, const char *p, size_t n)
{
	struct sink	*k = arg;

	if (k->fail_after >= 0 && k->calls >= k->fail_after)
		return (-1);
	k->calls++;
	return (msgpack_sbuffer_write(&k->sb, p, n));
}

/* msg_pack() writes msg_encode()'s payload byte for byte, through any
 * writer; it says why, and writes nothing, when the message is refused;
 * a failing writer fails it with a cause. */
static void
test_pack(void)
{
	struct evbuffer	*buf = evbuffer_new();
	struct sink	 k;
	struct msg	 m;
	char		 cause[256], want[256], *empty[] = { NULL };
	size_t		 i, len;

	for (i = 0; i < NTTYPES; i++) {
		msg_init(&m, ttypes[i].type);
		for (len = 0; len < ttypes[i].n; len++)
			fill_field(&m, &ttypes[i].f[len], len, 0);
		msgpack_sbuffer_init(&k.sb);
		k.calls = 0;
		k.fail_after = -1;
		CHECK(msg_pack(&m, sink_write, &k, cause, sizeof cause) == 0);
		CHECK(msg_encode(&m, buf) == 0);
		len = evbuffer_get_length(buf);
		CHECK(len == k.sb.size + 4 && memcmp(evbuffer_pullup(buf, -1) +
		    4, k.sb.data, k.sb.size) == 0);
		evbuffer_drain(buf, len);
		if (k.calls > 1) {	/* fail at the last piece */
			k.fail_after = k.calls - 1;
			k.calls = 0;
			CHECK(msg_pack(&m, sink_write, &k, cause,
			    sizeof cause) == -1);
			snprintf(want, sizeof want, "cannot encode %s: out of "
			    "buffer space", ttypes[i].name);
			CHECK_STR(cause, want);
		}
		msgpack_sbuffer_destroy(&k.sb);
	}

	msgpack_sbuffer_init(&k.sb);
	k.calls = 0;
	k.fail_after = -1;
	msg_init(&m, MSG_ERROR);
	m.u.error.code = "failed";
	CHECK(msg_check(&m, cause, sizeof cause) == -1);
	CHECK_STR(cause, "cannot encode error: field 'message' is required");
	CHECK(msg_pack(&m, sink_write, &k, cause, sizeof cause) == -1);
	CHECK_STR(cause, "cannot encode error: field 'message' is required");
	msg_init(&m, MSG_STOP);
	m.u.stop.pods = empty;
	CHECK(msg_pack(&m, sink_write, &k, cause, sizeof cause) == -1);
	CHECK_STR(cause, "cannot encode stop: field 'pods' is empty");
	msg_init(&m, MSG__COUNT);
	CHECK(msg_check(&m, cause, sizeof cause) == -1);
	CHECK(msg_pack(&m, sink_write, &k, cause, sizeof cause) == -1);
	CHECK(strncmp(cause, "cannot encode message of unknown type", 37) == 0);
	CHECK(k.calls == 0 && k.sb.size == 0);	/* nothing written */
	msg_init(&m, MSG_OK);
	CHECK(msg_check(&m, cause, sizeof cause) == 0);
	msgpack_sbuffer_destroy(&k.sb);
	evbuffer_free(buf);
}

/* A refused message is logged by msg_encode(), with msg_check()'s cause,
 * as it was when msg.c logged it itself. */
static void
test_encode_logs(void)
{
	struct evbuffer	*buf = evbuffer_new();
	struct msg	 m;
	char		 path[] = "/tmp/test-wire-enc.XXXXXX", text[512];
	int		 fd, saved;
	ssize_t		 n;

	if (!CHECK((fd = mkstemp(path)) != -1))
		return;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	log_init("test-wire", LOG_LEVEL_INFO);
	msg_init(&m, MSG_KILL);
	CHECK(msg_encode(&m, buf) == -1);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, text, sizeof text - 1, 0);
	text[n < 0 ? 0 : n] = '\0';
	CHECK_STR(text, "test-wire: warning: cannot encode kill: field 'pod' "
	    "is required\n");
	CHECK(evbuffer_get_length(buf) == 0);
	close(fd);
	unlink(path);
	evbuffer_free(buf);
}

/* Bad bytes fail msg_decode() with errno EINVAL; a lack of memory with
 * ENOMEM and a cause, never by exiting.  The memory runs out in a child
 * whose data limit leaves no room for the copy of a 64 MiB field (not
 * under ASan, whose allocator dies instead of failing). */
static void
test_decode_errno(void)
{
	struct msg	 m;
	struct {
		msgpack_sbuffer	sb;
		msgpack_packer	pk;
	}		 b;
	struct rlimit	 rl;
	char		 cause[256], *data, line[128];
	size_t		 big = 64 << 20;
	long		 kb = 0;
	FILE		*f;
	pid_t		 pid;
	int		 status;

	errno = 0;
	CHECK(msg_decode("\xc1", 1, &m, cause, sizeof cause) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(msg_decode("\x81\xa4type\xa4nope", 11, &m, cause,
	    sizeof cause) == -1 && errno == EINVAL);
#if defined(__SANITIZE_ADDRESS__)
	return;
#endif
	fflush(stdout);
	if ((pid = fork()) != 0) {
		CHECK(pid != -1 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0);
		return;
	}
	msgpack_sbuffer_init(&b.sb);
	msgpack_packer_init(&b.pk, &b.sb, msgpack_sbuffer_write);
	data = xcalloc(1, big);
	msgpack_pack_map(&b.pk, 3);
	msgpack_pack_str(&b.pk, 4);
	msgpack_pack_str_body(&b.pk, "type", 4);
	msgpack_pack_str(&b.pk, 4);
	msgpack_pack_str_body(&b.pk, "send", 4);
	msgpack_pack_str(&b.pk, 3);
	msgpack_pack_str_body(&b.pk, "pod", 3);
	msgpack_pack_str(&b.pk, 1);
	msgpack_pack_str_body(&b.pk, "x", 1);
	msgpack_pack_str(&b.pk, 4);
	msgpack_pack_str_body(&b.pk, "data", 4);
	msgpack_pack_bin(&b.pk, big);
	msgpack_pack_bin_body(&b.pk, data, big);
	free(data);
	if ((f = fopen("/proc/self/status", "r")) == NULL)
		_exit(3);
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmData: %ld kB", &kb) == 1)
			break;
	fclose(f);
	rl.rlim_cur = rl.rlim_max = (rlim_t)(kb + 16384) * 1024;
	if (kb == 0 || setrlimit(RLIMIT_DATA, &rl) == -1)
		_exit(3);
	errno = 0;
	if (msg_decode(b.sb.data, b.sb.size, &m, cause, sizeof cause) != -1 ||
	    errno != ENOMEM || m.owner != NULL ||
	    strcmp(cause, "out of memory decoding a message") != 0) {
		printf("FAIL: decode without memory: errno %d, %s\n", errno,
		    cause);
		fflush(stdout);
		_exit(1);
	}
	_exit(0);
}

/*
 * Malformed payloads.
 */

/* A payload under construction. */
struct pb {
	msgpack_sbuffer	sb;
	msgpack_packer	pk;
};

/* Start a payload. */
static void
pb_init(struct pb *b)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

/* Append a string. */
static void
pb_str(struct pb *b, const char *s)
{
	msgpack_pack_str(&b->pk, strlen(s));
	msgpack_pack_str_body(&b->pk, s, strlen(s));
}

/* Start a map with its "type" entry; n counts the other entries. */
static void
pb_msg(struct pb *b, const char *type, size_t n)
{
	pb_init(b);
	msgpack_pack_map(&b->pk, n + 1);
	pb_str(b, "type");
	pb_str(b, type);
}

/* Decode a payload that must be rejected with exactly this cause. */
static void
expect_bad_at(const void *data, size_t len, const char *want, int line)
{
	struct msg	m;
	char		cause[512] = "";

	memset(&m, 0xa5, sizeof m);
	if (!check(msg_decode(data, len, &m, cause, sizeof cause) == -1,
	    "decode fails", line)) {
		printf("  expected: %s\n", want);
		msg_free(&m);
		return;
	}
	check(m.owner == NULL, "owner is NULL after an error", line);
	check_str(cause, want, "cause", line);
}

#define EXPECT_BAD(d, l, w)	expect_bad_at((d), (l), (w), __LINE__)

/* Check a built payload, then release it. */
static void
pb_bad_at(struct pb *b, const char *want, int line)
{
	expect_bad_at(b->sb.data, b->sb.size, want, line);
	msgpack_sbuffer_destroy(&b->sb);
}

#define PB_BAD(b, w)	pb_bad_at((b), (w), __LINE__)

/* Decode a built payload that must be accepted; returns the message. */
static bool
pb_good_at(struct pb *b, struct msg *m, int line)
{
	char	cause[512] = "";
	bool	ok;

	ok = check(msg_decode(b->sb.data, b->sb.size, m, cause,
	    sizeof cause) == 0, "decode succeeds", line);
	if (!ok)
		printf("  cause: %s\n", cause);
	msgpack_sbuffer_destroy(&b->sb);
	return (ok);
}

#define PB_GOOD(b, m)	pb_good_at((b), (m), __LINE__)

/* The values a test can give a field, right or wrong. */
enum tval { V_FLOAT, V_STR, V_INT, V_NEG, V_NIL, V_ARRAY_INT, V_ARRAY_STR,
	V_ARRAY_NEG, V_MAP, V_BIN, V_BOOL, V_EXT, V__COUNT };

/* Which values each kind accepts (bit per enum tval). */
static const unsigned accepts[K__COUNT] = {
	[K_U64] = 1 << V_INT,
	[K_I64] = 1 << V_INT | 1 << V_NEG | 1 << V_NIL,
	[K_BOOL] = 1 << V_BOOL,
	[K_STR] = 1 << V_STR | 1 << V_NIL,
	[K_STRV] = 1 << V_ARRAY_STR,
	[K_BIN] = 1 << V_BIN | 1 << V_STR,
	[K_U64V] = 1 << V_ARRAY_INT,
	[K_F64] = 1 << V_FLOAT | 1 << V_INT | 1 << V_NEG | 1 << V_NIL,
};

/* What the cause says each kind must be. */
static const char *const must_be[K__COUNT] = {
	[K_U64] = "a non-negative integer",
	[K_I64] = "an integer or nil",
	[K_BOOL] = "a boolean",
	[K_STR] = "a string",
	[K_STRV] = "an array of strings",
	[K_BIN] = "binary or a string",
	[K_U64V] = "an array of non-negative integers",
	[K_F64] = "a number or nil",
};

/* Pack one test value. */
static void
pb_val(struct pb *b, enum tval v)
{
	switch (v) {
	case V_FLOAT:
		msgpack_pack_double(&b->pk, 1.5);
		break;
	case V_STR:
		pb_str(b, "x");
		break;
	case V_INT:
		msgpack_pack_uint64(&b->pk, 7);
		break;
	case V_NEG:
		msgpack_pack_int64(&b->pk, -1);
		break;
	case V_NIL:
		msgpack_pack_nil(&b->pk);
		break;
	case V_ARRAY_INT:
		msgpack_pack_array(&b->pk, 2);
		msgpack_pack_uint64(&b->pk, 1);
		msgpack_pack_uint64(&b->pk, 2);
		break;
	case V_ARRAY_STR:
		msgpack_pack_array(&b->pk, 1);
		pb_str(b, "x");
		break;
	case V_ARRAY_NEG:
		msgpack_pack_array(&b->pk, 2);
		msgpack_pack_uint64(&b->pk, 1);
		msgpack_pack_int64(&b->pk, -2);
		break;
	case V_MAP:
		msgpack_pack_map(&b->pk, 1);
		pb_str(b, "k");
		pb_str(b, "v");
		break;
	case V_BIN:
		msgpack_pack_bin(&b->pk, 2);
		msgpack_pack_bin_body(&b->pk, "\0\1", 2);
		break;
	case V_BOOL:
		msgpack_pack_true(&b->pk);
		break;
	case V_EXT:
		msgpack_pack_ext(&b->pk, 1, 5);
		msgpack_pack_ext_body(&b->pk, "a", 1);
		break;
	default:
		break;
	}
}

/* A valid value for a kind. */
static enum tval
good_val(enum tkind k)
{
	switch (k) {
	case K_BOOL:
		return (V_BOOL);
	case K_STR:
		return (V_STR);
	case K_STRV:
		return (V_ARRAY_STR);
	case K_BIN:
		return (V_BIN);
	case K_U64V:
		return (V_ARRAY_INT);
	default:
		return (V_INT);
	}
}

/* A message of type t with its required fields valid, except field
 * `which' (an index; it gets value v, or is left out if v < 0). */
static void
pb_fields(struct pb *b, const struct ttype *t, size_t which, int v)
{
	size_t	i, n = 0;

	for (i = 0; i < t->n; i++) {
		if (i == which ? v >= 0 : (t->f[i].flags & T_REQ) != 0)
			n++;
	}
	pb_msg(b, t->name, n);
	for (i = 0; i < t->n; i++) {
		if (i == which && v < 0)
			continue;
		if (i != which && !(t->f[i].flags & T_REQ))
			continue;
		pb_str(b, t->f[i].name);
		pb_val(b, i == which ? (enum tval)v : good_val(t->f[i].kind));
	}
}

/* Every field of every type, given every value of a wrong msgpack type,
 * and every required field left out. */
static void
test_field_types(void)
{
	const struct ttype	*t;
	const struct tfield	*f;
	struct pb		 b;
	struct msg		 m;
	char			 want[256];
	size_t			 i, j;
	int			 v;

	for (i = 0; i < NTTYPES; i++) {
		t = &ttypes[i];
		pb_fields(&b, t, SIZE_MAX, -1);
		if (PB_GOOD(&b, &m))
			msg_free(&m);
		for (j = 0; j < t->n; j++) {
			f = &t->f[j];
			for (v = 0; v < V__COUNT; v++) {
				pb_fields(&b, t, j, v);
				if (accepts[f->kind] & (1u << v)) {
					if (v == V_NIL && (f->flags & T_REQ)) {
						snprintf(want, sizeof want, "%s: "
						    "missing required field '%s'",
						    t->name, f->name);
						PB_BAD(&b, want);
					} else if (v == V_NEG &&
					    (f->flags & T_REQ)) {
						/* -1 is WIRE_NONE, which
						 * msg_encode refuses here
						 * (found by fuzz-msg). */
						snprintf(want, sizeof want, "%s: "
						    "field '%s' is out of range",
						    t->name, f->name);
						PB_BAD(&b, want);
					} else if (PB_GOOD(&b, &m))
						msg_free(&m);
					continue;
				}
				snprintf(want, sizeof want, "%s: field '%s' must "
				    "be %s", t->name, f->name, must_be[f->kind]);
				PB_BAD(&b, want);
			}
			if (!(f->flags & T_REQ))
				continue;
			pb_fields(&b, t, j, -1);
			snprintf(want, sizeof want, "%s: missing required field "
			    "'%s'", t->name, f->name);
			PB_BAD(&b, want);
		}
	}
}

/* Arrays that must have an entry, given none. */
static void
test_nonempty(void)
{
	struct pb	b;
	char		want[256];
	size_t		i, j, n = 0;

	for (i = 0; i < NTTYPES; i++) {
		for (j = 0; j < ttypes[i].n; j++) {
			if (!(ttypes[i].f[j].flags & T_NE))
				continue;
			pb_msg(&b, ttypes[i].name, 1);
			pb_str(&b, ttypes[i].f[j].name);
			msgpack_pack_array(&b.pk, 0);
			snprintf(want, sizeof want, "%s: field '%s' must not be "
			    "empty", ttypes[i].name, ttypes[i].f[j].name);
			PB_BAD(&b, want);
			n++;
		}
	}
	CHECK(n == 4);	/* start.argv stop.pods wait.pods rm.pods */
}

/* Every proper prefix of a valid payload is truncated; one byte more
 * is trailing garbage. */
static void
test_truncation(void)
{
	struct evbuffer	*buf = evbuffer_new();
	struct msg	 m;
	unsigned char	*p;
	size_t		 len, i;
	char		 cause[256];

	msg_init(&m, MSG_SPAWN);
	m.u.spawn.argv = strv_some;
	m.u.spawn.cwd = "/tmp";
	m.u.spawn.spec.timeout_ms = 5000;
	CHECK(msg_encode(&m, buf) == 0);
	CHECK(frame_take(buf, WIRE_FRAME_MAX, (void **)&p, &len, cause,
	    sizeof cause) == 1);
	for (i = 0; i < len; i++)
		EXPECT_BAD(p, i, "truncated message");
	p = xrealloc(p, len + 1);
	p[len] = 0xc0;
	EXPECT_BAD(p, len + 1, "trailing bytes after the message");
	free(p);
	evbuffer_free(buf);
}

/* Not a map, no type, a type that is not a string or not known, a key
 * that is not a string. */
static void
test_shape(void)
{
	struct pb	b;

	pb_init(&b);
	msgpack_pack_array(&b.pk, 1);
	pb_str(&b, "hello");
	PB_BAD(&b, "message is not a map");
	pb_init(&b);
	msgpack_pack_uint64(&b.pk, 1);
	PB_BAD(&b, "message is not a map");
	pb_init(&b);
	msgpack_pack_map(&b.pk, 1);
	pb_str(&b, "version");
	msgpack_pack_uint64(&b.pk, 1);
	PB_BAD(&b, "message has no 'type' field");
	pb_init(&b);
	msgpack_pack_map(&b.pk, 1);
	pb_str(&b, "type");
	msgpack_pack_uint64(&b.pk, 1);
	PB_BAD(&b, "message 'type' must be a string");
	pb_init(&b);
	msgpack_pack_map(&b.pk, 1);
	pb_str(&b, "type");
	msgpack_pack_nil(&b.pk);
	PB_BAD(&b, "message 'type' must be a string");
	pb_msg(&b, "frobnicate", 0);
	PB_BAD(&b, "unknown message type 'frobnicate'");
	pb_msg(&b, "HELLO", 0);
	PB_BAD(&b, "unknown message type 'HELLO'");
	pb_msg(&b, "hel\nlo\x01", 0);
	PB_BAD(&b, "unknown message type 'hel?lo?'");
	pb_msg(&b, "hello", 2);
	pb_str(&b, "version");
	msgpack_pack_uint64(&b.pk, 1);
	msgpack_pack_uint64(&b.pk, 3);
	msgpack_pack_uint64(&b.pk, 4);
	PB_BAD(&b, "message keys must be strings");
}

/* Duplicate keys, known or not, are refused; unknown keys ignored. */
static void
test_duplicates(void)
{
	struct pb	b;
	struct msg	m;

	pb_msg(&b, "hello", 2);
	pb_str(&b, "version");
	msgpack_pack_uint64(&b.pk, 1);
	pb_str(&b, "version");
	msgpack_pack_uint64(&b.pk, 1);
	PB_BAD(&b, "hello: duplicate field 'version'");
	pb_msg(&b, "hello", 3);
	pb_str(&b, "version");
	msgpack_pack_uint64(&b.pk, 1);
	pb_str(&b, "future");
	msgpack_pack_nil(&b.pk);
	pb_str(&b, "future");
	msgpack_pack_nil(&b.pk);
	PB_BAD(&b, "hello: duplicate field 'future'");
	pb_msg(&b, "hello", 2);
	pb_str(&b, "version");
	msgpack_pack_uint64(&b.pk, 1);
	pb_str(&b, "type");
	pb_str(&b, "hello");
	PB_BAD(&b, "hello: duplicate field 'type'");

	pb_msg(&b, "hello", 3);
	pb_str(&b, "future");
	msgpack_pack_array(&b.pk, 2);
	msgpack_pack_map(&b.pk, 0);
	msgpack_pack_double(&b.pk, 2.5);
	pb_str(&b, "version");
	msgpack_pack_uint64(&b.pk, 9);
	pb_str(&b, "");
	msgpack_pack_nil(&b.pk);
	if (PB_GOOD(&b, &m)) {
		CHECK(m.type == MSG_HELLO && m.u.hello.version == 9);
		CHECK(m.owner == NULL);
		msg_free(&m);
	}
}

/* Integers out of the range of their field. */
static void
test_ranges(void)
{
	struct pb	b;
	struct msg	m;

	pb_msg(&b, "kill", 2);
	pb_str(&b, "pod");
	pb_str(&b, "web");
	pb_str(&b, "signal");
	msgpack_pack_int64(&b.pk, -9);
	PB_BAD(&b, "kill: field 'signal' must be a non-negative integer");
	pb_msg(&b, "spawn", 3);
	pb_str(&b, "argv");
	pb_val(&b, V_ARRAY_STR);
	pb_str(&b, "cwd");
	pb_str(&b, "/");
	pb_str(&b, "timeout_ms");
	msgpack_pack_uint64(&b.pk, (uint64_t)INT64_MAX + 1);
	PB_BAD(&b, "spawn: field 'timeout_ms' is out of range");
	pb_msg(&b, "spawn", 3);
	pb_str(&b, "argv");
	pb_val(&b, V_ARRAY_STR);
	pb_str(&b, "cwd");
	pb_str(&b, "/");
	pb_str(&b, "timeout_ms");
	msgpack_pack_int64(&b.pk, INT64_MIN);
	if (PB_GOOD(&b, &m)) {
		CHECK(m.u.spawn.spec.timeout_ms == INT64_MIN);
		CHECK(m.u.spawn.spec.cancel_grace_ms == WIRE_NONE);
		msg_free(&m);
	}
}

/* Announced lengths far beyond the payload, and the unused byte. */
static void
test_hostile(void)
{
	struct pb	b;
	size_t		i;

	EXPECT_BAD("\x81\xa4type\xdd\xff\xff\xff\xff", 11,
	    "truncated message");
	EXPECT_BAD("\xdf\xff\xff\xff\xff\xa4type", 10, "truncated message");
	EXPECT_BAD("\x81\xa4type\xdb\xff\xff\xff\xff", 11,
	    "truncated message");
	EXPECT_BAD("\x81\xa4type\xc6\x7f\xff\xff\xff", 11,
	    "truncated message");
	EXPECT_BAD("", 0, "truncated message");
	EXPECT_BAD("\xc1", 1, "malformed msgpack: byte 0xc1 at offset 0");
	EXPECT_BAD("\x81\xa1x\xc1", 4,
	    "malformed msgpack: byte 0xc1 at offset 3");

	/* Nesting deeper than msgpack-c handles, in an unknown key. */
	pb_msg(&b, "hello", 2);
	pb_str(&b, "version");
	msgpack_pack_uint64(&b.pk, 1);
	pb_str(&b, "deep");
	for (i = 0; i < 100; i++)
		msgpack_pack_array(&b.pk, 1);
	msgpack_pack_nil(&b.pk);
	PB_BAD(&b, "message nested too deeply");
}

/* Strings at and over their limit. */
static void
test_long_strings(void)
{
	struct pb	b;
	struct msg	m;
	char		*s;

	s = xmalloc(WIRE_STR_MAX + 2);
	memset(s, 'x', WIRE_STR_MAX + 1);
	s[WIRE_STR_MAX + 1] = '\0';
	pb_msg(&b, "spawn", 2);
	pb_str(&b, "argv");
	pb_val(&b, V_ARRAY_STR);
	pb_str(&b, "cwd");
	pb_str(&b, s);
	PB_BAD(&b, "spawn: field 'cwd' has a string longer than 4096 bytes");
	s[WIRE_STR_MAX] = '\0';
	pb_msg(&b, "spawn", 2);
	pb_str(&b, "argv");
	pb_val(&b, V_ARRAY_STR);
	pb_str(&b, "cwd");
	pb_str(&b, s);
	if (PB_GOOD(&b, &m)) {
		CHECK(strlen(m.u.spawn.cwd) == WIRE_STR_MAX);
		msg_free(&m);
	}
	free(s);
}

/* Strings with NUL bytes, arrays with bad or too many entries. */
static void
test_bad_entries(void)
{
	struct pb	b;
	size_t		i;

	pb_msg(&b, "spawn", 2);
	pb_str(&b, "argv");
	pb_val(&b, V_ARRAY_STR);
	pb_str(&b, "cwd");
	msgpack_pack_str(&b.pk, 4);
	msgpack_pack_str_body(&b.pk, "/a\0b", 4);
	PB_BAD(&b, "spawn: field 'cwd' has a string with a NUL byte");
	pb_msg(&b, "spawn", 2);
	pb_str(&b, "cwd");
	pb_str(&b, "/");
	pb_str(&b, "argv");
	msgpack_pack_array(&b.pk, 2);
	pb_str(&b, "ls");
	msgpack_pack_str(&b.pk, 2);
	msgpack_pack_str_body(&b.pk, "\0x", 2);
	PB_BAD(&b, "spawn: field 'argv' has a string with a NUL byte");
	pb_msg(&b, "spawn", 2);
	pb_str(&b, "cwd");
	pb_str(&b, "/");
	pb_str(&b, "argv");
	msgpack_pack_array(&b.pk, 2);
	pb_str(&b, "ls");
	msgpack_pack_nil(&b.pk);
	PB_BAD(&b, "spawn: field 'argv' must be an array of strings");

	pb_msg(&b, "spawn", 2);
	pb_str(&b, "cwd");
	pb_str(&b, "/");
	pb_str(&b, "argv");
	msgpack_pack_array(&b.pk, WIRE_ARGV_MAX + 1);
	for (i = 0; i < WIRE_ARGV_MAX + 1; i++)
		pb_str(&b, "a");
	PB_BAD(&b, "spawn: field 'argv' has more than 4096 entries");
	pb_msg(&b, "pod", 3);
	pb_str(&b, "id");
	msgpack_pack_uint64(&b.pk, 1);
	pb_str(&b, "state");
	pb_str(&b, "running");
	pb_str(&b, "children");
	msgpack_pack_array(&b.pk, WIRE_U64V_MAX + 1);
	for (i = 0; i < WIRE_U64V_MAX + 1; i++)
		msgpack_pack_uint64(&b.pk, i);
	PB_BAD(&b, "pod: field 'children' has more than 65536 entries");
}

/* Random bytes and damaged valid payloads never crash or leak. */
static void
test_fuzz(void)
{
	struct evbuffer	*buf = evbuffer_new();
	struct msg	 m, d;
	uint8_t		 rnd[256], *p, *q;
	size_t		 len, n, i, k;
	char		 cause[256];
	int		 ok = 1, round;

	srandom(42);
	for (round = 0; round < 20000; round++) {
		n = (size_t)random() % sizeof rnd;
		for (i = 0; i < n; i++)
			rnd[i] = (uint8_t)random();
		if (msg_decode(rnd, n, &d, cause, sizeof cause) == 0)
			msg_free(&d);
		else if (d.owner != NULL)
			ok = 0;
	}
	msg_init(&m, MSG_POD);
	for (i = 0; i < sizeof t_pod / sizeof t_pod[0]; i++)
		fill_field(&m, &t_pod[i], i, 0);
	msg_encode(&m, buf);
	len = evbuffer_get_length(buf) - 4;
	p = xmalloc(len);
	q = xmalloc(len);
	evbuffer_drain(buf, 4);
	evbuffer_remove(buf, p, len);
	for (round = 0; round < 20000; round++) {
		memcpy(q, p, len);
		for (k = 0; k < 1 + (size_t)random() % 4; k++)
			q[(size_t)random() % len] = (uint8_t)random();
		n = (size_t)random() % 8 == 0 ? (size_t)random() % len : len;
		if (msg_decode(q, n, &d, cause, sizeof cause) == 0)
			msg_free(&d);
		else if (d.owner != NULL)
			ok = 0;
	}
	CHECK(ok);
	free(p);
	free(q);
	evbuffer_free(buf);
}

/* frame_take: partial frames stay, whole ones come out, big ones fail. */
static void
test_frames(void)
{
	struct evbuffer	*buf = evbuffer_new();
	void		*payload = NULL;
	size_t		 len = 0;
	char		 cause[256] = "";

	CHECK(frame_take(buf, 100, &payload, &len, cause, sizeof cause) == 0);
	evbuffer_add(buf, "\0\0", 2);
	CHECK(frame_take(buf, 100, &payload, &len, cause, sizeof cause) == 0);
	evbuffer_add(buf, "\0\5abc", 5);
	CHECK(frame_take(buf, 100, &payload, &len, cause, sizeof cause) == 0);
	CHECK(evbuffer_get_length(buf) == 7);
	evbuffer_add(buf, "de\0\0\0\0\0\0\0\1z", 11);
	CHECK(frame_take(buf, 100, &payload, &len, cause, sizeof cause) == 1);
	CHECK(len == 5 && memcmp(payload, "abcde", 5) == 0);
	free(payload);
	CHECK(frame_take(buf, 100, &payload, &len, cause, sizeof cause) == 1);
	CHECK(len == 0);
	free(payload);
	CHECK(frame_take(buf, 100, &payload, &len, cause, sizeof cause) == 1);
	CHECK(len == 1 && memcmp(payload, "z", 1) == 0);
	free(payload);
	CHECK(evbuffer_get_length(buf) == 0);

	evbuffer_add(buf, "\x80\0\0\0", 4);
	CHECK(frame_take(buf, WIRE_FRAME_MAX, &payload, &len, cause,
	    sizeof cause) == -1);
	CHECK_STR(cause, "frame of 2147483648 bytes exceeds the limit of "
	    "1048576");
	evbuffer_drain(buf, 4);
	evbuffer_add(buf, "\0\0\0\145", 4);
	CHECK(frame_take(buf, 100, &payload, &len, cause, sizeof cause) == -1);
	CHECK_STR(cause, "frame of 101 bytes exceeds the limit of 100");
	evbuffer_free(buf);
}

/*
 * The peer layer, over socketpairs in one event loop.
 */

enum action { ACT_NONE, ACT_REPLY_OK, ACT_REPLY_ERROR, ACT_ERROR, ACT_FREE,
	ACT_CLOSE };

/* One side of a test connection, as its callback sees it. */
struct side {
	struct peer	*peer;
	enum action	 action;
	int		 nmsgs;
	int		 nlost;
	int		 ndrained;
	int		 nhello;
	bool		 in_call;	/* inside a peer_* call: no loss now */
	bool		 sync_loss;	/* a loss arrived inside a call */
	struct msg	 last;
	char		 text[256];	/* last error message or spawn argv[0] */
};

static struct event_base	*base;

/* The test callback: count, remember, and act as told. */
static void
side_cb(struct peer *peer, struct msg *msg, void *arg)
{
	struct side	*s = arg;
	struct msg	 reply;

	if (msg == NULL) {
		s->nlost++;
		s->sync_loss |= s->in_call;
		s->peer = NULL;
		return;
	}
	s->nmsgs++;
	s->nhello += msg->type == MSG_HELLO;
	s->last.type = msg->type;
	if (msg->type == MSG_ERROR)
		snprintf(s->text, sizeof s->text, "%s: %s", msg->u.error.code,
		    msg->u.error.message);
	if (msg->type == MSG_SPAWN)
		snprintf(s->text, sizeof s->text, "%s",
		    msg->u.spawn.argv[0]);
	if (msg->type == MSG_OK)
		s->last.u.ok = msg->u.ok;
	switch (s->action) {
	case ACT_REPLY_OK:
		msg_init(&reply, MSG_OK);
		reply.u.ok.id = 42;
		peer_send(peer, &reply);
		break;
	case ACT_REPLY_ERROR:
		peer_reply_error(peer, ERR_NOTFOUND, "no pod '%s'", "x");
		break;
	case ACT_ERROR:
		s->in_call = true;
		peer_error(peer, ERR_DENIED, "nope %d", 1);
		s->in_call = false;
		break;
	case ACT_FREE:
		peer_free(peer);
		s->peer = NULL;
		break;
	case ACT_CLOSE:
		s->in_call = true;
		peer_close(peer);
		s->in_call = false;
		break;
	default:
		break;
	}
}

/* The drain callback: count. */
static void
side_drain(struct peer *peer, void *arg)
{
	struct side	*s = arg;

	s->ndrained++;
	CHECK(peer_outq(peer) <= PEER_OUT_LOW);
}

/* Nothing: a timer that makes one loop pass return. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
}

/* Run the loop once, for at most 10 ms. */
static void
loop_once(void)
{
	struct timeval	 tv = { 0, 10000 };
	struct event	*tick = evtimer_new(base, tick_cb, NULL);

	evtimer_add(tick, &tv);
	event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
}

/* Run the loop until cond holds or 3 seconds pass. */
#define RUN_UNTIL(cond) do {						\
	int64_t	dl_ = mono_ms() + 3000;					\
	while (!(cond) && mono_ms() < dl_)				\
		loop_once();						\
} while (0)

/* Run the loop for a while, for things that must not happen. */
static void
run_for(int ms)
{
	int64_t	dl = mono_ms() + ms;

	while (mono_ms() < dl)
		loop_once();
}

/* A connected socketpair. */
static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		fatal("socketpair");
}

/* Write one message as a frame to a raw fd. */
static void
raw_send(int fd, const struct msg *m)
{
	struct evbuffer	*buf = evbuffer_new();

	CHECK(msg_encode(m, buf) == 0);
	while (evbuffer_get_length(buf) > 0)
		if (evbuffer_write(buf, fd) == -1)
			break;
	evbuffer_free(buf);
}

/* Write a hello of some version to a raw fd. */
static void
raw_hello(int fd, uint64_t version)
{
	struct msg	m;

	msg_init(&m, MSG_HELLO);
	m.u.hello.version = version;
	raw_send(fd, &m);
}

/* Write a request without fields to a raw fd. */
static void
raw_status(int fd)
{
	struct msg	m;

	msg_init(&m, MSG_STATUS);
	raw_send(fd, &m);
}

/* Read a raw fd until EOF (or 3 s), running the loop meanwhile; returns
 * the frames as "type" or "error CODE: MESSAGE" lines, then "closed". */
static char *
raw_replies(int fd)
{
	struct evbuffer	*in = evbuffer_new();
	struct msg	 m;
	char		*out = xstrdup(""), *line, cause[256];
	void		*payload;
	size_t		 len;
	int64_t		 dl = mono_ms() + 3000;
	int		 n = -1;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (n != 0 && mono_ms() < dl) {
		loop_once();
		n = evbuffer_read(in, fd, 65536);
	}
	while (frame_take(in, SIZE_MAX, &payload, &len, cause,
	    sizeof cause) == 1) {
		if (msg_decode(payload, len, &m, cause, sizeof cause) == -1)
			xasprintf(&line, "%sbad: %s\n", out, cause);
		else if (m.type == MSG_ERROR)
			xasprintf(&line, "%serror %s: %s\n", out,
			    m.u.error.code, m.u.error.message);
		else
			xasprintf(&line, "%s%s\n", out, msg_type_name(m.type));
		msg_free(&m);
		free(payload);
		free(out);
		out = line;
	}
	xasprintf(&line, "%s%s", out, n == 0 ? "closed" : "open");
	free(out);
	evbuffer_free(in);
	return (line);
}

/* Two peers: hellos are exchanged unseen, requests and replies flow,
 * and a close reaches both sides once, never synchronously. */
static void
test_peer_pair(void)
{
	struct side	a = { 0 }, b = { 0 };
	struct msg	m;
	char		label[8] = "side-a", *argv[] = { "true", NULL };
	int		sv[2];

	pair(sv);
	a.peer = peer_new(base, sv[0], side_cb, &a, label);
	b.peer = peer_new(base, sv[1], side_cb, &b, "side-b");
	label[0] = 'X';
	CHECK_STR(peer_label(a.peer), "side-a");
	CHECK(peer_pid(a.peer) == getpid());
	CHECK(peer_uid(a.peer) == geteuid());
	CHECK(peer_gid(a.peer) == getegid());
	CHECK(!peer_dead(a.peer));
	b.action = ACT_REPLY_OK;

	msg_init(&m, MSG_SPAWN);
	m.u.spawn.argv = argv;
	m.u.spawn.cwd = "/";
	CHECK(peer_send(a.peer, &m) == 0);
	RUN_UNTIL(a.nmsgs == 1);
	CHECK(b.nmsgs == 1 && b.last.type == MSG_SPAWN);
	CHECK_STR(b.text, "true");
	CHECK(a.nmsgs == 1 && a.last.type == MSG_OK && a.last.u.ok.id == 42);
	CHECK(a.nhello == 0 && b.nhello == 0);

	b.action = ACT_REPLY_ERROR;
	CHECK(peer_send(a.peer, &m) == 0);
	RUN_UNTIL(a.nmsgs == 2);
	CHECK(a.last.type == MSG_ERROR);
	CHECK_STR(a.text, "not-found: no pod 'x'");
	CHECK(!peer_dead(b.peer));

	/* Queued just before the close, still delivered. */
	b.action = ACT_NONE;
	CHECK(peer_send(a.peer, &m) == 0);
	a.in_call = true;
	peer_close(a.peer);
	peer_close(a.peer);
	CHECK(peer_dead(a.peer));
	CHECK(peer_send(a.peer, &m) == -1);
	a.in_call = false;
	CHECK(a.nlost == 0);
	RUN_UNTIL(a.nlost == 1 && b.nlost == 1);
	CHECK(b.nmsgs == 3);
	CHECK(a.nlost == 1 && b.nlost == 1);
	CHECK(!a.sync_loss && !b.sync_loss);
	run_for(50);
	CHECK(a.nlost == 1 && b.nlost == 1);
}

/* A raw client with hello version 99 gets an error naming both versions
 * and is closed. */
static void
test_peer_version(void)
{
	struct side	 s = { 0 };
	char		*got, want[256];
	int		 sv[2];

	pair(sv);
	s.peer = peer_new(base, sv[0], side_cb, &s, "v99");
	raw_hello(sv[1], 99);
	raw_status(sv[1]);
	got = raw_replies(sv[1]);
	snprintf(want, sizeof want, "hello\nerror protocol: protocol version "
	    "mismatch: peer speaks 99, this side speaks %d\nclosed",
	    PROTOCOL_VERSION);
	CHECK_STR(got, want);
	CHECK(strstr(got, "99") != NULL);
	free(got);
	RUN_UNTIL(s.nlost == 1);
	CHECK(s.nlost == 1 && s.nmsgs == 0);
	close(sv[1]);
}

/* Garbage on one connection closes that one only; a request before the
 * hello is refused. */
static void
test_peer_garbage(void)
{
	struct side	 g = { 0 }, a = { 0 }, b = { 0 }, h = { 0 };
	struct msg	 m;
	char		*got;
	int		 sv[2], sw[2], sx[2];

	pair(sv);
	pair(sw);
	g.peer = peer_new(base, sv[0], side_cb, &g, "garbage");
	a.peer = peer_new(base, sw[0], side_cb, &a, "a");
	b.peer = peer_new(base, sw[1], side_cb, &b, "b");
	b.action = ACT_REPLY_OK;
	CHECK(write(sv[1], "GET / HTTP/1.0\r\n\r\n", 18) == 18);
	got = raw_replies(sv[1]);
	CHECK_STR(got, "hello\nerror protocol: frame of 1195725856 bytes "
	    "exceeds the limit of 1048576\nclosed");
	free(got);
	RUN_UNTIL(g.nlost == 1);
	CHECK(g.nlost == 1 && g.nmsgs == 0);
	close(sv[1]);

	msg_init(&m, MSG_STATUS);
	CHECK(peer_send(a.peer, &m) == 0);
	RUN_UNTIL(a.nmsgs == 1);
	CHECK(b.nmsgs == 1 && a.last.type == MSG_OK);
	CHECK(a.nlost == 0 && b.nlost == 0);

	/* Undecodable msgpack inside a well-formed frame. */
	pair(sx);
	h.peer = peer_new(base, sx[0], side_cb, &h, "bad-msgpack");
	raw_hello(sx[1], PROTOCOL_VERSION);
	CHECK(write(sx[1], "\0\0\0\2\x91\xc1", 6) == 6);
	got = raw_replies(sx[1]);
	CHECK_STR(got, "hello\nerror protocol: malformed msgpack: byte 0xc1 "
	    "at offset 1\nclosed");
	free(got);
	close(sx[1]);
	RUN_UNTIL(h.nlost == 1);

	pair(sx);
	h.peer = peer_new(base, sx[0], side_cb, &h, "no-hello");
	raw_status(sx[1]);
	got = raw_replies(sx[1]);
	CHECK_STR(got, "hello\nerror protocol: expected hello, got 'status'\n"
	    "closed");
	free(got);
	close(sx[1]);
	RUN_UNTIL(h.nlost == 2);
	CHECK(h.nmsgs == 0);

	CHECK(peer_send(a.peer, &m) == 0);
	RUN_UNTIL(a.nmsgs == 2);
	CHECK(b.nmsgs == 2);
	peer_free(a.peer);
	RUN_UNTIL(b.nlost == 1);
	CHECK(a.nlost == 0 && b.nlost == 1);
}

/* A frame over a lowered limit is refused. */
static void
test_peer_frame_max(void)
{
	struct side	 s = { 0 };
	struct msg	 m;
	char		*got;
	uint8_t		 data[100] = { 0 };
	int		 sv[2];

	pair(sv);
	s.peer = peer_new(base, sv[0], side_cb, &s, "small");
	peer_set_frame_max(s.peer, 64);
	raw_hello(sv[1], PROTOCOL_VERSION);
	msg_init(&m, MSG_NOTIFY);
	m.u.notify.data.ptr = data;
	m.u.notify.data.len = sizeof data;
	raw_send(sv[1], &m);
	got = raw_replies(sv[1]);
	CHECK_STR(got, "hello\nerror protocol: frame of 120 bytes exceeds the "
	    "limit of 64\nclosed");
	free(got);
	close(sv[1]);
	RUN_UNTIL(s.nlost == 1);
}

/* A callback acts on its own peer with three requests queued: only the
 * first is delivered, and the raw side sees want; lost counts losses. */
static void
reentry_case(enum action action, const char *want, int lost, int line)
{
	struct side	 s = { 0 };
	char		*got;
	int		 sv[2];

	pair(sv);
	s.peer = peer_new(base, sv[0], side_cb, &s, "reentry");
	s.action = action;
	loop_once();	/* our hello goes out before anything is read */
	raw_hello(sv[1], PROTOCOL_VERSION);
	raw_status(sv[1]);
	raw_status(sv[1]);
	raw_status(sv[1]);
	got = raw_replies(sv[1]);
	check_str(got, want, "raw side", line);
	free(got);
	close(sv[1]);
	if (lost)
		RUN_UNTIL(s.nlost == lost);
	else
		run_for(30);
	check(s.nmsgs == 1, "one message delivered", line);
	check(s.nlost == lost && !s.sync_loss, "loss from the loop", line);
}

/* Callbacks that free, fail or close their own peer mid-batch. */
static void
test_peer_reentry(void)
{
	reentry_case(ACT_FREE, "hello\nclosed", 0, __LINE__);
	reentry_case(ACT_ERROR, "hello\nerror denied: nope 1\nclosed", 1,
	    __LINE__);
	reentry_case(ACT_CLOSE, "hello\nclosed", 1, __LINE__);
}

/* A client that half-closes still gets its replies; one that sends an
 * error instead of a hello is closed without an answer. */
static void
test_peer_halfclose(void)
{
	struct side	 s = { 0 };
	struct msg	 m;
	char		*got;
	int		 sv[2];

	pair(sv);
	s.peer = peer_new(base, sv[0], side_cb, &s, "half");
	s.action = ACT_REPLY_OK;
	raw_hello(sv[1], PROTOCOL_VERSION);
	raw_status(sv[1]);
	raw_status(sv[1]);
	shutdown(sv[1], SHUT_WR);
	got = raw_replies(sv[1]);
	CHECK_STR(got, "hello\nok\nok\nclosed");
	free(got);
	close(sv[1]);
	RUN_UNTIL(s.nlost == 1);
	CHECK(s.nmsgs == 2 && s.nlost == 1);

	memset(&s, 0, sizeof s);
	pair(sv);
	s.peer = peer_new(base, sv[0], side_cb, &s, "refused");
	msg_init(&m, MSG_ERROR);
	m.u.error.code = ERR_PROTOCOL;
	m.u.error.message = "go away";
	raw_send(sv[1], &m);
	got = raw_replies(sv[1]);
	CHECK_STR(got, "hello\nclosed");
	free(got);
	close(sv[1]);
	RUN_UNTIL(s.nlost == 1);
	CHECK(s.nmsgs == 0 && s.nlost == 1);
}

/* A side that sends its last messages and closes before reading what we
 * write: our write fails (EPIPE) before we read, yet every message it
 * sent is still delivered, then the loss (a runtime's last reports). */
static void
test_peer_closed_writer(void)
{
	struct side	 s = { 0 };
	struct msg	 m;
	int		 sv[2];

	pair(sv);
	raw_hello(sv[1], PROTOCOL_VERSION);
	raw_status(sv[1]);
	raw_status(sv[1]);
	close(sv[1]);
	s.peer = peer_new(base, sv[0], side_cb, &s, "gone");
	msg_init(&m, MSG_STATUS);
	CHECK(peer_send(s.peer, &m) == 0);
	RUN_UNTIL(s.nlost == 1);
	CHECK(s.nmsgs == 2 && s.nlost == 1);
}

/* Output: the drain callback once a backlog is read, and a peer that
 * reads nothing dropped past PEER_OUT_MAX, with the loss from the loop. */
static void
test_peer_output(void)
{
	struct side	 s = { 0 };
	struct msg	 m;
	uint8_t		*data;
	char		 sink[65536];
	int		 sv[2], i, rc = 0;

	data = xcalloc(1, 1024 * 1024);
	msg_init(&m, MSG_NOTIFY);
	m.u.notify.data.ptr = data;
	m.u.notify.data.len = 1024 * 1024;

	pair(sv);
	s.peer = peer_new(base, sv[0], side_cb, &s, "drain");
	peer_set_drain_cb(s.peer, side_drain);
	for (i = 0; i < 2; i++)
		CHECK(peer_send(s.peer, &m) == 0);
	CHECK(peer_outq(s.peer) > PEER_OUT_LOW);
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
	for (i = 0; i < 1000 && s.ndrained == 0; i++) {
		loop_once();
		while (read(sv[1], sink, sizeof sink) > 0)
			;
	}
	CHECK(s.ndrained > 0);
	peer_free(s.peer);
	close(sv[1]);

	memset(&s, 0, sizeof s);
	pair(sv);
	s.peer = peer_new(base, sv[0], side_cb, &s, "slow");
	s.in_call = true;
	for (i = 0; i < 100 && rc == 0; i++)
		rc = peer_send(s.peer, &m);
	s.in_call = false;
	CHECK(rc == -1 && i > 60);
	CHECK(peer_dead(s.peer) && s.nlost == 0);
	RUN_UNTIL(s.nlost == 1);
	CHECK(s.nlost == 1 && !s.sync_loss);
	close(sv[1]);
	free(data);
}

/*
 * Parsers and helpers.
 */

/* Durations: accepted forms in ms, and rejected ones with their cause. */
static void
test_durations(void)
{
	static const struct {
		const char	*s;
		int64_t		 ms;
	} good[] = {
		{ "250ms", 250 }, { "5s", 5000 }, { "1.5s", 1500 },
		{ "2m", 120000 }, { "1h", 3600000 }, { "0", 0 },
		{ "10", 10000 }, { "0.5", 500 }, { "0ms", 0 },
		{ "0.0015s", 2 }, { "0.0014s", 1 }, { "1.2345ms", 1 },
		{ ".5s", 500 }, { "720h", 2592000000LL },
		{ "2592000", 2592000000LL }, { "007s", 7000 },
		{ "1.000000000000000001s", 1000 },
	};
	static const char *const bad[] = {
		"", "-5s", "+5s", " 5s", "5s ", "5 s", "5x", "5S", "s", "ms",
		"1.", ".", "1..5s", "nan", "inf", "1e3", "0x10", "5sec",
		"1h30m", "5\n",
	};
	int64_t	ms;
	char	cause[256], want[256];
	size_t	i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ms = -1;
		if (!CHECK(parse_duration(good[i].s, &ms, cause,
		    sizeof cause) == 0) || ms != good[i].ms)
			printf("  duration '%s': %jd (%s)\n", good[i].s,
			    (intmax_t)ms, cause);
		CHECK(ms == good[i].ms);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (!CHECK(parse_duration(bad[i], &ms, cause,
		    sizeof cause) == -1))
			printf("  duration '%s' accepted\n", bad[i]);
	}
	parse_duration("5x", &ms, cause, sizeof cause);
	CHECK_STR(cause, "invalid duration '5x': use e.g. 250ms, 5s, 2m, 1h");
	parse_duration("5\n", &ms, cause, sizeof cause);
	CHECK_STR(cause, "invalid duration '5?': use e.g. 250ms, 5s, 2m, 1h");
	CHECK(parse_duration("721h", &ms, cause, sizeof cause) == -1);
	CHECK_STR(cause, "duration '721h' is too long: the limit is 30 days");
	CHECK(parse_duration("2592000.001", &ms, cause, sizeof cause) == -1);
	CHECK(parse_duration("99999999999999999999999s", &ms, cause,
	    sizeof cause) == -1);
	snprintf(want, sizeof want, "duration '%s' is too long: the limit is "
	    "30 days", "99999999999999999999999s");
	CHECK_STR(cause, want);
}

/* Signals by name, prefix, case and number; names of numbers. */
static void
test_signals(void)
{
	static const struct {
		const char	*s;
		int		 sig;
	} good[] = {
		{ "INT", SIGINT }, { "SIGINT", SIGINT }, { "sigint", SIGINT },
		{ "int", SIGINT }, { "SiGtErM", SIGTERM }, { "2", 2 },
		{ "9", 9 }, { "64", 64 }, { "1", 1 }, { "HUP", SIGHUP },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
		{ "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
		{ "POLL", SIGPOLL }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
		{ "RTMIN", 34 }, { "SIGRTMIN+2", 36 }, { "rtmin+30", 64 },
	};
	static const char *const bad[] = {
		"", "0", "65", "-1", "+2", "SIG", "SIGFOO", "FOO", "2x",
		" INT", "INT ", "SIGSIGINT", "RTMIN+31", "RTMIN+", "RTMIN-1",
		"99999999999999999999999",
	};
	char	cause[256];
	size_t	i;
	int	sig;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		sig = -1;
		if (!CHECK(parse_signal(good[i].s, &sig, cause,
		    sizeof cause) == 0 && sig == good[i].sig))
			printf("  signal '%s': %d\n", good[i].s, sig);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (!CHECK(parse_signal(bad[i], &sig, cause,
		    sizeof cause) == -1))
			printf("  signal '%s' accepted\n", bad[i]);
	}
	parse_signal("FOO", &sig, cause, sizeof cause);
	CHECK_STR(cause, "invalid signal 'FOO': use a name like TERM or "
	    "SIGINT, or a number from 1 to 64");
	CHECK_STR(signal_name(2), "SIGINT");
	CHECK_STR(signal_name(9), "SIGKILL");
	CHECK_STR(signal_name(15), "SIGTERM");
	CHECK_STR(signal_name(29), "SIGIO");
	CHECK_STR(signal_name(31), "SIGSYS");
	CHECK_STR(signal_name(34), "SIGRTMIN");
	CHECK_STR(signal_name(40), "SIGRTMIN+6");
	CHECK_STR(signal_name(64), "SIGRTMIN+30");
	CHECK(signal_name(0) == NULL && signal_name(32) == NULL);
	CHECK(signal_name(65) == NULL && signal_name(-1) == NULL);
	/* Two names in one expression stay distinct. */
	CHECK(strcmp(signal_name(1), signal_name(2)) != 0);
	for (sig = 1; sig <= 64; sig++) {
		int	back = -1;

		if (signal_name(sig) == NULL)
			continue;
		CHECK(parse_signal(signal_name(sig), &back, cause,
		    sizeof cause) == 0 && back == sig);
	}
}

/* Pod names, sizes and ids. */
static void
test_names_sizes_ids(void)
{
	static const char *const good_names[] = { "web", "a", "1a", "a1",
	    "web-1.prod_2", "-", ".", "0x10",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234"
	};
	static const char *const bad_names[] = { "", "1", "123", "a b",
	    "a/b", "é", "web\n",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij12345"
	};
	static const struct {
		const char	*s;
		uint64_t	 n;
	} good_sizes[] = {
		{ "4096", 4096 }, { "64K", 65536 }, { "64KiB", 65536 },
		{ "64KB", 65536 }, { "64k", 65536 }, { "64kib", 65536 },
		{ "1M", 1 << 20 }, { "2G", 2ULL << 30 }, { "1T", 1ULL << 40 },
		{ "0", 0 }, { "16383P", 0 },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad_sizes[] = { "", "K", "-1", "1.5M",
	    "1X", "1 K", "1KiBB", "16E", "17179869184G",
	    "18446744073709551616" };
	char		cause[256];
	uint64_t	n;
	size_t		i;

	for (i = 0; i < sizeof good_names / sizeof good_names[0]; i++)
		CHECK(parse_pod_name(good_names[i], cause, sizeof cause) == 0);
	for (i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
		CHECK(parse_pod_name(bad_names[i], cause, sizeof cause) == -1);
	parse_pod_name("a b", cause, sizeof cause);
	CHECK_STR(cause, "invalid pod name 'a b': use 1-64 of A-Z a-z 0-9 . _ "
	    "- with at least one non-digit");

	for (i = 0; i < sizeof good_sizes / sizeof good_sizes[0]; i++) {
		if (good_sizes[i].n == 0 && strcmp(good_sizes[i].s, "0") != 0)
			continue;	/* only the rejected-units check */
		n = 1;
		if (!CHECK(parse_size(good_sizes[i].s, &n, cause,
		    sizeof cause) == 0 && n == good_sizes[i].n))
			printf("  size '%s': %ju\n", good_sizes[i].s,
			    (uintmax_t)n);
	}
	for (i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
		if (!CHECK(parse_size(bad_sizes[i], &n, cause,
		    sizeof cause) == -1))
			printf("  size '%s' accepted\n", bad_sizes[i]);
	}
	parse_size("1X", &n, cause, sizeof cause);
	CHECK_STR(cause, "invalid size '1X': use e.g. 4096, 64K, 1M, 2G");
	parse_size("17179869184G", &n, cause, sizeof cause);
	CHECK_STR(cause, "size '17179869184G' is too large");

	CHECK(pod_ref_is_id("1", &n) && n == 1);
	CHECK(pod_ref_is_id("42", &n) && n == 42);
	CHECK(pod_ref_is_id("18446744073709551615", &n) && n == UINT64_MAX);
	CHECK(pod_ref_is_id("7", NULL));
	CHECK(!pod_ref_is_id("0", &n) && !pod_ref_is_id("007", &n));
	CHECK(!pod_ref_is_id("", &n) && !pod_ref_is_id("web", &n));
	CHECK(!pod_ref_is_id("1a", &n) && !pod_ref_is_id("-1", &n));
	CHECK(!pod_ref_is_id("18446744073709551616", &n));
	CHECK(!pod_ref_is_id(" 1", &n) && !pod_ref_is_id(NULL, &n));
}

/* Does format_ts agree with libc's gmtime_r at second t? */
static bool
time_agrees(time_t t)
{
	char		 got[64], want[64];
	struct tm	 tm;

	format_ts((int64_t)t * 1000000000, got, sizeof got);
	gmtime_r(&t, &tm);
	snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.000000Z",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (strcmp(got, want) == 0)
		return (true);
	fprintf(stderr, "format_ts at %lld: %s; gmtime_r: %s\n", (long long)t,
	    got, want);
	return (false);
}

/* format_ts's own calendar against gmtime_r on every day from 1677 to
 * 2262 (leap days and century years included): at a time of day that
 * moves from day to day, and at the last second of the day before. */
static void
test_time_against_gmtime(void)
{
	int64_t	day, tod;
	int	bad = 0;

	for (day = -106751; day <= 106750 && bad < 5; day++) {
		tod = ((day * 7919) % 86400 + 86400) % 86400;
		bad += !time_agrees((time_t)(day * 86400 + tod));
		bad += !time_agrees((time_t)(day * 86400 - 1));
	}
	CHECK(bad == 0);
}

/* timer_arm late in a long loop pass: ms from when it is called. */
struct late_timer {
	struct event	*fire;
	struct event	*wake;		/* the loop's next event, soon */
	int64_t		 armed;
	int64_t		 fired;
};

static void
late_wake_cb(int fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
}

static void
late_fire_cb(int fd, short events, void *arg)
{
	struct late_timer	*t = arg;

	(void)fd;
	(void)events;
	t->fired = mono_ms();
}

/* A callback that works 150 ms before it arms a 100 ms timer, as a pass
 * that stops a thousand pods arms its last pods' ladders. */
static void
late_arm_cb(int fd, short events, void *arg)
{
	struct late_timer	*t = arg;
	int64_t			 until = mono_ms() + 150;

	(void)fd;
	(void)events;
	while (mono_ms() < until)
		;
	t->armed = mono_ms();
	CHECK(timer_arm(t->fire, 100) == 0);
	CHECK(timer_arm(t->wake, 1) == 0);
}

/* libevent counts a relative timeout from the time it cached when the
 * loop woke: without timer_arm's update, the timer above would be due
 * 50 ms ago, and fire as soon as any other event (the wake timer here;
 * other pods in podvisord) brings the loop round with a fresh clock. */
static void
test_timer_arm_late(void)
{
	struct event_base	*b = event_base_new();
	struct late_timer	 t = { NULL, NULL, 0, 0 };
	struct event		*arm;

	CHECK(b != NULL);
	t.fire = evtimer_new(b, late_fire_cb, &t);
	t.wake = evtimer_new(b, late_wake_cb, &t);
	arm = evtimer_new(b, late_arm_cb, &t);
	CHECK(timer_arm(arm, 0) == 0);
	event_base_dispatch(b);
	/* libevent's clock is CLOCK_MONOTONIC_COARSE: a tick (up to 10 ms)
	 * behind ours. */
	CHECK(t.fired != 0 && t.fired - t.armed >= 90);
	if (t.fired - t.armed < 90)
		fprintf(stderr, "timer_arm: a 100 ms timer fired after %lld "
		    "ms\n", (long long)(t.fired - t.armed));
	event_free(arm);
	event_free(t.wake);
	event_free(t.fire);
	event_base_free(b);
}

/* Clocks, timestamps and entry kinds. */
static void
test_time_kinds(void)
{
	char	buf[64];
	int64_t	a, b;
	int	k;

	format_ts(0, buf, sizeof buf);
	CHECK_STR(buf, "1970-01-01T00:00:00.000000Z");
	format_ts(1700000000123456789LL, buf, sizeof buf);
	CHECK_STR(buf, "2023-11-14T22:13:20.123456Z");
	format_ts(-1, buf, sizeof buf);
	CHECK_STR(buf, "1969-12-31T23:59:59.999999Z");
	format_ts(INT64_MIN, buf, sizeof buf);
	CHECK_STR(buf, "1677-09-21T00:12:43.145224Z");
	format_ts(INT64_MAX, buf, sizeof buf);
	CHECK_STR(buf, "2262-04-11T23:47:16.854775Z");
	test_time_against_gmtime();
	CHECK(now_ns() > 1600000000LL * 1000000000);
	a = mono_ms();
	usleep(20000);
	b = mono_ms();
	CHECK(b - a >= 19 && b - a < 2000);

	for (k = 1; k < LOG__MAX; k++)
		CHECK(log_kind_from_name(log_kind_name(k)) == k);
	CHECK_STR(log_kind_name(LOG_STDOUT), "stdout");
	CHECK_STR(log_kind_name(LOG_LEFTOVER), "leftover");
	CHECK_STR(log_kind_name(LOG_SPAWN), "spawn");
	CHECK(log_kind_from_name("truncated") == LOG_TRUNCATED);
	CHECK(log_kind_name(0) == NULL && log_kind_name(LOG__MAX) == NULL);
	CHECK(log_kind_from_name("STDOUT") == -1);
	CHECK(log_kind_from_name("") == -1);
}

/* The default places of a user other than root. */
static void
paths_user(void)
{
	char	buf[512], want[512];

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	setenv("XDG_STATE_HOME", "/home/u/.state", 1);
	CHECK(default_socket_path(buf, sizeof buf) == 0);
	CHECK_STR(buf, "/run/user/1000/podvisor/podvisor.sock");
	CHECK(default_state_dir(buf, sizeof buf) == 0);
	CHECK_STR(buf, "/home/u/.state/podvisor");
	setenv("XDG_RUNTIME_DIR", "relative/dir", 1);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	CHECK(default_socket_path(buf, sizeof buf) == 0);
	snprintf(want, sizeof want, "/tmp/podvisor-%lu/podvisor.sock",
	    (unsigned long)geteuid());
	CHECK_STR(buf, want);
	CHECK(default_state_dir(buf, sizeof buf) == 0);
	CHECK_STR(buf, "/home/u/.local/state/podvisor");
	setenv("PODVISOR_SOCKET", "/x/y.sock", 1);
	CHECK(default_socket_path(buf, sizeof buf) == 0);
	CHECK_STR(buf, "/x/y.sock");
	unsetenv("PODVISOR_SOCKET");
}

/* Run the non-root checks as nobody in a child when we are root. */
static void
paths_as_nobody(void)
{
	pid_t	pid;
	int	status = -1, before = failed;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(100);
		paths_user();
		fflush(stdout);
		_exit(failed - before > 99 ? 99 : failed - before);
	}
	CHECK(pid != -1 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Default places, by effective uid and environment; mkdir_p. */
static void
test_paths(void)
{
	char		buf[512], want[512], dir[] = "/tmp/test-wire.XXXXXX";
	struct stat	sb;
	int		fd;

	setenv("PODVISOR_SOCKET", "/x/y.sock", 1);
	CHECK(default_socket_path(buf, sizeof buf) == 0);
	CHECK_STR(buf, "/x/y.sock");
	errno = 0;
	CHECK(default_socket_path(buf, 5) == -1 && errno == ENAMETOOLONG);
	unsetenv("PODVISOR_SOCKET");
	if (geteuid() == 0) {
		setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
		CHECK(default_socket_path(buf, sizeof buf) == 0);
		CHECK_STR(buf, "/run/podvisor/podvisor.sock");
		CHECK(default_state_dir(buf, sizeof buf) == 0);
		CHECK_STR(buf, "/var/lib/podvisor");
		paths_as_nobody();
	} else
		paths_user();
	errno = 0;
	CHECK(default_state_dir(buf, 4) == -1 && errno == ENAMETOOLONG);

	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	snprintf(buf, sizeof buf, "%s/a/b//c/", dir);
	CHECK(mkdir_p(buf, 0700) == 0);
	CHECK(mkdir_p(buf, 0700) == 0);
	snprintf(buf, sizeof buf, "%s/a/b/c", dir);
	CHECK(stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0700);
	snprintf(buf, sizeof buf, "%s/file", dir);
	fd = open(buf, O_CREAT | O_WRONLY, 0600);
	close(fd);
	snprintf(want, sizeof want, "%s/file/sub", dir);
	errno = 0;
	CHECK(mkdir_p(want, 0700) == -1 && errno == ENOTDIR);
	CHECK(mkdir_p(buf, 0700) == -1 && errno == ENOTDIR);
	unlink(buf);
	snprintf(buf, sizeof buf, "rm -rf '%s'", dir);
	CHECK(system(buf) == 0);
}

/* Log lines, captured from stderr. */
static void
test_log(void)
{
	char	 path[] = "/tmp/test-wire-log.XXXXXX", text[1024];
	int	 fd, saved;
	ssize_t	 n;

	CHECK(log_level_parse("error") == LOG_LEVEL_ERROR);
	CHECK(log_level_parse("warn") == LOG_LEVEL_WARN);
	CHECK(log_level_parse("info") == LOG_LEVEL_INFO);
	CHECK(log_level_parse("debug") == LOG_LEVEL_DEBUG);
	CHECK(log_level_parse("loud") == -1);

	if (!CHECK((fd = mkstemp(path)) != -1))
		return;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	log_init("/usr/bin/test-wire", LOG_LEVEL_INFO);
	log_warnx("x %d", 1);
	errno = ENOENT;
	log_warn("y");
	CHECK(errno == ENOENT);
	log_info("z");
	log_debug("hidden");
	log_init("test-wire", LOG_LEVEL_DEBUG);
	log_debug("shown");
	log_init("test-wire", LOG_LEVEL_ERROR);
	log_warnx("quiet");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, text, sizeof text - 1, 0);
	text[n < 0 ? 0 : n] = '\0';
	CHECK_STR(text, "test-wire: warning: x 1\n"
	    "test-wire: warning: y: No such file or directory\n"
	    "test-wire: z\ntest-wire: shown\n");
	close(fd);
	unlink(path);
}

/* The allocation and string-array helpers. */
static void
test_xmalloc(void)
{
	char	*v[] = { "a", "", "c", NULL }, **copy, *s;

	copy = xstrvdup(v);
	CHECK(strv_len(copy) == 3 && strv_equal(copy, v) && copy[0] != v[0]);
	strv_free(copy);
	CHECK(xstrvdup(NULL) == NULL && strv_len(NULL) == 0);
	strv_free(NULL);
	CHECK(xasprintf(&s, "%s-%d", "x", 5) == 3);
	CHECK_STR(s, "x-5");
	free(s);
	s = xreallocarray(NULL, 10, 10);
	memset(s, 0, 100);
	free(s);
	free(xcalloc(0, 0));
	free(xmalloc(0));
}

/* Run every test; the last line counts the checks. */
/* An HTTP pod's request: what is accepted, and what is redacted. */
static void
test_httpreq(void)
{
	static const char *const good[] = { "http://h", "https://h:443/p?q=1",
	    "HTTP://127.0.0.1:8080/x", "http://u:p@h/", "http://[::1]:80/",
	    "https://a.b-c.example/v1/chat#frag", NULL };
	static const char *const bad[] = { "ftp://h/", "file:///etc/passwd",
	    "http://", "http:///p", "http://h:0/", "http://h:65536/",
	    "http://h:8x/", "http://a b/", "http://h/\x7f", "h/path",
	    "http://[::1/", "http://u@/", NULL };
	struct wire_http	 r;
	char			 cause[256], *s;
	size_t			 i;

	for (i = 0; good[i] != NULL; i++)
		CHECK(http_check_url(good[i], cause, sizeof cause) == 0);
	for (i = 0; bad[i] != NULL; i++)
		CHECK(http_check_url(bad[i], cause, sizeof cause) == -1);
	CHECK(http_check_method("PATCH", cause, sizeof cause) == 0);
	CHECK(http_check_method("GE T", cause, sizeof cause) == -1);
	CHECK(http_check_method("", cause, sizeof cause) == -1);
	CHECK(http_check_method("connect", cause, sizeof cause) == -1);
	CHECK(http_check_header("X-A: b\tc", cause, sizeof cause) == 0);
	CHECK(http_check_header("X-A:", cause, sizeof cause) == 0);
	CHECK(http_check_header("X-A: b\r\nX-B: c", cause, sizeof cause) == -1);
	CHECK(http_check_header("X A: b", cause, sizeof cause) == -1);
	CHECK(http_check_header(": b", cause, sizeof cause) == -1);
	CHECK(http_check_header("content-length: 3", cause, sizeof cause) == -1);
	CHECK(http_secret_name("Authorization", 13));
	CHECK(http_secret_name("x-api-key", 9));
	CHECK(http_secret_name("X-Goog-Api-Key", 14));
	CHECK(http_secret_name("api_key", 7));
	CHECK(!http_secret_name("Content-Type", 12));
	s = http_redact_header("Authorization: Bearer x", 23);
	CHECK_STR(s, "Authorization: " HTTPREQ_REDACTED);
	free(s);
	s = http_redact_header("Accept: */*", 11);
	CHECK_STR(s, "Accept: */*");
	free(s);
	s = http_redact_url("https://al:pw@h/p?a=1&key=k&token=&b#f?key=x");
	CHECK_STR(s, "https://al:" HTTPREQ_REDACTED "@h/p?a=1&key="
	    HTTPREQ_REDACTED "&token=&b#f?key=x");	/* empty: nothing hid */
	free(s);
	s = http_redact_url("http://al@h/#x");
	CHECK_STR(s, "http://al@h/#x");
	free(s);
	memset(&r, 0, sizeof r);
	CHECK(http_check_request(&r, cause, sizeof cause) == -1);
	r.url = "http://h/";
	CHECK_STR(http_method_of(&r), "GET");
	r.body.ptr = (const uint8_t *)"x";
	r.body.len = 1;
	CHECK_STR(http_method_of(&r), "POST");
	r.on_cancel = "later";
	CHECK(http_check_request(&r, cause, sizeof cause) == -1);
	r.on_cancel = "abort";
	CHECK(http_check_request(&r, cause, sizeof cause) == 0);
	r.body.len = HTTPREQ_BODY_MAX + 1;
	CHECK(http_check_request(&r, cause, sizeof cause) == -1);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_init("test-wire", LOG_LEVEL_ERROR);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");

	test_roundtrips();
	test_encode_refusals();
	test_pack();
	test_encode_logs();
	test_decode_errno();
	test_field_types();
	test_nonempty();
	test_truncation();
	test_shape();
	test_duplicates();
	test_ranges();
	test_hostile();
	test_long_strings();
	test_bad_entries();
	test_fuzz();
	test_frames();

	test_peer_pair();
	test_peer_version();
	test_peer_garbage();
	test_peer_frame_max();
	test_peer_reentry();
	test_peer_halfclose();
	test_peer_closed_writer();
	test_peer_output();

	test_durations();
	test_signals();
	test_names_sizes_ids();
	test_time_kinds();
	test_timer_arm_late();
	test_paths();
	test_log();
	test_xmalloc();
	test_httpreq();

	event_base_free(base);
	printf("%d passed, %d failed\n", passed, failed);
	return (failed == 0 ? 0 : 1);
}
