/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_RECORD_H
#define IKELOGD_RECORD_H

#include <stddef.h>
#include <stdint.h>

/*
 * One line of pluto output as a source hands it to the pipeline. All
 * pointers are borrowed and valid only during pipeline_submit(); the
 * pipeline copies what it keeps.
 */
enum record_flag {
	RECORD_TRUNCATED = 1u << 0, /* the source cut the line at limits.max_line_bytes */
};

struct record {
	const char *msg; /* message bytes, not NUL-terminated, may hold NULs */
	size_t len;
	int64_t realtime_usec; /* source timestamp (UTC microseconds), 0 = unknown */
	const char *host;      /* sending host, NULL = this host */
	const char *process;   /* the tag of another program relaying pluto's words, NULL = pluto */
	int pid;	       /* pluto pid, 0 = unknown */
	int priority;	       /* syslog priority 0..7, -1 = unknown */
	const char *event_id;  /* deterministic id of the line; NULL = pipeline derives one */
	const char *boot_id;   /* journal _BOOT_ID, NULL = unknown */
	unsigned flags;	       /* enum record_flag */
	uint64_t seq;	       /* set by the pipeline: order of submission, from 1 */
};

#endif
