/*
 * The wire's records as JSON, with the contract's field names: what
 * podctl --json prints and podvisord's HTTP API answers, built in this one
 * place.  A pod record becomes an object (children as ids, or nested with
 * a podtree), a log entry {seq, ts, kind, data[, encoding]}.
 */

#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "json.h"

static size_t	 pod_find(const struct podtree *, const size_t *, uint64_t);

/* A named member of an object: its key, then the value call writes. */
#define FIELD(key, call) do { JW_KEY(w, key); call; } while (0)

/* The owner's user name, else the uid as a string.  The last answer is
 * kept: pods mostly share an owner, and each getpwuid() reads the whole
 * passwd file (status of 10,000 pods spent 90% of its time there). */
static void
jw_owner(struct jw *w, uint64_t uid)
{
	static uint64_t	 last_uid = UINT64_MAX;
	static char	 last_name[256];
	struct passwd	*pw;

	if (uid != last_uid) {
		last_uid = uid;
		if (uid <= (uid_t)-1 && (pw = getpwuid((uid_t)uid)) != NULL)
			snprintf(last_name, sizeof last_name, "%s",
			    pw->pw_name);
		else
			snprintf(last_name, sizeof last_name, "%llu",
			    (unsigned long long)uid);
	}
	jw_string(w, last_name);
}

/* An RFC 3339 timestamp, or null when unset.  The last second's text is
 * kept and only the microseconds written: a list's pods mostly started
 * within a few seconds, and formatting whole times was a sixth of it. */
void
jw_time(struct jw *w, int64_t ns)
{
	static int64_t	 last_sec = -1;
	static char	 text[64];	/* "2026-11-21T06:10:00.123456Z" */
	static size_t	 dot;		/* where ".123456Z" starts */
	int64_t		 sec = ns / 1000000000, us = ns % 1000000000 / 1000;
	char		*p;
	int		 i;

	if (ns < 0) {
		jw_null(w);
		return;
	}
	if (sec != last_sec) {
		format_ts(ns, text, sizeof text);
		if ((p = strchr(text, '.')) == NULL) {
			jw_string(w, text);	/* "invalid" */
			return;
		}
		dot = (size_t)(p - text);
		last_sec = sec;
	}
	for (i = 6; i > 0; i--, us /= 10)
		text[dot + (size_t)i] = (char)('0' + us % 10);
	jw_utf8(w, text, dot + 8);
}

/* A non-negative integer, or null when unset. */
static void
jw_ms(struct jw *w, int64_t v)
{
	if (v < 0)
		jw_null(w);
	else
		jw_int(w, v);
}

/* A signal as "SIGKILL" (its number as a string when unnamed), or null. */
static void
jw_signal(struct jw *w, int64_t sig)
{
	const char	*name;
	char		 buf[32];

	if (sig <= 0) {
		jw_null(w);
		return;
	}
	if (sig < NSIG && (name = signal_name((int)sig)) != NULL) {
		jw_string(w, name);
		return;
	}
	snprintf(buf, sizeof buf, "%lld", (long long)sig);
	jw_string(w, buf);
}

/* An array of strings; empty for NULL. */
static void
jw_strv(struct jw *w, char **v)
{
	size_t	 i;

	jw_array(w);
	for (i = 0; v != NULL && v[i] != NULL; i++)
		jw_string(w, v[i]);
	jw_array_end(w);
}

/* The limits the pod was given, by --limit name; {} when none. */
static void
jw_limits(struct jw *w, const struct msg_pod *p)
{
	int	 i;

	jw_object(w);
	for (i = 0; i < WIRE_NLIMITS; i++) {
		if (p->spec.limits[i] >= 0) {
			jw_key(w, limit_defs[i].name);
			jw_int(w, p->spec.limits[i]);
		}
	}
	jw_object_end(w);
}

/* The workload's result (only inspect replies carry one): JSON already,
 * checked and written compact; a string if it does not parse. */
static void
jw_result(struct jw *w, const struct msg_pod *p)
{
	json_error_t	 err;
	json_t		*v;
	char		*text;

	v = json_loadb((const char *)p->result.ptr, p->result.len,
	    JSON_DECODE_ANY, &err);
	if (v == NULL) {
		if (utf8_valid(p->result.ptr, p->result.len))
			jw_utf8(w, p->result.ptr, p->result.len);
		else
			jw_null(w);
		return;
	}
	text = json_dumps_free(v);
	jw_raw(w, text, strlen(text));
	free(text);
}

/* The pod API's fields: whether it is open, the stop ladder's next rung,
 * the acknowledged cancel, the workload's status and heartbeat, and its
 * result. */
static void
jw_api(struct jw *w, const struct msg_pod *p)
{
	FIELD("api", jw_bool(w, p->api));
	FIELD("queued", jw_int(w, (int64_t)p->queued));
	FIELD("paused_at", jw_time(w, p->paused_at));
	JW_KEY(w, "cause");
	if (p->cause != NULL)
		jw_strv(w, p->cause);
	else
		jw_null(w);
	FIELD("next_stage_at", jw_time(w, p->next_stage_at));
	FIELD("cancel_acked_at", jw_time(w, p->cancel_acked_at));
	FIELD("status_text", jw_string(w, p->status_text));
	FIELD("progress", jw_real(w, p->progress));
	FIELD("heartbeat_at", jw_time(w, p->heartbeat_at));
	if (p->result.len == 0)
		return;
	JW_KEY(w, "result");
	jw_result(w, p);
}

/* An HTTP pod's request and status, or null for a command pod. */
static void
jw_http(struct jw *w, const struct msg_pod *p)
{
	if (p->http_url == NULL) {
		jw_null(w);
		return;
	}
	jw_object(w);
	FIELD("url", jw_string(w, p->http_url));
	FIELD("method", jw_string(w, p->http_method));
	FIELD("status", jw_ms(w, p->http_status));
	FIELD("on_cancel", jw_string(w, p->http_on_cancel != NULL ?
	    p->http_on_cancel : "finish"));
	jw_object_end(w);
}

/* Every field of a pod's object but "children", in the contract's
 * names; the object is left open. */
static void
jw_pod_fields(struct jw *w, const struct msg_pod *p)
{
	jw_object(w);
	FIELD("id", jw_int(w, (int64_t)p->id));
	FIELD("name", jw_string(w, p->name));
	FIELD("parent", jw_ms(w, p->parent));
	FIELD("state", jw_string(w, p->state));
	FIELD("pid", jw_ms(w, p->pid > 0 ? p->pid : -1));
	FIELD("runtime_pid", jw_ms(w, p->runtime_pid > 0 ? p->runtime_pid :
	    -1));
	FIELD("argv", jw_strv(w, p->argv));
	FIELD("cwd", jw_string(w, p->cwd));
	FIELD("exit_code", jw_ms(w, p->exit_code));
	FIELD("signal", jw_signal(w, p->signal));
	FIELD("reason", jw_string(w, p->reason));
	FIELD("error", jw_string(w, p->error));
	FIELD("owner", jw_owner(w, p->owner));
	FIELD("created_at", jw_time(w, p->created_at));
	FIELD("started_at", jw_time(w, p->started_at));
	FIELD("ended_at", jw_time(w, p->ended_at));
	FIELD("stop_requested_at", jw_time(w, p->stop_requested_at));
	FIELD("cancel_grace_ms", jw_ms(w, p->spec.cancel_grace_ms));
	FIELD("term_grace_ms", jw_ms(w, p->spec.term_grace_ms));
	FIELD("stop_signal", jw_signal(w, p->spec.stop_signal));
	FIELD("timeout_ms", jw_ms(w, p->spec.timeout_ms));
	FIELD("heartbeat_ms", jw_ms(w, p->spec.heartbeat_ms));
	FIELD("max_extend_ms", jw_ms(w, p->spec.max_extend_ms));
	FIELD("on_parent_exit", jw_string(w, p->on_parent_exit != NULL ?
	    p->on_parent_exit : "stop"));
	FIELD("restart", jw_string(w, p->restart != NULL ? p->restart :
	    "no"));
	FIELD("max_restarts", jw_ms(w, p->spec.max_restarts));
	FIELD("restart_delay_ms", jw_ms(w, p->spec.restart_delay_ms));
	FIELD("restarts", jw_int(w, (int64_t)p->restarts));
	FIELD("restart_wait_ms", jw_ms(w, p->restart_wait_ms));
	FIELD("restart_at", jw_time(w, p->restart_at));
	FIELD("limits", jw_limits(w, p));
	FIELD("log_max", jw_int(w, (int64_t)p->log_max));
	FIELD("leftovers", jw_int(w, (int64_t)p->leftovers));
	FIELD("log_seq", jw_int(w, (int64_t)p->log_seq));
	FIELD("http", jw_http(w, p));
	jw_api(w, p);
}

/* A pod record as a JSON object; children are ids. */
void
pod_write(struct jw *w, const struct msg_pod *p)
{
	size_t	 i;

	jw_pod_fields(w, p);
	JW_KEY(w, "children");
	jw_array(w);
	for (i = 0; i < p->children.n; i++)
		jw_int(w, (int64_t)p->children.v[i]);
	jw_array_end(w);
	jw_object_end(w);
}

/* What one writer wrote, as a jansson value (NULL: out of memory). */
static json_t *
json_written(void (*write)(struct jw *, const void *), const void *arg)
{
	struct jw		 w;
	struct jw_memory	 m;

	jw_memory(&w, &m);
	write(&w, arg);
	return (jw_memory_json(&w, &m));
}

static void
pod_write_arg(struct jw *w, const void *p)
{
	pod_write(w, p);
}

/* The same object as a jansson value (one pod: inspect, an event). */
json_t *
pod_json(const struct msg_pod *p)
{
	return (json_written(pod_write_arg, p));
}

/*
 * A forest streamed: each pod's object stays open for its children until
 * a record comes that is not its descendant.  Depth first, parents first,
 * a record whose parent is not open is a root.  Without the array, the
 * one root (a subtree asked for) is the document.
 */
void
podstream_init(struct podstream *s, struct jw *w, bool array)
{
	memset(s, 0, sizeof *s);
	s->w = w;
	s->array = array;
	if (array)
		jw_array(w);
}

/* Close the innermost open pod: its children's array, then itself. */
static void
podstream_close(struct podstream *s)
{
	jw_array_end(s->w);
	jw_object_end(s->w);
	s->depth--;
}

void
podstream_add(struct podstream *s, const struct msg_pod *p)
{
	while (s->depth > 0 && (p->parent < 0 ||
	    s->open[s->depth - 1] != (uint64_t)p->parent))
		podstream_close(s);
	if (s->depth == 0 && s->roots++ > 0 && !s->array)
		return;
	if (s->depth == s->size) {
		s->size = s->size == 0 ? 16 : s->size * 2;
		s->open = xreallocarray(s->open, s->size, sizeof *s->open);
	}
	s->open[s->depth++] = p->id;
	jw_pod_fields(s->w, p);
	jw_key(s->w, "children");
	jw_array(s->w);
}

/* Close what is open; the stream's memory is freed. */
void
podstream_end(struct podstream *s)
{
	while (s->depth > 0)
		podstream_close(s);
	if (s->array)
		jw_array_end(s->w);
	free(s->open);
	s->open = NULL;
}

/* Deep-copy a pod record out of a message that is about to be freed. */
void
pod_copy(struct msg_pod *dst, const struct msg_pod *src)
{
	*dst = *src;
	dst->name = src->name != NULL ? xstrdup(src->name) : NULL;
	dst->state = src->state != NULL ? xstrdup(src->state) : NULL;
	dst->cwd = src->cwd != NULL ? xstrdup(src->cwd) : NULL;
	dst->reason = src->reason != NULL ? xstrdup(src->reason) : NULL;
	dst->error = src->error != NULL ? xstrdup(src->error) : NULL;
	dst->on_parent_exit = src->on_parent_exit != NULL ?
	    xstrdup(src->on_parent_exit) : NULL;
	dst->restart = src->restart != NULL ? xstrdup(src->restart) : NULL;
	dst->argv = src->argv != NULL ? xstrvdup(src->argv) : NULL;
	dst->status_text = src->status_text != NULL ?
	    xstrdup(src->status_text) : NULL;
	dst->cause = src->cause != NULL ? xstrvdup(src->cause) : NULL;
	dst->http_url = src->http_url != NULL ? xstrdup(src->http_url) : NULL;
	dst->http_method = src->http_method != NULL ?
	    xstrdup(src->http_method) : NULL;
	dst->http_on_cancel = src->http_on_cancel != NULL ?
	    xstrdup(src->http_on_cancel) : NULL;
	dst->result.ptr = NULL;
	dst->result.len = 0;
	dst->children.v = NULL;
	if (src->children.n > 0) {
		dst->children.v = xreallocarray(NULL, src->children.n,
		    sizeof *dst->children.v);
		memcpy(dst->children.v, src->children.v,
		    src->children.n * sizeof *dst->children.v);
	}
}

/* Free what pod_copy allocated. */
void
pod_clear(struct msg_pod *p)
{
	free(p->name);
	free(p->state);
	free(p->cwd);
	free(p->reason);
	free(p->error);
	free(p->on_parent_exit);
	free(p->restart);
	free(p->status_text);
	free(p->http_url);
	free(p->http_method);
	free(p->http_on_cancel);
	if (p->cause != NULL)
		strv_free(p->cause);
	strv_free(p->argv);
	free(p->children.v);
	memset(p, 0, sizeof *p);
}

/* Keep a copy of a received record. */
void
podtree_add(struct podtree *t, const struct msg_pod *p)
{
	if (t->n == t->size) {
		t->size = t->size == 0 ? 16 : t->size * 2;
		t->pods = xreallocarray(t->pods, t->size, sizeof *t->pods);
	}
	pod_copy(&t->pods[t->n++], p);
}

/* The index of the pod with that id among the first n, via the sorted
 * index; POD_NONE if absent. */
static size_t
pod_find(const struct podtree *t, const size_t *byid, uint64_t id)
{
	size_t	lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->pods[byid[mid]].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n && t->pods[byid[lo]].id == id)
		return (byid[lo]);
	return (POD_NONE);
}

/* Link the records into a tree. A parent must come before its child;
 * a record whose parent is not among them is a root. */
void
podtree_link(struct podtree *t)
{
	size_t	*byid, i, j, k;

	t->up = xreallocarray(NULL, t->n + 1, sizeof *t->up);
	t->first = xreallocarray(NULL, t->n + 1, sizeof *t->first);
	t->last = xreallocarray(NULL, t->n + 1, sizeof *t->last);
	t->next = xreallocarray(NULL, t->n + 1, sizeof *t->next);
	byid = xreallocarray(NULL, t->n + 1, sizeof *byid);
	for (i = 0; i < t->n; i++) {
		t->up[i] = t->first[i] = t->last[i] = t->next[i] = POD_NONE;
		/* Insertion sort by id: replies arrive nearly sorted. */
		for (k = i; k > 0 && t->pods[byid[k - 1]].id >
		    t->pods[i].id; k--)
			byid[k] = byid[k - 1];
		byid[k] = i;
	}
	for (i = 0; i < t->n; i++) {
		if (t->pods[i].parent < 0)
			continue;
		j = pod_find(t, byid, (uint64_t)t->pods[i].parent);
		if (j == POD_NONE || j >= i)
			continue;
		t->up[i] = j;
		if (t->first[j] == POD_NONE)
			t->first[j] = i;
		else
			t->next[t->last[j]] = i;
		t->last[j] = i;
	}
	free(byid);
}

/* Pod i as a JSON object with its children nested as objects. */
void
podtree_write(struct jw *w, const struct podtree *t, size_t i)
{
	size_t	 c;

	jw_pod_fields(w, &t->pods[i]);
	JW_KEY(w, "children");
	jw_array(w);
	for (c = t->first[i]; c != POD_NONE; c = t->next[c])
		podtree_write(w, t, c);
	jw_array_end(w);
	jw_object_end(w);
}

/* Free the records and the links. */
void
podtree_free(struct podtree *t)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		pod_clear(&t->pods[i]);
	free(t->pods);
	free(t->up);
	free(t->first);
	free(t->last);
	free(t->next);
	memset(t, 0, sizeof *t);
}

/* A log entry: {seq, ts, kind, data}, data a string when the bytes are
 * UTF-8, else base64 with "encoding": "base64". */
void
entry_write(struct jw *w, const struct msg_entry *e)
{
	const char	*data = (const char *)e->data.ptr;
	char		*b64;

	jw_object(w);
	FIELD("seq", jw_int(w, (int64_t)e->seq));
	FIELD("ts", jw_time(w, e->ts));
	FIELD("kind", jw_string(w, e->kind));
	if (utf8_valid_fast(data, e->data.len)) {
		FIELD("data", jw_utf8(w, data, e->data.len));
	} else {
		b64 = base64_encode(data, e->data.len);
		FIELD("data", jw_utf8(w, b64, strlen(b64)));
		FIELD("encoding", jw_string(w, "base64"));
		free(b64);
	}
	jw_object_end(w);
}

static void
entry_write_arg(struct jw *w, const void *e)
{
	entry_write(w, e);
}

/* The same object as a jansson value. */
json_t *
entry_json(const struct msg_entry *e)
{
	return (json_written(entry_write_arg, e));
}

/* A document's compact text (caller frees), the document freed. */
char *
json_dumps_free(json_t *doc)
{
	char	*text;

	text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(doc);
	return (text != NULL ? text : xstrdup("null"));
}
