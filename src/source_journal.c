/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journal source: a thread reads the entries ahead (source_journal_ring.c:
 * sd_journal_next, the fields, the cursor, the event id) while the loop
 * hands those already read to the pipeline; the thread's eventfd wakes the
 * loop when a batch is ready. The journal is positioned on the loop before
 * the thread starts, and belongs to the thread from then on. Entries are
 * taken in batches from a defer event source, so acknowledgements and
 * timers run between batches. The cursor of each record in flight waits in
 * a FIFO; the cursor of the newest delivered record is saved to the state
 * file, batched (commit_every records or commit_interval_ms): what was read
 * ahead and not delivered is read again after a restart.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "source.h"
#include "source_window.h"
#include "source_journal.h"
#include "source_journal_impl.h"
#include "state.h"

#define BATCH_ENTRIES  512
#define POLL_SAFETY_US (1000 * 1000ull) /* the eventfd wakes the loop; this timer only kicks */

struct fifo_entry {
	uint64_t seq;
	char *cursor;
};

struct sjournal {
	/*
	 * First, for the source_window_op_* entries: records submitted and not yet delivered
	 * (struct fifo_entry), and the saved cursor.
	 */
	struct source_window win;
	struct source_journal_options opt;
	struct pipeline *pl;
	struct counters *cnt;
	sd_event *e;
	sd_event_source *io; /* the ring's eventfd */
	struct jreader rd;
	struct jring *ring;
	bool have_current; /* positioned on an entry not yet read */
};
_Static_assert(offsetof(struct sjournal, win) == 0, "the window comes first");

/* The value of cursor field key ("s=") into out; false if absent. */
static bool cursor_field(const char *cursor, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cursor;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0) {
			const char *v = p + klen;
			size_t n = strcspn(v, ";");

			if (n >= size)
				return false;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p, ';');
		if (p)
			p++;
	}
	return false;
}

int source_journal_read_file(const char *path, const struct source_journal_options *o,
			     struct pipeline *pl, struct counters *cnt, struct diags *errs)
{
	struct jreader rd = {0};
	struct jring *ring = NULL;
	struct record rec;
	char *cursor;
	unsigned errors = 0;
	int n = 0, err = 0, r;

	r = jreader_open(&rd, o, path, errs);
	if (r < 0)
		goto out;
	r = sd_journal_seek_head(rd.j);
	if (r < 0)
		goto out;
	r = jring_start(&rd, false, false, &ring);
	if (r < 0)
		goto out;
	while ((r = jring_take(ring, true, &rec, &cursor, &errors, &err)) > 0) {
		free(cursor);
		r = pipeline_submit(pl, &rec);
		if (r < 0)
			goto out;
		n++;
	}
	cnt->source_errors += errors;
	if (err < 0) {
		/* As before the thread: a failed sd_journal_next ends the read. */
		diag_add(errs, path, 0, 0, "reading the journal: %s", strerror(-err));
		r = err;
		goto out;
	}
	r = n;
out:
	jring_stop(ring);
	jreader_close(&rd);
	return r;
}

/* The committed position becomes cursor (borrowed), covering records more records. */
static void set_committed(struct sjournal *s, const char *cursor)
{
	struct state_pos pos = {.type = STATE_JOURNAL};

	snprintf(pos.cursor, sizeof(pos.cursor), "%s", cursor);
	state_committer_set(&s->win.commit, &pos, 0);
}

static void entry_pos(const void *entry, struct state_pos *pos)
{
	const struct fifo_entry *f = entry;

	pos->type = STATE_JOURNAL;
	snprintf(pos->cursor, sizeof(pos->cursor), "%s", f->cursor);
}

static void entry_release(void *entry)
{
	struct fifo_entry *f = entry;

	free(f->cursor);
	f->cursor = NULL;
}

/* One batch. Returns 1 if there may be more to take now, 0 when not, -errno. */
static int read_batch(void *userdata)
{
	struct sjournal *s = userdata;
	struct record rec;
	unsigned errors = 0;
	char *cursor;
	int err = 0, r = 1;

	for (unsigned i = 0; i < BATCH_ENTRIES; i++) {
		if (source_window_stopped(&s->win)) {
			r = 0; /* resumed by pause(false) or delivered() */
			break;
		}
		if (jring_take(s->ring, false, &rec, &cursor, &errors, &err) == 0) {
			r = 0; /* the eventfd says when there is more */
			break;
		}
		/* The cursor's ownership moves to the window. */
		source_window_submit(&s->win, s->pl, &rec, &(struct fifo_entry){.cursor = cursor},
				     "journal entries");
	}
	s->cnt->source_errors += errors;
	if (err < 0)
		log_warnx("reading the journal: %s", strerror(-err));
	return r;
}

static int on_ready(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct sjournal *s = userdata;
	eventfd_t v;

	(void)eventfd_read(fd, &v);
	source_window_kick(&s->win);
	return 0;
}

/* The window's poll: the thread waits for the journal itself. */
static void poll_nothing(void *userdata)
{
}

/* Start without a usable position: tail (after the newest entry) or head. */
static int start_at(struct sjournal *s, enum start_mode mode)
{
	int r;

	s->have_current = false;
	if (mode == START_HEAD)
		return sd_journal_seek_head(s->rd.j);
	r = sd_journal_seek_tail(s->rd.j);
	if (r < 0)
		return r;
	r = sd_journal_previous(s->rd.j);
	if (r == 0) {
		/*
		 * No matching entry yet. From a tail location sd_journal_next()
		 * would return the newest entry first, skipping those before it:
		 * read from the head instead, which holds only new entries.
		 */
		return sd_journal_seek_head(s->rd.j);
	}
	if (r > 0) {
		char *c = NULL;

		/* Remember the tail, so a restart resumes here, not at a later tail. */
		if (sd_journal_get_cursor(s->rd.j, &c) >= 0)
			set_committed(s, c);
		free(c);
	}
	return r < 0 ? r : 0;
}

/*
 * Positions the journal after the saved cursor: seek to it and skip the
 * entry it names. If that entry is gone (vacuumed) but the journal still
 * holds entries of the same sequence, start at the next one; if the
 * journal has no entry of that sequence (a cursor of another machine or
 * journal), the state is unusable: fall back.
 */
static int resume_at(struct sjournal *s, const char *cursor)
{
	enum start_mode fb = s->opt.win.state.fallback;
	char want_sid[64], got_sid[64];
	char *landed = NULL;
	int r;

	if (!cursor_field(cursor, "s=", want_sid, sizeof(want_sid))) {
		log_warnx(
		    "state file %s: cursor has no seqnum id; starting at the %s (state_fallback)",
		    s->opt.win.state.state_file, state_start_name(fb));
		return start_at(s, fb);
	}
	r = sd_journal_seek_cursor(s->rd.j, cursor);
	if (r < 0) {
		log_warnx("state file %s: journal refuses the cursor (%s); starting at the %s "
			  "(state_fallback)",
			  s->opt.win.state.state_file, strerror(-r), state_start_name(fb));
		return start_at(s, fb);
	}
	r = sd_journal_next(s->rd.j);
	if (r < 0)
		return r;
	if (r > 0 && sd_journal_test_cursor(s->rd.j, cursor) > 0) {
		/* Resume after it; the state file already says so. */
		log_info("resuming the journal after the saved cursor");
		return 0;
	}
	if (r == 0) {
		/* Nothing at or after the cursor: same journal with nothing new, or foreign. */
		r = sd_journal_seek_tail(s->rd.j);
		if (r >= 0)
			r = sd_journal_previous(s->rd.j);
		if (r == 0) {
			log_info("journal holds no matching entry; waiting for new ones");
			return sd_journal_seek_head(s->rd.j);
		}
		if (r < 0)
			return r;
	} else {
		s->have_current = true;
	}
	r = sd_journal_get_cursor(s->rd.j, &landed);
	if (r < 0)
		return r;
	if (cursor_field(landed, "s=", got_sid, sizeof(got_sid)) &&
	    strcmp(got_sid, want_sid) == 0) {
		if (s->have_current)
			log_warnx("state file %s: the saved journal entry is gone (vacuumed?); "
				  "resuming at the next retained entry",
				  s->opt.win.state.state_file);
		/* else: the cursor lies past the tail of its own sequence: read on from there */
		free(landed);
		return 0;
	}
	free(landed);
	log_warnx("state file %s: the saved cursor is not from this journal (seqnum id %s not "
		  "found); starting at the %s (state_fallback)",
		  s->opt.win.state.state_file, want_sid, state_start_name(fb));
	return start_at(s, fb);
}

static int position(struct sjournal *s)
{
	struct state_pos pos;
	enum start_mode mode;

	if (state_begin(&s->opt.win.state, STATE_JOURNAL, s->opt.start, s->cnt, &pos, &mode) > 0)
		return resume_at(s, pos.cursor);
	return start_at(s, mode);
}

static void sj_close(void *p)
{
	struct sjournal *s = p;

	if (!s)
		return;
	/* The thread first: it holds the journal. */
	jring_stop(s->ring);
	sd_event_source_disable_unref(s->io);
	source_window_done(&s->win);
	jreader_close(&s->rd);
	sd_event_unref(s->e);
	free(s);
}

static int sj_open(const struct source_options *o, sd_event *e, struct pipeline *pl,
		   struct counters *cnt, void **ret, struct diags *errs)
{
	struct sjournal *s;
	int fd, r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opt = o->journal;
	s->pl = pl;
	s->cnt = cnt;
	s->e = sd_event_ref(e);
	r = source_window_init(&s->win, &s->opt.win, e, cnt, sizeof(struct fifo_entry), entry_pos,
			       entry_release);
	if (r < 0)
		goto out;
	r = jreader_open(&s->rd, &s->opt, NULL, errs);
	if (r < 0)
		goto out;
	r = position(s);
	if (r < 0) {
		diag_add(errs, NULL, 0, 0, "cannot position the journal: %s", strerror(-r));
		goto out;
	}
	/* A start at the tail is saved at once: a crash before the first delivery skips nothing. */
	source_window_commit(&s->win);
	/* Made here, so that a journal that cannot be watched fails the start. */
	fd = sd_journal_get_fd(s->rd.j);
	if (fd < 0) {
		r = fd;
		diag_add(errs, NULL, 0, 0, "journal: no fd to watch: %s", strerror(-r));
		goto out;
	}
	r = jring_start(&s->rd, true, s->have_current, &s->ring);
	if (r < 0)
		goto out;
	r = sd_event_add_io(e, &s->io, jring_fd(s->ring), EPOLLIN, on_ready, s);
	if (r < 0)
		goto out;
	r = source_window_start(&s->win, e, read_batch, poll_nothing, POLL_SAFETY_US, s);
	if (r < 0)
		goto out;
	*ret = s;
	s = NULL;
	r = 0;
out:
	if (r < 0 && errs->n == 0)
		diag_add(errs, NULL, 0, 0, "journal source: %s", strerror(-r));
	sj_close(s);
	return r;
}

const struct source_ops source_journal_ops = {
    .type = SOURCE_JOURNAL,
    .name = "journal",
    .open = sj_open,
    .pause = source_window_op_pause,
    .delivered = source_window_op_delivered,
    .commit = source_window_op_commit,
    .close = sj_close,
};
