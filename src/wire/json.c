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

static json_t	*json_owner(uint64_t);
static json_t	*json_limits(const struct msg_pod *);
static size_t	 pod_find(const struct podtree *, const size_t *, uint64_t);

/* A JSON string for possibly non-UTF-8 text; null for NULL. */
json_t *
json_text(const char *s)
{
	json_t	*j;
	char	*fixed;

	if (s == NULL)
		return (json_null());
	if (utf8_valid(s, strlen(s)))
		return (json_string(s));
	fixed = utf8_lossy(s, strlen(s));
	j = json_string(fixed);
	free(fixed);
	return (j);
}

/* An RFC 3339 timestamp, or null when unset. */
json_t *
json_time(int64_t ns)
{
	char	buf[64];

	if (ns < 0)
		return (json_null());
	format_ts(ns, buf, sizeof buf);
	return (json_string(buf));
}

/* A signal as "SIGKILL" (its number as a string when unnamed), or null. */
json_t *
json_signal(int64_t sig)
{
	const char	*name;
	char		 buf[32];

	if (sig <= 0)
		return (json_null());
	if (sig < NSIG && (name = signal_name((int)sig)) != NULL)
		return (json_string(name));
	snprintf(buf, sizeof buf, "%lld", (long long)sig);
	return (json_string(buf));
}

/* A non-negative integer, or null when unset. */
json_t *
json_ms(int64_t v)
{
	if (v < 0)
		return (json_null());
	return (json_integer(v));
}

/* An array of strings; empty for NULL. */
json_t *
json_strv(char **v)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, json_text(v[i]));
	return (a);
}

/* The owner's user name, else the uid as a string.  The last answer is
 * kept: pods mostly share an owner, and each getpwuid() reads the whole
 * passwd file (status of 10,000 pods spent 90% of its time there). */
static json_t *
json_owner(uint64_t uid)
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
	return (json_text(last_name));
}

/* The limits the pod was given, by --limit name; {} when none. */
static json_t *
json_limits(const struct msg_pod *p)
{
	json_t	*o;
	int	 i;

	o = json_object();
	for (i = 0; i < WIRE_NLIMITS; i++) {
		if (p->spec.limits[i] >= 0)
			json_add(o, limit_defs[i].name,
			    json_integer(p->spec.limits[i]));
	}
	return (o);
}

/* Set a key, tolerating a NULL value (out of memory) as null. */
void
json_add(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v != NULL ? v : json_null());
}

/* The pod API's fields: whether it is open, the stop ladder's next rung,
 * the acknowledged cancel, the workload's status and heartbeat, and its
 * result (only inspect replies carry one; it is JSON already). */
static void
json_add_api(json_t *o, const struct msg_pod *p)
{
	json_error_t	 err;
	json_t		*result = NULL;

	json_add(o, "api", json_boolean(p->api));
	json_add(o, "queued", json_integer((json_int_t)p->queued));
	json_add(o, "paused_at", json_time(p->paused_at));
	json_add(o, "cause", p->cause != NULL ? json_strv(p->cause) :
	    json_null());
	json_add(o, "next_stage_at", json_time(p->next_stage_at));
	json_add(o, "cancel_acked_at", json_time(p->cancel_acked_at));
	json_add(o, "status_text", json_text(p->status_text));
	json_add(o, "progress", isnan(p->progress) ? json_null() :
	    json_real(p->progress));
	json_add(o, "heartbeat_at", json_time(p->heartbeat_at));
	if (p->result.len == 0)
		return;
	if ((result = json_loadb((const char *)p->result.ptr, p->result.len,
	    JSON_DECODE_ANY, &err)) == NULL)
		result = json_stringn((const char *)p->result.ptr,
		    p->result.len);
	json_add(o, "result", result);
}

/* An HTTP pod's request and status, or null for a command pod. */
static json_t *
json_http(const struct msg_pod *p)
{
	json_t	*o;

	if (p->http_url == NULL)
		return (json_null());
	o = json_object();
	json_add(o, "url", json_text(p->http_url));
	json_add(o, "method", json_text(p->http_method));
	json_add(o, "status", json_ms(p->http_status));
	json_add(o, "on_cancel", json_text(p->http_on_cancel != NULL ?
	    p->http_on_cancel : "finish"));
	return (o);
}

/* A pod record as a JSON object; children are ids. */
json_t *
pod_json(const struct msg_pod *p)
{
	json_t	*o, *kids;
	size_t	 i;

	o = json_object();
	json_add(o, "id", json_integer((json_int_t)p->id));
	json_add(o, "name", json_text(p->name));
	json_add(o, "parent", json_ms(p->parent));
	json_add(o, "state", json_text(p->state));
	json_add(o, "pid", p->pid > 0 ? json_integer(p->pid) : json_null());
	json_add(o, "runtime_pid", p->runtime_pid > 0 ?
	    json_integer(p->runtime_pid) : json_null());
	json_add(o, "argv", json_strv(p->argv));
	json_add(o, "cwd", json_text(p->cwd));
	json_add(o, "exit_code", json_ms(p->exit_code));
	json_add(o, "signal", json_signal(p->signal));
	json_add(o, "reason", json_text(p->reason));
	json_add(o, "error", json_text(p->error));
	json_add(o, "owner", json_owner(p->owner));
	json_add(o, "created_at", json_time(p->created_at));
	json_add(o, "started_at", json_time(p->started_at));
	json_add(o, "ended_at", json_time(p->ended_at));
	json_add(o, "stop_requested_at", json_time(p->stop_requested_at));
	json_add(o, "cancel_grace_ms", json_ms(p->spec.cancel_grace_ms));
	json_add(o, "term_grace_ms", json_ms(p->spec.term_grace_ms));
	json_add(o, "stop_signal", json_signal(p->spec.stop_signal));
	json_add(o, "timeout_ms", json_ms(p->spec.timeout_ms));
	json_add(o, "heartbeat_ms", json_ms(p->spec.heartbeat_ms));
	json_add(o, "max_extend_ms", json_ms(p->spec.max_extend_ms));
	json_add(o, "on_parent_exit",
	    json_text(p->on_parent_exit != NULL ? p->on_parent_exit : "stop"));
	json_add(o, "restart",
	    json_text(p->restart != NULL ? p->restart : "no"));
	json_add(o, "max_restarts", json_ms(p->spec.max_restarts));
	json_add(o, "restart_delay_ms", json_ms(p->spec.restart_delay_ms));
	json_add(o, "restarts", json_integer((json_int_t)p->restarts));
	json_add(o, "restart_wait_ms", json_ms(p->restart_wait_ms));
	json_add(o, "restart_at", json_time(p->restart_at));
	json_add(o, "limits", json_limits(p));
	json_add(o, "log_max", json_integer((json_int_t)p->log_max));
	json_add(o, "leftovers", json_integer((json_int_t)p->leftovers));
	json_add(o, "log_seq", json_integer((json_int_t)p->log_seq));
	json_add(o, "http", json_http(p));
	json_add_api(o, p);
	kids = json_array();
	for (i = 0; i < p->children.n; i++)
		json_array_append_new(kids,
		    json_integer((json_int_t)p->children.v[i]));
	json_add(o, "children", kids);
	return (o);
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
	dst->argv = src->argv != NULL ? xstrvdup(src->argv) : NULL;
	dst->restart = src->restart != NULL ? xstrdup(src->restart) : NULL;
	dst->env = NULL;	/* the registry's own */
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
json_t *
podtree_json(const struct podtree *t, size_t i)
{
	json_t	*o, *kids;
	size_t	 c;

	o = pod_json(&t->pods[i]);
	kids = json_array();
	for (c = t->first[i]; c != POD_NONE; c = t->next[c])
		json_array_append_new(kids, podtree_json(t, c));
	json_add(o, "children", kids);
	return (o);
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
json_t *
entry_json(const struct msg_entry *e)
{
	const char	*data = (const char *)e->data.ptr;
	json_t		*o;
	char		*b64;

	o = json_object();
	json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
	json_object_set_new(o, "ts", json_time(e->ts));
	json_object_set_new(o, "kind", json_text(e->kind));
	if (utf8_valid(data, e->data.len))
		json_object_set_new(o, "data",
		    json_stringn(data != NULL ? data : "", e->data.len));
	else {
		b64 = base64_encode(data, e->data.len);
		json_object_set_new(o, "data", json_string(b64));
		json_object_set_new(o, "encoding", json_string("base64"));
		free(b64);
	}
	return (o);
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
