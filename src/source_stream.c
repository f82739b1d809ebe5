/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stream source: pluto lines from standard input (source.type stdin)
 * or, for the one-shot tools, from files. Lines may carry any log prefix
 * the envelope reads (syslog, journalctl's short formats, RFC 3339/5424,
 * pluto's logfile, logread, a bare pluto[PID]:); it gives the time, host
 * and pid. A line
 * longer than limits.max_line_bytes is cut there (flagged and counted)
 * and the rest of it skipped. A stream has no position to resume from, so
 * delivered() and commit() have nothing to persist.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"
#include "normalize.h"
#include "source.h"
#include "util.h"

#define READ_CHUNK (64 * 1024)

struct line_reader {
	char *buf;
	size_t len, cap;
	size_t max_line;
	size_t scan;	 /* bytes of buf already searched for a newline */
	bool discarding; /* skipping the rest of a line that was cut */
	uint64_t offset; /* stream offset of buf[0] */
	uint64_t name_hash;
	char host[256];
	char process[ENVELOPE_APP_MAX + 1];
	char event_id[17];
};

static int reader_init(struct line_reader *lr, const char *name, size_t max_line)
{
	memset(lr, 0, sizeof(*lr));
	lr->max_line = max_line;
	lr->cap = max_line + READ_CHUNK;
	lr->buf = malloc(lr->cap);
	lr->name_hash = util_hash64(name, strlen(name), UTIL_HASH_SEED);
	return lr->buf ? 0 : -ENOMEM;
}

static void reader_done(struct line_reader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

/* Builds the record of one line at stream offset off and submits it. */
static int submit_line(struct line_reader *lr, struct pipeline *pl, const char *line, size_t len,
		       uint64_t off, unsigned flags, int64_t now)
{
	struct envelope env;
	struct record rec = {.priority = -1, .flags = flags};
	uint64_t h;

	if (len && line[len - 1] == '\r')
		len--;
	envelope_log_prefix(line, len, now, false, &env);
	rec.msg = line + env.msg_off;
	rec.len = len - env.msg_off;
	rec.realtime_usec = env.realtime_usec;
	rec.pid = env.pid;
	rec.process = envelope_other_process(&env, lr->process, sizeof(lr->process));
	if (env.host && env.host_len) {
		size_t n =
		    env.host_len < sizeof(lr->host) - 1 ? env.host_len : sizeof(lr->host) - 1;

		memcpy(lr->host, env.host, n);
		lr->host[n] = '\0';
		rec.host = lr->host;
	}
	/* The same line at the same place of the same input gets the same id. */
	h = util_hash64(&off, sizeof(off), lr->name_hash);
	util_hex64(util_hash64(line, len, h), lr->event_id);
	rec.event_id = lr->event_id;
	return pipeline_submit(pl, &rec);
}

/*
 * Submits the complete lines in the buffer (and, at eof, the last partial
 * one). Stops early when the pipeline asks to pause: returns 0 then, 1 when
 * the buffer is used up, or -errno.
 */
static int reader_drain(struct line_reader *lr, struct pipeline *pl, bool eof, bool honour_pause)
{
	size_t start = 0;
	int64_t now = util_now_usec();
	int r = 1;

	while (start < lr->len) {
		char *nl = memchr(lr->buf + start + lr->scan, '\n', lr->len - start - lr->scan);
		size_t end;

		if (!nl) {
			size_t have = lr->len - start;

			if (lr->discarding) {
				start = lr->len;
				break;
			}
			if (have >= lr->max_line) {
				r = submit_line(lr, pl, lr->buf + start, lr->max_line,
						lr->offset + start, RECORD_TRUNCATED, now);
				lr->discarding = true;
				start = lr->len;
			} else if (eof) {
				r = submit_line(lr, pl, lr->buf + start, have, lr->offset + start,
						0, now);
				start = lr->len;
			} else {
				lr->scan = have;
			}
			break;
		}
		end = (size_t)(nl - lr->buf);
		lr->scan = 0;
		if (lr->discarding) {
			lr->discarding = false;
		} else if (end - start > lr->max_line) {
			r = submit_line(lr, pl, lr->buf + start, lr->max_line, lr->offset + start,
					RECORD_TRUNCATED, now);
		} else {
			r = submit_line(lr, pl, lr->buf + start, end - start, lr->offset + start, 0,
					now);
		}
		start = end + 1;
		if (r < 0 || (r == 0 && honour_pause))
			break;
	}
	memmove(lr->buf, lr->buf + start, lr->len - start);
	lr->len -= start;
	lr->offset += start;
	if (r < 0)
		return r;
	return (r == 0 && honour_pause && lr->len) ? 0 : 1;
}

/* Reads once into the buffer: bytes read, 0 at end of input, or -errno. */
static ssize_t reader_fill(struct line_reader *lr, int fd)
{
	ssize_t n;

	if (lr->cap - lr->len < READ_CHUNK / 2 && lr->discarding) {
		lr->offset += lr->len;
		lr->len = 0;
		lr->scan = 0;
	}
	do
		n = read(fd, lr->buf + lr->len, lr->cap - lr->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	lr->len += (size_t)n;
	return n;
}

int source_stream_read_fd(int fd, const char *name, const struct source_stream_options *o,
			  struct pipeline *pl, struct counters *cnt)
{
	struct line_reader lr;
	uint64_t before = cnt->lines_read;
	ssize_t n;
	int r;

	r = reader_init(&lr, name, o->max_line_bytes);
	if (r < 0)
		return r;
	for (;;) {
		n = reader_fill(&lr, fd);
		if (n < 0) {
			r = (int)n;
			break;
		}
		r = reader_drain(&lr, pl, n == 0, false);
		if (r < 0 || n == 0)
			break;
	}
	reader_done(&lr);
	if (r < 0)
		return r;
	return (int)(cnt->lines_read - before);
}

/* The daemon's stdin source, on the event loop. */
struct source_stream {
	struct line_reader lr;
	int fd;
	sd_event_source *io;
	struct pipeline *pl;
	struct counters *cnt;
	bool paused, eof;
};

static void stream_close(void *s)
{
	struct source_stream *st = s;

	if (!st)
		return;
	sd_event_source_disable_unref(st->io);
	reader_done(&st->lr);
	free(st);
}

static void stream_arm(struct source_stream *st)
{
	sd_event_source_set_enabled(st->io, st->paused || st->eof ? SD_EVENT_OFF : SD_EVENT_ON);
}

static int on_readable(struct source_stream *st)
{
	ssize_t n;
	int r;

	/* Lines left from before a pause go first. */
	r = reader_drain(&st->lr, st->pl, false, true);
	if (r <= 0)
		goto out;
	n = reader_fill(&st->lr, st->fd);
	if (n == -EAGAIN)
		return 0;
	if (n < 0) {
		st->cnt->source_errors++;
		log_warnx("stdin: %s", strerror((int)-n));
		n = 0;
	}
	r = reader_drain(&st->lr, st->pl, n == 0, true);
	if (n == 0 && r > 0) {
		st->eof = true;
		pipeline_source_eof(st->pl);
	}
out:
	if (r < 0)
		log_warnx("stdin: %s", strerror(-r));
	stream_arm(st);
	return 0;
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	return on_readable(ud);
}

static int on_defer(sd_event_source *es, void *ud)
{
	return on_readable(ud);
}

static void stream_pause(void *s, bool paused)
{
	struct source_stream *st = s;

	st->paused = paused;
	stream_arm(st);
}

static void stream_delivered(void *s, uint64_t upto)
{
}

static int stream_commit(void *s)
{
	return 0;
}

static int stream_open(const struct source_options *o, sd_event *e, struct pipeline *pl,
		       struct counters *cnt, void **ret, struct diags *errs)
{
	struct source_stream *st;
	struct stat sb;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->fd = STDIN_FILENO;
	st->pl = pl;
	st->cnt = cnt;
	r = reader_init(&st->lr, "stdin", o->stream.max_line_bytes);
	if (r < 0)
		goto out;
	/* epoll cannot watch regular files: read those whenever the loop is idle. */
	if (fstat(st->fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		r = sd_event_add_defer(e, &st->io, on_defer, st);
	} else {
		fcntl(st->fd, F_SETFL, fcntl(st->fd, F_GETFL) | O_NONBLOCK);
		r = sd_event_add_io(e, &st->io, st->fd, EPOLLIN, on_io, st);
	}
	if (r < 0) {
		diag_add(errs, NULL, 0, 0, "stdin: %s", strerror(-r));
		goto out;
	}
	*ret = st;
	return 0;
out:
	stream_close(st);
	return r;
}

const struct source_ops source_stream_ops = {
    .type = SOURCE_STDIN,
    .name = "stdin",
    .open = stream_open,
    .pause = stream_pause,
    .delivered = stream_delivered,
    .commit = stream_commit,
    .close = stream_close,
};
