/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CONFIG_ENRICH_H
#define IKELOGD_CONFIG_ENRICH_H

#include <yaml.h>

#include "config.h"
#include "config_yaml.h"
#include "enrich.h"

/*
 * The enrich: section's two structured keys (config.c calls these for
 * KT_LABELS and KT_CIDR_MAPS). A parse replaces the previous value only
 * when the whole node is valid; errors go to y at the node's line.
 */
void config_enrich_parse_labels(struct config_yaml *y, const char *name, const yaml_node_t *n,
				struct config *cfg);
void config_enrich_parse_cidr_maps(struct config_yaml *y, const char *name, const yaml_node_t *n,
				   struct config *cfg);
void config_enrich_free_labels(struct config *cfg);
void config_enrich_free_cidr_maps(struct config *cfg);

/*
 * Fills the enrichment stage's options from a loaded configuration; the
 * strings stay cfg's or go into meanings (PATH_MAX bytes): an unset
 * enrich.error_meanings is error-codes.yaml in the first rule file's
 * directory when that file exists (else none), "none" is none. maps must
 * hold CONFIG_CIDR_MAPS_MAX entries.
 */
void config_enrich_options(const struct config *cfg, struct enrich_opts *ret,
			   struct enrich_map_opts *maps, char *meanings);

#endif
