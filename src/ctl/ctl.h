/*
 * podctl: the command-line client.  podctl.c parses the global options and
 * picks a command from the table; each cmd-*.c file holds one command as a
 * struct cmd_entry; client.c talks to podvisord; output.c renders records.
 */
#ifndef PODVISOR_CTL_H
#define PODVISOR_CTL_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wire.h"
#include "json.h"

/* Exit status, as the contract lists them. */
#define EXIT_FAILED		1	/* the operation failed */
#define EXIT_USAGE		2	/* usage error */
#define EXIT_NOTFOUND		3	/* no such pod */
#define EXIT_UNREACHABLE	4	/* podvisord cannot be reached */
#define EXIT_DENIED		5	/* permission denied */

/* A reply handler returns this to read on; anything else ends the reply
 * and is the exit status. */
#define REPLY_MORE		(-1)

/* Long-only option values, shared so that every command spells them alike. */
enum {
	OPT_JSON = 0x100,
	OPT_CANCEL_GRACE,
	OPT_TERM_GRACE,
	OPT_STOP_SIGNAL,
	OPT_TIMEOUT,
	OPT_ON_PARENT_EXIT,
	OPT_CWD,
	OPT_INHERIT_ENV,
	OPT_REASON,
	OPT_NO_WAIT,
	OPT_FROM,
	OPT_TAIL,
	OPT_EVENTS,
	OPT_TREE,
	OPT_VERSION,
	OPT_LIMIT,
	OPT_HEARTBEAT,
	OPT_MAX_EXTEND,
	OPT_PRIORITY,
	OPT_KEY,
	OPT_PREEMPT,
	OPT_HTTP,
	OPT_METHOD,
	OPT_HEADER,
	OPT_DATA,
	OPT_ON_CANCEL,
	OPT_RESTART,
	OPT_MAX_RESTARTS,
	OPT_RESTART_DELAY
};

/* Every command accepts these besides its own options. */
#define CTL_COMMON_OPTIONS \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "help", no_argument, NULL, 'h' }

struct client;
struct cmd_entry;

/* What the global options chose, and the command being run. */
struct ctl {
	const char		*socket;	/* control socket path */
	bool			 json;		/* machine output */
	const struct cmd_entry	*cmd;
	int			 status;	/* exit status if ctl_getopt stops */
};

struct cmd_entry {
	const char	*name;
	const char	*usage;		/* the arguments, after "podctl NAME" */
	const char	*summary;	/* one line for podctl -h */
	const char	*help;		/* the options, for podctl NAME -h */
	int		 (*exec)(struct ctl *, int, char **);
};

/* Handles one reply message; returns REPLY_MORE or the exit status. */
typedef int	(*reply_cb)(struct msg *, void *);

/* A reply's pod records as they arrive (stop, wait, rm): each printed
 * by line, if set, or with --json kept for one array printed at the end. */
struct podout {
	json_t	*json;		/* --json: the array so far */
	void	(*line)(const struct msg_pod *);
};

/* spawn --http's request as the options give it (spawn-http.c). */
struct spawn_http {
	bool		 any;		/* an HTTP option was given */
	const char	*url;
	const char	*method;
	char		**headers;	/* owned, NULL-terminated */
	size_t		 nheaders;
	uint8_t		*body;		/* owned */
	size_t		 body_len;
	const char	*on_cancel;
};

extern const struct cmd_entry cmd_spawn_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_kill_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_wait_entry;
extern const struct cmd_entry cmd_send_entry;
extern const struct cmd_entry cmd_inspect_entry;
extern const struct cmd_entry cmd_result_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_reexec_entry;
extern const struct cmd_entry cmd_rm_entry;

/* podctl.c */
int		 ctl_getopt(struct ctl *, int, char **, const char *,
		     const struct option *);
const char	*ctl_one_pod(struct ctl *, int, char **);
int		 ctl_usage_error(struct ctl *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
int		 ctl_bad_value(struct ctl *, const char *, const char *);
int		 ctl_duration(struct ctl *, const char *, const char *,
		     int64_t *);
int		 ctl_signal(struct ctl *, const char *, const char *, int *);
int		 ctl_count(struct ctl *, const char *, const char *,
		     uint64_t *);

/* spawn-http.c */
int		 spawn_http_option(struct ctl *, struct spawn_http *, int,
		     const char *);
int		 spawn_http_finish(struct ctl *, struct spawn_http *, int,
		     struct wire_http *);
void		 spawn_http_free(struct spawn_http *);

/* client.c */
int		 client_open(struct ctl *, struct client **);
int		 client_request(struct client *, const struct msg *, reply_cb,
		     void *);
void		 client_close(struct client *);
int		 client_run(struct ctl *, const struct msg *, reply_cb, void *);
int		 client_run_resume(struct ctl *, struct msg *, reply_cb, void *,
		     void (*)(struct msg *, void *));
int		 reply_unexpected(const struct msg *);
int		 reply_missing(char **);

/* output.c */
int		 json_print(json_t *, size_t);
void		 jw_stdout(struct jw *);
int		 entry_print(const struct msg_entry *);
void		 podout_init(struct podout *, bool,
		     void (*)(const struct msg_pod *));
void		 podout_add(struct podout *, const struct msg_pod *);
int		 podout_end(struct podout *, char **);
int		 podout_reply(struct msg *, void *);
void		 podout_free(struct podout *);
const char	*pod_name(const struct msg_pod *);
void		 pod_state_text(const struct msg_pod *, char *, size_t);
int		 pod_exit_status(const struct msg_pod *);
void		 podtree_table(const struct podtree *, FILE *);

#endif
