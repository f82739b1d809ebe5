/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_TLS_H
#define IKELOGD_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "diag.h"

/*
 * OpenSSL context helpers shared by the TLS client (sink_syslog_tls.c)
 * and any TLS server (the syslog listener). No I/O besides reading the
 * certificate files; no logging: problems go to a struct diags.
 */
enum tls_role { TLS_CLIENT, TLS_SERVER };

struct tls_ctx_opts {
	enum tls_role role;
	const char *ca_file;	 /* PEM bundle of trusted CAs */
	const char *ca_dir;	 /* c_rehash'ed directory; at least one of the two is required */
	const char *cert_file;	 /* our certificate chain (PEM); required for TLS_SERVER */
	const char *key_file;	 /* its private key (PEM); defaults to cert_file */
	const char *min_version; /* "1.2" (default when NULL) or "1.3" */
	bool verify_peer;	 /* server: demand a client certificate; clients always verify */
};

/*
 * Builds an SSL_CTX: minimum protocol version, trusted CAs, our own
 * certificate and key (checked to match), peer verification on. Fails
 * closed: no CA, an unreadable or mismatched file, an unknown version
 * all return -EINVAL (or -ENOMEM) with one diag naming the file and
 * OpenSSL's reason. *ret untouched on failure; free with SSL_CTX_free.
 */
int tls_ctx_new(const struct tls_ctx_opts *o, SSL_CTX **ret, struct diags *errs);

/* Maps "1.2" / "1.3" (NULL or "" = "1.2") to TLS1_2_VERSION / TLS1_3_VERSION, else -EINVAL. */
int tls_parse_min_version(const char *s);

/*
 * Parses a SHA-256 fingerprint: 64 hex digits, optionally separated by
 * colons, either case. Returns 0 and fills ret[32], or -EINVAL.
 */
int tls_parse_sha256(const char *s, unsigned char ret[32]);

/*
 * Sets the name the peer's certificate must carry on ssl (before the
 * handshake): an IP address literal is matched against IP SANs, anything
 * else against DNS SANs (and sent as SNI). Returns 0 or -EINVAL/-ENOMEM.
 */
int tls_set_peer_name(SSL *ssl, const char *name);

/* Does cert carry name (DNS SAN, wildcard rules of RFC 6125, or IP SAN)? */
bool tls_cert_matches_name(X509 *cert, const char *name);

/* Returns true if the SHA-256 of the peer certificate's DER is pin[32]. */
bool tls_peer_pin_matches(SSL *ssl, const unsigned char pin[32]);

/*
 * Describes why a handshake failed into buf: the verify result when the
 * certificate was rejected, else OpenSSL's queued errors (which it
 * drains). Returns buf.
 */
const char *tls_describe_error(SSL *ssl, char *buf, size_t size);

#endif
