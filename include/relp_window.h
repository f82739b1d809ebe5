/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_RELP_WINDOW_H
#define IKELOGD_RELP_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/*
 * The RELP sink's bookkeeping of frames not yet known to be acknowledged,
 * oldest first, apart from any I/O (sink_relp.c drives it; the unit tests
 * drive it by hand). librelp never tells which frame a response was for;
 * what it does guarantee is that relpCltSendSyslog() sends a frame only
 * once fewer than `window` frames of its session are unacknowledged, and
 * a collector answers the frames of one session in order. So once a send
 * returns, every frame but the newest `window` sent on the session is
 * acknowledged (relp_window_sent); a clean close (the collector answered
 * "close", which it does after every frame before it) acknowledges them
 * all (relp_window_all_acked); a broken session puts them all back to be
 * sent again (relp_window_lost).
 */
struct relp_frame {
	uint64_t seq; /* the pipeline's record number */
	char *buf;    /* the RFC 5424 message (owned) */
	size_t len;
};

struct relp_window {
	struct relp_frame *q;
	size_t head, len, cap;
	size_t n_sent;	 /* frames from head sent on the current session */
	unsigned window; /* librelp's window: at most this many unacknowledged */
	size_t freed;	 /* bytes of acknowledged frames freed, for the sink to take */
};

/* An empty queue for a session window of window frames (at least 1). */
void relp_window_init(struct relp_window *w, unsigned window);

/* Frees every frame still queued; the queue is empty again. Accepts a zeroed one. */
void relp_window_done(struct relp_window *w);

/*
 * Appends a frame; takes buf (freed when the frame is acknowledged or by
 * relp_window_done). Returns 0, or -ENOMEM with buf still the caller's.
 */
int relp_window_push(struct relp_window *w, uint64_t seq, char *buf, size_t len);

/* The oldest frame not yet sent on the current session, or NULL. Valid until the next push. */
const struct relp_frame *relp_window_next(const struct relp_window *w);

/*
 * The frame relp_window_next() gave was sent. Frees the frames this proves
 * acknowledged and returns how many; *ret_seq is then the newest of them
 * (untouched when none).
 */
size_t relp_window_sent(struct relp_window *w, uint64_t *ret_seq);

/* The session closed cleanly: every frame sent on it is acknowledged (as relp_window_sent). */
size_t relp_window_all_acked(struct relp_window *w, uint64_t *ret_seq);

/*
 * The session broke or was dropped: its frames not known to be
 * acknowledged are to be sent again on the next one. Returns how many.
 */
size_t relp_window_lost(struct relp_window *w);

/* Frames sent on the session and not known to be acknowledged. */
static inline size_t relp_window_unconfirmed(const struct relp_window *w)
{
	return w->n_sent;
}

/* Frames queued, sent or not. */
static inline size_t relp_window_len(const struct relp_window *w)
{
	return w->len;
}

#endif
