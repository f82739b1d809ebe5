/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_DIAG_H
#define IKELOGD_DIAG_H

#include <stddef.h>

/*
 * Diagnostics: the errors a loader found, each with the place it found them.
 * Library modules never print; they add to a diag list and return -errno.
 * The caller prints them once as "FILE:LINE:COL: message".
 */
#define DIAG_MAX     64
#define DIAG_MSG_MAX 512

struct diag {
	char file[256];
	unsigned line; /* 1-based; 0 = no position */
	unsigned col;  /* 1-based; 0 = no column */
	char msg[DIAG_MSG_MAX];
};

struct diags {
	struct diag v[DIAG_MAX];
	size_t n;	  /* entries stored, at most DIAG_MAX */
	size_t n_dropped; /* entries past DIAG_MAX, counted only */
};

/*
 * Adds one diagnostic. file may be NULL. Past DIAG_MAX entries it only counts.
 */
void diag_add(struct diags *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Formats entry i as "FILE:LINE:COL: message" into buf; returns buf. */
const char *diag_format(const struct diag *e, char *buf, size_t size);

#endif
