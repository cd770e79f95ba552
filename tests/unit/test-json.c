/*
 * Unit tests of the streaming JSON writer (src/wire/jsonw.c) and the pod
 * and entry objects written with it (src/wire/json.c): every document is
 * parsed back with jansson, which is the oracle for what is valid JSON.
 */

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "json.h"

static int	failures;

#define CHECK(ok, what) check((ok), (what), __LINE__)

static void
check(bool ok, const char *what, int line)
{
	if (ok)
		return;
	fprintf(stderr, "test-json:%d: FAIL: %s\n", line, what);
	failures++;
}

/* Write with fn into memory and parse the text; NULL if it is not JSON. */
static json_t *
parse_written(void (*fn)(struct jw *, const void *), const void *arg)
{
	struct jw		 w;
	struct jw_memory	 m;
	json_error_t		 err;
	json_t			*v;

	jw_memory(&w, &m);
	fn(&w, arg);
	if (jw_flush(&w) == -1 || m.text == NULL) {
		free(m.text);
		return (NULL);
	}
	v = json_loadb(m.text, m.len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    &err);
	if (v == NULL)
		fprintf(stderr, "test-json: not JSON (%s): %.200s\n", err.text,
		    m.text);
	free(m.text);
	return (v);
}

struct bytes {
	const char	*p;
	size_t		 len;
};

static void
write_utf8(struct jw *w, const void *arg)
{
	const struct bytes	*b = arg;

	jw_utf8(w, b->p, b->len);
}

/* Every byte that must be escaped, at every offset of an 8-byte word,
 * and strings longer than the writer's buffer, come back as written. */
static void
test_strings(void)
{
	char		 s[40000];
	struct bytes	 b;
	json_t		*v;
	size_t		 i, at;
	int		 c;

	for (c = 0; c < 0x80; c++) {
		for (at = 0; at < 9; at++) {
			memset(s, 'a', 17);
			s[at] = (char)c;
			b.p = s;
			b.len = 17;
			v = parse_written(write_utf8, &b);
			CHECK(v != NULL && json_is_string(v) &&
			    json_string_length(v) == 17 &&
			    memcmp(json_string_value(v), s, 17) == 0,
			    "a byte below 0x80 round-trips");
			json_decref(v);
		}
	}
	for (i = 0; i < sizeof s; i++)
		s[i] = "x\"y\\\n\tz\x01\xc3\xa9"[i % 10];
	b.p = s;
	b.len = sizeof s - 10;		/* whole characters */
	v = parse_written(write_utf8, &b);
	CHECK(v != NULL && json_string_length(v) == b.len &&
	    memcmp(json_string_value(v), s, b.len) == 0,
	    "a 40 KB string with escapes round-trips");
	json_decref(v);
}

static void
write_lossy(struct jw *w, const void *arg)
{
	jw_string(w, arg);
}

static void
test_lossy(void)
{
	json_t	*v;

	v = parse_written(write_lossy, "ok\xff\xfe" "end");
	CHECK(v != NULL && json_is_string(v) &&
	    strncmp(json_string_value(v), "ok", 2) == 0 &&
	    strstr(json_string_value(v), "end") != NULL,
	    "bytes that are not UTF-8 are replaced, the rest kept");
	json_decref(v);
	v = parse_written(write_lossy, NULL);
	CHECK(v != NULL && json_is_null(v), "a NULL string is null");
	json_decref(v);
}

static void
write_numbers(struct jw *w, const void *arg)
{
	jw_array(w);
	jw_int(w, INT64_MIN);
	jw_int(w, INT64_MAX);
	jw_int(w, 0);
	jw_real(w, 0.1);
	jw_real(w, 1.0);
	jw_real(w, 1e-300);
	jw_real(w, NAN);
	jw_bool(w, true);
	jw_bool(w, false);
	jw_null(w);
	jw_array_end(w);
}

static void
test_numbers(void)
{
	json_t	*v;

	v = parse_written(write_numbers, NULL);
	CHECK(v != NULL && json_array_size(v) == 10, "an array of 10 values");
	if (v == NULL || json_array_size(v) != 10)
		return;
	CHECK(json_integer_value(json_array_get(v, 0)) == INT64_MIN, "min");
	CHECK(json_integer_value(json_array_get(v, 1)) == INT64_MAX, "max");
	CHECK(json_real_value(json_array_get(v, 3)) == 0.1, "0.1 exactly");
	CHECK(json_is_real(json_array_get(v, 4)) &&
	    json_real_value(json_array_get(v, 4)) == 1.0,
	    "1.0 stays a real");
	CHECK(json_real_value(json_array_get(v, 5)) == 1e-300, "1e-300");
	CHECK(json_is_null(json_array_get(v, 6)), "NaN is null");
	CHECK(json_is_true(json_array_get(v, 7)) &&
	    json_is_false(json_array_get(v, 8)) &&
	    json_is_null(json_array_get(v, 9)), "true, false, null");
	json_decref(v);
}

/* A pod record with a value in every field that has a special case. */
static void
fill_pod(struct msg_pod *p, uint64_t id, int64_t parent)
{
	static char	*argv[] = { "sh", "-c", "echo \"hi\"\n", NULL };
	static char	*cause[] = { "stop of pod 1", "user root", NULL };
	static uint64_t	 kids[] = { 7, 8 };
	struct msg	 m;

	msg_init(&m, MSG_POD);		/* every unset field as the wire has it */
	*p = m.u.pod;
	p->id = id;
	p->parent = parent;
	p->name = "n\x01me";
	p->state = "running";
	p->argv = argv;
	p->cwd = "/tmp";
	p->signal = SIGKILL;
	p->exit_code = WIRE_NONE;
	p->owner = 0;
	p->progress = id == 1 ? 0.25 : NAN;
	p->cause = cause;
	p->http_url = id == 1 ? "https://example.com/v1" : NULL;
	p->http_method = "POST";
	p->http_status = 200;
	p->children.v = kids;
	p->children.n = 2;
	p->result.ptr = (const uint8_t *)"{\"answer\": [42]}";
	p->result.len = strlen((const char *)p->result.ptr);
}

static void
write_pod(struct jw *w, const void *arg)
{
	pod_write(w, arg);
}

static void
test_pod(void)
{
	struct msg_pod	 p;
	json_t		*v, *h;

	fill_pod(&p, 1, WIRE_NONE);
	v = parse_written(write_pod, &p);
	CHECK(v != NULL && json_is_object(v), "a pod is an object");
	if (v == NULL)
		return;
	CHECK(json_integer_value(json_object_get(v, "id")) == 1, "id");
	CHECK(json_is_null(json_object_get(v, "parent")), "no parent: null");
	CHECK(json_is_null(json_object_get(v, "pid")), "no pid: null");
	CHECK(json_is_null(json_object_get(v, "exit_code")), "exit_code null");
	CHECK(strcmp(json_string_value(json_object_get(v, "name")),
	    "n\x01me") == 0, "a control character in a name");
	CHECK(strcmp(json_string_value(json_object_get(v, "signal")),
	    "SIGKILL") == 0, "signal by name");
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(v,
	    "argv"), 2)), "echo \"hi\"\n") == 0, "argv escaped");
	CHECK(json_real_value(json_object_get(v, "progress")) == 0.25,
	    "progress");
	CHECK(json_array_size(json_object_get(v, "cause")) == 2, "cause");
	CHECK(json_integer_value(json_array_get(json_object_get(v, "children"),
	    1)) == 8, "children as ids");
	CHECK(json_integer_value(json_array_get(json_object_get(json_object_get(
	    v, "result"), "answer"), 0)) == 42, "the result is JSON in place");
	h = json_object_get(v, "http");
	CHECK(h != NULL && json_integer_value(json_object_get(h, "status")) ==
	    200 && strcmp(json_string_value(json_object_get(h, "on_cancel")),
	    "finish") == 0, "http object");
	CHECK(json_object_get(v, "owner") != NULL && json_object_get(v,
	    "limits") != NULL && json_object_get(v, "next_stage_at") != NULL,
	    "owner, limits, next_stage_at present");
	json_decref(v);
	fill_pod(&p, 2, 1);
	p.result.ptr = (const uint8_t *)"not json";
	p.result.len = 8;
	v = pod_json(&p);
	CHECK(v != NULL && json_is_null(json_object_get(v, "progress")) &&
	    json_is_null(json_object_get(v, "http")) &&
	    strcmp(json_string_value(json_object_get(v, "result")),
	    "not json") == 0, "NaN progress, no http, a result not JSON");
	json_decref(v);
}

/* Records in the order of a status reply: 1 { 2 { 3 } 4 } 5, and 6 whose
 * parent is not among them (a root). */
static void
write_forest(struct jw *w, const void *arg)
{
	static const int64_t	 order[][2] = { { 1, -1 }, { 2, 1 }, { 3, 2 },
	    { 4, 1 }, { 5, -1 }, { 6, 99 } };
	struct podstream	 s;
	struct msg_pod		 p;
	size_t			 i;

	podstream_init(&s, w, *(const bool *)arg);
	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		fill_pod(&p, (uint64_t)order[i][0], order[i][1] < 0 ?
		    WIRE_NONE : order[i][1]);
		podstream_add(&s, &p);
	}
	podstream_end(&s);
}

static int64_t
id_at(json_t *a, size_t i)
{
	return (json_integer_value(json_object_get(json_array_get(a, i),
	    "id")));
}

static void
test_stream(void)
{
	json_t	*v, *k1, *k2;
	bool	 array = true;

	v = parse_written(write_forest, &array);
	CHECK(v != NULL && json_array_size(v) == 3, "three roots");
	if (v == NULL || json_array_size(v) != 3) {
		json_decref(v);
		return;
	}
	CHECK(id_at(v, 0) == 1 && id_at(v, 1) == 5 && id_at(v, 2) == 6,
	    "roots 1, 5, 6");
	k1 = json_object_get(json_array_get(v, 0), "children");
	CHECK(json_array_size(k1) == 2 && id_at(k1, 0) == 2 &&
	    id_at(k1, 1) == 4, "1's children are 2 and 4, nested");
	k2 = json_object_get(json_array_get(k1, 0), "children");
	CHECK(json_array_size(k2) == 1 && id_at(k2, 0) == 3, "2 holds 3");
	json_decref(v);
	array = false;
	v = parse_written(write_forest, &array);
	CHECK(v != NULL && json_is_object(v) && json_integer_value(
	    json_object_get(v, "id")) == 1, "one subtree: the first root");
	json_decref(v);
}

static void
test_entry(void)
{
	struct msg_entry	 e;
	json_t			*v;

	memset(&e, 0, sizeof e);
	e.seq = 9;
	e.ts = 0;
	e.kind = "stdout";
	e.data.ptr = (const uint8_t *)"a\0b\n";
	e.data.len = 4;
	v = entry_json(&e);
	CHECK(v != NULL && json_string_length(json_object_get(v, "data")) ==
	    4 && json_object_get(v, "encoding") == NULL,
	    "UTF-8 data with a NUL stays a string");
	json_decref(v);
	e.data.ptr = (const uint8_t *)"\xff\x00\x01";
	e.data.len = 3;
	v = entry_json(&e);
	CHECK(v != NULL && strcmp(json_string_value(json_object_get(v, "data")),
	    "/wAB") == 0 && strcmp(json_string_value(json_object_get(v,
	    "encoding")), "base64") == 0, "other bytes are base64");
	json_decref(v);
}

static void
write_time(struct jw *w, const void *arg)
{
	jw_time(w, *(const int64_t *)arg);
}

/* Times written from the kept second agree with format_ts. */
static void
test_times(void)
{
	static const int64_t	 ns[] = { 1764650000123456789LL,
	    1764650000999999000LL, 1764650000000001000LL, 1764650001000000000LL,
	    1764650000500000000LL, 0, 86399999999999LL };
	char			 want[64];
	json_t			*v;
	size_t			 i;

	for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		format_ts(ns[i], want, sizeof want);
		v = parse_written(write_time, &ns[i]);
		CHECK(v != NULL && strcmp(json_string_value(v), want) == 0,
		    "a time as format_ts writes it");
		json_decref(v);
	}
	v = parse_written(write_time, &(int64_t){ -1 });
	CHECK(v != NULL && json_is_null(v), "an unset time is null");
	json_decref(v);
}

static int
failing_sink(void *arg, const void *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
	return (-1);
}

static void
test_sink_failure(void)
{
	struct jw	 w;

	jw_init(&w, failing_sink, NULL);
	jw_string(&w, "x");
	CHECK(jw_flush(&w) == -1, "a sink's failure is reported");
	jw_string(&w, "y");
	CHECK(jw_flush(&w) == -1, "and stays reported");
}

int
main(void)
{
	test_strings();
	test_lossy();
	test_numbers();
	test_pod();
	test_stream();
	test_entry();
	test_times();
	test_sink_failure();
	if (failures > 0) {
		fprintf(stderr, "test-json: %d failed\n", failures);
		return (1);
	}
	printf("test-json: all passed\n");
	return (0);
}
