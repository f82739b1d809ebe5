/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCSF 1.8.0 profile: a table, read by event_profile.c. Classes and
 * attributes as tests/schemas/ocsf-1.8.0 defines them (the validator,
 * tests/profiles/validate, checks every rendered fixture event against it).
 *
 * The IKE and Child SA lifecycle is Tunnel Activity (4014): Open for the
 * exchanges that create an SA (and the failures that stop one being
 * created), Renew for rekeys, Close for deletes, Other for the rest of an
 * SA's life. Authentication (3002, Logon) for IKE_AUTH and its failures,
 * when the event shows an identity (Authentication requires a user), else
 * Tunnel Activity Open. Alerts are Detection Findings (2004, Create, status
 * New); pluto's start and stop Application Lifecycle (6002, Start/Stop);
 * the rest, unparsed lines included, the Base Event (0, Other).
 *
 * src_endpoint is the side that initiated (Tunnel Activity: "the initiator
 * (client) of the tunnel connection"): the peer, unless the event's role
 * is initiator (then ikelogd's host). IKE facts OCSF has no attribute for
 * (transform, child, nat, serials, ...) go under `unmapped` with their
 * ikelogd names.
 */
#include "profile_table.h"

#ifndef IKELOGD_VERSION
#define IKELOGD_VERSION "0.1.0"
#endif

enum { BASE, TUNNEL, AUTH, FINDING, LIFECYCLE, N_CLASSES };

#define C(x) (1u << (x))
#define NET  (C(TUNNEL) | C(AUTH))

static const struct pmap_class classes[N_CLASSES] = {
    [BASE] = {0, 0, "Base Event", -1, {0}},
    [TUNNEL] = {4014, 4, "Tunnel Activity", -1, {0}},
    [AUTH] = {3002, 3, "Authentication", -1, {"peer_id", "username"}},
    [FINDING] = {2004, 2, "Detection Finding", 1 /* New */, {0}},
    [LIFECYCLE] = {6002, 6, "Application Lifecycle", -1, {0}},
};

/* Tunnel Activity: 1 Open, 2 Close, 3 Renew, 99 Other. Authentication: 1 Logon. */
#define T(name, cls, act)                                                                          \
	{                                                                                          \
		name, cls, act, BASE, 99, 0, 0, 0                                                  \
	}
#define TA(name, cls, act, ac, aa)                                                                 \
	{                                                                                          \
		name, cls, act, ac, aa, 0, 0, 0                                                    \
	}

static const struct pmap_type types[] = {
    T("ike_init", TUNNEL, 1),
    TA("ike_auth", AUTH, 1, TUNNEL, 1),
    T("ike_sa_rekey", TUNNEL, 3),
    T("ike_sa_delete", TUNNEL, 2),
    T("child_sa_create", TUNNEL, 1),
    T("child_sa_rekey", TUNNEL, 3),
    T("child_sa_delete", TUNNEL, 2),
    T("nat_detect", TUNNEL, 99),
    T("dpd", TUNNEL, 99),
    T("ike_retransmit", TUNNEL, 99),
    T("ike_timeout", TUNNEL, 99),
    T("ike_error", TUNNEL, 99),
    TA("auth_failed", AUTH, 1, TUNNEL, 1),
    T("no_proposal_chosen", TUNNEL, 1),
    T("ts_unacceptable", TUNNEL, 1),
    TA("cert_error", AUTH, 1, TUNNEL, 1),
    T("mobike", TUNNEL, 99),
    T("conn_add", BASE, 99),
    T("conn_delete", BASE, 99),
    T("daemon_start", LIFECYCLE, 3), /* Start */
    T("daemon_stop", LIFECYCLE, 4),  /* Stop */
    T("unparsed", BASE, 99),
    T("daemon_stats", BASE, 99),
    T("updown", TUNNEL, 99),
    T("ike_sa_summary", TUNNEL, 99),
    /* detections */
    T("alert", FINDING, 1), /* Create */
    /* status snapshots */
    T("tunnel_status", TUNNEL, 99),
    T("sa_status", TUNNEL, 99),
};

static const struct pmap_type unknown = T(NULL, BASE, 99);

#define F(field, path, classes)                                                                    \
	{                                                                                          \
		field, path, NULL, PV_FIELD, NULL, classes, 0                                      \
	}
#define FS(field, path, path_init, classes)                                                        \
	{                                                                                          \
		field, path, path_init, PV_FIELD, NULL, classes, 0                                 \
	}
#define V(src, path, classes)                                                                      \
	{                                                                                          \
		NULL, path, NULL, src, NULL, classes, 0                                            \
	}
#define L(path, lit, classes)                                                                      \
	{                                                                                          \
		NULL, path, NULL, PV_LIT, lit, classes, 0                                          \
	}
#define LIF(field, path, lit, classes)                                                             \
	{                                                                                          \
		field, path, NULL, PV_LIT, lit, classes, 0                                         \
	}

static const struct pmap_row rows[] = {
    /* Every class: the base event. */
    V(PV_CLASS_UID, "class_uid", 0),
    V(PV_CATEGORY_UID, "category_uid", 0),
    V(PV_ACTIVITY_ID, "activity_id", 0),
    V(PV_ACTIVITY_NAME, "activity_name", 0),
    V(PV_TYPE_UID, "type_uid", 0),
    V(PV_SEVERITY_ID, "severity_id", 0),
    V(PV_STATUS_ID, "status_id", 0),
    V(PV_TIME_MS, "time", 0),
    L("metadata.version", "\"1.8.0\"", 0),
    L("metadata.product.name", "\"ikelogd\"", 0),
    L("metadata.product.vendor_name", "\"ikelogd\"", 0),
    L("metadata.product.version", "\"" IKELOGD_VERSION "\"", 0),
    F("schema_version", NULL, 0),
    F("event_id", "metadata.uid", 0),
    F("timestamp", "metadata.original_time", 0),
    F("event_type", "metadata.event_code", 0),
    F("ike_sa_id", "metadata.correlation_uid", 0),
    F("error_code", "status_code", 0),
    F("reason", "status_detail", 0),
    F("message", "message", 0),
    /* Tunnel Activity and Authentication: the two sides, the peer's identity, the SA. */
    FS("peer_ip", "src_endpoint.ip", "dst_endpoint.ip", NET),
    FS("peer_port", "src_endpoint.port", "dst_endpoint.port", NET),
    FS("local_ip", "dst_endpoint.ip", "src_endpoint.ip", NET),
    FS("local_port", "dst_endpoint.port", "src_endpoint.port", NET),
    /* enrichment: the peer's country and autonomous system */
    FS("peer_geo_country_iso", "src_endpoint.location.country", "dst_endpoint.location.country",
       NET),
    FS("peer_as_number", "src_endpoint.autonomous_system.number",
       "dst_endpoint.autonomous_system.number", NET),
    FS("peer_as_org", "src_endpoint.autonomous_system.name", "dst_endpoint.autonomous_system.name",
       NET),
    F("peer_id", "user.uid", NET),
    F("username", "user.name", NET),
    F("ike_sa_id", "session.uid", NET),
    L("session.is_vpn", "true", NET),
    /* Tunnel Activity */
    L("protocol_name", "\"IPsec\"", C(TUNNEL)),
    F("child_mode", "tunnel_type", C(TUNNEL)),
    LIF("child_mode", "tunnel_type_id", "99", C(TUNNEL)), /* Other: tunnel/transport mode */
    F("bytes_in", "traffic.bytes_in", C(TUNNEL)),
    F("bytes_out", "traffic.bytes_out", C(TUNNEL)),
    /* Authentication */
    F("auth_method", "auth_protocol", C(AUTH)),
    LIF("auth_method", "auth_protocol_id", "99", C(AUTH)), /* Other: IKE's methods */
    L("is_remote", "true", C(AUTH)),
    L("service.name", "\"IKE\"", C(AUTH)),
    F("conn_name", "service.uid", C(AUTH)),
    /* Application Lifecycle: pluto */
    L("app.name", "\"pluto\"", C(LIFECYCLE)),
    F("platform_version", "app.version", C(LIFECYCLE)),
    /* Detection Finding (alert events of the detections) */
    L("is_alert", "true", C(FINDING)),
    F("event_id", "finding_info.uid", C(FINDING)),
    F("summary", "finding_info.title", C(FINDING)),
    F("detection", "finding_info.analytic.name", C(FINDING)),
    LIF("detection", "finding_info.analytic.type_id", "1", C(FINDING)), /* Rule */
    F("count", "finding_info.related_events_count", C(FINDING)),
};

const struct pmap pmap_ocsf = {
    .name = "ocsf",
    .classes = classes,
    .n_classes = N_CLASSES,
    .types = types,
    .n_types = sizeof(types) / sizeof(types[0]),
    .unknown = &unknown,
    .rows = rows,
    .n_rows = sizeof(rows) / sizeof(rows[0]),
    .fallback = "unmapped",
};
