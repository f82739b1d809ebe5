/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-host counts and LRU lists beside the IKE SA table (correlate.c).
 * Hosts sit in an open-addressing table (linear probing, backward-shift
 * deletion) with at least twice as many slots as there can be entries, so
 * that a host with no entry left takes no slot. Each entry's neighbours on
 * its host's list are in two arrays parallel to the correlator's entries,
 * which keeps struct sa at one cache line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "correlate_hosts.h"

#define NONE HOST_SHARE_NONE

struct host_slot {
	uint64_t host;
	uint32_t count; /* 0 = free slot */
	uint32_t oldest, newest;
};

struct host_share {
	struct host_slot *slot;
	uint32_t mask;
	uint32_t *older, *newer; /* per entry: its neighbours on its host's list */
	uint64_t big;		 /* the host that held the most when it last grew */
};

static uint32_t home(const struct host_share *h, uint64_t host)
{
	host ^= host >> 33;
	host *= UINT64_C(0xff51afd7ed558ccd);
	host ^= host >> 33;
	return (uint32_t)host & h->mask;
}

/* The slot of host, or the free slot where it would go. */
static struct host_slot *find(const struct host_share *h, uint64_t host)
{
	uint32_t i = home(h, host);

	while (h->slot[i].count && h->slot[i].host != host)
		i = (i + 1) & h->mask;
	return &h->slot[i];
}

int host_share_new(uint32_t cap, struct host_share **ret)
{
	struct host_share *h = calloc(1, sizeof(*h));
	size_t n = 16;
	int r = -ENOMEM;

	if (!h)
		goto out;
	while (n < 2 * (size_t)cap)
		n <<= 1;
	h->mask = (uint32_t)(n - 1);
	h->slot = calloc(n, sizeof(*h->slot));
	h->older = malloc(cap * sizeof(*h->older));
	h->newer = malloc(cap * sizeof(*h->newer));
	if (!h->slot || !h->older || !h->newer)
		goto out;
	*ret = h;
	h = NULL;
	r = 0;
out:
	host_share_free(h);
	return r;
}

void host_share_free(struct host_share *h)
{
	if (!h)
		return;
	free(h->slot);
	free(h->older);
	free(h->newer);
	free(h);
}

uint32_t host_share_count(const struct host_share *h, uint64_t host)
{
	return find(h, host)->count;
}

static void unlink_entry(struct host_share *h, struct host_slot *s, uint32_t i)
{
	if (h->older[i] != NONE)
		h->newer[h->older[i]] = h->newer[i];
	else
		s->oldest = h->newer[i];
	if (h->newer[i] != NONE)
		h->older[h->newer[i]] = h->older[i];
	else
		s->newest = h->older[i];
}

static void link_newest(struct host_share *h, struct host_slot *s, uint32_t i)
{
	h->older[i] = s->newest;
	h->newer[i] = NONE;
	if (s->newest != NONE)
		h->newer[s->newest] = i;
	else
		s->oldest = i;
	s->newest = i;
}

void host_share_add(struct host_share *h, uint64_t host, uint32_t i)
{
	struct host_slot *s = find(h, host);

	if (!s->count)
		*s = (struct host_slot){.host = host, .oldest = NONE, .newest = NONE};
	link_newest(h, s, i);
	s->count++;
	if (host != h->big && s->count > host_share_count(h, h->big))
		h->big = host;
}

void host_share_touch(struct host_share *h, uint64_t host, uint32_t i)
{
	struct host_slot *s = find(h, host);

	if (!s->count || s->newest == i)
		return;
	unlink_entry(h, s, i);
	link_newest(h, s, i);
}

void host_share_back(struct host_share *h, uint64_t host, uint32_t i)
{
	struct host_slot *s = find(h, host);

	if (!s->count || s->oldest == i)
		return;
	unlink_entry(h, s, i);
	h->older[i] = NONE;
	h->newer[i] = s->oldest;
	h->older[s->oldest] = i;
	s->oldest = i;
}

void host_share_remove(struct host_share *h, uint64_t host, uint32_t i)
{
	struct host_slot *s = find(h, host);
	uint32_t at, j;

	if (!s->count)
		return;
	unlink_entry(h, s, i);
	if (--s->count)
		return;
	/* Backward-shift deletion: later members of the probe run move up. */
	at = (uint32_t)(s - h->slot);
	for (j = (at + 1) & h->mask; h->slot[j].count; j = (j + 1) & h->mask) {
		uint32_t k = home(h, h->slot[j].host);
		bool stays = at <= j ? (at < k && k <= j) : (at < k || k <= j);

		if (stays)
			continue;
		h->slot[at] = h->slot[j];
		at = j;
	}
	h->slot[at].count = 0;
}

uint32_t host_share_victim(const struct host_share *h, uint64_t host, uint32_t share)
{
	const struct host_slot *s = find(h, host), *b;

	if (s->count && s->count >= share)
		return s->oldest;
	b = find(h, h->big);
	if (b->count > share)
		return b->oldest;
	return NONE;
}
