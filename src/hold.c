/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hold queue (hold.h): a ring of event slots. A line's event is made
 * in the tail slot, so holding costs no copy; it leaves from the head once
 * hold_ms have passed by the lines' timestamps (deterministic in a replay)
 * or by the clock (the daemon's timer), or when the ring is full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hold.h"

struct hold {
	struct hold_item *v;
	size_t cap, head, len;
	size_t arena;
	uint64_t hold_us;
};

int hold_new(unsigned hold_ms, unsigned max_items, size_t arena, struct hold **ret)
{
	struct hold *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->cap = max_items ? max_items : 1;
	h->v = calloc(h->cap, sizeof(*h->v));
	if (!h->v) {
		free(h);
		return -ENOMEM;
	}
	h->arena = arena;
	h->hold_us = (uint64_t)hold_ms * 1000;
	*ret = h;
	return 0;
}

void hold_free(struct hold *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->cap; i++) {
		event_done(&h->v[i].ev);
		free(h->v[i].json);
	}
	free(h->v);
	free(h);
}

struct event *hold_slot(struct hold *h, int *ret_err)
{
	struct hold_item *it;

	*ret_err = 0;
	if (h->len == h->cap)
		return NULL;
	it = &h->v[(h->head + h->len) % h->cap];
	if (!it->ev.text && event_init(&it->ev, h->arena) < 0) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	event_reset(&it->ev);
	it->json_len = 0;
	return &it->ev;
}

void hold_push(struct hold *h, uint64_t seq, int64_t line_us, uint64_t arrive_us)
{
	struct hold_item *it = &h->v[(h->head + h->len) % h->cap];

	it->seq = seq;
	it->line_us = line_us;
	it->arrive_us = arrive_us;
	it->ev.rec = NULL; /* the record was the source's, valid only while it was submitted */
	h->len++;
}

/* What the outcome event takes from the other lines of its attempt. */
static const enum field absorbed[] = {
    F_ERROR_CODE, F_REASON,	  F_PEER_IP,	  F_PEER_PORT, F_PEER_ID,
    F_ID_TYPE,	  F_INITIATOR_ID, F_RESPONDER_ID, F_LOCAL_IP,  F_LOCAL_PORT,
    F_LOCAL_ID,	  F_AUTH_METHOD,  F_IKE_VERSION,
};

static bool numeric(enum field f)
{
	enum field_type t = field_table[f].type;

	return t == FT_INT || t == FT_PORT || t == FT_BOOL;
}

/* Sets f on dst from src; 0 or -ENOSPC. */
static int copy_field(struct event *dst, const struct event *src, enum field f)
{
	size_t len;
	const char *s;

	if (numeric(f))
		return event_set_int(dst, f, event_int(src, f, 0));
	s = event_str(src, f, &len);
	return s ? event_set_str(dst, f, s, len) : 0;
}

/* The facts the other held lines of the attempt take from a later one (who the peer is). */
static const enum field backfilled[] = {
    F_PEER_IP, F_PEER_ID, F_ID_TYPE, F_LOCAL_IP, F_LOCAL_ID, F_INITIATOR_ID, F_RESPONDER_ID,
};

static bool same(const struct event *ev, enum field f, const char *v, size_t len)
{
	size_t l;
	const char *s = event_str(ev, f, &l);

	return s && l == len && memcmp(s, v, len) == 0;
}

int hold_absorb(struct hold *h, const struct event *ev, bool carry)
{
	size_t il;
	const char *want = event_str(ev, F_OUTCOME_EVENT_ID, &il);
	int took = 0;

	if (!want)
		return 0;
	/* Newest first: the lines of one attempt come one after the other. */
	for (size_t k = h->len; k-- > 0;) {
		struct hold_item *it = &h->v[(h->head + k) % h->cap];
		bool outcome = !it->json_len && same(&it->ev, F_EVENT_ID, want, il);

		if (outcome) {
			for (size_t i = 0; i < sizeof(absorbed) / sizeof(absorbed[0]); i++)
				if (event_has(ev, absorbed[i]) &&
				    !event_has(&it->ev, absorbed[i]) &&
				    copy_field(&it->ev, ev, absorbed[i]) == 0)
					took = 1;
			break;
		}
		if (!carry || it->json_len || !same(&it->ev, F_OUTCOME_EVENT_ID, want, il))
			continue;
		for (size_t i = 0; i < sizeof(backfilled) / sizeof(backfilled[0]); i++)
			if (event_has(ev, backfilled[i]) && !event_has(&it->ev, backfilled[i]))
				copy_field(&it->ev, ev, backfilled[i]);
	}
	return took;
}

struct hold_item *hold_due(struct hold *h, int64_t line_us, uint64_t now_us, bool all)
{
	struct hold_item *it;

	if (!h->len)
		return NULL;
	it = &h->v[h->head];
	if (all || h->len == h->cap)
		return it;
	if (it->line_us && line_us && line_us - it->line_us > (int64_t)h->hold_us)
		return it;
	if (now_us && it->arrive_us && now_us >= it->arrive_us + h->hold_us)
		return it;
	return NULL;
}

/* A slot whose event used more than this gives its arena back when it leaves (made again on use). */
#define SLOT_KEEP_BYTES (64 * 1024)

void hold_pop(struct hold *h)
{
	struct hold_item *it;

	if (!h->len)
		return;
	/*
	 * Each slot's arena has room for the longest line: a burst of long
	 * lines would otherwise keep every slot's pages resident.
	 */
	it = &h->v[h->head];
	if (it->ev.text && it->ev.text_len > SLOT_KEEP_BYTES)
		event_done(&it->ev);
	if (it->json && it->json_cap > SLOT_KEEP_BYTES) {
		free(it->json);
		it->json = NULL;
		it->json_cap = 0;
	}
	h->head = (h->head + 1) % h->cap;
	h->len--;
}

int hold_push_rendered(struct hold *h, uint64_t seq, int64_t line_us, uint64_t arrive_us,
		       const char *json, size_t len)
{
	struct hold_item *it = &h->v[(h->head + h->len) % h->cap];

	if (len + 1 > it->json_cap) {
		char *b = realloc(it->json, len + 1);

		if (!b)
			return -ENOMEM;
		it->json = b;
		it->json_cap = len + 1;
	}
	memcpy(it->json, json, len);
	it->json[len] = '\0';
	it->json_len = len;
	hold_push(h, seq, line_us, arrive_us);
	return 0;
}

size_t hold_len(const struct hold *h)
{
	return h ? h->len : 0;
}

uint64_t hold_first_seq(const struct hold *h)
{
	return h && h->len ? h->v[h->head].seq : 0;
}

uint64_t hold_deadline(const struct hold *h)
{
	if (!h || !h->len || !h->v[h->head].arrive_us)
		return 0;
	return h->v[h->head].arrive_us + h->hold_us;
}

int hold_copy_event(struct event *dst, const struct event *src)
{
	if (src->text_len > dst->text_cap)
		return -ENOSPC;
	memcpy(dst->present, src->present, sizeof(dst->present));
	memcpy(dst->v, src->v, sizeof(dst->v));
	memcpy(dst->text, src->text, src->text_len);
	dst->text_len = src->text_len;
	dst->rule = src->rule;
	dst->rec = NULL;
	return 0;
}
