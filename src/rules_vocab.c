/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rule table's closed lists: the event types a rule may set (unless it
 * gives a vocabulary_reason), the error_code vocabulary (a rule file's
 * `- vocabulary: error_code` entry) and the Libreswan versions an example
 * names. The loader reads the YAML; this file keeps and checks the values.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_impl.h"

#define CODE_MAX 64 /* longest error_code: notify names are shorter */

/* The event types ikelogd writes; a rule names another only with a vocabulary_reason. */
static const char *const event_types[] = {
    "ike_init",
    "ike_auth",
    "ike_sa_rekey",
    "ike_sa_delete",
    "child_sa_create",
    "child_sa_rekey",
    "child_sa_delete",
    "nat_detect",
    "dpd",
    "ike_retransmit",
    "ike_timeout",
    "ike_error",
    "auth_failed",
    "no_proposal_chosen",
    "ts_unacceptable",
    "cert_error",
    "mobike",
    "conn_add",
    "conn_delete",
    "daemon_start",
    "daemon_stop",
    "unparsed",
    "daemon_stats",
    /* status snapshots (status.c): what whack reports, and the changes inferred from it */
    "tunnel_status",
    "sa_status",
    "tunnel_up",
    "tunnel_down",
    /* audit records (audit_rec.c): pluto's CRYPTO_IKE_SA / CRYPTO_IPSEC_SA */
    "audit_ike_sa",
    "audit_child_sa",
    /* certificates (status_certs.c): the NSS database's, with days to expiry */
    "cert_status",
    /* detections (detect.c) */
    "alert",
};

bool rules_vocab_event_type(const char *s)
{
	for (size_t i = 0; i < sizeof(event_types) / sizeof(event_types[0]); i++)
		if (strcmp(event_types[i], s) == 0)
			return true;
	return false;
}

int rules_vocab_add(struct rules *r, const char *s, size_t len)
{
	if (len == 0 || len > CODE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return -EINVAL;
	if (r->n_codes == r->cap_codes) {
		size_t nc = r->cap_codes ? r->cap_codes * 2 : 128;
		char **nv = realloc(r->codes, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		r->codes = nv;
		r->cap_codes = nc;
	}
	if (!(r->codes[r->n_codes] = strndup(s, len)))
		return -ENOMEM;
	r->n_codes++;
	return 0;
}

static int cmp_code(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void rules_vocab_sort(struct rules *r)
{
	if (r->n_codes)
		qsort(r->codes, r->n_codes, sizeof(*r->codes), cmp_code);
}

bool rules_vocab_has(const struct rules *r, const char *s, size_t len)
{
	size_t lo = 0, hi = r->n_codes;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(s, r->codes[mid], len);

		if (c == 0 && r->codes[mid][len] != '\0')
			c = -1;
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

void rules_vocab_enforce(const struct rules *r, struct event *ev)
{
	size_t len;
	const char *code = event_str(ev, F_ERROR_CODE, &len);

	if (!code || r->n_codes == 0 || rules_vocab_has(r, code, len))
		return;
	/* Not a name of the list: pluto's word is kept as the reason, never as a code. */
	if (!event_has(ev, F_REASON))
		event_set_str(ev, F_REASON, code, len);
	event_unset(ev, F_ERROR_CODE);
}

/* Every error_code a rule sets or an example expects is a name of the vocabulary. */
int rules_vocab_check(const struct rules *r, struct diags *errs)
{
	int ret = 0;

	if (r->n_codes == 0)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];

		for (size_t k = 0; k < ru->n_set; k++)
			if (ru->set[k].field == F_ERROR_CODE &&
			    !rules_vocab_has(r, ru->set[k].value, ru->set[k].len)) {
				diag_add(errs, ru->file, ru->line, ru->col,
					 "rule '%s': error_code '%s' is not in the vocabulary",
					 ru->id, ru->set[k].value);
				ret = -EINVAL;
			}
	}
	for (size_t i = 0; i < r->n_ex; i++) {
		const struct rule_example *e = &r->ex[i];

		for (size_t k = 0; k < e->n_expect; k++)
			if (strcmp(e->expect_keys[k], "error_code") == 0 && e->expect_values[k] &&
			    !rules_vocab_has(r, e->expect_values[k], strlen(e->expect_values[k]))) {
				diag_add(
				    errs, e->file, e->line_no, e->col,
				    "rule '%s': expected error_code '%s' is not in the vocabulary",
				    e->rule_id, e->expect_values[k]);
				ret = -EINVAL;
			}
	}
	return ret;
}

/* Fields whose value is our word for what pluto said, or derived from several words. */
static bool normalised_field(int f)
{
	switch (f) {
	case F_EVENT_TYPE:
	case F_RESULT:
	case F_AUTH_METHOD:
	case F_DELETE_NOTIFY:
	case F_PHASE:
	case F_ENCAPSULATION:
	case F_NAT_PEER_BEHIND:
	case F_NAT_LOCAL_BEHIND:
	case F_ESN:
	case F_IKE_VERSION:
	case F_ROLE:
	case F_EXCHANGE:
	case F_TS_LOCAL:
	case F_TS_REMOTE:
	case F_PROPOSALS_OFFERED:
		return true;
	default:
		return false;
	}
}

int rules_example_values_in_line(const void *rule, const struct rule_example *e, struct diags *errs)
{
	const struct rule *ru = rule;
	int ret = 0;

	for (size_t k = 0; k < e->n_expect; k++) {
		const char *v = e->expect_values[k];
		int f = field_lookup(e->expect_keys[k], strlen(e->expect_keys[k]));
		bool constant = false;

		if (!v || f < 0 || normalised_field(f))
			continue;
		for (size_t i = 0; i < ru->n_set; i++)
			constant =
			    constant || (ru->set[i].field == f && strcmp(ru->set[i].value, v) == 0);
		if (constant || strcasestr(e->line, v))
			continue;
		diag_add(errs, e->file, e->line_no, e->col,
			 "rule '%s': expected %s '%s' does not occur in the example line",
			 e->rule_id, e->expect_keys[k], v);
		ret = -EINVAL;
	}
	return ret;
}

/* The major version a rule id's suffix names (.v3 .v4 .v5), or 0. */
static int id_major(const char *id)
{
	size_t l = strlen(id);

	if (l > 3 && id[l - 3] == '.' && id[l - 2] == 'v' && id[l - 1] >= '3' && id[l - 1] <= '5')
		return id[l - 1] - '0';
	return 0;
}

const char *rules_version_check(const char *v, size_t len, const char *rule_id)
{
	size_t i = 0;
	int major = id_major(rule_id);

	if (len == 4 && memcmp(v, "main", 4) == 0)
		return major && major != 5 ? "the rule id names another major version" : NULL;
	if (len < 3 || v[0] < '3' || v[0] > '5' || v[1] != '.')
		return "a version is MAJOR.MINOR with MAJOR 3, 4 or 5, or main";
	for (i = 2; i < len; i++)
		if (!isdigit((unsigned char)v[i]))
			return "a version is MAJOR.MINOR with MAJOR 3, 4 or 5, or main";
	if (len > 4)
		return "a minor version has at most two digits";
	if (major && v[0] - '0' != major)
		return "the rule id names another major version";
	return NULL;
}
