/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cost of each stage of the normalizer, per line: passes over the same
 * lines in memory, each adding one stage to the one before, every pass on a
 * fresh engine (so correlation starts empty) and the best CPU time of
 * three. A stage's cost is its pass's time minus the previous pass's:
 *
 *   read       getline over the file (page cache), as the stdin source reads
 *   prefix     normalize_parse_prefix (syslog / logfile prefix, envelope)
 *   prefilter  the literal scan alone (a prefilter built from the rules' literals)
 *   match      rules_match minus the scan: the candidates' regexes, captures set
 *   decode     normalize_record minus rules_match: decoders, derived fields, ids
 *   correlate  correlate_event and normalize_identities
 *   redact     redact_event
 *   render     event_json_render (render_jsonc: the json-c renderer instead)
 *   write      the JSON and a newline appended to a 64 KiB buffer, written to /dev/null
 *
 * Also the fields and bytes of an event, to compare with lognormalizer's.
 */
#ifndef IKELOGD_BENCH_LADDER_H
#define IKELOGD_BENCH_LADDER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "envelope.h"
#include "event_jsonc.h"
#include "prefilter.h"
#include "redact.h"

enum ladder_step {
	STEP_PREFIX,
	STEP_PREFILTER,
	STEP_MATCH,
	STEP_NORMALIZE,
	STEP_CORRELATE,
	STEP_REDACT,
	STEP_RENDER,
	STEP_WRITE,
	STEP_RENDER_JSONC, /* STEP_REDACT, then the json-c renderer */
	STEP__MAX
};

struct ladder_lines {
	char **v;
	size_t *len;
	size_t n;
};

static inline double ladder_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads the file with getline, keeping the lines; returns the CPU seconds it took, or -1. */
static inline double ladder_read(const char *path, struct ladder_lines *ls, bool keep)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0, vcap = 0;
	ssize_t len;
	double t0 = ladder_cpu_s();

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (keep) {
			if (n == vcap) {
				vcap = vcap ? 2 * vcap : 65536;
				ls->v = realloc(ls->v, vcap * sizeof(*ls->v));
				ls->len = realloc(ls->len, vcap * sizeof(*ls->len));
				if (!ls->v || !ls->len)
					return -1;
			}
			ls->v[n] = strdup(line);
			ls->len[n] = (size_t)len;
		}
		n++;
	}
	double t = ladder_cpu_s() - t0;

	ls->n = n;
	free(line);
	fclose(f);
	return t;
}

struct ladder_ctx {
	struct engine e;
	struct redactor *red;
	struct prefilter *pf;
	struct event_jsonc *jc;
	FILE *out;
	char *wbuf;
	size_t wlen;
	uint64_t fields, bytes, events;
};

/* The prefilter of the rules' literals, as rules_load builds it. */
static inline int ladder_prefilter(struct rules *r, struct prefilter **ret)
{
	size_t n = 0, cap = 0, l;
	const char **lits = NULL;
	size_t *lens = NULL;
	uint32_t *of = NULL;
	int rc;

	for (size_t i = 0; i < rules_count(r); i++)
		for (size_t k = 0; rules_literal(r, i, k, &l); k++) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				lits = realloc(lits, cap * sizeof(*lits));
				lens = realloc(lens, cap * sizeof(*lens));
				of = realloc(of, cap * sizeof(*of));
				if (!lits || !lens || !of)
					return -1;
			}
			lits[n] = rules_literal(r, i, k, &lens[n]);
			of[n++] = (uint32_t)i;
		}
	rc = prefilter_build(lits, lens, of, n, ret);
	free(lits);
	free(lens);
	free(of);
	return rc;
}

static inline int ladder_open(struct ladder_ctx *c, const char *rules_path, const char *keydir)
{
	struct diags errs = {.n = 0};
	struct pipeline_options po;
	char key[256];

	memset(c, 0, sizeof(*c));
	if (engine_open(&c->e, rules_path) < 0)
		return -1;
	snprintf(key, sizeof(key), "%s/pseudonym.key", keydir);
	free(c->e.cfg.redact.key_file);
	c->e.cfg.redact.key_file = strdup(key);
	c->e.cfg.redact.generate_key = true;
	config_pipeline_options(&c->e.cfg, &po);
	if (redactor_new(&po.redact, &c->e.cnt, &c->red, &errs) < 0 ||
	    ladder_prefilter(c->e.rules, &c->pf) < 0 || event_jsonc_new(&c->jc) < 0 ||
	    !(c->out = fopen("/dev/null", "w")) || !(c->wbuf = malloc(65536)))
		return -1;
	return 0;
}

static inline void ladder_close(struct ladder_ctx *c)
{
	if (c->out)
		fclose(c->out);
	free(c->wbuf);
	event_jsonc_free(c->jc);
	prefilter_free(c->pf);
	redactor_free(c->red);
	engine_close(&c->e);
}

static inline void ladder_write(struct ladder_ctx *c, const char *js, size_t jl)
{
	if (c->wlen + jl + 1 > 65536) {
		fwrite(c->wbuf, 1, c->wlen, c->out);
		c->wlen = 0;
	}
	if (jl + 1 > 65536) {
		fwrite(js, 1, jl, c->out);
		fputc('\n', c->out);
		return;
	}
	memcpy(c->wbuf + c->wlen, js, jl);
	c->wbuf[c->wlen + jl] = '\n';
	c->wlen += jl + 1;
}

/* Fields present in an event (nested ones counted one by one), for the like-for-like figures. */
static inline unsigned ladder_fields(const struct event *ev)
{
	unsigned n = 0;

	for (int f = 0; f < F__MAX; f++)
		n += event_has(ev, f);
	return n;
}

/* One pass of steps up to step over every line; returns its CPU seconds. */
static inline double ladder_pass(struct ladder_ctx *c, const struct ladder_lines *ls,
				 enum ladder_step step)
{
	struct event *ev = &c->e.ev;
	uint64_t bits[(10000 + 63) / 64 + 1]; /* RULES_MAX rules */
	double t0 = ladder_cpu_s();

	for (size_t i = 0; i < ls->n; i++) {
		struct record rec = {.msg = ls->v[i],
				     .len = ls->len[i],
				     .seq = i + 1,
				     .realtime_usec = 1700000000000000 + (int64_t)i,
				     .pid = 1234,
				     .priority = -1};
		struct envelope env;
		const char *js;
		size_t jl;

		/* The envelope once, then the rules on the remainder, as normalize_record does. */
		envelope_parse(rec.msg, rec.len, rec.realtime_usec, &env);
		if (step == STEP_PREFIX)
			continue;
		if (step == STEP_PREFILTER) {
			size_t off = env.rest_off <= rec.len ? env.rest_off : rec.len;

			memset(bits, 0, sizeof(bits));
			prefilter_scan(c->pf, rec.msg + off, rec.len - off, bits);
			continue;
		}
		event_reset(ev);
		if (step == STEP_MATCH) {
			rules_match(c->e.rules, &env, rec.msg, rec.len, ev);
			continue;
		}
		if (normalize_record(c->e.norm, &rec, ev) <= 0 || step == STEP_NORMALIZE)
			continue;
		correlate_event(c->e.corr, ev);
		normalize_identities(ev);
		if (step == STEP_CORRELATE)
			continue;
		redact_event(c->red, ev);
		if (step == STEP_REDACT)
			continue;
		if (step == STEP_RENDER_JSONC) {
			event_jsonc_render(c->jc, ev, &js, &jl);
			continue;
		}
		if (event_json_render(c->e.w, ev, &js, &jl) < 0 || step == STEP_RENDER)
			continue;
		ladder_write(c, js, jl);
		c->events++;
		c->fields += ladder_fields(ev);
		c->bytes += jl + 1;
	}
	fwrite(c->wbuf, 1, c->wlen, c->out);
	fflush(c->out);
	c->wlen = 0;
	return ladder_cpu_s() - t0;
}

static inline int bench_ladder(const char *rules_path, const char *bodies)
{
	static const char *const names[STEP__MAX] = {
	    "prefix", "prefilter", "match", "decode", "correlate",
	    "redact", "render",	   "write", "render_jsonc",
	};
	struct ladder_lines ls = {0};
	double t[STEP__MAX], read_s = 1e9, total;
	char keydir[] = "/tmp/ikelogd-ladder.XXXXXX";
	struct ladder_ctx c;
	uint64_t events = 0, fields = 0, bytes = 0;

	if (!mkdtemp(keydir) || ladder_read(bodies, &ls, true) < 0 || ls.n == 0)
		return 1;
	for (int k = 0; k < 3; k++) {
		struct ladder_lines tmp = {0};
		double r = ladder_read(bodies, &tmp, false);

		if (r >= 0 && r < read_s)
			read_s = r;
	}
	for (int s = 0; s < STEP__MAX; s++) {
		t[s] = 1e9;
		for (int k = 0; k < 3; k++) {
			if (ladder_open(&c, rules_path, keydir) < 0) {
				fprintf(stderr, "bench: cannot build the engine\n");
				return 1;
			}
			double x = ladder_pass(&c, &ls, (enum ladder_step)s);

			if (x < t[s])
				t[s] = x;
			if (s == STEP_WRITE) {
				events = c.events;
				fields = c.fields;
				bytes = c.bytes;
			}
			ladder_close(&c);
		}
	}
	double us = 1e6 / (double)ls.n;

	printf("figure: stage_read_us_per_line %.3f\n", read_s * us);
	printf("figure: stage_prefix_us_per_line %.3f\n", t[STEP_PREFIX] * us);
	printf("figure: stage_prefilter_us_per_line %.3f\n",
	       (t[STEP_PREFILTER] - t[STEP_PREFIX]) * us);
	for (int s = STEP_MATCH; s <= STEP_WRITE; s++) {
		/* match is measured against the prefix pass: rules_match scans by itself */
		double prev = s == STEP_MATCH ? t[STEP_PREFILTER] : t[s - 1];

		printf("figure: stage_%s_us_per_line %.3f\n", names[s], (t[s] - prev) * us);
	}
	printf("figure: stage_render_jsonc_us_per_line %.3f\n",
	       (t[STEP_RENDER_JSONC] - t[STEP_REDACT]) * us);
	total = read_s + t[STEP_WRITE];
	printf("figure: stages_total_us_per_line %.3f\n", total * us);
	printf("figure: stages_lines_per_cpu_s %.0f\n", (double)ls.n / total);
	printf("figure: ikelogd_events %llu\n", (unsigned long long)events);
	if (events) {
		printf("figure: ikelogd_fields_per_event %.1f\n", (double)fields / (double)events);
		printf("figure: ikelogd_bytes_per_event %.1f\n", (double)bytes / (double)events);
	}
	for (size_t i = 0; i < ls.n; i++)
		free(ls.v[i]);
	free(ls.v);
	free(ls.len);
	{
		char key[256];

		snprintf(key, sizeof(key), "%s/pseudonym.key", keydir);
		unlink(key);
		rmdir(keydir);
	}
	return 0;
}

#endif
