/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hold.h"

/*
 * The hold queue: events leave in order, by line time, by the clock or
 * when the queue is full; the outcome event takes the facts a later line
 * of its attempt printed; an IKE SA's held events take the peer facts a
 * later line names first.
 */

static void set(struct event *ev, enum field f, const char *v)
{
	assert_int_equal(event_set_text(ev, f, v, strlen(v)), 0);
}

static const char *get(const struct event *ev, enum field f)
{
	static char buf[128];
	size_t len;
	const char *s = event_str(ev, f, &len);

	if (!s)
		return NULL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

/* The next slot, which must be there. */
static struct event *slot(struct hold *h)
{
	int err;
	struct event *ev = hold_slot(h, &err);

	assert_non_null(ev);
	assert_int_equal(err, 0);
	return ev;
}

static void test_order_and_due(void **state)
{
	struct hold *h;
	struct event *ev;
	struct hold_item *it;

	assert_int_equal(hold_new(10, 4, 4096, &h), 0);
	ev = slot(h);
	set(ev, F_EVENT_ID, "aaaa");
	hold_push(h, 1, 1000000, 5000);
	ev = slot(h);
	set(ev, F_EVENT_ID, "bbbb");
	hold_push(h, 2, 1005000, 8000);
	assert_int_equal(hold_len(h), 2);
	assert_int_equal(hold_first_seq(h), 1);
	/* 10 ms from the first arrival (5000 us) */
	assert_int_equal(hold_deadline(h), 15000);
	/* a line 5 ms later, a clock 9.999 ms later: not yet */
	assert_null(hold_due(h, 1005000, 14999, false));
	/* exactly 10 ms after the first line's: not yet */
	assert_null(hold_due(h, 1010000, 0, false));
	/* a line timestamp more than 10 ms after the first line's */
	it = hold_due(h, 1010001, 0, false);
	assert_non_null(it);
	assert_int_equal(it->seq, 1);
	assert_string_equal(get(&it->ev, F_EVENT_ID), "aaaa");
	hold_pop(h);
	/* the clock at the second's arrival + 10 ms */
	assert_null(hold_due(h, 0, 17999, false));
	it = hold_due(h, 0, 18000, false);
	assert_non_null(it);
	assert_int_equal(it->seq, 2);
	hold_pop(h);
	assert_int_equal(hold_len(h), 0);
	assert_int_equal(hold_deadline(h), 0);
	assert_null(hold_due(h, 0, 0, true));
	hold_free(h);
}

static void test_full_queue(void **state)
{
	struct hold *h;
	int err;

	assert_int_equal(hold_new(1000, 2, 1024, &h), 0);
	slot(h);
	hold_push(h, 1, 0, 0);
	assert_null(hold_due(h, 0, 0, false));
	slot(h);
	hold_push(h, 2, 0, 0);
	/* full: no slot, and the oldest may leave at once */
	assert_null(hold_slot(h, &err));
	assert_int_equal(err, 0);
	assert_int_equal(hold_due(h, 0, 0, false)->seq, 1);
	hold_pop(h);
	assert_non_null(hold_slot(h, &err));
	hold_free(h);
}

static void test_absorb_and_backfill(void **state)
{
	struct hold *h;
	struct event later, *ev;
	struct hold_item *it;

	assert_int_equal(hold_new(10, 8, 4096, &h), 0);
	assert_int_equal(event_init(&later, 4096), 0);
	/* ike_init of the SA, a round trip earlier: not a line of the attempt */
	ev = slot(h);
	set(ev, F_EVENT_ID, "e1");
	set(ev, F_IKE_SA_ID, "sa1");
	set(ev, F_EVENT_TYPE, "ike_init");
	hold_push(h, 1, 1, 0);
	/* the outcome: "authentication failed ... peer ID_FQDN '@west'" */
	ev = slot(h);
	set(ev, F_EVENT_ID, "e3");
	set(ev, F_IKE_SA_ID, "sa1");
	set(ev, F_RESULT, "failure");
	set(ev, F_ERROR_CODE, "AUTHENTICATION_FAILED");
	set(ev, F_PEER_ID, "@west");
	assert_int_equal(hold_absorb(h, ev, true), 0);
	hold_push(h, 3, 1, 0);
	/* another line of the attempt, without the address */
	ev = slot(h);
	set(ev, F_EVENT_ID, "e4");
	set(ev, F_IKE_SA_ID, "sa1");
	set(ev, F_RESULT, "info");
	set(ev, F_OUTCOME_EVENT_ID, "e3");
	hold_push(h, 4, 1, 0);
	/* the next line: the notification sent to 192.0.2.1:500 */
	set(&later, F_EVENT_ID, "e5");
	set(&later, F_IKE_SA_ID, "sa1");
	set(&later, F_RESULT, "info");
	set(&later, F_OUTCOME_EVENT_ID, "e3");
	set(&later, F_ERROR_CODE, "SOMETHING_ELSE");
	set(&later, F_PEER_IP, "192.0.2.1");
	set(&later, F_PEER_PORT, "500");
	set(&later, F_PEER_ID, "@west");
	assert_int_equal(hold_absorb(h, &later, true), 1);

	/* e1 is not of the attempt: untouched */
	it = hold_due(h, 0, 0, true);
	assert_false(event_has(&it->ev, F_PEER_IP));
	assert_false(event_has(&it->ev, F_PEER_ID));
	hold_pop(h);
	/* e3 kept its own error code and took address and port */
	it = hold_due(h, 0, 0, true);
	assert_string_equal(get(&it->ev, F_ERROR_CODE), "AUTHENTICATION_FAILED");
	assert_string_equal(get(&it->ev, F_PEER_IP), "192.0.2.1");
	assert_int_equal(event_int(&it->ev, F_PEER_PORT, 0), 500);
	hold_pop(h);
	/* e4, of the same attempt, took who the peer is, not the error */
	it = hold_due(h, 0, 0, true);
	assert_string_equal(get(&it->ev, F_PEER_IP), "192.0.2.1");
	assert_string_equal(get(&it->ev, F_PEER_ID), "@west");
	assert_false(event_has(&it->ev, F_ERROR_CODE));
	hold_pop(h);
	/* without carry, only the outcome takes facts */
	ev = slot(h);
	set(ev, F_EVENT_ID, "e6");
	set(ev, F_OUTCOME_EVENT_ID, "e3");
	hold_push(h, 6, 1, 0);
	assert_int_equal(hold_absorb(h, &later, false), 0);
	assert_false(event_has(&hold_due(h, 0, 0, true)->ev, F_PEER_IP));
	event_done(&later);
	hold_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_due),
	    cmocka_unit_test(test_full_queue),
	    cmocka_unit_test(test_absorb_and_backfill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
