/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "encode.h"

/* Every expected message below is written out by hand from RFC 5424 section 6. */

static void assert_msg(ssize_t n, const char *buf, const char *want)
{
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

static void test_basic(void **state)
{
	struct encode_opts o = {.facility = 10, .hostname = "gw1", .procid = 4242};
	const char *json = "{\"event_type\":\"ike_auth\"}";
	struct encode_input in = {.timestamp = "2026-11-23T21:00:00.123456Z",
				  .msgid = "ike_auth",
				  .event_id = "ab12",
				  .severity = 6,
				  .msg = json,
				  .msg_len = strlen(json)};
	char buf[512];
	bool tr = true;
	ssize_t n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);

	/* authpriv (10) * 8 + info (6) = 86 */
	assert_msg(n, buf,
		   "<86>1 2026-11-23T21:00:00.123456Z gw1 ikelogd 4242 ike_auth "
		   "[ikelogd@32473 eid=\"ab12\"] {\"event_type\":\"ike_auth\"}");
	assert_false(tr);
}

static void test_pri_arithmetic(void **state)
{
	struct encode_opts o = {.facility = 0};
	struct encode_input in = {.severity = 0};
	char buf[128];

	assert_msg(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), buf, "<0>1 - - ikelogd - - -");
	o.facility = 23;
	in.severity = 7;
	assert_msg(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), buf,
		   "<191>1 - - ikelogd - - -");
	o.facility = 4;	 /* auth */
	in.severity = 3; /* err */
	assert_msg(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), buf, "<35>1 - - ikelogd - - -");
	o.facility = 24;
	assert_int_equal(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), -EINVAL);
	o.facility = 1;
	in.severity = 8;
	assert_int_equal(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), -EINVAL);
	in.severity = -1;
	assert_int_equal(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), -EINVAL);
}

static void test_nil_values(void **state)
{
	struct encode_opts o = {.facility = 1, .hostname = "", .app_name = "app", .procid = 0};
	struct encode_input in = {.timestamp = "", .msgid = NULL, .event_id = NULL, .severity = 5};
	char buf[128];

	/* user (1) * 8 + notice (5) = 13; empty MSG: no trailing space */
	assert_msg(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), buf, "<13>1 - - app - - -");
	in.msg = "x";
	in.msg_len = 1;
	assert_msg(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), buf, "<13>1 - - app - - - x");
}

static void test_enterprise_and_escaping(void **state)
{
	struct encode_opts o = {.facility = 10, .enterprise_number = 99, .hostname = "h"};
	struct encode_input in = {
	    .event_id = "a\"b\\c]d", .severity = 4, .msg = "{}", .msg_len = 2};
	char buf[128];

	/* 10 * 8 + 4 = 84 */
	assert_msg(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), buf,
		   "<84>1 - h ikelogd - - [ikelogd@99 eid=\"a\\\"b\\\\c\\]d\"] {}");
}

static void test_header_sanitized(void **state)
{
	struct encode_opts o = {.facility = 10, .hostname = "my host\n"};
	struct encode_input in = {.msgid = "this_msgid_is_longer_than_32_octets_by_far",
				  .severity = 6};
	char buf[256];

	/* space and newline become '_'; MSGID is cut to 32 octets */
	assert_msg(encode_rfc5424(&o, &in, buf, sizeof(buf), NULL), buf,
		   "<86>1 - my_host_ ikelogd - this_msgid_is_longer_than_32_oct -");
}

static void test_sd_param(void **state)
{
	char buf[16];

	assert_int_equal(encode_sd_param("a]b", 3, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "a\\]b", 4);
	assert_int_equal(encode_sd_param("\"\\", 2, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "\\\"\\\\", 4);
	assert_int_equal(encode_sd_param("plain", 5, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "plain", 5);
	assert_int_equal(encode_sd_param("]]]", 3, buf, 5), -ENOSPC);
}

static void test_octet_frame(void **state)
{
	char buf[32];

	assert_int_equal(encode_octet_frame("hello", 5, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "5 hello", 7);
	assert_int_equal(encode_octet_frame("0123456789", 10, buf, sizeof(buf)), 13);
	assert_memory_equal(buf, "10 0123456789", 13);
	assert_int_equal(encode_octet_frame("0123456789", 10, buf, 12), -ENOSPC);
	assert_int_equal(encode_octet_frame("", 0, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "0 ", 2);
}

/* The prefix goes at the end of its room, right before a message encoded behind it. */
static void test_octet_prefix(void **state)
{
	char buf[24 + 5];

	memset(buf, '#', sizeof(buf));
	memcpy(buf + 24, "hello", 5);
	assert_int_equal(encode_octet_prefix(5, buf, 24), 2);
	assert_memory_equal(buf + 22, "5 hello", 7);
	assert_int_equal(buf[21], '#');
	assert_int_equal(encode_octet_prefix(65536, buf, 24), 6);
	assert_memory_equal(buf + 18, "65536 hello", 11);
	assert_int_equal(encode_octet_prefix(18446744073709551615ull, buf, 24), 21);
	assert_memory_equal(buf + 3, "18446744073709551615 ", 21);
	assert_int_equal(encode_octet_prefix(1234, buf, 4), -ENOSPC);
	assert_int_equal(encode_octet_prefix(123, buf, 4), 4);
	assert_memory_equal(buf, "123 ", 4);
}

static void test_truncation(void **state)
{
	/* "<86>1 - h ikelogd - - [ikelogd@32473 eid=\"e\"]" is 45 octets */
	struct encode_opts o = {.facility = 10, .hostname = "h", .max_message_bytes = 64};
	const char *msg = "{\"k\":\"0123456789abcdefghijklmnopqrstuvwxyz\"}"; /* 44 octets */
	struct encode_input in = {
	    .event_id = "e", .severity = 6, .msg = msg, .msg_len = strlen(msg)};
	char buf[256];
	bool tr = false;
	ssize_t n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);

	/* with truncated="44" the header is 60 octets, plus a space: 3 octets of MSG fit in 64 */
	assert_msg(n, buf, "<86>1 - h ikelogd - - [ikelogd@32473 eid=\"e\" truncated=\"44\"] {\"k");
	assert_true(tr);

	/* exactly at the limit (45 + 1 + 44): not truncated */
	o.max_message_bytes = 90;
	n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);
	assert_int_equal(n, 90);
	assert_false(tr);
	assert_memory_equal(buf + 46, msg, 44);
	/* one octet less: truncated, 61 + 28 octets of MSG */
	o.max_message_bytes = 89;
	n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);
	assert_true(tr);
	assert_int_equal(n, 89);
	assert_memory_equal(buf + 61, msg, 28);

	/* the buffer size is a limit too */
	o.max_message_bytes = 0;
	n = encode_rfc5424(&o, &in, buf, 64, &tr);
	assert_int_equal(n, 64);
	assert_true(tr);

	/* not even the header fits */
	o.max_message_bytes = 40;
	assert_int_equal(encode_rfc5424(&o, &in, buf, sizeof(buf), &tr), -ENOSPC);
}

static void test_truncation_utf8(void **state)
{
	/* "aa" "é" (C3 A9) "€" (E2 82 AC) then 40 'a': 47 octets */
	char msg[48] = "aa\xc3\xa9\xe2\x82\xac";
	/* the truncated header "<86>1 - - ikelogd - - [ikelogd@32473 truncated=\"47\"]" is 52 */
	struct encode_opts o = {.facility = 10, .max_message_bytes = 56};
	struct encode_input in = {.severity = 6, .msg = msg, .msg_len = 47};
	char buf[128];
	bool tr = false;
	ssize_t n;

	memset(msg + 7, 'a', 40);
	/* room for 3 octets would split é: cut before it */
	n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);
	assert_true(tr);
	assert_msg(n, buf, "<86>1 - - ikelogd - - [ikelogd@32473 truncated=\"47\"] aa");
	/* room for 4: "aaé" */
	o.max_message_bytes = 57;
	n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);
	assert_msg(n, buf, "<86>1 - - ikelogd - - [ikelogd@32473 truncated=\"47\"] aa\xc3\xa9");
	/* room for 5 and 6 would split €: still "aaé" */
	o.max_message_bytes = 58;
	n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);
	assert_msg(n, buf, "<86>1 - - ikelogd - - [ikelogd@32473 truncated=\"47\"] aa\xc3\xa9");
	o.max_message_bytes = 59;
	n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);
	assert_msg(n, buf, "<86>1 - - ikelogd - - [ikelogd@32473 truncated=\"47\"] aa\xc3\xa9");
	/* room for 7: "aaé€" */
	o.max_message_bytes = 60;
	n = encode_rfc5424(&o, &in, buf, sizeof(buf), &tr);
	assert_msg(n, buf,
		   "<86>1 - - ikelogd - - [ikelogd@32473 truncated=\"47\"] aa\xc3\xa9\xe2\x82\xac");
}

static void test_severity_names(void **state)
{
	assert_int_equal(encode_severity_from_name("emerg"), 0);
	assert_int_equal(encode_severity_from_name("alert"), 1);
	assert_int_equal(encode_severity_from_name("crit"), 2);
	assert_int_equal(encode_severity_from_name("err"), 3);
	assert_int_equal(encode_severity_from_name("error"), 3);
	assert_int_equal(encode_severity_from_name("warning"), 4);
	assert_int_equal(encode_severity_from_name("notice"), 5);
	assert_int_equal(encode_severity_from_name("info"), 6);
	assert_int_equal(encode_severity_from_name("INFO"), 6);
	assert_int_equal(encode_severity_from_name("debug"), 7);
	assert_int_equal(encode_severity_from_name("loud"), -EINVAL);
	assert_int_equal(encode_severity_from_name(""), -EINVAL);
	assert_int_equal(encode_severity_from_name(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_pri_arithmetic),
	    cmocka_unit_test(test_nil_values),
	    cmocka_unit_test(test_enterprise_and_escaping),
	    cmocka_unit_test(test_header_sanitized),
	    cmocka_unit_test(test_sd_param),
	    cmocka_unit_test(test_octet_frame),
	    cmocka_unit_test(test_octet_prefix),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_truncation_utf8),
	    cmocka_unit_test(test_severity_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
