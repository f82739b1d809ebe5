/* SPDX-License-Identifier: Apache-2.0 */
/*
 * collector_conn against real sockets on loopback, with a real OpenSSL
 * server driven from the same sd-event loop: plain TCP up, send and
 * acknowledgement; connection refused; a silent server's handshake
 * timeout; a TLS server whose certificate matches (up, bytes arrive) or
 * does not match the pin (refused, counted).
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

/* Runs the loop until cond is true or about ms milliseconds passed. */
#define RUN_UNTIL(e, cond, ms)                                                                     \
	do {                                                                                       \
		for (int i_ = 0; i_ < (ms) / 10 && !(cond); i_++)                                  \
			sd_event_run((e), 10000);                                                  \
	} while (0)

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_tcp),	      cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_handshake_timeout), cmocka_unit_test(test_tls_pinned),
	    cmocka_unit_test(test_tls_pin_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
