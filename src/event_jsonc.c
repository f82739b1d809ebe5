/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event's JSON through json-c, reusing one object tree across events so
 * that steady state does not allocate: absent fields are omitted, nested
 * fields go to their objects (event.h's field_parents), text is made valid
 * UTF-8 first. This was the daemon's renderer; event_json.c replaced it on
 * the hot path, and it stays as the reference the writer is tested against
 * (tests/unit/test_event_json.c, tests/fuzz/fuzz_event_json.c) and the
 * baseline of the benchmarks.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "event.h"
#include "event_jsonc.h"

#define LIST_MAX 8 /* weak_crypto entries rendered */

/* String values up to this length come from per-length pools (see set_string). */
#define POOL_MAX_LEN 96

struct event_jsonc {
	struct json_object *top;
	struct json_object *sub[FIELD_PARENTS];
	struct json_object *val[F__MAX]; /* one retained value object per field */
	struct json_object *cur[F__MAX]; /* the object holding this render's value */
	int pidx[F__MAX];		 /* parent index, -1 = top level */
	/*
	 * The keys each object held after the last render, in order: items are
	 * fields (< F__MAX) or nested objects (F__MAX + parent index), with the
	 * value object each held. Only the tail after the first different key
	 * is deleted and re-added; a changed value object is swapped in place.
	 */
	int prev[FIELD_PARENTS + 1][F__MAX];
	struct json_object *prev_obj[FIELD_PARENTS + 1][F__MAX];
	size_t n_prev[FIELD_PARENTS + 1];
	/* pool[slot][len]: string objects created at that exact length, slot = field or F__MAX +
	 * list item */
	struct json_object **pool[F__MAX + LIST_MAX];
	char *scratch; /* UTF-8 repair buffer */
	size_t scratch_cap;
};

static json_object_to_json_string_fn int_to_json;

void event_jsonc_free(struct event_jsonc *w)
{
	if (!w)
		return;
	json_object_put(w->top); /* drops the containers' refs */
	for (size_t i = 0; i < FIELD_PARENTS; i++)
		json_object_put(w->sub[i]);
	for (int f = 0; f < F__MAX; f++)
		json_object_put(w->val[f]);
	for (size_t i = 0; i < F__MAX + LIST_MAX; i++) {
		for (size_t l = 0; w->pool[i] && l <= POOL_MAX_LEN; l++)
			json_object_put(w->pool[i][l]);
		free(w->pool[i]);
	}
	free(w->scratch);
	free(w);
}

int event_jsonc_new(struct event_jsonc **ret)
{
	struct event_jsonc *w = calloc(1, sizeof(*w));
	int r = -ENOMEM;

	if (!w)
		goto out;
	if (!(w->top = json_object_new_object()))
		goto out;
	for (size_t i = 0; i < FIELD_PARENTS; i++)
		if (!(w->sub[i] = json_object_new_object()))
			goto out;
	for (int f = 0; f < F__MAX; f++) {
		w->pidx[f] = field_parent_index(field_table[f].parent);
		switch (field_table[f].type) {
		case FT_INT:
		case FT_PORT:
			w->val[f] = json_object_new_int64(0);
			if (w->val[f])
				json_object_set_serializer(w->val[f], int_to_json, NULL, NULL);
			break;
		case FT_BOOL:
			w->val[f] = json_object_new_boolean(0);
			break;
		case FT_LIST:
			w->val[f] = json_object_new_array_ext(LIST_MAX);
			break;
		case FT_MAP:
			w->val[f] = json_object_new_object();
			break;
		default:
			/* Starts with a long buffer so short values fit without growing. */
			w->val[f] = json_object_new_string("");
			break;
		}
		if (!w->val[f])
			goto out;
	}
	*ret = w;
	w = NULL;
	r = 0;
out:
	event_jsonc_free(w);
	return r;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Returns s itself when valid UTF-8, else a repaired copy in w->scratch (or NULL). */
static const char *utf8_clean(struct event_jsonc *w, const char *s, size_t len, size_t *ret_len)
{
	size_t i = 0, k = 1;

	/* ASCII eight bytes at a time: almost every value is plain ASCII. */
	for (uint64_t x; i + 8 <= len; i += 8) {
		memcpy(&x, s + i, 8);
		if (x & UINT64_C(0x8080808080808080))
			break;
	}
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	while (i < len && (k = utf8_seq((const unsigned char *)s + i, len - i)) > 0)
		i += k;
	*ret_len = len;
	if (i == len)
		return s;
	if (w->scratch_cap < len * 3 + 1) {
		char *n = realloc(w->scratch, len * 3 + 1);

		if (!n)
			return NULL;
		w->scratch = n;
		w->scratch_cap = len * 3 + 1;
	}
	size_t o = 0;

	for (i = 0; i < len;) {
		k = utf8_seq((const unsigned char *)s + i, len - i);
		if (k == 0) {
			memcpy(w->scratch + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(w->scratch + o, s + i, k);
		o += k;
		i += k;
	}
	*ret_len = o;
	return w->scratch;
}

/*
 * json-c 0.16 reuses a string's buffer only when the new value is no longer
 * than the current one and mallocs otherwise (it keeps no capacity), and it
 * leaks the buffer when a string is set to "" (fixed in later releases; we
 * never set ""). So values up to POOL_MAX_LEN bytes go into a string object
 * made once for exactly that length: setting it never allocates, and steady
 * state does not allocate. Longer values (free text) use the field's own
 * object. Returns the object that holds the value, or NULL.
 */
static struct json_object *set_string(struct event_jsonc *w, size_t slot, struct json_object *own,
				      const char *s, size_t len)
{
	struct json_object *o = own;

	if (len > INT32_MAX / 2)
		return NULL;
	if (len <= POOL_MAX_LEN) {
		if (!w->pool[slot] &&
		    !(w->pool[slot] = calloc(POOL_MAX_LEN + 1, sizeof(*w->pool[slot]))))
			return NULL;
		o = w->pool[slot][len];
		if (!o)
			return (w->pool[slot][len] = json_object_new_string_len(s, (int)len));
	}
	if ((size_t)json_object_get_string_len(o) == len &&
	    memcmp(json_object_get_string(o), s, len) == 0)
		return o;
	return json_object_set_string_len(o, s, (int)len) ? o : NULL;
}

static int set_value(struct event_jsonc *w, const struct event *ev, int f)
{
	struct json_object *o = w->val[f];
	const char *s = ev->text + ev->v[f].off;

	w->cur[f] = o;
	size_t len = ev->v[f].len;

	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
		return json_object_set_int64(o, ev->v[f].num) ? 0 : -EINVAL;
	case FT_BOOL:
		return json_object_set_boolean(o, ev->v[f].num != 0) ? 0 : -EINVAL;
	case FT_NUMBER: {
		/*
		 * json-c's own reading decides what a number is: the whole text (and
		 * its NUL, which ends a number) must parse in strict mode as a double
		 * or an integer; json-c also takes "1.", "1.e5", a leading zero
		 * ("00") and white space around, RFC 8259's number does not. The new object prints the captured text
		 * (json_object_new_double_s); sync_keys swaps it into the tree.
		 */
		char *text = strndup(s, len);
		struct json_tokener *tok = json_tokener_new();
		struct json_object *n = NULL;
		/* text ends at the first NUL of the value: search no further */
		const char *dot = text ? strchr(text, '.') : NULL;
		bool ok = false;
		double d = 0;

		/* json-c takes a leading zero before a digit ("00", "-01"); RFC 8259 does not */
		const char *digits = text && text[0] == '-' ? text + 1 : text;
		bool lead_zero = digits && digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9';

		if (text && tok && strlen(text) == len && strcspn(text, " \t\r\n") == len &&
		    !(dot && (dot[1] < '0' || dot[1] > '9')) && !lead_zero) {
			json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
			n = json_tokener_parse_ex(tok, text, (int)len + 1);
			ok = n && json_tokener_get_parse_end(tok) == len &&
			     (json_object_is_type(n, json_type_double) ||
			      json_object_is_type(n, json_type_int));
			d = ok ? json_object_get_double(n) : 0;
		}
		json_object_put(n);
		json_tokener_free(tok);
		n = ok ? json_object_new_double_s(d, text) : NULL;
		free(text);
		if (!n)
			return ok ? -ENOMEM : -EINVAL;
		json_object_put(w->val[f]);
		w->val[f] = w->cur[f] = n;
		return 0;
	}
	case FT_LIST: {
		size_t n = json_object_array_length(o), i = 0;

		/* the array frees the items it held */
		if (n)
			json_object_array_del_idx(o, 0, n);
		while (len > 0 && i < LIST_MAX) {
			const char *c = memchr(s, ',', len);
			size_t l = c ? (size_t)(c - s) : len, cl;
			const char *t = utf8_clean(w, s, l, &cl);

			if (l && t) {
				/*
				 * A new item each time: the pooled item objects are
				 * shared by every list field (weak_crypto and
				 * proposals_offered), and an array holds its items by
				 * reference.
				 */
				struct json_object *it = json_object_new_string_len(t, (int)cl);

				if (!it)
					return -ENOMEM;
				json_object_array_add(o, it);
				i++;
			}
			s += c ? l + 1 : l;
			len -= c ? l + 1 : l;
		}
		return i > 0 ? 0 : -ENOENT;
	}
	case FT_MAP: {
		struct json_object *m = json_object_new_object();
		const char *k, *v;
		size_t kl, vl, n = 0;

		if (!m)
			return -ENOMEM;
		while (event_map_next(&s, &len, &k, &kl, &v, &vl)) {
			size_t cl;
			const char *t = utf8_clean(w, k, kl, &cl);
			char *key = t ? strndup(t, cl) : NULL;
			struct json_object *it;

			t = key ? utf8_clean(w, v, vl, &cl) : NULL;
			it = t ? json_object_new_string_len(t, (int)cl) : NULL;
			if (!it || json_object_object_add(m, key, it) < 0) {
				json_object_put(it);
				free(key);
				json_object_put(m);
				return -ENOMEM;
			}
			free(key);
			n++;
		}
		json_object_put(w->val[f]);
		w->val[f] = w->cur[f] = m;
		return n > 0 ? 0 : -ENOENT;
	}
	default: {
		size_t cl;
		const char *t = utf8_clean(w, s, len, &cl);

		if (!t)
			return -ENOMEM;
		/* Absent, never "" (and see set_string on json-c and ""). */
		if (cl == 0)
			return -ENOENT;
		w->cur[f] = set_string(w, (size_t)f, o, t, cl);
		return w->cur[f] ? 0 : -ENOMEM;
	}
	}
}

static void obj_add(struct json_object *obj, const char *key, struct json_object *v)
{
	json_object_object_add_ex(obj, key, json_object_get(v),
				  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}

/*
 * json-c formats every integer with snprintf, which is a third of the cost
 * of a whole event. This serializer writes the same decimal digits (a JSON
 * number is nothing else); objects, strings and escaping stay json-c's.
 */
static int int_to_json(struct json_object *o, struct printbuf *pb, int level, int flags)
{
	char buf[24], *p = buf + sizeof(buf);
	int64_t n = json_object_get_int64(o);
	uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (n < 0)
		*--p = '-';
	return printbuf_memappend(pb, p, (int)(buf + sizeof(buf) - p));
}

static const char *item_key(int item)
{
	return item < F__MAX ? field_table[item].key : field_parents[item - F__MAX];
}

/* Brings object o (index oi: 0 = top, 1 + parent) from its previous key list to cur[0..n). */
static struct json_object *item_obj(struct event_jsonc *w, int item)
{
	return item < F__MAX ? w->cur[item] : w->sub[item - F__MAX];
}

/* Brings object o (index oi: 0 = top, 1 + parent) from its previous keys to cur[0..n). */
static void sync_keys(struct event_jsonc *w, size_t oi, struct json_object *o, const int *cur,
		      size_t n)
{
	size_t d = 0;

	while (d < n && d < w->n_prev[oi] && w->prev[oi][d] == cur[d]) {
		struct json_object *v = item_obj(w, cur[d]);

		if (v != w->prev_obj[oi][d]) { /* same key, another object: swap in place */
			json_object_object_add_ex(o, item_key(cur[d]), json_object_get(v),
						  JSON_C_OBJECT_KEY_IS_CONSTANT);
			w->prev_obj[oi][d] = v;
		}
		d++;
	}
	for (size_t i = d; i < w->n_prev[oi]; i++)
		json_object_object_del(o, item_key(w->prev[oi][i]));
	for (size_t i = d; i < n; i++) {
		w->prev_obj[oi][i] = item_obj(w, cur[i]);
		obj_add(o, item_key(cur[i]), w->prev_obj[oi][i]);
	}
	memcpy(w->prev[oi], cur, n * sizeof(*cur));
	w->n_prev[oi] = n;
}

int event_jsonc_render(struct event_jsonc *w, const struct event *ev, const char **ret,
		       size_t *ret_len)
{
	int cur[FIELD_PARENTS + 1][F__MAX];
	size_t n[FIELD_PARENTS + 1] = {0};
	size_t len = 0;
	const char *s;

	/* Values first; the lists of keys in table order, a nested object at its first field. */
	for (int f = 0; f < F__MAX; f++) {
		if (!event_has(ev, f) || set_value(w, ev, f) < 0)
			continue;
		int pi = w->pidx[f];

		if (pi < 0) {
			cur[0][n[0]++] = f;
			continue;
		}
		if (n[1 + pi] == 0)
			cur[0][n[0]++] = F__MAX + pi;
		cur[1 + pi][n[1 + pi]++] = f;
	}
	for (size_t pi = 0; pi < FIELD_PARENTS; pi++)
		if (n[1 + pi])
			sync_keys(w, 1 + pi, w->sub[pi], cur[1 + pi], n[1 + pi]);
	sync_keys(w, 0, w->top, cur[0], n[0]);
	s = json_object_to_json_string_length(
	    w->top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s)
		return -ENOMEM;
	*ret = s;
	*ret_len = len;
	return 0;
}
