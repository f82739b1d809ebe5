/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The facts an SA's lines have given, and the outcome claims of its
 * exchanges (see sa_story.h). A fact is kept as a record in the story's
 * buffer: field (1 byte), length (1 byte), then the value: a number's 8
 * bytes for the numeric types (the event writes their text from it), the
 * text as the event held it (already converted by type) for the others,
 * so that carrying it is a copy, never a second parse. (The layout before,
 * "version 2" of the saved table, kept a number and the text in every
 * record: 8 bytes more per string; sa_story_restore still reads it.)
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sa_story.h"

#define HDR	2  /* field, length */
#define OLD_HDR 10 /* field, length, number: the records of version 2 */

enum { K_IKE = 1, K_XFORM = 2, K_CHILD = 4, K_SUM = 8 };

static_assert(F__MAX <= 255, "a fact's field fits in one byte");

/* Which kinds each field belongs to; 0 = never carried. A table: the hot path asks per fact. */
static const uint8_t kinds[F__MAX] = {
    [F_PEER_IP] = K_IKE,
    [F_PEER_PORT] = K_IKE,
    [F_LOCAL_IP] = K_IKE,
    [F_LOCAL_PORT] = K_IKE,
    [F_TRANSPORT] = K_IKE,
    [F_PEER_ID] = K_IKE,
    [F_LOCAL_ID] = K_IKE,
    [F_INITIATOR_ID] = K_IKE,
    [F_RESPONDER_ID] = K_IKE,
    [F_ID_TYPE] = K_IKE,
    [F_IKE_VERSION] = K_IKE,
    [F_AUTH_METHOD] = K_IKE,
    [F_NAT_LOCAL_BEHIND] = K_IKE,
    [F_NAT_PEER_BEHIND] = K_IKE,
    [F_ENCR] = K_XFORM | K_CHILD,
    [F_INTEG] = K_XFORM | K_CHILD,
    [F_DH_GROUP] = K_XFORM | K_CHILD,
    [F_PRF] = K_XFORM,
    [F_ESN] = K_CHILD,
    [F_CHILD_PROTOCOL] = K_CHILD,
    [F_CHILD_MODE] = K_CHILD,
    [F_SPI_IN] = K_CHILD,
    [F_SPI_OUT] = K_CHILD,
    [F_TS_LOCAL] = K_CHILD,
    [F_TS_REMOTE] = K_CHILD,
    [F_DPD] = K_CHILD,
    [F_ENCAPSULATION] = K_CHILD,
    [F_CONN_NAME] = K_SUM,
    [F_CONN_INSTANCE] = K_SUM,
    [F_PLATFORM_HOST] = K_SUM,
    [F_PLATFORM_PID] = K_SUM,
};

static uint8_t kind_of(enum field f)
{
	return kinds[f];
}

static uint8_t kind_bit(enum sa_facts_kind k)
{
	return k == SA_FACTS_IKE	 ? K_IKE
	       : k == SA_FACTS_IKE_XFORM ? K_XFORM
	       : k == SA_FACTS_CHILD	 ? K_CHILD
	       : k == SA_FACTS_IKE_ALL	 ? K_SUM | K_IKE | K_XFORM
					 : K_SUM;
}

static bool numeric(enum field f)
{
	enum field_type t = field_table[f].type;

	return t == FT_INT || t == FT_PORT || t == FT_BOOL;
}

void sa_story_reset(struct sa_story *s)
{
	/* A reused entry's next SA may say less: its buffer grows again from nothing. */
	free(s->facts);
	s->facts = NULL;
	s->cap = 0;
	s->used = 0;
	s->budget = 0;
	s->exchange = 0;
	s->per_child = false;
	s->failure.id_len = 0;
	s->success.id_len = 0;
}

void sa_story_done(struct sa_story *s)
{
	free(s->facts);
	*s = (struct sa_story){.facts = NULL};
}

static_assert(sizeof(struct sa_story) == 136, "the story's size, and the saved table's, unchanged");

/* A record's size in the layout of version 2: a number's text (as event_set_int writes it) too. */
static unsigned old_size(enum field f, const unsigned char *v, size_t len)
{
	int64_t n;
	uint64_t u;
	unsigned digits = 1;

	if (!numeric(f))
		return OLD_HDR + (unsigned)len;
	memcpy(&n, v, sizeof(n));
	if (field_table[f].type == FT_BOOL)
		return OLD_HDR + (n ? 4 : 5);
	u = n < 0 ? -(uint64_t)n : (uint64_t)n;
	while (u >= 10) {
		u /= 10;
		digits++;
	}
	return OLD_HDR + digits + (n < 0);
}

/* Room for need bytes of facts; false when there is none (past SA_FACTS_BYTES, or no memory). */
static bool reserve(struct sa_story *s, size_t need)
{
	size_t cap = (need + 31) & ~(size_t)31;
	unsigned char *p;

	if (need <= s->cap)
		return true;
	if (need > SA_FACTS_BYTES)
		return false;
	if (cap > SA_FACTS_BYTES)
		cap = SA_FACTS_BYTES;
	if (!(p = realloc(s->facts, cap)))
		return false;
	s->facts = p;
	s->cap = (uint16_t)cap;
	return true;
}

static unsigned put(struct sa_story *s, enum field f, const void *v, size_t len);

/* Whether facts[0..used) are whole records of known fields, numbers 8 bytes long. */
static bool records_ok(const unsigned char *p, size_t used, size_t hdr)
{
	for (size_t o = 0; o < used; o += hdr + p[o + 1])
		if (o + hdr > used || o + hdr + p[o + 1] > used || p[o] >= F__MAX ||
		    (hdr == HDR && numeric(p[o]) && p[o + 1] != sizeof(int64_t)))
			return false;
	return true;
}

int sa_story_restore(struct sa_story *s, const void *facts, size_t used, bool v2)
{
	const unsigned char *p = facts;

	s->facts = NULL; /* the saved pointer was another process's */
	s->cap = 0;
	s->used = 0;
	s->budget = 0;
	if (used > SA_FACTS_BYTES || !records_ok(p, used, v2 ? OLD_HDR : HDR))
		return -EBADMSG;
	if (v2) { /* each record again in this layout: the number of a numeric one, else its text */
		for (size_t o = 0; o < used; o += OLD_HDR + p[o + 1])
			if (numeric(p[o]) ? put(s, p[o], &p[o + 2], sizeof(int64_t))
					  : put(s, p[o], &p[o + OLD_HDR], p[o + 1]))
				return -ENOMEM; /* it fitted in 320 bytes before: smaller now */
		return 0;
	}
	if (used && !reserve(s, used))
		return -ENOMEM;
	if (used)
		memcpy(s->facts, facts, used);
	s->used = (uint16_t)used;
	for (size_t o = 0; o < used; o += HDR + p[o + 1])
		s->budget = (uint16_t)(s->budget + old_size(p[o], &p[o + HDR], p[o + 1]));
	return 0;
}

/* Whether the record at o holds the value v (len bytes: a number's, or text). */
static bool same_at(const struct sa_story *s, unsigned o, const void *v, size_t len)
{
	return s->facts[o + 1] == len && memcmp(&s->facts[o + HDR], v, len) == 0;
}

/*
 * The value of f in ev as a record holds it: a number's 8 bytes (in *num)
 * for the numeric types, else the text; NULL when ev has none.
 */
static const void *value_of(const struct event *ev, enum field f, int64_t *num, size_t *ret_len)
{
	if (!event_has(ev, f))
		return NULL;
	if (numeric(f)) {
		*num = event_int(ev, f, 0);
		*ret_len = sizeof(*num);
		return num;
	}
	return event_str(ev, f, ret_len);
}

/* The offset of f's record, or -1. */
static int find(const struct sa_story *s, enum field f)
{
	for (unsigned o = 0; o < s->used; o += HDR + s->facts[o + 1])
		if (s->facts[o] == f)
			return (int)o;
	return -1;
}

/* Keeps one value (see value_of); returns 1 if there is no room for it, else 0. */
static unsigned put(struct sa_story *s, enum field f, const void *v, size_t len)
{
	int o = find(s, f);

	if (o >= 0) {
		unsigned rl = HDR + s->facts[o + 1];

		if (same_at(s, (unsigned)o, v, len))
			return 0;
		s->budget =
		    (uint16_t)(s->budget - old_size(f, &s->facts[o + HDR], s->facts[o + 1]));
		memmove(&s->facts[o], &s->facts[o + rl], s->used - (unsigned)o - rl);
		s->used = (uint16_t)(s->used - rl);
	}
	if (len > 255 || s->budget + old_size(f, v, len) > SA_FACTS_BYTES ||
	    !reserve(s, s->used + HDR + len))
		return 1;
	s->budget = (uint16_t)(s->budget + old_size(f, v, len));
	unsigned char *p = &s->facts[s->used];

	p[0] = (unsigned char)f;
	p[1] = (unsigned char)len;
	memcpy(p + HDR, v, len);
	s->used = (uint16_t)(s->used + HDR + len);
	return 0;
}

/* The fields of each kind, in the order kept (the hot path walks these, not every field). */
static const enum field ike_fields[] = {
    F_PEER_IP,	   F_PEER_PORT,	  F_LOCAL_IP,	      F_LOCAL_PORT,	 F_TRANSPORT,
    F_PEER_ID,	   F_LOCAL_ID,	  F_INITIATOR_ID,     F_RESPONDER_ID,	 F_ID_TYPE,
    F_IKE_VERSION, F_AUTH_METHOD, F_NAT_LOCAL_BEHIND, F_NAT_PEER_BEHIND,
};
static const enum field xform_fields[] = {F_ENCR, F_INTEG, F_PRF, F_DH_GROUP};
static const enum field child_fields[] = {
    F_CHILD_PROTOCOL, F_CHILD_MODE, F_SPI_IN,	F_SPI_OUT, F_TS_LOCAL,	    F_TS_REMOTE, F_DPD,
    F_ENCR,	      F_INTEG,	    F_DH_GROUP, F_ESN,	   F_ENCAPSULATION,
};

static const enum field sum_fields[] = {F_CONN_NAME, F_CONN_INSTANCE, F_PLATFORM_HOST,
					F_PLATFORM_PID};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

unsigned sa_story_learn(struct sa_story *s, const struct event *ev, enum sa_facts_kind k)
{
	const enum field *v = k == SA_FACTS_IKE		? ike_fields
			      : k == SA_FACTS_IKE_XFORM ? xform_fields
			      : k == SA_FACTS_CHILD	? child_fields
							: sum_fields;
	size_t n = k == SA_FACTS_IKE	     ? N_OF(ike_fields)
		   : k == SA_FACTS_IKE_XFORM ? N_OF(xform_fields)
		   : k == SA_FACTS_CHILD     ? N_OF(child_fields)
					     : N_OF(sum_fields);
	uint32_t keep = 0; /* bit i: v[i] is new or changed */
	unsigned lost = 0;
	size_t need = s->used, len;
	const void *t;
	int64_t num;
	int o;

	static_assert(N_OF(ike_fields) <= 32 && N_OF(child_fields) <= 32, "kinds fit the mask");
	/*
	 * Most lines repeat what their SA's story holds: a value found
	 * unchanged is left alone, so that only new and changed values are
	 * looked up again and kept. The room all of them take is made at
	 * once: grown a value at a time, a story was reallocated 1.6 times
	 * per line of the bench corpus.
	 */
	for (size_t i = 0; i < n; i++) {
		if (!(t = value_of(ev, v[i], &num, &len)))
			continue;
		o = find(s, v[i]);
		if (o >= 0 && same_at(s, (unsigned)o, t, len))
			continue;
		keep |= UINT32_C(1) << i;
		need += o < 0 ? HDR + len : len > s->facts[o + 1] ? len - s->facts[o + 1] : 0;
	}
	if (!keep)
		return 0;
	if (need > s->cap)
		(void)reserve(s, need); /* past SA_FACTS_BYTES: put() keeps what fits */
	for (size_t i = 0; i < n; i++) {
		enum field f = v[i];

		if (!(keep & (UINT32_C(1) << i)) || !(t = value_of(ev, f, &num, &len)))
			continue;
		lost += put(s, f, t, len);
	}
	return lost;
}

int sa_story_carry(const struct sa_story *s, struct event *ev, enum sa_facts_kind k)
{
	uint8_t bit = kind_bit(k);
	int r = 0;

	for (unsigned o = 0; o < s->used; o += HDR + s->facts[o + 1]) {
		enum field f = s->facts[o];
		int64_t num = 0;

		if (!(kind_of(f) & bit) || event_has(ev, f))
			continue;
		/* Each value passed the setters' checks on the event it came from. */
		if (numeric(f))
			memcpy(&num, &s->facts[o + HDR], sizeof(num));
		if ((numeric(f) ? event_put_int_trusted(ev, f, num)
				: event_put_trusted(ev, f, (const char *)&s->facts[o + HDR],
						    s->facts[o + 1], 0)) < 0)
			r = -ENOSPC;
	}
	return r;
}

void sa_story_inherit(struct sa_story *to, const struct sa_story *from, enum sa_facts_kind k)
{
	uint8_t bit = kind_bit(k);

	for (unsigned o = 0; o < from->used; o += HDR + from->facts[o + 1]) {
		enum field f = from->facts[o];

		if (!(kind_of(f) & bit) || find(to, f) >= 0)
			continue;
		put(to, f, &from->facts[o + HDR], from->facts[o + 1]);
	}
}

static uint32_t hash32(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h | 1; /* never 0, which means "none" */
}

static bool is(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static void claim(struct sa_outcome *o, uint32_t x, int64_t sub, const struct event *ev)
{
	size_t len;
	const char *id = event_str(ev, F_EVENT_ID, &len);

	o->exchange = x;
	o->sub = sub;
	o->id_len = 0;
	if (id && len <= sizeof(o->id)) {
		memcpy(o->id, id, len);
		o->id_len = (uint8_t)len;
	}
}

/* Another line about an outcome already claimed: it keeps its type and says which event it is. */
static int yield(const struct sa_outcome *o, struct event *ev)
{
	if (event_set_str(ev, F_RESULT, "info", 4) < 0 ||
	    event_set_str(ev, F_OUTCOME_EVENT_ID, o->id, o->id_len) < 0)
		return -ENOSPC;
	return 0;
}

int sa_story_outcome(struct sa_story *ike, struct sa_story *own, int64_t child_serial,
		     struct event *ev)
{
	size_t rl, xl;
	const char *res = event_str(ev, F_RESULT, &rl);
	const char *x = event_str(ev, F_EXCHANGE, &xl);

	/* A line that names no exchange is about the last one its SA's lines named. */
	if (x) {
		ike->exchange = hash32(x, xl);
		ike->per_child = is(x, xl, "CREATE_CHILD_SA") || is(x, xl, "QUICK_MODE");
	}
	if (!res)
		return 0;
	if (is(res, rl, "failure")) {
		struct sa_outcome *o = &ike->failure;
		int64_t sub = ike->per_child ? child_serial : -1;
		uint32_t xc = ike->exchange;

		/*
		 * A line that names no exchange, after the last one named went
		 * through (a liveness timeout on an established IKE SA), is about
		 * an exchange not known yet.
		 */
		if (!x && ike->success.id_len && ike->success.exchange == xc)
			xc = 0;

		/*
		 * An exchange not known yet (a first line that names none) is the
		 * one a later line of the same burst names.
		 */
		if (o->id_len && (o->exchange == xc || !o->exchange || !xc) &&
		    (o->sub == sub || o->sub < 0 || sub < 0)) {
			if (o->sub < 0)
				o->sub = sub;
			if (!o->exchange)
				o->exchange = xc;
			return yield(o, ev);
		}
		claim(o, xc, sub, ev);
	} else if (is(res, rl, "success")) {
		struct sa_outcome *o = &own->success;

		if (o->id_len && o->exchange == ike->exchange)
			return yield(o, ev);
		claim(o, ike->exchange, -1, ev);
		/* A later exchange went through: a failure line now starts a new attempt. */
		if (ike->failure.exchange != ike->exchange)
			ike->failure.id_len = 0;
	}
	return 0;
}

static bool type_is(const char *t, size_t tl, const char *lit)
{
	return t && is(t, tl, lit);
}

/* Copies v into a fixed buffer of the summary, if it fits and the buffer is empty. */
static void keep_text(char *buf, size_t cap, uint8_t *len, const char *v, size_t vl)
{
	if (*len || !v || vl == 0 || vl > cap || vl > 255)
		return;
	memcpy(buf, v, vl);
	*len = (uint8_t)vl;
}

void sa_sum_account(struct sa_sum *s, struct sa_sum *own, bool child_line, const struct event *ev)
{
	size_t tl = 0, rl = 0, il = 0, l = 0;
	const char *t = event_str(ev, F_EVENT_TYPE, &tl), *res = event_str(ev, F_RESULT, &rl);
	const char *id = event_str(ev, F_EVENT_ID, &il), *v;
	int64_t us = ev->rec ? ev->rec->realtime_usec : 0;
	bool success = res && is(res, rl, "success"), failure = res && is(res, rl, "failure");
	bool merged = event_has(ev, F_OUTCOME_EVENT_ID);

	if (!s->active) {
		s->active = true;
		s->start_us = us;
		if (id && il <= sizeof(s->first_id)) {
			memcpy(s->first_id, id, il);
			s->first_len = (uint8_t)il;
		}
	}
	if (us >= s->end_us)
		s->end_us = us;
	if (id && il <= sizeof(s->last_id)) {
		memcpy(s->last_id, id, il);
		s->last_len = (uint8_t)il;
	}
	if (child_line) {
		bool made = success &&
			    (type_is(t, tl, "child_sa_create") || type_is(t, tl, "child_sa_rekey"));

		if (made && !own->child_made) {
			own->child_made = true;
			if (type_is(t, tl, "child_sa_create"))
				s->child_created++;
			else
				s->child_rekeyed++;
		}
		if (type_is(t, tl, "child_sa_delete") && !own->child_gone) {
			own->child_gone = true;
			s->child_deleted++;
		}
	} else {
		if (success && (type_is(t, tl, "ike_auth") || type_is(t, tl, "ike_sa_rekey")))
			s->established = true;
		if (type_is(t, tl, "ike_sa_delete")) {
			s->deleted = true;
			v = event_str(ev, F_DELETE_NOTIFY, &l);
			keep_text(s->delete_notify, sizeof(s->delete_notify), &s->notify_len, v, l);
		}
	}
	if (type_is(t, tl, "ike_retransmit"))
		s->retransmits++;
	if (type_is(t, tl, "ike_timeout") || (type_is(t, tl, "dpd") && (failure || merged)))
		s->timeout = true;
	s->bytes_in += (uint64_t)event_int(ev, F_BYTES_IN, 0);
	s->bytes_out += (uint64_t)event_int(ev, F_BYTES_OUT, 0);
	/* What went wrong, from whichever line of the failed attempt printed it. */
	if ((failure || (merged && !success)) && !s->established) {
		s->failed = true;
		v = event_str(ev, F_ERROR_CODE, &l);
		keep_text(s->error_code, sizeof(s->error_code), &s->err_len, v, l);
		v = event_str(ev, F_REASON, &l);
		keep_text(s->reason, sizeof(s->reason), &s->reason_len, v, l);
		v = event_str(ev, F_EXCHANGE, &l);
		keep_text(s->failed_x, sizeof(s->failed_x), &s->x_len, v, l);
	}
}

const char *sa_sum_end_reason(const struct sa_sum *s, const char *open_reason)
{

	if (s->replaced)
		return "replaced";
	if (s->timeout)
		return "timeout";
	if (!s->established)
		return "failed";
	if (s->deleted)
		return "deleted";
	return open_reason;
}
