/*
 * podctl kill: send a signal to a pod's workload now.  This is not a stop
 * request: the pod's state changes only if the workload dies of it.
 */

#include <signal.h>
#include <stdio.h>

#include "ctl.h"

static int	cmd_kill_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_kill_entry = {
	.name = "kill",
	.usage = "[-s SIG] POD",
	.summary = "send a signal to a pod's workload process group",
	.help =
	    "  -s, --signal SIG    the signal: TERM, SIGTERM or 15 (default:"
	    " SIGTERM)\n",
	.exec = cmd_kill_exec
};

static const struct option kill_options[] = {
	{ "signal", required_argument, NULL, 's' },
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

/* The kill reply: MSG_OK. */
static int
kill_reply(struct msg *m, void *arg)
{
	if (m->type != MSG_OK)
		return (reply_unexpected(m));
	return (0);
}

/* podctl kill [-s SIG] POD */
static int
cmd_kill_exec(struct ctl *ctl, int argc, char **argv)
{
	struct msg	m;
	int		ch, sig = SIGTERM;

	while ((ch = ctl_getopt(ctl, argc, argv, ":s:h", kill_options)) != -1) {
		switch (ch) {
		case 's':
			if (ctl_signal(ctl, "--signal", optarg, &sig) != 0)
				return (EXIT_USAGE);
			break;
		default:
			return (ctl->status);
		}
	}
	msg_init(&m, MSG_KILL);
	if ((m.u.kill.pod = (char *)ctl_one_pod(ctl, argc, argv)) == NULL)
		return (EXIT_USAGE);
	m.u.kill.signal = (uint64_t)sig;
	return (client_run(ctl, &m, kill_reply, NULL));
}
