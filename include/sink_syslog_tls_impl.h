/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SINK_SYSLOG_TLS_IMPL_H
#define IKELOGD_SINK_SYSLOG_TLS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <systemd/sd-event.h>

#include "encode.h"
#include "pipeline.h"
#include "sink_syslog_tls.h"
#include "stats.h"
#include "util.h"

/*
 * The insides sink_syslog_tls.c (the queue, the connections and their
 * acknowledgements) and sink_resend.c (the resend set behind the queue
 * and the byte budget) share.
 */
#define ENTRY_KEEP_CAP (8 * 1024) /* a free slot keeps a buffer up to this for reuse */

struct conn;

struct entry {
	uint64_t seq;
	char *buf; /* the frame is buf[off..off + len) */
	size_t off, len, cap;
	size_t wend;	     /* end of this frame in wbuf, while staged */
	uint64_t sockend;    /* socket byte count once its last byte was written */
	uint64_t acked_usec; /* when it was acknowledged (kept entries) */
	uint64_t acked_at;   /* kept entries: acked_bytes once it was acknowledged */
};

struct sink_tls {
	struct sink_tls_options o; /* strings borrowed from the configuration */
	sd_event *loop;
	struct pipeline *pl;
	struct counters *cnt;
	bool tls;
	SSL_CTX *ctx;
	bool have_pin;
	unsigned char pin[32];
	struct encode_opts eo;
	char hostname[256];

	/* The queue: a ring of entries, oldest at head; n_kept delivered ones behind it. */
	struct entry *q;
	size_t qcap, qhead, qlen, n_kept;
	uint64_t delivered_seq; /* the newest seq reported to the pipeline */
	size_t n_staged;	/* entries from head copied into wbuf */
	size_t n_done;		/* entries from head completely written to the socket */
	size_t budget;		/* limits.max_queue_bytes, for mem */
	size_t mem;		/* frame buffers held in every slot, in bytes */
	size_t max_slots;	/* kept entries give way to a new one past this many slots */
	uint64_t acked_bytes;	/* frame bytes acknowledged so far, over every connection */
	uint32_t peer_wnd;	/* the largest receive window a collector advertised */
	uint32_t peer_wnd_last; /* the one it advertised last */
	bool have_wnd;		/* TCP_INFO told a window */
	size_t time_slots;	/* recent kept entries hold at most this many slots */
	uint64_t risky_n;	/* kept entries dropped while still at risk */
	uint64_t risky_at;	/* the newest of them: its acked_at */
	bool spare_bufs;	/* free slots may hold buffers */
	struct util_trim trim;

	char *wbuf;
	size_t wcap, wlen, woff;

	struct conn *main, *probe;
	size_t cur; /* the collector main is (or will be) connected to */
	bool ever_connected;
	unsigned backoff_ms;
	uint64_t rnd;
	uint64_t outq_last, progress_usec; /* for write_timeout_ms */
	sd_event_source *kick, *retry, *ack, *failback;
};

static inline struct entry *qat(struct sink_tls *sk, size_t i)
{
	return &sk->q[(sk->qhead + i) % sk->qcap];
}

static inline uint64_t sink_tls_now(struct sink_tls *sk)
{
	uint64_t t = 0;

	sd_event_now(sk->loop, CLOCK_MONOTONIC, &t);
	return t;
}

/*
 * The resend set: the n_kept delivered entries in the slots behind qhead,
 * oldest first (sink_resend.c). sink_resend_unread: whether the
 * collector's kernel may still hold an entry acknowledged at acked_at (its
 * acked_bytes then) unread. sink_resend_oldest: the oldest kept entry
 * (n_kept > 0). sink_resend_buf_free: frees en's frame buffer (out of mem).
 */
bool sink_resend_unread(const struct sink_tls *sk, uint64_t acked_at);
struct entry *sink_resend_oldest(struct sink_tls *sk);
void sink_resend_buf_free(struct sink_tls *sk, struct entry *en);

/*
 * The oldest kept entry leaves the resend set (counted as at risk while
 * unread); release: its buffer is freed whatever its size, else kept for
 * reuse up to ENTRY_KEEP_CAP.
 */
void sink_resend_drop(struct sink_tls *sk, bool release);

/*
 * Lets the kept entries that are safe at now (monotonic usec) go, and the
 * heap shrink after large ones.
 */
void sink_resend_trim(struct sink_tls *sk, uint64_t now);

/*
 * After a connection that was up is lost: the kept entries the collector
 * may have lost go back in front of the queue (counted in resent); those
 * that had to go while at risk are counted in possibly_lost and logged.
 */
void sink_resend_replay(struct sink_tls *sk);

/*
 * Doubles the ring (1024 slots at first), keeping the order (kept entries
 * first) and the free slots' buffers. 0 or -ENOMEM.
 */
int sink_resend_grow(struct sink_tls *sk);

/*
 * Keeps every frame buffer within the budget once free slot en holds
 * need bytes: kept entries give way, oldest first, then the buffers free
 * slots keep for reuse. The entries in flight stay whatever the budget.
 */
void sink_resend_make_room(struct sink_tls *sk, struct entry *en, size_t need);

#endif
