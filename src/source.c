/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>

#include "source.h"

/* One line per source type; the order is enum source_type's. */
static const struct source_ops *const source_table[SOURCE__MAX] = {
    [SOURCE_JOURNAL] = &source_journal_ops,
    [SOURCE_FILE] = &source_file_ops,
    [SOURCE_SYSLOG] = &source_syslog_privsep_ops,
    [SOURCE_STDIN] = &source_stream_ops,
};

const struct source_ops *source_find(enum source_type t)
{
	if ((unsigned)t >= SOURCE__MAX)
		return NULL;
	return source_table[t];
}
