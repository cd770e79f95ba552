/*
 * The webhooks' durable outbox: every event, one record per receiver, in
 * the registry's LMDB environment, written in the same transaction as the
 * pod change it reports (registry_write calls outbox_stage for each pod it
 * writes) and deleted in a later one once the receiver answered 2xx, or
 * the event was dropped.  A crash can lose neither a change without its
 * event nor an event without its change; at worst an event already
 * delivered is delivered again.
 *
 * Outbox records live in the registry's database above every pod id:
 * key OUTBOX_KEY_BASE holds the next sequence number, and key
 * OUTBOX_KEY_BASE + seq an event (so keys sort as events were made).
 * In memory each receiver keeps only the keys of its undelivered events,
 * oldest first; a record is read back when its turn comes.
 *
 * Each receiver holds at most --webhook-max-pending events: beyond that
 * the oldest are deleted, in the same transaction, and counted.
 */
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"
#include "webhook.h"

#define OUTBOX_MAGIC	"PVW1"		/* bump with the record layout */

/* A record: magic, created_ns, id, type, url, body; the strings with a
 * 4-byte length each (memcpy'd: LMDB does not align values). */

static uint64_t		 next_seq = 1;
static uint64_t		 txn_seq;	/* next_seq when the txn began */
static bool		 txn_open;
static uint64_t		*deletes;	/* delivered or dropped: delete next */
static size_t		 ndeletes, deletes_size;
static size_t		 ndeletes_txn;	/* of those, in the open txn */
static struct pod	**touched;	/* pods whose change the txn records */
static int		*touched_state;
static size_t		 ntouched, touched_size;

/*
 * Key queues.
 */

size_t
keyq_len(const struct keyq *q)
{
	return (q->n);
}

/* The i-th oldest key. */
uint64_t
keyq_at(const struct keyq *q, size_t i)
{
	return (q->v[q->first + i]);
}

/* Add a key at the end. */
static void
keyq_push(struct keyq *q, uint64_t key)
{
	if (q->first > 0 && q->first + q->n == q->size) {
		memmove(q->v, q->v + q->first, q->n * sizeof *q->v);
		q->first = 0;
	}
	if (q->first + q->n == q->size) {
		q->size = q->size ? q->size * 2 : 64;
		q->v = xreallocarray(q->v, q->size, sizeof *q->v);
	}
	q->v[q->first + q->n++] = key;
}

/* Remove the oldest key. */
static uint64_t
keyq_shift(struct keyq *q)
{
	uint64_t	key = q->v[q->first];

	q->first++;
	if (--q->n == 0)
		q->first = 0;
	return (key);
}

static void
keyq_free(struct keyq *q)
{
	free(q->v);
	memset(q, 0, sizeof *q);
}

/*
 * Records.
 */

/* Append a length-prefixed string. */
static uint8_t *
rec_put(uint8_t *p, const char *s, size_t len)
{
	uint32_t	n = (uint32_t)len;

	memcpy(p, &n, sizeof n);
	memcpy(p + sizeof n, s, len);
	return (p + sizeof n + len);
}

/* The stored form of an event for one receiver. */
static uint8_t *
rec_encode(const struct outbox_rec *r, size_t *len)
{
	size_t	 idl = strlen(r->id), tl = strlen(r->type), ul = strlen(r->url);
	uint8_t	*buf, *p;

	*len = 4 + sizeof r->created_ns + 4 * 4 + idl + tl + ul + r->body_len;
	buf = p = xmalloc(*len);
	memcpy(p, OUTBOX_MAGIC, 4);
	memcpy(p + 4, &r->created_ns, sizeof r->created_ns);
	p += 4 + sizeof r->created_ns;
	p = rec_put(p, r->id, idl);
	p = rec_put(p, r->type, tl);
	p = rec_put(p, r->url, ul);
	rec_put(p, r->body, r->body_len);
	return (buf);
}

/* Take a length-prefixed string of at most max bytes (0: any) into a
 * fresh NUL-terminated copy; NULL if the record is short. */
static char *
rec_get(const uint8_t **p, const uint8_t *end, size_t max, size_t *lenp)
{
	uint32_t	 n;
	char		*s;

	if (end - *p < (ptrdiff_t)sizeof n)
		return (NULL);
	memcpy(&n, *p, sizeof n);
	*p += sizeof n;
	if ((size_t)(end - *p) < n || (max != 0 && n > max))
		return (NULL);
	s = xmalloc((size_t)n + 1);
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n;
	if (lenp != NULL)
		*lenp = n;
	return (s);
}

/* A record read back; NULL if it is not one of ours. */
static struct outbox_rec *
rec_decode(uint64_t key, const uint8_t *p, size_t len)
{
	const uint8_t		*end = p + len;
	struct outbox_rec	*r;
	char			*id = NULL, *type = NULL;

	if (len < 4 + sizeof r->created_ns || memcmp(p, OUTBOX_MAGIC, 4) != 0)
		return (NULL);
	r = xcalloc(1, sizeof *r);
	r->key = key;
	memcpy(&r->created_ns, p + 4, sizeof r->created_ns);
	p += 4 + sizeof r->created_ns;
	if ((id = rec_get(&p, end, WEBHOOK_ID_LEN, NULL)) == NULL ||
	    (type = rec_get(&p, end, WEBHOOK_TYPE_MAX - 1, NULL)) == NULL ||
	    (r->url = rec_get(&p, end, 0, NULL)) == NULL ||
	    (r->body = rec_get(&p, end, 0, &r->body_len)) == NULL) {
		free(id);
		free(type);
		outbox_rec_free(r);
		return (NULL);
	}
	snprintf(r->id, sizeof r->id, "%s", id);
	snprintf(r->type, sizeof r->type, "%s", type);
	free(id);
	free(type);
	return (r);
}

void
outbox_rec_free(struct outbox_rec *r)
{
	if (r == NULL)
		return;
	free(r->url);
	free(r->body);
	free(r);
}

/* Read the record under key; NULL if it is gone or unreadable. */
struct outbox_rec *
outbox_read(uint64_t key)
{
	struct outbox_rec	*r;
	void			*data;
	size_t			 len;

	if ((data = registry_get(key, &len)) == NULL)
		return (NULL);
	r = rec_decode(key, data, len);
	free(data);
	return (r);
}

/*
 * Loading, at start-up.
 */

/* Delete this key in the next transaction. */
static void
outbox_delete_later(uint64_t key)
{
	if (ndeletes == deletes_size) {
		deletes_size = deletes_size ? deletes_size * 2 : 64;
		deletes = xreallocarray(deletes, deletes_size,
		    sizeof *deletes);
	}
	deletes[ndeletes++] = key;
	sv_kick();
}

/* One outbox record found by registry_load (keys ascending): queue it for
 * its receiver, or delete it when its URL is no longer a --webhook. */
void
outbox_load(uint64_t key, const void *data, size_t len)
{
	struct outbox_rec	*r;
	struct receiver		*rcv;

	if (key == OUTBOX_KEY_BASE) {
		if (len == sizeof next_seq)
			memcpy(&next_seq, data, sizeof next_seq);
		return;
	}
	if (key - OUTBOX_KEY_BASE >= next_seq)
		next_seq = key - OUTBOX_KEY_BASE + 1;
	if ((r = rec_decode(key, data, len)) == NULL) {
		log_warnx("webhook: dropping unreadable outbox record %" PRIu64,
		    key - OUTBOX_KEY_BASE);
		outbox_delete_later(key);
		return;
	}
	if ((rcv = webhook_find(r->url)) == NULL) {
		log_warnx("webhook: dropping undelivered event %s (%s) for %s: "
		    "no longer a --webhook", r->id, r->type, r->url);
		outbox_delete_later(key);
	} else
		keyq_push(&rcv->queue, key);
	outbox_rec_free(r);
}

/*
 * Writing, inside the registry's transaction.
 */

/* Put one event record into the transaction. */
static int
outbox_put(MDB_txn *txn, MDB_dbi dbi, const struct outbox_rec *r)
{
	MDB_val	 k, v;
	size_t	 key = r->key, len;
	uint8_t	*buf;
	int	 rc;

	buf = rec_encode(r, &len);
	k.mv_data = &key;
	k.mv_size = sizeof key;
	v.mv_data = buf;
	v.mv_size = len;
	rc = mdb_put(txn, dbi, &k, &v, 0);
	free(buf);
	return (rc);
}

/* Delete one record; one already gone is no error. */
static int
outbox_del(MDB_txn *txn, MDB_dbi dbi, uint64_t key)
{
	MDB_val	 k;
	size_t	 kk = key;
	int	 rc;

	k.mv_data = &kk;
	k.mv_size = sizeof kk;
	rc = mdb_del(txn, dbi, &k, NULL);
	return (rc == MDB_NOTFOUND ? 0 : rc);
}

/* Mark the transaction open (first call in it). */
static void
outbox_begin(void)
{
	if (txn_open)
		return;
	txn_open = true;
	txn_seq = next_seq;
	ndeletes_txn = 0;
}

/* A receiver holds more than the cap: delete its oldest events (queued,
 * then staged) in the transaction. */
static int
outbox_trim(MDB_txn *txn, MDB_dbi dbi, struct receiver *rcv)
{
	size_t		qlen = keyq_len(&rcv->queue);
	uint64_t	key;
	int		rc;

	while (qlen + keyq_len(&rcv->staging) - rcv->trimmed >
	    sv.webhook_max_pending) {
		if (rcv->trimmed < qlen)
			key = keyq_at(&rcv->queue, rcv->trimmed);
		else
			key = keyq_at(&rcv->staging, rcv->trimmed - qlen);
		if ((rc = outbox_del(txn, dbi, key)) != 0)
			return (rc);
		rcv->trimmed++;
	}
	return (0);
}

/* Remember that the transaction records this pod's state. */
static void
outbox_touch(struct pod *pod)
{
	if (ntouched == touched_size) {
		touched_size = touched_size ? touched_size * 2 : 64;
		touched = xreallocarray(touched, touched_size,
		    sizeof *touched);
		touched_state = xreallocarray(touched_state, touched_size,
		    sizeof *touched_state);
	}
	touched[ntouched] = pod;
	touched_state[ntouched++] = pod->state;
}

/* registry_write is writing this pod: if its change is an event, put one
 * record per receiver in the same transaction.  Returns an LMDB error. */
int
outbox_stage(MDB_txn *txn, MDB_dbi dbi, struct pod *pod)
{
	struct outbox_rec	 r;
	struct receiver		*rcv;
	const char		*type;
	size_t			 i;
	int			 rc = 0;

	if (webhook_count() == 0 || (int)pod->state == pod->reported_state)
		return (0);
	outbox_begin();
	outbox_touch(pod);
	if ((type = webhook_event_type(pod)) == NULL)
		return (0);
	memset(&r, 0, sizeof r);
	r.created_ns = now_ns();
	webhook_event_id(r.id);
	snprintf(r.type, sizeof r.type, "%s", type);
	r.body = webhook_event_body(pod, r.id, type, r.created_ns,
	    &r.body_len);
	for (i = 0; rc == 0 && (rcv = webhook_at(i)) != NULL; i++) {
		r.key = OUTBOX_KEY_BASE + next_seq++;
		r.url = rcv->url;
		if ((rc = outbox_put(txn, dbi, &r)) == 0) {
			keyq_push(&rcv->staging, r.key);
			rc = outbox_trim(txn, dbi, rcv);
		}
	}
	free(r.body);
	return (rc);
}

/* The rest of the transaction: deletions of delivered and dropped events,
 * and the sequence number.  Returns an LMDB error. */
int
outbox_write(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_val	 k, v;
	size_t	 key = OUTBOX_KEY_BASE, i;
	int	 rc;

	if (ndeletes == 0 && !txn_open)
		return (0);
	outbox_begin();
	ndeletes_txn = ndeletes;
	for (i = 0; i < ndeletes; i++) {
		if ((rc = outbox_del(txn, dbi, deletes[i])) != 0)
			return (rc);
	}
	if (next_seq == txn_seq)
		return (0);
	k.mv_data = &key;
	k.mv_size = sizeof key;
	v.mv_data = &next_seq;
	v.mv_size = sizeof next_seq;
	return (mdb_put(txn, dbi, &k, &v, 0));
}

/* After the commit: the oldest events the cap dropped go, the new ones
 * join their queues, and idle receivers start on them. */
static void
outbox_commit_receiver(struct receiver *rcv)
{
	size_t	n = rcv->trimmed;

	if (n > 0) {
		log_warnx("webhook %s: %zu undelivered events, over "
		    "--webhook-max-pending %u: dropped the %zu oldest",
		    rcv->label, keyq_len(&rcv->queue) +
		    keyq_len(&rcv->staging), sv.webhook_max_pending, n);
		rcv->dropped_cap += n;
	}
	for (; rcv->trimmed > 0; rcv->trimmed--) {
		if (keyq_len(&rcv->queue) == 0) {
			keyq_shift(&rcv->staging);
			continue;
		}
		webhook_head_dropped(rcv);
		keyq_shift(&rcv->queue);
	}
	while (keyq_len(&rcv->staging) > 0)
		keyq_push(&rcv->queue, keyq_shift(&rcv->staging));
	webhook_wake(rcv);
}

/* The registry's transaction committed. */
void
outbox_committed(void)
{
	struct receiver	*rcv;
	size_t		 i;

	if (!txn_open)
		return;
	txn_open = false;
	for (i = 0; i < ntouched; i++)
		touched[i]->reported_state = touched_state[i];
	ntouched = 0;
	if (ndeletes_txn > 0) {
		memmove(deletes, deletes + ndeletes_txn,
		    (ndeletes - ndeletes_txn) * sizeof *deletes);
		ndeletes -= ndeletes_txn;
	}
	for (i = 0; (rcv = webhook_at(i)) != NULL; i++)
		outbox_commit_receiver(rcv);
}

/* The registry's transaction failed: forget what it would have done (the
 * pods stay dirty, so the next one makes their events again). */
void
outbox_rolled_back(void)
{
	struct receiver	*rcv;
	size_t		 i;

	if (!txn_open)
		return;
	txn_open = false;
	next_seq = txn_seq;
	ntouched = 0;
	for (i = 0; (rcv = webhook_at(i)) != NULL; i++) {
		while (keyq_len(&rcv->staging) > 0)
			keyq_shift(&rcv->staging);
		rcv->trimmed = 0;
	}
}

/* Is there anything for the next transaction to delete? */
bool
outbox_dirty(void)
{
	return (ndeletes > 0);
}

/* The receiver is done with its oldest event (delivered or dropped). */
void
outbox_pop(struct receiver *rcv)
{
	outbox_delete_later(keyq_shift(&rcv->queue));
}

/* Events not yet delivered, over every receiver. */
uint64_t
outbox_pending(void)
{
	struct receiver	*rcv;
	uint64_t	 n = 0;
	size_t		 i;

	for (i = 0; (rcv = webhook_at(i)) != NULL; i++)
		n += keyq_len(&rcv->queue);
	return (n);
}

/* At exit. */
void
outbox_close(void)
{
	struct receiver	*rcv;
	size_t		 i;

	for (i = 0; (rcv = webhook_at(i)) != NULL; i++) {
		keyq_free(&rcv->queue);
		keyq_free(&rcv->staging);
	}
	free(deletes);
	free(touched);
	free(touched_state);
	deletes = NULL;
	touched = NULL;
	touched_state = NULL;
	ndeletes = ntouched = deletes_size = touched_size = 0;
}
