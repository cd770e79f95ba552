/*
 * A pod's queue of notify messages, waiting for its workload to read them
 * through the pod API: at most POD_NOTIFY_MAX, delivered in priority
 * order (critical, high, normal, low), oldest first within a priority.
 *
 * A message with a key replaces the queued one of the same key.  A full
 * queue drops the oldest message of the lowest priority present, or the
 * new one when it is less urgent than all of them: never a more urgent
 * message for a less urgent one.  A message sent with --preempt goes to
 * the head.  Every arrival is logged by the caller; replacements, drops
 * and deliveries are logged here.
 */

#include <stdlib.h>
#include <string.h>

#include "pod.h"
#include "seglog.h"

static const char *const queue_names[POD_NPRIO] = {
	[POD_PRIO_LOW] = "low",
	[POD_PRIO_NORMAL] = "normal",
	[POD_PRIO_HIGH] = "high",
	[POD_PRIO_CRITICAL] = "critical",
};

/* A priority's name, for messages and log entries. */
const char *
queue_priority_name(int prio)
{
	return (prio >= 0 && prio < POD_NPRIO ? queue_names[prio] : "normal");
}

/* The priority called name (NULL: normal), or -1. */
int
queue_priority(const char *name)
{
	int	 i;

	if (name == NULL)
		return (POD_PRIO_NORMAL);
	for (i = 0; i < POD_NPRIO; i++) {
		if (strcmp(name, queue_names[i]) == 0)
			return (i);
	}
	return (-1);
}

/* Take a message off its list and free it. */
static void
queue_remove(struct runtime *rt, struct pod_notify *n)
{
	TAILQ_REMOVE(&rt->queue[n->list], n, entry);
	rt->nqueued--;
	free(n->key);
	free(n->preempted);
	free(n);
}

/* The queued message of this key, or NULL. */
static struct pod_notify *
queue_find_key(struct runtime *rt, const char *key)
{
	struct pod_notify	*n;
	int			 p;

	for (p = 0; p < POD_NPRIO; p++) {
		TAILQ_FOREACH(n, &rt->queue[p], entry) {
			if (n->key != NULL && strcmp(n->key, key) == 0)
				return (n);
		}
	}
	return (NULL);
}

/* Make room for a message of priority prio in a full queue: drop the
 * oldest of the lowest priority present, unless prio is lower still.
 * False when the new message is the one to drop. */
static bool
queue_make_room(struct runtime *rt, int prio, uint64_t seq)
{
	struct pod_notify	*old;
	int			 p;

	for (p = 0; p < POD_NPRIO && TAILQ_EMPTY(&rt->queue[p]); p++)
		;
	if (prio < p) {
		pod_log(rt, LOG_NOTIFY, "dropped message %llu (%s): the queue "
		    "is full of more urgent ones", (unsigned long long)seq,
		    queue_priority_name(prio));
		return (false);
	}
	old = TAILQ_FIRST(&rt->queue[p]);
	pod_log(rt, LOG_NOTIFY, "dropped message %llu (%s): the queue is full",
	    (unsigned long long)old->seq, queue_priority_name(old->prio));
	queue_remove(rt, old);
	pod_committed(rt);	/* the queue is shorter */
	return (true);
}

/* Queue a message logged as seq (n is taken over, or freed). */
void
queue_add(struct runtime *rt, struct pod_notify *n)
{
	struct pod_notify	*old;

	if (n->key != NULL && (old = queue_find_key(rt, n->key)) != NULL) {
		pod_log(rt, LOG_NOTIFY, "message %llu replaces message %llu "
		    "(key %s)", (unsigned long long)n->seq,
		    (unsigned long long)old->seq, n->key);
		queue_remove(rt, old);
	} else if (rt->nqueued >= POD_NOTIFY_MAX &&
	    !queue_make_room(rt, n->prio, n->seq)) {
		free(n->key);
		free(n->preempted);
		free(n);
		return;
	}
	/* A preempting message jumps the queue, whatever its priority. */
	if (n->npreempted > 0) {
		n->list = POD_PRIO_CRITICAL;
		TAILQ_INSERT_HEAD(&rt->queue[n->list], n, entry);
	} else {
		n->list = n->prio;
		TAILQ_INSERT_TAIL(&rt->queue[n->list], n, entry);
	}
	rt->nqueued++;
}

/* The next message to deliver (NULL: none); it stays queued. */
struct pod_notify *
queue_next(struct runtime *rt)
{
	int	 p;

	for (p = POD_NPRIO - 1; p >= 0; p--) {
		if (!TAILQ_EMPTY(&rt->queue[p]))
			return (TAILQ_FIRST(&rt->queue[p]));
	}
	return (NULL);
}

/* The message was delivered: log it and let it go. */
void
queue_delivered(struct runtime *rt, struct pod_notify *n)
{
	unsigned long long	 seq = n->seq;
	int			 prio = n->prio;

	queue_remove(rt, n);
	pod_log(rt, LOG_NOTIFY, "delivered message %llu (%s) to the workload",
	    seq, queue_priority_name(prio));
}

/* Free every queued message (the runtime is exiting). */
void
queue_free(struct runtime *rt)
{
	struct pod_notify	*n;
	int			 p;

	for (p = 0; p < POD_NPRIO; p++) {
		while ((n = TAILQ_FIRST(&rt->queue[p])) != NULL)
			queue_remove(rt, n);
	}
}
