/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_RECEIVER_H
#define IKELOGD_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The syslog receiver: the listener and its frame parser, run in a child
 * process of its own (privilege separation, as OpenBSD's syslogd). The
 * child never holds the output's client key, the pseudonym key or the
 * signing key: it is exec'd afresh, reads only these options from the
 * socketpair, loads its own TLS server certificate and key, then confines
 * itself with a seccomp filter and passes parsed records back
 * (receiver_wire.h). source_syslog_privsep.c is the parent's side.
 */
#define RECEIVER_LIST_MAX 16

/*
 * What the receiver needs, filled once by the config loader
 * (config_receiver_options): the listen addresses, its TLS server side
 * and its limits. Strings are borrowed (from the configuration, or in
 * the child from the options message); NULL = not set.
 */
struct receiver_options {
	const char *path; /* the configuration file, for diagnostics */
	const char *listen[RECEIVER_LIST_MAX];
	size_t n_listen;
	const char *ca_file, *cert_file, *key_file;
	bool require_client_cert;
	bool host_from_cert;
	const char *permitted_peers[RECEIVER_LIST_MAX];
	size_t n_permitted_peers;
	const char *app_name;
	unsigned max_connections, max_frame_bytes, idle_timeout_s;
	unsigned max_line_bytes;
	int log_level; /* enum log_level */
};

/*
 * The descriptors a receiver child is started with: the socketpair to
 * its parent, then the listening sockets in the order of listen[].
 */
#define RECEIVER_CHAN_FD   3
#define RECEIVER_LISTEN_FD 4

/* The hidden subcommand that runs the child: `ikelogd receiver-child`. */
#define RECEIVER_CHILD_ARG "receiver-child"

/*
 * The child's main: reads its options from RECEIVER_CHAN_FD, opens the
 * listeners it was handed, confines itself (seccomp) and runs until its
 * parent goes or a SIGTERM. Returns the process's exit status.
 */
int receiver_main(void);

/*
 * Confines the calling process to what the receiver's loop needs
 * (sockets it was handed, its event loop, memory, randomness); any other
 * system call kills it. Returns 0 or -errno.
 */
int receiver_seccomp(void);

#endif
