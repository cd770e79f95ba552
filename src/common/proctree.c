/*
 * Process-tree helpers: parent, descendants and ancestry from /proc.
 */

#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proctree.h"

#define PROC_DEPTH_MAX	4096	/* guards the ancestry walk against loops */

struct proc_ent {
	pid_t	 pid;
	pid_t	 ppid;
};

/* Read the parent of pid from /proc/PID/stat; -1 if gone or a zombie. */
static pid_t
proc_stat_parent(pid_t pid)
{
	char	 path[64], buf[1024], state, *p;
	ssize_t	 n;
	long	 ppid;
	int	 fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	do
		n = read(fd, buf, sizeof buf - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';

	/* comm may hold spaces and parentheses: the last ')' ends it. */
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	if (sscanf(p + 1, " %c %ld", &state, &ppid) != 2)
		return (-1);
	if (state == 'Z' || state == 'X' || ppid < 0)
		return (-1);
	return ((pid_t)ppid);
}

/* Is the directory entry name a pid? */
static pid_t
proc_name_pid(const char *name)
{
	char	*end;
	long	 v;

	if (!isdigit((unsigned char)name[0]))
		return (-1);
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return (-1);
	return ((pid_t)v);
}

/* The parent of pid, or -1 if pid is gone. */
pid_t
proc_parent(pid_t pid)
{
	if (pid <= 0)
		return (-1);
	return (proc_stat_parent(pid));
}

/* Order entries by pid for bsearch. */
static int
proc_ent_cmp(const void *a, const void *b)
{
	const struct proc_ent	*x = a, *y = b;

	return ((x->pid > y->pid) - (x->pid < y->pid));
}

/* Snapshot (pid, ppid) of every live process, sorted by pid. */
static int
proc_snapshot(struct proc_ent **ents, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	struct proc_ent	*v = NULL, *nv;
	size_t		 len = 0, cap = 0;
	pid_t		 pid, ppid;

	if ((d = opendir("/proc")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if ((pid = proc_name_pid(de->d_name)) == -1)
			continue;
		if ((ppid = proc_stat_parent(pid)) == -1)
			continue;
		if (len == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof *v)) == NULL) {
				free(v);
				closedir(d);
				return (-1);
			}
			v = nv;
		}
		v[len].pid = pid;
		v[len].ppid = ppid;
		len++;
	}
	closedir(d);
	if (len > 0)
		qsort(v, len, sizeof *v, proc_ent_cmp);
	*ents = v;
	*n = len;
	return (0);
}

/* Index of pid in the sorted snapshot, or -1. */
static long
proc_find(const struct proc_ent *v, size_t n, pid_t pid)
{
	struct proc_ent	 key, *e;

	key.pid = pid;
	if (n == 0 || (e = bsearch(&key, v, n, sizeof *v, proc_ent_cmp)) ==
	    NULL)
		return (-1);
	return (e - v);
}

/* Mark every entry whose ancestry reaches root; returns how many. */
static size_t
proc_mark(const struct proc_ent *v, size_t n, pid_t root, bool *mark)
{
	size_t	 i, count = 0;
	long	 j;
	bool	 changed;

	do {
		changed = false;
		for (i = 0; i < n; i++) {
			if (mark[i] || v[i].pid == root)
				continue;
			if (v[i].ppid != root &&
			    ((j = proc_find(v, n, v[i].ppid)) == -1 || !mark[j]))
				continue;
			mark[i] = true;
			changed = true;
			count++;
		}
	} while (changed);
	return (count);
}

/* Every live process whose ancestry reaches root, root excluded. */
static int
proc_descendants_scan(pid_t root, pid_t **pids, size_t *n)
{
	struct proc_ent	*v;
	size_t		 len, i, k, count;
	bool		*mark;

	*pids = NULL;
	*n = 0;
	if (proc_snapshot(&v, &len) == -1)
		return (-1);
	if (len == 0)
		return (0);
	if ((mark = calloc(len, sizeof *mark)) == NULL) {
		free(v);
		return (-1);
	}
	count = proc_mark(v, len, root, mark);
	if (count > 0 && (*pids = calloc(count, sizeof **pids)) == NULL) {
		free(mark);
		free(v);
		return (-1);
	}
	for (i = 0, k = 0; i < len && k < count; i++) {
		if (mark[i])
			(*pids)[k++] = v[i].pid;
	}
	*n = k;
	free(mark);
	free(v);
	return (0);
}

/* Append pid to a growing array. */
static int
proc_push(pid_t **v, size_t *n, size_t *cap, pid_t pid)
{
	pid_t	*nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((nv = reallocarray(*v, *cap, sizeof **v)) == NULL)
			return (-1);
		*v = nv;
	}
	(*v)[(*n)++] = pid;
	return (0);
}

/* Append the children of pid (listed per thread by the kernel in
 * /proc/PID/task/TID/children). Returns -1 when the file is missing
 * (a kernel without CONFIG_PROC_CHILDREN) or memory runs out. */
static int
proc_children(pid_t pid, pid_t **v, size_t *n, size_t *cap)
{
	char		 path[96];
	struct dirent	*de;
	DIR		*d;
	FILE		*f;
	long		 child;
	int		 rc = 0;

	snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (errno == ENOENT ? 0 : -1);	/* gone: no children */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (proc_name_pid(de->d_name) <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/task/%s/children",
		    (long)pid, de->d_name);
		if ((f = fopen(path, "re")) == NULL) {
			/* A thread may just have exited; a live process whose
			 * main thread has no such file means no support. */
			if (errno == ENOENT && proc_name_pid(de->d_name) == pid &&
			    proc_stat_parent(pid) != -1)
				rc = -1;
			continue;
		}
		while (rc == 0 && fscanf(f, "%ld", &child) == 1)
			rc = proc_push(v, n, cap, (pid_t)child);
		fclose(f);
	}
	closedir(d);
	return (rc);
}

/* Every live process below root, found by walking the kernel's children
 * lists: the cost grows with the pod's own processes, not with every
 * process on the machine (a stop of a thousand pods signals them all at
 * once). Falls back to a scan of /proc where those lists do not exist. */
int
proc_descendants(pid_t root, pid_t **pids, size_t *n)
{
	pid_t	*v = NULL;
	size_t	 len = 0, cap = 0, i;

	if (proc_children(root, &v, &len, &cap) == -1) {
		free(v);
		return (proc_descendants_scan(root, pids, n));
	}
	for (i = 0; i < len && i < PROC_DEPTH_MAX * 16; i++) {
		if (proc_children(v[i], &v, &len, &cap) == -1) {
			free(v);
			return (proc_descendants_scan(root, pids, n));
		}
	}
	/* Zombies are listed too; they are not processes here. */
	for (i = 0, *n = 0; i < len; i++) {
		if (proc_stat_parent(v[i]) != -1)
			v[(*n)++] = v[i];
	}
	if (*n == 0) {
		free(v);
		v = NULL;
	}
	*pids = v;
	return (0);
}

/* Is ancestor the parent, grandparent, ... of pid? */
bool
proc_has_ancestor(pid_t pid, pid_t ancestor)
{
	int	 depth;

	if (pid <= 0 || ancestor <= 0 || pid == ancestor)
		return (false);
	for (depth = 0; depth < PROC_DEPTH_MAX; depth++) {
		if ((pid = proc_parent(pid)) <= 0)
			return (false);
		if (pid == ancestor)
			return (true);
		if (pid == 1)
			return (false);
	}
	return (false);
}
