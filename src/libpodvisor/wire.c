/*
 * The wire, as podvisor-protocol(7) has it: a 4-byte big-endian length,
 * then one msgpack map whose "type" is a string.  Frames are built with
 * msgpack-c's packer and decoded with its unpacker, after a prescan that
 * checks every length and count against the bytes there are (so that a
 * hostile count cannot make the unpacker allocate for it).  Decoding is
 * strict: one map, string keys, none twice, no trailing bytes; the field
 * getters check types and bounds and say what was wrong.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvl.h"

/* Append raw bytes to a frame, remembering an allocation failure. */
static void
out_raw(struct pvl_out *o, const void *p, size_t n)
{
	if (!o->nomem && msgpack_sbuffer_write(&o->buf, p, n) != 0)
		o->nomem = true;
}

/* A packer call's result: 0, or an allocation failure. */
static void
out_check(struct pvl_out *o, int rc)
{
	if (rc != 0)
		o->nomem = true;
}

/* A msgpack str (msgpack-c 3.0 has no msgpack_pack_str_with_body). */
static void
out_text(struct pvl_out *o, const char *s, size_t n)
{
	out_check(o, msgpack_pack_str(&o->pk, n));
	out_check(o, msgpack_pack_str_body(&o->pk, s, n));
}

/* A field's key. */
static void
out_key(struct pvl_out *o, const char *key)
{
	out_text(o, key, strlen(key));
	o->nfields++;
}

/* Start a frame of the given type: room for the length and a map32
 * header whose count pvl_out_end() fills in. */
void
pvl_out_begin(struct pvl_out *o, const char *type)
{
	static const uint8_t	 head[9] = { 0, 0, 0, 0, 0xdf, 0, 0, 0, 0 };

	memset(o, 0, sizeof *o);
	msgpack_sbuffer_init(&o->buf);
	msgpack_packer_init(&o->pk, &o->buf, msgpack_sbuffer_write);
	out_raw(o, head, sizeof head);
	pvl_out_str(o, "type", type);
}

/* A str field. */
void
pvl_out_str(struct pvl_out *o, const char *key, const char *s)
{
	out_key(o, key);
	out_text(o, s, strlen(s));
}

/* A bin field. */
void
pvl_out_bin(struct pvl_out *o, const char *key, const void *p, size_t n)
{
	out_key(o, key);
	out_check(o, msgpack_pack_bin(&o->pk, n));
	out_check(o, msgpack_pack_bin_body(&o->pk, p, n));
}

/* A uint field. */
void
pvl_out_uint(struct pvl_out *o, const char *key, uint64_t v)
{
	out_key(o, key);
	out_check(o, msgpack_pack_uint64(&o->pk, v));
}

/* An int field. */
void
pvl_out_int(struct pvl_out *o, const char *key, int64_t v)
{
	out_key(o, key);
	out_check(o, msgpack_pack_int64(&o->pk, v));
}

/* A float64 field. */
void
pvl_out_float(struct pvl_out *o, const char *key, double v)
{
	out_key(o, key);
	out_check(o, msgpack_pack_double(&o->pk, v));
}

/* A bool field. */
void
pvl_out_bool(struct pvl_out *o, const char *key, bool v)
{
	out_key(o, key);
	out_check(o, v ? msgpack_pack_true(&o->pk) :
	    msgpack_pack_false(&o->pk));
}

/* A str[] field of n entries. */
void
pvl_out_strv(struct pvl_out *o, const char *key, const char *const *v,
    size_t n)
{
	size_t	 i;

	out_key(o, key);
	out_check(o, msgpack_pack_array(&o->pk, n));
	for (i = 0; i < n; i++)
		out_text(o, v[i], strlen(v[i]));
}

/* Store a 32-bit big-endian number. */
static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Finish a frame: fill in its length and field count.  -1 with errno
 * ENOMEM or EMSGSIZE (over the frame limit), and a reason. */
int
pvl_out_end(struct pvl_out *o, char *why, size_t whylen)
{
	if (o->nomem) {
		snprintf(why, whylen, "out of memory building a message");
		errno = ENOMEM;
		return (-1);
	}
	if (o->buf.size - 4 > PVL_FRAME_MAX) {
		snprintf(why, whylen, "a message of %zu bytes is over the "
		    "%d-byte frame limit", o->buf.size - 4, PVL_FRAME_MAX);
		errno = EMSGSIZE;
		return (-1);
	}
	put_be32((uint8_t *)o->buf.data, (uint32_t)(o->buf.size - 4));
	put_be32((uint8_t *)o->buf.data + 5, o->nfields);
	return (0);
}

/* Release a frame's buffer. */
void
pvl_out_free(struct pvl_out *o)
{
	msgpack_sbuffer_destroy(&o->buf);
	memset(&o->buf, 0, sizeof o->buf);
}

/* What a msgpack item's first byte says: how many bytes of header follow
 * it and which of them hold a length (lenbytes), and whether that length
 * counts body bytes or sub-items.  -1 for the byte that is never used. */
static int
item_shape(uint8_t b, uint64_t *n, unsigned *lenbytes, unsigned *fixed,
    int *kind)
{
	*n = 0;
	*lenbytes = *fixed = 0;
	*kind = 0;			/* 0 leaf, 1 body, 2 items, 3 pairs */
	if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b != 0xc1))
		return (0);
	if (b >= 0x80 && b <= 0x8f) {
		*n = b & 0x0f;
		*kind = 3;
	} else if (b >= 0x90 && b <= 0x9f) {
		*n = b & 0x0f;
		*kind = 2;
	} else if (b >= 0xa0 && b <= 0xbf) {
		*n = b & 0x1f;
		*kind = 1;
	} else if (b == 0xc4 || b == 0xc5 || b == 0xc6) {
		*lenbytes = 1u << (b - 0xc4);			/* bin */
		*kind = 1;
	} else if (b == 0xc7 || b == 0xc8 || b == 0xc9) {
		*lenbytes = 1u << (b - 0xc7);			/* ext */
		*fixed = 1;
		*kind = 1;
	} else if (b == 0xca || b == 0xcb)
		*fixed = b == 0xca ? 4 : 8;			/* float */
	else if (b >= 0xcc && b <= 0xd3)
		*fixed = 1u << ((b - 0xcc) & 3);		/* ints */
	else if (b >= 0xd4 && b <= 0xd8)
		*fixed = 1 + (1u << (b - 0xd4));		/* fixext */
	else if (b >= 0xd9 && b <= 0xdb) {
		*lenbytes = 1u << (b - 0xd9);			/* str */
		*kind = 1;
	} else if (b == 0xdc || b == 0xdd) {
		*lenbytes = b == 0xdc ? 2 : 4;			/* array */
		*kind = 2;
	} else if (b == 0xde || b == 0xdf) {
		*lenbytes = b == 0xde ? 2 : 4;			/* map */
		*kind = 3;
	} else
		return (-1);
	return (0);
}

/* Walk the payload's items without building them: every length and count
 * must fit in the bytes left, and exactly one object must fill it. */
static int
prescan(const uint8_t *p, size_t len, char *why, size_t whylen)
{
	size_t		 off = 0, i;
	uint64_t	 pending = 1, n;
	unsigned	 lenbytes, fixed;
	int		 kind;

	while (pending > 0) {
		if (off >= len)
			goto truncated;
		if (item_shape(p[off], &n, &lenbytes, &fixed, &kind) == -1) {
			snprintf(why, whylen, "malformed msgpack: byte 0x%02x "
			    "at offset %zu", p[off], off);
			return (-1);
		}
		if (len - off - 1 < lenbytes + fixed)
			goto truncated;
		for (i = 0; i < lenbytes; i++)
			n = n << 8 | p[off + 1 + i];
		off += 1 + lenbytes + fixed;
		pending--;
		if (kind == 1 && n > len - off)
			goto truncated;
		if (kind == 1)
			off += n;
		else if (kind >= 2)
			pending += kind == 3 ? 2 * n : n;
		if (pending > len - off)
			goto truncated;
	}
	if (off != len) {
		snprintf(why, whylen, "trailing bytes after the message");
		return (-1);
	}
	return (0);
truncated:
	snprintf(why, whylen, "malformed msgpack: truncated message");
	return (-1);
}

/* Order two keys by length, then bytes (for the repeated-key check). */
static int
key_cmp(const void *a, const void *b)
{
	const msgpack_object_str *x = *(const msgpack_object_str *const *)a;
	const msgpack_object_str *y = *(const msgpack_object_str *const *)b;

	if (x->size != y->size)
		return (x->size < y->size ? -1 : 1);
	return (memcmp(x->ptr, y->ptr, x->size));
}

/* Every key a string, none given twice: -1 with a reason, or ENOMEM. */
static int
check_keys(struct pvl_frame *f)
{
	const msgpack_object_kv	 *kv = f->map->ptr;
	const msgpack_object_str **keys;
	uint32_t		  i, n = f->map->size;
	int			  rc = 0;

	for (i = 0; i < n; i++) {
		if (kv[i].key.type != MSGPACK_OBJECT_STR) {
			snprintf(f->why, sizeof f->why, "a map key is not a "
			    "string");
			return (-1);
		}
	}
	if (n < 2)
		return (0);
	if ((keys = calloc(n, sizeof *keys)) == NULL) {
		snprintf(f->why, sizeof f->why, "out of memory decoding a "
		    "message");
		return (-1);
	}
	for (i = 0; i < n; i++)
		keys[i] = &kv[i].key.via.str;
	qsort(keys, n, sizeof *keys, key_cmp);
	for (i = 1; i < n && rc == 0; i++) {
		if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
			snprintf(f->why, sizeof f->why, "key '%.*s' given "
			    "twice", (int)(keys[i]->size > 64 ? 64 :
			    keys[i]->size), keys[i]->ptr);
			rc = -1;
		}
	}
	free(keys);
	return (rc);
}

/* The value of a key, or NULL. */
static const msgpack_object *
field(const struct pvl_frame *f, const char *key)
{
	size_t		 n = strlen(key);
	uint32_t	 i;

	for (i = 0; i < f->map->size; i++) {
		const msgpack_object_str *k = &f->map->ptr[i].key.via.str;

		if (k->size == n && memcmp(k->ptr, key, n) == 0)
			return (&f->map->ptr[i].val);
	}
	return (NULL);
}

/* Decode one payload into a frame; -1 with the reason in f->why (the
 * frame then needs no pvl_frame_free()).  The frame points into p. */
int
pvl_decode(const uint8_t *p, size_t len, struct pvl_frame *f)
{
	msgpack_unpack_return	 ret;
	struct pvl_bytes	 type;
	size_t			 off = 0;

	memset(f, 0, sizeof *f);
	if (prescan(p, len, f->why, sizeof f->why) == -1)
		return (-1);
	msgpack_unpacked_init(&f->up);
	ret = msgpack_unpack_next(&f->up, (const char *)p, len, &off);
	if (ret != MSGPACK_UNPACK_SUCCESS || off != len) {
		snprintf(f->why, sizeof f->why, "%s",
		    ret == MSGPACK_UNPACK_NOMEM_ERROR ? "malformed msgpack: "
		    "nested too deeply" : "malformed msgpack");
		goto bad;
	}
	if (f->up.data.type != MSGPACK_OBJECT_MAP) {
		snprintf(f->why, sizeof f->why, "the message is not a msgpack "
		    "map");
		goto bad;
	}
	f->map = &f->up.data.via.map;
	if (check_keys(f) == -1)
		goto bad;
	if (pvl_get_str(f, "type", false, &type) == -1) {
		snprintf(f->why, sizeof f->why, "message 'type' must be a "
		    "string");
		goto bad;
	}
	if (type.ptr == NULL) {
		snprintf(f->why, sizeof f->why, "message has no 'type' field");
		goto bad;
	}
	f->type = type.ptr;
	f->typelen = type.len;
	return (0);
bad:
	msgpack_unpacked_destroy(&f->up);
	return (-1);
}

/* Release what decoding allocated. */
void
pvl_frame_free(struct pvl_frame *f)
{
	msgpack_unpacked_destroy(&f->up);
}

/* Is the frame of this type? */
bool
pvl_is(const struct pvl_frame *f, const char *type)
{
	return (strlen(type) == f->typelen &&
	    memcmp(f->type, type, f->typelen) == 0);
}

/* Say what is wrong with a field; -1. */
static int
bad(struct pvl_frame *f, const char *key, const char *what)
{
	snprintf(f->why, sizeof f->why, "'%.*s' message: field '%s' %s",
	    (int)(f->typelen > 64 ? 64 : f->typelen), f->type, key, what);
	return (-1);
}

/* A field that is there and not nil, or NULL; -1 in *rc if it must be. */
static const msgpack_object *
present(struct pvl_frame *f, const char *key, bool required, int *rc)
{
	const msgpack_object	*v = field(f, key);

	*rc = 0;
	if (v != NULL && v->type == MSGPACK_OBJECT_NIL)
		v = NULL;
	if (v == NULL && required)
		*rc = bad(f, key, "is missing");
	return (v);
}

/* A uint field; 0 when absent. */
int
pvl_get_uint(struct pvl_frame *f, const char *key, bool required,
    uint64_t *out)
{
	const msgpack_object	*v;
	int			 rc;

	*out = 0;
	if ((v = present(f, key, required, &rc)) == NULL)
		return (rc);
	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (bad(f, key, "must be a non-negative integer"));
	*out = v->via.u64;
	return (0);
}

/* An int field; PVL_NONE when absent or nil (and -1 reads as none). */
int
pvl_get_int(struct pvl_frame *f, const char *key, bool required,
    int64_t *out)
{
	const msgpack_object	*v;
	int			 rc;

	*out = PVL_NONE;
	if ((v = present(f, key, required, &rc)) == NULL)
		return (rc);
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*out = v->via.i64;
	else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    v->via.u64 <= INT64_MAX)
		*out = (int64_t)v->via.u64;
	else
		return (bad(f, key, "must be a 64-bit integer"));
	return (0);
}

/* A str field: at most PVL_STR_MAX bytes, no NUL. */
int
pvl_get_str(struct pvl_frame *f, const char *key, bool required,
    struct pvl_bytes *out)
{
	const msgpack_object	*v;
	int			 rc;

	out->ptr = NULL;
	out->len = 0;
	if ((v = present(f, key, required, &rc)) == NULL)
		return (rc);
	if (v->type != MSGPACK_OBJECT_STR)
		return (bad(f, key, "must be a string"));
	if (v->via.str.size > PVL_STR_MAX)
		return (bad(f, key, "is over 4096 bytes"));
	if (memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL)
		return (bad(f, key, "holds a NUL byte"));
	out->ptr = v->via.str.size > 0 ? v->via.str.ptr : "";
	out->len = v->via.str.size;
	return (0);
}

/* A bin field (msgpack bin or str), the exact bytes. */
int
pvl_get_bin(struct pvl_frame *f, const char *key, bool required,
    struct pvl_bytes *out)
{
	const msgpack_object	*v;
	int			 rc;

	out->ptr = NULL;
	out->len = 0;
	if ((v = present(f, key, required, &rc)) == NULL)
		return (rc);
	if (v->type == MSGPACK_OBJECT_BIN) {
		out->ptr = v->via.bin.size > 0 ? v->via.bin.ptr : "";
		out->len = v->via.bin.size;
	} else if (v->type == MSGPACK_OBJECT_STR) {
		out->ptr = v->via.str.size > 0 ? v->via.str.ptr : "";
		out->len = v->via.str.size;
	} else
		return (bad(f, key, "must be bytes or a string"));
	return (0);
}

/* A uint[] field, every entry checked; *out NULL when absent. */
int
pvl_get_uintv(struct pvl_frame *f, const char *key,
    const msgpack_object_array **out)
{
	const msgpack_object	*v;
	uint32_t		 i;
	int			 rc;

	*out = NULL;
	if ((v = present(f, key, false, &rc)) == NULL)
		return (rc);
	if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size >
	    PVL_UINTV_MAX)
		goto bad;
	for (i = 0; i < v->via.array.size; i++)
		if (v->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			goto bad;
	*out = &v->via.array;
	return (0);
bad:
	return (bad(f, key, "must be an array of non-negative integers"));
}

/* A NUL-terminated copy of a field's bytes; NULL (ENOMEM) on failure. */
char *
pvl_strndup(const struct pvl_bytes *b)
{
	char	*s;

	if ((s = malloc(b->len + 1)) == NULL)
		return (NULL);
	memcpy(s, b->ptr, b->len);
	s[b->len] = '\0';
	return (s);
}

/* Wire nanoseconds as a timespec; none (negative) as {0, 0}. */
void
pvl_ns_to_ts(int64_t ns, struct timespec *ts)
{
	if (ns < 0) {
		ts->tv_sec = 0;
		ts->tv_nsec = 0;
		return;
	}
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}
