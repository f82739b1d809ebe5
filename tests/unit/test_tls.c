/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* A self-signed certificate with the given SANs, made with OpenSSL. */
static X509 *make_cert(EVP_PKEY **ret_key, const char *san)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	*ret_key = key;
	return x;
}

static void test_min_version(void **state)
{
	assert_int_equal(tls_parse_min_version(NULL), TLS1_2_VERSION);
	assert_int_equal(tls_parse_min_version(""), TLS1_2_VERSION);
	assert_int_equal(tls_parse_min_version("1.2"), TLS1_2_VERSION);
	assert_int_equal(tls_parse_min_version("1.3"), TLS1_3_VERSION);
	assert_int_equal(tls_parse_min_version("1.1"), -EINVAL);
	assert_int_equal(tls_parse_min_version("1.0"), -EINVAL);
	assert_int_equal(tls_parse_min_version("tls1.2"), -EINVAL);
}

static void test_parse_sha256(void **state)
{
	unsigned char v[32], want[32];

	for (int i = 0; i < 32; i++)
		want[i] = (unsigned char)(i * 8 + 1);
	/* 01 09 11 19 ... f9, written out by hand */
	assert_int_equal(
	    tls_parse_sha256("0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9", v),
	    0);
	assert_memory_equal(v, want, 32);
	memset(v, 0, sizeof(v));
	assert_int_equal(
	    tls_parse_sha256("01:09:11:19:21:29:31:39:41:49:51:59:61:69:71:79:81:89:91:"
			     "99:A1:A9:B1:B9:C1:C9:D1:D9:E1:E9:F1:F9",
			     v),
	    0);
	assert_memory_equal(v, want, 32);
	/* too short, too long, odd digit count, not hex, colon inside a byte */
	memset(v, 0x55, sizeof(v));
	assert_int_equal(tls_parse_sha256("0109", v), -EINVAL);
	assert_int_equal(
	    tls_parse_sha256("0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f900",
			     v),
	    -EINVAL);
	assert_int_equal(
	    tls_parse_sha256("0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f", v),
	    -EINVAL);
	assert_int_equal(
	    tls_parse_sha256("0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1fg", v),
	    -EINVAL);
	assert_int_equal(
	    tls_parse_sha256("0:109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9",
			     v),
	    -EINVAL);
	assert_int_equal(tls_parse_sha256(NULL, v), -EINVAL);
	/* untouched on failure */
	for (int i = 0; i < 32; i++)
		assert_int_equal(v[i], 0x55);
}

static void test_cert_names(void **state)
{
	EVP_PKEY *key = NULL;
	X509 *x = make_cert(&key, "DNS:collector.example.net,DNS:*.siem.example.net,IP:192.0.2.7");

	assert_true(tls_cert_matches_name(x, "collector.example.net"));
	assert_true(tls_cert_matches_name(x, "COLLECTOR.example.net"));
	assert_true(tls_cert_matches_name(x, "a.siem.example.net"));
	assert_false(tls_cert_matches_name(x, "a.b.siem.example.net"));
	assert_false(tls_cert_matches_name(x, "siem.example.net"));
	assert_false(tls_cert_matches_name(x, "example.net"));
	assert_true(tls_cert_matches_name(x, "192.0.2.7"));
	assert_false(tls_cert_matches_name(x, "192.0.2.8"));
	/* an IP literal is never matched against DNS names, nor the CN */
	assert_false(tls_cert_matches_name(x, "test"));
	assert_false(tls_cert_matches_name(x, ""));
	assert_false(tls_cert_matches_name(NULL, "collector.example.net"));
	X509_free(x);
	EVP_PKEY_free(key);
}

static void test_set_peer_name(void **state)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);

	assert_int_equal(tls_set_peer_name(ssl, "collector.example.net"), 0);
	assert_string_equal(SSL_get0_peername(ssl) ? SSL_get0_peername(ssl) : "(none)",
			    "(none)"); /* set only once verified */
	assert_string_equal(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name),
			    "collector.example.net");
	SSL_free(ssl);
	ssl = SSL_new(ctx);
	assert_int_equal(tls_set_peer_name(ssl, "192.0.2.7"), 0);
	/* no SNI for an address (RFC 6066 forbids literal addresses there) */
	assert_null(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
	assert_int_equal(tls_set_peer_name(ssl, ""), -EINVAL);
	assert_int_equal(tls_set_peer_name(ssl, NULL), -EINVAL);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (x)
		assert_true(PEM_write_X509(f, x));
	if (key)
		assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
	fclose(f);
}

static void test_ctx_new(void **state)
{
	char dir[] = "/tmp/test_tls.XXXXXX";
	char ca[256], cert[256], key[256], other[256];
	EVP_PKEY *k = NULL, *k2 = NULL;
	X509 *x = make_cert(&k, "DNS:collector.example.net");
	X509 *x2 = make_cert(&k2, "DNS:other.example.net");
	struct diags errs = {0};
	SSL_CTX *ctx = NULL;
	struct tls_ctx_opts o = {.role = TLS_CLIENT};

	assert_non_null(mkdtemp(dir));
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(other, sizeof(other), "%s/other.key", dir);
	write_pem(ca, x, NULL);
	write_pem(cert, x, NULL);
	write_pem(key, NULL, k);
	write_pem(other, NULL, k2);

	/* no CA: refused, ctx untouched */
	assert_int_equal(tls_ctx_new(&o, &ctx, &errs), -EINVAL);
	assert_null(ctx);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0].msg, "no CA configured"));

	/* a CA file that does not exist */
	errs.n = 0;
	o.ca_file = "/nonexistent/ca.pem";
	assert_int_equal(tls_ctx_new(&o, &ctx, &errs), -EINVAL);
	assert_null(ctx);
	assert_non_null(strstr(errs.v[0].msg, "cannot load the CA certificates"));
	assert_string_equal(errs.v[0].file, "/nonexistent/ca.pem");

	/* unknown minimum version */
	errs.n = 0;
	o.ca_file = ca;
	o.min_version = "1.1";
	assert_int_equal(tls_ctx_new(&o, &ctx, &errs), -EINVAL);
	assert_non_null(strstr(errs.v[0].msg, "tls_min_version"));

	/* a key that is not the certificate's */
	errs.n = 0;
	o.min_version = "1.3";
	o.cert_file = cert;
	o.key_file = other;
	assert_int_equal(tls_ctx_new(&o, &ctx, &errs), -EINVAL);
	/* OpenSSL notices when loading the key: "cannot load the private key: ...key values
	 * mismatch" */
	assert_non_null(strstr(errs.v[0].msg, "private key"));
	assert_non_null(strstr(errs.v[0].msg, "mismatch"));
	assert_string_equal(errs.v[0].file, other);

	/* a missing certificate file */
	errs.n = 0;
	o.cert_file = "/nonexistent/cert.pem";
	assert_int_equal(tls_ctx_new(&o, &ctx, &errs), -EINVAL);
	assert_non_null(strstr(errs.v[0].msg, "cannot load the certificate"));

	/* all good: verification on, TLS 1.3 minimum */
	errs.n = 0;
	o.cert_file = cert;
	o.key_file = key;
	assert_int_equal(tls_ctx_new(&o, &ctx, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER, SSL_VERIFY_PEER);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
	SSL_CTX_free(ctx);
	ctx = NULL;

	/* a server without a certificate is refused; with one it demands the client's */
	o = (struct tls_ctx_opts){.role = TLS_SERVER, .ca_file = ca, .verify_peer = true};
	assert_int_equal(tls_ctx_new(&o, &ctx, &errs), -EINVAL);
	o.cert_file = cert;
	o.key_file = key;
	assert_int_equal(tls_ctx_new(&o, &ctx, &errs), 0);
	assert_int_equal(SSL_CTX_get_verify_mode(ctx),
			 SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	SSL_CTX_free(ctx);

	unlink(ca);
	unlink(cert);
	unlink(key);
	unlink(other);
	rmdir(dir);
	X509_free(x);
	X509_free(x2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_min_version), cmocka_unit_test(test_parse_sha256),
	    cmocka_unit_test(test_cert_names),	cmocka_unit_test(test_set_peer_name),
	    cmocka_unit_test(test_ctx_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
