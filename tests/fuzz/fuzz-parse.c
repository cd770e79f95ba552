/*
 * fuzz-parse: the parsers for values users type, which podvisord also
 * applies to strings from peers (pod refs, names, signals).  The input,
 * up to its first NUL, goes through every parser, and what each accepts
 * is checked against its documented contract.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* parse.c's limit, documented in podvisord(8): 30 days. */
#define DURATION_MAX_MS	(30LL * 24 * 3600 * 1000)

/* A duration is 0 to 30 days, and a refusal says why. */
static void
check_duration(const char *s)
{
	int64_t	ms;
	char	cause[256] = "";

	if (parse_duration(s, &ms, cause, sizeof cause) == -1) {
		FUZZ_CHECK(fuzz_cause_ok(cause));
		return;
	}
	FUZZ_CHECK(ms >= 0 && ms <= DURATION_MAX_MS);
	FUZZ_CHECK((*s >= '0' && *s <= '9') || *s == '.');
}

/* A signal is 1 to 64, and its name parses back to it. */
static void
check_signal(const char *s)
{
	const char	*name;
	int		 sig, again;
	char		 cause[256] = "";

	if (parse_signal(s, &sig, cause, sizeof cause) == -1) {
		FUZZ_CHECK(fuzz_cause_ok(cause));
		return;
	}
	FUZZ_CHECK(sig >= 1 && sig <= 64);
	if ((name = signal_name(sig)) == NULL)
		return;
	FUZZ_CHECK(parse_signal(name, &again, cause, sizeof cause) == 0);
	FUZZ_CHECK(again == sig);
	FUZZ_CHECK(parse_signal(name + 3, &again, cause, sizeof cause) == 0);
	FUZZ_CHECK(again == sig);
}

/* A pod name is 1 to 64 of [A-Za-z0-9._-], not all digits. */
static void
check_pod_name(const char *s)
{
	size_t	len = strlen(s);
	char	cause[256] = "";

	if (parse_pod_name(s, cause, sizeof cause) == -1) {
		FUZZ_CHECK(fuzz_cause_ok(cause));
		return;
	}
	FUZZ_CHECK(len >= 1 && len <= 64);
	FUZZ_CHECK(strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len);
	FUZZ_CHECK(strspn(s, "0123456789") != len);
}

/* A size starts with digits; plain digits are bytes. */
static void
check_size(const char *s)
{
	uint64_t	size;
	char		cause[256] = "";

	if (parse_size(s, &size, cause, sizeof cause) == -1) {
		FUZZ_CHECK(fuzz_cause_ok(cause));
		return;
	}
	FUZZ_CHECK(*s >= '0' && *s <= '9');
	if (strspn(s, "0123456789") == strlen(s))
		FUZZ_CHECK(size == strtoull(s, NULL, 10));
}

/* A pod id is exactly the decimal form of a number above 0. */
static void
check_id(const char *s)
{
	uint64_t	id;
	char		buf[32];

	if (!pod_ref_is_id(s, &id))
		return;
	FUZZ_CHECK(id > 0);
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)id);
	FUZZ_CHECK(strcmp(buf, s) == 0);
	/* A pod id is never a valid pod name, so a ref is never both. */
	FUZZ_CHECK(parse_pod_name(s, buf, sizeof buf) == -1);
}

/* Run every parser on the input as a C string. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	s = malloc(size + 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	check_duration(s);
	check_signal(s);
	check_pod_name(s);
	check_size(s);
	check_id(s);
	free(s);
	return (0);
}
