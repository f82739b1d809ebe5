/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_STATUS_H
#define IKELOGD_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/*
 * Status snapshots: what `ipsec whack --trafficstatus` and `--showstates`
 * say is true now, as events. The parser knows the line shapes of
 * Libreswan 3.x to 5.x (PCRE2 patterns whose named groups are field short
 * names); the tracker compares two snapshots and infers the tunnels that
 * came or went without a log line saying so.
 */

enum status_kind {
	STATUS_SKIP = 0,      /* no state line (blank, header, summary): no event */
	STATUS_TRAFFIC,	      /* --trafficstatus: one Child SA, tunnel_status */
	STATUS_STATE,	      /* --showstates: one IKE or Child SA, sa_status */
	STATUS_CHILD_TRAFFIC, /* --showstates: a Child SA's SPIs and bytes, tunnel_status */
	STATUS_UNPARSED,      /* a "#N:" line no pattern knows: unparsed */
};

struct status_parser;

/* Compiles the patterns. Returns 0, -ENOMEM, or -EINVAL (a pattern does not compile). */
int status_parser_new(struct status_parser **ret);
void status_parser_free(struct status_parser *p);

/*
 * Parses one line of whack output (a 3.x/4.x RC prefix "006 " / "000 " is
 * taken off) into ev, which the caller has reset: event_type, result info,
 * the fields of the line, established_s from add_time and now_s (when the
 * line has it and it is not in the future), and the line as message.
 * Returns the kind; ev is untouched for STATUS_SKIP. Bytes that pluto
 * printed as KB/MB (showstates) are converted with 1024.
 */
enum status_kind status_parse_line(struct status_parser *p, const char *line, size_t len,
				   int64_t now_s, struct event *ev);

struct status_tracker;

/*
 * The fields every event has, for an event that comes from no log line:
 * schema_version, timestamp (now_us), event_id (a hash of now_us, seq and
 * the event's type, connection and serial), severity (info unless set),
 * platform host (gethostname), process and implementation.
 */
void status_stamp(struct event *ev, int64_t now_us, uint64_t seq);

/*
 * One snapshot: the lines of --showstates and --trafficstatus (either may
 * be empty; a saved file may hold both, in any order) into events, each
 * stamped (status_stamp) and handed to emit, which may change ev:
 * sa_status per state line, tunnel_status per --trafficstatus line (with
 * parent_serial and SPIs from the --showstates lines of the same serial and
 * connection), tunnel_status per --showstates Child SA traffic line (when
 * traffic is not empty, only those no --trafficstatus line covers), unparsed per "#N:" line no
 * pattern knows. Every tunnel_status is also given to t (NULL: none). Counts go to *ret_counts.
 * Returns 0, -ENOMEM, or emit's first negative return.
 */
struct status_counts {
	uint64_t states, tunnels, unparsed;
};
int status_snapshot(struct status_parser *p, const char *states, size_t states_len,
		    const char *traffic, size_t traffic_len, int64_t now_us, struct event *ev,
		    int (*emit)(void *ud, struct event *ev), void *ud, struct status_tracker *t,
		    struct status_counts *ret_counts);

/*
 * The tracker: the tunnels of the last snapshot and what the log said
 * since. At most max tunnels and max log notes are kept (more are
 * counted in *dropped, and the tunnels over the limit are not compared).
 */
struct status_tracker;
int status_tracker_new(size_t max, struct status_tracker **ret);
void status_tracker_free(struct status_tracker *t);

/*
 * A log event after correlation: child_sa_create/child_sa_rekey say a
 * Child SA (conn, instance, serial) came up, child_sa_delete that it went.
 * Other events are ignored.
 */
void status_tracker_note_log(struct status_tracker *t, const struct event *ev);

/*
 * A snapshot: status_tracker_begin, one status_tracker_add per tunnel
 * event (tunnel_status), then status_tracker_end, which calls emit for
 * every inferred change: ev filled with event_type tunnel_up or
 * tunnel_down, inferred true, result info, conn_name, conn_instance,
 * state_serial, parent_serial and peer_ip as known, stamped at now_us. The
 * first snapshot
 * is the baseline: nothing is inferred from it. A change the log reported
 * since the previous snapshot is not inferred again. Returns the number
 * of inferred events, or emit's first negative return.
 */
void status_tracker_begin(struct status_tracker *t);
int status_tracker_add(struct status_tracker *t, const struct event *ev);
int status_tracker_end(struct status_tracker *t, int64_t now_us, struct event *ev,
		       int (*emit)(void *ud, struct event *ev), void *ud);

/* Tunnels or log notes not kept because the tracker was full. */
uint64_t status_tracker_dropped(const struct status_tracker *t);

/*
 * Certificates (status_certs.c), from `certutil -L` (run with TZ=UTC).
 * status_certs_list: the nicknames of the listing into *ret (strdup'd,
 * free with status_certs_list_free); returns 0 or -errno.
 * status_cert_parse: `certutil -L -n NICK` into ev (reset by the caller):
 * event_type cert_status, result info, cert_subject, cert_issuer,
 * days_to_expiry (whole days from now_s, negative once expired).
 * Returns 1, or 0 when the text lacks one of them.
 */
int status_certs_list(const char *text, size_t len, char ***ret, size_t *ret_n);
void status_certs_list_free(char **v, size_t n);
int status_cert_parse(const char *text, size_t len, int64_t now_s, struct event *ev);

#endif
