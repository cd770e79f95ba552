/*
 * The message codec.  Each message type has a schema: a table of its
 * fields (wire key, kind, offset in the struct, flags), and one generic
 * encoder and decoder walk those tables, so that adding a field is one
 * line here and one in msg.h.
 *
 * The decoder faces untrusted bytes.  Before msgpack-c sees a payload, a
 * cheap scan checks that it holds exactly one complete object and that no
 * array or map announces more items than bytes remain: msgpack-c allocates
 * announced sizes up front, and a 5-byte payload must not cost gigabytes.
 *
 * The codec needs libc and msgpack-c only, logs nothing and never exits:
 * what went wrong, bad input or a lack of memory alike, goes back to the
 * caller as a cause, so that libpodvisor links it as the programs do.
 * The programs' msg_encode (frame.c) logs the cause.
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "msg.h"

enum fkind { F_U64, F_I64, F_BOOL, F_STR, F_STRV, F_BIN, F_U64V, F_F64 };

#define REQUIRED	0x1
#define NONEMPTY	0x2	/* an array that must have an entry */

struct field {
	const char	*name;		/* wire key, same as the member */
	size_t		 namelen;
	enum fkind	 kind;
	size_t		 off;		/* into the union member */
	int		 flags;
};

struct schema {
	const char		*name;	/* wire type name */
	const struct field	*fields;
	size_t			 nfields;	/* at most 64 */
};

/* The C type of each kind; F() refuses to compile a field whose member
 * does not have the type of its kind. */
#define CTYPE_U64	uint64_t
#define CTYPE_I64	int64_t
#define CTYPE_BOOL	bool
#define CTYPE_STR	char *
#define CTYPE_STRV	char **
#define CTYPE_BIN	struct wire_bin
#define CTYPE_U64V	struct wire_u64v
#define CTYPE_F64	double
#define KIND_OK(t, m, k) __builtin_types_compatible_p(			\
	__typeof__(((struct msg_##t *)0)->m), CTYPE_##k)
#define F(t, m, k, fl) { #m, sizeof(#m) - 1, F_##k,			\
	offsetof(struct msg_##t, m) +					\
	0 * sizeof(char[KIND_OK(t, m, k) ? 1 : -1]), fl }

/* A field whose wire key is not its member's name (a member of an
 * embedded struct or an array element). */
#define FN(t, m, key, k, fl) { key, sizeof(key) - 1, F_##k,		\
	offsetof(struct msg_##t, m) +					\
	0 * sizeof(char[KIND_OK(t, m, k) ? 1 : -1]), fl }
/* The limits, at member lim of message t. */
#define LIMIT_FIELDS(t, lim)						\
	FN(t, lim[LIMIT_NOFILE], "limit_nofile", I64, 0),		\
	FN(t, lim[LIMIT_NPROC], "limit_nproc", I64, 0),			\
	FN(t, lim[LIMIT_AS], "limit_as", I64, 0),			\
	FN(t, lim[LIMIT_CPU], "limit_cpu", I64, 0)
/* The spawn spec (struct wire_spec), embedded as spec in message t. */
#define SPEC_FIELDS(t)							\
	FN(t, spec.cancel_grace_ms, "cancel_grace_ms", I64, 0),		\
	FN(t, spec.term_grace_ms, "term_grace_ms", I64, 0),		\
	FN(t, spec.stop_signal, "stop_signal", I64, 0),			\
	FN(t, spec.timeout_ms, "timeout_ms", I64, 0),			\
	FN(t, spec.heartbeat_ms, "heartbeat_ms", I64, 0),		\
	FN(t, spec.max_extend_ms, "max_extend_ms", I64, 0),		\
	FN(t, spec.max_restarts, "max_restarts", I64, 0),		\
	FN(t, spec.restart_delay_ms, "restart_delay_ms", I64, 0),	\
	LIMIT_FIELDS(t, spec.limits)

/* An HTTP pod's request (struct wire_http), embedded as http in t. */
#define HTTP_FIELDS(t)							\
	FN(t, http.url, "http_url", STR, 0),				\
	FN(t, http.method, "http_method", STR, 0),			\
	FN(t, http.headers, "http_headers", STRV, 0),			\
	FN(t, http.body, "http_body", BIN, 0),				\
	FN(t, http.on_cancel, "http_on_cancel", STR, 0)

#define REQ		REQUIRED
#define REQNE		(REQUIRED | NONEMPTY)

static const struct field hello_fields[] = {
	F(hello, version, U64, REQ),
	F(hello, handles, STRV, 0),
	F(hello, pid, U64, 0),
};
static const struct field error_fields[] = {
	F(error, code, STR, REQ),
	F(error, message, STR, REQ),
};
static const struct field ok_fields[] = {
	F(ok, id, U64, 0),
	F(ok, seq, U64, 0),
};
static const struct field end_fields[] = {
	F(end, missing, STRV, 0),
	F(end, webhooks_pending, I64, 0),
};
static const struct field spawn_fields[] = {
	F(spawn, argv, STRV, 0),	/* or http_url: spawn.c checks */
	F(spawn, cwd, STR, REQ),
	F(spawn, env, STRV, 0),
	F(spawn, inherit_env, BOOL, 0),
	F(spawn, name, STR, 0),
	F(spawn, parent, STR, 0),
	F(spawn, on_parent_exit, STR, 0),
	F(spawn, restart, STR, 0),
	SPEC_FIELDS(spawn),
	HTTP_FIELDS(spawn),
};
static const struct field stop_fields[] = {
	F(stop, pods, STRV, REQNE),
	F(stop, reason, STR, 0),
	F(stop, cancel_grace_ms, I64, 0),
	F(stop, term_grace_ms, I64, 0),
	F(stop, wait, BOOL, 0),
};
static const struct field kill_fields[] = {
	F(kill, pod, STR, REQ),
	F(kill, signal, U64, REQ),
};
static const struct field status_fields[] = {
	F(status, pod, STR, 0),
	F(status, all, BOOL, 0),
	F(status, json, BOOL, 0),
};
static const struct field logs_fields[] = {
	F(logs, pod, STR, REQ),
	F(logs, from, U64, 0),
	F(logs, tail, U64, 0),
	F(logs, follow, BOOL, 0),
};
static const struct field wait_fields[] = {
	F(wait, pods, STRV, REQNE),
	F(wait, tree, BOOL, 0),
};
static const struct field send_fields[] = {
	F(send, pod, STR, REQ),
	F(send, data, BIN, REQ),
	F(send, priority, STR, 0),
	F(send, key, STR, 0),
	F(send, preempt, BOOL, 0),
};
static const struct field inspect_fields[] = {
	F(inspect, pod, STR, REQ),
};
static const struct field rm_fields[] = {
	F(rm, pods, STRV, REQNE),
};
static const struct field pause_fields[] = {
	F(pause, pods, STRV, 0),
	F(pause, wait, BOOL, 0),
};
static const struct field resume_fields[] = {
	F(resume, pods, STRV, 0),
};
static const struct field paused_fields[] = {
	F(paused, frozen, BOOL, 0),
};
static const struct field pod_fields[] = {
	F(pod, id, U64, REQ),
	F(pod, name, STR, 0),
	F(pod, parent, I64, 0),
	F(pod, state, STR, REQ),
	F(pod, pid, I64, 0),
	F(pod, runtime_pid, I64, 0),
	F(pod, argv, STRV, 0),
	F(pod, cwd, STR, 0),
	F(pod, exit_code, I64, 0),
	F(pod, signal, I64, 0),
	F(pod, reason, STR, 0),
	F(pod, error, STR, 0),
	F(pod, owner, U64, 0),
	F(pod, created_at, I64, 0),
	F(pod, started_at, I64, 0),
	F(pod, ended_at, I64, 0),
	F(pod, stop_requested_at, I64, 0),
	F(pod, stage_left_ms, I64, 0),
	SPEC_FIELDS(pod),
	F(pod, on_parent_exit, STR, 0),
	F(pod, leftovers, U64, 0),
	F(pod, log_seq, U64, 0),
	F(pod, children, U64V, 0),
	F(pod, log_max, U64, 0),
	F(pod, api, BOOL, 0),
	F(pod, queued, U64, 0),
	F(pod, paused_at, I64, 0),
	F(pod, cause, STRV, 0),
	F(pod, next_stage_at, I64, 0),
	F(pod, cancel_acked_at, I64, 0),
	F(pod, status_text, STR, 0),
	F(pod, progress, F64, 0),
	F(pod, heartbeat_at, I64, 0),
	F(pod, result, BIN, 0),
	F(pod, http_url, STR, 0),
	F(pod, http_method, STR, 0),
	F(pod, http_on_cancel, STR, 0),
	F(pod, http_status, I64, 0),
	F(pod, restart, STR, 0),
	F(pod, restarts, U64, 0),
	F(pod, restart_wait_ms, I64, 0),
	F(pod, restart_at, I64, 0),
	F(pod, env, STRV, 0),
	F(pod, gid, I64, 0),
};
/* The decoder keeps one bit per field; msg_pod is the largest. */
_Static_assert(sizeof pod_fields / sizeof pod_fields[0] <= 64,
    "a message type has more than 64 fields");
static const struct field entry_fields[] = {
	F(entry, seq, U64, REQ),
	F(entry, ts, I64, REQ),
	F(entry, kind, STR, REQ),
	F(entry, data, BIN, 0),
};
static const struct field json_fields[] = {
	F(json, text, BIN, REQ),
};
static const struct field start_fields[] = {
	F(start, id, U64, REQ),
	F(start, argv, STRV, REQNE),
	F(start, env, STRV, 0),
	F(start, cwd, STR, REQ),
	F(start, dir, STR, REQ),
	F(start, stop_signal, U64, REQ),
	F(start, cancel_grace_ms, U64, 0),
	F(start, term_grace_ms, U64, 0),
	F(start, uid, I64, 0),
	F(start, gid, I64, 0),
	F(start, groups, U64V, 0),
	LIMIT_FIELDS(start, limits),
	F(start, nofile_soft, I64, 0),
	F(start, log_max, U64, 0),
	F(start, name, STR, 0),
	F(start, parent, I64, 0),
	F(start, timeout_at, I64, 0),
	HTTP_FIELDS(start),
};
static const struct field cancel_fields[] = {
	F(cancel, reason, STR, REQ),
	F(cancel, requested_by, STR, 0),
	F(cancel, deadline, I64, 0),
};
static const struct field signal_fields[] = {
	F(signal, signal, U64, REQ),
	F(signal, tree, BOOL, 0),
};
static const struct field notify_fields[] = {
	F(notify, data, BIN, REQ),
	F(notify, priority, STR, 0),
	F(notify, key, STR, 0),
	F(notify, preempted, U64V, 0),
};
static const struct field record_fields[] = {
	F(record, kind, STR, REQ),
	F(record, data, BIN, 0),
};
static const struct field started_fields[] = {
	F(started, pid, U64, REQ),
};
static const struct field logged_fields[] = {
	F(logged, seq, U64, REQ),
	F(logged, queued, U64, 0),
};
static const struct field notified_fields[] = {
	F(notified, seq, U64, REQ),
};
static const struct field ended_fields[] = {
	F(ended, exit_code, I64, 0),
	F(ended, signal, I64, 0),
	F(ended, error, STR, 0),
	F(ended, http_status, I64, 0),
};
static const struct field response_fields[] = {
	F(response, status, U64, REQ),
};
static const struct field exited_fields[] = {
	F(exited, leftovers, U64, 0),
	F(exited, unsynced, BOOL, 0),
};

static const struct field api_fields[] = {
	F(api, handles, STRV, 0),
};
static const struct field welcome_fields[] = {
	F(welcome, id, U64, REQ),
	F(welcome, name, STR, 0),
	F(welcome, parent, I64, 0),
	F(welcome, deadline, I64, 0),
};
static const struct field extend_fields[] = {
	F(extend, ms, U64, REQ),
	F(extend, why, STR, 0),
};
static const struct field extended_fields[] = {
	F(extended, deadline, I64, REQ),
};
static const struct field log_fields[] = {
	F(log, level, STR, REQ),
	F(log, message, BIN, REQ),
	F(log, fields, BIN, 0),
};
static const struct field report_fields[] = {
	F(report, text, STR, 0),
	F(report, progress, F64, 0),
};
static const struct field result_fields[] = {
	F(result, data, BIN, REQ),
};
static const struct field message_fields[] = {
	F(message, seq, U64, REQ),
	F(message, priority, STR, REQ),
	F(message, key, STR, 0),
	F(message, data, BIN, 0),
	F(message, preempted, U64V, 0),
};
static const struct field child_fields[] = {
	F(child, id, U64, REQ),
	F(child, name, STR, 0),
	F(child, event, STR, REQ),
	F(child, state, STR, REQ),
	F(child, exit_code, I64, 0),
	F(child, signal, I64, 0),
	F(child, reason, STR, 0),
	F(child, result, BIN, 0),
};

#define S(t)	{ #t, t##_fields, sizeof t##_fields / sizeof t##_fields[0] }
#define S0(t)	{ #t, NULL, 0 }		/* a message without fields */

static const struct schema schemas[MSG__COUNT] = {
	[MSG_HELLO] = S(hello),		[MSG_ERROR] = S(error),
	[MSG_OK] = S(ok),		[MSG_END] = S(end),
	[MSG_SPAWN] = S(spawn),		[MSG_STOP] = S(stop),
	[MSG_KILL] = S(kill),		[MSG_STATUS] = S(status),
	[MSG_LOGS] = S(logs),		[MSG_WAIT] = S(wait),
	[MSG_SEND] = S(send),		[MSG_INSPECT] = S(inspect),
	[MSG_RM] = S(rm),		[MSG_POD] = S(pod),
	[MSG_ENTRY] = S(entry),		[MSG_START] = S(start),
	[MSG_CANCEL] = S(cancel),	[MSG_SIGNAL] = S(signal),
	[MSG_NOTIFY] = S(notify),	[MSG_STARTED] = S(started),
	[MSG_LOGGED] = S(logged),	[MSG_NOTIFIED] = S(notified),
	[MSG_ENDED] = S(ended),		[MSG_EXITED] = S(exited),
	[MSG_RECORD] = S(record),	[MSG_API] = S(api),
	[MSG_WELCOME] = S(welcome),	[MSG_ACK] = S0(ack),
	[MSG_EXTEND] = S(extend),	[MSG_EXTENDED] = S(extended),
	[MSG_LOG] = S(log),		[MSG_REPORT] = S(report),
	[MSG_HEARTBEAT] = S0(heartbeat), [MSG_RESULT] = S(result),
	[MSG_RECV] = S0(recv),		[MSG_MESSAGE] = S(message),
	[MSG_CHILD] = S(child),		[MSG_PAUSE] = S(pause),
	[MSG_RESUME] = S(resume),	[MSG_PAUSED] = S(paused),
	[MSG_RESPONSE] = S(response),	[MSG_REEXEC] = S0(reexec),
	[MSG_JSON] = S(json),
};

/* What the decoder carries around: the owned memory and the cause. */
struct decoder {
	const struct schema	*schema;
	msgpack_zone		*zone;
	char			*cause;
	size_t			 causelen;
	bool			 nomem;		/* failed for lack of memory */
};

#define OWN_CHUNK	2048	/* first chunk of a message's owned memory */

static int	fail(struct decoder *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* The member of a field inside a message. */
static void *
field_ptr(const struct msg *msg, const struct field *f)
{
	return ((char *)&msg->u + f->off);
}

/* The wire name of a message type. */
const char *
msg_type_name(enum msg_type type)
{
	if ((unsigned)type >= MSG__COUNT)
		return ("unknown");
	return (schemas[type].name);
}

/* Zero a message of the given type, with every int64 field WIRE_NONE. */
void
msg_init(struct msg *msg, enum msg_type type)
{
	const struct schema	*s;
	size_t			 i;

	memset(msg, 0, sizeof *msg);
	msg->type = type;
	if ((unsigned)type >= MSG__COUNT)
		return;
	s = &schemas[type];
	for (i = 0; i < s->nfields; i++) {
		if (s->fields[i].kind == F_I64)
			*(int64_t *)field_ptr(msg, &s->fields[i]) = WIRE_NONE;
		else if (s->fields[i].kind == F_F64)
			*(double *)field_ptr(msg, &s->fields[i]) = WIRE_NAN;
	}
}

/* Every member of a spec WIRE_NONE: nothing asked. */
void
msg_spec_init(struct wire_spec *spec)
{
	int	i;

	spec->cancel_grace_ms = spec->term_grace_ms = WIRE_NONE;
	spec->stop_signal = spec->timeout_ms = WIRE_NONE;
	spec->heartbeat_ms = spec->max_extend_ms = WIRE_NONE;
	spec->max_restarts = spec->restart_delay_ms = WIRE_NONE;
	for (i = 0; i < WIRE_NLIMITS; i++)
		spec->limits[i] = WIRE_NONE;
}

/* Release what msg_decode allocated; leave caller-set pointers alone. */
void
msg_free(struct msg *msg)
{
	if (msg->owner == NULL)
		return;
	msgpack_zone_free(msg->owner);
	msg_init(msg, msg->type);
}

/* Copy peer bytes into a cause: at most 64, non-printables as '?'. */
static const char *
shown(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t	i;

	for (i = 0; i < len && i + 1 < buflen; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	if (i < len && i >= 3)
		memcpy(buf + i - 3, "...", 3);
	return (buf);
}

/*
 * Encoding.
 */

/* The entries of a NULL-terminated string array. */
static size_t
strv_count(char *const *v)
{
	size_t	n;

	for (n = 0; v[n] != NULL; n++)
		;
	return (n);
}

/* Is the field written at all? Absent values are omitted. */
static bool
field_written(const struct field *f, const void *p)
{
	switch (f->kind) {
	case F_STR:
		return (*(char *const *)p != NULL);
	case F_STRV:
		return (*(char **const *)p != NULL);
	case F_BIN:
		return (((const struct wire_bin *)p)->len != 0 ||
		    (f->flags & REQUIRED));
	case F_U64V:
		return (((const struct wire_u64v *)p)->n != 0);
	default:
		return (true);
	}
}

/* Would the peer's decoder accept this field? NULL if so, else why. */
static const char *
field_unsendable(const struct field *f, const void *p)
{
	char *const			*v;
	const struct wire_bin		*b = p;
	const struct wire_u64v		*u = p;
	size_t				 n;

	switch (f->kind) {
	case F_I64:
		if ((f->flags & REQUIRED) && *(const int64_t *)p == WIRE_NONE)
			return ("is required");
		return (NULL);
	case F_STR:
		if (*(char *const *)p == NULL)
			return ((f->flags & REQUIRED) ? "is required" : NULL);
		if (strlen(*(char *const *)p) > WIRE_STR_MAX)
			return ("is too long");
		return (NULL);
	case F_STRV:
		if ((v = *(char **const *)p) == NULL)
			return ((f->flags & REQUIRED) ? "is required" : NULL);
		for (n = 0; v[n] != NULL; n++) {
			if (strlen(v[n]) > WIRE_STR_MAX)
				return ("has a string that is too long");
		}
		if (n > WIRE_ARGV_MAX)
			return ("has too many entries");
		if (n == 0 && (f->flags & NONEMPTY))
			return ("is empty");
		return (NULL);
	case F_BIN:
		if ((b->ptr == NULL && b->len != 0) || b->len > UINT32_MAX)
			return ("is invalid");
		return (NULL);
	case F_U64V:
		if ((u->v == NULL && u->n != 0) || u->n > WIRE_U64V_MAX)
			return ("is invalid");
		return (NULL);
	default:
		return (NULL);
	}
}

/* Pack one string. */
static int
pack_str(msgpack_packer *pk, const char *s)
{
	size_t	len = strlen(s);

	return (msgpack_pack_str(pk, len) | msgpack_pack_str_body(pk, s, len));
}

/* Pack one field's value. */
static int
pack_field(msgpack_packer *pk, const struct field *f, const void *p)
{
	const struct wire_bin	*b = p;
	const struct wire_u64v	*u = p;
	char *const		*v;
	int			 rc = 0;
	size_t			 i;

	switch (f->kind) {
	case F_U64:
		return (msgpack_pack_uint64(pk, *(const uint64_t *)p));
	case F_I64:
		if (*(const int64_t *)p == WIRE_NONE)
			return (msgpack_pack_nil(pk));
		return (msgpack_pack_int64(pk, *(const int64_t *)p));
	case F_BOOL:
		if (*(const bool *)p)
			return (msgpack_pack_true(pk));
		return (msgpack_pack_false(pk));
	case F_STR:
		return (pack_str(pk, *(char *const *)p));
	case F_STRV:
		v = *(char **const *)p;
		rc = msgpack_pack_array(pk, strv_count(v));
		for (i = 0; v[i] != NULL; i++)
			rc |= pack_str(pk, v[i]);
		return (rc);
	case F_BIN:
		return (msgpack_pack_bin(pk, b->len) |
		    msgpack_pack_bin_body(pk, b->ptr, b->len));
	case F_U64V:
		rc = msgpack_pack_array(pk, u->n);
		for (i = 0; i < u->n; i++)
			rc |= msgpack_pack_uint64(pk, u->v[i]);
		return (rc);
	case F_F64:
		if (isnan(*(const double *)p))
			return (msgpack_pack_nil(pk));
		return (msgpack_pack_double(pk, *(const double *)p));
	}
	return (-1);
}

/* Pack the map of a message whose fields have been checked. */
static int
pack_msg(msgpack_packer *pk, const struct msg *msg)
{
	const struct schema	*s = &schemas[msg->type];
	const struct field	*f;
	size_t			 i, n = 1;
	int			 rc;

	for (i = 0; i < s->nfields; i++)
		n += field_written(&s->fields[i], field_ptr(msg, &s->fields[i]));
	rc = msgpack_pack_map(pk, n);
	rc |= pack_str(pk, "type") | pack_str(pk, s->name);
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (!field_written(f, field_ptr(msg, f)))
			continue;
		rc |= pack_str(pk, f->name);
		rc |= pack_field(pk, f, field_ptr(msg, f));
	}
	return (rc);
}

/* Would the peer's decoder accept this message? 0, or -1 and why. */
int
msg_check(const struct msg *msg, char *cause, size_t causelen)
{
	const struct schema	*s;
	const char		*why;
	size_t			 i;

	if ((unsigned)msg->type >= MSG__COUNT) {
		snprintf(cause, causelen, "cannot encode message of unknown "
		    "type %d", msg->type);
		return (-1);
	}
	s = &schemas[msg->type];
	for (i = 0; i < s->nfields; i++) {
		why = field_unsendable(&s->fields[i],
		    field_ptr(msg, &s->fields[i]));
		if (why != NULL) {
			snprintf(cause, causelen, "cannot encode %s: field '%s' "
			    "%s", s->name, s->fields[i].name, why);
			return (-1);
		}
	}
	return (0);
}

/* Pack a message's map through write, once msg_check() accepts it. */
int
msg_pack(const struct msg *msg, msg_write_cb write, void *arg, char *cause,
    size_t causelen)
{
	msgpack_packer	pk;

	if (msg_check(msg, cause, causelen) == -1)
		return (-1);
	msgpack_packer_init(&pk, arg, write);
	if (pack_msg(&pk, msg) != 0) {
		snprintf(cause, causelen, "cannot encode %s: out of buffer "
		    "space", msg_type_name(msg->type));
		return (-1);
	}
	return (0);
}

/*
 * Decoding.
 */

enum item_what { ITEM_LEAF, ITEM_BODY, ITEM_ARRAY, ITEM_MAP, ITEM_BAD };

/* How an item starting with byte b is laid out: bytes of its length
 * field, fixed bytes after that, and what follows the header. */
struct item {
	enum item_what	what;
	unsigned	lenbytes;
	unsigned	fixed;
	uint64_t	n;		/* when lenbytes is 0 */
};

/* Classify the first byte of a msgpack item. */
static struct item
item_kind(uint8_t b)
{
	static const unsigned	 pow2[] = { 1, 2, 4, 8, 16 };
	struct item		 it = { ITEM_LEAF, 0, 0, 0 };

	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return (it);
	if (b <= 0x8f)
		it = (struct item){ ITEM_MAP, 0, 0, b & 0x0f };
	else if (b <= 0x9f)
		it = (struct item){ ITEM_ARRAY, 0, 0, b & 0x0f };
	else if (b <= 0xbf)
		it = (struct item){ ITEM_BODY, 0, 0, b & 0x1f };
	else if (b >= 0xc4 && b <= 0xc6)	/* bin 8/16/32 */
		it = (struct item){ ITEM_BODY, pow2[b - 0xc4], 0, 0 };
	else if (b >= 0xc7 && b <= 0xc9)	/* ext 8/16/32 */
		it = (struct item){ ITEM_BODY, pow2[b - 0xc7], 1, 0 };
	else if (b == 0xca || b == 0xcb)	/* float 32/64 */
		it.fixed = b == 0xca ? 4 : 8;
	else if (b >= 0xcc && b <= 0xd3)	/* uint, int 8..64 */
		it.fixed = pow2[(b - 0xcc) % 4];
	else if (b >= 0xd4 && b <= 0xd8)	/* fixext 1..16 */
		it = (struct item){ ITEM_BODY, 0, 1, pow2[b - 0xd4] };
	else if (b >= 0xd9 && b <= 0xdb)	/* str 8/16/32 */
		it = (struct item){ ITEM_BODY, pow2[b - 0xd9], 0, 0 };
	else if (b == 0xdc || b == 0xdd)
		it = (struct item){ ITEM_ARRAY, b == 0xdc ? 2 : 4, 0, 0 };
	else if (b == 0xde || b == 0xdf)
		it = (struct item){ ITEM_MAP, b == 0xde ? 2 : 4, 0, 0 };
	else
		it.what = ITEM_BAD;		/* 0xc1, never used */
	return (it);
}

/* Check that p holds exactly one complete msgpack object and that every
 * announced item could fit in what is left. */
static int
prescan(const uint8_t *p, size_t len, char *cause, size_t causelen)
{
	struct item	it;
	size_t		off = 0, hdr;
	uint64_t	pending = 1;	/* items still to read */
	unsigned	i;

	while (pending > 0) {
		if (off >= len)
			goto truncated;
		it = item_kind(p[off]);
		if (it.what == ITEM_BAD) {
			snprintf(cause, causelen, "malformed msgpack: byte "
			    "0x%02x at offset %zu", p[off], off);
			return (-1);
		}
		hdr = 1 + it.lenbytes + it.fixed;
		if (len - off < hdr)
			goto truncated;
		for (i = 0; i < it.lenbytes; i++)
			it.n = it.n << 8 | p[off + 1 + i];
		off += hdr;
		pending--;
		if (it.what == ITEM_BODY) {
			if (it.n > len - off)
				goto truncated;
			off += it.n;
		} else if (it.what != ITEM_LEAF)
			pending += it.what == ITEM_MAP ? 2 * it.n : it.n;
		if (pending > len - off)
			goto truncated;
	}
	if (off != len) {
		snprintf(cause, causelen, "trailing bytes after the message");
		return (-1);
	}
	return (0);

truncated:
	snprintf(cause, causelen, "truncated message");
	return (-1);
}

/* Set the cause, prefixed with the message type; returns -1. */
static int
fail(struct decoder *d, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(d->cause, d->causelen, "%s: ", d->schema->name);
	if (n < 0 || (size_t)n >= d->causelen)
		return (-1);
	va_start(ap, fmt);
	vsnprintf(d->cause + n, d->causelen - n, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Out of memory: the cause says so, and msg_decode's errno. */
static int
no_memory(struct decoder *d)
{
	d->nomem = true;
	snprintf(d->cause, d->causelen, "out of memory decoding a message");
	return (-1);
}

/* Memory owned by the message being decoded; NULL when there is none. */
static void *
own(struct decoder *d, size_t size)
{
	if (d->zone == NULL && (d->zone = msgpack_zone_new(OWN_CHUNK)) == NULL)
		return (NULL);
	return (msgpack_zone_malloc(d->zone, size == 0 ? 1 : size));
}

/* An owned, NUL-terminated copy of some bytes; NULL without memory. */
static char *
own_bytes(struct decoder *d, const char *ptr, size_t len)
{
	char	*s;

	if ((s = own(d, len + 1)) == NULL)
		return (NULL);
	memcpy(s, ptr, len);
	s[len] = '\0';
	return (s);
}

/* Check and copy one string value (a field, or an entry of one). */
static int
take_str(struct decoder *d, const struct field *f, const msgpack_object *o,
    char **out)
{
	if (o->type != MSGPACK_OBJECT_STR) {
		if (f->kind == F_STRV)
			return (fail(d, "field '%s' must be an array of "
			    "strings", f->name));
		return (fail(d, "field '%s' must be a string", f->name));
	}
	if (o->via.str.size > WIRE_STR_MAX)
		return (fail(d, "field '%s' has a string longer than %d bytes",
		    f->name, WIRE_STR_MAX));
	if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return (fail(d, "field '%s' has a string with a NUL byte",
		    f->name));
	if ((*out = own_bytes(d, o->via.str.ptr, o->via.str.size)) == NULL)
		return (no_memory(d));
	return (0);
}

/* Check the size of an array field. */
static int
check_array(struct decoder *d, const struct field *f, const msgpack_object *o,
    size_t max, const char *what)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return (fail(d, "field '%s' must be an array of %s", f->name,
		    what));
	if (o->via.array.size > max)
		return (fail(d, "field '%s' has more than %zu entries",
		    f->name, max));
	if (o->via.array.size == 0 && (f->flags & NONEMPTY))
		return (fail(d, "field '%s' must not be empty", f->name));
	return (0);
}

/* Decode a string array into an owned, NULL-terminated copy. */
static int
take_strv(struct decoder *d, const struct field *f, const msgpack_object *o,
    char ***out)
{
	char		**v;
	uint32_t	  i, n;

	if (check_array(d, f, o, WIRE_ARGV_MAX, "strings") == -1)
		return (-1);
	n = o->via.array.size;
	if ((v = own(d, (n + 1) * sizeof *v)) == NULL)
		return (no_memory(d));
	for (i = 0; i < n; i++) {
		if (take_str(d, f, &o->via.array.ptr[i], &v[i]) == -1)
			return (-1);
	}
	v[n] = NULL;
	*out = v;
	return (0);
}

/* Decode an integer array into an owned copy. */
static int
take_u64v(struct decoder *d, const struct field *f, const msgpack_object *o,
    struct wire_u64v *out)
{
	const char	*what = "non-negative integers";
	uint32_t	 i, n;

	if (check_array(d, f, o, WIRE_U64V_MAX, what) == -1)
		return (-1);
	n = o->via.array.size;
	out->v = NULL;
	if (n > 0 && (out->v = own(d, n * sizeof *out->v)) == NULL)
		return (no_memory(d));
	for (i = 0; i < n; i++) {
		if (o->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return (fail(d, "field '%s' must be an array of %s",
			    f->name, what));
		out->v[i] = o->via.array.ptr[i].via.u64;
	}
	out->n = n;
	return (0);
}

/* Decode an int64 field: an integer in range, or nil. */
static int
take_i64(struct decoder *d, const struct field *f, const msgpack_object *o,
    int64_t *out)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		*out = WIRE_NONE;
		return (0);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		/* -1 is WIRE_NONE, nil in C: a required field cannot be it,
		 * or this would accept what msg_encode refuses to send. */
		if (o->via.i64 == WIRE_NONE && (f->flags & REQUIRED))
			return (fail(d, "field '%s' is out of range", f->name));
		*out = o->via.i64;
		return (0);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return (fail(d, "field '%s' is out of range", f->name));
		*out = (int64_t)o->via.u64;
		return (0);
	default:
		return (fail(d, "field '%s' must be an integer or nil",
		    f->name));
	}
}

/* Decode bytes (msgpack bin or str) into an owned, NUL-terminated copy. */
static int
take_bin(struct decoder *d, const struct field *f, const msgpack_object *o,
    struct wire_bin *out)
{
	const char	*ptr;
	uint32_t	 size;

	if (o->type == MSGPACK_OBJECT_BIN) {
		ptr = o->via.bin.ptr;
		size = o->via.bin.size;
	} else if (o->type == MSGPACK_OBJECT_STR) {
		ptr = o->via.str.ptr;
		size = o->via.str.size;
	} else
		return (fail(d, "field '%s' must be binary or a string",
		    f->name));
	if ((out->ptr = (const uint8_t *)own_bytes(d, ptr, size)) == NULL)
		return (no_memory(d));
	out->len = size;
	return (0);
}

/* Decode a number field: a float or an integer, or nil (NAN). */
static int
take_f64(struct decoder *d, const struct field *f, const msgpack_object *o,
    double *out)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		*out = WIRE_NAN;
		return (0);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (isnan(o->via.f64))
			return (fail(d, "field '%s' is not a number", f->name));
		*out = o->via.f64;
		return (0);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		return (0);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		return (0);
	default:
		return (fail(d, "field '%s' must be a number or nil", f->name));
	}
}

/* Decode one known field into its member. */
static int
take_field(struct decoder *d, const struct field *f, const msgpack_object *o,
    void *p)
{
	switch (f->kind) {
	case F_U64:
		if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return (fail(d, "field '%s' must be a non-negative "
			    "integer", f->name));
		*(uint64_t *)p = o->via.u64;
		return (0);
	case F_I64:
		return (take_i64(d, f, o, p));
	case F_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return (fail(d, "field '%s' must be a boolean",
			    f->name));
		*(bool *)p = o->via.boolean;
		return (0);
	case F_STR:
		if (o->type == MSGPACK_OBJECT_NIL)
			return (0);
		return (take_str(d, f, o, p));
	case F_STRV:
		return (take_strv(d, f, o, p));
	case F_BIN:
		return (take_bin(d, f, o, p));
	case F_U64V:
		return (take_u64v(d, f, o, p));
	case F_F64:
		return (take_f64(d, f, o, p));
	}
	return (-1);
}

/* Order two map keys (all strings by now) for the duplicate check. */
static int
key_cmp(const void *a, const void *b)
{
	const msgpack_object_str	*x = *(const msgpack_object_str *const *)a;
	const msgpack_object_str	*y = *(const msgpack_object_str *const *)b;
	int				 c;

	c = memcmp(x->ptr, y->ptr, x->size < y->size ? x->size : y->size);
	if (c != 0)
		return (c);
	return (x->size < y->size ? -1 : x->size > y->size);
}

/* Is field f the one named by a key? */
static bool
field_is(const struct field *f, const msgpack_object_str *key)
{
	return (f->namelen == key->size &&
	    memcmp(f->name, key->ptr, key->size) == 0);
}

/* The field of a schema named by a key; NULL for an unknown key.  Keys
 * mostly come in the table's order (msg_pack writes them so): the field
 * after *hint is tried first, and *hint follows the match. */
static const struct field *
find_field(const struct schema *s, const msgpack_object_str *key,
    size_t *hint)
{
	size_t	i;

	if (*hint < s->nfields && field_is(&s->fields[*hint], key))
		return (&s->fields[(*hint)++]);
	for (i = 0; i < s->nfields; i++) {
		if (field_is(&s->fields[i], key)) {
			*hint = i + 1;
			return (&s->fields[i]);
		}
	}
	return (NULL);
}

/* Refuse a map with a key given twice.  Known fields are told apart by
 * a bit each; only a map with two unknown keys ("type" is one) needs the
 * sort, O(n log n). */
static int
check_duplicates(struct decoder *d, const msgpack_object_map *map)
{
	const msgpack_object_str	**keys;
	const msgpack_object_str	 *key;
	const struct field		 *f;
	uint64_t			  seen = 0, bit;
	uint32_t			  i, unknown = 0;
	size_t				  hint = 0;
	char				  buf[72];
	int				  rc = 0;

	for (i = 0; i < map->size; i++) {
		key = &map->ptr[i].key.via.str;
		if ((f = find_field(d->schema, key, &hint)) == NULL) {
			unknown++;
			continue;
		}
		bit = (uint64_t)1 << (f - d->schema->fields);
		if (seen & bit)
			return (fail(d, "duplicate field '%s'", shown(key->ptr,
			    key->size, buf, sizeof buf)));
		seen |= bit;
	}
	if (unknown < 2)
		return (0);
	if ((keys = calloc(map->size, sizeof *keys)) == NULL)
		return (no_memory(d));
	for (i = 0; i < map->size; i++)
		keys[i] = &map->ptr[i].key.via.str;
	qsort(keys, map->size, sizeof *keys, key_cmp);
	for (i = 1; i < map->size && rc == 0; i++) {
		if (key_cmp(&keys[i - 1], &keys[i]) == 0)
			rc = fail(d, "duplicate field '%s'", shown(keys[i]->ptr,
			    keys[i]->size, buf, sizeof buf));
	}
	free(keys);
	return (rc);
}

/* Is a map key equal to a C string? */
static bool
key_is(const msgpack_object *key, const char *s)
{
	return (key->via.str.size == strlen(s) &&
	    memcmp(key->via.str.ptr, s, key->via.str.size) == 0);
}

/* Find the message type in a map whose keys are all strings. */
static int
find_type(const msgpack_object_map *map, enum msg_type *type, char *cause,
    size_t causelen)
{
	const msgpack_object	*v = NULL;
	uint32_t		 i;
	int			 t;
	char			 buf[72];

	for (i = 0; i < map->size && v == NULL; i++) {
		if (key_is(&map->ptr[i].key, "type"))
			v = &map->ptr[i].val;
	}
	if (v == NULL) {
		snprintf(cause, causelen, "message has no 'type' field");
		return (-1);
	}
	if (v->type != MSGPACK_OBJECT_STR) {
		snprintf(cause, causelen, "message 'type' must be a string");
		return (-1);
	}
	for (t = 0; t < MSG__COUNT; t++) {
		if (key_is(v, schemas[t].name)) {
			*type = t;
			return (0);
		}
	}
	snprintf(cause, causelen, "unknown message type '%s'",
	    shown(v->via.str.ptr, v->via.str.size, buf, sizeof buf));
	return (-1);
}

/* Decode every known field of the map, then check the required ones. */
static int
take_fields(struct decoder *d, const msgpack_object_map *map,
    struct msg *msg)
{
	const struct schema	*s = d->schema;
	const struct field	*f;
	const msgpack_object	*val;
	uint64_t		 present = 0;	/* bit per field index */
	uint32_t		 i;
	size_t			 j, hint = 0;

	for (i = 0; i < map->size; i++) {
		if ((f = find_field(s, &map->ptr[i].key.via.str, &hint)) == NULL)
			continue;	/* "type", or from a newer peer */
		val = &map->ptr[i].val;
		if (take_field(d, f, val, field_ptr(msg, f)) == -1)
			return (-1);
		if (val->type != MSGPACK_OBJECT_NIL)
			present |= (uint64_t)1 << (f - s->fields);
	}
	for (j = 0; j < s->nfields; j++) {
		if ((s->fields[j].flags & REQUIRED) && !(present >> j & 1))
			return (fail(d, "missing required field '%s'",
			    s->fields[j].name));
	}
	return (0);
}

/* Check the outer shape: a map with string keys and a known type. */
static int
decode_map(const msgpack_object *o, struct decoder *d, struct msg *msg)
{
	const msgpack_object_map	*map = &o->via.map;
	enum msg_type			 type;
	uint32_t			 i;

	if (o->type != MSGPACK_OBJECT_MAP) {
		snprintf(d->cause, d->causelen, "message is not a map");
		return (-1);
	}
	for (i = 0; i < map->size; i++) {
		if (map->ptr[i].key.type != MSGPACK_OBJECT_STR) {
			snprintf(d->cause, d->causelen,
			    "message keys must be strings");
			return (-1);
		}
	}
	if (find_type(map, &type, d->cause, d->causelen) == -1)
		return (-1);
	d->schema = &schemas[type];
	if (check_duplicates(d, map) == -1)
		return (-1);
	msg_init(msg, type);
	return (take_fields(d, map, msg));
}

/* Decode one frame payload; on error the message owns nothing. */
int
msg_decode(const void *data, size_t len, struct msg *msg, char *cause,
    size_t causelen)
{
	struct decoder		d = { NULL, NULL, cause, causelen, false };
	msgpack_unpacked	up;
	msgpack_unpack_return	ret;
	size_t			off = 0;
	int			rc = -1;

	memset(msg, 0, sizeof *msg);
	if (prescan(data, len, cause, causelen) == -1) {
		errno = EINVAL;
		return (-1);
	}
	msgpack_unpacked_init(&up);
	ret = msgpack_unpack_next(&up, data, len, &off);
	if (ret == MSGPACK_UNPACK_SUCCESS && off == len)
		rc = decode_map(&up.data, &d, msg);
	else if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
		snprintf(cause, causelen, "message nested too deeply");
	else
		snprintf(cause, causelen, "malformed msgpack");
	msgpack_unpacked_destroy(&up);
	if (rc == -1) {
		if (d.zone != NULL)
			msgpack_zone_free(d.zone);
		memset(msg, 0, sizeof *msg);
		errno = d.nomem ? ENOMEM : EINVAL;
		return (-1);
	}
	msg->owner = d.zone;
	return (0);
}
