/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_HOLD_H
#define IKELOGD_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/*
 * Events held for a short, bounded time (correlate.hold_ms) before they
 * are redacted and sent, so that the event that claimed an exchange's
 * outcome can take the error code, reason and peer facts that later lines
 * of the same attempt print (pluto prints them within microseconds). A
 * FIFO: events leave in the order they came, one per line.
 */
struct hold;

/* One held event: the line's event, or a summary already rendered (json). */
struct hold_item {
	struct event ev;
	uint64_t seq;
	int64_t line_us;    /* the line's timestamp, 0 = unknown */
	uint64_t arrive_us; /* monotonic arrival, 0 = none (replays hold by line time) */
	char *json;	    /* a summary's JSON; json_len 0: render ev when it leaves */
	size_t json_len, json_cap;
};

/*
 * hold_ms: how long an event waits; max_items bounds the queue (the oldest
 * leaves early when it is full); arena: each slot's event arena. Slots are
 * allocated on first use. Returns 0 or -ENOMEM.
 */
int hold_new(unsigned hold_ms, unsigned max_items, size_t arena, struct hold **ret);
void hold_free(struct hold *h);

/*
 * The slot the next event is made in (reset), or NULL when the queue is
 * full (take the head first) or a slot cannot be allocated (-ENOMEM in
 * *ret_err).
 */
struct event *hold_slot(struct hold *h, int *ret_err);

/* Queues the slot hold_slot gave, with its seq and times. */
void hold_push(struct hold *h, uint64_t seq, int64_t line_us, uint64_t arrive_us);

/*
 * ev claims no outcome but names the held event that does
 * (outcome_event_id): that event takes the error code, reason and peer
 * and local facts it lacks and ev has; with carry, the other held lines of
 * the same attempt (naming the same outcome, held after it) take the peer
 * and local address and IDs. Returns 1 when the outcome event took
 * something.
 */
int hold_absorb(struct hold *h, const struct event *ev, bool carry);

/*
 * The head when it may leave: all, or a later line's timestamp is past its
 * own by hold_ms, or now_us (monotonic, 0 = no clock) is past its arrival
 * by hold_ms, or the queue is full. NULL otherwise. hold_pop removes it.
 */
struct hold_item *hold_due(struct hold *h, int64_t line_us, uint64_t now_us, bool all);
void hold_pop(struct hold *h);

/*
 * Queues the slot with the JSON already rendered (a summary: it leaves as
 * it is, nothing joins it). Returns 0 or -ENOMEM (then nothing is queued).
 */
int hold_push_rendered(struct hold *h, uint64_t seq, int64_t line_us, uint64_t arrive_us,
		       const char *json, size_t len);

/* Queued items; the first one's seq (0 when empty); when it is due by the clock (0 = none). */
size_t hold_len(const struct hold *h);
uint64_t hold_first_seq(const struct hold *h);
uint64_t hold_deadline(const struct hold *h);

/* Copies src's fields into dst (an arena at least as large). Returns 0 or -ENOSPC. */
int hold_copy_event(struct event *dst, const struct event *src);

#endif
