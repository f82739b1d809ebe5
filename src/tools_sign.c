/* SPDX-License-Identifier: Apache-2.0 */
/* The signing subcommands: keygen and verify (tools.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "diag.h"
#include "sign_keys.h"
#include "tools.h"
#include "verify.h"

static void print_errs(const struct diags *errs)
{
	char buf[1024];

	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", diag_format(&errs->v[i], buf, sizeof(buf)));
}

int tools_keygen(const char *dir)
{
	struct diags errs = {0};
	int r;

	if (!dir) {
		fprintf(stderr, "usage: ikelogd keygen DIR\n");
		return 2;
	}
	r = sign_keys_generate(dir, &errs);
	print_errs(&errs);
	if (r < 0)
		return 1;
	printf("%s/sign.key: the gateway's secret (sign.key_file); K(0) leaves it at the first "
	       "start\n%s/audit.key: K(0) for the auditor; store it offline\n"
	       "%s/audit.pub: the checkpoint public key\n",
	       dir, dir, dir);
	return 0;
}

int tools_check_sign(const char *key_file, struct diags *errs)
{
	struct sign_keyfile k;
	int r;

	r = sign_keys_read(key_file, SIGN_KEYFILE_SIGN, &k, errs);
	OPENSSL_cleanse(&k, sizeof(k));
	if (r == -ENOENT)
		diag_add(errs, key_file, 0, 0,
			 "sign.key_file does not exist (ikelogd keygen DIR makes it)");
	return r;
}

/* Feeds one file to v, line by line. */
static int verify_file(struct verify *v, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	ssize_t n;
	int r = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		r = verify_line(v, path, ++lineno, line, (size_t)n);
		if (r < 0)
			break;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return r;
}

int tools_verify(const char *key, const char *pub, const char *const *files, size_t n)
{
	struct verify_opts o = {0};
	struct sign_keyfile k;
	struct diags errs = {0};
	struct verify *v = NULL;
	size_t problems;
	int r, rc = 2;

	if ((!key && !pub) || n == 0) {
		fprintf(stderr,
			"usage: ikelogd verify [--key audit.key] [--pubkey audit.pub] FILE...\n");
		return 2;
	}
	if (key) {
		if (sign_keys_read(key, SIGN_KEYFILE_AUDIT, &k, &errs) < 0)
			goto out;
		o.have_key = true;
		memcpy(o.k0, k.k0, SIGN_KEY_LEN);
		memcpy(o.sid, k.sid, SIGN_SID_LEN);
	}
	if (pub) {
		if (sign_keys_read(pub, SIGN_KEYFILE_PUB, &k, &errs) < 0)
			goto out;
		o.have_pub = true;
		memcpy(o.pub, k.ed, SIGN_ED_LEN);
	}
	if (verify_new(&o, &v) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((r = verify_file(v, files[i])) < 0)
			goto out;
	problems = verify_finish(v, stdout);
	if (!pub)
		printf("checkpoint signatures not checked (no --pubkey)\n");
	if (!key)
		printf("public-only: MACs not checked (no --key)\n");
	rc = problems ? 1 : 0;
out:
	if (errs.n)
		print_errs(&errs);
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_cleanse(&o, sizeof(o));
	verify_free(v);
	return rc;
}
