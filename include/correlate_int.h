/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CORRELATE_INT_H
#define IKELOGD_CORRELATE_INT_H

/*
 * The correlation table's insides, shared by the files that make up the
 * correlator only (correlate.c: the table and the stories;
 * correlate_summary.c: the summaries; correlate_state.c: saving and
 * restoring it across a restart). Nothing else includes this but their
 * unit test.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "correlate.h"
#include "sa_story.h"

#define NONE	      UINT32_MAX
#define ID_LEN	      16
#define MIN_SAS	      16
#define PENDING_MAX   4 /* entries one line can forget: its SA's, its parent's, and one more */
#define SUMMARY_ARENA 8192

struct sa {
	uint64_t host_hash;
	uint64_t conn_hash; /* 0 = unknown */
	int64_t serial;
	uint64_t id; /* IKE SA: ike_sa_id, 0 = none yet */
	union {
		struct {		 /* child: */
			uint32_t parent; /* its IKE SA entry, NONE if unknown */
			uint32_t next_sibling;
		};
		uint64_t prev_id; /* IKE SA made by a rekey (has_prev): the id it replaced */
	};
	uint32_t first_child;
	uint32_t hnext;		     /* hash chain */
	uint32_t lru_prev, lru_next; /* lru_prev towards the most recent */
	int32_t pid;		     /* 0 = unknown */
	bool used : 1;
	bool child : 1;
	bool deleted : 1;  /* a delete line was seen */
	bool orphan : 1;   /* a Child SA whose IKE SA is unknown, carrying an id of its own */
	bool has_prev : 1; /* prev_id is set */
	unsigned role : 2; /* IKE SA: ROLE_UNKNOWN, ROLE_INITIATOR or ROLE_RESPONDER */
};

enum { ROLE_UNKNOWN, ROLE_INITIATOR, ROLE_RESPONDER };

/* One cache line per state: the table's memory is max_sas * 64 bytes plus its buckets. */
static_assert(sizeof(struct sa) == 64, "struct sa stays at 64 bytes");

/* The IKE SA currently negotiating per (host, connection), for Child SAs that name no parent. */
struct conn_cur {
	uint64_t host_hash, conn_hash;
	uint32_t ike;
};

#define CONN_SLOTS 1024

struct correlator {
	struct sa *v;
	uint32_t cap, n_used, free_head;
	uint32_t *buckets;
	uint32_t n_buckets;
	uint32_t lru_head, lru_tail; /* head = most recent */
	struct conn_cur conns[CONN_SLOTS];
	struct sa_story *story; /* per entry, beside v[] so that an entry stays one cache line */
	struct sa_sum *sum;	/* per entry when summaries are on, else NULL */
	bool carry, merge, summary;
	/* IKE SAs ended (in order) whose summary waits grace_us for their last lines */
	struct ended {
		uint32_t i;
		uint64_t id;
	} * ended;
	uint32_t ended_head, ended_len;
	uint64_t grace_us, clock_us;
	/* summaries made as their entry was forgotten (evicted), to be emitted after the line */
	struct pending {
		struct event ev;
		struct sa_sum s;
		const char *why;
	} pending[PENDING_MAX];
	unsigned n_pending;
	uint64_t salt;
	uint64_t generation; /* IKE SAs made so far: two never share an id within a run */
	/*
	 * Deleted entries, oldest delete first, kept for the lines pluto still
	 * prints about a state after its delete; past gone_cap the oldest is
	 * forgotten, so that closed SAs do not fill the table (and its memory)
	 * up to max_sas. The key tells a record from a slot reused since.
	 */
	struct gone {
		uint32_t i;
		int64_t serial;
		uint64_t host_hash;
	} * gone;
	uint32_t gone_head, gone_len, gone_cap;
	struct counters *cnt;
	struct host_share *hosts; /* per-host counts, NULL without a share */
	uint32_t host_share;	  /* entries a host may hold in a full table */
};

/*
 * Shared among the correlator's files. corr_hex_id: v as 16 hex digits.
 * corr_derive_ids: IDi/IDr from peer/local ID by role (0 or -ENOSPC).
 * corr_summary_event: the summary of IKE SA entry i in ev (0 or -ENOSPC).
 * corr_link: entry i (its fields set) into its hash chain and at the front
 * of the LRU.
 */
const char *corr_hex_id(uint64_t v, char out[ID_LEN + 1]);
int corr_derive_ids(unsigned role, struct event *ev);
int corr_summary_event(struct correlator *c, uint32_t i, struct event *ev);
void corr_link(struct correlator *c, uint32_t i);
void corr_mark_ended(struct correlator *c, uint32_t i); /* its summary due after the grace */
uint64_t corr_mix(uint64_t h);

#endif
