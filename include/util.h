/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_UTIL_H
#define IKELOGD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

/* FNV-1a, 64 bits, continued from seed (use UTIL_HASH_SEED to start). Not for secrets. */
#define UTIL_HASH_SEED 0xcbf29ce484222325ull
uint64_t util_hash64(const void *data, size_t len, uint64_t seed);

/* Writes v as 16 lower-case hex digits and a NUL into out[17]. */
void util_hex64(uint64_t v, char out[17]);

/*
 * Whether policy name w names algorithm a: equal, or a '_'-delimited part
 * of it (SHA1 names HMAC_SHA1_96, not SHA1024). Both NUL-terminated.
 */
bool util_alg_names(const char *a, const char *w);

/* CLOCK_REALTIME in microseconds. */
int64_t util_now_usec(void);

/*
 * Writes data to path atomically: a temp file in the same directory,
 * fsync, rename over path, fsync the directory. mode applies to the new
 * file. Returns 0 or -errno (path untouched on failure).
 */
int util_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/*
 * Gives freed heap memory back to the kernel (malloc_trim): glibc keeps
 * what large events freed in the middle of its heap, so RSS would stay at
 * its peak. A sink notes the bytes it freed; the trim runs once 4 MiB or
 * more were freed and 200 ms have passed since the last one, or, when the
 * sink is idle (its queue drained), once 256 KiB were. now:
 * CLOCK_MONOTONIC in microseconds.
 */
struct util_trim {
	size_t freed;
	uint64_t last_usec;
};
void util_trim_note(struct util_trim *t, size_t freed, uint64_t now, int idle);

/*
 * The daemon's heap: blocks of UTIL_MMAP_BYTES or more get their own
 * mapping (M_MMAP_THRESHOLD), unmapped when freed, in every thread's
 * arena; glibc would otherwise raise that threshold after the first large
 * free and keep later large events' memory, and malloc_trim does not
 * shrink a thread arena's top. Call once, before anything is allocated.
 */
#define UTIL_MMAP_BYTES (32 * 1024)
void util_heap_setup(void);

/*
 * us (microseconds since the epoch, UTC) as RFC 3339 with microseconds,
 * "2026-11-23T21:45:51.000123Z", and a NUL into out[32]; returns the
 * length (27). Computed by arithmetic, not gmtime/strftime: summaries make
 * several per IKE SA.
 */
size_t util_rfc3339_us(int64_t us, char out[32]);

/*
 * pthread_create with every signal blocked in the new thread: the loop
 * takes the daemon's signals (SIGTERM, SIGHUP, SIGCHLD for the status
 * poll) through signalfd, which sees only those no thread left unblocked,
 * and some are blocked only after a thread has started. Returns 0 or a
 * negative errno.
 */
int util_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
