/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <openssl/crypto.h>

#include "redact.h"
#include "redact_key.h"

/*
 * The redaction stage. Every event passes here between correlation and
 * encoding: first the per-field policy (keep, mask, hash, drop), then the
 * scrub of every kept free-text field. Whatever cannot be redacted as
 * asked (a mask of a value that is no address, a replacement that does not
 * fit the arena, a scrub pattern that gives up) is removed: the stage fails
 * closed, per value.
 */

#define SCRUB_TEXT	  "[redacted]"
#define SCRUB_MATCH_LIMIT 10000000 /* pcre2 match limit per pattern per field */
#define SCRUB_DEPTH_LIMIT 100000
#define SCRUB_PREFILTER	  32 /* the built-in patterns need 32 hex digits, or a '|' */
#define SWAP_MIN	  2  /* shorter hashed or masked values are not looked for in text */

/*
 * The built-in scrub, one pattern, alternatives tried in order at each
 * position:
 *   1. a pluto hex dump line ("|   7a 3b 99 c4  12 ...   .z;..."): 1 to 16
 *      bytes and the printable column pluto prints after them, whatever
 *      their count, since a dump's last line holds the tail of a key;
 *   2. 16 or more bytes separated by spaces, colons or commas, 0x optional;
 *   3. four or more 32-bit words ("0x7a3b99c4 0x12345678 ...");
 *   4. a run of 32 or more hex digits, 0x optional.
 */
const char redact_builtin_pattern[] =
    "(?<=\\| |\\|\\] ) +[0-9A-Fa-f]{2}(?: {1,2}[0-9A-Fa-f]{2}){0,15}(?: {3,}[^\\n]*)?(?= "
    "*(?:\\n|$))"
    "|(?:0[xX])?[0-9A-Fa-f]{2}(?:(?:[ :]{1,2}|, ?)(?:0[xX])?[0-9A-Fa-f]{2}){15,}"
    "|(?:0[xX])?[0-9A-Fa-f]{8}(?:[ :]{1,2}(?:0[xX])?[0-9A-Fa-f]{8}){3,}"
    "|(?:0[xX])?[0-9A-Fa-f]{32,}";

/*
 * An FQDN or USER_FQDN identity as pluto prints it in free text ("@east",
 * "@west-v1", "user-road@testing.libreswan.org"; not pluto's debug
 * "sym-key@NULL", "ike-key@0x55d3..."): hashed in the message and
 * the reason when the policy hashes identities, so that debug and unparsed
 * lines, which carry no identity field, do not name them either. The
 * pseudonym is the one the identity's own field gets.
 */
static const char id_token_pattern[] =
    "(?<![\\w.+@-])[\\w.+-]*@(?!NULL\\b|0x[0-9a-fA-F]+\\b)"
    "[A-Za-z0-9](?:[\\w-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[\\w-]*[A-Za-z0-9])?)*(?![\\w@])";

/* The fields whose hash makes '@' tokens in free text identities to hash. */
static const enum field identity_fields[] = {F_PEER_ID,	     F_LOCAL_ID, F_INITIATOR_ID,
					     F_RESPONDER_ID, F_USERNAME, F_CERT_SUBJECT};

/*
 * Which actions a field type can take: a hash or a mask must not change a
 * number's JSON type, or break the format the schema gives the field.
 */
static const struct {
	bool mask, hash;
} type_allows[FT__MAX] = {
    [FT_STRING] = {.mask = true, .hash = true},	  /* identities, free text */
    [FT_INT] = {.mask = false, .hash = false},	  /* a number stays a number */
    [FT_IP] = {.mask = true, .hash = true},	  /* the schema allows "h1:..." */
    [FT_PORT] = {.mask = false, .hash = false},	  /* a number */
    [FT_SPI] = {.mask = false, .hash = false},	  /* "0x" + hex in the schema */
    [FT_ALG] = {.mask = false, .hash = false},	  /* algorithm names identify nobody */
    [FT_BOOL] = {.mask = false, .hash = false},	  /* a boolean */
    [FT_LIST] = {.mask = false, .hash = false},	  /* weak_crypto, proposals_offered: algorithms */
    [FT_NUMBER] = {.mask = false, .hash = false}, /* age_s: a number */
    [FT_MAP] = {.mask = false, .hash = false},	  /* labels, address maps: the operator's names */
};
_Static_assert(sizeof(type_allows) / sizeof(type_allows[0]) == FT__MAX,
	       "type_allows covers every field type");

static bool is_own_id(enum field f)
{
	return f == F_EVENT_ID || f == F_IKE_SA_ID || f == F_PREVIOUS_IKE_SA_ID;
}

struct redact_swap {
	const char *orig; /* in the event's arena: valid until the next event */
	size_t len;
	char repl[INET6_ADDRSTRLEN + 32]; /* pseudonym, masked address or SCRUB_TEXT */
	size_t repl_len;
	enum redact_action action;
	bool v6;
};

#define MASK_WORDS ((F__MAX + 63) / 64)

struct redactor {
	enum redact_action action[F__MAX];
	/* Fields the policy hashes, masks or drops; kept free text to clean (as event.present) */
	uint64_t policy_mask[MASK_WORDS], clean_mask[MASK_WORDS];
	bool need_key;
	unsigned v4_prefix, v6_prefix;
	struct pseudonymizer *ps; /* when a field is hashed */

	pcre2_code *builtin;
	pcre2_code *user[REDACT_PATTERNS_MAX];
	size_t n_user;
	pcre2_match_data *md;
	pcre2_match_context *mctx;

	/* Scratch, grown to the largest value seen: [0] [1] scrub, [2] [3] swaps, [4] ids. */
	char *buf[5];
	size_t buf_cap[5];
	pcre2_code *id_token; /* "@east", "user@example.org": hashed in message and reason */
	struct redact_swap swaps[F__MAX]; /* this event's hashed and masked values */
	size_t n_swaps;

	struct counters *cnt;
	struct redact_stats stats;
};

void redactor_free(struct redactor *r)
{
	if (!r)
		return;
	pseudonymizer_free(r->ps);
	pcre2_code_free(r->builtin);
	for (size_t i = 0; i < r->n_user; i++)
		pcre2_code_free(r->user[i]);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mctx);
	pcre2_code_free(r->id_token);
	for (size_t i = 0; i < 5; i++) {
		if (r->buf[i])
			OPENSSL_cleanse(r->buf[i], r->buf_cap[i]);
		free(r->buf[i]);
	}
	free(r);
}

/* ---- pure helpers ---- */

int redact_mask_ip(const char *ip, unsigned v4_prefix, unsigned v6_prefix, char *out, size_t size)
{
	char tmp[INET6_ADDRSTRLEN + 8], txt[INET6_ADDRSTRLEN];
	unsigned char a[16];
	size_t len = strlen(ip);
	unsigned prefix, bits;
	int af;

	if (v4_prefix > 32 || v6_prefix > 128)
		return -EINVAL;
	/* "[2001:db8::1]" as URLs and pluto print it, "fe80::1%eth0" with a zone. */
	if (len >= 2 && ip[0] == '[' && ip[len - 1] == ']') {
		ip++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, ip, len);
	tmp[len] = '\0';
	if (strchr(tmp, ':')) {
		char *zone = strchr(tmp, '%');

		if (zone)
			*zone = '\0';
		af = AF_INET6;
	} else {
		af = AF_INET;
	}
	if (inet_pton(af, tmp, a) != 1)
		return -EINVAL;
	if (af == AF_INET) {
		prefix = v4_prefix;
		bits = 32;
	} else if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
		/* ::ffff:a.b.c.d is an IPv4 peer: the IPv4 prefix applies to its last 32 bits. */
		prefix = 96 + v4_prefix;
		bits = 128;
	} else {
		prefix = v6_prefix;
		bits = 128;
	}
	for (unsigned i = prefix; i < bits; i++)
		a[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	if (!inet_ntop(af, a, txt, sizeof(txt)))
		return -EINVAL;
	if (strlen(txt) + 1 > size)
		return -ENOSPC;
	memcpy(out, txt, strlen(txt) + 1);
	return 0;
}

/* The pseudonym of value under the redactor's key (same as redact_pseudonym). */
static int pseudonym(struct redactor *red, const char *value, size_t len, char *out, size_t size)
{
	return pseudonymizer_get(red->ps, value, len, out, size);
}

/* ---- patterns ---- */

static int pattern_compile(const char *src, pcre2_code **ret, const char *what, size_t idx,
			   const char *cfgpath, struct diags *errs)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_match_data *md;
	pcre2_code *code;
	int err, rc;

	code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (!code) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		diag_add(errs, cfgpath, 0, 0, "%s[%zu] '%s': at offset %zu: %s", what, idx, src,
			 (size_t)off, (const char *)msg);
		return -EINVAL;
	}
	/* JIT where the platform has it; the interpreter gives the same answers. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	/* A pattern that matches nothing at all would "scrub" every position of every field. */
	md = pcre2_match_data_create_from_pattern(code, NULL);
	rc = md ? pcre2_match(code, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) : PCRE2_ERROR_NOMEMORY;
	pcre2_match_data_free(md);
	if (rc >= 0) {
		diag_add(errs, cfgpath, 0, 0, "%s[%zu] '%s': matches the empty string", what, idx,
			 src);
		pcre2_code_free(code);
		return -EINVAL;
	}
	*ret = code;
	return 0;
}

static int buf_reserve(struct redactor *red, int i, size_t need)
{
	char *p;
	size_t cap;

	if (need <= red->buf_cap[i])
		return 0;
	cap = red->buf_cap[i] ? red->buf_cap[i] : 256;
	while (cap < need)
		cap *= 2;
	p = malloc(cap);
	if (!p)
		return -ENOMEM;
	if (red->buf[i]) {
		/* Keeps what was written so far; the old copy is wiped, it may hold a secret. */
		memcpy(p, red->buf[i], red->buf_cap[i]);
		OPENSSL_cleanse(red->buf[i], red->buf_cap[i]);
		free(red->buf[i]);
	}
	red->buf[i] = p;
	red->buf_cap[i] = cap;
	return 0;
}

/*
 * Replaces every match of code in in[0..len): by the match's pseudonym
 * when hash, else by SCRUB_TEXT. Returns the number replaced, with the
 * result in buf[bi] and its length in *ret_len when that is more than 0;
 * or -E2BIG when the pattern gave up (match limit), -EIO when no
 * pseudonym could be made, -ENOMEM: the caller then drops the value.
 */
static int replace_matches(struct redactor *red, const pcre2_code *code, const char *in, size_t len,
			   int bi, bool hash, size_t *ret_len)
{
	char ps[sizeof(red->swaps[0].repl)];
	size_t copied = 0, from = 0, out = 0, start, end, rl;
	const char *repl;
	PCRE2_SIZE *ov;
	int n = 0, rc;

	while (from <= len) {
		rc = pcre2_match(code, (PCRE2_SPTR)in, len, from, 0, red->md, red->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0)
			return -E2BIG;
		ov = pcre2_get_ovector_pointer(red->md);
		start = ov[0];
		end = ov[1];
		if (end <= start) { /* empty match (lookarounds): nothing to replace here */
			from = start + 1;
			continue;
		}
		repl = SCRUB_TEXT;
		rl = sizeof(SCRUB_TEXT) - 1;
		if (hash) {
			if (pseudonym(red, in + start, end - start, ps, sizeof(ps)) < 0)
				return -EIO;
			repl = ps;
			rl = strlen(ps);
		}
		if (buf_reserve(red, bi, out + (start - copied) + rl + 1) < 0)
			return -ENOMEM;
		memcpy(red->buf[bi] + out, in + copied, start - copied);
		out += start - copied;
		memcpy(red->buf[bi] + out, repl, rl);
		out += rl;
		copied = from = end;
		n++;
	}
	if (n == 0)
		return 0;
	if (buf_reserve(red, bi, out + (len - copied) + 1) < 0)
		return -ENOMEM;
	memcpy(red->buf[bi] + out, in + copied, len - copied);
	out += len - copied;
	red->buf[bi][out] = '\0';
	*ret_len = out;
	return n;
}

/*
 * True when the built-in pattern cannot match: no '|' (a dump line) and
 * fewer than 16 pairs of hex digits, counting floor(n / 2) for each run of
 * n hex digits. Alternatives 2 to 4 each need 16 such pairs: 16 bytes of
 * two digits, 4 words of 8, or one run of 32 (a "0x" prefix ends a run
 * before it starts the next).
 */
static const uint8_t hex_class[256] = {
    ['0' ... '9'] = 1,
    ['A' ... 'F'] = 1,
    ['a' ... 'f'] = 1,
    ['|'] = 2,
};

static bool builtin_cannot_match(const char *s, size_t len)
{
	size_t pairs = 0, run = 0;

	if (len < SCRUB_PREFILTER)
		return !memchr(s, '|', len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (hex_class[c] == 1) {
			run++;
			continue;
		}
		if (hex_class[c] == 2)
			return false;
		pairs += run / 2;
		run = 0;
	}
	return pairs + run / 2 < 16;
}

int redact_scrub(struct redactor *red, const char *in, size_t len, const char **ret,
		 size_t *ret_len)
{
	const char *cur = in;
	size_t cur_len = len, out_len;
	int bi = 0, total = 0, n;

	/* The operator's patterns first: they may need context the built-in scrub replaces. */
	for (size_t i = 0; i <= red->n_user; i++) {
		const pcre2_code *code = i < red->n_user ? red->user[i] : red->builtin;

		if (!code || (i == red->n_user && builtin_cannot_match(cur, cur_len)))
			continue;
		n = replace_matches(red, code, cur, cur_len, bi, false, &out_len);
		if (n < 0)
			return n;
		if (n == 0)
			continue;
		total += n;
		cur = red->buf[bi];
		cur_len = out_len;
		bi ^= 1;
	}
	*ret = cur;
	*ret_len = cur_len;
	return total;
}

/* ---- construction ---- */

int redactor_new(const struct redactor_options *o, struct counters *cnt, struct redactor **ret,
		 struct diags *errs)
{
	const char *cfgpath = o->config_path;
	struct redactor *red;
	int r = 0, f;

	red = calloc(1, sizeof(*red));
	if (!red)
		return -ENOMEM;
	red->cnt = cnt;
	red->v4_prefix = o->mask_ipv4_prefix;
	red->v6_prefix = o->mask_ipv6_prefix;

	if (red->v4_prefix > 32) {
		diag_add(errs, cfgpath, 0, 0, "redact.mask_ipv4_prefix %u: must be 0..32",
			 red->v4_prefix);
		r = -EINVAL;
	}
	if (red->v6_prefix > 128) {
		diag_add(errs, cfgpath, 0, 0, "redact.mask_ipv6_prefix %u: must be 0..128",
			 red->v6_prefix);
		r = -EINVAL;
	}

	/* Fields the policy does not name are kept (and scrubbed if free text). */
	for (size_t i = 0; i < o->n_fields && i < REDACT_FIELDS_MAX; i++) {
		const struct redact_field_option *p = &o->fields[i];
		const char *name = p->field ? p->field : "";
		enum field_type t;

		f = field_lookup(name, strlen(name));
		if (f < 0) {
			diag_add(errs, cfgpath, 0, 0, "redact.fields: unknown field '%s'", name);
			r = -EINVAL;
			continue;
		}
		if ((unsigned)p->action >= REDACT__MAX) {
			diag_add(errs, cfgpath, 0, 0, "redact.fields.%s: unknown action %d", name,
				 (int)p->action);
			r = -EINVAL;
			continue;
		}
		t = field_table[f].type;
		if ((p->action == REDACT_MASK && !type_allows[t].mask) ||
		    (p->action == REDACT_HASH && !type_allows[t].hash)) {
			diag_add(errs, cfgpath, 0, 0,
				 "redact.fields.%s: cannot %s this field (it is no %s); "
				 "use keep or drop",
				 name, redact_action_name(p->action),
				 p->action == REDACT_MASK ? "address" : "text");
			r = -EINVAL;
			continue;
		}
		red->action[f] = p->action; /* a later entry for the same field wins */
	}
	for (f = 0; f < F__MAX; f++) {
		if (red->action[f] == REDACT_HASH)
			red->need_key = true;
		if (red->action[f] != REDACT_KEEP)
			red->policy_mask[f / 64] |= UINT64_C(1) << (f % 64);
		else if (field_table[f].type == FT_STRING && !is_own_id(f) &&
			 /*
			  * The GeoIP values come from the operator's database, not
			  * from the line, and were checked when looked up: their
			  * policy entry alone decides them (their scan was 8% of
			  * the enrichment's instructions).
			  */
			 f != F_PEER_GEO_COUNTRY && f != F_PEER_AS_ORG)
			red->clean_mask[f / 64] |= UINT64_C(1) << (f % 64);
	}
	for (size_t i = 0; i < sizeof(identity_fields) / sizeof(identity_fields[0]); i++)
		if (red->action[identity_fields[i]] == REDACT_HASH && !red->id_token &&
		    pattern_compile(id_token_pattern, &red->id_token, "redact: identity tokens", 0,
				    cfgpath, errs) < 0)
			r = -EINVAL;

	for (size_t i = 0; i < o->n_secret_patterns && i < REDACT_PATTERNS_MAX; i++) {
		const char *src = o->secret_patterns[i];
		int rr = pattern_compile(src ? src : "", &red->user[red->n_user],
					 "redact.secret_patterns", i, cfgpath, errs);

		if (rr < 0)
			r = rr;
		else
			red->n_user++;
	}
	if (pattern_compile(redact_builtin_pattern, &red->builtin, "redact: built-in scrub", 0,
			    cfgpath, errs) < 0)
		r = -EINVAL;
	red->md = pcre2_match_data_create(4, NULL);
	red->mctx = pcre2_match_context_create(NULL);
	if (!red->md || !red->mctx) {
		r = -ENOMEM;
		goto out;
	}
	pcre2_set_match_limit(red->mctx, SCRUB_MATCH_LIMIT);
	pcre2_set_depth_limit(red->mctx, SCRUB_DEPTH_LIMIT);

	/* The key is checked even after a policy error: every problem is told at once. */
	if (red->need_key) {
		unsigned char key[REDACT_KEY_MAX_BYTES];
		size_t key_len = 0;
		int rk = redact_key_load(&o->key, key, &key_len, errs);

		if (rk == 0 &&
		    (rk = pseudonymizer_new(key, key_len, o->key_generation, &red->ps)) < 0)
			diag_add(errs, cfgpath, 0, 0, "redact: OpenSSL has no HMAC-SHA256 here");
		OPENSSL_cleanse(key, sizeof(key));
		if (rk < 0 && r == 0)
			r = rk;
	}
	if (r < 0)
		goto out;
	*ret = red;
	red = NULL;
	r = 0;
out:
	redactor_free(red);
	return r;
}

/* ---- the stage ---- */

static int replace(struct redactor *red, struct event *ev, enum field f, const char *s, size_t len)
{
	int r = event_set_str(ev, f, s, len);

	if (r < 0) {
		/* Fail closed: the original value must not go out instead. */
		event_unset(ev, f);
		red->stats.removed++;
		if (red->cnt)
			red->cnt->redact_removed++;
	}
	return r;
}

static bool is_word(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '@';
}

/*
 * True when s[start..end) stands alone: "@east" in "'@east'" or
 * "192.0.2.1" in "192.0.2.1:500", not in "@eastgate", "192.0.2.10" or
 * "2001:db8::1:5" (a ':' continues an IPv6 address, not an IPv4 one).
 */
static bool stands_alone(const char *s, size_t len, size_t start, size_t end, bool v6)
{
	unsigned char c;

	if (start > 0) {
		c = (unsigned char)s[start - 1];
		if (is_word(c) || ((c == '.' || (c == ':' && v6)) && start > 1 &&
				   isalnum((unsigned char)s[start - 2])))
			return false;
	}
	if (end < len) {
		c = (unsigned char)s[end];
		if (is_word(c) || ((c == '.' || (c == ':' && v6)) && end + 1 < len &&
				   isalnum((unsigned char)s[end + 1])))
			return false;
	}
	return true;
}

/* The replacement this event already computed for orig under action, or NULL. */
static const struct redact_swap *swap_find(const struct redactor *red, const char *orig, size_t len,
					   enum redact_action action)
{
	for (size_t i = 0; i < red->n_swaps; i++) {
		const struct redact_swap *w = &red->swaps[i];

		if (w->action == action && w->len == len && memcmp(w->orig, orig, len) == 0)
			return w;
	}
	return NULL;
}

/* Remembers that the policy replaced orig (in the arena) by repl, or removed it (repl NULL). */
static void swap_add(struct redactor *red, const char *orig, size_t len, const char *repl,
		     enum redact_action action)
{
	struct redact_swap *w;
	size_t i;

	if (len < SWAP_MIN || red->n_swaps >= F__MAX)
		return;
	for (i = 0; i < red->n_swaps; i++)
		if (red->swaps[i].len == len && memcmp(red->swaps[i].orig, orig, len) == 0)
			return;
	/* Longest first, so that "@east" does not cut into "@east.example". */
	for (i = red->n_swaps; i > 0 && red->swaps[i - 1].len < len; i--)
		red->swaps[i] = red->swaps[i - 1];
	w = &red->swaps[i];
	w->orig = orig;
	w->len = len;
	/* Copied by hand: snprintf here was a tenth of redaction's time. */
	repl = repl ? repl : SCRUB_TEXT;
	w->repl_len = strnlen(repl, sizeof(w->repl) - 1);
	memcpy(w->repl, repl, w->repl_len);
	w->repl[w->repl_len] = '\0';
	w->action = action;
	w->v6 = memchr(orig, ':', len) != NULL;
	red->n_swaps++;
}

/*
 * The first occurrence of n[0..nl) in h[0..hl), as memmem, for the short
 * values and fields here: memchr for the first byte, then a compare (memmem's
 * setup cost more than the search on fields of a few bytes). nl > 0.
 */
static const char *find_value(const char *h, size_t hl, const char *n, size_t nl)
{
	const char *end = h + hl, *p;

	while ((size_t)(end - h) >= nl && (p = memchr(h, n[0], (size_t)(end - h) - nl + 1))) {
		if (memcmp(p + 1, n + 1, nl - 1) == 0)
			return p;
		h = p + 1;
	}
	return NULL;
}

/*
 * Replaces every value the policy hashed or masked where it stands alone
 * in in[0..len): the result in *ret (in, or scratch buf[2]/buf[3]).
 * Returns the number of replacements or -ENOMEM.
 */
static int swap_text(struct redactor *red, const char *in, size_t len, const char **ret,
		     size_t *ret_len)
{
	int bi = 2, total = 0;

	*ret = in;
	*ret_len = len;
	for (size_t k = 0; k < red->n_swaps; k++) {
		const struct redact_swap *w = &red->swaps[k];
		const char *cur = *ret, *hit;
		size_t cur_len = *ret_len, pos = 0, out = 0, start;
		int n = 0;

		while (pos < cur_len &&
		       (hit = find_value(cur + pos, cur_len - pos, w->orig, w->len))) {
			start = (size_t)(hit - cur);
			if (!stands_alone(cur, cur_len, start, start + w->len, w->v6)) {
				if (buf_reserve(red, bi, out + start + 1 - pos + 1) < 0)
					return -ENOMEM;
				memcpy(red->buf[bi] + out, cur + pos, start + 1 - pos);
				out += start + 1 - pos;
				pos = start + 1;
				continue;
			}
			if (buf_reserve(red, bi, out + (start - pos) + w->repl_len + 1) < 0)
				return -ENOMEM;
			memcpy(red->buf[bi] + out, cur + pos, start - pos);
			out += start - pos;
			memcpy(red->buf[bi] + out, w->repl, w->repl_len);
			out += w->repl_len;
			pos = start + w->len;
			n++;
		}
		if (n == 0)
			continue;
		if (buf_reserve(red, bi, out + (cur_len - pos) + 1) < 0)
			return -ENOMEM;
		memcpy(red->buf[bi] + out, cur + pos, cur_len - pos);
		out += cur_len - pos;
		red->buf[bi][out] = '\0';
		*ret = red->buf[bi];
		*ret_len = out;
		bi = bi == 2 ? 3 : 2;
		total += n;
	}
	return total;
}

/* The policy's hash, mask or drop of field f. Returns 0 or -errno from the arena. */
static int apply_policy(struct redactor *red, struct event *ev, enum field f)
{
	const struct redact_swap *w;
	char out[sizeof(red->swaps[0].repl)];
	const char *s;
	size_t len;
	int r;

	if (red->action[f] == REDACT_DROP) {
		event_unset(ev, f);
		return 0;
	}
	s = event_str(ev, f, &len);
	if (!s)
		return 0;
	/* peer_id and initiator_id often hold one value: one HMAC for both. */
	w = swap_find(red, s, len, red->action[f]);
	if (w && strcmp(w->repl, SCRUB_TEXT) != 0)
		return replace(red, ev, f, w->repl, w->repl_len);
	if (red->action[f] == REDACT_MASK)
		r = strlen(s) != len
			? -EINVAL
			: redact_mask_ip(s, red->v4_prefix, red->v6_prefix, out, sizeof(out));
	else
		r = len == 0 ? -EINVAL : pseudonym(red, s, len, out, sizeof(out));
	if (r < 0) {
		/* No address to mask, nothing to hash: nothing goes out. */
		event_unset(ev, f);
		if (red->action[f] == REDACT_MASK)
			red->stats.mask_dropped++;
		else
			red->stats.removed++;
		if (red->cnt)
			red->cnt->redact_removed++;
		swap_add(red, s, len, NULL, red->action[f]);
		return 0;
	}
	r = replace(red, ev, f, out, strlen(out));
	swap_add(red, s, len, r < 0 ? NULL : out, red->action[f]);
	return r;
}

/*
 * Hashes every FQDN-shaped identity token of in[0..len) into buf[4].
 * Returns the number replaced (*ret is in when none), or -errno.
 */
static int id_text(struct redactor *red, const char *in, size_t len, const char **ret,
		   size_t *ret_len)
{
	size_t out_len;
	int n = replace_matches(red, red->id_token, in, len, 4, true, &out_len);

	*ret = n > 0 ? red->buf[4] : in;
	*ret_len = n > 0 ? out_len : len;
	return n;
}

/* Cleans one kept free-text field: identities swapped, then secrets scrubbed. */
static int clean_text(struct redactor *red, struct event *ev, enum field f)
{
	const char *s, *swapped, *scrubbed;
	size_t len, wlen, slen;
	int n_swap, n_ids = 0, n_scrub;

	s = event_str(ev, f, &len);
	if (!s || len == 0)
		return 0;
	n_swap = swap_text(red, s, len, &swapped, &wlen);
	if (n_swap >= 0 && red->id_token && (f == F_MESSAGE || f == F_REASON)) {
		n_ids = id_text(red, swapped, wlen, &swapped, &wlen);
		if (n_ids < 0)
			n_swap = n_ids;
		else
			n_swap += n_ids;
	}
	n_scrub = n_swap < 0 ? n_swap : redact_scrub(red, swapped, wlen, &scrubbed, &slen);
	if (n_scrub < 0) {
		/* A pattern gave up on this value, or memory ran out: it does not go out. */
		event_unset(ev, f);
		red->stats.removed++;
		if (red->cnt)
			red->cnt->redact_removed++;
		return 0;
	}
	red->stats.swapped += (uint64_t)n_swap;
	if (red->cnt)
		red->cnt->redact_scrubbed += (uint64_t)n_scrub;
	if (n_swap == 0 && n_scrub == 0)
		return 0;
	return replace(red, ev, f, scrubbed, slen);
}

/*
 * fn on each field of ev that is present and in mask, in field order (each
 * call changes only its own field); the first error, or 0.
 */
static int each_field(struct redactor *red, struct event *ev, const uint64_t *mask,
		      int (*fn)(struct redactor *red, struct event *ev, enum field f))
{
	int r = 0, rr;

	for (unsigned w = 0; w < MASK_WORDS; w++)
		for (uint64_t m = ev->present[w] & mask[w]; m; m &= m - 1) {
			rr = fn(red, ev, (enum field)(w * 64 + (unsigned)__builtin_ctzll(m)));
			if (rr < 0 && r == 0)
				r = rr;
		}
	return r;
}

int redact_event(struct redactor *red, struct event *ev)
{
	int r, rr;

	red->n_swaps = 0;
	/* The fields present that the policy names; then the kept free text, every swap known. */
	r = each_field(red, ev, red->policy_mask, apply_policy);
	rr = each_field(red, ev, red->clean_mask, clean_text);
	if (rr < 0 && r == 0)
		r = rr;
	red->n_swaps = 0; /* the originals live in the event's arena: forget them */
	return r;
}

/*
 * redact_event with the own fields out of the clean mask for this event:
 * one walk over the fields, which the compiler keeps inlined (a second
 * caller of clean_text cost every event ~290 instructions).
 */
int redact_event_own(struct redactor *red, struct event *ev, const uint64_t *own)
{
	uint64_t keep[MASK_WORDS];
	int r;

	memcpy(keep, red->clean_mask, sizeof(keep));
	for (unsigned w = 0; w < MASK_WORDS; w++)
		red->clean_mask[w] &= ~own[w];
	r = redact_event(red, ev);
	memcpy(red->clean_mask, keep, sizeof(keep));
	return r;
}

void redactor_stats(const struct redactor *red, struct redact_stats *ret)
{
	*ret = red->stats;
}

enum redact_action redactor_action(const struct redactor *red, enum field f)
{
	return (unsigned)f < F__MAX ? red->action[f] : REDACT_DROP;
}
