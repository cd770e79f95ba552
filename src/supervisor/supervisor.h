/*
 * podvisord: one libevent loop that owns the pod tree.
 *
 * A pod is supervised as a small state machine (pod.c).  `state` is what
 * is (the contract's states), `phase` how far its end has come, and
 * `stop_wanted` what was asked.  Transitions are named functions driven
 * by runtime messages, timers and SIGCHLD.  Every change of a pod is
 * persisted through registry.c in one LMDB transaction at the end of the
 * loop pass (main.c's sv_pass), before anyone waiting on it is told.
 */
#ifndef PODVISOR_SUPERVISOR_H
#define PODVISOR_SUPERVISOR_H

#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "wire.h"
#include "seglog.h"

#ifndef TAILQ_FOREACH_SAFE	/* glibc's sys/queue.h lacks it */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define LOG_MAX_DEFAULT	(64ULL * 1024 * 1024)	/* --log-max */
#define LOG_MAX_MIN	(64ULL * 1024)
#define SOCKET_GROUP	"podvisor"	/* a root daemon's socket group */
#define API_RESULT_MAX	(64 * 1024)	/* a workload's result, bytes */

struct event;
struct event_base;
struct MDB_txn;
struct evbuffer;
struct peer;
struct seglog;

enum pod_state {
	POD_STARTING,
	POD_RUNNING,
	POD_STOPPING,
	POD_TERMINATING,
	POD_KILLING,
	POD_PAUSED,
	POD_RESTARTING,		/* between runs, by its restart policy */
	/* Terminal states from here on. */
	POD_SUCCEEDED,
	POD_FAILED,
	POD_STOPPED,
	POD_TERMINATED,
	POD_KILLED,
	POD_LOST
};
#define POD_TERMINAL(p)	((p)->state >= POD_SUCCEEDED)

/* How far a pod's end has come, beside the state podctl shows. */
enum pod_phase {
	PHASE_LIVE,		/* the main process has not ended */
	PHASE_ENDING,		/* it ended: outcome decided, runtime cleans up */
	PHASE_EXITED,		/* the runtime committed the exit entry: it
				   concludes, its runtime closing (reap.c) */
	PHASE_FAULTY		/* the runtime broke the protocol: ends lost */
};

/* --restart: when a run that ended on its own is followed by another. */
enum restart_policy {
	RESTART_NO,
	RESTART_ON_FAILURE,	/* it ended failed (or lost) */
	RESTART_ALWAYS		/* whatever the outcome */
};
#define RESTART_MAX_DEFAULT	5
#define RESTART_DELAY_DEFAULT	1000		/* ms, the first wait */
#define RESTART_DELAY_CAP	(5 * 60 * 1000)	/* ms, the doubling's bound */
#define RESTART_DELAY_MAX	(24 * 3600 * 1000)	/* ms, --restart-delay */
#define RESTART_SHORT_RUN	10000		/* ms: a shorter run doubles it */

/* After SIGKILL, or after the main process ended, how long the runtime
 * gets to report and exit before it is killed itself; and a closing
 * runtime (reap.c), after `exited`, to exit. */
#define RUNTIME_KILL_DEADLINE_MS	2000
#define RUNTIME_EXIT_DEADLINE_MS	5000

struct logstream;
struct send_req;
struct journal_entry;

TAILQ_HEAD(podlist, pod);
TAILQ_HEAD(streamlist, logstream);
TAILQ_HEAD(sendlist, send_req);
TAILQ_HEAD(journallist, journal_entry);

/* A pod's place in the group commit of exit entries (logsync.c). */
enum logsync {
	LOGSYNC_NONE,
	LOGSYNC_WAITING,	/* for the next sync */
	LOGSYNC_SYNCING		/* covered by the sync under way */
};

struct pod {
	uint64_t	 id;
	char		*name;
	struct pod	*parent;
	struct podlist	 children;
	TAILQ_ENTRY(pod) sibling;
	TAILQ_ENTRY(pod) dirty_entry;
	bool		 dirty;

	char		**argv;
	char		*cwd;
	uid_t		 owner;
	struct wire_spec spec;		/* what was asked, with defaults */
	bool		 orphan_on_parent_exit;
	uint64_t	 log_max;	/* segment log cap, 0: none */

	enum pod_state	 state;
	enum pod_phase	 phase;
	bool		 stop_wanted;
	bool		 pause_wanted;	/* pause.c */
	bool		 paused_frozen;	/* by SIGSTOP */
	int64_t		 paused_at;	/* ns, WIRE_NONE: not paused */
	char		**cause;	/* why it was stopped, up to the origin */
	char		*reason;
	int64_t		 created_at;
	int64_t		 started_at;
	int64_t		 ended_at;
	int64_t		 stop_requested_at;
	int64_t		 stage_deadline;	/* next rung of the stop ladder,
						   mono ms; 0: none */
	int64_t		 stage_own;	/* the same by the pod's own grace,
					   before its parent's cap */

	/* The runtime and what it reported. */
	pid_t		 runtime_pid;
	pid_t		 pid;		/* workload main pid == its pgid; 0
					   until started, and always > 1 */
	struct peer	*peer;		/* NULL once the channel closed */
	bool		 runtime_reaped;
	int		 runtime_status;
	enum pod_state	 outcome;	/* decided when the main process ended
					   (phase ending or exited) */
	int		 exit_code;	/* -1: none */
	int		 signal;	/* -1: none */
	char		*error;
	uint64_t	 leftovers;
	uint64_t	 log_seq;

	struct event	*stage_timer;	/* the stop ladder */
	struct event	*runtime_timer;	/* the runtime must finish by then */
	struct event	*timeout_timer;	/* --timeout */
	int64_t		 timeout_at;	/* its mono deadline */
	int64_t		 timeout_left;	/* held while paused */

	struct seglog	*log_reader;	/* shared by every stream of this pod */
	struct streamlist streams;
	struct sendlist	 sends;		/* clients waiting for MSG_NOTIFIED */
	struct journallist journal;	/* lifecycle entries not yet logged */
	struct journallist journal_sent; /* sent, not yet acknowledged */
	bool		 journal_pending;
	TAILQ_ENTRY(pod) journal_link;

	bool		 log_unsynced;	/* its exit entry awaits our sync */
	enum logsync	 log_sync;	/* where in the group commit */
	TAILQ_ENTRY(pod) sync_entry;

	TAILQ_ENTRY(pod) ended_entry;	/* terminal pods, in end order */
	bool		 ended_listed;

	/* The pod API (api.c). */
	bool		 api;		/* the workload opened it */
	bool		 api_cancel;	/* and hears the cancel through it */
	int64_t		 cancel_acked_at;	/* ns, WIRE_NONE: not */
	uint64_t	 queued;	/* messages the workload has not read */
	int64_t		 extended_ms;	/* granted so far */
	char		*status_text;
	double		 progress;	/* WIRE_NAN: none */
	int64_t		 heartbeat_at;	/* ns, WIRE_NONE: none yet */
	struct event	*heartbeat_timer;
	char		*result;	/* JSON text, NUL-terminated */
	size_t		 result_len;

	int		 reported_state;	/* the state the last committed
						   change showed, for webhook
						   events (outbox.c); -1: none */
	/* An HTTP pod (http_url set): what may be shown of its request
	 * (its headers and body are passed to the runtime, never kept),
	 * and the response's status, WIRE_NONE until it came. */
	char		*http_url;	/* secrets redacted */
	char		*http_method;
	char		*http_on_cancel;
	int64_t		 http_status;

	/* Restarts (restart.c).  env and gid are what the next run needs;
	 * kept (and stored) only with a policy other than no. */
	enum restart_policy restart;
	uint64_t	 restarts;	/* runs started again so far */
	int64_t		 restart_wait_ms;	/* the last wait, 0: none yet */
	int64_t		 restart_at;	/* ns: the next run, WIRE_NONE */
	struct event	*restart_timer;
	pid_t		 lost_runtime;	/* a lost run's runtime, which may
					   still be finishing its log */
	int64_t		 lost_until;	/* ns: how long to wait for it */
	char		**env;
	gid_t		 gid;
};

/* Where an in-process client's replies go (the HTTP layer's requests):
 * each reply as the control code built it, borrowed for the call. */
typedef void	 (*client_sink)(void *, struct msg *);

struct client {
	struct peer	*peer;		/* a socket's client, or NULL */
	client_sink	 sink;		/* an in-process client's replies */
	void		*sink_arg;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	uint64_t	 pod_id;	/* the pod it runs in, 0: none */
	uint64_t	 spawned;	/* spawned by its last request: held
					   until the next one (spawn --wait) */
	/* A request still being answered: at most one of these. */
	struct waiter	*waiter;
	struct logstream *stream;
	struct send_req	*send;
	TAILQ_ENTRY(client) entry;
};

/* What a waiter waits for. */
enum wait_until {
	WAIT_TERMINAL,		/* stop, wait */
	WAIT_PAUSED		/* pause: every pod of the subtrees paused */
};

/* A client waiting for a set of pods to become terminal (stop, wait), or
 * paused (pause). */
struct waiter {
	struct client	*client;
	uint64_t	*ids;
	size_t		 nids;
	char		**missing;
	bool		  tree;
	enum wait_until	  until;
	TAILQ_ENTRY(waiter) entry;
};

struct supervisor {
	struct event_base *base;
	char		 socket_path[PATH_MAX];
	char		 state_dir[PATH_MAX];
	char		 runtime_path[PATH_MAX];
	unsigned	 max_pods;
	int64_t		 cancel_grace_ms;
	int64_t		 term_grace_ms;
	bool		 shutting_down;
	const char	*log_level;	/* passed on to every runtime */
	const char	*log_map_size;	/* --log-map-size (testing), or NULL */
	const char	*log_file;	/* --log-file, or NULL */
	char		**http;		/* --http ADDR, repeatable */
	size_t		 nhttp;
	const char	*http_token_file; /* --http-token-file */
	bool		 http_allow_remote; /* --http-allow-remote */
	bool		 log_syslog;	/* daemonized without --log-file */
	uid_t		 uid;
	gid_t		 socket_gid;	/* group of a 0660 socket */
	bool		 socket_group_set; /* else the socket is 0600 */
	unsigned	 keep_terminal;	/* terminal pods kept, 0: all */
	int64_t		 keep_terminal_ms; /* how long, 0: for ever */
	uint64_t	 log_max;	/* default segment log cap */
	int64_t		 nofile_soft;	/* our soft descriptor limit at start,
					   restored for workloads */
	char		**webhooks;	/* --webhook URL, repeatable */
	size_t		 nwebhooks;
	bool		 webhook_all;	/* --webhook-events all */
	bool		 webhook_options; /* some other --webhook-* given */
	const char	*webhook_secret_file;
	int64_t		 webhook_max_age_ms;
	unsigned	 webhook_max_pending;	/* per receiver */
};
extern struct supervisor sv;

/* main.c */
void		 sv_kick(void);

/* notify.c */
void		 sv_notify_systemd(const char *);

/* control.c */
int		 control_listen(char *, size_t);
void		 control_close(void);
void		 clients_free(void);
void		 client_reply_error(struct client *, const char *, const char *,
		     ...) __attribute__((format(printf, 3, 4)));
bool		 clients_hold(struct pod *);
void		 control_attach(int, uid_t, gid_t, pid_t);
struct client	*control_open(uid_t, gid_t, pid_t, client_sink, void *);
void		 control_request(struct client *, struct msg *);
void		 control_release(struct client *);
int		 client_send(struct client *, struct msg *);
int		 control_fd_get(void);

/* access.c */
bool		 access_may_read(struct client *, struct pod *);
bool		 access_may_change(struct client *, struct pod *);
int		 access_check(struct client *, struct pod *, bool);
int		 access_check_spawn(struct client *, struct pod *);

/* pidmap.c: process ids to their owners */
struct pidmap_node;
struct pidmap {
	struct pidmap_node	**buckets;
	size_t			  nbuckets, n;
};
void		*pidmap_get(const struct pidmap *, pid_t);
void		 pidmap_put(struct pidmap *, pid_t, void *);
void		 pidmap_del(struct pidmap *, pid_t, const void *);
void		 pidmap_clear(struct pidmap *);

/* podtab.c */
struct pod	*pod_new(uint64_t);
void		 pod_free(struct pod *);
void		 podtab_insert(struct pod *);
void		 podtab_remove(struct pod *);
struct pod	*podtab_find(uint64_t);
struct pod	*podtab_resolve(const char *);
struct pod	*podtab_find_runtime(pid_t);
void		 pod_set_runtime_pid(struct pod *, pid_t);
void		 pod_set_state(struct pod *, enum pod_state);
struct pod	*podtab_caller(pid_t);
bool		 pod_in_subtree(struct pod *, struct pod *);
struct pod	*podtab_live_name(const char *);
size_t		 podtab_live_count(void);
size_t		 podtab_count(void);
struct pod	*podtab_at(size_t);
void		 pod_set_parent(struct pod *, struct pod *);
void		 pod_dir(uint64_t, char *, size_t);
const char	*pod_state_name(enum pod_state);
int		 pod_state_from_name(const char *);
bool		 pod_subtree_terminal(struct pod *);

/* registry.c */
int		 registry_open(char *, size_t);
void		 registry_close(void);
void		*registry_get(uint64_t, size_t *);
uint64_t	 registry_next_id(void);
void		 registry_touch(struct pod *);
void		 registry_forget(struct pod *);
void		 registry_flush(void);
bool		 registry_clean(void);
int		 registry_check(char *, size_t);

/* record.c */
#define RECORD_CHILDREN	0x1
#define RECORD_RESULT	0x2
#define RECORD_PRIVATE	0x4	/* the registry's own: env, gid */
void		 pod_to_msg(struct pod *, struct msg *, int);
struct pod	*pod_from_msg(struct msg_pod *);
void		 record_msg_release(struct msg *);
void		 pod_outcome_text(struct pod *, char *, size_t);

/* Who a pod's workload runs as, and the identity its environment shows. */
struct identity {
	int64_t		 uid;		/* WIRE_NONE: the runtime's own */
	int64_t		 gid;
	uint64_t	*groups;
	size_t		 ngroups;
	char		*home;
	char		*user;		/* also LOGNAME */
	char		*shell;
};

/* identity.c */
void		 identity_lookup(struct identity *, uid_t, gid_t);
void		 identity_free(struct identity *);

/* env.c */
char		**workload_env(const struct identity *, char **, bool,
		     uint64_t);

/* spawn.c */
void		 spawn_request(struct client *, struct msg_spawn *);
int		 spawn_relaunch(struct pod *, char *, size_t);

/* launch.c */
void		 launch_init(void);
void		 launch_free(void);
int		 launch_runtime(pid_t *, const char *, int, char *const [],
		    char *const []);

/* restart.c */
const char	*restart_policy_name(enum restart_policy);
int		 restart_policy_from_name(const char *);
bool		 restart_wanted(struct pod *);
void		 restart_schedule(struct pod *);
void		 restart_resume(struct pod *);
void		 restart_cancel(struct pod *);
void		 restart_runtime_reaped(uint64_t);
void		 restart_metrics(struct evbuffer *);

/* pod.c */
void		 pod_stop(struct pod *, const char *, const char *, char **,
		     int64_t, int64_t);
void		 pod_stop_tree(struct pod *, const char *, const char *,
		     char **, int64_t, int64_t);
char		**cause_through(const char *, struct pod *);
int64_t		 pod_deadline_cap(struct pod *);
void		 pod_rearm_stage(struct pod *, int64_t);
void		 sv_dispatch_pod(struct peer *, struct msg *, void *);
void		 pod_conclude(struct pod *);
/* logsync.c */
int		 logsync_init(char *, size_t);
void		 logsync_add(struct pod *);
void		 logsync_forget(struct pod *);
void		 logsync_drain(void);
void		 logsync_free(void);
void		 logsync_metrics(struct evbuffer *);
void		 pod_runtime_fault(struct pod *, const char *);
void		 pod_runtime_lost(struct pod *);
void		 pod_runtime_reaped(struct pod *, int);
void		 pod_arm_timeout(struct pod *);
void		 pod_finish(struct pod *);
void		 pod_arm_runtime_deadline(struct pod *, int64_t);
void		 stop_all(const char *);

/* api.c */
void		 api_opened(struct pod *, char **);
void		 api_acked(struct pod *);
int64_t		 api_deadline_ns(int64_t);
void		 api_extend(struct pod *, const struct msg_extend *);
void		 api_report(struct pod *, const struct msg_report *);
void		 api_arm_heartbeat(struct pod *);
void		 api_heartbeat(struct pod *);
void		 api_result(struct pod *, const struct msg_result *);
void		 api_child_event(struct pod *, const char *);

/* pause.c */
void		 pod_pause_tree(struct pod *);
void		 pod_paused(struct pod *, bool);
void		 pod_resume(struct pod *);
void		 pod_resume_tree(struct pod *);
bool		 pod_subtree_paused(struct pod *);

/* http.c, http_sse.c, metrics.c: the HTTP API (http.h has the rest) */
int		 http_start(char *, size_t);
void		 http_stop(void);
int		 http_listener_fd(size_t);
void		 sse_pod_changed(struct pod *);
void		 metrics_spawned(void);
void		 metrics_ended(struct pod *);
void		 metrics_http(int);
void		 metrics_render(struct evbuffer *);

/* webhook.c, outbox.c: events POSTed to --webhook receivers (webhook.h
 * has the rest).  Outbox records are keys from OUTBOX_KEY_BASE up in the
 * registry's database; pod ids stay below it. */
#define OUTBOX_KEY_BASE	(UINT64_C(1) << 63)
int		 webhook_configure(char *, size_t);
size_t		 webhook_count(void);
int		 webhook_start(char *, size_t);
void		 webhook_resume(void);
bool		 webhook_draining(void);
void		 webhook_stop(void);
void		 webhook_free(void);
void		 webhook_metrics(struct evbuffer *);
void		 outbox_load(uint64_t, const void *, size_t);
int		 outbox_stage(struct MDB_txn *, unsigned int, struct pod *);
int		 outbox_write(struct MDB_txn *, unsigned int);
void		 outbox_committed(void);
void		 outbox_rolled_back(void);
bool		 outbox_dirty(void);
uint64_t	 outbox_pending(void);
void		 outbox_close(void);

/* reexec.c */
void		 reexec_init(int, char **);
void		 reexec_request(struct client *);
void		 reexec_forget_client(struct client *);
bool		 reexec_is_check(pid_t);
void		 reexec_check_reaped(int);
void		 reexec_load(void);
const char	*reexec_check_compatible(void);
bool		 reexec_handed_over(void);
int		 reexec_lock_fd(int);
void		 reexec_note_lock(int, int);
int		 reexec_control_fd(void);
int		 reexec_http_fd(size_t);
bool		 reexec_adopt(struct pod *);
void		 reexec_adopted(void);
void		 reexec_free(void);

/* reap.c */
void		 sv_reap_children(void);
void		 closing_add(pid_t, uint64_t, int64_t, bool);
bool		 closing_pod(uint64_t);
size_t		 closing_count(void);
void		 closing_handover(FILE *);
void		 closing_free(void);
void		 strays_sweep_soon(void);
void		 strays_sweep(void);

/* wait.c */
void		 waiter_add(struct client *, uint64_t *, size_t, char **,
		     bool, enum wait_until);
void		 waiters_check(void);
bool		 waiters_hold(struct pod *);
void		 waiter_cancel(struct waiter *);

/* retention.c */
void		 pod_forget(struct pod *, void (*)(struct pod *, void *),
		     void *);
void		 retention_start(void);
void		 retention_close(void);
void		 retention_add(struct pod *);
void		 retention_check(void);

/* journal.c */
void		 journal(struct pod *, int, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
void		 journal_flush(struct pod *);
bool		 journal_acked(struct pod *);
void		 journal_discard(struct pod *);
void		 journal_write_pending(void);
void		 journal_write_now(struct pod *);
void		 journal_handover(struct pod *, FILE *);
void		 journal_adopt(struct pod *, bool, int, char *);

/* logs.c */
void		 logs_request(struct client *, struct msg_logs *);
void		 logs_advanced(struct pod *);
void		 logstream_cancel(struct logstream *);
void		 logstream_end(struct logstream *);
void		 logs_close_reader(struct pod *);
void		 sends_forget_client(struct client *);
void		 send_request(struct client *, struct pod *, struct msg_send *,
		     const struct wire_u64v *);
void		 sends_answer(struct pod *, uint64_t);
void		 sends_fail(struct pod *);
void		 sends_fail_one(struct pod *, const char *);
size_t		 sends_count(struct pod *);
void		 sends_adopt(struct pod *);

#endif
