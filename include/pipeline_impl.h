/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_PIPELINE_IMPL_H
#define IKELOGD_PIPELINE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "event.h"
#include "event_json_impl.h"
#include "record.h"

/*
 * The insides pipeline.c (the flow of log lines) and pipeline_emit.c (the
 * events ikelogd makes itself) share.
 */
/*
 * The stages that a reload replaces together: rules, the normalizer that
 * borrows them, the redactor.
 */
struct stages {
	struct rules *rules;
	struct normalizer *norm;
	struct enrich *enr;
	struct redactor *red;
};

/* Events held at most (correlate.hold_ms): 10 ms at 1,000 events/s is ten. */
#define HOLD_MAX_ITEMS 32
#define SUMMARY_ARENA  8192
/* Alerts made while held events leave, sent once the queue is empty (seqs stay in order). */
#define ALERTS_PENDING 64

struct pending_alert {
	struct event ev;
	char *json;
	size_t len, cap;
};

struct pipeline {
	const struct pipeline_options *o; /* borrowed; replaced by a reload */
	struct counters *cnt;
	struct stages st;
	struct correlator *corr;
	struct detector *det; /* detections (detect.c); NULL while detect.enabled is off */
	struct hold *hold;    /* NULL when correlate.hold_ms is 0 */
	bool clock;	      /* the daemon: held events also leave by the monotonic clock */
	bool summary;	      /* ike_sa_summary events as IKE SAs end */
	struct event sev;     /* the summary being made */
	int64_t line_us;      /* the timestamp of the newest line */
	uint64_t now_us;      /* the monotonic clock at the newest line or tick, 0 = none */
	uint64_t hold_us; /* correlate.hold_ms: also the grace before an ended IKE SA's summary */
	struct pending_alert alerts[ALERTS_PENDING];
	unsigned n_alerts;
	struct event ev;
	/* The summary's JSON with its counts (pl_emit_summary). */
	struct json_buf sum_out;
	struct event_profile *json; /* output.profile: ikelogd, OCSF or ECS */
	struct source *src;
	struct sink *snk;
	struct signer *signer; /* NULL unless the daemon signs (pipeline_enable_signing) */
	void (*observer)(const struct record *rec, const struct event *ev, void *ud);
	void *observer_ud;
	/* status snapshots: every log event after correlation (status_tracker_note_log) */
	void (*log_tap)(void *ud, const struct event *ev);
	void *log_tap_ud;

	uint64_t last_seq;	 /* the newest seq handed out */
	uint64_t delivered_upto; /* every record up to here is delivered */
	uint64_t told_source;	 /* the newest delivered_upto the source was told */
	/* Seqs handed to the sink and not yet delivered, oldest first. */
	uint64_t *ring;
	uint32_t *ring_bytes; /* each one's rendered length */
	size_t ring_cap, ring_head, ring_len;
	uint64_t ring_bytes_sum; /* bounded by half of limits.max_queue_bytes */
	size_t window; /* limits.in_flight: the source pauses at this many (alerts may add more) */
	unsigned submitting; /* >0 while inside pipeline_submit: source told afterwards */
	bool paused, eof, stopped;
};

/*
 * pl_to_sink queues seq in the ring and hands the rendered event to the
 * sink; pl_advance moves the delivered mark and pauses or resumes the
 * source; pl_release sends the held events that may leave; pl_flush_alerts
 * sends the alerts kept while events were held; pl_finish runs the stages
 * after the normalizer on ev; pl_send_event enriches, redacts, renders and
 * sends it. pl_emit_alert and pl_emit_summary are the detector's and the
 * correlator's callbacks (pipeline_emit.c).
 */
int pl_to_sink(struct pipeline *p, uint64_t seq, const struct event *ev, const char *json,
	       size_t len);
void pl_advance(struct pipeline *p);
int pl_release(struct pipeline *p, int64_t line_us, uint64_t now_us, bool all);
int pl_flush_alerts(struct pipeline *p);
int pl_finish(struct pipeline *p, const struct record *rec, struct event *ev, bool log_line);
int pl_send_event(struct pipeline *p, struct event *ev, uint64_t seq);
int pl_emit_alert(void *ud, const struct event *alert);
int pl_emit_summary(void *ud, struct event *ev, const struct sa_sum *s, const char *end_reason);

#endif
