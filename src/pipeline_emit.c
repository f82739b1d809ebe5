/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The events ikelogd makes itself, through the pipeline's stages and ring
 * (pipeline.h): daemon_stats, ike_sa_summary, alerts, and the status
 * snapshots' events; and the correlation table saved and restored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "correlate.h"
#include "event.h"
#include "event_profile.h"
#include "hold.h"
#include "pipeline.h"
#include "pipeline_impl.h"
#include "redact.h"
#include "stats.h"
#include "util.h"

/*
 * detections (detect.c): an alert is rendered at once and kept; it goes to
 * the sink, with a seq of its own, once no held event (with an older seq)
 * is left: the ring and the sinks see seqs in order.
 */
int pl_emit_alert(void *ud, const struct event *alert)
{
	struct pipeline *p = ud;
	struct pending_alert *a;
	const char *json;
	size_t len;
	int r;

	if (p->n_alerts == ALERTS_PENDING) {
		p->cnt->detect_suppressed++; /* a storm of alerts within one hold: counted, not sent
					      */
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
	pl_release(p, 0, 0, true);
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
	r = pl_to_sink(p, rec.seq, &p->ev, json, len);
	json_object_put(o);
	p->ev.rec = NULL;
	pl_advance(p);
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

/* A summary queued behind the held events, so that seqs reach the sink in order. */
static int hold_summary(struct pipeline *p, struct event *ev, uint64_t seq, const char *json,
			size_t len)
{
	struct event *slot;
	int r, err;

	while (!(slot = hold_slot(p->hold, &err))) {
		if (err < 0)
			return err;
		if ((r = pl_release(p, 0, 0, false)) < 0)
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
int pl_emit_summary(void *ud, struct event *ev, const struct sa_sum *s, const char *end_reason)
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
	r = p->hold ? hold_summary(p, ev, rec.seq, json, len)
		    : pl_to_sink(p, rec.seq, ev, json, len);
	ev->rec = NULL;
	json_object_put(o);
	if (!p->submitting)
		pl_advance(p);
	return r;
}

int pipeline_emit_summaries(struct pipeline *p)
{
	int r = correlate_summaries_due(p->corr, &p->sev, 0, 0, true, pl_emit_summary, p);

	if (r >= 0)
		r = correlate_summaries(p->corr, &p->sev, pl_emit_summary, p);
	if (pl_release(p, 0, 0, true) < 0 && r >= 0)
		r = -EIO;
	if (r >= 0)
		r = pl_flush_alerts(p);
	pl_advance(p);
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
	pl_release(p, 0, 0, true);
	if (p->ring_len >= p->window)
		return -EAGAIN;
	rec.realtime_usec = util_now_usec();
	rec.seq = ++p->last_seq;
	ev->rec = &rec;
	/* The same stages as a log line's event after the normalizer. */
	r = pl_finish(p, &rec, ev, false);
	ev->rec = NULL;
	pl_advance(p);
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
