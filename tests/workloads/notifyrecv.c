/*
 * notifyrecv PATH: stand in for systemd's notify socket.  Binds a datagram
 * socket at PATH ("@name": in the abstract namespace) and prints each datagram received on its own line (and
 * flushes), until killed.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	char			buf[4096];
	ssize_t			n;
	int			fd;

	if (argc != 2)
		errx(2, "usage: notifyrecv PATH");
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof sun.sun_path)
		errx(2, "path too long: %s", argv[1]);
	strcpy(sun.sun_path, argv[1]);
	len = sizeof sun;
	if (argv[1][0] == '@') {
		sun.sun_path[0] = '\0';
		len = offsetof(struct sockaddr_un, sun_path) + strlen(argv[1]);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (bind(fd, (struct sockaddr *)&sun, len) == -1)
		err(1, "bind %s", argv[1]);
	for (;;) {
		if ((n = recv(fd, buf, sizeof buf - 1, 0)) == -1)
			err(1, "recv");
		buf[n] = '\0';
		printf("%s\n", buf);
		fflush(stdout);
	}
}
