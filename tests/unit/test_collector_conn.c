/* SPDX-License-Identifier: Apache-2.0 */
/*
 * collector_conn against real sockets on loopback, with a real OpenSSL
 * server driven from the same sd-event loop: plain TCP up, send and
 * acknowledgement; connection refused; a silent server's handshake
 * timeout; a TLS server whose certificate matches (up, bytes arrive) or
 * does not match the pin (refused, counted); names resolved by the
 * resolver threads, names that do not resolve, IPv6; certificates from a
 * test CA that verify, and ones that must not (another CA, another name,
 * expired, not yet valid); a server that refuses the client after the
 * handshake; a connect that never completes; a full socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "collector_conn.h"
#include "tls.h"
#include "tls_harness.h"

struct seen {
	int up, failed;
	char what[128], why[512];
	struct collector_conn *c;
};

static void on_event(struct collector_conn *c, enum collector_conn_event ev, const char *what,
		     const char *why, void *ud)
{
	struct seen *s = ud;

	if (ev == COLLECTOR_CONN_UP)
		s->up++;
	if (ev == COLLECTOR_CONN_FAILED) {
		s->failed++;
		snprintf(s->what, sizeof(s->what), "%s", what);
		snprintf(s->why, sizeof(s->why), "%s", why);
		collector_conn_free(c);
		s->c = NULL;
	}
}

/* A listening socket on 127.0.0.1; returns its fd and port. */
static int listener(unsigned *port, bool do_listen)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_plain_tcp(void **state)
{
	sd_event *e = NULL;
	struct counters cnt = {0};
	struct seen s = {0};
	unsigned port;
	int lfd = listener(&port, true), afd;
	struct collector_conn_opts o = {.loop = NULL,
					.host = "127.0.0.1",
					.connect_timeout_ms = 2000,
					.handshake_timeout_ms = 2000,
					.cnt = &cnt};
	char why[256], buf[16] = "";
	uint64_t written = 0, unacked = 1;

	assert_int_equal(sd_event_new(&e), 0);
	o.loop = e;
	o.port = port;
	assert_int_equal(collector_conn_start(&o, on_event, &s, &s.c), 0);
	RUN_UNTIL(e, s.up || s.failed, 2000);
	assert_int_equal(s.up, 1);
	assert_int_equal(s.failed, 0);
	assert_true(collector_conn_is_up(s.c));
	assert_string_equal(collector_conn_describe(s.c, why, sizeof(why)), "plain TCP");
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(collector_conn_send(s.c, "hello", 5, why, sizeof(why)), 5);
	assert_int_equal(read(afd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	for (int i = 0; i < 100 && unacked; i++) {
		assert_int_equal(collector_conn_unacked(s.c, &written, &unacked), 0);
		if (unacked)
			usleep(10000);
	}
	assert_int_equal(written, 5);
	assert_int_equal(unacked, 0);
	/* the peer closes: the next event reports the loss */
	close(afd);
	RUN_UNTIL(e, s.failed, 2000);
	assert_int_equal(s.failed, 1);
	assert_string_equal(s.what, "connection lost");
	assert_string_equal(s.why, "collector closed the connection");
	close(lfd);
	sd_event_unref(e);
}

static void test_refused(void **state)
{
	sd_event *e = NULL;
	struct seen s = {0};
	unsigned port;
	int fd = listener(&port, false); /* bound, never listening: connections are refused */
	struct collector_conn_opts o = {.host = "127.0.0.1",
					.port = port,
					.connect_timeout_ms = 2000,
					.handshake_timeout_ms = 2000};
	int r;

	assert_int_equal(sd_event_new(&e), 0);
	o.loop = e;
	r = collector_conn_start(&o, on_event, &s, &s.c);
	if (r == 0) {
		RUN_UNTIL(e, s.failed, 2000);
		assert_int_equal(s.failed, 1);
		assert_string_equal(s.what, "connect");
		assert_string_equal(s.why, strerror(ECONNREFUSED));
	} else {
		assert_int_equal(r, -ECONNREFUSED);
	}
	assert_int_equal(s.up, 0);
	close(fd);
	sd_event_unref(e);
}

static void test_handshake_timeout(void **state)
{
	sd_event *e = NULL;
	struct counters cnt = {0};
	struct seen s = {0};
	unsigned port;
	int lfd = listener(&port, true); /* the kernel accepts; nobody answers */
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct collector_conn_opts o = {.host = "127.0.0.1",
					.ctx = ctx,
					.connect_timeout_ms = 2000,
					.handshake_timeout_ms = 200,
					.cnt = &cnt};

	assert_int_equal(sd_event_new(&e), 0);
	o.loop = e;
	o.port = port;
	assert_int_equal(collector_conn_start(&o, on_event, &s, &s.c), 0);
	RUN_UNTIL(e, s.failed, 3000);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.up, 0);
	assert_string_equal(s.what, "TLS handshake");
	assert_string_equal(s.why, "timed out: the collector did not answer");
	assert_int_equal(cnt.handshake_failures, 1);
	close(lfd);
	SSL_CTX_free(ctx);
	sd_event_unref(e);
}

/* A TLS server on the loop: accepts one connection, handshakes, collects what it reads. */
struct server {
	SSL_CTX *ctx;
	SSL *ssl;
	int lfd, fd;
	sd_event_source *lsrc, *src;
	char got[64];
	size_t n;
};

static int on_server_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct server *sv = ud;
	int r;

	if (!SSL_is_init_finished(sv->ssl)) {
		r = SSL_accept(sv->ssl);
		if (r <= 0) {
			int err = SSL_get_error(sv->ssl, r);

			if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
				sd_event_source_set_enabled(es, SD_EVENT_OFF);
			ERR_clear_error();
			return 0;
		}
	}
	while ((r = SSL_read(sv->ssl, sv->got + sv->n, (int)(sizeof(sv->got) - 1 - sv->n))) > 0)
		sv->n += (size_t)r;
	ERR_clear_error();
	return 0;
}

static int on_server_accept(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct server *sv = ud;

	sv->fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(sv->fd >= 0);
	sv->ssl = SSL_new(sv->ctx);
	SSL_set_fd(sv->ssl, sv->fd);
	assert_int_equal(sd_event_add_io(sd_event_source_get_event(es), &sv->src, sv->fd, EPOLLIN,
					 on_server_io, sv),
			 0);
	sd_event_source_set_enabled(es, SD_EVENT_OFF);
	return 0;
}

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"collector", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* One TLS connection to an in-process server; pin_ok chooses the right or a wrong pin. */
static void tls_case(bool pin_ok)
{
	sd_event *e = NULL;
	struct counters cnt = {0};
	struct seen s = {0};
	struct server sv = {.fd = -1};
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = self_signed(key);
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	unsigned char pin[32];
	unsigned pinlen = 0;
	unsigned port;
	char why[256];
	struct collector_conn_opts o = {.host = "127.0.0.1",
					.ctx = cctx,
					.pin = pin,
					.connect_timeout_ms = 2000,
					.handshake_timeout_ms = 2000,
					.cnt = &cnt};

	assert_int_equal(sd_event_new(&e), 0);
	sv.ctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(sv.ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(sv.ctx, key), 1);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), cert), 1);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	assert_int_equal(X509_digest(cert, EVP_sha256(), pin, &pinlen), 1);
	if (!pin_ok)
		pin[0] ^= 1;
	sv.lfd = listener(&port, true);
	assert_int_equal(sd_event_add_io(e, &sv.lsrc, sv.lfd, EPOLLIN, on_server_accept, &sv), 0);
	o.loop = e;
	o.port = port;
	assert_int_equal(collector_conn_start(&o, on_event, &s, &s.c), 0);
	RUN_UNTIL(e, s.up || s.failed, 3000);
	if (pin_ok) {
		assert_int_equal(s.up, 1);
		assert_int_equal(cnt.handshake_failures, 0);
		assert_non_null(strstr(collector_conn_describe(s.c, why, sizeof(why)), "TLSv1.3"));
		assert_int_equal(
		    collector_conn_send(s.c, "<13>1 - - - - - -", 17, why, sizeof(why)), 17);
		RUN_UNTIL(e, sv.n >= 17, 2000);
		assert_int_equal(sv.n, 17);
		assert_memory_equal(sv.got, "<13>1 - - - - - -", 17);
		collector_conn_free(s.c);
	} else {
		assert_int_equal(s.up, 0);
		assert_int_equal(s.failed, 1);
		assert_string_equal(s.what, "TLS handshake");
		assert_non_null(strstr(s.why, "pin_sha256"));
		assert_int_equal(cnt.handshake_failures, 1);
		assert_int_equal(sv.n, 0);
	}
	sd_event_source_disable_unref(sv.lsrc);
	sd_event_source_disable_unref(sv.src);
	SSL_free(sv.ssl);
	if (sv.fd >= 0)
		close(sv.fd);
	close(sv.lfd);
	SSL_CTX_free(sv.ctx);
	SSL_CTX_free(cctx);
	X509_free(cert);
	EVP_PKEY_free(key);
	sd_event_unref(e);
}

static void test_tls_pinned(void **state)
{
	tls_case(true);
}

static void test_tls_pin_mismatch(void **state)
{
	tls_case(false);
}

/* One connection attempt to a plain TCP server on loopback; host names the server. */
static void plain_case(const char *host, bool v6, struct seen *s)
{
	sd_event *e = NULL;
	struct th_server sv;
	struct collector_conn_opts o = {
	    .host = host, .connect_timeout_ms = 3000, .handshake_timeout_ms = 2000};
	int r;

	assert_int_equal(sd_event_new(&e), 0);
	r = th_server_start(&sv, e, NULL, v6);
	if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
		sd_event_unref(e);
		skip(); /* no ::1 on this machine */
	}
	assert_int_equal(r, 0);
	o.loop = e;
	o.port = sv.port;
	assert_int_equal(collector_conn_start(&o, on_event, s, &s->c), 0);
	RUN_UNTIL(e, s->up || s->failed, 3000);
	if (s->up) {
		char why[128];

		assert_int_equal(collector_conn_send(s->c, "x", 1, why, sizeof(why)), 1);
		RUN_UNTIL(e, sv.n >= 1, 2000);
		assert_int_equal(sv.n, 1);
		collector_conn_free(s->c);
	}
	th_server_stop(&sv);
	sd_event_unref(e);
}

/* A name goes through getaddrinfo_a; localhost is in /etc/hosts. */
static void test_resolve_name(void **state)
{
	struct seen s = {0};

	plain_case("localhost", false, &s);
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.up, 1);
}

static void test_ipv6_numeric(void **state)
{
	struct seen s = {0};

	plain_case("::1", true, &s);
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.up, 1);
}

/* .invalid never resolves (RFC 6761); without a resolver it may time out instead. */
static void test_resolve_fails(void **state)
{
	sd_event *e = NULL;
	struct seen s = {0};
	struct collector_conn_opts o = {.host = "collector.ikelogd-test.invalid",
					.port = 6514,
					.connect_timeout_ms = 1500,
					.handshake_timeout_ms = 1000};
	char why[64];
	uint64_t w, u;

	assert_int_equal(sd_event_new(&e), 0);
	o.loop = e;
	assert_int_equal(collector_conn_start(&o, on_event, &s, &s.c), 0);
	/* nothing to send to yet */
	assert_false(collector_conn_is_up(s.c));
	assert_int_equal(collector_conn_send(s.c, "x", 1, why, sizeof(why)), -ENOTCONN);
	assert_string_equal(why, "not connected");
	assert_int_equal(collector_conn_unacked(s.c, &w, &u), -ENOTCONN);
	RUN_UNTIL(e, s.failed, 3000);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.up, 0);
	if (strcmp(s.what, "resolve") == 0)
		assert_string_equal(s.why, "timed out");
	else
		assert_string_equal(s.what, "cannot resolve");
	sd_event_unref(e);
}

/* A connection freed while its name is being resolved: nothing is reported. */
static void test_resolve_abandoned(void **state)
{
	sd_event *e = NULL;
	struct seen s = {0};
	struct collector_conn_opts o = {.host = "localhost",
					.port = 9,
					.connect_timeout_ms = 1000,
					.handshake_timeout_ms = 1000};

	assert_int_equal(sd_event_new(&e), 0);
	o.loop = e;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(collector_conn_start(&o, on_event, &s, &s.c), 0);
		collector_conn_free(s.c);
	}
	RUN_UNTIL(e, false, 100);
	assert_int_equal(s.up + s.failed, 0);
	sd_event_unref(e);
}

/*
 * The accept queue of a listen(fd, 0) socket holds one connection: a
 * second connect gets no answer and times out.
 */
static void test_connect_timeout(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	sd_event *e = NULL;
	struct seen first = {0}, s = {0};
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct collector_conn_opts o = {
	    .host = "127.0.0.1", .connect_timeout_ms = 300, .handshake_timeout_ms = 1000};

	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(sd_event_new(&e), 0);
	o.loop = e;
	o.port = ntohs(a.sin_port);
	assert_int_equal(collector_conn_start(&o, on_event, &first, &first.c), 0);
	RUN_UNTIL(e, first.up, 1000);
	assert_int_equal(first.up, 1);
	assert_int_equal(collector_conn_start(&o, on_event, &s, &s.c), 0);
	RUN_UNTIL(e, s.up || s.failed, 2000);
	assert_int_equal(s.up, 0);
	assert_int_equal(s.failed, 1);
	assert_string_equal(s.what, "connect");
	assert_string_equal(s.why, "timed out");
	collector_conn_free(first.c);
	close(lfd);
	sd_event_unref(e);
}

/* A collector that stops reading: -EAGAIN, then WRITABLE once it reads again. */
struct writable {
	struct seen s;
	int writable;
};

static void on_event_w(struct collector_conn *c, enum collector_conn_event ev, const char *what,
		       const char *why, void *ud)
{
	struct writable *w = ud;

	if (ev == COLLECTOR_CONN_WRITABLE)
		w->writable++;
	on_event(c, ev, what, why, &w->s);
}

static void test_socket_full(void **state)
{
	sd_event *e = NULL;
	struct th_server sv;
	struct writable w = {0};
	struct collector_conn_opts o = {
	    .host = "127.0.0.1", .connect_timeout_ms = 2000, .handshake_timeout_ms = 2000};
	static char block[65536];
	char why[128];
	size_t sent = 0;
	ssize_t n = 0;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(th_server_start(&sv, e, NULL, false), 0);
	sv.reading = false;
	o.loop = e;
	o.port = sv.port;
	assert_int_equal(collector_conn_start(&o, on_event_w, &w, &w.s.c), 0);
	RUN_UNTIL(e, w.s.up && sv.accepted, 2000);
	assert_int_equal(w.s.up, 1);
	memset(block, 'a', sizeof(block));
	for (int i = 0; i < 10000; i++) {
		n = collector_conn_send(w.s.c, block, sizeof(block), why, sizeof(why));
		if (n < 0)
			break;
		sent += (size_t)n;
	}
	assert_int_equal(n, -EAGAIN);
	assert_true(sent > 0);
	assert_int_equal(collector_conn_written(w.s.c), sent);
	w.writable = 0;
	th_server_resume(&sv);
	RUN_UNTIL(e, w.writable > 0, 3000);
	assert_true(w.writable > 0);
	RUN_UNTIL(e, sv.n == sent, 3000);
	assert_int_equal(sv.n, sent);
	collector_conn_free(w.s.c);
	th_server_stop(&sv);
	sd_event_unref(e);
}

/*
 * Certificates from a test CA, checked by the production client context
 * (tls_ctx_new with ca_file). The CA and certificates live for the test
 * run, in one temp directory.
 */
static struct {
	char dir[64], ca[96], other_ca[96];
	struct test_cert ca_cert, other;
} pki;

static int pki_setup(void **state)
{
	snprintf(pki.dir, sizeof(pki.dir), "/tmp/test_collector_conn.XXXXXX");
	if (!mkdtemp(pki.dir))
		return -1;
	snprintf(pki.ca, sizeof(pki.ca), "%s/ca.pem", pki.dir);
	snprintf(pki.other_ca, sizeof(pki.other_ca), "%s/other-ca.pem", pki.dir);
	pki.ca_cert = th_cert("ikelogd test CA", NULL, -3600, 86400, NULL);
	pki.other = th_cert("another CA", NULL, -3600, 86400, NULL);
	th_write_pem(&pki.ca_cert, pki.ca, NULL);
	th_write_pem(&pki.other, pki.other_ca, NULL);
	return 0;
}

static int pki_teardown(void **state)
{
	unlink(pki.ca);
	unlink(pki.other_ca);
	rmdir(pki.dir);
	th_cert_free(&pki.ca_cert);
	th_cert_free(&pki.other);
	return 0;
}

struct verify_case {
	const char *san;	   /* the server certificate's */
	long from_s, to_s;	   /* its validity, relative to now */
	bool other_issuer;	   /* signed by a CA the client does not trust */
	const char *peer_name;	   /* output.server_name; NULL: the host, 127.0.0.1 */
	bool client_cert_required; /* the server refuses clients without a certificate */
};

/* Connects with the production client context; returns what happened in s. */
static void verify_case(const struct verify_case *vc, struct seen *s, struct counters *cnt)
{
	struct test_cert leaf = th_cert("collector.test", vc->san, vc->from_s, vc->to_s,
					vc->other_issuer ? &pki.other : &pki.ca_cert);
	struct tls_ctx_opts co = {.role = TLS_CLIENT, .ca_file = pki.ca, .min_version = "1.2"};
	struct diags errs = {0};
	SSL_CTX *cctx = NULL, *sctx = th_server_ctx(&leaf);
	sd_event *e = NULL;
	struct th_server sv;
	struct collector_conn_opts o = {.host = "127.0.0.1",
					.peer_name = vc->peer_name,
					.connect_timeout_ms = 2000,
					.handshake_timeout_ms = 2000,
					.cnt = cnt};

	if (vc->client_cert_required) {
		SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		assert_int_equal(
		    X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), pki.ca_cert.cert), 1);
	}
	assert_int_equal(tls_ctx_new(&co, &cctx, &errs), 0);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(th_server_start(&sv, e, sctx, false), 0);
	o.loop = e;
	o.ctx = cctx;
	o.port = sv.port;
	assert_int_equal(collector_conn_start(&o, on_event, s, &s->c), 0);
	RUN_UNTIL(e, s->up || s->failed, 3000);
	if (s->up) {
		char why[128];

		assert_int_equal(collector_conn_send(s->c, "<14>1 ok", 8, why, sizeof(why)), 8);
		RUN_UNTIL(e, sv.n >= 8, 2000);
		assert_int_equal(sv.n, 8);
		assert_memory_equal(sv.got, "<14>1 ok", 8);
		collector_conn_free(s->c);
	} else {
		/* what the collector got before the refusal: nothing */
		RUN_UNTIL(e, false, 50);
		assert_int_equal(sv.n, 0);
	}
	th_server_stop(&sv);
	sd_event_unref(e);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	th_cert_free(&leaf);
}

static void expect_refused(const struct verify_case *vc, const char *what, const char *why)
{
	struct counters cnt = {0};
	struct seen s = {0};

	verify_case(vc, &s, &cnt);
	assert_int_equal(s.up, 0);
	assert_int_equal(s.failed, 1);
	assert_string_equal(s.what, what);
	if (!strstr(s.why, why))
		fail_msg("expected \"%s\" in \"%s\"", why, s.why);
	assert_int_equal(cnt.handshake_failures, 1);
}

static void expect_up(const struct verify_case *vc)
{
	struct counters cnt = {0};
	struct seen s = {0};

	verify_case(vc, &s, &cnt);
	if (s.failed)
		fail_msg("refused: %s: %s", s.what, s.why);
	assert_int_equal(s.up, 1);
	assert_int_equal(cnt.handshake_failures, 0);
}

static void test_verify_ok(void **state)
{
	/* by IP SAN, the host itself */
	expect_up(&(struct verify_case){.san = "IP:127.0.0.1", .from_s = -60, .to_s = 3600});
	/* by DNS SAN, output.server_name */
	expect_up(&(struct verify_case){.san = "DNS:collector.test",
					.from_s = -60,
					.to_s = 3600,
					.peer_name = "collector.test"});
}

static void test_verify_wrong_ca(void **state)
{
	expect_refused(
	    &(struct verify_case){
		.san = "IP:127.0.0.1", .from_s = -60, .to_s = 3600, .other_issuer = true},
	    "TLS handshake failed", "certificate verify failed: unable to get local issuer");
}

static void test_verify_wrong_name(void **state)
{
	expect_refused(&(struct verify_case){.san = "DNS:collector.test,IP:127.0.0.2",
					     .from_s = -60,
					     .to_s = 3600},
		       "TLS handshake failed", "certificate verify failed: IP address mismatch");
	expect_refused(&(struct verify_case){.san = "DNS:other.test",
					     .from_s = -60,
					     .to_s = 3600,
					     .peer_name = "collector.test"},
		       "TLS handshake failed", "certificate verify failed: hostname mismatch");
}

/* Certificate time is checked: an expired certificate and one not valid yet are refused. */
static void test_verify_expired(void **state)
{
	expect_refused(&(struct verify_case){.san = "IP:127.0.0.1", .from_s = -7200, .to_s = -3600},
		       "TLS handshake failed",
		       "certificate verify failed: certificate has expired");
	expect_refused(&(struct verify_case){.san = "IP:127.0.0.1", .from_s = 3600, .to_s = 7200},
		       "TLS handshake failed",
		       "certificate verify failed: certificate is not yet valid");
}

/* TLS 1.3: a server that wants a client certificate says so after the client's handshake. */
static void test_refused_after_handshake(void **state)
{
	expect_refused(
	    &(struct verify_case){
		.san = "IP:127.0.0.1", .from_s = -60, .to_s = 3600, .client_cert_required = true},
	    "TLS session refused", "did not accept this client");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_tcp),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_handshake_timeout),
	    cmocka_unit_test(test_tls_pinned),
	    cmocka_unit_test(test_tls_pin_mismatch),
	    cmocka_unit_test(test_resolve_name),
	    cmocka_unit_test(test_ipv6_numeric),
	    cmocka_unit_test(test_resolve_fails),
	    cmocka_unit_test(test_resolve_abandoned),
	    cmocka_unit_test(test_connect_timeout),
	    cmocka_unit_test(test_socket_full),
	    cmocka_unit_test(test_verify_ok),
	    cmocka_unit_test(test_verify_wrong_ca),
	    cmocka_unit_test(test_verify_wrong_name),
	    cmocka_unit_test(test_verify_expired),
	    cmocka_unit_test(test_refused_after_handshake),
	};
	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
