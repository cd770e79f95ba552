/*
 * Serving segment logs and notify messages to clients.
 *
 * A log stream reads the pod's LMDB environment read-only (one handle per
 * pod, shared by every stream of it), in bounded batches, and only while
 * the client's output queue is short: a slow reader is paced by the drain
 * callback rather than buffered without bound.  Following streams resume
 * when the runtime reports new commits (logs_advanced).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"
#include "seglog.h"

#define STREAM_BATCH_BYTES	(1024 * 1024)	/* per read transaction */

struct logstream {
	struct client	*client;
	struct pod	*pod;
	uint64_t	 next;		/* next seq to send */
	bool		 follow;
	size_t		 batch_bytes;
	TAILQ_ENTRY(logstream) entry;
};

struct send_req {
	struct client	*client;	/* NULL once the client left */
	struct pod	*pod;
	TAILQ_ENTRY(send_req) entry;
};

static void	logstream_pump(struct logstream *);

/* The pod's shared read-only log handle, opened on first use. A log that
 * does not exist yet (the runtime is starting) reads as empty. */
static struct seglog *
logs_reader(struct pod *pod)
{
	char	dir[PATH_MAX], cause[256];

	if (pod->log_reader == NULL) {
		pod_dir(pod->id, dir, sizeof dir);
		pod->log_reader = seglog_open_reader(dir, cause, sizeof cause);
	}
	return (pod->log_reader);
}

/* Close the pod's log handle once no stream uses it. */
void
logs_close_reader(struct pod *pod)
{
	if (pod->log_reader != NULL && TAILQ_EMPTY(&pod->streams)) {
		seglog_close(pod->log_reader);
		pod->log_reader = NULL;
	}
}

/* Free a stream; the client may ask again. */
void
logstream_cancel(struct logstream *s)
{
	TAILQ_REMOVE(&s->pod->streams, s, entry);
	s->client->stream = NULL;
	logs_close_reader(s->pod);
	free(s);
}

/* The log is complete: the client gets its end. */
static void
logstream_finish(struct logstream *s)
{
	struct msg	msg;

	msg_init(&msg, MSG_END);
	client_send(s->client, &msg);
	logstream_cancel(s);
}

/* End a stream because its pod is being forgotten (rm, retention): the
 * end if the client has had the whole log, else an error, so that it
 * does not take the part it got for all there was. */
void
logstream_end(struct logstream *s)
{
	struct seglog	*log = logs_reader(s->pod);

	if (log == NULL || seglog_last_seq(log) < s->next) {
		logstream_finish(s);
		return;
	}
	client_reply_error(s->client, ERR_FAILED, "pod %" PRIu64 " was removed"
	    " while its log was being %s", s->pod->id,
	    s->follow ? "followed" : "read");
	logstream_cancel(s);
}

/* Send one entry to the stream's client. */
static int
logstream_visit(const struct seglog_entry *e, void *arg)
{
	struct logstream	*s = arg;
	struct msg		 msg;

	msg_init(&msg, MSG_ENTRY);
	msg.u.entry.seq = e->seq;
	msg.u.entry.ts = e->ts;
	msg.u.entry.kind = (char *)log_kind_name(e->kind);
	if (msg.u.entry.kind == NULL)
		msg.u.entry.kind = "unknown";
	msg.u.entry.data.ptr = e->data;
	msg.u.entry.data.len = e->len;
	client_send(s->client, &msg);
	s->next = e->seq + 1;
	s->batch_bytes += e->len;
	return (s->batch_bytes >= STREAM_BATCH_BYTES);
}

/* Send what is there while the client keeps up; end when complete. */
static void
logstream_pump(struct logstream *s)
{
	struct seglog	*log;
	long		 n;

	while (peer_outq(s->client->peer) < PEER_OUT_LOW) {
		s->batch_bytes = 0;
		log = logs_reader(s->pod);
		n = log ? seglog_read(log, s->next, 0, logstream_visit, s) : 0;
		if (n < 0) {
			client_reply_error(s->client, ERR_FAILED, "cannot read "
			    "the log of pod %" PRIu64, s->pod->id);
			logstream_cancel(s);
			return;
		}
		if (n > 0)
			continue;
		if (!s->follow || POD_TERMINAL(s->pod))
			logstream_finish(s);
		return;
	}
}

/* The client's output drained: continue its stream. */
static void
logs_drain_cb(struct peer *peer, void *arg)
{
	struct client	*c = arg;

	if (c->stream != NULL)
		logstream_pump(c->stream);
}

/* logs [-f] [--from SEQ] [--tail N] POD */
void
logs_request(struct client *c, struct msg_logs *m)
{
	struct logstream	*s;
	struct pod		*pod;
	struct seglog		*log;
	uint64_t		 first;

	if (c->peer == NULL) {		/* paced by its socket's queue */
		client_reply_error(c, ERR_USAGE, "a log is read over a "
		    "connection");
		return;
	}
	if ((pod = podtab_resolve(m->pod)) == NULL) {
		client_reply_error(c, ERR_NOTFOUND, "no such pod: %s", m->pod);
		return;
	}
	if (access_check(c, pod, false) == -1)
		return;
	s = xcalloc(1, sizeof *s);
	s->client = c;
	s->pod = pod;
	s->follow = m->follow;
	s->next = m->from > 0 ? m->from : 1;
	if (m->tail > 0 && (log = logs_reader(pod)) != NULL &&
	    (first = seglog_tail_seq(log, m->tail)) > s->next)
		s->next = first;
	TAILQ_INSERT_TAIL(&pod->streams, s, entry);
	c->stream = s;
	peer_set_drain_cb(c->peer, logs_drain_cb);
	logstream_pump(s);
}

/* The pod's log grew, or the pod ended: feed its streams. */
void
logs_advanced(struct pod *pod)
{
	struct logstream	*s, *next;

	TAILQ_FOREACH_SAFE(s, &pod->streams, entry, next)
		logstream_pump(s);
}

/* send POD MESSAGE: the runtime logs it; the client hears back then. */
void
send_request(struct client *c, struct pod *pod, struct msg_send *m,
    const struct wire_u64v *preempted)
{
	struct send_req	*r;
	struct msg	 msg;

	msg_init(&msg, MSG_NOTIFY);
	msg.u.notify.data = m->data;
	msg.u.notify.priority = m->priority;
	msg.u.notify.key = m->key;
	msg.u.notify.preempted = *preempted;
	peer_send(pod->peer, &msg);
	r = xcalloc(1, sizeof *r);
	r->client = c;
	r->pod = pod;
	TAILQ_INSERT_TAIL(&pod->sends, r, entry);
	c->send = r;
}

/* Take the oldest pending send of a pod, and release its client. */
static struct client *
sends_pop(struct pod *pod)
{
	struct send_req	*r;
	struct client	*c;

	if ((r = TAILQ_FIRST(&pod->sends)) == NULL)
		return (NULL);
	TAILQ_REMOVE(&pod->sends, r, entry);
	c = r->client;
	free(r);
	if (c != NULL)
		c->send = NULL;
	return (c);
}

/* The runtime logged the oldest pending notify as seq. */
void
sends_answer(struct pod *pod, uint64_t seq)
{
	struct client	*c;
	struct msg	 msg;

	if (TAILQ_EMPTY(&pod->sends))
		return;
	if ((c = sends_pop(pod)) == NULL)
		return;
	msg_init(&msg, MSG_OK);
	msg.u.ok.seq = seq;
	client_send(c, &msg);
}

/* The runtime could not log the oldest pending notify. */
void
sends_fail_one(struct pod *pod, const char *why)
{
	struct client	*c;

	if ((c = sends_pop(pod)) != NULL)
		client_reply_error(c, ERR_FAILED, "pod %" PRIu64 ": %s",
		    pod->id, why);
}

/* The runtime is gone: pending sends fail. */
void
sends_fail(struct pod *pod)
{
	struct client	*c;

	while (!TAILQ_EMPTY(&pod->sends)) {
		if ((c = sends_pop(pod)) != NULL)
			client_reply_error(c, ERR_FAILED, "pod %" PRIu64
			    " ended before the message was logged", pod->id);
	}
}

/* A client left while its send was pending: keep the slot (answers come
 * in order) but forget the client. */
void
sends_forget_client(struct client *c)
{
	if (c->send != NULL)
		c->send->client = NULL;
	c->send = NULL;
}

/* How many notifies the runtime has yet to answer (for a re-exec). */
size_t
sends_count(struct pod *pod)
{
	struct send_req	*r;
	size_t		 n = 0;

	TAILQ_FOREACH(r, &pod->sends, entry)
		n++;
	return (n);
}

/* A notify sent by the previous program: its answer comes to nobody, in
 * its turn. */
void
sends_adopt(struct pod *pod)
{
	struct send_req	*r;

	r = xcalloc(1, sizeof *r);
	r->pod = pod;
	TAILQ_INSERT_TAIL(&pod->sends, r, entry);
}
