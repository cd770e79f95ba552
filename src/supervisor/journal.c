/*
 * Lifecycle entries that only the supervisor knows of — a child pod
 * spawned or ended, a pod orphaned — written into a pod's segment log so
 * that its log tells its whole story.
 *
 * The runtime is the log's only writer while it runs, so the entry goes
 * to it as a record message, and stays in flight until the runtime
 * acknowledges it (a runtime that is finishing may never read it).  Once
 * the runtime has reported its exit it takes no more messages and writes
 * no more (it may still have the log open while it closes): entries wait
 * on the pod until it concludes, or until a runtime that never reported
 * is reaped, and from then on the supervisor, now the only writer,
 * appends them itself — the unacknowledged ones first — batched like the
 * registry: once per loop pass, one transaction per pod.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"
#include "seglog.h"

static struct podlist	pending = TAILQ_HEAD_INITIALIZER(pending);

struct journal_entry {
	int	 kind;
	char	*text;
	TAILQ_ENTRY(journal_entry) entry;
};

/* Append entries to a pod whose runtime is gone. */
static void
journal_write(struct pod *pod)
{
	struct journal_entry	*e;
	struct seglog		*log;
	char			 dir[PATH_MAX], cause[256];

	/* One LMDB handle per environment per process: drop the reader
	 * (streams reopen it on their next read). */
	if (pod->log_reader != NULL) {
		seglog_close(pod->log_reader);
		pod->log_reader = NULL;
	}
	pod_dir(pod->id, dir, sizeof dir);
	if ((log = seglog_create(dir, 0, cause, sizeof cause)) == NULL)
		log_warnx("pod %" PRIu64 ": %s", pod->id, cause);
	else if (seglog_begin(log) == -1) {
		seglog_close(log);
		log = NULL;
	}
	while ((e = TAILQ_FIRST(&pod->journal)) != NULL) {
		TAILQ_REMOVE(&pod->journal, e, entry);
		if (log != NULL)
			seglog_append(log, e->kind, e->text, strlen(e->text));
		free(e->text);
		free(e);
	}
	if (log != NULL) {
		/* Committed is enough: it survives our crash (see registry.c). */
		seglog_commit(log);
		pod->log_seq = seglog_last_seq(log);
		seglog_close(log);
	}
	logs_advanced(pod);
}

/* The runtime is gone: what it never acknowledged goes back to the
 * front of the queue, in order. */
static void
journal_requeue(struct pod *pod)
{
	struct journal_entry	*e;

	while ((e = TAILQ_LAST(&pod->journal_sent, journallist)) != NULL) {
		TAILQ_REMOVE(&pod->journal_sent, e, entry);
		TAILQ_INSERT_HEAD(&pod->journal, e, entry);
	}
}

/* The runtime committed the oldest entry in flight. */
bool
journal_acked(struct pod *pod)
{
	struct journal_entry	*e;

	if ((e = TAILQ_FIRST(&pod->journal_sent)) == NULL)
		return (false);
	TAILQ_REMOVE(&pod->journal_sent, e, entry);
	free(e->text);
	free(e);
	return (true);
}

/* Send queued entries to the runtime, or write them if it is gone. */
void
journal_flush(struct pod *pod)
{
	struct journal_entry	*e;
	struct msg		 msg;

	if (TAILQ_EMPTY(&pod->journal) && TAILQ_EMPTY(&pod->journal_sent))
		return;
	if (pod->peer != NULL && pod->phase != PHASE_EXITED &&
	    pod->phase != PHASE_FAULTY) {
		while ((e = TAILQ_FIRST(&pod->journal)) != NULL) {
			TAILQ_REMOVE(&pod->journal, e, entry);
			msg_init(&msg, MSG_RECORD);
			msg.u.record.kind = (char *)log_kind_name(e->kind);
			msg.u.record.data.ptr = (uint8_t *)e->text;
			msg.u.record.data.len = strlen(e->text);
			peer_send(pod->peer, &msg);
			TAILQ_INSERT_TAIL(&pod->journal_sent, e, entry);
		}
		return;
	}
	journal_requeue(pod);
	/* Between runs, as after the last, no runtime writes the log. */
	if ((POD_TERMINAL(pod) || pod->state == POD_RESTARTING) &&
	    !pod->journal_pending) {
		pod->journal_pending = true;
		TAILQ_INSERT_TAIL(&pending, pod, journal_link);
		sv_kick();
	}
	/* else: the runtime is finishing; pod_conclude() flushes again. */
}

/* Write the entries of every terminal pod that has some queued. */
void
journal_write_pending(void)
{
	struct pod	*pod;

	while ((pod = TAILQ_FIRST(&pending)) != NULL) {
		TAILQ_REMOVE(&pending, pod, journal_link);
		pod->journal_pending = false;
		journal_write(pod);
	}
}

/* Write a pod's queued entries now, its runtime being gone: before a new
 * run's runtime opens the log, so that they come first. */
void
journal_write_now(struct pod *pod)
{
	if (pod->journal_pending) {
		TAILQ_REMOVE(&pending, pod, journal_link);
		pod->journal_pending = false;
	}
	journal_requeue(pod);
	journal_write(pod);
}

/* Record a lifecycle entry of the given kind in the pod's log. */
void
journal(struct pod *pod, int kind, const char *fmt, ...)
{
	struct journal_entry	*e;
	va_list			 ap;

	e = xcalloc(1, sizeof *e);
	e->kind = kind;
	va_start(ap, fmt);
	if (vasprintf(&e->text, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	TAILQ_INSERT_TAIL(&pod->journal, e, entry);
	journal_flush(pod);
}

/* Drop unwritten entries (the pod is being freed). */
void
journal_discard(struct pod *pod)
{
	struct journal_entry	*e;

	if (pod->journal_pending) {
		TAILQ_REMOVE(&pending, pod, journal_link);
		pod->journal_pending = false;
	}
	journal_requeue(pod);
	while ((e = TAILQ_FIRST(&pod->journal)) != NULL) {
		TAILQ_REMOVE(&pod->journal, e, entry);
		free(e->text);
		free(e);
	}
}

/* Write one list's entries as handover lines (reexec.c). */
static void
journal_handover_list(struct pod *pod, struct journallist *list, int sent,
    FILE *f)
{
	struct journal_entry	*e;
	const char		*p;

	TAILQ_FOREACH(e, list, entry) {
		fprintf(f, "journal %" PRIu64 " %d %d ", pod->id, sent,
		    e->kind);
		if (*e->text == '\0')
			fputc('-', f);
		for (p = e->text; *p != '\0'; p++)
			fprintf(f, "%02x", (unsigned char)*p);
		fputc('\n', f);
	}
}

/* Across a re-exec: the entries in flight (sent, to be acknowledged) and
 * those still queued, in order. */
void
journal_handover(struct pod *pod, FILE *f)
{
	journal_handover_list(pod, &pod->journal_sent, 1, f);
	journal_handover_list(pod, &pod->journal, 0, f);
}

/* Take back one entry the previous program handed over; text is owned
 * from now on. */
void
journal_adopt(struct pod *pod, bool sent, int kind, char *text)
{
	struct journal_entry	*e;

	e = xcalloc(1, sizeof *e);
	e->kind = kind;
	e->text = text;
	TAILQ_INSERT_TAIL(sent ? &pod->journal_sent : &pod->journal, e, entry);
}
