/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_ENCODE_H
#define IKELOGD_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * RFC 5424 messages and RFC 5425 / RFC 6587 octet-counted framing. Pure
 * functions: bytes in, bytes out, no I/O, no allocation.
 */
struct encode_opts {
	int facility;		    /* 0..23 */
	unsigned enterprise_number; /* SD-ID ikelogd@<n>, default 32473 */
	const char *hostname;	    /* "-" when NULL or empty */
	const char *app_name;	    /* "ikelogd" when NULL */
	int procid;		    /* <= 0 prints "-" */
	size_t max_message_bytes;   /* whole message, header included; 0 = no limit */
};

struct encode_input {
	const char *timestamp; /* RFC 3339, NULL prints "-" */
	const char *msgid;     /* event_type, NULL prints "-" */
	const char *event_id;  /* SD-PARAM eid, NULL = no SD element */
	int severity;	       /* 0..7 */
	const char *msg;       /* the event JSON */
	size_t msg_len;
	/*
	 * Signing (signer.h), NULL = none: called once with the exact MSG
	 * bytes the message will carry; writes the SD elements to append
	 * after [ikelogd@...] into sd[0..size) and returns their length or
	 * -errno (then encode_rfc5424 returns it).
	 */
	int (*sign)(void *ud, const char *msg, size_t len, char *sd, size_t size);
	void *sign_ud;
};

/* Room encode_rfc5424 keeps for what in->sign writes. */
#define ENCODE_SIGN_SD_MAX 640

/*
 * Writes "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG" into
 * buf[0..size) and returns its length. PRI = facility * 8 + severity
 * (-EINVAL outside 0..23 / 0..7). Header fields are NILVALUE "-" when
 * NULL or empty, cut to RFC 5424's lengths (HOSTNAME 255, APP-NAME 48,
 * PROCID 128, MSGID 32) with any octet outside 33..126 replaced by '_'.
 * SD is [ikelogd@<n> eid="<event_id>"] with ", \ and ] escaped, or "-".
 * MSG is the event JSON as given, without a BOM: RFC 5424 then calls it
 * MSG-ANY, which every collector reads as UTF-8 text anyway.
 *
 * Oversize, the declared way: the limit is max_message_bytes (or size,
 * whichever is smaller). A message over it is never split: the SD element
 * gets truncated="<original MSG length>", MSG is cut at a UTF-8 boundary
 * to fit, and *ret_truncated is set (the caller counts it). A cut MSG is
 * no longer valid JSON; the truncated parameter is how a collector tells.
 * Returns -ENOSPC when even the header does not fit the limit.
 */
ssize_t encode_rfc5424(const struct encode_opts *o, const struct encode_input *in, char *buf,
		       size_t size, bool *ret_truncated);

/* Writes "<len> " + msg into buf. Returns the frame length or -ENOSPC. */
ssize_t encode_octet_frame(const char *msg, size_t len, char *buf, size_t size);

/*
 * Writes "<len> " into the END of buf[0..size), so that a message already
 * encoded at buf + size becomes a frame without being moved. Returns the
 * prefix length (it starts at buf + size - length) or -ENOSPC.
 */
ssize_t encode_octet_prefix(size_t len, char *buf, size_t size);

/* Escapes an SD-PARAM value (", \ and ]) into buf; returns the length or -ENOSPC. */
ssize_t encode_sd_param(const char *value, size_t len, char *buf, size_t size);

/* Maps a severity name ("err", "warning", "notice", "info", ...) to 0..7, or -EINVAL. */
int encode_severity_from_name(const char *name);

#endif
