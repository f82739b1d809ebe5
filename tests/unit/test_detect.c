/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The detection engine's mechanics on events built field by field (the
 * detections on real pluto lines are tests/integration/detect.sh): window
 * edges on event time, one count per IKE SA, a failure counted once a later
 * line of its SA names the peer, suppression, the bounded key table and
 * its evictions, and the alert's own fields as the writer renders them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "detect.h"
#include "event.h"
#include "stats.h"

#define T0 INT64_C(1795470351) /* 2026-11-23T21:45:51Z */

struct sink {
	int n;
	char last[2048];
	char detection[64];
	int64_t count;
	char key[64];
};

static int collect(void *ud, const struct event *a)
{
	struct sink *s = ud;
	struct event_json *w;
	const char *json, *v;
	size_t len;

	s->n++;
	v = event_str(a, F_DETECTION, NULL);
	snprintf(s->detection, sizeof(s->detection), "%s", v ? v : "");
	s->count = event_int(a, F_COUNT, -1);
	v = event_str(a, F_PEER_IP, NULL);
	snprintf(s->key, sizeof(s->key), "%s", v ? v : "");
	assert_int_equal(event_json_new(&w), 0);
	assert_int_equal(event_json_render(w, a, &json, &len), 0);
	snprintf(s->last, sizeof(s->last), "%s", json);
	event_json_free(w);
	return 0;
}

/* One event: type, result, time (seconds after T0), peer IP, IKE SA; NULL leaves a field out. */
static void make(struct event *ev, const char *type, const char *result, double at, const char *ip,
		 const char *sa, const char *id)
{
	char ts[40];
	time_t s = (time_t)(T0 + (int64_t)at);
	struct tm tm;
	size_t n;

	event_reset(ev);
	gmtime_r(&s, &tm);
	n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%06dZ", (int)((at - (int64_t)at) * 1e6));
	event_set_str(ev, F_TIMESTAMP, ts, strlen(ts));
	event_set_str(ev, F_EVENT_TYPE, type, strlen(type));
	event_set_str(ev, F_RESULT, result, strlen(result));
	event_set_str(ev, F_EVENT_ID, id, strlen(id));
	if (ip)
		event_set_text(ev, F_PEER_IP, ip, strlen(ip));
	if (sa)
		event_set_str(ev, F_IKE_SA_ID, sa, strlen(sa));
}

struct fixture {
	struct detect_options o;
	struct counters cnt;
	struct detector *d;
	struct event ev;
	struct sink s;
};

static struct fixture *fx_new(void (*tune)(struct detect_options *))
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	detect_options_defaults(&f->o);
	if (tune)
		tune(&f->o);
	assert_int_equal(detector_new(&f->o, &f->cnt, &f->d), 0);
	assert_int_equal(event_init(&f->ev, 4096), 0);
	return f;
}

static void fx_free(struct fixture *f)
{
	detector_free(f->d);
	event_done(&f->ev);
	free(f);
}

/* An authentication failure of IKE SA sa from ip at time at. */
static int failure(struct fixture *f, double at, const char *ip, const char *sa)
{
	char id[17];

	snprintf(id, sizeof(id), "%016llx", (unsigned long long)(at * 1000));
	make(&f->ev, "auth_failed", "failure", at, ip, sa, id);
	return detect_event(f->d, &f->ev, collect, &f->s);
}

/* Defaults: more than 5 in 300 s. Six failures 60 s apart span exactly 300 s: one alert. */
static void test_window_edges(void **state)
{
	struct fixture *f = fx_new(NULL);
	char sa[16];

	(void)state;
	for (int i = 0; i < 6; i++) {
		snprintf(sa, sizeof(sa), "sa%d", i);
		assert_int_equal(failure(f, 60.0 * i, "192.0.2.1", sa), i == 5 ? 1 : 0);
	}
	assert_int_equal(f->s.n, 1);
	assert_string_equal(f->s.detection, "auth_failure_burst");
	assert_string_equal(f->s.key, "192.0.2.1");
	assert_int_equal(f->s.count, 6);
	fx_free(f);

	/* 300.5 s: the first has left the window when the sixth comes. */
	f = fx_new(NULL);
	for (int i = 0; i < 6; i++) {
		snprintf(sa, sizeof(sa), "sa%d", i);
		failure(f, i == 5 ? 300.5 : 60.0 * i, "192.0.2.1", sa);
	}
	assert_int_equal(f->s.n, 0);
	/* Another peer does not add to this one's window. */
	failure(f, 301, "192.0.2.2", "other");
	assert_int_equal(f->s.n, 0);
	fx_free(f);
}

/* Many failure lines of one IKE SA count once. */
static void test_once_per_sa(void **state)
{
	struct fixture *f = fx_new(NULL);

	(void)state;
	for (int i = 0; i < 20; i++)
		failure(f, i, "192.0.2.1", "the-same-sa");
	assert_int_equal(f->s.n, 0);
	fx_free(f);
}

/* The failing line names no peer: the failure counts when a later line of its SA does. */
static void test_peer_from_later_line(void **state)
{
	struct fixture *f = fx_new(NULL);
	char sa[16];

	(void)state;
	for (int i = 0; i < 6; i++) {
		snprintf(sa, sizeof(sa), "sa%d", i);
		failure(f, 5.0 * i, NULL, sa);
		assert_int_equal(f->s.n, 0);
		make(&f->ev, "auth_failed", "info", 5.0 * i, "198.51.100.7", sa,
		     "ffffffffffffffff");
		detect_event(f->d, &f->ev, collect, &f->s);
	}
	assert_int_equal(f->s.n, 1);
	assert_string_equal(f->s.key, "198.51.100.7");
	/* the evidence is the failing events, not the lines that named the peer */
	assert_non_null(strstr(f->s.last, "\"first_event_id\":\"0000000000000000\""));
	assert_non_null(strstr(f->s.last, "\"last_event_id\":\"00000000000061a8\""));
	assert_null(strstr(f->s.last, "ffffffffffffffff"));
	fx_free(f);
}

static void tune_suppress(struct detect_options *o)
{
	o->suppress_s = 10;
}

/* One alert per key per quiet time; the next after it, while the burst goes on. */
static void test_suppression(void **state)
{
	struct fixture *f = fx_new(tune_suppress);
	char sa[16];

	(void)state;
	for (int i = 0; i < 12; i++) {
		snprintf(sa, sizeof(sa), "sa%d", i);
		failure(f, 2.0 * i, "192.0.2.1", sa);
	}
	/* alerts at the 6th (t=10) and at the first after t=20 (the 11th, t=20) */
	assert_int_equal(f->s.n, 2);
	/* the second at t=20, the moment the quiet time ends */
	assert_non_null(strstr(f->s.last, "\"last_event_id\":\"0000000000004e20\""));
	assert_int_equal(f->cnt.detect_alerts, 2);
	assert_int_equal(f->cnt.detect_suppressed, 5);
	fx_free(f);
}

/* The alert as the writer renders it: its fields and evidence list. */
static void test_alert_fields(void **state)
{
	struct fixture *f = fx_new(NULL);
	char sa[16];

	(void)state;
	for (int i = 0; i < 12; i++) {
		snprintf(sa, sizeof(sa), "sa%d", i);
		failure(f, 0.25 * i, "192.0.2.1", sa);
	}
	assert_int_equal(f->s.n, 1);
	assert_non_null(strstr(f->s.last, "\"event_type\":\"alert\""));
	assert_non_null(strstr(f->s.last, "\"severity\":\"warning\""));
	assert_non_null(strstr(f->s.last, "\"timestamp\":\"2026-11-23T21:45:52.250000Z\""));
	assert_non_null(strstr(f->s.last, "\"window_s\":300,\"count\":6,\"threshold\":5"));
	assert_non_null(strstr(f->s.last,
			       "\"event_ids\":[\"0000000000000000\",\"00000000000000fa\","
			       "\"00000000000001f4\",\"00000000000002ee\","
			       "\"00000000000003e8\",\"00000000000004e2\"]"));
	assert_non_null(strstr(f->s.last, "\"summary\":\"6 authentication failures from 192.0.2.1 "
					  "within 300 s (threshold 5)\""));
	/* an alert is not fed back in */
	make(&f->ev, "alert", "failure", 10, "192.0.2.1", "x", "1");
	assert_int_equal(detect_event(f->d, &f->ev, collect, &f->s), 0);
	/* nor is an event without a timestamp */
	make(&f->ev, "auth_failed", "failure", 10, "192.0.2.1", "y", "2");
	event_unset(&f->ev, F_TIMESTAMP);
	assert_int_equal(detect_event(f->d, &f->ev, collect, &f->s), 0);
	fx_free(f);
}

static void tune_small(struct detect_options *o)
{
	o->max_keys = 1000;
}

/*
 * 100,000 distinct peers, one failure each (with its IKE SA): the table
 * holds max_keys entries at most and counts every eviction.
 */
static void test_bounded_keys(void **state)
{
	struct fixture *f = fx_new(tune_small);
	char ip[32], sa[16];

	(void)state;
	for (int i = 0; i < 100000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		snprintf(sa, sizeof(sa), "%d", i);
		failure(f, 0.001 * i, ip, sa);
		assert_true(detector_keys(f->d) <= 1000);
	}
	assert_int_equal(detector_keys(f->d), 1000);
	assert_int_equal(f->cnt.detect_keys, 1000);
	/* two keys per peer (its IKE SA, its address): 200,000 made, 1,000 kept */
	assert_int_equal(f->cnt.detect_evictions, 200000 - 1000);
	assert_int_equal(f->s.n, 0);
	assert_true(detector_memory_bound(f->d) > 1000 * sizeof(void *));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_edges),	 cmocka_unit_test(test_once_per_sa),
	    cmocka_unit_test(test_peer_from_later_line), cmocka_unit_test(test_suppression),
	    cmocka_unit_test(test_alert_fields),	 cmocka_unit_test(test_bounded_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
