/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What rendering an event costs in each output profile (output.profile):
 * ikelogd's own writer, OCSF and ECS, on the events the engine makes from
 * a corpus. Each event is rendered REPS times by each renderer in turn
 * (the order rotating from event to event), timed around the rendering
 * only; prints ns per event for each and each profile's ratio to the
 * native writer in the same run. Figures, not assertions.
 *
 * usage: bench_profile RULES.yaml BODIES.log
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "event_profile.h"

#define REPS 4

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	struct engine e;
	struct event_profile *w[PROFILE__MAX] = {NULL};
	long long ns[PROFILE__MAX] = {0};
	size_t bytes[PROFILE__MAX] = {0}, events = 0;
	static char line[1 << 16];
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: %s RULES.yaml BODIES.log\n", argv[0]);
		return 2;
	}
	if (engine_open(&e, argv[1]) < 0 || !(f = fopen(argv[2], "r"))) {
		fprintf(stderr, "bench_profile: cannot set up the engine or read %s\n", argv[2]);
		return 1;
	}
	for (int p = 0; p < PROFILE__MAX; p++)
		if (event_profile_new(&(struct profile_options){(enum output_profile)p}, &w[p]) < 0) {
			fprintf(stderr, "bench_profile: cannot build profile %d\n", p);
			return 1;
		}
	for (size_t i = 0; fgets(line, sizeof(line), f); i++) {
		size_t n = strcspn(line, "\n");
		struct record rec = {.msg = line,
				     .len = n,
				     .seq = i + 1,
				     .realtime_usec = 1700000000000000 + (long long)i,
				     .pid = 1234,
				     .priority = -1};

		line[n] = '\0';
		event_reset(&e.ev);
		if (normalize_record(e.norm, &rec, &e.ev) <= 0)
			continue;
		correlate_event(e.corr, &e.ev);
		for (int k = 0; k < PROFILE__MAX; k++) {
			int p = (int)((i + (size_t)k) % PROFILE__MAX);
			const char *js = NULL;
			size_t jl = 0;
			long long t = now_ns();

			for (int r = 0; r < REPS; r++)
				if (event_profile_render(w[p], &e.ev, &js, &jl) < 0)
					return 1;
			ns[p] += now_ns() - t;
			bytes[p] += jl;
		}
		events++;
	}
	fclose(f);
	if (!events) {
		fprintf(stderr, "bench_profile: no events\n");
		return 1;
	}
	for (int p = 0; p < PROFILE__MAX; p++) {
		printf("figure: profile_render_ns_per_event_%s %.1f\n", output_profile_name(p),
		       (double)ns[p] / (double)(events * REPS));
		printf("figure: profile_bytes_per_event_%s %.1f\n", output_profile_name(p),
		       (double)bytes[p] / (double)events);
	}
	for (int p = PROFILE_IKELOGD + 1; p < PROFILE__MAX; p++)
		printf("figure: profile_render_ratio_%s %.3f\n", output_profile_name(p),
		       (double)ns[p] / (double)ns[PROFILE_IKELOGD]);
	for (int p = 0; p < PROFILE__MAX; p++)
		event_profile_free(w[p]);
	engine_close(&e);
	return 0;
}
