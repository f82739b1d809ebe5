/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event: its arena and the setters, with converters by type (the
 * field table is event_fields.c, the JSON writer event_json.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int event_init(struct event *ev, size_t text_cap)
{
	char *t = malloc(text_cap ? text_cap : 1);

	if (!t)
		return -ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->text = t;
	ev->text_cap = text_cap ? text_cap : 1;
	return 0;
}

void event_done(struct event *ev)
{
	if (!ev)
		return;
	free(ev->text);
	ev->text = NULL;
	ev->text_cap = ev->text_len = 0;
}

void event_reset(struct event *ev)
{
	memset(ev->present, 0, sizeof(ev->present));
	ev->text_len = 0;
	ev->rec = NULL;
	ev->rule = NULL;
}

static void mark(struct event *ev, enum field f, bool on)
{
	if (on)
		ev->present[f / 64] |= UINT64_C(1) << (f % 64);
	else
		ev->present[f / 64] &= ~(UINT64_C(1) << (f % 64));
}

void event_unset(struct event *ev, enum field f)
{
	if (f >= 0 && f < F__MAX)
		mark(ev, f, false);
}

/*
 * Copies s into the arena with a NUL; returns the offset or -ENOSPC.
 * Inline: every setter of a line's fields runs it (event_set_prepared too).
 */
static inline __attribute__((always_inline)) int64_t arena_put(struct event *ev, const char *s,
							       size_t len)
{
	if (len >= UINT32_MAX || ev->text_len + len + 1 > ev->text_cap)
		return -ENOSPC;
	size_t off = ev->text_len;

	if (len)
		memcpy(ev->text + off, s, len);
	ev->text[off + len] = '\0';
	ev->text_len += len + 1;
	return (int64_t)off;
}

/* Copies s into the arena as field f's value. */
static int set_value(struct event *ev, enum field f, const char *s, size_t len)
{
	int64_t off = arena_put(ev, s, len);

	if (off < 0)
		return (int)off;
	ev->v[f] = (struct event_value){.off = (uint32_t)off, .len = (uint32_t)len, .num = 0};
	mark(ev, f, true);
	return 0;
}

/* Whether s may be field f's value: a map is checked here, where every setter passes. */
static bool value_ok(enum field f, const char *s, size_t len)
{
	return f >= 0 && f < F__MAX &&
	       (field_table[f].type != FT_MAP || !len || event_map_valid(s, len));
}

int event_set_str(struct event *ev, enum field f, const char *s, size_t len)
{
	return value_ok(f, s, len) ? set_value(ev, f, s, len) : -EINVAL;
}

int event_set_map_checked(struct event *ev, enum field f, const char *s, size_t len)
{
	if (f < 0 || f >= F__MAX)
		return -EINVAL;
	return set_value(ev, f, s, len);
}

/* n as field f's text ("true"/"false" for a bool, else decimal); buf: 24 bytes. Inline. */
static inline __attribute__((always_inline)) const char *int_text(enum field f, int64_t n,
								  char buf[24], size_t *len)
{
	char *p = buf + 24;
	uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;

	if (field_table[f].type == FT_BOOL) {
		p = n ? "true" : "false";
		*len = strlen(p);
		return p;
	}
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (n < 0)
		*--p = '-';
	*len = (size_t)(buf + 24 - p);
	return p;
}

int event_set_int(struct event *ev, enum field f, int64_t n)
{
	char buf[24];
	const char *p;
	size_t len;
	int r;

	if (f < 0 || f >= F__MAX)
		return -EINVAL;
	p = int_text(f, n, buf, &len);
	if ((r = event_set_str(ev, f, p, len)) < 0)
		return r;
	ev->v[f].num = n;
	return 0;
}

int event_put_trusted(struct event *ev, enum field f, const char *s, size_t len, int64_t num)
{
	int64_t off = arena_put(ev, s, len);

	if (off < 0)
		return (int)off;
	ev->v[f] = (struct event_value){.off = (uint32_t)off, .len = (uint32_t)len, .num = num};
	mark(ev, f, true);
	return 0;
}

int event_put_int_trusted(struct event *ev, enum field f, int64_t n)
{
	char buf[24];
	size_t len;
	const char *p = int_text(f, n, buf, &len);

	return event_put_trusted(ev, f, p, len, n);
}

static bool eq_ci(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* Decimal with an optional byte unit (B, KB, KiB, MB, MiB, ...). */
static int parse_int(const char *s, size_t len, int64_t *ret)
{
	static const struct {
		const char *u;
		int64_t mul;
	} units[] = {
	    {"B", 1},
	    {"KB", 1000},
	    {"KiB", 1024},
	    {"MB", 1000000},
	    {"MiB", 1048576},
	    {"GB", 1000000000},
	    {"GiB", INT64_C(1073741824)},
	    {"TB", INT64_C(1000000000000)},
	    {"TiB", INT64_C(1099511627776)},
	};
	size_t i = 0;
	bool neg = false;
	int64_t n = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == len || !isdigit((unsigned char)s[i]))
		return -EINVAL;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		if (n > (INT64_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (s[i] - '0');
	}
	if (i < len) {
		size_t k;

		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (eq_ci(s + i, len - i, units[k].u) && !(units[k].mul > 1 && s[i] == 'b'))
				break;
		if (k == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		if (n > INT64_MAX / units[k].mul)
			return -ERANGE;
		n *= units[k].mul;
	}
	*ret = neg ? -n : n;
	return 0;
}

static int set_ip(struct event *ev, enum field f, const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	const char *pct = memchr(s, '%', len);

	if (pct)
		len = (size_t)(pct - s);
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, bin) != 1 && inet_pton(AF_INET6, buf, bin) != 1)
		return -EINVAL;
	return event_set_str(ev, f, buf, len);
}

static int set_spi(struct event *ev, enum field f, const char *s, size_t len)
{
	char buf[2 + 16];

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 16)
		return -EINVAL;
	buf[0] = '0';
	buf[1] = 'x';
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		buf[2 + i] = (char)tolower((unsigned char)s[i]);
	}
	return event_set_str(ev, f, buf, len + 2);
}

static int set_alg(struct event *ev, enum field f, const char *s, size_t len)
{
	char buf[128];

	if (len == 0 || eq_ci(s, len, "n/a") || eq_ci(s, len, "none")) {
		mark(ev, f, false);
		return 0;
	}
	if (len >= sizeof(buf))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= ' ')
			return -EINVAL;
		buf[i] = (char)toupper((unsigned char)s[i]);
	}
	return event_set_str(ev, f, buf, len);
}

/* A decimal number as pluto prints it ("2.084283"): kept as text, so no digit is lost. */
static int set_number(struct event *ev, enum field f, const char *s, size_t len)
{
	size_t i = 0, dot = len;
	int64_t n = 0;
	int r;

	if (i < len && s[i] == '-')
		i++;
	if (i == len || !isdigit((unsigned char)s[i]) || len > 32)
		return -EINVAL;
	for (; i < len; i++) {
		if (s[i] == '.' && dot == len && i + 1 < len)
			dot = i;
		else if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
	}
	r = parse_int(s, dot, &n);
	if (r < 0)
		return -EINVAL;
	r = event_set_str(ev, f, s, len);
	if (r == 0)
		ev->v[f].num = n;
	return r;
}

/*
 * A list captured as pluto prints it, items separated by blanks (or
 * commas), is kept comma-separated, the way the JSON writer splits it.
 */
static int set_list(struct event *ev, enum field f, const char *s, size_t len)
{
	size_t o = 0;
	int r;

	while (len && (s[len - 1] == ' ' || s[len - 1] == ','))
		len--;
	while (len && (*s == ' ' || *s == ',')) {
		s++;
		len--;
	}
	if (len == 0) {
		mark(ev, f, false);
		return 0;
	}
	r = event_set_str(ev, f, s, len);
	if (r < 0)
		return r;
	char *t = ev->text + ev->v[f].off;

	for (size_t i = 0; i < len; i++) {
		bool sep = t[i] == ' ' || t[i] == ',';

		if (sep && o && t[o - 1] == ',')
			continue;
		t[o++] = sep ? ',' : t[i];
	}
	t[o] = '\0';
	ev->v[f].len = (uint32_t)o;
	return 0;
}

bool event_number_valid(const char *s, size_t len)
{
	size_t i = 0, d;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && s[i] >= '1' && s[i] <= '9')
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	else
		return false;
	if (i < len && s[i] == '.') {
		for (d = ++i; i < len && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < len && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return false;
	}
	return i == len;
}

bool event_map_key_valid(const char *k, size_t len)
{
	if (len == 0 || len > EVENT_MAP_KEY_MAX)
		return false;
	/* ASCII by hand, as isalnum() in the C locale ikelogd runs in: no call per byte. */
	for (size_t i = 0; i < len; i++) {
		char c = k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Keys remembered for the check of repeats; past them, the text is read again. */
#define MAP_SEEN 16

/*
 * Every pair split, every key a valid one and none twice (JSON objects keep
 * one). Every event with labels or address maps passes here, so the keys
 * seen are kept and compared, not found again in the text.
 */
bool event_map_valid(const char *s, size_t len)
{
	struct {
		const char *k;
		size_t len;
	} seen[MAP_SEEN];
	const char *k, *v, *p = s;
	size_t kl, vl, l = len, n = 0;

	while (event_map_next(&p, &l, &k, &kl, &v, &vl)) {
		const char *k2, *v2, *q = s;
		size_t kl2, vl2, m = len;

		if (!event_map_key_valid(k, kl))
			return false;
		for (size_t i = 0; i < n; i++)
			if (seen[i].len == kl && memcmp(seen[i].k, k, kl) == 0)
				return false;
		if (n < MAP_SEEN) {
			seen[n].k = k;
			seen[n++].len = kl;
			continue;
		}
		while (event_map_next(&q, &m, &k2, &kl2, &v2, &vl2) && k2 < k)
			if (kl2 == kl && memcmp(k2, k, kl) == 0)
				return false;
	}
	return l == 0;
}

int event_set_text(struct event *ev, enum field f, const char *s, size_t len)
{
	int64_t n = 0;
	int r;

	if (f < 0 || f >= F__MAX)
		return -EINVAL;
	switch (field_table[f].type) {
	case FT_INT:
		r = parse_int(s, len, &n);
		return r < 0 ? -EINVAL : event_set_int(ev, f, n);
	case FT_PORT:
		r = parse_int(s, len, &n);
		if (r < 0 || n < 0 || n > 65535 || memchr(s, 'B', len) || memchr(s, 'b', len))
			return -EINVAL;
		return event_set_int(ev, f, n);
	case FT_BOOL:
		if (eq_ci(s, len, "true") || eq_ci(s, len, "yes") || eq_ci(s, len, "1"))
			return event_set_int(ev, f, 1);
		if (eq_ci(s, len, "false") || eq_ci(s, len, "no") || eq_ci(s, len, "0"))
			return event_set_int(ev, f, 0);
		return -EINVAL;
	case FT_IP:
		return set_ip(ev, f, s, len);
	case FT_SPI:
		return set_spi(ev, f, s, len);
	case FT_ALG:
		return set_alg(ev, f, s, len);
	case FT_NUMBER:
		return set_number(ev, f, s, len);
	case FT_LIST:
		return set_list(ev, f, s, len);
	case FT_MAP: /* event_set_str checks it */
	case FT_STRING:
	case FT__MAX:
		break;
	}
	if (len == 0) { /* an empty capture is no value */
		mark(ev, f, false);
		return 0;
	}
	return event_set_str(ev, f, s, len);
}

const char *event_str(const struct event *ev, enum field f, size_t *ret_len)
{
	if (f < 0 || f >= F__MAX || !event_has(ev, f))
		return NULL;
	if (ret_len)
		*ret_len = ev->v[f].len;
	return ev->text + ev->v[f].off;
}

int64_t event_int(const struct event *ev, enum field f, int64_t def)
{
	if (f < 0 || f >= F__MAX || !event_has(ev, f))
		return def;
	return ev->v[f].num;
}

/* ---- prepared values (event_set_prepared) ---- */

void event_prep_init(struct event_prep *p, char *text, size_t text_cap)
{
	p->text = text;
	p->text_cap = text_cap;
	p->text_len = 0;
	p->n = 0;
}

/* Adds f = s (NUL-terminated in p's text) with number num. */
static int prep_add(struct event_prep *p, enum field f, const char *s, size_t len, int64_t num)
{
	if (f < 0 || f >= F__MAX)
		return -EINVAL;
	if (p->n == EVENT_PREP_MAX || len >= UINT32_MAX || len + 1 > p->text_cap - p->text_len)
		return -ENOSPC;
	if (len)
		memcpy(p->text + p->text_len, s, len);
	p->text[p->text_len + len] = '\0';
	p->v[p->n].f = f;
	p->v[p->n].v =
	    (struct event_value){.off = (uint32_t)p->text_len, .len = (uint32_t)len, .num = num};
	p->n++;
	p->text_len += len + 1;
	return 0;
}

int event_prep_str(struct event_prep *p, enum field f, const char *s, size_t len)
{
	return value_ok(f, s, len) ? prep_add(p, f, s, len, 0) : -EINVAL;
}

int event_prep_map_checked(struct event_prep *p, enum field f, const char *s, size_t len)
{
	return prep_add(p, f, s, len, 0);
}

int event_prep_int(struct event_prep *p, enum field f, int64_t n)
{
	char buf[24];
	const char *s;
	size_t len;

	if (f < 0 || f >= F__MAX)
		return -EINVAL;
	s = int_text(f, n, buf, &len);
	return prep_add(p, f, s, len, n);
}

int event_set_prepared(struct event *ev, const struct event_prep *p)
{
	int64_t base;

	if (p->n == 0)
		return 0;
	/* The last value's NUL is arena_put's. */
	base = arena_put(ev, p->text, p->text_len - 1);
	if (base < 0)
		return (int)base;
	for (size_t i = 0; i < p->n; i++) {
		enum field f = p->v[i].f;

		ev->v[f] = p->v[i].v;
		ev->v[f].off += (uint32_t)base;
		mark(ev, f, true);
	}
	return 0;
}
