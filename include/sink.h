/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SINK_H
#define IKELOGD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "diag.h"
#include "encode.h"
#include "event.h"
#include "pipeline.h"
#include "sink_relp.h"
#include "sink_syslog_tls.h"
#include "stats.h"

/*
 * A sink delivers rendered events and reports them delivered, in order,
 * with pipeline_delivered(). One file per kind (sink_stream.c for stdout
 * and file, sink_syslog_tls.c for syslog over TLS and plain TCP,
 * sink_relp.c for RELP), one line per output type in sink_table (sink.c).
 */
/* The stdout and file sinks' options (sink_stream.c). */
struct sink_stream_options {
	const char *config_path; /* for messages */
	const char *path;	 /* type file: required */
	const char *hostname;	 /* RFC 5424 HOSTNAME when signing; NULL or empty = gethostname() */
	int facility;
	unsigned enterprise_number;
	unsigned max_message_bytes;
	unsigned in_flight; /* limits.in_flight: writes are batched below half of it */
};

/*
 * Every sink's options, filled once by the config loader
 * (config_sink_options in config_stages.h): each sink reads its own
 * member only. Strings are borrowed from the configuration.
 */
struct sink_options {
	struct sink_tls_options tls;
	struct sink_relp_options relp;
	struct sink_stream_options stream;
};

struct sink_ops {
	enum output_type type;
	const char *name;
	/* e may be NULL for the one-shot tools: then write() must deliver synchronously. */
	int (*open)(const struct sink_options *o, sd_event *e, struct pipeline *pl,
		    struct counters *cnt, void **ret, struct diags *errs);
	/*
	 * Queues one event: ev for the header fields (timestamp, event_type,
	 * event_id, severity), json its rendering (borrowed: copy it).
	 * Returns 0 or -errno.
	 */
	int (*write)(void *s, uint64_t seq, const struct event *ev, const char *json, size_t len);
	/* Pushes queued bytes; returns 0 when all is delivered, -EAGAIN while some is not. */
	int (*flush)(void *s);
	void (*close)(void *s);
};

struct sink {
	const struct sink_ops *ops;
	void *state;
};

extern const struct sink_ops sink_stdout_ops;
extern const struct sink_ops sink_file_ops;
extern const struct sink_ops sink_syslog_tls_ops;
extern const struct sink_ops sink_syslog_tcp_ops;
extern const struct sink_ops sink_relp_ops;
extern const struct sink_ops sink_relp_tcp_ops;

/* The ops for a configured type, or NULL if none is built in. */
const struct sink_ops *sink_find(enum output_type t);

/*
 * The RFC 5424 header every sink writes: HOSTNAME is hostname when set,
 * else this machine's name (written into host[0..host_size), which ret
 * then borrows), APP-NAME ikelogd, PROCID this process.
 */
void sink_encode_opts(struct encode_opts *ret, char *host, size_t host_size, const char *hostname,
		      int facility, unsigned enterprise_number, size_t max_message_bytes);

#endif
