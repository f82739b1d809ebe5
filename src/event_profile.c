/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rendering an event in a profile (OCSF, ECS) from the profile's table
 * (profile_table.h). At start the table becomes one output plan per class
 * and side (whether the local host initiated): the rows that apply, plus a
 * fallback item for every field no row names, sorted by output path, so
 * that the members of an object are adjacent. Rendering walks the plan,
 * skips what the event does not have, and opens and closes the nested
 * objects as the paths require, into one reused buffer with the escaping
 * of ikelogd's own writer (event_json_impl.h): no tree, no allocation once
 * the buffer has grown.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_json_impl.h"
#include "event_profile.h"
#include "event_profile_impl.h"
#include "profile_table.h"

#define MAX_CLASSES 8	 /* a profile's classes, at most */
#define INITIAL_CAP 4096 /* one event is ~1 KiB in a profile */
#define SLACK	    512	 /* room for keys, braces and computed values beyond a value */
#define PROFILE_MEMOS 4	   /* map fields whose last JSON is kept (the field table has 3) */

const char *const output_profile_names[PROFILE__MAX] = {
    [PROFILE_IKELOGD] = "ikelogd",
    [PROFILE_OCSF] = "ocsf",
    [PROFILE_ECS] = "ecs",
};

/* RFC 5424 severities by number, and OCSF's severity_id for each. */
static const char *const syslog_severities[8] = {"emerg",   "alert",  "crit", "err",
						 "warning", "notice", "info", "debug"};
static const int ocsf_severity_id[8] = {5, 5, 5, 4, 3, 2, 1, 1};

/* An event type's ECS texts as JSON, rendered once: kind, category, type (NULL: none). */
struct type_json {
	char *v[3];
	uint32_t len[3];
};

struct event_profile {
	enum output_profile profile;
	struct event_json *native;
	const struct pmap *map;
	struct json_buf out;
	struct plan plan[MAX_CLASSES][2]; /* [class][local side initiated] */
	int requires[MAX_CLASSES][3];	  /* fields, -1 unused */
	const struct pmap_type **types;	  /* by event_type, for bsearch */
	struct type_json *tj;		  /* by index in map->types; [n_types]: unknown */
	struct profile_names names;	  /* the fallback paths the plans point into */
	int8_t memo_idx[F__MAX]; /* FT_MAP fields: their memo (event_json_impl.h); -1 = none */
	struct json_memo memo[PROFILE_MEMOS];
};

const char *output_profile_name(enum output_profile p)
{
	return (unsigned)p < PROFILE__MAX ? output_profile_names[p] : NULL;
}

int output_profile_lookup(const char *name)
{
	for (int i = 0; name && i < PROFILE__MAX; i++)
		if (strcmp(output_profile_names[i], name) == 0)
			return i;
	return -EINVAL;
}

const char *event_profile_extras(const struct event_profile *w)
{
	return w->map ? w->map->fallback : NULL;
}

void event_profile_free(struct event_profile *w)
{
	if (!w)
		return;
	event_json_free(w->native);
	for (size_t c = 0; c < MAX_CLASSES; c++)
		for (size_t o = 0; o < 2; o++) {
			profile_plan_done(&w->plan[c][o]);
		}
	for (size_t i = 0; i < w->names.n; i++)
		free(w->names.v[i]);
	free(w->names.v);
	free(w->types);
	for (size_t i = 0; w->tj && w->map && i <= w->map->n_types; i++)
		for (size_t j = 0; j < 3; j++)
			free(w->tj[i].v[j]);
	free(w->tj);
	for (size_t i = 0; i < PROFILE_MEMOS; i++)
		json_memo_free(&w->memo[i]);
	free(w->out.buf);
	free(w);
}

static int cmp_type(const void *a, const void *b)
{
	return strcmp((*(const struct pmap_type *const *)a)->event_type,
		      (*(const struct pmap_type *const *)b)->event_type);
}

/* Comma-separated items as a JSON array of strings. */
static void put_list(struct json_buf *o, const char *s)
{
	size_t len = strlen(s), l;
	const char *item;
	bool first = true;

	o->buf[o->len++] = '[';
	while ((item = json_list_next(&s, &len, &l))) {
		if (!first)
			o->buf[o->len++] = ',';
		first = false;
		o->buf[o->len++] = '"';
		json_put(o, item, l);
		o->buf[o->len++] = '"';
	}
	o->buf[o->len++] = ']';
}

static void put_str(struct json_buf *o, const char *s, size_t len)
{
	o->buf[o->len++] = '"';
	json_put_escaped(o, s, len);
	o->buf[o->len++] = '"';
}

/* s as a JSON string (list: an array of its comma-separated items), or NULL for NULL. */
static int type_text(const char *s, bool list, char **ret, uint32_t *ret_len)
{
	struct json_buf b = {.cap = 2 * (s ? strlen(s) : 0) + SLACK};

	*ret = NULL;
	*ret_len = 0;
	if (!s)
		return 0;
	if (!(b.buf = malloc(b.cap)))
		return -ENOMEM;
	if (list) {
		put_list(&b, s);
	} else {
		b.buf[b.len++] = '"';
		json_put_escaped(&b, s, strlen(s));
		b.buf[b.len++] = '"';
	}
	*ret = b.buf;
	*ret_len = (uint32_t)b.len;
	return 0;
}

static int make_type_json(struct event_profile *w)
{
	size_t n = w->map->n_types;

	w->tj = calloc(n + 1, sizeof(*w->tj));
	if (!w->tj)
		return -ENOMEM;
	for (size_t i = 0; i <= n; i++) {
		const struct pmap_type *t = i < n ? &w->map->types[i] : w->map->unknown;
		const char *v[3] = {t->kind, t->category, t->type};

		for (size_t j = 0; j < 3; j++)
			if (type_text(v[j], j > 0, &w->tj[i].v[j], &w->tj[i].len[j]) < 0)
				return -ENOMEM;
	}
	return 0;
}

int event_profile_new(const struct profile_options *o, struct event_profile **ret)
{
	struct event_profile *w = calloc(1, sizeof(*w));
	int r = -ENOMEM;

	if (!w)
		goto out;
	w->profile = o ? o->profile : PROFILE_IKELOGD;
	if (w->profile == PROFILE_IKELOGD) {
		r = event_json_new(&w->native);
		if (r < 0)
			goto out;
		goto done;
	}
	r = -EINVAL;
	if (w->profile == PROFILE_OCSF)
		w->map = &pmap_ocsf;
	else if (w->profile == PROFILE_ECS)
		w->map = &pmap_ecs;
	else
		goto out;
	if (w->map->n_classes > MAX_CLASSES)
		goto out;
	for (int f = 0, m = 0; f < F__MAX; f++)
		w->memo_idx[f] =
		    (int8_t)(field_table[f].type == FT_MAP && m < PROFILE_MEMOS ? m++ : -1);
	r = -ENOMEM;
	if (!(w->out.buf = malloc(INITIAL_CAP)))
		goto out;
	w->out.cap = INITIAL_CAP;
	w->types = calloc(w->map->n_types, sizeof(*w->types));
	if (!w->types)
		goto out;
	for (size_t i = 0; i < w->map->n_types; i++)
		w->types[i] = &w->map->types[i];
	qsort(w->types, w->map->n_types, sizeof(*w->types), cmp_type);
	if (make_type_json(w) < 0)
		goto out;
	for (size_t c = 0; c < w->map->n_classes; c++) {
		for (size_t k = 0; k < 3; k++) {
			const char *name = w->map->classes[c].requires[k];

			w->requires[c][k] = name ? field_lookup(name, strlen(name)) : -1;
			r = -EINVAL;
			if (name && w->requires[c][k] < 0)
				goto out;
		}
		for (int side = 0; side < 2; side++) {
			r = profile_plan_build(w->map, c, side, &w->names, &w->plan[c][side]);
			if (r < 0)
				goto out;
		}
	}
done:
	*ret = w;
	w = NULL;
	r = 0;
out:
	event_profile_free(w);
	return r;
}

/* The event's type row: by event_type, else the profile's unknown type. */
static const struct pmap_type *find_type(const struct event_profile *w, const char *name)
{
	size_t lo = 0, hi = w->map->n_types;

	while (name && lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, w->types[mid]->event_type);

		if (c == 0)
			return w->types[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return w->map->unknown;
}

static bool has_text(const struct event *ev, enum field f, const char *lit)
{
	size_t len;
	const char *s = event_str(ev, f, &len);

	return s && len == strlen(lit) && memcmp(s, lit, len) == 0;
}

/* RFC 5424 number of the event's severity, or -1. */
static int syslog_severity(const struct event *ev)
{
	static const uint8_t lens[8] = {5, 5, 4, 3, 7, 6, 4, 5};
	size_t len;
	const char *s = event_str(ev, F_SEVERITY, &len);

	for (int i = 0; s && i < 8; i++)
		if (len == lens[i] && memcmp(s, syslog_severities[i], len) == 0)
			return i;
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

/* Digits s[0..n) as a number, or -1. */
static int64_t digits(const char *s, size_t n)
{
	int64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * The event's time in milliseconds since the epoch: its timestamp
 * ("2026-12-06T04:00:52.648163Z", always UTC), else the record's clock,
 * else 0.
 */
static int64_t time_ms(const struct event *ev)
{
	size_t len;
	const char *s = event_str(ev, F_TIMESTAMP, &len);

	if (s && len >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':') {
		int64_t y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
		int64_t h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
		int64_t ms = len >= 24 && s[19] == '.' ? digits(s + 20, 3) : 0;

		if (y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && mi >= 0 &&
		    sec >= 0 && ms >= 0)
			return ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 +
				mi) *
				   60000 +
			       sec * 1000 + ms;
	}
	return ev->rec ? (int64_t)(ev->rec->realtime_usec / 1000) : 0;
}

/* What the event is in this profile: its type row, class and activity; facts read once. */
struct kind {
	const struct pmap_type *t;
	const struct pmap_class *cls;
	size_t ci;
	int activity_id;
	int sev;    /* RFC 5424 number of its severity, -1 = none */
	int result; /* 1 success, 2 failure, 0 other (OCSF status_id) */
	const struct type_json *tj;
};

/* Whether a computed or literal step has a value in ev, and the length of its text (for reserve).
 */
static bool present_other(const struct event *ev, const struct kind *k, const struct step *st,
			  size_t *vlen)
{
	switch (st->src) {
	case PV_LIT:
		*vlen = st->lit_len;
		return st->field < 0 ||
		       (event_has(ev, st->field) && event_field_emitted(ev, st->field));
	case PV_ACTIVITY_NAME:
		*vlen = ev->v[F_EVENT_TYPE].len;
		return k->activity_id == 99 && event_has(ev, F_EVENT_TYPE);
	case PV_ECS_KIND:
	case PV_ECS_CATEGORY:
	case PV_ECS_TYPE:
		*vlen = k->tj->len[st->src - PV_ECS_KIND];
		return k->tj->v[st->src - PV_ECS_KIND] != NULL;
	case PV_SYSLOG_SEVERITY:
		*vlen = 0;
		return k->sev >= 0;
	default:
		*vlen = 0;
		return true;
	}
}

static void put_value(struct json_buf *o, const struct event *ev, const struct kind *k,
		      const struct step *it)
{
	static const char *const outcome[] = {"\"unknown\"", "\"success\"", "\"failure\""};

	switch (it->src) {
	case PV_FIELD: {
		size_t from = o->len;

		json_put_value(o, ev, it->field);
		if (it->flags & STEP_LOWER)
			for (size_t i = from; i < o->len; i++)
				if (o->buf[i] >= 'A' && o->buf[i] <= 'Z')
					o->buf[i] = (char)(o->buf[i] - 'A' + 'a');
		break;
	}
	case PV_LIT:
		json_put(o, it->lit, it->lit_len);
		break;
	case PV_CLASS_UID:
		json_put_int(o, k->cls->uid);
		break;
	case PV_CATEGORY_UID:
		json_put_int(o, k->cls->category_uid);
		break;
	case PV_ACTIVITY_ID:
		json_put_int(o, k->activity_id);
		break;
	case PV_TYPE_UID:
		json_put_int(o, (int64_t)k->cls->uid * 100 + k->activity_id);
		break;
	case PV_ACTIVITY_NAME:
		put_str(o, ev->text + ev->v[F_EVENT_TYPE].off, ev->v[F_EVENT_TYPE].len);
		break;
	case PV_SEVERITY_ID:
		json_put_int(o, k->sev < 0 ? 0 : ocsf_severity_id[k->sev]);
		break;
	case PV_STATUS_ID:
		json_put_int(o, k->cls->status_id >= 0 ? k->cls->status_id : k->result);
		break;
	case PV_TIME_MS:
		json_put_int(o, time_ms(ev));
		break;
	case PV_ECS_KIND:
	case PV_ECS_CATEGORY:
	case PV_ECS_TYPE:
		json_put(o, k->tj->v[it->src - PV_ECS_KIND], k->tj->len[it->src - PV_ECS_KIND]);
		break;
	case PV_ECS_OUTCOME:
		json_put(o, outcome[k->result], 9);
		break;
	case PV_SYSLOG_SEVERITY:
		json_put_int(o, k->sev);
		break;
	case PV__MAX:
		break;
	}
}

/* Appends a key token, without its comma if the object is empty so far. */
static inline void put_token(struct json_buf *o, const struct token *t, bool *first)
{
	size_t skip = *first;

	memcpy(o->buf + o->len, t->s + skip, TOKEN_MAX - 1);
	o->len += t->len - skip;
	*first = false;
}

/* Which class the event is in: its type's, unless that class's requirement is not met. */
static void classify(const struct event_profile *w, const struct event *ev, struct kind *k)
{
	const struct pmap_class *c;
	bool met = true;

	k->t = find_type(w, event_str(ev, F_EVENT_TYPE, NULL));
	k->ci = (size_t)k->t->cls;
	k->activity_id = k->t->activity_id;
	c = &w->map->classes[k->ci];
	if (c->requires[0]) {
		met = false;
		for (size_t i = 0; i < 3 && w->requires[k->ci][i] >= 0; i++)
			met = met || event_field_emitted(ev, w->requires[k->ci][i]);
	}
	if (!met) {
		k->ci = (size_t)k->t->alt_cls;
		k->activity_id = k->t->alt_activity;
	}
	k->cls = &w->map->classes[k->ci];
	k->tj = &w->tj[k->t == w->map->unknown ? w->map->n_types : (size_t)(k->t - w->map->types)];
	k->sev = syslog_severity(ev);
	k->result = has_text(ev, F_RESULT, "success")	? 1
		    : has_text(ev, F_RESULT, "failure") ? 2
							: 0;
}

/*
 * From object cur to object to (a move written out when the plan was
 * built); *empty: whether the object being written in has no member yet.
 */
static inline unsigned move_to(struct json_buf *o, const struct plan *p, unsigned cur, unsigned to,
			       bool *empty)
{
	const struct move *mv = &p->moves[cur * p->n_obj + to];
	size_t skip = mv->closes == 0 && *empty;

	memcpy(o->buf + o->len, p->move_text + mv->off + skip, mv->len - skip);
	o->len += mv->len - skip;
	*empty = mv->opens > 0;
	return to;
}

int event_profile_render(struct event_profile *w, const struct event *ev, const char **ret,
			 size_t *ret_len)
{
	struct json_buf *o = &w->out;
	bool empty = true; /* the object open innermost has no member yet */
	long array = -1;  /* the group of the array being written, -1 = none */
	unsigned cur = 0; /* the object open innermost, 0 = top level */
	struct kind k;
	const struct plan *p;
	uint64_t todo[STEP_WORDS];

	if (w->native)
		return event_json_render(w->native, ev, ret, ret_len);
	classify(w, ev, &k);
	p = &w->plan[k.ci][has_text(ev, F_ROLE, "initiator")];
	o->len = 0;
	if (json_reserve(o, SLACK) < 0)
		return -ENOMEM;
	o->buf[o->len++] = '{';
	/* The steps that may have a value: those of no field and those of the fields set. */
	memcpy(todo, p->always, sizeof(todo));
	for (size_t wd = 0; wd < sizeof(ev->present) / sizeof(ev->present[0]); wd++)
		for (uint64_t bits = ev->present[wd]; bits; bits &= bits - 1) {
			size_t f = wd * 64 + (size_t)__builtin_ctzll(bits);

			for (size_t j = 0; j < STEP_WORDS; j++)
				todo[j] |= p->by_field[f][j];
		}
	for (size_t wd = 0; wd < STEP_WORDS; wd++)
		for (uint64_t bits = todo[wd]; bits; bits &= bits - 1) {
			const struct step *st = &p->steps[wd * 64 + (size_t)__builtin_ctzll(bits)];
			size_t vlen;

			if (st->src == PV_FIELD) {
				if (!event_field_emitted(ev, st->field))
					continue;
				vlen = ev->v[st->field].len;
			} else if (!present_other(ev, &k, st, &vlen)) {
				continue;
			}
			/* Worst case: every byte a \u00xx escape; a list two more per item. */
			if (json_reserve(o, 8 * vlen + SLACK) < 0)
				return -ENOMEM;
			if (array >= 0) {
				if (array == st->group) {
					o->buf[o->len++] = ',';
					put_value(o, ev, &k, st);
					continue;
				}
				o->buf[o->len++] = ']';
				array = -1;
			}
			if (st->obj != cur)
				cur = move_to(o, p, cur, st->obj, &empty);
			put_token(o, st->key, &empty);
			if (st->flags & STEP_ARRAY) {
				o->buf[o->len++] = '[';
				array = st->group;
			}
			/* Most steps are fields as ikelogd writes them: inline, as event_json.c. */
			if (st->src == PV_FIELD && !st->flags && w->memo_idx[st->field] >= 0)
				json_put_memo(o, &w->memo[w->memo_idx[st->field]], ev, st->field);
			else if (st->src == PV_FIELD && !st->flags)
				json_put_value(o, ev, st->field);
			else
				put_value(o, ev, &k, st);
		}
	if (json_reserve(o, SLACK) < 0)
		return -ENOMEM;
	if (array >= 0)
		o->buf[o->len++] = ']';
	for (; cur; cur = p->obj[cur].parent)
		o->buf[o->len++] = '}';
	o->buf[o->len++] = '}';
	o->buf[o->len] = '\0';
	*ret = o->buf;
	*ret_len = o->len;
	return 0;
}
