/*
 * The wire's records as JSON (json.c), and the byte helpers it needs
 * (base64.c): shared by podctl and podvisord's HTTP API.
 */
#ifndef PODVISOR_JSON_H
#define PODVISOR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "msg.h"

/* A deep copy of received pod records, linked into a tree. */
#define POD_NONE	SIZE_MAX
struct podtree {
	struct msg_pod	*pods;
	size_t		 n;
	size_t		 size;
	size_t		*up;		/* parent's index, or POD_NONE */
	size_t		*first;		/* first child's index */
	size_t		*last;		/* last child's index */
	size_t		*next;		/* next sibling's index */
};

/* json.c */
json_t		*json_text(const char *);
json_t		*json_time(int64_t);
json_t		*json_signal(int64_t);
json_t		*json_ms(int64_t);
json_t		*json_strv(char **);
void		 json_add(json_t *, const char *, json_t *);
json_t		*pod_json(const struct msg_pod *);
json_t		*entry_json(const struct msg_entry *);
char		*json_dumps_free(json_t *);
void		 pod_copy(struct msg_pod *, const struct msg_pod *);
void		 pod_clear(struct msg_pod *);
void		 podtree_add(struct podtree *, const struct msg_pod *);
void		 podtree_link(struct podtree *);
json_t		*podtree_json(const struct podtree *, size_t);
void		 podtree_free(struct podtree *);

/* base64.c */
char		*base64_encode(const void *, size_t);
bool		 utf8_valid(const void *, size_t);
char		*text_escape(const void *, size_t);
char		*utf8_lossy(const void *, size_t);

#endif
