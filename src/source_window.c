/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The window of positions in flight shared by the journal and logfile
 * sources (see source_window.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "source_window.h"

#define LIMIT_FACTOR	  4    /* entries kept per event the pipeline may have in flight */
#define TIMER_ACCURACY_US 1000 /* sd-event coalesces to 250 ms by default */

int source_window_init(struct source_window *w, const struct source_window_options *o, sd_event *e,
		       struct counters *cnt, size_t elem,
		       void (*to_pos)(const void *entry, struct state_pos *pos),
		       void (*release)(void *entry))
{
	if (elem < sizeof(uint64_t))
		return -EINVAL;
	seqring_init(&w->fifo, elem);
	w->limit = (size_t)(o->in_flight ? o->in_flight : 4096) * LIMIT_FACTOR;
	w->acked_upto = 0;
	w->cnt = cnt;
	w->to_pos = to_pos;
	w->release = release;
	w->submit_failing = false;
	w->defer = w->poll = NULL;
	w->paused = false;
	if (!(w->newest = malloc(elem)))
		return -ENOMEM;
	return state_committer_init(&w->commit, &o->state, e, cnt);
}

void source_window_done(struct source_window *w)
{
	void *f;

	w->defer = sd_event_source_disable_unref(w->defer);
	w->poll = sd_event_source_disable_unref(w->poll);
	state_committer_done(&w->commit);
	while ((f = seqring_front(&w->fifo))) {
		if (w->release)
			w->release(f);
		seqring_pop(&w->fifo);
	}
	seqring_free(&w->fifo);
	free(w->newest);
	w->newest = NULL;
}

static uint64_t seq_of(const void *entry)
{
	uint64_t seq;

	memcpy(&seq, entry, sizeof(seq));
	return seq;
}

/* Moves every entry up to acked_upto out of the window, the newest to the committer. */
static void pop_delivered(struct source_window *w)
{
	struct state_pos pos;
	size_t n = 0;
	void *f;

	while ((f = seqring_front(&w->fifo)) && seq_of(f) <= w->acked_upto) {
		if (n++ && w->release)
			w->release(w->newest);
		memcpy(w->newest, f, w->fifo.elem);
		seqring_pop(&w->fifo);
	}
	if (n == 0)
		return;
	memset(&pos, 0, sizeof(pos));
	w->to_pos(w->newest, &pos);
	state_committer_set(&w->commit, &pos, n);
	if (w->release)
		w->release(w->newest);
}

void source_window_submit(struct source_window *w, struct pipeline *pl, struct record *rec,
			  void *entry, const char *what)
{
	int r = pipeline_submit(pl, rec);

	if (r < 0) {
		w->cnt->source_errors++;
		if (!w->submit_failing)
			log_warnx("%s not processed: %s (counted in source_errors)", what,
				  strerror(-r));
	}
	w->submit_failing = r < 0;
	memcpy(entry, &rec->seq, sizeof(rec->seq));
	source_window_add(w, entry);
}

void source_window_add(struct source_window *w, void *entry)
{
	if (seqring_push(&w->fifo, entry) < 0) {
		w->cnt->source_errors++;
		if (w->release)
			w->release(entry);
	}
	/* delivered() may have run inside submit, before the seq was known. */
	pop_delivered(w);
}

bool source_window_delivered(struct source_window *w, uint64_t upto)
{
	bool was_full = source_window_full(w);

	if (upto > w->acked_upto)
		w->acked_upto = upto;
	pop_delivered(w);
	if (!was_full || source_window_full(w))
		return false;
	source_window_kick(w);
	return true;
}

void source_window_kick(struct source_window *w)
{
	if (!w->paused && w->defer)
		sd_event_source_set_enabled(w->defer, SD_EVENT_ONESHOT);
}

void source_window_pause(struct source_window *w, bool paused)
{
	w->paused = paused;
	if (paused)
		sd_event_source_set_enabled(w->defer, SD_EVENT_OFF);
	else
		source_window_kick(w);
}

static int on_defer(sd_event_source *es, void *userdata)
{
	struct source_window *w = userdata;

	if (w->read(w->userdata) > 0)
		source_window_kick(w);
	return 0;
}

static int on_poll(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct source_window *w = userdata;
	uint64_t now;

	w->poll_fn(w->userdata);
	source_window_kick(w);
	/* From now, not from usec: a late wakeup must not fire a burst. */
	sd_event_now(sd_event_source_get_event(es), CLOCK_MONOTONIC, &now);
	sd_event_source_set_time(es, now + w->poll_usec);
	return 0;
}

int source_window_start(struct source_window *w, sd_event *e, int (*read)(void *userdata),
			void (*poll_fn)(void *userdata), uint64_t poll_usec, void *userdata)
{
	uint64_t now;
	int r;

	w->read = read;
	w->poll_fn = poll_fn;
	w->poll_usec = poll_usec;
	w->userdata = userdata;
	r = sd_event_add_defer(e, &w->defer, on_defer, w);
	if (r < 0)
		return r;
	/* Below the sink and the timers: acknowledgements run between batches. */
	sd_event_source_set_priority(w->defer, SD_EVENT_PRIORITY_NORMAL + 10);
	sd_event_source_set_enabled(w->defer, w->paused ? SD_EVENT_OFF : SD_EVENT_ONESHOT);
	sd_event_now(e, CLOCK_MONOTONIC, &now);
	r = sd_event_add_time(e, &w->poll, CLOCK_MONOTONIC, now + poll_usec, TIMER_ACCURACY_US,
			      on_poll, w);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(w->poll, SD_EVENT_ON);
}

void source_window_op_pause(void *state, bool paused)
{
	source_window_pause(state, paused);
}

void source_window_op_delivered(void *state, uint64_t upto)
{
	source_window_delivered(state, upto);
}

int source_window_op_commit(void *state)
{
	return source_window_commit(state);
}
