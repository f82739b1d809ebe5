/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline's window and acknowledgements: a recording sink and source
 * (implementations of the ops, not mocks of a library) see exactly what
 * the daemon's real ones would.
 */
#include <errno.h>
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

#include "pipeline.h"
#include "sink.h"
#include "source.h"
#include "stage_opts.h"

#define WINDOW 8

struct rec_sink {
	uint64_t seqs[64];
	char json[64][1024];
	size_t n;
	bool ack_at_once;
	struct pipeline *pl;
};

struct rec_source {
	bool paused;
	unsigned pauses, resumes;
	uint64_t delivered[64];
	size_t n_delivered;
	bool in_submit;
	bool told_in_submit;
};

static int sink_write(void *s, uint64_t seq, const struct event *ev, const char *json, size_t len)
{
	struct rec_sink *k = s;

	assert_true(k->n < 64);
	k->seqs[k->n] = seq;
	snprintf(k->json[k->n], sizeof(k->json[0]), "%.*s", (int)len, json);
	k->n++;
	if (k->ack_at_once)
		pipeline_delivered(k->pl, seq);
	return 0;
}

static int sink_flush(void *s)
{
	return 0;
}

static const struct sink_ops rec_sink_ops = {
    .name = "rec", .write = sink_write, .flush = sink_flush};

static void src_pause(void *s, bool paused)
{
	struct rec_source *r = s;

	r->paused = paused;
	if (paused)
		r->pauses++;
	else
		r->resumes++;
}

static void src_delivered(void *s, uint64_t upto)
{
	struct rec_source *r = s;

	if (r->in_submit)
		r->told_in_submit = true;
	r->delivered[r->n_delivered++] = upto;
}

static const struct source_ops rec_source_ops = {
    .name = "rec", .pause = src_pause, .delivered = src_delivered};

struct fixture {
	struct config cfg;
	struct counters cnt;
	struct pipeline *pl;
	struct rec_sink sink;
	struct rec_source source;
	struct sink snk;
	struct source src;
	char dir[64];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char rules_a[] = "- id: t.init\n"
			      "  event: ike_init\n"
			      "  result: info\n"
			      "  scope: state\n"
			      "  pattern: '^initiating IKEv2 connection'\n"
			      "- id: t.authfail\n"
			      "  event: auth_failed\n"
			      "  result: failure\n"
			      "  scope: global\n"
			      "  pattern: '^authentication failed from (?<peer_ip>\\S+)'\n";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct diags errs = {0};
	char path[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ikelogd-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/rules.yaml", f->dir);
	write_file(path, rules_a);
	config_defaults(&f->cfg);
	free(f->cfg.rules.v[0]);
	f->cfg.rules.v[0] = strdup(path);
	free(f->cfg.rules.v[1]); /* the defaults name two tables: use the one written here */
	f->cfg.rules.v[1] = NULL;
	f->cfg.rules.n = 1;
	snprintf(path, sizeof(path), "%s/key", f->dir);
	free(f->cfg.redact.key_file);
	f->cfg.redact.key_file = strdup(path);
	f->cfg.redact.generate_key = true;
	f->cfg.limits.in_flight = WINDOW;
	assert_int_equal(pipeline_new(t_pipeline_opts(&f->cfg), &f->cnt, &f->pl, &errs), 0);
	f->sink.pl = f->pl;
	f->snk = (struct sink){.ops = &rec_sink_ops, .state = &f->sink};
	f->src = (struct source){.ops = &rec_source_ops, .state = &f->source};
	pipeline_attach(f->pl, &f->src, &f->snk);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	pipeline_free(f->pl);
	config_done(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int submit(struct fixture *f, const char *line)
{
	struct record rec = {.msg = line, .len = strlen(line), .priority = -1, .event_id = "e"};
	int r;

	f->source.in_submit = true;
	r = pipeline_submit(f->pl, &rec);
	f->source.in_submit = false;
	return r;
}

/* The window fills, the source is paused, and resumed at half the window. */
static void test_window_pauses_and_resumes(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < WINDOW - 1; i++)
		assert_int_equal(submit(f, "\"a\" #1: initiating IKEv2 connection"), 1);
	assert_false(f->source.paused);
	assert_int_equal(submit(f, "\"a\" #1: initiating IKEv2 connection"), 0);
	assert_true(f->source.paused);
	assert_int_equal(pipeline_in_flight(f->pl), WINDOW);
	assert_int_equal(f->cnt.in_flight, WINDOW);

	/* Three delivered: still above half, still paused. */
	pipeline_delivered(f->pl, 3);
	assert_true(f->source.paused);
	assert_int_equal(f->source.n_delivered, 1);
	assert_int_equal(f->source.delivered[0], 3);
	/* One more: half the window, resumed. */
	pipeline_delivered(f->pl, 4);
	assert_false(f->source.paused);
	assert_int_equal(f->source.resumes, 1);
	assert_int_equal(pipeline_delivered_upto(f->pl), 4);
	assert_int_equal(f->cnt.delivered, 4);
}

/*
 * Large events fill the byte window (half of limits.max_queue_bytes)
 * before the record window: the source pauses once the rendered bytes in
 * flight reach it, and resumes when both are down to half. Each event
 * carries a connection name of 1,500 bytes (the rules see the first 2,048
 * of a line), so it renders to more than 1,500 and less than 1,800 bytes.
 */
static void test_byte_window(void **state)
{
	struct fixture *f = *state;
	struct diags errs = {0};
	char line[2048];
	int r = 1, n = 0;

	line[0] = '"';
	memset(line + 1, 'x', 1500);
	snprintf(line + 1501, sizeof(line) - 1501, "\" #1: initiating IKEv2 connection");
	/* a window of 4 KiB: three such events (applied as a reload applies it) */
	f->cfg.limits.max_queue_bytes = 8 * 1024;
	assert_int_equal(pipeline_reload(f->pl, t_pipeline_opts(&f->cfg), &errs), 0);
	while (r == 1 && n < WINDOW) {
		r = submit(f, line);
		n++;
	}
	assert_int_equal(r, 0);
	assert_true(f->source.paused);
	assert_int_equal(n, 3);
	assert_true(f->cnt.in_flight_bytes > 3 * 1500 && f->cnt.in_flight_bytes < 3 * 1800);
	/* One delivered: over 2 KiB still in flight, still paused. */
	pipeline_delivered(f->pl, 1);
	assert_true(f->source.paused);
	/* Two: one event in flight, under half the bytes: resumed. */
	pipeline_delivered(f->pl, 2);
	assert_false(f->source.paused);
	assert_true(f->cnt.in_flight_bytes > 1500 && f->cnt.in_flight_bytes < 1800);
	pipeline_delivered(f->pl, 3);
	assert_int_equal(f->cnt.in_flight_bytes, 0);
}

/* A line that makes no event is delivered once everything before it is. */
static void test_dropped_lines_follow_their_predecessors(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(submit(f, "| debug line with key material"), 1); /* seq 1 */
	assert_int_equal(f->sink.n, 0);
	assert_int_equal(pipeline_delivered_upto(f->pl), 1);
	assert_int_equal(submit(f, "\"a\" #1: initiating IKEv2 connection"), 1); /* seq 2 */
	assert_int_equal(submit(f, "| another debug line"), 1);			 /* seq 3 */
	assert_int_equal(pipeline_delivered_upto(f->pl), 1);
	pipeline_delivered(f->pl, 2);
	assert_int_equal(pipeline_delivered_upto(f->pl), 3);
	assert_int_equal(f->source.delivered[f->source.n_delivered - 1], 3);
	assert_int_equal(f->cnt.debug_dropped, 2);
}

/*
 * A sink that acknowledges inside write: the source hears of it once, at the
 * end of the submit of that very record (source.h: it keeps upto until it
 * has recorded the seq).
 */
static void test_source_told_once_per_submit(void **state)
{
	struct fixture *f = *state;

	f->sink.ack_at_once = true;
	assert_int_equal(submit(f, "\"a\" #7: initiating IKEv2 connection"), 1);
	assert_true(f->source.told_in_submit);
	assert_int_equal(f->source.n_delivered, 1);
	assert_int_equal(f->source.delivered[0], 1);
	assert_int_equal(pipeline_in_flight(f->pl), 0);
}

/* What reaches the sink: the JSON of the event, unparsed lines included. */
static void test_events_reach_the_sink(void **state)
{
	struct fixture *f = *state;
	struct json_object *o, *v;

	submit(f, "\"west\" #4: initiating IKEv2 connection");
	submit(f, "something pluto never says");
	assert_int_equal(f->sink.n, 2);
	o = json_tokener_parse(f->sink.json[0]);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "event_type", &v));
	assert_string_equal(json_object_get_string(v), "ike_init");
	assert_true(json_object_object_get_ex(o, "state_serial", &v));
	assert_int_equal(json_object_get_int(v), 4);
	json_object_put(o);
	o = json_tokener_parse(f->sink.json[1]);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "event_type", &v));
	assert_string_equal(json_object_get_string(v), "unparsed");
	json_object_put(o);
	assert_int_equal(f->cnt.unparsed, 1);
	assert_int_equal(f->cnt.matched, 1);
}

/* A reload with a bad rule file keeps the old rules; a good one replaces them. */
static void test_reload(void **state)
{
	struct fixture *f = *state;
	struct config cfg2;
	struct diags errs = {0};
	char path[128];
	struct json_object *o, *v;

	snprintf(path, sizeof(path), "%s/bad.yaml", f->dir);
	write_file(
	    path,
	    "- id: x\n  event: ike_init\n  result: info\n  scope: any\n  pattern: '(unclosed'\n");
	config_defaults(&cfg2);
	free(cfg2.rules.v[0]);
	cfg2.rules.v[0] = strdup(path);
	free(cfg2.rules.v[1]);
	cfg2.rules.v[1] = NULL;
	cfg2.rules.n = 1;
	free(cfg2.redact.key_file);
	cfg2.redact.key_file = strdup(f->cfg.redact.key_file);
	assert_int_equal(pipeline_reload(f->pl, t_pipeline_opts(&cfg2), &errs), -EINVAL);
	assert_true(errs.n > 0);
	submit(f, "\"a\" #1: initiating IKEv2 connection");
	o = json_tokener_parse(f->sink.json[0]);
	assert_true(json_object_object_get_ex(o, "rule", &v));
	assert_string_equal(json_object_get_string(v), "t.init");
	json_object_put(o);

	write_file(path, "- id: t.other\n  event: conn_add\n  result: info\n"
			 "  scope: state\n  pattern: 'initiating IKEv2'\n");
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(pipeline_reload(f->pl, t_pipeline_opts(&cfg2), &errs), 0);
	submit(f, "\"a\" #1: initiating IKEv2 connection");
	o = json_tokener_parse(f->sink.json[1]);
	assert_true(json_object_object_get_ex(o, "rule", &v));
	assert_string_equal(json_object_get_string(v), "t.other");
	json_object_put(o);
	/* The pipeline now borrows cfg2; put the fixture's back before it goes. */
	assert_int_equal(pipeline_reload(f->pl, t_pipeline_opts(&f->cfg), &errs), 0);
	config_done(&cfg2);
}

/* The stats event carries every counter and takes its place in the window. */
static void test_stats_event(void **state)
{
	struct fixture *f = *state;
	struct json_object *o, *c, *v;

	submit(f, "\"a\" #1: initiating IKEv2 connection");
	assert_int_equal(pipeline_emit_stats(f->pl), 0);
	assert_int_equal(f->sink.n, 2);
	o = json_tokener_parse(f->sink.json[1]);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "event_type", &v));
	assert_string_equal(json_object_get_string(v), "daemon_stats");
	assert_true(json_object_object_get_ex(o, "counters", &c));
	assert_true(json_object_object_get_ex(c, "lines_read", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_int_equal(json_object_object_length(c), counter_table_len);
	json_object_put(o);
	assert_int_equal(pipeline_in_flight(f->pl), 2);
}

/*
 * detections (detect.c): an alert goes to the same sink after the event
 * that raised it, with a seq of its own that the window tracks.
 */
static void test_alert_after_its_event(void **state)
{
	struct fixture *f = *state;
	char id[16];

	for (int i = 0; i < 6; i++) {
		struct record rec = {.msg = "authentication failed from 192.0.2.9",
				     .priority = -1,
				     .event_id = id,
				     .realtime_usec =
					 INT64_C(1795470351000000) + i * INT64_C(5000000)};

		snprintf(id, sizeof(id), "f%d", i);
		rec.len = strlen(rec.msg);
		assert_int_equal(pipeline_submit(f->pl, &rec), 1);
	}
	/* six events, then the alert */
	assert_int_equal(f->sink.n, 7);
	assert_int_equal(f->sink.seqs[5], 6);
	assert_int_equal(f->sink.seqs[6], 7);
	assert_non_null(strstr(f->sink.json[6], "\"event_type\":\"alert\""));
	assert_non_null(strstr(f->sink.json[6], "\"peer_ip\":\"192.0.2.9\""));
	assert_non_null(
	    strstr(f->sink.json[6], "\"event_ids\":[\"f0\",\"f1\",\"f2\",\"f3\",\"f4\",\"f5\"]"));
	assert_int_equal(pipeline_in_flight(f->pl), 7);
	assert_int_equal(f->cnt.detect_alerts, 1);
	pipeline_delivered(f->pl, 7);
	assert_int_equal(pipeline_delivered_upto(f->pl), 7);
	assert_int_equal(pipeline_in_flight(f->pl), 0);
}

/*
 * ike_sa_summary: the counts the field table has no slots for follow the
 * event's fields at the top level, with the times of the SA's first and
 * last lines; a duration is seconds to the millisecond, rounded.
 */
static void test_summary_counts(void **state)
{
	struct fixture *f = *state;
	static const int64_t t0 = INT64_C(1795470351000000);
	/*
	 * #1 lasts 1.2345678 s (1.235 once rounded), #2 exactly 2 s, #3 starts
	 * and ends within one second: from .250001 to .987654
	 */
	static const int64_t dt[3][2] = {{0, 1234567}, {0, 2000000}, {250001, 987654}};
	struct json_object *o, *v;
	char msg[64];

	f->sink.ack_at_once = true;
	assert_int_equal(pipeline_set_summary(f->pl, true), 0);
	for (int sa = 0; sa < 3; sa++)
		for (int k = 0; k < 2; k++) {
			struct record rec = {.msg = msg,
					     .priority = -1,
					     .event_id = "e",
					     .realtime_usec = t0 + dt[sa][k]};

			snprintf(msg, sizeof(msg), "\"a\" #%d: initiating IKEv2 connection",
				 sa + 1);
			rec.len = strlen(msg);
			assert_true(pipeline_submit(f->pl, &rec) >= 0);
		}
	assert_int_equal(pipeline_emit_summaries(f->pl), 0);
	assert_int_equal(f->sink.n, 9);
	o = json_tokener_parse(f->sink.json[6]);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "event_type", &v));
	assert_string_equal(json_object_get_string(v), "ike_sa_summary");
	assert_true(json_object_object_get_ex(o, "start_time", &v));
	assert_string_equal(json_object_get_string(v), "2026-11-23T21:45:51.000000Z");
	assert_true(json_object_object_get_ex(o, "end_time", &v));
	assert_string_equal(json_object_get_string(v), "2026-11-23T21:45:52.234567Z");
	assert_true(json_object_object_get_ex(o, "duration_s", &v));
	assert_true(json_object_is_type(v, json_type_double));
	assert_true(json_object_get_double(v) == 1.235);
	assert_true(json_object_object_get_ex(o, "outcome", &v));
	assert_string_equal(json_object_get_string(v), "failed");
	/* never established: it failed, whether or not it was still open at the end */
	assert_true(json_object_object_get_ex(o, "end_reason", &v));
	assert_string_equal(json_object_get_string(v), "failed");
	assert_true(json_object_object_get_ex(o, "child_sa_created", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 0);
	assert_true(json_object_object_get_ex(o, "first_event_id", &v));
	assert_string_equal(json_object_get_string(v), "e");
	json_object_put(o);
	/* whole seconds keep a fraction: still a JSON number with a decimal point */
	assert_non_null(strstr(f->sink.json[7], "\"duration_s\":2.0,"));
	assert_non_null(strstr(f->sink.json[7], "\"ike_sa_rekeys\":0,"));
	assert_int_equal(f->sink.json[7][strlen(f->sink.json[7]) - 1], '}');
	/* within one second: the start keeps its own microseconds */
	o = json_tokener_parse(f->sink.json[8]);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "start_time", &v));
	assert_string_equal(json_object_get_string(v), "2026-11-23T21:45:51.250001Z");
	assert_true(json_object_object_get_ex(o, "end_time", &v));
	assert_string_equal(json_object_get_string(v), "2026-11-23T21:45:51.987654Z");
	assert_true(json_object_object_get_ex(o, "duration_s", &v));
	assert_true(json_object_get_double(v) == 0.738);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_window_pauses_and_resumes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_byte_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dropped_lines_follow_their_predecessors, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_source_told_once_per_submit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events_reach_the_sink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alert_after_its_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_summary_counts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
