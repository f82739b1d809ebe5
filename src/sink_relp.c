/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RELP output (librelp): every event is sent as one RELP "syslog" frame
 * holding its RFC 5424 message, and its record is reported delivered
 * only once the collector has answered that frame: with rsyslog's imrelp
 * configured as conf/collector/rsyslog-relp.conf, once it was written.
 *
 * librelp's client is blocking: relpCltConnect resolves, connects, shakes
 * hands and waits for the answer to "open"; relpCltSendSyslog waits while
 * its window is full; closing waits for the answer to "close". So librelp
 * runs on a sender thread of this sink (sink_relp_sender.c), never on the
 * sd-event loop: the loop (and the watchdog) only copies events into a
 * queue under a mutex, and is woken through an eventfd when frames are
 * acknowledged. How long the thread can block inside librelp: a send or a
 * close up to write_timeout_ms (rounded up to seconds, librelp's unit);
 * the TCP connect up to connect_timeout_ms, the answer to "open" up to
 * write_timeout_ms; but librelp 1.11 does the TLS handshake on a blocking
 * socket without any timeout, so a collector whose kernel accepts
 * connections while the process does not answer (stopped, hung) holds the
 * thread until it answers or dies (measured: 15.6 s, from the send's
 * timeout until a SIGSTOPped rsyslog was killed). Meanwhile events queue
 * up to limits.in_flight and the source pauses: nothing is lost, but
 * failover to the next collector waits as well. We do not interrupt that
 * handshake (a signal would make librelp resume it non-blocking and could
 * send "open" before its peer name check). sink_relp_close() waits
 * CLOSE_WAIT_MS for the thread and then leaves it to the process's exit
 * (the position is saved before).
 *
 * What is acknowledged (relp_window.h): librelp has no per-frame callback
 * for "syslog" answers. It sends a frame only while fewer than `window`
 * frames are unanswered, and a collector (librelp's server, imrelp)
 * answers one session's frames in order; so after each successful send
 * every frame but the newest `window` is acknowledged. The newest ones
 * are acknowledged when the stream pauses (LINGER_MS without a new event):
 * the session is then closed, and a "close" answered with no error
 * reported by librelp (relpEngineSetOnErr) means every frame before it
 * was answered. We rely on librelp 1.11's relpSessCltDoDisconnect calling
 * the error callback on a failure of that wait; it does on a timeout, EOF
 * or read error, but not in two cases, where frames would be taken as
 * acknowledged without being so: the collector answers "close" with a
 * malformed frame, or sends "serverclose" (imrelp shutting down) instead
 * of the answer while frames of ours sit unread in its socket. The frames
 * are then at least LINGER_MS old, so the second needs a collector that
 * stops reading for that long and shuts down during our close.
 *
 * A frame answered with an error code (librelp's onErr with
 * RELP_RET_RSP_STATE_ERR; librelp's own server never does it) has left
 * librelp's list, so the session is dropped and every frame not proven
 * acknowledged is sent again by us.
 *
 * Resending: when a send fails with one collector configured, the
 * session is reopened with relpCltReconnect(), retried with backoff until
 * it works: librelp then sends again, itself, exactly the frames of its
 * list that were not answered, and nothing else (a collector that wrote a
 * frame and died before answering it gets it twice). With several
 * collectors one such attempt is made; then the session is dropped, and
 * the frames we cannot prove acknowledged (at most `window`) go again on
 * the next session, to whichever collector takes it: at most one window
 * of duplicates per lost session (counted in resent).
 *
 * Collectors are tried in order with exponential backoff and jitter after
 * a full round; while on a later one, the first is tried again at the
 * first pause (or send) after failback_interval_s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <librelp.h>

#include "encode.h"
#include "log.h"
#include "relp_window.h"
#include "sink.h"
#include "signer.h"
#include "sink_relp.h"
#include "sink_relp_impl.h"
#include "util.h"

#define DEF_MAX_MESSAGE 65536
#define DEF_WINDOW	128

/* On the loop: frames were acknowledged, or counters moved. */
static int on_efd(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct sink_relp *s = ud;
	uint64_t v, seq = 0, now = 0;
	size_t freed, queued;
	bool have;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("relp: eventfd");
	pthread_mutex_lock(&s->mu);
	have = s->have_acked;
	seq = s->acked_seq;
	s->have_acked = false;
	s->cnt->sent += s->d_sent;
	s->cnt->acknowledged += s->d_acked;
	s->cnt->resent += s->d_resent;
	s->cnt->reconnects += s->d_reconnects;
	s->cnt->handshake_failures += s->d_refused;
	s->d_sent = s->d_acked = s->d_resent = s->d_reconnects = s->d_refused = 0;
	freed = s->w.freed;
	s->w.freed = 0;
	queued = relp_window_len(&s->w);
	pthread_mutex_unlock(&s->mu);
	if (have)
		pipeline_delivered(s->pl, seq);
	/* A burst of large events would otherwise leave the heap at its peak. */
	sd_event_now(s->loop, CLOCK_MONOTONIC, &now);
	util_trim_note(&s->trim, freed, now, queued == 0);
	return 0;
}

int sink_relp_write(struct sink_relp *s, uint64_t seq, const struct event *ev, const char *json,
		    size_t len)
{
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
	struct signer_call call;
	bool truncated = false;
	ssize_t n;
	char *buf;
	int r;

	signer_attach(&in, &call, pipeline_signer(s->pl), seq);
	n = encode_rfc5424(&s->eo, &in, s->scratch, s->scratch_cap, &truncated);
	if (n < 0)
		return (int)n;
	if (truncated)
		s->cnt->truncated++;
	buf = malloc((size_t)n ? (size_t)n : 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, s->scratch, (size_t)n);
	pthread_mutex_lock(&s->mu);
	r = relp_window_push(&s->w, seq, buf, (size_t)n);
	if (r == 0)
		pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (r < 0)
		free(buf);
	return r;
}

int sink_relp_flush(struct sink_relp *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = relp_window_len(&s->w);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return n ? -EAGAIN : 0;
}

void sink_relp_close(struct sink_relp *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		bool done;

		pthread_mutex_lock(&s->mu);
		s->stop = true;
		__atomic_store_n(&s->shutdown, 1, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&s->cv);
		for (unsigned i = 0; i < CLOSE_WAIT_MS / 100 && !s->done; i++)
			sink_relp_timed_wait(s, 100);
		done = s->done;
		pthread_mutex_unlock(&s->mu);
		if (!done) {
			/*
			 * Inside librelp: a TLS handshake on a blocking socket (no
			 * timeout in librelp 1.11) or a wait for window space. The
			 * position is saved already; leave the thread and its state
			 * to the process's exit rather than hang the stop.
			 */
			log_warnx("relp: the sender is still blocked in librelp after %d ms; "
				  "leaving it to the exit",
				  CLOSE_WAIT_MS);
			pthread_detach(s->thread);
			return;
		}
		pthread_join(s->thread, NULL);
	}
	if (s->engine)
		relpEngineDestruct(&s->engine);
	sd_event_source_disable_unref(s->efd_src);
	if (s->efd >= 0)
		close(s->efd);
	relp_window_done(&s->w);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	for (size_t i = 0; i < s->n_coll; i++)
		free(s->coll[i].host);
	free(s->ca_file);
	free(s->cert_file);
	free(s->key_file);
	free(s->server_name);
	free(s->scratch);
	free(s);
}

static unsigned or_default(unsigned v, unsigned def)
{
	return v ? v : def;
}

/* Milliseconds to librelp's whole seconds, rounded up, at least 1. */
static unsigned to_seconds(unsigned ms)
{
	return ms ? (ms + 999) / 1000 : 1;
}

static char *dup_or_null(const char *p, bool *ok)
{
	char *d;

	if (!p || !*p)
		return NULL;
	d = strdup(p);
	if (!d)
		*ok = false;
	return d;
}

/* Copies the options and checks what the config loader cannot. */
static int take_options(struct sink_relp *s, const struct sink_relp_options *o, struct diags *errs)
{
	const char *path = o->config_path;
	bool ok = true;

	if (o->n_collectors == 0 || o->n_collectors > SINK_COLLECTORS_MAX) {
		diag_add(errs, path, 0, 0,
			 "output.collectors: at least one is required (at most %d)",
			 SINK_COLLECTORS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->n_collectors; i++) {
		const struct sink_collector *k = &o->collectors[i];

		if (!k->host || !*k->host || k->port == 0 || k->port > 65535) {
			diag_add(errs, path, 0, 0,
				 "output.collectors[%zu]: needs host and a port 1..65535", i);
			return -EINVAL;
		}
		s->coll[i].host = dup_or_null(k->host, &ok);
		snprintf(s->coll[i].port, sizeof(s->coll[i].port), "%u", k->port);
		s->n_coll++;
	}
	if (o->facility < 0 || o->facility > 23) {
		diag_add(errs, path, 0, 0, "output.facility: %d is not 0..23", o->facility);
		return -EINVAL;
	}
	s->tls = o->tls;
	if (s->tls) {
		if (!o->ca_file || !*o->ca_file || !o->cert_file || !*o->cert_file ||
		    !o->key_file || !*o->key_file) {
			diag_add(errs, path, 0, 0,
				 "output: relp over TLS needs ca_file, cert_file and key_file");
			return -EINVAL;
		}
		for (const char *const *f =
			 (const char *const[]){o->ca_file, o->cert_file, o->key_file, NULL};
		     *f; f++)
			if (access(*f, R_OK) < 0) {
				diag_add(errs, path, 0, 0, "output: cannot read %s: %s", *f,
					 strerror(errno));
				return -EINVAL;
			}
		s->ca_file = dup_or_null(o->ca_file, &ok);
		s->cert_file = dup_or_null(o->cert_file, &ok);
		s->key_file = dup_or_null(o->key_file, &ok);
		s->server_name = dup_or_null(o->server_name, &ok);
		snprintf(s->tls_cmd, sizeof(s->tls_cmd), "MinProtocol=TLSv%s",
			 o->tls_min_version && strcmp(o->tls_min_version, "1.3") == 0 ? "1.3"
										      : "1.2");
	}
	if (!ok)
		return -ENOMEM;
	s->connect_s = to_seconds(o->connect_timeout_ms);
	s->timeout_s = to_seconds(o->write_timeout_ms);
	s->backoff_min_ms = or_default(o->backoff_min_ms, 500);
	s->backoff_max_ms = or_default(o->backoff_max_ms, 30000);
	if (s->backoff_max_ms < s->backoff_min_ms)
		s->backoff_max_ms = s->backoff_min_ms;
	s->backoff_ms = s->backoff_min_ms;
	s->failback_s = or_default(o->failback_interval_s, 60);
	s->window = o->window >= 2 ? o->window : DEF_WINDOW;
	sink_encode_opts(&s->eo, s->hostname, sizeof(s->hostname), o->hostname, o->facility,
			 o->enterprise_number, or_default(o->max_message_bytes, DEF_MAX_MESSAGE));
	return 0;
}

int sink_relp_open(const struct sink_relp_options *o, sd_event *e, struct pipeline *pl,
		   struct counters *cnt, struct sink_relp **ret, struct diags *errs)
{
	struct sink_relp *s = NULL;
	relpRetVal rr;
	int r = -EINVAL;

	if (!e) {
		diag_add(
		    errs, o->config_path, 0, 0,
		    "output relp needs the daemon's event loop; use stdout for one-shot tools");
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	s->efd = -1;
	pthread_mutex_init(&s->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	s->loop = e;
	s->pl = pl;
	s->cnt = cnt;
	r = take_options(s, o, errs);
	if (r < 0)
		goto out;
	relp_window_init(&s->w, s->window);
	s->scratch_cap = s->eo.max_message_bytes;
	s->scratch = malloc(s->scratch_cap);
	if (!s->scratch) {
		r = -ENOMEM;
		goto out;
	}
	if (getrandom(&s->rnd, sizeof(s->rnd), GRND_NONBLOCK) != sizeof(s->rnd))
		s->rnd = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
	s->rnd |= 1;

	r = -EINVAL;
	if ((rr = relpEngineConstruct(&s->engine)) != RELP_RET_OK) {
		diag_add(errs, o->config_path, 0, 0, "output: librelp: cannot start (%d)", (int)rr);
		goto out;
	}
	relpEngineSetDbgprint(s->engine, sink_relp_dbgprint);
	/* The client offers only the commands enabled here; "syslog" is all we send. */
	if ((rr = relpEngineSetEnableCmd(s->engine, (unsigned char *)"syslog",
					 eRelpCmdState_Required)) != RELP_RET_OK) {
		diag_add(errs, o->config_path, 0, 0, "output: librelp: cannot enable syslog (%d)",
			 (int)rr);
		goto out;
	}
	relpEngineSetShutdownImmdtPtr(s->engine, &s->shutdown);
	relpEngineSetOnErr(s->engine, sink_relp_on_err);
	relpEngineSetOnAuthErr(s->engine, sink_relp_on_auth_err);
	if (s->tls && (rr = relpEngineSetTLSLibByName(s->engine, "openssl")) != RELP_RET_OK) {
		diag_add(errs, o->config_path, 0, 0,
			 "output: this librelp has no OpenSSL TLS (%d); refusing to send in clear "
			 "text",
			 (int)rr);
		goto out;
	}
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0) {
		r = -errno;
		goto out;
	}
	r = sd_event_add_io(e, &s->efd_src, s->efd, EPOLLIN, on_efd, s);
	if (r < 0) {
		diag_add(errs, o->config_path, 0, 0, "output: cannot set up event sources: %s",
			 strerror(-r));
		goto out;
	}
	r = util_thread_start(&s->thread, sink_relp_sender, s);
	if (r < 0) {
		diag_add(errs, o->config_path, 0, 0, "output: cannot start the RELP thread: %s",
			 strerror(-r));
		goto out;
	}
	s->thread_started = true;
	if (!s->tls)
		log_warnx("WARNING: output.type relp-tcp: audit events go to %s:%s UNENCRYPTED "
			  "and UNAUTHENTICATED (output.allow_plaintext is true)",
			  s->coll[0].host, s->coll[0].port);
	*ret = s;
	s = NULL;
	r = 0;
out:
	sink_relp_close(s);
	return r;
}

/* The sink_ops adapters: the options come from the config loader, once. */
static int relp_ops_open(const struct sink_options *o, sd_event *e, struct pipeline *pl,
			 struct counters *cnt, void **ret, struct diags *errs)
{
	struct sink_relp *s = NULL;
	int r;

	r = sink_relp_open(&o->relp, e, pl, cnt, &s, errs);
	if (r == 0)
		*ret = s;
	return r;
}

static int relp_ops_write(void *s, uint64_t seq, const struct event *ev, const char *json,
			  size_t len)
{
	return sink_relp_write(s, seq, ev, json, len);
}

static int relp_ops_flush(void *s)
{
	return sink_relp_flush(s);
}

static void relp_ops_close(void *s)
{
	sink_relp_close(s);
}

const struct sink_ops sink_relp_ops = {
    .type = OUTPUT_RELP,
    .name = "relp",
    .open = relp_ops_open,
    .write = relp_ops_write,
    .flush = relp_ops_flush,
    .close = relp_ops_close,
};

const struct sink_ops sink_relp_tcp_ops = {
    .type = OUTPUT_RELP_TCP,
    .name = "relp-tcp",
    .open = relp_ops_open,
    .write = relp_ops_write,
    .flush = relp_ops_flush,
    .close = relp_ops_close,
};
