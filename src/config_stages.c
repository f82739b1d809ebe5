/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stages' options from the configuration: the pipeline's stages, the
 * sources and the sinks see these and nothing else of struct config.
 */
#include <string.h>

#include "config_enrich.h"
#include "config_receiver.h"
#include "config_relp.h"
#include "config_stages.h"

_Static_assert(PIPELINE_RULES_MAX >= CONFIG_LIST_MAX, "the rule list fits");
_Static_assert(NORMALIZE_WEAK_MAX >= CONFIG_LIST_MAX, "weak_crypto fits");
_Static_assert(REDACT_PATTERNS_MAX >= CONFIG_LIST_MAX, "secret_patterns fit");
_Static_assert(SOURCE_JOURNAL_LIST_MAX >= CONFIG_LIST_MAX, "journal lists fit");
_Static_assert(PIPELINE_CIDR_MAPS_MAX >= CONFIG_CIDR_MAPS_MAX, "cidr_maps fit");
_Static_assert(REDACT_FIELDS_MAX >= sizeof(((struct config *)0)->redact.fields) /
					sizeof(((struct config *)0)->redact.fields[0]),
	       "redact.fields fits");
_Static_assert(SINK_COLLECTORS_MAX >= sizeof(((struct config *)0)->output.collectors) /
					  sizeof(((struct config *)0)->output.collectors[0]),
	       "the collectors fit");

/* Whether the policy keeps message at all (the last entry for it wins). */
static bool keeps_message(const struct config *cfg)
{
	bool keep = true;

	for (size_t i = 0; i < cfg->redact.n_fields; i++)
		if (cfg->redact.fields[i].field &&
		    strcmp(cfg->redact.fields[i].field, "message") == 0)
			keep = cfg->redact.fields[i].action != REDACT_DROP;
	return keep;
}

static void redactor_options(const struct config *cfg, struct redactor_options *ret)
{
	const typeof(cfg->redact) *rd = &cfg->redact;

	*ret = (struct redactor_options){
	    .config_path = cfg->path,
	    .mask_ipv4_prefix = rd->mask_ipv4_prefix,
	    .mask_ipv6_prefix = rd->mask_ipv6_prefix,
	    .n_fields = rd->n_fields,
	    .n_secret_patterns = rd->secret_patterns.n,
	    .key_generation = rd->key_generation,
	    .key = {.config_path = cfg->path,
		    .key_file = rd->key_file,
		    .generate_key = rd->generate_key},
	};
	if (ret->n_fields > REDACT_FIELDS_MAX)
		ret->n_fields = REDACT_FIELDS_MAX;
	for (size_t i = 0; i < ret->n_fields; i++)
		ret->fields[i] = (struct redact_field_option){.field = rd->fields[i].field,
							      .action = rd->fields[i].action};
	for (size_t i = 0; i < rd->secret_patterns.n; i++)
		ret->secret_patterns[i] = rd->secret_patterns.v[i];
}

void config_pipeline_options(const struct config *cfg, struct pipeline_options *ret)
{
	const typeof(cfg->limits) *l = &cfg->limits;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < cfg->rules.n; i++)
		ret->rules[i] = cfg->rules.v[i];
	ret->n_rules = cfg->rules.n;
	ret->norm = (struct normalizer_options){
	    .n_weak_crypto = cfg->weak_crypto.n,
	    .keep_debug_lines = cfg->source.keep_debug_lines,
	    .max_match_bytes = l->max_match_bytes,
	    .keep_message = keeps_message(cfg),
	};
	for (size_t i = 0; i < cfg->weak_crypto.n; i++)
		ret->norm.weak_crypto[i] = cfg->weak_crypto.v[i];
	config_enrich_options(cfg, &ret->enrich, ret->enrich_maps, ret->error_meanings);
	redactor_options(cfg, &ret->redact);
	config_detect_options(cfg, &ret->detect);
	ret->profile = cfg->output.profile;
	ret->sign = cfg->sign.enabled;
	ret->signer = (struct signer_opts){
	    .key_file = cfg->sign.key_file,
	    .state_file = cfg->sign.state_file,
	    .epoch_events = cfg->sign.epoch_events,
	    .epoch_seconds = cfg->sign.epoch_seconds,
	    .pen = cfg->output.enterprise_number ? cfg->output.enterprise_number : 32473,
	    .ring = 2 * (size_t)(l->in_flight ? l->in_flight : 4096),
	};
	ret->in_flight = l->in_flight;
	ret->max_line_bytes = l->max_line_bytes;
	ret->max_ike_sas = l->max_ike_sas;
	ret->max_ike_sas_per_host = l->max_ike_sas_per_host;
	ret->max_queue_bytes = l->max_queue_bytes;
	ret->carry = cfg->correlate.carry;
	ret->merge = cfg->correlate.merge;
}

void config_source_options(const struct config *cfg, struct source_options *ret)
{
	const typeof(cfg->source) *s = &cfg->source;
	const struct source_window_options win = {
	    .in_flight = cfg->limits.in_flight,
	    .state = {.state_file = cfg->state_file,
		      .fallback = cfg->state_fallback,
		      .commit_every = cfg->commit_every,
		      .commit_interval_ms = cfg->commit_interval_ms},
	};

	memset(ret, 0, sizeof(*ret));
	ret->journal = (struct source_journal_options){
	    .n_match = s->journal.match.n,
	    .n_files = s->journal.files.n,
	    .start = s->journal.start,
	    .max_line_bytes = cfg->limits.max_line_bytes,
	    .win = win,
	};
	for (size_t i = 0; i < s->journal.match.n; i++)
		ret->journal.match[i] = s->journal.match.v[i];
	for (size_t i = 0; i < s->journal.files.n; i++)
		ret->journal.files[i] = s->journal.files.v[i];
	ret->file = (struct source_file_options){
	    .config_path = cfg->path,
	    .path = s->file.path,
	    .start = s->file.start,
	    .max_line_bytes = cfg->limits.max_line_bytes,
	    .win = win,
	};
	ret->stream.max_line_bytes = cfg->limits.max_line_bytes;
	config_receiver_options(cfg, &ret->syslog);
}

size_t config_sink_collectors(const struct config *cfg, struct sink_collector *ret)
{
	const typeof(cfg->output) *o = &cfg->output;

	for (size_t i = 0; i < o->n_collectors; i++)
		ret[i] = (struct sink_collector){.host = o->collectors[i].host,
						 .port = o->collectors[i].port};
	return o->n_collectors;
}

void config_sink_options(const struct config *cfg, struct sink_options *ret)
{
	const typeof(cfg->output) *o = &cfg->output;

	memset(ret, 0, sizeof(*ret));
	ret->tls = (struct sink_tls_options){
	    .config_path = cfg->path,
	    .ca_file = o->ca_file,
	    .ca_dir = o->ca_dir,
	    .cert_file = o->cert_file,
	    .key_file = o->key_file,
	    .server_name = o->server_name,
	    .pin_sha256 = o->pin_sha256,
	    .tls_min_version = o->tls_min_version,
	    .facility = o->facility,
	    .enterprise_number = o->enterprise_number,
	    .hostname = o->hostname,
	    .max_message_bytes = o->max_message_bytes,
	    .connect_timeout_ms = o->connect_timeout_ms,
	    .handshake_timeout_ms = o->handshake_timeout_ms,
	    .write_timeout_ms = o->write_timeout_ms,
	    .backoff_min_ms = o->backoff_min_ms,
	    .backoff_max_ms = o->backoff_max_ms,
	    .failback_interval_s = o->failback_interval_s,
	    .allow_plaintext = o->allow_plaintext,
	    .max_queue_bytes = cfg->limits.max_queue_bytes,
	    .in_flight = cfg->limits.in_flight,
	};
	ret->tls.n_collectors = config_sink_collectors(cfg, ret->tls.collectors);
	config_sink_relp_options(cfg, &ret->relp);
	ret->stream = (struct sink_stream_options){
	    .config_path = cfg->path,
	    .path = o->path,
	    .hostname = o->hostname,
	    .facility = o->facility,
	    .enterprise_number = o->enterprise_number,
	    .max_message_bytes = o->max_message_bytes,
	    .in_flight = cfg->limits.in_flight,
	};
}
