/*
 * spew: a test workload that writes a lot, fast and reproducibly.
 *
 *   spew [-e] lines N              "line 1\n" .. "line N\n"
 *   spew [-e] binary BYTES [SEED]  BYTES pseudo-random bytes; the first
 *                                  256 are every byte value once
 *   spew [-e] blocks BYTES BLOCK   the same bytes as `binary BYTES`, in
 *                                  write() calls of BLOCK bytes
 *   spew [-e] text BYTES WIDTH     BYTES of text lines WIDTH bytes long
 *                                  (newline included), one write() each,
 *                                  as an unbuffered logger would
 *
 * -e writes to stderr instead of stdout.  Sizes take K, M or G (powers of
 * 1024).  Running it twice with the same arguments gives the same bytes,
 * so tests compare a pod's captured output with a second run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPEW_BUF	(64 * 1024)
#define SPEW_SEED	1

static int	 out_fd = STDOUT_FILENO;

/* Print usage and exit 2. */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: spew [-e] lines N | binary BYTES [SEED] | "
	    "blocks BYTES BLOCK | text BYTES WIDTH\n");
	exit(2);
}

/* A size: digits with an optional K, M or G suffix. */
static uint64_t
parse_count(const char *s)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		usage();
	switch (*end) {
	case 'K': case 'k':
		v <<= 10;
		end++;
		break;
	case 'M': case 'm':
		v <<= 20;
		end++;
		break;
	case 'G': case 'g':
		v <<= 30;
		end++;
		break;
	}
	if (*end != '\0')
		usage();
	return (v);
}

/* Write all of buf, or exit 1. */
static void
write_all(const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(out_fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "spew: write: %s\n", strerror(errno));
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* xorshift64*: small, fast, deterministic. */
static uint64_t
next_rand(uint64_t *state)
{
	uint64_t	 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * 2685821657736338717ULL);
}

/* The byte stream generator: a shuffled 0..255 first, then noise. */
struct gen {
	uint64_t	 state;
	uint64_t	 pos;
	uint8_t		 perm[256];
};

/* Seed the generator (0 is not a valid xorshift state). */
static void
gen_init(struct gen *g, uint64_t seed)
{
	int	 i, j;
	uint8_t	 t;

	g->state = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	if (g->state == 0)
		g->state = 1;
	g->pos = 0;
	for (i = 0; i < 256; i++)
		g->perm[i] = (uint8_t)i;
	for (i = 255; i > 0; i--) {
		j = (int)(next_rand(&g->state) % (uint64_t)(i + 1));
		t = g->perm[i];
		g->perm[i] = g->perm[j];
		g->perm[j] = t;
	}
}

/* Fill buf with the next len bytes of the stream. */
static void
gen_fill(struct gen *g, uint8_t *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++, g->pos++) {
		if (g->pos < 256)
			buf[i] = g->perm[g->pos];
		else
			buf[i] = (uint8_t)(next_rand(&g->state) >> 56);
	}
}

/* Write total bytes of the stream in write() calls of block bytes. */
static void
spew_bytes(uint64_t total, uint64_t seed, size_t block)
{
	struct gen	 g;
	uint8_t		*buf;
	size_t		 n;

	if ((buf = malloc(block)) == NULL) {
		fprintf(stderr, "spew: out of memory\n");
		exit(1);
	}
	gen_init(&g, seed);
	while (total > 0) {
		n = total < block ? (size_t)total : block;
		gen_fill(&g, buf, n);
		write_all(buf, n);
		total -= n;
	}
	free(buf);
}

/* Write "line 1\n" .. "line N\n", buffered. */
static void
spew_lines(uint64_t count)
{
	static char	 buf[SPEW_BUF];
	size_t		 used = 0;
	uint64_t	 i;
	int		 n;

	for (i = 1; i <= count; i++) {
		if (used > sizeof buf - 32) {
			write_all(buf, used);
			used = 0;
		}
		n = snprintf(buf + used, sizeof buf - used, "line %llu\n",
		    (unsigned long long)i);
		used += (size_t)n;
	}
	write_all(buf, used);
}

/* Write total bytes as lines of width bytes, one write() per line. */
static void
spew_text(uint64_t total, size_t width)
{
	char	*line;
	size_t	 n;

	if ((line = malloc(width)) == NULL) {
		fprintf(stderr, "spew: out of memory\n");
		exit(1);
	}
	memset(line, 'x', width);
	line[width - 1] = '\n';
	while (total > 0) {
		n = total < width ? (size_t)total : width;
		write_all(line + width - n, n);
		total -= n;
	}
	free(line);
}

/* spew [-e] lines|binary|blocks|text ...: see the top of the file. */
int
main(int argc, char **argv)
{
	uint64_t	 block;

	if (argc > 1 && strcmp(argv[1], "-e") == 0) {
		out_fd = STDERR_FILENO;
		argc--;
		argv++;
	}
	if (argc == 3 && strcmp(argv[1], "lines") == 0)
		spew_lines(parse_count(argv[2]));
	else if (argc == 4 && strcmp(argv[1], "text") == 0) {
		if ((block = parse_count(argv[3])) == 0 || block > SPEW_BUF)
			usage();
		spew_text(parse_count(argv[2]), (size_t)block);
	}
	else if ((argc == 3 || argc == 4) && strcmp(argv[1], "binary") == 0)
		spew_bytes(parse_count(argv[2]),
		    argc == 4 ? parse_count(argv[3]) : SPEW_SEED, SPEW_BUF);
	else if (argc == 4 && strcmp(argv[1], "blocks") == 0) {
		if ((block = parse_count(argv[3])) == 0 || block > (1U << 30))
			usage();
		spew_bytes(parse_count(argv[2]), SPEW_SEED, (size_t)block);
	} else
		usage();
	return (0);
}
