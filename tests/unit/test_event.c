/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "event.h"

/*
 * The event: field table, converters by type, the arena's limit, and the
 * JSON writer. Expected JSON is written out by hand, byte for byte.
 */

static void test_field_table(void **state)
{
	for (int f = 0; f < F__MAX; f++) {
		assert_non_null(field_table[f].name);
		assert_non_null(field_table[f].key);
		assert_int_equal(field_lookup(field_table[f].name, strlen(field_table[f].name)), f);
	}
	assert_int_equal(field_lookup("encr", 4), F_ENCR);
	assert_int_equal(field_lookup("transform.encr", 14), F_ENCR);
	assert_int_equal(field_lookup("nat.peer_behind_nat", 19), F_NAT_PEER_BEHIND);
	assert_int_equal(field_lookup("nat_peer_behind", 15), F_NAT_PEER_BEHIND);
	assert_int_equal(field_lookup("child_protocol", 14), F_CHILD_PROTOCOL);
	assert_int_equal(field_lookup("platform.version", 16), F_PLATFORM_VERSION);
	assert_int_equal(field_lookup("nosuch", 6), -ENOENT);
	assert_int_equal(field_lookup("transform.nosuch", 16), -ENOENT);
	/* a prefix of a name is not the name */
	assert_int_equal(field_lookup("conn", 4), -ENOENT);
	assert_int_equal(field_lookup("conn_names", 10), -ENOENT);
	assert_int_equal(field_lookup("", 0), -ENOENT);
	assert_int_equal(field_lookup("rule\0x", 6), -ENOENT);
	assert_int_equal(field_lookup("weak_cryptoX", 11),
			 F_WEAK_CRYPTO); /* only len bytes count */
	assert_string_equal(field_table[F_ENCR].parent, "transform");
	assert_string_equal(field_table[F_NAT_LOCAL_BEHIND].key, "local_behind_nat");
}

static void expect_text(struct event *ev, enum field f, const char *in, const char *want)
{
	event_reset(ev);
	assert_int_equal(event_set_text(ev, f, in, strlen(in)), 0);
	if (!want) {
		assert_false(event_has(ev, f));
		return;
	}
	assert_true(event_has(ev, f));
	assert_string_equal(event_str(ev, f, NULL), want);
}

static void expect_reject(struct event *ev, enum field f, const char *in)
{
	event_reset(ev);
	assert_int_equal(event_set_text(ev, f, in, strlen(in)), -EINVAL);
	assert_false(event_has(ev, f));
}

static void test_converters(void **state)
{
	struct event ev;

	assert_int_equal(event_init(&ev, 4096), 0);
	expect_text(&ev, F_PEER_IP, "192.1.2.23", "192.1.2.23");
	expect_text(&ev, F_PEER_IP, "[2001:db8:1:2::23]", "2001:db8:1:2::23");
	expect_text(&ev, F_LOCAL_IP, "fe80::1%eth0", "fe80::1");
	expect_reject(&ev, F_PEER_IP, "192.1.2.300");
	expect_reject(&ev, F_PEER_IP, "<address>");
	expect_reject(&ev, F_PEER_IP, "");
	expect_text(&ev, F_PEER_PORT, "4500", "4500");
	assert_int_equal(event_int(&ev, F_PEER_PORT, -1), 4500);
	expect_reject(&ev, F_PEER_PORT, "65536");
	expect_reject(&ev, F_PEER_PORT, "EPHEM");
	expect_text(&ev, F_SPI_IN, "0xA1B2c3D4", "0xa1b2c3d4");
	expect_text(&ev, F_SPI_OUT, "deadbeef", "0xdeadbeef");
	expect_reject(&ev, F_SPI_IN, "0xESPESP");
	expect_reject(&ev, F_SPI_IN, "0x11223344556677889");
	expect_text(&ev, F_ENCR, "aes_gcm_16_256", "AES_GCM_16_256");
	expect_text(&ev, F_INTEG, "n/a", NULL);
	expect_text(&ev, F_INTEG, "NONE", NULL);
	expect_text(&ev, F_ESN, "yes", "true");
	assert_int_equal(event_int(&ev, F_ESN, -1), 1);
	expect_text(&ev, F_ESN, "0", "false");
	assert_int_equal(event_int(&ev, F_ESN, -1), 0);
	expect_reject(&ev, F_ESN, "maybe");
	expect_text(&ev, F_STATE_SERIAL, "42", "42");
	assert_int_equal(event_int(&ev, F_STATE_SERIAL, 0), 42);
	expect_text(&ev, F_BYTES_IN, "84B", "84");
	expect_text(&ev, F_BYTES_IN, "31KiB", "31744");
	assert_int_equal(event_int(&ev, F_BYTES_IN, 0), 31744);
	expect_text(&ev, F_BYTES_OUT, "2KB", "2000");
	expect_reject(&ev, F_BYTES_OUT, "12 apples");
	expect_reject(&ev, F_STATE_SERIAL, "99999999999999999999");
	expect_text(&ev, F_CONN_NAME, "", NULL); /* an empty capture is no value */
	expect_text(&ev, F_CONN_NAME, "west/1x0", "west/1x0");
	/* age_s: the decimal as pluto printed it, integer part as the number */
	expect_text(&ev, F_AGE_S, "2.084283", "2.084283");
	assert_int_equal(event_int(&ev, F_AGE_S, -1), 2);
	expect_text(&ev, F_AGE_S, "200", "200");
	expect_reject(&ev, F_AGE_S, "2.");
	expect_reject(&ev, F_AGE_S, "1e5");
	expect_reject(&ev, F_AGE_S, "2.08s");
	expect_text(&ev, F_ERRNO, "111", "111");
	expect_text(&ev, F_COMPLAINANT_IP, "192.0.2.23", "192.0.2.23");
	expect_reject(&ev, F_COMPLAINANT_IP, "x.x.x.x");
	expect_text(&ev, F_NATD_PORT, "31065", "31065");
	/* a list as pluto prints it (blank-separated) is kept comma-separated */
	expect_text(&ev, F_PROPOSALS_OFFERED, "1:IKE:ENCR=AES_CBC_256  2:IKE:ENCR=AES_GCM_16_256 ",
		    "1:IKE:ENCR=AES_CBC_256,2:IKE:ENCR=AES_GCM_16_256");
	event_done(&ev);
}

static void test_arena_limit(void **state)
{
	struct event ev;
	char big[200];

	memset(big, 'x', sizeof(big));
	assert_int_equal(event_init(&ev, 64), 0);
	assert_int_equal(event_set_str(&ev, F_CONN_NAME, "west", 4), 0);
	assert_int_equal(event_set_str(&ev, F_MESSAGE, big, sizeof(big)), -ENOSPC);
	assert_false(event_has(&ev, F_MESSAGE));
	assert_string_equal(event_str(&ev, F_CONN_NAME, NULL), "west");
	/* 64 bytes: "west\0" used 5, 59 more fit as 58 + NUL */
	assert_int_equal(event_set_str(&ev, F_REASON, big, 58), 0);
	assert_int_equal(event_set_str(&ev, F_ERROR_CODE, "X", 1), -ENOSPC);
	event_reset(&ev);
	assert_false(event_has(&ev, F_CONN_NAME));
	assert_int_equal(event_set_str(&ev, F_MESSAGE, big, 63), 0);
	event_done(&ev);
	event_done(NULL);
}

static const char *render(struct event_json *w, const struct event *ev)
{
	const char *s;
	size_t len;

	assert_int_equal(event_json_render(w, ev, &s, &len), 0);
	assert_int_equal(strlen(s), len);
	return s;
}

static void fill_child(struct event *ev)
{
	event_reset(ev);
	event_set_int(ev, F_SCHEMA_VERSION, 1);
	event_set_str(ev, F_EVENT_ID, "e1", 2);
	event_set_str(ev, F_TIMESTAMP, "2026-11-23T20:25:58.047269Z", 27);
	event_set_str(ev, F_EVENT_TYPE, "child_sa_create", 15);
	event_set_str(ev, F_RESULT, "success", 7);
	event_set_text(ev, F_STATE_SERIAL, "2", 1);
	event_set_text(ev, F_PARENT_SERIAL, "1", 1);
	event_set_text(ev, F_ENCR, "AES_GCM_16_256", 14);
	event_set_text(ev, F_ESN, "true", 4);
	event_set_text(ev, F_CHILD_PROTOCOL, "ESP", 3);
	event_set_text(ev, F_SPI_IN, "0x1234ABCD", 10);
	event_set_text(ev, F_TS_LOCAL, "192.0.1.0/24", 12);
	event_set_text(ev, F_NAT_PEER_BEHIND, "1", 1);
	event_set_text(ev, F_ENCAPSULATION, "udp", 3);
	event_set_str(ev, F_PLATFORM_HOST, "gw", 2);
	event_set_int(ev, F_PLATFORM_PID, 1234);
	event_set_str(ev, F_RULE, "child.established", 17);
	event_set_str(ev, F_WEAK_CRYPTO, "3DES_CBC,HMAC_SHA1_96", 21);
}

static const char child_json[] =
    "{\"schema_version\":1,\"event_id\":\"e1\",\"timestamp\":\"2026-11-23T20:25:58.047269Z\","
    "\"event_type\":\"child_sa_create\",\"result\":\"success\",\"state_serial\":2,\"parent_"
    "serial\":1,"
    "\"transform\":{\"encr\":\"AES_GCM_16_256\",\"esn\":true},"
    "\"child\":{\"protocol\":\"ESP\",\"spi_in\":\"0x1234abcd\",\"ts_local\":\"192.0.1.0/24\"},"
    "\"nat\":{\"peer_behind_nat\":true,\"encapsulation\":\"udp\"},"
    "\"platform\":{\"host\":\"gw\",\"pid\":1234},\"rule\":\"child.established\","
    "\"weak_crypto\":[\"3DES_CBC\",\"HMAC_SHA1_96\"]}";

static void fill_small(struct event *ev)
{
	event_reset(ev);
	event_set_int(ev, F_SCHEMA_VERSION, 1);
	event_set_str(ev, F_EVENT_TYPE, "unparsed", 8);
	event_set_str(ev, F_RESULT, "info", 4);
	event_set_str(ev, F_CONN_NAME, "", 0); /* empty: omitted, never "" */
	event_set_str(ev, F_PLATFORM_PROCESS, "pluto", 5);
}

static const char small_json[] =
    "{\"schema_version\":1,\"event_type\":\"unparsed\",\"result\":\"info\","
    "\"platform\":{\"process\":\"pluto\"}}";

static void test_json_render(void **state)
{
	struct event_json *w = NULL;
	struct event ev;

	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(event_json_new(&w), 0);
	fill_child(&ev);
	assert_string_equal(render(w, &ev), child_json);
	/* The tree is reused: fewer fields, then the first event again. */
	fill_small(&ev);
	assert_string_equal(render(w, &ev), small_json);
	fill_child(&ev);
	assert_string_equal(render(w, &ev), child_json);
	event_reset(&ev);
	assert_string_equal(render(w, &ev), "{}");
	fill_small(&ev);
	assert_string_equal(render(w, &ev), small_json);
	event_json_free(w);
	event_json_free(NULL);
	event_done(&ev);
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = s[i] < 0x80		   ? 1
			   : (s[i] & 0xe0) == 0xc0 ? 2
			   : (s[i] & 0xf0) == 0xe0 ? 3
			   : (s[i] & 0xf8) == 0xf0 ? 4
						   : 0;

		if (k == 0 || i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

/* age_s is a JSON number with every digit kept; proposals_offered an array. */
static void test_json_number_list(void **state)
{
	struct event_json *w;
	struct event ev;

	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(event_json_new(&w), 0);
	assert_int_equal(event_set_text(&ev, F_AGE_S, "2.084283", 8), 0);
	assert_int_equal(event_set_text(&ev, F_NATD_IP, "192.0.2.45", 10), 0);
	assert_int_equal(event_set_text(&ev, F_NATD_PORT, "31065", 5), 0);
	assert_string_equal(
	    render(w, &ev),
	    "{\"nat\":{\"natd_ip\":\"192.0.2.45\",\"natd_port\":31065},\"age_s\":2.084283}");
	event_reset(&ev);
	assert_int_equal(event_set_text(&ev, F_AGE_S, "0.100000", 8), 0);
	assert_int_equal(event_set_text(&ev, F_PROPOSALS_OFFERED, "1:IKE=A 2:IKE=B", 15), 0);
	assert_string_equal(render(w, &ev),
			    "{\"proposals_offered\":[\"1:IKE=A\",\"2:IKE=B\"],\"age_s\":0.100000}");
	event_json_free(w);
	event_done(&ev);
}

static void test_json_bad_bytes(void **state)
{
	struct event_json *w = NULL;
	struct event ev;
	/* invalid byte, a NUL, a control character, a truncated 3-byte sequence, a quote */
	static const char msg[] = "a\xff"
				  "b\0c\x01\"\xe2\x82";
	const char *s;
	size_t len;

	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(event_json_new(&w), 0);
	event_set_str(&ev, F_MESSAGE, msg, sizeof(msg) - 1);
	assert_int_equal(event_json_render(w, &ev, &s, &len), 0);
	assert_true(valid_utf8((const unsigned char *)s, len));
	/* U+FFFD for each invalid byte, \u0000 for the NUL, the quote escaped */
	assert_string_equal(s, "{\"message\":\"a\xef\xbf\xbd"
			       "b\\u0000c\\u0001\\\"\xef\xbf\xbd\xef\xbf\xbd\"}");
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	json_object_put(o);
	/* past the first eight ASCII bytes: a broken 2-byte sequence, then a valid one */
	event_reset(&ev);
	event_set_str(&ev, F_MESSAGE, "abcdefghij\xc3(klm\xc3\xa9", 17);
	assert_int_equal(event_json_render(w, &ev, &s, &len), 0);
	assert_string_equal(s, "{\"message\":\"abcdefghij\xef\xbf\xbd(klm\xc3\xa9\"}");
	/*
	 * Surrogates (U+D800 as ED A0 80, U+DFFF as ED BF BF) and an overlong form
	 * (C0 AF for '/') are invalid too: no prefix of them is valid, so each
	 * byte becomes one U+FFFD (Unicode's "maximal subpart" practice).
	 */
	event_reset(&ev);
	event_set_str(&ev, F_MESSAGE, "0123456789\xed\xa0\x80\xc0\xaf\xed\xbf\xbf", 18);
	assert_int_equal(event_json_render(w, &ev, &s, &len), 0);
	assert_true(valid_utf8((const unsigned char *)s, len));
	assert_string_equal(s, "{\"message\":\"0123456789"
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
	event_json_free(w);
	event_done(&ev);
}

static void test_json_no_growth(void **state)
{
	struct event_json *w = NULL;
	struct event ev;

	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(event_json_new(&w), 0);
	for (int i = 0; i < 3; i++) {
		fill_child(&ev);
		render(w, &ev);
		fill_small(&ev);
		render(w, &ev);
	}
	struct mallinfo2 a = mallinfo2();

	for (int i = 0; i < 1000; i++) {
		fill_child(&ev);
		render(w, &ev);
		fill_small(&ev);
		render(w, &ev);
	}
	struct mallinfo2 b = mallinfo2();

	/* In steady state the writer holds exactly the heap it held before. */
	assert_int_equal(a.uordblks, b.uordblks);
	event_json_free(w);
	event_done(&ev);
}

/*
 * A nested object's fields stand together in the field table: the writer
 * puts the object at its first field, json-c's renderer at its first
 * present one, and a field apart (transform.key_size at the table's end
 * once) made the two disagree (fuzz_event_json found it).
 */
static void test_parents_contiguous(void **state)
{
	(void)state;
	for (int f = 0; f < F__MAX; f++) {
		const char *p = field_table[f].parent;

		for (int g = f + 2; p && g < F__MAX; g++)
			if (field_table[g].parent && strcmp(field_table[g].parent, p) == 0) {
				if (!field_table[g - 1].parent || strcmp(field_table[g - 1].parent, p) != 0) {
					fprintf(stderr, "%s apart from the other %s fields\n",
						field_table[g].name, p);
					fail();
				}
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_field_table),	     cmocka_unit_test(test_converters),
	    cmocka_unit_test(test_arena_limit),	     cmocka_unit_test(test_json_render),
	    cmocka_unit_test(test_json_bad_bytes),   cmocka_unit_test(test_json_no_growth),
	    cmocka_unit_test(test_json_number_list),
	    cmocka_unit_test(test_parents_contiguous),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
