/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "correlate.h"
#include "event.h"
#include "hold.h"
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
	struct redactor *red;
};

/* Events held at most (correlate.hold_ms): 10 ms at 1,000 events/s is ten. */
#define HOLD_MAX_ITEMS 32
/* Summaries that may go out beside a full window. */
#define SUMMARY_SLACK 64
#define SUMMARY_ARENA 8192

struct pipeline {
	const struct config *cfg;
	struct counters *cnt;
	struct stages st;
	struct correlator *corr;
	struct hold *hold; /* NULL when correlate.hold_ms is 0 */
	bool clock;	   /* the daemon: held events also leave by the monotonic clock */
	bool summary;	   /* ike_sa_summary events as IKE SAs end */
	struct event sev;  /* the summary being made */
	char *sbuf;	   /* ... and its text */
	size_t sbuf_cap;
	int64_t line_us; /* the timestamp of the newest line */
	uint64_t now_us; /* the monotonic clock at the newest line or tick, 0 = none */
	struct event ev;
	struct event_json *json;
	struct source *src;
	struct sink *snk;
	struct signer *signer; /* NULL unless the daemon signs (pipeline_enable_signing) */
	void (*observer)(const struct record *rec, const struct event *ev, void *ud);
	void *observer_ud;

	uint64_t last_seq;	 /* the newest seq handed out */
	uint64_t delivered_upto; /* every record up to here is delivered */
	uint64_t told_source;	 /* the newest delivered_upto the source was told */
	/* Seqs handed to the sink and not yet delivered, oldest first. */
	uint64_t hold_us; /* correlate.hold_ms: also the grace before an ended IKE SA's summary */
	uint64_t *ring;
	size_t ring_cap, ring_head, ring_len;
	size_t ring_alloc;   /* ring_cap and room for what leaves the hold queue at once */
	unsigned submitting; /* >0 while inside pipeline_submit: source told afterwards */
	bool paused, eof, stopped;
};

static void stages_free(struct stages *st)
{
	redactor_free(st->red);
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
	p->ring_cap = cfg->limits.in_flight ? cfg->limits.in_flight : 1;
	p->ring_alloc = p->ring_cap + HOLD_MAX_ITEMS + SUMMARY_SLACK;
	p->ring = calloc(p->ring_alloc, sizeof(*p->ring));
	if (!p->ring) {
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
	/* Room for the line, its converted fields and the derived ones. */
	r = event_init(&p->ev, 2 * (size_t)cfg->limits.max_line_bytes + 4096);
	if (r < 0)
		goto out;
	r = event_json_new(&p->json);
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
	event_json_free(p->json);
	hold_free(p->hold);
	event_done(&p->sev);
	free(p->sbuf);
	event_done(&p->ev);
	correlator_free(p->corr);
	stages_free(&p->st);
	signer_free(p->signer);
	free(p->ring);
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

	r = stages_new(cfg, p->cnt, &st, errs);
	if (r < 0)
		return r;
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
 * Everything not waiting in the ring is delivered: records that made no
 * event (dropped debug lines) count as delivered once all before them are.
 */
static void advance(struct pipeline *p)
{
	uint64_t upto = p->ring_len	    ? p->ring[p->ring_head] - 1
			: hold_len(p->hold) ? hold_first_seq(p->hold) - 1
					    : p->last_seq;

	if (upto > p->delivered_upto)
		p->delivered_upto = upto;
	p->cnt->in_flight = p->ring_len + hold_len(p->hold);
	/* Resume at half the window, so the source reads in batches. */
	if (p->paused && p->ring_len + hold_len(p->hold) <= p->ring_cap / 2)
		set_paused(p, false);
	tell_source(p);
}

void pipeline_delivered(struct pipeline *p, uint64_t seq)
{
	size_t n = 0;

	while (p->ring_len && p->ring[p->ring_head] <= seq) {
		p->ring_head = (p->ring_head + 1) % p->ring_alloc;
		p->ring_len--;
		n++;
	}
	p->cnt->delivered += n;
	if (p->signer)
		signer_delivered(p->signer, seq);
	advance(p);
}

/* Hands the rendered event to the sink, its seq queued first (the sink may ack at once). */
static int to_sink(struct pipeline *p, uint64_t seq, const struct event *ev, const char *json,
		   size_t len)
{
	int r;

	if (p->ring_len == p->ring_alloc)
		return -ENOBUFS; /* not reached: submit pauses with room for the hold queue */
	p->ring[(p->ring_head + p->ring_len) % p->ring_alloc] = seq;
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

/* Redacts, renders and hands one line's event to the sink. */
static int send_event(struct pipeline *p, struct event *ev, uint64_t seq)
{
	const char *json;
	size_t len;
	int r;

	if (redact_event(p->st.red, ev) < 0)
		p->cnt->arena_full++;
	r = event_json_render(p->json, ev, &json, &len);
	if (r < 0)
		return r;
	return to_sink(p, seq, ev, json, len);
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
	if (correlate_event(p->corr, ev) < 0)
		p->cnt->arena_full++;
	/* With facts carried, the correlator has set IDi/IDr by the IKE SA's role. */
	if (!p->cfg->correlate.carry)
		normalize_identities(ev);
	if (p->observer)
		p->observer(rec, ev, p->observer_ud);
	if (!p->hold) {
		r = send_event(p, ev, rec->seq);
	} else {
		/* A later line of an attempt: what it printed joins the event that claimed its
		 * outcome. */
		if (hold_absorb(p->hold, ev, p->cfg->correlate.carry))
			p->cnt->outcome_absorbed++;
		hold_push(p->hold, rec->seq, rec->realtime_usec, p->now_us);
		r = release(p, rec->realtime_usec, p->now_us, false);
	}
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
	if (p->ring_len + hold_len(p->hold) >= p->ring_cap) {
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
	advance(p);
	return r;
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
	if (p->ring_len >= p->ring_cap)
		return -EAGAIN;
	o = json_object_new_object();
	c = json_object_new_object();
	if (!o || !c) {
		json_object_put(o);
		json_object_put(c);
		return -ENOMEM;
	}
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
	json_object_object_add(o, "schema_version", json_object_new_int(1));
	json_object_object_add(o, "event_id", json_object_new_string(id));
	json_object_object_add(o, "timestamp", json_object_new_string(ts));
	json_object_object_add(o, "event_type", json_object_new_string("daemon_stats"));
	json_object_object_add(o, "result", json_object_new_string("info"));
	json_object_object_add(o, "severity", json_object_new_string("info"));
	json_object_object_add(o, "counters", c);
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

static int64_t round_div(int64_t n, int64_t d)
{
	return n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d);
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

/* One ike_sa_summary: redacted like any event, then the counts the field table has no slot for. */
/* The text of a summary being written (grown as needed; NULL data after a failed growth). */
struct text {
	char *data;
	size_t len, cap;
};

static void put_raw(struct text *t, const char *s, size_t len)
{
	char *b;

	if (!t->data)
		return;
	if (t->len + len + 1 > t->cap) {
		size_t cap = (t->len + len + 1) * 2;

		if (!(b = realloc(t->data, cap))) {
			free(t->data);
			t->data = NULL;
			return;
		}
		t->data = b;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
}

/* ,"key":"v" with v[0..len) escaped as JSON wants. */
static void put_str(struct text *t, const char *key, const char *v, size_t len)
{
	size_t from = 0;
	char esc[8];

	put_raw(t, ",\"", 2);
	put_raw(t, key, strlen(key));
	put_raw(t, "\":\"", 3);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch != '"' && ch != '\\' && ch >= 0x20)
			continue;
		put_raw(t, v + from, i - from);
		put_raw(t, esc,
			(size_t)snprintf(esc, sizeof(esc), ch < 0x20 ? "\\u%04x" : "\\%c", ch));
		from = i + 1;
	}
	put_raw(t, v + from, len - from);
	put_raw(t, "\"", 1);
}

static void put_time(struct text *t, const char *key, int64_t us)
{
	char ts[32];

	put_str(t, key, ts, util_rfc3339_us(us, ts));
}

/*
 * One ike_sa_summary: redacted and rendered like any event, then the
 * fields the event table has no slot for appended to its object as text
 * (no second parse: a busy gateway ends many IKE SAs).
 */
static int emit_summary(void *ud, struct event *ev, const struct sa_sum *s, const char *end_reason)
{
	struct pipeline *p = ud;
	struct text t = {.data = p->sbuf, .cap = p->sbuf_cap};
	const char *json;
	char num[160];
	size_t len;
	uint64_t seq;
	int r;

	if (redact_event(p->st.red, ev) < 0)
		p->cnt->arena_full++;
	r = event_json_render(p->json, ev, &json, &len);
	if (r < 0)
		return r;
	if (!t.data)
		t.data = malloc(t.cap = 1024);
	put_raw(&t, json, len - 1); /* without its closing brace */
	put_time(&t, "start_time", s->start_us);
	put_time(&t, "end_time", s->end_us);
	put_raw(&t, num,
		(size_t)snprintf(num, sizeof(num), ",\"duration_s\":%.3f",
				 (double)round_div(s->end_us - s->start_us, 1000) / 1000.0));
	put_str(&t, "outcome", s->established ? "established" : "failed", s->established ? 11 : 6);
	put_str(&t, "end_reason", end_reason, strlen(end_reason));
	if (s->x_len)
		put_str(&t, "failed_exchange", s->failed_x, s->x_len);
	put_raw(&t, num,
		(size_t)snprintf(num, sizeof(num),
				 ",\"child_sa_created\":%u,\"child_sa_rekeyed\":%u,"
				 "\"child_sa_deleted\":%u,\"ike_sa_rekeys\":%u",
				 s->child_created, s->child_rekeyed, s->child_deleted,
				 s->ike_rekeys));
	if (s->first_len)
		put_str(&t, "first_event_id", s->first_id, s->first_len);
	if (s->last_len)
		put_str(&t, "last_event_id", s->last_id, s->last_len);
	put_raw(&t, "}", 1);
	p->sbuf = t.data;
	p->sbuf_cap = t.data ? t.cap : 0;
	if (!t.data)
		return -ENOMEM;
	seq = ++p->last_seq;
	p->cnt->summaries++;
	r = p->hold ? hold_summary(p, ev, seq, t.data, t.len) : to_sink(p, seq, ev, t.data, t.len);
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
	advance(p);
	return r;
}

int pipeline_save_story(struct pipeline *p, char **ret, size_t *ret_len)
{
	return correlator_save(p->corr, ret, ret_len);
}

int pipeline_load_story(struct pipeline *p, const void *data, size_t len)
{
	return correlator_load(p->corr, data, len);
}
