/*
 * Parsers for the values users type: durations, signals, pod names,
 * sizes and pod ids.  Each rejects anything it does not fully understand,
 * with a one-line cause that says what would have been accepted.
 */

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common.h"

#define DURATION_MAX_MS	(30LL * 24 * 3600 * 1000)	/* 30 days */
#define FRACTION_DIGITS	12	/* more are ignored: far below 1 ms */
#define POD_NAME_MAX	64
#define SIGNAL_MAX	(NSIG - 1)	/* 64 with glibc */

static const struct {
	const char	*name;
	int		 number;
} signals[] = {	/* full names; the first of a number is its name */
	{ "SIGHUP", SIGHUP }, { "SIGINT", SIGINT },
	{ "SIGQUIT", SIGQUIT }, { "SIGILL", SIGILL },
	{ "SIGTRAP", SIGTRAP }, { "SIGABRT", SIGABRT },
	{ "SIGBUS", SIGBUS }, { "SIGFPE", SIGFPE },
	{ "SIGKILL", SIGKILL }, { "SIGUSR1", SIGUSR1 },
	{ "SIGSEGV", SIGSEGV }, { "SIGUSR2", SIGUSR2 },
	{ "SIGPIPE", SIGPIPE }, { "SIGALRM", SIGALRM },
	{ "SIGTERM", SIGTERM }, { "SIGSTKFLT", SIGSTKFLT },
	{ "SIGCHLD", SIGCHLD }, { "SIGCONT", SIGCONT },
	{ "SIGSTOP", SIGSTOP }, { "SIGTSTP", SIGTSTP },
	{ "SIGTTIN", SIGTTIN }, { "SIGTTOU", SIGTTOU },
	{ "SIGURG", SIGURG }, { "SIGXCPU", SIGXCPU },
	{ "SIGXFSZ", SIGXFSZ }, { "SIGVTALRM", SIGVTALRM },
	{ "SIGPROF", SIGPROF }, { "SIGWINCH", SIGWINCH },
	{ "SIGIO", SIGIO }, { "SIGPOLL", SIGPOLL },
	{ "SIGPWR", SIGPWR }, { "SIGSYS", SIGSYS },
};

/* Copy user input into a cause safely: at most 64 bytes, control and
 * non-ASCII bytes shown as '?', so a cause stays one printable line. */
static const char *
shown(const char *s, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	if (s[i] != '\0' && i >= 3)
		memcpy(buf + i - 3, "...", 3);
	return (buf);
}

/* Accumulate decimal digits into *v; -1 if it would exceed limit. */
static int
digits(const char **sp, uint64_t limit, uint64_t *v, int *n)
{
	const char	*s = *sp;

	*v = 0;
	for (*n = 0; *s >= '0' && *s <= '9'; s++, (*n)++) {
		if (*v > (limit - (uint64_t)(*s - '0')) / 10)
			return (-1);
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	*sp = s;
	return (0);
}

/* The milliseconds in one unit of a duration suffix; 0 if unknown. */
static uint64_t
duration_unit(const char *s)
{
	if (strcmp(s, "ms") == 0)
		return (1);
	if (strcmp(s, "s") == 0 || *s == '\0')
		return (1000);
	if (strcmp(s, "m") == 0)
		return (60 * 1000);
	if (strcmp(s, "h") == 0)
		return (3600 * 1000);
	return (0);
}

/* "250ms", "1.5s", "2m", "1h", or bare (possibly fractional) seconds;
 * fractions of a millisecond are rounded to the nearest one. */
int
parse_duration(const char *s, int64_t *ms, char *cause, size_t len)
{
	const char	*p = s;
	uint64_t	 whole, frac = 0, unit, scale = 1, total;
	int		 nwhole, nfrac = 0, dot;
	char		 buf[72];

	if (digits(&p, DURATION_MAX_MS, &whole, &nwhole) == -1)
		goto toolong;
	if ((dot = (*p == '.'))) {
		p++;
		for (; *p >= '0' && *p <= '9'; p++, nfrac++) {
			if (nfrac >= FRACTION_DIGITS)
				continue;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	}
	if (nwhole + nfrac == 0 || (dot && nfrac == 0) ||
	    (unit = duration_unit(p)) == 0) {
		snprintf(cause, len, "invalid duration '%s': use e.g. 250ms, "
		    "5s, 2m, 1h", shown(s, buf, sizeof buf));
		return (-1);
	}
	if (whole > DURATION_MAX_MS / unit)
		goto toolong;
	total = whole * unit + (frac * unit + scale / 2) / scale;
	if (total > DURATION_MAX_MS)
		goto toolong;
	*ms = (int64_t)total;
	return (0);

toolong:
	snprintf(cause, len, "duration '%s' is too long: the limit is 30 days",
	    shown(s, buf, sizeof buf));
	return (-1);
}

/* "SIGRTMIN+N" style names for the real-time signals; "" if not one. */
static const char *
rt_name(int sig)
{
	static char	names[SIGNAL_MAX + 1][16];

	if (sig < SIGRTMIN || sig > SIGRTMAX || sig > SIGNAL_MAX)
		return ("");
	if (names[sig][0] == '\0') {
		if (sig == SIGRTMIN)
			snprintf(names[sig], sizeof names[sig], "SIGRTMIN");
		else
			snprintf(names[sig], sizeof names[sig], "SIGRTMIN+%d",
			    sig - SIGRTMIN);
	}
	return (names[sig]);
}

/* A signal name without "SIG", any case; "RTMIN+N" too. -1 if unknown. */
static int
signal_by_name(const char *s)
{
	size_t		i;
	uint64_t	n;
	int		nd;

	for (i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		if (strcasecmp(s, signals[i].name + 3) == 0)
			return (signals[i].number);
	}
	if (strncasecmp(s, "RTMIN", 5) != 0)
		return (-1);
	s += 5;
	if (*s == '\0')
		return (SIGRTMIN);
	if (*s++ != '+' || digits(&s, SIGNAL_MAX, &n, &nd) == -1 || nd == 0 ||
	    *s != '\0' || SIGRTMIN + (int)n > SIGRTMAX ||
	    SIGRTMIN + (int)n > SIGNAL_MAX)
		return (-1);
	return (SIGRTMIN + (int)n);
}

/* "INT", "SIGINT", "sigint" or "2" (1 to 64). */
int
parse_signal(const char *s, int *sig, char *cause, size_t len)
{
	const char	*p = s;
	uint64_t	 n;
	int		 nd, found = -1;
	char		 buf[72];

	if (*p >= '0' && *p <= '9') {
		if (digits(&p, SIGNAL_MAX, &n, &nd) == 0 && *p == '\0' &&
		    n >= 1)
			found = (int)n;
	} else if (*p != '\0') {
		if (strncasecmp(p, "SIG", 3) == 0)
			p += 3;
		found = signal_by_name(p);
	}
	if (found == -1) {
		snprintf(cause, len, "invalid signal '%s': use a name like "
		    "TERM or SIGINT, or a number from 1 to %d",
		    shown(s, buf, sizeof buf), SIGNAL_MAX);
		return (-1);
	}
	*sig = found;
	return (0);
}

/* "SIGINT" for 2, "SIGRTMIN+N" for the real-time signals (34 to 64 with
 * glibc); NULL for a number without a name (0, 32, 33, over 64). */
const char *
signal_name(int sig)
{
	size_t	i;

	for (i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		if (signals[i].number == sig)
			return (signals[i].name);
	}
	if (*rt_name(sig) != '\0')
		return (rt_name(sig));
	return (NULL);
}

/* Is c allowed in a pod name? */
static bool
name_char(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
}

/* [A-Za-z0-9._-]{1,64} with at least one non-digit. */
int
parse_pod_name(const char *s, char *cause, size_t len)
{
	size_t	i;
	bool	digit_only = true;
	char	buf[72];

	for (i = 0; s[i] != '\0' && i <= POD_NAME_MAX; i++) {
		if (!name_char(s[i]))
			break;
		if (s[i] < '0' || s[i] > '9')
			digit_only = false;
	}
	if (s[i] == '\0' && i >= 1 && i <= POD_NAME_MAX && !digit_only)
		return (0);
	snprintf(cause, len, "invalid pod name '%s': use 1-%d of A-Z a-z 0-9 "
	    ". _ - with at least one non-digit", shown(s, buf, sizeof buf),
	    POD_NAME_MAX);
	return (-1);
}

/* The multiplier of a size suffix: "", "B", "K", "KB", "KiB", ... "T",
 * any case, all binary; 0 if unknown. */
static uint64_t
size_unit(const char *s)
{
	static const char	 prefixes[] = "KMGT";
	const char		*p;

	if (*s == '\0' || strcasecmp(s, "B") == 0)
		return (1);
	if ((p = strchr(prefixes, toupper((unsigned char)*s))) == NULL)
		return (0);
	s++;
	if (*s != '\0' && strcasecmp(s, "B") != 0 && strcasecmp(s, "iB") != 0)
		return (0);
	return ((uint64_t)1 << (10 * (p - prefixes + 1)));
}

/* "4096", "64K", "64KiB", "1M", "2G", "1T"; in bytes. */
int
parse_size(const char *s, uint64_t *size, char *cause, size_t len)
{
	const char	*p = s;
	uint64_t	 n, unit;
	int		 nd;
	char		 buf[72];

	if (digits(&p, UINT64_MAX, &n, &nd) == -1)
		goto toolarge;
	if (nd == 0 || (unit = size_unit(p)) == 0) {
		snprintf(cause, len, "invalid size '%s': use e.g. 4096, 64K, "
		    "1M, 2G", shown(s, buf, sizeof buf));
		return (-1);
	}
	if (n > UINT64_MAX / unit)
		goto toolarge;
	*size = n * unit;
	return (0);

toolarge:
	snprintf(cause, len, "size '%s' is too large",
	    shown(s, buf, sizeof buf));
	return (-1);
}

/* Is s a pod id: digits only, no leading zero, above 0, fits uint64? */
bool
pod_ref_is_id(const char *s, uint64_t *id)
{
	uint64_t	n;
	int		nd;

	if (s == NULL || *s < '1' || *s > '9')
		return (false);
	if (digits(&s, UINT64_MAX, &n, &nd) == -1 || *s != '\0')
		return (false);
	if (id != NULL)
		*id = n;
	return (true);
}
