/*
 * The --limit resources: one table, used by podctl to parse them, by
 * podvisord to check them, by the runtime to set them and by every
 * printer to name them.
 */

#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

const struct limit_def limit_defs[WIRE_NLIMITS] = {
	[LIMIT_NOFILE] = { "nofile", RLIMIT_NOFILE, LIMIT_COUNT },
	[LIMIT_NPROC] = { "nproc", RLIMIT_NPROC, LIMIT_COUNT },
	[LIMIT_AS] = { "as", RLIMIT_AS, LIMIT_SIZE },
	[LIMIT_CPU] = { "cpu", RLIMIT_CPU, LIMIT_SECONDS },
};

/* The limit called name (len bytes of it), or -1. */
int
limit_find(const char *name, size_t len)
{
	int	i;

	for (i = 0; i < WIRE_NLIMITS; i++) {
		if (strlen(limit_defs[i].name) == len &&
		    strncmp(limit_defs[i].name, name, len) == 0)
			return (i);
	}
	return (-1);
}

/* A value in the limit's unit: a count, a size ("64M") or a duration
 * rounded up to whole seconds.  0, or -1 with a reason. */
int
limit_parse_value(int which, const char *arg, int64_t *value, char *cause,
    size_t len)
{
	uint64_t	 v = 0;
	int64_t		 ms;
	char		*end;

	switch (limit_defs[which].unit) {
	case LIMIT_COUNT:
		errno = 0;
		if (arg[0] < '0' || arg[0] > '9' ||
		    (v = strtoull(arg, &end, 10), *end != '\0') ||
		    errno == ERANGE)
			return (snprintf(cause, len, "'%s' is not a number",
			    arg), -1);
		break;
	case LIMIT_SIZE:
		if (parse_size(arg, &v, cause, len) != 0)
			return (-1);
		break;
	case LIMIT_SECONDS:
		if (parse_duration(arg, &ms, cause, len) != 0)
			return (-1);
		v = ((uint64_t)ms + 999) / 1000;
		break;
	}
	if (v > INT64_MAX)
		return (snprintf(cause, len, "'%s' is too large", arg), -1);
	*value = (int64_t)v;
	return (0);
}
