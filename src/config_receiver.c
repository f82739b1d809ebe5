/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog receiver's options from the configuration: the receiver
 * child sees these and nothing else of struct config.
 */
#include "config_receiver.h"

_Static_assert(RECEIVER_LIST_MAX >= CONFIG_LIST_MAX, "a config list fits the receiver's");

void config_receiver_options(const struct config *cfg, struct receiver_options *ret)
{
	const typeof(cfg->source.syslog) *sc = &cfg->source.syslog;

	*ret = (struct receiver_options){
	    .path = cfg->path,
	    .n_listen = sc->listen.n,
	    .ca_file = sc->ca_file,
	    .cert_file = sc->cert_file,
	    .key_file = sc->key_file,
	    .require_client_cert = sc->require_client_cert,
	    .host_from_cert = sc->host_from_cert,
	    .n_permitted_peers = sc->permitted_peers.n,
	    .app_name = sc->app_name,
	    .max_connections = sc->max_connections,
	    .max_frame_bytes = sc->max_frame_bytes,
	    .idle_timeout_s = sc->idle_timeout_s,
	    .max_line_bytes = cfg->limits.max_line_bytes,
	    .log_level = (int)cfg->log_level,
	};
	for (size_t i = 0; i < sc->listen.n; i++)
		ret->listen[i] = sc->listen.v[i];
	for (size_t i = 0; i < sc->permitted_peers.n; i++)
		ret->permitted_peers[i] = sc->permitted_peers.v[i];
}
