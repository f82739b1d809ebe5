/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One connection to a collector: resolve, connect, TLS handshake, settle,
 * then bytes out; see collector_conn.h. Every stage runs from sd-event
 * callbacks with one timer per connection, re-armed for each stage.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "collector_conn.h"
#include "tcp_window.h"
#include "tls.h"

#define SETTLE_USEC	  200000
#define RESOLVE_POLL_USEC 10000

/*
 * C_SETTLE: the handshake is done but the owner is not told for
 * SETTLE_USEC. A TLS 1.3 server rejects a missing client certificate only
 * after the client's side of the handshake has completed, and rsyslog
 * checks PermittedPeer after its own; either closes the session at once.
 * Bytes sent before would be acknowledged by the collector's kernel and
 * then dropped.
 */
enum conn_state { C_RESOLVING, C_CONNECTING, C_HANDSHAKE, C_SETTLE, C_UP };

/*
 * One getaddrinfo_a request and the strings it points to. Two references:
 * the connection's and the completion notification's (a resolver thread),
 * so that a connection closed mid-resolution never frees what the
 * resolver still writes to.
 */
struct resolve {
	struct gaicb cb;
	struct addrinfo hints;
	atomic_int refs;
	char host[256];
	char port[8];
};

struct collector_conn {
	struct collector_conn_opts o;
	collector_conn_cb cb;
	void *userdata;
	enum conn_state state;
	int fd;
	SSL *ssl;
	uint64_t tcp_written;	/* plain TCP: bytes given to the kernel */
	uint64_t deadline_usec; /* connect_timeout_ms, resolution included */
	struct resolve *res;	/* while C_RESOLVING */
	sd_event_source *io, *timer;
};

static uint64_t now_usec(const struct collector_conn *c)
{
	uint64_t t = 0;

	sd_event_now(c->o.loop, CLOCK_MONOTONIC, &t);
	return t;
}

static void resolve_unref(struct resolve *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	if (gai_error(&r->cb) == 0 && r->cb.ar_result)
		freeaddrinfo(r->cb.ar_result);
	free(r);
}

static void resolve_notify(union sigval sv)
{
	resolve_unref(sv.sival_ptr);
}

static void resolve_abandon(struct resolve *r)
{
	if (gai_cancel(&r->cb) == EAI_CANCELED) {
		/* never started: no notification will come */
		free(r);
		return;
	}
	resolve_unref(r);
}

void collector_conn_free(struct collector_conn *c)
{
	if (!c)
		return;
	if (c->res)
		resolve_abandon(c->res);
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	if (c->ssl && c->state == C_UP)
		SSL_shutdown(c->ssl); /* close_notify, best effort: the socket is non-blocking */
	SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

bool collector_conn_is_up(const struct collector_conn *c)
{
	return c && c->state == C_UP;
}

/* Reports a failure; c may be gone afterwards. */
static void fail(struct collector_conn *c, const char *what, const char *why)
{
	c->cb(c, COLLECTOR_CONN_FAILED, what, why, c->userdata);
}

static void handshake_failed(struct collector_conn *c, const char *what, const char *why)
{
	if (c->o.cnt)
		c->o.cnt->handshake_failures++;
	fail(c, what, why);
}

static void set_io(struct collector_conn *c, uint32_t events)
{
	sd_event_source_set_io_events(c->io, events);
}

static void arm(struct collector_conn *c, uint64_t usec)
{
	sd_event_source_set_time_relative(c->timer, usec);
	sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

static void became_up(struct collector_conn *c)
{
	c->state = C_UP;
	sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
	set_io(c, EPOLLIN);
	c->cb(c, COLLECTOR_CONN_UP, NULL, NULL, c->userdata);
}

static void handshake(struct collector_conn *c)
{
	char why[512];
	int r, e;

	ERR_clear_error();
	r = SSL_connect(c->ssl);
	if (r == 1) {
		if (c->o.pin && !tls_peer_pin_matches(c->ssl, c->o.pin)) {
			handshake_failed(
			    c, "TLS handshake",
			    "certificate does not match output.pin_sha256: refusing to send");
			return;
		}
		c->state = C_SETTLE;
		set_io(c, EPOLLIN);
		arm(c, SETTLE_USEC);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		set_io(c, EPOLLIN);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		set_io(c, EPOLLOUT);
		return;
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	else
		tls_describe_error(c->ssl, why, sizeof(why));
	handshake_failed(c, "TLS handshake failed", why);
}

static void start_handshake(struct collector_conn *c)
{
	const char *name = c->o.peer_name && *c->o.peer_name ? c->o.peer_name : c->o.host;

	c->ssl = SSL_new(c->o.ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || tls_set_peer_name(c->ssl, name) < 0) {
		char why[256];

		tls_describe_error(NULL, why, sizeof(why));
		fail(c, "TLS setup", why);
		return;
	}
	c->state = C_HANDSHAKE;
	arm(c, (uint64_t)c->o.handshake_timeout_ms * 1000);
	handshake(c);
}

/*
 * Reads whatever the collector sends (TLS session tickets, alerts, EOF).
 * Returns 0, or -EPIPE with the reason in why when it closed the connection.
 */
static int drain_input(struct collector_conn *c, char *why, size_t whysize)
{
	char buf[4096];

	for (;;) {
		if (c->ssl) {
			int r, e;

			ERR_clear_error();
			r = SSL_read(c->ssl, buf, sizeof(buf));
			if (r > 0)
				continue;
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return 0;
			if (e == SSL_ERROR_ZERO_RETURN)
				snprintf(why, whysize, "collector closed the TLS session");
			else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
				snprintf(why, whysize, "%s",
					 errno ? strerror(errno) : "connection closed");
			else
				tls_describe_error(c->ssl, why, whysize);
			return -EPIPE;
		}
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		snprintf(why, whysize, "%s",
			 n == 0 ? "collector closed the connection" : strerror(errno));
		return -EPIPE;
	}
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct collector_conn *c = ud;
	char why[512], msg[800];
	int err = 0;
	socklen_t len = sizeof(err);

	switch (c->state) {
	case C_RESOLVING:
		return 0; /* no socket yet */
	case C_CONNECTING:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			fail(c, "connect", strerror(err));
			return 0;
		}
		if (c->o.ctx)
			start_handshake(c);
		else
			became_up(c);
		return 0;
	case C_HANDSHAKE:
		handshake(c);
		return 0;
	case C_SETTLE:
		if (drain_input(c, why, sizeof(why)) < 0) {
			snprintf(
			    msg, sizeof(msg),
			    "%s right after the handshake: the collector did not accept this "
			    "client (no client certificate configured, or not a permitted peer?)",
			    why);
			handshake_failed(c, "TLS session refused", msg);
		}
		return 0;
	case C_UP:
		if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
		    drain_input(c, why, sizeof(why)) < 0) {
			fail(c, "connection lost", why);
			return 0;
		}
		c->cb(c, COLLECTOR_CONN_WRITABLE, NULL, NULL, c->userdata);
		return 0;
	}
	return 0;
}

/* Opens the socket and starts a non-blocking connect to ai. */
static int conn_connect(struct collector_conn *c, const struct addrinfo *ai)
{
	int one = 1;

	c->state = C_CONNECTING;
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		return -errno;
	return sd_event_add_io(c->o.loop, &c->io, c->fd, EPOLLOUT, on_io, c);
}

/* A host name is being resolved: polled every RESOLVE_POLL_USEC until connect_timeout_ms. */
static void resolve_poll(struct collector_conn *c)
{
	struct addrinfo *ai;
	int r = gai_error(&c->res->cb);

	if (r == EAI_INPROGRESS) {
		if (now_usec(c) >= c->deadline_usec)
			fail(c, "resolve", "timed out");
		else
			arm(c, RESOLVE_POLL_USEC);
		return;
	}
	if (r != 0) {
		fail(c, "cannot resolve", gai_strerror(r));
		return;
	}
	ai = c->res->cb.ar_result;
	c->res->cb.ar_result = NULL;
	resolve_unref(c->res);
	c->res = NULL;
	r = conn_connect(c, ai);
	freeaddrinfo(ai);
	if (r < 0) {
		fail(c, "connect", strerror(-r));
		return;
	}
	/* what is left of connect_timeout_ms */
	sd_event_source_set_time(c->timer, c->deadline_usec);
	sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *ud)
{
	struct collector_conn *c = ud;

	switch (c->state) {
	case C_RESOLVING:
		resolve_poll(c);
		break;
	case C_CONNECTING:
		fail(c, "connect", "timed out");
		break;
	case C_HANDSHAKE:
		handshake_failed(c, "TLS handshake", "timed out: the collector did not answer");
		break;
	case C_SETTLE:
		became_up(c);
		break;
	case C_UP:
		break;
	}
	return 0;
}

static int start_resolve(struct collector_conn *c, const char *port)
{
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD};
	struct gaicb *list[1];
	struct resolve *r = calloc(1, sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	snprintf(r->host, sizeof(r->host), "%s", c->o.host);
	snprintf(r->port, sizeof(r->port), "%s", port);
	r->hints = (struct addrinfo){.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	r->cb = (struct gaicb){.ar_name = r->host, .ar_service = r->port, .ar_request = &r->hints};
	atomic_init(&r->refs, 2);
	sev.sigev_notify_function = resolve_notify;
	sev.sigev_value.sival_ptr = r;
	list[0] = &r->cb;
	e = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev);
	if (e != 0) {
		free(r);
		return e == EAI_MEMORY ? -ENOMEM : -EAGAIN;
	}
	c->res = r;
	c->state = C_RESOLVING;
	arm(c, RESOLVE_POLL_USEC);
	return 0;
}

int collector_conn_start(const struct collector_conn_opts *o, collector_conn_cb cb, void *userdata,
			 struct collector_conn **ret)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *ai = NULL;
	struct collector_conn *c = calloc(1, sizeof(*c));
	uint64_t timeout = (uint64_t)o->connect_timeout_ms * 1000;
	char port[8];
	int r;

	if (!c) {
		r = -ENOMEM;
		goto out;
	}
	c->o = *o;
	c->cb = cb;
	c->userdata = userdata;
	c->fd = -1;
	c->deadline_usec = now_usec(c) + timeout;
	r = sd_event_add_time_relative(o->loop, &c->timer, CLOCK_MONOTONIC, timeout, 1000, on_timer,
				       c);
	if (r < 0)
		goto out;
	snprintf(port, sizeof(port), "%u", o->port);
	/* A numeric address connects at once; a name goes to the resolver threads. */
	if (getaddrinfo(o->host, port, &hints, &ai) == 0)
		r = conn_connect(c, ai);
	else
		r = start_resolve(c, port);
	if (r < 0)
		goto out;
	*ret = c;
	c = NULL;
out:
	collector_conn_free(c);
	if (ai)
		freeaddrinfo(ai);
	return r < 0 ? r : 0;
}

ssize_t collector_conn_send(struct collector_conn *c, const void *p, size_t n, char *why,
			    size_t whysize)
{
	if (c->state != C_UP) {
		snprintf(why, whysize, "not connected");
		return -ENOTCONN;
	}
	if (c->ssl) {
		int r, e;

		ERR_clear_error();
		r = SSL_write(c->ssl, p, (int)(n > INT32_MAX ? INT32_MAX : n));
		if (r > 0)
			return r;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE) {
			set_io(c, EPOLLIN | EPOLLOUT);
			return -EAGAIN;
		}
		if (e == SSL_ERROR_WANT_READ) {
			set_io(c, EPOLLIN);
			return -EAGAIN;
		}
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			snprintf(why, whysize, "%s", errno ? strerror(errno) : "connection closed");
		else
			tls_describe_error(c->ssl, why, whysize);
		return -EPIPE;
	}
	ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w >= 0) {
		c->tcp_written += (uint64_t)w;
		return w;
	}
	if (errno == EAGAIN || errno == EINTR) {
		set_io(c, EPOLLIN | EPOLLOUT);
		return -EAGAIN;
	}
	snprintf(why, whysize, "%s", strerror(errno));
	return -errno;
}

void collector_conn_idle(struct collector_conn *c)
{
	if (c->state == C_UP)
		set_io(c, EPOLLIN);
}

int collector_conn_unacked(struct collector_conn *c, uint64_t *ret_written, uint64_t *ret_unacked)
{
	int outq = 0;

	if (c->fd < 0)
		return -ENOTCONN;
	if (ioctl(c->fd, SIOCOUTQ, &outq) < 0)
		return -errno;
	/* BIO_number_written counts what the socket BIO gave the kernel, records and all. */
	*ret_written = collector_conn_written(c);
	*ret_unacked = (uint64_t)(outq < 0 ? 0 : outq);
	return 0;
}

int collector_conn_peer_window(struct collector_conn *c, uint32_t *ret)
{
	if (c->fd < 0)
		return -ENOTCONN;
	return tcp_peer_window(c->fd, ret);
}

uint64_t collector_conn_written(const struct collector_conn *c)
{
	return c->ssl ? BIO_number_written(SSL_get_wbio(c->ssl)) : c->tcp_written;
}

const char *collector_conn_describe(const struct collector_conn *c, char *buf, size_t size)
{
	if (c->ssl)
		snprintf(buf, size, "%s %s", SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
	else
		snprintf(buf, size, "plain TCP");
	return buf;
}
