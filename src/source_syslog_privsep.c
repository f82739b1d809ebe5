/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog source as the daemon runs it: privilege separated. The
 * listener and its frame parser (source_syslog.c) run in a child, exec'd
 * from our own binary (receiver.c) so that none of this process's memory
 * (the output's client key, the pseudonym key, the signing key) is in
 * its address space; it confines itself with seccomp. We bind the
 * listening sockets and hand them over, so they outlive the child: a
 * sender's connection waits in the kernel's queue while a child restarts.
 *
 * The child is hostile to us: every message it sends is checked
 * (receiver_wire.h) and one that breaks a rule ends it. A child that dies
 * is counted (receiver_crashes), logged and restarted with backoff; the
 * records it had written to the socketpair are read and delivered first.
 * When the pipeline pauses us we stop reading the socketpair; it fills,
 * the child stops reading its sockets and TCP pushes back on the senders.
 * A SIGHUP with new listener options starts a new child and stops the old
 * one once the new one listens.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "receiver.h"
#include "receiver_wire.h"
#include "source.h"
#include "source_syslog_impl.h"
#include "util.h"

#define START_TIMEOUT_MS 10000	     /* a child must listen (or say why not) within this */
#define BACKOFF_MIN_USEC 20000ull    /* first restart after a crash */
#define BACKOFF_MAX_USEC 30000000ull /* doubling up to this */
#define STABLE_USEC	 10000000ull /* a child that ran this long resets the backoff */
#define RECEIVER_EXE	 "/proc/self/exe"

struct privsep;

/* One receiver child and our end of its socketpair. */
struct kid {
	struct privsep *p;
	pid_t pid;
	int pidfd, chan;
	sd_event_source *pid_io, *chan_io;
	char *in; /* bytes read, not yet used */
	size_t len;
	struct receiver_counts seen;
	uint64_t started_usec;
	bool eof, reaped, stopping;
	bool crashed; /* died as the current child: counted, a new one scheduled */
	int status;
};

struct privsep {
	sd_event *e;
	struct pipeline *pl;
	struct counters *cnt;
	struct receiver_buf opts; /* the options message the children are started with */
	uint64_t stamp;		  /* of the TLS files the children load (files_stamp) */
	char *spec[RECEIVER_LIST_MAX];
	int lfd[RECEIVER_LIST_MAX]; /* bound listening sockets, one per spec */
	size_t n_lfd;
	size_t max_line, in_cap;
	struct kid *cur, *old; /* old: stopping after a reload, its records still read */
	sd_event_source *restart, *resume;
	uint64_t backoff_usec;
	bool paused, submit_failing;
};

static void kid_read(struct kid *k);

static uint64_t now_usec(struct privsep *p)
{
	uint64_t t = 0;

	sd_event_now(p->e, CLOCK_MONOTONIC, &t);
	return t;
}

static void kid_free(struct kid *k)
{
	if (!k)
		return;
	sd_event_source_disable_unref(k->chan_io);
	sd_event_source_disable_unref(k->pid_io);
	if (k->pid > 0 && !k->reaped) {
		kill(k->pid, SIGKILL);
		while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (k->chan >= 0)
		close(k->chan);
	if (k->pidfd >= 0)
		close(k->pidfd);
	free(k->in);
	free(k);
}

/* In the forked child: the socketpair and the listeners at their numbers, then exec. */
static _Noreturn void exec_child(struct privsep *p, int chan, pid_t parent)
{
	char *argv[] = {"ikelogd", RECEIVER_CHILD_ARG, NULL};
	int moved[RECEIVER_LIST_MAX + 1];
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
	/* Out of the way first: a target number may be one of the sources. */
	moved[0] = fcntl(chan, F_DUPFD_CLOEXEC, 64);
	for (size_t i = 0; i < p->n_lfd; i++)
		moved[i + 1] = fcntl(p->lfd[i], F_DUPFD_CLOEXEC, 64);
	for (size_t i = 0; i <= p->n_lfd; i++)
		if (moved[i] < 0 || dup2(moved[i], RECEIVER_CHAN_FD + (int)i) < 0)
			_exit(126);
	/* Nothing else of ours crosses the exec. */
	close_range(RECEIVER_CHAN_FD + (unsigned)p->n_lfd + 1, ~0u, 0);
	execv(RECEIVER_EXE, argv);
	_exit(127);
}

static int write_full(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* "killed by signal 9", "exited with status 1". */
static void describe_status(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/*
 * Waits for the new child's first message: READY, or ERROR with why it
 * could not start. Bytes after it stay in k->in.
 */
static int kid_wait_ready(struct kid *k, struct diags *errs)
{
	uint64_t deadline = util_now_usec() + (uint64_t)START_TIMEOUT_MS * 1000;
	const char *payload;
	uint32_t type;
	size_t plen;
	int r;

	for (;;) {
		struct pollfd pfd = {.fd = k->chan, .events = POLLIN};
		int64_t left = (int64_t)(deadline - util_now_usec()) / 1000;
		ssize_t n;

		r = receiver_wire_next(k->in, k->len, k->p->in_cap - RECEIVER_HDR_SIZE, &type,
				       &payload, &plen);
		if (r != 0)
			break;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			diag_add(errs, NULL, 0, 0, "syslog receiver: not listening within %d ms",
				 START_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		n = read(k->chan, k->in + k->len, k->p->in_cap - k->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			int status = 0;
			char why[80];

			while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
				;
			k->reaped = true;
			describe_status(status, why, sizeof(why));
			diag_add(errs, NULL, 0, 0, "syslog receiver: %s before it listened", why);
			return -ECHILD;
		}
		k->len += (size_t)n;
	}
	if (r > 0 && type == RECEIVER_MSG_ERROR) {
		diag_add(errs, NULL, 0, 0, "%.*s", (int)plen, payload);
		return -EINVAL;
	}
	if (r < 0 || type != RECEIVER_MSG_READY || plen != 0) {
		diag_add(errs, NULL, 0, 0, "syslog receiver: a bad first message");
		return -EBADMSG;
	}
	memmove(k->in, k->in + r, k->len - (size_t)r);
	k->len -= (size_t)r;
	return 0;
}

static int on_chan(sd_event_source *es, int fd, uint32_t revents, void *ud);
static int on_pidfd(sd_event_source *es, int fd, uint32_t revents, void *ud);

/* Starts a child on p's options and listeners; returns when it listens. */
static int kid_start(struct privsep *p, struct kid **ret, struct diags *errs)
{
	struct kid *k = calloc(1, sizeof(*k));
	pid_t parent = getpid();
	int sv[2] = {-1, -1}, r;

	if (!k)
		return -ENOMEM;
	*k = (struct kid){.p = p, .pid = -1, .pidfd = -1, .chan = -1};
	k->in = malloc(p->in_cap);
	if (!k->in || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = k->in ? -errno : -ENOMEM;
		goto out;
	}
	k->chan = sv[0];
	k->pid = fork();
	if (k->pid < 0) {
		r = -errno;
		goto out;
	}
	if (k->pid == 0)
		exec_child(p, sv[1], parent);
	close(sv[1]);
	sv[1] = -1;
	k->pidfd = (int)syscall(SYS_pidfd_open, k->pid, 0);
	if (k->pidfd < 0) {
		r = -errno;
		goto out;
	}
	/* The options fit the socket's buffer: the child reads them at once. */
	r = write_full(k->chan, p->opts.p, p->opts.len);
	if (r == 0)
		r = kid_wait_ready(k, errs);
	if (r < 0)
		goto out;
	if (fcntl(k->chan, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto out;
	}
	r = sd_event_add_io(p->e, &k->chan_io, k->chan, EPOLLIN, on_chan, k);
	if (r == 0)
		r = sd_event_add_io(p->e, &k->pid_io, k->pidfd, EPOLLIN, on_pidfd, k);
	if (r < 0)
		goto out;
	if (p->paused)
		sd_event_source_set_enabled(k->chan_io, SD_EVENT_OFF);
	k->started_usec = now_usec(p);
	log_info("syslog: receiver started, pid %d", (int)k->pid);
	*ret = k;
	/* Records it sent right after READY. */
	if (k->len && !p->paused)
		sd_event_source_set_enabled(p->resume, SD_EVENT_ONESHOT);
	return 0;
out:
	if (sv[1] >= 0)
		close(sv[1]);
	if (r < 0 && errs->n == 0)
		diag_add(errs, NULL, 0, 0, "syslog receiver: %s", strerror(-r));
	kid_free(k);
	return r;
}

static void schedule_restart(struct privsep *p)
{
	sd_event_source_set_time(p->restart, now_usec(p) + p->backoff_usec);
	sd_event_source_set_enabled(p->restart, SD_EVENT_ONESHOT);
	p->backoff_usec =
	    p->backoff_usec * 2 < BACKOFF_MAX_USEC ? p->backoff_usec * 2 : BACKOFF_MAX_USEC;
}

static int on_restart(sd_event_source *es, uint64_t usec, void *ud)
{
	struct privsep *p = ud;
	struct diags errs = {0};

	if (p->cur)
		return 0;
	if (kid_start(p, &p->cur, &errs) < 0) {
		p->cnt->receiver_crashes++;
		log_warnx("syslog: receiver did not start, retrying in %llu ms:",
			  (unsigned long long)(p->backoff_usec / 1000));
		log_diags(&errs);
		schedule_restart(p);
	}
	return 0;
}

/*
 * The current child died (reaped): counted, logged, and a new one
 * scheduled at once, while what the dead one wrote is still read (it
 * becomes old). When the old slot is taken (a reload's child still
 * stopping) the restart waits until one of the two is drained.
 */
static void kid_crashed(struct kid *k)
{
	struct privsep *p = k->p;
	char why[80];

	k->crashed = true;
	p->cnt->receiver_crashes++;
	if (now_usec(p) >= k->started_usec + STABLE_USEC)
		p->backoff_usec = BACKOFF_MIN_USEC;
	describe_status(k->status, why, sizeof(why));
	log_warnx("syslog: receiver %d %s (counted in receiver_crashes); restarting in %llu ms",
		  (int)k->pid, why, (unsigned long long)(p->backoff_usec / 1000));
	if (p->old)
		return;
	p->old = k;
	p->cur = NULL;
	schedule_restart(p);
}

/* Both ends seen (socketpair at EOF, process reaped): the child is freed. */
static void kid_check_gone(struct kid *k)
{
	struct privsep *p = k->p;
	char why[80];

	if (!k->eof || !k->reaped)
		return;
	if (k->len) {
		/* Cut short by its death: the sender's to send again. */
		p->cnt->input_dropped++;
		log_warnx("syslog: receiver %d died in the middle of a message (%zu bytes "
			  "dropped, counted in input_dropped)",
			  (int)k->pid, k->len);
	}
	if (k == p->old) {
		if (!k->crashed) {
			describe_status(k->status, why, sizeof(why));
			log_info("syslog: previous receiver %d %s", (int)k->pid, why);
		}
		p->old = NULL;
		kid_free(k);
		/* A current one that died while this one was draining: restart now. */
		if (p->cur && p->cur->crashed) {
			p->old = p->cur;
			p->cur = NULL;
			schedule_restart(p);
		}
		return;
	}
	/* The current one, drained while the old slot was taken. */
	p->cur = NULL;
	kid_free(k);
	schedule_restart(p);
}

/* Ends a child that broke the protocol: what it sent from here on is not read. */
static void kid_violation(struct kid *k, const char *what)
{
	log_warnx("syslog: receiver %d sent %s: ending it", (int)k->pid, what);
	kill(k->pid, SIGKILL);
	k->eof = true;
	k->len = 0;
	sd_event_source_set_enabled(k->chan_io, SD_EVENT_OFF);
}

/* Adds what each of the child's counters grew by; they never go down. */
static int kid_counts(struct kid *k, const struct receiver_counts *c)
{
	struct counters *cnt = k->p->cnt;

	if (c->input_dropped < k->seen.input_dropped || c->connections < k->seen.connections ||
	    c->handshake_failures < k->seen.handshake_failures ||
	    c->source_errors < k->seen.source_errors)
		return -EBADMSG;
	cnt->input_dropped += c->input_dropped - k->seen.input_dropped;
	cnt->connections += c->connections - k->seen.connections;
	cnt->handshake_failures += c->handshake_failures - k->seen.handshake_failures;
	cnt->source_errors += c->source_errors - k->seen.source_errors;
	k->seen = *c;
	return 0;
}

/* One whole message from the child. Returns 0, or -EBADMSG (the child is ended). */
static int kid_message(struct kid *k, uint32_t type, const char *payload, size_t plen)
{
	struct privsep *p = k->p;
	char host[SYSLOG_HOST_MAX + 1], id[SYSLOG_EVENT_ID_MAX];
	struct receiver_counts c;
	struct record rec;
	int r;

	switch (type) {
	case RECEIVER_MSG_RECORD:
		if (receiver_wire_get_record(payload, plen, p->max_line, &rec, host, id) < 0) {
			kid_violation(k, "a malformed record");
			return -EBADMSG;
		}
		r = pipeline_submit(p->pl, &rec);
		if (r < 0) {
			p->cnt->source_errors++;
			if (!p->submit_failing)
				log_warnx("syslog: messages not processed: %s (counted in "
					  "source_errors)",
					  strerror(-r));
		}
		p->submit_failing = r < 0;
		return 0;
	case RECEIVER_MSG_COUNTS:
		if (receiver_wire_get_counts(payload, plen, &c) < 0 || kid_counts(k, &c) < 0) {
			kid_violation(k, "malformed counters");
			return -EBADMSG;
		}
		return 0;
	default:
		kid_violation(k, "an unexpected message");
		return -EBADMSG;
	}
}

/* Hands over the whole messages read, and reads more, until paused or no more. */
static void kid_read(struct kid *k)
{
	struct privsep *p = k->p;
	size_t pos = 0;

	while (!p->paused) {
		const char *payload;
		uint32_t type;
		size_t plen;
		ssize_t n;
		int r = receiver_wire_next(k->in + pos, k->len - pos, p->in_cap - RECEIVER_HDR_SIZE,
					   &type, &payload, &plen);

		if (r < 0) {
			kid_violation(k, "a bad message header");
			pos = 0;
			break;
		}
		if (r > 0) {
			pos += (size_t)r;
			if (kid_message(k, type, payload, plen) < 0) {
				pos = 0;
				break;
			}
			continue;
		}
		if (k->eof)
			break;
		memmove(k->in, k->in + pos, k->len - pos);
		k->len -= pos;
		pos = 0;
		n = read(k->chan, k->in + k->len, p->in_cap - k->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			k->eof = true;
			sd_event_source_set_enabled(k->chan_io, SD_EVENT_OFF);
			break;
		}
		k->len += (size_t)n;
	}
	memmove(k->in, k->in + pos, k->len - pos);
	k->len -= pos;
	if (k->eof && (!p->paused || k->len == 0))
		kid_check_gone(k);
}

static int on_chan(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	kid_read(ud);
	return 0;
}

static int on_pidfd(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct kid *k = ud;

	if (waitpid(k->pid, &k->status, WNOHANG) != k->pid)
		return 0;
	k->reaped = true;
	sd_event_source_set_enabled(es, SD_EVENT_OFF);
	if (k == k->p->cur)
		kid_crashed(k);
	/* Whatever it wrote before it died is still to be read. */
	kid_read(k);
	return 0;
}

static int on_resume(sd_event_source *es, void *ud)
{
	struct privsep *p = ud;

	if (p->old && !p->paused)
		kid_read(p->old);
	if (p->cur && !p->paused)
		kid_read(p->cur);
	for (struct kid *k = p->old; k && !p->paused && !k->eof; k = NULL)
		sd_event_source_set_enabled(k->chan_io, SD_EVENT_ON);
	for (struct kid *k = p->cur; k && !p->paused && !k->eof; k = NULL)
		sd_event_source_set_enabled(k->chan_io, SD_EVENT_ON);
	return 0;
}

static void privsep_pause(void *ps, bool paused)
{
	struct privsep *p = ps;

	p->paused = paused;
	if (!paused) {
		sd_event_source_set_enabled(p->resume, SD_EVENT_ONESHOT);
		return;
	}
	if (p->cur && !p->cur->eof)
		sd_event_source_set_enabled(p->cur->chan_io, SD_EVENT_OFF);
	if (p->old && !p->old->eof)
		sd_event_source_set_enabled(p->old->chan_io, SD_EVENT_OFF);
}

static void privsep_delivered(void *ps, uint64_t upto)
{
	/* Nothing to move: a syslog sender keeps no position we could resume from. */
}

static int privsep_commit(void *ps)
{
	return 0;
}

static void close_listeners(char **spec, int *lfd, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (lfd[i] >= 0)
			close(lfd[i]);
		free(spec[i]);
	}
}

static void privsep_close(void *ps)
{
	struct privsep *p = ps;

	if (!p)
		return;
	kid_free(p->cur);
	kid_free(p->old);
	close_listeners(p->spec, p->lfd, p->n_lfd);
	sd_event_source_disable_unref(p->restart);
	sd_event_source_disable_unref(p->resume);
	receiver_buf_free(&p->opts);
	free(p);
}

/*
 * The listening sockets for o: the running one of the same spec (given
 * to both children while the old one stops), else a new one.
 */
static int bind_listeners(struct privsep *p, const struct receiver_options *o, char **spec,
			  int *lfd, bool *reused, struct diags *errs)
{
	int r = 0;

	for (size_t i = 0; i < o->n_listen; i++) {
		spec[i] = NULL;
		lfd[i] = -1;
		reused[i] = false;
	}
	for (size_t i = 0; i < o->n_listen && r == 0; i++) {
		spec[i] = strdup(o->listen[i]);
		if (!spec[i]) {
			r = -ENOMEM;
			break;
		}
		for (size_t j = 0; j < p->n_lfd && !reused[i]; j++)
			if (p->spec[j] && strcmp(p->spec[j], o->listen[i]) == 0) {
				lfd[i] = p->lfd[j];
				reused[i] = true;
			}
		if (!reused[i])
			r = syslog_listen_bind(o->listen[i], o->path, &lfd[i], errs);
	}
	return r;
}

/*
 * What the TLS files the child loads look like on disk (device, inode,
 * size, modification time, hashed): a reload restarts the child when a
 * certificate or key was replaced under the same name.
 */
static uint64_t files_stamp(const struct receiver_options *o)
{
	const char *files[] = {o->ca_file, o->cert_file, o->key_file};
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct stat st;
		uint64_t v[5] = {0};

		if (files[i] && stat(files[i], &st) == 0) {
			v[0] = st.st_dev;
			v[1] = st.st_ino;
			v[2] = (uint64_t)st.st_size;
			v[3] = (uint64_t)st.st_mtim.tv_sec;
			v[4] = (uint64_t)st.st_mtim.tv_nsec;
		}
		for (size_t j = 0; j < 5; j++)
			h = (h ^ v[j]) * 1099511628211ull;
	}
	return h;
}

/* The options message for o, and p's in buffer sized for its records. */
static int encode_options(const struct receiver_options *o, struct receiver_buf *ret)
{
	*ret = (struct receiver_buf){.max = RECEIVER_HDR_SIZE + RECEIVER_OPTIONS_MAX};
	return receiver_wire_put_options(ret, o);
}

static int privsep_open(const struct source_options *so, sd_event *e, struct pipeline *pl,
			struct counters *cnt, void **ret, struct diags *errs)
{
	struct receiver_options o = so->syslog;
	struct privsep *p;
	bool reused[RECEIVER_LIST_MAX];
	int r;

	if (!e || o.n_listen == 0) {
		diag_add(errs, o.path, 0, 0,
			 !e ? "source syslog needs the daemon's event loop"
			    : "source.syslog.listen: no address to listen on");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->e = e;
	p->pl = pl;
	p->cnt = cnt;
	p->backoff_usec = BACKOFF_MIN_USEC;
	p->max_line = o.max_line_bytes ? o.max_line_bytes : 65536;
	p->in_cap = RECEIVER_HDR_SIZE + receiver_wire_max_payload(p->max_line);
	r = encode_options(&o, &p->opts);
	if (r < 0) {
		diag_add(errs, o.path, 0, 0, "source.syslog: options too large for the receiver");
		goto out;
	}
	p->stamp = files_stamp(&o);
	r = bind_listeners(p, &o, p->spec, p->lfd, reused, errs);
	p->n_lfd = o.n_listen;
	if (r < 0)
		goto out;
	r = sd_event_add_defer(e, &p->resume, on_resume, p);
	if (r == 0)
		r = sd_event_add_time(e, &p->restart, CLOCK_MONOTONIC, 0, 0, on_restart, p);
	if (r < 0)
		goto out;
	sd_event_source_set_enabled(p->resume, SD_EVENT_OFF);
	sd_event_source_set_enabled(p->restart, SD_EVENT_OFF);
	r = kid_start(p, &p->cur, errs);
	if (r < 0)
		goto out;
	*ret = p;
	return 0;
out:
	if (r < 0 && errs->n == 0)
		diag_add(errs, o.path, 0, 0, "source syslog: %s", strerror(-r));
	privsep_close(p);
	return r;
}

/*
 * New listener options, or TLS files replaced: a new child on them, then
 * the old one told to stop (what it holds is still read). Unchanged
 * options keep the child.
 */
static int privsep_reload(void *ps, const struct source_options *so, struct diags *errs)
{
	struct privsep *p = ps;
	struct receiver_options o = so->syslog;
	struct receiver_buf opts = {0}, old_opts = p->opts;
	char *spec[RECEIVER_LIST_MAX], *old_spec[RECEIVER_LIST_MAX];
	int lfd[RECEIVER_LIST_MAX], old_lfd[RECEIVER_LIST_MAX];
	bool reused[RECEIVER_LIST_MAX];
	size_t n_old = p->n_lfd;
	struct kid *k = NULL;
	uint64_t stamp;
	int r;

	if ((o.max_line_bytes ? o.max_line_bytes : 65536) != p->max_line) {
		/* The parent's read buffer is sized for it: a restart applies it. */
		log_warnx("syslog: limits.max_line_bytes for received messages changes on restart");
		o.max_line_bytes = (unsigned)p->max_line;
	}
	r = encode_options(&o, &opts);
	if (r < 0) {
		diag_add(errs, o.path, 0, 0, "source.syslog: options too large for the receiver");
		return r;
	}
	stamp = files_stamp(&o);
	if (opts.len == p->opts.len && memcmp(opts.p, p->opts.p, opts.len) == 0 &&
	    stamp == p->stamp) {
		receiver_buf_free(&opts);
		return 0;
	}
	if (p->old) {
		diag_add(errs, o.path, 0, 0,
			 "source.syslog: the previous receiver is still stopping");
		receiver_buf_free(&opts);
		return -EBUSY;
	}
	r = bind_listeners(p, &o, spec, lfd, reused, errs);
	memcpy(old_spec, p->spec, sizeof(old_spec));
	memcpy(old_lfd, p->lfd, sizeof(old_lfd));
	memcpy(p->spec, spec, sizeof(spec));
	memcpy(p->lfd, lfd, sizeof(lfd));
	p->n_lfd = o.n_listen;
	p->opts = opts;
	if (r == 0 && p->cur)
		r = kid_start(p, &k, errs);
	if (r < 0) {
		/* The running child and listeners stay. */
		for (size_t i = 0; i < o.n_listen; i++)
			if (!reused[i] && lfd[i] >= 0)
				close(lfd[i]);
		for (size_t i = 0; i < o.n_listen; i++)
			free(spec[i]);
		memcpy(p->spec, old_spec, sizeof(old_spec));
		memcpy(p->lfd, old_lfd, sizeof(old_lfd));
		p->n_lfd = n_old;
		p->opts = old_opts;
		receiver_buf_free(&opts);
		return r;
	}
	/* The old sockets not taken over: our copies go, the old child's with it. */
	for (size_t j = 0; j < n_old; j++) {
		bool kept = false;

		for (size_t i = 0; i < o.n_listen; i++)
			kept |= reused[i] && lfd[i] == old_lfd[j];
		if (!kept)
			close(old_lfd[j]);
		free(old_spec[j]);
	}
	receiver_buf_free(&old_opts);
	p->stamp = stamp;
	if (p->cur) {
		p->old = p->cur;
		p->old->stopping = true;
		kill(p->old->pid, SIGTERM);
		p->cur = k;
	}
	/* In a restart's backoff: the new options are tried now. */
	if (!p->cur) {
		p->backoff_usec = BACKOFF_MIN_USEC;
		sd_event_source_set_time(p->restart, now_usec(p));
		sd_event_source_set_enabled(p->restart, SD_EVENT_ONESHOT);
	}
	log_info("syslog: receiver restarted with the new listener options");
	return 0;
}

const struct source_ops source_syslog_privsep_ops = {
    .type = SOURCE_SYSLOG,
    .name = "syslog",
    .open = privsep_open,
    .pause = privsep_pause,
    .delivered = privsep_delivered,
    .commit = privsep_commit,
    .close = privsep_close,
    .reload = privsep_reload,
};
