/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "seqring.h"

struct entry {
	uint64_t seq;
	char tag[24];
};

/* Entries come out in the order they went in, across growth with a wrapped ring. */
static void test_order_across_growth(void **state)
{
	struct seqring q;
	struct entry e = {0}, *f;
	uint64_t next_out = 1, next_in = 1;

	seqring_init(&q, sizeof(struct entry));
	assert_null(seqring_front(&q));
	/* Fill part way, drain some so the head moves, then grow past the first capacity. */
	for (int i = 0; i < 700; i++) {
		e.seq = next_in++;
		assert_int_equal(seqring_push(&q, &e), 0);
	}
	for (int i = 0; i < 500; i++) {
		f = seqring_front(&q);
		assert_non_null(f);
		assert_int_equal(f->seq, next_out++);
		seqring_pop(&q);
	}
	for (int i = 0; i < 3000; i++) {
		e.seq = next_in++;
		assert_int_equal(seqring_push(&q, &e), 0);
	}
	assert_int_equal(seqring_len(&q), 3200);
	while ((f = seqring_front(&q))) {
		assert_int_equal(f->seq, next_out++);
		seqring_pop(&q);
	}
	assert_int_equal(next_out, next_in);
	assert_int_equal(seqring_len(&q), 0);
	seqring_pop(&q); /* popping an empty ring is harmless */
	assert_int_equal(seqring_len(&q), 0);
	seqring_free(&q);
	assert_null(seqring_front(&q));
}

/* A ring that never grows: the head wraps past the end of the buffer, the order holds. */
static void test_wrap_in_place(void **state)
{
	struct seqring q;
	struct entry e = {0}, *f;
	uint64_t next_out = 1, next_in = 1;
	size_t cap;

	seqring_init(&q, sizeof(struct entry));
	assert_int_equal(seqring_push(&q, &e), 0);
	seqring_pop(&q);
	cap = q.cap;
	/* Keep at most 100 entries in flight while 5000 go through. */
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 100; i++) {
			e.seq = next_in++;
			assert_int_equal(seqring_push(&q, &e), 0);
		}
		for (int i = 0; i < 100; i++) {
			f = seqring_front(&q);
			assert_non_null(f);
			assert_int_equal(f->seq, next_out++);
			seqring_pop(&q);
		}
	}
	assert_int_equal(next_out, 5001);
	assert_null(seqring_front(&q));
	/* 5000 entries went through a ring that held 100 at most: it never grew. */
	assert_int_equal(q.cap, cap);
	assert_true(cap < 5000);
	seqring_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_across_growth),
	    cmocka_unit_test(test_wrap_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
