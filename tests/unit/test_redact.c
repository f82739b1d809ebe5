/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "config.h"
#include "event.h"
#include "redact.h"
#include "stats.h"
#include "stage_opts.h"

/*
 * The redaction stage against the real event arena, the real OpenSSL HMAC
 * and the real PCRE2. Expected values are written out by hand: masked
 * addresses from the prefix arithmetic, pseudonyms from the RFC 4231
 * HMAC-SHA256 test vectors, scrubbed lines character by character.
 */

#define BIG (1024 * 1024)

static const unsigned char test_key[32] = "0123456789abcdef0123456789abcde";
static const unsigned char other_key[32] = "fedcba9876543210fedcba987654321";

struct fx {
	char dir[64];
	char key_path[128];
	struct config cfg;
	struct config_redact_field fields[8];
	struct counters cnt;
	struct diags errs;
	struct event ev;
};

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_redact.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->key_path, sizeof(fx->key_path), "%s/pseudonym.key", fx->dir);
	write_file(fx->key_path, test_key, sizeof(test_key), 0600);
	/* A hand-made policy; strings borrowed, so no config_done. */
	fx->cfg.path = "test.yaml";
	fx->cfg.redact.key_file = fx->key_path;
	fx->cfg.redact.key_generation = 1;
	fx->cfg.redact.mask_ipv4_prefix = 24;
	fx->cfg.redact.mask_ipv6_prefix = 48;
	assert_int_equal(event_init(&fx->ev, 8 * BIG), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	event_done(&fx->ev);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void policy(struct fx *fx, const char *field, enum redact_action a)
{
	size_t n = fx->cfg.redact.n_fields;

	fx->cfg.redact.fields[n] =
	    (struct config_redact_field){.field = (char *)field, .action = a};
	fx->cfg.redact.n_fields = n + 1;
}

static struct redactor *new_ok(struct fx *fx)
{
	struct redactor *r = NULL;
	int rc = redactor_new(&t_pipeline_opts(&fx->cfg)->redact, &fx->cnt, &r, &fx->errs);

	if (rc < 0)
		for (size_t i = 0; i < fx->errs.n; i++)
			print_error("diag: %s\n", fx->errs.v[i].msg);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	return r;
}

/* redactor_new must fail with rc, leave *ret alone and say something containing needle. */
static void new_fails(struct fx *fx, int rc, const char *needle)
{
	struct redactor *sentinel = (struct redactor *)&fx->cnt, *r = sentinel;
	bool found = false;

	memset(&fx->errs, 0, sizeof(fx->errs));
	assert_int_equal(redactor_new(&t_pipeline_opts(&fx->cfg)->redact, &fx->cnt, &r, &fx->errs),
			 rc);
	assert_ptr_equal(r, sentinel);
	assert_true(fx->errs.n >= 1);
	for (size_t i = 0; i < fx->errs.n; i++)
		if (strstr(fx->errs.v[i].msg, needle))
			found = true;
	if (!found)
		print_error("no diag contains '%s'; first: %s\n", needle, fx->errs.v[0].msg);
	assert_true(found);
}

static void set(struct fx *fx, enum field f, const char *s)
{
	assert_int_equal(event_set_str(&fx->ev, f, s, strlen(s)), 0);
}

static const char *get(struct fx *fx, enum field f)
{
	return event_str(&fx->ev, f, NULL);
}

/* ---- masks ---- */

static void mask_is(const char *in, unsigned p4, unsigned p6, const char *want)
{
	char out[64];

	assert_int_equal(redact_mask_ip(in, p4, p6, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_mask_ipv4(void **state)
{
	mask_is("192.0.2.33", 24, 48, "192.0.2.0");
	mask_is("198.51.100.254", 16, 48, "198.51.0.0");
	mask_is("203.0.113.77", 32, 48, "203.0.113.77");
	mask_is("203.0.113.77", 0, 48, "0.0.0.0");
	mask_is("10.1.2.131", 25, 48, "10.1.2.128");
}

static void test_mask_ipv6(void **state)
{
	mask_is("2001:db8:1:2::23", 24, 48, "2001:db8:1::");
	mask_is("[2001:db8:abcd:12::1]", 24, 48, "2001:db8:abcd::");
	mask_is("2001:db8:abcd:1234::1", 24, 56, "2001:db8:abcd:1200::");
	mask_is("2001:db8:abcd:12::1", 24, 56, "2001:db8:abcd::");
	mask_is("fe80::1%eth0", 24, 48, "fe80::");
	mask_is("2001:db8::1", 24, 128, "2001:db8::1");
}

static void test_mask_ipv4_mapped(void **state)
{
	/* The IPv4 prefix applies; a /48 of the whole address would have left "::". */
	mask_is("::ffff:192.0.2.33", 24, 48, "::ffff:192.0.2.0");
	mask_is("::ffff:198.51.100.7", 16, 48, "::ffff:198.51.0.0");
}

static void test_mask_not_address(void **state)
{
	static const char *const bad[] = {"",	       "not-an-ip",   "192.0.2", "192.0.2.1/24",
					  "1.2.3.4.5", "192.0.2.256", "@west",	 "2001:db8::1::2",
					  "[]",	       "::ffff:"};
	char *big = malloc(BIG + 1);
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(redact_mask_ip(bad[i], 24, 48, out, sizeof(out)), -EINVAL);
	assert_non_null(big);
	memset(big, '1', BIG);
	big[BIG] = '\0';
	assert_int_equal(redact_mask_ip(big, 24, 48, out, sizeof(out)), -EINVAL);
	free(big);
	assert_int_equal(redact_mask_ip("192.0.2.1", 33, 48, out, sizeof(out)), -EINVAL);
	assert_int_equal(redact_mask_ip("2001:db8::1", 24, 129, out, sizeof(out)), -EINVAL);
	assert_int_equal(redact_mask_ip("192.0.2.1", 24, 48, out, 9), -ENOSPC);
}

/* ---- pseudonyms ---- */

static void test_pseudonym_rfc4231(void **state)
{
	unsigned char key1[20];
	char out[40];

	/* RFC 4231 test case 2: HMAC-SHA256 = 5bdcc146bf60754e 6a04...; 16 digits kept. */
	assert_int_equal(redact_pseudonym((const unsigned char *)"Jefe", 4, 1,
					  "what do ya want for nothing?", 28, out, sizeof(out)),
			 0);
	assert_string_equal(out, "h1:5bdcc146bf60754e");
	/* RFC 4231 test case 1: key 20 x 0x0b, "Hi There" = b0344c61d8db3853 5ca8... */
	memset(key1, 0x0b, sizeof(key1));
	assert_int_equal(redact_pseudonym(key1, sizeof(key1), 7, "Hi There", 8, out, sizeof(out)),
			 0);
	assert_string_equal(out, "h7:b0344c61d8db3853");
	/* The generation is what tells a rotation apart. */
	assert_int_equal(
	    redact_pseudonym(key1, sizeof(key1), 65535, "Hi There", 8, out, sizeof(out)), 0);
	assert_string_equal(out, "h65535:b0344c61d8db3853");
	assert_int_equal(redact_pseudonym(key1, sizeof(key1), 1, "Hi There", 8, out, 19), -ENOSPC);
	assert_int_equal(redact_pseudonym(key1, 0, 1, "Hi There", 8, out, sizeof(out)), -EINVAL);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Identity-shaped values and random printable ones, 8 to 71 bytes. */
static size_t gen_value(uint64_t *s, unsigned i, char *buf, size_t size)
{
	switch (i % 4) {
	case 0:
		return (size_t)snprintf(buf, size, "@gw%u.example.net",
					(unsigned)(rnd(s) % 100000));
	case 1:
		return (size_t)snprintf(buf, size, "C=CA, O=Org %u, CN=user%u, E=u%u@example.org",
					(unsigned)(rnd(s) % 1000), i, (unsigned)(rnd(s) % 1000));
	case 2:
		return (size_t)snprintf(buf, size, "user%u@corp.example", i);
	default: {
		size_t len = 8 + rnd(s) % 64;

		for (size_t k = 0; k < len && k + 1 < size; k++)
			buf[k] = (char)(' ' + rnd(s) % 95);
		buf[len] = '\0';
		return len;
	}
	}
}

static void test_pseudonym_properties(void **state)
{
	enum { N = 4000 };
	static char vals[N][128], seen[N][40];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char b[40], c[40];

	for (unsigned i = 0; i < N; i++) {
		char *v = vals[i], *a = seen[i];
		size_t len = gen_value(&seed, i, v, sizeof(vals[i]));

		assert_int_equal(redact_pseudonym(test_key, 32, 1, v, len, a, sizeof(seen[i])), 0);
		assert_int_equal(redact_pseudonym(test_key, 32, 1, v, len, b, sizeof(b)), 0);
		assert_int_equal(redact_pseudonym(other_key, 32, 1, v, len, c, sizeof(c)), 0);
		assert_string_equal(a, b);	 /* stable under one key */
		assert_string_not_equal(a, c);	 /* another key, another pseudonym */
		assert_string_not_equal(a, v);	 /* never the input */
		assert_null(strstr(a, v));	 /* never containing it */
		assert_int_equal(strlen(a), 19); /* "h1:" + 16 hex */
		assert_memory_equal(a, "h1:", 3);
		assert_int_equal(strspn(a + 3, "0123456789abcdef"), 16);
	}
	/* Distinct inputs, distinct pseudonyms (64 bits: a collision here is a bug). */
	for (unsigned i = 0; i < N; i++)
		for (unsigned j = i + 1; j < N; j++)
			if (strcmp(seen[i], seen[j]) == 0)
				assert_string_equal(vals[i], vals[j]);
}

/* ---- the policy on events ---- */

static void test_actions_on_addresses(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	struct redact_stats st;
	char want[40];

	policy(fx, "peer_ip", REDACT_MASK);
	policy(fx, "local_ip", REDACT_HASH);
	policy(fx, "lease_ip", REDACT_DROP);
	policy(fx, "peer_id", REDACT_MASK);
	r = new_ok(fx);

	static const struct {
		const char *in, *masked;
	} cases[] = {
	    {"192.0.2.33", "192.0.2.0"},
	    {"2001:db8:1:2::23", "2001:db8:1::"},
	    {"::ffff:192.0.2.33", "::ffff:192.0.2.0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		event_reset(&fx->ev);
		set(fx, F_PEER_IP, cases[i].in);
		set(fx, F_LOCAL_IP, cases[i].in);
		set(fx, F_LEASE_IP, cases[i].in);
		set(fx, F_PEER_ID, cases[i].in);
		set(fx, F_LOCAL_PORT, "500");
		assert_int_equal(redact_event(r, &fx->ev), 0);
		assert_string_equal(get(fx, F_PEER_IP), cases[i].masked);
		assert_string_equal(get(fx, F_PEER_ID), cases[i].masked);
		assert_int_equal(redact_pseudonym(test_key, 32, 1, cases[i].in, strlen(cases[i].in),
						  want, sizeof(want)),
				 0);
		assert_string_equal(get(fx, F_LOCAL_IP), want);
		assert_false(event_has(&fx->ev, F_LEASE_IP));
		assert_string_equal(get(fx, F_LOCAL_PORT), "500"); /* not named: kept */
	}
	redactor_stats(r, &st);
	assert_int_equal(st.mask_dropped, 0);
	redactor_free(r);
}

static void test_actions_on_identities(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	struct redact_stats st;
	char want[40];
	const char *dn = "C=CA, ST=Ontario, O=Libreswan, CN=road.testing.libreswan.org, "
			 "E=user-road@testing.libreswan.org";

	policy(fx, "peer_id", REDACT_HASH);
	policy(fx, "cert_subject", REDACT_HASH);
	policy(fx, "username", REDACT_MASK); /* no address: removed, counted */
	policy(fx, "conn_name", REDACT_KEEP);
	policy(fx, "message", REDACT_DROP);
	r = new_ok(fx);
	event_reset(&fx->ev);
	set(fx, F_PEER_ID, "@east");
	set(fx, F_CERT_SUBJECT, dn);
	set(fx, F_USERNAME, "alice");
	set(fx, F_CONN_NAME, "westnet-eastnet-ipv4-psk-ikev2");
	set(fx, F_MESSAGE, "\"westnet-eastnet-ipv4-psk-ikev2\" #1: established IKE SA");
	assert_int_equal(redact_event(r, &fx->ev), 0);
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "@east", 5, want, sizeof(want)), 0);
	assert_string_equal(get(fx, F_PEER_ID), want);
	/* The DN is hashed whole, not attribute by attribute. */
	assert_int_equal(redact_pseudonym(test_key, 32, 1, dn, strlen(dn), want, sizeof(want)), 0);
	assert_string_equal(get(fx, F_CERT_SUBJECT), want);
	assert_false(event_has(&fx->ev, F_USERNAME));
	assert_false(event_has(&fx->ev, F_MESSAGE));
	assert_string_equal(get(fx, F_CONN_NAME), "westnet-eastnet-ipv4-psk-ikev2");
	redactor_stats(r, &st);
	assert_int_equal(st.mask_dropped, 1);
	redactor_free(r);
}

/*
 * redact_event_own: the fields named own are text ikelogd wrote, not
 * scanned for secrets; the policy still hashes and drops them, and every
 * other field is scanned as by redact_event.
 */
static void test_own_fields(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	uint64_t own[(F__MAX + 63) / 64] = {0};
	const char *hex = "00112233445566778899aabbccddeeff"; /* 32 hex digits: a secret */
	char want[40];

	policy(fx, "peer_id", REDACT_HASH);
	policy(fx, "severity", REDACT_DROP);
	r = new_ok(fx);
	own[F_CONN_NAME / 64] |= UINT64_C(1) << (F_CONN_NAME % 64);
	own[F_PEER_ID / 64] |= UINT64_C(1) << (F_PEER_ID % 64);
	own[F_SEVERITY / 64] |= UINT64_C(1) << (F_SEVERITY % 64);
	event_reset(&fx->ev);
	set(fx, F_CONN_NAME, hex);
	set(fx, F_REASON, hex);
	set(fx, F_PEER_ID, "@east");
	set(fx, F_SEVERITY, "info");
	assert_int_equal(redact_event_own(r, &fx->ev, own), 0);
	assert_string_equal(get(fx, F_CONN_NAME), hex);
	assert_string_not_equal(get(fx, F_REASON), hex);
	assert_null(strstr(get(fx, F_REASON), "00112233"));
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "@east", 5, want, sizeof(want)), 0);
	assert_string_equal(get(fx, F_PEER_ID), want);
	assert_false(event_has(&fx->ev, F_SEVERITY));
	/* Without own, the same value is scanned. */
	event_reset(&fx->ev);
	set(fx, F_CONN_NAME, hex);
	assert_int_equal(redact_event(r, &fx->ev), 0);
	assert_null(strstr(get(fx, F_CONN_NAME), "00112233"));
	redactor_free(r);
}

static void test_actions_on_empty(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	struct redact_stats st;

	policy(fx, "peer_id", REDACT_HASH);
	policy(fx, "peer_ip", REDACT_MASK);
	policy(fx, "lease_ip", REDACT_DROP);
	r = new_ok(fx);
	event_reset(&fx->ev);
	set(fx, F_PEER_ID, "");
	set(fx, F_PEER_IP, "");
	set(fx, F_LEASE_IP, "");
	set(fx, F_REASON, "");
	assert_int_equal(redact_event(r, &fx->ev), 0);
	/* An empty identity has nothing to pseudonymize: absent, never "". */
	assert_false(event_has(&fx->ev, F_PEER_ID));
	assert_false(event_has(&fx->ev, F_PEER_IP));
	assert_false(event_has(&fx->ev, F_LEASE_IP));
	assert_string_equal(get(fx, F_REASON), ""); /* kept as it came */
	redactor_stats(r, &st);
	assert_int_equal(st.mask_dropped, 1);
	redactor_free(r);
}

static void test_actions_on_huge(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	char *big = malloc(BIG + 1), want[40];
	const char *s;
	size_t len;

	assert_non_null(big);
	for (size_t i = 0; i < BIG; i++)
		big[i] = "west east IKE SA "[i % 17];
	big[BIG] = '\0';
	policy(fx, "peer_id", REDACT_HASH);
	policy(fx, "peer_ip", REDACT_MASK);
	policy(fx, "lease_ip", REDACT_DROP);
	r = new_ok(fx);
	event_reset(&fx->ev);
	assert_int_equal(event_set_str(&fx->ev, F_PEER_ID, big, BIG), 0);
	assert_int_equal(event_set_str(&fx->ev, F_PEER_IP, big, BIG), 0);
	assert_int_equal(event_set_str(&fx->ev, F_LEASE_IP, big, BIG), 0);
	/* Not the identity itself, which would be swapped for its pseudonym. */
	assert_int_equal(event_set_str(&fx->ev, F_MESSAGE, big + 1, BIG - 1), 0);
	assert_int_equal(redact_event(r, &fx->ev), 0);
	assert_int_equal(redact_pseudonym(test_key, 32, 1, big, BIG, want, sizeof(want)), 0);
	assert_string_equal(get(fx, F_PEER_ID), want);
	assert_false(event_has(&fx->ev, F_PEER_IP));
	assert_false(event_has(&fx->ev, F_LEASE_IP));
	s = event_str(&fx->ev, F_MESSAGE, &len); /* kept, nothing to scrub */
	assert_int_equal(len, BIG - 1);
	assert_memory_equal(s, big + 1, BIG - 1);

	/* A 1 MB kept message with a 64-digit hex run in its middle. */
	memcpy(big + BIG / 2, "7a3b99c41234567890abcdef7a3b99c41234567890abcdef7a3b99c41234567f",
	       64);
	big[BIG / 2 - 1] = ' ';
	big[BIG / 2 + 64] = ' ';
	event_reset(&fx->ev);
	assert_int_equal(event_set_str(&fx->ev, F_MESSAGE, big, BIG), 0);
	fx->cnt.redact_scrubbed = 0;
	assert_int_equal(redact_event(r, &fx->ev), 0);
	s = event_str(&fx->ev, F_MESSAGE, &len);
	assert_int_equal(len, BIG - 64 + strlen("[redacted]"));
	assert_memory_equal(s, big, BIG / 2);
	assert_memory_equal(s + BIG / 2, "[redacted] ", 11);
	assert_memory_equal(s + BIG / 2 + 10, big + BIG / 2 + 64, BIG / 2 - 64);
	assert_int_equal(fx->cnt.redact_scrubbed, 1);
	redactor_free(r);
	free(big);
}

static void test_identities_in_kept_text(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	struct redact_stats st;
	char east[40], gate[40], example[40], want[512];

	policy(fx, "peer_id", REDACT_HASH);
	policy(fx, "peer_ip", REDACT_MASK);
	policy(fx, "local_ip", REDACT_MASK);
	policy(fx, "username", REDACT_MASK); /* no address: removed, and "[redacted]" in text */
	policy(fx, "message", REDACT_KEEP);
	r = new_ok(fx);
	event_reset(&fx->ev);
	set(fx, F_PEER_ID, "@east");
	set(fx, F_PEER_IP, "192.1.2.23");
	set(fx, F_LOCAL_IP, "2001:db8:1:2::45");
	set(fx, F_USERNAME, "alice");
	set(fx, F_MESSAGE,
	    "\"westeast\" #1: established IKE SA; authenticated peer using "
	    "authby=secret and ID_FQDN '@east' from 192.1.2.23:500 to "
	    "[2001:db8:1:2::45]:500 user alice; not @eastgate, @east.example, "
	    "192.1.2.230, 10.192.1.2.23, 2001:db8:1:2::45:7, 192.1.2.13 or alice2");
	set(fx, F_REASON, "peer @east");
	assert_int_equal(redact_event(r, &fx->ev), 0);
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "@east", 5, east, sizeof(east)), 0);
	/* Other identities are hashed as themselves, not cut at "@east". */
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "@eastgate", 9, gate, sizeof(gate)), 0);
	assert_int_equal(
	    redact_pseudonym(test_key, 32, 1, "@east.example", 13, example, sizeof(example)), 0);
	snprintf(want, sizeof(want),
		 "\"westeast\" #1: established IKE SA; authenticated peer using "
		 "authby=secret and ID_FQDN '%s' from 192.1.2.0:500 to "
		 "[2001:db8:1::]:500 user [redacted]; not %s, %s, "
		 "192.1.2.230, 10.192.1.2.23, 2001:db8:1:2::45:7, 192.1.2.13 or alice2",
		 east, gate, example);
	assert_string_equal(get(fx, F_MESSAGE), want);
	snprintf(want, sizeof(want), "peer %s", east);
	assert_string_equal(get(fx, F_REASON), want);
	redactor_stats(r, &st);
	assert_int_equal(st.swapped, 7);
	assert_int_equal(fx->cnt.redact_scrubbed, 0); /* identities are not secrets */
	redactor_free(r);
}

static void test_identity_tokens(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	char w[40], e[40], road[40], want[512];
	const char *issuer = "C=CA, O=Libreswan, CN=Libreswan test CA, E=testing@libreswan.org";

	policy(fx, "peer_id", REDACT_HASH); /* identities hashed: '@' tokens in text too */
	policy(fx, "message", REDACT_KEEP);
	policy(fx, "cert_issuer", REDACT_KEEP);
	r = new_ok(fx);
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "@west", 5, w, sizeof(w)), 0);
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "@east", 5, e, sizeof(e)), 0);
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "user-road@testing.libreswan.org", 31,
					  road, sizeof(road)),
			 0);

	/* A debug line carries no identity field: its '@' tokens are hashed all the same. */
	event_reset(&fx->ev);
	set(fx, F_MESSAGE, "| started looking for secret for @west->@east of kind PKK_PSK");
	set(fx, F_CERT_ISSUER, issuer);
	assert_int_equal(redact_event(r, &fx->ev), 0);
	snprintf(want, sizeof(want), "| started looking for secret for %s->%s of kind PKK_PSK", w,
		 e);
	assert_string_equal(get(fx, F_MESSAGE), want);
	assert_string_equal(get(fx, F_CERT_ISSUER), issuer); /* kept fields other than text */

	event_reset(&fx->ev);
	set(fx, F_MESSAGE,
	    "cert 'E=user-road@testing.libreswan.org' for @east. a @ b, x@, @-, "
	    "st_skeyid_nss-key@NULL sk@0x55d3e1a4b2c0 fd@(nil)");
	assert_int_equal(redact_event(r, &fx->ev), 0);
	snprintf(want, sizeof(want),
		 "cert 'E=%s' for %s. a @ b, x@, @-, st_skeyid_nss-key@NULL sk@0x55d3e1a4b2c0 "
		 "fd@(nil)",
		 road, e);
	assert_string_equal(get(fx, F_MESSAGE), want);
	redactor_free(r);
}

/* Long text where the result outgrows the scratch buffers while being written. */
static void test_long_text_grows(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	char *pats[] = {"k[0-9]"};
	char *in = malloc(20000), *want = malloc(60000), east[40];
	size_t n = 0, w = 0;

	assert_non_null(in);
	assert_non_null(want);
	fx->cfg.redact.secret_patterns.v[0] = pats[0];
	fx->cfg.redact.secret_patterns.n = 1;
	policy(fx, "peer_id", REDACT_HASH);
	policy(fx, "message", REDACT_KEEP);
	r = new_ok(fx);
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "@east", 5, east, sizeof(east)), 0);
	/* 1000 times "@east k7 ...": each "@east" grows by 14 bytes, each "k7" by 8. */
	for (int i = 0; i < 1000; i++) {
		n += (size_t)sprintf(in + n, "@east k%d x ", i % 10);
		w += (size_t)sprintf(want + w, "%s [redacted] x ", east);
	}
	event_reset(&fx->ev);
	assert_int_equal(event_set_str(&fx->ev, F_PEER_ID, "@east", 5), 0);
	assert_int_equal(event_set_str(&fx->ev, F_MESSAGE, in, n), 0);
	assert_int_equal(redact_event(r, &fx->ev), 0);
	assert_string_equal(get(fx, F_MESSAGE), want);
	free(in);
	free(want);
	redactor_free(r);
}

static void test_redactor_matches_helper(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	uint64_t seed = 42;
	char v[128], want[40];

	fx->cfg.redact.key_generation = 3;
	policy(fx, "username", REDACT_HASH);
	r = new_ok(fx);
	/* Twice over the same values: the second round comes from the pseudonym cache. */
	for (unsigned i = 0; i < 1000; i++) {
		size_t len;

		if (i == 500)
			seed = 42;
		len = gen_value(&seed, i % 500, v, sizeof(v));

		event_reset(&fx->ev);
		assert_int_equal(event_set_str(&fx->ev, F_USERNAME, v, len), 0);
		assert_int_equal(redact_event(r, &fx->ev), 0);
		assert_int_equal(redact_pseudonym(test_key, 32, 3, v, len, want, sizeof(want)), 0);
		assert_string_equal(get(fx, F_USERNAME), want);
		assert_memory_equal(want, "h3:", 3);
	}
	redactor_free(r);
}

static void test_arena_full_fails_closed(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	struct event small;
	struct redact_stats st;
	/* 10 digits + NUL for the id, then 6 bytes left: no room for a pseudonym. */
	const char *id = "@gw.local1";

	policy(fx, "peer_id", REDACT_HASH);
	r = new_ok(fx);
	assert_int_equal(event_init(&small, 17), 0);
	assert_int_equal(event_set_str(&small, F_PEER_ID, id, strlen(id)), 0);
	assert_int_equal(redact_event(r, &small), -ENOSPC);
	assert_false(event_has(&small, F_PEER_ID)); /* never the clear value */
	redactor_stats(r, &st);
	assert_int_equal(st.removed, 1);
	event_done(&small);
	redactor_free(r);
}

/* ---- the scrub ---- */

static void scrub_is(struct redactor *r, const char *in, const char *want, int n)
{
	const char *out;
	size_t len;
	int rc = redact_scrub(r, in, strlen(in), &out, &len);

	if (rc != n || len != strlen(want) || memcmp(out, want, len) != 0)
		print_error("scrub of '%s':\n  got  '%.*s' (%d)\n  want '%s' (%d)\n", in, (int)len,
			    out, rc, want, n);
	assert_int_equal(rc, n);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
}

static void test_scrub_hex_runs(void **state)
{
	struct fx *fx = *state;
	struct redactor *r = new_ok(fx);

	/* 32 digits and more, any case, 0x or not. */
	scrub_is(r, "skeyseed 7a3b99c4123456789abcdef0aabbccdd done", "skeyseed [redacted] done",
		 1);
	scrub_is(r, "key=0x7A3B99C4123456789ABCDEF0AABBCCDDEEFF0011 x", "key=[redacted] x", 1);
	scrub_is(r, "a 7a3b99c4123456789abcdef0aabbccd b", "a 7a3b99c4123456789abcdef0aabbccd b",
		 0); /* 31 digits: kept */
	/* Bytes apart, as dumps and openssl print them. */
	scrub_is(r, "Ni: 7a 3b 99 c4 12 34 56 78 9a bc de f0 aa bb cc dd", "Ni: [redacted]", 1);
	scrub_is(r, "Ni: 7a:3b:99:c4:12:34:56:78:9a:bc:de:f0:aa:bb:cc:dd:ee", "Ni: [redacted]", 1);
	scrub_is(r, "x 7a 3b 99 c4  12 34 56 78  9a bc de f0  aa bb cc dd y", "x [redacted] y", 1);
	scrub_is(r, "15 bytes 7a:3b:99:c4:12:34:56:78:9a:bc:de:f0:aa:bb:cc",
		 "15 bytes 7a:3b:99:c4:12:34:56:78:9a:bc:de:f0:aa:bb:cc", 0);
	scrub_is(r, "words 0x7a3b99c4 0x12345678 0x9abcdef0 0xaabbccdd end", "words [redacted] end",
		 1);
	scrub_is(r, "two 7a3b99c4123456789abcdef0aabbccdd and 0x00112233445566778899aabbccddeeff",
		 "two [redacted] and [redacted]", 2);
	redactor_free(r);
}

/*
 * The scrub skips the built-in pattern on text that has fewer than 16 pairs
 * of hex digits and no '|'. Over random text made of the pattern's own
 * characters, wherever PCRE2 itself finds a match the scrub must replace
 * something: the shortcut never lets key material through.
 */
static void test_scrub_shortcut_misses_nothing(void **state)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	static const char *const sep[] = {" ",	" ",   " ", ":", ":",  ", ",  "  ", "   ",
					  "0x", " 0x", ".", "g", "| ", "|] ", "\n"};
	static const size_t runs[] = {2, 2, 2, 2, 2, 2, 8, 8, 1, 3, 4, 6, 10, 31, 32, 33};
	struct fx *fx = *state;
	struct redactor *r = new_ok(fx);
	pcre2_code *code;
	pcre2_match_data *md;
	uint64_t seed = 7;
	int err, found = 0;
	PCRE2_SIZE off;
	char s[128];

	code = pcre2_compile((PCRE2_SPTR)redact_builtin_pattern, PCRE2_ZERO_TERMINATED, 0, &err,
			     &off, NULL);
	assert_non_null(code);
	md = pcre2_match_data_create_from_pattern(code, NULL);
	assert_non_null(md);
	for (unsigned i = 0; i < 20000; i++) {
		size_t len = 0, want = 24 + rnd(&seed) % 80;
		const char *out;
		size_t out_len;
		bool hit = false;

		/* Runs of hex digits, apart by what the pattern allows or not. */
		while (len < want) {
			size_t run = runs[rnd(&seed) % (sizeof(runs) / sizeof(runs[0]))];
			const char *p = sep[rnd(&seed) % (sizeof(sep) / sizeof(sep[0]))];

			for (size_t k = 0; k < run && len < want; k++)
				s[len++] = hex[rnd(&seed) % (sizeof(hex) - 1)];
			for (; *p && len < want; p++)
				s[len++] = *p;
		}
		s[len] = '\0';
		for (PCRE2_SIZE pos = 0; pos <= len && !hit;) {
			if (pcre2_match(code, (PCRE2_SPTR)s, len, pos, 0, md, NULL) < 0)
				break;
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

			hit = ov[1] > ov[0];
			pos = ov[0] + 1;
		}
		int n = redact_scrub(r, s, len, &out, &out_len);

		assert_true(n >= 0);
		if (hit) {
			found++;
			if (n == 0)
				print_error("missed key material in '%s'\n", s);
			assert_true(n > 0);
		}
	}
	print_message("%d of 20000 texts hold a match\n", found);
	assert_true(found > 1000); /* the input does exercise the pattern */
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	redactor_free(r);
}

static void test_scrub_debug_dumps(void **state)
{
	struct fx *fx = *state;
	struct redactor *r = new_ok(fx);

	/* pluto's llog_dump(): 16 bytes a line, the printable column after them. */
	scrub_is(r, "|   54 68 69 73  49 73 4e 6f  74 41 53 65  63 72 65 74   ThisIsNotASecret",
		 "| [redacted]", 1);
	/* The last line of a dump: a few bytes, padded, still key material. */
	scrub_is(r, "|   50 53 4b 21                                          PSK!", "| [redacted]",
		 1);
	scrub_is(r, "|   7a 3b 99", "| [redacted]", 1);
	/* Behind a syslog or logfile prefix, and the 5.x whack echo "|]". */
	scrub_is(r, "Nov 23 20:25:58 gw pluto[1234]: |   7a 3b 99 c4  12 34",
		 "Nov 23 20:25:58 gw pluto[1234]: | [redacted]", 1);
	scrub_is(r, "|]   de ad be ef", "|] [redacted]", 1);
	/* A label line with the bytes on it (older pluto). */
	scrub_is(r, "| Ni  7a 3b 99 c4  12 34 56 78  9a bc de f0  aa bb cc dd  01 02 03 04",
		 "| Ni  [redacted]", 1);
	/* Debug lines that are no dump stay as they are. */
	scrub_is(r, "| ******emit IKEv2 Nonce Payload:", "| ******emit IKEv2 Nonce Payload:", 0);
	scrub_is(r, "|    next payload type: ISAKMP_NEXT_v2NONE (0x0)",
		 "|    next payload type: ISAKMP_NEXT_v2NONE (0x0)", 0);
	scrub_is(r, "| 12 bytes ok", "| 12 bytes ok", 0);
	scrub_is(r, "|    ac 12 and more words", "|    ac 12 and more words", 0);
	redactor_free(r);
}

static void test_scrub_keeps_pluto_lines(void **state)
{
	struct fx *fx = *state;
	struct redactor *r = new_ok(fx);
	static const char *const lines[] = {
	    "\"westnet-eastnet-ipv4-psk-ikev2\" #2: initiator established Child SA using #1; "
	    "IPsec tunnel [192.0.1.0/24===192.0.2.0/24] {ESP/ESN=>0xcd59cd6f <0xf4fab030 "
	    "xfrm=AES_GCM_16_256 DPD=passive}",
	    "\"foo-v6\"[1] 2a00:1190:c02d:fff::2 #20: sent CREATE_CHILD_SA request to rekey "
	    "Child SA #19 using IKE SA #13 {ESP <0x5ddd73e2} [2a00:1190:c02d:f11::1/128===::/0]",
	    "\"gcp\" #9860: proposal 1:IKE=AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048 "
	    "chosen from remote proposals 1:IKE:ENCR=AES_CBC_256;INTEG=HMAC_SHA2_256_128",
	    "\"road\" #1: IKE SA established 2001:db8:0:1:2:3:4:5 fe80::aabb:ccdd:eeff:1",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		scrub_is(r, lines[i], lines[i], 0);
	redactor_free(r);
}

static void test_scrub_patterns(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	char *pats[] = {"PSK \"[^\"]*\"", "(?i)password[=:] *\\S+"};

	fx->cfg.redact.secret_patterns.v[0] = pats[0];
	fx->cfg.redact.secret_patterns.v[1] = pats[1];
	fx->cfg.redact.secret_patterns.n = 2;
	r = new_ok(fx);
	scrub_is(r, "@west @east : PSK \"ThisIsNotASecret\" x", "@west @east : [redacted] x", 1);
	scrub_is(r, "xauth Password: hunter2 then PassWord=zz", "xauth [redacted] then [redacted]",
		 2);
	/* Both passes on one line: the pattern first, then the hex run. */
	scrub_is(r, "PSK \"a\" and 00112233445566778899aabbccddeeff", "[redacted] and [redacted]",
		 2);
	redactor_free(r);
}

static void test_scrub_in_event(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	const char *hex40 = "00112233445566778899aabbccddeeff00112233";

	policy(fx, "message", REDACT_KEEP);
	policy(fx, "cert_subject", REDACT_KEEP);
	policy(fx, "peer_id", REDACT_HASH);
	r = new_ok(fx);
	event_reset(&fx->ev);
	set(fx, F_MESSAGE, "|   7a 3b 99 c4  12 34 56 78  9a bc de f0  aa bb cc dd   z;..........");
	set(fx, F_REASON, "bad nonce 00112233445566778899aabbccddeeff");
	set(fx, F_CERT_SUBJECT, "CN=00112233445566778899aabbccddeeff.example");
	set(fx, F_EVENT_ID, hex40);	 /* our own ids are not scrubbed */
	set(fx, F_SPI_IN, "0xcd59cd6f"); /* not free text */
	fx->cnt.redact_scrubbed = 0;
	assert_int_equal(redact_event(r, &fx->ev), 0);
	assert_string_equal(get(fx, F_MESSAGE), "| [redacted]");
	assert_string_equal(get(fx, F_REASON), "bad nonce [redacted]");
	assert_string_equal(get(fx, F_CERT_SUBJECT), "CN=[redacted].example");
	assert_string_equal(get(fx, F_EVENT_ID), hex40);
	assert_string_equal(get(fx, F_SPI_IN), "0xcd59cd6f");
	assert_int_equal(fx->cnt.redact_scrubbed, 3);
	redactor_free(r);
}

static void test_scrub_gives_up_fails_closed(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	char *pats[] = {"(a+)+$"};
	struct redact_stats st;
	char line[64];

	/* A backtracking pattern against a hostile line hits the match limit. */
	fx->cfg.redact.secret_patterns.v[0] = pats[0];
	fx->cfg.redact.secret_patterns.n = 1;
	r = new_ok(fx);
	memset(line, 'a', 40);
	strcpy(line + 40, "!");
	event_reset(&fx->ev);
	set(fx, F_REASON, line);
	assert_int_equal(redact_event(r, &fx->ev), 0);
	assert_false(event_has(&fx->ev, F_REASON));
	redactor_stats(r, &st);
	assert_int_equal(st.removed, 1);
	redactor_free(r);
}

/* ---- refusals ---- */

static void test_policy_dotted_names(void **state)
{
	struct fx *fx = *state;
	struct redactor *r;
	char want[40];

	/* The JSON path names the same field as the short name. */
	policy(fx, "child.ts_local", REDACT_HASH);
	policy(fx, "platform.host", REDACT_DROP);
	r = new_ok(fx);
	assert_int_equal(redactor_action(r, F_TS_LOCAL), REDACT_HASH);
	assert_int_equal(redactor_action(r, F_PLATFORM_HOST), REDACT_DROP);
	event_reset(&fx->ev);
	set(fx, F_TS_LOCAL, "192.0.1.0/24");
	set(fx, F_PLATFORM_HOST, "gw1.example.net");
	assert_int_equal(redact_event(r, &fx->ev), 0);
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "192.0.1.0/24", 12, want, sizeof(want)),
			 0);
	assert_string_equal(get(fx, F_TS_LOCAL), want);
	assert_false(event_has(&fx->ev, F_PLATFORM_HOST));
	redactor_free(r);
}

static void test_policy_refused(void **state)
{
	struct fx *fx = *state;

	policy(fx, "peer_idd", REDACT_HASH);
	new_fails(fx, -EINVAL, "unknown field 'peer_idd'");
	fx->cfg.redact.n_fields = 0;
	policy(fx, "peer_id", (enum redact_action)17);
	new_fails(fx, -EINVAL, "unknown action");
	fx->cfg.redact.n_fields = 0;
	policy(fx, "local_port", REDACT_MASK);
	new_fails(fx, -EINVAL, "local_port");
	fx->cfg.redact.n_fields = 0;
	policy(fx, "bytes_in", REDACT_HASH);
	new_fails(fx, -EINVAL, "bytes_in");
	fx->cfg.redact.n_fields = 0;
	policy(fx, "spi_in", REDACT_HASH);
	new_fails(fx, -EINVAL, "spi_in");
	fx->cfg.redact.n_fields = 0;
	fx->cfg.redact.mask_ipv4_prefix = 33;
	new_fails(fx, -EINVAL, "mask_ipv4_prefix");
	fx->cfg.redact.mask_ipv4_prefix = 24;
	fx->cfg.redact.mask_ipv6_prefix = 129;
	new_fails(fx, -EINVAL, "mask_ipv6_prefix");
	fx->cfg.redact.mask_ipv6_prefix = 48;
	/* Every problem at once, the key file's too. */
	policy(fx, "nope", REDACT_DROP);
	policy(fx, "nope2", REDACT_DROP);
	new_fails(fx, -EINVAL, "nope2");
	assert_int_equal(fx->errs.n, 2);
	policy(fx, "peer_id", REDACT_HASH);
	assert_int_equal(chmod(fx->key_path, 0644), 0);
	new_fails(fx, -EINVAL, "mode 0644");
	assert_int_equal(fx->errs.n, 3);
}

static void test_pattern_refused(void **state)
{
	struct fx *fx = *state;
	char *bad[] = {"PSK (unclosed", "x*"};

	fx->cfg.redact.secret_patterns.v[0] = bad[0];
	fx->cfg.redact.secret_patterns.n = 1;
	new_fails(fx, -EINVAL, "redact.secret_patterns[0] 'PSK (unclosed'");
	fx->cfg.redact.secret_patterns.v[0] = bad[1];
	new_fails(fx, -EINVAL, "matches the empty string");
}

static void test_key_refused(void **state)
{
	struct fx *fx = *state;
	char path[160];

	policy(fx, "peer_id", REDACT_HASH);
	assert_int_equal(chmod(fx->key_path, 0644), 0);
	new_fails(fx, -EPERM, "mode 0644");
	assert_int_equal(chmod(fx->key_path, 0640), 0);
	new_fails(fx, -EPERM, "mode 0640");
	assert_int_equal(chmod(fx->key_path, 0400), 0); /* stricter than 0600 is fine */
	redactor_free(new_ok(fx));

	snprintf(path, sizeof(path), "%s/missing.key", fx->dir);
	fx->cfg.redact.key_file = path;
	new_fails(fx, -ENOENT, path);
	fx->cfg.redact.key_file = NULL;
	new_fails(fx, -EINVAL, "redact.key_file is not set");
	fx->cfg.redact.key_file = fx->dir;
	new_fails(fx, -EINVAL, "not a regular file");

	snprintf(path, sizeof(path), "%s/short.key", fx->dir);
	write_file(path, "0123456789", 10, 0600);
	fx->cfg.redact.key_file = path;
	new_fails(fx, -EINVAL, "10 bytes");

	/* Nothing hashed: no key needed. */
	fx->cfg.redact.n_fields = 0;
	policy(fx, "peer_ip", REDACT_MASK);
	fx->cfg.redact.key_file = NULL;
	redactor_free(new_ok(fx));
}

static void test_key_other_owner(void **state)
{
	struct fx *fx = *state;

	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	policy(fx, "peer_id", REDACT_HASH);
	assert_int_equal(chown(fx->key_path, 65534, 65534), 0);
	new_fails(fx, -EPERM, "owned by uid 65534");
}

static void test_key_generated(void **state)
{
	struct fx *fx = *state;
	struct redactor *r1, *r2;
	char path[160], p1[40], p2[40];
	struct stat st;

	snprintf(path, sizeof(path), "%s/new.key", fx->dir);
	fx->cfg.redact.key_file = path;
	fx->cfg.redact.generate_key = true;
	policy(fx, "peer_id", REDACT_HASH);
	r1 = new_ok(fx);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_uid, geteuid());
	/* The second start reads the key the first one made. */
	r2 = new_ok(fx);
	event_reset(&fx->ev);
	set(fx, F_PEER_ID, "@east");
	assert_int_equal(redact_event(r1, &fx->ev), 0);
	strcpy(p1, get(fx, F_PEER_ID));
	event_reset(&fx->ev);
	set(fx, F_PEER_ID, "@east");
	assert_int_equal(redact_event(r2, &fx->ev), 0);
	strcpy(p2, get(fx, F_PEER_ID));
	assert_string_equal(p1, p2);
	/* ... and it is not the test key. */
	assert_int_equal(redact_pseudonym(test_key, 32, 1, "@east", 5, p2, sizeof(p2)), 0);
	assert_string_not_equal(p1, p2);
	redactor_free(r1);
	redactor_free(r2);

	/* generate_key never replaces an existing file, even a too open one. */
	assert_int_equal(chmod(path, 0644), 0);
	new_fails(fx, -EPERM, "mode 0644");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_default_policy(void **state)
{
	struct fx *fx = *state;
	struct config cfg;
	struct redactor *r = NULL;
	static const enum field hashed[] = {F_INITIATOR_ID, F_RESPONDER_ID, F_PEER_ID,
					    F_LOCAL_ID,	    F_CERT_SUBJECT, F_USERNAME};

	config_defaults(&cfg);
	free(cfg.redact.key_file);
	cfg.redact.key_file = strdup(fx->key_path);
	assert_int_equal(redactor_new(&t_pipeline_opts(&cfg)->redact, &fx->cnt, &r, &fx->errs), 0);
	for (size_t i = 0; i < sizeof(hashed) / sizeof(hashed[0]); i++)
		assert_int_equal(redactor_action(r, hashed[i]), REDACT_HASH);
	assert_int_equal(redactor_action(r, F_MESSAGE), REDACT_DROP);
	assert_int_equal(redactor_action(r, F_PEER_IP), REDACT_KEEP);
	assert_int_equal(redactor_action(r, F_LOCAL_IP), REDACT_KEEP);
	assert_int_equal(cfg.redact.key_generation, 1);
	assert_int_equal(cfg.redact.mask_ipv4_prefix, 24);
	assert_int_equal(cfg.redact.mask_ipv6_prefix, 48);
	redactor_free(r);
	config_done(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mask_ipv4),
	    cmocka_unit_test(test_mask_ipv6),
	    cmocka_unit_test(test_mask_ipv4_mapped),
	    cmocka_unit_test(test_mask_not_address),
	    cmocka_unit_test(test_pseudonym_rfc4231),
	    cmocka_unit_test(test_pseudonym_properties),
	    cmocka_unit_test_setup_teardown(test_actions_on_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions_on_identities, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions_on_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions_on_huge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identities_in_kept_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identity_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_text_grows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redactor_matches_helper, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arena_full_fails_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub_hex_runs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub_shortcut_misses_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub_debug_dumps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub_keeps_pluto_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub_patterns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub_in_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scrub_gives_up_fails_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_dotted_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pattern_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_other_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_generated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_own_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
