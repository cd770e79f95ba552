/*
 * Who a pod's workload runs as.  A root daemon runs each pod as the user
 * who spawned it: uid, primary gid and supplementary groups from the
 * passwd and group databases (or, for a uid without a passwd entry, the
 * credentials of the connection).  A daemon running as a plain user can
 * only run pods as itself.
 */
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"

#define IDENTITY_GROUPS_MAX	65536	/* NGROUPS_MAX on Linux */

/* The owner's supplementary groups, primary group included. */
static void
identity_groups(struct identity *id, const char *user, gid_t gid)
{
	gid_t	*groups = NULL;
	int	 n = 32, want, i;

	for (;;) {
		groups = xreallocarray(groups, n, sizeof *groups);
		want = n;
		if (getgrouplist(user, gid, groups, &want) != -1) {
			n = want;
			break;
		}
		if (want <= n || want > IDENTITY_GROUPS_MAX) {
			/* Unreadable database: keep the primary group only. */
			groups[0] = gid;
			n = 1;
			break;
		}
		n = want;
	}
	id->groups = xreallocarray(NULL, n, sizeof *id->groups);
	for (i = 0; i < n; i++)
		id->groups[i] = groups[i];
	id->ngroups = (size_t)n;
	free(groups);
}

/* Fill in the identity pods of this owner run as; gid is the caller's
 * own, used only when the owner has no passwd entry. */
void
identity_lookup(struct identity *id, uid_t owner, gid_t gid)
{
	struct passwd	*pw;
	char		 uidstr[32];

	memset(id, 0, sizeof *id);
	id->uid = id->gid = WIRE_NONE;
	if ((pw = getpwuid(owner)) != NULL) {
		id->home = xstrdup(pw->pw_dir);
		id->user = xstrdup(pw->pw_name);
		id->shell = xstrdup(pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
		gid = pw->pw_gid;
	} else {
		snprintf(uidstr, sizeof uidstr, "%u", (unsigned)owner);
		id->home = xstrdup("/");
		id->user = xstrdup(uidstr);
		id->shell = xstrdup("/bin/sh");
	}
	/* Only a root daemon can switch users, and root's pods need not. */
	if (sv.uid != 0 || owner == 0)
		return;
	id->uid = owner;
	id->gid = gid;
	if (pw != NULL)
		identity_groups(id, pw->pw_name, gid);
	else {
		id->groups = xcalloc(1, sizeof *id->groups);
		id->groups[0] = gid;
		id->ngroups = 1;
	}
}

void
identity_free(struct identity *id)
{
	free(id->home);
	free(id->user);
	free(id->shell);
	free(id->groups);
	memset(id, 0, sizeof *id);
}
