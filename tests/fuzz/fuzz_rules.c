/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the input is a rule file. It is written to a temp file
 * and loaded; a load that succeeds must match its own examples, and every
 * diagnostic must be NUL-terminated text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-rules-XXXXXX";
	const char *p = path;
	struct diags *errs = calloc(1, sizeof(*errs));
	struct rules *r = NULL;
	struct event ev;
	int fd;

	if (!errs)
		return 0;
	fd = mkstemp(path);
	if (fd < 0) {
		free(errs);
		return 0;
	}
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		free(errs);
		return 0;
	}
	close(fd);
	int ret = rules_load(&p, 1, &r, errs);

	unlink(path);
	for (size_t i = 0; i < errs->n; i++)
		if (!memchr(errs->v[i].msg, '\0', sizeof(errs->v[i].msg)))
			abort();
	if (ret == 0) {
		if (event_init(&ev, 8192) < 0)
			abort();
		for (size_t i = 0; i < rules_example_count(r); i++) {
			const struct rule_example *e = rules_example(r, i);

			struct envelope env;

			event_reset(&ev);
			envelope_parse(e->line, strlen(e->line), 0, &env);
			if (rules_match(r, &env, e->line, strlen(e->line), &ev) != 1)
				abort();
		}
		event_done(&ev);
		rules_free(r);
	} else if (r) {
		abort(); /* *ret must be untouched on failure */
	}
	free(errs);
	return 0;
}
