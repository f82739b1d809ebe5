/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CONFIG_RELP_H
#define IKELOGD_CONFIG_RELP_H

#include "config.h"
#include "sink_relp.h"

/*
 * Fills the RELP sink's options from a loaded configuration: the only
 * place that knows both. Strings in *ret are borrowed from cfg.
 */
void config_sink_relp_options(const struct config *cfg, struct sink_relp_options *ret);

#endif
