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

int geo_open(struct geo_db *g, const char *path, struct diags *errs)
{
	struct stat st;
	const char *why;

	*g = (struct geo_db){0};
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

unsigned geo_generation(const struct geo_db *g)
{
	return g->generation;
}

void geo_refresh(struct geo_db *g, struct enrich_stats *st)
{
	struct timespec now;
	struct stat sb;
	MMDB_s fresh;

	if (!g->open)
		return;
	/* The coarse clock (a few ms) is enough for a once-a-second check, and cheaper. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec - g->checked.tv_sec < 1)
		return;
	g->checked = now;
	if (stat(g->path, &sb) < 0 || same_file(g, &sb))
		return;
	/* A file being written may not open yet: keep the old one, retry in a second. */
	if (open_db(g->path, &fresh, &sb)) {
		st->geo_errors++;
		return;
	}
	MMDB_close(&g->mmdb);
	g->mmdb = fresh;
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

/* Copies a UTF-8 string value of the entry at path into out (empty when none). */
static void get_string(MMDB_entry_s *entry, char *out, size_t size, const char *const *path)
{
	MMDB_entry_data_s d;

	out[0] = '\0';
	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size >= size)
		return;
	memcpy(out, d.utf8_string, d.data_size);
	out[d.data_size] = '\0';
	/* A control character would break the event's text: drop the value. */
	for (size_t i = 0; i < d.data_size; i++)
		if ((unsigned char)out[i] < 0x20) {
			out[0] = '\0';
			return;
		}
}

void geo_country(struct geo_db *g, const unsigned char a[16], bool v6, char *out, size_t size,
		 struct enrich_stats *st)
{
	static const char *const path[] = {"country", "iso_code", NULL};
	MMDB_lookup_result_s res;

	out[0] = '\0';
	if (lookup(g, a, v6, &res, st))
		get_string(&res.entry, out, size, path);
}

void geo_asn(struct geo_db *g, const unsigned char a[16], bool v6, uint32_t *asn, char *org,
	     size_t size, struct enrich_stats *st)
{
	static const char *const num_path[] = {"autonomous_system_number", NULL};
	static const char *const org_path[] = {"autonomous_system_organization", NULL};
	MMDB_lookup_result_s res;
	MMDB_entry_data_s d;

	*asn = 0;
	org[0] = '\0';
	if (!lookup(g, a, v6, &res, st))
		return;
	if (MMDB_aget_value(&res.entry, &d, num_path) == MMDB_SUCCESS && d.has_data &&
	    d.type == MMDB_DATA_TYPE_UINT32)
		*asn = d.uint32;
	get_string(&res.entry, org, size, org_path);
}
