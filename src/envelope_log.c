/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The envelope's log prefixes (include/envelope.h): RFC 5424, RFC 3164 /
 * BSD syslog and what the syslog listener receives, journalctl's short
 * formats, RFC 3339 syslog, pluto's logfile, OpenWrt logread, bare tags;
 * the one BSD-time and the one RFC 3339 reader of the tree.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "envelope_impl.h"

/* ".ddd..." of any length: the first 6 digits are the microseconds, the rest is ignored. */
static bool take_fraction(struct cur *c, int64_t *ret_usec)
{
	int64_t us = 0;
	int n = 0;

	*ret_usec = 0;
	if (!(c->i + 1 < c->n && (c->s[c->i] == '.' || c->s[c->i] == ',') &&
	      is_digit(c->s[c->i + 1])))
		return true;
	c->i++;
	for (; c->i < c->n && is_digit(c->s[c->i]); c->i++, n++)
		if (n < 6)
			us = us * 10 + (c->s[c->i] - '0');
	for (; n < 6; n++)
		us *= 10;
	*ret_usec = us;
	return true;
}

static int days_in_month(int year, int mon)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

/* Seconds of a calendar time: UTC, or local time (TZ) when local. -1 when out of range. */
static int64_t epoch(int y, int mo, int d, int h, int mi, int s, bool local)
{
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = s,
			.tm_isdst = -1};
	time_t t;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 60)
		return -1;
	t = local ? mktime(&tm) : timegm(&tm);
	return t < 0 ? -1 : (int64_t)t;
}

/* What a time without a zone is. */
enum zone_default { ZONE_NEEDED, ZONE_LOCAL, ZONE_UTC };

static int rfc3339(const char *s, size_t len, enum zone_default dflt, int64_t *ret_usec)
{
	struct cur c = {s, 0, len};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac, t;
	bool local = false;

	if (!take_num(&c, 4, &y) || !take(&c, '-') || !take_num(&c, 2, &mo) || !take(&c, '-') ||
	    !take_num(&c, 2, &d))
		return -EINVAL;
	if (!(take(&c, 'T') || take(&c, 't') || take(&c, ' ')))
		return -EINVAL;
	if (!take_num(&c, 2, &h) || !take(&c, ':') || !take_num(&c, 2, &mi) || !take(&c, ':') ||
	    !take_num(&c, 2, &sec) || !take_fraction(&c, &frac))
		return -EINVAL;
	if (take(&c, 'Z') || take(&c, 'z')) {
		/* UTC */
	} else if (at(&c, '+') || at(&c, '-')) {
		sign = c.s[c.i++] == '+' ? 1 : -1;
		if (!take_num(&c, 2, &oh))
			return -EINVAL;
		take(&c, ':');
		if (!take_num(&c, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
	} else if (dflt == ZONE_NEEDED) {
		return -EINVAL;
	} else {
		local = dflt == ZONE_LOCAL;
	}
	if ((t = epoch(y, mo, d, h, mi, sec, local)) < 0)
		return -EINVAL;
	t -= sign * (oh * 3600 + om * 60);
	if (t < 0)
		return -EINVAL;
	*ret_usec = t * 1000000 + frac;
	return (int)c.i;
}

int envelope_rfc3339(const char *s, size_t len, bool need_zone, int64_t *ret_usec)
{
	return rfc3339(s, len, need_zone ? ZONE_NEEDED : ZONE_LOCAL, ret_usec);
}

/*
 * A month's abbreviation at s: English, or one of journalctl's and
 * syslog's abbreviations in a common locale (German, Dutch, the
 * Scandinavian ones, Spanish, Italian, Portuguese) that no English
 * abbreviation and no other of these locales spells for another month,
 * so an English line reads as before. Sets *ret_len (its bytes).
 */
static int month_of(const char *s, size_t len, size_t *ret_len)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const struct {
		const char *name;
		int mon;
	} local[] = {
	    {"ene", 1},	 {"gen", 1},  {"fev", 2},  {"m\xc3\xa4r", 3}, {"mrt", 3},
	    {"abr", 4},	 {"mai", 5},  {"mei", 5},  {"maj", 5},	      {"mag", 5},
	    {"giu", 6},	 {"lug", 7},  {"ago", 8},  {"set", 9},	      {"okt", 10},
	    {"ott", 10}, {"out", 10}, {"dez", 12}, {"des", 12},	      {"dic", 12},
	};

	if (len < 3)
		return 0;
	*ret_len = 3;
	for (int m = 0; m < 12; m++)
		if (strncasecmp(s, months + 3 * m, 3) == 0)
			return m + 1;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		size_t l = strlen(local[i].name);

		if (l <= len && strncasecmp(s, local[i].name, l) == 0) {
			*ret_len = l;
			return local[i].mon;
		}
	}
	return 0;
}

int envelope_bsd_time(const char *s, size_t len, int64_t now_usec, int year, int64_t *ret_usec)
{
	struct cur c = {s, 0, len};
	int mon, d = 0, h, mi, sec;
	int64_t frac, t = -1, now = now_usec / 1000000;

	if (len < 14 || !is_alpha(s[0]) || !(mon = month_of(s, len, &c.i)))
		return -EINVAL;
	if (!take(&c, ' '))
		return -EINVAL;
	take(&c, ' '); /* "Jul  4": the day space-padded */
	if (!take_num(&c, 2, &d) && !take_num(&c, 1, &d))
		return -EINVAL;
	if (!take(&c, ' '))
		return -EINVAL;
	/* "Mar  7 2008 19:06:53" (Cisco and others): the year before the time */
	if (c.n - c.i > 5 && c.s[c.i + 4] == ' ' && take_num(&c, 4, &year))
		c.i++;
	if (!take_num(&c, 2, &h) || !take(&c, ':') || !take_num(&c, 2, &mi) || !take(&c, ':') ||
	    !take_num(&c, 2, &sec) || !take_fraction(&c, &frac))
		return -EINVAL;
	if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	if (year > 0) {
		t = epoch(year, mon, d, h, mi, sec, true);
	} else {
		time_t nt = (time_t)now;
		struct tm tn;

		if (!localtime_r(&nt, &tn))
			return -EINVAL;
		/* The newest of next, this and last year not more than a day ahead. */
		for (int y = tn.tm_year + 1901; y >= tn.tm_year + 1899; y--) {
			t = epoch(y, mon, d, h, mi, sec, true);
			if (t >= 0 && t <= now + 86400)
				break;
		}
	}
	if (t < 0)
		return -EINVAL;
	*ret_usec = t * 1000000 + frac;
	return (int)c.i;
}

static const char *const pluto_tags[] = {
    "pluto", "ipsec", "ipsec.service", "ipsec_setup", "ipsec-pluto", "ipsec_starter", "libreswan",
};

bool envelope_pluto_tag(const char *app, size_t len)
{
	for (size_t i = 0; i < sizeof(pluto_tags) / sizeof(pluto_tags[0]); i++)
		if (strlen(pluto_tags[i]) == len && memcmp(app, pluto_tags[i], len) == 0)
			return true;
	return false;
}

const char *envelope_other_process(const struct envelope *e, char *buf, size_t size)
{
	size_t n;

	if (!e->app || !e->app_len || !size || envelope_pluto_tag(e->app, e->app_len))
		return NULL;
	n = e->app_len < size - 1 ? e->app_len : size - 1;
	memcpy(buf, e->app, n);
	buf[n] = '\0';
	return buf;
}

/* A host token: printable bytes (any non-space byte unless strict), 1..255 of them. */
static bool take_host(struct cur *c, bool strict, struct envelope *e)
{
	size_t b = c->i;

	while (c->i < c->n && c->s[c->i] != ' ' &&
	       (strict ? is_print(c->s[c->i]) : (unsigned char)c->s[c->i] > ' '))
		c->i++;
	if (c->i == b || c->i - b > ENVELOPE_HOST_MAX) {
		c->i = b;
		return false;
	}
	e->host = c->s + b;
	e->host_len = c->i - b;
	return true;
}

/*
 * "TAG[PID]: " or "TAG: " (the colon and the space after it optional
 * when need_colon is false); a known pluto tag may also be followed by a
 * space alone ("host ipsec.service "conn" ..."). Moves c only on success.
 */
static bool take_tag(struct cur *c, bool need_colon, struct envelope *e)
{
	struct cur t = *c;
	size_t b = t.i;
	int64_t pid = 0;

	while (t.i < t.n && is_print(t.s[t.i]) && t.s[t.i] != '[' && t.s[t.i] != ':')
		t.i++;
	if (t.i == b || t.i - b > ENVELOPE_APP_MAX)
		return false;
	size_t app_len = t.i - b;

	if (take(&t, '[')) {
		size_t pb = t.i;

		while (t.i < t.n && t.s[t.i] != ']' && t.i - pb <= 128)
			t.i++;
		if (!take(&t, ']'))
			return false;
		struct cur p = {t.s, pb, t.i - 1};

		if (!(take_uint(&p, PID_DIGITS_MAX, &pid) && p.i == p.n))
			pid = 0;
	}
	if (take(&t, ':')) {
		/* "2001:db8::1 pluto[1]:" is a host: a colon ends a tag before a space */
		if (!take(&t, ' ') && t.i < t.n && need_colon)
			return false;
	} else if (at(&t, ' ') && envelope_pluto_tag(c->s + b, app_len)) {
		t.i++;
	} else if (need_colon || (t.i < t.n && t.s[t.i] != ' ')) {
		return false;
	} else {
		take(&t, ' ');
	}
	e->app = c->s + b;
	e->app_len = app_len;
	e->pid = (int)pid;
	*c = t;
	return true;
}

/* RFC 3164 4.1.2: a HOSTNAME is a name or an address; anything else in its place is the TAG. */
static bool host_like(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!(is_alpha(s[i]) || is_digit(s[i]) || s[i] == '.' || s[i] == '-' ||
		      s[i] == '_' || s[i] == ':'))
			return false;
	return len > 0;
}

/*
 * The listener's "HOST TAG[PID]: ", "HOST" alone (no MSG), "TAG: " without
 * a host, and AIX's "Message forwarded from HOST: TAG: ".
 */
static bool take_header_strict(struct cur *c, struct envelope *e)
{
	size_t b = c->i, k = b;

	if (take_str(c, "Message forwarded from ")) {
		b = k = c->i;
		while (k < c->n && c->s[k] != ':' && c->s[k] != ' ')
			k++;
		if (k == b || k - b > ENVELOPE_HOST_MAX || !host_like(c->s + b, k - b))
			return false;
		e->host = c->s + b;
		e->host_len = k - b;
		c->i = k;
		return take_str(c, ": ") && take_tag(c, false, e);
	}
	while (k < c->n && c->s[k] != ' ')
		k++;
	/* "prg0: msg": a TAG, unless it is an address ("0002:: prg0: msg") */
	if (!host_like(c->s + b, k - b) ||
	    (c->s[k - 1] == ':' && !envelope_valid_addr(c->s + b, k - b)))
		return take_tag(c, false, e);
	if (!take_host(c, true, e))
		return false;
	if (c->i == c->n || (at(c, ' ') && c->i + 1 == c->n)) {
		c->i = c->n; /* a HOSTNAME and nothing else */
		return true;
	}
	return take(c, ' ') && take_tag(c, false, e);
}

/* "Www " of a weekday. */
static bool take_weekday(struct cur *c)
{
	static const char days[] = "montuewedthufrisatsun";

	if (c->n - c->i < 4 || c->s[c->i + 3] != ' ')
		return false;
	for (int d = 0; d < 7; d++)
		if (strncasecmp(c->s + c->i, days + 3 * d, 3) == 0) {
			c->i += 4;
			return true;
		}
	return false;
}

/* " YYYY" followed by a space: a year after a BSD time. */
static bool take_year(struct cur *c, int *ret)
{
	struct cur t = *c;
	int y;

	if (!take(&t, ' ') || !take_num(&t, 4, &y) || !at(&t, ' ') || y < 1970 || y > 2200)
		return false;
	*c = t;
	*ret = y;
	return true;
}

/* A field of PRINTUSASCII, 1..max bytes, ended by SP or the end; "-" is absent. */
static bool take_token(struct cur *c, size_t max, const char **ret, size_t *ret_len)
{
	size_t b = c->i;

	while (c->i < c->n && is_print(c->s[c->i]))
		c->i++;
	if (c->i == b || c->i - b > max || (c->i < c->n && c->s[c->i] != ' '))
		return false;
	*ret = c->i - b == 1 && c->s[b] == '-' ? NULL : c->s + b;
	*ret_len = *ret ? c->i - b : 0;
	return true;
}

/* An SD-NAME (RFC 5424 6.3.2, 6.3.3): 1..32 PRINTUSASCII except '=', SP, ']', '"'. */
static bool take_sd_name(struct cur *c)
{
	size_t b = c->i;

	while (c->i < c->n && is_print(c->s[c->i]) && c->s[c->i] != '=' && c->s[c->i] != ']' &&
	       c->s[c->i] != '"')
		c->i++;
	return c->i > b && c->i - b <= 32;
}

/*
 * STRUCTURED-DATA: "-" or one or more [SD-ID *(SP PARAM-NAME="VALUE")],
 * where '"', '\' and ']' in a VALUE are escaped with '\' (RFC 5424
 * 6.3.3). A space after '=' is tolerated, as rsyslog does.
 */
static bool skip_sd(struct cur *c)
{
	if (take(c, '-'))
		return true;
	if (!at(c, '['))
		return false;
	while (take(c, '[')) {
		if (!take_sd_name(c))
			return false;
		while (take(c, ' ')) {
			if (!take_sd_name(c) || !take(c, '='))
				return false;
			take(c, ' ');
			if (!take(c, '"'))
				return false;
			for (;; c->i++) {
				if (c->i >= c->n || c->s[c->i] == ']')
					return false;
				if (c->s[c->i] == '\\' && c->i + 1 < c->n)
					c->i++;
				else if (c->s[c->i] == '"')
					break;
			}
			c->i++;
		}
		if (!take(c, ']'))
			return false;
	}
	return true;
}

static bool parse_5424(struct cur *c, struct envelope *e)
{
	const char *procid, *msgid;
	size_t procid_len, msgid_len;
	int r;

	if (!take(c, '-')) {
		if ((r = envelope_rfc3339(c->s + c->i, c->n - c->i, true, &e->realtime_usec)) < 0)
			return false;
		c->i += (size_t)r;
	}
	if (!take(c, ' ') || !take_token(c, ENVELOPE_HOST_MAX, &e->host, &e->host_len) ||
	    !take(c, ' ') || !take_token(c, ENVELOPE_APP_MAX, &e->app, &e->app_len) ||
	    !take(c, ' ') || !take_token(c, 128, &procid, &procid_len) || !take(c, ' ') ||
	    !take_token(c, 32, &msgid, &msgid_len) || !take(c, ' ') || !skip_sd(c))
		return false;
	if (procid) {
		struct cur p = {procid, 0, procid_len};
		int64_t pid;

		if (take_uint(&p, PID_DIGITS_MAX, &pid) && p.i == p.n)
			e->pid = (int)pid;
	}
	if (c->i < c->n && !take(c, ' '))
		return false;
	e->log = ENVELOPE_LOG_5424;
	return true;
}

/* A time of any form at c: RFC 3339, short-full, logread, BSD [+ year], pluto's logfile. */
static bool take_time(struct cur *c, int64_t now_usec, struct envelope *e, bool *ret_logread)
{
	struct cur t = *c;
	int r, year = 0;

	*ret_logread = false;
	if (at(&t, '-') || (t.i < t.n && is_digit(t.s[t.i]))) {
		if ((r = envelope_rfc3339(t.s + t.i, t.n - t.i, false, &e->realtime_usec)) < 0)
			return false;
		c->i += (size_t)r;
		return true;
	}
	if (take_weekday(&t)) {
		if (t.i < t.n && is_digit(t.s[t.i])) {
			/* journalctl short-full: "Tue 2024-09-24 15:00:03 CEST" */
			const char *ts = t.s + t.i;
			size_t zb;

			if ((r = rfc3339(ts, t.n - t.i, ZONE_LOCAL, &e->realtime_usec)) < 0)
				return false;
			t.i += (size_t)r;
			if (!take(&t, ' '))
				return false;
			zb = t.i;
			while (t.i < t.n && t.i - zb <= 8 &&
			       (is_alpha(t.s[t.i]) || is_digit(t.s[t.i]) || t.s[t.i] == '+' ||
				t.s[t.i] == '-'))
				t.i++;
			if (t.i == zb || !at(&t, ' '))
				return false;
			/* Zone names other than UTC are the reader's local zone. */
			if (t.i - zb == 3 &&
			    (strncmp(t.s + zb, "UTC", 3) == 0 || strncmp(t.s + zb, "GMT", 3) == 0))
				rfc3339(ts, (size_t)r, ZONE_UTC, &e->realtime_usec);
			*c = t;
			return true;
		}
		*ret_logread = true;
	}
	if ((r = envelope_bsd_time(t.s + t.i, t.n - t.i, now_usec, 0, &e->realtime_usec)) < 0)
		return false;
	t.i += (size_t)r;
	if (take_year(&t, &year))
		envelope_bsd_time(t.s + c->i + (*ret_logread ? 4 : 0), (size_t)r, now_usec, year,
				  &e->realtime_usec);
	else if (*ret_logread)
		return false;
	*c = t;
	return true;
}

/*
 * "facility.level " of logread and of syslog daemons that write it after
 * the host ("gw authpriv.warn pluto[1]: "). *ret_pri is its PRI when both
 * names are syslog's (RFC 5424 6.2.1, as syslog.conf spells them), else
 * -1; known requires that.
 */
static bool take_facility(struct cur *c, bool known, int *ret_pri)
{
	static const char *const facilities[24] = {
	    "kern",   "user",	"mail",	    "daemon", "auth",	"syslog",   "lpr",     "news",
	    "uucp",   "cron",	"authpriv", "ftp",    "ntp",	"security", "console", "",
	    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
	};
	static const char *const levels[] = {"emerg",	"alert",  "crit", "err",
					     "warning", "notice", "info", "debug",
					     "panic",	"error",  "warn"};
	static const int level_of[] = {0, 1, 2, 3, 4, 5, 6, 7, 0, 3, 4};
	struct cur t = *c;
	size_t b = t.i, fl, ll;
	int f = -1, l = -1;

	while (t.i < t.n && (is_alpha(t.s[t.i]) || is_digit(t.s[t.i])))
		t.i++;
	fl = t.i - b;
	if (!fl || !take(&t, '.'))
		return false;
	for (int i = 0; i < 24; i++)
		if (strlen(facilities[i]) == fl && memcmp(t.s + b, facilities[i], fl) == 0)
			f = i;
	b = t.i;
	while (t.i < t.n && is_alpha(t.s[t.i]))
		t.i++;
	ll = t.i - b;
	if (!ll || !take(&t, ' '))
		return false;
	for (int i = 0; i < (int)(sizeof(levels) / sizeof(levels[0])); i++)
		if (strlen(levels[i]) == ll && memcmp(t.s + b, levels[i], ll) == 0)
			l = level_of[i];
	*ret_pri = f >= 0 && l >= 0 ? f * 8 + l : -1;
	if (known && *ret_pri < 0)
		return false;
	*c = t;
	return true;
}

/*
 * "<F.S> ": a numeric facility.severity some syslog templates write after
 * the time ("Feb 26 06:31:45 <10.4> gw pluto[1]: "); *ret_pri its PRI.
 */
static bool take_numeric_facility(struct cur *c, int *ret_pri)
{
	struct cur t = *c;
	int64_t f, s;

	if (!take(&t, '<') || !take_uint(&t, 2, &f) || !take(&t, '.') || !take_uint(&t, 1, &s) ||
	    !take_str(&t, "> ") || f > 23 || s > 7)
		return false;
	*ret_pri = (int)(f * 8 + s);
	*c = t;
	return true;
}

/* "[pluto] ": a pluto tag in brackets and no host (NetworkManager-l2tp's capture). */
static bool take_bracket_tag(struct cur *c, struct envelope *e)
{
	struct cur t = *c;
	size_t b;

	if (!take(&t, '['))
		return false;
	b = t.i;
	while (t.i < t.n && is_print(t.s[t.i]) && t.s[t.i] != ']')
		t.i++;
	if (!envelope_pluto_tag(t.s + b, t.i - b) || !take_str(&t, "] "))
		return false;
	e->app = t.s + b;
	e->app_len = t.i - b - 2;
	e->pid = 0;
	*c = t;
	return true;
}

/*
 * A host glued to pluto's tag ("gw01vm01pluto[1]: ", a template that lost
 * the space): the tag is not a known one, ends in "pluto", and what comes
 * before it is a host name that ends as one does (a letter, digit or
 * '.'), so no program's name ("ipsec_pluto", "ipsec-pluto") is split.
 */
static void split_glued_host(struct envelope *e)
{
	size_t hl = e->app_len - 5;

	if (e->app_len <= 5 || envelope_pluto_tag(e->app, e->app_len) ||
	    memcmp(e->app + hl, "pluto", 5) != 0 || !host_like(e->app, hl) ||
	    !(is_alpha(e->app[hl - 1]) || is_digit(e->app[hl - 1]) || e->app[hl - 1] == '.'))
		return;
	e->host = e->app;
	e->host_len = hl;
	e->app += hl;
	e->app_len = 5;
}

/*
 * "/var/log/secure:Oct 25 05:23:50 gw pluto[1]: ...": the file name grep
 * writes before each line when it reads several files, which is how many
 * users collect pluto's lines. Skipped only when a log time follows it, so
 * a line that merely starts with a path keeps its text.
 */
static void skip_grep_file(struct cur *c, int64_t now_usec)
{
	struct cur g = *c;
	struct envelope t = {.pri = -1};
	bool logread;

	while (g.i < g.n && g.s[g.i] != ':' && g.s[g.i] != ' ')
		g.i++;
	if (!take(&g, ':'))
		return;
	struct cur q = g;

	if (take_time(&q, now_usec, &t, &logread))
		*c = g;
}

void envelope_log_prefix(const char *line, size_t len, int64_t now_usec, bool strict,
			 struct envelope *ret)
{
	struct envelope e = {.pri = -1};
	struct cur c = {line, 0, len};
	bool logread;
	int64_t pri;
	int fpri;

	*ret = e;
	if (!strict && at(&c, '/'))
		skip_grep_file(&c, now_usec);
	if (take(&c, '<')) {
		if (!take_uint(&c, 3, &pri) || pri > 191 || !take(&c, '>'))
			return;
		e.pri = (int)pri;
		if (take_str(&c, "1 ")) {
			if (parse_5424(&c, &e)) {
				e.msg_off = e.rest_off = c.i;
				*ret = e;
			}
			return;
		}
		take(&c, ' '); /* both peers accept a space after the PRI */
		if (strict) {
			/* Cisco IOS: "<0>91: *Oct 07 03:10:04: ...", a sequence number, '*' or '.'
			 */
			struct cur q = c;
			int64_t seq;

			if (take_uint(&q, 10, &seq) && take_str(&q, ": "))
				c = q;
			if (at(&c, '*') || at(&c, '.'))
				c.i++;
		}
	}
	size_t tb = c.i;

	if (!take_time(&c, now_usec, &e, &logread)) {
		/* No time: a bare pluto tag, or after a PRI any tag (rsyslog's "nodate"). */
		e.realtime_usec = 0;
		c.i = tb;
		/*
		 * A post that cut the time and host off leaves their blank:
		 * " pluto[3469]: ...". Only pluto's own tag is taken after it.
		 */
		if (e.pri < 0 && !strict)
			while (at(&c, ' ') || at(&c, '\t'))
				c.i++;
		if (!take_tag(&c, true, &e) || (e.pri < 0 && !envelope_pluto_tag(e.app, e.app_len)))
			return;
		e.log = e.pri < 0 ? ENVELOPE_LOG_TAG : ENVELOPE_LOG_SYSLOG;
		goto done;
	}
	if (e.pri < 0 && !logread && take_str(&c, ": ")) {
		e.log = ENVELOPE_LOG_LOGFILE;
		goto done;
	}
	if (e.pri >= 0 && at(&c, ':'))
		c.i++; /* "Mar  7 19:06:53: host tag:" (both peers read it) */
	if (strict && (c.i == c.n || (at(&c, ' ') && c.i + 1 == c.n))) {
		/* A header and nothing else: no HOSTNAME, TAG or MSG. */
		c.i = c.n;
		e.log = ENVELOPE_LOG_SYSLOG;
		goto done;
	}
	if (!take(&c, ' '))
		goto none;
	if (logread) {
		if (!take_facility(&c, false, &fpri) || !take_tag(&c, true, &e))
			goto none;
		e.log = ENVELOPE_LOG_LOGREAD;
		goto done;
	}
	if (!strict && take_numeric_facility(&c, &fpri) && e.pri < 0)
		e.pri = fpri;
	while (take(&c, ' '))
		; /* "Jul  4 08:34:38   pluto[2814]:": no host */
	/* "TAG[PID]: " or "[pluto] " right away: no host. */
	if (take_tag(&c, true, &e) || (!strict && take_bracket_tag(&c, &e))) {
		if (!strict)
			split_glued_host(&e);
		e.log = ENVELOPE_LOG_SYSLOG;
		goto done;
	}
	if (strict) {
		if (!take_header_strict(&c, &e))
			goto none;
	} else {
		/*
		 * "[gw ]authpriv.warn pluto[1]: ": syslog's own names only, so
		 * that no host is taken for one.
		 */
		struct cur f = c;

		if (take_facility(&f, true, &fpri) && take_tag(&f, true, &e)) {
			c = f;
		} else {
			if (!take_host(&c, false, &e) || !take(&c, ' '))
				goto none;
			if (!take_facility(&c, true, &fpri))
				fpri = -1;
			if (!take_tag(&c, true, &e))
				goto none;
		}
		if (e.pri < 0)
			e.pri = fpri;
	}
	e.log = ENVELOPE_LOG_SYSLOG;
done:
	e.msg_off = e.rest_off = c.i;
	*ret = e;
none:
	return; /* *ret is still the empty envelope */
}
