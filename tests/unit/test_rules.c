/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
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

#include "decode.h"
#include "envelope.h"
#include "event.h"
#include "prefilter.h"
#include "rules.h"

/*
 * The rule table: loading (the invalid fixtures with their FILE:LINE:COL),
 * matching with captures, constants and sub-decoders, the literal
 * prefilter (extraction, and the same events with it on and off), and the
 * match limit. Run from the repository root.
 */

#define INVALID_DIR "fixtures/rules-invalid"
#define REPO_RULES  "conf/rules/libreswan.yaml"

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/test-rules-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static struct rules *load_text(const char *text, struct diags *errs, int *ret)
{
	char *path = write_temp(text);
	const char *p = path;
	struct rules *r = NULL;

	memset(errs, 0, sizeof(*errs));
	*ret = rules_load(&p, 1, &r, errs);
	unlink(path);
	free(path);
	return r;
}

/* Matches a whole line as the pipeline does: its envelope, then the rules on the remainder. */
static int match(struct rules *r, const char *line, size_t len, struct event *ev)
{
	struct envelope env;

	envelope_parse(line, len, 0, &env);
	return rules_match(r, &env, line, len, ev);
}

/* Each invalid fixture names its error on a "# expect: LINE:COL: text" line. */
static void test_invalid_fixtures(void **state)
{
	DIR *d = opendir(INVALID_DIR);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[512], line[512], want[256] = "";
		unsigned wl = 0, wc = 0;
		struct diags *errs;
		struct rules *r = NULL;
		const char *p = path;

		if (!strstr(de->d_name, ".yaml"))
			continue;
		errs = calloc(1, sizeof(*errs));
		snprintf(path, sizeof(path), "%s/%s", INVALID_DIR, de->d_name);
		FILE *f = fopen(path, "r");

		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "# expect: %u:%u: %255[^\n]", &wl, &wc, want) == 3)
				break;
		fclose(f);
		assert_true(wl > 0);
		assert_int_equal(rules_load(&p, 1, &r, errs), -EINVAL);
		assert_null(r);
		assert_true(errs->n >= 1);
		if (errs->v[0].line != wl || errs->v[0].col != wc || !strstr(errs->v[0].msg, want))
			fail_msg("%s: got %u:%u: %s, want %u:%u: %s", path, errs->v[0].line,
				 errs->v[0].col, errs->v[0].msg, wl, wc, want);
		assert_string_equal(errs->v[0].file, path);
		free(errs);
		n++;
	}
	closedir(d);
	assert_true(n >= 10);
}

static void test_all_errors_reported(void **state)
{
	struct diags errs;
	int ret;
	struct rules *r = load_text("- id: a\n"
				    "  event: ike_auth\n"
				    "  result: success\n"
				    "  scope: state\n"
				    "  pattern: '(?<nosuch>x)'\n"
				    "- id: b\n"
				    "  event: ike_auth\n"
				    "  result: sometimes\n"
				    "  scope: any\n"
				    "  pattern: 'y'\n"
				    "- id: c\n"
				    "  event: ike_auth\n"
				    "  result: info\n"
				    "  scope: global\n"
				    "  pattern: 'z'\n"
				    "  colour: blue\n"
				    "- id: d\n"
				    "  event: ike_auth\n"
				    "  result: info\n"
				    "  pattern: 'z'\n",
				    &errs, &ret);

	assert_int_equal(ret, -EINVAL);
	assert_null(r);
	assert_int_equal(errs.n, 4);
	assert_int_equal(errs.v[0].line, 5);
	assert_int_equal(errs.v[1].line, 8);
	assert_non_null(strstr(errs.v[1].msg, "success, failure or info"));
	assert_int_equal(errs.v[2].line, 16);
	assert_non_null(strstr(errs.v[2].msg, "unknown key 'colour'"));
	assert_int_equal(errs.v[3].line, 17);
	assert_non_null(strstr(errs.v[3].msg, "missing scope"));
}

/* A captured error_code outside the vocabulary is no code: it becomes the reason. */
static void test_error_code_vocabulary(void **state)
{
	struct diags errs;
	struct event ev;
	int ret;
	struct rules *r = load_text("- id: ike_error.notify\n"
				    "  event: ike_error\n"
				    "  result: failure\n"
				    "  scope: global\n"
				    "  pattern: '^notify (?<error_code>\\w+)$'\n"
				    "- vocabulary: error_code\n"
				    "  values: [INVALID_SYNTAX, TIMEOUT]\n",
				    &errs, &ret);

	assert_int_equal(ret, 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(match(r, "notify INVALID_SYNTAX", 21, &ev), 1);
	assert_string_equal(event_str(&ev, F_ERROR_CODE, NULL), "INVALID_SYNTAX");
	assert_false(event_has(&ev, F_REASON));
	event_reset(&ev);
	assert_int_equal(match(r, "notify v2N_BOGUS", 16, &ev), 1);
	assert_false(event_has(&ev, F_ERROR_CODE));
	assert_string_equal(event_str(&ev, F_REASON, NULL), "v2N_BOGUS");
	event_done(&ev);
	rules_free(r);
	/* a value that is no name at all is refused at load */
	r = load_text("- vocabulary: error_code\n  values: [lower_case]\n", &errs, &ret);
	assert_int_equal(ret, -EINVAL);
	assert_null(r);
	assert_non_null(strstr(errs.v[0].msg, "no error_code name"));
}

static void test_missing_file(void **state)
{
	struct diags errs = {.n = 0};
	struct rules *r = NULL;
	const char *p = "/nonexistent/rules.yaml";

	assert_int_equal(rules_load(&p, 1, &r, &errs), -ENOENT);
	assert_null(r);
	assert_int_equal(errs.n, 1);
}

static const char table[] =
    "- id: child.established\n"
    "  event: child_sa_create\n"
    "  result: success\n"
    "  scope: state\n"
    "  pattern: '^(?<role>initiator|responder) established Child SA using "
    "#(?<parent_serial>\\d+); "
    "IPsec (?<child_mode>tunnel|transport) (?<ts>\\[.*\\]) (?<esp>\\{.*\\})$'\n"
    "  set: { exchange: CREATE_CHILD_SA, ike_version: 2, role: initiator }\n"
    "  decode: { ts: traffic_selectors, esp: esp_block }\n"
    "  examples:\n"
    "    - line: '\"west\" #2: initiator established Child SA using #1; IPsec tunnel "
    "[192.0.1.0/24===192.0.2.0/24] {ESP/ESN=>0xabcd <0x1234 xfrm=AES_GCM_16_256-NONE "
    "DPD=passive}'\n"
    "      expect: { state_serial: 2, parent_serial: 1, spi_out: '0xABCD', transform.encr: "
    "aes_gcm_16_256,"
    " integ: null, ts_local: 192.0.1.0/24, esn: yes, severity: whatever }\n"
    "- id: ike.rekeyed\n"
    "  event: ike_sa_rekey\n"
    "  result: success\n"
    "  scope: state\n"
    "  pattern: '^(?:initiator|responder) rekeyed IKE SA "
    "#(?<replaced_serial>\\d+) "
    "(?<algs>\\{[^}]*\\})'\n"
    "  decode: { algs: brace_algs }\n"
    "- id: delete.either\n"
    "  event: ike_sa_delete\n"
    "  result: info\n"
    "  scope: [state, conn]\n"
    "  pattern: '^(?:deleting state "
    "\\((?<state_name>STATE_\\w+)\\)|deleting IKE SA "
    "\\((?<state_name>[^)]+)\\))'\n"
    "- id: no.literal\n"
    "  event: ike_error\n"
    "  result: failure\n"
    "  scope: global\n"
    "  pattern: '^(?i)ERR: (?<reason>.*)$'\n";

static void test_match_fields(void **state)
{
	struct diags errs;
	struct event ev;
	int ret;
	struct rules *r = load_text(table, &errs, &ret);
	const char *line =
	    "\"west\"[3] 192.1.2.23 #7: responder established Child SA using #5; IPsec transport "
	    "[192.0.1.0-192.0.1.255:0-65535 0] -> [192.0.2.7-192.0.2.7:6-80 6] "
	    "{ESPinUDP/ESN=>0xDEADBEEF <0x01020304 xfrm=AES_CBC_256-HMAC_SHA2_256_128-MODP2048 "
	    "NATD=192.1.2.23:4500 DPD=active username=alice}";

	assert_int_equal(ret, 0);
	assert_non_null(r);
	assert_int_equal(rules_count(r), 4);
	assert_int_equal(rules_example_count(r), 1);
	assert_string_equal(rules_example(r, 0)->rule_id, "child.established");
	assert_int_equal(rules_example(r, 0)->line_no, 9);
	assert_int_equal(event_init(&ev, 8192), 0);
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(rule_id_of(ev.rule), "child.established");
	assert_string_equal(event_str(&ev, F_EVENT_TYPE, NULL), "child_sa_create");
	assert_string_equal(event_str(&ev, F_RESULT, NULL), "success");
	assert_string_equal(event_str(&ev, F_RULE, NULL), "child.established");
	assert_string_equal(event_str(&ev, F_CONN_NAME, NULL), "west");
	assert_int_equal(event_int(&ev, F_CONN_INSTANCE, 0), 3);
	assert_string_equal(event_str(&ev, F_PEER_IP, NULL), "192.1.2.23");
	assert_int_equal(event_int(&ev, F_STATE_SERIAL, 0), 7);
	assert_int_equal(event_int(&ev, F_PARENT_SERIAL, 0), 5);
	/* captured role overrides the constant */
	assert_string_equal(event_str(&ev, F_ROLE, NULL), "responder");
	assert_string_equal(event_str(&ev, F_EXCHANGE, NULL), "CREATE_CHILD_SA");
	assert_int_equal(event_int(&ev, F_IKE_VERSION, 0), 2);
	assert_string_equal(event_str(&ev, F_CHILD_MODE, NULL), "transport");
	/* traffic selectors: a range that is a CIDR block, a host with ports and protocol */
	assert_string_equal(event_str(&ev, F_TS_LOCAL, NULL), "192.0.1.0/24");
	assert_string_equal(event_str(&ev, F_TS_REMOTE, NULL), "192.0.2.7/32:6/6-80");
	/* the ESP block */
	assert_string_equal(event_str(&ev, F_CHILD_PROTOCOL, NULL), "ESP");
	assert_string_equal(event_str(&ev, F_ENCAPSULATION, NULL), "udp");
	assert_int_equal(event_int(&ev, F_ESN, 0), 1);
	assert_string_equal(event_str(&ev, F_SPI_OUT, NULL), "0xdeadbeef");
	assert_string_equal(event_str(&ev, F_SPI_IN, NULL), "0x01020304");
	assert_string_equal(event_str(&ev, F_ENCR, NULL), "AES_CBC_256");
	assert_string_equal(event_str(&ev, F_INTEG, NULL), "HMAC_SHA2_256_128");
	assert_string_equal(event_str(&ev, F_DH_GROUP, NULL), "MODP2048");
	assert_int_equal(event_int(&ev, F_NAT_PEER_BEHIND, 0), 1);
	assert_string_equal(event_str(&ev, F_DPD, NULL), "active");
	assert_string_equal(event_str(&ev, F_USERNAME, NULL), "alice");
	assert_int_equal(rules_hits(r, 0), 1);

	/* brace block; DUPNAMES: the second alternative fills state_name */
	event_reset(&ev);
	line = "\"east\" #9: initiator rekeyed IKE SA #4 {cipher=AES_GCM_16_256 integ=n/a "
	       "prf=HMAC_SHA2_512 "
	       "ke=DH19 addke1=ML_KEM_768}";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_int_equal(event_int(&ev, F_REPLACED_SERIAL, 0), 4);
	assert_string_equal(event_str(&ev, F_ENCR, NULL), "AES_GCM_16_256");
	assert_false(event_has(&ev, F_INTEG));
	assert_string_equal(event_str(&ev, F_PRF, NULL), "HMAC_SHA2_512");
	assert_string_equal(event_str(&ev, F_DH_GROUP, NULL), "DH19");
	event_reset(&ev);
	line = "\"east\" #9: deleting IKE SA (ESTABLISHED_IKE_SA) and sending notification";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(event_str(&ev, F_STATE_NAME, NULL), "ESTABLISHED_IKE_SA");
	event_reset(&ev);
	line = "\"east\" #9: deleting state (STATE_V2_ESTABLISHED_IKE_SA) and sending notification";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(event_str(&ev, F_STATE_NAME, NULL), "STATE_V2_ESTABLISHED_IKE_SA");
	/* a rule with inline flags has no literal and is still found */
	size_t ll;

	assert_null(rules_literal(r, 3, 0, &ll));
	event_reset(&ev);
	line = "err: kernel said no";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(event_str(&ev, F_REASON, NULL), "kernel said no");
	/* a rule sees only lines of its scope: this global line is not a state line */
	event_reset(&ev);
	line = "ERR: x";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	event_reset(&ev);
	line = "\"c\" #1: ERR: x";
	assert_int_equal(match(r, line, strlen(line), &ev), 0);
	/* no match: no type, but what the envelope says is kept */
	assert_null(event_str(&ev, F_EVENT_TYPE, NULL));
	assert_null(ev.rule);
	assert_string_equal(event_str(&ev, F_CONN_NAME, NULL), "c");
	assert_int_equal(event_int(&ev, F_STATE_SERIAL, 0), 1);
	/* a list of scopes: the connection line matches too */
	event_reset(&ev);
	line = "\"c\"[2] 192.0.2.1: deleting state (STATE_X)";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(rule_id_of(ev.rule), "delete.either");
	assert_int_equal(event_int(&ev, F_CONN_INSTANCE, 0), 2);
	assert_string_equal(event_str(&ev, F_PEER_IP, NULL), "192.0.2.1");
	/* a global line with no envelope fields stays empty */
	event_reset(&ev);
	line = "loading secrets from \"/etc/ipsec.secrets\"";
	assert_int_equal(match(r, line, strlen(line), &ev), 0);
	assert_null(event_str(&ev, F_EVENT_TYPE, NULL));
	assert_null(event_str(&ev, F_CONN_NAME, NULL));
	assert_null(ev.rule);
	event_done(&ev);
	rules_free(r);
	rules_free(NULL);
}

/* wrapper: a rule for the lines with "ERROR: " before the connection, one for the others. */
static void test_wrapper(void **state)
{
	struct diags errs;
	struct event ev;
	int ret;
	struct rules *r = load_text("- id: wrapped\n"
				    "  event: ike_error\n"
				    "  result: failure\n"
				    "  scope: state\n"
				    "  wrapper: error\n"
				    "  pattern: '^sendto failed'\n"
				    "- id: plain\n"
				    "  event: ike_error\n"
				    "  result: info\n"
				    "  scope: state\n"
				    "  wrapper: [none, warning]\n"
				    "  pattern: '^sendto failed'\n"
				    "- id: anything\n"
				    "  event: ike_error\n"
				    "  result: info\n"
				    "  scope: any\n"
				    "  wrapper: any\n"
				    "  pattern: '^sendto failed'\n"
				    "- id: expectation\n"
				    "  event: ike_error\n"
				    "  result: failure\n"
				    "  scope: state\n"
				    "  wrapper: [expectation, assertion]\n"
				    "  pattern: '^sendto failed'\n",
				    &errs, &ret);
	const char *line;

	assert_int_equal(ret, 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	line = "ERROR: \"c\" #1: sendto failed";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(rule_id_of(ev.rule), "wrapped");
	event_reset(&ev);
	line = "\"c\" #1: sendto failed";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(rule_id_of(ev.rule), "plain");
	event_reset(&ev);
	line = "WARNING: \"c\" #1: sendto failed";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(rule_id_of(ev.rule), "plain");
	event_reset(&ev);
	/* A diagnostic wrapper: neither the default nor "any" takes it, only a rule naming it. */
	line = "EXPECTATION FAILED: \"c\" #1: sendto failed";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(rule_id_of(ev.rule), "expectation");
	event_reset(&ev);
	line = "ABORT: ASSERTION FAILED: \"c\" #1: sendto failed";
	assert_int_equal(match(r, line, strlen(line), &ev), 1);
	assert_string_equal(rule_id_of(ev.rule), "expectation");
	event_reset(&ev);
	/* "FATAL ERROR: " stays in the text of a global line: no rule here takes it. */
	line = "FATAL ERROR: \"c\" #1: sendto failed";
	assert_int_equal(match(r, line, strlen(line), &ev), 0);
	event_done(&ev);
	rules_free(r);

	r = load_text("- id: bad\n  event: ike_error\n  result: info\n  scope: state\n"
		      "  wrapper: panic\n  pattern: 'x'\n",
		      &errs, &ret);
	assert_int_equal(ret, -EINVAL);
	assert_null(r);
	assert_int_equal(errs.v[0].line, 5);
	assert_non_null(strstr(errs.v[0].msg, "wrapper must be none, error, warning, expectation"));
}

static void test_decoders(void **state)
{
	struct event ev;
	const char *s;

	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(decoder_lookup("esp_block", 9), DECODE_ESP_BLOCK);
	assert_int_equal(decoder_lookup("esp", 3), -ENOENT);
	s = "{auth=PRESHARED_KEY cipher=3DES_CBC_192 integ=HMAC_SHA1 group=MODP1024}";
	assert_int_equal(decode_run(DECODE_BRACE_ALGS, s, strlen(s), &ev), 4);
	/* IKEv1's oakley auth names become the rules' words */
	assert_string_equal(event_str(&ev, F_AUTH_METHOD, NULL), "psk");
	assert_string_equal(event_str(&ev, F_ENCR, NULL), "3DES_CBC_192");
	assert_string_equal(event_str(&ev, F_INTEG, NULL), "HMAC_SHA1");
	assert_string_equal(event_str(&ev, F_DH_GROUP, NULL), "MODP1024");
	/* 5.3 short form */
	event_reset(&ev);
	s = "{ESP <0xabcdef01}";
	assert_int_equal(decode_run(DECODE_ESP_BLOCK, s, strlen(s), &ev), 2);
	assert_string_equal(event_str(&ev, F_SPI_IN, NULL), "0xabcdef01");
	assert_false(event_has(&ev, F_SPI_OUT));
	/* AH: the transform is integrity only; IPCOMP SPIs are not the ESP ones */
	event_reset(&ev);
	s = "{AHinTCP=>0x11111111 <0x22222222 xfrm=HMAC_SHA1_96 IPCOMP=>0x3333 <0x4444 "
	    "DPD=passive}";
	decode_run(DECODE_ESP_BLOCK, s, strlen(s), &ev);
	assert_string_equal(event_str(&ev, F_CHILD_PROTOCOL, NULL), "AH");
	assert_string_equal(event_str(&ev, F_ENCAPSULATION, NULL), "tcp");
	assert_string_equal(event_str(&ev, F_INTEG, NULL), "HMAC_SHA1_96");
	assert_false(event_has(&ev, F_ENCR));
	assert_string_equal(event_str(&ev, F_SPI_IN, NULL), "0x22222222");
	/* 3.x: auth=IKEv2 names no method; short lower-case algorithm names */
	event_reset(&ev);
	s = "{auth=IKEv2 cipher=aes_256 integ=sha2_256_128 prf=sha2_256 group=MODP2048}";
	assert_int_equal(decode_run(DECODE_BRACE_ALGS, s, strlen(s), &ev), 4);
	assert_false(event_has(&ev, F_AUTH_METHOD));
	assert_string_equal(event_str(&ev, F_ENCR, NULL), "AES_256");
	/* NATD=ADDR:PORT: the address and port NAT detection saw */
	event_reset(&ev);
	s = "{ESPinUDP/ESN=>0xac807217 <0xd941e838 xfrm=AES_GCM_16_256-NONE NATD=192.0.2.45:31065 "
	    "DPD=passive}";
	decode_run(DECODE_ESP_BLOCK, s, strlen(s), &ev);
	assert_string_equal(event_str(&ev, F_NATD_IP, NULL), "192.0.2.45");
	assert_int_equal(event_int(&ev, F_NATD_PORT, -1), 31065);
	assert_int_equal(event_int(&ev, F_NAT_PEER_BEHIND, -1), 1);
	/* IPv6 is printed unbracketed: the port is after the last colon */
	event_reset(&ev);
	s = "{ESPinUDP=>0x1 <0x2 xfrm=AES_CBC_256-HMAC_SHA2_256_128 NATD=2001:db8::17:4500 "
	    "DPD=active}";
	decode_run(DECODE_ESP_BLOCK, s, strlen(s), &ev);
	assert_string_equal(event_str(&ev, F_NATD_IP, NULL), "2001:db8::17");
	assert_int_equal(event_int(&ev, F_NATD_PORT, -1), 4500);
	/* 3.x: ESP/NAT=> is UDP encapsulation, NATD=none is no NAT at all */
	event_reset(&ev);
	s = "{ESP/NAT=>0xc2a1f3d4 <0x8e77a0b1 xfrm=AES_CBC_256-HMAC_SHA2_256_128 NATOA=none "
	    "NATD=none "
	    "DPD=passive}";
	decode_run(DECODE_ESP_BLOCK, s, strlen(s), &ev);
	assert_string_equal(event_str(&ev, F_ENCAPSULATION, NULL), "udp");
	assert_false(event_has(&ev, F_NATD_IP));
	assert_false(event_has(&ev, F_NAT_PEER_BEHIND));
	assert_string_equal(event_str(&ev, F_SPI_OUT, NULL), "0xc2a1f3d4");
	/* delete_notify: pluto's words to the schema's */
	event_reset(&ev);
	assert_int_equal(decode_run(DECODE_DELETE_NOTIFY, "NOT sending", 11, &ev), 1);
	assert_string_equal(event_str(&ev, F_DELETE_NOTIFY, NULL), "none");
	assert_int_equal(decode_run(DECODE_DELETE_NOTIFY, "sending", 7, &ev), 1);
	assert_string_equal(event_str(&ev, F_DELETE_NOTIFY, NULL), "sent");
	event_reset(&ev);
	assert_int_equal(decode_run(DECODE_DELETE_NOTIFY, "maybe", 5, &ev), 0);
	assert_false(event_has(&ev, F_DELETE_NOTIFY));
	/* several 5.x selector pairs, IPv6 */
	event_reset(&ev);
	s = "[2a00:1190:c02d:f11::1/128===::/0] [172.23.11.1/32===0.0.0.0/0]";
	assert_int_equal(decode_run(DECODE_TRAFFIC_SELECTORS, s, strlen(s), &ev), 2);
	assert_string_equal(event_str(&ev, F_TS_LOCAL, NULL),
			    "2a00:1190:c02d:f11::1/128,172.23.11.1/32");
	assert_string_equal(event_str(&ev, F_TS_REMOTE, NULL), "::/0,0.0.0.0/0");
	/* accepted selectors: lists */
	event_reset(&ev);
	s = "[192.0.3.0/24]->[192.0.2.0/24 192.0.20.0/24]";
	decode_run(DECODE_TRAFFIC_SELECTORS, s, strlen(s), &ev);
	assert_string_equal(event_str(&ev, F_TS_LOCAL, NULL), "192.0.3.0/24");
	assert_string_equal(event_str(&ev, F_TS_REMOTE, NULL), "192.0.2.0/24,192.0.20.0/24");
	/* 4.x ranges: a non-CIDR range stays a range; IPv6 range with ports */
	event_reset(&ev);
	s = "[10.0.0.1-10.0.0.6:0-65535 0] -> [2001:db8::-2001:db8::ffff:0-65535 0]";
	decode_run(DECODE_TRAFFIC_SELECTORS, s, strlen(s), &ev);
	assert_string_equal(event_str(&ev, F_TS_LOCAL, NULL), "10.0.0.1-10.0.0.6");
	assert_string_equal(event_str(&ev, F_TS_REMOTE, NULL), "2001:db8::/112");
	/* 3.25 writes "lo,hi": read as a range, never left with the list's comma */
	event_reset(&ev);
	s = "[10.0.0.1,10.0.0.6:0-65535 0] -> [192.0.2.0,192.0.2.255:0-65535 0]";
	decode_run(DECODE_TRAFFIC_SELECTORS, s, strlen(s), &ev);
	assert_string_equal(event_str(&ev, F_TS_LOCAL, NULL), "10.0.0.1-10.0.0.6");
	assert_string_equal(event_str(&ev, F_TS_REMOTE, NULL), "192.0.2.0/24");
	/* garbage sets nothing */
	event_reset(&ev);
	s = "no brackets here";
	assert_int_equal(decode_run(DECODE_TRAFFIC_SELECTORS, s, strlen(s), &ev), 0);
	assert_int_equal(decode_run(DECODE_ESP_BLOCK, s, strlen(s), &ev), 0);
	event_done(&ev);
}

static void expect_req(const char *pattern, const char *a, const char *b)
{
	struct prefilter_req q;
	int n = prefilter_extract(pattern, strlen(pattern), &q);

	if (!a) {
		assert_int_equal(n, 0);
		return;
	}
	assert_int_equal(n, b ? 2 : 1);
	assert_int_equal(q.len[0], strlen(a));
	assert_memory_equal(q.lit[0], a, strlen(a));
	if (b) {
		assert_int_equal(q.len[1], strlen(b));
		assert_memory_equal(q.lit[1], b, strlen(b));
	}
}

static void test_literal_extraction(void **state)
{
	expect_req("^\"(?<conn_name>[^\"]+)\" #(?<state_serial>\\d+): established IKE SA",
		   ": established IKE SA", NULL);
	/* optional atoms end a run; the longest run wins */
	expect_req("abcdefX?ghi", "abcdef", NULL);
	expect_req("abc+defghijk", "defghijk", NULL);
	/* inside a required group, not inside an optional one or a lookaround */
	expect_req("#\\d+: (?<reason>Signature check failed)", "Signature check failed", NULL);
	expect_req("#\\d+: (?:optional text here)? xy", NULL, NULL);
	expect_req("ab(?!forbidden text)cd", NULL, NULL);
	/* an alternation gives one literal per alternative */
	expect_req("#\\d+: (?:CHILD SA failed|CREATE_CHILD_SA failed)", "CHILD SA failed",
		   "CREATE_CHILD_SA failed");
	expect_req("deleting (?:state|IKE SA)", "deleting ", NULL);
	expect_req("(?:abcd|e)", NULL, NULL);
	/* escapes and classes */
	expect_req("\\{cipher=\\S+ integ=", "{cipher=", NULL);
	expect_req("[a-z]{2,5}established\\.", "established.", NULL);
	expect_req("\\p{Lu}{3}abcd", "abcd", NULL);
	expect_req("x{2}yyyy", "yyyy", NULL);
	/* syntax the scanner does not follow: no literal */
	expect_req("(?i)established", NULL, NULL);
	expect_req("\\Qa(b\\Eestablished", NULL, NULL);
	expect_req("abc)def", NULL, NULL);
	/* long runs are cut to PREFILTER_LITERAL_MAX (a prefix of a required run is required) */
	struct prefilter_req q;

	prefilter_extract("0123456789012345678901234567890123456789", 40, &q);
	assert_int_equal(q.n, 1);
	assert_int_equal(q.len[0], PREFILTER_LITERAL_MAX);
}

/*
 * The prefilter never changes the outcome: every example line of the repo's
 * rule table, and every truncation and one-byte change of it, gives the
 * same rule and the same fields with the prefilter on and off.
 */
/* Matches line with and without the prefilter: the same result, rule and fields. */
static int same_with_and_without_prefilter(struct rules *r, const char *line, size_t len,
					   struct event *a, struct event *b)
{
	int ma, mb;

	rules_set_prefilter(r, true);
	event_reset(a);
	ma = match(r, line, len, a);
	rules_set_prefilter(r, false);
	event_reset(b);
	mb = match(r, line, len, b);
	assert_int_equal(ma, mb);
	assert_ptr_equal(a->rule, b->rule);
	assert_memory_equal(a->present, b->present, sizeof(a->present));
	for (int f = 0; f < F__MAX; f++)
		if (event_has(a, f))
			assert_string_equal(event_str(a, f, NULL), event_str(b, f, NULL));
	return ma;
}

static void test_prefilter_same_events(void **state)
{
	const char *p = REPO_RULES;
	struct diags *errs = calloc(1, sizeof(*errs));
	struct rules *r = NULL;
	struct event a, b;
	size_t lines = 0, matched = 0;

	if (access(p, R_OK) != 0) {
		free(errs);
		skip();
	}
	assert_int_equal(rules_load(&p, 1, &r, errs), 0);
	assert_true(rules_example_count(r) > 10);
	assert_int_equal(event_init(&a, 16384), 0);
	assert_int_equal(event_init(&b, 16384), 0);
	for (size_t i = 0; i < rules_example_count(r); i++) {
		const char *line = rules_example(r, i)->line;
		size_t len = strlen(line);
		char buf[4096];

		if (len >= sizeof(buf))
			continue;
		for (size_t v = 0; v <= len + 8; v++) {
			size_t l = len;

			memcpy(buf, line, len);
			if (v < len / 2)
				l = v * 2; /* truncations */
			else if (v < len)
				buf[v] = (char)(buf[v] ^ 0x20); /* case flips */
			else if (v < len + 8)
				buf[(v * 7919) % len] = ' ';
			lines++;
			matched += same_with_and_without_prefilter(r, buf, l, &a, &b) == 1;
		}
	}
	/* and the real pluto lines of the corpus fixtures, when the repository has them */
	static const char *const corpus[] = {"fixtures/corpus/lines-v4.log",
					     "fixtures/corpus/lines-v5.log"};

	for (size_t k = 0; k < sizeof(corpus) / sizeof(corpus[0]); k++) {
		FILE *f = fopen(corpus[k], "r");
		char buf[8192];

		while (f && fgets(buf, sizeof(buf), f)) {
			size_t l = strcspn(buf, "\n");

			lines++;
			matched += same_with_and_without_prefilter(r, buf, l, &a, &b) == 1;
		}
		if (f)
			fclose(f);
	}
	print_message("prefilter on/off: %zu lines, %zu matched, identical\n", lines, matched);
	assert_true(matched > 100 && matched < lines);
	event_done(&a);
	event_done(&b);
	rules_free(r);
	free(errs);
}

/* A literal that ends the line, or is the whole line, is found in the line's last window. */
static void test_prefilter_line_end(void **state)
{
	struct diags errs;
	struct event a, b;
	int ret;
	struct rules *r = load_text("- id: tail\n"
				    "  event: ike_error\n"
				    "  result: failure\n"
				    "  scope: global\n"
				    "  pattern: '^\\d+stop$'\n"
				    "- id: whole\n"
				    "  event: ike_error\n"
				    "  result: info\n"
				    "  scope: global\n"
				    "  pattern: '^halt$'\n",
				    &errs, &ret);

	assert_int_equal(ret, 0);
	/* both rules go through the prefilter: each has a literal to index */
	expect_req("^\\d+stop$", "stop", NULL);
	expect_req("^halt$", "halt", NULL);
	assert_int_equal(event_init(&a, 4096), 0);
	assert_int_equal(event_init(&b, 4096), 0);
	assert_int_equal(same_with_and_without_prefilter(r, "123stop", 7, &a, &b), 1);
	assert_string_equal(event_str(&a, F_RESULT, NULL), "failure");
	assert_int_equal(same_with_and_without_prefilter(r, "halt", 4, &a, &b), 1);
	assert_string_equal(event_str(&a, F_RESULT, NULL), "info");
	/* and a line one byte short of the literal matches neither */
	assert_int_equal(same_with_and_without_prefilter(r, "hal", 3, &a, &b), 0);
	event_done(&a);
	event_done(&b);
	rules_free(r);
}

static void test_match_limit(void **state)
{
	struct diags errs;
	struct event ev;
	int ret;
	struct rules *r = load_text("- id: slow\n"
				    "  event: ike_error\n"
				    "  result: failure\n"
				    "  scope: any\n"
				    "  pattern: '^(a|aa)+$'\n",
				    &errs, &ret);
	char line[200];

	assert_int_equal(ret, 0);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = 'b';
	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(match(r, line, sizeof(line), &ev), -E2BIG);
	assert_int_equal(rules_limit_hits(r), 1);
	assert_false(event_has(&ev, F_EVENT_TYPE));
	event_done(&ev);
	rules_free(r);
}

/*
 * Literals that share a word: each is anchored on a gram of its own, a
 * literal two rules require is one entry that marks both, and a line that
 * holds an anchor too near its start for the whole literal matches nothing.
 */
static void test_prefilter_shared_literals(void **state)
{
	struct diags errs;
	struct event a, b;
	int ret;
	struct rules *r = load_text("- id: q.digits\n"
				    "  event: ike_error\n"
				    "  result: failure\n"
				    "  scope: global\n"
				    "  pattern: '^commonwordQQQQ (?<reason>\\d+)$'\n"
				    "- id: q.any\n"
				    "  event: ike_error\n"
				    "  result: info\n"
				    "  scope: global\n"
				    "  pattern: '^commonwordQQQQ (?<reason>.+)$'\n"
				    "- id: r\n"
				    "  event: ike_error\n"
				    "  result: success\n"
				    "  scope: global\n"
				    "  pattern: 'commonwordRRRR'\n",
				    &errs, &ret);

	(void)state;
	assert_int_equal(ret, 0);
	assert_int_equal(event_init(&a, 4096), 0);
	assert_int_equal(event_init(&b, 4096), 0);
	/* the first rule fails, the second of the same literal matches */
	assert_int_equal(same_with_and_without_prefilter(r, "commonwordQQQQ abc", 18, &a, &b), 1);
	assert_string_equal(event_str(&a, F_RESULT, NULL), "info");
	assert_int_equal(same_with_and_without_prefilter(r, "commonwordQQQQ 42", 17, &a, &b), 1);
	assert_string_equal(event_str(&a, F_RESULT, NULL), "failure");
	assert_int_equal(same_with_and_without_prefilter(r, "x commonwordRRRR", 16, &a, &b), 1);
	assert_string_equal(event_str(&a, F_RESULT, NULL), "success");
	/* the distinctive part without the shared word before it */
	assert_int_equal(same_with_and_without_prefilter(r, "monwordQQQQ 42", 14, &a, &b), 0);
	assert_int_equal(same_with_and_without_prefilter(r, "wordRRRR", 8, &a, &b), 0);
	event_done(&a);
	event_done(&b);
	rules_free(r);
}

/* Rules run interpreted until lines have reached them a few times, then JIT-compiled: same events.
 */
static void test_lazy_jit_same_events(void **state)
{
	struct diags errs;
	struct event ev;
	int ret;
	struct rules *r = load_text(table, &errs, &ret);
	const char *line = "\"east\" #12: initiator rekeyed IKE SA #4 {cipher=AES_GCM_16_256 "
			   "integ=n/a prf=HMAC_SHA2_512 group=DH19}";

	(void)state;
	assert_int_equal(ret, 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	for (int i = 0; i < 40; i++) {
		event_reset(&ev);
		assert_int_equal(match(r, line, strlen(line), &ev), 1);
		assert_string_equal(event_str(&ev, F_RULE, NULL), "ike.rekeyed");
		assert_int_equal(event_int(&ev, F_STATE_SERIAL, 0), 12);
		assert_int_equal(event_int(&ev, F_REPLACED_SERIAL, 0), 4);
		assert_string_equal(event_str(&ev, F_PRF, NULL), "HMAC_SHA2_512");
		assert_string_equal(event_str(&ev, F_DH_GROUP, NULL), "DH19");
	}
	assert_int_equal(rules_hits(r, 1), 40);
	assert_int_equal(rules_jit_fallbacks(r), 0);
	event_done(&ev);
	rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invalid_fixtures),
	    cmocka_unit_test(test_all_errors_reported),
	    cmocka_unit_test(test_error_code_vocabulary),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_match_fields),
	    cmocka_unit_test(test_wrapper),
	    cmocka_unit_test(test_decoders),
	    cmocka_unit_test(test_literal_extraction),
	    cmocka_unit_test(test_prefilter_same_events),
	    cmocka_unit_test(test_prefilter_line_end),
	    cmocka_unit_test(test_match_limit),
	    cmocka_unit_test(test_prefilter_shared_literals),
	    cmocka_unit_test(test_lazy_jit_same_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
