/*
 * podctl pause: pause pods and their subtrees -- through the pod API at
 * the workload's next boundary, else by SIGSTOP -- and by default wait
 * until every pod of them is paused.
 */

#include <stdio.h>

#include "ctl.h"

static int	cmd_pause_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_pause_entry = {
	.name = "pause",
	.usage = "[--no-wait] POD...",
	.summary = "pause pods and their subtrees",
	.help =
	    "  --no-wait           return once the pause is under way\n",
	.exec = cmd_pause_exec
};

static const struct option pause_options[] = {
	{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

/* One text line: "ID NAME STATE". */
static void
pause_line(const struct msg_pod *p)
{
	printf("%llu %s %s\n", (unsigned long long)p->id, pod_name(p),
	    p->state);
}

/* podctl pause [--no-wait] POD... */
static int
cmd_pause_exec(struct ctl *ctl, int argc, char **argv)
{
	struct podout	 out;
	struct msg	 m;
	int		 ch, status;

	msg_init(&m, MSG_PAUSE);
	m.u.pause.wait = true;
	while ((ch = ctl_getopt(ctl, argc, argv, ":h", pause_options)) != -1) {
		switch (ch) {
		case OPT_NO_WAIT:
			m.u.pause.wait = false;
			break;
		default:
			return (ctl->status);
		}
	}
	if (optind >= argc)
		return (ctl_usage_error(ctl, "no pod named"));
	m.u.pause.pods = argv + optind;
	podout_init(&out, ctl->json, pause_line);
	status = client_run(ctl, &m, podout_reply, &out);
	podout_free(&out);
	return (status);
}
