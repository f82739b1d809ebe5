/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_DETECT_IMPL_H
#define IKELOGD_DETECT_IMPL_H

/*
 * The engine's inside, shared by detect.c (key table, windows, IKE SA
 * facts) and detect_alert.c (the alert event, the one-shot detections).
 * Not for other modules.
 */
#include <stdbool.h>
#include <stdint.h>

#include "detect.h"

#define DETECT_KEY_MAX	 64 /* longer keys (connection names) are cut: they share an entry */
#define DETECT_ID_MAX	 33 /* event ids: 16 or 32 hex digits */
#define DETECT_EVIDENCE	 10 /* event_ids listed in an alert */
#define DETECT_SUITE_MAX 96
#define DETECT_KEYS_MIN	 64 /* more than one event can touch */

/* What a key table entry is for: a detection's key, or facts kept between events. */
enum detect_kind {
	DK_AUTH_FAILURE_BURST,
	DK_IDENTITY_SPRAY,
	DK_HALF_OPEN_FLOOD,
	DK_HALF_OPEN_ALL, /* half_open_flood across peers: one entry, key "*" */
	DK_REKEY_STORM,
	DK_SHORT_LIFETIME,
	DK_WEAK_CRYPTO,
	DK_CRYPTO_CHANGE, /* the learned suite of a connection */
	DK_DELETE_WITHOUT_NOTIFY,
	DK_ADDRESS_FLAP,
	DK_CERT_PROBLEM,
	DK_SA, /* one IKE SA's facts */
	DK__MAX
};

/* The event types and results the detections look at (detect.c names them once per event). */
enum detect_type {
	DT_OTHER,
	DT_IKE_INIT,
	DT_IKE_AUTH,
	DT_AUTH_FAILED,
	DT_CERT_ERROR,
	DT_CHILD_CREATE,
	DT_IKE_REKEY,
	DT_CHILD_REKEY,
	DT_IKE_DELETE,
	DT_MOBIKE,
	DT_SKIP, /* ikelogd's own: alert, daemon_stats, ike_sa_summary */
};
enum detect_result { DR_INFO, DR_SUCCESS, DR_FAILURE };

/* One occurrence in a window. */
struct dslot {
	int64_t ts;   /* microseconds, from the event */
	uint64_t aux; /* what dedupes it: IKE SA, identity, peer */
	char id[DETECT_ID_MAX];
};

/*
 * A key table entry. What only one kind needs is in the union at the end,
 * and an entry is allocated only as long as its kind needs (detect_entry):
 * a peer's or connection's window entry is a quarter of an IKE SA's.
 */
struct dentry {
	struct dentry *hnext, *prev, *next; /* hash chain; LRU list, newest first */
	uint64_t hash;
	uint64_t touched; /* the detector's clock when last moved to the LRU front */
	uint8_t kind;
	uint8_t key_len;
	bool raised;  /* an alert is up and not cleared */
	bool pending; /* DK_SA: in the list of answered IKE_SA_INITs */
	char key[DETECT_KEY_MAX];
	int64_t quiet_until; /* no further alert for this key before */
	uint32_t n, cap;
	struct dslot *ring; /* the window, oldest first */
	union {
		struct {			      /* DK_SA */
			struct dentry *pprev, *pnext; /* answered IKE_SA_INITs, oldest first */
			bool init_seen, auth_seen, established, replaced, delete_received;
			bool fail_counted, fail_pending, id_counted, id_pending;
			struct dslot fail, attempt, init;
			char peer_ip[46];
			char conn[DETECT_KEY_MAX];
			char peer_id[48];
		};
		struct { /* DK_CRYPTO_CHANGE: the suite last seen, and the event that showed it */
			char suite[DETECT_SUITE_MAX];
			char suite_id[DETECT_ID_MAX];
		};
	};
};

#define DETECT_MEMO	64
#define DETECT_WEAK_MAX 16 /* CONFIG_LIST_MAX: the most names a list holds */
struct detect_memo {
	char alg[32];
	bool weak;
};

struct detector {
	struct detect_options o;
	struct counters *cnt;
	struct dentry **buckets;
	size_t mask;
	struct dentry *lru_head, *lru_tail;
	struct dentry *pend_head, *pend_tail;
	struct dentry *last; /* the entry detect_entry found last */
	size_t n_keys;
	uint64_t clock; /* counts moves to the LRU front */
	int64_t now;	/* the newest event time seen: windows end here */
	int64_t ev_ts;	/* the current event's time */
	/* while detect_event runs */
	const struct event *trigger;
	enum detect_type type;
	enum detect_result res;
	enum field key_field; /* the field the next alert's key goes in; F__MAX = none */
	detect_emit_fn emit;
	void *ud;
	int raised;
	char detail[2 * DETECT_SUITE_MAX + 8];
	const char *extra_peer;
	/* a one-event alert's peer_ip beside its key (weak_crypto) */ /* what a one-event
									  alert's summary names
									*/
	struct event alert;
	struct detect_memo memo[DETECT_MEMO]; /* algorithm names already matched against weak */
	char *weak[DETECT_WEAK_MAX];	      /* o.weak points here: the names, owned */
};

/*
 * The entry of (kind, key), made when create and missing: the least
 * recently used entry is evicted at max_keys (counted). NULL when absent
 * or out of memory.
 */
struct dentry *detect_entry(struct detector *d, enum detect_kind kind, const char *key,
			    bool create);

/* detect_alert.c */
int detect_alert_init(struct detector *d);
void detect_alert_done(struct detector *d);

/*
 * Raises (or with cleared, clears) the alert of windowed entry e: the
 * window's occurrences are the evidence. Sets e's quiet time. Returns 0 or
 * emit's error.
 */
int detect_raise(struct detector *d, struct dentry *e, const struct detect_window *w, bool cleared);

/*
 * A detection that fires on one event (weak_crypto, cert_problem,
 * delete_without_notify, crypto_change): once per key per quiet time.
 * extra (may be NULL) is a second evidence id before the trigger's.
 */
int detect_once(struct detector *d, enum detect_kind kind, const char *key, const struct event *ev,
		const char *extra);

/* weak_crypto, crypto_change and cert_problem on one event. */
int detect_crypto(struct detector *d, const struct event *ev, struct dentry *sa);

#endif
