/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enrich: section's structured keys: enrich.labels (name: value) and
 * enrich.cidr_maps (a list of {name, entries: {CIDR: label}, file}), and the
 * options the enrichment stage gets from them. The CIDRs themselves are
 * checked by enrich_new, which also reads the map files, so that one place
 * reports a bad prefix wherever it was written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "config_enrich.h"
#include "util.h"

#define VALUE_MAX 256 /* a label or a map label */
#define PATH_MAX_LEN 4096

static void pairs_free(struct enrich_pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
}

/* A value the event can carry as it is: no control characters (the map's separators). */
static bool value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/*
 * A mapping of scalar -> scalar into out[0..max); keys must be map keys
 * (event_map_key_valid) when as_keys. Returns the count, or -1 after an error.
 */
static long parse_pairs(struct config_yaml *y, const char *name, const yaml_node_t *n,
			struct enrich_pair *out, size_t max, bool as_keys)
{
	size_t got = 0;
	unsigned errors = y->n_errors;

	if (n->type != YAML_MAPPING_NODE) {
		config_yaml_error(y, n->start_mark, "%s: expected a mapping, got %s", name,
				  config_yaml_kind(n));
		return -1;
	}
	if (config_yaml_too_big(y, name, n, max))
		return -1;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *kn = config_yaml_node(y, p->key), *vn = config_yaml_node(y, p->value);
		const char *k, *v;

		char sub[VALUE_MAX + 128];

		if (!config_yaml_string(y, name, kn, VALUE_MAX))
			continue;
		k = config_yaml_scalar(kn);
		snprintf(sub, sizeof(sub), "%s.%s", name, k);
		if (config_yaml_duplicate(y, n, p, sub))
			continue;
		if (as_keys && !event_map_key_valid(k, strlen(k))) {
			config_yaml_error(y, kn->start_mark,
					  "%s: '%s': a name is 1 to %d letters, digits, '_', '.' or '-'",
					  name, k, EVENT_MAP_KEY_MAX);
			continue;
		}
		if (!config_yaml_string(y, name, vn, VALUE_MAX))
			continue;
		v = config_yaml_scalar(vn);
		if (!value_ok(v)) {
			config_yaml_error(y, vn->start_mark, "%s.%s: control characters", name, k);
			continue;
		}
		out[got] = (struct enrich_pair){.key = strdup(k),
						.value = strdup(v),
						.line = (unsigned)kn->start_mark.line + 1};
		if (!out[got].key || !out[got].value) {
			config_yaml_error(y, kn->start_mark, "%s: out of memory", name);
			pairs_free(out, got + 1);
			return -1;
		}
		got++;
	}
	if (y->n_errors != errors) {
		pairs_free(out, got);
		return -1;
	}
	return (long)got;
}

void config_enrich_free_labels(struct config *cfg)
{
	pairs_free(cfg->enrich.labels, cfg->enrich.n_labels);
	cfg->enrich.n_labels = 0;
}

void config_enrich_parse_labels(struct config_yaml *y, const char *name, const yaml_node_t *n,
				struct config *cfg)
{
	struct enrich_pair list[CONFIG_LABELS_MAX];
	long got;

	if (config_yaml_is_null(n)) {
		config_enrich_free_labels(cfg);
		return;
	}
	got = parse_pairs(y, name, n, list, CONFIG_LABELS_MAX, true);
	if (got < 0)
		return;
	config_enrich_free_labels(cfg);
	memcpy(cfg->enrich.labels, list, (size_t)got * sizeof(list[0]));
	cfg->enrich.n_labels = (size_t)got;
}

static void map_free(struct config_cidr_map *m)
{
	free(m->name);
	free(m->file);
	pairs_free(m->entries, m->n_entries);
	free(m->entries);
	*m = (struct config_cidr_map){0};
}

void config_enrich_free_cidr_maps(struct config *cfg)
{
	for (size_t i = 0; i < cfg->enrich.n_cidr_maps; i++)
		map_free(&cfg->enrich.cidr_maps[i]);
	cfg->enrich.n_cidr_maps = 0;
}

/* One item of enrich.cidr_maps: {name, entries, file}; false after an error. */
static bool parse_map(struct config_yaml *y, const char *name, const yaml_node_t *n,
		      struct config_cidr_map *m)
{
	unsigned errors = y->n_errors;

	if (n->type != YAML_MAPPING_NODE) {
		config_yaml_error(y, n->start_mark, "%s: expected {name, entries, file}, got %s",
				  name, config_yaml_kind(n));
		return false;
	}
	m->line = (unsigned)n->start_mark.line + 1;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *kn = config_yaml_node(y, p->key), *vn = config_yaml_node(y, p->value);
		const char *key = kn->type == YAML_SCALAR_NODE ? config_yaml_scalar(kn) : "";
		char sub[160];

		snprintf(sub, sizeof(sub), "%s.%s", name, key);
		if (config_yaml_duplicate(y, n, p, sub))
			continue;
		if (strcmp(key, "name") == 0 && config_yaml_string(y, sub, vn, EVENT_MAP_KEY_MAX)) {
			if (!event_map_key_valid(config_yaml_scalar(vn), strlen(config_yaml_scalar(vn))))
				config_yaml_error(y, vn->start_mark,
						  "%s: a name is letters, digits, '_', '.' or '-'", sub);
			else
				m->name = strdup(config_yaml_scalar(vn));
		} else if (strcmp(key, "file") == 0 && config_yaml_string(y, sub, vn, PATH_MAX_LEN)) {
			m->file = strdup(config_yaml_scalar(vn));
		} else if (strcmp(key, "entries") == 0) {
			long got;

			m->entries = calloc(CONFIG_CIDR_ENTRIES_MAX, sizeof(*m->entries));
			if (!m->entries) {
				config_yaml_error(y, vn->start_mark, "%s: out of memory", sub);
				continue;
			}
			got = parse_pairs(y, sub, vn, m->entries, CONFIG_CIDR_ENTRIES_MAX, false);
			m->n_entries = got > 0 ? (size_t)got : 0;
		} else if (strcmp(key, "name") != 0 && strcmp(key, "file") != 0) {
			config_yaml_error(y, kn->start_mark, "unknown key '%s'", sub);
		}
	}
	if (y->n_errors == errors && !m->name)
		config_yaml_error(y, n->start_mark, "%s: missing name", name);
	else if (y->n_errors == errors && !m->file && !m->n_entries)
		config_yaml_error(y, n->start_mark, "%s: needs entries or a file", name);
	return y->n_errors == errors;
}

void config_enrich_parse_cidr_maps(struct config_yaml *y, const char *name, const yaml_node_t *n,
				   struct config *cfg)
{
	struct config_cidr_map list[CONFIG_CIDR_MAPS_MAX] = {{0}};
	size_t count;
	bool ok = true;

	if (config_yaml_is_null(n)) {
		config_enrich_free_cidr_maps(cfg);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		config_yaml_error(y, n->start_mark, "%s: expected a list of {name, entries, file}, got %s",
				  name, config_yaml_kind(n));
		return;
	}
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > CONFIG_CIDR_MAPS_MAX) {
		config_yaml_error(y, n->start_mark, "%s: more than %d maps (%zu)", name,
				  CONFIG_CIDR_MAPS_MAX, count);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		char item[96];

		snprintf(item, sizeof(item), "%s[%zu]", name, i);
		ok = parse_map(y, item, config_yaml_node(y, n->data.sequence.items.start[i]),
			       &list[i]) &&
		     ok;
		for (size_t j = 0; ok && j < i; j++)
			if (strcmp(list[j].name, list[i].name) == 0) {
				config_yaml_error(y, n->start_mark, "%s: two maps named '%s'", name,
						  list[i].name);
				ok = false;
			}
	}
	if (!ok) {
		for (size_t i = 0; i < count; i++)
			map_free(&list[i]);
		return;
	}
	config_enrich_free_cidr_maps(cfg);
	memcpy(cfg->enrich.cidr_maps, list, count * sizeof(list[0]));
	cfg->enrich.n_cidr_maps = count;
}

/* The meanings file: as set, or beside the first rule file, or none. */
static const char *meanings_path(const struct config *cfg, char *buf)
{
	const char *m = cfg->enrich.error_meanings, *slash;

	if (m)
		return strcmp(m, "none") == 0 ? NULL : m;
	if (!cfg->rules.n)
		return NULL;
	slash = strrchr(cfg->rules.v[0], '/');
	snprintf(buf, PATH_MAX, "%.*s%s", slash ? (int)(slash - cfg->rules.v[0] + 1) : 0,
		 cfg->rules.v[0], "error-codes.yaml");
	return access(buf, F_OK) == 0 ? buf : NULL;
}

void config_enrich_options(const struct config *cfg, struct enrich_opts *ret,
			   struct enrich_map_opts *maps, char *meanings)
{
	const typeof(cfg->enrich) *e = &cfg->enrich;

	for (size_t i = 0; i < e->n_cidr_maps; i++)
		maps[i] = (struct enrich_map_opts){
		    .name = e->cidr_maps[i].name,
		    .file = e->cidr_maps[i].file,
		    .entries = e->cidr_maps[i].entries,
		    .n_entries = e->cidr_maps[i].n_entries,
		    .line = e->cidr_maps[i].line,
		};
	*ret = (struct enrich_opts){
	    .config_path = cfg->path,
	    .labels = e->labels,
	    .n_labels = e->n_labels,
	    .maps = maps,
	    .n_maps = e->n_cidr_maps,
	    .country_db = e->country_db,
	    .asn_db = e->asn_db,
	    .error_meanings = meanings_path(cfg, meanings),
	};
}
