/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-journal.h>

#include "log.h"

/*
 * The one piece of process-wide state outside struct daemon: where the
 * daemon's own messages go and from which level. Set once by log_init.
 */
static struct {
	enum log_level level;
	int to_journal;
} log_state = {LOG_LEVEL_INFO, 0};

static const int log_prio[LOG_LEVEL__MAX] = {
    [LOG_LEVEL_ERR] = LOG_ERR,	 [LOG_LEVEL_WARNING] = LOG_WARNING, [LOG_LEVEL_NOTICE] = LOG_NOTICE,
    [LOG_LEVEL_INFO] = LOG_INFO, [LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void log_init(enum log_level level, int force_stderr)
{
	log_state.level = level;
	log_state.to_journal = !force_stderr && getenv("JOURNAL_STREAM") != NULL;
}

__attribute__((format(printf, 3, 0))) static void log_vmsg(enum log_level level, const char *suffix,
							   const char *fmt, va_list ap)
{
	char buf[2048];

	if (level > log_state.level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_state.to_journal)
		sd_journal_print(log_prio[level], "%s%s%s", buf, suffix ? ": " : "",
				 suffix ? suffix : "");
	else
		fprintf(stderr, "ikelogd: %s%s%s\n", buf, suffix ? ": " : "", suffix ? suffix : "");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void log_diags(const struct diags *d)
{
	char buf[DIAG_MSG_MAX + 300];

	for (size_t i = 0; i < d->n; i++)
		log_msg(LOG_LEVEL_ERR, "%s", diag_format(&d->v[i], buf, sizeof(buf)));
	if (d->n_dropped)
		log_msg(LOG_LEVEL_ERR, "... and %zu more errors", d->n_dropped);
}
