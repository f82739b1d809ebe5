/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog receiver child (receiver.h): exec'd by its parent with the
 * socketpair and the bound listening sockets, so that nothing of the
 * parent's memory (the output's client key, the pseudonym key, the
 * signing key) is in its address space. It reads its options, loads its
 * own TLS server certificate and key, confines itself with seccomp and
 * runs the listener (source_syslog.c), whose records it writes to the
 * socketpair. When the socketpair is full (the parent's pipeline is
 * paused and no longer reads) the record stays in the outbox and the
 * listener is paused: the sockets are no longer read and TCP pushes back
 * on the senders, as in one process. Nothing is dropped for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "diag.h"
#include "log.h"
#include "receiver.h"
#include "receiver_wire.h"
#include "source_syslog_impl.h"

#define COUNTS_USEC 200000ull /* counters sent at most this often, when they changed */

struct child {
	sd_event *e;
	struct source_syslog *s;
	sd_event_source *chan_io, *counts_timer;
	struct counters cnt;
	struct receiver_counts sent;
	struct receiver_buf out; /* bytes not yet written to the parent */
	bool stopping;		 /* SIGTERM: flush the outbox, then exit */
};

/*
 * Writes what the outbox holds. Returns 1 when it is empty, 0 when the
 * socketpair is full, -errno when the parent is gone.
 */
static int flush(struct child *c)
{
	size_t off = 0;
	int r = 1;

	while (off < c->out.len) {
		ssize_t n = write(RECEIVER_CHAN_FD, c->out.p + off, c->out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == EAGAIN ? 0 : -errno;
			break;
		}
		off += (size_t)n;
	}
	memmove(c->out.p, c->out.p + off, c->out.len - off);
	c->out.len -= off;
	return r;
}

/* After a message was put in the outbox: write it, or pause the listener until we can. */
static int after_put(struct child *c)
{
	int r = flush(c);

	if (r < 0) {
		sd_event_exit(c->e, 0);
		return r;
	}
	if (r == 0) {
		syslog_receiver_pause(c->s, true);
		sd_event_source_set_io_events(c->chan_io, EPOLLIN | EPOLLOUT);
		return 0;
	}
	return 1;
}

static int child_submit(void *ud, struct record *rec)
{
	struct child *c = ud;
	int r = receiver_wire_put_record(&c->out, rec);

	/* The outbox holds one record beside what is left of the last: cannot fill. */
	if (r < 0)
		return r;
	return after_put(c);
}

static void send_counts(struct child *c)
{
	struct receiver_counts now = {
	    .input_dropped = c->cnt.input_dropped,
	    .connections = c->cnt.connections,
	    .handshake_failures = c->cnt.handshake_failures,
	    .source_errors = c->cnt.source_errors,
	};

	/* Behind records not yet written, they would only grow the outbox. */
	if (c->out.len || memcmp(&now, &c->sent, sizeof(now)) == 0)
		return;
	if (receiver_wire_put_counts(&c->out, &now) == 0) {
		c->sent = now;
		after_put(c);
	}
}

static int on_counts(sd_event_source *es, uint64_t usec, void *ud)
{
	send_counts(ud);
	sd_event_source_set_time(es, usec + COUNTS_USEC);
	return 0;
}

static int on_chan(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct child *c = ud;
	int r;

	/* The parent writes nothing after the options: readable means it closed its end. */
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		sd_event_exit(c->e, 0);
		return 0;
	}
	r = flush(c);
	if (r < 0) {
		sd_event_exit(c->e, 0);
		return 0;
	}
	if (r == 0)
		return 0;
	sd_event_source_set_io_events(es, EPOLLIN);
	send_counts(c);
	if (c->out.len)
		return 0;
	if (c->stopping)
		sd_event_exit(c->e, 0);
	else
		syslog_receiver_pause(c->s, false);
	return 0;
}

/* SIGTERM (a reload's new options, or the daemon stopping): hand over what we hold, then go. */
static int on_term(sd_event_source *es, const struct signalfd_siginfo *si, void *ud)
{
	struct child *c = ud;

	c->stopping = true;
	syslog_receiver_pause(c->s, true);
	send_counts(c);
	if (c->out.len == 0)
		sd_event_exit(c->e, 0);
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, (char *)buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		off += (size_t)n;
	}
	return 0;
}

/* The options message, the first and only thing the parent sends. */
static int read_options(char **ret_blob, struct receiver_options *ret)
{
	uint32_t hdr[2];
	char *blob = NULL;
	int r;

	r = read_full(RECEIVER_CHAN_FD, hdr, sizeof(hdr));
	if (r < 0)
		return r;
	if (hdr[1] != RECEIVER_MSG_OPTIONS || hdr[0] > RECEIVER_OPTIONS_MAX)
		return -EBADMSG;
	blob = malloc(hdr[0] ? hdr[0] : 1);
	if (!blob)
		return -ENOMEM;
	r = read_full(RECEIVER_CHAN_FD, blob, hdr[0]);
	if (r == 0)
		r = receiver_wire_get_options(blob, hdr[0], ret);
	if (r < 0) {
		free(blob);
		return r;
	}
	*ret_blob = blob;
	return 0;
}

/* Tells the parent why we could not start (best effort: it sees our exit too). */
static void send_error(struct child *c, const char *why)
{
	if (receiver_wire_put_text(&c->out, RECEIVER_MSG_ERROR, why) == 0)
		(void)flush(c);
}

static int setup(struct child *c, struct receiver_options *o, char *why, size_t why_size)
{
	struct diags errs = {0};
	int fds[RECEIVER_LIST_MAX];
	sigset_t mask;
	int r;

	for (size_t i = 0; i < o->n_listen; i++)
		fds[i] = RECEIVER_LISTEN_FD + (int)i;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r = sd_event_new(&c->e);
	if (r < 0)
		goto out;
	r = syslog_receiver_open(o, fds, c->e, child_submit, c, &c->cnt, &c->s, &errs);
	if (r < 0)
		goto out;
	r = sd_event_add_io(c->e, &c->chan_io, RECEIVER_CHAN_FD, EPOLLIN, on_chan, c);
	if (r < 0)
		goto out;
	r = sd_event_add_signal(c->e, NULL, SIGTERM, on_term, c);
	if (r < 0)
		goto out;
	r = sd_event_add_time_relative(c->e, &c->counts_timer, CLOCK_MONOTONIC, COUNTS_USEC, 0,
				       on_counts, c);
	if (r < 0)
		goto out;
	sd_event_source_set_enabled(c->counts_timer, SD_EVENT_ON);
	/*
	 * What is read from files lazily, now, before the filter: the time
	 * zone (year-less RFC 3164 times are local), and the boot id the
	 * event loop reads to spread its timers when it first arms one (one
	 * turn of the loop; under the unit's ProcSubset=pid it finds none,
	 * and remembers that too).
	 */
	tzset();
	r = sd_event_run(c->e, 0);
	if (r < 0)
		goto out;
	r = receiver_seccomp();
	if (r < 0)
		snprintf(why, why_size, "syslog receiver: seccomp filter: %s", strerror(-r));
out:
	if (r < 0 && errs.n)
		diag_format(&errs.v[0], why, why_size);
	else if (r < 0 && !why[0])
		snprintf(why, why_size, "syslog receiver: %s", strerror(-r));
	return r;
}

int receiver_main(void)
{
	struct child c = {0};
	struct receiver_options o;
	char *blob = NULL, why[DIAG_MSG_MAX + 300] = "";
	int r;

	log_init(LOG_LEVEL_INFO, 1);
	c.out.max = 2 * (RECEIVER_HDR_SIZE + receiver_wire_max_payload(65536)) + 4096;
	r = read_options(&blob, &o);
	if (r < 0) {
		log_warnx("syslog receiver: no options from the parent: %s", strerror(-r));
		return 1;
	}
	log_init(o.log_level, 1);
	c.out.max = 2 * (RECEIVER_HDR_SIZE +
			 receiver_wire_max_payload(o.max_line_bytes ? o.max_line_bytes : 65536)) +
		    4096;
	if (fcntl(RECEIVER_CHAN_FD, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto out;
	}
	r = setup(&c, &o, why, sizeof(why));
	if (r < 0) {
		/* Blocking again: the reason must reach the parent. */
		fcntl(RECEIVER_CHAN_FD, F_SETFL, 0);
		send_error(&c, why);
		goto out;
	}
	r = receiver_wire_put_text(&c.out, RECEIVER_MSG_READY, "");
	if (r == 0 && after_put(&c) >= 0)
		r = sd_event_loop(c.e);
out:
	syslog_receiver_close(c.s);
	sd_event_source_disable_unref(c.chan_io);
	sd_event_source_disable_unref(c.counts_timer);
	sd_event_unref(c.e);
	receiver_buf_free(&c.out);
	free(blob);
	return r < 0 ? 1 : 0;
}
