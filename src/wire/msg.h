/*
 * podvisor wire messages: every message that crosses any channel.
 *
 * A frame is a 4-byte big-endian length followed by one msgpack map.  The
 * map's "type" key holds the message type as a string (the names below);
 * the other keys are the fields of that type.  Unknown keys are ignored so
 * that a newer peer may add optional fields; a known key with the wrong
 * msgpack type, a missing required field or an over-long value rejects the
 * whole message.
 *
 * Field conventions in the C structs:
 *   uint64_t   non-negative integer; optional ones default to 0
 *   int64_t    integer or nil; nil and absent decode to -1 (WIRE_NONE)
 *   bool       boolean; absent is false
 *   char *     UTF-8-ish string without NUL bytes; absent or nil is NULL
 *   char **    array of strings, NULL-terminated; absent is NULL
 *   wire_bin   raw bytes (msgpack bin or str); absent has len 0, ptr NULL
 *   wire_u64v  array of non-negative integers
 *   double     number (msgpack float or integer) or nil; nil and absent
 *              decode to NAN (WIRE_NAN)
 *
 * Decoded strings and arrays live in memory owned by the struct msg and are
 * released by msg_free(); they are always NUL-terminated.
 *
 * PROTOCOL_VERSION: bump this when any message or field below changes
 * meaning, or a required field is added.
 */
#ifndef PODVISOR_MSG_H
#define PODVISOR_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTOCOL_VERSION	5
#define WIRE_FRAME_MAX		(1024 * 1024)	/* default frame limit */
#define WIRE_NONE		(-1)		/* int64 nil */
#define WIRE_NAN		__builtin_nan("")	/* double nil */

/* Bounds enforced by the decoder. */
#define WIRE_STR_MAX		4096		/* any string field */
#define WIRE_ARGV_MAX		4096		/* entries of a string array */
#define WIRE_U64V_MAX		65536		/* entries of an integer array */
#define WIRE_QUEUE_MAX		256		/* messages queued for a workload */

struct wire_bin {
	const uint8_t	*ptr;
	size_t		 len;
};

struct wire_u64v {
	uint64_t	*v;
	size_t		 n;
};

/* The --limit resources (limits.c has their names and units).  On the
 * wire each is one int64 field, "limit_" and its name. */
enum wire_limit {
	LIMIT_NOFILE,		/* descriptors */
	LIMIT_NPROC,		/* processes of the owner */
	LIMIT_AS,		/* address space, bytes */
	LIMIT_CPU,		/* CPU seconds */
	WIRE_NLIMITS
};

/*
 * What was asked at spawn, which travels with the pod: in the spawn
 * request (WIRE_NONE: the daemon's default), in podvisord's pod and in
 * every pod record.  A new spawn option is a member here and a line in
 * msg.c's SPEC_FIELDS, and reaches the registry and podctl's JSON.
 */
struct wire_spec {
	int64_t		  cancel_grace_ms;
	int64_t		  term_grace_ms;
	int64_t		  stop_signal;		/* WIRE_NONE: SIGINT */
	int64_t		  timeout_ms;		/* WIRE_NONE: no timeout */
	int64_t		  heartbeat_ms;		/* WIRE_NONE: none asked */
	int64_t		  max_extend_ms;	/* WIRE_NONE: the cancel grace */
	/* Restarts (the policy itself is the string "restart" beside). */
	int64_t		  max_restarts;		/* WIRE_NONE: 5 */
	int64_t		  restart_delay_ms;	/* WIRE_NONE: 1000, the first
						   wait between runs */
	/* --limit: soft and hard resource limits, WIRE_NONE: inherited. */
	int64_t		  limits[WIRE_NLIMITS];
};

enum msg_type {
	/* Any channel. */
	MSG_HELLO,	/* version: first message each way on every connection */
	MSG_ERROR,	/* code, message: the request failed; see error codes */
	MSG_OK,		/* id, seq: a request succeeded (spawn sets id, send seq) */
	MSG_END,	/* missing webhooks_pending: ends a streamed reply; pod
			   refs not found; status: webhook events not yet
			   delivered (nil: no webhooks) */

	/* podctl -> podvisord requests. */
	MSG_SPAWN,	/* argv cwd env inherit_env name parent on_parent_exit
			   and the spec: cancel_grace_ms term_grace_ms
			   stop_signal timeout_ms limit_*; an HTTP pod has
			   http_url (and http_*) instead of argv */
	MSG_STOP,	/* pods reason cancel_grace_ms term_grace_ms wait */
	MSG_KILL,	/* pod signal */
	MSG_STATUS,	/* pod all json: replies pod* end, or with json
			   json* end */
	MSG_LOGS,	/* pod from tail follow: replies entry* end */
	MSG_WAIT,	/* pods tree: replies pod* end once all are terminal */
	MSG_SEND,	/* pod data priority key preempt: replies ok{seq} once
			   the notify is logged */
	MSG_INSPECT,	/* pod: replies pod end */
	MSG_RM,		/* pods: replies pod* (those removed) end */
	MSG_PAUSE,	/* pods wait: replies pod* end (once paused, with wait);
			   also podvisord -> runtime -> workload, no fields */
	MSG_RESUME,	/* pods: replies pod* end; also podvisord -> runtime ->
			   workload, no fields */

	/* podvisord -> podctl stream records. */
	MSG_POD,	/* one pod's record; see struct msg_pod */
	MSG_ENTRY,	/* seq ts kind data: one segment log entry */

	/* podvisord -> pod runtime. */
	MSG_START,	/* id argv env cwd dir stop_signal cancel_grace_ms
			   term_grace_ms uid gid groups
			   limit_* nofile_soft log_max name parent
			   timeout_at http_* */
	MSG_CANCEL,	/* reason: cooperative stop */
	MSG_SIGNAL,	/* signal tree: signal the workload group (and, with
			   tree, every descendant that left it) */
	MSG_NOTIFY,	/* data priority key preempted: log a notify entry,
			   queue it for the workload */
	MSG_RECORD,	/* kind data: append a lifecycle entry the supervisor
			   knows of (a child spawned or ended, orphaning);
			   acknowledged with ok{seq} once committed */

	/* pod runtime -> podvisord (and MSG_ACK .. MSG_RESULT below). */
	MSG_STARTED,	/* pid: the workload is running (pid == its pgid) */
	MSG_LOGGED,	/* seq queued: the log is committed up to seq; queued
			   messages wait for the workload */
	MSG_NOTIFIED,	/* seq: the notify entry was logged as seq */
	MSG_ENDED,	/* exit_code signal error: the main process ended, or
			   never started (error set, exit_code 127) */
	MSG_EXITED,	/* leftovers unsynced: cleanup done, exit entry
			   committed, and synced unless unsynced (then
			   podvisord syncs it); the runtime exits right
			   after */
	MSG_API,	/* handles: the workload opened the pod API */
	MSG_PAUSED,	/* frozen: the workload confirmed the pause (workload
			   -> runtime), or it is paused (runtime -> podvisord;
			   frozen: by SIGSTOP) */

	/* The pod API: workload <-> pod runtime, and what the runtime
	 * passes on to or from podvisord (podvisor-protocol(7)). */
	MSG_WELCOME,	/* id name parent deadline: the runtime's answer to
			   the workload's hello */
	MSG_ACK,	/* the workload saw the cancel: -> runtime -> podvisord */
	MSG_EXTEND,	/* ms why: more time before SIGTERM, asked upward */
	MSG_EXTENDED,	/* deadline: granted; refused is an error "refused" */
	MSG_LOG,	/* level message fields: a log entry of the workload's */
	MSG_REPORT,	/* text progress: the workload's status, upward */
	MSG_HEARTBEAT,	/* the workload is alive, upward */
	MSG_RESULT,	/* data: the workload's result (JSON), upward; ok or
			   error back */
	MSG_RECV,	/* workload -> runtime: the next message, when there is */
	MSG_MESSAGE,	/* seq priority key data preempted: a notify message,
			   runtime -> workload */
	MSG_CHILD,	/* id name event state exit_code signal reason result:
			   a child pod was spawned or ended, podvisord ->
			   runtime -> workload */

	/* pod runtime -> podvisord, HTTP pods. */
	MSG_RESPONSE,	/* status: an HTTP pod's response began (runtime ->
			   podvisord) */

	/* podctl -> podvisord, last so that no other type's number moves. */
	MSG_REEXEC,	/* no fields: check and re-execute podvisord's program;
			   an error if it cannot, else the connection drops */

	/* podvisord -> podctl, after every type above for the same reason. */
	MSG_JSON,	/* text: a piece of a status reply's JSON text */

	MSG__COUNT
};

/* Error codes carried in MSG_ERROR.code; podctl maps them to exit status. */
#define ERR_FAILED	"failed"	/* exit 1: the operation failed */
#define ERR_USAGE	"usage"		/* exit 2: the request was malformed */
#define ERR_NOTFOUND	"not-found"	/* exit 3: no such pod */
#define ERR_DENIED	"denied"	/* exit 5: permission denied */
#define ERR_PROTOCOL	"protocol"	/* exit 1: framing/version problem */
#define ERR_LIMIT	"limit"		/* exit 1: --max-pods reached */

struct msg_hello {
	uint64_t	  version;	/* required */
	char		**handles;	/* pod API: "cancel" "notify" "pause" */
	uint64_t	  pid;		/* pod API: the process saying hello */
};

struct msg_error {
	char		 *code;		/* required */
	char		 *message;	/* required */
};

struct msg_ok {
	uint64_t	  id;
	uint64_t	  seq;
};

struct msg_end {
	char		**missing;
	int64_t		  webhooks_pending;	/* status replies only */
};

/*
 * An HTTP pod's request (see httpreq.c), in the spawn and start messages
 * as the fields http_url, http_method, http_headers, http_body and
 * http_on_cancel.  Headers and body are secrets for all podvisord knows:
 * it passes them on to the runtime and never stores or shows them.
 */
struct wire_http {
	char		 *url;		/* NULL: not an HTTP pod */
	char		 *method;	/* NULL: GET, or POST with a body */
	char		**headers;	/* "Name: value" */
	struct wire_bin	  body;
	char		 *on_cancel;	/* "finish" (NULL) or "abort" */
};

struct msg_spawn {
	char		**argv;		/* required, at least one entry, unless
					   http.url is set (then absent) */
	char		 *cwd;		/* required, absolute */
	char		**env;		/* "K=V" added to the environment */
	bool		  inherit_env;	/* env is the caller's whole env */
	char		 *name;
	char		 *parent;	/* pod ref, NULL: top level */
	char		 *on_parent_exit;	/* "stop" (NULL) or "orphan" */
	char		 *restart;	/* "no" (NULL), "on-failure", "always" */
	struct wire_spec  spec;
	struct wire_http  http;
};

struct msg_stop {
	char		**pods;		/* required, at least one */
	char		 *reason;	/* NULL: "user" */
	int64_t		  cancel_grace_ms;	/* WIRE_NONE: the pod's own */
	int64_t		  term_grace_ms;
	bool		  wait;
};

struct msg_kill {
	char		 *pod;		/* required */
	uint64_t	  signal;	/* required, 1 to NSIG - 1 */
};

struct msg_status {
	char		 *pod;		/* NULL: the whole forest */
	bool		  all;		/* include terminal pods */
	bool		  json;		/* reply with the text of podctl
					   status --json, in json pieces */
};

/* Concatenated, the text of a status reply's json pieces is what podctl
 * status --json prints: podvisord renders it, podctl only copies it. */
struct msg_json {
	struct wire_bin	  text;		/* required */
};

struct msg_logs {
	char		 *pod;		/* required */
	uint64_t	  from;		/* first seq, 0: from the start */
	uint64_t	  tail;		/* last N entries, 0: all */
	bool		  follow;
};

struct msg_wait {
	char		**pods;		/* required */
	bool		  tree;
};

struct msg_send {
	char		 *pod;		/* required */
	struct wire_bin	  data;		/* required */
	char		 *priority;	/* low normal high critical; NULL: normal */
	char		 *key;		/* replaces a queued message of this key */
	bool		  preempt;	/* stop the pod's child subtrees first */
};

struct msg_inspect {
	char		 *pod;		/* required */
};

struct msg_rm {
	char		**pods;		/* required */
};

struct msg_pause {
	char		**pods;		/* required on the control channel */
	bool		  wait;
};

struct msg_resume {
	char		**pods;		/* required on the control channel */
};

struct msg_paused {
	bool		  frozen;
};

/* A pod record: status, inspect, stop and wait replies. Times are ns since
 * the epoch (WIRE_NONE when not yet). */
struct msg_pod {
	uint64_t	  id;		/* required */
	char		 *name;
	int64_t		  parent;
	char		 *state;	/* required */
	int64_t		  pid;
	int64_t		  runtime_pid;
	char		**argv;
	char		 *cwd;
	int64_t		  exit_code;
	int64_t		  signal;
	char		 *reason;
	char		 *error;	/* why it could not start */
	uint64_t	  owner;	/* uid */
	int64_t		  created_at;
	int64_t		  started_at;
	int64_t		  ended_at;
	int64_t		  stop_requested_at;
	int64_t		  stage_left_ms;	/* time to the next stop stage */
	struct wire_spec  spec;
	char		 *on_parent_exit;
	uint64_t	  leftovers;	/* processes killed after main exit */
	uint64_t	  log_seq;	/* last committed log seq */
	struct wire_u64v  children;
	uint64_t	  log_max;	/* segment log cap, bytes; 0: none */
	/* The pod API. */
	bool		  api;		/* the workload opened it */
	uint64_t	  queued;	/* messages waiting for the workload */
	int64_t		  paused_at;	/* ns */
	char		**cause;	/* why it was stopped, up to the origin */
	int64_t		  next_stage_at;	/* ns: the stop's next rung */
	int64_t		  cancel_acked_at;	/* ns */
	char		 *status_text;
	double		  progress;		/* 0..1, WIRE_NAN: none */
	int64_t		  heartbeat_at;		/* ns */
	struct wire_bin	  result;	/* JSON text; inspect and registry */
	/* An HTTP pod: its request (the URL with secrets redacted) and
	 * the response's status, WIRE_NONE until it came. */
	char		 *http_url;
	char		 *http_method;
	char		 *http_on_cancel;
	int64_t		  http_status;
	/* Restarts: the policy ("no", "on-failure", "always"), how many
	 * runs were started again, the last wait between runs and when
	 * the next run is due (ns, a restarting pod only). */
	char		 *restart;
	uint64_t	  restarts;
	int64_t		  restart_wait_ms;
	int64_t		  restart_at;
	/* The registry's record only, never sent to a client: what the
	 * next run needs (its whole environment and the spawner's gid). */
	char		**env;
	int64_t		  gid;
};

struct msg_entry {
	uint64_t	  seq;		/* required */
	int64_t		  ts;		/* required, ns since the epoch */
	char		 *kind;		/* required */
	struct wire_bin	  data;
};

struct msg_start {
	uint64_t	  id;		/* required */
	char		**argv;		/* required */
	char		**env;		/* the complete environment */
	char		 *cwd;		/* required */
	char		 *dir;		/* required: the pod's log directory */
	uint64_t	  stop_signal;	/* required */
	uint64_t	  cancel_grace_ms;	/* for a supervisor-lost stop */
	uint64_t	  term_grace_ms;
	/* Who the workload runs as: WIRE_NONE keeps the runtime's own. */
	int64_t		  uid;
	int64_t		  gid;
	struct wire_u64v  groups;	/* supplementary groups, with uid */
	int64_t		  limits[WIRE_NLIMITS];	/* as in wire_spec */
	int64_t		  nofile_soft;	/* soft descriptor limit to restore
					   when limit_nofile is WIRE_NONE */
	uint64_t	  log_max;	/* segment log cap, bytes; 0: none */
	/* For the pod API's welcome. */
	char		 *name;
	int64_t		  parent;
	int64_t		  timeout_at;	/* ns: --timeout's deadline */
	struct wire_http  http;		/* http.url set: an HTTP pod */
};

struct msg_cancel {
	char		 *reason;	/* required */
	char		 *requested_by;	/* "user alice", "parent 4", "timeout" */
	int64_t		  deadline;	/* ns: when SIGTERM comes */
};

struct msg_signal {
	uint64_t	  signal;	/* required */
	bool		  tree;
};

struct msg_notify {
	struct wire_bin	  data;		/* required */
	char		 *priority;	/* as in send; NULL: normal */
	char		 *key;
	struct wire_u64v  preempted;	/* with --preempt: the pods stopped */
};

struct msg_record {
	char		 *kind;		/* required: "child" or "parent" */
	struct wire_bin	  data;
};

struct msg_started {
	uint64_t	  pid;		/* required */
};

struct msg_logged {
	uint64_t	  seq;		/* required */
	uint64_t	  queued;	/* messages not yet delivered */
};

struct msg_notified {
	uint64_t	  seq;		/* required */
};

struct msg_ended {
	int64_t		  exit_code;
	int64_t		  signal;
	char		 *error;	/* could not start (exit_code 127), or
					   an HTTP pod's transport error */
	int64_t		  http_status;	/* an HTTP pod's, WIRE_NONE: none */
};

struct msg_response {
	uint64_t	  status;	/* required: the HTTP status */
};

struct msg_exited {
	uint64_t	  leftovers;
	bool		  unsynced;	/* the exit entry is committed, and
					   left to podvisord to sync */
};

struct msg_api {
	char		**handles;	/* as in the workload's hello */
};

struct msg_welcome {
	uint64_t	  id;		/* required */
	char		 *name;
	int64_t		  parent;
	int64_t		  deadline;	/* ns: SIGTERM's, else the timeout's */
};

struct msg_extend {
	uint64_t	  ms;		/* required, > 0 */
	char		 *why;
};

struct msg_extended {
	int64_t		  deadline;	/* required, ns: the new SIGTERM time */
};

struct msg_log {
	char		 *level;	/* required: debug info warning error */
	struct wire_bin	  message;	/* required */
	struct wire_bin	  fields;	/* a JSON object, or none */
};

struct msg_report {
	char		 *text;
	double		  progress;	/* 0..1, WIRE_NAN: none */
};

struct msg_result {
	struct wire_bin	  data;		/* required: one JSON value */
};

struct msg_message {
	uint64_t	  seq;		/* required: its notify entry */
	char		 *priority;	/* required */
	char		 *key;
	struct wire_bin	  data;
	struct wire_u64v  preempted;	/* pods stopped to deliver it */
};

struct msg_child {
	uint64_t	  id;		/* required */
	char		 *name;
	char		 *event;	/* required: "spawned" or "ended" */
	char		 *state;	/* required */
	int64_t		  exit_code;
	int64_t		  signal;
	char		 *reason;
	struct wire_bin	  result;	/* JSON text, or none */
};

struct msg {
	enum msg_type	 type;
	union {
		struct msg_hello	hello;
		struct msg_error	error;
		struct msg_ok		ok;
		struct msg_end		end;
		struct msg_spawn	spawn;
		struct msg_stop		stop;
		struct msg_kill		kill;
		struct msg_status	status;
		struct msg_logs		logs;
		struct msg_wait		wait;
		struct msg_send		send;
		struct msg_inspect	inspect;
		struct msg_rm		rm;
		struct msg_pause	pause;
		struct msg_resume	resume;
		struct msg_paused	paused;
		struct msg_pod		pod;
		struct msg_entry	entry;
		struct msg_json		json;
		struct msg_start	start;
		struct msg_cancel	cancel;
		struct msg_signal	signal;
		struct msg_notify	notify;
		struct msg_record	record;
		struct msg_started	started;
		struct msg_logged	logged;
		struct msg_notified	notified;
		struct msg_ended	ended;
		struct msg_exited	exited;
		struct msg_api		api;
		struct msg_welcome	welcome;
		struct msg_extend	extend;
		struct msg_extended	extended;
		struct msg_log		log;
		struct msg_report	report;
		struct msg_result	result;
		struct msg_message	message;
		struct msg_child	child;
		struct msg_response	response;
	} u;
	void		*owner;		/* decoder-owned memory, or NULL */
};

/* Where msg_pack() writes the encoding, piece by piece (msgpack-c's
 * packer writer): 0, or -1 to fail the encoding. */
typedef int	(*msg_write_cb)(void *, const char *, size_t);

/* msg.c -- libc and msgpack-c only: it logs nothing and never exits, each
 * failure is a one-line cause for the caller. */
/* Zero a message of the given type, with every int64 field WIRE_NONE. */
void		 msg_init(struct msg *, enum msg_type);
/* Every member of a spec WIRE_NONE: nothing asked. */
void		 msg_spec_init(struct wire_spec *);
const char	*msg_type_name(enum msg_type);
/* Would the peer's decoder accept the message? 0, or -1 with the reason
 * in cause ("cannot encode TYPE: field 'F' is required"). */
int		 msg_check(const struct msg *, char *, size_t);
/* Pack the message's map (the payload, no length prefix) through write:
 * 0, or -1 with the reason in cause when msg_check() refuses it (nothing
 * is written then) or write fails. */
int		 msg_pack(const struct msg *, msg_write_cb, void *, char *,
		     size_t);
/* Decode one frame payload (without its length prefix). On error returns
 * -1 with a one-line reason in cause and errno EINVAL (bad bytes) or
 * ENOMEM (out of memory); the message then owns nothing. */
int		 msg_decode(const void *, size_t, struct msg *, char *, size_t);
/* Release what msg_decode allocated; safe on an msg_init'ed message. */
void		 msg_free(struct msg *);

#endif
