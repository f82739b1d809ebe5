/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SINK_SYSLOG_TLS_H
#define IKELOGD_SINK_SYSLOG_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "sink_collector.h"

/*
 * The syslog-over-TLS (and plain TCP) sink (sink_syslog_tls.c) sees only
 * these options, filled once by the config loader (config_sink_options in
 * config_stages.h). Strings are borrowed from the configuration, which
 * must outlive the sink. 0 in a number: the sink's default.
 */

struct sink_tls_options {
	const char *config_path;			       /* for messages */
	struct sink_collector collectors[SINK_COLLECTORS_MAX]; /* tried in order */
	size_t n_collectors;
	const char *ca_file, *ca_dir; /* the CA the collector's certificate must chain to */
	const char *cert_file;	      /* our client certificate and key */
	const char *key_file;
	const char *server_name; /* the name the collector's certificate must carry */
	const char *pin_sha256;	 /* the collector's key fingerprint; NULL or empty = none */
	const char *tls_min_version;
	int facility; /* 0..23 */
	unsigned enterprise_number;
	const char *hostname; /* RFC 5424 HOSTNAME; NULL or empty = gethostname() */
	unsigned max_message_bytes;
	unsigned connect_timeout_ms, handshake_timeout_ms, write_timeout_ms;
	unsigned backoff_min_ms, backoff_max_ms;
	unsigned failback_interval_s;
	bool allow_plaintext;	  /* required for plain TCP */
	unsigned max_queue_bytes; /* limits.max_queue_bytes: every frame buffer counted; 0 = none */
	unsigned in_flight;	  /* limits.in_flight */
};

#endif
