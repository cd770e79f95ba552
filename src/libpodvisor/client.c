/*
 * A minimal client of podvisord's control socket: spawn, stop and wait,
 * as podvisor-protocol(7) describes them (podctl and the Python Client
 * do everything else).  One request at a time on one connection, opened
 * at podvisor_client_open(), reopened when podvisord closed it while it
 * was idle, and closed whenever a reply was not read to its end.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pvl.h"

#define REQUEST_MS	30000		/* for a reply that comes at once */
#define CONNECT_MS	PVL_HELLO_MS	/* to connect and hear the hello */

extern char **environ;

struct podvisor_client {
	struct pvl_chan	 ch;
	struct pvl_out	 out;		/* the request being sent */
	char		*path;
	char		 err[PVL_ERR_MAX];
	char		 code[32];	/* the wire code of the last error */
};

/* Set the error text, no wire code, errno; -1. */
static int
cl_err(struct podvisor_client *c, int errnum, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->code[0] = '\0';
	errno = errnum;
	return (-1);
}

/* Close the connection (it is not at a reply boundary), then cl_err. */
static int
cl_drop(struct podvisor_client *c, int errnum, const char *fmt, ...)
{
	va_list	 ap;

	pvl_chan_free(&c->ch);
	pvl_chan_init(&c->ch, -1);
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->code[0] = '\0';
	errno = errnum;
	return (-1);
}

/* The control socket's path: podctl's own default (src/common/paths.c). */
int
podvisor_default_socket(char *buf, size_t len)
{
	return (default_socket_path(buf, len));
}

/* Connect, retrying while the listen queue is full, within deadline. */
static int
cl_connect(struct podvisor_client *c, int64_t deadline)
{
	struct sockaddr_un	 sun;
	int			 fd, rc;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(c->path) >= sizeof sun.sun_path)
		return (cl_err(c, ENAMETOOLONG, "socket path too long: %s",
		    c->path));
	memcpy(sun.sun_path, c->path, strlen(c->path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return (cl_err(c, errno, "socket: %s", strerror(errno)));
	while ((rc = connect(fd, (struct sockaddr *)&sun, sizeof sun)) == -1 &&
	    (errno == EINTR || errno == EAGAIN) && pvl_left_ms(deadline) > 0)
		if (errno == EAGAIN)
			(void)poll(NULL, 0, 10);
	if (rc == -1) {
		rc = errno;
		(void)close(fd);
		if (rc == EACCES || rc == EPERM)
			return (cl_err(c, rc, "permission denied on %s: %s (use "
			    "your own podvisord, or join the socket's group, "
			    "e.g. podvisor)", c->path, strerror(rc)));
		return (cl_err(c, rc, "cannot reach podvisord at %s: %s (is it "
		    "running? start it with podvisord, or set "
		    "PODVISOR_SOCKET)", c->path, strerror(rc)));
	}
	pvl_chan_init(&c->ch, fd);
	return (0);
}

/* Encode and send a whole frame, closing the connection if it cannot
 * be sent. */
static int
cl_send(struct podvisor_client *c, const struct msg *m)
{
	char	 why[PVL_ERR_MAX];

	if (pvl_encode(m, &c->out, why, sizeof why) == -1)
		return (cl_err(c, errno, "%s", why));
	if (pvl_chan_send(&c->ch, c->out.data, c->out.len, REQUEST_MS) == -1)
		return (cl_drop(c, errno, "lost the connection to podvisord at "
		    "%s: %s", c->path, strerror(errno)));
	return (0);
}

/* The next message from podvisord within deadline (-1: none): 1 and the
 * message (msg_free() it), 0 timed out, -1 failed (the connection is
 * then closed). */
static int
cl_recv(struct podvisor_client *c, int64_t deadline, struct msg *m)
{
	const uint8_t	*p;
	size_t		 len;
	char		 why[PVL_ERR_MAX];
	int		 rc;

	for (;;) {
		if ((rc = pvl_chan_frame(&c->ch, &p, &len, why, sizeof why))
		    == -1)
			return (cl_drop(c, EPROTO, "bad message from "
			    "podvisord: %s", why));
		if (rc == 1) {
			rc = pvl_decode(p, len, m, why, sizeof why);
			pvl_chan_take(&c->ch, len);
			if (rc == 0)
				return (1);
			if (errno == ENOMEM)
				return (cl_drop(c, ENOMEM, "out of memory"));
			return (cl_drop(c, EPROTO, "bad message from "
			    "podvisord: %s", why));
		}
		if ((rc = pvl_chan_read(&c->ch)) == PVL_IO_MORE)
			continue;
		if (rc != PVL_IO_NONE)
			return (cl_drop(c, rc == PVL_IO_EOF ? ECONNRESET :
			    errno, "lost the connection to podvisord at %s "
			    "before its reply ended (did it exit?)", c->path));
		rc = pvl_chan_poll(&c->ch, POLLIN, deadline < 0 ? -1 :
		    pvl_left_ms(deadline));
		if (rc == 0)
			return (0);
		if (rc == -1)
			return (cl_drop(c, errno, "waiting for podvisord: %s",
			    strerror(errno)));
	}
}

/* An error reply: its code and message become the client's error. */
static int
cl_error_reply(struct podvisor_client *c, const struct msg *m)
{
	static const struct {
		const char	*code;
		int		 errnum;
	} codes[] = {
		{ ERR_NOTFOUND, ESRCH }, { ERR_DENIED, EACCES },
		{ ERR_USAGE, EINVAL }, { ERR_PROTOCOL, EPROTO },
	};
	size_t	 i;
	int	 errnum = EIO;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(codes[i].code, m->u.error.code) == 0)
			errnum = codes[i].errnum;
	if (errnum == EPROTO)
		pvl_chan_close(&c->ch);
	snprintf(c->err, sizeof c->err, "%s", m->u.error.message);
	snprintf(c->code, sizeof c->code, "%s", m->u.error.code);
	errno = errnum;
	return (-1);
}

/* Tell podvisord its hello is not one this side speaks; -1. */
static int
cl_mismatch(struct podvisor_client *c, uint64_t version)
{
	struct msg	 m;

	msg_init(&m, MSG_ERROR);
	m.u.error.code = ERR_PROTOCOL;
	m.u.error.message = "protocol version mismatch";
	(void)cl_send(c, &m);
	return (cl_drop(c, EPROTO, "podvisord at %s speaks protocol %llu, "
	    "this library speaks %d", c->path, (unsigned long long)version,
	    PROTOCOL_VERSION));
}

/* Read podvisord's hello, which must be of our version. */
static int
cl_hello(struct podvisor_client *c, int64_t deadline)
{
	struct msg	 m;
	int		 rc;

	if ((rc = cl_recv(c, deadline, &m)) == 0)
		return (cl_drop(c, ETIMEDOUT, "podvisord at %s did not say "
		    "hello in time", c->path));
	if (rc == -1)
		return (-1);
	rc = 0;
	if (m.type == MSG_ERROR)
		rc = cl_error_reply(c, &m);
	else if (m.type != MSG_HELLO)
		rc = cl_mismatch(c, 0);
	else if (m.u.hello.version != PROTOCOL_VERSION)
		rc = cl_mismatch(c, m.u.hello.version);
	msg_free(&m);
	if (rc == -1)
		pvl_chan_close(&c->ch);
	return (rc);
}

/* Has podvisord not closed the idle connection (as it does when it
 * re-executes itself)? */
static bool
cl_alive(struct podvisor_client *c)
{
	char	 b;
	ssize_t	 n;
	int	 saved = errno;

	n = recv(c->ch.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		errno = saved;
		return (true);
	}
	errno = saved;
	return (n > 0);
}

/* Make sure there is a connection that podvisord has not closed. */
static int
cl_ready(struct podvisor_client *c)
{
	struct msg	 m;
	int64_t		 deadline = pvl_now_ms() + CONNECT_MS;

	if (c->ch.fd != -1 && !cl_alive(c))
		pvl_chan_close(&c->ch);
	if (c->ch.fd != -1)
		return (0);
	pvl_chan_free(&c->ch);
	if (cl_connect(c, deadline) == -1)
		return (-1);
	msg_init(&m, MSG_HELLO);
	m.u.hello.version = PROTOCOL_VERSION;
	if (cl_send(c, &m) == -1)
		return (-1);
	return (cl_hello(c, deadline));
}

/* Connect to podvisord. */
struct podvisor_client *
podvisor_client_open(const char *socket, char *err, size_t errlen)
{
	struct podvisor_client	*c;
	char			 path[PVL_STR_MAX];
	int			 saved = errno;

	if (socket == NULL && podvisor_default_socket(path, sizeof path) == 0)
		socket = path;
	if ((c = calloc(1, sizeof *c)) == NULL || socket == NULL ||
	    (c->path = strdup(socket)) == NULL) {
		saved = socket == NULL ? ENAMETOOLONG : ENOMEM;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", socket == NULL ?
			    "the control socket's path is too long" :
			    "out of memory");
		free(c);
		errno = saved;
		return (NULL);
	}
	pvl_chan_init(&c->ch, -1);
	if (cl_ready(c) == -1) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", c->err);
		saved = errno;
		podvisor_client_close(c);
		errno = saved;
		return (NULL);
	}
	errno = saved;
	return (c);
}

/* Close and free. */
void
podvisor_client_close(struct podvisor_client *c)
{
	int	 saved = errno;

	if (c == NULL)
		return;
	pvl_chan_free(&c->ch);
	pvl_out_free(&c->out);
	free(c->path);
	free(c);
	errno = saved;
}

/* The last failure's text. */
const char *
podvisor_client_error(const struct podvisor_client *c)
{
	return (c->err);
}

/* The last failure's wire code, or NULL. */
const char *
podvisor_client_error_code(const struct podvisor_client *c)
{
	return (c->code[0] != '\0' ? c->code : NULL);
}

/* Every option at its default. */
void
podvisor_spawn_opts_init(struct podvisor_spawn_opts *o)
{
	memset(o, 0, sizeof *o);
	o->cancel_grace_ms = o->term_grace_ms = o->timeout_ms =
	    o->heartbeat_ms = o->max_extend_ms = PODVISOR_DEFAULT;
	o->max_restarts = o->restart_delay_ms = PODVISOR_DEFAULT;
}

/* The entries of a NULL-terminated vector, each a str that can travel;
 * -1 if one cannot (too long, or without '=' when kv). */
static int
vec_count(const char *const *v, bool kv, size_t *n)
{
	for (*n = 0; v != NULL && v[*n] != NULL; (*n)++) {
		if (strlen(v[*n]) > PVL_STR_MAX || *n >= PVL_STRV_MAX)
			return (-1);
		if (kv && (v[*n][0] == '=' || strchr(v[*n], '=') == NULL))
			return (-1);
	}
	return (0);
}

/* The environment entries to send: this process's first with
 * inherit_env, then the options'.  *out is NULL-terminated (free() it),
 * or NULL when there are none. */
static int
spawn_env(struct podvisor_client *c, const struct podvisor_spawn_opts *opts,
    char ***out)
{
	char	**all;
	size_t	  ne = 0, no = 0;

	*out = NULL;
	if (opts->inherit_env)
		for (ne = 0; environ != NULL && environ[ne] != NULL; ne++)
			;
	if (vec_count(opts->env, true, &no) == -1)
		return (cl_err(c, EINVAL, "spawn: an env entry is not K=V, or "
		    "is over %d bytes", PVL_STR_MAX));
	if (ne + no == 0)
		return (0);
	if ((all = calloc(ne + no + 1, sizeof *all)) == NULL)
		return (cl_err(c, ENOMEM, "out of memory"));
	memcpy(all, environ, ne * sizeof *all);
	memcpy(all + ne, opts->env, no * sizeof *all);
	*out = all;
	return (0);
}

/* The working directory to send, in buf: absolute, the current one by
 * default. */
static int
spawn_cwd(struct podvisor_client *c, const char *cwd, char *buf, size_t len)
{
	char	 here[PVL_STR_MAX + 1];

	if (cwd != NULL && cwd[0] == '/') {
		snprintf(buf, len, "%s", cwd);
		return (0);
	}
	if (getcwd(here, sizeof here) == NULL)
		return (cl_err(c, errno, "spawn: cannot find the current "
		    "directory: %s", strerror(errno)));
	if (cwd == NULL)
		snprintf(buf, len, "%s", here);
	else
		snprintf(buf, len, "%s/%s", here, cwd);
	if (strlen(buf) > PVL_STR_MAX)
		return (cl_err(c, ENAMETOOLONG, "spawn: the working directory "
		    "is too long"));
	return (0);
}

/* The spawn options into a spawn request whose argv, cwd and env are set;
 * what is left to podvisord stays WIRE_NONE. */
static void
spawn_opts(struct msg_spawn *s, const struct podvisor_spawn_opts *opts)
{
	s->inherit_env = opts->inherit_env;
	s->name = (char *)opts->name;
	s->parent = (char *)opts->parent;
	if (s->parent == NULL && (s->parent = getenv("PODVISOR_POD")) != NULL &&
	    *s->parent == '\0')
		s->parent = NULL;
	s->on_parent_exit = (char *)opts->on_parent_exit;
	if (opts->stop_signal > 0)
		s->spec.stop_signal = opts->stop_signal;
	if (opts->cancel_grace_ms >= 0)
		s->spec.cancel_grace_ms = opts->cancel_grace_ms;
	if (opts->term_grace_ms >= 0)
		s->spec.term_grace_ms = opts->term_grace_ms;
	if (opts->timeout_ms >= 0)
		s->spec.timeout_ms = opts->timeout_ms;
	if (opts->heartbeat_ms >= 0)
		s->spec.heartbeat_ms = opts->heartbeat_ms;
	if (opts->max_extend_ms >= 0)
		s->spec.max_extend_ms = opts->max_extend_ms;
	s->restart = (char *)opts->restart;
	if (opts->max_restarts >= 0)
		s->spec.max_restarts = opts->max_restarts;
	if (opts->restart_delay_ms >= 0)
		s->spec.restart_delay_ms = opts->restart_delay_ms;
}

/* Send a request and read its one-message reply, which must be of type
 * want (or an error): 0 with the reply (msg_free() it), or -1. */
static int
cl_call(struct podvisor_client *c, const struct msg *req, enum msg_type want,
    int timeout_ms, struct msg *reply)
{
	char	 why[PVL_ERR_MAX];
	int	 rc;

	if (cl_ready(c) == -1 || cl_send(c, req) == -1)
		return (-1);
	rc = cl_recv(c, timeout_ms < 0 ? -1 : pvl_now_ms() + timeout_ms,
	    reply);
	if (rc == 0)
		return (cl_drop(c, ETIMEDOUT, "podvisord did not answer in "
		    "time"));
	if (rc == -1)
		return (-1);
	if (reply->type == want)
		return (0);
	rc = reply->type == MSG_ERROR ? cl_error_reply(c, reply) :
	    cl_drop(c, EPROTO, "%s from podvisord", pvl_unexpected(reply, why,
	    sizeof why));
	msg_free(reply);
	return (rc);
}

/* Start a pod. */
int
podvisor_client_spawn(struct podvisor_client *c, const char *const argv[],
    const struct podvisor_spawn_opts *opts, uint64_t *id)
{
	struct podvisor_spawn_opts	 defaults;
	struct msg			 req, reply;
	char				 cwd[2 * PVL_STR_MAX + 2], **env;
	size_t				 n;
	int				 saved = errno, rc;

	if (opts == NULL) {
		podvisor_spawn_opts_init(&defaults);
		opts = &defaults;
	}
	if (vec_count(argv, false, &n) == -1 || n == 0)
		return (cl_err(c, EINVAL, "spawn: argv needs a command, each "
		    "word at most %d bytes", PVL_STR_MAX));
	if (spawn_cwd(c, opts->cwd, cwd, sizeof cwd) == -1 ||
	    spawn_env(c, opts, &env) == -1)
		return (-1);
	msg_init(&req, MSG_SPAWN);
	req.u.spawn.argv = (char **)argv;
	req.u.spawn.cwd = cwd;
	req.u.spawn.env = env;
	spawn_opts(&req.u.spawn, opts);
	rc = cl_call(c, &req, MSG_OK, REQUEST_MS, &reply);
	free(env);
	if (rc == -1)
		return (-1);
	if ((*id = reply.u.ok.id) == 0)
		rc = cl_drop(c, EPROTO, "podvisord answered spawn without an "
		    "id");
	msg_free(&reply);
	if (rc == 0)
		errno = saved;
	return (rc);
}

/* An end's missing pods: -1 (not-found) if it names any. */
static int
cl_missing(struct podvisor_client *c, const struct msg *m)
{
	char	**missing = m->u.end.missing;

	if (missing == NULL || missing[0] == NULL)
		return (0);
	cl_err(c, ESRCH, "no such pod: %.256s", missing[0]);
	snprintf(c->code, sizeof c->code, "%s", ERR_NOTFOUND);
	return (-1);
}

/* Ask for a pod and its subtree to stop, without waiting. */
int
podvisor_client_stop(struct podvisor_client *c, const char *pod,
    const char *reason)
{
	struct msg	 req, reply;
	char		*pods[2] = { (char *)pod, NULL };
	int		 saved = errno, rc;

	if (pod == NULL || strlen(pod) > PVL_STR_MAX || (reason != NULL &&
	    strlen(reason) > PVL_STR_MAX))
		return (cl_err(c, EINVAL, "stop: name a pod, and a reason of "
		    "at most %d bytes", PVL_STR_MAX));
	msg_init(&req, MSG_STOP);
	req.u.stop.pods = pods;
	req.u.stop.reason = (char *)reason;
	if (cl_call(c, &req, MSG_END, REQUEST_MS, &reply) == -1)
		return (-1);
	rc = cl_missing(c, &reply);
	msg_free(&reply);
	if (rc == 0)
		errno = saved;
	return (rc);
}

/* A pod record as an outcome: NULL (with the client's error) without
 * memory. */
static struct podvisor_outcome *
cl_outcome(struct podvisor_client *c, const struct msg_pod *p)
{
	struct podvisor_outcome	*out;
	size_t			 nname, nstate, nreason;
	char			*at;

	nname = p->name != NULL ? strlen(p->name) : 0;
	nstate = strlen(p->state);
	nreason = p->reason != NULL ? strlen(p->reason) : 0;
	if ((out = calloc(1, sizeof *out + nname + nstate + nreason + 3)) ==
	    NULL) {
		cl_drop(c, ENOMEM, "out of memory");
		return (NULL);
	}
	out->id = p->id;
	out->exit_code = p->exit_code;
	out->signal = p->signal > 0 && p->signal <= 64 ? (int)p->signal : 0;
	at = (char *)(out + 1);
	out->state = memcpy(at, p->state, nstate);
	at += nstate + 1;
	if (p->name != NULL)
		out->name = memcpy(at, p->name, nname);
	at += nname + 1;
	if (p->reason != NULL)
		out->reason = memcpy(at, p->reason, nreason);
	return (out);
}

/* One message of a wait's reply: 0 for a pod record (the first becomes
 * the outcome), 1 for its end, -1 on failure. */
static int
cl_wait_step(struct podvisor_client *c, const struct msg *m,
    struct podvisor_outcome **out)
{
	char	 why[PVL_ERR_MAX];

	switch (m->type) {
	case MSG_POD:
		if (*out == NULL && (*out = cl_outcome(c, &m->u.pod)) == NULL)
			return (-1);
		return (0);
	case MSG_END:
		return (cl_missing(c, m) == -1 ? -1 : 1);
	case MSG_ERROR:
		return (cl_error_reply(c, m));
	default:
		return (cl_drop(c, EPROTO, "%s from podvisord",
		    pvl_unexpected(m, why, sizeof why)));
	}
}

/* Read a wait's reply: pod records, then end. */
static int
cl_wait_reply(struct podvisor_client *c, int64_t deadline,
    struct podvisor_outcome **out)
{
	struct msg	 m;
	int		 rc;

	for (;;) {
		if ((rc = cl_recv(c, deadline, &m)) == 0) {
			pvl_chan_free(&c->ch);		/* mid-reply */
			pvl_chan_init(&c->ch, -1);
			return (PODVISOR_TIMEOUT);
		}
		if (rc == -1)
			return (-1);
		rc = cl_wait_step(c, &m, out);
		msg_free(&m);
		if (rc != 0)
			return (rc == 1 ? 0 : -1);
	}
}

/* Wait for a pod to end. */
int
podvisor_client_wait(struct podvisor_client *c, const char *pod,
    int timeout_ms, struct podvisor_outcome **out)
{
	struct msg	 req;
	char		*pods[2] = { (char *)pod, NULL };
	int64_t		 deadline = timeout_ms < 0 ? -1 : pvl_now_ms() +
			    timeout_ms;
	int		 saved = errno, rc;

	*out = NULL;
	if (pod == NULL || strlen(pod) > PVL_STR_MAX)
		return (cl_err(c, EINVAL, "wait: name a pod"));
	msg_init(&req, MSG_WAIT);
	req.u.wait.pods = pods;
	if (cl_ready(c) == -1 || cl_send(c, &req) == -1)
		return (-1);
	if ((rc = cl_wait_reply(c, deadline, out)) == 0 && *out == NULL)
		rc = cl_err(c, EPROTO, "podvisord answered wait without the "
		    "pod's record");
	if (rc != 0) {
		podvisor_outcome_free(*out);
		*out = NULL;
	}
	if (rc >= 0)
		errno = saved;
	return (rc);
}

/* Free an outcome (one allocation). */
void
podvisor_outcome_free(struct podvisor_outcome *o)
{
	free(o);
}
