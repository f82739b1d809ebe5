/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_EVENT_JSON_IMPL_H
#define IKELOGD_EVENT_JSON_IMPL_H

/*
 * The pieces of the event's JSON writer (event_json.c) that the profile
 * renderers (event_profile.c: OCSF, ECS) share: one growing output buffer,
 * RFC 8259 string escaping with invalid UTF-8 replaced, integers, and the
 * rule for which fields are written. Inline: they run for every field of
 * every event.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

#define EVENT_JSON_LIST_MAX 8 /* weak_crypto entries rendered */

/* The output: buf[0..len) written, cap allocated. */
struct json_buf {
	char *buf;
	size_t cap;
	size_t len;
};

/* Makes room for need more bytes; the only place the writer allocates. */
static inline int json_reserve(struct json_buf *w, size_t need)
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
static const uint8_t json_byte_class[256] = {
    [0x00 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
    [0x80 ... 0xff] = 2,
};

/* Length of the valid UTF-8 sequence at s (2..4), or 0 if invalid; s[0] >= 0x80. */
static inline size_t json_utf8_seq(const unsigned char *s, size_t len)
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
static inline bool json_plain8(uint64_t x)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	uint64_t less20 = (x - ones * 0x20) & ~x, zq = (q - ones) & ~q, zb = (b - ones) & ~b;

	return ((less20 | zq | zb | x) & high) == 0;
}

/* Appends s[0..len) as a JSON string's contents; room for 6 * len is reserved. */
static inline void json_put_escaped(struct json_buf *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char *o = w->buf + w->len;
	size_t i = 0;

	while (i < len) {
		size_t start = i;
		uint64_t x;

		/*
		 * Plain bytes are stored as they are tested, 8 at a time: fields
		 * are short, and a memcpy call per run cost more than the copy.
		 */
		for (; i + 8 <= len; i += 8, o += 8) {
			memcpy(&x, u + i, 8);
			if (!json_plain8(x))
				break;
			memcpy(o, &x, 8);
		}
		/*
		 * The run's last 1..7 bytes at once: the 8 bytes that end the
		 * text, when plain and within this run, are stored over the copy
		 * of the same bytes before them; a text of 4..7 bytes is tested
		 * as its first 4 and last 4.
		 */
		if (i < len && i + 8 > len && len - start >= 8) {
			memcpy(&x, u + len - 8, 8);
			if (json_plain8(x)) {
				memcpy(o - (i - (len - 8)), &x, 8);
				o += len - i;
				break;
			}
		} else if (i == start && len - i >= 4 && len - i < 8) {
			uint32_t a, b;

			memcpy(&a, u + i, 4);
			memcpy(&b, u + len - 4, 4);
			if (json_plain8(a | (uint64_t)b << 32)) {
				memcpy(o, &a, 4);
				memcpy(o + (len - i) - 4, &b, 4);
				o += len - i;
				break;
			}
		}
		while (i < len && json_byte_class[u[i]] == 0)
			*o++ = s[i++];
		if (i == len)
			break;
		unsigned char c = u[i];

		if (json_byte_class[c] == 2) {
			size_t k = json_utf8_seq(u + i, len - i);

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

static inline void json_put(struct json_buf *w, const char *s, size_t len)
{
	memcpy(w->buf + w->len, s, len);
	w->len += len;
}

/* Decimal, two digits per division: the profiles write seven integers an event, times 13 digits. */
static inline void json_put_int(struct json_buf *w, int64_t n)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;

	while (u >= 100) {
		p -= 2;
		memcpy(p, pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * u, 2);
	} else {
		*--p = (char)('0' + u);
	}
	if (n < 0)
		*--p = '-';
	json_put(w, p, (size_t)(buf + sizeof(buf) - p));
}

/* The next list item of s[0..*len) that is not empty, or NULL; advances s and len. */
static inline const char *json_list_next(const char **s, size_t *len, size_t *ret_len)
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

/* event_field_emitted for the types whose text must be read: a number, a list, a map. */
static inline bool event_field_emitted_text(const struct event *ev, int f)
{
	switch (field_table[f].type) {
	case FT_NUMBER:
		return event_number_valid(ev->text + ev->v[f].off, ev->v[f].len);
	case FT_LIST: {
		const char *s = ev->text + ev->v[f].off;
		size_t len = ev->v[f].len, l;

		return json_list_next(&s, &len, &l) != NULL;
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

/*
 * Whether field f of ev is written: present, and not empty where empty
 * means absent. Always inline: the renderers ask it for every field an
 * event has, and most are strings and integers, answered without a call.
 */
static inline __attribute__((always_inline)) bool event_field_emitted(const struct event *ev, int f)
{
	if (!event_has(ev, f))
		return false;
	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
	case FT_BOOL:
		return true;
	case FT_NUMBER:
	case FT_LIST:
	case FT_MAP:
		return event_field_emitted_text(ev, f);
	default:
		return ev->v[f].len > 0;
	}
}

/* Appends field f's value as JSON; room for 6 * its length + 2 was reserved. */
static inline __attribute__((always_inline)) void json_put_value(struct json_buf *w,
								 const struct event *ev, int f)
{
	const char *s = ev->text + ev->v[f].off;
	size_t len = ev->v[f].len;

	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
		json_put_int(w, ev->v[f].num);
		break;
	case FT_BOOL:
		if (ev->v[f].num)
			json_put(w, "true", 4);
		else
			json_put(w, "false", 5);
		break;
	case FT_NUMBER:
		json_put(w, s, len); /* checked by event_field_emitted() */
		break;
	case FT_LIST: {
		const char *item;
		size_t l;

		w->buf[w->len++] = '[';
		for (int i = 0; i < EVENT_JSON_LIST_MAX && (item = json_list_next(&s, &len, &l));
		     i++) {
			if (i)
				w->buf[w->len++] = ',';
			w->buf[w->len++] = '"';
			json_put_escaped(w, item, l);
			w->buf[w->len++] = '"';
		}
		w->buf[w->len++] = ']';
		break;
	}
	case FT_MAP: { /* an object of strings; keys are plain (event_map_key_valid) */
		const char *k, *v;
		size_t kl, vl;
		bool first = true;

		w->buf[w->len++] = '{';
		while (event_map_next(&s, &len, &k, &kl, &v, &vl)) {
			if (!first)
				w->buf[w->len++] = ',';
			first = false;
			w->buf[w->len++] = '"';
			json_put_escaped(w, k, kl);
			json_put(w, "\":\"", 3);
			json_put_escaped(w, v, vl);
			w->buf[w->len++] = '"';
		}
		w->buf[w->len++] = '}';
		break;
	}
	default:
		w->buf[w->len++] = '"';
		json_put_escaped(w, s, len);
		w->buf[w->len++] = '"';
		break;
	}
}

/*
 * The last value of one map field and its JSON: the enrichment's labels
 * are the same text on every event and a peer's map labels on every event
 * of its IKE SA, so the writer copies the JSON it wrote before instead of
 * splitting and escaping the pairs again. Only an ever longer value
 * allocates; when that fails the value is written, not remembered.
 */
struct json_memo {
	char *src, *json;
	size_t src_len, json_len;
	size_t src_cap, json_cap;
	bool valid;
};

static inline int json_memo_grow(char **buf, size_t *cap, size_t need)
{
	char *b;

	if (need <= *cap)
		return 0;
	if (!(b = realloc(*buf, need)))
		return -ENOMEM;
	*buf = b;
	*cap = need;
	return 0;
}

/* json_put_value through m: the same bytes, copied when ev's value is m's last one. */
static inline void json_put_memo(struct json_buf *w, struct json_memo *m, const struct event *ev,
				 int f)
{
	const char *s = ev->text + ev->v[f].off;
	size_t len = ev->v[f].len, from = w->len;

	if (m->valid && m->src_len == len && memcmp(m->src, s, len) == 0) {
		json_put(w, m->json, m->json_len);
		return;
	}
	json_put_value(w, ev, f);
	m->valid = false;
	if (json_memo_grow(&m->src, &m->src_cap, len) < 0 ||
	    json_memo_grow(&m->json, &m->json_cap, w->len - from) < 0)
		return;
	memcpy(m->src, s, len);
	m->src_len = len;
	memcpy(m->json, w->buf + from, w->len - from);
	m->json_len = w->len - from;
	m->valid = true;
}

/*
 * The JSON of a run of fields (places lo..hi of the output, fields
 * first..last of the table) as last written, with the values it was
 * written from: event_json.c copies it while they are the same.
 */
#define JSON_BLOCK_FIELDS 8

struct json_block {
	int lo, hi; /* places in the output; -1 = not used */
	bool valid;
	uint64_t present; /* which of the fields were present, bit k = field first + k */
	uint32_t off[JSON_BLOCK_FIELDS], len[JSON_BLOCK_FIELDS];
	char *vals, *json; /* the values' bytes; the JSON */
	size_t vals_len, json_len, vals_cap, json_cap;
	int open; /* the nested object left open after it, -1 = none */
};

/* Whether ev's fields first..last are those b was written from. */
static inline bool json_block_same(const struct json_block *b, const struct event *ev, int first,
				   int last)
{
	uint64_t present = 0;

	if (!b->valid)
		return false;
	for (int f = first; f <= last; f++)
		present |= (uint64_t)event_has(ev, f) << (f - first);
	if (present != b->present)
		return false;
	for (int f = first; f <= last; f++) {
		int k = f - first;

		if (!(present >> k & 1))
			continue;
		/* A number's text is written from it: the same text, the same number. */
		if (ev->v[f].len != b->len[k] ||
		    memcmp(ev->text + ev->v[f].off, b->vals + b->off[k], b->len[k]) != 0)
			return false;
	}
	return true;
}

/* Keeps json[0..len) as the JSON of ev's fields first..last (none if out of memory). */
static inline void json_block_keep(struct json_block *b, const struct event *ev, int first,
				   int last, const char *json, size_t len, int open)
{
	size_t vl = 0;

	b->valid = false;
	b->present = 0;
	for (int f = first; f <= last; f++)
		if (event_has(ev, f)) {
			b->present |= UINT64_C(1) << (f - first);
			vl += ev->v[f].len;
		}
	if (json_memo_grow(&b->vals, &b->vals_cap, vl + 1) < 0 ||
	    json_memo_grow(&b->json, &b->json_cap, len + 1) < 0)
		return;
	b->vals_len = 0;
	for (int f = first; f <= last; f++) {
		int k = f - first;

		if (!(b->present >> k & 1))
			continue;
		b->off[k] = (uint32_t)b->vals_len;
		b->len[k] = ev->v[f].len;
		memcpy(b->vals + b->vals_len, ev->text + ev->v[f].off, ev->v[f].len);
		b->vals_len += ev->v[f].len;
	}
	memcpy(b->json, json, len);
	b->json_len = len;
	b->open = open;
	b->valid = true;
}

static inline void json_memo_free(struct json_memo *m)
{
	free(m->src);
	free(m->json);
	*m = (struct json_memo){0};
}

#endif
