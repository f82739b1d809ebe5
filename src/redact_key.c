/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pseudonym key of the redaction stage and the pseudonyms made with
 * it. The key file is generated once, then read only when its owner and
 * mode say nobody else could have read it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "redact.h"
#include "redact_key.h"
#include "util.h"

#define PSEUDO_SLOTS	 4096 /* pseudonym cache: slots, a power of two (~400 KiB) */
#define PSEUDO_VALUE_MAX 64   /* longer values are hashed every time */
#define PSEUDO_TEXT_MAX	 32   /* "h<generation>:" and 16 hex digits */

struct pseudonymizer {
	unsigned generation;
	EVP_MAC *mac;
	EVP_MAC_CTX *mac_ctx; /* initialised with the key; re-initialised per value */
	/*
	 * The pseudonyms of recently hashed values: a gateway sees the same
	 * few identities on every line of an IKE SA, and one HMAC-SHA256 costs
	 * more than the rest of the redaction stage. Direct-mapped by a hash
	 * of the value; a slot holds the value itself, compared in full, so a
	 * collision costs an HMAC, never a wrong pseudonym. Wiped on free.
	 */
	struct pseudo_slot {
		uint8_t len; /* 0 = empty */
		uint8_t text_len;
		char value[PSEUDO_VALUE_MAX];
		char text[PSEUDO_TEXT_MAX];
	} slot[PSEUDO_SLOTS];
};

/* Writes a fresh key with O_EXCL: an existing file is never replaced. */
static int key_generate(const char *path, const char *cfgpath, struct diags *errs)
{
	unsigned char key[REDACT_KEY_GEN_BYTES];
	char dir[4096];
	const char *slash;
	ssize_t n;
	int fd, dfd, r = 0;

	if (RAND_bytes(key, sizeof(key)) != 1) {
		diag_add(errs, cfgpath, 0, 0, "redact.key_file %s: no random bytes to generate it",
			 path);
		return -EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		if (r != -EEXIST) /* created meanwhile: read that one */
			diag_add(errs, cfgpath, 0, 0, "redact.key_file %s: cannot create it: %s",
				 path, strerror(errno));
		goto out;
	}
	/* The umask may have taken bits away; it cannot have added any. */
	if (fchmod(fd, 0600) < 0 || (n = write(fd, key, sizeof(key))) != (ssize_t)sizeof(key) ||
	    fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		diag_add(errs, cfgpath, 0, 0, "redact.key_file %s: cannot write it: %s", path,
			 strerror(-r));
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
	slash = strrchr(path, '/');
	if (slash && (size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

static int key_load(const struct redact_key_options *o, unsigned char *key, size_t *ret_len,
		    struct diags *errs, bool auditor)
{
	const char *path = o->key_file, *cfgpath = o->config_path;
	unsigned char buf[REDACT_KEY_MAX_BYTES + 1];
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int fd = -1, r;

	if (!path || !*path) {
		diag_add(errs, cfgpath, 0, 0,
			 "redact.key_file is not set, and the policy hashes a field: "
			 "set it (redact.generate_key creates it at first start)");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT && o->generate_key && !auditor) {
		r = key_generate(path, cfgpath, errs);
		if (r < 0 && r != -EEXIST)
			return r;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0) {
		r = -errno;
		diag_add(errs, cfgpath, 0, 0, "redact.key_file %s: %s%s", path, strerror(errno),
			 r == -ENOENT ? " (create it with mode 0600, or set redact.generate_key)"
				      : "");
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		diag_add(errs, cfgpath, 0, 0, "redact.key_file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		diag_add(errs, cfgpath, 0, 0, "redact.key_file %s: not a regular file", path);
		goto out;
	}
	/* root may read the service's key, which its (dynamic) user owns. */
	if (st.st_uid != geteuid() && !(auditor && geteuid() == 0)) {
		r = -EPERM;
		diag_add(errs, cfgpath, 0, 0,
			 "redact.key_file %s: owned by uid %u, not by the running user (uid %u)",
			 path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (st.st_mode & 077) {
		r = -EPERM;
		diag_add(errs, cfgpath, 0, 0,
			 "redact.key_file %s: mode %04o lets group or others read it; "
			 "chmod 0600 it",
			 path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			diag_add(errs, cfgpath, 0, 0, "redact.key_file %s: %s", path,
				 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len < REDACT_KEY_MIN_BYTES || len > REDACT_KEY_MAX_BYTES) {
		r = -EINVAL;
		diag_add(errs, cfgpath, 0, 0,
			 "redact.key_file %s: %zu%s bytes; a key has %d to %d bytes", path, len,
			 len > REDACT_KEY_MAX_BYTES ? " or more" : "", REDACT_KEY_MIN_BYTES,
			 REDACT_KEY_MAX_BYTES);
		goto out;
	}
	memcpy(key, buf, len);
	*ret_len = len;
	r = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return r;
}

/* ---- pseudonyms ---- */

/* "h<gen>:" + the first 8 bytes of the MAC in hex. */
static int format_pseudonym(const unsigned char *mac, unsigned generation, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	char txt[PSEUDO_TEXT_MAX];
	int n;

	n = snprintf(txt, sizeof(txt), "h%u:", generation);
	if (n < 0 || (size_t)n + 16 + 1 > sizeof(txt) || (size_t)n + 16 + 1 > size)
		return -ENOSPC;
	for (size_t i = 0; i < 8; i++) {
		txt[n++] = hex[mac[i] >> 4];
		txt[n++] = hex[mac[i] & 15];
	}
	txt[n] = '\0';
	memcpy(out, txt, (size_t)n + 1);
	return 0;
}

int redact_key_load(const struct redact_key_options *o, unsigned char *key, size_t *ret_len,
		    struct diags *errs)
{
	return key_load(o, key, ret_len, errs, false);
}

int redact_key_load_auditor(const struct redact_key_options *o, unsigned char *key, size_t *ret_len,
			    struct diags *errs)
{
	return key_load(o, key, ret_len, errs, true);
}

int redact_pseudonym(const unsigned char *key, size_t key_len, unsigned generation,
		     const char *value, size_t len, char *out, size_t size)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;

	if (!key || key_len == 0)
		return -EINVAL;
	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)value, len, mac,
		  &mac_len) ||
	    mac_len < 8)
		return -EIO;
	return format_pseudonym(mac, generation, out, size);
}

void pseudonymizer_free(struct pseudonymizer *p)
{
	if (!p)
		return;
	EVP_MAC_CTX_free(p->mac_ctx);
	EVP_MAC_free(p->mac);
	/* The slots in use hold identities; the others were never written (not faulted in). */
	for (size_t i = 0; i < PSEUDO_SLOTS; i++)
		if (p->slot[i].len)
			OPENSSL_cleanse(&p->slot[i], sizeof(p->slot[i]));
	free(p);
}

int pseudonymizer_new(const unsigned char *key, size_t key_len, unsigned generation,
		      struct pseudonymizer **ret)
{
	OSSL_PARAM params[2] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	struct pseudonymizer *p;

	if (!key || key_len == 0)
		return -EINVAL;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->generation = generation;
	p->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (p->mac)
		p->mac_ctx = EVP_MAC_CTX_new(p->mac);
	if (!p->mac_ctx || !EVP_MAC_init(p->mac_ctx, key, key_len, params)) {
		pseudonymizer_free(p);
		return -EIO;
	}
	*ret = p;
	return 0;
}

int pseudonymizer_get(struct pseudonymizer *p, const char *value, size_t len, char *out,
		      size_t size)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t mac_len = 0;
	struct pseudo_slot *slot = NULL;
	int r;

	if (len > 0 && len <= PSEUDO_VALUE_MAX) {
		slot = &p->slot[util_hash64(value, len, 0) & (PSEUDO_SLOTS - 1)];
		if (slot->len == len && memcmp(slot->value, value, len) == 0) {
			if ((size_t)slot->text_len + 1 > size)
				return -ENOSPC;
			memcpy(out, slot->text, (size_t)slot->text_len + 1);
			return 0;
		}
	}
	/* A NULL key re-initialises the context with the key it already holds. */
	if (!EVP_MAC_init(p->mac_ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(p->mac_ctx, (const unsigned char *)value, len) ||
	    !EVP_MAC_final(p->mac_ctx, mac, &mac_len, sizeof(mac)) || mac_len < 8)
		return -EIO;
	r = format_pseudonym(mac, p->generation, out, size);
	if (r == 0 && slot) {
		slot->len = (uint8_t)len;
		memcpy(slot->value, value, len);
		slot->text_len = (uint8_t)strlen(out);
		memcpy(slot->text, out, (size_t)slot->text_len + 1);
	}
	return r;
}
