/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SINK_RELP_H
#define IKELOGD_SINK_RELP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "diag.h"
#include "event.h"
#include "pipeline.h"
#include "sink_collector.h"
#include "stats.h"

/*
 * The RELP sink (sink_relp.c) sees only these options, filled once by
 * the config loader (config_sink_relp_options in config_relp.c). Strings
 * are borrowed for the duration of sink_relp_open(), which copies them.
 */

struct sink_relp_options {
	const char *config_path; /* for messages */
	bool tls;		 /* false only with allow_plaintext (type relp-tcp) */
	struct sink_collector collectors[SINK_COLLECTORS_MAX];
	size_t n_collectors;
	const char *ca_file;   /* the CA the collector's certificate must chain to */
	const char *cert_file; /* our client certificate and key */
	const char *key_file;
	const char *server_name; /* the name the collector's certificate must carry; NULL = host */
	const char *tls_min_version; /* "1.2" or "1.3" */
	int facility;
	unsigned enterprise_number;
	const char *hostname; /* RFC 5424 HOSTNAME; NULL or empty = gethostname() */
	unsigned max_message_bytes;
	unsigned connect_timeout_ms;
	unsigned write_timeout_ms; /* a send or an acknowledgement waited for at most this long */
	unsigned backoff_min_ms, backoff_max_ms;
	unsigned failback_interval_s;
	unsigned window; /* RELP frames unacknowledged at most (librelp's window) */
};

struct sink_relp;

/*
 * Starts the sink: checks the options (problems go to errs with the
 * config's path), starts its sender thread and hooks its notifications
 * into e. Delivered records are reported with pipeline_delivered(pl, seq);
 * counters go to cnt (updated on e's thread only). Returns 0 with *ret
 * set, or -errno (*ret untouched).
 */
int sink_relp_open(const struct sink_relp_options *o, sd_event *e, struct pipeline *pl,
		   struct counters *cnt, struct sink_relp **ret, struct diags *errs);

/*
 * Queues one event for sending: ev for the RFC 5424 header fields, json
 * the message (copied). Returns 0 or -errno.
 */
int sink_relp_write(struct sink_relp *s, uint64_t seq, const struct event *ev, const char *json,
		    size_t len);

/* 0 when every queued event is acknowledged, -EAGAIN while some is not. */
int sink_relp_flush(struct sink_relp *s);

/*
 * Stops the sender thread and frees everything. Accepts NULL. If the
 * thread is still blocked in librelp after 2 s (a TLS handshake with a
 * stalled collector has no timeout), it is left to the process's exit,
 * with what it uses.
 */
void sink_relp_close(struct sink_relp *s);

#endif
