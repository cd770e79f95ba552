/*
 * apibench MODE: the C side of bench/api.sh, run as a pod's workload.
 *   check N    time N podvisor_check() calls with nothing pending
 *   log N      write N log entries as fast as the API takes them
 *   cancel     spin on podvisor_check() and print the CLOCK_REALTIME at
 *              which the cancel was seen (the driver timed the request)
 * Prints "RESULT key value unit" lines on stdout (the pod's log).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "podvisor.h"

/* Monotonic nanoseconds. */
static double
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e9 + ts.tv_nsec);
}

/* Wall-clock seconds, to compare with the driver's. */
static double
wall(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

int
main(int argc, char **argv)
{
	struct podvisor_pod	*pod;
	char			 err[256];
	long			 n = argc > 2 ? atol(argv[2]) : 0, i;
	double			 t;

	if (argc < 2 || (pod = podvisor_attach(0, err, sizeof err)) == NULL) {
		fprintf(stderr, "apibench: %s\n", argc < 2 ? "usage: apibench "
		    "check|log|cancel [N]" : err);
		return (2);
	}
	if (strcmp(argv[1], "check") == 0) {
		t = now_ns();
		for (i = 0; i < n; i++)
			if (podvisor_check(pod) != 0)
				break;
		printf("RESULT c_check_ns %.1f ns\n", (now_ns() - t) / n);
	} else if (strcmp(argv[1], "log") == 0) {
		t = now_ns();
		for (i = 0; i < n; i++)
			if (podvisor_log(pod, PODVISOR_LOG_INFO, "entry %ld", i)
			    == -1)
				break;
		printf("RESULT c_log_rate %.0f entries/s\n",
		    i / ((now_ns() - t) / 1e9));
	} else if (strcmp(argv[1], "cancel") == 0) {
		printf("ready\n");
		fflush(stdout);
		while (podvisor_check(pod) == 0)
			;
		printf("SEEN %.6f\n", wall());
	}
	fflush(stdout);
	podvisor_close(pod);
	return (0);
}
