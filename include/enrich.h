/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_ENRICH_H
#define IKELOGD_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "event.h"

/*
 * Enrichment, after correlation and before redaction (it sees the real
 * addresses): the operator's labels on every event, the labels of address
 * maps (longest prefix wins) for the peer and the local address, the
 * peer's country and autonomous system from MaxMind DB files, and what an
 * error_code means (error-codes.yaml: description, probable cause, and the
 * severity of a failure that carries it). Each part is off unless
 * configured, except the meanings.
 */
struct enrich_pair {
	char *key; /* owned by the configuration that holds the pair */
	char *value;
	unsigned line; /* in config_path; 0 = unknown */
};

struct enrich_map_opts {
	const char *name;
	const char *file; /* "CIDR LABEL" lines; NULL = none */
	const struct enrich_pair *entries; /* CIDR -> label */
	size_t n_entries;
	unsigned line;
};

struct enrich_opts {
	const char *config_path; /* for errors */
	const struct enrich_pair *labels;
	size_t n_labels;
	const struct enrich_map_opts *maps;
	size_t n_maps;
	const char *country_db;	    /* NULL = no country lookups */
	const char *asn_db;	    /* NULL = no AS lookups */
	const char *error_meanings; /* NULL = no meanings */
};

struct enrich;

/*
 * Builds the stage. Every problem (a bad CIDR, one prefix with two labels
 * in a map, a missing or corrupt database, a bad meanings file) is added to
 * errs as FILE:LINE: what, and the call fails with -EINVAL.
 */
int enrich_new(const struct enrich_opts *o, struct enrich **ret, struct diags *errs);
void enrich_free(struct enrich *e);

/* Sets the enrichment fields on ev. 0, or -ENOSPC when the arena is full. */
int enrich_event(struct enrich *e, struct event *ev);

/*
 * The meaning of an error_code (NULL when unknown): description, probable
 * cause (may be NULL) and severity name.
 */
struct enrich_meaning {
	const char *code;
	const char *description;
	const char *cause;
	const char *severity;
};
const struct enrich_meaning *enrich_meaning(const struct enrich *e, const char *code, size_t len);
size_t enrich_n_meanings(const struct enrich *e);

/* Lookups and reopenings of the GeoIP databases so far, and answers from the peer table. */
struct enrich_stats {
	uint64_t geo_lookups;
	uint64_t geo_reopens;
	uint64_t geo_errors;
	uint64_t peer_hits; /* a new peer address answered from the table of those seen before */
};
void enrich_get_stats(const struct enrich *e, struct enrich_stats *ret);

#endif
