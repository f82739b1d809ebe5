/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SA_STORY_H
#define IKELOGD_SA_STORY_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

/*
 * What the lines of one SA have said so far, kept so that its later events
 * can say it too (peer and local address and port, IDs, IKE version, auth
 * method, transform, NAT state; for a Child SA its own child facts), and
 * which event claimed the outcome of its current exchange. Fixed size: a
 * value that does not fit is not kept (the event that printed it still
 * has it).
 */
#define SA_FACTS_BYTES 320
#define SA_OUTCOME_ID  40

struct sa_outcome {
	uint32_t exchange; /* hash of the exchange's name, 0 = none known */
	int64_t sub;	   /* Child SA serial of a per-Child exchange, -1 = any */
	uint8_t id_len;	   /* 0 = no outcome claimed */
	char id[SA_OUTCOME_ID];
};

struct sa_story {
	uint16_t used;	   /* bytes of facts[] in use */
	uint32_t exchange; /* the last exchange a line of the SA named */
	bool per_child;	   /* ... and it is CREATE_CHILD_SA or Quick Mode */
	struct sa_outcome failure, success;
	unsigned char facts[SA_FACTS_BYTES];
};

/* Which facts a line gives and an event takes. */
enum sa_facts_kind {
	SA_FACTS_IKE,	    /* the IKE SA's: endpoints, IDs, version, auth, NAT */
	SA_FACTS_IKE_XFORM, /* the IKE SA's chosen transform (its own lines only) */
	SA_FACTS_CHILD,	    /* a Child SA's: protocol, mode, SPIs, TS, transform */
};

/* Forgets everything (a new or reused table entry). */
void sa_story_reset(struct sa_story *s);

/*
 * Keeps the facts of kind k that ev has (the newest value wins: a peer
 * port moves to 4500 behind NAT). Returns the number of values not kept
 * for want of room.
 */
unsigned sa_story_learn(struct sa_story *s, const struct event *ev, enum sa_facts_kind k);

/*
 * Sets on ev the facts of kind k that s holds and ev lacks. Returns 0 or
 * -ENOSPC when the event's arena is full.
 */
int sa_story_carry(const struct sa_story *s, struct event *ev, enum sa_facts_kind k);

/* Copies the facts of kind k from one story to another (an IKE SA rekey). */
void sa_story_inherit(struct sa_story *to, const struct sa_story *from, enum sa_facts_kind k);

/*
 * One outcome per exchange. ike is the story of the event's IKE SA, own
 * the story of its own SA (the same for an IKE SA line); child_serial is
 * the Child SA's serial for a Child SA line, else -1. The first failure
 * of an exchange of the IKE SA (or of one Child SA for CREATE_CHILD_SA and
 * Quick Mode) claims it; a later failure line of the same exchange gets
 * result info and outcome_event_id. Likewise for a success line of an SA
 * whose exchange a success already claimed. Returns 0 or -ENOSPC.
 */
int sa_story_outcome(struct sa_story *ike, struct sa_story *own, int64_t child_serial,
		     struct event *ev);

#endif
