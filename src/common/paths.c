/*
 * The contract's default places: the control socket and the state
 * directory, chosen by effective uid and the XDG variables.
 */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static int	path_format(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* snprintf that fails with ENAMETOOLONG instead of truncating. */
static int
path_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/* An environment variable holding an absolute path, else NULL (the XDG
 * specification says relative ones are to be ignored). */
static const char *
env_abs(const char *name)
{
	const char	*v = getenv(name);

	if (v == NULL || v[0] != '/')
		return (NULL);
	return (v);
}

/* The control socket: $PODVISOR_SOCKET, else by effective uid. */
int
default_socket_path(char *buf, size_t len)
{
	const char	*v;
	uid_t		 uid = geteuid();

	if ((v = getenv("PODVISOR_SOCKET")) != NULL && *v != '\0')
		return (path_format(buf, len, "%s", v));
	if (uid == 0)
		return (path_format(buf, len, "/run/podvisor/podvisor.sock"));
	if ((v = env_abs("XDG_RUNTIME_DIR")) != NULL)
		return (path_format(buf, len, "%s/podvisor/podvisor.sock", v));
	return (path_format(buf, len, "/tmp/podvisor-%lu/podvisor.sock",
	    (unsigned long)uid));
}

/* The state directory, by effective uid. */
int
default_state_dir(char *buf, size_t len)
{
	const char	*v;
	struct passwd	*pw;
	uid_t		 uid = geteuid();

	if (uid == 0)
		return (path_format(buf, len, "/var/lib/podvisor"));
	if ((v = env_abs("XDG_STATE_HOME")) != NULL)
		return (path_format(buf, len, "%s/podvisor", v));
	if ((v = env_abs("HOME")) == NULL) {
		if ((pw = getpwuid(uid)) == NULL || pw->pw_dir == NULL ||
		    pw->pw_dir[0] != '/') {
			errno = ENOENT;
			return (-1);
		}
		v = pw->pw_dir;
	}
	return (path_format(buf, len, "%s/.local/state/podvisor", v));
}

/* Create one directory unless a directory is already there. */
static int
mkdir_one(const char *path, mode_t mode)
{
	struct stat	sb;

	if (mkdir(path, mode) == 0)
		return (0);
	if (errno != EEXIST)
		return (-1);
	if (stat(path, &sb) == -1)
		return (-1);
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return (-1);
	}
	return (0);
}

/* mkdir -p: create path and its missing parents, each with mode. */
int
mkdir_p(const char *path, mode_t mode)
{
	char	buf[PATH_MAX], *p;

	if (path_format(buf, sizeof buf, "%s", path) == -1)
		return (-1);
	if (buf[0] == '\0') {
		errno = ENOENT;
		return (-1);
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		if (mkdir_one(buf, mode) == -1)
			return (-1);
		*p = '/';
	}
	return (mkdir_one(buf, mode));
}
