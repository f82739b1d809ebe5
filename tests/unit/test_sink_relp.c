/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RELP output: the window bookkeeping (relp_window.c) by hand, the
 * configuration's RELP checks, and a round trip through librelp's own
 * server run in a thread on loopback: records are delivered only after
 * the server has taken (and so answered) their frames, never before.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <librelp.h>

#include "config.h"
#include "config_relp.h"
#include "pipeline.h"
#include "relp_window.h"
#include "sink.h"
#include "sink_relp.h"
#include "stage_opts.h"

/* ---- the window bookkeeping ---- */

static char *frame(const char *text)
{
	char *p = strdup(text);

	assert_non_null(p);
	return p;
}

static void push(struct relp_window *w, uint64_t seq)
{
	char text[32];

	snprintf(text, sizeof(text), "frame %llu", (unsigned long long)seq);
	assert_int_equal(relp_window_push(w, seq, frame(text), strlen(text)), 0);
}

/* All but the newest `window` sent frames are acknowledged, in order. */
static void test_window_confirms_all_but_newest(void **state)
{
	struct relp_window w;
	uint64_t seq = 0;

	relp_window_init(&w, 3);
	for (uint64_t i = 1; i <= 10; i++)
		push(&w, i);
	for (int i = 0; i < 3; i++) {
		assert_non_null(relp_window_next(&w));
		assert_int_equal(relp_window_sent(&w, &seq), 0);
	}
	assert_int_equal(seq, 0);
	assert_int_equal(relp_window_unconfirmed(&w), 3);
	/* The fourth send proves the first answered. */
	assert_string_equal(relp_window_next(&w)->buf, "frame 4");
	assert_int_equal(relp_window_sent(&w, &seq), 1);
	assert_int_equal(seq, 1);
	assert_int_equal(relp_window_len(&w), 9);
	assert_int_equal(relp_window_unconfirmed(&w), 3);
	relp_window_done(&w);
	assert_int_equal(relp_window_len(&w), 0);
}

/* A lost session sends its unconfirmed frames again, oldest first; nothing acknowledged goes again.
 */
static void test_window_lost_resends_unconfirmed(void **state)
{
	struct relp_window w;
	uint64_t seq = 0;

	relp_window_init(&w, 2);
	for (uint64_t i = 1; i <= 5; i++)
		push(&w, i);
	for (int i = 0; i < 4; i++)
		relp_window_sent(&w, &seq);
	assert_int_equal(seq, 2); /* 1 and 2 proven; 3 and 4 unconfirmed */
	assert_int_equal(relp_window_lost(&w), 2);
	assert_int_equal(relp_window_unconfirmed(&w), 0);
	assert_string_equal(relp_window_next(&w)->buf, "frame 3");
	assert_int_equal(relp_window_next(&w)->seq, 3);
	/* A clean close acknowledges everything sent on the session. */
	relp_window_sent(&w, &seq);
	relp_window_sent(&w, &seq);
	assert_int_equal(relp_window_all_acked(&w, &seq), 2);
	assert_int_equal(seq, 4);
	assert_string_equal(relp_window_next(&w)->buf, "frame 5");
	assert_int_equal(relp_window_len(&w), 1);
	/* Nothing queued: a send report changes nothing. */
	relp_window_sent(&w, &seq);
	assert_int_equal(relp_window_sent(&w, &seq), 0);
	assert_null(relp_window_next(&w));
	relp_window_done(&w);
}

/* The ring grows past its first allocation and keeps its order. */
static void test_window_grows_in_order(void **state)
{
	struct relp_window w;
	uint64_t seq = 0;
	size_t confirmed = 0;

	relp_window_init(&w, 8);
	for (uint64_t i = 1; i <= 100; i++)
		push(&w, i);
	for (int i = 0; i < 50; i++)
		confirmed += relp_window_sent(&w, &seq);
	for (uint64_t i = 101; i <= 1000; i++)
		push(&w, i);
	while (relp_window_next(&w)) {
		uint64_t before = seq;

		confirmed += relp_window_sent(&w, &seq);
		assert_true(seq >= before);
	}
	assert_int_equal(confirmed, 1000 - 8);
	assert_int_equal(seq, 1000 - 8);
	assert_int_equal(relp_window_all_acked(&w, &seq), 8);
	assert_int_equal(seq, 1000);
	relp_window_done(&w);
}

/* ---- configuration ---- */

struct tmp {
	char dir[64];
	char path[128];
};

static void tmp_config(struct tmp *t, const char *text)
{
	FILE *f;

	snprintf(t->dir, sizeof(t->dir), "/tmp/ikelogd-relp.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/c.yaml", t->dir);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void tmp_done(struct tmp *t)
{
	unlink(t->path);
	rmdir(t->dir);
}

/* Loads text; returns config_load's result, the first error formatted into err. */
static int load(const char *text, struct config *cfg, char *err, size_t size)
{
	struct diags errs = {0};
	struct tmp t;
	int r;

	tmp_config(&t, text);
	config_defaults(cfg);
	r = config_load(t.path, cfg, &errs);
	err[0] = '\0';
	if (errs.n) {
		char buf[512];
		const char *msg = diag_format(&errs.v[0], buf, sizeof(buf));

		/* without the temporary directory */
		msg = strstr(msg, "c.yaml:") ? strstr(msg, "c.yaml:") : msg;
		snprintf(err, size, "%s", msg);
	}
	tmp_done(&t);
	return r;
}

static void expect_error(const char *text, const char *want)
{
	struct config cfg;
	char err[512];

	assert_int_equal(load(text, &cfg, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want)) {
		fprintf(stderr, "got  %s\nwant %s\n", err, want);
		fail();
	}
	config_done(&cfg);
}

static void test_config_relp_ports_and_options(void **state)
{
	struct config cfg;
	struct sink_relp_options o;
	char err[512];

	assert_int_equal(load("output:\n"
			      "  type: relp\n"
			      "  collectors: [{host: a.example}, {host: b.example, port: 2514}]\n"
			      "  server_name: collector.example\n"
			      "  tls_min_version: \"1.3\"\n"
			      "  relp_window: 16\n",
			      &cfg, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_int_equal(cfg.output.type, OUTPUT_RELP);
	assert_int_equal(cfg.output.collectors[0].port, 20514);
	assert_int_equal(cfg.output.collectors[1].port, 2514);
	config_sink_relp_options(&cfg, &o);
	assert_true(o.tls);
	assert_int_equal(o.n_collectors, 2);
	assert_string_equal(o.collectors[0].host, "a.example");
	assert_int_equal(o.collectors[0].port, 20514);
	assert_string_equal(o.server_name, "collector.example");
	assert_string_equal(o.tls_min_version, "1.3");
	assert_int_equal(o.window, 16);
	assert_string_equal(o.ca_file, cfg.output.ca_file);
	config_done(&cfg);

	/* The other types keep RFC 5425's port. */
	assert_int_equal(
	    load("output:\n  collectors: [{host: a.example}]\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.output.collectors[0].port, 6514);
	config_done(&cfg);

	assert_int_equal(load("output:\n  type: relp-tcp\n  allow_plaintext: true\n"
			      "  collectors: [{host: a.example}]\n",
			      &cfg, err, sizeof(err)),
			 0);
	config_sink_relp_options(&cfg, &o);
	assert_false(o.tls);
	assert_int_equal(o.collectors[0].port, 20514);
	config_done(&cfg);
}

static void test_config_relp_refusals(void **state)
{
	expect_error("output:\n  type: relp-tcp\n",
		     "c.yaml:2:9: output.type: relp-tcp sends events in clear text");
	expect_error("output:\n  type: relp\n  pin_sha256: \"ab\"\n",
		     "c.yaml:3:15: output.pin_sha256: not available with output.type relp");
	expect_error("output:\n  type: relp\n  ca_dir: /etc/ssl/certs\n",
		     "c.yaml:3:11: output.ca_dir: not available with output.type relp");
	expect_error("output:\n  type: relp\n  ca_file: \"\"\n",
		     "c.yaml:3:12: output.ca_file: output.type relp needs the CA");
	expect_error("output:\n  type: relp\n  relp_window: 1\n", "c.yaml:3:16:");
	expect_error("output:\n  type: relp\n  relp_window: 5000\n", "c.yaml:3:16:");
	expect_error("output:\n  type: relpp\n", "c.yaml:2:9:");
}

/* ---- a round trip through librelp's server ---- */

#define N_EVENTS 300
#define HOLD_AT	 100 /* the server stops answering after this many, until released */

struct server {
	relpEngine_t *eng;
	pthread_t thread;
	unsigned port;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned received; /* frames taken (answered once the callback returns) */
	unsigned answered; /* callbacks returned */
	bool hold, held;   /* hold: block at HOLD_AT; held: it is blocked */
	unsigned char seen[N_EVENTS + 1];
	unsigned dup;
};

static __attribute__((format(printf, 1, 2))) void quiet(char *fmt, ...)
{
}

static relpRetVal on_syslog(void *usr, unsigned char *host, unsigned char *ip, unsigned char *msg,
			    size_t len)
{
	struct server *sv = usr; /* the listener's (relpSrvSetUsrPtr) */
	const char *p;
	char buf[2048];
	unsigned serial = 0;

	/* The line's "#N" is the event's state_serial. */
	snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1),
		 (const char *)msg);
	p = strstr(buf, "\"state_serial\":");
	if (p)
		serial = (unsigned)strtoul(p + strlen("\"state_serial\":"), NULL, 10);
	pthread_mutex_lock(&sv->mu);
	sv->received++;
	if (serial >= 1 && serial <= N_EVENTS) {
		if (sv->seen[serial])
			sv->dup++;
		sv->seen[serial] = 1;
	}
	while (sv->hold && sv->received >= HOLD_AT) {
		sv->held = true;
		pthread_cond_wait(&sv->cv, &sv->mu);
	}
	sv->answered++;
	pthread_mutex_unlock(&sv->mu);
	return RELP_RET_OK;
}

static void *server_run(void *arg)
{
	struct server *sv = arg;

	relpEngineRun(sv->eng);
	return NULL;
}

static unsigned free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void server_start(struct server *sv)
{
	relpSrv_t *srv = NULL;
	char port[16];

	pthread_mutex_init(&sv->mu, NULL);
	pthread_cond_init(&sv->cv, NULL);
	sv->port = free_port();
	snprintf(port, sizeof(port), "%u", sv->port);
	assert_int_equal(relpEngineConstruct(&sv->eng), RELP_RET_OK);
	relpEngineSetDbgprint(sv->eng, quiet);
	relpEngineSetFamily(sv->eng, AF_INET);
	assert_int_equal(
	    relpEngineSetEnableCmd(sv->eng, (unsigned char *)"syslog", eRelpCmdState_Required),
	    RELP_RET_OK);
	assert_int_equal(relpEngineSetSyslogRcv2(sv->eng, on_syslog), RELP_RET_OK);
	assert_int_equal(relpEngineListnerConstruct(sv->eng, &srv), RELP_RET_OK);
	assert_int_equal(relpSrvSetLstnPort(srv, (unsigned char *)port), RELP_RET_OK);
	assert_int_equal(relpSrvSetUsrPtr(srv, sv), RELP_RET_OK);
	assert_int_equal(relpEngineListnerConstructFinalize(sv->eng, srv), RELP_RET_OK);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_run, sv), 0);
}

static void server_stop(struct server *sv)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)sv->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd;

	relpEngineSetStop(sv->eng);
	/* wake its epoll_wait: a connection to the listener */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0) {
		(void)connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
	}
	pthread_join(sv->thread, NULL);
	relpEngineDestruct(&sv->eng);
}

static const char rules[] = "- id: t.init\n"
			    "  event: ike_init\n"
			    "  result: info\n"
			    "  scope: state\n"
			    "  pattern: '^initiating IKEv2 connection'\n";

/* Runs the loop until cond holds or ms pass; checks at each turn that nothing is delivered early.
 */
static bool run_until(sd_event *e, struct pipeline *pl, struct server *sv, uint64_t want_upto,
		      unsigned ms)
{
	for (unsigned t = 0; t < ms / 10; t++) {
		uint64_t upto;
		unsigned answered;

		sd_event_run(e, 10000);
		upto = pipeline_delivered_upto(pl);
		pthread_mutex_lock(&sv->mu);
		answered = sv->answered;
		pthread_mutex_unlock(&sv->mu);
		/* Delivered means answered: never ahead of the server's answers. */
		assert_true(upto <= answered);
		if (upto >= want_upto)
			return true;
	}
	return false;
}

/* A pipeline with one rule, an event loop, and the RELP sink attached to it. */
struct trip {
	struct tmp t;
	struct config cfg;
	struct counters cnt;
	struct pipeline *pl;
	sd_event *e;
	struct sink_relp *s;
	struct sink snk;
};

static void trip_start(struct trip *tr, const struct sink_collector *colls, size_t n)
{
	struct diags errs = {0};
	char path[160];
	FILE *f;

	memset(tr, 0, sizeof(*tr));
	tmp_config(&tr->t, "");
	snprintf(path, sizeof(path), "%s/rules.yaml", tr->t.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(rules, f);
	fclose(f);
	config_defaults(&tr->cfg);
	free(tr->cfg.rules.v[0]);
	tr->cfg.rules.v[0] = strdup(path);
	free(tr->cfg.rules.v[1]); /* the defaults name two tables: use the one written here */
	tr->cfg.rules.v[1] = NULL;
	tr->cfg.rules.n = 1;
	snprintf(path, sizeof(path), "%s/key", tr->t.dir);
	free(tr->cfg.redact.key_file);
	tr->cfg.redact.key_file = strdup(path);
	tr->cfg.redact.generate_key = true;
	tr->cfg.limits.in_flight = 1000;
	assert_int_equal(pipeline_new(t_pipeline_opts(&tr->cfg), &tr->cnt, &tr->pl, &errs), 0);
	assert_int_equal(sd_event_new(&tr->e), 0);

	struct sink_relp_options o = {
	    .config_path = "test",
	    .tls = false,
	    .n_collectors = n,
	    .facility = 10,
	    .enterprise_number = 32473,
	    .connect_timeout_ms = 2000,
	    .write_timeout_ms = 5000,
	    .backoff_min_ms = 50,
	    .backoff_max_ms = 200,
	    .window = 8,
	};
	memcpy(o.collectors, colls, n * sizeof(*colls));
	assert_int_equal(sink_relp_open(&o, tr->e, tr->pl, &tr->cnt, &tr->s, &errs), 0);
	tr->snk = (struct sink){.ops = &sink_relp_tcp_ops, .state = tr->s};
	pipeline_attach(tr->pl, NULL, &tr->snk);
}

/* Submits lines "a" #first .. #last. */
static void trip_submit(struct trip *tr, unsigned first, unsigned last)
{
	for (unsigned i = first; i <= last; i++) {
		char line[96];
		struct record rec = {.priority = -1};

		snprintf(line, sizeof(line), "\"a\" #%u: initiating IKEv2 connection", i);
		rec.msg = line;
		rec.len = strlen(line);
		assert_true(pipeline_submit(tr->pl, &rec) >= 0);
	}
}

static void trip_done(struct trip *tr)
{
	char path[160];

	sink_relp_close(tr->s);
	pipeline_free(tr->pl);
	sd_event_unref(tr->e);
	config_done(&tr->cfg);
	snprintf(path, sizeof(path), "%s/key", tr->t.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rules.yaml", tr->t.dir);
	unlink(path);
	tmp_done(&tr->t);
}

static void test_round_trip_delivered_on_acks(void **state)
{
	struct server sv = {.hold = true};
	struct trip tr;

	server_start(&sv);
	trip_start(&tr, (struct sink_collector[]){{.host = "127.0.0.1", .port = sv.port}}, 1);
	trip_submit(&tr, 1, N_EVENTS);
	/* The server holds frame HOLD_AT unanswered: delivery stops short of it. */
	assert_false(run_until(tr.e, tr.pl, &sv, HOLD_AT, 1500));
	assert_true(pipeline_delivered_upto(tr.pl) < HOLD_AT);
	pthread_mutex_lock(&sv.mu);
	assert_true(sv.held);
	/* librelp's window: at most 8 frames beyond the held one reached the server */
	assert_true(sv.received <= HOLD_AT + 8);
	sv.hold = false;
	pthread_cond_broadcast(&sv.cv);
	pthread_mutex_unlock(&sv.mu);
	assert_int_equal(sink_relp_flush(tr.s), -EAGAIN);

	/* Released: everything is answered and delivered, the tail after the pause. */
	assert_true(run_until(tr.e, tr.pl, &sv, N_EVENTS, 10000));
	assert_int_equal(pipeline_delivered_upto(tr.pl), N_EVENTS);
	assert_int_equal(sink_relp_flush(tr.s), 0);
	assert_int_equal(tr.cnt.acknowledged, N_EVENTS);
	assert_int_equal(tr.cnt.sent, N_EVENTS);
	pthread_mutex_lock(&sv.mu);
	for (unsigned i = 1; i <= N_EVENTS; i++)
		assert_int_equal(sv.seen[i], 1);
	assert_int_equal(sv.dup, 0);
	pthread_mutex_unlock(&sv.mu);
	trip_done(&tr);
	server_stop(&sv);
}

/* The first collector refuses connections: the second gets every event, once. */
static void test_failover_to_second_collector(void **state)
{
	struct server sv = {0};
	struct trip tr;
	unsigned dead = free_port(); /* nobody listens there */

	server_start(&sv);
	trip_start(&tr,
		   (struct sink_collector[]){{.host = "127.0.0.1", .port = dead},
					     {.host = "127.0.0.1", .port = sv.port}},
		   2);
	trip_submit(&tr, 1, 50);
	assert_true(run_until(tr.e, tr.pl, &sv, 50, 10000));
	assert_int_equal(tr.cnt.acknowledged, 50);
	pthread_mutex_lock(&sv.mu);
	for (unsigned i = 1; i <= 50; i++)
		assert_int_equal(sv.seen[i], 1);
	assert_int_equal(sv.dup, 0);
	pthread_mutex_unlock(&sv.mu);
	trip_done(&tr);
	server_stop(&sv);
}

/* Options the loader cannot check are refused by the sink, with the config's path. */
static void test_open_refuses(void **state)
{
	struct sink_relp_options o = {.config_path = "x.yaml", .tls = true, .n_collectors = 0};
	struct diags errs = {0};
	struct sink_relp *s = (struct sink_relp *)0x1;
	sd_event *e = NULL;
	char buf[512];

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(sink_relp_open(&o, e, NULL, NULL, &s, &errs), -EINVAL);
	assert_ptr_equal(s, (struct sink_relp *)0x1);
	assert_non_null(strstr(diag_format(&errs.v[0], buf, sizeof(buf)),
			       "x.yaml: output.collectors: at least one is required"));
	errs.n = 0;
	o.collectors[0] = (struct sink_collector){.host = "127.0.0.1", .port = 20514};
	o.n_collectors = 1;
	o.ca_file = "/nonexistent/ca.pem";
	o.cert_file = "/nonexistent/c.pem";
	o.key_file = "/nonexistent/c.key";
	assert_int_equal(sink_relp_open(&o, e, NULL, NULL, &s, &errs), -EINVAL);
	assert_non_null(
	    strstr(diag_format(&errs.v[0], buf, sizeof(buf)), "cannot read /nonexistent/ca.pem"));
	errs.n = 0;
	assert_int_equal(sink_relp_open(&o, NULL, NULL, NULL, &s, &errs), -EINVAL);
	assert_non_null(strstr(diag_format(&errs.v[0], buf, sizeof(buf)), "event loop"));
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_confirms_all_but_newest),
	    cmocka_unit_test(test_window_lost_resends_unconfirmed),
	    cmocka_unit_test(test_window_grows_in_order),
	    cmocka_unit_test(test_config_relp_ports_and_options),
	    cmocka_unit_test(test_config_relp_refusals),
	    cmocka_unit_test(test_open_refuses),
	    cmocka_unit_test(test_round_trip_delivered_on_acks),
	    cmocka_unit_test(test_failover_to_second_collector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
