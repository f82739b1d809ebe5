/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-event.h>

#include "state.h"
#include "stage_opts.h"

#define CURSOR                                                                                     \
	"s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=6c7c6013a8674f1e9a5cd7b4b5e56aa4;"           \
	"m=4ece8a5;t=5b8a5a48b1ac5;x=b9a1f8af04e51a9c"

/* Writes text to dir/name; returns the path (static buffer per call site is fine). */
static void put_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static bool diags_have(const struct diags *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->v[i].msg, needle))
			return true;
	return false;
}

static void test_sha256_known_vector(void **unused)
{
	char hex[STATE_HASH_HEX_LEN + 1];

	/* FIPS 180-2 example "abc". */
	state_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/*
 * A state file written by hand: the checksum is the SHA-256 of the
 * canonical text written out here by hand, as the header documents it.
 */
static void test_parse_handwritten_journal(void **unused)
{
	const char *canon = "ikelogd-position 1 journal " CURSOR "\n";
	char sum[STATE_HASH_HEX_LEN + 1], text[1024];
	struct state_pos pos = {0};
	struct diags errs = {0};

	state_sha256_hex(canon, strlen(canon), sum);
	snprintf(text, sizeof(text),
		 "{ \"format\": \"ikelogd-position\", \"version\": 1, \"type\": \"journal\", "
		 "\"cursor\": \"%s\", \"checksum\": \"%s\" }\n",
		 CURSOR, sum);
	assert_int_equal(state_parse(text, strlen(text), &pos, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(pos.type, STATE_JOURNAL);
	assert_string_equal(pos.cursor, CURSOR);
}

static void test_parse_handwritten_file(void **unused)
{
	const char *first = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char canon[256], sum[STATE_HASH_HEX_LEN + 1], text[1024];
	struct state_pos pos = {0};
	struct diags errs = {0};

	snprintf(canon, sizeof(canon), "ikelogd-position 1 file 2049 18446744073709551615 77 %s\n",
		 first);
	state_sha256_hex(canon, strlen(canon), sum);
	snprintf(text, sizeof(text),
		 "{\"format\":\"ikelogd-position\",\"version\":1,\"type\":\"file\",\"device\":2049,"
		 "\"inode\":18446744073709551615,\"offset\":77,\"first_line\":\"%s\","
		 "\"checksum\":\"%s\"}",
		 first, sum);
	assert_int_equal(state_parse(text, strlen(text), &pos, &errs), 0);
	assert_int_equal(pos.type, STATE_FILE);
	assert_int_equal(pos.device, 2049);
	assert_true(pos.inode == UINT64_MAX);
	assert_int_equal(pos.offset, 77);
	assert_string_equal(pos.first_line, first);
}

static void expect_broken(const char *text, size_t len, const char *why)
{
	struct state_pos pos = {.type = STATE_FILE, .offset = 4242};
	struct diags errs = {0};

	assert_int_equal(state_parse(text, len, &pos, &errs), -EBADMSG);
	assert_true(errs.n >= 1);
	if (!diags_have(&errs, why))
		fail_msg("expected \"%s\", got \"%s\"", why, errs.v[0].msg);
	/* ret untouched on failure */
	assert_int_equal(pos.type, STATE_FILE);
	assert_int_equal(pos.offset, 4242);
}

static void expect_str(const char *text, const char *why)
{
	expect_broken(text, strlen(text), why);
}

static void test_parse_broken(void **unused)
{
	const char *canon = "ikelogd-position 1 journal " CURSOR "\n";
	char sum[STATE_HASH_HEX_LEN + 1], good[1024], bad[1024];

	state_sha256_hex(canon, strlen(canon), sum);
	snprintf(good, sizeof(good),
		 "{\"format\":\"ikelogd-position\",\"version\":1,\"type\":\"journal\","
		 "\"cursor\":\"%s\",\"checksum\":\"%s\"}\n",
		 CURSOR, sum);

	expect_broken("", 0, "empty");
	expect_broken("\x7f"
		      "ELF\x02\x01\x01 garbage garbage",
		      23, "not a JSON object");
	expect_broken("[1,2,3]", 7, "not a JSON object");
	expect_broken("{\"a\":1} {", 9, "trailing bytes");
	/* truncated in the middle of the cursor */
	expect_broken(good, 80, "not a JSON object");
	/* one cursor digit changed: the checksum no longer matches */
	snprintf(bad, sizeof(bad), "%s", good);
	*strstr(bad, "i=4ece7") = 'j';
	expect_broken(bad, strlen(bad), "checksum mismatch");
	snprintf(bad, sizeof(bad), "%s", good);
	memcpy(strstr(bad, "\"version\":1"), "\"version\":2", 11);
	expect_broken(bad, strlen(bad), "unsupported version");
	expect_str("{\"format\":\"other\",\"version\":1}", "format is not");
	expect_str("{\"format\":\"ikelogd-position\",\"version\":1,\"type\":\"tape\"}",
		   "unknown type");
	expect_str("{\"format\":\"ikelogd-position\",\"version\":1,\"type\":\"file\","
		   "\"device\":\"1\"}",
		   "non-integer \"device\"");
	expect_str("{\"format\":\"ikelogd-position\",\"version\":1,\"type\":\"journal\","
		   "\"cursor\":\"has space\",\"checksum\":\"x\"}",
		   "malformed cursor");
	expect_str("{\"format\":\"ikelogd-position\",\"version\":1,\"type\":\"journal\","
		   "\"cursor\":\"s=1\"}",
		   "\"checksum\"");
}

static void test_format_rejects_invalid(void **unused)
{
	struct state_pos pos = {.type = STATE_JOURNAL};
	char buf[STATE_FILE_MAX];

	assert_int_equal(state_format(&pos, buf, sizeof(buf)), -EINVAL); /* empty cursor */
	pos = (struct state_pos){.type = STATE_FILE, .first_line = "nothex"};
	assert_int_equal(state_format(&pos, buf, sizeof(buf)), -EINVAL);
	pos = (struct state_pos){.type = STATE_JOURNAL, .cursor = CURSOR};
	assert_int_equal(state_format(&pos, buf, 20), -ENOBUFS);
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/test_state.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void remove_dir(char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_write_read_roundtrip(void **unused)
{
	char *dir = make_tmpdir();
	char path[512], prev[520];
	struct state_pos in = {.type = STATE_JOURNAL, .cursor = CURSOR}, out = {0};
	struct diags errs = {0};
	struct stat st;

	snprintf(path, sizeof(path), "%s/position", dir);
	assert_int_equal(state_read(path, &out, &errs), -ENOENT);
	assert_int_equal(errs.n, 0); /* no state file is not an error */

	assert_int_equal(state_write(path, &in, &errs), 0);
	assert_int_equal(state_read(path, &out, &errs), 0);
	assert_int_equal(out.type, STATE_JOURNAL);
	assert_string_equal(out.cursor, CURSOR);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Overwrite with a file position: replaced whole, no temp file left. */
	in = (struct state_pos){.type = STATE_FILE, .device = 1, .inode = 2, .offset = 3};
	memset(in.first_line, 'e', STATE_HASH_HEX_LEN);
	assert_int_equal(state_write(path, &in, &errs), 0);
	assert_int_equal(state_read(path, &out, &errs), 0);
	assert_int_equal(out.type, STATE_FILE);
	assert_int_equal(out.inode, 2);
	assert_int_equal(out.offset, 3);
	/* the state file and the previous position beside it; no temp file */
	assert_int_equal(count_entries(dir), 2);
	snprintf(prev, sizeof(prev), "%s.prev", path);
	assert_int_equal(state_read(prev, &out, &errs), 0);
	assert_int_equal(out.type, STATE_JOURNAL);
	assert_string_equal(out.cursor, CURSOR);
	assert_int_equal(stat(prev, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(errs.n, 0);
	remove_dir(dir);
}

static void test_read_broken_names_path(void **unused)
{
	char *dir = make_tmpdir();
	char path[512];
	struct state_pos out = {0};
	struct diags errs = {0};

	snprintf(path, sizeof(path), "%s/position", dir);
	put_file(path, "{\"format\":\"ikelogd-posi", 23);
	assert_int_equal(state_read(path, &out, &errs), -EBADMSG);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].file, path);
	assert_non_null(strstr(errs.v[0].msg, "broken state file"));

	/* Longer than STATE_FILE_MAX: refused without reading it all. */
	{
		char *big = malloc(STATE_FILE_MAX * 2);

		memset(big, ' ', STATE_FILE_MAX * 2);
		put_file(path, big, STATE_FILE_MAX * 2);
		free(big);
	}
	errs = (struct diags){0};
	assert_int_equal(state_read(path, &out, &errs), -EBADMSG);
	assert_true(diags_have(&errs, "longer than"));
	remove_dir(dir);
}

static void test_write_fails_cleanly(void **unused)
{
	char *dir = make_tmpdir();
	char path[512];
	struct state_pos in = {.type = STATE_JOURNAL, .cursor = CURSOR}, out = {0};
	struct diags errs = {0};

	/* Missing directory. */
	snprintf(path, sizeof(path), "%s/missing/position", dir);
	assert_int_equal(state_write(path, &in, &errs), -ENOENT);
	assert_int_equal(errs.n, 1);

	/* A directory where the file should be: rename fails, old kept, temp removed. */
	snprintf(path, sizeof(path), "%s/position", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	errs = (struct diags){0};
	assert_true(state_write(path, &in, &errs) < 0);
	assert_true(diags_have(&errs, "cannot rename"));
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(state_read(path, &out, &errs), -EISDIR);
	remove_dir(dir);
}

/*
 * A state_io that calls the real functions, records each call by name
 * (the temp file's and the directory's apart), and fails the one named
 * in fail with fail_errno.
 */
static struct {
	char calls[32][16];
	size_t n;
	int tmp_fd, dir_fd, open_fds;
	const char *fail;
	int fail_errno;
	unsigned write_chunk; /* > 0: each write takes at most this many bytes */
	bool eintr_once;      /* the first write is interrupted */
} io_log;

static bool io_record(const char *name)
{
	if (io_log.n < sizeof(io_log.calls) / sizeof(io_log.calls[0]))
		snprintf(io_log.calls[io_log.n++], sizeof(io_log.calls[0]), "%s", name);
	if (io_log.fail && strcmp(io_log.fail, name) == 0) {
		errno = io_log.fail_errno;
		return true;
	}
	return false;
}

static int io_open(const char *path, int flags, mode_t mode)
{
	bool dir = flags & O_DIRECTORY;
	int fd;

	if (io_record(dir ? "open-dir" : "open-tmp"))
		return -1;
	fd = open(path, flags, mode);
	if (fd >= 0) {
		io_log.open_fds++;
		*(dir ? &io_log.dir_fd : &io_log.tmp_fd) = fd;
	}
	return fd;
}

static ssize_t io_write(int fd, const void *buf, size_t n)
{
	if (io_record("write"))
		return -1;
	if (io_log.eintr_once) {
		io_log.eintr_once = false;
		errno = EINTR;
		return -1;
	}
	if (io_log.write_chunk && n > io_log.write_chunk)
		n = io_log.write_chunk;
	return write(fd, buf, n);
}

static int io_fsync(int fd)
{
	if (io_record(fd == io_log.dir_fd ? "fsync-dir" : "fsync-tmp"))
		return -1;
	return fsync(fd);
}

static int io_close(int fd)
{
	bool fails = io_record(fd == io_log.dir_fd ? "close-dir" : "close-tmp");
	int r;

	/* Like Linux: the descriptor is released even when close reports an error. */
	r = close(fd);
	if (r == 0)
		io_log.open_fds--;
	if (fails) {
		errno = io_log.fail_errno;
		return -1;
	}
	return r;
}

static int io_rename(const char *from, const char *to)
{
	size_t tl = strlen(to), fl = strlen(from);
	bool to_prev = tl > 5 && strcmp(to + tl - 5, ".prev") == 0;
	bool from_prev = fl > 5 && strcmp(from + fl - 5, ".prev") == 0;

	if (io_record(to_prev ? "rename-prev" : from_prev ? "rename-back" : "rename"))
		return -1;
	return rename(from, to);
}

static const struct state_io fake_io = {
    .open = io_open,
    .write = io_write,
    .fsync = io_fsync,
    .close = io_close,
    .rename = io_rename,
};

static void io_reset(const char *fail, int err)
{
	memset(&io_log, 0, sizeof(io_log));
	io_log.tmp_fd = io_log.dir_fd = -1;
	io_log.fail = fail;
	io_log.fail_errno = err;
	state_set_io(&fake_io);
}

/*
 * The durable order: the temp file's data reaches the disk before it
 * replaces the old file, which is kept as .prev (there is none the first time).
 */
static void test_write_call_order(void **unused)
{
	static const char *const first[] = {"open-tmp", "write",    "fsync-tmp", "close-tmp",
					    "rename",	"open-dir", "fsync-dir", "close-dir"};
	static const char *const expected[] = {"open-tmp",  "write",	   "fsync-tmp",
					       "close-tmp", "rename-prev", "rename",
					       "open-dir",  "fsync-dir",   "close-dir"};
	char *dir = make_tmpdir();
	char path[512];
	struct state_pos in = {.type = STATE_JOURNAL, .cursor = CURSOR}, out = {0};
	struct diags errs = {0};

	snprintf(path, sizeof(path), "%s/position", dir);
	io_reset(NULL, 0);
	assert_int_equal(state_write(path, &in, &errs), 0);
	state_set_io(NULL);
	assert_int_equal(io_log.n, sizeof(first) / sizeof(first[0]));
	for (size_t i = 0; i < io_log.n; i++)
		assert_string_equal(io_log.calls[i], first[i]);
	io_reset(NULL, 0);
	assert_int_equal(state_write(path, &in, &errs), 0);
	state_set_io(NULL);
	assert_int_equal(io_log.n, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < io_log.n; i++)
		assert_string_equal(io_log.calls[i], expected[i]);
	assert_int_equal(io_log.open_fds, 0);
	assert_int_equal(state_read(path, &out, &errs), 0);
	assert_string_equal(out.cursor, CURSOR);
	remove_dir(dir);
}

/* Short and interrupted writes still write the whole text. */
static void test_write_short_and_interrupted(void **unused)
{
	char *dir = make_tmpdir();
	char path[512];
	struct state_pos in = {.type = STATE_JOURNAL, .cursor = CURSOR}, out = {0};
	struct diags errs = {0};
	size_t writes = 0;

	snprintf(path, sizeof(path), "%s/position", dir);
	io_reset(NULL, 0);
	io_log.write_chunk = 7;
	io_log.eintr_once = true;
	assert_int_equal(state_write(path, &in, &errs), 0);
	state_set_io(NULL);
	for (size_t i = 0; i < io_log.n; i++)
		writes += strcmp(io_log.calls[i], "write") == 0;
	/* the text is over 200 bytes: many 7-byte writes, one of them interrupted */
	assert_true(writes > 200 / 7);
	assert_int_equal(state_read(path, &out, &errs), 0);
	assert_string_equal(out.cursor, CURSOR);
	remove_dir(dir);
}

/*
 * Each call failing in turn: the negative errno comes back with a diag, no
 * descriptor leaks, no temp file is left, and the old position is still
 * there (put back when it was moved aside), except when the directory's
 * fsync fails after the rename.
 */
static void test_write_each_failure(void **unused)
{
	static const struct {
		const char *call;
		int err;
		bool old_kept;
	} cases[] = {
	    {"open-tmp", EACCES, true},	 {"write", ENOSPC, true},	{"fsync-tmp", EIO, true},
	    {"close-tmp", EDQUOT, true}, {"rename-prev", EACCES, true}, {"rename", EXDEV, true},
	    {"open-dir", EMFILE, false}, {"fsync-dir", EIO, false},
	};
	const char *old_cursor = "s=1;i=2";
	char *dir = make_tmpdir();
	char path[512];
	struct state_pos old = {.type = STATE_JOURNAL},
			 in = {.type = STATE_JOURNAL, .cursor = CURSOR}, out;

	snprintf(old.cursor, sizeof(old.cursor), "%s", old_cursor);
	snprintf(path, sizeof(path), "%s/position", dir);
	/* a previous position too, from the first round on */
	assert_int_equal(state_write(path, &old, &(struct diags){0}), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct diags errs = {0};
		int r;

		print_message("failing %s\n", cases[i].call);
		assert_int_equal(state_write(path, &old, &errs), 0);
		io_reset(cases[i].call, cases[i].err);
		r = state_write(path, &in, &errs);
		state_set_io(NULL);
		assert_int_equal(r, -cases[i].err);
		assert_int_equal(errs.n, 1);
		assert_non_null(strstr(errs.v[0].msg, strerror(cases[i].err)));
		assert_int_equal(io_log.open_fds, 0);
		/*
		 * the position and the one before it, no temp file; a failed
		 * rename put the one moved aside back in its place
		 */
		assert_int_equal(count_entries(dir), strcmp(cases[i].call, "rename") == 0 ? 1 : 2);
		memset(&out, 0, sizeof(out));
		assert_int_equal(state_read(path, &out, &errs), 0);
		assert_string_equal(out.cursor, cases[i].old_kept ? old_cursor : CURSOR);
	}
	remove_dir(dir);
}

static void committer_config(struct config *cfg, const char *path, unsigned every, unsigned ms)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->state_file = (char *)path;
	cfg->commit_every = every;
	cfg->commit_interval_ms = ms;
}

/*
 * Where a source begins: a broken or unreadable position resumes from the
 * previous one (counted in state_corrupt), or from the head when there is
 * none, whatever state_fallback says; a missing one starts where the
 * source says, not counted.
 */
static void test_begin_broken(void **unused)
{
	char *dir = make_tmpdir();
	char path[512], prev[520];
	struct state_pos a = {.type = STATE_JOURNAL, .cursor = "s=1;i=a"},
			 b = {.type = STATE_JOURNAL, .cursor = "s=1;i=b"}, out;
	struct counters cnt = {0};
	struct config cfg;
	enum start_mode mode;

	snprintf(path, sizeof(path), "%s/position", dir);
	snprintf(prev, sizeof(prev), "%s.prev", path);
	committer_config(&cfg, path, 1, 0);
	cfg.state_fallback = START_TAIL;

	/* none yet: the source's own start, nothing counted */
	assert_int_equal(
	    state_begin(t_state_opts(&cfg), STATE_JOURNAL, START_TAIL, &cnt, &out, &mode), 0);
	assert_int_equal(mode, START_TAIL);
	/* good: itself */
	assert_int_equal(state_write(path, &a, &(struct diags){0}), 0);
	assert_int_equal(state_write(path, &b, &(struct diags){0}), 0);
	assert_int_equal(
	    state_begin(t_state_opts(&cfg), STATE_JOURNAL, START_TAIL, &cnt, &out, &mode), 1);
	assert_string_equal(out.cursor, "s=1;i=b");
	assert_int_equal(cnt.state_corrupt, 0);

	/* broken: the previous position, counted */
	put_file(path, "{\"format\":\"ikelogd-position\",\"ver", 33);
	memset(&out, 0, sizeof(out));
	assert_int_equal(
	    state_begin(t_state_opts(&cfg), STATE_JOURNAL, START_TAIL, &cnt, &out, &mode), 1);
	assert_string_equal(out.cursor, "s=1;i=a");
	assert_int_equal(cnt.state_corrupt, 1);
	/* a write over the broken file keeps the good previous one, not the broken one */
	assert_int_equal(state_write(path, &b, &(struct diags){0}), 0);
	memset(&out, 0, sizeof(out));
	assert_int_equal(state_read(prev, &out, &(struct diags){0}), 0);
	assert_string_equal(out.cursor, "s=1;i=a");
	put_file(path, "{}", 2);

	/* broken, no previous one: the head, though state_fallback says tail */
	assert_int_equal(unlink(prev), 0);
	mode = START_TAIL;
	assert_int_equal(
	    state_begin(t_state_opts(&cfg), STATE_JOURNAL, START_TAIL, &cnt, &out, &mode), 0);
	assert_int_equal(mode, START_HEAD);
	assert_int_equal(cnt.state_corrupt, 2);

	/* unreadable (a directory in its place): the same */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	mode = START_TAIL;
	assert_int_equal(
	    state_begin(t_state_opts(&cfg), STATE_JOURNAL, START_TAIL, &cnt, &out, &mode), 0);
	assert_int_equal(mode, START_HEAD);
	assert_int_equal(cnt.state_corrupt, 3);
	assert_int_equal(rmdir(path), 0);

	/* missing, but the previous one beside it (a write cut between its renames): that one */
	assert_int_equal(state_write(prev, &a, &(struct diags){0}), 0);
	assert_int_equal(
	    state_begin(t_state_opts(&cfg), STATE_JOURNAL, START_TAIL, &cnt, &out, &mode), 1);
	assert_string_equal(out.cursor, "s=1;i=a");
	assert_int_equal(cnt.state_corrupt, 3);

	/* another type's position: state_fallback, not counted */
	assert_int_equal(state_write(path, &a, &(struct diags){0}), 0);
	assert_int_equal(state_begin(t_state_opts(&cfg), STATE_FILE, START_TAIL, &cnt, &out, &mode),
			 0);
	assert_int_equal(mode, START_TAIL);
	cfg.state_fallback = START_HEAD;
	assert_int_equal(state_begin(t_state_opts(&cfg), STATE_FILE, START_TAIL, &cnt, &out, &mode),
			 0);
	assert_int_equal(mode, START_HEAD);
	assert_int_equal(cnt.state_corrupt, 3);
	remove_dir(dir);
}

static void test_committer_batches(void **unused)
{
	char *dir = make_tmpdir();
	char path[512];
	struct config cfg;
	struct counters cnt = {0};
	struct state_committer c;
	struct state_pos pos = {.type = STATE_JOURNAL, .cursor = CURSOR}, out;
	struct diags errs = {0};
	sd_event *e = NULL;

	snprintf(path, sizeof(path), "%s/position", dir);
	/* By count, no loop: written at the third record, not before. */
	committer_config(&cfg, path, 3, 1000);
	assert_int_equal(state_committer_init(&c, t_state_opts(&cfg), NULL, &cnt), 0);
	state_committer_set(&c, &pos, 2);
	assert_int_equal(state_read(path, &out, &errs), -ENOENT);
	state_committer_set(&c, &pos, 1);
	assert_int_equal(state_read(path, &out, &errs), 0);
	assert_string_equal(out.cursor, CURSOR);
	assert_int_equal(cnt.state_writes, 1);
	assert_int_equal(state_committer_flush(&c), 0); /* nothing new: no write */
	assert_int_equal(cnt.state_writes, 1);
	state_committer_done(&c);

	/* By time: one record, written by the loop's timer after 50 ms. */
	assert_int_equal(unlink(path), 0);
	committer_config(&cfg, path, 1000, 50);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(state_committer_init(&c, t_state_opts(&cfg), e, &cnt), 0);
	state_committer_set(&c, &pos, 1);
	assert_int_equal(state_read(path, &out, &errs), -ENOENT);
	for (int i = 0; i < 20 && cnt.state_writes < 2; i++)
		assert_true(sd_event_run(e, 20 * 1000) >= 0);
	assert_int_equal(cnt.state_writes, 2);
	assert_int_equal(state_read(path, &out, &errs), 0);
	state_committer_done(&c);
	e = sd_event_unref(e);

	/* A write that fails is counted, and the position stays pending. */
	snprintf(path, sizeof(path), "%s/missing/position", dir);
	committer_config(&cfg, path, 1, 1000);
	assert_int_equal(state_committer_init(&c, t_state_opts(&cfg), NULL, &cnt), 0);
	state_committer_set(&c, &pos, 1);
	assert_int_equal(cnt.state_write_failures, 1);
	assert_int_equal(state_committer_flush(&c), -ENOENT);
	assert_int_equal(cnt.state_write_failures, 2);
	state_committer_done(&c);

	/* No state file configured: nothing written, nothing failing. */
	committer_config(&cfg, "", 1, 1000);
	assert_int_equal(state_committer_init(&c, t_state_opts(&cfg), NULL, &cnt), 0);
	state_committer_set(&c, &pos, 5);
	assert_int_equal(state_committer_flush(&c), 0);
	assert_int_equal(cnt.state_writes, 2);
	assert_int_equal(cnt.state_write_failures, 2);
	state_committer_done(&c);
	remove_dir(dir);
}

/*
 * On a loop the batched writes happen on another thread: the loop goes on
 * while an fsync hangs, positions posted meanwhile collapse into the
 * newest, and what the thread wrote is counted once the loop hears of it.
 */
static pthread_mutex_t slow_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cv = PTHREAD_COND_INITIALIZER;
static bool slow_hold, slow_on_main;
static unsigned slow_fsyncs;
static pthread_t main_thread;

static int slow_fsync(int fd)
{
	struct timespec until;

	pthread_mutex_lock(&slow_mu);
	slow_fsyncs++;
	if (pthread_equal(pthread_self(), main_thread))
		slow_on_main = true;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5; /* a write on the loop's thread would wait this long, then be seen */
	while (slow_hold && pthread_cond_timedwait(&slow_cv, &slow_mu, &until) == 0)
		;
	pthread_mutex_unlock(&slow_mu);
	return fsync(fd);
}

static int real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static const struct state_io slow_io = {
    .open = real_open,
    .write = write,
    .fsync = slow_fsync,
    .close = close,
    .rename = rename,
};

static void test_committer_writes_behind_the_loop(void **unused)
{
	char *dir = make_tmpdir();
	char path[512];
	struct config cfg;
	struct counters cnt = {0};
	struct state_committer c;
	struct state_pos a = {.type = STATE_JOURNAL, .cursor = "s=1;i=a"};
	struct state_pos b = {.type = STATE_JOURNAL, .cursor = "s=1;i=b"};
	struct state_pos last = {.type = STATE_JOURNAL, .cursor = CURSOR}, out;
	struct diags errs = {0};
	sd_event *e = NULL;

	main_thread = pthread_self();
	snprintf(path, sizeof(path), "%s/position", dir);
	committer_config(&cfg, path, 1, 1000);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(state_committer_init(&c, t_state_opts(&cfg), e, &cnt), 0);
	state_set_io(&slow_io);
	slow_hold = true;
	state_committer_set(&c, &a, 1); /* taken by the thread, which hangs in fsync */
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&slow_mu);
		bool started = slow_fsyncs > 0;
		pthread_mutex_unlock(&slow_mu);
		if (started)
			break;
		usleep(1000);
	}
	assert_int_equal(slow_fsyncs, 1);
	state_committer_set(&c, &b, 1);
	state_committer_set(&c, &last, 1); /* replaces b, still queued */
	assert_int_equal(cnt.state_writes, 0);
	pthread_mutex_lock(&slow_mu);
	assert_false(slow_on_main);
	slow_hold = false;
	pthread_cond_broadcast(&slow_cv);
	pthread_mutex_unlock(&slow_mu);
	for (int i = 0; i < 250 && cnt.state_writes < 2; i++)
		assert_true(sd_event_run(e, 20 * 1000) >= 0);
	assert_int_equal(cnt.state_writes, 2); /* a, then the newest: b never written */
	assert_int_equal(slow_fsyncs, 4);      /* the file and its directory, twice */
	assert_int_equal(state_read(path, &out, &errs), 0);
	assert_string_equal(out.cursor, CURSOR);
	assert_int_equal(state_committer_flush(&c), 0); /* nothing new */
	assert_int_equal(cnt.state_writes, 2);
	state_committer_done(&c);
	state_set_io(NULL);

	/* A failed write behind the loop keeps the position pending: flush tries it again. */
	snprintf(path, sizeof(path), "%s/missing/position", dir);
	committer_config(&cfg, path, 1, 1000);
	assert_int_equal(state_committer_init(&c, t_state_opts(&cfg), e, &cnt), 0);
	state_committer_set(&c, &a, 1);
	for (int i = 0; i < 250 && cnt.state_write_failures < 1; i++)
		assert_true(sd_event_run(e, 20 * 1000) >= 0);
	assert_int_equal(cnt.state_write_failures, 1);
	assert_int_equal(state_committer_flush(&c), -ENOENT);
	assert_int_equal(cnt.state_write_failures, 2);
	state_committer_done(&c);
	e = sd_event_unref(e);
	assert_false(slow_on_main);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_known_vector),
	    cmocka_unit_test(test_parse_handwritten_journal),
	    cmocka_unit_test(test_parse_handwritten_file),
	    cmocka_unit_test(test_parse_broken),
	    cmocka_unit_test(test_format_rejects_invalid),
	    cmocka_unit_test(test_write_read_roundtrip),
	    cmocka_unit_test(test_read_broken_names_path),
	    cmocka_unit_test(test_write_fails_cleanly),
	    cmocka_unit_test(test_write_call_order),
	    cmocka_unit_test(test_write_short_and_interrupted),
	    cmocka_unit_test(test_write_each_failure),
	    cmocka_unit_test(test_begin_broken),
	    cmocka_unit_test(test_committer_batches),
	    cmocka_unit_test(test_committer_writes_behind_the_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
