/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_ENRICH_IMPL_H
#define IKELOGD_ENRICH_IMPL_H

#include <maxminddb.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "enrich.h"

/* The insides enrich.c and enrich_geo.c share. */

/* One MaxMind DB file, reopened when the file at its path changes. */
struct geo_db {
	char *path;
	MMDB_s mmdb;
	bool open;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec checked; /* CLOCK_MONOTONIC_COARSE of the last stat */
	unsigned generation;	 /* bumped at each reopen */
};

/*
 * geo_open opens and checks path (a diag "PATH: what" and -EINVAL when it
 * is missing or no MaxMind DB); geo_close releases it. geo_refresh stats
 * the file at most once a second and reopens it when it was replaced or
 * rewritten (geoipupdate renames a new file into place); a file that fails
 * to open keeps the old one and is counted. geo_country and geo_asn look an
 * address up (16 bytes, IPv4 in the first 4); nothing found leaves the
 * outputs empty/0.
 */
int geo_open(struct geo_db *g, const char *path, struct diags *errs);
void geo_close(struct geo_db *g);
void geo_refresh(struct geo_db *g, struct enrich_stats *st);
unsigned geo_generation(const struct geo_db *g);
void geo_country(struct geo_db *g, const unsigned char a[16], bool v6, char *out, size_t size,
		 struct enrich_stats *st);
void geo_asn(struct geo_db *g, const unsigned char a[16], bool v6, uint32_t *asn, char *org,
	     size_t size, struct enrich_stats *st);

/* The results for the last peer address. */
struct peer_cache {
	bool valid;
	unsigned gen; /* the databases' generations they came from */
	char addr[64];
	size_t addr_len;
	char nets[1024]; /* map pairs */
	size_t nets_len;
	bool nets_ok; /* event_map_valid(nets) */
	char country[8];
	size_t country_len;
	uint32_t asn;
	char org[256];
	size_t org_len;
};

/*
 * The map labels of the last local address: a gateway logs from one or a
 * few addresses of its own, and the maps change only with a new stage (a
 * reload builds one), so nothing invalidates it.
 */
struct local_cache {
	bool valid; /* addr parsed; nets_len 0 = in no map */
	char addr[64];
	size_t addr_len;
	char nets[1024];
	size_t nets_len;
	bool nets_ok; /* event_map_valid(nets) */
};

struct addr_map;

struct enrich {
	char *labels; /* map pairs, built once */
	size_t labels_len;
	bool labels_ok; /* event_map_valid(labels), checked once */
	struct addr_map *maps;
	size_t n_maps;
	struct enrich_meaning *meanings; /* sorted by code */
	size_t n_meanings;
	struct geo_db country, asn;
	struct peer_cache peer;
	struct local_cache local;
	struct enrich_stats stats;
};

#endif
