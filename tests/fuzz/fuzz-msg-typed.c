/*
 * fuzz-msg-typed: every message type's decoder, deeply.  fuzz-msg must
 * guess a type name before any field decoder runs; here the first byte
 * picks the type and the rest is a list of fields, from which this builds
 * a well-formed map, so that each type's schema is exercised field by
 * field: wrong kinds, missing required fields, duplicates, nil, limits.
 *
 * Input, after the type byte, is a list of entries, each a key then a
 * value, until the input runs out (a short read yields zeros):
 *   key     byte k: fuzz_field_names[k % (N + 1)], or when that is N, a
 *           raw key of (next byte % 16) input bytes
 *   value   byte v: kind v % 11, then its content:
 *           0 nil, 1 true, 2 false, 3 uint64 (8 bytes), 4 int64 (8 bytes),
 *           5 str, 6 bin: length byte L, then L % 64 bytes; L 254 and 255
 *             make a string of exactly and just over WIRE_STR_MAX
 *           7 array: count byte C, then C % 8 values; C 254 and 255 make
 *             arrays of exactly and just over WIRE_ARGV_MAX strings (not
 *             WIRE_U64V_MAX: the same check, several times slower)
 *           8 map: count byte C, then C % 4 raw-key/value pairs
 *           9 float64 (8 bytes), 10 fixext 1 (2 bytes)
 * Values nest at most three deep; the map holds at most 64 entries.
 * Malformed msgpack is fuzz-msg's business, not this target's.
 */

#include <string.h>

#include <msgpack.h>

#include "fuzz.h"

#define MAX_ENTRIES	64
#define MAX_DEPTH	3

struct input {
	const uint8_t	*p;
	size_t		 left;
};

static void	pack_value(struct input *, msgpack_packer *, int);

/* The next input byte, or 0 when there are none left. */
static uint8_t
next(struct input *in)
{
	if (in->left == 0)
		return (0);
	in->left--;
	return (*in->p++);
}

/* The next 8 input bytes, as a big-endian number. */
static uint64_t
next_u64(struct input *in)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | next(in);
	return (v);
}

/* A string or bin: a short one from the input, or one at a limit. */
static void
pack_bytes(struct input *in, msgpack_packer *pk, int bin)
{
	static char	 long_str[WIRE_STR_MAX + 1];
	const char	*p;
	size_t		 len;
	uint8_t		 l = next(in);

	if (l >= 254) {
		memset(long_str, 'x', sizeof long_str);
		p = long_str;
		len = l == 254 ? WIRE_STR_MAX : WIRE_STR_MAX + 1;
	} else {
		p = (const char *)in->p;
		len = l % 64 < in->left ? l % 64 : in->left;
		in->p += len;
		in->left -= len;
	}
	if (bin) {
		msgpack_pack_bin(pk, len);
		msgpack_pack_bin_body(pk, p, len);
	} else {
		msgpack_pack_str(pk, len);
		msgpack_pack_str_body(pk, p, len);
	}
}

/* An array: a few values from the input, or one at a size limit. */
static void
pack_array(struct input *in, msgpack_packer *pk, int depth)
{
	uint8_t	c = next(in);
	size_t	i, n;

	if (c >= 254) {
		n = c == 254 ? WIRE_ARGV_MAX : WIRE_ARGV_MAX + 1;
		msgpack_pack_array(pk, n);
		for (i = 0; i < n; i++)
			msgpack_pack_str_with_body(pk, "a", 1);
		return;
	}
	msgpack_pack_array(pk, c % 8);
	for (i = 0; i < c % 8u; i++)
		pack_value(in, pk, depth + 1);
}

/* A nested map: a few raw keys and values. */
static void
pack_map(struct input *in, msgpack_packer *pk, int depth)
{
	uint8_t	c = next(in);
	size_t	i;

	msgpack_pack_map(pk, c % 4);
	for (i = 0; i < c % 4u; i++) {
		pack_bytes(in, pk, 0);
		pack_value(in, pk, depth + 1);
	}
}

/* One value of the kind the next byte names. */
static void
pack_value(struct input *in, msgpack_packer *pk, int depth)
{
	uint64_t	v;
	double		d;
	uint8_t		kind = next(in) % 11;
	char		ext;

	if (depth >= MAX_DEPTH && (kind == 7 || kind == 8))
		kind = 0;
	switch (kind) {
	case 0:
		msgpack_pack_nil(pk);
		break;
	case 1:
		msgpack_pack_true(pk);
		break;
	case 2:
		msgpack_pack_false(pk);
		break;
	case 3:
		msgpack_pack_uint64(pk, next_u64(in));
		break;
	case 4:
		msgpack_pack_int64(pk, (int64_t)next_u64(in));
		break;
	case 5:
	case 6:
		pack_bytes(in, pk, kind == 6);
		break;
	case 7:
		pack_array(in, pk, depth);
		break;
	case 8:
		pack_map(in, pk, depth);
		break;
	case 9:
		v = next_u64(in);
		memcpy(&d, &v, sizeof d);
		msgpack_pack_double(pk, d);
		break;
	default:
		ext = (char)next(in);
		msgpack_pack_ext(pk, 1, (int8_t)next(in));
		msgpack_pack_ext_body(pk, &ext, 1);
		break;
	}
}

/* One map key: a field name, or raw bytes. */
static void
pack_key(struct input *in, msgpack_packer *pk)
{
	size_t	k = next(in) % (fuzz_nfield_names + 1);
	size_t	len;

	if (k < fuzz_nfield_names) {
		len = strlen(fuzz_field_names[k]);
		msgpack_pack_str_with_body(pk, fuzz_field_names[k], len);
		return;
	}
	len = next(in) % 16;
	len = len < in->left ? len : in->left;
	msgpack_pack_str_with_body(pk, in->p, len);
	in->p += len;
	in->left -= len;
}

/* Build {"type": name, entries...} and decode it as a payload. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input		 in;
	msgpack_sbuffer		 body, map;
	msgpack_packer		 pk;
	struct msg		 msg;
	enum msg_type		 type;
	const char		*name;
	size_t			 n;
	char			 cause[256];

	if (size < 1)
		return (0);
	type = data[0] % MSG__COUNT;
	in.p = data + 1;
	in.left = size - 1;
	msgpack_sbuffer_init(&body);
	msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
	for (n = 0; in.left > 0 && n < MAX_ENTRIES; n++) {
		pack_key(&in, &pk);
		pack_value(&in, &pk, 0);
	}
	msgpack_sbuffer_init(&map);
	msgpack_packer_init(&pk, &map, msgpack_sbuffer_write);
	name = msg_type_name(type);
	msgpack_pack_map(&pk, n + 1);
	msgpack_pack_str_with_body(&pk, "type", 4);
	msgpack_pack_str_with_body(&pk, name, strlen(name));
	if (body.size > 0)
		msgpack_sbuffer_write(&map, body.data, body.size);

	cause[0] = '\0';
	if (msg_decode(map.data, map.size, &msg, cause, sizeof cause) == 0) {
		FUZZ_CHECK(msg.type == type);
		fuzz_roundtrip(&msg);
		msg_free(&msg);
	} else
		FUZZ_CHECK(fuzz_cause_ok(cause));
	msgpack_sbuffer_destroy(&body);
	msgpack_sbuffer_destroy(&map);
	return (0);
}
