/*
 * podctl logs: a pod's segment log.  Text mode writes the workload's output
 * byte-exact to the matching stream; --json writes one object per entry.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int	cmd_logs_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.usage = "[-f] [--from SEQ] [--tail N] [--events] POD",
	.summary = "print a pod's log: its output, and with --events the rest",
	.help =
	    "  -f, --follow        follow until the pod ends and its log is"
	    " drained\n"
	    "  --from SEQ          start at entry SEQ\n"
	    "  --tail N            only the last N entries\n"
	    "  --events            also print the other entries, one line"
	    " each\n",
	.exec = cmd_logs_exec
};

static const struct option logs_options[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "tail", required_argument, NULL, OPT_TAIL },
	{ "events", no_argument, NULL, OPT_EVENTS },
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

struct logs {
	struct ctl	*ctl;
	bool		 follow;
	bool		 events;
	bool		 midline;	/* stdout's last byte was not '\n' */
	bool		 none;		/* --tail 0: only what comes next */
	uint64_t	 last;		/* the log's last seq before that */
	uint64_t	 next;		/* the seq after the last printed, 0:
					   none printed yet */
};

/* Stop on a failed write to stdout: quietly for a closed pipe. */
static int
logs_write_error(void)
{
	if (errno != EPIPE)
		fprintf(stderr, "podctl: cannot write the log: %s\n",
		    strerror(errno));
	return (EXIT_FAILED);
}

/* An entry as one JSON line: {seq, ts, kind, data[, encoding]}. */
static int
logs_json(const struct msg_entry *e)
{
	return (entry_print(e));
}

/* An event line on stdout: "TS #SEQ KIND: DATA". */
static int
logs_event(const struct msg_entry *e)
{
	char	ts[64], *kind, *text;
	size_t	len = e->data.len;
	int	rc;

	if (len > 0 && e->data.ptr[len - 1] == '\n')
		len--;
	format_ts(e->ts, ts, sizeof ts);
	kind = text_escape(e->kind, strlen(e->kind));
	text = text_escape(e->data.ptr, len);
	rc = printf("%s #%llu %s: %s\n", ts, (unsigned long long)e->seq,
	    kind, text);
	free(kind);
	free(text);
	return (rc < 0 ? -1 : 0);
}

/* Write one entry the way text mode does. */
static int
logs_text(struct logs *lg, const struct msg_entry *e)
{
	size_t	len = e->data.len;

	if (strcmp(e->kind, "stdout") == 0) {
		if (len > 0 && fwrite(e->data.ptr, 1, len, stdout) != len)
			return (-1);
		if (len > 0)
			lg->midline = e->data.ptr[len - 1] != '\n';
	} else if (strcmp(e->kind, "stderr") == 0) {
		if (fflush(stdout) != 0)
			return (-1);
		if (len > 0)
			fwrite(e->data.ptr, 1, len, stderr);
		fflush(stderr);
	} else if (lg->events) {
		/* An event line starts a line of its own. */
		if (lg->midline && putchar('\n') == EOF)
			return (-1);
		lg->midline = false;
		return (logs_event(e));
	}
	return (0);
}

/* The logs reply: entries, then the end. */
static int
logs_reply(struct msg *m, void *arg)
{
	struct logs	*lg = arg;
	int		 rc;

	switch (m->type) {
	case MSG_ENTRY:
		if (m->u.entry.seq < lg->next)
			return (REPLY_MORE);	/* printed before a reconnect */
		lg->next = m->u.entry.seq + 1;
		if (lg->ctl->json)
			rc = logs_json(&m->u.entry);
		else
			rc = logs_text(lg, &m->u.entry);
		if (rc == 0 && lg->follow)
			rc = fflush(stdout);
		if (rc != 0)
			return (logs_write_error());
		return (REPLY_MORE);
	case MSG_END:
		if (fflush(stdout) != 0)
			return (logs_write_error());
		return (0);
	default:
		return (reply_unexpected(m));
	}
}

/* The inspect reply used by --tail 0: the log's last seq. */
static int
logs_last_reply(struct msg *m, void *arg)
{
	struct logs	*lg = arg;

	switch (m->type) {
	case MSG_POD:
		lg->last = m->u.pod.log_seq;
		return (REPLY_MORE);
	case MSG_END:
		return (reply_missing(m->u.end.missing));
	default:
		return (reply_unexpected(m));
	}
}

/* Following across a reconnect (podvisord re-executed): go on from the
 * entry after the last one printed. */
static void
logs_again(struct msg *m, void *arg)
{
	struct logs	*lg = arg;

	if (lg->next == 0)
		return;
	m->u.logs.from = lg->next;
	m->u.logs.tail = 0;
}

/* Send the request; for --tail 0 first learn where the log ends, since on
 * the wire tail 0 means everything. */
static int
logs_run(struct logs *lg, struct msg *m)
{
	struct client	*c;
	struct msg	 q;
	int		 status;

	if (!lg->none && lg->follow)
		return (client_run_resume(lg->ctl, m, logs_reply, lg,
		    logs_again));
	if (!lg->none)
		return (client_run(lg->ctl, m, logs_reply, lg));
	if ((status = client_open(lg->ctl, &c)) != 0)
		return (status);
	msg_init(&q, MSG_INSPECT);
	q.u.inspect.pod = m->u.logs.pod;
	status = client_request(c, &q, logs_last_reply, lg);
	if (status == 0) {
		if (m->u.logs.from <= lg->last)
			m->u.logs.from = lg->last + 1;
		if (lg->follow) {
			client_close(c);
			return (client_run_resume(lg->ctl, m, logs_reply, lg,
			    logs_again));
		}
		status = client_request(c, m, logs_reply, lg);
	}
	client_close(c);
	return (status);
}

/* podctl logs [-f] [--from SEQ] [--tail N] [--events] POD */
static int
cmd_logs_exec(struct ctl *ctl, int argc, char **argv)
{
	struct logs	 lg;
	struct msg	 m;
	struct msg_logs	*l = &m.u.logs;
	int		 ch;

	memset(&lg, 0, sizeof lg);
	lg.ctl = ctl;
	msg_init(&m, MSG_LOGS);
	while ((ch = ctl_getopt(ctl, argc, argv, ":fh", logs_options)) != -1) {
		switch (ch) {
		case 'f':
			lg.follow = l->follow = true;
			break;
		case OPT_FROM:
			if (ctl_count(ctl, "--from", optarg, &l->from) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_TAIL:
			if (ctl_count(ctl, "--tail", optarg, &l->tail) != 0)
				return (EXIT_USAGE);
			lg.none = l->tail == 0;
			break;
		case OPT_EVENTS:
			lg.events = true;
			break;
		default:
			return (ctl->status);
		}
	}
	if ((l->pod = (char *)ctl_one_pod(ctl, argc, argv)) == NULL)
		return (EXIT_USAGE);
	return (logs_run(&lg, &m));
}
