/*
 * Allocation that cannot fail: running out of memory is fatal, so callers
 * need not check.  Plus the few NULL-terminated string-array helpers.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* malloc, fatal on failure; a zero size still returns a unique pointer. */
void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return (p);
}

/* calloc, fatal on failure or overflow. */
void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatalx("out of memory allocating %zu * %zu bytes", n, size);
	return (p);
}

/* realloc, fatal on failure. */
void *
xrealloc(void *p, size_t size)
{
	void	*q;

	if ((q = realloc(p, size == 0 ? 1 : size)) == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return (q);
}

/* realloc of n * size bytes, fatal on overflow or failure. */
void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		fatalx("allocation of %zu * %zu bytes overflows", n, size);
	return (xrealloc(p, n * size));
}

/* strdup, fatal on failure. */
char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatalx("out of memory copying a string");
	return (p);
}

/* Deep copy of a NULL-terminated string array; NULL stays NULL. */
char **
xstrvdup(char **v)
{
	char	**copy;
	size_t	  i, n;

	if (v == NULL)
		return (NULL);
	n = strv_len(v);
	copy = xreallocarray(NULL, n + 1, sizeof *copy);
	for (i = 0; i < n; i++)
		copy[i] = xstrdup(v[i]);
	copy[n] = NULL;
	return (copy);
}

/* Free a NULL-terminated string array and its strings; NULL is fine. */
void
strv_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Entries of a NULL-terminated string array; 0 for NULL. */
size_t
strv_len(char **v)
{
	size_t	n = 0;

	if (v != NULL)
		while (v[n] != NULL)
			n++;
	return (n);
}

/* asprintf, fatal on failure; returns the length. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatalx("out of memory formatting a string");
	return (n);
}
