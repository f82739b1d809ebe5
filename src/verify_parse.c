/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's parser (verify_parse.h): RFC 5424 section 6 header and
 * STRUCTURED-DATA, as far as the chain needs; everything else in the
 * message is skipped, not judged.
 */
#include <errno.h>
#include <string.h>

#include "verify_parse.h"

enum {
	E_HEADER = -1,	 /* the header or SD does not parse */
	E_CHAIN = -2,	 /* the chain element lacks or garbles a parameter */
	E_CP = -3,	 /* the checkpoint element lacks or garbles a parameter */
	E_CP_ALONE = -4, /* a checkpoint without a chain element */
	E_CUT = -5	 /* the line ends inside the structured data */
};

const char *verify_parse_error(int code)
{
	switch (code) {
	case E_HEADER:
		return "RFC 5424 header or structured data does not parse";
	case E_CHAIN:
		return "ikelogd-chain element malformed";
	case E_CP:
		return "ikelogd-checkpoint element malformed";
	case E_CP_ALONE:
		return "ikelogd-checkpoint element without a chain element";
	case E_CUT:
		return "the line ends inside its structured data";
	default:
		return "unknown error";
	}
}

struct cur {
	const char *p, *end;
};

/* Skips one header field up to and including the space after it. */
static bool field(struct cur *c, const char **ret, size_t *ret_len)
{
	const char *s = c->p;

	while (c->p < c->end && *c->p != ' ')
		c->p++;
	if (c->p == c->end || c->p == s)
		return false;
	if (ret) {
		*ret = s;
		*ret_len = (size_t)(c->p - s);
	}
	c->p++;
	return true;
}

static bool parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

enum elem { EL_OTHER, EL_CHAIN, EL_CP, EL_EVENT };

struct seen {
	unsigned chain, cp; /* bit per parameter found */
};

static int param(enum elem el, const char *name, size_t nlen, const char *val, size_t vlen,
		 struct verify_parsed *r, struct seen *seen)
{
#define IS(lit) (nlen == sizeof(lit) - 1 && memcmp(name, lit, nlen) == 0)
	switch (el) {
	case EL_CHAIN:
		if (IS("sid")) {
			seen->chain |= 1;
			return sign_unhex(val, vlen, r->sid, SIGN_SID_LEN) == 0 ? 0 : E_CHAIN;
		}
		if (IS("seq")) {
			seen->chain |= 2;
			return parse_u64(val, vlen, &r->seq) ? 0 : E_CHAIN;
		}
		if (IS("ep")) {
			seen->chain |= 4;
			return parse_u64(val, vlen, &r->ep) ? 0 : E_CHAIN;
		}
		if (IS("mac")) {
			seen->chain |= 8;
			return sign_unhex(val, vlen, r->mac, SIGN_MAC_LEN) == 0 ? 0 : E_CHAIN;
		}
		if (IS("rs"))
			return parse_u64(val, vlen, &r->rs) && r->rs > 0 ? 0 : E_CHAIN;
		return 0;
	case EL_CP:
		if (IS("ep")) {
			seen->cp |= 1;
			return parse_u64(val, vlen, &r->cp.epoch) ? 0 : E_CP;
		}
		if (IS("last")) {
			seen->cp |= 2;
			return parse_u64(val, vlen, &r->cp.last_seq) ? 0 : E_CP;
		}
		if (IS("mac")) {
			seen->cp |= 4;
			return sign_unhex(val, vlen, r->cp.mac, SIGN_MAC_LEN) == 0 ? 0 : E_CP;
		}
		if (IS("final")) {
			seen->cp |= 8;
			if (vlen != 1 || (val[0] != '0' && val[0] != '1'))
				return E_CP;
			r->cp.final = val[0] == '1';
			return 0;
		}
		if (IS("sig")) {
			seen->cp |= 16;
			return sign_unhex(val, vlen, r->cp.sig, SIGN_SIG_LEN) == 0 ? 0 : E_CP;
		}
		return 0;
	case EL_EVENT:
		if (IS("eid")) {
			r->eid = val;
			r->eid_len = vlen;
		}
		return 0;
	default:
		return 0;
	}
#undef IS
}

/* One SD-ELEMENT at c->p ('['): its id, its params; escapes in values kept as they are. */
static int element(struct cur *c, struct verify_parsed *r, struct seen *seen, bool *chain, bool *cp)
{
	const char *id;
	size_t idlen;
	enum elem el = EL_OTHER;
	int e;

	c->p++;
	id = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != ']' && *c->p != '=' && *c->p != '"')
		c->p++;
	idlen = (size_t)(c->p - id);
	if (c->p == c->end)
		return E_CUT;
	if (idlen == 0)
		return E_HEADER;
	if (starts(id, idlen, "ikelogd-chain@")) {
		if (*chain)
			return E_CHAIN;
		el = EL_CHAIN;
		*chain = true;
	} else if (starts(id, idlen, "ikelogd-checkpoint@")) {
		if (*cp)
			return E_CP;
		el = EL_CP;
		*cp = true;
	} else if (starts(id, idlen, "ikelogd@")) {
		el = EL_EVENT;
	}
	while (c->p < c->end && *c->p == ' ') {
		const char *name, *val;
		size_t nlen;

		c->p++;
		name = c->p;
		while (c->p < c->end && *c->p != '=' && *c->p != ' ' && *c->p != ']' &&
		       *c->p != '"')
			c->p++;
		nlen = (size_t)(c->p - name);
		if (c->end - c->p < 2)
			return E_CUT;
		if (nlen == 0 || c->p[0] != '=' || c->p[1] != '"')
			return E_HEADER;
		c->p += 2;
		val = c->p;
		while (c->p < c->end && *c->p != '"') {
			if (*c->p == '\\' && c->p + 1 < c->end)
				c->p++;
			c->p++;
		}
		if (c->p == c->end)
			return E_CUT;
		e = param(el, name, nlen, val, (size_t)(c->p - val), r, seen);
		if (e < 0)
			return e;
		c->p++;
	}
	if (c->p == c->end)
		return E_CUT;
	if (*c->p != ']')
		return E_HEADER;
	c->p++;
	return 0;
}

int verify_parse(const char *line, size_t len, struct verify_parsed *ret)
{
	struct verify_parsed r = {0};
	struct seen seen = {0};
	struct cur c = {.p = line, .end = line + len};
	bool chain = false, cp = false;
	int e;

	if (len && line[len - 1] == '\n')
		c.end--;
	if (c.end > c.p && c.end[-1] == '\r')
		c.end--;
	/* The collector's timestamp, when it wrote one. */
	if (c.p < c.end && *c.p != '<' && !field(&c, NULL, NULL))
		return 1;
	/* PRI and VERSION 1. */
	if (c.p == c.end || *c.p != '<')
		return 1;
	c.p++;
	for (int i = 0; i < 4 && c.p < c.end && *c.p >= '0' && *c.p <= '9'; i++)
		c.p++;
	if (c.end - c.p < 3 || memcmp(c.p, ">1 ", 3) != 0)
		return 1;
	c.p += 3;
	/* TIMESTAMP HOSTNAME APP-NAME PROCID MSGID */
	if (!field(&c, NULL, NULL) || !field(&c, &r.host, &r.host_len) || !field(&c, NULL, NULL) ||
	    !field(&c, NULL, NULL) || !field(&c, NULL, NULL))
		return 1;
	if (c.p < c.end && *c.p == '-') {
		c.p++;
	} else {
		if (c.p == c.end || *c.p != '[')
			return 1;
		while (c.p < c.end && *c.p == '[') {
			e = element(&c, &r, &seen, &chain, &cp);
			if (e < 0)
				return chain || cp || e != E_HEADER ? e : 1;
		}
	}
	if (!chain)
		return cp ? E_CP_ALONE : 1;
	if (seen.chain != 15)
		return E_CHAIN;
	if (cp && seen.cp != 31)
		return E_CP;
	r.has_cp = cp;
	if (c.p < c.end) {
		if (*c.p != ' ')
			return E_HEADER;
		c.p++;
	}
	r.msg = c.p;
	r.msg_len = (size_t)(c.end - c.p);
	*ret = r;
	return 0;
}
