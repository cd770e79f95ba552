/*
 * The segment log: an append-only LMDB environment per pod.
 *
 * The writer (the pod runtime) opens with MDB_NOSYNC and syncs explicitly:
 * commits are cheap and a timer decides when to pay for fsync.  When the
 * map fills up, output is dropped (and counted) rather than stopping the
 * workload; a small reserve is then added to the map so that control
 * entries (exit, cancel, ...) and `truncated` entries still fit.
 *
 * With a cap (seglog_set_cap), the oldest output entries are deleted to
 * make room for new ones; what was deleted is told in a `truncated` entry.
 * LMDB reuses the freed pages, so the file stays within a few times the
 * cap in size.
 */

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "seglog.h"

#define SEGLOG_HDR	9		/* ts (8 bytes LE) + kind (1) */
#define SEGLOG_RESERVE	(4ULL << 20)	/* map added for control entries */

struct seglog {
	MDB_env		*env;
	MDB_dbi		 dbi;
	MDB_txn		*txn;		/* the open batch */
	char		*dir;
	bool		 writer;
	bool		 batch;		/* between begin and commit */
	bool		 failed;	/* the open batch was aborted */
	bool		 full;		/* map full: output is dropped */
	bool		 warned;	/* a failure was logged since a success */
	int		 err;		/* the last LMDB error */
	uint64_t	 mapsize;
	uint64_t	 next;		/* seq of the next entry */
	uint64_t	 last;		/* last committed seq */
	uint64_t	 batch_bytes;	/* output bytes in the open batch */
	uint64_t	 dropped;	/* output bytes dropped, not yet logged */
	uint64_t	 reported;	/* part of dropped the open batch logs */
	uint64_t	 cap;		/* output bytes kept, 0: no cap */
	uint64_t	 held;		/* output bytes held, headers included */
	uint64_t	 trim_from;	/* no output entry is older than this */
	uint64_t	 saved_held;	/* held and trim_from when the batch */
	uint64_t	 saved_trim;	/* began: restored if it is aborted */
};

/* What one trim deleted. */
struct seglog_trim {
	uint64_t	 entries;
	uint64_t	 bytes;		/* data bytes, headers not counted */
	uint64_t	 first;		/* seqs of the first and last deleted */
	uint64_t	 last;
};

static int	seglog_append_one(struct seglog *, int, const void *, size_t);
static int	seglog_decode(const MDB_val *, const MDB_val *,
		    struct seglog_entry *);

/* Output kinds may be dropped when the log is full; control kinds not. */
static bool
seglog_bulk(int kind)
{
	return (kind == LOG_STDOUT || kind == LOG_STDERR || kind == LOG_LOG);
}

/* The workload's output and the log entries it writes through the pod
 * API: what the cap counts and may delete. */
static bool
seglog_output(int kind)
{
	return (kind == LOG_STDOUT || kind == LOG_STDERR || kind == LOG_LOG);
}

/* What len bytes of data hold once stored (split at SEGLOG_ENTRY_MAX). */
static uint64_t
seglog_cost(size_t len)
{
	size_t	 chunks;

	chunks = len == 0 ? 1 : (len + SEGLOG_ENTRY_MAX - 1) / SEGLOG_ENTRY_MAX;
	return ((uint64_t)len + (uint64_t)chunks * SEGLOG_HDR);
}

/* Put data as one or more entries (split at SEGLOG_ENTRY_MAX). */
static int
seglog_put(struct seglog *s, int kind, const void *data, size_t len)
{
	const uint8_t	*p = data;
	uint8_t		*out;
	MDB_val		 k, v;
	size_t		 key, chunk;
	uint64_t	 ts = (uint64_t)now_ns();
	int		 i, rc;

	do {
		chunk = len > SEGLOG_ENTRY_MAX ? SEGLOG_ENTRY_MAX : len;
		key = (size_t)s->next;
		k.mv_size = sizeof key;
		k.mv_data = &key;
		v.mv_size = SEGLOG_HDR + chunk;
		v.mv_data = NULL;
		rc = mdb_put(s->txn, s->dbi, &k, &v, MDB_APPEND | MDB_RESERVE);
		if (rc != 0)
			return (rc);
		out = v.mv_data;
		for (i = 0; i < 8; i++)
			out[i] = (uint8_t)(ts >> (8 * i));
		out[8] = (uint8_t)kind;
		if (chunk > 0)
			memcpy(out + SEGLOG_HDR, p, chunk);
		if (seglog_output(kind))
			s->held += SEGLOG_HDR + chunk;
		s->next++;
		p += chunk;
		len -= chunk;
	} while (len > 0);
	return (0);
}

/* Log a failure once until the next success. */
static void
seglog_warn(struct seglog *s, const char *what, int rc)
{
	s->err = rc;
	if (s->warned)
		return;
	s->warned = true;
	log_warnx("%s: cannot %s the segment log: %s", s->dir, what,
	    mdb_strerror(rc));
}

/* The map is full: drop output from now on, keep room for control. */
static void
seglog_filled(struct seglog *s)
{
	unsigned long long	 mib = s->mapsize >> 20;
	int			 rc;

	if (s->full)
		return;
	s->full = true;
	log_warnx("%s: the segment log is full (%llu MiB): further output is "
	    "dropped", s->dir, mib);
	if ((rc = mdb_env_set_mapsize(s->env, s->mapsize + SEGLOG_RESERVE)) ==
	    0)
		s->mapsize += SEGLOG_RESERVE;
	else
		log_warnx("%s: cannot grow the map: %s", s->dir,
		    mdb_strerror(rc));
	(void)seglog_appendf(s, LOG_TRUNCATED, "the log is full (%llu MiB): "
	    "further output is dropped", mib);
}

/* The open batch is lost: forget its entries and what it trimmed; its
 * output counts as dropped. */
static void
seglog_rollback(struct seglog *s)
{
	s->next = s->last + 1;
	s->dropped += s->batch_bytes;
	s->batch_bytes = 0;
	s->reported = 0;
	s->held = s->saved_held;
	s->trim_from = s->saved_trim;
}

/* Abort the open batch after a failed put. */
static void
seglog_fail_batch(struct seglog *s, int rc)
{
	mdb_txn_abort(s->txn);
	s->txn = NULL;
	s->failed = true;
	seglog_rollback(s);
	seglog_warn(s, "write", rc);
}

/* Before a control entry, log how much output was dropped. */
static int
seglog_report(struct seglog *s, int kind)
{
	char	 buf[96];
	int	 n;

	if (kind == LOG_TRUNCATED || s->dropped == s->reported)
		return (0);
	n = snprintf(buf, sizeof buf, "dropped %llu bytes of output",
	    (unsigned long long)s->dropped);
	s->reported = s->dropped;
	return (seglog_put(s, LOG_TRUNCATED, buf, (size_t)n));
}

/* A size for people: "64 MiB", "96 KiB" or "1000 bytes". */
static void
seglog_size_text(uint64_t n, char *buf, size_t len)
{
	if (n >= (1 << 20) && n % (1 << 20) == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(n >> 20));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, len, "%llu KiB", (unsigned long long)(n >> 10));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
}

/* Delete the oldest output entries until at most target bytes are held.
 * Lifecycle entries stay; the walk starts where the last one stopped. */
static int
seglog_trim(struct seglog *s, uint64_t target, struct seglog_trim *t)
{
	MDB_cursor		*cur;
	MDB_val			 k, v;
	struct seglog_entry	 e;
	size_t			 key = (size_t)s->trim_from;
	uint64_t		 cost;
	int			 rc;

	if ((rc = mdb_cursor_open(s->txn, s->dbi, &cur)) != 0)
		return (rc);
	k.mv_size = sizeof key;
	k.mv_data = &key;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && s->held > target) {
		if (seglog_decode(&k, &v, &e) == 0 && seglog_output(e.kind)) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			cost = SEGLOG_HDR + e.len;
			s->held = s->held > cost ? s->held - cost : 0;
			s->trim_from = e.seq + 1;
			if (t->entries++ == 0)
				t->first = e.seq;
			t->last = e.seq;
			t->bytes += e.len;
		}
		/* After a delete the cursor's next is the following entry. */
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return (rc == MDB_NOTFOUND ? 0 : rc);
}

/* Say what a trim deleted, where the holes in the seqs are. */
static int
seglog_report_trim(struct seglog *s, const struct seglog_trim *t)
{
	char	 cap[32], seqs[64], buf[256];
	int	 n;

	seglog_size_text(s->cap, cap, sizeof cap);
	if (t->first == t->last)
		snprintf(seqs, sizeof seqs, "seq %llu",
		    (unsigned long long)t->first);
	else
		snprintf(seqs, sizeof seqs, "seq %llu to %llu",
		    (unsigned long long)t->first, (unsigned long long)t->last);
	n = snprintf(buf, sizeof buf, "dropped %llu output entr%s (%llu "
	    "bytes), %s, to stay under the log cap of %s",
	    (unsigned long long)t->entries, t->entries == 1 ? "y" : "ies",
	    (unsigned long long)t->bytes, seqs, cap);
	return (seglog_put(s, LOG_TRUNCATED, buf, (size_t)n));
}

/* Make room for len bytes of output under the cap.  Past the cap, the
 * oldest output goes until the new total is at most 3/4 of the cap, so
 * that a steady writer trims now and then rather than on every write. */
static int
seglog_make_room(struct seglog *s, int kind, size_t len)
{
	struct seglog_trim	 t;
	uint64_t		 need, target;
	int			 rc;

	if (s->cap == 0 || !seglog_output(kind))
		return (0);
	need = seglog_cost(len);
	if (s->held + need <= s->cap)
		return (0);
	/* An entry above 3/4 of the cap is kept alone: older output goes. */
	target = s->cap / 4 * 3;
	target = need < target ? target - need : 0;
	memset(&t, 0, sizeof t);
	if ((rc = seglog_trim(s, target, &t)) != 0 || t.entries == 0)
		return (rc);
	return (seglog_report_trim(s, &t));
}

/* Append inside the open batch. */
static int
seglog_batch_append(struct seglog *s, int kind, const void *data,
    size_t len)
{
	int	 rc;

	if (seglog_bulk(kind) && (s->full || s->failed)) {
		s->dropped += len;
		errno = ENOSPC;
		return (-1);
	}
	if (s->failed) {
		errno = EIO;
		return (-1);
	}
	rc = seglog_bulk(kind) ? seglog_make_room(s, kind, len) :
	    seglog_report(s, kind);
	if (rc == 0)
		rc = seglog_put(s, kind, data, len);
	if (rc != 0) {
		if (seglog_bulk(kind))
			s->dropped += len;
		seglog_fail_batch(s, rc);
		errno = rc == MDB_MAP_FULL ? ENOSPC : EIO;
		return (-1);
	}
	if (seglog_bulk(kind))
		s->batch_bytes += len;
	return (0);
}

/* Open the environment in dir; flags decide writer or reader. */
static struct seglog *
seglog_open(const char *dir, uint64_t mapsize, unsigned int flags,
    char *cause, size_t causelen)
{
	struct seglog	*s;
	int		 rc;

	s = xcalloc(1, sizeof *s);
	s->dir = xstrdup(dir);
	s->mapsize = mapsize;
	if ((rc = mdb_env_create(&s->env)) != 0)
		goto fail;
	if (mapsize != 0 && (rc = mdb_env_set_mapsize(s->env, mapsize)) != 0)
		goto fail;
	if ((rc = mdb_env_open(s->env, dir, flags | MDB_NOTLS, 0600)) != 0)
		goto fail;
	return (s);
fail:
	snprintf(cause, causelen, "cannot open the log in %s: %s", dir,
	    mdb_strerror(rc));
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s->dir);
	free(s);
	return (NULL);
}

/* Open the main database and find the last seq, in one transaction. */
static int
seglog_init_db(struct seglog *s, unsigned int txnflags, uint64_t *last)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	size_t		 key;
	int		 rc;

	*last = 0;
	if ((rc = mdb_txn_begin(s->env, NULL, txnflags, &txn)) != 0)
		return (rc);
	rc = mdb_dbi_open(txn, NULL, MDB_INTEGERKEY |
	    (txnflags & MDB_RDONLY ? 0 : MDB_CREATE), &s->dbi);
	if (rc == 0 && (rc = mdb_cursor_open(txn, s->dbi, &cur)) == 0) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		if (rc == 0 && k.mv_size == sizeof key) {
			memcpy(&key, k.mv_data, sizeof key);
			*last = key;
		}
		if (rc == MDB_NOTFOUND)
			rc = 0;
		mdb_cursor_close(cur);
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return (rc);
	}
	return (mdb_txn_commit(txn));
}

/* Create (or reopen) the log in dir, which must exist. */
struct seglog *
seglog_create(const char *dir, uint64_t mapsize, char *cause, size_t len)
{
	struct seglog	*s;
	int		 rc;

	if (mapsize == 0)
		mapsize = SEGLOG_MAP_SIZE;
	if ((s = seglog_open(dir, mapsize, MDB_NOSYNC, cause, len)) == NULL)
		return (NULL);
	s->writer = true;
	if ((rc = seglog_init_db(s, 0, &s->last)) != 0) {
		snprintf(cause, len, "cannot open the log in %s: %s", dir,
		    mdb_strerror(rc));
		seglog_close(s);
		return (NULL);
	}
	s->next = s->last + 1;
	return (s);
}

/* Start a batch: appends until seglog_commit() share one transaction. */
int
seglog_begin(struct seglog *s)
{
	int	 rc;

	if (!s->writer || s->batch) {
		errno = EINVAL;
		return (-1);
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &s->txn)) != 0) {
		s->txn = NULL;
		seglog_warn(s, "begin a write to", rc);
		errno = EIO;
		return (-1);
	}
	s->batch = true;
	s->failed = false;
	s->batch_bytes = 0;
	s->reported = 0;
	s->saved_held = s->held;
	s->saved_trim = s->trim_from;
	return (0);
}

/* Commit the batch; a failed one counts its output as dropped. */
int
seglog_commit(struct seglog *s)
{
	int	 rc;

	if (!s->batch)
		return (0);
	s->batch = false;
	if (s->failed) {
		s->failed = false;
		if (s->err == MDB_MAP_FULL)
			seglog_filled(s);
		errno = EIO;
		return (-1);
	}
	rc = mdb_txn_commit(s->txn);
	s->txn = NULL;
	if (rc != 0) {
		seglog_rollback(s);
		seglog_warn(s, "commit to", rc);
		if (rc == MDB_MAP_FULL)
			seglog_filled(s);
		errno = EIO;
		return (-1);
	}
	s->last = s->next - 1;
	s->dropped -= s->reported;
	s->reported = 0;
	s->batch_bytes = 0;
	s->warned = false;
	return (0);
}

/* Append outside a batch: one transaction, retried once when full. */
static int
seglog_append_one(struct seglog *s, int kind, const void *data, size_t len)
{
	int	 try, rc;

	for (try = 0; try < 2; try++) {
		if (seglog_bulk(kind) && s->full) {
			s->dropped += len;
			errno = ENOSPC;
			return (-1);
		}
		if (seglog_begin(s) == -1)
			return (-1);
		rc = seglog_batch_append(s, kind, data, len);
		if (seglog_commit(s) == 0 && rc == 0)
			return (0);
		if (s->err != MDB_MAP_FULL || seglog_bulk(kind))
			break;
	}
	errno = EIO;
	return (-1);
}

/* Append one entry (split when long), in the batch or on its own. */
int
seglog_append(struct seglog *s, int kind, const void *data, size_t len)
{
	if (!s->writer || kind <= 0 || kind > 255) {
		errno = EINVAL;
		return (-1);
	}
	if (s->batch)
		return (seglog_batch_append(s, kind, data, len));
	return (seglog_append_one(s, kind, data, len));
}

/* Append one formatted entry. */
int
seglog_appendf(struct seglog *s, int kind, const char *fmt, ...)
{
	va_list	 ap;
	char	*buf;
	int	 n, rc;

	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n == -1)
		return (-1);
	rc = seglog_append(s, kind, buf, (size_t)n);
	free(buf);
	return (rc);
}

/* Force committed entries to disk. */
int
seglog_sync(struct seglog *s)
{
	int	 rc;

	if (!s->writer)
		return (0);
	if ((rc = mdb_env_sync(s->env, 1)) != 0) {
		log_warnx("%s: cannot sync the segment log: %s", s->dir,
		    mdb_strerror(rc));
		return (-1);
	}
	return (0);
}

/* Count the output a reopened log already holds. */
static int
seglog_count(const struct seglog_entry *e, void *arg)
{
	struct seglog	*s = arg;

	if (seglog_output(e->kind)) {
		if (s->held == 0)
			s->trim_from = e->seq;
		s->held += SEGLOG_HDR + e->len;
	}
	return (0);
}

/* Keep at most cap bytes of output (0: no cap); outside a batch. */
int
seglog_set_cap(struct seglog *s, uint64_t cap)
{
	if (!s->writer || s->batch) {
		errno = EINVAL;
		return (-1);
	}
	s->cap = 0;
	s->held = 0;
	s->trim_from = 0;
	if (cap != 0 && seglog_read(s, 0, 0, seglog_count, s) == -1) {
		errno = EIO;
		return (-1);
	}
	s->cap = cap;
	return (0);
}

/* Open an existing log read-only (podvisord). */
struct seglog *
seglog_open_reader(const char *dir, char *cause, size_t len)
{
	struct seglog	*s;
	uint64_t	 last;
	int		 rc;

	if ((s = seglog_open(dir, 0, MDB_RDONLY, cause, len)) == NULL)
		return (NULL);
	if ((rc = seglog_init_db(s, MDB_RDONLY, &last)) != 0) {
		snprintf(cause, len, "cannot read the log in %s: %s", dir,
		    mdb_strerror(rc));
		seglog_close(s);
		return (NULL);
	}
	return (s);
}

/* Begin a read transaction, adopting a map grown by the writer. */
static int
seglog_read_begin(struct seglog *s, MDB_txn **txn)
{
	int	 rc;

	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	if (rc == MDB_MAP_RESIZED) {
		/* No transaction of ours is active: safe to remap. */
		if ((rc = mdb_env_set_mapsize(s->env, 0)) == 0)
			rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	}
	if (rc != 0)
		log_warnx("%s: cannot read the segment log: %s", s->dir,
		    mdb_strerror(rc));
	return (rc);
}

/* Decode one stored entry; -1 if it is not one of ours. */
static int
seglog_decode(const MDB_val *k, const MDB_val *v, struct seglog_entry *e)
{
	const uint8_t	*p = v->mv_data;
	uint64_t	 ts = 0;
	size_t		 key;
	int		 i;

	if (k->mv_size != sizeof key || v->mv_size < SEGLOG_HDR)
		return (-1);
	memcpy(&key, k->mv_data, sizeof key);
	for (i = 0; i < 8; i++)
		ts |= (uint64_t)p[i] << (8 * i);
	e->seq = key;
	e->ts = (int64_t)ts;
	e->kind = p[8];
	e->data = p + SEGLOG_HDR;
	e->len = v->mv_size - SEGLOG_HDR;
	return (0);
}

/* Walk entries with seq >= from (up to max) in one read transaction. */
static long
seglog_walk(struct seglog *s, MDB_txn *txn, uint64_t from, size_t max,
    seglog_visit_cb cb, void *arg)
{
	MDB_cursor		*cur;
	MDB_val			 k, v;
	struct seglog_entry	 e;
	size_t			 key = (size_t)from;
	long			 count = 0;
	int			 rc;

	if (mdb_cursor_open(txn, s->dbi, &cur) != 0)
		return (-1);
	k.mv_size = sizeof key;
	k.mv_data = &key;
	rc = mdb_cursor_get(cur, &k, &v, from == 0 ? MDB_FIRST : MDB_SET_RANGE);
	while (rc == 0 && (max == 0 || (size_t)count < max)) {
		if (seglog_decode(&k, &v, &e) == 0) {
			count++;
			if (cb(&e, arg) != 0)
				break;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		log_warnx("%s: cannot read the segment log: %s", s->dir,
		    mdb_strerror(rc));
		return (-1);
	}
	return (count);
}

/* Visit up to max entries (0: no limit) with seq >= from. */
long
seglog_read(struct seglog *s, uint64_t from, size_t max, seglog_visit_cb cb,
    void *arg)
{
	MDB_txn	*txn;
	long	 n;

	if (seglog_read_begin(s, &txn) != 0)
		return (-1);
	n = seglog_walk(s, txn, from, max, cb, arg);
	mdb_txn_abort(txn);
	return (n);
}

/* The seq of the nth entry from the end, 0 when there are fewer.  Seqs
 * have holes where output was dropped: this counts entries. */
uint64_t
seglog_tail_seq(struct seglog *s, size_t n)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	size_t		 key = 0, i;
	int		 rc;

	if (n == 0 || seglog_read_begin(s, &txn) != 0)
		return (0);
	if (mdb_cursor_open(txn, s->dbi, &cur) == 0) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		for (i = 1; rc == 0 && i < n; i++)
			rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
		if (rc == 0 && k.mv_size == sizeof key)
			memcpy(&key, k.mv_data, sizeof key);
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return (key);
}

/* The last committed seq; 0 when empty. */
uint64_t
seglog_last_seq(struct seglog *s)
{
	if (s->writer)
		return (s->last);
	return (seglog_tail_seq(s, 1));
}

/* Close the log; an open batch is abandoned. */
void
seglog_close(struct seglog *s)
{
	if (s == NULL)
		return;
	if (s->txn != NULL)
		mdb_txn_abort(s->txn);
	mdb_env_close(s->env);
	free(s->dir);
	free(s);
}

/* The files an LMDB environment keeps in its directory. */
static const char *const seglog_files[] = { "data.mdb", "lock.mdb" };

/* Delete the log in dir, then dir: the pod is forgotten. */
int
seglog_remove(const char *dir, char *cause, size_t len)
{
	char	path[PATH_MAX];
	size_t	i;

	for (i = 0; i < sizeof seglog_files / sizeof seglog_files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, seglog_files[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			return (snprintf(cause, len, "cannot remove %s: %s",
			    path, strerror(errno)), -1);
	}
	if (rmdir(dir) == -1 && errno != ENOENT)
		return (snprintf(cause, len, "cannot remove %s: %s", dir,
		    strerror(errno)), -1);
	return (0);
}
