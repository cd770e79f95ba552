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

#include "pvl.h"

#define REQUEST_MS	30000		/* for a reply that comes at once */
#define CONNECT_MS	PVL_HELLO_MS	/* to connect and hear the hello */

extern char **environ;

struct podvisor_client {
	struct pvl_chan	 ch;
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

/* The control socket's path. */
int
podvisor_default_socket(char *buf, size_t len)
{
	const char	*env = getenv("PODVISOR_SOCKET");
	const char	*xdg = getenv("XDG_RUNTIME_DIR");
	int		 n;

	if (env != NULL && *env != '\0')
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/run/podvisor/podvisor.sock");
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/podvisor/podvisor.sock", xdg);
	else
		n = snprintf(buf, len, "/tmp/podvisor-%lu/podvisor.sock",
		    (unsigned long)geteuid());
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
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

/* Send a whole frame, closing the connection if it cannot be. */
static int
cl_send(struct podvisor_client *c, struct pvl_out *o)
{
	char	 why[PVL_ERR_MAX];
	int	 rc = 0;

	if (pvl_out_end(o, why, sizeof why) == -1)
		rc = cl_err(c, errno, "%s", why);
	else if (pvl_chan_send(&c->ch, o->buf.data, o->buf.size,
	    REQUEST_MS) == -1)
		rc = cl_drop(c, errno, "lost the connection to podvisord at "
		    "%s: %s", c->path, strerror(errno));
	pvl_out_free(o);
	return (rc);
}

/* The next frame from podvisord within deadline (-1: none): 1 and the
 * decoded frame (pvl_frame_free() it, then pvl_chan_take() its length),
 * 0 timed out, -1 failed (the connection is then closed). */
static int
cl_recv(struct podvisor_client *c, int64_t deadline, struct pvl_frame *f,
    size_t *len)
{
	const uint8_t	*p;
	char		 why[PVL_ERR_MAX];
	int		 rc;

	for (;;) {
		if ((rc = pvl_chan_frame(&c->ch, &p, len, why, sizeof why))
		    == -1)
			return (cl_drop(c, EPROTO, "bad message from "
			    "podvisord: %s", why));
		if (rc == 1) {
			if (pvl_decode(p, *len, f) == 0)
				return (1);
			return (cl_drop(c, EPROTO, "bad message from "
			    "podvisord: %s", f->why));
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
cl_error_reply(struct podvisor_client *c, struct pvl_frame *f)
{
	static const struct {
		const char	*code;
		int		 errnum;
	} codes[] = {
		{ "not-found", ESRCH }, { "denied", EACCES },
		{ "usage", EINVAL }, { "protocol", EPROTO },
	};
	struct pvl_bytes	 code, text;
	size_t			 i;
	int			 errnum = EIO;

	if (pvl_get_str(f, "code", true, &code) == -1 ||
	    pvl_get_str(f, "message", true, &text) == -1)
		return (cl_drop(c, EPROTO, "bad message from podvisord: %s",
		    f->why));
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strlen(codes[i].code) == code.len &&
		    memcmp(codes[i].code, code.ptr, code.len) == 0)
			errnum = codes[i].errnum;
	if (errnum == EPROTO)
		pvl_chan_close(&c->ch);
	snprintf(c->err, sizeof c->err, "%.*s", (int)text.len, text.ptr);
	snprintf(c->code, sizeof c->code, "%.*s", (int)code.len, code.ptr);
	errno = errnum;
	return (-1);
}

/* Read podvisord's hello, which must be of our version. */
static int
cl_hello(struct podvisor_client *c, int64_t deadline)
{
	struct pvl_frame	 f;
	struct pvl_out		 o;
	uint64_t		 version = 0;
	size_t			 len;
	int			 rc;

	if ((rc = cl_recv(c, deadline, &f, &len)) == 0)
		return (cl_drop(c, ETIMEDOUT, "podvisord at %s did not say "
		    "hello in time", c->path));
	if (rc == -1)
		return (-1);
	if (pvl_is(&f, "error"))
		rc = cl_error_reply(c, &f);
	else if (!pvl_is(&f, "hello") ||
	    pvl_get_uint(&f, "version", true, &version) == -1 ||
	    version != PODVISOR_PROTOCOL_VERSION) {
		pvl_out_begin(&o, "error");
		pvl_out_str(&o, "code", "protocol");
		pvl_out_str(&o, "message", "protocol version mismatch");
		(void)cl_send(c, &o);
		rc = cl_drop(c, EPROTO, "podvisord at %s speaks protocol %llu, "
		    "this library speaks %d", c->path,
		    (unsigned long long)version, PODVISOR_PROTOCOL_VERSION);
	}
	pvl_frame_free(&f);
	pvl_chan_take(&c->ch, len);
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
	struct pvl_out	 o;
	int64_t		 deadline = pvl_now_ms() + CONNECT_MS;

	if (c->ch.fd != -1 && !cl_alive(c))
		pvl_chan_close(&c->ch);
	if (c->ch.fd != -1)
		return (0);
	pvl_chan_free(&c->ch);
	if (cl_connect(c, deadline) == -1)
		return (-1);
	pvl_out_begin(&o, "hello");
	pvl_out_uint(&o, "version", PODVISOR_PROTOCOL_VERSION);
	if (cl_send(c, &o) == -1)
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
 * inherit_env, then the options'. */
static int
spawn_env(struct podvisor_client *c, struct pvl_out *o,
    const struct podvisor_spawn_opts *opts)
{
	const char	**all;
	size_t		  ne = 0, no = 0;

	if (opts->inherit_env)
		for (ne = 0; environ != NULL && environ[ne] != NULL; ne++)
			;
	if (vec_count(opts->env, true, &no) == -1)
		return (cl_err(c, EINVAL, "spawn: an env entry is not K=V, or "
		    "is over %d bytes", PVL_STR_MAX));
	if (ne + no == 0)
		return (0);
	if ((all = calloc(ne + no, sizeof *all)) == NULL)
		return (cl_err(c, ENOMEM, "out of memory"));
	memcpy(all, environ, ne * sizeof *all);
	memcpy(all + ne, opts->env, no * sizeof *all);
	pvl_out_strv(o, "env", all, ne + no);
	free(all);
	return (0);
}

/* A duration option, unless left to the default. */
static void
spawn_ms(struct pvl_out *o, const char *key, int64_t ms)
{
	if (ms >= 0)
		pvl_out_int(o, key, ms);
}

/* The working directory to send: absolute, the current one by default. */
static int
spawn_cwd(struct podvisor_client *c, struct pvl_out *o, const char *cwd)
{
	char	 here[PVL_STR_MAX + 1], path[2 * PVL_STR_MAX + 2];

	if (cwd != NULL && cwd[0] == '/') {
		pvl_out_str(o, "cwd", cwd);
		return (0);
	}
	if (getcwd(here, sizeof here) == NULL)
		return (cl_err(c, errno, "spawn: cannot find the current "
		    "directory: %s", strerror(errno)));
	if (cwd == NULL)
		snprintf(path, sizeof path, "%s", here);
	else
		snprintf(path, sizeof path, "%s/%s", here, cwd);
	if (strlen(path) > PVL_STR_MAX)
		return (cl_err(c, ENAMETOOLONG, "spawn: the working directory "
		    "is too long"));
	pvl_out_str(o, "cwd", path);
	return (0);
}

/* Build a spawn request: -1 (nothing built to free) if it cannot be. */
static int
spawn_request(struct podvisor_client *c, struct pvl_out *o,
    const char *const argv[], const struct podvisor_spawn_opts *opts)
{
	const char	*parent = opts->parent;
	size_t		 n;

	if (vec_count(argv, false, &n) == -1 || n == 0)
		return (cl_err(c, EINVAL, "spawn: argv needs a command, each "
		    "word at most %d bytes", PVL_STR_MAX));
	if (parent == NULL && (parent = getenv("PODVISOR_POD")) != NULL &&
	    *parent == '\0')
		parent = NULL;
	pvl_out_begin(o, "spawn");
	pvl_out_strv(o, "argv", argv, n);
	if (spawn_cwd(c, o, opts->cwd) == -1 || spawn_env(c, o, opts) == -1) {
		pvl_out_free(o);
		return (-1);
	}
	if (opts->inherit_env)
		pvl_out_bool(o, "inherit_env", true);
	if (opts->name != NULL)
		pvl_out_str(o, "name", opts->name);
	if (parent != NULL)
		pvl_out_str(o, "parent", parent);
	if (opts->stop_signal > 0)
		pvl_out_int(o, "stop_signal", opts->stop_signal);
	if (opts->on_parent_exit != NULL)
		pvl_out_str(o, "on_parent_exit", opts->on_parent_exit);
	spawn_ms(o, "cancel_grace_ms", opts->cancel_grace_ms);
	spawn_ms(o, "term_grace_ms", opts->term_grace_ms);
	spawn_ms(o, "timeout_ms", opts->timeout_ms);
	spawn_ms(o, "heartbeat_ms", opts->heartbeat_ms);
	spawn_ms(o, "max_extend_ms", opts->max_extend_ms);
	return (0);
}

/* Send a request and read its one-frame reply, which must be of type
 * want (or an error): 0 with the frame, -1. */
static int
cl_call(struct podvisor_client *c, struct pvl_out *o, const char *want,
    int timeout_ms, struct pvl_frame *f, size_t *len)
{
	int	 rc;

	if (cl_ready(c) == -1) {
		pvl_out_free(o);
		return (-1);
	}
	if (cl_send(c, o) == -1)
		return (-1);
	rc = cl_recv(c, timeout_ms < 0 ? -1 : pvl_now_ms() + timeout_ms, f,
	    len);
	if (rc == 0)
		return (cl_drop(c, ETIMEDOUT, "podvisord did not answer in "
		    "time"));
	if (rc == -1)
		return (-1);
	if (pvl_is(f, want))
		return (0);
	rc = pvl_is(f, "error") ? cl_error_reply(c, f) : cl_drop(c, EPROTO,
	    "unexpected '%.*s' message from podvisord", (int)(f->typelen > 64 ?
	    64 : f->typelen), f->type);
	pvl_frame_free(f);
	pvl_chan_take(&c->ch, *len);
	return (rc);
}

/* Start a pod. */
int
podvisor_client_spawn(struct podvisor_client *c, const char *const argv[],
    const struct podvisor_spawn_opts *opts, uint64_t *id)
{
	struct podvisor_spawn_opts	 defaults;
	struct pvl_out			 o;
	struct pvl_frame		 f;
	size_t				 len;
	int				 saved = errno, rc;

	if (opts == NULL) {
		podvisor_spawn_opts_init(&defaults);
		opts = &defaults;
	}
	if (spawn_request(c, &o, argv, opts) == -1 ||
	    cl_call(c, &o, "ok", REQUEST_MS, &f, &len) == -1)
		return (-1);
	if ((rc = pvl_get_uint(&f, "id", false, id)) == -1 || *id == 0)
		rc = cl_drop(c, EPROTO, "podvisord answered spawn without an "
		    "id");
	pvl_frame_free(&f);
	pvl_chan_take(&c->ch, len);
	if (rc == 0)
		errno = saved;
	return (rc);
}

/* An end's missing pods: -1 (not-found) if it names any. */
static int
cl_missing(struct podvisor_client *c, struct pvl_frame *f)
{
	const msgpack_object	*v = NULL;
	uint32_t		 i;

	for (i = 0; i < f->map->size; i++)
		if (f->map->ptr[i].key.via.str.size == 7 &&
		    memcmp(f->map->ptr[i].key.via.str.ptr, "missing", 7) == 0)
			v = &f->map->ptr[i].val;
	if (v == NULL || v->type == MSGPACK_OBJECT_NIL ||
	    (v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 0))
		return (0);
	if (v->type != MSGPACK_OBJECT_ARRAY ||
	    v->via.array.ptr[0].type != MSGPACK_OBJECT_STR)
		return (cl_drop(c, EPROTO, "bad message from podvisord: 'end' "
		    "message: field 'missing' must be an array of strings"));
	cl_err(c, ESRCH, "no such pod: %.*s",
	    (int)(v->via.array.ptr[0].via.str.size > 256 ? 256 :
	    v->via.array.ptr[0].via.str.size), v->via.array.ptr[0].via.str.ptr);
	snprintf(c->code, sizeof c->code, "not-found");
	return (-1);
}

/* Ask for a pod and its subtree to stop, without waiting. */
int
podvisor_client_stop(struct podvisor_client *c, const char *pod,
    const char *reason)
{
	struct pvl_out		 o;
	struct pvl_frame	 f;
	size_t			 len;
	int			 saved = errno, rc;

	if (pod == NULL || strlen(pod) > PVL_STR_MAX || (reason != NULL &&
	    strlen(reason) > PVL_STR_MAX))
		return (cl_err(c, EINVAL, "stop: name a pod, and a reason of "
		    "at most %d bytes", PVL_STR_MAX));
	pvl_out_begin(&o, "stop");
	pvl_out_strv(&o, "pods", &pod, 1);
	if (reason != NULL)
		pvl_out_str(&o, "reason", reason);
	pvl_out_bool(&o, "wait", false);
	if (cl_call(c, &o, "end", REQUEST_MS, &f, &len) == -1)
		return (-1);
	rc = cl_missing(c, &f);
	pvl_frame_free(&f);
	pvl_chan_take(&c->ch, len);
	if (rc == 0)
		errno = saved;
	return (rc);
}

/* A pod record as an outcome: NULL (with the client's error) if bad. */
static struct podvisor_outcome *
cl_outcome(struct podvisor_client *c, struct pvl_frame *f)
{
	struct podvisor_outcome	*out, tmp;
	struct pvl_bytes	 name, state, reason;
	int64_t			 sig;
	char			*at;

	memset(&tmp, 0, sizeof tmp);
	if (pvl_get_uint(f, "id", true, &tmp.id) == -1 ||
	    pvl_get_str(f, "name", false, &name) == -1 ||
	    pvl_get_str(f, "state", true, &state) == -1 ||
	    pvl_get_int(f, "exit_code", false, &tmp.exit_code) == -1 ||
	    pvl_get_int(f, "signal", false, &sig) == -1 ||
	    pvl_get_str(f, "reason", false, &reason) == -1) {
		cl_drop(c, EPROTO, "bad message from podvisord: %s", f->why);
		return (NULL);
	}
	tmp.signal = sig > 0 && sig <= 64 ? (int)sig : 0;
	if ((out = calloc(1, sizeof *out + name.len + state.len + reason.len +
	    3)) == NULL) {
		cl_drop(c, ENOMEM, "out of memory");
		return (NULL);
	}
	*out = tmp;
	at = (char *)(out + 1);
	out->state = memcpy(at, state.ptr, state.len);
	at += state.len + 1;
	if (name.ptr != NULL)
		out->name = memcpy(at, name.ptr, name.len);
	at += name.len + 1;
	if (reason.ptr != NULL)
		out->reason = memcpy(at, reason.ptr, reason.len);
	return (out);
}

/* Read a wait's reply: pod records, then end. */
static int
cl_wait_reply(struct podvisor_client *c, int64_t deadline,
    struct podvisor_outcome **out)
{
	struct pvl_frame	 f;
	size_t			 len;
	int			 rc;

	for (;;) {
		if ((rc = cl_recv(c, deadline, &f, &len)) == 0) {
			pvl_chan_free(&c->ch);		/* mid-reply */
			pvl_chan_init(&c->ch, -1);
			return (PODVISOR_TIMEOUT);
		}
		if (rc == -1)
			return (-1);
		if (pvl_is(&f, "pod"))
			rc = *out != NULL || (*out = cl_outcome(c, &f)) != NULL
			    ? 0 : -1;
		else if (pvl_is(&f, "end"))
			rc = cl_missing(c, &f) == -1 ? -1 : 1;
		else if (pvl_is(&f, "error"))
			rc = cl_error_reply(c, &f);
		else
			rc = cl_drop(c, EPROTO, "unexpected '%.*s' message "
			    "from podvisord", (int)(f.typelen > 64 ? 64 :
			    f.typelen), f.type);
		pvl_frame_free(&f);
		pvl_chan_take(&c->ch, len);
		if (rc != 0)
			return (rc == 1 ? 0 : -1);
	}
}

/* Wait for a pod to end. */
int
podvisor_client_wait(struct podvisor_client *c, const char *pod,
    int timeout_ms, struct podvisor_outcome **out)
{
	struct pvl_out	 o;
	int64_t		 deadline = timeout_ms < 0 ? -1 : pvl_now_ms() +
			    timeout_ms;
	int		 saved = errno, rc;

	*out = NULL;
	if (pod == NULL || strlen(pod) > PVL_STR_MAX)
		return (cl_err(c, EINVAL, "wait: name a pod"));
	pvl_out_begin(&o, "wait");
	pvl_out_strv(&o, "pods", &pod, 1);
	if (cl_ready(c) == -1) {
		pvl_out_free(&o);
		return (-1);
	}
	if (cl_send(c, &o) == -1)
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
