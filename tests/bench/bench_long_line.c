/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cost of one hostile line: a line of LEN bytes (default 65536) made of
 * the rules' own literal words, so that every rule passes the prefilter, in
 * each of the four scopes (global, conn, state, packet). Prints the mean
 * CPU time of normalize_record per line, per scope, in microseconds, and
 * the lines counted as cut at limits.max_match_bytes. Figures only: the
 * bound (<= 1 ms a line) is read, not asserted.
 *
 * usage: bench_long_line RULES.yaml [LEN [MAX_MATCH_BYTES]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* prefix, then the rules' literals repeated (a space between) up to len bytes. */
static size_t build_line(const struct rules *r, const char *prefix, char *buf, size_t len)
{
	size_t o = strlen(prefix), n = rules_count(r);

	memcpy(buf, prefix, o);
	while (o < len) {
		size_t before = o;

		for (size_t i = 0; i < n && o < len; i++) {
			for (size_t k = 0;; k++) {
				size_t l;
				const char *lit = rules_literal(r, i, k, &l);

				if (!lit)
					break;
				if (l > len - o)
					l = len - o;
				memcpy(buf + o, lit, l);
				o += l;
				if (o < len)
					buf[o++] = ' ';
			}
		}
		if (o == before) /* no literals at all: pad */
			buf[o++] = 'x';
	}
	return o;
}

int main(int argc, char **argv)
{
	static const char *const scope[] = {"global", "conn", "state", "packet"};
	static const char *const prefix[] = {
	    "", "\"gw\"[1] 192.0.2.1: ", "\"gw\"[1] 192.0.2.1 #1: ", "packet from 192.0.2.1:500: "};
	struct engine e;
	size_t len = argc > 2 ? strtoul(argv[2], NULL, 10) : 65536;
	int iters = 50;
	char *buf;

	if (argc < 2) {
		fprintf(stderr, "usage: %s RULES.yaml [LEN [MAX_MATCH_BYTES]]\n", argv[0]);
		return 2;
	}
	if (engine_open(&e, argv[1]) < 0)
		return 1;
	if (argc > 3) {
		/* The normalizer borrows cfg: a changed limit is read at the next line. */
		e.cfg.limits.max_match_bytes = (unsigned)strtoul(argv[3], NULL, 10);
	}
	buf = malloc(len + 64);
	if (!buf)
		return 1;
	for (size_t s = 0; s < sizeof(scope) / sizeof(scope[0]); s++) {
		size_t l = build_line(e.rules, prefix[s], buf, len);
		double t0 = 0;

		for (int i = 0; i < iters + 2; i++) {
			struct record rec = {.msg = buf, .len = l, .seq = (uint64_t)i + 1,
					     .realtime_usec = 1700000000000000, .priority = -1};

			if (i == 2)
				t0 = cpu_s();
			event_reset(&e.ev);
			normalize_record(e.norm, &rec, &e.ev);
		}
		printf("figure: long_line_us_%s %.0f\n", scope[s], (cpu_s() - t0) / iters * 1e6);
	}
	printf("figure: long_line_bytes %zu\n", len);
	printf("figure: long_line_max_match_bytes %u\n", e.cfg.limits.max_match_bytes);
	printf("figure: long_line_match_truncated %llu\n",
	       (unsigned long long)e.cnt.match_truncated);
	free(buf);
	engine_close(&e);
	return 0;
}
