/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_DETECT_H
#define IKELOGD_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "stats.h"

/*
 * The detection engine: SecOps detections over the event stream, after
 * correlation and redaction, raising `alert` events of their own. Windows
 * slide on the events' own timestamps (never the wall clock), so a replay
 * of old logs gives the same alerts; every key (peer IP, identity
 * pseudonym, connection, IKE SA) lives in one bounded LRU table.
 */

/* One windowed detection: more than threshold occurrences within window_s; threshold 0 = off. */
struct detect_window {
	unsigned threshold;
	unsigned window_s;
};

/*
 * The `detect:` section of ikelogd.yaml, filled by the config loader
 * (config_detect_options: weak and n_weak point at the config's list;
 * detector_new copies them).
 */
struct detect_options {
	bool enabled;	     /* the daemon runs the engine; normalize does with --detect */
	unsigned max_keys;   /* LRU bound of the key table */
	unsigned suppress_s; /* after an alert, its key is quiet this long; 0 = the window */
	bool cleared;	     /* an alert with cleared: true when a raised key's window empties */
	struct detect_window auth_failure_burst;
	struct detect_window identity_spray;
	struct detect_window half_open_flood;
	unsigned half_open_distinct_ips; /* across peers: more than this many IPs half-open */
	unsigned half_open_timeout_s;	 /* IKE_SA_INIT answered, no IKE_AUTH this long after */
	struct detect_window rekey_storm;
	struct detect_window short_lifetime;
	unsigned short_lifetime_min_age_s; /* an established SA deleted younger than this */
	bool weak_crypto;
	bool crypto_change;
	bool delete_without_notify;
	struct detect_window address_flap;
	bool cert_problem;
	const char *const *weak; /* algorithm names for weak_crypto (borrowed) */
	size_t n_weak;
};

/* The defaults of ikelogd.yaml(5), for tests and tools without a config. */
void detect_options_defaults(struct detect_options *o);

/*
 * Builds an engine from o (copied, the weak names too: o may go away, as
 * the configuration does on a reload; at most 16 names). Bumps the
 * detect_* counters in cnt (borrowed). Returns 0 or -ENOMEM; *ret
 * untouched on failure.
 */
struct detector;
int detector_new(const struct detect_options *o, struct counters *cnt, struct detector **ret);
void detector_free(struct detector *d);

/*
 * Called with each alert, built in an event the engine owns, valid for
 * the call only. A negative return stops detect_event, which returns it.
 */
typedef int (*detect_emit_fn)(void *ud, const struct event *alert);

/*
 * Feeds one event (redacted, as it was shipped; borrowed) through every
 * detection and calls emit for each alert it raises. Events without a
 * timestamp are ignored. Returns the number of alerts or emit's error.
 */
int detect_event(struct detector *d, const struct event *ev, detect_emit_fn emit, void *ud);

/* Keys held now, and the most it may hold (max_keys). */
size_t detector_keys(const struct detector *d);

/*
 * Bytes the key table may hold at most: max_keys entries, each with a ring
 * of up to (largest threshold + 1) occurrences. The bound the memory test
 * and the man page state.
 */
size_t detector_memory_bound(const struct detector *d);

#endif
