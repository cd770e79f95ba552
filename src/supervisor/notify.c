/*
 * Readiness for systemd (Type=notify): "READY=1" once the socket accepts
 * requests, "STOPPING=1" when shutting down, sent to $NOTIFY_SOCKET.
 * libsystemd's sd_notify when configure found it; otherwise the same
 * protocol, which is one datagram on a unix socket (a path, or "@" for
 * the abstract namespace).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "supervisor.h"

#ifdef HAVE_LIBSYSTEMD
void
sv_notify_systemd(const char *state)
{
	int	rc;

	if ((rc = sd_notify(0, state)) < 0)
		log_warnx("cannot notify systemd: %s", strerror(-rc));
}
#else
void
sv_notify_systemd(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	socklen_t		 len;
	int			 fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof sun.sun_path)
		return;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("cannot notify systemd");
		return;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == -1)
		log_warn("cannot notify systemd");
	close(fd);
}
#endif
