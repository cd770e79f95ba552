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

struct rm {
	json_t	*out;		/* --json: the removed pods */
};

/* The rm reply: a record per removed pod, then the end. */
static int
rm_reply(struct msg *m, void *arg)
{
	struct rm	*r = arg;

	switch (m->type) {
	case MSG_POD:
		if (r->out != NULL)
			json_array_append_new(r->out, pod_json(&m->u.pod));
		return (REPLY_MORE);
	case MSG_END:
		if (r->out != NULL) {
			json_print(r->out, 0);
			r->out = NULL;
		}
		return (reply_missing(m->u.end.missing));
	default:
		return (reply_unexpected(m));
	}
}

/* podctl rm POD... */
static int
cmd_rm_exec(struct ctl *ctl, int argc, char **argv)
{
	struct rm	r = { NULL };
	struct msg	m;
	int		ch, status;

	while ((ch = ctl_getopt(ctl, argc, argv, ":h", rm_options)) != -1) {
		switch (ch) {
		default:
			return (ctl_exit_status());
		}
	}
	if (optind >= argc)
		return (ctl_usage_error(ctl, "no pod named"));
	msg_init(&m, MSG_RM);
	m.u.rm.pods = argv + optind;
	if (ctl->json)
		r.out = json_array();
	status = client_run(ctl, &m, rm_reply, &r);
	json_decref(r.out);
	return (status);
}
