/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pseudonym key file of the redaction stage: generated once, then
 * read only when its owner and mode say nobody else could have read it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "redact_key.h"

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

int redact_key_load(const struct config *cfg, unsigned char *key, size_t *ret_len,
		    struct diags *errs)
{
	const char *path = cfg->redact.key_file, *cfgpath = cfg->path;
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
	if (fd < 0 && errno == ENOENT && cfg->redact.generate_key) {
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
	if (st.st_uid != geteuid()) {
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
