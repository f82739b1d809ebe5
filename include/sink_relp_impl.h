/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SINK_RELP_IMPL_H
#define IKELOGD_SINK_RELP_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librelp.h>
#include <systemd/sd-event.h>

#include "encode.h"
#include "relp_window.h"
#include "sink_relp.h"
#include "util.h"

/*
 * The RELP sink's state, shared by its two halves: sink_relp.c (the
 * event loop's side: queueing, notifications, open and close) and
 * sink_relp_sender.c (the sender thread, the only one that calls
 * librelp). sink_relp.c's header comment gives the design.
 */
#define LINGER_MS     200 /* a pause this long closes the session to confirm its tail */
#define PORT_STR      8
#define CLOSE_WAIT_MS 2000 /* how long sink_relp_close waits for the sender to finish */

struct relp_coll {
	char *host;
	char port[PORT_STR];
};

struct sink_relp {
	/* Set by sink_relp_open, read-only afterwards. */
	sd_event *loop;
	struct pipeline *pl;
	struct counters *cnt;
	struct encode_opts eo;
	char hostname[256];
	char *scratch;
	size_t scratch_cap;
	bool tls;
	char *ca_file, *cert_file, *key_file, *server_name;
	char tls_cmd[32];
	struct relp_coll coll[SINK_COLLECTORS_MAX];
	size_t n_coll;
	unsigned connect_s, timeout_s, backoff_min_ms, backoff_max_ms, failback_s, window;
	int efd;
	sd_event_source *efd_src;
	struct util_trim trim; /* the loop's: freed frames given back to the kernel */
	pthread_t thread;
	bool thread_started;

	/* Shared: under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct relp_window w;
	bool stop;
	bool done;   /* the sender thread has finished */
	bool broken; /* clt's session broke: to be reopened or dropped */
	bool have_acked;
	uint64_t acked_seq; /* newest acknowledged, not yet reported */
	uint64_t d_sent, d_acked, d_resent, d_reconnects, d_refused;
	int shutdown; /* librelp reads it (relpEngineSetShutdownImmdtPtr) */

	/* The sender thread's own. */
	relpEngine_t *engine;
	relpClt_t *clt;
	size_t cur;
	bool ever_connected;
	unsigned backoff_ms;
	uint64_t rnd;
	uint64_t away_since_usec; /* when we left the first collector */
	unsigned n_err;		  /* librelp's error callbacks so far */
	unsigned n_auth_err;	  /* of them, certificate refusals */
	bool error_answer;	  /* the collector answered a frame with an error code */
	char err[512];		  /* the first error librelp reported since it was last cleared */
};

/* The sender thread's body (pthread_create's start routine); arg is the sink. */
void *sink_relp_sender(void *arg);

/* librelp's callbacks, set on the engine: errors (counted, first text kept) and debug (quiet). */
void sink_relp_on_err(void *usr, char *objinfo, char *errmsg, relpRetVal code);
void sink_relp_on_auth_err(void *usr, char *authinfo, char *errmsg, relpRetVal code);
void sink_relp_dbgprint(char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Waits on the sink's condition up to ms, with its mutex held. */
void sink_relp_timed_wait(struct sink_relp *s, unsigned ms);

#endif
