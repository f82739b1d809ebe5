/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_ENRICH_IMPL_H
#define IKELOGD_ENRICH_IMPL_H

#include <maxminddb.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "enrich.h"

/* The insides enrich.c and enrich_geo.c share. */

/* What a database is read for: the paths of its records' values. */
enum geo_kind { GEO_COUNTRY, GEO_ASN };

/*
 * One data record's values, decoded once: many networks share a record
 * (a country's, an AS's), and decoding it was half of a lookup's cost.
 * text points into the mapped file, so the memo is emptied when the file
 * is reopened.
 */
struct geo_memo {
	uint32_t offset_1; /* the record's offset in the data section + 1; 0 = empty */
	uint32_t asn;	   /* GEO_ASN: autonomous_system_number, 0 = none */
	const char *text;  /* country.iso_code or autonomous_system_organization */
	size_t len;	   /* 0 = none (absent, no string, or control characters) */
};

/*
 * Sets of two by offset, the one used last first: direct-mapped, half
 * full, lost a third of its hits to two records that share a slot.
 */
#define GEO_MEMO_BITS	11
#define GEO_MEMO_SLOTS	(2u << GEO_MEMO_BITS)
#define GEO_COUNTRY_MAX 8 /* longer values are dropped */
#define GEO_ORG_MAX	256

/* One MaxMind DB file, reopened when the file at its path changes. */
struct geo_db {
	char *path;
	MMDB_s mmdb;
	enum geo_kind kind;
	bool open;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec checked; /* CLOCK_MONOTONIC_COARSE of the last stat */
	unsigned generation;	 /* bumped at each reopen */
	struct geo_memo memo[GEO_MEMO_SLOTS];
};

/*
 * geo_open opens and checks path, read for kind (a diag "PATH: what" and
 * -EINVAL when it is missing or no MaxMind DB); geo_close releases it.
 * geo_refresh stats the file at most once a second (now:
 * CLOCK_MONOTONIC_COARSE, read once per event for every database) and
 * reopens it when it was replaced or rewritten (geoipupdate renames a new
 * file into place); a file that fails to open keeps the old one and is
 * counted. geo_find looks an address up (16 bytes, IPv4 in the first 4):
 * the values of the record that holds it, or NULL when none does.
 */
int geo_open(struct geo_db *g, const char *path, enum geo_kind kind, struct diags *errs);
void geo_close(struct geo_db *g);
void geo_refresh(struct geo_db *g, const struct timespec *now, struct enrich_stats *st);

/* Whether geo_refresh has a file to stat: inline, asked for every event. */
static inline bool geo_due(const struct geo_db *g, const struct timespec *now)
{
	return g->open && now->tv_sec - g->checked.tv_sec >= 1;
}

/* Bumped at each reopen: what the peer cache's entry was looked up in. */
static inline unsigned geo_generation(const struct geo_db *g)
{
	return g->generation;
}
const struct geo_memo *geo_find(struct geo_db *g, const unsigned char a[16], bool v6,
				struct enrich_stats *st);

/* The results for the last peer address. */
struct peer_cache {
	bool valid;
	unsigned gen; /* the databases' generations they came from */
	char addr[64];
	size_t addr_len;
	char nets[1024]; /* map pairs */
	size_t nets_len;
	bool nets_ok; /* event_map_valid(nets), known from the load's checks */
	char country[GEO_COUNTRY_MAX];
	size_t country_len;
	uint32_t asn;
	char org[GEO_ORG_MAX];
	size_t org_len;
	/*
	 * The fields above (and the labels), prepared for one copy into each
	 * event of the peer; labels and nets that failed their check at load
	 * are set apart, and refused.
	 */
	struct event_prep prep;
	bool labels_in_prep, nets_in_prep;
	int prep_r; /* what preparing country and AS returned (never fails: sized) */
};

/*
 * The map labels of the last local address: a gateway logs from one or a
 * few addresses of its own, and the maps change only with a new stage (a
 * reload builds one), so nothing invalidates it.
 */
struct local_cache {
	bool valid;	 /* addr parsed; nets_len 0 = in no map */
	int32_t *labels; /* each map's label index (n_maps, allocated with the stage) */
	char addr[64];
	size_t addr_len;
	char nets[1024];
	size_t nets_len;
	bool nets_ok; /* event_map_valid(nets), known from the load's checks */
};

/*
 * The results of the peer addresses seen before, on an earlier IKE SA or
 * between the lines of another SA: a bounded table of sets of PEER_WAYS
 * (by a hash of the address), the entry used longest ago replaced. An
 * entry holds the label of each map (labels, n_maps per entry) and the
 * databases' values of its generation (gen): a reopened file makes every
 * entry stale, and org points into the AS database's mapping of that
 * generation.
 */
#define PEER_SET_BITS 13
#define PEER_WAYS     4
#define PEER_ENTRIES  ((size_t)PEER_WAYS << PEER_SET_BITS)

struct peer_entry {
	unsigned char addr[16]; /* IPv4 in the first 4 */
	uint32_t used;		/* the table's clock at the last use; 0 = empty */
	unsigned gen;
	uint32_t asn;
	bool v6;
	uint8_t country_len;
	uint16_t org_len;
	char country[GEO_COUNTRY_MAX];
	const char *org;
};

struct peer_table {
	struct peer_entry *v; /* PEER_ENTRIES */
	int32_t *labels;      /* n_maps per entry: the map's label index, -1 = none */
	size_t n_maps;
	uint32_t clock;
};

/*
 * peer_table_init allocates t for n_maps maps (-ENOMEM); peer_table_free
 * releases it. peer_table_get returns the entry of address a of
 * generation gen with *found true, or the entry to fill for it (empty or
 * used longest ago, its key set) with *found false.
 */
int peer_table_init(struct peer_table *t, size_t n_maps);
void peer_table_free(struct peer_table *t);
struct peer_entry *peer_table_get(struct peer_table *t, const unsigned char a[16], bool v6,
				  unsigned gen, bool *found);

/* The label index of each map for entry p (n_maps of them; NULL when there are no maps). */
static inline int32_t *peer_table_labels(const struct peer_table *t, const struct peer_entry *p)
{
	return t->labels ? t->labels + (size_t)(p - t->v) * t->n_maps : NULL;
}

struct addr_map;

struct enrich {
	char *labels; /* map pairs, built once */
	size_t labels_len;
	bool labels_ok; /* event_map_valid(labels), checked once */
	struct addr_map *maps;
	size_t n_maps;
	bool maps_ok;			 /* every map name a valid key, none twice */
	struct enrich_meaning *meanings; /* sorted by code */
	size_t n_meanings;
	struct geo_db country, asn;
	struct peer_cache peer;
	struct peer_table table; /* allocated when a peer has anything to look up */
	char *prep_text;	 /* peer.prep's text */
	size_t prep_cap;
	struct local_cache local;
	struct enrich_stats stats;
};

/*
 * Reads the error-code meanings of path into e->meanings, sorted by code
 * (enrich_meaning.c). Returns 0, or -errno with FILE:LINE: what in errs.
 */
int enrich_meanings_load(struct enrich *e, const char *path, struct diags *errs);

#endif
