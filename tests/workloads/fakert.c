/*
 * fakert: a pod runtime that breaks the protocol, for podvisord's
 * runtime-channel validation tests (podvisord --runtime fakert).  It
 * speaks hello on WIRE_POD_FD, reads start, and then misbehaves as the
 * pod's command (argv[0] of start) says:
 *
 *   started-twice  report a real child as started, twice
 *   pid-0, pid-1   report pid 0 or 1 as the workload
 *   pid-daemon     report podvisord's own pid as the workload
 *   pid-negative   report a negative pid (a field of the wrong type)
 *   ended-twice    report a real child as started, its end twice
 *
 * Then it waits for podvisord to close the channel (or kill it), killing
 * any child it made.  Blocking I/O: it is a test tool, not a runtime.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "wire.h"

static pid_t	child = -1;

/* Write a whole buffer to the channel or exit. */
static void
put(struct evbuffer *buf)
{
	if (evbuffer_write(buf, WIRE_POD_FD) == -1 &&
	    evbuffer_get_length(buf) > 0) {
		fprintf(stderr, "fakert: write: %s\n", strerror(errno));
		exit(1);
	}
	while (evbuffer_get_length(buf) > 0) {
		if (evbuffer_write(buf, WIRE_POD_FD) == -1) {
			fprintf(stderr, "fakert: write: %s\n",
			    strerror(errno));
			exit(1);
		}
	}
}

/* Encode and send one message. */
static void
send_msg(const struct msg *m)
{
	struct evbuffer	*buf = evbuffer_new();

	if (buf == NULL || msg_encode(m, buf) == -1)
		exit(1);
	put(buf);
	evbuffer_free(buf);
}

/* Read until one whole message is decoded into m; exit at EOF. */
static void
recv_msg(struct evbuffer *in, struct msg *m)
{
	char	 cause[256];
	void	*payload;
	size_t	 len;
	int	 rc;

	for (;;) {
		rc = frame_take(in, WIRE_FRAME_MAX, &payload, &len, cause,
		    sizeof cause);
		if (rc == 1)
			break;
		if (rc == -1 || evbuffer_read(in, WIRE_POD_FD, 65536) <= 0)
			exit(0);
	}
	rc = msg_decode(payload, len, m, cause, sizeof cause);
	free(payload);
	if (rc == -1) {
		fprintf(stderr, "fakert: %s\n", cause);
		exit(1);
	}
}

/* A started message for pid. */
static void
send_started(uint64_t pid)
{
	struct msg	m;

	msg_init(&m, MSG_STARTED);
	m.u.started.pid = pid;
	send_msg(&m);
}

/* {"type": "started", "pid": -5}, which no encoder of ours would write. */
static void
send_negative_pid(void)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	struct evbuffer	*buf = evbuffer_new();
	unsigned char	 hdr[4];

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "type", 4);
	msgpack_pack_str(&pk, 7);
	msgpack_pack_str_body(&pk, "started", 7);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "pid", 3);
	msgpack_pack_int64(&pk, -5);
	hdr[0] = hdr[1] = 0;
	hdr[2] = (unsigned char)(sb.size >> 8);
	hdr[3] = (unsigned char)sb.size;
	evbuffer_add(buf, hdr, sizeof hdr);
	evbuffer_add(buf, sb.data, sb.size);
	put(buf);
	evbuffer_free(buf);
	msgpack_sbuffer_destroy(&sb);
}

/* A real workload in its own process group, as the runtime makes. */
static pid_t
start_child(void)
{
	pid_t	pid;

	if ((pid = fork()) == -1)
		exit(1);
	if (pid == 0) {
		setpgid(0, 0);
		execlp("sleep", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return (pid);
}

/* An ended message: exit code 0. */
static void
send_ended(void)
{
	struct msg	m;

	msg_init(&m, MSG_ENDED);
	m.u.ended.exit_code = 0;
	send_msg(&m);
}

/* Misbehave as mode says. */
static void
misbehave(const char *mode)
{
	if (strcmp(mode, "started-twice") == 0) {
		child = start_child();
		send_started((uint64_t)child);
		send_started((uint64_t)child);
	} else if (strcmp(mode, "pid-0") == 0)
		send_started(0);
	else if (strcmp(mode, "pid-1") == 0)
		send_started(1);
	else if (strcmp(mode, "pid-daemon") == 0)
		send_started((uint64_t)getppid());
	else if (strcmp(mode, "pid-negative") == 0)
		send_negative_pid();
	else if (strcmp(mode, "ended-twice") == 0) {
		child = start_child();
		send_started((uint64_t)child);
		send_ended();
		send_ended();
	} else {
		fprintf(stderr, "fakert: unknown mode %s\n", mode);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	struct evbuffer	*in = evbuffer_new();
	struct msg	 m;

	log_init("fakert", LOG_LEVEL_WARN);
	msg_init(&m, MSG_HELLO);
	m.u.hello.version = PROTOCOL_VERSION;
	send_msg(&m);
	recv_msg(in, &m);		/* podvisord's hello */
	msg_free(&m);
	recv_msg(in, &m);
	if (m.type != MSG_START)
		return (1);
	misbehave(m.u.start.argv[0]);
	msg_free(&m);
	/* Wait for the channel to close; podvisord may kill us first. */
	while (evbuffer_read(in, WIRE_POD_FD, 65536) > 0)
		evbuffer_drain(in, evbuffer_get_length(in));
	if (child > 0) {
		kill(-child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return (0);
}
