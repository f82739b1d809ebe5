/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SOURCE_H
#define IKELOGD_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "diag.h"
#include "pipeline.h"
#include "receiver.h"
#include "source_file.h"
#include "source_journal.h"
#include "stats.h"

/*
 * A source reads lines and hands them to pipeline_submit(). It keeps the
 * position of every record in flight (by record seq) and persists only the
 * position the pipeline says is delivered. One file per source type
 * (source_journal.c, source_file.c, source_stream.c, source_syslog.c), one
 * line per type in source_table (source.c).
 */
/* The stream source's options: limits.max_line_bytes. */
struct source_stream_options {
	unsigned max_line_bytes;
};

/*
 * Every source's options, filled once by the config loader
 * (config_source_options in config_stages.h): each source reads its own
 * member only. Strings are borrowed from the configuration, which must
 * outlive the source.
 */
struct source_options {
	struct source_journal_options journal;
	struct source_file_options file;
	struct source_stream_options stream;
	struct receiver_options syslog;
};

struct source_ops {
	enum source_type type;
	const char *name;
	/*
	 * Opens the source and registers its event sources on loop e. The
	 * source starts reading on the loop; records go to pl.
	 */
	int (*open)(const struct source_options *o, sd_event *e, struct pipeline *pl,
		    struct counters *cnt, void **ret, struct diags *errs);
	/* Stops (true) or resumes (false) reading: backpressure. */
	void (*pause)(void *s, bool paused);
	/*
	 * Every record with seq <= upto is delivered; the position may move
	 * (batched). It may be called at the end of pipeline_submit() for the
	 * record being submitted, before the source has stored its seq: keep
	 * upto and apply it once the seq is recorded.
	 */
	void (*delivered)(void *s, uint64_t upto);
	/* Writes the newest delivered position now (shutdown). Returns 0 or -errno. */
	int (*commit)(void *s);
	/* Frees the source; NULL is fine. */
	void (*close)(void *s);
	/*
	 * SIGHUP: applies o's options for this source (NULL: the source
	 * keeps the ones it was opened with). Returns 0, or -errno with errs
	 * (the running options stay).
	 */
	int (*reload)(void *s, const struct source_options *o, struct diags *errs);
};

struct source {
	const struct source_ops *ops;
	void *state;
};

extern const struct source_ops source_journal_ops;
extern const struct source_ops source_file_ops;
extern const struct source_ops source_stream_ops;
extern const struct source_ops source_syslog_ops;
/*
 * The syslog source as the daemon runs it: the listener in a child
 * process of its own (receiver.h), source_syslog_ops in there.
 */
extern const struct source_ops source_syslog_privsep_ops;

/* The ops for a configured type, or NULL if none is built in. */
const struct source_ops *source_find(enum source_type t);

/*
 * The stream source's synchronous reader, for the one-shot tools: reads
 * fd to its end, splitting lines, stripping prefixes, submitting each
 * record. name identifies the input in event ids. Returns lines read or -errno.
 */
int source_stream_read_fd(int fd, const char *name, const struct source_stream_options *o,
			  struct pipeline *pl, struct counters *cnt);

#endif
