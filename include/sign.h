/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SIGN_H
#define IKELOGD_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The hash chain and the key ratchet of signed events, as pure functions
 * over OpenSSL's EVP HMAC-SHA-256, HKDF-SHA-256 and Ed25519. No I/O.
 *
 *   MAC(n)   = HMAC-SHA-256(K(e), MAC(n-1) || be64(n) || be64(e) || MSG)
 *              MAC(0) is 32 zero octets, n counts from 1, e is the epoch.
 *   K(e+1)   = HKDF-SHA-256(IKM = K(e), salt = none, info = "ikelogd epoch", L = 32)
 *   checkpoint signature = Ed25519 over
 *              "ikelogd-checkpoint 1 <sid> <epoch> <last seq> <last MAC hex> <final 0|1>"
 *
 * On the wire (RFC 5424 STRUCTURED-DATA, SD-IDs per section 7.2.2):
 *   [ikelogd-chain@PEN sid="<hex>" seq="<n>" ep="<e>" mac="<hex>"]
 *   [ikelogd-checkpoint@PEN ep="<e>" last="<n>" mac="<hex>" final="0|1" sig="<hex>"]
 */
#define SIGN_KEY_LEN	  32
#define SIGN_MAC_LEN	  32
#define SIGN_SID_LEN	  16 /* stream id, random at keygen */
#define SIGN_SIG_LEN	  64
#define SIGN_ED_LEN	  32 /* Ed25519 raw private or public key */
#define SIGN_HKDF_INFO	  "ikelogd epoch"
#define SIGN_SD_CHAIN_MAX 200 /* longest chain SD element, PEN included */
#define SIGN_SD_CP_MAX	  400 /* longest checkpoint SD element */

struct sign_hmac;

struct sign_chain {
	struct sign_hmac *hmac; /* K(epoch) keyed once (sign_hmac_new); NULL until needed */
	uint8_t sid[SIGN_SID_LEN];
	uint8_t key[SIGN_KEY_LEN]; /* K(epoch): the only key held */
	uint64_t epoch;
	uint64_t seq;		   /* the last sequence signed; 0 before the first */
	uint8_t mac[SIGN_MAC_LEN]; /* MAC(seq) */
	uint64_t epoch_events;	   /* events signed in this epoch */
};

struct sign_checkpoint {
	uint8_t sid[SIGN_SID_LEN];
	uint64_t epoch;
	uint64_t last_seq;
	uint8_t mac[SIGN_MAC_LEN];
	bool final;
	uint8_t sig[SIGN_SIG_LEN];
};

/* K(e+1) from K(e) into out (may equal in). Returns 0 or -EIO (OpenSSL failed). */
int sign_ratchet(const uint8_t in[SIGN_KEY_LEN], uint8_t out[SIGN_KEY_LEN]);

/* MAC(n) into out as defined above. Returns 0 or -EIO. */
int sign_mac(const uint8_t key[SIGN_KEY_LEN], const uint8_t prev[SIGN_MAC_LEN], uint64_t seq,
	     uint64_t epoch, const void *msg, size_t len, uint8_t out[SIGN_MAC_LEN]);

/*
 * A keyed HMAC-SHA-256: the key schedule done once, then any number of
 * MACs as defined above under that key (a third of the cost of sign_mac
 * each). sign_hmac_free wipes the key (NULL accepted). Return 0 or -EIO.
 */
int sign_hmac_new(const uint8_t key[SIGN_KEY_LEN], struct sign_hmac **ret);
int sign_hmac_mac(struct sign_hmac *h, const uint8_t prev[SIGN_MAC_LEN], uint64_t seq,
		  uint64_t epoch, const void *msg, size_t len, uint8_t out[SIGN_MAC_LEN]);
void sign_hmac_free(struct sign_hmac *h);

/* A chain at epoch 0, seq 0, MAC(0) zero, holding a copy of k0. */
void sign_chain_init(struct sign_chain *c, const uint8_t sid[SIGN_SID_LEN],
		     const uint8_t k0[SIGN_KEY_LEN]);

/* Signs the next event msg[0..len): seq + 1, its MAC in c->mac. Returns 0 or -EIO. */
int sign_chain_next(struct sign_chain *c, const void *msg, size_t len);

/*
 * Moves to the next epoch: K(e+1) replaces K(e), which is wiped
 * (OPENSSL_cleanse) before returning. Returns 0 or -EIO (c unchanged).
 */
int sign_chain_next_epoch(struct sign_chain *c);

/* Wipes every secret of c and frees its keyed HMAC: call it for every chain used. */
void sign_chain_wipe(struct sign_chain *c);

/*
 * The canonical text a checkpoint's signature covers (NUL-terminated,
 * without the signature) into buf. Returns its length or -ENOSPC.
 */
int sign_checkpoint_text(const struct sign_checkpoint *cp, char *buf, size_t size);

/*
 * Signs cp (all but sig) with the Ed25519 private key priv (raw, 32
 * octets) into cp->sig; verifies cp->sig with the public key pub.
 * Return 0, -EBADMSG for a signature that does not verify, -EIO.
 */
int sign_checkpoint_sign(struct sign_checkpoint *cp, const uint8_t priv[SIGN_ED_LEN]);
int sign_checkpoint_verify(const struct sign_checkpoint *cp, const uint8_t pub[SIGN_ED_LEN]);

/* The Ed25519 public key of priv into pub. Returns 0 or -EIO. */
int sign_ed25519_public(const uint8_t priv[SIGN_ED_LEN], uint8_t pub[SIGN_ED_LEN]);

/* A fresh Ed25519 private key (raw) from OpenSSL's RNG. Returns 0 or -EIO. */
int sign_ed25519_generate(uint8_t priv[SIGN_ED_LEN]);

/* Renders the chain element of c's current event / the checkpoint element. Length or -ENOSPC. */
int sign_sd_chain(const struct sign_chain *c, unsigned pen, char *buf, size_t size);
int sign_sd_checkpoint(const struct sign_checkpoint *cp, unsigned pen, char *buf, size_t size);

/* Lower-case hex of n octets into out (2n + 1 bytes); parses exactly 2n hex digits. */
void sign_hex(const uint8_t *in, size_t n, char *out);
int sign_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t n);

#endif
