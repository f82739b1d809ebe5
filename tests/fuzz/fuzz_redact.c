/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the redaction stage on hostile text: the input is
 * split at newlines into peer_id (hashed), peer_ip (masked), username
 * (masked), reason and message (kept, cleaned). Checks what the stage
 * promises, not just the absence of crashes: a hashed field is a
 * pseudonym, a masked one an address that masking leaves alone, and no
 * kept text still holds 32 hex digits in a row or a pluto hex dump line.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_stages.h"
#include "event.h"
#include "redact.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

static struct redactor *setup(void)
{
	static struct config cfg;
	static struct pipeline_options po;
	static struct config_redact_field fields[] = {
	    {"peer_id", REDACT_HASH}, {"peer_ip", REDACT_MASK}, {"username", REDACT_MASK},
	    {"message", REDACT_KEEP}, {"reason", REDACT_KEEP},
	};
	static char pat[] = "(?i)psk \"[^\"]*\"";
	static char dir[] = "/tmp/fuzz_redact.XXXXXX";
	static char path[64];
	struct diags errs = {0};
	struct redactor *r = NULL;
	int fd;

	check(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	check(fd >= 0 && write(fd, "0123456789abcdef0123456789abcdef", 32) == 32);
	close(fd);
	cfg.redact.key_file = path;
	cfg.redact.key_generation = 1;
	cfg.redact.mask_ipv4_prefix = 24;
	cfg.redact.mask_ipv6_prefix = 48;
	memcpy(cfg.redact.fields, fields, sizeof(fields));
	cfg.redact.n_fields = sizeof(fields) / sizeof(fields[0]);
	cfg.redact.secret_patterns.v[0] = pat;
	cfg.redact.secret_patterns.n = 1;
	config_pipeline_options(&cfg, &po);
	check(redactor_new(&po.redact, NULL, &r, &errs) == 0);
	unlink(path);
	rmdir(dir);
	return r;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void check_clean(const char *s, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		run = is_hex(s[i]) ? run + 1 : 0;
		check(run < 32);
		/* "| " + spaces + a byte at the end of the text: a dump line left behind. */
		if (s[i] == '|' && i + 5 <= len && s[i + 1] == ' ' && s[i + 2] == ' ' &&
		    is_hex(s[i + 3]) && is_hex(s[i + 4]) && i + 5 == len)
			check(0);
	}
}

static void check_masked(const char *s)
{
	char again[64];

	check(redact_mask_ip(s, 24, 48, again, sizeof(again)) == 0);
	check(strcmp(s, again) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct redactor *r;
	static struct event ev;
	static const enum field order[] = {F_PEER_ID, F_PEER_IP, F_USERNAME, F_REASON, F_MESSAGE};
	const char *p = (const char *)data, *end = p + size, *s;
	char out[64], *z;
	size_t len;

	if (!r) {
		r = setup();
		check(event_init(&ev, 1 << 20) == 0);
	}
	event_reset(&ev);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *nl = i + 1 < sizeof(order) / sizeof(order[0])
				     ? memchr(p, '\n', (size_t)(end - p))
				     : NULL;

		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		check(event_set_str(&ev, order[i], p, len) == 0);
		if (!nl)
			break;
		p = nl + 1;
	}
	check(redact_event(r, &ev) == 0);

	if ((s = event_str(&ev, F_PEER_ID, &len))) {
		check(len == 19 && memcmp(s, "h1:", 3) == 0);
		for (size_t i = 3; i < len; i++)
			check(is_hex(s[i]));
	}
	if ((s = event_str(&ev, F_PEER_IP, NULL)))
		check_masked(s);
	if ((s = event_str(&ev, F_USERNAME, NULL)))
		check_masked(s);
	if ((s = event_str(&ev, F_REASON, &len)))
		check_clean(s, len);
	if ((s = event_str(&ev, F_MESSAGE, &len)))
		check_clean(s, len);

	/* The whole input as one address. */
	z = strndup((const char *)data, size);
	check(z != NULL);
	if (redact_mask_ip(z, 24, 48, out, sizeof(out)) == 0)
		check_masked(out);
	free(z);
	return 0;
}
