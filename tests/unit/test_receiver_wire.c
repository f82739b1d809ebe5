/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The receiver child's messages to its parent (receiver_wire.h): what the
 * child encodes the parent decodes to the same record, and the parent
 * refuses every message whose lengths do not add up, pass their bounds,
 * or hold a NUL where a C string is made of them. Hostile payloads are
 * built byte by byte here in the documented layout, not by the encoder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "receiver_wire.h"

#define MAX_LINE 1000

/* A RECORD payload: the fixed words (time, pid, priority, flags, three lengths, 0), then bytes. */
struct raw {
	char b[4096];
	size_t len;
};

static void raw_u32(struct raw *r, uint32_t v)
{
	memcpy(r->b + r->len, &v, 4);
	r->len += 4;
}

static void raw_record(struct raw *r, int64_t t, uint32_t pid, uint32_t prio, uint32_t flags,
		       uint32_t host_len, uint32_t id_len, uint32_t msg_len, const char *bytes,
		       size_t n)
{
	r->len = 0;
	memcpy(r->b, &t, 8);
	r->len = 8;
	raw_u32(r, pid);
	raw_u32(r, prio);
	raw_u32(r, flags);
	raw_u32(r, host_len);
	raw_u32(r, id_len);
	raw_u32(r, msg_len);
	raw_u32(r, 0);
	memcpy(r->b + r->len, bytes, n);
	r->len += n;
}

static int get(const struct raw *r, struct record *rec)
{
	char host[SYSLOG_HOST_MAX + 1], id[SYSLOG_EVENT_ID_MAX];

	return receiver_wire_get_record(r->b, r->len, MAX_LINE, rec, host, id);
}

static void test_record_round_trip(void **state)
{
	struct receiver_buf b = {.max = 8192};
	const char msg[] = "\"east\" #7: IKE SA established\0with a NUL";
	struct record in =
			  {
			      .msg = msg,
			      .len = sizeof(msg) - 1,
			      .realtime_usec = INT64_C(1795465558000007),
			      .host = "gw-east.test",
			      .pid = 4242,
			      .priority = 6,
			      .event_id = "0123456789abcdef-3-17",
			      .flags = RECORD_TRUNCATED,
			  },
		      out;
	char host[SYSLOG_HOST_MAX + 1], id[SYSLOG_EVENT_ID_MAX];
	const char *payload;
	uint32_t type;
	size_t plen;

	assert_int_equal(receiver_wire_put_record(&b, &in), 0);
	/* 8 header + 36 fixed + 12 host + 21 id + 40 message */
	assert_int_equal(b.len, 8 + 36 + 12 + 21 + 40);
	/* Not whole yet: one byte short. */
	assert_int_equal(receiver_wire_next(b.p, b.len - 1, 4096, &type, &payload, &plen), 0);
	assert_int_equal(receiver_wire_next(b.p, 7, 4096, &type, &payload, &plen), 0);
	assert_int_equal(receiver_wire_next(b.p, b.len, 4096, &type, &payload, &plen), (int)b.len);
	assert_int_equal(type, RECEIVER_MSG_RECORD);
	assert_int_equal(receiver_wire_get_record(payload, plen, MAX_LINE, &out, host, id), 0);
	assert_int_equal(out.len, 40);
	assert_memory_equal(out.msg, msg, 40);
	assert_true(out.realtime_usec == INT64_C(1795465558000007));
	assert_string_equal(out.host, "gw-east.test");
	assert_string_equal(out.event_id, "0123456789abcdef-3-17");
	assert_int_equal(out.pid, 4242);
	assert_int_equal(out.priority, 6);
	assert_int_equal(out.flags, RECORD_TRUNCATED);
	/* A record past max_line is refused by the parent. */
	assert_int_equal(receiver_wire_get_record(payload, plen, 39, &out, host, id), -EBADMSG);
	receiver_buf_free(&b);
}

static void test_record_hostile(void **state)
{
	struct raw r;
	struct record rec = {.len = 12345};
	char big[300];

	/* Well formed, for reference: host "gw", id "x", message "hello". */
	raw_record(&r, 1, 10, 6, 0, 2, 1, 5, "gwxhello", 8);
	assert_int_equal(get(&r, &rec), 0);
	assert_int_equal(rec.len, 5);
	assert_memory_equal(rec.msg, "hello", 5);
	assert_string_equal(rec.host, "gw");

	rec.len = 12345;
	/* Lengths that claim one byte more, or less, than the payload holds. */
	raw_record(&r, 1, 10, 6, 0, 2, 1, 6, "gwxhello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	raw_record(&r, 1, 10, 6, 0, 2, 1, 4, "gwxhello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	/* Lengths whose sum wraps 32 bits. */
	raw_record(&r, 1, 10, 6, 0, 2, 1, UINT32_MAX - 2, "gwxhello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	raw_record(&r, 1, 10, 6, 0, UINT32_MAX, 1, 8, "gwxhello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	/* A host longer than RFC 5424 allows. */
	memset(big, 'h', sizeof(big));
	raw_record(&r, 1, 10, 6, 0, 256, 0, 0, big, 256);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	raw_record(&r, 1, 10, 6, 0, 255, 0, 0, big, 255);
	assert_int_equal(get(&r, &rec), 0);
	rec.len = 12345;
	/* An event_id as long as its buffer (no room for the NUL). */
	raw_record(&r, 1, 10, 6, 0, 0, SYSLOG_EVENT_ID_MAX, 0, big, SYSLOG_EVENT_ID_MAX);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	/* A message past max_line. */
	raw_record(&r, 1, 10, 6, 0, 0, 0, MAX_LINE + 1, big, 0);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	/* NUL inside the host or the event_id, which become C strings. */
	raw_record(&r, 1, 10, 6, 0, 2, 1, 5, "g\0xhello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	raw_record(&r, 1, 10, 6, 0, 2, 1, 5, "gw\0hello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	/* Unknown flags, a severity past 7, a negative pid. */
	raw_record(&r, 1, 10, 6, 2, 2, 1, 5, "gwxhello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	raw_record(&r, 1, 10, 8, 0, 2, 1, 5, "gwxhello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	raw_record(&r, 1, (uint32_t)-5, 6, 0, 2, 1, 5, "gwxhello", 8);
	assert_int_equal(get(&r, &rec), -EBADMSG);
	/* Shorter than the fixed part. */
	r.len = 20;
	assert_int_equal(get(&r, &rec), -EBADMSG);
	/* Nothing of a refused record was taken. */
	assert_int_equal(rec.len, 12345);
}

static void test_headers(void **state)
{
	char hdr[16] = {0};
	uint32_t plen = 100, type = RECEIVER_MSG_RECORD, t;
	const char *payload;
	size_t n;

	memcpy(hdr, &plen, 4);
	memcpy(hdr + 4, &type, 4);
	/* Past the parent's bound: refused before a byte of payload is awaited. */
	assert_int_equal(receiver_wire_next(hdr, 8, 99, &t, &payload, &n), -EBADMSG);
	assert_int_equal(receiver_wire_next(hdr, 8, 100, &t, &payload, &n), 0);
	type = 0;
	memcpy(hdr + 4, &type, 4);
	assert_int_equal(receiver_wire_next(hdr, 8, 100, &t, &payload, &n), -EBADMSG);
	type = RECEIVER_MSG__MAX;
	memcpy(hdr + 4, &type, 4);
	assert_int_equal(receiver_wire_next(hdr, 8, 100, &t, &payload, &n), -EBADMSG);
	/* The bound the parent uses covers the largest record of max_line. */
	assert_true(receiver_wire_max_payload(MAX_LINE) >=
		    RECEIVER_RECORD_FIXED + SYSLOG_HOST_MAX + SYSLOG_EVENT_ID_MAX - 1 + MAX_LINE);
}

static void test_counts(void **state)
{
	struct receiver_buf b = {.max = 4096};
	struct receiver_counts in = {.input_dropped = 7,
				     .connections = 3,
				     .handshake_failures = 2,
				     .source_errors = 1},
			       out;
	const char *payload;
	uint32_t type;
	size_t plen;

	assert_int_equal(receiver_wire_put_counts(&b, &in), 0);
	assert_int_equal(receiver_wire_next(b.p, b.len, 4096, &type, &payload, &plen), 8 + 32);
	assert_int_equal(type, RECEIVER_MSG_COUNTS);
	assert_int_equal(receiver_wire_get_counts(payload, plen, &out), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(receiver_wire_get_counts(payload, plen - 1, &out), -EBADMSG);
	receiver_buf_free(&b);
}

static void test_options_round_trip(void **state)
{
	struct receiver_buf b = {.max = RECEIVER_HDR_SIZE + RECEIVER_OPTIONS_MAX};
	struct receiver_options in =
				    {
					.path = "/etc/ikelogd/ikelogd.yaml",
					.listen = {"tls://0.0.0.0:6514", "udp://[::1]:514"},
					.n_listen = 2,
					.cert_file = "/etc/ikelogd/server.pem",
					.key_file = "/etc/ikelogd/server.key",
					.require_client_cert = true,
					.permitted_peers = {"gw-east.test"},
					.n_permitted_peers = 1,
					.max_connections = 100,
					.max_frame_bytes = 8192,
					.idle_timeout_s = 30,
					.max_line_bytes = 4096,
					.log_level = 4,
				    },
				out;
	const char *payload;
	uint32_t type;
	size_t plen;
	char *copy;

	assert_int_equal(receiver_wire_put_options(&b, &in), 0);
	assert_true(receiver_wire_next(b.p, b.len, RECEIVER_OPTIONS_MAX, &type, &payload, &plen) >
		    0);
	assert_int_equal(type, RECEIVER_MSG_OPTIONS);
	assert_int_equal(receiver_wire_get_options(payload, plen, &out), 0);
	assert_string_equal(out.path, in.path);
	assert_int_equal(out.n_listen, 2);
	assert_string_equal(out.listen[1], "udp://[::1]:514");
	assert_null(out.ca_file);
	assert_null(out.app_name);
	assert_string_equal(out.key_file, in.key_file);
	assert_true(out.require_client_cert);
	assert_false(out.host_from_cert);
	assert_string_equal(out.permitted_peers[0], "gw-east.test");
	assert_int_equal(out.max_frame_bytes, 8192);
	assert_int_equal(out.max_line_bytes, 4096);
	assert_int_equal(out.log_level, 4);
	/* A string without its NUL, and a list longer than it can be. */
	copy = malloc(plen);
	memcpy(copy, payload, plen);
	copy[plen - 1] = 'x'; /* the last string (path) loses its NUL */
	assert_int_equal(receiver_wire_get_options(copy, plen, &out), -EBADMSG);
	memcpy(copy, payload, plen);
	copy[0] = RECEIVER_LIST_MAX + 1;
	assert_int_equal(receiver_wire_get_options(copy, plen, &out), -EBADMSG);
	assert_int_equal(receiver_wire_get_options(payload, plen - 1, &out), -EBADMSG);
	free(copy);
	receiver_buf_free(&b);
}

static void test_buf_bound(void **state)
{
	struct receiver_buf b = {.max = 100};
	struct record rec = {.msg = "0123456789012345678901234567890123456789012345678901234567",
			     .len = 58,
			     .host = "gw"};

	/* 8 + 36 + 2 + 58 = 104: past max, and nothing half written. */
	assert_int_equal(receiver_wire_put_record(&b, &rec), -ENOBUFS);
	assert_int_equal(b.len, 0);
	rec.len = 54;
	assert_int_equal(receiver_wire_put_record(&b, &rec), 0);
	assert_int_equal(b.len, 100);
	receiver_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record_round_trip),
	    cmocka_unit_test(test_record_hostile),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_options_round_trip),
	    cmocka_unit_test(test_buf_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
