/*
 * The workload's environment: by default a clean one built from the
 * owner's passwd entry, else the caller's own (--inherit-env); then the
 * caller's -e K=V entries, then PODVISOR_POD and PODVISOR_SOCKET.
 */
#include <inttypes.h>
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
env_clean(struct envbuf *e, const struct identity *id)
{
	const char	*lang;

	env_set(e, "PATH", WORKLOAD_PATH);
	env_set(e, "HOME", id->home);
	env_set(e, "USER", id->user);
	env_set(e, "LOGNAME", id->user);
	env_set(e, "SHELL", id->shell);
	lang = getenv("LANG");
	env_set(e, "LANG", lang != NULL ? lang : "C.UTF-8");
}

/* The complete environment for pod id; the caller frees it. */
char **
workload_env(const struct identity *owner, char **given, bool inherit,
    uint64_t id)
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
