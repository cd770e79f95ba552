/*
 * agent: a small workload that uses the pod API through libpodvisor.
 *
 *	podctl spawn -n agent -- agent [STEPS [STEP_MS]]
 *
 * It works through STEPS steps (0, the default: until it is stopped),
 * each STEP_MS long (default 200) and spent waiting for the messages
 * sent with podctl send, which it logs.  At every step boundary it
 * checks for a cancel, reports its status and progress and heartbeats.
 * Cancelled, it finishes cleanly instead of being killed mid-step: it
 * asks for a moment more, logs why it stops, sets its result and exits
 * 0, so that the pod ends "stopped" with the result kept.
 *
 *	cc -o agent agent.c $(pkg-config --cflags --libs podvisor)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <podvisor.h>

/* Monotonic milliseconds. */
static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* s as a JSON string (without its quotes) in out; control characters
 * become \u escapes. */
static void
json_escape(char *out, size_t len, const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0' && n + 7 < len; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			n += snprintf(out + n, len - n, "\\%c", c);
		else if (c < 0x20)
			n += snprintf(out + n, len - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

/* One step: wait up to ms for messages and log each.  -1 on failure. */
static int
step(struct podvisor_pod *pod, int ms)
{
	struct podvisor_message	*m;
	long long		 end = now_ms() + ms;
	int			 rc;

	for (;;) {
		long long	 left = end - now_ms();

		rc = podvisor_next_message(pod, left > 0 ? (int)left : 0, &m);
		if (rc == -1)
			return (-1);
		if (rc != PODVISOR_OK)		/* timeout, or go check */
			return (0);
		printf("message %llu (%s): %.*s\n", (unsigned long long)m->seq,
		    m->priority, (int)m->len, (const char *)m->data);
		(void)podvisor_log(pod, PODVISOR_LOG_INFO, "got message %llu: "
		    "%.*s", (unsigned long long)m->seq, (int)m->len,
		    (const char *)m->data);
		podvisor_message_free(m);
	}
}

/* Cancelled: take a moment more to finish, say why, keep the result. */
static int
finish(struct podvisor_pod *pod, long done)
{
	const struct podvisor_cancel	*c = podvisor_cancel_info(pod);
	struct timespec			 nd;
	char				 reason[256], result[512];
	int				 rc;

	rc = podvisor_extend(pod, 1.0, "writing the result", &nd);
	if (rc == PODVISOR_REFUSED)
		printf("no more time: %s\n", podvisor_error(pod));
	printf("stopped after %ld steps: %s (requested by %s)\n", done,
	    c->reason, c->requested_by);
	(void)podvisor_log_fields(pod, PODVISOR_LOG_INFO, "stopping at a "
	    "step boundary", "{\"at\": \"boundary\"}");
	json_escape(reason, sizeof reason, c->reason);
	snprintf(result, sizeof result, "{\"steps\": %ld, \"stopped\": true, "
	    "\"reason\": \"%s\"}", done, reason);
	return (podvisor_set_result(pod, result));
}

/* All steps done. */
static int
done_all(struct podvisor_pod *pod, long done)
{
	char	 result[128];

	snprintf(result, sizeof result, "{\"steps\": %ld, \"stopped\": false}",
	    done);
	return (podvisor_set_result(pod, result));
}

/* Attach, work in steps until done or cancelled, leave a result. */
int
main(int argc, char **argv)
{
	struct podvisor_pod	*pod;
	char			 err[512], text[64];
	long			 steps = argc > 1 ? atol(argv[1]) : 0;
	long			 done;
	int			 ms = argc > 2 ? atoi(argv[2]) : 200, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((pod = podvisor_attach(0, err, sizeof err)) == NULL) {
		fprintf(stderr, "agent: %s\n", err);
		return (errno == ENOENT ? 2 : 1);
	}
	printf("agent: pod %llu%s%s\n", (unsigned long long)podvisor_id(pod),
	    podvisor_name(pod) != NULL ? " " : "",
	    podvisor_name(pod) != NULL ? podvisor_name(pod) : "");
	(void)podvisor_log(pod, PODVISOR_LOG_INFO, "agent started, %ld steps",
	    steps);
	for (done = 0; steps == 0 || done < steps; done++) {
		if ((rc = podvisor_check(pod)) == PODVISOR_STOPPED)
			break;
		if (rc == -1)
			goto fail;
		/* PODVISOR_INTERRUPTED: the message comes out of step(). */
		snprintf(text, sizeof text, "step %ld", done + 1);
		if (podvisor_set_status(pod, text, steps > 0 ?
		    (double)done / steps : -1) == -1 ||
		    podvisor_heartbeat(pod) == -1 || step(pod, ms) == -1)
			goto fail;
	}
	rc = podvisor_cancelled(pod) ? finish(pod, done) : done_all(pod, done);
	if (rc == PODVISOR_REFUSED)
		fprintf(stderr, "agent: result refused: %s\n",
		    podvisor_error(pod));
	else if (rc == -1)
		goto fail;
	podvisor_close(pod);
	return (0);
fail:
	fprintf(stderr, "agent: %s\n", podvisor_error(pod));
	podvisor_close(pod);
	return (1);
}
