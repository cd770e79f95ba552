/*
 * The pod table: every pod the supervisor knows, live or terminal, kept in
 * an array sorted by id (ids only grow, so inserts append), and the tree
 * links between them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "supervisor.h"
#include "proctree.h"
#include "seglog.h"

static struct pod	**pods;
static size_t		  npods, podcap;
static struct pidmap	  by_runtime;	/* the pods in pods[], by runtime_pid */
static size_t		  nlive;	/* the pods in pods[] not terminal */

static const char *state_names[] = {
	[POD_STARTING] = "starting",
	[POD_RUNNING] = "running",
	[POD_STOPPING] = "stopping",
	[POD_TERMINATING] = "terminating",
	[POD_KILLING] = "killing",
	[POD_PAUSED] = "paused",
	[POD_RESTARTING] = "restarting",
	[POD_SUCCEEDED] = "succeeded",
	[POD_FAILED] = "failed",
	[POD_STOPPED] = "stopped",
	[POD_TERMINATED] = "terminated",
	[POD_KILLED] = "killed",
	[POD_LOST] = "lost",
};

/* The contract's name for a state. */
const char *
pod_state_name(enum pod_state state)
{
	return (state_names[state]);
}

/* The state named s, or -1. */
int
pod_state_from_name(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof state_names / sizeof state_names[0]; i++) {
		if (strcmp(state_names[i], s) == 0)
			return (i);
	}
	return (-1);
}

/* A blank pod with the given id, in no table and no tree. */
struct pod *
pod_new(uint64_t id)
{
	struct pod	*pod;

	pod = xcalloc(1, sizeof *pod);
	pod->id = id;
	TAILQ_INIT(&pod->children);
	TAILQ_INIT(&pod->streams);
	TAILQ_INIT(&pod->sends);
	TAILQ_INIT(&pod->journal);
	TAILQ_INIT(&pod->journal_sent);
	pod->exit_code = -1;
	pod->signal = -1;
	msg_spec_init(&pod->spec);
	pod->cancel_acked_at = pod->heartbeat_at = WIRE_NONE;
	pod->paused_at = WIRE_NONE;
	pod->progress = WIRE_NAN;
	pod->http_status = WIRE_NONE;
	pod->started_at = pod->ended_at = pod->stop_requested_at = WIRE_NONE;
	pod->reported_state = -1;
	pod->restart_at = WIRE_NONE;
	return (pod);
}

/* Free a pod that is out of the table and has no runtime. */
void
pod_free(struct pod *pod)
{
	logsync_forget(pod);
	if (pod->stage_timer != NULL)
		event_free(pod->stage_timer);
	if (pod->runtime_timer != NULL)
		event_free(pod->runtime_timer);
	if (pod->heartbeat_timer != NULL)
		event_free(pod->heartbeat_timer);
	free(pod->status_text);
	free(pod->result);
	if (pod->cause != NULL)
		strv_free(pod->cause);
	if (pod->timeout_timer != NULL)
		event_free(pod->timeout_timer);
	if (pod->restart_timer != NULL)
		event_free(pod->restart_timer);
	if (pod->env != NULL)
		strv_free(pod->env);
	if (pod->log_reader != NULL)
		seglog_close(pod->log_reader);
	journal_discard(pod);
	free(pod->name);
	strv_free(pod->argv);
	free(pod->cwd);
	free(pod->reason);
	free(pod->error);
	free(pod->http_url);
	free(pod->http_method);
	free(pod->http_on_cancel);
	free(pod);
}

/* Index of the first pod with id >= id. */
static size_t
podtab_lower(uint64_t id)
{
	size_t	lo = 0, hi = npods, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pods[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Add a pod, keeping the table sorted (appending in the usual case). */
void
podtab_insert(struct pod *pod)
{
	size_t	at;

	if (npods == podcap) {
		podcap = podcap ? podcap * 2 : 64;
		pods = xreallocarray(pods, podcap, sizeof *pods);
	}
	at = podtab_lower(pod->id);
	memmove(&pods[at + 1], &pods[at], (npods - at) * sizeof *pods);
	pods[at] = pod;
	npods++;
	if (!POD_TERMINAL(pod))
		nlive++;
	if (pod->runtime_pid > 0)
		pidmap_put(&by_runtime, pod->runtime_pid, pod);
}

/* Take a pod out of the table and out of its parent's children. */
void
podtab_remove(struct pod *pod)
{
	size_t	at;

	pod_set_parent(pod, NULL);
	at = podtab_lower(pod->id);
	if (at < npods && pods[at] == pod) {
		memmove(&pods[at], &pods[at + 1], (npods - at - 1) * sizeof *pods);
		npods--;
		if (!POD_TERMINAL(pod))
			nlive--;
	}
	if (pod->runtime_pid > 0)
		pidmap_del(&by_runtime, pod->runtime_pid, pod);
	if (npods == 0)
		pidmap_clear(&by_runtime);	/* nothing is left in it */
}

/* The pod with this id, or NULL. */
struct pod *
podtab_find(uint64_t id)
{
	size_t	at = podtab_lower(id);

	if (at < npods && pods[at]->id == id)
		return (pods[at]);
	return (NULL);
}

/* The live pod called name, or NULL. */
struct pod *
podtab_live_name(const char *name)
{
	size_t	i;

	for (i = npods; i-- > 0;) {
		if (pods[i]->name != NULL && !POD_TERMINAL(pods[i]) &&
		    strcmp(pods[i]->name, name) == 0)
			return (pods[i]);
	}
	return (NULL);
}

/* An id, or a name: the live pod of that name, else the newest that had it. */
struct pod *
podtab_resolve(const char *ref)
{
	struct pod	*pod;
	uint64_t	 id;
	size_t		 i;

	if (pod_ref_is_id(ref, &id))
		return (podtab_find(id));
	if ((pod = podtab_live_name(ref)) != NULL)
		return (pod);
	for (i = npods; i-- > 0;) {
		if (pods[i]->name != NULL && strcmp(pods[i]->name, ref) == 0)
			return (pods[i]);
	}
	return (NULL);
}

/* The directory holding pod id's segment log. */
void
pod_dir(uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/pods/%" PRIu64, sv.state_dir, id);
}

/* The live pod whose runtime has this pid, or NULL. */
struct pod *
podtab_find_runtime(pid_t pid)
{
	struct pod	*pod;

	if (pid <= 0 || (pod = pidmap_get(&by_runtime, pid)) == NULL)
		return (NULL);
	return (POD_TERMINAL(pod) ? NULL : pod);
}

/* Change the pod's state, keeping the count of live pods in the table
 * (spawn's --max-pods check and the shutdown ask it at every turn). */
void
pod_set_state(struct pod *pod, enum pod_state state)
{
	bool	was_live = !POD_TERMINAL(pod);

	pod->state = state;
	if (was_live == !POD_TERMINAL(pod) || podtab_find(pod->id) != pod)
		return;
	if (was_live)
		nlive--;
	else
		nlive++;
}

/* Give the pod a runtime (pid > 0) or none (0), keeping the index of a
 * pod in the table.  A terminal pod keeps its last runtime's pid, which
 * may be reused: the newest pod with a pid owns it in the index. */
void
pod_set_runtime_pid(struct pod *pod, pid_t pid)
{
	bool	in_table = podtab_find(pod->id) == pod;

	if (in_table && pod->runtime_pid > 0)
		pidmap_del(&by_runtime, pod->runtime_pid, pod);
	pod->runtime_pid = pid;
	if (in_table && pid > 0)
		pidmap_put(&by_runtime, pid, pod);
}

/* The live pod a process runs in, found by its ancestry: every process
 * of a pod descends from the pod's runtime (a subreaper, so even one that
 * called setsid stays below it). NULL for a process outside any pod. */
struct pod *
podtab_caller(pid_t pid)
{
	struct pod	*pod;
	pid_t		 self = getpid();

	while (pid > 1 && pid != self) {
		if ((pod = podtab_find_runtime(pid)) != NULL)
			return (pod);
		pid = proc_parent(pid);
	}
	return (NULL);
}

/* Is pod inside the subtree rooted at root (root included)? */
bool
pod_in_subtree(struct pod *pod, struct pod *root)
{
	for (; pod != NULL; pod = pod->parent) {
		if (pod == root)
			return (true);
	}
	return (false);
}

/* How many pods are not terminal. */
size_t
podtab_live_count(void)
{
	return (nlive);
}

size_t
podtab_count(void)
{
	return (npods);
}

/* The i-th pod in id order. */
struct pod *
podtab_at(size_t i)
{
	return (i < npods ? pods[i] : NULL);
}

/* Move a pod under a new parent (NULL: top level). */
void
pod_set_parent(struct pod *pod, struct pod *parent)
{
	if (pod->parent != NULL)
		TAILQ_REMOVE(&pod->parent->children, pod, sibling);
	pod->parent = parent;
	if (parent != NULL)
		TAILQ_INSERT_TAIL(&parent->children, pod, sibling);
}

/* Is the pod and everything under it terminal? */
bool
pod_subtree_terminal(struct pod *pod)
{
	struct pod	*child;

	if (!POD_TERMINAL(pod))
		return (false);
	TAILQ_FOREACH(child, &pod->children, sibling) {
		if (!pod_subtree_terminal(child))
			return (false);
	}
	return (true);
}
