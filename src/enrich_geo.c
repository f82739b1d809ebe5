/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GeoIP for the enrichment stage: MaxMind DB files (GeoLite2, DB-IP) read
 * with libmaxminddb, memory-mapped, and reopened when the file at the
 * configured path changes, so that geoipupdate's atomic replacement takes
 * effect without a restart (within about a second of the next event).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enrich_impl.h"

static bool same_file(const struct geo_db *g, const struct stat *st)
{
	return g->dev == st->st_dev && g->ino == st->st_ino && g->size == st->st_size &&
	       g->mtime.tv_sec == st->st_mtim.tv_sec && g->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Opens path into m and checks that it is a MaxMind DB; NULL or what is wrong. */
static const char *open_db(const char *path, MMDB_s *m, struct stat *st)
{
	int r;

	if (stat(path, st) < 0)
		return strerror(errno);
	r = MMDB_open(path, MMDB_MODE_MMAP, m);
	if (r != MMDB_SUCCESS)
		return r == MMDB_IO_ERROR ? strerror(errno) : MMDB_strerror(r);
	return NULL;
}

static void remember(struct geo_db *g, const struct stat *st)
{
	g->dev = st->st_dev;
	g->ino = st->st_ino;
	g->size = st->st_size;
	g->mtime = st->st_mtim;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &g->checked);
}

int geo_open(struct geo_db *g, const char *path, enum geo_kind kind, struct diags *errs)
{
	struct stat st;
	const char *why;

	*g = (struct geo_db){.kind = kind};
	why = open_db(path, &g->mmdb, &st);
	if (why) {
		diag_add(errs, path, 0, 0, "GeoIP database: %s", why);
		return -EINVAL;
	}
	g->path = strdup(path);
	if (!g->path) {
		MMDB_close(&g->mmdb);
		return -ENOMEM;
	}
	g->open = true;
	remember(g, &st);
	return 0;
}

void geo_close(struct geo_db *g)
{
	if (g->open)
		MMDB_close(&g->mmdb);
	free(g->path);
	*g = (struct geo_db){0};
}

void geo_refresh(struct geo_db *g, const struct timespec *now, struct enrich_stats *st)
{
	struct stat sb;
	MMDB_s fresh;

	if (!g->open || now->tv_sec - g->checked.tv_sec < 1)
		return;
	g->checked = *now;
	if (stat(g->path, &sb) < 0 || same_file(g, &sb))
		return;
	/* A file being written may not open yet: keep the old one, retry in a second. */
	if (open_db(g->path, &fresh, &sb)) {
		st->geo_errors++;
		return;
	}
	MMDB_close(&g->mmdb);
	g->mmdb = fresh;
	/* The memo points into the old mapping. */
	memset(g->memo, 0, sizeof(g->memo));
	remember(g, &sb);
	g->generation++;
	st->geo_reopens++;
}

static bool lookup(struct geo_db *g, const unsigned char a[16], bool v6, MMDB_lookup_result_s *res,
		   struct enrich_stats *st)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	int err = 0;

	if (!g->open)
		return false;
	if (v6)
		memcpy(&sin6.sin6_addr, a, 16);
	else
		memcpy(&sin.sin_addr, a, 4);
	st->geo_lookups++;
	*res = MMDB_lookup_sockaddr(&g->mmdb, v6 ? (struct sockaddr *)&sin6 : (struct sockaddr *)&sin,
				    &err);
	if (err != MMDB_SUCCESS) {
		st->geo_errors++;
		return false;
	}
	return res->found_entry;
}

/* The UTF-8 string at path of entry into m->text (none when absent, too long or with controls). */
static void get_string(MMDB_entry_s *entry, const char *const *path, size_t max, struct geo_memo *m)
{
	MMDB_entry_data_s d;

	m->text = NULL;
	m->len = 0;
	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size >= max)
		return;
	/* A control character would break the event's text: drop the value. */
	for (size_t i = 0; i < d.data_size; i++)
		if ((unsigned char)d.utf8_string[i] < 0x20)
			return;
	m->text = d.utf8_string;
	m->len = d.data_size;
}

/* Decodes the values of the record at entry into m. */
static void decode(const struct geo_db *g, MMDB_entry_s *entry, struct geo_memo *m)
{
	static const char *const country_path[] = {"country", "iso_code", NULL};
	static const char *const num_path[] = {"autonomous_system_number", NULL};
	static const char *const org_path[] = {"autonomous_system_organization", NULL};
	MMDB_entry_data_s d;

	m->asn = 0;
	if (g->kind == GEO_COUNTRY) {
		get_string(entry, country_path, GEO_COUNTRY_MAX, m);
		return;
	}
	if (MMDB_aget_value(entry, &d, num_path) == MMDB_SUCCESS && d.has_data &&
	    d.type == MMDB_DATA_TYPE_UINT32)
		m->asn = d.uint32;
	get_string(entry, org_path, GEO_ORG_MAX, m);
}

const struct geo_memo *geo_find(struct geo_db *g, const unsigned char a[16], bool v6,
				struct enrich_stats *st)
{
	MMDB_lookup_result_s res;
	struct geo_memo *m;

	if (!lookup(g, a, v6, &res, st))
		return NULL;
	/* Fibonacci hashing: records lie at offsets a record's size apart. */
	m = &g->memo[2 * ((res.entry.offset * UINT32_C(2654435761)) >> (32 - GEO_MEMO_BITS))];
	if (m[0].offset_1 == res.entry.offset + 1)
		return &m[0];
	if (m[1].offset_1 == res.entry.offset + 1) {
		struct geo_memo t = m[1];

		m[1] = m[0];
		m[0] = t;
		return &m[0];
	}
	m[1] = m[0];
	decode(g, &res.entry, &m[0]);
	m[0].offset_1 = res.entry.offset + 1;
	return &m[0];
}
