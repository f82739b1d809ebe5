/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sub-decoders for pluto's structured fragments. Each is a small scanner
 * over a captured group; none allocates, all are bounded by the input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"

static const char *const decoder_names[DECODE__MAX] = {
    [DECODE_BRACE_ALGS] = "brace_algs",
    [DECODE_ESP_BLOCK] = "esp_block",
    [DECODE_TRAFFIC_SELECTORS] = "traffic_selectors",
    [DECODE_DELETE_NOTIFY] = "delete_notify",
};

int decoder_lookup(const char *name, size_t len)
{
	for (int d = 0; d < DECODE__MAX; d++)
		if (strlen(decoder_names[d]) == len && memcmp(decoder_names[d], name, len) == 0)
			return d;
	return -ENOENT;
}

const char *decoder_name(enum decoder d)
{
	return d < DECODE__MAX ? decoder_names[d] : "?";
}

/* Counts a set field; keeps -ENOSPC, ignores values the type rejects. */
static int put(struct event *ev, enum field f, const char *s, size_t len, int *count)
{
	int r = event_set_text(ev, f, s, len);

	if (r == -ENOSPC)
		return r;
	if (r == 0)
		(*count)++;
	return 0;
}

static bool starts(const char *s, size_t len, const char *lit)
{
	size_t l = strlen(lit);

	return len >= l && memcmp(s, lit, l) == 0;
}

/* Strips surrounding blanks and one pair of braces. */
static void unbrace(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '{')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '}' || (*s)[*len - 1] == ','))
		(*len)--;
}

/* Next space-separated token of s[*pos..len). */
static bool next_tok(const char *s, size_t len, size_t *pos, const char **tok, size_t *tlen)
{
	size_t i = *pos;

	while (i < len && s[i] == ' ')
		i++;
	if (i >= len)
		return false;
	size_t b = i;

	while (i < len && s[i] != ' ')
		i++;
	*tok = s + b;
	*tlen = i - b;
	*pos = i;
	return true;
}

/*
 * auth= of the brace block, in the rules' normalised words (IKEv1's
 * oakley_auth names); "IKEv2" (3.x prints it for every IKEv2 SA) says
 * nothing about the method and sets nothing. The names come without
 * their "OAKLEY_" prefix (enum_show_short), but older releases and
 * pasted whack output print it whole, so it is taken off first.
 */
static int auth_method(const char *s, size_t len, struct event *ev, int *n)
{
	static const struct {
		const char *pluto, *value;
	} names[] = {
	    {"PRESHARED_KEY", "psk"},	     {"RSA_SIG", "rsasig"},
	    {"ECDSA_SIG", "ecdsa"},	     {"XAUTHInitPreShared", "xauth"},
	    {"XAUTHRespPreShared", "xauth"}, {"XAUTHInitRSA", "xauth"},
	    {"XAUTHRespRSA", "xauth"},
	};

	if (len == 5 && memcmp(s, "IKEv2", 5) == 0)
		return 0;
	if (len > 7 && memcmp(s, "OAKLEY_", 7) == 0) {
		s += 7;
		len -= 7;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].pluto) == len && memcmp(names[i].pluto, s, len) == 0)
			return put(ev, F_AUTH_METHOD, names[i].value, strlen(names[i].value), n);
	return put(ev, F_AUTH_METHOD, s, len, n);
}

static int brace_algs(const char *s, size_t len, struct event *ev)
{
	static const struct {
		const char *key;
		enum field f;
	} keys[] = {
	    {"cipher=", F_ENCR},    {"integ=", F_INTEG}, {"prf=", F_PRF},
	    {"group=", F_DH_GROUP}, {"ke=", F_DH_GROUP},
	};
	const char *t;
	size_t tl, pos = 0;
	int n = 0;

	unbrace(&s, &len);
	while (next_tok(s, len, &pos, &t, &tl)) {
		if (starts(t, tl, "auth=") && auth_method(t + 5, tl - 5, ev, &n) < 0)
			return -ENOSPC;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k].key);

			if (starts(t, tl, keys[k].key) &&
			    put(ev, keys[k].f, t + kl, tl - kl, &n) < 0)
				return -ENOSPC;
		}
	}
	return n;
}

static bool is_dh(const char *s, size_t len)
{
	static const char *const pfx[] = {"MODP", "DH", "ECP", "CURVE", "X25519", "X448", "ML_KEM"};

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (starts(s, len, pfx[i]))
			return true;
	return false;
}

/* xfrm=ENC-INTEG[-DH]; for AH the first part is the integrity algorithm. */
static int xfrm(const char *s, size_t len, bool ah, struct event *ev, int *n)
{
	bool first = true, have_integ = false;

	while (len > 0) {
		const char *d = memchr(s, '-', len);
		size_t l = d ? (size_t)(d - s) : len;

		if (l > 0) {
			enum field f;

			if (first && !ah)
				f = F_ENCR;
			else if (is_dh(s, l))
				f = F_DH_GROUP;
			else if (!have_integ)
				f = F_INTEG, have_integ = true;
			else
				f = F__MAX;
			if (f != F__MAX && put(ev, f, s, l, n) < 0)
				return -ENOSPC;
		}
		first = false;
		s += d ? l + 1 : l;
		len -= d ? l + 1 : l;
	}
	return 0;
}

/*
 * NATD=ADDR:PORT, the peer's address as NAT detection saw it and its port
 * (IPv6 unbracketed, so the port is after the last colon); 3.x prints
 * NATD=none when there was no NAT.
 */
static int natd(const char *s, size_t len, struct event *ev, int *n)
{
	const char *c = len ? memrchr(s, ':', len) : NULL;

	if (len == 4 && memcmp(s, "none", 4) == 0)
		return 0;
	if (put(ev, F_NAT_PEER_BEHIND, "1", 1, n) < 0)
		return -ENOSPC;
	if (!c)
		return put(ev, F_NATD_IP, s, len, n);
	if (put(ev, F_NATD_IP, s, (size_t)(c - s), n) < 0)
		return -ENOSPC;
	return put(ev, F_NATD_PORT, c + 1, len - (size_t)(c - s) - 1, n);
}

static int esp_block(const char *s, size_t len, struct event *ev)
{
	const char *t;
	size_t tl, pos = 0, i = 0;
	int n = 0;
	bool ah = false;

	unbrace(&s, &len);
	if (!next_tok(s, len, &pos, &t, &tl))
		return 0;
	/* First token: PROTO[inUDP|inTCP][/ESN][/TFC][=>0xOUT] */
	while (i < tl && t[i] >= 'A' && t[i] <= 'Z')
		i++;
	if (i == 0)
		return 0;
	ah = i == 2 && memcmp(t, "AH", 2) == 0;
	if (put(ev, F_CHILD_PROTOCOL, t, i, &n) < 0)
		return -ENOSPC;
	if (starts(t + i, tl - i, "inUDP") || starts(t + i, tl - i, "inTCP")) {
		if (put(ev, F_ENCAPSULATION, t[i + 2] == 'U' ? "udp" : "tcp", 3, &n) < 0)
			return -ENOSPC;
		i += 5;
	}
	while (i < tl && t[i] == '/') {
		size_t b = ++i;

		while (i < tl && t[i] != '/' && t[i] != '=')
			i++;
		if (i - b == 3 && memcmp(t + b, "ESN", 3) == 0 && put(ev, F_ESN, "1", 1, &n) < 0)
			return -ENOSPC;
		/* 3.x: ESP/NAT=> where 4.x prints ESPinUDP=> */
		if (i - b == 3 && memcmp(t + b, "NAT", 3) == 0 &&
		    put(ev, F_ENCAPSULATION, "udp", 3, &n) < 0)
			return -ENOSPC;
	}
	if (starts(t + i, tl - i, "=>") && put(ev, F_SPI_OUT, t + i + 2, tl - i - 2, &n) < 0)
		return -ENOSPC;
	bool ipcomp = false;

	while (next_tok(s, len, &pos, &t, &tl)) {
		int r = 0;

		if (t[0] == '<' && !ipcomp)
			r = put(ev, F_SPI_IN, t + 1, tl - 1, &n);
		else if (starts(t, tl, "xfrm="))
			r = xfrm(t + 5, tl - 5, ah, ev, &n);
		else if (starts(t, tl, "NATD="))
			r = natd(t + 5, tl - 5, ev, &n);
		else if (starts(t, tl, "DPD="))
			r = put(ev, F_DPD, t + 4, tl - 4, &n);
		else if (starts(t, tl, "username="))
			r = put(ev, F_USERNAME, t + 9, len - (size_t)(t + 9 - s), &n);
		ipcomp = starts(t, tl, "IPCOMP=>");
		if (r < 0)
			return -ENOSPC;
		if (starts(t, tl, "username="))
			break;
	}
	return n;
}

/* ---- traffic selectors ---- */

#define TS_TEXT_MAX 512

struct ts_out {
	char buf[TS_TEXT_MAX];
	size_t len;
};

static void ts_append(struct ts_out *o, const char *s, size_t len)
{
	if (o->len + len + 2 > sizeof(o->buf))
		return;
	if (o->len)
		o->buf[o->len++] = ',';
	memcpy(o->buf + o->len, s, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

/*
 * "lo-hi" (3.25: "lo,hi") -> "lo/len" when the range is one CIDR block;
 * written "lo-hi" when it is not.
 */
static size_t range_to_cidr(const char *s, size_t len, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	unsigned char lo[16], hi[16];
	const char *dash = memchr(s, '-', len);

	if (!dash)
		dash = memchr(s, ',', len);
	int fam = memchr(s, ':', len) ? AF_INET6 : AF_INET, nb = fam == AF_INET ? 4 : 16;
	size_t al, bl;

	if (!dash)
		goto verbatim;
	al = (size_t)(dash - s);
	bl = len - al - 1;
	if (al == 0 || bl == 0 || al >= sizeof(a) || bl >= sizeof(b))
		goto verbatim;
	memcpy(a, s, al);
	a[al] = '\0';
	memcpy(b, dash + 1, bl);
	b[bl] = '\0';
	if (inet_pton(fam, a, lo) != 1 || inet_pton(fam, b, hi) != 1)
		goto verbatim;
	/* prefix: common leading bits; then lo has only zeros and hi only ones. */
	int plen = 0;

	while (plen < nb * 8 && ((lo[plen / 8] ^ hi[plen / 8]) & (0x80 >> (plen % 8))) == 0)
		plen++;
	for (int bit = plen; bit < nb * 8; bit++) {
		int m = 0x80 >> (bit % 8);

		if ((lo[bit / 8] & m) || !(hi[bit / 8] & m))
			goto verbatim;
	}
	int w = snprintf(out, cap, "%s/%d", a, plen);

	return w > 0 && (size_t)w < cap ? (size_t)w : 0;
verbatim:
	if (len >= cap)
		return 0;
	memcpy(out, s, len);
	out[len] = '\0';
	if (dash && *dash == ',') /* the list of selectors is comma-separated */
		out[dash - s] = '-';
	return len;
}

/* One selector: "a/n", "lo-hi:plo-phi" (+ separate protocol token), "a/n/TCP/80". */
static void ts_one(struct ts_out *o, const char *s, size_t len, const char *proto, size_t plen)
{
	char text[TS_TEXT_MAX];
	size_t tl = 0;
	const char *ports = NULL;
	size_t portl = 0;
	const char *colon = NULL;

	if (memchr(s, '-', len)) {
		/* 4.x range: the port range follows the last ':' when it is digits-digits. */
		for (size_t i = len; i-- > 0;)
			if (s[i] == ':') {
				colon = s + i;
				break;
			}
		if (colon && colon + 1 < s + len &&
		    memchr(colon + 1, '-', (size_t)(s + len - colon - 1))) {
			ports = colon + 1;
			portl = (size_t)(s + len - ports);
			len = (size_t)(colon - s);
		}
		tl = range_to_cidr(s, len, text, sizeof(text));
	} else if (len < sizeof(text)) {
		memcpy(text, s, len);
		tl = len;
	}
	if (tl == 0)
		return;
	bool all_ports = !ports || (portl == 7 && memcmp(ports, "0-65535", 7) == 0);
	bool any_proto = !proto || (plen == 1 && proto[0] == '0');

	if (!all_ports || !any_proto) {
		int w = snprintf(text + tl, sizeof(text) - tl, ":%.*s/%.*s",
				 (int)(proto ? plen : 1), proto ? proto : "0",
				 (int)(ports ? portl : 7), ports ? ports : "0-65535");

		if (w > 0 && (size_t)w < sizeof(text) - tl)
			tl += (size_t)w;
	}
	ts_append(o, text, tl);
}

/* The tokens of one bracket: selectors, a bare number is the protocol of the one before. */
static void ts_list(struct ts_out *o, const char *s, size_t len)
{
	const char *t, *prev = NULL;
	size_t tl, prevl = 0, pos = 0;

	while (next_tok(s, len, &pos, &t, &tl)) {
		bool num = tl > 0;

		for (size_t k = 0; k < tl; k++)
			num = num && t[k] >= '0' && t[k] <= '9';

		if (num && prev) {
			ts_one(o, prev, prevl, t, tl);
			prev = NULL;
			continue;
		}
		if (prev)
			ts_one(o, prev, prevl, NULL, 0);
		prev = num ? NULL : t;
		prevl = tl;
	}
	if (prev)
		ts_one(o, prev, prevl, NULL, 0);
}

static int traffic_selectors(const char *s, size_t len, struct event *ev)
{
	struct ts_out local = {.len = 0}, remote = {.len = 0};
	size_t i = 0, nb = 0;
	int n = 0;

	while (i < len) {
		const char *lb = memchr(s + i, '[', len - i);

		if (!lb)
			break;
		const char *rb = memchr(lb, ']', (size_t)(s + len - lb));

		if (!rb)
			break;
		const char *c = lb + 1;
		size_t cl = (size_t)(rb - c);
		const char *eq = memmem(c, cl, "===", 3);

		if (eq) {
			ts_list(&local, c, (size_t)(eq - c));
			ts_list(&remote, eq + 3, cl - (size_t)(eq - c) - 3);
		} else {
			ts_list(nb % 2 == 0 ? &local : &remote, c, cl);
			nb++;
		}
		i = (size_t)(rb - s) + 1;
	}
	if (local.len && put(ev, F_TS_LOCAL, local.buf, local.len, &n) < 0)
		return -ENOSPC;
	if (remote.len && put(ev, F_TS_REMOTE, remote.buf, remote.len, &n) < 0)
		return -ENOSPC;
	return n;
}

/*
 * Whether a Delete notification went to the peer, in the schema's words:
 * pluto's "and sending notification" is sent, "and NOT sending
 * notification" none, a Delete payload from the peer received.
 */
static int delete_notify(const char *s, size_t len, struct event *ev)
{
	static const struct {
		const char *said, *value;
	} words[] = {
	    {"sending", "sent"},
	    {"NOT sending", "none"},
	    {"received", "received"},
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].said) == len && memcmp(words[i].said, s, len) == 0)
			return put(ev, F_DELETE_NOTIFY, words[i].value, strlen(words[i].value),
				   &n) < 0
				   ? -ENOSPC
				   : n;
	return 0;
}

int decode_run(enum decoder d, const char *s, size_t len, struct event *ev)
{
	switch (d) {
	case DECODE_BRACE_ALGS:
		return brace_algs(s, len, ev);
	case DECODE_ESP_BLOCK:
		return esp_block(s, len, ev);
	case DECODE_TRAFFIC_SELECTORS:
		return traffic_selectors(s, len, ev);
	case DECODE_DELETE_NOTIFY:
		return delete_notify(s, len, ev);
	case DECODE__MAX:
		break;
	}
	return -EINVAL;
}
