/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "config_stages.h"
#include "envelope.h"
#include "event.h"
#include "expect_text.h"
#include "normalize.h"
#include "pipeline.h"
#include "rules.h"
#include "sink.h"
#include "source.h"
#include "source_journal.h"
#include "tools.h"

#define SHAPES_MAX 4096 /* distinct unmatched shapes remembered by --stats */

struct tool_env {
	struct config cfg;
	struct pipeline_options pl; /* the stages' options, from cfg as the tool left it */
	struct source_options src;
	struct sink_options snk;
	struct counters cnt;
	char keydir[64]; /* a run-only pseudonym key lives here, removed at the end */
};

static int set_str(char **slot, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

/*
 * A rule file not installed is taken from beside the binary
 * (build/ikelogd -> conf/rules/NAME), so the tools work in a checkout.
 */
static void beside_binary(const char *dir, char **slot, const char *what)
{
	char path[2 * PATH_MAX];
	const char *base;

	if (!*slot || access(*slot, F_OK) == 0)
		return;
	base = strrchr(*slot, '/');
	snprintf(path, sizeof(path), "%s/../conf/rules/%s", dir, base ? base + 1 : *slot);
	if (access(path, R_OK) == 0 && set_str(slot, path) == 0)
		fprintf(stderr, "ikelogd: %s not installed; using %s\n", what, path);
}

static void rules_beside_binary(struct config *cfg)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	for (size_t i = 0; i < cfg->rules.n; i++)
		beside_binary(exe, &cfg->rules.v[i], "rules");
}

static void env_done(struct tool_env *env)
{
	if (env->keydir[0]) {
		char path[128];

		snprintf(path, sizeof(path), "%s/pseudonym.key", env->keydir);
		unlink(path);
		rmdir(env->keydir);
	}
	config_done(&env->cfg);
}

static int env_init(struct tool_env *env, const char *config, bool want_stdout)
{
	struct diags errs = {0};
	char buf[DIAG_MSG_MAX + 300];
	int r = 0;

	memset(env, 0, sizeof(*env));
	config_defaults(&env->cfg);
	if (config)
		r = config_load(config, &env->cfg, &errs);
	rules_beside_binary(&env->cfg);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", diag_format(&errs.v[i], buf, sizeof(buf)));
	if (r < 0)
		return r;
	/* A tool must not create the daemon's key: without one, pseudonyms hold for this run. */
	if (!env->cfg.redact.key_file || access(env->cfg.redact.key_file, F_OK) < 0) {
		snprintf(env->keydir, sizeof(env->keydir), "/tmp/ikelogd-key.XXXXXX");
		if (!mkdtemp(env->keydir)) {
			env->keydir[0] = '\0';
			return -errno;
		}
		snprintf(buf, sizeof(buf), "%s/pseudonym.key", env->keydir);
		r = set_str(&env->cfg.redact.key_file, buf);
		if (r < 0)
			return r;
		env->cfg.redact.generate_key = true;
	}
	if (want_stdout)
		env->cfg.output.type = OUTPUT_STDOUT;
	return 0;
}

/* The pipeline's options from env's configuration as the tool has set it. */
static const struct pipeline_options *env_pipeline(struct tool_env *env)
{
	config_pipeline_options(&env->cfg, &env->pl);
	return &env->pl;
}

static const struct source_options *env_sources(struct tool_env *env)
{
	config_source_options(&env->cfg, &env->src);
	return &env->src;
}

static const struct sink_options *env_sinks(struct tool_env *env)
{
	config_sink_options(&env->cfg, &env->snk);
	return &env->snk;
}

static void print_diags(const struct diags *errs)
{
	char buf[DIAG_MSG_MAX + 300];

	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", diag_format(&errs->v[i], buf, sizeof(buf)));
	if (errs->n_dropped)
		fprintf(stderr, "... and %zu more errors\n", errs->n_dropped);
}

int tools_check(const char *config)
{
	struct tool_env env;
	struct diags errs = {0};
	struct pipeline *pl = NULL;
	int r;

	r = env_init(&env, config, false);
	if (r == 0)
		r = pipeline_new(env_pipeline(&env), &env.cnt, &pl, &errs);
	if (r == 0) {
		struct rlimit nofile = {.rlim_cur = RLIM_INFINITY};

		/* Valid, but weaker than it could be: said, not refused. */
		(void)getrlimit(RLIMIT_NOFILE, &nofile);
		config_warnings(&env.cfg,
				nofile.rlim_cur == RLIM_INFINITY
				    ? ULLONG_MAX
				    : (unsigned long long)nofile.rlim_cur,
				&errs);
	}
	if (r == 0 && env.cfg.sign.enabled)
		r = tools_check_sign(env.cfg.sign.key_file, &errs);
	print_diags(&errs);
	if (r == 0)
		printf("%s: ok (%zu rules)\n", config, rules_count(pipeline_rules(pl)));
	pipeline_free(pl);
	env_done(&env);
	return r < 0 ? 1 : 0;
}

/* test-rules: each example's expected fields against the event the pipeline made. */
struct example_check {
	const struct rule_example *ex;
	bool seen;
	bool ok;
	char why[512];
};

static bool field_equals(const struct event *ev, int f, const char *want, char *got, size_t size)
{
	const char *s;

	if (!event_has(ev, f)) {
		snprintf(got, size, "(absent)");
		return want == NULL; /* expect: { field: null } is "left out" */
	}
	if (!want) {
		snprintf(got, size, "%s", event_str(ev, f, NULL));
		return false;
	}
	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
	case FT_BOOL: {
		int64_t n = event_int(ev, f, 0);
		char *end;
		long long w = strtoll(want, &end, 0);

		snprintf(got, size, "%" PRId64, n);
		if (*end == '\0' && end != want)
			return w == n;
		if (field_table[f].type == FT_BOOL)
			return (strcmp(want, "true") == 0) == (n != 0);
		return false;
	}
	case FT_ALG:
	case FT_SPI: /* stored upper- or lower-cased: the example may spell it as pluto did */
		s = event_str(ev, f, NULL);
		snprintf(got, size, "%s", s ? s : "(absent)");
		return s && strcasecmp(s, want) == 0;
	default:
		s = event_str(ev, f, NULL);
		snprintf(got, size, "%s", s ? s : "(absent)");
		return s && strcmp(s, want) == 0;
	}
}

static void check_example(const struct record *rec, const struct event *ev, void *ud)
{
	struct example_check *c = ud;
	char got[256];

	c->seen = true;
	c->ok = true;
	for (size_t i = 0; i < c->ex->n_expect; i++) {
		int f = field_lookup(c->ex->expect_keys[i], strlen(c->ex->expect_keys[i]));

		if (f < 0) {
			snprintf(c->why, sizeof(c->why), "unknown field '%s'",
				 c->ex->expect_keys[i]);
			c->ok = false;
			return;
		}
		if (!field_equals(ev, f, c->ex->expect_values[i], got, sizeof(got))) {
			snprintf(c->why, sizeof(c->why), "%s: expected '%s', got '%s'",
				 c->ex->expect_keys[i], c->ex->expect_values[i], got);
			c->ok = false;
			return;
		}
	}
}

/*
 * An example states what its line says: every expected value copied from
 * the line must occur in it (expect_text.h; the derived spellings are
 * listed in expect_text.c), so that an example cannot be filled in from
 * what the rule happens to produce.
 */
static bool example_words(const struct rule_example *ex, char *why, size_t size)
{
	for (size_t i = 0; i < ex->n_expect; i++) {
		const char *k = ex->expect_keys[i], *v = ex->expect_values[i];

		if (!v)
			continue; /* expected absent */
		if (expect_text_gives(k, v, ex->line) < 0) {
			snprintf(why, size, "%s: '%s' does not occur in the line", k, v);
			return false;
		}
	}
	return true;
}

/* How many examples name each Libreswan version, in the order first seen: what the table covers. */
static void print_versions(const struct rules *rules)
{
	char seen[64][8];
	size_t counts[64] = {0}, n_seen = 0, untagged = 0;

	for (size_t i = 0; i < rules_example_count(rules); i++) {
		const char *v = rules_example(rules, i)->versions;

		if (!v) {
			untagged++;
			continue;
		}
		while (*v) {
			size_t l = strcspn(v, ","), k;

			for (k = 0;
			     k < n_seen && !(strlen(seen[k]) == l && strncmp(seen[k], v, l) == 0);
			     k++)
				;
			if (k == n_seen && n_seen < 64 && l < sizeof(seen[0]))
				snprintf(seen[n_seen++], sizeof(seen[0]), "%.*s", (int)l, v);
			if (k < n_seen)
				counts[k]++;
			v += l + (v[l] == ',');
		}
	}
	printf("test-rules: examples by version:");
	for (size_t k = 0; k < n_seen; k++)
		printf(" %s=%zu", seen[k], counts[k]);
	printf(" (untagged %zu)\n", untagged);
}

int tools_test_rules(const char *config, const char *const *files, size_t n)
{
	struct tool_env env;
	struct diags errs = {0};
	struct pipeline *pl = NULL;
	struct rules *rules;
	size_t passed = 0, failed = 0;
	int r;

	r = env_init(&env, config, true);
	if (r < 0)
		goto out;
	if (n) {
		for (size_t i = 0; i < env.cfg.rules.n; i++)
			free(env.cfg.rules.v[i]);
		env.cfg.rules.n = 0;
		for (size_t i = 0; i < n && i < CONFIG_LIST_MAX; i++)
			env.cfg.rules.v[env.cfg.rules.n++] = strdup(files[i]);
	}
	/*
	 * The examples are checked before redaction, as the rule writer sees the
	 * line; each stands alone, so no example gets the facts or the outcome
	 * claim of another that happens to name the same state.
	 */
	env.cfg.correlate.carry = false;
	env.cfg.correlate.merge = false;
	env.cfg.detect.enabled = false;
	r = pipeline_new(env_pipeline(&env), &env.cnt, &pl, &errs);
	print_diags(&errs);
	if (r < 0)
		goto out;
	rules = pipeline_rules(pl);
	for (size_t i = 0; i < rules_example_count(rules); i++) {
		const struct rule_example *ex = rules_example(rules, i);
		struct example_check c = {.ex = ex};
		struct envelope en;
		struct record rec = {.priority = -1, .event_id = "0000000000000000"};
		size_t len = strlen(ex->line);

		/* As a source does: the log prefix off here, pluto's prefix in the normalizer. */
		envelope_log_prefix(ex->line, len, 0, false, &en);
		rec.msg = ex->line + en.msg_off;
		rec.len = len - en.msg_off;
		rec.realtime_usec = en.realtime_usec;
		rec.pid = en.pid;
		pipeline_set_observer(pl, check_example, &c);
		pipeline_submit(pl, &rec);
		if (!c.seen)
			snprintf(c.why, sizeof(c.why), "the line made no event");
		if (c.seen && c.ok && !example_words(ex, c.why, sizeof(c.why)))
			c.ok = false;
		if (c.seen && c.ok) {
			passed++;
			continue;
		}
		failed++;
		fprintf(stderr, "%s:%u:%u: rule %s: example: %s\n", ex->file, ex->line_no, ex->col,
			ex->rule_id, c.why);
		break;
	}
	print_versions(rules);
	printf("test-rules: %zu passed, %zu failed\n", passed, failed);
	r = failed ? -EINVAL : 0;
out:
	pipeline_free(pl);
	env_done(&env);
	return r < 0 ? 1 : 0;
}

/* normalize --stats: how often each unmatched shape occurred. */
struct shape {
	char *text;
	uint64_t count;
};

struct shapes {
	struct shape v[SHAPES_MAX];
	size_t n;
	uint64_t not_kept;
};

/* Digits, hex and addresses collapse, so that lines of one shape count together. */
static void collapse(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < size;) {
		if (s[i] == '0' && i + 1 < len && s[i + 1] == 'x') {
			i += 2;
			while (i < len && strchr("0123456789abcdefABCDEF", s[i]))
				i++;
			memcpy(out + o, "0xH", 3);
			o += 3;
		} else if (s[i] >= '0' && s[i] <= '9') {
			while (i < len &&
			       ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == ':'))
				i++;
			out[o++] = 'N';
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
}

static void count_shape(const struct record *rec, const struct event *ev, void *ud)
{
	struct shapes *sh = ud;
	const char *type = event_str(ev, F_EVENT_TYPE, NULL);
	char buf[512];

	if (!type || strcmp(type, "unparsed") != 0)
		return;
	collapse(rec->msg, rec->len < 400 ? rec->len : 400, buf, sizeof(buf));
	for (size_t i = 0; i < sh->n; i++) {
		if (strcmp(sh->v[i].text, buf) == 0) {
			sh->v[i].count++;
			return;
		}
	}
	if (sh->n == SHAPES_MAX || !(sh->v[sh->n].text = strdup(buf))) {
		sh->not_kept++;
		return;
	}
	sh->v[sh->n++].count = 1;
}

static int by_count(const void *a, const void *b)
{
	const struct shape *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

struct rule_hits {
	const char *id;
	uint64_t hits;
};

static int by_hits(const void *a, const void *b)
{
	const struct rule_hits *x = a, *y = b;

	return x->hits < y->hits ? 1 : x->hits > y->hits ? -1 : strcmp(x->id, y->id);
}

static void print_stats(struct pipeline *pl, const struct counters *cnt, struct shapes *sh)
{
	struct rules *rules = pipeline_rules(pl);
	size_t n = rules_count(rules);
	struct rule_hits *h = calloc(n ? n : 1, sizeof(*h));

	fprintf(stderr,
		"lines %" PRIu64 ", matched %" PRIu64 ", unparsed %" PRIu64
		", debug dropped %" PRIu64 ", truncated %" PRIu64 ", regex limit hits %" PRIu64
		"\n",
		cnt->lines_read, cnt->matched, cnt->unparsed, cnt->debug_dropped,
		cnt->lines_truncated, cnt->regex_limit_hits);
	if (rules_jit_fallbacks(rules))
		fprintf(stderr,
			"%zu of %zu patterns run without PCRE2's JIT (not available here)\n",
			rules_jit_fallbacks(rules), n);
	if (h) {
		for (size_t i = 0; i < n; i++)
			h[i] = (struct rule_hits){rules_id(rules, i), rules_hits(rules, i)};
		qsort(h, n, sizeof(*h), by_hits);
		fprintf(stderr, "matches per rule:\n");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%10" PRIu64 "  %s\n", h[i].hits, h[i].id);
		free(h);
	}
	qsort(sh->v, sh->n, sizeof(sh->v[0]), by_count);
	fprintf(stderr, "most frequent unmatched shapes:\n");
	for (size_t i = 0; i < sh->n && i < 40; i++)
		fprintf(stderr, "%10" PRIu64 "  %s\n", sh->v[i].count, sh->v[i].text);
	if (sh->not_kept)
		fprintf(stderr, "(%" PRIu64 " unmatched lines of further shapes not counted)\n",
			sh->not_kept);
	for (size_t i = 0; i < sh->n; i++)
		free(sh->v[i].text);
}

int tools_normalize(const char *config, const char *const *files, size_t n,
		    const struct tools_normalize_opts *o)
{
	static struct shapes shapes;
	struct tool_env env;
	struct diags errs = {0};
	struct pipeline *pl = NULL;
	struct sink snk = {.ops = &sink_stdout_ops};
	int r;

	r = env_init(&env, config, true);
	if (r < 0)
		goto out;
	if (o->profile) {
		r = output_profile_lookup(o->profile);
		if (r < 0) {
			fprintf(stderr, "ikelogd: --profile %s: not one of ikelogd, ocsf, ecs\n",
				o->profile);
			goto out;
		}
		env.cfg.output.profile.profile = r;
	}
	/* Without --detect, one object per input line: no alerts among them. */
	env.cfg.detect.enabled = o->detect;
	r = pipeline_new(env_pipeline(&env), &env.cnt, &pl, &errs);
	if (r == 0)
		r = snk.ops->open(env_sinks(&env), NULL, pl, &env.cnt, &snk.state, &errs);
	print_diags(&errs);
	if (r < 0)
		goto out;
	pipeline_attach(pl, NULL, &snk);
	r = pipeline_set_summary(pl, o->summary);
	/* Held by the lines' timestamps only, so that a replay gives the same events every time. */
	if (r == 0)
		r = pipeline_set_hold(pl, env.cfg.correlate.hold_ms, false);
	if (r < 0)
		goto out;
	rules_set_prefilter(pipeline_rules(pl), !o->no_prefilter);
	if (o->stats)
		pipeline_set_observer(pl, count_shape, &shapes);
	if (o->status_file) { /* status snapshots */
		r = tools_normalize_status(pl, o->status_file);
	} else if (o->journal_file) {
		r = source_journal_read_file(o->journal_file, &env_sources(&env)->journal, pl,
					     &env.cnt, &errs);
		print_diags(&errs);
	} else if (n == 0) {
		r = source_stream_read_fd(STDIN_FILENO, "-", &env_sources(&env)->stream, pl,
					  &env.cnt);
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		int fd = strcmp(files[i], "-") == 0 ? STDIN_FILENO
						    : open(files[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			r = -errno;
			fprintf(stderr, "ikelogd: %s: %s\n", files[i], strerror(errno));
			break;
		}
		r = source_stream_read_fd(fd, files[i], &env_sources(&env)->stream, pl, &env.cnt);
		if (r < 0)
			fprintf(stderr, "ikelogd: %s: %s\n", files[i], strerror(-r));
		if (fd != STDIN_FILENO)
			close(fd);
	}
	if (pipeline_hold_release(pl, 0, true) < 0 && r >= 0)
		r = -EIO;
	if (r >= 0 && o->summary)
		r = pipeline_emit_summaries(pl);
	if (snk.state && snk.ops->flush(snk.state) < 0 && r >= 0)
		r = -EIO;
	if (o->stats)
		print_stats(pl, &env.cnt, &shapes);
out:
	if (snk.state)
		snk.ops->close(snk.state);
	pipeline_free(pl);
	env_done(&env);
	return r < 0 ? 1 : 0;
}

/* The policy's action for the field (the last entry wins, as in redact.c). */
static enum redact_action field_action(const struct config *cfg, const char *field)
{
	enum redact_action action = REDACT_KEEP;

	for (size_t i = 0; i < cfg->redact.n_fields; i++)
		if (cfg->redact.fields[i].field && strcmp(cfg->redact.fields[i].field, field) == 0)
			action = cfg->redact.fields[i].action;
	return action;
}

int tools_pseudonym(const char *config, const char *field, const char *const *values, size_t n)
{
	struct config cfg;
	struct diags errs = {0};
	char buf[DIAG_MSG_MAX + 300];
	int r, rc;

	rc = tools_pseudonym_usage(field, n);
	if (rc)
		return rc;
	config_defaults(&cfg);
	r = config_load(config, &cfg, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", diag_format(&errs.v[i], buf, sizeof(buf)));
	rc = 1;
	if (r == 0) {
		const struct tools_pseudonym_options o = {
		    .config = config,
		    .hashed = field_action(&cfg, field) == REDACT_HASH,
		    .key_generation = cfg.redact.key_generation,
		    .key = {.config_path = cfg.path,
			    .key_file = cfg.redact.key_file,
			    .generate_key = cfg.redact.generate_key},
		};

		rc = tools_pseudonym_run(&o, field, values, n);
	}
	config_done(&cfg);
	return rc;
}
