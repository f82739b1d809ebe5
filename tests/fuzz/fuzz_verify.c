/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for ikelogd verify: what a collector's file holds is
 * untrusted. Each input is split into lines; every line goes through the
 * parser (its invariants checked: pointers inside the line, MSG after the
 * structured data) and then through a verifier with a fixed audit key and
 * public key, which must finish and report without crashing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"
#include "verify_parse.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct verify_opts o = {.have_key = true, .have_pub = true, .max_held = 64};
	struct verify *v;
	unsigned long lineno = 0;

	memset(o.sid, 0x01, SIGN_SID_LEN);
	memset(o.pub, 0x5a, SIGN_ED_LEN);
	for (int i = 0; i < SIGN_KEY_LEN; i++)
		o.k0[i] = (uint8_t)i;
	if (verify_new(&o, &v) < 0)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		struct verify_parsed vp;
		int r = verify_parse(p, len, &vp);

		if (r == 0) {
			check(vp.host >= p && vp.host + vp.host_len <= p + len);
			check(vp.msg >= vp.host + vp.host_len && vp.msg + vp.msg_len <= p + len);
			check(!vp.eid || (vp.eid > p && vp.eid + vp.eid_len < vp.msg + 1));
		} else {
			check(r == 1 || verify_parse_error(r) != NULL);
		}
		check(verify_line(v, "fuzz", ++lineno, p, len) == 0);
		p += len;
	}
	verify_finish(v, NULL);
	verify_free(v);
	return 0;
}
