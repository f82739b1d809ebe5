/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_NORMALIZE_H
#define IKELOGD_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "record.h"
#include "rules.h"
#include "stats.h"

/*
 * A line's prefix: "Nov 23 20:25:58 gw pluto[1234]: " (syslog),
 * "Nov 23 20:25:58.047269: " (pluto's logfile), RFC 3339 syslog, or none.
 */
enum prefix_kind { PREFIX_NONE, PREFIX_SYSLOG, PREFIX_LOGFILE, PREFIX__MAX };

struct prefix {
	enum prefix_kind kind;
	size_t body_off;       /* where the pluto message starts */
	int64_t realtime_usec; /* 0 when the prefix had no time */
	const char *host;      /* into the line, not NUL-terminated; NULL if none */
	size_t host_len;
	int pid; /* 0 if none */
};

/*
 * Recognises and measures the prefix of line[0..len). now_usec anchors the
 * year of year-less timestamps (the newest year that does not put the line
 * more than a day into the future). Never fails: an unknown prefix is NONE.
 */
void normalize_parse_prefix(const char *line, size_t len, int64_t now_usec, struct prefix *ret);

/* True for pluto's debug lines ("| ...", "|] ..."), which may carry key material. */
bool normalize_is_debug(const char *body, size_t len);

/*
 * The normalizer: rules, then the derived fields (role, ike_version,
 * exchange, severity by result, weak_crypto), timestamp, event_id and
 * platform. Borrows rules, cfg and counters.
 */
struct normalizer;
int normalizer_new(const struct config *cfg, struct rules *rules, struct counters *cnt,
		   struct normalizer **ret);
void normalizer_free(struct normalizer *n);

/*
 * Turns rec (body only, prefix already stripped) into ev. Returns 1 with ev
 * filled (an unmatched line is event_type "unparsed"), or 0 when the line
 * is dropped by policy (debug lines), counted.
 */
int normalize_record(struct normalizer *n, const struct record *rec, struct event *ev);

/*
 * Sets initiator_id and responder_id from peer_id and local_id by the
 * event's role, where they are not set yet. normalize_record does it; the
 * pipeline does it again after correlation, which may have supplied the
 * role of the IKE SA.
 */
void normalize_identities(struct event *ev);

#endif
