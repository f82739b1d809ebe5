/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SOURCE_JOURNAL_H
#define IKELOGD_SOURCE_JOURNAL_H

#include <stddef.h>

#include "diag.h"
#include "pipeline.h"
#include "source_window.h"
#include "stats.h"

/*
 * The journal source (source_journal_ops in source.h): the system journal,
 * or the files or the one directory of source.journal.files, filtered
 * by source.journal.match (default SYSLOG_IDENTIFIER=pluto). Each
 * entry becomes one record: MESSAGE (cut at limits.max_line_bytes),
 * _SOURCE_REALTIME_TIMESTAMP (else the entry's realtime), _HOSTNAME, _PID
 * (else SYSLOG_PID), PRIORITY, the boot id, and an event_id of 32 hex
 * digits: SHA-256 over the cursor's seqnum id and seqnum, so an entry read
 * again (after a restart, from a rotated file) gets the same id. A thread
 * reads the entries ahead of the pipeline (source_journal_impl.h).
 */

#define SOURCE_JOURNAL_LIST_MAX 16

/*
 * The journal source's options, filled by the config loader
 * (config_source_options): source.journal, limits.max_line_bytes (0:
 * 65536) and the window's. Strings are borrowed from the configuration.
 */
struct source_journal_options {
	const char *match[SOURCE_JOURNAL_LIST_MAX]; /* FIELD=VALUE, OR-ed */
	size_t n_match;
	const char *files[SOURCE_JOURNAL_LIST_MAX]; /* none: the system journal */
	size_t n_files;
	enum start_mode start;
	unsigned max_line_bytes;
	struct source_window_options win;
};

/*
 * Reads every entry of the journal file or directory at path (matches from
 * o), from its head to its end, synchronously into pl: for the one-shot
 * tools (normalize --journal-file). Returns the number of entries read, or
 * -errno with a diag in errs (cannot open, bad match).
 */
int source_journal_read_file(const char *path, const struct source_journal_options *o,
			     struct pipeline *pl, struct counters *cnt, struct diags *errs);

/*
 * The event id of a journal cursor: 32 hex digits of SHA-256 over
 * "journal:" and the cursor's "s=...;i=..." part (the whole cursor when
 * it has no such part). out must hold 33 bytes. Exposed for the tests.
 */
void source_journal_event_id(const char *cursor, char out[33]);

#endif
