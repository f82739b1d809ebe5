/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config_enrich.h"
#include "correlate.h"
#include "detect.h"
#include "event.h"
#include "hold.h"
#include "event_profile.h"
#include "normalize.h"
#include "pipeline.h"
#include "redact.h"
#include "rules.h"
#include "signer.h"
#include "sink.h"
#include "source.h"
#include "util.h"

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
	const struct config *cfg;
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

static void stages_free(struct stages *st)
{
	redactor_free(st->red);
	enrich_free(st->enr);
	normalizer_free(st->norm);
	rules_free(st->rules);
	memset(st, 0, sizeof(*st));
}

static int stages_new(const struct config *cfg, struct counters *cnt, struct stages *ret,
		      struct diags *errs)
{
	struct stages st = {0};
	int r;

	r = rules_load((const char *const *)cfg->rules.v, cfg->rules.n, &st.rules, errs);
	if (r < 0)
		goto out;
	r = normalizer_new(cfg, st.rules, cnt, &st.norm);
	if (r < 0) {
		diag_add(errs, NULL, 0, 0, "normalizer: %s", strerror(-r));
		goto out;
	}
	{
		struct enrich_map_opts maps[CONFIG_CIDR_MAPS_MAX];
		struct enrich_opts eo;
		char meanings[PATH_MAX];

		config_enrich_options(cfg, &eo, maps, meanings);
		r = enrich_new(&eo, &st.enr, errs);
		if (r < 0)
			goto out;
	}
	r = redactor_new(cfg, cnt, &st.red, errs);
	if (r < 0)
		goto out;
	*ret = st;
	return 0;
out:
	stages_free(&st);
	return r;
}

int pipeline_new(const struct config *cfg, struct counters *cnt, struct pipeline **ret,
		 struct diags *errs)
{
	struct pipeline *p;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = cfg;
	p->cnt = cnt;
	p->window = cfg->limits.in_flight ? cfg->limits.in_flight : 1;
	p->ring_cap = p->window;
	p->ring = calloc(p->ring_cap, sizeof(*p->ring));
	p->ring_bytes = calloc(p->ring_cap, sizeof(*p->ring_bytes));
	if (!p->ring || !p->ring_bytes) {
		r = -ENOMEM;
		goto out;
	}
	r = stages_new(cfg, cnt, &p->st, errs);
	if (r < 0)
		goto out;
	r = correlator_new(cfg->limits.max_ike_sas, NULL, cnt, &p->corr);
	if (r < 0) {
		diag_add(errs, NULL, 0, 0, "correlation table: %s", strerror(-r));
		goto out;
	}
	correlator_set_story(p->corr, cfg->correlate.carry, cfg->correlate.merge);
	r = correlator_set_host_share(p->corr, cfg->limits.max_ike_sas_per_host
						   ? cfg->limits.max_ike_sas_per_host
						   : cfg->limits.max_ike_sas / 4);
	if (r < 0)
		goto out;
	if (cfg->detect.enabled) { /* detections (detect.c) */
		struct detect_options o;

		config_detect_options(cfg, &o);
		r = detector_new(&o, cnt, &p->det);
		if (r < 0)
			goto out;
	}
	/* Room for the line, its converted fields and the derived ones. */
	r = event_init(&p->ev, 2 * (size_t)cfg->limits.max_line_bytes + 4096);
	if (r < 0)
		goto out;
	r = event_profile_new(&cfg->output.profile, &p->json);
	if (r < 0)
		goto out;
	*ret = p;
	return 0;
out:
	pipeline_free(p);
	return r;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	event_profile_free(p->json);
	hold_free(p->hold);
	event_done(&p->sev);
	for (unsigned k = 0; k < ALERTS_PENDING; k++) {
		event_done(&p->alerts[k].ev);
		free(p->alerts[k].json);
	}
	event_done(&p->ev);
	correlator_free(p->corr);
	detector_free(p->det);
	stages_free(&p->st);
	signer_free(p->signer);
	free(p->ring);
	free(p->ring_bytes);
	free(p);
}

int pipeline_close_signing(struct pipeline *p, struct diags *errs)
{
	return p && p->signer ? signer_close(p->signer, errs) : 0;
}

void pipeline_attach(struct pipeline *p, struct source *src, struct sink *snk)
{
	p->src = src;
	p->snk = snk;
}

void pipeline_set_observer(struct pipeline *p,
			   void (*fn)(const struct record *rec, const struct event *ev, void *ud),
			   void *ud)
{
	p->observer = fn;
	p->observer_ud = ud;
}

int pipeline_reload(struct pipeline *p, const struct config *cfg, struct diags *errs)
{
	struct stages st;
	int r;

	struct event_profile *json = NULL;

	r = stages_new(cfg, p->cnt, &st, errs);
	if (r < 0)
		return r;
	if (cfg->output.profile.profile != p->cfg->output.profile.profile) {
		r = event_profile_new(&cfg->output.profile, &json);
		if (r < 0) {
			stages_free(&st);
			diag_add(errs, NULL, 0, 0, "output.profile: %s", strerror(-r));
			return r;
		}
		event_profile_free(p->json);
		p->json = json;
	}
	stages_free(&p->st);
	p->st = st;
	p->cfg = cfg;
	return 0;
}

struct rules *pipeline_rules(struct pipeline *p)
{
	return p->st.rules;
}

uint64_t pipeline_in_flight(const struct pipeline *p)
{
	return p->ring_len + hold_len(p->hold); /* held events are read and not delivered too */
}

uint64_t pipeline_delivered_upto(const struct pipeline *p)
{
	return p->delivered_upto;
}

void pipeline_source_eof(struct pipeline *p)
{
	p->eof = true;
}

bool pipeline_source_done(const struct pipeline *p)
{
	return p->eof;
}

static void set_paused(struct pipeline *p, bool paused)
{
	if (p->paused == paused || (p->stopped && !paused))
		return;
	p->paused = paused;
	if (p->src && p->src->ops->pause)
		p->src->ops->pause(p->src->state, paused);
}

void pipeline_stop_source(struct pipeline *p)
{
	set_paused(p, true);
	p->stopped = true;
	/* Nothing more will join the held events: they go now. */
	pipeline_hold_release(p, 0, true);
}

/* Tells the source how far its position may move: once per submit, at its end. */
static void tell_source(struct pipeline *p)
{
	if (p->submitting || p->delivered_upto == p->told_source)
		return;
	p->told_source = p->delivered_upto;
	if (p->src && p->src->ops->delivered)
		p->src->ops->delivered(p->src->state, p->delivered_upto);
}

/*
 * The in-flight window in bytes: half of limits.max_queue_bytes, the other
 * half for the frames' headers and what the sink keeps for a resend. Large
 * events pause the source before limits.in_flight of them pile up.
 */
static uint64_t bytes_window(const struct pipeline *p)
{
	return p->cfg->limits.max_queue_bytes ? p->cfg->limits.max_queue_bytes / 2 : UINT64_MAX;
}

/*
 * Everything not waiting in the ring is delivered: records that made no
 * event (dropped debug lines) count as delivered once all before them are.
 */
static void advance(struct pipeline *p)
{
	uint64_t upto = p->ring_len	    ? p->ring[p->ring_head] - 1
			: hold_len(p->hold) ? hold_first_seq(p->hold) - 1
					    : p->last_seq;
	size_t held = hold_len(p->hold);

	if (upto > p->delivered_upto)
		p->delivered_upto = upto;
	p->cnt->in_flight = p->ring_len + held;
	p->cnt->in_flight_bytes = p->ring_bytes_sum;
	/* Resume at half the window, so the source reads in batches. */
	if (p->paused && p->ring_len + held <= p->window / 2 &&
	    p->ring_bytes_sum <= bytes_window(p) / 2)
		set_paused(p, false);
	tell_source(p);
}

void pipeline_delivered(struct pipeline *p, uint64_t seq)
{
	size_t n = 0;

	while (p->ring_len && p->ring[p->ring_head] <= seq) {
		p->ring_bytes_sum -= p->ring_bytes[p->ring_head];
		p->ring_head = (p->ring_head + 1) % p->ring_cap;
		p->ring_len--;
		n++;
	}
	p->cnt->delivered += n;
	if (p->signer)
		signer_delivered(p->signer, seq);
	advance(p);
}

/*
 * Room for one more seq: the ring doubles when the alerts of one record
 * take it past the window (the source is paused by then, so it stays
 * bounded by what one record can raise).
 */
static int ring_reserve(struct pipeline *p)
{
	uint64_t *nr;
	uint32_t *nb;

	if (p->ring_len < p->ring_cap)
		return 0;
	nr = calloc(2 * p->ring_cap, sizeof(*nr));
	nb = calloc(2 * p->ring_cap, sizeof(*nb));
	if (!nr || !nb) {
		free(nr);
		free(nb);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->ring_len; i++) {
		nr[i] = p->ring[(p->ring_head + i) % p->ring_cap];
		nb[i] = p->ring_bytes[(p->ring_head + i) % p->ring_cap];
	}
	free(p->ring);
	free(p->ring_bytes);
	p->ring = nr;
	p->ring_bytes = nb;
	p->ring_head = 0;
	p->ring_cap *= 2;
	return 0;
}

/* Hands the rendered event ev to the sink, its seq queued first (the sink may ack at once). */
static int to_sink(struct pipeline *p, uint64_t seq, const struct event *ev, const char *json,
		   size_t len)
{
	int r;

	r = ring_reserve(p);
	if (r < 0)
		return r;
	p->ring[(p->ring_head + p->ring_len) % p->ring_cap] = seq;
	p->ring_bytes[(p->ring_head + p->ring_len) % p->ring_cap] = (uint32_t)len;
	p->ring_bytes_sum += len;
	p->ring_len++;
	p->cnt->events_out++;
	if (!p->snk)
		return 0;
	r = p->snk->ops->write(p->snk->state, seq, ev, json, len);
	if (p->signer) {
		struct signer_stats st;

		signer_get_stats(p->signer, &st);
		p->cnt->signed_events = st.signed_events;
		p->cnt->sign_epochs = st.epochs;
		p->cnt->sign_checkpoints = st.checkpoints;
	}
	return r;
}

int pipeline_enable_signing(struct pipeline *p, struct diags *errs)
{
	const struct config *cfg = p->cfg;
	struct signer_opts o = {
	    .key_file = cfg->sign.key_file,
	    .state_file = cfg->sign.state_file,
	    .epoch_events = cfg->sign.epoch_events,
	    .epoch_seconds = cfg->sign.epoch_seconds,
	    .pen = cfg->output.enterprise_number ? cfg->output.enterprise_number : 32473,
	    .ring = 2 * (size_t)(cfg->limits.in_flight ? cfg->limits.in_flight : 4096),
	};

	if (!cfg->sign.enabled || p->signer)
		return 0;
	return signer_open(&o, &p->signer, errs);
}

struct signer *pipeline_signer(struct pipeline *p)
{
	return p ? p->signer : NULL;
}

int pipeline_sign_final(struct pipeline *p)
{
	if (!p->signer)
		return 0;
	signer_final_next(p->signer);
	return pipeline_emit_stats(p);
}

/*
 * detections (detect.c): an alert is rendered at once and kept; it goes to
 * the sink, with a seq of its own, once no held event (with an older seq)
 * is left: the ring and the sinks see seqs in order.
 */
static int emit_alert(void *ud, const struct event *alert)
{
	struct pipeline *p = ud;
	struct pending_alert *a;
	const char *json;
	size_t len;
	int r;

	if (p->n_alerts == ALERTS_PENDING) {
		p->cnt->detect_suppressed++; /* a storm of alerts within one hold: counted, not sent */
		return 0;
	}
	a = &p->alerts[p->n_alerts];
	if (!a->ev.text && (r = event_init(&a->ev, p->ev.text_cap)) < 0)
		return r;
	r = event_profile_render(p->json, alert, &json, &len);
	if (r < 0)
		return r;
	if (len + 1 > a->cap) { /* with its NUL, as a rendering has */
		char *b = realloc(a->json, len + 1);

		if (!b)
			return -ENOMEM;
		a->json = b;
		a->cap = len + 1;
	}
	r = hold_copy_event(&a->ev, alert);
	if (r < 0)
		return r;
	memcpy(a->json, json, len);
	a->json[len] = '\0';
	a->len = len;
	p->n_alerts++;
	return 0;
}

/* Enriches, redacts, renders and hands one event to the sink; the detections see it as shipped. */
static int send_event(struct pipeline *p, struct event *ev, uint64_t seq)
{
	const char *json;
	size_t len;
	int r;

	/* Before redaction: the address maps and GeoIP need the real addresses. */
	if (enrich_event(p->st.enr, ev) < 0)
		p->cnt->arena_full++;
	if (redact_event(p->st.red, ev) < 0)
		p->cnt->arena_full++;
	r = event_profile_render(p->json, ev, &json, &len);
	if (r < 0)
		return r;
	r = to_sink(p, seq, ev, json, len);
	if (r >= 0 && p->det)
		r = detect_event(p->det, ev, emit_alert, p);
	return r;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Sends the held events that may leave (see hold_due); returns the first sink error, else 0. */
static int release(struct pipeline *p, int64_t line_us, uint64_t now_us, bool all)
{
	struct hold_item *it;
	int r = 0, w;

	while (p->hold && (it = hold_due(p->hold, line_us, now_us, all))) {
		w = it->json_len ? to_sink(p, it->seq, &it->ev, it->json, it->json_len)
				 : send_event(p, &it->ev, it->seq);
		hold_pop(p->hold);
		if (w < 0 && r == 0)
			r = w;
	}
	return r;
}

/* The alerts kept by emit_alert, once every held event has gone (all of them, if need be). */
static int flush_alerts(struct pipeline *p)
{
	int r = 0, w;

	if (!p->n_alerts)
		return 0;
	if (hold_len(p->hold))
		r = release(p, 0, 0, true);
	for (unsigned k = 0; k < p->n_alerts; k++) {
		w = to_sink(p, ++p->last_seq, &p->alerts[k].ev, p->alerts[k].json, p->alerts[k].len);
		if (w < 0 && r == 0)
			r = w;
	}
	p->n_alerts = 0;
	return r;
}

/*
 * The stages after the normalizer, for a log line's event and for a
 * synthetic one (status snapshots): correlation, then, held or not,
 * enrichment, redaction, the profile's rendering, the sink and the
 * detections. The log tap sees log lines only.
 */
static int finish(struct pipeline *p, const struct record *rec, struct event *ev, bool log_line)
{
	int r;

	if (correlate_event(p->corr, ev) < 0)
		p->cnt->arena_full++;
	/* With facts carried, the correlator has set IDi/IDr by the IKE SA's role. */
	if (!p->cfg->correlate.carry)
		normalize_identities(ev);
	if (log_line && p->log_tap) /* status snapshots */
		p->log_tap(p->log_tap_ud, ev);
	if (p->observer)
		p->observer(rec, ev, p->observer_ud);
	if (!p->hold || !log_line) {
		r = send_event(p, ev, rec->seq);
	} else {
		/* A later line of an attempt: what it printed joins the event that claimed its
		 * outcome. */
		if (hold_absorb(p->hold, ev, p->cfg->correlate.carry))
			p->cnt->outcome_absorbed++;
		hold_push(p->hold, rec->seq, rec->realtime_usec, p->now_us);
		r = release(p, rec->realtime_usec, p->now_us, false);
	}
	if (r >= 0)
		r = flush_alerts(p);
	return r < 0 ? r : 1;
}

static int emit_summary(void *ud, struct event *ev, const struct sa_sum *s, const char *end_reason);

static int process(struct pipeline *p, const struct record *rec)
{
	struct event *ev = &p->ev;
	int r, err;

	/* Held, the event is made in its queue slot; a full queue lets its oldest go first. */
	while (p->hold && !(ev = hold_slot(p->hold, &err))) {
		if (err < 0)
			return err;
		if ((r = release(p, 0, 0, false)) < 0)
			return r;
	}
	event_reset(ev);
	r = normalize_record(p->st.norm, rec, ev);
	if (r <= 0)
		return r;
	p->now_us = p->clock ? mono_usec() : 0;
	p->line_us = rec->realtime_usec;
	if (p->summary)
		correlator_set_clock(p->corr, p->hold_us, p->now_us);
	r = finish(p, rec, ev, true);
	/* The summaries of the IKE SAs that have ended, after the line's event. */
	if (p->summary && r >= 0)
		r = correlate_summaries_due(p->corr, &p->sev, p->line_us, p->now_us, false,
					    emit_summary, p);
	return r < 0 ? r : 1;
}

int pipeline_submit(struct pipeline *p, struct record *rec)
{
	int r;

	rec->seq = ++p->last_seq;
	p->cnt->lines_read++;
	if (rec->flags & RECORD_TRUNCATED)
		p->cnt->lines_truncated++;
	p->submitting++;
	r = process(p, rec);
	p->submitting--;
	advance(p);
	if (r < 0)
		return r;
	if (p->ring_len + hold_len(p->hold) >= p->window || p->ring_bytes_sum >= bytes_window(p)) {
		set_paused(p, true);
		return 0;
	}
	return 1;
}

/*
 * The object a profile wants values that are no event fields in: the
 * top level (ikelogd's schema), else a member of it (OCSF "unmapped", ECS
 * "ikelogd"), added if the rendering has none.
 */
static struct json_object *extras(struct pipeline *p, struct json_object *o)
{
	const char *key = event_profile_extras(p->json);
	struct json_object *x;

	if (!key)
		return o;
	if (json_object_object_get_ex(o, key, &x))
		return x;
	x = json_object_new_object();
	json_object_object_add(o, key, x);
	return x;
}

int pipeline_emit_stats(struct pipeline *p)
{
	struct json_object *o, *c;
	struct record rec = {.priority = -1};
	const char *json;
	char ts[64], id[17];
	size_t len;
	int r;

	/* After the held events, whose seqs are older. */
	release(p, 0, 0, true);
	if (p->ring_len >= p->window)
		return -EAGAIN;
	c = json_object_new_object();
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < counter_table_len; i++)
		json_object_object_add(
		    c, counter_table[i].name,
		    json_object_new_uint64(counter_get(p->cnt, &counter_table[i])));
	rec.realtime_usec = util_now_usec();
	rec.seq = ++p->last_seq;
	util_hex64(util_hash64(&rec.realtime_usec, sizeof(rec.realtime_usec),
			       util_hash64("daemon_stats", 12, UTIL_HASH_SEED)),
		   id);
	/* The header fields a sink reads come from the event, as for any other. */
	event_reset(&p->ev);
	p->ev.rec = &rec;
	event_set_int(&p->ev, F_SCHEMA_VERSION, 1);
	event_set_str(&p->ev, F_EVENT_ID, id, 16);
	{
		time_t secs = (time_t)(rec.realtime_usec / 1000000);
		struct tm tm;
		size_t n;

		gmtime_r(&secs, &tm);
		n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + n, sizeof(ts) - n, ".%06ldZ", (long)(rec.realtime_usec % 1000000));
	}
	event_set_str(&p->ev, F_TIMESTAMP, ts, strlen(ts));
	event_set_str(&p->ev, F_EVENT_TYPE, "daemon_stats", 12);
	event_set_str(&p->ev, F_RESULT, "info", 4);
	event_set_str(&p->ev, F_SEVERITY, "info", 4);
	/* The event in the output's profile, then the counters it has no fields for. */
	o = NULL;
	if (event_profile_render(p->json, &p->ev, &json, &len) == 0)
		o = json_tokener_parse(json);
	if (!o) {
		json_object_put(c);
		p->ev.rec = NULL;
		return -ENOMEM;
	}
	json_object_object_add(extras(p, o), "counters", c);
	json = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	r = to_sink(p, rec.seq, &p->ev, json, len);
	json_object_put(o);
	p->ev.rec = NULL;
	advance(p);
	return r;
}

int pipeline_set_summary(struct pipeline *p, bool on)
{
	int r = correlator_set_summary(p->corr, on);

	if (r == 0 && on && !p->sev.text)
		r = event_init(&p->sev, SUMMARY_ARENA);
	if (r == 0)
		p->summary = on;
	return r;
}

int pipeline_set_hold(struct pipeline *p, unsigned hold_ms, bool clock)
{
	int r = 0;

	p->clock = clock;
	p->hold_us = (uint64_t)hold_ms * 1000;
	if (!p->hold && hold_ms)
		r = hold_new(hold_ms, HOLD_MAX_ITEMS, p->ev.text_cap, &p->hold);
	return r;
}

uint64_t pipeline_hold_deadline(const struct pipeline *p)
{
	uint64_t h = hold_deadline(p->hold);
	uint64_t s = p->summary ? correlate_summary_deadline(p->corr) : 0;

	return !h ? s : !s ? h : h < s ? h : s;
}

int pipeline_hold_release(struct pipeline *p, uint64_t now_usec, bool all)
{
	int r = release(p, 0, now_usec, all);

	/* At a stop, the ended IKE SAs' summaries too (the open ones are kept in the state). */
	if (p->summary) {
		int w;

		p->now_us = now_usec;
		w = correlate_summaries_due(p->corr, &p->sev, 0, now_usec, all, emit_summary, p);
		r = r < 0 ? r : w;
		if (all && release(p, 0, 0, true) < 0 && r >= 0)
			r = -EIO;
	}
	if (r >= 0)
		r = flush_alerts(p);
	advance(p);
	return r;
}

/* A summary queued behind the held events, so that seqs reach the sink in order. */
static int hold_summary(struct pipeline *p, struct event *ev, uint64_t seq, const char *json,
			size_t len)
{
	struct event *slot;
	int r, err;

	while (!(slot = hold_slot(p->hold, &err))) {
		if (err < 0)
			return err;
		if ((r = release(p, 0, 0, false)) < 0)
			return r;
	}
	r = hold_copy_event(slot, ev);
	if (r < 0)
		return r;
	return hold_push_rendered(p->hold, seq, p->line_us, p->now_us, json, len);
}

static int64_t round_div(int64_t n, int64_t d)
{
	return n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d);
}

/* One ike_sa_summary: redacted like any event, then the counts the field table has no slot for. */
static int emit_summary(void *ud, struct event *ev, const struct sa_sum *s, const char *end_reason)
{
	struct pipeline *p = ud;
	struct json_object *o, *x;
	struct record rec = {.priority = -1, .realtime_usec = s->end_us};
	char ts[40];
	const char *json;
	size_t len;
	int r;

	if (redact_event(p->st.red, ev) < 0)
		p->cnt->arena_full++;
	r = event_profile_render(p->json, ev, &json, &len);
	if (r < 0)
		return r;
	o = json_tokener_parse(json);
	if (!o)
		return -ENOMEM;
	x = extras(p, o);
	for (int k = 0; k < 2; k++) {
		size_t n = util_rfc3339_us(k ? s->end_us : s->start_us, ts);

		json_object_object_add(x, k ? "end_time" : "start_time",
				       json_object_new_string_len(ts, (int)n));
	}
	json_object_object_add(
	    x, "duration_s",
	    json_object_new_double((double)round_div(s->end_us - s->start_us, 1000) / 1000.0));
	json_object_object_add(x, "outcome",
			       json_object_new_string(s->established ? "established" : "failed"));
	json_object_object_add(x, "end_reason", json_object_new_string(end_reason));
	if (s->x_len)
		json_object_object_add(x, "failed_exchange",
				       json_object_new_string_len(s->failed_x, s->x_len));
	json_object_object_add(x, "child_sa_created", json_object_new_int64(s->child_created));
	json_object_object_add(x, "child_sa_rekeyed", json_object_new_int64(s->child_rekeyed));
	json_object_object_add(x, "child_sa_deleted", json_object_new_int64(s->child_deleted));
	json_object_object_add(x, "ike_sa_rekeys", json_object_new_int64(s->ike_rekeys));
	if (s->first_len)
		json_object_object_add(x, "first_event_id",
				       json_object_new_string_len(s->first_id, s->first_len));
	if (s->last_len)
		json_object_object_add(x, "last_event_id",
				       json_object_new_string_len(s->last_id, s->last_len));
	json = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	rec.seq = ++p->last_seq;
	p->cnt->summaries++;
	ev->rec = &rec;
	r = p->hold ? hold_summary(p, ev, rec.seq, json, len) : to_sink(p, rec.seq, ev, json, len);
	ev->rec = NULL;
	json_object_put(o);
	if (!p->submitting)
		advance(p);
	return r;
}

int pipeline_emit_summaries(struct pipeline *p)
{
	int r = correlate_summaries_due(p->corr, &p->sev, 0, 0, true, emit_summary, p);

	if (r >= 0)
		r = correlate_summaries(p->corr, &p->sev, emit_summary, p);
	if (release(p, 0, 0, true) < 0 && r >= 0)
		r = -EIO;
	if (r >= 0)
		r = flush_alerts(p);
	advance(p);
	return r;
}

/* ---- status snapshots (status.c, status_poll.c) ---- */

void pipeline_set_log_tap(struct pipeline *p, void (*fn)(void *ud, const struct event *ev),
			  void *ud)
{
	p->log_tap = fn;
	p->log_tap_ud = ud;
}

struct event *pipeline_event(struct pipeline *p)
{
	return &p->ev;
}

int pipeline_emit_event(struct pipeline *p, struct event *ev)
{
	struct record rec = {.priority = -1};
	int r;

	if (ev != &p->ev)
		return -EINVAL;
	/* After the held events, whose seqs are older. */
	release(p, 0, 0, true);
	if (p->ring_len >= p->window)
		return -EAGAIN;
	rec.realtime_usec = util_now_usec();
	rec.seq = ++p->last_seq;
	ev->rec = &rec;
	/* The same stages as a log line's event after the normalizer. */
	r = finish(p, &rec, ev, false);
	ev->rec = NULL;
	advance(p);
	return r < 0 ? r : 0;
}

int pipeline_save_story(struct pipeline *p, char **ret, size_t *ret_len)
{
	return correlator_save(p->corr, ret, ret_len);
}

int pipeline_load_story(struct pipeline *p, const void *data, size_t len)
{
	return correlator_load(p->corr, data, len);
}
