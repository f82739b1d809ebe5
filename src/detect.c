/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The detection engine (detect.h): one bounded key table shared by every
 * detection, sliding windows on the events' own time, and the per-IKE-SA
 * facts the detections need (a failure counts once per IKE SA; an IKE SA
 * whose IKE_SA_INIT was answered and whose IKE_AUTH never came is half
 * open). The alert event itself is built in detect_alert.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect_impl.h"
#include "util.h"

void detect_options_defaults(struct detect_options *o)
{
	static const char *const weak[] = {"DES",     "3DES",	  "MD5",      "SHA1",
					   "MODP768", "MODP1024", "MODP1536", "MODP2048"};

	*o = (struct detect_options){
	    .enabled = true,
	    .max_keys = 65536,
	    .suppress_s = 0,
	    .auth_failure_burst = {5, 300},
	    .identity_spray = {3, 600},
	    .half_open_flood = {10, 60},
	    .half_open_distinct_ips = 100,
	    .half_open_timeout_s = 30,
	    .rekey_storm = {10, 3600},
	    .short_lifetime = {3, 3600},
	    .short_lifetime_min_age_s = 60,
	    .weak_crypto = true,
	    .crypto_change = true,
	    .delete_without_notify = false,
	    .address_flap = {5, 300},
	    .cert_problem = true,
	    .weak = weak,
	    .n_weak = sizeof(weak) / sizeof(weak[0]),
	};
}

/* ---- the key table: a hash of chains over an LRU list ---- */

static uint64_t key_hash(enum detect_kind kind, const char *key, size_t len)
{
	uint8_t k = (uint8_t)kind;

	return util_hash64(key, len, util_hash64(&k, 1, UTIL_HASH_SEED));
}

static void lru_unlink(struct detector *d, struct dentry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		d->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		d->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct detector *d, struct dentry *e)
{
	e->next = d->lru_head;
	e->prev = NULL;
	if (d->lru_head)
		d->lru_head->prev = e;
	d->lru_head = e;
	if (!d->lru_tail)
		d->lru_tail = e;
}

static void pending_unlink(struct detector *d, struct dentry *e)
{
	if (!e->pending)
		return;
	if (e->pprev)
		e->pprev->pnext = e->pnext;
	else
		d->pend_head = e->pnext;
	if (e->pnext)
		e->pnext->pprev = e->pprev;
	else
		d->pend_tail = e->pprev;
	e->pprev = e->pnext = NULL;
	e->pending = false;
}

static void pending_push(struct detector *d, struct dentry *e)
{
	e->pnext = NULL;
	e->pprev = d->pend_tail;
	if (d->pend_tail)
		d->pend_tail->pnext = e;
	else
		d->pend_head = e;
	d->pend_tail = e;
	e->pending = true;
}

static void table_remove(struct detector *d, struct dentry *e)
{
	struct dentry **pp = &d->buckets[e->hash & d->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(d, e);
	pending_unlink(d, e);
	if (d->last == e)
		d->last = NULL;
	free(e->ring);
	free(e);
	d->n_keys--;
}

/* The entry of (kind, key), made if missing (the least recently used one evicted at the bound). */
/* The bytes an entry of kind needs: the union at its end only for the kinds that use it. */
static size_t entry_size(enum detect_kind kind)
{
	if (kind == DK_SA)
		return sizeof(struct dentry);
	if (kind == DK_CRYPTO_CHANGE)
		return offsetof(struct dentry, suite_id) + DETECT_ID_MAX;
	return offsetof(struct dentry, suite);
}

struct dentry *detect_entry(struct detector *d, enum detect_kind kind, const char *key, bool create)
{
	size_t len = strlen(key);
	struct dentry *e;
	uint64_t h;

	if (len >= DETECT_KEY_MAX)
		len = DETECT_KEY_MAX - 1;
	/* The lines of one IKE SA come in runs: the entry found last is the likeliest. */
	e = d->last;
	if (e && e->kind == kind && e->key_len == len && memcmp(e->key, key, len) == 0)
		return e;
	h = key_hash(kind, key, len);
	for (e = d->buckets[h & d->mask]; e; e = e->hnext)
		if (e->hash == h && e->kind == kind && e->key_len == len &&
		    memcmp(e->key, key, len) == 0) {
			/*
			 * To the front, unless it was moved there lately: an
			 * entry in the newest eighth is far from eviction, and
			 * each move writes two other entries' links.
			 */
			if (d->clock - e->touched > d->o.max_keys / 8) {
				lru_unlink(d, e);
				lru_push(d, e);
				e->touched = ++d->clock;
			}
			d->last = e;
			return e;
		}
	if (!create)
		return NULL;
	if (d->n_keys >= d->o.max_keys && d->lru_tail) {
		table_remove(d, d->lru_tail);
		d->cnt->detect_evictions++;
	}
	e = calloc(1, entry_size(kind));
	if (!e)
		return NULL;
	e->hash = h;
	e->kind = kind;
	e->key_len = (uint8_t)len;
	memcpy(e->key, key, len);
	e->hnext = d->buckets[h & d->mask];
	d->buckets[h & d->mask] = e;
	lru_push(d, e);
	e->touched = ++d->clock;
	d->n_keys++;
	d->cnt->detect_keys = d->n_keys;
	return e;
}

int detector_new(const struct detect_options *o, struct counters *cnt, struct detector **ret)
{
	struct detector *d = calloc(1, sizeof(*d));
	size_t nb = 64;
	int r;

	if (!d)
		return -ENOMEM;
	d->o = *o;
	/* The names are copied: the engine outlives the configuration across a reload. */
	d->o.n_weak = 0;
	d->o.weak = (const char *const *)d->weak;
	for (size_t i = 0; i < o->n_weak && i < DETECT_WEAK_MAX; i++) {
		d->weak[i] = strdup(o->weak[i]);
		if (!d->weak[i]) {
			detector_free(d);
			return -ENOMEM;
		}
		d->o.n_weak++;
	}
	/*
	 * One event touches a few entries (its IKE SA, then its keys): the
	 * table must hold them all, or one would evict another in use.
	 */
	if (d->o.max_keys < DETECT_KEYS_MIN)
		d->o.max_keys = DETECT_KEYS_MIN;
	d->cnt = cnt;
	while (nb < d->o.max_keys && nb < (1u << 24))
		nb <<= 1;
	d->buckets = calloc(nb, sizeof(*d->buckets));
	d->mask = nb - 1;
	r = d->buckets ? detect_alert_init(d) : -ENOMEM;
	if (r < 0) {
		detector_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

void detector_free(struct detector *d)
{
	if (!d)
		return;
	while (d->lru_head)
		table_remove(d, d->lru_head);
	free(d->buckets);
	for (size_t i = 0; i < DETECT_WEAK_MAX; i++)
		free(d->weak[i]);
	detect_alert_done(d);
	free(d);
}

size_t detector_keys(const struct detector *d)
{
	return d->n_keys;
}

size_t detector_memory_bound(const struct detector *d)
{
	const struct detect_window *w[] = {&d->o.auth_failure_burst, &d->o.identity_spray,
					   &d->o.half_open_flood,    &d->o.rekey_storm,
					   &d->o.short_lifetime,     &d->o.address_flap};
	size_t tmax = 1;

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (w[i]->threshold + 1 > tmax)
			tmax = w[i]->threshold + 1;
	/* The one across-peers ring of half_open_flood is extra. */
	return (size_t)d->o.max_keys * (entry_size(DK_SA) + tmax * sizeof(struct dslot)) +
	       (d->mask + 1) * sizeof(struct dentry *) +
	       (d->o.half_open_distinct_ips + 1) * sizeof(struct dslot);
}

/* ---- windows ---- */

static void slot_id(struct dslot *s, const char *id)
{
	size_t l = id ? strlen(id) : 0;

	if (l >= sizeof(s->id))
		l = sizeof(s->id) - 1;
	memcpy(s->id, id ? id : "", l);
	s->id[l] = '\0';
}

/* Drops the occurrences older than the window that ends now. */
static void window_expire(struct dentry *e, int64_t now, unsigned window_s)
{
	int64_t from = now - (int64_t)window_s * 1000000;
	uint32_t k = 0;

	while (k < e->n && e->ring[k].ts < from)
		k++;
	if (k) {
		memmove(e->ring, e->ring + k, (e->n - k) * sizeof(*e->ring));
		e->n -= k;
	}
}

/*
 * Adds one occurrence (ts, aux, id) to e's window; with dedupe, an
 * occurrence whose aux is in the window already does not count again.
 * Returns 1 when the window now holds more than w->threshold and the key
 * is not quiet (the caller raises the alert), 0 when not, -ENOMEM.
 */
static int window_add(struct detector *d, struct dentry *e, const struct detect_window *w,
		      int64_t ts, uint64_t aux, bool dedupe, const char *id)
{
	uint32_t cap = w->threshold + 1;

	window_expire(e, d->now, w->window_s);
	if (d->o.cleared && e->raised && e->n == 0 && d->now >= e->quiet_until) {
		e->raised = false;
		int r = detect_raise(d, e, w, true);

		if (r < 0)
			return r;
	}
	for (uint32_t k = 0; dedupe && k < e->n; k++)
		if (e->ring[k].aux == aux)
			return 0;
	if (ts < d->now - (int64_t)w->window_s * 1000000)
		return 0;
	if (e->n == e->cap && e->cap < cap) {
		uint32_t nc = e->cap ? e->cap * 2 : 2;
		struct dslot *nr;

		if (nc > cap)
			nc = cap;
		nr = realloc(e->ring, nc * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		e->ring = nr;
		e->cap = nc;
	}
	if (e->n == e->cap) { /* full: the oldest goes */
		memmove(e->ring, e->ring + 1, (e->n - 1) * sizeof(*e->ring));
		e->n--;
	}
	/* In time order: an occurrence reported late goes before newer ones. */
	uint32_t at = e->n;

	while (at > 0 && e->ring[at - 1].ts > ts)
		at--;
	memmove(e->ring + at + 1, e->ring + at, (e->n - at) * sizeof(*e->ring));
	e->ring[at].ts = ts;
	e->ring[at].aux = aux;
	slot_id(&e->ring[at], id);
	e->n++;
	if (e->n <= w->threshold)
		return 0;
	if (d->now < e->quiet_until) {
		d->cnt->detect_suppressed++;
		return 0;
	}
	return 1;
}

/* Counts one occurrence for (kind, key) and raises the alert if it passes the threshold. */
static int count(struct detector *d, enum detect_kind kind, const struct detect_window *w,
		 const char *key, int64_t ts, uint64_t aux, bool dedupe, const char *id)
{
	struct dentry *e;
	int r;

	if (!w->threshold || !key || !*key)
		return 0;
	e = detect_entry(d, kind, key, true);
	if (!e)
		return -ENOMEM;
	r = window_add(d, e, w, ts, aux, dedupe, id);
	if (r <= 0)
		return r;
	return detect_raise(d, e, w, false);
}

/* ---- the events ---- */

static const char *str(const struct event *ev, enum field f)
{
	return event_str(ev, f, NULL);
}

static bool is(const char *s, const char *lit)
{
	return s && strcmp(s, lit) == 0;
}

static uint64_t hash_str(const char *s)
{
	return s ? util_hash64(s, strlen(s), UTIL_HASH_SEED) : 0;
}

/* The event types the detections look at, named once per event. */
static const struct {
	const char *name;
	enum detect_type type;
} type_names[] = {
    {"ike_init", DT_IKE_INIT},
    {"ike_auth", DT_IKE_AUTH},
    {"auth_failed", DT_AUTH_FAILED},
    {"cert_error", DT_CERT_ERROR},
    {"child_sa_create", DT_CHILD_CREATE},
    {"ike_sa_rekey", DT_IKE_REKEY},
    {"child_sa_rekey", DT_CHILD_REKEY},
    {"ike_sa_delete", DT_IKE_DELETE},
    {"mobike", DT_MOBIKE},
    {"alert", DT_SKIP},
    {"daemon_stats", DT_SKIP},
    {"ike_sa_summary", DT_SKIP},
};

static enum detect_type type_of(const char *s)
{
	for (size_t i = 0; s && i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (s[0] == type_names[i].name[0] && strcmp(s, type_names[i].name) == 0)
			return type_names[i].type;
	return DT_OTHER;
}

static enum detect_result result_of(const char *s)
{
	return is(s, "failure") ? DR_FAILURE : is(s, "success") ? DR_SUCCESS : DR_INFO;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned dd)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

/* n digits of s from i, or -1. */
static int64_t digits(const char *s, size_t i, size_t n)
{
	int64_t v = 0;

	for (size_t k = i; k < i + n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v;
}

/*
 * The event's time in microseconds: its record's, else its timestamp
 * field (the writer's own format, 2026-11-23T21:45:51.000000Z); -1 if
 * neither.
 */
static int64_t event_time(const struct event *ev)
{
	size_t l;
	const char *t = event_str(ev, F_TIMESTAMP, &l);
	int64_t y, mo, dd, h, mi, s, us;

	if (ev->rec && ev->rec->realtime_usec > 0)
		return ev->rec->realtime_usec;
	if (!t || l != 27 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
	    t[16] != ':' || t[19] != '.' || t[26] != 'Z')
		return -1;
	y = digits(t, 0, 4), mo = digits(t, 5, 2), dd = digits(t, 8, 2);
	h = digits(t, 11, 2), mi = digits(t, 14, 2), s = digits(t, 17, 2);
	us = digits(t, 20, 6);
	if (y < 0 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h < 0 || mi < 0 || s < 0 || us < 0)
		return -1;
	return (days_from_civil(y, (unsigned)mo, (unsigned)dd) * 86400 + h * 3600 + mi * 60 + s) *
		   1000000 +
	       us;
}

/* The SA's peer address, or the connection name where pluto's lines never gave one. */
static const char *peer_key(const struct dentry *sa, enum field *ret_field)
{
	if (sa->peer_ip[0]) {
		*ret_field = F_PEER_IP;
		return sa->peer_ip;
	}
	*ret_field = F_CONN_NAME;
	return sa->conn[0] ? sa->conn : NULL;
}

static void copy_fact(char *dst, size_t size, const char *src)
{
	size_t l;

	if (!src || dst[0])
		return;
	l = strlen(src);
	if (l >= size)
		l = size - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

/*
 * A failure that counts for auth_failure_burst: the event that claims an
 * exchange's outcome (result failure), of an authentication failure.
 */
static bool auth_failure(const struct detector *d, const struct event *ev)
{
	return d->res == DR_FAILURE && (d->type == DT_AUTH_FAILED || d->type == DT_CERT_ERROR ||
					is(str(ev, F_ERROR_CODE), "AUTHENTICATION_FAILED"));
}

static bool auth_reached(const struct detector *d, const struct event *ev)
{
	return d->type == DT_IKE_AUTH || d->type == DT_AUTH_FAILED || d->type == DT_CERT_ERROR ||
	       d->type == DT_CHILD_CREATE || is(str(ev, F_EXCHANGE), "IKE_AUTH");
}

/* Whether ev says something an IKE SA's entry must keep (else an entry is only looked up). */
static bool sa_worth_keeping(const struct detector *d, const struct event *ev)
{
	return (d->type == DT_IKE_INIT && d->res == DR_SUCCESS) || auth_failure(d, ev) ||
	       (d->res != DR_INFO && (d->type == DT_IKE_AUTH || d->type == DT_AUTH_FAILED ||
				      d->type == DT_CERT_ERROR || d->type == DT_IKE_REKEY));
}

/*
 * Failure and identity evidence once the SA's peer address is known (the
 * line that fails often names no peer; a later line of the SA does), or
 * at its end, by connection, if none ever did.
 */
static int sa_counts(struct detector *d, struct dentry *sa, bool end)
{
	enum field kf;
	const char *key = peer_key(sa, &kf);
	int r = 0;

	if (!key || (kf != F_PEER_IP && !end))
		return 0;
	d->key_field = kf;
	if (sa->fail_pending) {
		sa->fail_pending = false;
		r = count(d, DK_AUTH_FAILURE_BURST, &d->o.auth_failure_burst, key, sa->fail.ts,
			  sa->hash, true, sa->fail.id);
		if (r < 0)
			return r;
	}
	if (sa->id_pending && sa->peer_id[0]) {
		sa->id_pending = false;
		r = count(d, DK_IDENTITY_SPRAY, &d->o.identity_spray, key, sa->attempt.ts,
			  hash_str(sa->peer_id), true, sa->attempt.id);
	}
	return r;
}

/*
 * One IKE SA found half open: counted for its peer and across peers. The
 * SA found by the sweep is old, maybe the next to be evicted: what the
 * counts need is copied first.
 */
static int half_open(struct detector *d, struct dentry *sa)
{
	enum field kf;
	const char *k = peer_key(sa, &kf);
	char key[DETECT_KEY_MAX], id[DETECT_ID_MAX];
	uint64_t aux = sa->hash;
	int r;

	pending_unlink(d, sa);
	if (!k)
		return 0;
	snprintf(key, sizeof(key), "%s", k);
	snprintf(id, sizeof(id), "%s", sa->init.id);
	d->key_field = kf;
	r = count(d, DK_HALF_OPEN_FLOOD, &d->o.half_open_flood, key, d->now, aux, true, id);
	if (r < 0 || !d->o.half_open_distinct_ips)
		return r;
	d->key_field = F__MAX;
	struct detect_window all = {d->o.half_open_distinct_ips, d->o.half_open_flood.window_s};

	return count(d, DK_HALF_OPEN_ALL, &all, "*", d->now, hash_str(key), true, id);
}

/*
 * IKE SAs answered at IKE_SA_INIT whose IKE_AUTH has not come within the
 * timeout. Each became half open at its init time plus the timeout, and is
 * counted as of then (the windows see it when it happened, not when the
 * next event showed it), oldest first.
 */
static int sweep_half_open(struct detector *d)
{
	int64_t tmo = (int64_t)d->o.half_open_timeout_s * 1000000, now = d->now;
	int r = 0;

	while (r >= 0 && d->pend_head && d->pend_head->init.ts + tmo <= now) {
		d->now = d->pend_head->init.ts + tmo;
		r = half_open(d, d->pend_head);
	}
	d->now = now;
	return r;
}

static int sa_events(struct detector *d, const struct event *ev, struct dentry *sa)
{
	const char *id = str(ev, F_EVENT_ID);
	int r;

	copy_fact(sa->peer_ip, sizeof(sa->peer_ip), str(ev, F_PEER_IP));
	copy_fact(sa->conn, sizeof(sa->conn), str(ev, F_CONN_NAME));
	copy_fact(sa->peer_id, sizeof(sa->peer_id), str(ev, F_PEER_ID));
	if (!sa->fail_counted && auth_failure(d, ev)) {
		sa->fail_counted = sa->fail_pending = true;
		sa->fail.ts = d->ev_ts;
		slot_id(&sa->fail, id);
	}
	/* An authentication attempt: the event that claims IKE_AUTH's outcome. */
	if (!sa->id_counted && d->res != DR_INFO &&
	    (d->type == DT_IKE_AUTH || d->type == DT_AUTH_FAILED || d->type == DT_CERT_ERROR)) {
		sa->id_counted = sa->id_pending = true;
		sa->attempt.ts = d->ev_ts;
		slot_id(&sa->attempt, id);
	}
	if (d->type == DT_IKE_INIT && d->res == DR_SUCCESS && !sa->init_seen && !sa->auth_seen &&
	    is(str(ev, F_ROLE), "responder")) {
		sa->init_seen = true;
		sa->init.ts = d->ev_ts;
		slot_id(&sa->init, id);
		pending_push(d, sa);
	}
	if (auth_reached(d, ev)) {
		sa->auth_seen = true;
		pending_unlink(d, sa);
	}
	if (d->res == DR_SUCCESS && (d->type == DT_IKE_AUTH || d->type == DT_IKE_REKEY))
		sa->established = true;
	if (is(str(ev, F_DELETE_NOTIFY), "received"))
		sa->delete_received = true;
	/* pluto deleted an SA answered at IKE_SA_INIT before its IKE_AUTH came. */
	if (d->type == DT_IKE_DELETE && sa->pending) {
		r = half_open(d, sa);
		if (r < 0)
			return r;
	}
	return sa_counts(d, sa, d->type == DT_IKE_DELETE);
}

static int detect_lifecycle(struct detector *d, const struct event *ev, struct dentry *sa)
{
	const char *conn = str(ev, F_CONN_NAME), *id = str(ev, F_EVENT_ID);
	int r = 0;

	d->key_field = F_CONN_NAME;
	if ((d->type == DT_IKE_REKEY || d->type == DT_CHILD_REKEY) && d->res == DR_SUCCESS)
		r = count(d, DK_REKEY_STORM, &d->o.rekey_storm, conn, d->ev_ts, hash_str(id), false,
			  id);
	if (r < 0 || d->type != DT_IKE_DELETE || !sa || !sa->established || sa->replaced)
		return r;
	if (event_has(ev, F_AGE_S) &&
	    event_int(ev, F_AGE_S, 0) < (int64_t)d->o.short_lifetime_min_age_s) {
		r = count(d, DK_SHORT_LIFETIME, &d->o.short_lifetime, conn, d->ev_ts, sa->hash,
			  true, id);
		if (r < 0)
			return r;
	}
	if (d->o.delete_without_notify && is(str(ev, F_DELETE_NOTIFY), "none") &&
	    !sa->delete_received) {
		d->key_field = F_IKE_SA_ID;
		r = detect_once(d, DK_DELETE_WITHOUT_NOTIFY, str(ev, F_IKE_SA_ID), ev, NULL);
	}
	return r;
}

int detect_event(struct detector *d, const struct event *ev, detect_emit_fn emit, void *ud)
{
	const char *ike = str(ev, F_IKE_SA_ID);
	struct dentry *sa = NULL;
	int64_t ts;
	int r;

	d->type = type_of(str(ev, F_EVENT_TYPE));
	if (d->type == DT_SKIP || (ts = event_time(ev)) < 0)
		return 0;
	d->res = result_of(str(ev, F_RESULT));
	d->emit = emit;
	d->ud = ud;
	d->trigger = ev;
	d->raised = 0;
	d->ev_ts = ts;
	if (ts > d->now)
		d->now = ts;
	r = sweep_half_open(d);
	if (r >= 0 && d->type == DT_IKE_REKEY) {
		const char *prev = str(ev, F_PREVIOUS_IKE_SA_ID);
		struct dentry *old = prev ? detect_entry(d, DK_SA, prev, false) : NULL;

		if (old)
			old->replaced = true;
	}
	if (r >= 0 && ike)
		sa = detect_entry(d, DK_SA, ike, sa_worth_keeping(d, ev));
	if (r >= 0 && sa)
		r = sa_events(d, ev, sa);
	else if (r >= 0 && !ike && auth_failure(d, ev) && str(ev, F_PEER_IP)) {
		/* No IKE SA to dedupe by (no serial on the line): the line counts. */
		d->key_field = F_PEER_IP;
		r = count(d, DK_AUTH_FAILURE_BURST, &d->o.auth_failure_burst, str(ev, F_PEER_IP),
			  ts, hash_str(str(ev, F_EVENT_ID)), true, str(ev, F_EVENT_ID));
	}
	if (r >= 0)
		r = detect_lifecycle(d, ev, sa);
	if (r >= 0)
		r = detect_crypto(d, ev, sa);
	if (r >= 0 && d->type == DT_MOBIKE && d->res != DR_FAILURE) {
		d->key_field = ike ? F_IKE_SA_ID : F_CONN_NAME;
		r = count(d, DK_ADDRESS_FLAP, &d->o.address_flap, ike ? ike : str(ev, F_CONN_NAME),
			  ts, hash_str(str(ev, F_EVENT_ID)), false, str(ev, F_EVENT_ID));
	}
	d->trigger = NULL;
	return r < 0 ? r : d->raised;
}
