/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks of a loaded rule table (rules_load.c calls them once every file
 * is read): rule ids unique across files, and every example matched by
 * its own rule, with the fields it expects.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "event.h"
#include "rules.h"
#include "rules_impl.h"

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const struct rule *v = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(v[x].id, v[y].id);

	return c ? c : (x < y ? -1 : x > y);
}

int rules_check_duplicates(struct rules *r, struct diags *errs)
{
	size_t *idx = malloc((r->n ? r->n : 1) * sizeof(*idx));
	int ret = 0;

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		idx[i] = i;
	qsort_r(idx, r->n, sizeof(*idx), cmp_idx, r->v);
	for (size_t i = 1; i < r->n; i++) {
		const struct rule *a = &r->v[idx[i - 1]], *b = &r->v[idx[i]];

		if (strcmp(a->id, b->id) == 0) {
			diag_add(errs, b->file, b->line, b->col,
				 "duplicate rule id '%s' (first at %s:%u)", b->id, a->file,
				 a->line);
			ret = -EINVAL;
		}
	}
	free(idx);
	return ret;
}

static bool derived_later(int f)
{
	switch (f) {
	case F_SCHEMA_VERSION:
	case F_EVENT_ID:
	case F_TIMESTAMP:
	case F_SEVERITY:
	case F_IKE_SA_ID:
	case F_PREVIOUS_IKE_SA_ID:
	case F_INITIATOR_ID:
	case F_RESPONDER_ID:
	case F_WEAK_CRYPTO:
	case F_PLATFORM_HOST:
	case F_PLATFORM_PROCESS:
	case F_PLATFORM_PID:
	case F_PLATFORM_IMPL:
	case F_PLATFORM_VERSION:
	case F_MESSAGE:
		return true;
	default:
		return false;
	}
}

/* Set by the rule, or else derived later: checked only when the rule set it. */
static bool maybe_derived(int f)
{
	return f == F_IKE_VERSION || f == F_EXCHANGE || f == F_ROLE || f == F_PARENT_SERIAL;
}

int rules_check_examples(struct rules *r, struct diags *errs)
{
	struct event ev, want;
	int ret = 0;

	if (event_init(&want, 4096) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_ex; i++) {
		const struct rule_example *e = &r->ex[i];
		size_t len = strlen(e->line);

		if (event_init(&ev, 2 * len + 4096) < 0) {
			ret = -ENOMEM;
			break;
		}
		struct envelope env;

		envelope_parse(e->line, len, 0, &env);
		int m = rules_match(r, &env, e->line, len, &ev);
		const char *got = m == 1 ? rule_id_of(ev.rule) : NULL;

		if (!got || strcmp(got, e->rule_id) != 0) {
			bool plain;

			rules_set_prefilter(r, false);
			event_reset(&ev);
			plain = rules_match(r, &env, e->line, len, &ev) == 1 &&
				strcmp(rule_id_of(ev.rule), e->rule_id) == 0;
			rules_set_prefilter(r, true);
			if (plain)
				diag_add(errs, e->file, e->line_no, e->col,
					 "rule '%s': example matches, but not with the prefilter: "
					 "the key/literal is not in the line",
					 e->rule_id);
			else if (got)
				diag_add(errs, e->file, e->line_no, e->col,
					 "rule '%s': example is matched first by rule '%s'",
					 e->rule_id, got);
			else
				diag_add(errs, e->file, e->line_no, e->col,
					 "rule '%s': example does not match%s", e->rule_id,
					 m == -E2BIG ? " (match limit hit)" : "");
			ret = -EINVAL;
			event_done(&ev);
			continue;
		}
		if (e->versions && rules_example_values_in_line(ev.rule, e, errs) < 0)
			ret = -EINVAL;
		for (size_t k = 0; k < e->n_expect; k++) {
			int f = field_lookup(e->expect_keys[k], strlen(e->expect_keys[k]));
			const char *want_s = NULL, *have = event_str(&ev, f, NULL);

			if (derived_later(f) || (maybe_derived(f) && !have))
				continue;
			event_reset(&want);
			if (e->expect_values[k] &&
			    event_set_text(&want, f, e->expect_values[k],
					   strlen(e->expect_values[k])) < 0) {
				diag_add(errs, e->file, e->line_no, e->col,
					 "rule '%s': expected %s '%s' is not a valid value",
					 e->rule_id, e->expect_keys[k], e->expect_values[k]);
				ret = -EINVAL;
				continue;
			}
			want_s = event_str(&want, f, NULL);
			if ((want_s == NULL) != (have == NULL) ||
			    (want_s && strcmp(want_s, have) != 0)) {
				diag_add(errs, e->file, e->line_no, e->col,
					 "rule '%s': example gives %s=%s, expected %s", e->rule_id,
					 e->expect_keys[k], have ? have : "(absent)",
					 want_s ? want_s : "(absent)");
				ret = -EINVAL;
			}
		}
		event_done(&ev);
	}
	event_done(&want);
	return ret;
}
