/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CONFIG_H
#define IKELOGD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "diag.h"
#include "enrich.h"
#include "event_profile.h"

/*
 * The configuration: one YAML file (conf/ikelogd.yaml documents every key)
 * loaded through one descriptor table in config.c into this plain struct.
 */
#define CONFIG_LIST_MAX 16

enum source_type { SOURCE_JOURNAL, SOURCE_FILE, SOURCE_SYSLOG, SOURCE_STDIN, SOURCE__MAX };
enum output_type {
	OUTPUT_SYSLOG_TLS,
	OUTPUT_STDOUT,
	OUTPUT_FILE,
	OUTPUT_SYSLOG_TCP,
	OUTPUT_RELP,	 /* RELP over TLS (librelp) */
	OUTPUT_RELP_TCP, /* RELP in clear text: needs allow_plaintext */
	OUTPUT__MAX
};
enum start_mode { START_TAIL, START_HEAD, START__MAX };
enum redact_action { REDACT_KEEP, REDACT_MASK, REDACT_HASH, REDACT_DROP, REDACT__MAX };
enum log_level {
	LOG_LEVEL_ERR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL__MAX
};

struct str_list {
	char *v[CONFIG_LIST_MAX];
	size_t n;
};

struct config_collector {
	char *host;
	unsigned port; /* 0 until the load ends: then the output type's default */
};


#define CONFIG_LABELS_MAX 32
#define CONFIG_CIDR_MAPS_MAX 8
#define CONFIG_CIDR_ENTRIES_MAX 4096 /* inline; a file may hold more */

/* One enrich.cidr_maps item: CIDR -> label, from entries, a file, or both. */
struct config_cidr_map {
	char *name;
	char *file;
	struct enrich_pair *entries; /* CIDR -> label */
	size_t n_entries;
	unsigned line;
};

struct config_redact_field {
	char *field; /* a short field name of event.h */
	enum redact_action action;
};

struct config {
	char *path; /* the file this was loaded from */

	struct {
		enum source_type type;
		bool keep_debug_lines; /* pluto "| " debug lines: dropped and counted by default */
		struct {
			struct str_list match; /* FIELD=VALUE, default SYSLOG_IDENTIFIER=pluto */
			struct str_list files; /* journal files or directories; empty = system */
			enum start_mode start;
		} journal;
		struct {
			char *path;
			enum start_mode start;
		} file;
		struct {
			struct str_list listen; /* tls://ADDR:PORT, tcp://..., udp://... */
			char *ca_file;
			char *cert_file;
			char *key_file;
			bool require_client_cert;
			bool host_from_cert; /* HOSTNAME must be a name of the sender's certificate
					      */
			struct str_list permitted_peers;
			char *app_name; /* messages kept, default "pluto" */
			unsigned max_connections;
			unsigned max_frame_bytes;
			unsigned idle_timeout_s;
		} syslog;
	} source;

	char *state_file;
	enum start_mode state_fallback; /* where to start when the state file is unusable */
	unsigned commit_every;		/* state file written after this many delivered records */
	unsigned commit_interval_ms;	/* ... or this long after the first uncommitted one */

	struct str_list rules;
	struct str_list weak_crypto; /* algorithm names flagged in weak_crypto */

	struct {
		char *key_file;
		bool generate_key;
		unsigned key_generation;
		unsigned mask_ipv4_prefix;
		unsigned mask_ipv6_prefix;
		struct config_redact_field fields[64];
		size_t n_fields;
		struct str_list secret_patterns; /* PCRE2, scrubbed from kept free text */
	} redact;

	struct {
		enum output_type type;
		struct config_collector collectors[8];
		size_t n_collectors;
		char *ca_file;
		char *ca_dir;
		char *cert_file;
		char *key_file;
		char *server_name;
		char *pin_sha256;
		char *tls_min_version;
		int facility; /* syslog facility number, default authpriv (10) */
		unsigned enterprise_number;
		char *hostname; /* RFC 5424 HOSTNAME; empty = gethostname() */
		char *path;	/* type: file */
		unsigned max_message_bytes;
		unsigned connect_timeout_ms;
		unsigned handshake_timeout_ms;
		unsigned write_timeout_ms;
		unsigned backoff_min_ms;
		unsigned backoff_max_ms;
		unsigned failback_interval_s;
		bool allow_plaintext; /* required for types syslog-tcp and relp-tcp */
		unsigned relp_window; /* RELP frames unacknowledged at most */
		/* SIEM profiles: the schema events are written in */
		struct profile_options profile;
	} output;

	struct {
		unsigned max_line_bytes;
		unsigned max_match_bytes; /* rules see at most this much of a line */
		unsigned in_flight;
		unsigned max_ike_sas; /* correlation table bound */
		unsigned drain_timeout_ms;
		/* hostile-input limits */
		unsigned max_ike_sas_per_host; /* a host's share of a full table; 0 = a quarter */
		unsigned max_queue_bytes;      /* events in flight and kept for a resend */
	} limits;

	struct {
		bool carry;	  /* later events of an SA get the facts of its earlier lines */
		bool merge;	  /* one event per exchange claims the outcome */
		unsigned hold_ms; /* events held so that the outcome takes later lines' facts */
		bool summary;	  /* the daemon emits an ike_sa_summary as each IKE SA ends */
	} correlate;

	struct {
		unsigned interval_s;
		char *prometheus_file;
	} stats;

	struct {
		bool enabled;
		char *key_file;	  /* sign.key of ikelogd keygen */
		char *state_file; /* the chain's key, epoch and sequence */
		unsigned
		    epoch_events; /* the key ratchets after this many events; 0 = never by count */
		unsigned epoch_seconds; /* ... or this long into an epoch; 0 = never by time */
	} sign;

	struct {
		struct enrich_pair labels[CONFIG_LABELS_MAX];
		size_t n_labels;
		struct config_cidr_map cidr_maps[CONFIG_CIDR_MAPS_MAX];
		size_t n_cidr_maps;
		char *country_db;     /* MaxMind DB with country.iso_code */
		char *asn_db;	      /* MaxMind DB with autonomous_system_* */
		char *error_meanings; /* NULL: error-codes.yaml beside the first rule file */
	} enrich;

	enum log_level log_level;

	/* status snapshots (status_poll.h) */
	struct {
		bool enabled;
		char *whack;	 /* the whack binary */
		char *ctlsocket; /* pluto's control socket */
		unsigned interval_s;
		unsigned timeout_ms;
		unsigned max_output_bytes;
		unsigned max_tunnels;
		bool certs;	/* list the NSS database's certificates */
		char *certutil; /* the certutil binary */
		char *nssdb;	/* certutil -d */
		unsigned certs_interval_s;
	} status;
	/* detections (detect.h): the detect: section */
	struct detect_options detect;	    /* weak/n_weak unset: config_detect_options */
	struct str_list detect_weak_crypto; /* detect.weak_crypto.algorithms */
};

/*
 * Fills cfg with every default. Never fails; strings are owned by cfg.
 */
void config_defaults(struct config *cfg);

/*
 * Loads path over what cfg holds: call config_defaults(cfg) first. Lists
 * in the file replace the lists in cfg; redact.fields is merged field by
 * field. Every problem is added to errs as
 * FILE:LINE:COL (unknown key, wrong type, out of range, missing file); the
 * whole file is read so that all problems are reported at once. Returns 0,
 * or -EINVAL if errs holds errors, or -errno if the file cannot be read.
 * On failure *cfg holds defaults plus whatever was valid; free it anyway.
 */
int config_load(const char *path, struct config *cfg, struct diags *errs);

/* Frees the strings a config owns; the struct itself is the caller's. */
void config_done(struct config *cfg);

/*
 * Advice on a valid configuration that is weaker than it could be, for
 * `ikelogd check`: the syslog source trusting any HOSTNAME
 * (host_from_cert off, or listeners without client certificates), and
 * source.syslog.max_connections past what nofile (the RLIMIT_NOFILE soft
 * limit) allows. Adds one diag per warning to warns; returns how many.
 */
int config_warnings(const struct config *cfg, unsigned long long nofile, struct diags *warns);

/*
 * The detect: section as the engine takes it: cfg->detect with the weak
 * algorithm list pointing into cfg (borrowed: valid while cfg is).
 */
void config_detect_options(const struct config *cfg, struct detect_options *ret);

/* Name tables for enums, for messages and man pages. */
const char *source_type_name(enum source_type t);
const char *output_type_name(enum output_type t);
const char *redact_action_name(enum redact_action a);

/*
 * Walks the descriptor table: calls fn with each dotted key
 * ("output.collectors", "limits.in_flight") so that tests can check the
 * documentation covers them.
 */
void config_foreach_key(void (*fn)(const char *key, void *userdata), void *userdata);

#endif
