/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ECS 9.4.0 profile: a table, read by event_profile.c. Field names and
 * types as tests/schemas/ecs-9.4.0/fields.csv lists them, event.kind,
 * event.category and event.type from their allowed values (the validator,
 * tests/profiles/validate, checks every rendered fixture event).
 *
 * source.* is the side that initiated: the peer, unless the event's role is
 * initiator (then ikelogd's host). user.id is the peer's IKE identity,
 * user.name an XAUTH user name, both as redaction left them. ikelogd's own
 * fields, and every field no row names, go under `ikelogd.` with their
 * ikelogd names, as ECS advises for custom fields.
 */
#include "profile_table.h"

/* ECS has no classes: one, so that every row applies. */
static const struct pmap_class classes[] = {
    {0, 0, "ecs", -1, {0}},
};

#define T(name, kind, cat, type)                                                                   \
	{                                                                                          \
		name, 0, 0, 0, 0, kind, cat, type                                                  \
	}

static const struct pmap_type types[] = {
    T("ike_init", "event", "network", "connection,start"),
    T("ike_auth", "event", "authentication,network", "start"),
    T("ike_sa_rekey", "event", "network", "protocol"),
    T("ike_sa_delete", "event", "network", "connection,end"),
    T("child_sa_create", "event", "network", "connection,start"),
    T("child_sa_rekey", "event", "network", "protocol"),
    T("child_sa_delete", "event", "network", "connection,end"),
    T("nat_detect", "event", "network", "info"),
    T("dpd", "event", "network", "protocol"),
    T("ike_retransmit", "event", "network", "protocol"),
    T("ike_timeout", "event", "network", "connection,error"),
    T("ike_error", "event", "network", "error"),
    T("auth_failed", "event", "authentication,network", "start"),
    T("no_proposal_chosen", "event", "network", "connection,denied"),
    T("ts_unacceptable", "event", "network", "connection,denied"),
    T("cert_error", "event", "authentication,network", "start"),
    T("mobike", "event", "network", "change"),
    T("conn_add", "event", "configuration", "creation"),
    T("conn_delete", "event", "configuration", "deletion"),
    T("daemon_start", "event", "process", "start"),
    T("daemon_stop", "event", "process", "end"),
    T("unparsed", "event", NULL, NULL),
    T("daemon_stats", "metric", NULL, NULL),
    T("updown", "event", "network", "info"),
    T("ike_sa_summary", "event", "session,network", "info"),
    /* detections */
    T("alert", "alert", "intrusion_detection,network", "info"),
    /* status snapshots */
    T("tunnel_status", "state", "network", "info"),
    T("sa_status", "state", "network", "info"),
};

static const struct pmap_type unknown = T(NULL, "event", NULL, NULL);

#define F(field, path)                                                                             \
	{                                                                                          \
		field, path, NULL, PV_FIELD, NULL, 0, 0                                            \
	}
#define FS(field, path, path_init)                                                                 \
	{                                                                                          \
		field, path, path_init, PV_FIELD, NULL, 0, 0                                       \
	}
#define FL(field, path)                                                                            \
	{                                                                                          \
		field, path, NULL, PV_FIELD, NULL, 0, PM_LOWER                                     \
	}
#define V(src, path)                                                                               \
	{                                                                                          \
		NULL, path, NULL, src, NULL, 0, 0                                                  \
	}
#define L(path, lit)                                                                               \
	{                                                                                          \
		NULL, path, NULL, PV_LIT, lit, 0, 0                                                \
	}

static const struct pmap_row rows[] = {
    F("timestamp", "@timestamp"),
    L("ecs.version", "\"9.4.0\""),
    V(PV_ECS_KIND, "event.kind"),
    V(PV_ECS_CATEGORY, "event.category"),
    V(PV_ECS_TYPE, "event.type"),
    V(PV_ECS_OUTCOME, "event.outcome"),
    V(PV_SYSLOG_SEVERITY, "event.severity"),
    L("event.module", "\"ikelogd\""),
    L("event.dataset", "\"ikelogd.events\""),
    F("schema_version", NULL),
    F("event_type", "event.action"),
    F("event_id", "event.id"),
    F("error_code", "event.code"),
    F("reason", "event.reason"),
    F("severity", "log.level"),
    F("message", "message"),
    /* The two sides */
    FS("peer_ip", "source.ip", "destination.ip"),
    FS("peer_port", "source.port", "destination.port"),
    FS("local_ip", "destination.ip", "source.ip"),
    FS("local_port", "destination.port", "source.port"),
    /* enrichment: the operator's labels, the peer's country and autonomous system */
    F("labels", "labels"),
    FS("peer_geo_country_iso", "source.geo.country_iso_code", "destination.geo.country_iso_code"),
    FS("peer_as_number", "source.as.number", "destination.as.number"),
    FS("peer_as_org", "source.as.organization.name", "destination.as.organization.name"),
    FL("transport", "network.transport"),
    L("network.protocol", "\"ike\""),
    F("peer_ip", "related.ip[]"),
    F("local_ip", "related.ip[]"),
    F("complainant_ip", "related.ip[]"),
    F("complainant_ip", "ikelogd.complainant_ip"),
    F("natd_ip", "related.ip[]"),
    F("natd_ip", "ikelogd.nat.natd_ip"),
    /* Identities, as redaction left them */
    F("peer_id", "user.id"),
    F("username", "user.name"),
    F("peer_id", "related.user[]"),
    F("username", "related.user[]"),
    /* The host and pluto */
    F("platform_host", "host.hostname"),
    F("platform_process", "process.name"),
    F("platform_pid", "process.pid"),
    /* Alerts of the detections */
    F("detection", "rule.name"),
    F("summary", "rule.description"),
};

const struct pmap pmap_ecs = {
    .name = "ecs",
    .classes = classes,
    .n_classes = 1,
    .types = types,
    .n_types = sizeof(types) / sizeof(types[0]),
    .unknown = &unknown,
    .rows = rows,
    .n_rows = sizeof(rows) / sizeof(rows[0]),
    .fallback = "ikelogd",
};
