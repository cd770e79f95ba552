/*
 * podctl rm: forget terminal pods (and their terminal subtrees) and delete
 * their logs.  A pod that is not terminal fails the whole request.
 */

#include <stdio.h>

#include "ctl.h"

static int	cmd_rm_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_rm_entry = {
	.name = "rm",
	.usage = "POD...",
	.summary = "forget terminal pods and their subtrees, and delete"
	    " their logs",
	.help = "",
	.exec = cmd_rm_exec
};

static const struct option rm_options[] = {
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

/* podctl rm POD... */
static int
cmd_rm_exec(struct ctl *ctl, int argc, char **argv)
{
	struct podout	out;
	struct msg	m;
	int		ch, status;

	while ((ch = ctl_getopt(ctl, argc, argv, ":h", rm_options)) != -1) {
		switch (ch) {
		default:
			return (ctl->status);
		}
	}
	if (optind >= argc)
		return (ctl_usage_error(ctl, "no pod named"));
	msg_init(&m, MSG_RM);
	m.u.rm.pods = argv + optind;
	/* The reply: a record per removed pod, then the end. */
	podout_init(&out, ctl->json, NULL);
	status = client_run(ctl, &m, podout_reply, &out);
	podout_free(&out);
	return (status);
}
