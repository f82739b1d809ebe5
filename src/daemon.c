/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "config_stages.h"
#include "daemon.h"
#include "log.h"
#include "pipeline.h"
#include "rules.h"
#include "sink.h"
#include "source.h"
#include "status_poll.h"
#include "state.h"
#include "util.h"

#define DRAIN_POLL_USEC (20 * 1000)
#define STORY_SUFFIX	".sa" /* beside the position file: the correlation table */
#define STORY_MAX_BYTES (2048u << 20)

/* A loaded configuration and the options each stage takes from it. */
struct loaded {
	struct config cfg;
	struct pipeline_options pl;
	struct source_options src;
	struct sink_options snk;
};

/* Everything the running daemon has; no other mutable state. */
struct daemon {
	sd_event *loop;
	/* The configuration the source and sink were opened with ... */
	struct loaded base;
	/* ... and the one the pipeline runs on (base until the first reload). */
	struct loaded *current;
	struct counters cnt;
	struct pipeline *pl;
	struct source src;
	struct sink snk;
	struct status_poll *status; /* status snapshots; NULL when status.enabled is off */
	sd_event_source *stats_timer, *drain_timer, *eof_check;
	sd_event_source *hold_timer; /* the held events' next deadline (correlate.hold_ms) */
	uint64_t hold_armed;	     /* the time it is set for, 0 = off */
	uint64_t drain_deadline;
	bool stopping;
};

static void status_line(const struct daemon *d, char *buf, size_t size)
{
	snprintf(buf, size,
		 "read %" PRIu64 ", delivered %" PRIu64 ", in flight %" PRIu64 ", unparsed %" PRIu64
		 ", resent %" PRIu64 ", reconnects %" PRIu64,
		 d->cnt.lines_read, d->cnt.delivered, d->cnt.in_flight, d->cnt.unparsed,
		 d->cnt.resent, d->cnt.reconnects);
}

static void log_counters(const struct daemon *d)
{
	char line[4096];
	size_t n = 0;

	for (size_t i = 0; i < counter_table_len && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s=%" PRIu64, i ? " " : "",
				      counter_table[i].name,
				      counter_get(&d->cnt, &counter_table[i]));
	log_info("counters: %s", line);
}

/* The node_exporter textfile-collector format, written atomically. */
static void write_prometheus(struct daemon *d, const char *path)
{
	struct rules *rules = pipeline_rules(d->pl);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	f = open_memstream(&buf, &len);
	if (!f)
		return;
	for (size_t i = 0; i < counter_table_len; i++) {
		const struct counter_info *c = &counter_table[i];
		bool gauge =
		    strcmp(c->name, "in_flight") == 0 || strcmp(c->name, "in_flight_bytes") == 0;

		fprintf(
		    f, "# HELP ikelogd_%s%s %s\n# TYPE ikelogd_%s%s %s\nikelogd_%s%s %" PRIu64 "\n",
		    c->name, gauge ? "" : "_total", c->help, c->name, gauge ? "" : "_total",
		    gauge ? "gauge" : "counter", c->name, gauge ? "" : "_total",
		    counter_get(&d->cnt, c));
	}
	fprintf(f, "# HELP ikelogd_rule_matches_total lines each rule matched\n"
		   "# TYPE ikelogd_rule_matches_total counter\n");
	for (size_t i = 0; rules && i < rules_count(rules); i++)
		fprintf(f, "ikelogd_rule_matches_total{rule=\"%s\"} %" PRIu64 "\n",
			rules_id(rules, i), rules_hits(rules, i));
	fclose(f);
	r = util_write_atomic(path, buf, len, 0644);
	if (r < 0)
		log_warnx("stats file %s: %s", path, strerror(-r));
	free(buf);
}

static int on_stats(sd_event_source *es, uint64_t usec, void *ud)
{
	struct daemon *d = ud;
	char status[512];

	status_line(d, status, sizeof(status));
	log_info("stats: %s", status);
	sd_notifyf(0, "STATUS=%s", status);
	if (!d->stopping)
		pipeline_emit_stats(d->pl);
	if (d->current->cfg.stats.prometheus_file && d->current->cfg.stats.prometheus_file[0])
		write_prometheus(d, d->current->cfg.stats.prometheus_file);
	sd_event_source_set_time(es, usec + (uint64_t)d->current->cfg.stats.interval_s * 1000000);
	return 0;
}

/* The whole of f, up to max bytes (-EFBIG beyond). */
static int read_all(FILE *f, size_t max, char **ret, size_t *ret_len)
{
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap), *b;

	if (!buf)
		return -ENOMEM;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			if (cap >= max || !(b = realloc(buf, cap * 2))) {
				free(buf);
				return cap >= max ? -EFBIG : -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The companion of the position file that holds the correlation table; NULL when none. */
static char *story_path(const struct daemon *d)
{
	char *path = NULL;

	if (!d->base.cfg.state_file || !d->base.cfg.state_file[0] ||
	    asprintf(&path, "%s%s", d->base.cfg.state_file, STORY_SUFFIX) < 0)
		return NULL;
	return path;
}

/*
 * The open SAs go into the companion file at a clean stop, once the
 * position is saved, so that the next start carries on their stories.
 */
static void save_story(struct daemon *d)
{
	struct diags errs = {0};
	char *path = story_path(d), *buf = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return;
	r = pipeline_save_story(d->pl, &buf, &len);
	if (r == 0)
		r = state_write_text(path, buf, len, &errs);
	if (r < 0) {
		log_diags(&errs);
		log_warnx("could not save the correlation table to %s: %s", path, strerror(-r));
	}
	free(buf);
	free(path);
}

/*
 * Read back at start, then removed: a later start after a crash must not
 * take it again (the SAs it holds would be summarised twice). A damaged
 * or foreign file is counted and ignored.
 */
static void load_story(struct daemon *d)
{
	char *path = story_path(d), *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!path)
		return;
	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT)
			log_warn("%s", path);
		free(path);
		return;
	}
	r = read_all(f, STORY_MAX_BYTES, &buf, &len);
	fclose(f);
	if (r == 0)
		r = pipeline_load_story(d->pl, buf, len);
	if (r >= 0) {
		log_info("%s: %d SAs carried on from the last run", path, r);
	} else {
		d->cnt.state_corrupt++;
		log_warnx("%s: %s: ignored, the correlation starts empty", path,
			  r == -EPROTO ? "another version or table size" : strerror(-r));
	}
	unlink(path);
	free(buf);
	free(path);
}

static void finish(struct daemon *d)
{
	int r = d->src.ops->commit(d->src.state);

	if (r < 0)
		log_warnx("could not save the source position: %s", strerror(-r));
	else
		save_story(d);
	if (pipeline_in_flight(d->pl))
		log_warnx("stopping with %" PRIu64 " events not delivered; they are read again "
			  "at the next start",
			  pipeline_in_flight(d->pl));
	sd_event_exit(d->loop, 0);
}

static int on_drain(sd_event_source *es, uint64_t usec, void *ud)
{
	struct daemon *d = ud;

	d->snk.ops->flush(d->snk.state);
	if (pipeline_in_flight(d->pl) == 0 || usec >= d->drain_deadline) {
		finish(d);
		return 0;
	}
	sd_event_source_set_time(es, usec + DRAIN_POLL_USEC);
	sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
	return 0;
}

static void begin_stop(struct daemon *d, const char *why)
{
	uint64_t now;
	int r;

	if (d->stopping)
		return;
	d->stopping = true;
	log_info("%s: stopping, %" PRIu64 " events in flight", why, pipeline_in_flight(d->pl));
	sd_notify(0, "STOPPING=1");
	pipeline_stop_source(d->pl);
	/* status snapshots: no new ones while draining; a whack still running is killed */
	status_poll_free(d->status);
	d->status = NULL;
	/* Without a state file nothing carries the open SAs on: summarised now (end_reason
	 * shutdown). */
	if (d->base.cfg.correlate.summary &&
	    (!d->base.cfg.state_file || !d->base.cfg.state_file[0]) &&
	    pipeline_emit_summaries(d->pl) < 0)
		log_warnx("could not send the summaries of the open IKE SAs");
	/* The last event of a signed stream carries its final checkpoint. */
	if (pipeline_sign_final(d->pl) < 0)
		log_warnx("could not send the final checkpoint of the signed stream");
	sd_event_now(d->loop, CLOCK_MONOTONIC, &now);
	d->drain_deadline = now + (uint64_t)d->base.cfg.limits.drain_timeout_ms * 1000;
	r = sd_event_add_time(d->loop, &d->drain_timer, CLOCK_MONOTONIC, now, 0, on_drain, d);
	if (r < 0)
		finish(d);
}

static int on_term(sd_event_source *es, const struct signalfd_siginfo *si, void *ud)
{
	begin_stop(ud, si->ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
	return 0;
}

static void reload(struct daemon *d)
{
	struct loaded *l = calloc(1, sizeof(*l));
	struct diags errs = {0};
	int r;

	sd_notify(0, "RELOADING=1");
	if (!l) {
		r = -ENOMEM;
		goto out;
	}
	config_defaults(&l->cfg);
	r = config_load(d->base.cfg.path, &l->cfg, &errs);
	if (r == 0) {
		/* The stages' options from the new configuration, as at the start. */
		config_pipeline_options(&l->cfg, &l->pl);
		config_source_options(&l->cfg, &l->src);
		r = pipeline_reload(d->pl, &l->pl, &errs);
	}
	/*
	 * The source's own options (the syslog receiver's listeners) after
	 * the pipeline's: if they cannot be applied, the running ones stay
	 * and the reload is counted as refused, the pipeline's part applied.
	 */
	if (r == 0 && d->src.ops && d->src.ops->reload &&
	    d->src.ops->reload(d->src.state, &l->src, &errs) < 0) {
		++d->cnt.reload_failures;
		log_warnx("reload: the source keeps its running options:");
		log_diags(&errs);
		errs.n = 0;
		errs.n_dropped = 0;
	}
out:
	if (r < 0) {
		d->cnt.reload_failures++;
		log_warnx("reload refused, the running configuration stays:");
		log_diags(&errs);
		if (l) {
			config_done(&l->cfg);
			free(l);
		}
	} else {
		d->cnt.reloads++;
		if (d->current != &d->base) {
			config_done(&d->current->cfg);
			free(d->current);
		}
		d->current = l;
		log_init(l->cfg.log_level, 0);
		log_info("reloaded %s", d->base.cfg.path);
	}
	sd_notify(0, "READY=1");
}

static int on_hup(sd_event_source *es, const struct signalfd_siginfo *si, void *ud)
{
	reload(ud);
	return 0;
}

static int on_usr1(sd_event_source *es, const struct signalfd_siginfo *si, void *ud)
{
	log_counters(ud);
	return 0;
}

/* The hold timer set for the oldest held event's deadline, if it is not already. */
static void arm_hold(struct daemon *d)
{
	uint64_t due = pipeline_hold_deadline(d->pl);

	if (!d->hold_timer || due == d->hold_armed)
		return;
	d->hold_armed = due;
	if (!due) {
		sd_event_source_set_enabled(d->hold_timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(d->hold_timer, due);
	sd_event_source_set_enabled(d->hold_timer, SD_EVENT_ONESHOT);
}

/* No event waits longer than hold_ms after it arrived, whether or not more lines come. */
static int on_hold(sd_event_source *es, uint64_t usec, void *ud)
{
	struct daemon *d = ud;

	d->hold_armed = 0;
	if (pipeline_hold_release(d->pl, usec, false) < 0)
		log_debug("a held event could not be handed to the sink");
	arm_hold(d);
	return 0;
}

/*
 * After every dispatch: a finite source (stdin) that has ended stops the
 * daemon once drained; the hold timer follows the held events.
 */
static int on_eof_check(sd_event_source *es, void *ud)
{
	struct daemon *d = ud;

	if (pipeline_source_done(d->pl))
		begin_stop(d, "end of input");
	arm_hold(d);
	return 0;
}

static int setup_loop(struct daemon *d)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
	sd_event_signal_handler_t handlers[] = {on_term, on_term, on_hup, on_usr1};
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&mask, sigs[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = sd_event_default(&d->loop);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		r = sd_event_add_signal(d->loop, NULL, sigs[i], handlers[i], d);
		if (r < 0)
			return r;
	}
	r = sd_event_add_post(d->loop, &d->eof_check, on_eof_check, d);
	if (r < 0)
		return r;
	if (d->base.cfg.stats.interval_s) {
		r = sd_event_add_time_relative(d->loop, &d->stats_timer, CLOCK_MONOTONIC,
					       (uint64_t)d->base.cfg.stats.interval_s * 1000000, 0,
					       on_stats, d);
		if (r < 0)
			return r;
		sd_event_source_set_enabled(d->stats_timer, SD_EVENT_ON);
	}
	/* WATCHDOG=1 at half of WatchdogSec, when systemd asks for it. */
	return sd_event_set_watchdog(d->loop, true);
}

static int open_ends(struct daemon *d, struct diags *errs)
{
	int r;

	d->snk.ops = sink_find(d->base.cfg.output.type);
	d->src.ops = source_find(d->base.cfg.source.type);
	if (!d->snk.ops || !d->src.ops) {
		diag_add(errs, d->base.cfg.path, 0, 0, "source or output type not built in");
		return -EINVAL;
	}
	r = d->snk.ops->open(&d->base.snk, d->loop, d->pl, &d->cnt, &d->snk.state, errs);
	if (r < 0)
		return r;
	pipeline_attach(d->pl, NULL, &d->snk);
	r = d->src.ops->open(&d->base.src, d->loop, d->pl, &d->cnt, &d->src.state, errs);
	if (r < 0)
		return r;
	pipeline_attach(d->pl, &d->src, &d->snk);
	return 0;
}

/* Status snapshots: the poller's options from the configuration. */
static int start_status(struct daemon *d, struct diags *errs)
{
	const struct status_poll_options o = {
	    .enabled = d->base.cfg.status.enabled,
	    .whack = d->base.cfg.status.whack,
	    .ctlsocket = d->base.cfg.status.ctlsocket,
	    .interval_s = d->base.cfg.status.interval_s,
	    .timeout_ms = d->base.cfg.status.timeout_ms,
	    .max_output_bytes = d->base.cfg.status.max_output_bytes,
	    .max_tunnels = d->base.cfg.status.max_tunnels,
	    .certs = d->base.cfg.status.certs,
	    .certutil = d->base.cfg.status.certutil,
	    .nssdb = d->base.cfg.status.nssdb,
	    .certs_interval_s = d->base.cfg.status.certs_interval_s,
	};
	int r = status_poll_new(&o, d->loop, d->pl, &d->cnt, &d->status);

	if (r < 0)
		diag_add(errs, NULL, 0, 0, "status snapshots: %s", strerror(-r));
	return r;
}

int daemon_run(const char *config_path)
{
	struct daemon d = {.current = &d.base};
	struct diags errs = {0}, sign_errs = {0};
	char status[512];
	int r;

	log_init(LOG_LEVEL_INFO, 0);
	config_defaults(&d.base.cfg);
	r = config_load(config_path, &d.base.cfg, &errs);
	if (r < 0)
		goto out;
	config_pipeline_options(&d.base.cfg, &d.base.pl);
	config_source_options(&d.base.cfg, &d.base.src);
	config_sink_options(&d.base.cfg, &d.base.snk);
	log_init(d.base.cfg.log_level, 0);
	r = setup_loop(&d);
	if (r < 0) {
		diag_add(&errs, NULL, 0, 0, "event loop: %s", strerror(-r));
		goto out;
	}
	r = pipeline_new(&d.base.pl, &d.cnt, &d.pl, &errs);
	if (r < 0)
		goto out;
	r = pipeline_enable_signing(d.pl, &errs);
	if (r < 0)
		goto out;
	r = pipeline_set_hold(d.pl, d.base.cfg.correlate.hold_ms, true);
	if (r == 0)
		r = pipeline_set_summary(d.pl, d.base.cfg.correlate.summary);
	/* Accuracy 1 us: sd-event's default of 250 ms would hold events far longer. */
	if (r == 0 && d.base.cfg.correlate.hold_ms)
		r = sd_event_add_time(d.loop, &d.hold_timer, CLOCK_MONOTONIC, UINT64_MAX, 1,
				      on_hold, &d);
	if (r < 0) {
		diag_add(&errs, NULL, 0, 0, "correlate: %s", strerror(-r));
		goto out;
	}
	load_story(&d);
	r = open_ends(&d, &errs);
	if (r < 0)
		goto out;
	r = start_status(&d, &errs); /* status snapshots */
	if (r < 0)
		goto out;
	log_info("started: source %s, output %s", d.src.ops->name, d.snk.ops->name);
	if (rules_jit_fallbacks(pipeline_rules(d.pl)))
		log_warnx(
		    "%zu of %zu patterns run without PCRE2's JIT (executable memory denied?): "
		    "matching is slower",
		    rules_jit_fallbacks(pipeline_rules(d.pl)), rules_count(pipeline_rules(d.pl)));
	status_line(&d, status, sizeof(status));
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	r = sd_event_loop(d.loop);
	if (r < 0)
		diag_add(&errs, NULL, 0, 0, "event loop: %s", strerror(-r));
out:
	if (errs.n) {
		log_diags(&errs);
		if (r >= 0)
			r = -EINVAL;
	}
	status_poll_free(d.status);
	if (d.src.state)
		d.src.ops->close(d.src.state);
	if (d.snk.state) {
		d.snk.ops->flush(d.snk.state);
		d.snk.ops->close(d.snk.state);
	}
	if (pipeline_close_signing(d.pl, &sign_errs) < 0)
		log_diags(&sign_errs);
	pipeline_free(d.pl);
	sd_event_source_unref(d.stats_timer);
	sd_event_source_unref(d.drain_timer);
	sd_event_source_unref(d.eof_check);
	sd_event_source_unref(d.hold_timer);
	sd_event_unref(d.loop);
	if (d.current != &d.base) {
		config_done(&d.current->cfg);
		free(d.current);
	}
	config_done(&d.base.cfg);
	log_counters(&d);
	return r < 0 ? 1 : 0;
}
