/*
 * Process-tree helpers reading /proc (Linux).  Used by the pod runtime to
 * find the leftovers of a workload and by podvisord to tell which pod a
 * caller belongs to.  Zombies are not processes here: they cannot be
 * signalled and have no children.
 */
#ifndef PODVISOR_PROCTREE_H
#define PODVISOR_PROCTREE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/* proctree.c */
/* The parent of pid, or -1 if pid is gone (or a zombie). */
pid_t		 proc_parent(pid_t);
/* Every live process whose ancestry reaches root, root excluded. Sets
 * *pids (malloc'd, caller frees; NULL when none) and *n. Returns 0, or
 * -1 when /proc cannot be read. */
int		 proc_descendants(pid_t, pid_t **, size_t *);
/* Is ancestor the parent, grandparent, ... of pid? */
bool		 proc_has_ancestor(pid_t, pid_t);

#endif
