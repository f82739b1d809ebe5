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
 * for TLS before the handshake and for any connection in the middle of a
 * frame; an authenticated TLS sender may stay quiet, TCP keepalive
 * finds out when it is gone). What is dropped
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

#define ACCEPT_BATCH	  64	     /* accepts per wakeup of a listener */
#define UDP_BATCH	  64	     /* datagrams per wakeup */
#define READS_PER_WAKEUP  16	     /* TLS records per wakeup of a connection */
#define BUF_INITIAL	  4096	     /* grown on demand up to the framer's need */
#define SWEEP_USEC	  1000000ull /* idle check */
#define HANDSHAKE_USEC	  10000000ull
#define EMFILE_PAUSE_USEC 1000000ull
#define DROP_LOG_USEC	  60000000ull
#define HS_LOG_USEC	  10000000ull

enum drop_reason {
	DROP_REFUSED,	/* connection past max_connections or out of descriptors */
	DROP_OVERSIZE,	/* frame past max_frame_bytes */
	DROP_PARTIAL,	/* frame cut short by the sender closing */
	DROP_FRAMING,	/* absurd length prefix: connection closed */
	DROP_BADMSG,	/* not a syslog message */
	DROP_OTHER_APP, /* not app_name's */
	DROP_KERNEL,	/* datagrams the kernel dropped: receive buffer full */
	DROP__MAX
};

static const char *const drop_names[] = {
    [DROP_REFUSED] = "refused connections",
    [DROP_OVERSIZE] = "oversize frames",
    [DROP_PARTIAL] = "partial frames",
    [DROP_FRAMING] = "bad length prefixes",
    [DROP_BADMSG] = "unparsable messages",
    [DROP_OTHER_APP] = "other programs' messages",
    [DROP_KERNEL] = "datagrams lost in a full receive buffer",
};
_Static_assert(sizeof(drop_names) / sizeof(drop_names[0]) == DROP__MAX,
	       "drop_names covers the enum");

struct source_syslog;

struct listener {
	struct source_syslog *s;
	enum syslog_transport transport;
	int fd;
	sd_event_source *io;
	char name[300];
	struct syslog_recent recent; /* udp */
	uint32_t kernel_drops;	     /* udp: the socket's drop count so far */
};

struct conn {
	struct source_syslog *s;
	struct listener *l;
	struct conn *prev, *next;
	int fd;
	sd_event_source *io;
	uint32_t events;
	SSL *ssl;
	bool handshaken, eof, want_write;
	char peer[INET6_ADDRSTRLEN];
	char *buf;
	size_t len, cap;
	struct syslog_framer fr;
	uint64_t active_usec; /* CLOCK_MONOTONIC of the last byte, or of the accept */
	struct syslog_recent recent;
};

struct source_syslog {
	const struct config *cfg;
	sd_event *e;
	struct pipeline *pl;
	struct counters *cnt;
	SSL_CTX *ssl_ctx;
	struct listener lst[CONFIG_LIST_MAX];
	size_t n_lst;
	struct conn *conns;
	unsigned n_conns, max_conns;
	size_t max_frame;
	uint64_t idle_usec, accept_blocked_until;
	sd_event_source *sweep, *resume;
	bool paused;
	struct syslog_to_record conv; /* its scratch: 3 * max_frame */
	char *dgram;		      /* one UDP datagram */
	uint64_t drops[DROP__MAX], drops_logged[DROP__MAX];
	uint64_t drops_log_usec, hs_log_usec;
	bool submit_failing;
};

static uint64_t now_mono(struct source_syslog *s)
{
	uint64_t t = 0;

	sd_event_now(s->e, CLOCK_MONOTONIC, &t);
	return t;
}

static void drop(struct source_syslog *s, enum drop_reason why)
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
static int handle_message(struct source_syslog *s, struct syslog_recent *recent, const char *peer,
			  const char *buf, size_t len)
{
	struct record rec;
	int r;

	r = syslog_to_record(&s->conv, buf, len, peer, util_now_usec(), recent, &rec);
	if (r < 0) {
		drop(s, r == -ENOENT ? DROP_OTHER_APP : DROP_BADMSG);
		return 1;
	}
	r = pipeline_submit(s->pl, &rec);
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

static void conn_arm(struct conn *c)
{
	uint32_t ev = EPOLLIN | (c->want_write ? EPOLLOUT : 0);
	bool on = !c->s->paused && !c->eof;

	if (ev != c->events) {
		sd_event_source_set_io_events(c->io, ev);
		c->events = ev;
	}
	sd_event_source_set_enabled(c->io, on ? SD_EVENT_ON : SD_EVENT_OFF);
}

static void conn_free(struct conn *c)
{
	struct source_syslog *s;

	if (!c)
		return;
	s = c->s;
	if (c->prev)
		c->prev->next = c->next;
	else if (s->conns == c)
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	sd_event_source_disable_unref(c->io);
	if (c->ssl) {
		if (c->handshaken)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

/*
 * Frames and submits what the buffer holds. Returns 1 when the buffer is
 * used up, 0 when paused, -1 when the connection must be closed.
 */
static int conn_drain(struct conn *c)
{
	struct source_syslog *s = c->s;
	struct syslog_frame f;
	size_t pos = 0;
	int r = 1;

	/* No buffer (given back while idle): nothing to frame. */
	if (c->len == 0)
		return s->paused ? 0 : 1;
	while (!s->paused) {
		syslog_framer_next(&c->fr, c->buf + pos, c->len - pos, c->eof, &f);
		if (f.kind == SYSLOG_FRAME_FATAL) {
			drop(s, DROP_FRAMING);
			r = -1;
			break;
		}
		if (f.kind == SYSLOG_FRAME_MSG)
			handle_message(s, &c->recent, c->peer, c->buf + pos + f.off, f.len);
		else if (f.kind == SYSLOG_FRAME_DROPPED)
			drop(s, c->eof && pos + f.consumed == c->len && !c->fr.skip_line &&
					!c->fr.skip_left
				    ? DROP_PARTIAL
				    : DROP_OVERSIZE);
		pos += f.consumed;
		if (f.kind == SYSLOG_FRAME_MORE && f.consumed == 0)
			break;
	}
	if (pos > 0) {
		memmove(c->buf, c->buf + pos, c->len - pos);
		c->len -= pos;
	}
	/* An idle connection gives its buffer back. */
	if (c->len == 0 && c->cap > BUF_INITIAL) {
		free(c->buf);
		c->buf = NULL;
		c->cap = 0;
	}
	if (r < 0)
		return r;
	return s->paused ? 0 : 1;
}

static int conn_grow(struct conn *c)
{
	size_t want = syslog_framer_buffer_size(&c->fr), cap;
	char *p;

	if (c->len < c->cap)
		return 0;
	if (c->cap >= want)
		return -ENOBUFS;
	cap = c->cap ? c->cap * 2 : BUF_INITIAL;
	if (cap > want)
		cap = want;
	p = realloc(c->buf, cap);
	if (!p)
		return -ENOMEM;
	c->buf = p;
	c->cap = cap;
	return 0;
}

/* Counts a refused TLS peer; says why at most every HS_LOG_USEC (a scan must not flood the log). */
static void handshake_failed(struct conn *c, const char *what)
{
	struct source_syslog *s = c->s;
	uint64_t now = now_mono(s);
	char why[256];

	s->cnt->handshake_failures++;
	if (!what)
		what = tls_describe_error(c->ssl, why, sizeof(why));
	else
		ERR_clear_error();
	if (s->hs_log_usec && now < s->hs_log_usec + HS_LOG_USEC)
		return;
	s->hs_log_usec = now;
	log_warnx("syslog: %s: TLS peer %s refused: %s", c->l->name, c->peer, what);
}

static bool peer_permitted(struct source_syslog *s, SSL *ssl)
{
	const struct str_list *pp = &s->cfg->source.syslog.permitted_peers;
	X509 *cert;
	bool ok = false;

	if (pp->n == 0)
		return true;
	cert = SSL_get1_peer_certificate(ssl);
	if (!cert)
		return false;
	/* A DNS or IP SAN, or the CN even when the certificate has DNS SANs. */
	for (size_t i = 0; i < pp->n && !ok; i++)
		ok = tls_cert_matches_name(cert, pp->v[i]) ||
		     X509_check_host(cert, pp->v[i], 0,
				     X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT |
					 X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
				     NULL) == 1;
	X509_free(cert);
	return ok;
}

/* Reads once. Returns bytes read, 0 at EOF, -EAGAIN, or another -errno. */
static ssize_t conn_read_once(struct conn *c)
{
	ssize_t n;
	int r, err;

	if (!c->ssl) {
		do
			n = read(c->fd, c->buf + c->len, c->cap - c->len);
		while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : n;
	}
	c->want_write = false;
	r = SSL_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
	if (r > 0)
		return r;
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ)
		return -EAGAIN;
	if (err == SSL_ERROR_WANT_WRITE) {
		c->want_write = true;
		return -EAGAIN;
	}
	if (err == SSL_ERROR_ZERO_RETURN)
		return 0;
	ERR_clear_error();
	return -EPROTO;
}

/* Handshake, then reads and drains. Returns 0, or -1 when c was freed. */
static int conn_process(struct conn *c)
{
	struct source_syslog *s = c->s;
	ssize_t n;
	int r;

	if (c->ssl && !c->handshaken) {
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int err = SSL_get_error(c->ssl, r);

			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				c->want_write = err == SSL_ERROR_WANT_WRITE;
				conn_arm(c);
				return 0;
			}
			handshake_failed(c, NULL);
			goto close;
		}
		if (!peer_permitted(s, c->ssl)) {
			handshake_failed(c, "certificate names no permitted peer");
			goto close;
		}
		c->handshaken = true;
		c->want_write = false;
	}
	/* Frames left from before a pause go first. */
	r = conn_drain(c);
	if (r < 0)
		goto close;
	for (int i = 0; i < READS_PER_WAKEUP && !s->paused && !c->eof; i++) {
		if (conn_grow(c) < 0) {
			drop(s, DROP_FRAMING);
			goto close;
		}
		n = conn_read_once(c);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			/* A reset or a TLS error: what was read is framed as if at EOF. */
			log_debug("syslog: %s: %s: %s", c->l->name, c->peer, strerror((int)-n));
			n = 0;
		}
		if (n == 0)
			c->eof = true;
		else
			c->len += (size_t)n;
		c->active_usec = now_mono(s);
		r = conn_drain(c);
		if (r < 0)
			goto close;
		/* Plain TCP: epoll says when there is more. TLS may hold decrypted bytes. */
		if (!c->ssl)
			break;
	}
	if (c->eof && c->len == 0)
		goto close;
	if (c->ssl && !s->paused && !c->eof && SSL_has_pending(c->ssl))
		sd_event_source_set_enabled(s->resume, SD_EVENT_ONESHOT);
	conn_arm(c);
	return 0;
close:
	conn_free(c);
	return -1;
}

static int on_conn_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	conn_process(ud);
	return 0;
}

/* The sender's address as text: the host of messages with a nil HOSTNAME. */
static void peer_name(const struct sockaddr_storage *sa, char buf[INET6_ADDRSTRLEN])
{
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
			  INET6_ADDRSTRLEN);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  INET6_ADDRSTRLEN);
}

/* Dead peers of quiet connections: probes after idle_s, 4 more at idle_s / 4 (at least 1 s). */
static void keepalive(int fd, uint64_t idle_s)
{
	int on = 1, idle = (int)(idle_s ? idle_s : 1), intvl = idle / 4 ? idle / 4 : 1, cnt = 4;

	/* Best effort: without it, only the idle timeout of unauthenticated peers applies. */
	(void)(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == 0 &&
	       setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) == 0 &&
	       setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) == 0 &&
	       setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) == 0);
}

static void accept_one(struct listener *l, int fd, const struct sockaddr_storage *sa)
{
	struct source_syslog *s = l->s;
	struct conn *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		close(fd);
		drop(s, DROP_REFUSED);
		return;
	}
	c->s = s;
	c->l = l;
	c->fd = fd;
	c->events = EPOLLIN;
	syslog_framer_init(&c->fr, s->max_frame);
	peer_name(sa, c->peer);
	c->active_usec = now_mono(s);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	if (l->transport == SYSLOG_TLS) {
		c->ssl = SSL_new(s->ssl_ctx);
		if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
			ERR_clear_error();
			goto fail;
		}
		SSL_set_accept_state(c->ssl);
	}
	keepalive(fd, s->idle_usec / 1000000);
	r = sd_event_add_io(s->e, &c->io, fd, EPOLLIN, on_conn_io, c);
	if (r < 0)
		goto fail;
	s->cnt->connections++;
	conn_arm(c);
	return;
fail:
	drop(s, DROP_REFUSED);
	conn_free(c);
}

static int on_accept(sd_event_source *es, int lfd, uint32_t revents, void *ud)
{
	struct listener *l = ud;
	struct source_syslog *s = l->s;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		int fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of descriptors: the kernel keeps the queue; wait a second. */
				log_warn("syslog: %s: accept", l->name);
				s->accept_blocked_until = now_mono(s) + EMFILE_PAUSE_USEC;
				sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
			}
			break;
		}
		if (s->n_conns >= s->max_conns) {
			close(fd);
			drop(s, DROP_REFUSED);
			continue;
		}
		accept_one(l, fd, &sa);
	}
	return 0;
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
			drop(s, DROP_OVERSIZE);
			continue;
		}
		while (n > 0 && (s->dgram[n - 1] == '\n' || s->dgram[n - 1] == '\0' ||
				 s->dgram[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		peer_name(&sa, peer);
		handle_message(s, &l->recent, peer, s->dgram, (size_t)n);
	}
	udp_kernel_drops(l);
	return 0;
}

static void arm_all(struct source_syslog *s)
{
	bool blocked = now_mono(s) < s->accept_blocked_until;

	for (size_t i = 0; i < s->n_lst; i++) {
		/* At max_connections a listener still accepts: to close and count. */
		bool on = !s->paused && (s->lst[i].transport == SYSLOG_UDP || !blocked);

		sd_event_source_set_enabled(s->lst[i].io, on ? SD_EVENT_ON : SD_EVENT_OFF);
	}
	for (struct conn *c = s->conns; c; c = c->next)
		conn_arm(c);
}

/* After a pause: the frames buffered (and TLS bytes decrypted) go first, then the sockets. */
static int on_resume(sd_event_source *es, void *ud)
{
	struct source_syslog *s = ud;
	struct conn *c, *next;
	uint64_t now = now_mono(s);

	for (c = s->conns; c && !s->paused; c = next) {
		next = c->next;
		/* Time spent paused is ours, not the sender's idleness. */
		c->active_usec = now;
		if (c->len || c->eof || (c->ssl && c->handshaken && SSL_has_pending(c->ssl)))
			conn_process(c);
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
		 * An authenticated TLS sender between frames may stay quiet:
		 * rsyslog's TLS output does not notice a connection we closed
		 * and loses its next write. TCP keepalive finds dead ones.
		 */
		if (c->ssl && c->handshaken && c->len == 0 && !c->fr.skip_left && !c->fr.skip_line)
			continue;
		if (!s->paused && usec > c->active_usec + limit) {
			log_debug("syslog: %s: closing idle connection from %s", c->l->name,
				  c->peer);
			conn_free(c);
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

static void syslog_pause(void *p, bool paused)
{
	struct source_syslog *s = p;

	s->paused = paused;
	if (paused)
		arm_all(s);
	else
		sd_event_source_set_enabled(s->resume, SD_EVENT_ONESHOT);
}

static void syslog_delivered(void *p, uint64_t upto)
{
	/* Nothing to move: a syslog sender keeps no position we could resume from. */
}

static int syslog_commit(void *p)
{
	return 0;
}

static void syslog_close(void *p)
{
	struct source_syslog *s = p;

	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
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

static int listener_open(struct source_syslog *s, const char *spec, struct diags *errs)
{
	struct listener *l = &s->lst[s->n_lst];
	struct syslog_listen la;
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai = NULL;
	int r, fd = -1, one = 1;

	*l = (struct listener){.s = s, .fd = -1};
	if (syslog_listen_parse(spec, &la) < 0) {
		diag_add(errs, s->cfg->path, 0, 0,
			 "source.syslog.listen: \"%s\" is not tls://, tcp:// or udp://ADDR:PORT",
			 spec);
		return -EINVAL;
	}
	snprintf(l->name, sizeof(l->name), "%s", spec);
	l->transport = la.transport;
	hints.ai_socktype = la.transport == SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	r = getaddrinfo(la.host[0] ? la.host : NULL, la.port, &hints, &ai);
	if (r != 0) {
		diag_add(errs, s->cfg->path, 0, 0, "source.syslog.listen: %s: %s", spec,
			 gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    (la.transport != SYSLOG_UDP && listen(fd, SOMAXCONN) < 0)) {
		r = -errno;
		diag_add(errs, s->cfg->path, 0, 0, "source.syslog.listen: %s: %s", spec,
			 strerror(-r));
		goto out;
	}
	r = sd_event_add_io(s->e, &l->io, fd, EPOLLIN,
			    la.transport == SYSLOG_UDP ? on_udp : on_accept, l);
	if (r < 0) {
		diag_add(errs, s->cfg->path, 0, 0, "source.syslog.listen: %s: %s", spec,
			 strerror(-r));
		goto out;
	}
	l->fd = fd;
	fd = -1;
	s->n_lst++;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return r;
}

static int tls_setup(struct source_syslog *s, struct diags *errs)
{
	const typeof(s->cfg->source.syslog) *sc = &s->cfg->source.syslog;
	struct tls_ctx_opts o = {
	    .role = TLS_SERVER,
	    .ca_file = sc->ca_file,
	    .cert_file = sc->cert_file,
	    .key_file = sc->key_file,
	    /* permitted_peers cannot be checked without a certificate: demand one. */
	    .verify_peer = sc->require_client_cert || sc->permitted_peers.n > 0,
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

static int syslog_open(const struct config *cfg, sd_event *e, struct pipeline *pl,
		       struct counters *cnt, void **ret, struct diags *errs)
{
	const struct str_list *listen = &cfg->source.syslog.listen;
	struct source_syslog *s;
	bool tls = false;
	int r;

	if (!e) {
		diag_add(errs, cfg->path, 0, 0, "source syslog needs the daemon's event loop");
		return -EINVAL;
	}
	if (listen->n == 0) {
		diag_add(errs, cfg->path, 0, 0, "source.syslog.listen: no address to listen on");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->e = e;
	s->pl = pl;
	s->cnt = cnt;
	s->max_frame =
	    cfg->source.syslog.max_frame_bytes ? cfg->source.syslog.max_frame_bytes : 65536;
	s->max_conns =
	    cfg->source.syslog.max_connections ? cfg->source.syslog.max_connections : 1000;
	s->idle_usec =
	    (uint64_t)(cfg->source.syslog.idle_timeout_s ? cfg->source.syslog.idle_timeout_s
							 : 300) *
	    1000000;
	s->conv.app_name = cfg->source.syslog.app_name ? cfg->source.syslog.app_name : "pluto";
	s->conv.max_line = cfg->limits.max_line_bytes ? cfg->limits.max_line_bytes : 65536;
	s->conv.scratch_size = 3 * s->max_frame;
	s->conv.scratch = malloc(s->conv.scratch_size);
	s->dgram = malloc(s->max_frame);
	if (!s->conv.scratch || !s->dgram) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < listen->n; i++)
		tls |= strncmp(listen->v[i], "tls://", 6) == 0;
	if (tls) {
		r = tls_setup(s, errs);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < listen->n; i++) {
		r = listener_open(s, listen->v[i], errs);
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
	if (r < 0 && errs->n == 0)
		diag_add(errs, cfg->path, 0, 0, "source syslog: %s", strerror(-r));
	syslog_close(s);
	return r;
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
