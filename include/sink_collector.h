/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SINK_COLLECTOR_H
#define IKELOGD_SINK_COLLECTOR_H

/*
 * A collector a network sink connects to, in the order they are tried:
 * the same shape for syslog over TLS/TCP and for RELP. The host is
 * borrowed from the configuration.
 */
#define SINK_COLLECTORS_MAX 8

struct sink_collector {
	const char *host;
	unsigned port;
};

#endif
