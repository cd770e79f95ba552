/*
 * libpodvisor's private header: the framing and codec (wire.c), the
 * channel I/O (io.c), the JSON check (json.c), and the two handles
 * (pod.c and calls.c, client.c).  Every name here starts with pvl_ so
 * that nothing of the static library collides with a program's own.
 */
#ifndef PVL_H
#define PVL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "podvisor.h"

#define PVL_FRAME_MAX		(1024 * 1024)	/* payload bytes */
#define PVL_STR_MAX		4096		/* any str field */
#define PVL_UINTV_MAX		65536		/* entries of a uint[] */
#define PVL_STRV_MAX		4096		/* entries of a str[] */
#define PVL_ERR_MAX		512		/* error texts */
#define PVL_CHUNK		65536		/* bytes per read */
#define PVL_READS_MAX		256		/* reads per podvisor_process() */
#define PVL_PENDING_MAX		64		/* the runtime's bound as well */
#define PVL_HELLO_MS		5000		/* for the runtime's welcome */
#define PVL_REPLY_MS		10000		/* for an extend or result reply */
#define PVL_SEND_MS		10000		/* for a frame to be taken */
#define PVL_NONE		(-1)		/* int64 nil on the wire */

/* A frame being built: 4 bytes of length, a map32 header, the fields. */
struct pvl_out {
	msgpack_sbuffer	 buf;
	msgpack_packer	 pk;
	uint32_t	 nfields;
	bool		 nomem;
};

/* A decoded frame: one map whose "type" is a string. */
struct pvl_frame {
	msgpack_unpacked	 up;
	const msgpack_object_map *map;
	const char		*type;		/* not NUL-terminated */
	size_t			 typelen;
	char			 why[PVL_ERR_MAX];	/* what was wrong */
};

/* Bytes of a str or bin field; ptr NULL when absent or nil. */
struct pvl_bytes {
	const char	*ptr;
	size_t		 len;
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

	struct podvisor_client	*client;	/* for podvisor_spawn() */
};

/* pod.c */
int		 pvl_pod_err(struct podvisor_pod *, int, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
int		 pvl_pod_fail(struct podvisor_pod *, int, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
int		 pvl_pod_broken(struct podvisor_pod *);
int		 pvl_pod_read(struct podvisor_pod *);
int		 pvl_pod_wait(struct podvisor_pod *,
		    bool (*)(const struct podvisor_pod *, uint64_t), uint64_t,
		    int);
int		 pvl_pod_send(struct podvisor_pod *, struct pvl_out *);
int		 pvl_pod_send_type(struct podvisor_pod *, const char *);

/* wire.c */
void		 pvl_out_begin(struct pvl_out *, const char *);
void		 pvl_out_str(struct pvl_out *, const char *, const char *);
void		 pvl_out_bin(struct pvl_out *, const char *, const void *,
		    size_t);
void		 pvl_out_uint(struct pvl_out *, const char *, uint64_t);
void		 pvl_out_int(struct pvl_out *, const char *, int64_t);
void		 pvl_out_float(struct pvl_out *, const char *, double);
void		 pvl_out_bool(struct pvl_out *, const char *, bool);
void		 pvl_out_strv(struct pvl_out *, const char *,
		    const char *const *, size_t);
int		 pvl_out_end(struct pvl_out *, char *, size_t);
void		 pvl_out_free(struct pvl_out *);
int		 pvl_decode(const uint8_t *, size_t, struct pvl_frame *);
void		 pvl_frame_free(struct pvl_frame *);
bool		 pvl_is(const struct pvl_frame *, const char *);
int		 pvl_get_uint(struct pvl_frame *, const char *, bool,
		    uint64_t *);
int		 pvl_get_int(struct pvl_frame *, const char *, bool,
		    int64_t *);
int		 pvl_get_str(struct pvl_frame *, const char *, bool,
		    struct pvl_bytes *);
int		 pvl_get_bin(struct pvl_frame *, const char *, bool,
		    struct pvl_bytes *);
int		 pvl_get_uintv(struct pvl_frame *, const char *,
		    const msgpack_object_array **);
char		*pvl_strndup(const struct pvl_bytes *);
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
int		 pvl_left_ms(int64_t);

/* json.c */
bool		 pvl_json_valid(const char *, size_t, bool);

#endif
