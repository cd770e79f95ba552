/*
 * podctl spawn: start a pod, print its id, and with --wait exit with the
 * pod's own status once it ends.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

extern char	**environ;

static int	cmd_spawn_exec(struct ctl *, int, char **);

const struct cmd_entry cmd_spawn_entry = {
	.name = "spawn",
	.usage = "[OPTIONS] [--] CMD [ARG...] | [OPTIONS] --http URL",
	.summary = "start a pod running CMD (or one HTTP request) and print"
	    " its id",
	.help =
	    "  -n, --name NAME     name the pod ([A-Za-z0-9._-], not all"
	    " digits)\n"
	    "  -p, --parent POD    the parent pod (default: $PODVISOR_POD,"
	    " else none)\n"
	    "  --cwd DIR           working directory (default: the current"
	    " one)\n"
	    "  -e, --env K=V       add K=V to the environment (repeatable)\n"
	    "  --inherit-env       start from this environment, not a clean"
	    " one\n"
	    "  --cancel-grace DUR  time to end after the cancel (default:"
	    " podvisord's)\n"
	    "  --term-grace DUR    time to end after SIGTERM (default:"
	    " podvisord's)\n"
	    "  --stop-signal SIG   the cancel's signal (default: SIGINT)\n"
	    "  --timeout DUR       stop the pod (reason timeout) after DUR\n"
	    "  --on-parent-exit stop|orphan\n"
	    "                      when the parent ends: stop this pod too"
	    " (default)\n"
	    "                      or make it top level\n"
	    "  --heartbeat DUR     stop the pod (reason heartbeat-timeout) when"
	    " its\n"
	    "                      workload goes DUR without a pod API"
	    " heartbeat\n"
	    "  --max-extend DUR    how much more time, in all, the workload may"
	    " ask\n"
	    "                      for after a cancel (default: the cancel"
	    " grace)\n"
	    "  --limit NAME=VALUE  a resource limit, soft and hard (repeatable):\n"
	    "                      nofile=N, nproc=N, as=SIZE (bytes; 64K, 1G),\n"
	    "                      cpu=SECS (90, 90s, 2m; rounded up)\n"
	    "  --restart no|on-failure|always\n"
	    "                      run it again when it ends on its own:"
	    " never\n"
	    "                      (default), when it failed, or whatever"
	    " the outcome\n"
	    "  --max-restarts N    at most N runs again (default: 5)\n"
	    "  --restart-delay DUR the first wait between runs, doubled"
	    " after each\n"
	    "                      run shorter than 10s, at most 5m"
	    " (default: 1s)\n"
	    "  -w, --wait          wait for the pod and exit with its"
	    " status\n"
	    "HTTP pods (instead of CMD):\n"
	    "  --http URL          make one request to an http:// or https://"
	    " URL\n"
	    "  --method M          the method (default: GET, or POST with"
	    " --data)\n"
	    "  --header 'N: V'     a request header (repeatable); @FILE reads"
	    " one a line\n"
	    "  --data TEXT|@FILE   the request body\n"
	    "  --on-cancel finish|abort\n"
	    "                      on a stop, let the request finish within"
	    " the cancel\n"
	    "                      grace (default) or abort it at once\n",
	.exec = cmd_spawn_exec
};

static const struct option spawn_options[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "parent", required_argument, NULL, 'p' },
	{ "cwd", required_argument, NULL, OPT_CWD },
	{ "env", required_argument, NULL, 'e' },
	{ "inherit-env", no_argument, NULL, OPT_INHERIT_ENV },
	{ "cancel-grace", required_argument, NULL, OPT_CANCEL_GRACE },
	{ "term-grace", required_argument, NULL, OPT_TERM_GRACE },
	{ "stop-signal", required_argument, NULL, OPT_STOP_SIGNAL },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "on-parent-exit", required_argument, NULL, OPT_ON_PARENT_EXIT },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
	{ "max-extend", required_argument, NULL, OPT_MAX_EXTEND },
	{ "restart", required_argument, NULL, OPT_RESTART },
	{ "max-restarts", required_argument, NULL, OPT_MAX_RESTARTS },
	{ "restart-delay", required_argument, NULL, OPT_RESTART_DELAY },
	{ "wait", no_argument, NULL, 'w' },
	{ "http", required_argument, NULL, OPT_HTTP },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "on-cancel", required_argument, NULL, OPT_ON_CANCEL },
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

/* What the options asked for, besides the message fields. */
struct spawn {
	struct ctl	*ctl;
	struct msg	 m;
	char		**extra;	/* -e values, pointing into argv */
	size_t		 nextra;
	const char	*cwd;
	struct spawn_http http;		/* --http and its options */
	bool		 wait;
	uint64_t	 id;		/* the new pod */
	bool		 ended;		/* its record arrived */
	int		 status;	/* its own status */
};

/* --limit NAME=VALUE; -1 after a usage error. */
static int
spawn_limit(struct spawn *sp, const char *arg)
{
	const char	*eq;
	char		 opt[32], cause[256];
	size_t		 n;
	int		 i;

	if ((eq = strchr(arg, '=')) == NULL) {
		ctl_usage_error(sp->ctl, "--limit: '%s' is not NAME=VALUE",
		    arg);
		return (-1);
	}
	n = (size_t)(eq - arg);
	if ((i = limit_find(arg, n)) == -1) {
		ctl_usage_error(sp->ctl, "--limit: unknown limit '%.*s': use "
		    "nofile, nproc, as or cpu", (int)(n > 32 ? 32 : n), arg);
		return (-1);
	}
	snprintf(opt, sizeof opt, "--limit %s", limit_defs[i].name);
	if (limit_parse_value(i, eq + 1, &sp->m.u.spawn.spec.limits[i], cause,
	    sizeof cause) == -1)
		return (ctl_bad_value(sp->ctl, opt, cause), -1);
	return (0);
}

/* --restart, --max-restarts, --restart-delay; -1 after a usage error. */
static int
spawn_restart_value(struct spawn *sp, int ch, const char *arg)
{
	struct msg_spawn	*s = &sp->m.u.spawn;
	uint64_t		 n;

	switch (ch) {
	case OPT_RESTART:
		if (strcmp(arg, "no") != 0 && strcmp(arg, "on-failure") != 0 &&
		    strcmp(arg, "always") != 0) {
			ctl_usage_error(sp->ctl, "--restart: '%s' is not no, "
			    "on-failure or always", arg);
			return (-1);
		}
		s->restart = (char *)arg;
		return (0);
	case OPT_MAX_RESTARTS:
		if (ctl_count(sp->ctl, "--max-restarts", arg, &n) != 0)
			return (-1);
		if (n > INT32_MAX) {
			ctl_usage_error(sp->ctl, "--max-restarts: %s is too "
			    "many", arg);
			return (-1);
		}
		s->spec.max_restarts = (int64_t)n;
		return (0);
	default:
		if (ctl_duration(sp->ctl, "--restart-delay", arg,
		    &s->spec.restart_delay_ms) != 0)
			return (-1);
		if (s->spec.restart_delay_ms < 1 ||
		    s->spec.restart_delay_ms > 24 * 3600 * 1000) {
			ctl_usage_error(sp->ctl, "--restart-delay: %s is out "
			    "of range: use 1ms to 24h", arg);
			return (-1);
		}
		return (0);
	}
}

/* Check one option that is not a plain flag; -1 after a usage error. */
static int
spawn_value(struct spawn *sp, int ch, const char *arg)
{
	struct msg_spawn	*s = &sp->m.u.spawn;
	char			 cause[256];
	int			 sig;

	switch (ch) {
	case 'n':
		if (parse_pod_name(arg, cause, sizeof cause) != 0) {
			ctl_bad_value(sp->ctl, "--name", cause);
			return (-1);
		}
		s->name = (char *)arg;
		return (0);
	case 'e':
		if (arg[0] == '=' || strchr(arg, '=') == NULL) {
			ctl_usage_error(sp->ctl, "--env: '%s' is not K=V", arg);
			return (-1);
		}
		sp->extra[sp->nextra++] = (char *)arg;
		return (0);
	case OPT_CANCEL_GRACE:
		return (ctl_duration(sp->ctl, "--cancel-grace", arg,
		    &s->spec.cancel_grace_ms));
	case OPT_TERM_GRACE:
		return (ctl_duration(sp->ctl, "--term-grace", arg,
		    &s->spec.term_grace_ms));
	case OPT_TIMEOUT:
		return (ctl_duration(sp->ctl, "--timeout", arg,
		    &s->spec.timeout_ms));
	case OPT_HEARTBEAT:
		return (ctl_duration(sp->ctl, "--heartbeat", arg,
		    &s->spec.heartbeat_ms));
	case OPT_MAX_EXTEND:
		return (ctl_duration(sp->ctl, "--max-extend", arg,
		    &s->spec.max_extend_ms));
	case OPT_RESTART:
	case OPT_MAX_RESTARTS:
	case OPT_RESTART_DELAY:
		return (spawn_restart_value(sp, ch, arg));
	case OPT_STOP_SIGNAL:
		if (ctl_signal(sp->ctl, "--stop-signal", arg, &sig) != 0)
			return (-1);
		s->spec.stop_signal = sig;
		return (0);
	case OPT_LIMIT:
		return (spawn_limit(sp, arg));
	case OPT_ON_PARENT_EXIT:
		if (strcmp(arg, "stop") != 0 && strcmp(arg, "orphan") != 0) {
			ctl_usage_error(sp->ctl, "--on-parent-exit: '%s' is"
			    " neither stop nor orphan", arg);
			return (-1);
		}
		s->on_parent_exit = (char *)arg;
		return (0);
	}
	fatalx("spawn_value: unexpected option %d", ch);
}

/* Parse the options; -1 to stop with ctl->status. */
static int
spawn_parse(struct spawn *sp, int argc, char **argv)
{
	struct msg_spawn	*s = &sp->m.u.spawn;
	int			 ch;

	while ((ch = ctl_getopt(sp->ctl, argc, argv, "+:n:p:e:wh",
	    spawn_options)) != -1) {
		switch (ch) {
		case 'p':
			s->parent = optarg;
			break;
		case OPT_CWD:
			if (*optarg == '\0') {
				ctl_usage_error(sp->ctl,
				    "--cwd needs a directory");
				return (-1);
			}
			sp->cwd = optarg;
			break;
		case OPT_INHERIT_ENV:
			s->inherit_env = true;
			break;
		case 'w':
			sp->wait = true;
			break;
		case 'n':
		case 'e':
		case OPT_CANCEL_GRACE:
		case OPT_TERM_GRACE:
		case OPT_TIMEOUT:
		case OPT_STOP_SIGNAL:
		case OPT_ON_PARENT_EXIT:
		case OPT_LIMIT:
		case OPT_HEARTBEAT:
		case OPT_MAX_EXTEND:
		case OPT_RESTART:
		case OPT_MAX_RESTARTS:
		case OPT_RESTART_DELAY:
			if (spawn_value(sp, ch, optarg) != 0)
				return (-1);
			break;
		case OPT_HTTP:
		case OPT_METHOD:
		case OPT_HEADER:
		case OPT_DATA:
		case OPT_ON_CANCEL:
			if (spawn_http_option(sp->ctl, &sp->http, ch,
			    optarg) != 0)
				return (-1);
			break;
		default:
			return (-1);
		}
	}
	if (spawn_http_finish(sp->ctl, &sp->http, argc - optind,
	    &s->http) != 0)
		return (-1);
	if (s->http.url != NULL)
		return (0);
	if (optind >= argc) {
		ctl_usage_error(sp->ctl, "no command to run");
		return (-1);
	}
	s->argv = argv + optind;
	return (0);
}

/* The working directory to send, made absolute; NULL after an error. */
static char *
spawn_cwd(const char *dir)
{
	char	*here, *abs;

	if (dir != NULL && dir[0] == '/')
		return (xstrdup(dir));
	if ((here = getcwd(NULL, 0)) == NULL) {
		fprintf(stderr, "podctl: cannot tell the current directory:"
		    " %m (pass --cwd DIR)\n");
		return (NULL);
	}
	if (dir == NULL)
		return (here);
	xasprintf(&abs, "%s/%s", strcmp(here, "/") == 0 ? "" : here, dir);
	free(here);
	return (abs);
}

/* The env to send: -e values, after the caller's with --inherit-env. */
static char **
spawn_env(struct spawn *sp)
{
	char	**env;
	size_t	  n = 0, i;

	if (sp->m.u.spawn.inherit_env)
		n = strv_len(environ);
	env = xcalloc(n + sp->nextra + 1, sizeof *env);
	for (i = 0; i < n; i++)
		env[i] = environ[i];
	for (i = 0; i < sp->nextra; i++)
		env[n + i] = sp->extra[i];
	return (env);
}

/* The spawn reply: MSG_OK with the new id. */
static int
spawn_reply(struct msg *m, void *arg)
{
	struct spawn	*sp = arg;

	if (m->type != MSG_OK || m->u.ok.id == 0)
		return (reply_unexpected(m));
	sp->id = m->u.ok.id;
	if (sp->ctl->json)
		json_print(json_pack("{sI}", "id", (json_int_t)sp->id), 0);
	else
		printf("%llu\n", (unsigned long long)sp->id);
	fflush(stdout);
	return (0);
}

/* The wait reply: the pod's record, then the end. */
static int
spawn_wait_reply(struct msg *m, void *arg)
{
	struct spawn	*sp = arg;

	switch (m->type) {
	case MSG_POD:
		if (m->u.pod.id == sp->id && !sp->ended) {
			sp->ended = true;
			sp->status = pod_exit_status(&m->u.pod);
		}
		return (REPLY_MORE);
	case MSG_END:
		if (!sp->ended) {
			fprintf(stderr, "podctl: pod %llu vanished before it"
			    " ended\n", (unsigned long long)sp->id);
			return (EXIT_NOTFOUND);
		}
		return (sp->status);
	default:
		return (reply_unexpected(m));
	}
}

/* Send the spawn and, with --wait, the wait on the same connection. */
static int
spawn_send(struct spawn *sp)
{
	struct client	*c;
	struct msg	 w;
	char		 idbuf[32], *pods[2] = { idbuf, NULL };
	int		 status;

	if ((status = client_open(sp->ctl, &c)) != 0)
		return (status);
	status = client_request(c, &sp->m, spawn_reply, sp);
	if (status == 0 && sp->wait) {
		snprintf(idbuf, sizeof idbuf, "%llu",
		    (unsigned long long)sp->id);
		msg_init(&w, MSG_WAIT);
		w.u.wait.pods = pods;
		status = client_request(c, &w, spawn_wait_reply, sp);
	}
	client_close(c);
	return (status);
}

/* podctl spawn [OPTIONS] [--] CMD [ARG...] */
static int
cmd_spawn_exec(struct ctl *ctl, int argc, char **argv)
{
	struct spawn	 sp;
	struct msg_spawn *s = &sp.m.u.spawn;
	const char	*pod;
	int		 status;

	memset(&sp, 0, sizeof sp);
	sp.ctl = ctl;
	msg_init(&sp.m, MSG_SPAWN);
	sp.extra = xcalloc(argc + 1, sizeof *sp.extra);
	if (spawn_parse(&sp, argc, argv) != 0) {
		status = ctl->status;
		goto out;
	}
	if (s->parent == NULL && (pod = getenv("PODVISOR_POD")) != NULL &&
	    *pod != '\0')
		s->parent = (char *)pod;
	if ((s->cwd = spawn_cwd(sp.cwd)) == NULL) {
		status = EXIT_FAILED;
		goto out;
	}
	if (s->inherit_env || sp.nextra > 0)
		s->env = spawn_env(&sp);
	status = spawn_send(&sp);
out:
	free(s->cwd);
	free(s->env);
	free(sp.extra);
	spawn_http_free(&sp.http);
	return (status);
}
