/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's side of signing (signer.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sign_keys.h"
#include "signer.h"
#include "state.h"

#define SIGNER_STATE_MAX 1024

struct ring_entry {
	uint64_t seq, chain_seq;
	uint8_t mac[SIGN_MAC_LEN];
};

struct signer {
	struct signer_opts o;
	char *state_path;
	struct sign_chain c;
	uint8_t ed[SIGN_ED_LEN];
	uint64_t reserved; /* the state file covers sequences up to this one */
	uint64_t acked;	   /* the newest chain sequence known delivered, and its MAC */
	uint8_t acked_mac[SIGN_MAC_LEN];
	uint64_t rs; /* a restart declaration for the next event, 0 = none */
	uint64_t epoch_start;
	bool final_next;
	struct ring_entry *ring;
	size_t ring_head, ring_len;
	struct signer_stats st;
};

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
}

static struct signer *alloc_signer(const struct signer_opts *o)
{
	struct signer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->o = *o;
	if (!s->o.reserve)
		s->o.reserve = 64;
	if (!s->o.ring)
		s->o.ring = 8192;
	if (!s->o.now)
		s->o.now = wall_now;
	s->o.key_file = s->o.state_file = NULL; /* borrowed paths are not kept */
	s->ring = calloc(s->o.ring, sizeof(*s->ring));
	if (!s->ring) {
		free(s);
		return NULL;
	}
	return s;
}

int signer_new(const struct signer_opts *o, const uint8_t sid[SIGN_SID_LEN],
	       const uint8_t k0[SIGN_KEY_LEN], const uint8_t ed[SIGN_ED_LEN], struct signer **ret)
{
	struct signer *s = alloc_signer(o);

	if (!s)
		return -ENOMEM;
	sign_chain_init(&s->c, sid, k0);
	memcpy(s->ed, ed, SIGN_ED_LEN);
	s->epoch_start = s->o.now();
	*ret = s;
	return 0;
}

void signer_free(struct signer *s)
{
	if (!s)
		return;
	free(s->state_path);
	free(s->ring);
	sign_chain_wipe(&s->c);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static int state_text(const struct signer *s, uint64_t reserved, char *buf, size_t size)
{
	char sid[2 * SIGN_SID_LEN + 1], key[2 * SIGN_KEY_LEN + 1], am[2 * SIGN_MAC_LEN + 1];
	int n;

	sign_hex(s->c.sid, SIGN_SID_LEN, sid);
	sign_hex(s->c.key, SIGN_KEY_LEN, key);
	sign_hex(s->acked_mac, SIGN_MAC_LEN, am);
	n = snprintf(buf, size,
		     "format ikelogd-sign-state 1\nsid %s\nepoch %" PRIu64 "\nkey %s\nseq %" PRIu64
		     "\nacked %" PRIu64 "\nacked_mac %s\nepoch_events %" PRIu64
		     "\nepoch_start %" PRIu64 "\n",
		     sid, s->c.epoch, key, reserved, s->acked, am, s->c.epoch_events,
		     s->epoch_start);
	OPENSSL_cleanse(key, sizeof(key));
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* Writes the state covering sequences up to reserved. */
static int write_state(struct signer *s, uint64_t reserved, struct diags *errs)
{
	char text[SIGNER_STATE_MAX];
	int n, r;

	if (!s->state_path) {
		s->reserved = reserved;
		return 0;
	}
	n = state_text(s, reserved, text, sizeof(text));
	if (n < 0)
		return n;
	r = state_write_text(s->state_path, text, (size_t)n, errs);
	OPENSSL_cleanse(text, sizeof(text));
	if (r < 0)
		return r;
	s->reserved = reserved;
	s->st.state_writes++;
	return 0;
}

static int parse_state(struct signer *s, const char *path, char *text, struct diags *errs)
{
	char *save = NULL, *ln;
	unsigned line = 0, seen = 0;
	uint64_t seq = 0;

	for (ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(ln, ' '), *end = NULL;
		int bad = 0;

		line++;
		if (!v) {
			diag_add(errs, path, line, 1, "expected \"name value\"");
			return -EBADMSG;
		}
		*v++ = '\0';
		errno = 0;
		if (strcmp(ln, "format") == 0) {
			bad = strcmp(v, "ikelogd-sign-state 1") != 0;
			seen |= 1;
		} else if (strcmp(ln, "sid") == 0) {
			bad = sign_unhex(v, strlen(v), s->c.sid, SIGN_SID_LEN) < 0;
			seen |= 2;
		} else if (strcmp(ln, "key") == 0) {
			bad = sign_unhex(v, strlen(v), s->c.key, SIGN_KEY_LEN) < 0;
			seen |= 4;
		} else if (strcmp(ln, "acked_mac") == 0) {
			bad = sign_unhex(v, strlen(v), s->acked_mac, SIGN_MAC_LEN) < 0;
			seen |= 8;
		} else {
			uint64_t n = strtoull(v, &end, 10);

			bad = errno || !end || *end || end == v;
			if (strcmp(ln, "epoch") == 0)
				s->c.epoch = n, seen |= 16;
			else if (strcmp(ln, "seq") == 0)
				seq = n, seen |= 32;
			else if (strcmp(ln, "acked") == 0)
				s->acked = n, seen |= 64;
			else if (strcmp(ln, "epoch_events") == 0)
				s->c.epoch_events = n, seen |= 128;
			else if (strcmp(ln, "epoch_start") == 0)
				s->epoch_start = n, seen |= 256;
			else
				bad = 1;
		}
		if (bad) {
			diag_add(errs, path, line, 1, "bad \"%s\" line", ln);
			return -EBADMSG;
		}
	}
	if (seen != 511 || s->acked > seq) {
		diag_add(errs, path, 0, 0, "incomplete or inconsistent signing state");
		return -EBADMSG;
	}
	s->c.seq = seq;
	s->reserved = seq;
	/* Only a restart with everything delivered continues the chain as if nothing happened. */
	if (s->acked < seq) {
		s->rs = s->acked + 1;
		s->st.restarts++;
	}
	memcpy(s->c.mac, s->acked_mac, SIGN_MAC_LEN);
	return 0;
}

static int read_state(struct signer *s, const char *path, struct diags *errs)
{
	char text[SIGNER_STATE_MAX + 1];
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || n > SIGNER_STATE_MAX) {
		diag_add(errs, path, 0, 0, "cannot read the signing state");
		return -EBADMSG;
	}
	text[n] = '\0';
	r = parse_state(s, path, text, errs);
	OPENSSL_cleanse(text, sizeof(text));
	return r;
}

int signer_open(const struct signer_opts *o, struct signer **ret, struct diags *errs)
{
	struct sign_keyfile k;
	struct signer *s = NULL;
	int r;

	r = sign_keys_read(o->key_file, SIGN_KEYFILE_SIGN, &k, errs);
	if (r < 0) {
		if (r == -ENOENT)
			diag_add(errs, o->key_file, 0, 0, "no such key file (ikelogd keygen DIR)");
		goto out;
	}
	s = alloc_signer(o);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(s->ed, k.ed, SIGN_ED_LEN);
	if (o->state_file && *o->state_file && !(s->state_path = strdup(o->state_file))) {
		r = -ENOMEM;
		goto out;
	}
	r = s->state_path ? read_state(s, s->state_path, errs) : -ENOENT;
	if (r == 0 && memcmp(s->c.sid, k.sid, SIGN_SID_LEN) != 0) {
		diag_add(errs, s->state_path, 0, 0, "signing state of another key than %s",
			 o->key_file);
		r = -EBADMSG;
	}
	if (r != -ENOENT)
		goto out;
	/* First use: the chain starts from K(0), which then leaves the gateway's key file. */
	if (!k.has_k0) {
		diag_add(errs, o->key_file, 0, 0,
			 "holds no K(0) and there is no signing state %s: the chain cannot go on",
			 o->state_file ? o->state_file : "(none configured)");
		r = -EBADMSG;
		goto out;
	}
	sign_chain_init(&s->c, k.sid, k.k0);
	s->epoch_start = s->o.now();
	r = write_state(s, 0, errs);
	if (r < 0 || !s->state_path)
		goto out;
	k.has_k0 = false;
	OPENSSL_cleanse(k.k0, sizeof(k.k0));
	r = sign_keys_write_sign(o->key_file, &k, errs);
out:
	OPENSSL_cleanse(&k, sizeof(k));
	if (r < 0) {
		signer_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

static int checkpoint(struct signer *s, bool final, char *buf, size_t size)
{
	struct sign_checkpoint cp = {.epoch = s->c.epoch, .last_seq = s->c.seq, .final = final};
	int r;

	memcpy(cp.sid, s->c.sid, SIGN_SID_LEN);
	memcpy(cp.mac, s->c.mac, SIGN_MAC_LEN);
	r = sign_checkpoint_sign(&cp, s->ed);
	if (r < 0)
		return r;
	s->st.checkpoints++;
	return sign_sd_checkpoint(&cp, s->o.pen, buf, size);
}

int signer_sign(struct signer *s, uint64_t seq, const char *msg, size_t len, char *sd, size_t size)
{
	char cp[SIGN_SD_CP_MAX] = "";
	uint64_t now = s->o.now(), rs = s->rs;
	bool rewrite = false, closing, final = s->final_next;
	struct ring_entry *e;
	int n, k, r;

	/* An epoch over by time ends before this event, its checkpoint on this event. */
	if (s->o.epoch_seconds && s->c.epoch_events > 0 &&
	    now - s->epoch_start >= s->o.epoch_seconds) {
		/* After a restart the last signed MAC is not the one held: no checkpoint then. */
		if (!rs && (r = checkpoint(s, false, cp, sizeof(cp))) < 0)
			return r;
		if ((r = sign_chain_next_epoch(&s->c)) < 0)
			return r;
		s->epoch_start = now;
		s->st.epochs++;
		rewrite = true;
	}
	/* After a restart the MAC links to the last delivered event, not the last signed. */
	if (rs)
		memcpy(s->c.mac, s->acked_mac, SIGN_MAC_LEN);
	if ((r = sign_chain_next(&s->c, msg, len)) < 0)
		return r;
	n = sign_sd_chain(&s->c, s->o.pen, sd, size);
	if (n < 0)
		return n;
	if (rs) {
		k = snprintf(sd + n - 1, size - (size_t)n + 1, " rs=\"%" PRIu64 "\"]", rs);
		if (k < 0 || (size_t)(n - 1 + k) >= size)
			return -ENOSPC;
		n += k - 1;
	}
	closing = final || (s->o.epoch_events && s->c.epoch_events >= s->o.epoch_events);
	if (closing && (r = checkpoint(s, final, cp, sizeof(cp))) < 0)
		return r;
	k = (int)strlen(cp);
	if ((size_t)(n + k) >= size)
		return -ENOSPC;
	memcpy(sd + n, cp, (size_t)k + 1);
	n += k;

	e = &s->ring[(s->ring_head + s->ring_len) % s->o.ring];
	if (s->ring_len == s->o.ring) {
		s->ring_head = (s->ring_head + 1) % s->o.ring; /* forgotten: acked stays behind */
		s->ring_len--;
	}
	*e = (struct ring_entry){.seq = seq, .chain_seq = s->c.seq};
	memcpy(e->mac, s->c.mac, SIGN_MAC_LEN);
	s->ring_len++;

	if (closing) {
		if ((r = sign_chain_next_epoch(&s->c)) < 0)
			return r;
		s->epoch_start = now;
		s->st.epochs++;
		rewrite = true;
	}
	s->rs = 0;
	s->final_next = false;
	s->st.signed_events++;
	/* The state must cover this sequence and hold no older key before the message leaves. */
	if (rewrite || s->c.seq > s->reserved) {
		struct diags errs = {0}; /* the caller counts and logs the failure */

		r = write_state(s, s->c.seq + s->o.reserve, &errs);
		if (r < 0)
			return r;
	}
	return n;
}

void signer_final_next(struct signer *s)
{
	s->final_next = true;
}

void signer_delivered(struct signer *s, uint64_t seq)
{
	while (s->ring_len && s->ring[s->ring_head].seq <= seq) {
		struct ring_entry *e = &s->ring[s->ring_head];

		s->acked = e->chain_seq;
		memcpy(s->acked_mac, e->mac, SIGN_MAC_LEN);
		s->ring_head = (s->ring_head + 1) % s->o.ring;
		s->ring_len--;
	}
}

int signer_close(struct signer *s, struct diags *errs)
{
	if (!s)
		return 0;
	return write_state(s, s->c.seq, errs);
}

void signer_get_stats(const struct signer *s, struct signer_stats *ret)
{
	*ret = s->st;
}

static int sign_cb(void *ud, const char *msg, size_t len, char *sd, size_t size)
{
	struct signer_call *call = ud;

	return signer_sign(call->s, call->seq, msg, len, sd, size);
}

void signer_attach(struct encode_input *in, struct signer_call *call, struct signer *s,
		   uint64_t seq)
{
	if (!s)
		return;
	*call = (struct signer_call){.s = s, .seq = seq};
	in->sign = sign_cb;
	in->sign_ud = call;
}
