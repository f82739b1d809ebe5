/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog source: ikelogd as the forwarding target of the gateways'
 * rsyslog. It listens on every source.syslog.listen address (tls://,
 * tcp://, udp://), frames each TCP/TLS stream per frame (octet-counted or
 * newline-framed), parses the RFC 5424 or RFC 3164 header, keeps only the
 * messages of source.syslog.app_name and hands their body to the pipeline
 * with the sender's HOSTNAME, time and pid.
 *
 * Everything is bounded: connections (max_connections, further accepts
 * are closed), bytes buffered per connection (max_frame_bytes: a longer
 * frame is discarded whole), idle time (idle_timeout_s: for plain TCP,
 * for TLS before the handshake or without a client certificate, and for
 * any connection in the middle of a frame; a TLS sender authenticated by
 * its certificate may stay quiet, TCP keepalive finds out when it is
 * gone). At max_connections the longest-idle connection (one without a
 * certificate first) is closed to admit a new one. What is dropped
 * is counted in input_dropped. When the pipeline is full the sockets are
 * no longer read, so TCP pushes back on the senders; nothing received is
 * dropped for that. There is no position to persist: a sender cannot be
 * asked to send again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "source.h"
#include "syslog_parse.h"
#include "tls.h"
#include "util.h"

#include "source_syslog_impl.h"

static const char *const drop_names[] = {
    [DROP_REFUSED] = "refused connections",
    [DROP_OVERSIZE] = "oversize frames",
    [DROP_PARTIAL] = "partial frames",
    [DROP_FRAMING] = "bad length prefixes",
    [DROP_BADMSG] = "unparsable messages",
    [DROP_OTHER_APP] = "other programs' messages",
    [DROP_KERNEL] = "datagrams lost in a full receive buffer",
    [DROP_EVICTED] = "idle connections closed to admit a new one (max_connections)",
    [DROP_HOST] = "messages whose HOSTNAME the sender's certificate does not name",
};
_Static_assert(sizeof(drop_names) / sizeof(drop_names[0]) == DROP__MAX,
	       "drop_names covers the enum");

uint64_t syslog_now(struct source_syslog *s)
{
	uint64_t t = 0;

	sd_event_now(s->e, CLOCK_MONOTONIC, &t);
	return t;
}

void syslog_drop(struct source_syslog *s, enum drop_reason why)
{
	s->drops[why]++;
	s->cnt->input_dropped++;
}

/* One line per minute at most, summing what was dropped since the last one. */
static void log_drops(struct source_syslog *s, uint64_t now)
{
	char buf[512];
	size_t off = 0;

	if (now < s->drops_log_usec + DROP_LOG_USEC)
		return;
	for (int i = 0; i < DROP__MAX; i++) {
		uint64_t n = s->drops[i] - s->drops_logged[i];

		if (n && off < sizeof(buf))
			off +=
			    (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%llu %s",
					     off ? ", " : "", (unsigned long long)n, drop_names[i]);
		s->drops_logged[i] = s->drops[i];
	}
	if (off) {
		log_warnx("syslog: dropped %s", buf);
		s->drops_log_usec = now;
	}
}

/*
 * One received message: parse, filter, sanitize, submit. Returns 1 to go
 * on, 0 when the pipeline paused us.
 */
bool syslog_cert_names(X509 *cert, const char *name)
{
	return tls_cert_matches_name(cert, name) ||
	       X509_check_host(cert, name, 0,
			       X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT |
				   X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
			       NULL) == 1;
}

int syslog_handle_message(struct source_syslog *s, struct syslog_origin *origin, const char *peer,
			  X509 *cert, const char *buf, size_t len)
{
	struct record rec;
	int r;

	r = syslog_to_record(&s->conv, buf, len, peer, util_now_usec(), origin, &rec);
	if (r < 0) {
		syslog_drop(s, r == -ENOENT ? DROP_OTHER_APP : DROP_BADMSG);
		return 1;
	}
	/*
	 * platform.host, the correlation namespace and the event follow
	 * HOSTNAME: a relaying sender must not speak for another gateway.
	 */
	if (s->o.host_from_cert && (!cert || !syslog_cert_names(cert, rec.host))) {
		syslog_drop(s, DROP_HOST);
		return 1;
	}
	r = s->submit(s->submit_ud, &rec);
	if (r < 0) {
		/* As the other sources do: counted, logged once per run of failures. */
		s->cnt->source_errors++;
		if (!s->submit_failing)
			log_warnx("syslog: messages not processed: %s (counted in source_errors)",
				  strerror(-r));
	}
	s->submit_failing = r < 0;
	return r == 0 ? 0 : 1;
}

/*
 * Datagrams the kernel dropped because the receive buffer was full (we
 * were paused, or slow) are lost to us but not uncounted: the socket's
 * drop counter (SO_MEMINFO) goes into input_dropped.
 */
static void udp_kernel_drops(struct listener *l)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	if (getsockopt(l->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof(mi[0]))
		return;
	l->s->drops[DROP_KERNEL] += (uint32_t)(mi[SK_MEMINFO_DROPS] - l->kernel_drops);
	l->s->cnt->input_dropped += (uint32_t)(mi[SK_MEMINFO_DROPS] - l->kernel_drops);
	l->kernel_drops = mi[SK_MEMINFO_DROPS];
}

static int on_udp(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct listener *l = ud;
	struct source_syslog *s = l->s;

	for (int i = 0; i < UDP_BATCH && !s->paused; i++) {
		struct sockaddr_storage sa;
		char peer[INET6_ADDRSTRLEN] = "";
		socklen_t salen = sizeof(sa);
		ssize_t n =
		    recvfrom(fd, s->dgram, s->max_frame, MSG_TRUNC, (struct sockaddr *)&sa, &salen);

		if (n < 0)
			break;
		if ((size_t)n > s->max_frame) {
			syslog_drop(s, DROP_OVERSIZE);
			continue;
		}
		while (n > 0 && (s->dgram[n - 1] == '\n' || s->dgram[n - 1] == '\0' ||
				 s->dgram[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		syslog_peer_name(&sa, peer);
		syslog_handle_message(s, &l->origin, peer, NULL, s->dgram, (size_t)n);
	}
	udp_kernel_drops(l);
	return 0;
}

static void arm_all(struct source_syslog *s)
{
	bool blocked = syslog_now(s) < s->accept_blocked_until;

	for (size_t i = 0; i < s->n_lst; i++) {
		/* At max_connections a listener still accepts: to close and count. */
		bool on = !s->paused && (s->lst[i].transport == SYSLOG_UDP || !blocked);

		sd_event_source_set_enabled(s->lst[i].io, on ? SD_EVENT_ON : SD_EVENT_OFF);
	}
	for (struct conn *c = s->conns; c; c = c->next)
		syslog_conn_arm(c);
}

/* After a pause: the frames buffered (and TLS bytes decrypted) go first, then the sockets. */
static int on_resume(sd_event_source *es, void *ud)
{
	struct source_syslog *s = ud;
	struct conn *c, *next;
	uint64_t now = syslog_now(s);

	for (c = s->conns; c && !s->paused; c = next) {
		next = c->next;
		/* Time spent paused is ours, not the sender's idleness. */
		c->active_usec = now;
		if (c->len || c->eof || (c->ssl && c->handshaken && SSL_has_pending(c->ssl)))
			syslog_conn_process(c);
	}
	arm_all(s);
	return 0;
}

static int on_sweep(sd_event_source *es, uint64_t usec, void *ud)
{
	struct source_syslog *s = ud;
	struct conn *c, *next;

	for (c = s->conns; c; c = next) {
		uint64_t limit = s->idle_usec;

		next = c->next;
		if (c->ssl && !c->handshaken && HANDSHAKE_USEC < limit)
			limit = HANDSHAKE_USEC;
		/*
		 * A TLS sender authenticated by its certificate, between
		 * frames, may stay quiet: rsyslog's TLS output does not notice
		 * a connection we closed and loses its next write. TCP
		 * keepalive finds dead ones. An anonymous one (no client
		 * certificate asked) is as cheap to open as plain TCP and is
		 * closed like it, or a few silent ones would hold every slot.
		 */
		if (c->authenticated && c->len == 0 && !c->fr.skip_left && !c->fr.skip_line)
			continue;
		if (!s->paused && usec > c->active_usec + limit) {
			log_debug("syslog: %s: closing idle connection from %s", c->l->name,
				  c->peer);
			syslog_conn_free(c);
		}
	}
	if (!s->paused)
		arm_all(s);
	for (size_t i = 0; i < s->n_lst; i++)
		if (s->lst[i].transport == SYSLOG_UDP)
			udp_kernel_drops(&s->lst[i]);
	log_drops(s, usec);
	sd_event_source_set_time(es, usec + SWEEP_USEC);
	return 0;
}

void syslog_receiver_pause(struct source_syslog *s, bool paused)
{

	s->paused = paused;
	if (paused)
		arm_all(s);
	else
		sd_event_source_set_enabled(s->resume, SD_EVENT_ONESHOT);
}

static void syslog_pause(void *p, bool paused)
{
	syslog_receiver_pause(p, paused);
}

static void syslog_close(void *p)
{
	syslog_receiver_close(p);
}

static void syslog_delivered(void *p, uint64_t upto)
{
	/* Nothing to move: a syslog sender keeps no position we could resume from. */
}

static int syslog_commit(void *p)
{
	return 0;
}

void syslog_receiver_close(struct source_syslog *s)
{
	if (!s)
		return;
	while (s->conns)
		syslog_conn_free(s->conns);
	for (size_t i = 0; i < s->n_lst; i++) {
		sd_event_source_disable_unref(s->lst[i].io);
		if (s->lst[i].fd >= 0)
			close(s->lst[i].fd);
	}
	sd_event_source_disable_unref(s->sweep);
	sd_event_source_disable_unref(s->resume);
	SSL_CTX_free(s->ssl_ctx);
	free(s->conv.scratch);
	free(s->dgram);
	free(s);
}

int syslog_listen_bind(const char *spec, const char *path, int *ret_fd, struct diags *errs)
{
	struct syslog_listen la;
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai = NULL;
	int r, fd = -1, one = 1;

	if (syslog_listen_parse(spec, &la) < 0) {
		diag_add(errs, path, 0, 0,
			 "source.syslog.listen: \"%s\" is not tls://, tcp:// or udp://ADDR:PORT",
			 spec);
		return -EINVAL;
	}
	hints.ai_socktype = la.transport == SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	r = getaddrinfo(la.host[0] ? la.host : NULL, la.port, &hints, &ai);
	if (r != 0) {
		diag_add(errs, path, 0, 0, "source.syslog.listen: %s: %s", spec, gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    (la.transport != SYSLOG_UDP && listen(fd, SOMAXCONN) < 0)) {
		r = -errno;
		diag_add(errs, path, 0, 0, "source.syslog.listen: %s: %s", spec, strerror(-r));
		goto out;
	}
	*ret_fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return r;
}

/* Listens on spec: on fd when one was handed over (taken), else on a socket bound here. */
static int listener_open(struct source_syslog *s, const char *spec, int fd, struct diags *errs)
{
	struct listener *l = &s->lst[s->n_lst];
	struct syslog_listen la;
	int r;

	*l = (struct listener){.s = s, .fd = -1, .origin = {.serial = ++s->serials}};
	if (fd < 0) {
		r = syslog_listen_bind(spec, s->o.path, &fd, errs);
		if (r < 0)
			return r;
	}
	if (syslog_listen_parse(spec, &la) < 0) {
		diag_add(errs, s->o.path, 0, 0, "source.syslog.listen: \"%s\": bad address", spec);
		r = -EINVAL;
		goto out;
	}
	snprintf(l->name, sizeof(l->name), "%s", spec);
	l->transport = la.transport;
	r = sd_event_add_io(s->e, &l->io, fd, EPOLLIN,
			    la.transport == SYSLOG_UDP ? on_udp : syslog_on_accept, l);
	if (r < 0) {
		diag_add(errs, s->o.path, 0, 0, "source.syslog.listen: %s: %s", spec, strerror(-r));
		goto out;
	}
	l->fd = fd;
	fd = -1;
	s->n_lst++;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int tls_setup(struct source_syslog *s, struct diags *errs)
{
	struct tls_ctx_opts o = {
	    .role = TLS_SERVER,
	    .ca_file = s->o.ca_file,
	    .cert_file = s->o.cert_file,
	    .key_file = s->o.key_file,
	    /* permitted_peers cannot be checked without a certificate: demand one. */
	    .verify_peer = s->o.require_client_cert || s->o.n_permitted_peers > 0,
	};
	int r;

	r = tls_ctx_new(&o, &s->ssl_ctx, errs);
	if (r < 0)
		return r;
	/* Idle connections hold no TLS buffers; rsyslog often closes without close_notify. */
	SSL_CTX_set_mode(s->ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(s->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	return 0;
}

int syslog_receiver_open(const struct receiver_options *o, const int *fds, sd_event *e,
			 syslog_submit_fn submit, void *submit_ud, struct counters *cnt,
			 struct source_syslog **ret, struct diags *errs)
{
	struct source_syslog *s;
	struct rlimit nofile;
	bool tls = false;
	size_t n_fds = fds ? o->n_listen : 0, taken = 0;
	int r;

	if (!e) {
		diag_add(errs, o->path, 0, 0, "source syslog needs the daemon's event loop");
		r = -EINVAL;
		goto fail;
	}
	if (o->n_listen == 0) {
		diag_add(errs, o->path, 0, 0, "source.syslog.listen: no address to listen on");
		r = -EINVAL;
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = -ENOMEM;
		goto fail;
	}
	s->o = *o;
	s->e = e;
	s->submit = submit;
	s->submit_ud = submit_ud;
	s->cnt = cnt;
	s->max_frame = o->max_frame_bytes ? o->max_frame_bytes : 65536;
	s->max_conns = o->max_connections ? o->max_connections : 1000;
	/*
	 * Past the descriptor limit accept() fails, and with it the
	 * collector socket, the position file and a reload: keep a reserve.
	 */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
	    syslog_max_connections(s->max_conns, nofile.rlim_cur) < s->max_conns) {
		unsigned max = syslog_max_connections(s->max_conns, nofile.rlim_cur);

		log_warnx("syslog: max_connections %u is more than the descriptor limit %llu "
			  "allows (%u kept for ikelogd's own files): using %u",
			  s->max_conns, (unsigned long long)nofile.rlim_cur, SYSLOG_FD_RESERVE,
			  max);
		s->max_conns = max;
	}
	s->idle_usec = (uint64_t)(o->idle_timeout_s ? o->idle_timeout_s : 300) * 1000000;
	s->conv.app_name = o->app_name ? o->app_name : "pluto";
	s->conv.max_line = o->max_line_bytes ? o->max_line_bytes : 65536;
	s->conv.scratch_size = 3 * s->max_frame;
	s->conv.scratch = malloc(s->conv.scratch_size);
	s->dgram = malloc(s->max_frame);
	if (!s->conv.scratch || !s->dgram) {
		r = -ENOMEM;
		goto out;
	}
	/*
	 * Received messages' event_ids start with this, so that the
	 * serials and ordinals, which restart with the source, never give
	 * an id of an earlier run again.
	 */
	if (getrandom(&s->conv.instance, sizeof(s->conv.instance), 0) !=
	    (ssize_t)sizeof(s->conv.instance)) {
		r = -errno;
		diag_add(errs, o->path, 0, 0, "source syslog: no random instance id: %s",
			 strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < o->n_listen; i++)
		tls |= strncmp(o->listen[i], "tls://", 6) == 0;
	if (tls) {
		r = tls_setup(s, errs);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < o->n_listen; i++) {
		taken = i + 1;
		r = listener_open(s, o->listen[i], i < n_fds ? fds[i] : -1, errs);
		if (r < 0)
			goto out;
	}
	r = sd_event_add_defer(e, &s->resume, on_resume, s);
	if (r < 0)
		goto out;
	sd_event_source_set_enabled(s->resume, SD_EVENT_OFF);
	r = sd_event_add_time_relative(e, &s->sweep, CLOCK_MONOTONIC, SWEEP_USEC, 0, on_sweep, s);
	if (r < 0)
		goto out;
	sd_event_source_set_enabled(s->sweep, SD_EVENT_ON);
	for (size_t i = 0; i < s->n_lst; i++)
		log_info("syslog: listening on %s", s->lst[i].name);
	*ret = s;
	return 0;
out:
	syslog_receiver_close(s);
fail:
	/* The descriptors not yet taken are still ours to close. */
	for (size_t i = taken; i < n_fds; i++)
		close(fds[i]);
	if (r < 0 && errs->n == 0)
		diag_add(errs, o->path, 0, 0, "source syslog: %s", strerror(-r));
	return r;
}

/* In this process: each record goes straight to the pipeline. */
static int submit_pipeline(void *ud, struct record *rec)
{
	return pipeline_submit(ud, rec);
}

static int syslog_open(const struct source_options *o, sd_event *e, struct pipeline *pl,
		       struct counters *cnt, void **ret, struct diags *errs)
{
	return syslog_receiver_open(&o->syslog, NULL, e, submit_pipeline, pl, cnt,
				    (struct source_syslog **)ret, errs);
}

const struct source_ops source_syslog_ops = {
    .type = SOURCE_SYSLOG,
    .name = "syslog",
    .open = syslog_open,
    .pause = syslog_pause,
    .delivered = syslog_delivered,
    .commit = syslog_commit,
    .close = syslog_close,
};
