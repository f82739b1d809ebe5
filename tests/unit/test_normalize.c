/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "event.h"
#include "normalize.h"
#include "rules.h"
#include "stats.h"
#include "stage_opts.h"

/*
 * Debug lines, pluto's prefix read by the normalizer (the log prefixes are
 * test_envelope's), and the derived fields of normalize_record against a small real rule table.
 */

#define SEC 1000000LL

static void test_is_debug(void **state)
{
	assert_true(normalize_is_debug("| ikev2 child SA key", 20));
	assert_true(normalize_is_debug("|] whack", 8));
	assert_true(normalize_is_debug("|", 1));
	assert_false(normalize_is_debug("|x", 2));
	assert_false(normalize_is_debug("\"west\" | x", 10));
	assert_false(normalize_is_debug("", 0));
}

static const char table[] =
    "- id: ike_auth.established\n"
    "  event: ike_auth\n"
    "  result: success\n"
    "  scope: state\n"
    "  pattern: '^(?<role>initiator|responder) "
    "established IKE "
    "SA; authenticated peer using authby=(?<auth_method>\\S+) and (?<id_type>\\w+) "
    "''(?<peer_id>[^'']*)'''\n"
    "  set: { ike_version: 2 }\n"
    "- id: isakmp.established\n"
    "  event: ike_auth\n"
    "  result: success\n"
    "  scope: state\n"
    "  pattern: '^ISAKMP SA established (?<algs>\\{.*\\})$'\n"
    "  decode: { algs: brace_algs }\n"
    "- id: auth.failed\n"
    "  event: auth_failed\n"
    "  result: failure\n"
    "  scope: state\n"
    "  pattern: '^authentication failed: (?<reason>.*)$'\n"
    "- id: no_proposal\n"
    "  event: no_proposal_chosen\n"
    "  result: failure\n"
    "  scope: state\n"
    "  pattern: '^IKE_AUTH response rejected Child SA with "
    "(?<error_code>\\w+)'\n"
    "- id: delete.state\n"
    "  event: ike_sa_delete\n"
    "  result: info\n"
    "  scope: state\n"
    "  pattern: '^deleting state \\((?<state_name>\\w+)\\)'\n"
    "- id: banner\n"
    "  event: daemon_start\n"
    "  result: info\n"
    "  scope: global\n"
    "  pattern: '^Starting Pluto \\(Libreswan Version (?<platform_version>[^ )]+)'\n";

struct fx {
	char path[64];
	struct config cfg;
	struct counters cnt;
	struct rules *rules;
	struct normalizer *n;
	struct event ev;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct diags errs = {.n = 0};
	const char *p = fx->path;
	int fd;

	strcpy(fx->path, "/tmp/test-normalize-XXXXXX");
	fd = mkstemp(fx->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, table, sizeof(table) - 1), (ssize_t)sizeof(table) - 1);
	close(fd);
	assert_int_equal(rules_load(&p, 1, &fx->rules, &errs), 0);
	unlink(fx->path);
	config_defaults(&fx->cfg);
	assert_int_equal(
	    normalizer_new(&t_pipeline_opts(&fx->cfg)->norm, fx->rules, &fx->cnt, &fx->n), 0);
	assert_int_equal(event_init(&fx->ev, 2 * 1024 + 4096), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	event_done(&fx->ev);
	normalizer_free(fx->n);
	rules_free(fx->rules);
	config_done(&fx->cfg);
	free(fx);
	return 0;
}

static int run(struct fx *fx, const char *line, const char *host, uint64_t seq)
{
	struct record rec = {.msg = line,
			     .len = strlen(line),
			     .host = host,
			     .pid = 1234,
			     .realtime_usec = 1795465558 * SEC + 47269,
			     .priority = -1,
			     .seq = seq};

	event_reset(&fx->ev);
	return normalize_record(fx->n, &rec, &fx->ev);
}

static const char *str(struct fx *fx, enum field f)
{
	return event_str(&fx->ev, f, NULL);
}

static void test_derived(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
	    run(fx,
		"\"westeast\" #1: responder established IKE SA; authenticated peer using "
		"authby=secret and ID_FQDN '@west'",
		"gw", 1),
	    1);
	assert_int_equal(event_int(&fx->ev, F_SCHEMA_VERSION, 0), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "ike_auth");
	assert_string_equal(str(fx, F_RESULT), "success");
	assert_string_equal(str(fx, F_SEVERITY), "notice");
	assert_string_equal(str(fx, F_RULE), "ike_auth.established");
	assert_string_equal(str(fx, F_TIMESTAMP), "2026-11-23T20:25:58.047269Z");
	assert_int_equal(strlen(str(fx, F_EVENT_ID)), 16);
	assert_int_equal(event_int(&fx->ev, F_IKE_VERSION, 0), 2);
	assert_string_equal(str(fx, F_EXCHANGE), "IKE_AUTH");
	/* we are the responder: the peer is the initiator */
	assert_string_equal(str(fx, F_INITIATOR_ID), "@west");
	assert_false(event_has(&fx->ev, F_RESPONDER_ID));
	assert_string_equal(str(fx, F_PLATFORM_HOST), "gw");
	assert_int_equal(event_int(&fx->ev, F_PLATFORM_PID, 0), 1234);
	assert_string_equal(str(fx, F_PLATFORM_PROCESS), "pluto");
	assert_string_equal(str(fx, F_PLATFORM_IMPL), "libreswan");
	assert_false(event_has(&fx->ev, F_WEAK_CRYPTO));
	/* message: dropped by the default redaction policy, so not even copied */
	assert_false(event_has(&fx->ev, F_MESSAGE));
	assert_int_equal(fx->cnt.matched, 1);
}

static void test_event_id(void **state)
{
	struct fx *fx = *state;
	char a[17], b[17];
	const char *line = "\"w\" #1: deleting state (STATE_MAIN_R3) and sending notification";

	run(fx, line, NULL, 5);
	strcpy(a, str(fx, F_EVENT_ID));
	run(fx, line, NULL, 5);
	strcpy(b, str(fx, F_EVENT_ID));
	assert_string_equal(a, b);
	run(fx, line, NULL, 6);
	assert_string_not_equal(a, str(fx, F_EVENT_ID));

	struct record rec = {
	    .msg = line, .len = strlen(line), .event_id = "cursor-hash-1", .seq = 7};

	event_reset(&fx->ev);
	assert_int_equal(normalize_record(fx->n, &rec, &fx->ev), 1);
	assert_string_equal(str(fx, F_EVENT_ID), "cursor-hash-1");
	/* realtime 0: now, still RFC 3339 UTC with microseconds */
	assert_int_equal(strlen(str(fx, F_TIMESTAMP)), 27);
	assert_int_equal(str(fx, F_TIMESTAMP)[26], 'Z');
	/* IKEv1 from the state name; no exchange for a v1 delete */
	assert_int_equal(event_int(&fx->ev, F_IKE_VERSION, 0), 1);
	assert_false(event_has(&fx->ev, F_EXCHANGE));
	assert_string_equal(str(fx, F_SEVERITY), "info");
	run(fx, "\"w\" #1: deleting state (STATE_V2_ESTABLISHED_IKE_SA) and sending notification",
	    NULL, 8);
	assert_int_equal(event_int(&fx->ev, F_IKE_VERSION, 0), 2);
	assert_string_equal(str(fx, F_EXCHANGE), "INFORMATIONAL");
}

/* A new normalizer on the changed configuration, as a reload makes one. */
static void renew(struct fx *fx)
{
	normalizer_free(fx->n);
	fx->n = NULL;
	assert_int_equal(
	    normalizer_new(&t_pipeline_opts(&fx->cfg)->norm, fx->rules, &fx->cnt, &fx->n), 0);
}

static void test_severity_and_weak(void **state)
{
	struct fx *fx = *state;

	run(fx, "\"w\" #3: authentication failed: no PSK found for '@west'", NULL, 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "auth_failed");
	assert_string_equal(str(fx, F_SEVERITY), "err");
	run(fx, "\"w\" #3: IKE_AUTH response rejected Child SA with NO_PROPOSAL_CHOSEN", NULL, 2);
	assert_string_equal(str(fx, F_SEVERITY), "warning");
	assert_string_equal(str(fx, F_ERROR_CODE), "NO_PROPOSAL_CHOSEN");
	run(fx,
	    "\"w\" #4: ISAKMP SA established {auth=PRESHARED_KEY cipher=3DES_CBC_192 "
	    "integ=HMAC_SHA1 "
	    "group=MODP1024}",
	    NULL, 3);
	assert_string_equal(str(fx, F_WEAK_CRYPTO), "3DES_CBC_192,HMAC_SHA1,MODP1024");
	run(fx,
	    "\"w\" #4: ISAKMP SA established {auth=RSA_SIG cipher=AES_CBC_256 integ=HMAC_SHA2_256 "
	    "group=MODP2048}",
	    NULL, 4);
	assert_false(event_has(&fx->ev, F_WEAK_CRYPTO));
	/* "DES" is not a part of "3DES_CBC": parts are whole '_'-separated words */
	for (size_t i = 0; i < fx->cfg.weak_crypto.n; i++)
		free(fx->cfg.weak_crypto.v[i]);
	fx->cfg.weak_crypto.v[0] = strdup("DES");
	fx->cfg.weak_crypto.n = 1;
	renew(fx);
	run(fx, "\"w\" #4: ISAKMP SA established {cipher=3DES_CBC integ=HMAC_SHA1_96}", NULL, 5);
	assert_false(event_has(&fx->ev, F_WEAK_CRYPTO));
}

static void test_unparsed_and_debug(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, "loading secrets from \"/etc/ipsec.secrets\"", NULL, 1), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "unparsed");
	assert_string_equal(str(fx, F_RESULT), "info");
	assert_string_equal(str(fx, F_SEVERITY), "info");
	assert_false(event_has(&fx->ev, F_RULE));
	assert_int_equal(fx->cnt.unparsed, 1);
	/* A state line no rule knows keeps what its envelope says. */
	assert_int_equal(run(fx, "\"road\"[3] 192.0.2.7 #12: a wording no rule has", NULL, 1), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "unparsed");
	assert_string_equal(str(fx, F_CONN_NAME), "road");
	assert_int_equal(event_int(&fx->ev, F_CONN_INSTANCE, 0), 3);
	assert_string_equal(str(fx, F_PEER_IP), "192.0.2.7");
	assert_int_equal(event_int(&fx->ev, F_STATE_SERIAL, 0), 12);
	/* and whack's console output is read as pluto's own line */
	assert_int_equal(run(fx, "002 \"w\" #4: authentication failed: no key", NULL, 1), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "auth_failed");
	assert_string_equal(str(fx, F_REASON), "no key");
	assert_int_equal(event_int(&fx->ev, F_STATE_SERIAL, 0), 4);
	assert_int_equal(run(fx, "| ikev2 child: SK_ei 01 02 03", NULL, 2), 0);
	assert_int_equal(fx->cnt.debug_dropped, 1);
	/* Kept once the configuration says so. */
	fx->cfg.source.keep_debug_lines = true;
	renew(fx);
	assert_int_equal(run(fx, "|] debug", NULL, 3), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "unparsed");
	assert_string_equal(str(fx, F_RULE), "debug");
}

static void test_version_per_host(void **state)
{
	struct fx *fx = *state;

	run(fx, "Starting Pluto (Libreswan Version 5.4 IKEv2 IKEv1 XFRM) pid:95", "gw1", 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "daemon_start");
	assert_string_equal(str(fx, F_PLATFORM_VERSION), "5.4");
	run(fx, "\"w\" #3: authentication failed: x", "gw1", 2);
	assert_string_equal(str(fx, F_PLATFORM_VERSION), "5.4");
	run(fx, "\"w\" #3: authentication failed: x", "gw2", 3);
	assert_false(event_has(&fx->ev, F_PLATFORM_VERSION));
	run(fx, "Starting Pluto (Libreswan Version 4.10 IKEv2) pid:3", "gw1", 4);
	run(fx, "\"w\" #3: authentication failed: x", "gw1", 5);
	assert_string_equal(str(fx, F_PLATFORM_VERSION), "4.10");
}

static void test_long_line(void **state)
{
	struct fx *fx = *state;
	size_t len = 10000;
	char *line = malloc(len + 1);

	/* keep the message: it no longer fits the 6 KiB arena */
	for (size_t i = 0; i < fx->cfg.redact.n_fields; i++)
		if (strcmp(fx->cfg.redact.fields[i].field, "message") == 0)
			fx->cfg.redact.fields[i].action = REDACT_KEEP;
	normalizer_free(fx->n);
	assert_int_equal(
	    normalizer_new(&t_pipeline_opts(&fx->cfg)->norm, fx->rules, &fx->cnt, &fx->n), 0);
	memcpy(line, "\"w\" #3: authentication failed: ", 31);
	memset(line + 31, 'x', len - 31);
	line[len] = '\0';
	assert_int_equal(run(fx, line, NULL, 1), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "auth_failed");
	assert_false(event_has(&fx->ev, F_MESSAGE));
	assert_int_equal(fx->cnt.arena_full, 1);
	assert_true(fx->ev.text_len <= fx->ev.text_cap);
	/* a short one keeps its message */
	run(fx, "\"w\" #3: authentication failed: y", NULL, 2);
	assert_string_equal(str(fx, F_MESSAGE), "\"w\" #3: authentication failed: y");
	free(line);
}

/* "\"w\" #3: ISAKMP SA established {xxx...}" of exactly len bytes. */
static char *isakmp_line(size_t len)
{
	static const char head[] = "\"w\" #3: ISAKMP SA established {";
	char *line = malloc(len + 1);

	assert_non_null(line);
	memcpy(line, head, sizeof(head) - 1);
	memset(line + sizeof(head) - 1, 'x', len - sizeof(head));
	line[len - 1] = '}';
	line[len] = '\0';
	return line;
}

static void test_match_bound(void **state)
{
	struct fx *fx = *state;
	unsigned max = fx->cfg.limits.max_match_bytes;
	char *line = isakmp_line(max);

	assert_int_equal(max, 2048);
	/* exactly max_match_bytes: seen whole, matched, not counted */
	assert_int_equal(run(fx, line, NULL, 1), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "ike_auth");
	assert_int_equal(fx->cnt.match_truncated, 0);
	free(line);
	/* one byte more: the closing brace is past what the rules see */
	line = isakmp_line(max + 1);
	assert_int_equal(run(fx, line, NULL, 2), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "unparsed");
	assert_int_equal(fx->cnt.match_truncated, 1);
	/* the envelope is still read from the start of the line */
	assert_int_equal(event_int(&fx->ev, F_STATE_SERIAL, 0), 3);
	free(line);
	/* a capture running to the end of the line ends at the bound */
	line = malloc(65536 + 1);
	memcpy(line, "\"w\" #3: authentication failed: ", 31);
	memset(line + 31, 'y', 65536 - 31);
	line[65536] = '\0';
	assert_int_equal(run(fx, line, NULL, 3), 1);
	assert_string_equal(str(fx, F_EVENT_TYPE), "auth_failed");
	assert_int_equal(strlen(str(fx, F_REASON)), max - 31);
	assert_int_equal(fx->cnt.match_truncated, 2);
	free(line);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_is_debug),
	    cmocka_unit_test_setup_teardown(test_derived, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_severity_and_weak, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unparsed_and_debug, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_version_per_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_match_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
