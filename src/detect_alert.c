/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The alert event of the detection engine, and the detections that fire
 * on a single event (weak_crypto, crypto_change, cert_problem,
 * delete_without_notify). An alert is an event like any other (the field
 * table's alert block), built from values already redacted: it is not
 * redacted again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect_impl.h"
#include "util.h"

#define ALERT_ARENA  4096
#define ONCE_QUIET_S 3600 /* one-event detections: quiet time when suppress_s is 0 */

static const struct {
	const char *name;
	const char *severity;
	const char *what; /* the summary: "<count> <what> <key> within <window> s" */
} detections[DK__MAX] = {
    [DK_AUTH_FAILURE_BURST] = {"auth_failure_burst", "warning", "authentication failures from"},
    [DK_IDENTITY_SPRAY] = {"identity_spray", "warning", "distinct identities tried from"},
    [DK_HALF_OPEN_FLOOD] = {"half_open_flood", "warning",
			    "half-open IKE SAs (IKE_SA_INIT answered, no IKE_AUTH) from"},
    [DK_HALF_OPEN_ALL] = {"half_open_flood", "warning",
			  "peers with half-open IKE SAs (IKE_SA_INIT answered, no IKE_AUTH)"},
    [DK_REKEY_STORM] = {"rekey_storm", "warning", "rekeys of connection"},
    [DK_SHORT_LIFETIME] = {"short_lifetime", "notice",
			   "established IKE SAs deleted young, of connection"},
    [DK_WEAK_CRYPTO] = {"weak_crypto", "warning", "SA established with weak algorithms:"},
    [DK_CRYPTO_CHANGE] = {"crypto_change", "warning", "suite changed:"},
    [DK_DELETE_WITHOUT_NOTIFY] = {"delete_without_notify", "notice",
				  "established IKE SA deleted without a Delete notification"},
    [DK_ADDRESS_FLAP] = {"address_flap", "notice", "MOBIKE address updates of"},
    [DK_CERT_PROBLEM] = {"cert_problem", "err", "certificate problem:"},
    [DK_SA] = {NULL, NULL, NULL},
};

int detect_alert_init(struct detector *d)
{
	return event_init(&d->alert, ALERT_ARENA);
}

void detect_alert_done(struct detector *d)
{
	event_done(&d->alert);
}

static void set(struct event *a, enum field f, const char *s)
{
	if (s && *s)
		event_set_str(a, f, s, strlen(s));
}

/* The fields every alert has, from the event that triggered it. */
static void alert_begin(struct detector *d, enum detect_kind kind, const char *key,
			const char *last_id, bool cleared)
{
	struct event *a = &d->alert;
	const struct event *t = d->trigger;
	const char *name = detections[kind].name;
	char id[17];
	uint64_t h = util_hash64(name, strlen(name), UTIL_HASH_SEED);

	h = util_hash64(key, strlen(key) + 1, h);
	h = util_hash64(last_id, strlen(last_id) + 1, h);
	h = util_hash64(&cleared, sizeof(cleared), h);
	util_hex64(h, id);
	event_reset(a);
	a->rec = t->rec;
	event_set_int(a, F_SCHEMA_VERSION, 1);
	event_set_str(a, F_EVENT_ID, id, 16);
	set(a, F_TIMESTAMP, event_str(t, F_TIMESTAMP, NULL));
	event_set_str(a, F_EVENT_TYPE, "alert", 5);
	event_set_str(a, F_RESULT, "info", 4);
	set(a, F_SEVERITY, cleared ? "info" : detections[kind].severity);
	set(a, F_DETECTION, name);
	if (d->key_field != F__MAX)
		event_set_text(a, d->key_field, key, strlen(key));
	set(a, F_PLATFORM_HOST, event_str(t, F_PLATFORM_HOST, NULL));
	set(a, F_PLATFORM_PROCESS, "ikelogd");
	if (cleared)
		event_set_int(a, F_CLEARED, 1);
}

static int alert_end(struct detector *d)
{
	d->raised++;
	d->cnt->detect_alerts++;
	return d->emit ? d->emit(d->ud, &d->alert) : 0;
}

static int64_t quiet_us(const struct detector *d, unsigned window_s)
{
	return (int64_t)(d->o.suppress_s ? d->o.suppress_s : window_s) * 1000000;
}

int detect_raise(struct detector *d, struct dentry *e, const struct detect_window *w, bool cleared)
{
	struct event *a = &d->alert;
	const char *key = e->key_len ? e->key : "";
	const char *last = e->n ? e->ring[e->n - 1].id : "";
	char ids[DETECT_EVIDENCE * DETECT_ID_MAX + 1], summary[512];
	size_t il = 0;

	alert_begin(d, (enum detect_kind)e->kind, key, last, cleared);
	event_set_int(a, F_WINDOW_S, w->window_s);
	event_set_int(a, F_THRESHOLD, w->threshold);
	event_set_int(a, F_COUNT, e->n);
	if (cleared) {
		snprintf(summary, sizeof(summary), "%s cleared: no more than %u within %u s%s%s",
			 detections[e->kind].name, w->threshold, w->window_s, *key ? " for " : "",
			 e->kind == DK_HALF_OPEN_ALL ? "" : key);
		set(a, F_SUMMARY, summary);
		return alert_end(d);
	}
	e->raised = true;
	e->quiet_until = d->now + quiet_us(d, w->window_s);
	set(a, F_FIRST_EVENT_ID, e->ring[0].id);
	set(a, F_LAST_EVENT_ID, last);
	for (uint32_t k = 0; k < e->n && k < DETECT_EVIDENCE; k++) {
		size_t l = strlen(e->ring[k].id);

		if (!l)
			continue;
		if (il)
			ids[il++] = ',';
		memcpy(ids + il, e->ring[k].id, l);
		il += l;
	}
	ids[il] = '\0';
	if (il)
		event_set_text(a, F_EVENT_IDS, ids, il);
	if (e->kind == DK_HALF_OPEN_ALL)
		snprintf(summary, sizeof(summary), "%u %s within %u s (threshold %u)", e->n,
			 detections[e->kind].what, w->window_s, w->threshold);
	else
		snprintf(summary, sizeof(summary), "%u %s %s within %u s (threshold %u)", e->n,
			 detections[e->kind].what, key, w->window_s, w->threshold);
	set(a, F_SUMMARY, summary);
	return alert_end(d);
}

int detect_once(struct detector *d, enum detect_kind kind, const char *key, const struct event *ev,
		const char *extra)
{
	struct dentry *e;
	struct event *a = &d->alert;
	const char *id = event_str(ev, F_EVENT_ID, NULL);
	char ids[2 * DETECT_ID_MAX + 2], summary[512];

	if (!key || !*key || !id)
		return 0;
	e = detect_entry(d, kind, key, true);
	if (!e)
		return -ENOMEM;
	if (d->now < e->quiet_until) {
		d->cnt->detect_suppressed++;
		return 0;
	}
	e->quiet_until = d->now + quiet_us(d, ONCE_QUIET_S);
	alert_begin(d, kind, key, id, false);
	event_set_int(a, F_COUNT, 1);
	set(a, F_FIRST_EVENT_ID, extra ? extra : id);
	set(a, F_LAST_EVENT_ID, id);
	snprintf(ids, sizeof(ids), "%s%s%s", extra ? extra : "", extra ? "," : "", id);
	event_set_text(a, F_EVENT_IDS, ids, strlen(ids));
	if (kind != DK_DELETE_WITHOUT_NOTIFY)
		set(a, F_CONN_NAME, event_str(ev, F_CONN_NAME, NULL));
	if (d->extra_peer && d->key_field != F_PEER_IP)
		event_set_text(a, F_PEER_IP, d->extra_peer, strlen(d->extra_peer));
	d->extra_peer = NULL;
	if (d->key_field != F_IKE_SA_ID)
		set(a, F_IKE_SA_ID, event_str(ev, F_IKE_SA_ID, NULL));
	snprintf(summary, sizeof(summary), "%s %s (%s %s)", detections[kind].what,
		 d->detail[0] ? d->detail : "", field_table[d->key_field].name, key);
	set(a, F_SUMMARY, summary);
	return alert_end(d);
}

static const enum field suite_fields[] = {F_ENCR, F_INTEG, F_PRF, F_DH_GROUP};

/*
 * Whether algorithm a is in the weak list. A gateway negotiates a handful
 * of names over and over: each is matched against the list once and
 * remembered (a direct-mapped memo, a name longer than it holds is
 * matched every time).
 */
static bool is_weak(struct detector *d, const char *a, size_t len)
{
	struct detect_memo *m = &d->memo[util_hash64(a, len, UTIL_HASH_SEED) % DETECT_MEMO];
	bool weak = false;

	if (len < sizeof(m->alg) && m->alg[0] && memcmp(m->alg, a, len + 1) == 0)
		return m->weak;
	for (size_t k = 0; !weak && k < d->o.n_weak; k++)
		weak = util_alg_names(a, d->o.weak[k]);
	if (len < sizeof(m->alg)) {
		memcpy(m->alg, a, len + 1);
		m->weak = weak;
	}
	return weak;
}

/* The peer's address: the event's, else what earlier lines of its IKE SA gave. */
static const char *peer_of(const struct event *ev, const struct dentry *sa)
{
	const char *ip = event_str(ev, F_PEER_IP, NULL);

	return ip ? ip : sa && sa->peer_ip[0] ? sa->peer_ip : NULL;
}

static int weak_crypto(struct detector *d, const struct event *ev, const struct dentry *sa)
{
	size_t o = 0;

	d->detail[0] = '\0';
	for (size_t i = 0; i < sizeof(suite_fields) / sizeof(suite_fields[0]); i++) {
		size_t l;
		const char *alg = event_str(ev, suite_fields[i], &l);

		if (!alg || !is_weak(d, alg, l) || o + l + 2 > sizeof(d->detail))
			continue;
		if (o)
			d->detail[o++] = ',';
		memcpy(d->detail + o, alg, l);
		o += l;
		d->detail[o] = '\0';
	}
	if (!o)
		return 0;
	/*
	 * Keyed by connection: weak algorithms are the connection's policy
	 * (all the road warriors of a template share it), one alert an hour
	 * says so; the peer that used them is in the alert.
	 */
	const char *conn = event_str(ev, F_CONN_NAME, NULL), *ip = peer_of(ev, sa);

	d->key_field = conn ? F_CONN_NAME : F_PEER_IP;
	d->extra_peer = conn ? ip : NULL;
	return detect_once(d, DK_WEAK_CRYPTO, conn ? conn : ip, ev, NULL);
}

/* The suite of an established IKE SA against the one its connection used before. */
static int crypto_change(struct detector *d, const struct event *ev)
{
	const char *conn = event_str(ev, F_CONN_NAME, NULL);
	char suite[DETECT_SUITE_MAX];
	size_t o = 0;
	struct dentry *e;

	if (!conn || !event_has(ev, F_ENCR))
		return 0;
	for (size_t i = 0; i < sizeof(suite_fields) / sizeof(suite_fields[0]); i++) {
		size_t l;
		const char *alg = event_str(ev, suite_fields[i], &l);

		if (!alg)
			alg = "-", l = 1;
		if (o + l + 2 > sizeof(suite))
			break;
		if (i)
			suite[o++] = '/';
		memcpy(suite + o, alg, l);
		o += l;
	}
	suite[o] = '\0';
	e = detect_entry(d, DK_CRYPTO_CHANGE, conn, true);
	if (!e)
		return -ENOMEM;
	if (!e->suite[0] || strcmp(e->suite, suite) == 0) {
		snprintf(e->suite, sizeof(e->suite), "%s", suite);
		snprintf(e->suite_id, sizeof(e->suite_id), "%s",
			 event_str(ev, F_EVENT_ID, NULL) ? event_str(ev, F_EVENT_ID, NULL) : "");
		return 0;
	}
	char before[DETECT_ID_MAX];

	snprintf(d->detail, sizeof(d->detail), "%s -> %s", e->suite, suite);
	snprintf(before, sizeof(before), "%s", e->suite_id);
	/* The new suite is the baseline from now on: a change alerts once. */
	snprintf(e->suite, sizeof(e->suite), "%s", suite);
	snprintf(e->suite_id, sizeof(e->suite_id), "%s",
		 event_str(ev, F_EVENT_ID, NULL) ? event_str(ev, F_EVENT_ID, NULL) : "");
	d->key_field = F_CONN_NAME;
	return detect_once(d, DK_CRYPTO_CHANGE, conn, ev, before[0] ? before : NULL);
}

/* A certificate refused, or one that does not match the expected ID (pluto's X509 lines). */
static bool cert_failure(const struct detector *d, const struct event *ev)
{
	const char *rule = event_str(ev, F_RULE, NULL);

	return d->res == DR_FAILURE && (d->type == DT_CERT_ERROR || (d->type == DT_AUTH_FAILED &&
								     rule && strstr(rule, "x509")));
}

int detect_crypto(struct detector *d, const struct event *ev, struct dentry *sa)
{
	bool ike = d->type == DT_IKE_AUTH || d->type == DT_IKE_REKEY;
	bool up = d->res == DR_SUCCESS &&
		  (ike || d->type == DT_CHILD_CREATE || d->type == DT_CHILD_REKEY);
	int r = 0;

	if (up && d->o.weak_crypto)
		r = weak_crypto(d, ev, sa);
	if (r >= 0 && up && ike && d->o.crypto_change)
		r = crypto_change(d, ev);
	if (r >= 0 && d->o.cert_problem && cert_failure(d, ev)) {
		const char *ip = peer_of(ev, sa);
		const char *why = event_str(ev, F_ERROR_CODE, NULL);

		if (!why)
			why = event_str(ev, F_REASON, NULL);
		snprintf(d->detail, sizeof(d->detail), "%s", why ? why : "certificate refused");
		d->key_field = ip ? F_PEER_IP : F_CONN_NAME;
		r = detect_once(d, DK_CERT_PROBLEM, ip ? ip : event_str(ev, F_CONN_NAME, NULL), ev,
				NULL);
	}
	return r;
}
