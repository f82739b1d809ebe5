/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_DECODE_H
#define IKELOGD_DECODE_H

#include <stddef.h>

#include "event.h"

/*
 * Sub-decoders a rule runs on one captured group (`decode: { esp: esp_block }`):
 * pluto's brace blocks and traffic selectors, written once and shared by
 * every rule that names them. The syntax each accepts is listed at the top
 * of rules.c.
 */
enum decoder {
	DECODE_BRACE_ALGS, /* {cipher=.. integ=.. prf=.. group=|ke=.. auth=..} */
	DECODE_ESP_BLOCK,  /* {ESPinUDP/ESN=>0x.. <0x.. xfrm=.. NATD=ip:port DPD=.. username=..} */
	DECODE_TRAFFIC_SELECTORS, /* [a-b:p-q 0] -> [..], [a/n===b/m] ..., [a b]->[c d] */
	DECODE_DELETE_NOTIFY,	  /* "sending" | "NOT sending" | "received" -> delete_notify */
	DECODE__MAX
};

/* Returns the decoder named name[0..len), or -ENOENT. */
int decoder_lookup(const char *name, size_t len);
const char *decoder_name(enum decoder d);

/*
 * Decodes s[0..len) into fields of ev. Values a field's type rejects are
 * skipped. Returns the number of fields set (0 when nothing was
 * recognised), or -ENOSPC when the event's arena is full.
 */
int decode_run(enum decoder d, const char *s, size_t len, struct event *ev);

#endif
