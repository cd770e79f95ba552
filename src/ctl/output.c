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

static void	 format_age(int64_t, char *, size_t);
static char	*argv_text(char **);
static void	 table_row(const struct podtree *, struct table *, size_t,
		     const char *, size_t);
static void	 table_walk(const struct podtree *, struct table *, size_t,
		     const char *, size_t);
static void	 table_print(struct table *, FILE *);
static size_t	 table_columns(FILE *);
static void	 cut_columns(char *, size_t);











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

/* The sink of a writer to stdout. */
static int
jw_stdout_sink(void *arg, const void *p, size_t len)
{
	(void)arg;
	return (fwrite(p, 1, len, stdout) == len ? 0 : -1);
}

/* Start a writer whose output goes to stdout. */
void
jw_stdout(struct jw *w)
{
	jw_init(w, jw_stdout_sink, NULL);
}

/* Print one entry as a JSON line. */
int
entry_print(const struct msg_entry *e)
{
	struct jw	 w;

	jw_stdout(&w);
	entry_write(&w, e);
	jw_text(&w, "\n");
	return (jw_flush(&w));
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

/* A restarting pod's STATE: "restarting (in 4s, run 3 of 6)". */
static void
pod_restart_text(const struct msg_pod *p, char *buf, size_t len)
{
	int64_t	 ms = (p->restart_at - now_ns()) / 1000000;
	char	 in[32];

	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(in, sizeof in, "0.%llds", (long long)(ms / 100));
	else
		snprintf(in, sizeof in, "%llds", (long long)((ms + 999) / 1000));
	snprintf(buf, len, "restarting (in %s, run %llu of %lld)", in,
	    (unsigned long long)p->restarts + 2,
	    (long long)p->spec.max_restarts + 1);
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
	else if (strcmp(state, "restarting") == 0 && p->restart_at >= 0)
		pod_restart_text(p, buf, len);
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
