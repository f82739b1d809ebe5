/* SPDX-License-Identifier: Apache-2.0 */
/* The window of positions in flight: what leaves it, what is committed, what is released. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "source_window.h"
#include "stats.h"
#include "stage_opts.h"

struct entry {
	uint64_t seq;
	char *cursor; /* owned: freed by release */
};

static unsigned released;

static void entry_pos(const void *e, struct state_pos *pos)
{
	const struct entry *en = e;

	pos->type = STATE_JOURNAL;
	snprintf(pos->cursor, sizeof(pos->cursor), "%s", en->cursor);
}

static void entry_release(void *e)
{
	struct entry *en = e;

	free(en->cursor);
	en->cursor = NULL;
	released++;
}

struct fx {
	struct config cfg;
	struct counters cnt;
	struct source_window w;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	config_defaults(&fx->cfg);
	fx->cfg.limits.in_flight = 2; /* a window of 2 * 4 entries */
	released = 0;
	assert_int_equal(source_window_init(&fx->w, &t_source_opts(&fx->cfg)->journal.win, NULL,
					    &fx->cnt, sizeof(struct entry), entry_pos,
					    entry_release),
			 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	source_window_done(&fx->w);
	config_done(&fx->cfg);
	free(fx);
	return 0;
}

static void add(struct fx *fx, uint64_t seq)
{
	char c[32];
	struct entry e = {.seq = seq};

	snprintf(c, sizeof(c), "s=%llu", (unsigned long long)seq);
	e.cursor = strdup(c);
	assert_non_null(e.cursor);
	source_window_add(&fx->w, &e);
}

/* Only a delivered prefix leaves, and the newest of it is the position. */
static void test_commits_newest_delivered(void **state)
{
	struct fx *fx = *state;

	for (uint64_t s = 1; s <= 5; s++)
		add(fx, s);
	assert_false(fx->w.commit.have);
	assert_false(source_window_delivered(&fx->w, 3));
	assert_true(fx->w.commit.have);
	assert_string_equal(fx->w.commit.pos.cursor, "s=3");
	assert_int_equal(fx->w.commit.uncommitted, 3);
	assert_int_equal(released, 3);
	assert_int_equal(seqring_len(&fx->w.fifo), 2);
	/* An older acknowledgement moves nothing back. */
	assert_false(source_window_delivered(&fx->w, 2));
	assert_string_equal(fx->w.commit.pos.cursor, "s=3");
	assert_false(source_window_delivered(&fx->w, 5));
	assert_string_equal(fx->w.commit.pos.cursor, "s=5");
	assert_int_equal(released, 5);
	assert_int_equal(seqring_len(&fx->w.fifo), 0);
}

/* An entry whose record was delivered inside submit leaves as it is added. */
static void test_delivered_before_added(void **state)
{
	struct fx *fx = *state;

	source_window_delivered(&fx->w, 1);
	add(fx, 1);
	assert_int_equal(seqring_len(&fx->w.fifo), 0);
	assert_string_equal(fx->w.commit.pos.cursor, "s=1");
	add(fx, 2);
	assert_int_equal(seqring_len(&fx->w.fifo), 1);
	assert_string_equal(fx->w.commit.pos.cursor, "s=1");
}

/* Full at in_flight * 4 entries; the delivery that makes room says so, once. */
static void test_full_then_room(void **state)
{
	struct fx *fx = *state;

	for (uint64_t s = 1; s <= 8; s++) {
		assert_false(source_window_full(&fx->w));
		add(fx, s);
	}
	assert_true(source_window_full(&fx->w));
	assert_true(source_window_delivered(&fx->w, 1));
	assert_false(source_window_full(&fx->w));
	assert_false(source_window_delivered(&fx->w, 2));
}

/* What never left the window is released at the end, each entry once. */
static void test_done_releases(void **state)
{
	struct fx *fx = *state;

	for (uint64_t s = 1; s <= 6; s++)
		add(fx, s);
	source_window_delivered(&fx->w, 2);
	assert_int_equal(released, 2);
	source_window_done(&fx->w);
	assert_int_equal(released, 6);
	/* teardown calls done again: nothing is released twice */
	assert_int_equal(source_window_init(&fx->w, &t_source_opts(&fx->cfg)->journal.win, NULL,
					    &fx->cnt, sizeof(struct entry), entry_pos,
					    entry_release),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commits_newest_delivered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delivered_before_added, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_then_room, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_done_releases, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
