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
};

/*
 * Writes the message into buf[0..size). Returns its length, or -ENOSPC if
 * even the header does not fit. If the MSG does not fit
 * max_message_bytes it is cut at a UTF-8 boundary, the SD element gets
 * truncated="<original length>", and *ret_truncated is set.
 */
ssize_t encode_rfc5424(const struct encode_opts *o, const struct encode_input *in, char *buf,
		       size_t size, bool *ret_truncated);

/* Writes "<len> " + msg into buf. Returns the frame length or -ENOSPC. */
ssize_t encode_octet_frame(const char *msg, size_t len, char *buf, size_t size);

/* Escapes an SD-PARAM value (", \ and ]) into buf; returns the length or -ENOSPC. */
ssize_t encode_sd_param(const char *value, size_t len, char *buf, size_t size);

/* Maps a severity name ("err", "warning", "notice", "info", ...) to 0..7, or -EINVAL. */
int encode_severity_from_name(const char *name);

#endif
