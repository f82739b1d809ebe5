/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration loader. One descriptor table (config_keys[], in
 * config_keys.c) names every key by its dotted path, its type, default,
 * range and place in struct config; defaults, loading, freeing and the
 * documentation check all walk that table. The file (at most 1 MiB) is checked for nesting
 * depth with libyaml's event API, then read with its document API, and
 * every problem is reported with its FILE:LINE:COL in one pass; the typed
 * node readers are in config_yaml.c.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "config_enrich.h"
#include "config_keys.h"
#include "config_yaml.h"
#include "syslog_parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CONFIG_FILE_MAX	 (1024 * 1024) /* bytes of YAML read at most */
#define CONFIG_STR_MAX	 4096	       /* bytes in one string value */
#define CONFIG_NAME_MAX	 128	       /* bytes in a dotted key name */
#define CONFIG_FIELD_MAX 64	       /* bytes in a redact.fields name */
#define CONFIG_HOST_MAX	 255	       /* bytes in a collector host name */
#define CONFIG_DEPTH_MAX 16	       /* nesting of mappings and lists */
#define CONFIG_PAIRS_MAX 256	       /* keys in one mapping */
#define COLLECTOR_PORT	 6514	       /* RFC 5425 */
#define RELP_PORT	 20514	       /* rsyslog's imrelp examples; RELP has no assigned port */

/* Identities are pseudonymized, the raw line is dropped, addresses are kept. */
static const struct {
	const char *field;
	enum redact_action action;
} def_redact_fields[] = {
    {"peer_id", REDACT_HASH},	   {"local_id", REDACT_HASH},	  {"initiator_id", REDACT_HASH},
    {"responder_id", REDACT_HASH}, {"cert_subject", REDACT_HASH}, {"cert_issuer", REDACT_HASH},
    {"username", REDACT_HASH},	   {"message", REDACT_DROP},
};

#define N_KEYS config_n_keys

/* The state of one load: where errors go and where each key was set. */
struct loader {
	struct config_yaml y; /* the document, the file name, the diags */
	struct config *cfg;
	bool set[CONFIG_KEYS_MAX];
	yaml_mark_t mark[CONFIG_KEYS_MAX]; /* of the value, where set[] */
};

void config_foreach_key(void (*fn)(const char *key, void *userdata), void *userdata)
{
	for (size_t i = 0; i < N_KEYS; i++)
		fn(config_keys[i].key, userdata);
}

static void *field_ptr(struct config *cfg, const struct config_key *k)
{
	return (char *)cfg + k->offset;
}

static void list_clear(struct str_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	*l = (struct str_list){0};
}

static void collectors_clear(struct config *cfg)
{
	for (size_t i = 0; i < cfg->output.n_collectors; i++)
		free(cfg->output.collectors[i].host);
	memset(cfg->output.collectors, 0, sizeof(cfg->output.collectors));
	cfg->output.n_collectors = 0;
}

static void redact_fields_clear(struct config *cfg)
{
	for (size_t i = 0; i < cfg->redact.n_fields; i++)
		free(cfg->redact.fields[i].field);
	memset(cfg->redact.fields, 0, sizeof(cfg->redact.fields));
	cfg->redact.n_fields = 0;
}

/* Sets or overrides the action of one field; -ENOSPC when the table is full. */
static int redact_field_set(struct config *cfg, const char *field, enum redact_action action)
{
	char *copy;

	for (size_t i = 0; i < cfg->redact.n_fields; i++) {
		if (strcmp(cfg->redact.fields[i].field, field) == 0) {
			cfg->redact.fields[i].action = action;
			return 0;
		}
	}
	if (cfg->redact.n_fields >= ARRAY_SIZE(cfg->redact.fields))
		return -ENOSPC;
	copy = strdup(field);
	if (!copy)
		return -ENOMEM;
	cfg->redact.fields[cfg->redact.n_fields++] =
	    (struct config_redact_field){.field = copy, .action = action};
	return 0;
}

static void key_default(struct config *cfg, const struct config_key *k)
{
	void *p = field_ptr(cfg, k);

	switch (k->type) {
	case KT_BOOL:
		*(bool *)p = k->def_bool;
		break;
	case KT_UINT:
		*(unsigned *)p = k->def_uint;
		break;
	case KT_ENUM:
		*(int *)p = (int)k->def_uint;
		break;
	case KT_STRING:
		*(char **)p = k->def_str ? strdup(k->def_str) : NULL;
		break;
	case KT_LIST: {
		struct str_list *l = p;

		*l = (struct str_list){0};
		for (size_t i = 0; k->def_list && k->def_list[i] && l->n < CONFIG_LIST_MAX; i++) {
			l->v[l->n] = strdup(k->def_list[i]);
			if (l->v[l->n])
				l->n++;
		}
		break;
	}
	case KT_COLLECTORS:
		cfg->output.n_collectors = 0;
		break;
	case KT_LABELS:
		cfg->enrich.n_labels = 0;
		break;
	case KT_CIDR_MAPS:
		cfg->enrich.n_cidr_maps = 0;
		break;
	case KT_REDACT_FIELDS:
		cfg->redact.n_fields = 0;
		for (size_t i = 0; i < ARRAY_SIZE(def_redact_fields); i++)
			(void)redact_field_set(cfg, def_redact_fields[i].field,
					       def_redact_fields[i].action);
		break;
	}
}

static void key_free(struct config *cfg, const struct config_key *k)
{
	void *p = field_ptr(cfg, k);

	switch (k->type) {
	case KT_STRING:
		free(*(char **)p);
		*(char **)p = NULL;
		break;
	case KT_LIST:
		list_clear(p);
		break;
	case KT_COLLECTORS:
		collectors_clear(cfg);
		break;
	case KT_REDACT_FIELDS:
		redact_fields_clear(cfg);
		break;
	case KT_LABELS:
		config_enrich_free_labels(cfg);
		break;
	case KT_CIDR_MAPS:
		config_enrich_free_cidr_maps(cfg);
		break;
	default:
		break;
	}
}

void config_defaults(struct config *cfg)
{
	*cfg = (struct config){0};
	for (size_t i = 0; i < N_KEYS; i++)
		key_default(cfg, &config_keys[i]);
}

void config_done(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < N_KEYS; i++)
		key_free(cfg, &config_keys[i]);
	free(cfg->path);
	*cfg = (struct config){0};
}

/* A string value; null unsets it. */
static void parse_string(struct loader *l, const struct config_key *k, const yaml_node_t *n,
			 char **field)
{
	char *copy = NULL;

	/* null, "" and '' all unset a string. */
	if (!config_yaml_is_null(n) && !(n->type == YAML_SCALAR_NODE && !*config_yaml_scalar(n))) {
		if (!config_yaml_string(&l->y, k->key, n, CONFIG_STR_MAX))
			return;
		if (k->choices) {
			size_t i;

			for (i = 0; k->choices[i]; i++)
				if (strcmp(config_yaml_scalar(n), k->choices[i]) == 0)
					break;
			if (!k->choices[i]) {
				config_yaml_error(&l->y, n->start_mark, "%s: unknown value '%.64s'",
						  k->key, config_yaml_scalar(n));
				return;
			}
		}
		copy = strdup(config_yaml_scalar(n));
		if (!copy) {
			config_yaml_error(&l->y, n->start_mark, "%s: out of memory", k->key);
			return;
		}
	} else if (k->choices) {
		config_yaml_error(&l->y, n->start_mark, "%s: expected a string, got nothing",
				  k->key);
		return;
	}
	free(*field);
	*field = copy;
}

/* A list of strings; replaces the default only when every item is valid. */
static void parse_list(struct loader *l, const char *name, const yaml_node_t *n,
		       struct str_list *field)
{
	struct str_list list = {0};
	yaml_node_item_t *it;
	size_t count;
	bool ok = true;

	if (config_yaml_is_null(n)) {
		list_clear(field);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		config_yaml_error(&l->y, n->start_mark, "%s: expected a list of strings, got %s",
				  name, config_yaml_kind(n));
		return;
	}
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > CONFIG_LIST_MAX) {
		it = n->data.sequence.items.start + CONFIG_LIST_MAX;
		config_yaml_error(&l->y, config_yaml_node(&l->y, *it)->start_mark,
				  "%s: more than %d items (%zu)", name, CONFIG_LIST_MAX, count);
		return;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const yaml_node_t *item = config_yaml_node(&l->y, *it);
		char item_name[CONFIG_NAME_MAX + 16];

		snprintf(item_name, sizeof(item_name), "%s[%zu]", name,
			 (size_t)(it - n->data.sequence.items.start));
		if (!config_yaml_string(&l->y, item_name, item, CONFIG_STR_MAX)) {
			ok = false;
			continue;
		}
		list.v[list.n] = strdup(config_yaml_scalar(item));
		if (!list.v[list.n]) {
			config_yaml_error(&l->y, item->start_mark, "%s: out of memory", item_name);
			ok = false;
			continue;
		}
		list.n++;
	}
	if (!ok) {
		list_clear(&list);
		return;
	}
	list_clear(field);
	*field = list;
}

static void parse_collector(struct loader *l, const char *name, const yaml_node_t *n,
			    struct config_collector *ret)
{
	const yaml_node_t *host = NULL;
	unsigned port = 0; /* the output type's default, filled in by cross_checks */
	bool ok = true;

	if (n->type != YAML_MAPPING_NODE) {
		config_yaml_error(&l->y, n->start_mark,
				  "%s: expected a mapping {host, port}, got %s", name,
				  config_yaml_kind(n));
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *kn = config_yaml_node(&l->y, p->key),
				  *vn = config_yaml_node(&l->y, p->value);
		const char *key = kn->type == YAML_SCALAR_NODE ? config_yaml_scalar(kn) : "";
		char sub[2 * CONFIG_NAME_MAX + 32];

		snprintf(sub, sizeof(sub), "%s.%.*s", name, CONFIG_NAME_MAX, key);
		if (strcmp(key, "host") == 0) {
			if (config_yaml_string(&l->y, sub, vn, CONFIG_HOST_MAX))
				host = vn;
			else
				ok = false;
		} else if (strcmp(key, "port") == 0) {
			if (!config_yaml_uint(&l->y, sub, vn, 1, 65535, &port))
				ok = false;
		} else {
			config_yaml_error(&l->y, kn->start_mark, "unknown key '%s'", sub);
			ok = false;
		}
	}
	if (!host) {
		if (ok)
			config_yaml_error(&l->y, n->start_mark, "%s: missing host", name);
		return;
	}
	if (!ok)
		return;
	ret->host = strdup(config_yaml_scalar(host));
	ret->port = port;
	if (!ret->host)
		config_yaml_error(&l->y, n->start_mark, "%s: out of memory", name);
}

/* The collector list; replaces the previous one only when every entry is valid. */
static void parse_collectors(struct loader *l, const char *name, const yaml_node_t *n)
{
	struct config *cfg = l->cfg;
	struct config_collector list[ARRAY_SIZE(cfg->output.collectors)] = {{0}};
	size_t count, got = 0;
	unsigned errors = l->y.n_errors;

	if (config_yaml_is_null(n)) {
		collectors_clear(cfg);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		config_yaml_error(&l->y, n->start_mark,
				  "%s: expected a list of {host, port}, got %s", name,
				  config_yaml_kind(n));
		return;
	}
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > ARRAY_SIZE(list)) {
		config_yaml_error(
		    &l->y,
		    config_yaml_node(&l->y, n->data.sequence.items.start[ARRAY_SIZE(list)])
			->start_mark,
		    "%s: more than %zu items (%zu)", name, ARRAY_SIZE(list), count);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		char item_name[CONFIG_NAME_MAX + 16];

		snprintf(item_name, sizeof(item_name), "%s[%zu]", name, i);
		parse_collector(l, item_name,
				config_yaml_node(&l->y, n->data.sequence.items.start[i]),
				&list[got]);
		if (list[got].host)
			got++;
	}
	if (l->y.n_errors != errors) {
		for (size_t i = 0; i < got; i++)
			free(list[i].host);
		return;
	}
	collectors_clear(cfg);
	memcpy(cfg->output.collectors, list, sizeof(list));
	cfg->output.n_collectors = got;
}

/* redact.fields: field name -> action, merged over the defaults. */
static void parse_redact_fields(struct loader *l, const char *name, const yaml_node_t *n)
{
	if (config_yaml_is_null(n))
		return;
	if (n->type != YAML_MAPPING_NODE) {
		config_yaml_error(&l->y, n->start_mark,
				  "%s: expected a mapping of field: action, got %s", name,
				  config_yaml_kind(n));
		return;
	}
	if (config_yaml_too_big(&l->y, name, n, CONFIG_PAIRS_MAX))
		return;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *kn = config_yaml_node(&l->y, p->key),
				  *vn = config_yaml_node(&l->y, p->value);
		char sub[CONFIG_NAME_MAX + CONFIG_FIELD_MAX + 2];
		int action;
		int r;

		if (!config_yaml_string(&l->y, name, kn, CONFIG_FIELD_MAX))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", name, config_yaml_scalar(kn));
		if (config_yaml_duplicate(&l->y, n, p, sub))
			continue;
		if (!config_yaml_enum(&l->y, sub, vn, redact_action_names, REDACT__MAX, &action))
			continue;
		r = redact_field_set(l->cfg, config_yaml_scalar(kn), (enum redact_action)action);
		if (r == -ENOSPC)
			config_yaml_error(&l->y, kn->start_mark, "%s: more than %zu fields", name,
					  ARRAY_SIZE(l->cfg->redact.fields));
		else if (r < 0)
			config_yaml_error(&l->y, kn->start_mark, "%s: out of memory", sub);
	}
}

static void parse_value(struct loader *l, size_t idx, const yaml_node_t *n)
{
	const struct config_key *k = &config_keys[idx];
	void *p = field_ptr(l->cfg, k);
	unsigned errors = l->y.n_errors;

	switch (k->type) {
	case KT_BOOL: {
		bool b;

		if (config_yaml_bool(&l->y, k->key, n, &b))
			*(bool *)p = b;
		break;
	}
	case KT_UINT: {
		unsigned u;

		if (config_yaml_uint(&l->y, k->key, n, k->min, k->max, &u))
			*(unsigned *)p = u;
		break;
	}
	case KT_ENUM: {
		int e;

		if (config_yaml_enum(&l->y, k->key, n, k->names, k->n_names, &e))
			*(int *)p = e;
		break;
	}
	case KT_STRING:
		parse_string(l, k, n, p);
		break;
	case KT_LIST:
		parse_list(l, k->key, n, p);
		break;
	case KT_COLLECTORS:
		parse_collectors(l, k->key, n);
		break;
	case KT_REDACT_FIELDS:
		parse_redact_fields(l, k->key, n);
		break;
	case KT_LABELS:
		config_enrich_parse_labels(&l->y, k->key, n, l->cfg);
		break;
	case KT_CIDR_MAPS:
		config_enrich_parse_cidr_maps(&l->y, k->key, n, l->cfg);
		break;
	}
	if (l->y.n_errors == errors) {
		l->set[idx] = true;
		l->mark[idx] = n->start_mark;
	}
}

static const struct config_key *find_key(const char *name, size_t *ret_idx)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(config_keys[i].key, name) == 0) {
			*ret_idx = i;
			return &config_keys[i];
		}
	}
	return NULL;
}

/* A section is a dotted prefix of some key: "source", "source.journal". */
static bool is_section(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < N_KEYS; i++)
		if (strncmp(config_keys[i].key, name, len) == 0 && config_keys[i].key[len] == '.')
			return true;
	return false;
}

static void walk_map(struct loader *l, const yaml_node_t *map, const char *prefix)
{
	if (config_yaml_too_big(&l->y, prefix, map, CONFIG_PAIRS_MAX))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *kn = config_yaml_node(&l->y, p->key),
				  *vn = config_yaml_node(&l->y, p->value);
		char name[CONFIG_NAME_MAX];
		size_t idx;
		int len;

		if (kn->type != YAML_SCALAR_NODE || config_yaml_is_null(kn)) {
			config_yaml_error(&l->y, kn->start_mark, "%s%sexpected a key name, got %s",
					  prefix, *prefix ? ": " : "", config_yaml_kind(kn));
			continue;
		}
		len = snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
			       config_yaml_scalar(kn));
		/* A dot inside a key would let "limits.in_flight" skip its section. */
		if (len < 0 || (size_t)len >= sizeof(name) || strchr(config_yaml_scalar(kn), '.') ||
		    strlen(config_yaml_scalar(kn)) != kn->data.scalar.length ||
		    (!find_key(name, &idx) && !is_section(name))) {
			config_yaml_error(&l->y, kn->start_mark, "unknown key '%.*s'",
					  CONFIG_NAME_MAX, name);
			continue;
		}
		if (config_yaml_duplicate(&l->y, map, p, name))
			continue;
		if (find_key(name, &idx))
			parse_value(l, idx, vn);
		else if (vn->type == YAML_MAPPING_NODE)
			walk_map(l, vn, name);
		else if (!config_yaml_is_null(vn))
			config_yaml_error(&l->y, vn->start_mark, "%s: expected a mapping, got %s",
					  name, config_yaml_kind(vn));
	}
}

static bool is_relp(enum output_type t)
{
	return t == OUTPUT_RELP || t == OUTPUT_RELP_TCP;
}

/*
 * What librelp cannot do is refused, not ignored: it verifies the
 * collector against one CA file and a name, and knows no pins or CA
 * directories.
 */
static void relp_checks(struct loader *l)
{
	const struct config *cfg = l->cfg;
	size_t type = 0, pin = 0, cadir = 0, ca = 0;

	if (!is_relp(cfg->output.type))
		return;
	find_key("output.type", &type);
	find_key("output.pin_sha256", &pin);
	find_key("output.ca_dir", &cadir);
	find_key("output.ca_file", &ca);
	if (cfg->output.pin_sha256 && *cfg->output.pin_sha256)
		config_yaml_error(&l->y, l->set[pin] ? l->mark[pin] : l->mark[type],
				  "output.pin_sha256: not available with output.type %s (librelp "
				  "checks the collector's name, not a pin); remove it",
				  output_type_name(cfg->output.type));
	if (cfg->output.ca_dir && *cfg->output.ca_dir)
		config_yaml_error(&l->y, l->set[cadir] ? l->mark[cadir] : l->mark[type],
				  "output.ca_dir: not available with output.type %s (librelp reads "
				  "one CA file); use output.ca_file",
				  output_type_name(cfg->output.type));
	if (cfg->output.type == OUTPUT_RELP && (!cfg->output.ca_file || !*cfg->output.ca_file))
		config_yaml_error(&l->y, l->set[ca] ? l->mark[ca] : l->mark[type],
				  "output.ca_file: output.type relp needs the CA that signed the "
				  "collector's certificate");
}

/*
 * Signing fails closed: a chain without a state file could not go on
 * after a restart, and one that never ratchets is not forward-secure.
 */
static void sign_checks(struct loader *l)
{
	const struct config *cfg = l->cfg;
	size_t en = 0, key = 0, st = 0, ev = 0, sec = 0;

	if (!cfg->sign.enabled)
		return;
	find_key("sign.enabled", &en);
	find_key("sign.key_file", &key);
	find_key("sign.state_file", &st);
	find_key("sign.epoch_events", &ev);
	find_key("sign.epoch_seconds", &sec);
	if (!cfg->sign.key_file || !*cfg->sign.key_file)
		config_yaml_error(&l->y, l->set[key] ? l->mark[key] : l->mark[en],
				  "sign.key_file: signing needs the key ikelogd keygen wrote");
	if (!cfg->sign.state_file || !*cfg->sign.state_file)
		config_yaml_error(&l->y, l->set[st] ? l->mark[st] : l->mark[en],
				  "sign.state_file: signing needs a state file, or a restart "
				  "could not continue the chain");
	if (cfg->sign.epoch_events == 0 && cfg->sign.epoch_seconds == 0)
		config_yaml_error(&l->y, l->set[sec] ? l->mark[sec] : l->mark[ev],
				  "sign.epoch_events and sign.epoch_seconds are both 0: the key "
				  "would never change (no forward security)");
}

/* Checks between keys, reported where the later of them was set. */
static void cross_checks(struct loader *l)
{
	const struct config *cfg = l->cfg;
	size_t lo = 0, hi = 0, type = 0, plain = 0;

	find_key("output.backoff_min_ms", &lo);
	find_key("output.backoff_max_ms", &hi);
	if (cfg->output.backoff_min_ms > cfg->output.backoff_max_ms && (l->set[lo] || l->set[hi]))
		config_yaml_error(
		    &l->y, l->set[hi] ? l->mark[hi] : l->mark[lo],
		    "output.backoff_min_ms (%u) is greater than output.backoff_max_ms (%u)",
		    cfg->output.backoff_min_ms, cfg->output.backoff_max_ms);

	find_key("output.type", &type);
	find_key("output.allow_plaintext", &plain);
	if ((cfg->output.type == OUTPUT_SYSLOG_TCP || cfg->output.type == OUTPUT_RELP_TCP) &&
	    !cfg->output.allow_plaintext && l->set[type])
		config_yaml_error(&l->y, l->mark[type],
				  "output.type: %s sends events in clear text; it needs "
				  "output.allow_plaintext: true",
				  output_type_name(cfg->output.type));
	relp_checks(l);
	sign_checks(l);
	/* A collector without a port gets its output type's. */
	for (size_t i = 0; i < l->cfg->output.n_collectors; i++)
		if (l->cfg->output.collectors[i].port == 0)
			l->cfg->output.collectors[i].port =
			    is_relp(cfg->output.type) ? RELP_PORT : COLLECTOR_PORT;
}

int config_load(const char *path, struct config *cfg, struct diags *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool parser_ok = false, doc_ok = false, extra_ok = false;
	struct loader loader = {.cfg = cfg}, *l = &loader;
	char *buf = NULL;
	size_t len = 0;
	yaml_node_t *root;
	int r;

	free(cfg->path);
	cfg->path = strdup(path);
	if (!cfg->path) {
		r = -ENOMEM;
		goto out;
	}
	r = config_yaml_read_file(path, CONFIG_FILE_MAX, &buf, &len, errs);
	if (r < 0)
		goto out;
	if (!yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		goto out;
	}
	parser_ok = true;
	l->y = (struct config_yaml){.doc = &doc, .file = path, .errs = errs};
	r = config_yaml_check_depth(&l->y, buf, len, CONFIG_DEPTH_MAX);
	if (r < 0)
		goto out;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR) {
			r = -ENOMEM;
			goto out;
		}
		config_yaml_syntax_error(&l->y, &parser, buf);
		r = -EINVAL;
		goto out;
	}
	doc_ok = true;
	root = yaml_document_get_root_node(&doc);
	if (!root || config_yaml_is_null(root)) {
		r = 0; /* an empty file: the defaults */
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		config_yaml_error(&l->y, root->start_mark,
				  "expected a mapping of keys at the top, got %s",
				  config_yaml_kind(root));
		r = -EINVAL;
		goto out;
	}
	walk_map(l, root, "");
	cross_checks(l);

	if (!yaml_parser_load(&parser, &extra)) {
		config_yaml_syntax_error(&l->y, &parser, buf);
	} else {
		extra_ok = true;
		if (yaml_document_get_root_node(&extra))
			config_yaml_error(
			    &l->y, extra.start_mark,
			    "a second YAML document; the configuration is one document");
	}
	r = l->y.n_errors ? -EINVAL : 0;
out:
	if (extra_ok)
		yaml_document_delete(&extra);
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	free(buf);
	return r;
}

int config_warnings(const struct config *cfg, unsigned long long nofile, struct diags *warns)
{
	const struct str_list *listen = &cfg->source.syslog.listen;
	bool plain = false;
	unsigned max, n = 0;

	if (cfg->source.type != SOURCE_SYSLOG)
		return 0;
	for (size_t i = 0; i < listen->n; i++)
		plain |= strncmp(listen->v[i], "tls://", 6) != 0;
	if (!cfg->source.syslog.host_from_cert) {
		diag_add(warns, cfg->path, 0, 0,
			 "warning: source.syslog.host_from_cert is off: any sender may write any "
			 "HOSTNAME and speak for another gateway");
		n++;
	} else if (plain || !cfg->source.syslog.require_client_cert) {
		diag_add(
		    warns, cfg->path, 0, 0,
		    "warning: source.syslog.host_from_cert is on: messages over tcp://, udp:// "
		    "or TLS without a client certificate will all be refused");
		n++;
	}
	max = syslog_max_connections(cfg->source.syslog.max_connections, nofile);
	if (max < cfg->source.syslog.max_connections) {
		diag_add(warns, cfg->path, 0, 0,
			 "warning: source.syslog.max_connections %u is more than the descriptor "
			 "limit %llu allows (%u kept for ikelogd's own files): at most %u",
			 cfg->source.syslog.max_connections, nofile, SYSLOG_FD_RESERVE, max);
		n++;
	}
	return (int)n;
}

/* detections (detect.h) */
void config_detect_options(const struct config *cfg, struct detect_options *ret)
{
	*ret = cfg->detect;
	ret->weak = (const char *const *)cfg->detect_weak_crypto.v;
	ret->n_weak = cfg->detect_weak_crypto.n;
}
