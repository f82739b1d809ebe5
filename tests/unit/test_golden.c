/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden tests of the whole normalizer: each fixtures/golden/<case>.log (real
 * pluto lines, from the corpus) goes through `ikelogd normalize -c
 * fixtures/golden/golden.yaml` (rules, correlation, redaction, encoding: what
 * a collector receives), and each printed event is checked against the
 * expectation on the same line of <case>.json:
 *
 *   {"expect": {...}, "why": {...}, "absent": [...],
 *    "ike_sa_group": "A", "previous_ike_sa_group": "B"}
 *
 * Every field of "expect" (dotted names for nested fields: "transform.encr")
 * must equal the event's; fields the event has beyond them are not looked
 * at, so a new output field never touches a golden file. Every name in
 * "absent" must be missing from the event.
 *
 * The expectations are stated from the line, not from ikelogd's output, and
 * the test holds them to it before running anything: each expected field
 * has a "why" quoting the words that give it, either from its own line or,
 * as "line N: words", from an earlier line N of the same IKE SA (same
 * ike_sa_group); the words must occur verbatim in that line, and a value
 * copied from the line must occur in the words (expect_text_gives(): values
 * pluto spells otherwise, such as authby=secret for psk, have their source
 * words in the table of src/expect_text.c). test_checker_rejects feeds the
 * checker broken expectations and asserts it refuses each.
 *
 * Correlation is checked through the labels: events with the same
 * ike_sa_group must share one ike_sa_id, different labels must have
 * different ids, and an event without a label must have no ike_sa_id. An
 * IKE SA rekey's previous_ike_sa_group names the group whose id its
 * previous_ike_sa_id must be; other events must have no previous_ike_sa_id.
 *
 * One outcome per exchange: "outcome_line": N says that line N (an earlier
 * line of the same ike_sa_group) claimed the outcome this line is about, so
 * the event's outcome_event_id must be line N's event_id; an event without
 * outcome_line must have no outcome_event_id.
 *
 * Run from the repository root (make does); IKELOGD overrides the binary.
 */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "expect_text.h"

#define GOLDEN_DIR    "fixtures/golden"
#define GOLDEN_CONFIG GOLDEN_DIR "/golden.yaml"
#define MAX_EVENTS    512
#define MAX_GROUPS    32
#define ERR_MAX	      1024

/* Fields that vary between runs and hosts: never expected, correlation has its labels. */
static const char *const unstatable[] = {
    "event_id", "timestamp", "ike_sa_id", "previous_ike_sa_id", "platform.host", "outcome_event_id",
};

struct events {
	struct json_object *v[MAX_EVENTS];
	size_t n;
};

static void events_done(struct events *e)
{
	for (size_t i = 0; i < e->n; i++)
		json_object_put(e->v[i]);
	e->n = 0;
}

/* Parses one JSON object per non-empty line of f into e; fails the test on anything else. */
static void read_events(FILE *f, const char *what, struct events *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) > 0) {
		struct json_object *o;

		if (len == 1 && line[0] == '\n')
			continue;
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object))
			fail_msg("%s: event %zu is not a JSON object: %s", what, e->n + 1, line);
		if (e->n == MAX_EVENTS)
			fail_msg("%s: more than %d events", what, MAX_EVENTS);
		e->v[e->n++] = o;
	}
	free(line);
}

struct lines {
	char *v[MAX_EVENTS];
	size_t n;
};

static void lines_done(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* Reads the lines of path (newline removed) into l. */
static void read_lines(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (l->n == MAX_EVENTS)
			fail_msg("%s: more than %d lines", path, MAX_EVENTS);
		l->v[l->n++] = strdup(line);
	}
	free(line);
	fclose(f);
}

static const char *ikelogd_path(void)
{
	const char *p = getenv("IKELOGD");

	return p && *p ? p : "build/ikelogd";
}

static const char *label_of(struct json_object *exp, const char *key)
{
	struct json_object *l;

	if (!json_object_object_get_ex(exp, key, &l) || !json_object_is_type(l, json_type_string))
		return NULL;
	return json_object_get_string(l);
}

/* ---- the checker: an expectation states what its line says ---- */

/* The value as text for expect_text_gives(): strings as they are, numbers in decimal. */
static int value_text(struct json_object *v, char *buf, size_t size)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		snprintf(buf, size, "%s", json_object_get_string(v));
		return 0;
	case json_type_int:
		snprintf(buf, size, "%" PRId64, json_object_get_int64(v));
		return 0;
	case json_type_boolean:
		snprintf(buf, size, "%s", json_object_get_boolean(v) ? "true" : "false");
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Resolves a why: "line N: words" cites line N (1-based, earlier than this
 * one, of the same ike_sa_group), anything else quotes this line. Sets the
 * cited line and the quoted words; returns 0 or -EINVAL with err set.
 */
static int resolve_why(const char *why, size_t n, const struct lines *log,
		       struct json_object *const *exps, const char **ret_line,
		       const char **ret_quote, char *err, size_t errsize)
{
	unsigned long cited;
	int used = 0;

	*ret_line = log->v[n];
	*ret_quote = why;
	if (sscanf(why, "line %lu: %n", &cited, &used) != 1 || used == 0)
		return 0;
	if (cited == 0 || cited > n) {
		snprintf(err, errsize, "cites line %lu, not an earlier line", cited);
		return -EINVAL;
	}
	const char *here = label_of(exps[n], "ike_sa_group");
	const char *there = label_of(exps[cited - 1], "ike_sa_group");

	if (!here || !there || strcmp(here, there) != 0) {
		snprintf(err, errsize,
			 "cites line %lu, not of the same IKE SA (ike_sa_group %s, %s)", cited,
			 here ? here : "none", there ? there : "none");
		return -EINVAL;
	}
	*ret_line = log->v[cited - 1];
	*ret_quote = why + used;
	return 0;
}

/* One expected field: its why exists, is in the cited line, and gives the value. */
static int check_field(const char *key, struct json_object *val, struct json_object *whys, size_t n,
		       const struct lines *log, struct json_object *const *exps, char *err,
		       size_t errsize)
{
	struct json_object *w;
	const char *line, *quote;
	char text[512];
	size_t nv = 1;

	for (size_t i = 0; i < sizeof(unstatable) / sizeof(unstatable[0]); i++)
		if (strcmp(key, unstatable[i]) == 0) {
			snprintf(err, errsize, "%s varies between runs: not an expectation", key);
			return -EINVAL;
		}
	if (expect_text_exempt(key) < 0) {
		snprintf(err, errsize, "%s: unknown field (nested fields take dotted names)", key);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(whys, key, &w) ||
	    !json_object_is_type(w, json_type_string) || !*json_object_get_string(w)) {
		snprintf(err, errsize, "%s: no why", key);
		return -EINVAL;
	}
	if (resolve_why(json_object_get_string(w), n, log, exps, &line, &quote, err, errsize) < 0)
		return -EINVAL;
	if (!*quote || !strstr(line, quote)) {
		snprintf(err, errsize, "%s: why \"%s\" is not in the line", key, quote);
		return -EINVAL;
	}
	if (json_object_is_type(val, json_type_array))
		nv = json_object_array_length(val);
	for (size_t i = 0; i < nv; i++) {
		struct json_object *v = json_object_is_type(val, json_type_array)
					    ? json_object_array_get_idx(val, i)
					    : val;

		if (value_text(v, text, sizeof(text)) < 0) {
			snprintf(err, errsize, "%s: value is not a string, number or boolean", key);
			return -EINVAL;
		}
		if (expect_text_gives(key, text, quote) < 0) {
			snprintf(err, errsize, "%s: '%s' is not in the words \"%s\"", key, text,
				 quote);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The whole expectation n (0-based) of a case: its shape, event_type and
 * result stated, a why for every expected field and no other, absent names
 * known and not expected. Returns 0 or -EINVAL with err set.
 */
static int check_expectation(size_t n, const struct lines *log, struct json_object *const *exps,
			     char *err, size_t errsize)
{
	struct json_object *o = exps[n], *expect = NULL, *whys = NULL, *absent = NULL;

	json_object_object_foreach(o, top, tv)
	{
		if (strcmp(top, "expect") == 0 && json_object_is_type(tv, json_type_object))
			expect = tv;
		else if (strcmp(top, "why") == 0 && json_object_is_type(tv, json_type_object))
			whys = tv;
		else if (strcmp(top, "absent") == 0 && json_object_is_type(tv, json_type_array))
			absent = tv;
		else if ((strcmp(top, "ike_sa_group") == 0 ||
			  strcmp(top, "previous_ike_sa_group") == 0) &&
			 json_object_is_type(tv, json_type_string))
			continue;
		else if (strcmp(top, "outcome_line") == 0 &&
			 json_object_is_type(tv, json_type_int)) {
			int64_t m = json_object_get_int64(tv);
			const char *here = label_of(o, "ike_sa_group");
			const char *there =
			    m >= 1 && (size_t)m <= n ? label_of(exps[m - 1], "ike_sa_group") : NULL;

			if (!here || !there || strcmp(here, there) != 0) {
				snprintf(err, errsize,
					 "outcome_line %" PRId64
					 " is not an earlier line of the same IKE SA",
					 m);
				return -EINVAL;
			}
		} else {
			snprintf(err, errsize, "unexpected member \"%s\"", top);
			return -EINVAL;
		}
	}
	if (!expect || !whys) {
		snprintf(err, errsize, "no expect or no why object");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(expect, "event_type", NULL) ||
	    !json_object_object_get_ex(expect, "result", NULL)) {
		snprintf(err, errsize, "expect must state event_type and result");
		return -EINVAL;
	}
	json_object_object_foreach(expect, key, val)
	{
		if (check_field(key, val, whys, n, log, exps, err, errsize) < 0)
			return -EINVAL;
	}
	json_object_object_foreach(whys, wkey, wval)
	{
		(void)wval;
		if (!json_object_object_get_ex(expect, wkey, NULL)) {
			snprintf(err, errsize, "why for %s, which is not expected", wkey);
			return -EINVAL;
		}
	}
	for (size_t i = 0; absent && i < json_object_array_length(absent); i++) {
		struct json_object *a = json_object_array_get_idx(absent, i);
		const char *name = json_object_get_string(a);

		if (!json_object_is_type(a, json_type_string) || expect_text_exempt(name) < 0) {
			snprintf(err, errsize, "absent: unknown field %s", name ? name : "?");
			return -EINVAL;
		}
		if (json_object_object_get_ex(expect, name, NULL)) {
			snprintf(err, errsize, "%s both expected and absent", name);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- the comparison with what ikelogd printed ---- */

/* The value at a dotted path ("transform.encr") of an event, or NULL. */
static struct json_object *get_path(struct json_object *ev, const char *path)
{
	const char *dot = strchr(path, '.');
	struct json_object *v;
	char parent[64];

	if (!dot)
		return json_object_object_get_ex(ev, path, &v) ? v : NULL;
	if ((size_t)(dot - path) >= sizeof(parent))
		return NULL;
	memcpy(parent, path, (size_t)(dot - path));
	parent[dot - path] = '\0';
	if (!json_object_object_get_ex(ev, parent, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return json_object_object_get_ex(v, dot + 1, &v) ? v : NULL;
}

/* Counts the differences between expectation exp and event got, printing each. */
static int compare_event(const char *name, size_t n, struct json_object *exp,
			 struct json_object *got)
{
	struct json_object *expect, *absent;
	int bad = 0;

	json_object_object_get_ex(exp, "expect", &expect);
	json_object_object_foreach(expect, key, want)
	{
		struct json_object *have = get_path(got, key);

		if (!have || !json_object_equal(want, have)) {
			print_error("%s line %zu: %s expected %s, got %s\n", name, n, key,
				    json_object_to_json_string(want),
				    have ? json_object_to_json_string(have) : "nothing");
			bad++;
		}
	}
	if (!json_object_object_get_ex(exp, "absent", &absent))
		return bad;
	for (size_t i = 0; i < json_object_array_length(absent); i++) {
		const char *field = json_object_get_string(json_object_array_get_idx(absent, i));
		struct json_object *have = get_path(got, field);

		if (have) {
			print_error("%s line %zu: %s must be absent, got %s\n", name, n, field,
				    json_object_to_json_string(have));
			bad++;
		}
	}
	return bad;
}

struct group {
	const char *label;
	const char *id;
};

/*
 * Checks the ike_sa_group labels of the expected events against the ids
 * ikelogd gave, and the previous_ike_sa_group labels (an IKE SA rekey names
 * the IKE SA it replaces) against the previous_ike_sa_ids.
 */
static void check_groups(const char *name, struct events *exp, const char *const *ids,
			 const char *const *prev)
{
	struct group g[MAX_GROUPS];
	size_t ng = 0;

	for (size_t i = 0; i < exp->n; i++) {
		const char *label = label_of(exp->v[i], "ike_sa_group");

		if (!label) {
			if (ids[i])
				fail_msg("%s event %zu: expected no ike_sa_id, got %s", name, i + 1,
					 ids[i]);
			continue;
		}
		if (!ids[i])
			fail_msg("%s event %zu: expected an ike_sa_id (group %s), got none", name,
				 i + 1, label);
		size_t k;
		for (k = 0; k < ng; k++)
			if (strcmp(g[k].label, label) == 0)
				break;
		if (k < ng) {
			if (strcmp(g[k].id, ids[i]) != 0)
				fail_msg("%s event %zu: group %s has ike_sa_id %s, this event %s",
					 name, i + 1, label, g[k].id, ids[i]);
			continue;
		}
		for (k = 0; k < ng; k++)
			if (strcmp(g[k].id, ids[i]) == 0)
				fail_msg("%s event %zu: groups %s and %s share ike_sa_id %s", name,
					 i + 1, g[k].label, label, ids[i]);
		assert_true(ng < MAX_GROUPS);
		g[ng++] = (struct group){.label = label, .id = ids[i]};
	}

	for (size_t i = 0; i < exp->n; i++) {
		const char *label = label_of(exp->v[i], "previous_ike_sa_group");
		size_t k;

		if (!label) {
			if (prev[i])
				fail_msg("%s event %zu: expected no previous_ike_sa_id, got %s",
					 name, i + 1, prev[i]);
			continue;
		}
		for (k = 0; k < ng; k++)
			if (strcmp(g[k].label, label) == 0)
				break;
		if (k == ng)
			fail_msg("%s event %zu: previous_ike_sa_group %s names no group", name,
				 i + 1, label);
		if (!prev[i] || strcmp(prev[i], g[k].id) != 0)
			fail_msg("%s event %zu: previous_ike_sa_id %s, expected group %s's %s",
				 name, i + 1, prev[i] ? prev[i] : "(none)", label, g[k].id);
	}
}

/* outcome_line N: the event's outcome_event_id is line N's event_id; no outcome_line, none. */
static void check_outcomes(const char *name, struct events *exp, const char *const *evids,
			   const char *const *outs)
{
	for (size_t i = 0; i < exp->n; i++) {
		struct json_object *v;

		if (!json_object_object_get_ex(exp->v[i], "outcome_line", &v)) {
			if (outs[i])
				fail_msg("%s event %zu: expected no outcome_event_id, got %s", name,
					 i + 1, outs[i]);
			continue;
		}
		size_t m = (size_t)json_object_get_int64(v);

		if (!outs[i] || !evids[m - 1] || strcmp(outs[i], evids[m - 1]) != 0)
			fail_msg("%s event %zu: outcome_event_id %s, expected line %zu's %s", name,
				 i + 1, outs[i] ? outs[i] : "(none)", m,
				 evids[m - 1] ? evids[m - 1] : "(none)");
	}
}

static void run_case(void **state)
{
	const char *log_path = *state;
	char json_path[4096], cmd[8192], err[ERR_MAX];
	struct events exp = {.n = 0}, got = {.n = 0};
	struct lines log = {.n = 0};
	const char *ids[MAX_EVENTS] = {NULL}, *prev[MAX_EVENTS] = {NULL};
	const char *evids[MAX_EVENTS] = {NULL}, *outs[MAX_EVENTS] = {NULL};
	FILE *f;
	int status, bad = 0;

	assert_true(strlen(log_path) > 4 && strlen(log_path) < sizeof(json_path) - 8);
	snprintf(json_path, sizeof(json_path), "%.*s.json", (int)(strlen(log_path) - 4), log_path);

	f = fopen(json_path, "r");
	if (!f)
		fail_msg("%s: cannot open %s: %s", log_path, json_path, strerror(errno));
	read_events(f, json_path, &exp);
	fclose(f);
	read_lines(log_path, &log);
	if (exp.n != log.n)
		fail_msg("%s: %zu lines but %zu expected events", log_path, log.n, exp.n);
	for (size_t i = 0; i < exp.n; i++)
		if (check_expectation(i, &log, exp.v, err, sizeof(err)) < 0)
			fail_msg("%s line %zu: %s", json_path, i + 1, err);

	if (access(ikelogd_path(), X_OK) != 0)
		fail_msg("%s not built (make build/ikelogd first)", ikelogd_path());
	snprintf(cmd, sizeof(cmd), "'%s' normalize -c %s '%s'", ikelogd_path(), GOLDEN_CONFIG,
		 log_path);
	f = popen(cmd, "r");
	assert_non_null(f);
	read_events(f, cmd, &got);
	status = pclose(f);
	if (status != 0)
		fail_msg("%s: exit status %d", cmd, status);
	if (got.n != exp.n)
		fail_msg("%s: %zu events, expected %zu", log_path, got.n, exp.n);

	for (size_t i = 0; i < got.n; i++) {
		struct json_object *g = got.v[i], *v;

		/* event_id and timestamp vary, but every event has them. */
		if (!json_object_object_get_ex(g, "event_id", NULL) ||
		    !json_object_object_get_ex(g, "timestamp", NULL))
			fail_msg("%s event %zu: no event_id or timestamp", log_path, i + 1);
		if (json_object_object_get_ex(g, "ike_sa_id", &v))
			ids[i] = json_object_get_string(v);
		if (json_object_object_get_ex(g, "previous_ike_sa_id", &v))
			prev[i] = json_object_get_string(v);
		if (json_object_object_get_ex(g, "event_id", &v))
			evids[i] = json_object_get_string(v);
		if (json_object_object_get_ex(g, "outcome_event_id", &v))
			outs[i] = json_object_get_string(v);
		bad += compare_event(log_path, i + 1, exp.v[i], g);
	}
	if (bad)
		fail_msg("%s: %d differences", log_path, bad);
	check_groups(log_path, &exp, ids, prev);
	check_outcomes(log_path, &exp, evids, outs);

	events_done(&exp);
	events_done(&got);
	lines_done(&log);
}

/* ---- the checker's own test ---- */

static const char *const self_log[] = {
    "\"west\" #1: sent IKE_SA_INIT request to 192.1.2.23:500",
    "\"west\" #1: initiator established IKE SA; authenticated peer using authby=secret and "
    "ID_FQDN '@east'",
};

/* A good second expectation, then broken ones, each with what the checker must say. */
static const char *const self_first =
    "{\"expect\": {\"event_type\": \"ike_init\", \"result\": \"info\", \"peer_ip\": "
    "\"192.1.2.23\", \"state_serial\": 1}, \"why\": {\"event_type\": \"sent IKE_SA_INIT "
    "request\", \"result\": \"sent\", \"peer_ip\": \"to 192.1.2.23:500\", \"state_serial\": "
    "\"#1:\"}, \"ike_sa_group\": \"A\"}";

static const struct {
	const char *json;
	const char *error; /* NULL: accepted */
} self_cases[] = {
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"auth_method\": "
     "\"psk\", \"peer_id\": \"@east\", \"peer_ip\": \"192.1.2.23\"}, \"why\": {\"event_type\": "
     "\"established IKE SA\", \"result\": \"established\", \"auth_method\": \"authby=secret\", "
     "\"peer_id\": \"'@east'\", \"peer_ip\": \"line 1: to 192.1.2.23:500\"}, \"absent\": "
     "[\"error_code\"], \"ike_sa_group\": \"A\"}",
     NULL},
    /* an outcome claimed by an earlier line of the same IKE SA */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"info\"}, \"why\": "
     "{\"event_type\": \"established\", \"result\": \"established\"}, \"ike_sa_group\": "
     "\"A\", \"outcome_line\": 1}",
     NULL},
    /* an outcome claimed by this very line, or by another IKE SA's */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"info\"}, \"why\": "
     "{\"event_type\": \"established\", \"result\": \"established\"}, \"ike_sa_group\": "
     "\"A\", \"outcome_line\": 2}",
     "is not an earlier line of the same IKE SA"},
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"info\"}, \"why\": "
     "{\"event_type\": \"established\", \"result\": \"established\"}, \"ike_sa_group\": "
     "\"B\", \"outcome_line\": 1}",
     "is not an earlier line of the same IKE SA"},
    /* a quote that is not in the line */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"peer_id\": "
     "\"@east\"}, \"why\": {\"event_type\": \"established\", \"result\": \"established\", "
     "\"peer_id\": \"ID_FQDN '@west'\"}, \"ike_sa_group\": \"A\"}",
     "is not in the line"},
    /* a value the quote does not contain */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"peer_id\": "
     "\"@west\"}, \"why\": {\"event_type\": \"established\", \"result\": \"established\", "
     "\"peer_id\": \"ID_FQDN '@east'\"}, \"ike_sa_group\": \"A\"}",
     "is not in the words"},
    /* a number the quote does not contain */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"state_serial\": "
     "2}, \"why\": {\"event_type\": \"established\", \"result\": \"established\", "
     "\"state_serial\": \"#1:\"}, \"ike_sa_group\": \"A\"}",
     "is not in the words"},
    /* a derived value whose source word is not quoted */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"auth_method\": "
     "\"rsasig\"}, \"why\": {\"event_type\": \"established\", \"result\": \"established\", "
     "\"auth_method\": \"authby=secret\"}, \"ike_sa_group\": \"A\"}",
     "is not in the words"},
    /* a missing why */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"peer_id\": "
     "\"@east\"}, \"why\": {\"event_type\": \"established\", \"result\": \"established\"}, "
     "\"ike_sa_group\": \"A\"}",
     "peer_id: no why"},
    /* a why with nothing to explain */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\"}, \"why\": "
     "{\"event_type\": \"established\", \"result\": \"established\", \"peer_id\": "
     "\"'@east'\"}, \"ike_sa_group\": \"A\"}",
     "which is not expected"},
    /* event_type or result not stated */
    {"{\"expect\": {\"event_type\": \"ike_auth\"}, \"why\": {\"event_type\": "
     "\"established\"}, \"ike_sa_group\": \"A\"}",
     "must state event_type and result"},
    {"{\"expect\": {\"result\": \"success\"}, \"why\": {\"result\": \"established\"}, "
     "\"ike_sa_group\": \"A\"}",
     "must state event_type and result"},
    /* a citation of the same, a later, or another IKE SA's line */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"peer_ip\": "
     "\"192.1.2.23\"}, \"why\": {\"event_type\": \"established\", \"result\": "
     "\"established\", \"peer_ip\": \"line 2: 192.1.2.23\"}, \"ike_sa_group\": \"A\"}",
     "not an earlier line"},
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"peer_ip\": "
     "\"192.1.2.23\"}, \"why\": {\"event_type\": \"established\", \"result\": "
     "\"established\", \"peer_ip\": \"line 1: to 192.1.2.23:500\"}, \"ike_sa_group\": \"B\"}",
     "not of the same IKE SA"},
    /* a cited quote that is not in the cited line */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"peer_ip\": "
     "\"192.1.2.23\"}, \"why\": {\"event_type\": \"established\", \"result\": "
     "\"established\", \"peer_ip\": \"line 1: established\"}, \"ike_sa_group\": \"A\"}",
     "is not in the line"},
    /* a nested object instead of dotted names, a volatile field, a typo */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"transform\": "
     "{\"encr\": \"X\"}}, \"why\": {\"event_type\": \"established\", \"result\": "
     "\"established\", \"transform\": \"established\"}, \"ike_sa_group\": \"A\"}",
     "unknown field"},
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", \"ike_sa_id\": "
     "\"1\"}, \"why\": {\"event_type\": \"established\", \"result\": \"established\", "
     "\"ike_sa_id\": \"#1\"}, \"ike_sa_group\": \"A\"}",
     "varies between runs"},
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\"}, \"why\": "
     "{\"event_type\": \"established\", \"result\": \"established\"}, \"absnet\": [], "
     "\"ike_sa_group\": \"A\"}",
     "unexpected member"},
    /* absent naming an unknown field, or one also expected */
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\"}, \"why\": "
     "{\"event_type\": \"established\", \"result\": \"established\"}, \"absent\": "
     "[\"eror_code\"], \"ike_sa_group\": \"A\"}",
     "absent: unknown field"},
    {"{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\"}, \"why\": "
     "{\"event_type\": \"established\", \"result\": \"established\"}, \"absent\": "
     "[\"result\"], \"ike_sa_group\": \"A\"}",
     "both expected and absent"},
};

static void test_checker_rejects(void **state)
{
	struct lines log = {.n = 0};
	struct json_object *exps[2];
	char err[ERR_MAX];

	for (size_t i = 0; i < 2; i++)
		log.v[log.n++] = strdup(self_log[i]);
	exps[0] = json_tokener_parse(self_first);
	assert_non_null(exps[0]);
	assert_int_equal(check_expectation(0, &log, exps, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(self_cases) / sizeof(self_cases[0]); i++) {
		int r;

		exps[1] = json_tokener_parse(self_cases[i].json);
		if (!exps[1])
			fail_msg("self case %zu is not JSON", i);
		err[0] = '\0';
		r = check_expectation(1, &log, exps, err, sizeof(err));
		if (!self_cases[i].error && r != 0)
			fail_msg("self case %zu refused: %s", i, err);
		if (self_cases[i].error && (r == 0 || !strstr(err, self_cases[i].error)))
			fail_msg("self case %zu: want \"%s\", got %d \"%s\"", i,
				 self_cases[i].error, r, err);
		json_object_put(exps[1]);
	}
	json_object_put(exps[0]);
	lines_done(&log);
}

/* The comparison itself: a differing, a missing and a forbidden field are each caught. */
static void test_compare_catches(void **state)
{
	struct json_object *exp = json_tokener_parse(
	    "{\"expect\": {\"event_type\": \"ike_auth\", \"result\": \"success\", "
	    "\"transform.encr\": \"AES_GCM_16_256\"}, \"why\": {}, \"absent\": [\"error_code\"]}");
	struct json_object *ok = json_tokener_parse(
	    "{\"event_type\": \"ike_auth\", \"result\": \"success\", \"conn_name\": \"x\", "
	    "\"transform\": {\"encr\": \"AES_GCM_16_256\", \"prf\": \"HMAC_SHA2_512\"}}");
	struct json_object *wrong = json_tokener_parse(
	    "{\"event_type\": \"ike_auth\", \"result\": \"failure\", \"error_code\": \"X\"}");

	assert_int_equal(compare_event("self", 1, exp, ok), 0);
	/* result differs, transform.encr missing, error_code present */
	assert_int_equal(compare_event("self", 1, exp, wrong), 3);
	json_object_put(exp);
	json_object_put(ok);
	json_object_put(wrong);
}

int main(void)
{
	glob_t g;
	struct CMUnitTest *tests;
	int r;

	if (glob(GOLDEN_DIR "/*.log", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		fprintf(stderr, "test_golden: no %s/*.log (run from the repository root)\n",
			GOLDEN_DIR);
		return 1;
	}
	tests = calloc(g.gl_pathc + 2, sizeof(*tests));
	if (!tests)
		return 1;
	tests[0] =
	    (struct CMUnitTest){.name = "checker_rejects", .test_func = test_checker_rejects};
	tests[1] =
	    (struct CMUnitTest){.name = "compare_catches", .test_func = test_compare_catches};
	for (size_t i = 0; i < g.gl_pathc; i++)
		tests[i + 2] = (struct CMUnitTest){
		    .name = g.gl_pathv[i],
		    .test_func = run_case,
		    .initial_state = g.gl_pathv[i],
		};
	r = _cmocka_run_group_tests("golden", tests, g.gl_pathc + 2, NULL, NULL);
	free(tests);
	globfree(&g);
	return r;
}
