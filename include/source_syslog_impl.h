/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog source's insides, shared by source_syslog.c (listeners,
 * datagrams, pausing, the ops) and source_syslog_conn.c (stream
 * connections: accept, TLS handshake, framing).
 */
#ifndef IKELOGD_SOURCE_SYSLOG_IMPL_H
#define IKELOGD_SOURCE_SYSLOG_IMPL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <systemd/sd-event.h>

#include "diag.h"
#include "receiver.h"
#include "record.h"
#include "stats.h"
#include "syslog_parse.h"

#define ACCEPT_BATCH	  64	     /* accepts per wakeup of a listener */
#define UDP_BATCH	  64	     /* datagrams per wakeup */
#define READS_PER_WAKEUP  16	     /* TLS records per wakeup of a connection */
#define BUF_INITIAL	  4096	     /* grown on demand up to the framer's need */
#define SWEEP_USEC	  1000000ull /* idle check */
#define HANDSHAKE_USEC	  10000000ull
#define EMFILE_PAUSE_USEC 1000000ull
#define DROP_LOG_USEC	  60000000ull
#define HS_LOG_USEC	  10000000ull

enum drop_reason {
	DROP_REFUSED,	/* connection past max_connections or out of descriptors */
	DROP_OVERSIZE,	/* frame past max_frame_bytes */
	DROP_PARTIAL,	/* frame cut short by the sender closing */
	DROP_FRAMING,	/* absurd length prefix: connection closed */
	DROP_BADMSG,	/* not a syslog message */
	DROP_OTHER_APP, /* not app_name's */
	DROP_KERNEL,	/* datagrams the kernel dropped: receive buffer full */
	DROP_EVICTED,	/* the longest-idle connection, closed at max_connections for a new one */
	DROP_HOST,	/* HOSTNAME not a name of the sender's certificate (host_from_cert) */
	DROP__MAX
};

struct source_syslog;

struct listener {
	struct source_syslog *s;
	enum syslog_transport transport;
	int fd;
	sd_event_source *io;
	char name[300];
	struct syslog_origin origin; /* udp: this listener's serial, datagrams' ordinals */
	uint32_t kernel_drops;	     /* udp: the socket's drop count so far */
};

struct conn {
	struct source_syslog *s;
	struct listener *l;
	struct conn *prev, *next;
	int fd;
	sd_event_source *io;
	uint32_t events;
	SSL *ssl;
	bool handshaken, eof, want_write;
	bool authenticated; /* TLS, and the sender presented a verified certificate */
	char peer[INET6_ADDRSTRLEN];
	char *buf;
	size_t len, cap;
	struct syslog_framer fr;
	uint64_t active_usec;	     /* CLOCK_MONOTONIC of the last byte, or of the accept */
	struct syslog_origin origin; /* this connection's serial, its frames' ordinals */
};

/*
 * Hands one record on: to the pipeline, or over the socketpair to the
 * parent. Returns as pipeline_submit(): 1 go on, 0 paused, -errno.
 */
typedef int (*syslog_submit_fn)(void *ud, struct record *rec);

struct source_syslog {
	struct receiver_options o;
	sd_event *e;
	syslog_submit_fn submit;
	void *submit_ud;
	struct counters *cnt;
	SSL_CTX *ssl_ctx;
	struct listener lst[RECEIVER_LIST_MAX];
	size_t n_lst;
	struct conn *conns;
	unsigned n_conns, max_conns;
	size_t max_frame;
	uint64_t idle_usec, accept_blocked_until;
	sd_event_source *sweep, *resume;
	bool paused;
	struct syslog_to_record conv; /* its scratch: 3 * max_frame */
	char *dgram;		      /* one UDP datagram */
	uint64_t drops[DROP__MAX], drops_logged[DROP__MAX];
	uint64_t drops_log_usec, hs_log_usec;
	bool submit_failing;
	uint64_t serials; /* the last serial given to a listener or a connection */
};

/* ---- source_syslog.c ---- */

/*
 * Opens the listener on loop e: on fds[i] for o->listen[i] when fds is
 * given (bound sockets, taken, closed on failure too), else on sockets
 * bound here. Each record goes to submit(submit_ud); drops and
 * connections are counted in cnt. Returns 0 and *ret, or -errno with errs.
 */
int syslog_receiver_open(const struct receiver_options *o, const int *fds, sd_event *e,
			 syslog_submit_fn submit, void *submit_ud, struct counters *cnt,
			 struct source_syslog **ret, struct diags *errs);
/* Stops (true) or resumes (false) reading the sockets. */
void syslog_receiver_pause(struct source_syslog *s, bool paused);
/* Closes every connection and listener; NULL is fine. */
void syslog_receiver_close(struct source_syslog *s);
/*
 * A socket listening on spec (tls://, tcp://, udp://ADDR:PORT), non-blocking
 * and close-on-exec, into *ret_fd. Returns 0 or -errno with a diag naming path.
 */
int syslog_listen_bind(const char *spec, const char *path, int *ret_fd, struct diags *errs);

/* Counts one message or connection dropped for why. */
void syslog_drop(struct source_syslog *s, enum drop_reason why);
/* CLOCK_MONOTONIC now, in microseconds, from the event loop. */
uint64_t syslog_now(struct source_syslog *s);
/*
 * One received message: parse, filter, sanitize, submit. cert is the
 * sender's verified certificate (NULL: none), which must name the HOSTNAME
 * when host_from_cert is on. Returns 1 to go on, 0 when the pipeline
 * paused us.
 */
int syslog_handle_message(struct source_syslog *s, struct syslog_origin *origin, const char *peer,
			  X509 *cert, const char *buf, size_t len);
/* Does cert carry name: a DNS or IP SAN, or the CN (even beside DNS SANs)? */
bool syslog_cert_names(X509 *cert, const char *name);

/* ---- source_syslog_conn.c ---- */

/* Enables c's io source for what it waits for, unless paused or at its end. */
void syslog_conn_arm(struct conn *c);
/* Closes c and unlinks it from its source. */
void syslog_conn_free(struct conn *c);
/* Frames and hands over what c has buffered, reading more while it may. */
int syslog_conn_process(struct conn *c);
/* The numeric address of sa into buf. */
void syslog_peer_name(const struct sockaddr_storage *sa, char buf[INET6_ADDRSTRLEN]);
/* A stream listener's io callback: accepts a batch of connections. */
int syslog_on_accept(sd_event_source *es, int lfd, uint32_t revents, void *ud);

#endif
