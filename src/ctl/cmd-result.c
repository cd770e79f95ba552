/*
 * podctl result: the result a pod's workload set through the pod API,
 * printed as the JSON it is.
 */

#include <stdio.h>

#include "ctl.h"

static int	cmd_result_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_result_entry = {
	.name = "result",
	.usage = "POD",
	.summary = "print the result the pod's workload set, as JSON",
	.help = "",
	.exec = cmd_result_exec
};

static const struct option result_options[] = {
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

struct result {
	const char	*pod;
	json_t		*value;		/* the result, once received */
	bool		 found;		/* the pod's record came */
	uint64_t	 id;
};

/* Keep the result of the inspect record. */
static void
result_take(struct result *r, const struct msg_pod *p)
{
	json_error_t	 err;

	r->found = true;
	r->id = p->id;
	if (p->result.len == 0)
		return;
	r->value = json_loadb((const char *)p->result.ptr, p->result.len,
	    JSON_DECODE_ANY, &err);
}

/* The inspect reply: the pod's record, then the end. */
static int
result_reply(struct msg *m, void *arg)
{
	struct result	*r = arg;
	json_t		*v;
	int		 status;

	switch (m->type) {
	case MSG_POD:
		if (!r->found)
			result_take(r, &m->u.pod);
		return (REPLY_MORE);
	case MSG_END:
		if ((status = reply_missing(m->u.end.missing)) != 0)
			return (status);
		if (!r->found) {
			fprintf(stderr, "podctl: no such pod: %s\n", r->pod);
			return (EXIT_NOTFOUND);
		}
		if ((v = r->value) == NULL) {
			fprintf(stderr, "podctl: pod %llu has no result: its "
			    "workload set none through the pod API\n",
			    (unsigned long long)r->id);
			return (EXIT_FAILED);
		}
		r->value = NULL;
		return (json_print(v, JSON_INDENT(2) | JSON_ENCODE_ANY) == 0 ?
		    0 : EXIT_FAILED);
	default:
		return (reply_unexpected(m));
	}
}

/* podctl result POD */
static int
cmd_result_exec(struct ctl *ctl, int argc, char **argv)
{
	struct result	r = { NULL, NULL, false, 0 };
	struct msg	m;
	int		ch, status;

	while ((ch = ctl_getopt(ctl, argc, argv, ":h", result_options)) != -1) {
		switch (ch) {
		default:
			return (ctl->status);
		}
	}
	if ((r.pod = ctl_one_pod(ctl, argc, argv)) == NULL)
		return (EXIT_USAGE);
	msg_init(&m, MSG_INSPECT);
	m.u.inspect.pod = (char *)r.pod;
	status = client_run(ctl, &m, result_reply, &r);
	json_decref(r.value);
	return (status);
}
