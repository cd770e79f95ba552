/*
 * A map from process ids to the objects that own them: the live pods by
 * their runtime's pid (podtab.c), the closing runtimes by theirs
 * (reap.c).  Every reaped child, every caller's ancestry and every pid a
 * stray sweep finds is looked up once, which over a table of 10,000
 * pods was a scan of the table each time: a shutdown of them all did
 * 10,000 reaps of 10,000 comparisons.  Chained buckets, doubled when
 * there are more entries than buckets.
 */
#include <stdlib.h>

#include "supervisor.h"

struct pidmap_node {
	pid_t			 pid;
	void			*owner;
	struct pidmap_node	*next;
};

static size_t
pidmap_bucket(const struct pidmap *map, pid_t pid)
{
	return ((size_t)pid * 2654435761u % map->nbuckets);
}

/* Twice the buckets, the nodes moved over. */
static void
pidmap_grow(struct pidmap *map)
{
	struct pidmap_node	**old = map->buckets, *node, *next;
	size_t			  oldn = map->nbuckets, i, b;

	map->nbuckets = oldn != 0 ? oldn * 2 : 64;
	map->buckets = xcalloc(map->nbuckets, sizeof *map->buckets);
	for (i = 0; i < oldn; i++) {
		for (node = old[i]; node != NULL; node = next) {
			next = node->next;
			b = pidmap_bucket(map, node->pid);
			node->next = map->buckets[b];
			map->buckets[b] = node;
		}
	}
	free(old);
}

/* The owner of pid, or NULL. */
void *
pidmap_get(const struct pidmap *map, pid_t pid)
{
	struct pidmap_node	*node;

	if (map->nbuckets == 0)
		return (NULL);
	for (node = map->buckets[pidmap_bucket(map, pid)]; node != NULL;
	    node = node->next) {
		if (node->pid == pid)
			return (node->owner);
	}
	return (NULL);
}

/* pid is owner's now, whoever had it before (a reused pid's earlier
 * owner is done with it). */
void
pidmap_put(struct pidmap *map, pid_t pid, void *owner)
{
	struct pidmap_node	*node;
	size_t			 b;

	if (map->nbuckets == 0 || map->n >= map->nbuckets)
		pidmap_grow(map);
	b = pidmap_bucket(map, pid);
	for (node = map->buckets[b]; node != NULL; node = node->next) {
		if (node->pid == pid) {
			node->owner = owner;
			return;
		}
	}
	node = xcalloc(1, sizeof *node);
	node->pid = pid;
	node->owner = owner;
	node->next = map->buckets[b];
	map->buckets[b] = node;
	map->n++;
}

/* Forget pid, if owner still has it. */
void
pidmap_del(struct pidmap *map, pid_t pid, const void *owner)
{
	struct pidmap_node	**p, *node;

	if (map->nbuckets == 0)
		return;
	for (p = &map->buckets[pidmap_bucket(map, pid)]; (node = *p) != NULL;
	    p = &node->next) {
		if (node->pid == pid) {
			if (node->owner == owner) {
				*p = node->next;
				free(node);
				map->n--;
			}
			return;
		}
	}
}

/* Forget everything. */
void
pidmap_clear(struct pidmap *map)
{
	struct pidmap_node	*node, *next;
	size_t			 i;

	for (i = 0; i < map->nbuckets; i++) {
		for (node = map->buckets[i]; node != NULL; node = next) {
			next = node->next;
			free(node);
		}
	}
	free(map->buckets);
	map->buckets = NULL;
	map->nbuckets = map->n = 0;
}
