/*
 * fakevisord SOCKET VERSION [--refuse]: a test tool that plays a podvisord
 * speaking protocol VERSION on SOCKET, for one connection.  Like the real
 * one it sends its hello at once and answers a client's hello of another
 * version with the error naming both, then closes; with --refuse it sends
 * no hello, only that error.  SOCKET appears once it is listening.  Exit
 * status: 0, 1 if no client came within 10 s or on a socket error (2 for
 * usage).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "wire.h"

#define CLIENT_SECS	10

/* Listen on path, made to appear only once listening; -1 on failure
 * (reported). */
static int
listen_unix(const char *path)
{
	struct sockaddr_un	sun;
	char			tmp[sizeof sun.sun_path];
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		fprintf(stderr, "fakevisord: socket path too long: %s\n", path);
		return (-1);
	}
	strcpy(sun.sun_path, tmp);
	unlink(tmp);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fd, 1) == -1 || rename(tmp, path) == -1) {
		fprintf(stderr, "fakevisord: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	return (fd);
}

/* Accept one client within CLIENT_SECS; -1 on failure (reported). */
static int
accept_client(int lfd)
{
	struct pollfd	pfd = { lfd, POLLIN, 0 };
	int		fd;

	if (poll(&pfd, 1, CLIENT_SECS * 1000) != 1) {
		fprintf(stderr, "fakevisord: no client came\n");
		return (-1);
	}
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		fprintf(stderr, "fakevisord: accept: %s\n", strerror(errno));
	return (fd);
}

/* Send one message; a client already gone is no error here. */
static void
send_msg(int fd, const struct msg *m)
{
	struct evbuffer	*out;

	if ((out = evbuffer_new()) == NULL)
		fatalx("out of memory");
	msg_encode(m, out);
	while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0)
		;
	evbuffer_free(out);
}

/* The client's first message, decoded into m; -1 if none came whole
 * within CLIENT_SECS. */
static int
read_first(int fd, struct msg *m)
{
	struct evbuffer	*in;
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	void		*payload = NULL;
	size_t		 len;
	char		 cause[256];
	int64_t		 deadline = mono_ms() + CLIENT_SECS * 1000;
	int		 rc = 0;

	if ((in = evbuffer_new()) == NULL)
		fatalx("out of memory");
	while (rc == 0 && mono_ms() < deadline &&
	    poll(&pfd, 1, (int)(deadline - mono_ms())) == 1 &&
	    evbuffer_read(in, fd, 65536) > 0)
		rc = frame_take(in, SIZE_MAX, &payload, &len, cause,
		    sizeof cause);
	evbuffer_free(in);
	if (rc != 1)
		return (-1);
	rc = msg_decode(payload, len, m, cause, sizeof cause);
	free(payload);
	return (rc);
}

/* Read until the client closes, or the deadline: closing with input
 * unread would reset the connection before it read the reply. */
static void
drain(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		buf[4096];
	int64_t		deadline = mono_ms() + CLIENT_SECS * 1000;

	shutdown(fd, SHUT_WR);
	while (mono_ms() < deadline &&
	    poll(&pfd, 1, (int)(deadline - mono_ms())) == 1 &&
	    read(fd, buf, sizeof buf) > 0)
		;
}

/* Serve one connection as a podvisord of that version would. */
static void
serve(int fd, uint64_t version, int refuse)
{
	struct msg	m, reply;
	char		text[256];

	if (!refuse) {
		msg_init(&m, MSG_HELLO);
		m.u.hello.version = version;
		send_msg(fd, &m);
	}
	if (read_first(fd, &m) == -1)
		return;
	if (m.type == MSG_HELLO && m.u.hello.version != version) {
		snprintf(text, sizeof text, "protocol version mismatch: peer "
		    "speaks %ju, this side speaks %ju",
		    (uintmax_t)m.u.hello.version, (uintmax_t)version);
		msg_init(&reply, MSG_ERROR);
		reply.u.error.code = (char *)ERR_PROTOCOL;
		reply.u.error.message = text;
		send_msg(fd, &reply);
	}
	msg_free(&m);
}

/* Listen, serve one client, clean up. */
int
main(int argc, char **argv)
{
	uint64_t	 version;
	char		*end;
	int		 lfd, fd, refuse;

	refuse = argc == 4 && strcmp(argv[3], "--refuse") == 0;
	if (argc < 3 || argc > 4 || (argc == 4 && !refuse) ||
	    (version = strtoull(argv[2], &end, 10)) == 0 || *end != '\0') {
		fprintf(stderr, "usage: fakevisord SOCKET VERSION"
		    " [--refuse]\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	log_init("fakevisord", LOG_LEVEL_WARN);
	if ((lfd = listen_unix(argv[1])) == -1)
		return (1);
	fd = accept_client(lfd);
	if (fd != -1) {
		serve(fd, version, refuse);
		drain(fd);
		close(fd);
	}
	close(lfd);
	unlink(argv[1]);
	return (fd == -1 ? 1 : 0);
}
