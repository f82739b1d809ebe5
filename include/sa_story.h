/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SA_STORY_H
#define IKELOGD_SA_STORY_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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
	int64_t sub;	   /* Child SA serial of a per-Child exchange, -1 = any */
	uint32_t exchange; /* hash of the exchange's name, 0 = none known */
	uint8_t id_len;	   /* 0 = no outcome claimed */
	char id[SA_OUTCOME_ID];
};

/*
 * What an IKE SA's summary says (ike_sa_summary): times and event ids of its
 * first and last lines, how it went, what its Child SAs and retransmits
 * did, the traffic its Child SAs reported. Kept in the IKE SA's story; a
 * Child SA's story only uses its two flags.
 */
struct sa_sum {
	int64_t start_us, end_us;
	uint64_t bytes_in, bytes_out;
	uint32_t child_created, child_rekeyed, child_deleted, ike_rekeys, retransmits;
	int64_t ended_us;     /* the line time of its end (delete, replace, timeout) */
	uint64_t ended_clock; /* the monotonic clock then (the daemon), 0 = none */
	bool active, emitted, established, failed, deleted, timeout, replaced, ended;
	bool child_made, child_gone; /* a Child SA's story: counted already */
	bool named;		     /* its connection, host and pid are in the story */
	uint8_t first_len, last_len, err_len, reason_len, x_len;
	char first_id[SA_OUTCOME_ID], last_id[SA_OUTCOME_ID];
	char error_code[40], reason[96], failed_x[24];
	uint8_t notify_len;
	char delete_notify[12]; /* its delete line's: sent, none, received */
};

struct sa_story {
	uint16_t used;	   /* bytes of facts[] in use */
	uint16_t cap;	   /* bytes of facts[] allocated, at most SA_FACTS_BYTES */
	uint32_t exchange; /* the last exchange a line of the SA named */
	bool per_child;	   /* ... and it is CREATE_CHILD_SA or Quick Mode */
	/*
	 * The facts' size as the records of version 2 of the saved table
	 * counted it (a number and the text in each): what SA_FACTS_BYTES
	 * bounds, so that a story keeps the same facts as before.
	 */
	uint16_t budget;
	struct sa_outcome failure, success;
	/*
	 * Allocated when the first fact comes and grown to what the SA's
	 * lines gave (133 bytes on average in the bench corpus): a full
	 * table of 65,536 SAs held 30 MiB of fixed 320-byte buffers.
	 */
	unsigned char *facts;
};

/* Which facts a line gives and an event takes. */
enum sa_facts_kind {
	SA_FACTS_IKE,	    /* the IKE SA's: endpoints, IDs, version, auth, NAT */
	SA_FACTS_IKE_XFORM, /* the IKE SA's chosen transform (its own lines only) */
	SA_FACTS_CHILD,	    /* a Child SA's: protocol, mode, SPIs, TS, transform */
	SA_FACTS_SUMMARY,   /* never carried: connection and host, for the summary */
	SA_FACTS_IKE_ALL,   /* carry only: the summary's, SUMMARY, IKE and IKE_XFORM at once */
};

/* Forgets everything (a new or reused table entry), the facts' buffer freed. */
void sa_story_reset(struct sa_story *s);

/* Frees the facts' buffer (a zeroed story has none); the story is then as new. */
void sa_story_done(struct sa_story *s);

/*
 * A story read back from a saved table (correlate_state.c): s holds the
 * saved fixed part, whose facts pointer means nothing here; its facts
 * become those of facts[0..used), written in this build's layout or (v2)
 * in the one of version 2 of the saved table. 0, -EBADMSG past
 * SA_FACTS_BYTES or for records that do not add up, -ENOMEM.
 */
int sa_story_restore(struct sa_story *s, const void *facts, size_t used, bool v2);

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

/*
 * Counts ev into its IKE SA's summary (ike: the IKE SA's, own: the line's
 * SA's; child_line: a Child SA line). Call after sa_story_outcome, so that
 * a merged line is seen as such. The summaries are kept apart from the
 * stories: only a correlator asked for summaries has them.
 */
void sa_sum_account(struct sa_sum *ike, struct sa_sum *own, bool child_line,
		    const struct event *ev);

/* The end_reason of a summary: replaced, timeout, failed, deleted, else open_reason. */
const char *sa_sum_end_reason(const struct sa_sum *s, const char *open_reason);

#endif
