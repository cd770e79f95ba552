/*
 * libpodvisor's private header: frames of the wire's messages (wire.c,
 * on src/wire/msg.c, the codec the programs use), the channel I/O
 * (io.c), the JSON check (json.c), and the two handles (pod.c and
 * calls.c, client.c).  The library's own names start with pvl_; the
 * shared library exports podvisor_* alone.
 */
#ifndef PVL_H
#define PVL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "podvisor.h"

#define PVL_FRAME_MAX		WIRE_FRAME_MAX	/* payload bytes */
#define PVL_STR_MAX		WIRE_STR_MAX	/* any str field */
#define PVL_STRV_MAX		WIRE_ARGV_MAX	/* entries of a str[] */
#define PVL_ERR_MAX		512		/* error texts */
#define PVL_CHUNK		65536		/* bytes per read */
#define PVL_READS_MAX		256		/* reads per podvisor_process() */
#define PVL_PENDING_MAX		64		/* the runtime's bound as well */
#define PVL_LOOK_NS		200000		/* check() reads at most this often */
#define PVL_HELLO_MS		5000		/* for the runtime's welcome */
#define PVL_REPLY_MS		10000		/* for an extend or result reply */
#define PVL_SEND_MS		10000		/* for a frame to be taken */
#define PVL_NONE		WIRE_NONE	/* int64 nil on the wire */

/* A frame's bytes: 4 of length, then the payload msg_pack() wrote.  Each
 * handle keeps one and reuses it, so that sending allocates nothing once
 * it has grown to the frames sent. */
struct pvl_out {
	char		*data;
	size_t		 len;
	size_t		 cap;
	bool		 nomem;		/* a write found no memory */
};

/* One end of a stream socket, with the bytes read and not yet taken. */
struct pvl_chan {
	int		 fd;
	uint8_t		*in;
	size_t		 inoff;		/* first byte not yet taken */
	size_t		 inlen;		/* bytes held */
	size_t		 incap;
};

/* What pvl_chan_read() found. */
#define PVL_IO_MORE	1	/* bytes were added */
#define PVL_IO_NONE	0	/* nothing to read now */
#define PVL_IO_ERR	(-1)	/* errno says why */
#define PVL_IO_EOF	(-2)	/* the peer closed it */

/* A queued notify message: one allocation, freed by the caller. */
struct pvl_msg {
	struct podvisor_message	 m;		/* first, for message_free */
	struct pvl_msg		*next;
	bool			 reported;	/* check() told of its preempt */
};

/* A queued child event: one allocation, freed by the caller. */
struct pvl_kid {
	struct podvisor_child_event e;		/* first, for event_free */
	struct pvl_kid		*next;
};

/* How far the hello exchange has got. */
enum pvl_phase {
	PVL_PHASE_HELLO,		/* waiting for the runtime's hello */
	PVL_PHASE_WELCOME,		/* then for its welcome */
	PVL_PHASE_OPEN
};

/* The requests that get an answer, in the order they were sent. */
enum pvl_req {
	PVL_REQ_EXTEND,
	PVL_REQ_RESULT
};

/* This process's pod, as seen through its API channel. */
struct podvisor_pod {
	struct pvl_chan		 ch;
	unsigned		 handles;
	enum pvl_phase		 phase;
	int64_t			 looked_ns;	/* monotonic: the last read */

	/* From the welcome. */
	uint64_t		 id;
	char			*name;
	uint64_t		 parent;
	int64_t			 deadline;	/* ns, PVL_NONE */

	/* The cancel: kept once it came, whatever happens next. */
	bool			 cancelled;
	bool			 acked;
	struct podvisor_cancel	 cancel;
	char			*cancel_reason;
	char			*cancel_by;

	bool			 pause_requested;
	bool			 paused_sent;
	bool			 recv_outstanding;
	struct pvl_msg		*msgs;
	struct pvl_msg		**msgs_tail;
	struct pvl_kid		*kids;
	struct pvl_kid		**kids_tail;

	/* Requests awaiting their answer; a call waits for answer nsent. */
	uint8_t			 pending[PVL_PENDING_MAX];
	size_t			 pend_head;
	size_t			 npending;
	uint64_t		 nsent;
	uint64_t		 nanswered;
	int			 reply_rc;	/* of the last one answered */
	int64_t			 reply_deadline;
	char			 reply_text[PVL_ERR_MAX];

	/* A failed channel fails every later call the same way. */
	bool			 broken;
	int			 broken_errno;
	char			 broken_text[PVL_ERR_MAX];
	char			 err[PVL_ERR_MAX];

	struct pvl_out		 out;		/* the frame being sent */

	struct podvisor_client	*client;	/* for podvisor_spawn() */
};

/* pod.c */
int		 pvl_pod_err(struct podvisor_pod *, int, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
int		 pvl_pod_fail(struct podvisor_pod *, int, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
int		 pvl_pod_broken(struct podvisor_pod *);
int		 pvl_pod_read(struct podvisor_pod *);
int		 pvl_pod_glance(struct podvisor_pod *);
int		 pvl_pod_wait(struct podvisor_pod *,
		    bool (*)(const struct podvisor_pod *, uint64_t), uint64_t,
		    int);
int		 pvl_pod_send(struct podvisor_pod *, const struct msg *);
int		 pvl_pod_send_type(struct podvisor_pod *, enum msg_type);

/* wire.c */
int		 pvl_encode(const struct msg *, struct pvl_out *, char *,
		    size_t);
void		 pvl_out_free(struct pvl_out *);
int		 pvl_decode(const uint8_t *, size_t, struct msg *, char *,
		    size_t);
const char	*pvl_unexpected(const struct msg *, char *, size_t);
void		 pvl_ns_to_ts(int64_t, struct timespec *);

/* io.c */
void		 pvl_chan_init(struct pvl_chan *, int);
void		 pvl_chan_close(struct pvl_chan *);
void		 pvl_chan_free(struct pvl_chan *);
int		 pvl_chan_read(struct pvl_chan *);
int		 pvl_chan_frame(struct pvl_chan *, const uint8_t **, size_t *,
		    char *, size_t);
void		 pvl_chan_take(struct pvl_chan *, size_t);
int		 pvl_chan_send(struct pvl_chan *, const void *, size_t, int);
int		 pvl_chan_poll(struct pvl_chan *, short, int);
int64_t		 pvl_now_ms(void);
int64_t		 pvl_now_ns(void);
int		 pvl_left_ms(int64_t);

/* json.c */
bool		 pvl_json_valid(const char *, size_t, bool);

#endif
