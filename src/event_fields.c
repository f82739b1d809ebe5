/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event's fields: their table (name, parent, JSON key, type), the
 * parents, and the lookup of a field by its short name or JSON path.
 *
 * Short names (rule group names, `set:`/`expect:` keys, redaction keys) are
 * the schema names of DESIGN.md, except nested fields:
 *   encr integ prf dh_group esn                    -> transform.*
 *   child_protocol child_mode spi_in spi_out ts_local ts_remote dpd
 *                                                  -> child.{protocol,mode,spi_in,...}
 *   nat_local_behind nat_peer_behind encapsulation natd_ip natd_port
 *                                                  -> nat.{local_behind_nat,...}
 *   platform_host platform_process platform_pid platform_implementation
 *   platform_version                               -> platform.{host,process,...}
 *   peer_geo_country_iso                           -> peer_geo.country_iso
 *   peer_as_number peer_as_org                     -> peer_as.{number,org}
 */
#include <assert.h>
#include <errno.h>
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
