/*
 * gen-seeds: write the fuzz targets' seed corpora, one file per input,
 * from one realistic message of each type (what podctl, podvisord and the
 * pod runtime send).  Run by `make fuzz-seeds` into the source tree; the
 * files are committed, so that make fuzz needs no generator.
 *
 * usage: gen-seeds corpus-dir
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "fuzz.h"

static char	*argv_sh[] = { "/bin/sh", "-c", "sleep 60", NULL };
static char	*env_some[] = { "PATH=/usr/bin:/bin", "HOME=/home/agent",
	NULL };
static char	*pods_two[] = { "agent", "42", NULL };
static uint64_t	 children[] = { 7, 8 };
static uint8_t	 notify_data[] = "{\"step\":3}";

static void	fill_api(struct msg *);

/* The fields of a request podctl sends. */
static void
fill_request(struct msg *m)
{
	switch (m->type) {
	case MSG_SPAWN:
		m->u.spawn.argv = argv_sh;
		m->u.spawn.cwd = "/home/agent";
		m->u.spawn.env = env_some;
		m->u.spawn.name = "agent";
		m->u.spawn.parent = "1";
		m->u.spawn.spec.cancel_grace_ms = 5000;
		m->u.spawn.spec.stop_signal = 2;
		m->u.spawn.spec.limits[LIMIT_NOFILE] = 1024;
		break;
	case MSG_STOP:
		m->u.stop.pods = pods_two;
		m->u.stop.reason = "user";
		m->u.stop.term_grace_ms = 2000;
		m->u.stop.wait = true;
		break;
	case MSG_KILL:
		m->u.kill.pod = "agent";
		m->u.kill.signal = 9;
		break;
	case MSG_STATUS:
		m->u.status.pod = "agent";
		m->u.status.all = true;
		m->u.status.json = true;
		break;
	case MSG_LOGS:
		m->u.logs.pod = "42";
		m->u.logs.from = 3;
		m->u.logs.tail = 10;
		m->u.logs.follow = true;
		break;
	case MSG_WAIT:
		m->u.wait.pods = pods_two;
		m->u.wait.tree = true;
		break;
	case MSG_SEND:
		m->u.send.pod = "agent";
		m->u.send.data.ptr = notify_data;
		m->u.send.data.len = sizeof notify_data - 1;
		break;
	case MSG_INSPECT:
		m->u.inspect.pod = "agent";
		break;
	case MSG_RM:
		m->u.rm.pods = pods_two;
		break;
	default:
		break;
	}
}

/* The fields of a reply or record podvisord sends podctl. */
static void
fill_reply(struct msg *m)
{
	switch (m->type) {
	case MSG_HELLO:
		m->u.hello.version = PROTOCOL_VERSION;
		break;
	case MSG_ERROR:
		m->u.error.code = ERR_NOTFOUND;
		m->u.error.message = "no pod 'agent'";
		break;
	case MSG_OK:
		m->u.ok.id = 42;
		m->u.ok.seq = 7;
		break;
	case MSG_END:
		m->u.end.missing = pods_two;
		break;
	case MSG_POD:
		m->u.pod.id = 42;
		m->u.pod.name = "agent";
		m->u.pod.parent = 1;
		m->u.pod.state = "running";
		m->u.pod.pid = 1234;
		m->u.pod.argv = argv_sh;
		m->u.pod.cwd = "/";
		m->u.pod.created_at = 1700000000000000000LL;
		m->u.pod.children.v = children;
		m->u.pod.children.n = 2;
		m->u.pod.log_max = 1 << 20;
		break;
	case MSG_ENTRY:
		m->u.entry.seq = 3;
		m->u.entry.ts = 1700000000000000000LL;
		m->u.entry.kind = "stdout";
		m->u.entry.data.ptr = (const uint8_t *)"hello\n";
		m->u.entry.data.len = 6;
		break;
	case MSG_JSON:
		m->u.json.text.ptr = (const uint8_t *)"[{\"id\":1}]\n";
		m->u.json.text.len = 11;
		break;
	default:
		break;
	}
}

/* The fields of what podvisord and a pod runtime tell each other. */
static void
fill_pod_channel(struct msg *m)
{
	switch (m->type) {
	case MSG_START:
		m->u.start.id = 42;
		m->u.start.argv = argv_sh;
		m->u.start.env = env_some;
		m->u.start.cwd = "/";
		m->u.start.dir = "/var/lib/podvisor/pods/42";
		m->u.start.stop_signal = 2;
		m->u.start.uid = 1000;
		m->u.start.groups.v = children;
		m->u.start.groups.n = 2;
		break;
	case MSG_CANCEL:
		m->u.cancel.reason = "user";
		break;
	case MSG_SIGNAL:
		m->u.signal.signal = 15;
		m->u.signal.tree = true;
		break;
	case MSG_NOTIFY:
		m->u.notify.data.ptr = notify_data;
		m->u.notify.data.len = sizeof notify_data - 1;
		break;
	case MSG_RECORD:
		m->u.record.kind = "child";
		m->u.record.data.ptr = (const uint8_t *)"43";
		m->u.record.data.len = 2;
		break;
	case MSG_STARTED:
		m->u.started.pid = 1234;
		break;
	case MSG_LOGGED:
	case MSG_NOTIFIED:
		m->u.logged.seq = 9;	/* same layout in both */
		break;
	case MSG_ENDED:
		m->u.ended.exit_code = 0;
		break;
	case MSG_EXITED:
		m->u.exited.leftovers = 1;
		break;
	default:
		fill_api(m);
		break;
	}
}

/* Samples of the pod API's messages. */
static void
fill_api(struct msg *m)
{
	static char		*handles[] = { "cancel", "notify", "pause", NULL };
	static uint64_t		 preempted[] = { 4, 5 };

	switch (m->type) {
	case MSG_API:
		m->u.api.handles = handles;
		break;
	case MSG_WELCOME:
		m->u.welcome.id = 42;
		m->u.welcome.name = "agent";
		m->u.welcome.deadline = 1700000000000000000LL;
		break;
	case MSG_EXTEND:
		m->u.extend.ms = 5000;
		m->u.extend.why = "saving state";
		break;
	case MSG_EXTENDED:
		m->u.extended.deadline = 1700000005000000000LL;
		break;
	case MSG_LOG:
		m->u.log.level = "info";
		m->u.log.message.ptr = (const uint8_t *)"step done";
		m->u.log.message.len = 9;
		m->u.log.fields.ptr = (const uint8_t *)"{\"step\": 3}";
		m->u.log.fields.len = 11;
		break;
	case MSG_REPORT:
		m->u.report.text = "step 3 of 10";
		m->u.report.progress = 0.3;
		break;
	case MSG_RESULT:
		m->u.result.data.ptr = (const uint8_t *)"{\"ok\": true}";
		m->u.result.data.len = 12;
		break;
	case MSG_MESSAGE:
		m->u.message.seq = 7;
		m->u.message.priority = "normal";
		m->u.message.data.ptr = (const uint8_t *)"hi";
		m->u.message.data.len = 2;
		m->u.message.preempted.v = preempted;
		m->u.message.preempted.n = 2;
		break;
	case MSG_CHILD:
		m->u.child.id = 43;
		m->u.child.event = "ended";
		m->u.child.state = "failed";
		m->u.child.exit_code = 3;
		break;
	default:
		break;
	}
}

/* Encode one message of a type as a whole frame into buf. */
static void
encode_sample(enum msg_type type, struct evbuffer *buf)
{
	struct msg	m;

	msg_init(&m, type);
	fill_request(&m);
	fill_reply(&m);
	fill_pod_channel(&m);
	if (msg_encode(&m, buf) == -1)
		fatalx("cannot encode a sample %s", msg_type_name(type));
}

/* Write one seed file. */
static void
write_seed(const char *dir, const char *target, const char *name,
    const void *data, size_t len)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, target);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", path);
	snprintf(path, sizeof path, "%s/%s/%s", dir, target, name);
	if ((f = fopen(path, "wb")) == NULL)
		fatal("%s", path);
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fatal("%s", path);
}

/*
 * fuzz-msg-typed's encoding of a decoded value (see fuzz-msg-typed.c):
 * a kind byte, then its content.
 */
static void
typed_value(struct evbuffer *out, const msgpack_object *o)
{
	uint8_t		b[9];
	uint64_t	v;
	uint32_t	i;
	int		j;

	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		b[0] = o->via.boolean ? 1 : 2;
		evbuffer_add(out, b, 1);
		return;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		b[0] = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? 3 : 4;
		v = o->via.u64;
		for (j = 0; j < 8; j++)
			b[1 + j] = v >> (56 - 8 * j);
		evbuffer_add(out, b, 9);
		return;
	case MSGPACK_OBJECT_STR:
	case MSGPACK_OBJECT_BIN:
		b[0] = o->type == MSGPACK_OBJECT_STR ? 5 : 6;
		b[1] = o->via.str.size;		/* samples are short */
		evbuffer_add(out, b, 2);
		evbuffer_add(out, o->via.str.ptr, o->via.str.size);
		return;
	case MSGPACK_OBJECT_ARRAY:
		b[0] = 7;
		b[1] = o->via.array.size;	/* below 8 */
		evbuffer_add(out, b, 2);
		for (i = 0; i < o->via.array.size; i++)
			typed_value(out, &o->via.array.ptr[i]);
		return;
	default:
		b[0] = 0;
		evbuffer_add(out, b, 1);
		return;
	}
}

/* fuzz-msg-typed's input for a payload: the type byte, then each field
 * but "type" as a key byte (its index in fuzz_field_names) and a value. */
static void
typed_input(enum msg_type type, const void *payload, size_t len,
    struct evbuffer *out)
{
	msgpack_unpacked	 up;
	msgpack_object_map	*map;
	uint8_t			 b;
	uint32_t		 i;
	size_t			 k, off = 0;

	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, payload, len, &off) !=
	    MSGPACK_UNPACK_SUCCESS)
		fatalx("cannot unpack a sample");
	b = type;
	evbuffer_add(out, &b, 1);
	map = &up.data.via.map;
	for (i = 0; i < map->size; i++) {
		for (k = 0; k < fuzz_nfield_names; k++) {
			if (strlen(fuzz_field_names[k]) ==
			    map->ptr[i].key.via.str.size &&
			    memcmp(fuzz_field_names[k],
			    map->ptr[i].key.via.str.ptr,
			    map->ptr[i].key.via.str.size) == 0)
				break;
		}
		if (k == 0)
			continue;	/* "type" */
		if (k == fuzz_nfield_names)
			fatalx("field not in fuzz_field_names");
		b = k;
		evbuffer_add(out, &b, 1);
		typed_value(out, &map->ptr[i].val);
	}
	msgpack_unpacked_destroy(&up);
}

/* The seeds of the three message targets for one type. */
static void
message_seeds(const char *dir, enum msg_type type)
{
	struct evbuffer	*frame, *stream, *typed;
	const char	*name = msg_type_name(type);
	uint8_t		*p, chunk = 255;	/* 256-byte reads */
	size_t		 len;

	frame = evbuffer_new();
	stream = evbuffer_new();
	typed = evbuffer_new();
	encode_sample(type, frame);
	len = evbuffer_get_length(frame);
	p = evbuffer_pullup(frame, -1);
	write_seed(dir, "fuzz-msg", name, p + 4, len - 4);
	typed_input(type, p + 4, len - 4, typed);
	write_seed(dir, "fuzz-msg-typed", name, evbuffer_pullup(typed, -1),
	    evbuffer_get_length(typed));

	/* A connection's start: hello, then this message, twice. */
	if (type == MSG_HELLO)
		chunk = 0;		/* and one with 1-byte reads */
	evbuffer_add(stream, &chunk, 1);
	encode_sample(MSG_HELLO, stream);
	evbuffer_add(stream, p, len);
	evbuffer_add(stream, p, len);
	write_seed(dir, "fuzz-frame", name, evbuffer_pullup(stream, -1),
	    evbuffer_get_length(stream));
	evbuffer_free(frame);
	evbuffer_free(stream);
	evbuffer_free(typed);
}

/* Strings for fuzz-parse: each parser's accepted forms. */
static void
parse_seeds(const char *dir)
{
	static const char *const	seeds[] = {
		"250ms", "1.5s", "2m", "1h", "0.0005", "720h", "SIGINT",
		"term", "RTMIN+3", "64", "agent-1.b_2", "18446744073709551615",
		"64KiB", "2G", "1t", "4096B",
	};
	char				name[32];
	size_t				i;

	for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		snprintf(name, sizeof name, "seed-%02zu", i);
		write_seed(dir, "fuzz-parse", name, seeds[i],
		    strlen(seeds[i]));
	}
}

/* Inputs for fuzz-http: a selector byte (see fuzz-http.c), then each
 * query, path, header and body shape the HTTP API takes. */
static void
http_seeds(const char *dir)
{
	static const char *const	seeds[] = {
		"qall=1", "qwait=250ms", "qfrom=3&tail=10&follow=1",
		"qfollow=true&token=0123456789abcdef", "qwait", "qall=1&all=0",
		"qa%20b=c+d", "p/v1/pods", "p/v1/pods/web/stop",
		"p/v1/pods/agent%2D1/logs", "p/v1/events", "p/", "e42", "e",
		"e18446744073709551614",
		"s{\"argv\": [\"sleep\", \"60\"], \"name\": \"web\", "
		    "\"cancel_grace_ms\": 500}",
		"s{\"argv\": [\"true\"], \"parent\": 1, \"env\": "
		    "{\"A\": \"1\"}, \"cwd\": \"/tmp\", \"term_grace_ms\": 1, "
		    "\"timeout_ms\": 2, \"heartbeat_ms\": 3, "
		    "\"max_extend_ms\": 4, \"stop_signal\": \"TERM\", "
		    "\"on_parent_exit\": \"orphan\"}",
		"s{\"argv\": [\"env\"], \"env\": [\"A=1\", \"B=\"], "
		    "\"parent\": \"web\", \"stop_signal\": 15}",
		"t", "t{\"reason\": \"from the web\", \"cancel_grace_ms\": 100, "
		    "\"term_grace_ms\": 200}",
		"k{\"signal\": \"KILL\"}", "k{\"signal\": 9}", "k",
		"m{\"data\": \"hi\", \"priority\": \"high\", \"key\": \"k\", "
		    "\"preempt\": true}", "m{\"data\": \"\"}",
		"n", "n{}",
		/* An HTTP pod's spawn: "http" instead of "argv". */
		"s{\"http\": {\"url\": \"http://127.0.0.1:8080/v1/chat\", "
		    "\"method\": \"POST\", \"headers\": [\"Content-Type: "
		    "application/json\", \"Authorization: Bearer sk-x\"], "
		    "\"data\": \"{\\\"prompt\\\": \\\"hi\\\"}\", "
		    "\"on_cancel\": \"abort\"}, \"name\": \"llm\", "
		    "\"parent\": 1, \"timeout_ms\": 30000}",
		"s{\"http\": {\"url\": \"https://u:p@[::1]:443/x?api_key=k\", "
		    "\"headers\": {\"X-Api-Key\": \"k\"}, \"data\": "
		    "{\"model\": \"m\", \"messages\": [1, 2.5, null]}}}",
		"s{\"http\": {\"url\": \"http://h/\", \"on_cancel\": \"finish\", "
		    "\"headers\": [], \"data\": null}}",
		"s{\"argv\": [\"true\"], \"http\": {\"url\": \"http://h/\"}}",
		"s{\"http\": {\"url\": \"ftp://h/\", \"method\": \"CONNECT\", "
		    "\"headers\": [\"X: a\\r\\nY: b\"]}}",
	};
	char				name[32];
	size_t				i;

	for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		snprintf(name, sizeof name, "seed-%02zu", i);
		write_seed(dir, "fuzz-http", name, seeds[i],
		    strlen(seeds[i]));
	}
}

int
main(int argc, char **argv)
{
	int	t;

	log_init(argv[0], LOG_LEVEL_WARN);
	if (argc != 2) {
		fprintf(stderr, "usage: gen-seeds corpus-dir\n");
		return (2);
	}
	for (t = 0; t < MSG__COUNT; t++)
		message_seeds(argv[1], t);
	parse_seeds(argv[1]);
	http_seeds(argv[1]);
	return (0);
}
