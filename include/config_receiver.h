/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CONFIG_RECEIVER_H
#define IKELOGD_CONFIG_RECEIVER_H

#include "config.h"
#include "receiver.h"

/*
 * Fills the syslog receiver's options from a loaded configuration
 * (source.syslog, limits.max_line_bytes, log_level): the only place that
 * knows both. Strings in *ret are borrowed from cfg.
 */
void config_receiver_options(const struct config *cfg, struct receiver_options *ret);

#endif
