/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journal source against journal files built from export format by
 * systemd-journal-remote, with a real event loop and the real pipeline
 * (no rules, no sink: the test acknowledges what the
 * pipeline hands on, as a sink would).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-journal.h>

#include "source_journal.h"
#include "source_journal_impl.h"

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"
#define BOOT	       "6c7c6013a8674f1e9a5cd7b4b5e56aa4"

#include "source_harness.h"
#include "stage_opts.h"

/* Builds a journal file from export text with systemd-journal-remote. */
static void make_journal(const char *path, const char *export_text)
{
	char cmd[300];
	FILE *p;

	snprintf(cmd, sizeof(cmd), JOURNAL_REMOTE " --output=%s - 2>/dev/null", path);
	p = popen(cmd, "w");
	assert_non_null(p);
	assert_int_equal(fwrite(export_text, 1, strlen(export_text), p), strlen(export_text));
	assert_int_equal(pclose(p), 0);
}

#define ENTRY(rt, mono, fields)                                                                    \
	"__REALTIME_TIMESTAMP=" #rt "\n__MONOTONIC_TIMESTAMP=" #mono "\n_BOOT_ID=" BOOT            \
	"\n" fields "\n"

static char *long_message(void)
{
	static char buf[512];

	memcpy(buf, "MESSAGE=", 8);
	memset(buf + 8, 'y', 400);
	buf[408] = '\n';
	buf[409] = '\0';
	return buf;
}

static int setup(void **state)
{
	struct h *h = calloc(1, sizeof(*h));
	char export_a[2048];

	if (access(JOURNAL_REMOTE, X_OK) != 0) {
		free(h);
		print_message("skip: needs " JOURNAL_REMOTE "\n");
		return -1;
	}
	snprintf(h->dir, sizeof(h->dir), "/tmp/test_source_journal.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(h->a, sizeof(h->a), "%s/a.journal", h->dir);
	snprintf(h->b, sizeof(h->b), "%s/b.journal", h->dir);
	snprintf(h->state, sizeof(h->state), "%s/position", h->dir);
	snprintf(export_a, sizeof(export_a), "%s%s%s%s",
		 ENTRY(1700000000200000, 1000,
		       "MESSAGE=\"westeast\" #1: initiating IKEv2 connection\n"
		       "SYSLOG_IDENTIFIER=pluto\n_SOURCE_REALTIME_TIMESTAMP=1700000000123456\n"
		       "_PID=42\nPRIORITY=6\n_HOSTNAME=gw1\n"),
		 ENTRY(1700000000500000, 2000, "MESSAGE=not pluto\nSYSLOG_IDENTIFIER=sshd\n"),
		 "__REALTIME_TIMESTAMP=1700000001000000\n__MONOTONIC_TIMESTAMP=3000\n"
		 "_BOOT_ID=" BOOT "\nSYSLOG_IDENTIFIER=pluto\nSYSLOG_PID=77\nPRIORITY=3\n",
		 long_message());
	strcat(export_a, "\n" ENTRY(1700000002000000, 4000,
				    "MESSAGE=\"westeast\" #1: four\nSYSLOG_IDENTIFIER=pluto\n"
				    "_PID=43\n"));
	make_journal(h->a, export_a);
	make_journal(h->b,
		     ENTRY(1700000000000000, 10, "MESSAGE=b one\nSYSLOG_IDENTIFIER=pluto\n")
			 ENTRY(1700000000000001, 20, "MESSAGE=b two\nSYSLOG_IDENTIFIER=pluto\n"));

	h_config(h, SOURCE_JOURNAL, 100);
	h->ops = &source_journal_ops;
	set_list(&h->cfg.source.journal.files, h->a);
	set_list(&h->cfg.source.journal.match, "SYSLOG_IDENTIFIER=pluto");
	h->cfg.source.journal.start = START_HEAD;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct h *h = *state;
	char cmd[160];

	if (h->src.state)
		h_stop(h);
	config_done(&h->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	assert_int_equal(system(cmd), 0);
	free(h);
	return 0;
}

/* The cursors of the SYSLOG_IDENTIFIER=pluto entries of file, read with sd-journal itself. */
static size_t cursors_of(const char *file, char out[][STATE_CURSOR_MAX], size_t max)
{
	const char *paths[] = {file, NULL};
	sd_journal *j;
	size_t n = 0;

	assert_int_equal(sd_journal_open_files(&j, paths, 0), 0);
	assert_int_equal(sd_journal_add_match(j, "SYSLOG_IDENTIFIER=pluto", 0), 0);
	while (n < max && sd_journal_next(j) > 0) {
		char *c;

		assert_int_equal(sd_journal_get_cursor(j, &c), 0);
		snprintf(out[n++], STATE_CURSOR_MAX, "%s", c);
		free(c);
	}
	sd_journal_close(j);
	return n;
}

/* The id as documented: SHA-256 of "journal:" + "s=...;i=...", 32 hex digits. */
static void expected_id(const char *cursor, char out[33])
{
	char buf[STATE_CURSOR_MAX + 8], hex[STATE_HASH_HEX_LEN + 1];
	const char *second = strchr(cursor, ';');
	const char *end = strchr(second + 1, ';');

	snprintf(buf, sizeof(buf), "journal:%.*s", (int)(end - cursor), cursor);
	state_sha256_hex(buf, strlen(buf), hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
}

static void check_entries(const struct h *h, size_t from)
{
	char cur[3][STATE_CURSOR_MAX], id[33];

	assert_int_equal(cursors_of(h->a, cur, 3), 3);
	assert_string_equal(h->v[from].msg, "\"westeast\" #1: initiating IKEv2 connection");
	assert_true(h->v[from].rt == 1700000000123456); /* _SOURCE_REALTIME_TIMESTAMP wins */
	assert_int_equal(h->v[from].pid, 42);
	assert_int_equal(h->v[from].prio, 6);
	assert_string_equal(h->v[from].host, "gw1");
	assert_string_equal(h->v[from].boot, BOOT);
	assert_false(h->v[from].flags & RECORD_TRUNCATED);
	expected_id(cur[0], id);
	assert_string_equal(h->v[from].id, id);

	assert_int_equal(h->v[from + 1].len, 256); /* 400 bytes cut at max_line_bytes */
	assert_true(h->v[from + 1].flags & RECORD_TRUNCATED);
	assert_int_equal(strspn(h->v[from + 1].msg, "y"), 256);
	assert_true(h->v[from + 1].rt == 1700000001000000); /* the entry's own realtime */
	assert_int_equal(h->v[from + 1].pid, 77);	    /* SYSLOG_PID without _PID */
	assert_int_equal(h->v[from + 1].prio, 3);
	assert_string_equal(h->v[from + 1].host, "");
	expected_id(cur[1], id);
	assert_string_equal(h->v[from + 1].id, id);

	assert_string_equal(h->v[from + 2].msg, "\"westeast\" #1: four");
	assert_int_equal(h->v[from + 2].prio, -1);
	expected_id(cur[2], id);
	assert_string_equal(h->v[from + 2].id, id);
}

static void test_read_file(void **state)
{
	struct h *h = *state;
	struct diags errs = {0};
	int r;

	assert_int_equal(pipeline_new(t_pipeline_opts(&h->cfg), &h->cnt, &h->pl, &errs), 0);
	pipeline_set_observer(h->pl, observe, h);
	r = source_journal_read_file(h->a, &t_source_opts(&h->cfg)->journal, h->pl, &h->cnt, &errs);
	assert_int_equal(r, 3); /* the sshd entry does not match */
	assert_int_equal(h->n, 3);
	check_entries(h, 0);
	assert_int_equal(h->cnt.lines_truncated, 1);
	pipeline_free(h->pl);
	h->pl = NULL;

	errs = (struct diags){0};
	r = source_journal_read_file("/nonexistent/x.journal", &t_source_opts(&h->cfg)->journal,
				     h->pl, &h->cnt, &errs);
	assert_true(r < 0);
	assert_int_equal(errs.n, 1);
}

static void test_follow_commit_resume(void **state)
{
	struct h *h = *state;
	char cur[3][STATE_CURSOR_MAX], first_ids[3][33];
	struct state_pos pos;
	struct diags errs = {0};

	assert_int_equal(cursors_of(h->a, cur, 3), 3);
	h->ack_limit = 0;
	h_start(h);
	h_run(h, 3, 3000);
	assert_int_equal(h->n, 3);
	check_entries(h, 0);
	for (int i = 0; i < 3; i++)
		memcpy(first_ids[i], h->v[i].id, 33);
	/* Only the first two are delivered: the position is the second's cursor. */
	pipeline_delivered(h->pl, h->v[1].seq);
	h_stop(h);
	assert_int_equal(state_read(h->state, &pos, &errs), 0);
	assert_int_equal(pos.type, STATE_JOURNAL);
	assert_string_equal(pos.cursor, cur[1]);
	assert_true(h->cnt.state_writes >= 1);

	/* Restart: the entry it names is skipped; the third comes again, same id. */
	h->ack_limit = UINT64_MAX;
	h_start(h);
	h_run(h, 1, 3000);
	assert_int_equal(h->n, 1);
	assert_string_equal(h->v[0].msg, "\"westeast\" #1: four");
	assert_string_equal(h->v[0].id, first_ids[2]);
	h_stop(h);
	assert_int_equal(state_read(h->state, &pos, &errs), 0);
	assert_string_equal(pos.cursor, cur[2]);

	/* Everything delivered: nothing again. */
	h_start(h);
	h_run(h, 1, 500);
	assert_int_equal(h->n, 0);
}

static void test_start_tail_without_state(void **state)
{
	struct h *h = *state;
	char cur[3][STATE_CURSOR_MAX];
	struct state_pos pos;
	struct diags errs = {0};

	h->cfg.source.journal.start = START_TAIL;
	h_start(h);
	h_run(h, 1, 500);
	assert_int_equal(h->n, 0);
	h_stop(h);
	/* The tail is remembered, so entries written while stopped are not skipped later. */
	assert_int_equal(cursors_of(h->a, cur, 3), 3);
	assert_int_equal(state_read(h->state, &pos, &errs), 0);
	assert_string_equal(pos.cursor, cur[2]);
}

static void write_cursor(struct h *h, const char *cursor)
{
	struct state_pos pos = {.type = STATE_JOURNAL};
	struct diags errs = {0};

	snprintf(pos.cursor, sizeof(pos.cursor), "%s", cursor);
	assert_int_equal(state_write(h->state, &pos, &errs), 0);
}

static void test_foreign_cursor_falls_back(void **state)
{
	struct h *h = *state;
	char bcur[2][STATE_CURSOR_MAX];

	assert_int_equal(cursors_of(h->b, bcur, 2), 2);
	write_cursor(h, bcur[0]);
	h->cfg.state_fallback = START_HEAD;
	h_start(h);
	h_run(h, 3, 3000);
	assert_int_equal(h->n, 3);
	check_entries(h, 0);
	h_stop(h);

	write_cursor(h, bcur[1]);
	h->cfg.state_fallback = START_TAIL;
	h_start(h);
	h_run(h, 1, 500);
	assert_int_equal(h->n, 0);
}

static void test_gone_entry_resumes_after_it(void **state)
{
	struct h *h = *state;
	const char *paths[] = {h->a, NULL};
	char *sshd = NULL, sid[40], cursor[STATE_CURSOR_MAX];
	sd_journal *j;

	/* The sshd entry is not one of ours: as good as vacuumed. */
	assert_int_equal(sd_journal_open_files(&j, paths, 0), 0);
	assert_int_equal(sd_journal_add_match(j, "SYSLOG_IDENTIFIER=sshd", 0), 0);
	assert_int_equal(sd_journal_next(j), 1);
	assert_int_equal(sd_journal_get_cursor(j, &sshd), 0);
	sd_journal_close(j);
	write_cursor(h, sshd);
	h->cfg.state_fallback = START_TAIL;
	h_start(h);
	h_run(h, 2, 3000);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->v[0].len, 256);
	assert_string_equal(h->v[1].msg, "\"westeast\" #1: four");
	h_stop(h);

	/* A seqnum of the same journal past its end: nothing old is read, no fallback. */
	assert_int_equal(sscanf(sshd, "s=%32[0-9a-f];", sid), 1);
	snprintf(cursor, sizeof(cursor), "s=%s;i=63", sid);
	write_cursor(h, cursor);
	h->cfg.state_fallback = START_HEAD;
	h_start(h);
	h_run(h, 1, 500);
	assert_int_equal(h->n, 0);
	free(sshd);
}

/* Writes a state file cut short: broken. */
static void break_state(struct h *h)
{
	int fd;

	unlink(h->state);
	fd = open(h->state, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"format\":\"ikelogd-position\",\"ver", 33), 33);
	close(fd);
}

/*
 * A broken state file: the previous position beside it, or else the head,
 * whatever state_fallback says (the tail would lose what came while we were
 * stopped); counted in state_corrupt.
 */
static void test_broken_state_falls_back(void **state)
{
	struct h *h = *state;
	char cur[3][STATE_CURSOR_MAX], prev[300];

	break_state(h);
	h->cfg.state_fallback = START_TAIL;
	h_start(h);
	h_run(h, 3, 3000);
	assert_int_equal(h->n, 3);
	check_entries(h, 0);
	assert_int_equal(h->cnt.state_corrupt, 1);
	h_stop(h);

	/* the position before it: after the first entry */
	snprintf(prev, sizeof(prev), "%s.prev", h->state);
	unlink(prev);
	assert_int_equal(cursors_of(h->a, cur, 3), 3);
	write_cursor(h, cur[0]);
	write_cursor(h, cur[2]);
	break_state(h);
	h_start(h);
	h_run(h, 2, 3000);
	assert_int_equal(h->n, 2);
	assert_string_equal(h->v[1].msg, "\"westeast\" #1: four");
	assert_int_equal(h->cnt.state_corrupt, 1);
	h_stop(h);
	h->cfg.state_fallback = START_HEAD;
	/* A cursor journald refuses. */
	write_cursor(h, "s=zzzz;i=q");
	h_start(h);
	h_run(h, 3, 3000);
	assert_int_equal(h->n, 3);
}

/* The window is honoured: with in_flight 2 and nothing delivered, reading stops at 2. */
static void test_pause_at_window(void **state)
{
	struct h *h = *state;

	h->cfg.limits.in_flight = 2;
	h->ack_limit = 0;
	h_start(h);
	h_run(h, 3, 500);
	assert_int_equal(h->n, 2);
	h->ack_limit = UINT64_MAX;
	h_run(h, 3, 2000);
	assert_int_equal(h->n, 3);
	assert_string_equal(h->v[2].msg, "\"westeast\" #1: four");
}

/*
 * Many entries: more than the reading thread holds ahead (its batches fill
 * and wait), messages of every length up to past max_line_bytes, a host
 * name on some. Entry i says "entry i".
 */
#define MANY 6000

struct many {
	char (*cur)[STATE_CURSOR_MAX]; /* each entry's cursor, read with sd-journal */
	size_t n;		       /* records seen */
	unsigned bad;		       /* records not as written */
	uint64_t last_seq;
};

static void make_many(struct h *h, struct many *m)
{
	size_t size = MANY * 600, used = 0;
	char *text = malloc(size);

	assert_non_null(text);
	for (int i = 0; i < MANY; i++) {
		int pad = i % 7 == 0 ? 300 : i % 50;

		used += (size_t)snprintf(text + used, size - used,
					 "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n"
					 "_BOOT_ID=" BOOT "\nSYSLOG_IDENTIFIER=pluto\n",
					 1700000000 + i, 1000 + i);
		if (i % 3 == 0)
			used += (size_t)snprintf(text + used, size - used, "_HOSTNAME=host%d\n", i);
		used += (size_t)snprintf(text + used, size - used, "MESSAGE=entry %d ", i);
		memset(text + used, 'p', (size_t)pad);
		used += (size_t)pad;
		used += (size_t)snprintf(text + used, size - used, "\n\n");
		assert_true(used < size);
	}
	snprintf(h->path, sizeof(h->path), "%s/many.journal", h->dir);
	make_journal(h->path, text);
	free(text);
	m->cur = calloc(MANY, sizeof(*m->cur));
	assert_non_null(m->cur);
	assert_int_equal(cursors_of(h->path, m->cur, MANY), MANY);
}

static void observe_many(const struct record *rec, const struct event *ev, void *ud)
{
	struct many *m = ud;
	char want[32], host[32], id[33];
	size_t i = m->n++, wl;

	(void)ev;
	m->last_seq = rec->seq;
	if (i >= MANY) {
		m->bad++;
		return;
	}
	wl = (size_t)snprintf(want, sizeof(want), "entry %zu ", i);
	snprintf(host, sizeof(host), "host%zu", i);
	expected_id(m->cur[i], id);
	if (rec->len < wl || memcmp(rec->msg, want, wl) != 0 ||
	    strspn(rec->msg + wl, "p") < rec->len - wl)
		m->bad++;
	else if (i % 7 == 0 ? rec->len != 256 || !(rec->flags & RECORD_TRUNCATED)
			    : rec->len != wl + i % 50 || rec->flags != 0)
		m->bad++;
	else if (i % 3 == 0 ? !rec->host || strcmp(rec->host, host) != 0 : rec->host != NULL)
		m->bad++;
	else if (!rec->event_id || strcmp(rec->event_id, id) != 0)
		m->bad++;
	else if (!rec->boot_id || strcmp(rec->boot_id, BOOT) != 0)
		m->bad++;
}

/* Runs the loop until m saw n records, or ms; acknowledges up to ack_upto. */
static void run_many(struct h *h, struct many *m, size_t n, uint64_t ack_upto, unsigned ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		assert_true(sd_event_run(h->e, 10 * 1000) >= 0);
		pipeline_delivered(h->pl, m->last_seq < ack_upto ? m->last_seq : ack_upto);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (m->n >= n ||
		    (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			break;
	}
}

static void test_read_file_many(void **state)
{
	struct h *h = *state;
	struct many m = {0};
	struct diags errs = {0};

	make_many(h, &m);
	assert_int_equal(pipeline_new(t_pipeline_opts(&h->cfg), &h->cnt, &h->pl, &errs), 0);
	pipeline_set_observer(h->pl, observe_many, &m);
	assert_int_equal(source_journal_read_file(h->path, &t_source_opts(&h->cfg)->journal, h->pl,
						  &h->cnt, &errs),
			 MANY);
	assert_int_equal(m.n, MANY);
	assert_int_equal(m.bad, 0);
	assert_int_equal(h->cnt.source_errors, 0);
	pipeline_free(h->pl);
	h->pl = NULL;
	free(m.cur);
}

/*
 * Following many entries through a small window: every entry once, in
 * order, and the position is the last one's. Stopped while the reading
 * thread waits on a full ring with records read ahead and not delivered,
 * the restart resumes after the last delivered one.
 */
static void test_follow_many(void **state)
{
	struct h *h = *state;
	struct many m = {0};
	struct state_pos pos;
	struct diags errs = {0};

	make_many(h, &m);
	set_list(&h->cfg.source.journal.files, h->path);
	h->cfg.limits.in_flight = 8;
	h_start(h);
	pipeline_set_observer(h->pl, observe_many, &m);
	run_many(h, &m, MANY, 0, 300);
	assert_int_equal(m.n, 8); /* the window is full: nothing more is taken */
	pipeline_delivered(h->pl, 5);
	run_many(h, &m, MANY, 5, 300);
	assert_int_equal(m.n, 13);
	h_stop(h);
	assert_int_equal(state_read(h->state, &pos, &errs), 0);
	assert_string_equal(pos.cursor, m.cur[4]);

	h->cfg.limits.in_flight = 64;
	h_start(h);
	m.n = 5; /* entry 5 comes next */
	pipeline_set_observer(h->pl, observe_many, &m);
	run_many(h, &m, MANY, UINT64_MAX, 10000);
	assert_int_equal(m.n, MANY);
	assert_int_equal(m.bad, 0);
	h_stop(h);
	assert_int_equal(state_read(h->state, &pos, &errs), 0);
	assert_string_equal(pos.cursor, m.cur[MANY - 1]);
	free(m.cur);
}

/*
 * The tid of the journal reading thread, or 0, and whether it blocks sig
 * (its SigBlk mask in /proc).
 */
static pid_t reading_thread(int sig, bool *blocked)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	pid_t tid = 0;

	assert_non_null(d);
	while (!tid && (de = readdir(d))) {
		char path[300], line[128];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) &&
		    strncmp(line, JRING_THREAD_NAME "\n", sizeof(JRING_THREAD_NAME)) == 0)
			tid = (pid_t)atoi(de->d_name);
		fclose(f);
		if (!tid)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", de->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "SigBlk:", 7) == 0)
				*blocked = (strtoull(line + 7, NULL, 16) >> (sig - 1)) & 1;
		fclose(f);
	}
	closedir(d);
	return tid;
}

/*
 * The reading thread takes no signal (the loop's signalfd sees only those
 * no thread left unblocked: SIGCHLD is blocked by the status poll after
 * the source opened), and it is gone once the source is closed.
 */
static void test_thread_blocks_signals(void **state)
{
	struct h *h = *state;
	bool chld = false, term = false;

	h_start(h);
	h_run(h, 3, 3000);
	assert_int_equal(h->n, 3);
	assert_true(reading_thread(SIGCHLD, &chld) > 0);
	assert_true(reading_thread(SIGTERM, &term) > 0);
	assert_true(chld);
	assert_true(term);
	h_stop(h);
	assert_int_equal(reading_thread(SIGTERM, &term), 0);
}

static void test_event_id_function(void **state)
{
	char id[33], want[33];

	source_journal_event_id("s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=" BOOT
				";m=4ece8a5;t=5b8a5a48b1ac5;x=b9a1f8af04e51a9c",
				id);
	expected_id("s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=x", want);
	assert_string_equal(id, want);
	/* Another boot or xor hash, same seqnum id and seqnum: the same entry. */
	source_journal_event_id("s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=other", want);
	assert_string_equal(id, want);
	source_journal_event_id("s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece8;b=other", want);
	assert_string_not_equal(id, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_event_id_function),
	    cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follow_commit_resume, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_tail_without_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_cursor_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gone_entry_resumes_after_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_state_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pause_at_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_file_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follow_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thread_blocks_signals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
