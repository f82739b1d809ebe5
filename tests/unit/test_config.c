/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration loader: the shipped file loads clean, the defaults are
 * the documented ones, and every kind of error is reported with its
 * FILE:LINE:COL. Expected positions are counted by hand from the fixtures
 * in fixtures/config/ (run from the repository root).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define FIX "fixtures/config/"

static char tmpdir[] = "/tmp/test_config.XXXXXX";

/* Writes text to a new file in tmpdir; returns its path (static buffer). */
static const char *write_tmp(const char *name, const char *text, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void print_diags(const struct diags *d)
{
	char buf[1024];

	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  diag: %s\n", diag_format(&d->v[i], buf, sizeof(buf)));
}

/* Asserts that entry i is at line:col and its message contains want. */
static void assert_diag(const struct diags *d, size_t i, const char *file, unsigned line,
			unsigned col, const char *want)
{
	if (i >= d->n || d->v[i].line != line || d->v[i].col != col || !strstr(d->v[i].msg, want) ||
	    strcmp(d->v[i].file, file) != 0) {
		fprintf(stderr, "expected diag %zu: %s:%u:%u: ...%s...\n", i, file, line, col,
			want);
		print_diags(d);
		fail();
	}
}

static void test_shipped_file_loads_clean(void **state)
{
	struct config cfg;
	struct diags d = {0};
	int r;

	config_defaults(&cfg);
	r = config_load("conf/ikelogd.yaml", &cfg, &d);
	print_diags(&d);
	assert_int_equal(r, 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg.path, "conf/ikelogd.yaml");
	/* The file spells out the defaults, so they hold after loading it. */
	assert_int_equal(cfg.source.type, SOURCE_JOURNAL);
	assert_int_equal(cfg.source.journal.match.n, 1);
	assert_int_equal(cfg.rules.n, 2);
	assert_string_equal(cfg.rules.v[0], "/usr/share/ikelogd/rules/libreswan.yaml");
	assert_string_equal(cfg.rules.v[1], "/usr/share/ikelogd/rules/libreswan-inventory.yaml");
	assert_int_equal(cfg.weak_crypto.n, 11);
	assert_string_equal(cfg.weak_crypto.v[10], "NULL");
	assert_int_equal(cfg.redact.n_fields, 8);
	assert_int_equal(cfg.output.facility, 10);
	assert_string_equal(cfg.output.tls_min_version, "1.2");
	assert_int_equal(cfg.output.n_collectors, 0);
	assert_null(cfg.output.ca_dir);
	assert_int_equal(cfg.limits.in_flight, 4096);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	config_done(&cfg);
}

static enum redact_action field_action(const struct config *cfg, const char *field)
{
	for (size_t i = 0; i < cfg->redact.n_fields; i++)
		if (strcmp(cfg->redact.fields[i].field, field) == 0)
			return cfg->redact.fields[i].action;
	return REDACT__MAX;
}

static void test_defaults(void **state)
{
	static const char *const weak[] = {"DES",	  "3DES",	  "MD5",       "SHA1",
					   "HMAC_MD5_96", "HMAC_SHA1_96", "HMAC_SHA1", "MODP768",
					   "MODP1024",	  "MODP1536",	  "NULL"};
	struct config cfg;

	config_defaults(&cfg);
	assert_int_equal(cfg.source.type, SOURCE_JOURNAL);
	assert_false(cfg.source.keep_debug_lines);
	assert_int_equal(cfg.source.journal.match.n, 1);
	assert_string_equal(cfg.source.journal.match.v[0], "SYSLOG_IDENTIFIER=pluto");
	assert_int_equal(cfg.source.journal.files.n, 0);
	assert_int_equal(cfg.source.journal.start, START_TAIL);
	assert_string_equal(cfg.source.file.path, "/var/log/pluto.log");
	assert_int_equal(cfg.source.syslog.listen.n, 1);
	assert_string_equal(cfg.source.syslog.listen.v[0], "tls://0.0.0.0:6514");
	assert_true(cfg.source.syslog.require_client_cert);
	assert_string_equal(cfg.source.syslog.app_name, "pluto");
	assert_int_equal(cfg.source.syslog.max_connections, 1000);
	assert_int_equal(cfg.source.syslog.max_frame_bytes, 65536);
	assert_int_equal(cfg.source.syslog.idle_timeout_s, 300);
	assert_string_equal(cfg.state_file, "/var/lib/ikelogd/position");
	assert_int_equal(cfg.state_fallback, START_TAIL);
	assert_int_equal(cfg.commit_every, 256);
	assert_int_equal(cfg.commit_interval_ms, 1000);
	assert_int_equal(cfg.rules.n, 2);
	assert_string_equal(cfg.rules.v[0], DATADIR "/ikelogd/rules/libreswan.yaml");
	assert_string_equal(cfg.rules.v[1], DATADIR "/ikelogd/rules/libreswan-inventory.yaml");
	assert_int_equal(cfg.weak_crypto.n, 11);
	for (size_t i = 0; i < 11; i++)
		assert_string_equal(cfg.weak_crypto.v[i], weak[i]);
	assert_string_equal(cfg.redact.key_file, SYSCONFDIR "/ikelogd/pseudonym.key");
	assert_true(cfg.redact.generate_key);
	assert_int_equal(cfg.redact.key_generation, 1);
	assert_int_equal(cfg.redact.mask_ipv4_prefix, 24);
	assert_int_equal(cfg.redact.mask_ipv6_prefix, 48);
	assert_int_equal(cfg.redact.n_fields, 8);
	assert_int_equal(field_action(&cfg, "peer_id"), REDACT_HASH);
	assert_int_equal(field_action(&cfg, "local_id"), REDACT_HASH);
	assert_int_equal(field_action(&cfg, "initiator_id"), REDACT_HASH);
	assert_int_equal(field_action(&cfg, "responder_id"), REDACT_HASH);
	assert_int_equal(field_action(&cfg, "cert_subject"), REDACT_HASH);
	assert_int_equal(field_action(&cfg, "username"), REDACT_HASH);
	assert_int_equal(field_action(&cfg, "message"), REDACT_DROP);
	assert_int_equal(cfg.output.type, OUTPUT_SYSLOG_TLS);
	assert_int_equal(cfg.output.n_collectors, 0);
	assert_string_equal(cfg.output.tls_min_version, "1.2");
	assert_int_equal(cfg.output.facility, 10);
	assert_int_equal(cfg.output.enterprise_number, 32473);
	assert_int_equal(cfg.output.max_message_bytes, 65536);
	assert_int_equal(cfg.output.connect_timeout_ms, 5000);
	assert_int_equal(cfg.output.handshake_timeout_ms, 10000);
	assert_int_equal(cfg.output.write_timeout_ms, 30000);
	assert_int_equal(cfg.output.backoff_min_ms, 500);
	assert_int_equal(cfg.output.backoff_max_ms, 30000);
	assert_int_equal(cfg.output.failback_interval_s, 60);
	assert_false(cfg.output.allow_plaintext);
	assert_null(cfg.output.hostname);
	assert_int_equal(cfg.limits.max_line_bytes, 65536);
	assert_int_equal(cfg.limits.in_flight, 4096);
	assert_int_equal(cfg.limits.max_ike_sas, 65536);
	assert_true(cfg.correlate.carry);
	assert_true(cfg.correlate.merge);
	assert_int_equal(cfg.limits.drain_timeout_ms, 5000);
	assert_int_equal(cfg.stats.interval_s, 60);
	assert_null(cfg.stats.prometheus_file);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	config_done(&cfg);
	config_done(&cfg); /* harmless twice */
	config_done(NULL);
}

static void test_valid_full(void **state)
{
	struct config cfg;
	struct diags d = {0};
	int r;

	config_defaults(&cfg);
	r = config_load(FIX "valid-full.yaml", &cfg, &d);
	print_diags(&d);
	assert_int_equal(r, 0);
	assert_int_equal(cfg.source.type, SOURCE_FILE);
	assert_true(cfg.source.keep_debug_lines);
	assert_int_equal(cfg.source.journal.match.n, 2);
	assert_string_equal(cfg.source.journal.match.v[1], "_SYSTEMD_UNIT=ipsec.service");
	assert_string_equal(cfg.source.journal.files.v[0], "/var/log/journal/remote");
	assert_int_equal(cfg.source.journal.start, START_HEAD);
	assert_string_equal(cfg.source.file.path, "/var/log/pluto-gw1.log");
	assert_int_equal(cfg.source.file.start, START_HEAD);
	assert_int_equal(cfg.source.syslog.listen.n, 2);
	assert_string_equal(cfg.source.syslog.listen.v[1], "udp://[::1]:1514");
	assert_false(cfg.source.syslog.require_client_cert);
	assert_string_equal(cfg.source.syslog.app_name, "ipsec");
	assert_string_equal(cfg.state_file, "/tmp/ikelogd-position");
	assert_int_equal(cfg.state_fallback, START_HEAD);
	assert_int_equal(cfg.commit_every, 1);
	assert_int_equal(cfg.commit_interval_ms, 3600000);
	/* A list given replaces the default one. */
	assert_int_equal(cfg.rules.n, 2);
	assert_string_equal(cfg.rules.v[1], "/opt/rules/b c.yaml");
	assert_int_equal(cfg.weak_crypto.n, 2);
	assert_string_equal(cfg.weak_crypto.v[0], "NULL");
	assert_false(cfg.redact.generate_key);
	assert_int_equal(cfg.redact.key_generation, 7);
	assert_int_equal(cfg.redact.mask_ipv4_prefix, 16);
	assert_int_equal(cfg.redact.mask_ipv6_prefix, 64);
	/* redact.fields merges: one field changed, one added, the rest kept. */
	assert_int_equal(cfg.redact.n_fields, 9);
	assert_int_equal(field_action(&cfg, "peer_id"), REDACT_KEEP);
	assert_int_equal(field_action(&cfg, "peer_ip"), REDACT_MASK);
	assert_int_equal(field_action(&cfg, "username"), REDACT_HASH);
	assert_int_equal(cfg.output.type, OUTPUT_SYSLOG_TCP);
	assert_true(cfg.output.allow_plaintext);
	assert_int_equal(cfg.output.n_collectors, 2);
	assert_string_equal(cfg.output.collectors[0].host, "collector1.example.net");
	assert_int_equal(cfg.output.collectors[0].port, 10514);
	assert_string_equal(cfg.output.collectors[1].host, "192.0.2.10");
	assert_int_equal(cfg.output.collectors[1].port, 6514);
	assert_null(cfg.output.ca_file); /* "" unsets */
	assert_string_equal(cfg.output.server_name, "siem.example.net");
	assert_string_equal(cfg.output.tls_min_version, "1.3");
	assert_int_equal(cfg.output.facility, 19);
	assert_int_equal(cfg.output.enterprise_number, 4294967295u);
	assert_null(cfg.output.hostname);
	assert_int_equal(cfg.limits.max_line_bytes, 256);
	assert_int_equal(cfg.limits.in_flight, 1000000);
	assert_int_equal(cfg.limits.max_ike_sas, 1);
	assert_int_equal(cfg.limits.drain_timeout_ms, 0);
	assert_int_equal(cfg.stats.interval_s, 0);
	assert_string_equal(cfg.stats.prometheus_file, "/run/ikelogd.prom");
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	config_done(&cfg);
}

/* Loads a fixture that must fail with exactly one error. */
static void expect_one(const char *file, unsigned line, unsigned col, const char *want)
{
	struct config cfg;
	struct diags d = {0};

	config_defaults(&cfg);
	assert_int_equal(config_load(file, &cfg, &d), -EINVAL);
	assert_diag(&d, 0, file, line, col, want);
	if (d.n != 1)
		print_diags(&d);
	assert_int_equal(d.n, 1);
	config_done(&cfg);
}

static void test_unknown_key(void **state)
{
	expect_one(FIX "unknown-key.yaml", 7, 5, "unknown key 'source.journal.matchs'");
}

static void test_wrong_type(void **state)
{
	expect_one(FIX "wrong-type.yaml", 5, 14,
		   "limits.in_flight: expected an unsigned integer, got a list");
}

static void test_out_of_range(void **state)
{
	expect_one(FIX "out-of-range.yaml", 4, 19,
		   "limits.max_line_bytes: 16777217 is out of range (256..16777216)");
}

static void test_unknown_enum(void **state)
{
	expect_one(FIX "unknown-enum.yaml", 4, 9,
		   "source.type: unknown value 'journald', expected one of: journal, file, "
		   "syslog, stdin");
}

static void test_list_too_long(void **state)
{
	/* Reported at the 17th item: line 20, after "  - ". */
	expect_one(FIX "list-too-long.yaml", 20, 5, "rules: more than 16 items (17)");
}

static void test_syntax_error(void **state)
{
	/* libyaml stops at the second colon of "  type: file: journal". */
	expect_one(FIX "syntax-error.yaml", 4, 13,
		   "YAML syntax error: mapping values are not allowed in this context");
}

static void test_two_errors(void **state)
{
	struct config cfg;
	struct diags d = {0};
	const char *file = FIX "two-errors.yaml";

	config_defaults(&cfg);
	assert_int_equal(config_load(file, &cfg, &d), -EINVAL);
	assert_int_equal(d.n, 2);
	assert_diag(&d, 0, file, 5, 3, "unknown key 'output.colector'");
	assert_diag(&d, 1, file, 7, 14,
		    "limits.in_flight: expected an unsigned integer, got 'many'");
	/* What was valid is kept, what was not stays at its default. */
	assert_int_equal(cfg.output.type, OUTPUT_STDOUT);
	assert_int_equal(cfg.limits.in_flight, 4096);
	config_done(&cfg);
}

static void test_load_over_loaded(void **state)
{
	struct config cfg;
	struct diags d = {0};

	/* A second file over a loaded config replaces lists and strings it names. */
	config_defaults(&cfg);
	assert_int_equal(config_load(FIX "valid-full.yaml", &cfg, &d), 0);
	assert_int_equal(config_load("conf/ikelogd.yaml", &cfg, &d), 0);
	assert_string_equal(cfg.path, "conf/ikelogd.yaml");
	assert_int_equal(cfg.rules.n, 2);
	assert_int_equal(cfg.weak_crypto.n, 11);
	assert_int_equal(cfg.limits.in_flight, 4096);
	assert_string_equal(cfg.output.ca_file, "/etc/ikelogd/ca.pem");
	/* Not named in the shipped file: kept from the first one. */
	assert_int_equal(cfg.output.n_collectors, 2);
	assert_int_equal(d.n, 0);
	config_done(&cfg);
}

static void test_missing_file(void **state)
{
	struct config cfg;
	struct diags d = {0};
	const char *file = FIX "does-not-exist.yaml";

	config_defaults(&cfg);
	assert_int_equal(config_load(file, &cfg, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, file);
	assert_int_equal(d.v[0].line, 0);
	assert_non_null(strstr(d.v[0].msg, "No such file or directory"));
	/* Still the defaults, and still to be freed. */
	assert_int_equal(cfg.limits.in_flight, 4096);
	config_done(&cfg);
}

static void test_directory_and_big_file(void **state)
{
	struct config cfg;
	struct diags d = {0};
	size_t big = 1024 * 1024 + 1;
	char *text = malloc(big);
	const char *path;

	config_defaults(&cfg);
	assert_int_equal(config_load(FIX, &cfg, &d), -EISDIR);
	assert_int_equal(d.n, 1);
	config_done(&cfg);

	assert_non_null(text);
	memset(text, '#', big);
	path = write_tmp("big.yaml", text, big);
	d = (struct diags){0};
	config_defaults(&cfg);
	assert_int_equal(config_load(path, &cfg, &d), -EFBIG);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "larger than 1048576 bytes"));
	config_done(&cfg);
	free(text);
}

/* Writes text as a file, loads it and returns the result; d gets the diags. */
static int load_text(const char *text, struct config *cfg, struct diags *d)
{
	const char *path = write_tmp("t.yaml", text, strlen(text));

	*d = (struct diags){0};
	config_defaults(cfg);
	return config_load(path, cfg, d);
}

static void expect_text_error(const char *text, unsigned line, unsigned col, const char *want)
{
	char path[512];
	struct config cfg;
	struct diags d;

	snprintf(path, sizeof(path), "%s/t.yaml", tmpdir);
	assert_int_equal(load_text(text, &cfg, &d), -EINVAL);
	assert_diag(&d, 0, path, line, col, want);
	assert_int_equal(d.n, 1);
	config_done(&cfg);
}

/* Every unsigned key, its section and range, written from the documentation. */
static const struct range_case {
	const char *section; /* NULL: a top-level key */
	const char *name;
	unsigned min, max;
	size_t offset;
} range_cases[] = {
    {"source:\n  syslog", "max_connections", 1, 100000,
     offsetof(struct config, source.syslog.max_connections)},
    {"source:\n  syslog", "max_frame_bytes", 256, 16777216,
     offsetof(struct config, source.syslog.max_frame_bytes)},
    {"source:\n  syslog", "idle_timeout_s", 1, 86400,
     offsetof(struct config, source.syslog.idle_timeout_s)},
    {NULL, "commit_every", 1, 1000000, offsetof(struct config, commit_every)},
    {NULL, "commit_interval_ms", 10, 3600000, offsetof(struct config, commit_interval_ms)},
    {"redact", "key_generation", 1, 65535, offsetof(struct config, redact.key_generation)},
    {"redact", "mask_ipv4_prefix", 0, 32, offsetof(struct config, redact.mask_ipv4_prefix)},
    {"redact", "mask_ipv6_prefix", 0, 128, offsetof(struct config, redact.mask_ipv6_prefix)},
    {"output", "enterprise_number", 1, 4294967295u,
     offsetof(struct config, output.enterprise_number)},
    {"output", "max_message_bytes", 1024, 16777216,
     offsetof(struct config, output.max_message_bytes)},
    {"output", "connect_timeout_ms", 100, 600000,
     offsetof(struct config, output.connect_timeout_ms)},
    {"output", "handshake_timeout_ms", 100, 600000,
     offsetof(struct config, output.handshake_timeout_ms)},
    {"output", "write_timeout_ms", 100, 600000, offsetof(struct config, output.write_timeout_ms)},
    {"output", "failback_interval_s", 1, 86400,
     offsetof(struct config, output.failback_interval_s)},
    {"limits", "max_line_bytes", 256, 16777216, offsetof(struct config, limits.max_line_bytes)},
    {"limits", "max_match_bytes", 256, 1048576, offsetof(struct config, limits.max_match_bytes)},
    {"limits", "in_flight", 1, 1000000, offsetof(struct config, limits.in_flight)},
    {"limits", "max_ike_sas", 1, 16777216, offsetof(struct config, limits.max_ike_sas)},
    {"limits", "drain_timeout_ms", 0, 600000, offsetof(struct config, limits.drain_timeout_ms)},
    {"stats", "interval_s", 0, 86400, offsetof(struct config, stats.interval_s)},
};

/* "section:\n  name: value\n"; the value's line and column, by construction. */
static void range_text(const struct range_case *c, unsigned long long v, char *buf, size_t size,
		       unsigned *line, unsigned *col)
{
	const char *sub;

	if (!c->section) {
		snprintf(buf, size, "%s: %llu\n", c->name, v);
		*line = 1;
		*col = (unsigned)strlen(c->name) + 3;
		return;
	}
	sub = strchr(c->section, '\n');
	snprintf(buf, size, "%s:\n%s  %s: %llu\n", c->section, sub ? "  " : "", c->name, v);
	*line = sub ? 3 : 2;
	*col = (unsigned)strlen(c->name) + (sub ? 7 : 5);
}

static void test_range_limits(void **state)
{
	for (size_t i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
		const struct range_case *c = &range_cases[i];
		unsigned long long good[] = {c->min, c->max};
		unsigned long long bad[] = {(unsigned long long)c->min - 1,
					    (unsigned long long)c->max + 1};
		char text[256], want[128];
		struct config cfg;
		struct diags d;
		unsigned line, col;

		for (size_t j = 0; j < 2; j++) {
			range_text(c, good[j], text, sizeof(text), &line, &col);
			if (load_text(text, &cfg, &d) != 0) {
				fprintf(stderr, "should load:\n%s", text);
				print_diags(&d);
				fail();
			}
			assert_int_equal(*(unsigned *)((char *)&cfg + c->offset), good[j]);
			config_done(&cfg);
		}
		for (size_t j = 0; j < 2; j++) {
			if (j == 0 && c->min == 0)
				continue; /* -1 is tested below as a sign */
			range_text(c, bad[j], text, sizeof(text), &line, &col);
			snprintf(want, sizeof(want), "%s: %llu is out of range (%u..%u)", c->name,
				 bad[j], c->min, c->max);
			expect_text_error(text, line, col, want);
		}
	}
	expect_text_error("limits:\n  drain_timeout_ms: -1\n", 2, 21,
			  "limits.drain_timeout_ms: -1 is out of range (0..600000)");
	expect_text_error("limits:\n  in_flight: 99999999999999999999\n", 2, 14,
			  "limits.in_flight: 99999999999999999999 is out of range (1..1000000)");
	expect_text_error("limits:\n  in_flight: 0x10\n", 2, 14,
			  "limits.in_flight: expected an unsigned integer, got '0x10'");
}

static void test_lists(void **state)
{
	struct config cfg;
	struct diags d;
	char text[2048];
	size_t len;

	/* Exactly 16 items is allowed. */
	len = (size_t)snprintf(text, sizeof(text), "weak_crypto:\n");
	for (int i = 0; i < 16; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "  - ALG%d\n", i);
	assert_int_equal(load_text(text, &cfg, &d), 0);
	assert_int_equal(cfg.weak_crypto.n, 16);
	assert_string_equal(cfg.weak_crypto.v[15], "ALG15");
	config_done(&cfg);

	/* 17 in flow style: reported at the 17th item, column 2 + 16 * 3 + 1. */
	expect_text_error("rules: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n", 1, 57,
			  "rules: more than 16 items (17)");
	/* An empty list empties the default. */
	assert_int_equal(load_text("source:\n  journal:\n    match: []\n", &cfg, &d), 0);
	assert_int_equal(cfg.source.journal.match.n, 0);
	config_done(&cfg);
	/* A scalar is not a list, a mapping is not an item. */
	expect_text_error("rules: /etc/r.yaml\n", 1, 8,
			  "rules: expected a list of strings, got a scalar");
	expect_text_error("rules:\n  - a\n  - {b: c}\n", 3, 5,
			  "rules[1]: expected a string, got a mapping");
	/* Collectors: at most 8, each with a host and a port in range. */
	expect_text_error("output:\n  collectors: [{host: a}, {host: b}, {host: c}, {host: d}, "
			  "{host: e}, {host: f}, {host: g}, {host: h}, {host: i}]\n",
			  2, 104, "output.collectors: more than 8 items (9)");
	expect_text_error("output:\n  collectors:\n    - port: 6514\n", 3, 7,
			  "output.collectors[0]: missing host");
	expect_text_error("output:\n  collectors:\n    - host: a\n      port: 0\n", 4, 13,
			  "output.collectors[0].port: 0 is out of range (1..65535)");
}

static void test_enums_and_bools(void **state)
{
	struct config cfg;
	struct diags d;

	assert_int_equal(load_text("output:\n  facility: kern\n", &cfg, &d), 0);
	assert_int_equal(cfg.output.facility, 0);
	config_done(&cfg);
	assert_int_equal(load_text("output:\n  facility: local7\n", &cfg, &d), 0);
	assert_int_equal(cfg.output.facility, 23);
	config_done(&cfg);
	expect_text_error("output:\n  facility: local8\n", 2, 13,
			  "output.facility: unknown value 'local8', expected one of: kern, user");
	expect_text_error("log_level: verbose\n", 1, 12,
			  "log_level: unknown value 'verbose', expected one of: err, warning, "
			  "notice, info, debug");
	expect_text_error("output:\n  type: syslog\n", 2, 9,
			  "expected one of: syslog-tls, stdout, file, syslog-tcp");
	expect_text_error("state_fallback: middle\n", 1, 17,
			  "state_fallback: unknown value 'middle', expected one of: tail, head");
	expect_text_error("redact:\n  fields:\n    peer_ip: encrypt\n", 3, 14,
			  "redact.fields.peer_ip: unknown value 'encrypt', expected one of: keep, "
			  "mask, hash, drop");
	expect_text_error("output:\n  tls_min_version: \"1.1\"\n", 2, 20,
			  "output.tls_min_version: unknown value '1.1'");
	assert_int_equal(load_text("source:\n  keep_debug_lines: TRUE\n", &cfg, &d), 0);
	assert_true(cfg.source.keep_debug_lines);
	config_done(&cfg);
	expect_text_error("source:\n  keep_debug_lines: 1\n", 2, 21,
			  "source.keep_debug_lines: expected true or false, got '1'");
}

static void test_structure_errors(void **state)
{
	struct config cfg;
	struct diags d;

	expect_text_error("limits:\n  in_flight: 10\nlimits:\n  in_flight: 20\n", 3, 1,
			  "duplicate key 'limits'");
	expect_text_error("limits.in_flight: 10\n", 1, 1, "unknown key 'limits.in_flight'");
	expect_text_error("redact:\n  fields:\n    peer_ip: mask\n    peer_ip: keep\n", 4, 5,
			  "duplicate key 'redact.fields.peer_ip'");
	expect_text_error("limits: 10\n", 1, 9, "limits: expected a mapping, got a scalar");
	expect_text_error("- a\n- b\n", 1, 1, "expected a mapping of keys at the top, got a list");
	expect_text_error("log_level: info\n---\nlog_level: debug\n", 2, 1,
			  "a second YAML document");
	expect_text_error("source:\n  file:\n    path: \"a\\0b\"\n", 3, 11,
			  "source.file.path: the string contains a NUL byte");
	expect_text_error("output:\n  type: syslog-tcp\n", 2, 9,
			  "output.type: syslog-tcp sends events in clear text");
	expect_text_error(
	    "output:\n  backoff_min_ms: 5000\n  backoff_max_ms: 1000\n", 3, 19,
	    "output.backoff_min_ms (5000) is greater than output.backoff_max_ms (1000)");
	/* Signing fails closed: no state file, or a key that never changes. */
	expect_text_error("sign:\n  enabled: true\n  state_file: \"\"\n", 3, 15,
			  "sign.state_file: signing needs a state file");
	expect_text_error("sign:\n  enabled: true\n  epoch_events: 0\n  epoch_seconds: 0\n", 4, 18,
			  "sign.epoch_events and sign.epoch_seconds are both 0");
	expect_text_error("sign:\n  epoch_seconds: -1\n", 2, 18,
			  "sign.epoch_seconds: -1 is out of range (0..31536000)");
	/* Limits on the shape: nesting, keys per mapping; bytes libyaml refuses. */
	expect_text_error("rules: [[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]\n", 1, 23,
			  "nested deeper than 16 levels");
	expect_text_error("log_level: info\n\xff\n", 2, 1,
			  "YAML error: invalid leading UTF-8 octet (byte 16)");
	/* Comments only, or nothing: the defaults. */
	assert_int_equal(load_text("# nothing here\n", &cfg, &d), 0);
	assert_int_equal(cfg.limits.in_flight, 4096);
	config_done(&cfg);
	assert_int_equal(load_text("", &cfg, &d), 0);
	config_done(&cfg);
}

static void test_too_many_keys(void **state)
{
	char text[8192];
	size_t len = 0;
	struct config cfg;
	struct diags d;

	for (int i = 0; i < 257; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "k%d: 1\n", i);
	assert_int_equal(load_text(text, &cfg, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 1);
	assert_int_equal(d.v[0].col, 1);
	assert_string_equal(d.v[0].msg, "more than 256 keys (257)");
	config_done(&cfg);
}

static void test_many_errors_counted(void **state)
{
	char text[4096];
	size_t len = 0;
	struct config cfg;
	struct diags d;

	for (int i = 0; i < 70; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "bogus%d: 1\n", i);
	assert_int_equal(load_text(text, &cfg, &d), -EINVAL);
	assert_int_equal(d.n, DIAG_MAX);
	assert_int_equal(d.n_dropped, 70 - DIAG_MAX);
	assert_int_equal(d.v[63].line, 64);
	config_done(&cfg);
}

static void count_key(const char *key, void *userdata)
{
	size_t *n = userdata;

	(*n)++;
	assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz", key[0]));
}

/* What `ikelogd check` warns about: a syslog source trusting HOSTNAME, max_connections past nofile.
 */
static void test_warnings(void **state)
{
	struct config cfg;
	struct diags d, w;

	/* not a syslog source: nothing */
	assert_int_equal(load_text("source: { type: stdin }\n", &cfg, &d), 0);
	w = (struct diags){0};
	assert_int_equal(config_warnings(&cfg, 1024, &w), 0);
	config_done(&cfg);

	assert_int_equal(
	    load_text("source:\n  type: syslog\n  syslog:\n    listen: [tls://127.0.0.1:6514]\n"
		      "    max_connections: 4096\n",
		      &cfg, &d),
	    0);
	w = (struct diags){0};
	assert_int_equal(config_warnings(&cfg, 8192, &w), 1);
	assert_non_null(strstr(w.v[0].msg, "host_from_cert is off"));
	/* the unit's 4096 descriptors: 4096 connections do not fit beside ikelogd's own files */
	w = (struct diags){0};
	assert_int_equal(config_warnings(&cfg, 4096, &w), 2);
	assert_non_null(strstr(w.v[1].msg,
			       "max_connections 4096 is more than the descriptor limit "
			       "4096 allows (64 kept for ikelogd's own files): at most 4032"));
	/* on, TLS only, certificates required: nothing to say */
	cfg.source.syslog.host_from_cert = true;
	w = (struct diags){0};
	assert_int_equal(config_warnings(&cfg, 4096 + 64, &w), 0);
	/* on, but without client certificates: everything would be refused */
	cfg.source.syslog.require_client_cert = false;
	w = (struct diags){0};
	assert_int_equal(config_warnings(&cfg, 1 << 20, &w), 1);
	assert_non_null(strstr(w.v[0].msg, "will all be refused"));
	config_done(&cfg);
}

static void test_foreach_key_and_names(void **state)
{
	size_t n = 0;

	config_foreach_key(count_key, &n);
	/* As many keys as conf/ikelogd.yaml and ikelogd.yaml(5) describe. */
	assert_int_equal(n, 113); /* 68, 11 status.*, 5 enrich.*, output.profile, 4 limits/correlate, 24 detect.* */
	assert_string_equal(source_type_name(SOURCE_STDIN), "stdin");
	assert_null(source_type_name(SOURCE__MAX));
	assert_string_equal(output_type_name(OUTPUT_SYSLOG_TLS), "syslog-tls");
	assert_string_equal(redact_action_name(REDACT_MASK), "mask");
	assert_null(redact_action_name(REDACT__MAX));
}

/*
 * Every key is in the shipped file, set or (where its default is empty)
 * commented out: its last name, indented two spaces per level, after an
 * optional "# ".
 */
static void key_in_shipped_file(const char *key, void *userdata)
{
	const char *text = userdata, *leaf = strrchr(key, '.');
	unsigned depth = 0;
	char want[160], want_commented[160];

	for (const char *p = key; *p; p++)
		depth += *p == '.';
	leaf = leaf ? leaf + 1 : key;
	snprintf(want, sizeof(want), "\n%*s%s:", (int)(2 * depth), "", leaf);
	snprintf(want_commented, sizeof(want_commented), "\n%*s# %s:", (int)(2 * depth), "", leaf);
	if (!strstr(text, want) && !strstr(text, want_commented)) {
		fprintf(stderr, "conf/ikelogd.yaml does not show %s\n", key);
		fail();
	}
}

static void test_shipped_file_shows_every_key(void **state)
{
	static char text[256 * 1024];
	FILE *f = fopen("conf/ikelogd.yaml", "r");
	size_t n;

	assert_non_null(f);
	text[0] = '\n';
	n = fread(text + 1, 1, sizeof(text) - 2, f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(text) - 2);
	text[n + 1] = '\0';
	config_foreach_key(key_in_shipped_file, text);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * detections (detect.c): the loader's defaults are the engine's own
 * (detect_options_defaults, used where there is no config), and the
 * issue's: more than 5 authentication failures in 5 minutes.
 */
static void test_detect_defaults(void **state)
{
	struct config cfg;
	struct detect_options c, e;

	config_defaults(&cfg);
	config_detect_options(&cfg, &c);
	detect_options_defaults(&e);
	assert_true(c.enabled && e.enabled);
	assert_int_equal(c.auth_failure_burst.threshold, 5);
	assert_int_equal(c.auth_failure_burst.window_s, 300);
	assert_false(c.delete_without_notify);
	assert_int_equal(c.n_weak, e.n_weak);
	for (size_t i = 0; i < c.n_weak; i++)
		assert_string_equal(c.weak[i], e.weak[i]);
	/* field by field: padding is not compared */
	assert_int_equal(c.max_keys, e.max_keys);
	assert_int_equal(c.suppress_s, e.suppress_s);
	assert_int_equal(c.cleared, e.cleared);
	const struct detect_window *cw[] = {&c.auth_failure_burst, &c.identity_spray,
					    &c.half_open_flood,	   &c.rekey_storm,
					    &c.short_lifetime,	   &c.address_flap};
	const struct detect_window *ew[] = {&e.auth_failure_burst, &e.identity_spray,
					    &e.half_open_flood,	   &e.rekey_storm,
					    &e.short_lifetime,	   &e.address_flap};
	for (size_t i = 0; i < sizeof(cw) / sizeof(cw[0]); i++) {
		assert_int_equal(cw[i]->threshold, ew[i]->threshold);
		assert_int_equal(cw[i]->window_s, ew[i]->window_s);
	}
	assert_int_equal(c.half_open_distinct_ips, e.half_open_distinct_ips);
	assert_int_equal(c.half_open_timeout_s, e.half_open_timeout_s);
	assert_int_equal(c.short_lifetime_min_age_s, e.short_lifetime_min_age_s);
	assert_int_equal(c.weak_crypto, e.weak_crypto);
	assert_int_equal(c.crypto_change, e.crypto_change);
	assert_int_equal(c.delete_without_notify, e.delete_without_notify);
	assert_int_equal(c.cert_problem, e.cert_problem);
	config_done(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_file_loads_clean),
	    cmocka_unit_test(test_shipped_file_shows_every_key),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_detect_defaults),
	    cmocka_unit_test(test_valid_full),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_wrong_type),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_unknown_enum),
	    cmocka_unit_test(test_list_too_long),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_two_errors),
	    cmocka_unit_test(test_load_over_loaded),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_directory_and_big_file),
	    cmocka_unit_test(test_range_limits),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_enums_and_bools),
	    cmocka_unit_test(test_structure_errors),
	    cmocka_unit_test(test_too_many_keys),
	    cmocka_unit_test(test_many_errors_counted),
	    cmocka_unit_test(test_foreach_key_and_names),
	    cmocka_unit_test(test_warnings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
