/*
 * libFuzzer target for libpodvisor's decoding and dispatch: whatever a
 * pod runtime sends after its hello and welcome, the library must fail
 * cleanly (or carry on), never crash, leak, hang or read out of bounds.
 * The input is written to the runtime's end of a socketpair, which is
 * then closed, and every call that reads is made once.  The decoding is
 * src/wire/msg.c's, which the library links.  Seeds are in
 * tests/fuzz/corpus/fuzz-libpodvisor.  By hand:
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/libpodvisor \
 *	    -Isrc/wire -Isrc/common src/libpodvisor/[a-z]*.c src/wire/msg.c \
 *	    src/common/paths.c tests/lib/fuzz-libpodvisor.c -lmsgpackc \
 *	    -ljansson -o fuzz-libpodvisor
 *	./fuzz-libpodvisor -max_total_time=60 -max_len=4096 \
 *	    -dict=tests/fuzz/msgpack.dict CORPUS-COPY
 */

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podvisor.h"

#define INPUT_MAX	(128 * 1024)	/* fits in a socket buffer */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The runtime's hello {version 5} and welcome {id 1}, as frames. */
static const uint8_t handshake[] = {
	0, 0, 0, 0x15, 0x82, 0xa4, 't', 'y', 'p', 'e', 0xa5, 'h', 'e', 'l',
	'l', 'o', 0xa7, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x05,
	0, 0, 0, 0x12, 0x82, 0xa4, 't', 'y', 'p', 'e', 0xa7, 'w', 'e', 'l',
	'c', 'o', 'm', 'e', 0xa2, 'i', 'd', 0x01,
};

/* Write all of p, or give up. */
static int
put(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, b, n)) <= 0)
			return (-1);
		b += w;
		n -= (size_t)w;
	}
	return (0);
}

/* Exercise every reading call once on what was sent. */
static void
drive(struct podvisor_pod *pod)
{
	struct podvisor_child_event	*ev;
	struct podvisor_message		*m;
	struct timespec			 ts;

	(void)podvisor_process(pod);
	(void)podvisor_check(pod);
	(void)podvisor_cancel_info(pod);
	(void)podvisor_deadline(pod, &ts);
	while (podvisor_next_message(pod, 0, &m) == PODVISOR_OK)
		podvisor_message_free(m);
	while (podvisor_next_child_event(pod, 0, &ev) == PODVISOR_OK)
		podvisor_child_event_free(ev);
	(void)podvisor_extend(pod, 1, "fuzz", &ts);
	(void)podvisor_set_result(pod, "1");
	(void)podvisor_check(pod);
}

/* One input: it follows the handshake on the channel. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct podvisor_pod	*pod;
	char			 text[16], err[256];
	int			 sv[2];

	if (size > INPUT_MAX ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return (0);
	snprintf(text, sizeof text, "%d", sv[1]);
	setenv("PODVISOR_API_FD", text, 1);
	if (put(sv[0], handshake, sizeof handshake) == 0 &&
	    put(sv[0], data, size) == 0) {
		shutdown(sv[0], SHUT_WR);
		if ((pod = podvisor_attach(0, err, sizeof err)) != NULL) {
			drive(pod);
			podvisor_close(pod);
		} else
			close(sv[1]);
	} else
		close(sv[1]);
	close(sv[0]);
	return (0);
}
