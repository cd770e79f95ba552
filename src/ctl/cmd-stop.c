/*
 * podctl stop: stop pods and their subtrees (cancel, SIGTERM, SIGKILL) and
 * by default wait for them, printing each pod's outcome.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int	cmd_stop_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.usage = "[--cancel-grace DUR] [--term-grace DUR] [--reason TEXT]"
	    " [--no-wait] POD...",
	.summary = "stop pods and their subtrees, and print how each ended",
	.help =
	    "  --cancel-grace DUR  time to end after the cancel (default: the"
	    " pod's own)\n"
	    "  --term-grace DUR    time to end after SIGTERM (default: the"
	    " pod's own)\n"
	    "  --reason TEXT       the stop reason recorded (default: user)\n"
	    "  --no-wait           return once the stop is under way\n",
	.exec = cmd_stop_exec
};

static const struct option stop_options[] = {
	{ "cancel-grace", required_argument, NULL, OPT_CANCEL_GRACE },
	{ "term-grace", required_argument, NULL, OPT_TERM_GRACE },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

/* One text line: "ID NAME STATE after 1.234s". */
static void
stop_line(const struct msg_pod *p)
{
	int64_t	ns;

	printf("%llu %s %s", (unsigned long long)p->id, pod_name(p),
	    p->state);
	if (p->ended_at >= 0 && p->stop_requested_at >= 0 &&
	    p->ended_at >= p->stop_requested_at) {
		ns = p->ended_at - p->stop_requested_at;
		printf(" after %lld.%03llds", (long long)(ns / 1000000000),
		    (long long)(ns / 1000000 % 1000));
	}
	putchar('\n');
}

/* The connection dropped (a re-exec) while waiting for the stop: the
 * pods are stopping, so wait for them instead of asking again. */
static void
stop_again(struct msg *m, void *arg)
{
	char	**pods = m->u.stop.pods;

	msg_init(m, MSG_WAIT);
	m->u.wait.pods = pods;
}

/* podctl stop [OPTIONS] POD... */
static int
cmd_stop_exec(struct ctl *ctl, int argc, char **argv)
{
	struct podout	 out;
	struct msg	 m;
	struct msg_stop	*s = &m.u.stop;
	int		 ch, status;

	msg_init(&m, MSG_STOP);
	s->wait = true;
	while ((ch = ctl_getopt(ctl, argc, argv, ":h", stop_options)) != -1) {
		switch (ch) {
		case OPT_CANCEL_GRACE:
			if (ctl_duration(ctl, "--cancel-grace", optarg,
			    &s->cancel_grace_ms) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_TERM_GRACE:
			if (ctl_duration(ctl, "--term-grace", optarg,
			    &s->term_grace_ms) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_REASON:
			if (*optarg == '\0')
				return (ctl_usage_error(ctl,
				    "--reason needs some text"));
			s->reason = optarg;
			break;
		case OPT_NO_WAIT:
			s->wait = false;
			break;
		default:
			return (ctl->status);
		}
	}
	if (optind >= argc)
		return (ctl_usage_error(ctl, "no pod named"));
	s->pods = argv + optind;
	/* The reply: pod records (when waiting), then the end. */
	podout_init(&out, ctl->json, stop_line);
	if (s->wait)
		status = client_run_resume(ctl, &m, podout_reply, &out,
		    stop_again);
	else
		status = client_run(ctl, &m, podout_reply, &out);
	podout_free(&out);
	return (status);
}
