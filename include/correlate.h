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

/*
 * Summaries as IKE SAs end (the daemon, normalize --summary): an IKE SA
 * deleted, replaced by a rekey or timed out is summarised once grace_us
 * have passed after its end, by a later line's timestamp (line_us) or the
 * monotonic clock (now_us, 0 = none), so that its last lines (the Child
 * SAs' traffic after the delete) still count; all: every ended one now.
 * One evicted from the table (or whose serial a restarted pluto reused) is
 * summarised as it goes, end_reason evicted unless it had ended. Call after
 * each line's event, so that summaries follow the line that ended them.
 * correlator_set_clock sets the grace and the clock of the next line.
 * correlate_summary_deadline: the clock time the oldest is due, 0 = none.
 */
void correlator_set_clock(struct correlator *c, uint64_t grace_us, uint64_t now_us);
int correlate_summaries_due(struct correlator *c, struct event *ev, int64_t line_us,
			    uint64_t now_us, bool all, summary_fn emit, void *ud);
uint64_t correlate_summary_deadline(const struct correlator *c);

/*
 * The table across a restart. correlator_save renders every tracked SA
 * (its ids, links, facts, outcome claims and summary counts) into *ret
 * (malloc'd, the caller frees) with a version and a SHA-256; 0 or -ENOMEM.
 * correlator_load restores them into a table that has seen no line yet:
 * returns the number of SAs, -EBADMSG for a damaged file (the table stays
 * empty), -EPROTO for one of another build, table size or summary setting
 * (ignored), -EBUSY when the table is in use.
 */
int correlator_save(const struct correlator *c, char **ret, size_t *ret_len);
int correlator_load(struct correlator *c, const void *data, size_t len);

#endif
