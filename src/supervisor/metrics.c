/*
 * Counters of what an operator of a supervisor watches, and the
 * Prometheus text format (0.0.4) of GET /metrics.  Every series has a
 * bounded label set: states, outcomes, stop reasons (a --reason of the
 * user's own counts as "user"), HTTP status codes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "supervisor.h"

/* Stop durations, in seconds: the histogram's buckets. */
static const double	 stop_buckets[] = { 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10,
    15, 30, 60, 300 };
#define NBUCKETS	(sizeof stop_buckets / sizeof stop_buckets[0])

/* The reasons counted by name; anything else is a user's. */
static const char *const stop_reasons[] = { "user", "parent-stopped",
    "parent-exited", "timeout", "shutdown", "supervisor-lost", "preempted",
    "heartbeat-timeout" };
#define NREASONS	(sizeof stop_reasons / sizeof stop_reasons[0])

/* HTTP statuses counted by code; others are "other". */
static const int	 http_codes[] = { 200, 201, 202, 204, 400, 401, 403,
    404, 405, 409, 413, 429, 500, 503 };
#define NCODES		(sizeof http_codes / sizeof http_codes[0])

static struct {
	uint64_t	 spawned;
	uint64_t	 ended[POD_LOST + 1];		/* by outcome */
	uint64_t	 stopped[POD_LOST + 1];		/* stops, by outcome */
	uint64_t	 reasons[NREASONS];
	uint64_t	 buckets[NBUCKETS];
	uint64_t	 stop_count;
	double		 stop_sum;
	uint64_t	 http[NCODES + 1];
} m;

/* A pod was spawned. */
void
metrics_spawned(void)
{
	m.spawned++;
}

/* The index of a stop reason among those counted by name. */
static size_t
metrics_reason(const char *reason)
{
	size_t	 i;

	for (i = 0; i < NREASONS; i++) {
		if (strcmp(stop_reasons[i], reason) == 0)
			return (i);
	}
	return (0);		/* a --reason of the user's own */
}

/* A pod became terminal: its outcome, and for a stopped one the reason
 * and how long the stop took. */
void
metrics_ended(struct pod *pod)
{
	double	 secs;
	size_t	 i;

	if (pod->state > POD_LOST)
		return;
	m.ended[pod->state]++;
	if (!pod->stop_wanted || pod->reason == NULL)
		return;
	m.stopped[pod->state]++;
	m.reasons[metrics_reason(pod->reason)]++;
	if (pod->stop_requested_at < 0 || pod->ended_at < pod->stop_requested_at)
		return;
	secs = (double)(pod->ended_at - pod->stop_requested_at) / 1e9;
	m.stop_count++;
	m.stop_sum += secs;
	for (i = 0; i < NBUCKETS; i++) {
		if (secs <= stop_buckets[i])
			m.buckets[i]++;
	}
}

/* An HTTP answer of this status. */
void
metrics_http(int status)
{
	size_t	 i;

	for (i = 0; i < NCODES && http_codes[i] != status; i++)
		;
	m.http[i]++;
}

/* The live and kept pods, by state. */
static void
metrics_states(struct evbuffer *b)
{
	uint64_t	 n[POD_LOST + 1] = { 0 };
	struct pod	*pod;
	size_t		 i;
	int		 s;

	for (i = 0; (pod = podtab_at(i)) != NULL; i++) {
		if (pod->state <= POD_LOST)
			n[pod->state]++;
	}
	evbuffer_add_printf(b, "# HELP podvisor_pods Pods by state (terminal "
	    "ones until removed).\n# TYPE podvisor_pods gauge\n");
	for (s = 0; s <= POD_LOST; s++)
		evbuffer_add_printf(b, "podvisor_pods{state=\"%s\"} %" PRIu64
		    "\n", pod_state_name(s), n[s]);
}

/* One counter per terminal outcome. */
static void
metrics_outcomes(struct evbuffer *b, const char *name, const char *help,
    const uint64_t *v)
{
	int	 s;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help,
	    name);
	for (s = POD_SUCCEEDED; s <= POD_LOST; s++)
		evbuffer_add_printf(b, "%s{outcome=\"%s\"} %" PRIu64 "\n", name,
		    pod_state_name(s), v[s]);
}

/* The stop duration histogram. */
static void
metrics_histogram(struct evbuffer *b)
{
	size_t	 i;

	evbuffer_add_printf(b, "# HELP podvisor_stop_duration_seconds From a "
	    "stop request to the pod's end.\n# TYPE "
	    "podvisor_stop_duration_seconds histogram\n");
	for (i = 0; i < NBUCKETS; i++)
		evbuffer_add_printf(b, "podvisor_stop_duration_seconds_bucket"
		    "{le=\"%g\"} %" PRIu64 "\n", stop_buckets[i], m.buckets[i]);
	evbuffer_add_printf(b, "podvisor_stop_duration_seconds_bucket"
	    "{le=\"+Inf\"} %" PRIu64 "\n", m.stop_count);
	evbuffer_add_printf(b, "podvisor_stop_duration_seconds_sum %.6f\n",
	    m.stop_sum);
	evbuffer_add_printf(b, "podvisor_stop_duration_seconds_count %" PRIu64
	    "\n", m.stop_count);
}

/* Counters by stop reason and by HTTP status. */
static void
metrics_labels(struct evbuffer *b)
{
	size_t	 i;

	evbuffer_add_printf(b, "# HELP podvisor_pod_stop_reasons_total Stops "
	    "by reason (a --reason of a user's own counts as user).\n"
	    "# TYPE podvisor_pod_stop_reasons_total counter\n");
	for (i = 0; i < NREASONS; i++)
		evbuffer_add_printf(b, "podvisor_pod_stop_reasons_total"
		    "{reason=\"%s\"} %" PRIu64 "\n", stop_reasons[i],
		    m.reasons[i]);
	evbuffer_add_printf(b, "# HELP podvisor_http_responses_total HTTP API "
	    "answers by status.\n# TYPE podvisor_http_responses_total "
	    "counter\n");
	for (i = 0; i < NCODES; i++)
		evbuffer_add_printf(b, "podvisor_http_responses_total"
		    "{code=\"%d\"} %" PRIu64 "\n", http_codes[i], m.http[i]);
	evbuffer_add_printf(b, "podvisor_http_responses_total"
	    "{code=\"other\"} %" PRIu64 "\n", m.http[NCODES]);
}

/* The whole page. */
void
metrics_render(struct evbuffer *b)
{
	metrics_states(b);
	evbuffer_add_printf(b, "# HELP podvisor_pods_spawned_total Pods "
	    "spawned since start.\n# TYPE podvisor_pods_spawned_total counter\n"
	    "podvisor_pods_spawned_total %" PRIu64 "\n", m.spawned);
	metrics_outcomes(b, "podvisor_pod_ends_total", "Pods that ended, by "
	    "outcome.", m.ended);
	metrics_outcomes(b, "podvisor_pod_stops_total", "Stopped pods, by "
	    "outcome.", m.stopped);
	restart_metrics(b);
	metrics_histogram(b);
	metrics_labels(b);
	logsync_metrics(b);
	webhook_metrics(b);
	evbuffer_add_printf(b, "# HELP podvisor_build_info The running "
	    "podvisord.\n# TYPE podvisor_build_info gauge\n"
	    "podvisor_build_info{version=\"%s\",protocol=\"%d\"} 1\n",
	    PACKAGE_VERSION_STR, PROTOCOL_VERSION);
}
