/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "syslog_parse.h"

/* Epochs below were worked out with date -u -d, independently of the code. */
#define NOV24_2026 1795478400LL /* 2026-11-24T00:00:00Z */
#define USEC	   1000000LL

static int setup_utc(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void test_listen_parse(void **state)
{
	struct syslog_listen l;

	assert_int_equal(syslog_listen_parse("tls://0.0.0.0:6514", &l), 0);
	assert_int_equal(l.transport, SYSLOG_TLS);
	assert_string_equal(l.host, "0.0.0.0");
	assert_string_equal(l.port, "6514");

	assert_int_equal(syslog_listen_parse("tcp://[::1]:514", &l), 0);
	assert_int_equal(l.transport, SYSLOG_TCP);
	assert_string_equal(l.host, "::1");
	assert_string_equal(l.port, "514");

	assert_int_equal(syslog_listen_parse("udp://*:5514", &l), 0);
	assert_int_equal(l.transport, SYSLOG_UDP);
	assert_string_equal(l.host, "");

	assert_int_equal(syslog_listen_parse("udp://:5514", &l), 0);
	assert_string_equal(l.host, "");
	assert_string_equal(syslog_transport_name(SYSLOG_UDP), "udp");

	/* Each of these must be refused, and l left as it was. */
	static const char *const bad[] = {
	    "http://1.2.3.4:1", "tcp://1.2.3.4",
	    "tcp://1.2.3.4:0",	"tcp://1.2.3.4:65536",
	    "tcp://::1:514",	"tcp://[::1]514",
	    "tcp://1.2.3.4:5x", "tls:/1.2.3.4:5",
	    "tcp://1.2.3.4:-1", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(syslog_listen_parse(bad[i], &l), -EINVAL);
	assert_string_equal(l.host, "");
	assert_int_equal(syslog_listen_parse(NULL, &l), -EINVAL);
}

/* Runs the framer over buf the way the listener does; collects messages joined by '|'. */
struct run {
	char out[512];
	int msgs, dropped, fatal;
	size_t left;
};

static void frame_all(struct syslog_framer *f, const char *buf, size_t len, bool eof, struct run *r)
{
	struct syslog_frame fr;
	size_t pos = 0;

	for (;;) {
		syslog_framer_next(f, buf + pos, len - pos, eof, &fr);
		assert_true(fr.consumed <= len - pos);
		if (fr.kind == SYSLOG_FRAME_FATAL) {
			r->fatal++;
			break;
		}
		if (fr.kind == SYSLOG_FRAME_MSG) {
			if (r->msgs++)
				strcat(r->out, "|");
			strncat(r->out, buf + pos + fr.off, fr.len);
		} else if (fr.kind == SYSLOG_FRAME_DROPPED) {
			r->dropped++;
		}
		pos += fr.consumed;
		if (fr.kind == SYSLOG_FRAME_MORE && fr.consumed == 0)
			break;
	}
	r->left = len - pos;
}

static void test_framer_mixed(void **state)
{
	struct syslog_framer f;
	struct run r = {0};
	/* Octet-counted and newline-framed frames, CRLF, empty lines, a frame with LF inside. */
	static const char in[] = "<13>a\n5 <13>b11 <13>c\nd\r\n\r\n\n<13>e\n0 <13>f";

	syslog_framer_init(&f, 64);
	assert_int_equal(f.max_frame, 64);
	assert_int_equal(syslog_framer_buffer_size(&f), 10 + 1 + 64 + 1);
	frame_all(&f, in, sizeof(in) - 1, false, &r);
	assert_string_equal(r.out, "<13>a|<13>b|<13>c\nd|<13>e");
	assert_int_equal(r.dropped, 0);
	assert_int_equal(r.left, 5); /* "<13>f": no LF yet */

	/* At EOF a last line without LF was cut short: dropped, not a message. */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "<13>f", 5, true, &r);
	assert_int_equal(r.msgs, 0);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(r.left, 0);
	/* ... but a whole line before it is a message, and CR or NUL after its LF is nothing */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "<13>g\n\r\0", 8, true, &r);
	assert_string_equal(r.out, "<13>g");
	assert_int_equal(r.dropped, 0);
	assert_int_equal(r.left, 0);

	/* A partial prefix and a partial octet frame wait for more. */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "12", 2, false, &r);
	assert_int_equal(r.msgs, 0);
	assert_int_equal(r.left, 2);
	memset(&r, 0, sizeof(r));
	frame_all(&f, "12 <13>abc", 10, false, &r);
	assert_int_equal(r.msgs, 0);
	assert_int_equal(r.left, 10);

	/* Digits not followed by a space are a line, not a length. */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "123abc\n", 7, false, &r);
	assert_string_equal(r.out, "123abc");
}

static void test_framer_oversize_line(void **state)
{
	struct syslog_framer f;
	struct run r = {0};
	char big[200];

	syslog_framer_init(&f, 16);
	/* Whole in one buffer: the long line is dropped, the next one kept. */
	frame_all(&f, "<13>this line is far too long\n<13>ok\n", 37, false, &r);
	assert_string_equal(r.out, "<13>ok");
	assert_int_equal(r.dropped, 1);

	/* Across reads: 17 bytes without LF is past the limit; the rest is skipped as it comes. */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "aaaaaaaaaaaaaaaaa", 17, false, &r);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(r.left, 0);
	assert_true(f.skip_line);
	memset(big, 'b', sizeof(big));
	memset(&r, 0, sizeof(r));
	frame_all(&f, big, sizeof(big), false, &r);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(r.left, 0);
	memset(&r, 0, sizeof(r));
	frame_all(&f, "bbb\n<13>next\n", 13, false, &r);
	assert_false(f.skip_line);
	assert_string_equal(r.out, "<13>next");
	assert_int_equal(r.dropped, 0);

	/* Exactly max_frame bytes is accepted. */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "0123456789abcdef\n", 17, false, &r);
	assert_string_equal(r.out, "0123456789abcdef"); /* digits then 'a': a line */
	assert_int_equal(r.dropped, 0);
	memset(&r, 0, sizeof(r));
	frame_all(&f, "x123456789abcdef\n", 17, false, &r);
	assert_string_equal(r.out, "x123456789abcdef");
}

static void test_framer_oversize_octet(void **state)
{
	struct syslog_framer f;
	struct run r = {0};

	syslog_framer_init(&f, 16);
	/* 20 > 16: dropped whole, counted once, even though it arrives in pieces. */
	frame_all(&f, "20 0123456789", 13, false, &r);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(f.skip_left, 10);
	memset(&r, 0, sizeof(r));
	frame_all(&f, "01234567", 8, false, &r);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(f.skip_left, 2);
	memset(&r, 0, sizeof(r));
	frame_all(&f,
		  "89"
		  "6 <13>ok",
		  10, false, &r);
	assert_int_equal(f.skip_left, 0);
	assert_string_equal(r.out, "<13>ok");
	assert_int_equal(r.dropped, 0);

	/* Exactly max_frame bytes is a message, one more is dropped. */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "16 <13>0123456789ab17 <13>0123456789abc", 39, false, &r);
	assert_string_equal(r.out, "<13>0123456789ab");
	assert_int_equal(r.msgs, 1);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(f.skip_left, 0);
}

static void test_framer_hostile(void **state)
{
	struct syslog_framer f;
	struct run r = {0};

	syslog_framer_init(&f, 0);
	assert_int_equal(f.max_frame, 65536);
	/* A length that lies: more promised than sent, then EOF. */
	frame_all(&f, "100 <13>short", 13, true, &r);
	assert_int_equal(r.msgs, 0);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(r.left, 0);

	/* Absurd lengths: past 1 GiB, or more digits than any length has. */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "5000000000 x", 12, false, &r);
	assert_int_equal(r.fatal, 1);
	memset(&r, 0, sizeof(r));
	frame_all(&f, "99999999999", 11, false, &r);
	assert_int_equal(r.fatal, 1);
	/* 1 GiB exactly is still a (dropped, skipped) frame. */
	memset(&r, 0, sizeof(r));
	frame_all(&f, "1073741824 x", 12, false, &r);
	assert_int_equal(r.fatal, 0);
	assert_int_equal(r.dropped, 1);
	assert_int_equal(f.skip_left, 1073741824 - 1);

	/* Only digits, then EOF. */
	syslog_framer_init(&f, 0);
	memset(&r, 0, sizeof(r));
	frame_all(&f, "123", 3, true, &r);
	assert_int_equal(r.dropped, 1);

	/* NUL bytes inside a line stay in the message; trailing ones are framing. */
	memset(&r, 0, sizeof(r));
	struct syslog_frame fr;
	syslog_framer_next(&f, "a\0b\0\n", 5, false, &fr);
	assert_int_equal(fr.kind, SYSLOG_FRAME_MSG);
	assert_int_equal(fr.len, 3);
	assert_int_equal(fr.consumed, 5);
}

static void test_parse_5424(void **state)
{
	struct syslog_msg m;
	/* rsyslog's RSYSLOG_SyslogProtocol23Format. */
	static const char a[] = "<86>1 2026-11-23T20:25:58.047269+01:00 gw-east pluto 1234 - - "
				"\"west\" #1: initiating IKEv2 connection\n";

	assert_int_equal(syslog_parse(a, sizeof(a) - 2, NOV24_2026 * USEC, &m), 0);
	assert_int_equal(m.format, SYSLOG_FORMAT_5424);
	assert_int_equal(m.pri, 86);
	assert_int_equal(m.realtime_usec, 1795461958LL * USEC + 47269);
	assert_int_equal(m.host_len, 7);
	assert_memory_equal(m.host, "gw-east", 7);
	assert_int_equal(m.app_len, 5);
	assert_memory_equal(m.app, "pluto", 5);
	assert_int_equal(m.pid, 1234);
	assert_int_equal(m.body_len, strlen("\"west\" #1: initiating IKEv2 connection"));
	assert_memory_equal(m.body, "\"west\" #1: ", 11);

	/* Structured data with escapes, a BOM, a non-numeric PROCID, Z time, no fraction. */
	static const char b[] = "<13>1 2026-11-23T20:25:58Z h a x-1 ID47 "
				"[ex@1 k=\"v\\]\\\" \\]\"][b@2] \xEF\xBB\xBFmsg";
	assert_int_equal(syslog_parse(b, sizeof(b) - 1, 0, &m), 0);
	assert_int_equal(m.realtime_usec, 1795465558LL * USEC);
	assert_int_equal(m.pid, 0);
	assert_int_equal(m.body_len, 3);
	assert_memory_equal(m.body, "msg", 3);

	/* All NILVALUEs and no MSG. */
	assert_int_equal(syslog_parse("<0>1 - - - - - -", 16, 0, &m), 0);
	assert_int_equal(m.pri, 0);
	assert_int_equal(m.realtime_usec, 0);
	assert_null(m.host);
	assert_null(m.app);
	assert_int_equal(m.body_len, 0);
}

static void test_parse_3164(void **state)
{
	struct syslog_msg m;
	/* RSYSLOG_ForwardFormat: RFC 3339 time, TAG[PID]: */
	static const char a[] =
	    "<30>2026-11-23T20:25:58.047269+00:00 gw-west pluto[4321]: \"west\" #2: x";
	/* RSYSLOG_TraditionalForwardFormat: BSD time, day space-padded. */
	static const char b[] = "<30>Nov  3 20:25:58 gw-west pluto: body";
	static const char c[] = "<30>Dec 31 23:59:59 gw imfile-tag msg";

	assert_int_equal(syslog_parse(a, sizeof(a) - 1, NOV24_2026 * USEC, &m), 0);
	assert_int_equal(m.format, SYSLOG_FORMAT_3164);
	assert_int_equal(m.pri, 30);
	assert_int_equal(m.realtime_usec, 1795465558LL * USEC + 47269);
	assert_memory_equal(m.host, "gw-west", 7);
	assert_int_equal(m.app_len, 5);
	assert_memory_equal(m.app, "pluto", 5);
	assert_int_equal(m.pid, 4321);
	assert_int_equal(m.body_len, 12);
	assert_memory_equal(m.body, "\"west\" #2: x", 12);

	assert_int_equal(syslog_parse(b, sizeof(b) - 1, NOV24_2026 * USEC, &m), 0);
	/* Nov 3 2026 20:25:58 UTC = Nov 23 minus 20 days. */
	assert_int_equal(m.realtime_usec, (1795465558LL - 20 * 86400) * USEC);
	assert_int_equal(m.pid, 0);
	assert_int_equal(m.app_len, 5);
	assert_int_equal(m.body_len, 4);
	assert_memory_equal(m.body, "body", 4);

	/* Dec 31, seen 30 s into the new year: last year's. */
	assert_int_equal(syslog_parse(c, sizeof(c) - 1, 1798761630LL * USEC, &m), 0);
	assert_int_equal(m.realtime_usec, 1798761599LL * USEC);
	assert_int_equal(m.app_len, 10);
	assert_memory_equal(m.body, "msg", 3);
	/* Jan 1 00:00:10, seen 10 s before midnight: next year's (not a day ahead). */
	assert_int_equal(
	    syslog_parse("<30>Jan  1 00:00:10 gw pluto: m", 31, 1798761590LL * USEC, &m), 0);
	assert_int_equal(m.realtime_usec, 1798761610LL * USEC);
}

static void test_parse_bad(void **state)
{
	struct syslog_msg m = {.pri = 99};
	static const char *const bad[] = {
	    "",
	    "13>1 - - - - - -",
	    "<192>1 - - - - - -",
	    "<1000>1 - - - - - -",
	    "<>1 - - - - - -",
	    "<13>1 2026-11-23T20:25:58 h a - - - m",	   /* no zone */
	    "<13>1 2026-02-30T20:25:58Z h a - - - m",	   /* no Feb 30 */
	    "<13>1 2026-11-23T20:25:58+24:00 h a - - - m", /* zone hour past 23 */
	    "<13>1 2026-11-23T20:25:58-01:60 h a - - - m", /* zone minute past 59 */
	    "<13>1 - h\xC3\xA9 a - - - m",		   /* non-ASCII host */
	    "<13>1 - h a - - [unterminated",
	    "<13>1 - h a - -",
	    "<13>1 - h a - - -x",
	    "<13>Foo 23 20:25:58 gw pluto: m",
	    "<13>Nov 23 25:25:58 gw pluto: m",
	    "<13>1 - h a - - [ex@1 k=\"]\"]", /* ']' in a value must be escaped */
	    "<13>1 - h a - - [ ex@1]",	      /* SD-ID right after '[' */
	    "<13>1 - h a - - [ex@1 k=v]",     /* PARAM-VALUE quoted */
	    "<13>Nov 23 20:25:58 gw pluto[12: m",
	    "<13>garbage",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(syslog_parse(bad[i], strlen(bad[i]), NOV24_2026 * USEC, &m),
				 -EBADMSG);
	assert_int_equal(m.pri, 99);

	/* A header with a HOSTNAME and nothing after it is a message with no MSG (rsyslog's too).
	 */
	assert_int_equal(syslog_parse("<13>Nov 23 20:25:58 gw", 22, NOV24_2026 * USEC, &m), 0);
	assert_int_equal(m.host_len, 2);
	assert_null(m.app);
	assert_int_equal(m.body_len, 0);

	int64_t us = 7;
	/* Ten fraction digits: six read, the rest ignored. */
	assert_int_equal(envelope_rfc3339("2026-11-23T20:25:58.1234567891Z", 31, true, &us), 31);
	assert_int_equal(us, 1795465558LL * USEC + 123456);
	assert_int_equal(envelope_rfc3339("2026-11-23T20:25:58.5-00:30", 27, true, &us), 27);
	assert_int_equal(us, (1795465558LL + 1800) * USEC + 500000);
}

static void test_sanitize(void **state)
{
	char out[64];
	size_t n, rep;

	n = syslog_sanitize_utf8("a\0b", 3, out, &rep);
	assert_int_equal(n, 5);
	assert_memory_equal(out,
			    "a\xEF\xBF\xBD"
			    "b",
			    5);
	assert_int_equal(rep, 1);

	n = syslog_sanitize_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\x91", 9, out, &rep);
	assert_int_equal(n, 9);
	assert_int_equal(rep, 0);
	assert_memory_equal(out, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\x91", 9);

	/* Overlong '/', a surrogate, past U+10FFFF, a stray continuation, a cut sequence. */
	n = syslog_sanitize_utf8("\xC0\xAF", 2, out, &rep);
	assert_int_equal(rep, 2);
	assert_int_equal(n, 6);
	syslog_sanitize_utf8("\xED\xA0\x80", 3, out, &rep);
	assert_int_equal(rep, 3);
	syslog_sanitize_utf8("\xF4\x90\x80\x80", 4, out, &rep);
	assert_int_equal(rep, 4);
	syslog_sanitize_utf8("x\x80y", 3, out, &rep);
	assert_int_equal(rep, 1);
	n = syslog_sanitize_utf8("ok\xE2\x82", 4, out, &rep);
	assert_int_equal(rep, 2);
	assert_int_equal(n, 2 + 6);
	assert_memory_equal(out, "ok\xEF\xBF\xBD\xEF\xBF\xBD", 8);
}

/* max_connections under a descriptor limit: 64 kept for the daemon's own files, at least 1. */
static void test_max_connections(void **state)
{
	assert_int_equal(syslog_max_connections(1000, 4096), 1000);
	assert_int_equal(syslog_max_connections(4032, 4096), 4032);
	assert_int_equal(syslog_max_connections(4033, 4096), 4032);
	assert_int_equal(syslog_max_connections(100000, 4096), 4032);
	assert_int_equal(syslog_max_connections(100000, 64), 1);
	assert_int_equal(syslog_max_connections(100000, 0), 1);
	assert_int_equal(syslog_max_connections(100000, ULLONG_MAX), 100000);
}

static void test_event_id(void **state)
{
	char id[SYSLOG_EVENT_ID_MAX];

	syslog_event_id(UINT64_C(0x0123456789abcdef), 1, 1, id);
	assert_string_equal(id, "0123456789abcdef-1-1");
	syslog_event_id(7, 42, 1000, id);
	assert_string_equal(id, "0000000000000007-42-1000");
	/* the longest fits */
	syslog_event_id(UINT64_MAX, UINT64_MAX, UINT64_MAX, id);
	assert_string_equal(id, "ffffffffffffffff-18446744073709551615-18446744073709551615");
}

static void test_to_record(void **state)
{
	char scratch[3 * 256];
	struct syslog_to_record x = {.app_name = "pluto",
				     .instance = 0xaa,
				     .max_line = 200,
				     .scratch = scratch,
				     .scratch_size = sizeof(scratch)};
	struct syslog_origin origin = {.serial = 3};
	struct record rec = {.pid = 99};
	/* rsyslog's RFC 5424 template over a message pluto sent to /dev/log: a space in front. */
	static const char a[] =
	    "<86>1 2026-11-23T20:25:58.047269Z gw-east pluto 1234 - -  \"west\" #1: x";
	/* imfile on pluto's logfile: pluto's own time inside MSG, whole seconds in the header. */
	static const char b[] =
	    "<134>Nov 23 20:26:00 gw-west pluto: Nov 23 20:25:58.000123: \"w\" #2: y";

	assert_int_equal(
	    syslog_to_record(&x, a, sizeof(a) - 1, "192.0.2.1", NOV24_2026 * USEC, &origin, &rec),
	    0);
	assert_int_equal(rec.len, 12);
	assert_memory_equal(rec.msg, "\"west\" #1: x", 12);
	assert_string_equal(rec.host, "gw-east");
	assert_int_equal(rec.pid, 1234);
	assert_int_equal(rec.priority, 6);
	assert_int_equal(rec.realtime_usec, 1795465558LL * USEC + 47269);
	assert_int_equal(rec.flags, 0);
	assert_string_equal(rec.event_id, "00000000000000aa-3-1");
	/*
	 * The same line again (a distinct message that happens to be
	 * identical, or a resend): another frame, another id.
	 */
	assert_int_equal(
	    syslog_to_record(&x, a, sizeof(a) - 1, NULL, NOV24_2026 * USEC, &origin, &rec), 0);
	assert_string_equal(rec.event_id, "00000000000000aa-3-2");
	assert_int_equal(origin.ordinal, 2);

	assert_int_equal(
	    syslog_to_record(&x, b, sizeof(b) - 1, NULL, NOV24_2026 * USEC, &origin, &rec), 0);
	assert_int_equal(rec.len, 9);
	assert_memory_equal(rec.msg, "\"w\" #2: y", 9);
	assert_string_equal(rec.host, "gw-west");
	assert_int_equal(rec.priority, 6);
	assert_int_equal(rec.realtime_usec, 1795465558LL * USEC + 123);

	/* A nil HOSTNAME is the peer's address; invalid UTF-8 replaced; cut at max_line. */
	x.max_line = 5;
	static const char c[] = "<13>1 - - pluto - - - abcd\xC3\xA9\xFFz";
	assert_int_equal(
	    syslog_to_record(&x, c, sizeof(c) - 1, "192.0.2.1", NOV24_2026 * USEC, &origin, &rec),
	    0);
	assert_string_equal(rec.host, "192.0.2.1");
	assert_int_equal(rec.realtime_usec, 0);
	assert_int_equal(rec.flags, RECORD_TRUNCATED);
	assert_int_equal(rec.len, 4); /* not into the middle of the é */
	assert_memory_equal(rec.msg, "abcd", 4);
	x.max_line = 200;
	assert_int_equal(
	    syslog_to_record(&x, c, sizeof(c) - 1, "192.0.2.1", NOV24_2026 * USEC, &origin, &rec),
	    0);
	assert_int_equal(rec.len, 4 + 2 + 3 + 1);
	assert_memory_equal(rec.msg, "abcd\xC3\xA9\xEF\xBF\xBDz", 10);

	/* Refusals leave rec alone. */
	rec.pid = 77;
	assert_int_equal(syslog_to_record(&x, "<13>1 - h sshd - - - m", 22, NULL, 0, &origin, &rec),
			 -ENOENT);
	assert_int_equal(syslog_to_record(&x, "<13>1 - h - - - - m", 19, NULL, 0, &origin, &rec),
			 -ENOENT);
	assert_int_equal(syslog_to_record(&x, "hello", 5, NULL, 0, &origin, &rec), -EBADMSG);
	x.scratch_size = 9; /* room for 3 bytes of MSG */
	assert_int_equal(
	    syslog_to_record(&x, "<13>1 - h pluto - - - 1234", 26, NULL, 0, &origin, &rec),
	    -ENOBUFS);
	assert_int_equal(rec.pid, 77);
	/* ... but each was a frame: the ordinals count them */
	assert_int_equal(origin.ordinal, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listen_parse),
	    cmocka_unit_test(test_framer_mixed),
	    cmocka_unit_test(test_framer_oversize_line),
	    cmocka_unit_test(test_framer_oversize_octet),
	    cmocka_unit_test(test_framer_hostile),
	    cmocka_unit_test(test_parse_5424),
	    cmocka_unit_test(test_parse_3164),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_event_id),
	    cmocka_unit_test(test_max_connections),
	    cmocka_unit_test(test_to_record),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
