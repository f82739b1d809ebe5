/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_ENVELOPE_IMPL_H
#define IKELOGD_ENVELOPE_IMPL_H

/*
 * The envelope parser's insides, shared by its two files only:
 * src/envelope_log.c (log prefixes, times) and src/envelope.c (pluto's
 * prefix). A cursor over bytes that never passes the end; nothing is
 * assumed NUL-terminated. Nothing else includes this.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "envelope.h"

#define PID_DIGITS_MAX	  9
#define SERIAL_DIGITS_MAX 18

struct cur {
	const char *s;
	size_t i, n;
};

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* PRINTUSASCII of RFC 5424: %d33-126. */
static inline bool is_print(char c)
{
	return (unsigned char)c >= 33 && (unsigned char)c <= 126;
}

static inline bool at(const struct cur *c, char ch)
{
	return c->i < c->n && c->s[c->i] == ch;
}

static inline bool take(struct cur *c, char ch)
{
	if (!at(c, ch))
		return false;
	c->i++;
	return true;
}

static inline bool take_str(struct cur *c, const char *lit)
{
	size_t l = strlen(lit);

	if (c->n - c->i < l || memcmp(c->s + c->i, lit, l) != 0)
		return false;
	c->i += l;
	return true;
}

/* Exactly n digits. */
static inline bool take_num(struct cur *c, size_t n, int *ret)
{
	int v = 0;

	if (c->n - c->i < n)
		return false;
	for (size_t k = 0; k < n; k++) {
		if (!is_digit(c->s[c->i + k]))
			return false;
		v = v * 10 + (c->s[c->i + k] - '0');
	}
	c->i += n;
	*ret = v;
	return true;
}

/* 1..max digits; the value of the first 18 (no overflow). */
static inline bool take_uint(struct cur *c, size_t max, int64_t *ret)
{
	size_t b = c->i;
	int64_t v = 0;

	while (c->i < c->n && is_digit(c->s[c->i]) && c->i - b < max)
		v = v * 10 + (c->s[c->i++] - '0');
	if (c->i == b)
		return false;
	*ret = v;
	return true;
}

/* True when s[0..len) is a valid IPv4 or IPv6 address (brackets stripped by the caller). */
bool envelope_valid_addr(const char *s, size_t len);

#endif
