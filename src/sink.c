/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "sink.h"

/* One line per output type; the order is enum output_type's. */
static const struct sink_ops *const sink_table[OUTPUT__MAX] = {
    [OUTPUT_SYSLOG_TLS] = &sink_syslog_tls_ops,
    [OUTPUT_STDOUT] = &sink_stdout_ops,
    [OUTPUT_FILE] = &sink_file_ops,
    [OUTPUT_SYSLOG_TCP] = &sink_syslog_tcp_ops,
    [OUTPUT_RELP] = &sink_relp_ops,
    [OUTPUT_RELP_TCP] = &sink_relp_tcp_ops,
};

const struct sink_ops *sink_find(enum output_type t)
{
	if ((unsigned)t >= OUTPUT__MAX)
		return NULL;
	return sink_table[t];
}

void sink_encode_opts(struct encode_opts *ret, char *host, size_t host_size, const char *hostname,
		      int facility, unsigned enterprise_number, size_t max_message_bytes)
{
	if (hostname && *hostname)
		snprintf(host, host_size, "%s", hostname);
	else if (gethostname(host, host_size - 1) < 0)
		host[0] = '\0';
	host[host_size - 1] = '\0';
	*ret = (struct encode_opts){
	    .facility = facility,
	    .enterprise_number = enterprise_number,
	    .hostname = host,
	    .app_name = "ikelogd",
	    .procid = getpid(),
	    .max_message_bytes = max_message_bytes,
	};
}
