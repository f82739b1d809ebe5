/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_TOOLS_H
#define IKELOGD_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

#include "redact_key.h"

/*
 * The one-shot subcommands. Each builds the pipeline the daemon runs
 * (rules, normalizer, correlation, redaction, rendering) and returns the
 * process exit status. Without -c they use the built-in defaults, the
 * rules installed or beside the binary (../conf/rules), and, when the
 * configured pseudonym key does not exist, a key made for this run only.
 */
int tools_check(const char *config);
int tools_test_rules(const char *config, const char *const *files, size_t n);

struct tools_normalize_opts {
	bool stats;	   /* counts per rule and unmatched shapes to stderr */
	bool no_prefilter; /* try every rule in order: the benchmark's baseline */
	bool summary;	   /* after the events, one ike_sa_summary per IKE SA */
	bool detect;	   /* the detections (detect.h): alert events among the others */
	const char *journal_file;
	const char *status_file; /* saved whack output (status snapshots) instead of log lines */
	const char *profile; /* --profile: output.profile for this run (ikelogd, ocsf, ecs); NULL =
				config's */
};
int tools_normalize(const char *config, const char *const *files, size_t n,
		    const struct tools_normalize_opts *o);

/*
 * normalize --status FILE (tools_status.c): the file's whack
 * --trafficstatus / --showstates lines through pl as a snapshot's events
 * (status.h); the counts to stderr. Returns 0 or -errno (said on stderr).
 */
struct pipeline;
int tools_normalize_status(struct pipeline *pl, const char *path);

/*
 * Signing (tools_sign.c). keygen: DIR/sign.key, audit.key, audit.pub, never
 * overwritten. verify: the collector's files against the audit key
 * and/or the public key; 0 only when every stream verifies, 1 when not,
 * 2 for bad usage or unreadable keys. check (called when sign.enabled):
 * sign.key_file is readable and of the right format (0 or -errno with
 * diags).
 */
struct diags;
int tools_keygen(const char *dir);
int tools_verify(const char *key, const char *pub, const char *const *files, size_t n);
int tools_check_sign(const char *key_file, struct diags *errs);

/*
 * ikelogd pseudonym: prints "PSEUDONYM<TAB>VALUE" for each value, as field
 * (peer_id by default) gets it under config's key and policy; each use is
 * recorded in the journal first. Exit status 0, 1 on a refusal (the
 * policy does not hash the field, the key cannot be read, the journal
 * takes no record), 2 on a usage error. tools.c loads the configuration
 * and hands tools_pseudonym.c what it needs: tools_pseudonym_usage checks
 * the arguments first (2 after saying why, else 0), tools_pseudonym_run
 * does the rest (0 or 1).
 */
int tools_pseudonym(const char *config, const char *field, const char *const *values, size_t n);

struct tools_pseudonym_options {
	const char *config;	 /* the configuration file, for messages and the record */
	bool hashed;		 /* the policy hashes the field (redact.fields: hash) */
	unsigned key_generation; /* redact.key_generation */
	struct redact_key_options key;
};
int tools_pseudonym_usage(const char *field, size_t n);
int tools_pseudonym_run(const struct tools_pseudonym_options *o, const char *field,
			const char *const *values, size_t n);

#endif
