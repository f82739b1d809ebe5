/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The output plans of a profile, built once from its table: for each
 * class and side, the rows that apply and a fallback for every other
 * field, sorted by output path (so an object's members are adjacent),
 * checked (one value per key, no value where an object goes), then each
 * item given its object and key token and packed into the small steps the
 * renderer (event_profile.c) walks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_profile_impl.h"

/*
 * Fields that rows may name before the field table has them: those of the
 * detections' alerts, added on another line of work. A row naming one of
 * these is skipped until the field exists; any other unknown name is an
 * error.
 */
static const char *const pending_fields[] = {
    "detection", "window_s", "count", "threshold", "event_ids", "summary",
};

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
static const char *fallback_path(const struct pmap *m, struct profile_names *names, int f)
{
	const struct field_info *fi = &field_table[f];
	char *s = NULL, **v;

	if (asprintf(&s, "%s.%s%s%s", m->fallback, fi->parent ? fi->parent : "",
		     fi->parent ? "." : "", fi->key) < 0)
		return NULL;
	v = realloc(names->v, (names->n + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return NULL;
	}
	names->v = v;
	names->v[names->n++] = s;
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

static int make_token(struct token *t, const struct seg *s, const char *tail)
{
	int n = snprintf(t->s, sizeof(t->s), ",\"%.*s\"%s", (int)s->len, s->s, tail);

	if (n < 0 || (size_t)n >= sizeof(t->s))
		return -ENAMETOOLONG;
	t->len = (size_t)n;
	return 0;
}

/* Gives every item its object (made as first needed) and key token; -EINVAL if too many. */
static int assign_objects(struct plan *p)
{
	p->n_obj = 1; /* the top level */
	for (size_t i = 0; i < p->n; i++) {
		struct item *it = &p->v[i];
		unsigned cur = 0;

		for (unsigned d = 0; d + 1 < it->nseg; d++) {
			unsigned o;

			for (o = 1; o < p->n_obj; o++)
				if (p->obj[o].parent == cur &&
				    p->obj[o].seg->len == it->seg[d].len &&
				    memcmp(p->obj[o].seg->s, it->seg[d].s, it->seg[d].len) == 0)
					break;
			if (o == p->n_obj) {
				struct object *ob = &p->obj[o];

				if (o == MAX_OBJECTS)
					return -EINVAL;
				*ob = (struct object){
				    .parent = cur, .depth = d + 1, .seg = &it->seg[d]};
				memcpy(ob->anc, p->obj[cur].anc, sizeof(ob->anc));
				ob->anc[d + 1] = o;
				if (make_token(&ob->open, &it->seg[d], ":{") < 0)
					return -EINVAL;
				p->n_obj++;
			}
			cur = o;
		}
		it->obj = cur;
		if (make_token(&it->key, &it->seg[it->nseg - 1], ":") < 0)
			return -EINVAL;
		it->lit_len = it->src == PV_LIT ? strlen(it->row->lit) : 0;
	}
	if (p->n > 64 * STEP_WORDS)
		return -EINVAL;
	p->steps = calloc(p->n ? p->n : 1, sizeof(*p->steps));
	if (!p->steps)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct item *it = &p->v[i];
		struct step *st = &p->steps[i];
		bool same = i > 0 && it->path_len == it[-1].path_len &&
			    memcmp(it->path, it[-1].path, it->path_len) == 0;

		*st = (struct step){
		    .src = (uint8_t)it->src,
		    .flags = (uint8_t)((it->array ? STEP_ARRAY : 0) |
				       (it->row && (it->row->flags & PM_LOWER) ? STEP_LOWER : 0)),
		    .obj = (uint8_t)it->obj,
		    .field = (int16_t)it->field,
		    .group = (uint16_t)(same ? st[-1].group : i),
		    .lit_len = (uint32_t)it->lit_len,
		    .lit = it->src == PV_LIT ? it->row->lit : NULL,
		    .key = &it->key,
		};
		if (it->field >= 0)
			p->by_field[it->field][i / 64] |= UINT64_C(1) << (i % 64);
		else
			p->always[i / 64] |= UINT64_C(1) << (i % 64);
	}
	return 0;
}

/* Appends len bytes to the moves' text; -ENOMEM. */
static int text_put(char **text, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : 1024;
		char *t;

		while (c < *len + n)
			c *= 2;
		if (!(t = realloc(*text, c)))
			return -ENOMEM;
		*text = t;
		*cap = c;
	}
	memcpy(*text + *len, s, n);
	*len += n;
	return 0;
}

/* Every move between two objects of p, written out once (struct move). */
static int build_moves(struct plan *p)
{
	size_t n = p->n_obj, len = 0, cap = 0;

	p->moves = calloc(n * n, sizeof(*p->moves));
	if (!p->moves)
		return -ENOMEM;
	for (unsigned from = 0; from < n; from++)
		for (unsigned to = 0; to < n; to++) {
			const struct object *t = &p->obj[to];
			struct move *mv = &p->moves[from * n + to];
			unsigned cur = from;

			mv->off = (uint32_t)len;
			while (p->obj[cur].depth > t->depth || t->anc[p->obj[cur].depth] != cur) {
				if (text_put(&p->move_text, &len, &cap, "}", 1) < 0)
					return -ENOMEM;
				mv->closes++;
				cur = p->obj[cur].parent;
			}
			while (cur != to) {
				unsigned next = t->anc[p->obj[cur].depth + 1];
				/* An object opened here is empty: its first member has no comma. */
				size_t skip = mv->opens > 0;

				if (text_put(&p->move_text, &len, &cap, p->obj[next].open.s + skip,
					     p->obj[next].open.len - skip) < 0)
					return -ENOMEM;
				mv->opens++;
				cur = next;
			}
			if (len - mv->off > UINT16_MAX || len > UINT32_MAX)
				return -EINVAL;
			mv->len = (uint16_t)(len - mv->off);
		}
	return 0;
}

int profile_plan_build(const struct pmap *m, size_t c, bool local_initiated,
		       struct profile_names *names, struct plan *p)
{
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
		path = fallback_path(m, names, f);
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
	r = assign_objects(p);
	if (r == 0)
		r = build_moves(p);
out:
	return r;
}

void profile_plan_done(struct plan *p)
{
	free(p->v);
	free(p->steps);
	free(p->moves);
	free(p->move_text);
	*p = (struct plan){.n = 0};
}
