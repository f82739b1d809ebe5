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
#include "event_json_impl.h"
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

/*
 * ms / 1000 in seconds as json-c 0.16 writes the double (json_object_new_double):
 * %.17g, ".0" if integral. Whole seconds (most summaries) without printf.
 */
static void put_seconds(struct json_buf *b, int64_t ms)
{
	char num[40];
	int n;

	if (ms % 1000 == 0 && ms / 1000 > -INT64_C(100000000000000) &&
	    ms / 1000 < INT64_C(100000000000000)) { /* exact, and %.17g has no exponent */
		json_put_int(b, ms / 1000);
		json_put(b, ".0", 2);
		return;
	}
	n = snprintf(num, sizeof(num) - 2, "%.17g", (double)ms / 1000.0);

	if (n < 0 || (size_t)n >= sizeof(num) - 2)
		n = 0;
	if (!memchr(num, '.', (size_t)n) && !memchr(num, 'e', (size_t)n) &&
	    (n == 0 || (num[n - 1] != 'n' && num[n - 1] != 'f')))
		n += snprintf(num + n, 3, ".0");
	json_put(b, num, (size_t)n);
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ": util_rfc3339_us for the years 0 to 9999. */
#define RFC3339_US_LEN 27

/* `,"key":` with the key a string literal: its length known when compiled. */
#define PUT_KEY(b, lit) json_put((b), "," lit ":", sizeof(lit) + 1)

/* `,"key":"value"`, the value escaped; room was reserved. */
#define PUT_STR(b, lit, v, n)                                                                      \
	do {                                                                                       \
		PUT_KEY(b, lit);                                                                   \
		(b)->buf[(b)->len++] = '"';                                                        \
		json_put_escaped((b), (v), (n));                                                   \
		(b)->buf[(b)->len++] = '"';                                                        \
	} while (0)

/* `,"key":"value"` with a value that needs no escape (a timestamp, a word of ours). */
#define PUT_PLAIN(b, lit, v, n)                                                                    \
	do {                                                                                       \
		PUT_KEY(b, lit);                                                                   \
		(b)->buf[(b)->len++] = '"';                                                        \
		json_put((b), (v), (n));                                                           \
		(b)->buf[(b)->len++] = '"';                                                        \
	} while (0)

#define PUT_NUM(b, lit, n)                                                                         \
	do {                                                                                       \
		PUT_KEY(b, lit);                                                                   \
		json_put_int((b), (n));                                                            \
	} while (0)

/*
 * The summary's counts, which the field table has no slots for, as members
 * `,"start_time":...` in b (from offset b->len): written directly, not by
 * parsing the rendered event again. end_time is the event's timestamp
 * (corr_summary_event writes it from the same end_us), not formatted twice,
 * when the policy kept it (ts_kept); start_time, in the same second, is
 * that text with its own microseconds.
 * Returns 0 or -ENOMEM.
 */
static int summary_members(struct json_buf *b, const struct event *ev, bool ts_kept,
			   const struct sa_sum *s, const char *end_reason)
{
	char ts[40];
	const char *end;
	size_t end_len, reason_len = strlen(end_reason);

	/* The names (~200 bytes), the numbers, the three strings escaped (6 per byte). */
	if (json_reserve(b, 512 + 6 * (sizeof(s->failed_x) + sizeof(s->first_id) +
				       sizeof(s->last_id) + reason_len)) < 0)
		return -ENOMEM;
	end = ts_kept ? event_str(ev, F_TIMESTAMP, &end_len) : NULL;
	if (end && end_len == RFC3339_US_LEN && s->start_us >= 0 && s->end_us >= 0 &&
	    s->start_us / 1000000 == s->end_us / 1000000) {
		/* The second it ended in (most failed attempts): only the micros differ. */
		memcpy(ts, end, RFC3339_US_LEN - 7);
		for (int k = 0, us = (int)(s->start_us % 1000000); k < 6; k++, us /= 10)
			ts[RFC3339_US_LEN - 2 - k] = (char)('0' + us % 10);
		ts[RFC3339_US_LEN - 1] = 'Z';
		PUT_PLAIN(b, "\"start_time\"", ts, (size_t)RFC3339_US_LEN);
	} else {
		PUT_PLAIN(b, "\"start_time\"", ts, util_rfc3339_us(s->start_us, ts));
	}
	if (!end || end_len >= sizeof(ts)) {
		end_len = util_rfc3339_us(s->end_us, ts);
		end = ts;
	}
	PUT_PLAIN(b, "\"end_time\"", end, end_len);
	PUT_KEY(b, "\"duration_s\"");
	put_seconds(b, round_div(s->end_us - s->start_us, 1000));
	if (s->established)
		PUT_PLAIN(b, "\"outcome\"", "established", 11);
	else
		PUT_PLAIN(b, "\"outcome\"", "failed", 6);
	PUT_STR(b, "\"end_reason\"", end_reason, reason_len);
	if (s->x_len)
		PUT_STR(b, "\"failed_exchange\"", s->failed_x, s->x_len);
	PUT_NUM(b, "\"child_sa_created\"", s->child_created);
	PUT_NUM(b, "\"child_sa_rekeyed\"", s->child_rekeyed);
	PUT_NUM(b, "\"child_sa_deleted\"", s->child_deleted);
	PUT_NUM(b, "\"ike_sa_rekeys\"", s->ike_rekeys);
	if (s->first_len)
		PUT_STR(b, "\"first_event_id\"", s->first_id, s->first_len);
	if (s->last_len)
		PUT_STR(b, "\"last_event_id\"", s->last_id, s->last_len);
	return 0;
}

/*
 * The rendered summary with its members: spliced in before the closing
 * brace when they go to the top level (ikelogd's schema) and no field
 * there has their names; else, through json-c, into the profile's object
 * for values that are no fields. The result in p->sum_out.
 */
static int summary_json(struct pipeline *p, const struct event *ev, const struct sa_sum *s,
			const char *end_reason)
{
	struct json_buf *b = &p->sum_out;
	struct json_object *o = NULL, *m = NULL, *x;
	bool ts_kept = redactor_action(p->st.red, F_TIMESTAMP) == REDACT_KEEP;
	const char *json;
	size_t len, at;
	int r;

	r = event_profile_render(p->json, ev, &json, &len);
	if (r < 0)
		return r;
	if (!b->buf && !(b->buf = malloc(b->cap = 1024)))
		return -ENOMEM;
	b->len = 0;
	if (json_reserve(b, len + 2) < 0)
		return -ENOMEM;
	if (!event_profile_extras(p->json) && !event_has(ev, F_FIRST_EVENT_ID) &&
	    !event_has(ev, F_LAST_EVENT_ID) && len >= 2 && json[len - 1] == '}') {
		json_put(b, json, len - 1);
		at = b->len;
		if (summary_members(b, ev, ts_kept, s, end_reason) < 0 || json_reserve(b, 2) < 0)
			return -ENOMEM;
		if (at == 1) /* an empty object: the first member has no comma */
			memmove(b->buf + 1, b->buf + 2, --b->len - 1);
		json_put(b, "}", 2);
		b->len--; /* the NUL is not counted */
		return 0;
	}
	/* A profile: the members parsed as an object and moved into its extras. */
	o = json_tokener_parse(json);
	b->buf[0] = '{';
	b->len = 1;
	if (!o || summary_members(b, ev, ts_kept, s, end_reason) < 0 || json_reserve(b, 2) < 0) {
		r = -ENOMEM;
		goto out;
	}
	b->buf[1] = ' '; /* the first member's comma */
	json_put(b, "}", 2);
	m = json_tokener_parse(b->buf);
	if (!m) {
		r = -ENOMEM;
		goto out;
	}
	x = extras(p, o);
	json_object_object_foreach(m, k, v) json_object_object_add(x, k, json_object_get(v));
	json = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	b->len = 0;
	if (json_reserve(b, len + 1) < 0) {
		r = -ENOMEM;
		goto out;
	}
	json_put(b, json, len + 1);
	b->len = len;
	r = 0;
out:
	json_object_put(m);
	json_object_put(o);
	return r;
}

/* One ike_sa_summary: redacted like any event, then the counts the field table has no slot for. */
int pl_emit_summary(void *ud, struct event *ev, const struct sa_sum *s, const char *end_reason)
{
	struct pipeline *p = ud;
	struct record rec = {.priority = -1, .realtime_usec = s->end_us};
	/* The words and the timestamp corr_summary_event wrote: no line's text to scan. */
	uint64_t own[(F__MAX + 63) / 64] = {0};
	static const enum field own_fields[] = {F_TIMESTAMP, F_EVENT_TYPE, F_RESULT, F_SEVERITY};
	int r;

	for (size_t k = 0; k < sizeof(own_fields) / sizeof(own_fields[0]); k++)
		own[own_fields[k] / 64] |= UINT64_C(1) << (own_fields[k] % 64);
	if (redact_event_own(p->st.red, ev, own) < 0)
		p->cnt->arena_full++;
	r = summary_json(p, ev, s, end_reason);
	if (r < 0)
		return r;
	rec.seq = ++p->last_seq;
	p->cnt->summaries++;
	ev->rec = &rec;
	r = p->hold ? hold_summary(p, ev, rec.seq, p->sum_out.buf, p->sum_out.len)
		    : pl_to_sink(p, rec.seq, ev, p->sum_out.buf, p->sum_out.len);
	ev->rec = NULL;
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
