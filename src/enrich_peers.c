/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enrichment stage's table of peer addresses seen before
 * (enrich_impl.h). A gateway sees its peers again and again: every rekey
 * or reconnection is a new IKE SA of the same peer, and the lines of
 * several SAs interleave. A new peer costs a lookup in every map and both
 * databases (about 3,000 instructions, most of them libmaxminddb's tree
 * walk); one found here, the copy of its values. The table is bounded
 * (PEER_ENTRIES, about 3 MB with two maps, mapped when first touched):
 * sets of four by a hash of the address, the entry used longest ago
 * replaced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "enrich_impl.h"

int peer_table_init(struct peer_table *t, size_t n_maps)
{
	*t = (struct peer_table){.n_maps = n_maps};
	t->v = calloc(PEER_ENTRIES, sizeof(*t->v));
	if (n_maps)
		t->labels = calloc(PEER_ENTRIES * n_maps, sizeof(*t->labels));
	if (!t->v || (n_maps && !t->labels)) {
		peer_table_free(t);
		return -ENOMEM;
	}
	return 0;
}

void peer_table_free(struct peer_table *t)
{
	free(t->v);
	free(t->labels);
	*t = (struct peer_table){0};
}

/*
 * The set of address a: a multiplicative hash of its 16 bytes (an IPv4
 * address and the IPv6 one of the same first bytes share a set).
 */
static size_t peer_set(const unsigned char a[16])
{
	uint64_t lo, hi;

	memcpy(&lo, a, 8);
	memcpy(&hi, a + 8, 8);
	lo ^= hi * UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)((lo * UINT64_C(0xff51afd7ed558ccd)) >> (64 - PEER_SET_BITS));
}

struct peer_entry *peer_table_get(struct peer_table *t, const unsigned char a[16], bool v6,
				  unsigned gen, bool *found)
{
	struct peer_entry *set = t->v + peer_set(a) * PEER_WAYS, *old = set;

	/* 0 marks an empty entry: the clock skips it when it wraps. */
	if (++t->clock == 0)
		t->clock = 1;
	for (unsigned w = 0; w < PEER_WAYS; w++) {
		struct peer_entry *p = &set[w];

		if (p->used && p->v6 == v6 && memcmp(p->addr, a, 16) == 0) {
			/* Of an older generation: filled again in its place. */
			*found = p->gen == gen;
			old = p;
			goto out;
		}
		/* Empty (0) is the oldest; the clock's wrap makes a poor choice at worst. */
		if (p->used < old->used)
			old = p;
	}
	*found = false;
	memcpy(old->addr, a, 16);
	old->v6 = v6;
out:
	old->used = t->clock;
	old->gen = gen;
	return old;
}
