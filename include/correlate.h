/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CORRELATE_H
#define IKELOGD_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "sa_story.h"
#include "stats.h"

/*
 * The IKE SA table: a bounded LRU keyed by (host, connection, serial)
 * that gives each IKE SA its ike_sa_id and each Child SA its
 * parent_serial and its IKE SA's ike_sa_id.
 */
struct correlator;

/*
 * max_sas bounds the table (evictions are counted in cnt). salt mixes into
 * every id so that ids differ across hosts and runs where the record does
 * not carry a boot id and pid; NULL = random per run.
 */
int correlator_new(unsigned max_sas, const char *salt, struct counters *cnt,
		   struct correlator **ret);
void correlator_free(struct correlator *c);

/*
 * Each host's fair share: once the table is full, a host holding
 * max_per_host entries or more evicts its own least recently used, and
 * any other host evicts from the host holding the most while that one is
 * over its share (else the table's least recently used goes). 0, or as
 * many as the table holds, = one LRU over all hosts. Call before the first
 * event. Returns 0, -ENOMEM, or -EBUSY once events were seen.
 */
int correlator_set_host_share(struct correlator *c, unsigned max_per_host);

/*
 * carry: later events of an SA get the facts its earlier lines gave;
 * merge: one event per exchange claims its outcome, the others get result
 * info and outcome_event_id. Both on by correlator_new.
 */
void correlator_set_story(struct correlator *c, bool carry, bool merge);

/*
 * Sets ike_sa_id, parent_serial and previous_ike_sa_id on ev where they
 * can be known, the facts carried and the outcome claim (above), and
 * marks SAs that ev deletes. Returns 0 or -ENOSPC when
 * the event's arena is full.
 */
int correlate_event(struct correlator *c, struct event *ev);

/*
 * Summaries: when on, every IKE SA's lines are also counted for its
 * ike_sa_summary. correlate_summaries builds the summary of each IKE SA not
 * summarised yet, oldest first, in ev (event_type ike_sa_summary, result
 * info, its carried facts, error_code, reason, bytes, retransmits) and
 * calls emit with the counts and end_reason for the fields the event table
 * does not have; it stops at emit's first negative return and returns it.
 */
int correlator_set_summary(struct correlator *c, bool on); /* 0 or -ENOMEM */
typedef int (*summary_fn)(void *ud, struct event *ev, const struct sa_sum *s,
			  const char *end_reason);
int correlate_summaries(struct correlator *c, struct event *ev, summary_fn emit, void *ud);

#endif
