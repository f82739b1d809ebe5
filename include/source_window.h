/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SOURCE_WINDOW_H
#define IKELOGD_SOURCE_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"
#include "record.h"
#include "seqring.h"
#include "state.h"
#include "stats.h"

/*
 * The positions of a source's records in flight, oldest first, and the
 * state file's position: what the journal and logfile sources share. Each
 * submitted record leaves an entry (the source's own struct, whose first
 * member is the uint64_t seq the pipeline gave the record). When the
 * pipeline reports records delivered up to some seq, the entries up to it
 * leave the window, and the newest of them becomes the position to commit:
 * a position moves only past records that were all delivered.
 *
 * to_pos makes the state file's position of an entry; release frees what
 * an entry owns (NULL: nothing), once it has left the window.
 *
 * The window also drives the reading: a defer source, below the sink and
 * the timers so that acknowledgements run between batches, calls the
 * source's read function while it says there may be more and the source
 * is neither paused nor full; a timer calls its poll function.
 */
struct source_window {
	struct seqring fifo;
	size_t limit; /* entries; the source stops reading at it */
	uint64_t acked_upto;
	struct state_committer commit;
	struct counters *cnt;
	void (*to_pos)(const void *entry, struct state_pos *pos);
	void (*release)(void *entry);
	void *newest;	     /* scratch: the newest entry leaving the window */
	bool submit_failing; /* logged once per run of failures */

	sd_event_source *defer, *poll;
	uint64_t poll_usec;
	int (*read)(void *userdata); /* one batch: > 0 when there may be more now */
	void (*poll_fn)(void *userdata);
	void *userdata;
	bool paused; /* by the pipeline */
};

/*
 * The window's options, filled by the config loader: limits.in_flight
 * (0: 4096) and the position file's.
 */
struct source_window_options {
	unsigned in_flight;
	struct state_options state;
};

/* The poll timer's period from its next turn on. */
static inline void source_window_set_poll(struct source_window *w, uint64_t usec)
{
	w->poll_usec = usec;
}

/* Sets w up for entries of elem bytes on loop e. Returns 0 or -errno. */
int source_window_init(struct source_window *w, const struct source_window_options *o, sd_event *e,
		       struct counters *cnt, size_t elem,
		       void (*to_pos)(const void *entry, struct state_pos *pos),
		       void (*release)(void *entry));
/*
 * Starts the reading on loop e: read at once, poll_fn every poll_usec
 * (then the reading resumes). Returns 0 or -errno.
 */
int source_window_start(struct source_window *w, sd_event *e, int (*read)(void *userdata),
			void (*poll_fn)(void *userdata), uint64_t poll_usec, void *userdata);
/* Reads again soon (a defer event), unless paused. */
void source_window_kick(struct source_window *w);
/* The pipeline pauses or resumes the source. */
void source_window_pause(struct source_window *w, bool paused);
/* Stops the reading, releases every entry and the committer; w may be zeroed or half set up. */
void source_window_done(struct source_window *w);

static inline bool source_window_full(const struct source_window *w)
{
	return seqring_len(&w->fifo) >= w->limit;
}

/* Whether reading must stop now: paused, or the window is full. */
static inline bool source_window_stopped(const struct source_window *w)
{
	return w->paused || source_window_full(w);
}

/*
 * Hands rec to the pipeline, then keeps entry (its seq set to rec's) in
 * the window; what (e.g. "journal entries") names the records in the one
 * warning a run of failures gets. A record the pipeline refused is counted
 * in source_errors and its entry kept all the same: its seq is delivered
 * with the others. If the entry cannot be kept it is released.
 */
void source_window_submit(struct source_window *w, struct pipeline *pl, struct record *rec,
			  void *entry, const char *what);

/*
 * Keeps entry (its seq set) in the window, or releases it and counts a
 * source error when memory runs out; entries up to what was delivered
 * leave at once. source_window_submit ends with it.
 */
void source_window_add(struct source_window *w, void *entry);

/*
 * The pipeline delivered every record up to seq upto. When that makes room
 * in a full window, the reading resumes, and it returns true.
 */
bool source_window_delivered(struct source_window *w, uint64_t upto);

/*
 * The pause, delivered and commit entries of struct source_ops, for a
 * source whose state struct has its window as its first member.
 */
void source_window_op_pause(void *state, bool paused);
void source_window_op_delivered(void *state, uint64_t upto);
int source_window_op_commit(void *state);

/* Writes the position now if it is newer than the state file's. Returns 0 or -errno. */
static inline int source_window_commit(struct source_window *w)
{
	return state_committer_flush(&w->commit);
}

#endif
