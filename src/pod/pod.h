/*
 * The pod runtime: one process per pod, started by podvisord with its
 * control channel on WIRE_POD_FD.  It runs the workload in its own process
 * group, records its output in the segment log, forwards stop requests,
 * reaps everything the workload leaves behind, and stops the workload on
 * its own if podvisord goes away.
 */
#ifndef PODVISOR_POD_H
#define PODVISOR_POD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct event;
struct event_base;
struct msg;
struct msg_start;
struct peer;
struct pod_http;
struct seglog;

#define POD_READ_CHUNK		(64 * 1024)	/* one read, one entry */
#define POD_BURST_MAX		(4 * 1024 * 1024) /* one transaction */
#define POD_PIPE_SIZE		(1024 * 1024)	/* asked of the kernel */
#define POD_SYNC_MS		1000		/* fsync the log this often */
#define POD_LEFTOVER_MS		1000		/* SIGTERM to SIGKILL, leftovers */
#define POD_SETTLE_MS		100		/* let dying processes go first */
#define POD_SWEEP_MS		200		/* repeat SIGKILL sweeps */
#define POD_FLUSH_MS		5000		/* give up flushing the channel */
#define POD_NOTIFY_MAX		WIRE_QUEUE_MAX	/* messages queued for the workload */
#define POD_API_FD		3		/* PODVISOR_API_FD, in the workload */
#define POD_API_PENDING_MAX	64		/* requests awaiting podvisord */
#define POD_API_DATA_MAX	(64 * 1024)	/* a log message, a result */
#define POD_REPORT_MS		100		/* statuses go up this often */

/* What the runtime is doing. */
enum rt_state {
	RT_IDLE,		/* waiting for MSG_START */
	RT_RUNNING,		/* the main process is alive */
	RT_CLEANUP,		/* main process reaped: leftovers, pipes */
	RT_DONE		/* exit entry synced; flushing the channel */
};

/* The stop the runtime runs itself when podvisord is gone. */
enum pod_stop {
	POD_STOP_NONE,
	POD_STOP_CANCEL,	/* stop signal sent, within cancel grace */
	POD_STOP_TERM,		/* SIGTERM sent, within term grace */
	POD_STOP_KILL		/* SIGKILL sent */
};

/* A pause podvisord asked for. */
enum pod_pause {
	POD_PAUSE_NONE,
	POD_PAUSE_ASKED,	/* through the pod API, within cancel grace */
	POD_PAUSE_CONFIRMED,	/* the workload paused itself */
	POD_PAUSE_FROZEN	/* SIGSTOP to the pod's processes */
};

/* Leftover cleanup after the main process ended. */
enum pod_sweep {
	POD_SWEEP_NONE,
	POD_SWEEP_SETTLE,	/* main reaped; what is dying gets to finish */
	POD_SWEEP_TERM,		/* SIGTERM sent, within leftover grace */
	POD_SWEEP_KILL		/* SIGKILL sent, repeated until none remain */
};

/* One of the workload's output pipes. */
struct pod_stream {
	struct runtime	*rt;
	int		 fd;		/* read end, -1 once at EOF */
	int		 kind;		/* LOG_STDOUT or LOG_STDERR */
	struct event	*ev;
};

/* A request of the workload's that podvisord answers (extend, result);
 * answers come in the order of the requests. */
struct api_request {
	TAILQ_ENTRY(api_request) entry;
	enum msg_type		 type;
	uint64_t		 ms;		/* extend */
	char			*why;		/* extend */
};
TAILQ_HEAD(api_requests, api_request);

/* The pod API: the workload's own channel (api.c). */
struct pod_api {
	struct peer		*peer;		/* NULL: gone, or never made */
	bool			 open;		/* the workload said hello */
	bool			 broken;	/* closed for its bad input */
	bool			 cancel;	/* what its hello said it handles */
	bool			 notify;
	bool			 pause;
	bool			 interrupt;	/* critical messages unasked */
	pid_t			 pid;		/* who said hello */
	bool			 recv_waiting;	/* a recv awaits a message */
	bool			 acked;		/* the cancel was acknowledged */
	struct api_requests	 pending;
	size_t			 npending;
	/* The status, coalesced (api_report). */
	char			*report_text;
	double			 report_progress;
	bool			 report_pending;
	int64_t			 report_sent_at;	/* mono ms */
	struct event		*report_timer;
	/* Commits the log entries of one burst of frames (api_log). */
	struct event		*log_flush;
	bool			 log_batch;	/* its batch is open */
};

/* The cancel podvisord sent (or the runtime's own, podvisord gone). */
struct pod_cancel {
	bool			 sent;
	char			*reason;
	char			*by;
	int64_t			 deadline;	/* ns: SIGTERM */
};

/* Message priorities, least urgent first. */
enum pod_prio {
	POD_PRIO_LOW,
	POD_PRIO_NORMAL,
	POD_PRIO_HIGH,
	POD_PRIO_CRITICAL,
	POD_NPRIO
};

/* A notify message waiting for the workload (queue.c). */
struct pod_notify {
	TAILQ_ENTRY(pod_notify)	 entry;
	uint64_t		 seq;		/* its notify entry */
	int			 prio;		/* enum pod_prio */
	int			 list;		/* the queue it is on */
	char			*key;		/* NULL: none */
	uint64_t		*preempted;	/* the pods --preempt stopped */
	size_t			 npreempted;
	size_t			 len;
	uint8_t			 data[];
};
TAILQ_HEAD(pod_notifies, pod_notify);

struct runtime {
	struct event_base	*base;
	struct peer		*peer;		/* NULL once lost */
	struct seglog		*log;
	enum rt_state		 state;
	enum pod_stop		 stop;
	enum pod_sweep		 sweep;
	enum pod_pause		 pause;
	int			 exit_status;	/* the runtime's own */

	/* From MSG_START. */
	uint64_t		 id;
	char			**argv;
	char			**env;
	char			*cwd;
	char			*dir;
	int			 stop_signal;
	uint64_t		 cancel_grace_ms;
	uint64_t		 term_grace_ms;
	int64_t			 uid;		/* WIRE_NONE: the runtime's own */
	int64_t			 gid;
	gid_t			*groups;	/* supplementary, with uid */
	size_t			 ngroups;
	int64_t			 limits[WIRE_NLIMITS]; /* WIRE_NONE: inherited */
	int64_t			 nofile_soft;	/* restored without a limit */
	uint64_t		 log_max;	/* segment log cap, 0: none */
	size_t			 burst_max;	/* output bytes per transaction */
	char			*name;		/* for the pod API's welcome */
	int64_t			 parent;
	int64_t			 timeout_at;
	struct wire_http	 http_req;	/* url set: an HTTP pod (owned) */

	/* The workload: a process, or an HTTP transfer (http.c). */
	struct pod_http		*http;
	pid_t			 pid;		/* main process == its pgid */
	bool			 reaped;	/* main process waited for */
	bool			 nochild;	/* waitpid said ECHILD */
	int			 wstatus;
	char			*error;		/* why it could not start */
	struct pod_stream	 out[2];
	pid_t			*leftovers;	/* distinct pids swept */
	size_t			 nleftovers;

	/* Events and deadlines. */
	struct event		*ev_sigchld;
	struct event		*ev_sigterm;
	struct event		*ev_sigint;
	struct event		*ev_sighup;
	struct event		*stop_timer;
	struct event		*sweep_timer;
	struct event		*drain_timer;
	struct event		*sync_timer;
	struct event		*flush_timer;
	struct event		*pause_timer;	/* no confirmation: freeze */
	bool			 dirty;		/* committed since last sync */
	uint64_t		 logged_seq;	/* last seq told to podvisord */
	size_t			 logged_queued;	/* and queue depth */

	struct pod_notifies	 queue[POD_NPRIO];
	size_t			 nqueued;

	struct pod_api		 api;
	struct pod_cancel	 cancel;
};

/* The segment log's map size: SEGLOG_MAP_SIZE unless podvisord was
 * started with --log-map-size (a testing option: a tiny map fills). */
extern uint64_t	 pod_map_size;

/* runtime.c */
void		 runtime_init(struct runtime *, struct event_base *);
void		 runtime_free(struct runtime *);
void		 pod_dispatch(struct peer *, struct msg *, void *);
void		 pod_send(struct runtime *, const struct msg *);
void		 pod_committed(struct runtime *);
void		 pod_log(struct runtime *, int, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
void		 pod_check_done(struct runtime *);
void		 pod_send_ended(struct runtime *);
void		 pod_paused(struct runtime *);

/* queue.c */
const char	*queue_priority_name(int);
int		 queue_priority(const char *);
void		 queue_add(struct runtime *, struct pod_notify *);
struct pod_notify *queue_next(struct runtime *);
void		 queue_delivered(struct runtime *, struct pod_notify *);
void		 queue_free(struct runtime *);

/* api.c */
void		 api_open(struct runtime *, int);
void		 api_close(struct runtime *);
void		 api_drain(struct runtime *);
bool		 api_cancel(struct runtime *);
void		 api_deliver(struct runtime *);
void		 api_child(struct runtime *, const struct msg *);
int		 api_reply(struct runtime *, const struct msg *);
void		 api_supervisor_lost(struct runtime *);
void		 api_pause(struct runtime *);
void		 api_resume(struct runtime *);

/* http.c */
int		 http_start(struct runtime *, char *, size_t);
bool		 http_live(struct runtime *);
void		 http_abort(struct runtime *, int);
void		 http_signal(struct runtime *, int);
void		 http_pause(struct runtime *, bool);
void		 http_fill_ended(struct runtime *, struct msg *);
void		 http_exit_text(struct runtime *, char *, size_t);
void		 http_log_request(struct runtime *);
void		 http_free(struct runtime *);

/* workload.c */
int		 workload_start(struct runtime *, char *, size_t);
void		 workload_close_stream(struct pod_stream *);
void		 workload_drain(struct pod_stream *);
int		 workload_signal(struct runtime *, int, bool);
size_t		 workload_sweep(struct runtime *, int);

#endif
