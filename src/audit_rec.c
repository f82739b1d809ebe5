/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pluto's CRYPTO_IKE_SA / CRYPTO_IPSEC_SA audit records. The text inside
 * msg='...' is linux_audit_conn's (Libreswan 3.x to 5.x):
 *
 *   op=start direction=initiator conn-name="c" connstate=1 ike-version=2.0
 *   auth=PRESHARED_KEY cipher=aes_gcm_16 ksize=256 integ=none prf=sha512
 *   pfs=DH19 raddr=192.0.2.2
 *   op=start conn-name="c" connstate=2, satype=ipsec-esp samode=tunnel
 *   cipher=AES ksize=128 integ=HMAC_SHA1 in-spi=DEC(0xHEX) out-spi=DEC(0xHEX)
 *   in-ipcomp=0(0x00000000) out-ipcomp=0(0x00000000) raddr=192.0.2.2
 *
 * followed by what libaudit adds (exe="..." hostname=? addr=LOCAL
 * terminal=? res=success|failed). audit_encode_nv_string writes a name
 * with a space or quote as bare hex.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "audit_rec.h"

#define HEAD                                                                                       \
	"^(?:type=)?(?<kind>CRYPTO_IKE_SA|CRYPTO_IPSEC_SA)(?: msg=audit\\([^)]*\\):)? .*?"         \
	"msg='(?<body>[^']*)'"
/* one key=value: quoted, or up to a space, comma or quote */
#define PAIR "(?<k>[a-z][a-z-]*)=(?:\"(?<q>[^\"]*)\"|(?<v>[^ ,'\"]*))"

struct audit_rec {
	pcre2_code *head, *pair;
	pcre2_match_data *md;
};

static pcre2_code *compile(const char *pat)
{
	int err;
	PCRE2_SIZE off;

	return pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
}

int audit_rec_new(struct audit_rec **ret)
{
	struct audit_rec *a = calloc(1, sizeof(*a));
	int r = -EINVAL;

	if (!a)
		return -ENOMEM;
	a->head = compile(HEAD);
	a->pair = compile(PAIR);
	if (!a->head || !a->pair)
		goto out;
	a->md = pcre2_match_data_create(8, NULL);
	if (!a->md) {
		r = -ENOMEM;
		goto out;
	}
	*ret = a;
	return 0;
out:
	audit_rec_free(a);
	return r;
}

void audit_rec_free(struct audit_rec *a)
{
	if (!a)
		return;
	pcre2_code_free(a->head);
	pcre2_code_free(a->pair);
	pcre2_match_data_free(a->md);
	free(a);
}

static bool group(struct audit_rec *a, pcre2_code *c, const char *name, const char *s,
		  const char **ret, size_t *ret_len)
{
	int n = pcre2_substring_number_from_name(c, (PCRE2_SPTR)name);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(a->md);

	if (n < 0 || ov[2 * n] == PCRE2_UNSET)
		return false;
	*ret = s + ov[2 * n];
	*ret_len = ov[2 * n + 1] - ov[2 * n];
	return true;
}

static bool is(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* A bare value of conn-name is audit_encode_nv_string's hex. */
static void set_conn(struct event *ev, const char *v, size_t len, bool quoted)
{
	char buf[256];

	if (!quoted && len % 2 == 0 && len / 2 < sizeof(buf)) {
		size_t i;

		for (i = 0; i < len && isxdigit((unsigned char)v[i]); i++)
			;
		if (i == len) {
			for (i = 0; i < len; i += 2) {
				char h[3] = {v[i], v[i + 1], '\0'};

				buf[i / 2] = (char)strtol(h, NULL, 16);
			}
			event_set_str(ev, F_CONN_NAME, buf, len / 2);
			return;
		}
	}
	event_set_str(ev, F_CONN_NAME, v, len);
}

static const struct {
	const char *audit, *ours;
} auth_names[] = {
    {"PRESHARED_KEY", "psk"}, {"RSA_SIG", "rsasig"}, {"ECDSA", "ecdsa"},
    {"NULL", "null"},	      {"EDDSA", "eddsa"},
};

/* One key of the body or of libaudit's tail. */
static void apply(struct event *ev, bool child, const char *k, size_t kl, const char *v, size_t vl,
		  bool quoted)
{
	const char *paren;

	if (is(k, kl, "op")) {
		event_set_str(ev, F_AUDIT_OP, v, vl);
	} else if (is(k, kl, "direction")) {
		if (is(v, vl, "initiator") || is(v, vl, "responder"))
			event_set_str(ev, F_ROLE, v, vl);
	} else if (is(k, kl, "conn-name")) {
		set_conn(ev, v, vl, quoted);
	} else if (is(k, kl, "connstate")) {
		event_set_text(ev, F_STATE_SERIAL, v, vl);
	} else if (is(k, kl, "ike-version")) {
		event_set_int(ev, F_IKE_VERSION, vl && v[0] == '2' ? 2 : 1);
	} else if (is(k, kl, "auth")) {
		for (size_t i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
			if (is(v, vl, auth_names[i].audit))
				event_set_str(ev, F_AUTH_METHOD, auth_names[i].ours,
					      strlen(auth_names[i].ours));
	} else if (is(k, kl, "cipher")) {
		event_set_text(ev, F_ENCR, v, vl);
	} else if (is(k, kl, "ksize")) {
		if (!is(v, vl, "0"))
			event_set_text(ev, F_KEY_SIZE, v, vl);
	} else if (is(k, kl, "integ")) {
		event_set_text(ev, F_INTEG, v, vl);
	} else if (is(k, kl, "prf")) {
		event_set_text(ev, F_PRF, v, vl);
	} else if (is(k, kl, "pfs")) {
		event_set_text(ev, F_DH_GROUP, v, vl);
	} else if (is(k, kl, "satype")) {
		const char *p = is(v, vl, "ipsec-esp")	? "ESP"
				: is(v, vl, "ipsec-ah") ? "AH"
							: NULL;

		if (p)
			event_set_str(ev, F_CHILD_PROTOCOL, p, strlen(p));
	} else if (is(k, kl, "samode")) {
		if (is(v, vl, "tunnel") || is(v, vl, "transport"))
			event_set_str(ev, F_CHILD_MODE, v, vl);
	} else if ((is(k, kl, "in-spi") || is(k, kl, "out-spi")) && child &&
		   (paren = memchr(v, '(', vl)) != NULL) {
		/* DEC(0xHEX): the hex; the first of each (a sanitised record repeats them) */
		enum field f = k[0] == 'i' ? F_SPI_IN : F_SPI_OUT;
		size_t hl = vl - (size_t)(paren + 1 - v);

		if (!event_has(ev, f) && hl > 1 && paren[hl] == ')' &&
		    !is(paren + 1, hl - 1, "0x00000000"))
			event_set_text(ev, f, paren + 1, hl - 1);
	} else if (is(k, kl, "raddr")) {
		event_set_text(ev, F_PEER_IP, v, vl);
	} else if (is(k, kl, "addr")) {
		event_set_text(ev, F_LOCAL_IP, v, vl);
	} else if (is(k, kl, "res")) {
		const char *res = is(v, vl, "success") ? "success" : "failure";

		event_set_str(ev, F_RESULT, res, strlen(res));
	}
}

int audit_rec_parse(struct audit_rec *a, const char *msg, size_t len, struct event *ev)
{
	const char *kind, *body;
	size_t kind_len, body_len;
	bool child;

	if (len < 14 || (msg[0] != 'C' && msg[0] != 't'))
		return 0; /* the common case, before any matching */
	if (pcre2_match(a->head, (PCRE2_SPTR)msg, len, 0, 0, a->md, NULL) <= 0)
		return 0;
	if (!group(a, a->head, "kind", msg, &kind, &kind_len) ||
	    !group(a, a->head, "body", msg, &body, &body_len))
		return 0;
	child = is(kind, kind_len, "CRYPTO_IPSEC_SA");
	event_set_str(ev, F_EVENT_TYPE, child ? "audit_child_sa" : "audit_ike_sa", child ? 14 : 12);
	/* the body, then libaudit's tail after it (addr=, res=) */
	for (int part = 0; part < 2; part++) {
		const char *s = part ? body + body_len : body;
		size_t sl = part ? len - (size_t)(body + body_len - msg) : body_len;

		for (size_t off = 0; off < sl;) {
			const char *k, *v;
			size_t kl, vl;
			bool quoted;

			if (pcre2_match(a->pair, (PCRE2_SPTR)s, sl, off, 0, a->md, NULL) <= 0)
				break;
			off = pcre2_get_ovector_pointer(a->md)[1];
			if (!group(a, a->pair, "k", s, &k, &kl))
				break;
			quoted = group(a, a->pair, "q", s, &v, &vl);
			if (!quoted && !group(a, a->pair, "v", s, &v, &vl))
				continue;
			apply(ev, child, k, kl, v, vl, quoted);
		}
	}
	if (!event_has(ev, F_RESULT))
		event_set_str(ev, F_RESULT, "info", 4);
	else if (strcmp(event_str(ev, F_RESULT, NULL), "success") == 0 &&
		 event_has(ev, F_AUDIT_OP) &&
		 strcmp(event_str(ev, F_AUDIT_OP, NULL), "destroy") == 0)
		event_set_str(ev, F_RESULT, "info", 4); /* an SA's end claims no outcome */
	return 1;
}
