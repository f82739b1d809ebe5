/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_STATE_WRITER_H
#define IKELOGD_STATE_WRITER_H

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "diag.h"
#include "state.h"

/*
 * Writes the state file behind the event loop. state_write makes two
 * fsyncs (the file, its directory), 5 to 15 ms each on a loaded disk: done
 * on the loop, every commit_every records, they capped a source at a few
 * tens of thousands of records per second and stalled every event that
 * arrived meanwhile. One thread does the writes instead, one at a time; a
 * position posted while one is being written replaces any older one still
 * waiting (only the newest matters). The loop learns of each finished
 * write through an eventfd and then calls done(). Positions are posted
 * only once delivered, so what the file holds is never ahead of delivery.
 */
struct state_writer;

/*
 * A writer for path (borrowed, must outlive it) on loop e: done(userdata)
 * runs on the loop after writes finished. Returns 0 and *ret, or -errno.
 */
int state_writer_new(const char *path, sd_event *e, void (*done)(void *userdata), void *userdata,
		     struct state_writer **ret);

/* Queues pos (copied) for writing; replaces a queued one not yet taken. */
void state_writer_post(struct state_writer *w, const struct state_pos *pos);

/* Blocks until no write is queued or running (for a write on the caller's own thread). */
void state_writer_wait_idle(struct state_writer *w);

/*
 * The writes finished since the last call: *ok and *failed are their
 * counts; when the newest of them failed, *last_failed is true and *errs
 * holds its diagnostics.
 */
void state_writer_take(struct state_writer *w, unsigned *ok, unsigned *failed, bool *last_failed,
		       struct diags *errs);

/* Writes what is still queued, stops the thread, frees w. NULL is a no-op. */
void state_writer_free(struct state_writer *w);

#endif
