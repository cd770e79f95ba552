/*
 * podctl send: deliver a notify message to a pod; it is logged at once and
 * queued until the workload reads it.  Prints the notify entry's seq.
 */

#include <stdio.h>
#include <string.h>

#include "ctl.h"

static int	cmd_send_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.usage = "POD MESSAGE",
	.summary = "send a notify message to a pod's workload",
	.help = "",
	.exec = cmd_send_exec
};

static const struct option send_options[] = {
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

struct send {
	struct ctl	*ctl;
};

/* The send reply: MSG_OK with the notify entry's seq. */
static int
send_reply(struct msg *m, void *arg)
{
	struct send	*sd = arg;

	if (m->type != MSG_OK)
		return (reply_unexpected(m));
	if (!sd->ctl->json) {
		printf("%llu\n", (unsigned long long)m->u.ok.seq);
		return (0);
	}
	if (json_print(json_pack("{sI}", "seq", (json_int_t)m->u.ok.seq),
	    0) != 0)
		return (EXIT_FAILED);
	return (0);
}

/* podctl send POD MESSAGE */
static int
cmd_send_exec(struct ctl *ctl, int argc, char **argv)
{
	struct send	sd = { ctl };
	struct msg	m;
	int		ch;

	while ((ch = ctl_getopt(ctl, argc, argv, ":h", send_options)) != -1) {
		switch (ch) {
		default:
			return (ctl->status);
		}
	}
	if (argc - optind != 2)
		return (ctl_usage_error(ctl, "needs a pod and a message"));
	msg_init(&m, MSG_SEND);
	m.u.send.pod = argv[optind];
	m.u.send.data.ptr = (const uint8_t *)argv[optind + 1];
	m.u.send.data.len = strlen(argv[optind + 1]);
	return (client_run(ctl, &m, send_reply, &sd));
}
