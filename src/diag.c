/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

void diag_add(struct diags *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	struct diag *e;
	va_list ap;

	if (d->n >= DIAG_MAX) {
		d->n_dropped++;
		return;
	}
	e = &d->v[d->n++];
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

const char *diag_format(const struct diag *e, char *buf, size_t size)
{
	if (e->file[0] && e->line && e->col)
		snprintf(buf, size, "%s:%u:%u: %s", e->file, e->line, e->col, e->msg);
	else if (e->file[0] && e->line)
		snprintf(buf, size, "%s:%u: %s", e->file, e->line, e->msg);
	else if (e->file[0])
		snprintf(buf, size, "%s: %s", e->file, e->msg);
	else
		snprintf(buf, size, "%s", e->msg);
	return buf;
}
