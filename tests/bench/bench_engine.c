/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The normalizer engine alone (rules, normalize, correlate, JSON render; no
 * redaction, no sink): lines/s with and without the prefilter, mallocs per
 * line in steady state, and the prefilter's shape.
 *
 * BENCH_STAGES=ladder instead prints the CPU time per line of each stage,
 * as the difference between passes over the same lines that each add one
 * stage (read, prefix, prefilter, match, decode, correlate, redact, render,
 * write to /dev/null as the stdout sink does), and of the json-c renderer
 * for comparison; see bench_ladder.h.
 *
 * usage: bench_engine RULES.yaml[,MORE.yaml] BODIES.log [--no-prefilter]
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "bench_ladder.h"

static double now_s(clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct engine e;
	struct rules *rules;
	struct event *ev;
	char *buf = NULL, **lines = NULL;
	size_t n_lines = 0, cap = 0, out_bytes = 0, no_lit = 0;
	long fsize;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: %s RULES.yaml BODIES.log [--no-prefilter]\n", argv[0]);
		return 2;
	}
	if (getenv("BENCH_STAGES") && strcmp(getenv("BENCH_STAGES"), "ladder") == 0)
		return bench_ladder(argv[1], argv[2]);
	if (engine_open(&e, argv[1]) < 0)
		return 1;
	rules = e.rules;
	ev = &e.ev;
	if (argc > 3 && strcmp(argv[3], "--no-prefilter") == 0)
		rules_set_prefilter(rules, false);
	for (size_t i = 0; i < rules_count(rules); i++) {
		size_t l;

		no_lit += rules_literal(rules, i, 0, &l) == NULL;
	}
	f = fopen(argv[2], "r");
	if (!f || fseek(f, 0, SEEK_END) < 0 || (fsize = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		return 1;
	buf = malloc((size_t)fsize + 1);
	if (!buf || fread(buf, 1, (size_t)fsize, f) != (size_t)fsize)
		return 1;
	fclose(f);
	buf[fsize] = '\0';
	for (char *p = buf, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (n_lines == cap) {
			cap = cap ? cap * 2 : 65536;
			lines = realloc(lines, cap * sizeof(*lines));
		}
		lines[n_lines++] = p;
		if (!*nl)
			break;
		*nl = '\0';
	}

	struct mallinfo2 m0 = {0};
	double t0 = 0, c0 = 0;
	size_t warm = n_lines / 10;
	/* BENCH_STAGES=0 rules_match only, 1 normalize, 2 + correlate, 3 (default) + render */
	int stages = getenv("BENCH_STAGES") ? atoi(getenv("BENCH_STAGES")) : 3;

	for (size_t i = 0; i < n_lines; i++) {
		struct record rec = {.msg = lines[i],
				     .len = strlen(lines[i]),
				     .seq = i + 1,
				     .realtime_usec = 1700000000000000 + (int64_t)i,
				     .pid = 1234,
				     .priority = -1};
		const char *js;
		size_t jl;

		if (i == warm) {
			m0 = mallinfo2();
			t0 = now_s(CLOCK_MONOTONIC);
			c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
		}
		event_reset(ev);
		if (stages == 0) { /* the rule table alone */
			struct envelope env;

			envelope_pluto(rec.msg, rec.len, &env);
			rules_match(rules, &env, rec.msg, rec.len, ev);
			continue;
		}
		if (normalize_record(e.norm, &rec, ev) <= 0)
			continue;
		if (stages >= 2)
			correlate_event(e.corr, ev);
		if (stages >= 3 && event_json_render(e.w, ev, &js, &jl) == 0)
			out_bytes += jl;
	}
	double dt = now_s(CLOCK_MONOTONIC) - t0, dc = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	struct mallinfo2 m1 = mallinfo2();
	size_t timed = n_lines - warm;

	static const char *const stage_name[] = {"match", "normalize", "correlate", "engine"};
	const char *sn = stage_name[stages < 0 || stages > 3 ? 3 : stages];

	printf("figure: %s_lines_per_s%s %.0f\n", sn, argc > 3 ? "_no_prefilter" : "",
	       (double)timed / dt);
	printf("figure: %s_lines_per_cpu_s%s %.0f\n", sn, argc > 3 ? "_no_prefilter" : "",
	       (double)timed / dc);
	if (stages != 3)
		goto done;
	printf("figure: engine_rules %zu\n", rules_count(rules));
	printf("figure: engine_rules_without_literal %zu\n", no_lit);
	printf("figure: engine_matched %llu\n", (unsigned long long)e.cnt.matched);
	printf("figure: engine_unparsed %llu\n", (unsigned long long)e.cnt.unparsed);
	printf("figure: engine_heap_growth_bytes %lld\n",
	       (long long)m1.uordblks - (long long)m0.uordblks);
	printf("figure: engine_json_bytes %zu\n", out_bytes);
done:
	engine_close(&e);
	free(lines);
	free(buf);
	return 0;
}
