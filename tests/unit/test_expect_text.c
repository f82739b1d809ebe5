/* SPDX-License-Identifier: Apache-2.0 */
/*
 * expect_text_gives(), the rule that an expectation states what its line
 * says, and `ikelogd test-rules` refusing an example that breaks it.
 */
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

#include "expect_text.h"
#include "tools.h"

static const char *const line =
    "\"west\" #12: initiator established IKE SA; authenticated peer using authby=secret and "
    "ID_FQDN '@east'";

static void test_copied(void **state)
{
	assert_int_equal(expect_text_gives("peer_id", "@east", line), 0);
	assert_int_equal(expect_text_gives("conn_name", "west", line), 0);
	assert_int_equal(expect_text_gives("state_serial", "12", line), 0);
	assert_int_equal(expect_text_gives("peer_id", "@west", line), -ENOENT);
	assert_int_equal(expect_text_gives("state_serial", "13", line), -ENOENT);
	/* a number is not found inside a longer one */
	assert_int_equal(expect_text_gives("state_serial", "2", line), -ENOENT);
	assert_int_equal(expect_text_gives("ike_version", "2", "IKEv2"), 0);
	assert_int_equal(expect_text_gives("id_type", "", line), -ENOENT);
	/* dotted JSON paths and short names alike */
	assert_int_equal(expect_text_gives("transform.encr", "AES_CBC", "cipher=AES_CBC_256"), 0);
	assert_int_equal(expect_text_gives("encr", "AES_GCM_16", "cipher=AES_CBC_256"), -ENOENT);
	assert_int_equal(expect_text_gives("no_such_field", "x", line), -EINVAL);
}

static void test_derived(void **state)
{
	/* a listed spelling needs its source word */
	assert_int_equal(expect_text_gives("auth_method", "psk", line), 0);
	assert_int_equal(expect_text_gives("auth_method", "psk", "authby=rsasig"), -ENOENT);
	assert_int_equal(expect_text_gives("auth_method", "rsasig", line), -ENOENT);
	assert_int_equal(expect_text_gives("exchange", "MAIN_MODE", "sent Main Mode request"), 0);
	assert_int_equal(expect_text_gives("exchange", "QUICK_MODE", "sent Main Mode request"),
			 -ENOENT);
	assert_int_equal(expect_text_gives("ike_version", "1", "sent Main Mode request"), 0);
	assert_int_equal(expect_text_gives("ike_version", "2", "sent Main Mode request"), -ENOENT);
	assert_int_equal(expect_text_gives("role", "initiator", line), 0);
	assert_int_equal(expect_text_gives("role", "responder", line), -ENOENT);
	/* a 4.x range becomes a CIDR selector, a unit a byte count */
	assert_int_equal(expect_text_gives("child.ts_local", "192.0.1.0/24",
					   "[192.0.1.0-192.0.1.255:0-65535 0]"),
			 0);
	assert_int_equal(expect_text_gives("child.ts_local", "192.0.3.0/24",
					   "[192.0.1.0-192.0.1.255:0-65535 0]"),
			 -ENOENT);
	assert_int_equal(expect_text_gives("bytes_in", "31744", "in=31KiB out=80B"), 0);
	assert_int_equal(expect_text_gives("bytes_in", "31000", "in=31KiB out=80B"), -ENOENT);
	/* an SPI pluto prints as %08x is stored with 0x; a longer hex run does not give it */
	assert_int_equal(expect_text_gives("spi_in", "0x7b6a5948", "inbound SPI 7b6a5948 bytes 9"), 0);
	assert_int_equal(expect_text_gives("spi_in", "0x7B6A5948", "SPI=7b6a5948 chosen"), 0);
	assert_int_equal(expect_text_gives("spi_in", "0x7b6a5948", "SPI 17b6a5948 bytes"), -ENOENT);
	assert_int_equal(expect_text_gives("spi_in", "0x7b6a5948", "SPI 7b6a5949 bytes"), -ENOENT);
	/* what the reader states from the meaning, and booleans, are exempt */
	assert_int_equal(expect_text_gives("event_type", "ike_auth", "x"), 0);
	assert_int_equal(expect_text_gives("result", "success", "x"), 0);
	assert_int_equal(expect_text_gives("transform.esn", "true", "x"), 0);
	assert_int_equal(expect_text_exempt("result"), 1);
	assert_int_equal(expect_text_exempt("peer_ip"), 0);
	assert_int_equal(expect_text_exempt("nope"), -EINVAL);
}

static int test_rules_on(const char *text)
{
	char path[] = "/tmp/test-expect-text-XXXXXX";
	const char *files[] = {path};
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	r = tools_test_rules(NULL, files, 1);
	unlink(path);
	return r;
}

/*
 * A rule can set a constant the line does not say; its example passes the
 * loader's check (the rule does produce it) but not test-rules.
 */
static void test_rules_refuse_unstated(void **state)
{
	static const char head[] = "- id: conn_add.test\n"
				   "  event: conn_add\n"
				   "  result: success\n"
				   "  scope: conn\n"
				   "  pattern: '^added IKEv2 connection$'\n";

	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "%s  set: { ike_version: 2 }\n"
		 "  examples:\n"
		 "    - line: '\"west\": added IKEv2 connection'\n"
		 "      expect: { event_type: conn_add, conn_name: west, ike_version: 2 }\n",
		 head);
	assert_int_equal(test_rules_on(buf), 0);
	snprintf(buf, sizeof(buf),
		 "%s  set: { reason: made up }\n"
		 "  examples:\n"
		 "    - line: '\"west\": added IKEv2 connection'\n"
		 "      expect: { event_type: conn_add, conn_name: west, reason: made up }\n",
		 head);
	assert_int_equal(test_rules_on(buf), 1);
	snprintf(buf, sizeof(buf),
		 "%s  set: { ike_version: 1 }\n"
		 "  examples:\n"
		 "    - line: '\"west\": added IKEv2 connection'\n"
		 "      expect: { event_type: conn_add, ike_version: 1 }\n",
		 head);
	assert_int_equal(test_rules_on(buf), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_copied),
	    cmocka_unit_test(test_derived),
	    cmocka_unit_test(test_rules_refuse_unstated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
