/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_ENVELOPE_H
#define IKELOGD_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The envelope of a pluto line: what surrounds pluto's message. First the
 * log prefix a transport or a file added (RFC 5424, RFC 3164 / BSD syslog,
 * journalctl's short formats, RFC 3339 syslog, pluto's own logfile,
 * OpenWrt logread, a bare "pluto[PID]: "), then pluto's own prefix (whack's
 * reply code, a wrapper, the connection "NAME"[N] PEER, the state "#N: ",
 * or "packet from ADDR:PORT: "). What is left is the remainder, which the
 * rules match. Pure: no I/O, no allocation; every function is safe on
 * hostile bytes; pointers point into the parsed line.
 */

/* The kind of log prefix; ENVELOPE_LOG_NONE = the line is pluto's message. */
enum envelope_log {
	ENVELOPE_LOG_NONE,
	ENVELOPE_LOG_5424,    /* <PRI>1 TS HOST APP PROCID MSGID SD MSG */
	ENVELOPE_LOG_SYSLOG,  /* [<PRI>] TIME [HOST] TAG[PID]: (3164, journalctl, RFC 3339) */
	ENVELOPE_LOG_LOGFILE, /* pluto's logfile: "Nov 23 20:25:58.047269: " */
	ENVELOPE_LOG_LOGREAD, /* OpenWrt: "Tue Sep 24 15:00:03 2024 authpriv.warn pluto[1]: " */
	ENVELOPE_LOG_TAG,     /* a bare "pluto[PID]: " or "pluto: " */
	ENVELOPE_LOG__MAX
};

/* The kind of pluto line, by its prefix: what a rule's scope names. */
enum envelope_scope {
	ENVELOPE_GLOBAL, /* no connection: "Starting Pluto ...", "loaded connection ..." */
	ENVELOPE_CONN,	 /* "NAME"[N] PEER: */
	ENVELOPE_STATE,	 /* "NAME"[N] PEER #N: */
	ENVELOPE_PACKET, /* packet from ADDR:PORT: */
	ENVELOPE_SCOPE__MAX
};

/*
 * A wrapper pluto put before the connection ("ERROR: "conn" #1: ..."),
 * taken off only when a connection or packet prefix follows it.
 */
enum envelope_flag {
	ENVELOPE_ERROR = 1u << 0,
	ENVELOPE_WARNING = 1u << 1,
	ENVELOPE_EXPECTATION = 1u << 2, /* "EXPECTATION FAILED: " */
	ENVELOPE_ASSERTION = 1u << 3, /* "ABORT: ASSERTION FAILED: ", "FATAL: ASSERTION FAILED: " */
};

#define ENVELOPE_HOST_MAX 255 /* RFC 5424 HOSTNAME */
#define ENVELOPE_APP_MAX  48  /* RFC 5424 APP-NAME; RFC 3164 TAG is 32 */

struct envelope {
	/* the log prefix */
	enum envelope_log log;
	int pri;	       /* <PRI> 0..191, -1 none */
	int64_t realtime_usec; /* UTC; 0 none; a year-less time is anchored near now */
	const char *host;      /* NULL none (or RFC 5424's "-") */
	size_t host_len;
	const char *app; /* APP-NAME or TAG (without [PID] and ':'), NULL none */
	size_t app_len;
	int pid;	/* 0 none or not numeric */
	size_t msg_off; /* pluto's message starts here */
	/* pluto's prefix */
	char reply_code[4]; /* whack's "002" or "1v2" before the message, "" none */
	unsigned flags;	    /* enum envelope_flag */
	enum envelope_scope scope;
	const char *conn_name; /* NULL for global and packet lines */
	size_t conn_name_len;
	int64_t conn_instance; /* the first "[N]", 0 none */
	const char *peer_ip;   /* a valid address only; a masked peer leaves it NULL */
	size_t peer_ip_len;
	int64_t state_serial; /* "#N: ", 0 none */
	int peer_port;	      /* packet from ADDR:PORT, 0 none */
	size_t rest_off;      /* the remainder, what the rules match */
};

/*
 * Reads an RFC 3339 / ISO 8601 time at s: "YYYY-MM-DD(T|t| )hh:mm:ss[.frac]
 * (Z|+hh:mm|+hhmm)" (frac of any length, 6 digits kept). Without a zone
 * (need_zone false) the time is local. Returns the bytes used and sets
 * *ret_usec (UTC), or -EINVAL (ret untouched).
 */
int envelope_rfc3339(const char *s, size_t len, bool need_zone, int64_t *ret_usec);

/*
 * Reads a BSD syslog time at s: "Mmm dd [YYYY ]hh:mm:ss[.frac]" (month in
 * any case, day space- or zero-padded or not), local time, the year the
 * one written, else year if year > 0, else chosen from now_usec (the
 * newest that is not more than a day ahead). Returns the bytes used and
 * sets *ret_usec, or -EINVAL.
 */
int envelope_bsd_time(const char *s, size_t len, int64_t now_usec, int year, int64_t *ret_usec);

/*
 * Reads the log prefix of line[0..len) into *ret (pluto's part left
 * empty: scope GLOBAL, rest_off = msg_off). now_usec anchors year-less
 * times. Never fails: an unknown prefix is ENVELOPE_LOG_NONE, msg_off 0.
 * strict (the syslog listener) refuses what RFC 5424 forbids in its
 * header and accepts a 3164 TAG without the colon after it; otherwise a
 * grep file name ("/var/log/secure:") before a log time is skipped.
 */
void envelope_log_prefix(const char *line, size_t len, int64_t now_usec, bool strict,
			 struct envelope *ret);

/*
 * Reads pluto's prefix of msg[0..len) (the message after the log prefix)
 * into the pluto half of *e; offsets stay relative to msg. Never fails: a
 * line with no prefix is GLOBAL with rest_off at its start (after a reply
 * code).
 */
void envelope_pluto(const char *msg, size_t len, struct envelope *e);

/*
 * Both: the log prefix, then pluto's prefix after it; rest_off is then
 * relative to line.
 */
void envelope_parse(const char *line, size_t len, int64_t now_usec, struct envelope *ret);

/*
 * The program a log prefix names when it is not pluto (a tag
 * envelope_pluto_tag() does not know: NetworkManager relaying whack's
 * replies), copied NUL-terminated into buf (cut to size - 1); NULL when
 * the tag is pluto's or there is none.
 */
const char *envelope_other_process(const struct envelope *e, char *buf, size_t size);

/* True for a tag pluto's lines carry: pluto, ipsec, ipsec.service, ipsec_setup, ... */
bool envelope_pluto_tag(const char *app, size_t len);

/* "global", "conn", "state", "packet"; and back (-1 when unknown). */
const char *envelope_scope_name(enum envelope_scope s);
int envelope_scope_lookup(const char *s, size_t len);

#endif
