/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SYSLOG_PARSE_H
#define IKELOGD_SYSLOG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "record.h"

/*
 * The pure half of the syslog listener (source_syslog.c does the I/O):
 * listen address parsing, TCP/TLS framing (octet-counted and
 * newline-framed, detected per frame), RFC 5424 and RFC 3164 header
 * parsing, UTF-8 sanitising and the event_id of a received line. Nothing
 * here allocates, reads a socket or prints; every function is safe on
 * hostile bytes.
 */

enum syslog_transport { SYSLOG_TLS, SYSLOG_TCP, SYSLOG_UDP, SYSLOG_TRANSPORT__MAX };

#define SYSLOG_HOST_MAX ENVELOPE_HOST_MAX
#define SYSLOG_APP_MAX	ENVELOPE_APP_MAX

struct syslog_listen {
	enum syslog_transport transport;
	char host[256]; /* numeric address or name, without brackets; "" = any */
	char port[8];
};

/*
 * Parses "tls://ADDR:PORT", "tcp://ADDR:PORT" or "udp://ADDR:PORT" (IPv6
 * addresses in brackets: "tcp://[::1]:514"). Returns 0 and fills *ret, or
 * -EINVAL (ret untouched).
 */
int syslog_listen_parse(const char *s, struct syslog_listen *ret);

/* "tls", "tcp", "udp". */
const char *syslog_transport_name(enum syslog_transport t);

/*
 * The framer of one TCP or TLS byte stream. Each frame is detected on its
 * own, as rsyslog's imtcp does: a frame that starts with a run of digits
 * and a space is octet-counted (RFC 6587 3.4.1, RFC 5425), anything else
 * ends at LF. A frame longer than max_frame is discarded whole: the bytes
 * already seen and every byte up to its end as they arrive.
 */
#define SYSLOG_OCTET_DIGITS_MAX 10 /* "4294967295 ": more digits is not a length */

struct syslog_framer {
	size_t max_frame;
	uint64_t skip_left; /* octet-counted frame being discarded: bytes still to skip */
	bool skip_line;	    /* newline-framed frame being discarded: skip up to LF */
};

enum syslog_frame_kind {
	SYSLOG_FRAME_MORE,    /* needs more bytes (consumed may be > 0: discarded bytes) */
	SYSLOG_FRAME_MSG,     /* one message at buf[off..off+len) */
	SYSLOG_FRAME_DROPPED, /* one frame discarded (oversize, or cut short by EOF): count it */
	SYSLOG_FRAME_FATAL,   /* the framing cannot be trusted (absurd length): close */
};

struct syslog_frame {
	enum syslog_frame_kind kind;
	size_t off, len;
	size_t consumed; /* bytes of buf the caller drops from its buffer */
};

/* Sets up a framer; max_frame 0 means 65536. */
void syslog_framer_init(struct syslog_framer *f, size_t max_frame);

/*
 * The buffer a framer needs to see any frame it accepts whole: the
 * longest length prefix, the frame, its LF.
 */
size_t syslog_framer_buffer_size(const struct syslog_framer *f);

/*
 * Looks at buf[0..len) (bytes not yet consumed) and reports the next
 * frame in *ret. eof says no more bytes will come: a newline-framed last
 * line without its LF and a short octet-counted frame are then DROPPED
 * (cut short: the caller counts them as partial). The
 * caller drops ret->consumed bytes and calls again, until the kind is
 * MORE with nothing consumed (or FATAL: close). Empty frames are consumed
 * silently. Trailing CR, LF and NUL are not part of a message.
 */
void syslog_framer_next(struct syslog_framer *f, const char *buf, size_t len, bool eof,
			struct syslog_frame *ret);

/*
 * One parsed syslog message. Pointers are into the parsed buffer, not
 * NUL-terminated; lengths 0 = absent (the "-" NILVALUE is absent).
 */
enum syslog_format { SYSLOG_FORMAT_5424, SYSLOG_FORMAT_3164 };

struct syslog_msg {
	enum syslog_format format;
	int pri;	       /* 0..191 */
	int64_t realtime_usec; /* UTC; 0 = no timestamp */
	const char *host;
	size_t host_len;
	const char *app; /* APP-NAME, or the TAG without [pid] and ':' */
	size_t app_len;
	int pid;	  /* PROCID or [pid] when numeric, else 0 */
	const char *body; /* MSG, after any UTF-8 BOM */
	size_t body_len;
};

/*
 * Parses an RFC 5424 message ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD
 * MSG") or an RFC 3164 one ("<PRI>TIMESTAMP HOST TAG[PID]: MSG", the
 * TIMESTAMP "Mmm dd hh:mm:ss[.frac][ YYYY]", RFC 3339 or journalctl's;
 * no TIMESTAMP and HOST: "<PRI>TAG: MSG"), with the envelope's log prefix
 * reader (envelope.h) in its strict mode. now_usec anchors the year of
 * year-less timestamps (the newest year that does not put the message
 * more than a day in the future); they are read in local time (TZ).
 * Returns 0 and fills *ret, or -EBADMSG (ret untouched) for anything
 * else, including HOSTNAME and APP-NAME bytes outside printable US-ASCII.
 */
int syslog_parse(const char *buf, size_t len, int64_t now_usec, struct syslog_msg *ret);

/*
 * Copies src[0..len) to dst replacing each byte that is not part of valid
 * UTF-8 (overlong forms, surrogates, code points past U+10FFFF, cut
 * sequences) and each NUL with U+FFFD. dst needs 3 * len bytes. Returns
 * the bytes written; *ret_replaced counts the replacements.
 */
size_t syslog_sanitize_utf8(const char *src, size_t len, char *dst, size_t *ret_replaced);

/*
 * The connections the listener may hold under a descriptor limit of
 * nofile (RLIMIT_NOFILE's soft limit): configured, or fewer so that
 * SYSLOG_FD_RESERVE descriptors stay for the daemon's own files (the
 * collector socket, the position file, a reload's config and rules, the
 * journal), and at least 1.
 */
#define SYSLOG_FD_RESERVE 64

unsigned syslog_max_connections(unsigned configured, unsigned long long nofile);

/*
 * Where a received message came from, for its event_id: the serial of its
 * connection (a UDP listener has one too), unique in one run of the
 * source, and the ordinal of the last frame taken from it (a datagram's:
 * of its arrival). Zero it, then set serial.
 */
struct syslog_origin {
	uint64_t serial;
	uint64_t ordinal;
};

/*
 * The event_id of a received message: the source's random instance id in
 * 16 hex digits, "-", the origin's serial, "-", the frame's ordinal. No two
 * messages of one run, nor of two runs, share one; a message a sender
 * sends again gets a new one. buf needs SYSLOG_EVENT_ID_MAX bytes.
 */
#define SYSLOG_EVENT_ID_MAX 64

void syslog_event_id(uint64_t instance, uint64_t serial, uint64_t ordinal,
		     char buf[SYSLOG_EVENT_ID_MAX]);

/*
 * What turning a received message into a pipeline record needs, and where
 * the record's text lives until the next call. scratch must hold three
 * times the longest message (UTF-8 replacement).
 */
struct syslog_to_record {
	const char *app_name; /* the one program kept, e.g. "pluto" */
	uint64_t instance;    /* random, once per start of the source: the event_ids' first part */
	size_t max_line;      /* longer bodies are cut, RECORD_TRUNCATED */
	char *scratch;
	size_t scratch_size;
	char host[SYSLOG_HOST_MAX + 1];
	char event_id[SYSLOG_EVENT_ID_MAX];
};

/*
 * Turns one received message (a frame or a datagram) into *ret: parses
 * the header; keeps only app_name's messages; takes HOSTNAME (peer when
 * nil), the header's time, PROCID and severity; drops the spaces MSG
 * starts with; replaces invalid UTF-8 and NUL (U+FFFD); strips a pluto
 * logfile or syslog prefix inside MSG (imfile forwards those), whose time
 * and pid win; cuts at max_line on a character boundary; counts the frame
 * in origin->ordinal (dropped ones too) and derives event_id from
 * x->instance and origin (syslog_event_id). ret's pointers are into x, valid until the
 * next call. Returns 0, -EBADMSG (not syslog), -ENOENT (another
 * program's), -ENOBUFS (scratch too small); ret untouched on failure.
 */
int syslog_to_record(struct syslog_to_record *x, const char *buf, size_t len, const char *peer,
		     int64_t now_usec, struct syslog_origin *origin, struct record *ret);

#endif
