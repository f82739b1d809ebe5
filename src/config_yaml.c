/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed reading of libyaml document nodes for the configuration loader:
 * every problem becomes a diag at the node's FILE:LINE:COL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_yaml.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void config_yaml_error(struct config_yaml *y, yaml_mark_t m, const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(y->errs, y->file, (unsigned)m.line + 1, (unsigned)m.column + 1, "%s", msg);
	y->n_errors++;
}

yaml_node_t *config_yaml_node(struct config_yaml *y, int id)
{
	return yaml_document_get_node(y->doc, id);
}

const char *config_yaml_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* An empty value, "~" or "null", written plain: YAML's null. */
bool config_yaml_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = config_yaml_scalar(n);
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

const char *config_yaml_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		if (config_yaml_is_null(n))
			return "nothing";
		return *config_yaml_scalar(n) ? "a scalar" : "an empty string";
	}
}

/*
 * Reports n unless it is a non-empty scalar without NUL bytes. A plain
 * "null" passes: in a list it is a word (the NULL cipher); string keys
 * check config_yaml_is_null() first.
 */
bool config_yaml_string(struct config_yaml *y, const char *name, const yaml_node_t *n, size_t max)
{
	if (n->type != YAML_SCALAR_NODE || !*config_yaml_scalar(n) ||
	    (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	     strcmp(config_yaml_scalar(n), "~") == 0)) {
		config_yaml_error(y, n->start_mark, "%s: expected a string, got %s", name,
				  config_yaml_kind(n));
		return false;
	}
	if (strlen(config_yaml_scalar(n)) != n->data.scalar.length) {
		config_yaml_error(y, n->start_mark, "%s: the string contains a NUL byte", name);
		return false;
	}
	if (n->data.scalar.length > max) {
		config_yaml_error(y, n->start_mark, "%s: longer than %zu bytes", name, max);
		return false;
	}
	return true;
}

bool config_yaml_bool(struct config_yaml *y, const char *name, const yaml_node_t *n, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
									       "off"};

	if (n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (strcasecmp(config_yaml_scalar(n), yes[i]) == 0) {
				*ret = true;
				return true;
			}
			if (strcasecmp(config_yaml_scalar(n), no[i]) == 0) {
				*ret = false;
				return true;
			}
		}
		config_yaml_error(y, n->start_mark, "%s: expected true or false, got '%.64s'", name,
				  config_yaml_scalar(n));
	} else {
		config_yaml_error(y, n->start_mark, "%s: expected true or false, got %s", name,
				  config_yaml_kind(n));
	}
	return false;
}

bool config_yaml_uint(struct config_yaml *y, const char *name, const yaml_node_t *n, unsigned min,
		      unsigned max, unsigned *ret)
{
	const char *s, *digits;
	unsigned long long v = 0;
	bool overflow = false;

	if (n->type != YAML_SCALAR_NODE || config_yaml_is_null(n)) {
		config_yaml_error(y, n->start_mark, "%s: expected an unsigned integer, got %s",
				  name, config_yaml_kind(n));
		return false;
	}
	s = config_yaml_scalar(n);
	digits = (*s == '-' || *s == '+') ? s + 1 : s;
	if (!*digits || strspn(digits, "0123456789") != strlen(digits)) {
		config_yaml_error(y, n->start_mark, "%s: expected an unsigned integer, got '%.64s'",
				  name, s);
		return false;
	}
	for (const char *p = digits; *p; p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > UINT_MAX) {
			overflow = true;
			break;
		}
	}
	if (overflow || (*s == '-' && v != 0) || v < min || v > max) {
		config_yaml_error(y, n->start_mark, "%s: %.64s is out of range (%u..%u)", name, s,
				  min, max);
		return false;
	}
	*ret = (unsigned)v;
	return true;
}

bool config_yaml_enum(struct config_yaml *y, const char *name, const yaml_node_t *n,
		      const char *const *names, size_t n_names, int *ret)
{
	char allowed[DIAG_MSG_MAX / 2] = "";
	size_t len = 0;

	if (n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < n_names; i++) {
			if (strcmp(config_yaml_scalar(n), names[i]) == 0) {
				*ret = (int)i;
				return true;
			}
		}
	}
	for (size_t i = 0; i < n_names && len < sizeof(allowed); i++)
		len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s", i ? ", " : "",
					names[i]);
	if (n->type == YAML_SCALAR_NODE && !config_yaml_is_null(n))
		config_yaml_error(y, n->start_mark,
				  "%s: unknown value '%.64s', expected one of: %s", name,
				  config_yaml_scalar(n), allowed);
	else
		config_yaml_error(y, n->start_mark, "%s: expected one of: %s, got %s", name,
				  allowed, config_yaml_kind(n));
	return false;
}

/* Reads at most max bytes of path into *ret (NUL-terminated). */
int config_yaml_read_file(const char *path, size_t max, char **ret, size_t *ret_len,
			  struct diags *errs)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		diag_add(errs, path, 0, 0, "cannot open the configuration: %s", strerror(-r));
		goto out;
	}
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
		diag_add(errs, path, 0, 0, "cannot read the configuration: %s", strerror(-r));
		goto out;
	}
	buf = malloc(max + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			diag_add(errs, path, 0, 0, "cannot read the configuration: %s",
				 strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = -EFBIG;
			diag_add(errs, path, 0, 0, "the configuration is larger than %zu bytes",
				 max);
			goto out;
		}
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

/* libyaml's error, with its mark (reader errors only have a byte offset). */
void config_yaml_syntax_error(struct config_yaml *y, const yaml_parser_t *parser, const char *buf)
{
	yaml_mark_t m = parser->problem_mark;
	const char *problem = parser->problem ? parser->problem : "unknown error";

	if (parser->error == YAML_READER_ERROR) {
		m = (yaml_mark_t){0};
		for (size_t i = 0; i < parser->problem_offset && buf[i]; i++) {
			if (buf[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
		config_yaml_error(y, m, "YAML error: %s (byte %zu)", problem,
				  parser->problem_offset);
	} else if (parser->context) {
		config_yaml_error(y, m, "YAML syntax error: %s (%s at line %zu, column %zu)",
				  problem, parser->context, parser->context_mark.line + 1,
				  parser->context_mark.column + 1);
	} else {
		config_yaml_error(y, m, "YAML syntax error: %s", problem);
	}
}
bool config_yaml_duplicate(struct config_yaml *y, const yaml_node_t *map,
			   const yaml_node_pair_t *pair, const char *name)
{
	const yaml_node_t *key = config_yaml_node(y, pair->key);

	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
		const yaml_node_t *prev = config_yaml_node(y, q->key);

		if (prev->type == YAML_SCALAR_NODE && key->type == YAML_SCALAR_NODE &&
		    strcmp(config_yaml_scalar(prev), config_yaml_scalar(key)) == 0) {
			config_yaml_error(y, key->start_mark, "duplicate key '%s'", name);
			return true;
		}
	}
	return false;
}

int config_yaml_check_depth(struct config_yaml *y, const char *buf, size_t len, unsigned max)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned depth = 0;
	bool end = false;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	/* A syntax error ends the walk quietly: the document load reports it. */
	while (!end && r == 0 && yaml_parser_parse(&parser, &ev)) {
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > max) {
				config_yaml_error(y, ev.start_mark, "nested deeper than %u levels",
						  max);
				r = -EINVAL;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
			   ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return r;
}

bool config_yaml_too_big(struct config_yaml *y, const char *name, const yaml_node_t *map,
			 size_t max)
{
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);

	if (n <= max)
		return false;
	config_yaml_error(y, map->start_mark, "%s%smore than %zu keys (%zu)", name,
			  *name ? ": " : "", max, n);
	return true;
}
