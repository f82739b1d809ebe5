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

size_t prefilter_extract(const char *p, size_t n, char *out, size_t cap)
{
	char cur[PREFILTER_LITERAL_MAX];
	size_t cl = 0, bl = 0, i = 0;
	int depth = 0;

	if (cap > sizeof(cur))
		cap = sizeof(cur);
#define FLUSH()                                                                                    \
	do {                                                                                       \
		if (cl > bl) {                                                                     \
			memcpy(out, cur, cl);                                                      \
			bl = cl;                                                                   \
		}                                                                                  \
		cl = 0;                                                                            \
	} while (0)
	while (i < n) {
		char c = p[i], lit;
		bool opt = false;
		size_t q;

		if (c == '\\') {
			if (i + 1 >= n)
				return 0;
			char e = p[i + 1];

			if (e == 'Q' || e == 'c' || e == 'E')
				return 0;
			if (isalnum((unsigned char)e)) {
				FLUSH();
				i += 2;
				if (i < n && (p[i] == '{' || ((e == 'k' || e == 'g') &&
							      (p[i] == '<' || p[i] == '\'')))) {
					char close = p[i] == '{' ? '}' : p[i] == '<' ? '>' : '\'';
					const char *z = memchr(p + i, close, n - i);

					if (!z)
						return 0;
					i = (size_t)(z - p) + 1;
				}
				i += quant(p + i, n - i, &opt);
				continue;
			}
			lit = e;
			i += 2;
		} else if (c == '[') {
			FLUSH();
			i++;
			if (i < n && p[i] == '^')
				i++;
			if (i < n && p[i] == ']')
				i++;
			while (i < n && p[i] != ']') {
				if (p[i] == '\\')
					i++;
				else if (p[i] == '[' && i + 1 < n && p[i + 1] == ':') {
					const char *z = memmem(p + i, n - i, ":]", 2);

					if (!z)
						return 0;
					i = (size_t)(z - p) + 1;
				}
				i++;
			}
			if (i >= n)
				return 0;
			i++;
			i += quant(p + i, n - i, &opt);
			continue;
		} else if (c == '(') {
			if (i + 1 < n && p[i + 1] == '*')
				return 0;
			if (i + 1 < n && p[i + 1] == '?') {
				char d = i + 2 < n ? p[i + 2] : '\0';
				bool ok = d == ':' || d == '=' || d == '!' || d == '>' ||
					  d == '|' || (d == 'P' && i + 3 < n && p[i + 3] == '<') ||
					  (d == '<' && i + 3 < n &&
					   (p[i + 3] == '=' || p[i + 3] == '!' || p[i + 3] == '_' ||
					    isalpha((unsigned char)p[i + 3])));

				if (!ok)
					return 0;
			}
			FLUSH();
			depth++;
			i++;
			continue;
		} else if (c == ')') {
			FLUSH();
			if (--depth < 0)
				return 0;
			i++;
			i += quant(p + i, n - i, &opt);
			continue;
		} else if (c == '|') {
			if (depth == 0)
				return 0;
			FLUSH();
			i++;
			continue;
		} else if (c == '.' || c == '^' || c == '$' || c == '*' || c == '+' || c == '?') {
			FLUSH();
			i++;
			i += quant(p + i, n - i, &opt);
			continue;
		} else {
			lit = c;
			i++;
		}
		q = quant(p + i, n - i, &opt);
		i += q;
		if (depth > 0)
			continue;
		if (q && opt) {
			FLUSH();
			continue;
		}
		if (cl < cap)
			cur[cl++] = lit;
		if (q)
			FLUSH();
	}
	FLUSH();
#undef FLUSH
	return bl;
}

/* ---- Aho-Corasick ---- */

void prefilter_free(struct prefilter *pf)
{
	if (!pf)
		return;
	free(pf->delta);
	free(pf->out_off);
	free(pf->out);
	free(pf);
}

int prefilter_build(const char *const *lits, const size_t *lens, size_t n, struct prefilter **ret)
{
	struct prefilter *pf = calloc(1, sizeof(*pf));
	uint32_t *fail = NULL, *queue = NULL, *own_head = NULL, *own_next = NULL;
	uint32_t *cnt = NULL;
	size_t max_states = 1, ns = 1, total = 0;
	int r = -ENOMEM;

	if (!pf)
		goto out;
	for (size_t i = 0; i < n; i++) {
		max_states += lens[i];
		for (size_t k = 0; k < lens[i]; k++)
			pf->cls[(unsigned char)lits[i][k]] = 1;
	}
	if (max_states > UINT32_MAX / 512) {
		r = -E2BIG;
		goto out;
	}
	pf->n_cls = 1;
	for (int b = 0; b < 256; b++)
		pf->cls[b] = pf->cls[b] ? (uint8_t)pf->n_cls++ : 0;
	pf->delta = calloc(max_states * pf->n_cls, sizeof(*pf->delta));
	fail = calloc(max_states, sizeof(*fail));
	queue = calloc(max_states, sizeof(*queue));
	own_head = malloc(max_states * sizeof(*own_head));
	own_next = malloc((n ? n : 1) * sizeof(*own_next));
	cnt = calloc(max_states, sizeof(*cnt));
	pf->out_off = calloc(max_states + 1, sizeof(*pf->out_off));
	if (!pf->delta || !fail || !queue || !own_head || !own_next || !cnt || !pf->out_off)
		goto out;
	memset(own_head, 0xff, max_states * sizeof(*own_head));
	/* Trie; delta 0 means "no edge" while building (no edge leads back to the root). */
	for (size_t i = 0; i < n; i++) {
		uint32_t s = 0;

		if (lens[i] == 0)
			continue;
		for (size_t k = 0; k < lens[i]; k++) {
			uint32_t *d =
			    &pf->delta[s * pf->n_cls + pf->cls[(unsigned char)lits[i][k]]];

			if (!*d)
				*d = (uint32_t)ns++;
			s = *d;
		}
		own_next[i] = own_head[s];
		own_head[s] = (uint32_t)i;
	}
	/* BFS: failure links, full transitions, output counts (own + fail's). */
	size_t qh = 0, qt = 0;

	for (unsigned c = 0; c < pf->n_cls; c++)
		if (pf->delta[c])
			queue[qt++] = pf->delta[c];
	while (qh < qt) {
		uint32_t s = queue[qh++];

		for (uint32_t j = own_head[s]; j != UINT32_MAX; j = own_next[j])
			cnt[s]++;
		cnt[s] += cnt[fail[s]];
		for (unsigned c = 0; c < pf->n_cls; c++) {
			uint32_t *d = &pf->delta[s * pf->n_cls + c];
			uint32_t f = pf->delta[fail[s] * pf->n_cls + c];

			if (*d) {
				fail[*d] = f;
				queue[qt++] = *d;
			} else {
				*d = f;
			}
		}
	}
	for (size_t s = 0; s < ns; s++) {
		pf->out_off[s] = (uint32_t)total;
		total += cnt[s];
	}
	pf->out_off[ns] = (uint32_t)total;
	pf->out = malloc((total ? total : 1) * sizeof(*pf->out));
	if (!pf->out)
		goto out;
	/* Fill in BFS order so a state's failure target is complete before it. */
	for (size_t k = 0; k < qt; k++) {
		uint32_t s = queue[k], o = pf->out_off[s];

		for (uint32_t j = own_head[s]; j != UINT32_MAX; j = own_next[j])
			pf->out[o++] = j;
		for (uint32_t x = pf->out_off[fail[s]]; x < pf->out_off[fail[s] + 1]; x++)
			pf->out[o++] = pf->out[x];
	}
	pf->n_states = ns;
	*ret = pf;
	pf = NULL;
	r = 0;
out:
	free(fail);
	free(queue);
	free(own_head);
	free(own_next);
	free(cnt);
	prefilter_free(pf);
	return r;
}

void prefilter_scan(const struct prefilter *pf, const char *s, size_t len, uint64_t *bits)
{
	const uint32_t *delta = pf->delta;
	const uint32_t *off = pf->out_off;
	uint32_t st = 0, ncls = pf->n_cls;

	for (size_t i = 0; i < len; i++) {
		st = delta[st * ncls + pf->cls[(unsigned char)s[i]]];
		for (uint32_t x = off[st]; x < off[st + 1]; x++)
			bits[pf->out[x] / 64] |= UINT64_C(1) << (pf->out[x] % 64);
	}
}
