/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon_run in this process, on its own loop: stdin to a file until the
 * end of input; a configuration it refuses; a pluto log file with a state
 * file, driven by signals from a second thread (SIGHUP with a broken
 * configuration keeps the running one, SIGHUP with a good one replaces
 * the rules, SIGUSR1 logs the counters, the stats timer writes the
 * Prometheus file, SIGTERM stops and saves the position); and SIGTERM
 * with events in flight to a syslog collector, drained once the collector
 * comes up, or given up after limits.drain_timeout_ms.
 *
 * The signals are blocked in every thread before the second one starts,
 * so they stay pending until the daemon's signalfd reads them. The
 * daemon's log (stderr) goes to a file the second thread waits on.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "daemon.h"
#include "state.h"
#include "tls_harness.h"

#define LINE_A "\"west\" #1: initiating IKEv2 connection"
#define LINE_B "\"east\" #2: initiating IKEv2 connection"
#define LINE_C "\"north\" #3: initiating IKEv2 connection"

/* Matches the three lines above. */
static const char rules_init[] = "- id: t.init\n"
				 "  event: ike_init\n"
				 "  result: info\n"
				 "  scope: state\n"
				 "  pattern: '^initiating IKEv2 connection'\n";

/* Matches none of them: after a reload to it, they are unparsed. */
static const char rules_other[] = "- id: t.other\n"
				  "  event: ike_init\n"
				  "  result: info\n"
				  "  scope: state\n"
				  "  pattern: '^something else'\n";

struct fx {
	char dir[64];
	char cfg[128], log[128], out[128], state[128], input[128], err[128], prom[128];
	char rules_a[128], rules_b[128];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void append_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

/* The whole file as a string (empty when missing); free it. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static bool file_has(const char *path, const char *needle)
{
	char *s = slurp(path);
	bool r = strstr(s, needle) != NULL;

	free(s);
	return r;
}

static size_t count_lines(const char *path)
{
	char *s = slurp(path);
	size_t n = 0;

	for (char *p = s; *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* The event_type of line i (from 0) of the output file, or "" */
static void event_type_of(const char *path, size_t i, char *ret, size_t size)
{
	char *s = slurp(path), *p = s;
	struct json_object *o, *v;

	ret[0] = '\0';
	for (size_t k = 0; k < i && p; k++)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	if (p && (o = json_tokener_parse(p))) {
		if (json_object_object_get_ex(o, "event_type", &v))
			snprintf(ret, size, "%s", json_object_get_string(v));
		json_object_put(o);
	}
	free(s);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_daemon.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
#define P(field, name) snprintf(f->field, sizeof(f->field), "%s/" name, f->dir)
	P(cfg, "ikelogd.yaml");
	P(log, "pluto.log");
	P(out, "events.json");
	P(state, "position");
	P(input, "stdin");
	P(err, "stderr");
	P(prom, "ikelogd.prom");
	P(rules_a, "rules-a.yaml");
	P(rules_b, "rules-b.yaml");
#undef P
	write_file(f->rules_a, rules_init);
	write_file(f->rules_b, rules_other);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/*
 * Writes the configuration: rules, the common parts, then extra (the
 * source and output sections).
 */
static void write_config(struct fx *f, const char *rules, const char *extra)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "rules: [%s]\n"
		 "redact: { key_file: %s/key, generate_key: true }\n"
		 "log_level: info\n"
		 "%s",
		 rules, f->dir, extra);
	write_file(f->cfg, text);
}

/* Runs daemon_run(cfg) with stderr to f->err (and stdin from stdin_path when given). */
static int run_daemon(struct fx *f, const char *stdin_path)
{
	int saved_err = dup(STDERR_FILENO), saved_in = -1;
	int efd = open(f->err, O_WRONLY | O_CREAT | O_APPEND, 0600);
	int r;

	assert_true(saved_err >= 0 && efd >= 0);
	fflush(stderr);
	dup2(efd, STDERR_FILENO);
	close(efd);
	if (stdin_path) {
		int ifd = open(stdin_path, O_RDONLY);

		assert_true(ifd >= 0);
		saved_in = dup(STDIN_FILENO);
		dup2(ifd, STDIN_FILENO);
		close(ifd);
	}
	alarm(60); /* a daemon that never stops fails the test instead of hanging it */
	r = daemon_run(f->cfg);
	alarm(0);
	fflush(stderr);
	dup2(saved_err, STDERR_FILENO);
	close(saved_err);
	if (saved_in >= 0) {
		dup2(saved_in, STDIN_FILENO);
		close(saved_in);
	}
	return r;
}

/* A finite source: stdin is read to its end, everything delivered, exit status 0. */
static void test_stdin_until_eof(void **state)
{
	struct fx *f = *state;
	char extra[512], type[32];

	write_file(f->input, LINE_A "\nsomething pluto never says\n" LINE_B "\n");
	snprintf(extra, sizeof(extra),
		 "state_file: \"\"\n"
		 "source: { type: stdin }\n"
		 "output: { type: file, path: %s }\n"
		 "stats: { interval_s: 0 }\n",
		 f->out);
	write_config(f, f->rules_a, extra);
	assert_int_equal(run_daemon(f, f->input), 0);
	/* the two lines' IKE SAs are open at the end: with no state file to keep them, summarised */
	assert_int_equal(count_lines(f->out), 5);
	event_type_of(f->out, 0, type, sizeof(type));
	assert_string_equal(type, "ike_init");
	event_type_of(f->out, 1, type, sizeof(type));
	assert_string_equal(type, "unparsed");
	event_type_of(f->out, 2, type, sizeof(type));
	assert_string_equal(type, "ike_init");
	event_type_of(f->out, 3, type, sizeof(type));
	assert_string_equal(type, "ike_sa_summary");
	event_type_of(f->out, 4, type, sizeof(type));
	assert_string_equal(type, "ike_sa_summary");
	assert_true(file_has(f->out, "\"outcome\":\"failed\""));
	assert_true(file_has(f->err, "started: source stdin, output file"));
	assert_true(file_has(f->err, "end of input: stopping"));
	assert_true(file_has(f->err, "lines_read=3"));
	assert_true(file_has(f->err, "delivered=5"));
	assert_true(file_has(f->err, "summaries=2"));
}

/* A configuration it cannot use: exit status 1, the reason in the log. */
static void test_bad_config(void **state)
{
	struct fx *f = *state;

	write_config(f, f->rules_a, "source: { type: stdin }\nno_such_key: 1\n");
	assert_int_equal(run_daemon(f, NULL), 1);
	assert_true(file_has(f->err, "no_such_key"));
	assert_false(file_has(f->err, "started:"));

	/* rules that do not load: refused before anything starts */
	write_config(f, f->log, "source: { type: stdin }\noutput: { type: stdout }\n");
	assert_int_equal(run_daemon(f, NULL), 1);
	assert_false(file_has(f->err, "started:"));
}

/* The second thread: what it does, and what went wrong (checked by the test). */
struct driver {
	struct fx *f;
	char failed[256];
	atomic_bool daemon_done;
	/* for the drain cases */
	bool collector_comes_up;
	unsigned frames;
};

/* Waits (bounded) until cond holds, checking every 10 ms. */
#define WAIT_FOR(d, cond, what)                                                                    \
	do {                                                                                       \
		struct timespec ts_ = {.tv_nsec = 10 * 1000 * 1000};                               \
		int i_;                                                                            \
		for (i_ = 0; i_ < 500 && !(cond); i_++)                                            \
			nanosleep(&ts_, NULL);                                                     \
		if (!(cond)) {                                                                     \
			snprintf((d)->failed, sizeof((d)->failed), "timed out waiting for %s",     \
				 what);                                                            \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

static void *drive_signals(void *ud)
{
	struct driver *d = ud;
	struct fx *f = d->f;
	char extra[1024];

	WAIT_FOR(d, count_lines(f->out) == 1, "the first event");
	/* a broken configuration: the reload is refused, the rules stay */
	write_file(f->cfg, "rules: [\n");
	kill(getpid(), SIGHUP);
	WAIT_FOR(d, file_has(f->err, "reload refused"), "the refused reload");
	append_file(f->log, LINE_B "\n");
	WAIT_FOR(d, count_lines(f->out) == 2, "the second event");
	/* a good one with other rules: taken */
	snprintf(extra, sizeof(extra),
		 "state_file: %s\n"
		 "commit_every: 1000\n"
		 "commit_interval_ms: 3600000\n"
		 "source: { type: file, file: { path: %s, start: head } }\n"
		 "output: { type: file, path: %s }\n"
		 "stats: { interval_s: 1, prometheus_file: %s }\n",
		 f->state, f->log, f->out, f->prom);
	write_config(f, f->rules_b, extra);
	kill(getpid(), SIGHUP);
	WAIT_FOR(d, file_has(f->err, "reloaded "), "the reload");
	append_file(f->log, LINE_C "\n");
	WAIT_FOR(d, count_lines(f->out) == 3, "the third event");
	kill(getpid(), SIGUSR1);
	WAIT_FOR(d, file_has(f->err, "counters: "), "the counters");
	/* the stats timer: every second */
	WAIT_FOR(d, file_has(f->prom, "ikelogd_lines_read_total 3"), "the Prometheus file");
out:
	kill(getpid(), SIGTERM);
	return NULL;
}

/* Starts the driver thread with the daemon's signals blocked everywhere. */
static void with_driver(struct driver *d, void *(*fn)(void *), pthread_t *t)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &mask, NULL), 0);
	assert_int_equal(pthread_create(t, NULL, fn, d), 0);
}

static void test_signals(void **state)
{
	struct fx *f = *state;
	struct driver d = {.f = f};
	struct state_pos pos = {0};
	struct diags errs = {0};
	struct stat st;
	char extra[1024], type[32];
	pthread_t t;
	int r;

	write_file(f->log, LINE_A "\n");
	/* positions are committed only at the end: what is saved is SIGTERM's doing */
	snprintf(extra, sizeof(extra),
		 "state_file: %s\n"
		 "commit_every: 1000\n"
		 "commit_interval_ms: 3600000\n"
		 "source: { type: file, file: { path: %s, start: head } }\n"
		 "output: { type: file, path: %s }\n"
		 "stats: { interval_s: 1, prometheus_file: %s }\n",
		 f->state, f->log, f->out, f->prom);
	write_config(f, f->rules_a, extra);
	with_driver(&d, drive_signals, &t);
	r = run_daemon(f, NULL);
	atomic_store(&d.daemon_done, true);
	pthread_join(t, NULL);
	if (d.failed[0])
		fail_msg("%s", d.failed);
	assert_int_equal(r, 0);
	/* before the good reload: matched; after it: the other rules, unparsed */
	event_type_of(f->out, 0, type, sizeof(type));
	assert_string_equal(type, "ike_init");
	event_type_of(f->out, 1, type, sizeof(type));
	assert_string_equal(type, "ike_init");
	event_type_of(f->out, 2, type, sizeof(type));
	assert_string_equal(type, "unparsed");
	assert_true(file_has(f->err, "reload_failures=1"));
	assert_true(file_has(f->err, "reloads=1"));
	assert_true(file_has(f->err, "SIGTERM: stopping"));
	assert_true(file_has(f->prom, "# TYPE ikelogd_in_flight gauge"));
	/* the rules in use are the reloaded ones, which matched nothing */
	assert_true(file_has(f->prom, "ikelogd_rule_matches_total{rule=\"t.other\"} 0"));
	assert_false(file_has(f->prom, "t.init"));
	/* the position: after the third line */
	assert_int_equal(stat(f->log, &st), 0);
	assert_int_equal(state_read(f->state, &pos, &errs), 0);
	assert_int_equal(pos.type, STATE_FILE);
	assert_int_equal(pos.offset, st.st_size);
	assert_int_equal(pos.inode, st.st_ino);
}

static size_t count_frames(const struct th_server *sv)
{
	size_t k = 0, i = 0;

	while (i < sv->n) {
		char *end;
		unsigned long v = strtoul(sv->got + i, &end, 10);

		if (end == sv->got + i || *end != ' ' || (size_t)(end + 1 - sv->got) + v > sv->n)
			break;
		i = (size_t)(end + 1 - sv->got) + v;
		k++;
	}
	return k;
}

/*
 * The collector is down while two lines are read; SIGTERM comes; then the
 * collector comes up (or never does). The collector runs on this thread's
 * own loop.
 */
static void *drive_drain(void *ud)
{
	struct driver *d = ud;
	struct fx *f = d->f;
	struct th_server sv;
	sd_event *e = NULL;
	char port[16];

	if (sd_event_new(&e) < 0 || th_server_down(&sv, e, NULL) < 0) {
		snprintf(d->failed, sizeof(d->failed), "no collector");
		kill(getpid(), SIGTERM);
		return NULL;
	}
	snprintf(port, sizeof(port), "%u\n", sv.port);
	append_file(f->input, port); /* tells the test which port */
	/* the lines are read: SIGUSR1 until the counters say so */
	WAIT_FOR(d, (kill(getpid(), SIGUSR1), file_has(f->err, "lines_read=2 ")), "two lines read");
	kill(getpid(), SIGTERM);
	WAIT_FOR(d, file_has(f->err, "SIGTERM: stopping, 2 events in flight"), "the stop");
	if (d->collector_comes_up) {
		if (th_server_up(&sv) < 0)
			goto out;
		RUN_UNTIL(e, count_frames(&sv) >= 2, 5000);
	}
out:
	/* keep the collector's sockets until the daemon is done with them */
	while (!atomic_load(&d->daemon_done))
		sd_event_run(e, 10000);
	d->frames = (unsigned)count_frames(&sv);
	th_server_stop(&sv);
	sd_event_unref(e);
	return NULL;
}

static void drain_case(struct fx *f, bool comes_up)
{
	struct driver d = {.f = f, .collector_comes_up = comes_up};
	struct state_pos pos = {0};
	struct diags errs = {0};
	struct stat st;
	char extra[1024], *port;
	pthread_t t;
	int r = -1;

	write_file(f->log, LINE_A "\n" LINE_B "\n");
	write_file(f->input, "");
	with_driver(&d, drive_drain, &t);
	WAIT_FOR(&d, count_lines(f->input) == 1, "the collector's port");
	port = slurp(f->input);
	snprintf(extra, sizeof(extra),
		 "state_file: %s\n"
		 "source: { type: file, file: { path: %s, start: head } }\n"
		 "output: { type: syslog-tcp, allow_plaintext: true, backoff_min_ms: 20,\n"
		 "          backoff_max_ms: 50, collectors: [{ host: 127.0.0.1, port: %d }] }\n"
		 "limits: { drain_timeout_ms: %d }\n"
		 "stats: { interval_s: 0 }\n",
		 f->state, f->log, atoi(port), comes_up ? 10000 : 300);
	free(port);
	write_config(f, f->rules_a, extra);
	r = run_daemon(f, NULL);
out:
	atomic_store(&d.daemon_done, true);
	pthread_join(t, NULL);
	if (d.failed[0])
		fail_msg("%s", d.failed);
	assert_int_equal(r, 0);
	assert_int_equal(stat(f->log, &st), 0);
	if (comes_up) {
		/* drained: both delivered, the position after them */
		assert_int_equal(d.frames, 2);
		assert_false(file_has(f->err, "not delivered"));
		assert_int_equal(state_read(f->state, &pos, &errs), 0);
		assert_int_equal(pos.offset, st.st_size);
	} else {
		/* given up: nothing delivered, so no position to save */
		assert_int_equal(d.frames, 0);
		assert_true(file_has(f->err, "stopping with 2 events not delivered"));
		assert_int_equal(state_read(f->state, &pos, &errs), -ENOENT);
	}
}

static void test_term_drains(void **state)
{
	drain_case(*state, true);
}

static void test_term_drain_timeout(void **state)
{
	drain_case(*state, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_stdin_until_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_term_drains, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_term_drain_timeout, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
