/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The snapshot source: whack as a child process on the event loop. One run
 * at a time: --showstates, then --trafficstatus, then the snapshot; the
 * certificates (certutil -L, then certutil -L -n NICK for each) when their
 * hour comes, after the snapshot in progress. Each run has its pipes
 * (non-blocking, read as they fill), its exit watched by sd-event (which
 * reaps it) and a timer that kills it. The loop never waits for a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "pipeline.h"
#include "status.h"
#include "status_poll.h"
#include "util.h"

#define ERR_KEEP 512 /* of whack's stderr, for the ike_error's reason */

enum run { RUN_STATES, RUN_TRAFFIC, RUN_CERT_LIST, RUN_CERT, RUN__MAX };

/* What a failure's reason calls each run. */
static const char *const run_name[RUN__MAX] = {
    [RUN_STATES] = "whack --showstates",
    [RUN_TRAFFIC] = "whack --trafficstatus",
    [RUN_CERT_LIST] = "certutil -L",
    [RUN_CERT] = "certutil -L -n",
};

/* Jobs waiting for the child slot. */
enum { PEND_SNAPSHOT = 1, PEND_CERTS = 2 };

struct status_poll {
	struct status_poll_options o;
	char *whack, *ctlsocket, *certutil, *nssdb;
	sd_event *loop;
	struct pipeline *pl;
	struct counters *cnt;
	struct status_parser *parser;
	struct status_tracker *tracker;
	sd_event_source *tick, *cert_tick, *timeout, *child, *out_io, *err_io;
	unsigned pending; /* PEND_*: started when the running job ends */
	char **nicks;	  /* the certificates of the listing being walked */
	size_t n_nicks, next_nick;

	/* the run in progress (pid 0: none) */
	enum run run;
	pid_t pid;
	int out_fd, err_fd;
	bool exited, timed_out, too_big;
	int status; /* as waitid's si_status, with exited_code */
	int exited_code;
	char *out[RUN__MAX];
	size_t out_len[RUN__MAX];
	char err[ERR_KEEP];
	size_t err_len;
	uint64_t seq;
};

static void tap(void *ud, const struct event *ev)
{
	status_tracker_note_log(ud, ev);
}

static int emit(void *ud, struct event *ev)
{
	struct status_poll *sp = ud;
	int r = pipeline_emit_event(sp->pl, ev);

	if (r == -EAGAIN) {
		sp->cnt->status_events_dropped++;
		return 0;
	}
	return r;
}

/* A failed snapshot: one ike_error, phase status, the reason whack gave. */
static void fail(struct status_poll *sp, const char *reason)
{
	struct event *ev = pipeline_event(sp->pl);

	sp->cnt->status_failures++;
	event_reset(ev);
	event_set_str(ev, F_EVENT_TYPE, "ike_error", 9);
	event_set_str(ev, F_RESULT, "failure", 7);
	event_set_str(ev, F_SEVERITY, "warning", 7);
	event_set_str(ev, F_PHASE, "status", 6);
	event_set_str(ev, F_REASON, reason, strlen(reason));
	status_stamp(ev, util_now_usec(), sp->seq++);
	(void)emit(sp, ev);
}

static void close_run(struct status_poll *sp)
{
	sp->timeout = sd_event_source_disable_unref(sp->timeout);
	sp->child = sd_event_source_disable_unref(sp->child);
	sp->out_io = sd_event_source_disable_unref(sp->out_io);
	sp->err_io = sd_event_source_disable_unref(sp->err_io);
	if (sp->out_fd >= 0)
		close(sp->out_fd);
	if (sp->err_fd >= 0)
		close(sp->err_fd);
	sp->out_fd = sp->err_fd = -1;
	sp->pid = 0;
}

/* Reads what fd has now; returns 0 at EOF, 1 when more may come, -errno. */
static int drain(struct status_poll *sp, int fd, bool is_err)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0)
			return 0;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : -errno;
		if (is_err) {
			size_t k = (size_t)n < ERR_KEEP - 1 - sp->err_len
				       ? (size_t)n
				       : ERR_KEEP - 1 - sp->err_len;

			memcpy(sp->err + sp->err_len, buf, k);
			sp->err_len += k;
			continue;
		}
		size_t *len = &sp->out_len[sp->run];

		if (*len + (size_t)n > sp->o.max_output_bytes) {
			sp->too_big = true;
			continue;
		}
		char *nb = realloc(sp->out[sp->run], *len + (size_t)n + 1);

		if (!nb)
			return -ENOMEM;
		memcpy(nb + *len, buf, (size_t)n);
		*len += (size_t)n;
		nb[*len] = '\0';
		sp->out[sp->run] = nb;
	}
}

static int start(struct status_poll *sp, enum run run);
static void kick(struct status_poll *sp);

/* The next certificate of the listing, or the job's end. */
static void next_cert(struct status_poll *sp)
{
	while (sp->next_nick < sp->n_nicks) {
		if (start(sp, RUN_CERT) == 0)
			return;
		fail(sp, "could not start certutil");
		sp->next_nick++;
	}
	status_certs_list_free(sp->nicks, sp->n_nicks);
	sp->nicks = NULL;
	sp->n_nicks = sp->next_nick = 0;
	kick(sp);
}

static void cert_done(struct status_poll *sp)
{
	struct event *ev = pipeline_event(sp->pl);
	int64_t now = util_now_usec();

	event_reset(ev);
	if (status_cert_parse(sp->out[RUN_CERT], sp->out_len[RUN_CERT], now / 1000000, ev) == 1) {
		status_stamp(ev, now, sp->seq++);
		(void)emit(sp, ev);
	} else {
		fail(sp, "certutil -L -n: no subject, issuer or expiry in its output");
	}
}

static void snapshot(struct status_poll *sp)
{
	struct status_counts c;
	int64_t now = util_now_usec();
	int r;

	status_tracker_begin(sp->tracker);
	r = status_snapshot(sp->parser, sp->out[RUN_STATES], sp->out_len[RUN_STATES],
			    sp->out[RUN_TRAFFIC], sp->out_len[RUN_TRAFFIC], now,
			    pipeline_event(sp->pl), emit, sp, sp->tracker, &c);
	if (r >= 0)
		r = status_tracker_end(sp->tracker, now, pipeline_event(sp->pl), emit, sp);
	sp->cnt->status_snapshots++;
	(void)r; /* a sink error shows in the sink's own counters */
	kick(sp);
}

/* The run is over (whack exited and its output is read): judge it, go on. */
static void finish(struct status_poll *sp)
{
	char reason[ERR_KEEP + 128];
	enum run run = sp->run;

	(void)drain(sp, sp->out_fd, false);
	(void)drain(sp, sp->err_fd, true);
	close_run(sp);
	while (sp->err_len && (sp->err[sp->err_len - 1] == '\n' || sp->err[sp->err_len - 1] == ' '))
		sp->err_len--;
	sp->err[sp->err_len] = '\0';
	if (sp->timed_out) {
		snprintf(reason, sizeof(reason), "%s timed out after %u ms (killed)", run_name[run],
			 sp->o.timeout_ms);
	} else if (sp->exited_code != CLD_EXITED || sp->status != 0) {
		snprintf(reason, sizeof(reason), "%s %s %d%s%s", run_name[run],
			 sp->exited_code == CLD_EXITED ? "exited with status" : "killed by signal",
			 sp->status, sp->err_len ? ": " : "", sp->err);
	} else if (sp->too_big) {
		snprintf(reason, sizeof(reason), "%s printed more than %u bytes", run_name[run],
			 sp->o.max_output_bytes);
	} else if (run == RUN_STATES) {
		if (start(sp, RUN_TRAFFIC) < 0) {
			fail(sp, "could not start whack --trafficstatus");
			kick(sp);
		}
		return;
	} else if (run == RUN_TRAFFIC) {
		snapshot(sp);
		return;
	} else if (run == RUN_CERT_LIST) {
		if (status_certs_list(sp->out[run], sp->out_len[run], &sp->nicks, &sp->n_nicks) < 0)
			fail(sp, "certutil -L: out of memory");
		sp->next_nick = 0;
		next_cert(sp);
		return;
	} else {
		cert_done(sp);
		sp->next_nick++;
		next_cert(sp);
		return;
	}
	fail(sp, reason);
	if (run == RUN_CERT) { /* one certificate's failure: the others still */
		sp->next_nick++;
		next_cert(sp);
		return;
	}
	kick(sp);
}

static int on_child(sd_event_source *es, const siginfo_t *si, void *ud)
{
	struct status_poll *sp = ud;

	sp->exited = true;
	sp->exited_code = si->si_code;
	sp->status = si->si_status;
	finish(sp);
	return 0;
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct status_poll *sp = ud;
	bool is_err = fd == sp->err_fd;

	if (drain(sp, fd, is_err) <= 0)
		sd_event_source_set_enabled(es, SD_EVENT_OFF); /* EOF: the exit comes next */
	return 0;
}

static int on_timeout(sd_event_source *es, uint64_t usec, void *ud)
{
	struct status_poll *sp = ud;

	if (sp->pid > 0) {
		sp->timed_out = true;
		sp->cnt->status_timeouts++;
		kill(sp->pid, SIGKILL); /* its exit (on_child) ends the run */
	}
	return 0;
}

/*
 * In the child: stdout and stderr to the pipes, default signals, exec.
 * TZ=UTC: certutil prints the expiry in local time.
 */
static void exec_run(struct status_poll *sp, enum run run, int out_w, int err_w)
{
	char *const whack[] = {sp->whack, "--ctlsocket", sp->ctlsocket,
			       run == RUN_STATES ? "--showstates" : "--trafficstatus", NULL};
	char *const list[] = {sp->certutil, "-L", "-d", sp->nssdb, NULL};
	char *const one[] = {
	    sp->certutil, "-L", "-d",
	    sp->nssdb,	  "-n", sp->next_nick < sp->n_nicks ? sp->nicks[sp->next_nick] : "",
	    NULL};
	char *const *argv = run == RUN_CERT_LIST ? list : run == RUN_CERT ? one : whack;
	char *const env[] = {"TZ=UTC", "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	sigset_t none;
	int null = open("/dev/null", O_RDONLY);

	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(out_w, STDOUT_FILENO);
	dup2(err_w, STDERR_FILENO);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execve(argv[0], argv, env);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int start(struct status_poll *sp, enum run run)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};
	pid_t pid;
	int r;

	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(err, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0)
		exec_run(sp, run, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	sp->run = run;
	sp->pid = pid;
	sp->out_fd = out[0];
	sp->err_fd = err[0];
	out[0] = err[0] = -1;
	sp->exited = sp->timed_out = sp->too_big = false;
	sp->err_len = 0;
	sp->out_len[run] = 0;
	r = sd_event_add_io(sp->loop, &sp->out_io, sp->out_fd, EPOLLIN, on_io, sp);
	if (r >= 0)
		r = sd_event_add_io(sp->loop, &sp->err_io, sp->err_fd, EPOLLIN, on_io, sp);
	if (r >= 0)
		r = sd_event_add_time_relative(sp->loop, &sp->timeout, CLOCK_MONOTONIC,
					       (uint64_t)sp->o.timeout_ms * 1000, 0, on_timeout,
					       sp);
	if (r >= 0)
		r = sd_event_add_child(sp->loop, &sp->child, pid, WEXITED, on_child, sp);
	if (r < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close_run(sp);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return r;
}

/* Starts the next pending job when no child runs. */
static void kick(struct status_poll *sp)
{
	if (sp->pid > 0 || sp->n_nicks)
		return;
	if (sp->pending & PEND_SNAPSHOT) {
		sp->pending &= ~PEND_SNAPSHOT;
		if (start(sp, RUN_STATES) == 0)
			return;
		fail(sp, "could not start whack --showstates");
	}
	if (sp->pending & PEND_CERTS) {
		sp->pending &= ~PEND_CERTS;
		if (start(sp, RUN_CERT_LIST) == 0)
			return;
		fail(sp, "could not start certutil -L");
	}
}

/* A snapshot due while a job runs starts when it ends (once, however many ticks passed). */
static int on_tick(sd_event_source *es, uint64_t usec, void *ud)
{
	struct status_poll *sp = ud;

	sd_event_source_set_time(es, usec + (uint64_t)sp->o.interval_s * 1000000);
	sp->pending |= PEND_SNAPSHOT;
	kick(sp);
	return 0;
}

static int on_cert_tick(sd_event_source *es, uint64_t usec, void *ud)
{
	struct status_poll *sp = ud;

	sd_event_source_set_time(es, usec + (uint64_t)sp->o.certs_interval_s * 1000000);
	sp->pending |= PEND_CERTS;
	kick(sp);
	return 0;
}

int status_poll_new(const struct status_poll_options *opts, sd_event *loop, struct pipeline *pl,
		    struct counters *cnt, struct status_poll **ret)
{
	struct status_poll *sp;
	sigset_t chld;
	int r;

	*ret = NULL;
	if (!opts->enabled)
		return 0;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->o = *opts;
	sp->loop = loop;
	sp->pl = pl;
	sp->cnt = cnt;
	sp->out_fd = sp->err_fd = -1;
	sp->whack = strdup(opts->whack);
	sp->ctlsocket = strdup(opts->ctlsocket);
	sp->certutil = strdup(opts->certutil ? opts->certutil : "");
	sp->nssdb = strdup(opts->nssdb ? opts->nssdb : "");
	if (!sp->whack || !sp->ctlsocket || !sp->certutil || !sp->nssdb) {
		r = -ENOMEM;
		goto out;
	}
	r = status_parser_new(&sp->parser);
	if (r < 0)
		goto out;
	r = status_tracker_new(opts->max_tunnels, &sp->tracker);
	if (r < 0)
		goto out;
	/* sd-event watches children through SIGCHLD, which must be blocked. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	r = sd_event_add_time_relative(loop, &sp->tick, CLOCK_MONOTONIC,
				       (uint64_t)opts->interval_s * 1000000, 0, on_tick, sp);
	if (r < 0)
		goto out;
	sd_event_source_set_enabled(sp->tick, SD_EVENT_ON);
	if (opts->certs) {
		/* the first listing soon after the start, then every certs_interval_s */
		r = sd_event_add_time_relative(loop, &sp->cert_tick, CLOCK_MONOTONIC,
					       (uint64_t)opts->interval_s * 1000000 / 2 + 1, 0,
					       on_cert_tick, sp);
		if (r < 0)
			goto out;
		sd_event_source_set_enabled(sp->cert_tick, SD_EVENT_ON);
	}
	pipeline_set_log_tap(pl, tap, sp->tracker);
	*ret = sp;
	return 0;
out:
	status_poll_free(sp);
	return r;
}

void status_poll_free(struct status_poll *sp)
{
	if (!sp)
		return;
	if (sp->pl)
		pipeline_set_log_tap(sp->pl, NULL, NULL);
	if (sp->pid > 0) {
		pid_t pid = sp->pid;

		kill(pid, SIGKILL);
		close_run(sp);
		waitpid(pid, NULL, 0);
	}
	sd_event_source_disable_unref(sp->tick);
	sd_event_source_disable_unref(sp->cert_tick);
	status_certs_list_free(sp->nicks, sp->n_nicks);
	status_tracker_free(sp->tracker);
	status_parser_free(sp->parser);
	for (int i = 0; i < RUN__MAX; i++)
		free(sp->out[i]);
	free(sp->whack);
	free(sp->ctlsocket);
	free(sp->certutil);
	free(sp->nssdb);
	free(sp);
}
