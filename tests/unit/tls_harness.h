/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For the tests of the TLS client side (test_collector_conn.c,
 * test_sink_syslog_tls.c): a test CA and certificates made with OpenSSL's
 * API (a name, an IP SAN, a validity window relative to now), PEM files
 * in a temp directory, and a collector on 127.0.0.1 port 0 driven from
 * the test's own sd-event loop: it accepts connections, handshakes (or
 * not, or plain TCP), keeps every byte it reads, and can close the
 * connection or stop reading on demand.
 */
#ifndef IKELOGD_TEST_TLS_HARNESS_H
#define IKELOGD_TEST_TLS_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <systemd/sd-event.h>

/* Runs the loop until cond is true or about ms milliseconds passed. */
#define RUN_UNTIL(e, cond, ms)                                                                     \
	do {                                                                                       \
		for (int i_ = 0; i_ < (ms) / 10 && !(cond); i_++)                                  \
			sd_event_run((e), 10000);                                                  \
	} while (0)

struct test_cert {
	EVP_PKEY *key;
	X509 *cert;
};

/*
 * A certificate for cn with subjectAltName san (NULL: none), valid from
 * now + from_s to now + to_s, signed by issuer (NULL: self-signed, a CA).
 */
static inline struct test_cert th_cert(const char *cn, const char *san, long from_s, long to_s,
				       const struct test_cert *issuer)
{
	static long serial = 1;
	struct test_cert c = {.key = EVP_EC_gen("P-256"), .cert = X509_new()};
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	if (!c.key || !c.cert)
		abort();
	X509_set_version(c.cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.cert), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c.cert), from_s);
	X509_gmtime_adj(X509_getm_notAfter(c.cert), to_s);
	X509_set_pubkey(c.cert, c.key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c.cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c.cert, X509_get_subject_name(issuer ? issuer->cert : c.cert));
	X509V3_set_ctx(&v3, issuer ? issuer->cert : c.cert, c.cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  issuer ? "critical,CA:FALSE" : "critical,CA:TRUE");
	X509_add_ext(c.cert, ext, -1);
	X509_EXTENSION_free(ext);
	if (!issuer) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
		X509_add_ext(c.cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (san) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(c.cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(c.cert, issuer ? issuer->key : c.key, EVP_sha256()) <= 0)
		abort();
	return c;
}

static inline void th_cert_free(struct test_cert *c)
{
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
	*c = (struct test_cert){0};
}

/* Writes c's certificate (and its key, when key_path) as PEM. */
static inline void th_write_pem(const struct test_cert *c, const char *cert_path,
				const char *key_path)
{
	FILE *f = fopen(cert_path, "w");

	if (!f || PEM_write_X509(f, c->cert) != 1)
		abort();
	fclose(f);
	if (!key_path)
		return;
	f = fopen(key_path, "w");
	if (!f || PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	fclose(f);
}

/* A listening socket on 127.0.0.1 (or ::1), kernel-chosen port; -errno when none. */
static inline int th_listen(bool v6, unsigned *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* The collector: one connection at a time; a new one replaces the old. */
struct th_server {
	sd_event *e;
	SSL_CTX *ctx; /* NULL: plain TCP */
	bool reading; /* false: leave the bytes in the socket (backpressure) */
	int lfd, fd;
	unsigned port;
	SSL *ssl;
	sd_event_source *lsrc, *src;
	int accepted, handshakes, handshake_errors, eofs;
	char *got; /* every byte read, over all connections */
	size_t n, cap;
};

static inline void th_server_drop(struct th_server *sv)
{
	sv->src = sd_event_source_disable_unref(sv->src);
	SSL_free(sv->ssl);
	sv->ssl = NULL;
	if (sv->fd >= 0)
		close(sv->fd);
	sv->fd = -1;
}

static inline void th_server_keep(struct th_server *sv, const char *p, size_t n)
{
	if (sv->n + n + 1 > sv->cap) {
		sv->cap = (sv->n + n + 1) * 2;
		sv->got = realloc(sv->got, sv->cap);
		if (!sv->got)
			abort();
	}
	memcpy(sv->got + sv->n, p, n);
	sv->n += n;
	sv->got[sv->n] = '\0';
}

/* Reads what the connection has; false once it is closed. */
static inline bool th_server_read(struct th_server *sv)
{
	char buf[16384];

	for (;;) {
		if (sv->ssl) {
			int r = SSL_read(sv->ssl, buf, sizeof(buf));

			if (r > 0) {
				th_server_keep(sv, buf, (size_t)r);
				continue;
			}
			r = SSL_get_error(sv->ssl, r);
			ERR_clear_error();
			return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE;
		}
		ssize_t n = recv(sv->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			th_server_keep(sv, buf, (size_t)n);
			continue;
		}
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	}
}

static inline int th_server_on_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct th_server *sv = ud;

	if (sv->ssl && !SSL_is_init_finished(sv->ssl)) {
		int r = SSL_accept(sv->ssl);

		if (r <= 0) {
			int err = SSL_get_error(sv->ssl, r);

			ERR_clear_error();
			if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
				sv->handshake_errors++;
				th_server_drop(sv);
			}
			return 0;
		}
		sv->handshakes++;
	}
	if (!sv->reading) {
		sd_event_source_set_enabled(es, SD_EVENT_OFF);
		return 0;
	}
	if (!th_server_read(sv)) {
		sv->eofs++;
		th_server_drop(sv);
	}
	return 0;
}

static inline int th_server_on_accept(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct th_server *sv = ud;
	int nfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (nfd < 0)
		return 0;
	th_server_drop(sv);
	sv->fd = nfd;
	sv->accepted++;
	if (sv->ctx) {
		sv->ssl = SSL_new(sv->ctx);
		SSL_set_fd(sv->ssl, sv->fd);
	}
	if (sd_event_add_io(sv->e, &sv->src, sv->fd, EPOLLIN, th_server_on_io, sv) < 0)
		abort();
	return 0;
}

/* Starts listening on loop e; ctx (borrowed) NULL for plain TCP. Returns 0 or -errno. */
static inline int th_server_start(struct th_server *sv, sd_event *e, SSL_CTX *ctx, bool v6)
{
	*sv = (struct th_server){.e = e, .ctx = ctx, .reading = true, .fd = -1};
	sv->lfd = th_listen(v6, &sv->port);
	if (sv->lfd < 0)
		return sv->lfd;
	return sd_event_add_io(e, &sv->lsrc, sv->lfd, EPOLLIN, th_server_on_accept, sv);
}

/*
 * A collector that is down: its port on 127.0.0.1 is bound but not
 * listening, so connections are refused, until th_server_up.
 */
static inline int th_server_down(struct th_server *sv, sd_event *e, SSL_CTX *ctx)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	*sv = (struct th_server){.e = e, .ctx = ctx, .reading = true, .fd = -1};
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(sv->lfd, (struct sockaddr *)&a, &len) < 0)
		return -errno;
	sv->port = ntohs(a.sin_port);
	return 0;
}

/* The collector of th_server_down comes up on its port. */
static inline int th_server_up(struct th_server *sv)
{
	if (listen(sv->lfd, 16) < 0)
		return -errno;
	return sd_event_add_io(sv->e, &sv->lsrc, sv->lfd, EPOLLIN, th_server_on_accept, sv);
}

/* Starts reading again after reading = false. */
static inline void th_server_resume(struct th_server *sv)
{
	sv->reading = true;
	if (sv->src)
		sd_event_source_set_enabled(sv->src, SD_EVENT_ON);
}

static inline void th_server_stop(struct th_server *sv)
{
	th_server_drop(sv);
	sv->lsrc = sd_event_source_disable_unref(sv->lsrc);
	if (sv->lfd >= 0)
		close(sv->lfd);
	sv->lfd = -1;
	free(sv->got);
	sv->got = NULL;
	sv->n = sv->cap = 0;
}

/* A server context presenting c (chain: c alone). */
static inline SSL_CTX *th_server_ctx(const struct test_cert *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || SSL_CTX_use_certificate(ctx, c->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, c->key) != 1)
		abort();
	return ctx;
}

#endif
