/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ikelogd.yaml(5) documents every configuration key: each key of the
 * descriptor table (config_foreach_key) has exactly one ".TP" entry headed
 * ".B <dotted key>" whose text names its default, and every such entry
 * names a key that exists. Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#define MANPAGE	    "conf/man/ikelogd.yaml.5"
#define ENTRIES_MAX 256

struct entry {
	char key[1024];
	bool has_default;
	unsigned line;
	unsigned seen; /* times config_foreach_key named it */
};

struct manpage {
	struct entry v[ENTRIES_MAX];
	size_t n;
	size_t missing; /* keys without an entry */
};

/* Every ".TP" followed by ".B name": the entries of the page. */
static void read_manpage(struct manpage *m)
{
	char line[1024];
	bool after_tp = false;
	struct entry *cur = NULL;
	unsigned lineno = 0;
	FILE *f = fopen(MANPAGE, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (after_tp && strncmp(line, ".B ", 3) == 0) {
			assert_true(m->n < ENTRIES_MAX);
			cur = &m->v[m->n++];
			snprintf(cur->key, sizeof(cur->key), "%s", line + 3);
			cur->line = lineno;
		} else if (strncmp(line, ".TP", 3) == 0 || strncmp(line, ".SH", 3) == 0 ||
			   strncmp(line, ".SS", 3) == 0) {
			cur = NULL;
		} else if (cur && strstr(line, "default")) {
			cur->has_default = true;
		}
		after_tp = strncmp(line, ".TP", 3) == 0;
	}
	fclose(f);
}

static void check_key(const char *key, void *userdata)
{
	struct manpage *m = userdata;

	bool found = false;

	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, key) == 0) {
			m->v[i].seen++;
			found = true;
		}
	}
	if (found)
		return;
	fprintf(stderr, "%s: no entry for key %s\n", MANPAGE, key);
	m->missing++;
}

static void test_every_key_documented(void **state)
{
	struct manpage *m = calloc(1, sizeof(*m));
	size_t bad = 0;

	assert_non_null(m);
	read_manpage(m);
	assert_true(m->n > 0);
	config_foreach_key(check_key, m);
	for (size_t i = 0; i < m->n; i++) {
		const struct entry *e = &m->v[i];

		if (e->seen == 0) {
			fprintf(stderr, "%s:%u: .TP entry '%s' is not a configuration key\n",
				MANPAGE, e->line, e->key);
			bad++;
		} else if (e->seen > 1) {
			fprintf(stderr, "%s:%u: key '%s' has more than one entry\n", MANPAGE,
				e->line, e->key);
			bad++;
		} else if (!e->has_default) {
			fprintf(stderr, "%s:%u: entry '%s' does not give its default\n", MANPAGE,
				e->line, e->key);
			bad++;
		}
	}
	assert_int_equal(m->missing, 0);
	assert_int_equal(bad, 0);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_key_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
