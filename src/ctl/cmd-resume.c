/*
 * podctl resume: resume paused pods and their subtrees (SIGCONT where
 * frozen, a resume message through the pod API).
 */

#include <stdio.h>

#include "ctl.h"

static int	cmd_resume_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.usage = "POD...",
	.summary = "resume paused pods and their subtrees",
	.help = "",
	.exec = cmd_resume_exec
};

static const struct option resume_options[] = {
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

/* podctl resume POD... */
static int
cmd_resume_exec(struct ctl *ctl, int argc, char **argv)
{
	struct podout	 out;
	struct msg	 m;
	int		 ch, status;

	while ((ch = ctl_getopt(ctl, argc, argv, ":h", resume_options)) != -1) {
		switch (ch) {
		default:
			return (ctl->status);
		}
	}
	if (optind >= argc)
		return (ctl_usage_error(ctl, "no pod named"));
	msg_init(&m, MSG_RESUME);
	m.u.resume.pods = argv + optind;
	podout_init(&out, ctl->json, NULL);
	status = client_run(ctl, &m, podout_reply, &out);
	podout_free(&out);
	return (status);
}
