/*
 * The wire layer shared by every podvisor program: framing, the peer
 * (one connection, one struct), the parsers users type values into, the
 * segment-log entry kinds, and logging.
 */
#ifndef PODVISOR_WIRE_H
#define PODVISOR_WIRE_H

#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct event_base;
struct evbuffer;
struct peer;

/*
 * Called for every message after the hello exchange, which the peer layer
 * does itself.  msg is NULL when the peer is lost (EOF, error, bad input):
 * the callback must then drop its references; the peer is freed after the
 * callback returns.  The message is freed after the callback returns, so
 * anything kept must be copied.
 */
typedef void	(*peer_cb)(struct peer *, struct msg *, void *);
/* Called when queued output has drained below the low-water mark. */
typedef void	(*peer_drain_cb)(struct peer *, void *);

/* The pod runtime finds its control channel to podvisord on this fd. */
#define WIRE_POD_FD	3

#define PEER_OUT_LOW	(256 * 1024)	/* drain callback below this */
#define PEER_OUT_MAX	(64 * 1024 * 1024) /* a peer this far behind is dropped */

/* frame.c */
/* Take one frame's payload out of buf. Returns 1 with *payload malloc'd
 * (caller frees) and *len set, 0 when more bytes are needed, -1 when the
 * announced length exceeds max (cause set). */
int		 frame_take(struct evbuffer *, size_t, void **, size_t *,
		     char *, size_t);

/* peer.c */
/* Wrap a connected, non-blocking socket; sends hello at once. The fd is
 * owned by the peer from then on. label names it in log lines. */
struct peer	*peer_new(struct event_base *, int, peer_cb, void *,
		     const char *);
void		 peer_set_frame_max(struct peer *, size_t);
void		 peer_set_drain_cb(struct peer *, peer_drain_cb);
void		 peer_set_arg(struct peer *, void *);
/* Queue a message. Returns -1 if the peer is already dead. */
int		 peer_send(struct peer *, const struct msg *);
/* Send an error reply, flush it, then close: the callback gets NULL. */
void		 peer_error(struct peer *, const char *, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
/* Send an error reply and keep the connection (a failed request). */
void		 peer_reply_error(struct peer *, const char *, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
/* Close once the queued output is flushed; the callback gets NULL. */
void		 peer_close(struct peer *);
/* Close now, discarding queued output; the callback is not called. */
void		 peer_free(struct peer *);
size_t		 peer_outq(struct peer *);
bool		 peer_dead(struct peer *);
/* SO_PEERCRED of a unix socket peer: -1 when unknown. */
pid_t		 peer_pid(struct peer *);
uid_t		 peer_uid(struct peer *);
gid_t		 peer_gid(struct peer *);
const char	*peer_label(struct peer *);

/* parse.c -- each returns 0, or -1 with a one-line reason in cause. */
/* "250ms", "1.5s", "2m", "1h", or bare seconds; result in ms. */
int		 parse_duration(const char *, int64_t *, char *, size_t);
/* "INT", "SIGINT", "sigint", "2". */
int		 parse_signal(const char *, int *, char *, size_t);
/* "SIGINT" for 2; NULL for an unknown number. */
const char	*signal_name(int);
/* [A-Za-z0-9._-]{1,64}, not all digits. */
int		 parse_pod_name(const char *, char *, size_t);
/* "4096", "64K", "64KiB", "1M", "2G"; bytes. */
int		 parse_size(const char *, uint64_t *, char *, size_t);
/* Is the string a pod id (all digits, no leading zero, > 0)? */
bool		 pod_ref_is_id(const char *, uint64_t *);

/* paths.c -- the contract's default places, by effective uid. */
/* PODVISOR_SOCKET, else /run/podvisor/podvisor.sock for root, else
 * $XDG_RUNTIME_DIR/podvisor/podvisor.sock, else /tmp/podvisor-$UID/... */
int		 default_socket_path(char *, size_t);
/* /var/lib/podvisor for root, else $XDG_STATE_HOME/podvisor, else
 * ~/.local/state/podvisor. */
int		 default_state_dir(char *, size_t);
/* mkdir -p with the given mode for each created component. */
int		 mkdir_p(const char *, mode_t);

/* time.c */
int64_t		 now_ns(void);		/* CLOCK_REALTIME */
int64_t		 mono_ms(void);		/* CLOCK_MONOTONIC */
/* RFC 3339 UTC with microseconds: "2026-11-21T06:10:00.123456Z". */
void		 format_ts(int64_t, char *, size_t);

/* Segment log entry kinds, shared by the writer (pod runtime), the reader
 * (podvisord) and podctl. Stored as one byte: never renumber. */
enum log_kind {
	LOG_SPAWN = 1,
	LOG_START,
	LOG_STDOUT,
	LOG_STDERR,
	LOG_CANCEL,
	LOG_SIGNAL,
	LOG_EXIT,
	LOG_NOTIFY,
	LOG_LOG,
	LOG_CHILD,
	LOG_TRUNCATED,
	LOG_ERROR,
	LOG_LEFTOVER,
	LOG_PARENT,	/* what happened to this pod's parent (orphaning) */
	LOG__MAX
};
const char	*log_kind_name(int);	/* "stdout"; NULL if unknown */
int		 log_kind_from_name(const char *);	/* -1 if unknown */

/* log.c -- the program's own diagnostics, on stderr. */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG };
void		 log_init(const char *, int);
int		 log_level_parse(const char *);	/* -1 if unknown */
void		 log_warn(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_info(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
void		 fatal(const char *, ...)
		     __attribute__((format(printf, 1, 2), noreturn));
void		 fatalx(const char *, ...)
		     __attribute__((format(printf, 1, 2), noreturn));

/* xmalloc.c -- allocation that cannot fail (fatal on OOM). */
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xrealloc(void *, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
char		**xstrvdup(char **);
void		 strv_free(char **);
size_t		 strv_len(char **);
int		 xasprintf(char **, const char *, ...)
		     __attribute__((format(printf, 2, 3)));

#endif
