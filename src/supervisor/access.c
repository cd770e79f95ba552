/*
 * Who may do what, in one place.  Two rules govern a request on a pod:
 * the owner rule (root, or the pod's owner) for reading it, and, for
 * changing it, also the subtree rule (a request from inside a pod may
 * touch only that pod's subtree).  Spawning adds the daemon's own rule:
 * a daemon that is not root runs pods only as its own user.  Every
 * refusal is one reply that names the rule.
 */
#include <inttypes.h>
#include <stdio.h>

#include "supervisor.h"

/* The owner rule: root may act on any pod, others on their own. */
static bool
access_owner(struct client *c, struct pod *pod)
{
	return (c->uid == 0 || c->uid == pod->owner);
}

/* The subtree rule: a caller inside a pod acts only inside its subtree. */
static bool
access_subtree(struct client *c, struct pod *pod)
{
	struct pod	*home;

	if (c->pod_id == 0)
		return (true);
	home = podtab_find(c->pod_id);
	return (home != NULL && pod_in_subtree(pod, home));
}

/* May the client see this pod (status, inspect, logs, wait)? */
bool
access_may_read(struct client *c, struct pod *pod)
{
	return (access_owner(c, pod));
}

/* May the client change this pod (stop, kill, send, rm, spawn under)? */
bool
access_may_change(struct client *c, struct pod *pod)
{
	return (access_owner(c, pod) && access_subtree(c, pod));
}

/* Check a rule and reply denied, naming the rule, when it refuses.
 * 0 when allowed, -1 when refused (and answered). */
int
access_check(struct client *c, struct pod *pod, bool change)
{
	if (!access_owner(c, pod)) {
		client_reply_error(c, ERR_DENIED, "permission denied: pod %"
		    PRIu64 " belongs to another user", pod->id);
		return (-1);
	}
	if (change && !access_subtree(c, pod)) {
		client_reply_error(c, ERR_DENIED, "permission denied: pod %"
		    PRIu64 " is outside the subtree of pod %" PRIu64 ", where "
		    "this request comes from (a pod may act only on its own "
		    "subtree)", pod->id, c->pod_id);
		return (-1);
	}
	return (0);
}

/* May the client spawn under parent (NULL: top level)? 0, or -1 and
 * answered. */
int
access_check_spawn(struct client *c, struct pod *parent)
{
	if (sv.uid != 0 && c->uid != sv.uid && c->uid != 0) {
		client_reply_error(c, ERR_DENIED, "permission denied: this "
		    "podvisord runs as uid %u and can run pods only as that "
		    "user", (unsigned)sv.uid);
		return (-1);
	}
	if (parent != NULL)
		return (access_check(c, parent, true));
	if (c->pod_id != 0) {
		client_reply_error(c, ERR_DENIED, "permission denied: a request "
		    "from inside pod %" PRIu64 " may spawn only inside its own "
		    "subtree (pass --parent)", c->pod_id);
		return (-1);
	}
	return (0);
}
