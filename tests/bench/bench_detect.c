/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The detection table under a flood of distinct peers (make bench): N
 * peers (default 1,000,000), each answered at IKE_SA_INIT and failing
 * authentication once, one millisecond apart, through the engine with the
 * default options (detect.max_keys 65536). Prints "figure: NAME VALUE":
 *   detect_flood_peers            N
 *   detect_flood_keys_max         the most keys the table held
 *   detect_flood_evictions        keys evicted (counted in detect_evictions)
 *   detect_flood_bound_kib        detector_memory_bound: what the table may hold
 *   detect_flood_rss_growth_kib   peak RSS after the flood minus before it
 *   detect_flood_ns_per_event     CPU time per event
 * usage: bench_detect [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "detect.h"
#include "event.h"
#include "stats.h"

static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int drop(void *ud, const struct event *alert)
{
	(void)alert;
	++*(long *)ud;
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, alerts = 0;
	struct detect_options o;
	struct counters cnt = {0};
	struct detector *d;
	struct event ev;
	struct record rec = {0};
	size_t keys_max = 0;
	long rss0;
	double t0;

	detect_options_defaults(&o);
	if (detector_new(&o, &cnt, &d) < 0 || event_init(&ev, 4096) < 0)
		return 1;
	rss0 = peak_rss_kib();
	t0 = cpu_now();
	for (long i = 0; i < n; i++) {
		char ip[40], sa[24], id[24];

		snprintf(ip, sizeof(ip), "2001:db8::%lx:%lx", (i >> 16) & 0xffff, i & 0xffff);
		snprintf(sa, sizeof(sa), "%016lx", i);
		for (int k = 0; k < 2; k++) {
			event_reset(&ev);
			rec.realtime_usec = INT64_C(1795470351000000) + (int64_t)i * 1000 + k;
			ev.rec = &rec;
			snprintf(id, sizeof(id), "%015lx%d", i, k);
			event_set_str(&ev, F_EVENT_ID, id, strlen(id));
			event_set_str(&ev, F_TIMESTAMP, "-", 1);
			event_set_str(&ev, F_EVENT_TYPE, k ? "auth_failed" : "ike_init",
				      k ? 11 : 8);
			event_set_str(&ev, F_RESULT, k ? "failure" : "success", 7);
			event_set_str(&ev, F_ROLE, "responder", 9);
			event_set_str(&ev, F_IKE_SA_ID, sa, strlen(sa));
			event_set_text(&ev, F_PEER_IP, ip, strlen(ip));
			if (detect_event(d, &ev, drop, &alerts) < 0)
				return 1;
		}
		if (detector_keys(d) > keys_max)
			keys_max = detector_keys(d);
	}
	double cpu = cpu_now() - t0;

	printf("figure: detect_flood_peers %ld\n", n);
	printf("figure: detect_flood_keys_max %zu\n", keys_max);
	printf("figure: detect_flood_evictions %llu\n", (unsigned long long)cnt.detect_evictions);
	printf("figure: detect_flood_alerts %ld\n", alerts);
	printf("figure: detect_flood_bound_kib %zu\n", detector_memory_bound(d) / 1024);
	printf("figure: detect_flood_rss_growth_kib %ld\n", peak_rss_kib() - rss0);
	printf("figure: detect_flood_ns_per_event %.0f\n", cpu * 1e9 / (2.0 * (double)n));
	detector_free(d);
	event_done(&ev);
	return 0;
}
