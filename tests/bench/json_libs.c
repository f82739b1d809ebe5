/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What JSON encoding costs per event with the C JSON libraries Debian 12
 * ships, on the events the engine makes from a corpus: ikelogd's own
 * writer (event_json.c), json-c as ikelogd used it before (one object tree
 * reused across events, event_jsonc.c), json-c with a fresh tree
 * per event, yajl's streaming generator and libfastjson (rsyslog's json-c
 * fork) with a fresh tree. Each writes the same event; the first 2,000 of
 * each are parsed back and compared with json-c's (json_object_equal).
 * Prints ns per event for each, measured around the encoding only, and the
 * copy of the same bytes as the floor. Figures, not assertions.
 *
 * usage: json_libs RULES.yaml BODIES.log
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <yajl/yajl_gen.h>

#include "engine.h"
#include "event_jsonc.h"

enum enc { E_WRITER, E_JSONC_REUSED, E_JSONC_FRESH, E_YAJL, E_FASTJSON, E_COPY, E__MAX };
static const char *const enc_name[E__MAX] = {"ikelogd_writer",	   "jsonc_reused_tree",
					     "jsonc_fresh_tree",	   "yajl_gen",
					     "libfastjson_fresh_tree", "memcpy_floor"};

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

#include "json_libs_tree.h"

BUILD_TREE(json, json_object)
const char *fjson_render(const struct event *ev, size_t *ret_len);

static void yajl_field(yajl_gen g, const struct event *ev, int f)
{
	const char *s = ev->text + ev->v[f].off;
	const char *k = field_table[f].key;

	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
		yajl_gen_integer(g, ev->v[f].num);
		break;
	case FT_BOOL:
		yajl_gen_bool(g, ev->v[f].num != 0);
		break;
	case FT_NUMBER: /* the decimal as captured, like event_json.c */
		yajl_gen_number(g, s, ev->v[f].len);
		break;
	case FT_LIST:
		yajl_gen_array_open(g);
		for (const char *p = s, *e = s + ev->v[f].len; p < e;) {
			const char *c = memchr(p, ',', (size_t)(e - p));
			size_t l = c ? (size_t)(c - p) : (size_t)(e - p);

			if (l)
				yajl_gen_string(g, (const unsigned char *)p, l);
			p += l + 1;
		}
		yajl_gen_array_close(g);
		break;
	default:
		yajl_gen_string(g, (const unsigned char *)s, ev->v[f].len);
	}
}

static void yajl_event(yajl_gen g, const struct event *ev)
{
	int done[FIELD_PARENTS] = {0};

	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
	yajl_gen_map_open(g);
	for (int f = 0; f < F__MAX; f++) {
		int pi = field_parent_index(field_table[f].parent);

		if (!renders(ev, f))
			continue;
		if (pi < 0) {
			yajl_field(g, ev, f);
			continue;
		}
		if (done[pi])
			continue;
		done[pi] = 1;
		yajl_gen_string(g, (const unsigned char *)field_parents[pi],
				strlen(field_parents[pi]));
		yajl_gen_map_open(g);
		for (int m = f; m < F__MAX; m++)
			if (field_parent_index(field_table[m].parent) == pi && renders(ev, m))
				yajl_field(g, ev, m);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}

/* Parses s back with json-c and compares it with ref; 0 when equal. */
static int same(struct json_object *ref, const char *s, size_t len)
{
	struct json_object *o = json_tokener_parse(s);
	int eq = o && json_object_equal(ref, o);

	(void)len;
	json_object_put(o);
	return eq ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct engine e;
	struct event_jsonc *jc = NULL;
	long long ns[E__MAX] = {0};
	size_t bytes = 0, events = 0, mismatches = 0;
	static char line[1 << 16], copy[1 << 20];
	yajl_gen g = yajl_gen_alloc(NULL);
	FILE *f;

	if (argc < 3 || !g) {
		fprintf(stderr, "usage: %s RULES.yaml BODIES.log\n", argv[0]);
		return 2;
	}
	if (engine_open(&e, argv[1]) < 0 || event_jsonc_new(&jc) < 0 ||
	    !(f = fopen(argv[2], "r"))) {
		fprintf(stderr, "json_libs: cannot set up the engine or read %s\n", argv[2]);
		return 1;
	}
	for (size_t i = 0; fgets(line, sizeof(line), f); i++) {
		size_t n = strcspn(line, "\n");
		struct record rec = {.msg = line,
				     .len = n,
				     .seq = i + 1,
				     .realtime_usec = 1700000000000000 + (long long)i,
				     .pid = 1234,
				     .priority = -1};
		const char *js, *ys;
		size_t jl, yl;
		long long t;

		line[n] = '\0';
		event_reset(&e.ev);
		if (normalize_record(e.norm, &rec, &e.ev) <= 0)
			continue;
		correlate_event(e.corr, &e.ev);

		t = now_ns();
		if (event_json_render(e.w, &e.ev, &js, &jl) < 0)
			continue;
		ns[E_WRITER] += now_ns() - t;

		const char *rs;
		size_t rl;

		t = now_ns();
		if (event_jsonc_render(jc, &e.ev, &rs, &rl) < 0)
			continue;
		ns[E_JSONC_REUSED] += now_ns() - t;

		t = now_ns();
		struct json_object *jo = json_tree(&e.ev);
		size_t fl;
		const char *fs = json_object_to_json_string_length(jo, JSON_C_TO_STRING_PLAIN, &fl);
		ns[E_JSONC_FRESH] += now_ns() - t;

		t = now_ns();
		yajl_event(g, &e.ev);
		yajl_gen_get_buf(g, (const unsigned char **)&ys, &yl);
		ns[E_YAJL] += now_ns() - t;

		t = now_ns();
		size_t fjl;
		const char *fjs = fjson_render(&e.ev, &fjl);
		ns[E_FASTJSON] += now_ns() - t;

		t = now_ns();
		if (jl < sizeof(copy))
			memcpy(copy, js, jl);
		ns[E_COPY] += now_ns() - t;

		if (events < 2000) {
			struct json_object *ref = json_tokener_parse(js);

			mismatches += same(ref, rs, rl) < 0;
			mismatches += same(ref, fs, fl) < 0;
			mismatches += same(ref, ys, yl) < 0;
			mismatches += same(ref, fjs, fjl) < 0;
			json_object_put(ref);
		}
		json_object_put(jo);
		bytes += jl;
		events++;
	}
	fclose(f);
	if (events == 0) {
		fprintf(stderr, "json_libs: no events\n");
		return 1;
	}
	printf("figure: json_events %zu\n", events);
	printf("figure: json_bytes_per_event %.0f\n", (double)bytes / (double)events);
	for (int e = 0; e < E__MAX; e++)
		printf("figure: json_%s_ns_per_event %.0f\n", enc_name[e],
		       (double)ns[e] / (double)events);
	printf("figure: json_outputs_differing %zu\n", mismatches);
	yajl_gen_free(g);
	event_jsonc_free(jc);
	engine_close(&e);
	return mismatches ? 1 : 0;
}
