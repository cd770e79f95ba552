/*
 * podctl inspect: everything known about one pod, as one pretty-printed
 * JSON document (children as ids).
 */

#include <stdio.h>

#include "ctl.h"

static int	cmd_inspect_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_inspect_entry = {
	.name = "inspect",
	.usage = "POD",
	.summary = "print everything known about a pod, as JSON",
	.help = "",
	.exec = cmd_inspect_exec
};

static const struct option inspect_options[] = {
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

struct inspect {
	const char	*pod;
	json_t		*out;		/* the record, once received */
};

/* The inspect reply: the pod's record, then the end. */
static int
inspect_reply(struct msg *m, void *arg)
{
	struct inspect	*in = arg;
	json_t		*out;
	int		 status;

	switch (m->type) {
	case MSG_POD:
		if (in->out == NULL)
			in->out = pod_json(&m->u.pod);
		return (REPLY_MORE);
	case MSG_END:
		if ((status = reply_missing(m->u.end.missing)) != 0)
			return (status);
		if ((out = in->out) == NULL) {
			fprintf(stderr, "podctl: no such pod: %s\n", in->pod);
			return (EXIT_NOTFOUND);
		}
		in->out = NULL;
		return (json_print(out, JSON_INDENT(2)) == 0 ? 0 :
		    EXIT_FAILED);
	default:
		return (reply_unexpected(m));
	}
}

/* podctl inspect POD */
static int
cmd_inspect_exec(struct ctl *ctl, int argc, char **argv)
{
	struct inspect	in = { NULL, NULL };
	struct msg	m;
	int		ch, status;

	while ((ch = ctl_getopt(ctl, argc, argv, ":h", inspect_options)) != -1) {
		switch (ch) {
		default:
			return (ctl->status);
		}
	}
	if ((in.pod = ctl_one_pod(ctl, argc, argv)) == NULL)
		return (EXIT_USAGE);
	msg_init(&m, MSG_INSPECT);
	m.u.inspect.pod = (char *)in.pod;
	status = client_run(ctl, &m, inspect_reply, &in);
	json_decref(in.out);
	return (status);
}
