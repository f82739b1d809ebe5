/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The normalizer: debug lines, pluto's prefix (the envelope), the rule
 * table, then the fields every event derives (severity, ike_version, exchange, ids by role,
 * weak_crypto, timestamp, event_id, platform).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_rec.h"
#include "normalize.h"
#include "util.h"

#define VERSION_HOSTS	16
#define HOST_MAX	256
#define VERSION_MAX	64
#define WEAK_TEXT_MAX	256
#define WEAK_CACHE_TEXT 47

struct host_version {
	char host[HOST_MAX];
	char version[VERSION_MAX];
};

struct normalizer {
	struct normalizer_options o;
	struct rules *rules;
	struct counters *cnt;
	char hostname[HOST_MAX];
	struct host_version versions[VERSION_HOSTS];
	size_t next_version;
	int64_t ts_sec; /* the second ts_text holds, to format each second once */
	char ts_text[32];
	size_t ts_len;
	size_t hostname_len;
	bool keep_message;	 /* false when the redaction policy drops it anyway */
	struct audit_rec *audit; /* pluto's CRYPTO_IKE_SA / CRYPTO_IPSEC_SA audit records */
	/*
	 * Per algorithm field, the last value and whether it was weak: a
	 * gateway's SAs share a few transforms, and matching each against
	 * every weak_crypto name was 3% of a line.
	 */
	struct {
		char v[WEAK_CACHE_TEXT];
		uint8_t len; /* 0 = empty */
		bool weak;
	} weak_last[4];
};

bool normalize_is_debug(const char *body, size_t len)
{
	return len >= 1 && body[0] == '|' && (len == 1 || body[1] == ' ' || body[1] == ']');
}

/* ---- the normalizer ---- */

int normalizer_new(const struct normalizer_options *o, struct rules *rules, struct counters *cnt,
		   struct normalizer **ret)
{
	struct normalizer *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->o = *o;
	n->rules = rules;
	n->cnt = cnt;
	if (gethostname(n->hostname, sizeof(n->hostname) - 1) < 0)
		strcpy(n->hostname, "localhost");
	n->hostname_len = strlen(n->hostname);
	if (audit_rec_new(&n->audit) < 0) {
		free(n);
		return -ENOMEM;
	}
	n->keep_message = o->keep_message;
	*ret = n;
	return 0;
}

void normalizer_free(struct normalizer *n)
{
	if (n)
		audit_rec_free(n->audit);
	free(n);
}

/* Severity by result, with the event types that are louder than their result. */
static const struct {
	const char *result;
	const char *severity;
} severity_by_result[] = {
    {"failure", "warning"},
    {"success", "notice"},
    {"info", "info"},
};
static const struct {
	const char *event_type;
	const char *severity;
} severity_by_event[] = {
    {"auth_failed", "err"},
    {"cert_error", "err"},
};

/* Exchange by (ike_version, event_type) when the rule did not set one. */
static const struct {
	int version;
	const char *event_type;
	const char *exchange;
} exchange_by_event[] = {
    {2, "ike_init", "IKE_SA_INIT"},
    {2, "ike_auth", "IKE_AUTH"},
    {2, "ike_sa_rekey", "CREATE_CHILD_SA"},
    {2, "child_sa_rekey", "CREATE_CHILD_SA"},
    {2, "ike_sa_delete", "INFORMATIONAL"},
    {2, "child_sa_delete", "INFORMATIONAL"},
    {2, "dpd", "INFORMATIONAL"},
    {1, "ike_init", "MAIN_MODE"},
    {1, "ike_auth", "MAIN_MODE"},
    {1, "child_sa_create", "QUICK_MODE"},
    {1, "child_sa_rekey", "QUICK_MODE"},
};

static int ike_version_of_state(const char *st)
{
	static const char *const v1[] = {"MAIN_", "QUICK_", "AGGR_", "XAUTH_", "MODE_CFG_"};

	if (!st)
		return 0;
	if (strncmp(st, "STATE_", 6) == 0)
		st += 6;
	for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++)
		if (strncmp(st, v1[i], strlen(v1[i])) == 0)
			return 1;
	if (strncmp(st, "V2_", 3) == 0 || strstr(st, "IKE_SA") || strstr(st, "CHILD_SA") ||
	    strncmp(st, "PARENT_", 7) == 0 || strncmp(st, "IKESA_", 6) == 0)
		return 2;
	return 0;
}

static void set_weak(struct normalizer *n, struct event *ev)
{
	static const enum field algs[] = {F_ENCR, F_INTEG, F_PRF, F_DH_GROUP};
	char buf[WEAK_TEXT_MAX];
	size_t bl = 0;

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		size_t al;
		const char *a = event_str(ev, algs[i], &al);

		if (!a)
			continue;
		bool weak = false;

		if (al && al == n->weak_last[i].len && memcmp(a, n->weak_last[i].v, al) == 0) {
			weak = n->weak_last[i].weak;
		} else {
			for (size_t k = 0; k < n->o.n_weak_crypto && !weak; k++)
				weak = util_alg_names(a, n->o.weak_crypto[k]);
			n->weak_last[i].len = 0;
			if (al <= WEAK_CACHE_TEXT && strlen(a) == al) {
				memcpy(n->weak_last[i].v, a, al);
				n->weak_last[i].len = (uint8_t)al;
				n->weak_last[i].weak = weak;
			}
		}
		if (weak && bl + al + 2 < sizeof(buf)) {
			if (bl)
				buf[bl++] = ',';
			memcpy(buf + bl, a, al);
			bl += al;
		}
	}
	if (bl && event_set_str(ev, F_WEAK_CRYPTO, buf, bl) < 0)
		n->cnt->arena_full++;
}

static const char *event_type_str(const struct event *ev)
{
	const char *s = event_str(ev, F_EVENT_TYPE, NULL);

	return s ? s : "";
}

static void set_derived(struct normalizer *n, struct event *ev)
{
	const char *type = event_type_str(ev);
	const char *result = event_str(ev, F_RESULT, NULL);
	const char *sev = NULL;
	int v;

	for (size_t i = 0; i < sizeof(severity_by_event) / sizeof(severity_by_event[0]); i++)
		if (strcmp(type, severity_by_event[i].event_type) == 0)
			sev = severity_by_event[i].severity;
	for (size_t i = 0;
	     !sev && result && i < sizeof(severity_by_result) / sizeof(severity_by_result[0]); i++)
		if (strcmp(result, severity_by_result[i].result) == 0)
			sev = severity_by_result[i].severity;
	if (!event_has(ev, F_SEVERITY))
		event_set_str(ev, F_SEVERITY, sev ? sev : "info", strlen(sev ? sev : "info"));

	if (!event_has(ev, F_IKE_VERSION) &&
	    (v = ike_version_of_state(event_str(ev, F_STATE_NAME, NULL))) > 0)
		event_set_int(ev, F_IKE_VERSION, v);
	v = (int)event_int(ev, F_IKE_VERSION, 0);
	if (!event_has(ev, F_EXCHANGE) && v)
		for (size_t i = 0; i < sizeof(exchange_by_event) / sizeof(exchange_by_event[0]);
		     i++)
			if (exchange_by_event[i].version == v &&
			    strcmp(type, exchange_by_event[i].event_type) == 0) {
				const char *x = exchange_by_event[i].exchange;

				event_set_str(ev, F_EXCHANGE, x, strlen(x));
				break;
			}

	normalize_identities(ev);
	set_weak(n, ev);
}

void normalize_identities(struct event *ev)
{
	/* IDi/IDr: the peer is the responder when we initiated. */
	const char *role = event_str(ev, F_ROLE, NULL);
	size_t pl = 0, ll = 0;
	const char *peer = event_str(ev, F_PEER_ID, &pl), *local = event_str(ev, F_LOCAL_ID, &ll);
	const char *type = event_str(ev, F_EVENT_TYPE, NULL);

	/* Authenticated by certificate: the certificate's identity is the peer's. */
	if (!peer && type && strcmp(type, "ike_auth") == 0)
		peer = event_str(ev, F_CERT_SUBJECT, &pl);
	if (role && strcmp(role, "initiator") == 0) {
		if (local && !event_has(ev, F_INITIATOR_ID))
			event_set_str(ev, F_INITIATOR_ID, local, ll);
		if (peer && !event_has(ev, F_RESPONDER_ID))
			event_set_str(ev, F_RESPONDER_ID, peer, pl);
	} else if (role && strcmp(role, "responder") == 0) {
		if (peer && !event_has(ev, F_INITIATOR_ID))
			event_set_str(ev, F_INITIATOR_ID, peer, pl);
		if (local && !event_has(ev, F_RESPONDER_ID))
			event_set_str(ev, F_RESPONDER_ID, local, ll);
	}
}

static void set_platform(struct normalizer *n, const struct record *rec, struct event *ev)
{
	const char *host = rec->host ? rec->host : n->hostname;
	size_t host_len = rec->host ? strlen(rec->host) : n->hostname_len;
	struct host_version *hv = NULL;
	size_t vl;
	const char *ver = event_str(ev, F_PLATFORM_VERSION, &vl);

	event_set_str(ev, F_PLATFORM_HOST, host, host_len);
	/* Another program relaying pluto's words (NetworkManager) is named, with its pid. */
	event_set_str(ev, F_PLATFORM_PROCESS, rec->process ? rec->process : "pluto",
		      rec->process ? strlen(rec->process) : 5);
	event_set_str(ev, F_PLATFORM_IMPL, "libreswan", 9);
	if (rec->pid > 0)
		event_set_int(ev, F_PLATFORM_PID, rec->pid);
	for (size_t i = 0; i < VERSION_HOSTS; i++)
		if (n->versions[i].host[0] && strcmp(n->versions[i].host, host) == 0)
			hv = &n->versions[i];
	if (ver && strcmp(event_type_str(ev), "daemon_start") == 0) {
		if (!hv) {
			hv = &n->versions[n->next_version];
			n->next_version = (n->next_version + 1) % VERSION_HOSTS;
			snprintf(hv->host, sizeof(hv->host), "%s", host);
		}
		snprintf(hv->version, sizeof(hv->version), "%.*s", (int)vl, ver);
	} else if (!ver && hv && hv->version[0]) {
		event_set_str(ev, F_PLATFORM_VERSION, hv->version, strlen(hv->version));
	}
}

static void set_time_and_id(struct normalizer *n, const struct record *rec, struct event *ev)
{
	int64_t us = rec->realtime_usec;
	char ts[40], id[17];
	struct tm tm;
	size_t l;

	if (us <= 0) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	}
	time_t s = (time_t)(us / 1000000);

	if (s != n->ts_sec || !n->ts_len) {
		gmtime_r(&s, &tm);
		n->ts_len = strftime(n->ts_text, sizeof(n->ts_text), "%Y-%m-%dT%H:%M:%S", &tm);
		n->ts_sec = s;
	}
	memcpy(ts, n->ts_text, n->ts_len);
	l = n->ts_len;
	ts[l++] = '.';
	for (int d = 5, u = (int)(us % 1000000); d >= 0; d--, u /= 10)
		ts[l + (size_t)d] = (char)('0' + u % 10);
	l += 6;
	ts[l++] = 'Z';
	event_set_str(ev, F_TIMESTAMP, ts, l);
	if (rec->event_id) {
		event_set_str(ev, F_EVENT_ID, rec->event_id, strlen(rec->event_id));
		return;
	}
	/* FNV-1a over seq and the line, then a final mix. */
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (int i = 0; i < 8; i++)
		h = (h ^ ((rec->seq >> (8 * i)) & 0xff)) * UINT64_C(0x100000001b3);
	for (size_t i = 0; i < rec->len; i++)
		h = (h ^ (unsigned char)rec->msg[i]) * UINT64_C(0x100000001b3);
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	for (int d = 15; d >= 0; d--, h >>= 4)
		id[d] = "0123456789abcdef"[h & 15];
	event_set_str(ev, F_EVENT_ID, id, 16);
}

int normalize_record(struct normalizer *n, const struct record *rec, struct event *ev)
{
	bool debug = normalize_is_debug(rec->msg, rec->len);
	int m = 0;

	if (debug && !n->o.keep_debug_lines) {
		n->cnt->debug_dropped++;
		return 0;
	}
	ev->rec = rec;
	/* audit records (journald's _TRANSPORT=audit entries): not pluto's log lines */
	if (!debug && audit_rec_parse(n->audit, rec->msg, rec->len, ev) > 0) {
		m = 1;
	} else if (!debug) {
		struct envelope env = {0};
		size_t len = rec->len;

		/*
		 * Matching costs time linear in the length (worse for a line
		 * made of the rules' own words): pluto's lines are short, so
		 * the rules see the start of a long line only.
		 */
		if (len > n->o.max_match_bytes) {
			len = n->o.max_match_bytes;
			n->cnt->match_truncated++;
		}
		/* The source took the log prefix off; pluto's own is read here, once. */
		envelope_pluto(rec->msg, len, &env);
		m = rules_match(n->rules, &env, rec->msg, len, ev);
	}
	if (m == -E2BIG)
		n->cnt->regex_limit_hits++;
	if (m == 1) {
		n->cnt->matched++;
	} else {
		n->cnt->unparsed++;
		event_set_str(ev, F_EVENT_TYPE, "unparsed", 8);
		event_set_str(ev, F_RESULT, "info", 4);
		if (debug)
			event_set_str(ev, F_RULE, "debug", 5);
	}
	event_set_int(ev, F_SCHEMA_VERSION, 1);
	set_time_and_id(n, rec, ev);
	set_derived(n, ev);
	set_platform(n, rec, ev);
	if (n->keep_message && event_set_str(ev, F_MESSAGE, rec->msg, rec->len) < 0)
		n->cnt->arena_full++;
	return 1;
}
