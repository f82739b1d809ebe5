/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer differential target for the JSON writer: the input is a program
 * that sets random fields of an event to random bytes (NULs, invalid UTF-8,
 * values repeated into huge strings, any 64-bit integer), through the raw
 * setters and the converters. Each event is rendered by event_json_render,
 * parsed back with json-c and checked field by field against the event:
 * integers and booleans by value, text after the documented UTF-8 repair
 * (U+FFFD for each byte that starts no valid sequence, done here on its
 * own), lists item by item, no key that the event does not hold. The
 * output must also equal json-c's rendering (event_jsonc.c) byte for byte.
 * The same event in the OCSF and ECS profiles (event_profile.c) must be one
 * valid JSON object too, with type_uid == class_uid * 100 + activity_id
 * and an event.outcome of success, failure or unknown.
 *
 * Program: repeated [op][mode] ...; op == 0xff renders, checks and resets;
 * else field = op % F__MAX and mode & 3 picks event_set_int (8 bytes of
 * value follow), event_set_str, event_set_text (a length byte, two if
 * mode & 4, then the bytes; mode >> 4 doubles the bytes that many times)
 * or event_unset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "event.h"
#include "event_jsonc.h"
#include "event_profile.h"

#define ARENA	 (1u << 13) /* the event's arena: bounds the work of one input */
#define HUGE_LEN (1u << 11) /* a value grows by doubling up to this */
#define LIST_MAX 8	    /* the writer's weak_crypto cap */

struct fuzz_ctx {
	struct event ev;
	struct event_json *w;
	struct event_jsonc *ref;
	struct event_profile *ocsf, *ecs;
	char *scratch; /* a value being built, then a repaired one */
	char *repaired;
};

static struct fuzz_ctx *ctx;

static void setup(void)
{
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx || event_init(&ctx->ev, ARENA) < 0 || event_json_new(&ctx->w) < 0 ||
	    event_jsonc_new(&ctx->ref) < 0 ||
	    event_profile_new(&(struct profile_options){PROFILE_OCSF}, &ctx->ocsf) < 0 ||
	    event_profile_new(&(struct profile_options){PROFILE_ECS}, &ctx->ecs) < 0 ||
	    !(ctx->scratch = malloc(ARENA)) || !(ctx->repaired = malloc(3 * (size_t)ARENA)))
		abort();
}

/* The documented repair: a code point's bytes kept when valid, else U+FFFD per byte. */
static size_t repair(const unsigned char *s, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n = c < 0x80		? 1
			   : (c & 0xe0) == 0xc0 ? 2
			   : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4
						: 0;
		uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1fu : n == 3 ? c & 0x0fu : c & 0x07u;
		bool ok = n > 0 && i + n <= len;

		for (size_t k = 1; ok && k < n; k++) {
			ok = (s[i + k] & 0xc0) == 0x80;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};

		ok = ok && cp >= min_cp[n] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
		if (!ok) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	return o;
}

static void check_string(struct json_object *v, const char *raw, size_t len)
{
	size_t rl = repair((const unsigned char *)raw, len, ctx->repaired);

	if (!json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) != rl ||
	    memcmp(json_object_get_string(v), ctx->repaired, rl) != 0)
		abort();
}

/* Checks field f's value in the parsed output; returns whether the field is there. */
static bool check_field(struct json_object *top, int f)
{
	const struct field_info *fi = &field_table[f];
	const struct event *ev = &ctx->ev;
	struct json_object *obj = top, *v = NULL;
	size_t len;
	const char *s = event_str(ev, f, &len);

	if (fi->parent && !json_object_object_get_ex(top, fi->parent, &obj))
		obj = NULL;
	if (obj)
		json_object_object_get_ex(obj, fi->key, &v);
	switch (fi->type) {
	case FT_INT:
	case FT_PORT:
		if (!s != !v || (v && (!json_object_is_type(v, json_type_int) ||
				       json_object_get_int64(v) != ev->v[f].num)))
			abort();
		break;
	case FT_BOOL:
		if (!s != !v || (v && (!json_object_is_type(v, json_type_boolean) ||
				       json_object_get_boolean(v) != (ev->v[f].num != 0))))
			abort();
		break;
	case FT_NUMBER:
		if ((s && event_number_valid(s, len)) != !!v)
			abort();
		break;
	case FT_LIST: {
		size_t n = 0;

		if (v && !json_object_is_type(v, json_type_array))
			abort();
		for (size_t i = 0; s && i <= len && n < LIST_MAX;) {
			const char *c = memchr(s + i, ',', len - i);
			size_t l = c ? (size_t)(c - s) - i : len - i;

			if (l) {
				if (!v || n >= json_object_array_length(v))
					abort();
				check_string(json_object_array_get_idx(v, n), s + i, l);
				n++;
			}
			i += l + 1;
		}
		if ((n > 0) != !!v || (v && json_object_array_length(v) != n))
			abort();
		break;
	}
	case FT_MAP: {
		const char *k, *mv;
		size_t kl, vl, n = 0;

		if (v && !json_object_is_type(v, json_type_object))
			abort();
		while (s && event_map_next(&s, &len, &k, &kl, &mv, &vl)) {
			char key[EVENT_MAP_KEY_MAX + 1];
			struct json_object *item;

			memcpy(key, k, kl);
			key[kl] = '\0';
			if (!v || !json_object_object_get_ex(v, key, &item))
				abort();
			check_string(item, mv, vl);
			n++;
		}
		if ((n > 0) != !!v || (v && (size_t)json_object_object_length(v) != n))
			abort();
		break;
	}
	default:
		if ((s && len > 0) != !!v)
			abort();
		if (v)
			check_string(v, s, len);
		break;
	}
	return v != NULL;
}

/* The event rendered by w, parsed strictly as one object (caller puts it). */
static struct json_object *profile_object(struct event_profile *w)
{
	const char *js;
	size_t jl;
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o;

	if (!tok || event_profile_render(w, &ctx->ev, &js, &jl) < 0 || strlen(js) != jl)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, js, (int)jl);
	if (!o || json_tokener_get_parse_end(tok) != jl ||
	    !json_object_is_type(o, json_type_object))
		abort();
	json_tokener_free(tok);
	return o;
}

static int64_t member_int(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		abort();
	return json_object_get_int64(v);
}

static void check_profiles(void)
{
	struct json_object *o = profile_object(ctx->ocsf), *ev, *out;
	const char *s;

	if (member_int(o, "type_uid") !=
	    member_int(o, "class_uid") * 100 + member_int(o, "activity_id"))
		abort();
	json_object_put(o);
	o = profile_object(ctx->ecs);
	if (!json_object_object_get_ex(o, "event", &ev) ||
	    !json_object_object_get_ex(ev, "outcome", &out) || !(s = json_object_get_string(out)) ||
	    (strcmp(s, "success") && strcmp(s, "failure") && strcmp(s, "unknown")))
		abort();
	json_object_put(o);
}

static void render_and_check(void)
{
	const char *js, *ref;
	size_t jl, rl, top_keys = 0, sub_keys[FIELD_PARENTS] = {0};

	if (event_json_render(ctx->w, &ctx->ev, &js, &jl) < 0 ||
	    event_jsonc_render(ctx->ref, &ctx->ev, &ref, &rl) < 0)
		abort();
	if (strlen(js) != jl || jl != rl || memcmp(js, ref, jl) != 0) {
		if (getenv("FUZZ_EVENT_JSON_SHOW"))
			fprintf(stderr, "writer: %s\njson-c: %s\n", js, ref);
		abort();
	}
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o;

	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, js, (int)jl);
	if (!o || json_tokener_get_parse_end(tok) != jl ||
	    !json_object_is_type(o, json_type_object))
		abort();
	json_tokener_free(tok);
	for (int f = 0; f < F__MAX; f++) {
		if (!check_field(o, f))
			continue;
		int pi = field_parent_index(field_table[f].parent);

		if (pi < 0)
			top_keys++;
		else if (sub_keys[pi]++ == 0)
			top_keys++;
	}
	/* Nothing else: every key is a field of the event, each nested object one key. */
	if ((size_t)json_object_object_length(o) != top_keys)
		abort();
	for (size_t p = 0; p < FIELD_PARENTS; p++) {
		struct json_object *sub;

		if (json_object_object_get_ex(o, field_parents[p], &sub) &&
		    (size_t)json_object_object_length(sub) != sub_keys[p])
			abort();
	}
	json_object_put(o);
	check_profiles();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;

	if (!ctx)
		setup();
	event_reset(&ctx->ev);
	while (i + 2 <= size) {
		uint8_t op = data[i++], mode = data[i++];
		int f = op % F__MAX;

		if (op == 0xff) {
			render_and_check();
			event_reset(&ctx->ev);
			i--;
			continue;
		}
		if ((mode & 3) == 0) {
			int64_t n = 0;
			size_t k = size - i < 8 ? size - i : 8;

			memcpy(&n, data + i, k);
			i += k;
			event_set_int(&ctx->ev, f, n);
			continue;
		}
		if ((mode & 3) == 3) {
			event_unset(&ctx->ev, f);
			continue;
		}
		size_t len = i < size ? data[i++] : 0;

		if ((mode & 4) && i < size)
			len = len << 8 | data[i++];
		if (len > size - i)
			len = size - i;
		memcpy(ctx->scratch, data + i, len);
		i += len;
		for (unsigned d = 0; d < (unsigned)(mode >> 4) && len > 0 && 2 * len <= HUGE_LEN;
		     d++) {
			memcpy(ctx->scratch + len, ctx->scratch, len);
			len *= 2;
		}
		if ((mode & 3) == 1)
			event_set_str(&ctx->ev, f, ctx->scratch, len);
		else
			event_set_text(&ctx->ev, f, ctx->scratch, len);
	}
	render_and_check();
	return 0;
}
