/*
 * The registry: every pod's record in an LMDB environment under the state
 * directory, so that ids are never reused and terminal pods survive a
 * restart.  Changes are batched: registry_touch() marks a pod dirty and one
 * transaction per loop iteration writes every dirty pod, after which the
 * waiters are told (persist first, then announce).
 *
 * Commits are not synced one by one: a committed transaction is in the
 * page cache and survives a crash of podvisord; only an OS crash could
 * lose it, so the environment is synced at most once a second (and at
 * exit).  Hundreds of pods ending together then cost one fsync, not
 * hundreds.
 *
 * The webhooks' outbox (outbox.c) shares the database, with keys above
 * every pod id: each event is written in the transaction of the change it
 * reports, and its deletion after delivery rides on a later one.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "supervisor.h"

#define REGISTRY_MAP_SIZE	(1ULL << 30)
#define REGISTRY_META_KEY	0	/* holds next_id; pod ids start at 1 */
#define REGISTRY_SYNC_MS	1000

static MDB_env		*env;
static MDB_dbi		 dbi;
static uint64_t		 next_id = 1;
static bool		 next_id_dirty;
static struct podlist	 dirty = TAILQ_HEAD_INITIALIZER(dirty);
static uint64_t		*forgotten;
static size_t		 nforgotten;
static struct event	*retry_ev;	/* after a failed write */
static struct event	*sync_ev;

static void	registry_retry_cb(int, short, void *);
static void	registry_sync_cb(int, short, void *);

/* Open the LMDB environment; returns -1 with a cause. */
static int
registry_env_open(char *cause, size_t len)
{
	char		 dir[PATH_MAX];
	MDB_txn		*txn;
	int		 rc;

	snprintf(dir, sizeof dir, "%s/registry", sv.state_dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(cause, len, "cannot create %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, REGISTRY_MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_NOTLS | MDB_NOSYNC, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0) {
		snprintf(cause, len, "cannot open the registry in %s: %s", dir,
		    mdb_strerror(rc));
		return (-1);
	}
	if ((rc = mdb_dbi_open(txn, NULL, MDB_INTEGERKEY, &dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		snprintf(cause, len, "cannot open the registry database: %s",
		    mdb_strerror(rc));
		return (-1);
	}
	return (0);
}

/* A pod loaded from the registry: link it, and mark a live one lost
 * unless the previous program handed it over across a re-exec. */
static void
registry_adopt(struct pod *pod, int64_t parent_id)
{
	struct pod	*parent = NULL;

	/* Any webhook event for this state was committed with it. */
	pod->reported_state = pod->state;
	if (parent_id > 0)
		parent = podtab_find(parent_id);
	podtab_insert(pod);
	pod_set_parent(pod, parent);
	if (pod->id >= next_id)
		next_id = pod->id + 1;
	if (POD_TERMINAL(pod))
		return;
	if (pod->state == POD_RESTARTING) {
		restart_resume(pod);	/* nothing ran: the wait goes on */
		return;
	}
	if (reexec_adopt(pod))
		return;
	log_info("pod %" PRIu64 " was %s when the supervisor went away: lost",
	    pod->id, pod_state_name(pod->state));
	pod_set_state(pod, POD_LOST);
	free(pod->reason);
	pod->reason = xstrdup("supervisor-lost");
	pod->ended_at = now_ns();
	/* Its runtime stopped the workload: a failure to a restart policy.
	 * The next run waits for that runtime to finish writing the log. */
	if (restart_wanted(pod)) {
		pod->lost_runtime = pod->runtime_pid;
		pod->lost_until = now_ns() + (pod->spec.cancel_grace_ms +
		    pod->spec.term_grace_ms + 5000) * 1000000;
		restart_schedule(pod);
	}
	registry_touch(pod);
}

/* Read every stored record into the pod table. */
static int
registry_load(char *cause, size_t len)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 key, val;
	struct msg	 msg;
	struct pod	*pod;
	char		 why[256];
	int		 rc;

	if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
		snprintf(cause, len, "cannot read the registry: %s",
		    mdb_strerror(rc));
		return (-1);
	}
	while ((rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) == 0) {
		size_t	k;

		/* LMDB does not align keys. */
		memcpy(&k, key.mv_data, sizeof k);
		if (k == REGISTRY_META_KEY) {
			if (val.mv_size == sizeof next_id)
				memcpy(&next_id, val.mv_data, sizeof next_id);
			continue;
		}
		if (k >= OUTBOX_KEY_BASE) {
			outbox_load(k, val.mv_data, val.mv_size);
			continue;
		}
		if (msg_decode(val.mv_data, val.mv_size, &msg, why,
		    sizeof why) == -1 || msg.type != MSG_POD ||
		    (pod = pod_from_msg(&msg.u.pod)) == NULL) {
			log_warnx("registry: skipping unreadable record %zu", k);
			msg_free(&msg);		/* whatever type it decoded as */
			continue;
		}
		registry_adopt(pod, msg.u.pod.parent);
		msg_free(&msg);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return (0);
}

/* Ids must stay unique even if a record was lost: skip past every pod
 * directory that exists. */
static void
registry_scan_dirs(void)
{
	char		 dir[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	uint64_t	 id;

	snprintf(dir, sizeof dir, "%s/pods", sv.state_dir);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (pod_ref_is_id(de->d_name, &id) && id >= next_id) {
			next_id = id + 1;
			next_id_dirty = true;
		}
	}
	closedir(d);
}

/* Open (creating) the registry and load every pod it holds. */
int
registry_open(char *cause, size_t len)
{
	retry_ev = evtimer_new(sv.base, registry_retry_cb, NULL);
	sync_ev = evtimer_new(sv.base, registry_sync_cb, NULL);
	if (registry_env_open(cause, len) == -1)
		return (-1);
	if (registry_load(cause, len) == -1)
		return (-1);
	registry_scan_dirs();
	return (0);
}

/* Write what is pending and close the environment. */
void
registry_close(void)
{
	registry_flush();
	if (env != NULL) {
		mdb_env_sync(env, 1);
		mdb_env_close(env);
	}
	env = NULL;
	if (retry_ev != NULL)
		event_free(retry_ev);
	retry_ev = NULL;
	if (sync_ev != NULL)
		event_free(sync_ev);
	sync_ev = NULL;
	free(forgotten);
}

/* A fresh id, never used in this state directory. */
uint64_t
registry_next_id(void)
{
	next_id_dirty = true;
	sv_kick();
	return (next_id++);
}

/* A copy of the record stored under key (its length in *len), or NULL:
 * for the outbox, which reads an event back when its turn comes. */
void *
registry_get(uint64_t key, size_t *len)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	size_t	 kk = key;
	void	*copy = NULL;

	if (env == NULL || mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
		return (NULL);
	k.mv_data = &kk;
	k.mv_size = sizeof kk;
	if (mdb_get(txn, dbi, &k, &v) == 0) {
		copy = xmalloc(v.mv_size > 0 ? v.mv_size : 1);
		memcpy(copy, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	mdb_txn_abort(txn);
	return (copy);
}

/* Note that a pod changed; it is written at the end of this loop pass. */
void
registry_touch(struct pod *pod)
{
	if (!pod->dirty) {
		pod->dirty = true;
		TAILQ_INSERT_TAIL(&dirty, pod, dirty_entry);
	}
	sv_kick();
}

/* Delete a pod's record (the pod is about to be freed). */
void
registry_forget(struct pod *pod)
{
	if (pod->dirty) {
		TAILQ_REMOVE(&dirty, pod, dirty_entry);
		pod->dirty = false;
	}
	forgotten = xreallocarray(forgotten, nforgotten + 1,
	    sizeof *forgotten);
	forgotten[nforgotten++] = pod->id;
	sv_kick();
}

/* Put one pod's record into the transaction. */
static int
registry_put(MDB_txn *txn, struct pod *pod, struct evbuffer *buf)
{
	struct msg	 msg;
	MDB_val		 key, val;
	size_t		 k = pod->id;
	int		 rc;

	pod_to_msg(pod, &msg, RECORD_RESULT | RECORD_PRIVATE);
	/* A live pod's pids matter to a restarted supervisor's report. */
	msg.u.pod.pid = pod->pid > 0 ? pod->pid : WIRE_NONE;
	msg.u.pod.runtime_pid = pod->runtime_pid > 0 ? pod->runtime_pid :
	    WIRE_NONE;
	evbuffer_drain(buf, evbuffer_get_length(buf));
	if (msg_encode(&msg, buf) == -1)
		return (EINVAL);
	key.mv_data = &k;
	key.mv_size = sizeof k;
	/* Store the payload without the frame's 4-byte length. */
	val.mv_size = evbuffer_get_length(buf) - 4;
	val.mv_data = evbuffer_pullup(buf, -1) + 4;
	rc = mdb_put(txn, dbi, &key, &val, 0);
	return (rc);
}

/* Write the meta record and every forgotten pod's deletion. */
static int
registry_put_meta(MDB_txn *txn)
{
	MDB_val	 key, val;
	size_t	 k = REGISTRY_META_KEY, i;
	int	 rc;

	for (i = 0; i < nforgotten; i++) {
		k = forgotten[i];
		key.mv_data = &k;
		key.mv_size = sizeof k;
		rc = mdb_del(txn, dbi, &key, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return (rc);
	}
	if (!next_id_dirty)
		return (0);
	k = REGISTRY_META_KEY;
	key.mv_data = &k;
	key.mv_size = sizeof k;
	val.mv_data = &next_id;
	val.mv_size = sizeof next_id;
	return (mdb_put(txn, dbi, &key, &val, 0));
}

/* One transaction for everything pending. Returns 0 or an LMDB error. */
static int
registry_write(void)
{
	MDB_txn		*txn;
	struct pod	*pod;
	struct evbuffer	*buf;
	int		 rc;

	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		return (rc);
	buf = evbuffer_new();
	rc = registry_put_meta(txn);
	TAILQ_FOREACH(pod, &dirty, dirty_entry) {
		if (rc != 0)
			break;
		/* A webhook event goes with the change it reports. */
		if ((rc = registry_put(txn, pod, buf)) == 0)
			rc = outbox_stage(txn, dbi, pod);
	}
	evbuffer_free(buf);
	if (rc == 0)
		rc = outbox_write(txn, dbi);
	if (rc != 0)
		mdb_txn_abort(txn);
	else
		rc = mdb_txn_commit(txn);
	if (rc != 0)
		outbox_rolled_back();
	else
		outbox_committed();
	return (rc);
}

/* Write every change of this loop pass in one transaction (the pass
 * calls this first); on failure keep everything pending and retry in a
 * second. */
void
registry_flush(void)
{
	struct pod	*pod;
	struct timeval	 retry = { 1, 0 };
	int		 rc;

	if (env == NULL || (TAILQ_EMPTY(&dirty) && nforgotten == 0 &&
	    !next_id_dirty && !outbox_dirty()))
		return;
	if ((rc = registry_write()) != 0) {
		log_warnx("registry: cannot write: %s (retrying)",
		    mdb_strerror(rc));
		evtimer_add(retry_ev, &retry);
		return;
	}
	/* Written: now the HTTP API's event streams may tell of it. */
	while ((pod = TAILQ_FIRST(&dirty)) != NULL) {
		TAILQ_REMOVE(&dirty, pod, dirty_entry);
		pod->dirty = false;
		sse_pod_changed(pod);
	}
	nforgotten = 0;
	next_id_dirty = false;
	if (!evtimer_pending(sync_ev, NULL)) {
		struct timeval	tv = { REGISTRY_SYNC_MS / 1000,
		    (REGISTRY_SYNC_MS % 1000) * 1000 };

		evtimer_add(sync_ev, &tv);
	}
}

/* Push the committed transactions to disk. */
static void
registry_sync_cb(int fd, short events, void *arg)
{
	int	rc;

	if (env != NULL && (rc = mdb_env_sync(env, 1)) != 0)
		log_warnx("registry: cannot sync: %s", mdb_strerror(rc));
}

/* A failed write's second is up: run a pass, which retries it. */
static void
registry_retry_cb(int fd, short events, void *arg)
{
	sv_kick();
}

/* Is everything changed so far written? */
bool
registry_clean(void)
{
	return (TAILQ_EMPTY(&dirty) && nforgotten == 0 && !next_id_dirty &&
	    !outbox_dirty());
}

/* podvisord --check: open the registry read-only, as a new program about
 * to take over would, and decode every record; -1 with a cause. */
int
registry_check(char *cause, size_t len)
{
	char		 dir[PATH_MAX], why[256];
	MDB_env		*cenv;
	MDB_txn		*txn;
	MDB_dbi		 cdbi;
	MDB_cursor	*cur;
	MDB_val		 key, val;
	struct msg	 msg;
	size_t		 k, n = 0, bad = 0;
	int		 rc;

	snprintf(dir, sizeof dir, "%s/registry", sv.state_dir);
	if ((rc = mdb_env_create(&cenv)) != 0)
		return (snprintf(cause, len, "registry: %s", mdb_strerror(rc)),
		    -1);
	if ((rc = mdb_env_set_mapsize(cenv, REGISTRY_MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(cenv, dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_txn_begin(cenv, NULL, MDB_RDONLY, &txn)) != 0) {
		snprintf(cause, len, "cannot open the registry in %s: %s", dir,
		    mdb_strerror(rc));
		mdb_env_close(cenv);
		return (-1);
	}
	if ((rc = mdb_dbi_open(txn, NULL, MDB_INTEGERKEY, &cdbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, cdbi, &cur)) != 0) {
		snprintf(cause, len, "cannot read the registry: %s",
		    mdb_strerror(rc));
		mdb_txn_abort(txn);
		mdb_env_close(cenv);
		return (-1);
	}
	while (mdb_cursor_get(cur, &key, &val, MDB_NEXT) == 0) {
		memcpy(&k, key.mv_data, sizeof k);
		if (k == REGISTRY_META_KEY || k >= OUTBOX_KEY_BASE)
			continue;
		if (msg_decode(val.mv_data, val.mv_size, &msg, why,
		    sizeof why) == -1 || msg.type != MSG_POD)
			bad++;
		else
			n++;
		msg_free(&msg);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(cenv);
	log_info("check: the registry in %s reads (%zu pods, %zu unreadable)",
	    dir, n, bad);
	return (0);
}
