/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RELP sink's options from the configuration: the sink sees these and
 * nothing else of struct config.
 */
#include <string.h>

#include "config_relp.h"
#include "config_stages.h"

void config_sink_relp_options(const struct config *cfg, struct sink_relp_options *ret)
{
	const typeof(cfg->output) *o = &cfg->output;

	*ret = (struct sink_relp_options){
	    .config_path = cfg->path,
	    .tls = o->type != OUTPUT_RELP_TCP,
	    .ca_file = o->ca_file,
	    .cert_file = o->cert_file,
	    .key_file = o->key_file,
	    .server_name = o->server_name,
	    .tls_min_version = o->tls_min_version,
	    .facility = o->facility,
	    .enterprise_number = o->enterprise_number,
	    .hostname = o->hostname,
	    .max_message_bytes = o->max_message_bytes,
	    .connect_timeout_ms = o->connect_timeout_ms,
	    .write_timeout_ms = o->write_timeout_ms,
	    .backoff_min_ms = o->backoff_min_ms,
	    .backoff_max_ms = o->backoff_max_ms,
	    .failback_interval_s = o->failback_interval_s,
	    .window = o->relp_window,
	};
	ret->n_collectors = config_sink_collectors(cfg, ret->collectors);
}
