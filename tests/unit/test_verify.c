/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier over streams made by the real signer and encoder, as
 * rsyslog's "%timegenerated% %rawmsg%" template writes them, and the
 * tamperings an auditor must see: each names its line and its kind.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "encode.h"
#include "sign.h"
#include "signer.h"
#include "verify.h"
#include "verify_parse.h"

#define N_EVENTS     12
#define EPOCH_EVENTS 4 /* epochs 0..2, the last event final */
#define MAX_LINES    64

struct keys {
	uint8_t sid[SIGN_SID_LEN], k0[SIGN_KEY_LEN], ed[SIGN_ED_LEN], pub[SIGN_ED_LEN];
};

struct stream {
	char *line[MAX_LINES];
	size_t n;
};

static uint64_t fixed_now(void)
{
	return 1000;
}

static void make_keys(struct keys *k, uint8_t fill)
{
	memset(k->sid, fill, SIGN_SID_LEN);
	for (int i = 0; i < SIGN_KEY_LEN; i++)
		k->k0[i] = (uint8_t)(i + fill);
	assert_int_equal(sign_ed25519_generate(k->ed), 0);
	assert_int_equal(sign_ed25519_public(k->ed, k->pub), 0);
}

/* n events of host, through signer_sign and encode_rfc5424 as a sink sends them. */
static void make_stream(struct stream *st, const struct keys *k, const char *host, size_t n)
{
	struct signer_opts so = {.epoch_events = EPOCH_EVENTS, .pen = 32473, .now = fixed_now};
	struct encode_opts eo = {.facility = 10, .hostname = host, .procid = 77};
	struct signer *s;
	char json[128], eid[32], buf[2048];

	assert_int_equal(signer_new(&so, k->sid, k->k0, k->ed, &s), 0);
	st->n = 0;
	for (size_t i = 1; i <= n; i++) {
		struct encode_input in = {.timestamp = "2026-12-06T01:00:00.000000Z",
					  .msgid = "ike_auth",
					  .event_id = eid,
					  .severity = 6,
					  .msg = json};
		struct signer_call call;
		ssize_t len;

		snprintf(eid, sizeof(eid), "%s-%zu", host, i);
		in.msg_len = (size_t)snprintf(
		    json, sizeof(json),
		    "{\"schema_version\":1,\"event_type\":\"ike_auth\",\"n\":%zu}", i);
		if (i == n)
			signer_final_next(s);
		signer_attach(&in, &call, s, i);
		len = encode_rfc5424(&eo, &in, buf, sizeof(buf), NULL);
		assert_true(len > 0);
		assert_true(asprintf(&st->line[st->n++], "2026-12-06T01:00:01.000000+00:00 %.*s",
				     (int)len, buf) > 0);
		signer_delivered(s, i);
	}
	signer_free(s);
}

static void free_stream(struct stream *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->line[i]);
	st->n = 0;
}

static void del_line(struct stream *st, size_t i)
{
	free(st->line[i]);
	memmove(&st->line[i], &st->line[i + 1], (st->n - i - 1) * sizeof(char *));
	st->n--;
}

static void ins_copy(struct stream *st, size_t at, const char *line)
{
	memmove(&st->line[at + 1], &st->line[at], (st->n - at) * sizeof(char *));
	st->line[at] = strdup(line);
	st->n++;
}

static struct verify *run(const struct stream *st, const struct keys *k, bool with_key)
{
	struct verify_opts o = {.have_key = with_key, .have_pub = true};
	struct verify *v;

	memcpy(o.k0, k->k0, SIGN_KEY_LEN);
	memcpy(o.sid, k->sid, SIGN_SID_LEN);
	memcpy(o.pub, k->pub, SIGN_ED_LEN);
	assert_int_equal(verify_new(&o, &v), 0);
	for (size_t i = 0; i < st->n; i++)
		assert_int_equal(
		    verify_line(v, "collector.log", i + 1, st->line[i], strlen(st->line[i])), 0);
	verify_finish(v, NULL);
	return v;
}

/* The first problem must be of kind at line; returns how many there are. */
static size_t expect_first(struct verify *v, enum verify_kind kind, unsigned long line)
{
	size_t n;
	const struct verify_problem *p = verify_problems(v, &n);

	assert_true(n >= 1);
	if (p[0].kind != kind || p[0].line != line)
		fail_msg("first problem %s at line %lu (%s), expected %s at line %lu",
			 verify_kind_name(p[0].kind), p[0].line, p[0].detail,
			 verify_kind_name(kind), line);
	return n;
}

static void assert_clean(struct verify *v)
{
	size_t n;
	const struct verify_problem *p = verify_problems(v, &n);

	if (n)
		fail_msg("%zu problems, first %s at line %lu: %s", n, verify_kind_name(p[0].kind),
			 p[0].line, p[0].detail);
}

static void test_clean_stream(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;
	struct verify_totals t;
	struct verify_parsed p;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	/* The shape on the wire, written out from sign.h. */
	assert_int_equal(verify_parse(st.line[3], strlen(st.line[3]), &p), 0);
	assert_int_equal(p.seq, 4);
	assert_int_equal(p.ep, 0);
	assert_true(p.has_cp);
	assert_int_equal(p.cp.last_seq, 4);
	assert_false(p.cp.final);
	assert_non_null(strstr(
	    st.line[3], "[ikelogd@32473 eid=\"gw1-4\"][ikelogd-chain@32473 "
			"sid=\"01010101010101010101010101010101\" seq=\"4\" ep=\"0\" mac=\""));
	assert_int_equal(verify_parse(st.line[4], strlen(st.line[4]), &p), 0);
	assert_int_equal(p.ep, 1);
	assert_false(p.has_cp);

	v = run(&st, &k, true);
	assert_clean(v);
	verify_get_totals(v, &t);
	assert_int_equal(t.verified, N_EVENTS);
	assert_int_equal(t.streams, 1);
	verify_free(v);

	/* Public-only: order and checkpoints, no MACs. */
	v = run(&st, &k, false);
	assert_clean(v);
	verify_free(v);
	free_stream(&st);
}

static void test_flip_one_byte(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;
	char *brace;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	brace = strstr(st.line[5], "\"n\":6");
	assert_non_null(brace);
	brace[4] = '7';
	v = run(&st, &k, true);
	assert_int_equal(expect_first(v, VERIFY_ALTERED, 6), 1);
	verify_free(v);
	free_stream(&st);
}

static void test_delete_line(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;
	const struct verify_problem *p;
	size_t n;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	del_line(&st, 4); /* seq 5 */
	v = run(&st, &k, true);
	/* Named at the line where the stream goes on after the hole. */
	assert_int_equal(expect_first(v, VERIFY_MISSING, 5), 1);
	p = verify_problems(v, &n);
	assert_non_null(strstr(p[0].detail, "seq 5..5"));
	verify_free(v);
	free_stream(&st);
}

static void test_swap_lines(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;
	char *t;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	t = st.line[6];
	st.line[6] = st.line[7];
	st.line[7] = t;
	v = run(&st, &k, true);
	/* seq 7 now on line 8, after seq 8 on line 7. */
	assert_int_equal(expect_first(v, VERIFY_REORDERED, 8), 1);
	verify_free(v);
	free_stream(&st);
}

static void test_duplicate_line(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	ins_copy(&st, 9, st.line[5]); /* seq 6 again on line 10, after seq 9 */
	v = run(&st, &k, true);
	assert_int_equal(expect_first(v, VERIFY_INSERTED, 10), 1);
	verify_free(v);
	free_stream(&st);
}

/* What a sink does after a reconnect: the unacknowledged tail again, in order. */
static void test_resend_is_no_tampering(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;
	struct verify_totals t;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	for (size_t i = 6; i < 9; i++) /* seq 7..9 again after seq 9 */
		ins_copy(&st, 9 + (i - 6), st.line[i]);
	v = run(&st, &k, true);
	assert_clean(v);
	verify_get_totals(v, &t);
	assert_int_equal(t.duplicates, 3);
	assert_int_equal(t.verified, N_EVENTS);
	verify_free(v);
	free_stream(&st);
}

/*
 * rsyslog, stopped mid-frame, writes the part of the frame it had; the
 * whole message comes again after the reconnect. A cut copy alone stays
 * an alteration.
 */
static void test_cut_frame_made_whole(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;
	char *cut;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	cut = strdup(st.line[6]);
	cut[strlen(cut) - 5] = '\0';
	for (size_t i = 6; i < 9; i++) /* seq 7..9 again after seq 9, as a resend */
		ins_copy(&st, 9 + (i - 6), st.line[i]);
	free(st.line[6]);
	st.line[6] = cut;
	v = run(&st, &k, true);
	assert_clean(v);
	verify_free(v);

	del_line(&st, 9); /* the whole copy of seq 7 never came */
	v = run(&st, &k, true);
	expect_first(v, VERIFY_ALTERED, 7);
	verify_free(v);
	free_stream(&st);

	/* Cut inside the chain element, then the whole message: skipped. */
	make_stream(&st, &k, "gw1", N_EVENTS);
	cut = strdup(st.line[6]);
	cut[strlen(cut) - strlen(strstr(cut, " mac=\"")) + 10] = '\0';
	ins_copy(&st, 6, cut);
	free(cut);
	v = run(&st, &k, true);
	assert_clean(v);
	verify_free(v);

	del_line(&st, 7); /* ... and never whole: the gap shows */
	v = run(&st, &k, true);
	expect_first(v, VERIFY_MISSING, 8);
	verify_free(v);
	free_stream(&st);
}

static void test_drop_last_epoch(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	while (st.n > 2 * EPOCH_EVENTS)
		del_line(&st, st.n - 1);
	v = run(&st, &k, true);
	assert_int_equal(expect_first(v, VERIFY_TRUNCATED, 8), 1);
	verify_free(v);

	free_stream(&st);

	/* Its last line alone is enough to lose the final checkpoint. */
	make_stream(&st, &k, "gw1", N_EVENTS);
	del_line(&st, st.n - 1);
	v = run(&st, &k, true);
	assert_int_equal(expect_first(v, VERIFY_TRUNCATED, N_EVENTS - 1), 1);
	verify_free(v);
	free_stream(&st);
}

static void test_splice_streams(void **state)
{
	struct keys a, b;
	struct stream sa, sb;
	struct verify *v;
	const struct verify_problem *p;
	size_t n;
	bool wrong_key = false, missing = false, truncated = false;

	make_keys(&a, 1);
	make_keys(&b, 2);
	make_stream(&sa, &a, "gw1", N_EVENTS);
	make_stream(&sb, &b, "gw1", N_EVENTS);
	/* Stream a's first half, then stream b's second half, under the same host. */
	for (size_t i = 6; i < N_EVENTS; i++) {
		free(sa.line[i]);
		sa.line[i] = sb.line[i];
		sb.line[i] = NULL;
	}
	v = run(&sa, &a, true);
	p = verify_problems(v, &n);
	for (size_t i = 0; i < n; i++) {
		wrong_key |= p[i].kind == VERIFY_WRONG_KEY && p[i].line == N_EVENTS;
		missing |= p[i].kind == VERIFY_MISSING && p[i].line == 7;
		truncated |= p[i].kind == VERIFY_TRUNCATED && p[i].line == 6;
	}
	assert_true(wrong_key);
	assert_true(missing);
	assert_true(truncated);
	verify_free(v);
	free_stream(&sa);
	for (size_t i = 0; i < 6; i++)
		free(sb.line[i]);
}

static void test_replay_old_epoch(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;

	make_keys(&k, 1);
	make_stream(&st, &k, "gw1", N_EVENTS);
	for (size_t i = 0; i < EPOCH_EVENTS; i++) /* epoch 0 again, at the end */
		ins_copy(&st, st.n, st.line[i]);
	v = run(&st, &k, true);
	assert_int_equal(expect_first(v, VERIFY_REPLAYED, N_EVENTS + 1), 1);
	verify_free(v);
	free_stream(&st);
}

/*
 * Forward security as the verifier sees it: whoever holds K(0) after the
 * chain moved to epoch 1 (or K(1) after it moved to 2) cannot make a
 * message the verifier accepts in the place of a later event, neither
 * labelled with the later epoch (the MAC fails under that epoch's key)
 * nor with the old one (epochs never go back).
 */
static void forge(struct stream *st, size_t idx, const uint8_t key[SIGN_KEY_LEN], uint64_t key_ep,
		  uint64_t claim_ep)
{
	struct verify_parsed p, prevp;
	struct sign_chain c = {0};
	char sd[SIGN_SD_CHAIN_MAX], *line;
	const char *json = "{\"schema_version\":1,\"event_type\":\"ike_auth\",\"n\":999}";

	assert_int_equal(verify_parse(st->line[idx], strlen(st->line[idx]), &p), 0);
	assert_int_equal(verify_parse(st->line[idx - 1], strlen(st->line[idx - 1]), &prevp), 0);
	memcpy(c.sid, p.sid, SIGN_SID_LEN);
	memcpy(c.key, key, SIGN_KEY_LEN);
	c.epoch = key_ep;
	c.seq = p.seq - 1;
	memcpy(c.mac, prevp.mac, SIGN_MAC_LEN);
	assert_int_equal(sign_chain_next(&c, json, strlen(json)), 0);
	c.epoch = claim_ep;
	assert_true(sign_sd_chain(&c, 32473, sd, sizeof(sd)) > 0);
	sign_chain_wipe(&c);
	assert_true(
	    asprintf(&line,
		     "2026-12-06T01:00:01.000000+00:00 <86>1 2026-12-06T01:00:00.000000Z gw1 "
		     "ikelogd 77 ike_auth [ikelogd@32473 eid=\"x\"]%s %s",
		     sd, json) > 0);
	free(st->line[idx]);
	st->line[idx] = line;
}

static void test_old_key_cannot_forge_later_event(void **state)
{
	struct keys k;
	struct stream st;
	struct verify *v;
	uint8_t k1[SIGN_KEY_LEN];
	bool altered = false;
	const struct verify_problem *p;
	size_t n;

	make_keys(&k, 1);
	assert_int_equal(sign_ratchet(k.k0, k1), 0);

	/* seq 6 is in epoch 1: K(0) signs it, labelled epoch 1. */
	make_stream(&st, &k, "gw1", N_EVENTS);
	forge(&st, 5, k.k0, 0, 1);
	v = run(&st, &k, true);
	expect_first(v, VERIFY_ALTERED, 6);
	verify_free(v);
	free_stream(&st);

	/* ... labelled epoch 0, as its key would have it. */
	make_stream(&st, &k, "gw1", N_EVENTS);
	forge(&st, 5, k.k0, 0, 0);
	v = run(&st, &k, true);
	expect_first(v, VERIFY_ALTERED, 6);
	verify_free(v);
	free_stream(&st);

	/* seq 10 is in epoch 2: K(1) cannot make it either. */
	make_stream(&st, &k, "gw1", N_EVENTS);
	forge(&st, 9, k1, 1, 1);
	v = run(&st, &k, true);
	p = verify_problems(v, &n);
	for (size_t i = 0; i < n; i++)
		altered |= p[i].kind == VERIFY_ALTERED && p[i].line == 10;
	assert_true(altered);
	verify_free(v);
	free_stream(&st);

	/* Control: the right key for the epoch does make one (the test can fail). */
	make_stream(&st, &k, "gw1", N_EVENTS);
	forge(&st, 5, k1, 1, 1);
	v = run(&st, &k, true);
	p = verify_problems(v, &n);
	for (size_t i = 0; i < n; i++)
		assert_false(p[i].kind == VERIFY_ALTERED && p[i].line == 6);
	verify_free(v);
	free_stream(&st);
}

static void test_parse_rejects(void **state)
{
	struct verify_parsed p;
	const char *ok =
	    "<86>1 - gw - - - [ikelogd-chain@1 sid=\"01010101010101010101010101010101\" "
	    "seq=\"1\" ep=\"0\" mac=\"" /* 64 */
	    "0000000000000000000000000000000000000000000000000000000000000000\"] {}";
	char buf[512];

	assert_int_equal(verify_parse(ok, strlen(ok), &p), 0);
	assert_int_equal(p.msg_len, 2);
	assert_int_equal(p.host_len, 2);
	assert_int_equal(verify_parse("hello world", 11, &p), 1);
	assert_int_equal(verify_parse("<13>1 - - - - - - plain", 23, &p), 1);
	/* A chain element without its MAC, a short MAC, a seq with a sign. */
	snprintf(buf, sizeof(buf),
		 "<86>1 - gw - - - [ikelogd-chain@1 sid=\"01\" seq=\"1\" ep=\"0\"]");
	assert_true(verify_parse(buf, strlen(buf), &p) < 0);
	snprintf(buf, sizeof(buf), "%s", ok);
	memcpy(strstr(buf, "seq=\"1\""), "seq=\"-\"", 7);
	assert_true(verify_parse(buf, strlen(buf), &p) < 0);
	assert_true(verify_parse(ok, strlen(ok) - 8, &p) < 0);
	/* A checkpoint element alone. */
	snprintf(buf, sizeof(buf), "<86>1 - gw - - - [ikelogd-checkpoint@1 ep=\"0\"] {}");
	assert_true(verify_parse(buf, strlen(buf), &p) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_stream),
	    cmocka_unit_test(test_flip_one_byte),
	    cmocka_unit_test(test_delete_line),
	    cmocka_unit_test(test_swap_lines),
	    cmocka_unit_test(test_duplicate_line),
	    cmocka_unit_test(test_resend_is_no_tampering),
	    cmocka_unit_test(test_cut_frame_made_whole),
	    cmocka_unit_test(test_drop_last_epoch),
	    cmocka_unit_test(test_splice_streams),
	    cmocka_unit_test(test_replay_old_epoch),
	    cmocka_unit_test(test_old_key_cannot_forge_later_event),
	    cmocka_unit_test(test_parse_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
