/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rules' literal prefilter: required-literal extraction from a PCRE2
 * pattern, and one index over all literals (anchored on a rare gram of
 * each), so that one pass over a line finds every rule whose literal it
 * contains.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"

/* Length of a counted quantifier "{m}", "{m,}", "{m,n}" at p, 0 if none; *ret_min = m. */
static size_t counted_quant(const char *p, size_t n, long *ret_min)
{
	size_t i = 1;
	long m = 0;

	if (n < 3 || p[0] != '{' || !isdigit((unsigned char)p[1]))
		return 0;
	while (i < n && isdigit((unsigned char)p[i])) {
		if (m < 100000)
			m = m * 10 + (p[i] - '0');
		i++;
	}
	if (i < n && p[i] == ',') {
		i++;
		while (i < n && isdigit((unsigned char)p[i]))
			i++;
	}
	if (i >= n || p[i] != '}')
		return 0;
	*ret_min = m;
	return i + 1;
}

/*
 * The quantifier at p (with its lazy/possessive suffix): returns its
 * length and whether it allows zero repetitions; 0 if there is none.
 */
static size_t quant(const char *p, size_t n, bool *ret_optional)
{
	size_t l = 0;
	long m = 1;

	if (n == 0)
		return 0;
	if (p[0] == '?' || p[0] == '*' || p[0] == '+') {
		l = 1;
		m = p[0] == '+' ? 1 : 0;
	} else if ((l = counted_quant(p, n, &m)) == 0) {
		return 0;
	}
	if (l < n && (p[l] == '?' || p[l] == '+'))
		l++;
	*ret_optional = m == 0;
	return l;
}

struct scan {
	const char *p;
	size_t n, i, cap;
	bool bail;
};

/* A requirement: the line contains at least one of these literals. */
static size_t score(const struct prefilter_req *r)
{
	size_t m = SIZE_MAX;

	for (size_t i = 0; i < r->n; i++)
		if (r->len[i] < m)
			m = r->len[i];
	return r->n ? m : 0;
}

/* Keeps the better requirement: every literal long enough to index, the shortest longest. */
static void keep(struct prefilter_req *best, const struct prefilter_req *cand)
{
	if (score(cand) >= PREFILTER_GRAM && score(cand) > score(best))
		*best = *cand;
}

static void keep_run(struct prefilter_req *best, const char *cur, size_t cl)
{
	struct prefilter_req r = {.n = 1, .len = {cl}};

	memcpy(r.lit[0], cur, cl);
	keep(best, &r);
}

/* acc |= r (an alternation): false when the union is too large. */
static bool unite(struct prefilter_req *acc, const struct prefilter_req *r)
{
	if (acc->n + r->n > PREFILTER_ALTS)
		return false;
	for (size_t i = 0; i < r->n; i++) {
		memcpy(acc->lit[acc->n], r->lit[i], r->len[i]);
		acc->len[acc->n++] = r->len[i];
	}
	return true;
}

/* Skips the "(?..." head of a group at x->i (just past '('); sets *look for lookarounds. */
static void group_head(struct scan *x, bool *look)
{
	const char *p = x->p;
	size_t n = x->n, i = x->i;

	*look = false;
	if (i >= n || p[i] != '?')
		return;
	char d = i + 1 < n ? p[i + 1] : '\0';
	char e = i + 2 < n ? p[i + 2] : '\0';

	if (d == ':' || d == '>' || d == '|') {
		x->i = i + 2;
	} else if (d == '=' || d == '!') {
		*look = true;
		x->i = i + 2;
	} else if (d == '<' && (e == '=' || e == '!')) {
		*look = true;
		x->i = i + 3;
	} else if ((d == '<' && (e == '_' || isalpha((unsigned char)e))) ||
		   (d == 'P' && e == '<')) {
		const char *z = memchr(p + i, '>', n - i);

		if (!z)
			x->bail = true;
		else
			x->i = (size_t)(z - p) + 1;
	} else {
		x->bail = true; /* inline flags, comments, conditionals, callouts */
	}
}

/*
 * One alternation level, up to its ')' or the end: writes the longest
 * required literal into best. A level with '|' requires none; a group
 * contributes its own when it is not optional, not a lookaround and has no
 * alternation of its own. Runs never cross group boundaries.
 */
static void seq(struct scan *x, struct prefilter_req *ret, int depth)
{
	char cur[PREFILTER_LITERAL_MAX] = {0};
	size_t cl = 0;
	bool alt = false, alt_ok = true;
	const char *p = x->p;
	size_t n = x->n;
	struct prefilter_req best = {.n = 0}, acc = {.n = 0};

#define FLUSH()                                                                                    \
	do {                                                                                       \
		keep_run(&best, cur, cl);                                                          \
		cl = 0;                                                                            \
	} while (0)
	while (x->i < n && !x->bail) {
		char c = p[x->i], lit;
		bool opt = false;
		size_t q;

		if (c == ')')
			break;
		if (c == '\\') {
			if (x->i + 1 >= n) {
				x->bail = true;
				break;
			}
			char e = p[x->i + 1];

			if (e == 'Q' || e == 'c' || e == 'E') {
				x->bail = true;
				break;
			}
			if (isalnum((unsigned char)e)) {
				FLUSH();
				x->i += 2;
				if (x->i < n &&
				    (p[x->i] == '{' || ((e == 'k' || e == 'g') &&
							(p[x->i] == '<' || p[x->i] == '\'')))) {
					char close = p[x->i] == '{'   ? '}'
						     : p[x->i] == '<' ? '>'
								      : '\'';
					const char *z = memchr(p + x->i, close, n - x->i);

					if (!z) {
						x->bail = true;
						break;
					}
					x->i = (size_t)(z - p) + 1;
				}
				x->i += quant(p + x->i, n - x->i, &opt);
				continue;
			}
			lit = e;
			x->i += 2;
		} else if (c == '[') {
			FLUSH();
			size_t i = x->i + 1;

			if (i < n && p[i] == '^')
				i++;
			if (i < n && p[i] == ']')
				i++;
			while (i < n && p[i] != ']') {
				if (p[i] == '\\')
					i++;
				else if (p[i] == '[' && i + 1 < n && p[i + 1] == ':') {
					const char *z = memmem(p + i, n - i, ":]", 2);

					if (!z) {
						x->bail = true;
						break;
					}
					i = (size_t)(z - p) + 1;
				}
				i++;
			}
			if (x->bail || i >= n) {
				x->bail = true;
				break;
			}
			x->i = i + 1;
			x->i += quant(p + x->i, n - x->i, &opt);
			continue;
		} else if (c == '(') {
			struct prefilter_req g;
			bool look;

			FLUSH();
			if ((x->i + 1 < n && p[x->i + 1] == '*') || depth >= 64) {
				x->bail = true;
				break;
			}
			x->i++;
			group_head(x, &look);
			if (x->bail)
				break;
			seq(x, &g, depth + 1);
			if (x->bail || x->i >= n || p[x->i] != ')') {
				x->bail = true;
				break;
			}
			x->i++;
			q = quant(p + x->i, n - x->i, &opt);
			x->i += q;
			if (!look && !(q && opt))
				keep(&best, &g);
			continue;
		} else if (c == '|') {
			/* Each alternative must give a requirement; the level requires any of them.
			 */
			FLUSH();
			alt = true;
			alt_ok = alt_ok && best.n > 0 && unite(&acc, &best);
			best.n = 0;
			x->i++;
			continue;
		} else if (c == '.' || c == '^' || c == '$' || c == '*' || c == '+' || c == '?') {
			FLUSH();
			x->i++;
			x->i += quant(p + x->i, n - x->i, &opt);
			continue;
		} else {
			lit = c;
			x->i++;
		}
		q = quant(p + x->i, n - x->i, &opt);
		x->i += q;
		if (q && opt) {
			FLUSH();
			continue;
		}
		if (cl < x->cap)
			cur[cl++] = lit;
		if (q)
			FLUSH();
	}
	FLUSH();
#undef FLUSH
	if (alt) {
		alt_ok = alt_ok && best.n > 0 && unite(&acc, &best);
		if (!alt_ok)
			acc.n = 0;
		*ret = acc;
	} else {
		*ret = best;
	}
}

int prefilter_extract(const char *p, size_t n, struct prefilter_req *ret)
{
	struct scan x = {.p = p, .n = n, .cap = PREFILTER_LITERAL_MAX};
	struct prefilter_req r;

	seq(&x, &r, 0);
	if (x.bail || x.i != n) /* unbalanced ')' or syntax not followed */
		r.n = 0;
	*ret = r;
	return (int)r.n;
}

/*
 * ---- The multi-literal scan ----
 *
 * Every literal is anchored on one 8-byte gram of its own (4-byte, at its
 * start, when it is shorter than 8): the gram that the fewest other
 * literals contain, so that lines full of common words ("received",
 * "sent IKE_") do not walk long chains. The scan hashes the gram at each
 * position of the line and tests one bit of a small bitmap (L1-resident);
 * only on a hit does it walk the bucket, compare the gram as one integer
 * and then the literal in full around it. Identical literals of several
 * rules are one entry. An Aho-Corasick automaton was the first version:
 * its transition table (one row per literal byte) missed the cache on
 * almost every byte of a matching line and cost five times more; anchoring
 * every literal on its first 4 bytes was the second, and with the
 * generated table's 3,000 literals its chains cost a third of a line's time.
 */
#define PF_BITS	 15
#define PF_SIZE	 (1u << PF_BITS)
#define PF4_BITS 10
#define PF4_SIZE (1u << PF4_BITS)
#define PF_LONG	 8 /* literals at least this long are anchored on an 8-byte gram */
/*
 * The bitmaps have 4 and 16 times more bits than there are chains (a
 * chain's bucket is its bit's index shifted right): with ~3,000 literals a
 * 2^15-bit map had one bit in 12 set, and the misses it let through (half
 * of all hits) each cost a chain head and an entry out of cache.
 */
#define PF_MAP_BITS  (PF_BITS + 2)
#define PF4_MAP_BITS (PF4_BITS + 4)

struct pf_entry {
	uint64_t gram;		 /* the anchor's bytes (8, or 4 in the low half) */
	uint32_t next;		 /* UINT32_MAX ends the chain */
	uint32_t text;		 /* the literal: text[text .. text + len) */
	uint32_t rules, n_rules; /* rule[rules .. rules + n_rules): the rules it stands for */
	uint16_t off, len;	 /* the anchor's offset in the literal; the literal's length */
};

struct prefilter {
	uint64_t bitmap[(1u << PF_MAP_BITS) / 64];
	uint64_t bitmap4[(1u << PF4_MAP_BITS) / 64];
	uint32_t head[PF_SIZE];
	uint32_t head4[PF4_SIZE];
	bool any4; /* a literal shorter than PF_LONG is indexed */
	struct pf_entry *ent;
	uint32_t *rule;
	char *text; /* the literals, back to back */
};

static inline uint64_t load64(const char *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

static inline uint32_t load32(const char *p)
{
	uint32_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/* A gram's bit in its bitmap; its chain is bit >> (PF_MAP_BITS - PF_BITS). */
static inline uint32_t hash8(uint64_t x)
{
	return (uint32_t)((x * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - PF_MAP_BITS));
}

static inline uint32_t hash4(uint32_t x)
{
	return (x * UINT32_C(0x9e3779b1)) >> (32 - PF4_MAP_BITS);
}

static inline bool bit_set(const uint64_t *map, uint32_t h)
{
	return (map[h / 64] >> (h % 64)) & 1;
}

void prefilter_free(struct prefilter *pf)
{
	if (!pf)
		return;
	free(pf->ent);
	free(pf->rule);
	free(pf->text);
	free(pf);
}

/* Literal order for grouping identical ones: bytes, then length, then index (stable). */
struct lit_ref {
	const char *s;
	size_t len;
	uint32_t rule;
	size_t idx;
};

static int lit_cmp(const void *a, const void *b)
{
	const struct lit_ref *x = a, *y = b;
	size_t l = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, l);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* How many of the distinct literals contain gram g (sorted[0..n) holds each literal's grams once).
 */
static size_t gram_count(const uint64_t *sorted, size_t n, uint64_t g)
{
	size_t lo = 0, hi = n, first;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid] < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid] <= g)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - first;
}

/* Appends the distinct 8-byte grams of s[0..len) to v. */
static size_t distinct_grams(const char *s, size_t len, uint64_t *v)
{
	size_t k = 0;

	for (size_t i = 0; i + PF_LONG <= len; i++) {
		uint64_t g = load64(s + i);
		bool seen = false;

		for (size_t j = 0; j < k && !seen; j++)
			seen = v[j] == g;
		if (!seen)
			v[k++] = g;
	}
	return k;
}

int prefilter_build(const char *const *lits, const size_t *lens, const uint32_t *rule_of, size_t n,
		    struct prefilter **ret)
{
	struct prefilter *pf = calloc(1, sizeof(*pf));
	struct lit_ref *ref = NULL;
	uint64_t *grams = NULL;
	size_t total = 0, nu = 0, ng = 0, nr = 0;
	int r = -ENOMEM;

	if (!pf)
		goto out;
	if (n >= UINT32_MAX / 2) {
		r = -E2BIG;
		goto out;
	}
	memset(pf->head, 0xff, sizeof(pf->head));
	memset(pf->head4, 0xff, sizeof(pf->head4));
	ref = calloc(n + 1, sizeof(*ref));
	if (!ref)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (lens[i] < PREFILTER_GRAM)
			continue;
		if (lens[i] > UINT16_MAX) {
			r = -E2BIG;
			goto out;
		}
		ref[nr++] = (struct lit_ref){lits[i], lens[i], rule_of[i], i};
		total += lens[i];
	}
	qsort(ref, nr, sizeof(*ref), lit_cmp);
	pf->text = malloc(total + 1);
	pf->rule = calloc(nr + 1, sizeof(*pf->rule));
	pf->ent = calloc(nr + 1, sizeof(*pf->ent));
	grams = calloc(total + 1, sizeof(*grams));
	if (!pf->text || !pf->rule || !pf->ent || !grams || total >= UINT32_MAX)
		goto out;
	/* One entry per distinct literal, with the rules that require it (index order). */
	total = 0;
	for (size_t i = 0; i < nr; i++) {
		bool same = nu && ref[i].len == pf->ent[nu - 1].len &&
			    memcmp(ref[i].s, pf->text + pf->ent[nu - 1].text, ref[i].len) == 0;

		if (!same) {
			pf->ent[nu++] = (struct pf_entry){.text = (uint32_t)total,
							  .len = (uint16_t)ref[i].len,
							  .rules = (uint32_t)i};
			memcpy(pf->text + total, ref[i].s, ref[i].len);
			total += ref[i].len;
			ng += distinct_grams(ref[i].s, ref[i].len, grams + ng);
		}
		pf->rule[i] = ref[i].rule;
		pf->ent[nu - 1].n_rules++;
	}
	qsort(grams, ng, sizeof(*grams), u64_cmp);
	/* Each literal's anchor: its gram the fewest literals share (the first such). */
	for (size_t e = nu; e-- > 0;) {
		struct pf_entry *x = &pf->ent[e];
		const char *t = pf->text + x->text;
		uint32_t h;

		if (x->len < PF_LONG) {
			x->gram = load32(t);
			h = hash4((uint32_t)x->gram);
			x->next = pf->head4[h >> (PF4_MAP_BITS - PF4_BITS)];
			pf->head4[h >> (PF4_MAP_BITS - PF4_BITS)] = (uint32_t)e;
			pf->bitmap4[h / 64] |= UINT64_C(1) << (h % 64);
			pf->any4 = true;
			continue;
		}
		size_t best = SIZE_MAX;

		for (size_t o = 0; o + PF_LONG <= x->len; o++) {
			size_t c = gram_count(grams, ng, load64(t + o));

			if (c < best) {
				best = c;
				x->off = (uint16_t)o;
			}
		}
		x->gram = load64(t + x->off);
		h = hash8(x->gram);
		x->next = pf->head[h >> (PF_MAP_BITS - PF_BITS)];
		pf->head[h >> (PF_MAP_BITS - PF_BITS)] = (uint32_t)e;
		pf->bitmap[h / 64] |= UINT64_C(1) << (h % 64);
	}
	*ret = pf;
	pf = NULL;
	r = 0;
out:
	free(ref);
	free(grams);
	prefilter_free(pf);
	return r;
}

/* The literal of x holds s[i..) at its anchor: does the whole literal occur there? */
static inline void try_entry(const struct prefilter *pf, const struct pf_entry *x, const char *s,
			     size_t len, size_t i, uint64_t *bits)
{
	const uint32_t *ru = pf->rule + x->rules;
	size_t at = i - x->off;
	uint32_t k = 0;

	if (x->off > i || x->len > len - at)
		return;
	/* Skip the compare when every rule it stands for is a candidate already. */
	while (k < x->n_rules && ((bits[ru[k] / 64] >> (ru[k] % 64)) & 1))
		k++;
	if (k == x->n_rules || memcmp(s + at, pf->text + x->text, x->len) != 0)
		return;
	for (; k < x->n_rules; k++)
		bits[ru[k] / 64] |= UINT64_C(1) << (ru[k] % 64);
}

/* The chain of gram g (its bit set) at s[i..): each literal anchored there tried. */
static inline void walk(const struct prefilter *pf, uint32_t e, uint64_t g, const char *s,
			size_t len, size_t i, uint64_t *bits)
{
	for (; e != UINT32_MAX; e = pf->ent[e].next)
		if (pf->ent[e].gram == g)
			try_entry(pf, &pf->ent[e], s, len, i, bits);
}

/*
 * One pass over the line: at each position the 8-byte gram, and the 4-byte
 * one when short literals are indexed (as two passes, the loop and the
 * loads cost twice).
 */
void prefilter_scan(const struct prefilter *pf, const char *s, size_t len, uint64_t *bits)
{
	const int sh8 = PF_MAP_BITS - PF_BITS, sh4 = PF4_MAP_BITS - PF4_BITS;
	size_t i = 0, end8;

	if (len < PREFILTER_GRAM)
		return;
	end8 = len >= PF_LONG ? len - PF_LONG + 1 : 0; /* the positions an 8-byte gram starts at */
	if (pf->any4) {
		for (; i < end8; i++) {
			uint64_t g = load64(s + i);
			uint32_t g4 = load32(s + i), h = hash8(g), h4 = hash4(g4);

			if (__builtin_expect(bit_set(pf->bitmap, h), 0))
				walk(pf, pf->head[h >> sh8], g, s, len, i, bits);
			if (__builtin_expect(bit_set(pf->bitmap4, h4), 0))
				walk(pf, pf->head4[h4 >> sh4], g4, s, len, i, bits);
		}
		for (; i + PREFILTER_GRAM <= len; i++) {
			uint32_t g4 = load32(s + i), h4 = hash4(g4);

			if (bit_set(pf->bitmap4, h4))
				walk(pf, pf->head4[h4 >> sh4], g4, s, len, i, bits);
		}
		return;
	}
	for (; i < end8; i++) {
		uint64_t g = load64(s + i);
		uint32_t h = hash8(g);

		if (__builtin_expect(bit_set(pf->bitmap, h), 0))
			walk(pf, pf->head[h >> sh8], g, s, len, i, bits);
	}
}
