/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "encode.h"

/*
 * RFC 5424 field limits (section 6): PRINTUSASCII runs of at most these
 * many octets. Longer values are cut, characters outside 33..126 become
 * '_' so that a hostile hostname or event type cannot break the header.
 */
#define HOSTNAME_MAX  255
#define APP_NAME_MAX  48
#define PROCID_MAX    128
#define MSGID_MAX     32
#define TIMESTAMP_MAX 64

static const struct {
	const char *name;
	int value;
} severity_names[] = {
    {"emerg", 0}, {"emergency", 0},	{"alert", 1},	{"crit", 2}, {"critical", 2},
    {"err", 3},	  {"error", 3},		{"warning", 4}, {"warn", 4}, {"notice", 5},
    {"info", 6},  {"informational", 6}, {"debug", 7},
};

int encode_severity_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(severity_names) / sizeof(severity_names[0]); i++)
		if (strcasecmp(name, severity_names[i].name) == 0)
			return severity_names[i].value;
	return -EINVAL;
}

/* A bounded writer: pos counts what would have been written, so overflow is seen once at the end.
 */
struct out {
	char *buf;
	size_t size;
	size_t pos;
};

static void out_bytes(struct out *o, const char *s, size_t len)
{
	if (o->pos < o->size) {
		size_t n = o->size - o->pos < len ? o->size - o->pos : len;
		memcpy(o->buf + o->pos, s, n);
	}
	o->pos += len;
}

static void out_str(struct out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

/* One header field: NILVALUE when empty, PRINTUSASCII only, at most max octets. */
static void out_field(struct out *o, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0) {
		out_bytes(o, "-", 1);
		return;
	}
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char ch = (c >= 33 && c <= 126) ? (char)c : '_';
		out_bytes(o, &ch, 1);
	}
}

static void out_sd_param(struct out *o, const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '"' || v[i] == '\\' || v[i] == ']')
			out_bytes(o, "\\", 1);
		out_bytes(o, &v[i], 1);
	}
}

ssize_t encode_sd_param(const char *value, size_t len, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};

	out_sd_param(&o, value, len);
	if (o.pos > size)
		return -ENOSPC;
	return (ssize_t)o.pos;
}

ssize_t encode_octet_prefix(size_t len, char *buf, size_t size)
{
	char num[24], *p = num + sizeof(num);

	*--p = ' ';
	do
		*--p = (char)('0' + len % 10);
	while ((len /= 10) > 0);
	size_t n = (size_t)(num + sizeof(num) - p);

	if (n > size)
		return -ENOSPC;
	memcpy(buf + size - n, p, n);
	return (ssize_t)n;
}

ssize_t encode_octet_frame(const char *msg, size_t len, char *buf, size_t size)
{
	char num[24];
	ssize_t n = encode_octet_prefix(len, num, sizeof(num));

	if ((size_t)n + len > size)
		return -ENOSPC;
	memcpy(buf, num + sizeof(num) - n, (size_t)n);
	memmove(buf + n, msg, len);
	return (ssize_t)((size_t)n + len);
}

/* HEADER SP STRUCTURED-DATA, without MSG. truncated_len 0 = no truncated param. */
static void out_head(struct out *o, const struct encode_opts *opt, const struct encode_input *in,
		     size_t truncated_len, const char *extra, size_t extra_len)
{
	char num[48];
	unsigned en = opt->enterprise_number ? opt->enterprise_number : 32473;

	snprintf(num, sizeof(num), "<%d>1 ", opt->facility * 8 + in->severity);
	out_str(o, num);
	out_field(o, in->timestamp, TIMESTAMP_MAX);
	out_bytes(o, " ", 1);
	out_field(o, opt->hostname, HOSTNAME_MAX);
	out_bytes(o, " ", 1);
	out_field(o, opt->app_name ? opt->app_name : "ikelogd", APP_NAME_MAX);
	out_bytes(o, " ", 1);
	if (opt->procid > 0) {
		snprintf(num, sizeof(num), "%d", opt->procid);
		out_field(o, num, PROCID_MAX);
	} else {
		out_bytes(o, "-", 1);
	}
	out_bytes(o, " ", 1);
	out_field(o, in->msgid, MSGID_MAX);
	out_bytes(o, " ", 1);
	if (!in->event_id && truncated_len == 0) {
		if (extra_len)
			out_bytes(o, extra, extra_len);
		else
			out_bytes(o, "-", 1);
		return;
	}
	snprintf(num, sizeof(num), "[ikelogd@%u", en);
	out_str(o, num);
	if (in->event_id) {
		out_str(o, " eid=\"");
		out_sd_param(o, in->event_id, strlen(in->event_id));
		out_bytes(o, "\"", 1);
	}
	if (truncated_len) {
		snprintf(num, sizeof(num), " truncated=\"%zu\"", truncated_len);
		out_str(o, num);
	}
	out_bytes(o, "]", 1);
	if (extra_len)
		out_bytes(o, extra, extra_len);
}

/* The longest prefix of s[0..len) not longer than max that does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n == len)
		return n;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/*
 * A signed message: how much MSG is sent is decided first (with room kept
 * for the largest signature elements), then those exact bytes are signed,
 * once, and the header is written with the elements the signer returned.
 */
static ssize_t encode_signed(const struct encode_opts *opt, const struct encode_input *in,
			     struct out *o, size_t limit, bool *ret_truncated)
{
	char extra[ENCODE_SIGN_SD_MAX];
	size_t keep = in->msg_len, cut = 0;
	int n;

	out_head(o, opt, in, 0, NULL, 0);
	if (o->pos + ENCODE_SIGN_SD_MAX + (in->msg_len ? 1 + in->msg_len : 0) > limit) {
		o->pos = 0;
		out_head(o, opt, in, in->msg_len, NULL, 0);
		if (o->pos + ENCODE_SIGN_SD_MAX + 1 > limit)
			return -ENOSPC;
		keep = utf8_cut(in->msg, in->msg_len, limit - o->pos - ENCODE_SIGN_SD_MAX - 1);
		cut = in->msg_len;
	}
	n = in->sign(in->sign_ud, in->msg, keep, extra, sizeof(extra));
	if (n < 0)
		return n;
	o->pos = 0;
	out_head(o, opt, in, cut, extra, (size_t)n);
	if (keep) {
		out_bytes(o, " ", 1);
		out_bytes(o, in->msg, keep);
	}
	if (ret_truncated)
		*ret_truncated = cut != 0;
	return o->pos <= o->size ? (ssize_t)o->pos : -ENOSPC;
}

ssize_t encode_rfc5424(const struct encode_opts *opt, const struct encode_input *in, char *buf,
		       size_t size, bool *ret_truncated)
{
	struct out o = {.buf = buf, .size = size};
	size_t limit = size, keep;

	if (opt->facility < 0 || opt->facility > 23 || in->severity < 0 || in->severity > 7)
		return -EINVAL;
	if (opt->max_message_bytes && opt->max_message_bytes < limit)
		limit = opt->max_message_bytes;
	if (in->sign)
		return encode_signed(opt, in, &o, limit, ret_truncated);

	out_head(&o, opt, in, 0, NULL, 0);
	if (o.pos + (in->msg_len ? 1 + in->msg_len : 0) <= limit) {
		if (in->msg_len) {
			out_bytes(&o, " ", 1);
			out_bytes(&o, in->msg, in->msg_len);
		}
		if (ret_truncated)
			*ret_truncated = false;
		return (ssize_t)o.pos;
	}

	/* Too long: the same header with truncated="<MSG length>", then as much MSG as fits. */
	o.pos = 0;
	out_head(&o, opt, in, in->msg_len, NULL, 0);
	if (o.pos + 1 > limit)
		return -ENOSPC;
	keep = utf8_cut(in->msg, in->msg_len, limit - o.pos - 1);
	out_bytes(&o, " ", 1);
	out_bytes(&o, in->msg, keep);
	if (ret_truncated)
		*ret_truncated = true;
	return (ssize_t)o.pos;
}
