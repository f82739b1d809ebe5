/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the status parsers on hostile text: whack output
 * (a snapshot of one text, then of two halves), a certutil listing and
 * certificate, an audit record. Checks what they promise besides not
 * crashing: every event a snapshot emits has a type of the snapshot's
 * and a stamp; the counts add up to the events; a parsed record has its
 * type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit_rec.h"
#include "event.h"
#include "status.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

static uint64_t seen;

static int emit(void *ud, struct event *ev)
{
	const char *t = event_str(ev, F_EVENT_TYPE, NULL);

	check(t && (strcmp(t, "tunnel_status") == 0 || strcmp(t, "sa_status") == 0 ||
		    strcmp(t, "unparsed") == 0 || strcmp(t, "tunnel_up") == 0 ||
		    strcmp(t, "tunnel_down") == 0));
	check(event_has(ev, F_EVENT_ID) && event_has(ev, F_TIMESTAMP));
	if (event_has(ev, F_BYTES_IN))
		check(event_int(ev, F_BYTES_IN, -1) >= 0);
	seen++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct status_parser *p;
	static struct status_tracker *t;
	static struct audit_rec *a;
	static struct event ev;
	const char *s = (const char *)data;
	struct status_counts c;
	char **nicks = NULL;
	size_t n = 0;

	if (!p) {
		check(status_parser_new(&p) == 0 && status_tracker_new(64, &t) == 0);
		check(audit_rec_new(&a) == 0 && event_init(&ev, 65536) == 0);
	}
	seen = 0;
	status_tracker_begin(t);
	check(status_snapshot(p, s, size, NULL, 0, 1700000000000000, &ev, emit, NULL, t, &c) == 0);
	check(seen == c.states + c.tunnels + c.unparsed);
	check(status_tracker_end(t, 1700000000000000, &ev, emit, NULL) >= 0);
	check(status_snapshot(p, s, size / 2, s + size / 2, size - size / 2, 1700000000000000, &ev,
			      emit, NULL, NULL, &c) == 0);
	if (status_certs_list(s, size, &nicks, &n) == 0)
		status_certs_list_free(nicks, n);
	event_reset(&ev);
	(void)status_cert_parse(s, size, 1700000000, &ev);
	event_reset(&ev);
	if (audit_rec_parse(a, s, size, &ev) == 1)
		check(event_has(&ev, F_EVENT_TYPE) && event_has(&ev, F_RESULT));
	return 0;
}
