/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_LOG_H
#define IKELOGD_LOG_H

#include "config.h"

/*
 * The daemon's own messages: to the journal (sd_journal_print) when run
 * by systemd (JOURNAL_STREAM set), to stderr otherwise. Only main.c,
 * daemon.c and the I/O modules log; library modules return diags.
 * log_warn appends strerror(errno); log_warnx does not.
 */
void log_init(enum log_level level, int force_stderr);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_diags(const struct diags *d);

#endif
