/*
 * What the libFuzzer targets share: the entry point's prototype, a check
 * that aborts (so that libFuzzer saves the input), the codec's round-trip
 * property, and the names of every message field.
 */
#ifndef PODVISOR_FUZZ_H
#define PODVISOR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort with a line naming the broken property; libFuzzer keeps the input. */
#define FUZZ_CHECK(c)	fuzz_check((c), #c, __FILE__, __LINE__)

/* common.c */
extern const char *const	fuzz_field_names[];
extern const size_t		fuzz_nfield_names;
void	fuzz_check(int, const char *, const char *, int);
/* Is this a cause a peer or user may be shown: one printable line? */
int	fuzz_cause_ok(const char *);
/* Re-encode a decoded message and check that it decodes to the same. */
void	fuzz_roundtrip(const struct msg *);

#endif
