/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog source's stream connections (tcp:// and tls://): accepting
 * within max_connections, the TLS handshake and the permitted peers,
 * reading and framing, idle and oversize frames (see source_syslog.c).
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

#include "source_syslog_impl.h"

void syslog_conn_arm(struct conn *c)
{
	uint32_t ev = EPOLLIN | (c->want_write ? EPOLLOUT : 0);
	bool on = !c->s->paused && !c->eof;

	if (ev != c->events) {
		sd_event_source_set_io_events(c->io, ev);
		c->events = ev;
	}
	sd_event_source_set_enabled(c->io, on ? SD_EVENT_ON : SD_EVENT_OFF);
}

void syslog_conn_free(struct conn *c)
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
			syslog_drop(s, DROP_FRAMING);
			r = -1;
			break;
		}
		if (f.kind == SYSLOG_FRAME_MSG)
			syslog_handle_message(s, &c->origin, c->peer,
					      c->authenticated ? SSL_get0_peer_certificate(c->ssl)
							       : NULL,
					      c->buf + pos + f.off, f.len);
		else if (f.kind == SYSLOG_FRAME_DROPPED)
			syslog_drop(s, c->eof && pos + f.consumed == c->len && !c->fr.skip_line &&
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
	uint64_t now = syslog_now(s);
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
	X509 *cert;
	bool ok = false;

	if (s->o.n_permitted_peers == 0)
		return true;
	cert = SSL_get1_peer_certificate(ssl);
	if (!cert)
		return false;
	for (size_t i = 0; i < s->o.n_permitted_peers && !ok; i++)
		ok = syslog_cert_names(cert, s->o.permitted_peers[i]);
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
int syslog_conn_process(struct conn *c)
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
				syslog_conn_arm(c);
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
		/* Verified by the handshake, when one was asked for (tls.c fails it otherwise). */
		c->authenticated = SSL_get0_peer_certificate(c->ssl) != NULL;
		c->want_write = false;
	}
	/* Frames left from before a pause go first. */
	r = conn_drain(c);
	if (r < 0)
		goto close;
	for (int i = 0; i < READS_PER_WAKEUP && !s->paused && !c->eof; i++) {
		if (conn_grow(c) < 0) {
			syslog_drop(s, DROP_FRAMING);
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
		c->active_usec = syslog_now(s);
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
	syslog_conn_arm(c);
	return 0;
close:
	syslog_conn_free(c);
	return -1;
}

static int on_conn_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	syslog_conn_process(ud);
	return 0;
}

/* The sender's address as text: the host of messages with a nil HOSTNAME. */
void syslog_peer_name(const struct sockaddr_storage *sa, char buf[INET6_ADDRSTRLEN])
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
		syslog_drop(s, DROP_REFUSED);
		return;
	}
	c->s = s;
	c->l = l;
	c->fd = fd;
	c->origin.serial = ++s->serials;
	c->events = EPOLLIN;
	syslog_framer_init(&c->fr, s->max_frame);
	syslog_peer_name(sa, c->peer);
	c->active_usec = syslog_now(s);
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
	syslog_conn_arm(c);
	return;
fail:
	syslog_drop(s, DROP_REFUSED);
	syslog_conn_free(c);
}

/*
 * The connection to close for a new one at max_connections: the longest
 * idle, one without a verified certificate first (an anonymous flood
 * cannot push out the gateways), or NULL when there is none. The list is
 * newest first: of connections idle since the same loop turn, the oldest.
 */
static struct conn *longest_idle(struct source_syslog *s)
{
	struct conn *best = NULL;

	for (struct conn *c = s->conns; c; c = c->next)
		if (!best || (best->authenticated && !c->authenticated) ||
		    (best->authenticated == c->authenticated &&
		     c->active_usec <= best->active_usec))
			best = c;
	return best;
}

int syslog_on_accept(sd_event_source *es, int lfd, uint32_t revents, void *ud)
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
				s->accept_blocked_until = syslog_now(s) + EMFILE_PAUSE_USEC;
				sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
			}
			break;
		}
		if (s->n_conns >= s->max_conns) {
			struct conn *old = longest_idle(s);

			/* Silent connections must not hold every slot for good. */
			if (!old) {
				close(fd);
				syslog_drop(s, DROP_REFUSED);
				continue;
			}
			log_debug("syslog: %s: closing the longest-idle connection, from %s, for a "
				  "new one (max_connections)",
				  l->name, old->peer);
			syslog_conn_free(old);
			syslog_drop(s, DROP_EVICTED);
		}
		accept_one(l, fd, &sa);
	}
	return 0;
}
