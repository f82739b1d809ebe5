/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_EVENT_PROFILE_IMPL_H
#define IKELOGD_EVENT_PROFILE_IMPL_H

/*
 * The output plans of the profile renderer, shared by the code that builds
 * them from a profile's table (event_profile_plan.c, at start) and the
 * renderer that walks them (event_profile.c, per event).
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "profile_table.h"

#define PATH_DEPTH  6  /* dotted segments of an output path, at most */
#define TOKEN_MAX   48 /* `,"key":{` of one path segment */
#define MAX_OBJECTS 64 /* nested objects of one plan */
#define STEP_WORDS  4  /* a plan has at most 64 * STEP_WORDS steps */

struct seg {
	const char *s;
	size_t len;
};

/*
 * A key as written, `,"key":` or `,"key":{`, copied TOKEN_MAX - 1 bytes at
 * a time (the output advances by len; the comma is skipped for an object's
 * first member), as event_json.c does.
 */
struct token {
	char s[TOKEN_MAX];
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
	unsigned obj;	  /* the object it is a member of, 0 = top level */
	struct token key; /* its own key */
	size_t lit_len;
};

/* A nested object of a plan: where it is a member and how it is opened. */
struct object {
	unsigned parent;
	unsigned depth;		      /* 0 = top level */
	unsigned anc[PATH_DEPTH + 1]; /* its ancestors by depth, itself at [depth] */
	struct token open;	      /* `,"seg":{` */
	const struct seg *seg;
};

/*
 * One item as rendering reads it: small, so that walking the plan (every
 * row and field, most absent from a given event) stays in cache.
 */
struct step {
	uint8_t src;	/* enum pmap_src */
	uint8_t flags;	/* STEP_* */
	uint8_t obj;	/* the object it is a member of */
	int16_t field;	/* -1: none */
	uint16_t group; /* the first step with the same path (the items of one array) */
	uint32_t lit_len;
	const char *lit;
	const struct token *key;
};

static_assert(MAX_OBJECTS <= 256 && F__MAX < 32768, "steps hold objects and fields in small ints");

#define STEP_ARRAY 1u
#define STEP_LOWER 2u

/*
 * The bytes that go from one object of a plan to another: closing braces up
 * to the nearest object that encloses the target, then the open tokens down
 * to it (the first with its comma, the others in objects just opened
 * without). The first comma is dropped when nothing closes and the object
 * it is written in is still empty.
 */
struct move {
	uint32_t off; /* in the plan's move_text */
	uint16_t len;
	uint8_t closes, opens;
};

/*
 * The steps are found from the fields an event has, not by trying each:
 * the steps of field f are the bits of by_field[f] (a value or a literal
 * that depends on it), those of no field the bits of always.
 */
struct plan {
	struct item *v; /* as built, sorted by path */
	struct step *steps;
	size_t n;
	uint64_t always[STEP_WORDS];
	uint64_t by_field[F__MAX][STEP_WORDS];
	struct object obj[MAX_OBJECTS];
	unsigned n_obj;
	struct move *moves; /* [from * n_obj + to] */
	char *move_text;
};

/* The fallback paths a plan points into ("unmapped.transform.encr"), owned. */
struct profile_names {
	char **v;
	size_t n;
};

/*
 * Builds the plan of class c of map for one side (local_initiated: the
 * rows' path_initiator): the rows that apply to c, a fallback item under
 * map->fallback for each field no row names (its path added to names),
 * sorted by path, objects and key tokens made. Returns 0, -ENOMEM, or
 * -EINVAL for a table error (a row naming an unknown field, a path with an
 * empty segment or too deep, two values for one key, a value where an
 * object goes). p is filled as far as it got: profile_plan_done frees it.
 */
int profile_plan_build(const struct pmap *map, size_t c, bool local_initiated,
		       struct profile_names *names, struct plan *p);
void profile_plan_done(struct plan *p);

#endif
