/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration's keys: names of the enums, the defaults, and the
 * descriptor table config.c walks.
 */
#include <assert.h>
#include <limits.h>
#include <stddef.h>

#include "config.h"
#include "config_keys.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef DATADIR
#define DATADIR "/usr/share"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const source_type_names[] = {
    [SOURCE_JOURNAL] = "journal",
    [SOURCE_FILE] = "file",
    [SOURCE_SYSLOG] = "syslog",
    [SOURCE_STDIN] = "stdin",
};
static_assert(ARRAY_SIZE(source_type_names) == SOURCE__MAX, "source_type_names");

static const char *const output_type_names[] = {
    [OUTPUT_SYSLOG_TLS] = "syslog-tls", [OUTPUT_STDOUT] = "stdout", [OUTPUT_FILE] = "file",
    [OUTPUT_SYSLOG_TCP] = "syslog-tcp", [OUTPUT_RELP] = "relp",	    [OUTPUT_RELP_TCP] = "relp-tcp",
};
static_assert(ARRAY_SIZE(output_type_names) == OUTPUT__MAX, "output_type_names");

static const char *const start_mode_names[] = {
    [START_TAIL] = "tail",
    [START_HEAD] = "head",
};
static_assert(ARRAY_SIZE(start_mode_names) == START__MAX, "start_mode_names");

const char *const redact_action_names[] = {
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

/* Syslog facilities by number, with rsyslog's names (RFC 5424 section 6.2.1).
 */
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
static_assert(sizeof(enum output_profile) == sizeof(int), "enum size");

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
/*
 * The hand-written table first (its rules win), then the one generated from
 * the inventory of pluto's messages (tests/inventory/rules-from-inventory).
 */
static const char *const def_rules[] = {DATADIR "/ikelogd/rules/libreswan.yaml",
					DATADIR "/ikelogd/rules/libreswan-inventory.yaml", NULL};
static const char *const def_weak_crypto[] = {
    "DES",	 "3DES",    "MD5",	"SHA1",	    "HMAC_MD5_96", "HMAC_SHA1_96",
    "HMAC_SHA1", "MODP768", "MODP1024", "MODP1536", "NULL",	   NULL,
};
/* detections: 3DES, SHA1, MD5 and DH groups 1, 2, 5, 14 */
static const char *const def_detect_weak[] = {"DES",	  "3DES",     "MD5",	  "SHA1", "MODP768",
					      "MODP1024", "MODP1536", "MODP2048", NULL};
static const char *const tls_versions[] = {"1.2", "1.3", NULL};

const struct config_key config_keys[] = {
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
    K_BOOL("source.syslog.host_from_cert", source.syslog.host_from_cert, false),
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
    /* enrichment (enrich.c) */
    {.key = "enrich.labels", .type = KT_LABELS, .offset = OFF(enrich.labels)},
    {.key = "enrich.cidr_maps", .type = KT_CIDR_MAPS, .offset = OFF(enrich.cidr_maps)},
    K_STR("enrich.geoip.country_db", enrich.country_db, NULL),
    K_STR("enrich.geoip.asn_db", enrich.asn_db, NULL),
    K_STR("enrich.error_meanings", enrich.error_meanings, NULL),
    K_BOOL("output.allow_plaintext", output.allow_plaintext, false),
    K_UINT("output.relp_window", output.relp_window, 128, 2, 1024),
    K_UINT("limits.max_line_bytes", limits.max_line_bytes, 65536, 256, 16777216),
    K_UINT("limits.max_match_bytes", limits.max_match_bytes, 2048, 256, 1048576),
    K_UINT("limits.in_flight", limits.in_flight, 4096, 1, 1000000),
    K_UINT("limits.max_ike_sas", limits.max_ike_sas, 65536, 1, 16777216),
    K_UINT("limits.drain_timeout_ms", limits.drain_timeout_ms, 5000, 0, 600000),
    K_BOOL("correlate.carry", correlate.carry, true),
    K_BOOL("correlate.merge", correlate.merge, true),
    K_UINT("correlate.hold_ms", correlate.hold_ms, 10, 0, 1000),
    K_BOOL("correlate.summary", correlate.summary, true),
    K_UINT("stats.interval_s", stats.interval_s, 60, 0, 86400),
    K_STR("stats.prometheus_file", stats.prometheus_file, NULL),
    K_BOOL("sign.enabled", sign.enabled, false),
    K_STR("sign.key_file", sign.key_file, SYSCONFDIR "/ikelogd/sign.key"),
    K_STR("sign.state_file", sign.state_file, "/var/lib/ikelogd/sign.state"),
    K_UINT("sign.epoch_events", sign.epoch_events, 10000, 0, 100000000),
    K_UINT("sign.epoch_seconds", sign.epoch_seconds, 3600, 0, 31536000),
    K_ENUM("log_level", log_level, LOG_LEVEL_INFO, log_level_names),
    /* status snapshots */
    K_BOOL("status.enabled", status.enabled, false),
    K_STR("status.whack", status.whack, "/usr/libexec/ipsec/whack"),
    K_STR("status.ctlsocket", status.ctlsocket, "/run/pluto/pluto.ctl"),
    K_UINT("status.interval_s", status.interval_s, 60, 1, 86400),
    K_UINT("status.timeout_ms", status.timeout_ms, 5000, 100, 600000),
    K_UINT("status.max_output_bytes", status.max_output_bytes, 16777216, 4096, 268435456),
    K_UINT("status.max_tunnels", status.max_tunnels, 65536, 1, 16777216),
    K_BOOL("status.certs", status.certs, false),
    K_STR("status.certutil", status.certutil, "/usr/bin/certutil"),
    K_STR("status.nssdb", status.nssdb, "sql:/var/lib/ipsec/nss"),
    K_UINT("status.certs_interval_s", status.certs_interval_s, 3600, 60, 604800),
    /* SIEM profiles */
    K_ENUM("output.profile", output.profile.profile, PROFILE_IKELOGD, output_profile_names),
    /* hostile-input limits: each host's share of the IKE SA table, the sink's byte budget */
    K_UINT("limits.max_ike_sas_per_host", limits.max_ike_sas_per_host, 0, 0, 16777216),
    K_UINT("limits.max_queue_bytes", limits.max_queue_bytes, 64 << 20, 1 << 20, 1u << 31),
    /* detections (detect.c): the detect: section */
    K_BOOL("detect.enabled", detect.enabled, true),
    K_UINT("detect.max_keys", detect.max_keys, 65536, 64, 16777216),
    K_UINT("detect.suppress_s", detect.suppress_s, 0, 0, 604800),
    K_BOOL("detect.cleared", detect.cleared, false),
    K_UINT("detect.auth_failure_burst.threshold", detect.auth_failure_burst.threshold, 5, 0, 1000),
    K_UINT("detect.auth_failure_burst.window_s", detect.auth_failure_burst.window_s, 300, 1, 86400),
    K_UINT("detect.identity_spray.threshold", detect.identity_spray.threshold, 3, 0, 1000),
    K_UINT("detect.identity_spray.window_s", detect.identity_spray.window_s, 600, 1, 86400),
    K_UINT("detect.half_open_flood.threshold", detect.half_open_flood.threshold, 10, 0, 1000),
    K_UINT("detect.half_open_flood.distinct_ips", detect.half_open_distinct_ips, 100, 0, 100000),
    K_UINT("detect.half_open_flood.window_s", detect.half_open_flood.window_s, 60, 1, 86400),
    K_UINT("detect.half_open_flood.timeout_s", detect.half_open_timeout_s, 30, 1, 3600),
    K_UINT("detect.rekey_storm.threshold", detect.rekey_storm.threshold, 10, 0, 1000),
    K_UINT("detect.rekey_storm.window_s", detect.rekey_storm.window_s, 3600, 1, 86400),
    K_UINT("detect.short_lifetime.threshold", detect.short_lifetime.threshold, 3, 0, 1000),
    K_UINT("detect.short_lifetime.window_s", detect.short_lifetime.window_s, 3600, 1, 86400),
    K_UINT("detect.short_lifetime.min_age_s", detect.short_lifetime_min_age_s, 60, 1, 86400),
    K_BOOL("detect.weak_crypto.enabled", detect.weak_crypto, true),
    K_LIST("detect.weak_crypto.algorithms", detect_weak_crypto, def_detect_weak),
    K_BOOL("detect.crypto_change.enabled", detect.crypto_change, true),
    K_BOOL("detect.delete_without_notify.enabled", detect.delete_without_notify, false),
    K_UINT("detect.address_flap.threshold", detect.address_flap.threshold, 5, 0, 1000),
    K_UINT("detect.address_flap.window_s", detect.address_flap.window_s, 300, 1, 86400),
    K_BOOL("detect.cert_problem.enabled", detect.cert_problem, true),
};

const size_t config_n_keys = ARRAY_SIZE(config_keys);
static_assert(ARRAY_SIZE(config_keys) <= CONFIG_KEYS_MAX, "CONFIG_KEYS_MAX holds every key");

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
