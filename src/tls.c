/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* Appends OpenSSL's queued errors (and drains the queue) to buf. */
static void openssl_errors(char *buf, size_t size)
{
	unsigned long e;
	size_t pos = strlen(buf);

	while ((e = ERR_get_error()) != 0) {
		char one[256];

		ERR_error_string_n(e, one, sizeof(one));
		if (pos + 3 < size) {
			int n = snprintf(buf + pos, size - pos, "%s%s", pos ? "; " : "", one);
			if (n > 0)
				pos += (size_t)n < size - pos ? (size_t)n : size - pos - 1;
		}
	}
}

static void diag_openssl(struct diags *errs, const char *file, const char *what)
{
	char reason[DIAG_MSG_MAX - 64] = "";

	openssl_errors(reason, sizeof(reason));
	diag_add(errs, file, 0, 0, "%s%s%s", what, reason[0] ? ": " : "", reason);
}

int tls_parse_min_version(const char *s)
{
	if (!s || !*s || strcmp(s, "1.2") == 0)
		return TLS1_2_VERSION;
	if (strcmp(s, "1.3") == 0)
		return TLS1_3_VERSION;
	return -EINVAL;
}

int tls_parse_sha256(const char *s, unsigned char ret[32])
{
	unsigned char v[32];
	size_t n = 0;
	int half = -1;

	if (!s)
		return -EINVAL;
	for (; *s; s++) {
		int d;

		if (*s == ':' && half < 0)
			continue;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (half < 0) {
			half = d;
			continue;
		}
		if (n == sizeof(v))
			return -EINVAL;
		v[n++] = (unsigned char)(half << 4 | d);
		half = -1;
	}
	if (n != sizeof(v) || half >= 0)
		return -EINVAL;
	memcpy(ret, v, sizeof(v));
	return 0;
}

static bool is_ip_literal(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

int tls_set_peer_name(SSL *ssl, const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	if (is_ip_literal(name)) {
		X509_VERIFY_PARAM *p = SSL_get0_param(ssl);

		if (X509_VERIFY_PARAM_set1_ip_asc(p, name) != 1)
			return -EINVAL;
		return 0;
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(ssl, name) != 1)
		return -ENOMEM;
	if (SSL_set_tlsext_host_name(ssl, name) != 1)
		return -EINVAL;
	return 0;
}

bool tls_cert_matches_name(X509 *cert, const char *name)
{
	if (!cert || !name || !*name)
		return false;
	if (is_ip_literal(name))
		return X509_check_ip_asc(cert, name, 0) == 1;
	return X509_check_host(cert, name, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

bool tls_peer_pin_matches(SSL *ssl, const unsigned char pin[32])
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!cert || X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32)
		return false;
	return CRYPTO_memcmp(md, pin, 32) == 0;
}

const char *tls_describe_error(SSL *ssl, char *buf, size_t size)
{
	long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;

	unsigned long e = ERR_peek_error();
	int reason = ERR_GET_REASON(e);

	buf[0] = '\0';
	if (v != X509_V_OK)
		snprintf(buf, size, "certificate verify failed: %s",
			 X509_verify_cert_error_string(v));
	else if (e && ERR_GET_LIB(e) == ERR_LIB_SSL &&
		 (reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
		  reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_NO_PROTOCOLS_AVAILABLE ||
		  reason == SSL_R_WRONG_VERSION_NUMBER))
		snprintf(buf, size, "no common TLS version (the minimum is tls_min_version)");
	openssl_errors(buf, size);
	if (!buf[0])
		snprintf(buf, size, "connection closed during the handshake");
	return buf;
}

int tls_ctx_new(const struct tls_ctx_opts *o, SSL_CTX **ret, struct diags *errs)
{
	SSL_CTX *ctx = NULL;
	const char *key = o->key_file && *o->key_file ? o->key_file : o->cert_file;
	bool have_ca = (o->ca_file && *o->ca_file) || (o->ca_dir && *o->ca_dir);
	int ver = tls_parse_min_version(o->min_version);
	int r = -EINVAL;

	ERR_clear_error();
	if (ver < 0) {
		diag_add(errs, NULL, 0, 0, "tls_min_version \"%s\": must be \"1.2\" or \"1.3\"",
			 o->min_version);
		goto out;
	}
	if (!have_ca && (o->role == TLS_CLIENT || o->verify_peer)) {
		diag_add(errs, NULL, 0, 0,
			 "no CA configured (ca_file or ca_dir): refusing to talk TLS to a peer "
			 "that cannot be verified");
		goto out;
	}
	if (o->role == TLS_SERVER && !(o->cert_file && *o->cert_file)) {
		diag_add(errs, NULL, 0, 0, "a TLS server needs cert_file and key_file");
		goto out;
	}
	ctx = SSL_CTX_new(o->role == TLS_CLIENT ? TLS_client_method() : TLS_server_method());
	if (!ctx) {
		diag_openssl(errs, NULL, "cannot create a TLS context");
		r = -ENOMEM;
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(ctx, ver) != 1) {
		diag_openssl(errs, NULL, "cannot set the minimum TLS version");
		goto out;
	}
	if (have_ca) {
		const char *f = o->ca_file && *o->ca_file ? o->ca_file : NULL;
		const char *d = o->ca_dir && *o->ca_dir ? o->ca_dir : NULL;

		if (SSL_CTX_load_verify_locations(ctx, f, d) != 1) {
			diag_openssl(errs, f ? f : d, "cannot load the CA certificates");
			goto out;
		}
	}
	if (o->cert_file && *o->cert_file) {
		if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1) {
			diag_openssl(errs, o->cert_file, "cannot load the certificate");
			goto out;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			diag_openssl(errs, key, "cannot load the private key");
			goto out;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			diag_openssl(errs, key, "the private key does not match the certificate");
			goto out;
		}
	} else if (o->key_file && *o->key_file) {
		diag_add(errs, o->key_file, 0, 0, "key_file given without cert_file");
		goto out;
	}
	if (o->role == TLS_CLIENT || o->verify_peer)
		SSL_CTX_set_verify(
		    ctx,
		    SSL_VERIFY_PEER | (o->role == TLS_SERVER ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
		    NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	*ret = ctx;
	ctx = NULL;
	r = 0;
out:
	SSL_CTX_free(ctx);
	return r;
}
