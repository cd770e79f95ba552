/*
 * The workload's environment: by default a clean one built from the
 * owner's passwd entry, else the caller's own (--inherit-env); then the
 * caller's -e K=V entries, then PODVISOR_POD and PODVISOR_SOCKET.
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"

#define WORKLOAD_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct envbuf {
	char	**v;
	size_t	  n;
};

/* Set K=V, replacing an earlier entry for the same K. */
static void
env_put(struct envbuf *e, const char *kv)
{
	size_t	klen, i;

	if (strchr(kv, '=') == NULL)
		return;
	klen = strchr(kv, '=') - kv;
	for (i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], kv, klen + 1) == 0) {
			free(e->v[i]);
			e->v[i] = xstrdup(kv);
			return;
		}
	}
	e->v = xreallocarray(e->v, e->n + 2, sizeof *e->v);
	e->v[e->n++] = xstrdup(kv);
	e->v[e->n] = NULL;
}

/* Set key to value. */
static void
env_set(struct envbuf *e, const char *key, const char *value)
{
	char	*kv;

	xasprintf(&kv, "%s=%s", key, value);
	env_put(e, kv);
	free(kv);
}

/* The clean base: PATH, the owner's identity, and a language. */
static void
env_clean(struct envbuf *e, uid_t owner)
{
	struct passwd	*pw;
	const char	*lang;
	char		 uidstr[32];

	env_set(e, "PATH", WORKLOAD_PATH);
	if ((pw = getpwuid(owner)) != NULL) {
		env_set(e, "HOME", pw->pw_dir);
		env_set(e, "USER", pw->pw_name);
		env_set(e, "LOGNAME", pw->pw_name);
		env_set(e, "SHELL", pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	} else {
		snprintf(uidstr, sizeof uidstr, "%u", (unsigned)owner);
		env_set(e, "HOME", "/");
		env_set(e, "USER", uidstr);
		env_set(e, "LOGNAME", uidstr);
		env_set(e, "SHELL", "/bin/sh");
	}
	lang = getenv("LANG");
	env_set(e, "LANG", lang != NULL ? lang : "C.UTF-8");
}

/* The complete environment for pod id; the caller frees it. */
char **
workload_env(uid_t owner, char **given, bool inherit, uint64_t id)
{
	struct envbuf	 e = { NULL, 0 };
	char		 idstr[32];
	size_t		 i;

	e.v = xcalloc(1, sizeof *e.v);
	if (!inherit)
		env_clean(&e, owner);
	for (i = 0; given != NULL && given[i] != NULL; i++)
		env_put(&e, given[i]);
	snprintf(idstr, sizeof idstr, "%" PRIu64, id);
	env_set(&e, "PODVISOR_POD", idstr);
	env_set(&e, "PODVISOR_SOCKET", sv.socket_path);
	return (e.v);
}
