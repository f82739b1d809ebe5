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
#include <json-c/json.h>

#include "diag.h"
#include "enrich.h"
#include "enrich_impl.h"
#include "event.h"
#include "redact.h"
#include "rules.h"
#include "rules_impl.h"

/*
 * The enrichment stage: labels and address maps rendered as JSON objects,
 * longest-prefix lookups for IPv4 and IPv6, the refusals of bad maps with
 * their FILE:LINE, and the error meanings against the rule table's
 * vocabulary. GeoIP needs a database built at test time:
 * tests/integration/enrich.sh.
 */

#define MEANINGS "conf/rules/error-codes.yaml"

static struct enrich_pair pair(const char *k, const char *v, unsigned line)
{
	return (struct enrich_pair){(char *)k, (char *)v, line};
}

/* Renders ev and returns the parsed JSON (caller puts it). */
static struct json_object *render(const struct event *ev)
{
	struct event_json *w;
	const char *js;
	size_t len;
	struct json_object *o;

	assert_int_equal(event_json_new(&w), 0);
	assert_int_equal(event_json_render(w, ev, &js, &len), 0);
	o = json_tokener_parse(js);
	assert_non_null(o);
	event_json_free(w);
	return o;
}

static const char *get(struct json_object *o, const char *obj, const char *key)
{
	struct json_object *sub, *v;

	if (!json_object_object_get_ex(o, obj, &sub))
		return NULL;
	if (!key)
		return json_object_to_json_string_ext(sub, JSON_C_TO_STRING_PLAIN);
	if (!json_object_object_get_ex(sub, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void event_with(struct event *ev, const char *peer, const char *local)
{
	event_reset(ev);
	event_set_str(ev, F_EVENT_TYPE, "ike_init", 8);
	if (peer)
		assert_int_equal(event_set_text(ev, F_PEER_IP, peer, strlen(peer)), 0);
	if (local)
		assert_int_equal(event_set_text(ev, F_LOCAL_IP, local, strlen(local)), 0);
}

static void test_labels_and_maps(void **state)
{
	struct enrich_pair labels[] = {pair("site", "fra1", 3),
				       pair("environment", "prod \"a\"", 4)};
	struct enrich_pair region[] = {
	    pair("10.0.0.0/8", "internal", 7),	       pair("10.1.0.0/16", "lab", 8),
	    pair("0.0.0.0/0", "internet", 9),	       pair("2001:db8::/32", "doc-v6", 10),
	    pair("2001:db8:1::/48", "doc-v6-one", 11),
	};
	struct enrich_pair partner[] = {pair("192.0.2.0/24", "partner-a", 14),
					pair("192.0.2.45", "partner-a-gw", 15)};
	struct enrich_map_opts maps[] = {
	    {.name = "region", .entries = region, .n_entries = 5, .line = 6},
	    {.name = "partner", .entries = partner, .n_entries = 2, .line = 13},
	};
	struct enrich_opts o = {
	    .config_path = "t.yaml", .labels = labels, .n_labels = 2, .maps = maps, .n_maps = 2};
	struct diags errs = {0};
	struct enrich *e;
	struct event ev;
	struct json_object *j;
	static const struct {
		const char *peer, *region, *partner;
	} cases[] = {
	    {"10.1.2.3", "lab", NULL},
	    {"10.2.0.1", "internal", NULL},
	    {"192.0.2.45", "internet", "partner-a-gw"},
	    {"192.0.2.46", "internet", "partner-a"},
	    {"2001:db8:1::9", "doc-v6-one", NULL},
	    {"2001:db8:2::9", "doc-v6", NULL},
	    {"2001:db9::1", NULL, NULL},
	};

	(void)state;
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		event_with(&ev, cases[i].peer, "10.1.0.1");
		assert_int_equal(enrich_event(e, &ev), 0);
		j = render(&ev);
		assert_string_equal(get(j, "labels", "site"), "fra1");
		assert_string_equal(get(j, "labels", "environment"), "prod \"a\"");
		if (cases[i].region)
			assert_string_equal(get(j, "peer_net", "region"), cases[i].region);
		else
			assert_null(get(j, "peer_net", "region"));
		if (cases[i].partner)
			assert_string_equal(get(j, "peer_net", "partner"), cases[i].partner);
		else
			assert_null(get(j, "peer_net", "partner"));
		assert_string_equal(get(j, "local_net", "region"), "lab");
		json_object_put(j);
	}
	/* The local address's labels follow the address when it changes (they are cached). */
	event_with(&ev, NULL, "192.0.2.45");
	assert_int_equal(enrich_event(e, &ev), 0);
	j = render(&ev);
	assert_string_equal(get(j, "local_net", "region"), "internet");
	assert_string_equal(get(j, "local_net", "partner"), "partner-a-gw");
	json_object_put(j);
	event_with(&ev, NULL, "2001:db9::1");
	assert_int_equal(enrich_event(e, &ev), 0);
	j = render(&ev);
	assert_null(get(j, "local_net", NULL));
	json_object_put(j);
	event_with(&ev, NULL, "10.1.0.1");
	assert_int_equal(enrich_event(e, &ev), 0);
	j = render(&ev);
	assert_string_equal(get(j, "local_net", "region"), "lab");
	assert_null(get(j, "local_net", "partner"));
	json_object_put(j);
	/* No address, no map labels; the labels still. */
	event_with(&ev, NULL, NULL);
	assert_int_equal(enrich_event(e, &ev), 0);
	j = render(&ev);
	assert_null(get(j, "peer_net", NULL));
	assert_null(get(j, "local_net", NULL));
	assert_string_equal(get(j, "labels", "site"), "fra1");
	json_object_put(j);
	event_done(&ev);
	enrich_free(e);
}

/* new() must fail and its diags hold every fragment, in order. */
static void refused(const struct enrich_opts *o, const char *const *want)
{
	struct diags errs = {0};
	struct enrich *e = NULL;
	char buf[DIAG_MSG_MAX + 300], all[4096] = "";

	assert_int_equal(enrich_new(o, &e, &errs), -EINVAL);
	assert_null(e);
	for (size_t i = 0; i < errs.n; i++) {
		strncat(all, diag_format(&errs.v[i], buf, sizeof(buf)),
			sizeof(all) - strlen(all) - 2);
		strcat(all, "\n");
	}
	for (size_t i = 0; want[i]; i++)
		if (!strstr(all, want[i])) {
			fprintf(stderr, "missing '%s' in:\n%s", want[i], all);
			fail();
		}
}

static void test_bad_maps(void **state)
{
	struct enrich_pair twice[] = {pair("10.0.0.0/8", "a", 5), pair("10.0.0.0/8", "b", 6)};
	struct enrich_pair bits[] = {pair("10.1.2.3/8", "a", 7)};
	struct enrich_pair junk[] = {pair("10.0.0.256/8", "a", 8), pair("::1/129", "b", 9),
				     pair("10.0.0.0/", "c", 10)};
	struct enrich_map_opts m1 = {.name = "r", .entries = twice, .n_entries = 2};
	struct enrich_map_opts m2 = {.name = "r", .entries = bits, .n_entries = 1};
	struct enrich_map_opts m3 = {.name = "r", .entries = junk, .n_entries = 3};
	struct enrich_opts o = {.config_path = "t.yaml", .maps = &m1, .n_maps = 1};
	char path[] = "/tmp/ikelogd-cidr.XXXXXX";
	int fd;
	FILE *f;

	(void)state;
	refused(&o, (const char *[]){"t.yaml:6:", "'10.0.0.0/8' has two labels", NULL});
	o.maps = &m2;
	refused(&o, (const char *[]){"t.yaml:7:", "address bits set past the prefix length", NULL});
	o.maps = &m3;
	refused(&o, (const char *[]){"t.yaml:8:", "not an address",
				     "t.yaml:9:", "prefix length over 128",
				     "t.yaml:10:", "not a prefix length", NULL});
	/* A map file: comments and blanks skipped; errors at its own lines. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "# regions\n\n10.0.0.0/8 internal  # ok\n10.0.0.0/8 other\n192.0.2.0/24\n");
	fclose(f);
	struct enrich_map_opts mf = {.name = "r", .file = path};
	char l4[64], l5[64];

	snprintf(l4, sizeof(l4), "%s:4:", path);
	snprintf(l5, sizeof(l5), "%s:5:", path);
	o.maps = &mf;
	refused(&o, (const char *[]){l4, "has two labels", l5, "has no label", NULL});
	unlink(path);
	mf.file = "/nonexistent/map";
	refused(&o, (const char *[]){"/nonexistent/map", "No such file", NULL});
	/* A missing database is refused with its path. */
	o = (struct enrich_opts){.config_path = "t.yaml", .country_db = "/nonexistent/c.mmdb"};
	refused(&o, (const char *[]){"/nonexistent/c.mmdb", "GeoIP database", NULL});
	/* A file that is no MaxMind DB. */
	o.country_db = MEANINGS;
	refused(&o, (const char *[]){MEANINGS, "GeoIP database", NULL});
}

/* Every error_code the rules can emit has a meaning, and every meaning is such a code. */
static void test_meanings_cover_vocabulary(void **state)
{
	const char *files[] = {"conf/rules/libreswan.yaml"};
	struct enrich_opts o = {.error_meanings = MEANINGS};
	struct diags errs = {0};
	struct rules *r;
	struct enrich *e;

	(void)state;
	assert_int_equal(rules_load(files, 1, &r, &errs), 0);
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	assert_true(r->n_codes > 100);
	assert_int_equal(enrich_n_meanings(e), r->n_codes);
	for (size_t i = 0; i < r->n_codes; i++) {
		const struct enrich_meaning *m =
		    enrich_meaning(e, r->codes[i], strlen(r->codes[i]));

		if (!m) {
			fprintf(stderr, "no meaning for %s\n", r->codes[i]);
			fail();
		}
		assert_string_equal(m->code, r->codes[i]);
		assert_true(strlen(m->description) > 10);
	}
	/* Prefixes and longer names are not matches. */
	assert_null(enrich_meaning(e, "AUTHENTICATION", 14));
	assert_null(enrich_meaning(e, "AUTHENTICATION_FAILEDX", 22));
	enrich_free(e);
	rules_free(r);
}

static void test_meaning_on_events(void **state)
{
	struct enrich_opts o = {.error_meanings = MEANINGS};
	struct diags errs = {0};
	struct enrich *e;
	struct event ev;

	(void)state;
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	/* A failure: RFC 7296's words, a cause, and the table's severity. */
	event_reset(&ev);
	event_set_str(&ev, F_RESULT, "failure", 7);
	event_set_str(&ev, F_SEVERITY, "err", 3);
	event_set_str(&ev, F_ERROR_CODE, "TS_UNACCEPTABLE", 15);
	assert_int_equal(enrich_event(e, &ev), 0);
	assert_non_null(strstr(event_str(&ev, F_ERROR_DESCRIPTION, NULL), "traffic selectors"));
	assert_non_null(strstr(event_str(&ev, F_PROBABLE_CAUSE, NULL), "subnets"));
	assert_string_equal(event_str(&ev, F_SEVERITY, NULL), "warning");
	/* A repeat of a failure (result info) keeps its severity. */
	event_reset(&ev);
	event_set_str(&ev, F_RESULT, "info", 4);
	event_set_str(&ev, F_SEVERITY, "info", 4);
	event_set_str(&ev, F_ERROR_CODE, "AUTHENTICATION_FAILED", 21);
	assert_int_equal(enrich_event(e, &ev), 0);
	assert_non_null(event_str(&ev, F_PROBABLE_CAUSE, NULL));
	assert_string_equal(event_str(&ev, F_SEVERITY, NULL), "info");
	/* A status notify has no cause. */
	event_reset(&ev);
	event_set_str(&ev, F_RESULT, "info", 4);
	event_set_str(&ev, F_SEVERITY, "info", 4);
	event_set_str(&ev, F_ERROR_CODE, "INITIAL_CONTACT", 15);
	assert_int_equal(enrich_event(e, &ev), 0);
	assert_non_null(event_str(&ev, F_ERROR_DESCRIPTION, NULL));
	assert_null(event_str(&ev, F_PROBABLE_CAUSE, NULL));
	assert_string_equal(event_str(&ev, F_SEVERITY, NULL), "info");
	/* An unknown code: nothing added. */
	event_reset(&ev);
	event_set_str(&ev, F_ERROR_CODE, "NOT_A_CODE", 10);
	assert_int_equal(enrich_event(e, &ev), 0);
	assert_false(event_has(&ev, F_ERROR_DESCRIPTION));
	event_done(&ev);
	enrich_free(e);
}

/* Map values: the setters refuse what JSON could not hold as one object. */
static void test_map_values(void **state)
{
	struct event ev;

	(void)state;
	assert_int_equal(event_init(&ev, 1024), 0);
	assert_int_equal(event_set_str(&ev, F_LABELS,
				       "a\x1f"
				       "1\x1e"
				       "b\x1f"
				       "2",
				       7),
			 0);
	assert_int_equal(event_set_str(&ev, F_LABELS,
				       "a\x1f"
				       "1\x1e"
				       "a\x1f"
				       "2",
				       7),
			 -EINVAL);
	assert_int_equal(event_set_str(&ev, F_LABELS,
				       "a b\x1f"
				       "1",
				       5),
			 -EINVAL);
	assert_int_equal(event_set_str(&ev, F_LABELS,
				       "a\0b\x1f"
				       "1",
				       5),
			 -EINVAL);
	assert_int_equal(event_set_str(&ev, F_LABELS, "no-split", 8), -EINVAL);
	assert_int_equal(event_set_text(&ev, F_LABELS,
					"\x1f"
					"1",
					2),
			 -EINVAL);
	/* A pair ends the text with its separator; an empty pair after it does not. */
	assert_int_equal(event_set_str(&ev, F_LABELS,
				       "a\x1f"
				       "1\x1e",
				       4),
			 0);
	assert_int_equal(event_set_str(&ev, F_LABELS,
				       "a\x1f"
				       "1\x1e\x1e",
				       5),
			 -EINVAL);
	event_done(&ev);
}

/* Labels with a key twice (the config loader refuses them) never reach an event. */
static void test_labels_refused(void **state)
{
	struct enrich_pair labels[] = {pair("site", "fra1", 3), pair("site", "ams2", 4)};
	struct enrich_pair doc[] = {pair("192.0.2.0/24", "doc", 5)};
	struct enrich_map_opts map = {.name = "net", .entries = doc, .n_entries = 1};
	struct enrich_opts o = {.config_path = "t.yaml", .labels = labels, .n_labels = 2};
	struct diags errs = {0};
	struct enrich *e;
	struct event ev;

	(void)state;
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	event_with(&ev, "192.0.2.1", NULL);
	enrich_event(e, &ev);
	assert_false(event_has(&ev, F_LABELS));
	enrich_free(e);
	/* With a map the peer's fields are prepared: the labels stay out of them. */
	o.maps = &map;
	o.n_maps = 1;
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	for (int i = 0; i < 2; i++) {
		event_with(&ev, "192.0.2.1", NULL);
		enrich_event(e, &ev);
		assert_false(event_has(&ev, F_LABELS));
		assert_string_equal(event_str(&ev, F_PEER_NET, NULL), "net\x1f" "doc");
	}
	event_done(&ev);
	enrich_free(e);
}

/* Keys k0..k(n-1), with key `again` written as key `as` (-1: none), into buf. */
static size_t many_keys(char *buf, size_t size, int n, int again, int as)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%sk%d\x1fv", i ? "\x1e" : "",
					i == again ? as : i);
	return len;
}

/* A repeated key is refused wherever it stands, among few keys or many (past 16). */
static void test_map_many_keys(void **state)
{
	struct event ev;
	char buf[512];
	size_t len;

	(void)state;
	assert_int_equal(event_init(&ev, 4096), 0);
	len = many_keys(buf, sizeof(buf), 30, -1, -1);
	assert_int_equal(event_set_str(&ev, F_LABELS, buf, len), 0);
	len = many_keys(buf, sizeof(buf), 30, 5, 2);
	assert_int_equal(event_set_str(&ev, F_LABELS, buf, len), -EINVAL);
	len = many_keys(buf, sizeof(buf), 30, 20, 3);
	assert_int_equal(event_set_str(&ev, F_LABELS, buf, len), -EINVAL);
	len = many_keys(buf, sizeof(buf), 30, 29, 18);
	assert_int_equal(event_set_str(&ev, F_LABELS, buf, len), -EINVAL);
	event_done(&ev);
}

/*
 * The GeoIP values come from the database, not the line: the free-text
 * scrub leaves them alone (a secret pattern that matches them still
 * cleans the reason), and their policy entry still applies.
 */
static void test_geo_values_not_scrubbed(void **state)
{
	struct redactor_options o = {.config_path = "t.yaml",
				     .secret_patterns = {"Org [0-9]+|\\bDE\\b"},
				     .n_secret_patterns = 1};
	struct diags errs = {0};
	struct redactor *red;
	struct event ev;

	(void)state;
	assert_int_equal(redactor_new(&o, NULL, &red, &errs), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	event_with(&ev, "192.0.2.1", NULL);
	assert_int_equal(event_set_str(&ev, F_PEER_AS_ORG, "Org 7", 5), 0);
	assert_int_equal(event_set_str(&ev, F_PEER_GEO_COUNTRY, "DE", 2), 0);
	assert_int_equal(event_set_str(&ev, F_REASON, "peer Org 7 in DE", 16), 0);
	assert_int_equal(redact_event(red, &ev), 0);
	assert_string_equal(event_str(&ev, F_PEER_AS_ORG, NULL), "Org 7");
	assert_string_equal(event_str(&ev, F_PEER_GEO_COUNTRY, NULL), "DE");
	assert_string_equal(event_str(&ev, F_REASON, NULL), "peer [redacted] in [redacted]");
	redactor_free(red);

	o.fields[0] = (struct redact_field_option){.field = "peer_as_org", .action = REDACT_DROP};
	o.n_fields = 1;
	assert_int_equal(redactor_new(&o, NULL, &red, &errs), 0);
	assert_int_equal(event_set_str(&ev, F_PEER_AS_ORG, "Org 7", 5), 0);
	assert_int_equal(redact_event(red, &ev), 0);
	assert_false(event_has(&ev, F_PEER_AS_ORG));
	assert_string_equal(event_str(&ev, F_PEER_GEO_COUNTRY, NULL), "DE");
	redactor_free(red);
	event_done(&ev);
}

/*
 * Prefixes nested within one step of the lookup (four bits) and across
 * steps, a host route, and the default route: the longest wins.
 */
static void test_nested_prefixes(void **state)
{
	struct enrich_pair net[] = {
	    pair("198.51.100.0/22", "wide", 1),	  pair("198.51.100.0/23", "mid", 2),
	    pair("198.51.100.0/24", "narrow", 3), pair("198.51.100.128/25", "half", 4),
	    pair("198.51.100.200/32", "host", 5), pair("::/0", "v6-any", 6),
	    pair("2001:db8::/29", "v6-29", 7),	  pair("2001:db8::/31", "v6-31", 8),
	};
	struct enrich_map_opts maps[] = {
	    {.name = "net", .entries = net, .n_entries = 8, .line = 1}};
	struct enrich_opts o = {.config_path = "t.yaml", .maps = maps, .n_maps = 1};
	static const struct {
		const char *peer, *label;
	} cases[] = {
	    {"198.51.100.7", "narrow"},	   {"198.51.100.130", "half"}, {"198.51.100.200", "host"},
	    {"198.51.100.201", "half"},	   {"198.51.101.7", "mid"},    {"198.51.102.7", "wide"},
	    {"198.51.103.255", "wide"},	   {"198.51.104.1", NULL},     {"198.51.99.255", NULL},
	    {"2001:db8::1", "v6-31"},	   {"2001:db9::1", "v6-31"},   {"2001:dba::1", "v6-29"},
	    {"2001:dbf:ffff::1", "v6-29"}, {"2001:dc0::1", "v6-any"},  {"::1", "v6-any"},
	};
	struct diags errs = {0};
	struct enrich *e;
	struct event ev;
	struct json_object *j;

	(void)state;
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		event_with(&ev, cases[i].peer, NULL);
		assert_int_equal(enrich_event(e, &ev), 0);
		j = render(&ev);
		if (cases[i].label)
			assert_string_equal(get(j, "peer_net", "net"), cases[i].label);
		else
			assert_null(get(j, "peer_net", NULL));
		json_object_put(j);
	}
	event_done(&ev);
	enrich_free(e);
}

/*
 * A peer's map pairs are known valid from the checks at load: two maps of
 * one name, or a label with a pair separator (what the config loader
 * refuses), give no peer_net; a good label of the same map still does.
 */
static void test_map_pairs_refused(void **state)
{
	struct enrich_pair a[] = {pair("10.0.0.0/8", "a", 1)};
	struct enrich_pair b[] = {pair("10.0.0.0/8", "b", 2)};
	struct enrich_pair bad[] = {pair("10.0.0.0/8", "bad\x1elabel", 3),
				    pair("192.0.2.0/24", "good", 4)};
	struct enrich_map_opts twice[] = {{.name = "net", .entries = a, .n_entries = 1},
					  {.name = "net", .entries = b, .n_entries = 1}};
	struct enrich_map_opts one[] = {{.name = "net", .entries = bad, .n_entries = 2}};
	struct enrich_opts o = {.config_path = "t.yaml", .maps = twice, .n_maps = 2};
	struct diags errs = {0};
	struct enrich *e;
	struct event ev;
	struct json_object *j;

	(void)state;
	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	event_with(&ev, "10.1.2.3", NULL);
	enrich_event(e, &ev);
	assert_false(event_has(&ev, F_PEER_NET));
	enrich_free(e);

	o.maps = one;
	o.n_maps = 1;
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	event_with(&ev, "10.1.2.3", NULL);
	enrich_event(e, &ev);
	assert_false(event_has(&ev, F_PEER_NET));
	event_with(&ev, "192.0.2.7", NULL);
	assert_int_equal(enrich_event(e, &ev), 0);
	j = render(&ev);
	assert_string_equal(get(j, "peer_net", "net"), "good");
	json_object_put(j);
	enrich_free(e);
	event_done(&ev);
}

/* One event of the block test: which fields are set, and to what. */
struct blk_case {
	const char *rule, *host, *labels, *net, *country, *org, *desc;
	int64_t asn;
	bool schema;
};

static void blk_event(struct event *ev, const struct blk_case *c)
{
	event_reset(ev);
	if (c->schema) {
		assert_int_equal(event_set_int(ev, F_SCHEMA_VERSION, 1), 0);
		assert_int_equal(event_set_str(ev, F_EVENT_TYPE, "ike_init", 8), 0);
	}
#define SET(f, v)                                                                                  \
	if (v)                                                                                     \
	assert_int_equal(event_set_str(ev, f, v, strlen(v)), 0)
	SET(F_PLATFORM_HOST, c->host);
	SET(F_RULE, c->rule);
	SET(F_LABELS, c->labels);
	SET(F_PEER_NET, c->net);
	SET(F_PEER_GEO_COUNTRY, c->country);
	SET(F_PEER_AS_ORG, c->org);
	SET(F_ERROR_DESCRIPTION, c->desc);
#undef SET
	if (c->asn)
		assert_int_equal(event_set_int(ev, F_PEER_AS_NUMBER, c->asn), 0);
}

/*
 * The writer copies the enrichment's JSON while its values are the same:
 * one writer over a run of events writes what a new writer writes for each,
 * whatever changes between them (a value, a number of the same width, a
 * field gone) and wherever the block stands (after a nested object, first,
 * last, followed by a field).
 */
static void test_block_written_as_new(void **state)
{
	static const struct blk_case cases[] = {
	    {"r1", "gw", "site\037fra1", "pool\037p1", "FR", "Org 1", "desc", 64501, true},
	    {"r2", "gw", "site\037fra1", "pool\037p1", "FR", "Org 1", NULL, 64501, true},
	    {"r2", "gw", "site\037fra1", "pool\037p1", "FR", "Org 2", NULL, 64501, true},
	    {"r2", "gw", "site\037fra1", "pool\037p1", "FR", "Org 2", NULL, 64502, true},
	    {"r2", "gw", "site\037fra1", "pool\037p1", NULL, "Org 2", NULL, 64502, true},
	    {"r2", "gw", "site\037fra1", "pool\037p2", NULL, "Org 2", "d", 64502, true},
	    {NULL, "gw", "site\037fra1", "pool\037p2", NULL, "Org 2", "d", 64502, true},
	    {NULL, "gw", "site\037fra1", "pool\037p2", NULL, "Org 2", "d", 64502, true},
	    {"r2", "gw", "site\037fra1", "pool\037p2", NULL, "Org 2", "d", 64502, true},
	    {"r3", NULL, NULL, NULL, NULL, "Org 2", "d", 64502, true},
	    {"r3", NULL, NULL, NULL, NULL, "Org 2", NULL, 64502, true},
	    {"r3", NULL, NULL, NULL, NULL, "Org 2", NULL, 64502, true},
	    {NULL, NULL, "site\037fra1", NULL, "DE", NULL, NULL, 0, false},
	    {NULL, NULL, "site\037fra1", NULL, "DE", NULL, NULL, 0, false},
	    {NULL, NULL, "site\037fra1", NULL, "DE", NULL, NULL, 0, true},
	    {"r4", NULL, "site\037ams", NULL, "DE", NULL, NULL, 0, true},
	    {"r4", NULL, "site\037ams", NULL, "DE", NULL, NULL, 0, true},
	};
	struct event_json *kept, *fresh;
	struct event ev;
	const char *js, *want;
	size_t len, want_len;

	(void)state;
	assert_int_equal(event_init(&ev, 4096), 0);
	assert_int_equal(event_json_new(&kept), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		blk_event(&ev, &cases[i]);
		assert_int_equal(event_json_new(&fresh), 0);
		assert_int_equal(event_json_render(fresh, &ev, &want, &want_len), 0);
		assert_int_equal(event_json_render(kept, &ev, &js, &len), 0);
		if (len != want_len || memcmp(js, want, len) != 0)
			fail_msg("event %zu:\n kept  %s\n fresh %s", i, js, want);
		event_json_free(fresh);
	}
	/* The values are the cases': one rendering spelled out. */
	blk_event(&ev, &cases[3]);
	assert_int_equal(event_json_render(kept, &ev, &js, &len), 0);
	assert_non_null(
	    strstr(js, "\"rule\":\"r2\",\"labels\":{\"site\":\"fra1\"},"
		       "\"peer_net\":{\"pool\":\"p1\"},\"peer_geo\":{\"country_iso\":\"FR\"},"
		       "\"peer_as\":{\"number\":64502,\"org\":\"Org 2\"}}"));
	event_json_free(kept);
	event_done(&ev);
}

/*
 * Peers seen before are answered from the table of peer addresses, with
 * their own labels: two peers alternating (the single peer cache misses
 * every time), then more addresses than the table holds, twice over, so
 * that entries are replaced and found again.
 */
static void test_peer_table(void **state)
{
	struct enrich_pair net[] = {pair("10.0.0.0/8", "ten", 1),
				    pair("10.128.0.0/9", "ten-high", 2),
				    pair("2001:db8::/32", "doc", 3)};
	struct enrich_map_opts maps[] = {
	    {.name = "net", .entries = net, .n_entries = 3, .line = 1}};
	struct enrich_opts o = {.config_path = "t.yaml", .maps = maps, .n_maps = 1};
	static const struct {
		const char *peer, *label;
	} alt[] = {
	    {"10.1.2.3", "ten"}, {"10.200.0.1", "ten-high"}, {"192.0.2.1", NULL},
	    {"10.1.2.3", "ten"}, {"2001:db8::1", "doc"},     {"10.200.0.1", "ten-high"},
	    {"192.0.2.1", NULL}, {"2001:db8::1", "doc"},
	};
	struct diags errs = {0};
	struct enrich_stats st;
	struct enrich *e;
	struct event ev;
	char addr[32];
	size_t len;
	const char *v;

	(void)state;
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	for (size_t i = 0; i < sizeof(alt) / sizeof(alt[0]); i++) {
		event_with(&ev, alt[i].peer, NULL);
		assert_int_equal(enrich_event(e, &ev), 0);
		v = event_str(&ev, F_PEER_NET, &len);
		if (!alt[i].label) {
			assert_null(v);
			continue;
		}
		assert_non_null(v);
		assert_int_equal(len, 4 + strlen(alt[i].label));
		assert_memory_equal(v, "net\x1f", 4);
		assert_memory_equal(v + 4, alt[i].label, len - 4);
	}
	/* The second half: four addresses seen before. */
	enrich_get_stats(e, &st);
	assert_int_equal(st.peer_hits, 4);
	/* 40,000 addresses, 10.0.0.0 + 4k and 10.128.0.0 + 4k + 1, twice: each with its label. */
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned k = 0; k < 40000; k++) {
			unsigned n = 4 * k + (k % 2 ? 1 + (128u << 16) : 0);

			snprintf(addr, sizeof(addr), "10.%u.%u.%u", n >> 16 & 255, n >> 8 & 255,
				 n & 255);
			event_with(&ev, addr, NULL);
			assert_int_equal(enrich_event(e, &ev), 0);
			v = event_str(&ev, F_PEER_NET, &len);
			assert_non_null(v);
			if (strcmp(v, k % 2 ? "net\037ten-high" : "net\037ten") != 0)
				fail_msg("%s: %s", addr, v);
		}
	enrich_get_stats(e, &st);
	/* Some of the second pass found, not all: the table holds fewer than 40,000. */
	assert_true(st.peer_hits > 4 + 10000);
	assert_true(st.peer_hits < 4 + 40000);
	event_done(&ev);
	enrich_free(e);
}

/*
 * The table's entries by address, family and the databases' generation: a
 * reopened database makes an entry stale, which is filled again in its
 * place; the same four bytes as IPv6 are another address.
 */
static void test_peer_table_generation(void **state)
{
	unsigned char a[16] = {192, 0, 2, 1}, b[16] = {192, 0, 2, 2};
	struct peer_table t;
	struct peer_entry *p, *q;
	bool found;

	(void)state;
	assert_int_equal(peer_table_init(&t, 3), 0);
	p = peer_table_get(&t, a, false, 7, &found);
	assert_false(found);
	p->asn = 64500;
	peer_table_labels(&t, p)[2] = 5;
	q = peer_table_get(&t, a, false, 7, &found);
	assert_true(found);
	assert_ptr_equal(q, p);
	assert_int_equal(q->asn, 64500);
	assert_int_equal(peer_table_labels(&t, q)[2], 5);
	/* In the same set: the family tells them apart. */
	q = peer_table_get(&t, a, true, 7, &found);
	assert_false(found);
	assert_ptr_not_equal(q, p);
	q = peer_table_get(&t, b, false, 7, &found);
	assert_false(found);
	assert_ptr_not_equal(q, p);
	q = peer_table_get(&t, a, false, 8, &found);
	assert_false(found);
	assert_ptr_equal(q, p);
	q = peer_table_get(&t, a, false, 8, &found);
	assert_true(found);
	assert_ptr_equal(q, p);
	peer_table_free(&t);
}

/* Peer addresses read as inet_pton reads them: what it refuses gets no labels. */
static void test_peer_addresses(void **state)
{
	struct enrich_pair net[] = {pair("0.0.0.0/0", "any", 1), pair("10.1.0.0/16", "lab", 2),
				    pair("::/0", "any6", 3)};
	struct enrich_map_opts maps[] = {
	    {.name = "net", .entries = net, .n_entries = 3, .line = 1}};
	struct enrich_opts o = {.config_path = "t.yaml", .maps = maps, .n_maps = 1};
	static const struct {
		const char *peer, *label;
	} cases[] = {
	    {"10.1.2.3", "lab"},  {"0.0.0.0", "any"},	 {"255.255.255.255", "any"},
	    {"10.1.0.0", "lab"},  {"10.2.250.9", "any"}, {"::ffff:10.1.2.3", "any6"},
	    {"10.01.2.3", NULL},  {"256.1.1.1", NULL},	 {"10.1.2", NULL},
	    {"10.1.2.3.4", NULL}, {"10..2.3", NULL},	 {"10.1.2.3 ", NULL},
	    {"1000.1.2.3", NULL}, {".10.1.2.3", NULL},	 {"10.1.2.3.", NULL},
	};
	struct diags errs = {0};
	struct enrich *e;
	struct event ev;

	(void)state;
	assert_int_equal(enrich_new(&o, &e, &errs), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		event_reset(&ev);
		/* Set as text: event_set_text would refuse what is no address. */
		assert_int_equal(
		    event_set_str(&ev, F_PEER_IP, cases[i].peer, strlen(cases[i].peer)), 0);
		assert_int_equal(enrich_event(e, &ev), 0);
		if (cases[i].label) {
			struct json_object *j = render(&ev);

			assert_string_equal(get(j, "peer_net", "net"), cases[i].label);
			json_object_put(j);
		} else if (event_has(&ev, F_PEER_NET)) {
			fail_msg("%s: labelled", cases[i].peer);
		}
	}
	event_done(&ev);
	enrich_free(e);
}

/*
 * Prepared values (a peer's fields, set with one copy): checked as the
 * setters check them, set all together, and none when the arena is full.
 */
static void test_prepared_values(void **state)
{
	struct event_prep p;
	struct event ev;
	char text[64], small[8];
	static const char reason[] = "01234567890123456789012345678901234567890123456789";
	size_t len;
	const char *v;

	(void)state;
	assert_int_equal(event_init(&ev, 64), 0);
	event_prep_init(&p, text, sizeof(text));
	assert_int_equal(event_prep_str(&p, F_LABELS, "site\x1f" "a\x1esite\x1f" "b", 13), -EINVAL);
	assert_int_equal(event_prep_str(&p, F_LABELS, "site\x1f" "fra1", 9), 0);
	assert_int_equal(event_prep_str(&p, F_PEER_GEO_COUNTRY, "DE", 2), 0);
	assert_int_equal(event_prep_int(&p, F_PEER_AS_NUMBER, 64512), 0);
	assert_int_equal(event_prep_str(&p, F__MAX, "x", 1), -EINVAL);
	/* Nothing set before: the values start where the arena's text does. */
	assert_int_equal(event_set_str(&ev, F_EVENT_TYPE, "ike_init", 8), 0);
	assert_int_equal(event_set_prepared(&ev, &p), 0);
	v = event_str(&ev, F_LABELS, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(v, "site\x1f" "fra1", 10);
	v = event_str(&ev, F_PEER_GEO_COUNTRY, &len);
	assert_int_equal(len, 2);
	assert_string_equal(v, "DE");
	assert_string_equal(event_str(&ev, F_PEER_AS_NUMBER, NULL), "64512");
	assert_int_equal(event_int(&ev, F_PEER_AS_NUMBER, 0), 64512);
	assert_string_equal(event_str(&ev, F_EVENT_TYPE, NULL), "ike_init");
	/*
	 * The prepared text is 10 + 3 + 6 bytes: the arena (64 bytes) holds a
	 * value of 26 (+ NUL) and it once, not twice; after one of 50 (+ NUL),
	 * none of them is set.
	 */
	event_reset(&ev);
	assert_int_equal(event_set_str(&ev, F_EVENT_TYPE, "ike_init_and_then_some_more", 26), 0);
	assert_int_equal(event_set_prepared(&ev, &p), 0);
	assert_int_equal(event_set_prepared(&ev, &p), -ENOSPC);
	assert_string_equal(event_str(&ev, F_PEER_GEO_COUNTRY, NULL), "DE");
	event_reset(&ev);
	assert_int_equal(event_set_str(&ev, F_REASON, reason, 50), 0);
	assert_int_equal(event_set_prepared(&ev, &p), -ENOSPC);
	assert_false(event_has(&ev, F_LABELS));
	assert_false(event_has(&ev, F_PEER_GEO_COUNTRY));
	assert_false(event_has(&ev, F_PEER_AS_NUMBER));
	/* A value that does not fit the prepared text leaves it as it was. */
	event_prep_init(&p, small, sizeof(small));
	assert_int_equal(event_prep_str(&p, F_PEER_GEO_COUNTRY, "DE", 2), 0);
	assert_int_equal(event_prep_str(&p, F_PEER_AS_ORG, "Org 12", 6), -ENOSPC);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.text_len, 3);
	event_done(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_labels_and_maps),
	    cmocka_unit_test(test_prepared_values),
	    cmocka_unit_test(test_nested_prefixes),
	    cmocka_unit_test(test_map_pairs_refused),
	    cmocka_unit_test(test_block_written_as_new),
	    cmocka_unit_test(test_peer_addresses),
	    cmocka_unit_test(test_peer_table),
	    cmocka_unit_test(test_peer_table_generation),
	    cmocka_unit_test(test_bad_maps),
	    cmocka_unit_test(test_meanings_cover_vocabulary),
	    cmocka_unit_test(test_meaning_on_events),
	    cmocka_unit_test(test_map_values),
	    cmocka_unit_test(test_map_many_keys),
	    cmocka_unit_test(test_labels_refused),
	    cmocka_unit_test(test_geo_values_not_scrubbed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
