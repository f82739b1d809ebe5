/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The logfile source against real files, a real event loop and the real
 * pipeline (no rules, no sink: the test acknowledges what
 * the pipeline hands on, as a sink would).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "source_file.h"

#include "source_harness.h"

static void file_config(struct h *h)
{
	h_config(h, SOURCE_FILE, 1000);
	h->ops = &source_file_ops;
	set_str(&h->cfg.source.file.path, h->path);
	h->cfg.source.file.start = START_HEAD;
}

static void append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int setup(void **state)
{
	struct h *h = calloc(1, sizeof(*h));

	snprintf(h->dir, sizeof(h->dir), "/tmp/test_source_file.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(h->path, sizeof(h->path), "%s/pluto.log", h->dir);
	snprintf(h->state, sizeof(h->state), "%s/position", h->dir);
	file_config(h);
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

static void expect_msgs(struct h *h, size_t from, const char *const *msgs, size_t n)
{
	if (h->n != from + n) {
		for (size_t i = 0; i < h->n; i++)
			print_message("seen[%zu] = %s\n", i, h->v[i].msg);
		fail_msg("expected %zu records, saw %zu", from + n, h->n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(h->v[from + i].msg, msgs[i]);
}

#define L1 "Nov 23 20:25:58.047269: \"westeast\" #1: initiating IKEv2 connection\n"
#define L2 "Nov 23 20:25:58.050000: \"westeast\" #1: sent IKE_SA_INIT request\n"
#define L3 "Nov 23 20:25:59.000001: \"westeast\" #2: line three\n"
#define L4 "Nov 23 20:26:00.000001: \"westeast\" #2: line four\n"
#define L5 "Nov 23 20:26:01.000001: \"westeast\" #2: line five\n"
#define L6 "Nov 23 20:26:02.000001: \"westeast\" #2: line six\n"

static void test_lines_prefix_partial_and_ids(void **state)
{
	struct h *h = *state;
	const char *first = "Nov 23 20:25:58.047269: \"westeast\" #1: initiating IKEv2 connection";
	char key[STATE_HASH_HEX_LEN + 1], id[33], canon[256], hex[STATE_HASH_HEX_LEN + 1];
	struct stat st;

	append(h->path, L1 L2);
	h_start(h);
	h_run(h, 2, 2000);
	{
		const char *want[] = {"\"westeast\" #1: initiating IKEv2 connection",
				      "\"westeast\" #1: sent IKE_SA_INIT request"};
		expect_msgs(h, 0, want, 2);
	}
	/* The logfile's time: 20:25:58.047269 of some year, UTC. */
	assert_int_equal(h->v[0].rt % 1000000, 47269);
	assert_int_equal((h->v[0].rt / 1000000) % 86400, 20 * 3600 + 25 * 60 + 58);

	/* Ids: SHA-256 of "file:DEV:INO:KEY:OFFSET", the key that of the first line. */
	assert_int_equal(stat(h->path, &st), 0);
	state_sha256_hex(first, strlen(first), key);
	assert_int_equal(source_file_key(L1 L2, strlen(L1 L2), hex), 0);
	assert_string_equal(hex, key);
	snprintf(canon, sizeof(canon), "file:%lu:%lu:%s:%zu", (unsigned long)st.st_dev,
		 (unsigned long)st.st_ino, key, strlen(L1));
	state_sha256_hex(canon, strlen(canon), hex);
	hex[32] = '\0';
	assert_string_equal(h->v[1].id, hex);
	source_file_event_id(st.st_dev, st.st_ino, key, strlen(L1), id);
	assert_string_equal(id, hex);

	/* A partial line waits for its newline. */
	append(h->path, "Nov 23 20:26:00.000001: partial");
	h_run(h, 3, 400);
	assert_int_equal(h->n, 2);
	append(h->path, " end\n");
	h_run(h, 3, 2000);
	assert_int_equal(h->n, 3);
	assert_string_equal(h->v[2].msg, "partial end");

	/* A line over max_line_bytes (256) is cut there and flagged; the next is whole. */
	{
		char big[700];

		memset(big, 'x', 600);
		big[600] = '\n';
		big[601] = '\0';
		append(h->path, big);
		append(h->path, "Nov 23 20:26:01.000001: after the long one\n");
	}
	h_run(h, 5, 2000);
	assert_int_equal(h->n, 5);
	assert_int_equal(h->v[3].len, 256);
	assert_true(h->v[3].flags & RECORD_TRUNCATED);
	assert_int_equal(strspn(h->v[3].msg, "x"), 256);
	assert_string_equal(h->v[4].msg, "after the long one");
	assert_false(h->v[4].flags & RECORD_TRUNCATED);
	assert_int_equal(h->cnt.lines_truncated, 1);
}

static void test_rename_rotation(void **state)
{
	struct h *h = *state;
	char old[160];

	append(h->path, L1 L2 L3);
	h_start(h);
	h_run(h, 3, 2000);
	assert_int_equal(h->n, 3);
	snprintf(old, sizeof(old), "%s.1", h->path);
	assert_int_equal(rename(h->path, old), 0);
	append(old, L4); /* the writer still had the old file open */
	append(h->path, L5 L6);
	h_run(h, 6, 4000);
	{
		const char *want[] = {"\"westeast\" #2: line four", "\"westeast\" #2: line five",
				      "\"westeast\" #2: line six"};
		expect_msgs(h, 3, want, 3);
	}
}

static void test_copytruncate(void **state)
{
	struct h *h = *state;
	char cmd[600];

	append(h->path, L1 L2 L3);
	h_start(h);
	h_run(h, 3, 2000);
	assert_int_equal(h->n, 3);
	/* L4 is written and the file copied and truncated before the source runs again. */
	append(h->path, L4);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.1' && truncate -s 0 '%s'", h->path, h->path,
		 h->path);
	assert_int_equal(system(cmd), 0);
	append(h->path, L5);
	h_run(h, 5, 4000);
	{
		const char *want[] = {"\"westeast\" #2: line four", "\"westeast\" #2: line five"};
		expect_msgs(h, 3, want, 2);
	}
	append(h->path, L6);
	h_run(h, 6, 2000);
	assert_string_equal(h->v[5].msg, "\"westeast\" #2: line six");
}

static void test_restart_resumes_with_same_ids(void **state)
{
	struct h *h = *state;
	char ids[5][33];
	struct state_pos pos;
	struct diags errs = {0};

	append(h->path, L1 L2 L3 L4 L5);
	h->ack_limit = 0;
	h_start(h);
	h_run(h, 5, 2000);
	assert_int_equal(h->n, 5);
	for (int i = 0; i < 5; i++)
		memcpy(ids[i], h->v[i].id, 33);
	/* Only the first three are delivered. */
	pipeline_delivered(h->pl, h->v[2].seq);
	h_stop(h);
	assert_int_equal(state_read(h->state, &pos, &errs), 0);
	assert_int_equal(pos.type, STATE_FILE);
	assert_int_equal(pos.offset, strlen(L1 L2 L3));

	h->ack_limit = UINT64_MAX;
	h_start(h);
	h_run(h, 2, 2000);
	{
		const char *want[] = {"\"westeast\" #2: line four", "\"westeast\" #2: line five"};
		expect_msgs(h, 0, want, 2);
	}
	assert_string_equal(h->v[0].id, ids[3]);
	assert_string_equal(h->v[1].id, ids[4]);
	h_stop(h);
	assert_int_equal(state_read(h->state, &pos, &errs), 0);
	assert_int_equal(pos.offset, strlen(L1 L2 L3 L4 L5));

	/* Rotated while stopped: the rest of the renamed file, then the new one. */
	{
		char old[160];

		snprintf(old, sizeof(old), "%s.1", h->path);
		assert_int_equal(rename(h->path, old), 0);
		append(old, L6);
		append(h->path, L1);
	}
	h_start(h);
	h_run(h, 2, 3000);
	{
		const char *want[] = {"\"westeast\" #2: line six",
				      "\"westeast\" #1: initiating IKEv2 connection"};
		expect_msgs(h, 0, want, 2);
	}
}

static void test_broken_state_fallback(void **state)
{
	struct h *h = *state;
	struct state_pos pos = {.type = STATE_FILE};
	struct diags errs = {0};
	struct stat st;

	append(h->path, L1 L2 L3);
	append(h->state, "garbage, not a position\n");
	/* Broken, no previous position: the head, whatever state_fallback says; counted. */
	h->cfg.state_fallback = START_TAIL;
	h_start(h);
	h_run(h, 3, 2000);
	assert_int_equal(h->n, 3); /* head: everything */
	assert_int_equal(h->cnt.state_corrupt, 1);
	h_stop(h);

	/* Broken beside a previous position: resumed from there. */
	assert_int_equal(stat(h->path, &st), 0);
	pos.device = st.st_dev;
	pos.inode = st.st_ino;
	pos.offset = strlen(L1);
	assert_int_equal(source_file_key(L1, strlen(L1), pos.first_line), 0);
	assert_int_equal(state_write(h->state, &pos, &errs), 0);
	assert_int_equal(state_write(h->state, &pos, &errs), 0);
	unlink(h->state);
	append(h->state, "{\"format\":\"ikelogd-position\",\"version\":1,\"type\":\"fi");
	h_start(h);
	h_run(h, 2, 2000);
	{
		const char *want[] = {"\"westeast\" #1: sent IKE_SA_INIT request",
				      "\"westeast\" #2: line three"};
		expect_msgs(h, 0, want, 2);
	}
	assert_int_equal(h->cnt.state_corrupt, 1); /* counted anew: the harness restarted */
	h_stop(h);

	/* Same inode, but the first line's key is another file's: fallback tail. */
	assert_int_equal(stat(h->path, &st), 0);
	pos.device = st.st_dev;
	pos.inode = st.st_ino;
	pos.offset = strlen(L1);
	memset(pos.first_line, 'a', STATE_HASH_HEX_LEN);
	assert_int_equal(state_write(h->state, &pos, &errs), 0);
	h->cfg.state_fallback = START_TAIL;
	h_start(h);
	h_run(h, 1, 500);
	assert_int_equal(h->n, 0); /* tail: nothing old */
	append(h->path, L4);
	h_run(h, 1, 2000);
	{
		const char *want[] = {"\"westeast\" #2: line four"};
		expect_msgs(h, 0, want, 1);
	}
	h_stop(h);

	/* A journal cursor in a file source's state: fallback head. */
	pos = (struct state_pos){.type = STATE_JOURNAL, .cursor = "s=abc;i=1"};
	assert_int_equal(state_write(h->state, &pos, &errs), 0);
	h->cfg.state_fallback = START_HEAD;
	h_start(h);
	h_run(h, 4, 2000);
	assert_int_equal(h->n, 4);
}

/* Two rotations while stopped: the rest of the saved file, the middle one, then the live one. */
static void test_two_rotations_while_stopped(void **state)
{
	struct h *h = *state;
	char p1[160], p2[160];

	snprintf(p1, sizeof(p1), "%s.1", h->path);
	snprintf(p2, sizeof(p2), "%s.2", h->path);
	append(h->path, L1 L2);
	h_start(h);
	h_run(h, 2, 2000);
	assert_int_equal(h->n, 2);
	h_stop(h);

	append(h->path, L3);
	assert_int_equal(rename(h->path, p1), 0);
	usleep(20000);
	append(h->path, L4);
	assert_int_equal(rename(p1, p2), 0);
	assert_int_equal(rename(h->path, p1), 0);
	usleep(20000);
	append(h->path, L5);
	h_start(h);
	h_run(h, 3, 5000);
	{
		const char *want[] = {"\"westeast\" #2: line three", "\"westeast\" #2: line four",
				      "\"westeast\" #2: line five"};
		expect_msgs(h, 0, want, 3);
	}
}

/* Two rotations before the source looks: the middle file is read too. */
static void test_two_rotations_live(void **state)
{
	struct h *h = *state;
	char p1[160], p2[160];

	snprintf(p1, sizeof(p1), "%s.1", h->path);
	snprintf(p2, sizeof(p2), "%s.2", h->path);
	append(h->path, L1);
	h_start(h);
	h_run(h, 1, 2000);
	assert_int_equal(h->n, 1);
	append(h->path, L2);
	assert_int_equal(rename(h->path, p1), 0);
	usleep(20000);
	append(h->path, L3);
	assert_int_equal(rename(p1, p2), 0);
	assert_int_equal(rename(h->path, p1), 0);
	usleep(20000);
	append(h->path, L4);
	h_run(h, 4, 5000);
	{
		const char *want[] = {"\"westeast\" #1: sent IKE_SA_INIT request",
				      "\"westeast\" #2: line three", "\"westeast\" #2: line four"};
		expect_msgs(h, 1, want, 3);
	}
}

/* The window is honoured: with in_flight 4 and nothing delivered, reading stops at 4. */
static void test_pause_at_window(void **state)
{
	struct h *h = *state;

	append(h->path, L1 L2 L3 L4 L5 L6);
	h->cfg.limits.in_flight = 4;
	h->ack_limit = 0;
	h_start(h);
	h_run(h, 6, 500);
	assert_int_equal(h->n, 4);
	h->ack_limit = UINT64_MAX;
	h_run(h, 6, 2000);
	{
		const char *want[] = {"\"westeast\" #2: line five", "\"westeast\" #2: line six"};
		expect_msgs(h, 4, want, 2);
	}
}

static void test_key_rules(void **state)
{
	char k1[STATE_HASH_HEX_LEN + 1], k2[STATE_HASH_HEX_LEN + 1];
	char big[SOURCE_FILE_KEY_BYTES + 10];

	assert_int_equal(source_file_key("abc", 3, k1), -EAGAIN);
	assert_int_equal(source_file_key("abc\ndef", 7, k1), 0);
	/* "abc" per FIPS 180-2 */
	assert_string_equal(k1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	memset(big, 'z', sizeof(big));
	assert_int_equal(source_file_key(big, sizeof(big), k1), 0);
	state_sha256_hex(big, SOURCE_FILE_KEY_BYTES, k2);
	assert_string_equal(k1, k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_rules),
	    cmocka_unit_test_setup_teardown(test_lines_prefix_partial_and_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rename_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copytruncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_resumes_with_same_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_state_fallback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pause_at_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_rotations_while_stopped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_rotations_live, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
