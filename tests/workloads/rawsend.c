/*
 * rawsend SOCKET [--hello]: a test tool that feeds raw bytes to a podvisor
 * socket.  It connects, optionally sends a valid hello, copies stdin to
 * the socket as-is, half-closes, then prints each reply frame on a line:
 * its type, or "error CODE: MESSAGE" for an error (the daemon's hello is
 * skipped), and "closed" if the server closed the connection within 5 s.
 * Exit status: 0, or 1 if it could not connect (2 for usage).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "wire.h"

#define REPLY_SECS	5

/* Connect to a unix socket; -1 on failure (reported). */
static int
connect_unix(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "rawsend: socket path too long: %s\n", path);
		return (-1);
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "rawsend: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	return (fd);
}

/* Read all of stdin into buf. */
static void
read_stdin(struct evbuffer *buf)
{
	int	n;

	while ((n = evbuffer_read(buf, STDIN_FILENO, 65536)) != 0) {
		if (n == -1 && errno != EINTR) {
			fprintf(stderr, "rawsend: stdin: %s\n", strerror(errno));
			return;
		}
	}
}

/* Print the frames received so far: type, or error code and message. */
static void
print_frames(struct evbuffer *in, int *seen)
{
	struct msg	 msg;
	void		*payload;
	size_t		 len;
	char		 cause[256];
	int		 rc;

	while ((rc = frame_take(in, SIZE_MAX, &payload, &len, cause,
	    sizeof cause)) == 1) {
		if (msg_decode(payload, len, &msg, cause, sizeof cause) == -1)
			printf("undecodable: %s\n", cause);
		else if (msg.type == MSG_ERROR)
			printf("error %s: %s\n", msg.u.error.code,
			    msg.u.error.message);
		else if (msg.type != MSG_HELLO || *seen > 0)
			printf("%s\n", msg_type_name(msg.type));
		(*seen)++;
		msg_free(&msg);
		free(payload);
	}
	fflush(stdout);
}

/* Send out, half-close, and read replies until EOF or the deadline;
 * true if the server closed the connection. */
static int
exchange(int fd, struct evbuffer *out, struct evbuffer *in)
{
	struct pollfd	pfd = { fd, 0, 0 };
	int64_t		deadline = mono_ms() + REPLY_SECS * 1000;
	int		n, seen = 0, shut = 0;

	while (mono_ms() < deadline) {
		if (!shut && evbuffer_get_length(out) == 0) {
			shutdown(fd, SHUT_WR);
			shut = 1;
		}
		pfd.events = POLLIN | (shut ? 0 : POLLOUT);
		if (poll(&pfd, 1, (int)(deadline - mono_ms())) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((pfd.revents & POLLOUT) && !shut &&
		    evbuffer_write(out, fd) == -1 && errno != EAGAIN)
			evbuffer_drain(out, evbuffer_get_length(out));
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = evbuffer_read(in, fd, 65536);
		print_frames(in, &seen);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return (1);
	}
	return (0);
}

/* Connect, send, report the replies. */
int
main(int argc, char **argv)
{
	struct evbuffer	*out, *in;
	struct msg	 hello;
	int		 fd;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2],
	    "--hello") != 0)) {
		fprintf(stderr, "usage: rawsend SOCKET [--hello]\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	log_init("rawsend", LOG_LEVEL_WARN);
	if ((fd = connect_unix(argv[1])) == -1)
		return (1);
	out = evbuffer_new();
	in = evbuffer_new();
	if (out == NULL || in == NULL)
		fatalx("out of memory");
	if (argc == 3) {
		msg_init(&hello, MSG_HELLO);
		hello.u.hello.version = PROTOCOL_VERSION;
		msg_encode(&hello, out);
	}
	read_stdin(out);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (exchange(fd, out, in))
		printf("closed\n");
	evbuffer_free(out);
	evbuffer_free(in);
	close(fd);
	return (0);
}
