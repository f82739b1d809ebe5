/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event's JSON, written directly into one reused buffer: the schema is
 * fixed (event.c's field table), so the writer walks the table in output
 * order and appends keys and values; no tree is built. Absent fields are
 * omitted, as are empty strings and lists with no item; nested fields go to
 * their object, which stands where its first present field stands in the
 * table (as json-c's insertion order put it in the renderer this replaced).
 *
 * Strings are written as RFC 8259 strings, byte for byte as json-c 0.16
 * wrote them with JSON_C_TO_STRING_NOSLASHESCAPE: '"' and '\\' escaped,
 * \b \t \n \f \r in their short forms, other bytes below 0x20 as \u00xx
 * (lower-case hex), '/' and DEL as they are. Text that is not valid UTF-8
 * gets U+FFFD for every byte that does not start a valid sequence
 * (surrogates, overlong forms and code points past U+10FFFF are invalid),
 * so the output is always valid UTF-8. event_jsonc.c is the json-c
 * renderer it is tested against.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_json_impl.h"

#define INITIAL_CAP 4096 /* one event of the corpus is ~500 bytes */
#define TOKEN_MAX   48	 /* room for ,"key": and ,"parent":{ */
#define SLACK	    64	 /* every json_reserve() leaves this much beyond its worst case */

/*
 * A key as written: `,"key":` (the comma skipped for an object's first
 * key). Tokens are copied TOKEN_MAX - 1 bytes at a time (a few vector
 * moves, no call) and the output advances by their length; SLACK leaves
 * room for the bytes past it.
 */
struct token {
	char s[TOKEN_MAX];
	size_t len;
};

struct event_json {
	struct json_buf out;
	/* The fields in output order: a nested object's fields follow its first one. */
	uint8_t order[F__MAX];
	uint8_t pos[F__MAX]; /* each field's place in order */
	int8_t pidx[F__MAX]; /* parent index, -1 = top level */
	struct token key[F__MAX];
	struct token parent[FIELD_PARENTS];
	int8_t memo_idx[F__MAX]; /* FT_MAP fields: their memo; -1 = none */
	struct json_memo *memo;
	size_t n_memo;
	struct json_block block;
};

/*
 * The enrichment's fields of one peer (labels, its map labels, country and
 * AS; enrich.c) stand together in the output and are the same on every
 * event of the peer: the writer keeps their JSON and copies it while the
 * values are the same (json_block_same), instead of writing six fields.
 */
#define BLOCK_FIRST F_LABELS
#define BLOCK_LAST  F_PEER_AS_ORG
static_assert(BLOCK_LAST - BLOCK_FIRST + 1 <= JSON_BLOCK_FIELDS, "the block's fields fit");

static_assert(F__MAX <= 256, "order holds fields as bytes");

#define ORDER_WORDS ((F__MAX + 63) / 64) /* as event.present */

void event_json_free(struct event_json *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_memo; i++)
		json_memo_free(&w->memo[i]);
	free(w->memo);
	free(w->block.vals);
	free(w->block.json);
	free(w->out.buf);
	free(w);
}

/* `,"name"` + tail into t; -ENAMETOOLONG if it does not fit. */
static int make_token(struct token *t, const char *name, const char *tail)
{
	int n = snprintf(t->s, sizeof(t->s), ",\"%s\"%s", name, tail);

	if (n < 0 || (size_t)n >= sizeof(t->s))
		return -ENAMETOOLONG;
	t->len = (size_t)n;
	return 0;
}

int event_json_new(struct event_json **ret)
{
	struct event_json *w = calloc(1, sizeof(*w));
	size_t n = 0;
	int r = -ENOMEM;

	if (!w || !(w->out.buf = malloc(INITIAL_CAP)))
		goto out;
	w->out.cap = INITIAL_CAP;
	for (int f = 0; f < F__MAX; f++)
		w->n_memo += field_table[f].type == FT_MAP;
	w->memo = calloc(w->n_memo ? w->n_memo : 1, sizeof(*w->memo));
	if (!w->memo)
		goto out;
	for (int f = 0, m = 0; f < F__MAX; f++)
		w->memo_idx[f] = (int8_t)(field_table[f].type == FT_MAP ? m++ : -1);
	r = -ENAMETOOLONG;
	for (int f = 0; f < F__MAX; f++) {
		w->pidx[f] = (int8_t)field_parent_index(field_table[f].parent);
		if (make_token(&w->key[f], field_table[f].key, ":") < 0)
			goto out;
	}
	for (size_t p = 0; p < FIELD_PARENTS; p++)
		if (make_token(&w->parent[p], field_parents[p], ":{") < 0)
			goto out;
	/* Table order, except that a parent's fields are pulled up behind its first one. */
	for (int f = 0; f < F__MAX; f++) {
		int pi = w->pidx[f];
		bool first = true;

		for (int g = 0; pi >= 0 && g < f; g++)
			first = first && w->pidx[g] != pi;
		if (pi >= 0 && !first)
			continue;
		w->order[n++] = (uint8_t)f;
		for (int g = f + 1; pi >= 0 && g < F__MAX; g++)
			if (w->pidx[g] == pi)
				w->order[n++] = (uint8_t)g;
	}
	for (size_t i = 0; i < n; i++)
		w->pos[w->order[i]] = (uint8_t)i;
	/* The block is used only if its fields are the places lo..hi of the output. */
	w->block.lo = w->pos[BLOCK_FIRST];
	w->block.hi = w->pos[BLOCK_LAST];
	for (int i = w->block.lo; i <= w->block.hi; i++)
		if (w->order[i] < BLOCK_FIRST || w->order[i] > BLOCK_LAST ||
		    w->block.hi - w->block.lo != BLOCK_LAST - BLOCK_FIRST)
			w->block.lo = w->block.hi = -1;
	*ret = w;
	w = NULL;
	r = 0;
out:
	event_json_free(w);
	return r;
}

/* The first place from `from` on whose bit is set in placed, or -1. */
static inline int next_placed(const uint64_t *placed, int from)
{
	for (int k = from / 64; k < ORDER_WORDS; k++) {
		uint64_t m =
		    placed[k] & (k == from / 64 ? ~UINT64_C(0) << (from % 64) : ~UINT64_C(0));

		if (m)
			return k * 64 + __builtin_ctzll(m);
	}
	return -1;
}

/* Appends a key token, without its comma if the object is empty so far. */
static void put_key(struct json_buf *w, const struct token *t, bool *first)
{
	size_t skip = *first;

	memcpy(w->buf + w->len, t->s + skip, TOKEN_MAX - 1);
	w->len += t->len - skip;
	*first = false;
}

/* Where the writer stands: the object being written and whether it is empty so far. */
struct render_state {
	bool first, sub_first; /* the top level, the nested object */
	int open;	       /* the nested object being written, -1 = none */
};

/* Writes field f of ev, if it is written at all. Always inline: the loops run it per field. */
static inline __attribute__((always_inline)) int
put_field(struct event_json *w, const struct event *ev, int f, struct render_state *st)
{
	struct json_buf *o = &w->out;
	int pi = w->pidx[f];

	if (!event_field_emitted(ev, f))
		return 0;
	/*
	 * Worst case: every byte a \u00xx escape; a list adds quotes and a
	 * comma per item, at most two bytes per byte; keys and braces.
	 */
	if (json_reserve(o, 6 * (size_t)ev->v[f].len + 2 * TOKEN_MAX + SLACK) < 0)
		return -ENOMEM;
	if (pi != st->open) {
		if (st->open >= 0)
			o->buf[o->len++] = '}';
		st->open = pi;
		if (pi >= 0) {
			put_key(o, &w->parent[pi], &st->first);
			st->sub_first = true;
		}
	}
	put_key(o, &w->key[f], pi >= 0 ? &st->sub_first : &st->first);
	if (__builtin_expect(field_table[f].type == FT_MAP, 0))
		json_put_memo(o, &w->memo[w->memo_idx[f]], ev, f);
	else
		json_put_value(o, ev, f);
	return 0;
}

/*
 * The block's fields from place *i on: its JSON copied when its values are
 * those it was written from, else written and kept. Only when entered at
 * the top level after a field, where its bytes depend on nothing before.
 */
static int put_block(struct event_json *w, const struct event *ev, const uint64_t *placed, int *i,
		     struct render_state *st)
{
	struct json_buf *o = &w->out;
	bool use = st->open < 0 && !st->first;
	size_t from = o->len;

	if (use && json_block_same(&w->block, ev, BLOCK_FIRST, BLOCK_LAST)) {
		if (json_reserve(o, w->block.json_len + SLACK) < 0)
			return -ENOMEM;
		json_put(o, w->block.json, w->block.json_len);
		st->open = w->block.open;
		*i = next_placed(placed, w->block.hi + 1);
		return 0;
	}
	for (; *i >= 0 && *i <= w->block.hi; *i = next_placed(placed, *i + 1))
		if (put_field(w, ev, w->order[*i], st) < 0)
			return -ENOMEM;
	if (use)
		json_block_keep(&w->block, ev, BLOCK_FIRST, BLOCK_LAST, o->buf + from,
				o->len - from, st->open);
	return 0;
}

int event_json_render(struct event_json *w, const struct event *ev, const char **ret,
		      size_t *ret_len)
{
	struct json_buf *o = &w->out;
	struct render_state st = {.first = true, .sub_first = true, .open = -1};
	uint64_t placed[ORDER_WORDS] = {0};
	/* Places before the block (all when it is unused); next_placed's -1 ends too. */
	unsigned stop = w->block.lo >= 0 ? (unsigned)w->block.lo : UINT_MAX - 1;
	int i;

	o->len = 0;
	if (json_reserve(o, SLACK) < 0)
		return -ENOMEM;
	o->buf[o->len++] = '{';
	/* The present fields by their place in the output: ~30 of the table's fields, not all. */
	for (unsigned k = 0; k < ORDER_WORDS; k++)
		for (uint64_t m = ev->present[k]; m; m &= m - 1) {
			unsigned p = w->pos[k * 64 + (unsigned)__builtin_ctzll(m)];

			placed[p / 64] |= UINT64_C(1) << (p % 64);
		}
	for (i = next_placed(placed, 0); (unsigned)i < stop; i = next_placed(placed, i + 1))
		if (put_field(w, ev, w->order[i], &st) < 0)
			return -ENOMEM;
	if (i >= 0 && i <= w->block.hi && put_block(w, ev, placed, &i, &st) < 0)
		return -ENOMEM;
	for (; i >= 0; i = next_placed(placed, i + 1))
		if (put_field(w, ev, w->order[i], &st) < 0)
			return -ENOMEM;
	if (json_reserve(o, SLACK) < 0)
		return -ENOMEM;
	if (st.open >= 0)
		o->buf[o->len++] = '}';
	o->buf[o->len++] = '}';
	o->buf[o->len] = '\0';
	*ret = o->buf;
	*ret_len = o->len;
	return 0;
}
