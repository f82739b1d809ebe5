/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The floor for the journal benchmark: the least a reader of a journal
 * file (or a directory of them) can do per entry (sd_journal_next, then MESSAGE), with the same
 * match ikelogd uses. Prints "entries SECONDS".
 *
 * With --reader, what ikelogd's reader cannot do without per entry: every
 * field once (sd_journal_enumerate_data: MESSAGE, the timestamp, host, pid,
 * priority) and the cursor (sd_journal_get_cursor), whose s= and i= make
 * the event id; libsystemd 252 has no other way to an entry's seqnum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-journal.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *paths[] = {argv[1], NULL};
	unsigned long n = 0, bytes = 0;
	sd_journal *j;
	struct stat st;
	double t0;
	int r;

	int reader = argc == 3 && strcmp(argv[2], "--reader") == 0;

	if (argc != 2 && !reader) {
		fprintf(stderr, "usage: %s FILE.journal|DIR [--reader]\n", argv[0]);
		return 2;
	}
	if (stat(argv[1], &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	t0 = now();
	r = S_ISDIR(st.st_mode) ? sd_journal_open_directory(&j, argv[1], 0)
				: sd_journal_open_files(&j, paths, 0);
	if (r < 0 || sd_journal_add_match(j, "SYSLOG_IDENTIFIER=pluto", 0) < 0) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 1;
	}
	while (sd_journal_next(j) > 0) {
		const void *d;
		size_t l;

		if (reader) {
			char *cursor = NULL;

			SD_JOURNAL_FOREACH_DATA(j, d, l)
			{
				bytes += l;
			}
			if (sd_journal_get_cursor(j, &cursor) >= 0)
				bytes += strlen(cursor);
			free(cursor);
		} else if (sd_journal_get_data(j, "MESSAGE", &d, &l) >= 0) {
			bytes += l;
		}
		n++;
	}
	sd_journal_close(j);
	printf("%lu %.6f %lu\n", n, now() - t0, bytes);
	return 0;
}
