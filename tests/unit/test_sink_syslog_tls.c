/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog-tls and syslog-tcp sinks against a collector on loopback
 * (tls_harness.h) served from the test's own sd-event loop, with the real
 * pipeline in front and a recording source behind it: what the collector
 * reads (RFC 5425 octet-counted frames of RFC 5424 messages), when the
 * pipeline is told events are delivered (only once the collector's TCP
 * stack has acknowledged their bytes), reconnection and resending after
 * the collector closes, failover, backpressure, and the configurations
 * refused at open.
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

#include "config.h"
#include "pipeline.h"
#include "sink.h"
#include "source.h"
#include "tls_harness.h"
#include "stage_opts.h"

static const char rules_yaml[] = "- id: t.init\n"
				 "  event: ike_init\n"
				 "  result: info\n"
				 "  scope: state\n"
				 "  pattern: '^initiating IKEv2 connection'\n";

/* The source end: what the pipeline tells it. */
struct rec_source {
	uint64_t delivered_upto;
	unsigned pauses, resumes;
	bool paused;
};

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

	r->delivered_upto = upto;
}

static const struct source_ops rec_source_ops = {
    .name = "rec", .pause = src_pause, .delivered = src_delivered};

struct fx {
	char dir[64], ca[128], cfgpath[128], rules[128];
	struct test_cert ca_cert, leaf;
	SSL_CTX *sctx;
	struct config cfg;
	struct counters cnt;
	sd_event *e;
	struct pipeline *pl;
	struct rec_source rs;
	struct source src;
	struct sink snk;
	struct th_server sv;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_sink_syslog_tls.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->ca, sizeof(f->ca), "%s/ca.pem", f->dir);
	snprintf(f->cfgpath, sizeof(f->cfgpath), "%s/ikelogd.yaml", f->dir);
	snprintf(f->rules, sizeof(f->rules), "%s/rules.yaml", f->dir);
	write_file(f->rules, rules_yaml);
	f->ca_cert = th_cert("ikelogd test CA", NULL, -3600, 86400, NULL);
	f->leaf = th_cert("collector.test", "IP:127.0.0.1", -3600, 86400, &f->ca_cert);
	th_write_pem(&f->ca_cert, f->ca, NULL);
	f->sctx = th_server_ctx(&f->leaf);
	if (sd_event_new(&f->e) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (f->snk.state)
		f->snk.ops->close(f->snk.state);
	pipeline_free(f->pl);
	config_done(&f->cfg);
	th_server_stop(&f->sv);
	SSL_CTX_free(f->sctx);
	th_cert_free(&f->leaf);
	th_cert_free(&f->ca_cert);
	sd_event_unref(f->e);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/*
 * Loads a configuration: the output section given (type, collectors and
 * anything else), the rest common to every test. Returns config_load's result.
 */
static int load_config(struct fx *f, const char *output_yaml, unsigned in_flight)
{
	char text[4096];
	struct diags errs = {0};
	int r;

	snprintf(text, sizeof(text),
		 "source: { type: stdin }\n"
		 "rules: [%s]\n"
		 "redact: { key_file: %s/key, generate_key: true }\n"
		 "limits: { in_flight: %u }\n"
		 "output:\n"
		 "  ca_file: %s\n"
		 "  cert_file: \"\"\n"
		 "  key_file: \"\"\n"
		 "  hostname: gw1.test\n"
		 "  facility: authpriv\n"
		 "  backoff_min_ms: 20\n"
		 "  backoff_max_ms: 40\n"
		 "  connect_timeout_ms: 2000\n"
		 "  handshake_timeout_ms: 2000\n"
		 "%s",
		 f->rules, f->dir, in_flight, f->ca, output_yaml);
	write_file(f->cfgpath, text);
	config_done(&f->cfg);
	config_defaults(&f->cfg);
	r = config_load(f->cfgpath, &f->cfg, &errs);
	for (size_t i = 0; i < errs.n; i++)
		print_message("config: %s\n", errs.v[i].msg);
	return r;
}

/* Builds the pipeline and opens the sink of the configured type. Returns open's result. */
static int open_sink(struct fx *f, struct diags *errs)
{
	const struct sink_ops *ops = sink_find(f->cfg.output.type);
	int r;

	assert_non_null(ops);
	assert_int_equal(pipeline_new(t_pipeline_opts(&f->cfg), &f->cnt, &f->pl, errs), 0);
	f->src = (struct source){.ops = &rec_source_ops, .state = &f->rs};
	f->snk = (struct sink){.ops = ops};
	r = ops->open(t_sink_opts(&f->cfg), f->e, f->pl, &f->cnt, &f->snk.state, errs);
	for (size_t i = 0; i < errs->n; i++)
		print_message("open: %s\n", errs->v[i].msg);
	if (r == 0)
		pipeline_attach(f->pl, &f->src, &f->snk);
	return r;
}

/* One collector, TLS (ctx) or plain TCP (NULL), and the sink pointed at it. */
static void start_rcvbuf(struct fx *f, SSL_CTX *ctx, const char *type, const char *extra,
			 unsigned in_flight, int rcvbuf)
{
	char out[1024];
	struct diags errs = {0};

	assert_int_equal(th_server_start(&f->sv, f->e, ctx, false), 0);
	/* inherited by the connections it accepts */
	if (rcvbuf)
		assert_int_equal(
		    setsockopt(f->sv.lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	snprintf(out, sizeof(out),
		 "  type: %s\n"
		 "  collectors: [{ host: 127.0.0.1, port: %u }]\n"
		 "%s",
		 type, f->sv.port, extra ? extra : "");
	assert_int_equal(load_config(f, out, in_flight), 0);
	assert_int_equal(open_sink(f, &errs), 0);
}

static void start(struct fx *f, SSL_CTX *ctx, const char *type, const char *extra,
		  unsigned in_flight)
{
	start_rcvbuf(f, ctx, type, extra, in_flight, 0);
}

/* Submits one line the rule turns into an ike_init event for connection name. */
static int submit(struct fx *f, const char *name, unsigned serial)
{
	char line[70000];
	struct record rec = {.priority = -1, .realtime_usec = 1765000000123456};

	snprintf(line, sizeof(line), "\"%s\" #%u: initiating IKEv2 connection", name, serial);
	rec.msg = line;
	rec.len = strlen(line);
	return pipeline_submit(f->pl, &rec);
}

/*
 * Splits RFC 5425 frames ("MSG-LEN SP SYSLOG-MSG"): returns how many
 * complete ones p[0..n) holds; fails the test on a malformed length.
 */
static size_t frames(const char *p, size_t n, const char **msg, size_t *len, size_t max)
{
	size_t k = 0, i = 0;

	while (i < n) {
		size_t v = 0, j = i;

		while (j < n && p[j] >= '0' && p[j] <= '9')
			v = v * 10 + (size_t)(p[j++] - '0');
		if (j == n)
			break; /* the length is not complete yet */
		if (j == i || p[j] != ' ' || p[i] == '0')
			fail_msg("not an octet count at byte %zu", i);
		if (j + 1 + v > n)
			break;
		if (k < max) {
			msg[k] = p + j + 1;
			len[k] = v;
		}
		k++;
		i = j + 1 + v;
	}
	return k;
}

static size_t count_frames(const char *p, size_t n)
{
	return p ? frames(p, n, NULL, NULL, 0) : 0;
}

/* Runs the loop until the pipeline has everything up to seq delivered. */
static void run_until_delivered(struct fx *f, uint64_t seq)
{
	RUN_UNTIL(f->e, pipeline_delivered_upto(f->pl) >= seq, 5000);
	assert_int_equal(pipeline_delivered_upto(f->pl), seq);
}

/*
 * One RFC 5424 message as RFC 5424 section 6 and this sink's header
 * describe it: "<86>1 TIMESTAMP gw1.test ikelogd PID ike_init
 * [ikelogd@32473 eid="..."] {json}"; authpriv (10) * 8 + info (6) = 86.
 */
static void check_message(const char *m, size_t len, const char *conn_name, char *eid_out)
{
	char head[512], want[128];
	const char *sp[6], *sd, *json;
	struct json_object *o, *v;
	size_t k = 0;

	for (size_t i = 0; i < len && k < 6; i++)
		if (m[i] == ' ')
			sp[k++] = m + i;
	assert_int_equal(k, 6);
	snprintf(head, sizeof(head), "%.*s", (int)(sp[0] - m), m);
	assert_string_equal(head, "<86>1");
	snprintf(head, sizeof(head), "%.*s", (int)(sp[1] - sp[0] - 1), sp[0] + 1);
	assert_string_equal(head, "2025-12-06T05:46:40.123456Z");
	snprintf(head, sizeof(head), "%.*s", (int)(sp[2] - sp[1] - 1), sp[1] + 1);
	assert_string_equal(head, "gw1.test");
	snprintf(head, sizeof(head), "%.*s", (int)(sp[3] - sp[2] - 1), sp[2] + 1);
	assert_string_equal(head, "ikelogd");
	snprintf(head, sizeof(head), "%.*s", (int)(sp[4] - sp[3] - 1), sp[3] + 1);
	snprintf(want, sizeof(want), "%d", (int)getpid());
	assert_string_equal(head, want);
	snprintf(head, sizeof(head), "%.*s", (int)(sp[5] - sp[4] - 1), sp[4] + 1);
	assert_string_equal(head, "ike_init");
	/* STRUCTURED-DATA: one element, our SD-ID with the event id; then SP and MSG */
	sd = sp[5] + 1;
	json = memchr(sd, ']', len - (size_t)(sd - m));
	assert_non_null(json);
	assert_int_equal(json[1], ' ');
	json += 2;
	o = json_tokener_parse(json);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "event_type", &v));
	assert_string_equal(json_object_get_string(v), "ike_init");
	assert_true(json_object_object_get_ex(o, "conn_name", &v));
	assert_string_equal(json_object_get_string(v), conn_name);
	assert_true(json_object_object_get_ex(o, "event_id", &v));
	/* the eid SD-PARAM is the event's id */
	snprintf(want, sizeof(want), "[ikelogd@32473 eid=\"%s\"] ", json_object_get_string(v));
	assert_int_equal(json - sd, strlen(want));
	assert_memory_equal(sd, want, strlen(want));
	if (eid_out)
		snprintf(eid_out, 64, "%s", json_object_get_string(v));
	json_object_put(o);
	/* the frame ends where the JSON ends: nothing after it, no newline */
	assert_int_equal(m[len - 1], '}');
}

static void test_frames_and_delivery(void **state)
{
	struct fx *f = *state;
	const char *msg[8];
	size_t len[8];
	char name[8];

	start(f, f->sctx, "syslog-tls", NULL, 64);
	for (unsigned i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "conn%u", i);
		assert_int_equal(submit(f, name, i), 1);
	}
	run_until_delivered(f, 3);
	assert_int_equal(f->rs.delivered_upto, 3);
	assert_int_equal(f->cnt.acknowledged, 3);
	assert_int_equal(f->cnt.sent, 3);
	assert_int_equal(f->cnt.delivered, 3);
	assert_int_equal(f->sv.handshakes, 1);
	RUN_UNTIL(f->e, count_frames(f->sv.got, f->sv.n) >= 3, 2000);
	assert_int_equal(frames(f->sv.got, f->sv.n, msg, len, 8), 3);
	for (unsigned i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "conn%u", i + 1);
		check_message(msg[i], len[i], name, NULL);
	}
	/* the frames are all there is: the last one ends the stream */
	assert_true(msg[2] + len[2] == f->sv.got + f->sv.n);
	assert_int_equal(f->snk.ops->flush(f->snk.state), 0);
}

/*
 * A collector whose kernel accepts the TCP connection but who never
 * answers the handshake: nothing is written, so nothing may be reported
 * delivered. Once it answers, everything is.
 */
static void test_not_delivered_before_written(void **state)
{
	struct fx *f = *state;

	start(f, f->sctx, "syslog-tls", NULL, 64);
	/* the listener stays in the kernel's hands: connections wait in its queue */
	sd_event_source_set_enabled(f->sv.lsrc, SD_EVENT_OFF);
	for (unsigned i = 1; i <= 5; i++)
		assert_int_equal(submit(f, "early", i), 1);
	RUN_UNTIL(f->e, false, 300);
	assert_int_equal(pipeline_delivered_upto(f->pl), 0);
	assert_int_equal(f->rs.delivered_upto, 0);
	assert_int_equal(pipeline_in_flight(f->pl), 5);
	assert_int_equal(f->cnt.sent, 0);
	assert_int_equal(f->snk.ops->flush(f->snk.state), -EAGAIN);
	sd_event_source_set_enabled(f->sv.lsrc, SD_EVENT_ON);
	run_until_delivered(f, 5);
	RUN_UNTIL(f->e, count_frames(f->sv.got, f->sv.n) >= 5, 2000);
	assert_int_equal(count_frames(f->sv.got, f->sv.n), 5);
}

/*
 * A collector that stops reading: once its receive buffer and our send
 * buffer are full, bytes stay unacknowledged and their events undelivered;
 * the window fills and the source is paused. When it reads again all is
 * delivered and the source resumed.
 */
static void test_backpressure(void **state)
{
	struct fx *f = *state;
	static char big[60001];
	unsigned submitted = 0;

	memset(big, 'b', sizeof(big) - 1);
	start_rcvbuf(f, f->sctx, "syslog-tls", "  write_timeout_ms: 60000\n", 128, 4096);
	assert_int_equal(submit(f, "first", 1), 1);
	run_until_delivered(f, 1);
	/* that connection got the small buffer: the collector now stops reading */
	f->sv.reading = false;
	while (submitted < 1000) {
		int r = submit(f, big, ++submitted + 1);

		assert_true(r >= 0);
		if (r == 0)
			break;
		RUN_UNTIL(f->e, false, 10);
	}
	assert_true(f->rs.paused);
	assert_int_equal(f->rs.pauses, 1);
	/* the loop runs on; what is unacknowledged stays undelivered */
	RUN_UNTIL(f->e, false, 500);
	print_message("submitted %u, sent %lu, acknowledged %lu, delivered up to %lu\n", submitted,
		      (unsigned long)f->cnt.sent, (unsigned long)f->cnt.acknowledged,
		      (unsigned long)pipeline_delivered_upto(f->pl));
	assert_true(f->rs.paused);
	assert_true(pipeline_delivered_upto(f->pl) < submitted + 1);
	assert_true(f->cnt.acknowledged < f->cnt.events_out);
	assert_true(f->cnt.sent > f->cnt.acknowledged);
	assert_int_equal(pipeline_in_flight(f->pl), submitted + 1 - pipeline_delivered_upto(f->pl));
	th_server_resume(&f->sv);
	run_until_delivered(f, submitted + 1);
	assert_false(f->rs.paused);
	assert_true(f->rs.resumes >= 1);
	RUN_UNTIL(f->e, count_frames(f->sv.got, f->sv.n) >= submitted + 1, 5000);
	assert_int_equal(count_frames(f->sv.got, f->sv.n), submitted + 1);
	assert_int_equal(f->cnt.resent, 0);
}

/*
 * The collector closes the connection after three events were
 * acknowledged: the sink reconnects, and sends those three again (kept for
 * the resend window) before the new ones, with the same event ids.
 */
static void test_reconnect_resends(void **state)
{
	struct fx *f = *state;
	const char *msg[16];
	size_t len[16];
	char eid_before[3][64], eid_after[64], name[8];
	size_t n_before;

	start(f, f->sctx, "syslog-tls", NULL, 64);
	for (unsigned i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "conn%u", i);
		assert_int_equal(submit(f, name, i), 1);
	}
	run_until_delivered(f, 3);
	RUN_UNTIL(f->e, count_frames(f->sv.got, f->sv.n) >= 3, 2000);
	assert_int_equal(frames(f->sv.got, f->sv.n, msg, len, 16), 3);
	for (unsigned i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "conn%u", i + 1);
		check_message(msg[i], len[i], name, eid_before[i]);
	}
	n_before = f->sv.n;
	th_server_drop(&f->sv); /* the collector goes away */
	RUN_UNTIL(f->e, f->sv.accepted == 2 && count_frames(f->sv.got, f->sv.n) >= 6, 5000);
	assert_int_equal(f->sv.accepted, 2);
	assert_int_equal(f->cnt.reconnects, 1);
	assert_int_equal(f->cnt.resent, 3);
	assert_int_equal(frames(f->sv.got + n_before, f->sv.n - n_before, msg, len, 16), 3);
	for (unsigned i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "conn%u", i + 1);
		check_message(msg[i], len[i], name, eid_after);
		assert_string_equal(eid_after, eid_before[i]);
	}
	/* new events go on the new connection, after the resent ones */
	assert_int_equal(submit(f, "conn4", 4), 1);
	run_until_delivered(f, 4);
	RUN_UNTIL(f->e, count_frames(f->sv.got, f->sv.n) >= 7, 2000);
	assert_int_equal(frames(f->sv.got + n_before, f->sv.n - n_before, msg, len, 16), 4);
	check_message(msg[3], len[3], "conn4", NULL);
	assert_int_equal(f->rs.delivered_upto, 4);
}

/* Events written while no collector is reachable go out once one is. */
static void test_collector_down_at_start(void **state)
{
	struct fx *f = *state;
	struct diags errs = {0};
	char out[256];

	assert_int_equal(th_server_down(&f->sv, f->e, f->sctx), 0);
	snprintf(out, sizeof(out),
		 "  type: syslog-tls\n"
		 "  collectors: [{ host: 127.0.0.1, port: %u }]\n",
		 f->sv.port);
	assert_int_equal(load_config(f, out, 64), 0);
	assert_int_equal(open_sink(f, &errs), 0);
	for (unsigned i = 1; i <= 2; i++)
		assert_int_equal(submit(f, "waiting", i), 1);
	RUN_UNTIL(f->e, false, 200);
	assert_int_equal(pipeline_delivered_upto(f->pl), 0);
	assert_int_equal(f->cnt.sent, 0);
	assert_int_equal(th_server_up(&f->sv), 0);
	run_until_delivered(f, 2);
	RUN_UNTIL(f->e, count_frames(f->sv.got, f->sv.n) >= 2, 2000);
	assert_int_equal(count_frames(f->sv.got, f->sv.n), 2);
	assert_int_equal(f->cnt.reconnects, 0); /* the first connection, not a reconnection */
}

/*
 * A collector that stops acknowledging for longer than write_timeout_ms:
 * the connection is given up and a new one made, where everything not
 * acknowledged is sent again.
 */
static void test_write_timeout(void **state)
{
	struct fx *f = *state;
	static char big[60001];
	unsigned submitted = 0;

	memset(big, 'w', sizeof(big) - 1);
	start_rcvbuf(f, f->sctx, "syslog-tls", "  write_timeout_ms: 300\n", 128, 4096);
	assert_int_equal(submit(f, "first", ++submitted), 1);
	run_until_delivered(f, 1);
	f->sv.reading = false;
	while (submitted < 64 && submit(f, big, ++submitted) == 1)
		RUN_UNTIL(f->e, false, 10);
	RUN_UNTIL(f->e, f->sv.accepted >= 2, 3000);
	assert_int_equal(f->sv.accepted, 2);
	assert_true(f->cnt.resent > 0);
	/* the new connection is read: all is delivered */
	th_server_resume(&f->sv);
	run_until_delivered(f, submitted);
}

/* A collector whose certificate does not verify is never sent anything. */
static void test_unverified_collector(void **state)
{
	struct fx *f = *state;
	struct test_cert other_ca = th_cert("another CA", NULL, -3600, 86400, NULL);
	struct test_cert leaf = th_cert("collector.test", "IP:127.0.0.1", -3600, 86400, &other_ca);
	SSL_CTX *ctx = th_server_ctx(&leaf);

	start(f, ctx, "syslog-tls", NULL, 64);
	assert_int_equal(submit(f, "secret", 1), 1);
	RUN_UNTIL(f->e, f->cnt.handshake_failures >= 2, 3000);
	assert_true(f->cnt.handshake_failures >= 2);
	assert_int_equal(f->sv.n, 0);
	assert_int_equal(f->sv.handshakes, 0);
	assert_int_equal(pipeline_delivered_upto(f->pl), 0);
	f->snk.ops->close(f->snk.state);
	f->snk.state = NULL;
	th_server_stop(&f->sv);
	SSL_CTX_free(ctx);
	th_cert_free(&leaf);
	th_cert_free(&other_ca);
}

/* syslog-tcp: refused unless output.allow_plaintext; then plain octet-counted frames. */
static void test_plaintext(void **state)
{
	struct fx *f = *state;
	struct diags errs = {0};
	const char *msg[4];
	size_t len[4];
	char out[256];

	assert_int_equal(th_server_start(&f->sv, f->e, NULL, false), 0);
	snprintf(out, sizeof(out),
		 "  type: syslog-tcp\n"
		 "  collectors: [{ host: 127.0.0.1, port: %u }]\n",
		 f->sv.port);
	/* the configuration loader refuses it first ... */
	assert_int_equal(load_config(f, out, 64), -EINVAL);
	/* ... and the sink on its own too */
	snprintf(out, sizeof(out),
		 "  type: syslog-tcp\n"
		 "  allow_plaintext: true\n"
		 "  collectors: [{ host: 127.0.0.1, port: %u }]\n",
		 f->sv.port);
	assert_int_equal(load_config(f, out, 64), 0);
	f->cfg.output.allow_plaintext = false;
	assert_int_equal(open_sink(f, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0].msg, "allow_plaintext"));
	assert_null(f->snk.state);
	RUN_UNTIL(f->e, false, 50);
	assert_int_equal(f->sv.accepted, 0);
	pipeline_free(f->pl);
	f->pl = NULL;

	f->cfg.output.allow_plaintext = true;
	errs = (struct diags){0};
	assert_int_equal(open_sink(f, &errs), 0);
	assert_int_equal(submit(f, "clear", 1), 1);
	run_until_delivered(f, 1);
	RUN_UNTIL(f->e, count_frames(f->sv.got, f->sv.n) >= 1, 2000);
	assert_int_equal(frames(f->sv.got, f->sv.n, msg, len, 4), 1);
	check_message(msg[0], len[0], "clear", NULL);
}

/*
 * Two collectors, the first down: events go to the second. When the
 * first is back, the failback probe moves over to it.
 */
static void test_failover_and_failback(void **state)
{
	struct fx *f = *state;
	struct th_server second;
	struct diags errs = {0};
	char out[512];

	assert_int_equal(th_server_down(&f->sv, f->e, f->sctx), 0);
	assert_int_equal(th_server_start(&second, f->e, f->sctx, false), 0);
	snprintf(out, sizeof(out),
		 "  type: syslog-tls\n"
		 "  failback_interval_s: 1\n"
		 "  collectors: [{ host: 127.0.0.1, port: %u }, { host: 127.0.0.1, port: %u }]\n",
		 f->sv.port, second.port);
	assert_int_equal(load_config(f, out, 64), 0);
	assert_int_equal(open_sink(f, &errs), 0);
	assert_int_equal(submit(f, "one", 1), 1);
	run_until_delivered(f, 1);
	RUN_UNTIL(f->e, count_frames(second.got, second.n) >= 1, 2000);
	assert_int_equal(count_frames(second.got, second.n), 1);

	/* the first comes back */
	assert_int_equal(th_server_up(&f->sv), 0);
	RUN_UNTIL(f->e, f->sv.handshakes >= 1, 4000);
	assert_int_equal(f->sv.handshakes, 1);
	/* the probe settles and is adopted: counted as a reconnection */
	RUN_UNTIL(f->e, f->cnt.reconnects >= 1, 2000);
	assert_int_equal(f->cnt.reconnects, 1);
	assert_int_equal(submit(f, "two", 2), 1);
	run_until_delivered(f, 2);
	RUN_UNTIL(f->e, count_frames(f->sv.got, f->sv.n) >= 1, 2000);
	assert_int_equal(count_frames(f->sv.got, f->sv.n), 1);
	assert_int_equal(count_frames(second.got, second.n), 1);
	th_server_stop(&second);
}

/* Opens the sink on the loaded configuration; expects it refused for why. */
static void expect_open_refused(struct fx *f, sd_event *e, const char *why)
{
	struct diags errs = {0};
	void *st = NULL;

	assert_int_equal(
	    sink_find(f->cfg.output.type)->open(t_sink_opts(&f->cfg), e, NULL, &f->cnt, &st, &errs),
	    -EINVAL);
	assert_null(st);
	assert_true(errs.n >= 1);
	if (!strstr(errs.v[0].msg, why))
		fail_msg("expected \"%s\", got \"%s\"", why, errs.v[0].msg);
}

static void test_open_refuses(void **state)
{
	static const char ok[] = "  type: syslog-tls\n  collectors: [{ host: a.test, port: 1 }]\n";
	struct fx *f = *state;

	assert_int_equal(load_config(f, ok, 64), 0);
	/* the one-shot tools have no loop */
	expect_open_refused(f, NULL, "event loop");
	f->cfg.output.n_collectors = 0;
	expect_open_refused(f, f->e, "at least one");
	f->cfg.output.n_collectors = 1; /* so that config_done frees its host */
	assert_int_equal(load_config(f, ok, 64), 0);
	f->cfg.output.collectors[0].port = 0;
	expect_open_refused(f, f->e, "needs host and a port");
	f->cfg.output.collectors[0].port = 65536;
	expect_open_refused(f, f->e, "needs host and a port");
	assert_int_equal(load_config(f, ok, 64), 0);
	f->cfg.output.facility = 24;
	expect_open_refused(f, f->e, "facility");
	assert_int_equal(
	    load_config(f,
			"  type: syslog-tls\n  collectors: [{ host: a.test, port: 1 }]\n"
			"  pin_sha256: \"12:34\"\n",
			64),
	    0);
	expect_open_refused(f, f->e, "pin_sha256");
	assert_int_equal(load_config(f, ok, 64), 0);
	free(f->cfg.output.ca_file);
	f->cfg.output.ca_file = NULL;
	expect_open_refused(f, f->e, "no CA configured");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_frames_and_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_delivered_before_written, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reconnect_resends, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collector_down_at_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unverified_collector, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plaintext, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failover_and_failback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
