/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog TLS/TCP sink's resend set and byte budget (the queue and the
 * connections are sink_syslog_tls.c's).
 *
 * A TCP acknowledgement only says the collector's kernel has the bytes:
 * a collector that shuts down (rsyslog on SIGTERM) or dies may drop what
 * it had not read yet, or had read and not yet written. So delivered
 * entries are kept, in the ring's slots behind head, and sent again after
 * a connection loss (counted in resent): the loss becomes duplicates with
 * the same eid.
 *
 * What the collector's kernel acknowledged but the collector has not read
 * is measured: the peer's advertised receive window (TCP_INFO) shrinks by
 * what it holds unread, so unread <= largest window seen - last window.
 * Twice that, plus UNREAD_SLACK, of the newest acknowledged bytes stay
 * kept whatever happens (a receiver whose buffer grew after we saw its
 * largest window, or that advertised lazily, holds more than the
 * difference says); a collector that stops reading shrinks its window to
 * nothing and so keeps what it holds, however long it stalls. Only the
 * byte budget (limits.max_queue_bytes, every frame buffer counted) or the
 * slot bound can push one of those out: it is counted, and if the
 * connection breaks before it would have been safe, added to possibly_lost
 * and logged.
 *
 * What was read and not yet written cannot be seen from here (RELP can
 * tell): entries acknowledged within REPLAY_USEC (rsyslog's shutdown) are
 * kept as well, as far as twice the in-flight window of slots allows.
 *
 * Memory: a slot keeps a frame buffer of up to ENTRY_KEEP_CAP for reuse;
 * larger ones are freed when their entry leaves, and freed heap is given
 * back (util_trim_note), so a burst of large events does not pin memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "sink_syslog_tls_impl.h"

#define REPLAY_USEC  (15 * 1000000ull) /* longer than rsyslog's 10 s shutdown timeout */
#define UNREAD_DEF   (12u << 20)       /* no window from TCP_INFO: 2 x Linux's 6 MiB tcp_rmem */
#define UNREAD_SLACK (64 * 1024)

/* Whether the collector's kernel may still hold an entry acknowledged at acked_at unread. */
bool sink_resend_unread(const struct sink_tls *sk, uint64_t acked_at)
{
	uint64_t est = UNREAD_DEF;

	if (sk->have_wnd)
		est = 2 * (uint64_t)(sk->peer_wnd - sk->peer_wnd_last) + UNREAD_SLACK;
	return sk->acked_bytes - acked_at < est;
}

/* Acknowledged within REPLAY_USEC: the collector may have read it and not yet written it. */
static bool recent(uint64_t acked_usec, uint64_t now)
{
	return acked_usec + REPLAY_USEC >= now;
}

struct entry *sink_resend_oldest(struct sink_tls *sk)
{
	return &sk->q[(sk->qhead + sk->qcap - sk->n_kept) % sk->qcap];
}

void sink_resend_buf_free(struct sink_tls *sk, struct entry *en)
{
	sk->mem -= en->cap;
	sk->trim.freed += en->cap; /* given back in sink_resend_trim */
	free(en->buf);
	en->buf = NULL;
	en->cap = 0;
}

/* The oldest kept entry leaves the resend set; release: free its buffer whatever its size. */
void sink_resend_drop(struct sink_tls *sk, bool release)
{
	struct entry *en = sink_resend_oldest(sk);

	if (sink_resend_unread(sk, en->acked_at)) {
		sk->risky_n++;
		sk->risky_at = en->acked_at;
	}
	if (release || en->cap > ENTRY_KEEP_CAP)
		sink_resend_buf_free(sk, en);
	else if (en->buf)
		sk->spare_bufs = true;
	sk->n_kept--;
}

/* Lets the kept entries that are safe now go, and the heap shrink after large ones. */
void sink_resend_trim(struct sink_tls *sk, uint64_t now)
{
	while (sk->n_kept > 0) {
		const struct entry *en = sink_resend_oldest(sk);

		if (sink_resend_unread(sk, en->acked_at) || recent(en->acked_usec, now))
			break;
		sink_resend_drop(sk, false);
	}
	if (sk->risky_n && !sink_resend_unread(sk, sk->risky_at))
		sk->risky_n = 0;
	util_trim_note(&sk->trim, 0, now, sk->qlen == 0);
}

/*
 * Puts the kept entries the collector may have lost back in front of the
 * queue; those that had to go while at risk are counted as possibly lost.
 */
void sink_resend_replay(struct sink_tls *sk)
{
	uint64_t now = sink_tls_now(sk);
	size_t k = 0;

	while (k < sk->n_kept) {
		const struct entry *en = &sk->q[(sk->qhead + sk->qcap - 1 - k) % sk->qcap];

		if (!sink_resend_unread(sk, en->acked_at) && !recent(en->acked_usec, now))
			break;
		k++;
	}
	sk->qhead = (sk->qhead + sk->qcap - k) % sk->qcap;
	sk->qlen += k;
	sk->n_kept -= k;
	sk->cnt->resent += k;
	if (sk->risky_n) {
		log_warnx(
		    "%" PRIu64 " event(s) that only the collector's TCP stack had acknowledged "
		    "could not be kept for a resend (limits.max_queue_bytes): they may be lost",
		    sk->risky_n);
		sk->cnt->possibly_lost += sk->risky_n;
		sk->risky_n = 0;
	}
}

int sink_resend_grow(struct sink_tls *sk)
{
	size_t cap = sk->qcap ? sk->qcap * 2 : 1024;
	struct entry *nq = calloc(cap, sizeof(*nq));

	if (!nq)
		return -ENOMEM;
	/* Keep order (kept entries first), and the frame buffers of free slots for reuse. */
	for (size_t i = 0; i < sk->qcap; i++)
		nq[i] = sk->q[(sk->qhead + sk->qcap - sk->n_kept + i) % sk->qcap];
	free(sk->q);
	sk->q = nq;
	sk->qhead = sk->n_kept;
	sk->qcap = cap;
	return 0;
}

/*
 * Keeps every frame buffer within the budget once free slot en holds
 * need bytes: kept entries give way, oldest first, then the buffers free
 * slots keep for reuse. The entries in flight stay whatever the budget
 * (the pipeline pauses the source at half of it).
 */
void sink_resend_make_room(struct sink_tls *sk, struct entry *en, size_t need)
{
	size_t grow = need > en->cap ? need - en->cap : 0;

	while (sk->mem + grow > sk->budget && sk->n_kept > 0)
		sink_resend_drop(sk, true);
	if (sk->mem + grow <= sk->budget || !sk->spare_bufs)
		return;
	for (size_t i = sk->qlen + 1; i < sk->qcap - sk->n_kept; i++)
		if (qat(sk, i)->buf)
			sink_resend_buf_free(sk, qat(sk, i));
	sk->spare_bufs = false;
}
