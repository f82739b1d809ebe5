/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rules' literal prefilter: required-literal extraction from a PCRE2
 * pattern, and one Aho-Corasick automaton over all literals, so that one
 * pass over a line finds every rule whose literal it contains.
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
 * Every literal is anchored on its first PF_GRAM bytes. The scan hashes
 * the gram at each position of the line and tests one bit of a small
 * bitmap (L1-resident); only on a hit does it walk the bucket's literals
 * and compare them in full. An Aho-Corasick automaton was the first
 * version: its transition table (one row per literal byte) missed the
 * cache on almost every byte of a matching line and cost five times more.
 */
#define PF_BITS 14
#define PF_SIZE (1u << PF_BITS)

struct pf_entry {
	uint32_t next; /* UINT32_MAX ends the chain */
	uint32_t lit;
	uint32_t rule;
};

struct prefilter {
	uint64_t bitmap[PF_SIZE / 64];
	uint32_t head[PF_SIZE];
	struct pf_entry *ent;
	char *text; /* the literals, back to back */
	size_t *off, *len;
	size_t n;
};

static inline uint32_t gram_hash(const char *p)
{
	uint32_t x;

	memcpy(&x, p, sizeof(x));
	return (x * UINT32_C(0x9e3779b1)) >> (32 - PF_BITS);
}

void prefilter_free(struct prefilter *pf)
{
	if (!pf)
		return;
	free(pf->ent);
	free(pf->text);
	free(pf->off);
	free(pf->len);
	free(pf);
}

int prefilter_build(const char *const *lits, const size_t *lens, const uint32_t *rule_of, size_t n,
		    struct prefilter **ret)
{
	struct prefilter *pf = calloc(1, sizeof(*pf));
	size_t total = 0, ne = 0;
	int r = -ENOMEM;

	if (!pf)
		goto out;
	if (n >= UINT32_MAX) {
		r = -E2BIG;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		total += lens[i];
	pf->n = n;
	pf->text = malloc(total + 1);
	pf->off = calloc(n + 1, sizeof(*pf->off));
	pf->len = calloc(n + 1, sizeof(*pf->len));
	pf->ent = calloc(n + 1, sizeof(*pf->ent));
	if (!pf->text || !pf->off || !pf->len || !pf->ent)
		goto out;
	memset(pf->head, 0xff, sizeof(pf->head));
	total = 0;
	/* Inserted in reverse so each chain lists its literals in index order. */
	for (size_t i = n; i-- > 0;) {
		if (lens[i] < PREFILTER_GRAM)
			continue;
		uint32_t h = gram_hash(lits[i]);

		pf->off[i] = total;
		pf->len[i] = lens[i];
		memcpy(pf->text + total, lits[i], lens[i]);
		total += lens[i];
		pf->ent[ne] =
		    (struct pf_entry){.next = pf->head[h], .lit = (uint32_t)i, .rule = rule_of[i]};
		pf->head[h] = (uint32_t)ne++;
		pf->bitmap[h / 64] |= UINT64_C(1) << (h % 64);
	}
	*ret = pf;
	pf = NULL;
	r = 0;
out:
	prefilter_free(pf);
	return r;
}

void prefilter_scan(const struct prefilter *pf, const char *s, size_t len, uint64_t *bits)
{
	if (len < PREFILTER_GRAM)
		return;
	for (size_t i = 0; i + PREFILTER_GRAM <= len; i++) {
		uint32_t h = gram_hash(s + i);

		if (!((pf->bitmap[h / 64] >> (h % 64)) & 1))
			continue;
		for (uint32_t e = pf->head[h]; e != UINT32_MAX; e = pf->ent[e].next) {
			uint32_t k = pf->ent[e].lit, ru = pf->ent[e].rule;
			size_t l = pf->len[k];

			if ((bits[ru / 64] >> (ru % 64)) & 1)
				continue;
			if (l <= len - i && memcmp(s + i, pf->text + pf->off[k], l) == 0)
				bits[ru / 64] |= UINT64_C(1) << (ru % 64);
		}
	}
}
