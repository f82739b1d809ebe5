/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration loader. One descriptor table (config_keys[]) names
 * every key by its dotted path, its type, default, range and place in
 * struct config; defaults, loading, freeing and the documentation check
 * all walk that table. The file is read with libyaml's document API and
 * every problem is reported with its FILE:LINE:COL in one pass.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef DATADIR
#define DATADIR "/usr/share"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CONFIG_FILE_MAX	 (1024 * 1024) /* bytes of YAML read at most */
#define CONFIG_STR_MAX	 4096	       /* bytes in one string value */
#define CONFIG_NAME_MAX	 128	       /* bytes in a dotted key name */
#define CONFIG_FIELD_MAX 64	       /* bytes in a redact.fields name */
#define CONFIG_HOST_MAX	 255	       /* bytes in a collector host name */
#define COLLECTOR_PORT	 6514	       /* RFC 5425 */

static const char *const source_type_names[] = {
    [SOURCE_JOURNAL] = "journal",
    [SOURCE_FILE] = "file",
    [SOURCE_SYSLOG] = "syslog",
    [SOURCE_STDIN] = "stdin",
};
static_assert(ARRAY_SIZE(source_type_names) == SOURCE__MAX, "source_type_names");

static const char *const output_type_names[] = {
    [OUTPUT_SYSLOG_TLS] = "syslog-tls",
    [OUTPUT_STDOUT] = "stdout",
    [OUTPUT_FILE] = "file",
    [OUTPUT_SYSLOG_TCP] = "syslog-tcp",
};
static_assert(ARRAY_SIZE(output_type_names) == OUTPUT__MAX, "output_type_names");

static const char *const start_mode_names[] = {
    [START_TAIL] = "tail",
    [START_HEAD] = "head",
};
static_assert(ARRAY_SIZE(start_mode_names) == START__MAX, "start_mode_names");

static const char *const redact_action_names[] = {
    [REDACT_KEEP] = "keep",
    [REDACT_MASK] = "mask",
    [REDACT_HASH] = "hash",
    [REDACT_DROP] = "drop",
};
static_assert(ARRAY_SIZE(redact_action_names) == REDACT__MAX, "redact_action_names");

static const char *const log_level_names[] = {
    [LOG_LEVEL_ERR] = "err",   [LOG_LEVEL_WARNING] = "warning", [LOG_LEVEL_NOTICE] = "notice",
    [LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug",
};
static_assert(ARRAY_SIZE(log_level_names) == LOG_LEVEL__MAX, "log_level_names");

/* Syslog facilities by number, with rsyslog's names (RFC 5424 section 6.2.1). */
static const char *const facility_names[] = {
    "kern",   "user",	"mail",	    "daemon", "auth",	"syslog", "lpr",    "news",
    "uucp",   "cron",	"authpriv", "ftp",    "ntp",	"audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7",
};
static_assert(ARRAY_SIZE(facility_names) == 24, "facility_names");

/* The enums are stored through an int pointer: they must be int-sized. */
static_assert(sizeof(enum source_type) == sizeof(int), "enum size");
static_assert(sizeof(enum output_type) == sizeof(int), "enum size");
static_assert(sizeof(enum start_mode) == sizeof(int), "enum size");
static_assert(sizeof(enum log_level) == sizeof(int), "enum size");

enum key_type {
	KT_BOOL,
	KT_UINT,
	KT_STRING,
	KT_LIST,
	KT_ENUM,
	KT_COLLECTORS,
	KT_REDACT_FIELDS,
};

struct config_key {
	const char *key; /* dotted path, as the YAML nests it */
	enum key_type type;
	size_t offset; /* into struct config */
	unsigned min, max;
	unsigned def_uint; /* KT_UINT, and KT_ENUM's value */
	bool def_bool;
	const char *def_str;	     /* KT_STRING; NULL = unset */
	const char *const *def_list; /* KT_LIST, NULL-terminated; NULL = empty */
	const char *const *names;    /* KT_ENUM, indexed by value */
	size_t n_names;
	const char *const *choices; /* KT_STRING: the allowed values, NULL-terminated */
};

/*
 * A compile-time check that a field has the type its key type stores:
 * the offset gains 0 when it does, and the array size goes negative
 * (an error) when it does not.
 */
#define FIELD_IS(f, T)                                                                             \
	(0 * sizeof(char[1 - 2 * !_Generic(((struct config *)0)->f, T : 1, default : 0)]))
#define FIELD_INT(f) (0 * sizeof(char[1 - 2 * !(sizeof(((struct config *)0)->f) == sizeof(int))]))
#define OFF(f)	     offsetof(struct config, f)

#define K_BOOL(k, f, d)                                                                            \
	{                                                                                          \
		.key = k, .type = KT_BOOL, .offset = OFF(f) + FIELD_IS(f, bool), .def_bool = d     \
	}
#define K_UINT(k, f, d, lo, hi)                                                                    \
	{                                                                                          \
		.key = k, .type = KT_UINT, .offset = OFF(f) + FIELD_IS(f, unsigned),               \
		.def_uint = d, .min = lo, .max = hi                                                \
	}
#define K_STR(k, f, d)                                                                             \
	{                                                                                          \
		.key = k, .type = KT_STRING, .offset = OFF(f) + FIELD_IS(f, char *), .def_str = d  \
	}
#define K_CHOICE(k, f, d, c)                                                                       \
	{                                                                                          \
		.key = k, .type = KT_STRING, .offset = OFF(f) + FIELD_IS(f, char *), .def_str = d, \
		.choices = c                                                                       \
	}
#define K_LIST(k, f, d)                                                                            \
	{                                                                                          \
		.key = k, .type = KT_LIST, .offset = OFF(f) + FIELD_IS(f, struct str_list),        \
		.def_list = d                                                                      \
	}
#define K_ENUM(k, f, d, n)                                                                         \
	{                                                                                          \
		.key = k, .type = KT_ENUM, .offset = OFF(f) + FIELD_INT(f), .def_uint = d,         \
		.names = n, .n_names = ARRAY_SIZE(n)                                               \
	}

static const char *const def_match[] = {"SYSLOG_IDENTIFIER=pluto", NULL};
static const char *const def_listen[] = {"tls://0.0.0.0:6514", NULL};
static const char *const def_rules[] = {DATADIR "/ikelogd/rules/libreswan.yaml", NULL};
static const char *const def_weak_crypto[] = {
    "DES",	 "3DES",    "MD5",	"SHA1",	    "HMAC_MD5_96", "HMAC_SHA1_96",
    "HMAC_SHA1", "MODP768", "MODP1024", "MODP1536", "NULL",	   NULL,
};
static const char *const tls_versions[] = {"1.2", "1.3", NULL};

/* Identities are pseudonymized, the raw line is dropped, addresses are kept. */
static const struct {
	const char *field;
	enum redact_action action;
} def_redact_fields[] = {
    {"peer_id", REDACT_HASH},	   {"local_id", REDACT_HASH},	  {"initiator_id", REDACT_HASH},
    {"responder_id", REDACT_HASH}, {"cert_subject", REDACT_HASH}, {"username", REDACT_HASH},
    {"message", REDACT_DROP},
};

static const struct config_key config_keys[] = {
    K_ENUM("source.type", source.type, SOURCE_JOURNAL, source_type_names),
    K_BOOL("source.keep_debug_lines", source.keep_debug_lines, false),
    K_LIST("source.journal.match", source.journal.match, def_match),
    K_LIST("source.journal.files", source.journal.files, NULL),
    K_ENUM("source.journal.start", source.journal.start, START_TAIL, start_mode_names),
    K_STR("source.file.path", source.file.path, "/var/log/pluto.log"),
    K_ENUM("source.file.start", source.file.start, START_TAIL, start_mode_names),
    K_LIST("source.syslog.listen", source.syslog.listen, def_listen),
    K_STR("source.syslog.ca_file", source.syslog.ca_file, SYSCONFDIR "/ikelogd/ca.pem"),
    K_STR("source.syslog.cert_file", source.syslog.cert_file, SYSCONFDIR "/ikelogd/server.pem"),
    K_STR("source.syslog.key_file", source.syslog.key_file, SYSCONFDIR "/ikelogd/server.key"),
    K_BOOL("source.syslog.require_client_cert", source.syslog.require_client_cert, true),
    K_LIST("source.syslog.permitted_peers", source.syslog.permitted_peers, NULL),
    K_STR("source.syslog.app_name", source.syslog.app_name, "pluto"),
    K_UINT("source.syslog.max_connections", source.syslog.max_connections, 1000, 1, 100000),
    K_UINT("source.syslog.max_frame_bytes", source.syslog.max_frame_bytes, 65536, 256, 16777216),
    K_UINT("source.syslog.idle_timeout_s", source.syslog.idle_timeout_s, 300, 1, 86400),
    K_STR("state_file", state_file, "/var/lib/ikelogd/position"),
    K_ENUM("state_fallback", state_fallback, START_TAIL, start_mode_names),
    K_UINT("commit_every", commit_every, 256, 1, 1000000),
    K_UINT("commit_interval_ms", commit_interval_ms, 1000, 10, 3600000),
    K_LIST("rules", rules, def_rules),
    K_LIST("weak_crypto", weak_crypto, def_weak_crypto),
    K_STR("redact.key_file", redact.key_file, SYSCONFDIR "/ikelogd/pseudonym.key"),
    K_BOOL("redact.generate_key", redact.generate_key, true),
    K_UINT("redact.key_generation", redact.key_generation, 1, 1, 65535),
    K_UINT("redact.mask_ipv4_prefix", redact.mask_ipv4_prefix, 24, 0, 32),
    K_UINT("redact.mask_ipv6_prefix", redact.mask_ipv6_prefix, 48, 0, 128),
    {.key = "redact.fields", .type = KT_REDACT_FIELDS, .offset = OFF(redact.fields)},
    K_LIST("redact.secret_patterns", redact.secret_patterns, NULL),
    K_ENUM("output.type", output.type, OUTPUT_SYSLOG_TLS, output_type_names),
    {.key = "output.collectors", .type = KT_COLLECTORS, .offset = OFF(output.collectors)},
    K_STR("output.ca_file", output.ca_file, SYSCONFDIR "/ikelogd/ca.pem"),
    K_STR("output.ca_dir", output.ca_dir, NULL),
    K_STR("output.cert_file", output.cert_file, SYSCONFDIR "/ikelogd/client.pem"),
    K_STR("output.key_file", output.key_file, SYSCONFDIR "/ikelogd/client.key"),
    K_STR("output.server_name", output.server_name, NULL),
    K_STR("output.pin_sha256", output.pin_sha256, NULL),
    K_CHOICE("output.tls_min_version", output.tls_min_version, "1.2", tls_versions),
    K_ENUM("output.facility", output.facility, 10, facility_names),
    K_UINT("output.enterprise_number", output.enterprise_number, 32473, 1, UINT_MAX),
    K_STR("output.hostname", output.hostname, NULL),
    K_STR("output.path", output.path, "/var/log/ikelogd/events.json"),
    K_UINT("output.max_message_bytes", output.max_message_bytes, 65536, 1024, 16777216),
    K_UINT("output.connect_timeout_ms", output.connect_timeout_ms, 5000, 100, 600000),
    K_UINT("output.handshake_timeout_ms", output.handshake_timeout_ms, 10000, 100, 600000),
    K_UINT("output.write_timeout_ms", output.write_timeout_ms, 30000, 100, 600000),
    K_UINT("output.backoff_min_ms", output.backoff_min_ms, 500, 10, 3600000),
    K_UINT("output.backoff_max_ms", output.backoff_max_ms, 30000, 10, 3600000),
    K_UINT("output.failback_interval_s", output.failback_interval_s, 60, 1, 86400),
    K_BOOL("output.allow_plaintext", output.allow_plaintext, false),
    K_UINT("limits.max_line_bytes", limits.max_line_bytes, 65536, 256, 16777216),
    K_UINT("limits.in_flight", limits.in_flight, 4096, 1, 1000000),
    K_UINT("limits.max_ike_sas", limits.max_ike_sas, 65536, 1, 16777216),
    K_UINT("limits.drain_timeout_ms", limits.drain_timeout_ms, 5000, 0, 600000),
    K_UINT("stats.interval_s", stats.interval_s, 60, 0, 86400),
    K_STR("stats.prometheus_file", stats.prometheus_file, NULL),
    K_ENUM("log_level", log_level, LOG_LEVEL_INFO, log_level_names),
};

#define N_KEYS ARRAY_SIZE(config_keys)

/* The state of one load: where errors go and where each key was set. */
struct loader {
	yaml_document_t *doc;
	const char *file;
	struct config *cfg;
	struct diags *errs;
	unsigned n_errors; /* added by this load, even past DIAG_MAX */
	bool set[N_KEYS];
	yaml_mark_t mark[N_KEYS]; /* of the value, where set[] */
};

const char *source_type_name(enum source_type t)
{
	return (unsigned)t < SOURCE__MAX ? source_type_names[t] : NULL;
}

const char *output_type_name(enum output_type t)
{
	return (unsigned)t < OUTPUT__MAX ? output_type_names[t] : NULL;
}

const char *redact_action_name(enum redact_action a)
{
	return (unsigned)a < REDACT__MAX ? redact_action_names[a] : NULL;
}

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

static void err_at(struct loader *l, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_at(struct loader *l, yaml_mark_t m, const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(l->errs, l->file, (unsigned)m.line + 1, (unsigned)m.column + 1, "%s", msg);
	l->n_errors++;
}

static yaml_node_t *node(struct loader *l, int id)
{
	return yaml_document_get_node(l->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* An empty value, "~" or "null", written plain: YAML's null. */
static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = scalar(n);
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		if (is_null(n))
			return "nothing";
		return *scalar(n) ? "a scalar" : "an empty string";
	}
}

/*
 * Reports n unless it is a non-empty scalar without NUL bytes. A plain
 * "null" passes: in a list it is a word (the NULL cipher); string keys
 * check is_null() first.
 */
static bool want_string(struct loader *l, const char *name, const yaml_node_t *n, size_t max)
{
	if (n->type != YAML_SCALAR_NODE || !*scalar(n) ||
	    (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && strcmp(scalar(n), "~") == 0)) {
		err_at(l, n->start_mark, "%s: expected a string, got %s", name, kind(n));
		return false;
	}
	if (strlen(scalar(n)) != n->data.scalar.length) {
		err_at(l, n->start_mark, "%s: the string contains a NUL byte", name);
		return false;
	}
	if (n->data.scalar.length > max) {
		err_at(l, n->start_mark, "%s: longer than %zu bytes", name, max);
		return false;
	}
	return true;
}

static bool parse_bool(struct loader *l, const char *name, const yaml_node_t *n, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
									       "off"};

	if (n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (strcasecmp(scalar(n), yes[i]) == 0) {
				*ret = true;
				return true;
			}
			if (strcasecmp(scalar(n), no[i]) == 0) {
				*ret = false;
				return true;
			}
		}
		err_at(l, n->start_mark, "%s: expected true or false, got '%.64s'", name,
		       scalar(n));
	} else {
		err_at(l, n->start_mark, "%s: expected true or false, got %s", name, kind(n));
	}
	return false;
}

static bool parse_uint(struct loader *l, const char *name, const yaml_node_t *n, unsigned min,
		       unsigned max, unsigned *ret)
{
	const char *s, *digits;
	unsigned long long v = 0;
	bool overflow = false;

	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		err_at(l, n->start_mark, "%s: expected an unsigned integer, got %s", name, kind(n));
		return false;
	}
	s = scalar(n);
	digits = (*s == '-' || *s == '+') ? s + 1 : s;
	if (!*digits || strspn(digits, "0123456789") != strlen(digits)) {
		err_at(l, n->start_mark, "%s: expected an unsigned integer, got '%.64s'", name, s);
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
		err_at(l, n->start_mark, "%s: %.64s is out of range (%u..%u)", name, s, min, max);
		return false;
	}
	*ret = (unsigned)v;
	return true;
}

static bool parse_enum(struct loader *l, const char *name, const yaml_node_t *n,
		       const char *const *names, size_t n_names, int *ret)
{
	char allowed[DIAG_MSG_MAX / 2] = "";
	size_t len = 0;

	if (n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < n_names; i++) {
			if (strcmp(scalar(n), names[i]) == 0) {
				*ret = (int)i;
				return true;
			}
		}
	}
	for (size_t i = 0; i < n_names && len < sizeof(allowed); i++)
		len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s", i ? ", " : "",
					names[i]);
	if (n->type == YAML_SCALAR_NODE && !is_null(n))
		err_at(l, n->start_mark, "%s: unknown value '%.64s', expected one of: %s", name,
		       scalar(n), allowed);
	else
		err_at(l, n->start_mark, "%s: expected one of: %s, got %s", name, allowed, kind(n));
	return false;
}

/* A string value; null unsets it. */
static void parse_string(struct loader *l, const struct config_key *k, const yaml_node_t *n,
			 char **field)
{
	char *copy = NULL;

	/* null, "" and '' all unset a string. */
	if (!is_null(n) && !(n->type == YAML_SCALAR_NODE && !*scalar(n))) {
		if (!want_string(l, k->key, n, CONFIG_STR_MAX))
			return;
		if (k->choices) {
			size_t i;

			for (i = 0; k->choices[i]; i++)
				if (strcmp(scalar(n), k->choices[i]) == 0)
					break;
			if (!k->choices[i]) {
				err_at(l, n->start_mark, "%s: unknown value '%.64s'", k->key,
				       scalar(n));
				return;
			}
		}
		copy = strdup(scalar(n));
		if (!copy) {
			err_at(l, n->start_mark, "%s: out of memory", k->key);
			return;
		}
	} else if (k->choices) {
		err_at(l, n->start_mark, "%s: expected a string, got nothing", k->key);
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

	if (is_null(n)) {
		list_clear(field);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		err_at(l, n->start_mark, "%s: expected a list of strings, got %s", name, kind(n));
		return;
	}
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > CONFIG_LIST_MAX) {
		it = n->data.sequence.items.start + CONFIG_LIST_MAX;
		err_at(l, node(l, *it)->start_mark, "%s: more than %d items (%zu)", name,
		       CONFIG_LIST_MAX, count);
		return;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const yaml_node_t *item = node(l, *it);
		char item_name[CONFIG_NAME_MAX + 16];

		snprintf(item_name, sizeof(item_name), "%s[%zu]", name,
			 (size_t)(it - n->data.sequence.items.start));
		if (!want_string(l, item_name, item, CONFIG_STR_MAX)) {
			ok = false;
			continue;
		}
		list.v[list.n] = strdup(scalar(item));
		if (!list.v[list.n]) {
			err_at(l, item->start_mark, "%s: out of memory", item_name);
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
	unsigned port = COLLECTOR_PORT;
	bool ok = true;

	if (n->type != YAML_MAPPING_NODE) {
		err_at(l, n->start_mark, "%s: expected a mapping {host, port}, got %s", name,
		       kind(n));
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *kn = node(l, p->key), *vn = node(l, p->value);
		const char *key = kn->type == YAML_SCALAR_NODE ? scalar(kn) : "";
		char sub[2 * CONFIG_NAME_MAX + 32];

		snprintf(sub, sizeof(sub), "%s.%.*s", name, CONFIG_NAME_MAX, key);
		if (strcmp(key, "host") == 0) {
			if (want_string(l, sub, vn, CONFIG_HOST_MAX))
				host = vn;
			else
				ok = false;
		} else if (strcmp(key, "port") == 0) {
			if (!parse_uint(l, sub, vn, 1, 65535, &port))
				ok = false;
		} else {
			err_at(l, kn->start_mark, "unknown key '%s'", sub);
			ok = false;
		}
	}
	if (!host) {
		if (ok)
			err_at(l, n->start_mark, "%s: missing host", name);
		return;
	}
	if (!ok)
		return;
	ret->host = strdup(scalar(host));
	ret->port = port;
	if (!ret->host)
		err_at(l, n->start_mark, "%s: out of memory", name);
}

/* The collector list; replaces the previous one only when every entry is valid. */
static void parse_collectors(struct loader *l, const char *name, const yaml_node_t *n)
{
	struct config *cfg = l->cfg;
	struct config_collector list[ARRAY_SIZE(cfg->output.collectors)] = {{0}};
	size_t count, got = 0;
	unsigned errors = l->n_errors;

	if (is_null(n)) {
		collectors_clear(cfg);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		err_at(l, n->start_mark, "%s: expected a list of {host, port}, got %s", name,
		       kind(n));
		return;
	}
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > ARRAY_SIZE(list)) {
		err_at(l, node(l, n->data.sequence.items.start[ARRAY_SIZE(list)])->start_mark,
		       "%s: more than %zu items (%zu)", name, ARRAY_SIZE(list), count);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		char item_name[CONFIG_NAME_MAX + 16];

		snprintf(item_name, sizeof(item_name), "%s[%zu]", name, i);
		parse_collector(l, item_name, node(l, n->data.sequence.items.start[i]), &list[got]);
		if (list[got].host)
			got++;
	}
	if (l->n_errors != errors) {
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
	if (is_null(n))
		return;
	if (n->type != YAML_MAPPING_NODE) {
		err_at(l, n->start_mark, "%s: expected a mapping of field: action, got %s", name,
		       kind(n));
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *kn = node(l, p->key), *vn = node(l, p->value);
		char sub[CONFIG_NAME_MAX + CONFIG_FIELD_MAX + 2];
		int action;
		int r;

		if (!want_string(l, name, kn, CONFIG_FIELD_MAX))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", name, scalar(kn));
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *prev = node(l, q->key);

			if (prev->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(prev), scalar(kn)) == 0) {
				err_at(l, kn->start_mark, "duplicate key '%s'", sub);
				goto next;
			}
		}
		if (!parse_enum(l, sub, vn, redact_action_names, REDACT__MAX, &action))
			continue;
		r = redact_field_set(l->cfg, scalar(kn), (enum redact_action)action);
		if (r == -ENOSPC)
			err_at(l, kn->start_mark, "%s: more than %zu fields", name,
			       ARRAY_SIZE(l->cfg->redact.fields));
		else if (r < 0)
			err_at(l, kn->start_mark, "%s: out of memory", sub);
	next:;
	}
}

static void parse_value(struct loader *l, size_t idx, const yaml_node_t *n)
{
	const struct config_key *k = &config_keys[idx];
	void *p = field_ptr(l->cfg, k);
	unsigned errors = l->n_errors;

	switch (k->type) {
	case KT_BOOL: {
		bool b;

		if (parse_bool(l, k->key, n, &b))
			*(bool *)p = b;
		break;
	}
	case KT_UINT: {
		unsigned u;

		if (parse_uint(l, k->key, n, k->min, k->max, &u))
			*(unsigned *)p = u;
		break;
	}
	case KT_ENUM: {
		int e;

		if (parse_enum(l, k->key, n, k->names, k->n_names, &e))
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
	}
	if (l->n_errors == errors) {
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
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *kn = node(l, p->key), *vn = node(l, p->value);
		char name[CONFIG_NAME_MAX];
		size_t idx;
		int len;

		if (kn->type != YAML_SCALAR_NODE || is_null(kn)) {
			err_at(l, kn->start_mark, "%s%sexpected a key name, got %s", prefix,
			       *prefix ? ": " : "", kind(kn));
			continue;
		}
		len =
		    snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", scalar(kn));
		/* A dot inside a key would let "limits.in_flight" skip its section. */
		if (len < 0 || (size_t)len >= sizeof(name) || strchr(scalar(kn), '.') ||
		    strlen(scalar(kn)) != kn->data.scalar.length ||
		    (!find_key(name, &idx) && !is_section(name))) {
			err_at(l, kn->start_mark, "unknown key '%.*s'", CONFIG_NAME_MAX, name);
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *prev = node(l, q->key);

			if (prev->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(prev), scalar(kn)) == 0) {
				err_at(l, kn->start_mark, "duplicate key '%s'", name);
				goto next;
			}
		}
		if (find_key(name, &idx))
			parse_value(l, idx, vn);
		else if (vn->type == YAML_MAPPING_NODE)
			walk_map(l, vn, name);
		else if (!is_null(vn))
			err_at(l, vn->start_mark, "%s: expected a mapping, got %s", name, kind(vn));
	next:;
	}
}

/* Checks between keys, reported where the later of them was set. */
static void cross_checks(struct loader *l)
{
	const struct config *cfg = l->cfg;
	size_t lo = 0, hi = 0, type = 0, plain = 0;

	find_key("output.backoff_min_ms", &lo);
	find_key("output.backoff_max_ms", &hi);
	if (cfg->output.backoff_min_ms > cfg->output.backoff_max_ms && (l->set[lo] || l->set[hi]))
		err_at(l, l->set[hi] ? l->mark[hi] : l->mark[lo],
		       "output.backoff_min_ms (%u) is greater than output.backoff_max_ms (%u)",
		       cfg->output.backoff_min_ms, cfg->output.backoff_max_ms);

	find_key("output.type", &type);
	find_key("output.allow_plaintext", &plain);
	if (cfg->output.type == OUTPUT_SYSLOG_TCP && !cfg->output.allow_plaintext && l->set[type])
		err_at(l, l->mark[type],
		       "output.type: syslog-tcp sends events in clear text; it needs "
		       "output.allow_plaintext: true");
}

/* Reads at most CONFIG_FILE_MAX bytes of path into *ret (NUL-terminated). */
static int read_file(const char *path, char **ret, size_t *ret_len, struct diags *errs)
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
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);

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
		if (len > CONFIG_FILE_MAX) {
			r = -EFBIG;
			diag_add(errs, path, 0, 0, "the configuration is larger than %d bytes",
				 CONFIG_FILE_MAX);
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
static void syntax_error(struct loader *l, const yaml_parser_t *parser, const char *buf)
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
		err_at(l, m, "YAML error: %s (byte %zu)", problem, parser->problem_offset);
	} else if (parser->context) {
		err_at(l, m, "YAML syntax error: %s (%s at line %zu, column %zu)", problem,
		       parser->context, parser->context_mark.line + 1,
		       parser->context_mark.column + 1);
	} else {
		err_at(l, m, "YAML syntax error: %s", problem);
	}
}

int config_load(const char *path, struct config *cfg, struct diags *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool parser_ok = false, doc_ok = false, extra_ok = false;
	struct loader *l = NULL;
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
	r = read_file(path, &buf, &len, errs);
	if (r < 0)
		goto out;
	/* The loader holds a mark per key: too big for some threads' stacks. */
	l = calloc(1, sizeof(*l));
	if (!l || !yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		goto out;
	}
	parser_ok = true;
	*l = (struct loader){.doc = &doc, .file = path, .cfg = cfg, .errs = errs};
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR) {
			r = -ENOMEM;
			goto out;
		}
		syntax_error(l, &parser, buf);
		r = -EINVAL;
		goto out;
	}
	doc_ok = true;
	root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root)) {
		r = 0; /* an empty file: the defaults */
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		err_at(l, root->start_mark, "expected a mapping of keys at the top, got %s",
		       kind(root));
		r = -EINVAL;
		goto out;
	}
	walk_map(l, root, "");
	cross_checks(l);

	if (!yaml_parser_load(&parser, &extra)) {
		syntax_error(l, &parser, buf);
	} else {
		extra_ok = true;
		if (yaml_document_get_root_node(&extra))
			err_at(l, extra.start_mark,
			       "a second YAML document; the configuration is one document");
	}
	r = l->n_errors ? -EINVAL : 0;
out:
	if (extra_ok)
		yaml_document_delete(&extra);
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	free(l);
	free(buf);
	return r;
}
