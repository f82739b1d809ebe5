/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IKE SA table. Every pluto state (#N) seen is one entry keyed by
 * (host, serial): pluto's serials are unique within one pluto process, and
 * the connection name and pid stored in the entry tell a restarted pluto's
 * reused serial from the old one. IKE SA entries carry the ike_sa_id;
 * Child SA entries point at their IKE SA and sit on its list of children,
 * so that an IKE SA rekey can move them to the new IKE SA in one walk.
 * Bounded: the least recently used entry is evicted (counted).
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "correlate_hosts.h"
#include "correlate_int.h"

uint64_t corr_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * UINT64_C(0x100000001b3);
	return h;
}

int correlator_new(unsigned max_sas, const char *salt, struct counters *cnt,
		   struct correlator **ret)
{
	struct correlator *c = calloc(1, sizeof(*c));
	int r = -ENOMEM;

	if (!c)
		goto out;
	c->cap = max_sas < MIN_SAS ? MIN_SAS : max_sas;
	c->n_buckets = 1;
	while (c->n_buckets < c->cap * 2)
		c->n_buckets <<= 1;
	c->v = calloc(c->cap, sizeof(*c->v));
	c->story = calloc(c->cap, sizeof(*c->story));
	c->carry = c->merge = true;
	c->buckets = malloc(c->n_buckets * sizeof(*c->buckets));
	/*
	 * Deleted SAs kept: a sixteenth of the table, all of a small one (up
	 * to 256). pluto prints the lines that follow a delete within
	 * milliseconds, thousands of deletes earlier than this lets go.
	 */
	c->gone_cap = c->cap < 256 ? c->cap : 256;
	if (c->cap / 16 > c->gone_cap)
		c->gone_cap = c->cap / 16;
	c->gone = malloc(c->gone_cap * sizeof(*c->gone));
	if (!c->v || !c->buckets || !c->story || !c->gone)
		goto out;
	memset(c->buckets, 0xff, c->n_buckets * sizeof(*c->buckets));
	c->lru_head = c->lru_tail = c->free_head = NONE;
	c->cnt = cnt;
	if (salt)
		c->salt = hash_bytes(UINT64_C(0xcbf29ce484222325), salt, strlen(salt));
	else if (getrandom(&c->salt, sizeof(c->salt), 0) != sizeof(c->salt))
		c->salt = (uint64_t)(uintptr_t)c ^ (uint64_t)time(NULL);
	*ret = c;
	c = NULL;
	r = 0;
out:
	correlator_free(c);
	return r;
}

void correlator_free(struct correlator *c)
{
	if (!c)
		return;
	/*
	 * Entries past n_used were never handed out: their stories hold
	 * nothing, and writing them would fault in the whole table's pages.
	 */
	for (uint32_t i = 0; c->story && i < c->n_used; i++)
		sa_story_done(&c->story[i]);
	free(c->v);
	free(c->story);
	free(c->sum);
	free(c->ended);
	free(c->gone);
	for (unsigned k = 0; k < PENDING_MAX; k++)
		event_done(&c->pending[k].ev);
	free(c->buckets);
	host_share_free(c->hosts);
	free(c);
}

static uint32_t bucket(const struct correlator *c, uint64_t host_hash, int64_t serial)
{
	return (uint32_t)(corr_mix(host_hash ^ (uint64_t)serial) & (c->n_buckets - 1));
}

static void lru_unlink(struct correlator *c, uint32_t i)
{
	struct sa *e = &c->v[i];

	if (e->lru_prev != NONE)
		c->v[e->lru_prev].lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next != NONE)
		c->v[e->lru_next].lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
}

static void lru_front(struct correlator *c, uint32_t i)
{
	struct sa *e = &c->v[i];

	e->lru_prev = NONE;
	e->lru_next = c->lru_head;
	if (c->lru_head != NONE)
		c->v[c->lru_head].lru_prev = i;
	c->lru_head = i;
	if (c->lru_tail == NONE)
		c->lru_tail = i;
}

static void lru_back(struct correlator *c, uint32_t i)
{
	struct sa *e = &c->v[i];

	e->lru_next = NONE;
	e->lru_prev = c->lru_tail;
	if (c->lru_tail != NONE)
		c->v[c->lru_tail].lru_next = i;
	c->lru_tail = i;
	if (c->lru_head == NONE)
		c->lru_head = i;
}

static void touch(struct correlator *c, uint32_t i)
{
	if (c->hosts)
		host_share_touch(c->hosts, c->v[i].host_hash, i);
	if (c->lru_head == i)
		return;
	lru_unlink(c, i);
	lru_front(c, i);
}

static void child_unlink(struct correlator *c, uint32_t i)
{
	struct sa *e = &c->v[i];

	if (!e->child || e->parent == NONE)
		return;
	uint32_t *p = &c->v[e->parent].first_child;

	while (*p != NONE && *p != i)
		p = &c->v[*p].next_sibling;
	if (*p == i)
		*p = e->next_sibling;
	e->parent = NONE;
	e->next_sibling = NONE;
}

static void child_link(struct correlator *c, uint32_t i, uint32_t parent)
{
	struct sa *e = &c->v[i];

	child_unlink(c, i);
	e->child = true;
	e->orphan = false;
	e->has_prev = false;
	e->parent = parent;
	e->next_sibling = c->v[parent].first_child;
	c->v[parent].first_child = i;
}

static struct conn_cur *conn_slot(struct correlator *c, uint64_t host_hash, uint64_t conn_hash)
{
	return &c->conns[corr_mix(host_hash ^ (conn_hash * 31)) % CONN_SLOTS];
}

/*
 * An IKE SA leaves the table before its summary went out (evicted, or its
 * serial reused by a restarted pluto): the summary is made now, from what
 * the entry still holds, and emitted after the line (correlate_summaries_due).
 */
static void summarise_leaving(struct correlator *c, uint32_t i)
{
	struct pending *pd;

	if (!c->summary || c->v[i].child || !c->v[i].id || !c->sum[i].active || c->sum[i].emitted)
		return;
	c->sum[i].emitted = true;
	if (c->n_pending == PENDING_MAX) {
		if (c->cnt)
			c->cnt->summaries_lost++;
		return;
	}
	pd = &c->pending[c->n_pending];
	if (!pd->ev.text && event_init(&pd->ev, SUMMARY_ARENA) < 0) {
		if (c->cnt)
			c->cnt->summaries_lost++;
		return;
	}
	if (corr_summary_event(c, i, &pd->ev) < 0 && c->cnt)
		c->cnt->arena_full++;
	pd->s = c->sum[i];
	pd->why = sa_sum_end_reason(&c->sum[i], "evicted");
	c->n_pending++;
}

/* Removes entry i: from its hash chain, the LRU, its parent's list; orphans its children. */
static void forget(struct correlator *c, uint32_t i)
{
	struct sa *e = &c->v[i];

	summarise_leaving(c, i);
	uint32_t *p = &c->buckets[bucket(c, e->host_hash, e->serial)];

	while (*p != NONE && *p != i)
		p = &c->v[*p].hnext;
	if (*p == i)
		*p = e->hnext;
	lru_unlink(c, i);
	if (c->hosts)
		host_share_remove(c->hosts, e->host_hash, i);
	child_unlink(c, i);
	for (uint32_t k = e->first_child; k != NONE;) {
		uint32_t next = c->v[k].next_sibling;

		c->v[k].parent = NONE;
		c->v[k].next_sibling = NONE;
		k = next;
	}
	if (e->conn_hash) {
		struct conn_cur *cc = conn_slot(c, e->host_hash, e->conn_hash);

		if (cc->ike == i && cc->host_hash == e->host_hash && cc->conn_hash == e->conn_hash)
			cc->conn_hash = 0;
	}
	memset(e, 0, sizeof(*e));
	sa_story_reset(&c->story[i]); /* its facts' buffer back now, not when the slot is reused */
	e->hnext = c->free_head;
	c->free_head = i;
}

/*
 * Entry e was just deleted: it joins the deleted ones kept, and the one
 * deleted longest ago is forgotten when they are more than gone_cap (unless
 * its slot went to another SA since).
 */
static void keep_deleted(struct correlator *c, uint32_t e)
{
	if (c->gone_len == c->gone_cap) {
		struct gone *g = &c->gone[c->gone_head];
		struct sa *x = &c->v[g->i];

		c->gone_head = (c->gone_head + 1) % c->gone_cap;
		c->gone_len--;
		if (x->used && x->deleted && x->serial == g->serial &&
		    x->host_hash == g->host_hash && g->i != e)
			forget(c, g->i);
	}
	c->gone[(c->gone_head + c->gone_len) % c->gone_cap] =
	    (struct gone){.i = e, .serial = c->v[e].serial, .host_hash = c->v[e].host_hash};
	c->gone_len++;
}

void corr_link(struct correlator *c, uint32_t i)
{
	struct sa *e = &c->v[i];
	uint32_t b = bucket(c, e->host_hash, e->serial);

	e->hnext = c->buckets[b];
	c->buckets[b] = i;
	lru_front(c, i);
	if (c->hosts)
		host_share_add(c->hosts, e->host_hash, i);
}

static uint32_t lookup(struct correlator *c, uint64_t host_hash, int64_t serial)
{
	for (uint32_t i = c->buckets[bucket(c, host_hash, serial)]; i != NONE; i = c->v[i].hnext)
		if (c->v[i].host_hash == host_hash && c->v[i].serial == serial)
			return i;
	return NONE;
}

static uint32_t insert(struct correlator *c, uint64_t host_hash, int64_t serial)
{
	uint32_t i;

	if (c->free_head != NONE) {
		i = c->free_head;
		c->free_head = c->v[i].hnext;
	} else if (c->n_used < c->cap) {
		i = c->n_used++;
	} else {
		uint32_t victim =
		    c->hosts ? host_share_victim(c->hosts, host_hash, c->host_share) : NONE;

		if (victim == NONE)
			victim = c->lru_tail;
		if (c->cnt && !c->v[victim].deleted)
			c->cnt->correlate_evictions++;
		forget(c, victim);
		i = c->free_head;
		c->free_head = c->v[i].hnext;
	}
	struct sa *e = &c->v[i];

	memset(e, 0, sizeof(*e));
	e->used = true;
	e->host_hash = host_hash;
	e->serial = serial;
	e->parent = e->first_child = e->next_sibling = NONE;
	sa_story_reset(&c->story[i]);
	if (c->sum)
		memset(&c->sum[i], 0, sizeof(c->sum[i]));
	corr_link(c, i);
	return i;
}

static void make_id(struct correlator *c, struct sa *e, const struct event *ev)
{
	const struct record *rec = ev->rec;
	uint64_t h = hash_bytes(UINT64_C(0xcbf29ce484222325), &c->salt, sizeof(c->salt));

	h = hash_bytes(h, &e->host_hash, sizeof(e->host_hash));
	h = hash_bytes(h, &e->conn_hash, sizeof(e->conn_hash));
	h = hash_bytes(h, &e->serial, sizeof(e->serial));
	h = hash_bytes(h, &e->pid, sizeof(e->pid));
	c->generation++;
	h = hash_bytes(h, &c->generation, sizeof(c->generation));
	if (rec) {
		h = hash_bytes(h, &rec->realtime_usec, sizeof(rec->realtime_usec));
		h = hash_bytes(h, &rec->seq, sizeof(rec->seq));
		if (rec->boot_id)
			h = hash_bytes(h, rec->boot_id, strlen(rec->boot_id));
	}
	e->id = corr_mix(h) | 1; /* never 0, which means "none" */
}

/* Finds or makes the entry for (host, serial); a different conn or pid means a new SA. */
static uint32_t get(struct correlator *c, const struct event *ev, uint64_t hh, uint64_t ch,
		    int32_t pid, int64_t serial, bool *ret_new)
{
	uint32_t i = lookup(c, hh, serial);

	*ret_new = false;
	if (i != NONE) {
		struct sa *e = &c->v[i];

		if ((ch && e->conn_hash && ch != e->conn_hash) ||
		    (pid && e->pid && pid != e->pid)) {
			forget(c, i);
			i = NONE;
		} else {
			if (ch && !e->conn_hash)
				e->conn_hash = ch;
			if (pid && !e->pid)
				e->pid = pid;
			touch(c, i);
			return i;
		}
	}
	i = insert(c, hh, serial);
	c->v[i].conn_hash = ch;
	c->v[i].pid = pid;
	*ret_new = true;
	return i;
}

/* The two hex digits of each byte value: an id is 8 look-ups, not 16 shifts and masks. */
static const char hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

const char *corr_hex_id(uint64_t v, char out[ID_LEN + 1])
{
	for (int i = ID_LEN - 2; i >= 0; i -= 2, v >>= 8)
		memcpy(out + i, &hex_pairs[(v & 0xff) * 2], 2);
	out[ID_LEN] = '\0';
	return out;
}

/*
 * An event type (tl bytes) is want / starts with prefix: a length and a
 * compare of a known size, which the compiler does inline, where a strcmp
 * per test was 4% of the correlator's time.
 */
static inline bool type_is(const char *t, size_t tl, const char *want)
{
	return t && tl == strlen(want) && memcmp(t, want, strlen(want)) == 0;
}

static inline bool type_starts(const char *t, size_t tl, const char *prefix)
{
	return t && tl >= strlen(prefix) && memcmp(t, prefix, strlen(prefix)) == 0;
}

/*
 * An IKE SA's role, from the lines of the exchanges that make it
 * (ike_init, ike_auth, ike_sa_rekey: "initiating IKEv2 connection", "sent
 * IKE_SA_INIT reply"), is given to its later IKE SA lines that do not state
 * one ("authentication failed: ..."), so their peer identity lands in IDi
 * or IDr. Another line's role is that of its own exchange (the responder
 * of an INFORMATIONAL exchange the peer started): it stands for the IKE
 * SA's only while none of those was seen (an SA met in mid-life). Child SA
 * lines keep their own: either end may start a CREATE_CHILD_SA.
 */
static int remember_role(struct sa *ike, bool ike_line, struct event *ev)
{
	const char *role = event_str(ev, F_ROLE, NULL);

	if (!ike_line)
		return 0;
	if (role) {
		size_t tl = 0;
		const char *t = event_str(ev, F_EVENT_TYPE, &tl);

		if (ike->role != ROLE_UNKNOWN && !type_is(t, tl, "ike_init") &&
		    !type_is(t, tl, "ike_auth") && !type_is(t, tl, "ike_sa_rekey"))
			return 0;
		ike->role = strcmp(role, "initiator") == 0   ? ROLE_INITIATOR
			    : strcmp(role, "responder") == 0 ? ROLE_RESPONDER
							     : ROLE_UNKNOWN;
		return 0;
	}
	if (ike->role == ROLE_INITIATOR)
		return event_set_str(ev, F_ROLE, "initiator", 9);
	if (ike->role == ROLE_RESPONDER)
		return event_set_str(ev, F_ROLE, "responder", 9);
	return 0;
}

/* The event's ike_sa_id (and previous_ike_sa_id, parent_serial, role) from its SA e. */
static int set_ids(struct correlator *c, uint32_t e, uint64_t prev_id, struct event *ev)
{
	uint32_t ike = c->v[e].child ? c->v[e].parent : e;
	int r = 0;

	if (ike != NONE) {
		char id[ID_LEN + 1];

		if (event_set_str(ev, F_IKE_SA_ID, corr_hex_id(c->v[ike].id, id), ID_LEN) < 0)
			r = -ENOSPC;
		if (prev_id &&
		    event_set_str(ev, F_PREVIOUS_IKE_SA_ID, corr_hex_id(prev_id, id), ID_LEN) < 0)
			r = -ENOSPC;
		if (c->v[e].child && !event_has(ev, F_PARENT_SERIAL) &&
		    event_set_int(ev, F_PARENT_SERIAL, c->v[ike].serial) < 0)
			r = -ENOSPC;
		r = remember_role(&c->v[ike], !c->v[e].child, ev) < 0 ? -ENOSPC : r;
	}
	return r;
}

int correlator_set_host_share(struct correlator *c, unsigned max_per_host)
{
	int r;

	if (c->hosts || max_per_host == 0 || max_per_host >= c->cap)
		return 0;
	/* Before the first event: the lists must hold every entry. */
	if (c->n_used)
		return -EBUSY;
	r = host_share_new(c->cap, &c->hosts);
	if (r < 0)
		return r;
	c->host_share = max_per_host;
	return 0;
}

void correlator_set_story(struct correlator *c, bool carry, bool merge)
{
	c->carry = carry;
	c->merge = merge;
}

int correlator_set_summary(struct correlator *c, bool on)
{
	if (on && !c->sum) {
		c->sum = calloc(c->cap, sizeof(*c->sum));
		c->ended = calloc(c->cap, sizeof(*c->ended));
		if (!c->sum || !c->ended)
			return -ENOMEM;
	}
	c->summary = on;
	return 0;
}

void correlator_set_clock(struct correlator *c, uint64_t grace_us, uint64_t now_us)
{
	c->grace_us = grace_us;
	c->clock_us = now_us;
}

/* IKE SA entry i has ended (deleted, replaced, timed out): its summary is due after the grace. */
void corr_mark_ended(struct correlator *c, uint32_t i)
{
	struct sa_sum *s = &c->sum[i];

	if (s->ended || s->emitted || !s->active || c->v[i].child)
		return;
	s->ended = true;
	s->ended_us = s->end_us;
	s->ended_clock = c->clock_us;
	if (c->ended_len == c->cap) { /* every entry ended within the grace: the oldest goes now */
		uint32_t k = c->ended[c->ended_head].i;

		c->ended_head = (c->ended_head + 1) % c->cap;
		c->ended_len--;
		if (c->v[k].used && !c->sum[k].emitted)
			summarise_leaving(c, k);
	}
	c->ended[(c->ended_head + c->ended_len) % c->cap] =
	    (struct ended){.i = i, .id = c->v[i].id};
	c->ended_len++;
}

/*
 * IDi and IDr by the IKE SA's role (not the line's: a Child SA line or an
 * exchange the peer started has its own), so that they are the IKE SA's on
 * every line; while the IKE SA's role is not known, by the line's.
 */
int corr_derive_ids(unsigned role, struct event *ev)
{
	const char *own = event_str(ev, F_ROLE, NULL);
	size_t pl = 0, ll = 0;

	if (role == ROLE_UNKNOWN && own)
		role = strcmp(own, "initiator") == 0   ? ROLE_INITIATOR
		       : strcmp(own, "responder") == 0 ? ROLE_RESPONDER
						       : ROLE_UNKNOWN;
	const char *peer = event_str(ev, F_PEER_ID, &pl), *local = event_str(ev, F_LOCAL_ID, &ll);
	enum field pf = role == ROLE_INITIATOR ? F_RESPONDER_ID : F_INITIATOR_ID;
	enum field lf = role == ROLE_INITIATOR ? F_INITIATOR_ID : F_RESPONDER_ID;

	if (role == ROLE_UNKNOWN)
		return 0;
	if (peer && !event_has(ev, pf) && event_set_str(ev, pf, peer, pl) < 0)
		return -ENOSPC;
	if (local && !event_has(ev, lf) && event_set_str(ev, lf, local, ll) < 0)
		return -ENOSPC;
	return 0;
}

/*
 * An SA's story: the line's facts are kept in
 * its SA's story (an IKE SA's own, or for a Child SA line the Child SA's
 * own facts and its IKE SA's endpoints and IDs), then the event gets what
 * the stories hold and it lacks. The IKE SA's transform goes only to its
 * own lines: a Child SA line's transform is the Child SA's. Runs before
 * redaction, so a carried identity is redacted as the line's own would be.
 */
static int tell_story(struct correlator *c, uint32_t e, bool outcome, struct event *ev)
{
	struct sa *x = &c->v[e];
	struct sa_story *own = &c->story[e];
	struct sa_story *ike = x->child && x->parent != NONE ? &c->story[x->parent] : own;
	int r = 0;

	if (c->carry) {
		/*
		 * IDi and IDr are the IKE SA's: derived here from the role this
		 * line may just have been given, kept, and carried to its Child SA
		 * lines whichever end started their exchange.
		 */
		if (corr_derive_ids(x->child && x->parent != NONE ? c->v[x->parent].role : x->role,
				    ev) < 0)
			r = -ENOSPC;
		sa_story_learn(ike, ev, SA_FACTS_IKE);
		if (!x->child)
			sa_story_learn(own, ev, SA_FACTS_IKE_XFORM);
		else
			sa_story_learn(own, ev, SA_FACTS_CHILD);
		if (sa_story_carry(ike, ev, SA_FACTS_IKE) < 0 ||
		    sa_story_carry(own, ev, x->child ? SA_FACTS_CHILD : SA_FACTS_IKE_XFORM) < 0 ||
		    corr_derive_ids(x->child && x->parent != NONE ? c->v[x->parent].role : x->role,
				    ev) < 0)
			r = -ENOSPC;
	}
	if (c->merge && outcome && sa_story_outcome(ike, own, x->child ? x->serial : -1, ev) < 0)
		r = -ENOSPC;
	if (c->summary) {
		uint32_t ike_i = x->child && x->parent != NONE ? x->parent : e;

		/* Connection, host and pid do not change within an IKE SA: learnt once. */
		if (!c->sum[ike_i].named && event_has(ev, F_CONN_NAME)) {
			sa_story_learn(ike, ev, SA_FACTS_SUMMARY);
			c->sum[ike_i].named = true;
		}
		sa_sum_account(&c->sum[ike_i], &c->sum[e], x->child, ev);
		if (!x->child && (c->sum[e].deleted || c->sum[e].timeout))
			corr_mark_ended(c, e);
	}
	return r;
}

int correlate_event(struct correlator *c, struct event *ev)
{
	size_t hl = 0, cl = 0, tl = 0;
	const char *host = event_str(ev, F_PLATFORM_HOST, &hl);
	const char *conn = event_str(ev, F_CONN_NAME, &cl);
	const char *type = event_str(ev, F_EVENT_TYPE, &tl);
	int32_t pid = (int32_t)event_int(ev, F_PLATFORM_PID, 0);
	uint64_t hh, ch;
	uint32_t e, ike = NONE;
	bool fresh, child_type;
	int r = 0;

	if (!event_has(ev, F_STATE_SERIAL))
		return 0;
	int64_t serial = event_int(ev, F_STATE_SERIAL, 0);

	if (!host && ev->rec && ev->rec->host)
		host = ev->rec->host, hl = strlen(host);
	hh = corr_mix(hash_bytes(UINT64_C(0xcbf29ce484222325), host ? host : "", hl));
	/* The connection: its name and instance ("road"[1] and "road"[2] are two peers). */
	int64_t inst = event_int(ev, F_CONN_INSTANCE, 0);

	ch = conn ? corr_mix(hash_bytes(hash_bytes(UINT64_C(0x84222325cbf29ce4), conn, cl), &inst,
					sizeof(inst))) |
			1
		  : 0;
	/*
	 * A line no rule knows (unparsed) still names its state in its
	 * envelope: it joins the SA of that state, but says too little to start
	 * one or to become its connection's current IKE SA.
	 */
	if (type_is(type, tl, "unparsed")) {
		e = lookup(c, hh, serial);
		if (e == NONE || (ch && c->v[e].conn_hash && ch != c->v[e].conn_hash) ||
		    (pid && c->v[e].pid && pid != c->v[e].pid))
			return 0;
		touch(c, e);
		r = set_ids(c, e, 0, ev);
		return tell_story(c, e, false, ev) < 0 ? -ENOSPC : r;
	}
	/* A new serial of these types is a Child SA; of any other, an IKE SA. */
	/*
	 * status snapshots: tunnel_status, tunnel_up, tunnel_down are about a
	 * Child SA, and so is an audit record's audit_child_sa
	 */
	bool tunnel_type = type_starts(type, tl, "tunnel_") || type_is(type, tl, "audit_child_sa");

	child_type = type_starts(type, tl, "child_sa_") ||
		     type_is(type, tl, "no_proposal_chosen") ||
		     type_is(type, tl, "ts_unacceptable") || tunnel_type;

	e = get(c, ev, hh, ch, pid, serial, &fresh);
	if (event_has(ev, F_PARENT_SERIAL) && event_int(ev, F_PARENT_SERIAL, 0) != serial) {
		bool pf;

		ike = get(c, ev, hh, ch, pid, event_int(ev, F_PARENT_SERIAL, 0), &pf);
		e = lookup(c, hh, serial); /* the parent's insert may have evicted it */
		if (e == NONE)
			e = get(c, ev, hh, ch, pid, serial, &fresh);
		if (pf)
			make_id(c, &c->v[ike], ev);
		if (c->v[ike].child) /* a parent that names one: use the IKE SA above it */
			ike = c->v[ike].parent;
		if (ike != NONE && (c->v[e].parent != ike || !c->v[e].child))
			child_link(c, e, ike);
	} else if (fresh && child_type) {
		/* A Child SA that names no parent: the rekeyed one's, else the conn's current IKE
		 * SA. */
		uint32_t old = event_has(ev, F_REPLACED_SERIAL)
				   ? lookup(c, hh, event_int(ev, F_REPLACED_SERIAL, 0))
				   : NONE;
		struct conn_cur *cc = conn_slot(c, hh, ch);

		if (old != NONE && c->v[old].child && c->v[old].parent != NONE)
			ike = c->v[old].parent;
		else if (ch && cc->conn_hash == ch && cc->host_hash == hh)
			ike = cc->ike;
		if (ike != NONE && !c->v[ike].deleted) {
			child_link(c, e, ike);
		} else if (type_starts(type, tl, "child_sa_") || tunnel_type) {
			/* surely a Child SA, of an IKE SA we do not know: no id rather than a
			 * made-up one */
			c->v[e].child = true;
		} else {
			/*
			 * A failure (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) of a state we do
			 * not know may be its IKE SA's own: it stands for itself until a
			 * line names its IKE SA.
			 */
			c->v[e].orphan = true;
			make_id(c, &c->v[e], ev);
		}
	} else if (fresh) {
		make_id(c, &c->v[e], ev);
	}
	if (!c->v[e].child && !c->v[e].id)
		make_id(c, &c->v[e], ev);
	if (!c->v[e].child && !c->v[e].orphan && !c->v[e].deleted && ch) {
		struct conn_cur *cc = conn_slot(c, hh, ch);

		*cc = (struct conn_cur){.host_hash = hh, .conn_hash = ch, .ike = e};
	}

	/*
	 * IKE SA rekey: the new SA adopts the old one's Child SAs and remembers
	 * the old id for its rekey lines (4.x prints some without the old serial).
	 */
	uint64_t prev_id = 0;

	if (type_is(type, tl, "ike_sa_rekey") && event_has(ev, F_REPLACED_SERIAL) &&
	    !c->v[e].child) {
		uint32_t old = lookup(c, hh, event_int(ev, F_REPLACED_SERIAL, 0));

		if (old != NONE && old != e && !c->v[old].child) {
			c->v[e].prev_id = c->v[old].id;
			c->v[e].has_prev = true;
			sa_story_inherit(&c->story[e], &c->story[old], SA_FACTS_IKE);
			if (c->sum && !c->sum[old].replaced) { /* the rekey's lines each name it */
				c->sum[old].ike_rekeys++;
				/* It ends with its delete (an INFORMATIONAL round trip later). */
				c->sum[old].replaced = true;
			}
			while (c->v[old].first_child != NONE)
				child_link(c, c->v[old].first_child, e);
		}
	}
	if (type_is(type, tl, "ike_sa_rekey") && !c->v[e].child && c->v[e].has_prev)
		prev_id = c->v[e].prev_id;

	r = set_ids(c, e, prev_id, ev);
	if (tell_story(c, e, true, ev) < 0)
		r = -ENOSPC;

	/*
	 * A delete marks the SA gone: new Child SAs no longer attach to it, and
	 * it is the first to go when the table is full (not counted as an
	 * eviction). It is not forgotten at once because pluto goes on logging
	 * about a state after its delete line (the Child SAs' "traffic
	 * information", "deleting IKE SA but connection is supposed to remain
	 * up"), and a serial is never reused within one pluto process.
	 */
	if (type_is(type, tl, "ike_sa_delete") || type_is(type, tl, "child_sa_delete")) {
		struct sa *x = &c->v[e];

		if (!x->deleted)
			keep_deleted(c, e);
		x->deleted = true;
		if (x->conn_hash) {
			struct conn_cur *cc = conn_slot(c, x->host_hash, x->conn_hash);

			if (cc->ike == e && cc->host_hash == x->host_hash &&
			    cc->conn_hash == x->conn_hash)
				cc->conn_hash = 0;
		}
		lru_unlink(c, e);
		lru_back(c, e);
		if (c->hosts)
			host_share_back(c->hosts, x->host_hash, e);
	}
	return r;
}
