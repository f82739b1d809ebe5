/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The logfile source's file identity (first-line key, event id) and the
 * search of its directory for the rotated files it must read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "source_file.h"

int source_file_key(const char *head, size_t len, char key[STATE_HASH_HEX_LEN + 1])
{
	size_t n = len < SOURCE_FILE_KEY_BYTES ? len : SOURCE_FILE_KEY_BYTES;
	const char *nl = memchr(head, '\n', n);

	if (nl)
		n = (size_t)(nl - head);
	else if (n < SOURCE_FILE_KEY_BYTES)
		return -EAGAIN;
	state_sha256_hex(head, n, key);
	return 0;
}

void source_file_event_id(uint64_t device, uint64_t inode, const char *key, uint64_t offset,
			  char out[33])
{
	char buf[160];
	char hex[STATE_HASH_HEX_LEN + 1];
	int n;

	n = snprintf(buf, sizeof(buf), "file:%" PRIu64 ":%" PRIu64 ":%s:%" PRIu64, device, inode,
		     key, offset);
	state_sha256_hex(buf, (size_t)n, hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
}

int source_file_key_of_fd(int fd, char key[STATE_HASH_HEX_LEN + 1])
{
	char head[SOURCE_FILE_KEY_BYTES];
	ssize_t n = pread(fd, head, sizeof(head), 0);

	if (n < 0)
		return -errno;
	return source_file_key(head, (size_t)n, key);
}

static bool is_compressed(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcmp(dot, ".gz") || !strcmp(dot, ".xz") || !strcmp(dot, ".bz2") ||
		       !strcmp(dot, ".zst"));
}

int source_file_find_by_key(const char *dir, const char *base, const char *key, uint64_t min_size,
			    uint64_t inode, const char *path)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t blen = strlen(base);
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (de = readdir(d))) {
		char p[PATH_MAX], k[STATE_HASH_HEX_LEN + 1];
		struct stat st;
		int fd;

		if (strncmp(de->d_name, base, blen) != 0 || strcmp(de->d_name, base) == 0)
			continue;
		if (is_compressed(de->d_name))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
			continue;
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size >= min_size && (inode == 0 || st.st_ino == inode) &&
		    source_file_key_of_fd(fd, k) == 0 && strcmp(k, key) == 0) {
			found = fd;
			log_info("%s: reading the rest of %s first", path, p);
		} else {
			close(fd);
		}
	}
	closedir(d);
	return found;
}

int source_file_find_next_rotated(const char *dir, const char *base, const struct stat *cur,
				  uint64_t live_ino, const char *path)
{
	struct timespec best = {0};
	char p[PATH_MAX], best_path[PATH_MAX] = "";
	size_t blen = strlen(base);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		struct stat st;

		if (strncmp(de->d_name, base, blen) != 0 || de->d_name[blen] != '.' ||
		    is_compressed(de->d_name))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
			continue;
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino == cur->st_ino ||
		    (uint64_t)st.st_ino == live_ino)
			continue;
		if (st.st_mtim.tv_sec < cur->st_mtim.tv_sec ||
		    (st.st_mtim.tv_sec == cur->st_mtim.tv_sec &&
		     st.st_mtim.tv_nsec <= cur->st_mtim.tv_nsec))
			continue;
		if (best_path[0] &&
		    (st.st_mtim.tv_sec > best.tv_sec ||
		     (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec >= best.tv_nsec)))
			continue;
		best = st.st_mtim;
		snprintf(best_path, sizeof(best_path), "%s", p);
	}
	closedir(d);
	if (!best_path[0])
		return -1;
	log_info("%s: reading %s, rotated after the file just read", path, best_path);
	return open(best_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}
