/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_EVENT_PROFILE_H
#define IKELOGD_EVENT_PROFILE_H

#include <stddef.h>

#include "event.h"

/*
 * The schema an event is written in (output.profile): ikelogd's own (schema
 * version 1, event_json.c), OCSF 1.8.0 or ECS 9.4.0. A profile is only a
 * rendering of the same event: the stages before it (correlation,
 * redaction) and after it (signing, the sinks) see no difference. The
 * mappings are tables (event_ocsf.c, event_ecs.c; profile_table.h).
 */
enum output_profile { PROFILE_IKELOGD, PROFILE_OCSF, PROFILE_ECS, PROFILE__MAX };

/* The renderer's options, filled by the config loader (output.profile) or --profile. */
struct profile_options {
	enum output_profile profile;
};

/* The profiles' names, as output.profile and --profile spell them. */
extern const char *const output_profile_names[PROFILE__MAX];
/* "ikelogd", "ocsf", "ecs"; NULL out of range. */
const char *output_profile_name(enum output_profile p);
/* The profile named name, or -EINVAL. */
int output_profile_lookup(const char *name);

/*
 * A renderer for one profile. event_profile_new builds the output plans
 * from the profile's table once (-ENOMEM, or -EINVAL for a table row that
 * names no field and no value); event_profile_render writes ev into one
 * reused buffer and returns it NUL-terminated, owned by the renderer and
 * valid until the next render, or -ENOMEM. PROFILE_IKELOGD renders with
 * event_json_render.
 */
struct event_profile;
int event_profile_new(const struct profile_options *o, struct event_profile **ret);
void event_profile_free(struct event_profile *w);
int event_profile_render(struct event_profile *w, const struct event *ev, const char **ret,
			 size_t *ret_len);

/*
 * Where values that are not event fields (the counters of daemon_stats,
 * the counts of ike_sa_summary) go in this profile: the name of a
 * top-level object ("unmapped" in OCSF, "ikelogd" in ECS), or NULL for
 * the top level itself (ikelogd's own schema).
 */
const char *event_profile_extras(const struct event_profile *w);

#endif
