/*
 * Rendering pod records: as JSON objects with the contract's field names,
 * as outcome text, and as the status table drawn as a tree.
 */

#include <sys/ioctl.h>

#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define TABLE_COLUMNS	80	/* when the terminal's width is unknown */
#define TABLE_GAP	2	/* spaces between columns */
#define TABLE_DEPTH	32	/* deeper pods are drawn no further right */

/* One line of the status table. */
struct row {
	char	*id;		/* tree connectors, then the id */
	size_t	 idw;		/* its width in columns */
	char	*cmd;
	char	 name[80];
	char	 state[96];
	char	 pid[24];
	char	 age[24];
};

struct table {
	struct row	*rows;
	size_t		 n;
	int64_t		 now;
};

static json_t	*json_ms(int64_t);
static json_t	*json_strv(char **);
static json_t	*json_owner(uint64_t);
static json_t	*json_limits(const struct msg_pod *);
static void	 json_add(json_t *, const char *, json_t *);
static size_t	 pod_find(const struct podtree *, const size_t *, uint64_t);
static void	 format_age(int64_t, char *, size_t);
static char	*argv_text(char **);
static void	 table_row(const struct podtree *, struct table *, size_t,
		     const char *, size_t);
static void	 table_walk(const struct podtree *, struct table *, size_t,
		     const char *, size_t);
static void	 table_print(struct table *, FILE *);
static size_t	 table_columns(FILE *);
static void	 cut_columns(char *, size_t);

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
static json_t *
json_ms(int64_t v)
{
	if (v < 0)
		return (json_null());
	return (json_integer(v));
}

/* An array of strings; empty for NULL. */
static json_t *
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
static void
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
	json_add(o, "limits", json_limits(p));
	json_add(o, "log_max", json_integer((json_int_t)p->log_max));
	json_add(o, "leftovers", json_integer((json_int_t)p->leftovers));
	json_add(o, "log_seq", json_integer((json_int_t)p->log_seq));
	json_add_api(o, p);
	kids = json_array();
	for (i = 0; i < p->children.n; i++)
		json_array_append_new(kids,
		    json_integer((json_int_t)p->children.v[i]));
	json_add(o, "children", kids);
	return (o);
}

/* Print one JSON document and a newline on stdout; frees it. */
int
json_print(json_t *j, size_t flags)
{
	char	*text;
	int	 rc;

	if (j == NULL) {
		fprintf(stderr, "podctl: out of memory building the output\n");
		return (-1);
	}
	/* One string, one write: json_dumpf makes an fwrite per token. */
	text = json_dumps(j, flags | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (text == NULL)
		return (-1);
	rc = fputs(text, stdout) == EOF || putchar('\n') == EOF ? -1 : 0;
	free(text);
	return (rc);
}

/* Start a reply's pod list: with json collected, else each given to
 * line (which may be NULL: nothing is printed). */
void
podout_init(struct podout *o, bool json, void (*line)(const struct msg_pod *))
{
	o->json = json ? json_array() : NULL;
	o->line = line;
}

/* One pod record of the reply. */
void
podout_add(struct podout *o, const struct msg_pod *p)
{
	if (o->json != NULL)
		json_array_append_new(o->json, pod_json(p));
	else if (o->line != NULL)
		o->line(p);
}

/* The reply's end: print the array, then report the pods not found.
 * Returns the exit status. */
int
podout_end(struct podout *o, char **missing)
{
	int	rc = 0, status;

	if (o->json != NULL) {
		rc = json_print(o->json, 0);
		o->json = NULL;
	}
	fflush(stdout);
	if ((status = reply_missing(missing)) != 0)
		return (status);
	return (rc == 0 ? 0 : EXIT_FAILED);
}

/* The reply_cb for a reply of pod records, then an end; arg is the
 * struct podout. */
int
podout_reply(struct msg *m, void *arg)
{
	struct podout	*o = arg;

	switch (m->type) {
	case MSG_POD:
		podout_add(o, &m->u.pod);
		return (REPLY_MORE);
	case MSG_END:
		return (podout_end(o, m->u.end.missing));
	default:
		return (reply_unexpected(m));
	}
}

/* Free the array of a reply that never ended. */
void
podout_free(struct podout *o)
{
	json_decref(o->json);
	o->json = NULL;
}

/* The pod's name for text output: "-" when it has none. */
const char *
pod_name(const struct msg_pod *p)
{
	return (p->name != NULL ? p->name : "-");
}

/* Did the workload never start (exec failure)? A pod that ran and later
 * lost its runtime also has an error, but it did start. */
static bool
pod_never_started(const struct msg_pod *p)
{
	return (p->error != NULL && p->started_at == WIRE_NONE);
}

/* For a stopping pod whose workload hears the cancel through the pod
 * API: whether it has acknowledged it yet. */
static const char *
pod_ack_text(const struct msg_pod *p)
{
	if (!p->api || p->state == NULL || strcmp(p->state, "stopping") != 0)
		return ("");
	return (p->cancel_acked_at != WIRE_NONE ? "acknowledged, " :
	    "not acknowledged, ");
}

/* The STATE column: the outcome of a terminal pod, the time left in a
 * stop stage, else the state. */
void
pod_state_text(const struct msg_pod *p, char *buf, size_t len)
{
	const char	*state = p->state != NULL ? p->state : "?";
	const char	*sig;
	char		 age[32];
	int64_t		 ms = p->stage_left_ms;

	if (strcmp(state, "succeeded") == 0)
		snprintf(buf, len, "%s", state);
	else if (strcmp(state, "paused") == 0 && p->paused_at >= 0) {
		format_age(now_ns() - p->paused_at, age, sizeof age);
		snprintf(buf, len, "%s (%s)", state, age);
	} else if (pod_never_started(p))
		snprintf(buf, len, "%s (cannot start)", state);
	else if (p->signal > 0) {
		sig = p->signal < NSIG ? signal_name((int)p->signal) : NULL;
		if (sig != NULL)
			snprintf(buf, len, "%s (%s)", state, sig);
		else
			snprintf(buf, len, "%s (signal %lld)", state,
			    (long long)p->signal);
	} else if (p->exit_code >= 0)
		snprintf(buf, len, "%s (exit %lld)", state,
		    (long long)p->exit_code);
	else if (ms >= 0 && ms < 10000)
		snprintf(buf, len, "%s (%s%lld.%llds)", state,
		    pod_ack_text(p), (long long)(ms / 1000),
		    (long long)(ms % 1000 / 100));
	else if (ms >= 0)
		snprintf(buf, len, "%s (%s%llds)", state, pod_ack_text(p),
		    (long long)(ms / 1000));
	else
		snprintf(buf, len, "%s", state);
}

/* A pod's own status: 127 if it could not start, 128+N for signal N, else
 * its exit code (1 when nothing is known). */
int
pod_exit_status(const struct msg_pod *p)
{
	if (pod_never_started(p))
		return (127);
	if (p->signal > 0)
		return (128 + (int)(p->signal & 127));
	if (p->exit_code >= 0)
		return ((int)(p->exit_code & 255));
	if (p->state != NULL && strcmp(p->state, "succeeded") == 0)
		return (0);
	return (1);
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
	dst->status_text = src->status_text != NULL ?
	    xstrdup(src->status_text) : NULL;
	dst->cause = src->cause != NULL ? xstrvdup(src->cause) : NULL;
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
	free(p->status_text);
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

/* An age as 5s, 3m, 2h or 4d. */
static void
format_age(int64_t ns, char *buf, size_t len)
{
	int64_t	s = ns / 1000000000;

	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
}

/* The argv joined by spaces, each argument made printable. */
static char *
argv_text(char **argv)
{
	char	*out = NULL, *arg, *tmp;
	size_t	 i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		arg = text_escape(argv[i], strlen(argv[i]));
		if (out == NULL)
			out = arg;
		else {
			xasprintf(&tmp, "%s %s", out, arg);
			free(out);
			free(arg);
			out = tmp;
		}
	}
	return (out != NULL ? out : xstrdup("-"));
}

/* Follow the command with the workload's own status: "[text, 40%]". */
static void
row_add_status(struct row *r, const struct msg_pod *p)
{
	char	 pct[16] = "", *cmd = r->cmd;

	if (!isnan(p->progress))
		snprintf(pct, sizeof pct, "%d%%", (int)(p->progress * 100 + .5));
	xasprintf(&r->cmd, "%s [%s%s%s]", cmd,
	    p->status_text != NULL ? p->status_text : "",
	    p->status_text != NULL && pct[0] != '\0' ? ", " : "", pct);
	free(cmd);
}

/* Add the row for pod i; lead is the ancestors' part of the tree art. */
static void
table_row(const struct podtree *t, struct table *tb, size_t i,
    const char *lead, size_t leadw)
{
	const struct msg_pod	*p = &t->pods[i];
	struct row		*r;
	const char		*conn = "";
	int64_t			 since;

	if (t->up[i] != POD_NONE)
		conn = t->next[i] != POD_NONE ? "├─ " : "└─ ";
	r = &tb->rows[tb->n++];
	xasprintf(&r->id, "%s%s%llu", lead, conn, (unsigned long long)p->id);
	r->idw = leadw + (*conn != '\0' ? 3 : 0) + strlen(r->id) -
	    strlen(lead) - strlen(conn);
	snprintf(r->name, sizeof r->name, "%s", pod_name(p));
	pod_state_text(p, r->state, sizeof r->state);
	if (p->pid > 0)
		snprintf(r->pid, sizeof r->pid, "%lld", (long long)p->pid);
	else
		snprintf(r->pid, sizeof r->pid, "-");
	since = p->started_at >= 0 ? p->started_at : p->created_at;
	if (since >= 0)
		format_age(tb->now - since, r->age, sizeof r->age);
	else
		snprintf(r->age, sizeof r->age, "-");
	r->cmd = argv_text(p->argv);
	if (p->status_text != NULL || !isnan(p->progress))
		row_add_status(r, p);
}

/* Add rows for pod i and, below it, its subtree. */
static void
table_walk(const struct podtree *t, struct table *tb, size_t i,
    const char *lead, size_t leadw)
{
	char	*sub;
	size_t	 c, subw = leadw;

	table_row(t, tb, i, lead, leadw);
	if (t->up[i] == POD_NONE || leadw >= 3 * TABLE_DEPTH)
		sub = xstrdup(lead);
	else {
		xasprintf(&sub, "%s%s", lead,
		    t->next[i] != POD_NONE ? "│  " : "   ");
		subw += 3;
	}
	for (c = t->first[i]; c != POD_NONE; c = t->next[c])
		table_walk(t, tb, c, sub, subw);
	free(sub);
}

/* The width to fit a line in: the terminal's, else TABLE_COLUMNS; 0 when
 * the output is not a terminal (no cutting). */
static size_t
table_columns(FILE *f)
{
	struct winsize	ws;

	if (!isatty(fileno(f)))
		return (0);
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return (ws.ws_col);
	return (TABLE_COLUMNS);
}

/* Cut UTF-8 text to at most n characters. */
static void
cut_columns(char *s, size_t n)
{
	size_t	i, chars = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars++ == n) {
			s[i] = '\0';
			return;
		}
	}
}

/* Print the rows aligned under the header, then free them. */
static void
table_print(struct table *tb, FILE *f)
{
	size_t	 w[4] = { 2, 4, 5, 3 }, age = 3, cols, used, i;
	struct row *r;

	for (i = 0; i < tb->n; i++) {
		r = &tb->rows[i];
		w[0] = r->idw > w[0] ? r->idw : w[0];
		w[1] = strlen(r->name) > w[1] ? strlen(r->name) : w[1];
		w[2] = strlen(r->state) > w[2] ? strlen(r->state) : w[2];
		w[3] = strlen(r->pid) > w[3] ? strlen(r->pid) : w[3];
		age = strlen(r->age) > age ? strlen(r->age) : age;
	}
	used = w[0] + w[1] + w[2] + w[3] + age + 5 * TABLE_GAP;
	cols = table_columns(f);
	fprintf(f, "%-*s%-*s%-*s%-*s%-*sCOMMAND\n",
	    (int)(w[0] + TABLE_GAP), "ID", (int)(w[1] + TABLE_GAP), "NAME",
	    (int)(w[2] + TABLE_GAP), "STATE", (int)(w[3] + TABLE_GAP), "PID",
	    (int)(age + TABLE_GAP), "AGE");
	for (i = 0; i < tb->n; i++) {
		r = &tb->rows[i];
		if (cols > 0)
			cut_columns(r->cmd, cols > used + 8 ? cols - used : 8);
		fprintf(f, "%s%*s%-*s%-*s%-*s%-*s%s\n", r->id,
		    (int)(w[0] - r->idw + TABLE_GAP), "",
		    (int)(w[1] + TABLE_GAP), r->name,
		    (int)(w[2] + TABLE_GAP), r->state,
		    (int)(w[3] + TABLE_GAP), r->pid,
		    (int)(age + TABLE_GAP), r->age, r->cmd);
		free(r->id);
		free(r->cmd);
	}
	free(tb->rows);
}

/* The status table: ID NAME STATE PID AGE COMMAND, drawn as a tree. */
void
podtree_table(const struct podtree *t, FILE *f)
{
	struct table	tb;
	size_t		i;

	tb.rows = xcalloc(t->n + 1, sizeof *tb.rows);
	tb.n = 0;
	tb.now = now_ns();
	for (i = 0; i < t->n; i++) {
		if (t->up[i] == POD_NONE)
			table_walk(t, &tb, i, "", 0);
	}
	table_print(&tb, f);
}
