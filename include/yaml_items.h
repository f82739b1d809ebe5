/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_YAML_ITEMS_H
#define IKELOGD_YAML_ITEMS_H

#include <stdbool.h>

#include <yaml.h>

/*
 * A YAML stream whose root is a sequence, read one item at a time: each
 * item becomes a document of its own (with the marks of the file), so a
 * large rule file never holds the whole node tree at once (libyaml's
 * document of the 1.3 MB generated table took ~40 MB).
 */
struct yaml_items {
	yaml_parser_t *parser; /* borrowed, its input set */
	unsigned max_depth;    /* levels of sequences and mappings, the root's included */
	int state;	       /* internal: before the root, inside it, done */
	yaml_mark_t root_mark; /* where the root node starts */
	yaml_mark_t problem_mark;
	const char *problem; /* why the last call returned -EINVAL */
};

/*
 * Loads the next item of the root sequence into *doc (initialized here;
 * the caller deletes it with yaml_document_delete after a return of 1).
 * Returns 1 with an item, 0 at the end (an empty stream too), -ENOTDIR
 * when the root is not a sequence (root_mark says where), -EINVAL on a
 * YAML error or an alias (problem, problem_mark), -ELOOP when nested
 * deeper than max_depth (problem_mark), -ENOMEM. The depth is checked
 * while reading, before libyaml composes anything deeper.
 */
int yaml_items_next(struct yaml_items *it, yaml_document_t *doc);

#endif
