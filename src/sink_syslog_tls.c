/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Syslog over TLS (RFC 5425) and, when explicitly allowed, over plain TCP
 * (RFC 6587 octet counting): one sink, two ops tables.
 *
 * Every event is encoded (encode.c) into an entry of a queue at once and
 * stays there until the collector's TCP stack has acknowledged its bytes.
 * The connection writes whole frames in batches; after each write the
 * socket's running byte count (BIO_number_written for TLS, our own for
 * TCP) is stamped on the entries it completed. The kernel's SIOCOUTQ,
 * polled every few milliseconds while anything is outstanding, says how
 * many of those socket bytes are still unacknowledged, so written - outq
 * is the acknowledged prefix of the stream. Entries inside it are
 * delivered, in order, with pipeline_delivered(). When a connection
 * breaks, every entry not yet acknowledged is written again on the next
 * one (at-least-once; the eid SD-PARAM lets a collector drop duplicates).
 *
 * The resend set behind the queue (delivered entries kept for a
 * collector that may lose them) and the byte budget are sink_resend.c's.
 *
 * Everything runs on the sd-event loop; collector_conn.c resolves,
 * connects and handshakes, each stage with its timer. Collectors are tried
 * in order, with exponential backoff and jitter once the whole list has
 * failed; while on a later one the first is probed every
 * failback_interval_s and taken back as soon as a probe is up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "collector_conn.h"
#include "encode.h"
#include "log.h"
#include "signer.h"
#include "sink.h"
#include "sink_syslog_tls.h"
#include "sink_syslog_tls_impl.h"
#include "tls.h"
#include "util.h"

#define DEF_MAX_MESSAGE	 65536
#define DEF_CONNECT_MS	 5000
#define DEF_HANDSHAKE_MS 10000
#define DEF_WRITE_MS	 30000
#define DEF_BACKOFF_MIN	 100
#define DEF_BACKOFF_MAX	 30000
#define DEF_FAILBACK_S	 60
#define ACK_POLL_USEC	 5000
#define WBUF_TARGET	 (64 * 1024) /* bytes staged per batch of writes */
#define FRAME_PREFIX_MAX 24	     /* "<len> " */
#define HEADER_ROOM	 1024	     /* an RFC 5424 header and SD element, as a rule */
#define ENTRY_SLACK	 (4 * 1024)  /* unused room that makes a frame buffer shrink */

/* A connection and which collector it goes to; probe: a failback probe, adopted once up. */
struct conn {
	struct sink_tls *sk;
	size_t idx;
	bool probe;
	struct collector_conn *cc;
};

static unsigned or_default(unsigned v, unsigned def)
{
	return v ? v : def;
}

static const struct sink_collector *coll(struct sink_tls *sk, size_t idx)
{
	return &sk->o.collectors[idx];
}

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	collector_conn_free(c->cc);
	free(c);
}

static int start_main(struct sink_tls *sk);
static void pump(struct sink_tls *sk);

/* Arms the retry timer: at once for the next collector, with backoff after a full round. */
static void schedule_retry(struct sink_tls *sk, bool advance)
{
	const struct sink_tls_options *o = &sk->o;
	size_t n = o->n_collectors;
	uint64_t delay = 0;

	if (advance)
		sk->cur = (sk->cur + 1) % n;
	if (!advance || sk->cur == 0) {
		unsigned b = sk->backoff_ms;

		sk->rnd ^= sk->rnd << 13;
		sk->rnd ^= sk->rnd >> 7;
		sk->rnd ^= sk->rnd << 17;
		/* jitter: between half and all of the current backoff */
		delay = (uint64_t)(b / 2 + sk->rnd % (b / 2 + 1)) * 1000;
		sk->backoff_ms = b * 2 > or_default(o->backoff_max_ms, DEF_BACKOFF_MAX)
				     ? or_default(o->backoff_max_ms, DEF_BACKOFF_MAX)
				     : b * 2;
	}
	sd_event_source_set_time_relative(sk->retry, delay);
	sd_event_source_set_enabled(sk->retry, SD_EVENT_ONESHOT);
}

/* The main connection is gone: everything written but unacknowledged goes again. */
static void main_lost(struct sink_tls *sk, bool was_up)
{
	if (sk->n_done)
		sk->cnt->resent += sk->n_done;
	sk->n_done = sk->n_staged = 0;
	if (was_up)
		sink_resend_replay(sk);
	sk->wlen = sk->woff = 0;
	conn_free(sk->main);
	sk->main = NULL;
	sd_event_source_set_enabled(sk->ack, SD_EVENT_OFF);
	sd_event_source_set_enabled(sk->failback, SD_EVENT_OFF);
	/* A connection that was up is retried on the same collector first. */
	schedule_retry(sk, !was_up || sk->o.n_collectors == 1);
}

/* A connection attempt or connection failed, for the reason given. */
static void conn_fail(struct conn *c, const char *what, const char *why)
{
	struct sink_tls *sk = c->sk;
	const struct sink_collector *k = coll(sk, c->idx);

	if (c->probe) {
		log_debug("collector %s:%u: failback probe: %s: %s", k->host, k->port, what, why);
		conn_free(c);
		sk->probe = NULL;
		return;
	}
	bool was_up = collector_conn_is_up(c->cc);

	if (was_up)
		log_warnx("collector %s:%u: %s: %s; %zu event(s) not yet acknowledged will be sent "
			  "again",
			  k->host, k->port, what, why, sk->qlen);
	else
		log_warnx("collector %s:%u: %s: %s", k->host, k->port, what, why);
	main_lost(sk, was_up);
}

/* The connection is up (handshake done and settled): use it. */
static void conn_up(struct conn *c)
{
	struct sink_tls *sk = c->sk;
	const struct sink_collector *k = coll(sk, c->idx);
	char desc[128];

	if (c->probe) {
		/* The first collector is back: move over to it. */
		log_info("collector %s:%u: back, failing back to it", k->host, k->port);
		if (sk->main) {
			if (sk->n_done)
				sk->cnt->resent += sk->n_done;
			sk->n_done = sk->n_staged = 0;
			sk->wlen = sk->woff = 0;
			conn_free(sk->main);
		}
		sd_event_source_set_enabled(sk->retry, SD_EVENT_OFF);
		sk->main = c;
		sk->probe = NULL;
		c->probe = false;
		sk->cur = c->idx;
	}
	log_info("collector %s:%u: connected, %s", k->host, k->port,
		 collector_conn_describe(c->cc, desc, sizeof(desc)));
	if (sk->ever_connected)
		sk->cnt->reconnects++;
	sk->ever_connected = true;
	sk->backoff_ms = or_default(sk->o.backoff_min_ms, DEF_BACKOFF_MIN);
	sk->progress_usec = sink_tls_now(sk);
	if (sk->cur != 0)
		sd_event_source_set_enabled(sk->failback, SD_EVENT_ON);
	else
		sd_event_source_set_enabled(sk->failback, SD_EVENT_OFF);
	pump(sk);
}

static void on_conn(struct collector_conn *cc, enum collector_conn_event ev, const char *what,
		    const char *why, void *ud)
{
	struct conn *c = ud;

	switch (ev) {
	case COLLECTOR_CONN_UP:
		conn_up(c);
		break;
	case COLLECTOR_CONN_WRITABLE:
		pump(c->sk);
		break;
	case COLLECTOR_CONN_FAILED:
		conn_fail(c, what, why);
		break;
	}
}

/* Starts a connection to collector idx; failures come through on_conn. */
static int conn_start(struct sink_tls *sk, size_t idx, bool probe, struct conn **ret)
{
	const struct sink_tls_options *so = &sk->o;
	const struct sink_collector *k = coll(sk, idx);
	struct collector_conn_opts o = {
	    .loop = sk->loop,
	    .ctx = sk->ctx,
	    .host = k->host,
	    .port = k->port,
	    .peer_name = so->server_name,
	    .pin = sk->have_pin ? sk->pin : NULL,
	    .connect_timeout_ms = or_default(so->connect_timeout_ms, DEF_CONNECT_MS),
	    .handshake_timeout_ms = or_default(so->handshake_timeout_ms, DEF_HANDSHAKE_MS),
	    .cnt = sk->cnt,
	};
	struct conn *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->sk = sk;
	c->idx = idx;
	c->probe = probe;
	r = collector_conn_start(&o, on_conn, c, &c->cc);
	if (r < 0) {
		if (!probe)
			log_warnx("collector %s:%u: connect: %s", k->host, k->port, strerror(-r));
		free(c);
		return r;
	}
	*ret = c;
	return 0;
}

static int start_main(struct sink_tls *sk)
{
	int r;

	if (sk->main)
		return 0;
	r = conn_start(sk, sk->cur, false, &sk->main);
	if (r < 0)
		schedule_retry(sk, true);
	return r;
}

static int on_retry(sd_event_source *es, uint64_t usec, void *ud)
{
	start_main(ud);
	return 0;
}

static int on_failback(sd_event_source *es, uint64_t usec, void *ud)
{
	struct sink_tls *sk = ud;

	sd_event_source_set_time_relative(
	    es, (uint64_t)or_default(sk->o.failback_interval_s, DEF_FAILBACK_S) * 1000000);
	if (sk->cur == 0) {
		sd_event_source_set_enabled(es, SD_EVENT_OFF);
		return 0;
	}
	if (!sk->probe && sk->main && collector_conn_is_up(sk->main->cc))
		conn_start(sk, 0, true, &sk->probe);
	return 0;
}

/* Copies frames of entries not yet staged into wbuf; returns how many. */
static size_t stage(struct sink_tls *sk)
{
	size_t n = 0;

	while (sk->n_staged < sk->qlen) {
		struct entry *en = qat(sk, sk->n_staged);

		if (n > 0 && sk->wlen + en->len > WBUF_TARGET)
			break;
		if (sk->wlen + en->len > sk->wcap) {
			size_t cap = sk->wcap;
			char *nb;

			while (cap < sk->wlen + en->len)
				cap *= 2;
			nb = realloc(sk->wbuf, cap);
			if (!nb)
				break;
			sk->wbuf = nb;
			sk->wcap = cap;
		}
		memcpy(sk->wbuf + sk->wlen, en->buf + en->off, en->len);
		sk->wlen += en->len;
		en->wend = sk->wlen;
		sk->n_staged++;
		n++;
	}
	return n;
}

/* Writes as much of the queue as the socket takes. */
static void pump(struct sink_tls *sk)
{
	struct conn *c = sk->main;
	char why[512];

	if (!c || !collector_conn_is_up(c->cc))
		return;
	for (;;) {
		ssize_t n;

		if (sk->woff == sk->wlen) {
			sk->wlen = sk->woff = 0;
			if (sk->wcap > 4 * WBUF_TARGET) {
				char *nb = realloc(sk->wbuf, WBUF_TARGET);

				if (nb) {
					sk->wbuf = nb;
					sk->wcap = WBUF_TARGET;
				}
			}
			if (stage(sk) == 0) {
				collector_conn_idle(c->cc);
				break;
			}
		}
		n = collector_conn_send(c->cc, sk->wbuf + sk->woff, sk->wlen - sk->woff, why,
					sizeof(why));
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			conn_fail(c, "write failed", why);
			return;
		}
		sk->woff += (size_t)n;
		sk->progress_usec = sink_tls_now(sk);
		while (sk->n_done < sk->n_staged && qat(sk, sk->n_done)->wend <= sk->woff) {
			qat(sk, sk->n_done)->sockend = collector_conn_written(c->cc);
			sk->n_done++;
			sk->cnt->sent++;
		}
	}
	if (sk->n_done || sk->woff < sk->wlen)
		sd_event_source_set_enabled(sk->ack, SD_EVENT_ON);
}

/* Every ACK_POLL_USEC while bytes are outstanding: deliver what the peer acknowledged. */
static int on_ack(sd_event_source *es, uint64_t usec, void *ud)
{
	struct sink_tls *sk = ud;
	struct conn *c = sk->main;
	uint64_t written = 0, outq = 0, acked, last = 0;
	size_t popped = 0;
	uint32_t wnd = 0;
	int r;

	sd_event_source_set_time_relative(es, ACK_POLL_USEC);
	if (!c || !collector_conn_is_up(c->cc)) {
		sd_event_source_set_enabled(es, SD_EVENT_OFF);
		return 0;
	}
	r = collector_conn_unacked(c->cc, &written, &outq);
	if (r < 0) {
		conn_fail(c, "SIOCOUTQ", strerror(-r));
		return 0;
	}
	acked = written - outq;
	if (collector_conn_peer_window(c->cc, &wnd) == 0) {
		sk->have_wnd = true;
		sk->peer_wnd_last = wnd;
		if (wnd > sk->peer_wnd)
			sk->peer_wnd = wnd;
	}
	while (sk->n_done > 0 && qat(sk, 0)->sockend <= acked) {
		last = qat(sk, 0)->seq;
		qat(sk, 0)->acked_usec = sink_tls_now(sk);
		sk->acked_bytes += qat(sk, 0)->len;
		qat(sk, 0)->acked_at = sk->acked_bytes;
		sk->qhead = (sk->qhead + 1) % sk->qcap;
		sk->n_kept++;
		sk->qlen--;
		sk->n_done--;
		sk->n_staged--;
		popped++;
	}
	if (outq != sk->outq_last || popped) {
		sk->outq_last = outq;
		sk->progress_usec = sink_tls_now(sk);
	}
	if (!sk->n_done && sk->woff == sk->wlen)
		sd_event_source_set_enabled(es, SD_EVENT_OFF);
	else if (sink_tls_now(sk) - sk->progress_usec >
		 (uint64_t)or_default(sk->o.write_timeout_ms, DEF_WRITE_MS) * 1000) {
		conn_fail(c, "write", "timed out: the collector stopped acknowledging");
		return 0;
	}
	sink_resend_trim(sk, sink_tls_now(sk));
	if (popped) {
		sk->cnt->acknowledged += popped;
		/* Replayed entries are older than what the pipeline already knows. */
		if (last > sk->delivered_seq) {
			sk->delivered_seq = last;
			pipeline_delivered(sk->pl, last);
		}
	}
	return 0;
}

static int on_kick(sd_event_source *es, void *ud)
{
	pump(ud);
	return 0;
}

static int tls_write(void *s, uint64_t seq, const struct event *ev, const char *json, size_t len)
{
	struct sink_tls *sk = s;
	const char *sev = event_str(ev, F_SEVERITY, NULL);
	int severity = encode_severity_from_name(sev);
	struct encode_input in = {
	    .timestamp = event_str(ev, F_TIMESTAMP, NULL),
	    .msgid = event_str(ev, F_EVENT_TYPE, NULL),
	    .event_id = event_str(ev, F_EVENT_ID, NULL),
	    .severity = severity < 0 ? 6 : severity,
	    .msg = json,
	    .msg_len = len,
	};
	size_t limit = sk->eo.max_message_bytes, want;
	struct signer_call call;
	struct entry *en;
	bool truncated = false;
	ssize_t n, p;
	int r;

	signer_attach(&in, &call, pipeline_signer(sk->pl), seq);
	/*
	 * The ring grows to twice the in-flight window for recent kept
	 * entries, and on to max_slots while they may be unread; then the
	 * oldest kept entry gives its slot to a new event.
	 */
	if (sk->qlen + sk->n_kept == sk->qcap) {
		const struct entry *old = sk->n_kept ? sink_resend_oldest(sk) : NULL;

		if (old && (sk->qcap >= sk->max_slots ||
			    (sk->qcap >= sk->time_slots && !sink_resend_unread(sk, old->acked_at))))
			sink_resend_drop(sk, false);
		else if ((r = sink_resend_grow(sk)) < 0)
			return r;
	}
	en = qat(sk, sk->qlen);
	/*
	 * The message is encoded once, straight into the entry behind room for
	 * the frame prefix. The entry is sized for the JSON and a header; a
	 * message that does not fit is encoded again into an entry as large as
	 * the limit, so only the limit ever truncates.
	 */
	want = len + HEADER_ROOM + (in.sign ? ENCODE_SIGN_SD_MAX : 0);
	if (want > limit)
		want = limit;
	if (en->cap > ENTRY_KEEP_CAP && en->cap > 2 * (FRAME_PREFIX_MAX + want))
		sink_resend_buf_free(sk, en);
	sink_resend_make_room(sk, en, FRAME_PREFIX_MAX + want);
	for (;;) {
		if (en->cap < FRAME_PREFIX_MAX + want) {
			char *nb = realloc(en->buf, FRAME_PREFIX_MAX + want);

			if (!nb)
				return -ENOMEM;
			en->buf = nb;
			sk->mem += FRAME_PREFIX_MAX + want - en->cap;
			en->cap = FRAME_PREFIX_MAX + want;
		}
		n = encode_rfc5424(&sk->eo, &in, en->buf + FRAME_PREFIX_MAX,
				   en->cap - FRAME_PREFIX_MAX, &truncated);
		/* a signed message is encoded once: signing advances the chain */
		if ((n >= 0 && !truncated) || en->cap - FRAME_PREFIX_MAX >= limit || in.sign)
			break;
		want = limit;
	}
	if (n < 0)
		return (int)n;
	if (truncated)
		sk->cnt->truncated++;
	if (en->cap - (FRAME_PREFIX_MAX + (size_t)n) > ENTRY_SLACK) {
		char *nb = realloc(en->buf, FRAME_PREFIX_MAX + (size_t)n);

		if (nb) {
			sk->mem -= en->cap - (FRAME_PREFIX_MAX + (size_t)n);
			en->buf = nb;
			en->cap = FRAME_PREFIX_MAX + (size_t)n;
		}
	}
	p = encode_octet_prefix((size_t)n, en->buf, FRAME_PREFIX_MAX);
	if (p < 0)
		return (int)p;
	en->off = FRAME_PREFIX_MAX - (size_t)p;
	en->len = (size_t)(p + n);
	en->seq = seq;
	en->wend = en->sockend = 0;
	sk->qlen++;
	sd_event_source_set_enabled(sk->kick, SD_EVENT_ONESHOT);
	return 0;
}

static int tls_flush(void *s)
{
	struct sink_tls *sk = s;

	pump(sk);
	return sk->qlen ? -EAGAIN : 0;
}

static void tls_close(void *s)
{
	struct sink_tls *sk = s;

	if (!sk)
		return;
	conn_free(sk->main);
	conn_free(sk->probe);
	sd_event_source_disable_unref(sk->kick);
	sd_event_source_disable_unref(sk->retry);
	sd_event_source_disable_unref(sk->ack);
	sd_event_source_disable_unref(sk->failback);
	for (size_t i = 0; i < sk->qcap; i++)
		free(sk->q[i].buf);
	free(sk->q);
	free(sk->wbuf);
	SSL_CTX_free(sk->ctx);
	free(sk);
}

static int open_common(bool tls, const struct sink_tls_options *o, sd_event *e, struct pipeline *pl,
		       struct counters *cnt, void **ret, struct diags *errs)
{
	struct sink_tls *sk = NULL;
	int r = -EINVAL;

	if (!e) {
		diag_add(errs, o->config_path, 0, 0,
			 "output %s needs the daemon's event loop; use stdout for one-shot tools",
			 tls ? "syslog-tls" : "syslog-tcp");
		goto out;
	}
	if (o->n_collectors == 0) {
		diag_add(errs, o->config_path, 0, 0, "output.collectors: at least one is required");
		goto out;
	}
	for (size_t i = 0; i < o->n_collectors; i++)
		if (!o->collectors[i].host || !*o->collectors[i].host ||
		    o->collectors[i].port == 0 || o->collectors[i].port > 65535) {
			diag_add(errs, o->config_path, 0, 0,
				 "output.collectors[%zu]: needs host and a port 1..65535", i);
			goto out;
		}
	if (o->facility < 0 || o->facility > 23) {
		diag_add(errs, o->config_path, 0, 0, "output.facility: %d is not 0..23",
			 o->facility);
		goto out;
	}
	if (!tls && !o->allow_plaintext) {
		diag_add(errs, o->config_path, 0, 0,
			 "output.type syslog-tcp sends audit events in clear text: set "
			 "output.allow_plaintext: true to allow it, or use syslog-tls");
		goto out;
	}
	sk = calloc(1, sizeof(*sk));
	if (!sk) {
		r = -ENOMEM;
		goto out;
	}
	sk->o = *o;
	sk->loop = e;
	sk->pl = pl;
	sk->cnt = cnt;
	sk->tls = tls;
	if (tls) {
		struct tls_ctx_opts to = {
		    .role = TLS_CLIENT,
		    .ca_file = o->ca_file,
		    .ca_dir = o->ca_dir,
		    .cert_file = o->cert_file,
		    .key_file = o->key_file,
		    .min_version = o->tls_min_version,
		};

		if (o->pin_sha256 && *o->pin_sha256) {
			if (tls_parse_sha256(o->pin_sha256, sk->pin) < 0) {
				diag_add(errs, o->config_path, 0, 0,
					 "output.pin_sha256: not a SHA-256 fingerprint (64 hex "
					 "digits, colons allowed)");
				goto out;
			}
			sk->have_pin = true;
		}
		r = tls_ctx_new(&to, &sk->ctx, errs);
		if (r < 0)
			goto out;
	}
	sink_encode_opts(&sk->eo, sk->hostname, sizeof(sk->hostname), o->hostname, o->facility,
			 o->enterprise_number, or_default(o->max_message_bytes, DEF_MAX_MESSAGE));
	sk->budget = o->max_queue_bytes ? o->max_queue_bytes : SIZE_MAX;
	sk->max_slots = sk->time_slots = 2 * (size_t)or_default(o->in_flight, 4096);
	if (sk->max_slots < sk->budget / 1024 && sk->budget != SIZE_MAX)
		sk->max_slots = sk->budget / 1024;
	sk->wcap = WBUF_TARGET;
	sk->wbuf = malloc(sk->wcap);
	r = -ENOMEM;
	if (!sk->wbuf || sink_resend_grow(sk) < 0)
		goto out;
	if (getrandom(&sk->rnd, sizeof(sk->rnd), GRND_NONBLOCK) != sizeof(sk->rnd))
		sk->rnd = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
	sk->rnd |= 1;
	sk->backoff_ms = or_default(o->backoff_min_ms, DEF_BACKOFF_MIN);
	if ((r = sd_event_add_defer(e, &sk->kick, on_kick, sk)) < 0 ||
	    (r = sd_event_source_set_enabled(sk->kick, SD_EVENT_OFF)) < 0 ||
	    (r = sd_event_add_time_relative(e, &sk->retry, CLOCK_MONOTONIC, 0, 1000, on_retry,
					    sk)) < 0 ||
	    (r = sd_event_source_set_enabled(sk->retry, SD_EVENT_OFF)) < 0 ||
	    (r = sd_event_add_time_relative(e, &sk->ack, CLOCK_MONOTONIC, ACK_POLL_USEC, 1000,
					    on_ack, sk)) < 0 ||
	    (r = sd_event_source_set_enabled(sk->ack, SD_EVENT_OFF)) < 0 ||
	    (r = sd_event_add_time_relative(
		 e, &sk->failback, CLOCK_MONOTONIC,
		 (uint64_t)or_default(o->failback_interval_s, DEF_FAILBACK_S) * 1000000, 1000000,
		 on_failback, sk)) < 0 ||
	    (r = sd_event_source_set_enabled(sk->failback, SD_EVENT_OFF)) < 0) {
		diag_add(errs, o->config_path, 0, 0, "output: cannot set up event sources: %s",
			 strerror(-r));
		goto out;
	}
	if (!tls)
		log_warnx("WARNING: output.type syslog-tcp: audit events go to %s:%u UNENCRYPTED "
			  "and UNAUTHENTICATED (output.allow_plaintext is true)",
			  o->collectors[0].host, o->collectors[0].port);
	start_main(sk);
	*ret = sk;
	sk = NULL;
	r = 0;
out:
	tls_close(sk);
	return r;
}

static int tls_open(const struct sink_options *o, sd_event *e, struct pipeline *pl,
		    struct counters *cnt, void **ret, struct diags *errs)
{
	return open_common(true, &o->tls, e, pl, cnt, ret, errs);
}

static int tcp_open(const struct sink_options *o, sd_event *e, struct pipeline *pl,
		    struct counters *cnt, void **ret, struct diags *errs)
{
	return open_common(false, &o->tls, e, pl, cnt, ret, errs);
}

const struct sink_ops sink_syslog_tls_ops = {
    .type = OUTPUT_SYSLOG_TLS,
    .name = "syslog-tls",
    .open = tls_open,
    .write = tls_write,
    .flush = tls_flush,
    .close = tls_close,
};

const struct sink_ops sink_syslog_tcp_ops = {
    .type = OUTPUT_SYSLOG_TCP,
    .name = "syslog-tcp",
    .open = tcp_open,
    .write = tls_write,
    .flush = tls_flush,
    .close = tls_close,
};
