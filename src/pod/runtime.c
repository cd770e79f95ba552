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
#include "config.h"

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

static void	pod_stage(struct pod *, enum pod_stop);
static void	pod_finish(struct pod *);
static void	pod_send_ended(struct pod *);

/* Arm a one-shot timer ms from now. */
static void
pod_timer_add(struct event *ev, uint64_t ms)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	if (evtimer_add(ev, &tv) == -1)
		fatalx("cannot arm a timer");
}

/* Send to podvisord unless the channel is gone. */
static void
pod_send(struct pod *pod, const struct msg *m)
{
	if (pod->peer != NULL)
		(void)peer_send(pod->peer, m);
}

/* Something was committed: schedule a sync, tell podvisord the seq. */
void
pod_committed(struct pod *pod)
{
	struct msg	 m;
	uint64_t	 seq;

	if (pod->log == NULL)
		return;
	pod->dirty = true;
	if (!evtimer_pending(pod->sync_timer, NULL))
		pod_timer_add(pod->sync_timer, POD_SYNC_MS);
	seq = seglog_last_seq(pod->log);
	if (seq <= pod->logged_seq)
		return;
	pod->logged_seq = seq;
	msg_init(&m, MSG_LOGGED);
	m.u.logged.seq = seq;
	pod_send(pod, &m);
}

/* Append a formatted control entry and commit it. */
static void __attribute__((format(printf, 3, 4)))
pod_log(struct pod *pod, int kind, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	if (pod->log == NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		return;
	if (seglog_append(pod->log, kind, s, (size_t)n) == 0)
		pod_committed(pod);
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
	struct pod	*pod = arg;

	if (!pod->dirty)
		return;
	pod->dirty = false;
	(void)seglog_sync(pod->log);
}

/* The workload could not start: record why (pid 0: no child to reap). */
static void
pod_start_failed(struct pod *pod, const char *cause)
{
	log_warnx("pod %llu: %s", (unsigned long long)pod->id, cause);
	free(pod->error);
	pod->error = xstrdup(cause);
	pod_log(pod, LOG_ERROR, "%s", cause);
	if (pod->pid > 0)
		return;		/* reaped later; MSG_ENDED goes then */
	pod->reaped = true;
	pod->nochild = true;
	pod->wstatus = 127 << 8;
	pod->state = POD_CLEANUP;
	pod_send_ended(pod);
	pod_check_done(pod);
}

/* Is v a uid or gid we can pass on ((uid_t)-1 means "unchanged")? */
static bool
pod_valid_id(int64_t v)
{
	return (v >= 0 && v < (int64_t)(uid_t)-1);
}

/* Copy who the workload runs as; -1 with a reason if it is unusable. */
static int
pod_take_identity(struct pod *pod, const struct msg_start *s, char *cause,
    size_t len)
{
	size_t	 i;

	pod->uid = pod->gid = WIRE_NONE;
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
	pod->uid = s->uid;
	pod->gid = s->gid;
	pod->ngroups = s->groups.n;
	pod->groups = xreallocarray(NULL, s->groups.n + 1, sizeof *pod->groups);
	for (i = 0; i < s->groups.n; i++)
		pod->groups[i] = (gid_t)s->groups.v[i];
	return (0);
}

/* Copy the resource limits; -1 with a reason if one is negative. */
static int
pod_take_limits(struct pod *pod, const struct msg_start *s, char *cause,
    size_t len)
{
	size_t	 i;

	pod->limits[POD_LIMIT_NOFILE] = s->limit_nofile;
	pod->limits[POD_LIMIT_NPROC] = s->limit_nproc;
	pod->limits[POD_LIMIT_AS] = s->limit_as;
	pod->limits[POD_LIMIT_CPU] = s->limit_cpu;
	for (i = 0; i < POD_NLIMITS; i++) {
		if (pod->limits[i] < 0 && pod->limits[i] != WIRE_NONE) {
			snprintf(cause, len, "bad limit %lld",
			    (long long)pod->limits[i]);
			return (-1);
		}
	}
	pod->nofile_soft = s->nofile_soft >= 0 ? s->nofile_soft : WIRE_NONE;
	pod->log_max = s->log_max;
	/* LMDB reuses the pages a transaction frees only after it commits:
	 * next to a small cap, short bursts keep the file near the cap. */
	pod->burst_max = POD_BURST_MAX;
	if (s->log_max != 0 && s->log_max / 4 < POD_BURST_MAX)
		pod->burst_max = s->log_max / 4 > POD_READ_CHUNK ?
		    (size_t)(s->log_max / 4) : POD_READ_CHUNK;
	return (0);
}

/* Copy what MSG_START says; -1 with a reason if it is unusable. */
static int
pod_take_start(struct pod *pod, const struct msg_start *s, char *cause,
    size_t len)
{
	if (s->argv == NULL || s->argv[0] == NULL || s->argv[0][0] == '\0') {
		snprintf(cause, len, "start without a command");
		return (-1);
	}
	if (s->stop_signal < 1 || s->stop_signal >= NSIG) {
		snprintf(cause, len, "bad stop signal %llu",
		    (unsigned long long)s->stop_signal);
		return (-1);
	}
	if (pod_take_identity(pod, s, cause, len) == -1 ||
	    pod_take_limits(pod, s, cause, len) == -1)
		return (-1);
	pod->id = s->id;
	pod->argv = xstrvdup(s->argv);
	pod->env = s->env != NULL ? xstrvdup(s->env) : NULL;
	pod->cwd = xstrdup(s->cwd);
	pod->dir = xstrdup(s->dir);
	pod->stop_signal = (int)s->stop_signal;
	pod->cancel_grace_ms = s->cancel_grace_ms;
	pod->term_grace_ms = s->term_grace_ms;
	pod->leftover_grace_ms = s->leftover_grace_ms != 0 ?
	    s->leftover_grace_ms : POD_LEFTOVER_MS;
	return (0);
}

/* The spawn entry: the command line, readable. */
static void
pod_log_spawn(struct pod *pod)
{
	char	*line, *p;
	size_t	 len = 0, i;

	for (i = 0; pod->argv[i] != NULL; i++)
		len += strlen(pod->argv[i]) + 1;
	p = line = xmalloc(len + 1);
	for (i = 0; pod->argv[i] != NULL; i++) {
		if (i > 0)
			*p++ = ' ';
		len = strlen(pod->argv[i]);
		memcpy(p, pod->argv[i], len);
		p += len;
	}
	*p = '\0';
	if (seglog_append(pod->log, LOG_SPAWN, line, (size_t)(p - line)) == 0)
		pod_committed(pod);
	free(line);
}

/* MSG_START: open the log and start the workload. */
static void
pod_start(struct pod *pod, const struct msg_start *s)
{
	struct msg	 m;
	char		 cause[512];

	if (pod_take_start(pod, s, cause, sizeof cause) == -1) {
		peer_error(pod->peer, ERR_PROTOCOL, "%s", cause);
		return;
	}
	pod->state = POD_RUNNING;
	pod->log = seglog_create(pod->dir, pod_map_size, cause, sizeof cause);
	if (pod->log == NULL) {
		pod_start_failed(pod, cause);
		return;
	}
	if (seglog_set_cap(pod->log, pod->log_max) == -1)
		log_warnx("pod %llu: cannot cap the log: output is kept whole",
		    (unsigned long long)pod->id);
	pod_log_spawn(pod);
	if (workload_start(pod, cause, sizeof cause) == -1) {
		pod_start_failed(pod, cause);
		return;
	}
	pod_log(pod, LOG_START, "pid %ld", (long)pod->pid);
	log_debug("pod %llu: started pid %ld", (unsigned long long)pod->id,
	    (long)pod->pid);
	msg_init(&m, MSG_STARTED);
	m.u.started.pid = (uint64_t)pod->pid;
	pod_send(pod, &m);
}

/* MSG_CANCEL: the cooperative stop, as the pod's stop signal. */
static void
pod_cancel(struct pod *pod, const char *reason)
{
	pod_log(pod, LOG_CANCEL, "reason: %s", reason);
	(void)workload_signal(pod, pod->stop_signal, false);
}

/* MSG_SIGNAL: a signal to the group, and with tree to every descendant. */
static void
pod_signal(struct pod *pod, int sig, bool tree)
{
	char	 buf[32];

	pod_log(pod, LOG_SIGNAL, "%s to the %s", pod_signame(sig, buf,
	    sizeof buf), tree ? "pod's processes" : "process group");
	(void)workload_signal(pod, sig, tree);
}

/* MSG_NOTIFY: log it, keep it for the workload, reply with its seq. */
static void
pod_notify(struct pod *pod, const struct wire_bin *data)
{
	struct pod_notify	*n;
	struct msg		 m;

	if (pod->log == NULL ||
	    seglog_append(pod->log, LOG_NOTIFY, data->ptr, data->len) == -1) {
		peer_reply_error(pod->peer, ERR_FAILED,
		    "cannot log the message");
		return;
	}
	pod_committed(pod);
	if (pod->nnotifies == POD_NOTIFY_MAX) {
		/* Logged all the same: memory only keeps the newest. */
		n = TAILQ_FIRST(&pod->notifies);
		TAILQ_REMOVE(&pod->notifies, n, entry);
		free(n);
		pod->nnotifies--;
	}
	n = xmalloc(sizeof *n + data->len);
	n->seq = seglog_last_seq(pod->log);
	n->len = data->len;
	if (data->len > 0)
		memcpy(n->data, data->ptr, data->len);
	TAILQ_INSERT_TAIL(&pod->notifies, n, entry);
	pod->nnotifies++;

	msg_init(&m, MSG_NOTIFIED);
	m.u.notified.seq = n->seq;
	pod_send(pod, &m);
}

/* MSG_RECORD: a lifecycle entry only podvisord knows of (a child pod's
 * spawn or end, this pod's orphaning). */
static void
pod_record(struct pod *pod, const struct msg_record *r)
{
	struct msg	m;
	int		kind = log_kind_from_name(r->kind);

	if (kind != LOG_CHILD && kind != LOG_PARENT) {
		peer_reply_error(pod->peer, ERR_USAGE, "cannot record an "
		    "entry of kind '%s'", r->kind);
		return;
	}
	if (pod->log == NULL ||
	    seglog_append(pod->log, kind, r->data.ptr, r->data.len) == -1)
		return;
	pod_committed(pod);
	/* The ack tells podvisord it need not write the entry itself. */
	msg_init(&m, MSG_OK);
	m.u.ok.seq = seglog_last_seq(pod->log);
	pod_send(pod, &m);
}

/* Stop the workload without podvisord: cancel, SIGTERM, SIGKILL. */
static void
pod_stop_self(struct pod *pod, const char *reason)
{
	if (pod->state != POD_RUNNING || pod->stop != POD_STOP_NONE)
		return;
	log_warnx("pod %llu: stopping the workload (%s)",
	    (unsigned long long)pod->id, reason);
	pod_log(pod, LOG_CANCEL, "reason: %s", reason);
	pod_stage(pod, POD_STOP_CANCEL);
}

/* Enter a stage of the runtime's own stop and arm its deadline. */
static void
pod_stage(struct pod *pod, enum pod_stop stage)
{
	pod->stop = stage;
	switch (stage) {
	case POD_STOP_CANCEL:
		(void)workload_signal(pod, pod->stop_signal, false);
		pod_timer_add(pod->stop_timer, pod->cancel_grace_ms);
		break;
	case POD_STOP_TERM:
		pod_log(pod, LOG_SIGNAL, "SIGTERM to the pod's processes");
		(void)workload_signal(pod, SIGTERM, true);
		if (pod->pid > 1 && !pod->reaped)
			(void)kill(-pod->pid, SIGCONT);
		pod_timer_add(pod->stop_timer, pod->term_grace_ms);
		break;
	case POD_STOP_KILL:
		pod_log(pod, LOG_SIGNAL, "SIGKILL to the pod's processes");
		(void)workload_signal(pod, SIGKILL, true);
		break;
	case POD_STOP_NONE:
		break;
	}
}

/* A stop deadline passed: escalate. */
static void
pod_stop_cb(int fd, short what, void *arg)
{
	struct pod	*pod = arg;

	if (pod->state != POD_RUNNING)
		return;
	if (pod->stop == POD_STOP_CANCEL)
		pod_stage(pod, POD_STOP_TERM);
	else if (pod->stop == POD_STOP_TERM)
		pod_stage(pod, POD_STOP_KILL);
}

/* Tell podvisord how the main process ended. */
static void
pod_send_ended(struct pod *pod)
{
	struct msg	 m;

	msg_init(&m, MSG_ENDED);
	if (pod->error != NULL) {
		m.u.ended.exit_code = 127;
		m.u.ended.error = pod->error;
	} else if (WIFSIGNALED(pod->wstatus))
		m.u.ended.signal = WTERMSIG(pod->wstatus);
	else
		m.u.ended.exit_code = WEXITSTATUS(pod->wstatus);
	pod_send(pod, &m);
}

/* The leftover sweep: a short settle first, so that processes already
 * dying of a signal sent to the whole group are not counted; then SIGTERM,
 * and SIGKILL after the leftover grace, repeated until none remain. */
static void
pod_sweep_cb(int fd, short what, void *arg)
{
	struct pod	*pod = arg;

	if (pod->state != POD_CLEANUP)
		return;
	if (pod->sweep == POD_SWEEP_SETTLE && pod->stop != POD_STOP_KILL) {
		pod->sweep = POD_SWEEP_TERM;
		if (workload_sweep(pod, SIGTERM) > 0)
			pod_timer_add(pod->sweep_timer, pod->leftover_grace_ms);
		return;
	}
	pod->sweep = POD_SWEEP_KILL;
	if (workload_sweep(pod, SIGKILL) > 0)
		pod_timer_add(pod->sweep_timer, POD_SWEEP_MS);
}

/* The main process was reaped: report it, then clean up after it. */
static void
pod_reaped(struct pod *pod, int status)
{
	pod->reaped = true;
	pod->wstatus = status;
	pod->state = POD_CLEANUP;
	evtimer_del(pod->stop_timer);
	log_debug("pod %llu: main process %ld ended (status 0x%x)",
	    (unsigned long long)pod->id, (long)pod->pid, status);
	pod_send_ended(pod);
	pod->sweep = POD_SWEEP_SETTLE;
	pod_timer_add(pod->sweep_timer, POD_SETTLE_MS);
}

/* SIGCHLD: reap everything, the main process and adopted orphans. */
static void
pod_sigchld(int sig, short what, void *arg)
{
	struct pod	*pod = arg;
	pid_t		 pid;
	int		 status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			if (pid == pod->pid && !pod->reaped)
				pod_reaped(pod, status);
			continue;
		}
		if (pid == -1 && errno == EINTR)
			continue;
		pod->nochild = pid == -1 && errno == ECHILD;
		break;
	}
	pod_check_done(pod);
}

/* No child left but a pipe is still open (held by a stranger): read what
 * it holds and stop waiting for its EOF. */
static void
pod_drain_cb(int fd, short what, void *arg)
{
	struct pod	*pod = arg;

	workload_drain(&pod->out[0]);
	workload_drain(&pod->out[1]);
	pod_check_done(pod);
}

/* Finish once the main process is reaped, no child and no pipe is left. */
void
pod_check_done(struct pod *pod)
{
	if (pod->state != POD_CLEANUP || !pod->nochild)
		return;
	if (pod->out[0].fd != -1 || pod->out[1].fd != -1) {
		if (!evtimer_pending(pod->drain_timer, NULL))
			pod_timer_add(pod->drain_timer,
			    pod->leftover_grace_ms);
		return;
	}
	pod_finish(pod);
}

/* The exit entry's text. */
static void
pod_exit_text(struct pod *pod, char *buf, size_t len)
{
	char	 sb[32];
	int	 sig;

	if (WIFSIGNALED(pod->wstatus)) {
		sig = WTERMSIG(pod->wstatus);
		snprintf(buf, len, "killed by signal %s%s",
		    pod_signame(sig, sb, sizeof sb),
		    WCOREDUMP(pod->wstatus) ? " (core dumped)" : "");
	} else
		snprintf(buf, len, "exited with code %d",
		    WEXITSTATUS(pod->wstatus));
}

/* Write the last entries and sync them before reporting the end. */
static void
pod_log_exit(struct pod *pod)
{
	char	 text[64];

	if (pod->log == NULL)
		return;
	pod_exit_text(pod, text, sizeof text);
	(void)seglog_begin(pod->log);
	if (pod->nleftovers > 0)
		(void)seglog_appendf(pod->log, LOG_LEFTOVER,
		    "killed %zu leftover process%s", pod->nleftovers,
		    pod->nleftovers == 1 ? "" : "es");
	(void)seglog_append(pod->log, LOG_EXIT, text, strlen(text));
	(void)seglog_commit(pod->log);
	(void)seglog_sync(pod->log);
	pod_committed(pod);
	pod->dirty = false;
	evtimer_del(pod->sync_timer);
}

/* Everything is over: log, report, flush the channel, then exit. */
static void
pod_finish(struct pod *pod)
{
	struct msg	 m;

	pod->state = POD_DONE;
	evtimer_del(pod->stop_timer);
	evtimer_del(pod->sweep_timer);
	evtimer_del(pod->drain_timer);
	pod_log_exit(pod);
	log_debug("pod %llu: done, %zu leftovers", (unsigned long long)pod->id,
	    pod->nleftovers);
	if (pod->peer == NULL) {
		event_base_loopbreak(pod->base);
		return;
	}
	msg_init(&m, MSG_EXITED);
	m.u.exited.leftovers = pod->nleftovers;
	pod_send(pod, &m);
	peer_close(pod->peer);
	pod_timer_add(pod->flush_timer, POD_FLUSH_MS);
}

/* The channel could not be flushed in time: exit all the same. */
static void
pod_flush_cb(int fd, short what, void *arg)
{
	struct pod	*pod = arg;

	log_warnx("podvisord does not read: exiting");
	event_base_loopbreak(pod->base);
}

/* The channel is gone: podvisord died, closed it, or we finished. */
static void
pod_lost(struct pod *pod)
{
	pod->peer = NULL;
	switch (pod->state) {
	case POD_IDLE:
		event_base_loopbreak(pod->base);
		break;
	case POD_RUNNING:
		pod_stop_self(pod, "supervisor-lost");
		break;
	case POD_CLEANUP:
		break;		/* finishes on its own */
	case POD_DONE:
		evtimer_del(pod->flush_timer);
		event_base_loopbreak(pod->base);
		break;
	}
}

/* SIGTERM, SIGINT or SIGHUP to the runtime: stop the workload, then exit. */
static void
pod_sigstop(int sig, short what, void *arg)
{
	struct pod	*pod = arg;
	char		 reason[64];

	if (pod->state == POD_IDLE) {
		event_base_loopbreak(pod->base);
		return;
	}
	snprintf(reason, sizeof reason, "%s to the pod runtime",
	    signal_name(sig));
	pod_stop_self(pod, reason);
}

/* A message from podvisord; NULL when the channel is lost. */
void
pod_dispatch(struct peer *peer, struct msg *m, void *arg)
{
	struct pod	*pod = arg;

	if (m == NULL) {
		pod_lost(pod);
		return;
	}
	if (pod->state == POD_DONE) {
		if (m->type == MSG_NOTIFY)
			peer_reply_error(peer, ERR_FAILED, "the pod has ended");
		return;
	}
	switch (m->type) {
	case MSG_START:
		if (pod->state != POD_IDLE)
			goto bad;
		pod_start(pod, &m->u.start);
		break;
	case MSG_CANCEL:
		if (pod->state == POD_IDLE)
			goto bad;
		pod_cancel(pod, m->u.cancel.reason);
		break;
	case MSG_SIGNAL:
		if (pod->state == POD_IDLE)
			goto bad;
		if (m->u.signal.signal < 1 || m->u.signal.signal >= NSIG) {
			peer_reply_error(peer, ERR_USAGE, "bad signal %llu",
			    (unsigned long long)m->u.signal.signal);
			break;
		}
		pod_signal(pod, (int)m->u.signal.signal, m->u.signal.tree);
		break;
	case MSG_NOTIFY:
		if (pod->state == POD_IDLE)
			goto bad;
		pod_notify(pod, &m->u.notify.data);
		break;
	case MSG_RECORD:
		if (pod->state == POD_IDLE)
			goto bad;
		pod_record(pod, &m->u.record);
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
pod_signal_event(struct pod *pod, int sig, event_callback_fn cb)
{
	struct event	*ev;

	if ((ev = evsignal_new(pod->base, sig, cb, pod)) == NULL ||
	    evsignal_add(ev, NULL) == -1)
		fatalx("cannot watch %s", signal_name(sig));
	return (ev);
}

/* Make a timer or die trying (start-up only). */
static struct event *
pod_timer_new(struct pod *pod, event_callback_fn cb)
{
	struct event	*ev;

	if ((ev = evtimer_new(pod->base, cb, pod)) == NULL)
		fatalx("cannot make a timer");
	return (ev);
}

/* Set up the runtime's state, its signal events and its timers. */
void
pod_init(struct pod *pod, struct event_base *base)
{
	int	 i;

	memset(pod, 0, sizeof *pod);
	pod->base = base;
	pod->state = POD_IDLE;
	pod->burst_max = POD_BURST_MAX;
	TAILQ_INIT(&pod->notifies);
	for (i = 0; i < 2; i++) {
		pod->out[i].pod = pod;
		pod->out[i].fd = -1;
	}
	pod->out[0].kind = LOG_STDOUT;
	pod->out[1].kind = LOG_STDERR;

	pod->ev_sigchld = pod_signal_event(pod, SIGCHLD, pod_sigchld);
	pod->ev_sigterm = pod_signal_event(pod, SIGTERM, pod_sigstop);
	pod->ev_sigint = pod_signal_event(pod, SIGINT, pod_sigstop);
	pod->ev_sighup = pod_signal_event(pod, SIGHUP, pod_sigstop);
	pod->stop_timer = pod_timer_new(pod, pod_stop_cb);
	pod->sweep_timer = pod_timer_new(pod, pod_sweep_cb);
	pod->drain_timer = pod_timer_new(pod, pod_drain_cb);
	pod->sync_timer = pod_timer_new(pod, pod_sync_cb);
	pod->flush_timer = pod_timer_new(pod, pod_flush_cb);
}

/* Release everything (the events before the base goes). */
void
pod_free(struct pod *pod)
{
	struct pod_notify	*n;

	workload_close_stream(&pod->out[0]);
	workload_close_stream(&pod->out[1]);
	event_free(pod->ev_sigchld);
	event_free(pod->ev_sigterm);
	event_free(pod->ev_sigint);
	event_free(pod->ev_sighup);
	event_free(pod->stop_timer);
	event_free(pod->sweep_timer);
	event_free(pod->drain_timer);
	event_free(pod->sync_timer);
	event_free(pod->flush_timer);
	if (pod->peer != NULL)
		peer_free(pod->peer);
	while ((n = TAILQ_FIRST(&pod->notifies)) != NULL) {
		TAILQ_REMOVE(&pod->notifies, n, entry);
		free(n);
	}
	seglog_close(pod->log);
	if (pod->argv != NULL)
		strv_free(pod->argv);
	if (pod->env != NULL)
		strv_free(pod->env);
	free(pod->cwd);
	free(pod->dir);
	free(pod->error);
	free(pod->leftovers);
	free(pod->groups);
}
