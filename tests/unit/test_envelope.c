/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The envelope parser: each log prefix users have (syslog, journalctl's
 * short formats, pluto's logfile, logread, RFC 5424, whack), then pluto's
 * connection/state/packet prefix with masked peers, and hostile bytes.
 * Expected times are written as epoch seconds computed by hand (TZ=UTC).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"

#define SEC INT64_C(1000000)
/* 2026-11-24 12:00:00 UTC: "now" for year-less times. */
#define NOW (INT64_C(1795521600) * SEC)

struct want {
	const char *line;
	enum envelope_log log;
	int64_t usec; /* -1: not checked */
	const char *host, *app;
	int pid;
	const char *code;
	enum envelope_scope scope;
	const char *conn, *peer;
	int64_t inst, serial;
	int port;
	const char *rest;
	unsigned flags;
};

static void str_eq(const char *want, const char *got, size_t len, const char *what,
		   const char *line)
{
	if (!want) {
		if (got)
			fail_msg("%s: %s '%.*s', expected none", line, what, (int)len, got);
		return;
	}
	if (!got || strlen(want) != len || memcmp(want, got, len) != 0)
		fail_msg("%s: %s '%.*s', expected '%s'", line, what, got ? (int)len : 6,
			 got ? got : "(none)", want);
}

static void check(const struct want *w)
{
	struct envelope e;
	size_t len = strlen(w->line);

	envelope_parse(w->line, len, NOW, &e);
	if (e.log != w->log)
		fail_msg("%s: log kind %d, expected %d", w->line, e.log, w->log);
	if (w->usec >= 0 && e.realtime_usec != w->usec)
		fail_msg("%s: time %lld, expected %lld", w->line, (long long)e.realtime_usec,
			 (long long)w->usec);
	str_eq(w->host, e.host, e.host_len, "host", w->line);
	str_eq(w->app, e.app, e.app_len, "app", w->line);
	assert_int_equal(e.pid, w->pid);
	assert_string_equal(e.reply_code, w->code ? w->code : "");
	if (e.scope != w->scope)
		fail_msg("%s: scope %s, expected %s", w->line, envelope_scope_name(e.scope),
			 envelope_scope_name(w->scope));
	str_eq(w->conn, e.conn_name, e.conn_name_len, "conn", w->line);
	str_eq(w->peer, e.peer_ip, e.peer_ip_len, "peer", w->line);
	assert_int_equal(e.conn_instance, w->inst);
	assert_int_equal(e.state_serial, w->serial);
	assert_int_equal(e.peer_port, w->port);
	assert_int_equal(e.flags, w->flags);
	assert_true(e.rest_off <= len);
	if (strcmp(w->line + e.rest_off, w->rest) != 0)
		fail_msg("%s: remainder '%s', expected '%s'", w->line, w->line + e.rest_off,
			 w->rest);
}

static void test_log_prefixes(void **state)
{
	(void)state;
	/* 2026-11-23 20:25:58 UTC = 1795465558 */
	const struct want v[] = {
	    {"Nov 23 20:25:58 gw pluto[1234]: \"west\" #1: x", ENVELOPE_LOG_SYSLOG,
	     1795465558 * SEC, "gw", "pluto", 1234, .scope = ENVELOPE_STATE, .conn = "west",
	     .serial = 1, .rest = "x"},
	    /* no host; padded day */
	    {"Jul  4 08:34:38   pluto[2814]: \"c\" #9904: y", ENVELOPE_LOG_SYSLOG, -1, NULL,
	     "pluto", 2814, .scope = ENVELOPE_STATE, .conn = "c", .serial = 9904, .rest = "y"},
	    /* pluto's logfile */
	    {"Nov 23 20:25:58.047269: \"cert_gw_ipv4\"[2] 192.0.2.2 #5: z", ENVELOPE_LOG_LOGFILE,
	     1795465558 * SEC + 47269, .scope = ENVELOPE_STATE, .conn = "cert_gw_ipv4",
	     .peer = "192.0.2.2", .inst = 2, .serial = 5, .rest = "z"},
	    /* journalctl short-precise, masked host */
	    {"Nov 23 20:25:58.123456 <hostname> pluto[1]: m", ENVELOPE_LOG_SYSLOG,
	     1795465558 * SEC + 123456, "<hostname>", "pluto", 1, .rest = "m"},
	    /* short-iso and short-iso-precise */
	    {"2026-11-23T21:25:58+0100 vpn-01.example.com pluto[1]: m", ENVELOPE_LOG_SYSLOG,
	     1795465558 * SEC, "vpn-01.example.com", "pluto", 1, .rest = "m"},
	    {"2026-11-23T21:25:58.5+01:00 *** ipsec[77]: m", ENVELOPE_LOG_SYSLOG,
	     1795465558 * SEC + 500000, "***", "ipsec", 77, .rest = "m"},
	    /* 12 fraction digits: 6 read, the rest ignored */
	    {"2026-11-23T20:25:58.123456789012Z gw pluto: m", ENVELOPE_LOG_SYSLOG,
	     1795465558 * SEC + 123456, "gw", "pluto", 0, .rest = "m"},
	    /* short-full */
	    {"Mon 2026-11-23 20:25:58 UTC 2001:db8::1 pluto[9]: m", ENVELOPE_LOG_SYSLOG,
	     1795465558 * SEC, "2001:db8::1", "pluto", 9, .rest = "m"},
	    /* OpenWrt logread */
	    {"Mon Nov 23 20:25:58 2026 authpriv.warn pluto[1234]: \"c\": added",
	     ENVELOPE_LOG_LOGREAD, 1795465558 * SEC, NULL, "pluto", 1234, .scope = ENVELOPE_CONN,
	     .conn = "c", .rest = "added"},
	    /* year after the time */
	    {"<190>Apr 15 21:28:13 2007 linksys app: msg", ENVELOPE_LOG_SYSLOG, 1176672493 * SEC,
	     "linksys", "app", 0, .rest = "msg"},
	    /* space after the PRI, upper-case month, unpadded day */
	    {"<30> NOV 3 20:25:58 gw pluto[5]: m", ENVELOPE_LOG_SYSLOG, 1793737558 * SEC, "gw",
	     "pluto", 5, .rest = "m"},
	    /* RFC 5424 */
	    {"<29>1 2026-11-23T20:25:58.000001Z gw pluto 42 - - \"c\" #3: m", ENVELOPE_LOG_5424,
	     1795465558 * SEC + 1, "gw", "pluto", 42, .scope = ENVELOPE_STATE, .conn = "c",
	     .serial = 3, .rest = "m"},
	    /* a unit's name as the tag, no colon */
	    {"Nov 23 20:25:58 gw ipsec.service \"c\" #3: m", ENVELOPE_LOG_SYSLOG, -1, "gw",
	     "ipsec.service", 0, .scope = ENVELOPE_STATE, .conn = "c", .serial = 3, .rest = "m"},
	    /* bare tags */
	    {"pluto[1234]: Starting Pluto", ENVELOPE_LOG_TAG, 0, NULL, "pluto", 1234,
	     .rest = "Starting Pluto"},
	    {"pluto: \"c\" #1: m", ENVELOPE_LOG_TAG, 0, NULL, "pluto", 0, .scope = ENVELOPE_STATE,
	     .conn = "c", .serial = 1, .rest = "m"},
	    /* a post that cut the time and host off keeps their blank */
	    {" pluto[3469]: \"c\": m", ENVELOPE_LOG_TAG, 0, NULL, "pluto", 3469,
	     .scope = ENVELOPE_CONN, .conn = "c", .rest = "m"},
	    {" \tpluto: \"c\" #1: m", ENVELOPE_LOG_TAG, 0, NULL, "pluto", 0, .scope = ENVELOPE_STATE,
	     .conn = "c", .serial = 1, .rest = "m"},
	    /* but not another program's tag */
	    {" ERROR: cannot do it", ENVELOPE_LOG_NONE, 0, .rest = " ERROR: cannot do it"},
	    /* another program's "tag:" without a time is pluto's text, not a prefix */
	    {"ERROR: cannot do it", ENVELOPE_LOG_NONE, 0, .rest = "ERROR: cannot do it"},
	    /* unknown month, bad pid: no prefix */
	    {"Foo 23 20:25:58 gw pluto[1]: x", ENVELOPE_LOG_NONE, 0,
	     .rest = "Foo 23 20:25:58 gw pluto[1]: x"},
	    {"Nov 23 20:25:58", ENVELOPE_LOG_NONE, 0, .rest = "Nov 23 20:25:58"},
	    {"", ENVELOPE_LOG_NONE, 0, .rest = ""},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check(&v[i]);
}

/*
 * Prefixes users' syslog daemons and tools write: a numeric
 * "<facility.severity>" after the time, "facility.level" before the tag,
 * "[pluto]" with no host, a host glued to the tag, localized months.
 */
static void test_user_prefixes(void **state)
{
	(void)state;
	const struct want v[] = {
	    /* <10.4>: authpriv (10) * 8 + warning (4) = 84 */
	    {"Feb 26 06:31:45 <10.4> gw-b pluto[2531]: \"branch\" #432: m", ENVELOPE_LOG_SYSLOG,
	     1772087505 * SEC, "gw-b", "pluto", 2531, .scope = ENVELOPE_STATE, .conn = "branch",
	     .serial = 432, .rest = "m"},
	    {"Aug 22 14:53:26 gw authpriv.warn pluto[7015]: \"ng\" #2: m", ENVELOPE_LOG_SYSLOG,
	     1787410406 * SEC, "gw", "pluto", 7015, .scope = ENVELOPE_STATE, .conn = "ng",
	     .serial = 2, .rest = "m"},
	    {"Aug 22 14:53:26 local7.info pluto[7015]: m", ENVELOPE_LOG_SYSLOG, 1787410406 * SEC,
	     NULL, "pluto", 7015, .rest = "m"},
	    /* "mail" is a facility, "example" no level: a host */
	    {"Aug 22 14:53:26 mail.example pluto[1]: m", ENVELOPE_LOG_SYSLOG, -1, "mail.example",
	     "pluto", 1, .rest = "m"},
	    /* names syslog does not have are no facility: no prefix */
	    {"Aug 22 14:53:26 gw foo.bar pluto[1]: m", ENVELOPE_LOG_NONE, 0,
	     .rest = "Aug 22 14:53:26 gw foo.bar pluto[1]: m"},
	    {"Jul 31 20:25:15 [pluto] \"nm-l2tp\" #1: m", ENVELOPE_LOG_SYSLOG, 1785529515 * SEC,
	     NULL, "pluto", 0, .scope = ENVELOPE_STATE, .conn = "nm-l2tp", .serial = 1,
	     .rest = "m"},
	    {"Jul 31 20:25:15 [sshd] m", ENVELOPE_LOG_NONE, 0, .rest = "Jul 31 20:25:15 [sshd] m"},
	    /* a host glued to pluto's tag; a program's name is not split */
	    {"Mar 20 10:03:56 gw01vm01pluto[123920]: m", ENVELOPE_LOG_SYSLOG, 1774001036 * SEC,
	     "gw01vm01", "pluto", 123920, .rest = "m"},
	    {"Mar 20 10:03:56 ipsec_pluto[1]: m", ENVELOPE_LOG_SYSLOG, -1, NULL, "ipsec_pluto", 1,
	     .rest = "m"},
	    {"Mar 20 10:03:56 ipsec-pluto[1]: m", ENVELOPE_LOG_SYSLOG, -1, NULL, "ipsec-pluto", 1,
	     .rest = "m"},
	    /* grep's file name before the line (grep over several files) */
	    {"/var/log/secure:Oct 25 05:23:50 gw pluto[3665]: \"rw\"[2] 192.0.2.7 #10: m",
	     ENVELOPE_LOG_SYSLOG, 1792905830 * SEC, "gw", "pluto", 3665, .scope = ENVELOPE_STATE,
	     .conn = "rw", .peer = "192.0.2.7", .inst = 2, .serial = 10, .rest = "m"},
	    {"/var/log/pluto.log:Aug  9 14:08:35.595762: m", ENVELOPE_LOG_LOGFILE,
	     1786284515 * SEC + 595762, .rest = "m"},
	    /* a path with no time after it is no prefix */
	    {"/var/log/secure: m", ENVELOPE_LOG_NONE, 0, .rest = "/var/log/secure: m"},
	    {"/etc/ipsec.conf:12: m", ENVELOPE_LOG_NONE, 0, .rest = "/etc/ipsec.conf:12: m"},
	    {"/var/log/x:pluto[1]: m", ENVELOPE_LOG_NONE, 0, .rest = "/var/log/x:pluto[1]: m"},
	    /* localized months (de/nl/sv "okt", de "Mär" in UTF-8) */
	    {"okt 21 21:05:47 h pluto[7]: m", ENVELOPE_LOG_SYSLOG, 1792616747 * SEC, "h", "pluto",
	     7, .rest = "m"},
	    {"M\xc3\xa4r  3 08:00:00 h pluto[7]: m", ENVELOPE_LOG_SYSLOG, 1772524800 * SEC, "h",
	     "pluto", 7, .rest = "m"},
	};
	static const struct {
		const char *line;
		int pri;
	} pris[] = {
	    {"Feb 26 06:31:45 <10.4> gw-b pluto[2531]: m", 84},
	    {"Aug 22 14:53:26 gw authpriv.warn pluto[7015]: m", 84},
	    {"Aug 22 14:53:26 local7.info pluto[7015]: m", 190},
	    {"Aug 22 14:53:26 gw pluto[7015]: m", -1},
	    /* the PRI in front wins over the words */
	    {"<38>Aug 22 14:53:26 gw daemon.err pluto[7015]: m", 38},
	    /* facility 24 and severity 8 do not exist: no prefix */
	    {"Feb 26 06:31:45 <24.4> gw pluto[1]: m", -1},
	    {"Feb 26 06:31:45 <10.8> gw pluto[1]: m", -1},
	};
	struct envelope e;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check(&v[i]);
	for (size_t i = 0; i < sizeof(pris) / sizeof(pris[0]); i++) {
		envelope_parse(pris[i].line, strlen(pris[i].line), NOW, &e);
		if (e.pri != pris[i].pri)
			fail_msg("%s: pri %d, expected %d", pris[i].line, e.pri, pris[i].pri);
	}
	envelope_parse(pris[5].line, strlen(pris[5].line), NOW, &e);
	assert_int_equal(e.log, ENVELOPE_LOG_NONE);
}

static void test_pluto_prefixes(void **state)
{
	(void)state;
	const struct want v[] = {
	    {"\"westeast\" #1: established", .scope = ENVELOPE_STATE, .conn = "westeast",
	     .serial = 1, .rest = "established"},
	    /* 5.x repeats instances; the first is kept */
	    {"\"c\"[1][2] 192.1.2.23 #3: m", .scope = ENVELOPE_STATE, .conn = "c", .inst = 1,
	     .peer = "192.1.2.23", .serial = 3, .rest = "m"},
	    {"\"oe\"[4] ...192.1.3.33 #7: m", .scope = ENVELOPE_STATE, .conn = "oe", .inst = 4,
	     .peer = "192.1.3.33", .serial = 7, .rest = "m"},
	    {"\"c\"[1] 10.0.0.1/32===...192.0.2.9 #2: m", .scope = ENVELOPE_STATE, .conn = "c",
	     .inst = 1, .peer = "192.0.2.9", .serial = 2, .rest = "m"},
	    {"\"c\"[1] 192.0.2.9===10.0.0.0/24 #2: m", .scope = ENVELOPE_STATE, .conn = "c",
	     .inst = 1, .peer = "192.0.2.9", .serial = 2, .rest = "m"},
	    {"\"c\"[1] 2001:db8::9 #2: m", .scope = ENVELOPE_STATE, .conn = "c", .inst = 1,
	     .peer = "2001:db8::9", .serial = 2, .rest = "m"},
	    /* masked peers: no peer_ip, the rest of the line still parses */
	    {"\"c\"[1] x.x.x.x #2: m", .scope = ENVELOPE_STATE, .conn = "c", .inst = 1, .serial = 2,
	     .rest = "m"},
	    {"\"c\"[1] 1.2.x.x #2: m", .scope = ENVELOPE_STATE, .conn = "c", .inst = 1, .serial = 2,
	     .rest = "m"},
	    {"\"c\"[1] <client.ip> #2: m", .scope = ENVELOPE_STATE, .conn = "c", .inst = 1,
	     .serial = 2, .rest = "m"},
	    {"\"c\"[1] [redacted] #2: m", .scope = ENVELOPE_STATE, .conn = "c", .inst = 1,
	     .serial = 2, .rest = "m"},
	    {"\"c\"[1] ***: deleting", .scope = ENVELOPE_CONN, .conn = "c", .inst = 1,
	     .rest = "deleting"},
	    /* the name may hold '#', '/', '=' */
	    {"\"private#192.1.2.0/24\"[1] ...192.1.2.23: m", .scope = ENVELOPE_CONN,
	     .conn = "private#192.1.2.0/24", .inst = 1, .peer = "192.1.2.23", .rest = "m"},
	    {"\"c\": added IKEv2 connection", .scope = ENVELOPE_CONN, .conn = "c",
	     .rest = "added IKEv2 connection"},
	    /* wrappers: flagged before a connection, kept in a global line */
	    {"ERROR: \"c\" #1: m", .scope = ENVELOPE_STATE, .conn = "c", .serial = 1, .rest = "m",
	     .flags = ENVELOPE_ERROR},
	    {"WARNING: \"c\": m", .scope = ENVELOPE_CONN, .conn = "c", .rest = "m",
	     .flags = ENVELOPE_WARNING},
	    {"warning: \"c\" #1: m", .scope = ENVELOPE_STATE, .conn = "c", .serial = 1, .rest = "m",
	     .flags = ENVELOPE_WARNING},
	    {"ERROR: asynchronous network error", .rest = "ERROR: asynchronous network error"},
	    {"\"c\" #1: ERROR: x", .scope = ENVELOPE_STATE, .conn = "c", .serial = 1,
	     .rest = "ERROR: x"},
	    /* 4.x/5.x diagnostics: the wrapper before the prefix */
	    {"EXPECTATION FAILED: \"in-1\" #1112: m", .scope = ENVELOPE_STATE, .conn = "in-1",
	     .serial = 1112, .rest = "m", .flags = ENVELOPE_EXPECTATION},
	    {"ABORT: ASSERTION FAILED: \"c\"[1] 192.0.2.1 #2: m", .scope = ENVELOPE_STATE,
	     .conn = "c", .inst = 1, .peer = "192.0.2.1", .serial = 2, .rest = "m",
	     .flags = ENVELOPE_ASSERTION},
	    {"FATAL: ASSERTION FAILED: \"c\": m", .scope = ENVELOPE_CONN, .conn = "c", .rest = "m",
	     .flags = ENVELOPE_ASSERTION},
	    {"EXPECTATION FAILED: fd is NULL", .rest = "EXPECTATION FAILED: fd is NULL"},
	    /* "FATAL ERROR: " stays in the text: the rules read each fatal message */
	    {"FATAL ERROR: \"c\" #1: m", .rest = "FATAL ERROR: \"c\" #1: m"},
	    /* packets */
	    {"packet from 192.1.2.45:500: m", .scope = ENVELOPE_PACKET, .peer = "192.1.2.45",
	     .port = 500, .rest = "m"},
	    {"packet from [2001:db8::1]:4500: m", .scope = ENVELOPE_PACKET, .peer = "2001:db8::1",
	     .port = 4500, .rest = "m"},
	    {"packet from 192.1.2.45:UDP/500: m", .scope = ENVELOPE_PACKET, .peer = "192.1.2.45",
	     .port = 500, .rest = "m"},
	    {"packet from x.x.x.x:EPHEM: m", .scope = ENVELOPE_PACKET, .rest = "m"},
	    {"ERROR: packet from 192.1.2.45:500: m", .scope = ENVELOPE_PACKET, .peer = "192.1.2.45",
	     .port = 500, .rest = "m", .flags = ENVELOPE_ERROR},
	    /* whack's reply codes */
	    {"002 \"westeast\" #1: initiating", .code = "002", .scope = ENVELOPE_STATE,
	     .conn = "westeast", .serial = 1, .rest = "initiating"},
	    /* not prefixes: an open quote, a '#' not a serial, no ": " */
	    {"\"c #1: m", .rest = "\"c #1: m"},
	    {"\"c\" a#1: m", .rest = "\"c\" a#1: m"},
	    {"\"c\" #x: m", .rest = "\"c\" #x: m"},
	    {"\"c\"[1] 1.2.3.4", .rest = "\"c\"[1] 1.2.3.4"},
	    {"packet from 1.2.3.4 500: m", .rest = "packet from 1.2.3.4 500: m"},
	    /* a configuration file's line number, not a connection */
	    {"\"/etc/ipsec.secrets\" line 12: m", .rest = "\"/etc/ipsec.secrets\" line 12: m"},
	    {"\"c\" line: m", .scope = ENVELOPE_CONN, .conn = "c", .rest = "m"},
	    {"rekeying IPsec SA state #2 of connection \"c\"", .rest =
								   "rekeying IPsec SA state #2 of "
								   "connection \"c\""},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check(&v[i]);
}

/* whack's reply codes, 3.x/4.x "NNN" and 4.x "1v2" (from Libreswan's testing/ consoles) */
static void test_reply_codes(void **state)
{
	struct envelope e;

	(void)state;
	envelope_parse("000 x", 5, NOW, &e);
	assert_string_equal(e.reply_code, "000");
	assert_int_equal(e.rest_off, 4);
	const char *l = "1v2 \"west\" #1: initiating IKEv2 connection";

	envelope_parse(l, strlen(l), NOW, &e);
	assert_string_equal(e.reply_code, "1v2");
	assert_int_equal(e.scope, ENVELOPE_STATE);
	assert_int_equal(e.state_serial, 1);
	assert_string_equal(l + e.rest_off, "initiating IKEv2 connection");
	envelope_parse("1v1 \"road\": added", 18, NOW, &e);
	assert_string_equal(e.reply_code, "1v1");
	assert_int_equal(e.scope, ENVELOPE_CONN);
	envelope_parse("x", 1, NOW, &e);
	assert_string_equal(e.reply_code, "");
	envelope_parse("12 x", 4, NOW, &e);
	assert_string_equal(e.reply_code, "");
	envelope_parse("1x2 x", 5, NOW, &e);
	assert_string_equal(e.reply_code, "");
}

static void test_times(void **state)
{
	int64_t us = 0;

	(void)state;
	assert_int_equal(envelope_rfc3339("2025-01-27T14:13:05.805232+00:00 ", 33, true, &us), 32);
	assert_int_equal(us, INT64_C(1737987185) * SEC + 805232);
	assert_int_equal(envelope_rfc3339("2025-01-27T14:13:05", 19, true, &us), -EINVAL);
	assert_int_equal(envelope_rfc3339("2025-02-29T14:13:05Z", 20, true, &us), -EINVAL);
	assert_int_equal(envelope_rfc3339("2025-01-27T24:13:05Z", 20, true, &us), -EINVAL);
	assert_int_equal(envelope_rfc3339("2025-01-27T14:13:05.Z", 21, true, &us), -EINVAL);
	assert_int_equal(envelope_rfc3339("1969-12-31T23:59:59Z", 20, true, &us), -EINVAL);
	/* Year-less: the newest year not more than a day ahead of now. */
	assert_int_equal(envelope_bsd_time("Dec 31 23:59:00", 15, 1798761900 * SEC, 0, &us), 15);
	assert_int_equal(us, INT64_C(1798761540) * SEC);
	assert_int_equal(envelope_bsd_time("Jan  1 00:10:00", 15, 1798761540 * SEC, 0, &us), 15);
	assert_int_equal(us, INT64_C(1798762200) * SEC);
	assert_int_equal(envelope_bsd_time("Feb 30 00:10:00", 15, NOW, 2026, &us), -EINVAL);
	assert_int_equal(envelope_bsd_time("Nov 23 2:25:58", 14, NOW, 0, &us), -EINVAL);
	assert_int_equal(envelope_bsd_time("Nov", 3, NOW, 0, &us), -EINVAL);
	/* Localized months: none reads an English line otherwise; "lis" is ambiguous (pl/hr). */
	assert_int_equal(envelope_bsd_time("Dez 31 23:59:00", 15, NOW, 0, &us), 15);
	assert_int_equal(us, INT64_C(1767225540) * SEC);
	assert_int_equal(envelope_bsd_time("mei  2 01:02:03", 15, NOW, 0, &us), 15);
	assert_int_equal(us, INT64_C(1777683723) * SEC);
	assert_int_equal(envelope_bsd_time("mrt  7 10:00:00", 15, NOW, 0, &us), 15);
	assert_int_equal(us, INT64_C(1772877600) * SEC);
	assert_int_equal(envelope_bsd_time("Mar  7 10:00:00", 15, NOW, 0, &us), 15);
	assert_int_equal(us, INT64_C(1772877600) * SEC);
	assert_int_equal(envelope_bsd_time("lis  7 10:00:00", 15, NOW, 0, &us), -EINVAL);
	assert_int_equal(envelope_bsd_time("M\xc3\xa4", 3, NOW, 0, &us), -EINVAL);
}

/* Every prefix of hostile lines: no read past the end, offsets within the line. */
static void test_hostile(void **state)
{
	static const char *const lines[] = {
	    "<191>1 2026-11-23T20:25:58Z h a 1 m [x a=\"\\\"]\"] \"c\"[1] 1.2.3.4 #1: m",
	    "Mon Nov 23 20:25:58 2026 authpriv.warn pluto[1234]: ERROR: \"c\"[1][2] ...x #9: q",
	    "Tue 2024-09-24 15:00:03 CEST host pluto[1]: packet from [::1]:500: m",
	    "<13>Nov 23 20:25:58.1234567890123 gw pluto[99999999999]: 002 \"c\" #1: m",
	    "M\xc3\xa4r 26 06:31:45 <10.4> gw authpriv.warn gw01pluto[1]: EXPECTATION FAILED: "
	    "\"c\" #1: m",
	    "Jul 31 20:25:15 [pluto] ABORT: ASSERTION FAILED: \"c\"[1] ...192.0.2.1: m",
	};
	struct envelope e;
	char *buf;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = strlen(lines[i]);

		for (size_t n = 0; n <= len; n++) {
			/* an exact-size heap copy, so ASan sees any overread */
			buf = malloc(n ? n : 1);
			assert_non_null(buf);
			memcpy(buf, lines[i], n);
			envelope_parse(buf, n, NOW, &e);
			assert_true(e.msg_off <= n && e.rest_off <= n && e.msg_off <= e.rest_off);
			if (e.host)
				assert_true(e.host >= buf && e.host + e.host_len <= buf + n);
			if (e.conn_name)
				assert_true(e.conn_name + e.conn_name_len <= buf + n);
			if (e.peer_ip)
				assert_true(e.peer_ip + e.peer_ip_len <= buf + n);
			free(buf);
		}
	}
}

/* Another program relaying pluto's words is named; pluto's own tags are not. */
static void test_other_process(void **state)
{
	static const char nm[] = "Feb 14 23:40:34 mbp NetworkManager[16055]: 003 \"road\" #1: m";
	static const char unit[] = "Feb 14 23:40:34 gw ipsec.service \"c\" #3: m";
	static const char glued[] = "Mar 20 10:03:56 gw01vm01pluto[123920]: m";
	struct envelope e;
	char buf[16], small[5];

	(void)state;
	envelope_parse(nm, strlen(nm), NOW, &e);
	assert_string_equal(envelope_other_process(&e, buf, sizeof(buf)), "NetworkManager");
	assert_int_equal(e.pid, 16055);
	assert_int_equal(e.state_serial, 1);
	assert_string_equal(envelope_other_process(&e, small, sizeof(small)), "Netw");
	envelope_parse(unit, strlen(unit), NOW, &e);
	assert_null(envelope_other_process(&e, buf, sizeof(buf)));
	envelope_parse(glued, strlen(glued), NOW, &e);
	assert_null(envelope_other_process(&e, buf, sizeof(buf)));
	envelope_parse("\"c\" #1: m", 9, NOW, &e);
	assert_null(envelope_other_process(&e, buf, sizeof(buf)));
}

static void test_scope_names(void **state)
{
	(void)state;
	for (int s = 0; s < ENVELOPE_SCOPE__MAX; s++) {
		const char *n = envelope_scope_name(s);

		assert_int_equal(envelope_scope_lookup(n, strlen(n)), s);
	}
	assert_int_equal(envelope_scope_lookup("any", 3), -1);
	assert_true(envelope_pluto_tag("ipsec.service", 13));
	assert_false(envelope_pluto_tag("charon", 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_prefixes),   cmocka_unit_test(test_user_prefixes),
	    cmocka_unit_test(test_pluto_prefixes), cmocka_unit_test(test_reply_codes),
	    cmocka_unit_test(test_times),	   cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_other_process),  cmocka_unit_test(test_scope_names),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
