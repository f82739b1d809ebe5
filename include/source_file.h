/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SOURCE_FILE_H
#define IKELOGD_SOURCE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "source_window.h"
#include "state.h"

/*
 * The logfile source (source_file_ops in source.h): tails pluto's own
 * logfile (source.file.path), lines "Nov 23 20:25:58.047269: msg".
 * It follows rotation by rename-and-create (the old file is read to its
 * end before switching) and by copytruncate (a truncated or rewritten file
 * is noticed by its size and its first-line key; lines not yet read are
 * taken from the copy, found in the same directory by that key). A
 * position is device, inode, offset and the first-line key, which also
 * tells a reused inode from the file the position was saved for.
 *
 * After a restart the rest of the file the saved position is in is read
 * (found by inode and key among PATH.* in the directory, compressed ones
 * skipped); when a renamed file is done, any rotated file written to after
 * it (two rotations in a row, or while stopped; by modification time) is
 * read before the live file. Limit: lines written between a copy and its
 * truncation are lost to copytruncate itself.
 */

/*
 * The logfile source's options, filled by the config loader
 * (config_source_options): source.file, limits.max_line_bytes (0: 65536)
 * and the window's. Strings are borrowed from the configuration.
 */
struct source_file_options {
	const char *config_path; /* for messages */
	const char *path;	 /* the logfile; required */
	enum start_mode start;
	unsigned max_line_bytes;
	struct source_window_options win;
};

/* The first-line key reads at most this many bytes of a file's head. */
#define SOURCE_FILE_KEY_BYTES 1024

/*
 * The first-line key of a file that starts with head[0..len): hex SHA-256
 * of the bytes before the first newline, or of the first
 * SOURCE_FILE_KEY_BYTES bytes when there is no newline among them.
 * Returns 0, or -EAGAIN when len is too short to tell (no newline and
 * fewer than SOURCE_FILE_KEY_BYTES bytes).
 */
int source_file_key(const char *head, size_t len, char key[STATE_HASH_HEX_LEN + 1]);

/*
 * The event id of the line starting at offset of the file (device, inode,
 * key): 32 hex digits of SHA-256 over them. out must hold 33 bytes.
 */
void source_file_event_id(uint64_t device, uint64_t inode, const char *key, uint64_t offset,
			  char out[33]);

/* The key of the file open at fd, read with pread: as source_file_key, or -errno. */
int source_file_key_of_fd(int fd, char key[STATE_HASH_HEX_LEN + 1]);

struct stat;

/*
 * In dir, another file named base* (not base itself, not compressed) whose
 * first-line key is key, whose size is at least min_size and, unless inode
 * is 0, whose inode is inode: its fd, or -1. path (the logfile) names it
 * in the log line saying so.
 */
int source_file_find_by_key(const char *dir, const char *base, const char *key, uint64_t min_size,
			    uint64_t inode, const char *path);

/*
 * The rotated file (base.* in dir, not compressed) written to next after
 * the one described by cur: the oldest modification time after cur's,
 * neither cur nor the live file (inode live_ino). Its fd, or -1 when there
 * is none. After two rotations in a row (or while stopped) the middle file
 * is read.
 */
int source_file_find_next_rotated(const char *dir, const char *base, const struct stat *cur,
				  uint64_t live_ino, const char *path);

#endif
