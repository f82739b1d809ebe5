/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ikelogd pseudonym: re-identification for an auditor who holds the key.
 * For each value written as pluto prints it, the pseudonym a hashed field
 * gets under the configured key and generation, so that a person's events
 * can be found. Each use is recorded in the journal first (who, how many
 * values, never the values); when that record cannot be written, nothing
 * is printed.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <systemd/sd-journal.h>

#include "diag.h"
#include "event.h"
#include "redact.h"
#include "redact_key.h"
#include "tools.h"

/* The journal's MESSAGE_ID of an access record. */
#define ACCESS_MESSAGE_ID "8f1f4c3b6a0e4d2e9b7c5a1d3e6f8a20"

static void print_errs(const struct diags *errs)
{
	char buf[DIAG_MSG_MAX + 300];

	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", diag_format(&errs->v[i], buf, sizeof(buf)));
}

static int record_access(const char *config, const char *field, size_t n)
{
	uid_t uid = getuid();
	const struct passwd *pw = getpwuid(uid);
	const char *user = pw ? pw->pw_name : "?";
	int r;

	r = sd_journal_send("MESSAGE=pseudonym lookup by %s (uid %u): %zu value(s) of %s under %s",
			    user, (unsigned)uid, n, field, config, "MESSAGE_ID=" ACCESS_MESSAGE_ID,
			    "PRIORITY=5", "SYSLOG_IDENTIFIER=ikelogd", "IKELOGD_ACCESS=pseudonym",
			    "IKELOGD_ACCESS_UID=%u", (unsigned)uid, "IKELOGD_ACCESS_COUNT=%zu", n,
			    NULL);
	return r < 0 ? r : 0;
}

int tools_pseudonym_usage(const char *field, size_t n)
{
	if (n == 0) {
		fprintf(stderr, "usage: ikelogd pseudonym [-c FILE] [--field NAME] VALUE...\n");
		return 2;
	}
	if (field_lookup(field, strlen(field)) < 0) {
		fprintf(stderr, "ikelogd: --field %s: no such field\n", field);
		return 2;
	}
	return 0;
}

int tools_pseudonym_run(const struct tools_pseudonym_options *o, const char *field,
			const char *const *values, size_t n)
{
	const char *config = o->config;
	struct diags errs = {0};
	unsigned char key[REDACT_KEY_MAX_BYTES];
	size_t key_len = 0;
	char out[64];
	int r, rc = 1;

	if (!o->hashed) {
		fprintf(stderr,
			"ikelogd: %s: the policy does not hash %s; its events show no pseudonym\n",
			config, field);
		goto out;
	}
	r = redact_key_load_auditor(&o->key, key, &key_len, &errs);
	print_errs(&errs);
	if (r < 0)
		goto out;
	r = record_access(config, field, n);
	if (r < 0) {
		fprintf(stderr,
			"ikelogd: cannot record this access in the journal (%s); nothing shown\n",
			strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = redact_pseudonym(key, key_len, o->key_generation, values[i], strlen(values[i]),
				     out, sizeof(out));
		if (r < 0) {
			fprintf(stderr, "ikelogd: %s: %s\n", values[i], strerror(-r));
			goto out;
		}
		printf("%s\t%s\n", out, values[i]);
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
