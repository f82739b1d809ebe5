/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_REDACT_H
#define IKELOGD_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "event.h"
#include "redact_key.h"
#include "stats.h"

/*
 * The redaction stage: a per-field policy (keep, mask, hash, drop) from
 * the config, then a scrub of kept free text (hex runs of 32 digits or
 * more, pluto hex dump lines, configured secret patterns). Fails closed:
 * a value that cannot be redacted as asked is removed, never shipped.
 */
struct redactor;

#define REDACT_FIELDS_MAX   64
#define REDACT_PATTERNS_MAX 16

/* One redact.fields entry: a short field name of event.h and its action. */
struct redact_field_option {
	const char *field;
	enum redact_action action;
};

/*
 * The redactor's options, filled by the config loader
 * (config_pipeline_options): the redact: section. Strings are borrowed
 * from the configuration for the duration of redactor_new.
 */
struct redactor_options {
	const char *config_path; /* for messages */
	unsigned mask_ipv4_prefix, mask_ipv6_prefix;
	struct redact_field_option fields[REDACT_FIELDS_MAX]; /* a later entry wins */
	size_t n_fields;
	const char *secret_patterns[REDACT_PATTERNS_MAX]; /* PCRE2 */
	size_t n_secret_patterns;
	unsigned key_generation;
	struct redact_key_options key;
};

/*
 * Builds the policy, compiles the secret patterns (PCRE2, JIT) and, when
 * some field is hashed, reads the key file (mode 0600 or stricter, owned
 * by the running user; generated with 32 random bytes if
 * redact.generate_key and missing). Every problem is added to errs: an
 * unknown field or action, an action the field's type cannot take (mask of
 * a port, hash of a number), a prefix out of range, a pattern that does
 * not compile or matches the empty string (-EINVAL); a key file too open
 * or owned by another user (-EPERM); missing (-ENOENT); shorter than 16 or
 * longer than 1024 bytes (-EINVAL). *ret untouched on failure.
 */
int redactor_new(const struct redactor_options *o, struct counters *cnt, struct redactor **ret,
		 struct diags *errs);
void redactor_free(struct redactor *r);

/*
 * Applies the policy to ev in place, then cleans every kept FT_STRING
 * field (except the ids ikelogd derives: event_id, ike_sa_id,
 * previous_ike_sa_id, and the GeoIP database's peer_geo.country_iso and
 * peer_as.org, which only their policy entry changes): a value the policy hashed or masked is replaced by
 * its pseudonym or masked address wherever it stands alone in that text
 * (by "[redacted]" if it was removed), so a kept message does not give
 * back "@east" beside peer_id "h1:..."; while identity fields are hashed,
 * every FQDN-shaped identity token ("@east", "user@example.org") in the
 * message and the reason is hashed too, in lines that carry no identity
 * field (debug, unparsed); then the scrub, each replacement
 * counted in cnt->redact_scrubbed. Returns 0, or -ENOSPC (-EINVAL) if a
 * replacement did not fit the arena (was refused by the field's type):
 * that field has been removed, so ev is safe to ship either way.
 */
int redact_event(struct redactor *r, struct event *ev);
/*
 * redact_event for an event ikelogd made itself (a summary): the fields in
 * own (a bit per field, as event.present) hold text it wrote, not a line's;
 * the policy still hashes, masks or drops them, but they are not scanned.
 */
int redact_event_own(struct redactor *r, struct event *ev, const uint64_t *own);

/* Values the stage removed because it could not redact them as asked. */
struct redact_stats {
	uint64_t mask_dropped; /* mask of a value that is no address */
	uint64_t removed;      /* replacement refused or arena full, hash or scrub failed */
	uint64_t swapped;      /* hashed or masked values replaced in kept free text */
};
void redactor_stats(const struct redactor *r, struct redact_stats *ret);

/* The action the policy gives field f (keep for fields it does not name). */
enum redact_action redactor_action(const struct redactor *r, enum field f);

/*
 * Scrubs in[0..len) with the configured patterns, then the built-in one.
 * Returns the number of replacements with *ret pointing at the result
 * (in, when nothing matched; otherwise scratch memory of r, valid until
 * the next call) and its length in *ret_len; or -E2BIG when a pattern hit
 * its match limit, -ENOMEM: the caller must then drop the value.
 */
int redact_scrub(struct redactor *r, const char *in, size_t len, const char **ret, size_t *ret_len);

/*
 * Pure helpers, exposed for tests. redact_mask_ip writes the address with
 * its host bits cleared ("192.0.2.0", "2001:db8:1::", "::ffff:192.0.2.0":
 * an IPv4-mapped address takes the IPv4 prefix) to out; brackets and an
 * IPv6 zone are stripped; -EINVAL if ip is not an address or a prefix is
 * out of range, -ENOSPC if out is too small. redact_pseudonym writes
 * "h<gen>:" + 16 hex digits of HMAC-SHA256(key, value) (29 bytes at most
 * with the NUL); -EINVAL for an empty key. redact_builtin_pattern is the
 * built-in scrub's PCRE2 pattern (hex dumps, runs of key material).
 */
extern const char redact_builtin_pattern[];
int redact_mask_ip(const char *ip, unsigned v4_prefix, unsigned v6_prefix, char *out, size_t size);
int redact_pseudonym(const unsigned char *key, size_t key_len, unsigned generation,
		     const char *value, size_t len, char *out, size_t size);

#endif
