/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A source under test on a real sd-event loop with the real pipeline: the
 * records it hands over are observed (struct seen), and they are
 * acknowledged up to ack_limit as the loop runs. For test_source_file.c and
 * test_source_journal.c; the test sets ops and the config, then
 * h_start, h_run, h_stop.
 */
#ifndef IKELOGD_TEST_SOURCE_HARNESS_H
#define IKELOGD_TEST_SOURCE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "pipeline.h"
#include "source.h"
#include "state.h"
#include "stage_opts.h"

#define MAXREC 256

struct seen {
	char msg[320];
	size_t len;
	char id[33];
	char host[64];
	char boot[40];
	unsigned flags;
	int64_t rt;
	int pid, prio;
	uint64_t seq;
};

struct h {
	struct config cfg;
	struct counters cnt;
	sd_event *e;
	struct pipeline *pl;
	const struct source_ops *ops;
	struct source src;
	/* paths the test names: its directory, files in it, the state file */
	char dir[64], path[128], a[128], b[128], state[128];
	struct seen v[MAXREC];
	size_t n;
	uint64_t ack_limit; /* acknowledge records up to this seq (UINT64_MAX: all) */
};

static void observe(const struct record *rec, const struct event *ev, void *ud)
{
	struct h *h = ud;
	struct seen *s;

	(void)ev;
	if (h->n >= MAXREC)
		return;
	s = &h->v[h->n++];
	s->len = rec->len < sizeof(s->msg) - 1 ? rec->len : sizeof(s->msg) - 1;
	memcpy(s->msg, rec->msg, s->len);
	s->msg[s->len] = '\0';
	snprintf(s->id, sizeof(s->id), "%s", rec->event_id ? rec->event_id : "");
	snprintf(s->host, sizeof(s->host), "%s", rec->host ? rec->host : "");
	snprintf(s->boot, sizeof(s->boot), "%s", rec->boot_id ? rec->boot_id : "");
	s->flags = rec->flags;
	s->rt = rec->realtime_usec;
	s->pid = rec->pid;
	s->prio = rec->priority;
	s->seq = rec->seq;
}

static inline void set_str(char **field, const char *v)
{
	free(*field);
	*field = v ? strdup(v) : NULL;
}

static inline void set_list(struct str_list *l, const char *v)
{
	for (size_t i = 0; i < CONFIG_LIST_MAX; i++) {
		free(l->v[i]);
		l->v[i] = NULL;
	}
	l->n = 0;
	if (v) {
		l->v[0] = strdup(v);
		l->n = 1;
	}
}

/*
 * The defaults with no rules (every line is an "unparsed" event: the
 * records are what is checked), the state file h->state, a pseudonym key
 * generated in h->dir, a position saved on every delivery.
 */
static inline void h_config(struct h *h, enum source_type type, unsigned in_flight)
{
	char key[160];

	config_defaults(&h->cfg);
	set_list(&h->cfg.rules, NULL);
	h->cfg.source.type = type;
	set_str(&h->cfg.state_file, h->state);
	snprintf(key, sizeof(key), "%s/pseudonym.key", h->dir);
	set_str(&h->cfg.redact.key_file, key);
	h->cfg.redact.generate_key = true;
	h->cfg.limits.in_flight = in_flight;
	h->cfg.limits.max_line_bytes = 256;
	h->cfg.commit_every = 1;
	h->ack_limit = UINT64_MAX;
}

static inline void h_start(struct h *h)
{
	struct diags errs = {0};
	int r;

	h->n = 0;
	memset(&h->cnt, 0, sizeof(h->cnt));
	assert_int_equal(sd_event_new(&h->e), 0);
	r = pipeline_new(t_pipeline_opts(&h->cfg), &h->cnt, &h->pl, &errs);
	if (r < 0)
		fail_msg("pipeline_new: %d %s", r, errs.n ? errs.v[0].msg : "");
	pipeline_set_observer(h->pl, observe, h);
	h->src.ops = h->ops;
	r = h->ops->open(t_source_opts(&h->cfg), h->e, h->pl, &h->cnt, &h->src.state, &errs);
	if (r < 0)
		fail_msg("open: %d %s", r, errs.n ? errs.v[0].msg : "");
	pipeline_attach(h->pl, &h->src, NULL);
}

static inline void h_stop(struct h *h)
{
	assert_int_equal(h->ops->commit(h->src.state), 0);
	h->ops->close(h->src.state);
	h->src.state = NULL;
	pipeline_free(h->pl);
	h->pl = NULL;
	h->e = sd_event_unref(h->e);
}

/* Runs the loop until n records were seen and then 200 ms more, or for ms at most. */
static inline void h_run(struct h *h, size_t n, unsigned ms)
{
	struct timespec t0, t;
	bool reached = false;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long el;

		assert_true(sd_event_run(h->e, 10 * 1000) >= 0);
		if (h->n) {
			uint64_t last = h->v[h->n - 1].seq;

			pipeline_delivered(h->pl, last < h->ack_limit ? last : h->ack_limit);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (!reached && h->n >= n) {
			reached = true;
			t0 = t;
			ms = 200;
			continue;
		}
		if (el >= (long)ms)
			break;
	}
}

#endif
