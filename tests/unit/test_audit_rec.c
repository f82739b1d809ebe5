/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit_rec.h"
#include "event.h"

/*
 * pluto's audit records. The auditd lines are Libreswan's test
 * linux-audit-01-ok-ikev1 (v4.10 east.console.txt) with its sanitised
 * pid, SPIs and path filled in; the journald MESSAGE is the same record
 * as journald stores it (type name, a space, the text after "audit(...): ").
 */

struct fx {
	struct audit_rec *a;
	struct event ev;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(audit_rec_new(&f->a), 0);
	assert_int_equal(event_init(&f->ev, 8192), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	audit_rec_free(f->a);
	event_done(&f->ev);
	free(f);
	return 0;
}

static int parse(struct fx *f, const char *s)
{
	event_reset(&f->ev);
	return audit_rec_parse(f->a, s, strlen(s), &f->ev);
}

static void want(const struct event *ev, enum field fl, const char *v)
{
	const char *got = event_str(ev, fl, NULL);

	if (!v) {
		assert_false(event_has(ev, fl));
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, v);
}

static void test_ike_sa(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
	    parse(f,
		  "type=CRYPTO_IKE_SA msg=audit(1733450000.123:45): pid=1234 uid=0 "
		  "auid=4294967295 ses=4294967295 subj=system_u:system_r:unconfined_service_t:s0 "
		  "msg='op=start direction=responder conn-name=\"ikev1\" connstate=1 "
		  "ike-version=1 auth=RSA_SIG cipher=aes ksize=256 integ=sha1 prf=sha1 "
		  "pfs=MODP1536 raddr=192.1.2.45 exe=\"/usr/libexec/ipsec/pluto\" hostname=? "
		  "addr=192.1.2.23 terminal=? res=success'"),
	    1);
	want(&f->ev, F_EVENT_TYPE, "audit_ike_sa");
	want(&f->ev, F_AUDIT_OP, "start");
	want(&f->ev, F_RESULT, "success");
	want(&f->ev, F_ROLE, "responder");
	want(&f->ev, F_CONN_NAME, "ikev1");
	assert_int_equal(event_int(&f->ev, F_STATE_SERIAL, 0), 1);
	assert_int_equal(event_int(&f->ev, F_IKE_VERSION, 0), 1);
	want(&f->ev, F_AUTH_METHOD, "rsasig");
	want(&f->ev, F_ENCR, "AES");
	assert_int_equal(event_int(&f->ev, F_KEY_SIZE, 0), 256);
	want(&f->ev, F_INTEG, "SHA1");
	want(&f->ev, F_PRF, "SHA1");
	want(&f->ev, F_DH_GROUP, "MODP1536");
	want(&f->ev, F_PEER_IP, "192.1.2.45");
	want(&f->ev, F_LOCAL_IP, "192.1.2.23");
	want(&f->ev, F_SPI_IN, NULL);

	/* journald's MESSAGE of an IKEv2 failure; a name with a space is hex
	 * (audit_encode_nv_string) */
	assert_int_equal(
	    parse(f, "CRYPTO_IKE_SA pid=99 uid=0 auid=4294967295 ses=4294967295 msg='op=start "
		     "direction=initiator conn-name=6D7920636F6E6E connstate=7 ike-version=2.0 "
		     "auth=PRESHARED_KEY cipher=aes_gcm_16 ksize=256 integ=none prf=sha512 "
		     "pfs=DH19 raddr=2001:db8::2 exe=\"/usr/libexec/ipsec/pluto\" hostname=? "
		     "addr=2001:db8::1 terminal=? res=failed'"),
	    1);
	want(&f->ev, F_CONN_NAME, "my conn");
	want(&f->ev, F_RESULT, "failure");
	want(&f->ev, F_ROLE, "initiator");
	assert_int_equal(event_int(&f->ev, F_IKE_VERSION, 0), 2);
	want(&f->ev, F_AUTH_METHOD, "psk");
	want(&f->ev, F_ENCR, "AES_GCM_16");
	want(&f->ev, F_DH_GROUP, "DH19");
	want(&f->ev, F_PEER_IP, "2001:db8::2");
}

static void test_child_sa(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
	    parse(f, "type=CRYPTO_IPSEC_SA msg=audit(1733450000.200:46): pid=1234 uid=0 "
		     "auid=4294967295 ses=4294967295 subj=unconfined msg='op=destroy "
		     "conn-name=\"ikev1\" connstate=2, satype=ipsec-esp samode=tunnel cipher=AES "
		     "ksize=128 integ=HMAC_SHA1 in-spi=3386048211(0xc9d2b1d3) "
		     "out-spi=2406510769(0x8f7ad2b1) in-ipcomp=0(0x00000000) "
		     "out-ipcomp=0(0x00000000) raddr=192.1.2.45 exe=\"/usr/libexec/ipsec/pluto\" "
		     "hostname=? addr=192.1.2.23 terminal=? res=success'"),
	    1);
	want(&f->ev, F_EVENT_TYPE, "audit_child_sa");
	want(&f->ev, F_AUDIT_OP, "destroy");
	want(&f->ev, F_RESULT, "info"); /* an SA's end claims no outcome */
	assert_int_equal(event_int(&f->ev, F_STATE_SERIAL, 0), 2);
	want(&f->ev, F_CHILD_PROTOCOL, "ESP");
	want(&f->ev, F_CHILD_MODE, "tunnel");
	assert_int_equal(event_int(&f->ev, F_KEY_SIZE, 0), 128);
	want(&f->ev, F_INTEG, "HMAC_SHA1");
	want(&f->ev, F_SPI_IN, "0xc9d2b1d3");
	want(&f->ev, F_SPI_OUT, "0x8f7ad2b1");
	want(&f->ev, F_ROLE, NULL);
}

static void test_not_audit(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "\"west\" #1: initiating IKEv2 connection"), 0);
	assert_int_equal(
	    parse(f, "type=USER_LOGIN msg=audit(1.2:3): pid=1 msg='op=login res=success'"), 0);
	assert_int_equal(parse(f, "CRYPTO_IKE_SA without a msg"), 0);
	assert_false(event_has(&f->ev, F_EVENT_TYPE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ike_sa, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_child_sa, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_audit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
