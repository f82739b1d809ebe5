/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_UTIL_H
#define IKELOGD_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64 bits, continued from seed (use UTIL_HASH_SEED to start). Not for secrets. */
#define UTIL_HASH_SEED 0xcbf29ce484222325ull
uint64_t util_hash64(const void *data, size_t len, uint64_t seed);

/* Writes v as 16 lower-case hex digits and a NUL into out[17]. */
void util_hex64(uint64_t v, char out[17]);

/* CLOCK_REALTIME in microseconds. */
int64_t util_now_usec(void);

/*
 * Writes data to path atomically: a temp file in the same directory,
 * fsync, rename over path, fsync the directory. mode applies to the new
 * file. Returns 0 or -errno (path untouched on failure).
 */
int util_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/*
 * us (microseconds since the epoch, UTC) as RFC 3339 with microseconds,
 * "2026-11-23T21:45:51.000123Z", and a NUL into out[32]; returns the
 * length (27). Computed by arithmetic, not gmtime/strftime: summaries make
 * several per IKE SA.
 */
size_t util_rfc3339_us(int64_t us, char out[32]);

#endif
