/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CONFIG_STAGES_H
#define IKELOGD_CONFIG_STAGES_H

#include "config.h"
#include "pipeline.h"
#include "sink.h"
#include "source.h"

/*
 * Each stage's options from a loaded configuration: the only place that
 * knows both struct config and the stages' option structs (as
 * config_receiver.c and config_relp.c for the receiver and the RELP sink).
 * The stages see their own struct and nothing else of the configuration.
 * Strings in *ret are borrowed from cfg, which must outlive the stages
 * built from them.
 */

/*
 * The pipeline's: rules, normalizer, enrichment (error_meanings resolved
 * beside the first rule file as config_enrich_options does), redactor,
 * detections, profile, signer, limits and correlation switches. Fills *ret
 * in place (it points into itself).
 */
void config_pipeline_options(const struct config *cfg, struct pipeline_options *ret);

/* Every source's: journal, logfile, stdin, the syslog receiver's. */
void config_source_options(const struct config *cfg, struct source_options *ret);

/*
 * Copies output.collectors into ret (room for SINK_COLLECTORS_MAX, which
 * the configuration's own list cannot exceed). Returns how many.
 */
size_t config_sink_collectors(const struct config *cfg, struct sink_collector *ret);

/* Every sink's: syslog over TLS or TCP, RELP, stdout and file. */
void config_sink_options(const struct config *cfg, struct sink_options *ret);

#endif
