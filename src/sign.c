/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The chain and the ratchet of signed events (sign.h). Every primitive is
 * OpenSSL's: EVP_MAC "HMAC", EVP_PKEY HKDF, EVP_DigestSign Ed25519.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "sign.h"

int sign_ratchet(const uint8_t in[SIGN_KEY_LEN], uint8_t out[SIGN_KEY_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	uint8_t next[SIGN_KEY_LEN];
	size_t outlen = sizeof(next);
	int r = -EIO;

	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, in, SIGN_KEY_LEN) <= 0 ||
	    EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)SIGN_HKDF_INFO,
					(int)strlen(SIGN_HKDF_INFO)) <= 0 ||
	    EVP_PKEY_derive(ctx, next, &outlen) <= 0 || outlen != sizeof(next))
		goto out;
	memcpy(out, next, sizeof(next));
	r = 0;
out:
	OPENSSL_cleanse(next, sizeof(next));
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static void be64(uint64_t v, uint8_t b[8])
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

struct sign_hmac {
	EVP_MAC_CTX *ctx;
};

/*
 * The HMAC implementation is fetched once: OpenSSL's fetch is a locked
 * lookup per call. It is the one piece of process state here, set on
 * first use and read-only after.
 */
int sign_hmac_new(const uint8_t key[SIGN_KEY_LEN], struct sign_hmac **ret)
{
	static EVP_MAC *hmac;
	struct sign_hmac *h;
	OSSL_PARAM params[2];

	if (!hmac)
		hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!hmac)
		return -EIO;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	h->ctx = EVP_MAC_CTX_new(hmac);
	if (!h->ctx || !EVP_MAC_init(h->ctx, key, SIGN_KEY_LEN, params)) {
		sign_hmac_free(h);
		return -EIO;
	}
	*ret = h;
	return 0;
}

/* Each MAC starts again from the keyed state (EVP_MAC_init without a key). */
int sign_hmac_mac(struct sign_hmac *h, const uint8_t prev[SIGN_MAC_LEN], uint64_t seq,
		  uint64_t epoch, const void *msg, size_t len, uint8_t out[SIGN_MAC_LEN])
{
	uint8_t nums[16];
	size_t outlen = 0;

	be64(seq, nums);
	be64(epoch, nums + 8);
	if (!EVP_MAC_init(h->ctx, NULL, 0, NULL) || !EVP_MAC_update(h->ctx, prev, SIGN_MAC_LEN) ||
	    !EVP_MAC_update(h->ctx, nums, sizeof(nums)) ||
	    (len && !EVP_MAC_update(h->ctx, msg, len)) ||
	    !EVP_MAC_final(h->ctx, out, &outlen, SIGN_MAC_LEN) || outlen != SIGN_MAC_LEN)
		return -EIO;
	return 0;
}

void sign_hmac_free(struct sign_hmac *h)
{
	if (!h)
		return;
	EVP_MAC_CTX_free(h->ctx); /* OpenSSL clears the key it holds */
	free(h);
}

int sign_mac(const uint8_t key[SIGN_KEY_LEN], const uint8_t prev[SIGN_MAC_LEN], uint64_t seq,
	     uint64_t epoch, const void *msg, size_t len, uint8_t out[SIGN_MAC_LEN])
{
	struct sign_hmac *h;
	int r = sign_hmac_new(key, &h);

	if (r < 0)
		return r;
	r = sign_hmac_mac(h, prev, seq, epoch, msg, len, out);
	sign_hmac_free(h);
	return r;
}

void sign_chain_init(struct sign_chain *c, const uint8_t sid[SIGN_SID_LEN],
		     const uint8_t k0[SIGN_KEY_LEN])
{
	*c = (struct sign_chain){0};
	memcpy(c->sid, sid, SIGN_SID_LEN);
	memcpy(c->key, k0, SIGN_KEY_LEN);
}

int sign_chain_next(struct sign_chain *c, const void *msg, size_t len)
{
	uint8_t mac[SIGN_MAC_LEN];
	int r;

	if (!c->hmac && (r = sign_hmac_new(c->key, &c->hmac)) < 0)
		return r;
	r = sign_hmac_mac(c->hmac, c->mac, c->seq + 1, c->epoch, msg, len, mac);
	if (r < 0)
		return r;
	memcpy(c->mac, mac, sizeof(mac));
	c->seq++;
	c->epoch_events++;
	return 0;
}

int sign_chain_next_epoch(struct sign_chain *c)
{
	int r = sign_ratchet(c->key, c->key);

	if (r < 0)
		return r;
	sign_hmac_free(c->hmac);
	c->hmac = NULL;
	c->epoch++;
	c->epoch_events = 0;
	return 0;
}

void sign_chain_wipe(struct sign_chain *c)
{
	sign_hmac_free(c->hmac);
	OPENSSL_cleanse(c, sizeof(*c));
}

void sign_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sign_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t n)
{
	if (hexlen != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int sign_checkpoint_text(const struct sign_checkpoint *cp, char *buf, size_t size)
{
	char sid[2 * SIGN_SID_LEN + 1], mac[2 * SIGN_MAC_LEN + 1];
	int n;

	sign_hex(cp->sid, SIGN_SID_LEN, sid);
	sign_hex(cp->mac, SIGN_MAC_LEN, mac);
	n = snprintf(buf, size, "ikelogd-checkpoint 1 %s %" PRIu64 " %" PRIu64 " %s %d", sid,
		     cp->epoch, cp->last_seq, mac, cp->final ? 1 : 0);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

static EVP_PKEY *ed_key(const uint8_t raw[SIGN_ED_LEN], bool private)
{
	return private ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, SIGN_ED_LEN)
		       : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, SIGN_ED_LEN);
}

int sign_checkpoint_sign(struct sign_checkpoint *cp, const uint8_t priv[SIGN_ED_LEN])
{
	EVP_PKEY *pk = ed_key(priv, true);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char text[256];
	size_t siglen = SIGN_SIG_LEN;
	int n, r = -EIO;

	n = sign_checkpoint_text(cp, text, sizeof(text));
	if (n < 0) {
		r = n;
		goto out;
	}
	if (!pk || !md || EVP_DigestSignInit(md, NULL, NULL, NULL, pk) <= 0 ||
	    EVP_DigestSign(md, cp->sig, &siglen, (const unsigned char *)text, (size_t)n) <= 0 ||
	    siglen != SIGN_SIG_LEN)
		goto out;
	r = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return r;
}

int sign_checkpoint_verify(const struct sign_checkpoint *cp, const uint8_t pub[SIGN_ED_LEN])
{
	EVP_PKEY *pk = ed_key(pub, false);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char text[256];
	int n, r = -EIO;

	n = sign_checkpoint_text(cp, text, sizeof(text));
	if (n < 0) {
		r = n;
		goto out;
	}
	if (!pk || !md || EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) <= 0)
		goto out;
	r = EVP_DigestVerify(md, cp->sig, SIGN_SIG_LEN, (const unsigned char *)text, (size_t)n) == 1
		? 0
		: -EBADMSG;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return r;
}

int sign_ed25519_public(const uint8_t priv[SIGN_ED_LEN], uint8_t pub[SIGN_ED_LEN])
{
	EVP_PKEY *pk = ed_key(priv, true);
	size_t len = SIGN_ED_LEN;
	int r = -EIO;

	if (pk && EVP_PKEY_get_raw_public_key(pk, pub, &len) == 1 && len == SIGN_ED_LEN)
		r = 0;
	EVP_PKEY_free(pk);
	return r;
}

int sign_ed25519_generate(uint8_t priv[SIGN_ED_LEN])
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	size_t len = SIGN_ED_LEN;
	int r = -EIO;

	if (pk && EVP_PKEY_get_raw_private_key(pk, priv, &len) == 1 && len == SIGN_ED_LEN)
		r = 0;
	EVP_PKEY_free(pk);
	return r;
}

int sign_sd_chain(const struct sign_chain *c, unsigned pen, char *buf, size_t size)
{
	char sid[2 * SIGN_SID_LEN + 1], mac[2 * SIGN_MAC_LEN + 1];
	int n;

	sign_hex(c->sid, SIGN_SID_LEN, sid);
	sign_hex(c->mac, SIGN_MAC_LEN, mac);
	n = snprintf(buf, size,
		     "[ikelogd-chain@%u sid=\"%s\" seq=\"%" PRIu64 "\" ep=\"%" PRIu64
		     "\" mac=\"%s\"]",
		     pen, sid, c->seq, c->epoch, mac);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int sign_sd_checkpoint(const struct sign_checkpoint *cp, unsigned pen, char *buf, size_t size)
{
	char mac[2 * SIGN_MAC_LEN + 1], sig[2 * SIGN_SIG_LEN + 1];
	int n;

	sign_hex(cp->mac, SIGN_MAC_LEN, mac);
	sign_hex(cp->sig, SIGN_SIG_LEN, sig);
	n = snprintf(buf, size,
		     "[ikelogd-checkpoint@%u ep=\"%" PRIu64 "\" last=\"%" PRIu64
		     "\" mac=\"%s\" final=\"%d\" sig=\"%s\"]",
		     pen, cp->epoch, cp->last_seq, mac, cp->final ? 1 : 0, sig);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}
