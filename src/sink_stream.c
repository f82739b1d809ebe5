/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stdout and file sinks: JSON lines, or, when the daemon signs
 * (sign.enabled), the signed RFC 5424 message one per line, as a collector
 * writes them and ikelogd verify reads them. An event is delivered once its
 * line is written to the file descriptor; on the daemon's loop the buffer
 * is written after every dispatch, so delivery follows within one
 * iteration. A write error keeps the lines and retries every second; the
 * file sink reopens its path when it was rotated away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encode.h"
#include "log.h"
#include "signer.h"
#include "sink.h"

#define STREAM_FLUSH_BYTES (256 * 1024) /* the one-shot tools write in chunks of this */
#define STREAM_RETRY_USEC  1000000

struct sink_stream {
	int fd;
	char *path; /* file sink: reopened after rotation; NULL for stdout */
	char *buf;
	size_t len, cap;
	uint64_t last_seq; /* seq of the newest event in buf */
	sd_event *loop;
	sd_event_source *post, *retry;
	struct pipeline *pl;
	struct counters *cnt;
	uint64_t window; /* limits.in_flight */
	bool failing;
	struct encode_opts eo; /* signed lines only */
	char hostname[256];
	char *scratch;
	size_t scratch_cap;
};

static void stream_close(void *s)
{
	struct sink_stream *st = s;

	if (!st)
		return;
	sd_event_source_unref(st->post);
	sd_event_source_unref(st->retry);
	if (st->path && st->fd >= 0)
		close(st->fd);
	free(st->path);
	free(st->buf);
	free(st->scratch);
	free(st);
}

static int reopen_if_rotated(struct sink_stream *st)
{
	struct stat a, b;
	int fd;

	if (!st->path)
		return 0;
	if (st->fd >= 0 && stat(st->path, &a) == 0 && fstat(st->fd, &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return 0;
	fd = open(st->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (st->fd >= 0)
		close(st->fd);
	st->fd = fd;
	return 0;
}

/* Writes the whole buffer; on success every event in it is delivered. */
static int stream_flush(void *s)
{
	struct sink_stream *st = s;
	size_t off = 0;
	int r;

	if (!st->len)
		return 0;
	r = reopen_if_rotated(st);
	while (r == 0 && off < st->len) {
		ssize_t n = write(st->fd, st->buf + off, st->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			off += (size_t)n;
	}
	/* What was written is gone from the buffer either way; what was not stays. */
	memmove(st->buf, st->buf + off, st->len - off);
	st->len -= off;
	if (r < 0) {
		if (!st->failing)
			log_warnx("output %s: %s; retrying every second",
				  st->path ? st->path : "stdout", strerror(-r));
		st->failing = true;
		if (st->retry)
			sd_event_source_set_enabled(st->retry, SD_EVENT_ONESHOT);
		return r;
	}
	if (st->failing)
		log_info("output %s: writing again", st->path ? st->path : "stdout");
	st->failing = false;
	st->cnt->sent++;
	pipeline_delivered(st->pl, st->last_seq);
	return 0;
}

static int on_post(sd_event_source *es, void *ud)
{
	struct sink_stream *st = ud;

	if (st->len && !st->failing)
		stream_flush(st);
	return 0;
}

static int on_retry(sd_event_source *es, uint64_t usec, void *ud)
{
	struct sink_stream *st = ud;

	sd_event_source_set_time(es, usec + STREAM_RETRY_USEC);
	if (stream_flush(st) < 0)
		sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
	return 0;
}

/* The signed RFC 5424 message of the event into st->scratch; its length or -errno. */
static ssize_t signed_line(struct sink_stream *st, struct signer *sg, uint64_t seq,
			   const struct event *ev, const char *json, size_t len)
{
	int severity = encode_severity_from_name(event_str(ev, F_SEVERITY, NULL));
	struct encode_input in = {
	    .timestamp = event_str(ev, F_TIMESTAMP, NULL),
	    .msgid = event_str(ev, F_EVENT_TYPE, NULL),
	    .event_id = event_str(ev, F_EVENT_ID, NULL),
	    .severity = severity < 0 ? 6 : severity,
	    .msg = json,
	    .msg_len = len,
	};
	struct signer_call call;
	bool truncated = false;
	ssize_t n;

	signer_attach(&in, &call, sg, seq);
	n = encode_rfc5424(&st->eo, &in, st->scratch, st->scratch_cap, &truncated);
	if (n >= 0 && truncated)
		st->cnt->truncated++;
	return n;
}

static int stream_write(void *s, uint64_t seq, const struct event *ev, const char *json, size_t len)
{
	struct sink_stream *st = s;
	struct signer *sg = pipeline_signer(st->pl);

	if (sg && st->scratch) {
		ssize_t n = signed_line(st, sg, seq, ev, json, len);

		if (n < 0)
			return (int)n;
		json = st->scratch;
		len = (size_t)n;
	}

	if (st->len + len + 1 > st->cap) {
		size_t cap = st->cap ? st->cap : 65536;
		char *nb;

		while (cap < st->len + len + 1)
			cap *= 2;
		nb = realloc(st->buf, cap);
		if (!nb)
			return -ENOMEM;
		st->buf = nb;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, json, len);
	st->buf[st->len + len] = '\n';
	st->len += len + 1;
	st->last_seq = seq;
	if (!st->loop) {
		/* One-shot tools: write in large chunks, or when half the window waits. */
		if (st->len >= STREAM_FLUSH_BYTES || pipeline_in_flight(st->pl) >= st->window / 2)
			return stream_flush(st);
		return 0;
	}
	return 0;
}

static int stream_open(const struct sink_stream_options *o, const char *path, sd_event *e,
		       struct pipeline *pl, struct counters *cnt, void **ret, struct diags *errs)
{
	struct sink_stream *st;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->fd = STDOUT_FILENO;
	st->pl = pl;
	st->cnt = cnt;
	st->loop = e;
	st->window = o->in_flight;
	if (pipeline_signer(pl)) {
		sink_encode_opts(&st->eo, st->hostname, sizeof(st->hostname), o->hostname,
				 o->facility, o->enterprise_number, o->max_message_bytes);
		st->scratch_cap = o->max_message_bytes ? o->max_message_bytes : 65536;
		st->scratch = malloc(st->scratch_cap);
		if (!st->scratch) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (path) {
		st->fd = -1;
		st->path = strdup(path);
		if (!st->path) {
			r = -ENOMEM;
			goto out;
		}
		r = reopen_if_rotated(st);
		if (r < 0) {
			diag_add(errs, path, 0, 0, "cannot open output file: %s", strerror(-r));
			goto out;
		}
	}
	if (e) {
		/*
		 * Always on: sd-event marks post sources pending when another source
		 * is dispatched, so one enabled only inside a callback would wait for
		 * the next event. With nothing buffered it returns at once.
		 */
		r = sd_event_add_post(e, &st->post, on_post, st);
		if (r < 0)
			goto out;
		r = sd_event_add_time_relative(e, &st->retry, CLOCK_MONOTONIC, STREAM_RETRY_USEC, 0,
					       on_retry, st);
		if (r < 0)
			goto out;
		sd_event_source_set_enabled(st->retry, SD_EVENT_OFF);
	}
	*ret = st;
	return 0;
out:
	stream_close(st);
	return r;
}

static int stdout_open(const struct sink_options *o, sd_event *e, struct pipeline *pl,
		       struct counters *cnt, void **ret, struct diags *errs)
{
	return stream_open(&o->stream, NULL, e, pl, cnt, ret, errs);
}

static int file_open(const struct sink_options *o, sd_event *e, struct pipeline *pl,
		     struct counters *cnt, void **ret, struct diags *errs)
{
	const struct sink_stream_options *so = &o->stream;

	if (!so->path || !so->path[0]) {
		diag_add(errs, so->config_path, 0, 0, "output.type file needs output.path");
		return -EINVAL;
	}
	return stream_open(so, so->path, e, pl, cnt, ret, errs);
}

const struct sink_ops sink_stdout_ops = {
    .type = OUTPUT_STDOUT,
    .name = "stdout",
    .open = stdout_open,
    .write = stream_write,
    .flush = stream_flush,
    .close = stream_close,
};

const struct sink_ops sink_file_ops = {
    .type = OUTPUT_FILE,
    .name = "file",
    .open = file_open,
    .write = stream_write,
    .flush = stream_flush,
    .close = stream_close,
};
