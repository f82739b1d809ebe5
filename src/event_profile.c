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
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_json_impl.h"
#include "event_profile.h"
#include "profile_table.h"

#define PATH_DEPTH  6	 /* dotted segments of an output path, at most */
#define MAX_CLASSES 8	 /* a profile's classes, at most */
#define INITIAL_CAP 4096 /* one event is ~1 KiB in a profile */
#define SLACK	    512	 /* room for keys, braces and computed values beyond a value */

/*
 * Fields that rows may name before the field table has them: those of the
 * detections' alerts, added on another line of work. A row naming one of
 * these is skipped until the field exists; any other unknown name is an
 * error.
 */
static const char *const pending_fields[] = {
    "detection", "window_s", "count", "threshold", "event_ids", "summary",
};

const char *const output_profile_names[PROFILE__MAX] = {
    [PROFILE_IKELOGD] = "ikelogd",
    [PROFILE_OCSF] = "ocsf",
    [PROFILE_ECS] = "ecs",
};

/* RFC 5424 severities by number, and OCSF's severity_id for each. */
static const char *const syslog_severities[8] = {"emerg",   "alert",  "crit", "err",
						 "warning", "notice", "info", "debug"};
static const int ocsf_severity_id[8] = {5, 5, 5, 4, 3, 2, 1, 1};

struct seg {
	const char *s;
	size_t len;
};

struct item {
	const struct pmap_row *row;
	enum pmap_src src;
	int field; /* -1: none */
	bool array;
	unsigned nseg;
	struct seg seg[PATH_DEPTH];
	const char *path; /* for sorting; without "[]" */
	size_t path_len;
};

struct plan {
	struct item *v;
	size_t n;
};

struct event_profile {
	enum output_profile profile;
	struct event_json *native;
	const struct pmap *map;
	struct json_buf out;
	struct plan plan[MAX_CLASSES][2]; /* [class][local side initiated] */
	int requires[MAX_CLASSES][3];	  /* fields, -1 unused */
	const struct pmap_type **types;	  /* by event_type, for bsearch */
	char **names;			  /* the fallback paths, owned */
	size_t n_names;
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
		for (size_t o = 0; o < 2; o++)
			free(w->plan[c][o].v);
	for (size_t i = 0; i < w->n_names; i++)
		free(w->names[i]);
	free(w->names);
	free(w->types);
	free(w->out.buf);
	free(w);
}

static bool is_pending(const char *name)
{
	for (size_t i = 0; i < sizeof(pending_fields) / sizeof(pending_fields[0]); i++)
		if (strcmp(pending_fields[i], name) == 0)
			return true;
	return false;
}

/* Splits path into it's segments; -EINVAL for an empty segment or one too many. */
static int item_path(struct item *it, const char *path)
{
	size_t len = strlen(path);
	const char *s = path;

	if (len >= 2 && strcmp(path + len - 2, "[]") == 0) {
		it->array = true;
		len -= 2;
	}
	it->path = path;
	it->path_len = len;
	it->nseg = 0;
	while (s < path + len) {
		const char *dot = memchr(s, '.', (size_t)(path + len - s));
		size_t l = dot ? (size_t)(dot - s) : (size_t)(path + len - s);

		if (l == 0 || it->nseg == PATH_DEPTH)
			return -EINVAL;
		it->seg[it->nseg++] = (struct seg){s, l};
		s += l + 1;
	}
	return it->nseg ? 0 : -EINVAL;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	size_t n = x->path_len < y->path_len ? x->path_len : y->path_len;
	int c = memcmp(x->path, y->path, n);

	if (c)
		return c;
	if (x->path_len != y->path_len)
		return x->path_len < y->path_len ? -1 : 1;
	/* Items of one array keep the table's order. */
	return x->row < y->row ? -1 : x->row > y->row;
}

/* The fallback path of field f: "<fallback>.<parent>.<key>". */
static const char *fallback_path(struct event_profile *w, int f)
{
	const struct field_info *fi = &field_table[f];
	char *s = NULL, **names;

	if (asprintf(&s, "%s.%s%s%s", w->map->fallback, fi->parent ? fi->parent : "",
		     fi->parent ? "." : "", fi->key) < 0)
		return NULL;
	names = realloc(w->names, (w->n_names + 1) * sizeof(*names));
	if (!names) {
		free(s);
		return NULL;
	}
	w->names = names;
	w->names[w->n_names++] = s;
	return s;
}

/* The field a row names: its id, -ENOENT for a pending one (skipped), -EINVAL otherwise. */
static int row_field(const struct pmap_row *r)
{
	int f;

	if (!r->field)
		return -1;
	f = field_lookup(r->field, strlen(r->field));
	if (f >= 0)
		return f;
	return is_pending(r->field) ? -ENOENT : -EINVAL;
}

/* The plan of class c for one side: rows of c, fallbacks, sorted and checked. */
static int build_plan(struct event_profile *w, size_t c, bool local_initiated, struct plan *p)
{
	const struct pmap *m = w->map;
	bool named[F__MAX] = {false};
	int r = -ENOMEM;

	p->v = calloc(m->n_rows + F__MAX, sizeof(*p->v));
	if (!p->v)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_rows; i++) {
		const struct pmap_row *row = &m->rows[i];
		const char *path =
		    local_initiated && row->path_initiator ? row->path_initiator : row->path;
		int f = row_field(row);
		struct item *it = &p->v[p->n];

		if (f == -EINVAL)
			return -EINVAL;
		if (f == -ENOENT || (row->classes && !(row->classes & (1u << c))))
			continue;
		if (f >= 0 && row->src == PV_FIELD)
			named[f] = true;
		if (!path)
			continue;
		*it = (struct item){.row = row, .src = row->src, .field = f};
		if (item_path(it, path) < 0 || (row->src == PV_FIELD && f < 0) ||
		    (row->src == PV_LIT && !row->lit))
			return -EINVAL;
		p->n++;
	}
	for (int f = 0; f < F__MAX; f++) {
		struct item *it = &p->v[p->n];
		const char *path;

		if (named[f])
			continue;
		path = fallback_path(w, f);
		if (!path)
			goto out;
		*it = (struct item){.row = NULL, .src = PV_FIELD, .field = f};
		if (item_path(it, path) < 0)
			return -EINVAL;
		p->n++;
	}
	qsort(p->v, p->n, sizeof(*p->v), cmp_item);
	/* Two values for one key, or a value where an object goes: a table error. */
	r = -EINVAL;
	for (size_t i = 1; i < p->n; i++) {
		const struct item *a = &p->v[i - 1], *b = &p->v[i];

		if (a->path_len == b->path_len && memcmp(a->path, b->path, a->path_len) == 0) {
			if (!a->array || !b->array)
				goto out;
		} else if (b->path_len > a->path_len && b->path[a->path_len] == '.' &&
			   memcmp(a->path, b->path, a->path_len) == 0) {
			goto out;
		}
	}
	r = 0;
out:
	return r;
}

static int cmp_type(const void *a, const void *b)
{
	return strcmp((*(const struct pmap_type *const *)a)->event_type,
		      (*(const struct pmap_type *const *)b)->event_type);
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
	for (size_t c = 0; c < w->map->n_classes; c++) {
		for (size_t k = 0; k < 3; k++) {
			const char *name = w->map->classes[c].requires[k];

			w->requires[c][k] = name ? field_lookup(name, strlen(name)) : -1;
			r = -EINVAL;
			if (name && w->requires[c][k] < 0)
				goto out;
		}
		for (int side = 0; side < 2; side++) {
			r = build_plan(w, c, side, &w->plan[c][side]);
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
	for (int i = 0; i < 8; i++)
		if (has_text(ev, F_SEVERITY, syslog_severities[i]))
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

/* What the event is in this profile: its type row, class and activity. */
struct kind {
	const struct pmap_type *t;
	const struct pmap_class *cls;
	size_t ci;
	int activity_id;
};

/* Whether item it has a value in ev, and the length of the value's text (for reserve). */
static bool present(const struct event *ev, const struct kind *k, const struct item *it,
		    size_t *vlen)
{
	*vlen = 0;
	switch (it->src) {
	case PV_FIELD:
		*vlen = ev->v[it->field].len;
		return event_field_emitted(ev, it->field);
	case PV_LIT:
		*vlen = strlen(it->row->lit);
		return it->field < 0 || event_field_emitted(ev, it->field);
	case PV_ACTIVITY_NAME:
		*vlen = ev->v[F_EVENT_TYPE].len;
		return k->activity_id == 99 && event_has(ev, F_EVENT_TYPE);
	case PV_ECS_KIND:
		*vlen = k->t->kind ? strlen(k->t->kind) : 0;
		return k->t->kind != NULL;
	case PV_ECS_CATEGORY:
		*vlen = k->t->category ? 2 * strlen(k->t->category) : 0;
		return k->t->category != NULL;
	case PV_ECS_TYPE:
		*vlen = k->t->type ? 2 * strlen(k->t->type) : 0;
		return k->t->type != NULL;
	case PV_SYSLOG_SEVERITY:
		return syslog_severity(ev) >= 0;
	default:
		return true;
	}
}

static void put_value(struct json_buf *o, const struct event *ev, const struct kind *k,
		      const struct item *it)
{
	int sev;

	switch (it->src) {
	case PV_FIELD: {
		size_t from = o->len;

		json_put_value(o, ev, it->field);
		if (it->row && (it->row->flags & PM_LOWER))
			for (size_t i = from; i < o->len; i++)
				if (o->buf[i] >= 'A' && o->buf[i] <= 'Z')
					o->buf[i] = (char)(o->buf[i] - 'A' + 'a');
		break;
	}
	case PV_LIT:
		json_put(o, it->row->lit, strlen(it->row->lit));
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
		sev = syslog_severity(ev);
		json_put_int(o, sev < 0 ? 0 : ocsf_severity_id[sev]);
		break;
	case PV_STATUS_ID:
		json_put_int(o, k->cls->status_id >= 0		    ? k->cls->status_id
				: has_text(ev, F_RESULT, "success") ? 1
				: has_text(ev, F_RESULT, "failure") ? 2
								    : 0);
		break;
	case PV_TIME_MS:
		json_put_int(o, time_ms(ev));
		break;
	case PV_ECS_KIND:
		put_str(o, k->t->kind, strlen(k->t->kind));
		break;
	case PV_ECS_CATEGORY:
		put_list(o, k->t->category);
		break;
	case PV_ECS_TYPE:
		put_list(o, k->t->type);
		break;
	case PV_ECS_OUTCOME:
		if (has_text(ev, F_RESULT, "success"))
			json_put(o, "\"success\"", 9);
		else if (has_text(ev, F_RESULT, "failure"))
			json_put(o, "\"failure\"", 9);
		else
			json_put(o, "\"unknown\"", 9);
		break;
	case PV_SYSLOG_SEVERITY:
		json_put_int(o, syslog_severity(ev));
		break;
	case PV__MAX:
		break;
	}
}

/* Appends `,"seg":` (no comma for an object's first member). */
static void put_key(struct json_buf *o, const struct seg *s, bool *first)
{
	if (!*first)
		o->buf[o->len++] = ',';
	*first = false;
	o->buf[o->len++] = '"';
	json_put(o, s->s, s->len);
	o->buf[o->len++] = '"';
	o->buf[o->len++] = ':';
}

static bool seg_eq(const struct seg *a, const struct seg *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
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
}

int event_profile_render(struct event_profile *w, const struct event *ev, const char **ret,
			 size_t *ret_len)
{
	struct json_buf *o = &w->out;
	const struct seg *open[PATH_DEPTH];
	bool first[PATH_DEPTH + 1] = {true};
	const struct item *array = NULL; /* the array being written */
	unsigned depth = 0;		 /* objects open below the top level */
	struct kind k;
	const struct plan *p;

	if (w->native)
		return event_json_render(w->native, ev, ret, ret_len);
	classify(w, ev, &k);
	p = &w->plan[k.ci][has_text(ev, F_ROLE, "initiator")];
	o->len = 0;
	if (json_reserve(o, SLACK) < 0)
		return -ENOMEM;
	o->buf[o->len++] = '{';
	for (size_t i = 0; i < p->n; i++) {
		const struct item *it = &p->v[i];
		size_t vlen, d = 0;

		if (!present(ev, &k, it, &vlen))
			continue;
		/* Worst case: every byte a \u00xx escape; a list two more per item. */
		if (json_reserve(o, 8 * vlen + SLACK) < 0)
			return -ENOMEM;
		if (array && array->path_len == it->path_len &&
		    memcmp(array->path, it->path, it->path_len) == 0) {
			o->buf[o->len++] = ',';
			put_value(o, ev, &k, it);
			continue;
		}
		if (array)
			o->buf[o->len++] = ']';
		array = NULL;
		while (d < depth && d + 1 < it->nseg && seg_eq(open[d], &it->seg[d]))
			d++;
		for (; depth > d; depth--)
			o->buf[o->len++] = '}';
		for (; depth + 1 < it->nseg; depth++) {
			put_key(o, &it->seg[depth], &first[depth]);
			o->buf[o->len++] = '{';
			open[depth] = &it->seg[depth];
			first[depth + 1] = true;
		}
		put_key(o, &it->seg[it->nseg - 1], &first[depth]);
		if (it->array) {
			o->buf[o->len++] = '[';
			array = it;
		}
		put_value(o, ev, &k, it);
	}
	if (json_reserve(o, SLACK) < 0)
		return -ENOMEM;
	if (array)
		o->buf[o->len++] = ']';
	for (; depth > 0; depth--)
		o->buf[o->len++] = '}';
	o->buf[o->len++] = '}';
	o->buf[o->len] = '\0';
	*ret = o->buf;
	*ret_len = o->len;
	return 0;
}
