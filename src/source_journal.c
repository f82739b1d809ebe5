/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journal source: sd-journal driven by sd-event. The journal's inotify
 * fd wakes us, and a poll, because journald posts its change notifications
 * at most every 250 ms while new entries are visible in the mapped file at
 * once: every 2 ms while entries came in the last second (the poll is most
 * of an event's delay from journal to collector), every 25 ms when idle.
 * sd_journal_process() says whether files were added or removed (rotation,
 * vacuum), which sd-journal follows by itself: the location of the last
 * entry read survives. Entries are read in batches from a defer event
 * source, so acknowledgements and timers run between batches. The cursor
 * of each record in flight waits in a FIFO; the cursor of the newest
 * delivered record is saved to the state file, batched (commit_every
 * records or commit_interval_ms).
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "source.h"
#include "source_window.h"
#include "source_journal.h"
#include "state.h"

#define BATCH_ENTRIES 512
#define POLL_IDLE_US  (25 * 1000ull)
#define POLL_BUSY_US  (2 * 1000ull)
#define BUSY_FOR_US   (1000 * 1000ull) /* polls stay fast this long after an entry */
#define DEFAULT_MATCH "SYSLOG_IDENTIFIER=pluto"
#define HOST_MAX      256

/* The reading half, shared by the daemon source and the one-shot reader. */
struct jreader {
	sd_journal *j;
	size_t max_line;
	char *msg; /* max_line bytes: MESSAGE is copied, journal data moves */
	char host[HOST_MAX];
	char boot_id[SD_ID128_STRING_MAX];
	sd_id128_t boot; /* boot_id as read, converted only when it changes */
	char event_id[33];
	char *cursor; /* of the entry last read, malloc'd by sd-journal */
	EVP_MD *md;   /* SHA-256, fetched once */
	EVP_MD_CTX *mdctx;
};

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
	sd_event_source *io;
	struct jreader rd;
	bool have_current;	  /* positioned on an entry not yet read */
	uint64_t last_entry_usec; /* CLOCK_MONOTONIC of the last batch that read entries */
};
_Static_assert(offsetof(struct sjournal, win) == 0, "the window comes first");

/* "journal:" and the cursor's "s=...;i=..." part into buf; returns its length. */
static size_t id_input(const char *cursor, char buf[STATE_CURSOR_MAX + 16])
{
	const char *end = NULL;
	size_t n;

	if (strncmp(cursor, "s=", 2) == 0) {
		const char *semi = strchr(cursor, ';');

		if (semi && strncmp(semi + 1, "i=", 2) == 0)
			end = strchr(semi + 1, ';');
	}
	n = end ? (size_t)(end - cursor) : strlen(cursor);
	if (n > STATE_CURSOR_MAX)
		n = STATE_CURSOR_MAX;
	memcpy(buf, "journal:", 8);
	memcpy(buf + 8, cursor, n);
	return n + 8;
}

void source_journal_event_id(const char *cursor, char out[33])
{
	char buf[STATE_CURSOR_MAX + 16];
	char hex[STATE_HASH_HEX_LEN + 1];

	state_sha256_hex(buf, id_input(cursor, buf), hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
}

/* The same id with the reader's digest context: no algorithm fetch per entry. */
static void reader_event_id(struct jreader *rd)
{
	static const char digits[] = "0123456789abcdef";
	char buf[STATE_CURSOR_MAX + 16];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n;

	n = id_input(rd->cursor, buf);
	if (!rd->mdctx || !EVP_DigestInit_ex(rd->mdctx, rd->md, NULL) ||
	    !EVP_DigestUpdate(rd->mdctx, buf, n) || !EVP_DigestFinal_ex(rd->mdctx, md, &mdlen) ||
	    mdlen < 16) {
		source_journal_event_id(rd->cursor, rd->event_id);
		return;
	}
	for (unsigned i = 0; i < 16; i++) {
		rd->event_id[2 * i] = digits[md[i] >> 4];
		rd->event_id[2 * i + 1] = digits[md[i] & 15];
	}
	rd->event_id[32] = '\0';
}

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

static int reader_open(struct jreader *rd, const struct source_journal_options *o,
		       const char *only_path, struct diags *errs)
{
	const char *paths[SOURCE_JOURNAL_LIST_MAX + 1] = {0};
	struct stat st;
	size_t n = 0;
	int r;

	rd->max_line = o->max_line_bytes ? o->max_line_bytes : 65536;
	rd->msg = malloc(rd->max_line);
	if (!rd->msg)
		return -ENOMEM;
	/* Without them, ids take the slower one-shot path. */
	rd->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	rd->mdctx = rd->md ? EVP_MD_CTX_new() : NULL;
	if (only_path)
		paths[n++] = only_path;
	else
		for (size_t i = 0; i < o->n_files && i < SOURCE_JOURNAL_LIST_MAX; i++)
			paths[n++] = o->files[i];

	if (n == 0) {
		r = sd_journal_open(&rd->j, SD_JOURNAL_LOCAL_ONLY);
	} else if (n == 1 && stat(paths[0], &st) == 0 && S_ISDIR(st.st_mode)) {
		r = sd_journal_open_directory(&rd->j, paths[0], 0);
	} else {
		for (size_t i = 0; i < n; i++)
			if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
				diag_add(errs, paths[i], 0, 0,
					 "source.journal.files: give one directory, or files only");
				return -EINVAL;
			}
		r = sd_journal_open_files(&rd->j, paths, 0);
	}
	if (r < 0) {
		diag_add(errs, n ? paths[0] : NULL, 0, 0, "cannot open the journal: %s",
			 strerror(-r));
		return r;
	}
	for (size_t i = 0; i < o->n_match; i++) {
		r = sd_journal_add_match(rd->j, o->match[i], 0);
		if (r < 0) {
			diag_add(errs, NULL, 0, 0, "source.journal.match: bad match \"%s\": %s",
				 o->match[i], strerror(-r));
			return r;
		}
		/* The documented semantics: matches are OR-ed, whatever their fields. */
		if (i + 1 < o->n_match) {
			r = sd_journal_add_disjunction(rd->j);
			if (r < 0)
				return r;
		}
	}
	if (o->n_match == 0) {
		r = sd_journal_add_match(rd->j, DEFAULT_MATCH, 0);
		if (r < 0)
			return r;
	}
	/* Large enough to see that a message is longer than the limit. */
	sd_journal_set_data_threshold(rd->j, rd->max_line + sizeof("MESSAGE="));
	return 0;
}

static void reader_close(struct jreader *rd)
{
	if (rd->j)
		sd_journal_close(rd->j);
	rd->j = NULL;
	free(rd->msg);
	rd->msg = NULL;
	free(rd->cursor);
	rd->cursor = NULL;
	EVP_MD_CTX_free(rd->mdctx);
	rd->mdctx = NULL;
	EVP_MD_free(rd->md);
	rd->md = NULL;
}

static bool field_is(const void *d, size_t l, const char *name, size_t nlen)
{
	return l > nlen && memcmp(d, name, nlen) == 0;
}

static int64_t parse_i64(const char *v, size_t len)
{
	int64_t x = 0;

	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/* The current entry as a record; rd->cursor becomes its cursor. */
static int reader_entry(struct jreader *rd, struct record *rec)
{
	const void *d;
	size_t l;
	int64_t src_rt = -1, pid = -1, syslog_pid = -1, prio = -1;
	uint64_t rt = 0, mono = 0;
	sd_id128_t boot;
	bool have_msg = false;
	int r;

	*rec = (struct record){.priority = -1};
	free(rd->cursor);
	rd->cursor = NULL;
	r = sd_journal_get_cursor(rd->j, &rd->cursor);
	if (r < 0)
		return r;
	SD_JOURNAL_FOREACH_DATA(rd->j, d, l)
	{
		const char *s = d;

		if (field_is(d, l, "MESSAGE=", 8)) {
			size_t n = l - 8;

			if (n > rd->max_line) {
				n = rd->max_line;
				rec->flags |= RECORD_TRUNCATED;
			}
			memcpy(rd->msg, s + 8, n);
			rec->len = n;
			have_msg = true;
		} else if (field_is(d, l, "_SOURCE_REALTIME_TIMESTAMP=", 27)) {
			src_rt = parse_i64(s + 27, l - 27);
		} else if (field_is(d, l, "_HOSTNAME=", 10)) {
			size_t n = l - 10 < HOST_MAX - 1 ? l - 10 : HOST_MAX - 1;

			memcpy(rd->host, s + 10, n);
			rd->host[n] = '\0';
			rec->host = rd->host;
		} else if (field_is(d, l, "_PID=", 5)) {
			pid = parse_i64(s + 5, l - 5);
		} else if (field_is(d, l, "SYSLOG_PID=", 11)) {
			syslog_pid = parse_i64(s + 11, l - 11);
		} else if (field_is(d, l, "PRIORITY=", 9)) {
			prio = parse_i64(s + 9, l - 9);
		}
	}
	if (!have_msg)
		rec->len = 0;
	rec->msg = rd->msg;
	if (src_rt > 0)
		rec->realtime_usec = src_rt;
	else if (sd_journal_get_realtime_usec(rd->j, &rt) >= 0)
		rec->realtime_usec = (int64_t)rt;
	if (pid > 0 && pid <= INT32_MAX)
		rec->pid = (int)pid;
	else if (syslog_pid > 0 && syslog_pid <= INT32_MAX)
		rec->pid = (int)syslog_pid;
	if (prio >= 0 && prio <= 7)
		rec->priority = (int)prio;
	if (sd_journal_get_monotonic_usec(rd->j, &mono, &boot) >= 0) {
		if (!rd->boot_id[0] || !sd_id128_equal(boot, rd->boot))
			sd_id128_to_string(boot, rd->boot_id);
		rd->boot = boot;
		rec->boot_id = rd->boot_id;
	}
	reader_event_id(rd);
	rec->event_id = rd->event_id;
	return 0;
}

int source_journal_read_file(const char *path, const struct source_journal_options *o,
			     struct pipeline *pl, struct counters *cnt, struct diags *errs)
{
	struct jreader rd = {0};
	struct record rec;
	int n = 0, r;

	r = reader_open(&rd, o, path, errs);
	if (r < 0)
		goto out;
	r = sd_journal_seek_head(rd.j);
	if (r < 0)
		goto out;
	for (;;) {
		r = sd_journal_next(rd.j);
		if (r < 0) {
			cnt->source_errors++;
			diag_add(errs, path, 0, 0, "reading the journal: %s", strerror(-r));
			goto out;
		}
		if (r == 0)
			break;
		if (reader_entry(&rd, &rec) < 0) {
			cnt->source_errors++;
			continue;
		}
		r = pipeline_submit(pl, &rec);
		if (r < 0)
			goto out;
		n++;
	}
	r = n;
out:
	reader_close(&rd);
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

/* One batch. Returns 1 if there may be more to read now, 0 at the end, -errno. */
static int read_batch(void *userdata)
{
	struct sjournal *s = userdata;
	struct record rec;
	int r;

	for (unsigned i = 0; i < BATCH_ENTRIES; i++) {
		if (source_window_stopped(&s->win))
			return 0; /* resumed by pause(false) or delivered() */
		if (s->have_current) {
			s->have_current = false;
		} else {
			r = sd_journal_next(s->rd.j);
			if (r < 0) {
				s->cnt->source_errors++;
				log_warnx("reading the journal: %s", strerror(-r));
				return r;
			}
			/*
			 * At the end. If this batch submitted records, one more
			 * turn of the loop: other sources (the sink's post-dispatch
			 * flush) run before we look again.
			 */
			if (r == 0) {
				if (i > 0)
					sd_event_now(s->e, CLOCK_MONOTONIC, &s->last_entry_usec);
				return i > 0;
			}
		}
		if (reader_entry(&s->rd, &rec) < 0) {
			s->cnt->source_errors++;
			continue;
		}
		/* The cursor's ownership moves to the window. */
		source_window_submit(&s->win, s->pl, &rec,
				     &(struct fifo_entry){.cursor = s->rd.cursor},
				     "journal entries");
		s->rd.cursor = NULL;
	}
	sd_event_now(s->e, CLOCK_MONOTONIC, &s->last_entry_usec);
	return 1;
}

/* New entries, or files added or removed: then read (the poll kicks after it, too). */
static void process_journal(void *userdata)
{
	struct sjournal *s = userdata;
	int r = sd_journal_process(s->rd.j);
	uint64_t now = 0;

	sd_event_now(s->e, CLOCK_MONOTONIC, &now);
	source_window_set_poll(&s->win, now - s->last_entry_usec < BUSY_FOR_US ? POLL_BUSY_US
									       : POLL_IDLE_US);

	if (r == SD_JOURNAL_INVALIDATE)
		log_debug("journal files added or removed");
	else if (r < 0)
		log_warnx("journal: %s", strerror(-r));
	source_window_kick(&s->win);
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	process_journal(userdata);
	return 0;
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
	sd_event_source_disable_unref(s->io);
	source_window_done(&s->win);
	reader_close(&s->rd);
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
	r = reader_open(&s->rd, &s->opt, NULL, errs);
	if (r < 0)
		goto out;
	r = position(s);
	if (r < 0) {
		diag_add(errs, NULL, 0, 0, "cannot position the journal: %s", strerror(-r));
		goto out;
	}
	/* A start at the tail is saved at once: a crash before the first delivery skips nothing. */
	source_window_commit(&s->win);
	fd = sd_journal_get_fd(s->rd.j);
	if (fd < 0) {
		r = fd;
		diag_add(errs, NULL, 0, 0, "journal: no fd to watch: %s", strerror(-r));
		goto out;
	}
	r = sd_event_add_io(e, &s->io, fd, (uint32_t)sd_journal_get_events(s->rd.j), on_io, s);
	if (r < 0)
		goto out;
	r = source_window_start(&s->win, e, read_batch, process_journal, POLL_IDLE_US, s);
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
