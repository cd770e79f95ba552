/*
 * podctl status: the pod tree, as a table drawn like pstree, or as nested
 * JSON objects.  For --json podvisord renders the text itself (json
 * pieces), since it has the records at hand; pod records, which a
 * daemon that renders nothing sends, are written here as they arrive.
 */

#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"

static int	cmd_status_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[-a] [POD]",
	.summary = "show the pod tree (or one pod's subtree)",
	.help =
	    "  -a, --all           include terminal pods (always with POD)\n",
	.exec = cmd_status_exec
};

static const struct option status_options[] = {
	{ "all", no_argument, NULL, 'a' },
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

struct status {
	struct ctl	*ctl;
	const char	*pod;		/* the subtree asked for, or NULL */
	struct podtree	 tree;		/* the table's records */
	struct jw	 w;		/* --json: written as records arrive */
	struct podstream stream;
	bool		 streaming;
	bool		 rendered;	/* json pieces came */
};

/* --json: each record goes out as it arrives, nested in its parent
 * (replies come parents first, depth first): no tree of 10,000 pods is
 * ever built. */
static void
status_json_start(struct status *st)
{
	jw_stdout(&st->w);
	podstream_init(&st->stream, &st->w, st->pod == NULL);
	st->streaming = true;
}

static void
status_json_add(struct status *st, const struct msg_pod *p)
{
	if (!st->streaming)
		status_json_start(st);
	podstream_add(&st->stream, p);
}

/* The end of --json output: an empty array when no record came. */
static int
status_json_end(struct status *st)
{
	if (!st->streaming) {
		if (st->pod != NULL) {
			fprintf(stderr, "podctl: no such pod: %s\n", st->pod);
			return (EXIT_NOTFOUND);
		}
		status_json_start(st);
	}
	podstream_end(&st->stream);
	st->streaming = false;
	jw_text(&st->w, "\n");
	return (jw_flush(&st->w) == 0 ? 0 : EXIT_FAILED);
}

/* For one pod's status: why it was stopped, from the pod up to the
 * request that began it, on one line. */
static void
status_cause(const struct msg_pod *p)
{
	size_t	 i;

	if (p->cause == NULL || p->cause[0] == NULL)
		return;
	printf("cause: ");
	for (i = 0; p->cause[i] != NULL; i++)
		printf("%s%s", i > 0 ? " \u2190 " : "", p->cause[i]);
	putchar('\n');
}

/* Under the whole tree's table: webhook events podvisord has not
 * delivered yet (its status reply says, for the daemon's owner). */
static void
status_webhooks(const struct msg_end *end)
{
	if (end->webhooks_pending > 0)
		printf("webhooks: %" PRId64 " event%s pending delivery\n",
		    end->webhooks_pending, end->webhooks_pending == 1 ? "" :
		    "s");
}

/* A piece of the text podvisord rendered, copied out as it is. */
static int
status_json_piece(struct status *st, const struct msg *m)
{
	const struct wire_bin	*text = &m->u.json.text;

	if (!st->ctl->json || st->streaming)
		return (reply_unexpected(m));
	st->rendered = true;
	if (fwrite(text->ptr, 1, text->len, stdout) != text->len)
		return (EXIT_FAILED);
	return (REPLY_MORE);
}

/* The status reply: pod records, parents first, or json pieces; then
 * the end. */
static int
status_reply(struct msg *m, void *arg)
{
	struct status	*st = arg;
	int		 status;

	switch (m->type) {
	case MSG_JSON:
		return (status_json_piece(st, m));
	case MSG_POD:
		if (st->rendered)
			return (reply_unexpected(m));
		if (st->ctl->json)
			status_json_add(st, &m->u.pod);
		else
			podtree_add(&st->tree, &m->u.pod);
		return (REPLY_MORE);
	case MSG_END:
		if ((status = reply_missing(m->u.end.missing)) != 0)
			return (status);
		if (st->rendered)
			return (fflush(stdout) == 0 ? 0 : EXIT_FAILED);
		if (st->ctl->json)
			return (status_json_end(st));
		podtree_link(&st->tree);
		podtree_table(&st->tree, stdout);
		if (st->pod != NULL && st->tree.n > 0)
			status_cause(&st->tree.pods[0]);
		if (st->pod == NULL)
			status_webhooks(&m->u.end);
		return (0);
	default:
		return (reply_unexpected(m));
	}
}

/* podctl status [-a] [POD] */
static int
cmd_status_exec(struct ctl *ctl, int argc, char **argv)
{
	struct status	st = { .ctl = ctl };
	struct msg	m;
	int		ch, status;

	msg_init(&m, MSG_STATUS);
	while ((ch = ctl_getopt(ctl, argc, argv, ":ah", status_options)) != -1) {
		switch (ch) {
		case 'a':
			m.u.status.all = true;
			break;
		default:
			return (ctl->status);
		}
	}
	if (argc - optind > 1)
		return (ctl_usage_error(ctl, "one pod at most"));
	m.u.status.json = ctl->json;
	if (optind < argc) {
		st.pod = argv[optind];
		m.u.status.pod = argv[optind];
		m.u.status.all = true;
	}
	status = client_run(ctl, &m, status_reply, &st);
	podtree_free(&st.tree);
	if (st.streaming)
		podstream_end(&st.stream);	/* a reply cut short */
	return (status);
}
