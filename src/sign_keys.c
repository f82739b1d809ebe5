/* SPDX-License-Identifier: Apache-2.0 */
/* The key files of signing (sign_keys.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sign_keys.h"
#include "state.h"

#define KEYFILE_MAX 2048

static const char *const formats[] = {
    [SIGN_KEYFILE_SIGN] = "ikelogd-sign-key 1",
    [SIGN_KEYFILE_AUDIT] = "ikelogd-audit-key 1",
    [SIGN_KEYFILE_PUB] = "ikelogd-audit-pub 1",
};

static int hexfield(const char *path, unsigned line, const char *name, const char *val,
		    uint8_t *out, size_t n, struct diags *errs)
{
	if (sign_unhex(val, strlen(val), out, n) == 0)
		return 0;
	diag_add(errs, path, line, 0, "%s: expected %zu hex digits", name, 2 * n);
	return -EBADMSG;
}

int sign_keys_read(const char *path, enum sign_keyfile_kind kind, struct sign_keyfile *ret,
		   struct diags *errs)
{
	struct sign_keyfile k = {.kind = kind};
	char text[KEYFILE_MAX + 1], *save = NULL, *ln;
	bool fmt = false, sid = false, ed = false;
	unsigned line = 0;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			diag_add(errs, path, 0, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || n > KEYFILE_MAX) {
		diag_add(errs, path, 0, 0, n < 0 ? "cannot read" : "too long for a key file");
		r = -EBADMSG;
		goto out;
	}
	text[n] = '\0';
	for (ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(ln, ' ');

		line++;
		if (ln[0] == '#' || ln[0] == '\0')
			continue;
		if (!sp) {
			diag_add(errs, path, line, 1, "expected \"name value\"");
			r = -EBADMSG;
			goto out;
		}
		*sp++ = '\0';
		if (strcmp(ln, "format") == 0) {
			if (strcmp(sp, formats[kind]) != 0) {
				diag_add(errs, path, line, 8, "format is \"%s\", expected \"%s\"",
					 sp, formats[kind]);
				r = -EBADMSG;
				goto out;
			}
			fmt = true;
		} else if (strcmp(ln, "sid") == 0) {
			r = hexfield(path, line, ln, sp, k.sid, SIGN_SID_LEN, errs);
			sid = true;
		} else if (strcmp(ln, "k0") == 0 && kind != SIGN_KEYFILE_PUB) {
			r = hexfield(path, line, ln, sp, k.k0, SIGN_KEY_LEN, errs);
			k.has_k0 = true;
		} else if ((strcmp(ln, "ed25519") == 0 && kind == SIGN_KEYFILE_SIGN) ||
			   (strcmp(ln, "ed25519-pub") == 0 && kind == SIGN_KEYFILE_PUB)) {
			r = hexfield(path, line, ln, sp, k.ed, SIGN_ED_LEN, errs);
			ed = true;
		} else {
			diag_add(errs, path, line, 1, "unknown name \"%s\"", ln);
			r = -EBADMSG;
		}
		if (r < 0)
			goto out;
	}
	if (!fmt || !sid || (kind != SIGN_KEYFILE_PUB && kind != SIGN_KEYFILE_SIGN && !k.has_k0) ||
	    (kind != SIGN_KEYFILE_AUDIT && !ed)) {
		diag_add(errs, path, 0, 0, "incomplete %s file", formats[kind]);
		r = -EBADMSG;
		goto out;
	}
	*ret = k;
out:
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(&k, sizeof(k));
	return r;
}

static int render(const struct sign_keyfile *k, char *buf, size_t size)
{
	char sid[2 * SIGN_SID_LEN + 1], k0[2 * SIGN_KEY_LEN + 1], ed[2 * SIGN_ED_LEN + 1];
	int n;

	sign_hex(k->sid, SIGN_SID_LEN, sid);
	sign_hex(k->k0, SIGN_KEY_LEN, k0);
	sign_hex(k->ed, SIGN_ED_LEN, ed);
	switch (k->kind) {
	case SIGN_KEYFILE_SIGN:
		n = snprintf(buf, size,
			     "# ikelogd: the gateway's signing secret (ikelogd.yaml(5), sign:)\n"
			     "format %s\nsid %s\n%s%s%sed25519 %s\n",
			     formats[k->kind], sid, k->has_k0 ? "k0 " : "", k->has_k0 ? k0 : "",
			     k->has_k0 ? "\n" : "", ed);
		break;
	case SIGN_KEYFILE_AUDIT:
		n = snprintf(
		    buf, size,
		    "# ikelogd: K(0) for the auditor; keep it offline (ikelogd(8), verify)\n"
		    "format %s\nsid %s\nk0 %s\n",
		    formats[k->kind], sid, k0);
		break;
	default:
		n = snprintf(buf, size,
			     "# ikelogd: the checkpoint public key (ikelogd(8), verify)\n"
			     "format %s\nsid %s\ned25519-pub %s\n",
			     formats[k->kind], sid, ed);
		break;
	}
	OPENSSL_cleanse(k0, sizeof(k0));
	OPENSSL_cleanse(ed, sizeof(ed));
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* Creates path with O_EXCL: an existing key is never replaced. */
static int create_excl(const char *path, const struct sign_keyfile *k, mode_t mode,
		       struct diags *errs)
{
	char text[KEYFILE_MAX];
	int fd, n, r = 0;

	n = render(k, text, sizeof(text));
	if (n < 0)
		return n;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = -errno;
		diag_add(errs, path, 0, 0, "cannot create: %s", strerror(-r));
		goto out;
	}
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		diag_add(errs, path, 0, 0, "cannot write: %s", strerror(-r));
		unlink(path);
	}
out:
	OPENSSL_cleanse(text, sizeof(text));
	return r;
}

int sign_keys_generate(const char *dir, struct diags *errs)
{
	static const char *const names[] = {"sign.key", "audit.key", "audit.pub"};
	struct sign_keyfile k = {.kind = SIGN_KEYFILE_SIGN, .has_k0 = true}, pub;
	char path[3][PATH_MAX];
	int r = 0;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (snprintf(path[i], PATH_MAX, "%s/%s", dir, names[i]) >= PATH_MAX) {
			diag_add(errs, dir, 0, 0, "path too long");
			return -ENAMETOOLONG;
		}
		if (access(path[i], F_OK) == 0) {
			diag_add(errs, path[i], 0, 0, "exists; keys are never overwritten");
			return -EEXIST;
		}
	}
	if (RAND_bytes(k.sid, SIGN_SID_LEN) != 1 || RAND_bytes(k.k0, SIGN_KEY_LEN) != 1 ||
	    sign_ed25519_generate(k.ed) < 0) {
		diag_add(errs, dir, 0, 0, "OpenSSL could not make keys");
		r = -EIO;
		goto out;
	}
	pub = (struct sign_keyfile){.kind = SIGN_KEYFILE_PUB};
	memcpy(pub.sid, k.sid, SIGN_SID_LEN);
	if ((r = sign_ed25519_public(k.ed, pub.ed)) < 0)
		goto out;
	if ((r = create_excl(path[0], &k, 0600, errs)) < 0)
		goto out;
	k.kind = SIGN_KEYFILE_AUDIT;
	/* All three or none: a half set would leave an auditor without a key. */
	if ((r = create_excl(path[1], &k, 0600, errs)) < 0) {
		unlink(path[0]);
	} else if ((r = create_excl(path[2], &pub, 0644, errs)) < 0) {
		unlink(path[0]);
		unlink(path[1]);
	}
out:
	OPENSSL_cleanse(&k, sizeof(k));
	return r;
}

int sign_keys_write_sign(const char *path, const struct sign_keyfile *k, struct diags *errs)
{
	char text[KEYFILE_MAX];
	int n, r;

	n = render(k, text, sizeof(text));
	if (n < 0)
		return n;
	r = state_write_text(path, text, (size_t)n, errs);
	OPENSSL_cleanse(text, sizeof(text));
	return r;
}
