/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"
#include "syslog_parse.h"

/* A length prefix past this is no frame any sender means: the stream is garbage. */
#define OCTET_ABSURD	  (1ull << 30)
#define MAX_FRAME_DEFAULT 65536

static const char *const transport_names[SYSLOG_TRANSPORT__MAX] = {
    [SYSLOG_TLS] = "tls",
    [SYSLOG_TCP] = "tcp",
    [SYSLOG_UDP] = "udp",
};
_Static_assert(sizeof(transport_names) / sizeof(transport_names[0]) == SYSLOG_TRANSPORT__MAX,
	       "transport_names covers the enum");

const char *syslog_transport_name(enum syslog_transport t)
{
	return (unsigned)t < SYSLOG_TRANSPORT__MAX ? transport_names[t] : "?";
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int syslog_listen_parse(const char *s, struct syslog_listen *ret)
{
	struct syslog_listen l = {0};
	const char *rest = NULL, *host, *port;
	size_t host_len;
	unsigned long pnum;
	char *end;
	int t;

	if (!s)
		return -EINVAL;
	for (t = 0; t < SYSLOG_TRANSPORT__MAX; t++) {
		size_t n = strlen(transport_names[t]);

		if (strncmp(s, transport_names[t], n) == 0 && strncmp(s + n, "://", 3) == 0) {
			l.transport = t;
			rest = s + n + 3;
			break;
		}
	}
	if (!rest)
		return -EINVAL;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		host = rest + 1;
		host_len = (size_t)(close - host);
		port = close + 2;
	} else {
		const char *colon = strrchr(rest, ':');

		if (!colon || memchr(rest, ':', (size_t)(colon - rest)))
			return -EINVAL;
		host = rest;
		host_len = (size_t)(colon - rest);
		port = colon + 1;
	}
	if (host_len >= sizeof(l.host))
		return -EINVAL;
	if (!is_digit(port[0]) || strlen(port) >= sizeof(l.port))
		return -EINVAL;
	errno = 0;
	pnum = strtoul(port, &end, 10);
	if (errno || *end || pnum == 0 || pnum > 65535)
		return -EINVAL;
	if (!(host_len == 1 && host[0] == '*'))
		memcpy(l.host, host, host_len);
	snprintf(l.port, sizeof(l.port), "%lu", pnum);
	*ret = l;
	return 0;
}

void syslog_framer_init(struct syslog_framer *f, size_t max_frame)
{
	*f = (struct syslog_framer){.max_frame = max_frame ? max_frame : MAX_FRAME_DEFAULT};
}

size_t syslog_framer_buffer_size(const struct syslog_framer *f)
{
	return SYSLOG_OCTET_DIGITS_MAX + 1 + f->max_frame + 1;
}

/* Trailing LF, CR and NUL are framing, not message. */
static size_t trim_end(const char *p, size_t len)
{
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == '\0'))
		len--;
	return len;
}

static void frame_msg(struct syslog_frame *ret, size_t off, size_t len, size_t consumed)
{
	ret->kind = SYSLOG_FRAME_MSG;
	ret->off = off;
	ret->len = len;
	ret->consumed = consumed;
	/* An empty frame carries nothing: consume it without a word. */
	if (len == 0)
		ret->kind = SYSLOG_FRAME_MORE;
}

static void frame_octet(struct syslog_framer *f, const char *buf, size_t len, size_t digits,
			bool eof, struct syslog_frame *ret)
{
	uint64_t n = 0;
	size_t i, have;

	for (i = 0; i < digits; i++)
		n = n * 10 + (uint64_t)(buf[i] - '0');
	if (n > OCTET_ABSURD) {
		ret->kind = SYSLOG_FRAME_FATAL;
		return;
	}
	have = len - digits - 1;
	if (n > f->max_frame) {
		/* Discard the whole frame, counted once, skipping what is here now. */
		size_t now = have < n ? have : (size_t)n;

		f->skip_left = n - now;
		ret->kind = SYSLOG_FRAME_DROPPED;
		ret->consumed = digits + 1 + now;
		return;
	}
	if (have >= n) {
		frame_msg(ret, digits + 1, trim_end(buf + digits + 1, (size_t)n),
			  digits + 1 + (size_t)n);
		return;
	}
	if (eof) {
		/* The length prefix promised more than the sender gave. */
		ret->kind = SYSLOG_FRAME_DROPPED;
		ret->consumed = len;
	}
}

static void frame_line(struct syslog_framer *f, const char *buf, size_t len, bool eof,
		       struct syslog_frame *ret)
{
	const char *lf = memchr(buf, '\n', len);
	size_t k;

	if (lf) {
		k = (size_t)(lf - buf);
		if (k > f->max_frame) {
			ret->kind = SYSLOG_FRAME_DROPPED;
			ret->consumed = k + 1;
			return;
		}
		frame_msg(ret, 0, trim_end(buf, k), k + 1);
		return;
	}
	if (len > f->max_frame) {
		/* No end in sight: drop what we have and the rest of the line as it comes. */
		f->skip_line = true;
		ret->kind = SYSLOG_FRAME_DROPPED;
		ret->consumed = len;
		return;
	}
	if (eof && len > 0) {
		/*
		 * No LF before the sender closed: the line may have been cut
		 * anywhere (a reset, a sender killed mid-write), and a cut
		 * message read as whole is a wrong event. Dropped as partial,
		 * like a short octet-counted frame; trailing CR/NUL only is
		 * nothing.
		 */
		frame_msg(ret, 0, 0, len);
		if (trim_end(buf, len) > 0)
			ret->kind = SYSLOG_FRAME_DROPPED;
	}
}

void syslog_framer_next(struct syslog_framer *f, const char *buf, size_t len, bool eof,
			struct syslog_frame *ret)
{
	size_t digits = 0;

	*ret = (struct syslog_frame){.kind = SYSLOG_FRAME_MORE};
	if (f->skip_left > 0) {
		size_t n = f->skip_left < len ? (size_t)f->skip_left : len;

		f->skip_left -= n;
		ret->consumed = n;
		return;
	}
	if (f->skip_line) {
		const char *lf = memchr(buf, '\n', len);

		if (lf) {
			f->skip_line = false;
			ret->consumed = (size_t)(lf - buf) + 1;
		} else {
			ret->consumed = len;
		}
		return;
	}
	if (len == 0)
		return;
	while (digits < len && digits <= SYSLOG_OCTET_DIGITS_MAX && is_digit(buf[digits]))
		digits++;
	if (digits > SYSLOG_OCTET_DIGITS_MAX) {
		ret->kind = SYSLOG_FRAME_FATAL;
		return;
	}
	if (digits > 0 && digits == len) {
		/* Only the start of a length prefix so far. */
		if (eof) {
			ret->kind = SYSLOG_FRAME_DROPPED;
			ret->consumed = len;
		}
		return;
	}
	if (digits > 0 && buf[digits] == ' ') {
		frame_octet(f, buf, len, digits, eof, ret);
		return;
	}
	frame_line(f, buf, len, eof, ret);
}

int syslog_parse(const char *buf, size_t len, int64_t now_usec, struct syslog_msg *ret)
{
	struct envelope e;
	const char *body;

	/* The header is the envelope's log prefix, read strictly; a PRI is required. */
	envelope_log_prefix(buf, len, now_usec, true, &e);
	if (e.pri < 0 || (e.log != ENVELOPE_LOG_5424 && e.log != ENVELOPE_LOG_SYSLOG))
		return -EBADMSG;
	body = buf + e.msg_off;
	if (len - e.msg_off >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
		body += 3;
	*ret = (struct syslog_msg){
	    .format = e.log == ENVELOPE_LOG_5424 ? SYSLOG_FORMAT_5424 : SYSLOG_FORMAT_3164,
	    .pri = e.pri,
	    .realtime_usec = e.realtime_usec,
	    .host = e.host,
	    .host_len = e.host_len,
	    .app = e.app,
	    .app_len = e.app_len,
	    .pid = e.pid,
	    .body = body,
	    .body_len = (size_t)(buf + len - body),
	};
	return 0;
}

static size_t put_fffd(char *dst)
{
	memcpy(dst, "\xEF\xBF\xBD", 3);
	return 3;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_valid(const unsigned char *s, size_t len)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

size_t syslog_sanitize_utf8(const char *src, size_t len, char *dst, size_t *ret_replaced)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, replaced = 0;

	while (i < len) {
		size_t n = utf8_valid(s + i, len - i);

		if (n == 0) {
			o += put_fffd(dst + o);
			replaced++;
			i++;
			continue;
		}
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
	}
	*ret_replaced = replaced;
	return o;
}

unsigned syslog_max_connections(unsigned configured, unsigned long long nofile)
{
	unsigned long long room = nofile > SYSLOG_FD_RESERVE ? nofile - SYSLOG_FD_RESERVE : 1;

	return configured > room ? (unsigned)room : configured;
}

void syslog_event_id(uint64_t instance, uint64_t serial, uint64_t ordinal,
		     char buf[SYSLOG_EVENT_ID_MAX])
{
	snprintf(buf, SYSLOG_EVENT_ID_MAX, "%016" PRIx64 "-%" PRIu64 "-%" PRIu64, instance, serial,
		 ordinal);
}

int syslog_to_record(struct syslog_to_record *x, const char *buf, size_t len, const char *peer,
		     int64_t now_usec, struct syslog_origin *origin, struct record *ret)
{
	struct syslog_msg m;
	struct record rec = {.priority = -1};
	struct envelope pfx;
	uint64_t ordinal = ++origin->ordinal;
	const char *body;
	size_t n, replaced;

	if (syslog_parse(buf, len, now_usec, &m) < 0)
		return -EBADMSG;
	if (!m.app || m.app_len != strlen(x->app_name) ||
	    memcmp(m.app, x->app_name, m.app_len) != 0)
		return -ENOENT;
	/*
	 * rsyslog keeps the space after "pluto[123]:" of a local message in
	 * its msg property, so RFC 5424 templates forward it; pluto's own
	 * lines never start with one.
	 */
	while (m.body_len > 0 && m.body[0] == ' ') {
		m.body++;
		m.body_len--;
	}
	if (m.body_len > x->scratch_size / 3)
		return -ENOBUFS;
	/* HOSTNAME is printable ASCII (the parser checked); nil means the peer's address. */
	if (m.host) {
		memcpy(x->host, m.host, m.host_len);
		x->host[m.host_len] = '\0';
	} else {
		snprintf(x->host, sizeof(x->host), "%s", peer ? peer : "");
	}
	n = syslog_sanitize_utf8(m.body, m.body_len, x->scratch, &replaced);
	body = x->scratch;
	rec.realtime_usec = m.realtime_usec;
	rec.pid = m.pid;
	/* imfile forwards pluto's logfile lines with their time prefix: pluto's time is the
	 * event's. */
	envelope_log_prefix(body, n, now_usec, false, &pfx);
	if (pfx.log != ENVELOPE_LOG_NONE && pfx.msg_off <= n) {
		body += pfx.msg_off;
		n -= pfx.msg_off;
		if (pfx.realtime_usec)
			rec.realtime_usec = pfx.realtime_usec;
		if (pfx.pid)
			rec.pid = pfx.pid;
	}
	if (n > x->max_line) {
		/* Cut on a character boundary. */
		n = x->max_line;
		while (n > 0 && ((unsigned char)body[n] & 0xC0) == 0x80)
			n--;
		rec.flags |= RECORD_TRUNCATED;
	}
	/*
	 * Not from the content: two distinct messages may be identical
	 * (same second, same text), and a collector that drops duplicates
	 * by id would merge them.
	 */
	syslog_event_id(x->instance, origin->serial, ordinal, x->event_id);
	rec.event_id = x->event_id;
	rec.msg = body;
	rec.len = n;
	rec.host = x->host;
	rec.priority = m.pri & 7;
	*ret = rec;
	return 0;
}
