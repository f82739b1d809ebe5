/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_COLLECTOR_CONN_H
#define IKELOGD_COLLECTOR_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>
#include <systemd/sd-event.h>

#include "stats.h"

/*
 * One connection to one collector, on the sd-event loop, never blocking
 * it: host name resolution (getaddrinfo_a), non-blocking connect, TLS
 * handshake with peer name and optional pin checks, then a short settle
 * period (a server that rejects the client after the handshake closes at
 * once: TLS 1.3 with a missing client certificate, rsyslog's
 * PermittedPeer) before it is reported up. Each stage has its timer.
 * The owner (sink_syslog_tls.c) decides what to send and what to do when
 * a connection fails; this module only moves bytes and reports.
 */
struct collector_conn;

enum collector_conn_event {
	COLLECTOR_CONN_UP,	 /* ready: collector_conn_send() may be called */
	COLLECTOR_CONN_WRITABLE, /* the socket may take more bytes (after -EAGAIN), or input came */
	COLLECTOR_CONN_FAILED,	 /* what and why say it; the owner frees the connection */
};

/*
 * The owner's callback. It may free c (and must, on FAILED); the module
 * touches nothing of c after calling it. what and why are NULL except on
 * FAILED.
 */
typedef void (*collector_conn_cb)(struct collector_conn *c, enum collector_conn_event ev,
				  const char *what, const char *why, void *userdata);

struct collector_conn_opts {
	sd_event *loop;
	SSL_CTX *ctx;	  /* TLS context (tls.h); NULL = plain TCP */
	const char *host; /* name or address; borrowed for the connection's life */
	unsigned port;
	const char *peer_name;	     /* the name the certificate must carry; NULL = host */
	const unsigned char *pin;    /* SHA-256 of the server certificate; NULL = none; borrowed */
	unsigned connect_timeout_ms; /* resolution and TCP connect */
	unsigned handshake_timeout_ms; /* TLS handshake */
	struct counters *cnt;	       /* handshake_failures is counted here */
};

/*
 * Starts connecting. Returns 0 with *ret set (the outcome comes through
 * cb), or -errno when it cannot even start (*ret untouched).
 */
int collector_conn_start(const struct collector_conn_opts *o, collector_conn_cb cb, void *userdata,
			 struct collector_conn **ret);

/* Closes (with a TLS close_notify when up) and frees. Accepts NULL. */
void collector_conn_free(struct collector_conn *c);

bool collector_conn_is_up(const struct collector_conn *c);

/*
 * Writes up to n bytes once up. Returns the count written, -EAGAIN when
 * the socket is full (a WRITABLE event follows), or another -errno with
 * the reason in why (the connection is then unusable: free it).
 */
ssize_t collector_conn_send(struct collector_conn *c, const void *p, size_t n, char *why,
			    size_t whysize);

/* Nothing more to write for now: stop waiting for writability. */
void collector_conn_idle(struct collector_conn *c);

/*
 * Bytes written to the socket so far (TLS records included) and how many
 * of them the peer's TCP stack has not acknowledged yet (SIOCOUTQ).
 * Returns 0 or -errno.
 */
int collector_conn_unacked(struct collector_conn *c, uint64_t *ret_written, uint64_t *ret_unacked);

/*
 * The receive window the collector's TCP stack advertised last, in bytes
 * (tcp_window.h). Returns 0, -EOPNOTSUPP (an older kernel) or -errno.
 */
int collector_conn_peer_window(struct collector_conn *c, uint32_t *ret);

/* Bytes written to the socket so far, as collector_conn_unacked counts them. */
uint64_t collector_conn_written(const struct collector_conn *c);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384", or "plain TCP". */
const char *collector_conn_describe(const struct collector_conn *c, char *buf, size_t size);

#endif
