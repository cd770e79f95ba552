/*
 * What every podvisor program shares below the wire: its own diagnostics,
 * allocation that cannot fail, the parsers users type values into, the
 * contract's default places, clocks and timers.
 */
#ifndef PODVISOR_COMMON_H
#define PODVISOR_COMMON_H

#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct timeval;

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
/* Arm a one-shot libevent timer ms from now; -1 if it cannot be. */
int		 timer_arm(struct event *, int64_t);

/* log.c -- the program's own diagnostics, on stderr. */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG };
void		 log_init(const char *, int);
void		 log_to_syslog(void);
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
