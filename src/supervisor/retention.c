/*
 * Forgetting terminal pods, on request (podctl rm) or by retention
 * (--keep-terminal N, --keep-terminal-for DUR).  Forgetting a pod ends
 * the log streams that follow it, deletes its directory and its record,
 * and frees it; a subtree goes children first.
 *
 * Retention keeps the terminal pods in the order they ended, with a count,
 * so that a check looks only at the oldest few, never at every pod.  It
 * runs at the end of each registry flush, after the waiters were told, so
 * a pod never goes before those waiting on it got its outcome; a timer
 * brings on the flush when the oldest pod is due to expire.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "supervisor.h"

/* Deleting a pod's files takes up to a millisecond: a start-up with
 * thousands to remove does it a batch per loop pass, serving between. */
#define RETENTION_BATCH	64

static struct podlist	 ended = TAILQ_HEAD_INITIALIZER(ended);
static size_t		 nended;
static struct event	*expire_ev;
static bool		 deferred;	/* a batch is left for the next pass */

/* What one retention check removed, for its log line. */
struct removal {
	size_t		 n;
	uint64_t	 first;		/* the oldest removed pod */
	int64_t		 first_ended;
	const char	*why;
};

/* Delete a pod's directory and its segment log. */
static void
remove_pod_dir(uint64_t id)
{
	char	dir[PATH_MAX], cause[PATH_MAX + 128];

	pod_dir(id, dir, sizeof dir);
	if (seglog_remove(dir, cause, sizeof cause) == -1)
		log_warnx("%s", cause);
}

/* Take a pod off the ended list, if it is on it. */
static void
retention_drop(struct pod *pod)
{
	if (!pod->ended_listed)
		return;
	TAILQ_REMOVE(&ended, pod, ended_entry);
	pod->ended_listed = false;
	nended--;
}

/* Forget a terminal subtree, children first (a child must leave its
 * parent's list before the parent is freed); each, if set, sees every
 * pod just before it goes. */
void
pod_forget(struct pod *pod, void (*each)(struct pod *, void *), void *arg)
{
	struct pod	*child;

	while ((child = TAILQ_FIRST(&pod->children)) != NULL)
		pod_forget(child, each, arg);
	if (each != NULL)
		each(pod, arg);
	while (!TAILQ_EMPTY(&pod->streams))
		logstream_end(TAILQ_FIRST(&pod->streams));
	remove_pod_dir(pod->id);
	retention_drop(pod);
	registry_forget(pod);
	podtab_remove(pod);
	pod_free(pod);
}

/* Did a end before b? Ties go by id, so the order is total. */
static bool
ended_before(struct pod *a, struct pod *b)
{
	if (a->ended_at != b->ended_at)
		return (a->ended_at < b->ended_at);
	return (a->id < b->id);
}

/* A pod just became terminal: list it in end order. It is nearly always
 * the newest, so the walk from the tail stops at once. */
void
retention_add(struct pod *pod)
{
	struct pod	*at;

	if (pod->ended_listed)
		return;
	at = TAILQ_LAST(&ended, podlist);
	while (at != NULL && ended_before(pod, at))
		at = TAILQ_PREV(at, podlist, ended_entry);
	if (at == NULL)
		TAILQ_INSERT_HEAD(&ended, pod, ended_entry);
	else
		TAILQ_INSERT_AFTER(&ended, at, pod, ended_entry);
	pod->ended_listed = true;
	nended++;
}

static int
ended_cmp(const void *a, const void *b)
{
	struct pod	*pa = *(struct pod * const *)a;
	struct pod	*pb = *(struct pod * const *)b;

	if (pa == pb)
		return (0);
	return (ended_before(pa, pb) ? -1 : 1);
}

/* The timer: an expiry is due, or a batch is left; the flush checks. */
static void
retention_expire_cb(int fd, short events, void *arg)
{
	deferred = false;
	sv_kick();
}

/* At start-up, once the registry is loaded (pods found live marked lost):
 * list the terminal pods in end order and have the first flush apply the
 * limits. The records come in id order, so they are sorted once here. */
void
retention_start(void)
{
	struct pod	**v, *pod;
	size_t		  i, n = 0;

	expire_ev = evtimer_new(sv.base, retention_expire_cb, NULL);
	v = xcalloc(podtab_count() + 1, sizeof *v);
	for (i = 0; (pod = podtab_at(i)) != NULL; i++) {
		if (POD_TERMINAL(pod))
			v[n++] = pod;
	}
	qsort(v, n, sizeof *v, ended_cmp);
	for (i = 0; i < n; i++) {
		TAILQ_INSERT_TAIL(&ended, v[i], ended_entry);
		v[i]->ended_listed = true;
	}
	nended = n;
	free(v);
	sv_kick();
}

/* At exit: the pods are about to be freed with the table. */
void
retention_close(void)
{
	if (expire_ev != NULL)
		event_free(expire_ev);
	expire_ev = NULL;
	TAILQ_INIT(&ended);
	nended = 0;
}

/* The oldest terminal pod that ended no later than cutoff and may go:
 * its whole subtree is terminal, and no client still waits to be told
 * about it. Pods held back stay at the head until they may. */
static struct pod *
retention_next(int64_t cutoff)
{
	struct pod	*pod;

	TAILQ_FOREACH(pod, &ended, ended_entry) {
		if (pod->ended_at > cutoff)
			break;
		if (pod_subtree_terminal(pod) && !waiters_hold(pod) &&
		    !clients_hold(pod))
			return (pod);
	}
	return (NULL);
}

/* Count what a removal takes with it. */
static void
retention_count(struct pod *pod, void *arg)
{
	struct removal	*r = arg;

	log_debug("pod %" PRIu64 ": removed (%s)", pod->id, r->why);
	r->n++;
}

/* Forget pod's subtree, noting it in r. */
static void
retention_remove(struct pod *pod, struct removal *r, const char *why)
{
	if (r->n == 0) {
		r->first = pod->id;
		r->first_ended = pod->ended_at;
	}
	r->why = why;
	pod_forget(pod, retention_count, r);
}

/* One line for all a check removed. */
static void
retention_log(struct removal *r)
{
	double	age = (now_ns() - r->first_ended) / 1e9;

	if (r->n == 1)
		log_info("removed terminal pod %" PRIu64 " (ended %.1fs ago): "
		    "%s", r->first, age, r->why);
	else if (r->n > 1)
		log_info("removed %zu terminal pods, the oldest pod %" PRIu64
		    " (ended %.1fs ago): %s", r->n, r->first, age, r->why);
}

/* Arm the timer for the first pod to outlive --keep-terminal-for. */
static void
retention_arm(int64_t cutoff)
{
	struct pod	*pod;
	int64_t		 ms;

	evtimer_del(expire_ev);
	TAILQ_FOREACH(pod, &ended, ended_entry) {
		if (pod->ended_at > cutoff)
			break;
	}
	if (pod == NULL)
		return;		/* the rest wait on their subtrees */
	/* Round up, so that the pod is due when the timer fires. */
	ms = (pod->ended_at - cutoff + 999999) / 1000000;
	timer_arm(expire_ev, ms);
}

/* Leave the rest for the next loop pass: each removal brings on another
 * flush in this pass, so the check holds off until a timer, which runs
 * after the clients waiting now were served. */
static void
retention_defer(void)
{
	struct timeval	tv = { 0, 0 };

	deferred = true;
	evtimer_add(expire_ev, &tv);
}

/* Remove the oldest pods beyond --keep-terminal, within the budget. */
static void
retention_by_count(size_t *budget)
{
	struct removal	 r = { 0 };
	struct pod	*pod;
	char		 why[64];

	snprintf(why, sizeof why, "--keep-terminal %u", sv.keep_terminal);
	while (nended > sv.keep_terminal && r.n < *budget &&
	    (pod = retention_next(INT64_MAX)) != NULL)
		retention_remove(pod, &r, why);
	retention_log(&r);
	*budget -= r.n < *budget ? r.n : *budget;
}

/* Remove the pods that ended before cutoff, within the budget. */
static void
retention_by_age(int64_t cutoff, size_t *budget)
{
	struct removal	 r = { 0 };
	struct pod	*pod;
	char		 why[64];

	snprintf(why, sizeof why, "--keep-terminal-for %" PRId64 "ms",
	    sv.keep_terminal_ms);
	while (r.n < *budget && (pod = retention_next(cutoff)) != NULL)
		retention_remove(pod, &r, why);
	retention_log(&r);
	*budget -= r.n < *budget ? r.n : *budget;
}

/* After each registry flush: remove the oldest terminal pods while there
 * are more than --keep-terminal, and those older than
 * --keep-terminal-for. */
void
retention_check(void)
{
	size_t	budget = RETENTION_BATCH;
	int64_t	cutoff = 0;

	if (expire_ev == NULL || deferred)
		return;
	if (sv.keep_terminal != 0)
		retention_by_count(&budget);
	if (sv.keep_terminal_ms != 0 && budget > 0) {
		cutoff = now_ns() - sv.keep_terminal_ms * 1000000;
		retention_by_age(cutoff, &budget);
	}
	if (budget == 0)
		retention_defer();	/* there may be more */
	else if (sv.keep_terminal_ms != 0)
		retention_arm(cutoff);
}
