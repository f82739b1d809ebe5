/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_PIPELINE_H
#define IKELOGD_PIPELINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "diag.h"
#include "enrich.h"
#include "event_profile.h"
#include "normalize.h"
#include "record.h"
#include "redact.h"
#include "signer.h"
#include "stats.h"

/*
 * The pipeline between one source and one sink: normalize, correlate,
 * redact, render JSON, hand to the sink; and the way back: the sink
 * reports delivered records in order, the pipeline tells the source how
 * far its position may move, and keeps the in-flight window bounded
 * (limits.in_flight) by pausing the source when it is full.
 */
struct pipeline;
struct source;
struct sink;

#define PIPELINE_RULES_MAX     16
#define PIPELINE_CIDR_MAPS_MAX 8

/*
 * What the pipeline and the stages it builds take from the configuration,
 * filled once per load by the config loader (config_pipeline_options in
 * config_stages.h): each stage's own options, and the pipeline's limits.
 * Strings are borrowed from the configuration. Filled in place and not
 * copied: enrich.maps and enrich.error_meanings point into it.
 */
struct pipeline_options {
	const char *rules[PIPELINE_RULES_MAX]; /* rule files, in order */
	size_t n_rules;
	struct normalizer_options norm;
	struct enrich_opts enrich;
	struct enrich_map_opts enrich_maps[PIPELINE_CIDR_MAPS_MAX];
	char error_meanings[PATH_MAX];
	struct redactor_options redact;
	struct detect_options detect; /* detect.enabled off: no detector */
	struct profile_options profile;
	bool sign; /* sign.enabled: pipeline_enable_signing opens the signer */
	struct signer_opts signer;
	unsigned in_flight;	       /* the window; 0: 1 */
	unsigned max_line_bytes;       /* sizes the event's arena */
	unsigned max_ike_sas;	       /* correlation table bound */
	unsigned max_ike_sas_per_host; /* 0: a quarter of max_ike_sas */
	unsigned max_queue_bytes;      /* half of it bounds the bytes in flight; 0: none */
	bool carry, merge;	       /* correlate.carry and correlate.merge */
};

/*
 * Loads the rules and builds every stage from o (borrowed; it must
 * outlive the pipeline or be replaced by pipeline_reload). Problems go to
 * errs. *ret untouched on failure.
 */
int pipeline_new(const struct pipeline_options *o, struct counters *cnt, struct pipeline **ret,
		 struct diags *errs);
void pipeline_free(struct pipeline *p);

/* Connects the source and sink (borrowed). Either may be NULL in tests. */
void pipeline_attach(struct pipeline *p, struct source *src, struct sink *snk);

/*
 * Rebuilds rules, normalizer and redactor from o (borrowed, as for
 * pipeline_new); on any error keeps the old ones, fills errs and returns
 * -EINVAL. The correlation table and the in-flight window survive a
 * reload.
 */
int pipeline_reload(struct pipeline *p, const struct pipeline_options *o, struct diags *errs);

/*
 * A source hands over one record. Sets rec->seq. Returns 1 when the
 * source may go on, 0 when the window is now full (the source has been
 * paused and will be resumed), or -errno from the sink.
 */
int pipeline_submit(struct pipeline *p, struct record *rec);

/* The sink reports every record it was given up to seq as delivered. */
void pipeline_delivered(struct pipeline *p, uint64_t seq);

/*
 * Shutdown: pauses the source for good (the window no longer resumes it),
 * so what is in flight can drain.
 */
void pipeline_stop_source(struct pipeline *p);

/* The source has no more records (end of stdin or of the files). */
void pipeline_source_eof(struct pipeline *p);
bool pipeline_source_done(const struct pipeline *p);

/* Records submitted but not yet delivered. */
uint64_t pipeline_in_flight(const struct pipeline *p);

/* The newest seq with every record up to it delivered. */
uint64_t pipeline_delivered_upto(const struct pipeline *p);

/* The rules in use, for --stats and the per-rule counters. */
struct rules *pipeline_rules(struct pipeline *p);

/*
 * Calls fn for every event after correlation and before redaction (the
 * tools: test-rules compares the examples' fields, --stats counts
 * shapes). It runs on the operator's terminal only. NULL removes it.
 */
struct event;
void pipeline_set_observer(struct pipeline *p,
			   void (*fn)(const struct record *rec, const struct event *ev, void *ud),
			   void *ud);

/*
 * correlate.hold_ms: each event is held up to hold_ms so that the event
 * that claimed an exchange's outcome takes what the later lines of the
 * attempt print (hold.h). Events leave in order, by the lines' timestamps,
 * and with clock (the daemon) also by the monotonic clock:
 * pipeline_hold_deadline is when the oldest is due (CLOCK_MONOTONIC usec,
 * 0 = nothing held), pipeline_hold_release sends what is due at now_usec
 * (all: everything; the end of input and a stop). 0 or -errno.
 */
int pipeline_set_hold(struct pipeline *p, unsigned hold_ms, bool clock);
uint64_t pipeline_hold_deadline(const struct pipeline *p);
int pipeline_hold_release(struct pipeline *p, uint64_t now_usec, bool all);

/* Emits a synthetic event (daemon_stats) through the same stages and sink. */
int pipeline_emit_stats(struct pipeline *p);

/*
 * ike_sa_summary events: pipeline_set_summary(p, true) before the first
 * record makes the correlator count every IKE SA's lines;
 * pipeline_emit_summaries sends one summary per IKE SA not summarised yet
 * (normalize --summary, after the events). Returns 0 or the sink's error.
 */
int pipeline_set_summary(struct pipeline *p, bool on); /* 0 or -ENOMEM */
int pipeline_emit_summaries(struct pipeline *p);

/*
 * The correlation table across a restart (correlator_save and
 * correlator_load in correlate.h): the daemon writes it beside the source
 * position at a clean stop and reads it back before the first record.
 */
int pipeline_save_story(struct pipeline *p, char **ret, size_t *ret_len);
int pipeline_load_story(struct pipeline *p, const void *data, size_t len);

/*
 * Signing (signer.h), for the daemon only (the tools must not advance the
 * gateway's chain): opens the signer when the options say sign. Returns 0 or
 * -errno with diags. pipeline_signer is NULL while not signing; the sinks
 * hand it to encode_rfc5424 through signer_attach.
 */
int pipeline_enable_signing(struct pipeline *p, struct diags *errs);
struct signer *pipeline_signer(struct pipeline *p);

/*
 * Clean stop: a daemon_stats event that carries the final checkpoint
 * (pipeline_sign_final), and once it is delivered or given up, the chain's
 * state written (pipeline_close_signing). Both return 0 when not signing.
 */
int pipeline_sign_final(struct pipeline *p);
int pipeline_close_signing(struct pipeline *p, struct diags *errs);

/* ---- status snapshots (status.h) ---- */

/*
 * fn sees every event of a log line after correlation, before redaction
 * (the snapshot tracker learns what the log said). NULL removes it.
 */
void pipeline_set_log_tap(struct pipeline *p, void (*fn)(void *ud, const struct event *ev),
			  void *ud);

/*
 * An event that comes from no log line (a status snapshot's) is built in
 * the pipeline's own event, pipeline_event(p), then pipeline_emit_event
 * correlates, redacts, renders and sends it like a log line's. Returns 0,
 * -EAGAIN while the in-flight window is full (not sent), -EINVAL when ev
 * is not pipeline_event(p), or the sink's error.
 */
struct event *pipeline_event(struct pipeline *p);
int pipeline_emit_event(struct pipeline *p, struct event *ev);

#endif
