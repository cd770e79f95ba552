/*
 * The control socket: accept podctl connections and dispatch their
 * requests, one switch for the channel.  Each case validates, checks the
 * caller may act, and hands the work to a named helper.  Bad input ends
 * that one connection, never the daemon.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "supervisor.h"
#include "json.h"

static TAILQ_HEAD(, client)	 clients = TAILQ_HEAD_INITIALIZER(clients);
static struct evconnlistener	*listener;
static struct event		*resume_ev;

static void	client_cb(struct peer *, struct msg *, void *);
static void	client_forget(struct client *);

/* Reply with an error and keep the connection. */
void
client_reply_error(struct client *c, const char *code, const char *fmt, ...)
{
	struct msg	 msg;
	va_list		 ap;
	char		*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	va_end(ap);
	if (c->peer != NULL)
		peer_reply_error(c->peer, code, "%s", text ? text :
		    "out of memory");
	else if (c->sink != NULL) {
		msg_init(&msg, MSG_ERROR);
		msg.u.error.code = (char *)code;
		msg.u.error.message = text ? text : "out of memory";
		c->sink(c->sink_arg, &msg);
	}
	free(text);
}

/* Send a reply to a client: over its socket, or to its sink; an
 * in-process client that has been released takes nothing. */
int
client_send(struct client *c, struct msg *msg)
{
	if (c->peer != NULL)
		return (peer_send(c->peer, msg));
	if (c->sink != NULL)
		c->sink(c->sink_arg, msg);
	return (0);
}

/* Resolve pod refs: found ids (deduplicated) and missing refs. Replies
 * denied (and returns -1) if the client may not act on one of them. */
static int
resolve_refs(struct client *c, char **refs, bool change, uint64_t **ids,
    size_t *nids, char ***missing)
{
	struct pod	*pod;
	size_t		 i, j, nmiss = 0;

	*ids = xcalloc(strv_len(refs) + 1, sizeof **ids);
	*missing = xcalloc(strv_len(refs) + 1, sizeof **missing);
	*nids = 0;
	for (i = 0; refs[i] != NULL; i++) {
		if ((pod = podtab_resolve(refs[i])) == NULL) {
			(*missing)[nmiss++] = xstrdup(refs[i]);
			continue;
		}
		if (access_check(c, pod, change) == -1) {
			free(*ids);
			strv_free(*missing);
			return (-1);
		}
		for (j = 0; j < *nids && (*ids)[j] != pod->id; j++)
			;
		if (j == *nids)
			(*ids)[(*nids)++] = pod->id;
	}
	return (0);
}

/* Look up one pod a request names; replies not-found or denied. */
static struct pod *
resolve_one(struct client *c, const char *ref, bool change)
{
	struct pod	*pod;

	if ((pod = podtab_resolve(ref)) == NULL) {
		client_reply_error(c, ERR_NOTFOUND, "no such pod: %s", ref);
		return (NULL);
	}
	if (access_check(c, pod, change) == -1)
		return (NULL);
	return (pod);
}

/* Send an end with the given missing refs. */
static void
reply_end(struct client *c, char **missing)
{
	struct msg	msg;

	msg_init(&msg, MSG_END);
	msg.u.end.missing = missing;
	client_send(c, &msg);
}

/* Who a client is, as a stop's requested_by: "user alice", "pod 4". */
static void
client_who(struct client *c, char *buf, size_t len)
{
	struct passwd	*pw;

	if (c->pod_id != 0)
		snprintf(buf, len, "pod %" PRIu64, c->pod_id);
	else if ((pw = getpwuid(c->uid)) != NULL)
		snprintf(buf, len, "user %s", pw->pw_name);
	else
		snprintf(buf, len, "user %u", (unsigned)c->uid);
}

/* stop POD...: stop every named subtree; wait for them unless told not. */
static void
stop_request(struct client *c, struct msg_stop *m)
{
	uint64_t	*ids;
	char		**missing, by[128];
	size_t		 n, i;
	const char	*reason = m->reason ? m->reason : "user";

	if ((m->cancel_grace_ms != WIRE_NONE && m->cancel_grace_ms < 0) ||
	    (m->term_grace_ms != WIRE_NONE && m->term_grace_ms < 0)) {
		client_reply_error(c, ERR_USAGE, "graces must not be negative");
		return;
	}
	if (resolve_refs(c, m->pods, true, &ids, &n, &missing) == -1)
		return;
	client_who(c, by, sizeof by);
	for (i = 0; i < n; i++)
		pod_stop_tree(podtab_find(ids[i]), reason, by, NULL,
		    m->cancel_grace_ms, m->term_grace_ms);
	if (m->wait) {
		waiter_add(c, ids, n, missing, true, WAIT_TERMINAL);
		return;
	}
	reply_end(c, missing);
	free(ids);
	strv_free(missing);
}

/* wait [--tree] POD...: answer once they are terminal. */
static void
wait_request(struct client *c, struct msg_wait *m)
{
	uint64_t	*ids;
	char		**missing;
	size_t		 n;

	if (resolve_refs(c, m->pods, false, &ids, &n, &missing) == -1)
		return;
	waiter_add(c, ids, n, missing, m->tree, WAIT_TERMINAL);
}

/* kill -s SIG POD: the runtime signals the workload's process group. */
static void
kill_request(struct client *c, struct msg_kill *m)
{
	struct pod	*pod;
	struct msg	 msg;

	if (m->signal < 1 || m->signal >= NSIG) {
		client_reply_error(c, ERR_USAGE, "invalid signal %" PRIu64,
		    m->signal);
		return;
	}
	if ((pod = resolve_one(c, m->pod, true)) == NULL)
		return;
	if (POD_TERMINAL(pod) || pod->peer == NULL || pod->phase != PHASE_LIVE) {
		client_reply_error(c, ERR_FAILED, "pod %" PRIu64 " is %s: "
		    "nothing to signal", pod->id, pod_state_name(pod->state));
		return;
	}
	msg_init(&msg, MSG_SIGNAL);
	msg.u.signal.signal = m->signal;
	peer_send(pod->peer, &msg);
	msg_init(&msg, MSG_OK);
	client_send(c, &msg);
}

/* Is the pod shown to this client by status? */
static bool
status_visible(struct client *c, struct pod *pod, bool all)
{
	return ((all || !POD_TERMINAL(pod)) && access_may_read(c, pod));
}

/* Where a status reply goes: pod records to the client, or, for json,
 * the text podctl status --json prints, rendered here. */
struct status_out {
	struct client		*c;
	bool			 all;
	struct jw		 w;
	struct podstream	 stream;
	bool			 json;
};

/* Emit a pod and its visible descendants, parents first. */
static void
status_emit(struct status_out *out, struct pod *pod)
{
	struct msg	 msg;
	struct pod	*child;

	pod_to_msg(pod, &msg, 0);
	if (out->json)
		podstream_add(&out->stream, &msg.u.pod);
	else
		client_send(out->c, &msg);
	TAILQ_FOREACH(child, &pod->children, sibling) {
		if (status_visible(out->c, child, out->all))
			status_emit(out, child);
	}
}

/* The writer's sink: each buffer of text goes out as one json piece. */
static int
status_json_sink(void *arg, const void *text, size_t len)
{
	struct msg	msg;

	msg_init(&msg, MSG_JSON);
	msg.u.json.text.ptr = text;
	msg.u.json.text.len = len;
	return (client_send(arg, &msg));
}

static void
status_json_start(struct status_out *out, bool forest)
{
	jw_init(&out->w, status_json_sink, out->c);
	podstream_init(&out->stream, &out->w, forest);
}

static void
status_json_end(struct status_out *out)
{
	podstream_end(&out->stream);
	jw_text(&out->w, "\n");
	jw_flush(&out->w);
}

/* The whole tree's end: with the webhook events not yet delivered, for
 * the daemon's owner (they are about every user's pods). */
static void
status_end(struct client *c)
{
	struct msg	msg;

	msg_init(&msg, MSG_END);
	if (webhook_count() > 0 && (c->uid == 0 ||
	    c->uid == sv.uid))
		msg.u.end.webhooks_pending = (int64_t)outbox_pending();
	client_send(c, &msg);
}

/* status [--all] [POD] [json]: the forest (or one subtree), parents
 * first.  With json podctl's output is rendered here, where the records
 * already are: that halves the work of a status of 10,000 pods. */
static void
status_request(struct client *c, struct msg_status *m)
{
	struct status_out	 out = { .c = c, .all = m->all || m->pod != NULL,
				     .json = m->json };
	struct pod		*pod;
	size_t			 i;

	if (m->pod != NULL) {
		if ((pod = resolve_one(c, m->pod, false)) == NULL)
			return;
		if (out.json)
			status_json_start(&out, false);
		status_emit(&out, pod);
		if (out.json)
			status_json_end(&out);
		reply_end(c, NULL);
		return;
	}
	if (out.json)
		status_json_start(&out, true);
	for (i = 0; (pod = podtab_at(i)) != NULL; i++) {
		if (!status_visible(c, pod, m->all))
			continue;
		if (pod->parent == NULL ||
		    !status_visible(c, pod->parent, m->all))
			status_emit(&out, pod);
	}
	if (out.json)
		status_json_end(&out);
	status_end(c);
}

/* inspect POD: the full record, children as ids. */
static void
inspect_request(struct client *c, struct msg_inspect *m)
{
	struct pod	*pod;
	struct msg	 msg;

	if ((pod = resolve_one(c, m->pod, false)) == NULL)
		return;
	pod_to_msg(pod, &msg, RECORD_CHILDREN | RECORD_RESULT);
	client_send(c, &msg);
	record_msg_release(&msg);
	reply_end(c, NULL);
}

/* rm tells the client of each pod it removes, children first. */
static void
rm_reply_one(struct pod *pod, void *arg)
{
	struct client	*c = arg;
	struct msg	 msg;

	pod_to_msg(pod, &msg, 0);
	client_send(c, &msg);
}

/* rm POD...: forget terminal subtrees; refuse if any pod in them lives. */
static void
rm_request(struct client *c, struct msg_rm *m)
{
	uint64_t	*ids;
	char		**missing;
	size_t		 n, i;
	struct pod	*pod;

	if (resolve_refs(c, m->pods, true, &ids, &n, &missing) == -1)
		return;
	for (i = 0; i < n; i++) {
		pod = podtab_find(ids[i]);
		if (!pod_subtree_terminal(pod)) {
			client_reply_error(c, ERR_FAILED, "pod %" PRIu64 " (or "
			    "a pod below it) is not terminal: stop it first",
			    pod->id);
			free(ids);
			strv_free(missing);
			return;
		}
	}
	for (i = 0; i < n; i++) {
		if ((pod = podtab_find(ids[i])) != NULL)
			pod_forget(pod, rm_reply_one, c);
	}
	reply_end(c, missing);
	free(ids);
	strv_free(missing);
}

/* pause POD...: pause every named subtree; with wait, answer once every
 * pod of them is paused (or terminal). */
static void
pause_request(struct client *c, struct msg_pause *m)
{
	uint64_t	*ids;
	char		**missing;
	size_t		 n, i;

	if (m->pods == NULL || m->pods[0] == NULL) {
		client_reply_error(c, ERR_USAGE, "pause needs at least one pod");
		return;
	}
	if (resolve_refs(c, m->pods, true, &ids, &n, &missing) == -1)
		return;
	for (i = 0; i < n; i++)
		pod_pause_tree(podtab_find(ids[i]));
	if (m->wait) {
		waiter_add(c, ids, n, missing, true, WAIT_PAUSED);
		return;
	}
	reply_end(c, missing);
	free(ids);
	strv_free(missing);
}

/* resume POD...: resume every named subtree at once. */
static void
resume_request(struct client *c, struct msg_resume *m)
{
	uint64_t	*ids;
	char		**missing;
	size_t		 n, i;

	if (m->pods == NULL || m->pods[0] == NULL) {
		client_reply_error(c, ERR_USAGE, "resume needs at least one pod");
		return;
	}
	if (resolve_refs(c, m->pods, true, &ids, &n, &missing) == -1)
		return;
	for (i = 0; i < n; i++)
		pod_resume_tree(podtab_find(ids[i]));
	reply_end(c, missing);
	free(ids);
	strv_free(missing);
}

/* Is a message priority one of the four? */
static bool
send_priority_valid(const char *p)
{
	return (p == NULL || strcmp(p, "low") == 0 ||
	    strcmp(p, "normal") == 0 || strcmp(p, "high") == 0 ||
	    strcmp(p, "critical") == 0);
}

/* send --preempt: stop every live child subtree of the pod with reason
 * preempted, and list their roots for the message. */
static void
send_preempt(struct client *c, struct pod *pod, struct wire_u64v *stopped)
{
	struct pod	*child;
	char		 by[128], **chain;
	size_t		 n = 0;

	TAILQ_FOREACH(child, &pod->children, sibling)
		n++;
	stopped->v = xcalloc(n + 1, sizeof *stopped->v);
	stopped->n = 0;
	client_who(c, by, sizeof by);
	chain = cause_through("preempted", pod);
	chain = xreallocarray(chain, strv_len(chain) + 2, sizeof *chain);
	chain[strv_len(chain) + 1] = NULL;
	chain[strv_len(chain)] = xstrdup(by);
	TAILQ_FOREACH(child, &pod->children, sibling) {
		if (POD_TERMINAL(child) || child->stop_wanted)
			continue;
		pod_stop_tree(child, "preempted", by, chain, WIRE_NONE,
		    WIRE_NONE);
		stopped->v[stopped->n++] = child->id;
	}
	strv_free(chain);
}

/* send POD MESSAGE: forwarded to the runtime, answered once logged. */
static void
send_dispatch(struct client *c, struct msg_send *m)
{
	struct pod		*pod;
	struct wire_u64v	 stopped = { NULL, 0 };

	if (!send_priority_valid(m->priority)) {
		client_reply_error(c, ERR_USAGE, "unknown priority '%s': use "
		    "low, normal, high or critical", m->priority);
		return;
	}
	if ((pod = resolve_one(c, m->pod, true)) == NULL)
		return;
	if (POD_TERMINAL(pod) || pod->peer == NULL || pod->phase != PHASE_LIVE) {
		client_reply_error(c, ERR_FAILED, "pod %" PRIu64 " is %s: it "
		    "can no longer take messages", pod->id,
		    pod_state_name(pod->state));
		return;
	}
	if (m->preempt)
		send_preempt(c, pod, &stopped);
	send_request(c, pod, m, &stopped);
	free(stopped.v);
}

/* Is a wait, stop, follow or send still being answered? */
static bool
client_busy(struct client *c)
{
	return (c->waiter != NULL || c->stream != NULL || c->send != NULL);
}

/* Must a terminal pod stay because a connected client spawned it and
 * has not sent its next request (which may be the wait for it)? */
bool
clients_hold(struct pod *pod)
{
	struct client	*c;

	TAILQ_FOREACH(c, &clients, entry) {
		if (c->spawned == pod->id)
			return (true);
	}
	return (false);
}

/* reexec: root or the daemon's owner may have podvisord re-executed, but
 * not from inside a pod, which may act on its own subtree only; the reply
 * is an error if it cannot be, else the connection drops. */
static void
reexec_control(struct client *c)
{
	if (c->pod_id != 0) {
		client_reply_error(c, ERR_DENIED, "a pod (here pod %" PRIu64
		    ") may not re-execute podvisord", c->pod_id);
		return;
	}
	if (c->uid != 0 && c->uid != sv.uid) {
		client_reply_error(c, ERR_DENIED, "only root or the daemon's "
		    "owner (uid %u) may re-execute podvisord", (unsigned)sv.uid);
		return;
	}
	reexec_request(c);
}

/* The control channel's dispatch switch. */
static void
ctl_dispatch(struct client *c, struct msg *msg)
{
	uint64_t	spawned = c->spawned;

	if (client_busy(c)) {
		client_reply_error(c, ERR_USAGE, "a request is still pending "
		    "on this connection");
		return;
	}
	switch (msg->type) {
	case MSG_SPAWN:
		spawn_request(c, &msg->u.spawn);
		break;
	case MSG_STOP:
		stop_request(c, &msg->u.stop);
		break;
	case MSG_KILL:
		kill_request(c, &msg->u.kill);
		break;
	case MSG_STATUS:
		status_request(c, &msg->u.status);
		break;
	case MSG_LOGS:
		logs_request(c, &msg->u.logs);
		break;
	case MSG_WAIT:
		wait_request(c, &msg->u.wait);
		break;
	case MSG_SEND:
		send_dispatch(c, &msg->u.send);
		break;
	case MSG_INSPECT:
		inspect_request(c, &msg->u.inspect);
		break;
	case MSG_RM:
		rm_request(c, &msg->u.rm);
		break;
	case MSG_PAUSE:
		pause_request(c, &msg->u.pause);
		break;
	case MSG_RESUME:
		resume_request(c, &msg->u.resume);
		break;
	case MSG_REEXEC:
		reexec_control(c);
		break;
	default:
		if (c->peer == NULL) {
			client_reply_error(c, ERR_PROTOCOL, "unexpected "
			    "message '%s'", msg_type_name(msg->type));
			break;
		}
		peer_error(c->peer, ERR_PROTOCOL, "unexpected message '%s' on "
		    "the control socket", msg_type_name(msg->type));
		break;
	}
	/* The pod spawned by the previous request is held until now. */
	if (spawned != 0 && c->spawned == spawned) {
		c->spawned = 0;
		sv_kick();
	}
}

/* Messages from a client; NULL when it is gone. */
static void
client_cb(struct peer *peer, struct msg *msg, void *arg)
{
	struct client	*c = arg;

	if (msg != NULL) {
		ctl_dispatch(c, msg);
		return;
	}
	client_forget(c);
}

/* A client is gone: end what it was waiting for, and free it. */
static void
client_forget(struct client *c)
{
	if (c->waiter != NULL)
		waiter_cancel(c->waiter);
	if (c->stream != NULL)
		logstream_cancel(c->stream);
	sends_forget_client(c);
	reexec_forget_client(c);
	if (c->spawned != 0)
		sv_kick();
	TAILQ_REMOVE(&clients, c, entry);
	free(c);
}

/* At exit: drop every connected client. */
void
clients_free(void)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&clients)) != NULL) {
		TAILQ_REMOVE(&clients, c, entry);
		if (c->peer != NULL)
			peer_free(c->peer);
		free(c);
	}
}

/* Accept paused after EMFILE: try again. */
static void
control_resume_cb(int fd, short events, void *arg)
{
	evconnlistener_enable(listener);
}

/* accept() failed; out of descriptors pauses accepting for a second
 * rather than spinning on a listener that stays readable. */
static void
control_error_cb(struct evconnlistener *l, void *arg)
{
	struct timeval	tv = { 1, 0 };
	int		err = EVUTIL_SOCKET_ERROR();

	log_warnx("accept: %s", strerror(err));
	if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM) {
		evconnlistener_disable(l);
		evtimer_add(resume_ev, &tv);
	}
}

/* A client on a connected socket. */
static struct client *
client_new(int fd, const char *label)
{
	struct client	*c;

	c = xcalloc(1, sizeof *c);
	TAILQ_INSERT_TAIL(&clients, c, entry);
	c->peer = peer_new(sv.base, fd, client_cb, c, label);
	return (c);
}

/* Who the client is; from inside a pod when its pid descends from a
 * live runtime. */
static void
client_identify(struct client *c, uid_t uid, gid_t gid, pid_t pid)
{
	struct pod	*pod;

	c->uid = uid;
	c->gid = gid;
	c->pid = pid;
	if (pid > 0 && (pod = podtab_caller(pid)) != NULL)
		c->pod_id = pod->id;
}

/* A new podctl connection. */
static void
control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct client	*c;

	c = client_new(fd, "client");
	client_identify(c, peer_uid(c->peer), peer_gid(c->peer),
	    peer_pid(c->peer));
}

/* A client for the HTTP layer's log streams, on one end of a socketpair,
 * as the HTTP caller (its peer credentials, or the daemon's owner for a
 * token): its requests get exactly the control socket's treatment, and
 * its socket's queue paces a slow reader. */
void
control_attach(int fd, uid_t uid, gid_t gid, pid_t pid)
{
	client_identify(client_new(fd, "http"), uid, gid, pid);
}

/*
 * In-process clients: the HTTP layer's requests go through the same
 * dispatch as podctl's, as the HTTP caller (its peer credentials, or the
 * daemon's owner for a token), with the replies handed to a sink as they
 * are built: no socket, no encoding, no second decode.
 */
struct client *
control_open(uid_t uid, gid_t gid, pid_t pid, client_sink sink, void *arg)
{
	struct client	*c;

	c = xcalloc(1, sizeof *c);
	TAILQ_INSERT_TAIL(&clients, c, entry);
	c->sink = sink;
	c->sink_arg = arg;
	client_identify(c, uid, gid, pid);
	return (c);
}

/* One request of an in-process client; its replies go to the sink,
 * some at once, some later (a waiting stop). */
void
control_request(struct client *c, struct msg *msg)
{
	ctl_dispatch(c, msg);
}

static void
control_release_cb(evutil_socket_t fd, short events, void *arg)
{
	client_forget(arg);
}

/* The HTTP request is over: the client takes no more replies at once,
 * and is freed on the next loop pass, since its sink may be running
 * inside the dispatch of one of its own requests. */
void
control_release(struct client *c)
{
	struct timeval	now = { 0, 0 };

	c->sink = NULL;
	if (event_base_once(sv.base, -1, EV_TIMEOUT, control_release_cb, c,
	    &now) == -1)
		fatalx("event_base_once: out of memory");
}

/* The socket is the first gate: 0600, or 0660 for the socket group. It
 * was bound 0600, so it is never more open than meant, even briefly. */
static int
control_socket_access(char *cause, size_t len)
{
	if (!sv.socket_group_set)
		return (0);
	if (chown(sv.socket_path, (uid_t)-1, sv.socket_gid) == -1)
		return (snprintf(cause, len, "cannot give %s to group %u: %s",
		    sv.socket_path, (unsigned)sv.socket_gid, strerror(errno)),
		    -1);
	if (chmod(sv.socket_path, 0660) == -1)
		return (snprintf(cause, len, "cannot chmod %s: %s",
		    sv.socket_path, strerror(errno)), -1);
	return (0);
}

/* Bind and listen on sv.socket_path (which must be free by now). */
int
control_listen(char *cause, size_t len)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd;

	if ((fd = reexec_control_fd()) != -1)
		goto listen;	/* handed over, bound and listening */
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s",
	    sv.socket_path) >= sizeof sun.sun_path)
		return (snprintf(cause, len, "socket path too long: %s",
		    sv.socket_path), -1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (snprintf(cause, len, "socket: %s", strerror(errno)), -1);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(old);
		snprintf(cause, len, "cannot bind %s: %s", sv.socket_path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	umask(old);
	if (control_socket_access(cause, len) == -1) {
		close(fd);
		unlink(sv.socket_path);
		return (-1);
	}
listen:
	listener = evconnlistener_new(sv.base, control_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
	if (listener == NULL) {
		snprintf(cause, len, "listen on %s: %s", sv.socket_path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	evconnlistener_set_error_cb(listener, control_error_cb);
	resume_ev = evtimer_new(sv.base, control_resume_cb, NULL);
	return (0);
}

/* Stop listening and remove the socket file. */
void
control_close(void)
{
	if (listener == NULL)
		return;
	evconnlistener_free(listener);
	listener = NULL;
	event_free(resume_ev);
	unlink(sv.socket_path);
}

/* The listening socket's descriptor, for a re-exec. */
int
control_fd_get(void)
{
	return (listener != NULL ? evconnlistener_get_fd(listener) : -1);
}
