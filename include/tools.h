/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_TOOLS_H
#define IKELOGD_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

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
	const char *journal_file;
};
int tools_normalize(const char *config, const char *const *files, size_t n,
		    const struct tools_normalize_opts *o);

#endif
