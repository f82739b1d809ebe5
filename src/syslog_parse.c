/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "normalize.h"
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

/* PRINTUSASCII of RFC 5424: %d33-126. */
static bool is_print(char c)
{
	return (unsigned char)c >= 33 && (unsigned char)c <= 126;
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
	if (eof && len > 0)
		frame_msg(ret, 0, trim_end(buf, len), len);
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

/* Reads exactly n digits at *p into *ret. */
static bool take_num(const char **p, const char *end, size_t n, int *ret)
{
	int v = 0;
	size_t i;

	if ((size_t)(end - *p) < n)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static bool take_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* ".ddd...": up to 9 digits read, the first 6 kept as microseconds. */
static bool take_fraction(const char **p, const char *end, int64_t *ret_usec)
{
	int64_t us = 0;
	int n = 0;

	*ret_usec = 0;
	if (*p >= end || **p != '.')
		return true;
	(*p)++;
	while (*p < end && is_digit(**p)) {
		if (n >= 9)
			return false;
		if (n < 6)
			us = us * 10 + (**p - '0');
		n++;
		(*p)++;
	}
	if (n == 0)
		return false;
	for (; n < 6; n++)
		us *= 10;
	*ret_usec = us;
	return true;
}

static int days_in_month(int year, int mon)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

int syslog_parse_rfc3339(const char *s, size_t len, int64_t *ret_usec)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac, t;
	struct tm tm;

	if (!take_num(&p, end, 4, &y) || !take_char(&p, end, '-') || !take_num(&p, end, 2, &mo) ||
	    !take_char(&p, end, '-') || !take_num(&p, end, 2, &d))
		return -EINVAL;
	if (p >= end || (*p != 'T' && *p != 't'))
		return -EINVAL;
	p++;
	if (!take_num(&p, end, 2, &h) || !take_char(&p, end, ':') || !take_num(&p, end, 2, &mi) ||
	    !take_char(&p, end, ':') || !take_num(&p, end, 2, &sec) ||
	    !take_fraction(&p, end, &frac))
		return -EINVAL;
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (!take_num(&p, end, 2, &oh) || !take_char(&p, end, ':') ||
		    !take_num(&p, end, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return -EINVAL;
	tm = (struct tm){.tm_year = y - 1900,
			 .tm_mon = mo - 1,
			 .tm_mday = d,
			 .tm_hour = h,
			 .tm_min = mi,
			 .tm_sec = sec};
	t = (int64_t)timegm(&tm);
	t -= sign * (oh * 3600 + om * 60);
	if (t < 0)
		return -EINVAL;
	*ret_usec = t * 1000000 + frac;
	return (int)(p - s);
}

/* "Mmm dd hh:mm:ss[.frac]", the day space-padded, in local time, year from now_usec. */
static int parse_bsd_time(const char *s, size_t len, int64_t now_usec, int64_t *ret_usec)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = s, *end = s + len;
	int mon, d, h, mi, sec;
	int64_t frac;
	time_t now = (time_t)(now_usec / 1000000), t;
	struct tm tm, nowtm;

	if (len < 15)
		return -EINVAL;
	for (mon = 0; mon < 12; mon++)
		if (memcmp(p, months + 3 * mon, 3) == 0)
			break;
	if (mon == 12 || p[3] != ' ')
		return -EINVAL;
	p += 4;
	if (*p == ' ') {
		p++;
		if (!take_num(&p, end, 1, &d))
			return -EINVAL;
	} else if (!take_num(&p, end, 2, &d)) {
		return -EINVAL;
	}
	if (!take_char(&p, end, ' ') || !take_num(&p, end, 2, &h) || !take_char(&p, end, ':') ||
	    !take_num(&p, end, 2, &mi) || !take_char(&p, end, ':') || !take_num(&p, end, 2, &sec) ||
	    !take_fraction(&p, end, &frac))
		return -EINVAL;
	if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	if (!localtime_r(&now, &nowtm))
		return -EINVAL;
	/* The newest of next, this and last year not more than a day ahead. */
	for (int dy = 1; dy >= -1; dy--) {
		tm = (struct tm){.tm_year = nowtm.tm_year + dy,
				 .tm_mon = mon,
				 .tm_mday = d,
				 .tm_hour = h,
				 .tm_min = mi,
				 .tm_sec = sec,
				 .tm_isdst = -1};
		t = mktime(&tm);
		if (t != (time_t)-1 && t <= now + 86400)
			break;
	}
	if (t == (time_t)-1 || t < 0)
		return -EINVAL;
	*ret_usec = (int64_t)t * 1000000 + frac;
	return (int)(p - s);
}

/* A field of PRINTUSASCII, 1..max bytes, ended by SP or the end. "-" is absent. */
static bool take_token(const char **p, const char *end, size_t max, const char **ret,
		       size_t *ret_len)
{
	const char *s = *p;

	while (*p < end && is_print(**p))
		(*p)++;
	if (*p == s || (size_t)(*p - s) > max)
		return false;
	if (*p < end && **p != ' ')
		return false;
	if (*p - s == 1 && *s == '-') {
		*ret = NULL;
		*ret_len = 0;
	} else {
		*ret = s;
		*ret_len = (size_t)(*p - s);
	}
	return true;
}

static int to_pid(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 9)
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return (int)v;
}

/* STRUCTURED-DATA: "-" or one or more [ID PARAM="VALUE"...] with \" \] \\ escapes. */
static bool skip_sd(const char **p, const char *end)
{
	if (*p < end && **p == '-') {
		(*p)++;
		return true;
	}
	if (*p >= end || **p != '[')
		return false;
	while (*p < end && **p == '[') {
		bool quoted = false;

		(*p)++;
		for (;;) {
			if (*p >= end)
				return false;
			if (quoted) {
				if (**p == '\\' && *p + 1 < end)
					(*p)++;
				else if (**p == '"')
					quoted = false;
			} else if (**p == '"') {
				quoted = true;
			} else if (**p == ']') {
				(*p)++;
				break;
			}
			(*p)++;
		}
	}
	return true;
}

static void take_body(const char *p, const char *end, struct syslog_msg *m)
{
	if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	m->body = p;
	m->body_len = (size_t)(end - p);
}

static int parse_5424(const char *p, const char *end, struct syslog_msg *m)
{
	const char *procid, *msgid;
	size_t procid_len, msgid_len;
	int r;

	m->format = SYSLOG_FORMAT_5424;
	if (p < end && *p == '-') {
		p++;
	} else {
		r = syslog_parse_rfc3339(p, (size_t)(end - p), &m->realtime_usec);
		if (r < 0)
			return -EBADMSG;
		p += r;
	}
	if (!take_char(&p, end, ' ') ||
	    !take_token(&p, end, SYSLOG_HOST_MAX, &m->host, &m->host_len) ||
	    !take_char(&p, end, ' ') ||
	    !take_token(&p, end, SYSLOG_APP_MAX, &m->app, &m->app_len) ||
	    !take_char(&p, end, ' ') || !take_token(&p, end, 128, &procid, &procid_len) ||
	    !take_char(&p, end, ' ') || !take_token(&p, end, 32, &msgid, &msgid_len) ||
	    !take_char(&p, end, ' ') || !skip_sd(&p, end))
		return -EBADMSG;
	m->pid = to_pid(procid, procid_len);
	if (p < end && !take_char(&p, end, ' '))
		return -EBADMSG;
	take_body(p, end, m);
	return 0;
}

static int parse_3164(const char *p, const char *end, int64_t now_usec, struct syslog_msg *m)
{
	const char *tag;
	int r;

	m->format = SYSLOG_FORMAT_3164;
	if (p < end && is_digit(*p))
		r = syslog_parse_rfc3339(p, (size_t)(end - p), &m->realtime_usec);
	else
		r = parse_bsd_time(p, (size_t)(end - p), now_usec, &m->realtime_usec);
	if (r < 0)
		return -EBADMSG;
	p += r;
	if (!take_char(&p, end, ' ') ||
	    !take_token(&p, end, SYSLOG_HOST_MAX, &m->host, &m->host_len) || !m->host ||
	    !take_char(&p, end, ' '))
		return -EBADMSG;
	tag = p;
	while (p < end && is_print(*p) && *p != '[' && *p != ':')
		p++;
	if (p == tag || (size_t)(p - tag) > SYSLOG_APP_MAX)
		return -EBADMSG;
	m->app = tag;
	m->app_len = (size_t)(p - tag);
	if (p < end && *p == '[') {
		const char *pid = ++p;

		while (p < end && *p != ']' && p - pid <= 128)
			p++;
		if (p >= end || *p != ']')
			return -EBADMSG;
		m->pid = to_pid(pid, (size_t)(p - pid));
		p++;
	}
	take_char(&p, end, ':');
	take_char(&p, end, ' ');
	take_body(p, end, m);
	return 0;
}

int syslog_parse(const char *buf, size_t len, int64_t now_usec, struct syslog_msg *ret)
{
	struct syslog_msg m = {0};
	const char *p = buf, *end = buf + len;
	int pri = 0, digits = 0, r;

	if (!take_char(&p, end, '<'))
		return -EBADMSG;
	while (p < end && is_digit(*p) && digits < 3) {
		pri = pri * 10 + (*p - '0');
		p++;
		digits++;
	}
	if (digits == 0 || pri > 191 || !take_char(&p, end, '>'))
		return -EBADMSG;
	m.pri = pri;
	if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
		r = parse_5424(p + 2, end, &m);
	else
		r = parse_3164(p, end, now_usec, &m);
	if (r < 0)
		return r;
	*ret = m;
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

int syslog_digest(const char *host, size_t host_len, int64_t realtime_usec, const char *msg,
		  size_t len, uint8_t ret[SYSLOG_DIGEST_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char ts[24];
	int n, r = -EIO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	n = snprintf(ts, sizeof(ts), "%lld", (long long)realtime_usec);
	/* NUL separators: no host/time/message split can collide with another. */
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, host ? host : "", host ? host_len : 0) != 1 ||
	    EVP_DigestUpdate(ctx, "", 1) != 1 || EVP_DigestUpdate(ctx, ts, (size_t)n + 1) != 1 ||
	    EVP_DigestUpdate(ctx, msg, len) != 1 || EVP_DigestFinal_ex(ctx, md, &md_len) != 1 ||
	    md_len < SYSLOG_DIGEST_LEN)
		goto out;
	memcpy(ret, md, SYSLOG_DIGEST_LEN);
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

void syslog_event_id(const uint8_t digest[SYSLOG_DIGEST_LEN], unsigned occurrence,
		     char buf[SYSLOG_EVENT_ID_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SYSLOG_DIGEST_LEN; i++) {
		buf[2 * i] = hex[digest[i] >> 4];
		buf[2 * i + 1] = hex[digest[i] & 15];
	}
	snprintf(buf + 2 * SYSLOG_DIGEST_LEN, SYSLOG_EVENT_ID_MAX - 2 * SYSLOG_DIGEST_LEN, "-%u",
		 occurrence);
}

unsigned syslog_recent_count(struct syslog_recent *r, const uint8_t digest[SYSLOG_DIGEST_LEN])
{
	uint64_t v;
	unsigned n = 0;

	memcpy(&v, digest, sizeof(v));
	/* 0 marks an empty slot: no digest may be 0. */
	v |= 1;
	for (unsigned i = 0; i < SYSLOG_RECENT; i++)
		n += r->v[i] == v;
	r->v[r->pos] = v;
	r->pos = (r->pos + 1) % SYSLOG_RECENT;
	return n;
}

int syslog_to_record(struct syslog_to_record *x, const char *buf, size_t len, const char *peer,
		     int64_t now_usec, struct syslog_recent *recent, struct record *ret)
{
	struct syslog_msg m;
	struct record rec = {.priority = -1};
	struct prefix pfx;
	uint8_t digest[SYSLOG_DIGEST_LEN];
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
	normalize_parse_prefix(body, n, now_usec, &pfx);
	if (pfx.kind != PREFIX_NONE && pfx.body_off <= n) {
		body += pfx.body_off;
		n -= pfx.body_off;
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
	if (syslog_digest(x->host, strlen(x->host), rec.realtime_usec, body, n, digest) == 0) {
		syslog_event_id(digest, syslog_recent_count(recent, digest), x->event_id);
		rec.event_id = x->event_id;
	}
	rec.msg = body;
	rec.len = n;
	rec.host = x->host;
	rec.priority = m.pri & 7;
	*ret = rec;
	return 0;
}
