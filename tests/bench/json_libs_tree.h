/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For json_libs.c and json_libs_fj.c: an event as a fresh tree of one
 * json-c-like library (json-c, or libfastjson whose headers rename json-c's
 * symbols, hence two translation units). BUILD_TREE(PFX, OBJ) defines
 * PFX_tree(ev).
 */
#ifndef JSON_LIBS_TREE_H
#define JSON_LIBS_TREE_H

#include <stdlib.h>
#include <string.h>

#include "event.h"

/* Whether field f goes out: present, and text not empty (as event_json.c). */
static inline int renders(const struct event *ev, int f)
{
	if (!event_has(ev, f))
		return 0;
	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
	case FT_BOOL:
		return 1;
	default:
		return ev->v[f].len > 0;
	}
}

/* The same event as a fresh tree: json-c here, libfastjson in json_libs_fj.c. */
#define BUILD_TREE(PFX, OBJ)                                                                       \
	static struct OBJ *PFX##_value(const struct event *ev, int f)                              \
	{                                                                                          \
		const char *s = ev->text + ev->v[f].off;                                           \
		switch (field_table[f].type) {                                                     \
		case FT_INT:                                                                       \
		case FT_PORT:                                                                      \
			return PFX##_object_new_int64(ev->v[f].num);                               \
		case FT_BOOL:                                                                      \
			return PFX##_object_new_boolean(ev->v[f].num != 0);                        \
		case FT_NUMBER: /* the decimal as captured, like event_json.c */                   \
			return PFX##_object_new_double_s(strtod(s, NULL), s);                      \
		case FT_LIST: {                                                                    \
			struct OBJ *a = PFX##_object_new_array();                                  \
			for (const char *p = s, *e = s + ev->v[f].len; p < e;) {                   \
				const char *c = memchr(p, ',', (size_t)(e - p));                   \
				size_t l = c ? (size_t)(c - p) : (size_t)(e - p);                  \
				if (l)                                                             \
					PFX##_object_array_add(                                    \
					    a, PFX##_object_new_string_len(p, (int)l));            \
				p += l + 1;                                                        \
			}                                                                          \
			return a;                                                                  \
		}                                                                                  \
		default:                                                                           \
			return PFX##_object_new_string_len(s, (int)ev->v[f].len);                  \
		}                                                                                  \
	}                                                                                          \
	static struct OBJ *PFX##_tree(const struct event *ev)                                      \
	{                                                                                          \
		struct OBJ *top = PFX##_object_new_object(), *sub[FIELD_PARENTS] = {NULL};         \
		for (int f = 0; f < F__MAX; f++) {                                                 \
			int pi = field_parent_index(field_table[f].parent);                        \
			if (!renders(ev, f))                                                       \
				continue;                                                          \
			if (pi >= 0 && !sub[pi]) {                                                 \
				sub[pi] = PFX##_object_new_object();                               \
				PFX##_object_object_add(top, field_parents[pi], sub[pi]);          \
			}                                                                          \
			PFX##_object_object_add(pi >= 0 ? sub[pi] : top, field_table[f].key,       \
						PFX##_value(ev, f));                               \
		}                                                                                  \
		return top;                                                                        \
	}

#endif
