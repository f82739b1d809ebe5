/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NSS database's certificates as `certutil -L` prints them: the list
 * (nickname, trust flags) and one certificate's details (-n NICK).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "status.h"

/* "east                       P,,  ": a nickname may hold spaces; the trust flags may not */
#define LIST_LINE "^(?<nick>\\S.*?)\\s+[A-Za-z]*,[A-Za-z]*,[A-Za-z]*\\s*$"
#define SUBJECT	  "^\\s*Subject: \"(?<v>.*)\"\\s*$"
#define ISSUER	  "^\\s*Issuer: \"(?<v>.*)\"\\s*$"
/* certutil's "Not After : Mon Jan 10 04:14:41 2028" (run with TZ=UTC) */
#define NOT_AFTER                                                                                  \
	"^\\s*Not After\\s*: (?<v>\\w{3} \\w{3} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d \\d{4})\\s*$"

static pcre2_code *compile(const char *pat)
{
	int err;
	PCRE2_SIZE off;

	return pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE, &err, &off,
			     NULL);
}

/* The first match of c in text from *off: its group v (or nick) as [s, s+l); moves *off past it. */
static bool next(pcre2_code *c, pcre2_match_data *md, const char *text, size_t len, size_t *off,
		 const char *name, const char **s, size_t *l)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	int n;

	if (*off >= len || pcre2_match(c, (PCRE2_SPTR)text, len, *off, 0, md, NULL) <= 0)
		return false;
	*off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	n = pcre2_substring_number_from_name(c, (PCRE2_SPTR)name);
	if (n < 0 || ov[2 * n] == PCRE2_UNSET)
		return false;
	*s = text + ov[2 * n];
	*l = ov[2 * n + 1] - ov[2 * n];
	return true;
}

void status_certs_list_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int status_certs_list(const char *text, size_t len, char ***ret, size_t *ret_n)
{
	pcre2_code *c = compile(LIST_LINE);
	pcre2_match_data *md = c ? pcre2_match_data_create_from_pattern(c, NULL) : NULL;
	char **v = NULL;
	size_t n = 0, off = 0;
	const char *s;
	size_t l;
	int r = 0;

	if (!c || !md) {
		r = c ? -ENOMEM : -EINVAL;
		goto out;
	}
	while (text && next(c, md, text, len, &off, "nick", &s, &l)) {
		char **nv = realloc(v, (n + 1) * sizeof(*v));

		if (!nv || !(nv[n] = strndup(s, l))) {
			v = nv ? nv : v;
			r = -ENOMEM;
			goto out;
		}
		v = nv;
		n++;
	}
	*ret = v;
	*ret_n = n;
	v = NULL;
	n = 0;
out:
	status_certs_list_free(v, n);
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	return r;
}

int status_cert_parse(const char *text, size_t len, int64_t now_s, struct event *ev)
{
	static const char *const pats[] = {SUBJECT, ISSUER, NOT_AFTER};
	static const enum field fields[] = {F_CERT_SUBJECT, F_CERT_ISSUER};
	int r = 1;

	for (size_t i = 0; i < 3 && r == 1; i++) {
		pcre2_code *c = compile(pats[i]);
		pcre2_match_data *md = c ? pcre2_match_data_create_from_pattern(c, NULL) : NULL;
		size_t off = 0, l;
		const char *s;

		if (!md || !next(c, md, text, len, &off, "v", &s, &l)) {
			r = md ? 0 : -ENOMEM;
		} else if (i < 2) {
			event_set_str(ev, fields[i], s, l);
		} else {
			char buf[32];
			struct tm tm = {0};

			snprintf(buf, sizeof(buf), "%.*s", (int)l, s);
			if (!strptime(buf, "%a %b %d %H:%M:%S %Y", &tm)) {
				r = 0;
			} else {
				int64_t left = (int64_t)timegm(&tm) - now_s;

				/* whole days left; a certificate that expired today is at -1 */
				event_set_int(ev, F_DAYS_TO_EXPIRY,
					      left >= 0 ? left / 86400
							: -((-left + 86399) / 86400));
			}
		}
		pcre2_match_data_free(md);
		pcre2_code_free(c);
	}
	if (r == 1) {
		event_set_str(ev, F_EVENT_TYPE, "cert_status", 11);
		event_set_str(ev, F_RESULT, "info", 4);
	}
	return r;
}
