/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

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

#include "pipeline_impl.h"

static void stages_free(struct stages *st)
{
	redactor_free(st->red);
	enrich_free(st->enr);
	normalizer_free(st->norm);
	rules_free(st->rules);
	memset(st, 0, sizeof(*st));
}

static int stages_new(const struct pipeline_options *o, struct counters *cnt, struct stages *ret,
		      struct diags *errs)
{
	struct stages st = {0};
	int r;

	r = rules_load(o->rules, o->n_rules, &st.rules, errs);
	if (r < 0)
		goto out;
	r = normalizer_new(&o->norm, st.rules, cnt, &st.norm);
	if (r < 0) {
		diag_add(errs, NULL, 0, 0, "normalizer: %s", strerror(-r));
		goto out;
	}
	r = enrich_new(&o->enrich, &st.enr, errs);
	if (r < 0)
		goto out;
	r = redactor_new(&o->redact, cnt, &st.red, errs);
	if (r < 0)
		goto out;
	*ret = st;
	return 0;
out:
	stages_free(&st);
	return r;
}

int pipeline_new(const struct pipeline_options *o, struct counters *cnt, struct pipeline **ret,
		 struct diags *errs)
{
	struct pipeline *p;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->o = o;
	p->cnt = cnt;
	p->window = o->in_flight ? o->in_flight : 1;
	p->ring_cap = p->window;
	p->ring = calloc(p->ring_cap, sizeof(*p->ring));
	p->ring_bytes = calloc(p->ring_cap, sizeof(*p->ring_bytes));
	if (!p->ring || !p->ring_bytes) {
		r = -ENOMEM;
		goto out;
	}
	r = stages_new(o, cnt, &p->st, errs);
	if (r < 0)
		goto out;
	r = correlator_new(o->max_ike_sas, NULL, cnt, &p->corr);
	if (r < 0) {
		diag_add(errs, NULL, 0, 0, "correlation table: %s", strerror(-r));
		goto out;
	}
	correlator_set_story(p->corr, o->carry, o->merge);
	r = correlator_set_host_share(p->corr, o->max_ike_sas_per_host ? o->max_ike_sas_per_host
								       : o->max_ike_sas / 4);
	if (r < 0)
		goto out;
	if (o->detect.enabled) { /* detections (detect.c) */
		r = detector_new(&o->detect, cnt, &p->det);
		if (r < 0)
			goto out;
	}
	/* Room for the line, its converted fields and the derived ones. */
	r = event_init(&p->ev, 2 * (size_t)o->max_line_bytes + 4096);
	if (r < 0)
		goto out;
	r = event_profile_new(&o->profile, &p->json);
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
	free(p->sum_out.buf);
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

int pipeline_reload(struct pipeline *p, const struct pipeline_options *o, struct diags *errs)
{
	struct stages st;
	int r;

	struct event_profile *json = NULL;

	r = stages_new(o, p->cnt, &st, errs);
	if (r < 0)
		return r;
	if (o->profile.profile != p->o->profile.profile) {
		r = event_profile_new(&o->profile, &json);
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
	p->o = o;
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
	return p->o->max_queue_bytes ? p->o->max_queue_bytes / 2 : UINT64_MAX;
}

/*
 * Everything not waiting in the ring is delivered: records that made no
 * event (dropped debug lines) count as delivered once all before them are.
 */
void pl_advance(struct pipeline *p)
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
	pl_advance(p);
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
int pl_to_sink(struct pipeline *p, uint64_t seq, const struct event *ev, const char *json,
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
	if (!p->o->sign || p->signer)
		return 0;
	return signer_open(&p->o->signer, &p->signer, errs);
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

/* Enriches, redacts, renders and hands one event to the sink; the detections see it as shipped. */
int pl_send_event(struct pipeline *p, struct event *ev, uint64_t seq)
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
	r = pl_to_sink(p, seq, ev, json, len);
	if (r >= 0 && p->det)
		r = detect_event(p->det, ev, pl_emit_alert, p);
	return r;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Sends the held events that may leave (see hold_due); returns the first sink error, else 0. */
int pl_release(struct pipeline *p, int64_t line_us, uint64_t now_us, bool all)
{
	struct hold_item *it;
	int r = 0, w;

	while (p->hold && (it = hold_due(p->hold, line_us, now_us, all))) {
		w = it->json_len ? pl_to_sink(p, it->seq, &it->ev, it->json, it->json_len)
				 : pl_send_event(p, &it->ev, it->seq);
		hold_pop(p->hold);
		if (w < 0 && r == 0)
			r = w;
	}
	return r;
}

/* The alerts kept by pl_emit_alert, once every held event has gone (all of them, if need be). */
int pl_flush_alerts(struct pipeline *p)
{
	int r = 0, w;

	if (!p->n_alerts)
		return 0;
	if (hold_len(p->hold))
		r = pl_release(p, 0, 0, true);
	for (unsigned k = 0; k < p->n_alerts; k++) {
		w = pl_to_sink(p, ++p->last_seq, &p->alerts[k].ev, p->alerts[k].json,
			       p->alerts[k].len);
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
int pl_finish(struct pipeline *p, const struct record *rec, struct event *ev, bool log_line)
{
	int r;

	if (correlate_event(p->corr, ev) < 0)
		p->cnt->arena_full++;
	/* With facts carried, the correlator has set IDi/IDr by the IKE SA's role. */
	if (!p->o->carry)
		normalize_identities(ev);
	if (log_line && p->log_tap) /* status snapshots */
		p->log_tap(p->log_tap_ud, ev);
	if (p->observer)
		p->observer(rec, ev, p->observer_ud);
	if (!p->hold || !log_line) {
		r = pl_send_event(p, ev, rec->seq);
	} else {
		/* A later line of an attempt: what it printed joins the event that claimed its
		 * outcome. */
		if (hold_absorb(p->hold, ev, p->o->carry))
			p->cnt->outcome_absorbed++;
		hold_push(p->hold, rec->seq, rec->realtime_usec, p->now_us);
		r = pl_release(p, rec->realtime_usec, p->now_us, false);
	}
	if (r >= 0)
		r = pl_flush_alerts(p);
	return r < 0 ? r : 1;
}

static int process(struct pipeline *p, const struct record *rec)
{
	struct event *ev = &p->ev;
	int r, err;

	/* Held, the event is made in its queue slot; a full queue lets its oldest go first. */
	while (p->hold && !(ev = hold_slot(p->hold, &err))) {
		if (err < 0)
			return err;
		if ((r = pl_release(p, 0, 0, false)) < 0)
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
	r = pl_finish(p, rec, ev, true);
	/* The summaries of the IKE SAs that have ended, after the line's event. */
	if (p->summary && r >= 0)
		r = correlate_summaries_due(p->corr, &p->sev, p->line_us, p->now_us, false,
					    pl_emit_summary, p);
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
	pl_advance(p);
	if (r < 0)
		return r;
	if (p->ring_len + hold_len(p->hold) >= p->window || p->ring_bytes_sum >= bytes_window(p)) {
		set_paused(p, true);
		return 0;
	}
	return 1;
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
	int r = pl_release(p, 0, now_usec, all);

	/* At a stop, the ended IKE SAs' summaries too (the open ones are kept in the state). */
	if (p->summary) {
		int w;

		p->now_us = now_usec;
		w = correlate_summaries_due(p->corr, &p->sev, 0, now_usec, all, pl_emit_summary, p);
		r = r < 0 ? r : w;
		if (all && pl_release(p, 0, 0, true) < 0 && r >= 0)
			r = -EIO;
	}
	if (r >= 0)
		r = pl_flush_alerts(p);
	pl_advance(p);
	return r;
}
