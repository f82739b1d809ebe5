/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog listener's TLS connections (source_syslog_conn.c) against
 * OpenSSL clients in the same process, with a CA and certificates made
 * by the test: client certificates verified (none, another CA's, an
 * expired one are refused and counted), permitted_peers by SAN or CN,
 * a sender that stops mid-handshake (closed at the handshake limit, not
 * the idle timeout), idle senders, many frames and a full pipeline over
 * TLS, close_notify and a broken record at the end of a stream.
 */
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "syslog_harness.h"
#include "stage_opts.h"

static const char *const tls_only[] = {"tls://127.0.0.1:0"};
static const char *const tls_tcp[] = {"tls://127.0.0.1:0", "tcp://127.0.0.1:0"};

/* A certificate and its key. */
struct id {
	EVP_PKEY *key;
	X509 *cert;
};

struct pki {
	struct id ca, other_ca, server;
};

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * A new key and a certificate for it: CN cn, SAN san (NULL: none), issued
 * by ca (NULL: a self-signed CA), valid from not_before to not_after
 * seconds from now.
 */
static struct id make_id(const char *cn, const char *san, const struct id *ca, long not_before,
			 long not_after)
{
	static long serial = 1;
	struct id r = {.key = EVP_EC_gen("P-256"), .cert = X509_new()};
	X509 *x = r.cert;

	assert_non_null(r.key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), not_before);
	X509_gmtime_adj(X509_getm_notAfter(x), not_after);
	X509_set_pubkey(x, r.key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(ca ? ca->cert : x));
	if (!ca) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	if (san)
		add_ext(x, ca ? ca->cert : x, NID_subject_alt_name, san);
	assert_true(X509_sign(x, ca ? ca->key : r.key, EVP_sha256()) > 0);
	return r;
}

static void free_id(struct id *i)
{
	X509_free(i->cert);
	EVP_PKEY_free(i->key);
}

static void write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (cert)
		assert_int_equal(PEM_write_X509(f, cert), 1);
	if (key)
		assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

/* The CAs and the server's certificate, written into sh's directory and configured. */
static void pki_setup(struct sh *sh, struct pki *p)
{
	char path[160];

	p->ca = make_id("ikelogd test CA", NULL, NULL, -60, 3600);
	p->other_ca = make_id("another CA", NULL, NULL, -60, 3600);
	p->server = make_id("ikelogd.test", "DNS:ikelogd.test,IP:127.0.0.1", &p->ca, -60, 3600);
	snprintf(path, sizeof(path), "%s/ca.pem", sh->h.dir);
	write_pem(path, p->ca.cert, NULL);
	set_str(&sh->h.cfg.source.syslog.ca_file, path);
	snprintf(path, sizeof(path), "%s/server.pem", sh->h.dir);
	write_pem(path, p->server.cert, NULL);
	set_str(&sh->h.cfg.source.syslog.cert_file, path);
	snprintf(path, sizeof(path), "%s/server.key", sh->h.dir);
	write_pem(path, NULL, p->server.key);
	set_str(&sh->h.cfg.source.syslog.key_file, path);
}

static void pki_free(struct pki *p)
{
	free_id(&p->ca);
	free_id(&p->other_ca);
	free_id(&p->server);
}

/* A client context that trusts the test CA and presents who (NULL: no certificate). */
static SSL_CTX *client_ctx(const struct pki *p, const struct id *who)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	assert_non_null(c);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(c), p->ca.cert), 1);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (who) {
		assert_int_equal(SSL_CTX_use_certificate(c, who->cert), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(c, who->key), 1);
	}
	return c;
}

struct client {
	int fd;
	SSL *ssl;
	bool up; /* the client's side of the handshake completed */
};

/* Connects to listener i and runs the client's handshake against the loop. */
static struct client tls_connect(struct sh *sh, size_t i, const struct pki *p, const struct id *who)
{
	SSL_CTX *ctx = client_ctx(p, who);
	struct client c = {.fd = sh_connect(SOCK_STREAM, sh_port(sh, i))};
	struct timespec t0;

	assert_int_equal(fcntl(c.fd, F_SETFL, O_NONBLOCK), 0);
	c.ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);
	assert_non_null(c.ssl);
	assert_int_equal(SSL_set_fd(c.ssl, c.fd), 1);
	assert_int_equal(SSL_set1_host(c.ssl, "ikelogd.test"), 1);
	SSL_set_connect_state(c.ssl);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sh_ms_since(&t0) < 2000) {
		int r = SSL_do_handshake(c.ssl), err;

		if (r == 1) {
			c.up = true;
			break;
		}
		err = SSL_get_error(c.ssl, r);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			break;
		sh_turn(sh);
	}
	ERR_clear_error();
	return c;
}

/* Writes all of buf, running the loop while the socket is full; false if the server is gone. */
static bool tls_send(struct sh *sh, struct client *c, const void *buf, size_t len)
{
	struct timespec t0;
	size_t off = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (off < len && sh_ms_since(&t0) < 5000) {
		int r = SSL_write(c->ssl, (const char *)buf + off, (int)(len - off)), err;

		if (r > 0) {
			off += (size_t)r;
			continue;
		}
		err = SSL_get_error(c->ssl, r);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			ERR_clear_error();
			return false;
		}
		sh_turn(sh);
	}
	return off == len;
}

static void client_close(struct client *c)
{
	SSL_free(c->ssl);
	close(c->fd);
}

/*
 * require_client_cert: a client with a certificate of the CA is heard; one
 * with none, with another CA's, or with an expired one is refused, counted,
 * and nothing it sent arrives.
 */
static void test_client_cert_required(void **state)
{
	static const char m_good[] = MSG5424("gw-t", "pluto", "5", "from a verified sender") "\n";
	static const char m_bad[] = MSG5424("gw-x", "pluto", "5", "from a refused sender") "\n";
	struct sh sh = {0};
	struct pki p;
	struct id good, foreign, expired;
	const struct id *refused[3];
	struct client g;

	sh_config(&sh, "test_source_syslog_conn", tls_only, 1);
	pki_setup(&sh, &p);
	good = make_id("gw-t.test", "DNS:gw-t.test", &p.ca, -60, 3600);
	foreign = make_id("gw-t.test", "DNS:gw-t.test", &p.other_ca, -60, 3600);
	expired = make_id("gw-t.test", "DNS:gw-t.test", &p.ca, -7200, -3600);
	refused[0] = NULL;
	refused[1] = &foreign;
	refused[2] = &expired;
	sh.h.cfg.source.syslog.require_client_cert = true;
	sh_start(&sh);

	g = tls_connect(&sh, 0, &p, &good);
	assert_true(g.up);
	assert_true(tls_send(&sh, &g, m_good, sizeof(m_good) - 1));
	SH_RUN_UNTIL(&sh, sh.h.n == 1, 2000);
	assert_string_equal(sh.h.v[0].msg, "from a verified sender");
	assert_string_equal(sh.h.v[0].host, "gw-t");
	assert_int_equal(sh.h.cnt.handshake_failures, 0);

	for (unsigned i = 0; i < 3; i++) {
		struct client c = tls_connect(&sh, 0, &p, refused[i]);

		/* TLS 1.3: the client may finish before the server has judged its certificate. */
		if (c.up)
			tls_send(&sh, &c, m_bad, sizeof(m_bad) - 1);
		SH_RUN_UNTIL(&sh, sh.h.cnt.handshake_failures == i + 1, 2000);
		SH_RUN_UNTIL(&sh, sh.s->n_conns == 1, 2000);
		SH_RUN_UNTIL(&sh, sh_closed(c.fd), 2000);
		client_close(&c);
	}
	sh_turns(&sh, 5);
	assert_int_equal(sh.h.n, 1);
	assert_int_equal(sh.h.cnt.connections, 4);

	/* The verified sender was not disturbed. */
	assert_true(tls_send(&sh, &g, m_good, sizeof(m_good) - 1));
	SH_RUN_UNTIL(&sh, sh.h.n == 2, 2000);
	client_close(&g);
	sh_done(&sh);
	free_id(&good);
	free_id(&foreign);
	free_id(&expired);
	pki_free(&p);
}

/*
 * permitted_peers: a certificate must name a permitted peer in a DNS SAN or
 * in its CN (even when it has DNS SANs); a certificate of the CA that names
 * another host is refused after the handshake, and so is a client without one.
 */
static void test_permitted_peers(void **state)
{
	static const char m[] = MSG5424("gw-p", "pluto", "5", "permitted?") "\n";
	struct sh sh = {0};
	struct pki p;
	struct id by_san, by_cn, other;
	struct client c;

	sh_config(&sh, "test_source_syslog_conn", tls_only, 1);
	pki_setup(&sh, &p);
	by_san = make_id("gw-san", "DNS:gw-good.test", &p.ca, -60, 3600);
	by_cn = make_id("gw-good.test", "DNS:elsewhere.test", &p.ca, -60, 3600);
	other = make_id("gw-other.test", "DNS:gw-other.test", &p.ca, -60, 3600);
	set_list(&sh.h.cfg.source.syslog.permitted_peers, "gw-good.test");
	sh_start(&sh);

	c = tls_connect(&sh, 0, &p, &other);
	if (c.up)
		tls_send(&sh, &c, m, sizeof(m) - 1);
	SH_RUN_UNTIL(&sh, sh.h.cnt.handshake_failures == 1, 2000);
	SH_RUN_UNTIL(&sh, sh_closed(c.fd), 2000);
	client_close(&c);
	assert_int_equal(sh.s->n_conns, 0);

	c = tls_connect(&sh, 0, &p, NULL);
	if (c.up)
		tls_send(&sh, &c, m, sizeof(m) - 1);
	SH_RUN_UNTIL(&sh, sh.h.cnt.handshake_failures == 2, 2000);
	SH_RUN_UNTIL(&sh, sh_closed(c.fd), 2000);
	client_close(&c);
	sh_turns(&sh, 5);
	assert_int_equal(sh.h.n, 0);

	c = tls_connect(&sh, 0, &p, &by_san);
	assert_true(c.up);
	assert_true(tls_send(&sh, &c, m, sizeof(m) - 1));
	SH_RUN_UNTIL(&sh, sh.h.n == 1, 2000);
	client_close(&c);
	c = tls_connect(&sh, 0, &p, &by_cn);
	assert_true(c.up);
	assert_true(tls_send(&sh, &c, m, sizeof(m) - 1));
	SH_RUN_UNTIL(&sh, sh.h.n == 2, 2000);
	client_close(&c);
	assert_int_equal(sh.h.cnt.handshake_failures, 2);
	assert_string_equal(sh.h.v[1].msg, "permitted?");
	sh_done(&sh);
	free_id(&by_san);
	free_id(&by_cn);
	free_id(&other);
	pki_free(&p);
}

/*
 * A sender that stops in the middle of its handshake is closed at the
 * handshake limit (10 s), although idle_timeout_s (30 s) would let a
 * plain TCP sender stay longer: a quiet TCP sender outlives it.
 */
static void test_handshake_timeout(void **state)
{
	/* A TLS record header announcing a handshake message that never comes. */
	static const char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
	struct sh sh = {0};
	struct pki p;
	struct timespec t0;
	int hang, quiet;
	long ms;

	sh_config(&sh, "test_source_syslog_conn", tls_tcp, 2);
	pki_setup(&sh, &p);
	sh.h.cfg.source.syslog.idle_timeout_s = 30;
	sh_start(&sh);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	hang = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	quiet = sh_connect(SOCK_STREAM, sh_port(&sh, 1));
	sh_send(hang, hello_start, sizeof(hello_start));
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 2, 2000);
	SH_RUN_UNTIL(&sh, sh_closed(hang), 14000);
	ms = sh_ms_since(&t0);
	if (ms < 9500)
		fail_msg("closed after %ld ms, before the 10 s handshake limit", ms);
	assert_int_equal(sh.s->n_conns, 1);
	assert_false(sh_closed(quiet));
	close(hang);
	close(quiet);
	sh_done(&sh);
	pki_free(&p);
}

/*
 * idle_timeout_s 1: a quiet plain TCP sender, a TLS sender that never
 * starts its handshake and an authenticated TLS sender in the middle of
 * a frame are closed; an authenticated TLS sender between frames may stay
 * quiet (rsyslog would lose its next message) and is still heard.
 */
static void test_idle(void **state)
{
	static const char m[] = MSG5424("gw-i", "pluto", "5", "still heard") "\n";
	static const char half[] = "100 " MSG5424("gw-i", "pluto", "5", "half");
	struct sh sh = {0};
	struct pki p;
	struct id gw;
	struct client quiet_tls, mid;
	int quiet_tcp, silent_tls;

	sh_config(&sh, "test_source_syslog_conn", tls_tcp, 2);
	pki_setup(&sh, &p);
	gw = make_id("gw-i.test", "DNS:gw-i.test", &p.ca, -60, 3600);
	sh.h.cfg.source.syslog.idle_timeout_s = 1;
	sh_start(&sh);
	quiet_tls = tls_connect(&sh, 0, &p, &gw);
	mid = tls_connect(&sh, 0, &p, &gw);
	assert_true(quiet_tls.up && mid.up);
	assert_true(tls_send(&sh, &quiet_tls, m, sizeof(m) - 1));
	assert_true(tls_send(&sh, &mid, half, sizeof(half) - 1));
	quiet_tcp = sh_connect(SOCK_STREAM, sh_port(&sh, 1));
	silent_tls = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	SH_RUN_UNTIL(&sh, sh.h.n == 1 && sh.s->n_conns == 4, 2000);
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 1, 4000);
	assert_true(sh_closed(quiet_tcp));
	assert_true(sh_closed(silent_tls));
	assert_true(sh_closed(mid.fd));
	/* Nothing was dropped: the half frame went with its connection. */
	assert_int_equal(sh.h.cnt.input_dropped, 0);
	assert_true(tls_send(&sh, &quiet_tls, m, sizeof(m) - 1));
	SH_RUN_UNTIL(&sh, sh.h.n == 2, 2000);
	assert_string_equal(sh.h.v[1].msg, "still heard");
	client_close(&quiet_tls);
	client_close(&mid);
	close(quiet_tcp);
	close(silent_tls);
	sh_done(&sh);
	free_id(&gw);
	pki_free(&p);
}

/*
 * require_client_cert false: a TLS sender without a certificate costs no
 * more to open than plain TCP, so once handshaken and quiet it is closed
 * after idle_timeout_s like plain TCP; and at max_connections a new sender
 * closes the longest-idle one instead of being refused.
 */
static void test_anonymous_tls(void **state)
{
	static const char m[] = MSG5424("gw-n", "pluto", "5", "a new sender is heard") "\n";
	struct sh sh = {0};
	struct pki p;
	struct client silent[2], fresh;

	sh_config(&sh, "test_source_syslog_conn", tls_only, 1);
	pki_setup(&sh, &p);
	sh.h.cfg.source.syslog.require_client_cert = false;
	sh.h.cfg.source.syslog.max_connections = 2;
	sh.h.cfg.source.syslog.idle_timeout_s = 1;
	sh_start(&sh);
	silent[0] = tls_connect(&sh, 0, &p, NULL);
	silent[1] = tls_connect(&sh, 0, &p, NULL);
	assert_true(silent[0].up && silent[1].up);
	SH_RUN_UNTIL(&sh,
		     sh.s->n_conns == 2 && sh.s->conns->handshaken && sh.s->conns->next->handshaken,
		     2000);
	assert_false(sh.s->conns->authenticated);
	/* A third sender while both slots are held: the longest idle goes. */
	fresh = tls_connect(&sh, 0, &p, NULL);
	assert_true(fresh.up);
	assert_true(tls_send(&sh, &fresh, m, sizeof(m) - 1));
	SH_RUN_UNTIL(&sh, sh.h.n == 1, 2000);
	assert_string_equal(sh.h.v[0].msg, "a new sender is heard");
	assert_int_equal(sh.s->drops[DROP_EVICTED], 1);
	assert_int_equal(sh.s->drops[DROP_REFUSED], 0);
	SH_RUN_UNTIL(&sh, sh_closed(silent[0].fd), 2000);
	/* The quiet anonymous ones are closed after idle_timeout_s (1 s). */
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 0, 4000);
	assert_true(sh_closed(silent[1].fd));
	assert_true(sh_closed(fresh.fd));
	client_close(&silent[0]);
	client_close(&silent[1]);
	client_close(&fresh);
	sh_done(&sh);
	pki_free(&p);
}

/*
 * At max_connections, a connection without a verified certificate (here
 * one that never starts its handshake) is closed before an authenticated
 * sender, even one idle for longer.
 */
static void test_evict_anonymous_first(void **state)
{
	static const char m[] = MSG5424("gw-a", "pluto", "5", "still here") "\n";
	struct sh sh = {0};
	struct pki p;
	struct id gw;
	struct client old, fresh;
	int raw;

	sh_config(&sh, "test_source_syslog_conn", tls_only, 1);
	pki_setup(&sh, &p);
	gw = make_id("gw-a.test", "DNS:gw-a.test", &p.ca, -60, 3600);
	sh.h.cfg.source.syslog.max_connections = 2;
	sh_start(&sh);
	old = tls_connect(&sh, 0, &p, &gw);
	assert_true(old.up);
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 1 && sh.s->conns->handshaken, 2000);
	assert_true(sh.s->conns->authenticated);
	usleep(20000);
	raw = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 2, 2000);
	usleep(20000);
	fresh = tls_connect(&sh, 0, &p, &gw);
	assert_true(fresh.up);
	SH_RUN_UNTIL(&sh, sh_closed(raw), 2000);
	assert_int_equal(sh.s->drops[DROP_EVICTED], 1);
	assert_true(tls_send(&sh, &old, m, sizeof(m) - 1));
	SH_RUN_UNTIL(&sh, sh.h.n == 1, 2000);
	assert_string_equal(sh.h.v[0].msg, "still here");
	client_close(&old);
	client_close(&fresh);
	close(raw);
	sh_done(&sh);
	free_id(&gw);
	pki_free(&p);
}

/*
 * host_from_cert: a sender's HOSTNAME must be one of its certificate's
 * names (DNS SAN or CN); one speaking for another gateway is refused and
 * counted, and so is everything over plain TCP, where no certificate says
 * who is sending.
 */
static void test_host_from_cert(void **state)
{
	static const char own[] = MSG5424("gw-h.test", "pluto", "5", "own name") "\n";
	static const char cn[] = MSG5424("gw-h-cn", "pluto", "5", "by its CN") "\n";
	static const char other[] = MSG5424("gw-other.test", "pluto", "5", "for another") "\n";
	static const char nil[] = MSG5424("-", "pluto", "5", "nil host, the address") "\n";
	struct sh sh = {0};
	struct pki p;
	struct id gw;
	struct client c;
	int tcp;

	sh_config(&sh, "test_source_syslog_conn", tls_tcp, 2);
	pki_setup(&sh, &p);
	gw = make_id("gw-h-cn", "DNS:gw-h.test", &p.ca, -60, 3600);
	sh.h.cfg.source.syslog.host_from_cert = true;
	sh_start(&sh);
	c = tls_connect(&sh, 0, &p, &gw);
	assert_true(c.up);
	assert_true(tls_send(&sh, &c, own, sizeof(own) - 1));
	assert_true(tls_send(&sh, &c, other, sizeof(other) - 1));
	assert_true(tls_send(&sh, &c, nil, sizeof(nil) - 1));
	assert_true(tls_send(&sh, &c, cn, sizeof(cn) - 1));
	SH_RUN_UNTIL(&sh, sh.h.n == 2, 2000);
	assert_string_equal(sh.h.v[0].msg, "own name");
	assert_string_equal(sh.h.v[0].host, "gw-h.test");
	assert_string_equal(sh.h.v[1].msg, "by its CN");
	assert_int_equal(sh.s->drops[DROP_HOST], 2);
	tcp = sh_connect(SOCK_STREAM, sh_port(&sh, 1));
	sh_send_str(tcp, own);
	SH_RUN_UNTIL(&sh, sh.s->drops[DROP_HOST] == 3, 2000);
	assert_int_equal(sh.h.n, 2);
	assert_int_equal(sh.h.cnt.input_dropped, 3);
	close(tcp);
	client_close(&c);
	sh_done(&sh);
	free_id(&gw);
	pki_free(&p);
}

/* n octet-counted frames "frame N" with padding, as one buffer. */
static size_t frames(char *buf, size_t size, int n, size_t pad)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		char m[400];
		int len = snprintf(
		    m, sizeof(m), "%s%d %.*s", MSG5424("gw-b", "pluto", "5", "frame "), i, (int)pad,
		    "................................................................"
		    "................................................................");

		off += (size_t)snprintf(buf + off, size - off, "%d %s", len, m);
		assert_true(off < size);
	}
	return off;
}

/*
 * More than one wakeup's worth of TLS records (READS_PER_WAKEUP reads of
 * the initial buffer): the decrypted bytes OpenSSL still holds are read
 * without waiting for the socket; every frame arrives, in order.
 */
static void test_tls_bulk(void **state)
{
	enum { N = 1200 };
	static char buf[N * 160];
	struct sh sh = {0};
	struct pki p;
	struct id gw;
	struct client c;
	size_t len;

	sh_config(&sh, "test_source_syslog_conn", tls_only, 1);
	pki_setup(&sh, &p);
	gw = make_id("gw-b.test", "DNS:gw-b.test", &p.ca, -60, 3600);
	sh.h.cfg.limits.in_flight = 2 * N;
	sh_start(&sh);
	c = tls_connect(&sh, 0, &p, &gw);
	assert_true(c.up);
	len = frames(buf, sizeof(buf), N, 64);
	assert_true(len > READS_PER_WAKEUP * BUF_INITIAL);
	assert_true(tls_send(&sh, &c, buf, len));
	SH_RUN_UNTIL(&sh, sh.total == N, 5000);
	for (size_t i = 0; i < MAXREC; i++) {
		char want[32];

		snprintf(want, sizeof(want), "frame %zu ", i);
		assert_memory_equal(sh.h.v[i].msg, want, strlen(want));
	}
	assert_int_equal(sh.h.cnt.input_dropped, 0);
	client_close(&c);
	sh_done(&sh);
	free_id(&gw);
	pki_free(&p);
}

/*
 * A full pipeline over TLS: reading stops at limits.in_flight with frames
 * buffered and decrypted bytes pending; acknowledged, all arrive in order.
 */
static void test_tls_backpressure(void **state)
{
	enum { N = 200 };
	static char buf[N * 160];
	struct sh sh = {0};
	struct pki p;
	struct id gw;
	struct client c;
	size_t len;

	sh_config(&sh, "test_source_syslog_conn", tls_only, 1);
	pki_setup(&sh, &p);
	gw = make_id("gw-b.test", "DNS:gw-b.test", &p.ca, -60, 3600);
	sh.h.cfg.limits.in_flight = 8;
	sh.h.ack_limit = 0;
	sh_start(&sh);
	c = tls_connect(&sh, 0, &p, &gw);
	assert_true(c.up);
	len = frames(buf, sizeof(buf), N, 64);
	assert_true(tls_send(&sh, &c, buf, len));
	SH_RUN_UNTIL(&sh, sh.s->paused, 2000);
	sh_turns(&sh, 10);
	assert_int_equal(sh.h.n, 8);
	assert_true(sh.s->conns->len > 0);
	sh.h.ack_limit = UINT64_MAX;
	SH_RUN_UNTIL(&sh, sh.h.n == N, 5000);
	for (size_t i = 0; i < N; i++) {
		char want[32];

		snprintf(want, sizeof(want), "frame %zu ", i);
		assert_memory_equal(sh.h.v[i].msg, want, strlen(want));
	}
	assert_int_equal(sh.h.cnt.input_dropped, 0);
	client_close(&c);
	sh_done(&sh);
	free_id(&gw);
	pki_free(&p);
}

/*
 * The end of a TLS stream: after close_notify, or after a record that is
 * not TLS, the last line without its LF was cut short (dropped, counted as
 * partial), the whole lines before it are messages, and the connection is
 * closed.
 */
static void test_tls_stream_end(void **state)
{
	static const char garbage[] = "this is not a TLS record";
	struct sh sh = {0};
	struct pki p;
	struct id gw;
	struct client a, b;

	sh_config(&sh, "test_source_syslog_conn", tls_only, 1);
	pki_setup(&sh, &p);
	gw = make_id("gw-e.test", "DNS:gw-e.test", &p.ca, -60, 3600);
	sh_start(&sh);
	a = tls_connect(&sh, 0, &p, &gw);
	b = tls_connect(&sh, 0, &p, &gw);
	assert_true(a.up && b.up);
#define A_TEXT                                                                                     \
	MSG5424("gw-e", "pluto", "5", "whole before close_notify")                                 \
	"\n" MSG5424("gw-e", "pluto", "5", "cut by close_notify")
#define B_TEXT MSG5424("gw-e", "pluto", "5", "cut by garbage")
	assert_true(tls_send(&sh, &a, A_TEXT, strlen(A_TEXT)));
	assert_true(tls_send(&sh, &b, B_TEXT, strlen(B_TEXT)));
	SH_RUN_UNTIL(&sh,
		     sh.h.n == 1 && sh.s->conns && sh.s->conns->len > 0 && sh.s->conns->next &&
			 sh.s->conns->next->len > 0,
		     2000);
	assert_string_equal(sh.h.v[0].msg, "whole before close_notify");
	SSL_shutdown(a.ssl);
	SH_RUN_UNTIL(&sh, sh.s->drops[DROP_PARTIAL] == 1, 2000);
	sh_send(b.fd, garbage, sizeof(garbage) - 1);
	SH_RUN_UNTIL(&sh, sh.s->drops[DROP_PARTIAL] == 2, 2000);
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 0, 2000);
	assert_int_equal(sh.h.n, 1);
	assert_int_equal(sh.h.cnt.input_dropped, 2);
	client_close(&a);
	client_close(&b);
	sh_done(&sh);
	free_id(&gw);
	pki_free(&p);
}

/* A listener's certificate that is not there: opening fails with a diag. */
static void test_tls_setup_fails(void **state)
{
	struct sh sh = {0};
	struct pki p;
	struct diags errs = {0};
	sd_event *e = NULL;
	void *s = NULL;

	sh_config(&sh, "test_source_syslog_conn", tls_only, 1);
	pki_setup(&sh, &p);
	set_str(&sh.h.cfg.source.syslog.cert_file, "/nonexistent/server.pem");
	assert_int_equal(sd_event_new(&e), 0);
	assert_true(
	    source_syslog_ops.open(t_source_opts(&sh.h.cfg), e, NULL, &sh.h.cnt, &s, &errs) < 0);
	assert_null(s);
	assert_true(errs.n > 0);
	assert_string_equal(errs.v[0].file, "/nonexistent/server.pem");
	assert_non_null(strstr(errs.v[0].msg, "certificate"));
	sd_event_unref(e);
	sh_done(&sh);
	pki_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_cert_required),
	    cmocka_unit_test(test_permitted_peers),
	    cmocka_unit_test(test_idle),
	    cmocka_unit_test(test_anonymous_tls),
	    cmocka_unit_test(test_host_from_cert),
	    cmocka_unit_test(test_evict_anonymous_first),
	    cmocka_unit_test(test_tls_bulk),
	    cmocka_unit_test(test_tls_backpressure),
	    cmocka_unit_test(test_tls_stream_end),
	    cmocka_unit_test(test_tls_setup_fails),
	    cmocka_unit_test(test_handshake_timeout),
	};

	/* A refused client writes to a closed connection: an error, not a signal (as in the
	 * daemon). */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
