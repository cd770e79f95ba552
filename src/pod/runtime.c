/*
 * The pod runtime's state machine: the dispatch of podvisord's messages,
 * reaping, the cleanup of leftovers, the stop it runs itself when the
 * supervisor is gone, and the final exit entry.
 *
 *   idle --start--> running --main reaped--> cleanup --nothing left--> done
 *
 * Leaving cleanup needs all three of: the main process reaped, no child
 * left (waitpid said ECHILD) and both output pipes at EOF.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"
#include "seglog.h"
#include "pod.h"

static void	pod_stage(struct runtime *, enum pod_stop);
static void	pod_resume(struct runtime *);
static void	pod_finish(struct runtime *);

/* Arm a one-shot timer ms from now. */
static void
pod_timer_add(struct event *ev, uint64_t ms)
{
	if (timer_arm(ev, ms > INT64_MAX ? INT64_MAX : (int64_t)ms) == -1)
		fatalx("cannot arm a timer");
}

/* Send to podvisord unless the channel is gone. */
void
pod_send(struct runtime *rt, const struct msg *m)
{
	if (rt->peer != NULL)
		(void)peer_send(rt->peer, m);
}

/* Something was committed: schedule a sync, tell podvisord the seq. */
void
pod_committed(struct runtime *rt)
{
	struct msg	 m;
	uint64_t	 seq;

	if (rt->log == NULL)
		return;
	rt->dirty = true;
	if (!evtimer_pending(rt->sync_timer, NULL))
		pod_timer_add(rt->sync_timer, POD_SYNC_MS);
	seq = seglog_last_seq(rt->log);
	if (seq <= rt->logged_seq && rt->nqueued == rt->logged_queued)
		return;
	rt->logged_seq = seq;
	rt->logged_queued = rt->nqueued;
	msg_init(&m, MSG_LOGGED);
	m.u.logged.seq = seq;
	m.u.logged.queued = rt->nqueued;
	pod_send(rt, &m);
}

/* Append a formatted control entry and commit it. */
void
pod_log(struct runtime *rt, int kind, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	if (rt->log == NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		return;
	if (seglog_append(rt->log, kind, s, (size_t)n) == 0)
		pod_committed(rt);
	free(s);
}

/* A signal's name for the log, "signal N" when unknown. */
static const char *
pod_signame(int sig, char *buf, size_t len)
{
	const char	*name;

	if ((name = signal_name(sig)) != NULL)
		return (name);
	snprintf(buf, len, "signal %d", sig);
	return (buf);
}

/* The fsync deadline: pay for durability once a second at most. */
static void
pod_sync_cb(int fd, short what, void *arg)
{
	struct runtime	*rt = arg;

	if (!rt->dirty)
		return;
	rt->dirty = false;
	(void)seglog_sync(rt->log);
}

/* The workload could not start: record why (pid 0: no child to reap). */
static void
pod_start_failed(struct runtime *rt, const char *cause)
{
	log_warnx("pod %llu: %s", (unsigned long long)rt->id, cause);
	free(rt->error);
	rt->error = xstrdup(cause);
	pod_log(rt, LOG_ERROR, "%s", cause);
	if (rt->pid > 0)
		return;		/* reaped later; MSG_ENDED goes then */
	rt->reaped = true;
	rt->nochild = true;
	rt->wstatus = 127 << 8;
	rt->state = RT_CLEANUP;
	pod_send_ended(rt);
	pod_check_done(rt);
}

/* Is v a uid or gid we can pass on ((uid_t)-1 means "unchanged")? */
static bool
pod_valid_id(int64_t v)
{
	return (v >= 0 && v < (int64_t)(uid_t)-1);
}

/* Copy who the workload runs as; -1 with a reason if it is unusable. */
static int
pod_take_identity(struct runtime *rt, const struct msg_start *s, char *cause,
    size_t len)
{
	size_t	 i;

	rt->uid = rt->gid = WIRE_NONE;
	if (s->uid == WIRE_NONE)
		return (0);
	if (!pod_valid_id(s->uid) || !pod_valid_id(s->gid)) {
		snprintf(cause, len, "bad identity uid %lld gid %lld",
		    (long long)s->uid, (long long)s->gid);
		return (-1);
	}
	for (i = 0; i < s->groups.n; i++) {
		if (!pod_valid_id((int64_t)s->groups.v[i])) {
			snprintf(cause, len, "bad supplementary group %llu",
			    (unsigned long long)s->groups.v[i]);
			return (-1);
		}
	}
	rt->uid = s->uid;
	rt->gid = s->gid;
	rt->ngroups = s->groups.n;
	rt->groups = xreallocarray(NULL, s->groups.n + 1, sizeof *rt->groups);
	for (i = 0; i < s->groups.n; i++)
		rt->groups[i] = (gid_t)s->groups.v[i];
	return (0);
}

/* Copy the resource limits; -1 with a reason if one is negative. */
static int
pod_take_limits(struct runtime *rt, const struct msg_start *s, char *cause,
    size_t len)
{
	size_t	 i;

	memcpy(rt->limits, s->limits, sizeof rt->limits);
	for (i = 0; i < WIRE_NLIMITS; i++) {
		if (rt->limits[i] < 0 && rt->limits[i] != WIRE_NONE) {
			snprintf(cause, len, "bad limit %lld",
			    (long long)rt->limits[i]);
			return (-1);
		}
	}
	rt->nofile_soft = s->nofile_soft >= 0 ? s->nofile_soft : WIRE_NONE;
	rt->log_max = s->log_max;
	/* LMDB reuses the pages a transaction frees only after it commits:
	 * next to a small cap, short bursts keep the file near the cap. */
	rt->burst_max = POD_BURST_MAX;
	if (s->log_max != 0 && s->log_max / 4 < POD_BURST_MAX)
		rt->burst_max = s->log_max / 4 > POD_READ_CHUNK ?
		    (size_t)(s->log_max / 4) : POD_READ_CHUNK;
	return (0);
}

/* Set one K=V in the workload's environment, replacing any K=. */
static void
pod_env_set(struct runtime *rt, const char *kv)
{
	size_t	 klen = strcspn(kv, "=") + 1, n = 0, i;

	for (i = 0; rt->env != NULL && rt->env[i] != NULL; i++) {
		if (strncmp(rt->env[i], kv, klen) == 0) {
			free(rt->env[i]);
			rt->env[i] = xstrdup(kv);
			return;
		}
	}
	n = i;
	rt->env = xreallocarray(rt->env, n + 2, sizeof *rt->env);
	rt->env[n] = xstrdup(kv);
	rt->env[n + 1] = NULL;
}

/* Copy an HTTP pod's request, checked again; -1 with a reason. */
static int
pod_take_http(struct runtime *rt, const struct wire_http *r, char *cause,
    size_t len)
{
	uint8_t	*body = NULL;

	if (r->url == NULL)
		return (0);
	if (http_check_request(r, cause, len) == -1)
		return (-1);
	rt->http_req.url = xstrdup(r->url);
	rt->http_req.method = r->method != NULL ? xstrdup(r->method) : NULL;
	rt->http_req.headers = r->headers != NULL ? xstrvdup(r->headers) :
	    NULL;
	rt->http_req.on_cancel = r->on_cancel != NULL ?
	    xstrdup(r->on_cancel) : NULL;
	if (r->body.len > 0) {
		body = xmalloc(r->body.len);
		memcpy(body, r->body.ptr, r->body.len);
	}
	rt->http_req.body.ptr = body;
	rt->http_req.body.len = r->body.len;
	return (0);
}

/* Free the copy of the request. */
static void
pod_free_http(struct wire_http *r)
{
	free(r->url);
	free(r->method);
	if (r->headers != NULL)
		strv_free(r->headers);
	free(r->on_cancel);
	free((void *)r->body.ptr);
	memset(r, 0, sizeof *r);
}

/* Copy what MSG_START says; -1 with a reason if it is unusable. */
static int
pod_take_start(struct runtime *rt, const struct msg_start *s, char *cause,
    size_t len)
{
	char	 kv[32];
	if (s->argv == NULL || s->argv[0] == NULL || s->argv[0][0] == '\0') {
		snprintf(cause, len, "start without a command");
		return (-1);
	}
	if (s->stop_signal < 1 || s->stop_signal >= NSIG) {
		snprintf(cause, len, "bad stop signal %llu",
		    (unsigned long long)s->stop_signal);
		return (-1);
	}
	if (pod_take_identity(rt, s, cause, len) == -1 ||
	    pod_take_limits(rt, s, cause, len) == -1 ||
	    pod_take_http(rt, &s->http, cause, len) == -1)
		return (-1);
	rt->id = s->id;
	rt->argv = xstrvdup(s->argv);
	rt->env = s->env != NULL ? xstrvdup(s->env) : NULL;
	rt->cwd = xstrdup(s->cwd);
	rt->dir = xstrdup(s->dir);
	rt->name = s->name != NULL ? xstrdup(s->name) : NULL;
	rt->parent = s->parent;
	rt->timeout_at = s->timeout_at;
	snprintf(kv, sizeof kv, "PODVISOR_API_FD=%d", POD_API_FD);
	pod_env_set(rt, kv);
	rt->stop_signal = (int)s->stop_signal;
	rt->cancel_grace_ms = s->cancel_grace_ms;
	rt->term_grace_ms = s->term_grace_ms;
	return (0);
}

/* The spawn entry: the command line, readable. */
static void
pod_log_spawn(struct runtime *rt)
{
	char	*line, *p;
	size_t	 len = 0, i;

	for (i = 0; rt->argv[i] != NULL; i++)
		len += strlen(rt->argv[i]) + 1;
	p = line = xmalloc(len + 1);
	for (i = 0; rt->argv[i] != NULL; i++) {
		if (i > 0)
			*p++ = ' ';
		len = strlen(rt->argv[i]);
		memcpy(p, rt->argv[i], len);
		p += len;
	}
	*p = '\0';
	if (seglog_append(rt->log, LOG_SPAWN, line, (size_t)(p - line)) == 0)
		pod_committed(rt);
	free(line);
}

/* An HTTP pod's start: the request instead of a process (pid 0). */
static void
pod_start_http(struct runtime *rt)
{
	struct msg	 m;
	char		 cause[512];

	http_log_request(rt);
	if (http_start(rt, cause, sizeof cause) == -1) {
		pod_start_failed(rt, cause);
		return;
	}
	pod_log(rt, LOG_START, "HTTP transfer started");
	msg_init(&m, MSG_STARTED);
	m.u.started.pid = 0;
	pod_send(rt, &m);
}

/* MSG_START: open the log and start the workload. */
static void
pod_start(struct runtime *rt, const struct msg_start *s)
{
	struct msg	 m;
	char		 cause[512];

	if (pod_take_start(rt, s, cause, sizeof cause) == -1) {
		peer_error(rt->peer, ERR_PROTOCOL, "%s", cause);
		return;
	}
	rt->state = RT_RUNNING;
	rt->log = seglog_create(rt->dir, pod_map_size, cause, sizeof cause);
	if (rt->log == NULL) {
		pod_start_failed(rt, cause);
		return;
	}
	if (seglog_set_cap(rt->log, rt->log_max) == -1)
		log_warnx("pod %llu: cannot cap the log: output is kept whole",
		    (unsigned long long)rt->id);
	if (rt->http_req.url != NULL) {
		pod_start_http(rt);
		return;
	}
	pod_log_spawn(rt);
	if (workload_start(rt, cause, sizeof cause) == -1) {
		pod_start_failed(rt, cause);
		return;
	}
	pod_log(rt, LOG_START, "pid %ld", (long)rt->pid);
	log_debug("pod %llu: started pid %ld", (unsigned long long)rt->id,
	    (long)rt->pid);
	msg_init(&m, MSG_STARTED);
	m.u.started.pid = (uint64_t)rt->pid;
	pod_send(rt, &m);
}

/* Remember a cancel: the workload hears it now, or at its hello. */
static void
pod_note_cancel(struct runtime *rt, const char *reason, const char *by,
    int64_t deadline)
{
	free(rt->cancel.reason);
	free(rt->cancel.by);
	rt->cancel.sent = true;
	rt->cancel.reason = xstrdup(reason);
	rt->cancel.by = xstrdup(by);
	rt->cancel.deadline = deadline;
}

/* An HTTP pod's cancel: --on-cancel abort ends the transfer now, finish
 * lets it go on until SIGTERM; a timeout or a heartbeat timeout (a
 * stall) always aborts: the time asked for is up. */
static void
pod_cancel_http(struct runtime *rt, const char *ts)
{
	bool	 abort = (rt->http_req.on_cancel != NULL &&
	    strcmp(rt->http_req.on_cancel, "abort") == 0) ||
	    strcmp(rt->cancel.reason, "timeout") == 0 ||
	    strcmp(rt->cancel.reason, "heartbeat-timeout") == 0;

	if (!http_live(rt))
		pod_log(rt, LOG_CANCEL, "reason: %s: the transfer is over",
		    rt->cancel.reason);
	else if (abort) {
		pod_log(rt, LOG_CANCEL, "reason: %s: aborting the transfer",
		    rt->cancel.reason);
		http_abort(rt, 0);
	} else
		pod_log(rt, LOG_CANCEL, "reason: %s: the transfer may finish "
		    "until SIGTERM at %s", rt->cancel.reason, ts);
}

/* The cooperative stop: a message on the pod API when the workload
 * handles it, else the pod's stop signal. */
static void
pod_deliver_cancel(struct runtime *rt)
{
	char	 ts[64];

	format_ts(rt->cancel.deadline, ts, sizeof ts);
	if (rt->http_req.url != NULL) {
		pod_cancel_http(rt, ts);
		return;
	}
	if (api_cancel(rt)) {
		pod_log(rt, LOG_CANCEL, "reason: %s (requested by %s): sent "
		    "through the pod API; SIGTERM at %s", rt->cancel.reason,
		    rt->cancel.by, ts);
		return;
	}
	pod_log(rt, LOG_CANCEL, "reason: %s", rt->cancel.reason);
	(void)workload_signal(rt, rt->stop_signal, false);
}

/* MSG_CANCEL from podvisord. */
static void
pod_cancel(struct runtime *rt, const struct msg_cancel *c)
{
	int64_t	 deadline = c->deadline;

	pod_resume(rt);		/* a paused workload must hear it */
	if (deadline == WIRE_NONE)
		deadline = now_ns() + (int64_t)rt->cancel_grace_ms * 1000000;
	pod_note_cancel(rt, c->reason, c->requested_by != NULL ?
	    c->requested_by : "podvisord", deadline);
	pod_deliver_cancel(rt);
}

/* MSG_SIGNAL: a signal to the group, and with tree to every descendant. */
static void
pod_signal(struct runtime *rt, int sig, bool tree)
{
	char	 buf[32];

	if (rt->http != NULL) {
		pod_log(rt, LOG_SIGNAL, "%s to the HTTP transfer", pod_signame(
		    sig, buf, sizeof buf));
		http_signal(rt, sig);
		return;
	}
	pod_log(rt, LOG_SIGNAL, "%s to the %s", pod_signame(sig, buf,
	    sizeof buf), tree ? "pod's processes" : "process group");
	(void)workload_signal(rt, sig, tree);
}

/* A queued copy of a notify message. */
static struct pod_notify *
pod_notify_copy(const struct msg_notify *m, int prio, uint64_t seq)
{
	struct pod_notify	*n;

	n = xcalloc(1, sizeof *n + m->data.len);
	n->seq = seq;
	n->prio = prio;
	n->key = m->key != NULL ? xstrdup(m->key) : NULL;
	if (m->preempted.n > 0) {
		n->preempted = xreallocarray(NULL, m->preempted.n,
		    sizeof *n->preempted);
		memcpy(n->preempted, m->preempted.v,
		    m->preempted.n * sizeof *n->preempted);
		n->npreempted = m->preempted.n;
	}
	n->len = m->data.len;
	if (m->data.len > 0)
		memcpy(n->data, m->data.ptr, m->data.len);
	return (n);
}

/* MSG_NOTIFY: log it, queue it for the workload, reply with its seq. */
static void
pod_notify(struct runtime *rt, const struct msg_notify *m)
{
	struct msg	 reply;
	uint64_t	 seq;
	int		 prio;

	if ((prio = queue_priority(m->priority)) == -1) {
		peer_reply_error(rt->peer, ERR_USAGE, "unknown priority '%s'",
		    m->priority);
		return;
	}
	if (rt->log == NULL || seglog_append(rt->log, LOG_NOTIFY, m->data.ptr,
	    m->data.len) == -1) {
		peer_reply_error(rt->peer, ERR_FAILED,
		    "cannot log the message");
		return;
	}
	seq = seglog_last_seq(rt->log);
	queue_add(rt, pod_notify_copy(m, prio, seq));
	pod_committed(rt);
	msg_init(&reply, MSG_NOTIFIED);
	reply.u.notified.seq = seq;
	pod_send(rt, &reply);
	api_deliver(rt);
}

/* MSG_RECORD: a lifecycle entry only podvisord knows of (a child pod's
 * spawn or end, this pod's orphaning). */
static void
pod_record(struct runtime *rt, const struct msg_record *r)
{
	struct msg	m;
	int		kind = log_kind_from_name(r->kind);

	if (kind != LOG_CHILD && kind != LOG_PARENT) {
		peer_reply_error(rt->peer, ERR_USAGE, "cannot record an "
		    "entry of kind '%s'", r->kind);
		return;
	}
	if (rt->log == NULL ||
	    seglog_append(rt->log, kind, r->data.ptr, r->data.len) == -1)
		return;
	pod_committed(rt);
	/* The ack tells podvisord it need not write the entry itself. */
	msg_init(&m, MSG_OK);
	m.u.ok.seq = seglog_last_seq(rt->log);
	pod_send(rt, &m);
}

/* Tell podvisord the pod is paused. */
static void
pod_report_paused(struct runtime *rt, bool frozen)
{
	struct msg	 m;

	msg_init(&m, MSG_PAUSED);
	m.u.paused.frozen = frozen;
	pod_send(rt, &m);
}

/* Freeze the pod: SIGSTOP to every process of it. */
static void
pod_freeze(struct runtime *rt)
{
	evtimer_del(rt->pause_timer);
	rt->pause = POD_PAUSE_FROZEN;
	if (rt->http != NULL) {
		pod_log(rt, LOG_SIGNAL, "the HTTP transfer is paused");
		http_pause(rt, true);
	} else {
		pod_log(rt, LOG_SIGNAL, "SIGSTOP to the pod's processes: "
		    "paused");
		(void)workload_signal(rt, SIGSTOP, true);
	}
	pod_report_paused(rt, true);
}

/* The workload did not confirm the pause within the cancel grace. */
static void
pod_pause_cb(int fd, short what, void *arg)
{
	struct runtime	*rt = arg;

	if (rt->pause == POD_PAUSE_ASKED && rt->state == RT_RUNNING)
		pod_freeze(rt);
}

/* MSG_PAUSE: through the pod API when the workload handles pause, else
 * (or when it does not confirm in time) by SIGSTOP. */
static void
pod_pause(struct runtime *rt)
{
	if (rt->state != RT_RUNNING || rt->cancel.sent)
		return;		/* ending: nothing to pause */
	if (rt->pause != POD_PAUSE_NONE) {
		if (rt->pause != POD_PAUSE_ASKED)
			pod_report_paused(rt, rt->pause == POD_PAUSE_FROZEN);
		return;
	}
	if (rt->api.peer == NULL || !rt->api.open || !rt->api.pause) {
		pod_freeze(rt);
		return;
	}
	rt->pause = POD_PAUSE_ASKED;
	pod_log(rt, LOG_SIGNAL, "pause asked through the pod API");
	api_pause(rt);
	pod_timer_add(rt->pause_timer, rt->cancel_grace_ms);
}

/* The workload paused itself, as asked (api.c). */
void
pod_paused(struct runtime *rt)
{
	if (rt->pause != POD_PAUSE_ASKED)
		return;		/* resumed meanwhile */
	evtimer_del(rt->pause_timer);
	rt->pause = POD_PAUSE_CONFIRMED;
	pod_log(rt, LOG_SIGNAL, "paused: the workload confirmed");
	pod_report_paused(rt, false);
}

/* MSG_RESUME, and before any stop: SIGCONT where frozen, and a resume
 * message to a workload that was asked to pause. */
static void
pod_resume(struct runtime *rt)
{
	enum pod_pause	 was = rt->pause;

	if (was == POD_PAUSE_NONE)
		return;
	evtimer_del(rt->pause_timer);
	rt->pause = POD_PAUSE_NONE;
	if (was == POD_PAUSE_FROZEN && rt->http != NULL)
		http_pause(rt, false);
	else if (was == POD_PAUSE_FROZEN)
		(void)workload_signal(rt, SIGCONT, true);
	else
		api_resume(rt);
	pod_log(rt, LOG_SIGNAL, "resumed%s", was == POD_PAUSE_FROZEN ?
	    ": SIGCONT to the pod's processes" : "");
}

/* Stop the workload without podvisord: cancel, SIGTERM, SIGKILL. */
static void
pod_stop_self(struct runtime *rt, const char *reason)
{
	if (rt->state != RT_RUNNING || rt->stop != POD_STOP_NONE)
		return;
	log_warnx("pod %llu: stopping the workload (%s)",
	    (unsigned long long)rt->id, reason);
	if (!rt->cancel.sent)
		pod_note_cancel(rt, reason, "the pod runtime", now_ns() +
		    (int64_t)rt->cancel_grace_ms * 1000000);
	pod_resume(rt);		/* nothing is left frozen unwatched */
	pod_stage(rt, POD_STOP_CANCEL);
}

/* Enter a stage of the runtime's own stop and arm its deadline. */
static void
pod_stage(struct runtime *rt, enum pod_stop stage)
{
	rt->stop = stage;
	switch (stage) {
	case POD_STOP_CANCEL:
		pod_deliver_cancel(rt);
		pod_timer_add(rt->stop_timer, rt->cancel_grace_ms);
		break;
	case POD_STOP_TERM:
		pod_log(rt, LOG_SIGNAL, "SIGTERM to the pod's processes");
		if (rt->http != NULL)
			http_signal(rt, SIGTERM);
		(void)workload_signal(rt, SIGTERM, true);
		if (rt->pid > 1 && !rt->reaped)
			(void)kill(-rt->pid, SIGCONT);
		pod_timer_add(rt->stop_timer, rt->term_grace_ms);
		break;
	case POD_STOP_KILL:
		pod_log(rt, LOG_SIGNAL, "SIGKILL to the pod's processes");
		if (rt->http != NULL)
			http_signal(rt, SIGKILL);
		(void)workload_signal(rt, SIGKILL, true);
		break;
	case POD_STOP_NONE:
		break;
	}
}

/* A stop deadline passed: escalate. */
static void
pod_stop_cb(int fd, short what, void *arg)
{
	struct runtime	*rt = arg;

	if (rt->state != RT_RUNNING)
		return;
	if (rt->stop == POD_STOP_CANCEL)
		pod_stage(rt, POD_STOP_TERM);
	else if (rt->stop == POD_STOP_TERM)
		pod_stage(rt, POD_STOP_KILL);
}

/* Tell podvisord how the main process (or the transfer) ended. */
void
pod_send_ended(struct runtime *rt)
{
	struct msg	 m;

	msg_init(&m, MSG_ENDED);
	if (rt->error != NULL) {
		m.u.ended.exit_code = 127;
		m.u.ended.error = rt->error;
	} else if (rt->http != NULL)
		http_fill_ended(rt, &m);
	else if (WIFSIGNALED(rt->wstatus))
		m.u.ended.signal = WTERMSIG(rt->wstatus);
	else
		m.u.ended.exit_code = WEXITSTATUS(rt->wstatus);
	pod_send(rt, &m);
}

/* The leftover sweep: a short settle first, so that processes already
 * dying of a signal sent to the whole group are not counted; then SIGTERM,
 * and SIGKILL after the leftover grace, repeated until none remain. */
static void
pod_sweep_cb(int fd, short what, void *arg)
{
	struct runtime	*rt = arg;

	if (rt->state != RT_CLEANUP)
		return;
	if (rt->sweep == POD_SWEEP_SETTLE && rt->stop != POD_STOP_KILL) {
		rt->sweep = POD_SWEEP_TERM;
		if (workload_sweep(rt, SIGTERM) > 0)
			pod_timer_add(rt->sweep_timer, POD_LEFTOVER_MS);
		return;
	}
	rt->sweep = POD_SWEEP_KILL;
	if (workload_sweep(rt, SIGKILL) > 0)
		pod_timer_add(rt->sweep_timer, POD_SWEEP_MS);
}

/* The main process was reaped: report it, then clean up after it. */
static void
pod_reaped(struct runtime *rt, int status)
{
	rt->reaped = true;
	rt->wstatus = status;
	rt->state = RT_CLEANUP;
	rt->pause = POD_PAUSE_NONE;
	evtimer_del(rt->pause_timer);
	evtimer_del(rt->stop_timer);
	log_debug("pod %llu: main process %ld ended (status 0x%x)",
	    (unsigned long long)rt->id, (long)rt->pid, status);
	pod_send_ended(rt);
	rt->sweep = POD_SWEEP_SETTLE;
	pod_timer_add(rt->sweep_timer, POD_SETTLE_MS);
}

/* SIGCHLD: reap everything, the main process and adopted orphans. */
static void
pod_sigchld(int sig, short what, void *arg)
{
	struct runtime	*rt = arg;
	pid_t		 pid;
	int		 status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			if (pid == rt->pid && !rt->reaped)
				pod_reaped(rt, status);
			continue;
		}
		if (pid == -1 && errno == EINTR)
			continue;
		rt->nochild = pid == -1 && errno == ECHILD;
		break;
	}
	pod_check_done(rt);
}

/* No child left but a pipe is still open (held by a stranger): read what
 * it holds and stop waiting for its EOF. */
static void
pod_drain_cb(int fd, short what, void *arg)
{
	struct runtime	*rt = arg;

	workload_drain(&rt->out[0]);
	workload_drain(&rt->out[1]);
	api_drain(rt);
	pod_check_done(rt);
}

/* Finish once the main process is reaped, no child and no pipe is left,
 * and the API channel is closed: whatever the workload wrote before it
 * ended is in the log before the exit entry. */
void
pod_check_done(struct runtime *rt)
{
	if (rt->state != RT_CLEANUP || !rt->nochild)
		return;
	if (rt->out[0].fd != -1 || rt->out[1].fd != -1 ||
	    rt->api.peer != NULL) {
		if (!evtimer_pending(rt->drain_timer, NULL))
			pod_timer_add(rt->drain_timer,
			    POD_LEFTOVER_MS);
		return;
	}
	pod_finish(rt);
}

/* The exit entry's text. */
static void
pod_exit_text(struct runtime *rt, char *buf, size_t len)
{
	char	 sb[32];
	int	 sig;

	if (rt->http != NULL && rt->error == NULL) {
		http_exit_text(rt, buf, len);
		return;
	}
	if (WIFSIGNALED(rt->wstatus)) {
		sig = WTERMSIG(rt->wstatus);
		snprintf(buf, len, "killed by signal %s%s",
		    pod_signame(sig, sb, sizeof sb),
		    WCOREDUMP(rt->wstatus) ? " (core dumped)" : "");
	} else
		snprintf(buf, len, "exited with code %d",
		    WEXITSTATUS(rt->wstatus));
}

/* Write the last entries before reporting the end.  With podvisord there
 * to report to, it syncs them: one syncfs for every pod that ends while
 * another sync runs (group commit), instead of an fdatasync each; a
 * runtime that lost podvisord syncs its own.  Returns whether it did. */
static bool
pod_log_exit(struct runtime *rt)
{
	char	 text[128];

	if (rt->log == NULL)
		return (true);
	pod_exit_text(rt, text, sizeof text);
	(void)seglog_begin(rt->log);
	if (rt->nleftovers > 0)
		(void)seglog_appendf(rt->log, LOG_LEFTOVER,
		    "killed %zu leftover process%s", rt->nleftovers,
		    rt->nleftovers == 1 ? "" : "es");
	(void)seglog_append(rt->log, LOG_EXIT, text, strlen(text));
	(void)seglog_commit(rt->log);
	if (rt->peer == NULL)
		(void)seglog_sync(rt->log);
	pod_committed(rt);
	rt->dirty = false;
	evtimer_del(rt->sync_timer);
	return (rt->peer == NULL);
}

/* Everything is over: log, report, flush the channel, then exit. */
static void
pod_finish(struct runtime *rt)
{
	struct msg	 m;
	bool		 synced;

	rt->state = RT_DONE;
	evtimer_del(rt->stop_timer);
	evtimer_del(rt->sweep_timer);
	evtimer_del(rt->drain_timer);
	synced = pod_log_exit(rt);
	log_debug("pod %llu: done, %zu leftovers", (unsigned long long)rt->id,
	    rt->nleftovers);
	if (rt->peer == NULL) {
		event_base_loopbreak(rt->base);
		return;
	}
	msg_init(&m, MSG_EXITED);
	m.u.exited.leftovers = rt->nleftovers;
	m.u.exited.unsynced = !synced;
	pod_send(rt, &m);
	peer_close(rt->peer);
	pod_timer_add(rt->flush_timer, POD_FLUSH_MS);
}

/* The channel could not be flushed in time: exit all the same. */
static void
pod_flush_cb(int fd, short what, void *arg)
{
	struct runtime	*rt = arg;

	log_warnx("podvisord does not read: exiting");
	event_base_loopbreak(rt->base);
}

/* The channel is gone: podvisord died, closed it, or we finished. */
static void
pod_lost(struct runtime *rt)
{
	rt->peer = NULL;
	api_supervisor_lost(rt);
	switch (rt->state) {
	case RT_IDLE:
		event_base_loopbreak(rt->base);
		break;
	case RT_RUNNING:
		pod_stop_self(rt, "supervisor-lost");
		break;
	case RT_CLEANUP:
		break;		/* finishes on its own */
	case RT_DONE:
		evtimer_del(rt->flush_timer);
		event_base_loopbreak(rt->base);
		break;
	}
}

/* SIGTERM, SIGINT or SIGHUP to the runtime: stop the workload, then exit. */
static void
pod_sigstop(int sig, short what, void *arg)
{
	struct runtime	*rt = arg;
	char		 reason[64];

	if (rt->state == RT_IDLE) {
		event_base_loopbreak(rt->base);
		return;
	}
	snprintf(reason, sizeof reason, "%s to the pod runtime",
	    signal_name(sig));
	pod_stop_self(rt, reason);
}

/* A message from podvisord; NULL when the channel is lost. */
void
pod_dispatch(struct peer *peer, struct msg *m, void *arg)
{
	struct runtime	*rt = arg;

	if (m == NULL) {
		pod_lost(rt);
		return;
	}
	if (rt->state == RT_DONE) {
		if (m->type == MSG_NOTIFY)
			peer_reply_error(peer, ERR_FAILED, "the pod has ended");
		return;
	}
	switch (m->type) {
	case MSG_START:
		if (rt->state != RT_IDLE)
			goto bad;
		pod_start(rt, &m->u.start);
		break;
	case MSG_CANCEL:
		if (rt->state == RT_IDLE)
			goto bad;
		pod_cancel(rt, &m->u.cancel);
		break;
	case MSG_SIGNAL:
		if (rt->state == RT_IDLE)
			goto bad;
		if (m->u.signal.signal < 1 || m->u.signal.signal >= NSIG) {
			peer_reply_error(peer, ERR_USAGE, "bad signal %llu",
			    (unsigned long long)m->u.signal.signal);
			break;
		}
		pod_signal(rt, (int)m->u.signal.signal, m->u.signal.tree);
		break;
	case MSG_NOTIFY:
		if (rt->state == RT_IDLE)
			goto bad;
		pod_notify(rt, &m->u.notify);
		break;
	case MSG_RECORD:
		if (rt->state == RT_IDLE)
			goto bad;
		pod_record(rt, &m->u.record);
		break;
	case MSG_CHILD:
		if (rt->state == RT_IDLE)
			goto bad;
		api_child(rt, m);
		break;
	case MSG_PAUSE:
		if (rt->state == RT_IDLE)
			goto bad;
		pod_pause(rt);
		break;
	case MSG_RESUME:
		if (rt->state == RT_IDLE)
			goto bad;
		pod_resume(rt);
		break;
	case MSG_EXTENDED:
	case MSG_OK:
	case MSG_ERROR:
		if (api_reply(rt, m) == -1)
			goto bad;
		break;
	default:
		goto bad;
	}
	return;
bad:
	log_warnx("unexpected message '%s' from podvisord",
	    msg_type_name(m->type));
	peer_error(peer, ERR_PROTOCOL, "unexpected message '%s'",
	    msg_type_name(m->type));
}

/* Make a signal event or die trying (start-up only). */
static struct event *
pod_signal_event(struct runtime *rt, int sig, event_callback_fn cb)
{
	struct event	*ev;

	if ((ev = evsignal_new(rt->base, sig, cb, rt)) == NULL ||
	    evsignal_add(ev, NULL) == -1)
		fatalx("cannot watch %s", signal_name(sig));
	return (ev);
}

/* Make a timer or die trying (start-up only). */
static struct event *
pod_timer_new(struct runtime *rt, event_callback_fn cb)
{
	struct event	*ev;

	if ((ev = evtimer_new(rt->base, cb, rt)) == NULL)
		fatalx("cannot make a timer");
	return (ev);
}

/* Set up the runtime's state, its signal events and its timers. */
void
runtime_init(struct runtime *rt, struct event_base *base)
{
	int	 i;

	memset(rt, 0, sizeof *rt);
	rt->base = base;
	rt->state = RT_IDLE;
	rt->burst_max = POD_BURST_MAX;
	rt->parent = rt->timeout_at = WIRE_NONE;
	for (i = 0; i < POD_NPRIO; i++)
		TAILQ_INIT(&rt->queue[i]);
	TAILQ_INIT(&rt->api.pending);
	for (i = 0; i < 2; i++) {
		rt->out[i].rt = rt;
		rt->out[i].fd = -1;
	}
	rt->out[0].kind = LOG_STDOUT;
	rt->out[1].kind = LOG_STDERR;

	rt->ev_sigchld = pod_signal_event(rt, SIGCHLD, pod_sigchld);
	rt->ev_sigterm = pod_signal_event(rt, SIGTERM, pod_sigstop);
	rt->ev_sigint = pod_signal_event(rt, SIGINT, pod_sigstop);
	rt->ev_sighup = pod_signal_event(rt, SIGHUP, pod_sigstop);
	rt->stop_timer = pod_timer_new(rt, pod_stop_cb);
	rt->sweep_timer = pod_timer_new(rt, pod_sweep_cb);
	rt->drain_timer = pod_timer_new(rt, pod_drain_cb);
	rt->sync_timer = pod_timer_new(rt, pod_sync_cb);
	rt->flush_timer = pod_timer_new(rt, pod_flush_cb);
	rt->pause_timer = pod_timer_new(rt, pod_pause_cb);
}

/* Release everything (the events before the base goes). */
void
runtime_free(struct runtime *rt)
{
	workload_close_stream(&rt->out[0]);
	workload_close_stream(&rt->out[1]);
	http_free(rt);
	pod_free_http(&rt->http_req);
	event_free(rt->ev_sigchld);
	event_free(rt->ev_sigterm);
	event_free(rt->ev_sigint);
	event_free(rt->ev_sighup);
	event_free(rt->stop_timer);
	event_free(rt->sweep_timer);
	event_free(rt->drain_timer);
	event_free(rt->sync_timer);
	event_free(rt->flush_timer);
	event_free(rt->pause_timer);
	if (rt->peer != NULL)
		peer_free(rt->peer);
	api_close(rt);
	queue_free(rt);
	seglog_close(rt->log);
	if (rt->argv != NULL)
		strv_free(rt->argv);
	if (rt->env != NULL)
		strv_free(rt->env);
	free(rt->cwd);
	free(rt->dir);
	free(rt->name);
	free(rt->cancel.reason);
	free(rt->cancel.by);
	free(rt->error);
	free(rt->leftovers);
	free(rt->groups);
}
