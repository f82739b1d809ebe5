/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's side of the privilege-separated syslog receiver
 * (source_syslog_privsep.c) against children that lie. The parent execs
 * /proc/self/exe as its receiver: in this test that is this binary, whose
 * main() then plays the child, in the mode named by the options' app_name:
 * one that behaves, one that sends a record whose lengths do not add up,
 * one whose counters go down, one that dies after two records, one that
 * cannot start, one that floods a paused pipeline. The real child
 * (receiver.c) is exercised by tests/integration/syslog_in_privsep.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "receiver_wire.h"
#include "syslog_harness.h"
#include "stage_opts.h"

/* ---- the fake child ---- */

static void child_write(const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = write(RECEIVER_CHAN_FD, b, n);

		if (w <= 0)
			_exit(9);
		b += w;
		n -= (size_t)w;
	}
}

static void child_send(struct receiver_buf *b)
{
	child_write(b->p, b->len);
	b->len = 0;
}

static void child_record(struct receiver_buf *b, const char *msg)
{
	struct record rec = {.msg = msg,
			     .len = strlen(msg),
			     .realtime_usec = MSG5424_USEC,
			     .host = "gw-a",
			     .pid = 4242,
			     .priority = 6,
			     .event_id = "00000000000000aa-1-1"};

	if (receiver_wire_put_record(b, &rec) < 0)
		_exit(8);
}

/* Waits until the parent closes its end (or kills us). */
static _Noreturn void child_linger(void)
{
	char c;

	while (read(RECEIVER_CHAN_FD, &c, 1) > 0)
		;
	_exit(0);
}

static int fake_child(void)
{
	static char opts[RECEIVER_OPTIONS_MAX];
	struct receiver_buf b = {.max = 1 << 20};
	struct receiver_counts counts = {0};
	struct receiver_options o;
	uint32_t hdr[2];
	const char *mode;

	if (read(RECEIVER_CHAN_FD, hdr, 8) != 8 || hdr[1] != RECEIVER_MSG_OPTIONS ||
	    hdr[0] > sizeof(opts) || read(RECEIVER_CHAN_FD, opts, hdr[0]) != (ssize_t)hdr[0] ||
	    receiver_wire_get_options(opts, hdr[0], &o) < 0)
		return 7;
	mode = o.app_name ? o.app_name : "";
	if (strcmp(mode, "error") == 0) {
		receiver_wire_put_text(&b, RECEIVER_MSG_ERROR, "fake: cannot load server.key");
		child_send(&b);
		return 1;
	}
	receiver_wire_put_text(&b, RECEIVER_MSG_READY, "");
	child_send(&b);
	if (strcmp(mode, "good") == 0) {
		child_record(&b, "one");
		child_record(&b, "two");
		child_record(&b, "three");
		counts.input_dropped = 2;
		counts.connections = 1;
		receiver_wire_put_counts(&b, &counts);
		child_send(&b);
		child_linger();
	}
	if (strcmp(mode, "bad-length") == 0) {
		/* A good one, then one whose message length says 1 more than it sends. */
		size_t at;

		child_record(&b, "one");
		at = b.len;
		child_record(&b, "two");
		/* header 8, time 8, pid, priority, flags, host and id lengths 4 each */
		memcpy(b.p + at + 36, &(uint32_t){4}, 4);
		child_send(&b);
		child_linger();
	}
	if (strcmp(mode, "counts-down") == 0) {
		counts.input_dropped = 5;
		receiver_wire_put_counts(&b, &counts);
		counts.input_dropped = 4;
		receiver_wire_put_counts(&b, &counts);
		child_send(&b);
		child_linger();
	}
	if (strcmp(mode, "die") == 0) {
		child_record(&b, "before");
		child_record(&b, "death");
		child_send(&b);
		/* And half of a third: cut short by the death. */
		child_record(&b, "never whole");
		child_write(b.p, b.len - 2);
		_exit(3);
	}
	if (strcmp(mode, "flood") == 0) {
		char msg[32];

		for (int i = 1; i <= 1000; i++) {
			snprintf(msg, sizeof(msg), "r%d", i);
			child_record(&b, msg);
			child_send(&b);
		}
		child_linger();
	}
	return 6;
}

/* ---- the tests ---- */

static const char *const tcp1[] = {"tcp://127.0.0.1:0"};

static void ps_config(struct sh *sh, const char *mode, unsigned in_flight)
{
	sh_config(sh, "test_source_syslog_privsep", tcp1, 1);
	sh->h.ops = &source_syslog_privsep_ops;
	sh->h.cfg.limits.in_flight = in_flight;
	set_str(&sh->h.cfg.source.syslog.app_name, mode);
}

static void ps_start(struct sh *sh)
{
	h_start(&sh->h);
	while (sh->n_probe > 0)
		close(sh->probe[--sh->n_probe]);
	pipeline_set_observer(sh->h.pl, sh_observe, sh);
	sh->s = NULL; /* not the in-process listener: none of its insides here */
}

static void test_good_child(void **state)
{
	struct sh sh = {0};

	ps_config(&sh, "good", 100);
	ps_start(&sh);
	SH_RUN_UNTIL(&sh, sh.h.n == 3 && sh.h.cnt.connections == 1, 3000);
	assert_string_equal(sh.h.v[0].msg, "one");
	assert_string_equal(sh.h.v[2].msg, "three");
	assert_string_equal(sh.h.v[1].host, "gw-a");
	assert_string_equal(sh.h.v[1].id, "00000000000000aa-1-1");
	assert_int_equal(sh.h.v[1].pid, 4242);
	assert_int_equal(sh.h.v[1].prio, 6);
	assert_true(sh.h.v[1].rt == MSG5424_USEC);
	assert_int_equal(sh.h.cnt.input_dropped, 2);
	assert_int_equal(sh.h.cnt.receiver_crashes, 0);
	sh_done(&sh);
}

static void test_bad_length_ends_child(void **state)
{
	struct sh sh = {0};

	ps_config(&sh, "bad-length", 100);
	ps_start(&sh);
	SH_RUN_UNTIL(&sh, sh.h.cnt.receiver_crashes >= 1, 3000);
	/* What came before the lie is delivered; the lie and what follows are not. */
	assert_true(sh.h.n >= 1);
	assert_string_equal(sh.h.v[0].msg, "one");
	for (size_t i = 0; i < sh.h.n; i++)
		assert_string_equal(sh.h.v[i].msg, "one");
	sh_done(&sh);
}

static void test_counts_going_down_end_child(void **state)
{
	struct sh sh = {0};

	ps_config(&sh, "counts-down", 100);
	ps_start(&sh);
	SH_RUN_UNTIL(&sh, sh.h.cnt.receiver_crashes >= 1, 3000);
	/* The first report counted; the one that went down, not. */
	assert_int_equal(sh.h.cnt.receiver_crashes, 1);
	assert_int_equal(sh.h.cnt.input_dropped, 5);
	sh_done(&sh);
}

static void test_death_delivers_and_restarts(void **state)
{
	struct sh sh = {0};

	ps_config(&sh, "die", 100);
	ps_start(&sh);
	/* Two records, the death, a restart 20 ms later, two more from the next child. */
	SH_RUN_UNTIL(&sh, sh.h.n >= 4, 3000);
	assert_string_equal(sh.h.v[0].msg, "before");
	assert_string_equal(sh.h.v[1].msg, "death");
	assert_string_equal(sh.h.v[2].msg, "before");
	assert_string_equal(sh.h.v[3].msg, "death");
	assert_true(sh.h.cnt.receiver_crashes >= 1);
	/* Each death cut a record short: counted, never handed on. */
	assert_true(sh.h.cnt.input_dropped >= sh.h.cnt.receiver_crashes);
	for (size_t i = 0; i < sh.h.n; i++)
		assert_string_not_equal(sh.h.v[i].msg, "never whole");
	sh_done(&sh);
}

static void test_start_error(void **state)
{
	struct sh sh = {0};
	struct diags errs = {0};
	void *s = NULL;

	ps_config(&sh, "error", 100);
	assert_int_equal(sd_event_new(&sh.h.e), 0);
	assert_true(source_syslog_privsep_ops.open(t_source_opts(&sh.h.cfg), sh.h.e, NULL,
						   &sh.h.cnt, &s, &errs) < 0);
	assert_null(s);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].msg, "fake: cannot load server.key");
	sh.h.e = sd_event_unref(sh.h.e);
	sh_done(&sh);
}

static void test_flood_waits_for_the_pipeline(void **state)
{
	struct sh sh = {0};

	ps_config(&sh, "flood", 4);
	sh.h.ack_limit = 0;
	ps_start(&sh);
	sh_turns(&sh, 30);
	/* The window is full: the parent stops reading, the child blocks; nothing lost. */
	assert_int_equal(sh.h.cnt.lines_read, 4);
	sh.h.ack_limit = UINT64_MAX;
	SH_RUN_UNTIL(&sh, sh.h.cnt.lines_read == 1000, 10000);
	assert_string_equal(sh.h.v[0].msg, "r1");
	assert_string_equal(sh.h.v[255].msg, "r256");
	assert_int_equal(sh.h.cnt.receiver_crashes, 0);
	assert_int_equal(sh.h.cnt.source_errors, 0);
	sh_done(&sh);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_child),
	    cmocka_unit_test(test_bad_length_ends_child),
	    cmocka_unit_test(test_counts_going_down_end_child),
	    cmocka_unit_test(test_death_delivers_and_restarts),
	    cmocka_unit_test(test_start_error),
	    cmocka_unit_test(test_flood_waits_for_the_pipeline),
	};

	/* Exec'd by the source under test as its receiver child. */
	if (argc == 2 && strcmp(argv[1], RECEIVER_CHILD_ARG) == 0)
		return fake_child();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
