/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event: field table and arena setters with converters by type (the
 * JSON writer is event_json.c).
 *
 * Short names (rule group names, `set:`/`expect:` keys, redaction keys) are
 * the schema names of DESIGN.md, except nested fields:
 *   encr integ prf dh_group esn                    -> transform.*
 *   child_protocol child_mode spi_in spi_out ts_local ts_remote dpd
 *                                                  -> child.{protocol,mode,spi_in,...}
 *   nat_local_behind nat_peer_behind encapsulation ->
 * nat.{local_behind_nat,peer_behind_nat,encapsulation} platform_host platform_process platform_pid
 * platform_implementation platform_version
 *                                                  ->
 * platform.{host,process,pid,implementation,version}
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

#define F(id, n, p, k, t) [id] = {.name = n, .parent = p, .key = k, .type = t}

const struct field_info field_table[F__MAX] = {
    F(F_SCHEMA_VERSION, "schema_version", NULL, "schema_version", FT_INT),
    F(F_EVENT_ID, "event_id", NULL, "event_id", FT_STRING),
    F(F_TIMESTAMP, "timestamp", NULL, "timestamp", FT_STRING),
    F(F_EVENT_TYPE, "event_type", NULL, "event_type", FT_STRING),
    F(F_RESULT, "result", NULL, "result", FT_STRING),
    F(F_OUTCOME_EVENT_ID, "outcome_event_id", NULL, "outcome_event_id", FT_STRING),
    F(F_ERROR_CODE, "error_code", NULL, "error_code", FT_STRING),
    F(F_REASON, "reason", NULL, "reason", FT_STRING),
    F(F_PHASE, "phase", NULL, "phase", FT_STRING),
    F(F_ERRNO, "errno", NULL, "errno", FT_INT),
    F(F_COMPLAINANT_IP, "complainant_ip", NULL, "complainant_ip", FT_IP),
    F(F_PROPOSALS_OFFERED, "proposals_offered", NULL, "proposals_offered", FT_LIST),
    F(F_SEVERITY, "severity", NULL, "severity", FT_STRING),
    F(F_IKE_SA_ID, "ike_sa_id", NULL, "ike_sa_id", FT_STRING),
    F(F_PREVIOUS_IKE_SA_ID, "previous_ike_sa_id", NULL, "previous_ike_sa_id", FT_STRING),
    F(F_IKE_VERSION, "ike_version", NULL, "ike_version", FT_INT),
    F(F_EXCHANGE, "exchange", NULL, "exchange", FT_STRING),
    F(F_ROLE, "role", NULL, "role", FT_STRING),
    F(F_CONN_NAME, "conn_name", NULL, "conn_name", FT_STRING),
    F(F_CONN_INSTANCE, "conn_instance", NULL, "conn_instance", FT_INT),
    F(F_STATE_SERIAL, "state_serial", NULL, "state_serial", FT_INT),
    F(F_PARENT_SERIAL, "parent_serial", NULL, "parent_serial", FT_INT),
    F(F_REPLACED_SERIAL, "replaced_serial", NULL, "replaced_serial", FT_INT),
    F(F_STATE_NAME, "state_name", NULL, "state_name", FT_STRING),
    F(F_LOCAL_IP, "local_ip", NULL, "local_ip", FT_IP),
    F(F_LOCAL_PORT, "local_port", NULL, "local_port", FT_PORT),
    F(F_PEER_IP, "peer_ip", NULL, "peer_ip", FT_IP),
    F(F_PEER_PORT, "peer_port", NULL, "peer_port", FT_PORT),
    F(F_TRANSPORT, "transport", NULL, "transport", FT_STRING),
    F(F_INITIATOR_ID, "initiator_id", NULL, "initiator_id", FT_STRING),
    F(F_RESPONDER_ID, "responder_id", NULL, "responder_id", FT_STRING),
    F(F_ID_TYPE, "id_type", NULL, "id_type", FT_STRING),
    F(F_PEER_ID, "peer_id", NULL, "peer_id", FT_STRING),
    F(F_LOCAL_ID, "local_id", NULL, "local_id", FT_STRING),
    F(F_CERT_SUBJECT, "cert_subject", NULL, "cert_subject", FT_STRING),
    F(F_CERT_ISSUER, "cert_issuer", NULL, "cert_issuer", FT_STRING),
    F(F_AUTH_METHOD, "auth_method", NULL, "auth_method", FT_STRING),
    F(F_ENCR, "encr", "transform", "encr", FT_ALG),
    F(F_INTEG, "integ", "transform", "integ", FT_ALG),
    F(F_PRF, "prf", "transform", "prf", FT_ALG),
    F(F_DH_GROUP, "dh_group", "transform", "dh_group", FT_ALG),
    F(F_ESN, "esn", "transform", "esn", FT_BOOL),
    F(F_KEY_SIZE, "key_size", "transform", "key_size", FT_INT),
    F(F_CHILD_PROTOCOL, "child_protocol", "child", "protocol", FT_STRING),
    F(F_CHILD_MODE, "child_mode", "child", "mode", FT_STRING),
    F(F_SPI_IN, "spi_in", "child", "spi_in", FT_SPI),
    F(F_SPI_OUT, "spi_out", "child", "spi_out", FT_SPI),
    F(F_TS_LOCAL, "ts_local", "child", "ts_local", FT_STRING),
    F(F_TS_REMOTE, "ts_remote", "child", "ts_remote", FT_STRING),
    F(F_DPD, "dpd", "child", "dpd", FT_STRING),
    F(F_NAT_LOCAL_BEHIND, "nat_local_behind", "nat", "local_behind_nat", FT_BOOL),
    F(F_NAT_PEER_BEHIND, "nat_peer_behind", "nat", "peer_behind_nat", FT_BOOL),
    F(F_ENCAPSULATION, "encapsulation", "nat", "encapsulation", FT_STRING),
    F(F_NATD_IP, "natd_ip", "nat", "natd_ip", FT_IP),
    F(F_NATD_PORT, "natd_port", "nat", "natd_port", FT_PORT),
    F(F_BYTES_IN, "bytes_in", NULL, "bytes_in", FT_INT),
    F(F_BYTES_OUT, "bytes_out", NULL, "bytes_out", FT_INT),
    F(F_LIFETIME_S, "lifetime_s", NULL, "lifetime_s", FT_INT),
    F(F_AGE_S, "age_s", NULL, "age_s", FT_NUMBER),
    F(F_DELETE_NOTIFY, "delete_notify", NULL, "delete_notify", FT_STRING),
    F(F_RETRANSMITS, "retransmits", NULL, "retransmits", FT_INT),
    F(F_TIMEOUT_S, "timeout_s", NULL, "timeout_s", FT_INT),
    F(F_USERNAME, "username", NULL, "username", FT_STRING),
    F(F_LEASE_IP, "lease_ip", NULL, "lease_ip", FT_STRING),
    F(F_PLATFORM_HOST, "platform_host", "platform", "host", FT_STRING),
    F(F_PLATFORM_PROCESS, "platform_process", "platform", "process", FT_STRING),
    F(F_PLATFORM_PID, "platform_pid", "platform", "pid", FT_INT),
    F(F_PLATFORM_IMPL, "platform_implementation", "platform", "implementation", FT_STRING),
    F(F_PLATFORM_VERSION, "platform_version", "platform", "version", FT_STRING),
    F(F_RULE, "rule", NULL, "rule", FT_STRING),
    F(F_MESSAGE, "message", NULL, "message", FT_STRING),
    F(F_WEAK_CRYPTO, "weak_crypto", NULL, "weak_crypto", FT_LIST),
    /* status snapshots (status.c) */
    F(F_ESTABLISHED_S, "established_s", NULL, "established_s", FT_INT),
    F(F_STATE_STORY, "state_story", NULL, "state_story", FT_STRING),
    F(F_NEXT_EVENT, "next_event", NULL, "next_event", FT_STRING),
    F(F_NEXT_EVENT_S, "next_event_s", NULL, "next_event_s", FT_INT),
    F(F_INFERRED, "inferred", NULL, "inferred", FT_BOOL),
    /* audit records (audit_rec.c) */
    F(F_AUDIT_OP, "audit_op", NULL, "audit_op", FT_STRING),
    /* certificates (status_certs.c) */
    F(F_DAYS_TO_EXPIRY, "days_to_expiry", NULL, "days_to_expiry", FT_INT),
    /* enrichment (enrich.c) */
    F(F_LABELS, "labels", NULL, "labels", FT_MAP),
    F(F_PEER_NET, "peer_net", NULL, "peer_net", FT_MAP),
    F(F_LOCAL_NET, "local_net", NULL, "local_net", FT_MAP),
    F(F_PEER_GEO_COUNTRY, "peer_geo_country_iso", "peer_geo", "country_iso", FT_STRING),
    F(F_PEER_AS_NUMBER, "peer_as_number", "peer_as", "number", FT_INT),
    F(F_PEER_AS_ORG, "peer_as_org", "peer_as", "org", FT_STRING),
    F(F_ERROR_DESCRIPTION, "error_description", NULL, "error_description", FT_STRING),
    F(F_PROBABLE_CAUSE, "probable_cause", NULL, "probable_cause", FT_STRING),
    /* detections (detect.c): the fields of an alert event */
    F(F_DETECTION, "detection", NULL, "detection", FT_STRING),
    F(F_WINDOW_S, "window_s", NULL, "window_s", FT_INT),
    F(F_COUNT, "count", NULL, "count", FT_INT),
    F(F_THRESHOLD, "threshold", NULL, "threshold", FT_INT),
    F(F_FIRST_EVENT_ID, "first_event_id", NULL, "first_event_id", FT_STRING),
    F(F_LAST_EVENT_ID, "last_event_id", NULL, "last_event_id", FT_STRING),
    F(F_EVENT_IDS, "event_ids", NULL, "event_ids", FT_LIST),
    F(F_SUMMARY, "summary", NULL, "summary", FT_STRING),
    F(F_CLEARED, "cleared", NULL, "cleared", FT_BOOL),
};

static_assert(sizeof(field_table) / sizeof(field_table[0]) == F__MAX, "field table covers enum");

const char *const field_parents[FIELD_PARENTS] = {"transform", "child", "nat", "platform",
						     "peer_geo",  "peer_as"};

int field_parent_index(const char *p)
{
	for (size_t i = 0; p && i < FIELD_PARENTS; i++)
		if (strcmp(field_parents[i], p) == 0)
			return (int)i;
	return -1;
}

/* The fields in strcmp order of their short names, for field_lookup's binary search. */
static const uint8_t by_name[F__MAX] = {
    F_AGE_S,
    F_AUDIT_OP,
    F_AUTH_METHOD,
    F_BYTES_IN,
    F_BYTES_OUT,
    F_CERT_ISSUER,
    F_CERT_SUBJECT,
    F_CHILD_MODE,
    F_CHILD_PROTOCOL,
    F_CLEARED,
    F_COMPLAINANT_IP,
    F_CONN_INSTANCE,
    F_CONN_NAME,
    F_COUNT,
    F_DAYS_TO_EXPIRY,
    F_DELETE_NOTIFY,
    F_DETECTION,
    F_DH_GROUP,
    F_DPD,
    F_ENCAPSULATION,
    F_ENCR,
    F_ERRNO,
    F_ERROR_CODE,
    F_ERROR_DESCRIPTION,
    F_ESN,
    F_ESTABLISHED_S,
    F_EVENT_ID,
    F_EVENT_IDS,
    F_EVENT_TYPE,
    F_EXCHANGE,
    F_FIRST_EVENT_ID,
    F_ID_TYPE,
    F_IKE_SA_ID,
    F_IKE_VERSION,
    F_INFERRED,
    F_INITIATOR_ID,
    F_INTEG,
    F_KEY_SIZE,
    F_LABELS,
    F_LAST_EVENT_ID,
    F_LEASE_IP,
    F_LIFETIME_S,
    F_LOCAL_ID,
    F_LOCAL_IP,
    F_LOCAL_NET,
    F_LOCAL_PORT,
    F_MESSAGE,
    F_NAT_LOCAL_BEHIND,
    F_NAT_PEER_BEHIND,
    F_NATD_IP,
    F_NATD_PORT,
    F_NEXT_EVENT,
    F_NEXT_EVENT_S,
    F_OUTCOME_EVENT_ID,
    F_PARENT_SERIAL,
    F_PEER_AS_NUMBER,
    F_PEER_AS_ORG,
    F_PEER_GEO_COUNTRY,
    F_PEER_ID,
    F_PEER_IP,
    F_PEER_NET,
    F_PEER_PORT,
    F_PHASE,
    F_PLATFORM_HOST,
    F_PLATFORM_IMPL,
    F_PLATFORM_PID,
    F_PLATFORM_PROCESS,
    F_PLATFORM_VERSION,
    F_PREVIOUS_IKE_SA_ID,
    F_PRF,
    F_PROBABLE_CAUSE,
    F_PROPOSALS_OFFERED,
    F_REASON,
    F_REPLACED_SERIAL,
    F_RESPONDER_ID,
    F_RESULT,
    F_RETRANSMITS,
    F_ROLE,
    F_RULE,
    F_SCHEMA_VERSION,
    F_SEVERITY,
    F_SPI_IN,
    F_SPI_OUT,
    F_STATE_NAME,
    F_STATE_SERIAL,
    F_STATE_STORY,
    F_SUMMARY,
    F_THRESHOLD,
    F_TIMEOUT_S,
    F_TIMESTAMP,
    F_TRANSPORT,
    F_TS_LOCAL,
    F_TS_REMOTE,
    F_USERNAME,
    F_WEAK_CRYPTO,
    F_WINDOW_S,
};

static_assert(F__MAX <= 256, "by_name holds fields as bytes");

static int cmp_name(const char *name, size_t len, const char *other)
{
	int c = strncmp(name, other, len);

	return c ? c : (other[len] ? -1 : 0);
}

/*
 * Binary search over by_name (test_event checks every name is found, which
 * also checks the order). A dotted JSON path ("transform.encr",
 * "nat.peer_behind_nat") is looked up by scanning: rare, and only at load.
 */
int field_lookup(const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);

	if (!dot) {
		size_t lo = 0, hi = F__MAX;

		if (memchr(name, '\0', len))
			return -ENOENT;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = cmp_name(name, len, field_table[by_name[mid]].name);

			if (c == 0)
				return by_name[mid];
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		return -ENOENT;
	}
	size_t pl = (size_t)(dot - name);

	for (int f = 0; f < F__MAX; f++) {
		const struct field_info *fi = &field_table[f];

		if (fi->parent && strlen(fi->parent) == pl && memcmp(fi->parent, name, pl) == 0 &&
		    strlen(fi->key) == len - pl - 1 && memcmp(fi->key, dot + 1, len - pl - 1) == 0)
			return f;
	}
	return -ENOENT;
}

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
