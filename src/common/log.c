/*
 * The program's own diagnostics: one line each on stderr, prefixed with
 * the program name, or to syslog (a daemon that has no stderr left).  fatal() and fatalx() are for start-up and broken
 * invariants only, never for anything a peer sent.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "common.h"

static const char	*log_progname = "podvisor";
static int		 log_level = LOG_LEVEL_INFO;
static bool		 log_syslog;

static void	log_vline(int, const char *, const char *, const char *,
		    va_list) __attribute__((format(printf, 3, 0)));

/* Set the name that prefixes each line and the most verbose level shown. */
void
log_init(const char *progname, int level)
{
	if (progname != NULL) {
		if (strrchr(progname, '/') != NULL)
			progname = strrchr(progname, '/') + 1;
		log_progname = progname;
	}
	log_level = level;
}

/* From now on, write to syslog with the daemon facility, not stderr. */
void
log_to_syslog(void)
{
	openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = true;
}

/* Map "error", "warn", "info" or "debug" to its level; -1 if unknown. */
int
log_level_parse(const char *s)
{
	if (strcasecmp(s, "error") == 0)
		return (LOG_LEVEL_ERROR);
	if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
		return (LOG_LEVEL_WARN);
	if (strcasecmp(s, "info") == 0)
		return (LOG_LEVEL_INFO);
	if (strcasecmp(s, "debug") == 0)
		return (LOG_LEVEL_DEBUG);
	return (-1);
}

/* Write one whole line at once, so that lines from processes sharing
 * stderr do not interleave; suffix (may be NULL) follows ": ". */
static void
log_vline(int prio, const char *tag, const char *fmt, const char *suffix,
    va_list ap)
{
	char	msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_syslog) {
		if (suffix != NULL)
			syslog(prio, "%s%s: %s", tag, msg, suffix);
		else
			syslog(prio, "%s%s", tag, msg);
		return;
	}
	if (suffix != NULL)
		fprintf(stderr, "%s: %s%s: %s\n", log_progname, tag, msg,
		    suffix);
	else
		fprintf(stderr, "%s: %s%s\n", log_progname, tag, msg);
	fflush(stderr);
}

/* A warning with the current errno appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (log_level >= LOG_LEVEL_WARN) {
		va_start(ap, fmt);
		log_vline(LOG_WARNING, "warning: ", fmt, strerror(saved), ap);
		va_end(ap);
	}
	errno = saved;
}

/* A warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (log_level >= LOG_LEVEL_WARN) {
		va_start(ap, fmt);
		log_vline(LOG_WARNING, "warning: ", fmt, NULL, ap);
		va_end(ap);
	}
	errno = saved;
}

/* An informational message. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (log_level >= LOG_LEVEL_INFO) {
		va_start(ap, fmt);
		log_vline(LOG_INFO, "", fmt, NULL, ap);
		va_end(ap);
	}
	errno = saved;
}

/* A debugging message, shown only at LOG_LEVEL_DEBUG. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (log_level >= LOG_LEVEL_DEBUG) {
		va_start(ap, fmt);
		log_vline(LOG_DEBUG, "", fmt, NULL, ap);
		va_end(ap);
	}
	errno = saved;
}

/* Report an error with errno appended and exit 1. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vline(LOG_ERR, "", fmt, strerror(saved), ap);
	va_end(ap);
	exit(1);
}

/* Report an error and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline(LOG_ERR, "", fmt, NULL, ap);
	va_end(ap);
	exit(1);
}
