/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_PROFILE_TABLE_H
#define IKELOGD_PROFILE_TABLE_H

#include <stddef.h>

/*
 * The shape of a profile's mapping table (event_ocsf.c, event_ecs.c), read
 * by event_profile.c. A table is data: which class each event_type is, and
 * where each ikelogd field goes. A new event type or field is one row; a
 * field no row names is written under the profile's fallback object with
 * its ikelogd name ("unmapped.transform.encr", "ikelogd.conn_name"), and an
 * event_type no row names is rendered as the profile's `unknown` type.
 */

/* Where a row's value comes from. */
enum pmap_src {
	PV_FIELD,	  /* the field's value, as ikelogd writes it */
	PV_LIT,		  /* lit, a JSON text; when the row names a field, only if it is written */
	PV_CLASS_UID,	  /* OCSF class_uid of the event's class */
	PV_CATEGORY_UID,  /* OCSF category_uid */
	PV_ACTIVITY_ID,	  /* OCSF activity_id of the event type */
	PV_TYPE_UID,	  /* class_uid * 100 + activity_id */
	PV_ACTIVITY_NAME, /* the event_type, when activity_id is 99 (Other) */
	PV_SEVERITY_ID,	  /* OCSF severity_id from the syslog severity name */
	PV_STATUS_ID,	  /* the class's fixed status_id, else from result */
	PV_TIME_MS,	  /* the timestamp as milliseconds since the epoch */
	PV_ECS_KIND,	  /* the event type's ECS event.kind */
	PV_ECS_CATEGORY,  /* its event.category (array) */
	PV_ECS_TYPE,	  /* its event.type (array) */
	PV_ECS_OUTCOME,	  /* result: success, failure, else unknown */
	PV_SYSLOG_SEVERITY, /* the severity as its RFC 5424 number (emerg 0 .. debug 7) */
	PV__MAX
};

#define PM_LOWER 1u /* text written in lower case (ECS network.transport "udp") */

struct pmap_row {
	const char *field; /* ikelogd short name (field_lookup); NULL for a value of src */
	/*
	 * Dotted output path. A path ending in "[]" is an array: every row with
	 * that path adds one item. NULL: the field is not written at all.
	 */
	const char *path;
	/* The path when the event's role is initiator (the local side is the source); NULL = path.
	 */
	const char *path_initiator;
	enum pmap_src src;
	const char *lit;  /* PV_LIT: the JSON text */
	unsigned classes; /* bit i: the profile's class i; 0: every class */
	unsigned flags;	  /* PM_* */
};

struct pmap_class {
	int uid; /* class_uid */
	int category_uid;
	const char *name;
	int status_id; /* a fixed status_id (Detection Finding: 1, New), or -1: from result */
	/* An event of this class shows at least one of these fields, else its type's alt class. */
	const char *requires[3];
};

struct pmap_type {
	const char *event_type;
	int cls;	 /* index into the profile's classes */
	int activity_id; /* OCSF activity_id in that class */
	int alt_cls;	 /* the class (and activity) when cls's `requires` is not met */
	int alt_activity;
	const char *kind;     /* ECS event.kind */
	const char *category; /* ECS event.category items, comma-separated; NULL: none */
	const char *type;     /* ECS event.type items, comma-separated; NULL: none */
};

struct pmap {
	const char *name;
	const struct pmap_class *classes;
	size_t n_classes;
	const struct pmap_type *types;
	size_t n_types;
	const struct pmap_type *unknown; /* for an event_type not in types (and no event_type) */
	const struct pmap_row *rows;
	size_t n_rows;
	const char *fallback; /* the object that fields no row names go into */
};

/* The tables: OCSF 1.8.0 (event_ocsf.c) and ECS 9.4.0 (event_ecs.c). */
extern const struct pmap pmap_ocsf;
extern const struct pmap pmap_ecs;

#endif
