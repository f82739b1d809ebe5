/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SOURCE_JOURNAL_IMPL_H
#define IKELOGD_SOURCE_JOURNAL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <systemd/sd-journal.h>

#include "diag.h"
#include "record.h"
#include "source_journal.h"

/*
 * The journal source's inner parts, shared by source_journal.c (the
 * positioning, the window, the one-shot reader), source_journal_reader.c
 * (an entry's fields, cursor and id) and source_journal_ring.c (the thread
 * that reads ahead). Not for other modules.
 */

#define JREADER_HOST_MAX 256

/* An open journal with its match, and what reading an entry needs. */
struct jreader {
	sd_journal *j;
	size_t max_line;
	EVP_MD *md; /* SHA-256 for the event ids, fetched once */
	EVP_MD_CTX *mdctx;
	sd_id128_t boot; /* the last boot id met, converted only when it changes */
	char boot_id[SD_ID128_STRING_MAX];
};

/*
 * Opens the journal of o (or only_path when not NULL: a file or a
 * directory) with o's matches. Returns 0, or -errno with a diag in errs.
 */
int jreader_open(struct jreader *rd, const struct source_journal_options *o, const char *only_path,
		 struct diags *errs);

/* Closes the journal and frees what rd holds; rd may be half open. */
void jreader_close(struct jreader *rd);

/*
 * One entry read ahead, its strings in its batch's buffer (offsets, since
 * the buffer may move while the batch fills).
 */
struct jentry {
	int64_t realtime_usec;
	size_t msg_off, msg_len;
	size_t host_off; /* SIZE_MAX: no _HOSTNAME */
	int pid, priority;
	unsigned flags; /* enum record_flag */
	bool have_boot;
	char boot_id[SD_ID128_STRING_MAX];
	char event_id[33];
	char *cursor; /* malloc'd by sd-journal; whoever takes the entry owns it */
};

/* Entries read ahead together; buf holds their messages and host names. */
struct jbatch {
	struct jentry *e;
	size_t n, cap;
	char *buf;
	size_t used, size;
	unsigned errors; /* entries or reads that failed */
	int err;	 /* the newest failed read's -errno, for the log */
};

/*
 * Reads the current entry of rd into batch b (room checked by the caller:
 * max_line + JREADER_HOST_MAX bytes free in buf). Returns 0, or -errno
 * (then nothing is added).
 */
int jreader_entry(struct jreader *rd, struct jbatch *b);

/* The record of entry e of batch b: pointers into b, valid while b is. */
void jbatch_record(const struct jbatch *b, const struct jentry *e, struct record *rec);

/*
 * The reading thread. A journal source spends most of its time per entry
 * in libsystemd (sd_journal_next, the fields, the cursor) and in the
 * event id's SHA-256: one thread does that for the entries ahead, into a
 * bounded ring of batches, while the loop runs the pipeline over the
 * entries already read. The thread owns rd's journal from jring_start to
 * jring_stop. With follow, it waits for new entries at the end (polls
 * every 2 ms while entries came in the last second, every 25 ms when idle:
 * journald posts its inotify events at most every 250 ms while entries
 * are visible in the mapped file at once) and follows rotation and
 * vacuum (sd_journal_process); without, it stops at the end.
 */
struct jring;

/* The thread's name (/proc/PID/task/TID/comm), at most 15 bytes. */
#define JRING_THREAD_NAME "ikelogd-journal"

/*
 * Starts the thread on rd (positioned: with have_current, on an entry
 * not yet read; else before the next one). Returns 0 and *ret, or -errno.
 */
int jring_start(struct jreader *rd, bool follow, bool have_current, struct jring **ret);

/*
 * An eventfd that becomes readable when a batch is ready (read it to
 * clear it), for the loop to watch.
 */
int jring_fd(const struct jring *r);

/*
 * The next entry read ahead: returns 1, *rec (valid until the next call)
 * and *cursor (owned by the caller from now). 0: none yet (with wait, it
 * blocks for one instead) or, without follow, the end. *errors grows by
 * the failed reads met on the way; *err is the newest one's -errno.
 */
int jring_take(struct jring *r, bool wait, struct record *rec, char **cursor, unsigned *errors,
	       int *err);

/* Stops and joins the thread, frees what is still read ahead. NULL: no-op. */
void jring_stop(struct jring *r);

#endif
