/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The logfile source: follows pluto's logfile= by path. An inotify watch on
 * the directory wakes us on writes, creations and renames; a periodic stat
 * check catches what inotify cannot see (network file systems). Lines are
 * read in batches from a defer event source. The file being read has an
 * identity (device, inode, first-line key) that positions and event ids
 * use; after a copytruncate the identity stays while the bytes come from
 * the copy, until the copy ends and the truncated live file is read from
 * its start.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "envelope.h"
#include "log.h"
#include "normalize.h"
#include "source.h"
#include "source_file.h"
#include "source_window.h"
#include "state.h"

#define READ_CHUNK	 (64 * 1024)
#define BATCH_LINES	 512
#define POLL_INTERVAL_US (250 * 1000ull)
#define IDLE_SWITCH_US                                                                             \
	(2 * 1000 * 1000ull) /* renamed file quiet this long: take the empty new one */
#define HOST_MAX 256

struct fifo_entry {
	uint64_t seq;
	uint64_t device, inode, offset;
	char key[STATE_HASH_HEX_LEN + 1];
};

/* The file being read. */
struct cur {
	int fd;			/* the bytes: the live file, or the copy after a copytruncate */
	int live_fd;		/* the truncated live file while fd is its copy, else -1 */
	uint64_t device, inode; /* identity for positions and ids */
	char key[STATE_HASH_HEX_LEN + 1];
	bool have_key;
	char *buf;	  /* buf[0] is at file offset boff */
	size_t len, head; /* bytes in buf; bytes of it consumed */
	size_t scan;	  /* searched for a newline up to here */
	uint64_t boff;
	bool discarding; /* skipping the rest of a cut line */
	bool eof;	 /* the last read returned 0 */
};

struct sfile {
	/*
	 * First, for the source_window_op_* entries: records submitted and not yet delivered
	 * (struct fifo_entry), and the saved position.
	 */
	struct source_window win;
	struct source_file_options opt;
	struct pipeline *pl;
	struct counters *cnt;
	sd_event *e;
	sd_event_source *inotify_src;
	int inotify_fd;
	char *path, *dir, *base;
	size_t max_line, cap;
	struct cur cur;
	uint64_t last_data_usec; /* when a read last returned bytes */
	char host[HOST_MAX];
	char process[ENVELOPE_APP_MAX + 1];
	char event_id[33];

	char *what; /* "PATH: lines", for warnings */
};
_Static_assert(offsetof(struct sfile, win) == 0, "the window comes first");

static void cur_reset(struct cur *c, uint64_t off)
{
	c->len = c->head = c->scan = 0;
	c->boff = off;
	c->discarding = false;
	c->eof = false;
}

/*
 * Starts reading fd at off. A position not just after a newline (the tail
 * of a file, or the end of a line cut at max_line_bytes) skips to the next
 * line start.
 */
static int cur_seek(struct cur *c, uint64_t off)
{
	char prev;

	if (lseek(c->fd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	cur_reset(c, off);
	if (off > 0 && pread(c->fd, &prev, 1, (off_t)off - 1) == 1 && prev != '\n')
		c->discarding = true;
	return 0;
}

/* Opens the live file as the current one; identity from fstat. */
static int open_live(struct sfile *s, enum start_mode mode)
{
	struct stat st;
	int fd, r;

	fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return r;
	}
	s->cur.fd = fd;
	s->cur.device = st.st_dev;
	s->cur.inode = st.st_ino;
	s->cur.have_key = source_file_key_of_fd(fd, s->cur.key) == 0;
	return cur_seek(&s->cur, mode == START_TAIL ? (uint64_t)st.st_size : 0);
}

static void close_cur(struct sfile *s)
{
	if (s->cur.fd >= 0)
		close(s->cur.fd);
	if (s->cur.live_fd >= 0)
		close(s->cur.live_fd);
	s->cur.fd = s->cur.live_fd = -1;
	s->cur.have_key = false;
}

/* ---- positions and the state file ---- */

static void entry_pos(const void *entry, struct state_pos *pos)
{
	const struct fifo_entry *f = entry;

	*pos = (struct state_pos){
	    .type = STATE_FILE, .device = f->device, .inode = f->inode, .offset = f->offset};
	memcpy(pos->first_line, f->key, sizeof(pos->first_line));
}

/* ---- reading ---- */

/* Submits line[0..len) that starts at file offset off and ends (consumed) at end. */
static int submit_line(struct sfile *s, const char *line, size_t len, uint64_t off, uint64_t end,
		       unsigned flags)
{
	struct record rec = {.priority = -1, .flags = flags};
	struct fifo_entry fe = {.device = s->cur.device, .inode = s->cur.inode, .offset = end};
	struct envelope env;

	if (!s->cur.have_key) {
		/* A file whose first line was incomplete when opened. */
		if (source_file_key_of_fd(s->cur.fd, s->cur.key) < 0)
			state_sha256_hex(line, len, s->cur.key);
		s->cur.have_key = true;
	}
	if (len && line[len - 1] == '\r')
		len--;
	envelope_log_prefix(line, len, (int64_t)time(NULL) * 1000000, false, &env);
	rec.msg = line + env.msg_off;
	rec.len = len - env.msg_off;
	rec.realtime_usec = env.realtime_usec;
	rec.pid = env.pid;
	rec.process = envelope_other_process(&env, s->process, sizeof(s->process));
	if (env.host && env.host_len) {
		size_t n = env.host_len < HOST_MAX - 1 ? env.host_len : HOST_MAX - 1;

		memcpy(s->host, env.host, n);
		s->host[n] = '\0';
		rec.host = s->host;
	}
	source_file_event_id(s->cur.device, s->cur.inode, s->cur.key, off, s->event_id);
	rec.event_id = s->event_id;
	memcpy(fe.key, s->cur.key, sizeof(fe.key));
	source_window_submit(&s->win, s->pl, &rec, &fe, s->what);
	return 0;
}

/*
 * Takes the next line out of the buffer: 1 a record was submitted, 2 bytes
 * were consumed without a record, 0 more data is needed.
 */
static int next_line(struct sfile *s)
{
	struct cur *c = &s->cur;
	char *start = c->buf + c->head;
	char *nl = memchr(c->buf + c->scan, '\n', c->len - c->scan);

	if (nl) {
		size_t n = (size_t)(nl - start);
		uint64_t off = c->boff + c->head;

		c->head = c->scan = (size_t)(nl - c->buf) + 1;
		if (c->discarding) {
			c->discarding = false;
			return 2;
		}
		/* Longer than the limit: the buffer can hold it, cut it here. */
		if (n > s->max_line) {
			submit_line(s, start, s->max_line, off, c->boff + c->head,
				    RECORD_TRUNCATED);
			return 1;
		}
		submit_line(s, start, n, off, c->boff + c->head, 0);
		return 1;
	}
	c->scan = c->len;
	if (c->discarding) {
		c->head = c->scan = c->len;
		return 0;
	}
	if (c->len - c->head >= s->max_line) {
		uint64_t off = c->boff + c->head;

		submit_line(s, start, s->max_line, off, off + s->max_line, RECORD_TRUNCATED);
		c->head += s->max_line;
		c->discarding = true;
		return 1;
	}
	return 0;
}

/* At the end of a file we leave: its last line had no newline; keep it anyway. */
static void flush_partial(struct sfile *s)
{
	struct cur *c = &s->cur;

	if (!c->discarding && c->len > c->head)
		submit_line(s, c->buf + c->head, c->len - c->head, c->boff + c->head,
			    c->boff + c->len, 0);
	c->head = c->scan = c->len;
}

/* The copy is read to its end: continue with the truncated live file from its start. */
static void finish_copy(struct sfile *s)
{
	struct stat st;

	flush_partial(s);
	close(s->cur.fd);
	s->cur.fd = s->cur.live_fd;
	s->cur.live_fd = -1;
	if (fstat(s->cur.fd, &st) == 0) {
		s->cur.device = st.st_dev;
		s->cur.inode = st.st_ino;
	}
	s->cur.have_key = source_file_key_of_fd(s->cur.fd, s->cur.key) == 0;
	cur_seek(&s->cur, 0);
	log_info("%s: copy read to its end; reading the truncated file from its start", s->path);
}

/* One batch: 1 there may be more now, 0 at the end of the file or paused. */
static int read_batch(struct sfile *s)
{
	struct cur *c = &s->cur;
	unsigned lines = 0;
	ssize_t n;
	int r;

	if (c->fd < 0)
		return 0;
	for (;;) {
		if (source_window_stopped(&s->win))
			return 0;
		r = next_line(s);
		if (r == 1 && ++lines >= BATCH_LINES)
			return 1;
		if (r)
			continue;
		if (c->head > 0) {
			memmove(c->buf, c->buf + c->head, c->len - c->head);
			c->len -= c->head;
			c->scan -= c->head;
			c->boff += c->head;
			c->head = 0;
		}
		do
			n = read(c->fd, c->buf + c->len, s->cap - c->len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			s->cnt->source_errors++;
			log_warn("%s: read", s->path);
			return 0;
		}
		if (n == 0) {
			c->eof = true;
			if (c->live_fd >= 0) {
				finish_copy(s);
				continue;
			}
			return lines > 0; /* one more turn if we submitted: see source_journal.c */
		}
		c->eof = false;
		c->len += (size_t)n;
		sd_event_now(s->e, CLOCK_MONOTONIC, &s->last_data_usec);
	}
}

/*
 * Notices rotation. Rename: the path names another file (or none); read
 * the old one to its end, then switch once the new one has data (or stayed
 * empty for IDLE_CHECKS checks). Copytruncate: the live file got shorter
 * than what was read, or its first line changed; read the rest from the
 * copy, then the live file from its start.
 */
static void check(struct sfile *s)
{
	struct cur *c = &s->cur;
	struct stat st, pst;
	char key[STATE_HASH_HEX_LEN + 1];
	int r;

	if (c->fd < 0) {
		r = open_live(s, START_HEAD);
		if (r == 0)
			log_info("%s: reading from its start", s->path);
		source_window_kick(&s->win);
		return;
	}
	if (c->live_fd < 0 && fstat(c->fd, &st) == 0) {
		uint64_t got = c->boff + c->len;
		bool changed = (uint64_t)st.st_size < got;

		if (!changed && c->have_key && source_file_key_of_fd(c->fd, key) == 0)
			changed = strcmp(key, c->key) != 0;
		if (changed) {
			int copy = c->have_key ? source_file_find_by_key(s->dir, s->base, c->key,
									 got, 0, s->path)
					       : -1;

			if (copy >= 0 && lseek(copy, (off_t)got, SEEK_SET) >= 0) {
				c->live_fd = c->fd;
				c->fd = copy;
				c->eof = false;
				log_info("%s: truncated (copytruncate); continuing in its copy",
					 s->path);
			} else {
				if (copy >= 0)
					close(copy);
				log_warnx(
				    "%s: truncated and no copy found; lines after offset %" PRIu64
				    " that were not read yet are lost",
				    s->path, got);
				s->cnt->source_errors++;
				s->cur.have_key = source_file_key_of_fd(c->fd, c->key) == 0;
				cur_seek(c, 0);
			}
			source_window_kick(&s->win);
			return;
		}
	}
	if (stat(s->path, &pst) == 0 && (uint64_t)pst.st_dev == c->device &&
	    (uint64_t)pst.st_ino == c->inode && c->live_fd < 0) {
		return; /* new bytes, if any, are read by the caller's kick */
	}
	if (c->live_fd >= 0) {
		source_window_kick(&s->win); /* copy first */
		return;
	}
	/* Renamed away or deleted: finish the old file first. */
	if (!c->eof || (fstat(c->fd, &st) == 0 && (uint64_t)st.st_size > c->boff + c->len)) {
		source_window_kick(&s->win);
		return;
	}
	if (access(s->path, F_OK) < 0)
		return; /* no new file yet */
	/*
	 * The writer may still be on the renamed file (pluto writes there
	 * until it reopens): switch once the new file has data, or when the
	 * renamed one has been quiet for IDLE_SWITCH_US.
	 */
	if (stat(s->path, &pst) == 0 && pst.st_size == 0) {
		uint64_t now;

		sd_event_now(s->e, CLOCK_MONOTONIC, &now);
		if (now < s->last_data_usec + IDLE_SWITCH_US)
			return;
	}
	flush_partial(s);
	if (fstat(c->fd, &st) == 0) {
		int next = source_file_find_next_rotated(s->dir, s->base, &st, (uint64_t)pst.st_ino,
							 s->path);

		if (next >= 0 && fstat(next, &st) == 0) {
			close_cur(s);
			c->fd = next;
			c->device = st.st_dev;
			c->inode = st.st_ino;
			c->have_key = source_file_key_of_fd(next, c->key) == 0;
			cur_seek(c, 0);
			source_window_kick(&s->win);
			return;
		}
		if (next >= 0)
			close(next);
	}
	close_cur(s);
	r = open_live(s, START_HEAD);
	if (r < 0) {
		log_warnx("%s: cannot open the new file: %s", s->path, strerror(-r));
		return;
	}
	log_info("%s: rotated; reading the new file", s->path);
	source_window_kick(&s->win);
}

/* One batch; at the end of the file, a look for rotation. */
static int read_more(void *userdata)
{
	struct sfile *s = userdata;
	int r;

	if (s->cur.fd < 0) /* no file yet: the poll and inotify look for it */
		return 0;
	r = read_batch(s);
	if (r <= 0 && s->cur.eof)
		check(s);
	return r;
}

static void poll_rotation(void *userdata)
{
	check(userdata);
}

static int on_inotify(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	struct sfile *s = userdata;

	check(s);
	source_window_kick(&s->win);
	return 0;
}

/* ---- start ---- */

/* Without a usable position: the live file's tail or head; remembered as committed. */
static int start_at(struct sfile *s, enum start_mode mode)
{
	int r = open_live(s, mode);

	if (r == -ENOENT) {
		log_info("%s does not exist yet; waiting for it", s->path);
		return 0;
	}
	if (r < 0)
		return r;
	if (mode == START_TAIL && s->cur.have_key) {
		struct fifo_entry fe = {
		    .device = s->cur.device, .inode = s->cur.inode, .offset = s->cur.boff};

		struct state_pos pos;

		memcpy(fe.key, s->cur.key, sizeof(fe.key));
		entry_pos(&fe, &pos);
		state_committer_set(&s->win.commit, &pos, 0);
	}
	return 0;
}

static int resume(struct sfile *s, const struct state_pos *pos)
{
	enum start_mode fb = s->opt.win.state.fallback;
	const char *sp = s->opt.win.state.state_file;
	struct stat st;
	char key[STATE_HASH_HEX_LEN + 1];
	int fd, r;

	/*
	 * The inode and the first-line key identify the file; the device
	 * number alone may change across reboots (device mapper minors).
	 */
	if (stat(s->path, &st) == 0 && (uint64_t)st.st_ino == pos->inode) {
		r = open_live(s, START_HEAD);
		if (r < 0)
			return r;
		if ((uint64_t)st.st_size >= pos->offset && s->cur.have_key &&
		    strcmp(s->cur.key, pos->first_line) == 0) {
			log_info("%s: resuming at offset %" PRIu64, s->path, pos->offset);
			return cur_seek(&s->cur, pos->offset);
		}
		/* Same inode, other content: truncated (copytruncate) or reused. */
		fd = source_file_find_by_key(s->dir, s->base, pos->first_line, pos->offset, 0,
					     s->path);
		if (fd >= 0) {
			s->cur.live_fd = s->cur.fd;
			s->cur.fd = fd;
			memcpy(s->cur.key, pos->first_line, sizeof(s->cur.key));
			s->cur.have_key = true;
			return cur_seek(&s->cur, pos->offset);
		}
		log_warnx(
		    "state file %s: the first line of %s no longer matches the saved position "
		    "(truncated or a reused inode); starting at the %s (state_fallback)",
		    sp, s->path, state_start_name(fb));
		close_cur(s);
		return start_at(s, fb);
	}
	/* The saved file was renamed away (rotation while we were stopped)? */
	fd = source_file_find_by_key(s->dir, s->base, pos->first_line, pos->offset, pos->inode,
				     s->path);
	if (fd >= 0 && fstat(fd, &st) == 0 && source_file_key_of_fd(fd, key) == 0) {
		s->cur.fd = fd;
		s->cur.device = st.st_dev;
		s->cur.inode = pos->inode;
		memcpy(s->cur.key, key, sizeof(s->cur.key));
		s->cur.have_key = true;
		log_info("%s: resuming in the rotated file at offset %" PRIu64, s->path,
			 pos->offset);
		return cur_seek(&s->cur, pos->offset);
	}
	if (fd >= 0)
		close(fd);
	log_warnx("state file %s: the file of the saved position (inode %" PRIu64
		  ") is gone; reading %s from its start",
		  sp, pos->inode, s->path);
	r = open_live(s, START_HEAD);
	return r == -ENOENT ? 0 : r;
}

static int position(struct sfile *s)
{
	struct state_pos pos;
	enum start_mode mode;

	if (state_begin(&s->opt.win.state, STATE_FILE, s->opt.start, s->cnt, &pos, &mode) > 0)
		return resume(s, &pos);
	return start_at(s, mode);
}

/* ---- ops ---- */

static void sf_close(void *p)
{
	struct sfile *s = p;

	if (!s)
		return;
	sd_event_source_disable_unref(s->inotify_src);
	source_window_done(&s->win);
	if (s->inotify_fd >= 0)
		close(s->inotify_fd);
	close_cur(s);
	free(s->cur.buf);
	free(s->what);
	free(s->path);
	free(s->dir);
	free(s->base);
	sd_event_unref(s->e);
	free(s);
}

static int sf_open(const struct source_options *so, sd_event *e, struct pipeline *pl,
		   struct counters *cnt, void **ret, struct diags *errs)
{
	const struct source_file_options *o = &so->file;
	struct sfile *s;
	const char *slash;
	int r;

	if (!o->path || !o->path[0]) {
		diag_add(errs, o->config_path, 0, 0,
			 "source.file.path is required for source type file");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opt = *o;
	s->pl = pl;
	s->cnt = cnt;
	s->e = sd_event_ref(e);
	s->inotify_fd = -1;
	s->cur.fd = s->cur.live_fd = -1;
	s->max_line = o->max_line_bytes ? o->max_line_bytes : 65536;
	s->cap = s->max_line + READ_CHUNK;
	s->path = strdup(o->path);
	slash = strrchr(o->path, '/');
	if (!slash)
		s->dir = strdup(".");
	else if (slash == o->path)
		s->dir = strdup("/");
	else
		s->dir = strndup(o->path, (size_t)(slash - o->path));
	s->base = strdup(slash ? slash + 1 : o->path);
	s->cur.buf = malloc(s->cap);
	if (asprintf(&s->what, "%s: lines", o->path) < 0)
		s->what = NULL;
	if (!s->path || !s->dir || !s->base || !s->cur.buf || !s->what) {
		r = -ENOMEM;
		goto out;
	}
	s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->inotify_fd < 0 ||
	    inotify_add_watch(s->inotify_fd, s->dir,
			      IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE |
				  IN_CLOSE_WRITE | IN_ATTRIB) < 0) {
		r = -errno;
		diag_add(errs, s->dir, 0, 0, "cannot watch the logfile's directory: %s",
			 strerror(-r));
		goto out;
	}
	r = source_window_init(&s->win, &s->opt.win, e, cnt, sizeof(struct fifo_entry), entry_pos,
			       NULL);
	if (r < 0)
		goto out;
	r = position(s);
	if (r < 0) {
		diag_add(errs, s->path, 0, 0, "cannot open the logfile: %s", strerror(-r));
		goto out;
	}
	/* A start at the tail is saved at once: a crash before the first delivery skips nothing. */
	source_window_commit(&s->win);
	r = sd_event_add_io(e, &s->inotify_src, s->inotify_fd, EPOLLIN, on_inotify, s);
	if (r < 0)
		goto out;
	r = source_window_start(&s->win, e, read_more, poll_rotation, POLL_INTERVAL_US, s);
	if (r < 0)
		goto out;
	*ret = s;
	s = NULL;
	r = 0;
out:
	if (r < 0 && errs->n == 0)
		diag_add(errs, o->path, 0, 0, "logfile source: %s", strerror(-r));
	sf_close(s);
	return r;
}

const struct source_ops source_file_ops = {
    .type = SOURCE_FILE,
    .name = "file",
    .open = sf_open,
    .pause = source_window_op_pause,
    .delivered = source_window_op_delivered,
    .commit = source_window_op_commit,
    .close = sf_close,
};
