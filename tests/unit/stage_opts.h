/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_TEST_STAGE_OPTS_H
#define IKELOGD_TEST_STAGE_OPTS_H

/*
 * The tests set up a struct config, as a user writes one, and build the
 * stages from it as the daemon does: through the config loader's option
 * fillers (config_stages.h). The stages borrow their options, so each set
 * is kept (reachable) until the process ends.
 */
#include <stdlib.h>

#include "config_stages.h"

static inline void *t_opts_keep(size_t size)
{
	static void **kept;
	static size_t n, cap;
	void *p = calloc(1, size);

	if (!p)
		abort();
	if (n == cap) {
		cap = cap ? 2 * cap : 64;
		kept = realloc(kept, cap * sizeof(*kept));
		if (!kept)
			abort();
	}
	kept[n++] = p;
	return p;
}

static inline const struct pipeline_options *t_pipeline_opts(const struct config *cfg)
{
	struct pipeline_options *o = t_opts_keep(sizeof(*o));

	config_pipeline_options(cfg, o);
	return o;
}

static inline const struct source_options *t_source_opts(const struct config *cfg)
{
	struct source_options *o = t_opts_keep(sizeof(*o));

	config_source_options(cfg, o);
	return o;
}

static inline const struct sink_options *t_sink_opts(const struct config *cfg)
{
	struct sink_options *o = t_opts_keep(sizeof(*o));

	config_sink_options(cfg, o);
	return o;
}

static inline const struct state_options *t_state_opts(const struct config *cfg)
{
	return &t_source_opts(cfg)->journal.win.state;
}

#endif
