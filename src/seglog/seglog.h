/*
 * The segment log: one LMDB environment per pod, in the pod's directory
 * under the state directory.  The pod runtime is the only writer; podvisord
 * opens the same environment read-only to serve `podctl logs`.
 *
 * Keys are sequence numbers (1, 2, 3 ...) as MDB_INTEGERKEY size_t, never
 * reused; they have holes only where the cap deleted old output, and a
 * `truncated` entry right after says so.  A value is an 8-byte
 * little-endian timestamp (ns since the epoch), one kind byte (enum
 * log_kind), then the data bytes.
 *
 * LMDB rules observed: an environment is opened in the process that uses
 * it, never inherited across fork(); at most one handle per environment
 * per process; transactions are short.
 */
#ifndef PODVISOR_SEGLOG_H
#define PODVISOR_SEGLOG_H

#include <stddef.h>
#include <stdint.h>

/* Entry kinds, shared by the writer (pod runtime) and the reader
 * (podvisord). Stored as one byte: never renumber. */
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
	LOG_API,	/* the workload opened (or lost) the pod API */
	LOG_ACK,	/* the workload acknowledged the cancel */
	LOG_EXTEND,	/* a request for more time, granted or refused */
	LOG_RESULT,	/* the result the workload set (JSON) */
	LOG_HTTP,	/* an HTTP pod's response: status line and headers */
	LOG_RESTART,	/* a new run by the restart policy, or its cancel */
	LOG__MAX
};
const char	*log_kind_name(int);	/* "stdout"; NULL if unknown */
int		 log_kind_from_name(const char *);	/* -1 if unknown */


#define SEGLOG_MAP_SIZE		(4ULL << 30)	/* virtual; the file grows */
#define SEGLOG_ENTRY_MAX	(64 * 1024)	/* larger data is split */

struct seglog;

struct seglog_entry {
	uint64_t	 seq;
	int64_t		 ts;
	int		 kind;
	const uint8_t	*data;	/* valid only inside the visit callback */
	size_t		 len;
};

/* Return 0 to continue, 1 to stop the walk early. */
typedef int	(*seglog_visit_cb)(const struct seglog_entry *, void *);

/* seglog.c -- writer side (pod runtime). */
/* Create (or reopen) the log in dir, which must exist. */
struct seglog	*seglog_create(const char *, uint64_t, char *, size_t);
/* Start a batch: appends until seglog_commit() share one transaction. */
int		 seglog_begin(struct seglog *);
/* Append one entry; opens and commits its own transaction when no batch
 * is open. Data longer than SEGLOG_ENTRY_MAX is split into entries. */
int		 seglog_append(struct seglog *, int, const void *, size_t);
int		 seglog_appendf(struct seglog *, int, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
int		 seglog_commit(struct seglog *);
/* Force committed entries to disk. */
int		 seglog_sync(struct seglog *);
/* Keep at most this many bytes of stdout and stderr entries (headers
 * included; 0: no cap), deleting the oldest beyond it. */
int		 seglog_set_cap(struct seglog *, uint64_t);

/* seglog.c -- reader side (podvisord). */
struct seglog	*seglog_open_reader(const char *, char *, size_t);
/* Visit up to max entries (0: no limit) with seq >= from, in one read
 * transaction. Returns the number visited, or -1. */
long		 seglog_read(struct seglog *, uint64_t, size_t,
		     seglog_visit_cb, void *);

/* The first seq of the last n entries (they may have holes); 0 when
 * there are no more than n. */
uint64_t	 seglog_tail_seq(struct seglog *, size_t);

/* Delete the log in dir, and dir itself (once it holds nothing else);
 * a log that is not there is no error.  0, or -1 with a reason. */
int		 seglog_remove(const char *, char *, size_t);

/* Both sides. */
uint64_t	 seglog_last_seq(struct seglog *);	/* 0 when empty */
void		 seglog_close(struct seglog *);

#endif
