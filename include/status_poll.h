/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_STATUS_POLL_H
#define IKELOGD_STATUS_POLL_H

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "stats.h"

/*
 * The daemon's snapshot source: every interval_s it runs `whack --ctlsocket
 * S --showstates`, then `--trafficstatus`, each as a child process whose
 * output is read non-blocking on the event loop, killed (SIGKILL) when it
 * runs past timeout_ms; both outputs become a snapshot's events
 * (status.h) sent through the pipeline. A failure (whack exits non-zero:
 * pluto down, socket refused; a timeout; output over max_output_bytes) is
 * an ike_error event with phase status, counted. With certs, the NSS
 * database's certificates are listed (certutil -L, then -n NICK for each)
 * half an interval after the start and every certs_interval_s after, as
 * cert_status events; a failed certutil run is such an ike_error too.
 */
struct status_poll_options {
	bool enabled;
	const char *whack;     /* the whack binary (borrowed until status_poll_new returns) */
	const char *ctlsocket; /* pluto's control socket */
	unsigned interval_s;
	unsigned timeout_ms;
	unsigned max_output_bytes; /* per whack run */
	unsigned max_tunnels;	   /* tunnels the tracker compares */
	/* certificates: certutil -L -d nssdb every certs_interval_s, cert_status events */
	bool certs;
	const char *certutil; /* borrowed until status_poll_new returns */
	const char *nssdb;
	unsigned certs_interval_s;
};

struct status_poll;
struct pipeline;

/*
 * Starts polling on loop (the first snapshot after interval_s) and taps
 * the pipeline's log events for the tracker. Blocks SIGCHLD (sd-event
 * reaps the children). opts->enabled false: *ret = NULL, returns 0.
 * Returns 0 or -errno; pl, loop and cnt are borrowed.
 */
int status_poll_new(const struct status_poll_options *opts, sd_event *loop, struct pipeline *pl,
		    struct counters *cnt, struct status_poll **ret);

/* Stops polling; a whack still running is killed and reaped. Accepts NULL. */
void status_poll_free(struct status_poll *sp);

#endif
