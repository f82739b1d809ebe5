/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for what the daemon does with the bytes a receiver
 * child (treated as hostile) writes to the socketpair: message headers,
 * records, counters, and the options message the child reads. Checks
 * the invariants the parent relies on: a message never reaches past the
 * bytes given, a record's strings are NUL-free C strings within their
 * bounds, its message lies inside the payload and within max_line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "receiver_wire.h"

#define MAX_LINE 300

static void check(int cond)
{
	if (!cond)
		abort();
}

static void on_message(uint32_t type, const char *p, size_t plen)
{
	char host[SYSLOG_HOST_MAX + 1], id[SYSLOG_EVENT_ID_MAX];
	struct receiver_options o;
	struct receiver_counts c;
	struct record rec;

	if (receiver_wire_get_record(p, plen, MAX_LINE, &rec, host, id) == 0) {
		check(type != 0);
		check(rec.len <= MAX_LINE);
		check(rec.msg >= p && rec.msg + rec.len <= p + plen);
		check(!rec.host || (rec.host == host && strlen(host) <= SYSLOG_HOST_MAX));
		check(!rec.event_id || strlen(id) < SYSLOG_EVENT_ID_MAX);
		check(rec.priority >= -1 && rec.priority <= 7 && rec.pid >= 0);
		check((rec.flags & ~(unsigned)RECORD_TRUNCATED) == 0);
	}
	(void)receiver_wire_get_counts(p, plen, &c);
	if (receiver_wire_get_options(p, plen, &o) == 0) {
		check(o.n_listen <= RECEIVER_LIST_MAX && o.n_permitted_peers <= RECEIVER_LIST_MAX);
		for (size_t i = 0; i < o.n_listen; i++)
			check(o.listen[i] >= p && o.listen[i] + strlen(o.listen[i]) < p + plen);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t pos = 0;

	for (;;) {
		const char *payload;
		uint32_t type;
		size_t plen;
		int r =
		    receiver_wire_next(buf + pos, size - pos, receiver_wire_max_payload(MAX_LINE),
				       &type, &payload, &plen);

		if (r <= 0)
			break;
		check((size_t)r <= size - pos && payload + plen == buf + pos + r);
		check(plen <= receiver_wire_max_payload(MAX_LINE));
		on_message(type, payload, plen);
		pos += (size_t)r;
	}
	return 0;
}
