/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_RECEIVER_WIRE_H
#define IKELOGD_RECEIVER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "receiver.h"
#include "record.h"
#include "syslog_parse.h"

/*
 * The socketpair between the syslog receiver child and its parent: a
 * stream of messages, each a header (payload length, type: two 32-bit
 * words in host order, both ends being one binary) and its payload. The
 * parent treats the child as hostile: every length is checked against
 * its bound before it is used, and a message that breaks a rule ends the
 * child. Nothing here does I/O.
 */
enum receiver_msg_type {
	RECEIVER_MSG_OPTIONS = 1, /* parent -> child, once: struct receiver_options */
	RECEIVER_MSG_READY,	  /* child: listening and confined */
	RECEIVER_MSG_ERROR,	  /* child: could not start; payload is the reason (text) */
	RECEIVER_MSG_RECORD,	  /* child: one parsed record */
	RECEIVER_MSG_COUNTS,	  /* child: its counters so far (struct receiver_counts) */
	RECEIVER_MSG__MAX
};

#define RECEIVER_HDR_SIZE     8
#define RECEIVER_RECORD_FIXED 36   /* a record's payload before its strings */
#define RECEIVER_TEXT_MAX     1024 /* an ERROR's reason */
#define RECEIVER_OPTIONS_MAX  65536

/* The counters the child keeps; the parent adds what grew since the last. */
struct receiver_counts {
	uint64_t input_dropped;
	uint64_t connections;
	uint64_t handshake_failures;
	uint64_t source_errors;
};

/* A growing output buffer that never passes max bytes. */
struct receiver_buf {
	char *p;
	size_t len, cap, max;
};

/* Frees b's bytes; b may be zeroed again. */
void receiver_buf_free(struct receiver_buf *b);

/*
 * The largest payload of any message the child may send, for records of
 * at most max_line bytes: the parent refuses anything longer.
 */
size_t receiver_wire_max_payload(size_t max_line);

/*
 * Append one message to b. Each returns 0, or -ENOBUFS (b unchanged)
 * when it would pass b->max, -ENOMEM, or -EINVAL for a value outside the
 * format (a host or event_id too long or holding a NUL).
 */
int receiver_wire_put_record(struct receiver_buf *b, const struct record *rec);
int receiver_wire_put_counts(struct receiver_buf *b, const struct receiver_counts *c);
int receiver_wire_put_text(struct receiver_buf *b, enum receiver_msg_type type, const char *text);
int receiver_wire_put_options(struct receiver_buf *b, const struct receiver_options *o);

/*
 * Looks at buf[0..len), bytes received and not yet used. Returns the
 * size of the first whole message (its type and payload in *ret_type,
 * *ret_payload, *ret_plen), 0 when more bytes are needed, or -EBADMSG
 * when its header announces a type out of range or a payload past
 * max_payload.
 */
int receiver_wire_next(const char *buf, size_t len, size_t max_payload, uint32_t *ret_type,
		       const char **ret_payload, size_t *ret_plen);

/*
 * A RECORD's payload into *ret, its host and event_id copied to host[]
 * and id[] (NUL-terminated). Checks: each length within its bound
 * (message max_line), the lengths adding up to plen exactly, no NUL in
 * the host or event_id, flags and priority known. Returns 0 or -EBADMSG
 * (ret untouched). ret->msg points into p.
 */
int receiver_wire_get_record(const char *p, size_t plen, size_t max_line, struct record *ret,
			     char host[SYSLOG_HOST_MAX + 1], char id[SYSLOG_EVENT_ID_MAX]);

/* A COUNTS payload. Returns 0 or -EBADMSG. */
int receiver_wire_get_counts(const char *p, size_t plen, struct receiver_counts *ret);

/*
 * An OPTIONS payload, decoded in place: the strings of *ret point into p
 * (each was sent with its NUL). Returns 0 or -EBADMSG.
 */
int receiver_wire_get_options(const char *p, size_t plen, struct receiver_options *ret);

#endif
