/*
 * Channel I/O: one stream socket, the bytes read from it and not yet
 * taken, and the waits, all against monotonic deadlines.  Reads and
 * writes never block (MSG_DONTWAIT, so the descriptor's own flags are
 * left as they are) and never raise SIGPIPE (MSG_NOSIGNAL); a wait is a
 * poll(2) with the time left, retried when a signal interrupts it.
 * errno is only changed when a call fails.
 */

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvl.h"

/* A channel on fd, holding nothing yet. */
void
pvl_chan_init(struct pvl_chan *ch, int fd)
{
	memset(ch, 0, sizeof *ch);
	ch->fd = fd;
}

/* Close the descriptor; the bytes held stay until pvl_chan_free(). */
void
pvl_chan_close(struct pvl_chan *ch)
{
	int	 saved = errno;

	if (ch->fd != -1)
		(void)close(ch->fd);
	ch->fd = -1;
	errno = saved;
}

/* Close the channel and free what it holds. */
void
pvl_chan_free(struct pvl_chan *ch)
{
	pvl_chan_close(ch);
	free(ch->in);
	ch->in = NULL;
	ch->inoff = ch->inlen = ch->incap = 0;
}

/* Make room for one more read: move the bytes held to the front, grow
 * the buffer if that is not enough. */
static int
make_room(struct pvl_chan *ch)
{
	uint8_t	*p;
	size_t	 cap;

	if (ch->inoff > 0) {
		memmove(ch->in, ch->in + ch->inoff, ch->inlen - ch->inoff);
		ch->inlen -= ch->inoff;
		ch->inoff = 0;
	}
	if (ch->incap - ch->inlen >= PVL_CHUNK)
		return (0);
	cap = ch->inlen + PVL_CHUNK;
	if ((p = realloc(ch->in, cap)) == NULL)
		return (-1);
	ch->in = p;
	ch->incap = cap;
	return (0);
}

/* Read once without blocking: PVL_IO_MORE, PVL_IO_NONE, PVL_IO_EOF, or
 * PVL_IO_ERR with errno set. */
int
pvl_chan_read(struct pvl_chan *ch)
{
	ssize_t	 n;
	int	 saved = errno;

	if (ch->fd == -1) {
		errno = ENOTCONN;
		return (PVL_IO_ERR);
	}
	if (make_room(ch) == -1)
		return (PVL_IO_ERR);
	do
		n = recv(ch->fd, ch->in + ch->inlen, ch->incap - ch->inlen,
		    MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		errno = saved;
		return (PVL_IO_NONE);
	}
	if (n == -1)
		return (PVL_IO_ERR);
	if (n == 0)
		return (PVL_IO_EOF);
	ch->inlen += (size_t)n;
	return (PVL_IO_MORE);
}

/* The next whole frame held: 1 and its payload, 0 if it is not all in
 * yet, -1 (with a reason) if its header announces more than the limit,
 * which is known as soon as the header is in. */
int
pvl_chan_frame(struct pvl_chan *ch, const uint8_t **p, size_t *n,
    char *why, size_t whylen)
{
	const uint8_t	*h = ch->in + ch->inoff;
	size_t		 held = ch->inlen - ch->inoff;
	uint32_t	 len;

	if (held < 4)
		return (0);
	len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
	if (len > PVL_FRAME_MAX) {
		snprintf(why, whylen, "frame of %lu bytes is over the %d-byte "
		    "limit", (unsigned long)len, PVL_FRAME_MAX);
		return (-1);
	}
	if (held - 4 < len)
		return (0);
	*p = h + 4;
	*n = len;
	return (1);
}

/* The frame of payload n returned last has been dealt with. */
void
pvl_chan_take(struct pvl_chan *ch, size_t n)
{
	if (ch->inlen - ch->inoff >= 4 + n)
		ch->inoff += 4 + n;
	if (ch->inoff == ch->inlen)
		ch->inoff = ch->inlen = 0;
}

/* Write all of p within timeout_ms: 0, or -1 with errno (ETIMEDOUT when
 * the peer does not read, EPIPE or the like when it is gone). */
int
pvl_chan_send(struct pvl_chan *ch, const void *p, size_t n, int timeout_ms)
{
	const uint8_t	*b = p;
	int64_t		 deadline = pvl_now_ms() + timeout_ms;
	ssize_t		 w;
	int		 saved = errno, rc;

	while (n > 0) {
		if (ch->fd == -1) {
			errno = ENOTCONN;
			return (-1);
		}
		w = send(ch->fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		if ((rc = pvl_chan_poll(ch, POLLOUT, pvl_left_ms(deadline)))
		    == -1)
			return (-1);
		if (rc == 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
	}
	errno = saved;
	return (0);
}

/* Wait up to timeout_ms (-1: forever) for events: 1 ready (or hung up),
 * 0 timed out, -1 with errno. */
int
pvl_chan_poll(struct pvl_chan *ch, short events, int timeout_ms)
{
	struct pollfd	 pfd;
	int64_t		 deadline = pvl_now_ms() + timeout_ms;
	int		 n, saved = errno;

	pfd.fd = ch->fd;
	pfd.events = events;
	for (;;) {
		pfd.revents = 0;
		n = poll(&pfd, 1, timeout_ms);
		if (n >= 0)
			break;
		if (errno != EINTR)
			return (-1);
		if (timeout_ms >= 0)
			timeout_ms = pvl_left_ms(deadline);
	}
	errno = saved;
	return (n > 0);
}

/* Monotonic milliseconds. */
int64_t
pvl_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Monotonic nanoseconds (clock_gettime(2) is a vDSO call on Linux: no
 * system call). */
int64_t
pvl_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* Milliseconds left until a deadline, for poll(2): never negative. */
int
pvl_left_ms(int64_t deadline)
{
	int64_t	 left = deadline - pvl_now_ms();

	if (left <= 0)
		return (0);
	return (left > INT32_MAX ? INT32_MAX : (int)left);
}
