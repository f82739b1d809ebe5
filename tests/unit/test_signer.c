/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's signer with its files: K(0) leaves the key file at the
 * first start, a restart continues the chain (declaring what a crash may
 * have lost), a state file that cannot be written stops the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "encode.h"
#include "sign_keys.h"
#include "signer.h"
#include "state.h"
#include "verify.h"

struct env {
	char dir[64], key[128], state[128], audit[128], pub[128];
	char *line[64];
	size_t n;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct diags errs = {0};

	snprintf(e->dir, sizeof(e->dir), "/tmp/test_signer.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->key, sizeof(e->key), "%s/sign.key", e->dir);
	snprintf(e->audit, sizeof(e->audit), "%s/audit.key", e->dir);
	snprintf(e->pub, sizeof(e->pub), "%s/audit.pub", e->dir);
	snprintf(e->state, sizeof(e->state), "%s/sign.state", e->dir);
	assert_int_equal(sign_keys_generate(e->dir, &errs), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	for (size_t i = 0; i < e->n; i++)
		free(e->line[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

static struct signer *open_signer(struct env *e)
{
	struct signer_opts o = {
	    .key_file = e->key, .state_file = e->state, .epoch_events = 3, .pen = 32473};
	struct diags errs = {0};
	struct signer *s = NULL;
	char buf[1024];
	int r = signer_open(&o, &s, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", diag_format(&errs.v[i], buf, sizeof(buf)));
	assert_int_equal(r, 0);
	return s;
}

/* One event n through the encoder; the line kept when `keep` (it reached the collector). */
static int emit(struct env *e, struct signer *s, uint64_t seq, int n, bool keep)
{
	struct encode_opts eo = {.facility = 10, .hostname = "gw1"};
	char json[64], eid[16], buf[2048];
	struct encode_input in = {.event_id = eid, .severity = 6, .msg = json};
	struct signer_call call;
	ssize_t len;

	snprintf(eid, sizeof(eid), "e%d", n);
	in.msg_len = (size_t)snprintf(json, sizeof(json), "{\"n\":%d}", n);
	signer_attach(&in, &call, s, seq);
	len = encode_rfc5424(&eo, &in, buf, sizeof(buf), NULL);
	if (len < 0)
		return (int)len;
	if (keep)
		e->line[e->n++] = strndup(buf, (size_t)len);
	return 0;
}

static size_t verify_all(struct env *e, struct verify_totals *t)
{
	struct sign_keyfile ak, pk;
	struct verify_opts o = {.have_key = true, .have_pub = true};
	struct diags errs = {0};
	struct verify *v;
	size_t n;

	assert_int_equal(sign_keys_read(e->audit, SIGN_KEYFILE_AUDIT, &ak, &errs), 0);
	assert_int_equal(sign_keys_read(e->pub, SIGN_KEYFILE_PUB, &pk, &errs), 0);
	memcpy(o.k0, ak.k0, SIGN_KEY_LEN);
	memcpy(o.sid, ak.sid, SIGN_SID_LEN);
	memcpy(o.pub, pk.ed, SIGN_ED_LEN);
	assert_int_equal(verify_new(&o, &v), 0);
	for (size_t i = 0; i < e->n; i++)
		assert_int_equal(verify_line(v, "c.log", i + 1, e->line[i], strlen(e->line[i])), 0);
	n = verify_finish(v, getenv("TEST_VERBOSE") ? stderr : NULL);
	verify_get_totals(v, t);
	verify_free(v);
	return n;
}

static void test_first_start_moves_k0(void **state)
{
	struct env *e = *state;
	struct sign_keyfile k;
	struct diags errs = {0};
	struct signer *s;

	assert_int_equal(sign_keys_read(e->key, SIGN_KEYFILE_SIGN, &k, &errs), 0);
	assert_true(k.has_k0);
	s = open_signer(e);
	assert_int_equal(sign_keys_read(e->key, SIGN_KEYFILE_SIGN, &k, &errs), 0);
	assert_false(k.has_k0);
	assert_int_equal(access(e->state, F_OK), 0);
	signer_free(s);

	/* keygen never overwrites. */
	assert_int_equal(sign_keys_generate(e->dir, &errs), -EEXIST);
}

static void test_restarts_continue_the_chain(void **state)
{
	struct env *e = *state;
	struct diags errs = {0};
	struct verify_totals t;
	struct signer *s;
	uint64_t seq = 0;
	int n = 0;

	/* A clean run: everything delivered, a final checkpoint, the state closed. */
	s = open_signer(e);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(emit(e, s, ++seq, ++n, true), 0);
		signer_delivered(s, seq);
	}
	assert_int_equal(signer_close(s, &errs), 0);
	signer_free(s);

	/* A crash: events 7 and 8 signed, never delivered; 5 and 6 delivered. */
	s = open_signer(e);
	for (int i = 0; i < 4; i++) {
		bool sent = i < 2;

		assert_int_equal(emit(e, s, ++seq, ++n, sent), 0);
		if (sent)
			signer_delivered(s, seq);
	}
	signer_free(s); /* no signer_close: killed */

	/* After the restart the source reads 7 and 8 again; a clean stop ends it. */
	s = open_signer(e);
	n -= 2;
	for (int i = 0; i < 3; i++) {
		if (i == 2)
			signer_final_next(s);
		assert_int_equal(emit(e, s, ++seq, ++n, true), 0);
		signer_delivered(s, seq);
	}
	assert_int_equal(signer_close(s, &errs), 0);
	signer_free(s);

	/*
	 * The state file learnt of deliveries when it was last written (the
	 * epoch that ended at event 6 was signed before 6 was delivered): the
	 * restart declares from 6 on, of which 6 did arrive.
	 */
	assert_non_null(strstr(e->line[6], " rs=\"6\"]"));
	assert_int_equal(verify_all(e, &t), 0);
	assert_int_equal(t.verified, 9);
	assert_int_equal(t.resent, 0);

	/* The lines a crash lost, cut from the middle instead: missing, not declared. */
	free(e->line[4]);
	memmove(&e->line[4], &e->line[5], (e->n - 5) * sizeof(char *));
	e->n--;
	assert_true(verify_all(e, &t) > 0);
}

static int real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static int fail_rename(const char *from, const char *to)
{
	errno = EROFS;
	return -1;
}

static void test_state_write_failure_stops_the_message(void **state)
{
	struct env *e = *state;
	struct state_io io = {.open = real_open,
			      .write = write,
			      .fsync = fsync,
			      .close = close,
			      .rename = fail_rename};
	struct signer *s = open_signer(e);
	uint64_t seq = 0;
	int r;

	/* Within the reserved block no write is needed ... */
	assert_int_equal(emit(e, s, ++seq, 1, false), 0);
	state_set_io(&io);
	assert_int_equal(emit(e, s, ++seq, 2, false), 0);
	/* ... the epoch's end must write the new key: refused, nothing to send. */
	r = emit(e, s, ++seq, 3, false);
	state_set_io(NULL);
	assert_int_equal(r, -EROFS);
	signer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_first_start_moves_k0, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restarts_continue_the_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_write_failure_stops_the_message, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
