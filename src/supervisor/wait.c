/*
 * Waiters: clients of stop and wait that are answered once every pod
 * they named (with tree, every pod of those subtrees) is terminal.  They
 * are checked at the end of each loop pass, after the registry flush, so
 * that what a waiter is told is already on disk.
 */
#include <stdlib.h>

#include "supervisor.h"

static TAILQ_HEAD(, waiter) waiters = TAILQ_HEAD_INITIALIZER(waiters);

/* Send the records of a pod and, with tree, its subtree (pre-order). */
static void
waiter_emit(struct client *c, struct pod *pod, bool tree)
{
	struct msg	 msg;
	struct pod	*child;

	pod_to_msg(pod, &msg, 0);
	client_send(c, &msg);
	if (!tree)
		return;
	TAILQ_FOREACH(child, &pod->children, sibling)
		waiter_emit(c, child, tree);
}

/* Is everything this waiter waits for terminal? */
static bool
waiter_ready(struct waiter *w)
{
	struct pod	*pod;
	size_t		 i;

	for (i = 0; i < w->nids; i++) {
		if ((pod = podtab_find(w->ids[i])) == NULL)
			continue;
		if (w->until == WAIT_PAUSED ? !pod_subtree_paused(pod) :
		    w->tree ? !pod_subtree_terminal(pod) : !POD_TERMINAL(pod))
			return (false);
	}
	return (true);
}

/* Reply to the waiter's client and free it. */
static void
waiter_complete(struct waiter *w)
{
	struct client	*c = w->client;
	struct pod	*pod;
	struct msg	 msg;
	size_t		 i;

	for (i = 0; i < w->nids; i++) {
		if ((pod = podtab_find(w->ids[i])) != NULL)
			waiter_emit(c, pod, w->tree);
	}
	/* Done before the end goes: an in-process client's sink may send
	 * its next request from inside this call. */
	TAILQ_REMOVE(&waiters, w, entry);
	c->waiter = NULL;
	sv_kick();
	msg_init(&msg, MSG_END);
	msg.u.end.missing = w->missing;
	client_send(c, &msg);
	free(w->ids);
	strv_free(w->missing);
	free(w);
}

/* Make a client wait until the pods (with tree, their subtrees) are
 * terminal; it then gets their records and an end with missing. */
void
waiter_add(struct client *c, uint64_t *ids, size_t nids, char **missing,
    bool tree, enum wait_until until)
{
	struct waiter	*w;

	w = xcalloc(1, sizeof *w);
	w->client = c;
	w->ids = ids;
	w->nids = nids;
	w->missing = missing;
	w->tree = tree;
	w->until = until;
	c->waiter = w;
	TAILQ_INSERT_TAIL(&waiters, w, entry);
	/* Answer at the end of this pass, once the states it reports are
	 * committed. */
	sv_kick();
}

/* In each pass, after the registry flush: answer every waiter whose
 * pods are done. */
void
waiters_check(void)
{
	struct waiter	*w, *next;

	TAILQ_FOREACH_SAFE(w, &waiters, entry, next) {
		if (waiter_ready(w))
			waiter_complete(w);
	}
}

/* Must the pod stay for a pending waiter, which names it or (with tree)
 * a pod above it? Retention asks, only of the pods it would remove. */
bool
waiters_hold(struct pod *pod)
{
	struct waiter	*w;
	struct pod	*root;
	size_t		 i;

	TAILQ_FOREACH(w, &waiters, entry) {
		for (i = 0; i < w->nids; i++) {
			if (w->ids[i] == pod->id)
				return (true);
			if (w->tree && (root = podtab_find(w->ids[i])) != NULL &&
			    pod_in_subtree(pod, root))
				return (true);
		}
	}
	return (false);
}

/* Forget a waiter (answered, or its client left). The pods it held may
 * now be due for retention: the next pass checks. */
void
waiter_cancel(struct waiter *w)
{
	sv_kick();
	TAILQ_REMOVE(&waiters, w, entry);
	w->client->waiter = NULL;
	free(w->ids);
	strv_free(w->missing);
	free(w);
}
