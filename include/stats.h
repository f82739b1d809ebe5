/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_STATS_H
#define IKELOGD_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The daemon's counters, one plain struct shared by every stage (each
 * stage gets a pointer and bumps its own). counter_table names them for
 * the stats line, the daemon_stats event, sd_notify STATUS and the
 * Prometheus file.
 */
struct counters {
	uint64_t lines_read;
	uint64_t lines_truncated;
	uint64_t debug_dropped;
	uint64_t matched;
	uint64_t unparsed;
	uint64_t regex_limit_hits;
	uint64_t match_truncated; /* lines matched on their first limits.max_match_bytes only */
	uint64_t arena_full;
	uint64_t correlate_evictions;
	uint64_t redact_scrubbed;
	uint64_t redact_removed;
	uint64_t events_out;
	uint64_t in_flight;
	uint64_t delivered;
	uint64_t sent;
	uint64_t acknowledged;
	uint64_t resent;
	uint64_t reconnects;
	uint64_t handshake_failures;
	uint64_t truncated;
	uint64_t signed_events;	   /* sign: events given a chain element */
	uint64_t sign_epochs;	   /* sign: key ratchets */
	uint64_t sign_checkpoints; /* sign: checkpoints signed */
	uint64_t state_writes;
	uint64_t state_write_failures;
	uint64_t state_corrupt; /* broken or unreadable position files found at start */
	uint64_t reloads;
	uint64_t reload_failures;
	uint64_t source_errors;
	uint64_t input_dropped; /* syslog listener: frames dropped (oversize, hostile, overflow) */
	uint64_t connections;	/* syslog listener: connections accepted */
	/* status snapshots (status_poll.c) */
	uint64_t status_snapshots; /* snapshots taken (both whack runs succeeded) */
	uint64_t status_failures;  /* snapshots that failed: whack exited non-zero, timed out */
	uint64_t status_timeouts;  /* whack runs killed for running past status.timeout_ms */
	uint64_t
	    status_events_dropped; /* snapshot events not sent: the in-flight window was full */
	/* delivery you can prove: the byte budget and what a resend cannot cover */
	uint64_t in_flight_bytes; /* rendered bytes handed to the sink, not yet delivered */
	uint64_t
	    possibly_lost; /* TCP-acknowledged, pushed out of the resend set, connection lost */
	/* privilege separation of the syslog receiver */
	uint64_t receiver_crashes; /* receiver child deaths and failed starts, restarted */
	/* detections (detect.c) */
	uint64_t detect_alerts;	    /* alert events raised (cleared ones included) */
	uint64_t detect_suppressed; /* alerts not raised: their key was quiet after one */
	uint64_t detect_keys;	    /* keys held in the detection table now */
	uint64_t detect_evictions;  /* keys evicted at detect.max_keys (least recently used) */
	/* IKE SA stories (correlate.hold_ms, correlate.summary) */
	uint64_t outcome_absorbed; /* outcome events that took facts from a later line */
	uint64_t summaries;	   /* ike_sa_summary events emitted */
	uint64_t summaries_lost;   /* ike_sa_summary events that could not be made */
};

struct counter_info {
	const char *name; /* snake_case, used as-is in JSON and (prefixed) in Prometheus */
	size_t offset;
	const char *help;
};

extern const struct counter_info counter_table[];
extern const size_t counter_table_len;

static inline uint64_t counter_get(const struct counters *c, const struct counter_info *i)
{
	return *(const uint64_t *)((const char *)c + i->offset);
}

#endif
