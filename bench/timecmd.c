/*
 * timecmd: time a command the way the floor times /bin/true, so that the
 * two compare: fork, exec, wait, from C, with no shell and no clock
 * program in the measured interval.
 *
 *   timecmd -k KEY [-n N] [-r K] -- COMMAND [ARG...]
 *
 * Runs COMMAND N times (default 20) per run, K runs (default 5), with its
 * output on /dev/null, and prints "RESULT KEY <median of the N> ms" once
 * per run.  Exits 1 if the command fails or cannot be run.
 */
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* Run argv once with its output discarded; its wall time in ms. */
static double
run_once(char **argv, int devnull)
{
	double	t0 = now_ms();
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(1, "%s failed (status %d)", argv[0], status);
	return (now_ms() - t0);
}

int
main(int argc, char **argv)
{
	const char	*key = NULL;
	double		*v;
	int		 ch, n = 20, runs = 5, r, i, devnull;

	while ((ch = getopt(argc, argv, "k:n:r:")) != -1) {
		switch (ch) {
		case 'k':
			key = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (key == NULL || n < 1 || runs < 1 || optind >= argc)
		goto usage;
	if ((devnull = open("/dev/null", O_WRONLY)) == -1)
		err(1, "/dev/null");
	if ((v = calloc(n, sizeof *v)) == NULL)
		err(1, "calloc");
	for (r = 0; r < runs; r++) {
		for (i = 0; i < n; i++)
			v[i] = run_once(argv + optind, devnull);
		qsort(v, n, sizeof *v, cmp_double);
		printf("RESULT %s %.3f ms\n", key, v[(n - 1) / 2]);
		fflush(stdout);
	}
	free(v);
	return (0);
usage:
	fprintf(stderr, "usage: timecmd -k KEY [-n N] [-r K] -- COMMAND "
	    "[ARG...]\n");
	return (2);
}
