/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The normalizer engine as the benchmarks drive it: rules from one file,
 * normalize, correlate, one event and one JSON writer, default config.
 */
#ifndef IKELOGD_BENCH_ENGINE_H
#define IKELOGD_BENCH_ENGINE_H

#include <stdio.h>

#include "config.h"
#include "config_stages.h"
#include "correlate.h"
#include "event.h"
#include "normalize.h"
#include "rules.h"
#include "stats.h"

struct engine {
	struct config cfg;
	struct rules *rules;
	struct normalizer *norm;
	struct correlator *corr;
	struct event_json *w;
	struct event ev;
	struct counters cnt;
};

/*
 * Loads the rules (rules_path: one file, or several joined with ',', in
 * the order the daemon loads them; errors printed) and builds the stages;
 * 0 or -1.
 */
static inline int engine_open(struct engine *e, const char *rules_path)
{
	struct diags errs = {.n = 0};
	struct pipeline_options po;
	char list[4096];
	const char *paths[8];
	size_t n = 0;

	*e = (struct engine){.rules = NULL};
	config_defaults(&e->cfg);
	snprintf(list, sizeof(list), "%s", rules_path);
	for (char *save = NULL, *p = strtok_r(list, ",", &save); p && n < 8;
	     p = strtok_r(NULL, ",", &save))
		paths[n++] = p;
	if (rules_load(paths, n, &e->rules, &errs) < 0) {
		char b[1024];

		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", diag_format(&errs.v[i], b, sizeof(b)));
		return -1;
	}
	config_pipeline_options(&e->cfg, &po);
	if (normalizer_new(&po.norm, e->rules, &e->cnt, &e->norm) < 0 ||
	    correlator_new(65536, "bench", &e->cnt, &e->corr) < 0 ||
	    event_init(&e->ev, 2 * 65536 + 4096) < 0 || event_json_new(&e->w) < 0) {
		fprintf(stderr, "bench: cannot build the engine\n");
		return -1;
	}
	return 0;
}

static inline void engine_close(struct engine *e)
{
	event_json_free(e->w);
	event_done(&e->ev);
	correlator_free(e->corr);
	normalizer_free(e->norm);
	rules_free(e->rules);
	config_done(&e->cfg);
}

#endif
