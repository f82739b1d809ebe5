/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for what the syslog listener does with a sender's
 * bytes: the framer (fed in chunks whose sizes come from the input, as
 * reads would split it), the RFC 5424/3164 parser on every frame, the
 * UTF-8 sanitiser and the listen address parser. Checks the invariants
 * the listener relies on, not just the absence of crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslog_parse.h"

#define MAX_FRAME 512

static void check(int cond)
{
	if (!cond)
		abort();
}

static void on_message(const char *msg, size_t len)
{
	struct syslog_msg m;
	static char clean[3 * 4096], again[3 * 3 * 4096];
	size_t n, n2, rep, rep2;

	if (syslog_parse(msg, len, 1795478400LL * 1000000, &m) == 0) {
		check(m.pri >= 0 && m.pri <= 191);
		check(!m.host || (m.host >= msg && m.host + m.host_len <= msg + len));
		check(!m.app || (m.app >= msg && m.app + m.app_len <= msg + len));
		check(m.body >= msg && m.body + m.body_len <= msg + len);
		check(m.host_len <= SYSLOG_HOST_MAX && m.app_len <= SYSLOG_APP_MAX);
		for (size_t i = 0; i < m.host_len; i++)
			check(m.host[i] > ' ' && m.host[i] < 127);
	}
	if (len > 4096)
		return;
	/* The record the listener would submit: inside scratch, within max_line. */
	{
		static char scratch[3 * 4096];
		static struct syslog_origin origin;
		struct syslog_to_record x = {.app_name = "pluto",
					     .max_line = 100,
					     .scratch = scratch,
					     .scratch_size = sizeof(scratch)};
		struct record rec;

		if (syslog_to_record(&x, msg, len, "192.0.2.1", 1795478400LL * 1000000, &origin,
				     &rec) == 0) {
			check(rec.msg >= scratch && rec.msg + rec.len <= scratch + sizeof(scratch));
			check(rec.len <= x.max_line);
			check(rec.host == x.host && strlen(rec.host) <= SYSLOG_HOST_MAX);
			check(rec.priority >= 0 && rec.priority <= 7);
		}
	}
	/* Sanitised text is valid UTF-8: sanitising it again changes nothing. */
	n = syslog_sanitize_utf8(msg, len, clean, &rep);
	check(n <= 3 * len && n >= len - rep);
	n2 = syslog_sanitize_utf8(clean, n, again, &rep2);
	check(rep2 == 0 && n2 == n && memcmp(clean, again, n) == 0);
	check(memchr(clean, '\0', n) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syslog_framer f;
	struct syslog_frame fr;
	char *buf, *spec;
	size_t cap, len = 0, pos = 0;
	unsigned step;
	struct syslog_listen l;

	if (size < 1)
		return 0;
	step = data[0] % 64 + 1;
	data++;
	size--;

	spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (syslog_listen_parse(spec, &l) == 0) {
		check(l.transport < SYSLOG_TRANSPORT__MAX);
		check(strlen(l.port) > 0);
	}
	free(spec);

	on_message((const char *)data, size);

	/* The listener's loop: a bounded buffer, filled in reads of `step` bytes. */
	syslog_framer_init(&f, MAX_FRAME);
	cap = syslog_framer_buffer_size(&f);
	buf = malloc(cap);
	if (!buf)
		return 0;
	for (;;) {
		size_t n = size - pos < step ? size - pos : step;
		bool eof;

		if (n > cap - len)
			n = cap - len;
		memcpy(buf + len, data + pos, n);
		len += n;
		pos += n;
		eof = pos == size;
		for (;;) {
			syslog_framer_next(&f, buf, len, eof, &fr);
			check(fr.consumed <= len);
			if (fr.kind == SYSLOG_FRAME_FATAL)
				goto out;
			if (fr.kind == SYSLOG_FRAME_MSG) {
				check(fr.off + fr.len <= len && fr.len <= MAX_FRAME);
				check(fr.consumed > 0);
				on_message(buf + fr.off, fr.len);
			}
			memmove(buf, buf + fr.consumed, len - fr.consumed);
			len -= fr.consumed;
			if (fr.kind == SYSLOG_FRAME_MORE && fr.consumed == 0)
				break;
		}
		/* The framer never leaves a full buffer waiting: it would deadlock the listener. */
		check(len < cap);
		if (eof)
			break;
	}
	/* At EOF everything is consumed, save a prefix of digits too short to judge. */
	check(len == 0 || f.skip_left == 0);
out:
	free(buf);
	return 0;
}
