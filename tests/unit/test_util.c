/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util.h"

/*
 * util_rfc3339_us against dates worked out by hand: the epoch, a leap
 * day, 1,700,000,000 s (2023-11-14 22:13:20 UTC), the microsecond before
 * the epoch, and the last second of a leap year.
 */
static void test_rfc3339(void **state)
{
	char out[32];

	assert_int_equal(util_rfc3339_us(0, out), 27);
	assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
	util_rfc3339_us(INT64_C(951782400) * 1000000, out);
	assert_string_equal(out, "2000-02-29T00:00:00.000000Z");
	util_rfc3339_us(INT64_C(1700000000123456), out);
	assert_string_equal(out, "2023-11-14T22:13:20.123456Z");
	util_rfc3339_us(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
	/* 2024-12-31T23:59:59Z = 1735689599 */
	util_rfc3339_us(INT64_C(1735689599) * 1000000 + 500000, out);
	assert_string_equal(out, "2024-12-31T23:59:59.500000Z");
	/* 10000-01-01T00:00:00Z = 253402300800: a fifth digit of year, as printf writes it */
	assert_int_equal(util_rfc3339_us(INT64_C(253402300800) * 1000000 + 7, out), 28);
	assert_string_equal(out, "10000-01-01T00:00:00.000007Z");
	/* 9999-12-31T23:59:59Z, the last four-digit one */
	util_rfc3339_us(INT64_C(253402300799) * 1000000, out);
	assert_string_equal(out, "9999-12-31T23:59:59.000000Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
