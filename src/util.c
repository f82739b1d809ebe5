/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define UTIL_TRIM_BYTES	     (4u << 20)
#define UTIL_TRIM_USEC	     200000
#define UTIL_TRIM_IDLE_BYTES (256u << 10)

uint64_t util_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

bool util_alg_names(const char *a, const char *w)
{
	size_t wl = strlen(w);

	for (const char *p = a; wl && (p = strstr(p, w)) != NULL; p++)
		if ((p == a || p[-1] == '_') && (p[wl] == '\0' || p[wl] == '_'))
			return true;
	return false;
}

void util_hex64(uint64_t v, char out[17])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--) {
		out[i] = digits[v & 0xf];
		v >>= 4;
	}
	out[16] = '\0';
}

void util_trim_note(struct util_trim *t, size_t freed, uint64_t now, int idle)
{
	t->freed += freed;
	/* Idle (the queue drained): at once, the burst is over. */
	if (idle ? t->freed < UTIL_TRIM_IDLE_BYTES
		 : t->freed < UTIL_TRIM_BYTES || now - t->last_usec < UTIL_TRIM_USEC)
		return;
	malloc_trim(0);
	t->freed = 0;
	t->last_usec = now;
}

void util_heap_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, UTIL_MMAP_BYTES);
}

int64_t util_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd = -1, dfd = -1, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, data, len);
	if (r < 0)
		goto out;
	if (fsync(fd) < 0) {
		r = -errno;
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto out;
	}
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

/* The civil date of a day count since 1970-01-01 (proleptic Gregorian, 400-year eras). */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* v as n decimal digits, zero-padded (v < 10^n). */
static void put_digits(char *out, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
}

size_t util_rfc3339_us(int64_t us, char out[32])
{
	int64_t secs = us / 1000000, frac = us % 1000000, days, y;
	unsigned m, d, sod;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	if (secs % 86400 < 0)
		days--;
	sod = (unsigned)(secs - days * 86400);
	civil(days, &y, &m, &d);
	if (y < 0 || y > 9999) /* more digits or a sign: as printf writes them */
		return (size_t)snprintf(out, 32, "%04lld-%02u-%02uT%02u:%02u:%02u.%06lldZ",
					(long long)y, m, d, sod / 3600, sod / 60 % 60, sod % 60,
					(long long)frac);
	/* Digit by digit: snprintf was most of a summary's three times. */
	put_digits(out, (uint64_t)y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, sod / 3600, 2);
	out[13] = ':';
	put_digits(out + 14, sod / 60 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, sod % 60, 2);
	out[19] = '.';
	put_digits(out + 20, (uint64_t)frac, 6);
	out[26] = 'Z';
	out[27] = '\0';
	return 27;
}

int util_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}
