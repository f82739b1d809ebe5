/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sign.h"

/*
 * Known answers. They were computed with an independent implementation of
 * RFC 2104 HMAC and RFC 5869 HKDF (Python's hmac and hashlib; its HKDF was
 * first checked against RFC 5869 test case 3), with K(0) = 00 01 .. 1f:
 *   K(1) = HKDF(K(0), "ikelogd epoch"), K(2) = HKDF(K(1), "ikelogd epoch")
 *   MAC(1..3) over '{"a":1}', '' and 'hello \xc3\xa9' in epoch 0,
 *   MAC(4) over 'x' in epoch 1 under K(1).
 */
static const char K1[] = "4e61ec77f1f3f71097800a94b68158528b6794e8bfd14e528e1c9008d4fbe910";
static const char K2[] = "298f8418aa718ebf3e8b5019e165b61cd8ad55fbcd11dec42e752619ed10cc54";
static const char MAC1[] = "a950689f75b57c5dbc1361511827566e46757d5213f9bd5a693c685f447f9217";
static const char MAC2[] = "175b32f3345fb265302a2cb05953e8eff589a1287c7f5cf0711d283e37883ee9";
static const char MAC3[] = "086d25f0c1b2b2d9b8090200387d4450f3ebd051a79887dc2116c0204658e74d";
static const char MAC4[] = "73bb15043880e8242caf8f785ae66d6206cf9ea4c221ef032b671c75caee74c5";

static void k0_sid(uint8_t k0[SIGN_KEY_LEN], uint8_t sid[SIGN_SID_LEN])
{
	for (int i = 0; i < SIGN_KEY_LEN; i++)
		k0[i] = (uint8_t)i;
	memset(sid, 0xab, SIGN_SID_LEN);
}

static void assert_hex(const uint8_t *b, size_t n, const char *want)
{
	char hex[2 * 64 + 1];

	sign_hex(b, n, hex);
	assert_string_equal(hex, want);
}

static void test_ratchet_known_answers(void **state)
{
	uint8_t k[SIGN_KEY_LEN], sid[SIGN_SID_LEN];

	k0_sid(k, sid);
	assert_int_equal(sign_ratchet(k, k), 0);
	assert_hex(k, SIGN_KEY_LEN, K1);
	assert_int_equal(sign_ratchet(k, k), 0);
	assert_hex(k, SIGN_KEY_LEN, K2);
}

static void test_chain_known_answers(void **state)
{
	uint8_t k0[SIGN_KEY_LEN], sid[SIGN_SID_LEN];
	struct sign_chain c;

	k0_sid(k0, sid);
	sign_chain_init(&c, sid, k0);
	assert_int_equal(sign_chain_next(&c, "{\"a\":1}", 7), 0);
	assert_int_equal(c.seq, 1);
	assert_hex(c.mac, SIGN_MAC_LEN, MAC1);
	assert_int_equal(sign_chain_next(&c, "", 0), 0);
	assert_hex(c.mac, SIGN_MAC_LEN, MAC2);
	assert_int_equal(sign_chain_next(&c, "hello \xc3\xa9", 8), 0);
	assert_hex(c.mac, SIGN_MAC_LEN, MAC3);
	assert_int_equal(c.epoch_events, 3);

	assert_int_equal(sign_chain_next_epoch(&c), 0);
	assert_int_equal(c.epoch, 1);
	assert_int_equal(c.epoch_events, 0);
	assert_hex(c.key, SIGN_KEY_LEN, K1);
	assert_int_equal(sign_chain_next(&c, "x", 1), 0);
	assert_int_equal(c.seq, 4);
	assert_hex(c.mac, SIGN_MAC_LEN, MAC4);

	sign_chain_wipe(&c);
	for (size_t i = 0; i < SIGN_KEY_LEN; i++)
		assert_int_equal(c.key[i], 0);
}

/* One changed input octet, sequence or epoch changes the MAC. */
static void test_mac_binds_every_input(void **state)
{
	uint8_t k[SIGN_KEY_LEN], sid[SIGN_SID_LEN], prev[SIGN_MAC_LEN] = {0};
	uint8_t a[SIGN_MAC_LEN], b[SIGN_MAC_LEN];

	k0_sid(k, sid);
	assert_int_equal(sign_mac(k, prev, 1, 0, "{\"a\":1}", 7, a), 0);
	assert_hex(a, SIGN_MAC_LEN, MAC1);
	assert_int_equal(sign_mac(k, prev, 1, 0, "{\"a\":2}", 7, b), 0);
	assert_memory_not_equal(a, b, SIGN_MAC_LEN);
	assert_int_equal(sign_mac(k, prev, 2, 0, "{\"a\":1}", 7, b), 0);
	assert_memory_not_equal(a, b, SIGN_MAC_LEN);
	assert_int_equal(sign_mac(k, prev, 1, 1, "{\"a\":1}", 7, b), 0);
	assert_memory_not_equal(a, b, SIGN_MAC_LEN);
	prev[31] = 1;
	assert_int_equal(sign_mac(k, prev, 1, 0, "{\"a\":1}", 7, b), 0);
	assert_memory_not_equal(a, b, SIGN_MAC_LEN);
}

/* RFC 8032 section 7.1, TEST 1: the secret key and its public key. */
static void test_ed25519_rfc8032(void **state)
{
	uint8_t priv[SIGN_ED_LEN], pub[SIGN_ED_LEN];

	assert_int_equal(
	    sign_unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", 64, priv,
		       sizeof(priv)),
	    0);
	assert_int_equal(sign_ed25519_public(priv, pub), 0);
	assert_hex(pub, SIGN_ED_LEN,
		   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

static void test_checkpoint(void **state)
{
	uint8_t priv[SIGN_ED_LEN], pub[SIGN_ED_LEN], other[SIGN_ED_LEN];
	struct sign_checkpoint cp = {.epoch = 7, .last_seq = 1234, .final = true};
	char text[256], sd[SIGN_SD_CP_MAX];
	int n;

	memset(cp.sid, 0xab, SIGN_SID_LEN);
	assert_int_equal(sign_unhex(MAC1, 64, cp.mac, SIGN_MAC_LEN), 0);
	n = sign_checkpoint_text(&cp, text, sizeof(text));
	assert_int_equal(n, (int)strlen(text));
	assert_string_equal(text,
			    "ikelogd-checkpoint 1 abababababababababababababababab 7 1234 "
			    "a950689f75b57c5dbc1361511827566e46757d5213f9bd5a693c685f447f9217 1");
	assert_int_equal(sign_ed25519_generate(priv), 0);
	assert_int_equal(sign_ed25519_public(priv, pub), 0);
	assert_int_equal(sign_checkpoint_sign(&cp, priv), 0);
	assert_int_equal(sign_checkpoint_verify(&cp, pub), 0);

	/* Any field changed after signing, or another key: refused. */
	cp.last_seq++;
	assert_int_equal(sign_checkpoint_verify(&cp, pub), -EBADMSG);
	cp.last_seq--;
	cp.final = false;
	assert_int_equal(sign_checkpoint_verify(&cp, pub), -EBADMSG);
	cp.final = true;
	assert_int_equal(sign_ed25519_generate(other), 0);
	assert_int_equal(sign_ed25519_public(other, pub), 0);
	assert_int_equal(sign_checkpoint_verify(&cp, pub), -EBADMSG);

	assert_true(sign_sd_checkpoint(&cp, 32473, sd, sizeof(sd)) > 0);
	assert_non_null(
	    strstr(sd, "[ikelogd-checkpoint@32473 ep=\"7\" last=\"1234\" mac=\"a95068"));
	assert_int_equal(sign_sd_checkpoint(&cp, 32473, sd, 20), -ENOSPC);
}

static void test_sd_chain(void **state)
{
	uint8_t k0[SIGN_KEY_LEN], sid[SIGN_SID_LEN];
	struct sign_chain c;
	char sd[SIGN_SD_CHAIN_MAX];

	k0_sid(k0, sid);
	sign_chain_init(&c, sid, k0);
	assert_int_equal(sign_chain_next(&c, "{\"a\":1}", 7), 0);
	c.seq = UINT64_MAX;
	c.epoch = UINT64_MAX;
	assert_true(sign_sd_chain(&c, 4294967295u, sd, sizeof(sd)) > 0);
	sign_chain_wipe(&c);
	assert_string_equal(
	    sd, "[ikelogd-chain@4294967295 sid=\"abababababababababababababababab\" "
		"seq=\"18446744073709551615\" ep=\"18446744073709551615\" "
		"mac=\"a950689f75b57c5dbc1361511827566e46757d5213f9bd5a693c685f447f9217\"]");
}

static void test_unhex(void **state)
{
	uint8_t b[2];

	assert_int_equal(sign_unhex("aB0f", 4, b, 2), 0);
	assert_int_equal(b[0], 0xab);
	assert_int_equal(b[1], 0x0f);
	assert_int_equal(sign_unhex("ab0", 3, b, 2), -EINVAL);
	assert_int_equal(sign_unhex("ag0f", 4, b, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ratchet_known_answers),
	    cmocka_unit_test(test_chain_known_answers),
	    cmocka_unit_test(test_mac_binds_every_input),
	    cmocka_unit_test(test_ed25519_rfc8032),
	    cmocka_unit_test(test_checkpoint),
	    cmocka_unit_test(test_sd_chain),
	    cmocka_unit_test(test_unhex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
