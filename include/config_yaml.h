/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CONFIG_YAML_H
#define IKELOGD_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "diag.h"

/*
 * Typed reading of libyaml document nodes, for the configuration loader
 * (config.c; the rules loader uses the depth check): each reader checks one node and, when it is
 * not what the key wants, adds a diag at the node's FILE:LINE:COL (1-based) that names the key, and
 * returns false leaving *ret untouched.
 */
struct config_yaml {
	yaml_document_t *doc; /* borrowed */
	const char *file;     /* for the diags */
	struct diags *errs;
	unsigned n_errors; /* diags added, even past DIAG_MAX */
};

/* Adds one diag at mark m (libyaml's 0-based mark, reported 1-based). */
void config_yaml_error(struct config_yaml *y, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The node with this id in the document; the scalar text of a scalar node. */
yaml_node_t *config_yaml_node(struct config_yaml *y, int id);
const char *config_yaml_scalar(const yaml_node_t *n);

/* YAML's null written plain: nothing, "~", "null", "Null" or "NULL". */
bool config_yaml_is_null(const yaml_node_t *n);

/* "a mapping", "a list", "a scalar", "an empty string" or "nothing", for messages. */
const char *config_yaml_kind(const yaml_node_t *n);

/*
 * A non-empty scalar of at most max bytes without NUL bytes. A plain "null"
 * passes (in a list it is a word: the NULL cipher); callers that let null
 * unset a key check config_yaml_is_null() first.
 */
bool config_yaml_string(struct config_yaml *y, const char *name, const yaml_node_t *n, size_t max);

/* true/false, yes/no, on/off in any case. */
bool config_yaml_bool(struct config_yaml *y, const char *name, const yaml_node_t *n, bool *ret);

/* A decimal number in min..max; anything else is "out of range (min..max)" or a type error. */
bool config_yaml_uint(struct config_yaml *y, const char *name, const yaml_node_t *n, unsigned min,
		      unsigned max, unsigned *ret);

/* One of names[0..n_names), as its index; the error lists the names. */
bool config_yaml_enum(struct config_yaml *y, const char *name, const yaml_node_t *n,
		      const char *const *names, size_t n_names, int *ret);

/*
 * Reports the key of pair (named name in the message) if an earlier pair of
 * map has the same scalar key; returns true then.
 */
bool config_yaml_duplicate(struct config_yaml *y, const yaml_node_t *map,
			   const yaml_node_pair_t *pair, const char *name);

/*
 * Walks buf with libyaml's event parser and reports the first collection
 * nested deeper than max: libyaml's scanner slows down with the square of
 * the nesting depth, so the document is only loaded after this check.
 * Syntax errors are left to the document load. 0, -EINVAL or -ENOMEM.
 */
int config_yaml_check_depth(struct config_yaml *y, const char *buf, size_t len, unsigned max);

/*
 * Reports a mapping of more than max pairs (named name, "" at the top) and
 * returns true: the duplicate-key check is quadratic in the pairs.
 */
bool config_yaml_too_big(struct config_yaml *y, const char *name, const yaml_node_t *map,
			 size_t max);

/*
 * Reads at most max bytes of path into a new NUL-terminated buffer (the
 * caller frees *ret). -errno with a diag naming the file when it cannot be
 * read, -EISDIR for a directory, -EFBIG past max.
 */
int config_yaml_read_file(const char *path, size_t max, char **ret, size_t *ret_len,
			  struct diags *errs);

/* The parser's error as a diag: libyaml's problem text at its mark. */
void config_yaml_syntax_error(struct config_yaml *y, const yaml_parser_t *parser, const char *buf);

#endif
