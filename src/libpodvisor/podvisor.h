/*
 * libpodvisor: the C client library of podvisor.
 *
 * A workload run by podvisord opens its pod API with podvisor_attach():
 * a channel to its pod runtime through which it hears a stop as a cancel
 * message (and acknowledges it), asks for more time, writes log entries,
 * reports its status, heartbeats, sets its result, reads the notify
 * messages sent to it and hears of its child pods.  A small control
 * socket client spawns, stops and waits for pods.
 *
 * The library has no global state, starts no thread and installs no
 * signal handler.  Each struct podvisor_pod is an opaque handle, used by
 * one thread at a time; podvisor_fd() gives its descriptor for the
 * program's own poll loop, podvisor_process() reads what is there.
 *
 * Return values: 0 (PODVISOR_OK) on success; one of the positive
 * PODVISOR_* codes below where a call says so; -1 on failure, with errno
 * set and podvisor_error() holding one line of text to print.  Calls that
 * do not fail leave errno alone.  Strings and structs returned as const
 * are owned by the handle; those returned through a pointer to a pointer
 * are the caller's and say which function frees them.
 *
 * See podvisor(3).
 */
#ifndef PODVISOR_H
#define PODVISOR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PODVISOR_PROTOCOL_VERSION	5	/* the pod API's wire version */
#define PODVISOR_PAYLOAD_MAX	(64 * 1024)	/* a log message or a result */
#define PODVISOR_TEXT_MAX	4096		/* a status text, a reason */

/* What a call returns besides 0 and -1. */
#define PODVISOR_OK		0
#define PODVISOR_STOPPED	1	/* the pod is cancelled, for good */
#define PODVISOR_INTERRUPTED	2	/* a --preempt message (or, with
					   PODVISOR_HANDLE_INTERRUPT, a
					   critical one) is waiting */
#define PODVISOR_TIMEOUT	3	/* nothing came in time */
#define PODVISOR_CHECK		4	/* cancelled or asked to pause: call
					   podvisor_check() */
#define PODVISOR_REFUSED	5	/* the runtime or podvisord said no;
					   podvisor_error() says why */

/* What the workload handles, for podvisor_attach(); 0 means all three. */
#define PODVISOR_HANDLE_CANCEL	0x01	/* a stop is a message, not a signal */
#define PODVISOR_HANDLE_NOTIFY	0x02	/* read messages sent with podctl send */
#define PODVISOR_HANDLE_PAUSE	0x04	/* pause at a boundary, not SIGSTOP */
#define PODVISOR_HANDLE_INTERRUPT 0x08	/* critical messages interrupt: they
					   come unasked, and podvisor_check()
					   returns PODVISOR_INTERRUPTED */
#define PODVISOR_HANDLE_NONE	0x80	/* none: keep the stop signal */

/* Log levels, for podvisor_log(). */
enum podvisor_level {
	PODVISOR_LOG_DEBUG,
	PODVISOR_LOG_INFO,
	PODVISOR_LOG_WARNING,
	PODVISOR_LOG_ERROR
};

struct podvisor_pod;
struct podvisor_client;

/* A cancel of this pod; owned by the pod, valid until podvisor_close(). */
struct podvisor_cancel {
	const char		*reason;	/* "user", "timeout", ... */
	const char		*requested_by;	/* "user alice", "parent 12", or "" */
	struct timespec		 deadline;	/* CLOCK_REALTIME of the SIGTERM,
						   moved by an extend; {0, 0}:
						   none given */
};

/* A notify message; the caller's, freed with podvisor_message_free(). */
struct podvisor_message {
	uint64_t		 seq;		/* its entry in the pod's log */
	const char		*priority;	/* low normal high critical */
	const char		*key;		/* or NULL */
	const unsigned char	*data;		/* the bytes sent; data[len] is 0 */
	size_t			 len;
	const uint64_t		*preempted;	/* pods stopped by --preempt */
	size_t			 npreempted;
};

/* A child pod was spawned or ended; freed with podvisor_child_event_free(). */
struct podvisor_child_event {
	uint64_t		 id;
	const char		*name;		/* or NULL */
	const char		*event;		/* "spawned" or "ended" */
	const char		*state;		/* its state; the final one if ended */
	int64_t			 exit_code;	/* -1: none */
	int			 signal;	/* 0: none */
	const char		*reason;	/* stop reason, or NULL */
	const char		*result;	/* its result as JSON text, or NULL */
	size_t			 result_len;
};

/* Spawn options: set with podvisor_spawn_opts_init(), then fill in. */
#define PODVISOR_DEFAULT	(-1)		/* a duration left to podvisord */
struct podvisor_spawn_opts {
	const char		*name;		/* or NULL */
	const char		*parent;	/* pod id or name; NULL: see spawn */
	const char		*cwd;		/* NULL: the current directory */
	const char *const	*env;		/* "K=V" entries, NULL-terminated */
	bool			 inherit_env;	/* start from this environment */
	int			 stop_signal;	/* 0: SIGINT */
	const char		*on_parent_exit;	/* NULL ("stop") or "orphan" */
	int64_t			 cancel_grace_ms;
	int64_t			 term_grace_ms;
	int64_t			 timeout_ms;
	int64_t			 heartbeat_ms;
	int64_t			 max_extend_ms;
	const char		*restart;	/* NULL ("no"), "on-failure",
						   "always" */
	int64_t			 max_restarts;	/* PODVISOR_DEFAULT: 5 */
	int64_t			 restart_delay_ms;	/* the first wait */
};

/* How a pod ended, from podvisor_client_wait(); podvisor_outcome_free(). */
struct podvisor_outcome {
	uint64_t		 id;
	const char		*name;		/* or NULL */
	const char		*state;		/* "succeeded", "stopped", ... */
	int64_t			 exit_code;	/* -1: none */
	int			 signal;	/* 0: none */
	const char		*reason;	/* stop reason, or NULL */
};

/* Opening and closing the pod API. */

/* Open this process's pod API: NULL with errno set and err filled on
 * failure; errno ENOENT means "not in a pod".  Once per process. */
struct podvisor_pod	*podvisor_attach(unsigned handles, char *err,
			    size_t errlen);
/* Close the channel and free the pod and all it owns; NULL is fine. */
void			 podvisor_close(struct podvisor_pod *);
/* The text of the last failure, owned by the pod. */
const char		*podvisor_error(const struct podvisor_pod *);

/* Who this pod is (from the runtime's welcome). */
uint64_t		 podvisor_id(const struct podvisor_pod *);
/* Its name, or NULL. */
const char		*podvisor_name(const struct podvisor_pod *);
/* Its parent's id, or 0 for a top-level pod. */
uint64_t		 podvisor_parent(const struct podvisor_pod *);
/* 1 and the SIGTERM deadline (or the --timeout one), or 0 if none. */
int			 podvisor_deadline(struct podvisor_pod *,
			    struct timespec *);

/* The program's own poll loop. */

/* The descriptor to poll for POLLIN; -1 once the channel is closed. */
int			 podvisor_fd(const struct podvisor_pod *);
/* Read and take in whatever has arrived, without blocking: 0 or -1. */
int			 podvisor_process(struct podvisor_pod *);

/* The cancel. */

/* A step boundary: 0, PODVISOR_STOPPED (every time once cancelled),
 * PODVISOR_INTERRUPTED or -1; blocks only while the pod is paused. */
int			 podvisor_check(struct podvisor_pod *);
/* True once the pod is cancelled; stays true. */
bool			 podvisor_cancelled(struct podvisor_pod *);
/* The cancel, or NULL while there is none. */
const struct podvisor_cancel *podvisor_cancel_info(struct podvisor_pod *);
/* Wait up to timeout_ms (-1: forever): PODVISOR_STOPPED, PODVISOR_TIMEOUT
 * or -1. */
int			 podvisor_wait_cancel(struct podvisor_pod *,
			    int timeout_ms);
/* More time before SIGTERM: 0 and the new deadline, PODVISOR_REFUSED or
 * -1. */
int			 podvisor_extend(struct podvisor_pod *, double seconds,
			    const char *why, struct timespec *new_deadline);

/* Telling podvisor what the workload does. */

/* A log entry; the formatted text is at most PODVISOR_PAYLOAD_MAX bytes. */
int			 podvisor_log(struct podvisor_pod *,
			    enum podvisor_level, const char *, ...)
			    __attribute__((__format__(__printf__, 3, 4)));
/* podvisor_log() with a va_list. */
int			 podvisor_logv(struct podvisor_pod *,
			    enum podvisor_level, const char *, va_list)
			    __attribute__((__format__(__printf__, 3, 0)));
/* A log entry with fields: a JSON object text, or NULL. */
int			 podvisor_log_fields(struct podvisor_pod *,
			    enum podvisor_level, const char *message,
			    const char *fields);
/* A status text and a progress from 0 to 1 (negative: none). */
int			 podvisor_set_status(struct podvisor_pod *,
			    const char *text, double progress);
/* The workload is alive (see podctl spawn --heartbeat). */
int			 podvisor_heartbeat(struct podvisor_pod *);
/* The pod's result, one JSON value: 0, PODVISOR_REFUSED or -1. */
int			 podvisor_set_result(struct podvisor_pod *,
			    const char *json);

/* Messages and child events. */

/* The next notify message: 0 and *out, PODVISOR_TIMEOUT, PODVISOR_CHECK
 * or -1. */
int			 podvisor_next_message(struct podvisor_pod *,
			    int timeout_ms, struct podvisor_message **out);
/* Free a message; NULL is fine. */
void			 podvisor_message_free(struct podvisor_message *);
/* The next child event: 0 and *out, PODVISOR_TIMEOUT, PODVISOR_CHECK
 * (a pause) or -1. */
int			 podvisor_next_child_event(struct podvisor_pod *,
			    int timeout_ms, struct podvisor_child_event **out);
/* Free a child event; NULL is fine. */
void			 podvisor_child_event_free(struct podvisor_child_event *);

/* Child pods, and the control socket. */

/* Every option at its default. */
void			 podvisor_spawn_opts_init(struct podvisor_spawn_opts *);
/* Spawn a child pod of this pod through the control socket: 0 and *id,
 * or -1 (podvisor_error() says why). */
int			 podvisor_spawn(struct podvisor_pod *,
			    const char *const argv[],
			    const struct podvisor_spawn_opts *, uint64_t *id);

/* The control socket's path: $PODVISOR_SOCKET or the default; 0 or -1. */
int			 podvisor_default_socket(char *, size_t);
/* Connect to podvisord (NULL: the default socket); NULL and err on
 * failure. */
struct podvisor_client	*podvisor_client_open(const char *socket, char *err,
			    size_t errlen);
/* Close the connection and free the client; NULL is fine. */
void			 podvisor_client_close(struct podvisor_client *);
/* The text of the client's last failure. */
const char		*podvisor_client_error(const struct podvisor_client *);
/* The wire code of its last failure ("not-found", "denied", ...), or NULL
 * when podvisord did not answer with one. */
const char		*podvisor_client_error_code(
			    const struct podvisor_client *);
/* Start a pod: 0 and *id, or -1. */
int			 podvisor_client_spawn(struct podvisor_client *,
			    const char *const argv[],
			    const struct podvisor_spawn_opts *, uint64_t *id);
/* Ask for a pod and its subtree to stop (reason NULL: "user"), without
 * waiting: 0 or -1. */
int			 podvisor_client_stop(struct podvisor_client *,
			    const char *pod, const char *reason);
/* Wait up to timeout_ms (-1: forever) for a pod to end: 0 and *out,
 * PODVISOR_TIMEOUT or -1. */
int			 podvisor_client_wait(struct podvisor_client *,
			    const char *pod, int timeout_ms,
			    struct podvisor_outcome **out);
/* Free an outcome; NULL is fine. */
void			 podvisor_outcome_free(struct podvisor_outcome *);

#ifdef __cplusplus
}
#endif

#endif
