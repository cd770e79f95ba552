/*
 * podctl reexec: have podvisord re-execute its installed program in
 * place, pods untouched (after an upgrade).  The reply is an error if the
 * new program fails its check or cannot be executed (podvisord serves on
 * unchanged); else the connection drops with the exec, and podctl
 * reconnects to see the new program answer.
 */

#include <stdio.h>
#include <string.h>

#include "ctl.h"

static int	cmd_reexec_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_reexec_entry = {
	.name = "reexec",
	.usage = "",
	.summary = "re-execute podvisord's installed program, pods kept"
	    " (root or its owner)",
	.help = "",
	.exec = cmd_reexec_exec
};

static const struct option reexec_options[] = {
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

struct reexec {
	struct ctl	*ctl;
	bool		 asked;		/* the status after the exec was */
};

/* The connection dropped: podvisord executed the new program; ask it
 * for its status to see it serve. */
static void
reexec_again(struct msg *m, void *arg)
{
	struct reexec	*r = arg;

	r->asked = true;
	msg_init(m, MSG_STATUS);
}

/* The replies: only an error to the reexec itself; the status after. */
static int
reexec_reply(struct msg *m, void *arg)
{
	struct reexec	*r = arg;

	switch (m->type) {
	case MSG_POD:
		return (r->asked ? REPLY_MORE : reply_unexpected(m));
	case MSG_END:
		if (!r->asked)
			return (reply_unexpected(m));
		if (r->ctl->json)
			printf("{\"reexec\":\"done\"}\n");
		else
			printf("podvisord re-executed\n");
		return (0);
	default:
		return (reply_unexpected(m));
	}
}

/* podctl reexec */
static int
cmd_reexec_exec(struct ctl *ctl, int argc, char **argv)
{
	struct reexec	r;
	struct msg	m;
	int		ch;

	while ((ch = ctl_getopt(ctl, argc, argv, ":h", reexec_options)) != -1) {
		switch (ch) {
		default:
			return (ctl->status);
		}
	}
	if (optind != argc)
		return (ctl_usage_error(ctl, "unexpected argument '%s'",
		    argv[optind]));
	memset(&r, 0, sizeof r);
	r.ctl = ctl;
	msg_init(&m, MSG_REEXEC);
	return (client_run_resume(ctl, &m, reexec_reply, &r, reexec_again));
}
