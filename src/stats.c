/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>

#include "stats.h"

#define C(n, h)                                                                                    \
	{                                                                                          \
#n, offsetof(struct counters, n), h                                                \
	}

const struct counter_info counter_table[] = {
    C(lines_read, "lines read from the source"),
    C(lines_truncated, "lines cut at limits.max_line_bytes"),
    C(debug_dropped, "pluto debug lines dropped (they may carry key material)"),
    C(matched, "lines a rule matched"),
    C(unparsed, "lines no rule matched, sent as unparsed events"),
    C(regex_limit_hits, "lines where a pattern hit its match or depth limit"),
    C(match_truncated, "lines matched on their first limits.max_match_bytes only"),
    C(arena_full, "fields left out because an event's text arena was full"),
    C(correlate_evictions, "IKE SAs evicted from the correlation table"),
    C(redact_scrubbed, "secrets scrubbed from kept free text"),
    C(redact_removed, "values removed because they could not be redacted (fail closed)"),
    C(events_out, "events handed to the sink"),
    C(in_flight, "events handed to the sink and not yet delivered"),
    C(delivered, "events delivered (acknowledged by the collector or flushed)"),
    C(sent, "events written to the collector connection"),
    C(acknowledged, "events acknowledged by the collector's TCP stack"),
    C(resent, "events sent again after a connection broke"),
    C(reconnects, "collector connections made after the first"),
    C(handshake_failures, "TLS handshakes that failed or timed out"),
    C(truncated, "events truncated to output.max_message_bytes"),
    C(signed_events, "events signed (sign: an ikelogd-chain element)"),
    C(sign_epochs, "signing key ratchets (epochs ended)"),
    C(sign_checkpoints, "checkpoints signed with the Ed25519 key"),
    C(state_writes, "state file writes"),
    C(state_write_failures, "state file writes that failed"),
    C(state_corrupt, "broken or unreadable position files found at start (resumed from the "
		     "previous one or the head)"),
    C(reloads, "configuration reloads"),
    C(reload_failures, "configuration reloads refused (the old one kept running)"),
    C(source_errors, "errors reading the source"),
    C(input_dropped, "syslog frames dropped by the listener's limits"),
    C(connections, "syslog listener connections accepted"),
    /* status snapshots */
    C(status_snapshots, "status snapshots taken (whack --showstates and --trafficstatus)"),
    C(status_failures, "status snapshots that failed (pluto down, socket refused, timeout)"),
    C(status_timeouts, "whack runs killed for running past status.timeout_ms"),
    C(status_events_dropped,
      "status snapshot events not sent because the in-flight window was full"),
    /* delivery you can prove */
    C(in_flight_bytes, "bytes of events handed to the sink and not yet delivered"),
    C(possibly_lost, "events only the collector's TCP stack acknowledged that could not be "
		     "kept for a resend when its connection broke (may be lost)"),
    /* privilege separation of the syslog receiver */
    C(receiver_crashes, "syslog receiver child processes that died or failed to start "
			"(each restarted with backoff)"),
    /* detections (detect.c) */
    C(detect_alerts, "alert events raised by the detections (cleared ones included)"),
    C(detect_suppressed, "alerts not raised because their key was quiet after an alert"),
    C(detect_keys, "keys held in the detection table"),
    C(detect_evictions, "detection keys evicted at detect.max_keys (least recently used)"),
    /* IKE SA stories */
    C(outcome_absorbed, "outcome events that took the facts a later line of the attempt printed"),
    C(summaries, "ike_sa_summary events emitted"),
    C(summaries_lost, "ike_sa_summary events that could not be made (no memory, or more "
		      "IKE SAs evicted by one line than kept)"),
};

const size_t counter_table_len = sizeof(counter_table) / sizeof(counter_table[0]);
_Static_assert(sizeof(counter_table) / sizeof(counter_table[0]) ==
		   sizeof(struct counters) / sizeof(uint64_t),
	       "counter_table names every counter");
