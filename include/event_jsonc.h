/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_EVENT_JSONC_H
#define IKELOGD_EVENT_JSONC_H

#include <stddef.h>

#include "event.h"

/*
 * The event's JSON through json-c, the renderer the daemon used before
 * event_json.c: kept as the reference that the writer's tests and fuzz
 * target compare against, and as the benchmarks' baseline. Same contract as
 * event_json_render (output valid until the next render); it reuses one
 * json-c tree, so it allocates little once warm, but it is slower.
 */
struct event_jsonc;
int event_jsonc_new(struct event_jsonc **ret);
void event_jsonc_free(struct event_jsonc *w);
int event_jsonc_render(struct event_jsonc *w, const struct event *ev, const char **ret,
		       size_t *ret_len);

#endif
