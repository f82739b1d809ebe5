/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The correlation table across a restart (correlate.h): the open SAs, with
 * their facts, outcome claims and summary counts, written beside the
 * source position and read back at the next start, so that an SA open
 * across the restart keeps its facts and gets one summary.
 *
 * Layout (this build's structs as they are: the sizes in the header tell
 * another build's file apart, which is then ignored; version 2 differs
 * only in how a story's facts are written, and is read too):
 *   "ikelogd-sa\n", u32 version, u32 sizeof sa/story/sum (0 = no summaries),
 *   u32 cap, u32 count, u64 salt, u64 generation, the connection slots,
 *   count x { u32 index, sa, story (its facts pointer zero)[, sum], the
 *   story's facts padded to SA_FACTS_BYTES } oldest first (the LRU order),
 *   then the hex SHA-256 of everything before it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate_hosts.h"
#include "correlate_int.h"
#include "state.h"

#define MAGIC	"ikelogd-sa\n"
#define VERSION 3 /* 2: the facts written out, not their pointer; 3: numbers without text */

struct head {
	char magic[sizeof(MAGIC) - 1];
	uint32_t version, sa_size, story_size, sum_size, cap, count;
	uint64_t salt, generation;
};

static size_t rec_size(const struct correlator *c)
{
	return sizeof(uint32_t) + sizeof(struct sa) + sizeof(struct sa_story) +
	       (c->sum ? sizeof(struct sa_sum) : 0) + SA_FACTS_BYTES;
}

int correlator_save(const struct correlator *c, char **ret, size_t *ret_len)
{
	struct head h = {.version = VERSION,
			 .sa_size = sizeof(struct sa),
			 .story_size = sizeof(struct sa_story),
			 .sum_size = c->sum ? sizeof(struct sa_sum) : 0,
			 .cap = c->cap,
			 .salt = c->salt,
			 .generation = c->generation};
	size_t n = 0, len;
	char *buf, *p;

	for (uint32_t i = c->lru_tail; i != NONE; i = c->v[i].lru_prev)
		n++;
	h.count = (uint32_t)n;
	memcpy(h.magic, MAGIC, sizeof(h.magic));
	len = sizeof(h) + sizeof(c->conns) + n * rec_size(c) + STATE_HASH_HEX_LEN;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	p = buf;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, c->conns, sizeof(c->conns));
	p += sizeof(c->conns);
	for (uint32_t i = c->lru_tail; i != NONE; i = c->v[i].lru_prev) {
		memcpy(p, &i, sizeof(i));
		p += sizeof(i);
		memcpy(p, &c->v[i], sizeof(c->v[i]));
		p += sizeof(c->v[i]);
		struct sa_story st = c->story[i];

		st.facts = NULL;
		st.cap = 0;
		memcpy(p, &st, sizeof(st));
		p += sizeof(st);
		if (c->sum) {
			memcpy(p, &c->sum[i], sizeof(c->sum[i]));
			p += sizeof(c->sum[i]);
		}
		memset(p, 0, SA_FACTS_BYTES);
		if (c->story[i].used)
			memcpy(p, c->story[i].facts, c->story[i].used);
		p += SA_FACTS_BYTES;
	}
	state_sha256_hex(buf, (size_t)(p - buf), p);
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* Empties the table (a file found wrong half way through). */
static void reset(struct correlator *c)
{
	memset(c->v, 0, c->cap * sizeof(*c->v));
	memset(c->buckets, 0xff, c->n_buckets * sizeof(*c->buckets));
	memset(c->conns, 0, sizeof(c->conns));
	if (c->sum)
		memset(c->sum, 0, c->cap * sizeof(*c->sum));
	c->lru_head = c->lru_tail = c->free_head = NONE;
	c->n_used = 0;
	c->ended_head = c->ended_len = 0;
	c->gone_head = c->gone_len = 0;
	for (uint32_t i = 0; i < c->cap; i++)
		sa_story_done(&c->story[i]);
	/* The per-host lists held the entries linked so far: start them again. */
	if (c->hosts) {
		host_share_free(c->hosts);
		if (host_share_new(c->cap, &c->hosts) < 0)
			c->hosts = NULL; /* no share rather than stale lists */
	}
}

/* Every link of a restored entry names a restored entry of the right kind. */
static bool links_ok(const struct correlator *c, uint32_t i)
{
	const struct sa *e = &c->v[i];

	if (e->child)
		return e->parent == NONE ||
		       (e->parent < c->cap && c->v[e->parent].used && !c->v[e->parent].child);
	for (uint32_t k = e->first_child, n = 0; k != NONE; k = c->v[k].next_sibling, n++)
		if (k >= c->cap || !c->v[k].used || !c->v[k].child || c->v[k].parent != i ||
		    n > c->cap)
			return false;
	return true;
}

int correlator_load(struct correlator *c, const void *data, size_t len)
{
	const char *p = data;
	char hex[STATE_HASH_HEX_LEN + 1];
	struct head h;
	size_t rs = rec_size(c);
	uint32_t top = 0;

	if (c->n_used)
		return -EBUSY; /* only into a table that has seen nothing yet */
	if (len < sizeof(h) + sizeof(c->conns) + STATE_HASH_HEX_LEN)
		return -EBADMSG;
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.magic, MAGIC, sizeof(h.magic)) != 0 ||
	    (h.version != VERSION && h.version != 2))
		return -EBADMSG;
	state_sha256_hex(p, len - STATE_HASH_HEX_LEN, hex);
	if (memcmp(hex, p + len - STATE_HASH_HEX_LEN, STATE_HASH_HEX_LEN) != 0)
		return -EBADMSG;
	/* Another build's layout, another table size, summaries switched: not this table's. */
	if (h.sa_size != sizeof(struct sa) || h.story_size != sizeof(struct sa_story) ||
	    h.sum_size != (c->sum ? sizeof(struct sa_sum) : 0) || h.cap != c->cap ||
	    len != sizeof(h) + sizeof(c->conns) + (size_t)h.count * rs + STATE_HASH_HEX_LEN)
		return -EPROTO;
	p += sizeof(h);
	memcpy(c->conns, p, sizeof(c->conns));
	p += sizeof(c->conns);
	for (uint32_t k = 0; k < h.count; k++, p += rs) {
		uint32_t i;

		memcpy(&i, p, sizeof(i));
		if (i >= c->cap || c->v[i].used)
			goto bad;
		memcpy(&c->v[i], p + sizeof(i), sizeof(c->v[i]));
		memcpy(&c->story[i], p + sizeof(i) + sizeof(c->v[i]), sizeof(c->story[i]));
		c->story[i].facts = NULL; /* before any exit: reset() frees what it points to */
		c->story[i].cap = 0;
		if (c->sum)
			memcpy(&c->sum[i], p + sizeof(i) + sizeof(c->v[i]) + sizeof(c->story[i]),
			       sizeof(c->sum[i]));
		if (!c->v[i].used || sa_story_restore(&c->story[i], p + rs - SA_FACTS_BYTES,
						      c->story[i].used, h.version == 2) < 0)
			goto bad;
		corr_link(c, i);
		if (i + 1 > top)
			top = i + 1;
	}
	for (uint32_t i = 0; i < top; i++)
		if (c->v[i].used && !links_ok(c, i))
			goto bad;
	for (size_t k = 0; k < CONN_SLOTS; k++)
		if (c->conns[k].conn_hash &&
		    (c->conns[k].ike >= c->cap || !c->v[c->conns[k].ike].used))
			c->conns[k].conn_hash = 0;
	/* The entries not restored below the highest one are free. */
	c->n_used = top;
	for (uint32_t i = top; i-- > 0;)
		if (!c->v[i].used) {
			c->v[i].hnext = c->free_head;
			c->free_head = i;
		}
	c->salt = h.salt;
	c->generation = h.generation;
	/* An IKE SA that had ended and was not summarised yet is due at the next line. */
	for (uint32_t i = 0; c->sum && i < top; i++)
		if (c->v[i].used && c->sum[i].ended && !c->sum[i].emitted) {
			c->sum[i].ended = false;
			c->sum[i].ended_clock = 0;
			corr_mark_ended(c, i);
		}
	return (int)h.count;
bad:
	reset(c);
	return -EBADMSG;
}
