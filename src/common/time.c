/*
 * Clocks and timestamps.  Wall-clock times travel as int64 nanoseconds
 * since the epoch; deadlines use the monotonic clock.
 */

#include <stdio.h>
#include <sys/time.h>

#include <event2/event.h>
#include <time.h>

#include "common.h"

/* Wall-clock time in nanoseconds since the epoch. */
int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* Monotonic time in milliseconds, for deadlines and ages. */
int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* RFC 3339 UTC with microseconds, e.g. "2026-11-21T06:10:00.123456Z". */
void
format_ts(int64_t ns, char *buf, size_t len)
{
	struct tm	tm;
	time_t		sec;
	int64_t		rem;

	if (len == 0)
		return;
	/* Floor division, so that times before 1970 still read correctly. */
	sec = (time_t)(ns / 1000000000);
	rem = ns % 1000000000;
	if (rem < 0) {
		sec--;
		rem += 1000000000;
	}
	if (gmtime_r(&sec, &tm) == NULL) {
		snprintf(buf, len, "invalid");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(rem / 1000));
}

/* Arm a one-shot timer ms from now (a negative ms fires at once).
 * Returns -1 if libevent refuses. */
int
timer_arm(struct event *ev, int64_t ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return (evtimer_add(ev, &tv));
}
