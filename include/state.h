/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_STATE_H
#define IKELOGD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "diag.h"
#include "stats.h"

/*
 * The position file: where a source resumes after a restart. A small JSON
 * object (json-c) with a format tag, a version, a type tag (journal or
 * file), the position and a SHA-256 checksum over a canonical text of the
 * position:
 *
 *   {"format":"ikelogd-position","version":1,"type":"journal",
 *    "cursor":"s=...;i=...","checksum":"<64 hex>"}
 *   {"format":"ikelogd-position","version":1,"type":"file","device":2049,
 *    "inode":1234,"offset":5678,"first_line":"<64 hex>","checksum":"<64 hex>"}
 *
 * The checksum is the SHA-256 (hex) of
 *   "ikelogd-position 1 journal <cursor>\n" or
 *   "ikelogd-position 1 file <device> <inode> <offset> <first_line>\n".
 * Written atomically: temp file in the same directory, fsync, rename, fsync
 * of the directory. The position written before stays beside it, in
 * PATH.prev, for when PATH is found broken.
 */
#define STATE_VERSION	   1
#define STATE_CURSOR_MAX   512	/* longest journal cursor accepted */
#define STATE_FILE_MAX	   4096 /* a longer state file is refused as broken */
#define STATE_HASH_HEX_LEN 64
#define STATE_PREV_SUFFIX  ".prev" /* the previous position, beside the state file */

enum state_type { STATE_JOURNAL, STATE_FILE, STATE__MAX };

struct state_pos {
	enum state_type type;
	char cursor[STATE_CURSOR_MAX]; /* STATE_JOURNAL */
	uint64_t device;	       /* STATE_FILE: st_dev, st_ino of the file */
	uint64_t inode;
	uint64_t offset;			 /* bytes consumed: the next line starts here */
	char first_line[STATE_HASH_HEX_LEN + 1]; /* hex SHA-256 of the file's first line */
};

/* "journal" or "file"; NULL for an out-of-range value. */
const char *state_type_name(enum state_type t);

/*
 * Parses the text of a state file. Returns 0 with *ret filled, or -EBADMSG
 * with one diag saying what is wrong (not JSON, wrong format tag, unknown
 * version or type, missing or malformed field, checksum mismatch). *ret is
 * untouched on failure.
 */
int state_parse(const char *text, size_t len, struct state_pos *ret, struct diags *errs);

/*
 * Renders pos as the file's text (one line, NUL-terminated) into buf.
 * Returns the length, -EINVAL for an invalid pos (empty or over-long
 * cursor, bad hash), -ENOBUFS if buf is too small.
 */
int state_format(const struct state_pos *pos, char *buf, size_t size);

/*
 * Reads and parses path. Returns 0, -ENOENT when there is no state file
 * (nothing to report), -EBADMSG when it is broken (a diag says why, with
 * the path), or another -errno when it cannot be read (a diag too).
 * *ret is untouched on failure.
 */
int state_read(const char *path, struct state_pos *ret, struct diags *errs);

/* "head" or "tail", for log lines. */
const char *state_start_name(enum start_mode m);

/*
 * What the position file takes from the configuration (filled by the
 * config loader, config_source_options): state_file (NULL or empty: no
 * position kept), state_fallback, commit_every, commit_interval_ms.
 * Strings are borrowed.
 */
struct state_options {
	const char *state_file;
	enum start_mode fallback;    /* where a source starts when the file holds another type */
	unsigned commit_every;	     /* 0: 256 */
	unsigned commit_interval_ms; /* 0: 1000 */
};

/*
 * Where a source of type `type` begins. Returns 1 with *pos when o's
 * state file holds a position of that type to resume from; when it is
 * broken or unreadable (counted in cnt's state_corrupt; cnt may be NULL),
 * or missing beside a PATH.prev, the previous position there. Returns 0
 * with *mode when the source starts afresh: at start when no state file
 * is configured or none exists, at the head when it is broken and there
 * is no previous one, at o->fallback when it holds another source
 * type's position (each said in the log).
 */
int state_begin(const struct state_options *o, enum state_type type, enum start_mode start,
		struct counters *cnt, struct state_pos *pos, enum start_mode *mode);

/*
 * Writes pos to path atomically (path.tmp.PID, fsync, the old file renamed
 * to path.prev, rename, fsync of the directory). Returns 0 or -errno with
 * a diag. A failure before the rename leaves the old file as it was (and
 * no temp file); a failed fsync of the directory comes after it: path then
 * holds pos, but not durably yet.
 */
int state_write(const char *path, const struct state_pos *pos, struct diags *errs);

/*
 * The same atomic write for any small file (the signing state): text[0..len)
 * replaces path, or path stays as it was. Returns 0 or -errno with a diag.
 */
int state_write_text(const char *path, const char *text, size_t len, struct diags *errs);

/*
 * The system calls state_write makes. Tests replace them to reach each
 * failure path and to see their order; open's mode is 0 for O_DIRECTORY.
 */
struct state_io {
	int (*open)(const char *path, int flags, mode_t mode);
	ssize_t (*write)(int fd, const void *buf, size_t n);
	int (*fsync)(int fd);
	int (*close)(int fd);
	int (*rename)(const char *from, const char *to);
};

/*
 * For tests only: io (borrowed, must outlive its use) replaces them; NULL
 * restores the real ones.
 */
void state_set_io(const struct state_io *io);

/*
 * The hex SHA-256 of data[0..len) into hex (STATE_HASH_HEX_LEN + 1 bytes).
 * Shared by the sources for their event ids and first-line keys.
 */
void state_sha256_hex(const void *data, size_t len, char hex[STATE_HASH_HEX_LEN + 1]);

/*
 * Batched commits of a source's delivered position: the state file is
 * written when o->commit_every records were delivered since the last
 * write, or o->commit_interval_ms after the first of them (a timer on
 * the loop), and by state_committer_flush (clean shutdown). On a loop the
 * batched writes are made by a state_writer thread, so the loop never
 * waits for their fsyncs; state_committer_flush writes on the caller's
 * thread once that one is idle. Counts
 * state_writes and state_write_failures; a failing write is logged once
 * until it works again. Nothing is written when o->state_file is empty.
 */
struct state_writer;
struct state_committer {
	const char *path; /* borrowed from the config */
	unsigned every, interval_ms;
	struct counters *cnt;
	sd_event *e;
	sd_event_source *timer;
	struct state_pos pos;
	bool have, dirty, failing;
	size_t uncommitted;	     /* records delivered since the last write */
	struct state_writer *writer; /* on a loop: the batched writes, off it */
};

/* Sets c up on loop e (borrowed; NULL: no timer). Returns 0 or -errno. */
int state_committer_init(struct state_committer *c, const struct state_options *o, sd_event *e,
			 struct counters *cnt);

/* The newest delivered position (copied); records: how many more records it covers. */
void state_committer_set(struct state_committer *c, const struct state_pos *pos, size_t records);

/* Writes a position not yet written now. Returns 0 or -errno. */
int state_committer_flush(struct state_committer *c);

/*
 * Releases the timer and the writer, once it has written what it holds;
 * c may be zeroed or half set up.
 */
void state_committer_done(struct state_committer *c);

#endif
