/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog listener's header parser (syslog_parse, the envelope's log
 * prefix in strict mode) against the peers' own test vectors:
 * fixtures/syslog-vectors/vectors.tsv (see the README there for where each
 * comes from). A "parse" vector must give what the peer's test expects; a
 * "reject: REASON" vector must be refused; "option: ..." vectors test a
 * peer option we do not have, and "differ: WHY" vectors a choice where
 * we part from a peer (or the peers from each other): both are counted
 * and printed, not asserted. Run from the
 * repository root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "syslog_parse.h"

#define VECTORS	  "fixtures/syslog-vectors/vectors.tsv"
#define LINE_MAX_ 8192
#define COLS	  11

enum col { C_SRC, C_TZ, C_NOW, C_INPUT, C_VERDICT, C_PRI, C_HOST, C_APP, C_PID, C_TIME, C_BODY };

/* The TSV's escapes: "\\" and "\xNN". Returns the decoded length. */
static size_t unescape(const char *s, char *out)
{
	size_t o = 0;

	while (*s) {
		if (s[0] == '\\' && s[1] == '\\') {
			out[o++] = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = {s[2], s[3], 0};

			out[o++] = (char)strtoul(hex, NULL, 16);
			s += 4;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return o;
}

static bool same(const char *want, const char *got, size_t len)
{
	char buf[LINE_MAX_];
	size_t wl = unescape(want, buf);

	return wl == len && (len == 0 || memcmp(buf, got, len) == 0);
}

/* "local:Mmm dd hh:mm:ss" (rsyslog's %timestamp%): the wall-clock fields in TZ. */
static bool same_local(const char *want, int64_t usec)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	int d, h, mi, s;
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (sscanf(want, "%3s %d %d:%d:%d", mon, &d, &h, &mi, &s) != 5 || !localtime_r(&t, &tm))
		return false;
	return memcmp(months + 3 * tm.tm_mon, mon, 3) == 0 && tm.tm_mday == d && tm.tm_hour == h &&
	       tm.tm_min == mi && tm.tm_sec == s;
}

/* NULL when the vector agrees, else what differs. */
static const char *check(char **c, char *why, size_t whylen)
{
	char input[LINE_MAX_];
	size_t len = unescape(c[C_INPUT], input);
	struct syslog_msg m;
	int r;

	setenv("TZ", c[C_TZ], 1);
	tzset();
	r = syslog_parse(input, len, strtoll(c[C_NOW], NULL, 10) * 1000000, &m);
	if (strncmp(c[C_VERDICT], "reject: ", 8) == 0)
		return r == -EBADMSG ? NULL : "accepted, expected rejected";
	if (r < 0)
		return "rejected";
	if (strcmp(c[C_PRI], "-") != 0 && atoi(c[C_PRI]) != m.pri)
		snprintf(why, whylen, "pri %d", m.pri);
	else if (strcmp(c[C_HOST], "-") != 0 && !same(c[C_HOST], m.host, m.host ? m.host_len : 0))
		snprintf(why, whylen, "host '%.*s'", m.host ? (int)m.host_len : 0,
			 m.host ? m.host : "");
	else if (strcmp(c[C_APP], "-") != 0 && !same(c[C_APP], m.app, m.app ? m.app_len : 0))
		snprintf(why, whylen, "app '%.*s'", m.app ? (int)m.app_len : 0, m.app ? m.app : "");
	else if (strcmp(c[C_PID], "-") != 0 && atoi(c[C_PID]) != m.pid)
		snprintf(why, whylen, "pid %d", m.pid);
	else if (strcmp(c[C_TIME], "none") == 0 && m.realtime_usec != 0)
		snprintf(why, whylen, "a time where there is none");
	else if (strncmp(c[C_TIME], "epoch:", 6) == 0 &&
		 (int64_t)(strtod(c[C_TIME] + 6, NULL) * 1000000 + 0.5) != m.realtime_usec)
		snprintf(why, whylen, "time %lld", (long long)m.realtime_usec);
	else if (strncmp(c[C_TIME], "local:", 6) == 0 &&
		 !same_local(c[C_TIME] + 6, m.realtime_usec))
		snprintf(why, whylen, "time %lld", (long long)m.realtime_usec);
	else if (strcmp(c[C_BODY], "-") != 0 && !same(c[C_BODY], m.body, m.body_len))
		snprintf(why, whylen, "body '%.*s'", (int)m.body_len, m.body);
	else
		return NULL;
	return why;
}

static void test_vectors(void **state)
{
	FILE *f = fopen(VECTORS, "r");
	char line[LINE_MAX_], why[LINE_MAX_ + 64];
	unsigned agree = 0, differ = 0, option = 0, rejected = 0, known = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *c[COLS], *p = line;
		size_t n = 0;

		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (; n < COLS && p; n++) {
			c[n] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		assert_int_equal(n, COLS);
		if (strncmp(c[C_VERDICT], "option: ", 8) == 0) {
			option++;
			continue;
		}
		const char *bad = check(c, why, sizeof(why));

		if (strncmp(c[C_VERDICT], "differ: ", 8) == 0) {
			print_message("%s: %s: %s (%s)\n", c[C_SRC], c[C_INPUT],
				      bad ? bad : "agrees now", c[C_VERDICT]);
			known++;
		} else if (bad) {
			print_message("%s: %s: %s\n", c[C_SRC], c[C_INPUT], bad);
			differ++;
		} else {
			agree++;
			rejected += strncmp(c[C_VERDICT], "reject: ", 8) == 0;
		}
	}
	fclose(f);
	print_message("syslog vectors: %u agree (%u of them rejected for their stated reason), "
		      "%u differ by a choice stated in the vector, %u differ unexpectedly, "
		      "%u test a peer option we do not have\n",
		      agree, rejected, known, differ, option);
	assert_true(agree > 50);
	assert_int_equal(differ, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
