/*
 * Segment log entry kinds: the names shown to users for the one-byte kind
 * stored in each entry.
 */

#include <string.h>

#include "common.h"
#include "seglog.h"

static const char *const log_kind_names[LOG__MAX] = {
	[LOG_SPAWN] = "spawn",
	[LOG_START] = "start",
	[LOG_STDOUT] = "stdout",
	[LOG_STDERR] = "stderr",
	[LOG_CANCEL] = "cancel",
	[LOG_SIGNAL] = "signal",
	[LOG_EXIT] = "exit",
	[LOG_NOTIFY] = "notify",
	[LOG_LOG] = "log",
	[LOG_CHILD] = "child",
	[LOG_TRUNCATED] = "truncated",
	[LOG_ERROR] = "error",
	[LOG_LEFTOVER] = "leftover",
	[LOG_PARENT] = "parent",
	[LOG_API] = "api",
	[LOG_ACK] = "ack",
	[LOG_EXTEND] = "extend",
	[LOG_RESULT] = "result",
	[LOG_HTTP] = "http",
	[LOG_RESTART] = "restart",
};

/* The name of a kind, e.g. "stdout"; NULL if unknown. */
const char *
log_kind_name(int kind)
{
	if (kind <= 0 || kind >= LOG__MAX)
		return (NULL);
	return (log_kind_names[kind]);
}

/* The kind of a name, e.g. LOG_STDOUT for "stdout"; -1 if unknown. */
int
log_kind_from_name(const char *name)
{
	int	kind;

	if (name == NULL)
		return (-1);
	for (kind = 1; kind < LOG__MAX; kind++) {
		if (strcmp(log_kind_names[kind], name) == 0)
			return (kind);
	}
	return (-1);
}
