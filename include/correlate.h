/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CORRELATE_H
#define IKELOGD_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
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
 * Sets ike_sa_id, parent_serial and previous_ike_sa_id on ev where they
 * can be known, and forgets SAs that ev deletes. Returns 0 or -ENOSPC when
 * the event's arena is full.
 */
int correlate_event(struct correlator *c, struct event *ev);

#endif
