/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden tests of the whole normalizer: each fixtures/golden/<case>.log (real
 * pluto lines, from the corpus) goes through `ikelogd normalize -c
 * fixtures/golden/golden.yaml` (rules, correlation, redaction, encoding: what
 * a collector receives), and each printed event must equal, with
 * json_object_equal(), the event written by hand on the same line of
 * <case>.json, once the volatile fields are removed from what ikelogd
 * printed: event_id, timestamp, ike_sa_id, previous_ike_sa_id, platform
 * (of which only the keys an expected event lists, e.g. platform.version
 * after a daemon_start line, are compared).
 *
 * Correlation is checked separately through "ike_sa_group" labels in the
 * expected events: events with the same label must share one ike_sa_id,
 * different labels must have different ids, and an event without a label
 * must have no ike_sa_id. An IKE SA rekey's "previous_ike_sa_group" names
 * the group whose id its previous_ike_sa_id must be; other events must have
 * no previous_ike_sa_id.
 *
 * Run from the repository root (make does); IKELOGD overrides the binary.
 */
#include <errno.h>
#include <glob.h>
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

#define GOLDEN_DIR    "fixtures/golden"
#define GOLDEN_CONFIG GOLDEN_DIR "/golden.yaml"
#define MAX_EVENTS    512
#define MAX_GROUPS    32

static const char *const volatile_fields[] = {
    "event_id", "timestamp", "ike_sa_id", "previous_ike_sa_id", "platform",
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

static const char *ikelogd_path(void)
{
	const char *p = getenv("IKELOGD");

	return p && *p ? p : "build/ikelogd";
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
		struct json_object *l;
		const char *label = NULL;

		if (json_object_object_get_ex(exp->v[i], "ike_sa_group", &l))
			label = json_object_get_string(l);
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
		struct json_object *l;
		const char *label = NULL;
		size_t k;

		if (json_object_object_get_ex(exp->v[i], "previous_ike_sa_group", &l))
			label = json_object_get_string(l);
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

/*
 * platform varies by host, so it is not compared as a whole; the keys an
 * expected event lists under "platform" (version, pid) must be equal.
 */
static void check_platform(const char *name, size_t n, struct json_object *exp,
			   struct json_object *got)
{
	struct json_object *ep, *gp, *gv = NULL;

	if (!json_object_object_get_ex(exp, "platform", &ep))
		return;
	if (!json_object_object_get_ex(got, "platform", &gp))
		fail_msg("%s event %zu: expected platform, got none", name, n);
	json_object_object_foreach(ep, key, val)
	{
		if (!json_object_object_get_ex(gp, key, &gv) || !json_object_equal(val, gv))
			fail_msg("%s event %zu: platform.%s expected %s, got %s", name, n, key,
				 json_object_to_json_string(val),
				 gv ? json_object_to_json_string(gv) : "nothing");
	}
}

static void run_case(void **state)
{
	const char *log = *state;
	char json_path[4096], cmd[8192];
	struct events exp = {.n = 0}, got = {.n = 0};
	const char *ids[MAX_EVENTS] = {NULL}, *prev[MAX_EVENTS] = {NULL};
	size_t n_lines = 0;
	FILE *f;
	int c, last = '\n', status;

	assert_true(strlen(log) > 4 && strlen(log) < sizeof(json_path) - 8);
	snprintf(json_path, sizeof(json_path), "%.*s.json", (int)(strlen(log) - 4), log);

	f = fopen(json_path, "r");
	if (!f)
		fail_msg("%s: cannot open %s: %s", log, json_path, strerror(errno));
	read_events(f, json_path, &exp);
	fclose(f);

	f = fopen(log, "r");
	assert_non_null(f);
	while ((c = fgetc(f)) != EOF) {
		if (c == '\n')
			n_lines++;
		last = c;
	}
	if (last != '\n')
		n_lines++;
	fclose(f);
	if (exp.n != n_lines)
		fail_msg("%s: %zu lines but %zu expected events", log, n_lines, exp.n);

	if (access(ikelogd_path(), X_OK) != 0)
		fail_msg("%s not built (make build/ikelogd first)", ikelogd_path());
	snprintf(cmd, sizeof(cmd), "'%s' normalize -c %s '%s'", ikelogd_path(), GOLDEN_CONFIG, log);
	f = popen(cmd, "r");
	assert_non_null(f);
	read_events(f, cmd, &got);
	status = pclose(f);
	if (status != 0)
		fail_msg("%s: exit status %d", cmd, status);
	if (got.n != exp.n)
		fail_msg("%s: %zu events, expected %zu", log, got.n, exp.n);

	for (size_t i = 0; i < got.n; i++) {
		struct json_object *e = exp.v[i], *g = got.v[i], *v;

		/* event_id and timestamp vary, but every event has them. */
		if (!json_object_object_get_ex(g, "event_id", NULL) ||
		    !json_object_object_get_ex(g, "timestamp", NULL))
			fail_msg("%s event %zu: no event_id or timestamp", log, i + 1);
		check_platform(log, i + 1, e, g);
		if (json_object_object_get_ex(g, "ike_sa_id", &v))
			ids[i] = json_object_get_string(v);
		if (json_object_object_get_ex(g, "previous_ike_sa_id", &v))
			prev[i] = json_object_get_string(v);
		/* Keep ids alive after the fields are removed below. */
		if (ids[i])
			ids[i] = strdup(ids[i]);
		if (prev[i])
			prev[i] = strdup(prev[i]);
		for (size_t k = 0; k < sizeof(volatile_fields) / sizeof(volatile_fields[0]); k++)
			json_object_object_del(g, volatile_fields[k]);

		struct json_object *want = NULL;
		assert_int_equal(json_object_deep_copy(e, &want, NULL), 0);
		json_object_object_del(want, "ike_sa_group");
		json_object_object_del(want, "previous_ike_sa_group");
		json_object_object_del(want, "platform");
		if (!json_object_equal(want, g)) {
			print_error("%s line %zu\n  expected %s\n  got      %s\n", log, i + 1,
				    json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN),
				    json_object_to_json_string_ext(g, JSON_C_TO_STRING_PLAIN));
			json_object_put(want);
			fail_msg("%s: event %zu differs", log, i + 1);
		}
		json_object_put(want);
	}
	check_groups(log, &exp, ids, prev);

	for (size_t i = 0; i < got.n; i++) {
		free((char *)ids[i]);
		free((char *)prev[i]);
	}
	events_done(&exp);
	events_done(&got);
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
	tests = calloc(g.gl_pathc, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < g.gl_pathc; i++)
		tests[i] = (struct CMUnitTest){
		    .name = g.gl_pathv[i],
		    .test_func = run_case,
		    .initial_state = g.gl_pathv[i],
		};
	r = _cmocka_run_group_tests("golden", tests, g.gl_pathc, NULL, NULL);
	free(tests);
	globfree(&g);
	return r;
}
