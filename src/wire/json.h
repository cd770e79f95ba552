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

/*
 * A streaming writer (jsonw.c): output collects in buf and goes to the
 * sink as it fills.  A sink returns 0, or -1 when the bytes could not be
 * written (then every later write is dropped and jw_flush says -1).
 */
typedef int	 (*jw_sink)(void *, const void *, size_t);
struct jw {
	char	 buf[16384];
	size_t	 len;
	jw_sink	 sink;
	void	*arg;
	bool	 comma;		/* the next key or value needs one */
	bool	 failed;
};
struct jw_memory {
	char	*text;
	size_t	 len;
	size_t	 size;
};

/* A forest of pod records streamed as they arrive, parents first and
 * depth first (the order of podvisord's status replies). */
struct podstream {
	struct jw	*w;
	bool		 array;		/* the roots in an array */
	size_t		 roots;
	uint64_t	*open;		/* the ids of the objects still open */
	size_t		 depth;
	size_t		 size;
};

/* jsonw.c */
void		 jw_init(struct jw *, jw_sink, void *);
int		 jw_flush(struct jw *);
void		 jw_memory(struct jw *, struct jw_memory *);
json_t		*jw_memory_json(struct jw *, struct jw_memory *);
void		 jw_text(struct jw *, const char *);
void		 jw_object(struct jw *);
void		 jw_object_end(struct jw *);
void		 jw_array(struct jw *);
void		 jw_array_end(struct jw *);
void		 jw_key(struct jw *, const char *);
void		 jw_key_len(struct jw *, const char *, size_t);
/* A key that is a string literal, its length known at compile time. */
#define JW_KEY(w, lit)	jw_key_len((w), "" lit, sizeof(lit) - 1)
void		 jw_null(struct jw *);
void		 jw_bool(struct jw *, bool);
void		 jw_int(struct jw *, int64_t);
void		 jw_real(struct jw *, double);
void		 jw_raw(struct jw *, const char *, size_t);
void		 jw_string(struct jw *, const char *);
void		 jw_utf8(struct jw *, const void *, size_t);
bool		 utf8_valid_fast(const void *, size_t);

/* json.c */
void		 jw_time(struct jw *, int64_t);
void		 pod_write(struct jw *, const struct msg_pod *);
json_t		*pod_json(const struct msg_pod *);
void		 entry_write(struct jw *, const struct msg_entry *);
json_t		*entry_json(const struct msg_entry *);
char		*json_dumps_free(json_t *);
void		 podstream_init(struct podstream *, struct jw *, bool);
void		 podstream_add(struct podstream *, const struct msg_pod *);
void		 podstream_end(struct podstream *);
void		 pod_copy(struct msg_pod *, const struct msg_pod *);
void		 pod_clear(struct msg_pod *);
void		 podtree_add(struct podtree *, const struct msg_pod *);
void		 podtree_link(struct podtree *);
void		 podtree_write(struct jw *, const struct podtree *, size_t);
void		 podtree_free(struct podtree *);

/* base64.c */
char		*base64_encode(const void *, size_t);
bool		 utf8_valid(const void *, size_t);
char		*text_escape(const void *, size_t);
char		*utf8_lossy(const void *, size_t);

#endif
