/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalize --status FILE: saved `ipsec whack --trafficstatus` and/or
 * `--showstates` output as the events a snapshot of the daemon makes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "pipeline.h"
#include "status.h"
#include "tools.h"
#include "util.h"

#define STATUS_FILE_MAX (64u << 20)

static int emit(void *ud, struct event *ev)
{
	return pipeline_emit_event(ud, ev);
}

static int read_all(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int r = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (len == cap) {
			char *nb;

			cap = cap ? 2 * cap : 65536;
			if (cap > STATUS_FILE_MAX) {
				r = -EFBIG;
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0) {
			if (ferror(f))
				r = -EIO;
			break;
		}
	}
out:
	fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

int tools_normalize_status(struct pipeline *pl, const char *path)
{
	struct status_parser *sp = NULL;
	struct status_counts cnt = {0};
	char *text = NULL;
	size_t len = 0;
	int r;

	r = read_all(path, &text, &len);
	if (r < 0) {
		fprintf(stderr, "ikelogd: %s: %s\n", path, strerror(-r));
		goto out;
	}
	r = status_parser_new(&sp);
	if (r < 0) {
		fprintf(stderr, "ikelogd: status patterns: %s\n", strerror(-r));
		goto out;
	}
	r = status_snapshot(sp, text, len, NULL, 0, (int64_t)util_now_usec(), pipeline_event(pl),
			    emit, pl, NULL, &cnt);
	if (r < 0)
		fprintf(stderr, "ikelogd: %s: %s\n", path, strerror(-r));
	fprintf(stderr,
		"%s: %" PRIu64 " tunnel_status, %" PRIu64 " sa_status, %" PRIu64 " unparsed\n",
		path, cnt.tunnels, cnt.states, cnt.unparsed);
out:
	status_parser_free(sp);
	free(text);
	return r;
}
