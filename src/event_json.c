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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

#define LIST_MAX    8	 /* weak_crypto entries rendered */
#define INITIAL_CAP 4096 /* one event of the corpus is ~500 bytes */
#define TOKEN_MAX   48	 /* room for ,"key": and ,"parent":{ */
#define SLACK	    64	 /* every reserve() leaves this much beyond its worst case */

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
	char *buf;
	size_t cap;
	size_t len;
	/* The fields in output order: a nested object's fields follow its first one. */
	uint8_t order[F__MAX];
	int8_t pidx[F__MAX]; /* parent index, -1 = top level */
	struct token key[F__MAX];
	struct token parent[FIELD_PARENTS];
};

static_assert(F__MAX <= 256, "order holds fields as bytes");

void event_json_free(struct event_json *w)
{
	if (!w)
		return;
	free(w->buf);
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

	if (!w || !(w->buf = malloc(INITIAL_CAP)))
		goto out;
	w->cap = INITIAL_CAP;
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
	*ret = w;
	w = NULL;
	r = 0;
out:
	event_json_free(w);
	return r;
}

/* Makes room for need more bytes; the only place the writer allocates. */
static int reserve(struct event_json *w, size_t need)
{
	size_t cap = w->cap;

	if (w->len + need <= cap)
		return 0;
	while (cap < w->len + need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	char *b = realloc(w->buf, cap);

	if (!b)
		return -ENOMEM;
	w->buf = b;
	w->cap = cap;
	return 0;
}

/*
 * Byte classes: 0 copied as is, 1 escaped, 2 starts (or should start) a
 * multi-byte UTF-8 sequence.
 */
static const uint8_t byte_class[256] = {
    [0x00 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
    [0x80 ... 0xff] = 2,
};

/* Length of the valid UTF-8 sequence at s (2..4), or 0 if invalid; s[0] >= 0x80. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		return len >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		/* E0 needs A0..BF (not overlong), ED needs 80..9F (no surrogates) */
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return len >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		/* F0 needs 90..BF (not overlong), F4 needs 80..8F (not past U+10FFFF) */
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return len >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
			       (s[3] & 0xc0) == 0x80
			   ? 4
			   : 0;
	}
	return 0;
}

/*
 * Whether none of the 8 bytes in x needs attention (below 0x20, '"', '\\',
 * or 0x80 and up), tested on all eight at once: has_less(x, n) is set iff
 * a byte is below n (n <= 128), so a zero byte of x ^ c is a byte equal to c.
 */
static inline bool plain8(uint64_t x)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	uint64_t less20 = (x - ones * 0x20) & ~x, zq = (q - ones) & ~q, zb = (b - ones) & ~b;

	return ((less20 | zq | zb | x) & high) == 0;
}

/* Appends s[0..len) as a JSON string's contents; room for 6 * len is reserved. */
static void put_escaped(struct event_json *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char *o = w->buf + w->len;
	size_t i = 0;

	while (i < len) {
		size_t run = i;

		for (uint64_t x; run + 8 <= len; run += 8) {
			memcpy(&x, u + run, 8);
			if (!plain8(x))
				break;
		}
		while (run < len && byte_class[u[run]] == 0)
			run++;
		memcpy(o, s + i, run - i);
		o += run - i;
		i = run;
		if (i == len)
			break;
		unsigned char c = u[i];

		if (byte_class[c] == 2) {
			size_t k = utf8_seq(u + i, len - i);

			if (k == 0) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			} else {
				memcpy(o, s + i, k);
				o += k;
				i += k;
			}
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = (char)c;
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\t':
			*o++ = 't';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\r':
			*o++ = 'r';
			break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
			break;
		}
		i++;
	}
	w->len = (size_t)(o - w->buf);
}

static void put(struct event_json *w, const char *s, size_t len)
{
	memcpy(w->buf + w->len, s, len);
	w->len += len;
}

static void put_int(struct event_json *w, int64_t n)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (n < 0)
		*--p = '-';
	put(w, p, (size_t)(buf + sizeof(buf) - p));
}

/* The next list item of s[0..*len) that is not empty, or NULL; advances s and len. */
static const char *list_next(const char **s, size_t *len, size_t *ret_len)
{
	while (*len > 0) {
		const char *c = memchr(*s, ',', *len), *item = *s;
		size_t l = c ? (size_t)(c - *s) : *len;

		*s += c ? l + 1 : l;
		*len -= c ? l + 1 : l;
		if (l) {
			*ret_len = l;
			return item;
		}
	}
	return NULL;
}

/* Whether field f of ev is written: present, and not empty where empty means absent. */
static bool emitted(const struct event *ev, int f)
{
	if (!event_has(ev, f))
		return false;
	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
	case FT_BOOL:
		return true;
	case FT_NUMBER:
		return event_number_valid(ev->text + ev->v[f].off, ev->v[f].len);
	case FT_LIST: {
		const char *s = ev->text + ev->v[f].off;
		size_t len = ev->v[f].len, l;

		return list_next(&s, &len, &l) != NULL;
	}
	case FT_MAP: {
		const char *s = ev->text + ev->v[f].off, *k, *v;
		size_t len = ev->v[f].len, kl, vl;

		return event_map_next(&s, &len, &k, &kl, &v, &vl);
	}
	default:
		return ev->v[f].len > 0;
	}
}

/* Appends field f's value; room for its worst case was reserved. */
static void put_value(struct event_json *w, const struct event *ev, int f)
{
	const char *s = ev->text + ev->v[f].off;
	size_t len = ev->v[f].len;

	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
		put_int(w, ev->v[f].num);
		break;
	case FT_BOOL:
		if (ev->v[f].num)
			put(w, "true", 4);
		else
			put(w, "false", 5);
		break;
	case FT_NUMBER:
		put(w, s, len); /* checked by emitted() */
		break;
	case FT_LIST: {
		const char *item;
		size_t l;

		w->buf[w->len++] = '[';
		for (int i = 0; i < LIST_MAX && (item = list_next(&s, &len, &l)); i++) {
			if (i)
				w->buf[w->len++] = ',';
			w->buf[w->len++] = '"';
			put_escaped(w, item, l);
			w->buf[w->len++] = '"';
		}
		w->buf[w->len++] = ']';
		break;
	}
	case FT_MAP: {
		const char *k, *v;
		size_t kl, vl;
		bool first = true;

		w->buf[w->len++] = '{';
		while (event_map_next(&s, &len, &k, &kl, &v, &vl)) {
			if (!first)
				w->buf[w->len++] = ',';
			first = false;
			w->buf[w->len++] = '"';
			put_escaped(w, k, kl);
			put(w, "\":\"", 3);
			put_escaped(w, v, vl);
			w->buf[w->len++] = '"';
		}
		w->buf[w->len++] = '}';
		break;
	}
	default:
		w->buf[w->len++] = '"';
		put_escaped(w, s, len);
		w->buf[w->len++] = '"';
		break;
	}
}

/* Appends a key token, without its comma if the object is empty so far. */
static void put_key(struct event_json *w, const struct token *t, bool *first)
{
	size_t skip = *first;

	memcpy(w->buf + w->len, t->s + skip, TOKEN_MAX - 1);
	w->len += t->len - skip;
	*first = false;
}

int event_json_render(struct event_json *w, const struct event *ev, const char **ret,
		      size_t *ret_len)
{
	bool first = true, sub_first = true;
	int open = -1; /* the nested object being written, -1 = none */

	w->len = 0;
	if (reserve(w, SLACK) < 0)
		return -ENOMEM;
	w->buf[w->len++] = '{';
	for (int i = 0; i < F__MAX; i++) {
		int f = w->order[i], pi = w->pidx[f];

		if (!emitted(ev, f))
			continue;
		/*
		 * Worst case: every byte a \u00xx escape; a list adds quotes and a
		 * comma per item, at most two bytes per byte; keys and braces.
		 */
		if (reserve(w, 6 * (size_t)ev->v[f].len + 2 * TOKEN_MAX + SLACK) < 0)
			return -ENOMEM;
		if (pi != open) {
			if (open >= 0)
				w->buf[w->len++] = '}';
			open = pi;
			if (pi >= 0) {
				put_key(w, &w->parent[pi], &first);
				sub_first = true;
			}
		}
		put_key(w, &w->key[f], pi >= 0 ? &sub_first : &first);
		put_value(w, ev, f);
	}
	if (reserve(w, SLACK) < 0)
		return -ENOMEM;
	if (open >= 0)
		w->buf[w->len++] = '}';
	w->buf[w->len++] = '}';
	w->buf[w->len] = '\0';
	*ret = w->buf;
	*ret_len = w->len;
	return 0;
}
