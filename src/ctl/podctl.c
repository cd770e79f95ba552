/*
 * podctl: global options, the command table, and the option helpers every
 * command shares.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#ifndef PACKAGE_VERSION_STR
#define PACKAGE_VERSION_STR	"unknown"
#endif

#define OPT_EXIT	0x1000	/* ctl_getopt: stop, exit with ctl->status */

static const struct cmd_entry *cmd_table[] = {
	&cmd_spawn_entry,
	&cmd_stop_entry,
	&cmd_kill_entry,
	&cmd_status_entry,
	&cmd_logs_entry,
	&cmd_wait_entry,
	&cmd_send_entry,
	&cmd_inspect_entry,
	&cmd_result_entry,
	&cmd_pause_entry,
	&cmd_resume_entry,
	&cmd_reexec_entry,
	&cmd_rm_entry,
	NULL
};

static const struct option global_options[] = {
	{ "socket", required_argument, NULL, 'S' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void	usage(FILE *);
static void	cmd_help(const struct cmd_entry *, FILE *);
static const struct cmd_entry *cmd_find(const char *);
static const char *opt_text(char **, char *, size_t);

/* The overall usage: global options and one line per command. */
static void
usage(FILE *f)
{
	const struct cmd_entry	**cmd;

	fprintf(f, "usage: podctl [-S PATH] [--json] COMMAND [OPTIONS] [ARGS]\n"
	    "       podctl -h | --version\n\ncommands:\n");
	for (cmd = cmd_table; *cmd != NULL; cmd++)
		fprintf(f, "  %-8s %.*s\n", (*cmd)->name,
		    (int)strcspn((*cmd)->summary, "\n"), (*cmd)->summary);
	fprintf(f, "\nglobal options:\n"
	    "  -S, --socket PATH  podvisord's control socket (default:"
	    " $PODVISOR_SOCKET,\n"
	    "                     else the per-user or system socket)\n"
	    "  --json             machine output (also accepted after"
	    " COMMAND)\n"
	    "  -h, --help         this help; 'podctl COMMAND -h' for one"
	    " command\n"
	    "  --version          print the version\n\n"
	    "A pod is named by its id or its name.  Exit status: 0 success,"
	    " 1 failed,\n2 usage error, 3 no such pod, 4 podvisord"
	    " unreachable, 5 permission denied.\n");
}

/* One command's usage, summary and options. */
static void
cmd_help(const struct cmd_entry *cmd, FILE *f)
{
	fprintf(f, "usage: podctl %s %s\n%s\n\noptions:\n%s", cmd->name,
	    cmd->usage, cmd->summary, cmd->help != NULL ? cmd->help : "");
	fprintf(f, "  --json              machine output\n"
	    "  -h, --help          this help\n");
}

/* The command of that exact name, or NULL. */
static const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry	**cmd;

	for (cmd = cmd_table; *cmd != NULL; cmd++) {
		if (strcmp((*cmd)->name, name) == 0)
			return (*cmd);
	}
	return (NULL);
}

/* How the option getopt just complained about was spelled. */
static const char *
opt_text(char **argv, char *buf, size_t len)
{
	const char	*arg = argv[optind - 1];

	if (optopt > 0 && optopt < 0x100 && !(arg[0] == '-' && arg[1] == '-')) {
		snprintf(buf, len, "-%c", optopt);
		return (buf);
	}
	snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	return (buf);
}

/* The one pod a command's remaining arguments must name, or NULL after
 * a usage error (none, or more than one). */
const char *
ctl_one_pod(struct ctl *ctl, int argc, char **argv)
{
	if (optind >= argc) {
		ctl_usage_error(ctl, "no pod named");
		return (NULL);
	}
	if (argc - optind > 1) {
		ctl_usage_error(ctl, "one pod at a time");
		return (NULL);
	}
	return (argv[optind]);
}

/* Print a usage error for the current command; returns EXIT_USAGE. */
int
ctl_usage_error(struct ctl *ctl, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "podctl: ");
	if (ctl->cmd != NULL)
		fprintf(stderr, "%s: ", ctl->cmd->name);
	ctl->status = EXIT_USAGE;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (ctl->cmd != NULL)
		fprintf(stderr, " (see 'podctl %s -h')\n", ctl->cmd->name);
	else
		fprintf(stderr, " (see 'podctl -h')\n");
	return (EXIT_USAGE);
}

/*
 * getopt_long for a command.  Handles --json and -h itself and reports bad
 * options; then returns OPT_EXIT, which falls to the default case of the
 * command's switch: return ctl->status.  The option string starts
 * with ':' (after '+' where options end at the first operand).
 */
int
ctl_getopt(struct ctl *ctl, int argc, char **argv, const char *optstring,
    const struct option *longopts)
{
	char	buf[128];
	int	ch;

	for (;;) {
		ch = getopt_long(argc, argv, optstring, longopts, NULL);
		switch (ch) {
		case OPT_JSON:
			ctl->json = true;
			continue;
		case 'h':
			cmd_help(ctl->cmd, stdout);
			ctl->status = 0;
			return (OPT_EXIT);
		case '?':
			opt_text(argv, buf, sizeof buf);
			if (optopt != 0 && strncmp(buf, "--", 2) == 0 &&
			    strchr(argv[optind - 1], '=') != NULL)
				ctl_usage_error(ctl, "option '%s' takes no value",
				    buf);
			else
				ctl_usage_error(ctl, "unknown option '%s'", buf);
			return (OPT_EXIT);
		case ':':
			ctl_usage_error(ctl, "option '%s' needs a value",
			    opt_text(argv, buf, sizeof buf));
			return (OPT_EXIT);
		default:
			return (ch);
		}
	}
}

/* A value rejected by a parser: "podctl: --opt: cause"; EXIT_USAGE. */
int
ctl_bad_value(struct ctl *ctl, const char *opt, const char *cause)
{
	return (ctl_usage_error(ctl, "%s: %s", opt, cause));
}

/* Parse a duration option in ms; -1 after a usage error. */
int
ctl_duration(struct ctl *ctl, const char *opt, const char *arg, int64_t *ms)
{
	char	cause[256];

	if (parse_duration(arg, ms, cause, sizeof cause) != 0) {
		ctl_bad_value(ctl, opt, cause);
		return (-1);
	}
	return (0);
}

/* Parse a signal option; -1 after a usage error. */
int
ctl_signal(struct ctl *ctl, const char *opt, const char *arg, int *sig)
{
	char	cause[256];

	if (parse_signal(arg, sig, cause, sizeof cause) != 0) {
		ctl_bad_value(ctl, opt, cause);
		return (-1);
	}
	return (0);
}

/* Parse a non-negative decimal count; -1 after a usage error. */
int
ctl_count(struct ctl *ctl, const char *opt, const char *arg, uint64_t *n)
{
	char		*end;
	uintmax_t	 v;

	errno = 0;
	if (*arg < '0' || *arg > '9') {
		ctl_usage_error(ctl, "%s: '%s' is not a number", opt, arg);
		return (-1);
	}
	v = strtoumax(arg, &end, 10);
	if (*end != '\0' || errno == ERANGE || v > UINT64_MAX) {
		ctl_usage_error(ctl, "%s: '%s' is not a number", opt, arg);
		return (-1);
	}
	*n = v;
	return (0);
}

/* Flush stdout at exit; a failed write is a failure unless EPIPE. */
static int
flush_stdout(int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return (status);
	if (errno != EPIPE)
		fprintf(stderr, "podctl: cannot write the output: %s\n",
		    strerror(errno));
	return (status == 0 ? EXIT_FAILED : status);
}

/* Parse the global options; returns the index of COMMAND or -1 to exit. */
static int
parse_global(struct ctl *ctl, int argc, char **argv, int *status)
{
	char	buf[128];
	int	ch;

	while ((ch = getopt_long(argc, argv, "+:S:h", global_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'S':
			if (*optarg == '\0') {
				*status = ctl_usage_error(ctl,
				    "-S needs a socket path");
				return (-1);
			}
			ctl->socket = optarg;
			break;
		case OPT_JSON:
			ctl->json = true;
			break;
		case 'h':
			usage(stdout);
			*status = 0;
			return (-1);
		case OPT_VERSION:
			printf("podctl %s\n", PACKAGE_VERSION_STR);
			*status = 0;
			return (-1);
		case ':':
			*status = ctl_usage_error(ctl,
			    "option '%s' needs a value",
			    opt_text(argv, buf, sizeof buf));
			return (-1);
		default:
			*status = ctl_usage_error(ctl, "unknown option '%s'",
			    opt_text(argv, buf, sizeof buf));
			return (-1);
		}
	}
	if (optind >= argc) {
		*status = ctl_usage_error(ctl, "no command given");
		return (-1);
	}
	return (optind);
}

/* podctl [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS] */
int
main(int argc, char **argv)
{
	static char	 path[PATH_MAX];
	struct ctl	 ctl;
	int		 i, status = 0;

	signal(SIGPIPE, SIG_IGN);
	/* The wire layer's warnings would say again what podctl's own one
	 * line says (client.c): only errors from it. */
	log_init("podctl", LOG_LEVEL_ERROR);
	memset(&ctl, 0, sizeof ctl);
	opterr = 0;

	if ((i = parse_global(&ctl, argc, argv, &status)) == -1)
		return (flush_stdout(status));
	if ((ctl.cmd = cmd_find(argv[i])) == NULL)
		return (ctl_usage_error(&ctl, "unknown command '%s'", argv[i]));
	if (ctl.socket == NULL && default_socket_path(path, sizeof path) == 0)
		ctl.socket = path;

	optind = 0;	/* glibc: start over on the command's arguments */
	status = ctl.cmd->exec(&ctl, argc - i, argv + i);
	return (flush_stdout(status));
}
