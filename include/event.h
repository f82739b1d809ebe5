/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_EVENT_H
#define IKELOGD_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

/*
 * The event of schema version 1 (see conf/ikelogd.schema.json). An event
 * is a fixed array of field slots over one text arena, reset for every
 * line, so the hot path never allocates. The field table (event.c) gives
 * each field its JSON name, the object it nests in and its type; rule
 * patterns name fields by their short name (PCRE2 group names cannot hold
 * dots), e.g. "encr" lands in transform.encr.
 */
enum field {
	F_SCHEMA_VERSION,
	F_EVENT_ID,
	F_TIMESTAMP,
	F_EVENT_TYPE,
	F_RESULT,
	F_OUTCOME_EVENT_ID,
	F_ERROR_CODE,
	F_REASON,
	F_PHASE,
	F_ERRNO,
	F_COMPLAINANT_IP,
	F_PROPOSALS_OFFERED,
	F_SEVERITY,
	F_IKE_SA_ID,
	F_PREVIOUS_IKE_SA_ID,
	F_IKE_VERSION,
	F_EXCHANGE,
	F_ROLE,
	F_CONN_NAME,
	F_CONN_INSTANCE,
	F_STATE_SERIAL,
	F_PARENT_SERIAL,
	F_REPLACED_SERIAL,
	F_STATE_NAME,
	F_LOCAL_IP,
	F_LOCAL_PORT,
	F_PEER_IP,
	F_PEER_PORT,
	F_TRANSPORT,
	F_INITIATOR_ID,
	F_RESPONDER_ID,
	F_ID_TYPE,
	F_PEER_ID,
	F_LOCAL_ID,
	F_CERT_SUBJECT,
	F_CERT_ISSUER,
	F_AUTH_METHOD,
	F_ENCR,
	F_INTEG,
	F_PRF,
	F_DH_GROUP,
	F_ESN,
	F_KEY_SIZE, /* audit records (audit_rec.c); beside its object's other fields */
	F_CHILD_PROTOCOL,
	F_CHILD_MODE,
	F_SPI_IN,
	F_SPI_OUT,
	F_TS_LOCAL,
	F_TS_REMOTE,
	F_DPD,
	F_NAT_LOCAL_BEHIND,
	F_NAT_PEER_BEHIND,
	F_ENCAPSULATION,
	F_NATD_IP,
	F_NATD_PORT,
	F_BYTES_IN,
	F_BYTES_OUT,
	F_LIFETIME_S,
	F_AGE_S,
	F_DELETE_NOTIFY,
	F_RETRANSMITS,
	F_TIMEOUT_S,
	F_USERNAME,
	F_LEASE_IP,
	F_PLATFORM_HOST,
	F_PLATFORM_PROCESS,
	F_PLATFORM_PID,
	F_PLATFORM_IMPL,
	F_PLATFORM_VERSION,
	F_RULE,
	F_MESSAGE,
	F_WEAK_CRYPTO,
	/* status snapshots (status.c): what pluto's whack reports */
	F_ESTABLISHED_S,
	F_STATE_STORY,
	F_NEXT_EVENT,
	F_NEXT_EVENT_S,
	F_INFERRED,
	/* audit records (audit_rec.c) */
	F_AUDIT_OP,
	/* certificates (status_certs.c) */
	F_DAYS_TO_EXPIRY,
	/* enrichment (enrich.c) */
	F_LABELS,
	F_PEER_NET,
	F_LOCAL_NET,
	F_PEER_GEO_COUNTRY,
	F_PEER_AS_NUMBER,
	F_PEER_AS_ORG,
	F_ERROR_DESCRIPTION,
	F_PROBABLE_CAUSE,
	/* detections (detect.c): the fields of an alert event */
	F_DETECTION,
	F_WINDOW_S,
	F_COUNT,
	F_THRESHOLD,
	F_FIRST_EVENT_ID,
	F_LAST_EVENT_ID,
	F_EVENT_IDS,
	F_SUMMARY,
	F_CLEARED,
	F__MAX
};

enum field_type {
	FT_STRING, /* text as captured */
	FT_INT,	   /* decimal integer, 64-bit */
	FT_IP,	   /* IPv4 or IPv6 address, brackets stripped, checked with inet_pton */
	FT_PORT,   /* 0..65535 */
	FT_SPI,	   /* hex SPI "0x1234abcd", kept as lower-case text */
	FT_ALG,	   /* algorithm name, upper-cased, "n/a" and "NONE" dropped */
	FT_BOOL,   /* true/false, yes/no, 1/0 */
	FT_LIST,   /* JSON array of strings (weak_crypto, proposals_offered), comma-separated in the
		      arena */
	FT_NUMBER, /* decimal number ("2.084283"), written to JSON as captured, checked by
		      event_number_valid */
	FT_MAP,	   /* JSON object of strings (labels, peer_net): "key\x1fvalue\x1ekey\x1fvalue"
		      in the arena, as event_map_next reads it */
	FT__MAX
};

struct field_info {
	const char *name;   /* short name: rule group name, config name */
	const char *parent; /* enclosing object ("transform", "child", ...), NULL = top level */
	const char *key;    /* name inside parent (or top level) */
	enum field_type type;
};

/* The field table, indexed by enum field. */
extern const struct field_info field_table[F__MAX];

/* The nested objects, in output order after the top-level fields that precede them. */
#define FIELD_PARENTS 6
extern const char *const field_parents[FIELD_PARENTS];
/* Index of parent p in field_parents, or -1 (also for NULL: top level). */
int field_parent_index(const char *p);

/* Returns the field whose short name is name[0..len), or -ENOENT. */
int field_lookup(const char *name, size_t len);

struct event_value {
	uint32_t off; /* into event.text */
	uint32_t len;
	int64_t num; /* FT_INT, FT_PORT, FT_BOOL; FT_NUMBER: the integer part */
};

struct event {
	uint64_t present[(F__MAX + 63) / 64];
	struct event_value v[F__MAX];
	char *text; /* arena, capacity text_cap, owned */
	size_t text_len;
	size_t text_cap;
	const struct record *rec; /* borrowed: the line this event came from */
	const void *rule;	  /* borrowed: the rule that matched, NULL = unparsed */
};

/*
 * event_init allocates the arena (text_cap bytes); event_done frees it.
 * event_reset clears every field for the next line and never allocates.
 */
int event_init(struct event *ev, size_t text_cap);
void event_done(struct event *ev);
void event_reset(struct event *ev);

/*
 * Setters copy the value into the arena. They return 0, -ENOSPC when the
 * arena is full (the field stays unset), or -EINVAL for a value the field's
 * type rejects (event_set_text converts by type).
 */
int event_set_str(struct event *ev, enum field f, const char *s, size_t len);
int event_set_int(struct event *ev, enum field f, int64_t n);
int event_set_text(struct event *ev, enum field f, const char *s, size_t len);
/*
 * event_set_str without its check of a map value, for a value the caller
 * checked once with event_map_valid and sets again and again (the
 * enrichment's labels and cached map labels). Any other value: event_set_str.
 */
int event_set_map_checked(struct event *ev, enum field f, const char *s, size_t len);
void event_unset(struct event *ev, enum field f);
/*
 * Sets f to s[0..len) (num: its number, for the numeric types) as
 * event_set_str does, without its checks: only for a value that passed
 * them once (a fact a story kept from an event, a value an event held) or
 * the caller's own words and ids, never a map; f must be a field. The
 * correlator copies facts onto most events and every summary, where the
 * setters' checks and calls were a third of the copy. event_put_int_trusted
 * is event_set_int's text and number the same way. 0 or -ENOSPC.
 */
int event_put_trusted(struct event *ev, enum field f, const char *s, size_t len, int64_t num);
int event_put_int_trusted(struct event *ev, enum field f, int64_t n);

/*
 * Values prepared once and set together with one copy into the arena (the
 * enrichment's fields of a peer, the same on every event of its IKE SA).
 * The caller gives the text buffer (text_cap bytes). event_prep_init
 * empties p; event_prep_str and event_prep_int check a value as
 * event_set_str and event_set_int do and add it (-EINVAL, or -ENOSPC when
 * p is full: p unchanged); event_prep_map_checked is event_set_map_checked's
 * counterpart. event_set_prepared sets every value of p: 0, or -ENOSPC when
 * the arena is full (then none is set).
 */
#define EVENT_PREP_MAX 8
struct event_prep {
	char *text;
	size_t text_len, text_cap;
	size_t n;
	struct {
		enum field f;
		struct event_value v; /* off into text */
	} v[EVENT_PREP_MAX];
};
void event_prep_init(struct event_prep *p, char *text, size_t text_cap);
int event_prep_str(struct event_prep *p, enum field f, const char *s, size_t len);
int event_prep_map_checked(struct event_prep *p, enum field f, const char *s, size_t len);
int event_prep_int(struct event_prep *p, enum field f, int64_t n);
int event_set_prepared(struct event *ev, const struct event_prep *p);

static inline bool event_has(const struct event *ev, enum field f)
{
	return (ev->present[f / 64] >> (f % 64)) & 1;
}

/*
 * Whether s[0..len) is a JSON number as RFC 8259 spells it (optional minus,
 * no leading zeros, optional fraction and exponent), the check for
 * FT_NUMBER values: the writer outputs them as they are.
 */
bool event_number_valid(const char *s, size_t len);

/*
 * FT_MAP values: the text holds pairs, key and value split by EVENT_MAP_KV,
 * pairs by EVENT_MAP_SEP (neither occurs in a key or value: the loader of
 * labels and address maps refuses them). event_map_next steps through
 * the text and returns false at the end.
 */
#define EVENT_MAP_KV '\x1f'
#define EVENT_MAP_SEP '\x1e'
/*
 * Inline, with a byte loop: pairs are a few bytes long and the writer reads
 * every pair of every event, where a call to memchr per separator cost more
 * than the scan. The key ends at the pair's first EVENT_MAP_KV and must not
 * be empty; the value runs to the next EVENT_MAP_SEP.
 */
static inline bool event_map_next(const char **s, size_t *len, const char **key, size_t *key_len,
				  const char **val, size_t *val_len)
{
	const char *p = *s;
	size_t n = *len, i = 0, kl;

	while (i < n && p[i] != EVENT_MAP_KV && p[i] != EVENT_MAP_SEP)
		i++;
	if (i == 0 || i == n || p[i] != EVENT_MAP_KV)
		return false;
	kl = i++;
	while (i < n && p[i] != EVENT_MAP_SEP)
		i++;
	*key = p;
	*key_len = kl;
	*val = p + kl + 1;
	*val_len = i - kl - 1;
	i += i < n; /* past the separator */
	*s = p + i;
	*len = n - i;
	return true;
}
/*
 * Whether s[0..len) is a map value event_set_str accepts: every pair split,
 * every key valid (below) and none twice.
 */
bool event_map_valid(const char *s, size_t len);
/* A map key: 1..EVENT_MAP_KEY_MAX letters, digits, "_", "." or "-"; setters refuse others and repeats. */
#define EVENT_MAP_KEY_MAX 64
bool event_map_key_valid(const char *k, size_t len);

/* Returns the value's text (NUL-terminated in the arena) or NULL if unset. */
const char *event_str(const struct event *ev, enum field f, size_t *ret_len);
/* Returns the numeric value, or def if unset. */
int64_t event_int(const struct event *ev, enum field f, int64_t def);

/*
 * The event's JSON (event_json.c): fields in table order, nested objects at
 * their first field, absent and empty fields omitted, text made valid
 * UTF-8. event_json_new/free own one reused buffer; event_json_render
 * returns a NUL-terminated string owned by the writer, valid until the next
 * render, or -ENOMEM. No allocation once the buffer has grown to the
 * largest event.
 */
struct event_json;
int event_json_new(struct event_json **ret);
void event_json_free(struct event_json *w);
int event_json_render(struct event_json *w, const struct event *ev, const char **ret,
		      size_t *ret_len);

#endif
