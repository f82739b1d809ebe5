/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rule table. A rule file is a YAML sequence of maps:
 *
 *   - id: ike_auth.established.v4        required, unique over all files
 *     event: ike_auth                    required, the vocabulary (or vocabulary_reason:)
 *     result: success                    required: success | failure | info
 *     scope: state                       required: state | conn | packet | global | any,
 *                                        or a list of them ([conn, state])
 *     wrapper: error                     optional: none | error | warning | any (default,
 *                                        those three) | expectation | assertion, or a
 *                                        list: the "ERROR: "/"WARNING: "/"EXPECTATION
 *                                        FAILED: "/"ABORT: ASSERTION FAILED: " before
 *                                        the connection, which the envelope takes off;
 *                                        only a rule naming one of the last two types
 *                                        such a line
 *     pattern: '^established IKE SA'     required, PCRE2; named groups = field short
 *                                        names or keys of decode:; PCRE2_DUPNAMES
 *     key: 'established IKE SA'          optional literal for the prefilter
 *     set: { exchange: IKE_AUTH }        optional constants; captures override them
 *     decode: { esp: esp_block }         optional group -> sub-decoder (decode.h)
 *     description: ...                   optional, ignored
 *     examples: [ { line: '...', versions: [3.25, 4.10], expect: { field: value } } ]
 *
 *   - vocabulary: error_code             the closed list of error_code values:
 *     values: [ AUTHENTICATION_FAILED ]  a set: or expect: outside it is refused
 *
 * An example's versions (optional) are the Libreswan releases that print
 * its line: MAJOR.MINOR (3..5) or "main"; a rule id ending in .v3, .v4 or
 * .v5 takes only versions of that major.
 *
 * The envelope (envelope.h) reads each line's prefixes once: the log
 * prefix, then pluto's "NAME"[N] PEER #N: (scope state), "NAME"[N] PEER:
 * (conn), "packet from ADDR:PORT: " (packet) or none (global). Its
 * connection, instance, peer, serial and packet port are set on the event;
 * a rule is tried only on lines of its scope and matches only the
 * remainder after the prefix, as pluto wrote it. First match in file order wins; the prefilter only
 * skips rules whose required literal is absent from the line (the longest plain run every match
 * must contain, or one per alternative; `key:` overrides). A captured empty group leaves its field
 * unset.
 *
 * Sub-decoders (decode.c):
 *   brace_algs         {cipher=.. integ=.. prf=.. group=|ke=.. auth=..}
 *   esp_block          {ESP[inUDP|inTCP][/ESN]=>0xOUT <0xIN xfrm=ENC-INTEG[-DH]
 *                       [IPCOMP=>.. <..] [NATD=ip:port] DPD=.. [username=..]}, {ESP <0xIN}
 *   traffic_selectors  [lo-hi:ports proto] -> [..], [a/n===b/m] ..., [a b]->[c d]
 *   delete_notify      sending | NOT sending | received -> sent | none | received
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "rules_impl.h"

/* ---- the table ---- */

void rules_rule_done(struct rule *ru)
{
	free(ru->id);
	free(ru->event);
	free(ru->result);
	pcre2_code_free(ru->code);
	free(ru->targets);
	for (size_t i = 0; i < ru->n_set; i++)
		free(ru->set[i].value);
	free(ru->set);
	free(ru->lits);
}

int rules_rule_set_literals(struct rule *ru, const struct prefilter_req *q)
{
	size_t total = 0, n = q->n < PREFILTER_ALTS ? q->n : PREFILTER_ALTS;
	char *p;

	for (size_t k = 0; k < n; k++)
		total += q->len[k];
	if (!(p = malloc(total + 1)))
		return -ENOMEM;
	free(ru->lits);
	ru->lits = p;
	ru->n_lits = (uint8_t)n;
	for (size_t k = 0; k < n; k++) {
		ru->lit_len[k] = (uint8_t)q->len[k];
		memcpy(p, q->lit[k], q->len[k]);
		p += q->len[k];
	}
	return 0;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		rules_rule_done(&r->v[i]);
	free(r->v);
	for (size_t i = 0; i < r->n_ex; i++) {
		struct rule_example *e = &r->ex[i];

		free((char *)e->line);
		for (size_t k = 0; k < e->n_expect; k++) {
			free((char *)e->expect_keys[k]);
			free((char *)e->expect_values[k]);
		}
		free((void *)e->expect_keys);
		free((void *)e->expect_values);
		free((char *)e->versions);
	}
	free(r->ex);
	for (size_t i = 0; i < r->n_codes; i++)
		free(r->codes[i]);
	free(r->codes);
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i]);
	free(r->files);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mctx);
	pcre2_jit_stack_free(r->jstack);
	prefilter_free(r->pf);
	free(r->always);
	free(r->cand);
	free(r);
}

/* ---- matching ---- */

static void apply(struct rules *r, struct rule *ru, const char *body, struct event *ev)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
	uint32_t npairs = pcre2_get_ovector_count(r->md);

	ev->rule = ru;
	event_set_str(ev, F_EVENT_TYPE, ru->event, ru->event_len);
	event_set_str(ev, F_RESULT, ru->result, ru->result_len);
	event_set_str(ev, F_RULE, ru->id, ru->id_len);
	for (size_t i = 0; i < ru->n_set; i++)
		event_set_text(ev, ru->set[i].field, ru->set[i].value, ru->set[i].len);
	for (size_t i = 0; i < ru->n_targets; i++) {
		const struct target *t = &ru->targets[i];

		if (t->group >= npairs || ov[2 * t->group] == PCRE2_UNSET)
			continue;
		const char *s = body + ov[2 * t->group];
		size_t l = ov[2 * t->group + 1] - ov[2 * t->group];

		if (t->field >= 0)
			event_set_text(ev, t->field, s, l);
		else
			decode_run(t->decoder, s, l, ev);
	}
	rules_vocab_enforce(r, ev);
	ru->hits++;
}

/* 1 match, 0 no match, -E2BIG limit. */
static int try_rule(struct rules *r, struct rule *ru, const char *body, size_t len)
{
	int rc;

	/*
	 * JIT lazily: the generated table holds thousands of rules most lines
	 * never reach, and compiling them all at load cost ~26 MiB of machine
	 * code. A rule the prefilter lets lines reach often enough is compiled
	 * here, once; until then (and if compiling fails) the interpreter runs it,
	 * with the same result.
	 */
	if (!ru->jit && !ru->jit_failed && !r->jit_off && ++ru->tries >= JIT_AFTER_TRIES) {
		if (pcre2_jit_compile(ru->code, PCRE2_JIT_COMPLETE) == 0) {
			ru->jit = true;
		} else {
			ru->jit_failed = true;
			r->jit_fallbacks++;
		}
	}
	if (ru->jit)
		rc = pcre2_jit_match(ru->code, (PCRE2_SPTR)body, len, 0, 0, r->md, r->mctx);
	else
		rc = pcre2_match(ru->code, (PCRE2_SPTR)body, len, 0, 0, r->md, r->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
		r->limit_hits++;
		return -E2BIG;
	}
	return 0;
}

/* What the envelope says about the line, set once: a rule's captures may override it. */
static void set_envelope(const struct envelope *env, struct event *ev)
{
	if (env->conn_name)
		event_set_str(ev, F_CONN_NAME, env->conn_name, env->conn_name_len);
	if (env->conn_instance > 0)
		event_set_int(ev, F_CONN_INSTANCE, env->conn_instance);
	if (env->peer_ip)
		event_set_text(ev, F_PEER_IP, env->peer_ip, env->peer_ip_len);
	if (env->state_serial > 0)
		event_set_int(ev, F_STATE_SERIAL, env->state_serial);
	if (env->peer_port > 0)
		event_set_int(ev, F_PEER_PORT, env->peer_port);
}

int rules_match(struct rules *r, const struct envelope *env, const char *line, size_t len,
		struct event *ev)
{
	int limit = 0, m;
	size_t off = env->rest_off <= len ? env->rest_off : len;
	const char *body = line + off;
	unsigned scope = 1u << env->scope;
	unsigned wrap = 1u << (env->flags & ENVELOPE_ERROR	   ? RULE_WRAP_ERROR
			       : env->flags & ENVELOPE_WARNING	   ? RULE_WRAP_WARNING
			       : env->flags & ENVELOPE_EXPECTATION ? RULE_WRAP_EXPECTATION
			       : env->flags & ENVELOPE_ASSERTION   ? RULE_WRAP_ASSERTION
								   : RULE_WRAP_NONE);

	len -= off;
	/*
	 * pluto ends no line with blanks, but a line pasted or forwarded may
	 * carry some, which would fail every pattern anchored at its end.
	 */
	while (len && (body[len - 1] == ' ' || body[len - 1] == '\t'))
		len--;
	set_envelope(env, ev);
	/* Candidates in file order: all rules for the baseline, else the prefilter's pick. */
	if (!r->prefilter_on) {
		memset(r->cand, 0xff, r->words * sizeof(uint64_t));
	} else {
		memcpy(r->cand, r->always, r->words * sizeof(uint64_t));
		prefilter_scan(r->pf, body, len, r->cand);
	}
	for (size_t w = 0; w < r->words; w++) {
		uint64_t bits = r->cand[w];

		while (bits) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (i >= r->n)
				break;
			if (!(r->v[i].scopes & scope) || !(r->v[i].wrappers & wrap))
				continue;
			m = try_rule(r, &r->v[i], body, len);
			if (m == 1) {
				apply(r, &r->v[i], body, ev);
				return 1;
			}
			if (m < 0)
				limit = m;
		}
	}
	return limit;
}

void rules_set_prefilter(struct rules *r, bool on)
{
	r->prefilter_on = on;
}

size_t rules_count(const struct rules *r)
{
	return r->n;
}

const char *rules_id(const struct rules *r, size_t i)
{
	return i < r->n ? r->v[i].id : NULL;
}

uint64_t rules_hits(const struct rules *r, size_t i)
{
	return i < r->n ? r->v[i].hits : 0;
}

uint64_t rules_limit_hits(const struct rules *r)
{
	return r->limit_hits;
}

size_t rules_jit_fallbacks(const struct rules *r)
{
	return r->jit_fallbacks;
}

const char *rules_literal(const struct rules *r, size_t i, size_t k, size_t *ret_len)
{
	const struct rule *ru = &r->v[i < r->n ? i : 0];
	const char *p;

	if (i >= r->n || k >= ru->n_lits)
		return NULL;
	p = ru->lits;
	for (size_t j = 0; j < k; j++)
		p += ru->lit_len[j];
	*ret_len = ru->lit_len[k];
	return p;
}

const char *rule_id_of(const void *rule)
{
	return rule ? ((const struct rule *)rule)->id : NULL;
}

size_t rules_example_count(const struct rules *r)
{
	return r->n_ex;
}

const struct rule_example *rules_example(const struct rules *r, size_t i)
{
	return i < r->n_ex ? &r->ex[i] : NULL;
}
