/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog listener over plain TCP and UDP on loopback, with the real
 * event loop and pipeline (no sink: the test acknowledges records as a
 * sink would): both framings, headers and hosts, what is dropped and
 * counted (oversize, cut short, other programs, not syslog, a full
 * receive buffer), pushing back on senders when the pipeline is full,
 * the connection limit, the per-host IKE SA namespace, and bytes that
 * are not UTF-8. The TLS side is test_source_syslog_conn.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "syslog_harness.h"
#include "stage_opts.h"

static const char *const tcp_udp[] = {"tcp://127.0.0.1:0", "udp://127.0.0.1:0"};

/* The instance id an event_id starts with. */
static uint64_t id_instance(const char *id)
{
	assert_int_equal(strcspn(id, "-"), 16);
	return strtoull(id, NULL, 16);
}

/* Newline-framed and octet-counted frames on one connection, one split across two writes. */
static void test_tcp_frames(void **state)
{
	struct sh sh = {0};
	const char *split = MSG5424("gw-a", "pluto", "4242", "split across writes") "\n";
	const char *const want[] = {
	    "first line",  "second line", "multi\nline", "split across writes",
	    "legacy line", "nil host",	  "first line",
	};
	const char *second = MSG5424("gw-a", "pluto", "4242", "second line");
	const char *multi = MSG5424("gw-a", "pluto", "4242", "multi\nline");
	int fd;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh_start(&sh);
	fd = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	sh_send_str(fd, MSG5424("gw-a", "pluto", "4242", "first line") "\n");
	sh_send_octet(fd, second, strlen(second));
	sh_send_octet(fd, multi, strlen(multi));
	SH_RUN_UNTIL(&sh, sh.h.n == 3, 2000);

	/* Half a line is kept until its end comes. */
	sh_send(fd, split, 20);
	SH_RUN_UNTIL(&sh, sh.s->conns && sh.s->conns->len == 20, 2000);
	assert_int_equal(sh.h.n, 3);
	sh_send_str(fd, split + 20);
	/* Not ours, not syslog: dropped and counted; RFC 3164 and a nil HOSTNAME are fine. */
	sh_send_str(fd, MSG5424("gw-a", "sshd", "99", "not ours") "\n");
	sh_send_str(fd, "hello world\n");
	sh_send_str(fd, "<86>Nov 23 20:25:58 gw-b pluto[77]: legacy line\n");
	sh_send_str(fd, MSG5424("-", "pluto", "-", "nil host") "\r\n");
	/* Empty frames carry nothing and are not counted. */
	sh_send_str(fd, "\n\n");
	sh_send_str(fd, MSG5424("gw-a", "pluto", "4242", "first line") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 7, 2000);
	sh_expect_msgs(&sh, want, 7);

	assert_string_equal(sh.h.v[0].host, "gw-a");
	assert_int_equal(sh.h.v[0].pid, 4242);
	assert_int_equal(sh.h.v[0].prio, 6);
	assert_true(sh.h.v[0].rt == MSG5424_USEC);
	assert_string_equal(sh.h.v[4].host, "gw-b");
	assert_int_equal(sh.h.v[4].pid, 77);
	assert_string_equal(sh.h.v[5].host, "127.0.0.1");
	assert_int_equal(sh.h.v[5].pid, 0);
	/*
	 * Every id is the source's instance id (16 hex digits), the
	 * connection's serial (after the listener's) and the frame's
	 * ordinal on it, counting the frames dropped (5, 6): the two
	 * identical "first line" messages are two events, two ids.
	 */
	static const unsigned ordinal[] = {1, 2, 3, 4, 7, 8, 9};
	uint64_t inst = id_instance(sh.id[0]);

	for (size_t i = 0; i < 7; i++) {
		char want_id[SYSLOG_EVENT_ID_MAX];

		snprintf(want_id, sizeof(want_id), "%016" PRIx64 "-2-%u", inst, ordinal[i]);
		assert_string_equal(sh.id[i], want_id);
	}
	assert_string_not_equal(sh.id[0], sh.id[6]);

	assert_int_equal(sh.s->drops[DROP_OTHER_APP], 1);
	assert_int_equal(sh.s->drops[DROP_BADMSG], 1);
	assert_int_equal(sh.h.cnt.input_dropped, 2);
	assert_int_equal(sh.h.cnt.connections, 1);
	assert_int_equal(sh.h.cnt.lines_read, 7);

	/* The sender closes: the connection goes. */
	close(fd);
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 0, 2000);
	/* A line sent again on a new connection (rsyslog resending) gets a new id. */
	fd = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	sh_send_str(fd, MSG5424("gw-a", "pluto", "4242", "first line") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 8, 2000);
	char want_id[SYSLOG_EVENT_ID_MAX];

	snprintf(want_id, sizeof(want_id), "%016" PRIx64 "-3-1", inst);
	assert_string_equal(sh.id[7], want_id);
	close(fd);
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 0, 2000);
	assert_null(sh.s->conns);
	sh_done(&sh);

	/* The next start of the source: another instance id, so no id of this run again. */
	struct sh sh2 = {0};

	sh_config(&sh2, "test_source_syslog", tcp_udp, 1);
	sh_start(&sh2);
	fd = sh_connect(SOCK_STREAM, sh_port(&sh2, 0));
	sh_send_str(fd, MSG5424("gw-a", "pluto", "4242", "first line") "\n");
	SH_RUN_UNTIL(&sh2, sh2.h.n == 1, 2000);
	assert_int_equal(strlen(sh2.id[0]), strlen(sh.id[0]));
	assert_true(id_instance(sh2.id[0]) != inst);
	close(fd);
	sh_done(&sh2);
}

/* Datagrams: one message each; trailing LF/NUL stripped; oversize ones dropped and counted. */
static void test_udp(void **state)
{
	struct sh sh = {0};
	const char *const want[] = {"dgram one", "dgram two", "nil host", "after big"};
	static const char two[] = MSG5424("gw-u", "pluto", "11", "dgram two");
	char big[600];
	int fd;

	sh_config(&sh, "test_source_syslog", tcp_udp, 2);
	sh.h.cfg.source.syslog.max_frame_bytes = 512;
	sh_start(&sh);
	fd = sh_connect(SOCK_DGRAM, sh_port(&sh, 1));
	sh_send_str(fd, MSG5424("gw-u", "pluto", "11", "dgram one") "\n");
	/* sizeof: the string's NUL is sent too. */
	sh_send(fd, two, sizeof(two));
	sh_send_str(fd, MSG5424("-", "pluto", "11", "nil host"));
	sh_send_str(fd, "\n");
	memset(big, 'x', sizeof(big));
	memcpy(big, MSG5424("gw-u", "pluto", "11", ""), strlen(MSG5424("gw-u", "pluto", "11", "")));
	sh_send(fd, big, sizeof(big));
	sh_send_str(fd, MSG5424("gw-u", "pluto", "11", "after big"));
	SH_RUN_UNTIL(&sh, sh.h.n == 4, 2000);
	sh_expect_msgs(&sh, want, 4);
	assert_string_equal(sh.h.v[0].host, "gw-u");
	assert_int_equal(sh.h.v[0].pid, 11);
	assert_string_equal(sh.h.v[2].host, "127.0.0.1");
	assert_int_equal(sh.s->drops[DROP_OVERSIZE], 1);
	assert_int_equal(sh.h.cnt.input_dropped, 1);
	/* A datagram is no connection. */
	assert_int_equal(sh.h.cnt.connections, 0);
	/* Its id: the UDP listener's serial (the second), its ordinal of arrival. */
	for (size_t i = 0; i < 4; i++) {
		char want_id[SYSLOG_EVENT_ID_MAX];

		snprintf(want_id, sizeof(want_id), "%016" PRIx64 "-2-%zu", id_instance(sh.id[0]),
			 i + 1);
		assert_string_equal(sh.id[i], want_id);
	}
	close(fd);
	sh_done(&sh);
}

/* A message of exactly len bytes: a header, then 'x' up to len. */
static size_t exact_msg(char *buf, size_t len)
{
	static const char hdr[] = MSG5424("gw-a", "pluto", "1", "");
	size_t h = sizeof(hdr) - 1;

	assert_true(len > h);
	memcpy(buf, hdr, h);
	memset(buf + h, 'x', len - h);
	buf[len] = '\0';
	return len - h;
}

/*
 * max_frame_bytes 256: frames of 256 bytes pass, longer ones (newline-framed or
 * octet-counted, whole or arriving in pieces) are dropped whole and counted; the
 * connection goes on. An absurd length prefix closes it.
 */
static void test_oversize(void **state)
{
	struct sh sh = {0};
	char buf[1100], want_octet[300], want_line[300];
	size_t body;
	int fd;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh.h.cfg.source.syslog.max_frame_bytes = 256;
	sh.h.cfg.limits.max_line_bytes = 300;
	sh_start(&sh);
	fd = sh_connect(SOCK_STREAM, sh_port(&sh, 0));

	exact_msg(buf, 300);
	sh_send_str(fd, buf);
	sh_send_str(fd, "\n");
	body = exact_msg(buf, 256);
	memset(want_octet, 'x', body);
	want_octet[body] = '\0';
	sh_send_octet(fd, buf, 256);
	exact_msg(buf, 257);
	sh_send_octet(fd, buf, 257);
	body = exact_msg(buf, 256);
	memset(want_line, 'x', body);
	want_line[body] = '\0';
	sh_send_str(fd, buf);
	sh_send_str(fd, "\n");
	exact_msg(buf, 257);
	sh_send_str(fd, buf);
	sh_send_str(fd, "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 2 && sh.s->drops[DROP_OVERSIZE] == 3, 2000);
	assert_string_equal(sh.h.v[0].msg, want_octet);
	assert_string_equal(sh.h.v[1].msg, want_line);

	/* A long line with no end yet, in pieces: dropped once, skipped up to its LF. */
	exact_msg(buf, 1000);
	sh_send(fd, buf, 400);
	SH_RUN_UNTIL(&sh, sh.s->drops[DROP_OVERSIZE] == 4, 2000);
	sh_send(fd, buf + 400, 600);
	SH_RUN_UNTIL(&sh, sh.s->conns && sh.s->conns->len == 0, 2000);
	sh_send_str(fd, "\n" MSG5424("gw-a", "pluto", "1", "after the long line") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 3, 2000);
	assert_string_equal(sh.h.v[2].msg, "after the long line");

	/* An octet-counted frame of 1000 in pieces: dropped once, its bytes skipped. */
	exact_msg(buf, 1000);
	sh_send_str(fd, "1000 ");
	sh_send(fd, buf, 300);
	SH_RUN_UNTIL(&sh, sh.s->drops[DROP_OVERSIZE] == 5, 2000);
	sh_send(fd, buf + 300, 700);
	sh_send_str(fd, MSG5424("gw-a", "pluto", "1", "after the long frame") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 4, 2000);
	assert_string_equal(sh.h.v[3].msg, "after the long frame");
	assert_int_equal(sh.s->drops[DROP_OVERSIZE], 5);
	assert_int_equal(sh.h.cnt.input_dropped, 5);
	assert_false(sh_closed(fd));

	/* Eleven digits are no length: the stream cannot be framed, the connection is closed. */
	sh_send_str(fd, "12345678901 x\n");
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 0, 2000);
	assert_int_equal(sh.s->drops[DROP_FRAMING], 1);
	assert_int_equal(sh.h.cnt.input_dropped, 6);
	assert_true(sh_closed(fd));
	assert_int_equal(sh.h.n, 4);
	close(fd);
	sh_done(&sh);
}

/*
 * The sender closes in the middle of a frame: an octet-counted frame (or its
 * length) cut short is dropped as partial, and so is a last line without
 * its LF (it may have been cut anywhere); a whole line before EOF is a message.
 */
static void test_cut_short_at_eof(void **state)
{
	static const char part[] = "200 " MSG5424("gw-a", "pluto", "1", "cut short");
	struct sh sh = {0};
	int a, b, c, d;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh_start(&sh);
	a = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	b = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	c = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	d = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	sh_send_str(a, part);
	sh_send_str(b, MSG5424("gw-a", "pluto", "1", "no newline at the end"));
	sh_send_str(c, "123");
	sh_send_str(d, MSG5424("gw-a", "pluto", "1", "whole line") "\n");
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 4, 2000);
	SH_RUN_UNTIL(&sh, sh.h.n == 1, 2000);
	/* The partial frames are held, not dropped, while the senders may go on. */
	sh_turns(&sh, 5);
	assert_int_equal(sh.h.cnt.input_dropped, 0);
	assert_int_equal(sh.h.n, 1);
	shutdown(a, SHUT_WR);
	shutdown(b, SHUT_WR);
	shutdown(c, SHUT_WR);
	shutdown(d, SHUT_WR);
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 0, 2000);
	assert_int_equal(sh.h.n, 1);
	assert_string_equal(sh.h.v[0].msg, "whole line");
	assert_int_equal(sh.s->drops[DROP_PARTIAL], 3);
	assert_int_equal(sh.s->drops[DROP_OVERSIZE], 0);
	assert_int_equal(sh.h.cnt.input_dropped, 3);
	assert_true(sh_closed(a));
	close(a);
	close(b);
	close(c);
	close(d);
	sh_done(&sh);
}

static bool sd_enabled(sd_event_source *es)
{
	int en = -1, r = sd_event_source_get_enabled(es, &en);

	assert_true(r >= 0);
	return en != SD_EVENT_OFF;
}

/*
 * The pipeline is full (limits.in_flight 4, nothing acknowledged): the source
 * stops reading its sockets, keeps what it buffered, drops nothing; once
 * records are acknowledged it resumes with the buffered frames first.
 */
static void test_backpressure(void **state)
{
	struct sh sh = {0};
	char all[2000], line[128];
	size_t off = 0, tcp_seen = 0, udp_seen = 0;
	int fd, u;

	sh_config(&sh, "test_source_syslog", tcp_udp, 2);
	sh.h.cfg.limits.in_flight = 4;
	sh.h.ack_limit = 0;
	sh_start(&sh);
	fd = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	u = sh_connect(SOCK_DGRAM, sh_port(&sh, 1));
	for (int i = 0; i < 10; i++)
		off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%d\n",
					MSG5424("gw-a", "pluto", "1", "tcp line "), i);
	sh_send(fd, all, off);
	SH_RUN_UNTIL(&sh, sh.s->paused, 2000);
	assert_int_equal(sh.h.n, 4);
	/* Frames are buffered; neither the connection nor the listeners are read. */
	assert_non_null(sh.s->conns);
	assert_true(sh.s->conns->len > 0);
	assert_false(sd_enabled(sh.s->conns->io));
	assert_false(sd_enabled(sh.s->lst[0].io));
	assert_false(sd_enabled(sh.s->lst[1].io));
	sh_send_str(u, MSG5424("gw-u", "pluto", "2", "udp while paused"));
	sh_turns(&sh, 20);
	assert_int_equal(sh.h.n, 4);
	assert_true(sh.s->paused);

	/* Acknowledged: everything arrives, the TCP lines in order. */
	sh.h.ack_limit = UINT64_MAX;
	SH_RUN_UNTIL(&sh, sh.h.n == 11, 2000);
	assert_false(sh.s->paused);
	for (size_t i = 0; i < sh.h.n; i++) {
		if (strcmp(sh.h.v[i].msg, "udp while paused") == 0) {
			udp_seen++;
			continue;
		}
		snprintf(line, sizeof(line), "tcp line %zu", tcp_seen++);
		assert_string_equal(sh.h.v[i].msg, line);
	}
	assert_int_equal(udp_seen, 1);
	assert_int_equal(sh.h.cnt.input_dropped, 0);
	assert_true(sd_enabled(sh.s->conns->io));
	assert_true(sd_enabled(sh.s->lst[0].io));
	assert_true(sd_enabled(sh.s->lst[1].io));
	close(fd);
	close(u);
	sh_done(&sh);
}

/*
 * Frames buffered while paused are framed on resume, a bad length prefix
 * among them too: the frames before it arrive, then the connection closes.
 */
static void test_bad_prefix_after_pause(void **state)
{
	struct sh sh = {0};
	char all[2000];
	size_t off = 0;
	int fd;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh.h.cfg.limits.in_flight = 4;
	sh.h.ack_limit = 0;
	sh_start(&sh);
	fd = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	for (int i = 0; i < 6; i++)
		off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%d\n",
					MSG5424("gw-a", "pluto", "1", "tcp line "), i);
	off += (size_t)snprintf(all + off, sizeof(all) - off, "12345678901 x\n");
	sh_send(fd, all, off);
	SH_RUN_UNTIL(&sh, sh.s->paused, 2000);
	assert_int_equal(sh.h.n, 4);
	assert_int_equal(sh.s->drops[DROP_FRAMING], 0);
	sh.h.ack_limit = UINT64_MAX;
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 0, 2000);
	assert_int_equal(sh.h.n, 6);
	assert_string_equal(sh.h.v[5].msg, "tcp line 5");
	assert_int_equal(sh.s->drops[DROP_FRAMING], 1);
	assert_int_equal(sh.h.cnt.input_dropped, 1);
	assert_true(sh_closed(fd));
	close(fd);
	sh_done(&sh);
}

/*
 * Datagrams sent while the source is paused overflow the socket's receive
 * buffer: what the kernel dropped is counted in input_dropped, so every
 * datagram is either a record or a drop.
 */
static void test_udp_kernel_drops(void **state)
{
	enum { N = 3000 };
	struct sh sh = {0};
	char dg[900];
	int u;

	sh_config(&sh, "test_source_syslog", tcp_udp + 1, 1);
	sh.h.cfg.limits.in_flight = 4;
	sh.h.ack_limit = 0;
	sh_start(&sh);
	u = sh_connect(SOCK_DGRAM, sh_port(&sh, 0));
	exact_msg(dg, sizeof(dg) - 1);
	for (int i = 0; i < 4; i++)
		sh_send(u, dg, sizeof(dg) - 1);
	SH_RUN_UNTIL(&sh, sh.s->paused, 2000);
	for (int i = 0; i < N; i++)
		sh_send(u, dg, sizeof(dg) - 1);
	sh.h.ack_limit = UINT64_MAX;
	SH_RUN_UNTIL(&sh, sh.total + sh.s->drops[DROP_KERNEL] == N + 4, 10000);
	/* 3000 datagrams of 900 bytes do not fit the default receive buffer (rmem_default). */
	assert_true(sh.s->drops[DROP_KERNEL] > 0);
	assert_int_equal(sh.h.cnt.input_dropped, sh.s->drops[DROP_KERNEL]);
	close(u);
	sh_done(&sh);
}

/*
 * At max_connections a new connection closes the longest-idle one, counted
 * (silent connections cannot hold every slot for good); a slot freed by
 * its sender is taken without closing anyone.
 */
static void test_connection_limit(void **state)
{
	struct sh sh = {0};
	int a, b, c, d;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh.h.cfg.source.syslog.max_connections = 2;
	sh_start(&sh);
	a = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 1, 2000);
	usleep(20000);
	b = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	sh_send_str(b, MSG5424("gw-b", "pluto", "1", "b speaks") "\n");
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 2 && sh.h.n == 1, 2000);
	usleep(20000);
	c = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	SH_RUN_UNTIL(&sh, sh.s->drops[DROP_EVICTED] == 1, 2000);
	SH_RUN_UNTIL(&sh, sh_closed(a), 2000);
	assert_int_equal(sh.s->n_conns, 2);
	assert_int_equal(sh.h.cnt.connections, 3);
	assert_int_equal(sh.h.cnt.input_dropped, 1);
	assert_int_equal(sh.s->drops[DROP_REFUSED], 0);
	assert_false(sh_closed(b));
	sh_send_str(c, MSG5424("gw-c", "pluto", "1", "c admitted") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 2, 2000);
	assert_string_equal(sh.h.v[1].msg, "c admitted");

	close(b);
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 1, 2000);
	d = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	sh_send_str(d, MSG5424("gw-d", "pluto", "1", "in the freed slot") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 3, 2000);
	assert_string_equal(sh.h.v[2].msg, "in the freed slot");
	assert_int_equal(sh.s->n_conns, 2);
	assert_int_equal(sh.h.cnt.connections, 4);
	assert_int_equal(sh.s->drops[DROP_EVICTED], 1);
	assert_false(sh_closed(c));
	close(a);
	close(c);
	close(d);
	sh_done(&sh);
}

/*
 * A frame longer than the first buffer (default max_frame_bytes): the
 * buffer grows for it and is given back once the connection is idle; the
 * body past limits.max_line_bytes is cut and the record marked.
 */
static void test_large_frame(void **state)
{
	static char big[6001];
	struct sh sh = {0};
	int fd;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh_start(&sh);
	fd = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	exact_msg(big, sizeof(big) - 1);
	sh_send(fd, big, sizeof(big) - 1);
	sh_send_str(fd, "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 1, 2000);
	assert_int_equal(sh.h.v[0].len, 256);
	assert_true(sh.h.v[0].flags & RECORD_TRUNCATED);
	assert_int_equal(strspn(sh.h.v[0].msg, "x"), 256);
	assert_int_equal(sh.h.cnt.lines_truncated, 1);
	assert_int_equal(sh_newest(&sh)->len, 0);
	assert_null(sh_newest(&sh)->buf);
	sh_send_str(fd, MSG5424("gw-a", "pluto", "1", "short again") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 2, 2000);
	assert_string_equal(sh.h.v[1].msg, "short again");
	assert_false(sh.h.v[1].flags & RECORD_TRUNCATED);
	close(fd);
	sh_done(&sh);
}

/*
 * Out of descriptors (RLIMIT_NOFILE reached): the listener stops for a
 * second, leaving the connection in the kernel's queue, then accepts it.
 */
static void test_out_of_descriptors(void **state)
{
	struct sh sh = {0};
	struct rlimit old, low;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd, lowest;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh_start(&sh);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	a.sin_port = htons((uint16_t)sh_port(&sh, 0));
	/* No descriptor left: the lowest free one is past the limit. */
	lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	SH_RUN_UNTIL(&sh, sh.s->accept_blocked_until != 0, 2000);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(sh.s->n_conns, 0);
	assert_false(sd_enabled(sh.s->lst[0].io));
	SH_RUN_UNTIL(&sh, sh.s->n_conns == 1, 3000);
	assert_true(syslog_now(sh.s) >= sh.s->accept_blocked_until);
	sh_send_str(fd, MSG5424("gw-a", "pluto", "1", "accepted late") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 1, 2000);
	assert_string_equal(sh.h.v[0].msg, "accepted late");
	assert_int_equal(sh.h.cnt.input_dropped, 0);
	close(fd);
	sh_done(&sh);
}

/*
 * max_connections past the descriptor limit: clamped to the limit less
 * the reserve for ikelogd's own files, so that under a connection flood
 * the collector socket, the position file and a reload still get one.
 */
static void test_max_connections_clamped(void **state)
{
	struct sh sh = {0};
	struct rlimit old, low;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 300;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh.h.cfg.source.syslog.max_connections = 1000;
	sh_start(&sh);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(sh.s->max_conns, 300 - SYSLOG_FD_RESERVE);
	sh_done(&sh);
	/* under the limit: as configured */
	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh.h.cfg.source.syslog.max_connections = 200;
	sh_start(&sh);
	assert_int_equal(sh.s->max_conns, 200);
	sh_done(&sh);
}

/*
 * pluto's serials are per pluto process: the same serial from two gateways
 * is two IKE SAs. Interleaved on one connection, each host's lines share
 * one ike_sa_id and the hosts' ids differ.
 */
static void test_host_namespace(void **state)
{
#define L1                                                                                         \
	"\"westnet-eastnet-ipv4-psk-ikev2\" #1: initiating IKEv2 connection to 192.1.2.23 using "  \
	"UDP"
#define L2 "\"westnet-eastnet-ipv4-psk-ikev2\" #1: sent IKE_SA_INIT request to 192.1.2.23:UDP/500"
	struct sh sh = {0};
	int fd;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	set_list(&sh.h.cfg.rules, "conf/rules/libreswan.yaml");
	sh_start(&sh);
	fd = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	sh_send_str(fd, MSG5424("gw-a", "pluto", "4242", L1) "\n" MSG5424(
			    "gw-b", "pluto", "4242",
			    L1) "\n" MSG5424("gw-a", "pluto", "4242",
					     L2) "\n" MSG5424("gw-b", "pluto", "4242", L2) "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 4, 2000);
	assert_string_equal(sh.h.v[0].host, "gw-a");
	assert_string_equal(sh.h.v[1].host, "gw-b");
	assert_string_equal(sh.h.v[2].host, "gw-a");
	assert_string_equal(sh.h.v[3].host, "gw-b");
	for (int i = 0; i < 4; i++)
		assert_true(sh.sa_id[i][0] != '\0');
	assert_string_equal(sh.sa_id[0], sh.sa_id[2]);
	assert_string_equal(sh.sa_id[1], sh.sa_id[3]);
	assert_string_not_equal(sh.sa_id[0], sh.sa_id[1]);
	close(fd);
	sh_done(&sh);
#undef L1
#undef L2
}

/* Bytes that are not UTF-8, and NULs, become U+FFFD; a HOSTNAME must be printable ASCII. */
static void test_invalid_utf8_and_nul(void **state)
{
	static const char oct[] =
	    MSG5424("gw-a", "pluto", "1", "bad \xff byte, nul \0 here, cut \xe2\x82");
	static const char line[] = MSG5424("gw-a", "pluto", "1", "a\0b") "\n";
	static const char want0[] =
	    "bad \xEF\xBF\xBD byte, nul \xEF\xBF\xBD here, cut \xEF\xBF\xBD\xEF\xBF\xBD";
	struct sh sh = {0};
	int fd;

	sh_config(&sh, "test_source_syslog", tcp_udp, 1);
	sh_start(&sh);
	fd = sh_connect(SOCK_STREAM, sh_port(&sh, 0));
	sh_send_octet(fd, oct, sizeof(oct) - 1);
	sh_send(fd, line, sizeof(line) - 1);
	sh_send_str(fd, MSG5424("gw-\xff", "pluto", "1", "bad host") "\n");
	sh_send_str(fd, MSG5424("gw-a", "pluto", "1", "good again") "\n");
	SH_RUN_UNTIL(&sh, sh.h.n == 3, 2000);
	assert_int_equal(sh.h.v[0].len, sizeof(want0) - 1);
	assert_memory_equal(sh.h.v[0].msg, want0, sizeof(want0) - 1);
	assert_int_equal(sh.h.v[1].len, 5);
	assert_memory_equal(sh.h.v[1].msg,
			    "a\xEF\xBF\xBD"
			    "b",
			    5);
	assert_string_equal(sh.h.v[2].msg, "good again");
	assert_int_equal(sh.s->drops[DROP_BADMSG], 1);
	assert_int_equal(sh.h.cnt.input_dropped, 1);
	close(fd);
	sh_done(&sh);
}

/* IPv6: a sender with a nil HOSTNAME is named by its address. Skipped without ::1. */
static void test_ipv6_peer(void **state)
{
	static const char *const udp6[] = {"udp://[::1]:0"};
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sh sh = {0};
	int probe = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), u;
	bool have = probe >= 0 && bind(probe, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (probe >= 0)
		close(probe);
	if (!have)
		skip();
	sh_config(&sh, "test_source_syslog", udp6, 1);
	sh_start(&sh);
	u = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	a.sin6_port = htons((uint16_t)sh_port(&sh, 0));
	assert_int_equal(connect(u, (struct sockaddr *)&a, sizeof(a)), 0);
	sh_send_str(u, MSG5424("-", "pluto", "1", "over ipv6"));
	SH_RUN_UNTIL(&sh, sh.h.n == 1, 2000);
	assert_string_equal(sh.h.v[0].host, "::1");
	close(u);
	sh_done(&sh);
}

/* Opening fails, with a diag, for no address, a bad one, one in use, TLS without a CA. */
static void test_open_errors(void **state)
{
	struct config cfg;
	struct counters cnt = {0};
	struct diags errs = {0};
	sd_event *e = NULL;
	void *s = NULL;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	char busy[64];
	int lfd;

	config_defaults(&cfg);
	assert_int_equal(sd_event_new(&e), 0);

	set_list(&cfg.source.syslog.listen, "tcp://127.0.0.1:0");
	assert_int_equal(source_syslog_ops.open(t_source_opts(&cfg), NULL, NULL, &cnt, &s, &errs),
			 -EINVAL);
	assert_non_null(strstr(errs.v[errs.n - 1].msg, "event loop"));

	set_list(&cfg.source.syslog.listen, NULL);
	assert_int_equal(source_syslog_ops.open(t_source_opts(&cfg), e, NULL, &cnt, &s, &errs),
			 -EINVAL);
	assert_non_null(strstr(errs.v[errs.n - 1].msg, "no address"));

	errs.n = 0;
	set_list(&cfg.source.syslog.listen, "http://127.0.0.1:514");
	assert_int_equal(source_syslog_ops.open(t_source_opts(&cfg), e, NULL, &cnt, &s, &errs),
			 -EINVAL);
	assert_non_null(strstr(errs.v[errs.n - 1].msg, "http://127.0.0.1:514"));

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	snprintf(busy, sizeof(busy), "tcp://127.0.0.1:%u", ntohs(a.sin_port));
	errs.n = 0;
	set_list(&cfg.source.syslog.listen, busy);
	assert_int_equal(source_syslog_ops.open(t_source_opts(&cfg), e, NULL, &cnt, &s, &errs),
			 -EADDRINUSE);
	assert_non_null(strstr(errs.v[errs.n - 1].msg, strerror(EADDRINUSE)));
	close(lfd);

	errs.n = 0;
	set_list(&cfg.source.syslog.listen, "tls://127.0.0.1:0");
	assert_true(source_syslog_ops.open(t_source_opts(&cfg), e, NULL, &cnt, &s, &errs) < 0);
	assert_true(errs.n > 0);
	assert_null(s);

	sd_event_unref(e);
	config_done(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_frames),
	    cmocka_unit_test(test_udp),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_cut_short_at_eof),
	    cmocka_unit_test(test_backpressure),
	    cmocka_unit_test(test_bad_prefix_after_pause),
	    cmocka_unit_test(test_udp_kernel_drops),
	    cmocka_unit_test(test_connection_limit),
	    cmocka_unit_test(test_max_connections_clamped),
	    cmocka_unit_test(test_large_frame),
	    cmocka_unit_test(test_out_of_descriptors),
	    cmocka_unit_test(test_host_namespace),
	    cmocka_unit_test(test_invalid_utf8_and_nul),
	    cmocka_unit_test(test_ipv6_peer),
	    cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
