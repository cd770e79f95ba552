/*
 * podctl wait: block until pods are terminal.  One pod (without --tree)
 * exits with the pod's own status; otherwise 0 when all succeeded.
 */

#include <stdio.h>
#include <string.h>

#include "ctl.h"

static int	cmd_wait_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = "[--tree] POD...",
	.summary = "wait until pods end; exit 0 if all succeeded, else 1.\n"
	    "With one POD and no --tree, exit with the pod's own status: its"
	    " exit code,\n128+N if it died of signal N, 127 if it could not"
	    " start.",
	.help =
	    "  --tree              wait for each pod's whole subtree\n",
	.exec = cmd_wait_exec
};

static const struct option wait_options[] = {
	{ "tree", no_argument, NULL, OPT_TREE },
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

struct wait {
	struct ctl	*ctl;
	bool		 own;		/* exit with the one pod's status */
	struct podout	 out;		/* --json: the array of pods */
	size_t		 n;		/* records received */
	bool		 failed;	/* one did not succeed */
	int		 status;	/* the first record's own status */
};

/* The wait reply: the pods' records once all are terminal, then the end. */
static int
wait_reply(struct msg *m, void *arg)
{
	struct wait	*w = arg;
	int		 status;

	switch (m->type) {
	case MSG_POD:
		if (w->n++ == 0)
			w->status = pod_exit_status(&m->u.pod);
		if (strcmp(m->u.pod.state, "succeeded") != 0)
			w->failed = true;
		podout_add(&w->out, &m->u.pod);
		return (REPLY_MORE);
	case MSG_END:
		if ((status = podout_end(&w->out, m->u.end.missing)) != 0)
			return (status);
		if (w->own && w->n > 0)
			return (w->status);
		return (w->failed ? EXIT_FAILED : 0);
	default:
		return (reply_unexpected(m));
	}
}

/* podctl wait [--tree] POD... */
static int
cmd_wait_exec(struct ctl *ctl, int argc, char **argv)
{
	struct wait	w;
	struct msg	m;
	int		ch, status;

	memset(&w, 0, sizeof w);
	w.ctl = ctl;
	msg_init(&m, MSG_WAIT);
	while ((ch = ctl_getopt(ctl, argc, argv, ":h", wait_options)) != -1) {
		switch (ch) {
		case OPT_TREE:
			m.u.wait.tree = true;
			break;
		default:
			return (ctl->status);
		}
	}
	if (optind >= argc)
		return (ctl_usage_error(ctl, "no pod named"));
	m.u.wait.pods = argv + optind;
	w.own = argc - optind == 1 && !m.u.wait.tree;
	podout_init(&w.out, ctl->json, NULL);
	status = client_run_resume(ctl, &m, wait_reply, &w, NULL);
	podout_free(&w.out);
	return (status);
}
