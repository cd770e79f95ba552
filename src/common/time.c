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

/* The proleptic Gregorian date of a day counted from 1970-01-01, by
 * eras of 400 years (146,097 days), each starting on a March 1st so that
 * the leap day ends its year.  Exact for every day an int64_t of
 * nanoseconds reaches.  Done here rather than by gmtime_r, which reads
 * /etc/localtime on its first call even for UTC: a cost in every
 * runtime's first cancel and in podvisord's first JSON time. */
static void
civil_from_days(int64_t days, int *year, int *month, int *day)
{
	int64_t		era, doe, yoe, doy, mp, y;

	days += 719468;			/* from 0000-03-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;	/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* from March 1st */
	mp = (5 * doy + 2) / 153;	/* March is 0 */
	y = yoe + era * 400;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(*month <= 2 ? y + 1 : y);
}

/* RFC 3339 UTC with microseconds, e.g. "2026-11-21T06:10:00.123456Z". */
void
format_ts(int64_t ns, char *buf, size_t len)
{
	int64_t		sec, rem, days, tod;
	int		year, month, day;

	if (len == 0)
		return;
	/* Floor division, so that times before 1970 still read correctly. */
	sec = ns / 1000000000;
	rem = ns % 1000000000;
	if (rem < 0) {
		sec--;
		rem += 1000000000;
	}
	days = sec / 86400;
	tod = sec % 86400;
	if (tod < 0) {
		days--;
		tod += 86400;
	}
	civil_from_days(days, &year, &month, &day);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", year, month,
	    day, (int)(tod / 3600), (int)(tod / 60 % 60), (int)(tod % 60),
	    (int)(rem / 1000));
}

/* Arm a one-shot timer ms from now (a negative ms fires at once).
 * Returns -1 if libevent refuses.  libevent counts a relative timeout
 * from the time it cached when the loop woke; late in a long pass (a
 * stop of a thousand pods) that is far behind the clock our deadlines
 * are read from, and the timer would fire early by as much.  The cache
 * is brought up to date first. */
int
timer_arm(struct event *ev, int64_t ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	(void)event_base_update_cache_time(event_get_base(ev));
	return (evtimer_add(ev, &tv));
}
