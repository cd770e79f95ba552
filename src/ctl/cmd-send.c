/*
 * podctl send: deliver a notify message to a pod; it is logged at once and
 * queued until the workload reads it.  Prints the notify entry's seq.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int	cmd_send_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.usage = "[--priority P] [--key KEY] [--preempt] POD MESSAGE|-",
	.summary = "send a message to a pod's workload; print its seq",
	.help =
	    "  --priority P        low, normal (default), high or critical\n"
	    "  --key KEY           replace a queued message of the same key\n"
	    "  --preempt           first stop every running child subtree of"
	    " the pod\n"
	    "                      (reason preempted); the message goes first\n"
	    "  MESSAGE -           read the message from standard input,"
	    " bytes exact\n",
	.exec = cmd_send_exec
};

static const struct option send_options[] = {
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "preempt", no_argument, NULL, OPT_PREEMPT },
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

/* Read all of standard input, at most the frame limit; NULL after a
 * one-line error. */
static uint8_t *
send_read_stdin(size_t *len)
{
	uint8_t	*buf = NULL;
	size_t	 size = 0, n;

	*len = 0;
	do {
		if (*len == size) {
			size = size == 0 ? 65536 : size * 2;
			buf = xrealloc(buf, size);
		}
		n = fread(buf + *len, 1, size - *len, stdin);
		*len += n;
	} while (n > 0 && *len <= WIRE_FRAME_MAX);
	if (ferror(stdin) || *len > WIRE_FRAME_MAX - 4096) {
		fprintf(stderr, "podctl: %s\n", ferror(stdin) ? "cannot read"
		    " the message from standard input" : "the message is too"
		    " long: at most about 1 MiB");
		free(buf);
		return (NULL);
	}
	return (buf);
}

/* Is a priority one of the four? */
static bool
send_priority_ok(const char *p)
{
	return (strcmp(p, "low") == 0 || strcmp(p, "normal") == 0 ||
	    strcmp(p, "high") == 0 || strcmp(p, "critical") == 0);
}

/* podctl send [OPTIONS] POD MESSAGE|- */
static int
cmd_send_exec(struct ctl *ctl, int argc, char **argv)
{
	struct send	 sd = { ctl };
	struct msg	 m;
	uint8_t		*in = NULL;
	int		 ch, status;

	msg_init(&m, MSG_SEND);
	while ((ch = ctl_getopt(ctl, argc, argv, ":h", send_options)) != -1) {
		switch (ch) {
		case OPT_PRIORITY:
			if (!send_priority_ok(optarg))
				return (ctl_usage_error(ctl, "--priority: '%s'"
				    " is not low, normal, high or critical",
				    optarg));
			m.u.send.priority = optarg;
			break;
		case OPT_KEY:
			if (*optarg == '\0')
				return (ctl_usage_error(ctl,
				    "--key needs a key"));
			m.u.send.key = optarg;
			break;
		case OPT_PREEMPT:
			m.u.send.preempt = true;
			break;
		default:
			return (ctl->status);
		}
	}
	if (argc - optind != 2)
		return (ctl_usage_error(ctl, "needs a pod and a message"));
	m.u.send.pod = argv[optind];
	if (strcmp(argv[optind + 1], "-") == 0) {
		if ((in = send_read_stdin(&m.u.send.data.len)) == NULL)
			return (EXIT_FAILED);
		m.u.send.data.ptr = in;
	} else {
		m.u.send.data.ptr = (const uint8_t *)argv[optind + 1];
		m.u.send.data.len = strlen(argv[optind + 1]);
	}
	status = client_run(ctl, &m, send_reply, &sd);
	free(in);
	return (status);
}
